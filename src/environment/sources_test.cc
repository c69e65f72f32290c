// The pollution-source registry: JSON parsing field by field (each refusal names the source and
// the field, in English and Chinese), canonical writing and round trips with and without
// secrets, the cross-checks against the park registry, GB 13271-2014 limits by boiler class and
// fuel, and which limit is in force on a day (overrides by date).

#include "zp/environment/sources.h"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "zp/auth/auth.h"
#include "zp/base/time.h"

namespace zp::environment {
namespace {

using nlohmann::json;

constexpr char kEnt1[] = "91330100MA2B000001";
constexpr char kEnt2[] = "91330100MA2B000002";

json BaseJson() {
  return json::parse(R"({"sources": [
    {"code": "E1.DA001", "name": "1号锅炉排气筒", "enterprise": "91330100MA2B000001",
     "kind": "stack", "mn": "010000A8900016F000169DC0", "password": "123456",
     "fuel": "coal", "boiler_class": "in_use",
     "pollutants": ["a34013", "a21026", "a21002", "a19001", "a00000"],
     "limits": [{"pollutant": "a21026", "value": 35, "unit": "mg/m3", "from": "2025-01-01",
                 "to": "", "basis": "DB33 表1 / local standard Table 1"}]},
    {"code": "E2.DW001", "enterprise": "91330100MA2B000002", "kind": "outfall",
     "mn": "88888880000002", "password": "pw2", "minute_interval_s": 600,
     "realtime_interval_s": 60, "data_loss_after_s": 1800,
     "pollutants": ["w00000", "w01018", "w21003", "w01001"]}
  ]})");
}

std::vector<model::Enterprise> Enterprises() {
  model::Enterprise a;
  a.code = kEnt1;
  a.name = "甲";
  model::Enterprise b;
  b.code = kEnt2;
  b.name = "乙";
  return {a, b};
}

SourceRegistry Parse(const json& j, const SourceRegistry* previous = nullptr) {
  Result<SourceRegistry> r = SourcesFromJson(j.dump(), previous);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : SourceRegistry{};
}

TEST(SourcesJson, ParsesEveryFieldWithDefaults) {
  const SourceRegistry reg = Parse(BaseJson());
  ASSERT_EQ(reg.sources.size(), 2u);
  const Source& st = reg.sources[0];
  EXPECT_EQ(st.code, "E1.DA001");
  EXPECT_EQ(st.name, "1号锅炉排气筒");
  EXPECT_EQ(st.enterprise_code, kEnt1);
  EXPECT_EQ(st.kind, SourceKind::kStack);
  EXPECT_EQ(st.mn, "010000A8900016F000169DC0");
  EXPECT_EQ(st.password_sha256, auth::HashSecret("123456"));
  EXPECT_EQ(st.fuel, Fuel::kCoal);
  EXPECT_EQ(st.boiler_class, BoilerClass::kInUse);
  EXPECT_DOUBLE_EQ(st.reference_o2_pct, 9.0);  // coal default
  EXPECT_EQ(st.realtime_interval_s, 30);
  EXPECT_EQ(st.minute_interval_s, 60);
  EXPECT_EQ(st.data_loss_after_s, 0);
  EXPECT_EQ(st.DataLossAfter(), 600);
  EXPECT_EQ(st.medium(), hj212::Medium::kFlueGas);
  EXPECT_EQ(st.pollutants,
            (std::vector<std::string>{"a34013", "a21026", "a21002", "a19001", "a00000"}));
  ASSERT_EQ(st.limits.size(), 1u);
  EXPECT_EQ(st.limits[0].pollutant, "a21026");
  EXPECT_DOUBLE_EQ(st.limits[0].value, 35);
  EXPECT_EQ(st.limits[0].unit, "mg/m3");
  EXPECT_EQ(st.limits[0].from_day, DaysFromCivil(2025, 1, 1));
  EXPECT_EQ(st.limits[0].to_day, INT32_MAX);
  EXPECT_EQ(st.limits[0].basis, "DB33 表1 / local standard Table 1");

  const Source& ww = reg.sources[1];
  EXPECT_EQ(ww.kind, SourceKind::kOutfall);
  EXPECT_EQ(ww.medium(), hj212::Medium::kWastewater);
  EXPECT_EQ(ww.name, "");
  EXPECT_EQ(ww.fuel, Fuel::kNone);
  EXPECT_EQ(ww.boiler_class, BoilerClass::kNone);
  EXPECT_DOUBLE_EQ(ww.reference_o2_pct, 0);
  EXPECT_EQ(ww.realtime_interval_s, 60);
  EXPECT_EQ(ww.minute_interval_s, 600);
  EXPECT_EQ(ww.DataLossAfter(), 1800);
  EXPECT_EQ(ww.password_sha256, auth::HashSecret("pw2"));
}

