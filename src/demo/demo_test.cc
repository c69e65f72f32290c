#include "zp/demo/demo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "holidays.h"
#include "zp/base/time.h"
#include "zp/engine/testing.h"

namespace zp::demo {
namespace {

using internal::ClassifyDay;
using internal::DayType;

constexpr int64_t kSlot = 900;

DemoOptions Small() {
  DemoOptions o;
  o.enterprises = 10;
  o.days = 7;
  return o;
}

std::vector<engine::ReadingIn> GenerateAll(const DemoOptions& o) {
  auto gen = DemoGenerator::Create(o);
  EXPECT_TRUE(gen.ok()) << gen.error().ToString();
  std::vector<engine::ReadingIn> all;
  while (!(*gen)->done()) (*gen)->GenerateNextDay(&all);
  return all;
}

uint64_t Hash(const std::vector<engine::ReadingIn>& readings) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a over (id, ts, value bits)
  auto mix = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 1099511628211ULL;
    }
  };
  for (const auto& r : readings) {
    mix(static_cast<uint64_t>(r.meter_id));
    mix(static_cast<uint64_t>(r.ts_s));
    uint64_t bits;
    std::memcpy(&bits, &r.value, sizeof bits);
    mix(bits);
  }
  return h;
}

const model::Meter* FindMeter(const DemoPlan& plan, std::string_view code) {
  for (const model::Meter& m : plan.meters) {
    if (m.code == code) return &m;
  }
  return nullptr;
}

const DemoFault* FindFault(const DemoPlan& plan, FaultKind kind) {
  for (const DemoFault& f : plan.faults) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

TEST(HolidaysTest, China2025) {
  auto day = [](int m, int d) { return ClassifyDay(DaysFromCivil(2025, m, d)); };
  EXPECT_EQ(day(1, 1).type, DayType::kHoliday);
  EXPECT_EQ(day(1, 2).type, DayType::kWorkday);
  EXPECT_EQ(day(1, 4).type, DayType::kSaturday);
  EXPECT_EQ(day(1, 5).type, DayType::kSunday);
  // Spring Festival Jan 28 - Feb 4 with make-up Sunday Jan 26 and Saturday Feb 8.
  EXPECT_EQ(day(1, 26).type, DayType::kWorkday);
  EXPECT_TRUE(day(1, 26).makeup_workday);
  for (int d = 28; d <= 31; ++d) EXPECT_EQ(day(1, d).type, DayType::kHoliday) << d;
  for (int d = 1; d <= 4; ++d) EXPECT_EQ(day(2, d).type, DayType::kHoliday) << d;
  EXPECT_TRUE(day(2, 1).spring_festival);
  EXPECT_FALSE(day(10, 1).spring_festival);
  EXPECT_EQ(day(2, 5).type, DayType::kWorkday);
  EXPECT_TRUE(day(2, 5).spring_festival_ramp);
  EXPECT_EQ(day(2, 8).type, DayType::kWorkday);
  EXPECT_EQ(day(2, 9).type, DayType::kSunday);
  EXPECT_EQ(day(4, 4).type, DayType::kHoliday);
  EXPECT_EQ(day(4, 27).type, DayType::kWorkday);
  EXPECT_EQ(day(5, 5).type, DayType::kHoliday);
  EXPECT_EQ(day(5, 31).type, DayType::kHoliday);
  EXPECT_EQ(day(6, 2).type, DayType::kHoliday);
  EXPECT_EQ(day(9, 28).type, DayType::kWorkday);
  EXPECT_EQ(day(10, 8).type, DayType::kHoliday);
  EXPECT_EQ(day(10, 9).type, DayType::kWorkday);
  EXPECT_EQ(day(10, 11).type, DayType::kWorkday);
  EXPECT_EQ(day(10, 12).type, DayType::kSunday);
  EXPECT_EQ(day(7, 15).type, DayType::kWorkday);
  EXPECT_FALSE(day(7, 15).spring_festival_ramp);
}

TEST(DemoPlanTest, RejectsBadOptions) {
  DemoOptions o;
  o.enterprises = 0;
  EXPECT_EQ(PlanDemoPark(o).error().code(), StatusCode::kInvalidArgument);
  o = DemoOptions();
  o.days = 0;
  EXPECT_EQ(PlanDemoPark(o).error().code(), StatusCode::kInvalidArgument);
  o = DemoOptions();
  o.year = 1988;  // daylight saving time in China
  EXPECT_EQ(PlanDemoPark(o).error().code(), StatusCode::kInvalidArgument);
}

TEST(DemoPlanTest, RejectsBadFaultDays) {
  DemoOptions o = Small();
  o.fault_days = -1;
  EXPECT_EQ(PlanDemoPark(o).error().code(), StatusCode::kInvalidArgument);
  o.fault_days = o.days + 1;
  EXPECT_EQ(PlanDemoPark(o).error().code(), StatusCode::kInvalidArgument);
  o.fault_days = o.days;
  EXPECT_TRUE(PlanDemoPark(o).ok());
}

TEST(DemoPlanTest, SmallParkIsPrefixOfLargeOne) {
  // Enterprises are drawn from their own streams: a small park's are the large park's first.
  auto small = PlanDemoPark(Small());
  auto large = PlanDemoPark(DemoOptions());
  ASSERT_TRUE(small.ok() && large.ok());
  for (size_t i = 0; i < small->enterprises.size(); ++i) {
    EXPECT_EQ(small->enterprises[i].code, large->enterprises[i].code);
    EXPECT_EQ(small->enterprises[i].name, large->enterprises[i].name);
  }
}

TEST(DemoPlanTest, DefaultParkHasRealisticSize) {
  auto plan = PlanDemoPark(DemoOptions());
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->enterprises.size(), 200u);
  EXPECT_GE(plan->zones.size(), 8u);
  EXPECT_LE(plan->zones.size(), 12u);
  EXPECT_GE(plan->meters.size(), 1800u);
  EXPECT_LE(plan->meters.size(), 2300u);
  int keys = 0;
  std::map<std::string, int> divisions;
  for (const auto& e : plan->enterprises) {
    keys += e.key_energy_user;
    ++divisions[e.industry_code.substr(0, 3)];
  }
  EXPECT_EQ(keys, 20);
  EXPECT_TRUE(plan->enterprises[0].key_energy_user);
  for (const char* d :
       {"C36", "C34", "C35", "C38", "C39", "C27", "C13", "C14", "C33", "C29", "G59"}) {
    EXPECT_GT(divisions[d], 0) << d;
  }
  int pv = 0, virtuals = 0, cumulative = 0, park_level = 0;
  for (const auto& m : plan->meters) {
    pv += m.flow == model::MeterFlow::kGeneration;
    virtuals += m.kind == model::MeterKind::kVirtual;
    cumulative += m.kind == model::MeterKind::kCumulative;
    park_level += m.enterprise_code.empty();
  }
  EXPECT_GE(pv, 45);  // ~30% of enterprises plus the park's own
  EXPECT_LE(pv, 80);
  EXPECT_GE(virtuals, 3);
  EXPECT_LE(virtuals, 60);
  EXPECT_GE(cumulative, 100);
  EXPECT_GE(park_level, 5);
  EXPECT_EQ(plan->faults.size(), 4u);
  // The big OEM: 10-30 MW peak shows as a large site with a CT-multiplied main register.
  const model::Meter* oem = FindMeter(*plan, "E001.EL.MAIN");
  ASSERT_NE(oem, nullptr);
  EXPECT_EQ(oem->kind, model::MeterKind::kCumulative);
  EXPECT_EQ(oem->multiplier, 80);
  EXPECT_EQ(oem->register_digits, 8);
}

