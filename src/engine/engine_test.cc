#include "zp/engine/engine.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "zp/store/store.h"

namespace zp::engine {
namespace {

// 2024-01-01T00:00:00+08:00 (Asia/Shanghai local midnight).
constexpr int64_t kJan1 = 1704038400;
constexpr int64_t kDay = 86400;

model::Enterprise MakeEnterprise(const std::string& code17, const std::string& zone) {
  model::Enterprise e;
  auto check = model::CreditCodeCheckChar(code17);
  e.code = code17 + std::string(1, check.ok() ? *check : '0');
  e.name = "测试企业 " + code17.substr(12);
  e.industry_code = "C3670";
  e.land_area_mu = 120;
  e.zone_code = zone;
  return e;
}

model::Meter MakeMeter(const std::string& code, const std::string& enterprise,
                       model::MeterKind kind = model::MeterKind::kInterval) {
  model::Meter m;
  m.code = code;
  m.name = code;
  m.enterprise_code = enterprise;
  m.kind = kind;
  return m;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = std::string("memory:engine_test_") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    store::DropMemoryStore(name_.substr(7));
    Open();
    ent_a_ = MakeEnterprise("91210100MA0000001", "Z1");
    ent_b_ = MakeEnterprise("91210100MA0000002", "Z2");
    ASSERT_TRUE(
        engine_
            ->ImportRegistry({{0, "Z1", "网格一", "张三", ""}, {0, "Z2", "网格二", "李四", ""}},
                             {ent_a_, ent_b_},
                             {MakeMeter("A-MAIN", ent_a_.code), MakeMeter("B-MAIN", ent_b_.code)})
            .ok());
  }
  void TearDown() override {
    engine_.reset();
    store::DropMemoryStore(name_.substr(7));
  }

  void Open(bool flush_on_close = true) {
    auto st = store::OpenStore(name_);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
    EngineOptions o;
    o.background = false;
    o.flush_on_close = flush_on_close;
    auto e = Engine::Open(std::move(*st), o);
    ASSERT_TRUE(e.ok()) << e.error().ToString();
    engine_ = std::move(*e);
  }

  int64_t Id(const std::string& code) { return engine_->GetMeter(code)->id; }

  double Sum(GroupBy by, Period period, int64_t from, int64_t to, const std::string& group,
             int64_t period_start) {
    SumQuery q;
    q.group_by = by;
    q.period = period;
    q.from_s = from;
    q.to_s = to;
    auto rows = engine_->Sums(q);
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    for (const SumRow& r : *rows) {
      if (r.group == group && r.period_start_s == period_start) return r.value;
    }
    return std::nan("");
  }

  std::string name_;
  std::unique_ptr<Engine> engine_;
  model::Enterprise ent_a_, ent_b_;
};

TEST_F(EngineTest, WriteThenQueryBeforeAndAfterFlush) {
  std::vector<ReadingIn> rs;
  for (int i = 0; i < 96 * 2; ++i) rs.push_back({Id("A-MAIN"), kJan1 + i * 900, 1.25});
  ASSERT_TRUE(engine_->Write(rs, "test").ok());
  // Unflushed data is visible in every query.
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + 2 * kDay, "A-MAIN", kJan1),
                   120.0);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kPark, Period::kMonth, kJan1, kJan1 + 2 * kDay, "park", kJan1),
                   240.0);
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_DOUBLE_EQ(
      Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + 2 * kDay, "A-MAIN", kJan1 + kDay), 120.0);
  EXPECT_DOUBLE_EQ(
      Sum(GroupBy::kEnterprise, Period::kMonth, kJan1, kJan1 + 2 * kDay, ent_a_.code, kJan1),
      240.0);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kZone, Period::kYear, kJan1, kJan1 + 2 * kDay, "Z1", kJan1), 240.0);
  EXPECT_DOUBLE_EQ(
      Sum(GroupBy::kMeter, Period::kHour, kJan1, kJan1 + 2 * kDay, "A-MAIN", kJan1 + 3600), 5.0);
  auto raw = engine_->ReadRaw("A-MAIN", kJan1, kJan1 + 3600);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 4u);
  EXPECT_EQ((*raw)[3].ts_s, kJan1 + 2700);
}

