#pragma once

// Hourly green-power allocation (issue 6): supply sources (on-site PV, direct supply, contracts,
// park pool) are matched to consumers hour by hour in priority rounds, in integer Wh, with
// deterministic remainders. 绿电逐时分配：按优先轮次、按比例、整数 Wh、余数确定性分配。
//
// Rule, per hour, for each round r = 0..R-1 in order (lower rounds first):
//  - Sources of the round with the same eligibility set form a pool ("group"); its volume P_g is
//    the sum of their generation that hour.
//  - Ask: a consumer c with remaining demand d_c asks each of its groups in this round for a share
//    of d_c proportional to the groups' volumes (all of d_c when it belongs to one group only).
//  - Share: a group whose asks total A_g <= P_g serves every ask in full; otherwise it splits P_g
//    proportionally to the asks: floor(P_g * ask_c / A_g), and the leftover Wh go one each to the
//    largest remainders, ties to the lower consumer index. With one group (or disjoint groups) this
//    is plain "proportional to remaining demand".
//  - When a consumer belongs to several groups of a round, the ask/share pass repeats on what
//    remains (at most kMaxPasses passes, stopping when a pass allocates nothing); anything left
//    passes on to the next round, and what is left after the last round is bought from the grid.
//  - A group's allocated volume is attributed to its sources proportionally to their generation
//    (same remainder rule, ties to the lower source index); surplus = generation - allocated.
//
// Invariants (every consumer-hour and source-hour): matched + residual grid = consumption,
// allocated + surplus = generation, sum allocated = sum matched, all values >= 0, and a consumer is
// only ever served by sources whose eligibility list contains it. Same input -> same output.
//
// Scores: the hourly-matched share (24/7 score) is sum_h matched / sum_h consumption. The
// annual-matched share runs the same rule once on the year's totals (one "hour" whose consumption
// and generation are the yearly sums), i.e. it lets any Wh of eligible green supply in the year
// cover any hour; it is therefore >= the hourly share for the park and at most 1.

#include <cstdint>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/status.h"

namespace zp::green {

inline constexpr int kMaxPasses = 16;

// All energies are integer Wh. Arrays are hour-major so one hour is contiguous.
struct AllocationInput {
  int32_t hours = 0;
  int32_t consumers = 0;
  int32_t rounds = 0;
  std::vector<int64_t> consumption;   // [h * consumers + c]
  std::vector<int64_t> generation;    // [h * sources + s], sources = source_round.size()
  std::vector<int32_t> source_round;  // per source, 0..rounds-1 (0 = same site, first)
  // Eligibility as CSR: the consumers that source s may serve are
  // eligible_consumers[eligible_offsets[s] .. eligible_offsets[s+1]).
  std::vector<int32_t> eligible_offsets;  // size sources + 1, starts at 0
  std::vector<int32_t> eligible_consumers;

  int32_t sources() const { return static_cast<int32_t>(source_round.size()); }
};

// Checks sizes, ranges, negative Wh and duplicate eligibility entries.
Status Validate(const AllocationInput& input);

struct AllocationResult {
  int32_t hours = 0;
  int32_t consumers = 0;
  int32_t sources = 0;
  int32_t rounds = 0;
  std::vector<int64_t> matched;            // [h * consumers + c] green Wh received
  std::vector<int64_t> allocated;          // [h * sources + s] Wh of the source given to consumers
  std::vector<int64_t> matched_by_round;   // [c * rounds + r], year totals
  std::vector<int64_t> consumption_total;  // per consumer, year
  std::vector<int64_t> matched_total;      // per consumer, year
  std::vector<int64_t> generation_total;   // per source, year
  std::vector<int64_t> allocated_total;    // per source, year

  int64_t Matched(int32_t c, int32_t h) const {
    return matched[static_cast<size_t>(h) * consumers + c];
  }
  int64_t Allocated(int32_t s, int32_t h) const {
    return allocated[static_cast<size_t>(h) * sources + s];
  }
  // Residual grid purchase and source surplus need the input's consumption / generation.
  int64_t Residual(const AllocationInput& in, int32_t c, int32_t h) const {
    return in.consumption[static_cast<size_t>(h) * consumers + c] - Matched(c, h);
  }
  int64_t Surplus(const AllocationInput& in, int32_t s, int32_t h) const {
    return in.generation[static_cast<size_t>(h) * sources + s] - Allocated(s, h);
  }
};

// The whole horizon on the calling thread. Memory: the input's size plus matched/allocated.
Result<AllocationResult> Allocate(const AllocationInput& input);

// One (source, consumer) flow of one hour, for certificates. Inside a group the group's matched
// Wh per consumer and allocated Wh per source are exact margins; the flows fill them in order
// (consumers ascending, sources ascending: "north-west corner"), so each flow is deterministic and
// rows/columns add up exactly to AllocationResult's numbers.
struct Flow {
  int32_t source = 0;
  int32_t consumer = 0;
  int32_t round = 0;
  int64_t wh = 0;
};

// The non-zero flows of hour `hour`, sorted by (round, source, consumer).
Result<std::vector<Flow>> AllocateHourFlows(const AllocationInput& input, int32_t hour);

struct Scores {
  // Per consumer; 0 when its consumption is 0.
  std::vector<double> hourly_share;  // 24/7 score
  std::vector<double> annual_share;
  std::vector<int64_t> annual_matched;  // Wh matched by the annual rule, per consumer
  double park_hourly_share = 0;
  double park_annual_share = 0;
};

// Uses `result` (from Allocate(input)) for the hourly share and runs the annual rule.
Result<Scores> ComputeScores(const AllocationInput& input, const AllocationResult& result);

}  // namespace zp::green
