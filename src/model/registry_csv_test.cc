#include "zp/model/registry_csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace zp::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kCode1[] = "91350100M000100Y43";
constexpr char kCode2[] = "914403001922038216";

std::string ErrorsText(const std::vector<RegistryRowError>& errors) {
  std::string s;
  for (const RegistryRowError& e : errors) s += e.ToString() + "\n";
  return s;
}

// ---- Reading: CSV syntax ---------------------------------------------------------------------

TEST(RegistryCsvTest, ZonesWithBomCrlfQuotesAndAnyColumnOrder) {
  const std::string text =
      "\xEF\xBB\xBF"
      "name,code,officer_contact,officer\r\n"
      "第一网格,Z01,13800000000,张三\r\n"
      "\"第二网格, 东区\",Z02,\"line1\nline2\",\"李\"\"四\"\"\"\r\n"
      "  第三网格  , Z03 ,,\r\n";
  Result<RegistryCsv<Zone>> r = ParseZonesCsv(text);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(r->errors, IsEmpty()) << ErrorsText(r->errors);
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(
      r->records[0],
      (Zone{
          .code = "Z01", .name = "第一网格", .officer = "张三", .officer_contact = "13800000000"}));
  EXPECT_EQ(r->records[1].name, "第二网格, 东区");
  EXPECT_EQ(r->records[1].officer_contact, "line1\nline2");
  EXPECT_EQ(r->records[1].officer, "李\"四\"");
  EXPECT_EQ(r->records[2].name, "第三网格");  // unquoted cells are trimmed
  EXPECT_EQ(r->records[2].code, "Z03");
  EXPECT_TRUE(r->records[2].officer.empty());
  // The quoted newline makes row 3 span lines 3-4, so the next row starts on line 5.
  EXPECT_THAT(r->lines, ElementsAre(2, 3, 5));
}

TEST(RegistryCsvTest, LineEndsAndBlankRows) {
  for (const char* text : {"code,name\nZ1,a\n\nZ2,b\n,\n", "code,name\rZ1,a\r\rZ2,b\r,",
                           "\n\ncode,name\r\nZ1,a\r\n\r\nZ2,b\r\n \t,  \r\n"}) {
    Result<RegistryCsv<Zone>> r = ParseZonesCsv(text);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_THAT(r->errors, IsEmpty()) << ErrorsText(r->errors);
    ASSERT_EQ(r->records.size(), 2u) << text;
    EXPECT_EQ(r->records[1].name, "b");
    EXPECT_EQ(r->lines[1] - r->lines[0], 2) << text;
  }
  // No final line end.
  Result<RegistryCsv<Zone>> r = ParseZonesCsv("code,name\nZ1,\"a\"");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].name, "a");
}

