#include "zp/model/registry_csv.h"

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace zp::model {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t min = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0xff >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// A cell value for an error message: valid UTF-8 is kept, control characters and invalid bytes
// are shown as \xNN, long values are cut.
std::string Shown(std::string_view s) {
  constexpr size_t kMax = 48;
  std::string out = "'";
  size_t i = 0;
  for (; i < s.size() && i < kMax;) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
    } else if (size_t n = c >= 0x80 ? Utf8Length(s, i) : 0; n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++i;
    }
  }
  if (i < s.size()) out += "...";
  out += "'";
  return out;
}

// ---- Reading --------------------------------------------------------------------------------

struct CsvRow {
  int32_t line = 0;
  std::vector<std::string> cells;
  std::string error;  // non-empty when the row is malformed
};

// Splits RFC 4180 text into rows. Line ends are CRLF, LF or a lone CR.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
  }

  // Reads the next row; false at the end of the text.
  bool Next(CsvRow* row) {
    if (pos_ >= text_.size()) return false;
    row->line = line_;
    row->cells.clear();
    row->error.clear();
    while (true) {
      std::string cell;
      size_t p = pos_;
      while (p < text_.size() && IsBlank(text_[p])) ++p;
      if (p < text_.size() && text_[p] == '"') {
        pos_ = p + 1;
        if (!ReadQuoted(&cell)) {
          row->error =
              "unterminated quoted cell (opened on line " + std::to_string(row->line) + ")";
          pos_ = text_.size();
          return true;
        }
        while (pos_ < text_.size() && IsBlank(text_[pos_])) ++pos_;
        if (pos_ < text_.size() && text_[pos_] != ',' && !AtLineEnd()) {
          row->error = "unexpected character after the closing quote of cell " +
                       std::to_string(row->cells.size() + 1);
          SkipToLineEnd();
          EndLine();
          return true;
        }
      } else {
        const size_t begin = pos_;
        while (pos_ < text_.size() && text_[pos_] != ',' && !AtLineEnd()) ++pos_;
        cell = std::string(TrimBlanks(text_.substr(begin, pos_ - begin)));
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

  // Consumes one line end at pos_, if any.
  void EndLine() {
    if (pos_ >= text_.size()) return;
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  void SkipToLineEnd() {
    while (pos_ < text_.size() && !AtLineEnd()) ++pos_;
  }

  // pos_ is just after the opening quote; leaves it after the closing one.
  bool ReadQuoted(std::string* cell) {
    while (true) {
      const size_t q = text_.find('"', pos_);
      if (q == std::string_view::npos) return false;
      CountLines(pos_, q);
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

  void CountLines(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      if (text_[i] == '\n' ||
          (text_[i] == '\r' && (i + 1 >= text_.size() || text_[i + 1] != '\n'))) {
        ++line_;
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  int32_t line_ = 1;
};

bool IsBlankRow(const CsvRow& row) {
  for (const std::string& c : row.cells) {
    if (!c.empty()) return false;
  }
  return row.error.empty();
}

// Spreadsheets run a cell starting with = + - or @ as a formula. ToCsv writes such text with a
// leading apostrophe (and one more before text that itself starts with ' and one of those, or
// with ''), which the reader drops again.
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

Status ParseDouble(std::string_view s, double* out) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return InvalidArgumentError(Shown(s) + " is not a number");
  }
  *out = v;
  return Status::OK();
}

Status ParseInt32(std::string_view s, int32_t* out) {
  int32_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return InvalidArgumentError(Shown(s) + " is not a whole number");
  }
  *out = v;
  return Status::OK();
}

Status ParseBool(std::string_view s, bool* out) {
  const std::string v = Lower(s);
  if (v == "true" || v == "1" || v == "yes" || v == "是") {
    *out = true;
  } else if (v == "false" || v == "0" || v == "no" || v == "否") {
    *out = false;
  } else {
    return InvalidArgumentError(Shown(s) + " is not true/false/1/0/是/否");
  }
  return Status::OK();
}

template <typename T>
struct Column {
  std::string_view name;
  bool required;
  std::string_view field;  // struct field named by Validate* errors ("<field>: ...")
  Status (*set)(T* record, std::string_view cell);  // called for non-empty cells only
};

template <typename T>
struct Kind {
  std::string_view what;  // "zone"
  std::span<const Column<T>> columns;
  T (*make)();                  // record with defaults
  Status (*finish)(T* record);  // defaults depending on other cells, normalisation
  Status (*validate)(const T& record);
  const std::string& (*key)(const T& record);  // identity for duplicate detection
};

template <typename T>
std::string ColumnOfField(const Kind<T>& kind, std::string_view field) {
  for (const Column<T>& c : kind.columns) {
    if (c.field == field) return std::string(c.name);
  }
  return std::string(field);
}

// "field: problem" from Validate* becomes "column <name>: problem".
template <typename T>
std::string Reason(const Kind<T>& kind, const Status& s) {
  const std::string& m = s.message();
  const size_t colon = m.find(": ");
  if (colon != std::string::npos) {
    const std::string_view field(m.data(), colon);
    for (const Column<T>& c : kind.columns) {
      if (c.field == field) return "column " + std::string(c.name) + m.substr(colon);
    }
  }
  return m;
}

template <typename T>
Result<RegistryCsv<T>> ParseCsv(std::string_view text, const Kind<T>& kind) {
  CsvReader reader(text);
  CsvRow row;
  bool have_header = false;
  while (reader.Next(&row)) {
    if (!IsBlankRow(row)) {
      have_header = true;
      break;
    }
  }
  if (!have_header) {
    return InvalidArgumentError(std::string(kind.what) + " CSV: no header row");
  }
  auto header_error = [&](std::string problem) {
    return InvalidArgumentError(std::string(kind.what) + " CSV, header on line " +
                                std::to_string(row.line) + ": " + problem);
  };
  if (!row.error.empty()) return header_error(row.error);
  std::string known;
  for (const Column<T>& c : kind.columns) {
    known += known.empty() ? "" : ", ";
    known += c.name;
  }
  // column index in the file -> column spec
  std::vector<const Column<T>*> layout;
  for (size_t i = 0; i < row.cells.size(); ++i) {
    const std::string name = Lower(Unescape(row.cells[i]));
    const Column<T>* spec = nullptr;
    for (const Column<T>& c : kind.columns) {
      if (c.name == name) spec = &c;
    }
    if (spec == nullptr) {
      if (name.empty()) return header_error("column " + std::to_string(i + 1) + " has no name");
      return header_error("unknown column " + Shown(row.cells[i]) + " (known: " + known + ")");
    }
    for (const Column<T>* seen : layout) {
      if (seen == spec) return header_error("column " + std::string(spec->name) + " appears twice");
    }
    layout.push_back(spec);
  }
  for (const Column<T>& c : kind.columns) {
    bool present = false;
    for (const Column<T>* seen : layout) present |= seen == &c;
    if (c.required && !present) {
      return header_error("missing column " + std::string(c.name));
    }
  }

  RegistryCsv<T> out;
  std::unordered_map<std::string, int32_t> first_line;
  while (reader.Next(&row)) {
    if (IsBlankRow(row)) continue;
    auto fail = [&](std::string reason) {
      out.errors.push_back(RegistryRowError{row.line, std::move(reason)});
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
    T record = kind.make();
    Status status;
    for (size_t i = 0; i < layout.size() && status.ok(); ++i) {
      const std::string_view cell = Unescape(row.cells[i]);
      if (cell.empty()) continue;
      if (Status s = layout[i]->set(&record, cell); !s.ok()) {
        status =
            InvalidArgumentError("column " + std::string(layout[i]->name) + ": " + s.message());
      }
    }
    if (status.ok()) {
      if (Status s = kind.finish(&record); !s.ok()) status = Status(s.code(), Reason(kind, s));
    }
    if (status.ok()) {
      if (Status s = kind.validate(record); !s.ok()) status = Status(s.code(), Reason(kind, s));
    }
    if (!status.ok()) {
      fail(status.message());
      continue;
    }
    const auto [it, inserted] = first_line.emplace(kind.key(record), row.line);
    if (!inserted) {
      fail("column " + std::string(kind.columns[0].name) + ": " + kind.key(record) +
           " repeats line " + std::to_string(it->second));
      continue;
    }
    out.records.push_back(std::move(record));
    out.lines.push_back(row.line);
  }
  return out;
}

// ---- Column tables --------------------------------------------------------------------------

template <typename T, std::string T::*member>
Status SetString(T* r, std::string_view cell) {
  r->*member = std::string(cell);
  return Status::OK();
}

const Column<Zone> kZoneColumns[] = {
    {"code", true, "code", SetString<Zone, &Zone::code>},
    {"name", true, "name", SetString<Zone, &Zone::name>},
    {"officer", false, "officer", SetString<Zone, &Zone::officer>},
    {"officer_contact", false, "officer_contact", SetString<Zone, &Zone::officer_contact>},
};

const Kind<Zone> kZoneKind = {
    "zones",
    kZoneColumns,
    [] { return Zone(); },
    [](Zone*) { return Status::OK(); },
    ValidateZone,
    [](const Zone& z) -> const std::string& { return z.code; },
};

const Column<Enterprise> kEnterpriseColumns[] = {
    {"credit_code", true, "code", SetString<Enterprise, &Enterprise::code>},
    {"name", true, "name", SetString<Enterprise, &Enterprise::name>},
    {"industry_code", true, "industry_code", SetString<Enterprise, &Enterprise::industry_code>},
    {"land_area_mu", false, "land_area_mu",
     [](Enterprise* e, std::string_view v) { return ParseDouble(v, &e->land_area_mu); }},
    {"zone", false, "zone_code", SetString<Enterprise, &Enterprise::zone_code>},
    {"key_energy_user", false, "key_energy_user",
     [](Enterprise* e, std::string_view v) { return ParseBool(v, &e->key_energy_user); }},
};

const Kind<Enterprise> kEnterpriseKind = {
    "enterprises",
    kEnterpriseColumns,
    [] { return Enterprise(); },
    NormalizeEnterprise,
    ValidateEnterprise,
    [](const Enterprise& e) -> const std::string& { return e.code; },
};

const Column<Meter> kMeterColumns[] = {
    {"code", true, "code", SetString<Meter, &Meter::code>},
    {"name", false, "name", SetString<Meter, &Meter::name>},
    {"enterprise", false, "enterprise_code", SetString<Meter, &Meter::enterprise_code>},
    {"carrier", true, "carrier",
     [](Meter* m, std::string_view v) {
       Result<units::Carrier> c = units::ParseCarrier(v);
       if (!c.ok()) return c.error();
       m->carrier = *c;
       return Status::OK();
     }},
    {"unit", false, "unit", SetString<Meter, &Meter::unit>},
    {"kind", false, "kind",
     [](Meter* m, std::string_view v) {
       Result<MeterKind> k = ParseMeterKind(v);
       if (!k.ok()) return k.error();
       m->kind = *k;
       return Status::OK();
     }},
    {"flow", false, "flow",
     [](Meter* m, std::string_view v) {
       Result<MeterFlow> f = ParseMeterFlow(v);
       if (!f.ok()) return f.error();
       m->flow = *f;
       return Status::OK();
     }},
    {"interval_s", false, "interval_s",
     [](Meter* m, std::string_view v) { return ParseInt32(v, &m->interval_s); }},
    {"register_digits", false, "register_digits",
     [](Meter* m, std::string_view v) { return ParseInt32(v, &m->register_digits); }},
    {"multiplier", false, "multiplier",
     [](Meter* m, std::string_view v) { return ParseDouble(v, &m->multiplier); }},
    {"parent", false, "parent_code", SetString<Meter, &Meter::parent_code>},
    {"formula", false, "formula", SetString<Meter, &Meter::formula>},
};

const Kind<Meter> kMeterKind = {
    "meters",
    kMeterColumns,
    [] {
      Meter m;
      m.unit.clear();  // empty until a cell sets it; then the carrier's canonical unit
      return m;
    },
    [](Meter* m) {
      if (m->unit.empty()) m->unit = std::string(units::GetCarrierInfo(m->carrier).canonical_unit);
      return Status::OK();
    },
    ValidateMeter,
    [](const Meter& m) -> const std::string& { return m.code; },
};

// ---- Writing --------------------------------------------------------------------------------

void AppendText(std::string* out, std::string_view v) {
  const bool formula_like = NeedsApostrophe(v);
  const bool quote = v.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!v.empty() && (IsBlank(v.front()) || IsBlank(v.back())));
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

void AppendInt(std::string* out, int64_t v) { out->append(std::to_string(v)); }

}  // namespace

std::string RegistryRowError::ToString() const {
  return "line " + std::to_string(line) + ": " + reason;
}

Result<RegistryCsv<Zone>> ParseZonesCsv(std::string_view text) { return ParseCsv(text, kZoneKind); }

Result<RegistryCsv<Enterprise>> ParseEnterprisesCsv(std::string_view text) {
  return ParseCsv(text, kEnterpriseKind);
}

Result<RegistryCsv<Meter>> ParseMetersCsv(std::string_view text) {
  return ParseCsv(text, kMeterKind);
}

std::string ToCsv(std::span<const Zone> zones) {
  std::string out = "code,name,officer,officer_contact\n";
  for (const Zone& z : zones) {
    AppendText(&out, z.code);
    out += ',';
    AppendText(&out, z.name);
    out += ',';
    AppendText(&out, z.officer);
    out += ',';
    AppendText(&out, z.officer_contact);
    out += '\n';
  }
  return out;
}

std::string ToCsv(std::span<const Enterprise> enterprises) {
  std::string out = "credit_code,name,industry_code,land_area_mu,zone,key_energy_user\n";
  for (const Enterprise& e : enterprises) {
    AppendText(&out, e.code);
    out += ',';
    AppendText(&out, e.name);
    out += ',';
    AppendText(&out, e.industry_code);
    out += ',';
    AppendNumber(&out, e.land_area_mu);
    out += ',';
    AppendText(&out, e.zone_code);
    out += ',';
    out += e.key_energy_user ? "true" : "false";
    out += '\n';
  }
  return out;
}

std::string ToCsv(std::span<const Meter> meters) {
  std::string out =
      "code,name,enterprise,carrier,unit,kind,flow,interval_s,register_digits,multiplier,parent,"
      "formula\n";
  for (const Meter& m : meters) {
    AppendText(&out, m.code);
    out += ',';
    AppendText(&out, m.name);
    out += ',';
    AppendText(&out, m.enterprise_code);
    out += ',';
    out += units::GetCarrierInfo(m.carrier).code;
    out += ',';
    AppendText(&out, m.unit);
    out += ',';
    out += MeterKindName(m.kind);
    out += ',';
    out += MeterFlowName(m.flow);
    out += ',';
    AppendInt(&out, m.interval_s);
    out += ',';
    AppendInt(&out, m.register_digits);
    out += ',';
    AppendNumber(&out, m.multiplier);
    out += ',';
    AppendText(&out, m.parent_code);
    out += ',';
    AppendText(&out, m.formula);
    out += '\n';
  }
  return out;
}

}  // namespace zp::model
