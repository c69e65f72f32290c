// `zeropark hj212-sim`: plays a fleet of simulated HJ 212-2017 data loggers (boiler stacks and
// wastewater outfalls, zp/environment/simulator.h) against a server; and `zeropark env sources
// show|export|validate|import`: the park's pollution-source registry (zp/environment/sources.h),
// stored as JSON in the setting "env/sources".

#include <fmt/format.h>
#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli.h"
#include "zp/demo/demo_env.h"
#include "zp/environment/simulator.h"
#include "zp/environment/sources.h"
#include "zp/hj212/pollutants.h"

namespace zp::cli {
namespace {

// The stored registry; empty when none is stored.
Result<environment::SourceRegistry> StoredSources(engine::Engine& engine, bool* stored) {
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> text,
                      engine.GetSetting(environment::kSettingSources));
  if (stored != nullptr) *stored = text.has_value();
  if (!text.has_value()) return environment::SourceRegistry{};
  Result<environment::SourceRegistry> r = environment::SourcesFromJson(*text, nullptr);
  if (!r.ok()) {
    return r.status().WithContext(
        fmt::format("setting {} / 污染源登记设置", environment::kSettingSources));
  }
  return r;
}

// --- hj212-sim.

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop.store(true); }

struct SimArgs {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string db;
  int32_t loggers = 12;
  uint64_t seed = 20250101;
  double rate = 0;
  int64_t duration_s = 0;
  int64_t backfill_s = 0;
  int32_t connections = 0;
  bool no_faults = false;
  bool no_ack = false;
  bool print_sources = false;
  bool print_fleet = false;
  std::string fleet_file;
  bool fleet_given = false;  // --loggers or --seed
  bool port_given = false;
  bool backfill_given = false;
};

// Lets one process hold a socket per logger (the default soft limit is often 1024).
void RaiseFileLimit(size_t wanted) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= wanted) return;
  rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, wanted);
  setrlimit(RLIMIT_NOFILE, &rl);
}

// The fleet to play: from --fleet, else from the database (its demo fleet unless --loggers or
// --seed is given, else that many loggers over its enterprises).
struct FleetSource {
  environment::FleetOptions options;
  TimeZone zone;
  std::string origin;
  std::optional<environment::SourceRegistry> registry;  // the park's, when read from the db
};

Result<FleetSource> LoadFleet(const SimArgs& a) {
  FleetSource f;
  if (!a.fleet_file.empty()) {
    // Printed by --print-fleet: no database needed (a running server holds it).
    ZP_ASSIGN_OR_RETURN(std::string text, ReadFile(a.fleet_file));
    Result<environment::FleetOptions> o = environment::FleetOptionsFromJson(text);
    if (!o.ok()) return o.status().WithContext(a.fleet_file);
    f.options = std::move(*o);
    std::string zone_name = "Asia/Shanghai";
    try {
      const nlohmann::json j = nlohmann::json::parse(text);
      if (j.contains("zone")) zone_name = j.at("zone").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
      return InvalidArgumentError(fmt::format("{}: {}", a.fleet_file, e.what()));
    }
    Result<TimeZone> tz = TimeZone::Load(zone_name);
    if (!tz.ok()) return tz.status().WithContext(a.fleet_file);
    f.zone = *tz;
    f.origin = a.fleet_file;
    return f;
  }
  auto engine = OpenExistingEngine(a.db);
  if (!engine.ok()) {
    return engine.status().WithContext(
        "(a running server holds its database: use --fleet with a file from --print-fleet / "
        "服务运行时请用 --fleet)");
  }
  f.zone = (*engine)->zone();
  std::optional<std::string> demo_setting;
  if (!a.fleet_given) {
    ZP_ASSIGN_OR_RETURN(demo_setting, (*engine)->GetSetting(demo::kDemoFleetSetting));
  }
  if (demo_setting.has_value()) {
    Result<environment::FleetOptions> o = environment::FleetOptionsFromJson(*demo_setting);
    if (!o.ok()) return o.status().WithContext(fmt::format("setting {}", demo::kDemoFleetSetting));
    f.options = std::move(*o);
    f.origin = fmt::format("the demo fleet (setting {}) / 演示机队", demo::kDemoFleetSetting);
  } else {
    f.options.seed = a.seed;
    f.options.loggers = a.loggers;
    for (const model::Enterprise& e : (*engine)->ListEnterprises()) {
      f.options.enterprises.push_back(e.code);
    }
    if (f.options.enterprises.empty()) {
      return FailedPreconditionError(
          "the park has no enterprise to give loggers to; add enterprises or build the demo "
          "first / 园区没有企业，请先添加企业或创建演示园区");
    }
    f.origin = fmt::format("seed {} over {} enterprises / 种子 {}，{} 家企业", a.seed,
                           f.options.enterprises.size(), a.seed, f.options.enterprises.size());
  }
  bool stored = false;
  Result<environment::SourceRegistry> registry = StoredSources(**engine, &stored);
  if (registry.ok()) f.registry = std::move(*registry);
  return f;
}

