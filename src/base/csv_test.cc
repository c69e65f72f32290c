#include "zp/base/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace zp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<CsvRow> ReadAll(std::string_view text, CsvOptions options = {}) {
  CsvReader reader(text, options);
  std::vector<CsvRow> rows;
  CsvRow row;
  while (reader.Next(&row)) rows.push_back(row);
  return rows;
}

TEST(CsvReaderTest, QuotingEscapesAndTrimming) {
  const std::vector<CsvRow> rows =
      ReadAll("a, b ,\t c\t\n\"x, y\",\"say \"\"hi\"\"\",  \"  kept  \"  ,\"\"\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(rows[0].cells, ElementsAre("a", "b", "c"));
  EXPECT_THAT(rows[1].cells, ElementsAre("x, y", "say \"hi\"", "  kept  ", ""));
  EXPECT_EQ(rows[0].line, 1);
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_TRUE(rows[1].error.empty());
  // A quote inside an unquoted cell is text.
  EXPECT_THAT(ReadAll("ab\"c,d\"\n")[0].cells, ElementsAre("ab\"c", "d\""));
}

TEST(CsvReaderTest, LineEndsCrlfLfAndLoneCr) {
  for (const char* text : {"a,b\r\nc\r\n,d\r\n", "a,b\nc\n,d\n", "a,b\rc\r,d\r", "a,b\r\nc\r,d"}) {
    const std::vector<CsvRow> rows = ReadAll(text);
    ASSERT_EQ(rows.size(), 3u) << text;
    EXPECT_THAT(rows[0].cells, ElementsAre("a", "b"));
    EXPECT_THAT(rows[1].cells, ElementsAre("c"));
    EXPECT_THAT(rows[2].cells, ElementsAre("", "d"));
    EXPECT_EQ(rows[2].line, 3);
  }
  // A trailing comma at the very end still makes an empty last cell.
  EXPECT_THAT(ReadAll("a,")[0].cells, ElementsAre("a", ""));
  EXPECT_THAT(ReadAll(""), IsEmpty());
}

TEST(CsvReaderTest, QuotedLineBreaksAdvanceLineNumbers) {
  const std::vector<CsvRow> rows =
      ReadAll("h1,h2\n1,\"two\nlines\"\n2,\"crlf\r\ninside\r\n\"\r\n3,\"cr\rinside\"\n4,x\n");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_THAT(rows[1].cells, ElementsAre("1", "two\nlines"));
  EXPECT_THAT(rows[2].cells, ElementsAre("2", "crlf\r\ninside\r\n"));
  EXPECT_THAT(rows[3].cells, ElementsAre("3", "cr\rinside"));
  EXPECT_EQ(rows[0].line, 1);
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_EQ(rows[2].line, 4);
  EXPECT_EQ(rows[3].line, 7);
  EXPECT_EQ(rows[4].line, 9);
  EXPECT_THAT(rows[4].cells, ElementsAre("4", "x"));
}

TEST(CsvReaderTest, UnterminatedQuoteTakesTheRest) {
  const std::vector<CsvRow> rows = ReadAll("a,b\n\"x\ny\",\"open\nc,d\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_EQ(rows[1].error, "unterminated quoted cell 2: opened on line 3 and never closed");
  EXPECT_THAT(rows[1].cells, ElementsAre("x\ny"));
  EXPECT_FALSE(rows[1].IsBlank());
}

TEST(CsvReaderTest, TextAfterClosingQuoteSkipsTheLine) {
  const std::vector<CsvRow> rows = ReadAll("\"a\" x,b\n\"c\"  ,d\n1,\"two\nlines\"!,z\n5,e");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].error, "unexpected character after the closing quote of cell 1");
  EXPECT_TRUE(rows[0].cells.empty());
  EXPECT_TRUE(rows[1].error.empty());
  EXPECT_THAT(rows[1].cells, ElementsAre("c", "d"));
  EXPECT_EQ(rows[2].line, 3);
  EXPECT_EQ(rows[2].error, "unexpected character after the closing quote of cell 2 (on line 4)");
  EXPECT_THAT(rows[2].cells, ElementsAre("1"));
  EXPECT_EQ(rows[3].line, 5);
  EXPECT_THAT(rows[3].cells, ElementsAre("5", "e"));
}

