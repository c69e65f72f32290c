// Accounting benchmark: recompute a full year of energy and carbon, all enterprises, all months,
// both electricity methods and both Scope 2 methods, from the rollups.
//
//   demo  the default demo park (200 enterprises, 1,939 meters, 2025 at 15 minutes), built into a
//         SQLite file first (not timed);
//   x15   a park 15 times larger by meters (3,200 enterprises, 30,000+ meters) planned by the demo
//         generator, with month rollups written straight into the store (not timed). The values
//         of those rollups are synthetic (the cost of the accounts does not depend on them); the
//         registry, meter trees and enterprise data are the demo generator's.
//
// Timed: LoadInput (registry, month rollups of every meter, enterprise data) + energy accounts +
// carbon accounts + the yearly and monthly reports by enterprise. Each case runs --runs times;
// min and median are reported. Prints one JSON object.
//
// Usage: zp_accounting_bench [--dir DIR] [--runs N] [--cases demo,x15]

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "zp/base/time.h"
#include "zp/carbon/carbon.h"
#include "zp/demo/demo.h"
#include "zp/engine/engine.h"
#include "zp/store/store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Timing {
  std::vector<double> seconds;
  int64_t meters = 0, enterprises = 0, rows = 0;
  double load_s = 0, compute_s = 0, report_s = 0;  // of the fastest run
};

zp::Status RunOnce(zp::engine::Engine& engine, Timing* t) {
  const int32_t from = zp::MonthIndex(2025, 1), to = zp::MonthIndex(2026, 1);
  const auto t0 = Clock::now();
  ZP_ASSIGN_OR_RETURN(zp::energy::Input in, zp::energy::LoadInput(engine, from, to));
  const auto t1 = Clock::now();
  ZP_ASSIGN_OR_RETURN(auto ref, zp::refdata::RefData::Build());
  auto green = zp::energy::MakeManualGreenSupply();
  t->meters = static_cast<int64_t>(in.meters.size());
  t->enterprises = static_cast<int64_t>(in.enterprises.size());
  ZP_ASSIGN_OR_RETURN(
      auto en, zp::energy::Accounts::Compute(std::make_shared<zp::energy::Input>(std::move(in)),
                                             ref, green.get()));
  ZP_ASSIGN_OR_RETURN(auto ca, zp::carbon::CarbonAccounts::Compute(en));
  const auto t2 = Clock::now();
  int64_t rows = 0;
  for (zp::energy::Period p : {zp::energy::Period::kYear, zp::energy::Period::kMonth}) {
    zp::energy::ReportQuery q;
    q.group = zp::energy::Group::kEnterprise;
    q.period = p;
    q.from_month = from;
    q.to_month = to;
    ZP_ASSIGN_OR_RETURN(auto er, zp::energy::EnergyReport(*en, q));
    ZP_ASSIGN_OR_RETURN(auto cr, zp::carbon::CarbonReport(*ca, q));
    rows += static_cast<int64_t>(er.size() + cr.size());
  }
  const auto t3 = Clock::now();
  const double total = std::chrono::duration<double>(t3 - t0).count();
  if (t->seconds.empty() || total < *std::min_element(t->seconds.begin(), t->seconds.end())) {
    t->load_s = std::chrono::duration<double>(t1 - t0).count();
    t->compute_s = std::chrono::duration<double>(t2 - t1).count();
    t->report_s = std::chrono::duration<double>(t3 - t2).count();
  }
  t->seconds.push_back(total);
  t->rows = rows;
  return zp::Status::OK();
}

zp::Result<std::unique_ptr<zp::engine::Engine>> OpenEngine(const std::string& path) {
  ZP_ASSIGN_OR_RETURN(auto store, zp::store::OpenStore("sqlite:" + path));
  zp::engine::EngineOptions o;
  o.background = false;
  return zp::engine::Engine::Open(std::move(store), o);
}

