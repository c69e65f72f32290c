#include "zp/energy/energy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "zp/base/time.h"
#include "zp/engine/engine.h"

namespace zp::energy {
namespace {

constexpr size_t kC = kCarriers;

size_t CarrierIndex(units::Carrier c) { return static_cast<size_t>(c); }

int32_t FirstDayOfMonth(int32_t month_index) {
  return DaysFromCivil(MonthIndexYear(month_index), MonthIndexMonth(month_index), 1);
}

}  // namespace

std::string_view MethodName(Method m) {
  return m == Method::kEquivalent ? "equivalent" : "coal_equivalent";
}

Result<Method> ParseMethod(std::string_view s) {
  if (s == "equivalent" || s == "当量值") return Method::kEquivalent;
  if (s == "coal_equivalent" || s == "等价值") return Method::kCoalEquivalent;
  return InvalidArgumentError(
      fmt::format("unknown method '{}' (expected equivalent or coal_equivalent)", s));
}

std::string MonthLabel(int32_t month_index) {
  return fmt::format("{:04d}-{:02d}", MonthIndexYear(month_index), MonthIndexMonth(month_index));
}

std::string_view GroupName(Group g) {
  switch (g) {
    case Group::kEnterprise:
      return "enterprise";
    case Group::kIndustry:
      return "industry";
    case Group::kZone:
      return "zone";
    case Group::kCarrier:
      return "carrier";
    case Group::kPark:
      return "park";
  }
  return "park";
}

Result<Group> ParseGroup(std::string_view s) {
  for (Group g :
       {Group::kEnterprise, Group::kIndustry, Group::kZone, Group::kCarrier, Group::kPark}) {
    if (GroupName(g) == s) return g;
  }
  return InvalidArgumentError(fmt::format(
      "unknown group_by '{}' (expected enterprise, industry, zone, carrier or park)", s));
}

std::string_view PeriodName(Period p) { return p == Period::kMonth ? "month" : "year"; }

Result<Period> ParsePeriod(std::string_view s) {
  if (s == "month") return Period::kMonth;
  if (s == "year") return Period::kYear;
  return InvalidArgumentError(fmt::format("unknown period '{}' (expected month or year)", s));
}

// --- input.

namespace {

// The registry and the per-meter sums of `q` (meter groups, physical meters, generation included)
// placed in the month slot `slot(period start)` returns (-1 = outside).
template <typename Slot>
Result<Input> LoadSums(engine::Engine& engine, engine::SumQuery q, int32_t from_month,
                       int32_t to_month, Slot slot) {
  Input in;
  in.park = engine.GetPark();
  in.zones = engine.ListZones();
  in.enterprises = engine.ListEnterprises();
  in.meters = engine.ListMeters();
  in.from_month = from_month;
  in.to_month = to_month;
  const size_t months = static_cast<size_t>(in.months());
  in.sums.assign(in.meters.size() * months, MeterMonthSum{});
  q.group_by = engine::GroupBy::kMeter;
  q.include_generation = true;
  ZP_ASSIGN_OR_RETURN(std::vector<engine::SumRow> rows, engine.Sums(q));
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(in.meters.size());
  for (size_t i = 0; i < in.meters.size(); ++i) index.emplace(in.meters[i].code, i);
  for (const engine::SumRow& r : rows) {
    auto it = index.find(r.group);
    if (it == index.end()) continue;
    const int32_t k = slot(r.period_start_s);
    if (k < 0 || k >= in.months()) continue;
    MeterMonthSum& cell = in.sums[it->second * months + static_cast<size_t>(k)];
    cell.value += r.value;
    cell.readings += r.readings;
  }
  return in;
}

}  // namespace

Result<Input> LoadInput(engine::Engine& engine, int32_t from_month, int32_t to_month) {
  if (to_month <= from_month) return InvalidArgumentError("empty month range");
  if (to_month - from_month > 12 * 20) return InvalidArgumentError("at most 20 years at once");
  const TimeZone tz = engine.zone();
  engine::SumQuery q;
  q.period = engine::Period::kMonth;
  q.from_s = tz.MonthStart(from_month);
  q.to_s = tz.MonthStart(to_month);
  ZP_ASSIGN_OR_RETURN(Input in, LoadSums(engine, q, from_month, to_month, [&](int64_t start) {
                        return tz.LocalMonth(start) - from_month;
                      }));
  ZP_ASSIGN_OR_RETURN(in.data, engine.EnterpriseData("", "", /*history=*/false));
  return in;
}

Result<Input> LoadDayInput(engine::Engine& engine, int32_t day) {
  const TimeZone tz = engine.zone();
  engine::SumQuery q;
  q.period = engine::Period::kDay;
  q.from_s = tz.DayStart(day);
  q.to_s = tz.DayStart(day + 1);
  const int32_t month = tz.LocalMonth(q.from_s);
  return LoadSums(engine, q, month, month + 1,
                  [&](int64_t start) { return tz.LocalDay(start) == day ? 0 : -1; });
}

// --- green supply entered by hand.

namespace {

class ManualGreenSupply final : public GreenPowerSource {
 public:
  std::string_view name() const override { return "manual"; }
  Result<std::vector<GreenSupply>> Supplies(const Input& in) const override {
    std::vector<GreenSupply> out;
    for (const model::EnterpriseDatum& d : in.data) {
      if (d.indicator != "green_direct_kwh") continue;
      if (d.period.month == 0) {
        return InvalidArgumentError(fmt::format(
            "green_direct_kwh of {} for {} ({}) is a yearly value: green electricity must be "
            "entered per month / 直供绿电须按月录入",
            d.enterprise_code, model::FormatDataPeriod(d.period), d.item));
      }
      const int32_t m = MonthIndex(d.period.year, d.period.month);
      if (m < in.from_month || m >= in.to_month) continue;
      out.push_back(GreenSupply{d.enterprise_code, m, d.value, "direct_supply", d.item, d.source});
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<GreenPowerSource> MakeManualGreenSupply() {
  return std::make_unique<ManualGreenSupply>();
}

std::vector<std::string> DefaultRegions(const model::Park& park, const refdata::RefData& ref) {
  std::vector<std::string> out;
  std::string grid;
  if (!park.province.empty()) {
    // "辽宁", "Liaoning", or both: "辽宁 Liaoning".
    std::vector<std::string> names = {park.province};
    std::string_view rest = park.province;
    while (!rest.empty()) {
      const size_t sp = rest.find(' ');
      std::string_view word = rest.substr(0, sp);
      if (!word.empty() && word != park.province) names.emplace_back(word);
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    }
    for (const std::string& name : names) {
      auto p = ref.FindProvince(name);
      if (p.ok()) {
        out.push_back((*p)->code);
        grid = (*p)->grid_region;
        break;
      }
    }
  }
  if (!park.grid_region.empty()) {
    auto g = ref.FindGridRegion(park.grid_region);
    if (g.ok()) grid = (*g)->code;
  }
  if (!grid.empty()) out.push_back(grid);
  out.emplace_back(refdata::kNational);
  return out;
}

// --- accounts.

size_t Accounts::Cell(int32_t entity, int32_t month, units::Carrier c) const {
  const int32_t months = input_->months();
  ZP_CHECK(entity >= 0 && entity < entities_ && month >= input_->from_month &&
           month < input_->to_month);
  return (static_cast<size_t>(entity) * static_cast<size_t>(months) +
          static_cast<size_t>(month - input_->from_month)) *
             kC +
         CarrierIndex(c);
}

std::string_view Accounts::EntityCode(int32_t e) const {
  if (e == park_entity()) return kParkEntityCode;
  return input_->enterprises[static_cast<size_t>(e)].code;
}

double Accounts::Amount(int32_t e, int32_t m, units::Carrier c) const {
  return amount_[Cell(e, m, c)];
}
int64_t Accounts::Readings(int32_t e, int32_t m, units::Carrier c) const {
  return readings_[Cell(e, m, c)];
}
double Accounts::Tce(int32_t e, int32_t m, units::Carrier c, Method method) const {
  return tce_[static_cast<size_t>(method)][Cell(e, m, c)];
}
double Accounts::GreenKwh(int32_t e, int32_t m) const {
  return green_kwh_[Cell(e, m, units::Carrier::kElectricity) / kC];
}
double Accounts::GreenUnmatchedKwh(int32_t e, int32_t m) const {
  return green_unmatched_kwh_[Cell(e, m, units::Carrier::kElectricity) / kC];
}
const TceFactor& Accounts::Factor(int32_t m, units::Carrier c, Method method) const {
  ZP_CHECK(m >= input_->from_month && m < input_->to_month);
  return factors_[static_cast<size_t>(method)]
                 [static_cast<size_t>(m - input_->from_month) * kC + CarrierIndex(c)];
}
std::span<const int32_t> Accounts::MetersOf(int32_t e) const {
  return meters_of_[static_cast<size_t>(e)];
}

namespace {

// The tce factor of a carrier for a month and method, or the error naming what is missing.
Result<TceFactor> LookupTce(const refdata::RefData& ref, std::span<const std::string> regions,
                            units::Carrier c, Method method, int32_t month) {
  const int32_t day = FirstDayOfMonth(month);
  const units::CarrierInfo& info = units::GetCarrierInfo(c);
  TceFactor f;
  auto find = [&](std::string_view item, std::string_view variant) {
    return ref.FindFirst(refdata::kTce, item, variant, regions, day);
  };
  if (c == units::Carrier::kSteam) {
    // Steam: heat content (GJ/t) x the heat coefficient (GB/T 2589 prefers measured enthalpy).
    ZP_ASSIGN_OR_RETURN(
        const refdata::FactorRow* via,
        ref.FindFirst(refdata::kHeat, refdata::kSteamHeatContent, "heat_content", regions, day));
    ZP_ASSIGN_OR_RETURN(double gj_per_t, refdata::ConvertFactor(*via, "GJ", info.canonical_unit));
    Result<const refdata::FactorRow*> heat = find("heat", MethodName(method));
    if (!heat.ok() && method == Method::kCoalEquivalent) heat = find("heat", refdata::kEquivalent);
    if (!heat.ok()) return heat.status();
    ZP_ASSIGN_OR_RETURN(double tce_per_gj, refdata::ConvertFactor(**heat, "tce", "GJ"));
    f.tce_per_unit = gj_per_t * tce_per_gj;
    f.row = *heat;
    f.via = via;
    return f;
  }
  Result<const refdata::FactorRow*> row = find(info.code, MethodName(method));
  // Only electricity has a distinct coal-equivalent value in the built-in tables; other carriers
  // use their equivalent value under both methods unless a row says otherwise.
  if (!row.ok() && method == Method::kCoalEquivalent && c != units::Carrier::kElectricity) {
    row = find(info.code, refdata::kEquivalent);
  }
  if (!row.ok()) return row.status();
  ZP_ASSIGN_OR_RETURN(f.tce_per_unit, refdata::ConvertFactor(**row, "tce", info.canonical_unit));
  f.row = *row;
  return f;
}

}  // namespace

Result<std::shared_ptr<const Accounts>> Accounts::Compute(
    std::shared_ptr<const Input> input, std::shared_ptr<const refdata::RefData> ref,
    const GreenPowerSource* green, const Options& options) {
  if (!input || !ref) return InvalidArgumentError("accounts need input and reference data");
  const Input& in = *input;
  if (in.months() <= 0) return InvalidArgumentError("empty month range");
  const size_t months = static_cast<size_t>(in.months());
  if (in.sums.size() != in.meters.size() * months) {
    return InvalidArgumentError("input sums do not match meters x months");
  }
  std::shared_ptr<Accounts> a(new Accounts());
  a->input_ = input;
  a->ref_ = ref;
  a->regions_ = options.regions.empty() ? DefaultRegions(in.park, *ref) : options.regions;
  const int32_t n = static_cast<int32_t>(in.enterprises.size());
  a->entities_ = n + 1;
  const size_t entities = static_cast<size_t>(a->entities_);
  a->amount_.assign(entities * months * kC, 0.0);
  a->readings_.assign(entities * months * kC, 0);
  a->green_kwh_.assign(entities * months, 0.0);
  a->green_unmatched_kwh_.assign(entities * months, 0.0);
  a->meters_of_.assign(entities, {});

  std::unordered_map<std::string_view, int32_t> ent_index;
  for (int32_t e = 0; e < n; ++e) ent_index.emplace(in.enterprises[static_cast<size_t>(e)].code, e);
  std::unordered_map<std::string_view, size_t> meter_index;
  for (size_t i = 0; i < in.meters.size(); ++i) meter_index.emplace(in.meters[i].code, i);

  // Attribution: park meters (no parent) make the park total; each enterprise counts its own top
  // meters and gives up the meters of other enterprises fed from its meters.
  std::vector<double> park_total(months * kC, 0.0);
  std::vector<int64_t> park_readings(months * kC, 0);
  const int32_t park = a->park_entity();
  for (size_t i = 0; i < in.meters.size(); ++i) {
    const model::Meter& m = in.meters[i];
    if (m.kind == model::MeterKind::kVirtual || m.flow != model::MeterFlow::kConsumption) continue;
    const MeterMonthSum* row = &in.sums[i * months];
    const size_t ci = CarrierIndex(m.carrier);
    if (m.parent_code.empty()) {
      a->park_meters_.push_back(static_cast<int32_t>(i));
      for (size_t k = 0; k < months; ++k) {
        park_total[k * kC + ci] += row[k].value;
        if (m.enterprise_code.empty()) park_readings[k * kC + ci] += row[k].readings;
      }
    }
    auto own = ent_index.find(m.enterprise_code);
    if (own == ent_index.end())
      continue;  // a park meter (or an unknown enterprise: registry
                 // checks prevent it)
    const int32_t e = own->second;
    const model::Meter* parent = nullptr;
    if (!m.parent_code.empty()) {
      auto p = meter_index.find(m.parent_code);
      if (p != meter_index.end()) parent = &in.meters[p->second];
    }
    if (parent != nullptr && parent->enterprise_code == m.enterprise_code) continue;  // sub-meter
    a->meters_of_[static_cast<size_t>(e)].push_back(static_cast<int32_t>(i));
    auto add = [&](int32_t entity, double sign) {
      for (size_t k = 0; k < months; ++k) {
        const size_t cell = (static_cast<size_t>(entity) * months + k) * kC + ci;
        a->amount_[cell] += sign * row[k].value;
        if (sign > 0) a->readings_[cell] += row[k].readings;
      }
    };
    add(e, 1.0);
    if (parent != nullptr && !parent->enterprise_code.empty()) {
      auto pe = ent_index.find(parent->enterprise_code);
      if (pe != ent_index.end()) {
        add(pe->second, -1.0);
        a->meters_of_[static_cast<size_t>(pe->second)].push_back(-1 - static_cast<int32_t>(i));
      }
    }
  }
  // The park's own use and losses: park total minus the enterprises.
  for (size_t k = 0; k < months; ++k) {
    for (size_t c = 0; c < kC; ++c) {
      double sum = 0;
      for (int32_t e = 0; e < n; ++e) {
        sum += a->amount_[(static_cast<size_t>(e) * months + k) * kC + c];
      }
      const size_t cell = (static_cast<size_t>(park) * months + k) * kC + c;
      a->amount_[cell] = park_total[k * kC + c] - sum;
      a->readings_[cell] = park_readings[k * kC + c];
    }
  }
  for (size_t i = 0; i < in.meters.size(); ++i) {
    const model::Meter& m = in.meters[i];
    if (m.kind != model::MeterKind::kVirtual && m.flow == model::MeterFlow::kConsumption &&
        m.enterprise_code.empty() && m.parent_code.empty()) {
      a->meters_of_[static_cast<size_t>(park)].push_back(static_cast<int32_t>(i));
    }
  }

  // Green electricity, capped at each enterprise-month's metered electricity.
  if (green != nullptr) {
    ZP_ASSIGN_OR_RETURN(a->green_, green->Supplies(in));
    a->green_name_ = std::string(green->name());
    std::vector<double> supplied(entities * months, 0.0);
    for (const GreenSupply& g : a->green_) {
      auto it = ent_index.find(g.enterprise_code);
      if (it == ent_index.end()) {
        return InvalidArgumentError(fmt::format("green supply {} names unknown enterprise '{}'",
                                                g.reference, g.enterprise_code));
      }
      if (g.month < in.from_month || g.month >= in.to_month) continue;
      if (!std::isfinite(g.kwh) || g.kwh < 0) {
        return InvalidArgumentError(fmt::format("green supply {} of {} has an invalid amount",
                                                g.reference, g.enterprise_code));
      }
      supplied[static_cast<size_t>(it->second) * months +
               static_cast<size_t>(g.month - in.from_month)] += g.kwh;
    }
    for (size_t cell = 0; cell < supplied.size(); ++cell) {
      const double metered =
          std::max(0.0, a->amount_[cell * kC + CarrierIndex(units::Carrier::kElectricity)]);
      a->green_kwh_[cell] = std::min(supplied[cell], metered);
      a->green_unmatched_kwh_[cell] = supplied[cell] - a->green_kwh_[cell];
    }
  }

  // Factors for every (month, carrier) with a non-zero amount anywhere, then tce.
  for (Method method : kMethods) {
    auto& factors = a->factors_[static_cast<size_t>(method)];
    auto& tce = a->tce_[static_cast<size_t>(method)];
    factors.assign(months * kC, TceFactor{});
    tce.assign(entities * months * kC, 0.0);
    for (size_t k = 0; k < months; ++k) {
      for (const units::CarrierInfo& info : units::AllCarriers()) {
        if (!refdata::IsEnergyCarrier(info.carrier)) continue;
        const size_t ci = CarrierIndex(info.carrier);
        bool needed = park_total[k * kC + ci] != 0;
        for (size_t e = 0; e < entities && !needed; ++e) {
          needed = a->amount_[(e * months + k) * kC + ci] != 0;
        }
        if (!needed) continue;
        const int32_t month = in.from_month + static_cast<int32_t>(k);
        Result<TceFactor> f = LookupTce(*ref, a->regions_, info.carrier, method, month);
        if (!f.ok()) {
          return f.status().WithContext(fmt::format("{} of {} ({}) in {}", MethodName(method),
                                                    info.code, info.name_zh, MonthLabel(month)));
        }
        factors[k * kC + ci] = *f;
        for (size_t e = 0; e < entities; ++e) {
          const size_t cell = (e * months + k) * kC + ci;
          tce[cell] = a->amount_[cell] * f->tce_per_unit;
        }
      }
    }
  }
  return std::shared_ptr<const Accounts>(std::move(a));
}

// --- reports.

namespace {

struct Acc {
  double amount = 0;
  std::array<double, 2> tce{};
  std::array<double, 2> electricity_tce{};
  std::array<double, 2> clean_tce{};
  double electricity_kwh = 0;
  double green_kwh = 0;
  int64_t readings = 0;
  AddedValueSum added_value;
};

}  // namespace

Result<Grouping> GroupEntities(const Accounts& a, const ReportQuery& q) {
  const Input& in = a.input();
  Grouping g;
  g.key.assign(static_cast<size_t>(a.entities()), "");
  std::map<std::string, const model::Zone*> zones;
  for (const model::Zone& z : in.zones) zones[z.code] = &z;
  for (const std::string& z : q.zones) {
    if (!zones.count(z)) return NotFoundError("no zone '" + z + "'");
  }
  std::map<std::string_view, bool> ent_filter;
  for (const std::string& e : q.enterprises) ent_filter[e] = false;
  const bool filtered = !q.enterprises.empty() || !q.zones.empty() || !q.industry_prefix.empty();
  for (int32_t e = 0; e < a.entities(); ++e) {
    std::string key;
    if (e == a.park_entity()) {
      if (filtered) continue;
      switch (q.group) {
        case Group::kEnterprise:
        case Group::kIndustry:
        case Group::kZone:
          key = std::string(kParkEntityCode);
          g.names[key] = "园区公共及损耗 / Park own use and losses";
          break;
        case Group::kCarrier:
        case Group::kPark:
          key = "park";
          break;
      }
      g.key[static_cast<size_t>(e)] = key;
      continue;
    }
    const model::Enterprise& ent = in.enterprises[static_cast<size_t>(e)];
    if (!q.enterprises.empty()) {
      auto it = ent_filter.find(ent.code);
      if (it == ent_filter.end()) continue;
      it->second = true;
    }
    if (!q.zones.empty() &&
        std::find(q.zones.begin(), q.zones.end(), ent.zone_code) == q.zones.end()) {
      continue;
    }
    if (!q.industry_prefix.empty() && !ent.industry_code.starts_with(q.industry_prefix)) continue;
    switch (q.group) {
      case Group::kEnterprise:
        key = ent.code;
        g.names[key] = ent.name;
        break;
      case Group::kIndustry: {
        key = ent.industry_code.substr(0, std::min<size_t>(3, ent.industry_code.size()));
        model::IndustryName name = model::IndustryDivisionName(ent.industry_code);
        g.names[key] = fmt::format("{} / {}", name.zh, name.en);
        break;
      }
      case Group::kZone: {
        key = ent.zone_code;
        auto z = zones.find(ent.zone_code);
        g.names[key] = z != zones.end() ? z->second->name : "未划分网格 / No zone";
        break;
      }
      case Group::kCarrier:
      case Group::kPark:
        key = "park";
        break;
    }
    // An enterprise without a zone still needs a non-empty key.
    if (key.empty()) key = "-";
    if (q.group == Group::kZone && key == "-") g.names[key] = "未划分网格 / No zone";
    g.key[static_cast<size_t>(e)] = key;
  }
  for (const auto& [code, seen] : ent_filter) {
    if (!seen) return NotFoundError("no enterprise '" + std::string(code) + "'");
  }
  if (q.group == Group::kPark) g.names["park"] = in.park.name;
  return g;
}

AddedValues::AddedValues(const Accounts& a) {
  const Input& in = a.input();
  std::unordered_map<std::string_view, int32_t> idx;
  for (size_t e = 0; e < in.enterprises.size(); ++e) {
    idx.emplace(in.enterprises[e].code, static_cast<int32_t>(e));
  }
  for (const model::EnterpriseDatum& d : in.data) {
    if (d.indicator != "added_value") continue;
    auto it = idx.find(d.enterprise_code);
    if (it == idx.end()) continue;
    values_[{it->second, d.period.year, d.period.month}] += d.value;
  }
}

std::optional<double> AddedValues::Get(int32_t e, int32_t year, int32_t month) const {
  auto it = values_.find({e, year, month});
  if (it != values_.end()) return it->second;
  if (month != 0) return std::nullopt;
  double sum = 0;
  for (int32_t mo = 1; mo <= 12; ++mo) {
    auto m = values_.find({e, year, mo});
    if (m == values_.end()) return std::nullopt;
    sum += m->second;
  }
  return sum;
}

std::vector<ReportPeriod> ReportPeriods(Period period, int32_t from, int32_t to) {
  std::vector<ReportPeriod> ps;
  if (period == Period::kMonth) {
    for (int32_t m = from; m < to; ++m) {
      ps.push_back({MonthLabel(m), m, m + 1, MonthIndexYear(m), MonthIndexMonth(m)});
    }
  } else {
    for (int32_t m = from; m < to;) {
      const int32_t y = MonthIndexYear(m);
      const int32_t end = std::min(to, MonthIndex(y + 1, 1));
      ps.push_back({fmt::format("{:04d}", y), m, end, y, 0});
      m = end;
    }
  }
  return ps;
}

std::optional<ReportPeriod> YearBefore(const Accounts& a, const ReportPeriod& p) {
  if (p.from - 12 < a.input().from_month) return std::nullopt;
  ReportPeriod before = p;
  before.from -= 12;
  before.to -= 12;
  before.year -= 1;
  if (p.month == 0) {
    // A year still running (its last months have no readings anywhere in the park) is compared
    // with the same months of the year before: year to date against the same period.
    const Input& in = a.input();
    const int32_t months = in.months();
    int32_t last = -1;
    for (int32_t m = p.to - 1; m >= p.from && last < 0; --m) {
      if (m < in.from_month || m >= in.to_month) continue;
      const size_t k = static_cast<size_t>(m - in.from_month);
      for (size_t i = 0; i < in.meters.size(); ++i) {
        if (in.sums[i * static_cast<size_t>(months) + k].readings > 0) {
          last = m;
          break;
        }
      }
    }
    if (last >= p.from && last + 1 < p.to) before.to = last + 1 - 12;
  }
  before.label = p.month == 0 ? fmt::format("{:04d}", before.year) : MonthLabel(before.from);
  return before;
}

void AddedValueSum::Add(std::optional<double> v) {
  any_ = true;
  if (v) {
    value_ += *v;
  } else {
    missing_ = true;
  }
}

std::optional<double> AddedValueSum::Total() const {
  if (!any_ || missing_ || value_ <= 0) return std::nullopt;
  return value_;
}

Status CheckRange(const Accounts& a, int32_t from_month, int32_t to_month) {
  const Input& in = a.input();
  if (to_month <= from_month) return InvalidArgumentError("empty month range");
  if (from_month < in.from_month || to_month > in.to_month) {
    return InvalidArgumentError(fmt::format(
        "months {}..{} are outside the accounts ({}..{})", MonthLabel(from_month),
        MonthLabel(to_month - 1), MonthLabel(in.from_month), MonthLabel(in.to_month - 1)));
  }
  return Status::OK();
}

Result<std::vector<EnergyRow>> EnergyReport(const Accounts& a, const ReportQuery& q) {
  ZP_RETURN_IF_ERROR(CheckRange(a, q.from_month, q.to_month));
  ZP_ASSIGN_OR_RETURN(Grouping g, GroupEntities(a, q));
  AddedValues av(a);
  const bool by_carrier = q.group == Group::kCarrier;

  using P = ReportPeriod;
  // Accumulate one period into group -> (carrier or total) accumulators.
  using Key = std::pair<std::string, int>;  // group, carrier index (-1 = all)
  auto accumulate = [&](const P& p) {
    std::map<Key, Acc> acc;
    for (int32_t e = 0; e < a.entities(); ++e) {
      const std::string& key = g.key[static_cast<size_t>(e)];
      if (key.empty()) continue;
      const bool is_enterprise = e != a.park_entity();
      for (int32_t m = p.from; m < p.to; ++m) {
        for (const units::CarrierInfo& info : units::AllCarriers()) {
          if (!refdata::IsEnergyCarrier(info.carrier)) continue;
          const double amount = a.Amount(e, m, info.carrier);
          const int64_t readings = a.Readings(e, m, info.carrier);
          if (amount == 0 && readings == 0) continue;
          Acc& x = acc[{by_carrier ? std::string(info.code) : key,
                        by_carrier ? static_cast<int>(info.carrier) : -1}];
          x.amount += amount;
          x.readings += readings;
          for (Method method : kMethods) {
            const size_t mi = static_cast<size_t>(method);
            const double t = a.Tce(e, m, info.carrier, method);
            x.tce[mi] += t;
            if (info.carrier == units::Carrier::kElectricity) x.electricity_tce[mi] += t;
            if (info.carrier == units::Carrier::kNaturalGas) x.clean_tce[mi] += t;
          }
          if (info.carrier == units::Carrier::kElectricity) {
            x.electricity_kwh += amount;
            const double green = a.GreenKwh(e, m);
            x.green_kwh += green;
            for (Method method : kMethods) {
              x.clean_tce[static_cast<size_t>(method)] +=
                  green * a.Factor(m, units::Carrier::kElectricity, method).tce_per_unit;
            }
          }
        }
      }
      // Every selected enterprise has a row, even without readings; the park's own use only
      // when it has some.
      if (by_carrier || !is_enterprise) continue;
      acc[{key, -1}].added_value.Add(av.Get(e, p.year, p.month));
    }
    return acc;
  };

  std::vector<EnergyRow> rows;
  const std::vector<P> periods = ReportPeriods(q.period, q.from_month, q.to_month);
  for (const P& p : periods) {
    std::map<Key, Acc> cur = accumulate(p);
    std::optional<std::map<Key, Acc>> prev;
    if (std::optional<P> before = YearBefore(a, p)) prev = accumulate(*before);
    for (const auto& [key, x] : cur) {
      EnergyRow r;
      r.group = key.first;
      r.period = p.label;
      r.month = p.from;
      if (by_carrier) {
        const units::CarrierInfo& info =
            units::GetCarrierInfo(static_cast<units::Carrier>(key.second));
        r.name = fmt::format("{} / {}", info.name_zh, info.name_en);
        r.amount = x.amount;
        r.unit = std::string(info.canonical_unit);
      } else {
        auto n = g.names.find(key.first);
        if (n != g.names.end()) r.name = n->second;
      }
      r.tce = x.tce;
      r.electricity_kwh = x.electricity_kwh;
      r.green_kwh = x.green_kwh;
      r.readings = x.readings;
      for (Method method : kMethods) {
        const size_t mi = static_cast<size_t>(method);
        if (x.tce[mi] != 0) {
          r.electricity_share[mi] = x.electricity_tce[mi] / x.tce[mi];
          r.clean_share[mi] = x.clean_tce[mi] / x.tce[mi];
        }
      }
      if (std::optional<double> added = x.added_value.Total(); added && !by_carrier) {
        r.added_value_10k_cny = *added;
        for (Method method : kMethods) {
          const size_t mi = static_cast<size_t>(method);
          r.intensity[mi] = x.tce[mi] / *added;
        }
      }
      if (prev) {
        auto pv = prev->find(key);
        if (pv != prev->end() && pv->second.readings > 0) {
          for (Method method : kMethods) {
            const size_t mi = static_cast<size_t>(method);
            if (pv->second.tce[mi] != 0) {
              r.yoy[mi] = (x.tce[mi] - pv->second.tce[mi]) / pv->second.tce[mi];
            }
          }
        }
      }
      rows.push_back(std::move(r));
    }
  }
  return rows;
}

Result<Derivation> Explain(const Accounts& a, std::string_view entity, int32_t from_month,
                           int32_t to_month, std::optional<units::Carrier> carrier) {
  const Input& in = a.input();
  if (to_month <= from_month || from_month < in.from_month || to_month > in.to_month) {
    return InvalidArgumentError("months outside the accounts");
  }
  Derivation d;
  d.entity = std::string(entity);
  d.from_month = from_month;
  d.to_month = to_month;
  const size_t months = static_cast<size_t>(in.months());
  std::vector<int32_t> entities;
  std::vector<std::pair<int32_t, double>> meters;  // meter index, sign
  if (entity == "park") {
    for (int32_t i : a.ParkMeters()) meters.emplace_back(i, 1.0);
    for (int32_t e = 0; e < a.entities(); ++e) entities.push_back(e);
    d.rules.push_back(
        "园区总量 = 无上级表的消费计量表之和 / Park total = consumption meters without a parent");
  } else if (entity == kParkEntityCode) {
    for (int32_t i : a.ParkMeters()) meters.emplace_back(i, 1.0);
    for (int32_t e = 0; e < a.park_entity(); ++e) {
      for (int32_t i : a.MetersOf(e)) {
        meters.emplace_back(i >= 0 ? i : -1 - i, i >= 0 ? -1.0 : 1.0);
      }
    }
    entities.push_back(a.park_entity());
    d.rules.push_back(
        "园区公共及损耗 = 园区总量 − 各企业之和 / Park own use and losses = park total − "
        "enterprises");
  } else {
    int32_t found = -1;
    for (int32_t e = 0; e < a.park_entity(); ++e) {
      if (a.EntityCode(e) == entity) found = e;
    }
    if (found < 0) return NotFoundError("no enterprise '" + std::string(entity) + "'");
    entities.push_back(found);
    for (int32_t i : a.MetersOf(found)) {
      meters.emplace_back(i >= 0 ? i : -1 - i, i >= 0 ? 1.0 : -1.0);
    }
    d.rules.push_back(
        "企业用量 = 本企业无上级表（或上级表属其他单位）的消费计量表之和，减去由本企业计量表供给的"
        "其他企业计量表；分表、虚拟表、发电表不计 / Enterprise use = its consumption meters "
        "without a parent in the enterprise, minus other enterprises' meters fed from its meters; "
        "sub-meters, virtual and generation meters are not counted");
  }
  for (const auto& [i, sign] : meters) {
    const model::Meter& m = in.meters[static_cast<size_t>(i)];
    if (carrier && m.carrier != *carrier) continue;
    if (!refdata::IsEnergyCarrier(m.carrier)) continue;
    for (int32_t mo = from_month; mo < to_month; ++mo) {
      const MeterMonthSum& s =
          in.sums[static_cast<size_t>(i) * months + static_cast<size_t>(mo - in.from_month)];
      if (s.value == 0 && s.readings == 0) continue;
      d.readings.push_back(
          DerivationStep{m.code, m.name, m.carrier, mo, s.value, s.readings, sign});
    }
  }
  for (int32_t mo = from_month; mo < to_month; ++mo) {
    for (const units::CarrierInfo& info : units::AllCarriers()) {
      if (!refdata::IsEnergyCarrier(info.carrier)) continue;
      if (carrier && info.carrier != *carrier) continue;
      double amount = 0;
      for (int32_t e : entities) amount += a.Amount(e, mo, info.carrier);
      if (amount == 0) continue;
      for (Method method : kMethods) {
        const TceFactor& f = a.Factor(mo, info.carrier, method);
        if (f.row == nullptr) continue;
        DerivationFactor df;
        df.month = mo;
        df.carrier = info.carrier;
        df.method = method;
        df.tce_per_unit = f.tce_per_unit;
        df.row = *f.row;
        if (f.via != nullptr) df.via = *f.via;
        d.factors.push_back(std::move(df));
        for (int32_t e : entities) {
          d.tce[static_cast<size_t>(method)] += a.Tce(e, mo, info.carrier, method);
        }
      }
    }
  }
  return d;
}

}  // namespace zp::energy