TEST(DemoPlanTest, SmallParkRegistryIsValid) {
  auto plan = PlanDemoPark(Small());
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_TRUE(model::ValidatePark(plan->park).ok());
  EXPECT_EQ(plan->park.time_zone, "Asia/Shanghai");
  EXPECT_EQ(plan->park.grid_region, "northeast");
  std::set<std::string> zone_codes, codes, names;
  for (const auto& z : plan->zones) {
    EXPECT_TRUE(model::ValidateZone(z).ok()) << z.code;
    EXPECT_FALSE(z.officer.empty());
    zone_codes.insert(z.code);
  }
  int keys = 0;
  for (const auto& e : plan->enterprises) {
    EXPECT_EQ(e.code.size(), 18u);
    EXPECT_TRUE(model::ValidateCreditCode(e.code).ok()) << e.code;
    EXPECT_TRUE(model::ValidateEnterprise(e).ok()) << e.code << " " << e.name;
    EXPECT_EQ(e.code.substr(0, 8), "91210113");
    EXPECT_GE(e.land_area_mu, 20);
    EXPECT_LE(e.land_area_mu, 600);
    EXPECT_TRUE(zone_codes.count(e.zone_code)) << e.zone_code;
    EXPECT_TRUE(codes.insert(e.code).second);
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_NE(e.name.find("有限公司"), std::string::npos) << e.name;
    keys += e.key_energy_user;
  }
  EXPECT_EQ(keys, 1);
  // The largest consumer: the OEM (electricity, paint-shop gas) or the tyre plant (steam).
  EXPECT_TRUE(plan->enterprises[0].key_energy_user || plan->enterprises[2].key_energy_user);
  std::set<std::string> meter_codes, all_codes;
  for (const auto& m : plan->meters) all_codes.insert(m.code);
  for (const auto& m : plan->meters) {
    EXPECT_TRUE(model::ValidateMeter(m).ok())
        << m.code << ": " << model::ValidateMeter(m).message();
    if (!m.parent_code.empty()) {
      EXPECT_TRUE(all_codes.count(m.parent_code)) << m.code;
      // Enterprise heat meters are fed from the park's heat station; every other parent is a
      // meter of the same enterprise listed before its children.
      if (m.carrier == units::Carrier::kHeat) {
        EXPECT_EQ(m.parent_code, "PARK.HEAT.STATION") << m.code;
      } else {
        EXPECT_TRUE(meter_codes.count(m.parent_code)) << m.code;
      }
    }
    if (!m.enterprise_code.empty()) {
      EXPECT_TRUE(codes.count(m.enterprise_code)) << m.code;
    }
    EXPECT_TRUE(meter_codes.insert(m.code).second) << m.code;
  }
  std::set<FaultKind> kinds;
  for (const DemoFault& f : plan->faults) {
    kinds.insert(f.kind);
    EXPECT_NE(FindMeter(*plan, f.meter_code), nullptr) << f.meter_code;
    EXPECT_LT(f.from_s, f.to_s);
  }
  EXPECT_EQ(kinds.size(), 4u);
  ASSERT_FALSE(plan->rollover_meter.empty());
  EXPECT_EQ(FindMeter(*plan, plan->rollover_meter)->kind, model::MeterKind::kCumulative);
}

