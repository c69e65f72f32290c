#include "zp/green/ledger.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>
#include <utility>

#include "zp/auth/auth.h"

namespace zp::green {

namespace {

constexpr std::string_view kKindNames[kLedgerKindCount] = {
    "issuance", "transfer", "allocation", "claim", "cancellation", "expiry", "withdrawal"};
constexpr std::string_view kKindNamesZh[kLedgerKindCount] = {"签发",     "转让", "分配", "声明注销",
                                                             "撤销分配", "过期", "撤回"};
constexpr std::string_view kStatusNames[kCertStatusCount] = {"active",  "transferred", "allocated",
                                                             "claimed", "expired",     "withdrawn"};
constexpr std::string_view kStatusNamesZh[kCertStatusCount] = {"有效",       "已转让", "已分配",
                                                               "已声明注销", "已过期", "已撤回"};

// Largest issuance of one device-hour: 10 TWh keeps every sum far from int64 overflow.
constexpr int64_t kMaxIssueWh = 10'000'000'000'000;

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  // ASCII eight bytes at a time.
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & 0x8080808080808080ull) != 0) break;
    i += 8;
  }
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += len;
  }
  return true;
}

bool ValidKey(std::string_view k) {
  if (k.empty() || k.size() > 64) return false;
  for (char c : k) {
    if (!((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool ValidHex64(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool NeedsEscape(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c < 0x20 || c == '"' || c == '\\';
}

void AppendEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs of characters written as is go in one append.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (!NeedsEscape(ch)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

Status CheckString(std::string_view what, std::string_view s) {
  if (!ValidUtf8(s)) return InvalidArgumentError(fmt::format("{} is not valid UTF-8", what));
  return Status::OK();
}

// Appends the canonical object of `fields` to `out`.
Status AppendFields(std::string& out, const LedgerFields& fields) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : fields) {
    if (!ValidKey(key)) {
      return InvalidArgumentError(
          fmt::format("ledger field key '{}' must be 1-64 of [a-z0-9_]", key.substr(0, 80)));
    }
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    out += key;
    out += "\":";
    if (const auto* i = std::get_if<int64_t>(&value)) {
      out += fmt::format_int(*i).str();
    } else {
      const auto& s = std::get<std::string>(value);
      if (!ValidUtf8(s)) {
        return InvalidArgumentError(fmt::format("ledger field '{}' is not valid UTF-8", key));
      }
      AppendEscaped(out, s);
    }
  }
  out.push_back('}');
  return Status::OK();
}

// The canonical object, with "hash" at its sorted place when `hash` is given.
Result<std::string> Serialize(const LedgerRecord& r, const std::string* hash) {
  ZP_RETURN_IF_ERROR(CheckString("actor", r.actor));
  ZP_RETURN_IF_ERROR(CheckString("prev_hash", r.prev_hash));
  const auto kind = static_cast<int>(r.kind);
  if (kind < 0 || kind >= kLedgerKindCount) return InvalidArgumentError("bad ledger kind");
  std::string out;
  out.reserve(256 + r.fields.size() * 32);
  out += "{\"actor\":";
  AppendEscaped(out, r.actor);
  out += ",\"fields\":";
  ZP_RETURN_IF_ERROR(AppendFields(out, r.fields));
  if (hash != nullptr) {
    out += ",\"hash\":";
    AppendEscaped(out, *hash);
  }
  out += ",\"kind\":\"";
  out += kKindNames[kind];
  out += "\",\"prev_hash\":";
  AppendEscaped(out, r.prev_hash);
  out += fmt::format(",\"seq\":{},\"time_s\":{}}}", r.seq, r.time_s);
  return out;
}

// A strict scanner for flat JSON objects of integers and strings (FieldsFromJson).
class FlatJson {
 public:
  explicit FlatJson(std::string_view s) : s_(s) {}

  // Whether the text parsed was exactly CanonicalFields' bytes of what it holds.
  bool canonical() const { return canonical_; }

  Result<LedgerFields> Parse() {
    LedgerFields out;
    Ws();
    if (!Eat('{')) return Bad("expected '{'");
    Ws();
    if (Eat('}')) return End(std::move(out));
    while (true) {
      Ws();
      std::string key;
      ZP_RETURN_IF_ERROR(String(&key));
      if (!ValidKey(key)) {
        return InvalidArgumentError(
            fmt::format("ledger field key '{}' must be 1-64 of [a-z0-9_]", key.substr(0, 80)));
      }
      Ws();
      if (!Eat(':')) return Bad("expected ':'");
      Ws();
      LedgerValue value;
      if (i_ < s_.size() && s_[i_] == '"') {
        std::string v;
        ZP_RETURN_IF_ERROR(String(&v));
        value = std::move(v);
      } else {
        ZP_ASSIGN_OR_RETURN(int64_t v, Int(key));
        value = v;
      }
      if (!out.empty() && !(out.rbegin()->first < key)) canonical_ = false;  // keys sorted
      if (!out.emplace(std::move(key), std::move(value)).second) return Bad("duplicate key");
      Ws();
      if (Eat(',')) continue;
      if (Eat('}')) return End(std::move(out));
      return Bad("expected ',' or '}'");
    }
  }

 private:
  Result<LedgerFields> End(LedgerFields out) {
    Ws();
    if (i_ != s_.size()) return Bad("trailing characters");
    return out;
  }
  Status Bad(std::string_view what) const {
    return InvalidArgumentError(fmt::format("ledger fields JSON: {} at byte {}", what, i_));
  }
  void Ws() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
      canonical_ = false;
    }
  }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  Result<uint32_t> Hex4() {
    if (i_ + 4 > s_.size()) return Bad("short \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Bad("bad \\u escape");
      }
    }
    return v;
  }
  static void Utf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  Status String(std::string* out) {
    if (!Eat('"')) return Bad("expected a string");
    const size_t start = i_;
    while (true) {
      // The plain run up to the next quote or backslash.
      size_t j = i_;
      while (j < s_.size() && s_[j] != '"' && s_[j] != '\\') {
        if (static_cast<unsigned char>(s_[j]) < 0x20) {
          i_ = j;
          return Bad("control character in a string");
        }
        ++j;
      }
      out->append(s_.substr(i_, j - i_));
      i_ = j;
      if (i_ >= s_.size()) return Bad("unterminated string");
      if (s_[i_] == '"') {
        ++i_;
        break;
      }
      ++i_;  // backslash
      if (i_ >= s_.size()) return Bad("unterminated escape");
      const char e = s_[i_++];
      switch (e) {
        case '/':
          canonical_ = false;  // written as is
          out->push_back(e);
          break;
        case '"':
        case '\\':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          const size_t hex = i_;
          ZP_ASSIGN_OR_RETURN(uint32_t cp, Hex4());
          // Canonical: only control characters without a short form, in lower-case hex.
          if (cp >= 0x20 || cp == '\b' || cp == '\f' || cp == '\n' || cp == '\r' || cp == '\t' ||
              s_.substr(hex, 4) != fmt::format("{:04x}", cp)) {
            canonical_ = false;
          }
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!(Eat('\\') && Eat('u'))) return Bad("lone surrogate");
            ZP_ASSIGN_OR_RETURN(uint32_t lo, Hex4());
            if (lo < 0xDC00 || lo > 0xDFFF) return Bad("lone surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Bad("lone surrogate");
          }
          Utf8(out, cp);
          break;
        }
        default:
          return Bad("bad escape");
      }
    }
    if (!ValidUtf8(*out)) {
      i_ = start;
      return Bad("invalid UTF-8");
    }
    return Status::OK();
  }
  Result<int64_t> Int(std::string_view key) {
    const size_t start = i_;
    const bool neg = Eat('-');
    const size_t digits = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    if (i_ == digits) {
      if (i_ < s_.size() &&
          (s_[i_] == 't' || s_[i_] == 'f' || s_[i_] == 'n' || s_[i_] == '[' || s_[i_] == '{')) {
        return InvalidArgumentError(
            fmt::format("field {}: a ledger field is an integer or a string", key));
      }
      return Bad("expected a value");
    }
    if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) {
      return InvalidArgumentError(fmt::format(
          "field {}: floats are not allowed in ledger records: energy is in integer Wh", key));
    }
    if (s_[digits] == '0' && i_ - digits > 1) return Bad("leading zero");
    uint64_t v = 0;
    for (size_t k = digits; k < i_; ++k) {
      const auto d = static_cast<uint64_t>(s_[k] - '0');
      if (v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1 - d) / 10) {
        i_ = start;
        return Bad("integer out of int64 range");
      }
      v = v * 10 + d;
    }
    if (neg && v == 0) canonical_ = false;  // "-0"
    if (!neg && v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      i_ = start;
      return Bad("integer out of int64 range");
    }
    return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  }

  std::string_view s_;
  size_t i_ = 0;
  bool canonical_ = true;
};

