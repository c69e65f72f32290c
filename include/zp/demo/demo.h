#pragma once

// Demo park: a fictional, realistic northern Chinese development zone (沈北智造经济技术开发区) with
// zones, enterprises, meters and a year of 15-minute readings, generated deterministically from a
// seed and bulk-loaded into an Engine. Same options -> identical registry and readings.
// BuildDemoPark is called by one thread at a time on an engine; DemoGenerator is not thread-safe.

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

// Setting that holds the JSON summary of a built demo park.
inline constexpr std::string_view kDemoCreatedSetting = "demo/created";

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
  // Economic figures, process CO2 and direct-supply green electricity per enterprise and month
  // (year for process CO2): added with Engine::PutEnterpriseData.
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

 private:
  struct Impl;
  explicit DemoGenerator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zp::demo
