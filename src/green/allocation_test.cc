#include "zp/green/allocation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace zp::green {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// consumption[c][h], generation[s][h] -> hour-major input.
AllocationInput MakeInput(const std::vector<std::vector<int64_t>>& consumption,
                          const std::vector<std::vector<int64_t>>& generation,
                          const std::vector<int32_t>& rounds,
                          const std::vector<std::vector<int32_t>>& eligible, int32_t round_count) {
  AllocationInput in;
  in.consumers = static_cast<int32_t>(consumption.size());
  in.hours = consumption.empty() ? static_cast<int32_t>(generation[0].size())
                                 : static_cast<int32_t>(consumption[0].size());
  in.rounds = round_count;
  const size_t s_count = generation.size();
  in.consumption.resize(static_cast<size_t>(in.hours) * in.consumers);
  in.generation.resize(static_cast<size_t>(in.hours) * s_count);
  for (int32_t h = 0; h < in.hours; ++h) {
    for (int32_t c = 0; c < in.consumers; ++c)
      in.consumption[h * in.consumers + c] = consumption[c][h];
    for (size_t s = 0; s < s_count; ++s) in.generation[h * s_count + s] = generation[s][h];
  }
  in.source_round = rounds;
  in.eligible_offsets.push_back(0);
  for (const auto& list : eligible) {
    in.eligible_consumers.insert(in.eligible_consumers.end(), list.begin(), list.end());
    in.eligible_offsets.push_back(static_cast<int32_t>(in.eligible_consumers.size()));
  }
  return in;
}

std::vector<int64_t> MatchedOf(const AllocationResult& r, int32_t c) {
  std::vector<int64_t> out;
  for (int32_t h = 0; h < r.hours; ++h) out.push_back(r.Matched(c, h));
  return out;
}
std::vector<int64_t> AllocatedOf(const AllocationResult& r, int32_t s) {
  std::vector<int64_t> out;
  for (int32_t h = 0; h < r.hours; ++h) out.push_back(r.Allocated(s, h));
  return out;
}

// Worked example, computed by hand (see comments):
// source 0 = rooftop PV of consumer 0 (round 0), source 1 = park pool for both (round 1).
AllocationInput WorkedExample() {
  return MakeInput({{10, 10, 0, 5}, {10, 20, 10, 0}}, {{4, 15, 3, 0}, {6, 3, 0, 10}}, {0, 1},
                   {{0}, {0, 1}}, 2);
}

TEST(AllocationTest, WorkedExampleHourly) {
  const AllocationInput in = WorkedExample();
  auto res = Allocate(in);
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  // h0: PV 4 -> c0 (left 6). Pool 6 over demands 6,10: 36/16 = 2 r4, 60/16 = 3 r12; +1 to c1.
  // h1: PV 15 -> c0 takes 10 (surplus 5). Pool 3 -> c1.  h2: PV 3 unused, pool 0.
  // h3: pool 10, only c0 wants 5 (surplus 5).
  EXPECT_THAT(MatchedOf(*res, 0), ElementsAre(6, 10, 0, 5));
  EXPECT_THAT(MatchedOf(*res, 1), ElementsAre(4, 3, 0, 0));
  EXPECT_THAT(AllocatedOf(*res, 0), ElementsAre(4, 10, 0, 0));
  EXPECT_THAT(AllocatedOf(*res, 1), ElementsAre(6, 3, 0, 5));
  EXPECT_EQ(res->Residual(in, 1, 1), 17);
  EXPECT_EQ(res->Surplus(in, 0, 1), 5);
  EXPECT_THAT(res->matched_by_round, ElementsAre(14, 7, 0, 7));  // [c0 r0, c0 r1, c1 r0, c1 r1]
  EXPECT_THAT(res->matched_total, ElementsAre(21, 7));
  EXPECT_THAT(res->consumption_total, ElementsAre(25, 40));
  EXPECT_THAT(res->generation_total, ElementsAre(22, 19));
  EXPECT_THAT(res->allocated_total, ElementsAre(14, 14));
}

