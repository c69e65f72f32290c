#include "zp/demo/demo.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <numbers>
#include <set>
#include <string>
#include <utility>

#include "holidays.h"
#include "profiles.h"
#include "zp/base/time.h"

namespace zp::demo {

using internal::Archetype;
using internal::DayInfo;
using internal::DayType;
using internal::DayWeather;
using internal::kHoursPerSlot;
using internal::kSlotsPerDay;
using internal::Rng;
using internal::Shift;
using internal::StreamSeed;
using internal::Week;

std::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kGap:
      return "gap";
    case FaultKind::kZeroRun:
      return "zero_run";
    case FaultKind::kRegisterReset:
      return "register_reset";
    case FaultKind::kStuck:
      return "stuck";
  }
  return "unknown";
}

namespace {

constexpr int64_t kSlotSeconds = 900;
constexpr size_t kTargetBatchReadings = 2'000'000;

// Electricity components of an enterprise's load.
enum Comp : int { kProcess, kAir, kHvac, kLight, kCold, kOther, kCompCount };

enum class Role : uint8_t {
  kMain,
  kSub,
  kVirtual,
  kGas,
  kBoilerGas,
  kWater,
  kHeat,
  kSteam,
  kPv,
  kParkWwtp,
  kParkLighting,
  kParkOffice,
  kParkEv,
  kParkPv,
  kParkWater,
  kParkHeat,
  // Issue 6 (green power). Appended: a park meter's noise stream is keyed by its role's value.
  kParkGroundPv,
  kParkWind,
  kBessCharge,     // battery storage: energy into the battery (plus standby), consumption flow
  kBessDischarge,  // battery storage: energy out of the battery, generation flow
};

// Multiplicative noise: an AR(1) drift plus white noise, one PRNG draw per reading.
struct Noise {
  double ar = 0;
  double a = 0.9;
  double innov = 0.045;  // AR stationary sd ~3%
  double white = 0.07;   // white sd ~2%
  double Next(Rng& r) {
    const uint64_t x = r.Next();
    const double u1 = static_cast<double>(x >> 32) * 0x1.0p-32 - 0.5;
    const double u2 = static_cast<double>(x & 0xFFFFFFFFULL) * 0x1.0p-32 - 0.5;
    ar = a * ar + innov * u2;
    return 1.0 + ar + white * u1;
  }
};

struct MeterGen {
  int32_t plan_index = 0;
  int32_t enterprise = -1;  // -1: park level
  Role role = Role::kMain;
  Comp comp = kProcess;
  int32_t line = -1;   // process line of a sub-meter
  double share = 1.0;  // share of its component (sub-meters)
  double scale = 0;    // role-specific magnitude
  bool cumulative = false;
  bool season_only = false;  // heat: readings only in the heating season
  bool lazy_start = false;   // rollover meter: start register set from the first day's use
  double min_value = 0.01;
  double multiplier = 1.0;
  double wrap = 0;  // 10^digits, 0 = never
  double reg = 0;   // register, meter units
  double last_value = 0;
  double state = 0;  // wind: synoptic log wind speed anomaly (AR(1) across days)
  Noise noise;
  uint64_t key = 0;
  int64_t id = 0;
  bool has_fault = false;
  FaultKind fault = FaultKind::kGap;
  int64_t fault_from = 0;  // global slot index (day * 96 + slot), inclusive
  int64_t fault_to = 0;    // exclusive
};

struct EnterpriseGen {
  int32_t index = 0;
  const Archetype* type = nullptr;
  Shift shift = Shift::kOne;
  Week week = Week::kFiveDay;
  double peak_kw = 0;
  int32_t offset_slots = 0;
  std::array<double, kCompCount> share{};    // of the peak
  std::array<double, kCompCount> metered{};  // share of each component covered by sub-meters
  double process_idle = 0.1;
  bool cleanroom = false;
  double gas_m3h = 0;
  double boiler_m3h = 0;
  double steam_th = 0;
  double water_m3h = 0;
  double heat_kw = 0;  // design heat load at -17 °C
  double pv_kwp = 0;
  int32_t lines = 0;
  double min_other = 0.2;
  int32_t main = -1;               // MeterGen index
  std::vector<int32_t> subs;       // MeterGen indices
  std::vector<int32_t> utilities;  // gas, water, heat, steam, PV
  // Battery storage behind the meter (the storage anchor only): charged from the site's PV
  // surplus at midday, discharged into the site's own evening load (no export).
  double bess_kw = 0;
  double bess_kwh = 0;
  double bess_soc_kwh = 0;  // stored energy, carried from day to day
  int32_t bess_in = -1;     // MeterGen indices
  int32_t bess_out = -1;
};

// Production activity of one enterprise on one day: whether it works, the day's production
// factor and lines that are down. Drawn from the enterprise-day stream, so the plan (product
// output) and the generator (readings) see the same days.
struct DayActivity {
  bool work = true;
  double pf = 0;
  std::array<double, 4> line_factor{};
};

double Round2(double x) {
  return static_cast<double>(static_cast<int64_t>(x * 100.0 + 0.5)) / 100.0;
}
double Clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

constexpr std::string_view kChineseNumerals[] = {"一", "二", "三", "四", "五",   "六",
                                                 "七", "八", "九", "十", "十一", "十二"};

std::string CodeOf(int32_t enterprise, int32_t width) {
  return fmt::format("E{:0{}d}", enterprise + 1, width);
}

// GB 11714 organisation code check character for 8 body characters.
char OrgCodeCheck(std::string_view body) {
  static constexpr int kWeights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 8; ++i) {
    const char c = body[static_cast<size_t>(i)];
    const int v = c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
    sum += v * kWeights[i];
  }
  const int check = 11 - sum % 11;
  if (check == 10) return 'X';
  if (check == 11) return '0';
  return static_cast<char>('0' + check);
}

constexpr std::string_view kParkHeatStation = "PARK.HEAT.STATION";

constexpr std::string_view kParkGroundPvMeter = "PARK.PV.GROUND";
constexpr std::string_view kParkWindMeter = "PARK.WIND";

// Wind farm: mean hub-height (90 m) wind speed by month in the hills north of Shenyang (m/s;
// windy spring, calm midsummer), the synoptic anomaly's log-sd and AR(1) per 15 minutes.
constexpr double kWindMonthMean[12] = {6.9, 7.0, 7.8, 8.3, 7.6, 6.4, 5.6, 5.4, 6.2, 7.0, 7.4, 7.1};
constexpr double kWindLogSd = 0.42;
const double kWindPhi = std::exp(-0.25 / 30.0);
const double kWindInnovation = kWindLogSd * std::sqrt(1.0 - kWindPhi * kWindPhi);

// Per-unit output of a 2.5 MW turbine class: cut-in 3 m/s, cubic to rated at 12 m/s, cut-out
// at 25 m/s.
double WindFarmPower(double speed) {
  if (speed < 3.0 || speed >= 25.0) return 0.0;
  if (speed >= 12.0) return 1.0;
  return (speed * speed * speed - 27.0) / (1728.0 - 27.0);
}

// The anchor with battery storage: E005, the one-shift machine-tool maker with rooftop PV.
constexpr int32_t kStorageAnchor = 4;
// The steel-structure anchor (E008): CBAM-relevant output in two products.
constexpr int32_t kSteelAnchor = 7;

}  // namespace

struct DemoGenerator::Impl {
  DemoOptions options;
  DemoPlan plan;
  TimeZone tz;
  int32_t first_epoch_day = 0;
  std::vector<EnterpriseGen> enterprises;
  std::vector<MeterGen> meters;
  std::vector<DayWeather> weather;
  std::vector<DayInfo> day_info;
  int32_t next_day = 0;
  int64_t physical_meters = 0;

  // Scratch, reused every day.
  std::array<std::array<double, kSlotsPerDay>, kCompCount> comp{};
  std::array<double, kSlotsPerDay> act{}, occ{}, main_exact{}, values{};
  std::array<double, kSlotsPerDay> park_water{}, park_heat{};
  std::array<double, kSlotsPerDay> site_load{}, site_pv{};  // the storage site's main and PV

  Status Plan();
  void PlanEnterpriseData(const DemoOptions& o, const std::vector<double>& annual_tce);
  void PlanProductOutput(const DemoOptions& o, const std::vector<double>& annual_tce);
  int32_t AddMeter(model::Meter m, MeterGen g);
  void PlanFaults();
  DayActivity Activity(const EnterpriseGen& e, int32_t day) const;
  void GenerateEnterprise(EnterpriseGen& e, int32_t day, int64_t ts0,
                          std::vector<engine::ReadingIn>* out);
  void GenerateStorage(EnterpriseGen& e, int32_t day, int64_t ts0,
                       std::vector<engine::ReadingIn>* out);
  void GeneratePark(int32_t day, int64_t ts0, std::vector<engine::ReadingIn>* out);
  void Emit(MeterGen& m, int32_t day, int64_t ts0, std::vector<engine::ReadingIn>* out);
  void GenerateDay(std::vector<engine::ReadingIn>* out);  // out may be null (skip)
};