TEST(CsvReaderTest, ByteOrderMarkOnlyAtTheStart) {
  const std::vector<CsvRow> rows = ReadAll("\xEF\xBB\xBFname,x\n\xEF\xBB\xBFy\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(rows[0].cells, ElementsAre("name", "x"));
  EXPECT_THAT(rows[1].cells, ElementsAre("\xEF\xBB\xBFy"));
  EXPECT_THAT(ReadAll("\xEF\xBB\xBF"), IsEmpty());
}

TEST(CsvReaderTest, EmptyLinesAreBlankRows) {
  const std::vector<CsvRow> rows = ReadAll("a\n\n \t\r\n,,\n\"\"\nb\n");
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_FALSE(rows[0].IsBlank());
  for (size_t i = 1; i < 5; ++i) EXPECT_TRUE(rows[i].IsBlank()) << i;
  EXPECT_THAT(rows[1].cells, ElementsAre(""));
  EXPECT_THAT(rows[3].cells, ElementsAre("", "", ""));
  EXPECT_EQ(rows[5].line, 6);
}

TEST(CsvReaderTest, HashCommentsOnlyWhenAsked) {
  const std::string_view text = "# c,\"x\n  # indented\r\na,#b\n\"#q\",1\n#\n";
  const std::vector<CsvRow> plain = ReadAll(text);
  // Read as records, the quote in the first line opens a cell that closes on line 4.
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[0].error, "unexpected character after the closing quote of cell 2 (on line 4)");
  EXPECT_THAT(plain[1].cells, ElementsAre("#"));
  const std::vector<CsvRow> rows = ReadAll(text, {.hash_comments = true});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 3);
  EXPECT_THAT(rows[0].cells, ElementsAre("a", "#b"));
  EXPECT_EQ(rows[1].line, 4);
  EXPECT_THAT(rows[1].cells, ElementsAre("#q", "1"));
}

TEST(CsvReaderTest, ReusedRowLosesOldCells) {
  CsvReader reader("a,b,c\nd\n\"e\"x\n");
  CsvRow row;
  ASSERT_TRUE(reader.Next(&row));
  EXPECT_THAT(row.cells, ElementsAre("a", "b", "c"));
  ASSERT_TRUE(reader.Next(&row));
  EXPECT_THAT(row.cells, ElementsAre("d"));
  EXPECT_TRUE(row.error.empty());
  ASSERT_TRUE(reader.Next(&row));
  EXPECT_THAT(row.cells, IsEmpty());
  EXPECT_FALSE(row.error.empty());
  EXPECT_FALSE(reader.Next(&row));
}

TEST(CsvReaderTest, CheckCells) {
  const std::vector<CsvRow> rows = ReadAll("a,b\na\n\"a\"b,c\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(rows[0].CheckCells(2).ok());
  EXPECT_EQ(rows[0].CheckCells(3).message(), "expected 3 cells, got 2");
  EXPECT_EQ(rows[1].CheckCells(2).message(), "expected 2 cells, got 1");
  EXPECT_EQ(rows[2].CheckCells(0).message(),
            "unexpected character after the closing quote of cell 1");
}

enum Col : int32_t { kCode, kName, kNote };
constexpr CsvColumn kColumns[] = {
    {"code", kCode, true},
    {"credit_code", kCode, true},
    {"name", kName, true},
    {"note", kNote, false},
};

Result<std::vector<int32_t>> Map(std::string_view header_line) {
  CsvReader reader(header_line);
  CsvRow row;
  EXPECT_TRUE(reader.Next(&row));
  return MapCsvHeader(row, kColumns);
}

TEST(CsvHeaderTest, MapsNamesAliasesAndCase) {
  Result<std::vector<int32_t>> ids = Map("Name, CREDIT_CODE ,\"note\",'=x");
  EXPECT_FALSE(ids.ok());
  EXPECT_EQ(ids.error().message(), "unknown column '=x' (known: code, name, note)");
  ids = Map("Name, CREDIT_CODE ,\" note \"");
  ASSERT_TRUE(ids.ok()) << ids.error().ToString();
  EXPECT_THAT(*ids, ElementsAre(kName, kCode, kNote));
  ids = Map("code,name");
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, ElementsAre(kCode, kName));
}

TEST(CsvHeaderTest, Errors) {
  EXPECT_EQ(Map("code,,name").error().message(), "column 2 has no name");
  EXPECT_EQ(Map("code,name,credit_code").error().message(), "column code appears twice");
  EXPECT_EQ(Map("code,note").error().message(), "missing column name");
  EXPECT_EQ(Map("name,note").error().message(), "missing column code");
  EXPECT_EQ(Map("code,name,col\x01our").error().message(),
            "unknown column 'col\\x01our' (known: code, name, note)");
}