TEST_F(EngineTest, YearSumsMixFlushedMonthsWithUnflushedDays) {
  // January flushed (month sums), then unflushed readings on February 1 and a changed reading on
  // January 2: the year and the months must include both, whichever path each month takes.
  const int64_t feb1 = kJan1 + 31 * kDay;
  std::vector<ReadingIn> rs;
  for (int i = 0; i < 96 * 2; ++i) rs.push_back({Id("A-MAIN"), kJan1 + i * 900, 1.0});
  ASSERT_TRUE(engine_->Write(rs, "test").ok());
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kYear, kJan1, feb1 + kDay, "A-MAIN", kJan1), 192);
  rs.clear();
  for (int i = 0; i < 96; ++i) rs.push_back({Id("A-MAIN"), feb1 + i * 900, 2.0});
  ASSERT_TRUE(engine_->Write(rs, "live").ok());
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kYear, kJan1, feb1 + kDay, "A-MAIN", kJan1),
                   192 + 192);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kMonth, kJan1, feb1 + kDay, "A-MAIN", kJan1), 192);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kMonth, kJan1, feb1 + kDay, "A-MAIN", feb1), 192);
  ASSERT_TRUE(
      engine_->Write(std::vector<ReadingIn>{{Id("A-MAIN"), kJan1 + kDay, 11.0}}, "fix").ok());
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kMonth, kJan1, feb1 + kDay, "A-MAIN", kJan1), 202);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kPark, Period::kYear, kJan1, feb1 + kDay, "park", kJan1), 394);
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kPark, Period::kYear, kJan1, feb1 + kDay, "park", kJan1), 394);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kMonth, kJan1, feb1 + kDay, "A-MAIN", feb1), 192);
}

TEST_F(EngineTest, DayBoundariesAreParkLocalTime) {
  // 23:45 local on Jan 1 is 15:45Z; 00:00 local Jan 2 is 16:00Z on Jan 1 UTC.
  ASSERT_TRUE(engine_
                  ->Write(std::vector<ReadingIn>{{Id("A-MAIN"), kJan1 + kDay - 900, 7},
                                                 {Id("A-MAIN"), kJan1 + kDay, 11}},
                          "t")
                  .ok());
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + 2 * kDay, "A-MAIN", kJan1), 7);
  EXPECT_DOUBLE_EQ(
      Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + 2 * kDay, "A-MAIN", kJan1 + kDay), 11);
}

TEST_F(EngineTest, IdempotentAndCorrectionsKeptWithProvenance) {
  const int64_t id = Id("A-MAIN");
  ASSERT_TRUE(engine_->Write(std::vector<ReadingIn>{{id, kJan1, 5}}, "first").ok());
  ASSERT_TRUE(engine_->Flush().ok());
  ASSERT_TRUE(engine_->Write(std::vector<ReadingIn>{{id, kJan1, 5}}, "again").ok());
  ASSERT_TRUE(engine_->Flush().ok());
  auto c = engine_->Corrections("A-MAIN", kJan1 - kDay, kJan1 + kDay);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->empty()) << "the same value twice is not a correction";
  ASSERT_TRUE(engine_->Write(std::vector<ReadingIn>{{id, kJan1, 6.5}}, "meter fix").ok());
  ASSERT_TRUE(engine_->Flush().ok());
  c = engine_->Corrections("A-MAIN", kJan1 - kDay, kJan1 + kDay);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].old_value, 5);
  EXPECT_EQ((*c)[0].new_value, 6.5);
  EXPECT_EQ((*c)[0].source, "meter fix");
  auto raw = engine_->ReadRaw("A-MAIN", kJan1, kJan1 + 1);
  ASSERT_EQ(raw->size(), 1u);
  EXPECT_EQ((*raw)[0].value, 6.5);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kMonth, kJan1, kJan1 + kDay, "A-MAIN", kJan1), 6.5);
}

TEST_F(EngineTest, AcknowledgedReadingsSurviveACrash) {
  const int64_t id = Id("A-MAIN");
  engine_.reset();
  Open(/*flush_on_close=*/false);
  std::vector<ReadingIn> rs;
  for (int i = 0; i < 500; ++i) rs.push_back({id, kJan1 + i * 900, static_cast<double>(i)});
  ASSERT_TRUE(engine_->Write(rs, "before crash").ok());
  engine_.reset();  // no flush: only the ingest log holds the readings
  Open();
  auto raw = engine_->ReadRaw("A-MAIN", kJan1, kJan1 + 500 * 900);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 500u);
  EXPECT_EQ((*raw)[499].value, 499);
  ASSERT_TRUE(engine_->Flush().ok());
  engine_.reset();
  Open();
  EXPECT_EQ(engine_->ReadRaw("A-MAIN", kJan1, kJan1 + 500 * 900)->size(), 500u);
}

