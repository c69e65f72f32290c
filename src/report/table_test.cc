#include "zp/report/table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace zp::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Column TextColumn(std::string key, std::string zh, std::string en) {
  return Column{std::move(key), std::move(zh), std::move(en), "", ColumnType::kText, 0};
}
Column NumberColumn(std::string key, std::string zh, std::string en, std::string unit,
                    int32_t decimals) {
  return Column{std::move(key),  std::move(zh),       std::move(en),
                std::move(unit), ColumnType::kNumber, decimals};
}
Column IntegerColumn(std::string key, std::string zh, std::string en) {
  return Column{std::move(key), std::move(zh), std::move(en), "", ColumnType::kInteger, 0};
}

Table EnergyTable() {
  Table t;
  t.title_zh = "能耗汇总";
  t.title_en = "Energy summary";
  t.columns = {TextColumn("enterprise", "企业", "Enterprise"),
               NumberColumn("energy_tce", "综合能耗", "Comprehensive energy consumption", "tce", 2),
               IntegerColumn("meters", "计量点数", "Meters")};
  t.rows = {{std::string("沈北一号"), 1234.5, 12.0},
            {std::string("Acme, Ltd."), 0.1, 3.0},
            {std::string("say \"hi\"\nline 2"), kNaN, Cell{}},
            {Cell{}, -0.0, kInf}};
  t.notes = {"折标系数：GB/T 2589-2020 / Coefficients: GB/T 2589-2020"};
  return t;
}

// ---- CSV -------------------------------------------------------------------------------------

TEST(CsvTest, KeysHeaderAndRfc4180Quoting) {
  EXPECT_EQ(ToCsv(EnergyTable()),
            "enterprise,energy_tce,meters\n"
            "沈北一号,1234.5,12\n"
            "\"Acme, Ltd.\",0.1,3\n"
            "\"say \"\"hi\"\"\nline 2\",,\n"
            ",0,\n");
}

TEST(CsvTest, BomOnlyWhenAsked) {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string with = ToCsv(EnergyTable(), HeaderStyle::kZh, false, true);
  const std::string without = ToCsv(EnergyTable(), HeaderStyle::kZh, false, false);
  EXPECT_EQ(with.substr(0, 3), bom);
  EXPECT_NE(without.substr(0, 3), bom);
  EXPECT_EQ(with.substr(3), without);
  EXPECT_EQ(without.substr(0, without.find('\n')), "企业,综合能耗 (tce),计量点数");
}

TEST(CsvTest, HeaderStyles) {
  Table t = EnergyTable();
  auto header = [&](HeaderStyle s) {
    const std::string csv = ToCsv(t, s);
    return csv.substr(0, csv.find('\n'));
  };
  EXPECT_EQ(
      header(HeaderStyle::kBilingual),
      "企业 / Enterprise,综合能耗 / Comprehensive energy consumption (tce),计量点数 / Meters");
  EXPECT_EQ(header(HeaderStyle::kEn), "Enterprise,Comprehensive energy consumption (tce),Meters");
  EXPECT_EQ(header(HeaderStyle::kZh), "企业,综合能耗 (tce),计量点数");

  // Missing names fall back to the other language, then to the key.
  t.columns[0].name_en.clear();
  t.columns[2].name_zh.clear();
  t.columns[2].name_en.clear();
  EXPECT_EQ(header(HeaderStyle::kBilingual),
            "企业,综合能耗 / Comprehensive energy consumption (tce),meters");
  EXPECT_EQ(header(HeaderStyle::kEn), "企业,Comprehensive energy consumption (tce),meters");
}

TEST(CsvTest, NumbersAreShortestRoundTrip) {
  Table t;
  t.columns = {NumberColumn("x", "x", "x", "", 2), IntegerColumn("n", "n", "n")};
  t.rows = {{0.1, 3.0},         {1.0 / 3.0, -42.0}, {1e21, 2.5},   {2.5e-7, 1e15},
            {123456.789, -0.0}, {kNaN, kInf},       {-kInf, kNaN}, {100.0, 9007199254740993.0}};
  EXPECT_EQ(ToCsv(t),
            "x,n\n"
            "0.1,3\n"
            "0.3333333333333333,-42\n"
            "1e+21,2.5\n"
            "2.5e-07,1000000000000000\n"
            "123456.789,0\n"
            ",\n"
            ",\n"
            "100,9007199254740992\n");

  // Every finite double survives CSV -> strtod unchanged.
  std::mt19937_64 rng(42);
  Table random;
  random.columns = {NumberColumn("v", "v", "v", "", 2)};
  std::vector<double> values;
  for (int i = 0; i < 2000; ++i) {
    uint64_t bits = rng();
    double v = 0;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    values.push_back(v);
    random.rows.push_back({v});
  }
  const std::string csv = ToCsv(random);
  size_t pos = csv.find('\n') + 1;
  for (double v : values) {
    const size_t end = csv.find('\n', pos);
    const std::string field = csv.substr(pos, end - pos);
    EXPECT_LE(field.size(), 24u) << field;
    EXPECT_EQ(std::strtod(field.c_str(), nullptr), v == 0 ? 0.0 : v) << field;
    pos = end + 1;
  }
}