TEST(CsvHeaderTest, ReadHeaderSkipsBlankRowsAndNamesTheLine) {
  CsvReader reader("\xEF\xBB\xBF\n,\ncode,name\nZ1,a\n");
  Result<std::vector<int32_t>> ids = ReadCsvHeader(&reader, kColumns, "things CSV");
  ASSERT_TRUE(ids.ok()) << ids.error().ToString();
  EXPECT_THAT(*ids, ElementsAre(kCode, kName));
  CsvRow row;
  ASSERT_TRUE(reader.Next(&row));
  EXPECT_EQ(row.line, 4);
  EXPECT_THAT(row.cells, ElementsAre("Z1", "a"));

  CsvReader empty("\r\n \r\n");
  EXPECT_EQ(ReadCsvHeader(&empty, kColumns, "things CSV").error().message(),
            "things CSV: no header row");
  CsvReader bad("\ncode,nme\n");
  EXPECT_EQ(ReadCsvHeader(&bad, kColumns, "things CSV").error().message(),
            "things CSV, header on line 2: unknown column 'nme' (known: code, name, note)");
  CsvReader broken("code,\"name\"x\n");
  EXPECT_EQ(ReadCsvHeader(&broken, kColumns, "things CSV").error().message(),
            "things CSV, header on line 1: unexpected character after the closing quote of cell 2");
}

TEST(CsvWriteTest, GuardsFormulasAndQuotesWhenNeeded) {
  auto cell = [](std::string_view v) {
    std::string out;
    AppendCsvCell(&out, v);
    return out;
  };
  EXPECT_EQ(cell("plain"), "plain");
  EXPECT_EQ(cell(""), "");
  EXPECT_EQ(cell("a,b"), "\"a,b\"");
  EXPECT_EQ(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(cell(" lead"), "\" lead\"");
  EXPECT_EQ(cell("trail\t"), "\"trail\t\"");
  EXPECT_EQ(cell("two\r\nlines"), "\"two\r\nlines\"");
  EXPECT_EQ(cell("=SUM(A1)"), "'=SUM(A1)");
  EXPECT_EQ(cell("-1"), "'-1");
  EXPECT_EQ(cell("'=x"), "''=x");
  EXPECT_EQ(cell("''"), "'''");
  EXPECT_EQ(cell("'a"), "'a");
  EXPECT_EQ(cell("@a,b"), "\"'@a,b\"");
  EXPECT_EQ(UnguardCsvCell("'=x"), "=x");
  EXPECT_EQ(UnguardCsvCell("''=x"), "'=x");
  EXPECT_EQ(UnguardCsvCell("'a"), "'a");
  EXPECT_EQ(UnguardCsvCell("'"), "'");
}

TEST(CsvWriteTest, EveryTextRoundTrips) {
  const std::vector<std::string> values = {
      "",     "x",    " lead",      "trail ", "=1+2", "+86",  "-",     "@home",
      "'",    "''",   "'=",         "'''=x",  "a,b",  "\"",   "\"\"q", "l1\nl2",
      "cr\r", "\r\n", "中文, 逗号", "\t",     ",",    "#hash"};
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ',';
    AppendCsvCell(&text, values[i]);
  }
  text += "\n";
  const std::vector<CsvRow> rows = ReadAll(text);
  ASSERT_EQ(rows.size(), 1u) << text;
  ASSERT_EQ(rows[0].cells.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(UnguardCsvCell(rows[0].cells[i]), values[i]) << i;
  }
}

TEST(CsvWriteTest, NumbersAreShortestRoundTrip) {
  std::string out;
  for (double v : {0.0, 1.5, -2.0, 0.1, 1e21, 123456.789}) {
    AppendCsvNumber(&out, v);
    out += ',';
  }
  EXPECT_EQ(out, "0,1.5,-2,0.1,1e+21,123456.789,");
}

TEST(QuoteForMessageTest, EscapesAndCuts) {
  EXPECT_EQ(QuoteForMessage("abc"), "'abc'");
  EXPECT_EQ(QuoteForMessage("网格"), "'网格'");
  EXPECT_EQ(QuoteForMessage("a\tb\x7f\xff"), "'a\\x09b\\x7F\\xFF'");
  EXPECT_EQ(QuoteForMessage("\xE7\xBD"), "'\\xE7\\xBD'");  // truncated sequence
  EXPECT_EQ(QuoteForMessage(std::string(60, 'x')), "'" + std::string(48, 'x') + "...'");
  // A cut never splits a character.
  std::string wide = std::string(47, 'x') + "网网";
  EXPECT_EQ(QuoteForMessage(wide), "'" + std::string(47, 'x') + "网...'");
}

}  // namespace
}  // namespace zp
