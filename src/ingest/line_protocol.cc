// InfluxDB line protocol: a hand-written scanner over string_view. The hot path (no escapes)
// allocates nothing but the output strings, which fit the small-string buffer for usual codes.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "zp/ingest/parsers.h"

namespace zp::ingest {

namespace {

constexpr size_t kMaxLineBytes = 64 * 1024;
// Accepted instants: 1970-01-01T00:00:00Z up to the end of the year 2200.
constexpr int64_t kMinTsS = 0;
constexpr int64_t kEndTsS = 7289654400;  // 2201-01-01T00:00:00Z
constexpr size_t kQuoteMax = 64;         // bytes of user text quoted in an error

std::string Quote(std::string_view s) {
  std::string q = "'";
  if (s.size() > kQuoteMax) {
    q.append(s.substr(0, kQuoteMax));
    q.append("...");
  } else {
    q.append(s);
  }
  q.push_back('\'');
  return q;
}

// Index of the first unescaped `a` or `b` at or after i (n when none). A backslash escapes the
// character after it, as in InfluxDB's own scanner.
inline size_t ScanTo2(std::string_view s, size_t i, char a, char b, bool* escaped) {
  const size_t n = s.size();
  while (i < n) {
    const char c = s[i];
    if (c == a || c == b) break;
    if (c == '\\') {
      *escaped = true;
      i += 2;
      continue;
    }
    ++i;
  }
  return i < n ? i : n;
}

inline size_t ScanTo3(std::string_view s, size_t i, char a, char b, char c3, bool* escaped) {
  const size_t n = s.size();
  while (i < n) {
    const char c = s[i];
    if (c == a || c == b || c == c3) break;
    if (c == '\\') {
      *escaped = true;
      i += 2;
      continue;
    }
    ++i;
  }
  return i < n ? i : n;
}

// Resolves `\,` `\=` and `\ `; any other backslash stays literal.
void Unescape(std::string_view s, std::string* out) {
  out->clear();
  out->reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        (s[i + 1] == ',' || s[i + 1] == '=' || s[i + 1] == ' ')) {
      ++i;
    }
    out->push_back(s[i]);
  }
}

bool IsBoolean(std::string_view v) {
  return v == "t" || v == "T" || v == "true" || v == "True" || v == "TRUE" || v == "f" ||
         v == "F" || v == "false" || v == "False" || v == "FALSE";
}

// Parses a numeric field value (float, `12i`, `12u`). Returns an empty string on success, the
// reason otherwise.
std::string ParseFieldValue(std::string_view key, std::string_view v, double* out) {
  const char* b = v.data();
  const char* e = b + v.size();
  const char last = v.back();
  if (last == 'i' || last == 'u') {
    std::from_chars_result r;
    double d = 0;
    if (last == 'i') {
      int64_t x = 0;
      r = std::from_chars(b, e - 1, x);
      d = static_cast<double>(x);
    } else {
      uint64_t x = 0;
      r = std::from_chars(b, e - 1, x);
      d = static_cast<double>(x);
    }
    if (r.ec == std::errc::result_out_of_range) {
      return "field value " + Quote(v) + " is out of range";
    }
    if (r.ec != std::errc() || r.ptr != e - 1 || v.size() < 2) {
      return "field value " + Quote(v) + " is not a number";
    }
    *out = d;
    return {};
  }
  if (IsBoolean(v)) return "field " + Quote(key) + " is a boolean, not a number";
  if (*b == '+' && v.size() > 1) ++b;
  const auto r = std::from_chars(b, e, *out);
  if (r.ec == std::errc::result_out_of_range) {
    return "field value " + Quote(v) + " is out of range";
  }
  if (r.ec != std::errc() || r.ptr != e) return "field value " + Quote(v) + " is not a number";
  if (std::isnan(*out)) return "NaN is not a reading";
  if (std::isinf(*out)) return "infinity is not a reading";
  return {};
}

int64_t PrecisionDivisor(Precision p) {
  switch (p) {
    case Precision::kNanoseconds:
      return 1000000000;
    case Precision::kMicroseconds:
      return 1000000;
    case Precision::kMilliseconds:
      return 1000;
    case Precision::kSeconds:
      return 1;
  }
  return 1;
}

struct LineContext {
  const LineProtocolOptions* options;
  int64_t divisor;
  std::vector<ParsedReading>* out;
  std::string scratch;  // unescaped keys (rare path)
  std::string meter;    // unescaped meter code (rare path)
};