TEST(DemoGeneratorTest, SameSeedSameReadings) {
  const auto a = GenerateAll(Small());
  const auto b = GenerateAll(Small());
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(Hash(a), Hash(b));
  DemoOptions other = Small();
  other.seed += 1;
  EXPECT_NE(Hash(a), Hash(GenerateAll(other)));
}

// With a fixed fault_days, a longer park's first days are the shorter park's, bit for bit.
TEST(DemoGeneratorTest, FaultDaysMakeALongerParkContinueAShorterOne) {
  DemoOptions shorter;
  shorter.enterprises = 10;
  shorter.days = 4;
  shorter.fault_days = 4;
  DemoOptions longer = shorter;
  longer.days = 9;
  const auto a = GenerateAll(shorter);
  auto gen = DemoGenerator::Create(longer);
  ASSERT_TRUE(gen.ok());
  std::vector<engine::ReadingIn> b;
  for (int d = 0; d < 4; ++d) (*gen)->GenerateNextDay(&b);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].meter_id, b[i].meter_id) << i;
    ASSERT_EQ(a[i].ts_s, b[i].ts_s) << i;
    ASSERT_EQ(std::memcmp(&a[i].value, &b[i].value, sizeof(double)), 0) << i;
  }
  // Same faults, all within the first 4 days.
  auto plan_a = PlanDemoPark(shorter);
  const DemoPlan& plan_b = (*gen)->plan();
  ASSERT_TRUE(plan_a.ok());
  ASSERT_EQ(plan_a->faults.size(), 4u);
  ASSERT_EQ(plan_b.faults.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(plan_a->faults[i].meter_code, plan_b.faults[i].meter_code);
    EXPECT_EQ(plan_a->faults[i].from_s, plan_b.faults[i].from_s);
    EXPECT_EQ(plan_a->faults[i].to_s, plan_b.faults[i].to_s);
    EXPECT_LE(plan_b.faults[i].to_s, plan_b.start_s + 4 * 86400);
  }
  // Without fault_days the faults follow `days`, and the first days differ.
  longer.fault_days = 0;
  auto moved = DemoGenerator::Create(longer);
  ASSERT_TRUE(moved.ok());
  std::vector<engine::ReadingIn> c;
  for (int d = 0; d < 4; ++d) (*moved)->GenerateNextDay(&c);
  EXPECT_NE(Hash(a), Hash(c));
  shorter.fault_days = 0;  // = days: unchanged
  EXPECT_EQ(Hash(a), Hash(GenerateAll(shorter)));
}

TEST(DemoGeneratorTest, SkipNextDayKeepsTheState) {
  const auto all = GenerateAll(Small());
  auto gen = DemoGenerator::Create(Small());
  ASSERT_TRUE(gen.ok());
  for (int d = 0; d < 3; ++d) (*gen)->SkipNextDay();  // past the gap, the rollover's start
  EXPECT_EQ((*gen)->next_day(), 3);
  std::vector<engine::ReadingIn> rest;
  while (!(*gen)->done()) (*gen)->GenerateNextDay(&rest);
  const int64_t day3 = (*gen)->plan().start_s + 3 * 86400;
  std::vector<engine::ReadingIn> expected;
  for (const auto& r : all) {
    if (r.ts_s >= day3) expected.push_back(r);
  }
  ASSERT_EQ(rest.size(), expected.size());
  EXPECT_EQ(Hash(rest), Hash(expected));
}

