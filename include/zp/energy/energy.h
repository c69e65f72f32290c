#pragma once

// Energy accounting: comprehensive energy consumption in tonnes of standard coal equivalent (tce)
// per GB/T 2589, by enterprise, industry, zone, carrier and park, by month and year in park local
// time, with both methods for electricity (equivalent value 当量值 and coal-equivalent value
// 等价值); electricity and clean-energy shares; energy per 10,000 CNY of added value; year-on-year
// change.
//
// The engine is a pure function of its Input (registry, monthly rollups per meter, enterprise
// data, green supply) and the reference data, so every figure can be recomputed and explained:
// Accounts keeps, per month and carrier, the factor rows it used, and Explain() lays out the
// derivation readings -> rollup -> factor -> result.
//
// Which meters count (no double counting): consumption meters that are not virtual. An enterprise
// counts its meters whose parent is absent or belongs to another enterprise / the park; the park
// counts meters without a parent. The difference, park - sum of enterprises, is the park's own use
// and network losses, reported as the pseudo-enterprise "PARK" so that parts add up to the whole.
// Generation meters (on-site PV) are not consumption; green electricity counts toward the clean
// share through the GreenPowerSource interface.
//
// Accounts is immutable after Compute and safe to read from many threads.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "zp/base/result.h"
#include "zp/model/economic.h"
#include "zp/model/registry.h"
#include "zp/refdata/refdata.h"
#include "zp/units/units.h"

namespace zp::engine {
class Engine;
}

namespace zp::energy {

enum class Method : uint8_t { kEquivalent = 0, kCoalEquivalent = 1 };
inline constexpr std::array<Method, 2> kMethods = {Method::kEquivalent, Method::kCoalEquivalent};
std::string_view MethodName(Method m);  // "equivalent", "coal_equivalent"
Result<Method> ParseMethod(std::string_view s);

inline constexpr int kCarriers = 12;  // units::Carrier values
inline constexpr std::string_view kParkEntityCode = "PARK";

struct MeterMonthSum {
  double value = 0;  // carrier's canonical unit, multiplier applied
  int64_t readings = 0;
};

// Everything the accounting needs, read once from the engine (or built by hand in tests).
struct Input {
  model::Park park;
  std::vector<model::Zone> zones;
  std::vector<model::Enterprise> enterprises;
  std::vector<model::Meter> meters;
  int32_t from_month = 0;  // month index (months since January 1970), inclusive
  int32_t to_month = 0;    // exclusive
  // meters.size() x months, row-major: sums[meter * months + (month - from_month)].
  std::vector<MeterMonthSum> sums;
  std::vector<model::EnterpriseDatum> data;  // current enterprise data values
  int32_t months() const { return to_month - from_month; }
};

// Reads the registry, the month rollups of every physical meter for [from_month, to_month) and
// the current enterprise data.
Result<Input> LoadInput(engine::Engine& engine, int32_t from_month, int32_t to_month);
// One local day's sums (day index since 1970-01-01, park time) in the slot of its month
// (from_month = the day's month, one month long), so the month's factors apply. No enterprise
// data: a day has no added value, and yearly or monthly process emissions and green supply are
// not split into days.
Result<Input> LoadDayInput(engine::Engine& engine, int32_t day);

// Traceable green electricity delivered to an enterprise in a month (direct supply, green power
// trading, certificates ...). The green-power issue provides a ledger-backed source; until then
// ManualGreenSupply reads the hand-entered "green_direct_kwh" enterprise data.
struct GreenSupply {
  std::string enterprise_code;
  int32_t month = 0;  // month index
  double kwh = 0;
  std::string kind;       // "direct_supply", "green_trading", "gec", ...
  std::string reference;  // contract / certificate reference
  std::string source;     // provenance of the record
};
class GreenPowerSource {
 public:
  virtual ~GreenPowerSource() = default;
  virtual std::string_view name() const = 0;
  virtual Result<std::vector<GreenSupply>> Supplies(const Input& in) const = 0;
};
// Monthly rows of indicator green_direct_kwh (item = contract reference); year rows are refused
// with an error naming them (green power must be attributed to months).
std::unique_ptr<GreenPowerSource> MakeManualGreenSupply();

struct Options {
  // Region codes tried in order for region-specific factors; default from the park: its
  // province, its grid region, then "CN". Filled by DefaultRegions() when empty.
  std::vector<std::string> regions;
};
// The park's region chain: province code (if the park's province is known), the grid region
// (park.grid_region or the province's), "CN".
std::vector<std::string> DefaultRegions(const model::Park& park, const refdata::RefData& ref);

// Per month and carrier: the factor(s) converting the carrier's canonical unit to tce.
struct TceFactor {
  double tce_per_unit = 0;
  const refdata::FactorRow* row = nullptr;  // tce coefficient row
  const refdata::FactorRow* via = nullptr;  // steam: heat-content row (t -> GJ)
};

class Accounts {
 public:
  // Computes amounts (canonical units) and tce by entity, month and carrier. Error when a factor
  // needed by a non-zero amount is missing (naming carrier, method and month), or when the green
  // source fails.
  static Result<std::shared_ptr<const Accounts>> Compute(
      std::shared_ptr<const Input> input, std::shared_ptr<const refdata::RefData> ref,
      const GreenPowerSource* green, const Options& options = {});