int32_t DemoGenerator::Impl::AddMeter(model::Meter m, MeterGen g) {
  g.plan_index = static_cast<int32_t>(plan.meters.size());
  g.id = g.plan_index + 1;
  if (m.kind == model::MeterKind::kCumulative) {
    g.cumulative = true;
    g.multiplier = m.multiplier;
    g.wrap = m.register_digits > 0 ? std::pow(10.0, m.register_digits) : 0;
  }
  plan.meters.push_back(std::move(m));
  if (g.role != Role::kVirtual) ++physical_meters;
  meters.push_back(g);
  return static_cast<int32_t>(meters.size() - 1);
}

void DemoGenerator::Impl::PlanEnterpriseData(const DemoOptions& o,
                                             const std::vector<double>& annual_tce) {
  // Calendar months the readings cover (January of o.year to the month of the last day).
  const CivilDate last = CivilFromDays(DaysFromCivil(o.year, 1, 1) + o.days - 1);
  const int32_t months = (last.year - o.year) * 12 + last.month;
  auto datum = [&](const model::Enterprise& ent, std::string indicator, std::string item,
                   int32_t year, int32_t month, double value, std::string unit) {
    model::EnterpriseDatum d;
    d.enterprise_code = ent.code;
    d.indicator = std::move(indicator);
    d.item = std::move(item);
    d.period = {year, month};
    d.value = value;
    d.unit = std::move(unit);
    d.source = "demo";
    plan.data.push_back(std::move(d));
  };
  for (size_t i = 0; i < plan.enterprises.size(); ++i) {
    const model::Enterprise& ent = plan.enterprises[i];
    Rng r(StreamSeed(o.seed, 7, static_cast<uint64_t>(i)));
    // Energy intensity of added value by industry (tce per 10k CNY, equivalent value): heavy
    // process industry high, electronics and services low.
    const std::string_view div = std::string_view(ent.industry_code).substr(0, 3);
    const double intensity =
        (div == "C30" || div == "C31" || div == "C26" || div == "C22") ? r.Uniform(0.35, 0.9)
        : (div == "C39" || div == "C40" || div == "I65")               ? r.Uniform(0.02, 0.08)
                                                                       : r.Uniform(0.06, 0.3);
    const double tce_month = annual_tce[i] / 12.0;
    const double tax_rate = r.Uniform(0.12, 0.28);
    const double av_rate = r.Uniform(0.22, 0.36);  // added value / output value
    const double rnd = r.Uniform(0.005, 0.06);
    const double employees =
        std::round(std::clamp(annual_tce[i] * r.Uniform(0.05, 0.2), 12.0, 4000.0));
    for (int32_t k = 0; k < months; ++k) {
      const int32_t year = o.year + k / 12, month = k % 12 + 1;
      const double season = month == 2 ? 0.8 : (month == 12 ? 1.12 : 1.0);
      const double av =
          std::round(tce_month / intensity * season * r.Uniform(0.9, 1.1) * 100) / 100;
      const double output = std::round(av / av_rate * 100) / 100;
      datum(ent, "added_value", "", year, month, av, "10k CNY");
      datum(ent, "industrial_output", "", year, month, output, "10k CNY");
      datum(ent, "revenue", "", year, month, std::round(output * r.Uniform(0.92, 1.06) * 100) / 100,
            "10k CNY");
      datum(ent, "tax", "", year, month, std::round(av * tax_rate * 100) / 100, "10k CNY");
      datum(ent, "rnd_spending", "", year, month, std::round(output * rnd * 100) / 100, "10k CNY");
      datum(ent, "employees", "", year, month, employees, "persons");
    }
    // Process emissions: mineral products (C30: cement, glass, ceramics), chemicals (C26),
    // ferrous and non-ferrous smelting (C31, C32). Other industries have none.
    if (div == "C30" || div == "C26" || div == "C31" || div == "C32") {
      const double share = div == "C30" ? r.Uniform(0.4, 0.6) : r.Uniform(0.1, 0.25);
      for (int32_t y = 0; y < (months + 11) / 12; ++y) {
        // tCO2 ~ share of the plant's fuel CO2 (2.5 tCO2/tce as a rough fuel mix).
        datum(ent, "process_co2",
              div == "C30" ? "熟料煅烧 / clinker calcination" : "化工过程 / chemical process",
              o.year + y, 0, std::round(annual_tce[i] * 2.5 * share), "tCO2");
      }
    }
    // Green electricity by direct supply for the key energy users with the largest loads.
    if (ent.key_energy_user && r.Chance(0.5)) {
      const std::string contract = fmt::format("绿电直连-{}-{:03d}", o.year, i + 1);
      const double share = r.Uniform(0.2, 0.5);
      for (int32_t k = 0; k < months; ++k) {
        const double kwh = std::round(enterprises[i].peak_kw * 730 * 0.45 * share);
        datum(ent, "green_direct_kwh", contract, o.year + k / 12, k % 12 + 1, kwh, "kWh");
      }
    }
  }
  PlanProductOutput(o, annual_tce);
}

// Monthly output (t) of CBAM-relevant products (CBAM Annex I, iron and steel 72/73, aluminium
// 76) for a handful of metal-products enterprises: the steel-structure anchor (two products, so
// that embedded emissions are split by output mass), the three largest iron foundries, the
// largest aluminium die caster and the largest other steel-structure maker. Output follows the
// production activity the readings are made from (working days, production factor, lines down),
// at a site electricity intensity typical of the trade: steel structures ~130 kWh/t, iron castings
// from induction furnaces ~850 kWh/t, aluminium die castings (gas-fired melting) ~1,000 kWh/t.
void DemoGenerator::Impl::PlanProductOutput(const DemoOptions& o,
                                            const std::vector<double>& annual_tce) {
  struct Product {
    std::string_view item;
    double share;  // of the enterprise's output mass
  };
  struct Maker {
    int32_t index;
    // Production activity (peak kW x activity x hours) per tonne. The site's metered electricity
    // adds idle load, compressed air, lighting and offices: ~1.38x the activity for steel
    // structures, ~1.05x for the foundries and die casters.
    double activity_kwh_per_t;
    std::vector<Product> products;
  };
  static constexpr std::string_view kStructures = "钢结构件 / Steel structures (CN 7308)";
  static constexpr std::string_view kBolts = "高强度螺栓 / High-strength bolts (CN 7318)";
  static constexpr std::string_view kIronCastings = "铸铁件 / Iron castings (CN 7325)";
  static constexpr std::string_view kAluCastings =
      "铝合金压铸件 / Aluminium alloy die castings (CN 7616)";
  std::vector<int32_t> order(enterprises.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int32_t>(k);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return annual_tce[static_cast<size_t>(a)] > annual_tce[static_cast<size_t>(b)];
  });
  std::vector<Maker> makers;
  int32_t foundries = 0, die_casters = 0, structures = 0;
  for (int32_t i : order) {
    const std::string& industry = plan.enterprises[static_cast<size_t>(i)].industry_code;
    if (industry == "C3311" && i == kSteelAnchor) {
      makers.push_back({i, 94, {{kStructures, 0.8}, {kBolts, 0.2}}});
    } else if (industry == "C3311" && structures < 1) {
      ++structures;
      makers.push_back({i, 94, {{kStructures, 1.0}}});
    } else if (industry == "C3391" && foundries < 3) {
      ++foundries;
      makers.push_back({i, 810, {{kIronCastings, 1.0}}});
    } else if (industry == "C3392" && die_casters < 1) {
      ++die_casters;
      makers.push_back({i, 950, {{kAluCastings, 1.0}}});
    }
  }
  std::sort(makers.begin(), makers.end(),
            [](const Maker& a, const Maker& b) { return a.index < b.index; });
  const CivilDate last = CivilFromDays(first_epoch_day + o.days - 1);
  const size_t months = static_cast<size_t>((last.year - o.year) * 12 + last.month);
  std::vector<double> activity_kwh(months);
  for (const Maker& maker : makers) {
    const EnterpriseGen& e = enterprises[static_cast<size_t>(maker.index)];
    double shape_sum = 0;
    for (double s : internal::WorkActivity(e.shift)) shape_sum += s;
    std::fill(activity_kwh.begin(), activity_kwh.end(), 0.0);
    for (int32_t d = 0; d < o.days; ++d) {
      const DayActivity a = Activity(e, d);
      if (!a.work) continue;
      double lines = 0;
      for (int32_t l = 0; l < e.lines; ++l) lines += a.line_factor[static_cast<size_t>(l)];
      const double line_share = e.lines > 0 ? lines / e.lines : 1.0;
      const CivilDate date = CivilFromDays(first_epoch_day + d);
      activity_kwh[static_cast<size_t>((date.year - o.year) * 12 + date.month - 1)] +=
          a.pf * shape_sum * line_share * e.peak_kw * kHoursPerSlot;
    }
    Rng r(StreamSeed(o.seed, 11, static_cast<uint64_t>(maker.index)));
    const model::Enterprise& ent = plan.enterprises[static_cast<size_t>(maker.index)];
    for (size_t k = 0; k < months; ++k) {
      const double tonnes = activity_kwh[k] / maker.activity_kwh_per_t;
      for (const Product& p : maker.products) {
        model::EnterpriseDatum d;
        d.enterprise_code = ent.code;
        d.indicator = "product_output";
        d.item = std::string(p.item);
        d.period = {o.year + static_cast<int32_t>(k / 12), static_cast<int32_t>(k % 12) + 1};
        d.value = std::round(tonnes * p.share * r.Uniform(0.97, 1.03) * 10) / 10;
        d.unit = "t";
        d.source = "demo";
        plan.data.push_back(std::move(d));
      }
    }
  }
}

