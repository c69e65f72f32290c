#include "zp/model/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace zp::model {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---- Unified social credit code (GB 32100-2015) ---------------------------------------------

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// Reference computation written from the standard, independent of the implementation's table:
// the weight of position i (1-based) is 3^(i-1) mod 31; check = 31 - (sum mod 31), 31 -> 0.
char ReferenceCheckChar(std::string_view first17) {
  int sum = 0;
  int weight = 1;
  for (char c : first17) {
    sum += static_cast<int>(kAlphabet.find(c)) * weight;
    weight = weight * 3 % 31;
  }
  const int check = (31 - sum % 31) % 31;
  return kAlphabet[check];
}

TEST(CreditCodeTest, PublishedCodes) {
  // 91350100M000100Y43 is the example commonly cited for GB 32100-2015; the others are published
  // codes of large companies. Each is checked against the reference computation too.
  for (std::string_view code :
       {"91350100M000100Y43", "914403001922038216", "91440300708461136T", "91110108551385082Q"}) {
    EXPECT_TRUE(ValidateCreditCode(code).ok())
        << code << ": " << ValidateCreditCode(code).message();
    EXPECT_EQ(ReferenceCheckChar(code.substr(0, 17)), code[17]) << code;
    Result<char> check = CreditCodeCheckChar(code.substr(0, 17));
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(*check, code[17]);
  }
}

TEST(CreditCodeTest, CheckCharacterZero) {
  // Find a prefix whose sum is a multiple of 31: the check character is then '0', not 31.
  std::string prefix = "9111000000000000";
  for (char c : kAlphabet) {
    std::string p = prefix + c;
    if (ReferenceCheckChar(p) == '0') {
      EXPECT_EQ(CreditCodeCheckChar(p).value(), '0');
      EXPECT_TRUE(ValidateCreditCode(p + "0").ok());
      return;
    }
  }
  FAIL() << "no prefix with check character 0";
}

TEST(CreditCodeTest, GeneratedCodesAndSingleErrors) {
  std::mt19937 rng(20150901);
  std::uniform_int_distribution<int> pick(0, 30);
  for (int n = 0; n < 2000; ++n) {
    std::string code;
    for (int i = 0; i < 17; ++i) code += kAlphabet[pick(rng)];
    const char check = CreditCodeCheckChar(code).value();
    ASSERT_EQ(check, ReferenceCheckChar(code)) << code;
    code += check;
    ASSERT_TRUE(ValidateCreditCode(code).ok()) << code;
    // Any single substituted character is detected (31 is prime, no weight is 0 mod 31).
    const size_t pos = static_cast<size_t>(n % 18);
    std::string bad = code;
    bad[pos] = kAlphabet[(kAlphabet.find(code[pos]) + 1 + pick(rng) % 30) % 31];
    ASSERT_FALSE(ValidateCreditCode(bad).ok()) << bad;
    // So is a swap of two different neighbours among the first 17.
    const size_t s = static_cast<size_t>(n % 16);
    if (code[s] != code[s + 1]) {
      std::string swapped = code;
      std::swap(swapped[s], swapped[s + 1]);
      ASSERT_FALSE(ValidateCreditCode(swapped).ok()) << swapped;
    }
  }
}

TEST(CreditCodeTest, ErrorsNameTheProblem) {
  Status s = ValidateCreditCode("91350100M000100Y4");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("17 characters, expected 18"));
  EXPECT_THAT(ValidateCreditCode("").message(), HasSubstr("0 characters"));
  EXPECT_THAT(ValidateCreditCode("91350100M000100Y433").message(), HasSubstr("19 characters"));

  s = ValidateCreditCode("91350100I000100Y43");
  EXPECT_THAT(s.message(), HasSubstr("character 'I' at position 9 is not allowed"));
  for (char c : {'I', 'O', 'S', 'V', 'Z', '-', ' '}) {
    std::string code = "91350100M000100Y43";
    code[3] = c;
    EXPECT_THAT(ValidateCreditCode(code).message(), HasSubstr("position 4")) << c;
  }
  EXPECT_THAT(ValidateCreditCode("91350100m000100Y43").message(), HasSubstr("upper case"));
  EXPECT_THAT(ValidateCreditCode("91350100M000100Y4\xE4").message(), HasSubstr("'\\xE4'"));

  s = ValidateCreditCode("91350100M000100Y44");
  EXPECT_THAT(s.message(), HasSubstr("check character should be 3"));

  EXPECT_FALSE(CreditCodeCheckChar("9135010").ok());
  EXPECT_THAT(CreditCodeCheckChar("9135010OM000100Y4").error().message(), HasSubstr("position 8"));
}

