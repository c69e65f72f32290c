#pragma once

// Import and export of the park registry as CSV (RFC 4180; UTF-8, optional byte-order mark, CRLF
// or LF): one file per kind, a header row naming the columns in any order. Parsing keeps going
// after a bad row: valid rows come back normalised and validated with the line they started on,
// bad rows as RegistryRowError naming line, column and reason. Pure functions, thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/model/registry.h"

namespace zp::model {

struct RegistryRowError {
  int32_t line = 0;    // 1-based line of the text on which the row starts
  std::string reason;  // e.g. "column unit: unit m3 does not fit carrier electricity (...)"
  // "line 4: column unit: ..."
  std::string ToString() const;
  bool operator==(const RegistryRowError&) const = default;
};

template <typename T>
struct RegistryCsv {
  std::vector<T> records;      // valid rows, in file order
  std::vector<int32_t> lines;  // line of each record (same index)
  std::vector<RegistryRowError> errors;
};

// Columns (* = the header must have it; the others may be absent):
//   zones:       code*, name*, officer, officer_contact
//   enterprises: credit_code*, name*, industry_code*, land_area_mu, zone, key_energy_user
//                (key_energy_user: true/false/1/0/是/否/yes/no)
//   meters:      code*, carrier*, name, enterprise, unit, kind, flow, interval_s,
//                register_digits, multiplier, parent, formula
// Column names are case-insensitive. An empty cell takes the struct's default, except that a
// meter's unit defaults to its carrier's canonical unit. Unquoted cells are trimmed of spaces and
// tabs. A cell written as ' followed by = + - @ or ' loses that apostrophe (see ToCsv). Blank rows
// are skipped. A code that repeats an earlier row's is a row error. Problems with the file as a
// whole (no header row, unknown, duplicate or missing column) are the Result's error.
Result<RegistryCsv<Zone>> ParseZonesCsv(std::string_view text);
Result<RegistryCsv<Enterprise>> ParseEnterprisesCsv(std::string_view text);
Result<RegistryCsv<Meter>> ParseMetersCsv(std::string_view text);

// Writes a header row with every column and one row per record, LF line ends, no byte-order mark
// (prepend "\xEF\xBB\xBF" for Excel). Cells are quoted when needed; a text cell starting with
// = + - or @ gets a leading apostrophe so spreadsheets do not run it as a formula (as does text
// starting with ' and one of = + - @ '). Parsing the
// output of valid records gives them back unchanged (ids are not written).
std::string ToCsv(std::span<const Zone> zones);
std::string ToCsv(std::span<const Enterprise> enterprises);
std::string ToCsv(std::span<const Meter> meters);

}  // namespace zp::model
