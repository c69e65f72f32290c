// `zeropark serve` and `zeropark demo`.

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "cli.h"
#include "zp/auth/auth.h"
#include "zp/base/logging.h"
#include "zp/base/time.h"
#include "zp/demo/demo.h"
#include "zp/demo/demo_env.h"
#include "zp/demo/demo_green.h"
#include "zp/environment/simulator.h"
#include "zp/green/supply.h"
#include "zp/server/server.h"

namespace zp::cli {
namespace {

struct ServeArgs {
  std::string db;
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 0;
  int hj212_port = 9212;  // -1: no HJ 212 listener
  bool insecure_cookies = false;
  std::string web_dir;  // empty: $ZP_WEB_DIR, else the checkout's web/dist
};

struct DemoArgs {
  ServeArgs serve;
  uint64_t seed = demo::DemoOptions{}.seed;
  int32_t enterprises = demo::DemoOptions{}.enterprises;
  int32_t year = demo::DemoOptions{}.year;
  int32_t days = 0;  // 0: from January 1 of `year` to yesterday (park time), then live
  bool no_serve = false;
  bool no_live = false;
};

// Keeps a demo park live while serving: every 15 s the readings whose time has come are written
// (demo::LiveFeed). Only for a park whose data reaches the last week, so a demo built for another
// period is not filled up with years of readings.
class DemoLiveLoop {
 public:
  static std::unique_ptr<DemoLiveLoop> Start(engine::Engine& engine) {
    Result<std::unique_ptr<demo::LiveFeed>> feed = demo::LiveFeed::Create(engine);
    if (!feed.ok()) {
      fmt::print(stderr, "live feed off: {} / 实时数据未启用\n", feed.error().message());
      return nullptr;
    }
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    const int64_t until = (*feed)->live_until();
    if (until < now - 7 * 86400) {
      fmt::print(stderr,
                 "live feed off: the demo's readings end {} days ago (built with --days or "
                 "--year) / 演示数据早已结束, 不启用实时数据\n",
                 (now - until) / 86400);
      return nullptr;
    }
    auto loop = std::unique_ptr<DemoLiveLoop>(new DemoLiveLoop(std::move(*feed)));
    loop->thread_ = std::thread([p = loop.get()] { p->Run(); });
    fmt::print(stderr,
               "live feed: new readings are written as their time comes (every 15 s) / "
               "实时数据: 每 15 秒写入到点的读数\n");
    return loop;
  }
  ~DemoLiveLoop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  explicit DemoLiveLoop(std::unique_ptr<demo::LiveFeed> feed) : feed_(std::move(feed)) {}
  void Run() {
    bool first = true;
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      Result<int64_t> n = feed_->CatchUp(static_cast<int64_t>(std::time(nullptr)));
      if (!n.ok()) {
        LogWarning("demo live feed stopped: {}", n.error().ToString());
        return;
      }
      if (first) LogInfo("demo live feed: caught up with {} readings", *n);
      first = false;
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(15), [this] { return stop_; });
    }
  }