Status DemoGenerator::Impl::Plan() {
  const DemoOptions& o = options;
  plan.park.name = "沈北智造经济技术开发区 / Shenbei Smart Manufacturing ETDZ";
  plan.park.province = "辽宁 Liaoning";
  plan.park.time_zone = "Asia/Shanghai";
  plan.park.grid_region = "northeast";
  plan.days = o.days;
  first_epoch_day = DaysFromCivil(o.year, 1, 1);
  plan.start_s = tz.DayStart(first_epoch_day);
  day_info.reserve(static_cast<size_t>(o.days));
  for (int32_t d = 0; d < o.days; ++d)
    day_info.push_back(internal::ClassifyDay(first_epoch_day + d));

  // --- zones (grid cells).
  int32_t zone_count = std::clamp(o.enterprises / 20, 8, 12);
  if (o.enterprises < 40) zone_count = std::clamp(o.enterprises / 3, 1, 8);
  const auto labels = internal::ZoneLabels();
  const auto surnames = internal::Surnames();
  const auto given = internal::GivenNames();
  for (int32_t z = 0; z < zone_count; ++z) {
    Rng r(StreamSeed(o.seed, 2, static_cast<uint64_t>(z)));
    model::Zone zone;
    zone.code = fmt::format("Z{:02d}", z + 1);
    zone.name = fmt::format("第{}网格·{} / Grid {} · {}", kChineseNumerals[z], labels[z].zh, z + 1,
                            labels[z].en);
    zone.officer =
        std::string(surnames[static_cast<size_t>(r.Below(static_cast<int32_t>(surnames.size())))]) +
        std::string(given[static_cast<size_t>(r.Below(static_cast<int32_t>(given.size())))]);
    zone.officer_contact = fmt::format("grid{:02d}@shenbei-etdz.example", z + 1);
    plan.zones.push_back(std::move(zone));
  }

  // --- enterprises.
  const auto anchors = internal::Anchors();
  const auto types = internal::RandomArchetypes();
  double total_weight = 0;
  for (const Archetype& a : types) total_weight += a.weight;
  const auto brands = internal::BrandSyllables();
  const int32_t width = o.enterprises > 999 ? 4 : 3;
  std::set<std::string> names, codes;
  std::vector<double> annual_tce;

  for (int32_t i = 0; i < o.enterprises; ++i) {
    Rng r(StreamSeed(o.seed, 1, static_cast<uint64_t>(i)));
    EnterpriseGen e;
    e.index = i;
    std::string_view noun;
    bool main_cumulative = false;
    bool has_pv = false;
    if (static_cast<size_t>(i) < anchors.size()) {
      const internal::Anchor& a = anchors[static_cast<size_t>(i)];
      e.type = a.type;
      e.shift = a.shift;
      e.week = a.week;
      e.peak_kw = a.peak_kw * r.Uniform(0.95, 1.05);
      noun = a.noun;
      main_cumulative = a.main_cumulative;
      has_pv = a.pv;
    } else {
      double pick = r.Uniform() * total_weight;
      e.type = &types.back();
      for (const Archetype& a : types) {
        if (pick < a.weight) {
          e.type = &a;
          break;
        }
        pick -= a.weight;
      }
      e.shift = r.Chance(0.35) ? e.type->alt_shift : e.type->shift;
      e.week = e.type->week;
      // Log-skewed towards small firms.
      e.peak_kw =
          e.type->kw_min * std::pow(e.type->kw_max / e.type->kw_min, std::pow(r.Uniform(), 1.6));
      noun = e.type->noun;
      main_cumulative = r.Chance(e.peak_kw >= 1500 ? 0.8 : 0.3);
      has_pv = r.Chance(0.28);
    }
    const Archetype& t = *e.type;
    if (e.shift == Shift::kThree || e.shift == Shift::kContinuous) {
      e.offset_slots = 0;
    } else {
      e.offset_slots = r.Below(5) - 2;
    }
    e.share = {t.s_process, t.s_air, t.s_hvac, t.s_light, t.s_cold, 0};
    e.share[kOther] = 1.0 - (t.s_process + t.s_air + t.s_hvac + t.s_light + t.s_cold);
    e.process_idle = t.process_idle;
    e.cleanroom = t.cleanroom;
    const double mw = e.peak_kw / 1000.0;
    e.gas_m3h = t.gas_m3h_per_mw * mw * r.Uniform(0.7, 1.3);
    e.steam_th = t.steam_t_per_mw * mw * r.Uniform(0.7, 1.3);
    e.water_m3h = std::max(0.3, t.water_m3h_per_mw * mw * r.Uniform(0.6, 1.4));

    model::Enterprise ent;
    // Name: prefix + two brand syllables + trade + legal form (fictional).
    for (int attempt = 0; attempt < 100; ++attempt) {
      const std::string_view prefix = r.Chance(0.85) ? "沈北" : "辽宁";
      std::string_view b1 =
          brands[static_cast<size_t>(r.Below(static_cast<int32_t>(brands.size())))];
      std::string_view b2 =
          brands[static_cast<size_t>(r.Below(static_cast<int32_t>(brands.size())))];
      if (b1 == b2) continue;
      const double form = r.Uniform();
      const std::string_view suffix =
          form < 0.72 ? "有限公司" : (form < 0.87 ? "股份有限公司" : "科技有限公司");
      std::string name = fmt::format("{}{}{}{}{}", prefix, b1, b2, noun, suffix);
      if (names.insert(name).second) {
        ent.name = std::move(name);
        break;
      }
    }
    if (ent.name.empty()) return InternalError("demo: could not make a unique enterprise name");
    // Unified social credit code: 9 (market regulator) 1 (enterprise), 210113 (沈北新区),
    // a GB 11714 organisation code with its check character, then the GB 32100 check character.
    static constexpr std::string_view kCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    for (int attempt = 0; attempt < 100 && ent.code.empty(); ++attempt) {
      std::string body;
      if (r.Chance(0.6)) {
        body = "MA";
        for (int k = 0; k < 6; ++k) body += kCodeChars[static_cast<size_t>(r.Below(31))];
      } else {
        body += static_cast<char>('1' + r.Below(9));
        for (int k = 0; k < 7; ++k) body += static_cast<char>('0' + r.Below(10));
      }
      const std::string first17 = "91210113" + body + OrgCodeCheck(body);
      ZP_ASSIGN_OR_RETURN(char check, model::CreditCodeCheckChar(first17));
      std::string code = first17 + check;
      if (codes.insert(code).second) ent.code = std::move(code);
    }
    if (ent.code.empty()) return InternalError("demo: could not make a unique credit code");
    ent.industry_code = std::string(t.industry);
    ent.land_area_mu =
        i == 0 ? 580.0
               : std::round(std::clamp(3.0 * std::pow(e.peak_kw, 0.55) * r.Uniform(0.75, 1.3), 20.0,
                                       600.0) *
                            10.0) /
                     10.0;
    // Zone: industries cluster in their park, some are scattered.
    int32_t zone = r.Below(zone_count);
    if (r.Chance(0.7)) {
      for (int32_t z = 0; z < zone_count; ++z) {
        if (labels[static_cast<size_t>(z)].group == t.group) {
          zone = z;
          break;
        }
      }
    }
    ent.zone_code = plan.zones[static_cast<size_t>(zone)].code;

    // Buildings heated by the district network (most), or by their own gas boiler.
    const double floor_m2 = ent.land_area_mu * 666.7 * 0.6 * r.Uniform(0.35, 0.6);
    const bool district_heat = i < static_cast<int32_t>(anchors.size()) ? i != 8 : r.Chance(0.85);
    if (district_heat) {
      e.heat_kw = floor_m2 * 0.045;
    } else {
      e.boiler_m3h = floor_m2 * 0.045 / 9.0;  // ~9 kWh of heat per m3 of gas in a boiler
    }
    e.pv_kwp =
        has_pv ? std::round(std::clamp(ent.land_area_mu * r.Uniform(8, 18), 50.0, 8000.0)) : 0;
    // Load factor by shift, for the key-energy-user ranking.
    const double lf = e.shift == Shift::kContinuous ? 0.85
                      : e.shift == Shift::kThree    ? 0.7
                      : e.shift == Shift::kTwo      ? 0.5
                                                    : 0.3;
    annual_tce.push_back(8760 * lf *
                         (e.peak_kw * 0.1229e-3 + e.gas_m3h * 1.2143e-3 + e.steam_th * 0.1286));

    const std::string ecode = CodeOf(i, width);
    // --- meters. Main electricity meter.
    {
      model::Meter m;
      m.code = ecode + ".EL.MAIN";
      m.name = "总进线电表 / Main incomer";
      m.enterprise_code = ent.code;
      m.carrier = units::Carrier::kElectricity;
      m.unit = "kWh";
      if (main_cumulative) {
        m.kind = model::MeterKind::kCumulative;
        m.register_digits = 8;
        m.multiplier = e.peak_kw > 8000 ? 80 : e.peak_kw > 3000 ? 40 : e.peak_kw > 1000 ? 20 : 1;
      }
      MeterGen g;
      g.enterprise = i;
      g.role = Role::kMain;
      g.key = static_cast<uint64_t>(i + 1) << 8;
      e.main = AddMeter(std::move(m), g);
      if (meters[static_cast<size_t>(e.main)].cumulative) {
        meters[static_cast<size_t>(e.main)].reg = r.Uniform(0.05, 0.6) * 1e8;
      }
    }
    // Sub-meters: 2..8 by size, from a priority list of metered loads.
    struct Candidate {
      Comp comp;
      int32_t line;
      internal::Label label;
      double share;
    };
    std::vector<Candidate> candidates;
    candidates.push_back({kProcess, 0, t.lines[0], 0});
    if (t.s_cold > 0) candidates.push_back({kCold, -1, {"制冷机组", "Refrigeration"}, 1.0});
    if (t.s_hvac > 0) {
      candidates.push_back({kHvac, -1,
                            e.cleanroom ? internal::Label{"洁净空调", "Cleanroom HVAC"}
                                        : internal::Label{"空调通风", "HVAC"},
                            1.0});
    }
    if (t.s_air > 0) candidates.push_back({kAir, -1, {"空压站", "Compressed air"}, 1.0});
    for (int32_t l = 1; l < 4; ++l)
      candidates.push_back({kProcess, l, t.lines[static_cast<size_t>(l)], 0});
    if (t.s_light > 0) candidates.push_back({kLight, -1, {"照明", "Lighting"}, 1.0});
    candidates.push_back({kOther, -1, {"办公楼", "Office building"}, 0.5});
    const double size01 = Clamp01(std::log(e.peak_kw / 50.0) / std::log(400.0));
    const int32_t sub_count =
        std::clamp(2 + static_cast<int32_t>(std::lround(5 * size01)) + r.Below(4), 2,
                   std::min<int32_t>(8, static_cast<int32_t>(candidates.size())));
    candidates.resize(static_cast<size_t>(sub_count));
    for (const Candidate& c : candidates) {
      if (c.comp == kProcess) ++e.lines;
    }
    // Process lines share 85-95% of the process load.
    std::array<double, 4> line_weight{};
    double weight_sum = 0;
    for (int32_t l = 0; l < e.lines; ++l) {
      line_weight[static_cast<size_t>(l)] = r.Uniform(0.5, 1.5);
      weight_sum += line_weight[static_cast<size_t>(l)];
    }
    const double line_cover = r.Uniform(0.85, 0.95);
    for (size_t k = 0; k < candidates.size(); ++k) {
      const Candidate& c = candidates[k];
      model::Meter m;
      m.code = fmt::format("{}.EL.S{:02d}", ecode, k + 1);
      m.name = fmt::format("{} / {}", c.label.zh, c.label.en);
      m.enterprise_code = ent.code;
      m.parent_code =
          plan.meters[static_cast<size_t>(meters[static_cast<size_t>(e.main)].plan_index)].code;
      MeterGen g;
      g.enterprise = i;
      g.role = Role::kSub;
      g.comp = c.comp;
      g.line = c.line;
      g.share = c.comp == kProcess
                    ? line_cover * line_weight[static_cast<size_t>(c.line)] / weight_sum
                    : c.share;
      g.key = (static_cast<uint64_t>(i + 1) << 8) + 1 + k;
      e.metered[static_cast<size_t>(c.comp)] += g.share;
      e.subs.push_back(AddMeter(std::move(m), g));
    }
    const double main_mult = meters[static_cast<size_t>(e.main)].multiplier;
    e.min_other = 0.2 + 0.01 * static_cast<double>(e.subs.size()) + 0.02 * main_mult;
    // Battery storage at the storage anchor (machine tools, one shift, five days: its rooftop PV
    // runs a surplus at lunchtime and on weekends), a 2-hour system sized at ~30% of the PV peak,
    // behind the main incomer: the charge meter is a sub-meter of the main meter, whose readings
    // include the charging (and the standby draw), so the enterprise's electricity counts the
    // charge once, like any other circuit; the discharge meter is a generation meter (like PV).
    if (i == kStorageAnchor && e.pv_kwp > 0) {
      e.bess_kw = std::clamp(std::round(e.pv_kwp * 0.3 / 50.0) * 50.0, 100.0, 2000.0);
      e.bess_kwh = 2 * e.bess_kw;
      e.bess_soc_kwh = 0;  // commissioned empty: the discharge never exceeds the charge
      auto storage_meter = [&](std::string suffix, std::string name, Role role, uint64_t key) {
        model::Meter m;
        m.code = ecode + "." + suffix;
        m.name = std::move(name);
        m.enterprise_code = ent.code;
        if (role == Role::kBessCharge) {
          m.parent_code = ecode + ".EL.MAIN";
        } else {
          m.flow = model::MeterFlow::kGeneration;
        }
        MeterGen g;
        g.enterprise = i;
        g.role = role;
        g.scale = e.bess_kw;
        g.min_value = role == Role::kBessCharge ? 0.01 : 0.0;
        g.key = (static_cast<uint64_t>(i + 1) << 8) + 64 + key;
        return AddMeter(std::move(m), g);
      };
      e.bess_in = storage_meter(
          "BESS.IN",
          fmt::format(
              "储能充电 {0:.0f} kW/{1:.0f} kWh / Battery storage charging {0:.0f} kW/{1:.0f} kWh",
              e.bess_kw, e.bess_kwh),
          Role::kBessCharge, 6);
      e.bess_out = storage_meter("BESS.OUT",
                                 fmt::format("储能放电 {0:.0f} kW/{1:.0f} kWh / Battery storage "
                                             "discharging {0:.0f} kW/{1:.0f} kWh",
                                             e.bess_kw, e.bess_kwh),
                                 Role::kBessDischarge, 7);
    }
    // A few enterprises get a virtual "other loads" meter = main - subs.
    if (sub_count >= 6 && r.Chance(0.15)) {
      model::Meter m;
      m.code = ecode + ".EL.OTHER";
      m.name = "其他负荷（总表减分表）/ Other loads (main minus sub-meters)";
      m.enterprise_code = ent.code;
      m.kind = model::MeterKind::kVirtual;
      m.formula = "+" + ecode + ".EL.MAIN";
      // Spaces around '-': meter codes may contain '-', so the parser needs them between terms.
      std::vector<int32_t> children = e.subs;
      if (e.bess_in >= 0) children.push_back(e.bess_in);
      for (int32_t s : children) {
        m.formula +=
            " - " +
            plan.meters[static_cast<size_t>(meters[static_cast<size_t>(s)].plan_index)].code;
      }
      MeterGen g;
      g.enterprise = i;
      g.role = Role::kVirtual;
      AddMeter(std::move(m), g);
    }
    // Utilities.
    auto utility = [&](std::string suffix, std::string name, units::Carrier carrier,
                       std::string unit, Role role, double scale, bool cumulative, int32_t digits,
                       uint64_t key) {
      model::Meter m;
      m.code = ecode + "." + suffix;
      m.name = std::move(name);
      m.enterprise_code = ent.code;
      m.carrier = carrier;
      m.unit = std::move(unit);
      if (role == Role::kPv) m.flow = model::MeterFlow::kGeneration;
      if (cumulative) {
        m.kind = model::MeterKind::kCumulative;
        m.register_digits = digits;
      }
      MeterGen g;
      g.enterprise = i;
      g.role = role;
      g.scale = scale;
      g.season_only = role == Role::kHeat;
      g.min_value = role == Role::kPv ? 0.0 : 0.01;
      g.key = (static_cast<uint64_t>(i + 1) << 8) + 64 + key;
      const int32_t idx = AddMeter(std::move(m), g);
      if (cumulative)
        meters[static_cast<size_t>(idx)].reg = r.Uniform(0.02, 0.7) * std::pow(10.0, digits);
      e.utilities.push_back(idx);
    };
    if (e.gas_m3h > 0) {
      utility("GAS", "天然气总表 / Natural gas", units::Carrier::kNaturalGas, "m3", Role::kGas,
              e.gas_m3h, i == 0 || r.Chance(0.5), 8, 0);
    }
    if (e.boiler_m3h > 0) {
      utility("GAS.BOILER", "燃气锅炉 / Gas boiler", units::Carrier::kNaturalGas, "m3",
              Role::kBoilerGas, e.boiler_m3h, r.Chance(0.5), 8, 1);
    }
    const bool water_cumulative = i == 0 || i == 2 || (i >= 3 && r.Chance(0.6));
    utility("WATER", "自来水总表 / Water", units::Carrier::kWater, "m3", Role::kWater, e.water_m3h,
            water_cumulative, e.water_m3h > 20 ? 7 : 6, 2);
    if (e.heat_kw > 0) {
      utility("HEAT", "供暖热量表 / District heating", units::Carrier::kHeat, "GJ", Role::kHeat,
              e.heat_kw, false, 0, 3);
      // Fed from the park's heat exchange station: the station's meter is its parent, so the
      // park total counts the heat once (station) and the enterprise its own share.
      plan.meters.back().parent_code = std::string(kParkHeatStation);
    }
    if (e.steam_th > 0) {
      utility("STEAM", "蒸汽流量计 / Steam", units::Carrier::kSteam, "t", Role::kSteam, e.steam_th,
              false, 0, 4);
    }
    if (e.pv_kwp > 0) {
      utility("PV", fmt::format("屋顶光伏 {:.0f} kWp / Rooftop PV {:.0f} kWp", e.pv_kwp, e.pv_kwp),
              units::Carrier::kElectricity, "kWh", Role::kPv, e.pv_kwp, false, 0, 5);
    }
    plan.enterprises.push_back(std::move(ent));
    enterprises.push_back(std::move(e));
  }
  // Key energy users (重点用能单位): the largest ~10%.
  {
    std::vector<int32_t> order(enterprises.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int32_t>(k);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return annual_tce[static_cast<size_t>(a)] > annual_tce[static_cast<size_t>(b)];
    });
    const size_t keys = (order.size() + 9) / 10;
    for (size_t k = 0; k < keys; ++k)
      plan.enterprises[static_cast<size_t>(order[k])].key_energy_user = true;
  }

  // --- enterprise data no meter sends: monthly added value, output, revenue, tax, R&D,
  // employees; process CO2 of the mineral-products and chemical plants; green electricity by
  // direct supply (绿电直连) for a few large users. Deterministic from the seed.
  PlanEnterpriseData(o, annual_tce);

  // --- park-level meters (no enterprise), sized with the park.
  const double park_scale = std::max(0.05, o.enterprises / 200.0);
  auto park_meter = [&](std::string code, std::string name, units::Carrier carrier,
                        std::string unit, Role role, double scale, int32_t digits) {
    model::Meter m;
    m.code = std::move(code);
    m.name = std::move(name);
    m.carrier = carrier;
    m.unit = std::move(unit);
    const bool generation =
        role == Role::kParkPv || role == Role::kParkGroundPv || role == Role::kParkWind;
    if (generation) m.flow = model::MeterFlow::kGeneration;
    if (digits > 0) {
      m.kind = model::MeterKind::kCumulative;
      m.register_digits = digits;
    }
    MeterGen g;
    g.role = role;
    g.scale = scale;
    g.season_only = role == Role::kParkHeat;
    g.min_value = generation ? 0.0 : 0.01;
    g.key = 0x10000 + static_cast<uint64_t>(role);
    const int32_t idx = AddMeter(std::move(m), g);
    if (digits > 0) meters[static_cast<size_t>(idx)].reg = 1234567.89 * park_scale;
  };
  park_meter("PARK.EL.WWTP", "园区污水处理厂 / Park wastewater treatment plant",
             units::Carrier::kElectricity, "kWh", Role::kParkWwtp, 300 * park_scale, 0);
  park_meter("PARK.EL.LIGHTING", "园区道路照明 / Street lighting", units::Carrier::kElectricity,
             "kWh", Role::kParkLighting, 160 * park_scale, 0);
  park_meter("PARK.EL.ADMIN", "管委会办公楼 / Administration building",
             units::Carrier::kElectricity, "kWh", Role::kParkOffice, 350 * park_scale, 8);
  park_meter("PARK.EL.EVCS", "公共充电站 / Public EV charging station",
             units::Carrier::kElectricity, "kWh", Role::kParkEv, 240 * park_scale, 0);
  park_meter("PARK.PV.ADMIN",
             fmt::format("管委会屋顶光伏 / Administration rooftop PV ({:.0f} kWp)",
                         std::max(50.0, std::round(400 * park_scale))),
             units::Carrier::kElectricity, "kWh", Role::kParkPv,
             std::max(50.0, std::round(400 * park_scale)), 0);
  // The zero-carbon park's own green supply: a ground-mounted PV plant on the park's former
  // mining land (50 MWp for 200 enterprises) and a wind farm in the hills to the north (100 MW),
  // both owned by the park's energy company and metered at their grid connection.
  const double ground_kwp = std::max(500.0, std::round(50 * park_scale) * 1000);
  const double wind_kw = std::max(2500.0, std::round(100 * park_scale / 2.5) * 2500);
  park_meter(std::string(kParkGroundPvMeter),
             fmt::format("园区地面光伏电站 {0:.1f} MWp / Park ground-mounted PV plant {0:.1f} MWp",
                         ground_kwp / 1000),
             units::Carrier::kElectricity, "kWh", Role::kParkGroundPv, ground_kwp, 0);
  park_meter(
      std::string(kParkWindMeter),
      fmt::format("园区风电场 {0:.1f} MW（{1:.0f} 台 2.5 MW 风机）/ Park wind farm {0:.1f} MW "
                  "({1:.0f} x 2.5 MW turbines)",
                  wind_kw / 1000, wind_kw / 2500),
      units::Carrier::kElectricity, "kWh", Role::kParkWind, wind_kw, 0);
  park_meter("PARK.WATER.IN", "园区供水总表 / Park water supply", units::Carrier::kWater, "m3",
             Role::kParkWater, 20 * park_scale, 8);
  park_meter(std::string(kParkHeatStation), "园区换热站 / Park heat exchange station",
             units::Carrier::kHeat, "GJ", Role::kParkHeat, 800 * park_scale, 0);

  for (const model::Enterprise& ent : plan.enterprises) {
    ZP_ASSIGN_OR_RETURN(std::string normalized, model::NormalizeIndustryCode(ent.industry_code));
    if (normalized != ent.industry_code) {
      return InternalError("demo: industry code " + ent.industry_code + " is not normalised");
    }
  }
  PlanFaults();
  return Status::OK();
}

