#include "zp/green/allocation.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>

namespace zp::green {
namespace {

// Sources of one round with the same eligibility set, pooled.
struct Group {
  int32_t round = 0;
  std::vector<int32_t> sources;  // ascending
  int32_t entry_begin = 0;       // its consumers: Plan::entry_consumer[entry_begin, entry_end)
  int32_t entry_end = 0;
};

struct RoundPlan {
  int32_t group_begin = 0;
  int32_t group_end = 0;
  // Consumers that belong to two or more groups of the round (they split their ask).
  std::vector<int32_t> multi_consumer;
  std::vector<int32_t> multi_offsets;   // CSR into multi_entry, size multi_consumer.size() + 1
  std::vector<int32_t> multi_entry;     // entry indices (ascending group order)
  std::vector<uint8_t> entry_is_multi;  // indexed by entry - first entry of the round
};

struct Plan {
  std::vector<Group> groups;  // sorted by round
  std::vector<int32_t> entry_consumer;
  std::vector<int32_t> entry_group;
  std::vector<RoundPlan> rounds;
  int32_t max_group_sources = 0;
};

Plan BuildPlan(const AllocationInput& in) {
  Plan plan;
  const int32_t s_count = in.sources();
  std::map<std::pair<int32_t, std::vector<int32_t>>, int32_t> by_key;
  std::vector<std::vector<int32_t>> lists;
  std::vector<Group> groups;
  for (int32_t s = 0; s < s_count; ++s) {
    std::vector<int32_t> list(in.eligible_consumers.begin() + in.eligible_offsets[s],
                              in.eligible_consumers.begin() + in.eligible_offsets[s + 1]);
    std::sort(list.begin(), list.end());
    auto key = std::make_pair(in.source_round[s], list);
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      it = by_key.emplace(std::move(key), static_cast<int32_t>(groups.size())).first;
      groups.push_back(Group{in.source_round[s], {}, 0, 0});
      lists.push_back(std::move(list));
    }
    groups[it->second].sources.push_back(s);
  }
  // Stable by round keeps first-appearance (lowest source index) order inside a round.
  std::vector<int32_t> order(groups.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return groups[a].round < groups[b].round; });
  plan.rounds.resize(in.rounds);
  for (int32_t r = 0; r < in.rounds; ++r) plan.rounds[r].group_begin = plan.rounds[r].group_end = 0;
  for (int32_t gi : order) {
    Group g = std::move(groups[gi]);
    g.entry_begin = static_cast<int32_t>(plan.entry_consumer.size());
    for (int32_t c : lists[gi]) {
      plan.entry_consumer.push_back(c);
      plan.entry_group.push_back(static_cast<int32_t>(plan.groups.size()));
    }
    g.entry_end = static_cast<int32_t>(plan.entry_consumer.size());
    plan.max_group_sources =
        std::max(plan.max_group_sources, static_cast<int32_t>(g.sources.size()));
    plan.groups.push_back(std::move(g));
  }
  // Round ranges and multi-group consumers.
  size_t gi = 0;
  std::vector<int32_t> count(in.consumers, 0);
  for (int32_t r = 0; r < in.rounds; ++r) {
    RoundPlan& rp = plan.rounds[r];
    rp.group_begin = static_cast<int32_t>(gi);
    while (gi < plan.groups.size() && plan.groups[gi].round == r) ++gi;
    rp.group_end = static_cast<int32_t>(gi);
    if (rp.group_begin == rp.group_end) continue;
    const int32_t e0 = plan.groups[rp.group_begin].entry_begin;
    const int32_t e1 = plan.groups[rp.group_end - 1].entry_end;
    for (int32_t e = e0; e < e1; ++e) ++count[plan.entry_consumer[e]];
    std::vector<std::vector<int32_t>> multi(in.consumers);
    for (int32_t e = e0; e < e1; ++e) {
      if (count[plan.entry_consumer[e]] > 1) multi[plan.entry_consumer[e]].push_back(e);
    }
    rp.entry_is_multi.assign(e1 - e0, 0);
    rp.multi_offsets.push_back(0);
    for (int32_t c = 0; c < in.consumers; ++c) {
      if (multi[c].empty()) continue;
      rp.multi_consumer.push_back(c);
      for (int32_t e : multi[c]) {
        rp.multi_entry.push_back(e);
        rp.entry_is_multi[e - e0] = 1;
      }
      rp.multi_offsets.push_back(static_cast<int32_t>(rp.multi_entry.size()));
    }
    for (int32_t e = e0; e < e1; ++e) count[plan.entry_consumer[e]] = 0;
  }
  return plan;
}