  const Input& input() const { return *input_; }
  const refdata::RefData& ref() const { return *ref_; }
  const std::vector<std::string>& regions() const { return regions_; }
  // Entities: enterprises 0..n-1 (Input order), then the park's own use (index n).
  int32_t entities() const { return entities_; }
  int32_t park_entity() const { return entities_ - 1; }
  std::string_view EntityCode(int32_t e) const;

  // Cell accessors; month is a month index within [from_month, to_month).
  double Amount(int32_t entity, int32_t month, units::Carrier c) const;
  int64_t Readings(int32_t entity, int32_t month, units::Carrier c) const;
  double Tce(int32_t entity, int32_t month, units::Carrier c, Method m) const;
  double GreenKwh(int32_t entity, int32_t month) const;           // counted (capped at metered kWh)
  double GreenUnmatchedKwh(int32_t entity, int32_t month) const;  // supplied beyond metered kWh
  // The factor used for (month, carrier, method); row == nullptr when the carrier is not energy
  // or no amount needed it.
  const TceFactor& Factor(int32_t month, units::Carrier c, Method m) const;
  const std::vector<GreenSupply>& green_supplies() const { return green_; }
  std::string_view green_source_name() const { return green_name_; }

  // Meters counted for an entity (indexes into input().meters).
  std::span<const int32_t> MetersOf(int32_t entity) const;
  // Park-level meters (no parent): the park total.
  std::span<const int32_t> ParkMeters() const { return park_meters_; }

 private:
  Accounts() = default;
  size_t Cell(int32_t entity, int32_t month, units::Carrier c) const;

