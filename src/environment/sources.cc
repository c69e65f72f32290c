// The pollution-source registry (format: zp/environment/sources.h): strict JSON parsing (unknown
// fields and wrong types refused, naming the source and field), canonical writing (sorted keys,
// sources by code), the cross-checks against the park registry, and the limit in force
// (GB 13271-2014 by boiler class and fuel, or a dated override).

#include "zp/environment/sources.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "zp/auth/auth.h"
#include "zp/base/time.h"

namespace zp::environment {
namespace {

using nlohmann::json;

// --- GB 13271-2014 (standards.md §8.2), mg/m3 at standard state, dry flue gas, O2-corrected.
// Columns: coal, oil, gas. Rows only for codes of the HJ 212 pollutant table (zp/hj212/
// pollutants.h):
//  - mercury and its compounds (汞及其化合物, 0.05 mg/m3 for coal boilers) has no HJ 212 code in
//    that table, so no row here (add one with the code when the table gains it);
//  - Ringelmann blackness (烟气黑度, ≤ 1 grade) is not a concentration and no analyser reports
//    it over HJ 212: left out.
// Table 1 SO2 of in-use coal boilers is 400, and 550 in 广西, 重庆, 四川, 贵州 (the standard's
// note): the 550 is carried in the basis text only; a park in those provinces sets it as an
// override.
struct Gb13271Row {
  std::string_view code;
  double in_use[3];   // Table 1
  double new_[3];     // Table 2
  double special[3];  // Table 3
};
constexpr Gb13271Row kGb13271[] = {
    {"a34013", {80, 60, 30}, {50, 30, 20}, {30, 30, 20}},           // 颗粒物 PM
    {"a21026", {400, 300, 100}, {300, 200, 50}, {200, 100, 50}},    // 二氧化硫 SO2
    {"a21002", {400, 400, 400}, {300, 250, 200}, {200, 200, 150}},  // 氮氧化物 NOx
};

constexpr int32_t kMinuteIntervals[] = {60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800};

// Who a field belongs to, in both languages: "source E001.DA001" / "污染源 E001.DA001".
struct Who {
  std::string en;
  std::string zh;
};

Who SourceWho(const std::string& code) { return Who{"source " + code, "污染源 " + code}; }

Status FieldError(const Who& who, std::string_view field, std::string_view en,
                  std::string_view zh) {
  return InvalidArgumentError(
      fmt::format("{}: field '{}' {} / {}：字段 {} {}", who.en, field, en, who.zh, field, zh));
}

Status CheckKeys(const json& obj, const Who& who, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return FieldError(who, key, "is unknown", "未知");
    }
  }
  return Status::OK();
}

Result<std::string> GetString(const json& obj, std::string_view key, const Who& who,
                              bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return FieldError(who, key, "is missing", "缺失");
    return std::string();
  }
  if (!it->is_string()) return FieldError(who, key, "must be a string", "须为字符串");
  return it->get<std::string>();
}

Result<int64_t> GetInteger(const json& obj, std::string_view key, const Who& who, int64_t def) {
  auto it = obj.find(key);
  if (it == obj.end()) return def;
  if (!it->is_number_integer()) return FieldError(who, key, "must be an integer", "须为整数");
  return it->get<int64_t>();
}

Result<std::optional<double>> GetNumber(const json& obj, std::string_view key, const Who& who) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::optional<double>();
  if (!it->is_number()) return FieldError(who, key, "must be a number", "须为数字");
  return std::optional<double>(it->get<double>());
}

// "YYYY-MM-DD" -> local day index; "" -> `open`.
Result<int32_t> GetDay(const json& obj, std::string_view key, const Who& who, int32_t open) {
  ZP_ASSIGN_OR_RETURN(std::string s, GetString(obj, key, who, false));
  if (s.empty()) return open;
  int y = 0, m = 0, d = 0;
  char tail = 0;
  const bool digits = s.size() == 10 && std::all_of(s.begin(), s.end(), [](char c) {
                        return (c >= '0' && c <= '9') || c == '-';
                      });
  if (!digits || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || s[4] != '-' ||
      s[7] != '-' || !IsValidDate(y, m, d)) {
    return FieldError(who, key, fmt::format("'{}' is not a date YYYY-MM-DD", s),
                      fmt::format("'{}' 不是日期 YYYY-MM-DD", s));
  }
  return DaysFromCivil(y, m, d);
}

