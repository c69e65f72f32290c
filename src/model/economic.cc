#include "zp/model/economic.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "zp/base/time.h"

namespace zp::model {
namespace {

// An accepted spelling of a unit: value * mul / div is the value in the canonical unit.
struct UnitAlias {
  std::string_view spelling;
  double mul;
  double div;
};

constexpr UnitAlias kMoneyUnits[] = {
    {"10k CNY", 1, 1}, {"万元", 1, 1}, {"wan CNY", 1, 1}, {"CNY", 1, 10000}, {"元", 1, 10000}};
constexpr UnitAlias kPersonUnits[] = {{"persons", 1, 1}, {"人", 1, 1}};
constexpr UnitAlias kCo2Units[] = {{"tCO2", 1, 1}};
constexpr UnitAlias kEnergyUnits[] = {{"kWh", 1, 1}, {"MWh", 1000, 1}};

constexpr IndicatorInfo kIndicators[] = {
    {"industrial_output", "工业总产值", "Gross industrial output value", "10k CNY", false},
    {"added_value", "工业增加值", "Industrial added value", "10k CNY", false},
    {"tax", "税收", "Tax paid", "10k CNY", false},
    {"employees", "年平均从业人员", "Average number of employees", "persons", false},
    {"rnd_spending", "R&D经费支出", "R&D spending", "10k CNY", false},
    {"revenue", "主营业务收入", "Main business revenue", "10k CNY", false},
    {"product_output", "产品产量", "Product output", "", true},
    {"process_co2", "工业过程排放", "Industrial process CO2 emissions", "tCO2", false},
    {"green_direct_kwh", "直供绿电", "Green electricity by direct supply", "kWh", true},
};

// What NormalizeEnterpriseDatum checks beyond IndicatorInfo, same order as kIndicators.
struct IndicatorRules {
  bool allows_item;                  // process_co2 may name the process; needs_item implies it
  std::span<const UnitAlias> units;  // empty: any unit (kept as entered)
  std::string_view item_meaning;     // for error messages
};

const IndicatorRules kRules[] = {
    {false, kMoneyUnits, ""},
    {false, kMoneyUnits, ""},
    {false, kMoneyUnits, ""},
    {false, kPersonUnits, ""},
    {false, kMoneyUnits, ""},
    {false, kMoneyUnits, ""},
    {true, {}, "product name"},
    {true, kCo2Units, "process name"},
    {true, kEnergyUnits, "contract reference"},
};
static_assert(std::size(kRules) == std::size(kIndicators));

constexpr size_t kMaxItemBytes = 200;
constexpr size_t kMaxUnitBytes = 32;
constexpr size_t kMaxNoteBytes = 2000;
constexpr int32_t kMinYear = 1900;
constexpr int32_t kMaxYear = 2200;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Status FieldError(std::string_view field, std::string message) {
  return InvalidArgumentError(std::string(field) + ": " + message);
}

std::string Quoted(std::string_view s) {
  constexpr size_t kMax = 48;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

// A free-text field: trimmed, no control characters, bounded length.
Status CheckText(std::string_view field, std::string* s, size_t max_bytes, bool keep_lines) {
  std::string_view t = Trim(*s);
  if (t.size() > max_bytes) {
    return FieldError(field, "longer than " + std::to_string(max_bytes) + " bytes");
  }
  for (char c : t) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 || u == 0x7f) && !(keep_lines && (c == '\n' || c == '\t'))) {
      return FieldError(field, "contains a control character");
    }
  }
  if (t.size() != s->size()) *s = std::string(t);
  return Status::OK();
}

