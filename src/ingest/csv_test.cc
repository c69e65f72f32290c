#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "zp/ingest/parsers.h"

namespace zp::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Parsed {
  Status status;
  std::vector<ParsedReading> readings;
  std::vector<RowError> errors;
};

Parsed Parse(std::string_view text, const CsvMapping& m) {
  Parsed p;
  p.status = ParseCsv(text, m, &p.readings, &p.errors);
  return p;
}

CsvMapping LongUtc() {
  CsvMapping m;
  m.time_zone = "UTC";
  m.timestamp_column = "time";
  m.value_column = "kwh";
  m.meter = "M1";
  return m;
}

int64_t Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return CivilToSeconds(CivilTime{y, mo, d, h, mi, s});
}

TEST(CsvTest, LongFormatWithFixedMeter) {
  Parsed p = Parse("time,kwh\n2024-01-01 00:00:00,1.5\n2024-01-01 00:15:00,2\n", LongUtc());
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"M1", "", Utc(2024, 1, 1), 1.5, 2},
                                      ParsedReading{"M1", "", Utc(2024, 1, 1, 0, 15), 2, 3}));
}

TEST(CsvTest, LongFormatWithMeterAndUnitColumns) {
  CsvMapping m = LongUtc();
  m.meter.clear();
  m.meter_column = "meter";
  m.unit_column = "unit";
  m.unit = "kWh";
  Parsed p = Parse(
      "meter,time,kwh,unit\n"
      "A,2024-01-01 00:00:00,1,MWh\n"
      "B,2024-01-01 00:00:00,2,\n"
      ",2024-01-01 00:00:00,3,kWh\n",
      m);
  ASSERT_TRUE(p.status.ok());
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"A", "MWh", Utc(2024, 1, 1), 1, 2},
                                      ParsedReading{"B", "kWh", Utc(2024, 1, 1), 2, 3}));
  EXPECT_THAT(p.errors, ElementsAre(RowError{4, "empty meter in column meter"}));
}

TEST(CsvTest, Rfc4180Quoting) {
  CsvMapping m = LongUtc();
  m.meter.clear();
  m.meter_column = "meter";
  Parsed p = Parse(
      "\"time\",\"kwh\",\"meter\"\r\n"
      "2024-01-01 00:00:00,\"1.5\",\"a,b\"\r\n"
      "2024-01-01 00:00:00,2,\"say \"\"hi\"\"\"\r\n"
      "2024-01-01 00:00:00,3,\"two\r\nlines\"\r\n"
      "2024-01-01 00:00:00,4,\"\"\"\"\r\n"
      "2024-01-01 00:00:00,5,plain\"quote\r\n",
      m);
  ASSERT_TRUE(p.status.ok());
  EXPECT_THAT(p.errors, IsEmpty());
  ASSERT_EQ(p.readings.size(), 5u);
  EXPECT_EQ(p.readings[0].meter, "a,b");
  EXPECT_EQ(p.readings[1].meter, "say \"hi\"");
  EXPECT_EQ(p.readings[2].meter, "two\r\nlines");
  EXPECT_EQ(p.readings[3].meter, "\"");
  EXPECT_EQ(p.readings[4].meter, "plain\"quote");
  // The record after a cell with a line break starts two lines further on.
  EXPECT_EQ(p.readings[2].line, 4);
  EXPECT_EQ(p.readings[3].line, 6);
  EXPECT_EQ(p.readings[4].line, 7);
}

TEST(CsvTest, MalformedQuotesAreRowErrors) {
  Parsed p = Parse(
      "time,kwh\n"
      "2024-01-01 00:00:00,\"1\"x\n"
      "2024-01-01 00:15:00,2\n"
      "2024-01-01 00:30:00,\"3\n",
      LongUtc());
  ASSERT_TRUE(p.status.ok());
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"M1", "", Utc(2024, 1, 1, 0, 15), 2, 3}));
  EXPECT_THAT(p.errors, ElementsAre(RowError{2, "unexpected character after a closing quote"},
                                    RowError{4, "unterminated quoted cell"}));
}

TEST(CsvTest, BomBlankLinesAndNoFinalNewline) {
  Parsed p = Parse("\xEF\xBB\xBFtime,kwh\n\n2024-01-01 00:00:00,1\n\r\n , \n2024-01-01 01:00:00,2",
                   LongUtc());
  ASSERT_TRUE(p.status.ok());
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"M1", "", Utc(2024, 1, 1), 1, 3},
                                      ParsedReading{"M1", "", Utc(2024, 1, 1, 1), 2, 6}));
}

