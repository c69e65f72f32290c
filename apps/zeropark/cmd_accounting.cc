// `zeropark energy|carbon|economic|refdata|accounting`: the energy and carbon accounts, the
// enterprise data and the reference data behind them.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.h"
#include "zp/base/time.h"
#include "zp/carbon/service.h"
#include "zp/model/economic.h"
#include "zp/refdata/refdata.h"
#include "zp/report/table.h"

namespace zp::cli {
namespace {

// The engine of --db and the accounting service on it (destroyed before the engine).
struct Session {
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<carbon::AccountingService> service;
};

Result<Session> OpenSession(const std::string& db) {
  Session s;
  ZP_ASSIGN_OR_RETURN(s.engine, OpenEngine(db, false));
  s.service = std::make_unique<carbon::AccountingService>(*s.engine);
  return s;
}

// Accounts for [from, to); a notice on stderr when they take more than a second.
Result<std::shared_ptr<const carbon::CarbonAccounts>> ComputeAccounts(
    carbon::AccountingService& service, int32_t from, int32_t to) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread notice([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(1), [&] { return done; })) {
      fmt::print(stderr, "计算中 / computing accounts {}..{} ...\n", energy::MonthLabel(from),
                 energy::MonthLabel(to - 1));
    }
  });
  Result<std::shared_ptr<const carbon::CarbonAccounts>> accounts = service.Accounts(from, to);
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  notice.join();
  return accounts;
}

// Writes `data` to `out` (then reports how many rows) or, when `out` is empty or "-", to stdout.
int WriteOutput(std::string_view data, const std::string& out, size_t rows) {
  if (out.empty() || out == "-") {
    std::fwrite(data.data(), 1, data.size(), stdout);
    return 0;
  }
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file.write(data.data(), static_cast<std::streamsize>(data.size()));
  file.close();
  if (!file) return Fail(fmt::format("cannot write {} / 无法写入", out));
  fmt::print("wrote {} rows to {} / 已写入 {} 行\n", rows, out, rows);
  return 0;
}

// --- month ranges: --year | --month | --from [--to]; default the latest year with readings.

struct RangeArgs {
  std::optional<int32_t> year;
  std::string month;
  std::string from;
  std::string to;
};

void AddRangeOptions(CLI::App* sub, RangeArgs* r, bool with_month) {
  CLI::Option* year =
      sub->add_option(
             "--year", r->year,
             "calendar year (default: the latest year with readings) / 年份(默认最近有数据的年份)")
          ->check(CLI::Range(1970, 2200));
  CLI::Option* from =
      sub->add_option("--from", r->from, "first month, e.g. 2025-01 (or a year) / 起始月份");
  CLI::Option* to =
      sub->add_option("--to", r->to, "last month, inclusive, e.g. 2025-06 / 截止月份(含)");
  to->needs(from);
  year->excludes(from);
  year->excludes(to);
  if (with_month) {
    CLI::Option* month = sub->add_option("--month", r->month, "one month, e.g. 2025-03 / 月份");
    month->excludes(year);
    month->excludes(from);
    month->excludes(to);
  }
}

Result<std::pair<int32_t, int32_t>> MonthsOf(const RangeArgs& r,
                                             carbon::AccountingService& service) {
  if (!r.month.empty()) {
    Result<std::pair<int32_t, int32_t>> m = carbon::ParseMonthRange(r.month, "");
    if (!m.ok()) return m.status().WithContext("--month");
    if (m->second - m->first != 1) {
      return InvalidArgumentError(
          fmt::format("--month: '{}' is not a month such as 2025-03", r.month));
    }
    return m;
  }
  if (!r.from.empty()) {
    Result<std::pair<int32_t, int32_t>> m = carbon::ParseMonthRange(r.from, r.to);
    if (!m.ok()) return m.status().WithContext("--from/--to");
    return m;
  }
  const int32_t y = r.year ? *r.year : service.DefaultYear();
  return std::pair{MonthIndex(y, 1), MonthIndex(y + 1, 1)};
}

// --- energy / carbon reports.

enum class Book { kEnergy, kCarbon };

struct ReportArgs {
  std::string db;
  std::string by = "park";
  std::string period = "year";
  RangeArgs range;
  std::vector<std::string> enterprises;
  std::vector<std::string> zones;
  std::string industry;
  std::string format = "text";
  std::string header;
  std::string out;
  bool bom = false;
};

Result<report::HeaderStyle> ParseHeaderStyle(std::string_view s) {
  if (s == "keys") return report::HeaderStyle::kKeys;
  if (s == "bilingual") return report::HeaderStyle::kBilingual;
  if (s == "zh") return report::HeaderStyle::kZh;
  if (s == "en") return report::HeaderStyle::kEn;
  return InvalidArgumentError(fmt::format("--header: '{}' is not keys, bilingual, zh or en", s));
}