std::string AcceptedUnits(std::span<const UnitAlias> units) {
  std::string out;
  for (const UnitAlias& u : units) {
    if (!out.empty()) out += ", ";
    out += u.spelling;
  }
  return out;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// ---- CSV reading (RFC 4180: quoted cells may hold commas, quotes and line breaks).

struct CsvRow {
  int32_t line = 0;
  std::vector<std::string> cells;
  std::string error;
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
  }

  bool Next(CsvRow* row) {
    if (pos_ >= text_.size()) return false;
    row->line = line_;
    row->cells.clear();
    row->error.clear();
    while (true) {
      std::string cell;
      size_t p = pos_;
      while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) ++p;
      if (p < text_.size() && text_[p] == '"') {
        pos_ = p + 1;
        if (!ReadQuoted(&cell)) {
          row->error = "unterminated quoted cell";
          pos_ = text_.size();
          return true;
        }
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
        if (pos_ < text_.size() && text_[pos_] != ',' && !AtLineEnd()) {
          row->error = "unexpected character after the closing quote of cell " +
                       std::to_string(row->cells.size() + 1);
          while (pos_ < text_.size() && !AtLineEnd()) ++pos_;
          EndLine();
          return true;
        }
      } else {
        const size_t begin = pos_;
        while (pos_ < text_.size() && text_[pos_] != ',' && !AtLineEnd()) ++pos_;
        cell = std::string(Trim(text_.substr(begin, pos_ - begin)));
      }
      row->cells.push_back(std::move(cell));
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      EndLine();
      return true;
    }
  }

 private:
  bool AtLineEnd() const { return text_[pos_] == '\n' || text_[pos_] == '\r'; }

  void EndLine() {
    if (pos_ >= text_.size()) return;
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  bool ReadQuoted(std::string* cell) {
    while (true) {
      const size_t q = text_.find('"', pos_);
      if (q == std::string_view::npos) return false;
      for (size_t i = pos_; i < q; ++i) {
        if (text_[i] == '\n' ||
            (text_[i] == '\r' && (i + 1 >= text_.size() || text_[i + 1] != '\n'))) {
          ++line_;
        }
      }
      cell->append(text_.substr(pos_, q - pos_));
      pos_ = q + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        cell->push_back('"');
        ++pos_;
        continue;
      }
      return true;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  int32_t line_ = 1;
};

bool IsBlankRow(const CsvRow& row) {
  if (!row.error.empty()) return false;
  for (const std::string& c : row.cells) {
    if (!c.empty()) return false;
  }
  return true;
}

// Spreadsheets run a cell starting with = + - or @ as a formula: the writer puts an apostrophe
// before such text (and before text starting with ' and one of those, or ''), the reader drops it.
bool FormulaLike(char c) { return c == '=' || c == '+' || c == '-' || c == '@'; }

bool NeedsApostrophe(std::string_view v) {
  return !v.empty() && (FormulaLike(v[0]) ||
                        (v.size() >= 2 && v[0] == '\'' && (FormulaLike(v[1]) || v[1] == '\'')));
}

std::string_view Unescape(std::string_view cell) {
  if (cell.size() >= 2 && cell[0] == '\'' && (FormulaLike(cell[1]) || cell[1] == '\'')) {
    cell.remove_prefix(1);
  }
  return cell;
}

enum class Col { kEnterprise, kIndicator, kItem, kPeriod, kValue, kUnit, kNote };

struct ColumnSpec {
  std::string_view name;
  Col col;
  bool required;
};

// Header names (case-insensitive); credit_code and enterprise are accepted for enterprise_code.
constexpr ColumnSpec kColumns[] = {
    {"enterprise_code", Col::kEnterprise, true},
    {"credit_code", Col::kEnterprise, true},
    {"enterprise", Col::kEnterprise, true},
    {"indicator", Col::kIndicator, true},
    {"item", Col::kItem, false},
    {"period", Col::kPeriod, true},
    {"value", Col::kValue, true},
    {"unit", Col::kUnit, true},
    {"note", Col::kNote, false},
};

std::string_view CanonicalName(Col c) {
  for (const ColumnSpec& s : kColumns) {
    if (s.col == c) return s.name;
  }
  return "";
}

constexpr size_t kMaxListedErrors = 100;

void AppendCell(std::string* out, std::string_view v) {
  const bool formula_like = NeedsApostrophe(v);
  const bool quote = v.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!v.empty() && (IsSpace(v.front()) || IsSpace(v.back())));
  if (!quote) {
    if (formula_like) out->push_back('\'');
    out->append(v);
    return;
  }
  out->push_back('"');
  if (formula_like) out->push_back('\'');
  for (char c : v) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendNumber(std::string* out, double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec == std::errc()) out->append(buf, end);
}

}  // namespace

