#pragma once

// The demo park's environmental monitoring (issue 7): a fleet of simulated HJ 212 data loggers --
// boiler stacks and wastewater outfalls -- over manufacturing enterprises of the park, registered
// as its pollution sources (setting env/sources) and remembered in the setting env/demo_fleet so
// the same fleet can be played again after a restart (`zeropark demo`, `zeropark hj212-sim`).
// 演示园区环境监测: 在制造业企业上登记模拟数采仪 (锅炉排气筒与废水排放口),
// 并记住机队以便重启后继续。

#include <cstdint>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/engine/engine.h"
#include "zp/environment/simulator.h"

namespace zp::demo {

// The environment::FleetOptions of the demo fleet (environment::FleetOptionsToJson).
inline constexpr std::string_view kDemoFleetSetting = "env/demo_fleet";
inline constexpr int32_t kDemoLoggers = 12;

// The fleet options for the park in `engine`: kDemoLoggers loggers over up to 8 manufacturing
// enterprises (industry section C; all enterprises when there is none), half of them with a gas
// boiler meter (".GAS.BOILER", whose stacks burn gas), chosen deterministically from the seed.
// FailedPrecondition when the park has no enterprise.
Result<environment::FleetOptions> DemoFleetOptions(engine::Engine& engine, uint64_t seed);

// DemoFleetOptions -> environment::MakeFleet; validates the registry against the park
// (environment::ValidateSources) and stores it as env/sources (with password hashes) and the
// options as env/demo_fleet. AlreadyExists when either setting is present (nothing is changed).
Result<std::vector<environment::SimLogger>> BuildDemoEnvironment(engine::Engine& engine,
                                                                 uint64_t seed);

// The fleet stored in env/demo_fleet, rebuilt (same sources and passwords as when it was built).
// NotFound when the setting is absent; InvalidArgument when it is unreadable.
Result<std::vector<environment::SimLogger>> DemoFleet(engine::Engine& engine);

}  // namespace zp::demo