TEST(DemoGeneratorTest, ReadingsAreWellFormed) {
  auto gen = DemoGenerator::Create(Small());
  ASSERT_TRUE(gen.ok());
  const DemoPlan& plan = (*gen)->plan();
  std::vector<engine::ReadingIn> all;
  while (!(*gen)->done()) (*gen)->GenerateNextDay(&all);
  const int64_t end_s = plan.start_s + plan.days * 86400;
  for (const auto& r : all) {
    ASSERT_GE(r.meter_id, 1);
    ASSERT_LE(r.meter_id, static_cast<int64_t>(plan.meters.size()));
    const model::Meter& m = plan.meters[static_cast<size_t>(r.meter_id - 1)];
    ASSERT_NE(m.kind, model::MeterKind::kVirtual);
    ASSERT_TRUE(std::isfinite(r.value));
    ASSERT_GE(r.value, 0) << m.code;
    ASSERT_EQ(std::round(r.value * 100) / 100, r.value) << m.code;  // 0.01 resolution
    ASSERT_EQ((r.ts_s - plan.start_s) % kSlot, 0);
    ASSERT_GE(r.ts_s, plan.start_s);
    ASSERT_LT(r.ts_s, end_s);
  }
  // Every physical meter reports (January is in the heating season) except the gap days.
  EXPECT_LE(static_cast<int64_t>(all.size()), (*gen)->MaxReadingsPerDay() * plan.days);
  EXPECT_GE(static_cast<int64_t>(all.size()), (*gen)->MaxReadingsPerDay() * plan.days - 3 * 96);
}

TEST(DemoGeneratorTest, HeatOnlyInHeatingSeason) {
  DemoOptions o;
  o.enterprises = 3;
  o.days = 100;  // Jan 1 .. Apr 10
  auto gen = DemoGenerator::Create(o);
  ASSERT_TRUE(gen.ok());
  const DemoPlan& plan = (*gen)->plan();
  std::vector<engine::ReadingIn> all;
  while (!(*gen)->done()) (*gen)->GenerateNextDay(&all);
  const int64_t april = plan.start_s + 90 * 86400LL;  // 2025-04-01 local
  int64_t heat_before = 0, heat_after = 0, electricity_after = 0;
  for (const auto& r : all) {
    const model::Meter& m = plan.meters[static_cast<size_t>(r.meter_id - 1)];
    if (m.carrier == units::Carrier::kHeat) (r.ts_s < april ? heat_before : heat_after)++;
    if (m.carrier == units::Carrier::kElectricity && r.ts_s >= april) ++electricity_after;
  }
  EXPECT_GT(heat_before, 0);
  EXPECT_EQ(heat_after, 0);
  EXPECT_GT(electricity_after, 0);
}

TEST(DemoGeneratorTest, LeapYear2024) {
  EXPECT_EQ(ClassifyDay(DaysFromCivil(2024, 2, 4)).type, DayType::kWorkday);  // make-up Sunday
  EXPECT_EQ(ClassifyDay(DaysFromCivil(2024, 2, 12)).type, DayType::kHoliday);
  DemoOptions o;
  o.enterprises = 1;
  o.year = 2024;
  o.days = 366;
  auto gen = DemoGenerator::Create(o);
  ASSERT_TRUE(gen.ok());
  std::vector<engine::ReadingIn> all;
  while (!(*gen)->done()) (*gen)->GenerateNextDay(&all);
  const TimeZone tz = TimeZone::Fixed(8 * 3600);
  int64_t last = 0;
  for (const auto& r : all) last = std::max(last, r.ts_s);
  EXPECT_EQ(FormatTimestamp(last, tz), "2024-12-31T23:45:00+08:00");
  EXPECT_EQ(FormatTimestamp((*gen)->plan().start_s, tz), "2024-01-01T00:00:00+08:00");
}

