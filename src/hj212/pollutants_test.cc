#include "zp/hj212/pollutants.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace zp::hj212 {
namespace {

TEST(PollutantCodesTest, EveryRowIsWellFormedAndSourced) {
  std::set<std::string_view> codes, old_codes;
  for (const PollutantCode& p : PollutantCodes()) {
    SCOPED_TRACE(std::string(p.code));
    ASSERT_EQ(p.code.size(), 6u);
    EXPECT_EQ(p.code[0], p.medium == Medium::kFlueGas ? 'a' : 'w');
    for (size_t i = 1; i < 6; ++i) EXPECT_TRUE(p.code[i] >= '0' && p.code[i] <= '9');
    EXPECT_TRUE(codes.insert(p.code).second) << "duplicate code";
    if (!p.code_2005.empty()) {
      EXPECT_TRUE(old_codes.insert(p.code_2005).second);
    }
    EXPECT_FALSE(p.name_zh.empty());
    EXPECT_FALSE(p.name_en.empty());
    EXPECT_NE(p.source.find("standards.md §8.1"), std::string_view::npos);
    EXPECT_EQ(FindPollutant(p.code), &p);
    if (!p.code_2005.empty()) {
      EXPECT_EQ(FindPollutantBy2005Code(p.code_2005), &p);
    }
  }
  EXPECT_EQ(codes.size(), 19u);
}

TEST(PollutantCodesTest, FlueGasAndWastewaterRows) {
  const PollutantCode* so2 = FindPollutant("a21026");
  ASSERT_NE(so2, nullptr);
  EXPECT_EQ(so2->code_2005, "02");
  EXPECT_EQ(so2->name_zh, "二氧化硫");
  EXPECT_EQ(so2->unit, "mg/m³");
  EXPECT_EQ(so2->amount_unit, "kg");
  EXPECT_EQ(so2->Decimals(), 2);
  EXPECT_EQ(FindPollutant("a21002")->code_2005, "03");
  EXPECT_EQ(FindPollutant("a34013")->Decimals(), 0);  // "N4"
  EXPECT_EQ(FindPollutant("a00000")->unit, "m³/s");
  EXPECT_EQ(FindPollutant("a19001")->code_2005, "S01");
  EXPECT_EQ(FindPollutant("a01012")->Decimals(), -1);  // type not given
  const PollutantCode* cod = FindPollutantBy2005Code("011");
  ASSERT_NE(cod, nullptr);
  EXPECT_EQ(cod->code, "w01018");
  EXPECT_EQ(cod->unit, "mg/L");
  EXPECT_EQ(FindPollutantBy2005Code("060")->code, "w21003");
  EXPECT_EQ(FindPollutantBy2005Code("B01")->code, "w00000");
  EXPECT_EQ(FindPollutant("w01001")->unit, "");  // pH
  EXPECT_EQ(FindPollutant("w21011")->Decimals(), 2);
  EXPECT_EQ(FindPollutant("x00000"), nullptr);
  EXPECT_EQ(FindPollutantBy2005Code(""), nullptr);
}

TEST(PollutantCodesTest, NamesNotInStandardsMdAreMarkedSecondary) {
  // standards.md gives these names in English only; the Chinese name comes from a code list.
  for (const char* code : {"a01011", "a19001", "a21003", "a21005", "w01001"}) {
    EXPECT_NE(FindPollutant(code)->source.find("[SECONDARY]"), std::string_view::npos) << code;
  }
  EXPECT_EQ(FindPollutant("w01018")->source.find("[SECONDARY]"), std::string_view::npos);
}

}  // namespace
}  // namespace zp::hj212
