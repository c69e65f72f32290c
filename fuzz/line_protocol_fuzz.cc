// libFuzzer target for the InfluxDB line-protocol parser. The first byte picks the precision
// and the meter tag; the rest is the body. Checks the parser's output contract.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "parser_checks.h"
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
  zp::fuzz::CheckParserOutput(body, out, errors);
  return 0;
}
