#include "zp/refdata/refdata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "zp/base/time.h"

namespace zp::refdata {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kHeader[] =
    "id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,confidence,note\n";

int32_t Day(int y, int m, int d) { return DaysFromCivil(y, m, d); }

std::string SourceDir() {
  const char* dir = std::getenv("ZP_SOURCE_DIR");
  EXPECT_NE(dir, nullptr) << "ZP_SOURCE_DIR is set by zp_add_test";
  return dir != nullptr ? dir : ".";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::shared_ptr<const RefData> BuildOrDie(std::string_view park = {}) {
  Result<std::shared_ptr<const RefData>> r = RefData::Build(park);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? *r : nullptr;
}

double Value(const RefData& data, FactorKey key, int32_t day) {
  Result<const FactorRow*> r = data.Find(key, day);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? (*r)->value : -1;
}

FactorKey Grid(std::string_view variant, std::string_view region) {
  return FactorKey{kGridEf, "electricity", variant, region};
}

// ---- The built-in files ------------------------------------------------------------------------

TEST(RefDataBuiltinTest, EveryFileParsesAndEveryRowHasSourceAndConfidence) {
  const std::filesystem::path data = std::filesystem::path(SourceDir()) / "data";
  const std::pair<const char*, std::string_view> files[] = {{"tce_coefficients.csv", kTce},
                                                            {"grid_emission_factors.csv", kGridEf},
                                                            {"fuel_parameters.csv", kFuel},
                                                            {"heat_factors.csv", kHeat}};
  size_t total = 0;
  for (const auto& [name, table] : files) {
    Result<std::vector<FactorRow>> rows = ParseFactorCsv(ReadFile(data / name), name);
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    EXPECT_FALSE(rows->empty()) << name;
    for (const FactorRow& r : *rows) {
      EXPECT_EQ(r.table, table) << r.id;
      EXPECT_FALSE(r.source.empty()) << r.id;
      EXPECT_FALSE(r.dataset.empty()) << r.id;
      EXPECT_THAT(r.confidence, testing::AnyOf("OFFICIAL", "OFFICIAL-QUOTED", "SECONDARY",
                                               "UNCONFIRMED", "COMPUTED"))
          << r.id;
      EXPECT_GT(r.value, 0) << r.id;
      EXPECT_TRUE(ConvertFactor(r, std::string_view(r.unit).substr(0, r.unit.find('/')),
                                r.unit.find('/') == std::string::npos
                                    ? std::string_view()
                                    : std::string_view(r.unit).substr(r.unit.find('/') + 1))
                      .ok())
          << r.id << " " << r.unit;
    }
    total += rows->size();
  }
  auto data_set = BuildOrDie();
  ASSERT_NE(data_set, nullptr);
  EXPECT_EQ(data_set->Rows().size(), total);
  for (const FactorRow* r : data_set->Rows()) EXPECT_EQ(r->layer, "builtin");
  // 8 national + 20 regional + 90 provincial grid factors (2 UNCONFIRMED blanks left out).
  EXPECT_THAT(data_set->Rows(kGridEf), SizeIs(118));
  EXPECT_THAT(data_set->provinces(), SizeIs(30));
  EXPECT_THAT(data_set->grid_regions(), SizeIs(7));
  EXPECT_TRUE(data_set->OverriddenRows().empty());
}

// Every grid factor of the built-in table equals the figure of the project's source notes
// (standards.md §4.2), looked up through the province / region names.
TEST(RefDataBuiltinTest, GridFactorsMatchTheSourceNotes) {
  const std::filesystem::path notes =
      std::filesystem::path(SourceDir()) / ".." / "shared" / "reference" / "standards.md";
  if (!std::filesystem::exists(notes)) GTEST_SKIP() << notes << " not present";
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  std::istringstream in(ReadFile(notes));
  std::string line;
  bool in_values = false;
  int checked = 0;
  auto check_row = [&](std::string_view variant, std::string_view region, const std::string& l) {
    std::vector<std::string> cells;
    std::stringstream ss(l);
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(cell);
    ASSERT_GE(cells.size(), 5u) << l;
    for (int i = 0; i < 3; ++i) {
      const int year = 2021 + i;
      const std::string text = cells[2 + i];
      Result<const FactorRow*> r = data->Find(Grid(variant, region), Day(year, 7, 1));
      if (text.find("UNCONFIRMED") != std::string::npos) {
        // A blank in the notes: no row of that year's notice.
        EXPECT_TRUE(!r.ok() || (*r)->dataset != "MEE-" + std::to_string(year)) << l;
        continue;
      }
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      EXPECT_DOUBLE_EQ((*r)->value, std::stod(text)) << region << " " << year;
      EXPECT_EQ((*r)->dataset, "MEE-" + std::to_string(year));
      ++checked;
    }
  };
  while (std::getline(in, line)) {
    if (line.rfind("### 4.2", 0) == 0) in_values = true;
    if (line.rfind("### 4.3", 0) == 0) break;
    if (!in_values || line.rfind("| ", 0) != 0) continue;
    if (line.rfind("| National average excl.", 0) == 0) {
      check_row(kGridExclMarket, kNational, line);
    } else if (line.rfind("| National average", 0) == 0) {
      check_row(kGridAverage, kNational, line);
    } else if (line.rfind("| National fossil", 0) == 0) {
      check_row(kGridFossil, kNational, line);
    } else {
      const std::string name = line.substr(2, line.find(' ', 2) - 2);
      if (Result<const Province*> p = data->FindProvince(name); p.ok()) {
        check_row(kGridAverage, (*p)->code, line);
      } else if (Result<const GridRegion*> g = data->FindGridRegion(name); g.ok()) {
        check_row(kGridAverage, (*g)->code, line);
      }
    }
  }
  EXPECT_EQ(checked, 118);
}

// ---- Lookups -----------------------------------------------------------------------------------

TEST(RefDataFindTest, GridFactorsByYear) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  Result<const FactorRow*> cn = data->Find(Grid(kGridAverage, kNational), Day(2023, 6, 1));
  ASSERT_TRUE(cn.ok()) << cn.error().ToString();
  EXPECT_EQ((*cn)->value, 0.5306);
  EXPECT_EQ((*cn)->id, "gridef-2023-average-CN");
  EXPECT_EQ((*cn)->dataset, "MEE-2023");
  EXPECT_EQ((*cn)->unit, "tCO2/MWh");
  EXPECT_THAT((*cn)->source, HasSubstr("公告2025年第47号"));
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "liaoning"), Day(2022, 3, 1)), 0.5626);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "liaoning"), Day(2021, 12, 31)), 0.5876);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "liaoning"), Day(2023, 1, 1)), 0.4878);
  // 2025 has no notice yet: the open-ended 2023 row applies.
  Result<const FactorRow*> later = data->Find(Grid(kGridAverage, kNational), Day(2025, 3, 1));
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)->id, "gridef-2023-average-CN");
  EXPECT_THAT((*later)->note, HasSubstr("Latest published"));
  EXPECT_EQ(Value(*data, Grid(kGridFossil, kNational), Day(2021, 5, 1)), 0.8426);
  EXPECT_EQ(Value(*data, Grid(kGridExclMarket, kNational), Day(2022, 5, 1)), 0.5856);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "south"), Day(2021, 5, 1)), 0.4326);
  // Before the first notice's data year there is nothing.
  EXPECT_EQ(data->Find(Grid(kGridAverage, kNational), Day(2020, 12, 31)).error().code(),
            StatusCode::kNotFound);
}

