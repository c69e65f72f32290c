#include "zp/refdata/refdata.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "embedded_data.h"
#include "zp/base/csv.h"
#include "zp/base/strings.h"
#include "zp/base/time.h"

namespace zp::refdata {
namespace {

constexpr int32_t kOpenStart = INT32_MIN;
constexpr int32_t kOpenEnd = INT32_MAX;
constexpr std::string_view kLayerBuiltin = "builtin";
constexpr std::string_view kLayerPark = "park";
constexpr std::string_view kParkOrigin = "park rows";
constexpr std::string_view kConfidencePark = "PARK";
constexpr std::string_view kConfidenceMarks[] = {"OFFICIAL",    "OFFICIAL-QUOTED", "SECONDARY",
                                                 "UNCONFIRMED", "COMPUTED",        "PARK"};

// The factor files and the table each one holds.
struct FactorFile {
  std::string_view name;
  std::string_view table;
};
constexpr FactorFile kFactorFiles[] = {
    {"tce_coefficients.csv", kTce},
    {"grid_emission_factors.csv", kGridEf},
    {"fuel_parameters.csv", kFuel},
    {"heat_factors.csv", kHeat},
};
constexpr std::string_view kProvincesFile = "provinces.csv";
constexpr std::string_view kGridRegionsFile = "grid_regions.csv";

enum Column : int {
  kColId,
  kColTable,
  kColDataset,
  kColItem,
  kColVariant,
  kColRegion,
  kColValue,
  kColUnit,
  kColValidFrom,
  kColValidTo,
  kColSource,
  kColConfidence,
  kColNote,
  kColumnCount,
};
constexpr std::array<std::string_view, kColumnCount> kFactorColumns = {
    "id",   "table",      "dataset",  "item",   "variant",    "region", "value",
    "unit", "valid_from", "valid_to", "source", "confidence", "note"};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsBlank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// ---- CSV reading ------------------------------------------------------------------------------

// The records of `text` (see CsvReader), skipping blank lines and lines starting with '#'. The
// first malformed record is the error.
Result<std::vector<CsvRow>> ReadCsv(std::string_view text, std::string_view origin) {
  CsvReader reader(text, {.hash_comments = true});
  std::vector<CsvRow> records;
  CsvRow row;
  while (reader.Next(&row)) {
    if (!row.error.empty()) {
      return InvalidArgumentError(fmt::format("{} line {}: {}", origin, row.line, row.error));
    }
    if (row.cells.size() == 1 && row.cells[0].empty()) continue;  // blank line
    records.push_back(std::move(row));
  }
  return records;
}

// Column positions of `wanted` in the header record; error naming a missing or repeated column.
Result<std::vector<int>> MapHeader(const CsvRow& header, std::span<const std::string_view> wanted,
                                   std::string_view origin) {
  std::vector<int> index(wanted.size(), -1);
  for (size_t c = 0; c < header.cells.size(); ++c) {
    for (size_t w = 0; w < wanted.size(); ++w) {
      if (header.cells[c] != wanted[w]) continue;
      if (index[w] >= 0) {
        return InvalidArgumentError(
            fmt::format("{} line {}: column '{}' appears twice", origin, header.line, wanted[w]));
      }
      index[w] = static_cast<int>(c);
    }
  }
  for (size_t w = 0; w < wanted.size(); ++w) {
    if (index[w] < 0) {
      return InvalidArgumentError(fmt::format("{} line {}: header lacks column '{}' (expected: {})",
                                              origin, header.line, wanted[w],
                                              fmt::join(wanted, ",")));
    }
  }
  return index;
}

Status CheckFieldCount(const CsvRow& r, size_t expected, std::string_view origin) {
  if (r.cells.size() == expected) return Status::OK();
  return InvalidArgumentError(
      fmt::format("{} line {}: {} fields, the header has {} (an unquoted comma inside a field?)",
                  origin, r.line, r.cells.size(), expected));
}

Status FieldError(std::string_view origin, int line, std::string_view field, std::string message) {
  return InvalidArgumentError(
      fmt::format("{} line {}, field '{}': {}", origin, line, field, message));
}

bool HasControlChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// ---- Factor units ------------------------------------------------------------------------------

enum class Kind : uint8_t {
  kCoalEquivalent,
  kCo2,
  kCarbon,
  kEnergy,
  kVolume,
  kMass,
  kReactive,
  kOne
};

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kCoalEquivalent:
      return "coal equivalent";
    case Kind::kCo2:
      return "CO2 mass";
    case Kind::kCarbon:
      return "carbon mass";
    case Kind::kEnergy:
      return "energy";
    case Kind::kVolume:
      return "volume";
    case Kind::kMass:
      return "mass";
    case Kind::kReactive:
      return "reactive energy";
    case Kind::kOne:
      return "dimensionless";
  }
  return "?";
}

