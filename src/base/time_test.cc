#include "zp/base/time.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace zp {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kHour = 3600;

int64_t Utc(int32_t y, int32_t mo, int32_t d, int32_t h = 0, int32_t mi = 0, int32_t s = 0) {
  return CivilToSeconds(CivilTime{y, mo, d, h, mi, s});
}

// ---- Calendar -------------------------------------------------------------------------------

TEST(CalendarTest, KnownDayNumbers) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1900, 1, 1), -25567);
  EXPECT_EQ(DaysFromCivil(2024, 2, 29), 19782);
  EXPECT_EQ(DaysFromCivil(2200, 12, 31), 84370);
  EXPECT_EQ(DaysFromCivil(1600, 1, 1), -135140);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  EXPECT_EQ(DaysFromCivil(0, 3, 1), -719468);
}

TEST(CalendarTest, NegativeDays) {
  EXPECT_EQ(CivilFromDays(-1), (CivilDate{1969, 12, 31}));
  EXPECT_EQ(CivilFromDays(-365), (CivilDate{1969, 1, 1}));
  EXPECT_EQ(CivilFromDays(-366), (CivilDate{1968, 12, 31}));
  EXPECT_EQ(CivilFromDays(-25567), (CivilDate{1900, 1, 1}));
  EXPECT_EQ(CivilFromDays(-719468), (CivilDate{0, 3, 1}));
  EXPECT_EQ(CivilFromDays(-719469), (CivilDate{0, 2, 29}));  // year 0 is a leap year
  EXPECT_EQ(CivilFromDays(-135140), (CivilDate{1600, 1, 1}));
}

TEST(CalendarTest, RoundTripEveryDay1900To2200) {
  // Walk the calendar date by date and check both directions against a running day counter.
  int32_t days = DaysFromCivil(1900, 1, 1);
  int32_t weekday = 1;  // 1900-01-01 was a Monday
  for (int32_t y = 1900; y <= 2200; ++y) {
    for (int32_t m = 1; m <= 12; ++m) {
      for (int32_t d = 1; d <= DaysInMonth(y, m); ++d) {
        ASSERT_EQ(DaysFromCivil(y, m, d), days) << y << "-" << m << "-" << d;
        ASSERT_EQ(CivilFromDays(days), (CivilDate{y, m, d})) << days;
        ASSERT_EQ(IsoWeekday(days), weekday) << days;
        ++days;
        weekday = weekday % 7 + 1;
      }
    }
  }
  EXPECT_EQ(days, DaysFromCivil(2201, 1, 1));
  EXPECT_EQ(days - DaysFromCivil(1900, 1, 1), 301 * 365 + 73);  // 73 leap years in 1900..2200
}

TEST(CalendarTest, LeapYears) {
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2023, 2), 28);
  EXPECT_EQ(DaysInMonth(1900, 2), 28);  // divisible by 100
  EXPECT_EQ(DaysInMonth(2000, 2), 29);  // divisible by 400
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_EQ(DaysInMonth(-4, 2), 29);
  EXPECT_EQ(DaysInMonth(2024, 4), 30);
  EXPECT_EQ(DaysInMonth(2024, 12), 31);
  EXPECT_EQ(DaysInMonth(2024, 0), 0);
  EXPECT_EQ(DaysInMonth(2024, 13), 0);
}

TEST(CalendarTest, IsValidDate) {
  EXPECT_TRUE(IsValidDate(2024, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 2, 29));
  EXPECT_FALSE(IsValidDate(1900, 2, 29));
  EXPECT_TRUE(IsValidDate(2000, 2, 29));
  EXPECT_FALSE(IsValidDate(2024, 4, 31));
  EXPECT_TRUE(IsValidDate(2024, 12, 31));
  EXPECT_FALSE(IsValidDate(2024, 0, 1));
  EXPECT_FALSE(IsValidDate(2024, 13, 1));
  EXPECT_FALSE(IsValidDate(2024, 1, 0));
  EXPECT_FALSE(IsValidDate(2024, 1, -1));
}

