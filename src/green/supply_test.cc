// The supply registry and the hourly allocation: on a tiny park with every kind of asset and
// contract (priority rounds, validity, profiled and capped volumes, storage, GECs) against
// expectations worked out by hand, and on a small demo park (20 enterprises, 14 days of
// January 2025, rooftop PV on about 30 % of the enterprises plus the administration building's),
// checked hour by hour against the metered data, and the market-based Scope 2 that the carbon
// accounts compute with the hourly-matched green supply against an independent computation.

#include "zp/green/supply.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "supply_testing.h"
#include "zp/base/time.h"
#include "zp/carbon/carbon.h"
#include "zp/carbon/service.h"
#include "zp/demo/demo.h"
#include "zp/demo/testing.h"
#include "zp/engine/engine.h"
#include "zp/engine/testing.h"
#include "zp/refdata/refdata.h"
#include "zp/store/store.h"

namespace zp::green {
namespace {

constexpr int32_t kDays = demo::TwoWeekDemo::kDays;  // the park of OpenTwoWeekDemo
constexpr double kResidual2023 = 0.6096e-3;          // tCO2/kWh, MEE 2023 excl. market non-fossil

class SupplyDemo : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto eng = demo::OpenTwoWeekDemo("green-supply", &from_s_, &to_s_);
    ASSERT_TRUE(eng.ok()) << eng.status().ToString();
    engine_ = std::move(*eng).release();
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

// --- The tiny park of supply_testing.h: 2025-01-01..03, hourly meters.

using testpark::E;

class SmallSupply : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto eng = engine::OpenTestEngine("memory:green-supply-small");
    ASSERT_TRUE(eng.ok()) << eng.status().ToString();
    engine_ = std::move(*eng).release();
    const Status st = testpark::BuildSmallPark(*engine_, true);
    ASSERT_TRUE(st.ok()) << st.ToString();
    day0_ = engine_->zone().DayStart(DaysFromCivil(2025, 1, 1));
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
    store::DropMemoryStore("green-supply-small");
  }

  static Supply Small() {
    auto s = SupplyFromJson(testpark::SmallSupplyJson());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : Supply{};
  }
  static Contract& Find(Supply& s, std::string_view code) {
    for (Contract& c : s.contracts) {
      if (c.code == code) return c;
    }
    ADD_FAILURE() << "no contract " << code;
    return s.contracts[0];
  }
  static void Erase(Supply& s, std::string_view code) {
    std::erase_if(s.contracts, [&](const Contract& c) { return c.code == code; });
  }
  static SupplyInput Build(const Supply& s, int64_t from_s, int64_t to_s,
                           const BuildOptions& o = {}) {
    auto in = BuildAllocationInput(*engine_, s, from_s, to_s, o);
    EXPECT_TRUE(in.ok()) << in.status().ToString();
    return in.ok() ? *in : SupplyInput{};
  }
  static int32_t Source(const SupplyInput& si, std::string_view asset) {
    for (size_t s = 0; s < si.source_asset.size(); ++s) {
      if (si.source_asset[s] == asset) return static_cast<int32_t>(s);
    }
    ADD_FAILURE() << "no source " << asset;
    return 0;
  }
  static int32_t Consumer(const SupplyInput& si, const std::string& code) {
    auto it = std::find(si.consumers.begin(), si.consumers.end(), code);
    EXPECT_NE(it, si.consumers.end()) << code;
    return static_cast<int32_t>(it - si.consumers.begin());
  }
  static int64_t Gen(const SupplyInput& si, int32_t h, int32_t s) {
    return si.input.generation[static_cast<size_t>(h) * si.input.sources() + s];
  }
  static int64_t Cons(const SupplyInput& si, int32_t h, int32_t c) {
    return si.input.consumption[static_cast<size_t>(h) * si.input.consumers + c];
  }
  static int64_t Wh(const std::string& meter, int hod) {
    return std::llround(testpark::MeterKwh(meter, hod) * 1000);
  }
  // Every hour: matched + residual = consumption, allocated + surplus = generation, >= 0.
  static void ExpectInvariants(const SupplyInput& si, const AllocationResult& r) {
    const AllocationInput& in = si.input;
    for (int32_t h = 0; h < in.hours; ++h) {
      int64_t matched = 0, allocated = 0;
      for (int32_t c = 0; c < in.consumers; ++c) {
        ASSERT_GE(r.Matched(c, h), 0);
        ASSERT_GE(r.Residual(in, c, h), 0);
        ASSERT_EQ(r.Matched(c, h) + r.Residual(in, c, h), Cons(si, h, c));
        matched += r.Matched(c, h);
      }
      for (int32_t s = 0; s < in.sources(); ++s) {
        ASSERT_GE(r.Allocated(s, h), 0);
        ASSERT_GE(r.Surplus(in, s, h), 0);
        ASSERT_EQ(r.Allocated(s, h) + r.Surplus(in, s, h), Gen(si, h, s));
        allocated += r.Allocated(s, h);
      }
      ASSERT_EQ(matched, allocated) << "hour " << h;
    }
  }

