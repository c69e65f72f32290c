// The supply registry and the hourly allocation on a small demo park (20 enterprises, 14 days of
// January 2025, rooftop PV on about 30 % of the enterprises plus the administration building's),
// checked hour by hour against the metered data, and the market-based Scope 2 that the carbon
// accounts compute with the hourly-matched green supply against an independent computation.

#include "zp/green/supply.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "zp/base/time.h"
#include "zp/carbon/carbon.h"
#include "zp/demo/demo.h"
#include "zp/engine/engine.h"
#include "zp/refdata/refdata.h"
#include "zp/store/store.h"

namespace zp::green {
namespace {

constexpr int32_t kDays = 14;
constexpr double kResidual2023 = 0.6096e-3;  // tCO2/kWh, MEE 2023 excl. market non-fossil

class SupplyDemo : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    demo::DemoOptions o;
    o.enterprises = 20;
    o.year = 2025;
    o.days = kDays;
    auto store = store::OpenStore("memory:green-supply");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    engine::EngineOptions eo;
    eo.background = false;
    auto eng = engine::Engine::Open(std::move(*store), eo);
    ASSERT_TRUE(eng.ok()) << eng.status().ToString();
    engine_ = std::move(*eng).release();
    auto built = demo::BuildDemoPark(*engine_, o);
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    const TimeZone tz = engine_->zone();
    from_s_ = tz.DayStart(DaysFromCivil(2025, 1, 1));
    to_s_ = tz.DayStart(DaysFromCivil(2025, 1, 1) + kDays);
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
    store::DropMemoryStore("green-supply");
  }

  static Supply DefaultSupply() {
    auto s = DefaultSupplyFromRegistry(*engine_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : Supply{};
  }

  // kWh per group from one Sums call, independent of the supply code.
  static std::map<std::string, double> Totals(engine::GroupBy by, bool generation) {
    engine::SumQuery q;
    q.group_by = by;
    q.period = engine::Period::kDay;
    q.from_s = from_s_;
    q.to_s = to_s_;
    q.carrier = units::Carrier::kElectricity;
    q.include_generation = generation;
    auto rows = engine_->Sums(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::map<std::string, double> out;
    if (rows.ok()) {
      for (const engine::SumRow& r : *rows) out[r.group] += r.value;
    }
    return out;
  }

  static inline engine::Engine* engine_ = nullptr;
  static inline int64_t from_s_ = 0, to_s_ = 0;
};

TEST_F(SupplyDemo, DefaultSupplyFollowsTheRegistry) {
  const Supply s = DefaultSupply();
  std::map<std::string, model::Meter> meters;
  for (const model::Meter& m : engine_->ListMeters()) meters[m.code] = m;
  int generation_meters = 0;
  for (const auto& [code, m] : meters) {
    generation_meters += m.flow == model::MeterFlow::kGeneration;
  }
  ASSERT_EQ(s.assets.size(), static_cast<size_t>(generation_meters));
  int same_site = 0, pool = 0;
  for (const Contract& c : s.contracts) {
    if (c.kind == ContractKind::kSameSite) {
      ++same_site;
      ASSERT_EQ(c.buyers.size(), 1u);
      EXPECT_EQ(c.code, "SAME_SITE." + c.buyers[0]);
      for (const std::string& a : c.assets) EXPECT_EQ(meters.at(a).enterprise_code, c.buyers[0]);
    } else {
      ASSERT_EQ(c.kind, ContractKind::kParkPool);
      ++pool;
      EXPECT_EQ(c.buyers.size(), engine_->ListEnterprises().size());
      for (const std::string& a : c.assets) EXPECT_EQ(meters.at(a).enterprise_code, "");
    }
  }
  EXPECT_GE(same_site, 2) << "the demo should put PV on some enterprises";
  EXPECT_LT(same_site, 20);
  EXPECT_EQ(pool, 1);  // PARK.PV.ADMIN
  EXPECT_EQ(RoundOf(ContractKind::kSameSite), 0);
  EXPECT_EQ(RoundOf(ContractKind::kDirectSupply), 1);
  EXPECT_EQ(RoundOf(ContractKind::kGreenTrading), 2);
  EXPECT_EQ(RoundOf(ContractKind::kParkPool), 3);
}

TEST(SupplyNames, RoundTrip) {
  for (Technology t : {Technology::kRooftopPv, Technology::kGroundPv, Technology::kWind,
                       Technology::kGeothermalHeat, Technology::kStorage}) {
    auto p = ParseTechnology(TechnologyName(t));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, t);
  }
  for (ContractKind k : {ContractKind::kSameSite, ContractKind::kDirectSupply,
                         ContractKind::kGreenTrading, ContractKind::kParkPool}) {
    auto p = ParseContractKind(ContractKindName(k));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, k);
  }
  EXPECT_FALSE(ParseTechnology("coal").ok());
  EXPECT_FALSE(ParseContractKind("grid").ok());
}

