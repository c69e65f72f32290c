// Green power allocation benchmark (issue 6): 3,000 consumers x 8,760 hours x 50 sources in 4
// priority rounds, allocated on one thread by zp::green::Allocate, against the same algorithm in
// numpy (bench/green_alloc_numpy.py, run with /usr/bin/python3 in the same run); the checksums must
// be identical. 绿电逐时分配基准：C++ 与 numpy 同一算法，校验和必须一致。
//
// Usage: zp_green_alloc_bench [--runs N] [--numpy-runs N] [--script PATH] [--python PATH]
//                             [--file PATH] [--no-numpy]

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "zp/green/allocation.h"

namespace {

using zp::green::AllocationInput;

struct Rng {  // splitmix64
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  int Int(int lo, int hi) { return lo + static_cast<int>(Next() % (hi - lo + 1)); }
};

constexpr double kPi = 3.14159265358979323846;

// PV shape: 0 at night, a half sine from 6:00 to 18:00, seasonal, with clouds.
double Solar(int h, Rng& rng) {
  const int hour = h % 24;
  const int day = h / 24;
  if (hour < 6 || hour >= 18) return 0.0;
  const double season = 0.75 + 0.25 * std::cos(2 * kPi * (day - 172) / 365.0);
  const double cloud = 0.3 + 0.7 * rng.Uniform();
  return std::sin(kPi * (hour - 6 + 0.5) / 12.0) * season * cloud;
}

AllocationInput MakePark() {
  constexpr int32_t kHours = 8760, kConsumers = 3000, kSources = 50;
  Rng rng{20260101};
  AllocationInput in;
  in.hours = kHours;
  in.consumers = kConsumers;
  in.rounds = 4;
  // Consumers: base load 20 kWh .. 2 MWh per hour; day shift, weekend dip, noise.
  std::vector<double> base(kConsumers);
  std::vector<int> shifts(kConsumers);
  for (int c = 0; c < kConsumers; ++c) {
    base[c] = 20e3 * std::pow(100.0, rng.Uniform());
    shifts[c] = rng.Int(1, 3);  // 1: day shift, 2: two shifts, 3: continuous
  }
  in.consumption.resize(static_cast<size_t>(kHours) * kConsumers);
  for (int h = 0; h < kHours; ++h) {
    const int hour = h % 24;
    const bool weekend = (h / 24) % 7 >= 5;
    for (int c = 0; c < kConsumers; ++c) {
      double f = 0.3;
      if (shifts[c] == 3 || (hour >= 8 && hour < 18) ||
          (shifts[c] == 2 && hour >= 18 && hour < 24)) {
        f = 1.0;
      }
      if (weekend && shifts[c] != 3) f *= 0.4;
      f *= 0.85 + 0.3 * rng.Uniform();
      in.consumption[static_cast<size_t>(h) * kConsumers + c] = static_cast<int64_t>(base[c] * f);
    }
  }
  // Sources: 20 rooftop PV (round 0, 1 consumer), 10 direct supply (round 1, 5-20 buyers),
  // 15 contracts (round 2, 20-100 buyers), 5 park pool (round 3, everyone).
  std::vector<double> capacity(kSources);
  std::vector<int> is_wind(kSources);
  in.eligible_offsets.push_back(0);
  std::vector<int32_t> all(kConsumers);
  for (int s = 0; s < kSources; ++s) {
    int32_t round, buyers;
    if (s < 20) {
      round = 0, buyers = 1;
    } else if (s < 30) {
      round = 1, buyers = rng.Int(5, 20);
    } else if (s < 45) {
      round = 2, buyers = rng.Int(20, 100);
    } else {
      round = 3, buyers = kConsumers;
    }
    in.source_round.push_back(round);
    for (int c = 0; c < kConsumers; ++c) all[c] = c;
    for (int i = 0; i < buyers; ++i) std::swap(all[i], all[i + rng.Next() % (kConsumers - i)]);
    double demand = 0;
    for (int i = 0; i < buyers; ++i) {
      in.eligible_consumers.push_back(all[i]);
      demand += base[all[i]];
    }
    in.eligible_offsets.push_back(static_cast<int32_t>(in.eligible_consumers.size()));
    is_wind[s] = round > 0 && rng.Int(0, 1) == 1;
    // Peak output relative to the buyers' base load; the park pool covers ~1/3 of the park.
    const double share = round == 3 ? 0.12 : 0.3 + 0.9 * rng.Uniform();
    capacity[s] = demand * share * (is_wind[s] ? 1.0 : 2.0);
  }
  in.generation.resize(static_cast<size_t>(kHours) * kSources);
  std::vector<double> wind(kSources, 0.4);
  for (int h = 0; h < kHours; ++h) {
    for (int s = 0; s < kSources; ++s) {
      double f;
      if (is_wind[s]) {
        wind[s] = std::clamp(wind[s] + 0.15 * (rng.Uniform() - 0.5), 0.0, 1.0);
        f = wind[s];
      } else {
        f = Solar(h, rng);
      }
      in.generation[static_cast<size_t>(h) * kSources + s] = static_cast<int64_t>(capacity[s] * f);
    }
  }
  return in;
}

bool WriteInput(const AllocationInput& in, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const int32_t header[5] = {0x5A50474E, in.hours, in.consumers, in.sources(), in.rounds};
  const int32_t eligible = static_cast<int32_t>(in.eligible_consumers.size());
  bool ok =
      std::fwrite(header, sizeof header, 1, f) == 1 &&
      std::fwrite(&eligible, sizeof eligible, 1, f) == 1 &&
      std::fwrite(in.source_round.data(), 4, in.source_round.size(), f) == in.source_round.size() &&
      std::fwrite(in.eligible_offsets.data(), 4, in.eligible_offsets.size(), f) ==
          in.eligible_offsets.size() &&
      std::fwrite(in.eligible_consumers.data(), 4, eligible, f) == static_cast<size_t>(eligible) &&
      std::fwrite(in.consumption.data(), 8, in.consumption.size(), f) == in.consumption.size() &&
      std::fwrite(in.generation.data(), 8, in.generation.size(), f) == in.generation.size();
  return std::fclose(f) == 0 && ok;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3, numpy_runs = 3;
  bool numpy = true;
  std::string script = "bench/green_alloc_numpy.py", python = "/usr/bin/python3";
  std::string file = "/tmp/zp_green_alloc_bench.bin";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", a);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--runs") {
      runs = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--numpy-runs") {
      numpy_runs = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--script") {
      script = next();
    } else if (a == "--python") {
      python = next();
    } else if (a == "--file") {
      file = next();
    } else if (a == "--no-numpy") {
      numpy = false;
    } else {
      fmt::print(stderr, "unknown argument: {}\n", a);
      return 2;
    }
  }
  const AllocationInput in = MakePark();
  fmt::print("park: {} consumers x {} hours x {} sources in {} rounds, {} eligibility entries\n",
             in.consumers, in.hours, in.sources(), in.rounds, in.eligible_consumers.size());
  std::vector<double> times;
  zp::Result<zp::green::AllocationResult> res = zp::InvalidArgumentError("not run");
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    res = zp::green::Allocate(in);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!res.ok()) {
      fmt::print(stderr, "allocation failed: {}\n", res.error().ToString());
      return 1;
    }
  }
  const auto& out = *res;
  // Checksums: totals, and index-weighted totals so a per-consumer/per-source swap shows.
  __int128 matched = 0, residual = 0, surplus = 0, wm = 0, wa = 0;
  for (int32_t c = 0; c < in.consumers; ++c) {
    matched += out.matched_total[c];
    residual += out.consumption_total[c] - out.matched_total[c];
    wm += static_cast<__int128>(c + 1) * out.matched_total[c];
  }
  for (int32_t s = 0; s < in.sources(); ++s) {
    surplus += out.generation_total[s] - out.allocated_total[s];
    wa += static_cast<__int128>(s + 1) * out.allocated_total[s];
  }
  const std::string cpp_sum = fmt::format(
      "{} {} {} {} {}", static_cast<int64_t>(matched), static_cast<int64_t>(residual),
      static_cast<int64_t>(surplus), static_cast<int64_t>(wm), static_cast<int64_t>(wa));
  const double best = *std::min_element(times.begin(), times.end());
  const double median = Median(times);
  fmt::print("C++ checksum: {}\n", cpp_sum);
  fmt::print("park hourly-matched share {:.4f}\n",
             static_cast<double>(matched) / static_cast<double>(matched + residual));
  double np_best = 0;
  std::string np_sum;
  if (numpy) {
    if (!WriteInput(in, file)) {
      fmt::print(stderr, "cannot write {}\n", file);
      return 1;
    }
    const std::string cmd = fmt::format("{} {} {} {}", python, script, file, numpy_runs);
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return 1;
    char line[512];
    while (std::fgets(line, sizeof line, p) != nullptr) {
      std::string l(line);
      while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
      if (l.rfind("seconds ", 0) == 0) np_best = std::atof(l.c_str() + 8);
      if (l.rfind("checksum ", 0) == 0) np_sum = l.substr(9);
    }
    const int rc = pclose(p);
    std::remove(file.c_str());
    if (rc != 0 || np_sum.empty()) {
      fmt::print(stderr, "numpy run failed: {}\n", cmd);
      return 1;
    }
    fmt::print("numpy checksum: {}\n", np_sum);
  }
  fmt::print("\n| implementation | best of runs (s) | median (s) |\n| --- | ---: | ---: |\n");
  fmt::print("| C++ zp::green::Allocate, 1 thread ({} runs) | {:.3f} | {:.3f} |\n", runs, best,
             median);
  if (numpy) {
    fmt::print("| numpy ({} runs, best) | {:.3f} | |\n", numpy_runs, np_best);
    fmt::print("\nratio numpy / C++ (best): {:.1f}x; checksums {}\n", np_best / best,
               np_sum == cpp_sum ? "identical" : "DIFFER");
    if (np_sum != cpp_sum) return 1;
  }
  return 0;
}