struct GroupFlow {
  int32_t group;
  int32_t entry;
  int64_t wh;
};

class HourAllocator {
 public:
  HourAllocator(const Plan& plan, int32_t sources, int32_t rounds) : plan_(plan), rounds_(rounds) {
    const size_t entries = plan.entry_consumer.size();
    const size_t groups = plan.groups.size();
    pool_.assign(groups, 0);
    pool0_.assign(groups, 0);
    group_alloc_.assign(groups, 0);
    ask_.assign(entries, 0);
    alloc_.assign(entries, 0);
    const size_t width = std::max<size_t>({entries, groups, static_cast<size_t>(sources), 1});
    rem_.assign(width, 0);
    tmp_.assign(width, 0);
    weights_.assign(width, 0);
    out_.assign(width, 0);
  }

  // d: in = the hour's consumption per consumer, out = what remains for the grid.
  // gen: the hour's generation per source; src_alloc: out, allocated per source.
  // by_round ([c * rounds + r]) and flows may be null.
  void Run(int64_t* d, const int64_t* gen, int64_t* src_alloc, int64_t* by_round,
           std::vector<GroupFlow>* flows) {
    for (int32_t r = 0; r < rounds_; ++r) RunRound(r, d, gen, src_alloc, by_round, flows);
  }

