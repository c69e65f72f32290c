#pragma once

// Carbon accounting on top of the energy accounts (GB/T 32150 / GB/T 32151 method):
// - Scope 1, fuel combustion: consumption x net calorific value x carbon content per unit heat x
//   oxidation rate x 44/12, with the fuel parameters of the guideline the park chose;
// - Scope 1, process emissions: entered per enterprise (enterprise data "process_co2"; a yearly
//   value is spread evenly over its twelve months so months add up to the year);
// - Scope 2, purchased electricity and heat: location-based (the grid average factor of the
//   park's province, else its regional grid, else national, for the year) and market-based
//   (traceable green electricity from the GreenPowerSource counts zero; the rest of the grid
//   purchase at the national factor excluding market-traded non-fossil power, so the same green
//   MWh is never counted twice); heat and steam at the purchased-heat factor in both.
// The park's core indicator is tCO2 per tce of comprehensive energy consumption.
//
// Like the energy accounts, CarbonAccounts is a pure function of its inputs, immutable after
// Compute, and keeps every factor row it used.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/energy/energy.h"
#include "zp/refdata/refdata.h"
#include "zp/units/units.h"

namespace zp::carbon {

enum class Scope2Method : uint8_t { kLocation = 0, kMarket = 1 };
inline constexpr std::array<Scope2Method, 2> kScope2Methods = {Scope2Method::kLocation,
                                                               Scope2Method::kMarket};
std::string_view Scope2MethodName(Scope2Method m);  // "location", "market"

// Which grid factor location-based Scope 2 uses.
enum class GridScope : uint8_t { kProvince, kRegion, kNational };
Result<GridScope> ParseGridScope(std::string_view s);  // "province", "region", "national"
std::string_view GridScopeName(GridScope s);

// Where the accounts take traceable green electricity from (setting "carbon/green_source").
// kManual: the hand-entered green_direct_kwh enterprise data (energy::MakeManualGreenSupply).
// kHourly: the hourly allocation of metered generation (zp::green: the park's stored supply
// registry, or the default one built from the meter registry when none is stored; green::Allocate,
// green::HourlyGreenSupply); hand-entered green_direct_kwh rows are then ignored
// so that no MWh is counted green twice. 绿电来源：手工录入或逐时匹配（二者不叠加）。
enum class GreenSource : uint8_t { kManual, kHourly };
Result<GreenSource> ParseGreenSource(std::string_view s);  // "manual", "hourly"
std::string_view GreenSourceName(GreenSource s);

struct Options {
  GridScope grid_scope = GridScope::kProvince;
  // Fuel parameter dataset (guideline) tried in order for each fuel.
  std::vector<std::string> fuel_datasets = {"GB/T 32151.34-2024", "NDRC-2015-other"};
  // Fuel code of each fuel carrier in the fuel table (park setting "carbon/fuel/<carrier>").
  std::map<units::Carrier, std::string> fuel_of = {{units::Carrier::kNaturalGas, "natural_gas"},
                                                   {units::Carrier::kRawCoal, "bituminous"},
                                                   {units::Carrier::kDiesel, "diesel"},
                                                   {units::Carrier::kGasoline, "gasoline"},
                                                   {units::Carrier::kLpg, "lpg"},
                                                   {units::Carrier::kFuelOil, "fuel_oil"},
                                                   {units::Carrier::kCoke, "coke"}};
  // Green electricity source used by AccountingService (CarbonAccounts::Compute takes the energy
  // accounts as given and does not read it).
  GreenSource green_source = GreenSource::kManual;
};

// Park settings that configure Options: "carbon/grid_scope", "carbon/fuel_datasets" (comma
// separated), "carbon/fuel/<carrier code>", "carbon/green_source".
inline constexpr std::string_view kSettingGridScope = "carbon/grid_scope";
inline constexpr std::string_view kSettingFuelDatasets = "carbon/fuel_datasets";
inline constexpr std::string_view kSettingFuelPrefix = "carbon/fuel/";
inline constexpr std::string_view kSettingGreenSource = "carbon/green_source";

// The emission factor of a carrier in one month.
struct EmissionFactor {
  double tco2_per_unit = 0;  // per the carrier's canonical unit
  // Rows used: fuel -> ncv, carbon_content, oxidation; electricity -> grid factor; heat -> heat
  // factor; steam -> heat factor and heat content.
  std::vector<const refdata::FactorRow*> rows;
  std::string formula;  // e.g. "0.038931 GJ/m3 x 0.0153 tC/GJ x 0.99 x 44/12"
};

class CarbonAccounts {
 public:
  // Error when a factor needed by a non-zero amount is missing (naming carrier, kind, month).
  static Result<std::shared_ptr<const CarbonAccounts>> Compute(
      std::shared_ptr<const energy::Accounts> energy, const Options& options = {});