TEST(RegistryCsvTest, HeaderProblemsAreFileErrors) {
  auto error = [](std::string_view text) {
    Result<RegistryCsv<Zone>> r = ParseZonesCsv(text);
    return r.ok() ? std::string("OK") : r.error().message();
  };
  EXPECT_THAT(error(""), HasSubstr("no header row"));
  EXPECT_THAT(error("\xEF\xBB\xBF\r\n\r\n"), HasSubstr("no header row"));
  EXPECT_THAT(error("code,name,colour\n"),
              HasSubstr("unknown column 'colour' (known: code, name, officer, officer_contact)"));
  EXPECT_THAT(error("code,name,Code\n"), HasSubstr("column code appears twice"));
  EXPECT_THAT(error("code,officer\nZ1,x\n"), HasSubstr("missing column name"));
  EXPECT_THAT(error("code,,name\n"), HasSubstr("column 2 has no name"));
  EXPECT_THAT(error("\ncode,\"name\n"), HasSubstr("line 2"));
  EXPECT_EQ(error("CODE, Name \n"), "OK");  // names are case-insensitive and trimmed
  Result<RegistryCsv<Zone>> empty = ParseZonesCsv("code,name\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(empty->records, IsEmpty());
}

TEST(RegistryCsvTest, RowSyntaxErrors) {
  Result<RegistryCsv<Zone>> r = ParseZonesCsv(
      "code,name\n"
      "Z1,a,extra\n"
      "Z2\n"
      "Z3,\"b\"x\n"
      "Z4,d\n"
      "Z5,\"never closed\nZ6,e\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].code, "Z4");
  EXPECT_THAT(r->lines, ElementsAre(5));
  ASSERT_EQ(r->errors.size(), 4u) << ErrorsText(r->errors);
  EXPECT_EQ(r->errors[0], (RegistryRowError{2, "expected 2 cells, got 3"}));
  EXPECT_EQ(r->errors[1], (RegistryRowError{3, "expected 2 cells, got 1"}));
  EXPECT_EQ(r->errors[2].line, 4);
  EXPECT_THAT(r->errors[2].reason, HasSubstr("after the closing quote of cell 2"));
  EXPECT_EQ(r->errors[3].line, 6);
  EXPECT_THAT(r->errors[3].reason, HasSubstr("unterminated quoted cell"));
  EXPECT_EQ(r->errors[0].ToString(), "line 2: expected 2 cells, got 3");
}

TEST(RegistryCsvTest, ValidationErrorsNameLineAndColumn) {
  Result<RegistryCsv<Zone>> r = ParseZonesCsv(
      "name,code\n"
      "a,Z 1\n"
      ",Z2\n"
      "c,Z3\n"
      "d,Z3\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].code, "Z3");
  ASSERT_EQ(r->errors.size(), 3u) << ErrorsText(r->errors);
  EXPECT_EQ(r->errors[0].ToString(),
            "line 2: column code: 'Z 1' is not a valid code (1 to 64 of A-Z a-z 0-9 . _ -)");
  EXPECT_EQ(r->errors[1].ToString(), "line 3: column name: must not be empty");
  EXPECT_EQ(r->errors[2].ToString(), "line 5: column code: Z3 repeats line 4");
}

// ---- Reading: enterprises and meters ---------------------------------------------------------

TEST(RegistryCsvTest, Enterprises) {
  const std::string text =
      std::string("credit_code,name,industry_code,land_area_mu,zone,key_energy_user\n") +
      " 91350100m000100y43 ,甲公司,3670,120.5,Z01,是\n" + kCode2 + ",乙公司,C39,,,否\n";
  Result<RegistryCsv<Enterprise>> r = ParseEnterprisesCsv(text);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(r->errors, IsEmpty()) << ErrorsText(r->errors);
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0], (Enterprise{.code = kCode1,
                                       .name = "甲公司",
                                       .industry_code = "C3670",
                                       .land_area_mu = 120.5,
                                       .zone_code = "Z01",
                                       .key_energy_user = true}));
  EXPECT_EQ(r->records[1].land_area_mu, 0);
  EXPECT_EQ(r->records[1].zone_code, "");
  EXPECT_FALSE(r->records[1].key_energy_user);
}

TEST(RegistryCsvTest, EnterpriseBooleansAndOptionalColumns) {
  const char* truthy[] = {"true", "TRUE", "1", "yes", "是"};
  const char* falsy[] = {"false", "False", "0", "no", "否", ""};
  for (const char* v : truthy) {
    auto r = ParseEnterprisesCsv(std::string("credit_code,name,industry_code,key_energy_user\n") +
                                 kCode1 + ",x,C36," + v + "\n");
    ASSERT_TRUE(r.ok() && r->records.size() == 1) << v << ErrorsText(r->errors);
    EXPECT_TRUE(r->records[0].key_energy_user) << v;
  }
  for (const char* v : falsy) {
    auto r = ParseEnterprisesCsv(std::string("credit_code,name,industry_code,key_energy_user\n") +
                                 kCode1 + ",x,C36," + v + "\n");
    ASSERT_TRUE(r.ok() && r->records.size() == 1) << v << ErrorsText(r->errors);
    EXPECT_FALSE(r->records[0].key_energy_user) << v;
  }
  auto missing = ParseEnterprisesCsv("credit_code,name\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(), HasSubstr("missing column industry_code"));
}

TEST(RegistryCsvTest, EnterpriseErrors) {
  const std::string text =
      std::string("credit_code,name,industry_code,land_area_mu,zone,key_energy_user\n") +
      "91350100M000100Y44,a,C36,1,,true\n" +  // line 2
      kCode1 + ",b,B36,1,,true\n" +           // 3
      kCode1 + ",c,C36,12亩,,true\n" +        // 4
      kCode1 + ",d,C36,-5,,true\n" +          // 5
      kCode1 + ",e,C36,1,,maybe\n" +          // 6
      kCode1 + ",f,C36,1,Z/1,true\n" +        // 7
      kCode1 + ",,C36,1,,true\n" +            // 8
      kCode1 + ",g,C36,1,,true\n" +           // 9: good
      "91350100m000100y43,h,C36,1,,true\n";   // 10: same code after normalising
  Result<RegistryCsv<Enterprise>> r = ParseEnterprisesCsv(text);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].name, "g");
  EXPECT_THAT(r->lines, ElementsAre(9));
  ASSERT_EQ(r->errors.size(), 8u) << ErrorsText(r->errors);
  EXPECT_EQ(r->errors[0].ToString(),
            "line 2: column credit_code: credit code '91350100M000100Y44': check character "
            "should be 3, not 4");
  EXPECT_EQ(r->errors[1].ToString(),
            "line 3: column industry_code: industry code B36: division 36 belongs to section C");
  EXPECT_EQ(r->errors[2].ToString(), "line 4: column land_area_mu: '12亩' is not a number");
  EXPECT_THAT(r->errors[3].ToString(), StartsWith("line 5: column land_area_mu: must be"));
  EXPECT_EQ(r->errors[4].ToString(),
            "line 6: column key_energy_user: 'maybe' is not true/false/1/0/是/否");
  EXPECT_THAT(r->errors[5].ToString(), StartsWith("line 7: column zone: 'Z/1'"));
  EXPECT_EQ(r->errors[6].ToString(), "line 8: column name: must not be empty");
  EXPECT_EQ(r->errors[7].ToString(),
            "line 10: column credit_code: 91350100M000100Y43 repeats line 9");
}