// The 15x park: registry and enterprise data from the demo plan, synthetic month rollups.
zp::Status BuildLarge(zp::engine::Engine& engine) {
  zp::demo::DemoOptions o;
  o.enterprises = 3200;  // 16x the demo's enterprises: just over 30,000 meters
  ZP_ASSIGN_OR_RETURN(zp::demo::DemoPlan plan, zp::demo::PlanDemoPark(o));
  ZP_RETURN_IF_ERROR(engine.PutPark(plan.park));
  ZP_RETURN_IF_ERROR(engine.ImportRegistry(plan.zones, plan.enterprises, plan.meters));
  ZP_RETURN_IF_ERROR(engine.PutEnterpriseData(plan.data).status());
  zp::store::FlushBatch batch;
  uint64_t x = 88172645463325252ULL;
  for (const zp::model::Meter& m : engine.ListMeters()) {
    if (m.kind == zp::model::MeterKind::kVirtual) continue;
    for (int32_t mo = 1; mo <= 12; ++mo) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      zp::store::MonthSum s;
      s.series_id = m.id;
      s.month = zp::MonthIndex(2025, mo);
      s.sum = 1000.0 + static_cast<double>(x % 1'000'000) / 10.0;
      s.count = 2880;
      batch.months.push_back(s);
    }
  }
  return engine.store().Commit(batch);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/zp-accounting-bench";
  int runs = 5;
  std::string cases = "demo,x15";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--dir") dir = argv[i + 1];
    if (a == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--cases") cases = argv[i + 1];
  }
  std::filesystem::create_directories(dir);
  std::string out = "{";
  auto run_case = [&](const std::string& name, const std::string& path, bool large) -> bool {
    auto engine = OpenEngine(path);
    if (!engine.ok()) {
      fmt::print(stderr, "{}: {}\n", name, engine.status().ToString());
      return false;
    }
    auto marker = (*engine)->GetSetting("bench/built");
    if (!marker.ok() || !marker->has_value()) {
      fmt::print(stderr, "building the {} park in {} (not timed) ...\n", name, path);
      zp::Status s = large ? BuildLarge(**engine)
                           : zp::demo::BuildDemoPark(**engine, zp::demo::DemoOptions{}).status();
      if (s.ok()) s = (*engine)->PutSetting("bench/built", "1");
      if (!s.ok()) {
        fmt::print(stderr, "{}: {}\n", name, s.ToString());
        return false;
      }
    }
    Timing t;
    for (int r = 0; r < runs; ++r) {
      zp::Status s = RunOnce(**engine, &t);
      if (!s.ok()) {
        fmt::print(stderr, "{}: {}\n", name, s.ToString());
        return false;
      }
    }
    std::vector<double> sorted = t.seconds;
    std::sort(sorted.begin(), sorted.end());
    out +=
        fmt::format(R"({}"{}":{{"enterprises":{},"meters":{},"months":12,"runs":{},"min_s":{:.4f},)"
                    R"("median_s":{:.4f},"fastest":{{"load_rollups_s":{:.4f},"accounts_s":{:.4f},)"
                    R"("reports_s":{:.4f}}},"report_rows":{}}})",
                    out.size() > 1 ? "," : "", name, t.enterprises, t.meters, runs, sorted.front(),
                    sorted[sorted.size() / 2], t.load_s, t.compute_s, t.report_s, t.rows);
    fmt::print(stderr, "{}: {} meters, min {:.3f} s, median {:.3f} s\n", name, t.meters,
               sorted.front(), sorted[sorted.size() / 2]);
    return true;
  };
  bool ok = true;
  if (cases.find("demo") != std::string::npos) ok &= run_case("demo", dir + "/demo.zpdb", false);
  if (cases.find("x15") != std::string::npos) ok &= run_case("x15", dir + "/x15.zpdb", true);
  out += "}";
  fmt::print("{}\n", out);
  return ok ? 0 : 1;
}
