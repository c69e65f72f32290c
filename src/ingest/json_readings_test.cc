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

Parsed Parse(std::string_view body, const TimeZone& zone = TimeZone::Fixed(8 * 3600)) {
  Parsed p;
  ParseJsonReadings(body, zone, &p.readings, &p.errors);
  return p;
}

TEST(JsonReadingsTest, ObjectWithReadings) {
  Parsed p = Parse(R"({"readings":[
      {"meter":"E-001","ts":"2024-01-01T00:15:00+08:00","value":12.5,"unit":"kWh"},
      {"meter":"E-002","ts":1704039300,"value":-3},
      {"meter":"E-003","ts":"2024-01-01 00:15:00","value":0,"unit":null},
      {"meter":"E-004","ts":"2023-12-31T16:15:00Z","value":1e3,"extra":true}]})");
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"E-001", "kWh", 1704039300, 12.5, 1},
                                      ParsedReading{"E-002", "", 1704039300, -3, 2},
                                      ParsedReading{"E-003", "", 1704039300, 0, 3},
                                      ParsedReading{"E-004", "", 1704039300, 1000, 4}));
}

TEST(JsonReadingsTest, BareArrayAndZoneOfPlainTimestamps) {
  Parsed p = Parse(R"([{"meter":"m","ts":"2024-01-01 00:00:00","value":1}])", TimeZone());
  EXPECT_THAT(p.errors, IsEmpty());
  ASSERT_EQ(p.readings.size(), 1u);
  EXPECT_EQ(p.readings[0].ts_s, 1704067200);
  Parsed q = Parse(R"([{"meter":"m","ts":"2024-01-01","value":1}])");
  ASSERT_EQ(q.readings.size(), 1u);
  EXPECT_EQ(q.readings[0].ts_s, 1704067200 - 8 * 3600);
}

TEST(JsonReadingsTest, FractionalSecondsFloor) {
  Parsed p = Parse(R"([{"meter":"m","ts":1704039300.9,"value":1}])");
  ASSERT_EQ(p.readings.size(), 1u);
  EXPECT_EQ(p.readings[0].ts_s, 1704039300);
}

TEST(JsonReadingsTest, PerElementErrorsCarryTheIndex) {
  Parsed p = Parse(R"({"readings":[
      {"meter":"ok","ts":10,"value":1},
      7,
      {"ts":10,"value":1},
      {"meter":"","ts":10,"value":1},
      {"meter":5,"ts":10,"value":1},
      {"meter":"m","value":1},
      {"meter":"m","ts":true,"value":1},
      {"meter":"m","ts":"yesterday","value":1},
      {"meter":"m","ts":10},
      {"meter":"m","ts":10,"value":"12"},
      {"meter":"m","ts":10,"value":false},
      {"meter":"m","ts":10,"value":1,"unit":3},
      {"meter":"m","ts":-1,"value":1},
      {"meter":"m","ts":99999999999,"value":1},
      {"meter":"m","ts":18446744073709551615,"value":1},
      {"meter":"m","ts":1e300,"value":1},
      {"meter":"last","ts":20,"value":2}]})");
  EXPECT_THAT(p.readings,
              ElementsAre(ParsedReading{"ok", "", 10, 1, 1}, ParsedReading{"last", "", 20, 2, 17}));
  ASSERT_EQ(p.errors.size(), 15u);
  std::vector<int32_t> lines;
  for (const RowError& e : p.errors) lines.push_back(e.line);
  EXPECT_THAT(lines, ElementsAre(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16));
  EXPECT_EQ(p.errors[0].reason, "reading is not an object");
  EXPECT_EQ(p.errors[1].reason, "missing \"meter\"");
  EXPECT_EQ(p.errors[2].reason, "\"meter\" is empty");
  EXPECT_EQ(p.errors[3].reason, "\"meter\" must be a string");
  EXPECT_EQ(p.errors[4].reason, "missing \"ts\"");
  EXPECT_THAT(p.errors[5].reason, HasSubstr("\"ts\" must be"));
  EXPECT_THAT(p.errors[6].reason, HasSubstr("bad timestamp 'yesterday'"));
  EXPECT_EQ(p.errors[7].reason, "missing \"value\"");
  EXPECT_EQ(p.errors[8].reason, "\"value\" must be a number");
  EXPECT_EQ(p.errors[9].reason, "\"value\" must be a number");
  EXPECT_EQ(p.errors[10].reason, "\"unit\" must be a string");
  for (int i = 11; i < 15; ++i) EXPECT_THAT(p.errors[i].reason, HasSubstr("out of range"));
}

TEST(JsonReadingsTest, NotJsonIsOneErrorAtLineZeroWithPosition) {
  Parsed p = Parse(R"({"readings":[{"meter":"a",)");
  EXPECT_THAT(p.readings, IsEmpty());
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 0);
  EXPECT_THAT(p.errors[0].reason, HasSubstr("not JSON (at byte 27)"));
  EXPECT_THAT(p.errors[0].reason, ::testing::Not(HasSubstr("[json.exception")));

  Parsed q = Parse("meter=a kwh=1");
  ASSERT_EQ(q.errors.size(), 1u);
  EXPECT_EQ(q.errors[0].line, 0);
  EXPECT_THAT(q.errors[0].reason, HasSubstr("at byte 1"));
}

TEST(JsonReadingsTest, WrongTopLevelShape) {
  for (std::string_view body : {R"({"data":[]})", R"({"readings":{}})", "42", "\"x\"", "null"}) {
    Parsed p = Parse(body);
    ASSERT_EQ(p.errors.size(), 1u) << body;
    EXPECT_EQ(p.errors[0].line, 0);
    EXPECT_THAT(p.errors[0].reason, HasSubstr("array of readings"));
  }
  EXPECT_THAT(Parse("[]").errors, IsEmpty());
  EXPECT_THAT(Parse(R"({"readings":[]})").errors, IsEmpty());
}

TEST(JsonReadingsTest, NumberOverflowIsABodyError) {
  Parsed p = Parse(R"([{"meter":"m","ts":10,"value":1e999}])");
  EXPECT_THAT(p.readings, IsEmpty());
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 0);
}

}  // namespace
}  // namespace zp::ingest
