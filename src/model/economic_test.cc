#include "zp/model/economic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>

namespace zp::model {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEnt[] = "91210100MA0000001X";

EnterpriseDatum Datum(std::string indicator, double value, std::string unit,
                      std::string item = "") {
  EnterpriseDatum d;
  d.enterprise_code = kEnt;
  d.indicator = std::move(indicator);
  d.item = std::move(item);
  d.period = {2025, 3};
  d.value = value;
  d.unit = std::move(unit);
  return d;
}

TEST(IndicatorTest, AllIndicatorsAreKnownWithTheirUnits) {
  std::set<std::string_view> codes;
  for (const IndicatorInfo& i : AllIndicators()) {
    codes.insert(i.code);
    EXPECT_FALSE(i.name_zh.empty());
    EXPECT_FALSE(i.name_en.empty());
    auto found = FindIndicator(i.code);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(*found, &i);
  }
  EXPECT_EQ(codes, (std::set<std::string_view>{
                       "industrial_output", "added_value", "tax", "employees", "rnd_spending",
                       "revenue", "product_output", "process_co2", "green_direct_kwh"}));
  EXPECT_EQ((*FindIndicator("added_value"))->unit, "10k CNY");
  EXPECT_EQ((*FindIndicator("added_value"))->name_zh, "工业增加值");
  EXPECT_EQ((*FindIndicator("employees"))->unit, "persons");
  EXPECT_EQ((*FindIndicator("process_co2"))->unit, "tCO2");
  EXPECT_EQ((*FindIndicator("green_direct_kwh"))->unit, "kWh");
  EXPECT_EQ((*FindIndicator("product_output"))->unit, "");
  EXPECT_TRUE((*FindIndicator("product_output"))->needs_item);
  EXPECT_TRUE((*FindIndicator("green_direct_kwh"))->needs_item);
  EXPECT_FALSE((*FindIndicator("process_co2"))->needs_item);
  auto unknown = FindIndicator("gdp");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.error().message(), HasSubstr("'gdp'"));
  EXPECT_THAT(unknown.error().message(), HasSubstr("added_value"));
}

TEST(DataPeriodTest, ParsesYearsAndMonths) {
  EXPECT_EQ(*ParseDataPeriod("2025"), (DataPeriod{2025, 0}));
  EXPECT_EQ(*ParseDataPeriod("2025-03"), (DataPeriod{2025, 3}));
  EXPECT_EQ(*ParseDataPeriod("2025-12"), (DataPeriod{2025, 12}));
  EXPECT_EQ(*ParseDataPeriod("2025-3"), (DataPeriod{2025, 3}));
  EXPECT_EQ(*ParseDataPeriod(" 2024-01 "), (DataPeriod{2024, 1}));
  for (const char* bad : {"2025-13", "2025-00", "25-03", "2025-", "-03", "2025-003", "2025/03",
                          "20250", "abcd", "", "2025-3a", "1800", "2025-03-01"}) {
    SCOPED_TRACE(bad);
    auto p = ParseDataPeriod(bad);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(p.error().message(), HasSubstr("period"));
  }
  EXPECT_THAT(ParseDataPeriod("2025-13").error().message(), HasSubstr("month"));
  EXPECT_THAT(ParseDataPeriod("25-03").error().message(), HasSubstr("YYYY"));
}

TEST(DataPeriodTest, FormatsAndOrders) {
  EXPECT_EQ(FormatDataPeriod({2025, 0}), "2025");
  EXPECT_EQ(FormatDataPeriod({2025, 3}), "2025-03");
  EXPECT_EQ(FormatDataPeriod({2025, 11}), "2025-11");
  for (const char* text : {"2025", "2025-01", "2025-12", "1999-07"}) {
    EXPECT_EQ(FormatDataPeriod(*ParseDataPeriod(text)), text);
  }
  EXPECT_LT((DataPeriod{2024, 12}), (DataPeriod{2025, 0}));
  EXPECT_LT((DataPeriod{2025, 0}), (DataPeriod{2025, 1}));
}