TEST(CalendarTest, IsoWeekdayOfKnownDates) {
  EXPECT_EQ(IsoWeekday(0), 4);                            // 1970-01-01 Thursday
  EXPECT_EQ(IsoWeekday(DaysFromCivil(2000, 1, 1)), 6);    // Saturday
  EXPECT_EQ(IsoWeekday(DaysFromCivil(2024, 1, 1)), 1);    // Monday
  EXPECT_EQ(IsoWeekday(DaysFromCivil(2023, 12, 31)), 7);  // Sunday
  EXPECT_EQ(IsoWeekday(DaysFromCivil(1969, 12, 28)), 7);  // Sunday, negative day number
  EXPECT_EQ(IsoWeekday(DaysFromCivil(1900, 1, 1)), 1);    // Monday
  EXPECT_EQ(IsoWeekday(DaysFromCivil(2200, 1, 1)), 3);    // Wednesday
  EXPECT_EQ(IsoWeekday(DaysFromCivil(1949, 10, 1)), 6);   // Saturday
}

TEST(CalendarTest, CivilSecondsRoundTrip) {
  EXPECT_EQ(Utc(2024, 1, 31, 16), 1706716800);
  EXPECT_EQ(SecondsToCivil(1706716800), (CivilTime{2024, 1, 31, 16, 0, 0}));
  EXPECT_EQ(SecondsToCivil(-1), (CivilTime{1969, 12, 31, 23, 59, 59}));
  EXPECT_EQ(SecondsToCivil(-86400), (CivilTime{1969, 12, 31, 0, 0, 0}));
  EXPECT_EQ(Utc(1969, 12, 31, 23, 59, 59), -1);
  for (int64_t s = -3 * kSecondsPerDay - 7; s < 3 * kSecondsPerDay; s += 3599) {
    ASSERT_EQ(CivilToSeconds(SecondsToCivil(s)), s);
  }
}

TEST(CalendarTest, FloorDivAndMonthIndex) {
  EXPECT_EQ(FloorDiv(7, 2), 3);
  EXPECT_EQ(FloorDiv(-7, 2), -4);
  EXPECT_EQ(FloorDiv(-8, 2), -4);
  EXPECT_EQ(FloorDiv(7, -2), -4);
  EXPECT_EQ(FloorDiv(-1, 86400), -1);
  EXPECT_EQ(MonthIndex(1970, 1), 0);
  EXPECT_EQ(MonthIndex(2024, 2), 649);
  EXPECT_EQ(MonthIndexYear(649), 2024);
  EXPECT_EQ(MonthIndexMonth(649), 2);
  EXPECT_EQ(MonthIndexYear(-1), 1969);
  EXPECT_EQ(MonthIndexMonth(-1), 12);
  EXPECT_EQ(MonthIndexYear(-12), 1969);
  EXPECT_EQ(MonthIndexMonth(-12), 1);
  EXPECT_EQ(MonthIndexYear(-13), 1968);
  EXPECT_EQ(MonthIndexMonth(-13), 12);
  for (int32_t i = -500; i < 500; ++i) {
    ASSERT_EQ(MonthIndex(MonthIndexYear(i), MonthIndexMonth(i)), i);
  }
}

TEST(CalendarTest, FormatLocalDay) {
  EXPECT_EQ(FormatLocalDay(0), "1970-01-01");
  EXPECT_EQ(FormatLocalDay(19782), "2024-02-29");
  EXPECT_EQ(FormatLocalDay(-1), "1969-12-31");
}

// ---- Time zones ------------------------------------------------------------------------------

TEST(TimeZoneTest, DefaultIsUtc) {
  TimeZone utc;
  EXPECT_EQ(utc.name(), "UTC");
  EXPECT_EQ(utc.OffsetAt(0), 0);
  EXPECT_EQ(utc.FromLocal(12345), 12345);
  EXPECT_EQ(utc.LocalDay(-1), -1);
  EXPECT_EQ(utc.DayLength(100), kSecondsPerDay);
}