bool IsCodeChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
bool IsAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsHexLower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool ValidPassword(std::string_view pw) {
  if (pw.empty() || pw.size() > 32) return false;
  for (char c : pw) {
    if (c < 0x20 || c > 0x7e || c == ';' || c == '=' || c == '&' || c == ',') return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<SourceKind> ParseKind(std::string_view s) {
  if (s == "stack") return SourceKind::kStack;
  if (s == "outfall") return SourceKind::kOutfall;
  return InvalidArgumentError("kind");
}
Result<Fuel> ParseFuel(std::string_view s) {
  if (s.empty()) return Fuel::kNone;
  if (s == "coal") return Fuel::kCoal;
  if (s == "oil") return Fuel::kOil;
  if (s == "gas") return Fuel::kGas;
  return InvalidArgumentError("fuel");
}
Result<BoilerClass> ParseBoilerClass(std::string_view s) {
  if (s == "none") return BoilerClass::kNone;
  if (s == "new") return BoilerClass::kNew;
  if (s == "in_use") return BoilerClass::kInUse;
  if (s == "special") return BoilerClass::kSpecial;
  return InvalidArgumentError("boiler_class");
}

std::string DayText(int32_t day, int32_t open) { return day == open ? "" : FormatLocalDay(day); }

Result<LimitOverride> LimitFromJson(const json& j, const Who& source_who, size_t index) {
  const Who who{fmt::format("{} limits[{}]", source_who.en, index),
                fmt::format("{} 第 {} 个限值", source_who.zh, index + 1)};
  if (!j.is_object())
    return FieldError(source_who, "limits", "must be a list of objects", "须为对象列表");
  ZP_RETURN_IF_ERROR(CheckKeys(j, who, {"pollutant", "value", "unit", "from", "to", "basis"}));
  LimitOverride l;
  ZP_ASSIGN_OR_RETURN(l.pollutant, GetString(j, "pollutant", who, true));
  ZP_ASSIGN_OR_RETURN(std::optional<double> value, GetNumber(j, "value", who));
  if (!value) return FieldError(who, "value", "is missing", "缺失");
  l.value = *value;
  ZP_ASSIGN_OR_RETURN(l.unit, GetString(j, "unit", who, false));
  if (l.unit.empty()) {
    // Default: the pollutant's unit (checked against the table in CheckSource).
    if (const hj212::PollutantCode* p = hj212::FindPollutant(l.pollutant)) {
      l.unit = JsonUnit(p->unit);
    }
  } else {
    l.unit = JsonUnit(l.unit);
  }
  ZP_ASSIGN_OR_RETURN(l.from_day, GetDay(j, "from", who, INT32_MIN));
  ZP_ASSIGN_OR_RETURN(l.to_day, GetDay(j, "to", who, INT32_MAX));
  ZP_ASSIGN_OR_RETURN(l.basis, GetString(j, "basis", who, true));
  return l;
}

Result<Source> SourceFromJson(const json& j, size_t index, const SourceRegistry* previous) {
  Who who{fmt::format("sources[{}]", index), fmt::format("第 {} 个污染源", index + 1)};
  if (!j.is_object()) {
    return InvalidArgumentError(
        fmt::format("{}: must be an object / {}：须为对象", who.en, who.zh));
  }
  if (auto it = j.find("code"); it != j.end() && it->is_string()) {
    who = SourceWho(it->get<std::string>());
  }
  ZP_RETURN_IF_ERROR(
      CheckKeys(j, who,
                {"code", "name", "enterprise", "kind", "mn", "password", "password_sha256", "fuel",
                 "boiler_class", "reference_o2_pct", "realtime_interval_s", "minute_interval_s",
                 "data_loss_after_s", "pollutants", "limits"}));
  Source s;
  ZP_ASSIGN_OR_RETURN(s.code, GetString(j, "code", who, true));
  ZP_ASSIGN_OR_RETURN(s.name, GetString(j, "name", who, false));
  ZP_ASSIGN_OR_RETURN(s.enterprise_code, GetString(j, "enterprise", who, true));
  ZP_ASSIGN_OR_RETURN(std::string kind, GetString(j, "kind", who, true));
  Result<SourceKind> k = ParseKind(kind);
  if (!k.ok()) {
    return FieldError(who, "kind", fmt::format("'{}' is not one of stack, outfall", kind),
                      fmt::format("'{}' 不是 stack（排气筒）、outfall（废水排放口）之一", kind));
  }
  s.kind = *k;
  ZP_ASSIGN_OR_RETURN(s.mn, GetString(j, "mn", who, true));

  ZP_ASSIGN_OR_RETURN(std::string password, GetString(j, "password", who, false));
  ZP_ASSIGN_OR_RETURN(std::string hash, GetString(j, "password_sha256", who, false));
  const bool has_password = j.contains("password");
  const bool has_hash = j.contains("password_sha256");
  if (has_password && has_hash) {
    return FieldError(who, "password", "and password_sha256 are both given: give one",
                      "与 password_sha256 只能给出其一");
  }
  if (has_password) {
    if (!ValidPassword(password)) {
      return FieldError(who, "password",
                        "must be 1-32 printable ASCII characters other than ; = & ,",
                        "须为 1 至 32 个可打印 ASCII 字符，不含 ; = & ,");
    }
    s.password_sha256 = auth::HashSecret(password);
  } else if (has_hash) {
    s.password_sha256 = Lower(hash);
  } else {
    const Source* before = nullptr;
    if (previous != nullptr) {
      for (const Source& p : previous->sources) {
        if (p.code == s.code) before = &p;
      }
    }
    if (before == nullptr || before->password_sha256.empty()) {
      return FieldError(who, "password", "is missing (the source has no password yet)",
                        "缺失（该污染源尚无密码）");
    }
    s.password_sha256 = before->password_sha256;
  }

  ZP_ASSIGN_OR_RETURN(std::string fuel, GetString(j, "fuel", who, false));
  Result<Fuel> f = ParseFuel(fuel);
  if (!f.ok()) {
    return FieldError(who, "fuel",
                      fmt::format("'{}' is not one of coal, oil, gas (biomass, coal-water slurry "
                                  "and petroleum coke boilers take coal, as GB 13271-2014 says)",
                                  fuel),
                      fmt::format("'{}' 不是 coal（燃煤）、oil（燃油）、gas（燃气）之一"
                                  "（生物质成型燃料、水煤浆、石油焦锅炉按燃煤，依 GB 13271-2014）",
                                  fuel));
  }
  s.fuel = *f;
  ZP_ASSIGN_OR_RETURN(std::string boiler_class,
                      GetString(j, "boiler_class", who, s.kind == SourceKind::kStack));
  if (boiler_class.empty()) boiler_class = "none";
  Result<BoilerClass> bc = ParseBoilerClass(boiler_class);
  if (!bc.ok()) {
    return FieldError(who, "boiler_class",
                      fmt::format("'{}' is not one of new, in_use, special, none", boiler_class),
                      fmt::format("'{}' 不是 new（新建）、in_use（在用）、special（特别排放限值）、"
                                  "none（非锅炉）之一",
                                  boiler_class));
  }
  s.boiler_class = *bc;
  ZP_ASSIGN_OR_RETURN(std::optional<double> o2, GetNumber(j, "reference_o2_pct", who));
  s.reference_o2_pct = o2 ? *o2 : Gb13271ReferenceO2(s.fuel);

  ZP_ASSIGN_OR_RETURN(int64_t rt, GetInteger(j, "realtime_interval_s", who, 30));
  ZP_ASSIGN_OR_RETURN(int64_t mi, GetInteger(j, "minute_interval_s", who, 60));
  ZP_ASSIGN_OR_RETURN(int64_t loss, GetInteger(j, "data_loss_after_s", who, 0));
  // Out-of-range values are reported by CheckSource; clamp only to keep them out of int32 wrap.
  auto clamp32 = [](int64_t v) {
    return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN + 1LL, INT32_MAX - 1LL));
  };
  s.realtime_interval_s = clamp32(rt);
  s.minute_interval_s = clamp32(mi);
  s.data_loss_after_s = clamp32(loss);

  if (auto it = j.find("pollutants"); it != j.end()) {
    if (!it->is_array()) {
      return FieldError(who, "pollutants", "must be a list of HJ 212 codes",
                        "须为 HJ 212 污染物编码列表");
    }
    for (const json& v : *it) {
      if (!v.is_string()) {
        return FieldError(who, "pollutants", "must be a list of HJ 212 codes",
                          "须为 HJ 212 污染物编码列表");
      }
      s.pollutants.push_back(v.get<std::string>());
    }
  } else {
    return FieldError(who, "pollutants", "is missing", "缺失");
  }
  if (auto it = j.find("limits"); it != j.end()) {
    if (!it->is_array()) {
      return FieldError(who, "limits", "must be a list of objects", "须为对象列表");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      ZP_ASSIGN_OR_RETURN(LimitOverride l, LimitFromJson((*it)[i], who, i));
      s.limits.push_back(std::move(l));
    }
  }
  return s;
}

