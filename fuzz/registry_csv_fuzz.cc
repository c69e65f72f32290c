// Feeds arbitrary text to the three registry CSV parsers. Invariants: no crash; every accepted
// record is valid, and exporting the accepted records and importing them again gives the same
// records with no errors.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "zp/model/registry_csv.h"

namespace {

template <typename T, typename Parse, typename Validate>
void Check(std::string_view text, Parse parse, Validate validate) {
  auto first = parse(text);
  if (!first.ok()) return;
  if (first->records.size() != first->lines.size()) std::abort();
  for (const T& record : first->records) {
    if (!validate(record).ok()) std::abort();
  }
  const std::string csv = zp::model::ToCsv(std::span<const T>(first->records));
  auto second = parse(csv);
  if (!second.ok() || !second->errors.empty() || second->records != first->records) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Check<zp::model::Zone>(text, zp::model::ParseZonesCsv, zp::model::ValidateZone);
  Check<zp::model::Enterprise>(text, zp::model::ParseEnterprisesCsv, zp::model::ValidateEnterprise);
  Check<zp::model::Meter>(text, zp::model::ParseMetersCsv, zp::model::ValidateMeter);
  return 0;
}
