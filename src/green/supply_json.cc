// The supply registry as JSON (format: zp/green/supply.h). Parsing is strict (unknown fields and
// wrong types are refused, naming the asset or contract and the field), writing is canonical
// (sorted keys, sorted records), so that SupplyToJson(SupplyFromJson(x)) is stable.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "zp/base/time.h"
#include "zp/green/supply.h"

namespace zp::green {
namespace {

using nlohmann::json;

// Who a field belongs to, in both languages: "asset PV.E001" / "资产 PV.E001".
struct Who {
  std::string en;
  std::string zh;
};

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

Result<std::vector<std::string>> GetStrings(const json& obj, std::string_view key, const Who& who) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end()) return out;
  if (!it->is_array()) return FieldError(who, key, "must be a list of strings", "须为字符串列表");
  for (const json& v : *it) {
    if (!v.is_string()) return FieldError(who, key, "must be a list of strings", "须为字符串列表");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<const json*> GetObjects(const json& obj, std::string_view key, const Who& who) {
  auto it = obj.find(key);
  if (it == obj.end()) return static_cast<const json*>(nullptr);
  if (!it->is_array()) return FieldError(who, key, "must be a list", "须为列表");
  for (const json& v : *it) {
    if (!v.is_object()) return FieldError(who, key, "must be a list of objects", "须为对象列表");
  }
  return &*it;
}

// "YYYY-MM-DD" -> local day index.
Result<std::optional<int32_t>> GetDay(const json& obj, std::string_view key, const Who& who) {
  ZP_ASSIGN_OR_RETURN(std::string s, GetString(obj, key, who, false));
  if (s.empty()) return std::optional<int32_t>();
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
      s[4] != '-' || s[7] != '-' || !IsValidDate(y, m, d)) {
    return FieldError(who, key, fmt::format("'{}' is not a date YYYY-MM-DD", s),
                      fmt::format("'{}' 不是日期 YYYY-MM-DD", s));
  }
  return std::optional<int32_t>(DaysFromCivil(y, m, d));
}

// "YYYY-MM" -> month index.
Result<int32_t> GetMonth(const json& obj, const Who& who) {
  ZP_ASSIGN_OR_RETURN(std::string s, GetString(obj, "month", who, true));
  int y = 0, m = 0;
  char tail = 0;
  const bool digits =
      s.size() == 7 &&
      std::all_of(s.begin(), s.begin() + 4, [](char ch) { return ch >= '0' && ch <= '9'; }) &&
      s[5] >= '0' && s[5] <= '9' && s[6] >= '0' && s[6] <= '9';
  if (!digits || std::sscanf(s.c_str(), "%4d-%2d%c", &y, &m, &tail) != 2 || s[4] != '-' ||
      y < 1970 || m < 1 || m > 12) {
    return FieldError(who, "month", fmt::format("'{}' is not a month YYYY-MM", s),
                      fmt::format("'{}' 不是月份 YYYY-MM", s));
  }
  return MonthIndex(y, m);
}

std::string MonthText(int32_t month) {
  return fmt::format("{:04d}-{:02d}", MonthIndexYear(month), MonthIndexMonth(month));
}

Result<GenerationAsset> AssetFromJson(const json& j, size_t index) {
  Who who{fmt::format("assets[{}]", index), fmt::format("第 {} 个资产", index + 1)};
  if (auto it = j.find("code"); it != j.end() && it->is_string()) {
    who = Who{"asset " + it->get<std::string>(), "资产 " + it->get<std::string>()};
  }
  ZP_RETURN_IF_ERROR(CheckKeys(
      j, who,
      {"code", "name", "technology", "site", "meter", "charge_meter", "capacity_kw", "external"}));
  GenerationAsset a;
  ZP_ASSIGN_OR_RETURN(a.code, GetString(j, "code", who, true));
  ZP_ASSIGN_OR_RETURN(a.name, GetString(j, "name", who, false));
  ZP_ASSIGN_OR_RETURN(std::string tech, GetString(j, "technology", who, true));
  Result<Technology> t = ParseTechnology(tech);
  if (!t.ok()) {
    return FieldError(
        who, "technology",
        fmt::format("'{}' is not one of rooftop_pv, ground_pv, wind, "
                    "geothermal_heat, storage",
                    tech),
        fmt::format("'{}' 不是 rooftop_pv、ground_pv、wind、geothermal_heat、storage 之一", tech));
  }
  a.technology = *t;
  ZP_ASSIGN_OR_RETURN(a.site_enterprise, GetString(j, "site", who, false));
  ZP_ASSIGN_OR_RETURN(a.meter_code, GetString(j, "meter", who, false));
  ZP_ASSIGN_OR_RETURN(a.charge_meter_code, GetString(j, "charge_meter", who, false));
  if (auto it = j.find("capacity_kw"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) return FieldError(who, "capacity_kw", "must be a number", "须为数字");
    a.capacity_kw = it->get<double>();
  }
  if (auto it = j.find("external"); it != j.end()) {
    if (!it->is_boolean()) {
      return FieldError(who, "external", "must be true or false", "须为布尔值");
    }
    a.external = it->get<bool>();
  }
  return a;
}

Result<Contract> ContractFromJson(const json& j, size_t index) {
  Who who{fmt::format("contracts[{}]", index), fmt::format("第 {} 个合同", index + 1)};
  if (auto it = j.find("code"); it != j.end() && it->is_string()) {
    who = Who{"contract " + it->get<std::string>(), "合同 " + it->get<std::string>()};
  }
  ZP_RETURN_IF_ERROR(
      CheckKeys(j, who,
                {"code", "kind", "priority", "assets", "buyers", "valid_from", "valid_to",
                 "profile", "volumes", "hourly_profile", "gec", "bundled_with"}));
  Contract c;
  ZP_ASSIGN_OR_RETURN(c.code, GetString(j, "code", who, true));
  ZP_ASSIGN_OR_RETURN(std::string kind, GetString(j, "kind", who, true));
  Result<ContractKind> k = ParseContractKind(kind);
  if (!k.ok()) {
    return FieldError(
        who, "kind",
        fmt::format("'{}' is not one of same_site, direct_supply, green_trading, park_pool, gec",
                    kind),
        fmt::format("'{}' 不是 same_site、direct_supply、green_trading、park_pool、gec 之一",
                    kind));
  }
  c.kind = *k;
  ZP_ASSIGN_OR_RETURN(int64_t priority, GetInteger(j, "priority", who, 0));
  if (priority < 0 || priority > 1'000'000) {
    return FieldError(who, "priority", "must be an integer from 0 to 1000000",
                      "须为 0 至 1000000 的整数");
  }
  c.priority = static_cast<int32_t>(priority);
  ZP_ASSIGN_OR_RETURN(c.assets, GetStrings(j, "assets", who));
  ZP_ASSIGN_OR_RETURN(c.buyers, GetStrings(j, "buyers", who));
  ZP_ASSIGN_OR_RETURN(c.valid_from_day, GetDay(j, "valid_from", who));
  ZP_ASSIGN_OR_RETURN(c.valid_to_day, GetDay(j, "valid_to", who));
  if (j.contains("profile")) {
    ZP_ASSIGN_OR_RETURN(std::string profile, GetString(j, "profile", who, true));
    Result<Profile> p = ParseProfile(profile);
    if (!p.ok()) {
      return FieldError(who, "profile",
                        fmt::format("'{}' is not one of as_generated, flat, hourly", profile),
                        fmt::format("'{}' 不是 as_generated、flat、hourly 之一", profile));
    }
    c.profile = *p;
  }
  ZP_ASSIGN_OR_RETURN(const json* volumes, GetObjects(j, "volumes", who));
  if (volumes != nullptr) {
    for (const json& v : *volumes) {
      const Who vw{who.en + " volume", who.zh + " 月度电量"};
      ZP_RETURN_IF_ERROR(CheckKeys(v, vw, {"month", "kwh"}));
      MonthVolume mv;
      ZP_ASSIGN_OR_RETURN(mv.month, GetMonth(v, vw));
      const Who mw{fmt::format("{} volume {}", who.en, MonthText(mv.month)),
                   fmt::format("{} 月度电量 {}", who.zh, MonthText(mv.month))};
      auto it = v.find("kwh");
      if (it == v.end() || !it->is_number()) {
        return FieldError(mw, "kwh", "must be a number", "须为数字");
      }
      const double kwh = it->get<double>();
      if (!std::isfinite(kwh) || kwh < 0 || kwh > 1e12) {
        return FieldError(mw, "kwh", "must be a number from 0 to 1e12", "须为 0 至 1e12 的数");
      }
      mv.wh = std::llround(kwh * 1000.0);
      c.volumes.push_back(mv);
    }
  }
  if (auto it = j.find("hourly_profile"); it != j.end()) {
    if (!it->is_array()) {
      return FieldError(who, "hourly_profile", "must be a list of 24 numbers",
                        "须为 24 个数的列表");
    }
    for (const json& w : *it) {
      if (!w.is_number()) {
        return FieldError(who, "hourly_profile", "must be a list of 24 numbers",
                          "须为 24 个数的列表");
      }
      c.hourly_profile.push_back(w.get<double>());
    }
  }
  ZP_ASSIGN_OR_RETURN(const json* gec, GetObjects(j, "gec", who));
  if (gec != nullptr) {
    for (const json& g : *gec) {
      const Who gw{who.en + " gec", who.zh + " 绿证"};
      ZP_RETURN_IF_ERROR(CheckKeys(g, gw, {"month", "buyer", "certificates"}));
      GecHolding h;
      ZP_ASSIGN_OR_RETURN(h.month, GetMonth(g, gw));
      ZP_ASSIGN_OR_RETURN(h.buyer, GetString(g, "buyer", gw, true));
      auto it = g.find("certificates");
      if (it == g.end() || !it->is_number_integer()) {
        return FieldError(gw, "certificates", "must be an integer (1 per MWh)",
                          "须为整数（每兆瓦时一张）");
      }
      h.certificates = it->get<int64_t>();
      c.gec.push_back(std::move(h));
    }
  }
  ZP_ASSIGN_OR_RETURN(c.bundled_with, GetString(j, "bundled_with", who, false));
  return c;
}

json KwhJson(int64_t wh) {
  if (wh % 1000 == 0) return json(wh / 1000);
  return json(static_cast<double>(wh) / 1000.0);
}

}  // namespace