TEST(RefDataFindTest, UnconfirmedBlanksHaveNoRow) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  Result<const FactorRow*> excl = data->Find(Grid(kGridExclMarket, kNational), Day(2021, 5, 1));
  ASSERT_FALSE(excl.ok());
  EXPECT_EQ(excl.error().code(), StatusCode::kNotFound);
  // 2023 southwest is missing, and the 2022 row is not stretched over it.
  Result<const FactorRow*> sw = data->Find(Grid(kGridAverage, "southwest"), Day(2024, 2, 1));
  ASSERT_FALSE(sw.ok());
  EXPECT_THAT(sw.error().message(),
              AllOf(HasSubstr("grid_ef/electricity/average"), HasSubstr("region southwest"),
                    HasSubstr("2024-02-01"), HasSubstr("2022-01-01 to 2023-01-01"),
                    HasSubstr("data/grid_emission_factors.csv")));
  // FindFirst falls through to the national factor, or finds the province's own row.
  const std::vector<std::string> regions = {"southwest", "CN"};
  Result<const FactorRow*> first =
      data->FindFirst(kGridEf, "electricity", kGridAverage, regions, Day(2024, 2, 1));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->id, "gridef-2023-average-CN");
  Result<std::vector<std::string>> chain = data->RegionChain("重庆市");
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(*chain, (std::vector<std::string>{"chongqing", "southwest", "CN"}));
  first = data->FindFirst(kGridEf, "electricity", kGridAverage, *chain, Day(2024, 2, 1));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->value, 0.5581);
  // Nothing anywhere: the message names every region tried.
  const std::vector<std::string> none = {"liaoning", "northeast"};
  Result<const FactorRow*> missing =
      data->FindFirst(kGridEf, "electricity", kGridExclMarket, none, Day(2023, 2, 1));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.error().message(),
              AllOf(HasSubstr("regions liaoning, northeast"), HasSubstr("2023-02-01")));
}

TEST(RefDataFindTest, TceCoefficientsByEdition) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  const FactorKey elec{kTce, "electricity", kEquivalent, ""};
  Result<const FactorRow*> r = data->Find(elec, Day(2025, 1, 1));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ((*r)->value, 0.1229);
  EXPECT_EQ((*r)->unit, "kgce/kWh");
  EXPECT_EQ((*r)->dataset, "GB/T 2589-2020");
  // Before 2021-04-01 the 2008 edition was in force.
  r = data->Find(elec, Day(2021, 3, 31));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->dataset, "GB/T 2589-2008");
  EXPECT_EQ((*r)->value, 0.1229);
  r = data->Find(elec, Day(2021, 4, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->dataset, "GB/T 2589-2020");
  // A key with a region also sees the rows for any region.
  EXPECT_EQ(Value(*data, FactorKey{kTce, "electricity", kEquivalent, "liaoning"}, Day(2025, 1, 1)),
            0.1229);
  EXPECT_EQ(Value(*data, FactorKey{kTce, "natural_gas", kEquivalent, ""}, Day(2025, 1, 1)), 1.2143);
  EXPECT_EQ(Value(*data, FactorKey{kTce, "heat", kEquivalent, ""}, Day(2025, 1, 1)), 0.03412);
  EXPECT_EQ(Value(*data, FactorKey{kTce, "raw_coal", kEquivalent, ""}, Day(2019, 1, 1)), 0.7143);
}

