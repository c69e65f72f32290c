#include "metrics.h"

#include <fmt/format.h>

namespace zp::server {
namespace {

// Label values escape backslash, quote and newline.
std::string EscapeLabel(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Counter(std::string* out, std::string_view name, std::string_view help, int64_t value,
             std::string_view type = "counter") {
  *out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
}

}  // namespace

Metrics::Metrics(std::vector<std::string> routes)
    : routes_(std::move(routes)), durations_(routes_.size() + 1) {}

void Metrics::Record(int route, int status, double seconds) {
  if (route < 0 || route >= static_cast<int>(routes_.size())) route = -1;
  size_t bucket = 0;
  while (bucket < kBucketsS.size() && seconds > kBucketsS[bucket]) ++bucket;
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  Histogram& h = durations_[route < 0 ? routes_.size() : static_cast<size_t>(route)];
  if (bucket < kBucketsS.size()) ++h.buckets[bucket];
  ++h.count;
  h.sum_s += seconds;
}

std::string Metrics::Render(const engine::EngineStats& stats) const {
  std::string out;
  out.reserve(4096);
  Counter(&out, "zeropark_readings_written_total", "Readings made durable by the write path.",
          stats.readings_written);
  Counter(&out, "zeropark_flushes_total", "Memtable flushes into chunks.", stats.flushes);
  Counter(&out, "zeropark_chunks_written_total", "Series-day chunks written by flushes.",
          stats.chunks_written);
  Counter(&out, "zeropark_corrections_total", "Readings that replaced a different stored value.",
          stats.corrections);
  Counter(&out, "zeropark_log_commits_total", "Durable ingest-log commits.", stats.log_commits);
  Counter(&out, "zeropark_memtable_points", "Readings held in the memtable.", stats.memtable_points,
          "gauge");

  auto label = [&](int route) {
    if (route < 0) return std::string("other");
    return EscapeLabel(routes_[static_cast<size_t>(route)]);
  };
  std::lock_guard<std::mutex> lock(mutex_);
  out +=
      "# HELP zeropark_http_requests_total HTTP requests by route and status.\n"
      "# TYPE zeropark_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += fmt::format("zeropark_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                       label(key.first), key.second, count);
  }
  out +=
      "# HELP zeropark_http_request_duration_seconds HTTP request handling time by route.\n"
      "# TYPE zeropark_http_request_duration_seconds histogram\n";
  for (size_t i = 0; i < durations_.size(); ++i) {
    const Histogram& h = durations_[i];
    if (h.count == 0) continue;
    const std::string route = label(i == routes_.size() ? -1 : static_cast<int>(i));
    int64_t cumulative = 0;
    for (size_t b = 0; b < kBucketsS.size(); ++b) {
      cumulative += h.buckets[b];
      out += fmt::format(
          "zeropark_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
          kBucketsS[b], cumulative);
    }
    out += fmt::format(
        "zeropark_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route,
        h.count);
    out += fmt::format("zeropark_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route,
                       h.sum_s);
    out += fmt::format("zeropark_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route,
                       h.count);
  }
  return out;
}

}  // namespace zp::server
