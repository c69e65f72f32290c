#include "zp/server/csv_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "zp/model/registry.h"
#include "zp/tsdb/rollup.h"

namespace zp::server {
namespace {

// Readings per Ingest call in keep-good mode: bounds the pipeline's working set and paces the
// progress callback.
constexpr size_t kWriteBatch = 262'144;

// Zero runs per meter over the readings the import accepted.
Status FindGaps(engine::Engine& engine, const std::vector<ingest::ParsedReading>& parsed,
                const std::set<int32_t>& rejected_lines, std::vector<SuspectedGap>* gaps) {
  std::shared_ptr<const engine::MeterIndex> index = engine.meter_index();
  std::map<std::string, std::vector<tsdb::Point>, std::less<>> by_meter;
  for (const ingest::ParsedReading& r : parsed) {
    if (rejected_lines.count(r.line) != 0) continue;
    const engine::MeterRef* ref = index->Find(r.meter);
    if (ref == nullptr || ref->kind == model::MeterKind::kVirtual) continue;
    by_meter[r.meter].push_back(tsdb::Point{r.ts_s, r.value});
  }
  for (auto& [code, points] : by_meter) {
    std::stable_sort(points.begin(), points.end(),
                     [](const tsdb::Point& a, const tsdb::Point& b) { return a.ts_s < b.ts_s; });
    // Keep the last value of a repeated timestamp, as the store does.
    std::vector<tsdb::Point> unique;
    unique.reserve(points.size());
    for (const tsdb::Point& p : points) {
      if (!unique.empty() && unique.back().ts_s == p.ts_s) {
        unique.back() = p;
      } else {
        unique.push_back(p);
      }
    }
    Result<model::Meter> meter = engine.GetMeter(code);
    if (!meter.ok()) continue;  // deleted meanwhile
    const int32_t interval_s = meter->interval_s > 0 ? meter->interval_s : 900;
    for (const tsdb::ZeroRun& run :
         tsdb::FindZeroRuns(unique, interval_s, model::SuspectZeroRunSeconds(*meter))) {
      gaps->push_back(SuspectedGap{code, run.start_s, run.end_s, run.readings});
    }
  }
  return Status::OK();
}

}  // namespace

Result<CsvImportReport> ImportCsv(engine::Engine& engine, std::string_view text,
                                  const ingest::CsvMapping& mapping,
                                  const CsvImportOptions& options) {
  ZP_RETURN_IF_ERROR(ingest::ValidateCsvMapping(mapping));
  std::vector<ingest::ParsedReading> parsed;
  std::vector<ingest::RowError> parse_errors;
  ZP_RETURN_IF_ERROR(
      ingest::ParseCsv(text, mapping, &parsed, &parse_errors, options.parse_progress));
  std::set<int32_t> parse_error_lines;
  for (const ingest::RowError& e : parse_errors) parse_error_lines.insert(e.line);

  ingest::IngestOptions ingest_options;
  ingest_options.mode = options.mode;
  ingest_options.unlogged = options.unlogged;
  ingest_options.allow_meter = options.allow_meter;
  ingest_options.dry_run = options.dry_run;

  CsvImportReport report;
  if (options.mode == ingest::BatchMode::kAllOrNothing || parsed.size() <= kWriteBatch) {
    ZP_ASSIGN_OR_RETURN(ingest::IngestReport r, ingest::Ingest(engine, parsed, parse_errors,
                                                               ingest_options, options.source));
    report.received = r.received;
    report.accepted = r.accepted;
    report.rejected = std::move(r.errors);
    if (options.write_progress) options.write_progress(report.accepted, report.accepted);
  } else {
    // Parse errors are reported once, with the first batch.
    std::vector<ingest::RowError> pending_parse_errors = std::move(parse_errors);
    for (size_t begin = 0; begin < parsed.size(); begin += kWriteBatch) {
      const size_t end = std::min(parsed.size(), begin + kWriteBatch);
      std::vector<ingest::ParsedReading> batch(parsed.begin() + static_cast<ptrdiff_t>(begin),
                                               parsed.begin() + static_cast<ptrdiff_t>(end));
      ZP_ASSIGN_OR_RETURN(ingest::IngestReport r,
                          ingest::Ingest(engine, batch, std::move(pending_parse_errors),
                                         ingest_options, options.source));
      pending_parse_errors.clear();
      report.received += r.received;
      report.accepted += r.accepted;
      report.rejected.insert(report.rejected.end(), r.errors.begin(), r.errors.end());
      if (options.write_progress) {
        options.write_progress(static_cast<int64_t>(end), static_cast<int64_t>(parsed.size()));
      }
    }
    std::stable_sort(
        report.rejected.begin(), report.rejected.end(),
        [](const ingest::RowError& a, const ingest::RowError& b) { return a.line < b.line; });
  }

  if (report.accepted > 0) {
    // Lines the pipeline refused (not merely lines with one bad column) hold no accepted reading.
    std::set<int32_t> refused_lines;
    for (const ingest::RowError& e : report.rejected) {
      if (parse_error_lines.count(e.line) == 0) refused_lines.insert(e.line);
    }
    ZP_RETURN_IF_ERROR(FindGaps(engine, parsed, refused_lines, &report.suspected_gaps));
    if (options.preview > 0) {
      std::set<int32_t> bad_lines = std::move(refused_lines);
      for (const ingest::RowError& e : report.rejected) bad_lines.insert(e.line);
      for (const ingest::ParsedReading& p : parsed) {
        if (report.preview.size() >= options.preview) break;
        if (bad_lines.count(p.line) == 0) report.preview.push_back(p);
      }
    }
  }
  return report;
}

Result<ingest::CsvMapping> LoadCsvMapping(engine::Engine& engine, std::string_view name) {
  if (!model::IsValidCode(name)) {
    return InvalidArgumentError(fmt::format(
        "mapping name '{}' is not valid: use 1-64 characters of A-Z a-z 0-9 . _ -", name));
  }
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> json,
                      engine.GetSetting(fmt::format("{}{}", kCsvMappingSettingPrefix, name)));
  if (!json.has_value()) {
    return NotFoundError(fmt::format("no saved CSV mapping named '{}'", name));
  }
  Result<ingest::CsvMapping> mapping = ingest::CsvMappingFromJson(*json);
  if (!mapping.ok()) {
    return mapping.error().WithContext(fmt::format("saved CSV mapping '{}'", name));
  }
  mapping->name = std::string(name);
  return mapping;
}