 private:
  // out[i] = floor(amount * w[i] / total) and the leftover Wh one each to the largest remainders,
  // ties to the lower i. total = sum w[i] > 0, w[i] >= 0.
  void Split(int64_t amount, const int64_t* w, int32_t n, int64_t total, int64_t* out) {
    int64_t given = 0;
    int64_t* rem = rem_.data();
    int64_t bound;
    if (!__builtin_mul_overflow(amount + 1, total, &bound)) {
      const double scale = static_cast<double>(amount) / static_cast<double>(total);
      for (int32_t i = 0; i < n; ++i) {
        const int64_t p = amount * w[i];
        int64_t q = static_cast<int64_t>(static_cast<double>(w[i]) * scale);
        int64_t rr = p - q * total;
        while (rr < 0) {
          --q;
          rr += total;
        }
        while (rr >= total) {
          ++q;
          rr -= total;
        }
        out[i] = q;
        rem[i] = rr;
        given += q;
      }
    } else {
      for (int32_t i = 0; i < n; ++i) {
        const __int128 p = static_cast<__int128>(amount) * w[i];
        out[i] = static_cast<int64_t>(p / total);
        rem[i] = static_cast<int64_t>(p % total);
        given += out[i];
      }
    }
    int64_t k = amount - given;
    if (k <= 0) return;
    // The k-th largest remainder T: all above T get one, then those equal to T in index order.
    // For long lists T is found with a 1024-bucket histogram of the remainders (by their top
    // bits) and a selection among the few candidates of T's bucket; remainders are in [0, total).
    int64_t t;
    if (n < kHistogramMin) {
      std::copy(rem, rem + n, tmp_.data());
      std::nth_element(tmp_.data(), tmp_.data() + (k - 1), tmp_.data() + n, std::greater<>());
      t = tmp_[k - 1];
    } else {
      const int shift = std::max(0, 64 - __builtin_clzll(static_cast<uint64_t>(total)) - 10);
      uint32_t* hist = hist_.data();
      std::fill(hist, hist + kBuckets, 0u);
      for (int32_t i = 0; i < n; ++i) ++hist[rem[i] >> shift];
      int64_t above = 0;
      int32_t bucket = kBuckets - 1;
      while (above + hist[bucket] < k) above += hist[bucket--];
      int32_t m = 0;
      for (int32_t i = 0; i < n; ++i) {
        tmp_[m] = rem[i];
        m += (rem[i] >> shift) == bucket;
      }
      const int64_t need = k - above;  // 1 <= need <= m
      std::nth_element(tmp_.data(), tmp_.data() + (need - 1), tmp_.data() + m, std::greater<>());
      t = tmp_[need - 1];
    }
    int64_t extra = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int64_t inc = rem[i] > t;
      out[i] += inc;
      extra += inc;
    }
    k -= extra;
    for (int32_t i = 0; i < n && k > 0; ++i) {
      if (rem[i] == t) {
        ++out[i];
        --k;
      }
    }
  }

  void RunRound(int32_t r, int64_t* d, const int64_t* gen, int64_t* src_alloc, int64_t* by_round,
                std::vector<GroupFlow>* flows) {
    const RoundPlan& rp = plan_.rounds[r];
    if (rp.group_begin == rp.group_end) return;
    bool any = false;
    for (int32_t g = rp.group_begin; g < rp.group_end; ++g) {
      int64_t p = 0;
      for (int32_t s : plan_.groups[g].sources) p += gen[s];
      pool_[g] = pool0_[g] = p;
      group_alloc_[g] = 0;
      any |= p > 0;
    }
    if (any) {
      const int32_t e0 = plan_.groups[rp.group_begin].entry_begin;
      const bool has_multi = !rp.multi_consumer.empty();
      for (int pass = 0; pass < kMaxPasses; ++pass) {
        // Ask.
        for (int32_t g = rp.group_begin; g < rp.group_end; ++g) {
          if (pool_[g] == 0) continue;
          const Group& grp = plan_.groups[g];
          const int32_t* ec = plan_.entry_consumer.data();
          if (!has_multi) {
            for (int32_t e = grp.entry_begin; e < grp.entry_end; ++e) ask_[e] = d[ec[e]];
          } else {
            const uint8_t* multi = rp.entry_is_multi.data() - e0;
            for (int32_t e = grp.entry_begin; e < grp.entry_end; ++e) {
              if (!multi[e]) ask_[e] = d[ec[e]];
            }
          }
        }
        for (size_t m = 0; m < rp.multi_consumer.size(); ++m) {
          const int32_t b = rp.multi_offsets[m];
          const int32_t n = rp.multi_offsets[m + 1] - b;
          const int32_t* entries = rp.multi_entry.data() + b;
          int64_t total = 0;
          for (int32_t i = 0; i < n; ++i) {
            weights_[i] = pool_[plan_.entry_group[entries[i]]];
            total += weights_[i];
          }
          const int64_t dc = d[rp.multi_consumer[m]];
          if (total == 0 || dc == 0) {
            for (int32_t i = 0; i < n; ++i) ask_[entries[i]] = 0;
            continue;
          }
          Split(dc, weights_.data(), n, total, out_.data());
          for (int32_t i = 0; i < n; ++i) ask_[entries[i]] = out_[i];
        }
        // Share.
        int64_t pass_total = 0;
        for (int32_t g = rp.group_begin; g < rp.group_end; ++g) {
          const int64_t p = pool_[g];
          if (p == 0) continue;
          const Group& grp = plan_.groups[g];
          const int32_t b = grp.entry_begin;
          const int32_t n = grp.entry_end - b;
          int64_t asked = 0;
          for (int32_t i = 0; i < n; ++i) asked += ask_[b + i];
          if (asked == 0) continue;
          const int64_t* give = ask_.data() + b;
          int64_t given = asked;
          if (asked > p) {
            Split(p, give, n, asked, alloc_.data() + b);
            give = alloc_.data() + b;
            given = p;
          }
          const int32_t* ec = plan_.entry_consumer.data() + b;
          if (by_round == nullptr) {
            for (int32_t i = 0; i < n; ++i) d[ec[i]] -= give[i];
          } else {
            for (int32_t i = 0; i < n; ++i) {
              d[ec[i]] -= give[i];
              by_round[static_cast<size_t>(ec[i]) * rounds_ + r] += give[i];
            }
          }
          if (flows != nullptr) {
            for (int32_t i = 0; i < n; ++i) {
              if (give[i] > 0) flows->push_back(GroupFlow{g, b + i, give[i]});
            }
          }
          pool_[g] = p - given;
          group_alloc_[g] += given;
          pass_total += given;
        }
        if (!has_multi || pass_total == 0) break;
      }
    }
    // Attribute each group's allocation to its sources.
    for (int32_t g = rp.group_begin; g < rp.group_end; ++g) {
      const std::vector<int32_t>& srcs = plan_.groups[g].sources;
      const int64_t total = group_alloc_[g];
      if (total == pool0_[g]) {
        for (int32_t s : srcs) src_alloc[s] = gen[s];
      } else if (total == 0) {
        for (int32_t s : srcs) src_alloc[s] = 0;
      } else if (srcs.size() == 1) {
        src_alloc[srcs[0]] = total;
      } else {
        const int32_t n = static_cast<int32_t>(srcs.size());
        for (int32_t i = 0; i < n; ++i) weights_[i] = gen[srcs[i]];
        Split(total, weights_.data(), n, pool0_[g], out_.data());
        for (int32_t i = 0; i < n; ++i) src_alloc[srcs[i]] = out_[i];
      }
    }
  }

  const Plan& plan_;
  int32_t rounds_;
  static constexpr int32_t kBuckets = 1024;
  static constexpr int32_t kHistogramMin = 512;
  std::vector<uint32_t> hist_ = std::vector<uint32_t>(kBuckets, 0);
  std::vector<int64_t> pool_, pool0_, group_alloc_, ask_, alloc_, rem_, tmp_, weights_, out_;
};

}  // namespace

