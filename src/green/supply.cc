#include "zp/green/supply.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "zp/base/time.h"
#include "zp/engine/engine.h"

namespace zp::green {
namespace {

constexpr int64_t kHourS = 3600;
constexpr int64_t kWhPerCertificate = 1'000'000;
constexpr int64_t kMaxGecPerEntry = 1'000'000'000;

bool ValidCode(std::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  for (char ch : code) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

// kWh from the engine -> integer Wh, half away from zero; negative or NaN hours count as 0.
int64_t ToWh(double kwh) {
  if (!(kwh > 0)) return 0;
  return std::llround(kwh * 1000.0);
}

std::string MonthText(int32_t month) {
  return fmt::format("{:04d}-{:02d}", MonthIndexYear(month), MonthIndexMonth(month));
}

Status AssetError(std::string_view code, std::string_view en, std::string_view zh) {
  return InvalidArgumentError(fmt::format("asset {}: {} / 资产 {}：{}", code, en, code, zh));
}
Status ContractError(std::string_view code, std::string_view en, std::string_view zh) {
  return InvalidArgumentError(fmt::format("contract {}: {} / 合同 {}：{}", code, en, code, zh));
}

// Whether any day of `month` lies in the contract's validity.
bool MonthOverlaps(const Contract& c, int32_t month) {
  const int32_t first = DaysFromCivil(MonthIndexYear(month), MonthIndexMonth(month), 1);
  const int32_t next = DaysFromCivil(MonthIndexYear(month + 1), MonthIndexMonth(month + 1), 1);
  return (!c.valid_from_day || *c.valid_from_day < next) &&
         (!c.valid_to_day || *c.valid_to_day > first);
}

// out[i] = floor(amount * w[i] / total) plus the leftover Wh one each to the largest remainders,
// ties to the lower i; total = sum of w > 0, all w >= 0. Exact (128-bit products).
void SplitLargestRemainder(int64_t amount, const std::vector<int64_t>& w,
                           std::vector<int64_t>* out) {
  const size_t n = w.size();
  out->assign(n, 0);
  __int128 total = 0;
  for (int64_t x : w) total += x;
  if (total <= 0 || amount <= 0) return;
  std::vector<int64_t> rem(n, 0);
  int64_t given = 0;
  for (size_t i = 0; i < n; ++i) {
    const __int128 p = static_cast<__int128>(amount) * w[i];
    (*out)[i] = static_cast<int64_t>(p / total);
    rem[i] = static_cast<int64_t>(p % total);
    given += (*out)[i];
  }
  int64_t left = amount - given;
  if (left <= 0) return;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rem[a] > rem[b]; });
  for (size_t i = 0; i < n && left > 0; ++i, --left) ++(*out)[order[i]];
}

}  // namespace

std::string_view TechnologyName(Technology t) {
  switch (t) {
    case Technology::kRooftopPv:
      return "rooftop_pv";
    case Technology::kGroundPv:
      return "ground_pv";
    case Technology::kWind:
      return "wind";
    case Technology::kGeothermalHeat:
      return "geothermal_heat";
    case Technology::kStorage:
      return "storage";
  }
  return "unknown";
}

Result<Technology> ParseTechnology(std::string_view s) {
  for (Technology t : {Technology::kRooftopPv, Technology::kGroundPv, Technology::kWind,
                       Technology::kGeothermalHeat, Technology::kStorage}) {
    if (s == TechnologyName(t)) return t;
  }
  return InvalidArgumentError(fmt::format(
      "unknown technology '{}' (rooftop_pv, ground_pv, wind, geothermal_heat, storage) / "
      "未知技术类型",
      s));
}

bool IsGreenElectricity(Technology t) {
  return t == Technology::kRooftopPv || t == Technology::kGroundPv || t == Technology::kWind;
}

std::string_view ContractKindName(ContractKind k) {
  switch (k) {
    case ContractKind::kSameSite:
      return "same_site";
    case ContractKind::kDirectSupply:
      return "direct_supply";
    case ContractKind::kGreenTrading:
      return "green_trading";
    case ContractKind::kParkPool:
      return "park_pool";
    case ContractKind::kGec:
      return "gec";
  }
  return "unknown";
}

Result<ContractKind> ParseContractKind(std::string_view s) {
  for (ContractKind k :
       {ContractKind::kSameSite, ContractKind::kDirectSupply, ContractKind::kGreenTrading,
        ContractKind::kParkPool, ContractKind::kGec}) {
    if (s == ContractKindName(k)) return k;
  }
  return InvalidArgumentError(fmt::format(
      "unknown contract kind '{}' (same_site, direct_supply, green_trading, park_pool, gec) / "
      "未知合同类型",
      s));
}

std::string_view ProfileName(Profile p) {
  switch (p) {
    case Profile::kAsGenerated:
      return "as_generated";
    case Profile::kFlat:
      return "flat";
    case Profile::kHourly:
      return "hourly";
  }
  return "unknown";
}

Result<Profile> ParseProfile(std::string_view s) {
  for (Profile p : {Profile::kAsGenerated, Profile::kFlat, Profile::kHourly}) {
    if (s == ProfileName(p)) return p;
  }
  return InvalidArgumentError(
      fmt::format("unknown profile '{}' (as_generated, flat, hourly) / 未知出力曲线类型", s));
}