struct UnitPart {
  Kind kind;
  double to_base;  // coal equivalent: tce; CO2, carbon, mass: t; energy: kWh; volume: m3
};

struct NamedPart {
  std::string_view symbol;
  UnitPart part;
};

constexpr double kKwhPerGj = 1e9 / 3.6e6;

constexpr NamedPart kNumerators[] = {
    {"gce", {Kind::kCoalEquivalent, 1e-6}},
    {"kgce", {Kind::kCoalEquivalent, 1e-3}},
    {"tce", {Kind::kCoalEquivalent, 1.0}},
    {"kgCO2", {Kind::kCo2, 1e-3}},
    {"tCO2", {Kind::kCo2, 1.0}},
    {"kgC", {Kind::kCarbon, 1e-3}},
    {"tC", {Kind::kCarbon, 1.0}},
    {"kJ", {Kind::kEnergy, kKwhPerGj * 1e-6}},
    {"MJ", {Kind::kEnergy, kKwhPerGj * 1e-3}},
    {"GJ", {Kind::kEnergy, kKwhPerGj}},
    {"TJ", {Kind::kEnergy, kKwhPerGj * 1e3}},
    {"kWh", {Kind::kEnergy, 1.0}},
    {"MWh", {Kind::kEnergy, 1e3}},
    {"1", {Kind::kOne, 1.0}},
};

// Denominators beyond units::FindUnit.
constexpr NamedPart kExtraDenominators[] = {
    {"10^4Nm3", {Kind::kVolume, 1e4}},        {"10^4m3", {Kind::kVolume, 1e4}},
    {"10^4kWh", {Kind::kEnergy, 1e4}},        {"kJ", {Kind::kEnergy, kKwhPerGj * 1e-6}},
    {"TJ", {Kind::kEnergy, kKwhPerGj * 1e3}}, {"1", {Kind::kOne, 1.0}},
};

std::string KnownNumerators() {
  std::string s;
  for (const NamedPart& p : kNumerators) {
    if (!s.empty()) s += ", ";
    s += p.symbol;
  }
  return s;
}

Result<UnitPart> ParseNumerator(std::string_view s) {
  for (const NamedPart& p : kNumerators) {
    if (EqualsIgnoreAsciiCase(p.symbol, s)) return p.part;
  }
  return InvalidArgumentError(
      fmt::format("unknown factor numerator '{}' (known: {})", s, KnownNumerators()));
}

Result<UnitPart> ParseDenominator(std::string_view s) {
  if (s.empty()) return UnitPart{Kind::kOne, 1.0};
  for (const NamedPart& p : kExtraDenominators) {
    if (EqualsIgnoreAsciiCase(p.symbol, s)) return p.part;
  }
  Result<const units::Unit*> unit = units::FindUnit(s);
  if (!unit.ok()) {
    return InvalidArgumentError(fmt::format(
        "unknown factor denominator '{}' (known: the meter units such as kWh, MWh, GJ, m3, t, kg, "
        "plus 10^4Nm3, 10^4m3, 10^4kWh, kJ, TJ, 1)",
        s));
  }
  Kind kind = Kind::kEnergy;
  switch ((*unit)->dimension) {
    case units::Dimension::kEnergy:
      kind = Kind::kEnergy;
      break;
    case units::Dimension::kVolume:
      kind = Kind::kVolume;
      break;
    case units::Dimension::kMass:
      kind = Kind::kMass;
      break;
    case units::Dimension::kReactiveEnergy:
      kind = Kind::kReactive;
      break;
  }
  return UnitPart{kind, (*unit)->to_base};
}

struct FactorUnit {
  UnitPart numerator;
  UnitPart denominator;
};

// "numerator/denominator" or a bare numerator ("1").
Result<FactorUnit> ParseFactorUnit(std::string_view unit) {
  const size_t slash = unit.find('/');
  std::string_view num = unit.substr(0, slash);
  std::string_view den =
      slash == std::string_view::npos ? std::string_view{} : unit.substr(slash + 1);
  if (slash != std::string_view::npos && den.empty()) {
    return InvalidArgumentError(fmt::format("unit '{}' has nothing after '/'", unit));
  }
  ZP_ASSIGN_OR_RETURN(UnitPart n, ParseNumerator(num));
  ZP_ASSIGN_OR_RETURN(UnitPart d, ParseDenominator(den));
  return FactorUnit{n, d};
}

// ---- Values and dates --------------------------------------------------------------------------

Result<double> ParseNumber(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return InvalidArgumentError("not a number");
  }
  return v;
}

