// AccountingService with the setting green_source = "hourly" (issue 6): market-based Scope 2 from
// the hourly allocation of metered generation on a small demo park (20 enterprises, 14 days of
// January 2025, rooftop PV on some enterprises and the administration building), checked against
// an independent allocation and the literal residual factor; no MWh is counted green twice (the
// park's green <= its PV generation, an enterprise's green <= its consumption, hand-entered
// green_direct_kwh ignored); with "manual" the accounts are those of the manual green supply.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "zp/base/time.h"
#include "zp/carbon/carbon.h"
#include "zp/carbon/service.h"
#include "zp/demo/demo.h"
#include "zp/demo/testing.h"
#include "zp/engine/engine.h"
#include "zp/green/allocation.h"
#include "zp/green/supply.h"
#include "zp/store/store.h"

namespace zp::carbon {
namespace {

constexpr double kResidual2023 = 0.6096e-3;  // tCO2/kWh, MEE 2023 excl. market non-fossil

class GreenHourly : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto eng = demo::OpenTwoWeekDemo("carbon-green-hourly", &from_s_, &to_s_);
    ASSERT_TRUE(eng.ok()) << eng.status().ToString();
    engine_ = std::move(*eng).release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
    store::DropMemoryStore("carbon-green-hourly");
  }

  // An independent allocation of the registry's default supply over [from_s, to_s).
  struct Independent {
    green::SupplyInput in;
    green::AllocationResult res;
    double ConsumptionKwh(const std::string& code) const { return Total(code, true); }
    double MatchedKwh(const std::string& code) const { return Total(code, false); }
    double Total(const std::string& code, bool consumption) const {
      for (size_t c = 0; c < in.consumers.size(); ++c) {
        if (in.consumers[c] != code) continue;
        return static_cast<double>(consumption ? res.consumption_total[c] : res.matched_total[c]) /
               1000.0;
      }
      ADD_FAILURE() << "no consumer " << code;
      return 0;
    }
  };
  static Independent Allocation(int64_t from_s, int64_t to_s) {
    Independent out;
    auto supply = green::DefaultSupplyFromRegistry(*engine_);
    EXPECT_TRUE(supply.ok()) << supply.status().ToString();
    if (!supply.ok()) return out;
    auto built = green::BuildAllocationInput(*engine_, *supply, from_s, to_s);
    EXPECT_TRUE(built.ok()) << built.status().ToString();
    if (!built.ok()) return out;
    out.in = std::move(*built);
    auto res = green::Allocate(out.in.input);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    if (res.ok()) out.res = std::move(*res);
    return out;
  }

  static void SetGreenSource(AccountingService& service, GreenSource g) {
    auto o = service.CarbonOptions();
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    o->green_source = g;
    ASSERT_TRUE(service.PutCarbonOptions(*o).ok());
    auto back = service.CarbonOptions();
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->green_source, g);
  }

  static inline engine::Engine* engine_ = nullptr;
  static inline int64_t from_s_ = 0, to_s_ = 0;
};

TEST(GreenSourceNames, RoundTrip) {
  for (GreenSource g : {GreenSource::kManual, GreenSource::kHourly}) {
    auto back = ParseGreenSource(GreenSourceName(g));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, g);
  }
  EXPECT_FALSE(ParseGreenSource("annual").ok());
  EXPECT_FALSE(ParseGreenSource("").ok());
  EXPECT_EQ(Options{}.green_source, GreenSource::kManual);
}

