// libFuzzer target for the JSON readings parser. Checks the parser's output contract.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "zp/ingest/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const zp::TimeZone kZone = zp::TimeZone::Fixed(8 * 3600);
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::vector<zp::ingest::ParsedReading> out;
  std::vector<zp::ingest::RowError> errors;
  zp::ingest::ParseJsonReadings(body, kZone, &out, &errors);
  for (const zp::ingest::ParsedReading& r : out) {
    if (!std::isfinite(r.value) || r.meter.empty() || r.line < 1 ||
        static_cast<size_t>(r.line) > size || r.ts_s < 0 || r.ts_s >= 7289654400) {
      __builtin_trap();
    }
  }
  for (const zp::ingest::RowError& e : errors) {
    if (e.line < 0 || e.reason.empty()) __builtin_trap();
    if (e.line == 0 && (errors.size() != 1 || !out.empty())) __builtin_trap();
  }
  return 0;
}
