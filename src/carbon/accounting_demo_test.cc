// The demo park's yearly energy and carbon report, per enterprise, against an independent
// recomputation from its raw readings in plain code: the readings come straight from the demo
// generator (not from the store), cumulative registers are differenced here with the rollover
// rule, meters are attributed with the registry's parent links, and the factors are the published
// figures written out literally (standards.md §3-§5), not read from the reference tables.

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "zp/base/time.h"
#include "zp/carbon/carbon.h"
#include "zp/demo/demo.h"
#include "zp/demo/testing.h"
#include "zp/engine/engine.h"
#include "zp/store/store.h"

namespace zp::carbon {
namespace {

using units::Carrier;

constexpr int32_t kYear = 2025;

// Published factors, literally.
constexpr double kElecEq = 0.1229e-3;      // tce/kWh, GB/T 2589 equivalent value
constexpr double kElecCoalEq = 0.3024e-3;  // tce/kWh, 2024 supply coal rate 302.4 gce/kWh
constexpr double kGasTce = 1.2143e-3;      // tce/m3, pipeline natural gas
constexpr double kHeatTce = 0.03412;       // tce/GJ
constexpr double kSteamGj = 2.6934;        // GJ/t, saturated steam 1.0 MPa
constexpr double kGasCo2 = 389.31e-4 * 0.0153 * 0.99 * 44.0 / 12.0;  // tCO2/m3, GB/T 32151.34
constexpr double kLiaoning2023 = 0.4878e-3;  // tCO2/kWh, MEE 2023 provincial average
constexpr double kResidual2023 = 0.6096e-3;  // tCO2/kWh, MEE 2023 excl. market non-fossil
constexpr double kHeatCo2 = 0.11;            // tCO2/GJ, GB/T 32150-2025 default

struct Plain {
  // enterprise code -> carrier -> month (1..12) -> amount
  std::map<std::string, std::map<Carrier, std::map<int32_t, double>>> amount;
};

class DemoAccounting : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    demo::DemoOptions o;
    o.enterprises = 12;
    o.year = kYear;
    o.days = 365;
    auto eng = demo::OpenDemoEngine("memory:accounting-demo", o);
    ASSERT_TRUE(eng.ok()) << eng.status().ToString();
    engine_ = std::move(*eng).release();
    options_ = o;
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
    store::DropMemoryStore("accounting-demo");
  }

  // Raw readings straight from the generator, summed per meter and local month.
  static Plain Recompute() {
    auto gen = demo::DemoGenerator::Create(options_);
    EXPECT_TRUE(gen.ok());
    const demo::DemoPlan& plan = (*gen)->plan();
    auto tz = TimeZone::Load(plan.park.time_zone);
    EXPECT_TRUE(tz.ok());
    const size_t n = plan.meters.size();
    std::vector<std::map<int32_t, double>> per_meter(n);
    std::vector<std::optional<std::pair<int64_t, double>>> last(n);
    // Splits [t0, t1) over local months in proportion to time.
    auto spread = [&](size_t i, int64_t t0, int64_t t1, double v) {
      while (t0 < t1) {
        const int32_t m = tz->LocalMonth(t0);
        const int64_t end = std::min(t1, tz->MonthStart(m + 1));
        per_meter[i][MonthIndexMonth(m)] +=
            v * static_cast<double>(end - t0) / static_cast<double>(t1 - t0 == 0 ? 1 : t1 - t0);
        t0 = end;
      }
    };
    std::vector<engine::ReadingIn> day;
    while (!(*gen)->done()) {
      day.clear();
      (*gen)->GenerateNextDay(&day);
      for (const engine::ReadingIn& r : day) {
        const size_t i = static_cast<size_t>(r.meter_id - 1);
        const model::Meter& m = plan.meters[i];
        if (m.kind == model::MeterKind::kInterval) {
          per_meter[i][MonthIndexMonth(tz->LocalMonth(r.ts_s))] += r.value * m.multiplier;
          continue;
        }
        if (last[i]) {
          const auto [t0, v0] = *last[i];
          double d = r.value - v0;
          if (d < 0) {
            const double range = m.register_digits > 0 ? std::pow(10.0, m.register_digits) : 0;
            const double wrapped = r.value + range - v0;
            const bool rollover =
                range > 0 && v0 >= 0.9 * range && r.value < 0.1 * range && wrapped < 0.5 * range;
            d = rollover ? wrapped : std::nan("");
          }
          if (!std::isnan(d)) {
            // Spread over the interval's time; a 15-minute interval lies in one month, a gap
            // may straddle two.
            const double v = d * m.multiplier;
            if (t0 < r.ts_s) spread(i, t0, r.ts_s, v);
          }
        }
        last[i] = {r.ts_s, r.value};
      }
    }
    // Attribution by the registry's parent links.
    Plain p;
    std::map<std::string, const model::Meter*> by_code;
    for (const model::Meter& m : plan.meters) by_code[m.code] = &m;
    for (size_t i = 0; i < n; ++i) {
      const model::Meter& m = plan.meters[i];
      if (m.kind == model::MeterKind::kVirtual || m.flow != model::MeterFlow::kConsumption ||
          m.enterprise_code.empty()) {
        continue;
      }
      const model::Meter* parent = m.parent_code.empty() ? nullptr : by_code.at(m.parent_code);
      if (parent && parent->enterprise_code == m.enterprise_code) continue;
      for (const auto& [month, v] : per_meter[i]) {
        p.amount[m.enterprise_code][m.carrier][month] += v;
        if (parent && !parent->enterprise_code.empty()) {
          p.amount[parent->enterprise_code][m.carrier][month] -= v;
        }
      }
    }
    return p;
  }

