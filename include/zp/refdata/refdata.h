#pragma once

// Reference data: versioned factor tables (tce conversion coefficients, grid CO2 emission factors,
// fuel combustion parameters, heat factors) and the province -> regional grid mapping. The built-in
// tables are the plain CSV files under data/ (embedded into the binary at build time, so the
// executable is self-contained); a park adds or overrides rows at run time without rebuilding
// (a park layer, kept by the caller as CSV text). Every row carries its value, unit, effective
// period, region, source document and confidence mark, so any figure computed from a row can show
// where its factor came from.
//
// Lookup rule: among the rows of (table, item, variant, region) whose effective period contains
// the day, a park row wins over a built-in row; within one layer a row of the exact region wins
// over a row for any region, then the row with the latest valid_from wins. A park row with the
// same id as a built-in row replaces that row everywhere.
// No row -> NotFound naming table, item, variant, region and date: never a silent zero.
//
// RefData is immutable after construction (Build) and safe to share between threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/units/units.h"

namespace zp::refdata {

// Table names (the `table` column).
inline constexpr std::string_view kTce = "tce";         // item = carrier code; variant = method
inline constexpr std::string_view kGridEf = "grid_ef";  // item = "electricity"; variant = kind
inline constexpr std::string_view kFuel = "fuel";       // item = fuel code; variant = parameter
inline constexpr std::string_view kHeat = "heat";       // purchased heat/steam factors
// Variants of kTce.
inline constexpr std::string_view kEquivalent = "equivalent";           // 当量值
inline constexpr std::string_view kCoalEquivalent = "coal_equivalent";  // 等价值
// Variants of kGridEf.
inline constexpr std::string_view kGridAverage = "average";
inline constexpr std::string_view kGridExclMarket = "excl_market_nonfossil";
inline constexpr std::string_view kGridFossil = "fossil";
// Variants of kFuel (item = fuel code, e.g. "natural_gas", "bituminous", "diesel").
inline constexpr std::string_view kNcv = "ncv";                       // e.g. GJ/t, GJ/10^4Nm3
inline constexpr std::string_view kCarbonContent = "carbon_content";  // tC/GJ
inline constexpr std::string_view kOxidation = "oxidation";           // fraction, unit "1"
// Items/variants of kHeat.
inline constexpr std::string_view kHeatPurchased = "purchased_heat";  // variant "ef", tCO2/GJ
inline constexpr std::string_view kSteamHeatContent = "steam";  // variant "heat_content", GJ/t
// Region codes: "CN" national; regional grids "north", "northeast", "east", "central",
// "northwest", "south", "southwest"; provinces by lower-case pinyin ("liaoning", "neimenggu").
// An empty region in a row means "applies to every region".
inline constexpr std::string_view kNational = "CN";

struct FactorRow {
  std::string id;       // unique within all tables, e.g. "gridef-2023-average-CN"
  std::string table;    // kTce, kGridEf, kFuel, kHeat, or a park's own table
  std::string dataset;  // guideline / standard edition the row belongs to, e.g. "GB/T 2589-2020",
                        // "NDRC-2015-other", "GB/T 32151.34-2024", "MEE-2023"
  std::string item;
  std::string variant;
  std::string region;  // see above; "" = any
  double value = 0;
  std::string unit;  // numerator/denominator, e.g. "kgce/kWh", "tCO2/MWh", "GJ/10^4Nm3", "1"
  int32_t valid_from_day = 0;  // days since 1970-01-01 (civil date, inclusive); INT32_MIN = open
  int32_t valid_to_day = 0;    // exclusive; INT32_MAX = open
  std::string source;          // document and where in it (URL or citation)
  std::string confidence;      // "OFFICIAL", "OFFICIAL-QUOTED", "SECONDARY", "UNCONFIRMED",
                               // "COMPUTED", "PARK"
  std::string note;
  std::string layer;  // "builtin" or "park" (set by RefData, not read from CSV)
  bool operator==(const FactorRow&) const = default;
};

// CSV of factor rows. Header (exact names, any order, extra columns ignored):
//   id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,confidence,note
// valid_from / valid_to are YYYY-MM-DD or empty (open). UTF-8, optional BOM, RFC 4180 quoting,
// '#' lines are comments. Errors name the origin, the line and the field.
Result<std::vector<FactorRow>> ParseFactorCsv(std::string_view csv, std::string_view origin);
std::string FactorRowsToCsv(std::span<const FactorRow> rows);  // same header, ParseFactorCsv-able

struct Province {
  std::string code;         // "liaoning"
  std::string name_zh;      // "辽宁"
  std::string name_en;      // "Liaoning"
  std::string grid_region;  // "northeast"
};

struct GridRegion {
  std::string code;     // "northeast"
  std::string name_zh;  // "东北"
  std::string name_en;  // "Northeast"
};

// Lookup key.
struct FactorKey {
  std::string_view table;
  std::string_view item;
  std::string_view variant;
  std::string_view region;  // exact match, or rows with an empty region
  // Non-empty: only rows of this dataset (e.g. the fuel guideline the park chose). Empty: any
  // dataset; if two rows of different datasets tie (same layer, same valid_from) the lookup is
  // ambiguous and fails naming both row ids.
  std::string_view dataset = {};
};

class RefData {
 public:
  // The built-in tables (data/*.csv embedded at build time), plus park rows (CSV text as kept by
  // the caller, may be empty). Errors name the file/origin and line.
  static Result<std::shared_ptr<const RefData>> Build(std::string_view park_rows_csv = {});
  // Same from a directory holding the data/ files (tce_coefficients.csv,
  // grid_emission_factors.csv, fuel_parameters.csv, heat_factors.csv, provinces.csv,
  // grid_regions.csv) instead of the embedded copies.
  static Result<std::shared_ptr<const RefData>> BuildFromDir(std::string_view dir,
                                                             std::string_view park_rows_csv = {});