TEST(CsvTest, DecimalCommaWithSemicolons) {
  CsvMapping m = LongUtc();
  m.delimiter = ';';
  m.decimal_comma = true;
  m.timestamp_format = "%d.%m.%Y %H:%M";
  Parsed p = Parse(
      "time;kwh\n01.02.2024 00:15;12,5\n01.02.2024 00:30;\"1,25\"\n01.02.2024 00:45;1.234,5\n", m);
  ASSERT_TRUE(p.status.ok());
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"M1", "", Utc(2024, 2, 1, 0, 15), 12.5, 2},
                                      ParsedReading{"M1", "", Utc(2024, 2, 1, 0, 30), 1.25, 3}));
  EXPECT_THAT(p.errors, ElementsAre(RowError{4, "value '1.234,5' in column kwh is not a number"}));
}

TEST(CsvTest, DocExampleEuropeanLongFormat) {
  // docs/csv-import.md section 6.
  Result<CsvMapping> m = CsvMappingFromJson(R"({
    "name": "eu-long", "delimiter": ";", "decimal_comma": true,
    "timestamp_column": "Zeit", "timestamp_format": "%d.%m.%Y %H:%M",
    "time_zone": "Europe/Berlin", "label": "end", "interval_s": 900,
    "meter_column": "Zähler", "value_column": "Wert", "unit_column": "Einheit"})");
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  ASSERT_TRUE(ValidateCsvMapping(*m).ok());
  Parsed p = Parse(
      "Zähler;Zeit;Wert;Einheit\nE-001;31.01.2024 16:15;12,5;kWh\nG-002;31.07.2024 16:15;3,25;m3\n",
      *m);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"E-001", "kWh", Utc(2024, 1, 31, 15), 12.5, 2},
                                      ParsedReading{"G-002", "m3", Utc(2024, 7, 31, 14), 3.25, 3}));
}

TEST(CsvTest, TimestampFormats) {
  struct Case {
    std::string format, text;
    int64_t want;
  };
  const std::vector<Case> cases = {
      {"%Y-%m-%d %H:%M:%S", "2024-03-05 06:07:08", Utc(2024, 3, 5, 6, 7, 8)},
      {"%d/%m/%Y %H:%M", "05/03/2024 06:07", Utc(2024, 3, 5, 6, 7)},
      {"%d/%m/%Y %H:%M", "5/3/2024 6:07", Utc(2024, 3, 5, 6, 7)},
      {"%m/%d/%y %H:%M", "03/05/24 06:07", Utc(2024, 3, 5, 6, 7)},
      {"%m/%d/%y", "03/05/99", Utc(1999, 3, 5)},
      {"%d-%b-%Y %H:%M", "05-Mar-2024 06:07", Utc(2024, 3, 5, 6, 7)},
      {"%d %b %Y", "05 march 2024", Utc(2024, 3, 5)},
      {"%Y%m%d%H%M", "202403050607", Utc(2024, 3, 5, 6, 7)},
      {"%Y-%m-%dT%H:%M%%", "2024-03-05T06:07%", Utc(2024, 3, 5, 6, 7)},
      {"%Y-%m-%d %H:%M", "2024-03-05 24:00", Utc(2024, 3, 6)},
      {"iso8601", "2024-03-05T06:07:08+08:00", Utc(2024, 3, 4, 22, 7, 8)},
      {"iso8601", "2024-03-05 06:07:08", Utc(2024, 3, 5, 6, 7, 8)},
      {"unix", "1709618828", 1709618828},
  };
  for (const Case& c : cases) {
    CsvMapping m = LongUtc();
    m.timestamp_format = c.format;
    Parsed p = Parse("time,kwh\n\"" + c.text + "\",1\n", m);
    ASSERT_TRUE(p.status.ok()) << c.format << ": " << p.status.ToString();
    EXPECT_THAT(p.errors, IsEmpty()) << c.format << " " << c.text;
    ASSERT_EQ(p.readings.size(), 1u) << c.format << " " << c.text;
    EXPECT_EQ(p.readings[0].ts_s, c.want) << c.format << " " << c.text;
  }
}

