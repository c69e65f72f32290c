#include "zp/green/ledger.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
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
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool ValidHex64(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

void AppendEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
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
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

Status CheckString(std::string_view what, std::string_view s) {
  if (!ValidUtf8(s)) return InvalidArgumentError(fmt::format("{} is not valid UTF-8", what));
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
  out += ",\"fields\":{";
  bool first = true;
  for (const auto& [key, value] : r.fields) {
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
      out += fmt::format("{}", *i);
    } else {
      const auto& s = std::get<std::string>(value);
      if (!ValidUtf8(s)) {
        return InvalidArgumentError(fmt::format("ledger field '{}' is not valid UTF-8", key));
      }
      AppendEscaped(out, s);
    }
  }
  out += "}";
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

Ledger::Ledger(Sink sink) : sink_(std::move(sink)) {}

Result<std::unique_ptr<Ledger>> Ledger::FromRecords(std::vector<LedgerRecord> records, Sink sink) {
  ZP_RETURN_IF_ERROR(VerifyChain(records));
  auto ledger = std::make_unique<Ledger>(std::move(sink));
  ledger->records_ = std::move(records);
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
  r.seq = static_cast<int64_t>(records_.size()) + 1;
  r.prev_hash = records_.empty() ? std::string(kGenesisHash) : records_.back().hash;
  ZP_ASSIGN_OR_RETURN(r.hash, ComputeRecordHash(r));
  if (sink_) ZP_RETURN_IF_ERROR(sink_(r));
  records_.push_back(r);
  return r;
}

std::vector<LedgerRecord> Ledger::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

std::vector<LedgerRecord> Ledger::Records(int64_t from_seq, int64_t limit) const {
  std::lock_guard lock(mu_);
  const int64_t n = static_cast<int64_t>(records_.size());
  const int64_t begin = std::clamp<int64_t>(from_seq - 1, 0, n);
  const int64_t end = limit <= 0 ? begin : begin + std::min(limit, n - begin);
  return {records_.begin() + begin, records_.begin() + end};
}

std::string Ledger::head_hash() const {
  std::lock_guard lock(mu_);
  return records_.empty() ? std::string(kGenesisHash) : records_.back().hash;
}

int64_t Ledger::size() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(records_.size());
}

// --- CertificateBook.

CertificateBook::CertificateBook(Ledger& ledger) : ledger_(ledger) {}

Result<CertBundle*> CertificateBook::FindLocked(const WhRange& r) {
  if (r.device.empty()) return InvalidArgumentError("certificate range needs a device");
  if (r.from_wh < 0 || r.to_wh <= r.from_wh) {
    return InvalidArgumentError(
        fmt::format("bad Wh range {}: need 0 <= from < to / Wh 区间无效", RangeText(r)));
  }
  auto dit = devices_.find(r.device);
  if (dit == devices_.end() || r.to_wh > dit->second.next_wh) {
    return NotFoundError(fmt::format("{} was not issued / 该区间未签发", RangeText(r)));
  }
  auto& bundles = dit->second.bundles;
  auto it = bundles.upper_bound(r.from_wh);
  ZP_CHECK(it != bundles.begin());  // bundles tile [0, next_wh)
  --it;
  if (r.to_wh > it->second.to_wh) {
    return FailedPreconditionError(fmt::format(
        "{} spans several certificate bundles; act on each bundle / 该区间跨越多个证书包",
        RangeText(r)));
  }
  return &it->second;
}

CertBundle& CertificateBook::IsolateLocked(const WhRange& r) {
  auto& bundles = devices_.find(r.device)->second.bundles;
  auto it = std::prev(bundles.upper_bound(r.from_wh));
  CertBundle orig = std::move(it->second);
  bundles.erase(it);
  if (orig.from_wh < r.from_wh) {
    CertBundle left = orig;
    left.to_wh = r.from_wh;
    bundles.emplace(left.from_wh, std::move(left));
  }
  if (r.to_wh < orig.to_wh) {
    CertBundle right = orig;
    right.from_wh = r.to_wh;
    bundles.emplace(right.from_wh, std::move(right));
  }
  orig.from_wh = r.from_wh;
  orig.to_wh = r.to_wh;
  return bundles.emplace(r.from_wh, std::move(orig)).first->second;
}