TEST(RegistryCsvTest, MetersMinimalColumnsTakeDefaults) {
  Result<RegistryCsv<Meter>> r = ParseMetersCsv(
      "carrier,code\n"
      "electricity,M1\n"
      "natural_gas,G1\n"
      "HEAT,H1\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(r->errors, IsEmpty()) << ErrorsText(r->errors);
  ASSERT_EQ(r->records.size(), 3u);
  Meter want;
  want.code = "M1";
  EXPECT_EQ(r->records[0], want);
  EXPECT_EQ(r->records[1].carrier, units::Carrier::kNaturalGas);
  EXPECT_EQ(r->records[1].unit, "m3");  // the carrier's canonical unit, not the struct's kWh
  EXPECT_EQ(r->records[2].unit, "GJ");
  EXPECT_EQ(r->records[2].interval_s, 900);
  EXPECT_EQ(r->records[2].multiplier, 1.0);

  auto missing = ParseMetersCsv("code,unit\nM1,kWh\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(), HasSubstr("missing column carrier"));
}

TEST(RegistryCsvTest, MetersAllColumns) {
  const std::string text =
      std::string(
          "code,name,enterprise,carrier,unit,kind,flow,interval_s,register_digits,multiplier,"
          "parent,formula\n") +
      "M1,总表,,electricity,MWh,cumulative,consumption,3600,8,200,,\n" + "PV1,光伏,," +
      "electricity,kWh,interval,generation,900,,1,M1,\n" + "V1,净用电," + kCode1 +
      ",electricity,kWh,virtual,consumption,900,0,1,,'+M1-PV1\n";
  Result<RegistryCsv<Meter>> r = ParseMetersCsv(text);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(r->errors, IsEmpty()) << ErrorsText(r->errors);
  ASSERT_EQ(r->records.size(), 3u);
  const Meter& m1 = r->records[0];
  EXPECT_EQ(m1.unit, "MWh");
  EXPECT_EQ(m1.kind, MeterKind::kCumulative);
  EXPECT_EQ(m1.interval_s, 3600);
  EXPECT_EQ(m1.register_digits, 8);
  EXPECT_EQ(m1.multiplier, 200);
  EXPECT_EQ(r->records[1].flow, MeterFlow::kGeneration);
  EXPECT_EQ(r->records[1].parent_code, "M1");
  EXPECT_EQ(r->records[2].kind, MeterKind::kVirtual);
  EXPECT_EQ(r->records[2].formula, "+M1-PV1");  // the anti-formula apostrophe is dropped
  EXPECT_EQ(r->records[2].enterprise_code, kCode1);
}

TEST(RegistryCsvTest, MeterErrorsNameTheColumn) {
  const std::string text =
      "code,carrier,unit,kind,interval_s,register_digits,multiplier,parent,formula,enterprise\n"
      "A,gas,,,,,,,,\n"                   // 2
      "B,electricity,m3,,,,,,,\n"         // 3
      "C,electricity,,interval,,6,,,,\n"  // 4
      "D,electricity,,,15m,,,,,\n"        // 5
      "E,electricity,,,,,0,,,\n"          // 6
      "F,electricity,,,,,,F,,\n"          // 7
      "G,electricity,,,,,,,+A,\n"         // 8
      "H,electricity,,virtual,,,,,,\n"    // 9
      "I,electricity,,counter,,,,,,\n"    // 10
      "J,electricity,,,,,,,,E1\n"         // 11
      "K,water,L,,,,,,,\n";               // 12: good
  Result<RegistryCsv<Meter>> r = ParseMetersCsv(text);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->records.size(), 1u) << ErrorsText(r->errors);
  EXPECT_EQ(r->records[0].unit, "L");
  const std::vector<std::string> want = {
      "line 2: column carrier: unknown carrier 'gas' (known: electricity, natural_gas",
      "line 3: column unit: unit m3 does not fit carrier electricity",
      "line 4: column register_digits: only cumulative meters have a register",
      "line 5: column interval_s: '15m' is not a whole number",
      "line 6: column multiplier: must be a finite number > 0",
      "line 7: column parent: a meter cannot be its own parent",
      "line 8: column formula: only virtual meters have a formula",
      "line 9: column formula: a virtual meter needs a formula",
      "line 10: column kind: unknown meter kind 'counter'",
      "line 11: column enterprise: credit code 'E1' has 2 characters",
  };
  ASSERT_EQ(r->errors.size(), want.size()) << ErrorsText(r->errors);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_THAT(r->errors[i].ToString(), StartsWith(want[i]));
  }
}