TEST(AllocationTest, WorkedExampleScores) {
  const AllocationInput in = WorkedExample();
  auto res = Allocate(in);
  ASSERT_TRUE(res.ok());
  auto sc = ComputeScores(in, *res);
  ASSERT_TRUE(sc.ok()) << sc.error().ToString();
  // Hourly: c0 21/25, c1 7/40, park 28/65.
  EXPECT_DOUBLE_EQ(sc->hourly_share[0], 0.84);
  EXPECT_DOUBLE_EQ(sc->hourly_share[1], 0.175);
  EXPECT_DOUBLE_EQ(sc->park_hourly_share, 28.0 / 65.0);
  // Annual: PV 22 -> c0 (left 3); pool 19 over 3,40: 57/43 = 1 r14, 760/43 = 17 r29, +1 to c1.
  EXPECT_THAT(sc->annual_matched, ElementsAre(23, 18));
  EXPECT_DOUBLE_EQ(sc->annual_share[0], 0.92);
  EXPECT_DOUBLE_EQ(sc->annual_share[1], 0.45);
  EXPECT_DOUBLE_EQ(sc->park_annual_share, 41.0 / 65.0);
}

TEST(AllocationTest, WorkedExampleFlows) {
  const AllocationInput in = WorkedExample();
  auto flows = AllocateHourFlows(in, 0);
  ASSERT_TRUE(flows.ok());
  ASSERT_EQ(flows->size(), 3u);
  EXPECT_EQ((*flows)[0].source, 0);
  EXPECT_EQ((*flows)[0].consumer, 0);
  EXPECT_EQ((*flows)[0].wh, 4);
  EXPECT_EQ((*flows)[1].source, 1);
  EXPECT_EQ((*flows)[1].consumer, 0);
  EXPECT_EQ((*flows)[1].round, 1);
  EXPECT_EQ((*flows)[1].wh, 2);
  EXPECT_EQ((*flows)[2].consumer, 1);
  EXPECT_EQ((*flows)[2].wh, 4);
  EXPECT_FALSE(AllocateHourFlows(in, 4).ok());
}

TEST(AllocationTest, RemaindersLargestFirstThenLowerIndex) {
  // Pool 3 over four equal demands of 5: each 15/20 = 0 r15, the 3 Wh go to consumers 0, 1, 2.
  auto in = MakeInput({{5}, {5}, {5}, {5}}, {{3}}, {0}, {{3, 1, 0, 2}}, 1);
  auto res = Allocate(in);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Matched(0, 0), 1);
  EXPECT_EQ(res->Matched(1, 0), 1);
  EXPECT_EQ(res->Matched(2, 0), 1);
  EXPECT_EQ(res->Matched(3, 0), 0);
  // Pool 7 over demands 1, 2, 4, 8 (15): 7/15 r7, 14/15 r14, 28/15 = 1 r13, 56/15 = 3 r11.
  // Floors 0+0+1+3 = 4, three leftovers to remainders 14, 13, 11 -> 0, 1, 2, 4.
  in = MakeInput({{1}, {2}, {4}, {8}}, {{7}}, {0}, {{0, 1, 2, 3}}, 1);
  res = Allocate(in);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Matched(0, 0), 0);
  EXPECT_EQ(res->Matched(1, 0), 1);
  EXPECT_EQ(res->Matched(2, 0), 2);
  EXPECT_EQ(res->Matched(3, 0), 4);
  // Attribution to the pooled sources (gens 1 and 2, 3 total, 2 allocated): 2/3 r2, 4/3 = 1 r1
  // -> 1 and 1.
  in = MakeInput({{2}}, {{1}, {2}}, {0, 0}, {{0}, {0}}, 1);
  res = Allocate(in);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Allocated(0, 0), 1);
  EXPECT_EQ(res->Allocated(1, 0), 1);
}

// Reference largest-remainder split written the obvious way (sort), for long lists where the
// implementation uses a histogram.
std::vector<int64_t> ReferenceSplit(int64_t pool, const std::vector<int64_t>& demand) {
  int64_t total = 0;
  for (int64_t d : demand) total += d;
  std::vector<int64_t> out(demand.size());
  std::vector<std::pair<int64_t, size_t>> rem;
  int64_t given = 0;
  for (size_t i = 0; i < demand.size(); ++i) {
    out[i] = pool * demand[i] / total;
    given += out[i];
    rem.emplace_back(-(pool * demand[i] % total), i);
  }
  std::sort(rem.begin(), rem.end());
  for (int64_t k = 0; k < pool - given; ++k) ++out[rem[k].second];
  return out;
}