void DemoGenerator::Impl::PlanFaults() {
  const int32_t n = static_cast<int32_t>(enterprises.size());
  const int32_t days = options.fault_days > 0 ? options.fault_days : plan.days;
  std::set<int32_t> used_meters, used_enterprises;
  auto find = [&](int32_t start, auto&& pred) -> int32_t {
    for (int pass = 0; pass < 2; ++pass) {
      for (int32_t k = 0; k < n; ++k) {
        const int32_t ei = (start + k) % n;
        if (pass == 0 && used_enterprises.count(ei)) continue;
        for (size_t mi = 0; mi < meters.size(); ++mi) {
          const MeterGen& m = meters[mi];
          if (m.enterprise != ei || used_meters.count(static_cast<int32_t>(mi))) continue;
          if (pred(m)) return static_cast<int32_t>(mi);
        }
      }
    }
    return -1;
  };
  auto claim = [&](int32_t mi) {
    used_meters.insert(mi);
    used_enterprises.insert(meters[static_cast<size_t>(mi)].enterprise);
  };
  auto interval_consumer = [](const MeterGen& m) {
    return !m.cumulative && m.role != Role::kVirtual && m.role != Role::kPv &&
           m.role != Role::kBessCharge && m.role != Role::kBessDischarge && !m.season_only;
  };
  if (n == 0) return;

  // Rollover: a cumulative water (else any non-electric cumulative, else any) register that
  // wraps in the first days.
  int32_t roll = find(std::min(2, n - 1),
                      [](const MeterGen& m) { return m.cumulative && m.role == Role::kWater; });
  if (roll < 0)
    roll = find(0, [](const MeterGen& m) { return m.cumulative && m.role != Role::kMain; });
  if (roll >= 0) {
    MeterGen& m = meters[static_cast<size_t>(roll)];
    model::Meter& pm = plan.meters[static_cast<size_t>(m.plan_index)];
    pm.register_digits = 6;
    m.wrap = 1e6;
    m.lazy_start = true;
    plan.rollover_meter = pm.code;
    used_meters.insert(roll);
  }

  struct Pick {
    FaultKind kind;
    int32_t start;
    int64_t from, to;  // global slots
  };
  const int32_t g = days * 3 / 10, z = days / 2, rd = days * 6 / 10, s = days * 8 / 10;
  const Pick picks[] = {
      {FaultKind::kGap, 1, static_cast<int64_t>(g) * kSlotsPerDay,
       static_cast<int64_t>(std::min(g + 3, days)) * kSlotsPerDay},
      {FaultKind::kZeroRun, 5, static_cast<int64_t>(z) * kSlotsPerDay + 32,
       static_cast<int64_t>(z) * kSlotsPerDay + 80},
      {FaultKind::kRegisterReset, 0, static_cast<int64_t>(rd) * kSlotsPerDay + 40,
       static_cast<int64_t>(rd) * kSlotsPerDay + 41},
      {FaultKind::kStuck, 6, static_cast<int64_t>(s) * kSlotsPerDay,
       static_cast<int64_t>(s + 1) * kSlotsPerDay},
  };
  for (const Pick& p : picks) {
    const int32_t start = std::min(p.start, n - 1);
    int32_t mi = -1;
    switch (p.kind) {
      case FaultKind::kGap:
        mi = find(start, [](const MeterGen& m) { return m.role == Role::kMain && !m.cumulative; });
        break;
      case FaultKind::kZeroRun:
        mi = find(start,
                  [](const MeterGen& m) { return m.role == Role::kSub && m.comp == kProcess; });
        break;
      case FaultKind::kRegisterReset:
        mi = find(start, [](const MeterGen& m) {
          return m.cumulative && (m.role == Role::kGas || m.role == Role::kBoilerGas);
        });
        if (mi < 0) mi = find(start, [](const MeterGen& m) { return m.cumulative; });
        break;
      case FaultKind::kStuck:
        mi = find(start, [&](const MeterGen& m) {
          return interval_consumer(m) &&
                 (m.role == Role::kWater || m.role == Role::kSteam || m.role == Role::kGas);
        });
        break;
    }
    if (mi < 0 && p.kind != FaultKind::kRegisterReset) mi = find(start, interval_consumer);
    if (mi < 0) continue;
    claim(mi);
    MeterGen& m = meters[static_cast<size_t>(mi)];
    m.has_fault = true;
    m.fault = p.kind;
    m.fault_from = p.from;
    m.fault_to = p.to;
    // Keep the reset register below half its range so that the drop cannot pass for a rollover.
    if (p.kind == FaultKind::kRegisterReset && m.wrap > 0) m.reg = 0.1 * m.wrap;
    auto slot_time = [&](int64_t slot) {
      return tz.DayStart(first_epoch_day + static_cast<int32_t>(slot / kSlotsPerDay)) +
             (slot % kSlotsPerDay) * kSlotSeconds;
    };
    plan.faults.push_back(DemoFault{p.kind, plan.meters[static_cast<size_t>(m.plan_index)].code,
                                    slot_time(p.from), slot_time(p.to)});
  }
}

