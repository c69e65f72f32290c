#include "zp/hj212/segment.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>

#include "zp/hj212/frame.h"

namespace zp::hj212 {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  for (const char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// 1..max_digits decimal digits.
bool ParseSmallInt(std::string_view s, size_t max_digits, int32_t* out) {
  if (s.empty() || s.size() > max_digits || !AllDigits(s)) return false;
  int32_t v = 0;
  for (const char c : s) v = v * 10 + (c - '0');
  *out = v;
  return true;
}

// 10^0 .. 10^22, all exact in a double.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A finite decimal number, optionally signed, optionally with an exponent. Refuses "nan", "inf",
// hex and empty text. The usual "[-]digits[.digits]" with a mantissa below 2^53 takes a fast path
// whose single division is correctly rounded (both operands are exact), so it gives the same
// double as from_chars.
bool ParseNumber(std::string_view text, double* out) {
  std::string_view t = text;
  if (!t.empty() && t[0] == '+') t.remove_prefix(1);
  if (t.empty()) return false;
  const bool negative = t[0] == '-';
  uint64_t mantissa = 0;
  int digits = 0;
  int decimals = -1;  // digits after the point; -1 before any point
  size_t i = negative ? 1 : 0;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (IsDigit(c)) {
      if (++digits > 19) break;
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
      if (decimals >= 0) ++decimals;
    } else if (c == '.' && decimals < 0) {
      decimals = 0;
    } else {
      break;
    }
  }
  if (i == t.size() && digits > 0 && mantissa <= (uint64_t{1} << 53) && decimals <= 22) {
    double v = static_cast<double>(mantissa);
    if (decimals > 0) v /= kPow10[decimals];
    *out = negative ? -v : v;
    return true;
  }
  const char c = negative && t.size() > 1 ? t[1] : t[0];
  if (!IsDigit(c) && c != '.') return false;
  const auto [ptr, ec] =
      std::from_chars(t.data(), t.data() + t.size(), *out, std::chars_format::general);
  return ec == std::errc() && ptr == t.data() + t.size() && std::isfinite(*out);
}

// The member of a numeric suffix ("Rtd", "ZsAvg", ...), or nullptr.
Value PollutantRecord::*NumericMember(std::string_view suffix) {
  std::string_view base = suffix;
  bool zs = false;
  if (suffix.size() == 5 && suffix[0] == 'Z' && suffix[1] == 's') {
    base = suffix.substr(2);
    zs = true;
  }
  if (base.size() != 3) return nullptr;
  if (base == "Rtd") return zs ? &PollutantRecord::zs_rtd : &PollutantRecord::rtd;
  if (base == "Avg") return zs ? &PollutantRecord::zs_avg : &PollutantRecord::avg;
  if (base == "Min") return zs ? &PollutantRecord::zs_min : &PollutantRecord::min;
  if (base == "Max") return zs ? &PollutantRecord::zs_max : &PollutantRecord::max;
  if (base == "Cou" && !zs) return &PollutantRecord::cou;
  return nullptr;
}

// Index of the first control character (< 0x20 or 0x7F) in s, or npos. Eight bytes at a time.
size_t FindControl(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    const uint64_t below_space = (x - kOnes * 0x20) & ~x & kHighs;
    const uint64_t y = x ^ (kOnes * 0x7F);
    const uint64_t del = (y - kOnes) & ~y & kHighs;
    if ((below_space | del) != 0) break;  // find it byte by byte below
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return i;
  }
  return std::string_view::npos;
}

Status Bad(std::string_view detail) { return FrameErrorStatus(FrameError::kBadSegment, detail); }

bool Fail(Status* error, std::string_view detail) {
  *error = Bad(detail);
  return false;
}