  // The row in force on `day` (days since epoch) per the lookup rule; NotFound otherwise, with a
  // message like: "no factor tce/electricity/coal_equivalent (region any) in force on 2022-03-01;
  // add a row to data/tce_coefficients.csv or import a park row (zeropark refdata import)".
  // FailedPrecondition when two rows of different datasets tie (see FactorKey::dataset).
  Result<const FactorRow*> Find(const FactorKey& key, int32_t day) const;
  // Same, trying each region in order (e.g. {"liaoning", "northeast", "CN"}); NotFound names all.
  Result<const FactorRow*> FindFirst(std::string_view table, std::string_view item,
                                     std::string_view variant, std::span<const std::string> regions,
                                     int32_t day) const;
  const FactorRow* FindById(std::string_view id) const;

  // Every effective row (park rows replacing built-in rows of the same id), ordered by table, item,
  // variant, region, valid_from. `table` empty = all tables.
  std::vector<const FactorRow*> Rows(std::string_view table = {}) const;
  // Built-in rows replaced by a park row of the same id (shown as "overridden" by the API).
  std::vector<const FactorRow*> OverriddenRows() const;

  std::span<const Province> provinces() const;
  std::span<const GridRegion> grid_regions() const;
  // By code, Chinese name (with or without 省/市/自治区 suffix) or English name, case-insensitive.
  Result<const Province*> FindProvince(std::string_view name) const;
  Result<const GridRegion*> FindGridRegion(std::string_view name) const;
  // Regions to try for a province, most specific first, for FindFirst: {"liaoning", "northeast",
  // "CN"}. Accepts any name FindProvince accepts.
  Result<std::vector<std::string>> RegionChain(std::string_view province) const;

  // Hex SHA-256-free fingerprint (FNV-1a 64) of all effective rows: changes whenever any row does.
  std::string fingerprint() const;

  ~RefData();
  RefData(const RefData&) = delete;
  RefData& operator=(const RefData&) = delete;

 private:
  struct Impl;
  explicit RefData(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Converts a factor's value to `numerator` per one `per` unit. Numerators understood: mass of
// coal equivalent (gce, kgce, tce), CO2 (kgCO2, tCO2), carbon (kgC, tC), energy (kJ, MJ, GJ, TJ,
// kWh, MWh), "1" (dimensionless). Denominators: any units::FindUnit symbol plus "10^4Nm3",
// "10^4m3" (10,000 m3) and "MWh", "TJ", "MJ". Example: row {0.7143, "kgce/kg"} to ("tce", "t") ->
// 0.7143; row {389.31, "GJ/10^4Nm3"} to ("GJ", "m3") -> 0.038931. Error when the dimensions do
// not match, naming the row id.
Result<double> ConvertFactor(const FactorRow& row, std::string_view numerator,
                             std::string_view per);

// The carriers counted as energy (have a tce coefficient): all but water and reactive energy.
bool IsEnergyCarrier(units::Carrier c);

// "2025-03-01" <-> days since epoch (also used for valid_from/valid_to).
Result<int32_t> ParseDay(std::string_view text);
std::string FormatDay(int32_t day);  // "" for INT32_MIN / INT32_MAX

}  // namespace zp::refdata