bool LimitLess(const LimitOverride& a, const LimitOverride& b) {
  return std::tie(a.pollutant, a.from_day, a.to_day, a.value, a.unit, a.basis) <
         std::tie(b.pollutant, b.from_day, b.to_day, b.value, b.unit, b.basis);
}

// Field checks of one source on its own.
Status CheckSource(const Source& s) {
  const Who who = SourceWho(s.code);
  if (s.code.empty() || s.code.size() > 64 ||
      !std::all_of(s.code.begin(), s.code.end(), IsCodeChar)) {
    return FieldError(who, "code", "must be 1-64 characters of A-Z a-z 0-9 . _ -",
                      "须为 1 至 64 个字符（A-Z a-z 0-9 . _ -）");
  }
  if (s.enterprise_code.empty()) return FieldError(who, "enterprise", "is empty", "为空");
  if (s.mn.empty() || s.mn.size() > 24 || !std::all_of(s.mn.begin(), s.mn.end(), IsAlnum)) {
    return FieldError(who, "mn", "must be 1-24 letters or digits (HJ 212 MN)",
                      "须为 1 至 24 个字母或数字（HJ 212 MN）");
  }
  if (s.password_sha256.size() != 64 ||
      !std::all_of(s.password_sha256.begin(), s.password_sha256.end(), IsHexLower)) {
    return FieldError(who, "password_sha256", "must be 64 hex digits (SHA-256)",
                      "须为 64 位十六进制（SHA-256）");
  }
  if (s.kind == SourceKind::kOutfall) {
    if (s.fuel != Fuel::kNone) {
      return FieldError(who, "fuel", "must be empty for an outfall", "废水排放口须为空");
    }
    if (s.boiler_class != BoilerClass::kNone) {
      return FieldError(who, "boiler_class", "must be none for an outfall", "废水排放口须为 none");
    }
    if (s.reference_o2_pct != 0) {
      return FieldError(who, "reference_o2_pct", "must be 0 for an outfall", "废水排放口须为 0");
    }
  } else {
    if (s.boiler_class != BoilerClass::kNone && s.fuel == Fuel::kNone) {
      return FieldError(who, "fuel", "is required for a boiler stack (coal, oil or gas)",
                        "锅炉排气筒须填写（coal、oil 或 gas）");
    }
    if (!std::isfinite(s.reference_o2_pct) || s.reference_o2_pct < 0 || s.reference_o2_pct > 20) {
      return FieldError(who, "reference_o2_pct", "must be from 0 to 20 (%)", "须为 0 至 20（%）");
    }
  }
  if (s.realtime_interval_s < 30 || s.realtime_interval_s > 3600) {
    return FieldError(who, "realtime_interval_s", "must be from 30 to 3600 (HJ 212 RtdInterval)",
                      "须为 30 至 3600（HJ 212 RtdInterval）");
  }
  if (std::find(std::begin(kMinuteIntervals), std::end(kMinuteIntervals), s.minute_interval_s) ==
      std::end(kMinuteIntervals)) {
    return FieldError(who, "minute_interval_s",
                      "must be one of 60 120 180 240 300 360 600 720 900 1200 1800 (HJ 212 "
                      "MinInterval)",
                      "须为 60、120、180、240、300、360、600、720、900、1200、1800 之一"
                      "（HJ 212 MinInterval）");
  }
  if (s.data_loss_after_s != 0 && (s.data_loss_after_s < 60 || s.data_loss_after_s > 604800)) {
    return FieldError(who, "data_loss_after_s", "must be 0 (default) or from 60 to 604800",
                      "须为 0（默认）或 60 至 604800");
  }
  if (s.pollutants.empty()) {
    return FieldError(who, "pollutants", "must name at least one pollutant",
                      "至少须有一个监测因子");
  }
  for (size_t i = 0; i < s.pollutants.size(); ++i) {
    const std::string& code = s.pollutants[i];
    const hj212::PollutantCode* p = hj212::FindPollutant(code);
    if (p == nullptr) {
      return FieldError(who, "pollutants",
                        fmt::format("'{}' is not an HJ 212 code the platform knows", code),
                        fmt::format("'{}' 不是平台已知的 HJ 212 污染物编码", code));
    }
    if (p->medium != s.medium()) {
      return FieldError(who, "pollutants",
                        fmt::format("'{}' ({}) is not a {} pollutant", code, p->name_en,
                                    s.kind == SourceKind::kStack ? "flue-gas" : "wastewater"),
                        fmt::format("'{}'（{}）不是{}监测因子", code, p->name_zh,
                                    s.kind == SourceKind::kStack ? "废气" : "废水"));
    }
    for (size_t k = 0; k < i; ++k) {
      if (s.pollutants[k] == code) {
        return FieldError(who, "pollutants", fmt::format("lists '{}' twice", code),
                          fmt::format("重复列出 '{}'", code));
      }
    }
  }
  for (size_t i = 0; i < s.limits.size(); ++i) {
    const LimitOverride& l = s.limits[i];
    const Who lw{fmt::format("{} limits[{}]", who.en, i),
                 fmt::format("{} 第 {} 个限值", who.zh, i + 1)};
    if (std::find(s.pollutants.begin(), s.pollutants.end(), l.pollutant) == s.pollutants.end()) {
      return FieldError(lw, "pollutant",
                        fmt::format("'{}' is not among the source's pollutants", l.pollutant),
                        fmt::format("'{}' 不在该污染源的监测因子中", l.pollutant));
    }
    if (!std::isfinite(l.value) || l.value <= 0) {
      return FieldError(lw, "value", "must be a number above 0", "须为大于 0 的数");
    }
    const std::string unit = JsonUnit(hj212::FindPollutant(l.pollutant)->unit);
    if (l.unit != unit) {
      return FieldError(lw, "unit",
                        fmt::format("'{}' is not the unit of {}: '{}'", l.unit, l.pollutant, unit),
                        fmt::format("'{}' 不是 {} 的单位 '{}'", l.unit, l.pollutant, unit));
    }
    if (l.from_day >= l.to_day) {
      return FieldError(lw, "to", "must be after from", "须晚于 from");
    }
    if (l.basis.empty()) {
      return FieldError(lw, "basis", "is empty (name the standard or permit)",
                        "为空（须注明标准或许可证）");
    }
  }
  return Status::OK();
}