int RunSim(const SimArgs& a) {
  Result<FleetSource> source = LoadFleet(a);
  if (!source.ok()) return Fail(source.status());
  const std::vector<environment::SimLogger> fleet = environment::MakeFleet(source->options);
  if (a.print_fleet) {
    nlohmann::json j = nlohmann::json::parse(environment::FleetOptionsToJson(source->options));
    j["zone"] = source->zone.name();
    fmt::print("{}\n", j.dump());
    return 0;
  }
  if (a.print_sources) {
    fmt::print("{}\n", environment::SourcesToJson(environment::FleetRegistry(fleet), true));
    return 0;
  }
  if (source->registry.has_value()) {
    // Loggers the park does not know are refused (unknown_mn): say so up front.
    std::set<std::string> mns;
    for (const environment::Source& s : source->registry->sources) mns.insert(s.mn);
    size_t unknown = 0;
    for (const environment::SimLogger& lg : fleet) unknown += mns.contains(lg.source.mn) ? 0 : 1;
    if (unknown > 0) {
      fmt::print(stderr,
                 "warning: {} of {} loggers are not in the park's source registry; the server "
                 "will refuse them (unknown_mn). Register them first: zeropark hj212-sim "
                 "--print-sources ... | zeropark env sources import --file - / 警告：{} 台数采仪"
                 "未登记，服务器将拒收\n",
                 unknown, fleet.size(), unknown);
    }
  }
  const TimeZone zone = source->zone;
  const std::string& origin = source->origin;
  if (!a.port_given) return Fail("--port is required / 须指定 --port");

  environment::SimOptions o;
  o.host = a.host;
  o.port = a.port;
  o.frames_per_logger_per_s = a.rate;
  o.duration_s = a.duration_s;
  o.faults = !a.no_faults;
  o.ack = !a.no_ack;
  o.connections = a.connections;
  o.zone = zone;
  o.backfill_s = a.backfill_s;
  if (a.rate > 0 && !a.backfill_given && a.duration_s > 0) {
    // Paced faster than real time: start the data far enough back that it ends near now.
    o.backfill_s =
        std::min<int64_t>(7 * kSecondsPerDay, static_cast<int64_t>(a.duration_s * a.rate * 60));
  }
  size_t stacks = 0;
  for (const environment::SimLogger& lg : fleet) {
    stacks += lg.source.kind == environment::SourceKind::kStack ? 1 : 0;
  }
  RaiseFileLimit(fleet.size() + 256);
  fmt::print(
      "hj212-sim: {} loggers ({} stacks, {} outfalls) from {}, to {}:{}, {}{} / 数采仪模拟器\n",
      fleet.size(), stacks, fleet.size() - stacks, origin, a.host, a.port,
      a.rate > 0 ? fmt::format("{} real-time frames/logger/s", a.rate) : "real time",
      o.backfill_s > 0 ? fmt::format(", data from {} s ago", o.backfill_s) : "");
  std::fflush(stdout);

  g_stop.store(false);
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  uint64_t last_sent = 0;
  double last_s = 0;
  auto progress = [&](const environment::SimStats& s) {
    const double dt = s.seconds - last_s;
    const double per_s = dt > 0 ? static_cast<double>(s.frames_sent - last_sent) / dt : 0;
    last_sent = s.frames_sent;
    last_s = s.seconds;
    fmt::print(
        "{:7.1f} s  sent {} ({:.0f}/s)  replies {}  refused {}  timeouts {}  connections {}{} / "
        "已发送 {} 应答 {} 拒收 {}\n",
        s.seconds, s.frames_sent, per_s, s.replies, s.refusals, s.timeouts, s.connections_open,
        s.data_lag_s > 0 ? fmt::format("  catching up, {} s behind", s.data_lag_s) : "",
        s.frames_sent, s.replies, s.refusals);
    std::fflush(stdout);
  };
  Result<environment::SimStats> r = environment::RunSimulator(fleet, o, g_stop, progress);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!r.ok()) return Fail(r.status());
  const environment::SimStats& s = *r;
  fmt::print(
      "done: {:.1f} s, sent {} frames ({:.0f}/s), replies {}, refused {}, timeouts {}, "
      "reconnects {}; played {} exceedances, {} outages, {} start-ups, {} instrument faults / "
      "完成：发送 {} 条，应答 {}，拒收 {}；超标 {} 次，断线 {} 次，启炉 {} 次，仪器故障 {} 次\n",
      s.seconds, s.frames_sent, s.seconds > 0 ? static_cast<double>(s.frames_sent) / s.seconds : 0,
      s.replies, s.refusals, s.timeouts, s.reconnects, s.exceedances_played, s.outages_played,
      s.startups_played, s.faults_played, s.frames_sent, s.replies, s.refusals,
      s.exceedances_played, s.outages_played, s.startups_played, s.faults_played);
  return 0;
}

