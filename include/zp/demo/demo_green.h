#pragma once

// The demo park's green power (issue 6), on top of a park built by BuildDemoPark: the supply
// registry of a zero-carbon park (same-site PV and storage, direct supply from the park's wind
// farm, green power trading with bundled GECs, the park's PV as a shared pool, unbundled GECs),
// stored through green::SaveSupply; the accounts' green source set to "hourly"; and the last
// complete months of the readings settled into claimed certificates (green::GreenService).
// 演示园区绿电：供给登记（自发自用、绿电直连、绿电交易与绿证、园区共享光伏），逐时绿电核算，按月结算。
//
// Separate from BuildDemoPark on purpose: parks built by tests stay without a stored registry
// and unsettled. `zeropark demo` calls it once after a fresh build.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/engine/engine.h"
#include "zp/green/supply.h"

namespace zp::demo {

struct DemoGreenOptions {
  // How many of the readings' last complete local months to settle, oldest first (0: none).
  // Months that have not ended by the system clock are skipped.
  int32_t settle_months = 2;
  std::string actor = "demo";
  // Progress lines, English / 中文, with timings ("green settlement 2026-10: ... in 3.2 s / ...").
  // May be empty.
  std::function<void(std::string_view line)> report;
};

struct DemoGreenSummary {
  int32_t assets = 0;
  int32_t contracts = 0;
  std::vector<int32_t> settled_months;  // month indexes (zp::MonthIndex), ascending
  int64_t claimed_wh = 0;               // over the settled months
  double supply_seconds = 0;            // registry built and stored
  double settle_seconds = 0;            // all settlements
};

// The demo supply registry for the built park in `engine` (kDemoCreatedSetting names the
// generator options): deterministic for a park and its readings. FailedPrecondition without a
// demo park.
Result<green::Supply> MakeDemoSupply(engine::Engine& engine);

// MakeDemoSupply -> green::SaveSupply, the setting carbon/green_source = "hourly", then
// GreenService::Settle of the last `settle_months` complete months. AlreadyExists when a supply
// registry is already stored (green/supply); a month already settled is skipped.
Result<DemoGreenSummary> BuildDemoGreen(engine::Engine& engine,
                                        const DemoGreenOptions& options = {});

}  // namespace zp::demo
