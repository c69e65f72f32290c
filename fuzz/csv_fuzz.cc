// libFuzzer target for the CSV parser and the CSV mapping's JSON form.
// Input starting with '{': a mapping as JSON, a NUL byte, then CSV text. The mapping must
// survive ToJson/FromJson unchanged; when it validates, the CSV is parsed with it.
// Any other input: the first 4 bytes pick a mapping (delimiter, decimal comma, label,
// midnight rule, header rows, timestamp format, zone, long/wide layout, interval) and the
// rest is the CSV text.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parser_checks.h"
#include "zp/ingest/parsers.h"

namespace {

using zp::ingest::CsvMapping;

void ParseAndCheck(std::string_view text, const CsvMapping& mapping) {
  std::vector<zp::ingest::ParsedReading> out;
  std::vector<zp::ingest::RowError> errors;
  int64_t last_done = -1;
  zp::Status s =
      zp::ingest::ParseCsv(text, mapping, &out, &errors, [&](const zp::ingest::CsvProgress& p) {
        if (p.bytes_done <= last_done || p.bytes_done > p.bytes_total) {
          __builtin_trap();
        }
        last_done = p.bytes_done;
      });
  if (!s.ok()) {
    if (!out.empty() || !errors.empty()) __builtin_trap();
    return;
  }
  zp::fuzz::CheckParserOutput(text, out, errors);
}

void FuzzMappingJson(std::string_view input) {
  const size_t nul = input.find('\0');
  std::string_view json = input.substr(0, nul);
  zp::Result<CsvMapping> m = zp::ingest::CsvMappingFromJson(json);
  if (!m.ok()) return;
  zp::Result<CsvMapping> back = zp::ingest::CsvMappingFromJson(zp::ingest::CsvMappingToJson(*m));
  if (!back.ok() || !(*back == *m)) __builtin_trap();
  if (nul == std::string_view::npos || !zp::ingest::ValidateCsvMapping(*m).ok()) return;
  ParseAndCheck(input.substr(nul + 1), *m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input[0] == '{') {
    FuzzMappingJson(input);
    return 0;
  }
  if (size < 4) return 0;
  static constexpr char kDelimiters[] = {',', ';', '\t', '|'};
  static constexpr const char* kFormats[] = {
      "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%y %H:%M", "%d-%b-%Y",
      "iso8601",           "unix",           "%Y%m%d%H%M",     "%m/%d/%Y %H:%M:%S"};
  static constexpr const char* kZones[] = {"UTC", "+08:00", "Asia/Shanghai", "Asia/Seoul"};
  static constexpr int32_t kIntervals[] = {60, 900, 3600, 86400};
  const uint8_t b0 = data[0], b1 = data[1], b2 = data[2], b3 = data[3];
  CsvMapping m;
  m.delimiter = kDelimiters[b0 & 3];
  m.decimal_comma = (b0 & 4) && m.delimiter != ',';
  m.label = (b0 & 8) ? zp::ingest::TimeLabel::kIntervalEnd : zp::ingest::TimeLabel::kIntervalStart;
  m.midnight_closes_day = (b0 & 16) != 0;
  m.header_rows = (b0 >> 5) & 3;
  m.timestamp_format = kFormats[b1 & 7];
  m.time_zone = kZones[(b1 >> 3) & 3];
  const bool names = (b2 & 2) && m.header_rows > 0;
  m.timestamp_column = names ? "time" : "1";
  if (b2 & 1) {
    const int n = ((b2 >> 4) & 3) + 1;
    for (int i = 0; i < n; ++i) {
      m.values.push_back({names && i == 0 ? "value" : std::to_string(i + 2),
                          "M" + std::to_string(i), i == 1 ? "kvarh" : ""});
    }
  } else {
    m.value_column = names ? "value" : "2";
    if (b2 & 4) {
      m.meter_column = names ? "meter" : "3";
    } else {
      m.meter = "M";
    }
    if (b2 & 8) m.unit_column = "4";
  }
  m.unit = (b2 & 64) ? "kWh" : "";
  m.interval_s = kIntervals[b3 & 3];
  ParseAndCheck(input.substr(4), m);
  return 0;
}