TEST(RefDataFindTest, CoalEquivalentElectricityOnlyForPublishedYears) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  const FactorKey key{kTce, "electricity", kCoalEquivalent, ""};
  EXPECT_EQ(Value(*data, key, Day(2020, 6, 1)), 305.5);
  EXPECT_EQ(Value(*data, key, Day(2024, 6, 1)), 302.4);
  EXPECT_EQ(Value(*data, key, Day(2030, 6, 1)), 302.4);  // latest, open-ended
  Result<const FactorRow*> r = data->Find(key, Day(2022, 3, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.error().message(),
              AllOf(HasSubstr("no factor tce/electricity/coal_equivalent (region any) in force on "
                              "2022-03-01"),
                    HasSubstr("data/tce_coefficients.csv"), HasSubstr("zeropark refdata import")));
  EXPECT_FALSE(data->Find(key, Day(2021, 1, 1)).ok());  // valid_to is exclusive
  EXPECT_FALSE(data->Find(key, Day(2023, 12, 31)).ok());
}

TEST(RefDataFindTest, EveryEnergyCarrierConvertsToTce) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  const int32_t day = Day(2025, 1, 1);
  for (const units::CarrierInfo& c : units::AllCarriers()) {
    if (!IsEnergyCarrier(c.carrier)) continue;
    Result<const FactorRow*> r = data->Find(FactorKey{kTce, c.code, kEquivalent, ""}, day);
    if (c.carrier == units::Carrier::kSteam) {
      EXPECT_FALSE(r.ok()) << "steam goes through its heat content";
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    Result<double> per_unit = ConvertFactor(**r, "tce", c.canonical_unit);
    ASSERT_TRUE(per_unit.ok()) << per_unit.error().ToString();
    EXPECT_GT(*per_unit, 0);
  }
  // Steam: heat content x heat coefficient.
  Result<const FactorRow*> steam =
      data->Find(FactorKey{kHeat, kSteamHeatContent, "heat_content", ""}, day);
  ASSERT_TRUE(steam.ok());
  EXPECT_EQ((*steam)->value, 2.6934);
  EXPECT_EQ((*steam)->confidence, "COMPUTED");
  Result<const FactorRow*> heat = data->Find(FactorKey{kTce, "heat", kEquivalent, ""}, day);
  ASSERT_TRUE(heat.ok());
  const double tce_per_t = *ConvertFactor(**steam, "GJ", "t") * *ConvertFactor(**heat, "tce", "GJ");
  EXPECT_NEAR(tce_per_t, 2.6934 * 0.03412, 1e-12);
  Result<const FactorRow*> ef = data->Find(FactorKey{kHeat, kHeatPurchased, "ef", ""}, day);
  ASSERT_TRUE(ef.ok());
  EXPECT_EQ((*ef)->value, 0.11);
  EXPECT_EQ((*ef)->unit, "tCO2/GJ");

  EXPECT_FALSE(IsEnergyCarrier(units::Carrier::kWater));
  EXPECT_FALSE(IsEnergyCarrier(units::Carrier::kReactiveElectricity));
  EXPECT_TRUE(IsEnergyCarrier(units::Carrier::kSteam));
}

TEST(RefDataFindTest, FuelParametersByDataset) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  const int32_t day = Day(2025, 1, 1);
  constexpr std::string_view kGbt = "GB/T 32151.34-2024";
  constexpr std::string_view kNdrc = "NDRC-2015-other";
  Result<const FactorRow*> ncv = data->Find(FactorKey{kFuel, "natural_gas", kNcv, "", kGbt}, day);
  ASSERT_TRUE(ncv.ok()) << ncv.error().ToString();
  EXPECT_EQ((*ncv)->id, "fuel-gbt32151.34-natural_gas-ncv");
  EXPECT_EQ((*ncv)->value, 389.31);
  EXPECT_EQ(Value(*data, FactorKey{kFuel, "natural_gas", kCarbonContent, "", kGbt}, day), 0.0153);
  EXPECT_EQ(Value(*data, FactorKey{kFuel, "natural_gas", kOxidation, "", kGbt}, day), 0.99);
  Result<const FactorRow*> ndrc = data->Find(FactorKey{kFuel, "natural_gas", kNcv, "", kNdrc}, day);
  ASSERT_TRUE(ndrc.ok());
  EXPECT_EQ((*ndrc)->id, "fuel-ndrc2015-natural_gas-ncv");
  EXPECT_EQ((*ndrc)->value, 389.31);
  // Without a dataset, natural gas is ambiguous: both ids are named.
  Result<const FactorRow*> either = data->Find(FactorKey{kFuel, "natural_gas", kNcv, ""}, day);
  ASSERT_FALSE(either.ok());
  EXPECT_EQ(either.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(either.error().message(),
              AllOf(HasSubstr("ambiguous"), HasSubstr("fuel-gbt32151.34-natural_gas-ncv"),
                    HasSubstr("fuel-ndrc2015-natural_gas-ncv")));
  // A fuel of one dataset only: found without a dataset, NotFound in the other dataset (so a
  // caller can try its datasets in order).
  EXPECT_EQ(Value(*data, FactorKey{kFuel, "diesel", kNcv, ""}, day), 43.33);
  EXPECT_EQ(Value(*data, FactorKey{kFuel, "diesel", kNcv, "", kNdrc}, day), 43.33);
  Result<const FactorRow*> gbt_diesel = data->Find(FactorKey{kFuel, "diesel", kNcv, "", kGbt}, day);
  ASSERT_FALSE(gbt_diesel.ok());
  EXPECT_EQ(gbt_diesel.error().code(), StatusCode::kNotFound);
  EXPECT_THAT(gbt_diesel.error().message(),
              AllOf(HasSubstr("fuel/diesel/ncv (region any, dataset GB/T 32151.34-2024)"),
                    HasSubstr("(NDRC-2015-other)"), HasSubstr("data/fuel_parameters.csv")));
  Result<const FactorRow*> ox = data->Find(FactorKey{kFuel, "anthracite", kOxidation, ""}, day);
  ASSERT_TRUE(ox.ok());
  EXPECT_EQ((*ox)->value, 0.94);  // a fraction, not 94
  EXPECT_EQ((*ox)->unit, "1");
  EXPECT_EQ((*ox)->dataset, kNdrc);
  EXPECT_EQ(*ConvertFactor(**ox, "1", ""), 0.94);
  EXPECT_EQ(Value(*data, FactorKey{kFuel, "coke_oven_gas", kNcv, ""}, day), 173.854);
  // Natural gas CO2 per m3: 389.31 x 0.0153 x 0.99 x 44/12 / 10^4 = 2.162 kg.
  const double kg_per_m3 = *ConvertFactor(**ncv, "GJ", "m3") * 0.0153 * 0.99 * 44.0 / 12.0 * 1e3;
  EXPECT_NEAR(kg_per_m3, 2.1622, 1e-4);
}

