#pragma once

// Evaluation of one source's accepted frames (评价): O2-corrected concentrations, hourly averages
// under the standard's validity rules, emission loads in kg, exceedances against the limit in
// force, device faults. Pure and single-threaded: the environment service keeps one Evaluator
// per source and feeds it frames in arrival order.
//
// Rules (docs/environment.md; standards.md §8.1 Appendix C/D, §8.2):
//  - Value of a frame: Rtd for 2011, Avg for 2051 / 2061 / 2031 (Rtd when Avg is absent).
//  - Valid: flag N, S or absent. F, M, C: not valid, no alarm (planned). D, B: not valid and a
//    device-fault event. T (over range): not valid, and an exceedance event when a limit exists.
//  - O2 correction (flue gas, pollutants whose limit applies corrected, reference O2 > 0): the
//    Zs value the logger sent (ZsRtd / ZsAvg) when present; else C x (21 - O2ref) / (21 - O2)
//    with O2 (a19001) of the same frame and kind (Rtd/Avg); when O2 is missing or >= 20.5 % (no
//    meaningful correction), the value as sent, marked not corrected.
//  - Hours: computed from minute data (2051) when the hour has any, else from real-time data
//    (2011). Flue gas: the hour is valid ("N") when its valid values are >= 75 % of the expected
//    count (3600 / interval), else "D". Wastewater: one abnormal value makes the hour abnormal
//    (flag of that value), as Appendix C says. avg / zs_avg = mean of the valid values (of all
//    values when none is valid), min / max over them. A logger's own 2061 hour is kept as the
//    hour (origin "logger") only when there is nothing to compute it from.
//  - Load (kg) of an hour: the sum of the pollutant's -Cou values when sent; else, per value,
//    C (mg/m3, as measured) x Q (a00000, m3/s) x interval s x 1e-6 for flue gas and
//    C (mg/L) x Q (w00000, L/s) x interval s x 1e-6 for wastewater (HJ 212 Appendix D:
//    G = D x C x 1e-3 with D in m3).
//  - Exceedance: a valid value whose (corrected) value is above the limit; the hour row's
//    `exceeded` when its valid zs_avg is above the limit (the compliance figure).
//  - An hour closes when data of a later hour arrives, or at Tick once its end + grace has passed.
// Details the rules leave open (implementation):
//  - "Data of a later hour" is per stream: an hour holding real-time and minute data closes once
//    both have moved past it (a real-time value of 09:00:00 may arrive before the minute value of
//    08:59); an hour holding only a logger's 2061 closes on any later data. Data of an hour that
//    has closed is evaluated (samples, events) but does not reopen it.
//  - Hours are local clock hours: hour_s = t - (local time of t mod 3600), so a zone 30 min off
//    UTC keys hours at UTC half hours.
//  - O2 correction applies to every flue-gas concentration (CorrectedConcentration), whether or
//    not a limit is in force; O2 and flow with a not-valid flag count as missing.
//  - Hour min / max are of the measured values; the load of a pollutant whose amount is not in kg
//    (flow, O2, pH) is 0. 2031 daily data give samples and events, no hours. Other commands and
//    pollutants the source does not list are ignored.

#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/time.h"
#include "zp/environment/sources.h"
#include "zp/hj212/segment.h"
#include "zp/store/store.h"

namespace zp::environment {

// One evaluated value of one frame.
struct Sample {
  std::string pollutant;
  int64_t time_s = 0;  // data time (UTC)
  int32_t cn = 0;
  double value = 0;  // as sent
  double zs = 0;     // corrected (== value when no correction applies)
  bool corrected = false;
  hj212::DataFlag flag = hj212::DataFlag::kAbsent;
  bool valid = false;
  double limit = 0;  // 0: none
  bool exceeded = false;
};

enum class EventKind : uint8_t { kExceedance, kDeviceFault, kRecovered };

// Something the alarm book must hear of. kRecovered: a valid value of a pollutant that had a
// device-fault event (clears that condition).
struct Event {
  EventKind kind = EventKind::kExceedance;
  std::string pollutant;
  int64_t time_s = 0;
  double value = 0;  // the (corrected) value
  double limit = 0;
  std::string unit;
  hj212::DataFlag flag = hj212::DataFlag::kAbsent;
  std::string basis;  // the limit's basis
  int32_t cn = 0;
};

struct EvalOptions {
  int32_t hour_grace_s = 600;  // Tick closes an hour this long after its end
};

class Evaluator {
 public:
  Evaluator(Source source, TimeZone zone, EvalOptions options = {});

