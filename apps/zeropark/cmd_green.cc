// `zeropark green supply show|export|import|validate`: the park's green supply registry
// (zp/green/supply.h: generation assets, contracts, storage, GECs), stored as JSON in the setting
// "green/supply"; without one the registry's default (every generation meter as same-site PV).

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "zp/base/time.h"
#include "zp/green/supply.h"

namespace zp::cli {
namespace {

struct GreenArgs {
  std::string db;
  std::string file;
  std::string out;
  std::string format = "text";
};

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

int RunShow(const GreenArgs& a) {
  auto engine = OpenExistingEngine(a.db);
  if (!engine.ok()) return Fail(engine.status());
  bool stored = false;
  Result<green::Supply> supply = green::LoadSupply(**engine, &stored);
  if (!supply.ok()) return Fail(supply.status());
  if (a.format == "json") {
    fmt::print("{}\n", green::SupplyToJson(*supply, 2));
    return 0;
  }
  fmt::print("{}\n\n", stored ? "supply registry: stored / 绿电供给登记：已保存"
                              : "supply registry: not stored, the default from the meter "
                                "registry / 绿电供给登记：未保存，按计量表默认生成");
  std::vector<std::vector<std::string>> rows;
  for (const green::GenerationAsset& x : supply->assets) {
    rows.push_back({x.code, x.name, std::string(green::TechnologyName(x.technology)),
                    x.external                  ? "(external / 园区外)"
                    : x.site_enterprise.empty() ? "(park / 园区)"
                                                : x.site_enterprise,
                    x.meter_code, x.charge_meter_code, x.capacity_kw ? Num(*x.capacity_kw) : ""});
  }
  PrintTable({"asset / 资产", "name / 名称", "technology / 技术", "site / 所在地", "meter / 计量表",
              "charge meter / 充电表", "kW / 装机"},
             rows, false);
  fmt::print("\n");
  rows.clear();
  for (const green::Contract& c : supply->contracts) {
    std::string terms;
    if (c.kind == green::ContractKind::kGreenTrading) {
      terms = std::string(green::ProfileName(c.profile));
      int64_t wh = 0;
      for (const green::MonthVolume& v : c.volumes) wh += v.wh;
      if (!c.volumes.empty()) {
        terms += fmt::format(", {} months {} kWh", c.volumes.size(), Num(wh / 1000.0));
      }
    } else if (c.kind == green::ContractKind::kGec) {
      int64_t n = 0;
      for (const green::GecHolding& g : c.gec) n += g.certificates;
      terms = fmt::format("{} GEC, {}", n,
                          c.bundled_with.empty() ? "unbundled / 非捆绑" : "with " + c.bundled_with);
    }
    rows.push_back({c.code, std::string(green::ContractKindName(c.kind)),
                    std::to_string(c.priority),
                    c.valid_from_day ? FormatLocalDay(*c.valid_from_day) : "",
                    c.valid_to_day ? FormatLocalDay(*c.valid_to_day) : "", Join(c.assets),
                    Join(c.buyers), terms});
  }
  PrintTable({"contract / 合同", "kind / 类型", "priority / 优先级", "from / 起", "to / 止(不含)",
              "assets / 资产", "buyers / 购买方", "terms / 条款"},
             rows, false);
  return 0;
}

int RunExport(const GreenArgs& a) {
  auto engine = OpenExistingEngine(a.db);
  if (!engine.ok()) return Fail(engine.status());
  Result<green::Supply> supply = green::LoadSupply(**engine);
  if (!supply.ok()) return Fail(supply.status());
  const std::string text = green::SupplyToJson(*supply, 2) + "\n";
  return WriteOutput(a.out, text);
}

// Parses the file and validates it against the database's registry.
Result<green::Supply> ReadChecked(engine::Engine& engine, const std::string& file) {
  ZP_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  Result<green::Supply> supply = green::SupplyFromJson(text);
  if (!supply.ok()) return supply.status().WithContext(file);
  Status st = green::ValidateSupply(*supply, engine.ListEnterprises(), engine.ListMeters());
  if (!st.ok()) return st.WithContext(file);
  return supply;
}

int RunValidate(const GreenArgs& a) {
  auto engine = OpenExistingEngine(a.db);
  if (!engine.ok()) return Fail(engine.status());
  Result<green::Supply> supply = ReadChecked(**engine, a.file);
  if (!supply.ok()) return Fail(supply.status());
  fmt::print("{}: valid, {} assets, {} contracts / 校验通过：{} 个资产，{} 个合同\n", a.file,
             supply->assets.size(), supply->contracts.size(), supply->assets.size(),
             supply->contracts.size());
  return 0;
}

int RunImport(const GreenArgs& a) {
  auto engine = OpenExistingEngine(a.db);
  if (!engine.ok()) return Fail(engine.status());
  Result<green::Supply> supply = ReadChecked(**engine, a.file);
  if (!supply.ok()) {
    return Fail(supply.status().WithContext("nothing was stored / 未保存"));
  }
  Result<std::optional<std::string>> before = (*engine)->GetSetting(green::kSettingSupply);
  Status st = green::SaveSupply(**engine, *supply);
  if (!st.ok()) return Fail(st.WithContext("nothing was stored / 未保存"));
  (void)AuditCli(**engine, "green supply", before.ok() && *before ? **before : std::string(),
                 green::SupplyToJson(*supply));
  fmt::print("stored the supply registry from {}: {} assets, {} contracts / 已保存绿电供给登记\n",
             a.file, supply->assets.size(), supply->contracts.size());
  return 0;
}

}  // namespace

void AddGreenCommands(CLI::App& app, Runner* run) {
  auto* green = app.add_subcommand("green", "green power: supply registry / 绿电：供给登记");
  green->require_subcommand(1);
  auto* supply = green->add_subcommand(
      "supply",
      "generation assets, contracts (same site, direct supply, green trading, park pool, GEC) and "
      "storage, as JSON (format: docs/green.md) / 发电资产、合同与储能 (JSON)");
  supply->require_subcommand(1);
  {
    auto a = std::make_shared<GreenArgs>();
    auto* show = supply->add_subcommand(
        "show", "the registry in force (stored, or the default from the meters) / 显示当前登记");
    AddDbOption(show, &a->db);
    show->add_option("--format", a->format, "text or json / 输出格式")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    show->callback([run, a] { *run = [a] { return RunShow(*a); }; });
  }
  {
    auto a = std::make_shared<GreenArgs>();
    auto* exp = supply->add_subcommand("export",
                                       "the registry in force as canonical JSON / 导出为规范 JSON");
    AddDbOption(exp, &a->db);
    exp->add_option("-o,--out", a->out, "write to this file instead of stdout / 输出文件");
    exp->callback([run, a] { *run = [a] { return RunExport(*a); }; });
  }
  {
    auto a = std::make_shared<GreenArgs>();
    auto* imp = supply->add_subcommand(
        "import",
        "validate FILE against the park registry and store it (all or nothing) / 校验并保存");
    AddDbOption(imp, &a->db);
    imp->add_option("file", a->file, "supply registry JSON / 供给登记 JSON 文件")->required();
    imp->callback([run, a] { *run = [a] { return RunImport(*a); }; });
  }
  {
    auto a = std::make_shared<GreenArgs>();
    auto* val = supply->add_subcommand(
        "validate", "check FILE against the park registry without storing it / 仅校验，不保存");
    AddDbOption(val, &a->db);
    val->add_option("file", a->file, "supply registry JSON / 供给登记 JSON 文件")->required();
    val->callback([run, a] { *run = [a] { return RunValidate(*a); }; });
  }
}

}  // namespace zp::cli
