#pragma once

// Alarms (报警): exceedance (超标), data loss (数据缺失) and device fault (设备故障), each routed
// to the grid-cell officer of the enterprise's zone, with the lifecycle
//   open -> acknowledged -> closed (with a note)       (open -> closed is allowed too).
// One active alarm per (kind, source, pollutant): further occurrences update it (last_s,
// occurrences, worst value); when the condition ends `cleared_s` is set but the alarm stays until
// a person closes it; an occurrence after it was closed opens a new alarm. Kept in the Store
// (AlarmRow); the active ones are cached. Thread-safe. Every change bumps a version that
// WaitForChanges (live push) watches.
// 报警: 超标 / 数据缺失 / 设备故障, 按企业所在网格推送给网格员; 打开 -> 已确认 -> 关闭(附说明)。

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "zp/base/result.h"
#include "zp/store/store.h"

namespace zp::environment {

inline constexpr std::string_view kAlarmExceedance = "exceedance";
inline constexpr std::string_view kAlarmDataLoss = "data_loss";
inline constexpr std::string_view kAlarmDeviceFault = "device_fault";
inline constexpr std::string_view kAlarmOpen = "open";
inline constexpr std::string_view kAlarmAcknowledged = "acknowledged";
inline constexpr std::string_view kAlarmClosed = "closed";

// What raised (or updates) an alarm.
struct Condition {
  std::string kind;  // kAlarm*
  std::string source;
  std::string pollutant;  // "" for data loss
  int64_t time_s = 0;
  double value = 0;
  double limit = 0;
  std::string unit;
  std::string detail;  // bilingual
};

// Where the alarm goes: the source's enterprise, its zone and that zone's officer.
struct Routing {
  std::string enterprise_code;
  std::string zone_code;
  std::string officer;
};

class AlarmBook {
 public:
  // Loads the active (open / acknowledged) alarms from the store.
  static Result<std::unique_ptr<AlarmBook>> Open(store::Store& store);

  // Raises a new alarm or updates the active one of (kind, source, pollutant) in memory; the
  // change reaches the store at the next Persist(). Returns the alarm's id (new alarms are
  // inserted at once so they have one).
  // An update counts one occurrence, sets last_s (never backwards), clears cleared_s, and keeps
  // the worst (largest) value with its limit and detail.
  // *created (when given) tells whether a new alarm was opened.
  Result<int64_t> Raise(const Condition& condition, const Routing& routing,
                        bool* created = nullptr);
  // Updates the active alarm of the condition's (kind, source, pollutant) without counting an
  // occurrence (value, limit, detail, last_s), e.g. the length of a data loss that goes on.
  // False when none is active.
  bool Update(const Condition& condition);
  // The condition of the active alarm (if any) ended at time_s. Ignored when time_s is before the
  // alarm's latest occurrence (a late frame) or the alarm is already cleared.
  Status Clear(std::string_view kind, std::string_view source, std::string_view pollutant,
               int64_t time_s);
  // Writes every alarm changed in memory since the last Persist (one Update each).
  Status Persist();

  // Lifecycle by a person. Acknowledge: open -> acknowledged (FailedPrecondition otherwise).
  // Close: open or acknowledged -> closed; `note` is required (1..2000 characters).
  // NotFound for an unknown id. Both return the alarm as stored.
  Result<store::AlarmRow> Acknowledge(int64_t id, std::string_view user, int64_t now_s);
  Result<store::AlarmRow> Close(int64_t id, std::string_view user, std::string_view note,
                                int64_t now_s);

  Result<std::vector<store::AlarmRow>> List(const store::AlarmFilter& filter);
  Result<std::optional<store::AlarmRow>> Get(int64_t id);
  // Active alarms, in memory (fast; for the live view), newest first.
  std::vector<store::AlarmRow> Active() const;
  // The active alarm of (kind, source, pollutant), if any.
  std::optional<store::AlarmRow> FindActive(std::string_view kind, std::string_view source,
                                            std::string_view pollutant) const;

  // Live push: the version after the latest change. WaitForChanges blocks until the version
  // exceeds `after` or the timeout passes; returns the current version and appends the alarms
  // changed after `after` (each once, latest state; at most the last 1000 changes are kept: a
  // caller further behind gets *gap = true and should reload the list).
  uint64_t version() const;
  uint64_t WaitForChanges(uint64_t after, std::chrono::milliseconds timeout,
                          std::vector<store::AlarmRow>* changed, bool* gap);

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // kind, source, pollutant

  explicit AlarmBook(store::Store& store);
  // Bumps the version, keeps `row` in the ring of changes and wakes the waiters. mu_ held.
  void NoteChange(const store::AlarmRow& row);
  // A copy of active alarm `id` (write_mu_ held): NotFound when there is no such alarm,
  // FailedPrecondition ("alarm <id> is " + why_en with {} = its state) when it is closed.
  Result<store::AlarmRow> ActiveCopy(int64_t id, std::string_view why_en, std::string_view why_zh);

  store::Store& store_;
  // Serialises the store writes of alarms so they reach it in the order their rows were copied.
  // Taken before mu_, never while holding it.
  std::mutex write_mu_;
  mutable std::mutex mu_;  // everything below
  std::condition_variable changed_;
  std::map<Key, store::AlarmRow, std::less<>> active_;
  std::map<int64_t, Key> active_ids_;
  std::set<int64_t> dirty_;  // ids of active alarms changed since the last Persist
  uint64_t version_ = 0;
  std::deque<std::pair<uint64_t, store::AlarmRow>> changes_;  // (version, row), the last 1000
};

}  // namespace zp::environment
