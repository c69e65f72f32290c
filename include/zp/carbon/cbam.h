#pragma once

// CBAM-style specific embedded emissions of an enterprise's products (产品隐含碳排放): for each
// good, the direct and the indirect embedded emissions per tonne, with the electricity emission
// factor and its source, as the operator's emissions data communication of EU Implementing
// Regulation 2023/1773 (Annex IV) asks. Computed from the carbon accounts and the enterprise's
// product output data (indicator product_output); a pure function, safe to call from many threads
// on the same (immutable) accounts.
//
// Attribution rule (分摊规则): the enterprise's emissions and electricity over the whole period
// are split among its products measured in mass units in proportion to their output in tonnes
// over the period; products in other units (pieces, m2, ...) are listed without any emissions or
// per-tonne figures. Output is summed per month as process_co2 is: a month row counts in its
// month, a year row 1/12 in each month of its year (both kinds add when both are entered).
// A product entered in a mass unit in some rows and another unit in others appears twice.
//
// Figures (each = the enterprise's figure x the product's share):
// - direct: Scope 1 fuel combustion + process emissions (GB/T 32150 / 32151 method of the
//   carbon accounts) + purchased heat and steam (Scope 2 heat): CBAM counts the heat consumed in
//   production as direct emissions wherever it is produced; the heat part is also given alone;
// - indirect: electricity kWh x the grid factor, location-based (the accounts' grid average
//   factor) and market-based (traceable green electricity at zero, the rest at the national
//   factor excluding market-traded non-fossil power), with every factor row used.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/carbon/carbon.h"
#include "zp/model/economic.h"

namespace zp::carbon {

inline constexpr std::string_view kCbamAttributionRule =
    "按产量质量分摊：企业本期排放与用电按各产品产量（吨）占企业以质量计产品总产量的比例分摊，"
    "非质量单位产品不分摊 / Attributed by output mass: the enterprise's emissions and electricity "
    "in the period are split among its products in proportion to their output in tonnes; products "
    "in non-mass units receive none";

// Tonnes per unit for a mass unit of product output ("t", "吨", "tonne(s)", "kt", "千吨", "万吨",
// "kg", "千克", "公斤", or any mass unit units::FindUnit knows); nullopt for other units.
std::optional<double> TonnesPerUnit(std::string_view unit);

// One distinct grid factor row applied to the enterprise's electricity in the period.
struct CbamElectricityFactor {
  Scope2Method method = Scope2Method::kLocation;
  std::string label;  // bilingual, e.g. "基于位置（电网平均） / Location-based (grid average)"
  double tco2_per_mwh = 0;
  std::string row_id, dataset, variant, region, source, confidence;
  std::string valid_from, valid_to;  // the row's validity, YYYY-MM-DD ("" = open)
  std::vector<int32_t> months;       // month indexes of the range it was applied to
  double kwh = 0;  // this product's kWh priced at it (market: the grid part after green power)
};

struct ProductEmbedded {
  std::string enterprise_code;
  std::string product;                   // product_output item
  int32_t from_month = 0, to_month = 0;  // month indexes, to exclusive
  bool mass = false;                     // output in a mass unit
  double output = 0;                     // in `unit` (mass products: tonnes)
  std::string unit;                      // "t" for mass products, else as entered
  std::string note;                      // bilingual; "" when nothing to say
  std::optional<double> share;           // attribution share in [0, 1]; empty: nothing attributed
  std::string attribution;               // the rule applied, bilingual, with this product's numbers

  // The enterprise's figures x share (0 without a share).
  double direct_fuel_tco2 = 0;
  double direct_process_tco2 = 0;
  double heat_tco2 = 0;    // purchased heat and steam (part of direct_tco2)
  double direct_tco2 = 0;  // fuel + process + heat
  double electricity_kwh = 0;
  double green_kwh = 0;                   // traceable green electricity counted
  std::array<double, 2> indirect_tco2{};  // by Scope2Method
  // Mass products: the grid factor rows applied to the enterprise's electricity in the period.
  std::vector<CbamElectricityFactor> factors;

  // Per tonne of output (mass products with a share and output > 0).
  std::optional<double> direct_per_t;
  std::optional<double> heat_per_t;
  std::optional<double> electricity_mwh_per_t;
  std::array<std::optional<double>, 2> indirect_per_t;  // by Scope2Method
  std::array<std::optional<double>, 2> total_per_t;     // direct + indirect, by Scope2Method

  std::vector<model::EnterpriseDatum> records;  // product_output rows used (as entered)
};

// Per product of `enterprise` (registry code) with product_output in [from_month, to_month)
// (month indexes within the accounts), sorted by product name and unit. Uses the product_output
// rows of the accounts' energy input. Empty when the enterprise has no product output in the
// period; error when the range lies outside the accounts or the enterprise is unknown.
Result<std::vector<ProductEmbedded>> EmbeddedEmissions(const CarbonAccounts& a,
                                                       std::string_view enterprise,
                                                       int32_t from_month, int32_t to_month);
// Same, with the product output rows passed explicitly (rows of other enterprises or indicators
// are ignored).
Result<std::vector<ProductEmbedded>> EmbeddedEmissions(
    const CarbonAccounts& a, std::string_view enterprise, int32_t from_month, int32_t to_month,
    std::span<const model::EnterpriseDatum> data);

// JSON array of the products: {"enterprise","product","from":"2025-01","to":"2025-06",
// "mass","output","unit","note","share","attribution","direct_fuel_tco2","direct_process_tco2",
// "direct_tco2","heat_tco2","electricity_kwh","green_kwh","indirect_tco2":{"location","market"},
// "per_t":{"direct","heat","electricity_mwh","indirect_location","indirect_market",
// "total_location","total_market"},"factors":[{"method","label","tco2_per_mwh","row_id","dataset",
// "variant","region","source","confidence","valid_from","valid_to","months":["2025-01"],"kwh"}],
// "records":[{"seq","period","value","unit","source"}]}; absent optional figures are null.
std::string EmbeddedEmissionsToJson(std::span<const ProductEmbedded> products);

}  // namespace zp::carbon
