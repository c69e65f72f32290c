#pragma once

// The environment service (环境监测服务): the park's pollution-source registry, the HJ 212 sink
// (authenticates each frame by MN + password, stores accepted frames durably, evaluates them,
// raises alarms) and the queries behind the API and dashboard. Owns the HJ 212 TCP listener when
// asked to listen. Thread-safe.
//
// Sink rules (Handle): per frame, in order:
//  - HJ/T 212-2005 (Flag version 0 or no Flag): refused "version_2005", logged once per MN with
//    a clear line (the platform speaks HJ 212-2017 only); replies nothing.
//  - unknown MN: "unknown_mn", reply 9011 QnRtn=4 when the frame asks for a reply and has a QN.
//  - wrong PW: "bad_password", 9011 QnRtn=3 (same condition). Logged (rate-limited).
//  - CN not one of 2011 2051 2061 2031 2021 2041 2081 (uploads) or 9011/9012/9013/9014 (replies to
//    us; accepted, not stored): "unsupported_cn", 9011 QnRtn=8.
//  - otherwise accepted: the batch's accepted frames are appended to the Store in one commit
//    (EnvFrameRow), then evaluated, then replied: 9014 when Flag asks. When the commit fails
//    nothing is replied (the logger resends) and the frames count as "store_failed".
//  - duplicates: a frame whose (CN, DataTime, PNO) is already stored for its source (a logger
//    resending because our reply was lost, a simulator replaying) is acknowledged but not stored
//    again, counted in EnvStats::duplicates. Older frames (a logger sending what it buffered
//    during an outage, 补发) are stored like any other.
//  - split packets (PNUM/PNO): each packet is its own frame; one without DataTime takes the
//    DataTime of an earlier packet of the same QN from the same MN.
//  - DataTime is the logger's local wall clock, read in the park's time zone; a frame without one
//    takes its received time. Data time more than 1 day ahead of the clock is refused
//    "future_time" (9011 QnRtn=2).
// Tick (once a second on the service's thread): closes hours (stored as EnvHourRow), raises
// data-loss alarms for sources silent longer than DataLossAfter() (only once the source has sent
// anything, or the service has run that long) and clears them when data returns. One silence is
// one occurrence: its alarm's value (seconds without data) is updated every minute while it lasts.
// Exceedance alarms clear on the next valid value within the limit, device faults on the next
// valid value of the pollutant.
// Open recovers from the store: the frame times of the last 2 days (duplicates, data loss)
// and the frames of the open hours, replayed into the evaluators (no alarms raised again).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "zp/base/result.h"
#include "zp/engine/engine.h"
#include "zp/environment/alarms.h"
#include "zp/environment/evaluation.h"
#include "zp/environment/sources.h"
#include "zp/hj212/server.h"

namespace zp::environment {

struct EnvServiceOptions {
  // Clock for tests (UTC seconds); empty = system clock.
  std::function<int64_t()> now;
  bool tick_thread = true;  // tests may turn it off and call Tick()
  EvalOptions eval;
};

// The latest value of one pollutant of one source.
struct LiveValue {
  std::string pollutant;
  std::string name_zh;
  std::string name_en;
  std::string unit;
  int64_t time_s = 0;
  int32_t cn = 0;
  double value = 0;
  double zs = 0;
  bool corrected = false;
  std::string flag;  // the data flag letter ("" when absent)
  bool valid = false;
  double limit = 0;  // 0: none
  std::string limit_basis;
  bool exceeded = false;
};

// A source with its state, for the live view.
struct SourceStatus {
  Source source;  // password_sha256 cleared
  std::string enterprise_name;
  std::string zone_code;
  std::string officer;
  int64_t last_received_ms = 0;  // 0: never
  // "offline" (data loss going on), "fault" (a device fault going on), "exceeded" (an exceedance
  // going on), "no_data" (nothing received since Open, data loss not yet due), else "normal".
  std::string state;
  int32_t active_alarms = 0;
  std::vector<LiveValue> values;  // in the source's pollutant order
};

struct HistoryPoint {
  int64_t time_s = 0;
  int32_t cn = 0;
  double value = 0;
  double zs = 0;
  std::string flag;
};

struct History {
  std::vector<store::EnvHourRow> hours;
  std::vector<HistoryPoint> points;  // minute data (2051), else real-time (2011), ascending
  std::optional<Limit> limit;        // in force at the end of the period
};

struct EnvStats {
  uint64_t frames_stored = 0;
  uint64_t samples = 0;
  uint64_t hours_closed = 0;
  uint64_t alarms_raised = 0;  // alarms opened (not updates of an active one)
  uint64_t store_batches = 0;
  // Latency of the last alarm raised: from the frame's arrival to the alarm being visible.
  int64_t last_alarm_latency_us = 0;
  int64_t max_alarm_latency_us = 0;  // the largest since Open
  uint64_t alarm_latencies = 0;      // frames whose alarms were measured
  uint64_t duplicates = 0;           // frames acknowledged but not stored (already stored)
};

// Refusal reasons of the sink (Disposition::refusal), beside the server's FrameError names.
inline constexpr std::string_view kRefusedUnknownMn = "unknown_mn";
inline constexpr std::string_view kRefusedBadPassword = "bad_password";
inline constexpr std::string_view kRefusedVersion2005 = "version_2005";
// A Flag version other than 2017 (1) or 2005 (0): 9011 QnRtn=6 (Flag error).
inline constexpr std::string_view kRefusedBadFlag = "bad_flag";
inline constexpr std::string_view kRefusedUnsupportedCn = "unsupported_cn";
inline constexpr std::string_view kRefusedFutureTime = "future_time";
inline constexpr std::string_view kRefusedStoreFailed = "store_failed";

class EnvService : public hj212::FrameSink {
 public:
  // Loads the registry (setting env/sources; empty when absent) and the active alarms.
  static Result<std::unique_ptr<EnvService>> Open(engine::Engine& engine,
                                                  EnvServiceOptions options = {});
  ~EnvService() override;  // Stop()