// Writes the day's values (meters' `values` scratch) as readings, applying the meter kind and
// its fault; with out == nullptr only advances the meter's state (register, last value).
void DemoGenerator::Impl::Emit(MeterGen& m, int32_t day, int64_t ts0,
                               std::vector<engine::ReadingIn>* out) {
  const int64_t g0 = static_cast<int64_t>(day) * kSlotsPerDay;
  const bool faulty = m.has_fault && m.fault_to > g0 && m.fault_from < g0 + kSlotsPerDay;
  if (!m.cumulative) {
    for (int32_t t = 0; t < kSlotsPerDay; ++t) {
      double v = Round2(std::max(values[static_cast<size_t>(t)], m.min_value));
      if (faulty && g0 + t >= m.fault_from && g0 + t < m.fault_to) {
        if (m.fault == FaultKind::kGap) continue;
        v = m.fault == FaultKind::kZeroRun ? 0.0 : m.last_value;
      } else {
        m.last_value = v;
      }
      if (out != nullptr) out->push_back(engine::ReadingIn{m.id, ts0 + t * kSlotSeconds, v});
    }
  } else {
    if (m.lazy_start) {
      double day_use = 0;
      for (double v : values) day_use += v;
      m.reg = std::max(0.0, m.wrap - 2.5 * day_use / m.multiplier);
      m.lazy_start = false;
    }
    const double inv = 1.0 / m.multiplier;
    for (int32_t t = 0; t < kSlotsPerDay; ++t) {
      const bool in_fault = faulty && g0 + t >= m.fault_from && g0 + t < m.fault_to;
      if (in_fault && m.fault == FaultKind::kRegisterReset) m.reg = 0.37;
      double v = static_cast<double>(static_cast<int64_t>(m.reg * 100.0)) / 100.0;
      m.reg += values[static_cast<size_t>(t)] * inv;
      if (m.wrap > 0 && m.reg >= m.wrap) m.reg -= m.wrap;
      if (in_fault) {
        if (m.fault == FaultKind::kGap) continue;
        if (m.fault == FaultKind::kStuck) v = m.last_value;
        if (m.fault == FaultKind::kZeroRun) v = 0.0;
      }
      if (!in_fault || m.fault == FaultKind::kRegisterReset) m.last_value = v;
      if (out != nullptr) out->push_back(engine::ReadingIn{m.id, ts0 + t * kSlotSeconds, v});
    }
  }
}