  const Source& source() const { return source_; }
  // Replaces the source definition (registry edited); open hours are kept.
  void SetSource(Source source);

  // Feeds one accepted frame whose data time is `data_time_s`. Appends its samples, the hours it
  // closed and its events.
  void Add(const hj212::DataSegment& segment, int64_t data_time_s, std::vector<Sample>* samples,
           std::vector<store::EnvHourRow>* hours, std::vector<Event>* events);
  // Closes every open hour whose end + grace <= now_s.
  void Tick(int64_t now_s, std::vector<store::EnvHourRow>* hours);
  // Hours (UTC starts) that received data after they were closed, since the last call (each
  // once, ascending). Their stored rows miss that data: the service recomputes them from the
  // stored frames (a logger sending what it buffered during an outage, 补发).
  void TakeLateHours(std::vector<int64_t>* out);
  // Closes every open hour (shutdown).
  void CloseAll(std::vector<store::EnvHourRow>* hours);

 private:
  // Per pollutant of the source, indexed by its position in source_.pollutants.
  struct PollutantInfo {
    std::string code;
    std::string unit;          // as in JSON ("mg/m3")
    bool correctable = false;  // CorrectedConcentration()
    bool load_kg = false;      // the pollutant's amount is in kg (a load can be computed)
    bool in_fault = false;     // had a device-fault event and no valid value since
  };
  // The values of one pollutant in one hour from one kind of data (2011 or 2051).
  struct Acc {
    int32_t samples = 0;
    int32_t valid = 0;
    double sum = 0, sum_zs = 0, min = 0, max = 0;                  // valid values
    double all_sum = 0, all_sum_zs = 0, all_min = 0, all_max = 0;  // all values
    double load_kg = 0;
    hj212::DataFlag abnormal = hj212::DataFlag::kAbsent;  // first not-valid flag
  };
  // A logger's own 2061 hour of one pollutant.
  struct LoggerHour {
    bool present = false;
    bool valid = false;
    double avg = 0, zs = 0, min = 0, max = 0, load_kg = 0;
    hj212::DataFlag flag = hj212::DataFlag::kAbsent;
  };
  struct HourSlot {
    int64_t hour_s = 0;
    uint8_t kinds = 0;  // bit 0: real-time data (2011), bit 1: minute data (2051)
    std::vector<Acc> realtime, minute;
    std::vector<LoggerHour> logger;
  };
  struct DayLimits {
    int32_t day = INT32_MIN;
    std::vector<std::optional<Limit>> limits;  // by pollutant position
  };

  void BuildInfo();
  const std::optional<Limit>& LimitFor(size_t pos, int32_t local_day);
  HourSlot* SlotFor(int64_t hour_s);
  void CloseSlot(size_t index, std::vector<store::EnvHourRow>* hours);
  void CloseFinished(std::vector<store::EnvHourRow>* hours);

  Source source_;
  TimeZone zone_;
  EvalOptions options_;
  std::vector<PollutantInfo> info_;
  std::vector<HourSlot> open_;                       // ascending hour_s
  std::vector<HourSlot> spare_;                      // closed slots, reused
  int64_t latest_hour_[2] = {INT64_MIN, INT64_MIN};  // latest hour of 2011 / 2051 data
  int64_t latest_any_hour_ = INT64_MIN;              // of 2011 / 2051 / 2061 data
  int64_t closed_through_ = INT64_MIN;               // hours up to this one are closed
  std::vector<int64_t> late_hours_;                  // see TakeLateHours
  DayLimits limit_cache_[2];
  int next_cache_ = 0;
};

}  // namespace zp::environment