Status ValidateSupply(const Supply& supply) {
  std::unordered_map<std::string_view, const GenerationAsset*> assets;
  std::unordered_map<std::string_view, std::string_view> meter_of;  // meter -> asset
  for (const GenerationAsset& a : supply.assets) {
    if (!ValidCode(a.code)) {
      return InvalidArgumentError(
          fmt::format("asset code '{}' must be 1-64 characters from A-Z a-z 0-9 . _ - / "
                      "资产代码须为 1-64 个字母、数字或 . _ -",
                      a.code));
    }
    if (!assets.emplace(a.code, &a).second) return AssetError(a.code, "duplicate code", "代码重复");
    if (a.capacity_kw && !(std::isfinite(*a.capacity_kw) && *a.capacity_kw > 0)) {
      return AssetError(a.code, "capacity_kw must be a number > 0", "capacity_kw 须为正数");
    }
    const bool storage = a.technology == Technology::kStorage;
    if (a.external) {
      if (!a.site_enterprise.empty()) {
        return AssetError(
            a.code, fmt::format("an external asset has no site (site '{}')", a.site_enterprise),
            "园区外资产不能指定所在企业");
      }
      if (storage) {
        return AssetError(a.code, "storage cannot be external", "储能不能是园区外资产");
      }
    } else if (a.meter_code.empty()) {
      return AssetError(a.code, "no generation meter (field meter)", "缺少发电计量表 (meter)");
    }
    if (storage) {
      if (a.site_enterprise.empty()) {
        return AssetError(a.code, "storage needs a site enterprise (field site)",
                          "储能须指定所在企业 (site)");
      }
      if (a.charge_meter_code.empty()) {
        return AssetError(a.code, "storage needs a charge meter (field charge_meter)",
                          "储能须指定充电计量表 (charge_meter)");
      }
    } else if (!a.charge_meter_code.empty()) {
      return AssetError(a.code, "charge_meter is for storage only", "仅储能可指定 charge_meter");
    }
    for (const std::string* m : {&a.meter_code, &a.charge_meter_code}) {
      if (m->empty()) continue;
      auto [it, inserted] = meter_of.emplace(*m, a.code);
      if (!inserted) {
        return AssetError(
            a.code, fmt::format("meter {} already measures another asset ({})", *m, it->second),
            fmt::format("计量表 {} 已属于资产 {}", *m, it->second));
      }
    }
  }

  std::unordered_map<std::string_view, const Contract*> contracts;
  for (const Contract& c : supply.contracts) {
    if (!ValidCode(c.code)) {
      return InvalidArgumentError(
          fmt::format("contract code '{}' must be 1-64 characters from A-Z a-z 0-9 . _ - / "
                      "合同代码须为 1-64 个字母、数字或 . _ -",
                      c.code));
    }
    if (!contracts.emplace(c.code, &c).second) {
      return ContractError(c.code, "duplicate code", "代码重复");
    }
  }
  std::unordered_map<std::string_view, std::string_view> contract_of;  // asset -> contract
  for (const Contract& c : supply.contracts) {
    if (static_cast<uint8_t>(c.kind) > static_cast<uint8_t>(ContractKind::kGec)) {
      return ContractError(c.code, "invalid kind", "合同类型无效");
    }
    if (c.priority < 0 || c.priority > 1'000'000) {
      return ContractError(c.code, fmt::format("priority {} must be from 0 to 1000000", c.priority),
                           "priority 须为 0 至 1000000 的整数");
    }
    if (c.valid_from_day && c.valid_to_day && *c.valid_to_day <= *c.valid_from_day) {
      return ContractError(
          c.code,
          fmt::format("valid_to {} must be after valid_from {}", FormatLocalDay(*c.valid_to_day),
                      FormatLocalDay(*c.valid_from_day)),
          "valid_to 须晚于 valid_from");
    }
    if (c.buyers.empty()) return ContractError(c.code, "no buyers", "没有购买方 (buyers)");
    std::unordered_set<std::string_view> buyers;
    for (const std::string& b : c.buyers) {
      if (b.empty()) return ContractError(c.code, "empty buyer", "购买方为空");
      if (!buyers.insert(b).second) {
        return ContractError(c.code, fmt::format("buyer {} listed twice", b),
                             fmt::format("购买方 {} 重复", b));
      }
    }
    const bool trading = c.kind == ContractKind::kGreenTrading;
    if (!trading && (c.profile != Profile::kAsGenerated || !c.volumes.empty())) {
      return ContractError(c.code, "profile and volumes are for green_trading contracts only",
                           "仅绿电交易合同可指定 profile 与 volumes");
    }
    if ((c.profile == Profile::kHourly) != !c.hourly_profile.empty()) {
      return ContractError(c.code, "hourly_profile goes with profile \"hourly\" (and only there)",
                           "hourly_profile 须且仅须与 profile \"hourly\" 同时出现");
    }
    if (c.kind != ContractKind::kGec && (!c.gec.empty() || !c.bundled_with.empty())) {
      return ContractError(c.code, "gec and bundled_with are for gec contracts only",
                           "仅绿证合同可指定 gec 与 bundled_with");
    }

    if (c.kind == ContractKind::kGec) {
      if (!c.assets.empty()) {
        return ContractError(c.code, "a gec contract has no assets (GECs are not an hourly source)",
                             "绿证合同不含发电资产（绿证不参与逐时分配）");
      }
      const Contract* bundle = nullptr;
      if (!c.bundled_with.empty()) {
        auto it = contracts.find(c.bundled_with);
        if (it == contracts.end() || it->second->kind != ContractKind::kGreenTrading) {
          return ContractError(
              c.code,
              fmt::format("bundled_with {} is not a green_trading contract", c.bundled_with),
              fmt::format("bundled_with {} 不是绿电交易合同", c.bundled_with));
        }
        bundle = it->second;
      }
      std::set<std::pair<int32_t, std::string_view>> seen;
      for (const GecHolding& g : c.gec) {
        if (!MonthOverlaps(c, g.month)) {
          return ContractError(
              c.code,
              fmt::format("gec month {} is outside the contract's validity", MonthText(g.month)),
              fmt::format("绿证月份 {} 不在合同有效期内", MonthText(g.month)));
        }
        if (!buyers.count(g.buyer)) {
          return ContractError(
              c.code, fmt::format("gec buyer {} is not one of the contract's buyers", g.buyer),
              fmt::format("绿证持有方 {} 不在合同购买方中", g.buyer));
        }
        if (bundle && std::find(bundle->buyers.begin(), bundle->buyers.end(), g.buyer) ==
                          bundle->buyers.end()) {
          return ContractError(
              c.code,
              fmt::format("gec buyer {} does not buy from the bundled contract {}", g.buyer,
                          bundle->code),
              fmt::format("绿证持有方 {} 不是捆绑合同 {} 的购买方", g.buyer, bundle->code));
        }
        // 1e9 certificates = 1e9 MWh a month, far above any park; the bound keeps every Wh sum
        // (certificates x 1e6 Wh, over months and buyers) inside int64.
        if (g.certificates < 0 || g.certificates > kMaxGecPerEntry) {
          return ContractError(c.code,
                               fmt::format("gec {} {}: certificates must be 0..{}",
                                           MonthText(g.month), g.buyer, kMaxGecPerEntry),
                               fmt::format("绿证张数须在 0 到 {} 之间", kMaxGecPerEntry));
        }
        if (!seen.emplace(g.month, g.buyer).second) {
          return ContractError(c.code,
                               fmt::format("gec {} {} listed twice", MonthText(g.month), g.buyer),
                               fmt::format("绿证 {} {} 重复", MonthText(g.month), g.buyer));
        }
      }
      continue;
    }

    if (c.assets.empty()) return ContractError(c.code, "no assets", "没有发电资产 (assets)");
    if (c.kind == ContractKind::kSameSite && c.buyers.size() != 1) {
      return ContractError(
          c.code,
          fmt::format("a same_site contract has exactly one buyer (the site), not {}",
                      c.buyers.size()),
          "自发自用合同须且仅须有一个购买方（所在企业）");
    }
    const bool profiled = trading && c.profile != Profile::kAsGenerated;
    for (const std::string& code : c.assets) {
      auto it = assets.find(code);
      if (it == assets.end()) {
        return ContractError(c.code, fmt::format("unknown asset {}", code),
                             fmt::format("资产 {} 未登记", code));
      }
      const GenerationAsset& a = *it->second;
      auto [prev, inserted] = contract_of.emplace(a.code, c.code);
      if (!inserted) {
        return ContractError(
            c.code,
            fmt::format("asset {} already belongs to contract {} (its generation would count "
                        "twice)",
                        code, prev->second),
            fmt::format("资产 {} 已属于合同 {}（发电量会重复计算）", code, prev->second));
      }
      if (a.technology == Technology::kStorage) {
        if (c.kind != ContractKind::kSameSite) {
          return ContractError(c.code,
                               fmt::format("storage asset {} can only be in a same_site contract "
                                           "(it charges from its site's surplus)",
                                           code),
                               fmt::format("储能 {} 只能属于自发自用合同", code));
        }
      } else if (!IsGreenElectricity(a.technology)) {
        return ContractError(
            c.code,
            fmt::format("asset {} is {}, not a green electricity source (PV, wind)", code,
                        TechnologyName(a.technology)),
            fmt::format("资产 {} 为 {}，不是绿色电力来源（光伏、风电）", code,
                        TechnologyName(a.technology)));
      }
      if (c.kind == ContractKind::kSameSite && (a.external || a.site_enterprise != c.buyers[0])) {
        return ContractError(
            c.code,
            fmt::format("same_site asset {} is sited at '{}', not at the buyer {}", code,
                        a.external ? "external" : a.site_enterprise, c.buyers[0]),
            fmt::format("自发自用资产 {} 不在购买方 {} 厂区内", code, c.buyers[0]));
      }
      if (c.kind == ContractKind::kParkPool && (a.external || !a.site_enterprise.empty())) {
        return ContractError(c.code,
                             fmt::format("park_pool asset {} belongs to {}, not to the park", code,
                                         a.external ? "someone outside the park"
                                                    : "enterprise " + a.site_enterprise),
                             fmt::format("园区共享资产 {} 不属于园区", code));
      }
      if (!profiled && a.meter_code.empty()) {
        return ContractError(
            c.code,
            fmt::format("asset {} has no meter: its output is offered as metered (only a "
                        "green_trading contract with profile flat or hourly needs none)",
                        code),
            fmt::format("资产 {} 没有计量表，无法按实际发电量供电", code));
      }
      if (profiled && !a.external) {
        return ContractError(
            c.code,
            fmt::format("profile {} is for external supply; asset {} is in the park (use "
                        "as_generated)",
                        ProfileName(c.profile), code),
            fmt::format("按曲线交付仅适用于园区外资产；资产 {} 在园区内", code));
      }
    }
    if (!trading) continue;
    if (profiled) {
      if (c.assets.size() != 1) {
        return ContractError(c.code,
                             fmt::format("profile {} needs exactly one (external) asset, not {}",
                                         ProfileName(c.profile), c.assets.size()),
                             "按曲线交付的合同须且仅须含一个园区外资产");
      }
      if (c.volumes.empty()) {
        return ContractError(
            c.code, fmt::format("profile {} needs monthly volumes", ProfileName(c.profile)),
            "按曲线交付的合同须给出月度电量 (volumes)");
      }
    }
    if (c.profile == Profile::kHourly) {
      if (c.hourly_profile.size() != 24) {
        return ContractError(c.code,
                             fmt::format("hourly_profile has {} weights, needs 24 (local hours "
                                         "0..23)",
                                         c.hourly_profile.size()),
                             "hourly_profile 须为 24 个权重（当地时间 0-23 时）");
      }
      double max_w = 0;
      for (double w : c.hourly_profile) {
        if (!std::isfinite(w) || w < 0) {
          return ContractError(c.code, "hourly_profile weights must be numbers >= 0",
                               "hourly_profile 权重须为非负数");
        }
        max_w = std::max(max_w, w);
      }
      if (max_w <= 0) {
        return ContractError(c.code, "hourly_profile weights are all 0",
                             "hourly_profile 权重全为 0");
      }
    }
    std::set<int32_t> months;
    for (const MonthVolume& v : c.volumes) {
      if (!months.insert(v.month).second) {
        return ContractError(c.code,
                             fmt::format("volume month {} listed twice", MonthText(v.month)),
                             fmt::format("月度电量 {} 重复", MonthText(v.month)));
      }
      if (v.wh < 0) {
        return ContractError(c.code, fmt::format("volume {}: kwh must be >= 0", MonthText(v.month)),
                             "月度电量须为非负数");
      }
      if (!MonthOverlaps(c, v.month)) {
        return ContractError(
            c.code,
            fmt::format("volume month {} is outside the contract's validity", MonthText(v.month)),
            fmt::format("月度电量 {} 不在合同有效期内", MonthText(v.month)));
      }
    }
  }
  return Status::OK();
}