// ---- Industry codes (GB/T 4754-2017) ---------------------------------------------------------

std::string Normalized(std::string_view code) {
  Result<std::string> r = NormalizeIndustryCode(code);
  return r.ok() ? *r : "error: " + r.error().message();
}

TEST(IndustryCodeTest, AcceptedForms) {
  EXPECT_EQ(Normalized("C"), "C");
  EXPECT_EQ(Normalized("C36"), "C36");
  EXPECT_EQ(Normalized("36"), "C36");
  EXPECT_EQ(Normalized("361"), "C361");
  EXPECT_EQ(Normalized("3610"), "C3610");
  EXPECT_EQ(Normalized("C3610"), "C3610");
  EXPECT_EQ(Normalized("c3610"), "C3610");
  EXPECT_EQ(Normalized(" C3610 "), "C3610");
  EXPECT_EQ(Normalized("01"), "A01");
  EXPECT_EQ(Normalized("0111"), "A0111");
  EXPECT_EQ(Normalized("4411"), "D4411");
  EXPECT_EQ(Normalized("70"), "K70");
  EXPECT_EQ(Normalized("83"), "P83");
  EXPECT_EQ(Normalized("T97"), "T97");
}

TEST(IndustryCodeTest, EveryDivisionHasItsSection) {
  struct Range {
    char section;
    int first, last;
  } ranges[] = {{'A', 1, 5},   {'B', 6, 12},  {'C', 13, 43}, {'D', 44, 46}, {'E', 47, 50},
                {'F', 51, 52}, {'G', 53, 60}, {'H', 61, 62}, {'I', 63, 65}, {'J', 66, 69},
                {'K', 70, 70}, {'L', 71, 72}, {'M', 73, 75}, {'N', 76, 79}, {'O', 80, 82},
                {'P', 83, 83}, {'Q', 84, 85}, {'R', 86, 90}, {'S', 91, 96}, {'T', 97, 97}};
  int divisions = 0;
  for (const Range& r : ranges) {
    EXPECT_EQ(Normalized(std::string(1, r.section)), std::string(1, r.section));
    for (int d = r.first; d <= r.last; ++d, ++divisions) {
      char digits[3];
      std::snprintf(digits, sizeof digits, "%02d", d);
      const std::string want = std::string(1, r.section) + digits;
      EXPECT_EQ(Normalized(digits), want);
      EXPECT_EQ(Normalized(want), want);
      // Any other section letter is rejected, naming the right one.
      const char other = r.section == 'A' ? 'B' : 'A';
      EXPECT_THAT(Normalized(std::string(1, other) + digits),
                  HasSubstr("belongs to section " + std::string(1, r.section)));
    }
  }
  EXPECT_EQ(divisions, 97);
  for (const char* missing : {"00", "98", "99", "0012", "9800"}) {
    EXPECT_THAT(Normalized(missing), HasSubstr("does not exist")) << missing;
  }
}

TEST(IndustryCodeTest, Errors) {
  Result<std::string> r = NormalizeIndustryCode("B36");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "industry code B36: division 36 belongs to section C");
  EXPECT_THAT(Normalized("U12"), HasSubstr("section U does not exist"));
  EXPECT_THAT(Normalized("Z"), HasSubstr("section Z does not exist"));
  EXPECT_THAT(Normalized("3"), HasSubstr("2 to 4 digits"));
  EXPECT_THAT(Normalized("C3"), HasSubstr("2 to 4 digits"));
  EXPECT_THAT(Normalized("C36101"), HasSubstr("2 to 4 digits"));
  EXPECT_THAT(Normalized("C3X"), HasSubstr("industry code C3X"));
  EXPECT_THAT(Normalized("C-36"), HasSubstr("industry code"));
  EXPECT_THAT(Normalized("汽车"), HasSubstr("industry code"));
  EXPECT_THAT(Normalized(""), HasSubstr("empty"));
  EXPECT_THAT(Normalized("  "), HasSubstr("empty"));
}

