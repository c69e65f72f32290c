// The issue 6 invariants over a whole year of the demo park (40 enterprises, 2025): for every hour,
// consumer and source of the hourly allocation matched + residual = consumption, allocated +
// surplus = generation, matched = allocated, nothing negative; certificates issued from the same
// input equal the metered generation for every source-hour, and the ledger verifies. The park's
// 24/7 share stays below its annual share (rooftop PV cannot cover the nights).
// 全年逐时校验：匹配 + 余量 = 用电，分配 + 盈余 = 发电，签发绿证 Wh = 发电 Wh。

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "zp/base/time.h"
#include "zp/demo/demo.h"
#include "zp/demo/testing.h"
#include "zp/engine/engine.h"
#include "zp/green/allocation.h"
#include "zp/green/issuance.h"
#include "zp/green/ledger.h"
#include "zp/green/supply.h"
#include "zp/store/store.h"

namespace zp::green {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

TEST(DemoYear, HourlyInvariantsAndIssuanceOverAWholeYear) {
  const auto t_start = Clock::now();
  demo::DemoOptions o;
  o.enterprises = 40;
  o.days = 365;  // year 2025 by default
  ASSERT_EQ(o.year, 2025);
  auto eng = demo::OpenDemoEngine("memory:green-demo-year", o);
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  std::unique_ptr<engine::Engine> engine = std::move(*eng);
  const double build_s = SecondsSince(t_start);

  const TimeZone tz = engine->zone();
  const int64_t from_s = tz.DayStart(DaysFromCivil(2025, 1, 1));
  const int64_t to_s = tz.DayStart(DaysFromCivil(2026, 1, 1));
  auto t0 = Clock::now();
  auto supply = DefaultSupplyFromRegistry(*engine);
  ASSERT_TRUE(supply.ok()) << supply.status().ToString();
  auto sin = BuildAllocationInput(*engine, *supply, from_s, to_s);
  ASSERT_TRUE(sin.ok()) << sin.status().ToString();
  const double input_s = SecondsSince(t0);
  const SupplyInput& si = *sin;
  const AllocationInput& in = si.input;
  ASSERT_EQ(in.hours, 365 * 24);
  ASSERT_EQ(in.consumers, 40);
  ASSERT_EQ(in.sources(), static_cast<int32_t>(supply->assets.size()));
  ASSERT_GE(in.sources(), 3);
  ASSERT_EQ(si.hour_start_s.size(), static_cast<size_t>(in.hours));
  EXPECT_EQ(si.hour_start_s.front(), from_s);
  EXPECT_EQ(si.hour_start_s.back(), to_s - 3600);
  EXPECT_EQ(si.hour_month.front(), MonthIndex(2025, 1));
  EXPECT_EQ(si.hour_month.back(), MonthIndex(2025, 12));

  t0 = Clock::now();
  auto res = Allocate(in);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  const double allocate_s = SecondsSince(t0);
  const AllocationResult& r = *res;
  const int32_t nc = in.consumers, ns = in.sources();

  int64_t consumption_wh = 0, generation_wh = 0, matched_wh = 0, allocated_wh = 0;
  std::vector<int64_t> gen_by_source(ns, 0);
  for (int32_t h = 0; h < in.hours; ++h) {
    int64_t matched_h = 0, allocated_h = 0;
    for (int32_t c = 0; c < nc; ++c) {
      const int64_t cons = in.consumption[static_cast<size_t>(h) * nc + c];
      ASSERT_GE(cons, 0) << si.consumers[c] << " hour " << h;
      ASSERT_GE(r.Matched(c, h), 0) << si.consumers[c] << " hour " << h;
      ASSERT_GE(r.Residual(in, c, h), 0) << si.consumers[c] << " hour " << h;
      ASSERT_EQ(r.Matched(c, h) + r.Residual(in, c, h), cons) << si.consumers[c] << " hour " << h;
      matched_h += r.Matched(c, h);
      consumption_wh += cons;
    }
    for (int32_t s = 0; s < ns; ++s) {
      const int64_t gen = in.generation[static_cast<size_t>(h) * ns + s];
      ASSERT_GE(gen, 0) << si.source_asset[s] << " hour " << h;
      ASSERT_GE(r.Allocated(s, h), 0) << si.source_asset[s] << " hour " << h;
      ASSERT_GE(r.Surplus(in, s, h), 0) << si.source_asset[s] << " hour " << h;
      ASSERT_EQ(r.Allocated(s, h) + r.Surplus(in, s, h), gen)
          << si.source_asset[s] << " hour " << h;
      allocated_h += r.Allocated(s, h);
      gen_by_source[s] += gen;
    }
    ASSERT_EQ(matched_h, allocated_h) << "hour " << h;
    matched_wh += matched_h;
    allocated_wh += allocated_h;
  }
  for (int32_t s = 0; s < ns; ++s) {
    generation_wh += gen_by_source[s];
    EXPECT_EQ(r.generation_total[s], gen_by_source[s]) << si.source_asset[s];
    EXPECT_GT(gen_by_source[s], 0) << si.source_asset[s];
  }
  EXPECT_EQ(matched_wh, allocated_wh);
  EXPECT_GT(matched_wh, 0);
  EXPECT_LE(matched_wh, generation_wh);
  EXPECT_LE(matched_wh, consumption_wh);

  // Certificates: one bundle per source-hour with generation, of exactly its Wh.
  t0 = Clock::now();
  Ledger ledger;
  CertificateBook book(ledger);
  IssuanceOptions io;
  io.issuer = "park-registry";
  io.action = CertAction{"metering@park", 1'767'225'600, "run 2025"};
  auto issued = IssueHourly(book, *supply, si, io);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  const double issue_s = SecondsSince(t0);
  EXPECT_EQ(*issued, generation_wh);
  EXPECT_EQ(book.IssuedWh(), generation_wh);

  std::map<std::string, int32_t> source_of;
  for (int32_t s = 0; s < ns; ++s) source_of[si.source_asset[s]] = s;
  std::vector<int64_t> issued_wh(static_cast<size_t>(in.hours) * ns, 0);
  size_t bundles = 0;
  for (const CertBundle& b : book.Bundles()) {
    auto s = source_of.find(b.device);
    ASSERT_NE(s, source_of.end()) << b.device;
    auto it = std::lower_bound(si.hour_start_s.begin(), si.hour_start_s.end(), b.production_hour_s);
    ASSERT_TRUE(it != si.hour_start_s.end() && *it == b.production_hour_s) << b.production_hour_s;
    const size_t h = it - si.hour_start_s.begin();
    issued_wh[h * ns + s->second] += b.to_wh - b.from_wh;
    ++bundles;
  }
  size_t nonzero = 0;
  int64_t issued_total = 0;
  for (int32_t h = 0; h < in.hours; ++h) {
    for (int32_t s = 0; s < ns; ++s) {
      const size_t i = static_cast<size_t>(h) * ns + s;
      ASSERT_EQ(issued_wh[i], in.generation[i]) << si.source_asset[s] << " hour " << h;
      nonzero += in.generation[i] > 0;
      issued_total += issued_wh[i];
    }
  }
  EXPECT_EQ(bundles, nonzero);
  EXPECT_EQ(issued_total, generation_wh);
  const std::vector<LedgerRecord> records = ledger.records();
  EXPECT_EQ(records.size(), nonzero);
  t0 = Clock::now();
  const Status chain = VerifyChain(records, ledger.head_hash());
  const double verify_s = SecondsSince(t0);
  EXPECT_TRUE(chain.ok()) << chain.ToString();

  // 24/7 versus annual matching.
  auto scores = ComputeScores(in, r);
  ASSERT_TRUE(scores.ok()) << scores.status().ToString();
  const double hourly = scores->park_hourly_share, annual = scores->park_annual_share;
  EXPECT_GT(hourly, 0);
  EXPECT_LE(hourly, 1);
  EXPECT_GT(annual, 0);
  EXPECT_LE(annual, 1);
  EXPECT_LT(hourly, annual) << "PV cannot cover the nights";
  EXPECT_NEAR(hourly, static_cast<double>(matched_wh) / consumption_wh, 1e-12);

  std::printf(
      "demo year: %d enterprises, %d sources, %d hours; consumption %.1f MWh, generation %.1f "
      "MWh, matched %.1f MWh; 24/7 share %.4f, annual share %.4f; %zu certificates; build %.2f s, "
      "input %.2f s, allocate %.3f s, issue %.2f s, verify %.2f s, total %.2f s\n",
      nc, ns, in.hours, consumption_wh / 1e6, generation_wh / 1e6, matched_wh / 1e6, hourly, annual,
      bundles, build_s, input_s, allocate_s, issue_s, verify_s, SecondsSince(t_start));
  engine.reset();
  store::DropMemoryStore("green-demo-year");
}

}  // namespace
}  // namespace zp::green