// --- env sources.

struct SourcesArgs {
  std::string db;
  std::string file = "-";
  std::string out;
  std::string format = "text";
  bool with_secrets = false;
};

Result<std::string> ReadInput(const std::string& file) {
  if (file != "-") return ReadFile(file);
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return text;
}

int RunShow(const SourcesArgs& a) {
  auto engine = OpenExistingEngine(a.db);
  if (!engine.ok()) return Fail(engine.status());
  bool stored = false;
  Result<environment::SourceRegistry> r = StoredSources(**engine, &stored);
  if (!r.ok()) return Fail(r.status());
  if (a.format == "json") {
    fmt::print("{}\n", environment::SourcesToJson(*r, false));
    return 0;
  }
  if (!stored) {
    fmt::print("no pollution sources registered / 未登记污染源\n");
    return 0;
  }
  const int32_t today = (*engine)->zone().LocalDay(std::time(nullptr));
  std::vector<std::vector<std::string>> rows;
  for (const environment::Source& s : r->sources) {
    std::string limits;
    for (const std::string& p : s.pollutants) {
      std::optional<environment::Limit> l = environment::LimitInForce(s, p, today);
      if (!l) continue;
      const hj212::PollutantCode* pc = hj212::FindPollutant(p);
      limits += fmt::format("{}{} {}", limits.empty() ? "" : ", ",
                            pc != nullptr ? pc->name_en : std::string_view(p), Num(l->value));
    }
    rows.push_back({s.code, s.name, s.enterprise_code,
                    std::string(environment::SourceKindName(s.kind)), s.mn,
                    s.kind == environment::SourceKind::kStack
                        ? fmt::format("{} {}", environment::FuelName(s.fuel),
                                      environment::BoilerClassName(s.boiler_class))
                        : "",
                    fmt::format("{}/{}", s.realtime_interval_s, s.minute_interval_s),
                    std::to_string(s.pollutants.size()), limits});
  }
  PrintTable({"source / 污染源", "name / 名称", "enterprise / 企业", "kind / 类型", "MN",
              "fuel, boiler / 燃料、锅炉", "interval s / 间隔", "pollutants / 因子",
              "limits today / 今日限值"},
             rows, false);
  fmt::print("\n{} sources / 共 {} 个污染源\n", r->sources.size(), r->sources.size());
  return 0;
}

