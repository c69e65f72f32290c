#pragma once

// Turning a series' readings into interval energy and hourly sums in park local time.
// Interval meters: the value at ts is the quantity of the interval [ts, ts + interval).
// Cumulative meters: register readings; the difference between consecutive readings is the
// quantity of the time between them, spread over the hours it covers in proportion to time.
// Negative differences are a register rollover when the register width explains them (the
// previous reading in the top tenth of the register, the next in the bottom tenth, and the wrapped
// delta below half the register range), otherwise flagged and excluded; differences above
// `max_delta_per_hour` (scaled to the gap) are flagged and excluded. Nothing flagged is summed.
// Pure functions, thread-safe.

#include <cstdint>
#include <span>
#include <vector>

#include "zp/base/time.h"
#include "zp/tsdb/chunk.h"

namespace zp::tsdb {

// A cumulative meter's register replaced (or reset on purpose) at ts_s: the old register's last
// value and the new register's first value. The difference across ts_s is then
// (old_final - before) + (after - new_initial) instead of a negative jump.
struct RegisterReplacement {
  int64_t ts_s = 0;
  double old_final = 0;
  double new_initial = 0;
  bool operator==(const RegisterReplacement&) const = default;
};

struct SeriesSpec {
  bool cumulative = false;
  int32_t interval_s = 900;
  int32_t register_digits = 0;    // 0: never rolls over
  double scale = 1.0;             // multiplier x unit conversion to the carrier's canonical unit
  double max_delta_per_hour = 0;  // in meter units before scale; 0: no absurdity check
  std::vector<RegisterReplacement> replacements;  // cumulative only; ascending by ts_s
};

struct HourSum {
  int64_t hour_start_s = 0;  // UTC instant of the local hour's start
  double sum = 0;            // canonical units (scale applied)
  int32_t readings = 0;      // readings that contributed
  bool operator==(const HourSum&) const = default;
};

struct Flagged {
  int64_t ts_s = 0;
  double delta = 0;         // the difference that was rejected (meter units)
  const char* reason = "";  // "negative delta", "absurd delta"
};

struct RollupResult {
  std::vector<HourSum> hours;  // ascending, only hours with data, within [from_s, to_s)
  std::vector<Flagged> flagged;
};

// Computes hourly sums for hours overlapping [from_s, to_s) (UTC instants, normally local day
// boundaries). `points` sorted by ts; for cumulative series they should include the last reading
// at or before from_s and the first reading at or after to_s when those exist.
RollupResult ComputeHourly(std::span<const Point> points, const SeriesSpec& spec,
                           const TimeZone& zone, int64_t from_s, int64_t to_s);

// Number of readings that belong to runs of exact zeros lasting at least `min_run_s`
// (e.g. 3 hours): publishers often fill gaps with zeros; these are reported as suspected gaps.
int32_t CountSuspectZeros(std::span<const Point> points, int32_t interval_s, int64_t min_run_s);

// Zero runs as [start, end) ranges, for import reports.
struct ZeroRun {
  int64_t start_s = 0;
  int64_t end_s = 0;
  int32_t readings = 0;
};
std::vector<ZeroRun> FindZeroRuns(std::span<const Point> points, int32_t interval_s,
                                  int64_t min_run_s);

}  // namespace zp::tsdb