DayActivity DemoGenerator::Impl::Activity(const EnterpriseGen& e, int32_t day) const {
  const DayInfo& info = day_info[static_cast<size_t>(day)];
  const CivilDate date = CivilFromDays(first_epoch_day + day);
  Rng dr(StreamSeed(options.seed, 4, static_cast<uint64_t>(e.index), static_cast<uint64_t>(day)));

  // Is it a working day for this enterprise, and how hard does it work?
  bool work = true;
  double factor = 1.0;
  const bool round_the_clock = e.week == Week::kSevenDay;
  switch (info.type) {
    case DayType::kWorkday:
      break;
    case DayType::kSaturday:
      if (e.week == Week::kSixDay) {
        factor = 0.85;
      } else if (e.week == Week::kFiveDay) {
        work = dr.Chance(0.12);  // occasional Saturday overtime
        factor = 0.7;
      }
      break;
    case DayType::kSunday:
      work = round_the_clock;
      break;
    case DayType::kHoliday:
      work = round_the_clock;
      factor = info.spring_festival ? 0.6 : 0.9;
      break;
  }
  if (info.spring_festival_ramp && !round_the_clock) factor *= 0.7;
  const double growth = 1.0 + 0.03 * day / 365.0;
  DayActivity a;
  a.work = work;
  a.pf =
      internal::MonthFactor(e.type->group, date.month) * (1.0 + 0.04 * dr.Tri()) * factor * growth;
  for (double& f : a.line_factor) f = work && dr.Chance(0.015) ? 0.05 : 1.0;  // line down
  return a;
}

void DemoGenerator::Impl::GenerateEnterprise(EnterpriseGen& e, int32_t day, int64_t ts0,
                                             std::vector<engine::ReadingIn>* out) {
  const DayWeather& w = weather[static_cast<size_t>(day)];
  const CivilDate date = CivilFromDays(first_epoch_day + day);
  const DayActivity activity = Activity(e, day);
  const bool work = activity.work;
  const std::array<double, 4>& line_factor = activity.line_factor;
  const auto& shape = internal::WorkActivity(e.shift);
  for (int32_t t = 0; t < kSlotsPerDay; ++t) {
    const double s = shape[static_cast<size_t>((t - e.offset_slots + kSlotsPerDay) % kSlotsPerDay)];
    act[static_cast<size_t>(t)] = work ? s * activity.pf : 0.0;
    occ[static_cast<size_t>(t)] = work ? std::max(s, 0.05) : 0.05;
  }

  // Electricity components, kWh per 15 minutes.
  const double p = e.peak_kw * kHoursPerSlot;
  const double heating = internal::InHeatingSeason(date.month) ? 1.0 : 0.0;
  for (int32_t t = 0; t < kSlotsPerDay; ++t) {
    const size_t i = static_cast<size_t>(t);
    const double temp = w.temp_c[i];
    const double a = act[i];
    const double o = occ[i];
    comp[kProcess][i] = p * e.share[kProcess] * (e.process_idle + (1 - e.process_idle) * a);
    comp[kAir][i] = p * e.share[kAir] * (0.3 + 0.7 * a);
    const double season =
        Clamp01(0.25 + std::max(0.0, temp - 20.0) / 8.0 + std::max(0.0, -2.0 - temp) / 25.0);
    comp[kHvac][i] =
        p * e.share[kHvac] * (e.cleanroom ? 0.65 + 0.35 * season : 0.08 + 0.92 * o * season);
    comp[kLight][i] = p * e.share[kLight] * (0.1 + 0.9 * o * (0.6 + 0.4 * w.dark[i]));
    comp[kCold][i] =
        p * e.share[kCold] * (0.6 + 0.4 * Clamp01((temp + 10.0) / 40.0)) * (0.9 + 0.15 * a);
    comp[kOther][i] = p * e.share[kOther] * (0.35 + 0.65 * o);
    main_exact[i] = 0;
  }

  // Sub-meters: their values add up into the main meter.
  for (int32_t si : e.subs) {
    MeterGen& m = meters[static_cast<size_t>(si)];
    Rng r(StreamSeed(options.seed, 3, m.key, static_cast<uint64_t>(day)));
    const double f =
        m.share * (m.comp == kProcess ? line_factor[static_cast<size_t>(m.line)] : 1.0);
    const auto& c = comp[static_cast<size_t>(m.comp)];
    for (size_t i = 0; i < kSlotsPerDay; ++i) {
      values[i] = c[i] * f * m.noise.Next(r);
      main_exact[i] += values[i];
    }
    Emit(m, day, ts0, out);
  }
  {
    MeterGen& m = meters[static_cast<size_t>(e.main)];
    Rng r(StreamSeed(options.seed, 3, m.key, static_cast<uint64_t>(day)));
    for (size_t i = 0; i < kSlotsPerDay; ++i) {
      double unmetered = 0;
      for (int c = 0; c < kCompCount; ++c) {
        unmetered += comp[static_cast<size_t>(c)][i] *
                     std::max(0.0, 1.0 - e.metered[static_cast<size_t>(c)]);
      }
      values[i] = main_exact[i] + std::max(unmetered * m.noise.Next(r), e.min_other);
    }
    if (e.bess_in >= 0) {
      site_load = values;  // emitted with the battery's charge once the PV is known
    } else {
      Emit(m, day, ts0, out);
    }
  }

  // Gas, boiler gas, water, heat, steam, PV.
  for (int32_t ui : e.utilities) {
    MeterGen& m = meters[static_cast<size_t>(ui)];
    if (m.season_only && heating == 0.0) continue;
    Rng r(StreamSeed(options.seed, 3, m.key, static_cast<uint64_t>(day)));
    const double q = m.scale * kHoursPerSlot;  // per-slot amount at full scale
    for (size_t i = 0; i < kSlotsPerDay; ++i) {
      const double temp = w.temp_c[i];
      const double a = act[i];
      const double heat_need = heating * std::clamp((16.0 - temp) / 33.0, 0.05, 1.3);
      double v = 0;
      switch (m.role) {
        case Role::kGas:
          v = q * (0.08 + 0.92 * a);
          break;
        case Role::kBoilerGas:
          v = q * (0.05 + heat_need * (occ[i] > 0.2 ? 1.0 : 0.7));
          break;
        case Role::kWater:
          v = q * (0.12 + 0.88 * a) * (1.0 + 0.25 * Clamp01((temp - 15.0) / 15.0));
          break;
        case Role::kHeat:  // kW -> GJ
          v = q * 0.0036 * heat_need * (work && occ[i] > 0.2 ? 1.0 : 0.75);
          break;
        case Role::kSteam:
          v = q * (0.25 + 0.75 * a) * (1.0 + 0.1 * heating);
          break;
        case Role::kPv:
          v = q * w.pv_kw_per_kwp[i] * 0.96;
          break;
        default:
          break;
      }
      values[i] = v * m.noise.Next(r);
      if (m.role == Role::kWater) park_water[i] += values[i];
      if (m.role == Role::kHeat) park_heat[i] += values[i];
    }
    if (m.role == Role::kPv && e.bess_in >= 0) site_pv = values;
    Emit(m, day, ts0, out);
  }
  if (e.bess_in >= 0) GenerateStorage(e, day, ts0, out);
}