TEST(RefDataParkTest, RowsOfDifferentDatasetsStartingTogether) {
  const std::string park = std::string(kHeader) +
                           "pa,fuel,guide A,widget_gas,ncv,,10,GJ/t,2024-01-01,,s,PARK,\n"
                           "pb,fuel,guide B,widget_gas,ncv,,11,GJ/t,2024-01-01,,s,PARK,\n"
                           "pc,fuel,guide B,widget_gas,ncv,,12,GJ/t,2025-01-01,,s,PARK,\n";
  auto data = BuildOrDie(park);
  ASSERT_NE(data, nullptr);
  const FactorKey any{kFuel, "widget_gas", kNcv, ""};
  Result<const FactorRow*> r = data->Find(any, Day(2024, 6, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message(), AllOf(HasSubstr("'pa'"), HasSubstr("'pb'")));
  // A later start breaks the tie.
  EXPECT_EQ(Value(*data, any, Day(2025, 6, 1)), 12);
  EXPECT_EQ(Value(*data, FactorKey{kFuel, "widget_gas", kNcv, "", "guide A"}, Day(2025, 6, 1)), 10);
  EXPECT_EQ(Value(*data, FactorKey{kFuel, "widget_gas", kNcv, "", "guide B"}, Day(2024, 6, 1)), 11);
  // FindFirst reports the ambiguity too.
  const std::vector<std::string> regions = {"liaoning", "CN"};
  r = data->FindFirst(kFuel, "widget_gas", kNcv, regions, Day(2024, 6, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kFailedPrecondition);
}

TEST(RefDataFindTest, FindByIdAndRowsOrder) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  const FactorRow* r = data->FindById("gridef-2023-average-liaoning");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->value, 0.4878);
  EXPECT_EQ(data->FindById("no-such-id"), nullptr);
  const std::vector<const FactorRow*> rows = data->Rows();
  for (size_t i = 1; i < rows.size(); ++i) {
    const FactorRow& a = *rows[i - 1];
    const FactorRow& b = *rows[i];
    EXPECT_LE(std::tie(a.table, a.item, a.variant, a.region, a.valid_from_day),
              std::tie(b.table, b.item, b.variant, b.region, b.valid_from_day));
  }
  for (const FactorRow* row : data->Rows(kTce)) EXPECT_EQ(row->table, kTce);
}

// ---- ConvertFactor -----------------------------------------------------------------------------

FactorRow Row(double value, std::string unit) {
  FactorRow r;
  r.id = "test-row";
  r.value = value;
  r.unit = std::move(unit);
  return r;
}

double Convert(double value, std::string unit, std::string_view num, std::string_view per) {
  Result<double> r = ConvertFactor(Row(value, std::move(unit)), num, per);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? *r : -1;
}

TEST(ConvertFactorTest, Examples) {
  EXPECT_NEAR(Convert(0.7143, "kgce/kg", "tce", "t"), 0.7143, 1e-15);
  EXPECT_NEAR(Convert(389.31, "GJ/10^4Nm3", "GJ", "m3"), 0.038931, 1e-15);
  EXPECT_NEAR(Convert(0.1229, "kgce/kWh", "tce", "kWh"), 0.0001229, 1e-18);
  EXPECT_NEAR(Convert(0.03412, "kgce/MJ", "tce", "GJ"), 0.03412, 1e-15);
  EXPECT_NEAR(Convert(0.5306, "tCO2/MWh", "tCO2", "kWh"), 0.0005306, 1e-18);
  EXPECT_NEAR(Convert(0.5306, "tCO2/MWh", "kgCO2", "kWh"), 0.5306, 1e-15);
  EXPECT_NEAR(Convert(305.5, "gce/kWh", "tce", "MWh"), 0.3055, 1e-15);
  EXPECT_NEAR(Convert(0.11, "tCO2/GJ", "kgCO2", "MJ"), 0.11, 1e-15);
  EXPECT_NEAR(Convert(0.11, "tCO2/GJ", "tCO2", "TJ"), 110, 1e-12);
  EXPECT_NEAR(Convert(2.6934, "GJ/t", "MJ", "kg"), 2.6934, 1e-15);
  EXPECT_NEAR(Convert(2.6934, "GJ/t", "kWh", "t"), 2.6934 * 1e9 / 3.6e6, 1e-9);
  EXPECT_NEAR(Convert(0.0153, "tC/GJ", "kgC", "GJ"), 15.3, 1e-13);
  EXPECT_NEAR(Convert(4.04, "tce/10^4kWh", "gce", "kWh"), 404, 1e-12);
  EXPECT_NEAR(Convert(0.99, "1", "1", ""), 0.99, 0);
  EXPECT_NEAR(Convert(1.2143, "kgce/m3", "tce", "10^4m3"), 12.143, 1e-12);
}

