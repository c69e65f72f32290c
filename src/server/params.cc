#include "params.h"

#include <fmt/format.h>

#include <charconv>

namespace zp::server {

Result<int64_t> ParseTimeParam(std::string_view name, std::string_view text, const TimeZone& zone) {
  if (text.empty()) {
    return InvalidArgumentError(fmt::format("query parameter '{}' is empty", name));
  }
  Result<int64_t> t = ParseTimestamp(text, zone);
  if (!t.ok()) {
    return InvalidArgumentError(fmt::format(
        "query parameter '{}': '{}' is not a time ({}); use ISO 8601 such as "
        "2024-01-31T16:00:00+08:00, a date such as 2024-01-31 (park time) or Unix seconds",
        name, text, t.error().message()));
  }
  if (*t < kMinInstantS || *t > kMaxInstantS) {
    return InvalidArgumentError(
        fmt::format("query parameter '{}': '{}' is outside 1900-01-01 .. 2200-01-01", name, text));
  }
  return *t;
}

Result<TimeRange> ParseRangeParams(const HttpRequest& r, const TimeZone& zone, int64_t default_from,
                                   int64_t default_to, int64_t max_span_s,
                                   std::string_view max_span_text) {
  TimeRange range{default_from, default_to};
  if (auto from = r.Query("from")) {
    ZP_ASSIGN_OR_RETURN(range.from_s, ParseTimeParam("from", *from, zone));
    if (!r.Query("to").has_value() && range.from_s >= range.to_s) {
      return InvalidArgumentError(fmt::format(
          "query parameter 'from' ({}) is not before the default 'to' ({}); give 'to' as well",
          FormatTimestamp(range.from_s, zone), FormatTimestamp(range.to_s, zone)));
    }
  }
  if (auto to = r.Query("to")) {
    ZP_ASSIGN_OR_RETURN(range.to_s, ParseTimeParam("to", *to, zone));
    if (!r.Query("from").has_value() && range.from_s >= range.to_s) {
      // Only `to` given: keep the default span before it.
      range.from_s = range.to_s - (default_to - default_from);
    }
  }
  if (range.from_s >= range.to_s) {
    return InvalidArgumentError(fmt::format("query parameter 'from' ({}) must be before 'to' ({})",
                                            FormatTimestamp(range.from_s, zone),
                                            FormatTimestamp(range.to_s, zone)));
  }
  if (range.to_s - range.from_s > max_span_s) {
    return InvalidArgumentError(fmt::format(
        "query parameters 'from'/'to': the range {} .. {} is longer than {}",
        FormatTimestamp(range.from_s, zone), FormatTimestamp(range.to_s, zone), max_span_text));
  }
  return range;
}

Result<int64_t> ParseIntParam(const HttpRequest& r, std::string_view name, int64_t default_value,
                              int64_t min, int64_t max) {
  std::optional<std::string_view> text = r.Query(name);
  if (!text.has_value()) return default_value;
  int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || text->empty()) {
    return InvalidArgumentError(
        fmt::format("query parameter '{}': '{}' is not an integer", name, *text));
  }
  if (value < min || value > max) {
    return InvalidArgumentError(
        fmt::format("query parameter '{}': {} is outside {} .. {}", name, value, min, max));
  }
  return value;
}

Result<bool> ParseBoolParam(const HttpRequest& r, std::string_view name, bool default_value) {
  std::optional<std::string_view> text = r.Query(name);
  if (!text.has_value()) return default_value;
  if (*text == "true" || *text == "1" || text->empty()) return true;
  if (*text == "false" || *text == "0") return false;
  return InvalidArgumentError(
      fmt::format("query parameter '{}': '{}' is not true or false", name, *text));
}

bool WantsCsv(const HttpRequest& r) {
  return r.Query("format") == std::optional<std::string_view>("csv");
}

Result<int64_t> PathId(const HttpRequest& r) {
  const std::string_view text = r.PathParam("id");
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return InvalidArgumentError("the id in the path must be a positive number");
  }
  return id;
}

}  // namespace zp::server