// One day of the battery, dispatched with the day's PV and load known (a day-ahead forecast),
// then the day of the site's main incomer (loads + charging), the charge and discharge meters:
// charge from the PV surplus (PV above the site's load) 09:00-16:00; discharge into the site's
// own load 17:00-22:00 (anti-backflow: never above 95% of the load, no export) down to a 5%
// reserve; on dull days whose surplus would not even fill a third of the battery, top up to a
// third from the grid in the 00:00-06:00 valley. Charge and discharge efficiency 95.5% each
// (91% round trip at the battery); the charge meter also sees the standby draw (0.2% of the power
// rating: BMS, thermal management, PCS idle), so the metered round trip is ~88%.
void DemoGenerator::Impl::GenerateStorage(EnterpriseGen& e, int32_t day, int64_t ts0,
                                          std::vector<engine::ReadingIn>* out) {
  constexpr double kEff = 0.955;
  constexpr int32_t kNightEnd = 24, kChargeFrom = 36, kChargeTo = 64, kDischargeFrom = 68,
                    kDischargeTo = 88;
  const double slot_kwh = e.bess_kw * kHoursPerSlot;
  const double cap = e.bess_kwh;
  const double reserve = 0.05 * cap;
  std::array<double, kSlotsPerDay> charge{}, discharge{};
  double soc = e.bess_soc_kwh;
  // Expected PV charge and evening need.
  double pv_charge = 0;
  for (int32_t t = kChargeFrom; t < kChargeTo; ++t) {
    const size_t i = static_cast<size_t>(t);
    pv_charge += std::min(slot_kwh, std::max(0.0, site_pv[i] - site_load[i]));
  }
  double evening_need = 0;
  for (int32_t t = kDischargeFrom; t < kDischargeTo; ++t) {
    evening_need += std::min(slot_kwh, 0.95 * site_load[static_cast<size_t>(t)]);
  }
  const double target = std::min(cap, reserve + evening_need / kEff);
  const double from_grid =
      std::max(0.0, std::min(target, 0.3 * cap) - soc - pv_charge * kEff) / kEff;
  for (int32_t t = 0; t < kNightEnd && from_grid > 0; ++t) {
    const size_t i = static_cast<size_t>(t);
    charge[i] = std::min(0.5 * slot_kwh, from_grid / kNightEnd);
    soc += charge[i] * kEff;
  }
  for (int32_t t = kChargeFrom; t < kChargeTo; ++t) {
    const size_t i = static_cast<size_t>(t);
    const double room = std::max(0.0, cap - soc) / kEff;
    charge[i] = std::min({slot_kwh, std::max(0.0, site_pv[i] - site_load[i]), room});
    soc += charge[i] * kEff;
  }
  for (int32_t t = kDischargeFrom; t < kDischargeTo; ++t) {
    const size_t i = static_cast<size_t>(t);
    const double left = std::max(0.0, soc - reserve) * kEff;
    discharge[i] = std::min({slot_kwh, 0.95 * site_load[i], left});
    soc -= discharge[i] / kEff;
  }
  e.bess_soc_kwh = soc;

  {
    MeterGen& m = meters[static_cast<size_t>(e.bess_in)];
    Rng r(StreamSeed(options.seed, 3, m.key, static_cast<uint64_t>(day)));
    const double standby = 0.002 * e.bess_kw * kHoursPerSlot;
    for (size_t i = 0; i < kSlotsPerDay; ++i) charge[i] += standby * m.noise.Next(r);
    // The main incomer sees the site's loads and the battery's charging.
    MeterGen& main = meters[static_cast<size_t>(e.main)];
    for (size_t i = 0; i < kSlotsPerDay; ++i) values[i] = site_load[i] + charge[i];
    Emit(main, day, ts0, out);
    values = charge;
    Emit(m, day, ts0, out);
  }
  {
    MeterGen& m = meters[static_cast<size_t>(e.bess_out)];
    // Round down to the meter's 0.01 kWh so that the readings never exceed what was stored.
    for (size_t i = 0; i < kSlotsPerDay; ++i) values[i] = std::floor(discharge[i] * 100.0) / 100.0;
    Emit(m, day, ts0, out);
  }
}

void DemoGenerator::Impl::GeneratePark(int32_t day, int64_t ts0,
                                       std::vector<engine::ReadingIn>* out) {
  const DayWeather& w = weather[static_cast<size_t>(day)];
  const DayInfo& info = day_info[static_cast<size_t>(day)];
  const CivilDate date = CivilFromDays(first_epoch_day + day);
  const bool heating = internal::InHeatingSeason(date.month);
  const bool office_day = info.type == DayType::kWorkday;
  const auto& office = internal::WorkActivity(Shift::kOffice);
  for (MeterGen& m : meters) {
    if (m.enterprise >= 0 || m.role == Role::kVirtual) continue;
    if (m.season_only && !heating) continue;
    Rng r(StreamSeed(options.seed, 3, m.key, static_cast<uint64_t>(day)));
    const double q = m.scale * kHoursPerSlot;
    for (size_t i = 0; i < kSlotsPerDay; ++i) {
      const double h = (static_cast<double>(i) + 0.5) * kHoursPerSlot;
      double v = 0;
      switch (m.role) {
        case Role::kParkWwtp:  // base load + ~0.4 kWh per m3 treated
          v = q + 0.4 * park_water[i];
          break;
        case Role::kParkLighting:  // on in the dark, dimmed to 50% from midnight to 05:00
          v = q * (w.dark[i] >= 0.5 ? (h < 5.0 ? 0.5 : 1.0) : 0.005);
          break;
        case Role::kParkOffice:
          v = q * (0.15 + 0.85 * (office_day ? office[i] : 0.0));
          break;
        case Role::kParkEv: {  // evening peak, midday top-ups
          const double evening = std::exp(-0.5 * std::pow((h - 20.0) / 2.0, 2));
          const double midday = 0.5 * std::exp(-0.5 * std::pow((h - 12.5) / 1.2, 2));
          v = q * (0.03 + 0.9 * std::min(1.0, evening + midday));
          break;
        }
        case Role::kParkPv:
          v = q * w.pv_kw_per_kwp[i] * 0.96;
          break;
        case Role::kParkGroundPv:  // fixed optimal tilt: ~8% above a low-tilt rooftop
          v = q * w.pv_kw_per_kwp[i] * 0.97 * 1.08;
          break;
        case Role::kParkWind: {
          // Hub-height wind speed: the month's mean, a weak night maximum, a synoptic anomaly
          // (log-normal, AR(1) with ~30 h memory, carried across days) and 15-minute turbulence.
          const uint64_t x = r.Next();
          const double z1 = (static_cast<double>(x >> 32) * 0x1.0p-32 - 0.5) * 3.4641016;
          const double z2 = (static_cast<double>(x & 0xFFFFFFFFULL) * 0x1.0p-32 - 0.5) * 3.4641016;
          m.state = kWindPhi * m.state + kWindInnovation * z1;
          const double speed = kWindMonthMean[static_cast<size_t>(date.month - 1)] *
                               (1.0 + 0.07 * std::cos(2 * std::numbers::pi * (h - 2.0) / 24.0)) *
                               std::exp(m.state - 0.5 * kWindLogSd * kWindLogSd) *
                               (1.0 + 0.08 * z2);
          v = q * WindFarmPower(speed) * 0.93;  // availability, wake and electrical losses
          break;
        }
        case Role::kParkWater:  // enterprises + public use + 6% network losses
          v = (park_water[i] + q) * 1.06;
          break;
        case Role::kParkHeat:  // enterprises + public buildings + 10% network losses
          v = (park_heat[i] + q * 0.0036 * std::clamp((16.0 - w.temp_c[i]) / 33.0, 0.05, 1.3)) *
              1.1;
          break;
        default:
          break;
      }
      values[i] = v * m.noise.Next(r);
      if (m.role == Role::kParkWind) values[i] = std::min(values[i], q);  // nameplate
    }
    Emit(m, day, ts0, out);
  }
}

