#include "zp/units/units.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace zp::units {
namespace {

struct UnitAlias {
  std::string_view alias;  // lower case
  Unit unit;
};

// 1 GJ = 1e9 J / 3.6e6 J/kWh = 277.777... kWh.
constexpr double kKwhPerGj = 1e9 / 3.6e6;

constexpr UnitAlias kUnits[] = {
    {"wh", {"Wh", Dimension::kEnergy, 1e-3}},
    {"kwh", {"kWh", Dimension::kEnergy, 1.0}},
    {"mwh", {"MWh", Dimension::kEnergy, 1e3}},
    {"gwh", {"GWh", Dimension::kEnergy, 1e6}},
    {"mj", {"MJ", Dimension::kEnergy, kKwhPerGj / 1e3}},
    {"gj", {"GJ", Dimension::kEnergy, kKwhPerGj}},
    {"m3", {"m3", Dimension::kVolume, 1.0}},
    {"m³", {"m3", Dimension::kVolume, 1.0}},
    {"nm3", {"m3", Dimension::kVolume, 1.0}},
    {"l", {"L", Dimension::kVolume, 1e-3}},
    {"kl", {"kL", Dimension::kVolume, 1.0}},
    {"t", {"t", Dimension::kMass, 1.0}},
    {"tonne", {"t", Dimension::kMass, 1.0}},
    {"kg", {"kg", Dimension::kMass, 1e-3}},
    {"varh", {"varh", Dimension::kReactiveEnergy, 1e-3}},
    {"kvarh", {"kvarh", Dimension::kReactiveEnergy, 1.0}},
    {"mvarh", {"Mvarh", Dimension::kReactiveEnergy, 1e3}},
};

constexpr CarrierInfo kCarriers[] = {
    {Carrier::kElectricity, "electricity", "电力", "Electricity", "kWh"},
    {Carrier::kNaturalGas, "natural_gas", "天然气", "Natural gas", "m3"},
    {Carrier::kHeat, "heat", "热力", "Heat", "GJ"},
    {Carrier::kSteam, "steam", "蒸汽", "Steam", "t"},
    {Carrier::kWater, "water", "水", "Water", "m3"},
    {Carrier::kRawCoal, "raw_coal", "原煤", "Raw coal", "t"},
    {Carrier::kDiesel, "diesel", "柴油", "Diesel", "t"},
    {Carrier::kGasoline, "gasoline", "汽油", "Gasoline", "t"},
    {Carrier::kLpg, "lpg", "液化石油气", "LPG", "t"},
    {Carrier::kFuelOil, "fuel_oil", "燃料油", "Fuel oil", "t"},
    {Carrier::kCoke, "coke", "焦炭", "Coke", "t"},
    {Carrier::kReactiveElectricity, "reactive_electricity", "无功电量", "Reactive energy", "kvarh"},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<const Unit*> FindUnit(std::string_view symbol) {
  const std::string key = Lower(symbol);
  for (const UnitAlias& u : kUnits) {
    if (u.alias == key) return &u.unit;
  }
  return InvalidArgumentError("unknown unit '" + std::string(symbol) +
                              "' (known: Wh, kWh, MWh, GWh, MJ, GJ, m3, Nm3, L, kL, t, kg, "
                              "varh, kvarh, Mvarh)");
}

Result<double> ConversionFactor(const Unit& from, const Unit& to) {
  if (from.dimension != to.dimension) {
    return InvalidArgumentError("unit " + std::string(from.symbol) + " cannot be converted to " +
                                std::string(to.symbol));
  }
  return from.to_base / to.to_base;
}

std::span<const CarrierInfo> AllCarriers() { return kCarriers; }

const CarrierInfo& GetCarrierInfo(Carrier c) {
  for (const CarrierInfo& i : kCarriers) {
    if (i.carrier == c) return i;
  }
  return kCarriers[0];
}

Result<Carrier> ParseCarrier(std::string_view code) {
  const std::string key = Lower(code);
  for (const CarrierInfo& i : kCarriers) {
    if (i.code == key) return i.carrier;
  }
  std::string known;
  for (const CarrierInfo& i : kCarriers) {
    if (!known.empty()) known += ", ";
    known += i.code;
  }
  return InvalidArgumentError("unknown carrier '" + std::string(code) + "' (known: " + known + ")");
}

Status CheckUnitFitsCarrier(const Unit& unit, Carrier carrier) {
  const CarrierInfo& info = GetCarrierInfo(carrier);
  Result<const Unit*> canonical = FindUnit(info.canonical_unit);
  if (!canonical.ok()) return canonical.error();
  if ((*canonical)->dimension != unit.dimension) {
    return InvalidArgumentError("unit " + std::string(unit.symbol) + " does not fit carrier " +
                                std::string(info.code) + " (measured in " +
                                std::string(info.canonical_unit) + ")");
  }
  return Status::OK();
}

}  // namespace zp::units
