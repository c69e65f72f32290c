#pragma once

// Pollution sources (污染源): the stacks (排气筒) and wastewater outfalls (废水排放口) of the
// park's enterprises, each with its data logger (MN + password), monitored pollutants, fuel,
// reference oxygen and emission limits: GB 13271-2014 (new / in-use / special limits by fuel) for
// boiler stacks, plus local or permit overrides with effective dates. Stored as JSON in the setting
// "env/sources". 污染源登记: 排口、数采仪 MN/密码、监测因子、燃料、基准氧含量、排放限值及地方覆盖。
//
// Source JSON (SourcesFromJson / SourcesToJson, keys sorted, sources by code; unknown fields
// refused; "optional" fields take the value shown):
//   {"sources": [{
//     "code": "E001.DA001",        // [A-Za-z0-9._-], 1-64 chars, unique
//     "name": "1号锅炉排气筒",      // optional, ""
//     "enterprise": "9132...",     // enterprise code (must exist)
//     "kind": "stack",             // stack | outfall
//     "mn": "010000A8900016F000169DC0",  // 1..24 chars [0-9A-Za-z], unique among sources
//     "password": "123456",        // on input: the logger's PW (1..32 printable ASCII, no ';' '='
//                                  // '&' ','); never written back out (SourcesToJson writes
//                                  // "password_sha256" only when with_secrets)
//     "password_sha256": "hex",    // alternative to password (export/import round trip)
//     "fuel": "coal",              // stacks: coal | oil | gas (biomass, coal-water slurry,
//                                  // petroleum coke follow coal per GB 13271 scope); outfalls: ""
//     "boiler_class": "in_use",    // stacks: new | in_use | special (GB 13271 Table 2/1/3), or
//                                  // "none" for a stack that is not a boiler (limits only from
//                                  // overrides)
//     "reference_o2_pct": 9,       // optional; default from fuel per GB 13271 (coal 9, oil and
//                                  // gas 3.5); 0 = no oxygen correction; outfalls: 0
//     "realtime_interval_s": 30,   // optional, 30..3600 (HJ 212 RtdInterval)
//     "minute_interval_s": 60,     // optional, one of 60,120,...,1800 (MinInterval 1..30 min)
//     "data_loss_after_s": 0,      // optional; 0 = max(600, 3 x realtime_interval_s)
//     "pollutants": ["a34013", "a21026", "a21002", "a19001", "a00000"],  // HJ 212 codes
//                                  // (zp/hj212/pollutants.h), of the source's medium
//     "limits": [{                 // optional overrides, e.g. a local standard or permit
//        "pollutant": "a21026", "value": 35, "unit": "mg/m3",
//        "from": "2025-01-01", "to": "",   // local dates, "to" exclusive, "" open
//        "basis": "DB37/2374-2018 表2"}]}]} // the document; required
//
// Limit in force for (source, pollutant, local day): the override whose period holds the day
// (the latest "from" wins when several do), else GB 13271-2014 for boiler stacks (PM a34013,
// SO2 a21026, NOx a21002, Hg; by boiler_class and fuel), else none. Concentration limits of
// flue gas apply to the O2-corrected value (GB 13271-2014 §5.2: reference O2 9 % coal,
// 3.5 % oil and gas).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/hj212/pollutants.h"
#include "zp/model/registry.h"

namespace zp::environment {

inline constexpr std::string_view kSettingSources = "env/sources";

enum class SourceKind : uint8_t { kStack, kOutfall };
enum class Fuel : uint8_t { kNone, kCoal, kOil, kGas };
enum class BoilerClass : uint8_t { kNone, kNew, kInUse, kSpecial };

std::string_view SourceKindName(SourceKind k);    // "stack", "outfall"
std::string_view FuelName(Fuel f);                // "", "coal", "oil", "gas"
std::string_view BoilerClassName(BoilerClass c);  // "none", "new", "in_use", "special"

struct LimitOverride {
  std::string pollutant;
  double value = 0;
  std::string unit;
  int32_t from_day = INT32_MIN;  // local day index, inclusive; INT32_MIN = open
  int32_t to_day = INT32_MAX;    // exclusive; INT32_MAX = open
  std::string basis;
  bool operator==(const LimitOverride&) const = default;
};

struct Source {
  std::string code;
  std::string name;
  std::string enterprise_code;
  SourceKind kind = SourceKind::kStack;
  std::string mn;
  std::string password_sha256;  // auth::HashSecret(password)
  Fuel fuel = Fuel::kNone;
  BoilerClass boiler_class = BoilerClass::kNone;
  double reference_o2_pct = 0;
  int32_t realtime_interval_s = 30;
  int32_t minute_interval_s = 60;
  int32_t data_loss_after_s = 0;
  std::vector<std::string> pollutants;
  std::vector<LimitOverride> limits;

  hj212::Medium medium() const {
    return kind == SourceKind::kStack ? hj212::Medium::kFlueGas : hj212::Medium::kWastewater;
  }
  int32_t DataLossAfter() const;  // data_loss_after_s, or its default
  bool operator==(const Source&) const = default;
};

struct SourceRegistry {
  std::vector<Source> sources;
  bool operator==(const SourceRegistry&) const = default;
};

// Parses and validates field by field (errors name the source and field, English / 中文).
// A source given with "password" gets password_sha256 = auth::HashSecret(password). A source
// with neither password nor password_sha256 keeps the hash of the same code in `previous` (so an
// edited registry need not repeat passwords); error when there is none.
Result<SourceRegistry> SourcesFromJson(std::string_view json, const SourceRegistry* previous);
std::string SourcesToJson(const SourceRegistry& registry, bool with_secrets);

// Cross-checks against the park registry: enterprises exist, codes and MNs unique, pollutants
// known and of the source's medium, fuel/boiler_class/reference O2 consistent with the kind.
Status ValidateSources(const SourceRegistry& registry,
                       const std::vector<model::Enterprise>& enterprises);

// GB 13271-2014 (or other) limit that applies.
struct Limit {
  double value = 0;  // mg/m3 for flue gas (O2-corrected), the pollutant's unit otherwise
  std::string unit;
  std::string basis;  // e.g. "GB 13271-2014 表2 新建锅炉 燃煤 / Table 2 new boilers, coal"
  bool corrected = false;  // applies to the O2-corrected concentration
};
std::optional<Limit> LimitInForce(const Source& source, std::string_view pollutant,
                                  int32_t local_day);

// The GB 13271-2014 value for a pollutant, boiler class and fuel (nullopt when the standard sets
// none), with its basis text. Source: shared/reference/standards.md §8.2.
std::optional<Limit> Gb13271Limit(std::string_view pollutant, BoilerClass boiler_class, Fuel fuel);

// GB 13271-2014 reference oxygen: coal 9 %, oil and gas 3.5 %; 0 for kNone.
double Gb13271ReferenceO2(Fuel fuel);

// True when values of `pollutant` at this source are O2-corrected: a flue-gas concentration
// (mg/m3) of a stack whose reference_o2_pct > 0 (Limit::corrected of LimitInForce).
bool CorrectedConcentration(const Source& source, std::string_view pollutant);

// A unit as written in JSON: "mg/m³" -> "mg/m3", "m³/s" -> "m3/s"; others unchanged.
std::string JsonUnit(std::string_view unit);

}  // namespace zp::environment