TEST(TimeZoneTest, FixedOffsets) {
  TimeZone cst = TimeZone::Fixed(8 * 3600);
  EXPECT_EQ(cst.name(), "+08:00");
  EXPECT_EQ(cst.OffsetAt(Utc(2024, 7, 1)), 8 * 3600);
  EXPECT_EQ(cst.FromLocal(Utc(2024, 2, 1)), Utc(2024, 1, 31, 16));
  EXPECT_EQ(cst.LocalDay(Utc(2024, 1, 31, 16)), DaysFromCivil(2024, 2, 1));
  EXPECT_EQ(cst.LocalDay(Utc(2024, 1, 31, 15, 59, 59)), DaysFromCivil(2024, 1, 31));
  EXPECT_EQ(cst.LocalHour(Utc(1970, 1, 1)), 8);

  TimeZone india_like = TimeZone::Fixed(-(5 * 3600 + 30 * 60));
  EXPECT_EQ(india_like.name(), "-05:30");
  EXPECT_EQ(india_like.ToLocal(0), -19800);
  EXPECT_EQ(india_like.LocalDay(0), -1);
  EXPECT_EQ(india_like.DayStart(0), 19800);

  EXPECT_EQ(TimeZone::Fixed(0).name(), "UTC");
}

TEST(TimeZoneTest, LoadFixedOffsetNames) {
  struct Case {
    const char* name;
    int32_t offset_s;
  } cases[] = {{"+08:00", 28800}, {"UTC+8", 28800}, {"-0530", -19800}, {"GMT-3", -10800},
               {"+14", 50400},    {"UTC", 0},       {"Etc/UTC", 0},    {"Z", 0}};
  for (const Case& c : cases) {
    Result<TimeZone> z = TimeZone::Load(c.name);
    ASSERT_TRUE(z.ok()) << c.name << ": " << z.error().ToString();
    EXPECT_EQ(z->OffsetAt(Utc(2024, 6, 1)), c.offset_s) << c.name;
  }
}

TEST(TimeZoneTest, BadNames) {
  EXPECT_EQ(TimeZone::Load("").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TimeZone::Load("../etc/passwd").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TimeZone::Load("Asia/../../etc/passwd").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TimeZone::Load("/etc/localtime").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TimeZone::Load(std::string_view("Asia/Shanghai\0x", 15)).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(TimeZone::Load("Asia/Shanghai ").error().code(), StatusCode::kInvalidArgument);
  Result<TimeZone> mars = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(mars.ok());
  EXPECT_EQ(mars.error().code(), StatusCode::kNotFound);
  EXPECT_THAT(mars.error().message(), HasSubstr("Mars/Olympus_Mons"));
  // A directory of the zoneinfo tree is not a zone.
  EXPECT_EQ(TimeZone::Load("Asia").error().code(), StatusCode::kNotFound);
  // Out-of-range offsets are not offsets; they are looked up as names and not found.
  EXPECT_FALSE(TimeZone::Load("+25:00").ok());
  EXPECT_FALSE(TimeZone::Load("+08:7").ok());
}

TEST(TimeZoneTest, Shanghai) {
  Result<TimeZone> z = TimeZone::Load("Asia/Shanghai");
  ASSERT_TRUE(z.ok()) << z.error().ToString();
  EXPECT_EQ(z->name(), "Asia/Shanghai");
  EXPECT_EQ(z->OffsetAt(Utc(2024, 1, 31)), 8 * 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2024, 7, 31)), 8 * 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2150, 7, 31)), 8 * 3600);
  // China observed daylight saving time 1986-1991: 1988-04-17 02:00 to 1988-09-11 02:00 CDT.
  EXPECT_EQ(z->OffsetAt(Utc(1988, 7, 1)), 9 * 3600);
  EXPECT_EQ(z->OffsetAt(Utc(1988, 4, 16, 17, 59, 59)), 8 * 3600);
  EXPECT_EQ(z->OffsetAt(Utc(1988, 4, 16, 18)), 9 * 3600);
  EXPECT_EQ(z->OffsetAt(Utc(1988, 9, 10, 17)), 8 * 3600);

  const int32_t feb1 = DaysFromCivil(2024, 2, 1);
  EXPECT_EQ(z->LocalDay(Utc(2024, 1, 31, 16)), feb1);
  EXPECT_EQ(z->LocalDay(Utc(2024, 1, 31, 15, 59, 59)), feb1 - 1);
  EXPECT_EQ(z->DayStart(feb1), Utc(2024, 1, 31, 16));
  EXPECT_EQ(z->DayLength(feb1), kSecondsPerDay);
  EXPECT_EQ(z->LocalMonth(Utc(2024, 1, 31, 16)), MonthIndex(2024, 2));
  EXPECT_EQ(z->MonthStart(MonthIndex(2024, 2)), Utc(2024, 1, 31, 16));
  EXPECT_EQ(z->MonthStart(MonthIndex(2024, 3)) - z->MonthStart(MonthIndex(2024, 2)),
            29 * kSecondsPerDay);
  EXPECT_EQ(z->LocalHour(Utc(2024, 1, 31, 16)), int64_t{feb1} * 24);
  // 1988 DST days are 23 and 25 hours long.
  EXPECT_EQ(z->DayLength(DaysFromCivil(1988, 4, 17)), 23 * kHour);
  EXPECT_EQ(z->DayLength(DaysFromCivil(1988, 9, 11)), 25 * kHour);
}

