// The supply registry's JSON form (round trip, canonical order, errors naming the record and
// field) and its storage in the "green/supply" setting of a SQLite-backed engine.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "supply_testing.h"
#include "zp/engine/engine.h"
#include "zp/engine/testing.h"
#include "zp/green/supply.h"

namespace zp::green {
namespace {

using nlohmann::json;
using testpark::E;

Supply Parse(const std::string& text) {
  Result<Supply> s = SupplyFromJson(text);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : Supply{};
}

TEST(SupplyJson, ParsesEveryField) {
  const Supply s = Parse(testpark::SmallSupplyJson());
  ASSERT_EQ(s.assets.size(), 7u);
  ASSERT_EQ(s.contracts.size(), 6u);
  const GenerationAsset& pv = s.assets[0];
  EXPECT_EQ(pv.code, "PV.E1");
  EXPECT_EQ(pv.name, "1号屋顶光伏");
  EXPECT_EQ(pv.technology, Technology::kRooftopPv);
  EXPECT_EQ(pv.site_enterprise, E(1));
  EXPECT_EQ(pv.meter_code, "E1.PV");
  ASSERT_TRUE(pv.capacity_kw.has_value());
  EXPECT_EQ(*pv.capacity_kw, 10);
  EXPECT_FALSE(pv.external);
  const GenerationAsset& bess = s.assets[2];
  EXPECT_EQ(bess.technology, Technology::kStorage);
  EXPECT_EQ(bess.meter_code, "E1.BESS.OUT");
  EXPECT_EQ(bess.charge_meter_code, "E1.BESS.IN");
  EXPECT_FALSE(s.assets[1].capacity_kw.has_value());
  EXPECT_TRUE(s.assets[6].external);
  EXPECT_EQ(s.assets[6].meter_code, "");

  const Contract& ds = s.contracts[1];
  EXPECT_EQ(ds.kind, ContractKind::kDirectSupply);
  EXPECT_EQ(ds.priority, 1);
  EXPECT_FALSE(ds.valid_from_day.has_value());
  const Contract& gt = s.contracts[3];
  EXPECT_EQ(gt.kind, ContractKind::kGreenTrading);
  EXPECT_EQ(gt.profile, Profile::kFlat);
  ASSERT_TRUE(gt.valid_from_day && gt.valid_to_day);
  EXPECT_EQ(*gt.valid_from_day, DaysFromCivil(2025, 1, 1));
  EXPECT_EQ(*gt.valid_to_day, DaysFromCivil(2026, 1, 1));
  EXPECT_TRUE(gt.ValidOn(DaysFromCivil(2025, 12, 31)));
  EXPECT_FALSE(gt.ValidOn(DaysFromCivil(2026, 1, 1)));
  EXPECT_FALSE(gt.ValidOn(DaysFromCivil(2024, 12, 31)));
  ASSERT_EQ(gt.volumes.size(), 1u);
  EXPECT_EQ(gt.volumes[0], (MonthVolume{MonthIndex(2025, 1), 100'000'000}));
  const Contract& gec = s.contracts[4];
  EXPECT_EQ(gec.kind, ContractKind::kGec);
  EXPECT_EQ(gec.bundled_with, "GT.FLAT");
  ASSERT_EQ(gec.gec.size(), 1u);
  EXPECT_EQ(gec.gec[0], (GecHolding{MonthIndex(2025, 1), E(2), 5}));
  EXPECT_TRUE(s.contracts[5].bundled_with.empty());
}

TEST(SupplyJson, RoundTripIsCanonicalAndStable) {
  const Supply s = Parse(testpark::SmallSupplyJson());
  const std::string once = SupplyToJson(s);
  const Supply back = Parse(once);
  EXPECT_EQ(SupplyToJson(back), once);
  // Order of records and of list entries does not change the canonical form.
  Supply shuffled = s;
  std::reverse(shuffled.assets.begin(), shuffled.assets.end());
  std::reverse(shuffled.contracts.begin(), shuffled.contracts.end());
  std::reverse(shuffled.contracts[0].assets.begin(), shuffled.contracts[0].assets.end());
  EXPECT_EQ(SupplyToJson(shuffled), once);
  // Sorted keys and records; optional fields only where they mean something.
  const json j = json::parse(once);
  ASSERT_EQ(j["assets"].size(), 7u);
  EXPECT_EQ(j["assets"][0]["code"], "BESS.E1");
  EXPECT_EQ(j["assets"][0]["charge_meter"], "E1.BESS.IN");
  EXPECT_EQ(j["assets"][0]["capacity_kw"], 20.0);
  EXPECT_FALSE(j["assets"][1].contains("charge_meter")) << j["assets"][1];
  EXPECT_EQ(j["contracts"][0]["code"], "DS.PV");
  EXPECT_EQ(j["contracts"][0]["valid_from"], "");
  EXPECT_FALSE(j["contracts"][0].contains("profile"));
  EXPECT_FALSE(j["contracts"][0].contains("gec"));
  const json& gt = j["contracts"][4];
  EXPECT_EQ(gt["code"], "GT.FLAT");
  EXPECT_EQ(gt["profile"], "flat");
  EXPECT_EQ(gt["valid_to"], "2026-01-01");
  EXPECT_EQ(gt["volumes"], json::parse(R"([{"kwh":100000,"month":"2025-01"}])"));
  const json& gu = j["contracts"][3];
  EXPECT_EQ(gu["code"], "GEC.U");
  EXPECT_EQ(gu["bundled_with"], "");
  EXPECT_EQ(gu["gec"][0]["month"], "2024-12");  // sorted by (month, buyer)
  // Fractional kWh survive in Wh.
  Supply frac = s;
  frac.contracts[3].volumes[0].wh = 1'234'567;
  const Supply frac_back = Parse(SupplyToJson(frac));
  ASSERT_EQ(frac_back.contracts.size(), 6u);
  ASSERT_EQ(frac_back.contracts[4].code, "GT.FLAT");  // sorted by code
  ASSERT_EQ(frac_back.contracts[4].volumes.size(), 1u);
  EXPECT_EQ(frac_back.contracts[4].volumes[0].wh, 1'234'567);
  // A top-level "stored" (as GET /api/v1/green/supply returns it) is ignored.
  json with_stored = j;
  with_stored["stored"] = true;
  EXPECT_EQ(SupplyToJson(Parse(with_stored.dump())), once);
  // Empty registry.
  EXPECT_EQ(SupplyToJson(Parse("{}")), R"({"assets":[],"contracts":[]})");
}

TEST(SupplyJson, ErrorsNameTheRecordAndField) {
  const json base = json::parse(testpark::SmallSupplyJson());
  auto expect = [&](std::function<void(json&)> edit, const std::string& part) {
    json j = base;
    edit(j);
    Result<Supply> s = SupplyFromJson(j.dump());
    ASSERT_FALSE(s.ok()) << "expected an error containing: " << part;
    EXPECT_NE(s.status().ToString().find(part), std::string::npos) << s.status().ToString();
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  };
  auto asset = [](json& j, const std::string& code) -> json& {
    for (json& a : j["assets"]) {
      if (a["code"] == code) return a;
    }
    return j["assets"][0];
  };
  auto contract = [](json& j, const std::string& code) -> json& {
    for (json& c : j["contracts"]) {
      if (c["code"] == code) return c;
    }
    return j["contracts"][0];
  };
  {
    Result<Supply> s = SupplyFromJson("{\"assets\": [");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().ToString().find("not valid JSON"), std::string::npos);
    EXPECT_FALSE(SupplyFromJson("[]").ok());
  }
  expect([](json& j) { j["extra"] = 1; }, "supply registry: field 'extra' is unknown");
  expect([&](json& j) { asset(j, "PV.E1")["colour"] = "red"; },
         "asset PV.E1: field 'colour' is unknown / 资产 PV.E1：字段 colour 未知");
  expect([&](json& j) { asset(j, "PV.E1").erase("code"); }, "assets[0]: field 'code' is missing");
  expect([&](json& j) { asset(j, "PV.E1")["technology"] = "coal"; },
         "asset PV.E1: field 'technology' 'coal' is not one of");
  expect([&](json& j) { asset(j, "PV.E1")["external"] = "no"; },
         "asset PV.E1: field 'external' must be true or false");
  expect([&](json& j) { asset(j, "PV.E1")["capacity_kw"] = -5; },
         "asset PV.E1: capacity_kw must be a number > 0");
  expect([&](json& j) { contract(j, "SS.E1")["priority"] = 1.5; },
         "contract SS.E1: field 'priority' must be an integer");
  expect([&](json& j) { contract(j, "SS.E1")["priority"] = -1; },
         "contract SS.E1: field 'priority' must be an integer from 0");
  expect([&](json& j) { contract(j, "SS.E1")["kind"] = "grid"; },
         "contract SS.E1: field 'kind' 'grid' is not one of");
  expect([&](json& j) { contract(j, "GT.FLAT")["valid_from"] = "2025-13-01"; },
         "contract GT.FLAT: field 'valid_from' '2025-13-01' is not a date YYYY-MM-DD");
  expect([&](json& j) { contract(j, "GT.FLAT")["valid_to"] = "2024-06-01"; },
         "contract GT.FLAT: valid_to 2024-06-01 must be after valid_from 2025-01-01");
  expect([&](json& j) { contract(j, "GT.FLAT")["volumes"][0]["month"] = "2025-1"; },
         "contract GT.FLAT volume: field 'month' '2025-1' is not a month YYYY-MM");
  expect([&](json& j) { contract(j, "GT.FLAT")["volumes"][0]["kwh"] = -1; },
         "contract GT.FLAT volume 2025-01: field 'kwh' must be a number from 0");
  expect([&](json& j) { contract(j, "GT.FLAT")["volumes"][0]["month"] = "2026-02"; },
         "contract GT.FLAT: volume month 2026-02 is outside the contract's validity / 合同 "
         "GT.FLAT：月度电量 2026-02 不在合同有效期内");
  expect(
      [&](json& j) {
        contract(j, "GT.FLAT")["volumes"].push_back({{"month", "2025-01"}, {"kwh", 1}});
      },
      "contract GT.FLAT: volume month 2025-01 listed twice");
  expect([&](json& j) { contract(j, "GT.FLAT").erase("volumes"); },
         "contract GT.FLAT: profile flat needs monthly volumes");
  expect([&](json& j) { contract(j, "GT.FLAT")["profile"] = "wavy"; },
         "contract GT.FLAT: field 'profile' 'wavy' is not one of");
  expect(
      [&](json& j) {
        contract(j, "GT.FLAT")["profile"] = "hourly";
        contract(j, "GT.FLAT")["hourly_profile"] = std::vector<double>(23, 1.0);
      },
      "contract GT.FLAT: hourly_profile has 23 weights, needs 24");
  expect([&](json& j) { contract(j, "GT.FLAT")["profile"] = "hourly"; },
         "contract GT.FLAT: hourly_profile goes with profile \"hourly\"");
  expect([&](json& j) { contract(j, "DS.WIND")["volumes"] = contract(j, "GT.FLAT")["volumes"]; },
         "contract DS.WIND: profile and volumes are for green_trading contracts only");
  expect(
      [&](json& j) {
        contract(j, "DS.PV")["assets"] = {"PV.PARK", "WIND.GT"};
      },
      "contract DS.PV: asset WIND.GT has no meter");
  expect(
      [&](json& j) {
        contract(j, "DS.PV")["assets"] = {"PV.PARK", "BESS.E1"};
        contract(j, "SS.E1")["assets"] = {"PV.E1", "PV2.E1"};
      },
      "contract DS.PV: storage asset BESS.E1 can only be in a same_site contract");
  expect(
      [&](json& j) {
        contract(j, "DS.PV")["assets"] = {"PV.PARK", "GEO"};
      },
      "contract DS.PV: asset GEO is geothermal_heat, not a green electricity source");
  expect(
      [&](json& j) {
        contract(j, "DS.PV")["assets"] = {"PV.PARK", "PV.E1"};
      },
      "contract DS.PV: asset PV.E1 already belongs to contract SS.E1");
  expect(
      [&](json& j) {
        contract(j, "GT.FLAT")["assets"] = {"WIND.FAR"};
        contract(j, "DS.WIND")["assets"] = {"WIND.GT"};
      },
      "asset WIND.GT has no meter");
  expect(
      [&](json& j) {
        json kept = json::array();
        for (json& c : j["contracts"]) {
          if (c["code"] != "DS.PV" && c["code"] != "DS.WIND") kept.push_back(c);
        }
        j["contracts"] = kept;
        contract(j, "GT.FLAT")["assets"] = {"PV.PARK"};
      },
      "contract GT.FLAT: profile flat is for external supply; asset PV.PARK is in the park");
  expect(
      [&](json& j) {
        contract(j, "DS.PV")["assets"] = {"WIND.FAR"};
        contract(j, "DS.WIND")["assets"] = {"PV.PARK"};
        contract(j, "GT.FLAT")["assets"] = {"PV.PARK"};
      },
      "already belongs");
  expect([&](json& j) { contract(j, "GEC.B")["assets"] = {"PV.PARK"}; },
         "contract GEC.B: a gec contract has no assets");
  expect([&](json& j) { contract(j, "GEC.B")["bundled_with"] = "SS.E1"; },
         "contract GEC.B: bundled_with SS.E1 is not a green_trading contract");
  expect([&](json& j) { contract(j, "GEC.B")["gec"][0]["buyer"] = E(3); },
         "contract GEC.B: gec buyer " + E(3) + " is not one of the contract's buyers");
  expect(
      [&](json& j) {
        contract(j, "GEC.B")["buyers"] = {E(2), E(3)};
        contract(j, "GEC.B")["gec"][0]["buyer"] = E(3);
      },
      "does not buy from the bundled contract GT.FLAT");
  expect([&](json& j) { contract(j, "GEC.B")["gec"][0]["certificates"] = 2.5; },
         "contract GEC.B gec: field 'certificates' must be an integer");
  expect([&](json& j) { contract(j, "GEC.B")["gec"][0]["certificates"] = -1; },
         "certificates must be 0..1000000000");
  // Above 1e9 a month the Wh sums (x 1e6) could overflow.
  expect(
      [&](json& j) {
        contract(j, "GEC.B")["gec"][0]["certificates"] = int64_t{9'000'000'000'000'000};
      },
      "certificates must be 0..1000000000");
  expect([&](json& j) { contract(j, "GEC.B")["gec"][0]["month"] = "2025- 1"; },
         "'2025- 1' is not a month YYYY-MM");
  expect([&](json& j) { contract(j, "GEC.U")["gec"][1] = contract(j, "GEC.U")["gec"][0]; },
         "contract GEC.U: gec 2025-01 " + E(2) + " listed twice");
  expect([&](json& j) { contract(j, "SS.E1")["bundled_with"] = "GT.FLAT"; },
         "contract SS.E1: gec and bundled_with are for gec contracts only");
  expect([&](json& j) { asset(j, "WIND.FAR")["site"] = E(1); },
         "asset WIND.FAR: an external asset has no site");
  expect([&](json& j) { asset(j, "BESS.E1").erase("charge_meter"); },
         "asset BESS.E1: storage needs a charge meter (field charge_meter)");
  expect([&](json& j) { asset(j, "BESS.E1")["site"] = ""; }, "asset BESS.E1: storage needs a site");
  expect([&](json& j) { asset(j, "PV.E1")["charge_meter"] = "X"; },
         "asset PV.E1: charge_meter is for storage only");
  expect([&](json& j) { asset(j, "PV.E1").erase("meter"); },
         "asset PV.E1: no generation meter (field meter)");
  expect([&](json& j) { asset(j, "PV2.E1")["meter"] = "E1.PV"; },
         "asset PV2.E1: meter E1.PV already measures another asset (PV.E1)");
  expect([&](json& j) { contract(j, "SS.E1")["buyers"] = {E(2)}; },
         "contract SS.E1: same_site asset");
  expect([&](json& j) { contract(j, "SS.E1")["buyers"] = json::array(); },
         "contract SS.E1: no buyers");
}

TEST(SupplyJson, DuplicateGecMonthBuyerIsTheOnlyGecClash) {
  // The "" expectation above matches any error; check directly that a different buyer in an
  // earlier month is fine.
  json j = json::parse(testpark::SmallSupplyJson());
  for (json& c : j["contracts"]) {
    if (c["code"] == "GEC.U") c["gec"][1]["buyer"] = E(2);
  }
  EXPECT_TRUE(SupplyFromJson(j.dump()).ok());
}

// A SQLite-backed engine in a temp dir, reopened between steps.
class SupplyStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "zp-supply-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    url_ = "sqlite:" + dir_ + "/park.zpdb";
    Open();
    ASSERT_TRUE(testpark::BuildSmallPark(*engine_, false).ok());
  }
  void TearDown() override {
    engine_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Open() {
    engine_.reset();
    auto eng = engine::OpenTestEngine(url_);
    ASSERT_TRUE(eng.ok()) << eng.status().ToString();
    engine_ = std::move(*eng);
  }

  std::string dir_, url_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(SupplyStore, LoadFallsBackToTheRegistryThenReadsWhatWasSaved) {
  bool stored = true;
  Result<Supply> loaded = LoadSupply(*engine_, &stored);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_FALSE(stored);
  Result<Supply> def = DefaultSupplyFromRegistry(*engine_);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(SupplyToJson(*loaded), SupplyToJson(*def));
  // The default: every electricity generation meter as rooftop PV (the heat meter is left out).
  EXPECT_EQ(def->assets.size(), 5u);

  const Supply small = Parse(testpark::SmallSupplyJson());
  ASSERT_TRUE(SaveSupply(*engine_, small).ok());
  Open();
  loaded = LoadSupply(*engine_, &stored);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(stored);
  EXPECT_EQ(SupplyToJson(*loaded), SupplyToJson(small));
  auto raw = engine_->GetSetting(kSettingSupply);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_EQ(**raw, SupplyToJson(small));
  EXPECT_TRUE(LoadSupply(*engine_).ok());  // the flag is optional
}

TEST_F(SupplyStore, SaveValidatesAgainstTheRegistry) {
  const Supply small = Parse(testpark::SmallSupplyJson());
  ASSERT_TRUE(SaveSupply(*engine_, small).ok());
  auto refused = [&](Supply s, const std::string& part) {
    const Status st = SaveSupply(*engine_, s);
    ASSERT_FALSE(st.ok()) << part;
    EXPECT_NE(st.ToString().find(part), std::string::npos) << st.ToString();
  };
  Supply s = small;
  s.assets[0].meter_code = "NO.SUCH";
  refused(s, "asset PV.E1: unknown meter NO.SUCH");
  s = small;
  s.assets[0].meter_code = "E1.MAIN";
  refused(s, "asset PV.E1: meter E1.MAIN is not a physical generation meter");
  s = small;
  std::swap(s.assets[3].meter_code, s.assets[4].meter_code);  // PV.PARK <-> GEO
  refused(s, "asset PV.PARK: meter PARK.GEO does not measure electricity");
  s = small;
  s.assets[4].meter_code = "PARK.PV";
  s.assets.erase(s.assets.begin() + 3);        // PV.PARK
  s.contracts.erase(s.contracts.begin() + 2);  // DS.PV
  refused(s, "asset GEO: meter PARK.PV does not measure heat");
  s = small;
  s.assets[2].charge_meter_code = "PARK.GEO";
  s.assets.erase(s.assets.begin() + 4);  // GEO
  refused(s,
          "asset BESS.E1: charge meter PARK.GEO is not a physical electricity consumption meter");
  s = small;
  s.assets[2].charge_meter_code = "E2.MAIN";
  refused(s, "asset BESS.E1: charge meter E2.MAIN belongs to '" + E(2) + "'");
  s = small;
  s.contracts[1].buyers = {"NOPE"};
  refused(s, "contract DS.WIND: unknown buyer NOPE / 合同 DS.WIND：购买方 NOPE 未登记");
  s = small;
  s.assets[3].site_enterprise = "NOPE";
  refused(s, "asset PV.PARK: unknown site enterprise NOPE");
  // Nothing refused was stored.
  Result<Supply> loaded = LoadSupply(*engine_);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(SupplyToJson(*loaded), SupplyToJson(small));

  // A registry change that breaks the stored supply makes LoadSupply fail, naming the asset.
  ASSERT_TRUE(engine_->DeleteMeter("E1.PV2").ok());
  loaded = LoadSupply(*engine_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().ToString().find("asset PV2.E1: unknown meter E1.PV2"),
            std::string::npos)
      << loaded.status().ToString();
  EXPECT_NE(loaded.status().ToString().find("stored supply registry"), std::string::npos);
}

}  // namespace
}  // namespace zp::green
