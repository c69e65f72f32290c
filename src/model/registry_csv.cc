#include "zp/model/registry_csv.h"

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "zp/base/csv.h"

namespace zp::model {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status ParseDouble(std::string_view s, double* out) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return InvalidArgumentError(QuoteForMessage(s) + " is not a number");
  }
  *out = v;
  return Status::OK();
}

Status ParseInt32(std::string_view s, int32_t* out) {
  int32_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return InvalidArgumentError(QuoteForMessage(s) + " is not a whole number");
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
    return InvalidArgumentError(QuoteForMessage(s) + " is not true/false/1/0/是/否");
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
  std::vector<CsvColumn> columns;
  columns.reserve(kind.columns.size());
  for (size_t i = 0; i < kind.columns.size(); ++i) {
    const Column<T>& c = kind.columns[i];
    columns.push_back(CsvColumn{c.name, static_cast<int32_t>(i), c.required});
  }
  CsvReader reader(text);
  ZP_ASSIGN_OR_RETURN(const std::vector<int32_t> ids,
                      ReadCsvHeader(&reader, columns, std::string(kind.what) + " CSV"));
  std::vector<const Column<T>*> layout;  // column index in the file -> column spec
  layout.reserve(ids.size());
  for (int32_t id : ids) layout.push_back(&kind.columns[id]);

  RegistryCsv<T> out;
  std::unordered_map<std::string, int32_t> first_line;
  CsvRow row;
  while (reader.Next(&row)) {
    if (row.IsBlank()) continue;
    auto fail = [&](std::string reason) {
      out.errors.push_back(RegistryRowError{row.line, std::move(reason)});
    };
    if (Status s = row.CheckCells(layout.size()); !s.ok()) {
      fail(s.message());
      continue;
    }
    T record = kind.make();
    Status status;
    for (size_t i = 0; i < layout.size() && status.ok(); ++i) {
      const std::string_view cell = UnguardCsvCell(row.cells[i]);
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
    AppendCsvCell(&out, z.code);
    out += ',';
    AppendCsvCell(&out, z.name);
    out += ',';
    AppendCsvCell(&out, z.officer);
    out += ',';
    AppendCsvCell(&out, z.officer_contact);
    out += '\n';
  }
  return out;
}

std::string ToCsv(std::span<const Enterprise> enterprises) {
  std::string out = "credit_code,name,industry_code,land_area_mu,zone,key_energy_user\n";
  for (const Enterprise& e : enterprises) {
    AppendCsvCell(&out, e.code);
    out += ',';
    AppendCsvCell(&out, e.name);
    out += ',';
    AppendCsvCell(&out, e.industry_code);
    out += ',';
    AppendCsvNumber(&out, e.land_area_mu);
    out += ',';
    AppendCsvCell(&out, e.zone_code);
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
    AppendCsvCell(&out, m.code);
    out += ',';
    AppendCsvCell(&out, m.name);
    out += ',';
    AppendCsvCell(&out, m.enterprise_code);
    out += ',';
    out += units::GetCarrierInfo(m.carrier).code;
    out += ',';
    AppendCsvCell(&out, m.unit);
    out += ',';
    out += MeterKindName(m.kind);
    out += ',';
    out += MeterFlowName(m.flow);
    out += ',';
    AppendInt(&out, m.interval_s);
    out += ',';
    AppendInt(&out, m.register_digits);
    out += ',';
    AppendCsvNumber(&out, m.multiplier);
    out += ',';
    AppendCsvCell(&out, m.parent_code);
    out += ',';
    AppendCsvCell(&out, m.formula);
    out += '\n';
  }
  return out;
}

}  // namespace zp::model
