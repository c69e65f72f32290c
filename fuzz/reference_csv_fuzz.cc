// Feeds arbitrary text to the two CSV parsers of accounting input: park reference-factor rows
// (refdata::ParseFactorCsv) and enterprise data (model::ParseEnterpriseDataCsv). Invariants: no
// crash; accepted factor rows are finite with a valid period and survive export and re-import
// unchanged; accepted enterprise data rows pass NormalizeEnterpriseDatum and round-trip through
// EnterpriseDataToCsv.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "zp/model/economic.h"
#include "zp/refdata/refdata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = zp::refdata::ParseFactorCsv(text, "fuzz");
  if (rows.ok()) {
    for (const auto& r : *rows) {
      if (!std::isfinite(r.value) || r.valid_from_day >= r.valid_to_day || r.id.empty()) {
        std::abort();
      }
    }
    auto again = zp::refdata::ParseFactorCsv(zp::refdata::FactorRowsToCsv(*rows), "fuzz");
    if (!again.ok() || *again != *rows) std::abort();
  }
  auto econ = zp::model::ParseEnterpriseDataCsv(text, "fuzz");
  if (econ.ok()) {
    for (auto d : *econ) {
      if (!zp::model::NormalizeEnterpriseDatum(&d).ok()) std::abort();
    }
    auto again = zp::model::ParseEnterpriseDataCsv(
        zp::model::EnterpriseDataToCsv(*econ, /*with_history=*/false), "fuzz");
    if (!again.ok() || again->size() != econ->size()) std::abort();
    for (size_t i = 0; i < econ->size(); ++i) {
      const auto& a = (*econ)[i];
      const auto& b = (*again)[i];
      if (a.enterprise_code != b.enterprise_code || a.indicator != b.indicator ||
          a.item != b.item || a.period != b.period || a.value != b.value || a.unit != b.unit) {
        std::abort();
      }
    }
  }
  return 0;
}