TEST(NormalizeTest, MoneyUnits) {
  for (const char* unit : {"10k CNY", "万元", "wan CNY", "10K cny", " 万元 "}) {
    SCOPED_TRACE(unit);
    EnterpriseDatum d = Datum("added_value", 1234.5, unit);
    ASSERT_TRUE(NormalizeEnterpriseDatum(&d).ok());
    EXPECT_EQ(d.unit, "10k CNY");
    EXPECT_EQ(d.value, 1234.5);
  }
  for (const char* unit : {"CNY", "元"}) {
    EnterpriseDatum d = Datum("tax", 12345, unit);
    ASSERT_TRUE(NormalizeEnterpriseDatum(&d).ok());
    EXPECT_EQ(d.unit, "10k CNY");
    EXPECT_EQ(d.value, 1.2345);
  }
  EnterpriseDatum bad = Datum("revenue", 1, "USD");
  Status s = NormalizeEnterpriseDatum(&bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("unit: 'USD' is not accepted for revenue"));
  EXPECT_THAT(s.message(), HasSubstr("万元"));
  EXPECT_THAT(s.message(), HasSubstr("10k CNY"));
  EnterpriseDatum missing = Datum("revenue", 1, "");
  EXPECT_THAT(NormalizeEnterpriseDatum(&missing).message(), HasSubstr("unit: missing"));
  EnterpriseDatum yi = Datum("revenue", 1, "亿元");
  EXPECT_FALSE(NormalizeEnterpriseDatum(&yi).ok());
}

TEST(NormalizeTest, OtherUnits) {
  EnterpriseDatum staff = Datum("employees", 250, "人");
  ASSERT_TRUE(NormalizeEnterpriseDatum(&staff).ok());
  EXPECT_EQ(staff.unit, "persons");
  EXPECT_EQ(staff.value, 250);
  EnterpriseDatum staff_kwh = Datum("employees", 250, "kWh");
  EXPECT_THAT(NormalizeEnterpriseDatum(&staff_kwh).message(), HasSubstr("persons, 人"));

  EnterpriseDatum co2 = Datum("process_co2", 12.5, "tco2", "水泥熟料煅烧");
  ASSERT_TRUE(NormalizeEnterpriseDatum(&co2).ok());
  EXPECT_EQ(co2.unit, "tCO2");
  EXPECT_EQ(co2.item, "水泥熟料煅烧");
  EnterpriseDatum co2_no_item = Datum("process_co2", 1, "tCO2");
  EXPECT_TRUE(NormalizeEnterpriseDatum(&co2_no_item).ok());
  EnterpriseDatum co2_kg = Datum("process_co2", 1, "kgCO2");
  EXPECT_THAT(NormalizeEnterpriseDatum(&co2_kg).message(), HasSubstr("accepted: tCO2"));

  EnterpriseDatum green = Datum("green_direct_kwh", 1.5, "MWh", "PPA-2025-001");
  ASSERT_TRUE(NormalizeEnterpriseDatum(&green).ok());
  EXPECT_EQ(green.unit, "kWh");
  EXPECT_EQ(green.value, 1500);

  EnterpriseDatum product = Datum("product_output", 300, " t ", " 齿轮箱 ");
  ASSERT_TRUE(NormalizeEnterpriseDatum(&product).ok());
  EXPECT_EQ(product.unit, "t");
  EXPECT_EQ(product.item, "齿轮箱");
  EXPECT_EQ(product.value, 300);
  EnterpriseDatum product_no_unit = Datum("product_output", 300, "", "齿轮箱");
  EXPECT_THAT(NormalizeEnterpriseDatum(&product_no_unit).message(), HasSubstr("unit: "));
}

TEST(NormalizeTest, FieldsAreChecked) {
  auto message = [](EnterpriseDatum d) { return NormalizeEnterpriseDatum(&d).message(); };
  EXPECT_THAT(message(Datum("product_output", 1, "t")), HasSubstr("item: product_output needs"));
  EXPECT_THAT(message(Datum("green_direct_kwh", 1, "kWh")),
              HasSubstr("item: green_direct_kwh needs an item (contract reference)"));
  EXPECT_THAT(message(Datum("tax", 1, "万元", "x")), HasSubstr("item: tax takes no item"));
  EXPECT_THAT(message(Datum("tax", -1, "万元")), HasSubstr("value: negative"));
  EXPECT_THAT(message(Datum("process_co2", -0.5, "tCO2")), HasSubstr("value: negative"));
  EXPECT_THAT(message(Datum("tax", std::nan(""), "万元")), HasSubstr("value: not a finite"));
  EXPECT_THAT(message(Datum("tax", std::numeric_limits<double>::infinity(), "万元")),
              HasSubstr("value: not a finite"));
  EXPECT_THAT(message(Datum("green_direct_kwh", 1e308, "MWh", "c")), HasSubstr("value: too"));
  EXPECT_THAT(message(Datum("gdp", 1, "万元")), HasSubstr("indicator: unknown indicator 'gdp'"));
  EnterpriseDatum no_ent = Datum("tax", 1, "万元");
  no_ent.enterprise_code = "  ";
  EXPECT_THAT(message(no_ent), HasSubstr("enterprise_code: empty"));
  EnterpriseDatum bad_month = Datum("tax", 1, "万元");
  bad_month.period.month = 13;
  EXPECT_THAT(message(bad_month), HasSubstr("period: month 13"));
  EnterpriseDatum bad_year = Datum("tax", 1, "万元");
  bad_year.period.year = 0;
  EXPECT_THAT(message(bad_year), HasSubstr("period: year 0"));
  EnterpriseDatum ctrl = Datum("product_output", 1, "t", "a\x01");
  EXPECT_THAT(message(ctrl), HasSubstr("item: contains a control character"));
  EnterpriseDatum long_note = Datum("tax", 1, "万元");
  long_note.note = std::string(3000, 'x');
  EXPECT_THAT(message(long_note), HasSubstr("note: longer than"));

  // Codes are trimmed and upper-cased like the registry's; the Chinese name finds the indicator.
  EnterpriseDatum d = Datum("工业增加值", 0, "万元");
  d.enterprise_code = " 91210100ma0000001x ";
  d.note = "  统计局快报 ";
  ASSERT_TRUE(NormalizeEnterpriseDatum(&d).ok());
  EXPECT_EQ(d.enterprise_code, kEnt);
  EXPECT_EQ(d.indicator, "added_value");
  EXPECT_EQ(d.note, "统计局快报");
  EXPECT_EQ(d.value, 0);
}