  static inline engine::Engine* engine_ = nullptr;
  static inline demo::DemoOptions options_;
};

TEST_F(DemoAccounting, YearlyReportMatchesIndependentRecomputation) {
  ASSERT_NE(engine_, nullptr);
  auto in = energy::LoadInput(*engine_, MonthIndex(kYear, 1), MonthIndex(kYear + 1, 1));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  auto ref = refdata::RefData::Build();
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  auto green = energy::MakeManualGreenSupply();
  auto en =
      energy::Accounts::Compute(std::make_shared<energy::Input>(std::move(*in)), *ref, green.get());
  ASSERT_TRUE(en.ok()) << en.status().ToString();
  auto ca = CarbonAccounts::Compute(*en);
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  energy::ReportQuery q;
  q.group = energy::Group::kEnterprise;
  q.period = energy::Period::kYear;
  q.from_month = MonthIndex(kYear, 1);
  q.to_month = MonthIndex(kYear + 1, 1);
  auto energy_rows = energy::EnergyReport(**en, q);
  ASSERT_TRUE(energy_rows.ok()) << energy_rows.status().ToString();
  auto carbon_rows = CarbonReport(**ca, q);
  ASSERT_TRUE(carbon_rows.ok()) << carbon_rows.status().ToString();

  const Plain plain = Recompute();
  // Green electricity by hand-entered direct supply, capped per enterprise-month.
  std::map<std::string, std::map<int32_t, double>> green_kwh;
  for (const model::EnterpriseDatum& d : (*en)->input().data) {
    if (d.indicator == "green_direct_kwh" && d.period.year == kYear) {
      green_kwh[d.enterprise_code][d.period.month] += d.value;
    }
  }
  std::map<std::string, double> process;
  for (const model::EnterpriseDatum& d : (*en)->input().data) {
    if (d.indicator == "process_co2" && d.period.year == kYear) {
      process[d.enterprise_code] += d.value;
    }
  }
  int checked = 0;
  bool saw_green = false;
  for (const energy::EnergyRow& r : *energy_rows) {
    if (r.group == energy::kParkEntityCode) continue;
    double tce_eq = 0, tce_ceq = 0, s1 = 0, s2_loc = 0, s2_mkt = 0;
    auto carriers = plain.amount.find(r.group);
    ASSERT_NE(carriers, plain.amount.end()) << r.group;
    for (const auto& [carrier, months] : carriers->second) {
      for (const auto& [month, v] : months) {
        switch (carrier) {
          case Carrier::kElectricity: {
            tce_eq += v * kElecEq;
            tce_ceq += v * kElecCoalEq;
            s2_loc += v * kLiaoning2023;
            double g = 0;
            auto gi = green_kwh.find(r.group);
            if (gi != green_kwh.end() && gi->second.count(month)) {
              g = std::min(gi->second.at(month), std::max(0.0, v));
              saw_green = true;
            }
            s2_mkt += (v - g) * kResidual2023;
            break;
          }
          case Carrier::kNaturalGas:
            tce_eq += v * kGasTce;
            tce_ceq += v * kGasTce;
            s1 += v * kGasCo2;
            break;
          case Carrier::kHeat:
            tce_eq += v * kHeatTce;
            tce_ceq += v * kHeatTce;
            s2_loc += v * kHeatCo2;
            s2_mkt += v * kHeatCo2;
            break;
          case Carrier::kSteam:
            tce_eq += v * kSteamGj * kHeatTce;
            tce_ceq += v * kSteamGj * kHeatTce;
            s2_loc += v * kSteamGj * kHeatCo2;
            s2_mkt += v * kSteamGj * kHeatCo2;
            break;
          default:
            break;  // water: not energy
        }
      }
    }
    auto rel = [](double a, double b) { return std::fabs(a - b) <= 1e-7 * std::max(1.0, b); };
    EXPECT_TRUE(rel(r.tce[0], tce_eq)) << r.group << " " << r.tce[0] << " vs " << tce_eq;
    EXPECT_TRUE(rel(r.tce[1], tce_ceq)) << r.group << " " << r.tce[1] << " vs " << tce_ceq;
    const CarbonRow* c = nullptr;
    for (const CarbonRow& x : *carbon_rows) {
      if (x.group == r.group) c = &x;
    }
    ASSERT_NE(c, nullptr) << r.group;
    EXPECT_TRUE(rel(c->scope1_fuel, s1)) << r.group << " " << c->scope1_fuel << " vs " << s1;
    EXPECT_TRUE(rel(c->scope2[0], s2_loc)) << r.group << " " << c->scope2[0] << " vs " << s2_loc;
    EXPECT_TRUE(rel(c->scope2[1], s2_mkt)) << r.group << " " << c->scope2[1] << " vs " << s2_mkt;
    EXPECT_TRUE(rel(c->scope1_process, process[r.group])) << r.group;
    EXPECT_TRUE(rel(c->total[1], s1 + s2_mkt + process[r.group])) << r.group;
    // Added value entered for every month: intensity is reported.
    EXPECT_TRUE(r.intensity[0].has_value()) << r.group;
    ++checked;
  }
  EXPECT_EQ(checked, options_.enterprises);
  EXPECT_TRUE(saw_green) << "the demo should give some enterprise direct-supply green power";
}