  // Starts the HJ 212 listener (options.port 0 = any). Once only.
  Status Listen(hj212::ServerOptions options);
  int hj212_port() const;  // 0 when not listening
  std::optional<hj212::ServerStats> hj212_stats() const;
  // Stops the listener and the tick thread, closes open hours and persists. Idempotent.
  void Stop();

  // --- registry. PutSources validates (ValidateSources) and stores the setting.
  SourceRegistry Sources() const;
  Status PutSources(const SourceRegistry& registry);

  // --- live view, scoped: empty `enterprises` = all.
  std::vector<SourceStatus> Live(std::span<const std::string> enterprises) const;

  // --- alarms (zones / enterprise scoping is the caller's, through the filter).
  AlarmBook& alarms();

  // --- history of one source and pollutant, from_s <= t < to_s (at most 31 days).
  Result<History> SourceHistory(std::string_view source, std::string_view pollutant, int64_t from_s,
                                int64_t to_s);

  void Tick();  // see above; also run by the tick thread
  EnvStats stats() const;

  // FrameSink.
  void Handle(std::span<const hj212::Upload> batch, std::vector<hj212::Disposition>* out) override;

 private:
  struct Snapshot;     // registry + MN index, immutable, replaced by PutSources
  struct SourceState;  // one source's evaluator, latest values and silence
  struct Mark {        // (DataTime, PNO) of a stored frame of a (source, cn)
    int64_t time_s = 0;
    int32_t pno = 0;
    auto operator<=>(const Mark&) const = default;
  };

  EnvService(engine::Engine& engine, EnvServiceOptions options);
  int64_t Now() const;
  std::shared_ptr<const Snapshot> snapshot() const;
  // Installs a registry: new snapshot, evaluators added, updated or dropped (their hours closed).
  void Install(SourceRegistry registry);
  // Latest frame times, last receipt per source and the open hours' frames, from the store.
  Status Recover();
  Routing RouteFor(const Source& source) const;
  void WriteHours(std::vector<store::EnvHourRow> hours);
  void RaiseDataLoss(const Source& source, int64_t now_s, int64_t silent_s, bool first);
  void TickLoop();
  // The hour row(s) of `source` starting at hour_s, evaluated afresh from the stored frames.
  void RecomputeHour(const Source& source, int64_t hour_s, std::vector<store::EnvHourRow>* out);
  // Whether a frame with this mark of (source, cn) is already stored.
  bool Seen(const std::string& source, int32_t cn, const Mark& mark);
  void Remember(const std::string& source, int32_t cn, const Mark& mark);

  engine::Engine& engine_;
  EnvServiceOptions options_;
  TimeZone zone_;
  int64_t started_s_ = 0;
  std::unique_ptr<AlarmBook> alarms_;

  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::mutex put_mu_;  // serialises PutSources
  // Held by Handle from evaluation to its alarms' Persist and by Tick around its data-loss
  // decisions, so a data-loss alarm cannot be raised after the data that ends it was handled.
  // Taken before mu_.
  std::mutex alarm_mu_;

  mutable std::mutex mu_;  // states_ and pending_hours_
  std::map<std::string, std::unique_ptr<SourceState>, std::less<>> states_;
  std::vector<store::EnvHourRow> pending_hours_;  // hours whose write failed, retried at Tick
  // Hours that got data after closing: (source, hour_s) -> when last touched (server clock, s).
  // Tick recomputes each from the stored frames once no more came for kLateQuietS.
  std::map<std::pair<std::string, int64_t>, int64_t> late_hours_;

  // Touched by Handle only (the server's dispatch thread), and by Open before it.
  // source -> cn -> the marks of the last kSeenWindow stored frames, ascending. A frame older
  // than its window is looked up in the store.
  std::map<std::string, std::map<int32_t, std::deque<Mark>>, std::less<>> seen_;
  std::map<std::string, std::pair<std::string, int64_t>, std::less<>> split_time_;  // QN, time
  std::set<std::string, std::less<>> logged_2005_;                     // MNs already logged
  std::map<std::string_view, std::pair<int64_t, uint64_t>> auth_log_;  // reason -> (s, muted)

  mutable std::mutex stats_mu_;
  EnvStats stats_;

  mutable std::mutex server_mu_;
  std::unique_ptr<hj212::Server> server_;
  bool listening_ = false;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopped_ = false;
  std::thread tick_thread_;
};

}  // namespace zp::environment