// Generator speed on the full-size park (registry of 200 enterprises, 14 days).
TEST(DemoGeneratorTest, GenerationSpeed) {
  DemoOptions o;
  o.days = 14;
  auto gen = DemoGenerator::Create(o);
  ASSERT_TRUE(gen.ok());
  std::vector<engine::ReadingIn> buf;
  buf.reserve(static_cast<size_t>((*gen)->MaxReadingsPerDay()));
  int64_t total = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (!(*gen)->done()) {
    buf.clear();
    (*gen)->GenerateNextDay(&buf);
    total += static_cast<int64_t>(buf.size());
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("demo generator: %lld readings in %.3f s = %.1f M readings/s (%.1f ns each)\n",
              static_cast<long long>(total), s, total / s / 1e6, s / total * 1e9);
  EXPECT_GT(total, 14 * 1700 * 96);
  RecordProperty("readings_per_second", static_cast<int>(total / s));
}

// --- through an Engine.

class DemoEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine::EngineOptions eo;
    eo.flush_interval_s = 0;
    auto eng = engine::OpenTestEngine("memory:", eo);
    ASSERT_TRUE(eng.ok()) << eng.error().ToString();
    engine_ = std::move(*eng).release();
    DemoOptions o = Small();
    o.progress = [](std::string_view stage, int64_t done, int64_t total) {
      if (stage == "readings") {
        ++progress_calls_;
        last_done_ = done;
        last_total_ = total;
      }
    };
    auto summary = BuildDemoPark(*engine_, o);
    ASSERT_TRUE(summary.ok()) << summary.error().ToString();
    summary_ = *summary;
    auto plan = PlanDemoPark(Small());
    ASSERT_TRUE(plan.ok());
    plan_ = new DemoPlan(std::move(*plan));
  }
  static void TearDownTestSuite() {
    delete engine_;
    delete plan_;
    engine_ = nullptr;
    plan_ = nullptr;
  }
  void SetUp() override {
    if (engine_ == nullptr || plan_ == nullptr) GTEST_SKIP() << "suite setup failed";
  }

  static std::vector<tsdb::Point> Raw(std::string_view code) {
    auto r = engine_->ReadRaw(code, plan_->start_s, plan_->start_s + plan_->days * 86400LL);
    EXPECT_TRUE(r.ok()) << code << ": " << r.error().ToString();
    return r.ok() ? *r : std::vector<tsdb::Point>{};
  }
  // Interval energy per timestamp (in primary units, after the multiplier); for a cumulative
  // meter the delta from this reading to the next, with rollover.
  static std::map<int64_t, double> Energy(const model::Meter& m) {
    std::map<int64_t, double> out;
    const auto pts = Raw(m.code);
    if (m.kind != model::MeterKind::kCumulative) {
      for (const auto& p : pts) out[p.ts_s] = p.value * m.multiplier;
      return out;
    }
    const double wrap = std::pow(10.0, m.register_digits);
    for (size_t i = 0; i + 1 < pts.size(); ++i) {
      if (pts[i + 1].ts_s != pts[i].ts_s + kSlot) continue;
      double d = pts[i + 1].value - pts[i].value;
      if (d < 0) d += wrap;
      out[pts[i].ts_s] = d * m.multiplier;
    }
    return out;
  }

  static engine::Engine* engine_;
  static DemoPlan* plan_;
  static DemoSummary summary_;
  static int progress_calls_;
  static int64_t last_done_, last_total_;
};

engine::Engine* DemoEngineTest::engine_ = nullptr;
DemoPlan* DemoEngineTest::plan_ = nullptr;
DemoSummary DemoEngineTest::summary_;
int DemoEngineTest::progress_calls_ = 0;
int64_t DemoEngineTest::last_done_ = 0;
int64_t DemoEngineTest::last_total_ = 0;

TEST_F(DemoEngineTest, CountsAndMarker) {
  EXPECT_EQ(summary_.enterprises, 10);
  EXPECT_EQ(summary_.zones, static_cast<int32_t>(plan_->zones.size()));
  EXPECT_EQ(summary_.meters, static_cast<int32_t>(plan_->meters.size()));
  EXPECT_EQ(engine_->ListEnterprises().size(), 10u);
  EXPECT_EQ(engine_->ListZones().size(), plan_->zones.size());
  EXPECT_EQ(engine_->ListMeters().size(), plan_->meters.size());
  EXPECT_EQ(engine_->GetPark().name, plan_->park.name);
  EXPECT_EQ(engine_->stats().readings_written, summary_.readings);
  EXPECT_EQ(static_cast<size_t>(summary_.readings), GenerateAll(Small()).size());
  EXPECT_EQ(progress_calls_, 7);
  EXPECT_EQ(last_done_, 7);
  EXPECT_EQ(last_total_, 7);

  auto marker = engine_->GetSetting(kDemoCreatedSetting);
  ASSERT_TRUE(marker.ok());
  ASSERT_TRUE(marker->has_value());
  const auto j = nlohmann::json::parse(**marker);
  EXPECT_EQ(j.at("readings").get<int64_t>(), summary_.readings);
  EXPECT_EQ(j.at("faults").size(), 4u);
  EXPECT_EQ(j.at("rollover_meter").get<std::string>(), plan_->rollover_meter);

  auto again = BuildDemoPark(*engine_, Small());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), StatusCode::kAlreadyExists);
}