TEST(CsvTest, TimestampsAreMatchedStrictly) {
  CsvMapping m = LongUtc();
  m.timestamp_format = "%d/%m/%Y %H:%M";
  const std::vector<std::string> bad = {
      "05/03/2024 06:07:00",  // extra text
      "05-03-2024 06:07",     // wrong literal
      "05/03/24 06:07",       // %Y needs 4 digits
      "31/02/2024 06:07",     // no such date
      "05/03/2024 25:00",     // hour out of range
      "05/03/2024 06:60",     // minute out of range
      "05/03/2024  06:07",    // two spaces
      "",                     // empty
  };
  for (const std::string& t : bad) {
    Parsed p = Parse("time,kwh\n" + t + ",1\n", m);
    ASSERT_TRUE(p.status.ok());
    EXPECT_THAT(p.readings, IsEmpty()) << t;
    ASSERT_EQ(p.errors.size(), 1u) << t;
    EXPECT_EQ(p.errors[0].line, 2);
    EXPECT_THAT(p.errors[0].reason, HasSubstr("in column time")) << t;
  }
  Parsed p = Parse("time,kwh\n05/03/2024 06:07:00,1\n", m);
  EXPECT_EQ(p.errors.at(0).reason,
            "timestamp '05/03/2024 06:07:00' in column time has extra text after the format "
            "'%d/%m/%Y %H:%M'");
}

TEST(CsvTest, IntervalEndAndMidnightClosesDay) {
  CsvMapping m = LongUtc();
  m.time_zone = "Asia/Seoul";
  m.timestamp_format = "%d/%m/%Y %H:%M";
  m.label = TimeLabel::kIntervalEnd;
  m.interval_s = 900;
  m.midnight_closes_day = true;
  Parsed p = Parse("time,kwh\n01/01/2018 00:15,1\n01/01/2018 23:45,2\n01/01/2018 00:00,3\n", m);
  ASSERT_TRUE(p.status.ok());
  EXPECT_THAT(p.errors, IsEmpty());
  const int64_t kst = 9 * 3600;
  EXPECT_THAT(p.readings,
              ElementsAre(ParsedReading{"M1", "", Utc(2018, 1, 1, 0, 0) - kst, 1, 2},
                          ParsedReading{"M1", "", Utc(2018, 1, 1, 23, 30) - kst, 2, 3},
                          ParsedReading{"M1", "", Utc(2018, 1, 1, 23, 45) - kst, 3, 4}));
  // Without the flag 00:00 is the start of its own date.
  m.midnight_closes_day = false;
  Parsed q = Parse("time,kwh\n01/01/2018 00:00,3\n", m);
  EXPECT_EQ(q.readings.at(0).ts_s, Utc(2017, 12, 31, 23, 45) - kst);
}

TEST(CsvTest, MidnightRuleAlsoForIso8601) {
  CsvMapping m = LongUtc();
  m.time_zone = "+08:00";
  m.timestamp_format = "iso8601";
  m.label = TimeLabel::kIntervalEnd;
  m.interval_s = 3600;
  m.midnight_closes_day = true;
  Parsed p = Parse("time,kwh\n2024-01-01 00:00:00,1\n2024-01-01 23:00:00,2\n", m);
  ASSERT_EQ(p.readings.size(), 2u);
  EXPECT_EQ(p.readings[0].ts_s, Utc(2024, 1, 1, 23) - 8 * 3600);
  EXPECT_EQ(p.readings[1].ts_s, Utc(2024, 1, 1, 22) - 8 * 3600);
}

TEST(CsvTest, WideFormatEmptyCellKeepsTheRestOfTheRow) {
  CsvMapping m;
  m.time_zone = "UTC";
  m.timestamp_column = "1";
  m.unit = "kWh";
  m.values = {{"a", "A", ""}, {"b", "B", "MWh"}, {"4", "D", ""}};
  Parsed p = Parse(
      "t,a,b,d\n"
      "2024-01-01 00:00:00,1,2,4\n"
      "2024-01-01 01:00:00,,3,x\n"
      "2024-01-01 02:00:00,5\n",
      m);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"A", "kWh", Utc(2024, 1, 1), 1, 2},
                                      ParsedReading{"B", "MWh", Utc(2024, 1, 1), 2, 2},
                                      ParsedReading{"D", "kWh", Utc(2024, 1, 1), 4, 2},
                                      ParsedReading{"B", "MWh", Utc(2024, 1, 1, 1), 3, 3},
                                      ParsedReading{"A", "kWh", Utc(2024, 1, 1, 2), 5, 4}));
  EXPECT_THAT(p.errors, ElementsAre(RowError{3, "empty value in column a"},
                                    RowError{3, "value 'x' in column d is not a number"},
                                    RowError{4, "row has 2 columns; column b is missing"},
                                    RowError{4, "row has 2 columns; column d is missing"}));
}