  std::unique_ptr<demo::LiveFeed> feed_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

// Plays the demo's data loggers (environment::RunSimulator) against the server's own HJ 212
// port: the last 24 hours first (as fast as the server acknowledges), then in real time; with
// live off it stops once it has caught up with the clock.
class DemoSimLoop {
 public:
  static std::unique_ptr<DemoSimLoop> Start(engine::Engine& engine, int port, bool live) {
    Result<std::vector<environment::SimLogger>> fleet = demo::DemoFleet(engine);
    if (!fleet.ok() || fleet->empty()) {
      fmt::print(stderr, "data-logger simulator off: {} / 数采仪模拟未启用\n",
                 fleet.ok() ? "no demo fleet" : fleet.error().message());
      return nullptr;
    }
    auto loop = std::unique_ptr<DemoSimLoop>(new DemoSimLoop());
    environment::SimOptions options;
    options.port = port;
    options.backfill_s = 86400;
    options.stop_when_caught_up = !live;
    options.zone = engine.zone();
    loop->thread_ = std::thread([p = loop.get(), fleet = std::move(*fleet), options] {
      Result<environment::SimStats> stats =
          environment::RunSimulator(fleet, options, p->stop_, nullptr);
      if (!stats.ok()) {
        LogWarning("demo data-logger simulator stopped: {}", stats.error().ToString());
      } else {
        LogInfo("demo data-logger simulator: {} frames, {} acknowledged", stats->frames_sent,
                stats->replies);
      }
    });
    fmt::print(stderr,
               "data loggers: {} simulated HJ 212 loggers send to port {} (last 24 h first{}) / "
               "模拟数采仪已启动\n",
               fleet->size(), port, live ? ", then live" : "");
    return loop;
  }
  ~DemoSimLoop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  DemoSimLoop() = default;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void AddListenOptions(CLI::App* sub, ServeArgs* args) {
  sub->add_option("--host", args->host, "address to listen on / 监听地址")->capture_default_str();
  sub->add_option("--port", args->port, "port to listen on, 0 = any / 端口")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub->add_option("--threads", args->threads, "HTTP worker threads, 0 = automatic / 工作线程数")
      ->check(CLI::Range(0, 1024));
  sub->add_option(
         "--hj212-port", args->hj212_port,
         "HJ 212-2017 TCP port for data loggers, 0 = any, -1 = off / HJ 212 数采仪接入端口")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  sub->add_flag("--insecure-cookies", args->insecure_cookies,
                "session cookies without the Secure attribute (only behind a plain-HTTP proxy on "
                "another host) / 会话 Cookie 不加 Secure");
  sub->add_option("--web-dir", args->web_dir,
                  "the built dashboard (default $ZP_WEB_DIR, else " ZP_DEFAULT_WEB_DIR
                  ") / 看板目录");
}

std::string WebDir(const ServeArgs& args) {
  if (!args.web_dir.empty()) return args.web_dir;
  if (const char* env = std::getenv("ZP_WEB_DIR"); env != nullptr && *env != '\0') return env;
  return ZP_DEFAULT_WEB_DIR;
}

// First start: with no account, print a one-time setup token for creating the administrator.
Status OfferSetup(engine::Engine& engine, const std::string& url) {
  auth::AuthService service(engine.store());
  ZP_ASSIGN_OR_RETURN(bool has_users, service.HasUsers());
  if (has_users) return Status::OK();
  ZP_ASSIGN_OR_RETURN(auth::Issued setup,
                      service.CreateSetupToken(static_cast<int64_t>(std::time(nullptr))));
  fmt::print(stderr,
             "\nNo account exists yet / 尚无账号. Create the administrator within the hour with\n"
             "  curl -X POST {}api/v1/setup -H 'Content-Type: application/json' \\\n"
             "    -d '{{\"setup_token\":\"{}\",\"username\":\"admin\",\"password\":\"...\"}}'\n"
             "or, without the token: zeropark user add --role admin --username admin "
             "--password-stdin --db ...\n"
             "一次性初始化令牌（1 小时内有效）如上；也可用命令行创建管理员。\n\n",
             url, setup.secret);
  return Status::OK();
}

// The demo's accounts, one per role, with random passwords written next to the database
// (mode 0600) and printed at every start.
Status EnsureDemoAccounts(engine::Engine& engine, const std::string& db) {
  const std::string file = db + ".accounts.txt";
  auth::AuthService service(engine.store());
  ZP_ASSIGN_OR_RETURN(bool has_users, service.HasUsers());
  if (!has_users) {
    const std::vector<model::Enterprise> enterprises = engine.ListEnterprises();
    const std::vector<model::Zone> zones = engine.ListZones();
    if (enterprises.empty() || zones.empty()) return Status::OK();
    const model::Enterprise& ent = enterprises.front();
    std::ostringstream out;
    out << "zeropark demo accounts / 演示账号 (database " << db << ")\n";
    auto add = [&](std::string name, auth::Role role, std::string display) -> Status {
      auth::User u;
      u.username = name;
      u.display_name = std::move(display);
      u.role = role;
      if (role == auth::Role::kEnterprise) u.enterprise_code = ent.code;
      if (role == auth::Role::kOfficer)
        u.zones = {ent.zone_code.empty() ? zones.front().code : ent.zone_code};
      // 14 random characters plus a digit and a letter: always two character classes.
      std::string password =
          role == auth::Role::kDevice ? "" : auth::NewSecret().substr(3, 14) + "7k";
      ZP_ASSIGN_OR_RETURN(auth::User created, service.CreateUser(u, password));
      if (role == auth::Role::kDevice) {
        std::vector<std::string> meters;
        for (const model::Meter& m : engine.ListMeters()) {
          if (m.enterprise_code == ent.code && m.kind != model::MeterKind::kVirtual) {
            meters.push_back(m.code);
          }
        }
        ZP_ASSIGN_OR_RETURN(
            auth::Issued token,
            service.IssueToken(created.id, auth::CredentialKind::kDeviceToken, "demo gateway",
                               meters, 0, static_cast<int64_t>(std::time(nullptr))));
        out << fmt::format("  {:<10} {:<16} device token / 设备令牌: {}  (meters of {})\n",
                           auth::RoleName(role), name, token.secret, ent.code);
      } else {
        out << fmt::format("  {:<10} {:<16} password / 密码: {}{}\n", auth::RoleName(role), name,
                           password,
                           role == auth::Role::kEnterprise ? "  (" + ent.name + ")"
                           : role == auth::Role::kOfficer  ? "  (zone " + u.zones.front() + ")"
                                                           : std::string());
      }
      return Status::OK();
    };
    ZP_RETURN_IF_ERROR(add("demo-admin", auth::Role::kAdmin, "演示管理员 / Demo administrator"));
    ZP_RETURN_IF_ERROR(add("demo-analyst", auth::Role::kAnalyst, "演示分析员 / Demo analyst"));
    ZP_RETURN_IF_ERROR(add("demo-officer", auth::Role::kOfficer, "演示网格员 / Demo officer"));
    ZP_RETURN_IF_ERROR(
        add("demo-enterprise", auth::Role::kEnterprise, "演示企业用户 / Demo enterprise user"));
    ZP_RETURN_IF_ERROR(add("demo-auditor", auth::Role::kAuditor, "演示审计员 / Demo auditor"));
    ZP_RETURN_IF_ERROR(add("demo-gateway", auth::Role::kDevice, "演示网关 / Demo gateway"));
    out << "Log in: POST /api/v1/login {\"username\",\"password\"} (session cookie), or send "
           "Authorization: Bearer <token> / 登录方式\n";
    {
      std::ofstream f(file, std::ios::trunc);
      f << out.str();
      if (!f) return InternalError("cannot write " + file);
    }
    ::chmod(file.c_str(), 0600);
  }
  std::ifstream in(file);
  if (in) {
    std::ostringstream text;
    text << in.rdbuf();
    fmt::print(stderr, "\n{}\n", text.str());
  } else {
    fmt::print(stderr, "demo accounts exist; their passwords were in {} / 演示账号已存在\n", file);
  }
  return Status::OK();
}

// SIGINT and SIGTERM, blocked in the calling thread and so in every thread it starts afterwards
// (the engine's, the server's): ServeUntilSignal waits for them with sigwait.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Serves until SIGINT or SIGTERM, then stops the server and flushes the engine. The signals must
// have been blocked (BlockStopSignals) before any thread was started.
int ServeUntilSignal(engine::Engine& engine, const ServeArgs& args, bool demo = false,
                     bool demo_live = false) {
  const sigset_t signals = BlockStopSignals();

  server::ServerOptions options;
  options.host = args.host;
  options.port = args.port;
  options.threads = args.threads;
  options.secure_cookies = !args.insecure_cookies;
  options.web_dir = WebDir(args);
  options.hj212_port = args.hj212_port;
  Result<std::unique_ptr<server::Server>> server = server::Server::Start(engine, options);
  if (!server.ok()) return Fail(server.error());
  const model::Park park = engine.GetPark();
  const std::string host =
      args.host.find(':') != std::string::npos ? "[" + args.host + "]" : args.host;
  fmt::print(stderr,
             "zeropark {} serving {} at http://{}:{}/ (database {})\n"
             "dashboard / 看板: http://{}:{}/app/\n"
             "正在服务, 按 Ctrl-C 停止 / press Ctrl-C to stop\n",
             server::Version(), park.name.empty() ? "the park" : park.name, host, (*server)->port(),
             args.db, host, (*server)->port());
  if ((*server)->hj212_port() > 0) {
    fmt::print(stderr, "HJ 212 listening on port {} / HJ 212 数采仪接入端口 {}\n",
               (*server)->hj212_port(), (*server)->hj212_port());
  }
  if (Status s = OfferSetup(engine, fmt::format("http://{}:{}/", host, (*server)->port()));
      !s.ok()) {
    fmt::print(stderr, "warning: {}\n", s.message());
  }
  std::unique_ptr<DemoLiveLoop> live;
  if (demo_live) live = DemoLiveLoop::Start(engine);
  std::unique_ptr<DemoSimLoop> loggers;
  if (demo && (*server)->hj212_port() > 0) {
    loggers = DemoSimLoop::Start(engine, (*server)->hj212_port(), demo_live);
  }
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  fmt::print(stderr, "stopping (signal {}) ...\n", signal_number);
  loggers.reset();
  live.reset();
  (*server)->Stop();
  if (Status s = engine.Flush(); !s.ok()) return Fail(s.WithContext("final flush"));
  return 0;
}

int RunServe(const ServeArgs& args) {
  BlockStopSignals();  // before the engine starts its thread
  Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(args.db, /*background=*/true);
  if (!engine.ok()) return Fail(engine.error());
  return ServeUntilSignal(**engine, args);
}

int RunDemo(const DemoArgs& args) {
  const sigset_t signals = BlockStopSignals();  // before the engine starts its thread
  Result<std::unique_ptr<engine::Engine>> engine = OpenEngine(args.serve.db, /*background=*/true);
  if (!engine.ok()) return Fail(engine.error());
  Result<std::optional<std::string>> marker = (*engine)->GetSetting(demo::kDemoCreatedSetting);
  if (!marker.ok()) return Fail(marker.error());
  if (marker->has_value()) {
    fmt::print(stderr,
               "demo park already in {}; generation options are ignored (delete the file to "
               "regenerate) / 演示园区已存在\n",
               args.serve.db);
  } else if (!(*engine)->ListZones().empty() || !(*engine)->ListMeters().empty()) {
    return Fail(fmt::format(
        "{} holds a registry but no finished demo park (an interrupted demo run, or not a demo "
        "database); delete it or choose another --db / 数据库不是完整的演示园区",
        args.serve.db));
  } else {
    demo::DemoOptions options;
    options.seed = args.seed;
    options.enterprises = args.enterprises;
    options.year = args.year;
    options.days = args.days;
    if (options.days == 0) {
      // Through yesterday; the live feed writes today. The faults stay in the first year.
      const int32_t first = DaysFromCivil(args.year, 1, 1);
      // The demo park is in Asia/Shanghai: UTC+8, no daylight saving.
      const int32_t today =
          TimeZone::Fixed(8 * 3600).LocalDay(static_cast<int64_t>(std::time(nullptr)));
      options.days = std::clamp(today - first, 1, 3660);
      options.fault_days = std::min(options.days, DaysFromCivil(args.year + 1, 1, 1) - first);
    }
    const bool tty = StderrIsTerminal();
    int last_percent = -1;
    options.progress = [&](std::string_view stage, int64_t done, int64_t total) {
      if (stage != "readings") {
        fmt::print(stderr, "demo: {} done / 档案已生成\n", stage);
        return;
      }
      const int percent = total > 0 ? static_cast<int>(done * 100 / total) : 100;
      if (percent == last_percent) return;
      last_percent = percent;
      if (tty) {
        fmt::print(stderr, "\rdemo: readings day {}/{} ({}%) / 生成读数", done, total, percent);
        if (done == total) fmt::print(stderr, "\n");
      } else if (percent % 10 == 0) {
        fmt::print(stderr, "demo: readings day {}/{} ({}%)\n", done, total, percent);
      }
    };
    fmt::print(stderr,
               "generating the demo park in {} (seed {}, {} enterprises, {} days from {}-01-01) "
               "/ 正在生成演示园区\n",
               args.serve.db, args.seed, args.enterprises, options.days, args.year);
    // Generate on a worker so that Ctrl-C (blocked for the serving phase) still interrupts.
    std::optional<Result<demo::DemoSummary>> built;
    std::atomic<bool> finished{false};
    std::thread worker([&] {
      built.emplace(demo::BuildDemoPark(**engine, options));
      finished = true;
    });
    while (!finished) {
      const timespec tick{0, 100'000'000};
      if (sigtimedwait(&signals, nullptr, &tick) > 0) {
        fmt::print(stderr,
                   "\ninterrupted: {} holds an incomplete demo park; delete it before the next "
                   "run / 已中断, 请删除不完整的数据库\n",
                   args.serve.db);
        std::_Exit(130);
      }
    }
    worker.join();
    const Result<demo::DemoSummary>& summary = *built;
    if (!summary.ok()) return Fail(summary.error());
    fmt::print(stderr,
               "demo park ready: {} zones, {} enterprises, {} meters, {} readings in {:.1f} s / "
               "演示园区已就绪\n",
               summary->zones, summary->enterprises, summary->meters, summary->readings,
               summary->seconds);
  }
  // The green-power side (supply registry, hourly green source, settled months): on a fresh park,
  // and once on a demo database made before it existed.
  Result<std::optional<std::string>> supply = (*engine)->GetSetting(green::kSettingSupply);
  if (!supply.ok()) return Fail(supply.error());
  if (!supply->has_value()) {
    demo::DemoGreenOptions green_options;
    green_options.report = [](std::string_view line) { fmt::print(stderr, "demo: {}\n", line); };
    Result<demo::DemoGreenSummary> green = demo::BuildDemoGreen(**engine, green_options);
    if (!green.ok()) return Fail(green.error().WithContext("demo green power / 演示绿电"));
  }
  // Environmental monitoring: the pollution sources of a fleet of simulated data loggers, once.
  Result<std::optional<std::string>> sources = (*engine)->GetSetting(environment::kSettingSources);
  if (!sources.ok()) return Fail(sources.error());
  if (!sources->has_value()) {
    Result<std::vector<environment::SimLogger>> fleet =
        demo::BuildDemoEnvironment(**engine, args.seed);
    if (!fleet.ok()) return Fail(fleet.error().WithContext("demo environment / 演示环境监测"));
    fmt::print(stderr, "demo: {} pollution sources with HJ 212 data loggers / 个污染源已登记\n",
               fleet->size());
  }
  if (Status s = EnsureDemoAccounts(**engine, args.serve.db); !s.ok()) {
    return Fail(s.WithContext("demo accounts"));
  }
  if (args.no_serve) return 0;
  return ServeUntilSignal(**engine, args.serve, /*demo=*/true, /*demo_live=*/!args.no_live);
}

}  // namespace

void AddServeCommands(CLI::App& app, Runner* run) {
  auto serve_args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand("serve", "serve the HTTP API / 启动 HTTP 服务");
  AddDbOption(serve, &serve_args->db);
  AddListenOptions(serve, serve_args.get());
  serve->callback([serve_args, run] { *run = [serve_args] { return RunServe(*serve_args); }; });

  auto demo_args = std::make_shared<DemoArgs>();
  CLI::App* demo = app.add_subcommand(
      "demo", "create a demo park (first run) and serve it / 生成演示园区并启动服务");
  AddDbOption(demo, &demo_args->serve.db, kDefaultDemoDb);
  demo->add_option("--seed", demo_args->seed, "random seed / 随机种子")->capture_default_str();
  demo->add_option("--enterprises", demo_args->enterprises, "number of enterprises / 企业数")
      ->check(CLI::Range(1, 5000))
      ->capture_default_str();
  demo->add_option("--year", demo_args->year, "year the readings start / 起始年份")
      ->check(CLI::Range(1990, 2100))
      ->capture_default_str();
  demo->add_option("--days", demo_args->days,
                   "days of readings (default: from January 1 of --year to yesterday, then live) "
                   "/ 天数(默认至昨天, 之后实时写入)")
      ->check(CLI::Range(1, 3660));
  demo->add_flag("--no-serve", demo_args->no_serve, "only generate, do not serve / 只生成不服务");
  demo->add_flag("--no-live", demo_args->no_live,
                 "do not write new readings while serving / 服务时不写入实时数据");
  AddListenOptions(demo, &demo_args->serve);
  demo->callback([demo_args, run] { *run = [demo_args] { return RunDemo(*demo_args); }; });
}

}  // namespace zp::cli