TEST(TimeZoneTest, LondonDst2019) {
  Result<TimeZone> z = TimeZone::Load("Europe/London");
  ASSERT_TRUE(z.ok()) << z.error().ToString();
  // Clocks went forward 2019-03-31 01:00 GMT -> 02:00 BST, back 2019-10-27 02:00 BST -> 01:00 GMT.
  EXPECT_EQ(z->OffsetAt(Utc(2019, 3, 31, 0, 59, 59)), 0);
  EXPECT_EQ(z->OffsetAt(Utc(2019, 3, 31, 1)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2019, 10, 27, 0, 59, 59)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2019, 10, 27, 1)), 0);

  const int32_t spring = DaysFromCivil(2019, 3, 31);
  const int32_t autumn = DaysFromCivil(2019, 10, 27);
  EXPECT_EQ(z->DayLength(spring - 1), 24 * kHour);
  EXPECT_EQ(z->DayLength(spring), 23 * kHour);
  EXPECT_EQ(z->DayLength(autumn), 25 * kHour);
  EXPECT_EQ(z->DayLength(autumn + 1), 24 * kHour);
  EXPECT_EQ(z->DayStart(spring), Utc(2019, 3, 31));
  EXPECT_EQ(z->DayStart(spring + 1), Utc(2019, 3, 31, 23));
  EXPECT_EQ(z->DayStart(autumn), Utc(2019, 10, 26, 23));
  EXPECT_EQ(z->DayStart(autumn + 1), Utc(2019, 10, 28));

  // Skipped wall time (01:00-02:00 on 31 March does not exist): moved forward by the gap.
  EXPECT_EQ(z->FromLocal(Utc(2019, 3, 31, 1, 30)), Utc(2019, 3, 31, 1, 30));
  EXPECT_EQ(z->FromLocal(Utc(2019, 3, 31, 1, 0)), Utc(2019, 3, 31, 1, 0));
  EXPECT_EQ(z->FromLocal(Utc(2019, 3, 31, 0, 59, 59)), Utc(2019, 3, 31, 0, 59, 59));
  EXPECT_EQ(z->FromLocal(Utc(2019, 3, 31, 2, 0)), Utc(2019, 3, 31, 1, 0));
  // Ambiguous wall time (01:00-02:00 on 27 October happens twice): the earlier instant.
  EXPECT_EQ(z->FromLocal(Utc(2019, 10, 27, 1, 30)), Utc(2019, 10, 27, 0, 30));
  EXPECT_EQ(z->FromLocal(Utc(2019, 10, 27, 0, 59)), Utc(2019, 10, 26, 23, 59));
  EXPECT_EQ(z->FromLocal(Utc(2019, 10, 27, 2, 0)), Utc(2019, 10, 27, 2, 0));

  // Every instant of 2019 maps to its local wall time and back (except the repeated hour).
  for (int64_t t = Utc(2019, 1, 1); t < Utc(2020, 1, 1); t += 1800) {
    const bool repeated = t >= Utc(2019, 10, 27, 1) && t < Utc(2019, 10, 27, 2);
    if (!repeated) {
      ASSERT_EQ(z->FromLocal(z->ToLocal(t)), t) << t;
    }
  }
}