Status ValidateSupply(const Supply& supply, const std::vector<model::Enterprise>& enterprises,
                      const std::vector<model::Meter>& meters) {
  ZP_RETURN_IF_ERROR(ValidateSupply(supply));
  std::unordered_set<std::string_view> ents;
  for (const model::Enterprise& e : enterprises) ents.insert(e.code);
  std::unordered_map<std::string_view, const model::Meter*> by_code;
  for (const model::Meter& m : meters) by_code.emplace(m.code, &m);
  for (const GenerationAsset& a : supply.assets) {
    if (!a.site_enterprise.empty() && !ents.count(a.site_enterprise)) {
      return AssetError(a.code, fmt::format("unknown site enterprise {}", a.site_enterprise),
                        fmt::format("所在企业 {} 未登记", a.site_enterprise));
    }
    if (!a.meter_code.empty()) {
      auto it = by_code.find(a.meter_code);
      if (it == by_code.end()) {
        return AssetError(a.code, fmt::format("unknown meter {}", a.meter_code),
                          fmt::format("计量表 {} 未登记", a.meter_code));
      }
      const model::Meter& m = *it->second;
      if (m.flow != model::MeterFlow::kGeneration || m.kind == model::MeterKind::kVirtual) {
        return AssetError(a.code,
                          fmt::format("meter {} is not a physical generation meter", a.meter_code),
                          fmt::format("计量表 {} 不是实体发电计量表", a.meter_code));
      }
      if (a.technology == Technology::kGeothermalHeat) {
        if (m.carrier != units::Carrier::kHeat && m.carrier != units::Carrier::kSteam) {
          return AssetError(a.code, fmt::format("meter {} does not measure heat", a.meter_code),
                            fmt::format("计量表 {} 不计量热力", a.meter_code));
        }
      } else if (m.carrier != units::Carrier::kElectricity) {
        return AssetError(a.code,
                          fmt::format("meter {} does not measure electricity", a.meter_code),
                          fmt::format("计量表 {} 不计量电力", a.meter_code));
      }
      if (m.enterprise_code != a.site_enterprise) {
        return AssetError(a.code,
                          fmt::format("meter {} belongs to '{}', not to the asset's site '{}'",
                                      a.meter_code, m.enterprise_code, a.site_enterprise),
                          fmt::format("计量表 {} 不属于资产所在地", a.meter_code));
      }
    }
    if (!a.charge_meter_code.empty()) {
      auto it = by_code.find(a.charge_meter_code);
      if (it == by_code.end()) {
        return AssetError(a.code, fmt::format("unknown charge meter {}", a.charge_meter_code),
                          fmt::format("充电计量表 {} 未登记", a.charge_meter_code));
      }
      const model::Meter& m = *it->second;
      if (m.flow != model::MeterFlow::kConsumption || m.kind == model::MeterKind::kVirtual ||
          m.carrier != units::Carrier::kElectricity) {
        return AssetError(
            a.code,
            fmt::format("charge meter {} is not a physical electricity consumption meter",
                        a.charge_meter_code),
            fmt::format("充电计量表 {} 不是实体电力消费计量表", a.charge_meter_code));
      }
      if (m.enterprise_code != a.site_enterprise) {
        return AssetError(
            a.code,
            fmt::format("charge meter {} belongs to '{}', not to the asset's site '{}'",
                        a.charge_meter_code, m.enterprise_code, a.site_enterprise),
            fmt::format("充电计量表 {} 不属于资产所在企业", a.charge_meter_code));
      }
    }
  }
  // A generation meter under another asset's generation meter measures part of the same energy:
  // both as assets would certify it twice.
  std::unordered_map<std::string_view, std::string_view> asset_of_meter;
  for (const GenerationAsset& a : supply.assets) {
    if (!a.meter_code.empty()) asset_of_meter.emplace(a.meter_code, a.code);
  }
  for (const GenerationAsset& a : supply.assets) {
    if (a.meter_code.empty()) continue;
    auto it = by_code.find(a.meter_code);
    for (int depth = 0; it != by_code.end() && !it->second->parent_code.empty() && depth < 64;
         ++depth) {
      const std::string& parent = it->second->parent_code;
      if (auto other = asset_of_meter.find(parent); other != asset_of_meter.end()) {
        return AssetError(
            a.code,
            fmt::format("meter {} is under meter {} of asset {}: the same energy would be "
                        "certified twice",
                        a.meter_code, parent, other->second),
            fmt::format("计量表 {} 是资产 {} 的计量表 {} 的分表，同一电量会被重复签发",
                        a.meter_code, other->second, parent));
      }
      it = by_code.find(parent);
    }
  }
  for (const Contract& c : supply.contracts) {
    for (const std::string& b : c.buyers) {
      if (!ents.count(b)) {
        return ContractError(c.code, fmt::format("unknown buyer {}", b),
                             fmt::format("购买方 {} 未登记", b));
      }
    }
  }
  return Status::OK();
}