// Everything ValidateSources checks; enterprises only when given.
Status CheckRegistry(const SourceRegistry& registry,
                     const std::vector<model::Enterprise>* enterprises) {
  std::set<std::string_view> codes;
  std::set<std::string> mns;
  std::set<std::string_view> known;
  if (enterprises != nullptr) {
    for (const model::Enterprise& e : *enterprises) known.insert(e.code);
  }
  for (const Source& s : registry.sources) {
    ZP_RETURN_IF_ERROR(CheckSource(s));
    const Who who = SourceWho(s.code);
    if (!codes.insert(s.code).second) {
      return FieldError(who, "code", "is used by another source too", "与其他污染源重复");
    }
    if (!mns.insert(Lower(s.mn)).second) {
      return FieldError(who, "mn", fmt::format("'{}' is used by another source too", s.mn),
                        fmt::format("'{}' 与其他污染源重复", s.mn));
    }
    if (enterprises != nullptr && known.count(s.enterprise_code) == 0) {
      return FieldError(who, "enterprise",
                        fmt::format("'{}' is not an enterprise of the park", s.enterprise_code),
                        fmt::format("'{}' 不是园区企业", s.enterprise_code));
    }
  }
  return Status::OK();
}

std::string_view FuelZh(Fuel f) {
  switch (f) {
    case Fuel::kCoal:
      return "燃煤";
    case Fuel::kOil:
      return "燃油";
    case Fuel::kGas:
      return "燃气";
    case Fuel::kNone:
      break;
  }
  return "";
}

}  // namespace

