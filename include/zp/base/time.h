#pragma once

// Civil-calendar arithmetic and time zones. Instants are int64 Unix seconds (UTC), named *_s.
// Local "days" and "months" are counted in the park's time zone: day 0 is 1970-01-01 local,
// month 0 is January 1970. A TimeZone is immutable after Load and safe to share between threads.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"

namespace zp {

inline constexpr int64_t kSecondsPerDay = 86400;

struct CivilDate {
  int32_t year = 1970;
  int32_t month = 1;  // 1..12
  int32_t day = 1;    // 1..31
  bool operator==(const CivilDate&) const = default;
};

struct CivilTime {
  int32_t year = 1970;
  int32_t month = 1;
  int32_t day = 1;
  int32_t hour = 0;
  int32_t minute = 0;
  int32_t second = 0;
  bool operator==(const CivilTime&) const = default;
};

// Days since 1970-01-01 of a proleptic Gregorian date (no validation).
int32_t DaysFromCivil(int32_t year, int32_t month, int32_t day);
CivilDate CivilFromDays(int32_t days);
// True when year-month-day is a real calendar date.
bool IsValidDate(int32_t year, int32_t month, int32_t day);
int32_t DaysInMonth(int32_t year, int32_t month);
// 1 = Monday ... 7 = Sunday (ISO 8601).
int32_t IsoWeekday(int32_t days);

// Wall-clock seconds as if the civil time were UTC.
int64_t CivilToSeconds(const CivilTime& t);
CivilTime SecondsToCivil(int64_t s);

// floor division helpers for negative instants.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Month index (months since January 1970) <-> year and month.
inline int32_t MonthIndex(int32_t year, int32_t month) { return (year - 1970) * 12 + (month - 1); }
inline int32_t MonthIndexYear(int32_t month_index) {
  return 1970 + static_cast<int32_t>(FloorDiv(month_index, 12));
}
inline int32_t MonthIndexMonth(int32_t month_index) {
  return static_cast<int32_t>(month_index - FloorDiv(month_index, 12) * 12) + 1;
}

class TimeZone {
 public:
  // UTC.
  TimeZone();
  // A fixed offset east of UTC, e.g. 8 * 3600 for UTC+08:00.
  static TimeZone Fixed(int32_t offset_s);
  // An IANA zone ("Asia/Shanghai") read from /usr/share/zoneinfo (or $ZONEINFO), "UTC", or a
  // fixed offset written "+08:00" / "UTC+8".
  static Result<TimeZone> Load(std::string_view name);

  const std::string& name() const { return name_; }

  // Offset east of UTC in force at the instant.
  int32_t OffsetAt(int64_t utc_s) const;
  int64_t ToLocal(int64_t utc_s) const { return utc_s + OffsetAt(utc_s); }
  // Local wall-clock seconds -> UTC. An ambiguous wall time (clocks turned back) maps to the
  // earlier instant; a skipped one (clocks turned forward) is moved forward by the gap.
  int64_t FromLocal(int64_t local_s) const;

  int32_t LocalDay(int64_t utc_s) const {
    return static_cast<int32_t>(FloorDiv(ToLocal(utc_s), kSecondsPerDay));
  }
  // UTC instant of local midnight starting the local day.
  int64_t DayStart(int32_t local_day) const { return FromLocal(local_day * kSecondsPerDay); }
  // Length of the local day in seconds (86400 except on DST change days).
  int64_t DayLength(int32_t local_day) const {
    return DayStart(local_day + 1) - DayStart(local_day);
  }
  int32_t LocalMonth(int64_t utc_s) const;
  int64_t MonthStart(int32_t month_index) const;
  // Local hour index (hours since 1970-01-01T00 local wall clock) of an instant.
  int64_t LocalHour(int64_t utc_s) const { return FloorDiv(ToLocal(utc_s), 3600); }

 private:
  std::string name_ = "UTC";
  std::vector<int64_t> transitions_;  // UTC instants, ascending
  std::vector<int32_t> offsets_;      // offset in force from transitions_[i]
  int32_t initial_offset_ = 0;        // offset before the first transition
};

// "2024-01-31T16:00:00Z", "2024-01-31T16:00:00+08:00", "2024-01-31 16:00:00" (read in `zone`),
// "2024-01-31" (local midnight in `zone`), or Unix seconds as digits.
Result<int64_t> ParseTimestamp(std::string_view text, const TimeZone& zone);
// ISO 8601 with the zone's offset, e.g. "2024-02-01T00:00:00+08:00".
std::string FormatTimestamp(int64_t utc_s, const TimeZone& zone);
// "2024-02-01" of the local day.
std::string FormatLocalDay(int32_t local_day);

}  // namespace zp