TEST_F(EngineTest, ConcurrentWritersAreGroupCommittedAndAllKept) {
  const int64_t a = Id("A-MAIN"), b = Id("B-MAIN");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int batch = 0; batch < 50; ++batch) {
        std::vector<ReadingIn> rs;
        for (int i = 0; i < 20; ++i) {
          const int64_t ts = kJan1 + ((t * 50 + batch) * 20 + i) * 900;
          rs.push_back({(i % 2) ? a : b, ts, 1.0});
        }
        if (!engine_->Write(rs, "thread").ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_EQ(engine_->stats().readings_written, 4 * 50 * 20);
  SumQuery q;
  q.group_by = GroupBy::kPark;
  q.period = Period::kYear;
  q.from_s = kJan1;
  q.to_s = kJan1 + 200 * kDay;
  auto rows = engine_->Sums(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_DOUBLE_EQ((*rows)[0].value, 4000.0);
  EXPECT_EQ((*rows)[0].readings, 4000);
}

TEST_F(EngineTest, CumulativeMeterWithRolloverMultiplierAndUnitScale) {
  model::Meter m = MakeMeter("A-GAS", ent_a_.code, model::MeterKind::kCumulative);
  m.carrier = units::Carrier::kElectricity;
  m.unit = "MWh";
  m.register_digits = 4;  // rolls over at 10000
  m.multiplier = 2;
  ASSERT_TRUE(engine_->PutMeter(m, true).ok());
  const int64_t id = Id("A-GAS");
  // Register 9998 -> 9999 -> 0001 (rollover: +2) -> 0002, hourly readings at local 22:00..01:00.
  std::vector<ReadingIn> rs = {{id, kJan1 + 22 * 3600, 9998},
                               {id, kJan1 + 23 * 3600, 9999},
                               {id, kJan1 + 24 * 3600, 1},
                               {id, kJan1 + 25 * 3600, 2}};
  ASSERT_TRUE(engine_->Write(rs, "t").ok());
  // Deltas 1 MWh (22-23), 2 MWh (23-24, rollover), 1 MWh (00-01 next day); x2 multiplier, in kWh.
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + 2 * kDay, "A-GAS", kJan1),
                   6000.0);
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + 2 * kDay, "A-GAS", kJan1),
                   6000.0);
  EXPECT_DOUBLE_EQ(
      Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + 2 * kDay, "A-GAS", kJan1 + kDay), 2000.0);
  // A reset that the register width does not explain is flagged, not summed.
  ASSERT_TRUE(engine_
                  ->Write(std::vector<ReadingIn>{{id, kJan1 + 26 * 3600, 1000},
                                                 {id, kJan1 + 27 * 3600, 500}},
                          "t")
                  .ok());
  ASSERT_TRUE(engine_->Flush().ok());
  auto comp = engine_->Completeness(std::vector<std::string>{"A-GAS"}, 19723 + 1, 19723 + 2);
  ASSERT_TRUE(comp.ok()) << comp.error().ToString();
  ASSERT_EQ(comp->size(), 1u);
  EXPECT_GE((*comp)[0].flagged, 1);
}

TEST_F(EngineTest, SubMetersAndVirtualMetersAreNotDoubleCounted) {
  model::Meter sub = MakeMeter("A-SUB", ent_a_.code);
  sub.parent_code = "A-MAIN";
  ASSERT_TRUE(engine_->PutMeter(sub, true).ok());
  model::Meter other = MakeMeter("A-OTHER", ent_a_.code, model::MeterKind::kVirtual);
  other.formula = "A-MAIN - A-SUB";
  auto vr = engine_->PutMeter(other, true);
  ASSERT_TRUE(vr.ok()) << vr.error().ToString();
  ASSERT_TRUE(
      engine_
          ->Write(std::vector<ReadingIn>{{Id("A-MAIN"), kJan1, 10}, {Id("A-SUB"), kJan1, 4}}, "t")
          .ok());
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kEnterprise, Period::kDay, kJan1, kJan1 + kDay, ent_a_.code, kJan1),
                   10.0);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + kDay, "A-OTHER", kJan1), 6.0);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + kDay, "A-SUB", kJan1), 4.0);
}