TEST(SupplyValidation, StructureErrorsNameTheRecord) {
  const Supply good{{{"A1", "PV 1", Technology::kRooftopPv, "E1", "E1.PV"},
                     {"A2", "PV 2", Technology::kGroundPv, "", "PARK.PV"},
                     {"H1", "heat", Technology::kGeothermalHeat, "", "PARK.GEO"}},
                    {{"SS", ContractKind::kSameSite, {"A1"}, {"E1"}},
                     {"POOL", ContractKind::kParkPool, {"A2"}, {"E1", "E2"}}}};
  EXPECT_TRUE(ValidateSupply(good).ok()) << ValidateSupply(good).ToString();
  auto expect_error = [&](Supply s, std::string_view part) {
    const Status st = ValidateSupply(s);
    ASSERT_FALSE(st.ok()) << part;
    EXPECT_NE(st.ToString().find(part), std::string::npos) << st.ToString();
  };
  Supply s = good;
  s.assets[1].code = "A1";
  expect_error(s, "asset A1: duplicate code");
  s = good;
  s.assets[0].code = "bad code";
  expect_error(s, "bad code");
  s = good;
  s.assets[1].meter_code = "E1.PV";
  expect_error(s, "meter E1.PV already measures");
  s = good;
  s.contracts[1].assets = {"A9"};
  expect_error(s, "contract POOL: unknown asset A9");
  s = good;
  s.contracts[1].assets = {"A1"};
  expect_error(s, "asset A1 already belongs to contract SS");
  s = good;
  s.contracts[0].buyers = {"E2"};
  expect_error(s, "same_site asset A1 is sited at 'E1', not at the buyer E2");
  s = good;
  s.contracts[0].buyers = {"E1", "E2"};
  expect_error(s, "exactly one buyer");
  s = good;
  s.contracts[1].assets = {"H1"};
  expect_error(s, "not a green electricity source");
  s = good;
  s.contracts.push_back({"POOL2", ContractKind::kParkPool, {"A1"}, {"E1"}});
  s.contracts[0].assets.clear();
  expect_error(s, "contract SS: no assets");
  s = good;
  s.contracts[1].buyers = {"E1", "E1"};
  expect_error(s, "buyer E1 listed twice");
  s = good;
  s.contracts[1].code = "SS";
  expect_error(s, "contract SS: duplicate code");
  s = good;
  s.contracts.push_back({"POOL2", ContractKind::kParkPool, {"A1"}, {"E1"}});
  s.contracts[0].assets = {"A2"};
  s.contracts[1].assets = {"A2"};
  expect_error(s, "contract SS: same_site asset A2");
}

TEST_F(SupplyDemo, RegistryValidation) {
  Supply s = DefaultSupply();
  ASSERT_FALSE(s.contracts.empty());
  const auto ents = engine_->ListEnterprises();
  const auto meters = engine_->ListMeters();
  EXPECT_TRUE(ValidateSupply(s, ents, meters).ok());
  Supply bad = s;
  bad.contracts.back().buyers.push_back("NOPE");
  EXPECT_NE(ValidateSupply(bad, ents, meters).ToString().find("unknown buyer NOPE"),
            std::string::npos);
  bad = s;
  bad.assets[0].meter_code = "NO.SUCH.METER";
  EXPECT_NE(ValidateSupply(bad, ents, meters).ToString().find("unknown meter NO.SUCH.METER"),
            std::string::npos);
  // A consumption meter is not a generation asset.
  std::string consumption_meter;
  for (const model::Meter& m : meters) {
    if (m.flow == model::MeterFlow::kConsumption && m.kind != model::MeterKind::kVirtual &&
        m.enterprise_code == bad.assets[0].site_enterprise) {
      consumption_meter = m.code;
      break;
    }
  }
  ASSERT_FALSE(consumption_meter.empty());
  bad.assets[0].meter_code = consumption_meter;
  EXPECT_NE(ValidateSupply(bad, ents, meters).ToString().find("not a physical generation meter"),
            std::string::npos);
  // An asset whose meter belongs to another site.
  bad = s;
  for (GenerationAsset& a : bad.assets) {
    if (!a.site_enterprise.empty()) {
      for (const model::Enterprise& e : ents) {
        if (e.code != a.site_enterprise) {
          a.site_enterprise = e.code;
          break;
        }
      }
      break;
    }
  }
  EXPECT_FALSE(ValidateSupply(bad, ents, meters).ok());
  auto built = BuildAllocationInput(*engine_, bad, from_s_, to_s_);
  EXPECT_FALSE(built.ok());
  EXPECT_FALSE(BuildAllocationInput(*engine_, s, to_s_, from_s_).ok());
}