TEST(CsvTest, InjectionGuardPrefixesFormulaLikeText) {
  Table t;
  t.columns = {TextColumn("s", "s", "s"), NumberColumn("v", "v", "v", "", 2)};
  t.rows = {{std::string("=SUM(A1:A9)"), -5.0}, {std::string("+86 24 1234"), Cell{}},
            {std::string("-cmd"), Cell{}},      {std::string("@import"), Cell{}},
            {std::string("\tx"), Cell{}},       {std::string("=1,2"), Cell{}},
            {std::string("a=b"), Cell{}},       {std::string("'quoted"), Cell{}}};
  EXPECT_EQ(ToCsv(t),
            "s,v\n"
            "'=SUM(A1:A9),-5\n"
            "'+86 24 1234,\n"
            "'-cmd,\n"
            "'@import,\n"
            "'\tx,\n"
            "\"'=1,2\",\n"
            "a=b,\n"
            "'quoted,\n");
  // Headers are text too.
  t.columns[0].key = "=cmd";
  EXPECT_EQ(ToCsv(t).substr(0, 8), "'=cmd,v\n");
}

TEST(CsvTest, NotesOnlyWithNotes) {
  Table t = EnergyTable();
  t.notes = {"来源 / Source: demo", "two\r\nlines"};
  EXPECT_THAT(ToCsv(t), Not(HasSubstr("Source")));
  const std::string csv = ToCsv(t, HeaderStyle::kKeys, true);
  EXPECT_THAT(csv, testing::EndsWith(",0,\n# 来源 / Source: demo\n# two\n# lines\n"));
}

TEST(CsvTest, ShortRowsArePaddedAndLongRowsCut) {
  Table t;
  t.columns = {TextColumn("a", "a", "a"), TextColumn("b", "b", "b"), TextColumn("c", "c", "c")};
  t.rows = {{std::string("x")}, {std::string("1"), std::string("2"), std::string("3"), 4.0}};
  EXPECT_EQ(ToCsv(t), "a,b,c\nx,,\n1,2,3\n");
}

// ---- JSON ------------------------------------------------------------------------------------

TEST(JsonTest, RoundTripsThroughNlohmann) {
  const Table t = EnergyTable();
  const auto j = nlohmann::json::parse(ToJson(t));
  EXPECT_EQ(j["title"]["zh"], "能耗汇总");
  EXPECT_EQ(j["title"]["en"], "Energy summary");
  ASSERT_EQ(j["columns"].size(), 3u);
  EXPECT_EQ(j["columns"][1]["key"], "energy_tce");
  EXPECT_EQ(j["columns"][1]["name_zh"], "综合能耗");
  EXPECT_EQ(j["columns"][1]["name_en"], "Comprehensive energy consumption");
  EXPECT_EQ(j["columns"][1]["unit"], "tce");
  EXPECT_EQ(j["columns"][1]["type"], "number");
  EXPECT_EQ(j["columns"][1]["decimals"], 2);
  EXPECT_EQ(j["columns"][0]["type"], "text");
  EXPECT_EQ(j["columns"][2]["type"], "integer");
  ASSERT_EQ(j["rows"].size(), t.rows.size());
  for (size_t r = 0; r < t.rows.size(); ++r) {
    ASSERT_EQ(j["rows"][r].size(), 3u);
    for (size_t c = 0; c < 3; ++c) {
      const Cell& cell = t.rows[r][c];
      const auto& v = j["rows"][r][c];
      if (const auto* s = std::get_if<std::string>(&cell)) {
        EXPECT_EQ(v.get<std::string>(), *s);
      } else if (const auto* d = std::get_if<double>(&cell); d != nullptr && std::isfinite(*d)) {
        ASSERT_TRUE(v.is_number()) << r << "," << c;
        EXPECT_EQ(v.get<double>(), *d);
      } else {
        EXPECT_TRUE(v.is_null()) << r << "," << c;
      }
    }
  }
  // Integral values of integer columns are JSON integers.
  EXPECT_TRUE(j["rows"][0][2].is_number_integer());
  EXPECT_EQ(j["rows"][0][2].get<int64_t>(), 12);
  EXPECT_TRUE(j["rows"][0][1].is_number_float());
  EXPECT_EQ(j["notes"], nlohmann::json::array({t.notes[0]}));
  // Keys in the documented order.
  const std::string text = ToJson(t);
  EXPECT_LT(text.find("\"title\""), text.find("\"columns\""));
  EXPECT_LT(text.find("\"columns\""), text.find("\"rows\""));
  EXPECT_LT(text.find("\"rows\""), text.find("\"notes\""));
}