constexpr std::string_view kNoFloats =
    "floats are not allowed in ledger records: energy is in integer Wh";

Result<int64_t> JsonInt(const nlohmann::json& v, std::string_view what) {
  if (v.is_number_float()) return InvalidArgumentError(fmt::format("{}: {}", what, kNoFloats));
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return InvalidArgumentError(fmt::format("{}: integer out of int64 range", what));
    }
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return InvalidArgumentError(fmt::format("{}: expected an integer", what));
}

Result<std::string> JsonString(const nlohmann::json& v, std::string_view what) {
  if (!v.is_string()) return InvalidArgumentError(fmt::format("{}: expected a string", what));
  return v.get<std::string>();
}

ChainCheck Fault(ChainFault f, int64_t seq, int64_t records, std::string head, std::string en,
                 std::string zh) {
  ChainCheck c;
  c.fault = f;
  c.seq = seq;
  c.records = records;
  c.head_hash = std::move(head);
  c.status = DataLossError(fmt::format("ledger seq {}: {} / 账本第 {} 条: {}", seq, en, seq, zh));
  return c;
}

std::string RangeText(const WhRange& r) {
  return fmt::format("{} Wh [{}, {})", r.device, r.from_wh, r.to_wh);
}

}  // namespace

std::string_view LedgerKindName(LedgerKind k) { return kKindNames[static_cast<int>(k)]; }
std::string_view LedgerKindNameZh(LedgerKind k) { return kKindNamesZh[static_cast<int>(k)]; }
Result<LedgerKind> ParseLedgerKind(std::string_view s) {
  for (int i = 0; i < kLedgerKindCount; ++i) {
    if (kKindNames[i] == s) return static_cast<LedgerKind>(i);
  }
  return InvalidArgumentError(fmt::format("unknown ledger kind '{}'", s.substr(0, 40)));
}

std::string_view CertStatusName(CertStatus s) { return kStatusNames[static_cast<int>(s)]; }
std::string_view CertStatusNameZh(CertStatus s) { return kStatusNamesZh[static_cast<int>(s)]; }
Result<CertStatus> ParseCertStatus(std::string_view s) {
  for (int i = 0; i < kCertStatusCount; ++i) {
    if (kStatusNames[i] == s) return static_cast<CertStatus>(i);
  }
  return InvalidArgumentError(fmt::format("unknown certificate status '{}'", s.substr(0, 40)));
}

Result<std::string> CanonicalRecord(const LedgerRecord& r) { return Serialize(r, nullptr); }

Result<std::string> CanonicalFields(const LedgerFields& fields) {
  std::string out;
  out.reserve(32 + fields.size() * 32);
  ZP_RETURN_IF_ERROR(AppendFields(out, fields));
  return out;
}

Result<LedgerFields> FieldsFromJson(std::string_view json, bool* canonical) {
  FlatJson parser(json);
  Result<LedgerFields> fields = parser.Parse();
  if (canonical != nullptr) *canonical = fields.ok() && parser.canonical();
  return fields;
}

Result<std::string> ComputeRecordHash(int64_t seq, int64_t time_s, LedgerKind kind,
                                      std::string_view actor, std::string_view fields_json,
                                      std::string_view prev_hash) {
  ZP_RETURN_IF_ERROR(CheckString("actor", actor));
  ZP_RETURN_IF_ERROR(CheckString("prev_hash", prev_hash));
  const auto k = static_cast<int>(kind);
  if (k < 0 || k >= kLedgerKindCount) return InvalidArgumentError("bad ledger kind");
  std::string input;
  input.reserve(prev_hash.size() + fields_json.size() + actor.size() + 128);
  input += prev_hash;
  input += "\n{\"actor\":";
  AppendEscaped(input, actor);
  input += ",\"fields\":";
  input += fields_json;
  input += ",\"kind\":\"";
  input += kKindNames[k];
  input += "\",\"prev_hash\":";
  AppendEscaped(input, prev_hash);
  input += ",\"seq\":";
  input += fmt::format_int(seq).c_str();
  input += ",\"time_s\":";
  input += fmt::format_int(time_s).c_str();
  input += "}";
  return auth::HashSecret(input);
}

Result<std::string> ComputeRecordHash(const LedgerRecord& r) {
  ZP_ASSIGN_OR_RETURN(std::string canonical, CanonicalRecord(r));
  std::string input;
  input.reserve(r.prev_hash.size() + 1 + canonical.size());
  input += r.prev_hash;
  input.push_back('\n');
  input += canonical;
  return auth::HashSecret(input);
}

Result<std::string> RecordToJson(const LedgerRecord& r) {
  ZP_RETURN_IF_ERROR(CheckString("hash", r.hash));
  return Serialize(r, &r.hash);
}