TEST(TimeZoneTest, LondonRuleBeyondLastListedTransition) {
  // Zoneinfo files list transitions up to 2037 at most; later ones come from the footer rule
  // "GMT0BST,M3.5.0/1,M10.5.0". Regression: the last listed offset stayed in force for ever.
  Result<TimeZone> z = TimeZone::Load("Europe/London");
  ASSERT_TRUE(z.ok()) << z.error().ToString();
  EXPECT_EQ(z->OffsetAt(Utc(2040, 7, 1)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2040, 12, 1)), 0);
  EXPECT_EQ(z->OffsetAt(Utc(2040, 3, 25, 0, 59, 59)), 0);
  EXPECT_EQ(z->OffsetAt(Utc(2040, 3, 25, 1)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2040, 10, 28, 0, 59, 59)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2040, 10, 28, 1)), 0);
  EXPECT_EQ(z->DayLength(DaysFromCivil(2040, 3, 25)), 23 * kHour);
  EXPECT_EQ(z->DayLength(DaysFromCivil(2040, 10, 28)), 25 * kHour);
  EXPECT_EQ(z->OffsetAt(Utc(2199, 7, 1)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2199, 1, 1)), 0);
}

TEST(TimeZoneTest, DublinNegativeDstRuleMatchesLondon) {
  // Europe/Dublin's rule "IST-1GMT0,M10.5.0,M3.5.0/1" has winter as its daylight-saving period;
  // its clocks still change with London's.
  Result<TimeZone> dublin = TimeZone::Load("Europe/Dublin");
  Result<TimeZone> london = TimeZone::Load("Europe/London");
  ASSERT_TRUE(dublin.ok() && london.ok());
  for (int64_t t = Utc(2000, 1, 1); t < Utc(2060, 1, 1); t += kHour) {
    ASSERT_EQ(dublin->OffsetAt(t), london->OffsetAt(t)) << FormatTimestamp(t, TimeZone());
  }
  EXPECT_EQ(dublin->OffsetAt(Utc(2040, 3, 25, 1)), 3600);
  EXPECT_EQ(dublin->OffsetAt(Utc(2040, 10, 28, 1)), 0);
}

// Writes a version 2 zoneinfo file with the given transitions (UTC instant, type index), types
// (UT offsets) and footer, as zic would.
std::string MakeTzif(const std::vector<std::pair<int64_t, uint8_t>>& transitions,
                     const std::vector<int32_t>& type_offsets, const std::string& footer) {
  auto be = [](std::string* out, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto block = [&](std::string* out, int tsize, bool with_transitions) {
    const uint32_t timecnt = with_transitions ? static_cast<uint32_t>(transitions.size()) : 0;
    const uint32_t typecnt = with_transitions ? static_cast<uint32_t>(type_offsets.size()) : 1;
    out->append("TZif2");
    out->append(15, '\0');
    for (uint32_t c : {0u, 0u, 0u, timecnt, typecnt, 4u}) be(out, c, 4);
    for (uint32_t i = 0; i < timecnt; ++i) be(out, transitions[i].first, tsize);
    for (uint32_t i = 0; i < timecnt; ++i) out->push_back(static_cast<char>(transitions[i].second));
    for (uint32_t i = 0; i < typecnt; ++i) {
      be(out, static_cast<uint32_t>(type_offsets[i]), 4);
      out->push_back(0);  // isdst
      out->push_back(0);  // designation index
    }
    out->append("XYZ", 4);
  };
  std::string out;
  block(&out, 4, false);
  block(&out, 8, true);
  out += "\n" + footer + "\n";
  return out;
}

class SyntheticZoneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("zp_tz_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "Test");
    ASSERT_EQ(::setenv("ZONEINFO", dir_.c_str(), 1), 0);
  }
  void TearDown() override {
    ::unsetenv("ZONEINFO");
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::filesystem::path dir_;
};

TEST_F(SyntheticZoneTest, SlimFileUsesFooterRule) {
  // A "slim" file lists no transitions and relies on the footer entirely.
  Write("Test/Slim", MakeTzif({}, {0}, "GMT0BST,M3.5.0/1,M10.5.0"));
  Result<TimeZone> z = TimeZone::Load("Test/Slim");
  ASSERT_TRUE(z.ok()) << z.error().ToString();
  EXPECT_EQ(z->DayLength(DaysFromCivil(2019, 3, 31)), 23 * kHour);
  EXPECT_EQ(z->DayLength(DaysFromCivil(2019, 10, 27)), 25 * kHour);
  EXPECT_EQ(z->OffsetAt(Utc(2019, 3, 31, 1)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2019, 10, 27, 1)), 0);
  EXPECT_EQ(z->FromLocal(Utc(2019, 10, 27, 1, 30)), Utc(2019, 10, 27, 0, 30));
  // Agrees with the system's full zoneinfo file for every hour of 2024.
  ::unsetenv("ZONEINFO");
  Result<TimeZone> london = TimeZone::Load("Europe/London");
  ASSERT_TRUE(london.ok()) << london.error().ToString();
  for (int64_t t = Utc(2024, 1, 1); t < Utc(2025, 1, 1); t += kHour) {
    ASSERT_EQ(z->OffsetAt(t), london->OffsetAt(t)) << t;
  }
}