TEST_F(GreenHourly, MarketBasedScope2UsesTheHourlyAllocation) {
  AccountingService service(*engine_);
  SetGreenSource(service, GreenSource::kHourly);
  const int32_t jan = MonthIndex(2025, 1);
  auto ca = service.Accounts(jan, jan + 1);
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  const energy::Accounts& en = (*ca)->energy();
  EXPECT_EQ(en.green_source_name(), "hourly");

  const Independent ind = Allocation(from_s_, to_s_);
  double park_green = 0;
  int with_green = 0;
  for (int32_t e = 0; e < en.entities() - 1; ++e) {
    const std::string code(en.EntityCode(e));
    const double green_kwh = ind.MatchedKwh(code);
    const double cons_kwh = ind.ConsumptionKwh(code);
    with_green += green_kwh > 0;
    park_green += en.GreenKwh(e, jan);
    EXPECT_NEAR(en.GreenKwh(e, jan), green_kwh, 1e-6) << code;
    EXPECT_DOUBLE_EQ(en.GreenUnmatchedKwh(e, jan), 0) << code;
    // No enterprise is green beyond what it consumed.
    EXPECT_LE(en.GreenKwh(e, jan), en.Amount(e, jan, units::Carrier::kElectricity) + 1e-9) << code;
    const double got = (*ca)->Scope2(e, jan, units::Carrier::kElectricity, Scope2Method::kMarket);
    // Rounding of the hourly Wh: at most 0.5 Wh per hour of consumption.
    EXPECT_NEAR(got, (cons_kwh - green_kwh) * kResidual2023,
                ind.in.input.hours * 0.0005 * kResidual2023 + 1e-9)
        << code;
    // Location-based Scope 2 does not see green power.
    EXPECT_NEAR((*ca)->Scope2(e, jan, units::Carrier::kElectricity, Scope2Method::kLocation),
                en.Amount(e, jan, units::Carrier::kElectricity) *
                    (*ca)
                        ->Scope2Factor(jan, units::Carrier::kElectricity, Scope2Method::kLocation)
                        ->tco2_per_unit,
                1e-9)
        << code;
  }
  EXPECT_GT(with_green, 0);
  // The park's own use receives no green power (the pool serves enterprises).
  EXPECT_DOUBLE_EQ(en.GreenKwh(en.park_entity(), jan), 0);

  // No MWh counted green twice: all green <= the metered PV generation of the period (independent
  // daily sums of the generation meters).
  std::map<std::string, model::Meter> meters;
  for (const model::Meter& m : engine_->ListMeters()) meters[m.code] = m;
  engine::SumQuery q;
  q.group_by = engine::GroupBy::kMeter;
  q.period = engine::Period::kDay;
  q.from_s = from_s_;
  q.to_s = to_s_;
  q.carrier = units::Carrier::kElectricity;
  q.include_generation = true;
  auto rows = engine_->Sums(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  double generation = 0;
  for (const engine::SumRow& r : *rows) {
    auto it = meters.find(r.group);
    if (it != meters.end() && it->second.flow == model::MeterFlow::kGeneration) {
      generation += r.value;
    }
  }
  EXPECT_GT(park_green, 0);
  EXPECT_LE(park_green, generation + ind.in.input.hours * ind.in.input.sources() * 0.0005);

  // The report JSON names the green source; the year before (loaded for year-on-year) has none.
  energy::ReportQuery rq;
  rq.group = energy::Group::kPark;
  rq.period = energy::Period::kMonth;
  rq.from_month = jan;
  rq.to_month = jan + 1;
  auto report = CarbonReport(**ca, rq);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->size(), 1u);
  EXPECT_NEAR((*report)[0].green_kwh, park_green, 1e-6);
  EXPECT_NE(CarbonJson(**ca, *report, rq).find(R"("green_source":"hourly")"), std::string::npos);
  EXPECT_NE(EnergyJson(**ca, {}, rq).find(R"("green_source":"hourly")"), std::string::npos);
  EXPECT_DOUBLE_EQ(en.GreenKwh(0, jan - 12), 0);

  SetGreenSource(service, GreenSource::kManual);
}

TEST_F(GreenHourly, DayAccountsAllocateTheDaysHours) {
  AccountingService service(*engine_);
  SetGreenSource(service, GreenSource::kHourly);
  const TimeZone tz = engine_->zone();
  const int32_t day = DaysFromCivil(2025, 1, 6);
  auto ca = service.DayAccounts(day);
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  const energy::Accounts& en = (*ca)->energy();
  const Independent ind = Allocation(tz.DayStart(day), tz.DayStart(day + 1));
  const int32_t jan = MonthIndex(2025, 1);
  double green = 0;
  for (int32_t e = 0; e < en.entities() - 1; ++e) {
    const std::string code(en.EntityCode(e));
    EXPECT_NEAR(en.GreenKwh(e, jan), ind.MatchedKwh(code), 1e-6) << code;
    green += en.GreenKwh(e, jan);
  }
  EXPECT_GT(green, 0);
  SetGreenSource(service, GreenSource::kManual);
}