Result<Supply> SupplyFromJson(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format(
        "supply registry: not valid JSON ({}) / 绿电供给登记不是有效的 JSON", e.what()));
  }
  const Who top{"supply registry", "绿电供给登记"};
  if (!j.is_object()) {
    return InvalidArgumentError(
        "supply registry: must be an object {\"assets\": [...], \"contracts\": [...]} / "
        "绿电供给登记须为对象");
  }
  ZP_RETURN_IF_ERROR(CheckKeys(j, top, {"assets", "contracts", "stored"}));
  Supply s;
  try {
    ZP_ASSIGN_OR_RETURN(const json* assets, GetObjects(j, "assets", top));
    if (assets != nullptr) {
      for (size_t i = 0; i < assets->size(); ++i) {
        ZP_ASSIGN_OR_RETURN(GenerationAsset a, AssetFromJson((*assets)[i], i));
        s.assets.push_back(std::move(a));
      }
    }
    ZP_ASSIGN_OR_RETURN(const json* contracts, GetObjects(j, "contracts", top));
    if (contracts != nullptr) {
      for (size_t i = 0; i < contracts->size(); ++i) {
        ZP_ASSIGN_OR_RETURN(Contract c, ContractFromJson((*contracts)[i], i));
        s.contracts.push_back(std::move(c));
      }
    }
  } catch (const json::exception& e) {
    return InvalidArgumentError(
        fmt::format("supply registry: {} / 绿电供给登记格式错误", e.what()));
  }
  ZP_RETURN_IF_ERROR(ValidateSupply(s));
  return s;
}

