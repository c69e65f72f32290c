// CSV with a saved column mapping: an RFC 4180 record reader over string_view, a strict
// strptime subset, and the mapping's JSON form (nlohmann::json, exceptions caught here).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "zp/base/strings.h"
#include "zp/ingest/parsers.h"

namespace zp::ingest {

namespace {

// Accepted instants: 1970-01-01T00:00:00Z up to the end of the year 2200.
constexpr int64_t kMinTsS = 0;
constexpr int64_t kEndTsS = 7289654400;  // 2201-01-01T00:00:00Z
constexpr int64_t kProgressStepBytes = 1 << 20;
constexpr int32_t kMaxHeaderRows = 100;
constexpr int32_t kMaxIntervalS = 366 * 86400;

std::string Quote(std::string_view s) {
  std::string q = "'";
  if (s.size() > 64) {
    q.append(s.substr(0, 64));
    q.append("...");
  } else {
    q.append(s);
  }
  q.push_back('\'');
  return q;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// 1-based column number written as text; 0 when `s` is not one.
size_t ColumnNumber(std::string_view s) {
  if (!AllDigits(s) || s.size() > 6) return 0;
  size_t v = 0;
  for (char c : s) v = v * 10 + static_cast<size_t>(c - '0');
  return v;
}

// --- Timestamp formats ---------------------------------------------------------------------

enum class TokenKind : uint8_t {
  kLiteral,
  kYear4,
  kYear2,
  kMonth,
  kMonthName,
  kDay,
  kHour,
  kMinute,
  kSecond
};

struct FormatToken {
  TokenKind kind;
  char literal;
};

struct TimeFormat {
  enum class Mode : uint8_t { kPattern, kIso8601, kUnix } mode = Mode::kPattern;
  std::vector<FormatToken> tokens;
};

Result<TimeFormat> CompileFormat(std::string_view f) {
  TimeFormat out;
  if (f == "iso8601") {
    out.mode = TimeFormat::Mode::kIso8601;
    return out;
  }
  if (f == "unix") {
    out.mode = TimeFormat::Mode::kUnix;
    return out;
  }
  auto bad = [&](std::string why) {
    return InvalidArgumentError("timestamp_format " + Quote(f) + ": " + why);
  };
  if (f.empty()) return bad("empty");
  uint32_t seen = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out.tokens.push_back({TokenKind::kLiteral, f[i]});
      continue;
    }
    if (++i == f.size()) return bad("ends with a lone '%'");
    TokenKind k;
    switch (f[i]) {
      case 'Y':
        k = TokenKind::kYear4;
        break;
      case 'y':
        k = TokenKind::kYear2;
        break;
      case 'm':
        k = TokenKind::kMonth;
        break;
      case 'b':
        k = TokenKind::kMonthName;
        break;
      case 'd':
        k = TokenKind::kDay;
        break;
      case 'H':
        k = TokenKind::kHour;
        break;
      case 'M':
        k = TokenKind::kMinute;
        break;
      case 'S':
        k = TokenKind::kSecond;
        break;
      case '%':
        out.tokens.push_back({TokenKind::kLiteral, '%'});
        continue;
      default:
        return bad(std::string("unknown directive %") + f[i] +
                   " (use %Y %y %m %b %d %H %M %S, \"iso8601\" or \"unix\")");
    }
    // Year, month and the others each may appear once.
    const uint32_t group = k == TokenKind::kYear2       ? 1u << static_cast<int>(TokenKind::kYear4)
                           : k == TokenKind::kMonthName ? 1u << static_cast<int>(TokenKind::kMonth)
                                                        : 1u << static_cast<int>(k);
    if (seen & group) return bad(std::string("%") + f[i] + " repeats a field");
    seen |= group;
    out.tokens.push_back({k, 0});
  }
  const auto has = [&](TokenKind k) { return (seen & (1u << static_cast<int>(k))) != 0; };
  if (!has(TokenKind::kYear4) || !has(TokenKind::kMonth) || !has(TokenKind::kDay)) {
    return bad("needs a year (%Y or %y), a month (%m or %b) and a day (%d)");
  }
  if ((has(TokenKind::kMinute) && !has(TokenKind::kHour)) ||
      (has(TokenKind::kSecond) && !has(TokenKind::kMinute))) {
    return bad("minutes need %H and seconds need %M");
  }
  return out;
}

// Reads 1..max_digits digits (exactly `exact` when non-zero) at *pos.
bool ReadNumber(std::string_view s, size_t* pos, int max_digits, int exact, int32_t* out) {
  int32_t v = 0;
  int n = 0;
  while (*pos < s.size() && n < max_digits && s[*pos] >= '0' && s[*pos] <= '9') {
    v = v * 10 + (s[*pos] - '0');
    ++*pos;
    ++n;
  }
  if (n == 0 || (exact != 0 && n != exact)) return false;
  *out = v;
  return true;
}

constexpr std::string_view kMonthNames[12] = {"january",   "february", "march",    "april",
                                              "may",       "june",     "july",     "august",
                                              "september", "october",  "november", "december"};

bool ReadMonthName(std::string_view s, size_t* pos, int32_t* month) {
  std::string_view rest = s.substr(*pos);
  for (int32_t m = 0; m < 12; ++m) {
    const std::string_view full = kMonthNames[m];
    if (rest.size() >= full.size() && EqualsIgnoreAsciiCase(rest.substr(0, full.size()), full)) {
      *pos += full.size();
      *month = m + 1;
      return true;
    }
  }
  for (int32_t m = 0; m < 12; ++m) {
    if (rest.size() >= 3 && EqualsIgnoreAsciiCase(rest.substr(0, 3), kMonthNames[m].substr(0, 3))) {
      *pos += 3;
      *month = m + 1;
      return true;
    }
  }
  return false;
}

// Local wall-clock seconds of `s` per the pattern; every character must match. Sets *midnight
// when the time of day is exactly 00:00:00. Returns an empty string on success.
std::string MatchPattern(const TimeFormat& f, std::string_view pattern, std::string_view s,
                         int64_t* wall_s, bool* midnight) {
  CivilTime t;
  t.year = 0;
  size_t pos = 0;
  for (const FormatToken& tok : f.tokens) {
    bool ok = true;
    switch (tok.kind) {
      case TokenKind::kLiteral:
        ok = pos < s.size() && s[pos] == tok.literal;
        pos += ok ? 1 : 0;
        break;
      case TokenKind::kYear4:
        ok = ReadNumber(s, &pos, 4, 4, &t.year);
        break;
      case TokenKind::kYear2:
        ok = ReadNumber(s, &pos, 2, 2, &t.year);
        t.year += t.year < 69 ? 2000 : 1900;
        break;
      case TokenKind::kMonth:
        ok = ReadNumber(s, &pos, 2, 0, &t.month);
        break;
      case TokenKind::kMonthName:
        ok = ReadMonthName(s, &pos, &t.month);
        break;
      case TokenKind::kDay:
        ok = ReadNumber(s, &pos, 2, 0, &t.day);
        break;
      case TokenKind::kHour:
        ok = ReadNumber(s, &pos, 2, 0, &t.hour);
        break;
      case TokenKind::kMinute:
        ok = ReadNumber(s, &pos, 2, 0, &t.minute);
        break;
      case TokenKind::kSecond:
        ok = ReadNumber(s, &pos, 2, 0, &t.second);
        break;
    }
    if (!ok) return "does not match the format " + Quote(pattern);
  }
  if (pos != s.size()) return "has extra text after the format " + Quote(pattern);
  if (!IsValidDate(t.year, t.month, t.day)) return "is not a calendar date";
  // 24:00 (end of the day) is accepted as the next day's midnight.
  const bool end_of_day = t.hour == 24 && t.minute == 0 && t.second == 0;
  if ((t.hour > 23 && !end_of_day) || t.minute > 59 || t.second > 59) {
    return "has a time of day out of range";
  }
  *midnight = t.hour == 0 && t.minute == 0 && t.second == 0;
  *wall_s = CivilToSeconds(t);
  return {};
}

// --- Mapping checks ------------------------------------------------------------------------

bool IsLong(const CsvMapping& m) { return m.values.empty(); }

// Everything ValidateCsvMapping checks except that the zone loads.
Result<TimeFormat> CheckMapping(const CsvMapping& m) {
  auto bad = [](std::string why) { return InvalidArgumentError("CSV mapping: " + why); };
  const char d = m.delimiter;
  if (d == '"' || d == '\n' || d == '\r' || d == '\0' || static_cast<unsigned char>(d) >= 0x80) {
    return bad("delimiter must be one ASCII character other than a quote or a line break");
  }
  if (m.decimal_comma && d == ',') return bad("a decimal comma needs another delimiter (';')");
  if (m.decimal_comma && (d == '.' || (d >= '0' && d <= '9') || d == '-' || d == '+')) {
    return bad("the delimiter cannot be part of a number");
  }
  if (m.header_rows < 0 || m.header_rows > kMaxHeaderRows) {
    return bad("header_rows must be between 0 and 100");
  }
  if (m.interval_s <= 0 || m.interval_s > kMaxIntervalS) {
    return bad("interval_s must be between 1 and 31622400 seconds");
  }
  auto check_column = [&](std::string_view key, std::string_view c) -> Status {
    const std::string_view t = TrimBlanks(c);
    if (t.empty()) return bad(std::string(key) + " is empty");
    if (m.header_rows == 0 && ColumnNumber(t) == 0) {
      return bad(std::string(key) + " " + Quote(c) +
                 " must be a column number (1, 2, ...) when there is no header row");
    }
    return Status::OK();
  };
  if (m.timestamp_column.empty()) return bad("timestamp_column is missing");
  ZP_RETURN_IF_ERROR(check_column("timestamp_column", m.timestamp_column));
  if (IsLong(m)) {
    if (m.value_column.empty())
      return bad("give value_column (long format) or values (wide format)");
    ZP_RETURN_IF_ERROR(check_column("value_column", m.value_column));
    if (m.meter_column.empty() == m.meter.empty()) {
      return bad("long format needs exactly one of meter_column and meter");
    }
    if (!m.meter_column.empty()) ZP_RETURN_IF_ERROR(check_column("meter_column", m.meter_column));
    if (!m.unit_column.empty()) ZP_RETURN_IF_ERROR(check_column("unit_column", m.unit_column));
  } else {
    if (!m.value_column.empty() || !m.meter_column.empty() || !m.unit_column.empty() ||
        !m.meter.empty()) {
      return bad("wide format (values) takes no value_column, meter_column, unit_column or meter");
    }
    for (size_t i = 0; i < m.values.size(); ++i) {
      const CsvValueColumn& v = m.values[i];
      const std::string key = "values[" + std::to_string(i) + "].column";
      ZP_RETURN_IF_ERROR(check_column(key, v.column));
      if (v.meter.empty()) return bad("values[" + std::to_string(i) + "].meter is empty");
    }
  }
  return CompileFormat(m.timestamp_format);
}

// --- Record reader (RFC 4180) --------------------------------------------------------------

class RecordReader {
 public:
  RecordReader(std::string_view text, char delimiter) : text_(text), delim_(delimiter) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  size_t pos() const { return pos_; }