// A table as text, CSV or .xlsx bytes.
Result<std::string> Render(const report::Table& t, const ReportArgs& a) {
  if (a.format == "xlsx") return report::ToXlsx(t);
  if (a.format == "csv") {
    report::HeaderStyle style = report::HeaderStyle::kKeys;
    if (!a.header.empty()) {
      ZP_ASSIGN_OR_RETURN(style, ParseHeaderStyle(a.header));
    }
    return report::ToCsv(t, style, /*with_notes=*/false, a.bom);
  }
  report::HeaderStyle style = report::HeaderStyle::kBilingual;
  if (!a.header.empty()) {
    ZP_ASSIGN_OR_RETURN(style, ParseHeaderStyle(a.header));
  }
  return report::ToText(t, style);
}

bool XlsxWithoutFile(std::string_view format, const std::string& out) {
  return format == "xlsx" && (out.empty() || (out == "-" && isatty(STDOUT_FILENO) != 0));
}

int RunReport(Book book, const ReportArgs& a) {
  if (XlsxWithoutFile(a.format, a.out)) {
    return Fail(
        "--format xlsx needs --out FILE.xlsx (binary output is not written to a terminal) / "
        "xlsx 格式需要 --out 文件");
  }
  energy::ReportQuery q;
  Result<energy::Group> group = energy::ParseGroup(a.by);
  if (!group.ok()) return Fail(group.status().WithContext("--by"));
  q.group = *group;
  Result<energy::Period> period = energy::ParsePeriod(a.period);
  if (!period.ok()) return Fail(period.status().WithContext("--period"));
  q.period = *period;
  q.enterprises = a.enterprises;
  q.zones = a.zones;
  q.industry_prefix = a.industry;

  Result<Session> s = OpenSession(a.db);
  if (!s.ok()) return Fail(s.status());
  Result<std::pair<int32_t, int32_t>> months = MonthsOf(a.range, *s->service);
  if (!months.ok()) return Fail(months.status());
  q.from_month = months->first;
  q.to_month = months->second;
  Result<std::shared_ptr<const carbon::CarbonAccounts>> accounts =
      ComputeAccounts(*s->service, q.from_month, q.to_month);
  if (!accounts.ok()) return Fail(accounts.status());
  const carbon::CarbonAccounts& ca = **accounts;

  std::string data;
  size_t rows = 0;
  if (book == Book::kEnergy) {
    Result<std::vector<energy::EnergyRow>> r = energy::EnergyReport(ca.energy(), q);
    if (!r.ok()) return Fail(r.status());
    rows = r->size();
    if (a.format == "json") {
      data = carbon::EnergyJson(ca, *r, q) + "\n";
    } else {
      Result<std::string> rendered = Render(carbon::EnergyTable(*r, q), a);
      if (!rendered.ok()) return Fail(rendered.status());
      data = std::move(*rendered);
    }
  } else {
    Result<std::vector<carbon::CarbonRow>> r = carbon::CarbonReport(ca, q);
    if (!r.ok()) return Fail(r.status());
    rows = r->size();
    if (a.format == "json") {
      data = carbon::CarbonJson(ca, *r, q) + "\n";
    } else {
      Result<std::string> rendered = Render(carbon::CarbonTable(*r, q), a);
      if (!rendered.ok()) return Fail(rendered.status());
      data = std::move(*rendered);
    }
  }
  return WriteOutput(data, a.out, rows);
}

void AddReportOptions(CLI::App* sub, ReportArgs* a) {
  AddDbOption(sub, &a->db);
  sub->add_option("--by", a->by, "enterprise, industry, zone, carrier or park / 分组")
      ->check(CLI::IsMember({"enterprise", "industry", "zone", "carrier", "park"}))
      ->capture_default_str();
  sub->add_option("--period", a->period, "month or year / 周期")
      ->check(CLI::IsMember({"month", "year"}))
      ->capture_default_str();
  AddRangeOptions(sub, &a->range, /*with_month=*/false);
  sub->add_option("--enterprise", a->enterprises, "only these enterprises (repeatable) / 企业")
      ->delimiter(',');
  sub->add_option("--zone", a->zones, "only these zones (repeatable) / 网格")->delimiter(',');
  sub->add_option("--industry", a->industry, "industry code prefix, e.g. C36 / 行业");
  sub->add_option("--format", a->format, "text, csv, json or xlsx (xlsx needs --out) / 输出格式")
      ->check(CLI::IsMember({"text", "csv", "json", "xlsx"}))
      ->capture_default_str();
  sub->add_option("--header", a->header,
                  "column headers: keys (CSV default), bilingual (text default), zh or en / 表头");
  sub->add_option("-o,--out", a->out, "write to this file instead of stdout / 输出文件");
  sub->add_flag("--bom", a->bom, "CSV starts with a UTF-8 byte-order mark (Excel)");
}

// --- explain (derivation of one figure) and the core indicator.