Result<LedgerRecord> RecordFromJson(std::string_view json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("ledger record is not valid JSON: {}", e.what()));
  }
  if (!j.is_object()) return InvalidArgumentError("ledger record must be a JSON object");
  static constexpr std::string_view kKeys[] = {"actor",     "fields", "hash",  "kind",
                                               "prev_hash", "seq",    "time_s"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return InvalidArgumentError(fmt::format("unknown ledger record key '{}'", key));
    }
  }
  for (auto key : kKeys) {
    if (!j.contains(key)) {
      return InvalidArgumentError(fmt::format("ledger record lacks '{}'", key));
    }
  }
  LedgerRecord r;
  ZP_ASSIGN_OR_RETURN(r.seq, JsonInt(j["seq"], "seq"));
  ZP_ASSIGN_OR_RETURN(r.time_s, JsonInt(j["time_s"], "time_s"));
  ZP_ASSIGN_OR_RETURN(std::string kind, JsonString(j["kind"], "kind"));
  ZP_ASSIGN_OR_RETURN(r.kind, ParseLedgerKind(kind));
  ZP_ASSIGN_OR_RETURN(r.actor, JsonString(j["actor"], "actor"));
  ZP_ASSIGN_OR_RETURN(r.prev_hash, JsonString(j["prev_hash"], "prev_hash"));
  ZP_ASSIGN_OR_RETURN(r.hash, JsonString(j["hash"], "hash"));
  const auto& fields = j["fields"];
  if (!fields.is_object()) return InvalidArgumentError("ledger 'fields' must be a JSON object");
  for (const auto& [key, value] : fields.items()) {
    if (!ValidKey(key)) {
      return InvalidArgumentError(
          fmt::format("ledger field key '{}' must be 1-64 of [a-z0-9_]", key.substr(0, 80)));
    }
    const std::string what = "field " + key;
    if (value.is_string()) {
      r.fields.emplace(key, value.get<std::string>());
    } else if (value.is_number()) {
      ZP_ASSIGN_OR_RETURN(int64_t v, JsonInt(value, what));
      r.fields.emplace(key, v);
    } else {
      return InvalidArgumentError(fmt::format(
          "{}: a ledger field is an integer or a string, not {}", what, value.type_name()));
    }
  }
  return r;
}

Result<std::vector<LedgerRecord>> RecordsFromJsonLines(std::string_view text) {
  std::vector<LedgerRecord> out;
  int64_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto r = RecordFromJson(line);
    if (!r.ok()) return r.error().WithContext(fmt::format("line {}", line_no));
    out.push_back(std::move(*r));
  }
  return out;
}

ChainCheck CheckChain(std::span<const LedgerRecord> records,
                      std::optional<std::string_view> expected_head, int64_t first_seq,
                      std::string_view prev_hash) {
  std::string prev(prev_hash);
  int64_t expected = first_seq;
  int64_t good = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const LedgerRecord& r = records[i];
    if (r.seq != expected) {
      const bool present =
          std::any_of(records.begin() + i + 1, records.end(),
                      [expected](const LedgerRecord& o) { return o.seq == expected; });
      if (present || r.seq < expected) {
        return Fault(ChainFault::kOutOfOrder, expected, good, prev,
                     fmt::format("out of order: seq {} stands where seq {} belongs (records "
                                 "reordered or duplicated)",
                                 r.seq, expected),
                     fmt::format("顺序错乱: 第 {} 条出现在第 {} 条的位置 (记录被重排或重复)", r.seq,
                                 expected));
      }
      return Fault(ChainFault::kMissing, expected, good, prev,
                   fmt::format("missing: the next record is seq {} (record deleted)", r.seq),
                   fmt::format("缺失: 下一条为第 {} 条 (记录被删除)", r.seq));
    }
    if (!ValidHex64(r.prev_hash) || !ValidHex64(r.hash)) {
      return Fault(ChainFault::kMalformed, r.seq, good, prev,
                   "hash or prev_hash is not 64 lower-case hex digits",
                   "hash 或 prev_hash 不是 64 位小写十六进制");
    }
    if (r.prev_hash != prev) {
      return Fault(ChainFault::kPrevHashMismatch, r.seq, good, prev,
                   fmt::format("prev_hash does not match the hash of seq {} (that record was "
                               "replaced or forged)",
                               r.seq - 1),
                   fmt::format("prev_hash 与第 {} 条的哈希不符 (该记录被替换或伪造)", r.seq - 1));
    }
    auto h = ComputeRecordHash(r);
    if (!h.ok()) {
      return Fault(ChainFault::kMalformed, r.seq, good, prev, h.error().message(), "记录格式无效");
    }
    if (*h != r.hash) {
      return Fault(ChainFault::kHashMismatch, r.seq, good, prev,
                   fmt::format("hash mismatch (stored {}, recomputed {}): record edited",
                               r.hash.substr(0, 12), h->substr(0, 12)),
                   "哈希不符: 记录被篡改");
    }
    prev = r.hash;
    ++expected;
    ++good;
  }
  if (expected_head && *expected_head != prev) {
    return Fault(ChainFault::kHeadMismatch, expected, good, prev,
                 fmt::format("head hash {} differs from the expected {} after {} records: tail "
                             "truncated or replaced",
                             prev.substr(0, 12), expected_head->substr(0, 12), good),
                 fmt::format("末条哈希与预期不符 ({} 条后): 尾部被截断或替换", good));
  }
  ChainCheck ok;
  ok.records = good;
  ok.head_hash = std::move(prev);
  return ok;
}

Status VerifyChain(std::span<const LedgerRecord> records) { return CheckChain(records).status; }

Status VerifyChain(std::span<const LedgerRecord> records, std::string_view expected_head) {
  return CheckChain(records, expected_head).status;
}

// --- Ledger.

Ledger::Ledger(Sink sink) : head_(kGenesisHash) {
  if (sink) {
    sink_ = [sink = std::move(sink)](const LedgerRecord& r, std::string_view) { return sink(r); };
  }
}

Result<std::unique_ptr<Ledger>> Ledger::FromRecords(std::vector<LedgerRecord> records, Sink sink) {
  ZP_RETURN_IF_ERROR(VerifyChain(records));
  auto ledger = std::make_unique<Ledger>(std::move(sink));
  ledger->size_ = static_cast<int64_t>(records.size());
  if (!records.empty()) ledger->head_ = records.back().hash;
  ledger->records_ = std::move(records);
  return ledger;
}

std::unique_ptr<Ledger> Ledger::Resume(int64_t size, std::string head_hash, FieldsSink sink,
                                       Reader reader) {
  auto ledger = std::make_unique<Ledger>();
  ledger->sink_ = std::move(sink);
  ledger->reader_ = std::move(reader);
  ledger->size_ = size;
  ledger->head_ = std::move(head_hash);
  return ledger;
}

Result<LedgerRecord> Ledger::Append(LedgerKind kind, std::string_view actor, int64_t time_s,
                                    LedgerFields fields) {
  if (actor.empty()) return InvalidArgumentError("ledger record needs an actor");
  LedgerRecord r;
  r.time_s = time_s;
  r.kind = kind;
  r.actor = std::string(actor);
  r.fields = std::move(fields);
  std::lock_guard lock(mu_);
  r.seq = size_ + 1;
  r.prev_hash = head_;
  // The fields are serialized once, for the hash and for the sink.
  ZP_ASSIGN_OR_RETURN(std::string fields_json, CanonicalFields(r.fields));
  ZP_ASSIGN_OR_RETURN(
      r.hash, ComputeRecordHash(r.seq, r.time_s, r.kind, r.actor, fields_json, r.prev_hash));
  if (sink_) ZP_RETURN_IF_ERROR(sink_(r, fields_json));
  size_ = r.seq;
  head_ = r.hash;
  if (!reader_) records_.push_back(r);
  return r;
}

