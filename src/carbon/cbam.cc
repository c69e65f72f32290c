#include "zp/carbon/cbam.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "zp/base/time.h"

namespace zp::carbon {
namespace {

constexpr size_t kLoc = static_cast<size_t>(Scope2Method::kLocation);
constexpr size_t kMkt = static_cast<size_t>(Scope2Method::kMarket);

struct MassUnit {
  std::string_view spelling;  // compared ignoring ASCII case
  double tonnes;
};
constexpr MassUnit kMassUnits[] = {
    {"t", 1},      {"吨", 1},     {"公吨", 1},  {"tonne", 1},   {"tonnes", 1},  {"kt", 1e3},
    {"千吨", 1e3}, {"万吨", 1e4}, {"kg", 1e-3}, {"千克", 1e-3}, {"公斤", 1e-3},
};

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

std::string_view FactorLabel(Scope2Method m) {
  return m == Scope2Method::kLocation
             ? "基于位置（电网平均排放因子） / Location-based (grid average factor)"
             : "基于市场（绿电计零，其余按不含市场化交易非化石电量的因子） / Market-based (green "
               "electricity at zero, the rest at the factor excluding market-traded non-fossil "
               "power)";
}

// The enterprise's figures over the period, before attribution.
struct EnterpriseTotals {
  double fuel = 0, process = 0, heat = 0, kwh = 0, green = 0;
  std::array<double, 2> indirect{};
  std::vector<CbamElectricityFactor> factors;  // kwh = the enterprise's
};

EnterpriseTotals Totals(const CarbonAccounts& a, int32_t e, int32_t from_month, int32_t to_month) {
  const energy::Accounts& en = a.energy();
  constexpr units::Carrier kEl = units::Carrier::kElectricity;
  EnterpriseTotals t;
  for (int32_t m = from_month; m < to_month; ++m) {
    for (const units::CarrierInfo& info : units::AllCarriers())
      t.fuel += a.Scope1(e, m, info.carrier);
    t.process += a.Process(e, m);
    t.heat += a.Scope2(e, m, units::Carrier::kHeat, Scope2Method::kLocation) +
              a.Scope2(e, m, units::Carrier::kSteam, Scope2Method::kLocation);
    const double kwh = en.Amount(e, m, kEl);
    const double green = en.GreenKwh(e, m);
    t.kwh += kwh;
    t.green += green;
    t.indirect[kLoc] += a.Scope2(e, m, kEl, Scope2Method::kLocation);
    t.indirect[kMkt] += a.Scope2(e, m, kEl, Scope2Method::kMarket);
    if (kwh == 0) continue;
    for (Scope2Method method : kScope2Methods) {
      const EmissionFactor* f = a.Scope2Factor(m, kEl, method);
      if (f == nullptr || f->rows.empty()) continue;
      const refdata::FactorRow& row = *f->rows.front();
      const double priced = method == Scope2Method::kLocation ? kwh : kwh - green;
      CbamElectricityFactor* use = nullptr;
      for (CbamElectricityFactor& x : t.factors) {
        if (x.method == method && x.row_id == row.id) use = &x;
      }
      if (use == nullptr) {
        CbamElectricityFactor x;
        x.method = method;
        x.label = std::string(FactorLabel(method));
        x.tco2_per_mwh = f->tco2_per_unit * 1000.0;
        x.row_id = row.id;
        x.dataset = row.dataset;
        x.variant = row.variant;
        x.region = row.region;
        x.source = row.source;
        x.confidence = row.confidence;
        x.valid_from = refdata::FormatDay(row.valid_from_day);
        x.valid_to = refdata::FormatDay(row.valid_to_day);
        t.factors.push_back(std::move(x));
        use = &t.factors.back();
      }
      use->months.push_back(m);
      use->kwh += priced;
    }
  }
  return t;
}

std::optional<double> Ratio(double num, double den) {
  if (den == 0) return std::nullopt;
  return num / den;
}

nlohmann::ordered_json Optional(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::optional<double> TonnesPerUnit(std::string_view unit) {
  for (const MassUnit& u : kMassUnits) {
    if (EqualsIgnoreAsciiCase(unit, u.spelling)) return u.tonnes;
  }
  Result<const units::Unit*> u = units::FindUnit(unit);
  if (u.ok() && (*u)->dimension == units::Dimension::kMass) return (*u)->to_base;
  return std::nullopt;
}

Result<std::vector<ProductEmbedded>> EmbeddedEmissions(const CarbonAccounts& a,
                                                       std::string_view enterprise,
                                                       int32_t from_month, int32_t to_month) {
  return EmbeddedEmissions(a, enterprise, from_month, to_month, a.energy().input().data);
}

Result<std::vector<ProductEmbedded>> EmbeddedEmissions(
    const CarbonAccounts& a, std::string_view enterprise, int32_t from_month, int32_t to_month,
    std::span<const model::EnterpriseDatum> data) {
  const energy::Accounts& en = a.energy();
  ZP_RETURN_IF_ERROR(energy::CheckRange(en, from_month, to_month));
  int32_t entity = -1;
  const std::vector<model::Enterprise>& enterprises = en.input().enterprises;
  for (size_t i = 0; i < enterprises.size(); ++i) {
    if (enterprises[i].code == enterprise) entity = static_cast<int32_t>(i);
  }
  if (entity < 0) {
    return NotFoundError(fmt::format("unknown enterprise '{}' / 未知企业", enterprise));
  }

  // Products keyed by (item, "" for mass units else the unit as entered): mass first.
  std::map<std::pair<std::string, std::string>, ProductEmbedded> products;
  for (const model::EnterpriseDatum& d : data) {
    if (d.deleted || d.indicator != "product_output" || d.enterprise_code != enterprise) continue;
    double value = 0;
    bool in_range = false;
    auto add = [&](int32_t month, double v) {
      if (month < from_month || month >= to_month) return;
      value += v;
      in_range = true;
    };
    if (d.period.month != 0) {
      add(MonthIndex(d.period.year, d.period.month), d.value);
    } else {
      for (int32_t mo = 1; mo <= 12; ++mo) add(MonthIndex(d.period.year, mo), d.value / 12.0);
    }
    if (!in_range) continue;
    const std::optional<double> tonnes = TonnesPerUnit(d.unit);
    ProductEmbedded& p = products[{d.item, tonnes ? std::string() : d.unit}];
    if (p.records.empty()) {
      p.enterprise_code = std::string(enterprise);
      p.product = d.item;
      p.from_month = from_month;
      p.to_month = to_month;
      p.mass = tonnes.has_value();
      p.unit = tonnes ? "t" : d.unit;
    }
    p.output += tonnes ? value * *tonnes : value;
    p.records.push_back(d);
  }
  std::vector<ProductEmbedded> out;
  if (products.empty()) return out;

  const EnterpriseTotals t = Totals(a, entity, from_month, to_month);
  double total_t = 0;
  for (const auto& [key, p] : products) {
    if (p.mass) total_t += p.output;
  }
  out.reserve(products.size());
  for (auto& [key, p] : products) {
    if (!p.mass) {
      p.note = fmt::format(
          "“{}”不是质量单位，不计算每吨排放 / \"{}\" is not a mass unit: no per-tonne figures",
          p.unit, p.unit);
      p.attribution = "非质量单位产品不分摊排放 / Not a mass unit: no emissions attributed";
      out.push_back(std::move(p));
      continue;
    }
    if (total_t > 0) {
      const double s = p.output / total_t;
      p.share = s;
      p.attribution = fmt::format(
          "按产量质量分摊：{:.6g} t / 企业质量产品合计 {:.6g} t = {:.4f}% / By output mass: "
          "{:.6g} t of the enterprise's {:.6g} t = {:.4f}%",
          p.output, total_t, s * 100, p.output, total_t, s * 100);
      p.direct_fuel_tco2 = t.fuel * s;
      p.direct_process_tco2 = t.process * s;
      p.heat_tco2 = t.heat * s;
      p.direct_tco2 = p.direct_fuel_tco2 + p.direct_process_tco2 + p.heat_tco2;
      p.electricity_kwh = t.kwh * s;
      p.green_kwh = t.green * s;
      p.indirect_tco2 = {t.indirect[kLoc] * s, t.indirect[kMkt] * s};
    } else {
      p.attribution =
          "企业本期以质量计产品总产量为零，不分摊 / The enterprise's output in tonnes is zero in "
          "the period: nothing attributed";
    }
    for (CbamElectricityFactor f : t.factors) {
      f.kwh *= p.share.value_or(0.0);
      p.factors.push_back(std::move(f));
    }
    if (p.share && p.output > 0) {
      p.direct_per_t = p.direct_tco2 / p.output;
      p.heat_per_t = p.heat_tco2 / p.output;
      p.electricity_mwh_per_t = p.electricity_kwh / 1000.0 / p.output;
      for (size_t m : {kLoc, kMkt}) {
        p.indirect_per_t[m] = Ratio(p.indirect_tco2[m], p.output);
        p.total_per_t[m] = Ratio(p.direct_tco2 + p.indirect_tco2[m], p.output);
      }
    } else {
      p.note = "本期产量为零，不计算每吨排放 / Zero output in the period: no per-tonne figures";
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string EmbeddedEmissionsToJson(std::span<const ProductEmbedded> products) {
  using Json = nlohmann::ordered_json;
  Json arr = Json::array();
  for (const ProductEmbedded& p : products) {
    Json factors = Json::array();
    for (const CbamElectricityFactor& f : p.factors) {
      Json months = Json::array();
      for (int32_t m : f.months) months.push_back(energy::MonthLabel(m));
      factors.push_back({{"method", std::string(Scope2MethodName(f.method))},
                         {"label", f.label},
                         {"tco2_per_mwh", f.tco2_per_mwh},
                         {"row_id", f.row_id},
                         {"dataset", f.dataset},
                         {"variant", f.variant},
                         {"region", f.region},
                         {"source", f.source},
                         {"confidence", f.confidence},
                         {"valid_from", f.valid_from},
                         {"valid_to", f.valid_to},
                         {"months", std::move(months)},
                         {"kwh", f.kwh}});
    }
    Json records = Json::array();
    for (const model::EnterpriseDatum& d : p.records) {
      records.push_back({{"seq", d.seq},
                         {"period", model::FormatDataPeriod(d.period)},
                         {"value", d.value},
                         {"unit", d.unit},
                         {"source", d.source}});
    }
    Json j;
    j["enterprise"] = p.enterprise_code;
    j["product"] = p.product;
    j["from"] = energy::MonthLabel(p.from_month);
    j["to"] = energy::MonthLabel(p.to_month - 1);
    j["mass"] = p.mass;
    j["output"] = p.output;
    j["unit"] = p.unit;
    j["note"] = p.note;
    j["share"] = Optional(p.share);
    j["attribution"] = p.attribution;
    j["direct_fuel_tco2"] = p.direct_fuel_tco2;
    j["direct_process_tco2"] = p.direct_process_tco2;
    j["direct_tco2"] = p.direct_tco2;
    j["heat_tco2"] = p.heat_tco2;
    j["electricity_kwh"] = p.electricity_kwh;
    j["green_kwh"] = p.green_kwh;
    j["indirect_tco2"] = {{"location", p.indirect_tco2[kLoc]}, {"market", p.indirect_tco2[kMkt]}};
    j["per_t"] = {{"direct", Optional(p.direct_per_t)},
                  {"heat", Optional(p.heat_per_t)},
                  {"electricity_mwh", Optional(p.electricity_mwh_per_t)},
                  {"indirect_location", Optional(p.indirect_per_t[kLoc])},
                  {"indirect_market", Optional(p.indirect_per_t[kMkt])},
                  {"total_location", Optional(p.total_per_t[kLoc])},
                  {"total_market", Optional(p.total_per_t[kMkt])}};
    j["factors"] = std::move(factors);
    j["records"] = std::move(records);
    arr.push_back(std::move(j));
  }
  // Text comes from validated UTF-8 entries; replace rather than throw on anything else.
  return arr.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace zp::carbon
