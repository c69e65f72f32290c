#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "zp/ingest/parsers.h"

namespace zp::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Parsed {
  std::vector<ParsedReading> readings;
  std::vector<RowError> errors;
};

Parsed Parse(std::string_view body, Precision precision = Precision::kSeconds,
             std::string meter_tag = "meter", int64_t default_ts_s = 0) {
  LineProtocolOptions o;
  o.precision = precision;
  o.meter_tag = std::move(meter_tag);
  o.default_ts_s = default_ts_s;
  Parsed p;
  ParseLineProtocol(body, o, &p.readings, &p.errors);
  return p;
}

ParsedReading R(std::string meter, std::string unit, int64_t ts_s, double value, int32_t line) {
  return ParsedReading{std::move(meter), std::move(unit), ts_s, value, line};
}

TEST(LineProtocolTest, ParsesTheCommonLine) {
  Parsed p = Parse("energy,meter=m00042 kwh=12.345 1704038400\n");
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings, ElementsAre(R("m00042", "kwh", 1704038400, 12.345, 1)));
}

TEST(LineProtocolTest, EachFieldIsAReadingAndValueMeansOwnUnit) {
  Parsed p = Parse("gas,site=a,meter=G-1 m3=5,value=7.5,gj=-1e3 1704038400");
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings,
              ElementsAre(R("G-1", "m3", 1704038400, 5, 1), R("G-1", "", 1704038400, 7.5, 1),
                          R("G-1", "gj", 1704038400, -1000, 1)));
}

TEST(LineProtocolTest, IntegerAndUnsignedFields) {
  Parsed p = Parse("e,meter=a kwh=12i,value=7u,m3=-3i 10");
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings,
              ElementsAre(R("a", "kwh", 10, 12, 1), R("a", "", 10, 7, 1), R("a", "m3", 10, -3, 1)));
}

TEST(LineProtocolTest, PrecisionConvertsWithFloor) {
  EXPECT_EQ(
      Parse("e,meter=a kwh=1 1704038400123456789", Precision::kNanoseconds).readings.at(0).ts_s,
      1704038400);
  EXPECT_EQ(Parse("e,meter=a kwh=1 1704038400999999", Precision::kMicroseconds).readings.at(0).ts_s,
            1704038400);
  EXPECT_EQ(Parse("e,meter=a kwh=1 1704038400999", Precision::kMilliseconds).readings.at(0).ts_s,
            1704038400);
  // -1 ms floors to -1 s (before 1970): refused. Truncation would have given 0.
  Parsed p = Parse("e,meter=a kwh=1 -1", Precision::kMilliseconds);
  EXPECT_THAT(p.readings, IsEmpty());
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_THAT(p.errors[0].reason, HasSubstr("timestamp out of range"));
  EXPECT_EQ(Parse("e,meter=a kwh=1 999", Precision::kMilliseconds).readings.at(0).ts_s, 0);
}

TEST(LineProtocolTest, ParsePrecision) {
  EXPECT_EQ(*ParsePrecision("ns"), Precision::kNanoseconds);
  EXPECT_EQ(*ParsePrecision("u"), Precision::kMicroseconds);
  EXPECT_EQ(*ParsePrecision("us"), Precision::kMicroseconds);
  EXPECT_EQ(*ParsePrecision("ms"), Precision::kMilliseconds);
  EXPECT_EQ(*ParsePrecision("s"), Precision::kSeconds);
  EXPECT_FALSE(ParsePrecision("h").ok());
  EXPECT_FALSE(ParsePrecision("").ok());
}

TEST(LineProtocolTest, TimestampRangeIs1970To2200) {
  const int64_t end_2200 = static_cast<int64_t>(DaysFromCivil(2201, 1, 1)) * kSecondsPerDay;
  Parsed ok = Parse("e,meter=a kwh=1 " + std::to_string(end_2200 - 1));
  EXPECT_THAT(ok.errors, IsEmpty());
  Parsed late = Parse("e,meter=a kwh=1 " + std::to_string(end_2200));
  ASSERT_EQ(late.errors.size(), 1u);
  EXPECT_THAT(late.errors[0].reason, HasSubstr("timestamp out of range"));
  Parsed overflow = Parse("e,meter=a kwh=1 99999999999999999999999");
  ASSERT_EQ(overflow.errors.size(), 1u);
  EXPECT_THAT(overflow.errors[0].reason, HasSubstr("timestamp out of range"));
}

TEST(LineProtocolTest, MissingTimestampUsesDefault) {
  Parsed p =
      Parse("e,meter=a kwh=1\ne,meter=b kwh=2  \n", Precision::kSeconds, "meter", 1700000000);
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings,
              ElementsAre(R("a", "kwh", 1700000000, 1, 1), R("b", "kwh", 1700000000, 2, 2)));
}

