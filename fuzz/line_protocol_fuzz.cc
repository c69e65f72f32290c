// libFuzzer target for the InfluxDB line-protocol parser. The first byte picks the precision
// and the meter tag; the rest is the body. Checks the parser's output contract.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "zp/ingest/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  zp::ingest::LineProtocolOptions options;
  options.precision = static_cast<zp::ingest::Precision>(data[0] & 3);
  options.meter_tag = (data[0] & 4) ? "id" : "meter";
  options.default_ts_s = 1704038400;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<zp::ingest::ParsedReading> out;
  std::vector<zp::ingest::RowError> errors;
  zp::ingest::ParseLineProtocol(body, options, &out, &errors);
  const int64_t lines = static_cast<int64_t>(std::count(body.begin(), body.end(), '\n')) + 1;
  for (const zp::ingest::ParsedReading& r : out) {
    if (!std::isfinite(r.value) || r.meter.empty() || r.line < 1 || r.line > lines || r.ts_s < 0 ||
        r.ts_s >= 7289654400) {
      __builtin_trap();
    }
  }
  for (const zp::ingest::RowError& e : errors) {
    if (e.line < 1 || e.line > lines || e.reason.empty()) __builtin_trap();
  }
  return 0;
}