Result<Supply> DefaultSupplyFromRegistry(engine::Engine& engine) {
  std::vector<model::Enterprise> ents = engine.ListEnterprises();
  std::vector<std::string> codes;
  codes.reserve(ents.size());
  for (const model::Enterprise& e : ents) codes.push_back(e.code);
  std::sort(codes.begin(), codes.end());
  std::vector<model::Meter> meters = engine.ListMeters();
  std::sort(meters.begin(), meters.end(),
            [](const model::Meter& a, const model::Meter& b) { return a.code < b.code; });
  Supply s;
  std::map<std::string, std::vector<std::string>> by_site;  // site -> asset codes
  std::unordered_map<std::string_view, const model::Meter*> by_code;
  for (const model::Meter& m : meters) by_code.emplace(m.code, &m);
  // A physical electricity generation meter; the default takes the topmost of a chain only (a
  // generation sub-meter measures part of its parent's energy).
  auto is_source = [](const model::Meter& m) {
    return m.flow == model::MeterFlow::kGeneration && m.kind != model::MeterKind::kVirtual &&
           m.carrier == units::Carrier::kElectricity;
  };
  auto under_source = [&](const model::Meter& m) {
    const model::Meter* p = &m;
    for (int depth = 0; depth < 64 && !p->parent_code.empty(); ++depth) {
      auto it = by_code.find(p->parent_code);
      if (it == by_code.end()) return false;
      p = it->second;
      if (is_source(*p)) return true;
    }
    return false;
  };
  for (const model::Meter& m : meters) {
    if (!is_source(m) || under_source(m)) continue;
    GenerationAsset a;
    a.code = m.code;
    a.name = m.name;
    a.technology = Technology::kRooftopPv;
    a.site_enterprise = m.enterprise_code;
    a.meter_code = m.code;
    s.assets.push_back(std::move(a));
    by_site[m.enterprise_code].push_back(m.code);
  }
  for (auto& [site, assets] : by_site) {
    if (site.empty()) continue;
    Contract c;
    c.code = "SAME_SITE." + site;
    c.kind = ContractKind::kSameSite;
    c.assets = assets;
    c.buyers = {site};
    s.contracts.push_back(std::move(c));
  }
  if (auto it = by_site.find(""); it != by_site.end() && !codes.empty()) {
    Contract c;
    c.code = "PARK_POOL";
    c.kind = ContractKind::kParkPool;
    c.assets = it->second;
    c.buyers = codes;
    s.contracts.push_back(std::move(c));
  }
  ZP_RETURN_IF_ERROR(ValidateSupply(s, ents, meters));
  return s;
}

Result<Supply> LoadSupply(engine::Engine& engine, bool* stored) {
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> text, engine.GetSetting(kSettingSupply));
  if (stored != nullptr) *stored = text.has_value();
  if (!text) return DefaultSupplyFromRegistry(engine);
  Result<Supply> supply = SupplyFromJson(*text);
  if (!supply.ok()) {
    return supply.error().WithContext(
        "the stored supply registry (setting green/supply) / 已保存的绿电供给登记");
  }
  Status st = ValidateSupply(*supply, engine.ListEnterprises(), engine.ListMeters());
  if (!st.ok()) {
    return st.WithContext(
        "the stored supply registry no longer fits the park registry / "
        "已保存的绿电供给登记与园区登记不符");
  }
  return supply;
}

Status SaveSupply(engine::Engine& engine, const Supply& supply) {
  ZP_RETURN_IF_ERROR(ValidateSupply(supply, engine.ListEnterprises(), engine.ListMeters()));
  return engine.PutSetting(kSettingSupply, SupplyToJson(supply));
}

namespace {

// Hourly Wh of `meters` over the hour grid [grid_start, grid_start + hours h): one Sums by meter.
Status MeterHours(engine::Engine& engine, const std::vector<std::string>& meters,
                  int64_t grid_start, int32_t hours,
                  std::unordered_map<std::string, std::vector<int64_t>>* out) {
  for (const std::string& m : meters) (*out)[m].assign(hours, 0);
  if (meters.empty() || hours <= 0) return Status::OK();
  engine::SumQuery q;
  q.group_by = engine::GroupBy::kMeter;
  q.period = engine::Period::kHour;
  q.from_s = grid_start;
  q.to_s = grid_start + hours * kHourS;
  q.carrier = units::Carrier::kElectricity;
  q.include_generation = true;
  q.meters = meters;
  ZP_ASSIGN_OR_RETURN(std::vector<engine::SumRow> rows, engine.Sums(q));
  for (const engine::SumRow& r : rows) {
    auto it = out->find(r.group);
    const int64_t d = r.period_start_s - grid_start;
    if (it == out->end() || d < 0 || d % kHourS != 0 || d / kHourS >= hours) continue;
    it->second[d / kHourS] += ToWh(r.value);
  }
  return Status::OK();
}

}  // namespace