  // Reads the next record into *cells (views valid until the next call). *line is the 1-based
  // line it starts on. Returns an empty string, or the reason the record is malformed (the
  // reader has then skipped past it).
  std::string Next(std::vector<std::string_view>* cells, int32_t* line) {
    *line = line_;
    spans_.clear();
    scratch_.clear();
    const size_t n = text_.size();
    const char* const data = text_.data();
    while (true) {
      if (pos_ < n && data[pos_] == '"') {
        // Quoted cell; "" is a quote.
        ++pos_;
        size_t begin = pos_;
        bool copied = false;
        size_t scratch_begin = scratch_.size();
        while (true) {
          const void* q = pos_ < n ? std::memchr(data + pos_, '"', n - pos_) : nullptr;
          if (q == nullptr) {
            CountLines(pos_, n);
            pos_ = n;
            return "unterminated quoted cell";
          }
          const size_t qi = static_cast<size_t>(static_cast<const char*>(q) - data);
          CountLines(pos_, qi);
          if (qi + 1 < n && data[qi + 1] == '"') {
            if (!copied) {
              copied = true;
              scratch_begin = scratch_.size();
              scratch_.append(data + begin, qi - begin);
            } else {
              scratch_.append(data + pos_, qi - pos_);
            }
            scratch_.push_back('"');
            pos_ = qi + 2;
            continue;
          }
          if (copied) {
            scratch_.append(data + pos_, qi - pos_);
            spans_.push_back({scratch_begin, scratch_.size() - scratch_begin, 1});
          } else {
            spans_.push_back({begin, qi - begin, 0});
          }
          pos_ = qi + 1;
          break;
        }
        if (pos_ >= n) break;
        const char c = data[pos_];
        if (c == delim_) {
          ++pos_;
          continue;
        }
        if (c == '\n') {
          ++pos_;
          ++line_;
          break;
        }
        if (c == '\r' && (pos_ + 1 == n || data[pos_ + 1] == '\n')) {
          pos_ += pos_ + 1 == n ? 1 : 2;
          ++line_;
          break;
        }
        SkipLine();
        return "unexpected character after a closing quote";
      }
      // Unquoted cell.
      const size_t begin = pos_;
      while (pos_ < n && data[pos_] != delim_ && data[pos_] != '\n') ++pos_;
      size_t end = pos_;
      if (pos_ < n && data[pos_] == delim_) {
        spans_.push_back({begin, end - begin, 0});
        ++pos_;
        continue;
      }
      if (end > begin && data[end - 1] == '\r') --end;
      spans_.push_back({begin, end - begin, 0});
      if (pos_ < n) {
        ++pos_;  // '\n'
        ++line_;
      }
      break;
    }
    cells->clear();
    for (const Span& s : spans_) {
      cells->emplace_back(s.scratch != 0 ? scratch_.data() + s.begin : data + s.begin, s.size);
    }
    return {};
  }