// YYYYMMDDhhmmss naming a real date and time.
bool DecodeDataTime(std::string_view text, CivilTime* t) {
  if (text.size() != 14 || !AllDigits(text)) return false;
  auto num = [&](size_t at, size_t len) {
    int32_t v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  *t = CivilTime{num(0, 4), num(4, 2), num(6, 2), num(8, 2), num(10, 2), num(12, 2)};
  return IsValidDate(t->year, t->month, t->day) && t->hour <= 23 && t->minute <= 59 &&
         t->second <= 59;
}

bool IsDataTime(std::string_view text) {
  CivilTime t;
  return DecodeDataTime(text, &t);
}

struct NumericSuffix {
  std::string_view name;
  Value PollutantRecord::*member;
};
// In the order AppendCp writes them: Cou first, as in the Appendix C example.
constexpr NumericSuffix kNumericSuffixes[] = {
    {"Cou", &PollutantRecord::cou},      {"Rtd", &PollutantRecord::rtd},
    {"Min", &PollutantRecord::min},      {"Avg", &PollutantRecord::avg},
    {"Max", &PollutantRecord::max},      {"ZsRtd", &PollutantRecord::zs_rtd},
    {"ZsMin", &PollutantRecord::zs_min}, {"ZsAvg", &PollutantRecord::zs_avg},
    {"ZsMax", &PollutantRecord::zs_max},
};

int32_t FindOrAddRecord(std::string_view code, std::vector<PollutantRecord>* records) {
  for (size_t i = records->size(); i-- > 0;) {
    if ((*records)[i].code == code) return static_cast<int32_t>(i);
  }
  records->emplace_back().code = code;
  return static_cast<int32_t>(records->size() - 1);
}

// One CP field; `eq` is the position of its first '=' (npos when none). Returns false with
// *error set when the field is refused. (bool, not Status, on this per-field path: a Status per
// field costs more than the rest of the field.)
bool ParseCpField(std::string_view field, size_t eq, DataSegment* out, Status* error) {
  if (eq == std::string_view::npos || eq == 0) {
    return Fail(error, fmt::format("CP field '{}' is not name=value", field));
  }
  const std::string_view name = field.substr(0, eq);
  const std::string_view value = field.substr(eq + 1);
  if (name == "DataTime" && out->data_time.empty()) {
    if (!IsDataTime(value)) {
      return Fail(error, fmt::format("DataTime '{}' is not a YYYYMMDDhhmmss time", value));
    }
    out->data_time = value;
    return true;
  }
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) {
    out->other.push_back({name, value, -1});
    return true;
  }
  const std::string_view code = name.substr(0, dash);
  const std::string_view suffix = name.substr(dash + 1);
  const int32_t index = FindOrAddRecord(code, &out->records);
  PollutantRecord& r = out->records[static_cast<size_t>(index)];
  if (Value PollutantRecord::*member = NumericMember(suffix)) {
    if (value.empty()) {  // "a01006-Rtd=": no value; kept as sent, the typed value untouched
      out->other.push_back({name, value, index});
      return true;
    }
    Value& v = r.*member;
    if (v.present()) return Fail(error, fmt::format("{} appears twice", name));
    if (!ParseNumber(value, &v.value)) {
      return Fail(error, fmt::format("{}='{}' is not a finite decimal number", name, value));
    }
    v.text = value;
    return true;
  }
  if (suffix == "Flag") {
    if (!r.flag_text.empty()) return Fail(error, fmt::format("{} appears twice", name));
    if (value.empty()) return Fail(error, fmt::format("{} is empty", name));
    r.flag = ParseDataFlag(value);
    r.flag_text = value;
  } else if (suffix == "EFlag") {
    if (!r.eflag.empty()) return Fail(error, fmt::format("{} appears twice", name));
    if (value.empty()) return Fail(error, fmt::format("{} is empty", name));
    r.eflag = value;
  } else if (suffix == "SampleTime") {
    if (!r.sample_time.empty()) return Fail(error, fmt::format("{} appears twice", name));
    if (!IsDataTime(value)) {
      return Fail(error, fmt::format("{}='{}' is not a YYYYMMDDhhmmss time", name, value));
    }
    r.sample_time = value;
  } else {
    out->other.push_back({name, value, index});
  }
  return true;
}