std::vector<LedgerRecord> Ledger::records() const {
  std::lock_guard lock(mu_);
  if (!reader_) return records_;
  if (size_ == 0) return {};
  auto r = reader_(1, size_);
  return r.ok() ? std::move(*r) : std::vector<LedgerRecord>();
}

std::vector<LedgerRecord> Ledger::Records(int64_t from_seq, int64_t limit) const {
  std::lock_guard lock(mu_);
  const int64_t first = std::max<int64_t>(from_seq, 1);
  if (limit <= 0 || first > size_) return {};
  const int64_t count = std::min(limit, size_ - first + 1);
  if (reader_) {
    auto r = reader_(first, count);
    return r.ok() ? std::move(*r) : std::vector<LedgerRecord>();
  }
  return {records_.begin() + (first - 1), records_.begin() + (first - 1 + count)};
}

std::string Ledger::head_hash() const {
  std::lock_guard lock(mu_);
  return head_;
}

int64_t Ledger::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

// --- CertificateBook.
//
// Layout: certificate data that never changes lives once per issuance; a bundle is a 48-byte
// slot (range, status, holder, consumer, ledger seq) in one vector, linked to the next bundle of
// its issuance in Wh order; strings are interned. Per device, its issuances in Wh order (issued
// sequentially) and by production hour. Two lazily sorted indexes of (hour, slot) serve the
// queries: every slot, and per party the slots it holds or consumes (an entry is added when a
// slot gains the party; stale entries are filtered when read).

namespace {

constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();
// Production hours are indexed in 32 bits (hours since 1970: up to the year 491,000); the index
// of the hour after the last one still fits.
constexpr int64_t kMaxHourS = ((int64_t{1} << 32) - 2) * 3600;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

Status Unreplayable(const LedgerRecord& r, std::string_view why) {
  return DataLossError(
      fmt::format("ledger seq {} ({}) does not apply to the certificates: {} / "
                  "账本第 {} 条无法重放到证书簿",
                  r.seq, LedgerKindName(r.kind), why, r.seq));
}

bool Usable(CertStatus s) { return s == CertStatus::kActive || s == CertStatus::kTransferred; }

}  // namespace

struct CertificateBook::Impl {
  explicit Impl(Ledger& l) : ledger(l) {
    names.emplace_back();
    name_ids.emplace(std::string(), 0);
  }

  struct Issuance {
    uint32_t device = 0, technology = 0, location = 0, issuer = 0, account = 0;  // interned
    uint32_t head = kNoSlot;                                                     // its first bundle
    uint32_t hint = kNoSlot;  // the bundle last isolated: operations tend to move forward
    int64_t production_hour_s = 0;
    int64_t from_wh = 0, to_wh = 0;
  };
  struct Slot {
    int64_t from_wh = 0, to_wh = 0;
    int64_t ledger_seq = 0;
    uint32_t issuance = 0;  // index into issuances
    uint32_t next = kNoSlot;
    uint32_t account = 0, consumer = 0;  // interned
    CertStatus status = CertStatus::kActive;
  };
  struct Device {
    int64_t next_wh = 0;
    std::vector<uint32_t> issuances;              // ascending in Wh
    std::unordered_map<int64_t, uint32_t> hours;  // production_hour_s -> issuance index
  };
  // (hour << 32 | slot) entries; [0, sorted) ascending and unique.
  struct Index {
    std::vector<uint64_t> entries;
    size_t sorted = 0;
    void Add(int64_t hour_s, uint32_t slot) {
      entries.push_back((static_cast<uint64_t>(hour_s / 3600) << 32) | slot);
    }
    void Sort() {
      if (sorted == entries.size()) return;
      auto mid = entries.begin() + static_cast<std::ptrdiff_t>(sorted);
      std::sort(mid, entries.end());
      std::inplace_merge(entries.begin(), mid, entries.end());
      entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
      sorted = entries.size();
    }
  };

  Ledger& ledger;
  std::mutex mu;
  std::vector<std::string> names;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> name_ids;
  std::vector<Issuance> issuances;
  std::vector<Slot> slots;
  std::map<std::string, Device, std::less<>> devices;
  std::array<int64_t, kCertStatusCount> wh_by_status{};
  int64_t issued_wh = 0;
  Index all;
  std::unordered_map<uint32_t, Index> by_party;

  uint32_t Intern(std::string_view s) {
    auto it = name_ids.find(s);
    if (it != name_ids.end()) return it->second;
    const auto id = static_cast<uint32_t>(names.size());
    names.emplace_back(s);
    name_ids.emplace(std::string(s), id);
    return id;
  }
  std::optional<uint32_t> FindName(std::string_view s) const {
    auto it = name_ids.find(s);
    if (it == name_ids.end()) return std::nullopt;
    return it->second;
  }

  CertBundle ToBundle(uint32_t s) const {
    const Slot& x = slots[s];
    const Issuance& i = issuances[x.issuance];
    CertBundle b;
    b.issuance_id = static_cast<int64_t>(x.issuance) + 1;
    b.device = names[i.device];
    b.technology = names[i.technology];
    b.location = names[i.location];
    b.issuer = names[i.issuer];
    b.production_hour_s = i.production_hour_s;
    b.from_wh = x.from_wh;
    b.to_wh = x.to_wh;
    b.status = x.status;
    b.account = names[x.account];
    b.consumer = names[x.consumer];
    b.ledger_seq = x.ledger_seq;
    return b;
  }

  uint32_t NewSlot(const Slot& x) {
    const auto id = static_cast<uint32_t>(slots.size());
    ZP_CHECK(id != kNoSlot);
    slots.push_back(x);
    const int64_t hour = issuances[x.issuance].production_hour_s;
    all.Add(hour, id);
    if (x.account != 0) by_party[x.account].Add(hour, id);
    if (x.consumer != 0 && x.consumer != x.account) by_party[x.consumer].Add(hour, id);
    return id;
  }

  // The slot holding `r` wholly, or an error.
  Result<uint32_t> Find(const WhRange& r) const {
    if (r.device.empty()) return InvalidArgumentError("certificate range needs a device");
    if (r.from_wh < 0 || r.to_wh <= r.from_wh) {
      return InvalidArgumentError(
          fmt::format("bad Wh range {}: need 0 <= from < to / Wh 区间无效", RangeText(r)));
    }
    auto dit = devices.find(r.device);
    if (dit == devices.end() || r.to_wh > dit->second.next_wh) {
      return NotFoundError(fmt::format("{} was not issued / 该区间未签发", RangeText(r)));
    }
    const std::vector<uint32_t>& iss = dit->second.issuances;
    auto it = std::upper_bound(iss.begin(), iss.end(), r.from_wh,
                               [&](int64_t wh, uint32_t i) { return wh < issuances[i].from_wh; });
    ZP_CHECK(it != iss.begin());  // issuances tile [0, next_wh)
    const Issuance& is = issuances[*(it - 1)];
    uint32_t s = is.hint != kNoSlot && slots[is.hint].from_wh <= r.from_wh ? is.hint : is.head;
    while (s != kNoSlot && slots[s].to_wh <= r.from_wh) s = slots[s].next;
    ZP_CHECK(s != kNoSlot && slots[s].from_wh <= r.from_wh);
    if (r.to_wh > slots[s].to_wh) {
      return FailedPreconditionError(fmt::format(
          "{} spans several certificate bundles; act on each bundle / 该区间跨越多个证书包",
          RangeText(r)));
    }
    return s;
  }