// Hand-entered green power and the hourly allocation are never added up: with "hourly" the
// green_direct_kwh rows are ignored; with "manual" (the default) they are what counts, and the
// accounts equal those computed with the manual supply directly.
TEST_F(GreenHourly, ManualAndHourlyNeverAddUp) {
  AccountingService service(*engine_);
  const int32_t jan = MonthIndex(2025, 1);
  const Independent ind = Allocation(from_s_, to_s_);
  // An enterprise that gets hourly green power, with a hand-entered contract on top.
  std::string code;
  for (size_t c = 0; c < ind.in.consumers.size() && code.empty(); ++c) {
    if (ind.res.matched_total[c] > 0) code = ind.in.consumers[c];
  }
  ASSERT_FALSE(code.empty());
  model::EnterpriseDatum d;
  d.enterprise_code = code;
  d.indicator = "green_direct_kwh";
  d.item = "PPA-TEST-1";
  d.period = {2025, 1};
  d.value = 100;
  d.unit = "kWh";
  d.source = "green_hourly_test";
  ASSERT_TRUE(engine_->PutEnterpriseData({d}).ok());
  service.Invalidate();

  auto manual = service.Accounts(jan, jan + 1);
  ASSERT_TRUE(manual.ok()) << manual.status().ToString();
  SetGreenSource(service, GreenSource::kHourly);
  auto hourly = service.Accounts(jan, jan + 1);
  ASSERT_TRUE(hourly.ok()) << hourly.status().ToString();
  SetGreenSource(service, GreenSource::kManual);
  auto manual_again = service.Accounts(jan, jan + 1);
  ASSERT_TRUE(manual_again.ok());

  // The same accounts, computed directly with the manual supply.
  auto input = energy::LoadInput(*engine_, jan - 12, jan + 1);
  ASSERT_TRUE(input.ok());
  auto ref = service.Ref();
  ASSERT_TRUE(ref.ok());
  auto source = energy::MakeManualGreenSupply();
  auto en = energy::Accounts::Compute(std::make_shared<energy::Input>(std::move(*input)), *ref,
                                      source.get());
  ASSERT_TRUE(en.ok()) << en.status().ToString();
  auto direct = CarbonAccounts::Compute(*en);
  ASSERT_TRUE(direct.ok());

  const energy::Accounts& m = (*manual)->energy();
  const energy::Accounts& h = (*hourly)->energy();
  EXPECT_EQ(m.green_source_name(), (*en)->green_source_name());
  EXPECT_EQ(h.green_source_name(), "hourly");
  // The demo enters some direct-supply contracts by hand; ours adds 100 kWh to one enterprise.
  int hand_entered = 0;
  for (int32_t e = 0; e < m.entities(); ++e) {
    const std::string c(m.EntityCode(e));
    const double manual_kwh = (*en)->GreenKwh(e, jan);
    hand_entered += manual_kwh > 0;
    if (c == code) {
      EXPECT_GE(manual_kwh, 100.0) << c;
    }
    EXPECT_DOUBLE_EQ(m.GreenKwh(e, jan), manual_kwh) << c;
    EXPECT_DOUBLE_EQ((*manual_again)->energy().GreenKwh(e, jan), manual_kwh) << c;
    // Hourly: the allocation alone, whatever was entered by hand.
    if (e < m.entities() - 1) {
      EXPECT_NEAR(h.GreenKwh(e, jan), ind.MatchedKwh(c), 1e-6) << c;
    }
    for (Scope2Method method : kScope2Methods) {
      EXPECT_DOUBLE_EQ((*manual)->Scope2(e, jan, units::Carrier::kElectricity, method),
                       (*direct)->Scope2(e, jan, units::Carrier::kElectricity, method))
          << c;
    }
  }
  EXPECT_GE(hand_entered, 1);

  const Status removed = engine_->DeleteEnterpriseDatum(code, "green_direct_kwh", "PPA-TEST-1",
                                                        model::DataPeriod{2025, 1}, "test");
  EXPECT_TRUE(removed.ok()) << removed.ToString();
}

}  // namespace
}  // namespace zp::carbon