 private:
  struct Span {
    size_t begin;
    size_t size;
    size_t scratch;  // 1 when the bytes are in scratch_ (a word, not a bool: keeps stores fast)
  };

  void CountLines(size_t from, size_t to) {
    line_ += static_cast<int32_t>(std::count(text_.data() + from, text_.data() + to, '\n'));
  }
  void SkipLine() {
    const void* nl = std::memchr(text_.data() + pos_, '\n', text_.size() - pos_);
    if (nl == nullptr) {
      pos_ = text_.size();
      return;
    }
    pos_ = static_cast<size_t>(static_cast<const char*>(nl) - text_.data()) + 1;
    ++line_;
  }

  std::string_view text_;
  char delim_;
  size_t pos_ = 0;
  int32_t line_ = 1;
  std::vector<Span> spans_;
  std::string scratch_;
};

// Number of lines (memchr is vectorised; a byte loop is not at -O2).
size_t CountLines(std::string_view text) {
  size_t lines = 1;
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
    if (nl == nullptr) break;
    p = static_cast<const char*>(nl) + 1;
    ++lines;
  }
  return lines;
}

bool IsBlank(const std::vector<std::string_view>& cells) {
  return std::all_of(cells.begin(), cells.end(),
                     [](std::string_view c) { return TrimBlanks(c).empty(); });
}

