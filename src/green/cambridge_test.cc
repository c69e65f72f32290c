// Worked example for issue 6: hourly (24/7) vs annual matching of a shared PV array on four real
// Cambridge estate buildings (2019), checked against an independent computation with plain loops.
// 剑桥大学楼宇实测数据上的逐时匹配与年度匹配对比示例。
//
// Data: ../shared/data/cambridge-estates-2019 (MIT licence), read in place, never copied.
// - electricity/b0.csv, b1.csv, b7.csv, b8.csv: `datetime,equipment load [kWh]`, hourly, UTC,
//   8760 rows for 2019, kWh consumed in the hour starting at `datetime`, rounded by the publisher
//   to 0.1 kWh -> Wh = llround(kWh * 1000) is exact (a multiple of 100 Wh). The publisher's zero
//   fills (b1 has 2 zero hours) are used as they are.
// - pv_generation_per_kw.csv: `solar generation [W/kW]` per hour = mean power of the hour per kW
//   installed, i.e. Wh per kW in that hour. The array is sized in whole kW so that its annual
//   generation is about 50 % of the four buildings' annual consumption; its hourly output is
//   llround(W/kW * kW) Wh.
// One park-pool round, one source eligible for all four buildings.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "zp/base/time.h"
#include "zp/green/allocation.h"
#include "zp/green/supply.h"

namespace zp::green {
namespace {

constexpr int32_t kHours = 8760;

std::string DataDir() {
  const char* root = std::getenv("ZP_SOURCE_DIR");
  return std::string(root ? root : ".") + "/../shared/data/cambridge-estates-2019";
}

// Column `col` (0-based, after the datetime) of an hourly 2019 file; checks that row i is
// 2019-01-01 00:00 UTC + i hours.
bool ReadHourly(const std::string& path, int col, std::vector<double>* out) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return false;
  const TimeZone utc;
  const int64_t start = int64_t{DaysFromCivil(2019, 1, 1)} * 86400;
  char line[512];
  out->clear();
  bool ok = true;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    const char* comma = std::strchr(line, ',');
    if (comma == nullptr) continue;
    Result<int64_t> ts = ParseTimestamp(std::string_view(line, comma - line), utc);
    if (!ts.ok()) continue;  // header
    if (*ts != start + static_cast<int64_t>(out->size()) * 3600) ok = false;
    const char* p = comma + 1;
    for (int i = 0; i < col && p != nullptr; ++i) {
      p = std::strchr(p, ',');
      if (p != nullptr) ++p;
    }
    out->push_back(p != nullptr ? std::strtod(p, nullptr) : -1);
  }
  std::fclose(f);
  return ok;
}

