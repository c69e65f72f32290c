#pragma once

// Energy carriers and the units their meters report in. Every carrier has one canonical unit in
// which rollups are kept (electricity kWh, natural gas m3, heat GJ, ...); a meter's own unit must
// have the same dimension as its carrier's canonical unit. Tables are static and thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "zp/base/result.h"

namespace zp::units {

enum class Dimension : uint8_t { kEnergy, kVolume, kMass, kReactiveEnergy };

struct Unit {
  std::string_view symbol;  // canonical spelling, e.g. "kWh", "m3", "GJ", "t"
  Dimension dimension;
  double to_base;  // factor to the dimension's base unit (kWh, m3, t, kvarh)
};

// Units are compared case-insensitively and accept common aliases ("kwh", "Nm3", "m³", "tonne").
// Energy base: kWh. Volume base: m3. Mass base: t. Reactive energy base: kvarh.
Result<const Unit*> FindUnit(std::string_view symbol);
// Factor that converts a value in `from` to `to`; error if the dimensions differ.
Result<double> ConversionFactor(const Unit& from, const Unit& to);

enum class Carrier : uint8_t {
  kElectricity,
  kNaturalGas,
  kHeat,
  kSteam,
  kWater,
  kRawCoal,
  kDiesel,
  kGasoline,
  kLpg,
  kFuelOil,
  kCoke,
  kReactiveElectricity,
};

struct CarrierInfo {
  Carrier carrier;
  std::string_view code;            // "electricity", "natural_gas", ...
  std::string_view name_zh;         // "电力"
  std::string_view name_en;         // "Electricity"
  std::string_view canonical_unit;  // unit of rollups
};

std::span<const CarrierInfo> AllCarriers();
const CarrierInfo& GetCarrierInfo(Carrier c);
Result<Carrier> ParseCarrier(std::string_view code);
// OK when `unit` can measure `carrier` (same dimension as its canonical unit).
Status CheckUnitFitsCarrier(const Unit& unit, Carrier carrier);

}  // namespace zp::units