Status Validate(const AllocationInput& in) {
  if (in.hours < 0 || in.consumers < 0 || in.rounds < 0) {
    return InvalidArgumentError(
        fmt::format("hours ({}), consumers ({}) and rounds ({}) must be >= 0", in.hours,
                    in.consumers, in.rounds));
  }
  const size_t h = static_cast<size_t>(in.hours);
  const size_t s_count = in.source_round.size();
  if (in.consumption.size() != h * in.consumers) {
    return InvalidArgumentError(
        fmt::format("consumption has {} values, expected hours x consumers = {}",
                    in.consumption.size(), h * in.consumers));
  }
  if (in.generation.size() != h * s_count) {
    return InvalidArgumentError(
        fmt::format("generation has {} values, expected hours x sources = {}", in.generation.size(),
                    h * s_count));
  }
  if (in.eligible_offsets.size() != s_count + 1 || in.eligible_offsets[0] != 0 ||
      static_cast<size_t>(in.eligible_offsets.back()) != in.eligible_consumers.size()) {
    return InvalidArgumentError(fmt::format(
        "eligible_offsets must have sources + 1 = {} entries from 0 to eligible_consumers.size() "
        "= {}",
        s_count + 1, in.eligible_consumers.size()));
  }
  for (size_t s = 0; s < s_count; ++s) {
    if (in.source_round[s] < 0 || in.source_round[s] >= in.rounds) {
      return InvalidArgumentError(fmt::format("source {}: round {} out of range [0, {})", s,
                                              in.source_round[s], in.rounds));
    }
    if (in.eligible_offsets[s + 1] < in.eligible_offsets[s]) {
      return InvalidArgumentError(fmt::format("eligible_offsets decrease at source {}", s));
    }
  }
  std::vector<int32_t> last(in.consumers, -1);
  for (size_t s = 0; s < s_count; ++s) {
    for (int32_t i = in.eligible_offsets[s]; i < in.eligible_offsets[s + 1]; ++i) {
      const int32_t c = in.eligible_consumers[i];
      if (c < 0 || c >= in.consumers) {
        return InvalidArgumentError(fmt::format(
            "source {}: eligible consumer {} out of range [0, {})", s, c, in.consumers));
      }
      if (last[c] == static_cast<int32_t>(s)) {
        return InvalidArgumentError(fmt::format("source {}: consumer {} listed twice", s, c));
      }
      last[c] = static_cast<int32_t>(s);
    }
  }
  for (size_t i = 0; i < in.consumption.size(); ++i) {
    if (in.consumption[i] < 0) {
      return InvalidArgumentError(fmt::format("negative consumption {} Wh: consumer {}, hour {}",
                                              in.consumption[i], i % in.consumers,
                                              i / in.consumers));
    }
  }
  for (size_t i = 0; i < in.generation.size(); ++i) {
    if (in.generation[i] < 0) {
      return InvalidArgumentError(fmt::format("negative generation {} Wh: source {}, hour {}",
                                              in.generation[i], i % s_count, i / s_count));
    }
  }
  return Status::OK();
}

Result<AllocationResult> Allocate(const AllocationInput& in) {
  ZP_RETURN_IF_ERROR(Validate(in));
  const Plan plan = BuildPlan(in);
  const int32_t c_count = in.consumers;
  const int32_t s_count = in.sources();
  AllocationResult res;
  res.hours = in.hours;
  res.consumers = c_count;
  res.sources = s_count;
  res.rounds = in.rounds;
  res.matched.resize(static_cast<size_t>(in.hours) * c_count);
  res.allocated.resize(static_cast<size_t>(in.hours) * s_count);
  res.matched_by_round.assign(static_cast<size_t>(c_count) * in.rounds, 0);
  res.consumption_total.assign(c_count, 0);
  res.matched_total.assign(c_count, 0);
  res.generation_total.assign(s_count, 0);
  res.allocated_total.assign(s_count, 0);
  HourAllocator alloc(plan, s_count, in.rounds);
  std::vector<int64_t> d(c_count);
  for (int32_t h = 0; h < in.hours; ++h) {
    const int64_t* cons = in.consumption.data() + static_cast<size_t>(h) * c_count;
    const int64_t* gen = in.generation.data() + static_cast<size_t>(h) * s_count;
    int64_t* matched = res.matched.data() + static_cast<size_t>(h) * c_count;
    int64_t* allocated = res.allocated.data() + static_cast<size_t>(h) * s_count;
    std::copy(cons, cons + c_count, d.data());
    alloc.Run(d.data(), gen, allocated, res.matched_by_round.data(), nullptr);
    int64_t* ct = res.consumption_total.data();
    int64_t* mt = res.matched_total.data();
    for (int32_t c = 0; c < c_count; ++c) {
      const int64_t m = cons[c] - d[c];
      matched[c] = m;
      ct[c] += cons[c];
      mt[c] += m;
    }
    for (int32_t s = 0; s < s_count; ++s) {
      res.generation_total[s] += gen[s];
      res.allocated_total[s] += allocated[s];
    }
  }
  return res;
}