TEST(AllocationTest, LongListsMatchReferenceSplit) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 4; ++trial) {
    const int n = 600 + 1000 * trial;
    std::vector<std::vector<int64_t>> cons(n);
    std::vector<int64_t> demand(n);
    for (int c = 0; c < n; ++c) {
      // trial 1: many equal demands, so many equal remainders (ties by index).
      demand[c] =
          trial == 1 ? 1000 + (c % 3) : std::uniform_int_distribution<int64_t>(0, 5000000)(rng);
      cons[c] = {demand[c]};
    }
    const int64_t pool = 1234567 + 99991 * trial;
    std::vector<int32_t> everyone(n);
    for (int c = 0; c < n; ++c) everyone[c] = n - 1 - c;
    auto res = Allocate(MakeInput(cons, {{pool}}, {0}, {everyone}, 1));
    ASSERT_TRUE(res.ok());
    const std::vector<int64_t> want = ReferenceSplit(pool, demand);
    for (int c = 0; c < n; ++c) ASSERT_EQ(res->Matched(c, 0), want[c]) << trial << " " << c;
  }
}

TEST(AllocationTest, LowerRoundServedFirst) {
  // Source 0 is the park pool (round 1), source 1 is consumer 0's rooftop PV (round 0).
  auto in = MakeInput({{10}, {10}}, {{10}, {10}}, {1, 0}, {{0, 1}, {0}}, 2);
  auto res = Allocate(in);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Matched(0, 0), 10);
  EXPECT_EQ(res->Matched(1, 0), 10);  // the pool was not spent on consumer 0
  EXPECT_EQ(res->matched_by_round[0 * 2 + 0], 10);
  EXPECT_EQ(res->matched_by_round[1 * 2 + 1], 10);
  auto flows = AllocateHourFlows(in, 0);
  ASSERT_TRUE(flows.ok());
  ASSERT_EQ(flows->size(), 2u);
  EXPECT_EQ((*flows)[0].source, 1);
  EXPECT_EQ((*flows)[0].consumer, 0);
  EXPECT_EQ((*flows)[1].source, 0);
  EXPECT_EQ((*flows)[1].consumer, 1);
  // Swap the rounds: now the pool goes first and splits 5/5, the PV tops consumer 0 up.
  in.source_round = {0, 1};
  res = Allocate(in);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Matched(0, 0), 10);
  EXPECT_EQ(res->Matched(1, 0), 5);
  EXPECT_EQ(res->Allocated(1, 0), 5);
}

TEST(AllocationTest, OverlappingGroupsInOneRound) {
  // Consumer 0 may use source 0 (100 Wh) and source 1 (1 Wh); consumer 1 only source 1.
  auto in = MakeInput({{50}, {50}}, {{100}, {1}}, {0, 0}, {{0}, {0, 1}}, 1);
  auto res = Allocate(in);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Matched(0, 0), 50);
  EXPECT_EQ(res->Matched(1, 0), 1);
  auto flows = AllocateHourFlows(in, 0);
  ASSERT_TRUE(flows.ok());
  ASSERT_EQ(flows->size(), 2u);
  EXPECT_EQ((*flows)[0].source, 0);
  EXPECT_EQ((*flows)[0].consumer, 0);
  EXPECT_EQ((*flows)[0].wh, 50);
  EXPECT_EQ((*flows)[1].source, 1);
  EXPECT_EQ((*flows)[1].consumer, 1);
  EXPECT_EQ((*flows)[1].wh, 1);
  // Second pass. Consumer 0 (40 Wh) may use source 0 (60, alone) and source 1 (20, shared with
  // consumer 1 who wants 100). Pass 1: consumer 0 asks 30 of s0 and 10 of s1; s1 is
  // oversubscribed (110 asked): 200/110 = 1 r90, 2000/110 = 18 r20, +1 to consumer 0 -> 2 and 18.
  // Pass 2: consumer 0 still needs 8, only s0 has Wh left -> 8 more from s0.
  in = MakeInput({{40}, {100}}, {{60}, {20}}, {0, 0}, {{0}, {0, 1}}, 1);
  res = Allocate(in);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Matched(0, 0), 40);
  EXPECT_EQ(res->Matched(1, 0), 18);
  EXPECT_EQ(res->Allocated(0, 0), 38);
  EXPECT_EQ(res->Allocated(1, 0), 20);
  flows = AllocateHourFlows(in, 0);
  ASSERT_TRUE(flows.ok());
  ASSERT_EQ(flows->size(), 3u);
  EXPECT_EQ((*flows)[0].wh, 38);  // s0 -> c0
  EXPECT_EQ((*flows)[1].wh, 2);   // s1 -> c0
  EXPECT_EQ((*flows)[2].wh, 18);  // s1 -> c1
}