  // Splits slot `s` (which holds [from, to)) so that [from, to) is a slot of its own; returns it.
  uint32_t Isolate(uint32_t s, int64_t from, int64_t to) {
    if (slots[s].to_wh > to) {
      Slot right = slots[s];
      right.from_wh = to;
      const uint32_t ri = NewSlot(right);
      slots[s].to_wh = to;
      slots[s].next = ri;
    }
    if (slots[s].from_wh < from) {
      Slot mid = slots[s];
      mid.from_wh = from;
      const uint32_t mi = NewSlot(mid);
      slots[s].to_wh = from;
      slots[s].next = mi;
      issuances[slots[mi].issuance].hint = mi;
      return mi;
    }
    issuances[slots[s].issuance].hint = s;
    return s;
  }

  // Moves slot `s` to a new state written by ledger record `seq`.
  void Apply(uint32_t s, CertStatus status, uint32_t account, uint32_t consumer, int64_t seq) {
    Slot& x = slots[s];
    const int64_t wh = x.to_wh - x.from_wh;
    wh_by_status[static_cast<int>(x.status)] -= wh;
    wh_by_status[static_cast<int>(status)] += wh;
    const int64_t hour = issuances[x.issuance].production_hour_s;
    for (uint32_t party : {account, consumer}) {
      if (party != 0 && party != x.account && party != x.consumer) by_party[party].Add(hour, s);
    }
    x.status = status;
    x.account = account;
    x.consumer = consumer;
    x.ledger_seq = seq;
  }

  Result<int64_t> Append(LedgerKind kind, const CertAction& act, uint32_t s, const WhRange& r,
                         LedgerFields extra) {
    const Slot& x = slots[s];
    const Issuance& i = issuances[x.issuance];
    LedgerFields f = std::move(extra);
    f.emplace("issuance_id", static_cast<int64_t>(x.issuance) + 1);
    // Technology, location and issuer are in the issuance record (issuance_id): repeating them in
    // every later record would only grow the ledger.
    f.emplace("device", names[i.device]);
    f.emplace("production_hour_s", i.production_hour_s);
    f.emplace("from_wh", r.from_wh);
    f.emplace("to_wh", r.to_wh);
    f.emplace("wh", r.to_wh - r.from_wh);
    if (!act.reference.empty()) f.emplace("reference", act.reference);
    ZP_ASSIGN_OR_RETURN(LedgerRecord rec, ledger.Append(kind, act.actor, act.time_s, std::move(f)));
    return rec.seq;
  }

  Status WrongStatus(const WhRange& r, uint32_t s, std::string_view op) const {
    const Slot& x = slots[s];
    if (op == "allocate" &&
        (x.status == CertStatus::kAllocated || x.status == CertStatus::kClaimed)) {
      return FailedPreconditionError(fmt::format(
          "double allocation refused: {} is already {} to {} / 重复分配被拒绝: 该区间已{}",
          RangeText(r), CertStatusName(x.status), names[x.consumer], CertStatusNameZh(x.status)));
    }
    return FailedPreconditionError(fmt::format("cannot {} {}: it is {} / 无法操作: 该区间状态为{}",
                                               op, RangeText(r), CertStatusName(x.status),
                                               CertStatusNameZh(x.status)));
  }
  Status WrongHolder(const WhRange& r, uint32_t s, std::string_view who) const {
    return FailedPreconditionError(
        fmt::format("{} is held by account {}, not {} / 该区间不属于此账户", RangeText(r),
                    names[slots[s].account], who));
  }

  // The state after each operation, or why it is refused; shared by the operations and Replay.
  struct Next {
    CertStatus status;
    std::string account;   // new holder
    std::string consumer;  // new consumer
  };
  std::string_view IssueAccount(uint32_t s) const {
    return names[issuances[slots[s].issuance].account];
  }
  Result<Next> CheckTransfer(const WhRange& r, uint32_t s, std::string_view from,
                             std::string_view to) const {
    const Slot& x = slots[s];
    if (!Usable(x.status)) return WrongStatus(r, s, "transfer");
    if (names[x.account] != from) return WrongHolder(r, s, from);
    return Next{IssueAccount(s) == to ? CertStatus::kActive : CertStatus::kTransferred,
                std::string(to), names[x.consumer]};
  }
  Result<Next> CheckAllocate(const WhRange& r, uint32_t s, std::string_view account,
                             std::string_view consumer) const {
    const Slot& x = slots[s];
    if (!Usable(x.status)) return WrongStatus(r, s, "allocate");
    if (names[x.account] != account) return WrongHolder(r, s, account);
    return Next{CertStatus::kAllocated, names[x.account], std::string(consumer)};
  }
  Result<Next> CheckClaim(const WhRange& r, uint32_t s, std::string_view consumer) const {
    const Slot& x = slots[s];
    if (x.status == CertStatus::kAllocated) {
      if (names[x.consumer] != consumer) {
        return FailedPreconditionError(
            fmt::format("{} is allocated to {}, not {} / 该区间已分配给其他企业", RangeText(r),
                        names[x.consumer], consumer));
      }
    } else if (Usable(x.status)) {
      if (names[x.account] != consumer) return WrongHolder(r, s, consumer);
    } else {
      return WrongStatus(r, s, "claim");
    }
    return Next{CertStatus::kClaimed, names[x.account], std::string(consumer)};
  }
  Result<Next> CheckCancel(const WhRange& r, uint32_t s) const {
    const Slot& x = slots[s];
    if (x.status != CertStatus::kAllocated) return WrongStatus(r, s, "cancel the allocation of");
    return Next{
        IssueAccount(s) == names[x.account] ? CertStatus::kActive : CertStatus::kTransferred,
        names[x.account], std::string()};
  }
  Result<Next> CheckExpire(const WhRange& r, uint32_t s) const {
    const Slot& x = slots[s];
    if (!Usable(x.status) && x.status != CertStatus::kAllocated) return WrongStatus(r, s, "expire");
    return Next{CertStatus::kExpired, names[x.account], names[x.consumer]};
  }
  Result<Next> CheckWithdraw(const WhRange& r, uint32_t s) const {
    const Slot& x = slots[s];
    if (x.status == CertStatus::kClaimed || x.status == CertStatus::kWithdrawn) {
      return WrongStatus(r, s, "withdraw");
    }
    return Next{CertStatus::kWithdrawn, names[x.account], names[x.consumer]};
  }

  // Appends the record of `kind` for [r) of slot s, then moves it to `next`.
  Result<CertBundle> Commit(LedgerKind kind, const CertAction& act, uint32_t s, const WhRange& r,
                            const Next& next, LedgerFields extra) {
    const uint32_t account = Intern(next.account);
    const uint32_t consumer = Intern(next.consumer);
    ZP_ASSIGN_OR_RETURN(int64_t seq, Append(kind, act, s, r, std::move(extra)));
    const uint32_t m = Isolate(s, r.from_wh, r.to_wh);
    Apply(m, next.status, account, consumer, seq);
    return ToBundle(m);
  }