DemoGenerator::DemoGenerator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DemoGenerator::~DemoGenerator() = default;

Result<std::unique_ptr<DemoGenerator>> DemoGenerator::Create(const DemoOptions& options) {
  if (options.enterprises < 1 || options.enterprises > 5000) {
    return InvalidArgumentError(
        fmt::format("demo: enterprises must be 1..5000, got {} / 企业数须在 1 到 5000 之间",
                    options.enterprises));
  }
  if (options.days < 1 || options.days > 3660) {
    return InvalidArgumentError(
        fmt::format("demo: days must be 1..3660, got {} / 天数须在 1 到 3660 之间", options.days));
  }
  if (options.fault_days < 0 || options.fault_days > options.days) {
    return InvalidArgumentError(
        fmt::format("demo: fault_days must be 0..days ({}), got {} / 故障天数须在 0 到总天数之间",
                    options.days, options.fault_days));
  }
  // From 1992 on, China keeps UTC+8 all year (no daylight saving): every day has 96 slots.
  if (options.year < 1992 || options.year > 2200) {
    return InvalidArgumentError(fmt::format(
        "demo: year must be 1992..2200, got {} / 年份须在 1992 到 2200 之间", options.year));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->options.progress = nullptr;
  // China has kept UTC+8 without daylight saving since 1991; the fixed offset is the fallback
  // when no tz database is installed.
  Result<TimeZone> tz = TimeZone::Load("Asia/Shanghai");
  impl->tz = tz.ok() ? *tz : TimeZone::Fixed(8 * 3600);
  ZP_RETURN_IF_ERROR(impl->Plan());
  impl->weather = internal::MakeWeather(options.seed, impl->first_epoch_day, options.days);
  return std::unique_ptr<DemoGenerator>(new DemoGenerator(std::move(impl)));
}

const DemoPlan& DemoGenerator::plan() const { return impl_->plan; }

Status DemoGenerator::SetMeterIds(std::vector<int64_t> ids) {
  if (ids.size() != impl_->plan.meters.size()) {
    return InvalidArgumentError(
        fmt::format("demo: {} meter ids for {} meters", ids.size(), impl_->plan.meters.size()));
  }
  for (MeterGen& m : impl_->meters) m.id = ids[static_cast<size_t>(m.plan_index)];
  return Status::OK();
}

int32_t DemoGenerator::next_day() const { return impl_->next_day; }
bool DemoGenerator::done() const { return impl_->next_day >= impl_->plan.days; }
int64_t DemoGenerator::MaxReadingsPerDay() const { return impl_->physical_meters * kSlotsPerDay; }

void DemoGenerator::Impl::GenerateDay(std::vector<engine::ReadingIn>* out) {
  const int32_t day = next_day;
  const int64_t ts0 = tz.DayStart(first_epoch_day + day);
  ZP_CHECK(tz.DayLength(first_epoch_day + day) == kSlotsPerDay * kSlotSeconds);
  park_water.fill(0);
  park_heat.fill(0);
  for (EnterpriseGen& e : enterprises) GenerateEnterprise(e, day, ts0, out);
  GeneratePark(day, ts0, out);
  ++next_day;
}

void DemoGenerator::GenerateNextDay(std::vector<engine::ReadingIn>* out) {
  ZP_CHECK(!done());
  const size_t need = out->size() + static_cast<size_t>(MaxReadingsPerDay());
  if (out->capacity() < need) out->reserve(std::max(need, out->capacity() * 2));
  impl_->GenerateDay(out);
}

void DemoGenerator::SkipNextDay() {
  ZP_CHECK(!done());
  impl_->GenerateDay(nullptr);
}

Result<DemoPlan> PlanDemoPark(const DemoOptions& options) {
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<DemoGenerator> gen, DemoGenerator::Create(options));
  return gen->plan();
}

namespace {

Result<std::string> SummaryJson(const DemoPlan& plan, const DemoOptions& options,
                                const DemoSummary& s, const TimeZone& tz) {
  try {
    nlohmann::json j;
    j["generator"] = "zeropark demo 1";
    j["park"] = plan.park.name;
    j["seed"] = options.seed;
    j["year"] = options.year;
    j["days"] = options.days;
    j["fault_days"] = options.fault_days > 0 ? options.fault_days : options.days;
    j["from"] = FormatTimestamp(plan.start_s, tz);
    j["zones"] = s.zones;
    j["enterprises"] = s.enterprises;
    j["meters"] = s.meters;
    j["readings"] = s.readings;
    j["seconds"] = std::round(s.seconds * 1000.0) / 1000.0;
    j["rollover_meter"] = plan.rollover_meter;
    nlohmann::json faults = nlohmann::json::array();
    for (const DemoFault& f : plan.faults) {
      faults.push_back({{"kind", FaultKindName(f.kind)},
                        {"meter", f.meter_code},
                        {"from", FormatTimestamp(f.from_s, tz)},
                        {"to", FormatTimestamp(f.to_s, tz)}});
    }
    j["faults"] = std::move(faults);
    return j.dump();
  } catch (const std::exception& e) {
    return InternalError(std::string("demo: summary JSON: ") + e.what());
  }
}

}  // namespace

Result<DemoSummary> BuildDemoPark(engine::Engine& engine, const DemoOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> existing, engine.GetSetting(kDemoCreatedSetting));
  if (existing.has_value()) {
    return AlreadyExistsError(
        "demo park already built (setting demo/created is present) / 演示园区已创建");
  }
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<DemoGenerator> gen, DemoGenerator::Create(options));
  const DemoPlan& plan = gen->plan();
  ZP_RETURN_IF_ERROR(engine.PutPark(plan.park).WithContext("demo: park"));
  ZP_RETURN_IF_ERROR(engine.ImportRegistry(plan.zones, plan.enterprises, plan.meters)
                         .WithContext("demo: registry"));
  {
    const std::shared_ptr<const engine::MeterIndex> index = engine.meter_index();
    std::vector<int64_t> ids(plan.meters.size(), 0);
    for (size_t i = 0; i < plan.meters.size(); ++i) {
      if (plan.meters[i].kind == model::MeterKind::kVirtual) continue;
      const engine::MeterRef* ref = index->Find(plan.meters[i].code);
      if (ref == nullptr) {
        return InternalError("demo: meter " + plan.meters[i].code + " missing after import");
      }
      ids[i] = ref->id;
    }
    ZP_RETURN_IF_ERROR(gen->SetMeterIds(std::move(ids)));
  }
  if (!plan.data.empty()) {
    ZP_RETURN_IF_ERROR(
        engine.PutEnterpriseData(plan.data).status().WithContext("demo: enterprise data"));
  }
  if (options.progress) options.progress("registry", 1, 1);

  const int64_t per_day = gen->MaxReadingsPerDay();
  const int32_t days_per_block = static_cast<int32_t>(std::max<int64_t>(
      1, static_cast<int64_t>(kTargetBatchReadings) / std::max<int64_t>(1, per_day)));
  std::vector<engine::ReadingIn> batch;
  batch.reserve(static_cast<size_t>(per_day * days_per_block));
  int64_t readings = 0;
  while (!gen->done()) {
    const int32_t first = gen->next_day();
    batch.clear();
    for (int32_t k = 0; k < days_per_block && !gen->done(); ++k) gen->GenerateNextDay(&batch);
    const int32_t last = gen->next_day();
    ZP_RETURN_IF_ERROR(engine.WriteUnlogged(batch, "demo")
                           .WithContext(fmt::format("demo: writing days {}..{}", first, last - 1)));
    ZP_RETURN_IF_ERROR(
        engine.Flush().WithContext(fmt::format("demo: flushing days {}..{}", first, last - 1)));
    readings += static_cast<int64_t>(batch.size());
    if (options.progress) {
      for (int32_t d = first; d < last; ++d) options.progress("readings", d + 1, plan.days);
    }
  }

  DemoSummary summary;
  summary.zones = static_cast<int32_t>(plan.zones.size());
  summary.enterprises = static_cast<int32_t>(plan.enterprises.size());
  summary.meters = static_cast<int32_t>(plan.meters.size());
  summary.readings = readings;
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ZP_ASSIGN_OR_RETURN(std::string json, SummaryJson(plan, options, summary, engine.zone()));
  ZP_RETURN_IF_ERROR(engine.PutSetting(kDemoCreatedSetting, json).WithContext("demo: marker"));
  return summary;
}

}  // namespace zp::demo