  static inline engine::Engine* engine_ = nullptr;
  static inline int64_t day0_ = 0;
  static constexpr int64_t kDay = 86400;
};

TEST_F(SmallSupply, SourcesRoundsAndAccounts) {
  const SupplyInput si = Build(Small(), day0_, day0_ + 3 * kDay);
  ASSERT_EQ(si.input.hours, 72);
  ASSERT_EQ(si.input.rounds, 4);
  EXPECT_EQ(si.round_kind,
            (std::vector<ContractKind>{ContractKind::kSameSite, ContractKind::kDirectSupply,
                                       ContractKind::kDirectSupply, ContractKind::kGreenTrading}));
  EXPECT_EQ(si.round_priority, (std::vector<int32_t>{0, 0, 1, 0}));
  EXPECT_EQ(si.source_asset, (std::vector<std::string>{"BESS.E1", "PV.E1", "PV2.E1", "PV.PARK",
                                                       "WIND.FAR", "WIND.GT"}));
  EXPECT_EQ(si.source_contract,
            (std::vector<std::string>{"SS.E1", "SS.E1", "SS.E1", "DS.PV", "DS.WIND", "GT.FLAT"}));
  EXPECT_EQ(si.input.source_round, (std::vector<int32_t>{0, 0, 0, 1, 2, 3}));
  EXPECT_EQ(si.source_account, (std::vector<std::string>{E(1), E(1), E(1), "park",
                                                         "contract:DS.WIND", "contract:GT.FLAT"}));
  EXPECT_EQ(
      si.source_technology,
      (std::vector<Technology>{Technology::kStorage, Technology::kRooftopPv, Technology::kGroundPv,
                               Technology::kRooftopPv, Technology::kWind, Technology::kWind}));
  EXPECT_EQ(si.source_kind[5], ContractKind::kGreenTrading);
  // Metered sources carry their meter's Wh (no validity limits on them here).
  for (int32_t h = 0; h < 72; ++h) {
    EXPECT_EQ(Gen(si, h, Source(si, "PV.PARK")), Wh("PARK.PV", h % 24));
    EXPECT_EQ(Gen(si, h, Source(si, "WIND.FAR")), Wh("WIND.FAR.M", h % 24));
  }
}

TEST_F(SmallSupply, PriorityRoundsServeLowerPriorityFirst) {
  // E3 (4 kWh every hour) buys from DS.PV (priority 0: park PV, 6 kWh 09-15h) and DS.WIND
  // (priority 1: 3 kWh every hour).
  Supply s = Small();
  SupplyInput si = Build(s, day0_, day0_ + kDay);
  auto r = Allocate(si.input);
  ASSERT_TRUE(r.ok());
  ExpectInvariants(si, *r);
  const int32_t pv = Source(si, "PV.PARK"), wind = Source(si, "WIND.FAR");
  const int32_t e3 = Consumer(si, E(3));
  EXPECT_EQ(r->Allocated(pv, 12), 4000);
  EXPECT_EQ(r->Allocated(wind, 12), 0) << "priority 1 waits for priority 0";
  EXPECT_EQ(r->Allocated(wind, 2), 3000);
  EXPECT_EQ(r->Matched(e3, 2), 3000);
  EXPECT_EQ(r->Matched(e3, 12), 4000);
  auto flows = AllocateHourFlows(si.input, 12);
  ASSERT_TRUE(flows.ok());
  for (const Flow& f : *flows) {
    if (f.source == pv) {
      EXPECT_EQ(f.round, 1);
    }
  }

  // Same priority: one round, shared in proportion to generation (4000 * 6/9 and 4000 * 3/9,
  // the leftover Wh to the larger remainder).
  Find(s, "DS.WIND").priority = 0;
  si = Build(s, day0_, day0_ + kDay);
  EXPECT_EQ(si.input.rounds, 3);
  r = Allocate(si.input);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Allocated(Source(si, "PV.PARK"), 12), 2667);
  EXPECT_EQ(r->Allocated(Source(si, "WIND.FAR"), 12), 1333);

  // Reversed priorities: wind first.
  Find(s, "DS.WIND").priority = 0;
  Find(s, "DS.PV").priority = 3;
  si = Build(s, day0_, day0_ + kDay);
  EXPECT_EQ(si.source_asset[3], "WIND.FAR");
  r = Allocate(si.input);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Allocated(Source(si, "WIND.FAR"), 12), 3000);
  EXPECT_EQ(r->Allocated(Source(si, "PV.PARK"), 12), 1000);
}