  Result<uint32_t> AddIssuance(const IssueRequest& req, int64_t seq) {
    auto dit = devices.find(req.device);
    if (dit != devices.end() && dit->second.hours.count(req.production_hour_s) != 0) {
      return AlreadyExistsError(fmt::format(
          "device {} hour {} already issued (issuance {}) / 该设备该小时已签发", req.device,
          req.production_hour_s, dit->second.hours.at(req.production_hour_s) + 1));
    }
    if (dit == devices.end()) dit = devices.emplace(req.device, Device{}).first;
    Device& d = dit->second;
    Issuance i;
    i.device = Intern(req.device);
    i.technology = Intern(req.technology);
    i.location = Intern(req.location);
    i.issuer = Intern(req.issuer);
    i.account = Intern(req.account);
    i.production_hour_s = req.production_hour_s;
    i.from_wh = d.next_wh;
    i.to_wh = d.next_wh + req.wh;
    const auto index = static_cast<uint32_t>(issuances.size());
    issuances.push_back(i);
    Slot x;
    x.from_wh = i.from_wh;
    x.to_wh = i.to_wh;
    x.ledger_seq = seq;
    x.issuance = index;
    x.account = i.account;
    const uint32_t s = NewSlot(x);
    issuances[index].head = s;
    d.next_wh = i.to_wh;
    d.issuances.push_back(index);
    d.hours.emplace(req.production_hour_s, index);
    wh_by_status[static_cast<int>(CertStatus::kActive)] += req.wh;
    issued_wh += req.wh;
    return index;
  }
};

CertificateBook::CertificateBook(Ledger& ledger) : impl_(std::make_unique<Impl>(ledger)) {}
CertificateBook::~CertificateBook() = default;

namespace {

Status CheckIssueRequest(const IssueRequest& req) {
  for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"device", req.device},
                             {"technology", req.technology},
                             {"location", req.location},
                             {"issuer", req.issuer},
                             {"account", req.account}}) {
    if (value.empty()) return InvalidArgumentError(fmt::format("issuance needs a {}", name));
    ZP_RETURN_IF_ERROR(CheckString(name, value));
  }
  if (req.production_hour_s < 0 || req.production_hour_s > kMaxHourS ||
      req.production_hour_s % 3600 != 0) {
    return InvalidArgumentError(
        fmt::format("production hour {} is not the UTC start of an hour / 生产时段须为整点",
                    req.production_hour_s));
  }
  if (req.wh <= 0 || req.wh > kMaxIssueWh) {
    return InvalidArgumentError(
        fmt::format("issued energy must be 1..{} whole Wh, got {} / 签发电量须为正整数 Wh",
                    kMaxIssueWh, req.wh));
  }
  return Status::OK();
}

}  // namespace

Result<CertBundle> CertificateBook::Issue(const IssueRequest& req, const CertAction& act) {
  ZP_RETURN_IF_ERROR(CheckIssueRequest(req));
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  auto dit = m.devices.find(req.device);
  if (dit != m.devices.end() && dit->second.hours.count(req.production_hour_s) != 0) {
    return AlreadyExistsError(fmt::format(
        "device {} hour {} already issued (issuance {}) / 该设备该小时已签发", req.device,
        req.production_hour_s, dit->second.hours.at(req.production_hour_s) + 1));
  }
  const int64_t from_wh = dit == m.devices.end() ? 0 : dit->second.next_wh;
  LedgerFields f{{"issuance_id", static_cast<int64_t>(m.issuances.size()) + 1},
                 {"device", req.device},
                 {"technology", req.technology},
                 {"location", req.location},
                 {"production_hour_s", req.production_hour_s},
                 {"from_wh", from_wh},
                 {"to_wh", from_wh + req.wh},
                 {"wh", req.wh},
                 {"issuer", req.issuer},
                 {"account", req.account},
                 {"status", std::string(CertStatusName(CertStatus::kActive))}};
  if (!act.reference.empty()) f.emplace("reference", act.reference);
  ZP_ASSIGN_OR_RETURN(LedgerRecord rec,
                      m.ledger.Append(LedgerKind::kIssuance, act.actor, act.time_s, std::move(f)));
  ZP_ASSIGN_OR_RETURN(uint32_t index, m.AddIssuance(req, rec.seq));
  return m.ToBundle(m.issuances[index].head);
}

Result<CertBundle> CertificateBook::Transfer(const WhRange& r, std::string_view from_account,
                                             std::string_view to_account, const CertAction& act) {
  if (to_account.empty() || to_account == from_account) {
    return InvalidArgumentError("transfer needs a different, non-empty target account");
  }
  ZP_RETURN_IF_ERROR(CheckString("to_account", to_account));
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  ZP_ASSIGN_OR_RETURN(uint32_t s, m.Find(r));
  ZP_ASSIGN_OR_RETURN(Impl::Next next, m.CheckTransfer(r, s, from_account, to_account));
  return m.Commit(LedgerKind::kTransfer, act, s, r, next,
                  {{"from_account", std::string(from_account)},
                   {"to_account", std::string(to_account)},
                   {"status", std::string(CertStatusName(next.status))}});
}

Result<CertBundle> CertificateBook::Allocate(const WhRange& r, std::string_view account,
                                             std::string_view consumer, const CertAction& act) {
  if (consumer.empty()) return InvalidArgumentError("allocation needs a consumer enterprise");
  ZP_RETURN_IF_ERROR(CheckString("consumer", consumer));
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  ZP_ASSIGN_OR_RETURN(uint32_t s, m.Find(r));
  ZP_ASSIGN_OR_RETURN(Impl::Next next, m.CheckAllocate(r, s, account, consumer));
  return m.Commit(LedgerKind::kAllocation, act, s, r, next,
                  {{"account", next.account},
                   {"consumer", std::string(consumer)},
                   {"status", std::string(CertStatusName(next.status))}});
}

Result<CertBundle> CertificateBook::Claim(const WhRange& r, std::string_view consumer,
                                          const CertAction& act) {
  return Claim(r, consumer, act, {});
}

Result<CertBundle> CertificateBook::Claim(const WhRange& r, std::string_view consumer,
                                          const CertAction& act, LedgerFields extra) {
  if (consumer.empty()) return InvalidArgumentError("claim needs a consumer enterprise");
  ZP_RETURN_IF_ERROR(CheckString("consumer", consumer));
  static constexpr std::string_view kOwn[] = {
      "account",           "consumer",  "device", "from_wh",    "issuance_id", "location",
      "production_hour_s", "reference", "status", "technology", "to_wh",       "wh"};
  for (const auto& [key, value] : extra) {
    if (std::find(std::begin(kOwn), std::end(kOwn), key) != std::end(kOwn)) {
      return InvalidArgumentError(
          fmt::format("claim field '{}' is written by the certificate book itself", key));
    }
  }
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  ZP_ASSIGN_OR_RETURN(uint32_t s, m.Find(r));
  ZP_ASSIGN_OR_RETURN(Impl::Next next, m.CheckClaim(r, s, consumer));
  extra.emplace("account", next.account);
  extra.emplace("consumer", std::string(consumer));
  extra.emplace("status", std::string(CertStatusName(next.status)));
  return m.Commit(LedgerKind::kClaim, act, s, r, next, std::move(extra));
}