std::string JsonUnit(std::string_view unit) {
  std::string out;
  out.reserve(unit.size());
  for (size_t i = 0; i < unit.size(); ++i) {
    if (unit.substr(i, 2) == "³") {  // U+00B3, two bytes in UTF-8
      out += '3';
      ++i;
    } else {
      out += unit[i];
    }
  }
  return out;
}

std::string_view SourceKindName(SourceKind k) {
  return k == SourceKind::kStack ? "stack" : "outfall";
}

std::string_view FuelName(Fuel f) {
  switch (f) {
    case Fuel::kCoal:
      return "coal";
    case Fuel::kOil:
      return "oil";
    case Fuel::kGas:
      return "gas";
    case Fuel::kNone:
      break;
  }
  return "";
}

std::string_view BoilerClassName(BoilerClass c) {
  switch (c) {
    case BoilerClass::kNew:
      return "new";
    case BoilerClass::kInUse:
      return "in_use";
    case BoilerClass::kSpecial:
      return "special";
    case BoilerClass::kNone:
      break;
  }
  return "none";
}

int32_t Source::DataLossAfter() const {
  if (data_loss_after_s > 0) return data_loss_after_s;
  return std::max<int32_t>(600, 3 * realtime_interval_s);
}

Result<SourceRegistry> SourcesFromJson(std::string_view text, const SourceRegistry* previous) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return InvalidArgumentError(
        fmt::format("sources: not valid JSON ({}) / 污染源登记不是有效的 JSON", e.what()));
  }
  if (!j.is_object()) {
    return InvalidArgumentError(
        "sources: must be an object {\"sources\": [...]} / 污染源登记须为对象 {\"sources\": "
        "[...]}");
  }
  const Who top{"sources", "污染源登记"};
  ZP_RETURN_IF_ERROR(CheckKeys(j, top, {"sources"}));
  SourceRegistry registry;
  try {
    auto it = j.find("sources");
    if (it == j.end()) return FieldError(top, "sources", "is missing", "缺失");
    if (!it->is_array()) return FieldError(top, "sources", "must be a list", "须为列表");
    for (size_t i = 0; i < it->size(); ++i) {
      ZP_ASSIGN_OR_RETURN(Source s, SourceFromJson((*it)[i], i, previous));
      registry.sources.push_back(std::move(s));
    }
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("sources: {} / 污染源登记格式错误", e.what()));
  }
  ZP_RETURN_IF_ERROR(CheckRegistry(registry, nullptr));
  std::sort(registry.sources.begin(), registry.sources.end(),
            [](const Source& a, const Source& b) { return a.code < b.code; });
  for (Source& s : registry.sources) std::sort(s.limits.begin(), s.limits.end(), LimitLess);
  return registry;
}

