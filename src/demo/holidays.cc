#include "holidays.h"

#include "zp/base/time.h"

namespace zp::demo::internal {
namespace {

constexpr std::string_view kNewYear = "New Year 元旦";
constexpr std::string_view kSpring = "Spring Festival 春节";
constexpr std::string_view kQingming = "Qingming 清明节";
constexpr std::string_view kLabour = "Labour Day 劳动节";
constexpr std::string_view kDragonBoat = "Dragon Boat 端午节";
constexpr std::string_view kMidAutumn = "Mid-Autumn 中秋节";
constexpr std::string_view kNational = "National Day 国庆节";

struct HolidayRange {
  int32_t year, month_from, day_from, month_to, day_to;
  std::string_view name;
};

// State Council notices (国务院办公厅关于2024年/2025年部分节假日安排的通知).
constexpr HolidayRange kOfficialHolidays[] = {
    {2024, 1, 1, 1, 1, kNewYear},     {2024, 2, 10, 2, 17, kSpring},
    {2024, 4, 4, 4, 6, kQingming},    {2024, 5, 1, 5, 5, kLabour},
    {2024, 6, 8, 6, 10, kDragonBoat}, {2024, 9, 15, 9, 17, kMidAutumn},
    {2024, 10, 1, 10, 7, kNational},  {2025, 1, 1, 1, 1, kNewYear},
    {2025, 1, 28, 2, 4, kSpring},     {2025, 4, 4, 4, 6, kQingming},
    {2025, 5, 1, 5, 5, kLabour},      {2025, 5, 31, 6, 2, kDragonBoat},
    {2025, 10, 1, 10, 8, kNational},
};

struct MakeupDay {
  int32_t year, month, day;
};
constexpr MakeupDay kMakeupDays[] = {
    {2024, 2, 4},  {2024, 2, 18}, {2024, 4, 7},   {2024, 4, 28}, {2024, 5, 11},
    {2024, 9, 14}, {2024, 9, 29}, {2024, 10, 12}, {2025, 1, 26}, {2025, 2, 8},
    {2025, 4, 27}, {2025, 9, 28}, {2025, 10, 11},
};

// Lunar New Year's Day (正月初一) for years without an official table.
struct LunarNewYear {
  int32_t year, month, day;
};
constexpr LunarNewYear kLunarNewYear[] = {
    {2020, 1, 25}, {2021, 2, 12}, {2022, 2, 1},  {2023, 1, 22}, {2024, 2, 10}, {2025, 1, 29},
    {2026, 2, 17}, {2027, 2, 6},  {2028, 1, 26}, {2029, 2, 13}, {2030, 2, 3},  {2031, 1, 23},
    {2032, 2, 11}, {2033, 1, 31}, {2034, 2, 19}, {2035, 2, 8},
};

bool HasOfficialTable(int32_t year) { return year == 2024 || year == 2025; }

// Spring Festival holiday block [from, to] of the year (local days), if known.
bool SpringFestivalBlock(int32_t year, int32_t* from, int32_t* to) {
  if (HasOfficialTable(year)) {
    for (const HolidayRange& h : kOfficialHolidays) {
      if (h.year == year && h.name == kSpring) {
        *from = DaysFromCivil(year, h.month_from, h.day_from);
        *to = DaysFromCivil(year, h.month_to, h.day_to);
        return true;
      }
    }
  }
  for (const LunarNewYear& l : kLunarNewYear) {
    if (l.year == year) {
      const int32_t first = DaysFromCivil(l.year, l.month, l.day);
      *from = first - 1;  // New Year's Eve
      *to = first + 6;
      return true;
    }
  }
  return false;
}

std::string_view HolidayName(int32_t epoch_day, const CivilDate& d) {
  if (HasOfficialTable(d.year)) {
    for (const HolidayRange& h : kOfficialHolidays) {
      if (h.year != d.year) continue;
      if (epoch_day >= DaysFromCivil(h.year, h.month_from, h.day_from) &&
          epoch_day <= DaysFromCivil(h.year, h.month_to, h.day_to)) {
        return h.name;
      }
    }
    return {};
  }
  if (d.month == 1 && d.day == 1) return kNewYear;
  if (d.month == 5 && d.day <= 5) return kLabour;
  if (d.month == 10 && d.day <= 7) return kNational;
  int32_t from = 0, to = 0;
  if (SpringFestivalBlock(d.year, &from, &to) && epoch_day >= from && epoch_day <= to) {
    return kSpring;
  }
  return {};
}

}  // namespace

DayInfo ClassifyDay(int32_t epoch_day) {
  const CivilDate d = CivilFromDays(epoch_day);
  DayInfo info;
  info.holiday = HolidayName(epoch_day, d);
  if (!info.holiday.empty()) {
    info.type = DayType::kHoliday;
    info.spring_festival = info.holiday == kSpring;
    return info;
  }
  const int32_t weekday = IsoWeekday(epoch_day);
  if (weekday >= 6) {
    for (const MakeupDay& m : kMakeupDays) {
      if (m.year == d.year && m.month == d.month && m.day == d.day) info.makeup_workday = true;
    }
    if (!info.makeup_workday) info.type = weekday == 6 ? DayType::kSaturday : DayType::kSunday;
  }
  // The Spring Festival of this year or the next (late-December days precede a January one).
  for (int32_t year : {d.year, d.year + 1}) {
    int32_t from = 0, to = 0;
    if (SpringFestivalBlock(year, &from, &to) &&
        ((epoch_day >= from - 5 && epoch_day < from) || (epoch_day > to && epoch_day <= to + 7))) {
      info.spring_festival_ramp = true;
    }
  }
  return info;
}

}  // namespace zp::demo::internal
