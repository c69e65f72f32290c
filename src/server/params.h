#pragma once

// Parsing and range-checking of query parameters. Every error names the parameter.

#include <cstdint>
#include <string_view>

#include "http.h"
#include "zp/base/result.h"
#include "zp/base/time.h"

namespace zp::server {

// Instants accepted anywhere: 1900-01-01 <= t <= 2200-01-01 (UTC).
inline constexpr int64_t kMinInstantS = -2'208'988'800;
inline constexpr int64_t kMaxInstantS = 7'258'118'400;

struct TimeRange {
  int64_t from_s = 0;
  int64_t to_s = 0;
};

// ISO 8601 (with or without offset; without means park time), a date, or Unix seconds.
Result<int64_t> ParseTimeParam(std::string_view name, std::string_view text, const TimeZone& zone);

// `from` and `to` (each defaulting as given), with from < to and to - from <= max_span_s
// (`max_span_text` says it to people, e.g. "10 years").
Result<TimeRange> ParseRangeParams(const HttpRequest& r, const TimeZone& zone, int64_t default_from,
                                   int64_t default_to, int64_t max_span_s,
                                   std::string_view max_span_text);

Result<int64_t> ParseIntParam(const HttpRequest& r, std::string_view name, int64_t default_value,
                              int64_t min, int64_t max);
Result<bool> ParseBoolParam(const HttpRequest& r, std::string_view name, bool default_value);
// The positive integer {id} of the path; InvalidArgument otherwise.
Result<int64_t> PathId(const HttpRequest& r);
// format=json|csv; true for CSV.
bool WantsCsv(const HttpRequest& r);

}  // namespace zp::server