TEST(IndustryCodeTest, DivisionNames) {
  IndustryName n = IndustryDivisionName("C36");
  EXPECT_EQ(n.zh, "汽车制造业");
  EXPECT_EQ(n.en, "Manufacture of automobiles");
  EXPECT_EQ(IndustryDivisionName("C3610").zh, "汽车制造业");
  EXPECT_EQ(IndustryDivisionName("D44").zh, "电力、热力生产和供应业");
  EXPECT_EQ(IndustryDivisionName("C26").zh, "化学原料和化学制品制造业");
  EXPECT_EQ(IndustryDivisionName("C31").zh, "黑色金属冶炼和压延加工业");
  EXPECT_EQ(IndustryDivisionName("C30").zh, "非金属矿物制品业");
  EXPECT_EQ(IndustryDivisionName("C39").zh, "计算机、通信和其他电子设备制造业");
  EXPECT_EQ(IndustryDivisionName("I65").zh, "软件和信息技术服务业");
  EXPECT_EQ(IndustryDivisionName("A01").zh, "农业");
  EXPECT_EQ(IndustryDivisionName("T97").zh, "国际组织");
  EXPECT_EQ(IndustryDivisionName("T97").en, "International organisations");
  // No division, or an inconsistent code: no name.
  EXPECT_TRUE(IndustryDivisionName("C").zh.empty());
  EXPECT_TRUE(IndustryDivisionName("B36").zh.empty());
  EXPECT_TRUE(IndustryDivisionName("98").zh.empty());
  EXPECT_TRUE(IndustryDivisionName("").en.empty());
  // Every division has a distinct name in both languages.
  std::set<std::string_view> zh, en;
  for (int d = 1; d <= 97; ++d) {
    const std::string code = NormalizeIndustryCode(std::to_string(100 + d).substr(1)).value();
    IndustryName name = IndustryDivisionName(code);
    EXPECT_FALSE(name.zh.empty()) << code;
    EXPECT_FALSE(name.en.empty()) << code;
    zh.insert(name.zh);
    en.insert(name.en);
  }
  EXPECT_EQ(zh.size(), 97u);
  EXPECT_EQ(en.size(), 97u);
}

// ---- Enums, codes, formulas ------------------------------------------------------------------

TEST(MeterEnumTest, NamesRoundTrip) {
  for (MeterKind k : {MeterKind::kInterval, MeterKind::kCumulative, MeterKind::kVirtual}) {
    EXPECT_EQ(ParseMeterKind(MeterKindName(k)).value(), k);
  }
  for (MeterFlow f : {MeterFlow::kConsumption, MeterFlow::kGeneration}) {
    EXPECT_EQ(ParseMeterFlow(MeterFlowName(f)).value(), f);
  }
  EXPECT_EQ(MeterKindName(MeterKind::kCumulative), "cumulative");
  EXPECT_EQ(MeterFlowName(MeterFlow::kGeneration), "generation");
  EXPECT_EQ(ParseMeterKind("Cumulative").value(), MeterKind::kCumulative);
  EXPECT_THAT(ParseMeterKind("counter").error().message(),
              HasSubstr("known: interval, cumulative, virtual"));
  EXPECT_THAT(ParseMeterFlow("export").error().message(),
              HasSubstr("known: consumption, generation"));
  EXPECT_FALSE(ParseMeterKind("").ok());
}

TEST(CodeTest, IsValidCode) {
  EXPECT_TRUE(IsValidCode("M1"));
  EXPECT_TRUE(IsValidCode("b12.main_in-1"));
  EXPECT_TRUE(IsValidCode(std::string(64, 'x')));
  EXPECT_FALSE(IsValidCode(std::string(65, 'x')));
  EXPECT_FALSE(IsValidCode(""));
  EXPECT_FALSE(IsValidCode("M 1"));
  EXPECT_FALSE(IsValidCode("M/1"));
  EXPECT_FALSE(IsValidCode("电表1"));
  EXPECT_FALSE(IsValidCode("M1\n"));
}