TEST(ConvertFactorTest, MismatchedDimensionsNameTheRow) {
  Result<double> r = ConvertFactor(Row(0.5306, "tCO2/MWh"), "tce", "kWh");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), AllOf(HasSubstr("test-row"), HasSubstr("tCO2/MWh")));
  r = ConvertFactor(Row(0.5306, "tCO2/MWh"), "tCO2", "m3");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("test-row"));
  r = ConvertFactor(Row(0.5306, "tCO2/MWh"), "furlongs", "kWh");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), AllOf(HasSubstr("test-row"), HasSubstr("furlongs")));
  r = ConvertFactor(Row(0.5306, "tCO2/MWh"), "tCO2", "fortnight");
  ASSERT_FALSE(r.ok());
  r = ConvertFactor(Row(1, "bogus/kWh"), "tCO2", "kWh");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("test-row"));
}

// ---- Park rows ---------------------------------------------------------------------------------

TEST(RefDataParkTest, SameIdReplacesTheBuiltinRow) {
  const std::string park =
      std::string(kHeader) +
      "gridef-2023-average-liaoning,grid_ef,park survey 2024,electricity,average,liaoning,0.45,"
      "tCO2/MWh,2023-01-01,,\"Park energy office, letter 2024-07\",PARK,measured mix\n";
  auto data = BuildOrDie(park);
  ASSERT_NE(data, nullptr);
  Result<const FactorRow*> r = data->Find(Grid(kGridAverage, "liaoning"), Day(2024, 1, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->value, 0.45);
  EXPECT_EQ((*r)->layer, "park");
  EXPECT_EQ((*r)->confidence, "PARK");
  EXPECT_EQ((*r)->source, "Park energy office, letter 2024-07");
  EXPECT_EQ(data->FindById("gridef-2023-average-liaoning"), *r);
  ASSERT_THAT(data->OverriddenRows(), SizeIs(1));
  EXPECT_EQ(data->OverriddenRows()[0]->value, 0.4878);
  EXPECT_EQ(data->OverriddenRows()[0]->layer, "builtin");
  auto builtin = BuildOrDie();
  EXPECT_EQ(data->Rows().size(), builtin->Rows().size());
  // Earlier years are untouched.
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "liaoning"), Day(2022, 1, 1)), 0.5626);
}

TEST(RefDataParkTest, NewRowWithLaterStartWinsForLaterDatesOnly) {
  const std::string park = std::string(kHeader) +
                           "park-ef-2025,grid_ef,,electricity,average,liaoning,0.40,tCO2/MWh,"
                           "2025-01-01,,park contract,PARK,\n";
  auto data = BuildOrDie(park);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "liaoning"), Day(2024, 12, 31)), 0.4878);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "liaoning"), Day(2025, 1, 1)), 0.40);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "jilin"), Day(2025, 1, 1)), 0.4671);
  EXPECT_TRUE(data->OverriddenRows().empty());
  EXPECT_EQ(data->Rows().size(), BuildOrDie()->Rows().size() + 1);

  // Within one layer, overlapping rows: the latest valid_from wins where both are in force.
  const std::string overlapping = std::string(kHeader) +
                                  "p-late,grid_ef,,electricity,average,CN,0.2,tCO2/MWh,"
                                  "2025-01-01,,s,PARK,\n"
                                  "p-early,grid_ef,,electricity,average,CN,0.1,tCO2/MWh,"
                                  "2024-01-01,2026-01-01,s,PARK,\n";
  data = BuildOrDie(overlapping);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, kNational), Day(2023, 12, 31)), 0.5306);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, kNational), Day(2024, 6, 1)), 0.1);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, kNational), Day(2025, 6, 1)), 0.2);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, kNational), Day(2027, 6, 1)), 0.2);
}

TEST(RefDataParkTest, ParkLayerBeatsBuiltinThenExactRegionBeatsAny) {
  const std::string park = std::string(kHeader) +
                           "park-any,grid_ef,,electricity,average,,0.30,tCO2/MWh,2024-01-01,,"
                           "park,PARK,\n"
                           "park-ln,grid_ef,,electricity,average,liaoning,0.20,tCO2/MWh,"
                           "2020-01-01,,park,PARK,\n"
                           "park-own,my_table,,widget,,,7,kgCO2/t,,,park,PARK,\n";
  auto data = BuildOrDie(park);
  ASSERT_NE(data, nullptr);
  // A park row for any region wins over built-in rows of the exact region.
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "jilin"), Day(2024, 6, 1)), 0.30);
  // Within the park layer the exact region wins over the any-region row, whatever its start.
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "liaoning"), Day(2024, 6, 1)), 0.20);
  // Before the park rows start, the built-in rows apply.
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "jilin"), Day(2023, 6, 1)), 0.4671);
  // A park's own table.
  EXPECT_EQ(Value(*data, FactorKey{"my_table", "widget", "", ""}, Day(2024, 6, 1)), 7);
  Result<const FactorRow*> own = data->Find(FactorKey{"my_table", "gadget", "", ""}, 0);
  ASSERT_FALSE(own.ok());
  EXPECT_THAT(own.error().message(),
              AllOf(HasSubstr("my_table/gadget/"), HasSubstr("import a park row")));
}

