// Worked examples from the standards, the meter attribution rules, missing factors, factor
// overrides and the market-based treatment of green electricity.

#include "zp/carbon/carbon.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zp/base/time.h"

namespace zp::carbon {
namespace {

using energy::Method;
using units::Carrier;

// A small hand-made park: meters with monthly sums.
class ParkBuilder {
 public:
  explicit ParkBuilder(int32_t year = 2023, int32_t months = 12) {
    in_.park.name = "Test park";
    in_.from_month = MonthIndex(year, 1);
    in_.to_month = in_.from_month + months;
  }
  ParkBuilder& Province(std::string p) {
    in_.park.province = std::move(p);
    return *this;
  }
  ParkBuilder& Enterprise(std::string code, std::string zone = "", std::string industry = "C36") {
    model::Enterprise e;
    e.code = std::move(code);
    e.name = "Enterprise " + e.code;
    e.zone_code = std::move(zone);
    e.industry_code = std::move(industry);
    in_.enterprises.push_back(e);
    return *this;
  }
  ParkBuilder& Zone(std::string code) {
    model::Zone z;
    z.code = code;
    z.name = "Zone " + code;
    in_.zones.push_back(z);
    return *this;
  }
  // monthly: value of every month (same each month).
  ParkBuilder& Meter(std::string code, std::string enterprise, Carrier c, double monthly,
                     std::string parent = "",
                     model::MeterFlow flow = model::MeterFlow::kConsumption) {
    model::Meter m;
    m.code = std::move(code);
    m.enterprise_code = std::move(enterprise);
    m.carrier = c;
    m.parent_code = std::move(parent);
    m.flow = flow;
    in_.meters.push_back(m);
    values_.push_back(std::vector<double>(static_cast<size_t>(in_.months()), monthly));
    return *this;
  }
  ParkBuilder& Value(std::string_view meter, int32_t month_index, double v) {
    for (size_t i = 0; i < in_.meters.size(); ++i) {
      if (in_.meters[i].code == meter) {
        values_[i][static_cast<size_t>(month_index - in_.from_month)] = v;
      }
    }
    return *this;
  }
  ParkBuilder& Datum(std::string enterprise, std::string indicator, std::string period,
                     double value, std::string item = "") {
    model::EnterpriseDatum d;
    d.enterprise_code = std::move(enterprise);
    d.indicator = std::move(indicator);
    d.item = std::move(item);
    d.period = *model::ParseDataPeriod(period);
    d.value = value;
    d.seq = static_cast<int64_t>(in_.data.size()) + 1;
    in_.data.push_back(d);
    return *this;
  }
  std::shared_ptr<const energy::Input> Build() const {
    auto in = std::make_shared<energy::Input>(in_);
    const size_t months = static_cast<size_t>(in_.months());
    in->sums.assign(in_.meters.size() * months, {});
    for (size_t i = 0; i < in_.meters.size(); ++i) {
      for (size_t k = 0; k < months; ++k) in->sums[i * months + k] = {values_[i][k], 2880};
    }
    for (int32_t m : empty_months_) {
      for (size_t i = 0; i < in_.meters.size(); ++i) {
        in->sums[i * months + static_cast<size_t>(m - in_.from_month)] = {0, 0};
      }
    }
    return in;
  }
  // No meter has readings in this month (a month still to come).
  ParkBuilder& EmptyMonth(int32_t month_index) {
    empty_months_.push_back(month_index);
    return *this;
  }