Result<CertBundle> CertificateBook::CancelAllocation(const WhRange& r, const CertAction& act) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  ZP_ASSIGN_OR_RETURN(uint32_t s, m.Find(r));
  ZP_ASSIGN_OR_RETURN(Impl::Next next, m.CheckCancel(r, s));
  return m.Commit(LedgerKind::kCancellation, act, s, r, next,
                  {{"account", next.account},
                   {"consumer", m.names[m.slots[s].consumer]},
                   {"status", std::string(CertStatusName(next.status))}});
}

Result<int64_t> CertificateBook::ExpireBefore(int64_t cutoff_hour_s, const CertAction& act) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  // Whole bundles in (device, Wh) order; their status changes, nothing splits.
  std::vector<uint32_t> due;
  for (const auto& [name, d] : m.devices) {
    for (uint32_t i : d.issuances) {
      if (m.issuances[i].production_hour_s >= cutoff_hour_s) continue;
      for (uint32_t s = m.issuances[i].head; s != kNoSlot; s = m.slots[s].next) {
        const CertStatus st = m.slots[s].status;
        if (Usable(st) || st == CertStatus::kAllocated) due.push_back(s);
      }
    }
  }
  int64_t expired = 0;
  for (uint32_t s : due) {
    const Impl::Slot& x = m.slots[s];
    const WhRange r{m.names[m.issuances[x.issuance].device], x.from_wh, x.to_wh};
    ZP_ASSIGN_OR_RETURN(Impl::Next next, m.CheckExpire(r, s));
    ZP_RETURN_IF_ERROR(m.Commit(LedgerKind::kExpiry, act, s, r, next,
                                {{"account", next.account},
                                 {"status_before", std::string(CertStatusName(x.status))},
                                 {"status", std::string(CertStatusName(next.status))}})
                           .status());
    expired += r.wh();
  }
  return expired;
}

Result<CertBundle> CertificateBook::Withdraw(const WhRange& r, const CertAction& act) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  ZP_ASSIGN_OR_RETURN(uint32_t s, m.Find(r));
  ZP_ASSIGN_OR_RETURN(Impl::Next next, m.CheckWithdraw(r, s));
  return m.Commit(LedgerKind::kWithdrawal, act, s, r, next,
                  {{"account", next.account},
                   {"status_before", std::string(CertStatusName(m.slots[s].status))},
                   {"status", std::string(CertStatusName(next.status))}});
}

namespace {

const LedgerValue* FieldOf(const LedgerRecord& r, std::string_view key) {
  auto it = r.fields.find(key);
  return it == r.fields.end() ? nullptr : &it->second;
}

Result<int64_t> IntField(const LedgerRecord& r, std::string_view key) {
  const LedgerValue* v = FieldOf(r, key);
  if (v == nullptr || !std::holds_alternative<int64_t>(*v)) {
    return Unreplayable(r, fmt::format("integer field '{}' missing", key));
  }
  return std::get<int64_t>(*v);
}

Result<std::string_view> StringField(const LedgerRecord& r, std::string_view key) {
  const LedgerValue* v = FieldOf(r, key);
  if (v == nullptr || !std::holds_alternative<std::string>(*v)) {
    return Unreplayable(r, fmt::format("string field '{}' missing", key));
  }
  return std::string_view(std::get<std::string>(*v));
}

}  // namespace

Status CertificateBook::Replay(const LedgerRecord& r) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  ZP_ASSIGN_OR_RETURN(int64_t issuance_id, IntField(r, "issuance_id"));
  ZP_ASSIGN_OR_RETURN(std::string_view device, StringField(r, "device"));
  ZP_ASSIGN_OR_RETURN(int64_t from_wh, IntField(r, "from_wh"));
  ZP_ASSIGN_OR_RETURN(int64_t to_wh, IntField(r, "to_wh"));
  ZP_ASSIGN_OR_RETURN(int64_t hour_s, IntField(r, "production_hour_s"));
  ZP_ASSIGN_OR_RETURN(std::string_view status_name, StringField(r, "status"));
  const WhRange range{std::string(device), from_wh, to_wh};

  if (r.kind == LedgerKind::kIssuance) {
    IssueRequest req;
    req.device = range.device;
    ZP_ASSIGN_OR_RETURN(std::string_view technology, StringField(r, "technology"));
    ZP_ASSIGN_OR_RETURN(std::string_view location, StringField(r, "location"));
    ZP_ASSIGN_OR_RETURN(std::string_view issuer, StringField(r, "issuer"));
    ZP_ASSIGN_OR_RETURN(std::string_view account, StringField(r, "account"));
    req.technology = technology;
    req.location = location;
    req.issuer = issuer;
    req.account = account;
    req.production_hour_s = hour_s;
    req.wh = to_wh - from_wh;
    if (Status s = CheckIssueRequest(req); !s.ok()) return Unreplayable(r, s.message());
    if (issuance_id != static_cast<int64_t>(m.issuances.size()) + 1) {
      return Unreplayable(
          r, fmt::format("issuance {} where {} is next", issuance_id, m.issuances.size() + 1));
    }
    auto dit = m.devices.find(device);
    const int64_t next_wh = dit == m.devices.end() ? 0 : dit->second.next_wh;
    if (from_wh != next_wh) {
      return Unreplayable(r, fmt::format("issues from Wh {} where {} is next", from_wh, next_wh));
    }
    if (status_name != CertStatusName(CertStatus::kActive)) {
      return Unreplayable(r, "issued with a status other than active");
    }
    auto added = m.AddIssuance(req, r.seq);
    if (!added.ok()) return Unreplayable(r, added.status().message());
    return Status::OK();
  }

  auto found = m.Find(range);
  if (!found.ok()) return Unreplayable(r, found.status().message());
  const uint32_t s = *found;
  if (static_cast<int64_t>(m.slots[s].issuance) + 1 != issuance_id ||
      m.issuances[m.slots[s].issuance].production_hour_s != hour_s) {
    return Unreplayable(r, "issuance or production hour differ from the issued range");
  }
  Result<Impl::Next> next = InternalError("unreachable");
  switch (r.kind) {
    case LedgerKind::kTransfer: {
      ZP_ASSIGN_OR_RETURN(std::string_view from, StringField(r, "from_account"));
      ZP_ASSIGN_OR_RETURN(std::string_view to, StringField(r, "to_account"));
      next = m.CheckTransfer(range, s, from, to);
      break;
    }
    case LedgerKind::kAllocation: {
      ZP_ASSIGN_OR_RETURN(std::string_view account, StringField(r, "account"));
      ZP_ASSIGN_OR_RETURN(std::string_view consumer, StringField(r, "consumer"));
      next = m.CheckAllocate(range, s, account, consumer);
      break;
    }
    case LedgerKind::kClaim: {
      ZP_ASSIGN_OR_RETURN(std::string_view consumer, StringField(r, "consumer"));
      next = m.CheckClaim(range, s, consumer);
      break;
    }
    case LedgerKind::kCancellation:
      next = m.CheckCancel(range, s);
      break;
    case LedgerKind::kExpiry:
      next = m.CheckExpire(range, s);
      break;
    case LedgerKind::kWithdrawal:
      next = m.CheckWithdraw(range, s);
      break;
    case LedgerKind::kIssuance:
      break;
  }
  if (!next.ok()) return Unreplayable(r, next.status().message());
  if (CertStatusName(next->status) != status_name) {
    return Unreplayable(r, fmt::format("records status {} where the book gives {}", status_name,
                                       CertStatusName(next->status)));
  }
  const uint32_t account = m.Intern(next->account);
  const uint32_t consumer = m.Intern(next->consumer);
  const uint32_t mid = m.Isolate(s, from_wh, to_wh);
  m.Apply(mid, next->status, account, consumer, r.seq);
  return Status::OK();
}