Status SaveCsvMapping(engine::Engine& engine, const ingest::CsvMapping& mapping) {
  if (!model::IsValidCode(mapping.name)) {
    return InvalidArgumentError(fmt::format(
        "mapping name '{}' is not valid: use 1-64 characters of A-Z a-z 0-9 . _ -", mapping.name));
  }
  ZP_RETURN_IF_ERROR(ingest::ValidateCsvMapping(mapping));
  return engine.PutSetting(fmt::format("{}{}", kCsvMappingSettingPrefix, mapping.name),
                           ingest::CsvMappingToJson(mapping));
}

Result<std::vector<ingest::CsvMapping>> ListCsvMappings(engine::Engine& engine) {
  ZP_ASSIGN_OR_RETURN(auto settings, engine.ListSettings(kCsvMappingSettingPrefix));
  std::vector<ingest::CsvMapping> out;
  out.reserve(settings.size());
  for (const auto& [key, value] : settings) {
    if (value.empty()) continue;  // cleared
    Result<ingest::CsvMapping> mapping = ingest::CsvMappingFromJson(value);
    if (!mapping.ok()) {
      return mapping.error().WithContext(fmt::format("saved CSV mapping '{}'", key));
    }
    std::string_view name = key;
    if (name.starts_with(kCsvMappingSettingPrefix))
      name.remove_prefix(kCsvMappingSettingPrefix.size());
    mapping->name = std::string(name);
    out.push_back(std::move(*mapping));
  }
  return out;
}

}  // namespace zp::server