struct ExplainArgs {
  std::string db;
  std::string entity;
  RangeArgs range;
  std::string carrier;
  std::string format = "text";
};

int RunExplain(const ExplainArgs& a) {
  std::optional<units::Carrier> carrier;
  if (!a.carrier.empty()) {
    Result<units::Carrier> c = units::ParseCarrier(a.carrier);
    if (!c.ok()) return Fail(c.status().WithContext("--carrier"));
    carrier = *c;
  }
  Result<Session> s = OpenSession(a.db);
  if (!s.ok()) return Fail(s.status());
  Result<std::pair<int32_t, int32_t>> months = MonthsOf(a.range, *s->service);
  if (!months.ok()) return Fail(months.status());
  Result<std::shared_ptr<const carbon::CarbonAccounts>> accounts =
      ComputeAccounts(*s->service, months->first, months->second);
  if (!accounts.ok()) return Fail(accounts.status());
  Result<carbon::CarbonDerivation> d =
      carbon::ExplainCarbon(**accounts, a.entity, months->first, months->second, carrier);
  if (!d.ok()) return Fail(d.status());
  const std::string out =
      a.format == "json" ? carbon::DerivationJson(*d) + "\n" : carbon::DerivationText(*d);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

void AddExplainCommand(CLI::App* parent, Runner* run) {
  auto a = std::make_shared<ExplainArgs>();
  CLI::App* sub = parent->add_subcommand("explain",
                                         "derivation of a figure: readings, rollups, factor rows "
                                         "and their sources / 数值推导与因子来源");
  AddDbOption(sub, &a->db);
  sub->add_option("--entity", a->entity,
                  "enterprise code, PARK (own use and losses) or park (total) / 企业、PARK 或 park")
      ->required();
  AddRangeOptions(sub, &a->range, /*with_month=*/true);
  sub->add_option("--carrier", a->carrier, "only this carrier, e.g. electricity / 能源品种");
  sub->add_option("--format", a->format, "text or json / 输出格式")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->callback([a, run] { *run = [a] { return RunExplain(*a); }; });
}

struct CoreArgs {
  std::string db;
  std::optional<int32_t> year;
  std::string format = "text";
};

std::string Ratio(const nlohmann::json& v, bool percent) {
  if (!v.is_number()) return "—";
  return percent ? fmt::format("{:.1f} %", v.get<double>() * 100)
                 : fmt::format("{:.4f}", v.get<double>());
}

// A short bilingual summary of CoreIndicatorJson.
int PrintCoreText(const std::string& doc) {
  const nlohmann::json j = nlohmann::json::parse(doc, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Fail("core indicator: unreadable result");
  const double target = j.value("target_tco2_per_tce", 0.0);
  const double clean_target = j.value("target_clean_share", 0.0);
  const nlohmann::json& tce = j["tce"];
  const nlohmann::json& co2 = j["tco2"];
  fmt::print("核心指标 / Core indicator {} ({} months / 个月)\n", j.value("year", 0),
             j.value("months", 0));
  fmt::print(
      "综合能耗 / energy: {:.3f} tce (当量值 equivalent), {:.3f} tce (等价值 coal-equivalent)\n",
      tce.value("equivalent", 0.0), tce.value("coal_equivalent", 0.0));
  fmt::print(
      "二氧化碳 / CO2: {:.3f} t (基于市场 market-based), {:.3f} t (基于位置 location-based)\n",
      co2.value("market", 0.0), co2.value("location", 0.0));
  auto verdict = [](const nlohmann::json& v, double limit, bool at_most) -> std::string {
    if (!v.is_number()) return "—";
    const double x = v.get<double>();
    return (at_most ? x <= limit : x >= limit) ? "达标 / met" : "未达标 / not met";
  };
  std::vector<std::vector<std::string>> rows;
  for (const char* method : {"market", "location"}) {
    const nlohmann::json& m = j["tco2_per_tce"][method];
    rows.push_back({std::string(method) == "market" ? "基于市场 / market" : "基于位置 / location",
                    Ratio(m["equivalent"], false), verdict(m["equivalent"], target, true),
                    Ratio(m["coal_equivalent"], false),
                    verdict(m["coal_equivalent"], target, true)});
  }
  rows.push_back({"清洁能源占比 / clean share", Ratio(j["clean_share"]["equivalent"], true),
                  verdict(j["clean_share"]["equivalent"], clean_target, false),
                  Ratio(j["clean_share"]["coal_equivalent"], true),
                  verdict(j["clean_share"]["coal_equivalent"], clean_target, false)});
  PrintTable({"tCO2/tce", "当量值 / equivalent", "", "等价值 / coal-equivalent", ""}, rows, false);
  fmt::print("目标 / target: ≤ {} tCO2/tce ({}); 清洁能源 / clean energy ≥ {:.0f} %\n", target,
             j.value("target_note", ""), clean_target * 100);
  fmt::print("来源 / source: {}; {}\n", j.value("target_source", ""),
             j.value("target_clean_share_source", ""));
  return 0;
}

int RunCore(const CoreArgs& a) {
  Result<Session> s = OpenSession(a.db);
  if (!s.ok()) return Fail(s.status());
  const int32_t year = a.year ? *a.year : s->service->DefaultYear();
  Result<std::shared_ptr<const carbon::CarbonAccounts>> accounts =
      ComputeAccounts(*s->service, MonthIndex(year, 1), MonthIndex(year + 1, 1));
  if (!accounts.ok()) return Fail(accounts.status());
  const std::string doc = carbon::CoreIndicatorJson(**accounts, year);
  if (a.format == "json") {
    fmt::print("{}\n", doc);
    return 0;
  }
  return PrintCoreText(doc);
}

// --- economic (enterprise data).

struct EconomicArgs {
  std::string db;
  std::string file;
  std::string enterprise;
  std::string indicator;
  std::string item;
  std::string period;
  bool history = false;
  std::string format = "text";
};

int RunEconomicImport(const EconomicArgs& a) {
  Result<std::string> text = ReadFile(a.file);
  if (!text.ok()) return Fail(text.status());
  Result<std::vector<model::EnterpriseDatum>> rows =
      model::ParseEnterpriseDataCsv(*text, fmt::format("zeropark economic import {}", a.file));
  if (!rows.ok()) {
    return Fail(
        rows.status().WithContext(fmt::format("{}: nothing was stored / 有错误, 未保存", a.file)));
  }
  if (rows->empty()) return Fail(fmt::format("{}: no rows / 没有数据", a.file));
  Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.status());
  Result<std::vector<model::EnterpriseDatum>> stored =
      (*engine)->PutEnterpriseData(std::move(*rows));
  if (!stored.ok()) {
    return Fail(
        stored.status().WithContext(fmt::format("{}: nothing was stored / 未保存", a.file)));
  }
  (void)AuditCli(
      **engine, "economic", "",
      fmt::format(R"({{"file":{},"stored":{}}})", nlohmann::json(a.file).dump(), stored->size()));
  fmt::print("stored {} rows from {} / 已保存 {} 行\n", stored->size(), a.file, stored->size());
  return 0;
}

int RunEconomicList(const EconomicArgs& a) {
  Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.status());
  Result<std::vector<model::EnterpriseDatum>> rows =
      (*engine)->EnterpriseData(a.enterprise, a.indicator, a.history);
  if (!rows.ok()) return Fail(rows.status());
  if (a.format == "csv") {
    const std::string csv = model::EnterpriseDataToCsv(*rows, a.history);
    std::fwrite(csv.data(), 1, csv.size(), stdout);
    return 0;
  }
  const TimeZone zone = (*engine)->zone();
  std::vector<std::string> header = {"enterprise / 企业", "indicator / 指标",    "item / 项目",
                                     "period / 期间",     "value / 数值",        "unit / 单位",
                                     "note / 备注",       "recorded / 记录时间", "source / 来源"};
  if (a.history) {
    header.insert(header.begin(), "seq");
    header.push_back("deleted / 已删除");
  }
  std::vector<std::vector<std::string>> table;
  table.reserve(rows->size());
  for (const model::EnterpriseDatum& d : *rows) {
    std::vector<std::string> row = {
        d.enterprise_code, d.indicator, d.item, model::FormatDataPeriod(d.period),
        Num(d.value),      d.unit,      d.note, FormatTimestamp(d.recorded_s, zone),
        d.source};
    if (a.history) {
      row.insert(row.begin(), std::to_string(d.seq));
      row.push_back(d.deleted ? "yes" : "");
    }
    table.push_back(std::move(row));
  }
  PrintTable(header, table, false);
  return 0;
}