TEST_F(EngineTest, TenantMetersAreTakenOutOfTheFeedingEnterprise) {
  // B rents space behind A's incomer: B's meter is a child of A's main meter.
  model::Meter tenant = MakeMeter("B-TENANT", ent_b_.code);
  tenant.parent_code = "A-MAIN";
  ASSERT_TRUE(engine_->PutMeter(tenant, true).ok());
  ASSERT_TRUE(engine_
                  ->Write(std::vector<ReadingIn>{{Id("A-MAIN"), kJan1, 10},
                                                 {Id("B-TENANT"), kJan1, 3},
                                                 {Id("B-MAIN"), kJan1, 5}},
                          "t")
                  .ok());
  ASSERT_TRUE(engine_->Flush().ok());
  auto sum = [&](GroupBy by, const std::string& group) {
    return Sum(by, Period::kDay, kJan1, kJan1 + kDay, group, kJan1);
  };
  EXPECT_DOUBLE_EQ(sum(GroupBy::kEnterprise, ent_a_.code), 7.0);  // 10 - 3
  EXPECT_DOUBLE_EQ(sum(GroupBy::kEnterprise, ent_b_.code), 8.0);  // 5 + 3
  EXPECT_DOUBLE_EQ(sum(GroupBy::kZone, "Z1"), 7.0);
  EXPECT_DOUBLE_EQ(sum(GroupBy::kZone, "Z2"), 8.0);
  EXPECT_DOUBLE_EQ(sum(GroupBy::kPark, "park"), 15.0);  // A-MAIN + B-MAIN
  // With a filter on A only, A still gives up its tenant.
  SumQuery q;
  q.group_by = GroupBy::kEnterprise;
  q.period = Period::kDay;
  q.from_s = kJan1;
  q.to_s = kJan1 + kDay;
  q.enterprises = {ent_a_.code};
  auto rows = engine_->Sums(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_DOUBLE_EQ((*rows)[0].value, 7.0);
  EXPECT_EQ((*rows)[0].readings, 1);  // the tenant's reading is not counted for A
}

TEST_F(EngineTest, RegistryErrorsNameTheProblem) {
  model::Meter m = MakeMeter("X-1", MakeEnterprise("91210100MA0000009", "Z1").code);
  auto r = engine_->PutMeter(m, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("unknown enterprise"), std::string::npos)
      << r.error().ToString();
  m = MakeMeter("A-MAIN", ent_a_.code);
  r = engine_->PutMeter(m, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kAlreadyExists);
  m = MakeMeter("X-2", ent_a_.code);
  m.parent_code = "NOPE";
  EXPECT_FALSE(engine_->PutMeter(m, true).ok());
  m = MakeMeter("X-3", ent_a_.code);
  m.unit = "m3";
  EXPECT_FALSE(engine_->PutMeter(m, true).ok()) << "m3 cannot measure electricity";
  model::Enterprise e = MakeEnterprise("91210100MA0000003", "NOZONE");
  EXPECT_FALSE(engine_->PutEnterprise(e, true).ok());
  // A meter with readings cannot change its multiplier.
  ASSERT_TRUE(engine_->Write(std::vector<ReadingIn>{{Id("A-MAIN"), kJan1, 1}}, "t").ok());
  model::Meter main = *engine_->GetMeter("A-MAIN");
  main.multiplier = 5;
  EXPECT_EQ(engine_->PutMeter(main, false).error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine_->DeleteZone("Z1").code(), StatusCode::kFailedPrecondition);
  // Non-finite values and unknown meters are refused by the write path.
  EXPECT_FALSE(engine_->Write(std::vector<ReadingIn>{{Id("A-MAIN"), kJan1, NAN}}, "t").ok());
  EXPECT_FALSE(engine_->Write(std::vector<ReadingIn>{{987654, kJan1, 1}}, "t").ok());
}

TEST_F(EngineTest, CompletenessCountsExpectedAndReceived) {
  std::vector<ReadingIn> rs;
  for (int i = 0; i < 90; ++i) rs.push_back({Id("A-MAIN"), kJan1 + i * 900, 0.0});
  ASSERT_TRUE(engine_->Write(rs, "t").ok());
  const int32_t day = engine_->zone().LocalDay(kJan1);
  auto c = engine_->Completeness(std::vector<std::string>{"A-MAIN"}, day, day + 2);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].expected, 96);
  EXPECT_EQ((*c)[0].received, 90);
  EXPECT_EQ((*c)[0].suspect_zero, 90) << "22.5 hours of exact zeros is a suspected gap";
  EXPECT_EQ((*c)[1].received, 0);
  ASSERT_TRUE(engine_->Flush().ok());
  c = engine_->Completeness(std::vector<std::string>{"A-MAIN"}, day, day + 1);
  EXPECT_EQ((*c)[0].received, 90);
}