TEST_F(SmallSupply, ValidityLimitsTheHours) {
  Supply s = Small();
  Find(s, "DS.PV").valid_from_day = DaysFromCivil(2025, 1, 2);
  Find(s, "DS.WIND").valid_to_day = DaysFromCivil(2025, 1, 3);
  const SupplyInput si = Build(s, day0_, day0_ + 3 * kDay);
  const int32_t pv = Source(si, "PV.PARK"), wind = Source(si, "WIND.FAR");
  for (int32_t h = 0; h < 72; ++h) {
    EXPECT_EQ(Gen(si, h, pv), h < 24 ? 0 : Wh("PARK.PV", h % 24)) << h;
    EXPECT_EQ(Gen(si, h, wind), h >= 48 ? 0 : 3000) << h;
  }
  auto r = Allocate(si.input);
  ASSERT_TRUE(r.ok());
  ExpectInvariants(si, *r);
  EXPECT_EQ(r->Matched(Consumer(si, E(3)), 12), 3000) << "Jan 1 noon: only wind";
  EXPECT_EQ(r->Matched(Consumer(si, E(3)), 50), 0) << "Jan 3 02h: neither";
}

TEST_F(SmallSupply, FlatProfileDeliversTheMonthsVolumeExactly) {
  const Supply s = Small();
  const int64_t feb1 = engine_->zone().MonthStart(MonthIndex(2025, 2));
  const SupplyInput month = Build(s, day0_, feb1);
  ASSERT_EQ(month.input.hours, 744);
  const int32_t gt = Source(month, "WIND.GT");
  // 100,000 kWh over 744 hours: 134,408 Wh each and the 448 Wh left one each to the first hours.
  const int64_t volume = 100'000'000, q = volume / 744, rem = volume % 744;
  ASSERT_EQ(q, 134408);
  ASSERT_EQ(rem, 448);
  int64_t total = 0;
  for (int32_t h = 0; h < 744; ++h) {
    ASSERT_EQ(Gen(month, h, gt), q + (h < rem ? 1 : 0)) << h;
    total += Gen(month, h, gt);
  }
  EXPECT_EQ(total, volume);
  // A slice of the month holds the same hours as the whole month.
  const SupplyInput part = Build(s, day0_ + 10 * kDay, day0_ + 20 * kDay);
  for (int32_t h = 0; h < part.input.hours; ++h) {
    ASSERT_EQ(Gen(part, h, Source(part, "WIND.GT")), Gen(month, h + 240, gt)) << h;
  }
  // No volume for February: nothing delivered.
  const SupplyInput feb = Build(s, feb1, feb1 + kDay);
  for (int32_t h = 0; h < 24; ++h) EXPECT_EQ(Gen(feb, h, Source(feb, "WIND.GT")), 0);

  // Valid from the 2nd: the same volume over 720 hours, none on the 1st.
  Supply later = s;
  Find(later, "GT.FLAT").valid_from_day = DaysFromCivil(2025, 1, 2);
  const SupplyInput v = Build(later, day0_, feb1);
  total = 0;
  for (int32_t h = 0; h < 744; ++h) {
    const int64_t expect = h < 24 ? 0 : volume / 720 + (h - 24 < volume % 720 ? 1 : 0);
    ASSERT_EQ(Gen(v, h, gt), expect) << h;
    total += Gen(v, h, gt);
  }
  EXPECT_EQ(total, volume);
}