// ---- Writing and round trips -----------------------------------------------------------------

TEST(RegistryCsvTest, ToCsvGolden) {
  const std::vector<Zone> zones = {
      {.code = "Z01", .name = "第一网格", .officer = "张三", .officer_contact = "138"},
      {.code = "Z02", .name = "a,b", .officer = "say \"hi\"", .officer_contact = " padded"},
      {.code = "Z03", .name = "=1+2", .officer = "", .officer_contact = "'=x"},
  };
  EXPECT_EQ(ToCsv(zones),
            "code,name,officer,officer_contact\n"
            "Z01,第一网格,张三,138\n"
            "Z02,\"a,b\",\"say \"\"hi\"\"\",\" padded\"\n"
            "Z03,'=1+2,,''=x\n");
  Meter m;
  m.code = "V1";
  m.kind = MeterKind::kVirtual;
  m.formula = "-M1+M2";
  m.multiplier = 0.1;
  EXPECT_EQ(ToCsv(std::vector<Meter>{m}),
            "code,name,enterprise,carrier,unit,kind,flow,interval_s,register_digits,multiplier,"
            "parent,formula\n"
            "V1,,,electricity,kWh,virtual,consumption,900,0,0.1,,'-M1+M2\n");
  Enterprise e{.code = kCode1, .name = "甲", .industry_code = "C36", .land_area_mu = 1e-7};
  EXPECT_EQ(ToCsv(std::vector<Enterprise>{e}),
            "credit_code,name,industry_code,land_area_mu,zone,key_energy_user\n" +
                std::string(kCode1) + ",甲,C36,1e-07,,false\n");
}