std::vector<CertBundle> CertificateBook::Bundles() const {
  const Impl& m = *impl_;
  std::lock_guard lock(impl_->mu);
  std::vector<CertBundle> out;
  out.reserve(m.slots.size());
  for (const auto& [name, d] : m.devices) {
    for (uint32_t i : d.issuances) {
      for (uint32_t s = m.issuances[i].head; s != kNoSlot; s = m.slots[s].next) {
        out.push_back(m.ToBundle(s));
      }
    }
  }
  return out;
}

std::array<int64_t, kCertStatusCount> CertificateBook::WhByStatus() const {
  std::lock_guard lock(impl_->mu);
  return impl_->wh_by_status;
}

int64_t CertificateBook::IssuedWh() const {
  std::lock_guard lock(impl_->mu);
  return impl_->issued_wh;
}

std::optional<WhRange> CertificateBook::IssuedRange(std::string_view device,
                                                    int64_t production_hour_s) const {
  const Impl& m = *impl_;
  std::lock_guard lock(impl_->mu);
  auto dit = m.devices.find(device);
  if (dit == m.devices.end()) return std::nullopt;
  auto it = dit->second.hours.find(production_hour_s);
  if (it == dit->second.hours.end()) return std::nullopt;
  const Impl::Issuance& i = m.issuances[it->second];
  return WhRange{std::string(device), i.from_wh, i.to_wh};
}

CertPage CertificateBook::Query(const CertQuery& q) const {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  CertPage page;
  const int64_t from_s = std::max<int64_t>(q.from_hour_s, 0);
  const int64_t to_s = std::min(q.to_hour_s, kMaxHourS + 3600);
  if (from_s >= to_s) return page;
  const uint64_t lo = static_cast<uint64_t>((from_s + 3599) / 3600) << 32;
  const uint64_t hi = static_cast<uint64_t>((to_s + 3599) / 3600) << 32;

  // Wanted parties and device as interned ids; a name never interned matches nothing.
  std::vector<uint32_t> parties;
  for (const std::string& p : q.parties) {
    if (auto id = m.FindName(p)) parties.push_back(*id);
  }
  std::sort(parties.begin(), parties.end());
  parties.erase(std::unique(parties.begin(), parties.end()), parties.end());
  if (!q.parties.empty() && parties.empty()) return page;
  std::optional<uint32_t> device;
  const Impl::Device* dev = nullptr;
  if (!q.device.empty()) {
    auto dit = m.devices.find(q.device);
    if (dit == m.devices.end()) return page;
    dev = &dit->second;
    device = m.FindName(q.device);
  }

  // Candidates: (hour, slot) ascending, from the narrowest source.
  std::vector<uint64_t> candidates;
  auto take_range = [&](Impl::Index& index) {
    index.Sort();
    auto b = std::lower_bound(index.entries.begin(), index.entries.end(), lo);
    auto e = std::lower_bound(b, index.entries.end(), hi);
    candidates.insert(candidates.end(), b, e);
  };
  if (dev != nullptr) {
    for (uint32_t i : dev->issuances) {
      const Impl::Issuance& is = m.issuances[i];
      if (is.production_hour_s < from_s || is.production_hour_s >= to_s) continue;
      for (uint32_t s = is.head; s != kNoSlot; s = m.slots[s].next) {
        candidates.push_back((static_cast<uint64_t>(is.production_hour_s / 3600) << 32) | s);
      }
    }
    std::sort(candidates.begin(), candidates.end());
  } else if (!parties.empty()) {
    for (uint32_t p : parties) {
      auto it = m.by_party.find(p);
      if (it != m.by_party.end()) take_range(it->second);
    }
    if (parties.size() > 1) {
      std::sort(candidates.begin(), candidates.end());
      candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    }
  } else {
    take_range(m.all);
  }

  auto party_ok = [&](const Impl::Slot& x) {
    if (parties.empty()) return true;
    return std::binary_search(parties.begin(), parties.end(), x.account) ||
           (x.consumer != 0 && std::binary_search(parties.begin(), parties.end(), x.consumer));
  };
  // Order inside an hour: device name, then Wh.
  std::unordered_map<uint32_t, uint32_t> device_rank;
  {
    uint32_t rank = 0;
    for (const auto& [name, d] : m.devices) {
      if (!d.issuances.empty()) device_rank[m.issuances[d.issuances.front()].device] = rank++;
    }
  }
  const int64_t page_begin = std::max<int64_t>(q.offset, 0);
  const int64_t page_end = q.limit <= 0 ? page_begin : page_begin + q.limit;
  std::vector<uint32_t> hour_matches;
  auto flush_hour = [&]() {
    const auto n = static_cast<int64_t>(hour_matches.size());
    const int64_t first = page.total;
    page.total += n;
    if (n == 0) return;
    if (first + n > page_begin && first < page_end) {
      std::sort(hour_matches.begin(), hour_matches.end(), [&](uint32_t a, uint32_t b) {
        const uint32_t da = device_rank[m.issuances[m.slots[a].issuance].device];
        const uint32_t db = device_rank[m.issuances[m.slots[b].issuance].device];
        if (da != db) return da < db;
        return m.slots[a].from_wh < m.slots[b].from_wh;
      });
      for (int64_t k = std::max<int64_t>(0, page_begin - first); k < n && first + k < page_end;
           ++k) {
        page.bundles.push_back(m.ToBundle(hour_matches[k]));
      }
    }
    hour_matches.clear();
  };
  uint64_t current_hour = UINT64_MAX;
  for (uint64_t e : candidates) {
    const auto s = static_cast<uint32_t>(e & 0xFFFFFFFFu);
    const Impl::Slot& x = m.slots[s];
    if (!party_ok(x)) continue;
    if (device && m.issuances[x.issuance].device != *device) continue;
    const int64_t wh = x.to_wh - x.from_wh;
    page.wh_by_status[static_cast<int>(x.status)] += wh;
    if (q.status && x.status != *q.status) continue;
    if ((e >> 32) != current_hour) {
      flush_hour();
      current_hour = e >> 32;
    }
    hour_matches.push_back(s);
    page.total_wh += wh;
  }
  flush_hour();
  return page;
}

}  // namespace zp::green