TEST(EnterpriseCsvTest, ParsesRowsWithProvenance) {
  const std::string csv =
      "\xEF\xBB\xBF"
      "enterprise_code,indicator,item,period,value,unit,note\r\n"
      "91210100MA0000001X,added_value,,2025-01,1200.5,万元,快报\r\n"
      "\r\n"
      "91210100ma0000001x,tax,,2025,3500000,元,\r\n"
      "91210100MA0000001X,product_output,\"齿轮箱, 大型\",2025-02,42,台,\"多行\n备注\"\r\n"
      "91210100MA0000001X,green_direct_kwh,'=PPA1,2025-02,2.5,MWh,\r\n";
  auto rows = ParseEnterpriseDataCsv(csv, "x.csv");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 4u);
  const auto& r = *rows;
  EXPECT_EQ(r[0].enterprise_code, kEnt);
  EXPECT_EQ(r[0].indicator, "added_value");
  EXPECT_EQ(r[0].period, (DataPeriod{2025, 1}));
  EXPECT_EQ(r[0].value, 1200.5);
  EXPECT_EQ(r[0].unit, "10k CNY");
  EXPECT_EQ(r[0].note, "快报");
  EXPECT_EQ(r[0].source, "x.csv line 2");
  EXPECT_EQ(r[0].seq, 0);
  EXPECT_EQ(r[1].enterprise_code, kEnt);
  EXPECT_EQ(r[1].period, (DataPeriod{2025, 0}));
  EXPECT_EQ(r[1].value, 350);
  EXPECT_EQ(r[1].source, "x.csv line 4");
  EXPECT_EQ(r[2].item, "齿轮箱, 大型");
  EXPECT_EQ(r[2].unit, "台");
  EXPECT_EQ(r[2].note, "多行\n备注");
  EXPECT_EQ(r[3].source, "x.csv line 7");  // the quoted line break counts
  EXPECT_EQ(r[3].item, "=PPA1");
  EXPECT_EQ(r[3].value, 2500);
}