TEST(FormulaTest, Forms) {
  const std::vector<FormulaTerm> want = {{1, "M1"}, {1, "M2"}, {-1, "M3"}};
  EXPECT_EQ(ParseFormula("+M1+M2 -M3").value(), want);
  EXPECT_EQ(ParseFormula("M1+M2 -M3").value(), want);
  EXPECT_EQ(ParseFormula("M1 + M2 - M3").value(), want);
  EXPECT_EQ(ParseFormula("  + M1 +M2 -  M3  ").value(), want);
  // '-' inside a term belongs to the meter code; a minus between terms follows white space.
  EXPECT_EQ(ParseFormula("A-MAIN - A-SUB").value(),
            (std::vector<FormulaTerm>{{1, "A-MAIN"}, {-1, "A-SUB"}}));
  EXPECT_EQ(ParseFormula("+M1+M2-M3").value(), (std::vector<FormulaTerm>{{1, "M1"}, {1, "M2-M3"}}));
  EXPECT_EQ(ParseFormula("-b1.main").value(), (std::vector<FormulaTerm>{{-1, "b1.main"}}));
  EXPECT_EQ(ParseFormula("pv_1").value(), (std::vector<FormulaTerm>{{1, "pv_1"}}));
}

TEST(FormulaTest, Errors) {
  EXPECT_THAT(ParseFormula("").error().message(), HasSubstr("empty"));
  EXPECT_THAT(ParseFormula("   ").error().message(), HasSubstr("empty"));
  EXPECT_THAT(ParseFormula("M1++M2").error().message(),
              HasSubstr("empty term after '+' at position 3"));
  EXPECT_THAT(ParseFormula("M1+").error().message(), HasSubstr("empty term after '+'"));
  EXPECT_THAT(ParseFormula("-").error().message(), HasSubstr("empty term after '-'"));
  EXPECT_THAT(ParseFormula("M1 - + M2").error().message(), HasSubstr("empty term after '-'"));
  EXPECT_THAT(ParseFormula("M1 M2").error().message(),
              HasSubstr("expected '+' or '-' at position 4"));
  EXPECT_THAT(ParseFormula("M1*M2").error().message(), HasSubstr("expected '+' or '-'"));
  EXPECT_THAT(ParseFormula("*M1").error().message(), HasSubstr("character '*' at position 1"));
  EXPECT_THAT(ParseFormula("M1+电表").error().message(), HasSubstr("not allowed"));
  EXPECT_THAT(ParseFormula("M1+M2 -M1").error().message(), HasSubstr("M1 appears twice"));
  EXPECT_THAT(ParseFormula("+" + std::string(65, 'm')).error().message(),
              HasSubstr("longer than 64"));
  EXPECT_EQ(ParseFormula("M1,M2").error().code(), StatusCode::kInvalidArgument);
}

// ---- Record validation -----------------------------------------------------------------------

TEST(ValidateParkTest, Fields) {
  Park p;
  p.name = "沈阳经济技术开发区";
  EXPECT_TRUE(ValidatePark(p).ok()) << ValidatePark(p).message();
  p.time_zone = "+08:00";
  EXPECT_TRUE(ValidatePark(p).ok());
  Park bad = p;
  bad.name.clear();
  EXPECT_THAT(ValidatePark(bad).message(), StartsWith("name: "));
  bad = p;
  bad.time_zone = "Asia/Atlantis";
  EXPECT_THAT(ValidatePark(bad).message(), StartsWith("time_zone: unknown time zone"));
  bad = p;
  bad.time_zone = "";
  EXPECT_THAT(ValidatePark(bad).message(), StartsWith("time_zone: "));
  bad = p;
  bad.raw_retention_days = -1;
  EXPECT_THAT(ValidatePark(bad).message(), StartsWith("raw_retention_days: "));
  bad.raw_retention_days = 400;
  EXPECT_TRUE(ValidatePark(bad).ok());
}

TEST(ValidateZoneTest, Fields) {
  Zone z{.code = "Z01", .name = "第一网格"};
  EXPECT_TRUE(ValidateZone(z).ok());
  z.code = "Z 01";
  EXPECT_THAT(ValidateZone(z).message(), StartsWith("code: 'Z 01' is not a valid code"));
  z.code = "";
  EXPECT_THAT(ValidateZone(z).message(), StartsWith("code: must not be empty"));
  z.code = "Z01";
  z.name = "";
  EXPECT_THAT(ValidateZone(z).message(), StartsWith("name: "));
}