TEST(RefDataParkTest, FingerprintTracksTheRows) {
  auto a = BuildOrDie();
  auto b = BuildOrDie();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->fingerprint(), b->fingerprint());
  EXPECT_THAT(a->fingerprint(), SizeIs(16));
  EXPECT_EQ(a->fingerprint().find_first_not_of("0123456789abcdef"), std::string::npos);
  const std::string row =
      "park-1,grid_ef,,electricity,average,CN,0.5,tCO2/MWh,2026-01-01,,p,PARK,\n";
  auto c = BuildOrDie(std::string(kHeader) + row);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(a->fingerprint(), c->fingerprint());
  // Only the value differs.
  std::string row2 = row;
  row2.replace(row2.find("0.5"), 3, "0.6");
  auto d = BuildOrDie(std::string(kHeader) + row2);
  ASSERT_NE(d, nullptr);
  EXPECT_NE(c->fingerprint(), d->fingerprint());
  // Comments, blank lines and column order do not matter.
  auto e = BuildOrDie(
      "# park rows\n\nnote,id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,"
      "source,confidence\n,park-1,grid_ef,,electricity,average,CN,0.50,tCO2/MWh,2026-01-01,,p,"
      "PARK\n");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(c->fingerprint(), e->fingerprint());
}

// The park-row example of data/README.md loads and does what the README says.
TEST(RefDataParkTest, ReadmeExample) {
  const std::string readme = ReadFile(std::filesystem::path(SourceDir()) / "data" / "README.md");
  const size_t start = readme.find("```\nid,table,");
  ASSERT_NE(start, std::string::npos);
  const size_t end = readme.find("```", start + 4);
  ASSERT_NE(end, std::string::npos);
  auto data = BuildOrDie(readme.substr(start + 4, end - start - 4));
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(Value(*data, FactorKey{kHeat, kSteamHeatContent, "heat_content", ""}, Day(2025, 1, 1)),
            2.95);
  EXPECT_THAT(data->OverriddenRows(), SizeIs(1));
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "liaoning"), Day(2025, 1, 1)), 0.48);
  EXPECT_EQ(Value(*data, Grid(kGridAverage, "liaoning"), Day(2024, 12, 31)), 0.4878);
}

// ---- Errors ------------------------------------------------------------------------------------

std::string ParkError(std::string_view rows) {
  Result<std::shared_ptr<const RefData>> r =
      RefData::Build(std::string(kHeader) + std::string(rows));
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message();
}

TEST(RefDataErrorTest, BadRowsNameLineAndField) {
  const std::string good = "p1,grid_ef,,electricity,average,CN,0.5,tCO2/MWh,,,src,PARK,\n";
  EXPECT_THAT(ParkError(good + "p2,grid_ef,,electricity,average,CN,,tCO2/MWh,,,src,PARK,\n"),
              AllOf(HasSubstr("park rows line 3"), HasSubstr("field 'value'"), HasSubstr("empty")));
  EXPECT_THAT(ParkError(good + "p2,grid_ef,,electricity,average,CN,0,5,tCO2/MWh,,,src,PARK,\n"),
              AllOf(HasSubstr("park rows line 3"), HasSubstr("14 fields")));
  EXPECT_THAT(
      ParkError("p2,grid_ef,,electricity,average,CN,abc,tCO2/MWh,,,src,PARK,\n"),
      AllOf(HasSubstr("park rows line 2"), HasSubstr("field 'value'"), HasSubstr("not a number")));
  EXPECT_THAT(ParkError("p2,grid_ef,,electricity,average,CN,0.5,tCO2/furlong,,,src,PARK,\n"),
              AllOf(HasSubstr("line 2"), HasSubstr("field 'unit'"), HasSubstr("furlong")));
  EXPECT_THAT(ParkError("p2,grid_ef,,electricity,average,CN,0.5,tCO2/,,,src,PARK,\n"),
              AllOf(HasSubstr("line 2"), HasSubstr("field 'unit'")));
  EXPECT_THAT(ParkError("p2,grid_ef,,electricity,average,CN,0.5,tCO2/MWh,2023-02-30,,src,PARK,\n"),
              AllOf(HasSubstr("line 2"), HasSubstr("field 'valid_from'"), HasSubstr("2023-02-30")));
  EXPECT_THAT(
      ParkError("p2,grid_ef,,electricity,average,CN,0.5,tCO2/MWh,2024-01-01,2024-01-01,s,PARK,\n"),
      AllOf(HasSubstr("line 2"), HasSubstr("field 'valid_to'"), HasSubstr("not after")));
  EXPECT_THAT(ParkError("p2,grid_ef,,electricity,average,CN,0.5,tCO2/MWh,,,src,GUESS,\n"),
              AllOf(HasSubstr("line 2"), HasSubstr("field 'confidence'"), HasSubstr("GUESS")));
  EXPECT_THAT(ParkError("p2,grid_ef,,electricity,average,CN,0.5,tCO2/MWh,,,,PARK,\n"),
              AllOf(HasSubstr("line 2"), HasSubstr("field 'source'")));
  EXPECT_THAT(ParkError("p2,grid_ef,,electricity,average,liaoing,0.5,tCO2/MWh,,,s,PARK,\n"),
              AllOf(HasSubstr("line 2"), HasSubstr("field 'region'"), HasSubstr("liaoing")));
  EXPECT_THAT(ParkError(good + "# comment\n" + good),
              AllOf(HasSubstr("duplicate id 'p1'"), HasSubstr("park rows line 2"),
                    HasSubstr("park rows line 4")));
  EXPECT_THAT(ParkError("p2,grid_ef,,electricity,average,CN,\"0.5,tCO2/MWh,,,s,PARK,\n"),
              AllOf(HasSubstr("line 2"), HasSubstr("never closed")));
  // Two rows of one key and layer starting on the same day.
  EXPECT_THAT(ParkError(good + "p2,grid_ef,,electricity,average,CN,0.6,tCO2/MWh,,,s,PARK,\n"),
              AllOf(HasSubstr("'p1'"), HasSubstr("'p2'"), HasSubstr("ambiguous")));
  Result<std::shared_ptr<const RefData>> r =
      RefData::Build("id,table,item,value,unit,source,confidence\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(),
              AllOf(HasSubstr("park rows line 1"), HasSubstr("lacks column 'dataset'")));
}