TEST_F(SmallSupply, HourlyProfileFollowsTheWeightsAndKeepsTheVolume) {
  Supply s = Small();
  Contract& gt = Find(s, "GT.FLAT");
  gt.profile = Profile::kHourly;
  gt.hourly_profile.assign(24, 0.0);
  gt.hourly_profile[12] = 1;
  gt.hourly_profile[13] = 3;
  gt.volumes = {{MonthIndex(2025, 1), 123'456'789}};
  ASSERT_TRUE(ValidateSupply(s).ok()) << ValidateSupply(s).ToString();
  const SupplyInput si = Build(s, day0_, engine_->zone().MonthStart(MonthIndex(2025, 2)));
  const int32_t src = Source(si, "WIND.GT");
  int64_t total = 0, min12 = INT64_MAX, max12 = 0, min13 = INT64_MAX, max13 = 0;
  for (int32_t h = 0; h < si.input.hours; ++h) {
    const int64_t wh = Gen(si, h, src);
    total += wh;
    if (h % 24 == 12) {
      min12 = std::min(min12, wh);
      max12 = std::max(max12, wh);
    } else if (h % 24 == 13) {
      min13 = std::min(min13, wh);
      max13 = std::max(max13, wh);
    } else {
      ASSERT_EQ(wh, 0) << "weight 0 at hour " << h;
    }
  }
  EXPECT_EQ(total, 123'456'789);
  EXPECT_LE(max12 - min12, 1);
  EXPECT_LE(max13 - min13, 1);
  // 123,456,789 / (31 x 4) = 995,619.3 per weight unit.
  EXPECT_NEAR(static_cast<double>(min12), 995'619, 2);
  EXPECT_NEAR(static_cast<double>(min13), 3 * 995'619.27, 3);
}

TEST_F(SmallSupply, AsGeneratedVolumeCapsHourByHour) {
  // PV.PARK (6 kWh 09-15h) and WIND.FAR (3 kWh every hour) sold as generated, at most 145 kWh
  // in January: hours 0-32 deliver everything (141 kWh), hour 33 the 4 kWh left split 2:1 by
  // metered Wh (2666.67 / 1333.33, the leftover Wh to PV's larger remainder), then nothing.
  Supply s = Small();
  Erase(s, "DS.PV");
  Erase(s, "DS.WIND");
  Contract cap;
  cap.code = "GT.CAP";
  cap.kind = ContractKind::kGreenTrading;
  cap.assets = {"WIND.FAR", "PV.PARK"};
  cap.buyers = {E(2), E(3)};
  cap.volumes = {{MonthIndex(2025, 1), 145'000}};
  s.contracts.push_back(cap);
  ASSERT_TRUE(ValidateSupply(s).ok()) << ValidateSupply(s).ToString();
  auto expect = [&](const SupplyInput& si, int32_t first_hour) {
    const int32_t pv = Source(si, "PV.PARK"), wind = Source(si, "WIND.FAR");
    ASSERT_EQ(pv + 1, wind) << "code order inside the contract";
    for (int32_t i = 0; i < si.input.hours; ++i) {
      const int32_t h = first_hour + i;
      int64_t epv = 0, ewind = 0;
      if (h < 33) {
        epv = Wh("PARK.PV", h % 24);
        ewind = 3000;
      } else if (h == 33) {
        epv = 2667;
        ewind = 1333;
      }
      ASSERT_EQ(Gen(si, i, pv), epv) << "hour " << h;
      ASSERT_EQ(Gen(si, i, wind), ewind) << "hour " << h;
    }
  };
  const SupplyInput all = Build(s, day0_, day0_ + 3 * kDay);
  expect(all, 0);
  int64_t total = 0;
  for (int32_t h = 0; h < 72; ++h) {
    total += Gen(all, h, Source(all, "PV.PARK")) + Gen(all, h, Source(all, "WIND.FAR"));
  }
  EXPECT_EQ(total, 145'000) << "the month's volume exactly";
  // Starting on the 2nd: the cap counts what the 1st delivered (114 kWh).
  const SupplyInput later = Build(s, day0_ + kDay, day0_ + 3 * kDay);
  expect(later, 24);
  // Without volumes: as metered.
  Find(s, "GT.CAP").volumes.clear();
  const SupplyInput free = Build(s, day0_, day0_ + 3 * kDay);
  for (int32_t h = 0; h < 72; ++h) {
    EXPECT_EQ(Gen(free, h, Source(free, "PV.PARK")), Wh("PARK.PV", h % 24));
  }
}

TEST_F(SmallSupply, StorageShiftsSurplusWithoutCountingItTwice) {
  const Supply s = Small();
  const SupplyInput si = Build(s, day0_, day0_ + 3 * kDay);
  ASSERT_EQ(si.storage_asset, (std::vector<std::string>{"BESS.E1"}));
  const int32_t bess = Source(si, "BESS.E1"), pv = Source(si, "PV.E1"), pv2 = Source(si, "PV2.E1");
  EXPECT_EQ(si.storage_source, (std::vector<int32_t>{bess}));
  const int32_t e1 = Consumer(si, E(1));
  std::map<std::pair<int32_t, int32_t>, int64_t> taken;  // (hour, source) -> Wh
  for (const StorageTake& t : si.takes) {
    EXPECT_EQ(t.storage, 0);
    taken[{t.hour, t.source}] += t.wh;
  }
  int64_t green_in = 0, green_out = 0;
  for (int32_t h = 0; h < 72; ++h) {
    const int hod = h % 24;
    // The charge meter is a sub-meter of E1.MAIN: it is taken out of E1's demand.
    ASSERT_EQ(Cons(si, h, e1), std::llround(testpark::E1LoadKwh(hod) * 1000)) << h;
    // Green charge: 5 kWh at 10-13h (surplus 12 - 5 = 7); the 3 kWh at 08h are grey (no sun).
    const int64_t gc = si.storage_charge_wh[h];
    ASSERT_EQ(gc, hod >= 10 && hod <= 13 ? 5000 : 0) << h;
    // Taken from the two PVs in proportion (8:4 -> 3333.3 / 1666.7, leftover to PV2).
    const int64_t t1 = taken.count({h, pv}) ? taken.at({h, pv}) : 0;
    const int64_t t2 = taken.count({h, pv2}) ? taken.at({h, pv2}) : 0;
    ASSERT_EQ(t1 + t2, gc);
    if (gc > 0) {
      EXPECT_EQ(t1, 3333);
      EXPECT_EQ(t2, 1667);
    }
    // Issued = metered: what the sources offer plus what the storage took.
    ASSERT_EQ(Gen(si, h, pv) + t1, Wh("E1.PV", hod));
    ASSERT_EQ(Gen(si, h, pv2) + t2, Wh("E1.PV2", hod));
    // Green discharge: 5.5 kWh at 18-20h, then the 3.5 kWh of green left at 21h.
    const int64_t gd = Gen(si, h, bess);
    const int64_t expect_gd = hod >= 18 && hod <= 20 ? 5500 : hod == 21 ? 3500 : 0;
    ASSERT_EQ(gd, expect_gd) << h;
    green_in += gc;
    green_out += gd;
    ASSERT_LE(green_out, green_in) << "stored energy leaves green at most once";
  }
  EXPECT_EQ(green_in, 60'000);
  EXPECT_EQ(green_out, 60'000);
  // Metered content: 1 kWh grey more every day (3 + 20 in, 22 out).
  EXPECT_EQ(si.storage_end, (std::vector<StorageState>{{0, 3000}}));

  auto r = Allocate(si.input);
  ASSERT_TRUE(r.ok());
  ExpectInvariants(si, *r);
  // 10h: E1 (5 kWh) is served by what the PVs still offer; the rest (2 kWh) is surplus.
  EXPECT_EQ(r->Matched(e1, 10), 5000);
  EXPECT_EQ(r->Surplus(si.input, pv, 10) + r->Surplus(si.input, pv2, 10), 2000);
  // 19h: E1 (15 kWh) gets the green discharge; the storage serves E1 only.
  EXPECT_EQ(r->Allocated(bess, 19), 5500);
  for (int32_t h = 0; h < 72; ++h) {
    auto flows = AllocateHourFlows(si.input, h);
    ASSERT_TRUE(flows.ok());
    for (const Flow& f : *flows) {
      if (f.source == bess || f.source == pv || f.source == pv2) {
        ASSERT_EQ(f.consumer, e1);
      }
    }
  }
  // The hourly green supply names the storage among E1's sources.
  auto hourly = HourlyGreenSupply::Create(si, *r);
  ASSERT_TRUE(hourly.ok());
  bool named = false;
  for (const energy::GreenSupply& g : (*hourly)->rows()) {
    if (g.enterprise_code == E(1)) {
      named |= g.reference.find("SS.E1[BESS.E1+PV.E1+PV2.E1]") != std::string::npos;
    }
  }
  EXPECT_TRUE(named);
}

TEST_F(SmallSupply, StorageStateCarriesAcrossCalls) {
  const Supply s = Small();
  const int64_t split = day0_ + 15 * 3600;  // after the charging hours, before the evening
  const SupplyInput a = Build(s, day0_, split);
  EXPECT_EQ(StorageEndStates(a).at("BESS.E1"), (StorageState{20'000, 23'000}));
  // Without the carried state the evening discharge counts as grey ...
  const SupplyInput cold = Build(s, split, day0_ + kDay);
  const int32_t bess = Source(cold, "BESS.E1");
  int64_t cold_green = 0;
  for (int32_t h = 0; h < cold.input.hours; ++h) cold_green += Gen(cold, h, bess);
  EXPECT_EQ(cold_green, 0);
  // ... with it, the two calls equal one.
  BuildOptions carry;
  carry.storage_start = StorageEndStates(a);
  const SupplyInput b = Build(s, split, day0_ + kDay, carry);
  const SupplyInput whole = Build(s, day0_, day0_ + kDay);
  for (int32_t h = 0; h < b.input.hours; ++h) {
    ASSERT_EQ(Gen(b, h, bess), Gen(whole, h + 15, bess)) << h;
  }
  EXPECT_EQ(b.storage_end, whole.storage_end);
  // A storage outside any contract keeps its charge out of demand but offers nothing.
  Supply none = s;
  Find(none, "SS.E1").assets = {"PV.E1", "PV2.E1"};
  const SupplyInput n = Build(none, day0_, day0_ + kDay);
  EXPECT_EQ(n.storage_source, (std::vector<int32_t>{-1}));
  EXPECT_TRUE(n.takes.empty());
  EXPECT_EQ(Cons(n, 10, Consumer(n, E(1))), 5000);
  EXPECT_EQ(Gen(n, 10, Source(n, "PV.E1")), 8000);
}

TEST_F(SmallSupply, GecReconciliationWorkedExample) {
  // E2 buys GT.FLAT (134,409 Wh every hour of Jan 1-3, see above) and consumes 400 kWh at
  // 08-19h, 100 kWh otherwise: matched min(load, 134,409) = 36 x 134,409 + 36 x 100,000.
  const Supply s = Small();
  const SupplyInput si = Build(s, day0_, day0_ + 3 * kDay);
  auto r = Allocate(si.input);
  ASSERT_TRUE(r.ok());
  auto rep = GecReconciliation(s, si, *r);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->months.size(), 1u) << "E3's GECs are for December, outside the hours";
  const GecMonth& m = rep->months[0];
  EXPECT_EQ(m.buyer, E(2));
  EXPECT_EQ(m.month, MonthIndex(2025, 1));
  EXPECT_EQ(m.consumption_wh, 18'000'000);
  EXPECT_EQ(m.trading_matched_wh, 8'438'724);
  EXPECT_EQ(m.matched_wh, 8'438'724);
  EXPECT_EQ(m.bundled_certificates, 5);
  EXPECT_EQ(m.unbundled_certificates, 2);
  EXPECT_EQ(m.bundled_shortfall_wh, 3'438'724);
  ASSERT_EQ(rep->buyers.size(), 1u);
  const GecBuyer& b = rep->buyers[0];
  EXPECT_EQ(b.buyer, E(2));
  EXPECT_EQ(b.consumption_wh, 18'000'000);
  EXPECT_EQ(b.annual_matched_wh, 72 * 134'409);
  EXPECT_DOUBLE_EQ(b.hourly_share, 8'438'724.0 / 18e6);
  EXPECT_DOUBLE_EQ(b.annual_share, 9'677'448.0 / 18e6);
  EXPECT_DOUBLE_EQ(b.annual_share_with_gec, 11'677'448.0 / 18e6);
  EXPECT_EQ(b.bundled_shortfall_wh, 3'438'724);
  // GECs never change the hourly allocation: the same input without GEC contracts allocates the
  // same Wh.
  Supply no_gec = s;
  Erase(no_gec, "GEC.B");
  Erase(no_gec, "GEC.U");
  const SupplyInput si2 = Build(no_gec, day0_, day0_ + 3 * kDay);
  EXPECT_EQ(si2.input.generation, si.input.generation);
  auto r2 = Allocate(si2.input);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->matched, r->matched);
  // Enough bundled GECs: no shortfall; a mismatched result is refused.
  Supply more = s;
  Find(more, "GEC.B").gec[0].certificates = 9;
  auto rep2 = GecReconciliation(more, si, *r);
  ASSERT_TRUE(rep2.ok());
  EXPECT_EQ(rep2->months[0].bundled_shortfall_wh, 0);
  AllocationResult wrong = *r;
  wrong.hours = 1;
  EXPECT_FALSE(GecReconciliation(s, si, wrong).ok());
}

// Market-based Scope 2 with green_source "hourly" allocates the stored supply registry (the
// registry's default until one is stored), and a newly stored registry is not hidden by the
// accounts cache.
TEST(SupplyAccounts, HourlyGreenSourceUsesTheStoredSupply) {
  auto eng = engine::OpenTestEngine("memory:green-supply-accounts");
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  engine::Engine& engine = **eng;
  ASSERT_TRUE(testpark::BuildSmallPark(engine, true).ok());
  carbon::AccountingService service(engine);
  auto options = service.CarbonOptions();
  ASSERT_TRUE(options.ok());
  options->green_source = carbon::GreenSource::kHourly;
  ASSERT_TRUE(service.PutCarbonOptions(*options).ok());
  const int32_t jan = MonthIndex(2025, 1);
  auto green_kwh = [&](const std::string& code) -> double {
    auto ca = service.Accounts(jan, jan + 1);
    EXPECT_TRUE(ca.ok()) << ca.status().ToString();
    if (!ca.ok()) return -1;
    const energy::Accounts& en = (*ca)->energy();
    for (int32_t e = 0; e < en.entities(); ++e) {
      if (en.EntityCode(e) == code) return en.GreenKwh(e, jan);
    }
    ADD_FAILURE() << "no entity " << code;
    return -1;
  };
  // Default: E2 shares the park pool (park PV and the wind meter, both park meters).
  const double before = green_kwh(testpark::E(2));
  EXPECT_GT(before, 0);
  auto small = SupplyFromJson(testpark::SmallSupplyJson());
  ASSERT_TRUE(small.ok());
  ASSERT_TRUE(SaveSupply(engine, *small).ok());
  // Stored: E2 buys GT.FLAT only (8,438,724 Wh, see GecReconciliationWorkedExample).
  EXPECT_NEAR(green_kwh(testpark::E(2)), 8438.724, 1e-9);
  EXPECT_NE(before, 8438.724);
  eng->reset();  // the engine before its memory store
  store::DropMemoryStore("green-supply-accounts");
}

// A generation meter under another generation meter measures part of the same energy: the default
// supply takes the topmost only, and a stored registry listing both is refused.
TEST(SupplySubMeter, SameEnergyIsNotCertifiedTwice) {
  auto eng = engine::OpenTestEngine("memory:green-supply-submeter");
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  engine::Engine& engine = **eng;
  ASSERT_TRUE(testpark::BuildSmallPark(engine, false).ok());
  model::Meter string1;
  string1.code = "E1.PV.STRING1";
  string1.name = "1号组串 string 1";
  string1.enterprise_code = E(1);
  string1.flow = model::MeterFlow::kGeneration;
  string1.interval_s = 3600;
  string1.parent_code = "E1.PV";
  ASSERT_TRUE(engine.PutMeter(string1, true).ok());

  auto d = DefaultSupplyFromRegistry(engine);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  std::vector<std::string> assets;
  for (const GenerationAsset& a : d->assets) assets.push_back(a.code);
  EXPECT_NE(std::find(assets.begin(), assets.end(), "E1.PV"), assets.end());
  EXPECT_EQ(std::find(assets.begin(), assets.end(), "E1.PV.STRING1"), assets.end());
  EXPECT_TRUE(SaveSupply(engine, *d).ok());

  Supply both = *d;
  GenerationAsset a;
  a.code = "STRING1";
  a.site_enterprise = E(1);
  a.meter_code = "E1.PV.STRING1";
  both.assets.push_back(a);
  for (Contract& c : both.contracts) {
    if (c.code == "SAME_SITE." + E(1)) c.assets.push_back("STRING1");
  }
  const Status st = SaveSupply(engine, both);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.ToString().find("certified twice"), std::string::npos) << st.ToString();
  eng->reset();
  store::DropMemoryStore("green-supply-submeter");
}

}  // namespace
}  // namespace zp::green
