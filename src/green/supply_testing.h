#pragma once

// Test helper: a tiny park for the supply tests (3 enterprises; rooftop PV, storage, park PV,
// geothermal heat, a wind farm outside the park), with hourly readings for 2025-01-01..03 local
// time whose values are given by the functions below, so that tests can compute expectations
// independently. Meters are hourly interval meters (a value covers [ts, ts + 1 h)).

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/time.h"
#include "zp/engine/engine.h"
#include "zp/model/registry.h"

namespace zp::green::testpark {

inline constexpr int32_t kSmallDays = 3;

// A valid unified social credit code numbered i.
inline std::string CreditCode(int i) {
  std::string first17 = fmt::format("9121011200000{:04d}", i);
  Result<char> check = model::CreditCodeCheckChar(first17);
  return first17 + (check.ok() ? *check : '0');
}
inline std::string E(int i) { return CreditCode(i); }

// Hourly kWh of each meter at local hour of day `hod` (the same every day).
inline double E1LoadKwh(int hod) { return hod >= 18 ? 15 : 5; }
inline double ChargeKwh(int hod) { return hod >= 10 && hod <= 13 ? 5 : (hod == 8 ? 3 : 0); }
inline double MeterKwh(const std::string& meter, int hod) {
  const bool sun = hod >= 9 && hod <= 15;
  if (meter == "E1.MAIN") return E1LoadKwh(hod) + ChargeKwh(hod);  // the charge is a sub-meter
  if (meter == "E1.PV") return sun ? 8 : 0;
  if (meter == "E1.PV2") return sun ? 4 : 0;
  if (meter == "E1.BESS.IN") return ChargeKwh(hod);
  if (meter == "E1.BESS.OUT") return hod >= 18 && hod <= 21 ? 5.5 : 0;
  if (meter == "E2.MAIN") return hod >= 8 && hod <= 19 ? 400 : 100;
  if (meter == "E3.MAIN") return 4;
  if (meter == "PARK.PV") return sun ? 6 : 0;
  if (meter == "WIND.FAR.M") return 3;
  if (meter == "PARK.GEO") return 1;  // GJ
  return 0;
}

inline Status BuildSmallPark(engine::Engine& engine, bool readings) {
  for (int i = 1; i <= 3; ++i) {
    model::Enterprise e;
    e.code = E(i);
    e.name = fmt::format("企业 {}", i);
    e.industry_code = "C3670";
    Result<model::Enterprise> r = engine.PutEnterprise(e, true);
    if (!r.ok()) return r.error();
  }
  struct M {
    const char* code;
    int ent;  // 0 = park
    units::Carrier carrier;
    model::MeterFlow flow;
    const char* parent;
  };
  const std::vector<M> meters = {
      {"E1.MAIN", 1, units::Carrier::kElectricity, model::MeterFlow::kConsumption, ""},
      {"E1.PV", 1, units::Carrier::kElectricity, model::MeterFlow::kGeneration, ""},
      {"E1.PV2", 1, units::Carrier::kElectricity, model::MeterFlow::kGeneration, ""},
      {"E1.BESS.IN", 1, units::Carrier::kElectricity, model::MeterFlow::kConsumption, "E1.MAIN"},
      {"E1.BESS.OUT", 1, units::Carrier::kElectricity, model::MeterFlow::kGeneration, ""},
      {"E2.MAIN", 2, units::Carrier::kElectricity, model::MeterFlow::kConsumption, ""},
      {"E3.MAIN", 3, units::Carrier::kElectricity, model::MeterFlow::kConsumption, ""},
      {"PARK.PV", 0, units::Carrier::kElectricity, model::MeterFlow::kGeneration, ""},
      {"WIND.FAR.M", 0, units::Carrier::kElectricity, model::MeterFlow::kGeneration, ""},
      {"PARK.GEO", 0, units::Carrier::kHeat, model::MeterFlow::kGeneration, ""},
  };
  for (const M& x : meters) {
    model::Meter m;
    m.code = x.code;
    m.name = x.code;
    m.enterprise_code = x.ent == 0 ? "" : E(x.ent);
    m.carrier = x.carrier;
    m.unit = x.carrier == units::Carrier::kHeat ? "GJ" : "kWh";
    m.flow = x.flow;
    m.interval_s = 3600;
    m.parent_code = x.parent;
    Result<model::Meter> r = engine.PutMeter(m, true);
    if (!r.ok()) return r.error();
  }
  if (!readings) return Status::OK();
  const TimeZone tz = engine.zone();
  const int64_t t0 = tz.DayStart(DaysFromCivil(2025, 1, 1));
  std::vector<engine::ReadingIn> rs;
  for (const M& x : meters) {
    const engine::MeterRef* ref = engine.meter_index()->Find(x.code);
    if (ref == nullptr) return NotFoundError(x.code);
    for (int h = 0; h < 24 * kSmallDays; ++h) {
      rs.push_back(engine::ReadingIn{ref->id, t0 + h * 3600, MeterKwh(x.code, h % 24)});
    }
  }
  Result<engine::WriteStats> w = engine.Write(rs, "supply test");
  if (!w.ok()) return w.error();
  return engine.Flush();
}

// The full supply of the tiny park as JSON (every kind of asset and contract).
inline std::string SmallSupplyJson() {
  return fmt::format(R"({{
  "assets": [
    {{"code": "PV.E1", "name": "1号屋顶光伏", "technology": "rooftop_pv", "site": "{e1}",
     "meter": "E1.PV", "capacity_kw": 10}},
    {{"code": "PV2.E1", "technology": "ground_pv", "site": "{e1}", "meter": "E1.PV2"}},
    {{"code": "BESS.E1", "name": "储能", "technology": "storage", "site": "{e1}",
     "meter": "E1.BESS.OUT", "charge_meter": "E1.BESS.IN", "capacity_kw": 20}},
    {{"code": "PV.PARK", "technology": "rooftop_pv", "meter": "PARK.PV"}},
    {{"code": "GEO", "name": "地热", "technology": "geothermal_heat", "meter": "PARK.GEO"}},
    {{"code": "WIND.FAR", "technology": "wind", "external": true, "meter": "WIND.FAR.M"}},
    {{"code": "WIND.GT", "technology": "wind", "external": true}}
  ],
  "contracts": [
    {{"code": "SS.E1", "kind": "same_site", "assets": ["PV.E1", "PV2.E1", "BESS.E1"],
     "buyers": ["{e1}"]}},
    {{"code": "DS.WIND", "kind": "direct_supply", "priority": 1, "assets": ["WIND.FAR"],
     "buyers": ["{e3}"]}},
    {{"code": "DS.PV", "kind": "direct_supply", "priority": 0, "assets": ["PV.PARK"],
     "buyers": ["{e3}"]}},
    {{"code": "GT.FLAT", "kind": "green_trading", "assets": ["WIND.GT"], "buyers": ["{e2}"],
     "valid_from": "2025-01-01", "valid_to": "2026-01-01", "profile": "flat",
     "volumes": [{{"month": "2025-01", "kwh": 100000}}]}},
    {{"code": "GEC.B", "kind": "gec", "buyers": ["{e2}"], "bundled_with": "GT.FLAT",
     "gec": [{{"month": "2025-01", "buyer": "{e2}", "certificates": 5}}]}},
    {{"code": "GEC.U", "kind": "gec", "buyers": ["{e2}", "{e3}"],
     "gec": [{{"month": "2025-01", "buyer": "{e2}", "certificates": 2}},
             {{"month": "2024-12", "buyer": "{e3}", "certificates": 7}}]}}
  ]
}})",
                     fmt::arg("e1", E(1)), fmt::arg("e2", E(2)), fmt::arg("e3", E(3)));
}

}  // namespace zp::green::testpark
