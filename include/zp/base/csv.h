#pragma once

// RFC 4180 CSV for the registry, enterprise-data and reference-data importers: a record reader,
// a header mapper and the matching cell writer. (The ingest module's reading parser is separate.)
// A CsvReader borrows its text and is used by one thread; the free functions are pure.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"

namespace zp {

// One record. When `error` is set the record is malformed and `cells` holds what came before.
struct CsvRow {
  std::vector<std::string> cells;
  int32_t line = 0;   // 1-based line on which the record starts
  std::string error;  // e.g. "unexpected character after the closing quote of cell 2"

  // No error and every cell empty: an empty line, blanks only, or only commas.
  bool IsBlank() const;
  // InvalidArgument with `error`, or "expected N cells, got M" when the count differs.
  Status CheckCells(size_t expected) const;
};

struct CsvOptions {
  // Skip lines whose first character other than spaces and tabs is '#' (between records only).
  bool hash_comments = false;
};

// Splits text into records: an optional UTF-8 BOM is dropped; line ends are CRLF, LF or a lone CR;
// a cell starting with '"' (after blanks) is quoted and may hold commas, line breaks and "" for a
// quote; unquoted cells are trimmed of spaces and tabs. Line numbers count the line breaks inside
// quoted cells. A malformed record sets CsvRow::error; reading goes on at the next line (an
// unterminated quote takes the rest of the text).
class CsvReader {
 public:
  explicit CsvReader(std::string_view text, CsvOptions options = {});

  // Reads the next record into *row (reusing its storage); false at the end of the text.
  bool Next(CsvRow* row);

 private:
  bool AtLineEnd() const { return text_[pos_] == '\n' || text_[pos_] == '\r'; }
  void SkipBlanks();
  void EndLine();  // consumes one line end at pos_, if any
  bool ReadQuoted(std::string* cell);

  std::string_view text_;
  CsvOptions options_;
  size_t pos_ = 0;
  int32_t line_ = 1;
};

// A column an importer accepts. Entries sharing an id are aliases; the first one is the column's
// name in messages. A column is required when any of its entries is.
struct CsvColumn {
  std::string_view name;  // lower case ASCII
  int32_t id = 0;
  bool required = false;
};

// The column id of each cell of `header`, matched case-insensitively after trimming and
// UnguardCsvCell. Errors (InvalidArgument, message without location): "column N has no name",
// "unknown column 'x' (known: a, b)", "column a appears twice", "missing column a".
Result<std::vector<int32_t>> MapCsvHeader(const CsvRow& header, std::span<const CsvColumn> columns);

// Reads up to the first non-blank record of *reader and maps it with MapCsvHeader. Errors read
// "<what>: no header row" or "<what>, header on line N: <problem>".
Result<std::vector<int32_t>> ReadCsvHeader(CsvReader* reader, std::span<const CsvColumn> columns,
                                           std::string_view what);

// Spreadsheets run a cell starting with = + - or @ as a formula. AppendCsvCell writes such text
// with a leading apostrophe (and one more before text that starts with ' and one of those, or
// with ''); UnguardCsvCell drops it again, so that any text round-trips.
std::string_view UnguardCsvCell(std::string_view cell);

// Appends `text` as one guarded cell, quoted (quotes doubled) when it holds a comma, quote or line
// break or starts or ends with a space or tab.
void AppendCsvCell(std::string* out, std::string_view text);

// Appends the shortest text that reads back as `v` (std::to_chars).
void AppendCsvNumber(std::string* out, double v);

// `text` for an error message: in single quotes, valid UTF-8 kept, control characters and invalid
// bytes shown as \xNN, cut with "..." after 48 bytes.
std::string QuoteForMessage(std::string_view text);

}  // namespace zp