TEST_F(SyntheticZoneTest, SouthernHemisphereRule) {
  // Sydney: DST from the first Sunday of October 02:00 to the first Sunday of April 03:00.
  Write("Test/South", MakeTzif({}, {36000}, "AEST-10AEDT,M10.1.0,M4.1.0/3"));
  Result<TimeZone> z = TimeZone::Load("Test/South");
  ASSERT_TRUE(z.ok()) << z.error().ToString();
  EXPECT_EQ(z->OffsetAt(Utc(2024, 1, 15)), 39600);
  EXPECT_EQ(z->OffsetAt(Utc(2024, 7, 1)), 36000);
  EXPECT_EQ(z->OffsetAt(Utc(2024, 4, 6, 15, 59, 59)), 39600);
  EXPECT_EQ(z->OffsetAt(Utc(2024, 4, 6, 16)), 36000);
  EXPECT_EQ(z->OffsetAt(Utc(2024, 10, 5, 15, 59, 59)), 36000);
  EXPECT_EQ(z->OffsetAt(Utc(2024, 10, 5, 16)), 39600);
  EXPECT_EQ(z->DayLength(DaysFromCivil(2024, 4, 7)), 25 * kHour);
  EXPECT_EQ(z->DayLength(DaysFromCivil(2024, 10, 6)), 23 * kHour);
  // The system's Australia/Sydney (listed transitions to 2037, then its footer) agrees hourly
  // across the hand-over from listed transitions to the rule.
  ::unsetenv("ZONEINFO");
  Result<TimeZone> sydney = TimeZone::Load("Australia/Sydney");
  ASSERT_TRUE(sydney.ok()) << sydney.error().ToString();
  for (int64_t t = Utc(2030, 1, 1); t < Utc(2045, 1, 1); t += kHour) {
    ASSERT_EQ(z->OffsetAt(t), sydney->OffsetAt(t)) << FormatTimestamp(t, TimeZone());
  }
}

