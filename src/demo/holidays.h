#pragma once

// Chinese public holidays and official make-up working days (调休), for the demo's load shapes.
// 2024 and 2025 follow the State Council notices; other years get the fixed-date holidays
// (New Year, Labour Day May 1-5, National Day Oct 1-7) and, for 2020-2035, a Spring Festival
// week from the lunar calendar, without make-up days. Pure functions, thread-safe.

#include <cstdint>
#include <string_view>

namespace zp::demo::internal {

enum class DayType : uint8_t {
  kWorkday,   // Monday-Friday, or an official make-up working day
  kSaturday,  // ordinary Saturday
  kSunday,    // ordinary Sunday
  kHoliday,   // public holiday (including the weekend days inside a holiday block)
};

struct DayInfo {
  DayType type = DayType::kWorkday;
  bool makeup_workday = false;  // a weekend day that is an official working day
  // A working day within a few days of the Spring Festival holiday: many workers are away.
  bool spring_festival_ramp = false;
  std::string_view holiday;      // "Spring Festival 春节", ... when type == kHoliday
  bool spring_festival = false;  // a day of the Spring Festival holiday
};

// Classifies a local day (days since 1970-01-01).
DayInfo ClassifyDay(int32_t epoch_day);

}  // namespace zp::demo::internal
