// The demo park's environmental monitoring: its fleet of simulated data loggers and their
// registration as pollution sources. See demo_env.h.

#include "zp/demo/demo_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "zp/environment/sources.h"

namespace zp::demo {
namespace {

constexpr size_t kDemoEnterprises = 8;

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t HashCode(uint64_t seed, std::string_view code) {
  uint64_t h = Mix(seed);
  for (char c : code) h = Mix(h ^ static_cast<uint8_t>(c));
  return h;
}

}  // namespace

Result<environment::FleetOptions> DemoFleetOptions(engine::Engine& engine, uint64_t seed) {
  const std::vector<model::Enterprise> enterprises = engine.ListEnterprises();
  if (enterprises.empty()) {
    return FailedPreconditionError(
        "demo environment: the park has no enterprise / 园区没有企业, 无法登记污染源");
  }
  std::set<std::string> gas_boiler;
  for (const model::Meter& m : engine.ListMeters()) {
    if (!m.enterprise_code.empty() && m.code.ends_with(".GAS.BOILER")) {
      gas_boiler.insert(m.enterprise_code);
    }
  }
  // Manufacturing enterprises (they run boilers and discharge process wastewater), in a seeded
  // order; without any, every enterprise.
  std::vector<std::pair<uint64_t, std::string>> gas, other;
  for (const model::Enterprise& e : enterprises) {
    if (!e.industry_code.starts_with("C")) continue;
    (gas_boiler.contains(e.code) ? gas : other).emplace_back(HashCode(seed, e.code), e.code);
  }
  if (gas.empty() && other.empty()) {
    for (const model::Enterprise& e : enterprises) {
      other.emplace_back(HashCode(seed, e.code), e.code);
    }
  }
  std::sort(gas.begin(), gas.end());
  std::sort(other.begin(), other.end());
  environment::FleetOptions o;
  o.seed = seed;
  o.loggers = kDemoLoggers;
  // Half with gas boilers, the others (coal-fired, mostly) from the rest.
  const size_t want = std::min(kDemoEnterprises, gas.size() + other.size());
  size_t g = 0, k = 0;
  while (o.enterprises.size() < want) {
    const bool take_gas = g < gas.size() && (k >= other.size() || g < (kDemoEnterprises + 1) / 2);
    if (take_gas) {
      o.enterprises.push_back(gas[g].second);
      o.gas_enterprises.push_back(gas[g++].second);
    } else {
      o.enterprises.push_back(other[k++].second);
    }
  }
  return o;
}

Result<std::vector<environment::SimLogger>> BuildDemoEnvironment(engine::Engine& engine,
                                                                 uint64_t seed) {
  for (std::string_view key : {kDemoFleetSetting, environment::kSettingSources}) {
    ZP_ASSIGN_OR_RETURN(std::optional<std::string> existing, engine.GetSetting(key));
    if (existing.has_value()) {
      return AlreadyExistsError(fmt::format(
          "demo environment: setting {} is already stored; nothing was changed / 已有设置 {}, "
          "未作更改",
          key, key));
    }
  }
  ZP_ASSIGN_OR_RETURN(environment::FleetOptions options, DemoFleetOptions(engine, seed));
  std::vector<environment::SimLogger> fleet = environment::MakeFleet(options);
  const environment::SourceRegistry registry = environment::FleetRegistry(fleet);
  ZP_RETURN_IF_ERROR(environment::ValidateSources(registry, engine.ListEnterprises())
                         .WithContext("demo environment"));
  ZP_RETURN_IF_ERROR(
      engine.PutSetting(environment::kSettingSources, environment::SourcesToJson(registry, true))
          .WithContext("demo environment: sources"));
  ZP_RETURN_IF_ERROR(engine.PutSetting(kDemoFleetSetting, environment::FleetOptionsToJson(options))
                         .WithContext("demo environment: fleet"));
  return fleet;
}

Result<std::vector<environment::SimLogger>> DemoFleet(engine::Engine& engine) {
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> text, engine.GetSetting(kDemoFleetSetting));
  if (!text.has_value()) {
    return NotFoundError(fmt::format(
        "no demo fleet in this database (setting {} is absent) / 数据库中没有演示数采仪机队",
        kDemoFleetSetting));
  }
  Result<environment::FleetOptions> o = environment::FleetOptionsFromJson(*text);
  if (!o.ok()) return o.status().WithContext(fmt::format("setting {}", kDemoFleetSetting));
  return environment::MakeFleet(*o);
}

}  // namespace zp::demo
