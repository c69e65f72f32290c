#pragma once

// The output contract every text parser of zeropark keeps, checked by the fuzz targets: readings
// are finite, name a meter, carry a timestamp in 1970..2200 and a line inside the input; errors
// carry a line inside the input and a reason. Traps (a fuzzer finding) when broken.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "zp/ingest/parsers.h"

namespace zp::fuzz {

inline void CheckParserOutput(std::string_view text, const std::vector<ingest::ParsedReading>& out,
                              const std::vector<ingest::RowError>& errors) {
  const int64_t lines = static_cast<int64_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const ingest::ParsedReading& r : out) {
    if (!std::isfinite(r.value) || r.meter.empty() || r.line < 1 || r.line > lines || r.ts_s < 0 ||
        r.ts_s >= 7289654400) {  // 2201-01-01T00:00:00Z
      __builtin_trap();
    }
  }
  for (const ingest::RowError& e : errors) {
    if (e.line < 1 || e.line > lines || e.reason.empty()) __builtin_trap();
  }
}

}  // namespace zp::fuzz