std::span<const IndicatorInfo> AllIndicators() { return kIndicators; }

Result<const IndicatorInfo*> FindIndicator(std::string_view code) {
  for (const IndicatorInfo& i : kIndicators) {
    if (i.code == code) return &i;
  }
  std::string known;
  for (const IndicatorInfo& i : kIndicators) {
    if (!known.empty()) known += ", ";
    known += i.code;
  }
  return InvalidArgumentError("unknown indicator " + Quoted(code) + " (known: " + known + ")");
}

Result<DataPeriod> ParseDataPeriod(std::string_view text) {
  const std::string_view t = Trim(text);
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("period " + Quoted(text) + ": " + std::string(why));
  };
  const size_t dash = t.find('-');
  const std::string_view year_text = t.substr(0, dash);
  const std::string_view month_text =
      dash == std::string_view::npos ? std::string_view() : t.substr(dash + 1);
  if (year_text.size() != 4 || !AllDigits(year_text) ||
      (dash != std::string_view::npos &&
       (month_text.empty() || month_text.size() > 2 || !AllDigits(month_text)))) {
    return bad("expected a year YYYY or a month YYYY-MM, e.g. 2025 or 2025-03");
  }
  DataPeriod p;
  std::from_chars(year_text.data(), year_text.data() + year_text.size(), p.year);
  if (p.year < kMinYear || p.year > kMaxYear) {
    return bad("year outside " + std::to_string(kMinYear) + ".." + std::to_string(kMaxYear));
  }
  if (dash != std::string_view::npos) {
    std::from_chars(month_text.data(), month_text.data() + month_text.size(), p.month);
    if (p.month < 1 || p.month > 12) return bad("month must be 01..12");
  }
  return p;
}

std::string FormatDataPeriod(const DataPeriod& p) {
  if (p.month == 0) return std::to_string(p.year);
  std::string out = std::to_string(p.year);
  out += p.month < 10 ? "-0" : "-";
  out += std::to_string(p.month);
  return out;
}