  const energy::Accounts& energy() const { return *energy_; }
  const Options& options() const { return options_; }

  // tCO2 per entity, month index and carrier.
  double Scope1(int32_t entity, int32_t month, units::Carrier c) const;
  double Process(int32_t entity, int32_t month) const;  // tCO2 entered as process emissions
  double Scope2(int32_t entity, int32_t month, units::Carrier c, Scope2Method m) const;
  // Scope 1 fuel + process + Scope 2.
  double Total(int32_t entity, int32_t month, Scope2Method m) const;

  // Factors for (month, carrier): Scope 1 fuel factor, or Scope 2 factor by method. nullptr when
  // the carrier needed none that month.
  const EmissionFactor* Scope1Factor(int32_t month, units::Carrier c) const;
  const EmissionFactor* Scope2Factor(int32_t month, units::Carrier c, Scope2Method m) const;
  // The process-emission records behind an entity's month (yearly values contribute 1/12).
  std::vector<model::EnterpriseDatum> ProcessRecords(int32_t entity, int32_t month) const;

 private:
  CarbonAccounts() = default;
  size_t Cell(int32_t entity, int32_t month, units::Carrier c) const;

  std::shared_ptr<const energy::Accounts> energy_;
  Options options_;
  std::vector<double> scope1_;                                // entities x months x carriers
  std::vector<double> scope2_[2];                             // by Scope2Method
  std::vector<double> process_;                               // entities x months
  std::vector<std::optional<EmissionFactor>> s1_factors_;     // months x carriers
  std::vector<std::optional<EmissionFactor>> s2_factors_[2];  // months x carriers
};

struct CarbonRow {
  std::string group;
  std::string name;
  std::string period;
  int32_t month = 0;
  double scope1_fuel = 0;
  double scope1_process = 0;
  std::array<double, 2> scope2{};  // by Scope2Method
  std::array<double, 2> total{};   // by Scope2Method
  std::array<double, 2> tce{};     // by energy::Method
  // tCO2 / tce: [scope2 method][energy method]; empty when tce is 0.
  std::array<std::array<std::optional<double>, 2>, 2> tco2_per_tce;
  std::optional<double> added_value_10k_cny;
  std::array<std::optional<double>, 2> tco2_per_10k_cny;  // by Scope2Method
  std::array<std::optional<double>, 2> yoy;               // total, by Scope2Method
  double green_kwh = 0;
};

// Groups as energy::EnergyReport; Group::kCarrier gives one row per carrier plus a "process" row.
Result<std::vector<CarbonRow>> CarbonReport(const CarbonAccounts& a, const energy::ReportQuery& q);

struct CarbonFactorUse {
  int32_t month = 0;
  units::Carrier carrier = units::Carrier::kElectricity;
  std::string scope;  // "scope1", "scope2_location", "scope2_market"
  double amount = 0;  // canonical unit (market: grid part after green electricity)
  double tco2 = 0;
  double tco2_per_unit = 0;
  std::string formula;
  std::vector<refdata::FactorRow> rows;
};
struct CarbonDerivation {
  energy::Derivation energy;
  std::vector<CarbonFactorUse> factors;
  std::vector<model::EnterpriseDatum> process;  // process-emission records used
  std::vector<energy::GreenSupply> green;       // green supply records of the entity
  double scope1_fuel = 0, scope1_process = 0;
  std::array<double, 2> scope2{}, total{};
};
Result<CarbonDerivation> ExplainCarbon(const CarbonAccounts& a, std::string_view entity,
                                       int32_t from_month, int32_t to_month,
                                       std::optional<units::Carrier> carrier);

}  // namespace zp::carbon