int RunExport(const SourcesArgs& a) {
  auto engine = OpenExistingEngine(a.db);
  if (!engine.ok()) return Fail(engine.status());
  Result<environment::SourceRegistry> r = StoredSources(**engine, nullptr);
  if (!r.ok()) return Fail(r.status());
  const std::string text = environment::SourcesToJson(*r, a.with_secrets) + "\n";
  return WriteOutput(a.out == "-" ? "" : a.out, text);
}

// Parses the input (passwords left out keep the stored hashes) and validates it against the park.
Result<environment::SourceRegistry> ReadChecked(engine::Engine& engine, const std::string& file,
                                                const environment::SourceRegistry& previous) {
  const std::string name = file == "-" ? "stdin" : file;
  ZP_ASSIGN_OR_RETURN(std::string text, ReadInput(file));
  Result<environment::SourceRegistry> r = environment::SourcesFromJson(text, &previous);
  if (!r.ok()) return r.status().WithContext(name);
  Status st = environment::ValidateSources(*r, engine.ListEnterprises());
  if (!st.ok()) return st.WithContext(name);
  return r;
}

std::string Counts(const environment::SourceRegistry& r) {
  size_t stacks = 0;
  for (const environment::Source& s : r.sources) {
    stacks += s.kind == environment::SourceKind::kStack ? 1 : 0;
  }
  return fmt::format("{} sources ({} stacks, {} outfalls) / {} 个污染源（排气筒 {}，废水排口 {}）",
                     r.sources.size(), stacks, r.sources.size() - stacks, r.sources.size(), stacks,
                     r.sources.size() - stacks);
}

int RunValidate(const SourcesArgs& a) {
  auto engine = OpenExistingEngine(a.db);
  if (!engine.ok()) return Fail(engine.status());
  Result<environment::SourceRegistry> previous = StoredSources(**engine, nullptr);
  if (!previous.ok()) return Fail(previous.status());
  Result<environment::SourceRegistry> r = ReadChecked(**engine, a.file, *previous);
  if (!r.ok()) return Fail(r.status());
  fmt::print("{}: valid, {} / 校验通过\n", a.file == "-" ? "stdin" : a.file, Counts(*r));
  return 0;
}

int RunImport(const SourcesArgs& a) {
  auto engine = OpenExistingEngine(a.db);
  if (!engine.ok()) return Fail(engine.status());
  Result<environment::SourceRegistry> previous = StoredSources(**engine, nullptr);
  if (!previous.ok()) return Fail(previous.status());
  Result<environment::SourceRegistry> r = ReadChecked(**engine, a.file, *previous);
  if (!r.ok()) return Fail(r.status().WithContext("nothing was stored / 未保存"));
  Status st =
      (*engine)->PutSetting(environment::kSettingSources, environment::SourcesToJson(*r, true));
  if (!st.ok()) return Fail(st.WithContext("nothing was stored / 未保存"));
  (void)AuditCli(
      **engine, "env sources",
      previous->sources.empty() ? std::string() : environment::SourcesToJson(*previous, false),
      environment::SourcesToJson(*r, false));
  fmt::print(
      "stored the source registry: {}; a running server reads it when it starts / "
      "已保存污染源登记（运行中的服务重启后生效）\n",
      Counts(*r));
  return 0;
}

}  // namespace