// Index of a column given by header name (exact, then case-insensitive) or 1-based number.
Result<size_t> ResolveColumn(std::string_view spec, const std::vector<std::string>& header,
                             bool have_header) {
  const std::string_view s = TrimBlanks(spec);
  if (have_header) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == s) return i;
    }
    size_t found = header.size();
    for (size_t i = 0; i < header.size(); ++i) {
      if (EqualsIgnoreAsciiCase(header[i], s)) {
        if (found != header.size()) {
          return InvalidArgumentError("column " + Quote(spec) + " matches several header cells");
        }
        found = i;
      }
    }
    if (found != header.size()) return found;
  }
  const size_t number = ColumnNumber(s);
  if (number >= 1 && (!have_header || number <= header.size())) return number - 1;
  std::string names;
  for (size_t i = 0; i < header.size() && i < 50; ++i) {
    if (i > 0) names += ", ";
    names += header[i];
  }
  return NotFoundError("column " + Quote(spec) + " is not in the header" +
                       (have_header ? " (columns: " + names + ")" : std::string()));
}

struct ValueSlot {
  size_t index;
  std::string name;  // shown in errors
  std::string meter;
  std::string unit;
};

// Parses a value cell; returns an empty string or the reason.
std::string ParseValue(std::string_view cell, std::string_view column, bool decimal_comma,
                       double* out) {
  const std::string_view s = TrimBlanks(cell);
  if (s.empty()) return "empty value in column " + std::string(column);
  char buf[64];
  if (s.size() >= sizeof buf) {
    return "value " + Quote(s) + " in column " + std::string(column) + " is not a number";
  }
  size_t n = 0;
  size_t i = s[0] == '+' && s.size() > 1 ? 1 : 0;
  for (; i < s.size(); ++i) buf[n++] = decimal_comma && s[i] == ',' ? '.' : s[i];
  const auto r = std::from_chars(buf, buf + n, *out);
  if (r.ec == std::errc::result_out_of_range) {
    return "value " + Quote(s) + " in column " + std::string(column) + " is out of range";
  }
  if (r.ec != std::errc() || r.ptr != buf + n) {
    return "value " + Quote(s) + " in column " + std::string(column) + " is not a number";
  }
  if (!std::isfinite(*out)) {
    return "value " + Quote(s) + " in column " + std::string(column) + " is not a finite number";
  }
  return {};
}