TEST(SourcesJson, DefaultReferenceO2ByFuelAndDataLossByInterval) {
  json j = BaseJson();
  j["sources"][0]["fuel"] = "gas";
  j["sources"][0]["realtime_interval_s"] = 300;
  SourceRegistry reg = Parse(j);
  EXPECT_DOUBLE_EQ(reg.sources[0].reference_o2_pct, 3.5);
  EXPECT_EQ(reg.sources[0].DataLossAfter(), 900);  // 3 x 300 > 600
  j["sources"][0]["fuel"] = "oil";
  j["sources"][0]["reference_o2_pct"] = 0;  // explicitly no correction
  reg = Parse(j);
  EXPECT_DOUBLE_EQ(reg.sources[0].reference_o2_pct, 0);
  // A stack that is not a boiler: no fuel needed, no reference O2 by default.
  j["sources"][0].erase("fuel");
  j["sources"][0].erase("reference_o2_pct");
  j["sources"][0]["boiler_class"] = "none";
  reg = Parse(j);
  EXPECT_EQ(reg.sources[0].fuel, Fuel::kNone);
  EXPECT_EQ(reg.sources[0].boiler_class, BoilerClass::kNone);
  EXPECT_DOUBLE_EQ(reg.sources[0].reference_o2_pct, 0);
}

TEST(SourcesJson, RoundTripWithSecrets) {
  const SourceRegistry reg = Parse(BaseJson());
  const std::string text = SourcesToJson(reg, true);
  EXPECT_NE(text.find("\"password_sha256\":\"" + auth::HashSecret("123456") + "\""),
            std::string::npos);
  EXPECT_EQ(text.find("\"password\""), std::string::npos);
  Result<SourceRegistry> back = SourcesFromJson(text, nullptr);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, reg);
  EXPECT_EQ(SourcesToJson(*back, true), text);
}

TEST(SourcesJson, RoundTripWithoutSecretsKeepsPreviousPasswords) {
  const SourceRegistry reg = Parse(BaseJson());
  const std::string text = SourcesToJson(reg, false);
  EXPECT_EQ(text.find("password"), std::string::npos);
  // Without the previous registry the passwords are missing.
  Result<SourceRegistry> none = SourcesFromJson(text, nullptr);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("source E1.DA001: field 'password' is missing"),
            std::string::npos)
      << none.status().message();
  Result<SourceRegistry> back = SourcesFromJson(text, &reg);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, reg);
}

TEST(SourcesJson, WritesSortedKeysAndSourcesByCode) {
  SourceRegistry reg = Parse(BaseJson());
  std::swap(reg.sources[0], reg.sources[1]);
  const std::string text = SourcesToJson(reg, false);
  EXPECT_LT(text.find("E1.DA001"), text.find("E2.DW001"));
  const std::string head =
      "{\"sources\":[{\"boiler_class\":\"in_use\",\"code\":\"E1.DA001\",\"data_loss_after_s\":0,"
      "\"enterprise\":\"91330100MA2B000001\",\"fuel\":\"coal\",\"kind\":\"stack\",\"limits\":";
  EXPECT_EQ(text.substr(0, head.size()), head);
  const json j = json::parse(text);
  const json& s = j["sources"][1];
  EXPECT_EQ(s["fuel"], "");
  EXPECT_EQ(s["boiler_class"], "none");
  EXPECT_EQ(s["limits"], json::array());
  const json& l = j["sources"][0]["limits"][0];
  EXPECT_EQ(l["from"], "2025-01-01");
  EXPECT_EQ(l["to"], "");
  EXPECT_EQ(l["unit"], "mg/m3");
  // The parse of an unsorted input gives the canonical order too.
  json rev = BaseJson();
  std::swap(rev["sources"][0], rev["sources"][1]);
  EXPECT_EQ(SourcesToJson(Parse(rev), false), text);
}