TEST_F(EngineTest, RetentionKeepsHourlySumsAndRefusesOlderRaw) {
  model::Park p = engine_->GetPark();
  p.raw_retention_days = 30;
  ASSERT_TRUE(engine_->PutPark(p).ok());
  const int64_t now = kJan1 + 100 * kDay;
  std::vector<ReadingIn> rs;
  for (int i = 0; i < 96; ++i) rs.push_back({Id("A-MAIN"), now - 40 * kDay + i * 900, 2.0});
  // Written with a retention floor computed from the real clock (2026+), so use WriteUnlogged's
  // sibling check: the real clock makes 2024 older than 30 days, hence refused.
  EXPECT_FALSE(engine_->Write(rs, "t").ok());
  p.raw_retention_days = 0;
  ASSERT_TRUE(engine_->PutPark(p).ok());
  ASSERT_TRUE(engine_->Write(rs, "t").ok());
  ASSERT_TRUE(engine_->Flush().ok());
  p.raw_retention_days = 30;
  ASSERT_TRUE(engine_->PutPark(p).ok());
  ASSERT_TRUE(engine_->ApplyRetention(now).ok());
  const int64_t day0 = now - 40 * kDay;
  EXPECT_TRUE(engine_->ReadRaw("A-MAIN", day0, day0 + kDay)->empty());
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, day0, day0 + kDay, "A-MAIN", day0), 192.0);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kHour, day0, day0 + kDay, "A-MAIN", day0 + 3600),
                   8.0);
}

TEST_F(EngineTest, SqliteBackendRoundTrip) {
  const std::string dir = ::testing::TempDir() + "/zp_engine_sqlite";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string url = "sqlite:" + dir + "/park.zpdb";
  {
    auto st = store::OpenStore(url);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
    EngineOptions o;
    o.background = false;
    o.flush_on_close = false;
    auto e = Engine::Open(std::move(*st), o);
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE((*e)->PutMeter(MakeMeter("P-1", ""), true).ok());
    std::vector<ReadingIn> rs;
    const int64_t id = (*e)->GetMeter("P-1")->id;
    for (int i = 0; i < 96 * 3; ++i) rs.push_back({id, kJan1 + i * 900, 3.5});
    ASSERT_TRUE((*e)->Write(rs, "t").ok());
    ASSERT_TRUE((*e)->Flush().ok());
    ASSERT_TRUE((*e)->Write(std::vector<ReadingIn>{{id, kJan1 + 96 * 3 * 900, 4}}, "t").ok());
  }
  auto st = store::OpenStore(url);
  ASSERT_TRUE(st.ok());
  EngineOptions o;
  o.background = false;
  auto e = Engine::Open(std::move(*st), o);
  ASSERT_TRUE(e.ok());
  engine_ = std::move(*e);
  EXPECT_EQ(engine_->ReadRaw("P-1", kJan1, kJan1 + 4 * kDay)->size(), 96u * 3 + 1);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kPark, Period::kMonth, kJan1, kJan1 + 4 * kDay, "park", kJan1),
                   96 * 3 * 3.5 + 4);
}

}  // namespace
}  // namespace zp::engine

namespace zp::engine {
namespace {

TEST_F(EngineTest, NightZerosOfGenerationMetersAreNotSuspectedGaps) {
  model::Meter pv = MakeMeter("A-PV", ent_a_.code);
  pv.flow = model::MeterFlow::kGeneration;
  ASSERT_TRUE(engine_->PutMeter(pv, true).ok());
  std::vector<ReadingIn> rs;
  for (int i = 0; i < 96; ++i) {
    const bool day = i >= 28 && i < 72;  // 07:00-18:00
    rs.push_back({Id("A-PV"), kJan1 + i * 900, day ? 3.0 : 0.0});
  }
  for (int i = 0; i < 96; ++i) rs.push_back({Id("A-PV"), kJan1 + kDay + i * 900, 0.0});
  ASSERT_TRUE(engine_->Write(rs, "t").ok());
  ASSERT_TRUE(engine_->Flush().ok());
  const int32_t day = engine_->zone().LocalDay(kJan1);
  auto c = engine_->Completeness(std::vector<std::string>{"A-PV"}, day, day + 2);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)[0].suspect_zero, 0) << "a PV night is not a gap";
  EXPECT_EQ((*c)[1].suspect_zero, 96) << "a whole day without generation is suspect";
}

}  // namespace
}  // namespace zp::engine