// Parses one line (no line terminator). On success appends its readings; on failure appends
// nothing and returns the reason. Returns an empty string for success.
std::string ParseLine(std::string_view line, int32_t line_no, LineContext* ctx) {
  const size_t n = line.size();
  size_t i = 0;
  // Measurement (not used; the meter tag names the series).
  bool esc = false;
  i = ScanTo2(line, i, ',', ' ', &esc);
  if (i == 0) return "missing measurement";

  // Tags.
  std::string_view meter;
  bool meter_escaped = false;
  bool have_meter = false;
  const std::string& meter_tag = ctx->options->meter_tag;
  while (i < n && line[i] == ',') {
    ++i;
    const size_t k0 = i;
    bool kesc = false;
    i = ScanTo3(line, i, '=', ',', ' ', &kesc);
    std::string_view key = line.substr(k0, i - k0);
    if (key.empty()) return "empty tag key";
    if (i >= n || line[i] != '=') return "tag " + Quote(key) + " has no value";
    ++i;
    const size_t v0 = i;
    bool vesc = false;
    i = ScanTo2(line, i, ',', ' ', &vesc);
    std::string_view value = line.substr(v0, i - v0);
    if (value.empty()) return "tag " + Quote(key) + " has an empty value";
    bool is_meter;
    if (kesc) {
      Unescape(key, &ctx->scratch);
      is_meter = ctx->scratch == meter_tag;
    } else {
      is_meter = key == meter_tag;
    }
    if (is_meter) {
      if (have_meter) return "meter tag " + Quote(meter_tag) + " appears twice";
      have_meter = true;
      meter = value;
      meter_escaped = vesc;
    }
  }
  if (i < n && line[i] != ' ') return "unexpected character after the tags";
  while (i < n && line[i] == ' ') ++i;
  if (i >= n) return "missing fields";
  if (!have_meter) return "missing meter tag " + Quote(meter_tag);
  if (meter_escaped) {
    Unescape(meter, &ctx->meter);
    meter = ctx->meter;
  }

  // Fields: each one is a reading.
  std::vector<ParsedReading>* out = ctx->out;
  const size_t first = out->size();
  auto fail = [&](std::string reason) {
    out->resize(first);
    return reason;
  };
  while (true) {
    const size_t k0 = i;
    bool kesc = false;
    i = ScanTo3(line, i, '=', ',', ' ', &kesc);
    std::string_view key = line.substr(k0, i - k0);
    if (key.empty()) return fail("empty field key");
    if (i >= n || line[i] != '=') return fail("field " + Quote(key) + " has no value");
    ++i;
    if (i < n && line[i] == '"') return fail("field " + Quote(key) + " is a string, not a number");
    const size_t v0 = i;
    while (i < n && line[i] != ',' && line[i] != ' ') ++i;
    std::string_view value = line.substr(v0, i - v0);
    if (value.empty()) return fail("field " + Quote(key) + " has no value");
    double v = 0;
    std::string reason = ParseFieldValue(key, value, &v);
    if (!reason.empty()) return fail(std::move(reason));
    ParsedReading& r = out->emplace_back();
    r.meter.assign(meter);
    if (kesc) {
      Unescape(key, &ctx->scratch);
      key = ctx->scratch;
    }
    if (key != "value") r.unit.assign(key);
    r.value = v;
    r.line = line_no;
    if (i < n && line[i] == ',') {
      ++i;
      continue;
    }
    break;
  }

  // Optional timestamp.
  while (i < n && line[i] == ' ') ++i;
  int64_t ts_s = ctx->options->default_ts_s;
  if (i < n) {
    const size_t t0 = i;
    while (i < n && line[i] != ' ') ++i;
    std::string_view text = line.substr(t0, i - t0);
    int64_t raw = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), raw);
    if (r.ec == std::errc::result_out_of_range) return fail("timestamp out of range");
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
      return fail("timestamp " + Quote(text) + " is not an integer");
    }
    ts_s = FloorDiv(raw, ctx->divisor);
    if (ts_s < kMinTsS || ts_s >= kEndTsS) return fail("timestamp out of range (1970-2200)");
    while (i < n && line[i] == ' ') ++i;
    if (i < n) return fail("unexpected text after the timestamp");
  }
  for (size_t k = first; k < out->size(); ++k) (*out)[k].ts_s = ts_s;
  return {};
}

}  // namespace

Result<Precision> ParsePrecision(std::string_view s) {
  if (s == "ns" || s == "n") return Precision::kNanoseconds;
  if (s == "u" || s == "us") return Precision::kMicroseconds;
  if (s == "ms") return Precision::kMilliseconds;
  if (s == "s") return Precision::kSeconds;
  return InvalidArgumentError("unknown precision '" + std::string(s.substr(0, 16)) +
                              "' (expected ns, us, ms or s)");
}

void ParseLineProtocol(std::string_view body, const LineProtocolOptions& options,
                       std::vector<ParsedReading>* out, std::vector<RowError>* errors) {
  LineContext ctx{&options, PrecisionDivisor(options.precision), out, {}, {}};
  const char* p = body.data();
  const char* const end = p + body.size();
  const size_t base = out->size();
  int32_t line_no = 0;
  while (p < end) {
    ++line_no;
    if (out->size() == out->capacity() && out->size() - base >= 64) {
      // Reserve for the rest of the body at the rate seen so far (one pass, no counting).
      const double per_byte =
          static_cast<double>(out->size() - base) / static_cast<double>(p - body.data());
      const size_t estimate = static_cast<size_t>(per_byte * static_cast<double>(end - p) * 1.05);
      out->reserve(out->size() + std::max(estimate + 64, out->size() / 2));
    }
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* le = nl ? nl : end;
    std::string_view line(p, static_cast<size_t>(le - p));
    p = nl ? nl + 1 : end;
    if (line.size() > kMaxLineBytes) {
      errors->push_back({line_no, "line is longer than 65536 bytes"});
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t s = 0;
    while (s < line.size() && (line[s] == ' ' || line[s] == '\t')) ++s;
    if (s == line.size() || line[s] == '#') continue;
    line.remove_prefix(s);
    std::string reason = ParseLine(line, line_no, &ctx);
    if (!reason.empty()) errors->push_back({line_no, std::move(reason)});
  }
}

}  // namespace zp::ingest