TEST(RefDataErrorTest, ParseFactorCsvNamesOrigin) {
  Result<std::vector<FactorRow>> r =
      ParseFactorCsv(std::string(kHeader) + "x,t,,i,v,,1,kWh/kWh,,,s,NOPE,\n", "upload.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("upload.csv line 2, field 'confidence'"));
  // Empty input is no rows.
  r = ParseFactorCsv("", "empty");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

class RefDataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("refdata_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(SourceDir()) / "data")) {
      if (entry.path().extension() == ".csv") {
        std::filesystem::copy_file(entry.path(), dir_ / entry.path().filename());
      }
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Append(const char* name, std::string_view text) {
    WriteFile(dir_ / name, ReadFile(dir_ / name) + std::string(text));
  }
  std::filesystem::path dir_;
};

TEST_F(RefDataDirTest, BuildFromDirEqualsBuild) {
  Result<std::shared_ptr<const RefData>> from_dir = RefData::BuildFromDir(dir_.string());
  ASSERT_TRUE(from_dir.ok()) << from_dir.error().ToString();
  auto embedded = BuildOrDie();
  ASSERT_NE(embedded, nullptr);
  const auto a = (*from_dir)->Rows();
  const auto b = embedded->Rows();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(*a[i], *b[i]);
  ASSERT_EQ((*from_dir)->provinces().size(), embedded->provinces().size());
  for (size_t i = 0; i < embedded->provinces().size(); ++i) {
    EXPECT_EQ((*from_dir)->provinces()[i].code, embedded->provinces()[i].code);
    EXPECT_EQ((*from_dir)->provinces()[i].grid_region, embedded->provinces()[i].grid_region);
  }
  EXPECT_EQ((*from_dir)->fingerprint(), embedded->fingerprint());
  // And straight from the source tree.
  Result<std::shared_ptr<const RefData>> source =
      RefData::BuildFromDir((std::filesystem::path(SourceDir()) / "data").string());
  ASSERT_TRUE(source.ok()) << source.error().ToString();
  EXPECT_EQ((*source)->fingerprint(), embedded->fingerprint());
}

TEST_F(RefDataDirTest, ErrorsNameTheFile) {
  Result<std::shared_ptr<const RefData>> r = RefData::BuildFromDir((dir_ / "nowhere").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("nowhere"));

  Append("heat_factors.csv", "heat-x,heat,d,x,ef,,1,tCO2/GJ,,,s,PARK,\n");
  r = RefData::BuildFromDir(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(),
              AllOf(HasSubstr("heat_factors.csv line"), HasSubstr("field 'confidence'"),
                    HasSubstr("park rows only")));
}

TEST_F(RefDataDirTest, DuplicateIdAcrossBuiltinFiles) {
  Append("heat_factors.csv", "gridef-2023-average-CN,heat,d,x,ef,,1,tCO2/GJ,,,s,SECONDARY,\n");
  Result<std::shared_ptr<const RefData>> r = RefData::BuildFromDir(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), AllOf(HasSubstr("duplicate id 'gridef-2023-average-CN'"),
                                         HasSubstr("grid_emission_factors.csv line"),
                                         HasSubstr("heat_factors.csv line")));
}

TEST_F(RefDataDirTest, RowOfAnotherTableInAFileIsRefused) {
  Append("heat_factors.csv", "heat-y,tce,d,x,ef,,1,tCO2/GJ,,,s,SECONDARY,\n");
  Result<std::shared_ptr<const RefData>> r = RefData::BuildFromDir(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), AllOf(HasSubstr("field 'table'"), HasSubstr("'tce'")));
}

TEST_F(RefDataDirTest, ProvinceWithUnknownRegionIsRefused) {
  Append("provinces.csv", "xizang,西藏,Tibet,tibet\n");
  Result<std::shared_ptr<const RefData>> r = RefData::BuildFromDir(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(),
              AllOf(HasSubstr("provinces.csv line"), HasSubstr("field 'grid_region'")));
}

// ---- CSV -------------------------------------------------------------------------------------

TEST(FactorCsvTest, SyntaxBomCrlfQuotesCommentsAnyColumnOrder) {
  const std::string text =
      "\xEF\xBB\xBF# a comment\r\n"
      "\r\n"
      "value , id,table,dataset,item,variant,region,unit,valid_from,valid_to,source,confidence,"
      "note,extra\r\n"
      "  1.5  ,  a1 ,t,\"GB/T 1, 2\",i,v,,kgce/kg,2020-01-01,,\"line1\nline2\",secondary,"
      "\"say \"\"hi\"\"\",ignored\r\n"
      "   # indented comment\n"
      "2,a2,t,,i,v,CN,1,,2030-12-31,s,PARK,,\n";
  Result<std::vector<FactorRow>> r = ParseFactorCsv(text, "x");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_THAT(*r, SizeIs(2));
  const FactorRow& a = (*r)[0];
  EXPECT_EQ(a.id, "a1");
  EXPECT_EQ(a.value, 1.5);
  EXPECT_EQ(a.dataset, "GB/T 1, 2");
  EXPECT_EQ(a.source, "line1\nline2");
  EXPECT_EQ(a.note, "say \"hi\"");
  EXPECT_EQ(a.confidence, "SECONDARY");  // normalised
  EXPECT_EQ(a.valid_from_day, Day(2020, 1, 1));
  EXPECT_EQ(a.valid_to_day, INT32_MAX);
  EXPECT_EQ(a.layer, "");
  const FactorRow& b = (*r)[1];
  EXPECT_EQ(b.valid_from_day, INT32_MIN);
  EXPECT_EQ(b.valid_to_day, Day(2030, 12, 31));
  EXPECT_EQ(b.region, "CN");
  // Line numbers count the quoted line break.
  Result<std::vector<FactorRow>> bad =
      ParseFactorCsv(text.substr(0, text.size() - 1) + "\n3,a3,t,,i,v,,1,,,s,,,\n", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("x line 8, field 'confidence'"));
}