Enterprise GoodEnterprise() {
  return Enterprise{.code = "91350100M000100Y43",
                    .name = "示例汽车零部件有限公司",
                    .industry_code = "C3670",
                    .land_area_mu = 120.5,
                    .zone_code = "Z01",
                    .key_energy_user = true};
}

TEST(ValidateEnterpriseTest, Fields) {
  EXPECT_TRUE(ValidateEnterprise(GoodEnterprise()).ok());
  Enterprise e = GoodEnterprise();
  e.zone_code.clear();
  e.land_area_mu = 0;
  EXPECT_TRUE(ValidateEnterprise(e).ok());

  auto message = [](void (*mutate)(Enterprise*)) {
    Enterprise x = GoodEnterprise();
    mutate(&x);
    return ValidateEnterprise(x).message();
  };
  EXPECT_THAT(message([](Enterprise* x) { x->code = "91350100M000100Y44"; }),
              StartsWith("code: credit code '91350100M000100Y44': check character should be 3"));
  EXPECT_THAT(message([](Enterprise* x) { x->code = "91350100m000100y43"; }), StartsWith("code: "));
  EXPECT_THAT(message([](Enterprise* x) { x->name.clear(); }), StartsWith("name: "));
  EXPECT_THAT(message([](Enterprise* x) { x->industry_code.clear(); }),
              StartsWith("industry_code: must not be empty"));
  EXPECT_THAT(message([](Enterprise* x) { x->industry_code = "3670"; }),
              StartsWith("industry_code: '3670' is not normalised (C3670)"));
  EXPECT_THAT(message([](Enterprise* x) { x->industry_code = "B36"; }),
              StartsWith("industry_code: industry code B36: division 36 belongs to section C"));
  EXPECT_THAT(message([](Enterprise* x) { x->land_area_mu = -1; }), StartsWith("land_area_mu: "));
  EXPECT_THAT(message([](Enterprise* x) { x->land_area_mu = std::nan(""); }),
              StartsWith("land_area_mu: "));
  EXPECT_THAT(
      message([](Enterprise* x) { x->land_area_mu = std::numeric_limits<double>::infinity(); }),
      StartsWith("land_area_mu: "));
  EXPECT_THAT(message([](Enterprise* x) { x->zone_code = "Z/1"; }), StartsWith("zone_code: "));
}

TEST(NormalizeEnterpriseTest, UpperCasesAndNormalizes) {
  Enterprise e = GoodEnterprise();
  e.code = " 91350100m000100y43\t";
  e.industry_code = "3670";
  ASSERT_TRUE(NormalizeEnterprise(&e).ok());
  EXPECT_EQ(e.code, "91350100M000100Y43");
  EXPECT_EQ(e.industry_code, "C3670");
  EXPECT_TRUE(ValidateEnterprise(e).ok());

  e.industry_code = "B36";
  Status s = NormalizeEnterprise(&e);
  EXPECT_THAT(s.message(), StartsWith("industry_code: industry code B36"));
  e.industry_code = "";
  EXPECT_TRUE(NormalizeEnterprise(&e).ok());
  EXPECT_THAT(ValidateEnterprise(e).message(), StartsWith("industry_code: "));
}

Meter GoodMeter() {
  Meter m;
  m.code = "M1";
  m.name = "总进线";
  m.enterprise_code = "91350100M000100Y43";
  return m;
}

std::string MeterError(void (*mutate)(Meter*)) {
  Meter m = GoodMeter();
  mutate(&m);
  Status s = ValidateMeter(m);
  return s.ok() ? "OK" : s.message();
}

TEST(ValidateMeterTest, GoodMeters) {
  EXPECT_EQ(MeterError([](Meter*) {}), "OK");
  EXPECT_EQ(MeterError([](Meter* m) { m->enterprise_code.clear(); }), "OK");
  EXPECT_EQ(MeterError([](Meter* m) {
              m->carrier = units::Carrier::kNaturalGas;
              m->unit = "Nm3";
            }),
            "OK");
  EXPECT_EQ(MeterError([](Meter* m) {
              m->carrier = units::Carrier::kHeat;
              m->unit = "MWh";
            }),
            "OK");
  EXPECT_EQ(MeterError([](Meter* m) {
              m->kind = MeterKind::kCumulative;
              m->register_digits = 15;
              m->multiplier = 0.5;
              m->interval_s = 31 * 86400;
            }),
            "OK");
  EXPECT_EQ(MeterError([](Meter* m) {
              m->kind = MeterKind::kVirtual;
              m->formula = "+M2+M3-M4";
              m->flow = MeterFlow::kGeneration;
              m->parent_code = "M0";
              m->interval_s = 1;
            }),
            "OK");
}