TEST_F(SyntheticZoneTest, JulianAndZeroBasedDayRules) {
  // J60 is 1 March in every year; zero-based day 59 is 29 February in leap years.
  Write("Test/Julian", MakeTzif({}, {0}, "AAA0BBB,J60/0,J300/0"));
  Write("Test/ZeroBased", MakeTzif({}, {0}, "<-00>0<+01>-1,59/0,299/0"));
  Result<TimeZone> j = TimeZone::Load("Test/Julian");
  Result<TimeZone> d = TimeZone::Load("Test/ZeroBased");
  ASSERT_TRUE(j.ok() && d.ok());
  for (int32_t year : {2023, 2024}) {
    EXPECT_EQ(j->OffsetAt(Utc(year, 2, 28, 23, 59, 59)), 0) << year;
    EXPECT_EQ(j->OffsetAt(Utc(year, 3, 1)), 3600) << year;
  }
  EXPECT_EQ(d->OffsetAt(Utc(2024, 2, 28, 23, 59, 59)), 0);
  EXPECT_EQ(d->OffsetAt(Utc(2024, 2, 29)), 3600);
  EXPECT_EQ(d->OffsetAt(Utc(2023, 2, 28, 23)), 0);
  EXPECT_EQ(d->OffsetAt(Utc(2023, 3, 1)), 3600);
}

TEST_F(SyntheticZoneTest, ListedTransitionsThenRule) {
  // Fixed +08:00 until 2000, then a rule zone; the rule applies only after the listed data.
  const int64_t t2000 = Utc(2000, 1, 1);
  Write("Test/Mixed", MakeTzif({{t2000, 1}}, {28800, 0}, "GMT0BST,M3.5.0/1,M10.5.0"));
  Result<TimeZone> z = TimeZone::Load("Test/Mixed");
  ASSERT_TRUE(z.ok()) << z.error().ToString();
  EXPECT_EQ(z->OffsetAt(Utc(1999, 7, 1)), 28800);
  EXPECT_EQ(z->OffsetAt(t2000), 0);
  EXPECT_EQ(z->OffsetAt(Utc(2000, 7, 1)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2000, 11, 1)), 0);
}

TEST_F(SyntheticZoneTest, NoDstFooter) {
  Write("Test/Plain", MakeTzif({}, {28800}, "CST-8"));
  Result<TimeZone> z = TimeZone::Load("Test/Plain");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->OffsetAt(Utc(2100, 7, 1)), 28800);
  EXPECT_EQ(z->DayLength(DaysFromCivil(2100, 3, 28)), kSecondsPerDay);
}

