#pragma once

// The data-logger simulator (数采仪模拟器) behind `zeropark hj212-sim` and the demo: plays a
// fleet of HJ 212-2017 data loggers -- coal/gas boiler stacks and wastewater outfalls -- with
// normal operation, start-ups (high O2, unstable values), an occasional exceedance and an
// occasional outage, against a server over TCP. The fleet is deterministic for (seed, count,
// enterprises), so the demo can register exactly the sources the simulator plays.
// 数采仪模拟器: 锅炉排气筒与污水排口, 含启炉、偶发超标与断线。

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/time.h"
#include "zp/environment/sources.h"

namespace zp::environment {

struct SimLogger {
  Source source;         // password_sha256 set
  std::string password;  // the plain PW the logger sends
};

struct FleetOptions {
  uint64_t seed = 20250101;
  int32_t loggers = 12;
  // Enterprise codes the loggers belong to (round-robin); must not be empty.
  std::vector<std::string> enterprises;
  // About this share of the loggers are wastewater outfalls, the rest boiler stacks.
  double outfall_share = 0.3;
  // Enterprises whose boilers burn natural gas (e.g. the demo's enterprises with a gas-boiler
  // meter); the others' fuel comes from the seed (mostly coal, some gas, a little oil).
  std::vector<std::string> gas_enterprises;
};

// Deterministic fleet: codes "<enterprise>.DA0nn" (stacks, 大气排放口) and "<enterprise>.DW0nn"
// (outfalls, 废水排放口), 24-hex-character MNs, passwords, fuels, boiler classes, pollutants,
// and (for outfalls) permit limits marked as demo values.
std::vector<SimLogger> MakeFleet(const FleetOptions& options);
// {"seed": S, "loggers": N, "enterprises": [...], "gas_enterprises": [...]}: enough to rebuild a
// fleet elsewhere (e.g. `zeropark hj212-sim --fleet` while the server holds the database). From
// JSON, other keys are ignored; InvalidArgument names what is wrong.
std::string FleetOptionsToJson(const FleetOptions& options);
Result<FleetOptions> FleetOptionsFromJson(std::string_view json);
SourceRegistry FleetRegistry(const std::vector<SimLogger>& fleet);

struct SimOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  // Real-time frames (2011) per logger per second of wall time; minute (2051) and hourly (2061)
  // frames follow the data time. 0 = the source's realtime_interval_s in real time.
  double frames_per_logger_per_s = 0;
  // Data time: starts at start_s (0 = now) and advances by the source's realtime interval per
  // real-time frame (accelerated when frames_per_logger_per_s is high).
  int64_t start_s = 0;
  int64_t duration_s = 0;   // wall seconds to run; 0 = until stop
  bool ack = true;          // Flag asks for replies (9014); the simulator waits for them
  bool faults = true;       // start-ups, exceedances, outages
  int32_t connections = 0;  // 0 = one per logger
  // Data time starts this far before now (when start_s is 0). Without a rate, frames whose data
  // time has passed go out as fast as replies come back (at most `window` unanswered frames per
  // connection) until the data time reaches the wall clock, then in real time.
  int64_t backfill_s = 0;
  int32_t window = 8;  // unanswered frames per connection (ack)
  // Stop (once the replies are in) when every logger's data time has reached the wall clock: a
  // backfill only.
  bool stop_when_caught_up = false;
  // The loggers' wall clock (DataTime and QN are local times); the park's zone.
  TimeZone zone = TimeZone::Fixed(8 * 3600);
};

struct SimStats {
  uint64_t frames_sent = 0;
  uint64_t replies = 0;   // 9014 received
  uint64_t refusals = 0;  // 9011 with QnRtn != 1
  uint64_t reconnects = 0;
  uint64_t exceedances_played = 0;
  uint64_t outages_played = 0;
  uint64_t startups_played = 0;
  uint64_t faults_played = 0;  // instrument-fault episodes (flag D)
  uint64_t timeouts = 0;       // frames whose reply did not come within 10 s (HJ 212 default)
  uint64_t connections_open = 0;
  int64_t data_lag_s = 0;  // how far the furthest-behind logger's data time trails the clock
  double seconds = 0;
};

// Runs the fleet until duration_s or `stop`; `progress` (may be empty) is called about once a
// second. Unavailable when the server cannot be reached at all.
Result<SimStats> RunSimulator(const std::vector<SimLogger>& fleet, const SimOptions& options,
                              const std::atomic<bool>& stop,
                              const std::function<void(const SimStats&)>& progress);

// The frames one logger sends for the data times from_s <= t < to_s, without a network: complete
// frames (2011, then 2051 / 2061 at the end of their periods) in sending order, QN taken from the
// data time, Flag asking for a reply. The same data RunSimulator plays; frames of an outage are
// left out. For tests and tools.
std::vector<std::string> LoggerFrames(const SimLogger& logger, int64_t from_s, int64_t to_s,
                                      const TimeZone& zone, bool faults);

}  // namespace zp::environment