TEST(CsvTest, ValuesMustBeFiniteNumbers) {
  Parsed p = Parse(
      "time,kwh\n2024-01-01 00:00:00,nan\n2024-01-01 00:00:00,inf\n"
      "2024-01-01 00:00:00,1e999\n2024-01-01 00:00:00, +2.5 \n",
      LongUtc());
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"M1", "", Utc(2024, 1, 1), 2.5, 5}));
  ASSERT_EQ(p.errors.size(), 3u);
  EXPECT_THAT(p.errors[0].reason, HasSubstr("not a finite number"));
  EXPECT_THAT(p.errors[1].reason, HasSubstr("not a finite number"));
  EXPECT_THAT(p.errors[2].reason, HasSubstr("out of range"));
}

TEST(CsvTest, HeaderRowsAndColumnLookup) {
  CsvMapping m = LongUtc();
  m.header_rows = 2;
  m.timestamp_column = "TIME";  // case-insensitive fallback
  m.value_column = "3";         // by number
  Parsed p = Parse("exported by X\n time , x, kwh\n2024-01-01 00:00:00,9,1\n", m);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_THAT(p.readings, ElementsAre(ParsedReading{"M1", "", Utc(2024, 1, 1), 1, 3}));

  m.header_rows = 0;
  m.timestamp_column = "1";
  m.value_column = "2";
  Parsed q = Parse("2024-01-01 00:00:00,7\n", m);
  EXPECT_THAT(q.readings, ElementsAre(ParsedReading{"M1", "", Utc(2024, 1, 1), 7, 1}));

  m.header_rows = 1;
  m.value_column = "missing";
  Parsed r = Parse("time,kwh\n2024-01-01 00:00:00,7\n", m);
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status.message(), HasSubstr("columns: time, kwh"));

  Parsed e = Parse("", LongUtc());
  EXPECT_FALSE(e.status.ok());
}

TEST(CsvTest, ProgressIsReportedAboutEveryMebibyte) {
  std::string text = "time,kwh\n";
  while (text.size() < 3u * 1024 * 1024 + 100) text += "2024-01-01 00:00:00,1.25\n";
  CsvMapping m = LongUtc();
  std::vector<CsvProgress> seen;
  std::vector<ParsedReading> out;
  std::vector<RowError> errors;
  ASSERT_TRUE(
      ParseCsv(text, m, &out, &errors, [&](const CsvProgress& p) { seen.push_back(p); }).ok());
  ASSERT_EQ(seen.size(), 4u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].bytes_total, static_cast<int64_t>(text.size()));
    if (i > 0) {
      EXPECT_GT(seen[i].bytes_done, seen[i - 1].bytes_done);
    }
  }
  EXPECT_GE(seen[0].bytes_done, 1 << 20);
  EXPECT_LT(seen[0].bytes_done, (1 << 20) + 100);
  EXPECT_EQ(seen.back().bytes_done, static_cast<int64_t>(text.size()));
  EXPECT_EQ(seen.back().rows, static_cast<int64_t>(out.size()));
}

TEST(CsvMappingTest, JsonRoundTrip) {
  CsvMapping m;
  m.name = "steel 钢厂";
  m.delimiter = ';';
  m.decimal_comma = true;
  m.header_rows = 2;
  m.timestamp_column = "date";
  m.timestamp_format = "%d/%m/%Y %H:%M";
  m.time_zone = "Asia/Seoul";
  m.label = TimeLabel::kIntervalEnd;
  m.interval_s = 900;
  m.midnight_closes_day = true;
  m.values = {{"Usage_kWh", "S-1", "kWh"}, {"3", "S-2", ""}};
  m.unit = "kvarh";
  Result<CsvMapping> back = CsvMappingFromJson(CsvMappingToJson(m));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, m);

  CsvMapping l = LongUtc();
  l.meter_column = "m";
  l.meter.clear();
  l.unit_column = "u";
  back = CsvMappingFromJson(CsvMappingToJson(l));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, l);

  // Defaults for absent keys; columns may be JSON integers.
  back = CsvMappingFromJson(R"({"timestamp_column": 1, "value_column": 2, "meter": "x"})");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->timestamp_column, "1");
  EXPECT_EQ(back->delimiter, ',');
  EXPECT_EQ(back->time_zone, "Asia/Shanghai");
}