TEST_F(SupplyDemo, HourlyAllocationOfMeteredData) {
  const Supply supply = DefaultSupply();
  auto built = BuildAllocationInput(*engine_, supply, from_s_, to_s_);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  const SupplyInput& si = *built;
  const AllocationInput& in = si.input;
  ASSERT_EQ(in.hours, kDays * 24);
  ASSERT_EQ(in.consumers, 20);
  ASSERT_EQ(in.sources(), static_cast<int32_t>(supply.assets.size()));
  EXPECT_EQ(si.hour_start_s.front(), from_s_);
  EXPECT_EQ(si.hour_start_s.back(), to_s_ - 3600);
  for (int32_t m : si.hour_month) EXPECT_EQ(m, MonthIndex(2025, 1));

  // Consumption and generation in Wh agree with independent daily sums in kWh (rounding: at most
  // 0.5 Wh per hour).
  const auto cons = Totals(engine::GroupBy::kEnterprise, false);
  for (int32_t c = 0; c < in.consumers; ++c) {
    int64_t wh = 0;
    for (int32_t h = 0; h < in.hours; ++h) wh += in.consumption[h * in.consumers + c];
    EXPECT_NEAR(wh / 1000.0, cons.at(si.consumers[c]), in.hours * 0.0005) << si.consumers[c];
    EXPECT_GT(wh, 0);
  }
  const auto gen = Totals(engine::GroupBy::kMeter, true);
  std::map<std::string, std::string> meter_of;
  std::map<std::string, std::string> site_of;
  for (const GenerationAsset& a : supply.assets) {
    meter_of[a.code] = a.meter_code;
    site_of[a.code] = a.site_enterprise;
  }
  int64_t generation_wh = 0;
  for (int32_t s = 0; s < in.sources(); ++s) {
    int64_t wh = 0;
    for (int32_t h = 0; h < in.hours; ++h) wh += in.generation[h * in.sources() + s];
    EXPECT_NEAR(wh / 1000.0, gen.at(meter_of.at(si.source_asset[s])), in.hours * 0.0005);
    EXPECT_GT(wh, 0) << "January PV is low but not zero: " << si.source_asset[s];
    generation_wh += wh;
  }

  auto res = Allocate(in);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  const AllocationResult& r = *res;
  // Every hour: matched + residual = consumption, allocated + surplus = generation, both >= 0,
  // allocated = matched; issued certificates (= generation) add up to the metered generation.
  int64_t matched_total = 0, issued = 0, allocated_total = 0;
  for (int32_t h = 0; h < in.hours; ++h) {
    int64_t matched_h = 0, allocated_h = 0;
    for (int32_t c = 0; c < in.consumers; ++c) {
      const int64_t cons_wh = in.consumption[h * in.consumers + c];
      ASSERT_GE(r.Matched(c, h), 0);
      ASSERT_GE(r.Residual(in, c, h), 0);
      ASSERT_EQ(r.Matched(c, h) + r.Residual(in, c, h), cons_wh);
      matched_h += r.Matched(c, h);
    }
    for (int32_t s = 0; s < in.sources(); ++s) {
      ASSERT_GE(r.Allocated(s, h), 0);
      ASSERT_GE(r.Surplus(in, s, h), 0);
      ASSERT_EQ(r.Allocated(s, h) + r.Surplus(in, s, h), in.generation[h * in.sources() + s]);
      allocated_h += r.Allocated(s, h);
      issued += r.Allocated(s, h) + r.Surplus(in, s, h);
    }
    ASSERT_EQ(matched_h, allocated_h) << "hour " << h;
    matched_total += matched_h;
    allocated_total += allocated_h;
    // Flows: a same-site source serves its own site only; every flow goes to a buyer.
    auto flows = AllocateHourFlows(in, h);
    ASSERT_TRUE(flows.ok());
    for (const Flow& f : *flows) {
      const std::string& asset = si.source_asset[f.source];
      if (si.source_kind[f.source] == ContractKind::kSameSite) {
        ASSERT_EQ(si.consumers[f.consumer], site_of.at(asset)) << asset << " hour " << h;
      }
      bool eligible = false;
      for (int32_t i = in.eligible_offsets[f.source]; i < in.eligible_offsets[f.source + 1]; ++i) {
        eligible |= in.eligible_consumers[i] == f.consumer;
      }
      ASSERT_TRUE(eligible);
    }
  }
  EXPECT_EQ(issued, generation_wh);
  EXPECT_GT(matched_total, 0);
  EXPECT_LE(matched_total, generation_wh) << "no MWh counted green twice";

  // The monthly green supply equals the allocation's matched totals, capped by consumption.
  auto hourly = HourlyGreenSupply::Create(si, r);
  ASSERT_TRUE(hourly.ok()) << hourly.status().ToString();
  EXPECT_EQ((*hourly)->name(), "hourly");
  std::map<std::string, int64_t> rows_wh;
  double rows_kwh = 0;
  for (const energy::GreenSupply& g : (*hourly)->rows()) {
    EXPECT_EQ(g.month, MonthIndex(2025, 1));
    EXPECT_EQ(g.kind, "hourly_matched");
    EXPECT_EQ(g.source, "green::Allocate");
    EXPECT_FALSE(g.reference.empty());
    rows_wh[g.enterprise_code] += std::llround(g.kwh * 1000);
    rows_kwh += g.kwh;
  }
  std::set<std::string> with_own_pv;
  for (const Contract& c : supply.contracts) {
    if (c.kind == ContractKind::kSameSite) with_own_pv.insert(c.buyers[0]);
  }
  for (int32_t c = 0; c < in.consumers; ++c) {
    const std::string& code = si.consumers[c];
    const int64_t expect = r.matched_total[c];
    EXPECT_EQ(rows_wh.count(code) ? rows_wh.at(code) : 0, expect) << code;
    EXPECT_LE(expect, r.consumption_total[c]);
    if (with_own_pv.count(code) && expect > 0) {
      for (const energy::GreenSupply& g : (*hourly)->rows()) {
        if (g.enterprise_code == code) {
          EXPECT_NE(g.reference.find("SAME_SITE." + code + "["), std::string::npos) << g.reference;
        }
      }
    }
  }
  EXPECT_NEAR(rows_kwh, matched_total / 1000.0, 1e-6);
  EXPECT_EQ(allocated_total, matched_total);
}

