#include "zp/units/units.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace zp::units {
namespace {

using ::testing::HasSubstr;

const Unit& U(std::string_view symbol) {
  Result<const Unit*> u = FindUnit(symbol);
  EXPECT_TRUE(u.ok()) << symbol << ": " << u.error().ToString();
  static const Unit kNone{"?", Dimension::kEnergy, 0};
  return u.ok() ? **u : kNone;
}

double Factor(std::string_view from, std::string_view to) {
  Result<double> f = ConversionFactor(U(from), U(to));
  EXPECT_TRUE(f.ok()) << from << " -> " << to;
  return f.value_or(0);
}

TEST(UnitTest, FindCanonicalAndAliases) {
  EXPECT_EQ(U("kWh").symbol, "kWh");
  EXPECT_EQ(U("KWH").symbol, "kWh");
  EXPECT_EQ(U("kwh").symbol, "kWh");
  EXPECT_EQ(U("Nm3").symbol, "m3");
  EXPECT_EQ(U("m³").symbol, "m3");
  EXPECT_EQ(U("M³").symbol, "m3");
  EXPECT_EQ(U("tonne").symbol, "t");
  EXPECT_EQ(U("T").symbol, "t");
  EXPECT_EQ(U("kvarh").dimension, Dimension::kReactiveEnergy);
  EXPECT_EQ(U("GJ").dimension, Dimension::kEnergy);
  EXPECT_EQ(U("L").dimension, Dimension::kVolume);
  EXPECT_EQ(U("kg").dimension, Dimension::kMass);
}

TEST(UnitTest, UnknownUnitListsKnownOnes) {
  for (const char* bad : {"", "kW", "kwh ", "tce", "m2", "BTU"}) {
    Result<const Unit*> u = FindUnit(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(u.error().message(), HasSubstr("unknown unit '" + std::string(bad) + "'"));
    EXPECT_THAT(u.error().message(), HasSubstr("kWh"));
    EXPECT_THAT(u.error().message(), HasSubstr("GJ"));
  }
}

TEST(UnitTest, ConversionTable) {
  EXPECT_DOUBLE_EQ(Factor("MWh", "kWh"), 1000.0);
  EXPECT_DOUBLE_EQ(Factor("kWh", "MWh"), 0.001);
  EXPECT_DOUBLE_EQ(Factor("GWh", "MWh"), 1000.0);
  EXPECT_DOUBLE_EQ(Factor("Wh", "kWh"), 0.001);
  EXPECT_DOUBLE_EQ(Factor("GJ", "kWh"), 1e9 / 3.6e6);  // 277.777...
  EXPECT_NEAR(Factor("GJ", "kWh"), 277.7777777777778, 1e-12);
  EXPECT_DOUBLE_EQ(Factor("kWh", "GJ"), 0.0036);
  EXPECT_DOUBLE_EQ(Factor("kWh", "MJ"), 3.6);
  EXPECT_DOUBLE_EQ(Factor("MJ", "GJ"), 0.001);
  EXPECT_DOUBLE_EQ(Factor("MWh", "GJ"), 3.6);
  EXPECT_DOUBLE_EQ(Factor("L", "m3"), 0.001);
  EXPECT_DOUBLE_EQ(Factor("kL", "m3"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("Nm3", "m3"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("kg", "t"), 0.001);
  EXPECT_DOUBLE_EQ(Factor("t", "kg"), 1000.0);
  EXPECT_DOUBLE_EQ(Factor("varh", "kvarh"), 0.001);
  EXPECT_DOUBLE_EQ(Factor("Mvarh", "kvarh"), 1000.0);
  EXPECT_DOUBLE_EQ(Factor("kWh", "kWh"), 1.0);
}

TEST(UnitTest, ConversionAcrossDimensionsFails) {
  for (auto [from, to] : {std::pair{"kWh", "m3"}, {"t", "GJ"}, {"kvarh", "kWh"}, {"L", "kg"}}) {
    Result<double> f = ConversionFactor(U(from), U(to));
    ASSERT_FALSE(f.ok()) << from << " -> " << to;
    EXPECT_EQ(f.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(f.error().message(), HasSubstr("cannot be converted"));
  }
}

TEST(CarrierTest, TableIsConsistent) {
  std::set<std::string_view> codes;
  for (const CarrierInfo& info : AllCarriers()) {
    EXPECT_TRUE(codes.insert(info.code).second) << "duplicate " << info.code;
    EXPECT_FALSE(info.name_zh.empty());
    EXPECT_FALSE(info.name_en.empty());
    EXPECT_EQ(&GetCarrierInfo(info.carrier), &info);
    Result<Carrier> parsed = ParseCarrier(info.code);
    ASSERT_TRUE(parsed.ok()) << info.code;
    EXPECT_EQ(*parsed, info.carrier);
    // The canonical unit exists and fits its own carrier.
    Result<const Unit*> canonical = FindUnit(info.canonical_unit);
    ASSERT_TRUE(canonical.ok()) << info.canonical_unit;
    EXPECT_EQ((*canonical)->symbol, info.canonical_unit);
    EXPECT_TRUE(CheckUnitFitsCarrier(**canonical, info.carrier).ok()) << info.code;
  }
  EXPECT_EQ(codes.size(), 12u);
  EXPECT_EQ(GetCarrierInfo(Carrier::kElectricity).canonical_unit, "kWh");
  EXPECT_EQ(GetCarrierInfo(Carrier::kElectricity).name_zh, "电力");
  EXPECT_EQ(GetCarrierInfo(Carrier::kNaturalGas).canonical_unit, "m3");
  EXPECT_EQ(GetCarrierInfo(Carrier::kHeat).canonical_unit, "GJ");
  EXPECT_EQ(GetCarrierInfo(Carrier::kSteam).canonical_unit, "t");
  EXPECT_EQ(GetCarrierInfo(Carrier::kReactiveElectricity).canonical_unit, "kvarh");
}

TEST(CarrierTest, ParseIsCaseInsensitive) {
  EXPECT_EQ(ParseCarrier("Electricity").value(), Carrier::kElectricity);
  EXPECT_EQ(ParseCarrier("NATURAL_GAS").value(), Carrier::kNaturalGas);
  EXPECT_EQ(ParseCarrier("raw_coal").value(), Carrier::kRawCoal);
}

TEST(CarrierTest, ParseErrorListsKnownCodes) {
  Result<Carrier> c = ParseCarrier("gas");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(c.error().message(), HasSubstr("unknown carrier 'gas'"));
  for (const CarrierInfo& info : AllCarriers()) {
    EXPECT_THAT(c.error().message(), HasSubstr(std::string(info.code)));
  }
  EXPECT_FALSE(ParseCarrier("").ok());
  EXPECT_FALSE(ParseCarrier("electricity ").ok());
}

TEST(CarrierTest, UnitFitsCarrier) {
  EXPECT_TRUE(CheckUnitFitsCarrier(U("kWh"), Carrier::kElectricity).ok());
  EXPECT_TRUE(CheckUnitFitsCarrier(U("MWh"), Carrier::kElectricity).ok());
  EXPECT_TRUE(CheckUnitFitsCarrier(U("MWh"), Carrier::kHeat).ok());  // heat is energy too
  EXPECT_TRUE(CheckUnitFitsCarrier(U("Nm3"), Carrier::kNaturalGas).ok());
  EXPECT_TRUE(CheckUnitFitsCarrier(U("L"), Carrier::kWater).ok());
  EXPECT_TRUE(CheckUnitFitsCarrier(U("kg"), Carrier::kSteam).ok());
  EXPECT_TRUE(CheckUnitFitsCarrier(U("t"), Carrier::kRawCoal).ok());
  EXPECT_TRUE(CheckUnitFitsCarrier(U("varh"), Carrier::kReactiveElectricity).ok());

  Status s = CheckUnitFitsCarrier(U("m3"), Carrier::kElectricity);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("m3"));
  EXPECT_THAT(s.message(), HasSubstr("electricity"));
  EXPECT_THAT(s.message(), HasSubstr("kWh"));
  EXPECT_FALSE(CheckUnitFitsCarrier(U("kvarh"), Carrier::kElectricity).ok());
  EXPECT_FALSE(CheckUnitFitsCarrier(U("kWh"), Carrier::kReactiveElectricity).ok());
  EXPECT_FALSE(CheckUnitFitsCarrier(U("GJ"), Carrier::kSteam).ok());
  EXPECT_FALSE(CheckUnitFitsCarrier(U("t"), Carrier::kNaturalGas).ok());
}

}  // namespace
}  // namespace zp::units
