// `zeropark registry|park|zone|enterprise|meter`: the park registry from the command line.

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_set>

#include "cli.h"
#include "zp/model/registry_csv.h"

namespace zp::cli {
namespace {

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("cannot open {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- registry import/export

struct RegistryArgs {
  std::string db;
  std::string kind;
  std::string file;
  std::string out;
  bool bom = false;
};

int RunRegistryImport(const RegistryArgs& args) {
  Result<std::string> text = ReadAll(args.file);
  if (!text.ok()) return Fail(text.error());
  std::vector<model::Zone> zones;
  std::vector<model::Enterprise> enterprises;
  std::vector<model::Meter> meters;
  std::vector<model::RegistryRowError> errors;
  size_t count = 0;
  Status file_error;
  if (args.kind == "zones") {
    auto parsed = model::ParseZonesCsv(*text);
    if (!parsed.ok()) return Fail(parsed.error().WithContext(args.file));
    zones = std::move(parsed->records);
    errors = std::move(parsed->errors);
    count = zones.size();
  } else if (args.kind == "enterprises") {
    auto parsed = model::ParseEnterprisesCsv(*text);
    if (!parsed.ok()) return Fail(parsed.error().WithContext(args.file));
    enterprises = std::move(parsed->records);
    errors = std::move(parsed->errors);
    count = enterprises.size();
  } else {
    auto parsed = model::ParseMetersCsv(*text);
    if (!parsed.ok()) return Fail(parsed.error().WithContext(args.file));
    meters = std::move(parsed->records);
    errors = std::move(parsed->errors);
    count = meters.size();
  }
  if (!errors.empty()) {
    for (const model::RegistryRowError& e : errors) {
      fmt::print(stderr, "{}: {}\n", args.file, e.ToString());
    }
    return Fail(fmt::format("{}: {} bad rows; nothing was imported / 有错误, 未导入", args.file,
                            errors.size()));
  }
  Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(args.db, false);
  if (!engine.ok()) return Fail(engine.error());
  if (Status s = (*engine)->ImportRegistry(zones, enterprises, meters); !s.ok()) {
    return Fail(s.WithContext(fmt::format("{}: nothing was imported", args.file)));
  }
  (void)AuditCli(
      **engine, "registry " + args.kind, "",
      fmt::format(R"({{"file":{},"imported":{}}})", nlohmann::json(args.file).dump(), count));
  fmt::print("imported {} {} / 已导入\n", count, args.kind);
  return 0;
}

int RunRegistryExport(const RegistryArgs& args) {
  Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(args.db, false);
  if (!engine.ok()) return Fail(engine.error());
  std::string csv = args.bom ? "\xEF\xBB\xBF" : "";
  if (args.kind == "zones") {
    csv += model::ToCsv(std::span<const model::Zone>((*engine)->ListZones()));
  } else if (args.kind == "enterprises") {
    csv += model::ToCsv(std::span<const model::Enterprise>((*engine)->ListEnterprises()));
  } else {
    csv += model::ToCsv(std::span<const model::Meter>((*engine)->ListMeters()));
  }
  if (args.out.empty() || args.out == "-") {
    std::fwrite(csv.data(), 1, csv.size(), stdout);
    return 0;
  }
  std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
  out << csv;
  out.close();
  if (!out) return Fail(fmt::format("cannot write {}", args.out));
  return 0;
}

// --- park

struct ParkArgs {
  std::string db;
  std::optional<std::string> name, province, time_zone, grid_region;
  std::optional<int32_t> retention_days;
};

int PrintPark(const model::Park& p) {
  PrintTable({"field / 字段", "value / 值"},
             {{"name / 名称", p.name},
              {"province / 省份", p.province},
              {"time_zone / 时区", p.time_zone},
              {"grid_region / 电网区域", p.grid_region},
              {"raw_retention_days / 原始数据保留天数", std::to_string(p.raw_retention_days)}},
             false);
  return 0;
}

int RunParkShow(const ParkArgs& args) {
  Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(args.db, false);
  if (!engine.ok()) return Fail(engine.error());
  return PrintPark((*engine)->GetPark());
}

int RunParkSet(const ParkArgs& args) {
  Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(args.db, false);
  if (!engine.ok()) return Fail(engine.error());
  model::Park p = (*engine)->GetPark();
  if (args.name) p.name = *args.name;
  if (args.province) p.province = *args.province;
  if (args.time_zone) p.time_zone = *args.time_zone;
  if (args.grid_region) p.grid_region = *args.grid_region;
  if (args.retention_days) p.raw_retention_days = *args.retention_days;
  const model::Park before = (*engine)->GetPark();
  if (Status s = (*engine)->PutPark(p); !s.ok()) return Fail(s);
  auto park_json = [](const model::Park& x) {
    return nlohmann::json{{"name", x.name},
                          {"province", x.province},
                          {"time_zone", x.time_zone},
                          {"grid_region", x.grid_region},
                          {"raw_retention_days", x.raw_retention_days}}
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  (void)AuditCli(**engine, "park", park_json(before), park_json(p));
  return PrintPark((*engine)->GetPark());
}

// --- zones, enterprises, meters

struct RecordArgs {
  std::string db;
  std::string code;
  std::string q;
  std::string zone_filter;
  std::string enterprise_filter;
  std::string carrier_filter;
  std::string industry_filter;
  bool csv = false;
  // Fields (set = given on the command line).
  std::optional<std::string> name, officer, contact;
  std::optional<std::string> industry, zone;
  std::optional<double> area;
  std::optional<bool> key_energy_user;
  std::optional<std::string> enterprise, carrier, unit, kind, flow, parent, formula;
  std::optional<int32_t> interval_s, register_digits;
  std::optional<double> multiplier;
};

bool Matches(std::string_view code, std::string_view name, std::string_view q) {
  return q.empty() || code.find(q) != std::string_view::npos ||
         name.find(q) != std::string_view::npos;
}

std::vector<std::string> ZoneRow(const model::Zone& z) {
  return {z.code, z.name, z.officer, z.officer_contact};
}
const std::vector<std::string> kZoneHeader = {"code", "name / 名称", "officer / 负责人",
                                              "contact / 联系方式"};

std::vector<std::string> EnterpriseRow(const model::Enterprise& e) {
  return {e.code,
          e.name,
          e.industry_code,
          e.zone_code,
          Num(e.land_area_mu),
          e.key_energy_user ? "yes" : "no"};
}
const std::vector<std::string> kEnterpriseHeader = {"code / 信用代码",  "name / 名称",
                                                    "industry / 行业",  "zone / 网格",
                                                    "land_mu / 用地亩", "key_user / 重点用能"};

std::vector<std::string> MeterRow(const model::Meter& m) {
  return {m.code,
          m.name,
          m.enterprise_code,
          std::string(units::GetCarrierInfo(m.carrier).code),
          m.unit,
          std::string(model::MeterKindName(m.kind)),
          std::string(model::MeterFlowName(m.flow)),
          std::to_string(m.interval_s),
          Num(m.multiplier),
          m.parent_code,
          m.formula};
}
const std::vector<std::string> kMeterHeader = {
    "code", "name / 名称", "enterprise / 企业", "carrier / 品种", "unit / 单位", "kind",
    "flow", "interval_s",  "multiplier",        "parent",         "formula"};

void PrintRecord(const std::vector<std::string>& header, const std::vector<std::string>& row) {
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < header.size(); ++i) rows.push_back({header[i], row[i]});
  PrintTable({"field / 字段", "value / 值"}, rows, false);
}

Status ApplyZone(const RecordArgs& a, model::Zone* z) {
  if (a.name) z->name = *a.name;
  if (a.officer) z->officer = *a.officer;
  if (a.contact) z->officer_contact = *a.contact;
  return Status::OK();
}

Status ApplyEnterprise(const RecordArgs& a, model::Enterprise* e) {
  if (a.name) e->name = *a.name;
  if (a.industry) e->industry_code = *a.industry;
  if (a.zone) e->zone_code = *a.zone;
  if (a.area) e->land_area_mu = *a.area;
  if (a.key_energy_user) e->key_energy_user = *a.key_energy_user;
  return Status::OK();
}

Status ApplyMeter(const RecordArgs& a, model::Meter* m) {
  if (a.name) m->name = *a.name;
  if (a.enterprise) m->enterprise_code = *a.enterprise;
  if (a.carrier) {
    Result<units::Carrier> c = units::ParseCarrier(*a.carrier);
    if (!c.ok()) return c.error().WithContext("--carrier");
    m->carrier = *c;
    // A new meter's unit follows its carrier unless given.
    if (!a.unit && m->id == 0) m->unit = std::string(units::GetCarrierInfo(*c).canonical_unit);
  }
  if (a.unit) m->unit = *a.unit;
  if (a.kind) {
    Result<model::MeterKind> k = model::ParseMeterKind(*a.kind);
    if (!k.ok()) return k.error().WithContext("--kind");
    m->kind = *k;
  }
  if (a.flow) {
    Result<model::MeterFlow> f = model::ParseMeterFlow(*a.flow);
    if (!f.ok()) return f.error().WithContext("--flow");
    m->flow = *f;
  }
  if (a.interval_s) m->interval_s = *a.interval_s;
  if (a.register_digits) m->register_digits = *a.register_digits;
  if (a.multiplier) m->multiplier = *a.multiplier;
  if (a.parent) m->parent_code = *a.parent;
  if (a.formula) m->formula = *a.formula;
  return Status::OK();
}

enum class Kind { kZone, kEnterprise, kMeter };
enum class Action { kList, kShow, kAdd, kSet, kDelete };

// A record as JSON (header -> cell) for the audit log.
std::string RecordJson(const std::vector<std::string>& header,
                       const std::vector<std::string>& row) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < header.size() && i < row.size(); ++i) j[header[i]] = row[i];
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int RunRecord(Kind kind, Action action, const RecordArgs& a) {
  Result<std::unique_ptr<engine::Engine>> opened = OpenEngine(a.db, false);
  if (!opened.ok()) return Fail(opened.error());
  engine::Engine& e = **opened;
  switch (kind) {
    case Kind::kZone: {
      if (action == Action::kList) {
        std::vector<std::vector<std::string>> rows;
        for (const model::Zone& z : e.ListZones()) {
          if (Matches(z.code, z.name, a.q)) rows.push_back(ZoneRow(z));
        }
        PrintTable(kZoneHeader, rows, a.csv);
        return 0;
      }
      if (action == Action::kDelete) {
        Result<model::Zone> gone = e.GetZone(a.code);
        if (Status s = e.DeleteZone(a.code); !s.ok()) return Fail(s);
        (void)AuditCli(e, "zone " + a.code,
                       gone.ok() ? RecordJson(kZoneHeader, ZoneRow(*gone)) : std::string(), "");
        fmt::print("deleted zone {} / 已删除\n", a.code);
        return 0;
      }
      model::Zone z;
      if (action != Action::kAdd) {
        Result<model::Zone> got = e.GetZone(a.code);
        if (!got.ok()) return Fail(got.error());
        z = *got;
      }
      if (action != Action::kShow) {
        z.code = a.code;
        if (Status s = ApplyZone(a, &z); !s.ok()) return Fail(s);
        const std::string before =
            action == Action::kAdd ? std::string() : RecordJson(kZoneHeader, ZoneRow(z));
        Result<model::Zone> stored = e.PutZone(z, action == Action::kAdd);
        if (!stored.ok()) return Fail(stored.error());
        z = *stored;
        (void)AuditCli(e, "zone " + z.code, before, RecordJson(kZoneHeader, ZoneRow(z)));
      }
      PrintRecord(kZoneHeader, ZoneRow(z));
      return 0;
    }
    case Kind::kEnterprise: {
      if (action == Action::kList) {
        std::vector<std::vector<std::string>> rows;
        for (const model::Enterprise& x : e.ListEnterprises()) {
          if (!Matches(x.code, x.name, a.q)) continue;
          if (!a.zone_filter.empty() && x.zone_code != a.zone_filter) continue;
          if (!a.industry_filter.empty() &&
              !std::string_view(x.industry_code).starts_with(a.industry_filter)) {
            continue;
          }
          rows.push_back(EnterpriseRow(x));
        }
        PrintTable(kEnterpriseHeader, rows, a.csv);
        return 0;
      }
      if (action == Action::kDelete) {
        Result<model::Enterprise> gone = e.GetEnterprise(a.code);
        if (Status s = e.DeleteEnterprise(a.code); !s.ok()) return Fail(s);
        (void)AuditCli(
            e, "enterprise " + a.code,
            gone.ok() ? RecordJson(kEnterpriseHeader, EnterpriseRow(*gone)) : std::string(), "");
        fmt::print("deleted enterprise {} / 已删除\n", a.code);
        return 0;
      }
      model::Enterprise x;
      if (action != Action::kAdd) {
        Result<model::Enterprise> got = e.GetEnterprise(a.code);
        if (!got.ok()) return Fail(got.error());
        x = *got;
      }
      if (action != Action::kShow) {
        x.code = a.code;
        if (Status s = ApplyEnterprise(a, &x); !s.ok()) return Fail(s);
        const std::string before = action == Action::kAdd
                                       ? std::string()
                                       : RecordJson(kEnterpriseHeader, EnterpriseRow(x));
        Result<model::Enterprise> stored = e.PutEnterprise(x, action == Action::kAdd);
        if (!stored.ok()) return Fail(stored.error());
        x = *stored;
        (void)AuditCli(e, "enterprise " + x.code, before,
                       RecordJson(kEnterpriseHeader, EnterpriseRow(x)));
      }
      PrintRecord(kEnterpriseHeader, EnterpriseRow(x));
      return 0;
    }
    case Kind::kMeter: {
      if (action == Action::kList) {
        std::optional<units::Carrier> carrier;
        if (!a.carrier_filter.empty()) {
          Result<units::Carrier> c = units::ParseCarrier(a.carrier_filter);
          if (!c.ok()) return Fail(c.error().WithContext("--carrier"));
          carrier = *c;
        }
        std::unordered_set<std::string> zone_enterprises;
        if (!a.zone_filter.empty()) {
          for (const model::Enterprise& x : e.ListEnterprises()) {
            if (x.zone_code == a.zone_filter) zone_enterprises.insert(x.code);
          }
        }
        std::vector<std::vector<std::string>> rows;
        for (const model::Meter& m : e.ListMeters()) {
          if (!Matches(m.code, m.name, a.q)) continue;
          if (!a.enterprise_filter.empty() && m.enterprise_code != a.enterprise_filter) continue;
          if (!a.zone_filter.empty() && zone_enterprises.count(m.enterprise_code) == 0) continue;
          if (carrier && m.carrier != *carrier) continue;
          rows.push_back(MeterRow(m));
        }
        PrintTable(kMeterHeader, rows, a.csv);
        return 0;
      }
      if (action == Action::kDelete) {
        Result<model::Meter> gone = e.GetMeter(a.code);
        if (Status s = e.DeleteMeter(a.code); !s.ok()) return Fail(s);
        (void)AuditCli(e, "meter " + a.code,
                       gone.ok() ? RecordJson(kMeterHeader, MeterRow(*gone)) : std::string(), "");
        fmt::print("deleted meter {} / 已删除\n", a.code);
        return 0;
      }
      model::Meter m;
      if (action != Action::kAdd) {
        Result<model::Meter> got = e.GetMeter(a.code);
        if (!got.ok()) return Fail(got.error());
        m = *got;
      }
      if (action != Action::kShow) {
        m.code = a.code;
        if (Status s = ApplyMeter(a, &m); !s.ok()) return Fail(s);
        const std::string before =
            action == Action::kAdd ? std::string() : RecordJson(kMeterHeader, MeterRow(m));
        Result<model::Meter> stored = e.PutMeter(m, action == Action::kAdd);
        if (!stored.ok()) return Fail(stored.error());
        m = *stored;
        (void)AuditCli(e, "meter " + m.code, before, RecordJson(kMeterHeader, MeterRow(m)));
      }
      PrintRecord(kMeterHeader, MeterRow(m));
      return 0;
    }
  }
  return 1;
}

void AddFieldOptions(Kind kind, CLI::App* sub, RecordArgs* a) {
  sub->add_option("--name", a->name, "name / 名称");
  switch (kind) {
    case Kind::kZone:
      sub->add_option("--officer", a->officer, "responsible officer / 网格负责人");
      sub->add_option("--contact", a->contact, "officer's contact / 联系方式");
      break;
    case Kind::kEnterprise:
      sub->add_option("--industry", a->industry, "GB/T 4754 industry code, e.g. C3670 / 行业代码");
      sub->add_option("--zone", a->zone, "zone code / 所属网格");
      sub->add_option("--area", a->area, "land area in mu / 用地面积(亩)");
      sub->add_option("--key-energy-user", a->key_energy_user,
                      "true/false: key energy user / 重点用能单位");
      break;
    case Kind::kMeter:
      sub->add_option("--enterprise", a->enterprise, "enterprise credit code / 所属企业");
      sub->add_option("--carrier", a->carrier, "electricity, natural_gas, heat, ... / 能源品种");
      sub->add_option("--unit", a->unit, "unit the meter reports in, e.g. kWh / 计量单位");
      sub->add_option("--kind", a->kind, "interval, cumulative or virtual / 表计类型");
      sub->add_option("--flow", a->flow, "consumption or generation / 用能或发电");
      sub->add_option("--interval", a->interval_s, "reading interval in seconds / 采集间隔(秒)");
      sub->add_option("--digits", a->register_digits, "register digits (cumulative) / 表盘位数");
      sub->add_option("--multiplier", a->multiplier, "CT/PT ratio / 倍率");
      sub->add_option("--parent", a->parent, "parent meter code / 上级表计");
      sub->add_option("--formula", a->formula,
                      "virtual meter formula, e.g. \"M1 - M2\" / 虚拟表公式");
      break;
  }
}

void AddRecordGroup(CLI::App& app, Runner* run, Kind kind, const char* name,
                    const char* description) {
  CLI::App* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  struct ActionSpec {
    Action action;
    const char* name;
    const char* description;
  };
  const ActionSpec actions[] = {
      {Action::kList, "list", "list / 列表"},
      {Action::kShow, "show", "show one / 查看"},
      {Action::kAdd, "add", "add one / 新增"},
      {Action::kSet, "set", "change fields of one / 修改"},
      {Action::kDelete, "delete", "delete one / 删除"},
  };
  for (const ActionSpec& spec : actions) {
    auto args = std::make_shared<RecordArgs>();
    CLI::App* sub = group->add_subcommand(spec.name, spec.description);
    AddDbOption(sub, &args->db);
    if (spec.action == Action::kList) {
      sub->add_option("--q", args->q, "substring of code or name / 关键字");
      sub->add_flag("--csv", args->csv, "print CSV / 输出 CSV");
      if (kind == Kind::kEnterprise) {
        sub->add_option("--zone", args->zone_filter, "only this zone / 网格");
        sub->add_option("--industry", args->industry_filter, "industry prefix, e.g. C36 / 行业");
      }
      if (kind == Kind::kMeter) {
        sub->add_option("--zone", args->zone_filter, "only this zone / 网格");
        sub->add_option("--enterprise", args->enterprise_filter, "only this enterprise / 企业");
        sub->add_option("--carrier", args->carrier_filter, "only this carrier / 能源品种");
      }
    } else {
      sub->add_option("code", args->code, "code / 编码")->required();
      if (spec.action == Action::kAdd || spec.action == Action::kSet) {
        AddFieldOptions(kind, sub, args.get());
      }
    }
    const Action action = spec.action;
    sub->callback([args, run, kind, action] {
      *run = [args, kind, action] { return RunRecord(kind, action, *args); };
    });
  }
}

// `meter replace CODE --at T --old-final X --new-initial Y`: a cumulative meter's register was
// replaced or reset.
void AddMeterReplaceCommand(CLI::App& meter, Runner* run) {
  struct Args {
    std::string db = kDefaultDb;
    std::string code;
    std::string at;
    double old_final = 0;
    double new_initial = 0;
  };
  auto a = std::make_shared<Args>();
  CLI::App* sub = meter.add_subcommand(
      "replace",
      "record a register replacement of a cumulative meter / 登记换表(旧表止码、新表起码)");
  AddDbOption(sub, &a->db);
  sub->add_option("code", a->code, "meter code / 表计编码")->required();
  sub->add_option("--at", a->at, "when the register was replaced (ISO 8601, park time) / 换表时间")
      ->required();
  sub->add_option("--old-final", a->old_final, "old register's final reading / 旧表止码")
      ->required();
  sub->add_option("--new-initial", a->new_initial, "new register's initial reading / 新表起码")
      ->required();
  sub->callback([a, run] {
    *run = [a]() -> int {
      Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(a->db, false);
      if (!engine.ok()) return Fail(engine.error());
      const TimeZone zone = (*engine)->zone();
      Result<int64_t> ts = ParseTimestamp(a->at, zone);
      if (!ts.ok()) return Fail(ts.error().WithContext("--at"));
      Status s = (*engine)->AddRegisterReplacement(a->code, {*ts, a->old_final, a->new_initial});
      if (!s.ok()) return Fail(s);
      (void)AuditCli(**engine, "meter " + a->code + " replacement", "",
                     fmt::format(R"({{"ts":{},"old_final":{},"new_initial":{}}})", *ts,
                                 a->old_final, a->new_initial));
      fmt::print("recorded the register replacement of {} at {} / 已登记换表\n", a->code,
                 FormatTimestamp(*ts, zone));
      return 0;
    };
  });
}

}  // namespace

void AddRegistryCommands(CLI::App& app, Runner* run) {
  CLI::App* registry =
      app.add_subcommand("registry", "import/export the registry as CSV / 档案导入导出");
  registry->require_subcommand(1);
  const std::vector<std::string> kinds = {"zones", "enterprises", "meters"};
  {
    auto args = std::make_shared<RegistryArgs>();
    CLI::App* sub = registry->add_subcommand(
        "import", "import zones, enterprises or meters from CSV, all or nothing / 从CSV导入档案");
    AddDbOption(sub, &args->db);
    sub->add_option("kind", args->kind, "zones, enterprises or meters")
        ->required()
        ->check(CLI::IsMember(kinds));
    sub->add_option("file", args->file, "CSV file / CSV 文件")
        ->required()
        ->check(CLI::ExistingFile);
    sub->callback([args, run] { *run = [args] { return RunRegistryImport(*args); }; });
  }
  {
    auto args = std::make_shared<RegistryArgs>();
    CLI::App* sub = registry->add_subcommand("export", "export as CSV / 导出档案为CSV");
    AddDbOption(sub, &args->db);
    sub->add_option("kind", args->kind, "zones, enterprises or meters")
        ->required()
        ->check(CLI::IsMember(kinds));
    sub->add_option("-o,--out", args->out, "output file (default stdout) / 输出文件");
    sub->add_flag("--bom", args->bom, "start with a UTF-8 byte-order mark (Excel)");
    sub->callback([args, run] { *run = [args] { return RunRegistryExport(*args); }; });
  }

  CLI::App* park = app.add_subcommand("park", "show or change the park / 园区信息");
  park->require_subcommand(1);
  {
    auto args = std::make_shared<ParkArgs>();
    CLI::App* sub = park->add_subcommand("show", "show the park / 查看园区");
    AddDbOption(sub, &args->db);
    sub->callback([args, run] { *run = [args] { return RunParkShow(*args); }; });
  }
  {
    auto args = std::make_shared<ParkArgs>();
    CLI::App* sub = park->add_subcommand("set", "change fields of the park / 修改园区");
    AddDbOption(sub, &args->db);
    sub->add_option("--name", args->name, "park name / 园区名称");
    sub->add_option("--province", args->province, "province / 省份");
    sub->add_option("--time-zone", args->time_zone, "IANA time zone, e.g. Asia/Shanghai / 时区");
    sub->add_option("--grid-region", args->grid_region, "grid region, e.g. northeast / 电网区域");
    sub->add_option("--retention-days", args->retention_days,
                    "days of raw readings to keep, 0 = all / 原始数据保留天数");
    sub->callback([args, run] { *run = [args] { return RunParkSet(*args); }; });
  }

  AddRecordGroup(app, run, Kind::kZone, "zone", "zones (grid cells) / 网格");
  AddRecordGroup(app, run, Kind::kEnterprise, "enterprise", "enterprises / 企业");
  AddRecordGroup(app, run, Kind::kMeter, "meter", "meters / 表计");
  AddMeterReplaceCommand(*app.get_subcommand("meter"), run);
}

}  // namespace zp::cli