TEST(CsvMappingTest, JsonErrorsAreClear) {
  auto message = [](std::string_view json) {
    Result<CsvMapping> r = CsvMappingFromJson(json);
    EXPECT_FALSE(r.ok()) << json;
    return r.ok() ? std::string() : r.error().message();
  };
  EXPECT_THAT(message(R"({"delimeter": ";"})"), HasSubstr("unknown key \"delimeter\""));
  EXPECT_THAT(message(R"({"header_rows": "1"})"), HasSubstr("\"header_rows\" must be an integer"));
  EXPECT_THAT(message(R"({"header_rows": 1.5})"), HasSubstr("\"header_rows\" must be an integer"));
  EXPECT_THAT(message(R"({"interval_s": 99999999999})"), HasSubstr("32-bit"));
  EXPECT_THAT(message(R"({"decimal_comma": 1})"), HasSubstr("true or false"));
  EXPECT_THAT(message(R"({"delimiter": ";;"})"), HasSubstr("one character"));
  EXPECT_THAT(message(R"({"label": "middle"})"), HasSubstr("\"start\" or \"end\""));
  EXPECT_THAT(message(R"({"values": [{"column": "a", "metre": "x"}]})"),
              HasSubstr("unknown key \"metre\" in values[0]"));
  EXPECT_THAT(message(R"({"values": {}})"), HasSubstr("\"values\" must be an array"));
  EXPECT_THAT(message("[1]"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(message("{"), HasSubstr("not JSON"));
}

TEST(CsvMappingTest, Validate) {
  CsvMapping ok = LongUtc();
  EXPECT_TRUE(ValidateCsvMapping(ok).ok());
  auto why = [](const CsvMapping& m) { return ValidateCsvMapping(m).message(); };
  CsvMapping m = ok;
  m.time_zone = "Mars/Olympus";
  EXPECT_THAT(why(m), HasSubstr("Mars/Olympus"));
  m = ok;
  m.timestamp_column.clear();
  EXPECT_THAT(why(m), HasSubstr("timestamp_column"));
  m = ok;
  m.value_column.clear();
  EXPECT_THAT(why(m), HasSubstr("value_column"));
  m = ok;
  m.meter_column = "meter";
  EXPECT_THAT(why(m), HasSubstr("exactly one of meter_column and meter"));
  m = ok;
  m.decimal_comma = true;
  EXPECT_THAT(why(m), HasSubstr("decimal comma"));
  m = ok;
  m.delimiter = '"';
  EXPECT_THAT(why(m), HasSubstr("delimiter"));
  m = ok;
  m.timestamp_format = "%Y-%m-%d %q";
  EXPECT_THAT(why(m), HasSubstr("unknown directive %q"));
  m = ok;
  m.timestamp_format = "%Y-%m %H";
  EXPECT_THAT(why(m), HasSubstr("needs a year"));
  m = ok;
  m.timestamp_format = "%Y-%m-%d %Y";
  EXPECT_THAT(why(m), HasSubstr("repeats"));
  m = ok;
  m.interval_s = 0;
  EXPECT_THAT(why(m), HasSubstr("interval_s"));
  m = ok;
  m.header_rows = 0;
  EXPECT_THAT(why(m), HasSubstr("column number"));
  m = ok;
  m.values = {{"a", "A", ""}};
  EXPECT_THAT(why(m), HasSubstr("wide format"));
  m.value_column.clear();
  m.meter.clear();
  EXPECT_TRUE(ValidateCsvMapping(m).ok());
  m.values[0].meter.clear();
  EXPECT_THAT(why(m), HasSubstr("values[0].meter"));
}

// --- The real data sets -------------------------------------------------------------------

std::string DataDir() {
  const char* src = std::getenv("ZP_SOURCE_DIR");
  return std::string(src ? src : ".") + "/../shared/data";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The plain sum of column `col` (0-based) of a simple CSV, computed without the parser.
double ColumnSum(const std::string& text, size_t col, int64_t* rows) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  double sum = 0;
  *rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    size_t start = 0;
    for (size_t i = 0; i < col; ++i) start = line.find(',', start) + 1;
    sum += std::strtod(line.c_str() + start, nullptr);
    ++*rows;
  }
  return sum;
}

TEST(CsvRealDataTest, SteelPlant2018) {
  const std::string path = DataDir() + "/steel-plant-2018/steel_industry_data.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  const std::string text = ReadFile(path);
  Result<CsvMapping> m = CsvMappingFromJson(R"({
    "name": "steel-plant-2018",
    "timestamp_column": "date",
    "timestamp_format": "%d/%m/%Y %H:%M",
    "time_zone": "Asia/Seoul",
    "label": "end",
    "interval_s": 900,
    "midnight_closes_day": true,
    "values": [
      {"column": "Usage_kWh", "meter": "steel-main", "unit": "kWh"},
      {"column": "Lagging_Current_Reactive_Power_kVarh", "meter": "steel-lag", "unit": "kvarh"},
      {"column": "Leading_Current_Reactive_Power_kVarh", "meter": "steel-lead", "unit": "kvarh"}
    ]})");
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  ASSERT_TRUE(ValidateCsvMapping(*m).ok());
  std::vector<ParsedReading> out;
  std::vector<RowError> errors;
  ASSERT_TRUE(ParseCsv(text, *m, &out, &errors).ok());
  EXPECT_THAT(errors, IsEmpty());
  ASSERT_EQ(out.size(), 3u * 35040);

  std::vector<int64_t> ts;
  double usage = 0, lagging = 0, leading = 0;
  for (size_t i = 0; i < out.size(); i += 3) {
    ASSERT_EQ(out[i].meter, "steel-main");
    ASSERT_EQ(out[i + 1].meter, "steel-lag");
    ASSERT_EQ(out[i + 2].meter, "steel-lead");
    ASSERT_EQ(out[i + 1].unit, "kvarh");
    ASSERT_EQ(out[i].ts_s, out[i + 2].ts_s);
    ts.push_back(out[i].ts_s);
    usage += out[i].value;
    lagging += out[i + 1].value;
    leading += out[i + 2].value;
  }
  // First row `01/01/2018 00:15` is the interval 00:00-00:15 KST = 2017-12-31T15:00:00Z; the
  // last row `31/12/2018 00:00` closes 2018 and starts at 23:45 KST = 2018-12-31T14:45:00Z.
  EXPECT_EQ(ts.front(), Utc(2017, 12, 31, 15, 0));
  EXPECT_EQ(ts.back(), Utc(2018, 12, 31, 14, 45));
  for (size_t i = 1; i < ts.size(); ++i) ASSERT_EQ(ts[i] - ts[i - 1], 900) << "row " << i + 2;
  EXPECT_EQ(std::set<int64_t>(ts.begin(), ts.end()).size(), 35040u);
  EXPECT_EQ(out[0].line, 2);
  EXPECT_EQ(out.back().line, 35041);

  int64_t rows = 0;
  EXPECT_DOUBLE_EQ(usage, ColumnSum(text, 1, &rows));
  EXPECT_EQ(rows, 35040);
  EXPECT_DOUBLE_EQ(lagging, ColumnSum(text, 2, &rows));
  EXPECT_DOUBLE_EQ(leading, ColumnSum(text, 3, &rows));
}

