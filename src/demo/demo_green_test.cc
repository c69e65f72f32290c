// The demo park's green power (issue 6): the stored supply registry and the settlement of the last
// complete months, on a 12-enterprise park with January to March 2025.
// 演示园区绿电：供给登记保存与最近完整月份结算。

#include "zp/demo/demo_green.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "zp/base/time.h"
#include "zp/carbon/carbon.h"
#include "zp/carbon/cbam.h"
#include "zp/carbon/service.h"
#include "zp/demo/demo.h"
#include "zp/demo/testing.h"
#include "zp/engine/testing.h"
#include "zp/green/allocation.h"
#include "zp/green/service.h"
#include "zp/green/supply.h"

namespace zp::demo {
namespace {

namespace fs = std::filesystem;

const int32_t kJan = MonthIndex(2025, 1);
const int32_t kFeb = MonthIndex(2025, 2);
const int32_t kMar = MonthIndex(2025, 3);

class DemoGreenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/zp_demo_green_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    DemoOptions o;
    o.enterprises = 12;
    o.days = 90;  // January to March 2025
    auto eng = OpenDemoEngine("sqlite:" + *dir_ + "/park.zpdb", o);
    ASSERT_TRUE(eng.ok()) << eng.status().ToString();
    engine_ = std::move(*eng).release();
    plan_ = new DemoPlan(*PlanDemoPark(o));
    DemoGreenOptions g;
    g.report = [](std::string_view line) { lines_.emplace_back(line); };
    auto green = BuildDemoGreen(*engine_, g);
    ASSERT_TRUE(green.ok()) << green.status().ToString();
    summary_ = *green;
  }
  static void TearDownTestSuite() {
    delete engine_;
    delete plan_;
    engine_ = nullptr;
    plan_ = nullptr;
    if (dir_ != nullptr) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (engine_ == nullptr || plan_ == nullptr) GTEST_SKIP() << "suite setup failed";
  }

  static green::Supply Stored() {
    bool stored = false;
    auto s = green::LoadSupply(*engine_, &stored);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_TRUE(stored);
    return s.ok() ? *s : green::Supply{};
  }
  static const green::Contract* FindContract(const green::Supply& s, std::string_view code) {
    for (const green::Contract& c : s.contracts) {
      if (c.code == code) return &c;
    }
    return nullptr;
  }
  static const green::GenerationAsset* FindAsset(const green::Supply& s, std::string_view code) {
    for (const green::GenerationAsset& a : s.assets) {
      if (a.code == code) return &a;
    }
    return nullptr;
  }
  static std::string Code(int32_t index) {
    return plan_->enterprises[static_cast<size_t>(index)].code;
  }

  static inline std::string* dir_ = nullptr;
  static inline engine::Engine* engine_ = nullptr;
  static inline DemoPlan* plan_ = nullptr;
  static inline DemoGreenSummary summary_;
  static inline std::vector<std::string> lines_;
};