namespace zp::engine {
namespace {

TEST_F(EngineTest, RegisterReplacementReRollsTheDay) {
  model::Meter m = MakeMeter("A-REG", ent_a_.code, model::MeterKind::kCumulative);
  m.register_digits = 6;
  ASSERT_TRUE(engine_->PutMeter(m, true).ok());
  const int64_t id = Id("A-REG");
  ASSERT_TRUE(engine_
                  ->Write(std::vector<ReadingIn>{{id, kJan1 + 36000, 5000},
                                                 {id, kJan1 + 36900, 5010},
                                                 {id, kJan1 + 37800, 9},
                                                 {id, kJan1 + 38700, 19}},
                          "t")
                  .ok());
  ASSERT_TRUE(engine_->Flush().ok());
  const int32_t day = engine_->zone().LocalDay(kJan1);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + kDay, "A-REG", kJan1), 20);
  EXPECT_EQ((*engine_->Completeness(std::vector<std::string>{"A-REG"}, day, day + 1))[0].flagged,
            1);
  ASSERT_TRUE(engine_->AddRegisterReplacement("A-REG", {kJan1 + 37200, 5014, 3}).ok());
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + kDay, "A-REG", kJan1), 30);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kMonth, kJan1, kJan1 + kDay, "A-REG", kJan1), 30);
  EXPECT_EQ((*engine_->Completeness(std::vector<std::string>{"A-REG"}, day, day + 1))[0].flagged,
            0);
  EXPECT_TRUE(engine_->Corrections("A-REG", kJan1, kJan1 + kDay)->empty());
  // Kept across a reopen; a second record at the same instant and interval meters are refused.
  engine_.reset();
  Open();
  auto list = engine_->RegisterReplacements("A-REG");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].old_final, 5014);
  EXPECT_DOUBLE_EQ(Sum(GroupBy::kMeter, Period::kDay, kJan1, kJan1 + kDay, "A-REG", kJan1), 30);
  EXPECT_EQ(engine_->AddRegisterReplacement("A-REG", {kJan1 + 37200, 1, 1}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(engine_->AddRegisterReplacement("A-MAIN", {kJan1, 1, 1}).code(),
            StatusCode::kInvalidArgument);
}

// ---- enterprise data.

model::EnterpriseDatum Econ(const std::string& enterprise, const std::string& indicator,
                            const std::string& period, double value, const std::string& unit,
                            const std::string& item = "") {
  model::EnterpriseDatum d;
  d.enterprise_code = enterprise;
  d.indicator = indicator;
  d.item = item;
  d.period = *model::ParseDataPeriod(period);
  d.value = value;
  d.unit = unit;
  d.source = "test " + indicator + " " + period;
  return d;
}

std::vector<model::EnterpriseDatum> Current(Engine& engine, std::string_view enterprise = "",
                                            std::string_view indicator = "") {
  auto rows = engine.EnterpriseData(enterprise, indicator, false);
  EXPECT_TRUE(rows.ok()) << rows.error().ToString();
  return rows.ok() ? *rows : std::vector<model::EnterpriseDatum>{};
}

std::vector<model::EnterpriseDatum> History(Engine& engine, std::string_view enterprise = "",
                                            std::string_view indicator = "") {
  auto rows = engine.EnterpriseData(enterprise, indicator, true);
  EXPECT_TRUE(rows.ok()) << rows.error().ToString();
  return rows.ok() ? *rows : std::vector<model::EnterpriseDatum>{};
}

TEST_F(EngineTest, EnterpriseDataPutNormalisesAndKeepsVersions) {
  const int64_t before = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  std::vector<model::EnterpriseDatum> rows = {
      Econ(ent_a_.code, "added_value", "2025-01", 12000000, "元"),
      Econ(ent_a_.code, "green_direct_kwh", "2025-01", 2.5, "MWh", "PPA-1"),
      Econ(ent_b_.code, "工业增加值", "2025", 900, "万元"),
  };
  rows[2].enterprise_code[5] = static_cast<char>(std::tolower(rows[2].enterprise_code[5]));
  rows[2].recorded_s = 1700000000;  // kept when given
  auto put = engine_->PutEnterpriseData(rows);
  ASSERT_TRUE(put.ok()) << put.error().ToString();
  ASSERT_EQ(put->size(), 3u);
  EXPECT_EQ((*put)[0].value, 1200);
  EXPECT_EQ((*put)[0].unit, "10k CNY");
  EXPECT_GE((*put)[0].recorded_s, before);
  EXPECT_EQ((*put)[1].value, 2500);
  EXPECT_EQ((*put)[1].unit, "kWh");
  EXPECT_EQ((*put)[2].enterprise_code, ent_b_.code);
  EXPECT_EQ((*put)[2].indicator, "added_value");
  EXPECT_EQ((*put)[2].recorded_s, 1700000000);
  EXPECT_GT((*put)[1].seq, (*put)[0].seq);
  EXPECT_GT((*put)[2].seq, (*put)[1].seq);
  // What Put returns is what is stored.
  EXPECT_EQ(History(*engine_), *put);

  // Current values come in key order.
  auto current = Current(*engine_);
  ASSERT_EQ(current.size(), 3u);
  EXPECT_EQ(current[0], (*put)[0]);
  EXPECT_EQ(current[1], (*put)[1]);
  EXPECT_EQ(current[2], (*put)[2]);

  // A new version of a key replaces its current value; the old one stays in the history.
  auto revised =
      engine_->PutEnterpriseData({Econ(ent_a_.code, "added_value", "2025-01", 1250, "万元")});
  ASSERT_TRUE(revised.ok());
  EXPECT_GT((*revised)[0].seq, (*put)[2].seq);
  auto of_a = Current(*engine_, ent_a_.code, "added_value");
  ASSERT_EQ(of_a.size(), 1u);
  EXPECT_EQ(of_a[0].value, 1250);
  auto history_a = History(*engine_, ent_a_.code, "added_value");
  ASSERT_EQ(history_a.size(), 2u);
  EXPECT_EQ(history_a[0].value, 1200);
  EXPECT_EQ(history_a[1].value, 1250);

  // Filters: enterprise (any case), indicator (code or Chinese name), both.
  std::string lower = ent_a_.code;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(Current(*engine_, lower).size(), 2u);
  EXPECT_EQ(Current(*engine_, "", "added_value").size(), 2u);
  EXPECT_EQ(Current(*engine_, "", "直供绿电").size(), 1u);
  EXPECT_EQ(Current(*engine_, ent_b_.code, "green_direct_kwh").size(), 0u);
  EXPECT_EQ(Current(*engine_, "91210100MA00000099").size(), 0u);
  EXPECT_EQ(History(*engine_, "", "added_value").size(), 3u);
  auto bad_filter = engine_->EnterpriseData("", "gdp", false);
  ASSERT_FALSE(bad_filter.ok());
  EXPECT_EQ(bad_filter.error().code(), StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, EnterpriseDataRowsAreAllOrNothing) {
  std::vector<model::EnterpriseDatum> rows = {
      Econ(ent_a_.code, "tax", "2025-02", 10, "万元"),
      Econ("91210100MA0000009X", "tax", "2025-02", 10, "万元"),
  };
  auto put = engine_->PutEnterpriseData(rows);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(put.error().message(), "row 2 (test tax 2025-02): no enterprise '91210100MA0000009X'");
  EXPECT_TRUE(History(*engine_).empty());
  EXPECT_TRUE(Current(*engine_).empty());
  int stored = 0;
  ASSERT_TRUE(engine_->store()
                  .ReadEnterpriseData("", "", [&](const model::EnterpriseDatum&) { ++stored; })
                  .ok());
  EXPECT_EQ(stored, 0);

  // Every bad row is named.
  rows.push_back(Econ(ent_b_.code, "tax", "2025-02", 10, "USD"));
  rows.push_back(Econ(ent_b_.code, "product_output", "2025-02", 10, "t"));
  auto many = engine_->PutEnterpriseData(rows);
  ASSERT_FALSE(many.ok());
  EXPECT_THAT(many.error().message(), ::testing::HasSubstr("3 bad rows, nothing stored"));
  EXPECT_THAT(many.error().message(),
              ::testing::HasSubstr("row 3 (test tax 2025-02): unit: 'USD' is not accepted"));
  EXPECT_THAT(many.error().message(),
              ::testing::HasSubstr("row 4 (test product_output 2025-02): item: product_output"));
  model::EnterpriseDatum tombstone = Econ(ent_a_.code, "tax", "2025-02", 0, "万元");
  tombstone.deleted = true;
  EXPECT_EQ(engine_->PutEnterpriseData({tombstone}).error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(History(*engine_).empty());
  EXPECT_TRUE(engine_->PutEnterpriseData({})->empty());
}

TEST_F(EngineTest, EnterpriseDataDeleteLeavesATombstone) {
  ASSERT_TRUE(
      engine_
          ->PutEnterpriseData({Econ(ent_a_.code, "product_output", "2025-03", 40, "台", "齿轮箱"),
                               Econ(ent_a_.code, "process_co2", "2025", 12, "tCO2")})
          .ok());
  EXPECT_EQ(engine_
                ->DeleteEnterpriseDatum(ent_a_.code, "product_output", "齿轮箱", {2025, 4},
                                        "DELETE from 127.0.0.1")
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      engine_->DeleteEnterpriseDatum(ent_a_.code, "product_output", "", {2025, 3}, "x").code(),
      StatusCode::kInvalidArgument);  // product_output needs an item
  EXPECT_EQ(engine_->DeleteEnterpriseDatum(ent_a_.code, "gdp", "", {2025, 3}, "x").code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(engine_
                  ->DeleteEnterpriseDatum(ent_a_.code, "product_output", " 齿轮箱 ", {2025, 3},
                                          "DELETE from 127.0.0.1")
                  .ok());
  auto current = Current(*engine_);
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].indicator, "process_co2");
  auto history = History(*engine_, ent_a_.code, "product_output");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_FALSE(history[0].deleted);
  EXPECT_EQ(history[0].value, 40);
  EXPECT_TRUE(history[1].deleted);
  EXPECT_EQ(history[1].item, "齿轮箱");
  EXPECT_EQ(history[1].unit, "台");
  EXPECT_EQ(history[1].source, "DELETE from 127.0.0.1");
  EXPECT_GT(history[1].recorded_s, 0);
  EXPECT_GT(history[1].seq, history[0].seq);
  // Deleting again: nothing current.
  EXPECT_EQ(engine_->DeleteEnterpriseDatum(ent_a_.code, "product_output", "齿轮箱", {2025, 3}, "x")
                .code(),
            StatusCode::kNotFound);
  // A new value after the deletion is current again; the reopened engine agrees.
  ASSERT_TRUE(
      engine_
          ->PutEnterpriseData({Econ(ent_a_.code, "product_output", "2025-03", 41, "台", "齿轮箱")})
          .ok());
  ASSERT_TRUE(engine_->DeleteEnterpriseDatum(ent_a_.code, "工业过程排放", "", {2025, 0}, "x").ok());
  const auto before = Current(*engine_);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].value, 41);
  const auto history_before = History(*engine_);
  EXPECT_EQ(history_before.size(), 5u);
  engine_.reset();
  Open();
  EXPECT_EQ(Current(*engine_), before);
  EXPECT_EQ(History(*engine_), history_before);
}

