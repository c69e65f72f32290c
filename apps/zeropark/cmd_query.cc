// `zeropark query|readings|completeness|corrections|flush|version`.

#include <fmt/format.h>

#include <algorithm>

#include "cli.h"
#include "zp/server/server.h"

namespace zp::cli {
namespace {

struct QueryArgs {
  std::string db;
  std::string by = "park";
  std::string period = "day";
  std::string from;
  std::string to;
  std::vector<std::string> meters;
  std::vector<std::string> enterprises;
  std::vector<std::string> zones;
  std::string carrier;
  std::string industry;
  bool include_generation = false;
  bool csv = false;
};

Result<int64_t> ParseTime(std::string_view option, const std::string& text, const TimeZone& zone) {
  Result<int64_t> t = ParseTimestamp(text, zone);
  if (!t.ok()) {
    return InvalidArgumentError(
        fmt::format("{}: '{}' is not a time ({})", option, text, t.error().message()));
  }
  return *t;
}

// The engine of --db, the park's time zone (read once), and --from/--to read in it.
struct Opened {
  std::unique_ptr<engine::Engine> engine;
  TimeZone zone;
  int64_t from_s = 0;
  int64_t to_s = 0;
};

Result<Opened> OpenRange(const QueryArgs& a) {
  Opened o;
  ZP_ASSIGN_OR_RETURN(o.engine, OpenEngine(a.db, false));
  o.zone = o.engine->zone();
  ZP_ASSIGN_OR_RETURN(o.from_s, ParseTime("--from", a.from, o.zone));
  ZP_ASSIGN_OR_RETURN(o.to_s, ParseTime("--to", a.to, o.zone));
  if (o.from_s >= o.to_s) return InvalidArgumentError("--from must be before --to");
  return o;
}

int RunQuery(const QueryArgs& a) {
  engine::SumQuery q;
  Result<engine::GroupBy> by = engine::ParseGroupBy(a.by);
  if (!by.ok()) return Fail(by.error().WithContext("--by"));
  q.group_by = *by;
  Result<engine::Period> period = engine::ParsePeriod(a.period);
  if (!period.ok()) return Fail(period.error().WithContext("--period"));
  q.period = *period;
  Result<Opened> o = OpenRange(a);
  if (!o.ok()) return Fail(o.error());
  engine::Engine& e = *o->engine;
  q.from_s = o->from_s;
  q.to_s = o->to_s;
  q.meters = a.meters;
  q.enterprises = a.enterprises;
  q.zones = a.zones;
  if (!a.carrier.empty()) {
    Result<units::Carrier> c = units::ParseCarrier(a.carrier);
    if (!c.ok()) return Fail(c.error().WithContext("--carrier"));
    q.carrier = *c;
  }
  q.industry_prefix = a.industry;
  q.include_generation = a.include_generation;
  Result<std::vector<engine::SumRow>> rows = e.Sums(q);
  if (!rows.ok()) return Fail(rows.error());
  std::vector<std::vector<std::string>> table;
  table.reserve(rows->size());
  for (const engine::SumRow& row : *rows) {
    const units::CarrierInfo& info = units::GetCarrierInfo(row.carrier);
    table.push_back({row.group, std::string(info.code), std::string(info.canonical_unit),
                     FormatTimestamp(row.period_start_s, o->zone),
                     a.csv ? fmt::format("{:.12g}", row.value) : fmt::format("{:.3f}", row.value),
                     std::to_string(row.readings)});
  }
  if (a.csv) {
    PrintTable({"group", "carrier", "unit", "period", "value", "readings"}, table, true);
  } else {
    PrintTable({"group / 分组", "carrier / 品种", "unit / 单位", "period / 时段", "value / 数值",
                "readings / 读数"},
               table, false);
  }
  return 0;
}

int RunReadings(const QueryArgs& a) {
  Result<Opened> o = OpenRange(a);
  if (!o.ok()) return Fail(o.error());
  engine::Engine& e = *o->engine;
  const TimeZone& zone = o->zone;
  Result<std::vector<tsdb::Point>> points = e.ReadRaw(a.meters.front(), o->from_s, o->to_s);
  if (!points.ok()) return Fail(points.error());
  std::vector<std::vector<std::string>> table;
  table.reserve(points->size());
  for (const tsdb::Point& p : *points) {
    table.push_back({FormatTimestamp(p.ts_s, zone), Num(p.value)});
  }
  PrintTable({"ts", "value"}, table, a.csv);
  return 0;
}

int RunCompleteness(const QueryArgs& a) {
  Result<Opened> o = OpenRange(a);
  if (!o.ok()) return Fail(o.error());
  engine::Engine& e = *o->engine;
  const TimeZone& zone = o->zone;
  const int32_t from_day = zone.LocalDay(o->from_s);
  const int32_t to_day = zone.LocalDay(o->to_s - 1) + 1;
  Result<std::vector<engine::CompletenessRow>> rows = e.Completeness(a.meters, from_day, to_day);
  if (!rows.ok()) return Fail(rows.error());
  std::vector<std::vector<std::string>> table;
  int64_t expected = 0;
  int64_t received = 0;
  for (const engine::CompletenessRow& row : *rows) {
    expected += row.expected;
    received += std::min(row.received, row.expected);
    table.push_back({row.meter, FormatLocalDay(row.day), std::to_string(row.expected),
                     std::to_string(row.received), std::to_string(row.suspect_zero),
                     std::to_string(row.flagged)});
  }
  PrintTable({"meter", "date", "expected", "received", "suspect_zero", "flagged"}, table, a.csv);
  if (!a.csv && expected > 0) {
    fmt::print("completeness / 完整率: {:.2f}% ({} of {} expected readings)\n",
               100.0 * static_cast<double>(received) / static_cast<double>(expected), received,
               expected);
  }
  return 0;
}

int RunCorrections(const QueryArgs& a) {
  Result<Opened> o = OpenRange(a);
  if (!o.ok()) return Fail(o.error());
  engine::Engine& e = *o->engine;
  const TimeZone& zone = o->zone;
  Result<std::vector<store::Correction>> list = e.Corrections(a.meters.front(), o->from_s, o->to_s);
  if (!list.ok()) return Fail(list.error());
  std::vector<std::vector<std::string>> table;
  for (const store::Correction& c : *list) {
    table.push_back({FormatTimestamp(c.ts_s, zone), Num(c.old_value), Num(c.new_value), c.source,
                     FormatTimestamp(c.recorded_s, zone)});
  }
  PrintTable({"ts", "old_value", "new_value", "source", "recorded"}, table, a.csv);
  return 0;
}

int RunFlush(const std::string& db) {
  Result<std::unique_ptr<engine::Engine>> opened = OpenEngine(db, false);
  if (!opened.ok()) return Fail(opened.error());
  const int64_t points = (*opened)->stats().memtable_points;
  if (Status s = (*opened)->Flush(); !s.ok()) return Fail(s);
  fmt::print("flushed {} readings from the log into chunks / 已落盘\n", points);
  return 0;
}

void AddRange(CLI::App* sub, QueryArgs* a) {
  sub->add_option("--from", a->from,
                  "start, inclusive: 2025-01-01, 2025-01-01T08:00:00+08:00 or Unix seconds / 开始")
      ->required();
  sub->add_option("--to", a->to, "end, exclusive / 结束(不含)")->required();
  sub->add_flag("--csv", a->csv, "print CSV / 输出 CSV");
}

}  // namespace

void AddQueryCommands(CLI::App& app, Runner* run) {
  {
    auto a = std::make_shared<QueryArgs>();
    CLI::App* sub = app.add_subcommand(
        "query", "sums by meter, enterprise, zone, carrier or park / 分时段汇总查询");
    AddDbOption(sub, &a->db);
    sub->add_option("--by", a->by, "meter, enterprise, zone, carrier or park / 分组")
        ->check(CLI::IsMember({"meter", "enterprise", "zone", "carrier", "park"}))
        ->capture_default_str();
    sub->add_option("--period", a->period, "hour, day, month or year / 周期")
        ->check(CLI::IsMember({"hour", "day", "month", "year"}))
        ->capture_default_str();
    AddRange(sub, a.get());
    sub->add_option("--meter", a->meters, "only these meters (repeatable) / 表计")->delimiter(',');
    sub->add_option("--enterprise", a->enterprises, "only these enterprises / 企业")
        ->delimiter(',');
    sub->add_option("--zone", a->zones, "only these zones / 网格")->delimiter(',');
    sub->add_option("--carrier", a->carrier, "only this carrier, e.g. electricity / 能源品种");
    sub->add_option("--industry", a->industry, "industry code prefix, e.g. C36 / 行业");
    sub->add_flag("--include-generation", a->include_generation,
                  "also count sub, virtual and generation meters above meter level");
    sub->callback([a, run] { *run = [a] { return RunQuery(*a); }; });
  }
  {
    auto a = std::make_shared<QueryArgs>();
    CLI::App* sub = app.add_subcommand("readings", "raw readings of a meter / 原始读数");
    AddDbOption(sub, &a->db);
    sub->add_option("--meter", a->meters, "meter code / 表计")->required()->expected(1);
    AddRange(sub, a.get());
    sub->callback([a, run] { *run = [a] { return RunReadings(*a); }; });
  }
  {
    auto a = std::make_shared<QueryArgs>();
    CLI::App* sub =
        app.add_subcommand("completeness", "readings expected and received per day / 数据完整率");
    AddDbOption(sub, &a->db);
    sub->add_option("--meter", a->meters, "meters (repeatable; default all) / 表计")
        ->delimiter(',');
    AddRange(sub, a.get());
    sub->callback([a, run] { *run = [a] { return RunCompleteness(*a); }; });
  }
  {
    auto a = std::make_shared<QueryArgs>();
    CLI::App* sub =
        app.add_subcommand("corrections", "corrected readings with provenance / 数据更正记录");
    AddDbOption(sub, &a->db);
    sub->add_option("--meter", a->meters, "meter code / 表计")->required()->expected(1);
    AddRange(sub, a.get());
    sub->callback([a, run] { *run = [a] { return RunCorrections(*a); }; });
  }
  {
    auto db = std::make_shared<std::string>();
    CLI::App* sub =
        app.add_subcommand("flush", "write logged readings into chunks / 将日志中的读数落盘");
    AddDbOption(sub, db.get());
    sub->callback([db, run] { *run = [db] { return RunFlush(*db); }; });
  }
  {
    CLI::App* sub = app.add_subcommand("version", "print the version / 版本");
    sub->callback([run] {
      *run = [] {
        fmt::print("zeropark {}\n", server::Version());
        return 0;
      };
    });
  }
}

}  // namespace zp::cli
