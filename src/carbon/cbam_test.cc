// CBAM-style embedded emissions per product, checked against a hand computation on a small park
// that spans a change of grid factor year (December 2022 - March 2023).

#include "zp/carbon/cbam.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "zp/base/time.h"

namespace zp::carbon {
namespace {

using ::testing::HasSubstr;
using units::Carrier;

constexpr size_t kLoc = 0, kMkt = 1;

// Factors of the built-in tables the hand computation uses (standards.md §4.2, §5).
constexpr double kGridAvg2022 = 0.5366, kGridExcl2022 = 0.5856;  // tCO2/MWh, national
constexpr double kGridAvg2023 = 0.5306, kGridExcl2023 = 0.6096;
// GB/T 32151.34-2024 natural gas, per m3: 389.31 GJ/10^4 Nm3 x 0.0153 tC/GJ x 0.99 x 44/12.
constexpr double kGasPerM3 = 389.31 / 10000 * 0.0153 * 0.99 * 44.0 / 12.0;
constexpr double kHeatPerGj = 0.11;  // GB/T 32150-2025 purchased heat default

constexpr std::string_view kRows =
    "id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,confidence,note\n"
    "test-ce,tce,park,electricity,coal_equivalent,,0.3030,kgce/kWh,2021-01-01,2024-01-01,test,"
    "PARK,\n";

model::EnterpriseDatum Datum(std::string enterprise, std::string indicator, std::string period,
                             double value, std::string unit, std::string item = "") {
  model::EnterpriseDatum d;
  d.enterprise_code = std::move(enterprise);
  d.indicator = std::move(indicator);
  d.item = std::move(item);
  d.period = *model::ParseDataPeriod(period);
  d.value = value;
  d.unit = std::move(unit);
  d.source = "cbam_test";
  return d;
}

struct Park {
  std::shared_ptr<const energy::Accounts> energy;
  std::shared_ptr<const CarbonAccounts> carbon;
};

// E1: 100,000 kWh, 1,000 m3 of natural gas and 10 GJ of purchased heat every month; 30,000 kWh of
// direct-supply green power in January 2023; process CO2 120 t for 2022 (10 t a month) and 12 t
// in January 2023. E2: electricity only, no products. Months 2022-12 .. 2023-03.
Park Build(std::vector<model::EnterpriseDatum> extra = {}) {
  auto in = std::make_shared<energy::Input>();
  in->park.name = "CBAM test park";
  in->from_month = MonthIndex(2022, 12);
  in->to_month = MonthIndex(2023, 4);
  for (std::string code : {"E1", "E2"}) {
    model::Enterprise e;
    e.code = code;
    e.name = "Enterprise " + code;
    e.industry_code = "C31";
    in->enterprises.push_back(e);
  }
  struct M {
    const char* code;
    const char* enterprise;
    Carrier carrier;
    double monthly;
  };
  const M meters[] = {{"E1.EL", "E1", Carrier::kElectricity, 100'000},
                      {"E1.GAS", "E1", Carrier::kNaturalGas, 1'000},
                      {"E1.HEAT", "E1", Carrier::kHeat, 10},
                      {"E2.EL", "E2", Carrier::kElectricity, 50'000}};
  const size_t months = static_cast<size_t>(in->months());
  for (const M& m : meters) {
    model::Meter meter;
    meter.code = m.code;
    meter.enterprise_code = m.enterprise;
    meter.carrier = m.carrier;
    in->meters.push_back(meter);
    for (size_t k = 0; k < months; ++k) in->sums.push_back({m.monthly, 2880});
  }
  in->data = {
      Datum("E1", "green_direct_kwh", "2023-01", 30'000, "kWh", "DS-1"),
      Datum("E1", "process_co2", "2022", 120, "tCO2"),
      Datum("E1", "process_co2", "2023-01", 12, "tCO2"),
      // Products: steel 500 t + 0.6 kt (and March, outside the range used below), wire 400 吨 +
      // 5,000 kg, billet 24 t for the year 2023 (2 t a month), bolts in pieces.
      Datum("E1", "product_output", "2023-01", 500, "t", "steel"),
      Datum("E1", "product_output", "2023-02", 0.6, "kt", "steel"),
      Datum("E1", "product_output", "2023-03", 999, "t", "steel"),
      Datum("E1", "product_output", "2022-12", 400, "吨", "wire"),
      Datum("E1", "product_output", "2023-01", 5'000, "kg", "wire"),
      Datum("E1", "product_output", "2023", 24, "t", "billet"),
      Datum("E1", "product_output", "2023", 12'000, "pcs", "bolts"),
      // Another enterprise's product never counts for E1.
      Datum("E2X", "product_output", "2023-01", 1'000, "t", "steel"),
  };
  for (auto& d : extra) in->data.push_back(std::move(d));
  for (size_t i = 0; i < in->data.size(); ++i) in->data[i].seq = static_cast<int64_t>(i) + 1;

  auto ref = refdata::RefData::Build(kRows);
  EXPECT_TRUE(ref.ok()) << ref.status().ToString();
  auto manual = energy::MakeManualGreenSupply();
  auto en = energy::Accounts::Compute(in, *ref, manual.get());
  EXPECT_TRUE(en.ok()) << en.status().ToString();
  if (!en.ok()) return {};
  Options o;
  o.grid_scope = GridScope::kNational;
  auto c = CarbonAccounts::Compute(*en, o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return {*en, c.ok() ? *c : nullptr};
}

const ProductEmbedded* Find(const std::vector<ProductEmbedded>& ps, std::string_view name) {
  for (const ProductEmbedded& p : ps) {
    if (p.product == name) return &p;
  }
  return nullptr;
}

const CbamElectricityFactor* FindFactor(const ProductEmbedded& p, std::string_view row_id) {
  for (const CbamElectricityFactor& f : p.factors) {
    if (f.row_id == row_id) return &f;
  }
  return nullptr;
}

const int32_t kDec = MonthIndex(2022, 12), kJan = MonthIndex(2023, 1), kFeb = MonthIndex(2023, 2),
              kMar = MonthIndex(2023, 3);

// December 2022 to February 2023, by hand.
TEST(CbamTest, WorkedExampleAcrossFactorYears) {
  Park park = Build();
  ASSERT_TRUE(park.carbon);
  auto r = EmbeddedEmissions(*park.carbon, "E1", kDec, kMar);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].product, "billet");  // sorted by name
  EXPECT_EQ((*r)[1].product, "bolts");
  EXPECT_EQ((*r)[2].product, "steel");
  EXPECT_EQ((*r)[3].product, "wire");

  // Enterprise totals over the three months.
  const double fuel = 3 * 1'000 * kGasPerM3;
  const double process = 120.0 / 12 + 12;
  const double heat = 3 * 10 * kHeatPerGj;
  const double loc = 100 * kGridAvg2022 + 2 * 100 * kGridAvg2023;
  const double mkt = 100 * kGridExcl2022 + (70 + 100) * kGridExcl2023;
  const double tonnes = 1'100 + 405 + 4;  // steel, wire, billet

  const ProductEmbedded* steel = Find(*r, "steel");
  ASSERT_NE(steel, nullptr);
  const double s = 1'100 / tonnes;
  EXPECT_TRUE(steel->mass);
  EXPECT_EQ(steel->unit, "t");
  EXPECT_NEAR(steel->output, 1'100, 1e-9);
  ASSERT_TRUE(steel->share);
  EXPECT_NEAR(*steel->share, s, 1e-12);
  EXPECT_THAT(steel->attribution, HasSubstr("1100 t"));
  EXPECT_THAT(steel->attribution, HasSubstr("1509 t"));
  EXPECT_THAT(steel->attribution, HasSubstr("72.8960%"));
  EXPECT_NEAR(steel->direct_fuel_tco2, fuel * s, 1e-9);
  EXPECT_NEAR(steel->direct_process_tco2, process * s, 1e-9);
  EXPECT_NEAR(steel->direct_tco2, (fuel + process + heat) * s, 1e-9);
  EXPECT_NEAR(steel->heat_tco2, heat * s, 1e-9);
  EXPECT_NEAR(steel->electricity_kwh, 300'000 * s, 1e-6);
  EXPECT_NEAR(steel->green_kwh, 30'000 * s, 1e-6);
  EXPECT_NEAR(steel->indirect_tco2[kLoc], loc * s, 1e-9);
  EXPECT_NEAR(steel->indirect_tco2[kMkt], mkt * s, 1e-9);
  // Per tonne: under mass attribution every mass product carries the enterprise's intensity.
  ASSERT_TRUE(steel->direct_per_t && steel->heat_per_t && steel->electricity_mwh_per_t);
  EXPECT_NEAR(*steel->direct_per_t, (fuel + process + heat) / tonnes, 1e-12);
  EXPECT_NEAR(*steel->heat_per_t, heat / tonnes, 1e-12);
  EXPECT_NEAR(*steel->electricity_mwh_per_t, 300.0 / tonnes, 1e-12);
  ASSERT_TRUE(steel->indirect_per_t[kLoc] && steel->indirect_per_t[kMkt]);
  EXPECT_NEAR(*steel->indirect_per_t[kLoc], loc / tonnes, 1e-12);
  EXPECT_NEAR(*steel->indirect_per_t[kMkt], mkt / tonnes, 1e-12);
  ASSERT_TRUE(steel->total_per_t[kLoc] && steel->total_per_t[kMkt]);
  EXPECT_NEAR(*steel->total_per_t[kLoc], (fuel + process + heat + loc) / tonnes, 1e-12);
  EXPECT_NEAR(*steel->total_per_t[kMkt], (fuel + process + heat + mkt) / tonnes, 1e-12);
  // Records: the two rows in range, not March.
  ASSERT_EQ(steel->records.size(), 2u);
  EXPECT_EQ(steel->records[1].unit, "kt");

  // One entry per distinct factor row and method, with the months it priced.
  ASSERT_EQ(steel->factors.size(), 4u);
  const CbamElectricityFactor* avg22 = FindFactor(*steel, "gridef-2022-average-CN");
  const CbamElectricityFactor* avg23 = FindFactor(*steel, "gridef-2023-average-CN");
  const CbamElectricityFactor* excl22 = FindFactor(*steel, "gridef-2022-excl_market_nonfossil-CN");
  const CbamElectricityFactor* excl23 = FindFactor(*steel, "gridef-2023-excl_market_nonfossil-CN");
  ASSERT_TRUE(avg22 && avg23 && excl22 && excl23);
  EXPECT_EQ(avg22->method, Scope2Method::kLocation);
  EXPECT_EQ(excl23->method, Scope2Method::kMarket);
  EXPECT_NEAR(avg22->tco2_per_mwh, kGridAvg2022, 1e-12);
  EXPECT_NEAR(avg23->tco2_per_mwh, kGridAvg2023, 1e-12);
  EXPECT_NEAR(excl22->tco2_per_mwh, kGridExcl2022, 1e-12);
  EXPECT_NEAR(excl23->tco2_per_mwh, kGridExcl2023, 1e-12);
  EXPECT_EQ(avg22->months, std::vector<int32_t>{kDec});
  EXPECT_EQ(avg23->months, (std::vector<int32_t>{kJan, kFeb}));
  EXPECT_NEAR(avg23->kwh, 200'000 * s, 1e-6);
  EXPECT_NEAR(excl23->kwh, 170'000 * s, 1e-6);  // grid part after 30,000 green kWh
  EXPECT_EQ(avg23->dataset, "MEE-2023");
  EXPECT_EQ(avg23->region, "CN");
  EXPECT_EQ(avg23->variant, "average");
  EXPECT_EQ(avg22->valid_from, "2022-01-01");
  EXPECT_EQ(avg22->valid_to, "2023-01-01");
  EXPECT_EQ(avg23->valid_to, "");  // open
  EXPECT_THAT(avg23->source, HasSubstr("生态环境部"));
  EXPECT_FALSE(avg23->confidence.empty());
  EXPECT_THAT(avg23->label, HasSubstr("Location-based"));
  EXPECT_THAT(excl23->label, HasSubstr("基于市场"));

  // The mass products' attributed figures add up to the enterprise's, independently explained.
  auto d = ExplainCarbon(*park.carbon, "E1", kDec, kMar, std::nullopt);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  double direct = 0, share = 0, loc_sum = 0, heat_sum = 0;
  for (const ProductEmbedded& p : *r) {
    direct += p.direct_tco2;
    loc_sum += p.indirect_tco2[kLoc];
    share += p.share.value_or(0);
    heat_sum += p.heat_tco2;
  }
  EXPECT_NEAR(share, 1.0, 1e-12);
  EXPECT_NEAR(heat_sum, heat, 1e-9);
  EXPECT_NEAR(direct + loc_sum, d->total[kLoc], 1e-9);
}

TEST(CbamTest, MassUnitsConvertToTonnes) {
  EXPECT_EQ(TonnesPerUnit("t"), 1.0);
  EXPECT_EQ(TonnesPerUnit("T"), 1.0);
  EXPECT_EQ(TonnesPerUnit("吨"), 1.0);
  EXPECT_EQ(TonnesPerUnit("tonnes"), 1.0);
  EXPECT_EQ(TonnesPerUnit("kt"), 1000.0);
  EXPECT_EQ(TonnesPerUnit("KT"), 1000.0);
  EXPECT_EQ(TonnesPerUnit("千吨"), 1000.0);
  EXPECT_EQ(TonnesPerUnit("万吨"), 10000.0);
  EXPECT_EQ(TonnesPerUnit("kg"), 0.001);
  EXPECT_EQ(TonnesPerUnit("公斤"), 0.001);
  EXPECT_EQ(TonnesPerUnit("pcs"), std::nullopt);
  EXPECT_EQ(TonnesPerUnit("kWh"), std::nullopt);  // a unit, not a mass
  EXPECT_EQ(TonnesPerUnit("m2"), std::nullopt);
  EXPECT_EQ(TonnesPerUnit(""), std::nullopt);

  Park park = Build();
  ASSERT_TRUE(park.carbon);
  auto r = EmbeddedEmissions(*park.carbon, "E1", kDec, kMar);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ProductEmbedded* wire = Find(*r, "wire");
  ASSERT_NE(wire, nullptr);
  EXPECT_NEAR(wire->output, 400 + 5, 1e-12);  // 400 吨 + 5,000 kg
  EXPECT_EQ(wire->unit, "t");
  EXPECT_NEAR(Find(*r, "steel")->output, 500 + 600, 1e-12);  // 500 t + 0.6 kt
}

TEST(CbamTest, NonMassProductListedWithoutFigures) {
  Park park = Build();
  ASSERT_TRUE(park.carbon);
  auto r = EmbeddedEmissions(*park.carbon, "E1", kDec, kMar);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ProductEmbedded* bolts = Find(*r, "bolts");
  ASSERT_NE(bolts, nullptr);
  EXPECT_FALSE(bolts->mass);
  EXPECT_EQ(bolts->unit, "pcs");
  EXPECT_NEAR(bolts->output, 12'000.0 / 12 * 2, 1e-9);  // January and February of 2023
  EXPECT_THAT(bolts->note, HasSubstr("not a mass unit"));
  EXPECT_THAT(bolts->note, HasSubstr("不是质量单位"));
  EXPECT_FALSE(bolts->share);
  EXPECT_EQ(bolts->direct_tco2, 0);
  EXPECT_EQ(bolts->electricity_kwh, 0);
  EXPECT_EQ(bolts->indirect_tco2[kLoc], 0);
  EXPECT_TRUE(bolts->factors.empty());
  EXPECT_FALSE(bolts->direct_per_t);
  EXPECT_FALSE(bolts->indirect_per_t[kLoc]);
  EXPECT_FALSE(bolts->total_per_t[kMkt]);

  // An enterprise whose only products are counted in pieces: listed, nothing attributed.
  Park pieces = Build({Datum("E2", "product_output", "2023-01", 10, "件", "pumps")});
  ASSERT_TRUE(pieces.carbon);
  auto p = EmbeddedEmissions(*pieces.carbon, "E2", kJan, kFeb);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->size(), 1u);
  EXPECT_FALSE((*p)[0].mass);
  EXPECT_FALSE((*p)[0].share);
  EXPECT_EQ((*p)[0].indirect_tco2[kMkt], 0);
}

TEST(CbamTest, SameProductInMassAndOtherUnitsAppearsTwice) {
  Park park = Build({Datum("E2", "product_output", "2023-01", 10, "t", "pipe"),
                     Datum("E2", "product_output", "2023-02", 300, "m", "pipe")});
  ASSERT_TRUE(park.carbon);
  auto r = EmbeddedEmissions(*park.carbon, "E2", kJan, kMar);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].mass);  // mass entry first
  EXPECT_EQ((*r)[0].output, 10);
  ASSERT_TRUE((*r)[0].share);
  EXPECT_EQ(*(*r)[0].share, 1.0);
  // E2: 2 x 50 MWh at the 2023 average factor, all on the 10 t.
  EXPECT_NEAR(*(*r)[0].indirect_per_t[kLoc], 100 * kGridAvg2023 / 10, 1e-12);
  EXPECT_EQ((*r)[0].direct_per_t, 0.0);
  EXPECT_FALSE((*r)[1].mass);
  EXPECT_EQ((*r)[1].unit, "m");
  EXPECT_EQ((*r)[1].output, 300);
}

TEST(CbamTest, EnterpriseWithoutProductsIsEmpty) {
  Park park = Build();
  ASSERT_TRUE(park.carbon);
  auto r = EmbeddedEmissions(*park.carbon, "E2", kDec, kMar);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(EmbeddedEmissionsToJson(*r), "[]");
  // E1 had no product output in December 2022 except wire.
  auto dec = EmbeddedEmissions(*park.carbon, "E1", kDec, kJan);
  ASSERT_TRUE(dec.ok());
  ASSERT_EQ(dec->size(), 1u);
  EXPECT_EQ((*dec)[0].product, "wire");

  EXPECT_EQ(EmbeddedEmissions(*park.carbon, "E9", kDec, kMar).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(EmbeddedEmissions(*park.carbon, "PARK", kDec, kMar).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(EmbeddedEmissions(*park.carbon, "E1", kDec, MonthIndex(2023, 5)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EmbeddedEmissions(*park.carbon, "E1", kJan, kJan).status().code(),
            StatusCode::kInvalidArgument);
}

// A year row contributes 1/12 to each month of its year, as process_co2 does.
TEST(CbamTest, YearlyValueAcrossPartYearRange) {
  Park park = Build();
  ASSERT_TRUE(park.carbon);
  // February only: billet 24/12 = 2 t, steel 600 t.
  auto feb = EmbeddedEmissions(*park.carbon, "E1", kFeb, kMar);
  ASSERT_TRUE(feb.ok()) << feb.status().ToString();
  const ProductEmbedded* billet = Find(*feb, "billet");
  ASSERT_NE(billet, nullptr);
  EXPECT_NEAR(billet->output, 2, 1e-12);
  ASSERT_EQ(billet->records.size(), 1u);
  EXPECT_EQ(billet->records[0].value, 24);  // the row as entered
  EXPECT_EQ(billet->records[0].period.month, 0);
  ASSERT_TRUE(billet->share);
  EXPECT_NEAR(*billet->share, 2.0 / 602, 1e-12);
  // February: gas, purchased heat and electricity (no process emissions that month).
  const double direct = 1'000 * kGasPerM3 + 10 * kHeatPerGj;
  EXPECT_NEAR(billet->direct_tco2, direct * 2 / 602, 1e-12);
  EXPECT_NEAR(*billet->direct_per_t, direct / 602, 1e-12);
  EXPECT_NEAR(*billet->total_per_t[kMkt], (direct + 100 * kGridExcl2023) / 602, 1e-12);

  // January to March: 3 months of the 2023 row = 6 t; steel includes March's 999 t.
  auto q1 = EmbeddedEmissions(*park.carbon, "E1", kJan, MonthIndex(2023, 4));
  ASSERT_TRUE(q1.ok()) << q1.status().ToString();
  EXPECT_NEAR(Find(*q1, "billet")->output, 6, 1e-12);
  EXPECT_NEAR(Find(*q1, "steel")->output, 500 + 600 + 999, 1e-12);
  // December 2022 holds no part of the 2023 row.
  auto dec = EmbeddedEmissions(*park.carbon, "E1", kDec, kJan);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(Find(*dec, "billet"), nullptr);
  // December: process 120/12 t, wire carries everything.
  const ProductEmbedded* wire = Find(*dec, "wire");
  ASSERT_NE(wire, nullptr);
  EXPECT_NEAR(*wire->direct_per_t, (1'000 * kGasPerM3 + 10 + 10 * kHeatPerGj) / 400, 1e-12);
  EXPECT_NEAR(*wire->indirect_per_t[kLoc], 100 * kGridAvg2022 / 400, 1e-12);
  ASSERT_EQ(wire->factors.size(), 2u);
  EXPECT_EQ(wire->factors[0].dataset, "MEE-2022");
}

TEST(CbamTest, ZeroOutputGetsNoPerTonneFigures) {
  Park park = Build({Datum("E2", "product_output", "2023-01", 0, "t", "slab")});
  ASSERT_TRUE(park.carbon);
  auto r = EmbeddedEmissions(*park.carbon, "E2", kJan, kFeb);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE((*r)[0].mass);
  EXPECT_FALSE((*r)[0].share);
  EXPECT_FALSE((*r)[0].direct_per_t);
  EXPECT_THAT((*r)[0].note, HasSubstr("Zero output"));
  EXPECT_THAT((*r)[0].attribution, HasSubstr("nothing attributed"));
}

TEST(CbamTest, ExplicitRowsAndDeletedRows) {
  Park park = Build();
  ASSERT_TRUE(park.carbon);
  std::vector<model::EnterpriseDatum> rows = {
      Datum("E2", "product_output", "2023-01", 25, "t", "valve"),
      Datum("E2", "product_output", "2023-01", 75, "t", "gate"),
      Datum("E2", "added_value", "2023-01", 75, "10k CNY"),
  };
  rows.push_back(Datum("E2", "product_output", "2023-01", 900, "t", "gone"));
  rows.back().deleted = true;
  auto r = EmbeddedEmissions(*park.carbon, "E2", kJan, kFeb, rows);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].product, "gate");
  EXPECT_NEAR(*(*r)[0].share, 0.75, 1e-12);
  EXPECT_NEAR((*r)[1].indirect_tco2[kLoc], 50 * kGridAvg2023 * 0.25, 1e-12);
}

TEST(CbamTest, Json) {
  Park park = Build();
  ASSERT_TRUE(park.carbon);
  auto r = EmbeddedEmissions(*park.carbon, "E1", kDec, kMar);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const nlohmann::json j = nlohmann::json::parse(EmbeddedEmissionsToJson(*r));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 4u);
  const nlohmann::json& bolts = j[1];
  EXPECT_EQ(bolts["product"], "bolts");
  EXPECT_EQ(bolts["from"], "2022-12");
  EXPECT_EQ(bolts["to"], "2023-02");
  EXPECT_FALSE(bolts["mass"].get<bool>());
  EXPECT_TRUE(bolts["share"].is_null());
  EXPECT_TRUE(bolts["per_t"]["direct"].is_null());
  const nlohmann::json& steel = j[2];
  EXPECT_EQ(steel["unit"], "t");
  EXPECT_DOUBLE_EQ(steel["per_t"]["total_market"].get<double>(), *(*r)[2].total_per_t[kMkt]);
  EXPECT_DOUBLE_EQ(steel["indirect_tco2"]["location"].get<double>(), (*r)[2].indirect_tco2[kLoc]);
  ASSERT_EQ(steel["factors"].size(), 4u);
  EXPECT_EQ(steel["factors"][0]["method"], "location");
  EXPECT_EQ(steel["factors"][0]["months"][0], "2022-12");
  EXPECT_EQ(steel["factors"][0]["dataset"], "MEE-2022");
  ASSERT_EQ(steel["records"].size(), 2u);
  EXPECT_EQ(steel["records"][1]["period"], "2023-02");
  EXPECT_EQ(steel["records"][1]["unit"], "kt");
}

}  // namespace
}  // namespace zp::carbon