TEST_F(DemoEngineTest, MarkerRecordsTheGeneratorOptions) {
  auto marker = engine_->GetSetting(kDemoCreatedSetting);
  ASSERT_TRUE(marker.ok() && marker->has_value());
  const auto j = nlohmann::json::parse(**marker);
  EXPECT_EQ(j.at("seed").get<uint64_t>(), Small().seed);
  EXPECT_EQ(j.at("enterprises").get<int32_t>(), 10);
  EXPECT_EQ(j.at("year").get<int32_t>(), 2025);
  EXPECT_EQ(j.at("days").get<int32_t>(), 7);
  EXPECT_EQ(j.at("fault_days").get<int32_t>(), 7);  // 0 = days, recorded resolved
}

TEST_F(DemoEngineTest, StoredReadingsEqualGenerated) {
  auto gen = DemoGenerator::Create(Small());
  ASSERT_TRUE(gen.ok());
  std::vector<engine::ReadingIn> all;
  while (!(*gen)->done()) (*gen)->GenerateNextDay(&all);
  for (const char* code : {"E001.EL.MAIN", "E003.EL.S01", "E005.PV"}) {
    const model::Meter* m = FindMeter(*plan_, code);
    ASSERT_NE(m, nullptr) << code;
    const int64_t id = (m - plan_->meters.data()) + 1;  // generator default ids
    std::vector<tsdb::Point> expected;
    for (const auto& r : all) {
      if (r.meter_id == id) expected.push_back({r.ts_s, r.value});
    }
    EXPECT_EQ(Raw(code), expected) << code;
  }
}

TEST_F(DemoEngineTest, HolidaysAndWeekendsLowerOneShiftLoad) {
  // E005 is the one-shift, five-day machine-tool maker. Days: Jan 1 holiday, Jan 2-3 workdays,
  // Jan 4-5 weekend, Jan 6-7 workdays.
  const model::Meter* m = FindMeter(*plan_, "E005.EL.MAIN");
  ASSERT_NE(m, nullptr);
  std::map<int32_t, double> daily;
  for (const auto& [ts, kwh] : Energy(*m))
    daily[static_cast<int32_t>((ts - plan_->start_s) / 86400)] += kwh;
  ASSERT_EQ(daily.size(), 7u);
  for (int work : {1, 2, 5, 6}) {
    for (int rest : {0, 3, 4}) {
      EXPECT_LT(daily[rest], 0.6 * daily[work]) << "rest day " << rest << " vs work day " << work;
    }
  }
  // A continuous-process plant (E003 tyres) barely notices the weekend.
  const model::Meter* tyre = FindMeter(*plan_, "E003.EL.MAIN");
  ASSERT_NE(tyre, nullptr);
  std::map<int32_t, double> tyre_daily;
  for (const auto& [ts, kwh] : Energy(*tyre)) {
    tyre_daily[static_cast<int32_t>((ts - plan_->start_s) / 86400)] += kwh;
  }
  EXPECT_GT(tyre_daily[4], 0.8 * tyre_daily[2]);
  // Magnitudes: the OEM peaks at 10-30 MW, the machine-tool maker below 1.5 MW.
  const model::Meter* oem = FindMeter(*plan_, "E001.EL.MAIN");
  double oem_peak_kw = 0, small_peak_kw = 0;
  for (const auto& [ts, kwh] : Energy(*oem)) oem_peak_kw = std::max(oem_peak_kw, kwh * 4);
  for (const auto& [ts, kwh] : Energy(*m)) small_peak_kw = std::max(small_peak_kw, kwh * 4);
  EXPECT_GT(oem_peak_kw, 10000);
  EXPECT_LT(oem_peak_kw, 30000);
  EXPECT_GT(small_peak_kw, 300);
  EXPECT_LT(small_peak_kw, 1500);
}

TEST_F(DemoEngineTest, PvIsZeroAtNightAndProducesAtNoon) {
  int pv_meters = 0;
  for (const model::Meter& m : plan_->meters) {
    // Rooftop PV (E001.PV), the admin rooftop and the ground-mounted plant (PARK.PV.*); wind and
    // battery discharge are generation meters too, but run at night.
    const bool pv = m.code.ends_with(".PV") || m.code.starts_with("PARK.PV.");
    if (m.flow != model::MeterFlow::kGeneration || !pv) continue;
    ++pv_meters;
    double noon = 0;
    for (const auto& p : Raw(m.code)) {
      const int64_t local_s = (p.ts_s - plan_->start_s) % 86400;
      const double hour = local_s / 3600.0;
      if (hour < 6.5 || hour >= 17.5) {
        EXPECT_EQ(p.value, 0.0) << m.code << " at " << hour;
      }
      if (hour >= 11 && hour < 13) noon += p.value;
    }
    EXPECT_GT(noon, 0) << m.code;
  }
  EXPECT_GE(pv_meters, 4);
}