int RunEconomicDelete(const EconomicArgs& a) {
  Result<model::DataPeriod> period = model::ParseDataPeriod(a.period);
  if (!period.ok()) return Fail(period.status().WithContext("--period"));
  Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.status());
  Status s = (*engine)->DeleteEnterpriseDatum(a.enterprise, a.indicator, a.item, *period,
                                              "zeropark economic delete");
  if (!s.ok()) return Fail(s);
  (void)AuditCli(**engine,
                 fmt::format("economic {} {} {} {}", a.enterprise, a.indicator, a.item,
                             model::FormatDataPeriod(*period)),
                 "", R"({"deleted":true})");
  fmt::print("deleted {} {}{}{} {} / 已删除\n", a.enterprise, a.indicator,
             a.item.empty() ? "" : " ", a.item, model::FormatDataPeriod(*period));
  return 0;
}

int RunEconomicIndicators() {
  std::vector<std::vector<std::string>> rows;
  for (const model::IndicatorInfo& i : model::AllIndicators()) {
    rows.push_back({std::string(i.code), std::string(i.name_zh), std::string(i.name_en),
                    i.unit.empty() ? "(any / 任意)" : std::string(i.unit),
                    i.needs_item ? "yes" : ""});
  }
  PrintTable({"code / 代码", "name / 中文名", "name (en)", "unit / 单位", "item needed / 需填项目"},
             rows, false);
  return 0;
}