// --- JSON helpers for the mapping ---------------------------------------------------------

using nlohmann::json;

Status TypeError(std::string_view key, std::string_view want) {
  return InvalidArgumentError("CSV mapping: \"" + std::string(key) + "\" must be " +
                              std::string(want));
}

Status GetString(const json& v, std::string_view key, std::string* out) {
  if (!v.is_string()) return TypeError(key, "a string");
  *out = v.get<std::string>();
  return Status::OK();
}

// A column: a header name, or a 1-based number given as text or as a JSON integer.
Status GetColumn(const json& v, std::string_view key, std::string* out) {
  if (v.is_number_unsigned()) {
    *out = std::to_string(v.get<uint64_t>());
    return Status::OK();
  }
  if (!v.is_string()) return TypeError(key, "a column name or number");
  *out = v.get<std::string>();
  return Status::OK();
}

Status GetInt(const json& v, std::string_view key, int32_t* out) {
  if (!v.is_number_integer()) return TypeError(key, "an integer");
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT32_MAX)) return TypeError(key, "a 32-bit integer");
    *out = static_cast<int32_t>(u);
    return Status::OK();
  }
  const int64_t i = v.get<int64_t>();
  if (i < INT32_MIN || i > INT32_MAX) return TypeError(key, "a 32-bit integer");
  *out = static_cast<int32_t>(i);
  return Status::OK();
}

Status GetBool(const json& v, std::string_view key, bool* out) {
  if (!v.is_boolean()) return TypeError(key, "true or false");
  *out = v.get<bool>();
  return Status::OK();
}

