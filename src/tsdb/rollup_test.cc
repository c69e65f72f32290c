#include "zp/tsdb/rollup.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace zp::tsdb {
namespace {

constexpr int64_t kHour = 3600;

TimeZone Zone(const char* name) {
  Result<TimeZone> zone = TimeZone::Load(name);
  ZP_CHECK(zone.ok());  // tzdata is part of the build environment
  return *zone;
}

// [start, end) of the local day containing `utc_s`.
std::pair<int64_t, int64_t> LocalDay(const TimeZone& zone, int64_t utc_s) {
  const int32_t day = zone.LocalDay(utc_s);
  return {zone.DayStart(day), zone.DayStart(day + 1)};
}

double Total(const RollupResult& r) {
  double sum = 0;
  for (const HourSum& h : r.hours) sum += h.sum;
  return sum;
}

SeriesSpec Cumulative(int32_t digits = 0, double max_per_hour = 0) {
  SeriesSpec spec;
  spec.cumulative = true;
  spec.register_digits = digits;
  spec.max_delta_per_hour = max_per_hour;
  return spec;
}

TEST(RollupTest, ShanghaiIntervalDay) {
  const TimeZone zone = Zone("Asia/Shanghai");
  // 2024-01-15 local: 2024-01-14T16:00Z .. 2024-01-15T16:00Z.
  const int64_t from = 1705248000;
  ASSERT_EQ(LocalDay(zone, from + 1).first, from);
  const int64_t to = from + 86400;
  std::vector<Point> pts;
  pts.push_back({from - 900, 1000});  // previous day
  for (int i = 0; i < 96; ++i) pts.push_back({from + i * 900, 1.25 + (i % 4)});
  pts.push_back({to, 1000});  // next day
  SeriesSpec spec;
  spec.scale = 0.001;  // kWh -> MWh
  const RollupResult r = ComputeHourly(pts, spec, zone, from, to);
  ASSERT_EQ(r.hours.size(), 24u);
  for (int h = 0; h < 24; ++h) {
    EXPECT_EQ(r.hours[h].hour_start_s, from + h * kHour);
    EXPECT_EQ(r.hours[h].readings, 4);
    EXPECT_DOUBLE_EQ(r.hours[h].sum, (1.25 + 2.25 + 3.25 + 4.25) * 0.001);
  }
  EXPECT_TRUE(r.flagged.empty());
  EXPECT_NEAR(Total(r), 11 * 24 * 0.001, 1e-12);
}

TEST(RollupTest, IntervalHoursWithoutDataAreLeftOut) {
  const TimeZone zone = Zone("Asia/Shanghai");
  const int64_t from = 1705248000;
  const std::vector<Point> pts = {{from + 2 * kHour + 900, 3}, {from + 5 * kHour, 4}};
  const RollupResult r = ComputeHourly(pts, SeriesSpec{}, zone, from, from + 86400);
  EXPECT_EQ(r.hours, (std::vector<HourSum>{{from + 2 * kHour, 3, 1}, {from + 5 * kHour, 4, 1}}));
}

TEST(RollupTest, DailyMeterGoesToTheHourContainingItsTimestamp) {
  const TimeZone zone = Zone("Asia/Shanghai");
  const int64_t from = 1705248000;
  SeriesSpec spec;
  spec.interval_s = 86400;
  const std::vector<Point> pts = {{from, 240}};
  const RollupResult r = ComputeHourly(pts, spec, zone, from, from + 86400);
  EXPECT_EQ(r.hours, (std::vector<HourSum>{{from, 240, 1}}));
}

TEST(RollupTest, LondonSpringForwardDayHas23Hours) {
  const TimeZone zone = Zone("Europe/London");
  // 2024-03-31: clocks go from 01:00 GMT to 02:00 BST.
  const auto [from, to] = LocalDay(zone, 1711843200 + 12 * kHour);
  ASSERT_EQ(from, 1711843200);  // 00:00 GMT
  ASSERT_EQ(to - from, 23 * kHour);
  std::vector<Point> pts;
  for (int64_t t = from; t < to; t += 900) pts.push_back({t, 0.5});
  const RollupResult r = ComputeHourly(pts, SeriesSpec{}, zone, from, to);
  ASSERT_EQ(r.hours.size(), 23u);
  for (size_t h = 0; h < 23; ++h) {
    EXPECT_EQ(r.hours[h].hour_start_s, from + static_cast<int64_t>(h) * kHour);
    EXPECT_EQ(r.hours[h].readings, 4);
    EXPECT_DOUBLE_EQ(r.hours[h].sum, 2.0);
  }
}

TEST(RollupTest, LondonFallBackDayHas25Hours) {
  const TimeZone zone = Zone("Europe/London");
  // 2024-10-27: clocks go from 02:00 BST back to 01:00 GMT; 01:00-02:00 local happens twice.
  const auto [from, to] = LocalDay(zone, 1729987200 + 12 * kHour);
  ASSERT_EQ(from, 1729983600);  // 2024-10-26T23:00Z
  ASSERT_EQ(to - from, 25 * kHour);
  std::vector<Point> pts;
  for (int64_t t = from; t < to; t += 900) pts.push_back({t, 1});
  const RollupResult r = ComputeHourly(pts, SeriesSpec{}, zone, from, to);
  ASSERT_EQ(r.hours.size(), 25u);  // both 01:00 hours are separate real hours
  for (size_t h = 0; h < 25; ++h) {
    EXPECT_EQ(r.hours[h].hour_start_s, from + static_cast<int64_t>(h) * kHour);
    EXPECT_EQ(r.hours[h].readings, 4);
    EXPECT_DOUBLE_EQ(r.hours[h].sum, 4.0);
  }

  // A register read hourly through the same day: every real hour gets its own delta.
  std::vector<Point> reg;
  for (int64_t h = 0; h <= 25; ++h) reg.push_back({from + h * kHour, 100.0 + h * (h + 1) / 2});
  const RollupResult c = ComputeHourly(reg, Cumulative(), zone, from, to);
  ASSERT_EQ(c.hours.size(), 25u);
  for (size_t h = 0; h < 25; ++h) {
    EXPECT_DOUBLE_EQ(c.hours[h].sum, static_cast<double>(h + 1));
    EXPECT_EQ(c.hours[h].readings, 1);
  }
}

TEST(RollupTest, CumulativeQuarterHourRegister) {
  const TimeZone zone = Zone("Asia/Shanghai");
  const int64_t from = 1705248000;
  const int64_t to = from + 86400;
  std::vector<Point> pts;
  for (int i = 0; i <= 96; ++i) pts.push_back({from + i * 900, 5000 + i * 2.5});
  SeriesSpec spec = Cumulative();
  spec.scale = 2;  // e.g. CT ratio
  const RollupResult r = ComputeHourly(pts, spec, zone, from, to);
  ASSERT_EQ(r.hours.size(), 24u);
  for (const HourSum& h : r.hours) {
    EXPECT_DOUBLE_EQ(h.sum, 4 * 2.5 * 2);
    EXPECT_EQ(h.readings, 4);
  }
  EXPECT_DOUBLE_EQ(Total(r), 96 * 2.5 * 2);
}

TEST(RollupTest, RolloverWithSixDigits) {
  const TimeZone zone = TimeZone::Fixed(8 * kHour);
  const int64_t from = 1705248000;
  const std::vector<Point> pts = {
      {from, 999980}, {from + 900, 999990}, {from + 1800, 5}, {from + 2700, 20}};
  const RollupResult r = ComputeHourly(pts, Cumulative(6), zone, from, from + 86400);
  EXPECT_TRUE(r.flagged.empty());
  ASSERT_EQ(r.hours.size(), 1u);
  EXPECT_DOUBLE_EQ(r.hours[0].sum, 10 + 15 + 15);
  EXPECT_EQ(r.hours[0].readings, 3);
  // Without a register width the same drop is a negative delta.
  const RollupResult n = ComputeHourly(pts, Cumulative(), zone, from, from + 86400);
  ASSERT_EQ(n.flagged.size(), 1u);
  EXPECT_EQ(n.flagged[0].ts_s, from + 1800);
  EXPECT_DOUBLE_EQ(n.flagged[0].delta, 5 - 999990);
  EXPECT_STREQ(n.flagged[0].reason, "negative delta");
  EXPECT_DOUBLE_EQ(n.hours[0].sum, 10 + 15);
  EXPECT_EQ(n.hours[0].readings, 2);
}

TEST(RollupTest, ResetFromTheMiddleOfTheRegisterIsNotARollover) {
  const TimeZone zone = TimeZone::Fixed(8 * kHour);
  const int64_t from = 1705248000;
  // An 8-digit register reset from 60,000,000 to 12: wrapping gives 40,000,012, below half the
  // range, but the register was nowhere near its top.
  const std::vector<Point> pts = {{from, 59999990}, {from + 900, 60000000}, {from + 1800, 12}};
  const RollupResult r = ComputeHourly(pts, Cumulative(8), zone, from, from + 86400);
  ASSERT_EQ(r.flagged.size(), 1u);
  EXPECT_STREQ(r.flagged[0].reason, "negative delta");
  EXPECT_EQ(r.hours, (std::vector<HourSum>{{from, 10, 1}}));
}

TEST(RollupTest, RegisterReplacementCountsBothRegisters) {
  const TimeZone zone = TimeZone::Fixed(8 * kHour);
  const int64_t from = 1705248000;
  // Old register 5000 -> 5010, replaced at +20 min with final 5014; new register starts at 3
  // and reads 9 at +30 min, 19 at +45 min.
  const std::vector<Point> pts = {
      {from, 5000}, {from + 900, 5010}, {from + 1800, 9}, {from + 2700, 19}};
  SeriesSpec spec = Cumulative(4);
  spec.replacements = {{from + 1200, 5014, 3}};
  const RollupResult r = ComputeHourly(pts, spec, zone, from, from + 86400);
  EXPECT_TRUE(r.flagged.empty());
  ASSERT_EQ(r.hours.size(), 1u);
  EXPECT_DOUBLE_EQ(r.hours[0].sum, 10 + (4 + 6) + 10);
  // Without the replacement record the drop is a flagged reset and its interval is lost.
  const RollupResult n = ComputeHourly(pts, Cumulative(4), zone, from, from + 86400);
  ASSERT_EQ(n.flagged.size(), 1u);
  EXPECT_DOUBLE_EQ(n.hours[0].sum, 10 + 10);
}

TEST(RollupTest, SmallBackwardStepIsNotARollover) {
  const TimeZone zone = TimeZone::Fixed(8 * kHour);
  const int64_t from = 1705248000;
  // 500 -> 490 on a 6-digit register: wrapping would mean 999,990 kWh in 15 minutes.
  const std::vector<Point> pts = {{from, 480}, {from + 900, 500}, {from + 1800, 490}};
  const RollupResult r = ComputeHourly(pts, Cumulative(6), zone, from, from + 86400);
  ASSERT_EQ(r.flagged.size(), 1u);
  EXPECT_STREQ(r.flagged[0].reason, "negative delta");
  EXPECT_DOUBLE_EQ(r.flagged[0].delta, -10);
  EXPECT_EQ(r.flagged[0].ts_s, from + 1800);
  EXPECT_EQ(r.hours, (std::vector<HourSum>{{from, 20, 1}}));
}

TEST(RollupTest, AbsurdDeltaIsFlaggedAndScaledToTheGap) {
  const TimeZone zone = TimeZone::Fixed(8 * kHour);
  const int64_t from = 1705248000;
  const std::vector<Point> pts = {
      {from, 0},
      {from + 900, 90},                // fine: 90 <= 100 (a gap under an hour counts as one)
      {from + 1800, 240},              // 150 > 100: absurd
      {from + 1800 + 3 * kHour, 490},  // 250 over 3 hours <= 300: fine
      {from + 1800 + 4 * kHour, 990},  // 500 in an hour: absurd
  };
  const RollupResult r = ComputeHourly(pts, Cumulative(0, 100), zone, from, from + 86400);
  ASSERT_EQ(r.flagged.size(), 2u);
  EXPECT_EQ(r.flagged[0].ts_s, from + 1800);
  EXPECT_DOUBLE_EQ(r.flagged[0].delta, 150);
  EXPECT_STREQ(r.flagged[0].reason, "absurd delta");
  EXPECT_EQ(r.flagged[1].ts_s, from + 1800 + 4 * kHour);
  EXPECT_STREQ(r.flagged[1].reason, "absurd delta");
  EXPECT_DOUBLE_EQ(Total(r), 90 + 250);
}

TEST(RollupTest, DeltaSpreadsAcrossAnHourBoundaryInProportion) {
  const TimeZone zone = Zone("Asia/Shanghai");
  const int64_t from = 1705248000;
  // 00:45 -> 01:30 local: 15 of 45 minutes in hour 0, 30 in hour 1.
  const std::vector<Point> pts = {{from + 2700, 100}, {from + 5400, 130}};
  const RollupResult r = ComputeHourly(pts, Cumulative(), zone, from, from + 86400);
  ASSERT_EQ(r.hours.size(), 2u);
  EXPECT_EQ(r.hours[0].hour_start_s, from);
  EXPECT_DOUBLE_EQ(r.hours[0].sum, 10);
  EXPECT_EQ(r.hours[0].readings, 1);
  EXPECT_EQ(r.hours[1].hour_start_s, from + kHour);
  EXPECT_DOUBLE_EQ(r.hours[1].sum, 20);
  EXPECT_EQ(r.hours[1].readings, 1);

  // A 5-hour gap spreads evenly over the five hours.
  const std::vector<Point> gap = {{from + kHour, 0}, {from + 6 * kHour, 50}};
  const RollupResult g = ComputeHourly(gap, Cumulative(), zone, from, from + 86400);
  ASSERT_EQ(g.hours.size(), 5u);
  for (size_t h = 0; h < 5; ++h) {
    EXPECT_EQ(g.hours[h].hour_start_s, from + static_cast<int64_t>(h + 1) * kHour);
    EXPECT_DOUBLE_EQ(g.hours[h].sum, 10);
  }
}

TEST(RollupTest, SpreadAcrossMidnightIsClippedToTheDay) {
  const TimeZone zone = Zone("Asia/Shanghai");
  const int64_t from = 1705248000;
  const int64_t to = from + 86400;
  // 23:30 yesterday -> 00:30 today -> ... -> 23:30 today -> 00:30 tomorrow.
  const std::vector<Point> pts = {
      {from - 1800, 0}, {from + 1800, 60}, {to - 1800, 60}, {to + 1800, 80}};
  const RollupResult r = ComputeHourly(pts, Cumulative(), zone, from, to);
  // Today gets half of the first delta, the whole flat middle (0) and half of the last.
  EXPECT_DOUBLE_EQ(Total(r), 30 + 0 + 10);
  ASSERT_FALSE(r.hours.empty());
  EXPECT_EQ(r.hours.front().hour_start_s, from);
  EXPECT_DOUBLE_EQ(r.hours.front().sum, 30 + 0);  // 00:00-00:30 of the first delta + flat part
  EXPECT_EQ(r.hours.back().hour_start_s, to - kHour);
  EXPECT_DOUBLE_EQ(r.hours.back().sum, 0 + 10);
  for (const HourSum& h : r.hours) {
    EXPECT_GE(h.hour_start_s, from);
    EXPECT_LT(h.hour_start_s, to);
  }
  // The two neighbouring days get the other halves.
  EXPECT_DOUBLE_EQ(Total(ComputeHourly(pts, Cumulative(), zone, from - 86400, from)), 30);
  EXPECT_DOUBLE_EQ(Total(ComputeHourly(pts, Cumulative(), zone, to, to + 86400)), 10);
}

TEST(RollupTest, IntervalEndingAtMidnightBelongsToThePreviousDay) {
  const TimeZone zone = Zone("Asia/Shanghai");
  const int64_t from = 1705248000;
  const int64_t to = from + 86400;
  const std::vector<Point> pts = {{to - 900, 10}, {to, 14}, {to + 900, 15}};
  const RollupResult today = ComputeHourly(pts, Cumulative(), zone, from, to);
  EXPECT_EQ(today.hours, (std::vector<HourSum>{{to - kHour, 4, 1}}));
  const RollupResult tomorrow = ComputeHourly(pts, Cumulative(), zone, to, to + 86400);
  EXPECT_EQ(tomorrow.hours, (std::vector<HourSum>{{to, 1, 1}}));
}

TEST(RollupTest, FlaggedOnlyInTheWindowWhereTheDeltaEnds) {
  const TimeZone zone = Zone("Asia/Shanghai");
  const int64_t from = 1705248000;
  const int64_t to = from + 86400;
  // Negative deltas ending at from (yesterday's), at to (today's) and after to (tomorrow's).
  const std::vector<Point> pts = {
      {from - 900, 50}, {from, 40}, {to - 900, 40}, {to, 30}, {to + 900, 20}};
  const RollupResult r = ComputeHourly(pts, Cumulative(), zone, from, to);
  ASSERT_EQ(r.flagged.size(), 1u);
  EXPECT_EQ(r.flagged[0].ts_s, to);
  EXPECT_TRUE(r.hours.empty() || Total(r) == 0);
  // A bad delta that straddles midnight is tomorrow's to report, though it overlaps today.
  const std::vector<Point> straddle = {{to - 900, 40}, {to + 900, 30}};
  EXPECT_TRUE(ComputeHourly(straddle, Cumulative(), zone, from, to).flagged.empty());
  EXPECT_EQ(ComputeHourly(straddle, Cumulative(), zone, to, to + 86400).flagged.size(), 1u);
}

TEST(RollupTest, EmptyInputsAndWindows) {
  const TimeZone zone;
  EXPECT_TRUE(ComputeHourly({}, SeriesSpec{}, zone, 0, 86400).hours.empty());
  EXPECT_TRUE(ComputeHourly({}, Cumulative(), zone, 0, 86400).hours.empty());
  const std::vector<Point> one = {{100, 5}};
  EXPECT_TRUE(ComputeHourly(one, Cumulative(), zone, 0, 86400).hours.empty());
  EXPECT_TRUE(ComputeHourly(one, SeriesSpec{}, zone, 86400, 0).hours.empty());
}

std::vector<Point> QuarterHours(const std::vector<double>& values) {
  std::vector<Point> pts;
  for (size_t i = 0; i < values.size(); ++i)
    pts.push_back({static_cast<int64_t>(i) * 900, values[i]});
  return pts;
}

TEST(ZeroRunTest, OnlyLongRunsCount) {
  std::vector<double> v = {5, 0, 0, 5};         // 30 min of zeros: normal
  for (int i = 0; i < 12; ++i) v.push_back(0);  // exactly 3 hours
  v.push_back(1);
  for (int i = 0; i < 11; ++i) v.push_back(0);  // 2h45: too short
  v.push_back(2);
  for (int i = 0; i < 20; ++i) v.push_back(0);  // 5 hours, at the end
  const std::vector<Point> pts = QuarterHours(v);
  EXPECT_EQ(CountSuspectZeros(pts, 900, 3 * kHour), 32);
  const std::vector<ZeroRun> runs = FindZeroRuns(pts, 900, 3 * kHour);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].start_s, 4 * 900);
  EXPECT_EQ(runs[0].end_s, 16 * 900);
  EXPECT_EQ(runs[0].readings, 12);
  EXPECT_EQ(runs[1].start_s, 29 * 900);
  EXPECT_EQ(runs[1].end_s, 49 * 900);
  EXPECT_EQ(runs[1].readings, 20);
  EXPECT_EQ(CountSuspectZeros(pts, 900, 900), 2 + 12 + 11 + 20);
}

