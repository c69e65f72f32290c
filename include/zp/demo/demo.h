#pragma once

// Demo park: a fictional, realistic northern Chinese development zone (沈北智造经济技术开发区) with
// zones, enterprises, meters and a year of 15-minute readings, generated deterministically from a
// seed and bulk-loaded into an Engine. Same options -> identical registry and readings.
// BuildDemoPark is called by one thread at a time on an engine; DemoGenerator is not thread-safe.
// LiveFeed continues a built park in real time (one caller at a time).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/engine/engine.h"
#include "zp/model/registry.h"

namespace zp::demo {

struct DemoOptions {
  uint64_t seed = 20250101;
  int32_t enterprises = 200;  // 1..5000
  int32_t year = 2025;        // 1992..2200; readings start on January 1, park local time
  int32_t days = 365;         // 1..3660
  // 0..days: faults are placed within the first fault_days days (0 = days). For a fixed
  // fault_days > 0 a day's readings do not depend on `days`: a longer park continues a shorter.
  int32_t fault_days = 0;
  // Called after the registry is imported (stage "registry") and after every generated day
  // (stage "readings", done = days so far, total = days). May be empty.
  std::function<void(std::string_view stage, int64_t done, int64_t total)> progress;
};

struct DemoSummary {
  int32_t zones = 0;
  int32_t enterprises = 0;
  int32_t meters = 0;
  int64_t readings = 0;
  double seconds = 0;
};

// Setting that holds the JSON summary of a built demo park (with seed, enterprises, year, days
// and fault_days: enough to recreate its generator).
inline constexpr std::string_view kDemoCreatedSetting = "demo/created";
// Setting with the UTC instant (decimal seconds) of the last reading written by a LiveFeed.
inline constexpr std::string_view kDemoLiveUntilSetting = "demo/live_until";

// Creates the demo park in `engine`: park, zones, enterprises and meters (ImportRegistry), then
// the readings day by day (WriteUnlogged + Flush), then the setting kDemoCreatedSetting.
// AlreadyExists when that setting is present; InvalidArgument on bad options; the engine's error
// (with context) when a registry code already exists or a write fails.
Result<DemoSummary> BuildDemoPark(engine::Engine& engine, const DemoOptions& options);

// --- the plan and the generator behind BuildDemoPark (tests, benchmarks, tools).

enum class FaultKind : uint8_t {
  kGap,            // no readings at all for 3 days
  kZeroRun,        // exact 0.00 for 12 hours (48 readings)
  kRegisterReset,  // cumulative register drops to near zero once and counts on from there
  kStuck,          // the same value repeated for 24 hours (96 readings)
};
std::string_view FaultKindName(FaultKind kind);  // "gap", "zero_run", "register_reset", "stuck"

// A deliberate defect in the demo data: readings of `meter_code` with from_s <= ts < to_s.
struct DemoFault {
  FaultKind kind = FaultKind::kGap;
  std::string meter_code;
  int64_t from_s = 0;
  int64_t to_s = 0;
};

struct DemoPlan {
  model::Park park;
  std::vector<model::Zone> zones;
  std::vector<model::Enterprise> enterprises;
  // Enterprise meters, then the park's meters; Engine::ImportRegistry orders parents (e.g. the
  // park heat station feeding the enterprises' heat meters) before children. Virtual meters
  // ("other loads" = main - subs) produce no readings.
  std::vector<model::Meter> meters;
  // Economic figures, product output (t, the metal makers), process CO2 and direct-supply green
  // electricity per enterprise and month (year for process CO2): added with
  // Engine::PutEnterpriseData.
  std::vector<model::EnterpriseDatum> data;
  std::vector<DemoFault> faults;
  std::string rollover_meter;  // cumulative meter whose register wraps early in the first week
  int64_t start_s = 0;         // UTC instant of local midnight, January 1 of options.year
  int32_t days = 0;
};

// Builds the registry and fault plan for the options without touching an engine.
Result<DemoPlan> PlanDemoPark(const DemoOptions& options);

// Generates the readings of a plan one local day at a time. Interval readings carry the start of
// their 15-minute interval; cumulative readings the register at that instant. Values are in the
// meter's own unit (before its multiplier), rounded to 0.01. No allocation per reading.
class DemoGenerator {
 public:
  static Result<std::unique_ptr<DemoGenerator>> Create(const DemoOptions& options);
  ~DemoGenerator();
  DemoGenerator(const DemoGenerator&) = delete;
  DemoGenerator& operator=(const DemoGenerator&) = delete;

  const DemoPlan& plan() const;
  // Ids written to ReadingIn::meter_id, parallel to plan().meters (entries of virtual meters are
  // ignored). Until set, the id of plan().meters[i] is i + 1. InvalidArgument on a size mismatch.
  Status SetMeterIds(std::vector<int64_t> ids);

  int32_t next_day() const;  // 0 = January 1; equals plan().days when done
  bool done() const;
  // Upper bound of the readings of one day (for reserving buffers).
  int64_t MaxReadingsPerDay() const;
  // Appends the readings of day next_day() to *out, grouped by meter, ascending in time, and
  // advances. ZP_CHECKs !done().
  void GenerateNextDay(std::vector<engine::ReadingIn>* out);
  // Advances past day next_day() exactly as GenerateNextDay does, without producing readings
  // (fast-forward). ZP_CHECKs !done().
  void SkipNextDay();

 private:
  struct Impl;
  explicit DemoGenerator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Continues a built demo park in real time. It recreates the park's generator from the
// kDemoCreatedSetting JSON with `days` extended to the 3660-day maximum, and writes the readings
// that follow the built days through Engine::Write (logged; source "demo live feed / 演示实时数据")
// as the clock passes them, keeping its position in kDemoLiveUntilSetting so that a new feed
// (after a restart) continues without gaps or duplicates. Not thread-safe: one caller at a time.
// `engine` must outlive the feed; recreate the feed after the demo meters change.
class LiveFeed {
 public:
  // FailedPrecondition when the engine holds no demo park (kDemoCreatedSetting absent) or its
  // settings are unreadable. Cheap: the generator is fast-forwarded by the first CatchUp.
  static Result<std::unique_ptr<LiveFeed>> Create(engine::Engine& engine);
  ~LiveFeed();
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  // Writes every generated reading with live_until() < ts <= now_s, in batches of at most one
  // day, storing kDemoLiveUntilSetting after each batch; returns how many it wrote. The first
  // call that has anything to do first regenerates (without writing) the days before
  // live_until() (~0.6 s CPU for 690 days of a 200-enterprise park). Readings after now_s wait in
  // memory for the next call. Returns 0 (and logs once) once the generator's last day is written.
  Result<int64_t> CatchUp(int64_t now_s);
  // UTC instant of the last reading written (absent setting: the build's last, 23:45 of its last
  // day).
  int64_t live_until() const;

 private:
  LiveFeed(engine::Engine& engine, std::unique_ptr<DemoGenerator> gen, int64_t live_until);
  void LoadNextDay();

  engine::Engine& engine_;
  std::unique_ptr<DemoGenerator> gen_;
  int64_t live_until_ = 0;
  bool started_ = false;  // fast-forward done
  bool exhausted_logged_ = false;
  std::vector<engine::ReadingIn> scratch_;  // one day as generated (by meter)
  std::vector<engine::ReadingIn> pending_;  // the current day by time; [next_, end) unwritten
  size_t next_ = 0;
};

}  // namespace zp::demo