TEST(LineProtocolTest, PreciseReasonsPerLine) {
  Parsed p = Parse(
      "e,meter=a kwh=1 10\n"          // 1 ok
      "e,meter=a kwh=abc 10\n"        // 2
      "e,site=x kwh=1 10\n"           // 3
      "e,meter=a kwh=NaN 10\n"        // 4
      "e,meter=a kwh=inf 10\n"        // 5
      "e,meter=a kwh=\"12\" 10\n"     // 6
      "e,meter=a kwh=true 10\n"       // 7
      "e,meter=a kwh=1 10 extra\n"    // 8
      "e,meter=a kwh=1 1e9\n"         // 9
      "e,meter=a\n"                   // 10
      "e,meter kwh=1\n"               // 11
      "e,meter=a kwh=1e999 10\n"      // 12
      "e,meter=a kwh= 10\n"           // 13
      ",meter=a kwh=1 10\n"           // 14
      "e,meter=a,meter=b kwh=1 10\n"  // 15
      "e,meter=a kwh 10\n");          // 16
  EXPECT_EQ(p.readings.size(), 1u);
  std::vector<RowError> want = {
      {2, "field value 'abc' is not a number"},
      {3, "missing meter tag 'meter'"},
      {4, "NaN is not a reading"},
      {5, "infinity is not a reading"},
      {6, "field 'kwh' is a string, not a number"},
      {7, "field 'kwh' is a boolean, not a number"},
      {8, "unexpected text after the timestamp"},
      {9, "timestamp '1e9' is not an integer"},
      {10, "missing fields"},
      {11, "tag 'meter' has no value"},
      {12, "field value '1e999' is out of range"},
      {13, "field 'kwh' has no value"},
      {14, "missing measurement"},
      {15, "meter tag 'meter' appears twice"},
      {16, "field 'kwh' has no value"},
  };
  EXPECT_EQ(p.errors, want);
}

TEST(LineProtocolTest, BadFieldDropsTheWholeLine) {
  Parsed p = Parse("e,meter=a kwh=1,m3=x 10\ne,meter=b kwh=2 10");
  EXPECT_THAT(p.readings, ElementsAre(R("b", "kwh", 10, 2, 2)));
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 1);
}

TEST(LineProtocolTest, BlankCommentAndCrlfLines) {
  Parsed p = Parse(
      "# header comment\r\n\r\n   \ne,meter=a kwh=1 10\r\n  # indented comment\n"
      "e,meter=b kwh=2 11\r\n");
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings, ElementsAre(R("a", "kwh", 10, 1, 4), R("b", "kwh", 11, 2, 6)));
}

TEST(LineProtocolTest, EscapesAreHonoured) {
  Parsed p = Parse(
      "my\\ meas\\,x,site\\ name=a\\ b,meter=E\\ 1\\,2\\=3 kwh=1 10\n"
      "e,me\\=ter=x,meter=y va\\ lue=2 10\n"
      "e,meter=back\\slash value=3 10\n");
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings, ElementsAre(R("E 1,2=3", "kwh", 10, 1, 1), R("y", "va lue", 10, 2, 2),
                                      R("back\\slash", "", 10, 3, 3)));
  // An escaped tag key can be the meter tag.
  Parsed q = Parse("e,the\\ meter=m1 value=1 10", Precision::kSeconds, "the meter");
  EXPECT_THAT(q.errors, IsEmpty());
  EXPECT_THAT(q.readings, ElementsAre(R("m1", "", 10, 1, 1)));
}

TEST(LineProtocolTest, CustomMeterTag) {
  Parsed p = Parse("e,meter=ignored,id=M7 kwh=1 10", Precision::kSeconds, "id");
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings, ElementsAre(R("M7", "kwh", 10, 1, 1)));
  Parsed q = Parse("e,meter=a kwh=1 10", Precision::kSeconds, "id");
  ASSERT_EQ(q.errors.size(), 1u);
  EXPECT_EQ(q.errors[0].reason, "missing meter tag 'id'");
}

TEST(LineProtocolTest, OverlongLineIsRefused) {
  std::string body = "e,meter=a,pad=" + std::string(70000, 'x') + " kwh=1 10\ne,meter=b kwh=2 10";
  Parsed p = Parse(body);
  EXPECT_THAT(p.readings, ElementsAre(R("b", "kwh", 10, 2, 2)));
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 1);
  EXPECT_THAT(p.errors[0].reason, HasSubstr("longer than 65536"));
}

TEST(LineProtocolTest, AppendsToExistingOutput) {
  LineProtocolOptions o;
  o.precision = Precision::kSeconds;
  std::vector<ParsedReading> out = {R("x", "", 1, 1, 9)};
  std::vector<RowError> errors = {{3, "earlier"}};
  ParseLineProtocol("e,meter=a kwh=1 10\nbad", o, &out, &errors);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(errors.size(), 2u);
}

TEST(LineProtocolTest, NoTrailingNewlineAndTruncatedInput) {
  // Truncations of a valid line never crash and never yield a wrong reading.
  const std::string line = "e,meter=a kwh=12.5,m3=3i 1704038400";
  for (size_t n = 0; n <= line.size(); ++n) {
    Parsed p = Parse(line.substr(0, n));
    for (const ParsedReading& r : p.readings) {
      EXPECT_EQ(r.meter, "a");
      EXPECT_EQ(r.line, 1);
    }
  }
  EXPECT_EQ(Parse(line).readings.size(), 2u);
}

}  // namespace
}  // namespace zp::ingest