// --- refdata.

struct RefdataArgs {
  std::string db;
  std::string table;
  std::string format = "text";
  std::string file;
  std::string id;
  std::string out;
  bool park_only = false;
};

int RunRefdataList(const RefdataArgs& a) {
  Result<Session> s = OpenSession(a.db);
  if (!s.ok()) return Fail(s.status());
  Result<std::shared_ptr<const refdata::RefData>> ref = s->service->Ref();
  if (!ref.ok()) return Fail(ref.status());
  std::vector<std::pair<const refdata::FactorRow*, bool>> rows;  // row, overridden
  for (const refdata::FactorRow* r : (*ref)->Rows(a.table)) rows.emplace_back(r, false);
  for (const refdata::FactorRow* r : (*ref)->OverriddenRows()) {
    if (a.table.empty() || r->table == a.table) rows.emplace_back(r, true);
  }
  const bool csv = a.format == "csv";
  std::vector<std::vector<std::string>> table;
  table.reserve(rows.size());
  for (const auto& [r, overridden] : rows) {
    const std::string layer = overridden ? "overridden" : r->layer;
    if (csv) {
      table.push_back({r->id, r->table, r->dataset, r->item, r->variant, r->region,
                       fmt::format("{}", r->value), r->unit, refdata::FormatDay(r->valid_from_day),
                       refdata::FormatDay(r->valid_to_day), r->source, r->confidence, r->note,
                       layer});
    } else {
      table.push_back({r->id, r->table, r->item, r->variant, r->region.empty() ? "*" : r->region,
                       fmt::format("{}", r->value), r->unit, refdata::FormatDay(r->valid_from_day),
                       refdata::FormatDay(r->valid_to_day), r->dataset, r->confidence, layer});
    }
  }
  if (csv) {
    PrintTable({"id", "table", "dataset", "item", "variant", "region", "value", "unit",
                "valid_from", "valid_to", "source", "confidence", "note", "layer"},
               table, true);
    return 0;
  }
  PrintTable({"id", "table / 表", "item / 项", "variant / 类别", "region / 地区", "value / 数值",
              "unit / 单位", "from / 起", "to / 止", "dataset / 依据", "confidence / 可信度",
              "layer / 层"},
             table, false);
  fmt::print(
      "{} rows; layer: builtin = 内置, park = 园区自定义, overridden = 被同 id 园区行替换 / "
      "replaced by a park row with the same id. Sources: --format csv\n",
      table.size());
  return 0;
}

int RunRefdataImport(const RefdataArgs& a) {
  Result<std::string> text = ReadFile(a.file);
  if (!text.ok()) return Fail(text.status());
  Result<Session> s = OpenSession(a.db);
  if (!s.ok()) return Fail(s.status());
  Result<std::string> before = s->service->ParkRowsCsv();
  Result<int32_t> n = s->service->ImportParkRows(*text, a.file);
  if (!n.ok()) {
    return Fail(n.status().WithContext(fmt::format("{}: nothing was imported / 未导入", a.file)));
  }
  Result<std::string> after = s->service->ParkRowsCsv();
  (void)AuditCli(*s->engine, "refdata park rows",
                 before.ok() ? nlohmann::json(*before).dump() : std::string(),
                 after.ok() ? nlohmann::json(*after).dump() : std::string());
  fmt::print("imported {} park reference-data rows from {} / 已导入园区因子 {} 行\n", *n, a.file,
             *n);
  return 0;
}

int RunRefdataExport(const RefdataArgs& a) {
  Result<Session> s = OpenSession(a.db);
  if (!s.ok()) return Fail(s.status());
  std::string csv;
  size_t count = 0;
  if (a.park_only) {
    Result<std::string> park = s->service->ParkRowsCsv();
    if (!park.ok()) return Fail(park.status());
    csv = std::move(*park);
    Result<std::vector<refdata::FactorRow>> parsed = refdata::ParseFactorCsv(csv, "park rows");
    if (parsed.ok()) count = parsed->size();
  } else {
    Result<std::shared_ptr<const refdata::RefData>> ref = s->service->Ref();
    if (!ref.ok()) return Fail(ref.status());
    std::vector<refdata::FactorRow> rows;
    for (const refdata::FactorRow* r : (*ref)->Rows()) rows.push_back(*r);
    count = rows.size();
    csv = refdata::FactorRowsToCsv(rows);
  }
  return WriteOutput(csv, a.out, count);
}