void AddEnvCommands(CLI::App& app, Runner* run) {
  {
    auto a = std::make_shared<SimArgs>();
    auto* sim = app.add_subcommand(
        "hj212-sim",
        "simulated HJ 212-2017 data loggers (boiler stacks, wastewater outfalls; start-ups, "
        "exceedances, outages) sending to a server / 数采仪模拟器");
    AddDbOption(sim, &a->db);
    sim->add_option("--host", a->host, "server address / 服务器地址")->capture_default_str();
    auto* port = sim->add_option("--port", a->port, "server HJ 212 port / HJ 212 端口")
                     ->check(CLI::Range(1, 65535));
    auto* loggers =
        sim->add_option("--loggers", a->loggers,
                        "number of loggers (default: the demo's fleet when the database has one, "
                        "else 12) / 数采仪数量")
            ->check(CLI::Range(1, 100000));
    auto* seed = sim->add_option("--seed", a->seed, "fleet seed / 机队随机种子");
    sim->add_option("--rate", a->rate,
                    "real-time frames per logger per second, faster than real time (default: "
                    "real time) / 每台每秒实时数据帧数")
        ->check(CLI::Range(0.0, 1000.0));
    sim->add_option("--duration", a->duration_s,
                    "seconds to run (default: until Ctrl-C) / 运行秒数")
        ->check(CLI::Range(int64_t{0}, int64_t{100} * 86400));
    auto* backfill = sim->add_option("--backfill", a->backfill_s,
                                     "start the data this many seconds ago and catch up as fast "
                                     "as the server answers (with --rate: paced; default then "
                                     "duration x rate x 60 s) / 补发历史数据秒数")
                         ->check(CLI::Range(int64_t{0}, int64_t{31} * 86400));
    sim->add_option("--connections", a->connections,
                    "TCP connections (default: one per logger) / 连接数")
        ->check(CLI::Range(0, 100000));
    sim->add_flag(
        "--no-faults", a->no_faults,
        "normal operation only: no start-ups, exceedances, faults or outages / 仅正常工况");
    sim->add_flag("--no-ack", a->no_ack, "do not ask for replies (Flag=4) / 不要求应答");
    sim->add_option("--fleet", a->fleet_file,
                    "the fleet from a file printed by --print-fleet, instead of the database "
                    "(which a running server holds) / 从文件读取机队");
    sim->add_flag("--print-fleet", a->print_fleet,
                  "print the fleet's options (JSON) for --fleet, and exit / 输出机队参数后退出");
    sim->add_flag("--print-sources", a->print_sources,
                  "print the fleet's source registry (JSON, with password hashes) for `zeropark "
                  "env sources import`, and exit / 输出机队污染源登记 JSON 后退出");
    sim->callback([run, a, port, loggers, seed, backfill] {
      a->port_given = port->count() > 0;
      a->fleet_given = loggers->count() > 0 || seed->count() > 0;
      a->backfill_given = backfill->count() > 0;
      *run = [a] { return RunSim(*a); };
    });
  }
  auto* env = app.add_subcommand("env", "environmental monitoring / 环境监测");
  env->require_subcommand(1);
  auto* sources = env->add_subcommand(
      "sources",
      "pollution sources: stacks and outfalls with their data loggers, pollutants and limits "
      "(JSON, format: include/zp/environment/sources.h) / 污染源登记");
  sources->require_subcommand(1);
  {
    auto a = std::make_shared<SourcesArgs>();
    auto* show = sources->add_subcommand("show", "the stored registry / 显示污染源登记");
    AddDbOption(show, &a->db);
    show->add_option("--format", a->format, "text or json / 输出格式")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    show->callback([run, a] { *run = [a] { return RunShow(*a); }; });
  }
  {
    auto a = std::make_shared<SourcesArgs>();
    auto* exp = sources->add_subcommand("export", "the registry as canonical JSON / 导出 JSON");
    AddDbOption(exp, &a->db);
    exp->add_option("-o,--out", a->out, "write to this file instead of stdout / 输出文件");
    exp->add_flag("--with-secrets", a->with_secrets,
                  "include the loggers' password hashes (to import into another database) / "
                  "包含密码哈希");
    exp->callback([run, a] { *run = [a] { return RunExport(*a); }; });
  }
  {
    auto a = std::make_shared<SourcesArgs>();
    auto* imp = sources->add_subcommand(
        "import", "validate the file against the park and store it (all or nothing) / 校验并保存");
    AddDbOption(imp, &a->db);
    imp->add_option("-f,--file", a->file, "registry JSON, - for stdin / 污染源登记 JSON")
        ->capture_default_str();
    imp->callback([run, a] { *run = [a] { return RunImport(*a); }; });
  }
  {
    auto a = std::make_shared<SourcesArgs>();
    auto* val = sources->add_subcommand(
        "validate", "check the file against the park without storing it / 仅校验，不保存");
    AddDbOption(val, &a->db);
    val->add_option("-f,--file", a->file, "registry JSON, - for stdin / 污染源登记 JSON")
        ->capture_default_str();
    val->callback([run, a] { *run = [a] { return RunValidate(*a); }; });
  }
}

}  // namespace zp::cli