Status CertificateBook::AppendLocked(LedgerKind kind, const CertAction& act, const CertBundle& b,
                                     const WhRange& r, LedgerFields extra) {
  LedgerFields f = std::move(extra);
  f.emplace("issuance_id", b.issuance_id);
  f.emplace("device", b.device);
  f.emplace("technology", b.technology);
  f.emplace("location", b.location);
  f.emplace("production_hour_s", b.production_hour_s);
  f.emplace("from_wh", r.from_wh);
  f.emplace("to_wh", r.to_wh);
  f.emplace("wh", r.to_wh - r.from_wh);
  if (!act.reference.empty()) f.emplace("reference", act.reference);
  return ledger_.Append(kind, act.actor, act.time_s, std::move(f)).status();
}

Result<CertBundle> CertificateBook::Issue(const IssueRequest& req, const CertAction& act) {
  for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"device", req.device},
                             {"technology", req.technology},
                             {"location", req.location},
                             {"issuer", req.issuer},
                             {"account", req.account}}) {
    if (value.empty()) return InvalidArgumentError(fmt::format("issuance needs a {}", name));
    ZP_RETURN_IF_ERROR(CheckString(name, value));
  }
  if (req.production_hour_s < 0 || req.production_hour_s % 3600 != 0) {
    return InvalidArgumentError(
        fmt::format("production hour {} is not the UTC start of an hour / 生产时段须为整点",
                    req.production_hour_s));
  }
  if (req.wh <= 0 || req.wh > kMaxIssueWh) {
    return InvalidArgumentError(
        fmt::format("issued energy must be 1..{} whole Wh, got {} / 签发电量须为正整数 Wh",
                    kMaxIssueWh, req.wh));
  }
  std::lock_guard lock(mu_);
  auto dit = devices_.find(req.device);
  if (dit != devices_.end() && dit->second.hours.count(req.production_hour_s) != 0) {
    return AlreadyExistsError(fmt::format(
        "device {} hour {} already issued (issuance {}) / 该设备该小时已签发", req.device,
        req.production_hour_s, dit->second.hours.at(req.production_hour_s)));
  }
  CertBundle b;
  b.issuance_id = next_issuance_id_;
  b.device = req.device;
  b.technology = req.technology;
  b.location = req.location;
  b.issuer = req.issuer;
  b.production_hour_s = req.production_hour_s;
  b.from_wh = dit == devices_.end() ? 0 : dit->second.next_wh;
  b.to_wh = b.from_wh + req.wh;
  b.status = CertStatus::kActive;
  b.account = req.account;
  const WhRange r{b.device, b.from_wh, b.to_wh};
  ZP_RETURN_IF_ERROR(AppendLocked(LedgerKind::kIssuance, act, b, r,
                                  {{"issuer", b.issuer},
                                   {"account", b.account},
                                   {"status", std::string(CertStatusName(b.status))}}));
  ++next_issuance_id_;
  Device& d = devices_[req.device];
  d.next_wh = b.to_wh;
  d.hours.emplace(b.production_hour_s, b.issuance_id);
  d.issue_accounts.emplace(b.issuance_id, b.account);
  d.bundles.emplace(b.from_wh, b);
  return b;
}