TEST_F(SupplyDemo, MarketBasedScope2UsesHourlyMatchedGreenPower) {
  const Supply supply = DefaultSupply();
  auto built = BuildAllocationInput(*engine_, supply, from_s_, to_s_);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto res = Allocate(built->input);
  ASSERT_TRUE(res.ok());
  auto hourly = HourlyGreenSupply::Create(*built, *res);
  ASSERT_TRUE(hourly.ok());

  const int32_t jan = MonthIndex(2025, 1);
  auto input = energy::LoadInput(*engine_, jan, jan + 1);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  auto ref = refdata::RefData::Build();
  ASSERT_TRUE(ref.ok());
  auto en = energy::Accounts::Compute(std::make_shared<energy::Input>(std::move(*input)), *ref,
                                      hourly->get());
  ASSERT_TRUE(en.ok()) << en.status().ToString();
  EXPECT_EQ((*en)->green_source_name(), "hourly");
  auto ca = carbon::CarbonAccounts::Compute(*en);
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();

  // Independent: consumption and green from the hourly Wh arrays, residual at the literal factor.
  const SupplyInput& si = *built;
  int with_green = 0;
  for (int32_t e = 0; e < (*en)->entities() - 1; ++e) {
    const std::string code((*en)->EntityCode(e));
    int32_t c = 0;
    while (c < si.input.consumers && si.consumers[c] != code) ++c;
    ASSERT_LT(c, si.input.consumers) << code;
    const double cons_kwh = res->consumption_total[c] / 1000.0;
    const double green_kwh = res->matched_total[c] / 1000.0;
    with_green += green_kwh > 0;
    EXPECT_NEAR((*en)->GreenKwh(e, jan), green_kwh, 1e-6) << code;
    EXPECT_DOUBLE_EQ((*en)->GreenUnmatchedKwh(e, jan), 0) << code;
    const double expect = (cons_kwh - green_kwh) * kResidual2023;
    const double got =
        (*ca)->Scope2(e, jan, units::Carrier::kElectricity, carbon::Scope2Method::kMarket);
    // Rounding of the hourly Wh: at most 0.5 Wh per hour of consumption.
    EXPECT_NEAR(got, expect, si.input.hours * 0.0005 * kResidual2023 + 1e-9) << code;
  }
  EXPECT_GT(with_green, 0);
}

}  // namespace
}  // namespace zp::green