 private:
  energy::Input in_;
  std::vector<std::vector<double>> values_;
  std::vector<int32_t> empty_months_;
};

std::shared_ptr<const refdata::RefData> Ref(std::string_view park_rows = {}) {
  auto r = refdata::RefData::Build(park_rows);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

struct Books {
  std::shared_ptr<const energy::Accounts> energy;
  std::shared_ptr<const CarbonAccounts> carbon;
};

// The built-in tables have no coal-equivalent electricity coefficient for 2021-2023 (none is
// published in the material at hand); test parks of those years supply one as a park row.
constexpr std::string_view kHeader =
    "id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,confidence,note\n";
constexpr std::string_view kCoalEquivalentRow =
    "test-ce-2021-2023,tce,park,electricity,coal_equivalent,,0.3030,kgce/kWh,2021-01-01,"
    "2024-01-01,test,PARK,\n";

Books Compute(const ParkBuilder& b, Options o = {}, std::string_view extra_rows = {},
              const energy::GreenPowerSource* green = nullptr) {
  auto manual = energy::MakeManualGreenSupply();
  const std::string rows =
      std::string(kHeader) + std::string(kCoalEquivalentRow) + std::string(extra_rows);
  auto en = energy::Accounts::Compute(b.Build(), Ref(rows), green ? green : manual.get());
  EXPECT_TRUE(en.ok()) << en.status().ToString();
  if (!en.ok()) return {};
  auto c = CarbonAccounts::Compute(*en, o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return {*en, c.ok() ? *c : nullptr};
}

// GB/T 32151.34-2024 natural gas: 389.31 GJ/10^4 Nm3 x 0.0153 tC/GJ x 0.99 x 44/12
// = 21.62 tCO2 per 10,000 Nm3 (standards.md §5).
TEST(WorkedExample, NaturalGas10000Nm3) {
  ParkBuilder b(2023, 1);
  b.Enterprise("E1").Meter("G", "E1", Carrier::kNaturalGas, 10000);
  Books books = Compute(b);
  ASSERT_TRUE(books.carbon);
  const double t = books.carbon->Scope1(0, MonthIndex(2023, 1), Carrier::kNaturalGas);
  EXPECT_NEAR(t, 21.62, 0.005);
  EXPECT_NEAR(t, 389.31 * 0.0153 * 0.99 * 44.0 / 12.0, 1e-9);
  const EmissionFactor* f = books.carbon->Scope1Factor(MonthIndex(2023, 1), Carrier::kNaturalGas);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->rows.size(), 3u);
  EXPECT_EQ(f->rows[0]->dataset, "GB/T 32151.34-2024");
  EXPECT_FALSE(f->rows[0]->source.empty());
  // GB/T 2589: 10,000 m3 of pipeline gas x 1.2143 kgce/m3 = 12.143 tce.
  EXPECT_NEAR(books.energy->Tce(0, MonthIndex(2023, 1), Carrier::kNaturalGas, Method::kEquivalent),
              12.143, 1e-9);
}

// 1,000 MWh at the 2023 national average factor 0.5306 tCO2/MWh = 530.6 tCO2.
TEST(WorkedExample, Electricity1000MWhNational2023) {
  ParkBuilder b(2023, 1);
  b.Enterprise("E1").Meter("EL", "E1", Carrier::kElectricity, 1'000'000);
  Options o;
  o.grid_scope = GridScope::kNational;
  Books books = Compute(b, o);
  ASSERT_TRUE(books.carbon);
  const int32_t m = MonthIndex(2023, 1);
  EXPECT_NEAR(books.carbon->Scope2(0, m, Carrier::kElectricity, Scope2Method::kLocation), 530.6,
              1e-9);
  // Market-based without green power: the residual factor 0.6096 (excl. market-traded
  // non-fossil, 2023).
  EXPECT_NEAR(books.carbon->Scope2(0, m, Carrier::kElectricity, Scope2Method::kMarket), 609.6,
              1e-9);
  // GB/T 2589 equivalent value: 0.1229 kgce/kWh -> 122.9 tce.
  EXPECT_NEAR(books.energy->Tce(0, m, Carrier::kElectricity, Method::kEquivalent), 122.9, 1e-9);
}

TEST(WorkedExample, ProvincialAndRegionalFactors) {
  ParkBuilder b(2022, 1);
  b.Province("辽宁省").Enterprise("E1").Meter("EL", "E1", Carrier::kElectricity, 1'000'000);
  const int32_t m = MonthIndex(2022, 1);
  Books prov = Compute(b);
  ASSERT_TRUE(prov.carbon);
  // Liaoning 2022: 0.5626; Northeast grid 2022: 0.5564.
  EXPECT_NEAR(prov.carbon->Scope2(0, m, Carrier::kElectricity, Scope2Method::kLocation), 562.6,
              1e-9);
  Options o;
  o.grid_scope = GridScope::kRegion;
  Books reg = Compute(b, o);
  ASSERT_TRUE(reg.carbon);
  EXPECT_NEAR(reg.carbon->Scope2(0, m, Carrier::kElectricity, Scope2Method::kLocation), 556.4,
              1e-9);
}

TEST(WorkedExample, HeatSteamCoalAndCoalEquivalentElectricity) {
  ParkBuilder b(2024, 1);
  b.Enterprise("E1")
      .Meter("H", "E1", Carrier::kHeat, 100)                 // GJ
      .Meter("S", "E1", Carrier::kSteam, 10)                 // t
      .Meter("C", "E1", Carrier::kRawCoal, 1)                // t
      .Meter("EL", "E1", Carrier::kElectricity, 1'000'000);  // kWh
  Books books = Compute(b);
  ASSERT_TRUE(books.carbon);
  const int32_t m = MonthIndex(2024, 1);
  const auto& en = *books.energy;
  EXPECT_NEAR(en.Tce(0, m, Carrier::kHeat, Method::kEquivalent), 3.412, 1e-9);  // 34.12 kgce/GJ
  EXPECT_NEAR(en.Tce(0, m, Carrier::kRawCoal, Method::kEquivalent), 0.7143, 1e-9);
  // 2024 supply coal rate 302.4 gce/kWh.
  EXPECT_NEAR(en.Tce(0, m, Carrier::kElectricity, Method::kCoalEquivalent), 302.4, 1e-9);
  // Steam through its heat content: 10 t x 2.6934 GJ/t x 0.03412 tce/GJ.
  EXPECT_NEAR(en.Tce(0, m, Carrier::kSteam, Method::kEquivalent), 10 * 2.6934 * 0.03412, 1e-9);
  // Purchased heat at 0.11 tCO2/GJ.
  EXPECT_NEAR(books.carbon->Scope2(0, m, Carrier::kHeat, Scope2Method::kLocation), 11.0, 1e-9);
  EXPECT_NEAR(books.carbon->Scope2(0, m, Carrier::kSteam, Scope2Method::kMarket),
              10 * 2.6934 * 0.11, 1e-9);
  // Bituminous coal (NDRC 2015 defaults): 23.204 GJ/t x 0.02618 x 0.93 x 44/12.
  EXPECT_NEAR(books.carbon->Scope1(0, m, Carrier::kRawCoal), 23.204 * 0.02618 * 0.93 * 44.0 / 12.0,
              1e-9);
}

TEST(MissingFactor, IsAnErrorNamingWhatIsMissing) {
  // No coal-equivalent electricity coefficient is published for 2022 in the built-in tables.
  ParkBuilder b(2022, 3);
  b.Enterprise("E1").Meter("EL", "E1", Carrier::kElectricity, 1000);
  auto en = energy::Accounts::Compute(b.Build(), Ref(), nullptr);
  ASSERT_FALSE(en.ok());
  EXPECT_THAT(std::string(en.status().message()), testing::HasSubstr("coal_equivalent"));
  EXPECT_THAT(std::string(en.status().message()), testing::HasSubstr("electricity"));
  EXPECT_THAT(std::string(en.status().message()), testing::HasSubstr("2022-01"));
  // A park row for 2022 fills the gap without rebuilding.
  const std::string row =
      "id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,confidence,note\n"
      "park-ce-2022,tce,park,electricity,coal_equivalent,,0.3030,kgce/kWh,2022-01-01,2023-01-01,"
      "provincial statistics bureau letter,PARK,\n";
  auto en2 = energy::Accounts::Compute(b.Build(), Ref(row), nullptr);
  ASSERT_TRUE(en2.ok()) << en2.status().ToString();
  EXPECT_NEAR((*en2)->Tce(0, MonthIndex(2022, 2), Carrier::kElectricity, Method::kCoalEquivalent),
              0.303, 1e-12);
  EXPECT_EQ(
      (*en2)->Factor(MonthIndex(2022, 2), Carrier::kElectricity, Method::kCoalEquivalent).row->id,
      "park-ce-2022");
  // A carrier with no amount does not need a factor: no error for gas here.
}

TEST(FactorChange, RecomputesOnlyWhatItTouches) {
  ParkBuilder b(2023, 12);
  b.Enterprise("E1").Meter("EL", "E1", Carrier::kElectricity, 1'000'000);
  Options o;
  o.grid_scope = GridScope::kNational;
  Books before = Compute(b, o);
  // An official update of the 2023 national factor from July on.
  const std::string row =
      "park-2023h2,grid_ef,park,electricity,average,CN,0.5000,tCO2/MWh,2023-07-01,2024-01-01,"
      "test,PARK,\n";
  Books after = Compute(b, o, row);
  ASSERT_TRUE(before.carbon && after.carbon);
  for (int32_t mo = 1; mo <= 12; ++mo) {
    const int32_t m = MonthIndex(2023, mo);
    const double x = before.carbon->Scope2(0, m, Carrier::kElectricity, Scope2Method::kLocation);
    const double y = after.carbon->Scope2(0, m, Carrier::kElectricity, Scope2Method::kLocation);
    if (mo < 7) {
      EXPECT_EQ(x, y) << mo;
    } else {
      EXPECT_NEAR(y, 500.0, 1e-9) << mo;
      EXPECT_EQ(after.carbon->Scope2Factor(m, Carrier::kElectricity, Scope2Method::kLocation)
                    ->rows[0]
                    ->id,
                "park-2023h2");
    }
  }
}

// A heat meter of an enterprise fed from the park's heat station; a tenant sub-metered from its
// landlord's main meter; a sub-meter inside an enterprise; a virtual meter; PV generation.
ParkBuilder AttributionPark() {
  ParkBuilder b(2023, 2);
  b.Zone("Z1")
      .Enterprise("A", "Z1")
      .Enterprise("B", "Z1")
      .Meter("PARK.HEAT", "", Carrier::kHeat, 1000)
      .Meter("A.HEAT", "A", Carrier::kHeat, 600, "PARK.HEAT")
      .Meter("B.HEAT", "B", Carrier::kHeat, 300, "PARK.HEAT")
      .Meter("A.EL", "A", Carrier::kElectricity, 10000)
      .Meter("A.EL.S1", "A", Carrier::kElectricity, 4000, "A.EL")
      .Meter("B.EL", "B", Carrier::kElectricity, 2500, "A.EL")  // tenant on A's incomer
      .Meter("A.PV", "A", Carrier::kElectricity, 3000, "", model::MeterFlow::kGeneration)
      .Meter("PARK.LIGHT", "", Carrier::kElectricity, 500);
  return b;
}

TEST(Attribution, NoDoubleCountingAndPartsAddUp) {
  Books books = Compute(AttributionPark());
  ASSERT_TRUE(books.energy);
  const auto& en = *books.energy;
  const int32_t m = MonthIndex(2023, 1);
  EXPECT_EQ(en.Amount(0, m, Carrier::kHeat), 600);
  EXPECT_EQ(en.Amount(1, m, Carrier::kHeat), 300);
  EXPECT_EQ(en.Amount(en.park_entity(), m, Carrier::kHeat), 100);   // losses of the network
  EXPECT_EQ(en.Amount(0, m, Carrier::kElectricity), 10000 - 2500);  // tenant taken out
  EXPECT_EQ(en.Amount(1, m, Carrier::kElectricity), 2500);
  EXPECT_EQ(en.Amount(en.park_entity(), m, Carrier::kElectricity), 500);
  energy::ReportQuery q;
  q.from_month = MonthIndex(2023, 1);
  q.to_month = MonthIndex(2023, 3);
  q.group = energy::Group::kPark;
  q.period = energy::Period::kYear;
  auto park = energy::EnergyReport(en, q);
  ASSERT_TRUE(park.ok()) << park.status().ToString();
  ASSERT_EQ(park->size(), 1u);
  // Park: heat 1000 GJ x 2 months, electricity (10000 + 500) kWh x 2 months.
  EXPECT_NEAR((*park)[0].tce[0], 2 * (1000 * 0.03412 + 10500 * 0.0001229), 1e-9);
  // The derivation of enterprise A lists +A.EL, -B.EL, +A.HEAT and the factor rows.
  auto d = energy::Explain(en, "A", q.from_month, q.from_month + 1, std::nullopt);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  double el = 0;
  bool saw_tenant = false;
  for (const auto& s : d->readings) {
    if (s.carrier == Carrier::kElectricity) el += s.sign * s.amount;
    saw_tenant = saw_tenant || (s.meter == "B.EL" && s.sign < 0);
    EXPECT_NE(s.meter, "A.EL.S1");
    EXPECT_NE(s.meter, "A.PV");
  }
  EXPECT_TRUE(saw_tenant);
  EXPECT_EQ(el, 7500);
  EXPECT_FALSE(d->factors.empty());
  EXPECT_NEAR(d->tce[0], 7500 * 0.0001229 + 600 * 0.03412, 1e-9);
}

TEST(GreenPower, CountsZeroInMarketBasedOnlyAndNeverTwice) {
  ParkBuilder b(2023, 2);
  b.Enterprise("A")
      .Enterprise("B")
      .Meter("A.EL", "A", Carrier::kElectricity, 100'000)
      .Meter("B.EL", "B", Carrier::kElectricity, 50'000)
      .Datum("A", "green_direct_kwh", "2023-01", 40'000, "DS-2023-001")
      // More than B consumed in February: the excess is not counted.
      .Datum("B", "green_direct_kwh", "2023-02", 80'000, "DS-2023-002");
  Options o;
  o.grid_scope = GridScope::kNational;
  Books books = Compute(b, o);
  ASSERT_TRUE(books.carbon);
  const auto& c = *books.carbon;
  const auto& en = c.energy();
  const int32_t jan = MonthIndex(2023, 1), feb = MonthIndex(2023, 2);
  EXPECT_EQ(en.GreenKwh(0, jan), 40'000);
  EXPECT_EQ(en.GreenKwh(1, feb), 50'000);
  EXPECT_EQ(en.GreenUnmatchedKwh(1, feb), 30'000);
  // Location-based ignores green power; market-based counts it zero and prices the rest at the
  // residual factor.
  EXPECT_NEAR(c.Scope2(0, jan, Carrier::kElectricity, Scope2Method::kLocation), 53.06, 1e-9);
  EXPECT_NEAR(c.Scope2(0, jan, Carrier::kElectricity, Scope2Method::kMarket), 60 * 0.6096, 1e-9);
  EXPECT_NEAR(c.Scope2(1, feb, Carrier::kElectricity, Scope2Method::kMarket), 0.0, 1e-12);
  // No MWh counted green twice: counted green never exceeds metered electricity, per
  // enterprise-month, and equals the supplies minus what was not matched.
  double supplied = 0, counted = 0;
  for (const auto& g : en.green_supplies()) supplied += g.kwh;
  for (int32_t e = 0; e < en.entities(); ++e) {
    for (int32_t m = jan; m <= feb; ++m) {
      EXPECT_LE(en.GreenKwh(e, m), en.Amount(e, m, Carrier::kElectricity));
      counted += en.GreenKwh(e, m);
      supplied -= en.GreenUnmatchedKwh(e, m);
    }
  }
  EXPECT_EQ(counted, supplied);
  // Clean-energy share: green electricity counts as clean.
  energy::ReportQuery q;
  q.from_month = jan;
  q.to_month = jan + 1;
  q.group = energy::Group::kEnterprise;
  q.period = energy::Period::kMonth;
  auto rows = energy::EnergyReport(en, q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_GE(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].group, "A");
  EXPECT_NEAR((*rows)[0].clean_share[0], 0.4, 1e-12);
  EXPECT_NEAR((*rows)[0].electricity_share[0], 1.0, 1e-12);
  // The derivation of A's carbon lists the contract.
  auto d = ExplainCarbon(c, "A", jan, jan + 1, std::nullopt);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->green.size(), 1u);
  EXPECT_EQ(d->green[0].reference, "DS-2023-001");
}

TEST(Process, YearlyValueSpreadOverMonthsAndIntensities) {
  ParkBuilder b(2023, 12);
  b.Enterprise("A")
      .Meter("A.G", "A", Carrier::kNaturalGas, 10000)
      .Datum("A", "process_co2", "2023", 1200, "clinker")
      .Datum("A", "added_value", "2023", 5000);
  Books books = Compute(b);
  ASSERT_TRUE(books.carbon);
  EXPECT_NEAR(books.carbon->Process(0, MonthIndex(2023, 5)), 100, 1e-9);
  energy::ReportQuery q;
  q.from_month = MonthIndex(2023, 1);
  q.to_month = MonthIndex(2024, 1);
  q.group = energy::Group::kEnterprise;
  q.period = energy::Period::kYear;
  auto rows = CarbonReport(*books.carbon, q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const CarbonRow& r = (*rows)[0];
  const double s1 = 12 * 389.31 * 0.0153 * 0.99 * 44.0 / 12.0;
  EXPECT_NEAR(r.scope1_fuel, s1, 1e-9);
  EXPECT_NEAR(r.scope1_process, 1200, 1e-9);
  EXPECT_NEAR(r.total[1], s1 + 1200, 1e-9);
  ASSERT_TRUE(r.tco2_per_tce[1][0].has_value());
  EXPECT_NEAR(*r.tco2_per_tce[1][0], (s1 + 1200) / (12 * 12.143), 1e-9);
  ASSERT_TRUE(r.tco2_per_10k_cny[0].has_value());
  EXPECT_NEAR(*r.tco2_per_10k_cny[0], (s1 + 1200) / 5000, 1e-9);
  auto er = energy::EnergyReport(books.carbon->energy(), q);
  ASSERT_TRUE(er.ok());
  ASSERT_TRUE((*er)[0].intensity[0].has_value());
  EXPECT_NEAR(*(*er)[0].intensity[0], 12 * 12.143 / 5000, 1e-9);
}

TEST(YearOnYear, ComparesWithTheSamePeriodOfTheYearBefore) {
  ParkBuilder b(2023, 24);
  b.Enterprise("A").Meter("A.EL", "A", Carrier::kElectricity, 1000);
  for (int32_t mo = 1; mo <= 12; ++mo) b.Value("A.EL", MonthIndex(2024, mo), 1100);
  Books books = Compute(b);
  ASSERT_TRUE(books.energy);
  energy::ReportQuery q;
  q.from_month = MonthIndex(2023, 1);
  q.to_month = MonthIndex(2025, 1);
  q.group = energy::Group::kPark;
  q.period = energy::Period::kYear;
  auto rows = energy::EnergyReport(*books.energy, q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_FALSE((*rows)[0].yoy[0].has_value());  // 2022 is not in the accounts
  ASSERT_TRUE((*rows)[1].yoy[0].has_value());
  EXPECT_NEAR(*(*rows)[1].yoy[0], 0.1, 1e-12);
}

TEST(YearOnYear, ARunningYearComparesWithTheSameMonthsOfTheYearBefore) {
  // 2024 has readings up to September: January-September 2024 (1,100 a month) against
  // January-September 2023 (1,000 a month), not against the whole of 2023.
  ParkBuilder b(2023, 24);
  b.Enterprise("A").Meter("A.EL", "A", Carrier::kElectricity, 1000);
  for (int32_t mo = 1; mo <= 9; ++mo) b.Value("A.EL", MonthIndex(2024, mo), 1100);
  for (int32_t mo = 10; mo <= 12; ++mo) b.EmptyMonth(MonthIndex(2024, mo));
  Books books = Compute(b);
  ASSERT_TRUE(books.energy);
  energy::ReportQuery q;
  q.from_month = MonthIndex(2024, 1);
  q.to_month = MonthIndex(2025, 1);
  q.group = energy::Group::kPark;
  q.period = energy::Period::kYear;
  auto rows = energy::EnergyReport(*books.energy, q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  ASSERT_TRUE((*rows)[0].yoy[0].has_value());
  EXPECT_NEAR(*(*rows)[0].yoy[0], 0.1, 1e-12);
  auto carbon = CarbonReport(*books.carbon, q);
  ASSERT_TRUE(carbon.ok()) << carbon.status().ToString();
  ASSERT_TRUE((*carbon)[0].yoy[0].has_value());
  EXPECT_NEAR(*(*carbon)[0].yoy[0], 0.1, 1e-9);
  // Months are compared month by month as before.
  q.period = energy::Period::kMonth;
  rows = energy::EnergyReport(*books.energy, q);
  ASSERT_TRUE(rows.ok());
  ASSERT_TRUE((*rows)[0].yoy[0].has_value());
  EXPECT_NEAR(*(*rows)[0].yoy[0], 0.1, 1e-12);
}

TEST(Report, FiltersAndErrors) {
  Books books = Compute(AttributionPark());
  ASSERT_TRUE(books.energy);
  energy::ReportQuery q;
  q.from_month = MonthIndex(2023, 1);
  q.to_month = MonthIndex(2023, 3);
  q.enterprises = {"NOPE"};
  EXPECT_EQ(energy::EnergyReport(*books.energy, q).status().code(), StatusCode::kNotFound);
  q.enterprises = {"B"};
  auto rows = energy::EnergyReport(*books.energy, q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].group, "B");
  q.enterprises.clear();
  q.to_month = MonthIndex(2024, 1);
  EXPECT_EQ(energy::EnergyReport(*books.energy, q).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zp::carbon