namespace {

bool Usable(CertStatus s) { return s == CertStatus::kActive || s == CertStatus::kTransferred; }

Status WrongStatus(const WhRange& r, const CertBundle& b, std::string_view op) {
  if (op == "allocate" &&
      (b.status == CertStatus::kAllocated || b.status == CertStatus::kClaimed)) {
    return FailedPreconditionError(fmt::format(
        "double allocation refused: {} is already {} to {} / 重复分配被拒绝: 该区间已{}",
        RangeText(r), CertStatusName(b.status), b.consumer, CertStatusNameZh(b.status)));
  }
  return FailedPreconditionError(fmt::format("cannot {} {}: it is {} / 无法操作: 该区间状态为{}",
                                             op, RangeText(r), CertStatusName(b.status),
                                             CertStatusNameZh(b.status)));
}

Status WrongHolder(const WhRange& r, const CertBundle& b, std::string_view who) {
  return FailedPreconditionError(fmt::format(
      "{} is held by account {}, not {} / 该区间不属于此账户", RangeText(r), b.account, who));
}

}  // namespace

Result<CertBundle> CertificateBook::Transfer(const WhRange& r, std::string_view from_account,
                                             std::string_view to_account, const CertAction& act) {
  if (to_account.empty() || to_account == from_account) {
    return InvalidArgumentError("transfer needs a different, non-empty target account");
  }
  ZP_RETURN_IF_ERROR(CheckString("to_account", to_account));
  std::lock_guard lock(mu_);
  ZP_ASSIGN_OR_RETURN(CertBundle * b, FindLocked(r));
  if (!Usable(b->status)) return WrongStatus(r, *b, "transfer");
  if (b->account != from_account) return WrongHolder(r, *b, from_account);
  const bool back_home =
      devices_.find(r.device)->second.issue_accounts.at(b->issuance_id) == to_account;
  const CertStatus next = back_home ? CertStatus::kActive : CertStatus::kTransferred;
  ZP_RETURN_IF_ERROR(AppendLocked(LedgerKind::kTransfer, act, *b, r,
                                  {{"from_account", std::string(from_account)},
                                   {"to_account", std::string(to_account)},
                                   {"status", std::string(CertStatusName(next))}}));
  CertBundle& m = IsolateLocked(r);
  m.account = std::string(to_account);
  m.status = next;
  return m;
}

Result<CertBundle> CertificateBook::Allocate(const WhRange& r, std::string_view account,
                                             std::string_view consumer, const CertAction& act) {
  if (consumer.empty()) return InvalidArgumentError("allocation needs a consumer enterprise");
  ZP_RETURN_IF_ERROR(CheckString("consumer", consumer));
  std::lock_guard lock(mu_);
  ZP_ASSIGN_OR_RETURN(CertBundle * b, FindLocked(r));
  if (!Usable(b->status)) return WrongStatus(r, *b, "allocate");
  if (b->account != account) return WrongHolder(r, *b, account);
  ZP_RETURN_IF_ERROR(
      AppendLocked(LedgerKind::kAllocation, act, *b, r,
                   {{"account", b->account},
                    {"consumer", std::string(consumer)},
                    {"status", std::string(CertStatusName(CertStatus::kAllocated))}}));
  CertBundle& m = IsolateLocked(r);
  m.status = CertStatus::kAllocated;
  m.consumer = std::string(consumer);
  return m;
}

Result<CertBundle> CertificateBook::Claim(const WhRange& r, std::string_view consumer,
                                          const CertAction& act) {
  if (consumer.empty()) return InvalidArgumentError("claim needs a consumer enterprise");
  std::lock_guard lock(mu_);
  ZP_ASSIGN_OR_RETURN(CertBundle * b, FindLocked(r));
  if (b->status == CertStatus::kAllocated) {
    if (b->consumer != consumer) {
      return FailedPreconditionError(
          fmt::format("{} is allocated to {}, not {} / 该区间已分配给其他企业", RangeText(r),
                      b->consumer, consumer));
    }
  } else if (Usable(b->status)) {
    if (b->account != consumer) return WrongHolder(r, *b, consumer);
  } else {
    return WrongStatus(r, *b, "claim");
  }
  ZP_RETURN_IF_ERROR(AppendLocked(LedgerKind::kClaim, act, *b, r,
                                  {{"account", b->account},
                                   {"consumer", std::string(consumer)},
                                   {"status", std::string(CertStatusName(CertStatus::kClaimed))}}));
  CertBundle& m = IsolateLocked(r);
  m.status = CertStatus::kClaimed;
  m.consumer = std::string(consumer);
  return m;
}