TEST_F(DemoGreenTest, StoredRegistryValidatesAndIsTheDemoSupply) {
  const green::Supply s = Stored();
  EXPECT_TRUE(green::ValidateSupply(s, engine_->ListEnterprises(), engine_->ListMeters()).ok());
  auto again = MakeDemoSupply(*engine_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(green::SupplyToJson(*again), green::SupplyToJson(s)) << "deterministic";
  EXPECT_EQ(static_cast<size_t>(summary_.assets), s.assets.size());
  EXPECT_EQ(static_cast<size_t>(summary_.contracts), s.contracts.size());
  auto source = engine_->GetSetting(carbon::kSettingGreenSource);
  ASSERT_TRUE(source.ok() && source->has_value());
  EXPECT_EQ(**source, "hourly");
  // Once only.
  EXPECT_EQ(BuildDemoGreen(*engine_).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(DemoGreenTest, SameSitePvAndTheBatteryAtItsSite) {
  const green::Supply s = Stored();
  int same_site = 0;
  for (const model::Meter& m : plan_->meters) {
    if (!m.code.ends_with(".PV") || m.enterprise_code.empty()) continue;
    const std::string label = m.code.substr(0, m.code.size() - 3);
    const green::Contract* c = FindContract(s, "SS." + label);
    ASSERT_NE(c, nullptr) << m.code;
    ++same_site;
    EXPECT_EQ(c->kind, green::ContractKind::kSameSite);
    EXPECT_EQ(c->buyers, std::vector<std::string>{m.enterprise_code});
    const green::GenerationAsset* pv = FindAsset(s, "PV." + label);
    ASSERT_NE(pv, nullptr);
    EXPECT_EQ(pv->meter_code, m.code);
    EXPECT_EQ(pv->technology, green::Technology::kRooftopPv);
    EXPECT_TRUE(pv->capacity_kw.has_value() && *pv->capacity_kw >= 50) << m.name;
  }
  EXPECT_GE(same_site, 5);  // E001, E003, E004, E005, E010 at least
  const green::Contract* e005 = FindContract(s, "SS.E005");
  ASSERT_NE(e005, nullptr);
  EXPECT_EQ(e005->assets, (std::vector<std::string>{"BESS.E005", "PV.E005"}));
  const green::GenerationAsset* bess = FindAsset(s, "BESS.E005");
  ASSERT_NE(bess, nullptr);
  EXPECT_EQ(bess->technology, green::Technology::kStorage);
  EXPECT_EQ(bess->site_enterprise, Code(4));
  EXPECT_EQ(bess->meter_code, "E005.BESS.OUT");
  EXPECT_EQ(bess->charge_meter_code, "E005.BESS.IN");
  EXPECT_EQ(bess->capacity_kw, 400.0);
  EXPECT_EQ(bess->name, "储能 400 kW/800 kWh / Battery storage 400 kW/800 kWh");
}

TEST_F(DemoGreenTest, DirectSupplyTradingPoolAndGecs) {
  const green::Supply s = Stored();
  // 绿电直连: the park's wind farm to the largest exporters and CBAM product makers.
  const green::Contract* ds = FindContract(s, "DS.WIND.PARK");
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(ds->kind, green::ContractKind::kDirectSupply);
  EXPECT_EQ(ds->priority, 0);
  EXPECT_EQ(ds->assets, std::vector<std::string>{"WIND.PARK"});
  EXPECT_GE(ds->buyers.size(), 3u);
  EXPECT_LE(ds->buyers.size(), 5u);
  for (int32_t i : {0, 2, 7}) {  // the OEM, the tyre maker, the steel-structure maker (CBAM)
    EXPECT_TRUE(std::count(ds->buyers.begin(), ds->buyers.end(), Code(i))) << i;
  }
  EXPECT_EQ(FindAsset(s, "WIND.PARK")->technology, green::Technology::kWind);
  EXPECT_EQ(FindAsset(s, "WIND.PARK")->capacity_kw, 5000.0);
  // 绿电交易: external wind, monthly volumes for 2025 with a night-heavy hourly profile.
  const green::Contract* gt = FindContract(s, "GT.2025");
  ASSERT_NE(gt, nullptr);
  EXPECT_EQ(gt->kind, green::ContractKind::kGreenTrading);
  EXPECT_EQ(gt->profile, green::Profile::kHourly);
  ASSERT_EQ(gt->hourly_profile.size(), 24u);
  EXPECT_GT(gt->hourly_profile[2], gt->hourly_profile[12]);
  ASSERT_EQ(gt->volumes.size(), 12u);
  EXPECT_EQ(gt->volumes.front().month, kJan);
  for (const green::MonthVolume& v : gt->volumes) {
    EXPECT_GT(v.wh, 0);
    EXPECT_EQ(v.wh % 1'000'000, 0) << "whole MWh";
  }
  const green::GenerationAsset* ext = FindAsset(s, gt->assets.at(0));
  ASSERT_NE(ext, nullptr);
  EXPECT_TRUE(ext->external);
  EXPECT_TRUE(ext->meter_code.empty());
  std::set<std::string> ds_buyers(ds->buyers.begin(), ds->buyers.end());
  for (const std::string& b : gt->buyers) EXPECT_FALSE(ds_buyers.count(b)) << b;
  EXPECT_EQ(gt->buyers.size(), 12u - ds->buyers.size() - 2);  // two left for unbundled GECs
  // The park pool: the ground-mounted plant and the admin rooftop, to every enterprise.
  const green::Contract* pool = FindContract(s, "POOL.PARK");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->assets, (std::vector<std::string>{"PV.PARK.ADMIN", "PV.PARK.GROUND"}));
  EXPECT_EQ(pool->buyers.size(), 12u);
  EXPECT_EQ(FindAsset(s, "PV.PARK.GROUND")->technology, green::Technology::kGroundPv);
  // GECs bundled with the trading contract: the delivered volume in January and February (whole
  // certificates per buyer, rounded up), 90% in March (the last complete month).
  const green::Contract* bundled = FindContract(s, "GEC.GT.2025");
  ASSERT_NE(bundled, nullptr);
  EXPECT_EQ(bundled->kind, green::ContractKind::kGec);
  EXPECT_EQ(bundled->bundled_with, "GT.2025");
  std::map<int32_t, int64_t> certificates;
  for (const green::GecHolding& h : bundled->gec) certificates[h.month] += h.certificates;
  ASSERT_EQ(certificates.size(), 3u);
  for (int32_t m : {kJan, kFeb, kMar}) {
    const double volume_mwh = gt->volumes.at(static_cast<size_t>(m - kJan)).wh / 1e6;
    const double cover = static_cast<double>(certificates[m]) / volume_mwh;
    if (m == kMar) {
      EXPECT_GT(cover, 0.85);
      EXPECT_LT(cover, 0.92);
    } else {
      EXPECT_GT(cover, 0.97) << m;
      EXPECT_LT(cover, 1.01) << m;
    }
  }
  // Unbundled GECs of two more enterprises.
  const green::Contract* unbundled = FindContract(s, "GEC.UNBUNDLED");
  ASSERT_NE(unbundled, nullptr);
  EXPECT_TRUE(unbundled->bundled_with.empty());
  EXPECT_EQ(unbundled->buyers.size(), 2u);
  EXPECT_EQ(unbundled->gec.size(), 6u);  // 2 buyers x 3 months
}

TEST_F(DemoGreenTest, LastTwoCompleteMonthsAreSettled) {
  EXPECT_EQ(summary_.settled_months, (std::vector<int32_t>{kFeb, kMar}));
  EXPECT_GT(summary_.claimed_wh, 0);
  auto service = green::GreenService::Open(engine_->store(), *engine_);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  EXPECT_FALSE((*service)->IsSettled(kJan));
  for (int32_t m : {kFeb, kMar}) {
    auto s = (*service)->FindSettlement(m);
    ASSERT_TRUE(s.has_value()) << m;
    EXPECT_EQ(s->actor, "demo");
    EXPECT_GT(s->issued_wh, 0);
    EXPECT_GT(s->claimed_wh, 0);
    EXPECT_LE(s->claimed_wh, s->issued_wh);
    EXPECT_GT(s->storage_wh, 0) << "the battery charged green from the PV surplus";
  }
  // Bilingual progress with timings.
  int settled_lines = 0;
  for (const std::string& l : lines_) {
    settled_lines +=
        l.find("green settlement 2025-0") == 0 && l.find(" s / 绿电结算") != std::string::npos;
  }
  EXPECT_EQ(settled_lines, 2);
  ASSERT_FALSE(lines_.empty());
  EXPECT_NE(lines_.front().find("绿电供给登记"), std::string::npos) << lines_.front();
}

TEST_F(DemoGreenTest, MarchShowsTheBundledGecShortfall) {
  const green::Supply s = Stored();
  const TimeZone tz = engine_->zone();
  std::map<int32_t, std::pair<int64_t, int64_t>> by_month;  // trading matched, shortfall
  for (int32_t m : {kFeb, kMar}) {
    auto in = green::BuildAllocationInput(*engine_, s, tz.MonthStart(m), tz.MonthStart(m + 1));
    ASSERT_TRUE(in.ok()) << in.status().ToString();
    auto result = green::Allocate(in->input);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    auto gec = green::GecReconciliation(s, *in, *result);
    ASSERT_TRUE(gec.ok()) << gec.status().ToString();
    for (const green::GecMonth& row : gec->months) {
      by_month[row.month].first += row.trading_matched_wh;
      by_month[row.month].second += row.bundled_shortfall_wh;
    }
  }
  ASSERT_GT(by_month[kFeb].first, 0);
  ASSERT_GT(by_month[kMar].first, 0);
  EXPECT_EQ(by_month[kFeb].second, 0) << "February's GECs cover every buyer";
  EXPECT_GT(by_month[kMar].second, 0.05 * by_month[kMar].first);
}

// CBAM figures appear for the steel-structure maker: two products splitting its emissions by
// mass, per tonne, with green electricity from the direct supply counted in the market method.
TEST_F(DemoGreenTest, CbamFiguresForTheSteelStructureMaker) {
  carbon::AccountingService service(*engine_);
  auto accounts = service.Accounts(kFeb, kMar + 1);
  ASSERT_TRUE(accounts.ok()) << accounts.status().ToString();
  auto products = carbon::EmbeddedEmissions(**accounts, Code(7), kFeb, kMar + 1);
  ASSERT_TRUE(products.ok()) << products.status().ToString();
  ASSERT_EQ(products->size(), 2u);
  double shares = 0;
  for (const carbon::ProductEmbedded& p : *products) {
    EXPECT_TRUE(p.mass) << p.product;
    EXPECT_GT(p.output, 0) << p.product;
    ASSERT_TRUE(p.share.has_value()) << p.product;
    shares += *p.share;
    EXPECT_GT(p.green_kwh, 0) << "wind by direct supply";
    ASSERT_TRUE(p.electricity_mwh_per_t.has_value()) << p.product;
    EXPECT_GT(*p.electricity_mwh_per_t, 0.1) << p.product;  // ~130 kWh/t
    EXPECT_LT(*p.electricity_mwh_per_t, 0.2) << p.product;
    const size_t location = static_cast<size_t>(carbon::Scope2Method::kLocation);
    const size_t market = static_cast<size_t>(carbon::Scope2Method::kMarket);
    ASSERT_TRUE(p.total_per_t[location].has_value() && p.total_per_t[market].has_value());
    EXPECT_GT(*p.indirect_per_t[location], 0) << p.product;
    std::printf(
        "%s: %.1f t, %.3f MWh/t, green %.1f%%, indirect %.4f (location) %.4f (market) tCO2/t\n",
        p.product.c_str(), p.output, *p.electricity_mwh_per_t,
        100 * p.green_kwh / p.electricity_kwh, *p.indirect_per_t[location],
        *p.indirect_per_t[market]);
  }
  EXPECT_NEAR(shares, 1.0, 1e-9);
}

TEST(DemoGreenNoPark, NeedsABuiltDemoPark) {
  auto eng = engine::OpenTestEngine("memory:");
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  EXPECT_EQ(MakeDemoSupply(**eng).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(BuildDemoGreen(**eng).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace zp::demo