TEST(SourcesJson, PasswordForms) {
  const SourceRegistry reg = Parse(BaseJson());
  json j = BaseJson();
  // An edit without the password keeps the previous hash of the same code.
  j["sources"][0].erase("password");
  j["sources"][0]["name"] = "renamed";
  SourceRegistry edited = Parse(j, &reg);
  EXPECT_EQ(edited.sources[0].password_sha256, auth::HashSecret("123456"));
  EXPECT_EQ(edited.sources[0].name, "renamed");
  // A new password replaces it.
  j["sources"][0]["password"] = "654321";
  edited = Parse(j, &reg);
  EXPECT_EQ(edited.sources[0].password_sha256, auth::HashSecret("654321"));
  // A hash in upper case is kept in lower case.
  j["sources"][0].erase("password");
  std::string upper = auth::HashSecret("x");
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  j["sources"][0]["password_sha256"] = upper;
  edited = Parse(j);
  EXPECT_EQ(edited.sources[0].password_sha256, auth::HashSecret("x"));
  // Nine characters is the most; a printable space is fine.
  j["sources"][0].erase("password_sha256");
  j["sources"][0]["password"] = "ab cd!#$%";
  edited = Parse(j);
  EXPECT_EQ(edited.sources[0].password_sha256, auth::HashSecret("ab cd!#$%"));
}

struct BadCase {
  const char* what;
  std::function<void(json&)> edit;
  const char* en;  // expected in the message
  const char* zh;
};

