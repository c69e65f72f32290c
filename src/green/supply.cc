#include "zp/green/supply.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "zp/base/time.h"
#include "zp/engine/engine.h"

namespace zp::green {
namespace {

constexpr int64_t kHourS = 3600;

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
      "unknown technology '{}' (rooftop_pv, ground_pv, wind, geothermal_heat, storage)", s));
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
  }
  return "unknown";
}

Result<ContractKind> ParseContractKind(std::string_view s) {
  for (ContractKind k : {ContractKind::kSameSite, ContractKind::kDirectSupply,
                         ContractKind::kGreenTrading, ContractKind::kParkPool}) {
    if (s == ContractKindName(k)) return k;
  }
  return InvalidArgumentError(fmt::format(
      "unknown contract kind '{}' (same_site, direct_supply, green_trading, park_pool)", s));
}

Status ValidateSupply(const Supply& supply) {
  std::unordered_map<std::string_view, const GenerationAsset*> assets;
  std::unordered_set<std::string_view> meters;
  for (const GenerationAsset& a : supply.assets) {
    if (!ValidCode(a.code)) {
      return InvalidArgumentError(
          fmt::format("asset code '{}' must be 1-64 characters from A-Z a-z 0-9 . _ -", a.code));
    }
    if (!assets.emplace(a.code, &a).second) {
      return InvalidArgumentError(fmt::format("asset {}: duplicate code", a.code));
    }
    if (a.meter_code.empty()) {
      return InvalidArgumentError(fmt::format("asset {}: no generation meter", a.code));
    }
    if (!meters.insert(a.meter_code).second) {
      return InvalidArgumentError(
          fmt::format("asset {}: meter {} already measures another asset", a.code, a.meter_code));
    }
  }
  std::unordered_set<std::string_view> contracts;
  std::unordered_map<std::string_view, std::string_view> contract_of;  // asset -> contract
  for (const Contract& c : supply.contracts) {
    if (!ValidCode(c.code)) {
      return InvalidArgumentError(
          fmt::format("contract code '{}' must be 1-64 characters from A-Z a-z 0-9 . _ -", c.code));
    }
    if (!contracts.insert(c.code).second) {
      return InvalidArgumentError(fmt::format("contract {}: duplicate code", c.code));
    }
    if (RoundOf(c.kind) < 0 || RoundOf(c.kind) >= kSupplyRounds) {
      return InvalidArgumentError(fmt::format("contract {}: invalid kind", c.code));
    }
    if (c.assets.empty()) {
      return InvalidArgumentError(fmt::format("contract {}: no assets", c.code));
    }
    if (c.buyers.empty()) {
      return InvalidArgumentError(fmt::format("contract {}: no buyers", c.code));
    }
    std::unordered_set<std::string_view> buyers;
    for (const std::string& b : c.buyers) {
      if (b.empty()) return InvalidArgumentError(fmt::format("contract {}: empty buyer", c.code));
      if (!buyers.insert(b).second) {
        return InvalidArgumentError(fmt::format("contract {}: buyer {} listed twice", c.code, b));
      }
    }
    if (c.kind == ContractKind::kSameSite && c.buyers.size() != 1) {
      return InvalidArgumentError(
          fmt::format("contract {}: a same_site contract has exactly one buyer (the site), not {}",
                      c.code, c.buyers.size()));
    }
    for (const std::string& code : c.assets) {
      auto it = assets.find(code);
      if (it == assets.end()) {
        return InvalidArgumentError(fmt::format("contract {}: unknown asset {}", c.code, code));
      }
      const GenerationAsset& a = *it->second;
      auto [prev, inserted] = contract_of.emplace(a.code, c.code);
      if (!inserted) {
        return InvalidArgumentError(fmt::format(
            "contract {}: asset {} already belongs to contract {} (its generation would count "
            "twice)",
            c.code, code, prev->second));
      }
      if (!IsGreenElectricity(a.technology)) {
        return InvalidArgumentError(
            fmt::format("contract {}: asset {} is {}, not a green electricity source (PV, wind)",
                        c.code, code, TechnologyName(a.technology)));
      }
      if (c.kind == ContractKind::kSameSite && a.site_enterprise != c.buyers[0]) {
        return InvalidArgumentError(
            fmt::format("contract {}: same_site asset {} is sited at '{}', not at the buyer {}",
                        c.code, code, a.site_enterprise, c.buyers[0]));
      }
      if (c.kind == ContractKind::kParkPool && !a.site_enterprise.empty()) {
        return InvalidArgumentError(
            fmt::format("contract {}: park_pool asset {} belongs to enterprise {}, not to the park",
                        c.code, code, a.site_enterprise));
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
      return InvalidArgumentError(
          fmt::format("asset {}: unknown site enterprise {}", a.code, a.site_enterprise));
    }
    auto it = by_code.find(a.meter_code);
    if (it == by_code.end()) {
      return InvalidArgumentError(fmt::format("asset {}: unknown meter {}", a.code, a.meter_code));
    }
    const model::Meter& m = *it->second;
    if (m.flow != model::MeterFlow::kGeneration || m.kind == model::MeterKind::kVirtual) {
      return InvalidArgumentError(fmt::format(
          "asset {}: meter {} is not a physical generation meter", a.code, a.meter_code));
    }
    if (IsGreenElectricity(a.technology) && m.carrier != units::Carrier::kElectricity) {
      return InvalidArgumentError(
          fmt::format("asset {}: meter {} does not measure electricity", a.code, a.meter_code));
    }
    if (m.enterprise_code != a.site_enterprise) {
      return InvalidArgumentError(
          fmt::format("asset {}: meter {} belongs to '{}', not to the asset's site '{}'", a.code,
                      a.meter_code, m.enterprise_code, a.site_enterprise));
    }
  }
  for (const Contract& c : supply.contracts) {
    for (const std::string& b : c.buyers) {
      if (!ents.count(b)) {
        return InvalidArgumentError(fmt::format("contract {}: unknown buyer {}", c.code, b));
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
  for (const model::Meter& m : meters) {
    if (m.flow != model::MeterFlow::kGeneration || m.kind == model::MeterKind::kVirtual ||
        m.carrier != units::Carrier::kElectricity) {
      continue;
    }
    s.assets.push_back(
        GenerationAsset{m.code, m.name, Technology::kRooftopPv, m.enterprise_code, m.code});
    by_site[m.enterprise_code].push_back(m.code);
  }
  for (auto& [site, assets] : by_site) {
    if (site.empty()) continue;
    s.contracts.push_back(Contract{"SAME_SITE." + site, ContractKind::kSameSite, assets, {site}});
  }
  if (auto it = by_site.find(""); it != by_site.end() && !codes.empty()) {
    s.contracts.push_back(Contract{"PARK_POOL", ContractKind::kParkPool, it->second, codes});
  }
  ZP_RETURN_IF_ERROR(ValidateSupply(s, ents, meters));
  return s;
}

Result<SupplyInput> BuildAllocationInput(engine::Engine& engine, const Supply& supply,
                                         int64_t from_s, int64_t to_s) {
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

  // Sources in (round, contract, asset) order.
  std::vector<const Contract*> contracts;
  for (const Contract& c : supply.contracts) contracts.push_back(&c);
  std::stable_sort(contracts.begin(), contracts.end(),
                   [](const Contract* a, const Contract* b) { return a->round() < b->round(); });
  std::unordered_map<std::string_view, const GenerationAsset*> assets;
  for (const GenerationAsset& a : supply.assets) assets.emplace(a.code, &a);
  AllocationInput& in = out.input;
  in.hours = hours;
  in.consumers = c_count;
  in.rounds = kSupplyRounds;
  in.eligible_offsets.push_back(0);
  std::vector<std::string> meter_of_source;
  for (const Contract* c : contracts) {
    std::vector<int32_t> buyers;
    for (const std::string& b : c->buyers) buyers.push_back(consumer_index.at(b));
    std::sort(buyers.begin(), buyers.end());
    for (const std::string& code : c->assets) {
      const GenerationAsset& a = *assets.at(code);
      out.source_asset.push_back(a.code);
      out.source_contract.push_back(c->code);
      out.source_kind.push_back(c->kind);
      meter_of_source.push_back(a.meter_code);
      in.source_round.push_back(c->round());
      in.eligible_consumers.insert(in.eligible_consumers.end(), buyers.begin(), buyers.end());
      in.eligible_offsets.push_back(static_cast<int32_t>(in.eligible_consumers.size()));
    }
  }
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
  // Generation: one query over the sources' meters.
  in.generation.assign(static_cast<size_t>(hours) * s_count, 0);
  if (s_count > 0) {
    engine::SumQuery q;
    q.group_by = engine::GroupBy::kMeter;
    q.period = engine::Period::kHour;
    q.from_s = from_s;
    q.to_s = to_s;
    q.carrier = units::Carrier::kElectricity;
    q.include_generation = true;
    q.meters = meter_of_source;
    ZP_ASSIGN_OR_RETURN(std::vector<engine::SumRow> rows, engine.Sums(q));
    std::unordered_map<std::string_view, int32_t> source_of_meter;
    for (int32_t s = 0; s < s_count; ++s) source_of_meter.emplace(meter_of_source[s], s);
    for (const engine::SumRow& r : rows) {
      auto it = source_of_meter.find(r.group);
      const int32_t h = hour_of(r.period_start_s);
      if (it == source_of_meter.end() || h < 0) continue;
      in.generation[static_cast<size_t>(h) * s_count + it->second] += ToWh(r.value);
    }
  }
  ZP_RETURN_IF_ERROR(Validate(in));
  return out;
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