Result<SupplyInput> BuildAllocationInput(engine::Engine& engine, const Supply& supply,
                                         int64_t from_s, int64_t to_s) {
  return BuildAllocationInput(engine, supply, from_s, to_s, BuildOptions{});
}

Result<SupplyInput> BuildAllocationInput(engine::Engine& engine, const Supply& supply,
                                         int64_t from_s, int64_t to_s,
                                         const BuildOptions& options) {
  if (to_s <= from_s) {
    return InvalidArgumentError(fmt::format("empty range [{}, {})", from_s, to_s));
  }
  const std::vector<model::Enterprise> ents = engine.ListEnterprises();
  const std::vector<model::Meter> meters = engine.ListMeters();
  ZP_RETURN_IF_ERROR(ValidateSupply(supply, ents, meters));

  SupplyInput out;
  // Calendar: whole local hours covering [from_s, to_s).
  const TimeZone tz = engine.zone();
  const int64_t start = tz.FromLocal(tz.LocalHour(from_s) * kHourS);
  const int64_t end = tz.FromLocal((FloorDiv(tz.ToLocal(to_s) + kHourS - 1, kHourS)) * kHourS);
  if (end <= start) return InvalidArgumentError("range holds no hour");
  for (int64_t t = start; t < end; t += kHourS) {
    out.hour_start_s.push_back(t);
    out.hour_month.push_back(tz.LocalMonth(t));
  }
  const int32_t hours = static_cast<int32_t>(out.hour_start_s.size());
  std::vector<int32_t> hour_day(hours);
  for (int32_t h = 0; h < hours; ++h) hour_day[h] = tz.LocalDay(out.hour_start_s[h]);
  auto hour_of = [&](int64_t period_start_s) -> int32_t {
    const int64_t d = period_start_s - start;
    if (d < 0 || d % kHourS != 0 || d / kHourS >= hours) return -1;
    return static_cast<int32_t>(d / kHourS);
  };

  // Consumers.
  for (const model::Enterprise& e : ents) out.consumers.push_back(e.code);
  std::sort(out.consumers.begin(), out.consumers.end());
  std::unordered_map<std::string_view, int32_t> consumer_index;
  for (size_t i = 0; i < out.consumers.size(); ++i) {
    consumer_index.emplace(out.consumers[i], static_cast<int32_t>(i));
  }
  const int32_t c_count = static_cast<int32_t>(out.consumers.size());

  // Rounds: distinct (kind, priority) of the hourly contracts; sources by (round, contract, asset).
  std::vector<const Contract*> contracts;
  for (const Contract& c : supply.contracts) {
    if (IsHourlyKind(c.kind)) contracts.push_back(&c);
  }
  std::sort(contracts.begin(), contracts.end(), [](const Contract* a, const Contract* b) {
    return std::tie(a->kind, a->priority, a->code) < std::tie(b->kind, b->priority, b->code);
  });
  std::unordered_map<std::string_view, const GenerationAsset*> assets;
  for (const GenerationAsset& a : supply.assets) assets.emplace(a.code, &a);
  AllocationInput& in = out.input;
  in.hours = hours;
  in.consumers = c_count;
  in.eligible_offsets.push_back(0);
  std::vector<const Contract*> contract_of_source;
  std::vector<const GenerationAsset*> asset_of_source;
  for (const Contract* c : contracts) {
    if (out.round_kind.empty() || out.round_kind.back() != c->kind ||
        out.round_priority.back() != c->priority) {
      out.round_kind.push_back(c->kind);
      out.round_priority.push_back(c->priority);
    }
    const int32_t round = static_cast<int32_t>(out.round_kind.size()) - 1;
    std::vector<int32_t> buyers;
    for (const std::string& b : c->buyers) buyers.push_back(consumer_index.at(b));
    std::sort(buyers.begin(), buyers.end());
    std::vector<std::string> codes = c->assets;
    std::sort(codes.begin(), codes.end());
    for (const std::string& code : codes) {
      const GenerationAsset& a = *assets.at(code);
      out.source_asset.push_back(a.code);
      out.source_contract.push_back(c->code);
      out.source_kind.push_back(c->kind);
      out.source_technology.push_back(a.technology);
      out.source_account.push_back(a.external                  ? "contract:" + c->code
                                   : a.site_enterprise.empty() ? std::string("park")
                                                               : a.site_enterprise);
      contract_of_source.push_back(c);
      asset_of_source.push_back(&a);
      in.source_round.push_back(round);
      in.eligible_consumers.insert(in.eligible_consumers.end(), buyers.begin(), buyers.end());
      in.eligible_offsets.push_back(static_cast<int32_t>(in.eligible_consumers.size()));
    }
  }
  in.rounds = static_cast<int32_t>(out.round_kind.size());
  const int32_t s_count = in.sources();

  // Consumption: one query, every enterprise's electricity per hour.
  in.consumption.assign(static_cast<size_t>(hours) * c_count, 0);
  if (c_count > 0) {
    engine::SumQuery q;
    q.group_by = engine::GroupBy::kEnterprise;
    q.period = engine::Period::kHour;
    q.from_s = from_s;
    q.to_s = to_s;
    q.carrier = units::Carrier::kElectricity;
    ZP_ASSIGN_OR_RETURN(std::vector<engine::SumRow> rows, engine.Sums(q));
    for (const engine::SumRow& r : rows) {
      if (r.carrier != units::Carrier::kElectricity) continue;
      auto it = consumer_index.find(r.group);
      const int32_t h = hour_of(r.period_start_s);
      if (it == consumer_index.end() || h < 0) continue;
      in.consumption[static_cast<size_t>(h) * c_count + it->second] += ToWh(r.value);
    }
  }

  // Storage assets: every sited storage, sorted by code.
  std::vector<const GenerationAsset*> storages;
  for (const GenerationAsset& a : supply.assets) {
    if (a.technology == Technology::kStorage) storages.push_back(&a);
  }
  std::sort(storages.begin(), storages.end(),
            [](const GenerationAsset* a, const GenerationAsset* b) { return a->code < b->code; });

  // Metered series over the range: metered sources, storage discharge and charge meters.
  std::vector<std::string> metered;
  for (int32_t s = 0; s < s_count; ++s) {
    const Contract& c = *contract_of_source[s];
    const GenerationAsset& a = *asset_of_source[s];
    const bool profiled =
        c.kind == ContractKind::kGreenTrading && c.profile != Profile::kAsGenerated;
    if (!profiled && a.technology != Technology::kStorage) metered.push_back(a.meter_code);
  }
  for (const GenerationAsset* a : storages) {
    metered.push_back(a->meter_code);
    metered.push_back(a->charge_meter_code);
  }
  std::sort(metered.begin(), metered.end());
  metered.erase(std::unique(metered.begin(), metered.end()), metered.end());
  std::unordered_map<std::string, std::vector<int64_t>> series;
  ZP_RETURN_IF_ERROR(MeterHours(engine, metered, start, hours, &series));

  // Generation per source and hour.
  in.generation.assign(static_cast<size_t>(hours) * s_count, 0);
  auto gen = [&](int32_t h, int32_t s) -> int64_t& {
    return in.generation[static_cast<size_t>(h) * s_count + s];
  };
  for (int32_t s = 0; s < s_count; ++s) {
    const Contract& c = *contract_of_source[s];
    const GenerationAsset& a = *asset_of_source[s];
    if (a.technology == Technology::kStorage) continue;  // its green discharge, below
    if (c.kind == ContractKind::kGreenTrading && c.profile != Profile::kAsGenerated) continue;
    const std::vector<int64_t>& m = series.at(a.meter_code);
    for (int32_t h = 0; h < hours; ++h) {
      if (c.ValidOn(hour_day[h])) gen(h, s) = m[h];
    }
  }

  // Contracts delivering by month: profiled volumes and capped as_generated output.
  const int32_t first_month = out.hour_month.front();
  const int32_t last_month = out.hour_month.back();
  for (size_t ci = 0, s0 = 0; ci < contracts.size(); s0 += contracts[ci]->assets.size(), ++ci) {
    const Contract& c = *contracts[ci];
    if (c.kind != ContractKind::kGreenTrading) continue;
    const bool profiled = c.profile != Profile::kAsGenerated;
    if (!profiled && c.volumes.empty()) continue;
    const int32_t n = static_cast<int32_t>(c.assets.size());
    std::map<int32_t, int64_t> volume;
    for (const MonthVolume& v : c.volumes) volume[v.month] = v.wh;
    std::vector<int64_t> weights;
    if (c.profile == Profile::kHourly) {
      const double max_w = *std::max_element(c.hourly_profile.begin(), c.hourly_profile.end());
      for (double w : c.hourly_profile) weights.push_back(std::llround(w / max_w * 1e9));
    }
    // Capped output needs the month's hours before the range too.
    const int64_t pre_start = tz.MonthStart(first_month);
    const int32_t pre_hours =
        !profiled && pre_start < start ? static_cast<int32_t>((start - pre_start) / kHourS) : 0;
    // The contract's sources are its assets in code order.
    std::vector<std::string> meters_of_contract;
    {
      std::vector<std::string> codes = c.assets;
      std::sort(codes.begin(), codes.end());
      for (const std::string& code : codes) {
        meters_of_contract.push_back(assets.at(code)->meter_code);
      }
    }
    std::unordered_map<std::string, std::vector<int64_t>> pre;
    if (pre_hours > 0) {
      ZP_RETURN_IF_ERROR(MeterHours(engine, meters_of_contract, pre_start, pre_hours, &pre));
    }
    for (int32_t month = first_month; month <= last_month; ++month) {
      const int64_t month_start = tz.MonthStart(month);
      const int64_t month_end = tz.MonthStart(month + 1);
      auto vit = volume.find(month);
      const int64_t month_volume = vit == volume.end() ? 0 : vit->second;
      if (profiled) {
        if (month_volume == 0) continue;  // nothing delivered (gen is 0)
        // Spread the month's volume over its valid hours, then keep the range's hours.
        std::vector<int64_t> w;
        for (int64_t t = month_start; t < month_end; t += kHourS) {
          const int64_t hod = ((FloorDiv(tz.ToLocal(t), kHourS) % 24) + 24) % 24;
          w.push_back(!c.ValidOn(tz.LocalDay(t))    ? 0
                      : c.profile == Profile::kFlat ? 1
                                                    : weights[static_cast<size_t>(hod)]);
        }
        if (std::all_of(w.begin(), w.end(), [](int64_t x) { return x == 0; })) {
          return ContractError(
              c.code,
              fmt::format("volume {} has no valid hour of positive weight", MonthText(month)),
              fmt::format("月度电量 {} 没有可交付的小时", MonthText(month)));
        }
        std::vector<int64_t> wh;
        SplitLargestRemainder(month_volume, w, &wh);
        for (size_t i = 0; i < wh.size(); ++i) {
          const int32_t h = hour_of(month_start + static_cast<int64_t>(i) * kHourS);
          if (h >= 0) gen(h, static_cast<int32_t>(s0)) = wh[i];
        }
        continue;
      }
      // As generated, capped: in time order, each hour offers min(metered, volume left).
      int64_t left = month_volume;
      std::vector<int64_t> metered_h(n), share;
      for (int64_t t = month_start; t < month_end && t < end; t += kHourS) {
        const int32_t h = hour_of(t);
        const bool valid = c.ValidOn(tz.LocalDay(t));
        int64_t total = 0;
        for (int32_t i = 0; i < n; ++i) {
          int64_t v = 0;
          if (h >= 0) {
            v = gen(h, static_cast<int32_t>(s0) + i);  // validity applied above
          } else if (valid) {
            v = pre.at(meters_of_contract[i])[static_cast<size_t>((t - pre_start) / kHourS)];
          }
          metered_h[i] = v;
          total += v;
        }
        if (total <= left) {
          left -= total;
          continue;  // delivered in full (already in gen)
        }
        SplitLargestRemainder(left, metered_h, &share);
        left = 0;
        if (h >= 0) {
          for (int32_t i = 0; i < n; ++i) gen(h, static_cast<int32_t>(s0) + i) = share[i];
        }
      }
    }
  }

  // Storage: charge is not demand; green charge from the site's same-site surplus; green
  // discharge offered as its same-site source.
  std::unordered_map<std::string_view, int32_t> source_of_asset;
  for (int32_t s = 0; s < s_count; ++s) source_of_asset.emplace(out.source_asset[s], s);
  const int32_t k_count = static_cast<int32_t>(storages.size());
  out.storage_charge_wh.assign(static_cast<size_t>(k_count) * hours, 0);
  for (const GenerationAsset* a : storages) {
    const int32_t site = consumer_index.at(a->site_enterprise);
    const std::vector<int64_t>& charge = series.at(a->charge_meter_code);
    for (int32_t h = 0; h < hours; ++h) {
      int64_t& d = in.consumption[static_cast<size_t>(h) * c_count + site];
      d = std::max<int64_t>(0, d - charge[h]);
    }
  }
  std::map<int32_t, std::vector<int64_t>> surplus_left;  // site -> per hour
  for (int32_t k = 0; k < k_count; ++k) {
    const GenerationAsset& a = *storages[k];
    out.storage_asset.push_back(a.code);
    const int32_t site = consumer_index.at(a.site_enterprise);
    auto sit = source_of_asset.find(a.code);
    const int32_t src = sit == source_of_asset.end() ? -1 : sit->second;
    out.storage_source.push_back(src);
    // The site's same-site sources other than storage.
    std::vector<int32_t> site_sources;
    for (int32_t s = 0; s < s_count; ++s) {
      if (out.source_kind[s] == ContractKind::kSameSite &&
          out.source_technology[s] != Technology::kStorage &&
          asset_of_source[s]->site_enterprise == a.site_enterprise) {
        site_sources.push_back(s);
      }
    }
    auto [lit, fresh] = surplus_left.try_emplace(site);
    std::vector<int64_t>& left = lit->second;
    if (fresh) {
      left.assign(hours, 0);
      for (int32_t h = 0; h < hours; ++h) {
        int64_t g = 0;
        for (int32_t s : site_sources) g += gen(h, s);
        left[h] = std::max<int64_t>(0, g - in.consumption[static_cast<size_t>(h) * c_count + site]);
      }
    }
    std::vector<uint8_t> active(hours, 0);
    if (src >= 0) {
      const Contract& c = *contract_of_source[src];
      for (int32_t h = 0; h < hours; ++h) active[h] = c.ValidOn(hour_day[h]) ? 1 : 0;
    }
    StorageState start_state;
    if (auto it = options.storage_start.find(a.code); it != options.storage_start.end()) {
      start_state = it->second;
    }
    Result<StorageFlows> flows = SimulateStorage(
        series.at(a.charge_meter_code), series.at(a.meter_code), left, active, start_state);
    if (!flows.ok()) return flows.error().WithContext(fmt::format("storage {}", a.code));
    out.storage_end.push_back(flows->end);
    std::vector<int64_t> w(site_sources.size()), take;
    for (int32_t h = 0; h < hours; ++h) {
      if (src >= 0) gen(h, src) = flows->green_discharge_wh[h];
      const int64_t gc = flows->green_charge_wh[h];
      if (gc == 0) continue;
      out.storage_charge_wh[static_cast<size_t>(k) * hours + h] = gc;
      left[h] -= gc;
      for (size_t i = 0; i < site_sources.size(); ++i) w[i] = gen(h, site_sources[i]);
      SplitLargestRemainder(gc, w, &take);
      for (size_t i = 0; i < site_sources.size(); ++i) {
        if (take[i] == 0) continue;
        gen(h, site_sources[i]) -= take[i];
        out.takes.push_back(StorageTake{k, h, site_sources[i], take[i]});
      }
    }
  }
  std::sort(out.takes.begin(), out.takes.end(), [](const StorageTake& x, const StorageTake& y) {
    return std::tie(x.hour, x.storage, x.source) < std::tie(y.hour, y.storage, y.source);
  });
  ZP_RETURN_IF_ERROR(Validate(in));
  return out;
}

