#pragma once

// Enterprise data that no meter sends: economic figures (output value, added value, tax,
// employees, R&D spending, main-business revenue), product output, process CO2 emissions and
// green electricity received by direct supply (entered by hand until the green-power ledger
// provides it). Each value is for one enterprise, one indicator (and item: product name or
// contract reference), one period (a month "2025-03" or a year "2025"). Values are never updated
// in place: every entry is a new version, the latest version of a key is the current value, and a
// deletion is a tombstone version, so the history is kept.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"

namespace zp::model {

struct IndicatorInfo {
  std::string_view code;     // "added_value"
  std::string_view name_zh;  // "工业增加值"
  std::string_view name_en;  // "Industrial added value"
  std::string_view unit;     // canonical unit, e.g. "10k CNY" (万元); "" = any unit (products)
  bool needs_item;           // product_output (product name), green_direct_kwh (contract ref)
};

// Codes: industrial_output, added_value, tax, employees, rnd_spending, revenue,
// product_output, process_co2, green_direct_kwh.
std::span<const IndicatorInfo> AllIndicators();
Result<const IndicatorInfo*> FindIndicator(std::string_view code);

// A period: a month or a whole year.
struct DataPeriod {
  int32_t year = 0;
  int32_t month = 0;  // 1..12, or 0 for the whole year
  bool operator==(const DataPeriod&) const = default;
  auto operator<=>(const DataPeriod&) const = default;
};
Result<DataPeriod> ParseDataPeriod(std::string_view text);  // "2025" or "2025-03"
std::string FormatDataPeriod(const DataPeriod& p);

struct EnterpriseDatum {
  int64_t seq = 0;  // assigned by the store: increasing, the version order
  std::string enterprise_code;
  std::string indicator;
  std::string item;  // product name / contract reference; "" when the indicator needs none
  DataPeriod period;
  double value = 0;
  std::string unit;    // normalised: the indicator's canonical unit (products: as entered)
  std::string source;  // provenance: "POST /api/v1/economic from 127.0.0.1", "zeropark economic
                       // import x.csv line 4", ...
  std::string note;
  int64_t recorded_s = 0;  // when it was recorded (UTC)
  bool deleted = false;    // tombstone: the key has no current value from this version on
  bool operator==(const EnterpriseDatum&) const = default;
};

// Field checks and normalisation of one entry (not whether the enterprise exists): indicator
// known, item present when needed, value finite and not negative (process_co2 may not be
// negative either), unit accepted for the indicator ("万元", "10k CNY", "wan CNY" -> "10k CNY";
// "CNY"/"元" converted to 10k CNY by dividing the value; "persons"/"人"; "tCO2"; "kWh"/"MWh" ->
// kWh). Errors name the field.
// Details: enterprise_code is trimmed and upper-cased (as the registry keeps codes); indicator may
// be given by code or Chinese name (stored as the code); unit spellings match ignoring ASCII case
// and a unit is always required (products: any non-empty unit); item is refused for the economic
// indicators, optional for process_co2; item, unit and note are trimmed and bounded in length.
Status NormalizeEnterpriseDatum(EnterpriseDatum* d);

// CSV with header enterprise_code,indicator,item,period,value,unit[,note] (item may be empty).
// Columns are found by name (any order, case-insensitive; credit_code or enterprise for
// enterprise_code; item and note may be absent); RFC 4180 quoting, optional UTF-8 BOM, blank
// lines skipped, a key repeated within the file is an error. EnterpriseDataToCsv writes that
// header (with_history adds seq,recorded_at,source,deleted), guarding formula-like cells with a
// leading apostrophe that the parser drops again.
// Returns the rows (seq 0, source "<origin> line N") or an error per bad line (all listed, up to
// 100) naming the line and field.
Result<std::vector<EnterpriseDatum>> ParseEnterpriseDataCsv(std::string_view csv,
                                                            std::string_view origin);
std::string EnterpriseDataToCsv(std::span<const EnterpriseDatum> rows, bool with_history);

}  // namespace zp::model