TEST(ZeroRunTest, AGapBreaksARun) {
  std::vector<Point> pts;
  for (int i = 0; i < 8; ++i) pts.push_back({i * 900, 0});
  for (int i = 9; i < 17; ++i) pts.push_back({i * 900, 0});  // one reading missing at 8
  EXPECT_EQ(CountSuspectZeros(pts, 900, 3 * kHour), 0);
  EXPECT_EQ(FindZeroRuns(pts, 900, 2 * kHour).size(), 2u);
  pts.insert(pts.begin() + 8, Point{8 * 900, 0});
  EXPECT_EQ(CountSuspectZeros(pts, 900, 3 * kHour), 17);
  EXPECT_TRUE(FindZeroRuns({}, 900, 1).empty());
}

TEST(ZeroRunTest, RealCambridgeDataHasLongZeroRuns) {
  // The publisher filled this building's missing hours with zeros: 23 hours in June and 47 in
  // October.
  const char* root = std::getenv("ZP_SOURCE_DIR");
  const std::string path =
      std::string(root ? root : ".") + "/../shared/data/cambridge-estates-2019/electricity/b10.csv";
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) GTEST_SKIP() << "no real data at " << path;
  std::vector<Point> pts;
  char line[256];
  const TimeZone utc;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    const char* comma = std::strchr(line, ',');
    if (comma == nullptr) continue;
    Result<int64_t> ts = ParseTimestamp(std::string_view(line, comma - line), utc);
    if (!ts.ok()) continue;  // header
    pts.push_back({*ts, std::strtod(comma + 1, nullptr)});
  }
  std::fclose(f);
  ASSERT_EQ(pts.size(), 8760u);
  const std::vector<ZeroRun> runs = FindZeroRuns(pts, 3600, 3 * kHour);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].readings, 23);
  EXPECT_EQ(runs[1].readings, 47);
  for (const ZeroRun& run : runs) {
    EXPECT_EQ(run.end_s - run.start_s, int64_t{run.readings} * kHour);
  }
  EXPECT_EQ(CountSuspectZeros(pts, 3600, 3 * kHour), 70);
}

}  // namespace
}  // namespace zp::tsdb