TEST(AllocationTest, HugeValuesDoNotOverflow) {
  const int64_t big = int64_t{1} << 40;
  auto in = MakeInput({{big}, {big + 7}, {3}}, {{big + 1}}, {0}, {{0, 1, 2}}, 1);
  auto res = Allocate(in);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Matched(0, 0) + res->Matched(1, 0) + res->Matched(2, 0), big + 1);
  EXPECT_LE(res->Matched(1, 0), big + 7);
}

TEST(AllocationTest, BadInput) {
  AllocationInput in = WorkedExample();
  in.consumption.pop_back();
  EXPECT_THAT(Allocate(in).error().message(), HasSubstr("consumption has 7 values"));
  in = WorkedExample();
  in.generation.push_back(1);
  EXPECT_THAT(Allocate(in).error().message(), HasSubstr("generation has 9 values"));
  in = WorkedExample();
  in.consumption[3] = -1;
  EXPECT_THAT(Allocate(in).error().message(),
              HasSubstr("negative consumption -1 Wh: consumer 1, hour 1"));
  in = WorkedExample();
  in.generation[2] = -5;
  EXPECT_THAT(Allocate(in).error().message(),
              HasSubstr("negative generation -5 Wh: source 0, hour 1"));
  in = WorkedExample();
  in.source_round[1] = 2;
  EXPECT_THAT(Allocate(in).error().message(), HasSubstr("source 1: round 2 out of range"));
  in = WorkedExample();
  in.eligible_consumers[2] = 2;
  EXPECT_THAT(Allocate(in).error().message(), HasSubstr("eligible consumer 2 out of range"));
  in = WorkedExample();
  in.eligible_consumers[2] = 0;
  EXPECT_THAT(Allocate(in).error().message(), HasSubstr("consumer 0 listed twice"));
  in = WorkedExample();
  in.eligible_offsets.pop_back();
  EXPECT_THAT(Allocate(in).error().message(), HasSubstr("eligible_offsets"));
  EXPECT_EQ(Allocate(in).error().code(), StatusCode::kInvalidArgument);
}

AllocationInput RandomPark(uint32_t seed) {
  std::mt19937 rng(seed);
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  AllocationInput in;
  in.consumers = uni(1, 40);
  in.hours = uni(1, 48);
  in.rounds = uni(1, 4);
  const int32_t s_count = uni(1, 12);
  in.eligible_offsets.push_back(0);
  for (int32_t s = 0; s < s_count; ++s) {
    in.source_round.push_back(uni(0, in.rounds - 1));
    std::vector<int32_t> all(in.consumers);
    for (int32_t c = 0; c < in.consumers; ++c) all[c] = c;
    std::shuffle(all.begin(), all.end(), rng);
    // Sometimes identical lists so sources pool; sometimes everyone.
    const int n = uni(0, 3) == 0 ? in.consumers : uni(0, in.consumers);
    in.eligible_consumers.insert(in.eligible_consumers.end(), all.begin(), all.begin() + n);
    in.eligible_offsets.push_back(static_cast<int32_t>(in.eligible_consumers.size()));
  }
  const int scale = uni(1, 3) == 1 ? 3 : 100000;
  for (int32_t i = 0; i < in.hours * in.consumers; ++i) {
    in.consumption.push_back(uni(0, 4) == 0 ? 0 : uni(0, scale));
  }
  for (int32_t i = 0; i < in.hours * s_count; ++i) {
    in.generation.push_back(uni(0, 3) == 0 ? 0 : uni(0, scale * in.consumers / 3 + 1));
  }
  return in;
}