  std::shared_ptr<const Input> input_;
  std::shared_ptr<const refdata::RefData> ref_;
  std::vector<std::string> regions_;
  int32_t entities_ = 0;
  std::vector<double> amount_;  // entities x months x carriers
  std::vector<int64_t> readings_;
  std::vector<double> tce_[2];
  std::vector<double> green_kwh_, green_unmatched_kwh_;  // entities x months
  std::vector<TceFactor> factors_[2];                    // months x carriers
  std::vector<std::vector<int32_t>> meters_of_;
  std::vector<int32_t> park_meters_;
  std::vector<GreenSupply> green_;
  std::string green_name_;
};

// --- reports.

enum class Group : uint8_t { kEnterprise, kIndustry, kZone, kCarrier, kPark };
enum class Period : uint8_t { kMonth, kYear };
std::string_view GroupName(Group g);
Result<Group> ParseGroup(std::string_view s);
std::string_view PeriodName(Period p);
Result<Period> ParsePeriod(std::string_view s);

struct ReportQuery {
  Group group = Group::kEnterprise;
  Period period = Period::kYear;
  int32_t from_month = 0;  // month indexes; must lie within the accounts' range
  int32_t to_month = 0;
  std::vector<std::string> enterprises;  // filters (empty = all)
  std::vector<std::string> zones;
  std::string industry_prefix;
};

// Group keys: enterprise code (and "PARK" for the park's own use), industry division ("C36"),
// zone code ("" for enterprises without a zone, "PARK" for the park's own use), carrier code,
// "park". With filters, PARK rows appear only when no enterprise/zone/industry filter is set.
struct EnergyRow {
  std::string group;
  std::string name;    // enterprise / zone name, industry division name (zh), carrier name (zh)
  std::string period;  // "2025-03" or "2025"
  int32_t month = 0;   // first month index of the period
  // Carrier rows (Group::kCarrier): the carrier's amount in its canonical unit; other rows 0.
  double amount = 0;
  std::string unit;
  std::array<double, 2> tce{};  // by Method
  double electricity_kwh = 0;
  std::array<double, 2> electricity_share{};  // electricity tce / total tce
  double green_kwh = 0;
  std::array<double, 2> clean_share{};             // (natural gas + green electricity) / total
  std::optional<double> added_value_10k_cny;       // when every enterprise of the group has it
  std::array<std::optional<double>, 2> intensity;  // tce per 10,000 CNY added value
  std::array<std::optional<double>, 2> yoy;        // (this - last year) / last year
  int64_t readings = 0;
};

// Report helpers shared with the carbon engine.
// The group key of each entity for a query ("" = filtered out) and each key's display name.
struct Grouping {
  std::vector<std::string> key;
  std::map<std::string, std::string> names;
};
Result<Grouping> GroupEntities(const Accounts& a, const ReportQuery& q);
// Added value (10k CNY) of enterprise e for a month (month 1..12) or a year (month 0: the year
// row, else the twelve month rows when all are present).
class AddedValues {
 public:
  explicit AddedValues(const Accounts& a);
  std::optional<double> Get(int32_t e, int32_t year, int32_t month) const;

 private:
  std::map<std::tuple<int32_t, int32_t, int32_t>, double> values_;
};
// Report periods within [from, to): months, or calendar years (a partial year when the range
// cuts it).
struct ReportPeriod {
  std::string label;  // "2025-03" / "2025"
  int32_t from = 0, to = 0;
  int32_t year = 0, month = 0;  // month 0 for a year
};
std::vector<ReportPeriod> ReportPeriods(Period p, int32_t from_month, int32_t to_month);
// The same period a year earlier, when the accounts hold it whole (for year-on-year figures).
std::optional<ReportPeriod> YearBefore(const Accounts& a, const ReportPeriod& p);
// A group's added value: the sum over its enterprises, known only when every one of them has it.
class AddedValueSum {
 public:
  void Add(std::optional<double> v);
  // The sum when every enterprise added has a value and it is positive; nullopt otherwise.
  std::optional<double> Total() const;

 private:
  double value_ = 0;
  bool missing_ = false;
  bool any_ = false;
};
Status CheckRange(const Accounts& a, int32_t from_month, int32_t to_month);

// Error when the query's months lie outside the accounts or a filter names nothing.
Result<std::vector<EnergyRow>> EnergyReport(const Accounts& a, const ReportQuery& q);

// Derivation of one figure: an entity (enterprise code, "PARK", or "park" for the park total),
// a month range, optionally one carrier.
struct DerivationStep {
  std::string meter;  // meter code
  std::string meter_name;
  units::Carrier carrier = units::Carrier::kElectricity;
  int32_t month = 0;
  double amount = 0;  // canonical unit, from the month rollup
  int64_t readings = 0;
  double sign = 1;  // -1 for the enterprises subtracted from the park total (PARK own use)
};
struct DerivationFactor {
  int32_t month = 0;
  units::Carrier carrier = units::Carrier::kElectricity;
  Method method = Method::kEquivalent;
  double tce_per_unit = 0;
  refdata::FactorRow row;
  std::optional<refdata::FactorRow> via;
};
struct Derivation {
  std::string entity;
  int32_t from_month = 0, to_month = 0;
  std::vector<DerivationStep> readings;   // per meter and month
  std::vector<DerivationFactor> factors;  // per month, carrier and method actually used
  std::array<double, 2> tce{};            // result by method
  std::vector<std::string> rules;         // how meters were chosen, bilingual lines
};
Result<Derivation> Explain(const Accounts& a, std::string_view entity, int32_t from_month,
                           int32_t to_month, std::optional<units::Carrier> carrier);

// "2025-03" for a month index; "2025" for a year.
std::string MonthLabel(int32_t month_index);

}  // namespace zp::energy
