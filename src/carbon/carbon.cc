#include "zp/carbon/carbon.h"

#include <fmt/format.h>

#include <cmath>
#include <unordered_map>

#include "zp/base/time.h"

namespace zp::carbon {
namespace {

constexpr size_t kC = energy::kCarriers;
constexpr double kCo2PerC = 44.0 / 12.0;

size_t CarrierIndex(units::Carrier c) { return static_cast<size_t>(c); }

int32_t FirstDayOfMonth(int32_t month_index) {
  return DaysFromCivil(MonthIndexYear(month_index), MonthIndexMonth(month_index), 1);
}

bool IsFuel(const Options& o, units::Carrier c) { return o.fuel_of.count(c) > 0; }

bool IsScope2(units::Carrier c) {
  return c == units::Carrier::kElectricity || c == units::Carrier::kHeat ||
         c == units::Carrier::kSteam;
}

std::vector<std::string> GridRegions(const energy::Accounts& a, GridScope scope) {
  // a.regions() is province?, grid region?, CN.
  const std::vector<std::string>& chain = a.regions();
  std::vector<std::string> out;
  const size_t skip = scope == GridScope::kProvince ? 0
                      : scope == GridScope::kRegion ? (chain.size() >= 3 ? 1 : 0)
                                                    : chain.size() - 1;
  for (size_t i = skip; i < chain.size(); ++i) out.push_back(chain[i]);
  return out;
}

Result<EmissionFactor> FuelFactor(const refdata::RefData& ref, const Options& o,
                                  std::span<const std::string> regions, units::Carrier c,
                                  int32_t month) {
  const std::string& fuel = o.fuel_of.at(c);
  const int32_t day = FirstDayOfMonth(month);
  const units::CarrierInfo& info = units::GetCarrierInfo(c);
  std::string tried;
  for (const std::string& dataset : o.fuel_datasets) {
    std::array<const refdata::FactorRow*, 3> rows{};
    bool all = true;
    int i = 0;
    for (std::string_view variant : {refdata::kNcv, refdata::kCarbonContent, refdata::kOxidation}) {
      const refdata::FactorRow* found = nullptr;
      for (const std::string& region : regions) {
        auto r = ref.Find(refdata::FactorKey{refdata::kFuel, fuel, variant, region, dataset}, day);
        if (r.ok()) {
          found = *r;
          break;
        }
      }
      if (found == nullptr) {
        all = false;
        break;
      }
      rows[static_cast<size_t>(i++)] = found;
    }
    if (!all) {
      tried += (tried.empty() ? "" : ", ") + dataset;
      continue;
    }
    ZP_ASSIGN_OR_RETURN(double gj, refdata::ConvertFactor(*rows[0], "GJ", info.canonical_unit));
    ZP_ASSIGN_OR_RETURN(double tc_per_gj, refdata::ConvertFactor(*rows[1], "tC", "GJ"));
    ZP_ASSIGN_OR_RETURN(double ox, refdata::ConvertFactor(*rows[2], "1", "1"));
    EmissionFactor f;
    f.tco2_per_unit = gj * tc_per_gj * ox * kCo2PerC;
    f.rows = {rows[0], rows[1], rows[2]};
    f.formula =
        fmt::format("{:g} GJ/{} × {:g} tC/GJ × {:g} × 44/12 = {:.6g} tCO2/{}", gj,
                    info.canonical_unit, tc_per_gj, ox, f.tco2_per_unit, info.canonical_unit);
    return f;
  }
  return NotFoundError(fmt::format(
      "no complete fuel parameters (ncv, carbon_content, oxidation) for fuel '{}' of {} in force "
      "on {} in datasets [{}]; add rows to data/fuel_parameters.csv or import park rows",
      fuel, info.code, refdata::FormatDay(day), tried));
}

Result<EmissionFactor> HeatFactor(const refdata::RefData& ref, std::span<const std::string> regions,
                                  units::Carrier c, int32_t month) {
  const int32_t day = FirstDayOfMonth(month);
  ZP_ASSIGN_OR_RETURN(const refdata::FactorRow* ef,
                      ref.FindFirst(refdata::kHeat, refdata::kHeatPurchased, "ef", regions, day));
  ZP_ASSIGN_OR_RETURN(double t_per_gj, refdata::ConvertFactor(*ef, "tCO2", "GJ"));
  EmissionFactor f;
  if (c == units::Carrier::kHeat) {
    f.tco2_per_unit = t_per_gj;
    f.rows = {ef};
    f.formula = fmt::format("{:g} tCO2/GJ", t_per_gj);
    return f;
  }
  ZP_ASSIGN_OR_RETURN(
      const refdata::FactorRow* hc,
      ref.FindFirst(refdata::kHeat, refdata::kSteamHeatContent, "heat_content", regions, day));
  ZP_ASSIGN_OR_RETURN(double gj_per_t, refdata::ConvertFactor(*hc, "GJ", "t"));
  f.tco2_per_unit = gj_per_t * t_per_gj;
  f.rows = {ef, hc};
  f.formula =
      fmt::format("{:g} GJ/t × {:g} tCO2/GJ = {:.6g} tCO2/t", gj_per_t, t_per_gj, f.tco2_per_unit);
  return f;
}

Result<EmissionFactor> GridFactor(const refdata::RefData& ref, std::span<const std::string> regions,
                                  std::string_view kind, int32_t month) {
  const int32_t day = FirstDayOfMonth(month);
  ZP_ASSIGN_OR_RETURN(const refdata::FactorRow* row,
                      ref.FindFirst(refdata::kGridEf, "electricity", kind, regions, day));
  ZP_ASSIGN_OR_RETURN(double t_per_kwh, refdata::ConvertFactor(*row, "tCO2", "kWh"));
  EmissionFactor f;
  f.tco2_per_unit = t_per_kwh;
  f.rows = {row};
  f.formula = fmt::format("{:g} tCO2/MWh ({} {})", t_per_kwh * 1000, kind, row->region);
  return f;
}

}  // namespace

std::string_view Scope2MethodName(Scope2Method m) {
  return m == Scope2Method::kLocation ? "location" : "market";
}

Result<GridScope> ParseGridScope(std::string_view s) {
  if (s == "province") return GridScope::kProvince;
  if (s == "region") return GridScope::kRegion;
  if (s == "national") return GridScope::kNational;
  return InvalidArgumentError(
      fmt::format("unknown grid scope '{}' (expected province, region or national)", s));
}

std::string_view GridScopeName(GridScope s) {
  switch (s) {
    case GridScope::kProvince:
      return "province";
    case GridScope::kRegion:
      return "region";
    case GridScope::kNational:
      return "national";
  }
  return "province";
}

Result<GreenSource> ParseGreenSource(std::string_view s) {
  if (s == "manual") return GreenSource::kManual;
  if (s == "hourly") return GreenSource::kHourly;
  return InvalidArgumentError(
      fmt::format("unknown green source '{}' (expected manual or hourly)", s));
}

std::string_view GreenSourceName(GreenSource s) {
  return s == GreenSource::kHourly ? "hourly" : "manual";
}

size_t CarbonAccounts::Cell(int32_t entity, int32_t month, units::Carrier c) const {
  const energy::Input& in = energy_->input();
  ZP_CHECK(entity >= 0 && entity < energy_->entities() && month >= in.from_month &&
           month < in.to_month);
  return (static_cast<size_t>(entity) * static_cast<size_t>(in.months()) +
          static_cast<size_t>(month - in.from_month)) *
             kC +
         CarrierIndex(c);
}

double CarbonAccounts::Scope1(int32_t e, int32_t m, units::Carrier c) const {
  return scope1_[Cell(e, m, c)];
}
double CarbonAccounts::Process(int32_t e, int32_t m) const {
  return process_[Cell(e, m, units::Carrier::kElectricity) / kC];
}
double CarbonAccounts::Scope2(int32_t e, int32_t m, units::Carrier c, Scope2Method method) const {
  return scope2_[static_cast<size_t>(method)][Cell(e, m, c)];
}
double CarbonAccounts::Total(int32_t e, int32_t m, Scope2Method method) const {
  const size_t base =
      Cell(e, m, units::Carrier::kElectricity) - CarrierIndex(units::Carrier::kElectricity);
  double t = process_[base / kC];
  for (size_t c = 0; c < kC; ++c) {
    t += scope1_[base + c] + scope2_[static_cast<size_t>(method)][base + c];
  }
  return t;
}

const EmissionFactor* CarbonAccounts::Scope1Factor(int32_t m, units::Carrier c) const {
  const energy::Input& in = energy_->input();
  if (m < in.from_month || m >= in.to_month) return nullptr;
  const auto& f = s1_factors_[static_cast<size_t>(m - in.from_month) * kC + CarrierIndex(c)];
  return f ? &*f : nullptr;
}

const EmissionFactor* CarbonAccounts::Scope2Factor(int32_t m, units::Carrier c,
                                                   Scope2Method method) const {
  const energy::Input& in = energy_->input();
  if (m < in.from_month || m >= in.to_month) return nullptr;
  const auto& f = s2_factors_[static_cast<size_t>(method)]
                             [static_cast<size_t>(m - in.from_month) * kC + CarrierIndex(c)];
  return f ? &*f : nullptr;
}

std::vector<model::EnterpriseDatum> CarbonAccounts::ProcessRecords(int32_t entity,
                                                                   int32_t month) const {
  std::vector<model::EnterpriseDatum> out;
  if (entity == energy_->park_entity()) return out;
  const std::string_view code = energy_->EntityCode(entity);
  const int32_t y = MonthIndexYear(month), mo = MonthIndexMonth(month);
  for (const model::EnterpriseDatum& d : energy_->input().data) {
    if (d.indicator != "process_co2" || d.enterprise_code != code || d.period.year != y) continue;
    if (d.period.month == 0 || d.period.month == mo) out.push_back(d);
  }
  return out;
}

Result<std::shared_ptr<const CarbonAccounts>> CarbonAccounts::Compute(
    std::shared_ptr<const energy::Accounts> energy, const Options& options) {
  if (!energy) return InvalidArgumentError("carbon accounts need energy accounts");
  std::shared_ptr<CarbonAccounts> a(new CarbonAccounts());
  a->energy_ = energy;
  a->options_ = options;
  const energy::Accounts& en = *energy;
  const energy::Input& in = en.input();
  const refdata::RefData& ref = en.ref();
  const size_t months = static_cast<size_t>(in.months());
  const size_t entities = static_cast<size_t>(en.entities());
  a->scope1_.assign(entities * months * kC, 0.0);
  a->scope2_[0].assign(entities * months * kC, 0.0);
  a->scope2_[1].assign(entities * months * kC, 0.0);
  a->process_.assign(entities * months, 0.0);
  a->s1_factors_.assign(months * kC, std::nullopt);
  a->s2_factors_[0].assign(months * kC, std::nullopt);
  a->s2_factors_[1].assign(months * kC, std::nullopt);
  const std::vector<std::string> grid_regions = GridRegions(en, options.grid_scope);
  const std::vector<std::string> national = {std::string(refdata::kNational)};

  for (size_t k = 0; k < months; ++k) {
    const int32_t month = in.from_month + static_cast<int32_t>(k);
    for (const units::CarrierInfo& info : units::AllCarriers()) {
      const units::Carrier c = info.carrier;
      const bool fuel = IsFuel(options, c);
      if (!fuel && !IsScope2(c)) continue;
      bool needed = false;
      for (size_t e = 0; e < entities && !needed; ++e) {
        needed = en.Amount(static_cast<int32_t>(e), month, c) != 0;
      }
      if (!needed) continue;
      auto context = [&](std::string_view what) {
        return fmt::format("{} of {} ({}) in {}", what, info.code, info.name_zh,
                           energy::MonthLabel(month));
      };
      const size_t fi = k * kC + CarrierIndex(c);
      if (fuel) {
        Result<EmissionFactor> f = FuelFactor(ref, options, en.regions(), c, month);
        if (!f.ok()) return f.status().WithContext(context("scope 1 factor"));
        a->s1_factors_[fi] = std::move(*f);
        const double per = a->s1_factors_[fi]->tco2_per_unit;
        for (size_t e = 0; e < entities; ++e) {
          a->scope1_[(e * months + k) * kC + CarrierIndex(c)] =
              en.Amount(static_cast<int32_t>(e), month, c) * per;
        }
        continue;
      }
      if (c == units::Carrier::kElectricity) {
        Result<EmissionFactor> loc = GridFactor(ref, grid_regions, refdata::kGridAverage, month);
        if (!loc.ok()) return loc.status().WithContext(context("location-based grid factor"));
        Result<EmissionFactor> mkt = GridFactor(ref, national, refdata::kGridExclMarket, month);
        if (!mkt.ok()) return mkt.status().WithContext(context("market-based residual factor"));
        for (size_t e = 0; e < entities; ++e) {
          const int32_t ei = static_cast<int32_t>(e);
          const double kwh = en.Amount(ei, month, c);
          const size_t cell = (e * months + k) * kC + CarrierIndex(c);
          a->scope2_[0][cell] = kwh * loc->tco2_per_unit;
          a->scope2_[1][cell] = (kwh - en.GreenKwh(ei, month)) * mkt->tco2_per_unit;
        }
        a->s2_factors_[0][fi] = std::move(*loc);
        a->s2_factors_[1][fi] = std::move(*mkt);
        continue;
      }
      Result<EmissionFactor> h = HeatFactor(ref, en.regions(), c, month);
      if (!h.ok()) return h.status().WithContext(context("purchased heat factor"));
      for (size_t e = 0; e < entities; ++e) {
        const size_t cell = (e * months + k) * kC + CarrierIndex(c);
        const double t = en.Amount(static_cast<int32_t>(e), month, c) * h->tco2_per_unit;
        a->scope2_[0][cell] = t;
        a->scope2_[1][cell] = t;
      }
      a->s2_factors_[0][fi] = *h;
      a->s2_factors_[1][fi] = std::move(*h);
    }
  }

  // Process emissions: month rows to their month, year rows 1/12 to each month of the year.
  std::unordered_map<std::string_view, size_t> idx;
  for (size_t e = 0; e < in.enterprises.size(); ++e) idx.emplace(in.enterprises[e].code, e);
  for (const model::EnterpriseDatum& d : in.data) {
    if (d.indicator != "process_co2") continue;
    auto it = idx.find(d.enterprise_code);
    if (it == idx.end()) continue;
    auto add = [&](int32_t month, double t) {
      if (month < in.from_month || month >= in.to_month) return;
      a->process_[it->second * months + static_cast<size_t>(month - in.from_month)] += t;
    };
    if (d.period.month != 0) {
      add(MonthIndex(d.period.year, d.period.month), d.value);
    } else {
      for (int32_t mo = 1; mo <= 12; ++mo) add(MonthIndex(d.period.year, mo), d.value / 12.0);
    }
  }
  return std::shared_ptr<const CarbonAccounts>(std::move(a));
}

namespace {

struct CAcc {
  double s1 = 0, process = 0;
  std::array<double, 2> s2{}, tce{};
  double green = 0;
  int64_t readings = 0;
  energy::AddedValueSum added_value;
};

}  // namespace

Result<std::vector<CarbonRow>> CarbonReport(const CarbonAccounts& a, const energy::ReportQuery& q) {
  const energy::Accounts& en = a.energy();
  ZP_RETURN_IF_ERROR(energy::CheckRange(en, q.from_month, q.to_month));
  ZP_ASSIGN_OR_RETURN(energy::Grouping g, energy::GroupEntities(en, q));
  energy::AddedValues av(en);
  const bool by_carrier = q.group == energy::Group::kCarrier;
  const int kProcessKey = static_cast<int>(kC);  // carrier-row key of process emissions
  using Key = std::pair<std::string, int>;

  auto accumulate = [&](const energy::ReportPeriod& p) {
    std::map<Key, CAcc> acc;
    for (int32_t e = 0; e < en.entities(); ++e) {
      const std::string& key = g.key[static_cast<size_t>(e)];
      if (key.empty()) continue;
      for (int32_t m = p.from; m < p.to; ++m) {
        for (const units::CarrierInfo& info : units::AllCarriers()) {
          const units::Carrier c = info.carrier;
          const double s1 = a.Scope1(e, m, c);
          const double l = a.Scope2(e, m, c, Scope2Method::kLocation);
          const double mk = a.Scope2(e, m, c, Scope2Method::kMarket);
          const double te =
              refdata::IsEnergyCarrier(c) ? en.Tce(e, m, c, energy::Method::kEquivalent) : 0.0;
          const double tc =
              refdata::IsEnergyCarrier(c) ? en.Tce(e, m, c, energy::Method::kCoalEquivalent) : 0.0;
          if (s1 == 0 && l == 0 && mk == 0 && te == 0 && tc == 0) continue;
          CAcc& x = acc[{by_carrier ? std::string(info.code) : key,
                         by_carrier ? static_cast<int>(c) : -1}];
          x.s1 += s1;
          x.s2[0] += l;
          x.s2[1] += mk;
          x.tce[0] += te;
          x.tce[1] += tc;
          x.readings += en.Readings(e, m, c);
          if (c == units::Carrier::kElectricity) x.green += en.GreenKwh(e, m);
        }
        const double pr = a.Process(e, m);
        if (pr != 0) {
          CAcc& x = acc[{by_carrier ? std::string("process") : key, by_carrier ? kProcessKey : -1}];
          x.process += pr;
        }
      }
      if (by_carrier || e == en.park_entity()) continue;
      acc[{key, -1}].added_value.Add(av.Get(e, p.year, p.month));
    }
    return acc;
  };

  std::vector<CarbonRow> rows;
  for (const energy::ReportPeriod& p : energy::ReportPeriods(q.period, q.from_month, q.to_month)) {
    std::map<Key, CAcc> cur = accumulate(p);
    std::optional<std::map<Key, CAcc>> prev;
    if (auto before = energy::YearBefore(en, p)) prev = accumulate(*before);
    for (const auto& [key, x] : cur) {
      CarbonRow r;
      r.group = key.first;
      r.period = p.label;
      r.month = p.from;
      if (by_carrier) {
        if (key.second == kProcessKey) {
          r.name = "工业过程排放 / Process emissions";
        } else {
          const units::CarrierInfo& info =
              units::GetCarrierInfo(static_cast<units::Carrier>(key.second));
          r.name = fmt::format("{} / {}", info.name_zh, info.name_en);
        }
      } else {
        auto n = g.names.find(key.first);
        if (n != g.names.end()) r.name = n->second;
      }
      r.scope1_fuel = x.s1;
      r.scope1_process = x.process;
      r.scope2 = x.s2;
      r.tce = x.tce;
      r.green_kwh = x.green;
      for (Scope2Method sm : kScope2Methods) {
        const size_t si = static_cast<size_t>(sm);
        r.total[si] = x.s1 + x.process + x.s2[si];
        for (energy::Method em : energy::kMethods) {
          const size_t ei = static_cast<size_t>(em);
          if (x.tce[ei] != 0) r.tco2_per_tce[si][ei] = r.total[si] / x.tce[ei];
        }
      }
      if (std::optional<double> added = x.added_value.Total(); added && !by_carrier) {
        r.added_value_10k_cny = *added;
        for (Scope2Method sm : kScope2Methods) {
          const size_t si = static_cast<size_t>(sm);
          r.tco2_per_10k_cny[si] = r.total[si] / *added;
        }
      }
      if (prev) {
        auto pv = prev->find(key);
        if (pv != prev->end() && pv->second.readings > 0) {
          for (Scope2Method sm : kScope2Methods) {
            const size_t si = static_cast<size_t>(sm);
            const double before = pv->second.s1 + pv->second.process + pv->second.s2[si];
            if (before != 0) r.yoy[si] = (r.total[si] - before) / before;
          }
        }
      }
      rows.push_back(std::move(r));
    }
  }
  return rows;
}

Result<CarbonDerivation> ExplainCarbon(const CarbonAccounts& a, std::string_view entity,
                                       int32_t from_month, int32_t to_month,
                                       std::optional<units::Carrier> carrier) {
  const energy::Accounts& en = a.energy();
  CarbonDerivation d;
  ZP_ASSIGN_OR_RETURN(d.energy, energy::Explain(en, entity, from_month, to_month, carrier));
  std::vector<int32_t> entities;
  if (entity == "park") {
    for (int32_t e = 0; e < en.entities(); ++e) entities.push_back(e);
  } else {
    for (int32_t e = 0; e < en.entities(); ++e) {
      if (en.EntityCode(e) == entity) entities.push_back(e);
    }
  }
  for (int32_t m = from_month; m < to_month; ++m) {
    for (const units::CarrierInfo& info : units::AllCarriers()) {
      const units::Carrier c = info.carrier;
      if (carrier && c != *carrier) continue;
      double amount = 0, green = 0, s1 = 0;
      std::array<double, 2> s2{};
      for (int32_t e : entities) {
        amount += en.Amount(e, m, c);
        if (c == units::Carrier::kElectricity) green += en.GreenKwh(e, m);
        s1 += a.Scope1(e, m, c);
        s2[0] += a.Scope2(e, m, c, Scope2Method::kLocation);
        s2[1] += a.Scope2(e, m, c, Scope2Method::kMarket);
      }
      if (amount == 0) continue;
      auto use = [&](const EmissionFactor* f, std::string scope, double amt, double t) {
        if (f == nullptr) return;
        CarbonFactorUse u;
        u.month = m;
        u.carrier = c;
        u.scope = std::move(scope);
        u.amount = amt;
        u.tco2 = t;
        u.tco2_per_unit = f->tco2_per_unit;
        u.formula = f->formula;
        for (const refdata::FactorRow* r : f->rows) u.rows.push_back(*r);
        d.factors.push_back(std::move(u));
      };
      use(a.Scope1Factor(m, c), "scope1", amount, s1);
      use(a.Scope2Factor(m, c, Scope2Method::kLocation), "scope2_location", amount, s2[0]);
      use(a.Scope2Factor(m, c, Scope2Method::kMarket), "scope2_market", amount - green, s2[1]);
      d.scope1_fuel += s1;
      d.scope2[0] += s2[0];
      d.scope2[1] += s2[1];
    }
    if (!carrier) {
      for (int32_t e : entities) {
        d.scope1_process += a.Process(e, m);
        for (auto& r : a.ProcessRecords(e, m)) {
          bool dup = false;
          for (const auto& x : d.process) dup = dup || x.seq == r.seq;
          if (!dup) d.process.push_back(std::move(r));
        }
      }
    }
  }
  for (const energy::GreenSupply& g : en.green_supplies()) {
    if (g.month < from_month || g.month >= to_month) continue;
    if (entity == "park" || g.enterprise_code == entity) d.green.push_back(g);
  }
  for (size_t i = 0; i < 2; ++i) d.total[i] = d.scope1_fuel + d.scope1_process + d.scope2[i];
  return d;
}

}  // namespace zp::carbon
