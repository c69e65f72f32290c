// The demo park's environmental monitoring: a fleet of 12 loggers over manufacturing enterprises,
// stored as the park's pollution sources and rebuilt identically from env/demo_fleet.
// 演示园区环境监测: 机队登记与重建。

#include "zp/demo/demo_env.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "zp/demo/demo.h"
#include "zp/demo/testing.h"
#include "zp/environment/simulator.h"
#include "zp/environment/sources.h"

namespace zp::demo {
namespace {

std::unique_ptr<engine::Engine> DemoEngine(std::string_view name) {
  DemoOptions o;
  o.enterprises = 40;
  o.days = 1;
  Result<std::unique_ptr<engine::Engine>> engine =
      OpenDemoEngine(std::string("memory:") + std::string(name), o);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return engine.ok() ? std::move(*engine) : nullptr;
}

TEST(DemoEnvironment, RegistersAFleetAndRebuildsIt) {
  std::unique_ptr<engine::Engine> engine = DemoEngine("demo_env_a");
  ASSERT_NE(engine, nullptr);
  Result<std::vector<environment::SimLogger>> fleet = BuildDemoEnvironment(*engine, 42);
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  ASSERT_EQ(fleet->size(), static_cast<size_t>(kDemoLoggers));

  // Over manufacturing enterprises; stacks and outfalls; gas-boiler enterprises burn gas.
  std::map<std::string, model::Enterprise> by_code;
  for (const model::Enterprise& e : engine->ListEnterprises()) by_code[e.code] = e;
  std::set<std::string> gas_boiler;
  for (const model::Meter& m : engine->ListMeters()) {
    if (m.code.ends_with(".GAS.BOILER")) gas_boiler.insert(m.enterprise_code);
  }
  std::set<std::string> enterprises;
  int stacks = 0, outfalls = 0;
  for (const environment::SimLogger& lg : *fleet) {
    const environment::Source& s = lg.source;
    ASSERT_TRUE(by_code.contains(s.enterprise_code));
    EXPECT_TRUE(by_code[s.enterprise_code].industry_code.starts_with("C"));
    enterprises.insert(s.enterprise_code);
    if (s.kind == environment::SourceKind::kStack) {
      ++stacks;
      if (gas_boiler.contains(s.enterprise_code)) {
        EXPECT_EQ(s.fuel, environment::Fuel::kGas);
      }
    } else {
      ++outfalls;
    }
  }
  EXPECT_GE(enterprises.size(), 4u);
  EXPECT_LE(enterprises.size(), 8u);
  EXPECT_GT(stacks, 0);
  EXPECT_GT(outfalls, 0);

  // env/sources holds the fleet's registry with password hashes; it validates against the park.
  Result<std::optional<std::string>> stored = engine->GetSetting(environment::kSettingSources);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  Result<environment::SourceRegistry> registry = environment::SourcesFromJson(**stored, nullptr);
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  EXPECT_EQ(*registry, environment::FleetRegistry(*fleet));
  EXPECT_TRUE(environment::ValidateSources(*registry, engine->ListEnterprises()).ok());

  // The same fleet again from env/demo_fleet (a restart), passwords included.
  Result<std::vector<environment::SimLogger>> again = DemoFleet(*engine);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->size(), fleet->size());
  for (size_t i = 0; i < fleet->size(); ++i) {
    EXPECT_EQ((*again)[i].source, (*fleet)[i].source);
    EXPECT_EQ((*again)[i].password, (*fleet)[i].password);
  }

  // Once only: a second build changes nothing.
  Result<std::vector<environment::SimLogger>> twice = BuildDemoEnvironment(*engine, 43);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), StatusCode::kAlreadyExists);
  Result<std::optional<std::string>> after = engine->GetSetting(environment::kSettingSources);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ(**after, **stored);
}

TEST(DemoEnvironment, DeterministicForASeed) {
  std::unique_ptr<engine::Engine> a = DemoEngine("demo_env_b");
  std::unique_ptr<engine::Engine> b = DemoEngine("demo_env_c");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  Result<environment::FleetOptions> oa = DemoFleetOptions(*a, 7);
  Result<environment::FleetOptions> ob = DemoFleetOptions(*b, 7);
  Result<environment::FleetOptions> oc = DemoFleetOptions(*b, 8);
  ASSERT_TRUE(oa.ok() && ob.ok() && oc.ok());
  EXPECT_EQ(oa->enterprises, ob->enterprises);
  EXPECT_EQ(oa->gas_enterprises, ob->gas_enterprises);
  EXPECT_NE(oa->enterprises, oc->enterprises);
}

TEST(DemoEnvironment, WithoutAFleet) {
  Result<std::unique_ptr<engine::Engine>> engine = engine::OpenTestEngine("memory:demo_env_d");
  ASSERT_TRUE(engine.ok());
  Result<std::vector<environment::SimLogger>> fleet = DemoFleet(**engine);
  ASSERT_FALSE(fleet.ok());
  EXPECT_EQ(fleet.status().code(), StatusCode::kNotFound);
  // A park without enterprises cannot have one.
  Result<std::vector<environment::SimLogger>> built = BuildDemoEnvironment(**engine, 1);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*engine)->PutSetting(kDemoFleetSetting, "{\"seed\": 1}").ok());
  EXPECT_EQ(DemoFleet(**engine).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zp::demo