std::string SourcesToJson(const SourceRegistry& registry, bool with_secrets) {
  std::vector<const Source*> sources;
  sources.reserve(registry.sources.size());
  for (const Source& s : registry.sources) sources.push_back(&s);
  std::sort(sources.begin(), sources.end(),
            [](const Source* a, const Source* b) { return a->code < b->code; });
  json out = json::array();
  for (const Source* s : sources) {
    std::vector<LimitOverride> limits = s->limits;
    std::sort(limits.begin(), limits.end(), LimitLess);
    json jl = json::array();
    for (const LimitOverride& l : limits) {
      jl.push_back({{"pollutant", l.pollutant},
                    {"value", l.value},
                    {"unit", l.unit},
                    {"from", DayText(l.from_day, INT32_MIN)},
                    {"to", DayText(l.to_day, INT32_MAX)},
                    {"basis", l.basis}});
    }
    json o{{"code", s->code},
           {"name", s->name},
           {"enterprise", s->enterprise_code},
           {"kind", SourceKindName(s->kind)},
           {"mn", s->mn},
           {"fuel", FuelName(s->fuel)},
           {"boiler_class", BoilerClassName(s->boiler_class)},
           {"reference_o2_pct", s->reference_o2_pct},
           {"realtime_interval_s", s->realtime_interval_s},
           {"minute_interval_s", s->minute_interval_s},
           {"data_loss_after_s", s->data_loss_after_s},
           {"pollutants", s->pollutants},
           {"limits", std::move(jl)}};
    if (with_secrets) o["password_sha256"] = s->password_sha256;
    out.push_back(std::move(o));
  }
  json j{{"sources", std::move(out)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status ValidateSources(const SourceRegistry& registry,
                       const std::vector<model::Enterprise>& enterprises) {
  return CheckRegistry(registry, &enterprises);
}

std::optional<Limit> Gb13271Limit(std::string_view pollutant, BoilerClass boiler_class, Fuel fuel) {
  if (fuel == Fuel::kNone || boiler_class == BoilerClass::kNone) return std::nullopt;
  const Gb13271Row* row = nullptr;
  for (const Gb13271Row& r : kGb13271) {
    if (r.code == pollutant) row = &r;
  }
  if (row == nullptr) return std::nullopt;
  const int col = fuel == Fuel::kCoal ? 0 : fuel == Fuel::kOil ? 1 : 2;
  Limit limit;
  limit.unit = "mg/m3";
  limit.corrected = true;
  std::string_view table_zh, table_en;
  int table = 0;
  switch (boiler_class) {
    case BoilerClass::kInUse:
      limit.value = row->in_use[col];
      table = 1;
      table_zh = "在用锅炉";
      table_en = "in-use boilers";
      break;
    case BoilerClass::kNew:
      limit.value = row->new_[col];
      table = 2;
      table_zh = "新建锅炉";
      table_en = "new boilers";
      break;
    case BoilerClass::kSpecial:
      limit.value = row->special[col];
      table = 3;
      table_zh = "大气污染物特别排放限值";
      table_en = "special emission limits";
      break;
    case BoilerClass::kNone:
      return std::nullopt;
  }
  const bool note_550 =
      boiler_class == BoilerClass::kInUse && fuel == Fuel::kCoal && pollutant == "a21026";
  limit.basis =
      fmt::format("GB 13271-2014 表{} {} {}{} / Table {} {}, {}{}", table, table_zh, FuelZh(fuel),
                  note_550 ? "（广西、重庆、四川、贵州为 550）" : "", table, table_en,
                  FuelName(fuel), note_550 ? " (550 in Guangxi, Chongqing, Sichuan, Guizhou)" : "");
  return limit;
}

double Gb13271ReferenceO2(Fuel fuel) {
  switch (fuel) {
    case Fuel::kCoal:
      return 9.0;
    case Fuel::kOil:
    case Fuel::kGas:
      return 3.5;
    case Fuel::kNone:
      break;
  }
  return 0.0;
}

bool CorrectedConcentration(const Source& source, std::string_view pollutant) {
  if (source.kind != SourceKind::kStack || source.reference_o2_pct <= 0) return false;
  const hj212::PollutantCode* p = hj212::FindPollutant(pollutant);
  return p != nullptr && p->medium == hj212::Medium::kFlueGas && p->unit == "mg/m³";
}

std::optional<Limit> LimitInForce(const Source& source, std::string_view pollutant,
                                  int32_t local_day) {
  const LimitOverride* best = nullptr;
  for (const LimitOverride& l : source.limits) {
    if (l.pollutant != pollutant || local_day < l.from_day || local_day >= l.to_day) continue;
    if (best == nullptr || l.from_day > best->from_day) best = &l;
  }
  if (best != nullptr) {
    Limit limit;
    limit.value = best->value;
    limit.unit = best->unit;
    limit.basis = best->basis;
    limit.corrected = CorrectedConcentration(source, pollutant);
    return limit;
  }
  if (source.kind != SourceKind::kStack) return std::nullopt;
  std::optional<Limit> gb = Gb13271Limit(pollutant, source.boiler_class, source.fuel);
  if (gb) gb->corrected = CorrectedConcentration(source, pollutant);
  return gb;
}

}  // namespace zp::environment