// Fields are separated by ',' within an item and ';' between items; the typed result groups
// fields by code, so both separators end a field alike. Empty fields (";;", a trailing ';') are
// skipped. One pass finds each field's end and its first '='.
Status ParseCp(std::string_view cp, DataSegment* out) {
  const char* const data = cp.data();
  const size_t n = cp.size();
  Status error;
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    size_t eq = std::string_view::npos;
    for (; j < n; ++j) {
      const char c = data[j];
      if (c == ';' || c == ',') break;
      if (c == '=' && eq == std::string_view::npos) eq = j - i;
    }
    if (j > i && !ParseCpField(cp.substr(i, j - i), eq, out, &error)) return error;
    i = j + 1;
  }
  return Status::OK();
}

enum HeaderBit : uint32_t {
  kQn = 1,
  kSt = 2,
  kCn = 4,
  kPw = 8,
  kMn = 16,
  kFlag = 32,
  kPnum = 64,
  kPno = 128,
};

Status ParseHeaderField(std::string_view name, std::string_view value, uint32_t* seen,
                        DataSegment* out) {
  uint32_t bit = 0;
  if (name == "QN") {
    bit = kQn;
    if (value.size() != 17 || !AllDigits(value)) {
      return Bad(fmt::format("QN '{}' is not 17 digits (YYYYMMDDhhmmsszzz)", value));
    }
    out->qn = value;
  } else if (name == "ST") {
    bit = kSt;
    if (value.size() != 2 || !ParseSmallInt(value, 2, &out->st_code)) {
      return Bad(fmt::format("ST '{}' is not 2 digits", value));
    }
    out->st = value;
  } else if (name == "CN") {
    bit = kCn;
    if (value.size() != 4 || !ParseSmallInt(value, 4, &out->cn_code)) {
      return Bad(fmt::format("CN '{}' is not 4 digits", value));
    }
    out->cn = value;
  } else if (name == "PW") {
    bit = kPw;
    out->pw = value;
  } else if (name == "MN") {
    bit = kMn;
    if (value.empty() || value.size() > 24) {
      return Bad(fmt::format("MN '{}' is not 1 to 24 characters", value));
    }
    out->mn = value;
  } else if (name == "Flag") {
    bit = kFlag;
    if (!ParseSmallInt(value, 3, &out->flag) || out->flag > 255) {
      return Bad(fmt::format("Flag '{}' is not an integer 0..255", value));
    }
  } else if (name == "PNUM") {
    bit = kPnum;
    if (!ParseSmallInt(value, 4, &out->pnum)) {
      return Bad(fmt::format("PNUM '{}' is not 1 to 4 digits", value));
    }
  } else if (name == "PNO") {
    bit = kPno;
    if (!ParseSmallInt(value, 4, &out->pno)) {
      return Bad(fmt::format("PNO '{}' is not 1 to 4 digits", value));
    }
  } else {
    for (const CpField& f : out->header_extra) {
      if (f.name == name) return Bad(fmt::format("header field {} appears twice", name));
    }
    out->header_extra.push_back({name, value, -1});
    return Status::OK();
  }
  if ((*seen & bit) != 0) return Bad(fmt::format("header field {} appears twice", name));
  *seen |= bit;
  return Status::OK();
}

void AppendDigits(int64_t v, int width, std::string* out) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(buf, static_cast<size_t>(width));
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<size_t>(ptr - buf));
}

Result<std::string> BuildReply(const DataSegment& request, std::string_view cn,
                               std::string_view cp) {
  if (request.qn.empty()) {
    return FailedPreconditionError(
        fmt::format("HJ 212 {} reply: the message has no QN to echo", cn));
  }
  SegmentHeader h;
  h.qn = request.qn;
  h.st = "91";
  h.cn = cn;
  h.pw = request.pw;
  h.mn = request.mn;
  h.flag = MakeFlag(kVersion2017, false, false);
  std::string segment;
  segment.reserve(96 + request.pw.size() + request.mn.size() + cp.size());
  AppendSegment(h, cp, &segment);
  return BuildFrame(segment);
}

}  // namespace

DataFlag ParseDataFlag(std::string_view text) {
  if (text.empty()) return DataFlag::kAbsent;
  if (text.size() == 1) {
    switch (text[0]) {
      case 'N':
      case 'F':
      case 'M':
      case 'S':
      case 'D':
      case 'C':
      case 'T':
      case 'B':
        return static_cast<DataFlag>(text[0]);
      default:
        break;
    }
  }
  return DataFlag::kOther;
}