std::map<std::string, StorageState, std::less<>> StorageEndStates(const SupplyInput& in) {
  std::map<std::string, StorageState, std::less<>> out;
  for (size_t k = 0; k < in.storage_asset.size() && k < in.storage_end.size(); ++k) {
    out.emplace(in.storage_asset[k], in.storage_end[k]);
  }
  return out;
}

Result<GecReport> GecReconciliation(const Supply& supply, const SupplyInput& in,
                                    const AllocationResult& result) {
  const AllocationInput& ai = in.input;
  const int32_t hours = ai.hours;
  const int32_t c_count = ai.consumers;
  if (result.hours != hours || result.consumers != c_count || result.sources != ai.sources() ||
      in.hour_month.size() != static_cast<size_t>(hours) ||
      in.consumers.size() != static_cast<size_t>(c_count) ||
      in.round_kind.size() != static_cast<size_t>(ai.rounds) ||
      result.matched.size() != static_cast<size_t>(hours) * c_count) {
    return InvalidArgumentError("allocation result does not match its supply input");
  }
  GecReport report;
  if (hours == 0 || c_count == 0) return report;
  const int32_t m0 = in.hour_month.front();
  const int32_t months = in.hour_month.back() - m0 + 1;
  const size_t cells = static_cast<size_t>(c_count) * months;
  std::vector<int64_t> cons(cells, 0), matched(cells, 0), trading(cells, 0), bundled(cells, 0),
      unbundled(cells, 0);
  for (int32_t h = 0; h < hours; ++h) {
    const int32_t slot = in.hour_month[h] - m0;
    if (slot < 0 || slot >= months) return InvalidArgumentError("hour months are not in order");
    for (int32_t c = 0; c < c_count; ++c) {
      const size_t cell = static_cast<size_t>(c) * months + slot;
      cons[cell] += ai.consumption[static_cast<size_t>(h) * c_count + c];
      matched[cell] += result.matched[static_cast<size_t>(h) * c_count + c];
    }
  }
  // Matched by green_trading rounds per month: the allocation is hour by hour, so each month's
  // hours allocated on their own give the same Wh, with per-round totals.
  std::vector<int32_t> trading_rounds;
  for (int32_t r = 0; r < ai.rounds; ++r) {
    if (in.round_kind[r] == ContractKind::kGreenTrading) trading_rounds.push_back(r);
  }
  if (!trading_rounds.empty()) {
    const int32_t s_count = ai.sources();
    int32_t h0 = 0;
    while (h0 < hours) {
      int32_t h1 = h0;
      while (h1 < hours && in.hour_month[h1] == in.hour_month[h0]) ++h1;
      AllocationInput slice;
      slice.hours = h1 - h0;
      slice.consumers = c_count;
      slice.rounds = ai.rounds;
      slice.source_round = ai.source_round;
      slice.eligible_offsets = ai.eligible_offsets;
      slice.eligible_consumers = ai.eligible_consumers;
      slice.consumption.assign(ai.consumption.begin() + static_cast<size_t>(h0) * c_count,
                               ai.consumption.begin() + static_cast<size_t>(h1) * c_count);
      slice.generation.assign(ai.generation.begin() + static_cast<size_t>(h0) * s_count,
                              ai.generation.begin() + static_cast<size_t>(h1) * s_count);
      ZP_ASSIGN_OR_RETURN(AllocationResult part, Allocate(slice));
      const int32_t slot = in.hour_month[h0] - m0;
      for (int32_t c = 0; c < c_count; ++c) {
        for (int32_t r : trading_rounds) {
          trading[static_cast<size_t>(c) * months + slot] +=
              part.matched_by_round[static_cast<size_t>(c) * ai.rounds + r];
        }
      }
      h0 = h1;
    }
  }
  std::unordered_map<std::string_view, int32_t> consumer_index;
  for (int32_t c = 0; c < c_count; ++c) consumer_index.emplace(in.consumers[c], c);
  for (const Contract& k : supply.contracts) {
    if (k.kind != ContractKind::kGec) continue;
    for (const GecHolding& g : k.gec) {
      auto it = consumer_index.find(g.buyer);
      if (it == consumer_index.end() || g.month < m0 || g.month >= m0 + months) continue;
      const size_t cell = static_cast<size_t>(it->second) * months + (g.month - m0);
      (k.bundled_with.empty() ? unbundled : bundled)[cell] += g.certificates;
    }
  }
  ZP_ASSIGN_OR_RETURN(Scores scores, ComputeScores(ai, result));
  for (int32_t c = 0; c < c_count; ++c) {
    GecBuyer b;
    b.buyer = in.consumers[c];
    bool any = false;
    for (int32_t m = 0; m < months; ++m) {
      const size_t cell = static_cast<size_t>(c) * months + m;
      if (trading[cell] == 0 && bundled[cell] == 0 && unbundled[cell] == 0) continue;
      any = true;
      GecMonth row;
      row.buyer = in.consumers[c];
      row.month = m0 + m;
      row.consumption_wh = cons[cell];
      row.matched_wh = matched[cell];
      row.trading_matched_wh = trading[cell];
      row.bundled_certificates = bundled[cell];
      row.unbundled_certificates = unbundled[cell];
      row.bundled_shortfall_wh =
          std::max<int64_t>(0, trading[cell] - bundled[cell] * kWhPerCertificate);
      b.trading_matched_wh += row.trading_matched_wh;
      b.bundled_certificates += row.bundled_certificates;
      b.unbundled_certificates += row.unbundled_certificates;
      b.bundled_shortfall_wh += row.bundled_shortfall_wh;
      report.months.push_back(std::move(row));
    }
    if (!any) continue;
    b.consumption_wh = result.consumption_total[c];
    b.matched_wh = result.matched_total[c];
    b.annual_matched_wh = scores.annual_matched[c];
    b.hourly_share = scores.hourly_share[c];
    b.annual_share = scores.annual_share[c];
    if (b.consumption_wh > 0) {
      const int64_t with_gec = std::min(
          b.consumption_wh, b.annual_matched_wh + b.unbundled_certificates * kWhPerCertificate);
      b.annual_share_with_gec =
          static_cast<double>(with_gec) / static_cast<double>(b.consumption_wh);
    }
    report.buyers.push_back(std::move(b));
  }
  return report;
}