TEST(AllocationTest, InvariantsOnRandomParks) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    const AllocationInput in = RandomPark(seed);
    auto res = Allocate(in);
    ASSERT_TRUE(res.ok()) << res.error().ToString();
    auto again = Allocate(in);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(res->matched, again->matched);
    EXPECT_EQ(res->allocated, again->allocated);
    EXPECT_EQ(res->matched_by_round, again->matched_by_round);
    const int32_t s_count = in.sources();
    std::vector<std::set<int32_t>> eligible(s_count);
    for (int32_t s = 0; s < s_count; ++s) {
      eligible[s].insert(in.eligible_consumers.begin() + in.eligible_offsets[s],
                         in.eligible_consumers.begin() + in.eligible_offsets[s + 1]);
    }
    std::vector<int64_t> by_round(static_cast<size_t>(in.consumers) * in.rounds, 0);
    for (int32_t h = 0; h < in.hours; ++h) {
      int64_t sum_matched = 0, sum_alloc = 0;
      for (int32_t c = 0; c < in.consumers; ++c) {
        const int64_t m = res->Matched(c, h);
        const int64_t r = res->Residual(in, c, h);
        ASSERT_GE(m, 0);
        ASSERT_GE(r, 0);
        ASSERT_EQ(m + r, in.consumption[h * in.consumers + c]);
        sum_matched += m;
      }
      for (int32_t s = 0; s < s_count; ++s) {
        const int64_t a = res->Allocated(s, h);
        ASSERT_GE(a, 0);
        ASSERT_GE(res->Surplus(in, s, h), 0);
        ASSERT_EQ(a + res->Surplus(in, s, h), in.generation[h * s_count + s]);
        sum_alloc += a;
      }
      ASSERT_EQ(sum_matched, sum_alloc);
      // Flows: eligibility respected, margins exact.
      auto flows = AllocateHourFlows(in, h);
      ASSERT_TRUE(flows.ok());
      std::vector<int64_t> per_c(in.consumers, 0), per_s(s_count, 0);
      for (const Flow& f : *flows) {
        ASSERT_GT(f.wh, 0);
        ASSERT_TRUE(eligible[f.source].count(f.consumer)) << f.source << "->" << f.consumer;
        ASSERT_EQ(f.round, in.source_round[f.source]);
        per_c[f.consumer] += f.wh;
        per_s[f.source] += f.wh;
        by_round[static_cast<size_t>(f.consumer) * in.rounds + f.round] += f.wh;
      }
      for (int32_t c = 0; c < in.consumers; ++c) ASSERT_EQ(per_c[c], res->Matched(c, h));
      for (int32_t s = 0; s < s_count; ++s) ASSERT_EQ(per_s[s], res->Allocated(s, h));
    }
    EXPECT_EQ(by_round, res->matched_by_round);
    auto sc = ComputeScores(in, *res);
    ASSERT_TRUE(sc.ok());
    for (int32_t c = 0; c < in.consumers; ++c) {
      EXPECT_GE(sc->hourly_share[c], 0.0);
      EXPECT_LE(sc->hourly_share[c], 1.0);
      EXPECT_GE(sc->annual_share[c], 0.0);
      EXPECT_LE(sc->annual_share[c], 1.0);
    }
  }
}

TEST(AllocationTest, SinglePoolIsProportionalAndAnnualAtLeastHourly) {
  for (uint32_t seed = 100; seed < 110; ++seed) {
    AllocationInput in = RandomPark(seed);
    // One park pool for everyone, in round 0.
    const int32_t s_count = in.sources();
    in.rounds = 1;
    in.source_round.assign(s_count, 0);
    in.eligible_consumers.clear();
    in.eligible_offsets.assign(1, 0);
    for (int32_t s = 0; s < s_count; ++s) {
      for (int32_t c = 0; c < in.consumers; ++c) in.eligible_consumers.push_back(c);
      in.eligible_offsets.push_back(static_cast<int32_t>(in.eligible_consumers.size()));
    }
    auto res = Allocate(in);
    ASSERT_TRUE(res.ok());
    for (int32_t h = 0; h < in.hours; ++h) {
      int64_t pool = 0, demand = 0;
      for (int32_t s = 0; s < s_count; ++s) pool += in.generation[h * s_count + s];
      for (int32_t c = 0; c < in.consumers; ++c) demand += in.consumption[h * in.consumers + c];
      for (int32_t c = 0; c < in.consumers; ++c) {
        const int64_t d = in.consumption[h * in.consumers + c];
        if (pool >= demand) {
          ASSERT_EQ(res->Matched(c, h), d);
        } else {
          const int64_t floor = pool * d / demand;
          ASSERT_GE(res->Matched(c, h), floor);
          ASSERT_LE(res->Matched(c, h), floor + 1);
        }
      }
    }
    auto sc = ComputeScores(in, *res);
    ASSERT_TRUE(sc.ok());
    EXPECT_GE(sc->park_annual_share, sc->park_hourly_share);
  }
}

}  // namespace
}  // namespace zp::green