TEST(CambridgeWorkedExample, HourlyVersusAnnualMatching) {
  const std::string dir = DataDir();
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no real data at " << dir;
  const std::vector<std::string> buildings = {"b0", "b1", "b7", "b8"};
  const int32_t nc = static_cast<int32_t>(buildings.size());
  std::vector<std::vector<int64_t>> load(nc);  // [c][h] Wh
  for (int32_t c = 0; c < nc; ++c) {
    const std::string path = dir + "/electricity/" + buildings[c] + ".csv";
    std::vector<double> kwh;
    ASSERT_TRUE(ReadHourly(path, 0, &kwh)) << path << ": missing, or not consecutive UTC hours";
    ASSERT_EQ(kwh.size(), static_cast<size_t>(kHours)) << path;
    for (double v : kwh) {
      ASSERT_GE(v, 0) << path;
      load[c].push_back(std::llround(v * 1000));
      // The publisher's 0.1 kWh rounding makes the conversion exact.
      ASSERT_EQ(load[c].back() % 100, 0) << path << " " << v;
    }
  }
  std::vector<double> w_per_kw;
  ASSERT_TRUE(ReadHourly(dir + "/pv_generation_per_kw.csv", 0, &w_per_kw));
  ASSERT_EQ(w_per_kw.size(), static_cast<size_t>(kHours));

  // Size the array: annual yield (kWh per kW) and load (kWh) -> whole kW for ~50 % of the load.
  double yield_kwh_per_kw = 0;
  for (double v : w_per_kw) {
    ASSERT_GE(v, 0);
    yield_kwh_per_kw += v / 1000;
  }
  int64_t load_wh = 0;
  for (const auto& l : load) {
    for (int64_t v : l) load_wh += v;
  }
  const double kw = std::round(0.5 * (load_wh / 1000.0) / yield_kwh_per_kw);
  std::vector<int64_t> pv(kHours);
  int64_t pv_wh = 0;
  for (int32_t h = 0; h < kHours; ++h) {
    pv[h] = std::llround(w_per_kw[h] * kw);
    pv_wh += pv[h];
  }

  AllocationInput in;
  in.hours = kHours;
  in.consumers = nc;
  in.rounds = kSupplyRounds;
  in.source_round = {RoundOf(ContractKind::kParkPool)};
  in.eligible_offsets = {0, nc};
  for (int32_t c = 0; c < nc; ++c) in.eligible_consumers.push_back(c);
  in.consumption.resize(static_cast<size_t>(kHours) * nc);
  for (int32_t h = 0; h < kHours; ++h) {
    for (int32_t c = 0; c < nc; ++c) in.consumption[h * nc + c] = load[c][h];
  }
  in.generation = pv;
  ASSERT_TRUE(Validate(in).ok()) << Validate(in).ToString();
  auto res = Allocate(in);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  auto scores = ComputeScores(in, *res);
  ASSERT_TRUE(scores.ok()) << scores.status().ToString();

  // Independent, hour by hour: the pool covers min(pv, total load); when it falls short each
  // building gets floor(pv * load_c / total) or one Wh more (the remainder rule).
  int64_t hourly_matched = 0;
  std::vector<int64_t> matched_c(nc, 0), load_c(nc, 0);
  for (int32_t h = 0; h < kHours; ++h) {
    int64_t total = 0;
    for (int32_t c = 0; c < nc; ++c) total += load[c][h];
    const int64_t green = std::min(pv[h], total);
    hourly_matched += green;
    int64_t got = 0;
    for (int32_t c = 0; c < nc; ++c) {
      const int64_t m = res->Matched(c, h);
      got += m;
      matched_c[c] += m;
      load_c[c] += load[c][h];
      if (pv[h] >= total) {
        ASSERT_EQ(m, load[c][h]) << buildings[c] << " hour " << h;
      } else {
        const int64_t fl = pv[h] * load[c][h] / total;
        ASSERT_GE(m, fl) << buildings[c] << " hour " << h;
        ASSERT_LE(m, fl + 1) << buildings[c] << " hour " << h;
      }
    }
    ASSERT_EQ(got, green) << "hour " << h;
    ASSERT_EQ(res->Allocated(0, h), green) << "hour " << h;
  }
  const int64_t annual_matched = std::min(pv_wh, load_wh);
  int64_t annual_got = 0;
  for (int32_t c = 0; c < nc; ++c) {
    EXPECT_EQ(res->consumption_total[c], load_c[c]);
    EXPECT_EQ(res->matched_total[c], matched_c[c]);
    const int64_t fl = annual_matched * load_c[c] / load_wh;
    EXPECT_GE(scores->annual_matched[c], fl) << buildings[c];
    EXPECT_LE(scores->annual_matched[c], fl + 1) << buildings[c];
    annual_got += scores->annual_matched[c];
    EXPECT_DOUBLE_EQ(scores->hourly_share[c], static_cast<double>(matched_c[c]) / load_c[c]);
    // PV at noon does not cover the night: each building's 24/7 score is below its annual one.
    EXPECT_LT(scores->hourly_share[c], scores->annual_share[c]) << buildings[c];
  }
  EXPECT_EQ(annual_got, annual_matched);
  EXPECT_EQ(res->generation_total[0], pv_wh);
  EXPECT_EQ(res->allocated_total[0], hourly_matched);

  const double hourly_share = static_cast<double>(hourly_matched) / load_wh;
  const double annual_share = static_cast<double>(annual_matched) / load_wh;
  EXPECT_DOUBLE_EQ(scores->park_hourly_share, hourly_share);
  EXPECT_DOUBLE_EQ(scores->park_annual_share, annual_share);
  EXPECT_LT(scores->park_hourly_share, scores->park_annual_share);
  EXPECT_NEAR(annual_share, 0.5, 0.01);  // the array was sized for it

  // Pinned figures (quoted in docs/accounting.md): fail loudly if the data or the rule changes.
  EXPECT_EQ(kw, 179);
  EXPECT_EQ(load_wh, 434'116'600);
  EXPECT_EQ(pv_wh, 216'973'239);
  EXPECT_EQ(hourly_matched, 141'769'374);

  std::cout << std::fixed << std::setprecision(3) << "[cambridge] b0 b1 b7 b8, 2019: load "
            << load_wh / 1000.0 << " kWh; PV " << kw << " kW x " << yield_kwh_per_kw
            << " kWh/kW = " << pv_wh / 1000.0 << " kWh; hourly-matched " << hourly_matched / 1000.0
            << " kWh (" << 100 * hourly_share << " %); annual-matched " << annual_matched / 1000.0
            << " kWh (" << 100 * annual_share << " %); hourly surplus "
            << (pv_wh - hourly_matched) / 1000.0 << " kWh\n";
  for (int32_t c = 0; c < nc; ++c) {
    std::cout << "[cambridge] " << buildings[c] << ": load " << load_c[c] / 1000.0
              << " kWh, hourly " << 100 * scores->hourly_share[c] << " %, annual "
              << 100 * scores->annual_share[c] << " %\n";
  }
}

}  // namespace
}  // namespace zp::green
