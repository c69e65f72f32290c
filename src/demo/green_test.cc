// The demo park's green supply (issue 6) over a whole generated year: the park's wind farm and
// ground-mounted PV plant, the battery storage at E005, and the monthly product output of the
// CBAM-relevant metal makers. 演示园区绿电供给：风电、地面光伏、储能与产品产量。

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "zp/base/time.h"
#include "zp/demo/demo.h"

namespace zp::demo {
namespace {

constexpr int64_t kSlot = 900;
constexpr int32_t kDays = 365;

const model::Meter* FindMeter(const DemoPlan& plan, std::string_view code) {
  for (const model::Meter& m : plan.meters) {
    if (m.code == code) return &m;
  }
  return nullptr;
}

// A 10-enterprise park's year (2025), the readings of the meters the tests look at.
struct Year {
  DemoPlan plan;
  std::map<std::string, std::vector<engine::ReadingIn>> by_meter;
  // Local hour of day (0..23.75) of a reading.
  double Hour(int64_t ts) const {
    return static_cast<double>((ts - plan.start_s) % 86400) / 3600.0;
  }
  int32_t Day(int64_t ts) const { return static_cast<int32_t>((ts - plan.start_s) / 86400); }
  int32_t Month(int64_t ts) const {
    return CivilFromDays(DaysFromCivil(2025, 1, 1) + Day(ts)).month;
  }
  const std::vector<engine::ReadingIn>& Of(const std::string& code) const {
    return by_meter.at(code);
  }
  double Total(const std::string& code) const {
    double sum = 0;
    for (const engine::ReadingIn& r : Of(code)) sum += r.value;
    return sum;
  }
};

const Year& TheYear() {
  static const Year* year = [] {
    auto* y = new Year;
    DemoOptions o;
    o.enterprises = 10;
    o.days = kDays;
    auto gen = DemoGenerator::Create(o);
    EXPECT_TRUE(gen.ok()) << gen.error().ToString();
    y->plan = (*gen)->plan();
    const std::set<std::string> wanted = {"PARK.WIND",     "PARK.PV.GROUND", "E005.BESS.IN",
                                          "E005.BESS.OUT", "E005.PV",        "E005.EL.MAIN",
                                          "E008.EL.MAIN"};
    std::vector<engine::ReadingIn> day;
    while (!(*gen)->done()) {
      day.clear();
      (*gen)->GenerateNextDay(&day);
      for (const engine::ReadingIn& r : day) {  // default ids: plan index + 1
        const std::string& code = y->plan.meters[static_cast<size_t>(r.meter_id - 1)].code;
        if (wanted.count(code)) y->by_meter[code].push_back(r);
      }
    }
    return y;
  }();
  return *year;
}

TEST(DemoGreenYear, WindFarmHasARealisticYear) {
  const Year& y = TheYear();
  const model::Meter* m = FindMeter(y.plan, "PARK.WIND");
  ASSERT_NE(m, nullptr);
  EXPECT_NE(m->name.find("5.0 MW"), std::string::npos) << m->name;  // 100 MW per 200 firms
  const double capacity_kw = 5000;
  const auto& readings = y.Of("PARK.WIND");
  ASSERT_EQ(readings.size(), static_cast<size_t>(kDays) * 96);
  std::map<int32_t, double> by_day, by_month;
  double night = 0, total = 0;
  for (const engine::ReadingIn& r : readings) {
    ASSERT_GE(r.value, 0.0);
    ASSERT_LE(r.value, capacity_kw * 0.25 + 1e-9);
    by_day[y.Day(r.ts_s)] += r.value;
    by_month[y.Month(r.ts_s)] += r.value;
    total += r.value;
    if (y.Hour(r.ts_s) < 6 || y.Hour(r.ts_s) >= 20) night += r.value;
  }
  // Capacity factor of an inland north-east China wind farm: ~20-30 % (1,800-2,600 h).
  const double cf = total / (capacity_kw * 8760);
  EXPECT_GT(cf, 0.18);
  EXPECT_LT(cf, 0.33);
  EXPECT_GT(night / total, 0.3) << "wind also blows at night";
  // Windy spring, calm midsummer.
  EXPECT_GT(by_month[4], 1.3 * by_month[8]);
  // Weather, not a clock: calm and stormy days, but never a whole day of zeros (which the
  // completeness check would flag as a suspect gap).
  int32_t calm = 0, windy = 0;
  for (const auto& [d, kwh] : by_day) {
    EXPECT_GT(kwh, 0) << "day " << d;
    calm += kwh < 0.05 * capacity_kw * 24;
    windy += kwh > 0.5 * capacity_kw * 24;
  }
  EXPECT_GT(calm, 5);
  EXPECT_GT(windy, 10);
}

TEST(DemoGreenYear, GroundPvPlantYield) {
  const Year& y = TheYear();
  const model::Meter* m = FindMeter(y.plan, "PARK.PV.GROUND");
  ASSERT_NE(m, nullptr);
  EXPECT_NE(m->name.find("3.0 MWp"), std::string::npos) << m->name;
  double total = 0;
  for (const engine::ReadingIn& r : y.Of("PARK.PV.GROUND")) {
    const double h = y.Hour(r.ts_s);
    if (h < 4 || h >= 20) {
      ASSERT_EQ(r.value, 0.0) << h;
    }
    ASSERT_LE(r.value, 3000 * 0.25);
    total += r.value;
  }
  // Liaoning, fixed optimal tilt: ~1,200-1,450 kWh per kWp and year; above the rooftops'.
  EXPECT_GT(total / 3000, 1150);
  EXPECT_LT(total / 3000, 1500);
  const double rooftop_kwp = 1337;  // E005's rooftop ("屋顶光伏 1337 kWp")
  ASSERT_NE(FindMeter(y.plan, "E005.PV")->name.find("1337 kWp"), std::string::npos);
  EXPECT_GT(total / 3000, y.Total("E005.PV") / rooftop_kwp);
}

TEST(DemoGreenYear, StorageChargesFromPvSurplusAndDischargesInTheEveningPeak) {
  const Year& y = TheYear();
  const auto& in = y.Of("E005.BESS.IN");
  const auto& out = y.Of("E005.BESS.OUT");
  const auto& pv = y.Of("E005.PV");
  const auto& incomer = y.Of("E005.EL.MAIN");  // an interval meter: loads + charging
  ASSERT_EQ(FindMeter(y.plan, "E005.EL.MAIN")->kind, model::MeterKind::kInterval);
  ASSERT_EQ(in.size(), static_cast<size_t>(kDays) * 96);
  ASSERT_EQ(out.size(), in.size());
  ASSERT_EQ(pv.size(), in.size());
  ASSERT_EQ(incomer.size(), in.size());
  const double slot_kwh = 400 * 0.25;  // "储能充电 400 kW/800 kWh"
  ASSERT_NE(FindMeter(y.plan, "E005.BESS.IN")->name.find("400 kW/800 kWh"), std::string::npos);
  const double standby_max = 0.002 * 400 * 0.25 * 1.3;
  double charged = 0, discharged = 0, midday_charge = 0, grid_charge = 0;
  std::map<int32_t, double> out_by_day;
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ(in[i].ts_s, out[i].ts_s);
    ASSERT_EQ(in[i].ts_s, pv[i].ts_s);
    ASSERT_EQ(in[i].ts_s, incomer[i].ts_s);
    const double h = y.Hour(in[i].ts_s);
    const double load = incomer[i].value - in[i].value;  // the site's loads
    ASSERT_GT(load, 0) << i;
    ASSERT_GT(in[i].value, 0.0) << "standby draw, never an exact zero";
    ASSERT_LE(in[i].value, slot_kwh + standby_max);
    ASSERT_GE(out[i].value, 0.0);
    ASSERT_LE(out[i].value, slot_kwh);
    charged += in[i].value;
    discharged += out[i].value;
    // Cumulatively the battery never gives back more than it took.
    ASSERT_LE(discharged, charged) << "at reading " << i;
    const double charge = in[i].value - standby_max;
    if (h >= 9 && h < 16) {
      midday_charge += in[i].value;
      // Charging only from the PV surplus (PV above the site's load).
      EXPECT_LE(charge, std::max(0.0, pv[i].value - load) + 0.03) << i;
    } else if (h < 6) {
      grid_charge += std::max(0.0, charge);
    } else {
      EXPECT_LE(charge, 0.0) << "charges only at midday and in the night valley, h " << h;
    }
    if (h >= 17 && h < 22) {
      // Into the site's own load: no export (anti-backflow).
      EXPECT_LE(out[i].value, load + 0.02) << i;
    } else {
      EXPECT_EQ(out[i].value, 0.0) << "discharges in the evening peak only, h " << h;
    }
    out_by_day[y.Day(out[i].ts_s)] += out[i].value;
  }
  // Metered round trip ~88 %: below 1, above what a battery with standby losses could not reach.
  const double round_trip = discharged / charged;
  EXPECT_LT(round_trip, 0.92);
  EXPECT_GT(round_trip, 0.84);
  EXPECT_GT(midday_charge, 0.8 * charged) << "mostly charged from the PV surplus";
  EXPECT_GT(grid_charge, 0) << "tops up in the valley before dull days";
  // Roughly one cycle per day, every day discharging something.
  EXPECT_EQ(out_by_day.size(), static_cast<size_t>(kDays));
  for (const auto& [d, kwh] : out_by_day) EXPECT_GT(kwh, 0) << "day " << d;
  const double cycles = discharged / 800;
  EXPECT_GT(cycles, 150);
  EXPECT_LT(cycles, 365);
}

TEST(DemoGreenYear, ProductOutputFollowsProductionAtPlausibleIntensity) {
  const Year& y = TheYear();
  const std::string& steel = y.plan.enterprises[7].code;  // E008, steel structures
  ASSERT_EQ(y.plan.enterprises[7].industry_code, "C3311");
  std::map<std::string, std::map<int32_t, double>> by_item;
  for (const model::EnterpriseDatum& d : y.plan.data) {
    if (d.indicator != "product_output") continue;
    EXPECT_EQ(d.enterprise_code, steel) << "only E008 in a 10-enterprise park";
    EXPECT_EQ(d.unit, "t");
    EXPECT_EQ(d.period.year, 2025);
    EXPECT_GT(d.value, 0);
    by_item[d.item][d.period.month] += d.value;
  }
  ASSERT_EQ(by_item.size(), 2u);
  const auto& structures = by_item.at("钢结构件 / Steel structures (CN 7308)");
  const auto& bolts = by_item.at("高强度螺栓 / High-strength bolts (CN 7318)");
  ASSERT_EQ(structures.size(), 12u);
  ASSERT_EQ(bolts.size(), 12u);
  std::map<int32_t, double> kwh;
  for (const engine::ReadingIn& r : y.Of("E008.EL.MAIN")) kwh[y.Month(r.ts_s)] += r.value;
  double year_t = 0, year_kwh = 0;
  for (int32_t month = 1; month <= 12; ++month) {
    const double t = structures.at(month) + bolts.at(month);
    EXPECT_NEAR(bolts.at(month) / t, 0.2, 0.02) << month;
    // Month by month the site electricity per tonne stays near the year's (idle load and
    // holidays move it a little).
    EXPECT_GT(kwh[month] / t, 100) << month;
    EXPECT_LT(kwh[month] / t, 175) << month;
    year_t += t;
    year_kwh += kwh[month];
  }
  // Steel structure fabrication (cutting, welding, blasting): ~100-200 kWh per tonne.
  EXPECT_GT(year_kwh / year_t, 115);
  EXPECT_LT(year_kwh / year_t, 150);
  // The Spring Festival (late January to early February) shows in the output.
  EXPECT_LT(structures.at(2), 0.9 * structures.at(3));
}

TEST(DemoGreenPlan, ProductOutputForAHandfulOfCbamMakers) {
  auto plan = PlanDemoPark(DemoOptions());
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  std::map<std::string, std::string> industry;
  for (const model::Enterprise& e : plan->enterprises) industry[e.code] = e.industry_code;
  std::map<std::string, std::set<std::string>> items;
  std::map<std::string, int> rows;
  for (const model::EnterpriseDatum& d : plan->data) {
    if (d.indicator != "product_output") continue;
    items[d.enterprise_code].insert(d.item);
    ++rows[d.enterprise_code];
  }
  EXPECT_GE(items.size(), 5u);
  EXPECT_LE(items.size(), 7u);
  EXPECT_TRUE(items.count(plan->enterprises[7].code)) << "the steel-structure anchor E008";
  for (const auto& [code, its] : items) {
    const std::string& ind = industry.at(code);
    EXPECT_TRUE(ind == "C3311" || ind == "C3391" || ind == "C3392") << code << " " << ind;
    for (const std::string& item : its) {
      EXPECT_NE(item.find("(CN 7"), std::string::npos) << item;  // CBAM Annex I: 72, 73, 76
    }
    EXPECT_EQ(rows[code], 12 * static_cast<int>(its.size())) << code;
  }
}

}  // namespace
}  // namespace zp::demo
