#include "json_mapping.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "zp/units/units.h"

namespace zp::server {
namespace {

using nlohmann::json;

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

std::string_view TypeName(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

Status WrongType(std::string_view record, std::string_view key, std::string_view want,
                 const json& v) {
  return InvalidArgumentError(
      fmt::format("{}: field '{}' must be {}, not {}", record, key, want, TypeName(v)));
}

Status ReadString(std::string_view record, std::string_view key, const json& v, std::string* out) {
  if (!v.is_string()) return WrongType(record, key, "a string", v);
  *out = v.get<std::string>();
  return Status::OK();
}

Status ReadInt32(std::string_view record, std::string_view key, const json& v, int32_t* out) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::floor(d) != d) return WrongType(record, key, "an integer", v);
  } else if (!v.is_number()) {
    return WrongType(record, key, "an integer", v);
  }
  const double d = v.get<double>();
  if (d < std::numeric_limits<int32_t>::min() || d > std::numeric_limits<int32_t>::max()) {
    return InvalidArgumentError(
        fmt::format("{}: field '{}' is out of range ({})", record, key, Dump(v)));
  }
  *out = static_cast<int32_t>(d);
  return Status::OK();
}

Status ReadDouble(std::string_view record, std::string_view key, const json& v, double* out) {
  if (!v.is_number()) return WrongType(record, key, "a number", v);
  const double d = v.get<double>();
  if (!std::isfinite(d)) {
    return InvalidArgumentError(fmt::format("{}: field '{}' must be finite", record, key));
  }
  *out = d;
  return Status::OK();
}

Status ReadBool(std::string_view record, std::string_view key, const json& v, bool* out) {
  if (!v.is_boolean()) return WrongType(record, key, "true or false", v);
  *out = v.get<bool>();
  return Status::OK();
}

Status NotObject(std::string_view record, const json& j) {
  return InvalidArgumentError(
      fmt::format("{}: the body must be a JSON object, not {}", record, TypeName(j)));
}

Status UnknownField(std::string_view record, std::string_view key, std::string_view known) {
  return InvalidArgumentError(
      fmt::format("{}: unknown field '{}' (known fields: {})", record, key, known));
}

}  // namespace

std::string JsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8Length(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<json> ParseJsonBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return InvalidArgumentError("the request body is empty; a JSON document was expected");
  }
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    return InvalidArgumentError(fmt::format("bad JSON at byte {}: {}", e.byte, e.what()));
  } catch (const std::exception& e) {
    return InvalidArgumentError(fmt::format("bad JSON: {}", e.what()));
  }
}

json ParkToJson(const model::Park& p) {
  return json{{"name", p.name},
              {"province", p.province},
              {"time_zone", p.time_zone},
              {"grid_region", p.grid_region},
              {"raw_retention_days", p.raw_retention_days}};
}

json ZoneToJson(const model::Zone& z) {
  return json{{"id", z.id},
              {"code", z.code},
              {"name", z.name},
              {"officer", z.officer},
              {"officer_contact", z.officer_contact}};
}

json EnterpriseToJson(const model::Enterprise& e) {
  const model::IndustryName industry = model::IndustryDivisionName(e.industry_code);
  return json{{"id", e.id},
              {"code", e.code},
              {"name", e.name},
              {"industry_code", e.industry_code},
              {"industry_name_zh", industry.zh},
              {"industry_name_en", industry.en},
              {"land_area_mu", e.land_area_mu},
              {"zone_code", e.zone_code},
              {"key_energy_user", e.key_energy_user}};
}

json MeterToJson(const model::Meter& m) {
  return json{{"id", m.id},
              {"code", m.code},
              {"name", m.name},
              {"enterprise_code", m.enterprise_code},
              {"carrier", units::GetCarrierInfo(m.carrier).code},
              {"unit", m.unit},
              {"kind", model::MeterKindName(m.kind)},
              {"flow", model::MeterFlowName(m.flow)},
              {"interval_s", m.interval_s},
              {"register_digits", m.register_digits},
              {"multiplier", m.multiplier},
              {"parent_code", m.parent_code},
              {"formula", m.formula}};
}