Status MappingFromJson(const json& j, CsvMapping* m) {
  if (!j.is_object()) return InvalidArgumentError("CSV mapping must be a JSON object");
  for (const auto& [key, v] : j.items()) {
    if (key == "name") {
      ZP_RETURN_IF_ERROR(GetString(v, key, &m->name));
    } else if (key == "delimiter") {
      std::string d;
      ZP_RETURN_IF_ERROR(GetString(v, key, &d));
      if (d.size() != 1) return TypeError(key, "one character, e.g. \",\" or \";\"");
      m->delimiter = d[0];
    } else if (key == "decimal_comma") {
      ZP_RETURN_IF_ERROR(GetBool(v, key, &m->decimal_comma));
    } else if (key == "header_rows") {
      ZP_RETURN_IF_ERROR(GetInt(v, key, &m->header_rows));
    } else if (key == "timestamp_column") {
      ZP_RETURN_IF_ERROR(GetColumn(v, key, &m->timestamp_column));
    } else if (key == "timestamp_format") {
      ZP_RETURN_IF_ERROR(GetString(v, key, &m->timestamp_format));
    } else if (key == "time_zone") {
      ZP_RETURN_IF_ERROR(GetString(v, key, &m->time_zone));
    } else if (key == "label") {
      std::string l;
      ZP_RETURN_IF_ERROR(GetString(v, key, &l));
      if (l == "start" || l == "interval_start") {
        m->label = TimeLabel::kIntervalStart;
      } else if (l == "end" || l == "interval_end") {
        m->label = TimeLabel::kIntervalEnd;
      } else {
        return TypeError(key, "\"start\" or \"end\"");
      }
    } else if (key == "interval_s") {
      ZP_RETURN_IF_ERROR(GetInt(v, key, &m->interval_s));
    } else if (key == "midnight_closes_day") {
      ZP_RETURN_IF_ERROR(GetBool(v, key, &m->midnight_closes_day));
    } else if (key == "meter_column") {
      ZP_RETURN_IF_ERROR(GetColumn(v, key, &m->meter_column));
    } else if (key == "value_column") {
      ZP_RETURN_IF_ERROR(GetColumn(v, key, &m->value_column));
    } else if (key == "unit_column") {
      ZP_RETURN_IF_ERROR(GetColumn(v, key, &m->unit_column));
    } else if (key == "meter") {
      ZP_RETURN_IF_ERROR(GetString(v, key, &m->meter));
    } else if (key == "unit") {
      ZP_RETURN_IF_ERROR(GetString(v, key, &m->unit));
    } else if (key == "values") {
      if (!v.is_array()) return TypeError(key, "an array of {column, meter, unit}");
      for (size_t i = 0; i < v.size(); ++i) {
        const json& e = v[i];
        const std::string where = "values[" + std::to_string(i) + "]";
        if (!e.is_object()) return TypeError(where, "an object {column, meter, unit}");
        CsvValueColumn c;
        for (const auto& [k, x] : e.items()) {
          if (k == "column") {
            ZP_RETURN_IF_ERROR(GetColumn(x, where + ".column", &c.column));
          } else if (k == "meter") {
            ZP_RETURN_IF_ERROR(GetString(x, where + ".meter", &c.meter));
          } else if (k == "unit") {
            ZP_RETURN_IF_ERROR(GetString(x, where + ".unit", &c.unit));
          } else {
            return InvalidArgumentError("CSV mapping: unknown key \"" + k + "\" in " + where +
                                        " (expected column, meter, unit)");
          }
        }
        m->values.push_back(std::move(c));
      }
    } else {
      return InvalidArgumentError("CSV mapping: unknown key \"" + key + "\"");
    }
  }
  return Status::OK();
}

}  // namespace

Result<CsvMapping> CsvMappingFromJson(std::string_view text) {
  try {
    const json j = json::parse(text.begin(), text.end());
    CsvMapping m;
    ZP_RETURN_IF_ERROR(MappingFromJson(j, &m));
    return m;
  } catch (const json::parse_error& e) {
    return InvalidArgumentError("CSV mapping is not JSON (at byte " + std::to_string(e.byte) +
                                "): " + e.what());
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("CSV mapping: ") + e.what());
  }
}