Status NormalizeEnterpriseDatum(EnterpriseDatum* d) {
  // Enterprise: as the registry keeps codes (trimmed, upper case).
  std::string code(Trim(d->enterprise_code));
  for (char& c : code) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (code.empty()) return FieldError("enterprise_code", "empty");
  if (code.size() > 64 || HasControl(code)) {
    return FieldError("enterprise_code", Quoted(code) + " is not an enterprise code");
  }
  d->enterprise_code = std::move(code);

  // Indicator: its code, or its Chinese name.
  const std::string_view indicator = Trim(d->indicator);
  size_t index = std::size(kIndicators);
  for (size_t i = 0; i < std::size(kIndicators); ++i) {
    if (kIndicators[i].code == indicator || kIndicators[i].name_zh == indicator) index = i;
  }
  if (index == std::size(kIndicators)) {
    return FieldError("indicator", FindIndicator(indicator).error().message());
  }
  const IndicatorInfo& info = kIndicators[index];
  const IndicatorRules& rules = kRules[index];
  d->indicator = std::string(info.code);

  ZP_RETURN_IF_ERROR(CheckText("item", &d->item, kMaxItemBytes, false));
  if (info.needs_item && d->item.empty()) {
    return FieldError("item", std::string(info.code) + " needs an item (" +
                                  std::string(rules.item_meaning) + ")");
  }
  if (!rules.allows_item && !d->item.empty()) {
    return FieldError("item",
                      std::string(info.code) + " takes no item (got " + Quoted(d->item) + ")");
  }

  if (d->period.year < kMinYear || d->period.year > kMaxYear) {
    return FieldError("period", "year " + std::to_string(d->period.year) + " outside " +
                                    std::to_string(kMinYear) + ".." + std::to_string(kMaxYear));
  }
  if (d->period.month < 0 || d->period.month > 12) {
    return FieldError("period", "month " + std::to_string(d->period.month) +
                                    " outside 1..12 (0: the whole year)");
  }

  if (!std::isfinite(d->value)) return FieldError("value", "not a finite number");
  if (d->value < 0) return FieldError("value", "negative");

  ZP_RETURN_IF_ERROR(CheckText("unit", &d->unit, kMaxUnitBytes, false));
  if (rules.units.empty()) {
    if (d->unit.empty()) {
      return FieldError("unit", std::string(info.code) + " needs a unit (e.g. t, 件, m2)");
    }
  } else {
    const UnitAlias* alias = nullptr;
    for (const UnitAlias& u : rules.units) {
      if (EqualsIgnoreAsciiCase(u.spelling, d->unit)) alias = &u;
    }
    if (alias == nullptr) {
      return FieldError("unit", (d->unit.empty() ? std::string("missing") : Quoted(d->unit)) +
                                    " is not accepted for " + std::string(info.code) +
                                    " (accepted: " + AcceptedUnits(rules.units) + ")");
    }
    if (alias->mul != 1) d->value *= alias->mul;
    if (alias->div != 1) d->value /= alias->div;
    if (!std::isfinite(d->value)) return FieldError("value", "too large");
    d->unit = std::string(info.unit);
  }
  return CheckText("note", &d->note, kMaxNoteBytes, /*keep_lines=*/true);
}