const PollutantRecord* DataSegment::Find(std::string_view code) const {
  for (const PollutantRecord& r : records) {
    if (r.code == code) return &r;
  }
  return nullptr;
}

std::string_view DataSegment::Field(std::string_view name) const {
  for (const CpField& f : other) {
    if (f.name == name) return f.value;
  }
  return {};
}

void DataSegment::Clear() {
  qn = st = cn = pw = mn = cp = data_time = {};
  st_code = cn_code = flag = -1;
  pnum = pno = 0;
  header_extra.clear();
  records.clear();
  other.clear();
}

Status ParseSegment(std::string_view segment, DataSegment* out) {
  out->Clear();
  if (const size_t i = FindControl(segment); i != std::string_view::npos) {
    return Bad(fmt::format("control character 0x{:02X} at byte {}",
                           static_cast<unsigned char>(segment[i]), i));
  }
  uint32_t seen = 0;
  size_t pos = 0;
  while (segment.compare(pos, 3, "CP=") != 0) {
    const size_t semi = segment.find(';', pos);
    if (semi == std::string_view::npos) return Bad("no CP field");
    const std::string_view item = segment.substr(pos, semi - pos);
    pos = semi + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Bad(fmt::format("header field '{}' is not name=value", item));
    }
    ZP_RETURN_IF_ERROR(ParseHeaderField(item.substr(0, eq), item.substr(eq + 1), &seen, out));
  }
  for (const auto& [bit, name] :
       {std::pair{kSt, "ST"}, std::pair{kCn, "CN"}, std::pair{kPw, "PW"}, std::pair{kMn, "MN"}}) {
    if ((seen & bit) == 0) return Bad(fmt::format("no {} field", name));
  }
  if (((seen & kPnum) != 0) != ((seen & kPno) != 0)) return Bad("PNUM and PNO come together");
  if ((seen & kPnum) != 0 && (out->pno < 1 || out->pno > out->pnum)) {
    return Bad(fmt::format("PNO {} is not within 1..PNUM {}", out->pno, out->pnum));
  }
  const std::string_view rest = segment.substr(pos + 3);
  if (rest.size() < 4 || !rest.starts_with("&&") || !rest.ends_with("&&")) {
    return Bad("CP is not wrapped in && ... &&");
  }
  out->cp = rest.substr(2, rest.size() - 4);
  return ParseCp(out->cp, out);
}

Result<CivilTime> ParseDataTime(std::string_view text) {
  CivilTime t;
  if (!DecodeDataTime(text, &t)) {
    return InvalidArgumentError(fmt::format("'{}' is not a YYYYMMDDhhmmss date and time", text));
  }
  return t;
}

Result<CivilTime> ParseQn(std::string_view qn, int32_t* millis) {
  if (qn.size() != 17) return InvalidArgumentError(fmt::format("QN '{}' is not 17 digits", qn));
  ZP_ASSIGN_OR_RETURN(CivilTime t, ParseDataTime(qn.substr(0, 14)));
  if (!ParseSmallInt(qn.substr(14), 3, millis)) {
    return InvalidArgumentError(fmt::format("QN '{}' is not 17 digits", qn));
  }
  return t;
}

void AppendDataTime(const CivilTime& t, std::string* out) {
  AppendDigits(t.year, 4, out);
  AppendDigits(t.month, 2, out);
  AppendDigits(t.day, 2, out);
  AppendDigits(t.hour, 2, out);
  AppendDigits(t.minute, 2, out);
  AppendDigits(t.second, 2, out);
}

void AppendQn(const CivilTime& t, int32_t millis, std::string* out) {
  AppendDataTime(t, out);
  AppendDigits(millis, 3, out);
}