std::string SupplyToJson(const Supply& supply, int indent) {
  std::vector<const GenerationAsset*> assets;
  for (const GenerationAsset& a : supply.assets) assets.push_back(&a);
  std::sort(assets.begin(), assets.end(),
            [](const GenerationAsset* a, const GenerationAsset* b) { return a->code < b->code; });
  std::vector<const Contract*> contracts;
  for (const Contract& c : supply.contracts) contracts.push_back(&c);
  std::sort(contracts.begin(), contracts.end(),
            [](const Contract* a, const Contract* b) { return a->code < b->code; });

  json ja = json::array();
  for (const GenerationAsset* a : assets) {
    json o{{"code", a->code},
           {"name", a->name},
           {"technology", TechnologyName(a->technology)},
           {"site", a->site_enterprise},
           {"meter", a->meter_code},
           {"external", a->external}};
    if (a->technology == Technology::kStorage || !a->charge_meter_code.empty()) {
      o["charge_meter"] = a->charge_meter_code;
    }
    if (a->capacity_kw) o["capacity_kw"] = *a->capacity_kw;
    ja.push_back(std::move(o));
  }
  json jc = json::array();
  for (const Contract* c : contracts) {
    std::vector<std::string> asset_codes = c->assets;
    std::sort(asset_codes.begin(), asset_codes.end());
    std::vector<std::string> buyers = c->buyers;
    std::sort(buyers.begin(), buyers.end());
    json o{{"code", c->code},
           {"kind", ContractKindName(c->kind)},
           {"priority", c->priority},
           {"assets", asset_codes},
           {"buyers", buyers},
           {"valid_from", c->valid_from_day ? FormatLocalDay(*c->valid_from_day) : ""},
           {"valid_to", c->valid_to_day ? FormatLocalDay(*c->valid_to_day) : ""}};
    if (c->kind == ContractKind::kGreenTrading || c->profile != Profile::kAsGenerated) {
      o["profile"] = ProfileName(c->profile);
    }
    if (!c->volumes.empty()) {
      std::vector<MonthVolume> v = c->volumes;
      std::sort(v.begin(), v.end(),
                [](const MonthVolume& a, const MonthVolume& b) { return a.month < b.month; });
      json jv = json::array();
      for (const MonthVolume& x : v) {
        jv.push_back({{"month", MonthText(x.month)}, {"kwh", KwhJson(x.wh)}});
      }
      o["volumes"] = std::move(jv);
    }
    if (!c->hourly_profile.empty()) o["hourly_profile"] = c->hourly_profile;
    if (c->kind == ContractKind::kGec || !c->gec.empty() || !c->bundled_with.empty()) {
      std::vector<GecHolding> g = c->gec;
      std::sort(g.begin(), g.end(), [](const GecHolding& a, const GecHolding& b) {
        return std::tie(a.month, a.buyer) < std::tie(b.month, b.buyer);
      });
      json jg = json::array();
      for (const GecHolding& x : g) {
        jg.push_back(
            {{"month", MonthText(x.month)}, {"buyer", x.buyer}, {"certificates", x.certificates}});
      }
      o["gec"] = std::move(jg);
      o["bundled_with"] = c->bundled_with;
    }
    jc.push_back(std::move(o));
  }
  json j{{"assets", std::move(ja)}, {"contracts", std::move(jc)}};
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace zp::green
