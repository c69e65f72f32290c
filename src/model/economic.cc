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

#include "zp/base/csv.h"
#include "zp/base/strings.h"
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

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Status FieldError(std::string_view field, std::string message) {
  return InvalidArgumentError(std::string(field) + ": " + message);
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

enum class Col { kEnterprise, kIndicator, kItem, kPeriod, kValue, kUnit, kNote };

constexpr CsvColumn Column(std::string_view name, Col col, bool required) {
  return CsvColumn{name, static_cast<int32_t>(col), required};
}

// Header names (case-insensitive); credit_code and enterprise are accepted for enterprise_code.
constexpr CsvColumn kColumns[] = {
    Column("enterprise_code", Col::kEnterprise, true),
    Column("credit_code", Col::kEnterprise, true),
    Column("enterprise", Col::kEnterprise, true),
    Column("indicator", Col::kIndicator, true),
    Column("item", Col::kItem, false),
    Column("period", Col::kPeriod, true),
    Column("value", Col::kValue, true),
    Column("unit", Col::kUnit, true),
    Column("note", Col::kNote, false),
};

constexpr size_t kMaxListedErrors = 100;

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
  return InvalidArgumentError("unknown indicator " + QuoteForMessage(code) + " (known: " + known +
                              ")");
}

Result<DataPeriod> ParseDataPeriod(std::string_view text) {
  const std::string_view t = Trim(text);
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("period " + QuoteForMessage(text) + ": " + std::string(why));
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
    return FieldError("enterprise_code", QuoteForMessage(code) + " is not an enterprise code");
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
    return FieldError(
        "item", std::string(info.code) + " takes no item (got " + QuoteForMessage(d->item) + ")");
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
      return FieldError("unit",
                        (d->unit.empty() ? std::string("missing") : QuoteForMessage(d->unit)) +
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
  ZP_ASSIGN_OR_RETURN(const std::vector<int32_t> layout, ReadCsvHeader(&reader, kColumns, what));

  std::vector<EnterpriseDatum> out;
  std::vector<std::string> errors;
  size_t error_count = 0;
  using Key = std::tuple<std::string, std::string, std::string, DataPeriod>;
  std::map<Key, int32_t> first_line;
  CsvRow row;
  while (reader.Next(&row)) {
    if (row.IsBlank()) continue;
    auto fail = [&](const std::string& reason) {
      if (++error_count <= kMaxListedErrors) {
        errors.push_back("line " + std::to_string(row.line) + ": " + reason);
      }
    };
    if (Status s = row.CheckCells(layout.size()); !s.ok()) {
      fail(s.message());
      continue;
    }
    EnterpriseDatum d;
    std::string problem;
    for (size_t i = 0; i < layout.size() && problem.empty(); ++i) {
      const std::string_view cell = UnguardCsvCell(row.cells[i]);
      switch (static_cast<Col>(layout[i])) {
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
            problem = "column value: " + QuoteForMessage(cell) + " is not a number";
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
    AppendCsvCell(&out, d.enterprise_code);
    out += ',';
    AppendCsvCell(&out, d.indicator);
    out += ',';
    AppendCsvCell(&out, d.item);
    out += ',';
    out += FormatDataPeriod(d.period);
    out += ',';
    AppendCsvNumber(&out, d.value);
    out += ',';
    AppendCsvCell(&out, d.unit);
    out += ',';
    AppendCsvCell(&out, d.note);
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
      AppendCsvCell(&out, d.source);
      out += d.deleted ? ",1" : ",0";
    }
    out += '\n';
  }
  return out;
}

}  // namespace zp::model