std::string FormatNumber(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

std::string DayOrOpen(int32_t day) {
  return (day == kOpenStart || day == kOpenEnd) ? std::string("open") : FormatDay(day);
}

// ---- Parsed rows with their origin -------------------------------------------------------------

struct Located {
  FactorRow row;
  std::string origin;
  int line = 0;
};

std::string Where(const Located& l) { return fmt::format("{} line {}", l.origin, l.line); }

Result<std::vector<Located>> ParseFactorRows(std::string_view csv, std::string_view origin) {
  ZP_ASSIGN_OR_RETURN(std::vector<CsvRow> records, ReadCsv(csv, origin));
  std::vector<Located> rows;
  if (records.empty()) return rows;
  ZP_ASSIGN_OR_RETURN(std::vector<int> col, MapHeader(records[0], kFactorColumns, origin));
  rows.reserve(records.size() - 1);
  for (size_t i = 1; i < records.size(); ++i) {
    CsvRow& r = records[i];
    ZP_RETURN_IF_ERROR(CheckFieldCount(r, records[0].cells.size(), origin));
    auto get = [&](Column c) -> std::string& { return r.cells[col[c]]; };
    auto error = [&](Column c, std::string message) {
      return FieldError(origin, r.line, kFactorColumns[c], std::move(message));
    };
    for (Column c :
         {kColId, kColTable, kColItem, kColValue, kColUnit, kColSource, kColConfidence}) {
      if (get(c).empty()) return error(c, "is empty");
    }
    for (Column c : {kColId, kColTable, kColItem, kColVariant, kColRegion}) {
      if (HasControlChar(get(c))) return error(c, "holds a control character");
    }
    Located l;
    l.origin = std::string(origin);
    l.line = r.line;
    FactorRow& row = l.row;
    Result<double> value = ParseNumber(get(kColValue));
    if (!value.ok()) return error(kColValue, fmt::format("'{}' is not a number", get(kColValue)));
    row.value = *value;
    Result<FactorUnit> unit = ParseFactorUnit(get(kColUnit));
    if (!unit.ok()) return error(kColUnit, unit.error().message());
    row.valid_from_day = kOpenStart;
    row.valid_to_day = kOpenEnd;
    if (!get(kColValidFrom).empty()) {
      Result<int32_t> d = ParseDay(get(kColValidFrom));
      if (!d.ok()) return error(kColValidFrom, d.error().message());
      row.valid_from_day = *d;
    }
    if (!get(kColValidTo).empty()) {
      Result<int32_t> d = ParseDay(get(kColValidTo));
      if (!d.ok()) return error(kColValidTo, d.error().message());
      row.valid_to_day = *d;
    }
    if (row.valid_from_day >= row.valid_to_day) {
      return error(kColValidTo, fmt::format("{} is not after valid_from {}", get(kColValidTo),
                                            get(kColValidFrom)));
    }
    std::string_view mark;
    for (std::string_view m : kConfidenceMarks) {
      if (EqualsIgnoreAsciiCase(m, get(kColConfidence))) mark = m;
    }
    if (mark.empty()) {
      return error(kColConfidence, fmt::format("'{}' is not one of {}", get(kColConfidence),
                                               fmt::join(kConfidenceMarks, ", ")));
    }
    row.confidence = std::string(mark);
    row.id = std::move(get(kColId));
    row.table = std::move(get(kColTable));
    row.dataset = std::move(get(kColDataset));
    row.item = std::move(get(kColItem));
    row.variant = std::move(get(kColVariant));
    row.region = std::move(get(kColRegion));
    row.unit = std::move(get(kColUnit));
    row.source = std::move(get(kColSource));
    row.note = std::move(get(kColNote));
    rows.push_back(std::move(l));
  }
  return rows;
}

// A field for FactorRowsToCsv: quoted also when the reader would otherwise change it (leading or
// trailing blanks are trimmed, a leading '#' starts a comment).
std::string WriteField(std::string_view s) {
  if (!s.empty() && (IsBlank(s.front()) || IsBlank(s.back()) || s.front() == '#' ||
                     s.front() == '"' || s.back() == '\r')) {
    return CsvQuoted(s);
  }
  return CsvField(s);
}

// ---- Provinces and grid regions ----------------------------------------------------------------

Result<std::vector<GridRegion>> ParseGridRegions(std::string_view csv, std::string_view origin) {
  static constexpr std::string_view kColumns[] = {"code", "name_zh", "name_en"};
  ZP_ASSIGN_OR_RETURN(std::vector<CsvRow> records, ReadCsv(csv, origin));
  std::vector<GridRegion> out;
  if (records.empty()) return out;
  ZP_ASSIGN_OR_RETURN(std::vector<int> col, MapHeader(records[0], kColumns, origin));
  for (size_t i = 1; i < records.size(); ++i) {
    CsvRow& r = records[i];
    ZP_RETURN_IF_ERROR(CheckFieldCount(r, records[0].cells.size(), origin));
    for (int c = 0; c < 3; ++c) {
      if (r.cells[col[c]].empty()) return FieldError(origin, r.line, kColumns[c], "is empty");
    }
    GridRegion g{r.cells[col[0]], r.cells[col[1]], r.cells[col[2]]};
    for (const GridRegion& other : out) {
      if (other.code == g.code) {
        return FieldError(origin, r.line, "code", fmt::format("'{}' appears twice", g.code));
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

Result<std::vector<Province>> ParseProvinces(std::string_view csv, std::string_view origin,
                                             std::span<const GridRegion> regions) {
  static constexpr std::string_view kColumns[] = {"code", "name_zh", "name_en", "grid_region"};
  ZP_ASSIGN_OR_RETURN(std::vector<CsvRow> records, ReadCsv(csv, origin));
  std::vector<Province> out;
  if (records.empty()) return out;
  ZP_ASSIGN_OR_RETURN(std::vector<int> col, MapHeader(records[0], kColumns, origin));
  for (size_t i = 1; i < records.size(); ++i) {
    CsvRow& r = records[i];
    ZP_RETURN_IF_ERROR(CheckFieldCount(r, records[0].cells.size(), origin));
    for (int c = 0; c < 4; ++c) {
      if (r.cells[col[c]].empty()) return FieldError(origin, r.line, kColumns[c], "is empty");
    }
    Province p{r.cells[col[0]], r.cells[col[1]], r.cells[col[2]], r.cells[col[3]]};
    for (const Province& other : out) {
      if (other.code == p.code) {
        return FieldError(origin, r.line, "code", fmt::format("'{}' appears twice", p.code));
      }
    }
    if (std::none_of(regions.begin(), regions.end(),
                     [&](const GridRegion& g) { return g.code == p.grid_region; })) {
      return FieldError(origin, r.line, "grid_region",
                        fmt::format("'{}' is not a code of grid_regions.csv", p.grid_region));
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Chinese administrative suffixes, longest first.
constexpr std::string_view kProvinceSuffixes[] = {"维吾尔自治区", "壮族自治区", "回族自治区",
                                                  "自治区",       "省",         "市"};
constexpr std::string_view kGridRegionSuffixes[] = {"区域电网", "电网", "区域", "地区"};

std::string_view StripSuffix(std::string_view s, std::span<const std::string_view> suffixes) {
  for (std::string_view suffix : suffixes) {
    if (s.size() > suffix.size() && s.ends_with(suffix))
      return s.substr(0, s.size() - suffix.size());
  }
  return s;
}

// ---- Index ---------------------------------------------------------------------------------

// Key of the index: the four key fields joined by the unit separator (which no key field holds:
// control characters are refused when parsing).
constexpr char kKeySeparator = '\x1f';

std::string JoinKey(std::string_view table, std::string_view item, std::string_view variant,
                    std::string_view region) {
  std::string key;
  key.reserve(table.size() + item.size() + variant.size() + region.size() + 3);
  key.append(table).push_back(kKeySeparator);
  key.append(item).push_back(kKeySeparator);
  key.append(variant).push_back(kKeySeparator);
  key.append(region);
  return key;
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Entry {
  int32_t from;
  int32_t to;
  bool park;
  const FactorRow* row;
};

// Entries of one key: park rows first, then by valid_from descending (then id), so the first
// entry in force is the one the lookup rule picks.
using Slot = std::vector<Entry>;

bool SlotOrder(const Entry& a, const Entry& b) {
  if (a.park != b.park) return a.park;
  if (a.from != b.from) return a.from > b.from;
  return a.row->id < b.row->id;
}

// The outcome of a lookup: the row, and a second row of another dataset that ties with it (same
// layer, same valid_from; only when no dataset was asked for), which makes the lookup ambiguous.
struct Pick {
  const Entry* best = nullptr;
  const Entry* tie = nullptr;
};

Pick BestInSlot(const Slot* slot, int32_t day, std::string_view dataset) {
  Pick pick;
  if (slot == nullptr) return pick;
  for (const Entry& e : *slot) {
    if (e.from > day || day >= e.to) continue;
    if (!dataset.empty() && e.row->dataset != dataset) continue;
    if (pick.best == nullptr) {
      pick.best = &e;
      if (!dataset.empty()) break;
      continue;
    }
    if (e.park == pick.best->park && e.from == pick.best->from) pick.tie = &e;
    break;
  }
  return pick;
}

bool RowsOrder(const FactorRow* a, const FactorRow* b) {
  return std::tie(a->table, a->item, a->variant, a->region, a->valid_from_day, a->layer, a->id) <
         std::tie(b->table, b->item, b->variant, b->region, b->valid_from_day, b->layer, b->id);
}

uint64_t Fnv1a64(std::string_view s, uint64_t h = 14695981039346656037ull) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string_view FileForTable(std::string_view table) {
  for (const FactorFile& f : kFactorFiles) {
    if (f.table == table) return f.name;
  }
  return {};
}

std::string MissingMessage(const FactorKey& key, std::string_view scope, int32_t day,
                           std::string_view covered) {
  const std::string_view file = FileForTable(key.table);
  const std::string where = file.empty()
                                ? std::string("import a park row (zeropark refdata import)")
                                : fmt::format(
                                      "add a row to data/{} or import a park row (zeropark refdata "
                                      "import)",
                                      file);
  const std::string dataset =
      key.dataset.empty() ? std::string() : fmt::format(", dataset {}", key.dataset);
  return fmt::format("no factor {}/{}/{} ({}{}) in force on {}{}; {}", key.table, key.item,
                     key.variant, scope, dataset, FormatDay(day), covered, where);
}

}  // namespace

// ---- Public free functions ---------------------------------------------------------------------

Result<int32_t> ParseDay(std::string_view text) {
  auto digits = [&](size_t pos, size_t len, int32_t* out) {
    int32_t v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  int32_t y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(0, 4, &y) ||
      !digits(5, 2, &m) || !digits(8, 2, &d) || !IsValidDate(y, m, d)) {
    return InvalidArgumentError(fmt::format("'{}' is not a date (YYYY-MM-DD)", text));
  }
  return DaysFromCivil(y, m, d);
}

std::string FormatDay(int32_t day) {
  if (day == kOpenStart || day == kOpenEnd) return "";
  return FormatLocalDay(day);
}

Result<std::vector<FactorRow>> ParseFactorCsv(std::string_view csv, std::string_view origin) {
  ZP_ASSIGN_OR_RETURN(std::vector<Located> located, ParseFactorRows(csv, origin));
  std::vector<FactorRow> rows;
  rows.reserve(located.size());
  for (Located& l : located) rows.push_back(std::move(l.row));
  return rows;
}

std::string FactorRowsToCsv(std::span<const FactorRow> rows) {
  std::string out;
  for (size_t c = 0; c < kFactorColumns.size(); ++c) {
    if (c > 0) out += ',';
    out += kFactorColumns[c];
  }
  out += '\n';
  for (const FactorRow& r : rows) {
    const std::string fields[kColumnCount] = {r.id,
                                              r.table,
                                              r.dataset,
                                              r.item,
                                              r.variant,
                                              r.region,
                                              FormatNumber(r.value),
                                              r.unit,
                                              FormatDay(r.valid_from_day),
                                              FormatDay(r.valid_to_day),
                                              r.source,
                                              r.confidence,
                                              r.note};
    for (int c = 0; c < kColumnCount; ++c) {
      if (c > 0) out += ',';
      out += WriteField(fields[c]);
    }
    out += '\n';
  }
  return out;
}

Result<double> ConvertFactor(const FactorRow& row, std::string_view numerator,
                             std::string_view per) {
  Result<FactorUnit> from = ParseFactorUnit(row.unit);
  if (!from.ok()) return from.error().WithContext(fmt::format("factor {}", row.id));
  Result<UnitPart> to_num = ParseNumerator(numerator);
  if (!to_num.ok()) return to_num.error().WithContext(fmt::format("factor {}", row.id));
  Result<UnitPart> to_den = ParseDenominator(per == "1" ? std::string_view{} : per);
  if (!to_den.ok()) return to_den.error().WithContext(fmt::format("factor {}", row.id));
  if (from->numerator.kind != to_num->kind || from->denominator.kind != to_den->kind) {
    return InvalidArgumentError(fmt::format(
        "factor {} is in {} ({} per {}); it cannot be expressed as {} per {} ({} per {})", row.id,
        row.unit, KindName(from->numerator.kind), KindName(from->denominator.kind), numerator,
        per.empty() ? "1" : per, KindName(to_num->kind), KindName(to_den->kind)));
  }
  const double factor =
      (from->numerator.to_base / to_num->to_base) * (to_den->to_base / from->denominator.to_base);
  return row.value * factor;
}

bool IsEnergyCarrier(units::Carrier c) {
  return c != units::Carrier::kWater && c != units::Carrier::kReactiveElectricity;
}

// ---- RefData -----------------------------------------------------------------------------------

namespace {

// Everything a RefData holds (RefData::Impl is this struct).
struct State {
  std::vector<FactorRow> rows;        // effective rows; never resized after the index is built
  std::vector<FactorRow> overridden;  // built-in rows replaced by a park row of the same id
  std::vector<const FactorRow*> ordered;
  std::unordered_map<std::string, Slot, StringHash, std::equal_to<>> by_key;
  std::unordered_map<std::string_view, const FactorRow*> by_id;
  std::vector<Province> provinces;
  std::vector<GridRegion> grid_regions;
  std::string fingerprint;

  const Slot* FindSlot(std::string_view table, std::string_view item, std::string_view variant,
                       std::string_view region) const {
    char buf[256];
    const size_t len = table.size() + item.size() + variant.size() + region.size() + 3;
    auto it = by_key.end();
    if (len <= sizeof buf) {
      char* p = buf;
      for (std::string_view part : {table, item, variant}) {
        p = std::copy(part.begin(), part.end(), p);
        *p++ = kKeySeparator;
      }
      p = std::copy(region.begin(), region.end(), p);
      it = by_key.find(std::string_view(buf, len));
    } else {
      it = by_key.find(JoinKey(table, item, variant, region));
    }
    return it == by_key.end() ? nullptr : &it->second;
  }

  // The lookup rule: park layer first, then the exact region over an any-region row, then the
  // latest valid_from.
  Pick Lookup(const FactorKey& key, int32_t day) const {
    const Pick exact =
        BestInSlot(FindSlot(key.table, key.item, key.variant, key.region), day, key.dataset);
    if (key.region.empty()) return exact;
    const Pick any = BestInSlot(FindSlot(key.table, key.item, key.variant, {}), day, key.dataset);
    if (exact.best == nullptr) return any;
    if (any.best != nullptr && any.best->park && !exact.best->park) return any;
    return exact;
  }

  // "; rows of this factor cover: ..." for a NotFound message, or "".
  std::string Covered(const FactorKey& key, std::span<const std::string_view> regions) const {
    std::vector<std::string> periods;
    for (std::string_view region : regions) {
      const Slot* slot = FindSlot(key.table, key.item, key.variant, region);
      if (slot == nullptr) continue;
      for (const Entry& e : *slot) {
        periods.push_back(fmt::format("{}{} {} to {} ({})", region.empty() ? "any region" : region,
                                      e.park ? " (park)" : "", DayOrOpen(e.from), DayOrOpen(e.to),
                                      e.row->dataset.empty() ? "no dataset" : e.row->dataset));
      }
    }
    if (periods.empty()) return "";
    return fmt::format("; rows of this factor cover: {}", fmt::join(periods, ", "));
  }
};

Status AmbiguousError(const FactorKey& key, int32_t day, const Pick& pick) {
  const FactorRow& a = *pick.best->row;
  const FactorRow& b = *pick.tie->row;
  return FailedPreconditionError(fmt::format(
      "ambiguous factor {}/{}/{} (region {}) on {}: rows '{}' (dataset {}) and '{}' (dataset {}) "
      "are both in force from {}; ask for one dataset",
      key.table, key.item, key.variant, key.region.empty() ? "any" : key.region, FormatDay(day),
      a.id, a.dataset.empty() ? "none" : a.dataset, b.id, b.dataset.empty() ? "none" : b.dataset,
      DayOrOpen(a.valid_from_day)));
}

struct SourceFile {
  std::string origin;
  std::string_view content;
};

// Fills `impl` from the six data files (by name) and the park rows.
Status BuildState(const std::unordered_map<std::string_view, SourceFile>& files,
                  std::string_view park_csv, State* impl) {
  const SourceFile& regions_file = files.at(kGridRegionsFile);
  ZP_ASSIGN_OR_RETURN(impl->grid_regions,
                      ParseGridRegions(regions_file.content, regions_file.origin));
  const SourceFile& provinces_file = files.at(kProvincesFile);
  ZP_ASSIGN_OR_RETURN(impl->provinces, ParseProvinces(provinces_file.content, provinces_file.origin,
                                                      impl->grid_regions));

  std::vector<Located> builtin;
  for (const FactorFile& f : kFactorFiles) {
    const SourceFile& file = files.at(f.name);
    ZP_ASSIGN_OR_RETURN(std::vector<Located> rows, ParseFactorRows(file.content, file.origin));
    for (Located& l : rows) {
      if (l.row.table != f.table) {
        return FieldError(l.origin, l.line, "table",
                          fmt::format("'{}' in a file of table '{}'", l.row.table, f.table));
      }
      if (l.row.confidence == kConfidencePark) {
        return FieldError(l.origin, l.line, "confidence", "PARK is for park rows only");
      }
      l.row.layer = std::string(kLayerBuiltin);
      builtin.push_back(std::move(l));
    }
  }
  ZP_ASSIGN_OR_RETURN(std::vector<Located> park, ParseFactorRows(park_csv, kParkOrigin));
  for (Located& l : park) l.row.layer = std::string(kLayerPark);

  // Regions must be known, or a typo would silently never match.
  auto known_region = [&](std::string_view r) {
    if (r.empty() || r == kNational) return true;
    for (const GridRegion& g : impl->grid_regions) {
      if (g.code == r) return true;
    }
    for (const Province& p : impl->provinces) {
      if (p.code == r) return true;
    }
    return false;
  };
  // Ids are unique within a layer.
  auto check_layer = [&](const std::vector<Located>& rows) -> Status {
    std::unordered_map<std::string_view, const Located*> seen;
    for (const Located& l : rows) {
      if (!known_region(l.row.region)) {
        return FieldError(l.origin, l.line, "region",
                          fmt::format("unknown region '{}' (use CN, a grid region code such as "
                                      "northeast, a province code such as liaoning, or leave it "
                                      "empty for any region)",
                                      l.row.region));
      }
      auto [it, inserted] = seen.emplace(l.row.id, &l);
      if (!inserted) {
        return InvalidArgumentError(
            fmt::format("duplicate id '{}': {} and {}", l.row.id, Where(*it->second), Where(l)));
      }
    }
    return Status::OK();
  };
  ZP_RETURN_IF_ERROR(check_layer(builtin));
  ZP_RETURN_IF_ERROR(check_layer(park));

  // A park row replaces the built-in row of the same id.
  std::unordered_map<std::string_view, size_t> park_ids;
  for (size_t i = 0; i < park.size(); ++i) park_ids.emplace(park[i].row.id, i);
  std::vector<const Located*> effective;
  effective.reserve(builtin.size() + park.size());
  for (const Located& l : builtin) {
    if (park_ids.count(l.row.id) != 0) {
      impl->overridden.push_back(l.row);
    } else {
      effective.push_back(&l);
    }
  }
  for (const Located& l : park) effective.push_back(&l);

  // Two rows of one key, layer and dataset starting on the same day: no lookup could tell them
  // apart. (Of different datasets they are fine: a lookup names the dataset it wants.)
  {
    std::unordered_map<std::string, const Located*> starts;
    for (const Located* l : effective) {
      const FactorRow& r = l->row;
      std::string k = JoinKey(r.table, r.item, r.variant, r.region);
      k.push_back(kKeySeparator);
      k.append(r.layer).push_back(kKeySeparator);
      k.append(r.dataset).push_back(kKeySeparator);
      k.append(std::to_string(r.valid_from_day));
      auto [it, inserted] = starts.emplace(std::move(k), l);
      if (!inserted) {
        return InvalidArgumentError(fmt::format(
            "rows '{}' ({}) and '{}' ({}) are both {}/{}/{} for region '{}' in dataset '{}' "
            "starting {}: the lookup would be ambiguous; give one a later valid_from or remove it",
            it->second->row.id, Where(*it->second), r.id, Where(*l), r.table, r.item, r.variant,
            r.region, r.dataset, DayOrOpen(r.valid_from_day)));
      }
    }
  }

  impl->rows.reserve(effective.size());
  for (const Located* l : effective) impl->rows.push_back(l->row);
  for (const FactorRow& r : impl->rows) {
    impl->ordered.push_back(&r);
    impl->by_id.emplace(r.id, &r);
    impl->by_key[JoinKey(r.table, r.item, r.variant, r.region)].push_back(
        Entry{r.valid_from_day, r.valid_to_day, r.layer == kLayerPark, &r});
  }
  for (auto& [key, slot] : impl->by_key) std::sort(slot.begin(), slot.end(), SlotOrder);
  std::sort(impl->ordered.begin(), impl->ordered.end(), RowsOrder);
  std::sort(impl->overridden.begin(), impl->overridden.end(),
            [](const FactorRow& a, const FactorRow& b) { return RowsOrder(&a, &b); });

  // Fingerprint: the canonical CSV of the effective rows, then the province and region tables.
  uint64_t h = 14695981039346656037ull;
  {
    std::vector<FactorRow> canonical;
    canonical.reserve(impl->ordered.size());
    for (const FactorRow* r : impl->ordered) canonical.push_back(*r);
    h = Fnv1a64(FactorRowsToCsv(canonical), h);
  }
  for (const GridRegion& g : impl->grid_regions) {
    h = Fnv1a64(fmt::format("{}\x1f{}\x1f{}\n", g.code, g.name_zh, g.name_en), h);
  }
  for (const Province& p : impl->provinces) {
    h = Fnv1a64(fmt::format("{}\x1f{}\x1f{}\x1f{}\n", p.code, p.name_zh, p.name_en, p.grid_region),
                h);
  }
  impl->fingerprint = fmt::format("{:016x}", h);
  return Status::OK();
}

std::vector<std::string_view> DataFileNames() {
  std::vector<std::string_view> names;
  for (const FactorFile& f : kFactorFiles) names.push_back(f.name);
  names.push_back(kProvincesFile);
  names.push_back(kGridRegionsFile);
  return names;
}

}  // namespace

struct RefData::Impl : State {};

RefData::RefData(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RefData::~RefData() = default;

Result<std::shared_ptr<const RefData>> RefData::Build(std::string_view park_rows_csv) {
  std::unordered_map<std::string_view, SourceFile> files;
  for (std::string_view name : DataFileNames()) {
    for (const internal::EmbeddedFile& e : internal::EmbeddedDataFiles()) {
      if (e.name == name)
        files[name] = SourceFile{fmt::format("data/{} (built-in)", name), e.content};
    }
    if (files.count(name) == 0) {
      return InternalError(fmt::format("data/{} is not embedded in this build", name));
    }
  }
  auto impl = std::make_unique<Impl>();
  ZP_RETURN_IF_ERROR(BuildState(files, park_rows_csv, impl.get()));
  return std::shared_ptr<const RefData>(new RefData(std::move(impl)));
}

Result<std::shared_ptr<const RefData>> RefData::BuildFromDir(std::string_view dir,
                                                             std::string_view park_rows_csv) {
  std::vector<std::string> contents;
  const std::vector<std::string_view> names = DataFileNames();
  contents.reserve(names.size());
  std::unordered_map<std::string_view, SourceFile> files;
  for (std::string_view name : names) {
    std::string path = std::string(dir);
    if (!path.empty() && path.back() != '/') path += '/';
    path += name;
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFoundError(fmt::format("cannot read {}", path));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return DataLossError(fmt::format("error reading {}", path));
    contents.push_back(std::move(text).str());
    files[name] = SourceFile{path, contents.back()};
  }
  auto impl = std::make_unique<Impl>();
  ZP_RETURN_IF_ERROR(BuildState(files, park_rows_csv, impl.get()));
  return std::shared_ptr<const RefData>(new RefData(std::move(impl)));
}

Result<const FactorRow*> RefData::Find(const FactorKey& key, int32_t day) const {
  const Pick pick = impl_->Lookup(key, day);
  if (pick.tie != nullptr) return AmbiguousError(key, day, pick);
  if (pick.best != nullptr) return pick.best->row;
  std::vector<std::string_view> searched = {key.region};
  if (!key.region.empty()) searched.push_back({});
  return NotFoundError(MissingMessage(
      key, key.region.empty() ? std::string("region any") : fmt::format("region {}", key.region),
      day, impl_->Covered(key, searched)));
}

Result<const FactorRow*> RefData::FindFirst(std::string_view table, std::string_view item,
                                            std::string_view variant,
                                            std::span<const std::string> regions,
                                            int32_t day) const {
  if (regions.empty()) return Find(FactorKey{table, item, variant, {}}, day);
  for (const std::string& region : regions) {
    const FactorKey key{table, item, variant, region};
    const Pick pick = impl_->Lookup(key, day);
    if (pick.tie != nullptr) return AmbiguousError(key, day, pick);
    if (pick.best != nullptr) return pick.best->row;
  }
  std::vector<std::string_view> searched(regions.begin(), regions.end());
  searched.push_back({});
  const FactorKey key{table, item, variant, {}};
  return NotFoundError(MissingMessage(key, fmt::format("regions {}", fmt::join(regions, ", ")), day,
                                      impl_->Covered(key, searched)));
}

const FactorRow* RefData::FindById(std::string_view id) const {
  auto it = impl_->by_id.find(id);
  return it == impl_->by_id.end() ? nullptr : it->second;
}

std::vector<const FactorRow*> RefData::Rows(std::string_view table) const {
  if (table.empty()) return impl_->ordered;
  std::vector<const FactorRow*> out;
  for (const FactorRow* r : impl_->ordered) {
    if (r->table == table) out.push_back(r);
  }
  return out;
}

std::vector<const FactorRow*> RefData::OverriddenRows() const {
  std::vector<const FactorRow*> out;
  out.reserve(impl_->overridden.size());
  for (const FactorRow& r : impl_->overridden) out.push_back(&r);
  return out;
}

std::span<const Province> RefData::provinces() const { return impl_->provinces; }
std::span<const GridRegion> RefData::grid_regions() const { return impl_->grid_regions; }

Result<const Province*> RefData::FindProvince(std::string_view name) const {
  const std::string_view s = Trim(name);
  const std::string_view stripped = StripSuffix(s, kProvinceSuffixes);
  for (const Province& p : impl_->provinces) {
    if (EqualsIgnoreAsciiCase(p.code, s) || EqualsIgnoreAsciiCase(p.name_en, s) || p.name_zh == s ||
        p.name_zh == stripped) {
      return &p;
    }
  }
  return NotFoundError(fmt::format(
      "unknown province '{}' (use a code such as liaoning, a Chinese name such as 辽宁 or 辽宁省, "
      "or an English name such as Liaoning)",
      name));
}

Result<const GridRegion*> RefData::FindGridRegion(std::string_view name) const {
  const std::string_view s = Trim(name);
  const std::string_view stripped = StripSuffix(s, kGridRegionSuffixes);
  for (const GridRegion& g : impl_->grid_regions) {
    if (EqualsIgnoreAsciiCase(g.code, s) || EqualsIgnoreAsciiCase(g.name_en, s) || g.name_zh == s ||
        g.name_zh == stripped) {
      return &g;
    }
  }
  return NotFoundError(fmt::format(
      "unknown grid region '{}' (use a code such as northeast, or a name such as 东北 or 东北电网)",
      name));
}

Result<std::vector<std::string>> RefData::RegionChain(std::string_view province) const {
  ZP_ASSIGN_OR_RETURN(const Province* p, FindProvince(province));
  return std::vector<std::string>{p->code, p->grid_region, std::string(kNational)};
}

std::string RefData::fingerprint() const { return impl_->fingerprint; }

}  // namespace zp::refdata