TEST(SourcesJson, EachValidationErrorNamesSourceAndField) {
  auto s0 = [](json& j) -> json& { return j["sources"][0]; };
  auto s1 = [](json& j) -> json& { return j["sources"][1]; };
  const std::vector<BadCase> cases = {
      {"unknown field", [&](json& j) { s0(j)["colour"] = "red"; },
       "source E1.DA001: field 'colour' is unknown", "污染源 E1.DA001：字段 colour 未知"},
      {"code chars", [&](json& j) { s0(j)["code"] = "E1 DA001"; },
       "source E1 DA001: field 'code' must be 1-64", "字段 code"},
      {"code length", [&](json& j) { s0(j)["code"] = std::string(65, 'A'); }, "field 'code'",
       "字段 code"},
      {"code missing", [&](json& j) { s0(j).erase("code"); }, "sources[0]: field 'code' is missing",
       "第 1 个污染源：字段 code 缺失"},
      {"name type", [&](json& j) { s0(j)["name"] = 5; },
       "source E1.DA001: field 'name' must be a string", "字段 name 须为字符串"},
      {"enterprise missing", [&](json& j) { s0(j).erase("enterprise"); },
       "source E1.DA001: field 'enterprise' is missing", "字段 enterprise 缺失"},
      {"kind", [&](json& j) { s0(j)["kind"] = "chimney"; },
       "source E1.DA001: field 'kind' 'chimney' is not one of stack, outfall", "字段 kind"},
      {"mn length", [&](json& j) { s0(j)["mn"] = std::string(25, '1'); },
       "source E1.DA001: field 'mn' must be 1-24 letters or digits", "字段 mn"},
      {"mn chars", [&](json& j) { s0(j)["mn"] = "0100-00"; }, "field 'mn' must be 1-24", "字段 mn"},
      {"password long", [&](json& j) { s0(j)["password"] = std::string(33, 'p'); },
       "source E1.DA001: field 'password' must be 1-32 printable", "字段 password"},
      {"password semicolon", [&](json& j) { s0(j)["password"] = "12;34"; },
       "field 'password' must be 1-32", "字段 password"},
      {"password and hash", [&](json& j) { s0(j)["password_sha256"] = auth::HashSecret("123456"); },
       "field 'password' and password_sha256 are both given", "字段 password"},
      {"hash",
       [&](json& j) {
         s0(j).erase("password");
         s0(j)["password_sha256"] = "abc";
       },
       "source E1.DA001: field 'password_sha256' must be 64 hex digits", "字段 password_sha256"},
      {"fuel", [&](json& j) { s0(j)["fuel"] = "wood"; },
       "source E1.DA001: field 'fuel' 'wood' is not one of coal, oil, gas", "字段 fuel"},
      {"fuel missing for a boiler", [&](json& j) { s0(j).erase("fuel"); },
       "source E1.DA001: field 'fuel' is required for a boiler stack", "字段 fuel"},
      {"boiler class", [&](json& j) { s0(j)["boiler_class"] = "old"; },
       "source E1.DA001: field 'boiler_class' 'old' is not one of", "字段 boiler_class"},
      {"boiler class missing", [&](json& j) { s0(j).erase("boiler_class"); },
       "source E1.DA001: field 'boiler_class' is missing", "字段 boiler_class 缺失"},
      {"outfall fuel", [&](json& j) { s1(j)["fuel"] = "coal"; },
       "source E2.DW001: field 'fuel' must be empty for an outfall", "字段 fuel"},
      {"outfall class", [&](json& j) { s1(j)["boiler_class"] = "new"; },
       "source E2.DW001: field 'boiler_class' must be none for an outfall", "字段 boiler_class"},
      {"outfall o2", [&](json& j) { s1(j)["reference_o2_pct"] = 9; },
       "source E2.DW001: field 'reference_o2_pct' must be 0 for an outfall",
       "字段 reference_o2_pct"},
      {"o2 range", [&](json& j) { s0(j)["reference_o2_pct"] = 21; },
       "source E1.DA001: field 'reference_o2_pct' must be from 0 to 20", "字段 reference_o2_pct"},
      {"o2 type", [&](json& j) { s0(j)["reference_o2_pct"] = "9"; },
       "field 'reference_o2_pct' must be a number", "字段 reference_o2_pct 须为数字"},
      {"realtime low", [&](json& j) { s0(j)["realtime_interval_s"] = 29; },
       "source E1.DA001: field 'realtime_interval_s' must be from 30 to 3600",
       "字段 realtime_interval_s"},
      {"realtime high", [&](json& j) { s0(j)["realtime_interval_s"] = 3601; },
       "field 'realtime_interval_s' must be from 30 to 3600", "字段 realtime_interval_s"},
      {"realtime fraction", [&](json& j) { s0(j)["realtime_interval_s"] = 30.5; },
       "field 'realtime_interval_s' must be an integer", "字段 realtime_interval_s 须为整数"},
      {"minute", [&](json& j) { s0(j)["minute_interval_s"] = 90; },
       "source E1.DA001: field 'minute_interval_s' must be one of 60 120",
       "字段 minute_interval_s"},
      {"data loss", [&](json& j) { s0(j)["data_loss_after_s"] = 59; },
       "source E1.DA001: field 'data_loss_after_s' must be 0 (default) or from 60",
       "字段 data_loss_after_s"},
      {"pollutants missing", [&](json& j) { s0(j).erase("pollutants"); },
       "source E1.DA001: field 'pollutants' is missing", "字段 pollutants 缺失"},
      {"pollutants empty", [&](json& j) { s0(j)["pollutants"] = json::array(); },
       "field 'pollutants' must name at least one", "字段 pollutants"},
      {"pollutants type", [&](json& j) { s0(j)["pollutants"] = "a21026"; },
       "field 'pollutants' must be a list of HJ 212 codes", "字段 pollutants"},
      {"pollutant unknown", [&](json& j) { s0(j)["pollutants"].push_back("a99999"); },
       "source E1.DA001: field 'pollutants' 'a99999' is not an HJ 212 code", "字段 pollutants"},
      {"pollutant medium", [&](json& j) { s0(j)["pollutants"].push_back("w01018"); },
       "field 'pollutants' 'w01018' (COD (chemical oxygen demand)) is not a flue-gas pollutant",
       "不是废气监测因子"},
      {"pollutant medium outfall", [&](json& j) { s1(j)["pollutants"].push_back("a21026"); },
       "source E2.DW001: field 'pollutants' 'a21026' (SO2) is not a wastewater pollutant",
       "不是废水监测因子"},
      {"pollutant twice", [&](json& j) { s0(j)["pollutants"].push_back("a21026"); },
       "field 'pollutants' lists 'a21026' twice", "重复列出 'a21026'"},
      {"limit unknown key", [&](json& j) { s0(j)["limits"][0]["note"] = "x"; },
       "source E1.DA001 limits[0]: field 'note' is unknown",
       "污染源 E1.DA001 第 1 个限值：字段 note 未知"},
      {"limit pollutant", [&](json& j) { s0(j)["limits"][0]["pollutant"] = "a21005"; },
       "source E1.DA001 limits[0]: field 'pollutant' 'a21005' is not among",
       "字段 pollutant 'a21005' 不在"},
      {"limit value", [&](json& j) { s0(j)["limits"][0]["value"] = 0; },
       "source E1.DA001 limits[0]: field 'value' must be a number above 0", "字段 value"},
      {"limit value missing", [&](json& j) { s0(j)["limits"][0].erase("value"); },
       "limits[0]: field 'value' is missing", "字段 value 缺失"},
      {"limit unit", [&](json& j) { s0(j)["limits"][0]["unit"] = "mg/L"; },
       "limits[0]: field 'unit' 'mg/L' is not the unit of a21026: 'mg/m3'", "字段 unit"},
      {"limit dates", [&](json& j) { s0(j)["limits"][0]["to"] = "2024-12-31"; },
       "source E1.DA001 limits[0]: field 'to' must be after from", "字段 to 须晚于 from"},
      {"limit date", [&](json& j) { s0(j)["limits"][0]["from"] = "2025-02-30"; },
       "limits[0]: field 'from' '2025-02-30' is not a date YYYY-MM-DD", "字段 from"},
      {"limit basis", [&](json& j) { s0(j)["limits"][0].erase("basis"); },
       "limits[0]: field 'basis' is missing", "字段 basis 缺失"},
      {"limit basis empty", [&](json& j) { s0(j)["limits"][0]["basis"] = ""; },
       "limits[0]: field 'basis' is empty", "字段 basis 为空"},
      {"limits type", [&](json& j) { s0(j)["limits"] = json::object(); },
       "source E1.DA001: field 'limits' must be a list", "字段 limits"},
      {"duplicate code", [&](json& j) { s1(j)["code"] = "E1.DA001"; },
       "source E1.DA001: field 'code' is used by another source too", "字段 code 与其他污染源重复"},
      {"duplicate mn", [&](json& j) { s1(j)["mn"] = "010000a8900016f000169dc0"; },
       "field 'mn' '010000a8900016f000169dc0' is used by another source too", "字段 mn"},
      {"top key", [&](json& j) { j["extra"] = 1; }, "sources: field 'extra' is unknown",
       "污染源登记：字段 extra 未知"},
      {"top sources", [&](json& j) { j.erase("sources"); }, "sources: field 'sources' is missing",
       "字段 sources 缺失"},
      {"source type", [&](json& j) { j["sources"][0] = 1; }, "sources[0]: must be an object",
       "第 1 个污染源：须为对象"},
  };
  for (const BadCase& c : cases) {
    json j = BaseJson();
    c.edit(j);
    Result<SourceRegistry> r = SourcesFromJson(j.dump(), nullptr);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(r.status().message().find(c.en), std::string::npos)
        << c.what << ": " << r.status().message();
    EXPECT_NE(r.status().message().find(c.zh), std::string::npos)
        << c.what << ": " << r.status().message();
  }
}