TEST_F(SyntheticZoneTest, MalformedFiles) {
  Write("Test/Text", "this is not a zoneinfo file\n");
  Write("Test/Truncated", MakeTzif({{0, 0}}, {3600}, "").substr(0, 60));
  std::string bad_index = MakeTzif({{0, 5}}, {3600}, "");
  Write("Test/BadIndex", bad_index);
  EXPECT_EQ(TimeZone::Load("Test/Text").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(TimeZone::Load("Test/Truncated").error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(TimeZone::Load("Test/BadIndex").error().code(), StatusCode::kDataLoss);
  // An unreadable footer leaves the last listed offset in force.
  Write("Test/BadFooter", MakeTzif({{0, 0}}, {3600}, "GMT0BST,M13.5.0"));
  Result<TimeZone> z = TimeZone::Load("Test/BadFooter");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->OffsetAt(Utc(2030, 7, 1)), 3600);
  EXPECT_EQ(z->OffsetAt(Utc(2030, 1, 1)), 3600);
}

// ---- Parsing and formatting -----------------------------------------------------------------

TEST(ParseTimestampTest, Forms) {
  const TimeZone cst = TimeZone::Fixed(8 * 3600);
  const int64_t want = Utc(2024, 1, 31, 16);
  EXPECT_EQ(ParseTimestamp("2024-01-31T16:00:00Z", cst).value(), want);
  EXPECT_EQ(ParseTimestamp("2024-02-01T00:00:00+08:00", cst).value(), want);
  EXPECT_EQ(ParseTimestamp("2024-02-01T00:00:00+0800", cst).value(), want);
  EXPECT_EQ(ParseTimestamp("2024-01-31T11:00:00-05:00", cst).value(), want);
  EXPECT_EQ(ParseTimestamp("2024-02-01 00:00:00", cst).value(), want);
  EXPECT_EQ(ParseTimestamp("2024-02-01T00:00", cst).value(), want);
  EXPECT_EQ(ParseTimestamp("2024-02-01", cst).value(), want);
  EXPECT_EQ(ParseTimestamp("2024-01-31T16:00:00.750Z", cst).value(), want);
  EXPECT_EQ(ParseTimestamp("1706716800", cst).value(), want);
  EXPECT_EQ(ParseTimestamp("-86400", cst).value(), -86400);
  EXPECT_EQ(ParseTimestamp("0", cst).value(), 0);
  EXPECT_EQ(ParseTimestamp("2024-02-29 12:34:56", TimeZone()).value(),
            Utc(2024, 2, 29, 12, 34, 56));
}

TEST(ParseTimestampTest, LocalFormsFollowTheZone) {
  Result<TimeZone> london = TimeZone::Load("Europe/London");
  ASSERT_TRUE(london.ok());
  EXPECT_EQ(ParseTimestamp("2019-07-01 12:00:00", *london).value(), Utc(2019, 7, 1, 11));
  EXPECT_EQ(ParseTimestamp("2019-01-01 12:00:00", *london).value(), Utc(2019, 1, 1, 12));
  EXPECT_EQ(ParseTimestamp("2019-10-27 01:30:00", *london).value(), Utc(2019, 10, 27, 0, 30));
  EXPECT_EQ(ParseTimestamp("2019-07-01T12:00:00Z", *london).value(), Utc(2019, 7, 1, 12));
}

TEST(ParseTimestampTest, Errors) {
  const TimeZone utc;
  for (const char* text : {"",
                           "-",
                           "abc",
                           "2024-02-30",
                           "2023-02-29",
                           "2024-13-01",
                           "2024-1-31",
                           "2024-01-31X",
                           "2024-01-31T",
                           "2024-01-31T25:00",
                           "2024-01-31T12:60",
                           "2024-01-31T12:00:61",
                           "2024-01-31T16:00:00+8:0",
                           "2024-01-31T16:00:00+08:00:00",
                           "2024-01-31T16:00:00 Z",
                           "2024-01-31T16:00:00+15:00",
                           "1234567890123",
                           "12-34",
                           "--1",
                           "2024/01/31"}) {
    Result<int64_t> r = ParseTimestamp(text, utc);
    ASSERT_FALSE(r.ok()) << "'" << text << "' parsed as " << r.value();
    EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.error().message(), HasSubstr("bad timestamp"));
  }
  EXPECT_THAT(ParseTimestamp("2024-02-30", utc).error().message(), HasSubstr("no such date"));
  EXPECT_THAT(ParseTimestamp("2024-01-31T16:00:00+9x", utc).error().message(),
              HasSubstr("bad UTC offset"));
}

TEST(FormatTimestampTest, Zones) {
  const int64_t t = Utc(2024, 1, 31, 16);
  EXPECT_EQ(FormatTimestamp(t, TimeZone()), "2024-01-31T16:00:00Z");
  EXPECT_EQ(FormatTimestamp(t, TimeZone::Fixed(8 * 3600)), "2024-02-01T00:00:00+08:00");
  EXPECT_EQ(FormatTimestamp(t, TimeZone::Fixed(-(5 * 3600 + 1800))), "2024-01-31T10:30:00-05:30");
  EXPECT_EQ(FormatTimestamp(-1, TimeZone()), "1969-12-31T23:59:59Z");
  Result<TimeZone> shanghai = TimeZone::Load("Asia/Shanghai");
  ASSERT_TRUE(shanghai.ok());
  EXPECT_EQ(FormatTimestamp(t, *shanghai), "2024-02-01T00:00:00+08:00");
  Result<TimeZone> london = TimeZone::Load("Europe/London");
  ASSERT_TRUE(london.ok());
  EXPECT_EQ(FormatTimestamp(Utc(2019, 7, 1, 11), *london), "2019-07-01T12:00:00+01:00");
  EXPECT_EQ(FormatTimestamp(Utc(2019, 1, 1, 12), *london), "2019-01-01T12:00:00+00:00");
  // Formatting then parsing gives the instant back.
  for (int64_t s = Utc(2019, 10, 26); s < Utc(2019, 10, 28); s += 900) {
    ASSERT_EQ(ParseTimestamp(FormatTimestamp(s, *london), *london).value(), s);
  }
}

}  // namespace
}  // namespace zp