TEST(RegistryCsvTest, ZonesRoundTrip) {
  const std::vector<Zone> zones = {
      {.code = "Z01", .name = "第一网格", .officer = "张三", .officer_contact = "138-0000-0000"},
      {.code = "Z-2", .name = "a,\"b\"\r\nc", .officer = " lead", .officer_contact = "trail\t"},
      {.code = "Z.3", .name = "=HYPERLINK(\"http://x\")", .officer = "@x", .officer_contact = "-1"},
      {.code = "Z_4", .name = "'=quoted", .officer = "''", .officer_contact = "'"},
      {.code = "Z5", .name = "+86", .officer = "'+", .officer_contact = "'@'"},
  };
  const std::string csv = ToCsv(zones);
  // No cell starts with a character that spreadsheets evaluate.
  for (const char* bad : {",=", ",@", ",+", ",-", "\n=", "\"=", "\"@"}) {
    EXPECT_EQ(csv.find(bad), std::string::npos) << bad;
  }
  for (const std::string& text : {csv, "\xEF\xBB\xBF" + csv}) {
    Result<RegistryCsv<Zone>> r = ParseZonesCsv(text);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_THAT(r->errors, IsEmpty()) << ErrorsText(r->errors);
    EXPECT_EQ(r->records, zones);
  }
}

TEST(RegistryCsvTest, EnterprisesRoundTrip) {
  const std::vector<Enterprise> list = {
      {.code = kCode1,
       .name = "甲公司",
       .industry_code = "C3670",
       .land_area_mu = 120.5,
       .zone_code = "Z01",
       .key_energy_user = true},
      {.code = kCode2, .name = "乙, \"公司\"", .industry_code = "D", .land_area_mu = 0.1 + 0.2},
      {.code = "91440300708461136T", .name = "-丙", .industry_code = "I65", .land_area_mu = 1e300},
  };
  Result<RegistryCsv<Enterprise>> r = ParseEnterprisesCsv(ToCsv(list));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(r->errors, IsEmpty()) << ErrorsText(r->errors);
  EXPECT_EQ(r->records, list);  // doubles are written exactly (shortest round-trip form)
}

TEST(RegistryCsvTest, MetersRoundTrip) {
  std::vector<Meter> list(4);
  list[0].code = "M1";
  list[0].name = "1#变压器 总进线";
  list[0].enterprise_code = kCode1;
  list[0].unit = "MWh";
  list[0].kind = MeterKind::kCumulative;
  list[0].register_digits = 9;
  list[0].multiplier = 1.0 / 3.0;
  list[0].interval_s = 3600;
  list[1].code = "G1";
  list[1].carrier = units::Carrier::kNaturalGas;
  list[1].unit = "Nm3";
  list[1].parent_code = "G0";
  list[2].code = "PV";
  list[2].flow = MeterFlow::kGeneration;
  list[2].interval_s = 60;
  list[3].code = "V";
  list[3].kind = MeterKind::kVirtual;
  list[3].formula = "-PV + M1";
  list[3].name = "=SUM(A1)";
  std::string csv = ToCsv(list);
  // CRLF line ends read the same.
  std::string crlf;
  for (char c : csv) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  for (const std::string& text : {csv, crlf}) {
    Result<RegistryCsv<Meter>> r = ParseMetersCsv(text);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_THAT(r->errors, IsEmpty()) << ErrorsText(r->errors);
    EXPECT_EQ(r->records, list);
    EXPECT_THAT(r->lines, ElementsAre(2, 3, 4, 5));
  }
}

}  // namespace
}  // namespace zp::model