Result<CertBundle> CertificateBook::CancelAllocation(const WhRange& r, const CertAction& act) {
  std::lock_guard lock(mu_);
  ZP_ASSIGN_OR_RETURN(CertBundle * b, FindLocked(r));
  if (b->status != CertStatus::kAllocated) return WrongStatus(r, *b, "cancel the allocation of");
  const bool home = devices_.find(r.device)->second.issue_accounts.at(b->issuance_id) == b->account;
  const CertStatus next = home ? CertStatus::kActive : CertStatus::kTransferred;
  ZP_RETURN_IF_ERROR(AppendLocked(LedgerKind::kCancellation, act, *b, r,
                                  {{"account", b->account},
                                   {"consumer", b->consumer},
                                   {"status", std::string(CertStatusName(next))}}));
  CertBundle& m = IsolateLocked(r);
  m.status = next;
  m.consumer.clear();
  return m;
}

Result<int64_t> CertificateBook::ExpireBefore(int64_t cutoff_hour_s, const CertAction& act) {
  std::lock_guard lock(mu_);
  int64_t expired = 0;
  for (auto& [name, d] : devices_) {
    for (auto& [from, b] : d.bundles) {
      if (b.production_hour_s >= cutoff_hour_s) continue;
      if (!Usable(b.status) && b.status != CertStatus::kAllocated) continue;
      const WhRange r{b.device, b.from_wh, b.to_wh};
      ZP_RETURN_IF_ERROR(
          AppendLocked(LedgerKind::kExpiry, act, b, r,
                       {{"account", b.account},
                        {"status_before", std::string(CertStatusName(b.status))},
                        {"status", std::string(CertStatusName(CertStatus::kExpired))}}));
      b.status = CertStatus::kExpired;
      expired += r.wh();
    }
  }
  return expired;
}

Result<CertBundle> CertificateBook::Withdraw(const WhRange& r, const CertAction& act) {
  std::lock_guard lock(mu_);
  ZP_ASSIGN_OR_RETURN(CertBundle * b, FindLocked(r));
  if (b->status == CertStatus::kClaimed || b->status == CertStatus::kWithdrawn) {
    return WrongStatus(r, *b, "withdraw");
  }
  ZP_RETURN_IF_ERROR(
      AppendLocked(LedgerKind::kWithdrawal, act, *b, r,
                   {{"account", b->account},
                    {"status_before", std::string(CertStatusName(b->status))},
                    {"status", std::string(CertStatusName(CertStatus::kWithdrawn))}}));
  CertBundle& m = IsolateLocked(r);
  m.status = CertStatus::kWithdrawn;
  return m;
}

std::vector<CertBundle> CertificateBook::Bundles() const {
  std::lock_guard lock(mu_);
  std::vector<CertBundle> out;
  for (const auto& [name, d] : devices_) {
    for (const auto& [from, b] : d.bundles) out.push_back(b);
  }
  return out;
}

std::array<int64_t, kCertStatusCount> CertificateBook::WhByStatus() const {
  std::lock_guard lock(mu_);
  std::array<int64_t, kCertStatusCount> out{};
  for (const auto& [name, d] : devices_) {
    for (const auto& [from, b] : d.bundles) out[static_cast<int>(b.status)] += b.to_wh - b.from_wh;
  }
  return out;
}

int64_t CertificateBook::IssuedWh() const {
  std::lock_guard lock(mu_);
  int64_t total = 0;
  for (const auto& [name, d] : devices_) total += d.next_wh;
  return total;
}

}  // namespace zp::green