TEST_F(DemoAccounting, HoursAddUpToDaysToMonthsToYear) {
  ASSERT_NE(engine_, nullptr);
  const TimeZone tz = engine_->zone();
  auto total = [&](engine::Period p, int32_t from_m, int32_t to_m) {
    engine::SumQuery q;
    q.group_by = engine::GroupBy::kEnterprise;
    q.period = p;
    q.from_s = tz.MonthStart(from_m);
    q.to_s = tz.MonthStart(to_m);
    auto rows = engine_->Sums(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::map<std::pair<std::string, Carrier>, double> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out[{r.group, r.carrier}] += r.value;
    }
    return out;
  };
  const int32_t jan = MonthIndex(kYear, 1), apr = MonthIndex(kYear, 4);
  auto hours = total(engine::Period::kHour, jan, apr);
  auto days = total(engine::Period::kDay, jan, apr);
  auto months = total(engine::Period::kMonth, jan, apr);
  ASSERT_FALSE(months.empty());
  for (const auto& [key, v] : months) {
    EXPECT_NEAR(hours[key], v, 1e-6 * std::max(1.0, std::fabs(v))) << key.first;
    EXPECT_NEAR(days[key], v, 1e-6 * std::max(1.0, std::fabs(v))) << key.first;
  }
  auto year = total(engine::Period::kYear, jan, MonthIndex(kYear + 1, 1));
  auto all_months = total(engine::Period::kMonth, jan, MonthIndex(kYear + 1, 1));
  for (const auto& [key, v] : year) {
    EXPECT_NEAR(all_months[key], v, 1e-6 * std::max(1.0, std::fabs(v))) << key.first;
  }
}

}  // namespace
}  // namespace zp::carbon