std::string CsvMappingToJson(const CsvMapping& m) {
  nlohmann::ordered_json j;
  j["name"] = m.name;
  j["delimiter"] = std::string(1, m.delimiter);
  j["decimal_comma"] = m.decimal_comma;
  j["header_rows"] = m.header_rows;
  j["timestamp_column"] = m.timestamp_column;
  j["timestamp_format"] = m.timestamp_format;
  j["time_zone"] = m.time_zone;
  j["label"] = m.label == TimeLabel::kIntervalEnd ? "end" : "start";
  j["interval_s"] = m.interval_s;
  j["midnight_closes_day"] = m.midnight_closes_day;
  if (m.values.empty()) {
    j["meter_column"] = m.meter_column;
    j["value_column"] = m.value_column;
    j["unit_column"] = m.unit_column;
    j["meter"] = m.meter;
  } else {
    // Wide mappings leave the long-format keys out unless set (ValidateCsvMapping rejects that).
    if (!m.meter_column.empty()) j["meter_column"] = m.meter_column;
    if (!m.value_column.empty()) j["value_column"] = m.value_column;
    if (!m.unit_column.empty()) j["unit_column"] = m.unit_column;
    if (!m.meter.empty()) j["meter"] = m.meter;
  }
  j["values"] = nlohmann::ordered_json::array();
  for (const CsvValueColumn& c : m.values) {
    nlohmann::ordered_json e;
    e["column"] = c.column;
    e["meter"] = c.meter;
    e["unit"] = c.unit;
    j["values"].push_back(std::move(e));
  }
  j["unit"] = m.unit;
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Status ValidateCsvMapping(const CsvMapping& mapping) {
  Result<TimeFormat> format = CheckMapping(mapping);
  if (!format.ok()) return format.error();
  Result<TimeZone> zone = TimeZone::Load(mapping.time_zone);
  if (!zone.ok()) return zone.error().WithContext("CSV mapping: time_zone");
  return Status::OK();
}

Status ParseCsv(std::string_view text, const CsvMapping& mapping, std::vector<ParsedReading>* out,
                std::vector<RowError>* errors,
                const std::function<void(const CsvProgress&)>& progress) {
  ZP_ASSIGN_OR_RETURN(const TimeFormat format, CheckMapping(mapping));
  Result<TimeZone> zone_or = TimeZone::Load(mapping.time_zone);
  if (!zone_or.ok()) return zone_or.error().WithContext("CSV mapping: time_zone");
  const TimeZone& zone = *zone_or;

  const int64_t total = static_cast<int64_t>(text.size());
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const int64_t bom = total - static_cast<int64_t>(text.size());
  RecordReader reader(text, mapping.delimiter);
  std::vector<std::string_view> cells;
  int32_t line = 0;

  // Header rows; the last one names the columns.
  std::vector<std::string> header;
  for (int32_t h = 0; h < mapping.header_rows;) {
    if (reader.AtEnd()) {
      return InvalidArgumentError("CSV has fewer than " + std::to_string(mapping.header_rows) +
                                  " header row(s)");
    }
    std::string bad = reader.Next(&cells, &line);
    if (!bad.empty())
      return InvalidArgumentError("CSV header, line " + std::to_string(line) + ": " + bad);
    if (IsBlank(cells)) continue;
    ++h;
    if (h == mapping.header_rows) {
      header.clear();
      for (std::string_view c : cells) header.emplace_back(TrimBlanks(c));
    }
  }
  const bool have_header = mapping.header_rows > 0;
  auto display = [&](size_t index, std::string_view spec) {
    return index < header.size() && !header[index].empty() ? header[index] : std::string(spec);
  };

  ZP_ASSIGN_OR_RETURN(const size_t ts_col,
                      ResolveColumn(mapping.timestamp_column, header, have_header));
  const std::string ts_name = display(ts_col, mapping.timestamp_column);
  std::vector<ValueSlot> slots;
  size_t meter_col = SIZE_MAX, unit_col = SIZE_MAX;
  std::string meter_name, unit_name;
  if (IsLong(mapping)) {
    ZP_ASSIGN_OR_RETURN(const size_t vc, ResolveColumn(mapping.value_column, header, have_header));
    slots.push_back({vc, display(vc, mapping.value_column), mapping.meter, mapping.unit});
    if (!mapping.meter_column.empty()) {
      ZP_ASSIGN_OR_RETURN(meter_col, ResolveColumn(mapping.meter_column, header, have_header));
      meter_name = display(meter_col, mapping.meter_column);
    }
    if (!mapping.unit_column.empty()) {
      ZP_ASSIGN_OR_RETURN(unit_col, ResolveColumn(mapping.unit_column, header, have_header));
      unit_name = display(unit_col, mapping.unit_column);
    }
  } else {
    for (const CsvValueColumn& v : mapping.values) {
      ZP_ASSIGN_OR_RETURN(const size_t vc, ResolveColumn(v.column, header, have_header));
      slots.push_back({vc, display(vc, v.column), v.meter, v.unit.empty() ? mapping.unit : v.unit});
    }
  }

  out->reserve(out->size() + CountLines(text) * slots.size());
  const bool end_label = mapping.label == TimeLabel::kIntervalEnd;
  CsvProgress prog{0, total, 0};
  int64_t next_report = kProgressStepBytes;

  while (!reader.AtEnd()) {
    std::string bad = reader.Next(&cells, &line);
    if (progress && bom + static_cast<int64_t>(reader.pos()) >= next_report) {
      prog.bytes_done = bom + static_cast<int64_t>(reader.pos());
      progress(prog);
      next_report = prog.bytes_done + kProgressStepBytes;
    }
    if (!bad.empty()) {
      errors->push_back({line, std::move(bad)});
      continue;
    }
    if (IsBlank(cells)) continue;
    ++prog.rows;

    // Timestamp -> UTC start of the interval.
    if (ts_col >= cells.size()) {
      errors->push_back({line, "row has " + std::to_string(cells.size()) +
                                   " columns; the timestamp column " + ts_name + " is missing"});
      continue;
    }
    const std::string_view ts_text = TrimBlanks(cells[ts_col]);
    int64_t ts_s = 0;
    std::string why;
    if (format.mode == TimeFormat::Mode::kPattern) {
      int64_t wall_s = 0;
      bool midnight = false;
      why = MatchPattern(format, mapping.timestamp_format, ts_text, &wall_s, &midnight);
      if (why.empty()) {
        if (midnight && mapping.midnight_closes_day) wall_s += kSecondsPerDay;
        ts_s = zone.FromLocal(wall_s);
      }
    } else {
      if (format.mode == TimeFormat::Mode::kIso8601) {
        Result<int64_t> r = ParseTimestamp(ts_text, zone);
        if (r.ok()) {
          ts_s = *r;
        } else {
          why = "is not an ISO 8601 timestamp";
        }
      } else {
        const auto r = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts_s);
        if (r.ec != std::errc() || r.ptr != ts_text.data() + ts_text.size() || ts_text.empty()) {
          why = "is not Unix seconds";
        } else if (ts_s < -kEndTsS || ts_s > 2 * kEndTsS) {
          why = "is out of range (1970-2200)";
        }
      }
      if (why.empty() && mapping.midnight_closes_day &&
          FloorDiv(zone.ToLocal(ts_s), kSecondsPerDay) * kSecondsPerDay == zone.ToLocal(ts_s)) {
        ts_s = zone.DayStart(zone.LocalDay(ts_s) + 1);
      }
    }
    if (why.empty() && end_label) ts_s -= mapping.interval_s;
    if (why.empty() && (ts_s < kMinTsS || ts_s >= kEndTsS)) why = "is out of range (1970-2200)";
    if (!why.empty()) {
      errors->push_back(
          {line, "timestamp " + Quote(ts_text) + " in column " + ts_name + " " + why});
      continue;
    }

    std::string_view meter_cell, unit_cell;
    if (meter_col != SIZE_MAX) {
      meter_cell = meter_col < cells.size() ? TrimBlanks(cells[meter_col]) : std::string_view();
      if (meter_cell.empty()) {
        errors->push_back({line, "empty meter in column " + meter_name});
        continue;
      }
    }
    if (unit_col != SIZE_MAX && unit_col < cells.size()) unit_cell = TrimBlanks(cells[unit_col]);

    for (const ValueSlot& slot : slots) {
      double v = 0;
      if (slot.index >= cells.size()) {
        errors->push_back({line, "row has " + std::to_string(cells.size()) + " columns; column " +
                                     slot.name + " is missing"});
        continue;
      }
      std::string reason = ParseValue(cells[slot.index], slot.name, mapping.decimal_comma, &v);
      if (!reason.empty()) {
        errors->push_back({line, std::move(reason)});
        continue;
      }
      ParsedReading& r = out->emplace_back();
      if (meter_col != SIZE_MAX) {
        r.meter.assign(meter_cell);
      } else {
        r.meter = slot.meter;
      }
      if (!unit_cell.empty()) {
        r.unit.assign(unit_cell);
      } else {
        r.unit = slot.unit;
      }
      r.ts_s = ts_s;
      r.value = v;
      r.line = line;
    }
  }
  if (progress) {
    prog.bytes_done = total;
    progress(prog);
  }
  return Status::OK();
}

}  // namespace zp::ingest