TEST_F(DemoEngineTest, SubMetersSumBelowMain) {
  for (const model::Enterprise& e : plan_->enterprises) {
    const model::Meter* main = nullptr;
    std::vector<const model::Meter*> subs;
    for (const model::Meter& m : plan_->meters) {
      if (m.enterprise_code != e.code || m.carrier != units::Carrier::kElectricity) continue;
      if (m.code.ends_with(".EL.MAIN")) main = &m;
      if (!m.parent_code.empty()) subs.push_back(&m);
    }
    ASSERT_NE(main, nullptr);
    ASSERT_GE(subs.size(), 2u) << e.code;
    ASSERT_LE(subs.size(), 8u) << e.code;
    const auto main_energy = Energy(*main);
    std::map<int64_t, double> sum;
    for (const model::Meter* s : subs) {
      for (const auto& [ts, v] : Energy(*s)) sum[ts] += v;
    }
    int compared = 0;
    for (const auto& [ts, v] : sum) {
      auto it = main_energy.find(ts);
      if (it == main_energy.end()) continue;  // the gap fault
      EXPECT_LT(v, it->second) << e.code << " at " << ts;
      ++compared;
    }
    EXPECT_GE(compared, 4 * 96 - 1) << e.code;
  }
}

TEST_F(DemoEngineTest, GreenSupplyMetersAreCompleteAndStorageChargeIsCountedOnce) {
  const std::vector<std::string> codes = {"PARK.WIND", "PARK.PV.GROUND", "E005.BESS.IN",
                                          "E005.BESS.OUT"};
  for (const std::string& code : codes) {
    const model::Meter* m = FindMeter(*plan_, code);
    ASSERT_NE(m, nullptr) << code;
    EXPECT_EQ(m->carrier, units::Carrier::kElectricity) << code;
    EXPECT_EQ(m->flow, code == "E005.BESS.IN" ? model::MeterFlow::kConsumption
                                              : model::MeterFlow::kGeneration)
        << code;
    EXPECT_EQ(Raw(code).size(), 7u * 96) << code;
  }
  EXPECT_EQ(FindMeter(*plan_, "E005.BESS.IN")->parent_code, "E005.EL.MAIN");
  EXPECT_EQ(FindMeter(*plan_, "E005.BESS.IN")->enterprise_code, plan_->enterprises[4].code);
  EXPECT_TRUE(FindMeter(*plan_, "PARK.WIND")->enterprise_code.empty());
  // Complete, and never a suspicious run of zeros (the charge meter reads the standby draw, the
  // discharge meter works every evening, the wind farm never idles a whole day in this week).
  const TimeZone tz = engine_->zone();
  const int32_t day0 = tz.LocalDay(plan_->start_s);
  auto rows = engine_->Completeness(codes, day0, day0 + 7);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), codes.size() * 7);
  for (const engine::CompletenessRow& r : *rows) {
    EXPECT_EQ(r.received, r.expected) << r.meter << " day " << r.day;
    EXPECT_EQ(r.suspect_zero, 0) << r.meter << " day " << r.day;
    EXPECT_EQ(r.flagged, 0) << r.meter << " day " << r.day;
  }
  // E005's electricity by enterprise is its main incomer alone, which includes the battery's
  // charging: the charge meter is a sub-meter and counted once (green::BuildAllocationInput takes
  // it out of the enterprise's hourly demand: storage charge is not demand).
  engine::SumQuery q;
  q.group_by = engine::GroupBy::kEnterprise;
  q.period = engine::Period::kDay;
  q.from_s = plan_->start_s;
  q.to_s = plan_->start_s + 7 * 86400;
  q.carrier = units::Carrier::kElectricity;
  q.enterprises = {plan_->enterprises[4].code};
  auto by_enterprise = engine_->Sums(q);
  ASSERT_TRUE(by_enterprise.ok()) << by_enterprise.error().ToString();
  q.group_by = engine::GroupBy::kMeter;
  q.enterprises.clear();
  q.meters = {"E005.EL.MAIN"};
  auto main = engine_->Sums(q);
  ASSERT_TRUE(main.ok()) << main.error().ToString();
  ASSERT_EQ(by_enterprise->size(), 7u);
  ASSERT_EQ(main->size(), 7u);
  const auto charge = Energy(*FindMeter(*plan_, "E005.BESS.IN"));
  const auto incomer = Energy(*FindMeter(*plan_, "E005.EL.MAIN"));
  double charged = 0;
  for (const auto& [ts, kwh] : charge) {
    charged += kwh;
    EXPECT_LT(kwh, incomer.at(ts)) << ts;
  }
  EXPECT_GT(charged, 0);
  for (size_t d = 0; d < 7; ++d) {
    EXPECT_NEAR((*by_enterprise)[d].value, (*main)[d].value, 1e-6) << d;
  }
}