TEST(SourcesJson, RefusesNonJsonAndNonObjects) {
  Result<SourceRegistry> r = SourcesFromJson("{\"sources\": [", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not valid JSON"), std::string::npos);
  EXPECT_NE(r.status().message().find("不是有效的 JSON"), std::string::npos);
  r = SourcesFromJson("[]", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("must be an object"), std::string::npos);
  r = SourcesFromJson("{\"sources\": []}", nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->sources.empty());
}

TEST(ValidateSources, ChecksEnterprisesAndUniqueness) {
  SourceRegistry reg = Parse(BaseJson());
  EXPECT_TRUE(ValidateSources(reg, Enterprises()).ok());
  std::vector<model::Enterprise> only_one = Enterprises();
  only_one.pop_back();
  Status s = ValidateSources(reg, only_one);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "source E2.DW001: field 'enterprise' '91330100MA2B000002' is not an enterprise of "
            "the park / 污染源 E2.DW001：字段 enterprise '91330100MA2B000002' 不是园区企业");
  // A registry built in code gets the same field checks as a parsed one.
  SourceRegistry dup = reg;
  dup.sources[1].mn = dup.sources[0].mn;
  s = ValidateSources(dup, Enterprises());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("source E2.DW001: field 'mn'"), std::string::npos) << s.message();
  SourceRegistry no_hash = reg;
  no_hash.sources[0].password_sha256.clear();
  s = ValidateSources(no_hash, Enterprises());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("field 'password_sha256'"), std::string::npos);
  SourceRegistry wrong_medium = reg;
  wrong_medium.sources[1].pollutants.push_back("a19001");
  s = ValidateSources(wrong_medium, Enterprises());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'a19001' (O2 content) is not a wastewater pollutant"),
            std::string::npos)
      << s.message();
}