TEST(CsvRealDataTest, CambridgeElectricity2019) {
  const std::string dir = DataDir() + "/cambridge-estates-2019/electricity";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no " << dir;
  for (const char* building : {"b0", "b1", "b10"}) {
    const std::string text = ReadFile(dir + "/" + building + ".csv");
    ASSERT_FALSE(text.empty()) << building;
    CsvMapping m;
    m.name = std::string("cambridge-") + building;
    m.timestamp_column = "datetime";
    m.timestamp_format = "%Y-%m-%d %H:%M:%S";
    m.time_zone = "UTC";
    m.label = TimeLabel::kIntervalStart;
    m.interval_s = 3600;
    m.value_column = "equipment load [kWh]";
    m.meter = building;
    m.unit = "kWh";
    std::vector<ParsedReading> out;
    std::vector<RowError> errors;
    ASSERT_TRUE(ParseCsv(text, m, &out, &errors).ok());
    EXPECT_THAT(errors, IsEmpty()) << building;
    ASSERT_EQ(out.size(), 8760u) << building;
    EXPECT_EQ(out.front().ts_s, Utc(2019, 1, 1));
    EXPECT_EQ(out.back().ts_s, Utc(2019, 12, 31, 23));
    double sum = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      if (i > 0) {
        ASSERT_EQ(out[i].ts_s - out[i - 1].ts_s, 3600) << building << " row " << i;
      }
      EXPECT_EQ(out[i].unit, "kWh");
      sum += out[i].value;
    }
    int64_t rows = 0;
    EXPECT_DOUBLE_EQ(sum, ColumnSum(text, 1, &rows)) << building;
    EXPECT_EQ(rows, 8760) << building;
  }
}

}  // namespace
}  // namespace zp::ingest