Result<std::vector<Flow>> AllocateHourFlows(const AllocationInput& in, int32_t hour) {
  ZP_RETURN_IF_ERROR(Validate(in));
  if (hour < 0 || hour >= in.hours) {
    return InvalidArgumentError(fmt::format("hour {} out of range [0, {})", hour, in.hours));
  }
  const Plan plan = BuildPlan(in);
  const int32_t c_count = in.consumers;
  const int32_t s_count = in.sources();
  HourAllocator alloc(plan, s_count, in.rounds);
  std::vector<int64_t> d(in.consumption.begin() + static_cast<size_t>(hour) * c_count,
                         in.consumption.begin() + static_cast<size_t>(hour + 1) * c_count);
  const int64_t* gen = in.generation.data() + static_cast<size_t>(hour) * s_count;
  std::vector<int64_t> src_alloc(s_count, 0);
  std::vector<GroupFlow> gflows;
  alloc.Run(d.data(), gen, src_alloc.data(), nullptr, &gflows);
  // Per entry (group, consumer) totals over the passes.
  std::vector<int64_t> entry_wh(plan.entry_consumer.size(), 0);
  for (const GroupFlow& f : gflows) entry_wh[f.entry] += f.wh;
  std::vector<Flow> flows;
  for (const Group& g : plan.groups) {
    // North-west corner: consumers ascending against sources ascending.
    size_t si = 0;
    int64_t src_left = g.sources.empty() ? 0 : src_alloc[g.sources[0]];
    for (int32_t e = g.entry_begin; e < g.entry_end; ++e) {
      int64_t need = entry_wh[e];
      while (need > 0 && si < g.sources.size()) {
        if (src_left == 0) {
          if (++si == g.sources.size()) break;
          src_left = src_alloc[g.sources[si]];
          continue;
        }
        const int64_t take = std::min(need, src_left);
        flows.push_back(Flow{g.sources[si], plan.entry_consumer[e], g.round, take});
        need -= take;
        src_left -= take;
      }
      if (need != 0) return InternalError("flow margins do not add up");
    }
  }
  std::sort(flows.begin(), flows.end(), [](const Flow& a, const Flow& b) {
    return std::tie(a.round, a.source, a.consumer) < std::tie(b.round, b.source, b.consumer);
  });
  return flows;
}

Result<Scores> ComputeScores(const AllocationInput& in, const AllocationResult& res) {
  if (res.consumers != in.consumers || res.hours != in.hours || res.sources != in.sources() ||
      res.matched_total.size() != static_cast<size_t>(in.consumers)) {
    return InvalidArgumentError("allocation result does not belong to this input");
  }
  AllocationInput year;
  year.hours = 1;
  year.consumers = in.consumers;
  year.rounds = in.rounds;
  year.consumption = res.consumption_total;
  year.generation = res.generation_total;
  year.source_round = in.source_round;
  year.eligible_offsets = in.eligible_offsets;
  year.eligible_consumers = in.eligible_consumers;
  ZP_ASSIGN_OR_RETURN(AllocationResult annual, Allocate(year));
  Scores sc;
  sc.hourly_share.assign(in.consumers, 0.0);
  sc.annual_share.assign(in.consumers, 0.0);
  sc.annual_matched = annual.matched;
  int64_t cons = 0, hourly = 0, yearly = 0;
  for (int32_t c = 0; c < in.consumers; ++c) {
    const int64_t total = res.consumption_total[c];
    cons += total;
    hourly += res.matched_total[c];
    yearly += annual.matched[c];
    if (total > 0) {
      sc.hourly_share[c] = static_cast<double>(res.matched_total[c]) / static_cast<double>(total);
      sc.annual_share[c] = static_cast<double>(annual.matched[c]) / static_cast<double>(total);
    }
  }
  if (cons > 0) {
    sc.park_hourly_share = static_cast<double>(hourly) / static_cast<double>(cons);
    sc.park_annual_share = static_cast<double>(yearly) / static_cast<double>(cons);
  }
  return sc;
}

}  // namespace zp::green