TEST(Gb13271, LimitsByClassAndFuel) {
  struct Row {
    const char* code;
    BoilerClass c;
    double coal, oil, gas;
  };
  const Row rows[] = {
      {"a34013", BoilerClass::kInUse, 80, 60, 30},
      {"a21026", BoilerClass::kInUse, 400, 300, 100},
      {"a21002", BoilerClass::kInUse, 400, 400, 400},
      {"a34013", BoilerClass::kNew, 50, 30, 20},
      {"a21026", BoilerClass::kNew, 300, 200, 50},
      {"a21002", BoilerClass::kNew, 300, 250, 200},
      {"a34013", BoilerClass::kSpecial, 30, 30, 20},
      {"a21026", BoilerClass::kSpecial, 200, 100, 50},
      {"a21002", BoilerClass::kSpecial, 200, 200, 150},
  };
  for (const Row& r : rows) {
    const std::pair<Fuel, double> fuels[] = {
        {Fuel::kCoal, r.coal}, {Fuel::kOil, r.oil}, {Fuel::kGas, r.gas}};
    for (const auto& [fuel, value] : fuels) {
      std::optional<Limit> l = Gb13271Limit(r.code, r.c, fuel);
      ASSERT_TRUE(l.has_value()) << r.code << " " << BoilerClassName(r.c) << " " << FuelName(fuel);
      EXPECT_DOUBLE_EQ(l->value, value)
          << r.code << " " << BoilerClassName(r.c) << " " << FuelName(fuel);
      EXPECT_EQ(l->unit, "mg/m3");
      EXPECT_TRUE(l->corrected);
    }
  }
  EXPECT_EQ(Gb13271Limit("a21026", BoilerClass::kNew, Fuel::kCoal)->basis,
            "GB 13271-2014 表2 新建锅炉 燃煤 / Table 2 new boilers, coal");
  EXPECT_EQ(Gb13271Limit("a34013", BoilerClass::kSpecial, Fuel::kGas)->basis,
            "GB 13271-2014 表3 大气污染物特别排放限值 燃气 / Table 3 special emission limits, gas");
  EXPECT_EQ(Gb13271Limit("a21002", BoilerClass::kInUse, Fuel::kOil)->basis,
            "GB 13271-2014 表1 在用锅炉 燃油 / Table 1 in-use boilers, oil");
  // In-use coal SO2: 400, with the standard's 550 of four provinces as a note only.
  std::optional<Limit> so2 = Gb13271Limit("a21026", BoilerClass::kInUse, Fuel::kCoal);
  EXPECT_DOUBLE_EQ(so2->value, 400);
  EXPECT_EQ(so2->basis,
            "GB 13271-2014 表1 在用锅炉 燃煤（广西、重庆、四川、贵州为 550） / Table 1 in-use "
            "boilers, coal (550 in Guangxi, Chongqing, Sichuan, Guizhou)");
  EXPECT_EQ(Gb13271Limit("a34013", BoilerClass::kInUse, Fuel::kCoal)->basis.find("550"),
            std::string::npos);
  // No limit: other pollutants (CO, O2, flow), no class, no fuel.
  EXPECT_FALSE(Gb13271Limit("a21005", BoilerClass::kNew, Fuel::kCoal));
  EXPECT_FALSE(Gb13271Limit("a19001", BoilerClass::kNew, Fuel::kCoal));
  EXPECT_FALSE(Gb13271Limit("a00000", BoilerClass::kNew, Fuel::kCoal));
  EXPECT_FALSE(Gb13271Limit("a21026", BoilerClass::kNone, Fuel::kCoal));
  EXPECT_FALSE(Gb13271Limit("a21026", BoilerClass::kNew, Fuel::kNone));
  // Every limit is for a code of the pollutant table (mercury has none there).
  for (const hj212::PollutantCode& p : hj212::PollutantCodes()) {
    const bool has = Gb13271Limit(p.code, BoilerClass::kNew, Fuel::kCoal).has_value();
    EXPECT_EQ(has, p.code == "a34013" || p.code == "a21026" || p.code == "a21002") << p.code;
  }
  EXPECT_DOUBLE_EQ(Gb13271ReferenceO2(Fuel::kCoal), 9);
  EXPECT_DOUBLE_EQ(Gb13271ReferenceO2(Fuel::kOil), 3.5);
  EXPECT_DOUBLE_EQ(Gb13271ReferenceO2(Fuel::kGas), 3.5);
  EXPECT_DOUBLE_EQ(Gb13271ReferenceO2(Fuel::kNone), 0);
}