Status ParkFromJson(const json& j, model::Park* p) {
  constexpr std::string_view kRecord = "park";
  if (!j.is_object()) return NotObject(kRecord, j);
  for (const auto& [key, v] : j.items()) {
    if (key == "name") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &p->name));
    } else if (key == "province") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &p->province));
    } else if (key == "time_zone") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &p->time_zone));
    } else if (key == "grid_region") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &p->grid_region));
    } else if (key == "raw_retention_days") {
      ZP_RETURN_IF_ERROR(ReadInt32(kRecord, key, v, &p->raw_retention_days));
    } else {
      return UnknownField(kRecord, key,
                          "name, province, time_zone, grid_region, raw_retention_days");
    }
  }
  return Status::OK();
}

Status ZoneFromJson(const json& j, model::Zone* z) {
  constexpr std::string_view kRecord = "zone";
  if (!j.is_object()) return NotObject(kRecord, j);
  for (const auto& [key, v] : j.items()) {
    if (key == "code") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &z->code));
    } else if (key == "name") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &z->name));
    } else if (key == "officer") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &z->officer));
    } else if (key == "officer_contact") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &z->officer_contact));
    } else if (key != "id") {
      return UnknownField(kRecord, key, "code, name, officer, officer_contact");
    }
  }
  return Status::OK();
}

Status EnterpriseFromJson(const json& j, model::Enterprise* e) {
  constexpr std::string_view kRecord = "enterprise";
  if (!j.is_object()) return NotObject(kRecord, j);
  for (const auto& [key, v] : j.items()) {
    if (key == "code") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &e->code));
    } else if (key == "name") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &e->name));
    } else if (key == "industry_code") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &e->industry_code));
    } else if (key == "land_area_mu") {
      ZP_RETURN_IF_ERROR(ReadDouble(kRecord, key, v, &e->land_area_mu));
    } else if (key == "zone_code") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &e->zone_code));
    } else if (key == "key_energy_user") {
      ZP_RETURN_IF_ERROR(ReadBool(kRecord, key, v, &e->key_energy_user));
    } else if (key != "id" && key != "industry_name_zh" && key != "industry_name_en") {
      return UnknownField(kRecord, key,
                          "code, name, industry_code, land_area_mu, zone_code, key_energy_user");
    }
  }
  return Status::OK();
}

Status MeterFromJson(const json& j, model::Meter* m) {
  constexpr std::string_view kRecord = "meter";
  if (!j.is_object()) return NotObject(kRecord, j);
  for (const auto& [key, v] : j.items()) {
    if (key == "code") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &m->code));
    } else if (key == "name") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &m->name));
    } else if (key == "enterprise_code") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &m->enterprise_code));
    } else if (key == "carrier") {
      std::string s;
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &s));
      Result<units::Carrier> c = units::ParseCarrier(s);
      if (!c.ok()) return c.error().WithContext("meter: field 'carrier'");
      m->carrier = *c;
    } else if (key == "unit") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &m->unit));
    } else if (key == "kind") {
      std::string s;
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &s));
      Result<model::MeterKind> k = model::ParseMeterKind(s);
      if (!k.ok()) return k.error().WithContext("meter: field 'kind'");
      m->kind = *k;
    } else if (key == "flow") {
      std::string s;
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &s));
      Result<model::MeterFlow> f = model::ParseMeterFlow(s);
      if (!f.ok()) return f.error().WithContext("meter: field 'flow'");
      m->flow = *f;
    } else if (key == "interval_s") {
      ZP_RETURN_IF_ERROR(ReadInt32(kRecord, key, v, &m->interval_s));
    } else if (key == "register_digits") {
      ZP_RETURN_IF_ERROR(ReadInt32(kRecord, key, v, &m->register_digits));
    } else if (key == "multiplier") {
      ZP_RETURN_IF_ERROR(ReadDouble(kRecord, key, v, &m->multiplier));
    } else if (key == "parent_code") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &m->parent_code));
    } else if (key == "formula") {
      ZP_RETURN_IF_ERROR(ReadString(kRecord, key, v, &m->formula));
    } else if (key != "id") {
      return UnknownField(kRecord, key,
                          "code, name, enterprise_code, carrier, unit, kind, flow, interval_s, "
                          "register_digits, multiplier, parent_code, formula");
    }
  }
  return Status::OK();
}

}  // namespace zp::server
