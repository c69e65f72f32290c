#pragma once

// Test helper (header-only): a demo park built in a fresh test engine. Not for production code.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "zp/base/result.h"
#include "zp/base/status.h"
#include "zp/base/time.h"
#include "zp/demo/demo.h"
#include "zp/engine/engine.h"
#include "zp/engine/testing.h"

namespace zp::demo {

// Opens engine::OpenTestEngine(store_uri) (background off) and builds the demo park of `options`
// in it.
inline Result<std::unique_ptr<engine::Engine>> OpenDemoEngine(std::string_view store_uri,
                                                              const DemoOptions& options) {
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<engine::Engine> engine, engine::OpenTestEngine(store_uri));
  ZP_RETURN_IF_ERROR(BuildDemoPark(*engine, options).status());
  return engine;
}

// The small demo park the green-power tests share: 20 enterprises over the first two weeks of
// 2025, in the memory store `store_name`. `from_s`/`to_s` receive the UTC bounds of those days.
struct TwoWeekDemo {
  static constexpr int32_t kEnterprises = 20;
  static constexpr int32_t kYear = 2025;
  static constexpr int32_t kDays = 14;
};
inline Result<std::unique_ptr<engine::Engine>> OpenTwoWeekDemo(std::string_view store_name,
                                                               int64_t* from_s, int64_t* to_s) {
  DemoOptions o;
  o.enterprises = TwoWeekDemo::kEnterprises;
  o.year = TwoWeekDemo::kYear;
  o.days = TwoWeekDemo::kDays;
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<engine::Engine> engine,
                      OpenDemoEngine(std::string("memory:") + std::string(store_name), o));
  const TimeZone tz = engine->zone();
  *from_s = tz.DayStart(DaysFromCivil(TwoWeekDemo::kYear, 1, 1));
  *to_s = tz.DayStart(DaysFromCivil(TwoWeekDemo::kYear, 1, 1) + TwoWeekDemo::kDays);
  return engine;
}

}  // namespace zp::demo
