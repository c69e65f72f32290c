#pragma once

// CSV reading import shared by the HTTP endpoint (POST /api/v1/imports) and the CLI
// (`zeropark import`): parse with a column mapping, ingest through the pipeline, and report
// rejected rows and suspected gaps (runs of exact zeros of at least three hours among the
// accepted readings, which publishers often use to fill gaps). Thread-safe.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/engine/engine.h"
#include "zp/ingest/parsers.h"
#include "zp/ingest/pipeline.h"

namespace zp::server {

// Engine setting key prefix under which CSV mappings are saved: "csv_mapping/NAME".
inline constexpr std::string_view kCsvMappingSettingPrefix = "csv_mapping/";
// Zero runs at least model::SuspectZeroRunSeconds(meter) long are reported as suspected gaps.

struct SuspectedGap {
  std::string meter;
  int64_t from_s = 0;  // [from_s, to_s)
  int64_t to_s = 0;
  int32_t readings = 0;
};

struct CsvImportReport {
  int64_t received = 0;
  int64_t accepted = 0;
  std::vector<ingest::RowError> rejected;  // sorted by line
  std::vector<SuspectedGap> suspected_gaps;
  // The first CsvImportOptions::preview accepted readings, as parsed (meter unit not applied).
  std::vector<ingest::ParsedReading> preview;
};

struct CsvImportOptions {
  ingest::BatchMode mode = ingest::BatchMode::kKeepGood;
  bool unlogged = false;  // Engine::WriteUnlogged; the caller must Flush() afterwards
  bool dry_run = false;   // check everything, write nothing (the report is the same)
  size_t preview = 0;     // keep this many accepted readings in the report
  std::string source = "csv import";
  std::function<bool(std::string_view meter_code)> allow_meter;  // see ingest::IngestOptions
  // Called while parsing (every ~1 MiB) and after each written batch.
  std::function<void(const ingest::CsvProgress&)> parse_progress;
  std::function<void(int64_t written, int64_t total)> write_progress;
};

Result<CsvImportReport> ImportCsv(engine::Engine& engine, std::string_view text,
                                  const ingest::CsvMapping& mapping,
                                  const CsvImportOptions& options);

// Saved mappings. Load returns NotFound naming the mapping when it is not saved.
Result<ingest::CsvMapping> LoadCsvMapping(engine::Engine& engine, std::string_view name);
// Validates the mapping and saves it under mapping.name (a code: [A-Za-z0-9._-]{1,64}).
Status SaveCsvMapping(engine::Engine& engine, const ingest::CsvMapping& mapping);
Result<std::vector<ingest::CsvMapping>> ListCsvMappings(engine::Engine& engine);

}  // namespace zp::server