TEST(LimitInForce, StandardThenOverridesByDate) {
  SourceRegistry reg = Parse(BaseJson());
  Source st = reg.sources[0];  // in-use coal; SO2 override 35 from 2025-01-01
  const int32_t dec31 = DaysFromCivil(2024, 12, 31);
  const int32_t jan1 = DaysFromCivil(2025, 1, 1);
  std::optional<Limit> l = LimitInForce(st, "a21026", dec31);
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ(l->value, 400);
  EXPECT_NE(l->basis.find("GB 13271-2014 表1"), std::string::npos);
  EXPECT_TRUE(l->corrected);
  l = LimitInForce(st, "a21026", jan1);
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ(l->value, 35);
  EXPECT_EQ(l->basis, "DB33 表1 / local standard Table 1");
  EXPECT_EQ(l->unit, "mg/m3");
  EXPECT_TRUE(l->corrected);
  // Other pollutants keep the standard; pollutants without one have none.
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a34013", jan1)->value, 80);
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a21002", jan1)->value, 400);
  EXPECT_FALSE(LimitInForce(st, "a19001", jan1));

  // Several overrides: the latest "from" holding the day wins; "to" is exclusive.
  const int32_t mar1 = DaysFromCivil(2025, 3, 1);
  const int32_t apr1 = DaysFromCivil(2025, 4, 1);
  st.limits.push_back({"a21026", 50, "mg/m3", mar1, apr1, "permit 2025Q1"});
  st.limits.push_back({"a21026", 20, "mg/m3", INT32_MIN, DaysFromCivil(2024, 6, 1), "old permit"});
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a21026", mar1 - 1)->value, 35);
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a21026", mar1)->value, 50);
  EXPECT_EQ(LimitInForce(st, "a21026", mar1)->basis, "permit 2025Q1");
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a21026", apr1 - 1)->value, 50);
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a21026", apr1)->value, 35);
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a21026", DaysFromCivil(2024, 5, 31))->value, 20);
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a21026", DaysFromCivil(2024, 6, 1))->value, 400);

  // Class and fuel change the standard's value.
  st.boiler_class = BoilerClass::kSpecial;
  st.fuel = Fuel::kGas;
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a21002", jan1)->value, 150);
  // A stack without reference O2: the limit is compared with the value as measured.
  st.reference_o2_pct = 0;
  EXPECT_FALSE(LimitInForce(st, "a21002", jan1)->corrected);
  // A stack that is not a boiler: overrides only.
  st.boiler_class = BoilerClass::kNone;
  EXPECT_FALSE(LimitInForce(st, "a21002", jan1));
  EXPECT_DOUBLE_EQ(LimitInForce(st, "a21026", jan1)->value, 35);

  // An outfall: overrides only, never corrected.
  Source ww = reg.sources[1];
  EXPECT_FALSE(LimitInForce(ww, "w01018", jan1));
  ww.limits.push_back({"w01018", 50, "mg/L", INT32_MIN, INT32_MAX, "GB 8978-1996 表4"});
  l = LimitInForce(ww, "w01018", jan1);
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ(l->value, 50);
  EXPECT_EQ(l->unit, "mg/L");
  EXPECT_FALSE(l->corrected);
}

TEST(Sources, NamesAndUnits) {
  EXPECT_EQ(SourceKindName(SourceKind::kStack), "stack");
  EXPECT_EQ(SourceKindName(SourceKind::kOutfall), "outfall");
  EXPECT_EQ(FuelName(Fuel::kNone), "");
  EXPECT_EQ(FuelName(Fuel::kGas), "gas");
  EXPECT_EQ(BoilerClassName(BoilerClass::kNone), "none");
  EXPECT_EQ(BoilerClassName(BoilerClass::kInUse), "in_use");
  EXPECT_EQ(JsonUnit("mg/m³"), "mg/m3");
  EXPECT_EQ(JsonUnit("m³/s"), "m3/s");
  EXPECT_EQ(JsonUnit("mg/L"), "mg/L");
  EXPECT_EQ(JsonUnit("℃"), "℃");
}

}  // namespace
}  // namespace zp::environment