TEST(JsonTest, FullPrecisionAndInvalidUtf8) {
  Table t;
  t.columns = {NumberColumn("v", "v", "v", "", 2), TextColumn("s", "s", "s")};
  t.rows = {{1.0 / 3.0, std::string("ok \xFF\xFE end")}};
  std::string json;
  ASSERT_NO_THROW(json = ToJson(t));
  const auto j = nlohmann::json::parse(json);
  EXPECT_EQ(j["rows"][0][0].get<double>(), 1.0 / 3.0);
  EXPECT_EQ(j["rows"][0][1], "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
}

// ---- XLSX ------------------------------------------------------------------------------------

std::string Shell(const std::string& cmd) {
  std::string out;
  std::FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  EXPECT_EQ(rc, 0) << cmd;
  return out;
}

// An .xlsx written to a temp file and read with Python's zipfile (which also checks the CRCs).
class Unzipped {
 public:
  explicit Unzipped(const std::string& bytes) {
    static std::atomic<int> counter{0};
    path_ = ::testing::TempDir() + "/report_test_" + std::to_string(getpid()) + "_" +
            std::to_string(counter++) + ".xlsx";
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~Unzipped() { std::remove(path_.c_str()); }

  std::string Read(const std::string& member) const {
    return Shell(
        "python3 -c 'import sys, zipfile\n"
        "z = zipfile.ZipFile(sys.argv[1])\n"
        "assert z.testzip() is None\n"
        "sys.stdout.buffer.write(z.read(sys.argv[2]))' '" +
        path_ + "' '" + member + "'");
  }
  std::string Names() const {
    return Shell(
        "python3 -c 'import sys, zipfile\n"
        "print(\"\\n\".join(zipfile.ZipFile(sys.argv[1]).namelist()))' '" +
        path_ + "'");
  }

 private:
  std::string path_;
};

TEST(XlsxTest, NumbersAreNumericCellsAndHeaderIsBilingual) {
  auto xlsx = ToXlsx(EnergyTable());
  ASSERT_TRUE(xlsx.ok()) << xlsx.error().ToString();
  ASSERT_GT(xlsx->size(), 4u);
  EXPECT_EQ(xlsx->substr(0, 4), std::string("PK\x03\x04", 4));

  Unzipped zip(*xlsx);
  const std::string sheet = zip.Read("xl/worksheets/sheet1.xml");
  const std::string strings = zip.Read("xl/sharedStrings.xml");
  EXPECT_THAT(sheet, HasSubstr("<v>1234.5</v>"));
  EXPECT_THAT(sheet, HasSubstr("<v>0.1</v>"));
  EXPECT_THAT(sheet, HasSubstr("<v>12</v>"));
  EXPECT_THAT(sheet, HasSubstr("<c r=\"B2\" s=\"2\"><v>1234.5</v></c>"));
  // Frozen header and autofilter over the table.
  EXPECT_THAT(sheet, HasSubstr("ySplit=\"1\""));
  EXPECT_THAT(sheet, HasSubstr("<autoFilter ref=\"A1:C5\"/>"));
  // NaN, infinity and monostate are blank: rows 4 and 5 hold only the text cell and 0.
  EXPECT_THAT(sheet, Not(HasSubstr("nan")));
  EXPECT_THAT(sheet, Not(HasSubstr("inf")));
  EXPECT_THAT(sheet, Not(HasSubstr("r=\"B4\"")));
  EXPECT_THAT(sheet, Not(HasSubstr("r=\"C5\"")));
  EXPECT_THAT(sheet, HasSubstr("<c r=\"B5\" s=\"2\"><v>0</v></c>"));

  EXPECT_THAT(strings, HasSubstr("企业 / Enterprise"));
  EXPECT_THAT(strings, HasSubstr("综合能耗 / Comprehensive energy consumption (tce)"));
  EXPECT_THAT(strings, HasSubstr("沈北一号"));
  // The note sits under the table, one empty row below the last data row (row 5).
  EXPECT_THAT(strings, HasSubstr("折标系数"));
  EXPECT_THAT(sheet, HasSubstr("<row r=\"7\""));
  EXPECT_THAT(sheet, Not(HasSubstr("<row r=\"6\"")));

  const std::string styles = zip.Read("xl/styles.xml");
  EXPECT_THAT(styles, HasSubstr("formatCode=\"#,##0.00\""));
  EXPECT_THAT(styles, HasSubstr("<b/>"));
  EXPECT_THAT(zip.Read("xl/workbook.xml"), HasSubstr("<sheet name=\"Energy summary\""));
  EXPECT_THAT(zip.Read("docProps/core.xml"), HasSubstr("能耗汇总 / Energy summary"));
}

TEST(XlsxTest, TwoSheetsWithUniqueSanitisedNames) {
  Table a = EnergyTable();
  Table b = EnergyTable();
  b.title_en = "CO2 [2024]: scope 1/2 & more, by enterprise and month";
  b.rows = {{std::string("沈北二号"), 98.25, 1.0}};
  Table c = b;  // same title: the name gets a suffix
  Table d;      // no title at all
  d.columns = {TextColumn("k", "键", "Key")};
  auto xlsx = ToXlsx(std::vector<Table>{a, b, c, d});
  ASSERT_TRUE(xlsx.ok()) << xlsx.error().ToString();
  Unzipped zip(*xlsx);
  const std::string names = zip.Names();
  EXPECT_THAT(names, HasSubstr("xl/worksheets/sheet1.xml"));
  EXPECT_THAT(names, HasSubstr("xl/worksheets/sheet2.xml"));
  EXPECT_THAT(names, HasSubstr("xl/worksheets/sheet4.xml"));
  const std::string workbook = zip.Read("xl/workbook.xml");
  EXPECT_THAT(workbook, HasSubstr("<sheet name=\"Energy summary\""));
  EXPECT_THAT(workbook, HasSubstr("<sheet name=\"CO2 _2024__ scope 1_2 &amp; more, b\""));
  EXPECT_THAT(workbook, HasSubstr("<sheet name=\"CO2 _2024__ scope 1_2 &amp; mor (2)\""));
  EXPECT_THAT(workbook, HasSubstr("<sheet name=\"Sheet4\""));
  EXPECT_THAT(zip.Read("xl/worksheets/sheet2.xml"), HasSubstr("<v>98.25</v>"));
}

TEST(XlsxTest, ChineseOnlyTitleNamesTheSheet) {
  Table t = EnergyTable();
  t.title_en.clear();
  auto xlsx = ToXlsx(t);
  ASSERT_TRUE(xlsx.ok()) << xlsx.error().ToString();
  EXPECT_THAT(Unzipped(*xlsx).Read("xl/workbook.xml"), HasSubstr("<sheet name=\"能耗汇总\""));
}

TEST(XlsxTest, FormulaLikeTextStaysText) {
  Table t;
  t.columns = {TextColumn("s", "内容", "Text")};
  t.rows = {{std::string("=1+1")}, {std::string("=HYPERLINK(\"http://x\",\"y\")")}};
  auto xlsx = ToXlsx(t);
  ASSERT_TRUE(xlsx.ok()) << xlsx.error().ToString();
  Unzipped zip(*xlsx);
  const std::string sheet = zip.Read("xl/worksheets/sheet1.xml");
  EXPECT_THAT(sheet, Not(HasSubstr("<f>")));
  EXPECT_THAT(sheet, HasSubstr("<c r=\"A2\" t=\"s\">"));
  EXPECT_THAT(sheet, HasSubstr("<c r=\"A3\" t=\"s\">"));
  const std::string strings = zip.Read("xl/sharedStrings.xml");
  EXPECT_THAT(strings, HasSubstr("<t>=1+1</t>"));
  EXPECT_THAT(strings, HasSubstr("<t>=HYPERLINK(\"http://x\",\"y\")</t>"));
}

TEST(XlsxTest, IntegerColumnFormatAndInvalidUtf8) {
  Table t;
  t.columns = {IntegerColumn("n", "数量", "Count"), TextColumn("s", "s", "s")};
  t.rows = {{1234567.0, std::string("bad \xC3\x28 byte")}};
  auto xlsx = ToXlsx(t);
  ASSERT_TRUE(xlsx.ok()) << xlsx.error().ToString();
  Unzipped zip(*xlsx);
  EXPECT_THAT(zip.Read("xl/styles.xml"), HasSubstr("formatCode=\"#,##0\""));
  EXPECT_THAT(zip.Read("xl/worksheets/sheet1.xml"), HasSubstr("<v>1234567</v>"));
  EXPECT_THAT(zip.Read("xl/sharedStrings.xml"), HasSubstr("bad \xEF\xBF\xBD( byte"));
}

TEST(XlsxTest, ErrorsAreStatuses) {
  auto none = ToXlsx(std::vector<Table>{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), StatusCode::kInvalidArgument);

  Table t;
  t.columns = {TextColumn("s", "s", "s")};
  t.rows = {{std::string(40000, 'x')}};
  auto too_long = ToXlsx(t);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(too_long.error().message(), HasSubstr("row 1"));

  Table wide;
  wide.columns.resize(16385);
  auto too_wide = ToXlsx(wide);
  ASSERT_FALSE(too_wide.ok());
  EXPECT_EQ(too_wide.error().code(), StatusCode::kInvalidArgument);
}

TEST(XlsxTest, LeavesNoTemporaryFiles) {
  const std::string dir = ::testing::TempDir() + "/report_tmp_" + std::to_string(getpid());
  ASSERT_EQ(Shell("mkdir -p '" + dir + "' && echo ok"), "ok\n");
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("TMPDIR", dir.c_str(), 1);
  auto xlsx = ToXlsx(EnergyTable());
  if (old != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  ASSERT_TRUE(xlsx.ok()) << xlsx.error().ToString();
  EXPECT_EQ(Shell("ls -A '" + dir + "'"), "");
  Shell("rmdir '" + dir + "'");

  setenv("TMPDIR", "/nonexistent-zp-dir", 1);
  auto failed = ToXlsx(EnergyTable());
  if (old != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), StatusCode::kInternal);
}

// ---- Text ------------------------------------------------------------------------------------

TEST(TextTest, DisplayWidthCountsCjkAsTwo) {
  EXPECT_EQ(DisplayWidth(""), 0);
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("沈北一号"), 8);
  EXPECT_EQ(DisplayWidth("한국"), 4);
  EXPECT_EQ(DisplayWidth("ＡＢ"), 4);       // fullwidth forms
  EXPECT_EQ(DisplayWidth("tCO₂e"), 5);      // subscript two is narrow
  EXPECT_EQ(DisplayWidth("e\xCC\x81"), 1);  // e + combining acute
  EXPECT_EQ(DisplayWidth("a\xFF"), 2);      // an invalid byte counts one
  EXPECT_EQ(DisplayWidth("𠀀"), 2);         // CJK extension B
}

TEST(TextTest, AlignsCjkAndNumbers) {
  Table t;
  t.title_zh = "能耗汇总";
  t.title_en = "Energy summary";
  t.columns = {TextColumn("name", "企业", "Enterprise"),
               NumberColumn("energy", "能耗", "Energy", "tce", 2),
               IntegerColumn("meters", "表计", "Meters")};
  t.rows = {{std::string("沈北一号"), 1234.5, 12.0},
            {std::string("ABC"), 0.5, 3.0},
            {std::string("a\tb"), -0.001, Cell{}},
            {Cell{}, kNaN, Cell{}}};
  t.notes = {"注：演示数据 / Note: demo data"};
  EXPECT_EQ(ToText(t, HeaderStyle::kZh),
            "能耗汇总\n"
            "企业      能耗 (tce)  表计\n"
            "--------  ----------  ----\n"
            "沈北一号     1234.50    12\n"
            "ABC             0.50     3\n"
            "a b             0.00\n"
            "\n"
            "\n"
            "注：演示数据 / Note: demo data\n");
  const std::string bilingual = ToText(t);
  EXPECT_EQ(bilingual.substr(0, bilingual.find('\n')), "能耗汇总 / Energy summary");
  EXPECT_THAT(bilingual, HasSubstr("企业 / Enterprise  能耗 / Energy (tce)  表计 / Meters\n"));
  EXPECT_THAT(bilingual, HasSubstr("沈北一号" + std::string(23, ' ') + "1234.50" +
                                   std::string(13, ' ') + "12\n"));
}

TEST(TextTest, DecimalsClampedAndTextColumnNumbers) {
  Table t;
  t.columns = {NumberColumn("v", "v", "v", "", 4), TextColumn("s", "s", "s")};
  t.rows = {{2.0 / 3.0, 0.25}};
  EXPECT_EQ(ToText(t, HeaderStyle::kKeys),
            "     v  s\n"
            "------  ----\n"
            "0.6667  0.25\n");
  t.columns[0].decimals = -3;
  EXPECT_THAT(ToText(t, HeaderStyle::kKeys), HasSubstr("\n1  0.25\n"));
}

}  // namespace
}  // namespace zp::report