// On the SQLite backend, as a park runs it: a whole year of a large park's figures.
TEST_F(EngineTest, EnterpriseDataOfAWholeParkComesBackFast) {
  const std::string dir = ::testing::TempDir() + "/zp_engine_econ_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto open_sqlite = [&]() -> std::unique_ptr<Engine> {
    auto st = store::OpenStore("sqlite:" + dir + "/park.zpdb");
    EXPECT_TRUE(st.ok()) << st.error().ToString();
    EngineOptions o;
    o.background = false;
    auto e = Engine::Open(std::move(*st), o);
    EXPECT_TRUE(e.ok()) << e.error().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  };
  auto engine = open_sqlite();
  ASSERT_NE(engine, nullptr);
  constexpr int kEnterprises = 3000;
  std::vector<model::Enterprise> enterprises;
  for (int i = 0; i < kEnterprises; ++i) {
    enterprises.push_back(MakeEnterprise(fmt::format("91210100MA1{:06d}", i), ""));
  }
  ASSERT_TRUE(engine->ImportRegistry({}, enterprises, {}).ok());
  std::vector<model::EnterpriseDatum> rows;
  for (const auto& e : enterprises) {
    for (int month = 1; month <= 12; ++month) {
      const std::string period = fmt::format("2025-{:02d}", month);
      rows.push_back(Econ(e.code, "added_value", period, month * 10.0, "万元"));
      rows.push_back(Econ(e.code, "industrial_output", period, month * 30.0, "万元"));
      rows.push_back(Econ(e.code, "tax", period, month * 1.0, "万元"));
    }
  }
  auto put = engine->PutEnterpriseData(rows);
  ASSERT_TRUE(put.ok()) << put.error().ToString();
  ASSERT_EQ(put->size(), size_t{kEnterprises * 36});
  // From a cold cache (the reopened engine reads the store once), then warm.
  engine.reset();
  engine = open_sqlite();
  ASSERT_NE(engine, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  auto cold = engine->EnterpriseData("", "", false);
  auto t1 = std::chrono::steady_clock::now();
  auto warm = engine->EnterpriseData("", "", false);
  auto t2 = std::chrono::steady_clock::now();
  auto one = engine->EnterpriseData(enterprises[1234].code, "tax", false);
  auto t3 = std::chrono::steady_clock::now();
  ASSERT_TRUE(cold.ok() && warm.ok() && one.ok());
  EXPECT_EQ(cold->size(), size_t{kEnterprises * 36});
  EXPECT_EQ(*warm, *cold);
  ASSERT_EQ(one->size(), 12u);
  EXPECT_EQ((*one)[11].period, (model::DataPeriod{2025, 12}));
  EXPECT_EQ((*one)[11].value, 12);
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("enterprise data, %zu rows: cold %.1f ms, warm %.1f ms, one key %.3f ms\n",
              cold->size(), ms(t1 - t0), ms(t2 - t1), ms(t3 - t2));
  // Generous bounds for a shared machine; the target is well under 100 ms warm.
  EXPECT_LT(ms(t2 - t1), 300);
  EXPECT_LT(ms(t3 - t2), 5);
  engine.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zp::engine
