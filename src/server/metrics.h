#pragma once

// Prometheus metrics of the HTTP layer (requests by route and status, a latency histogram per
// route) rendered together with the engine's counters. Thread-safe.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "zp/engine/engine.h"
#include "zp/environment/service.h"
#include "zp/hj212/server.h"

namespace zp::server {

class Metrics {
 public:
  // `routes`: label of each route index, e.g. "POST /write".
  explicit Metrics(std::vector<std::string> routes);

  // route: index into the labels, or -1 for requests that matched no route.
  void Record(int route, int status, double seconds);

  // Prometheus text exposition format 0.0.4.
  std::string Render(const engine::EngineStats& stats) const;

  static constexpr std::array<double, 12> kBucketsS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

 private:
  struct Histogram {
    std::array<int64_t, kBucketsS.size()> buckets{};  // non-cumulative counts
    int64_t count = 0;
    double sum_s = 0;
  };
  std::vector<std::string> routes_;
  mutable std::mutex mutex_;
  std::map<std::pair<int, int>, int64_t> requests_;  // (route, status) -> count
  std::vector<Histogram> durations_;                 // per route, last one for "other"
};

// The HJ 212 listener's counters (zp_hj212_*; zeros when it is not listening) and the environment
// service's (zp_env_*), in the same format. Every refusal reason the platform knows has a line.
std::string RenderEnvMetrics(const std::optional<hj212::ServerStats>& hj212,
                             const environment::EnvStats& env);

}  // namespace zp::server