int RunRefdataDelete(const RefdataArgs& a) {
  Result<Session> s = OpenSession(a.db);
  if (!s.ok()) return Fail(s.status());
  Result<std::string> before = s->service->ParkRowsCsv();
  if (Status st = s->service->DeleteParkRow(a.id); !st.ok()) return Fail(st);
  Result<std::string> after = s->service->ParkRowsCsv();
  (void)AuditCli(*s->engine, "refdata park rows",
                 before.ok() ? nlohmann::json(*before).dump() : std::string(),
                 after.ok() ? nlohmann::json(*after).dump() : std::string());
  fmt::print("deleted park row {} / 已删除园区因子\n", a.id);
  return 0;
}

int RunRefdataProvinces(const RefdataArgs& a) {
  Result<Session> s = OpenSession(a.db);
  if (!s.ok()) return Fail(s.status());
  Result<std::shared_ptr<const refdata::RefData>> ref = s->service->Ref();
  if (!ref.ok()) return Fail(ref.status());
  std::vector<std::vector<std::string>> rows;
  for (const refdata::Province& p : (*ref)->provinces()) {
    std::string region = p.grid_region;
    for (const refdata::GridRegion& g : (*ref)->grid_regions()) {
      if (g.code == p.grid_region) region += " (" + g.name_zh + " / " + g.name_en + ")";
    }
    rows.push_back({p.code, p.name_zh, p.name_en, region});
  }
  PrintTable({"code / 代码", "name / 名称", "name (en)", "grid region / 区域电网"}, rows,
             a.format == "csv");
  return 0;
}

// --- accounting settings.

struct SettingsArgs {
  std::string db;
  std::optional<std::string> grid_scope;
  std::optional<std::string> fuel_datasets;
  std::vector<std::string> fuels;  // carrier=fuel
  std::optional<std::string> green_source;
};

// The fuel codes and datasets of the fuel table, to catch typos before they are stored.
Status CheckFuelOptions(const carbon::Options& o, const refdata::RefData& ref) {
  const std::vector<const refdata::FactorRow*> fuel_rows = ref.Rows(refdata::kFuel);
  auto known = [&](auto field) {
    std::vector<std::string> v;
    for (const refdata::FactorRow* r : fuel_rows) {
      if (std::find(v.begin(), v.end(), r->*field) == v.end()) v.push_back(r->*field);
    }
    return v;
  };
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  const std::vector<std::string> datasets = known(&refdata::FactorRow::dataset);
  for (const std::string& d : o.fuel_datasets) {
    if (std::find(datasets.begin(), datasets.end(), d) == datasets.end()) {
      return InvalidArgumentError(
          fmt::format("--fuel-datasets: no fuel rows of dataset '{}' (known: {}) / 无此数据集", d,
                      join(datasets)));
    }
  }
  const std::vector<std::string> fuels = known(&refdata::FactorRow::item);
  for (const auto& [c, fuel] : o.fuel_of) {
    if (std::find(fuels.begin(), fuels.end(), fuel) == fuels.end()) {
      return InvalidArgumentError(
          fmt::format("--fuel {}: no fuel '{}' in the fuel table (known: {}) "
                      "/ 燃料表中无此燃料",
                      units::GetCarrierInfo(c).code, fuel, join(fuels)));
    }
  }
  return Status::OK();
}

int RunSettings(const SettingsArgs& a) {
  Result<Session> s = OpenSession(a.db);
  if (!s.ok()) return Fail(s.status());
  carbon::AccountingService& service = *s->service;
  Result<carbon::Options> o = service.CarbonOptions();
  if (!o.ok()) return Fail(o.status());
  Result<std::shared_ptr<const refdata::RefData>> ref = service.Ref();
  if (!ref.ok()) return Fail(ref.status());
  const bool change = a.grid_scope || a.fuel_datasets || !a.fuels.empty() || a.green_source;
  if (a.green_source) {
    Result<carbon::GreenSource> g = carbon::ParseGreenSource(*a.green_source);
    if (!g.ok()) return Fail(g.status().WithContext("--green-source"));
    o->green_source = *g;
  }
  if (a.grid_scope) {
    Result<carbon::GridScope> g = carbon::ParseGridScope(*a.grid_scope);
    if (!g.ok()) return Fail(g.status().WithContext("--grid-scope"));
    o->grid_scope = *g;
  }
  if (a.fuel_datasets) {
    o->fuel_datasets.clear();
    std::string_view rest = *a.fuel_datasets;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view d = rest.substr(0, comma);
      while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
      while (!d.empty() && d.back() == ' ') d.remove_suffix(1);
      if (!d.empty()) o->fuel_datasets.emplace_back(d);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  for (const std::string& f : a.fuels) {
    const size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.size()) {
      return Fail(fmt::format("--fuel '{}': expected CARRIER=FUEL, e.g. raw_coal=anthracite", f));
    }
    Result<units::Carrier> c = units::ParseCarrier(f.substr(0, eq));
    if (!c.ok()) return Fail(c.status().WithContext("--fuel"));
    o->fuel_of[*c] = f.substr(eq + 1);
  }
  if (change) {
    if (Status st = CheckFuelOptions(*o, **ref); !st.ok()) return Fail(st);
    if (Status st = service.PutCarbonOptions(*o); !st.ok()) return Fail(st);
    (void)AuditCli(*s->engine, "accounting settings", "", "");
    Result<carbon::Options> stored = service.CarbonOptions();
    if (!stored.ok()) return Fail(stored.status());
    *o = std::move(*stored);
  }
  std::string datasets;
  for (const std::string& d : o->fuel_datasets) datasets += (datasets.empty() ? "" : ", ") + d;
  std::string regions;
  for (const std::string& r : energy::DefaultRegions(s->engine->GetPark(), **ref)) {
    regions += (regions.empty() ? "" : ", ") + r;
  }
  std::vector<std::vector<std::string>> rows = {
      {"grid_scope / 电网因子范围", std::string(carbon::GridScopeName(o->grid_scope))},
      {"regions / 地区(依次查找)", regions},
      {"fuel_datasets / 燃料参数依据", datasets},
      {"green_source / 绿电来源", std::string(carbon::GreenSourceName(o->green_source))}};
  for (const auto& [c, fuel] : o->fuel_of) {
    const units::CarrierInfo& info = units::GetCarrierInfo(c);
    rows.push_back({fmt::format("fuel {} / {}燃料", info.code, info.name_zh), fuel});
  }
  PrintTable({"setting / 设置", "value / 值"}, rows, false);
  return 0;
}

}  // namespace

