#pragma once

// Parsers of outside input: InfluxDB line protocol, JSON bulk readings and CSV with a column
// mapping. They turn bytes into ParsedReading rows and RowError reports; they know nothing of the
// registry (the pipeline resolves meter codes and units). Pure, thread-safe, never throw, and
// never read outside the input (they are fuzzed).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/time.h"

namespace zp::ingest {

struct ParsedReading {
  std::string meter;  // meter code
  std::string unit;   // unit symbol as sent; empty = the meter's own unit
  int64_t ts_s = 0;   // UTC
  double value = 0;   // finite
  int32_t line = 0;   // 1-based line (or JSON array index + 1) it came from
  bool operator==(const ParsedReading&) const = default;
};

struct RowError {
  int32_t line = 0;  // 1-based; 0 for the whole input
  std::string reason;
  bool operator==(const RowError&) const = default;
};

// --- InfluxDB line protocol: `measurement[,tag=v...] field=value[,field=value...] [timestamp]`.
// The meter code comes from the tag named `meter_tag`. Each field is one reading: a field whose
// key is a unit symbol (kwh, m3, gj, ...) gives that unit; the key `value` means the meter's own
// unit; any other key is an error for that line. Integer fields (`12i`) are accepted; string and
// boolean fields are errors. Escapes (\, \space \=) per the InfluxDB spec are honoured.
enum class Precision { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds };
Result<Precision> ParsePrecision(std::string_view s);  // "ns", "u"/"us", "ms", "s"

struct LineProtocolOptions {
  Precision precision = Precision::kNanoseconds;
  std::string meter_tag = "meter";
  int64_t default_ts_s = 0;  // for lines without a timestamp (the server's receive time)
};

// Appends good readings to *out and one RowError per bad line to *errors. Blank lines and
// comment lines (#) are skipped.
void ParseLineProtocol(std::string_view body, const LineProtocolOptions& options,
                       std::vector<ParsedReading>* out, std::vector<RowError>* errors);

// --- JSON: {"readings":[{"meter":"E-001","ts":"2024-01-01T00:15:00+08:00"|1704039300,
//                         "value":12.5,"unit":"kWh"}, ...]}  (or a bare array of such objects).
// Timestamps as strings are read with ParseTimestamp in `zone` when they carry no offset.
void ParseJsonReadings(std::string_view body, const TimeZone& zone, std::vector<ParsedReading>* out,
                       std::vector<RowError>* errors);

// --- CSV with a saved column mapping.
enum class TimeLabel { kIntervalStart, kIntervalEnd };

struct CsvValueColumn {
  std::string column;  // header name, or 1-based column number as text
  std::string meter;   // meter code the column's values belong to
  std::string unit;    // empty = mapping's unit
  bool operator==(const CsvValueColumn&) const = default;
};

struct CsvMapping {
  std::string name;  // saved under this name
  char delimiter = ',';
  bool decimal_comma = false;    // "12,5" means 12.5 (then the delimiter is usually ';')
  int32_t header_rows = 1;       // rows to skip; the last of them names the columns
  std::string timestamp_column;  // header name or 1-based number
  // strftime-like: %Y %m %d %H %M %S %y %b, literal characters; or "iso8601" or "unix".
  std::string timestamp_format = "%Y-%m-%d %H:%M:%S";
  std::string time_zone = "Asia/Shanghai";  // zone of timestamps without an offset
  TimeLabel label = TimeLabel::kIntervalStart;
  int32_t interval_s = 900;  // length of the interval a row measures
  // A row labelled 00:00 belongs to the day it closes and carries that day's date, i.e. the real
  // instant is the next day's midnight (the steel-plant export).
  bool midnight_closes_day = false;
  // Long format: one reading per row.
  std::string meter_column;
  std::string value_column;
  std::string unit_column;
  // Wide format: several value columns, each its own meter.
  std::vector<CsvValueColumn> values;
  std::string meter;  // long format with one meter per file: the meter code
  std::string unit;   // default unit of the values; empty = meter's unit
  bool operator==(const CsvMapping&) const = default;
};

Result<CsvMapping> CsvMappingFromJson(std::string_view json);
std::string CsvMappingToJson(const CsvMapping& mapping);
// Checks the mapping is complete and consistent (a timestamp column, values, a zone that loads).
Status ValidateCsvMapping(const CsvMapping& mapping);

struct CsvProgress {
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;
  int64_t rows = 0;
};

// Parses the whole CSV text (a UTF-8 byte-order mark is skipped). Readings carry the timestamp of
// the interval START in UTC whatever the file's labelling. Rows that fail are reported with their
// 1-based line number and reason; good rows are kept. `progress`, if set, is called every ~1 MiB.
Status ParseCsv(std::string_view text, const CsvMapping& mapping, std::vector<ParsedReading>* out,
                std::vector<RowError>* errors,
                const std::function<void(const CsvProgress&)>& progress = nullptr);

}  // namespace zp::ingest
