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

void Gauge(std::string* out, std::string_view name, std::string_view help, double value) {
  *out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
}

// Refusal reasons of the HJ 212 server (frame errors) and of the environment service's sink.
constexpr std::string_view kRefusalReasons[] = {
    "bad_crc",    "bad_length",   "truncated",    "oversized",      "garbage",     "bad_segment",
    "unknown_mn", "bad_password", "version_2005", "unsupported_cn", "future_time", "store_failed"};

}  // namespace

std::string RenderEnvMetrics(const std::optional<hj212::ServerStats>& hj212,
                             const environment::EnvStats& env) {
  const hj212::ServerStats s = hj212.value_or(hj212::ServerStats{});
  auto n = [](uint64_t v) { return static_cast<int64_t>(v); };
  std::string out;
  out.reserve(4096);
  Counter(&out, "zp_hj212_connections_open", "Open HJ 212 data-logger connections.",
          n(s.connections_open), "gauge");
  Counter(&out, "zp_hj212_connections_accepted_total", "HJ 212 connections accepted.",
          n(s.connections_accepted));
  Counter(&out, "zp_hj212_connections_refused_total",
          "HJ 212 connections refused over the connection limit.", n(s.connections_refused));
  Counter(&out, "zp_hj212_bytes_received_total", "Bytes received from data loggers.",
          n(s.bytes_received));
  Counter(&out, "zp_hj212_frames_received_total",
          "Complete HJ 212 frames with a sound data segment, handed to the sink.",
          n(s.frames_received));
  Counter(&out, "zp_hj212_frames_accepted_total", "HJ 212 frames accepted (stored) by the sink.",
          n(s.frames_accepted));
  out +=
      "# HELP zp_hj212_frames_refused_total HJ 212 frames refused, by reason.\n"
      "# TYPE zp_hj212_frames_refused_total counter\n";
  std::map<std::string, uint64_t, std::less<>> refused(s.refused.begin(), s.refused.end());
  for (std::string_view reason : kRefusalReasons) refused.try_emplace(std::string(reason), 0);
  for (const auto& [reason, count] : refused) {
    out += fmt::format("zp_hj212_frames_refused_total{{reason=\"{}\"}} {}\n", EscapeLabel(reason),
                       count);
  }
  Counter(&out, "zp_hj212_replies_sent_total", "Replies (9011, 9014) sent to data loggers.",
          n(s.replies_sent));
  Counter(&out, "zp_hj212_batches_total", "Batches of frames handed to the sink.", n(s.batches));
  Counter(&out, "zp_hj212_idle_timeouts_total", "HJ 212 connections closed for being idle.",
          n(s.idle_timeouts));
  Counter(&out, "zp_hj212_slow_timeouts_total",
          "HJ 212 connections closed as slow (unfinished frame, unread replies).",
          n(s.slow_timeouts));
  Counter(&out, "zp_env_frames_stored_total", "HJ 212 frames stored by the environment service.",
          n(env.frames_stored));
  Counter(&out, "zp_env_samples_total", "Pollutant values evaluated.", n(env.samples));
  Counter(&out, "zp_env_hours_closed_total", "Source-pollutant hours evaluated and stored.",
          n(env.hours_closed));
  Counter(&out, "zp_env_store_batches_total", "Durable commits of HJ 212 frames.",
          n(env.store_batches));
  Counter(&out, "zp_env_alarms_raised_total", "Alarms raised (exceedance, data loss, fault).",
          n(env.alarms_raised));
  Gauge(&out, "zp_env_alarm_latency_seconds_max",
        "Largest alarm latency since start: from the frame's arrival to the alarm being visible.",
        static_cast<double>(env.max_alarm_latency_us) / 1e6);
  Gauge(&out, "zp_env_alarm_latency_seconds_last", "Latency of the latest alarm raised.",
        static_cast<double>(env.last_alarm_latency_us) / 1e6);
  return out;
}

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