void AddAccountingCommands(CLI::App& app, Runner* run) {
  // energy, carbon: reports, with `explain` (and `carbon core`) below them.
  for (const Book book : {Book::kEnergy, Book::kCarbon}) {
    auto a = std::make_shared<ReportArgs>();
    CLI::App* sub =
        book == Book::kEnergy
            ? app.add_subcommand(
                  "energy",
                  "comprehensive energy consumption (tce) by enterprise, industry, zone, carrier "
                  "or park / 综合能耗核算")
            : app.add_subcommand(
                  "carbon",
                  "CO2 emissions (scope 1, scope 2 location/market) and tCO2/tce / 碳排放核算");
    AddReportOptions(sub, a.get());
    AddExplainCommand(sub, run);
    if (book == Book::kCarbon) {
      auto c = std::make_shared<CoreArgs>();
      CLI::App* core = sub->add_subcommand(
          "core",
          "the park's core indicator tCO2/tce and clean-energy share vs the national "
          "targets / 零碳园区核心指标");
      AddDbOption(core, &c->db);
      core->add_option("--year", c->year, "year (default: the latest with readings) / 年份")
          ->check(CLI::Range(1970, 2200));
      core->add_option("--format", c->format, "text or json / 输出格式")
          ->check(CLI::IsMember({"text", "json"}))
          ->capture_default_str();
      core->callback([c, run] { *run = [c] { return RunCore(*c); }; });
    }
    // Runs after a nested subcommand's callback: the report only when none was given.
    sub->callback([a, run, sub, book] {
      if (!sub->get_subcommands().empty()) return;
      *run = [a, book] { return RunReport(book, *a); };
    });
  }

  CLI::App* economic = app.add_subcommand(
      "economic", "enterprise data: added value, output, process CO2, green supply / 企业经济数据");
  economic->require_subcommand(1);
  {
    auto a = std::make_shared<EconomicArgs>();
    CLI::App* sub = economic->add_subcommand(
        "import",
        "import CSV enterprise_code,indicator,item,period,value,unit[,note], all or nothing / "
        "从CSV导入(全部成功或全部不导入)");
    AddDbOption(sub, &a->db);
    sub->add_option("file", a->file, "CSV file / CSV 文件")->required()->check(CLI::ExistingFile);
    sub->callback([a, run] { *run = [a] { return RunEconomicImport(*a); }; });
  }
  {
    auto a = std::make_shared<EconomicArgs>();
    CLI::App* sub = economic->add_subcommand("list", "current values (or history) / 查看数据");
    AddDbOption(sub, &a->db);
    sub->add_option("--enterprise", a->enterprise, "only this enterprise / 企业");
    sub->add_option("--indicator", a->indicator, "only this indicator / 指标");
    sub->add_flag("--history", a->history, "every version, with deletions / 全部历史版本");
    sub->add_option("--format", a->format, "text or csv / 输出格式")
        ->check(CLI::IsMember({"text", "csv"}))
        ->capture_default_str();
    sub->callback([a, run] { *run = [a] { return RunEconomicList(*a); }; });
  }
  {
    auto a = std::make_shared<EconomicArgs>();
    CLI::App* sub = economic->add_subcommand(
        "delete", "delete a current value (history is kept) / 删除(保留历史)");
    AddDbOption(sub, &a->db);
    sub->add_option("--enterprise", a->enterprise, "enterprise code / 企业")->required();
    sub->add_option("--indicator", a->indicator, "indicator code / 指标")->required();
    sub->add_option("--period", a->period, "2025-03 or 2025 / 期间")->required();
    sub->add_option("--item", a->item, "product or contract reference / 产品或合同");
    sub->callback([a, run] { *run = [a] { return RunEconomicDelete(*a); }; });
  }
  {
    auto db = std::make_shared<std::string>();
    CLI::App* sub = economic->add_subcommand("indicators", "indicator codes and units / 指标列表");
    AddDbOption(sub, db.get());  // accepted like everywhere; the list is built in
    sub->callback([run] { *run = [] { return RunEconomicIndicators(); }; });
  }

  CLI::App* ref = app.add_subcommand(
      "refdata", "reference factors: built-in tables and the park's own rows / 参考因子库");
  ref->require_subcommand(1);
  {
    auto a = std::make_shared<RefdataArgs>();
    CLI::App* sub = ref->add_subcommand("list", "effective rows with their layer / 因子列表");
    AddDbOption(sub, &a->db);
    sub->add_option("--table", a->table, "tce, grid_ef, fuel or heat (default all) / 表");
    sub->add_option("--format", a->format, "text or csv (csv has the sources) / 输出格式")
        ->check(CLI::IsMember({"text", "csv"}))
        ->capture_default_str();
    sub->callback([a, run] { *run = [a] { return RunRefdataList(*a); }; });
  }
  {
    auto a = std::make_shared<RefdataArgs>();
    CLI::App* sub = ref->add_subcommand(
        "import", "add or replace park rows from factor CSV (validated first) / 导入园区因子");
    AddDbOption(sub, &a->db);
    sub->add_option("file", a->file, "factor CSV (docs/reference-data.md) / 因子CSV")
        ->required()
        ->check(CLI::ExistingFile);
    sub->callback([a, run] { *run = [a] { return RunRefdataImport(*a); }; });
  }
  {
    auto a = std::make_shared<RefdataArgs>();
    CLI::App* sub = ref->add_subcommand("export", "effective rows as factor CSV / 导出因子CSV");
    AddDbOption(sub, &a->db);
    sub->add_flag("--park-only", a->park_only, "only the park's own rows / 只导出园区行");
    sub->add_option("-o,--out", a->out, "output file (default stdout) / 输出文件");
    sub->callback([a, run] { *run = [a] { return RunRefdataExport(*a); }; });
  }
  {
    auto a = std::make_shared<RefdataArgs>();
    CLI::App* sub = ref->add_subcommand("delete", "delete a park row / 删除园区因子");
    AddDbOption(sub, &a->db);
    sub->add_option("id", a->id, "row id / 因子行 id")->required();
    sub->callback([a, run] { *run = [a] { return RunRefdataDelete(*a); }; });
  }
  {
    auto a = std::make_shared<RefdataArgs>();
    CLI::App* sub =
        ref->add_subcommand("provinces", "provinces and their regional grids / 省份与区域电网");
    AddDbOption(sub, &a->db);
    sub->add_option("--format", a->format, "text or csv / 输出格式")
        ->check(CLI::IsMember({"text", "csv"}))
        ->capture_default_str();
    sub->callback([a, run] { *run = [a] { return RunRefdataProvinces(*a); }; });
  }

  CLI::App* accounting = app.add_subcommand("accounting", "accounting options / 核算设置");
  accounting->require_subcommand(1);
  {
    auto a = std::make_shared<SettingsArgs>();
    CLI::App* sub = accounting->add_subcommand(
        "settings", "show the carbon options, or set the given ones / 查看或修改碳核算设置");
    AddDbOption(sub, &a->db);
    sub->add_option("--grid-scope", a->grid_scope,
                    "grid factor for location-based scope 2: province, region or national / "
                    "电网排放因子范围")
        ->check(CLI::IsMember({"province", "region", "national"}));
    sub->add_option("--fuel-datasets", a->fuel_datasets,
                    "fuel parameter datasets tried in order, e.g. \"GB/T 32151.34-2024,"
                    "NDRC-2015-other\" / 燃料参数依据");
    sub->add_option("--fuel", a->fuels,
                    "CARRIER=FUEL, e.g. raw_coal=anthracite (repeatable) / 燃料品种对应");
    sub->add_option("--green-source", a->green_source,
                    "green electricity for market-based scope 2: manual (hand-entered "
                    "green_direct_kwh) or hourly (hourly matching of metered generation; "
                    "hand-entered rows then ignored) / 绿电来源：手工录入或逐时匹配")
        ->check(CLI::IsMember({"manual", "hourly"}));
    sub->callback([a, run] { *run = [a] { return RunSettings(*a); }; });
  }
}

}  // namespace zp::cli
