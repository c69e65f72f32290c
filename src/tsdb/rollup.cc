#include "zp/tsdb/rollup.h"

#include <algorithm>
#include <cmath>

namespace zp::tsdb {

namespace {

constexpr int64_t kHour = 3600;

// UTC instant at which the local hour containing `t` started. Two local hours that share a wall
// clock label (clocks turned back) are distinct hours here.
int64_t HourStart(const TimeZone& zone, int64_t t) {
  const int64_t local = zone.ToLocal(t);
  return t - (local - FloorDiv(local, kHour) * kHour);
}

// Appends to an ascending list of hours; input arrives in time order, so this is a push or an add
// to the last entry. Anything out of order is merged at the end.
class HourAccumulator {
 public:
  explicit HourAccumulator(std::vector<HourSum>* hours) : hours_(hours) {}
  void Add(int64_t hour_start_s, double amount) {
    if (!hours_->empty()) {
      HourSum& last = hours_->back();
      if (last.hour_start_s == hour_start_s) {
        last.sum += amount;
        ++last.readings;
        return;
      }
      if (last.hour_start_s > hour_start_s) ordered_ = false;
    }
    hours_->push_back({hour_start_s, amount, 1});
  }
  void Finish() {
    if (ordered_) return;
    std::stable_sort(hours_->begin(), hours_->end(), [](const HourSum& a, const HourSum& b) {
      return a.hour_start_s < b.hour_start_s;
    });
    size_t w = 0;
    for (size_t r = 0; r < hours_->size(); ++r) {
      HourSum& cur = (*hours_)[r];
      if (w > 0 && (*hours_)[w - 1].hour_start_s == cur.hour_start_s) {
        (*hours_)[w - 1].sum += cur.sum;
        (*hours_)[w - 1].readings += cur.readings;
      } else {
        (*hours_)[w++] = cur;
      }
    }
    hours_->resize(w);
  }

 private:
  std::vector<HourSum>* hours_;
  bool ordered_ = true;
};

void ComputeInterval(std::span<const Point> points, const SeriesSpec& spec, const TimeZone& zone,
                     int64_t from_s, int64_t to_s, HourAccumulator* acc) {
  auto it = std::lower_bound(points.begin(), points.end(), from_s,
                             [](const Point& p, int64_t t) { return p.ts_s < t; });
  for (; it != points.end() && it->ts_s < to_s; ++it) {
    acc->Add(HourStart(zone, it->ts_s), it->value * spec.scale);
  }
}

void ComputeCumulative(std::span<const Point> points, const SeriesSpec& spec, const TimeZone& zone,
                       int64_t from_s, int64_t to_s, HourAccumulator* acc,
                       std::vector<Flagged>* flagged) {
  const double range =
      spec.register_digits > 0 ? std::pow(10.0, std::min(spec.register_digits, 18)) : 0;
  // First reading after from_s: the pair ending there is the first that can overlap the window.
  auto first = std::upper_bound(points.begin(), points.end(), from_s,
                                [](int64_t t, const Point& p) { return t < p.ts_s; });
  size_t k = static_cast<size_t>(first - points.begin());
  if (k == 0) k = 1;
  for (; k < points.size() && points[k - 1].ts_s < to_s; ++k) {
    const Point& a = points[k - 1];
    const Point& b = points[k];
    if (b.ts_s <= a.ts_s) continue;
    const bool flag_here = b.ts_s > from_s && b.ts_s <= to_s;
    double delta = b.value - a.value;
    // A register replaced between the two readings: count up to each old register's final value
    // and on from the new register's initial value.
    bool replaced = false;
    double cur = a.value;
    for (const RegisterReplacement& r : spec.replacements) {
      if (r.ts_s <= a.ts_s || r.ts_s > b.ts_s) continue;
      if (!replaced) delta = 0;
      replaced = true;
      delta += r.old_final - cur;
      cur = r.new_initial;
    }
    if (replaced) delta += b.value - cur;
    if (delta < 0 && range > 0 && !replaced) {
      // A rollover goes from the top of the register to its bottom (999,990 -> 12). A drop from
      // the middle (a meter reset or replacement) is not one, even when wrapping it would give a
      // number below the register range.
      const double wrapped = delta + range;
      if (a.value >= 0.9 * range && b.value >= 0 && b.value < 0.1 * range && wrapped >= 0 &&
          wrapped < range / 2) {
        delta = wrapped;
      }
    }
    if (delta < 0) {
      if (flag_here) flagged->push_back({b.ts_s, delta, "negative delta"});
      continue;
    }
    const double gap_s = static_cast<double>(b.ts_s - a.ts_s);
    if (spec.max_delta_per_hour > 0 &&
        delta > spec.max_delta_per_hour * std::max(1.0, gap_s / kHour)) {
      if (flag_here) flagged->push_back({b.ts_s, delta, "absurd delta"});
      continue;
    }
    // Spread over [a, b) in proportion to time, clipped to the window.
    const double scaled = delta * spec.scale;
    const int64_t gap = b.ts_s - a.ts_s;
    int64_t t = std::max(a.ts_s, from_s);
    const int64_t end = std::min(b.ts_s, to_s);
    while (t < end) {
      const int64_t hour = HourStart(zone, t);
      const int64_t next = std::min(hour + kHour, end);
      const int64_t part = next - t;
      acc->Add(hour, part == gap ? scaled : scaled * static_cast<double>(part) / gap_s);
      t = next;
    }
  }
}

// Calls emit(first, last) for each maximal zero run (indices, inclusive) lasting >= min_run_s.
template <typename Emit>
void ScanZeroRuns(std::span<const Point> points, int32_t interval_s, int64_t min_run_s, Emit emit) {
  const size_t n = points.size();
  size_t i = 0;
  while (i < n) {
    if (points[i].value != 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < n && points[j + 1].value == 0 &&
           points[j + 1].ts_s - points[j].ts_s <= interval_s) {
      ++j;
    }
    if (points[j].ts_s - points[i].ts_s + interval_s >= min_run_s) emit(i, j);
    i = j + 1;
  }
}

}  // namespace

RollupResult ComputeHourly(std::span<const Point> points, const SeriesSpec& spec,
                           const TimeZone& zone, int64_t from_s, int64_t to_s) {
  RollupResult result;
  if (from_s >= to_s) return result;
  HourAccumulator acc(&result.hours);
  if (spec.cumulative) {
    ComputeCumulative(points, spec, zone, from_s, to_s, &acc, &result.flagged);
  } else {
    ComputeInterval(points, spec, zone, from_s, to_s, &acc);
  }
  acc.Finish();
  return result;
}

int32_t CountSuspectZeros(std::span<const Point> points, int32_t interval_s, int64_t min_run_s) {
  int32_t count = 0;
  ScanZeroRuns(points, interval_s, min_run_s,
               [&](size_t i, size_t j) { count += static_cast<int32_t>(j - i + 1); });
  return count;
}

std::vector<ZeroRun> FindZeroRuns(std::span<const Point> points, int32_t interval_s,
                                  int64_t min_run_s) {
  std::vector<ZeroRun> runs;
  ScanZeroRuns(points, interval_s, min_run_s, [&](size_t i, size_t j) {
    runs.push_back({points[i].ts_s, points[j].ts_s + interval_s, static_cast<int32_t>(j - i + 1)});
  });
  return runs;
}

}  // namespace zp::tsdb