Result<std::vector<EnterpriseDatum>> ParseEnterpriseDataCsv(std::string_view csv,
                                                            std::string_view origin) {
  const std::string what = "enterprise data CSV " + std::string(origin);
  CsvReader reader(csv);
  CsvRow row;
  bool have_header = false;
  while (reader.Next(&row)) {
    if (!IsBlankRow(row)) {
      have_header = true;
      break;
    }
  }
  if (!have_header) return InvalidArgumentError(what + ": no header row");
  auto header_error = [&](const std::string& problem) {
    return InvalidArgumentError(what + ", header on line " + std::to_string(row.line) + ": " +
                                problem);
  };
  if (!row.error.empty()) return header_error(row.error);
  std::vector<Col> layout;
  for (size_t i = 0; i < row.cells.size(); ++i) {
    const std::string_view name = Trim(Unescape(row.cells[i]));
    const ColumnSpec* spec = nullptr;
    for (const ColumnSpec& s : kColumns) {
      if (EqualsIgnoreAsciiCase(s.name, name)) spec = &s;
    }
    if (spec == nullptr) {
      if (name.empty()) return header_error("column " + std::to_string(i + 1) + " has no name");
      return header_error("unknown column " + Quoted(name) +
                          " (known: enterprise_code, indicator, item, period, value, unit, note)");
    }
    for (Col seen : layout) {
      if (seen == spec->col) {
        return header_error("column " + std::string(CanonicalName(spec->col)) + " appears twice");
      }
    }
    layout.push_back(spec->col);
  }
  for (Col required : {Col::kEnterprise, Col::kIndicator, Col::kPeriod, Col::kValue, Col::kUnit}) {
    bool present = false;
    for (Col c : layout) present |= c == required;
    if (!present) return header_error("missing column " + std::string(CanonicalName(required)));
  }

  std::vector<EnterpriseDatum> out;
  std::vector<std::string> errors;
  size_t error_count = 0;
  using Key = std::tuple<std::string, std::string, std::string, DataPeriod>;
  std::map<Key, int32_t> first_line;
  while (reader.Next(&row)) {
    if (IsBlankRow(row)) continue;
    auto fail = [&](const std::string& reason) {
      if (++error_count <= kMaxListedErrors) {
        errors.push_back("line " + std::to_string(row.line) + ": " + reason);
      }
    };
    if (!row.error.empty()) {
      fail(row.error);
      continue;
    }
    if (row.cells.size() != layout.size()) {
      fail("expected " + std::to_string(layout.size()) + " cells, got " +
           std::to_string(row.cells.size()));
      continue;
    }
    EnterpriseDatum d;
    std::string problem;
    for (size_t i = 0; i < layout.size() && problem.empty(); ++i) {
      const std::string_view cell = Unescape(row.cells[i]);
      switch (layout[i]) {
        case Col::kEnterprise:
          d.enterprise_code = std::string(cell);
          break;
        case Col::kIndicator:
          d.indicator = std::string(cell);
          break;
        case Col::kItem:
          d.item = std::string(cell);
          break;
        case Col::kNote:
          d.note = std::string(cell);
          break;
        case Col::kUnit:
          d.unit = std::string(cell);
          break;
        case Col::kPeriod: {
          Result<DataPeriod> p = ParseDataPeriod(cell);
          if (p.ok()) {
            d.period = *p;
          } else {
            problem = "column period: " + p.error().message();
          }
          break;
        }
        case Col::kValue: {
          const std::string_view v = Trim(cell);
          double value = 0;
          const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
          if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
            problem = "column value: " + Quoted(cell) + " is not a number";
          } else {
            d.value = value;
          }
          break;
        }
      }
    }
    if (problem.empty()) {
      Status s = NormalizeEnterpriseDatum(&d);
      if (!s.ok()) problem = "column " + s.message();
    }
    if (!problem.empty()) {
      fail(problem);
      continue;
    }
    const auto [it, inserted] =
        first_line.emplace(Key(d.enterprise_code, d.indicator, d.item, d.period), row.line);
    if (!inserted) {
      fail(d.enterprise_code + " " + d.indicator + (d.item.empty() ? "" : " " + d.item) + " " +
           FormatDataPeriod(d.period) + " repeats line " + std::to_string(it->second));
      continue;
    }
    d.source = std::string(origin) + " line " + std::to_string(row.line);
    out.push_back(std::move(d));
  }
  if (error_count > 0) {
    std::string message = what + ": " + std::to_string(error_count) + " bad line" +
                          (error_count == 1 ? "" : "s") + ", nothing imported";
    for (const std::string& e : errors) message += "\n" + e;
    if (error_count > errors.size()) {
      message += "\n... and " + std::to_string(error_count - errors.size()) + " more";
    }
    return InvalidArgumentError(std::move(message));
  }
  return out;
}

std::string EnterpriseDataToCsv(std::span<const EnterpriseDatum> rows, bool with_history) {
  std::string out = "enterprise_code,indicator,item,period,value,unit,note";
  out += with_history ? ",seq,recorded_at,source,deleted\n" : "\n";
  for (const EnterpriseDatum& d : rows) {
    AppendCell(&out, d.enterprise_code);
    out += ',';
    AppendCell(&out, d.indicator);
    out += ',';
    AppendCell(&out, d.item);
    out += ',';
    out += FormatDataPeriod(d.period);
    out += ',';
    AppendNumber(&out, d.value);
    out += ',';
    AppendCell(&out, d.unit);
    out += ',';
    AppendCell(&out, d.note);
    if (with_history) {
      out += ',';
      out += std::to_string(d.seq);
      out += ',';
      const CivilTime t = SecondsToCivil(d.recorded_s);
      char buf[40];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.month, t.day,
                    t.hour, t.minute, t.second);
      out += buf;
      out += ',';
      AppendCell(&out, d.source);
      out += d.deleted ? ",1" : ",0";
    }
    out += '\n';
  }
  return out;
}

}  // namespace zp::model