TEST(EnterpriseCsvTest, HeaderColumnsByNameInAnyOrder) {
  auto rows = ParseEnterpriseDataCsv(
      "Unit,Value,Period,Indicator,Credit_Code\n万元,5,2024,revenue,91210100MA0000001X\n", "h");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].indicator, "revenue");
  EXPECT_EQ((*rows)[0].value, 5);

  EXPECT_THAT(ParseEnterpriseDataCsv("", "e.csv").error().message(), HasSubstr("no header"));
  EXPECT_THAT(
      ParseEnterpriseDataCsv("enterprise_code,indicator,period,value\n", "e.csv").error().message(),
      HasSubstr("missing column unit"));
  EXPECT_THAT(
      ParseEnterpriseDataCsv("enterprise_code,indicator,period,value,unit,colour\n", "e.csv")
          .error()
          .message(),
      HasSubstr("unknown column 'colour'"));
  EXPECT_THAT(ParseEnterpriseDataCsv("enterprise_code,indicator,period,value,unit,Unit\n", "e.csv")
                  .error()
                  .message(),
              HasSubstr("column unit appears twice"));
  auto empty = ParseEnterpriseDataCsv("enterprise_code,indicator,period,value,unit\n\n", "e.csv");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(EnterpriseCsvTest, ListsEveryBadLine) {
  const std::string csv =
      "enterprise_code,indicator,item,period,value,unit\n"
      "91210100MA0000001X,added_value,,2025-13,1,万元\n"    // 2: period
      "91210100MA0000001X,added_value,,2025-01,abc,万元\n"  // 3: value
      "91210100MA0000001X,added_value,,2025-01,1,USD\n"     // 4: unit
      "91210100MA0000001X,product_output,,2025-01,1,t\n"    // 5: item
      "91210100MA0000001X,added_value,,2025-02,1,万元\n"    // ok
      "91210100MA0000001X,added_value,,2025-02,2,万元\n"    // 7: repeats 6
      "91210100MA0000001X,added_value,,2025-03\n"           // 8: cells
      "91210100MA0000001X,added_value,,25-03,1,万元\n"      // 9: period
      "91210100MA0000001X,gdp,,2025-03,1,万元\n"            // 10: indicator
      "91210100MA0000001X,tax,,2025-03,-5,万元\n"           // 11: value
      "91210100MA0000001X,tax,,2025-03,\"1\"x,万元\n";      // 12: quote
  auto rows = ParseEnterpriseDataCsv(csv, "bad.csv");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().code(), StatusCode::kInvalidArgument);
  const std::string& m = rows.error().message();
  EXPECT_THAT(m, HasSubstr("bad.csv: 10 bad lines, nothing imported"));
  EXPECT_THAT(m, HasSubstr("line 2: column period: period '2025-13'"));
  EXPECT_THAT(m, HasSubstr("line 3: column value: 'abc' is not a number"));
  EXPECT_THAT(m, HasSubstr("line 4: column unit: 'USD' is not accepted"));
  EXPECT_THAT(m, HasSubstr("line 5: column item: product_output needs an item"));
  EXPECT_THAT(m, HasSubstr("line 7: 91210100MA0000001X added_value 2025-02 repeats line 6"));
  EXPECT_THAT(m, HasSubstr("line 8: expected 6 cells, got 4"));
  EXPECT_THAT(m, HasSubstr("line 9: column period"));
  EXPECT_THAT(m, HasSubstr("line 10: column indicator: unknown indicator 'gdp'"));
  EXPECT_THAT(m, HasSubstr("line 11: column value: negative"));
  EXPECT_THAT(m, HasSubstr("line 12: unexpected character"));
  EXPECT_THAT(m, Not(HasSubstr("line 6:")));
}

TEST(EnterpriseCsvTest, ErrorListIsCappedAt100) {
  std::string csv = "enterprise_code,indicator,period,value,unit\n";
  for (int i = 0; i < 150; ++i) csv += "91210100MA0000001X,tax,2025-13,1,万元\n";
  auto rows = ParseEnterpriseDataCsv(csv, "many.csv");
  ASSERT_FALSE(rows.ok());
  const std::string& m = rows.error().message();
  EXPECT_THAT(m, HasSubstr("150 bad lines"));
  EXPECT_THAT(m, HasSubstr("line 101:"));
  EXPECT_THAT(m, Not(HasSubstr("line 102:")));
  EXPECT_THAT(m, HasSubstr("... and 50 more"));
}

TEST(EnterpriseCsvTest, ExportParsesBack) {
  std::vector<EnterpriseDatum> rows = {
      Datum("added_value", 1200.25, "10k CNY"),
      Datum("product_output", 3, "台", "=cmd|' /C calc'!A0"),
      Datum("green_direct_kwh", 0.1, "kWh", "合同 \"A\", 2025"),
  };
  rows[0].period = {2024, 0};
  rows[1].note = "第一行\n第二行";
  for (EnterpriseDatum& d : rows) ASSERT_TRUE(NormalizeEnterpriseDatum(&d).ok());
  const std::string csv = EnterpriseDataToCsv(rows, false);
  EXPECT_THAT(csv, HasSubstr("'=cmd"));
  EXPECT_TRUE(csv.starts_with("enterprise_code,indicator,item,period,value,unit,note\n"));
  auto back = ParseEnterpriseDataCsv(csv, "export");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ASSERT_EQ(back->size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EnterpriseDatum expected = rows[i];
    expected.source = (*back)[i].source;
    EXPECT_EQ((*back)[i], expected) << i;
  }
}

TEST(EnterpriseCsvTest, HistoryExportHasVersions) {
  EnterpriseDatum d = Datum("tax", 10, "10k CNY");
  d.seq = 7;
  d.recorded_s = 1740787200;  // 2025-03-01T00:00:00Z
  d.source = "POST /api/v1/economic from 127.0.0.1";
  d.deleted = true;
  const std::string csv = EnterpriseDataToCsv(std::span<const EnterpriseDatum>(&d, 1), true);
  EXPECT_EQ(csv,
            "enterprise_code,indicator,item,period,value,unit,note,seq,recorded_at,source,deleted\n"
            "91210100MA0000001X,tax,,2025-03,10,10k CNY,,7,2025-03-01T00:00:00Z,"
            "POST /api/v1/economic from 127.0.0.1,1\n");
}

}  // namespace
}  // namespace zp::model