Result<std::unique_ptr<HourlyGreenSupply>> HourlyGreenSupply::Create(
    const SupplyInput& in, const AllocationResult& result) {
  const AllocationInput& ai = in.input;
  const int32_t hours = ai.hours;
  const int32_t c_count = ai.consumers;
  const int32_t s_count = ai.sources();
  if (result.hours != hours || result.consumers != c_count || result.sources != s_count ||
      in.hour_month.size() != static_cast<size_t>(hours) ||
      in.consumers.size() != static_cast<size_t>(c_count) ||
      in.source_contract.size() != static_cast<size_t>(s_count) ||
      in.source_asset.size() != static_cast<size_t>(s_count) ||
      result.matched.size() != static_cast<size_t>(hours) * c_count ||
      result.allocated.size() != static_cast<size_t>(hours) * s_count) {
    return InvalidArgumentError("allocation result does not match its supply input");
  }
  std::unique_ptr<HourlyGreenSupply> g(new HourlyGreenSupply());
  if (hours == 0 || c_count == 0) return g;
  const int32_t m0 = *std::min_element(in.hour_month.begin(), in.hour_month.end());
  const int32_t m1 = *std::max_element(in.hour_month.begin(), in.hour_month.end()) + 1;
  const int32_t months = m1 - m0;
  const size_t cells = static_cast<size_t>(c_count) * months;
  std::vector<int64_t> wh(cells, 0);
  // Which sources delivered to each (consumer, month): the exact flows of the hours with any
  // allocation, computed on a one-hour slice so each hour costs O(consumers + sources).
  std::vector<std::vector<int32_t>> delivered(cells);
  AllocationInput slice;
  slice.hours = 1;
  slice.consumers = c_count;
  slice.rounds = ai.rounds;
  slice.source_round = ai.source_round;
  slice.eligible_offsets = ai.eligible_offsets;
  slice.eligible_consumers = ai.eligible_consumers;
  for (int32_t h = 0; h < hours; ++h) {
    const size_t slot = static_cast<size_t>(in.hour_month[h] - m0);
    const int64_t* matched = result.matched.data() + static_cast<size_t>(h) * c_count;
    bool any = false;
    for (int32_t c = 0; c < c_count; ++c) {
      wh[static_cast<size_t>(c) * months + slot] += matched[c];
      any |= matched[c] > 0;
    }
    if (!any) continue;
    slice.consumption.assign(ai.consumption.begin() + static_cast<size_t>(h) * c_count,
                             ai.consumption.begin() + static_cast<size_t>(h + 1) * c_count);
    slice.generation.assign(ai.generation.begin() + static_cast<size_t>(h) * s_count,
                            ai.generation.begin() + static_cast<size_t>(h + 1) * s_count);
    ZP_ASSIGN_OR_RETURN(std::vector<Flow> flows, AllocateHourFlows(slice, 0));
    for (const Flow& f : flows) {
      delivered[static_cast<size_t>(f.consumer) * months + slot].push_back(f.source);
    }
  }
  for (int32_t c = 0; c < c_count; ++c) {
    for (int32_t m = 0; m < months; ++m) {
      const size_t cell = static_cast<size_t>(c) * months + m;
      if (wh[cell] <= 0) continue;
      std::vector<int32_t>& srcs = delivered[cell];
      std::sort(srcs.begin(), srcs.end());
      srcs.erase(std::unique(srcs.begin(), srcs.end()), srcs.end());
      // Sources are ordered by contract, so one contract's assets are consecutive.
      std::string ref;
      for (size_t i = 0; i < srcs.size(); ++i) {
        const int32_t s = srcs[i];
        const bool first = i == 0 || in.source_contract[srcs[i - 1]] != in.source_contract[s];
        const bool last =
            i + 1 == srcs.size() || in.source_contract[srcs[i + 1]] != in.source_contract[s];
        if (first) {
          if (!ref.empty()) ref += ", ";
          ref += in.source_contract[s];
          ref += '[';
        } else {
          ref += '+';
        }
        ref += in.source_asset[s];
        if (last) ref += ']';
      }
      g->rows_.push_back(energy::GreenSupply{in.consumers[c], m0 + m,
                                             static_cast<double>(wh[cell]) / 1000.0,
                                             "hourly_matched", std::move(ref), "green::Allocate"});
    }
  }
  return g;
}

Result<std::vector<energy::GreenSupply>> HourlyGreenSupply::Supplies(
    const energy::Input& in) const {
  std::vector<energy::GreenSupply> out;
  for (const energy::GreenSupply& r : rows_) {
    if (r.month >= in.from_month && r.month < in.to_month) out.push_back(r);
  }
  return out;
}

}  // namespace zp::green