TEST_F(DemoEngineTest, VirtualOtherLoadsIsMainMinusSubs) {
  const model::Meter* other = nullptr;
  for (const model::Meter& m : plan_->meters) {
    if (m.kind == model::MeterKind::kVirtual) other = &m;
  }
  ASSERT_NE(other, nullptr) << "the small park has a virtual meter";
  auto terms = model::ParseFormula(other->formula);
  ASSERT_TRUE(terms.ok()) << terms.error().ToString();
  ASSERT_GE(terms->size(), 3u);
  EXPECT_EQ((*terms)[0].sign, 1);
  EXPECT_TRUE((*terms)[0].meter_code.ends_with(".EL.MAIN"));
  // Daily sums of the virtual meter equal main minus subs from the raw readings.
  engine::SumQuery q;
  q.group_by = engine::GroupBy::kMeter;
  q.period = engine::Period::kDay;
  q.from_s = plan_->start_s + 86400;  // whole days away from the ends of the data
  q.to_s = plan_->start_s + 3 * 86400;
  q.meters = {other->code};
  auto rows = engine_->Sums(q);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 2u);
  for (const engine::SumRow& row : *rows) {
    double expected = 0;
    for (const model::FormulaTerm& t : *terms) {
      for (const auto& [ts, v] : Energy(*FindMeter(*plan_, t.meter_code))) {
        if (ts >= row.period_start_s && ts < row.period_start_s + 86400) expected += t.sign * v;
      }
    }
    EXPECT_GT(row.value, 0);
    EXPECT_NEAR(row.value, expected, 1e-6 * std::abs(expected) + 0.05) << row.period_start_s;
  }
}

TEST_F(DemoEngineTest, FaultsAppear) {
  // Gap: nothing for three days, readings on both sides.
  const DemoFault* gap = FindFault(*plan_, FaultKind::kGap);
  ASSERT_NE(gap, nullptr);
  EXPECT_EQ(gap->to_s - gap->from_s, 3 * 86400);
  int in = 0, out = 0;
  for (const auto& p : Raw(gap->meter_code))
    (p.ts_s >= gap->from_s && p.ts_s < gap->to_s ? in : out)++;
  EXPECT_EQ(in, 0);
  EXPECT_EQ(out, 4 * 96);

  // Zero run: 48 exact zeros from 08:00 to 20:00, non-zero around it.
  const DemoFault* zero = FindFault(*plan_, FaultKind::kZeroRun);
  ASSERT_NE(zero, nullptr);
  int zeros = 0, other_zeros = 0;
  for (const auto& p : Raw(zero->meter_code)) {
    const bool inside = p.ts_s >= zero->from_s && p.ts_s < zero->to_s;
    if (p.value == 0) (inside ? zeros : other_zeros)++;
  }
  EXPECT_EQ(zeros, 48);
  EXPECT_EQ(other_zeros, 0);

  // Register reset: one reading far below its predecessor, the rest non-decreasing.
  const DemoFault* reset = FindFault(*plan_, FaultKind::kRegisterReset);
  ASSERT_NE(reset, nullptr);
  const auto reg = Raw(reset->meter_code);
  int drops = 0;
  for (size_t i = 1; i < reg.size(); ++i) {
    if (reg[i].value < reg[i - 1].value) {
      ++drops;
      EXPECT_EQ(reg[i].ts_s, reset->from_s);
      EXPECT_LT(reg[i].value, 1.0);
    }
  }
  EXPECT_EQ(drops, 1);

  // Stuck: 96 identical readings over the faulty day.
  const DemoFault* stuck = FindFault(*plan_, FaultKind::kStuck);
  ASSERT_NE(stuck, nullptr);
  std::set<double> stuck_values;
  int stuck_count = 0;
  for (const auto& p : Raw(stuck->meter_code)) {
    if (p.ts_s >= stuck->from_s && p.ts_s < stuck->to_s) {
      stuck_values.insert(p.value);
      ++stuck_count;
    }
  }
  EXPECT_EQ(stuck_count, 96);
  EXPECT_EQ(stuck_values.size(), 1u);
}

TEST_F(DemoEngineTest, RolloverMeterWraps) {
  const model::Meter* m = FindMeter(*plan_, plan_->rollover_meter);
  ASSERT_NE(m, nullptr);
  const auto reg = Raw(m->code);
  ASSERT_EQ(reg.size(), 7u * 96);
  const double wrap = std::pow(10.0, m->register_digits);
  int wraps = 0;
  for (size_t i = 1; i < reg.size(); ++i) {
    ASSERT_LT(reg[i].value, wrap);
    if (reg[i].value < reg[i - 1].value) {
      ++wraps;
      EXPECT_GT(reg[i - 1].value, wrap * 0.99);
      EXPECT_LT(reg[i].value, wrap * 0.01);
    }
  }
  EXPECT_EQ(wraps, 1);
}

}  // namespace
}  // namespace zp::demo