void AppendSegment(const SegmentHeader& h, std::string_view cp, std::string* out) {
  auto field = [out](std::string_view name, std::string_view value) {
    out->append(name);
    out->push_back('=');
    out->append(value);
    out->push_back(';');
  };
  if (!h.qn.empty()) field("QN", h.qn);
  field("ST", h.st);
  field("CN", h.cn);
  field("PW", h.pw);
  field("MN", h.mn);
  if (h.flag >= 0) {
    out->append("Flag=");
    AppendInt(h.flag, out);
    out->push_back(';');
  }
  if (h.pnum > 0) {
    out->append("PNUM=");
    AppendInt(h.pnum, out);
    out->append(";PNO=");
    AppendInt(h.pno, out);
    out->push_back(';');
  }
  out->append("CP=&&");
  out->append(cp);
  out->append("&&");
}

void AppendCp(const DataSegment& segment, std::string* out) {
  bool first = true;
  auto field = [&](char separator, std::string_view name, std::string_view suffix,
                   std::string_view value) {
    if (!first) out->push_back(separator);
    first = false;
    out->append(name);
    if (!suffix.empty()) {
      out->push_back('-');
      out->append(suffix);
    }
    out->push_back('=');
    out->append(value);
  };
  if (!segment.data_time.empty()) field(';', "DataTime", {}, segment.data_time);
  for (const CpField& f : segment.other) {
    if (f.record < 0) field(';', f.name, {}, f.value);
  }
  for (size_t k = 0; k < segment.records.size(); ++k) {
    const PollutantRecord& r = segment.records[k];
    char separator = ';';
    auto record_field = [&](std::string_view suffix, std::string_view value) {
      if (value.empty()) return;
      field(separator, r.code, suffix, value);
      separator = ',';
    };
    for (const NumericSuffix& s : kNumericSuffixes) record_field(s.name, (r.*s.member).text);
    record_field("Flag", r.flag_text);
    record_field("EFlag", r.eflag);
    record_field("SampleTime", r.sample_time);
    for (const CpField& f : segment.other) {
      if (f.record != static_cast<int32_t>(k)) continue;
      if (!first) out->push_back(separator);
      first = false;
      separator = ',';
      out->append(f.name);
      out->push_back('=');
      out->append(f.value);
    }
  }
}

void CpBuilder::Separator() {
  if (empty_) {
    empty_ = false;
  } else {
    out_->push_back(new_item_ ? ';' : ',');
  }
  new_item_ = false;
}

CpBuilder& CpBuilder::DataTime(const CivilTime& t) {
  new_item_ = true;
  Separator();
  out_->append("DataTime=");
  AppendDataTime(t, out_);
  new_item_ = true;
  return *this;
}

CpBuilder& CpBuilder::Item() {
  new_item_ = true;
  return *this;
}

CpBuilder& CpBuilder::Field(std::string_view name, std::string_view value) {
  Separator();
  out_->append(name);
  out_->push_back('=');
  out_->append(value);
  return *this;
}

CpBuilder& CpBuilder::Number(std::string_view code, std::string_view suffix, double value,
                             int decimals) {
  ZP_CHECK(std::isfinite(value));
  decimals = decimals < 0 ? 0 : decimals > 9 ? 9 : decimals;
  if (std::fabs(value) < 0.5 * std::pow(10.0, -decimals)) value = 0.0;  // no "-0.00"
  Separator();
  out_->append(code);
  out_->push_back('-');
  out_->append(suffix);
  out_->push_back('=');
  fmt::format_to(std::back_inserter(*out_), "{:.{}f}", value, decimals);
  return *this;
}

CpBuilder& CpBuilder::Flag(std::string_view code, DataFlag flag) {
  ZP_CHECK(flag != DataFlag::kAbsent && flag != DataFlag::kOther);
  Separator();
  out_->append(code);
  out_->append("-Flag=");
  out_->push_back(static_cast<char>(flag));
  return *this;
}

Result<std::string> BuildQnReply(const DataSegment& request, QnRtn rtn) {
  std::string cp = "QnRtn=";
  AppendInt(static_cast<int>(rtn), &cp);
  return BuildReply(request, "9011", cp);
}

Result<std::string> BuildExeReply(const DataSegment& request, ExeRtn rtn) {
  std::string cp = "ExeRtn=";
  AppendInt(static_cast<int>(rtn), &cp);
  return BuildReply(request, "9012", cp);
}

Result<std::string> BuildDataReply(const DataSegment& request) {
  return BuildReply(request, "9014", {});
}

}  // namespace zp::hj212
