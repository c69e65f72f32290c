#pragma once

// A tabular result (energy, carbon, economic data, ...) and its exports: CSV (UTF-8 with BOM so
// Excel opens Chinese text correctly), Excel .xlsx (libxlsxwriter) and JSON. Column headers are
// bilingual ("企业 / Enterprise") or in one language. Numbers keep full precision in CSV/JSON and
// are written as numbers (not text) in .xlsx with the column's display format. Thread-compatible.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "zp/base/result.h"

namespace zp::report {

enum class ColumnType : uint8_t { kText, kNumber, kInteger };

struct Column {
  std::string key;      // machine name, used by JSON and as the CSV header in "key" mode
  std::string name_zh;  // "综合能耗"
  std::string name_en;  // "Comprehensive energy consumption"
  std::string unit;     // "tce"; shown after the name: "综合能耗 (tce)"
  ColumnType type = ColumnType::kText;
  int32_t decimals = 2;  // display decimals in .xlsx and text (CSV/JSON keep full precision)
};

// A cell: empty (no value, e.g. a figure that cannot be computed), text, or number.
using Cell = std::variant<std::monostate, std::string, double>;

struct Table {
  std::string title_zh;
  std::string title_en;
  std::vector<Column> columns;
  // Each row has columns.size() cells; the exports pad a shorter row with empty cells and ignore
  // cells beyond the last column.
  std::vector<std::vector<Cell>> rows;
  // Lines printed under the table (sources of factors, method notes), bilingual text.
  std::vector<std::string> notes;
};

enum class HeaderStyle : uint8_t { kKeys, kBilingual, kZh, kEn };

// CSV: header row per style, RFC 4180 quoting (zp::CsvField), "\n" line ends, numbers with up to
// 17 significant digits (shortest round-trip: 3.0 -> "3", 0.1 -> "0.1"), empty cells for
// monostate and for NaN/infinity. Injection guard: a text cell (or header) that starts with
// = + - @ tab or CR gets a leading single quote ("=SUM(A1)" -> "'=SUM(A1)") so that spreadsheet
// programs do not run it as a formula; number cells are never prefixed. Notes are not written
// (they would break the table for machines) unless with_notes, as trailing "# ..." lines. bom
// puts the UTF-8 byte order mark first (what Excel needs to read Chinese text correctly).
std::string ToCsv(const Table& t, HeaderStyle style = HeaderStyle::kKeys, bool with_notes = false,
                  bool bom = false);
// JSON: {"title": {"zh":..,"en":..}, "columns": [{"key","name_zh","name_en","unit","type"
// ("text"|"number"|"integer"),"decimals"}], "rows": [[...]], "notes": [...]}. Cells are null
// (monostate, NaN, infinity), strings or numbers (shortest round-trip; integral values of kInteger
// columns as JSON integers). Invalid UTF-8 is replaced by U+FFFD.
std::string ToJson(const Table& t);
// .xlsx bytes: one sheet named by the English title (else the Chinese one, else "SheetN";
// characters []:*?/\ replaced, <= 31 chars, made unique), a bold bilingual header row on row 1,
// frozen header and autofilter, number formats by column ("#,##0.00" for kNumber with decimals 2,
// "#,##0" for kInteger), column widths fitted, notes below the table after one empty row; a
// second sheet per extra table when called with several. Numbers are numeric cells; NaN/infinity
// and monostate are blank; text is always a string cell, never a formula (so "=1+1" stays text).
// Error (kInvalidArgument) when a table exceeds Excel's limits (1,048,576 rows, 16,384 columns,
// 32,767 characters per cell) or no table is given; kInternal when libxlsxwriter or the temporary
// file fails.
Result<std::string> ToXlsx(const Table& t);
Result<std::string> ToXlsx(const std::vector<Table>& sheets);
// Aligned plain text for terminals (CJK characters count as two columns, see DisplayWidth): the
// title per style, the header, a dashed rule, the rows, then the notes. Text is left-aligned,
// numbers right-aligned with the column's decimals (0 for kInteger). Line breaks, tabs and other
// control characters in cells are shown as spaces.
std::string ToText(const Table& t, HeaderStyle style = HeaderStyle::kBilingual);

// Header text of a column per style: kKeys "energy_tce"; kBilingual "综合能耗 / Comprehensive
// energy consumption (tce)"; kZh "综合能耗 (tce)"; kEn "Comprehensive energy consumption (tce)".
// An empty name falls back to the other language, then to the key; an empty unit is left out.
std::string HeaderText(const Column& c, HeaderStyle style);

// Terminal display width of UTF-8 text: East Asian wide and fullwidth characters (U+1100..U+115F,
// U+2E80..U+A4CF, U+AC00..U+D7A3, U+F900..U+FAFF, U+FE30..U+FE4F, U+FF00..U+FF60,
// U+FFE0..U+FFE6, U+20000..U+3FFFD) count 2, control characters and combining marks 0, any other
// code point or invalid byte 1.
int32_t DisplayWidth(std::string_view utf8);

}  // namespace zp::report
