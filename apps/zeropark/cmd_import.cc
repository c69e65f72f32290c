// `zeropark import`: CSV readings through a column mapping, with progress and a report.

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli.h"
#include "zp/server/csv_import.h"

namespace zp::cli {
namespace {

struct ImportArgs {
  std::string db;
  std::string mapping;
  std::string mapping_file;
  std::string save_mapping;
  std::string meter;
  bool strict = false;
  int max_errors = 20;
  std::vector<std::string> files;
};

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("cannot open {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return DataLossError(fmt::format("cannot read {}", path));
  return text.str();
}

int RunImport(const ImportArgs& args) {
  Result<std::unique_ptr<engine::Engine>> opened = OpenEngine(args.db, /*background=*/false);
  if (!opened.ok()) return Fail(opened.error());
  engine::Engine& engine = **opened;

  ingest::CsvMapping mapping;
  if (!args.mapping_file.empty()) {
    Result<std::string> json = ReadFile(args.mapping_file);
    if (!json.ok()) return Fail(json.error());
    Result<ingest::CsvMapping> parsed = ingest::CsvMappingFromJson(*json);
    if (!parsed.ok()) return Fail(parsed.error().WithContext(args.mapping_file));
    mapping = std::move(*parsed);
  } else {
    Result<ingest::CsvMapping> loaded = server::LoadCsvMapping(engine, args.mapping);
    if (!loaded.ok()) return Fail(loaded.error());
    mapping = std::move(*loaded);
  }
  if (!args.save_mapping.empty()) {
    mapping.name = args.save_mapping;
    if (Status s = server::SaveCsvMapping(engine, mapping); !s.ok()) {
      return Fail(s.WithContext("--save-mapping"));
    }
    fmt::print(stderr, "saved mapping '{}' / 已保存映射\n", mapping.name);
  }

  const bool tty = StderrIsTerminal();
  const TimeZone& zone = engine.zone();
  int64_t total_accepted = 0;
  int64_t total_rejected = 0;
  int64_t total_received = 0;
  for (const std::string& file : args.files) {
    ingest::CsvMapping file_mapping = mapping;
    if (!args.meter.empty()) {
      std::string meter = args.meter;
      const std::string stem = std::filesystem::path(file).stem().string();
      for (size_t at = meter.find("{stem}"); at != std::string::npos; at = meter.find("{stem}")) {
        meter.replace(at, 6, stem);
      }
      file_mapping.meter = meter;
    }
    Result<std::string> text = ReadFile(file);
    if (!text.ok()) return Fail(text.error());

    server::CsvImportOptions options;
    options.mode = args.strict ? ingest::BatchMode::kAllOrNothing : ingest::BatchMode::kKeepGood;
    options.unlogged = true;  // an import can be redone; durable after the Flush below
    options.source = fmt::format("zeropark import {}", file);
    if (tty) {
      options.parse_progress = [&](const ingest::CsvProgress& p) {
        const int64_t percent = p.bytes_total > 0 ? p.bytes_done * 100 / p.bytes_total : 100;
        fmt::print(stderr, "\r{}: parsing {}% ({} rows)   ", file, percent, p.rows);
      };
      options.write_progress = [&](int64_t written, int64_t total) {
        fmt::print(stderr, "\r{}: writing {}/{} readings   ", file, written, total);
      };
    } else {
      fmt::print(stderr, "{}: importing ({} bytes) ...\n", file, text->size());
    }
    Result<server::CsvImportReport> report =
        server::ImportCsv(engine, *text, file_mapping, options);
    if (tty) fmt::print(stderr, "\r\033[K");
    if (!report.ok()) return Fail(report.error().WithContext(file));
    if (Status s = engine.Flush(); !s.ok()) return Fail(s.WithContext(file));
    (void)AuditCli(engine, "readings " + file, "",
                   fmt::format(R"({{"received":{},"accepted":{},"rejected":{}}})", report->received,
                               report->accepted, report->rejected.size()));

    fmt::print(
        "{}: {} readings received, {} readings accepted, {} rejected / 接收 {} 条, 接受 {} 条, "
        "拒绝 {} 条\n",
        file, report->received, report->accepted, report->rejected.size(), report->received,
        report->accepted, report->rejected.size());
    const size_t shown = std::min<size_t>(report->rejected.size(), std::max(args.max_errors, 0));
    for (size_t i = 0; i < shown; ++i) {
      fmt::print("  line {}: {}\n", report->rejected[i].line, report->rejected[i].reason);
    }
    if (report->rejected.size() > shown) {
      fmt::print("  ... and {} more rejected rows (--max-errors to see more)\n",
                 report->rejected.size() - shown);
    }
    const size_t gaps_shown =
        std::min<size_t>(report->suspected_gaps.size(), std::max(args.max_errors, 0));
    for (size_t i = 0; i < gaps_shown; ++i) {
      const server::SuspectedGap& gap = report->suspected_gaps[i];
      fmt::print("  suspected gap / 疑似缺数: meter {} from {} to {} ({} readings of exact zero)\n",
                 gap.meter, FormatTimestamp(gap.from_s, zone), FormatTimestamp(gap.to_s, zone),
                 gap.readings);
    }
    if (report->suspected_gaps.size() > gaps_shown) {
      fmt::print("  ... and {} more suspected gaps (--max-errors to see more)\n",
                 report->suspected_gaps.size() - gaps_shown);
    }
    total_received += report->received;
    total_accepted += report->accepted;
    total_rejected += static_cast<int64_t>(report->rejected.size());
    if (args.strict && !report->rejected.empty()) {
      return Fail(fmt::format("{}: {} bad rows and --strict: nothing was imported from this file",
                              file, report->rejected.size()));
    }
  }
  if (args.files.size() > 1) {
    fmt::print("total: {} readings received, {} readings accepted, {} rejected\n", total_received,
               total_accepted, total_rejected);
  }
  if (total_accepted == 0) return Fail("nothing was imported / 未导入任何数据");
  return 0;
}

}  // namespace

void AddImportCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* sub = app.add_subcommand("import", "import readings from CSV / 从CSV导入读数");
  AddDbOption(sub, &args->db);
  CLI::Option* mapping =
      sub->add_option("--mapping", args->mapping, "saved mapping name / 已保存的映射名称");
  CLI::Option* mapping_file = sub->add_option("--mapping-file", args->mapping_file,
                                              "mapping as a JSON file / 映射 JSON 文件")
                                  ->check(CLI::ExistingFile);
  mapping->excludes(mapping_file);
  sub->add_option("--save-mapping", args->save_mapping,
                  "save the mapping under this name / 保存映射");
  sub->add_option("--meter", args->meter,
                  "meter code of one-meter files; {stem} is the file name without extension / "
                  "表计编码");
  sub->add_flag("--strict", args->strict, "any bad row fails the file / 有错误行则整体失败");
  sub->add_option("--max-errors", args->max_errors,
                  "rejected rows and suspected gaps to list per file / 列出条数")
      ->capture_default_str();
  sub->add_option("files", args->files, "CSV files / CSV 文件")
      ->required()
      ->check(CLI::ExistingFile);
  sub->callback([args, run, mapping, mapping_file] {
    if (mapping->count() == 0 && mapping_file->count() == 0) {
      throw CLI::ValidationError("--mapping", "give --mapping NAME or --mapping-file FILE");
    }
    *run = [args] { return RunImport(*args); };
  });
}

}  // namespace zp::cli