TEST(FactorCsvTest, RoundTrip) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  std::vector<FactorRow> rows;
  for (const FactorRow* r : data->Rows()) {
    rows.push_back(*r);
    rows.back().layer.clear();
  }
  FactorRow tricky = rows[0];
  tricky.id = "#not-a-comment";
  tricky.note = "  spaced, \"quoted\"\nnext line ";
  tricky.source = "\"starts with a quote";
  tricky.value = 0.1 + 0.2;
  rows.push_back(tricky);
  Result<std::vector<FactorRow>> back = ParseFactorCsv(FactorRowsToCsv(rows), "round trip");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, rows);
}

TEST(FactorCsvTest, Days) {
  EXPECT_EQ(*ParseDay("1970-01-01"), 0);
  EXPECT_EQ(*ParseDay("2024-02-29"), Day(2024, 2, 29));
  EXPECT_FALSE(ParseDay("2023-02-29").ok());
  EXPECT_FALSE(ParseDay("2024-1-01").ok());
  EXPECT_FALSE(ParseDay("2024/01/01").ok());
  EXPECT_FALSE(ParseDay("").ok());
  EXPECT_EQ(FormatDay(Day(2025, 3, 1)), "2025-03-01");
  EXPECT_EQ(FormatDay(INT32_MIN), "");
  EXPECT_EQ(FormatDay(INT32_MAX), "");
}

// ---- Provinces ---------------------------------------------------------------------------------

TEST(RefDataProvinceTest, FindByAnyName) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  for (std::string_view name : {"辽宁省", "辽宁", "Liaoning", "liaoning", "LIAONING", " 辽宁省 "}) {
    Result<const Province*> p = data->FindProvince(name);
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_EQ((*p)->code, "liaoning");
    EXPECT_EQ((*p)->grid_region, "northeast");
  }
  const std::pair<std::string_view, std::string_view> cases[] = {{"内蒙古自治区", "neimenggu"},
                                                                 {"Inner Mongolia", "neimenggu"},
                                                                 {"广西壮族自治区", "guangxi"},
                                                                 {"宁夏回族自治区", "ningxia"},
                                                                 {"新疆维吾尔自治区", "xinjiang"},
                                                                 {"北京市", "beijing"},
                                                                 {"Shaanxi", "shaanxi"},
                                                                 {"山西省", "shanxi"},
                                                                 {"重庆", "chongqing"}};
  for (const auto& [name, code] : cases) {
    Result<const Province*> p = data->FindProvince(name);
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_EQ((*p)->code, code) << name;
  }
  EXPECT_EQ((*data->FindProvince("内蒙古"))->grid_region, "north");
  Result<const Province*> missing = data->FindProvince("西藏自治区");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.error().message(), HasSubstr("西藏自治区"));
  EXPECT_FALSE(data->FindProvince("").ok());
  EXPECT_FALSE(data->FindProvince("省").ok());
  EXPECT_FALSE(data->RegionChain("Atlantis").ok());

  for (std::string_view name : {"northeast", "东北", "东北电网", "东北区域电网", "Northeast"}) {
    Result<const GridRegion*> g = data->FindGridRegion(name);
    ASSERT_TRUE(g.ok()) << name;
    EXPECT_EQ((*g)->code, "northeast");
  }
  EXPECT_FALSE(data->FindGridRegion("西藏").ok());
  // Every province's region exists, and every province and region has a 2023 factor except
  // the southwest region (UNCONFIRMED).
  for (const Province& p : data->provinces()) {
    EXPECT_TRUE(data->FindGridRegion(p.grid_region).ok()) << p.code;
    EXPECT_TRUE(data->Find(Grid(kGridAverage, p.code), Day(2023, 6, 1)).ok()) << p.code;
  }
  for (const GridRegion& g : data->grid_regions()) {
    EXPECT_EQ(data->Find(Grid(kGridAverage, g.code), Day(2023, 6, 1)).ok(), g.code != "southwest")
        << g.code;
  }
}

// ---- Speed -------------------------------------------------------------------------------------

TEST(RefDataSpeedTest, ManyLookupsAreCheap) {
  auto data = BuildOrDie();
  ASSERT_NE(data, nullptr);
  const std::vector<std::string> chain = *data->RegionChain("liaoning");
  const auto start = std::chrono::steady_clock::now();
  double sum = 0;
  constexpr int kLookups = 200000;
  for (int i = 0; i < kLookups; ++i) {
    const int32_t day = Day(2021, 1, 1) + (i % 1500);
    Result<const FactorRow*> r = data->FindFirst(kGridEf, "electricity", kGridAverage, chain, day);
    Result<const FactorRow*> t = data->Find(FactorKey{kTce, "electricity", kEquivalent, ""}, day);
    if (r.ok() && t.ok()) sum += (*r)->value + (*t)->value;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(sum, 0);
  // ~0.1 s even under sanitizers; the bound only catches an accidental linear scan or copy.
  EXPECT_LT(seconds, 5.0) << kLookups << " lookups";
}

}  // namespace
}  // namespace zp::refdata