TEST(ValidateMeterTest, EachFieldNamesItself) {
  EXPECT_THAT(MeterError([](Meter* m) { m->code = "M 1"; }), StartsWith("code: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->enterprise_code = "E1"; }),
              StartsWith("enterprise_code: credit code 'E1' has 2 characters"));
  EXPECT_THAT(MeterError([](Meter* m) { m->carrier = static_cast<units::Carrier>(99); }),
              StartsWith("carrier: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->unit = "kW"; }), StartsWith("unit: unknown unit 'kW'"));
  EXPECT_THAT(MeterError([](Meter* m) { m->unit = "m3"; }),
              StartsWith("unit: unit m3 does not fit carrier electricity"));
  EXPECT_THAT(MeterError([](Meter* m) { m->kind = static_cast<MeterKind>(7); }),
              StartsWith("kind: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->flow = static_cast<MeterFlow>(7); }),
              StartsWith("flow: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->interval_s = 0; }), StartsWith("interval_s: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->interval_s = -900; }), StartsWith("interval_s: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->interval_s = 31 * 86400 + 1; }),
              StartsWith("interval_s: "));
  EXPECT_THAT(MeterError([](Meter* m) {
                m->kind = MeterKind::kCumulative;
                m->register_digits = 16;
              }),
              StartsWith("register_digits: must be 0 to 15"));
  EXPECT_THAT(MeterError([](Meter* m) {
                m->kind = MeterKind::kCumulative;
                m->register_digits = -1;
              }),
              StartsWith("register_digits: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->register_digits = 6; }),
              StartsWith("register_digits: only cumulative meters have a register"));
  EXPECT_THAT(MeterError([](Meter* m) { m->multiplier = 0; }), StartsWith("multiplier: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->multiplier = -2; }), StartsWith("multiplier: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->multiplier = std::nan(""); }),
              StartsWith("multiplier: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->multiplier = std::numeric_limits<double>::infinity(); }),
              StartsWith("multiplier: "));
  EXPECT_THAT(MeterError([](Meter* m) { m->kind = MeterKind::kVirtual; }),
              StartsWith("formula: a virtual meter needs a formula"));
  EXPECT_THAT(MeterError([](Meter* m) {
                m->kind = MeterKind::kVirtual;
                m->formula = "M2++M3";
              }),
              StartsWith("formula: formula 'M2++M3': empty term"));
  EXPECT_THAT(MeterError([](Meter* m) {
                m->kind = MeterKind::kVirtual;
                m->formula = "M2 - M1";
              }),
              StartsWith("formula: refers to the meter itself"));
  EXPECT_THAT(MeterError([](Meter* m) { m->formula = "+M2"; }),
              StartsWith("formula: only virtual meters have a formula"));
  EXPECT_THAT(MeterError([](Meter* m) { m->parent_code = "M1"; }),
              StartsWith("parent_code: a meter cannot be its own parent"));
  EXPECT_THAT(MeterError([](Meter* m) { m->parent_code = "M 0"; }), StartsWith("parent_code: "));
}

}  // namespace
}  // namespace zp::model

namespace zp::model {
namespace {

TEST(SuspectZeroRunTest, ConsumptionGenerationAndReactive) {
  Meter m;
  EXPECT_EQ(SuspectZeroRunSeconds(m), 3 * 3600);
  m.flow = MeterFlow::kGeneration;
  EXPECT_EQ(SuspectZeroRunSeconds(m), 86400 - 900);
  m.flow = MeterFlow::kConsumption;
  m.carrier = units::Carrier::kReactiveElectricity;
  m.interval_s = 3600;
  EXPECT_EQ(SuspectZeroRunSeconds(m), 86400 - 3600);
}

}  // namespace
}  // namespace zp::model
