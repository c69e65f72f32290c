// The demo park's green power (issue 6): its supply registry, the hourly green source and the
// settlement of its last complete months. See demo_green.h.

#include "zp/demo/demo_green.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "marker.h"
#include "zp/base/time.h"
#include "zp/carbon/carbon.h"
#include "zp/demo/demo.h"
#include "zp/green/service.h"

namespace zp::demo {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The capacity a demo meter's name states: the first "<number> kWp|MWp|MW|kW" (the generator
// names its PV, wind and storage meters so: "屋顶光伏 1337 kWp / Rooftop PV 1337 kWp").
std::optional<double> CapacityKwFromName(std::string_view name) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {" kWp", 1.0}, {" MWp", 1000.0}, {" MW", 1000.0}, {" kW", 1.0}};
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' ||
        (i > 0 && (name[i - 1] == '.' || (name[i - 1] >= '0' && name[i - 1] <= '9')))) {
      continue;
    }
    size_t j = i;
    while (j < name.size() && ((name[j] >= '0' && name[j] <= '9') || name[j] == '.')) ++j;
    for (const auto& [unit, factor] : kUnits) {
      if (name.substr(j).starts_with(unit)) {
        try {
          return std::stod(std::string(name.substr(i, j - i))) * factor;
        } catch (const std::exception&) {
          return std::nullopt;
        }
      }
    }
  }
  return std::nullopt;
}

// Local hour weights of the green trading contract's delivery (wind from outside the park:
// stronger at night).
constexpr std::array<double, 24> kTradingProfile = {1.25, 1.3,  1.3,  1.3, 1.25, 1.2, 1.1,  1.0,
                                                    0.9,  0.8,  0.75, 0.7, 0.7,  0.7, 0.75, 0.8,
                                                    0.85, 0.95, 1.05, 1.1, 1.15, 1.2, 1.2,  1.25};
constexpr double kTradingShare = 0.25;   // of the trading buyers' consumption
constexpr double kUnbundledShare = 0.3;  // unbundled GECs, of their holders' consumption
constexpr double kShortfall = 0.9;       // bundled GECs in the shortfall month (of the matched)
constexpr int32_t kDirectBuyers = 4;
constexpr int32_t kTradingBuyers = 10;
constexpr int32_t kUnbundledBuyers = 2;

struct Park {
  DemoPlan plan;
  TimeZone tz;
  int32_t year = 0;
  int64_t end_s = 0;        // end of the readings
  int32_t first_month = 0;  // month indexes
  int32_t last_month = 0;   // of the last reading
};

Result<Park> ReadPark(engine::Engine& engine) {
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> marker, engine.GetSetting(kDemoCreatedSetting));
  if (!marker.has_value()) {
    return FailedPreconditionError(
        "no demo park in this database (setting demo/created is absent); build one first / "
        "数据库中没有演示园区，请先创建");
  }
  ZP_ASSIGN_OR_RETURN(DemoOptions options,
                      internal::OptionsFromMarker(*marker, "demo green supply"));
  Park park;
  ZP_ASSIGN_OR_RETURN(park.plan, PlanDemoPark(options));
  park.tz = engine.zone();
  park.year = options.year;
  park.end_s = park.tz.DayStart(park.tz.LocalDay(park.plan.start_s) + options.days);
  park.first_month = park.tz.LocalMonth(park.plan.start_s);
  park.last_month = park.tz.LocalMonth(park.end_s - 1);
  return park;
}

}  // namespace

Result<green::Supply> MakeDemoSupply(engine::Engine& engine) {
  ZP_ASSIGN_OR_RETURN(Park park, ReadPark(engine));
  const DemoPlan& plan = park.plan;
  const int32_t data_months = park.last_month - park.first_month + 1;
  // Months the trading contract has volumes for: to the December of the readings' last year.
  const int32_t volume_months =
      MonthIndex(MonthIndexYear(park.last_month), 12) - park.first_month + 1;

  // Electricity by enterprise and month (consumption; storage charge is inside the main meter).
  engine::SumQuery q;
  q.group_by = engine::GroupBy::kEnterprise;
  q.period = engine::Period::kMonth;
  q.from_s = park.plan.start_s;
  q.to_s = park.end_s;
  q.carrier = units::Carrier::kElectricity;
  ZP_ASSIGN_OR_RETURN(std::vector<engine::SumRow> rows, engine.Sums(q));
  std::map<std::string, std::vector<double>> kwh;  // enterprise -> per data month
  std::map<std::string, double> total;
  for (const model::Enterprise& e : plan.enterprises) kwh[e.code].assign(data_months, 0.0);
  for (const engine::SumRow& r : rows) {
    const int32_t k = park.tz.LocalMonth(r.period_start_s) - park.first_month;
    auto it = kwh.find(r.group);
    if (it == kwh.end() || k < 0 || k >= data_months) continue;
    it->second[static_cast<size_t>(k)] += r.value;
    total[r.group] += r.value;
  }
  auto by_consumption = [&](std::vector<std::string> codes) {
    std::stable_sort(codes.begin(), codes.end(), [&](const std::string& a, const std::string& b) {
      return total[a] > total[b];
    });
    return codes;
  };

  // Enterprise labels (E001) from their main meters, site meters by label.
  std::map<std::string, std::string> label;  // enterprise code -> "E001"
  std::map<std::string, const model::Meter*> meter;
  for (const model::Meter& m : plan.meters) {
    meter[m.code] = &m;
    if (m.code.ends_with(".EL.MAIN") && !m.enterprise_code.empty()) {
      label[m.enterprise_code] = m.code.substr(0, m.code.size() - 8);
    }
  }
  std::vector<std::string> all;
  for (const model::Enterprise& e : plan.enterprises) all.push_back(e.code);
  std::sort(all.begin(), all.end());
  const std::optional<int32_t> valid_from = DaysFromCivil(park.year, 1, 1);

  green::Supply s;
  s.contracts.reserve(plan.enterprises.size() + 8);  // contract() hands out references
  auto asset = [&](std::string code, const model::Meter& m, green::Technology tech) {
    green::GenerationAsset a;
    a.code = std::move(code);
    a.name = m.name;
    a.technology = tech;
    a.site_enterprise = m.enterprise_code;
    a.meter_code = m.code;
    a.capacity_kw = CapacityKwFromName(m.name);
    s.assets.push_back(std::move(a));
    return s.assets.back().code;
  };
  auto contract = [&](std::string code, green::ContractKind kind, std::vector<std::string> assets,
                      std::vector<std::string> buyers) -> green::Contract& {
    green::Contract c;
    c.code = std::move(code);
    c.kind = kind;
    c.assets = std::move(assets);
    std::sort(buyers.begin(), buyers.end());
    c.buyers = std::move(buyers);
    c.valid_from_day = valid_from;
    s.contracts.push_back(std::move(c));
    return s.contracts.back();
  };

  // Same site (自发自用): every rooftop PV, with the battery at its site.
  for (const model::Enterprise& e : plan.enterprises) {
    const std::string& l = label[e.code];
    auto pv = meter.find(l + ".PV");
    if (pv == meter.end()) continue;
    std::vector<std::string> assets = {
        asset("PV." + l, *pv->second, green::Technology::kRooftopPv)};
    if (auto out = meter.find(l + ".BESS.OUT"); out != meter.end()) {
      const std::string code = asset("BESS." + l, *out->second, green::Technology::kStorage);
      green::GenerationAsset& bess = s.assets.back();
      bess.charge_meter_code = l + ".BESS.IN";
      // "储能放电 400 kW/800 kWh / Battery storage discharging ..." -> the storage itself.
      for (const auto& [from, to] :
           {std::pair<std::string_view, std::string_view>{"储能放电", "储能"},
            {"Battery storage discharging", "Battery storage"}}) {
        if (const size_t at = bess.name.find(from); at != std::string::npos) {
          bess.name.replace(at, from.size(), to);
        }
      }
      assets.push_back(code);
    }
    contract("SS." + l, green::ContractKind::kSameSite, std::move(assets), {e.code});
  }

  // Buyers. Direct supply: the two largest exporters among the key energy users (vehicles,
  // tyres, machinery, electrical, electronics) and the two largest CBAM product makers.
  std::set<std::string> makers;
  for (const model::EnterpriseDatum& d : plan.data) {
    if (d.indicator == "product_output") makers.insert(d.enterprise_code);
  }
  std::vector<std::string> exporters, cbam;
  for (const model::Enterprise& e : plan.enterprises) {
    const std::string_view div = std::string_view(e.industry_code).substr(0, 3);
    if (makers.count(e.code)) {
      cbam.push_back(e.code);
    } else if (e.key_energy_user &&
               (div == "C36" || div == "C29" || div == "C34" || div == "C38" || div == "C39")) {
      exporters.push_back(e.code);
    }
  }
  exporters = by_consumption(std::move(exporters));
  cbam = by_consumption(std::move(cbam));
  std::vector<std::string> direct;
  for (size_t k = 0; k < exporters.size() && direct.size() < kDirectBuyers / 2; ++k)
    direct.push_back(exporters[k]);
  for (size_t k = 0; k < cbam.size() && direct.size() < kDirectBuyers; ++k)
    direct.push_back(cbam[k]);
  for (size_t k = kDirectBuyers / 2; k < exporters.size() && direct.size() < kDirectBuyers; ++k)
    direct.push_back(exporters[k]);
  // Green trading: the next largest consumers; unbundled GECs: the two after them.
  std::vector<std::string> rest;
  for (const std::string& code : all) {
    if (std::find(direct.begin(), direct.end(), code) == direct.end()) rest.push_back(code);
  }
  rest = by_consumption(std::move(rest));
  const size_t trading_count = static_cast<size_t>(
      std::clamp<int64_t>(static_cast<int64_t>(rest.size()) - kUnbundledBuyers, 0, kTradingBuyers));
  const std::vector<std::string> trading(rest.begin(),
                                         rest.begin() + static_cast<ptrdiff_t>(trading_count));
  const std::vector<std::string> unbundled(
      rest.begin() + static_cast<ptrdiff_t>(trading_count),
      rest.begin() +
          static_cast<ptrdiff_t>(std::min(rest.size(), trading_count + kUnbundledBuyers)));

  // Direct supply (绿电直连) from the park's wind farm.
  if (auto wind = meter.find("PARK.WIND"); wind != meter.end() && !direct.empty()) {
    contract("DS.WIND.PARK", green::ContractKind::kDirectSupply,
             {asset("WIND.PARK", *wind->second, green::Technology::kWind)}, direct)
        .priority = 0;
  }

  // Green power trading (绿电交易): an external wind farm, monthly volumes (a quarter of the
  // buyers' consumption, whole MWh) with a night-heavy hourly profile.
  if (!trading.empty()) {
    std::vector<double> month_kwh(static_cast<size_t>(data_months), 0.0);
    for (int32_t k = 0; k < data_months; ++k) {
      const int32_t m = park.first_month + k;
      // Scale a partial month (the readings' last) to the whole month.
      const int64_t from = std::max(park.tz.MonthStart(m), park.plan.start_s);
      const int64_t to = std::min(park.tz.MonthStart(m + 1), park.end_s);
      const double scale = static_cast<double>(park.tz.MonthStart(m + 1) - park.tz.MonthStart(m)) /
                           static_cast<double>(std::max<int64_t>(1, to - from));
      for (const std::string& b : trading) month_kwh[static_cast<size_t>(k)] += kwh[b][k] * scale;
    }
    double mean = 0;
    for (double v : month_kwh) mean += v / data_months;
    green::GenerationAsset ext;
    ext.code = "WIND.EXT.FUXIN";
    ext.name =
        "阜新风电场（园区外，绿电交易）/ Fuxin wind farm (outside the park, green power trading)";
    ext.technology = green::Technology::kWind;
    ext.external = true;
    ext.capacity_kw = 200000;
    s.assets.push_back(ext);
    const std::string gt_code = fmt::format("GT.{}", park.year);
    green::Contract& gt =
        contract(gt_code, green::ContractKind::kGreenTrading, {ext.code}, trading);
    gt.profile = green::Profile::kHourly;
    gt.hourly_profile.assign(kTradingProfile.begin(), kTradingProfile.end());
    std::vector<double> volume_mwh(static_cast<size_t>(volume_months));
    for (int32_t k = 0; k < volume_months; ++k) {
      // Months after the readings: the same month a year before, else the mean.
      const double base = k < data_months ? month_kwh[static_cast<size_t>(k)]
                          : k >= 12       ? month_kwh[static_cast<size_t>(k - 12)]
                                          : mean;
      volume_mwh[static_cast<size_t>(k)] = std::round(base * kTradingShare / 1000.0);
      gt.volumes.push_back({park.first_month + k,
                            static_cast<int64_t>(volume_mwh[static_cast<size_t>(k)]) * 1'000'000});
    }
  }

  // The park pool (园区共享): the park's ground-mounted plant and the administration rooftop.
  {
    std::vector<std::string> pool;
    if (auto it = meter.find("PARK.PV.ADMIN"); it != meter.end())
      pool.push_back(asset("PV.PARK.ADMIN", *it->second, green::Technology::kRooftopPv));
    if (auto it = meter.find("PARK.PV.GROUND"); it != meter.end())
      pool.push_back(asset("PV.PARK.GROUND", *it->second, green::Technology::kGroundPv));
    if (!pool.empty() && !all.empty())
      contract("POOL.PARK", green::ContractKind::kParkPool, std::move(pool), all);
  }

  // GECs bundled with the trading contract (绿证随绿电交易): the trading centre issues them for
  // the volume each buyer was delivered, here the Wh hour-matched to it through the contract (the
  // allocation of each month with readings, as a settlement of that month computes it), whole
  // certificates rounded up; in the readings' last complete month only 90% arrived in time.
  if (!trading.empty()) {
    const std::string gt_code = fmt::format("GT.{}", park.year);
    const int32_t shortfall_month = park.tz.LocalMonth(park.end_s) - 1;
    std::vector<green::GecHolding> holdings;
    // What the trading buyers receive through the contract depends only on the rounds before it
    // that serve them: their own same-site supply (they have no direct supply).
    const std::set<std::string> traders(trading.begin(), trading.end());
    green::Supply before;
    for (const green::Contract& c : s.contracts) {
      if (c.code != gt_code &&
          !(c.kind == green::ContractKind::kSameSite && traders.count(c.buyers[0])))
        continue;
      before.contracts.push_back(c);
      for (const green::GenerationAsset& a : s.assets) {
        if (std::find(c.assets.begin(), c.assets.end(), a.code) != c.assets.end())
          before.assets.push_back(a);
      }
    }
    for (int32_t m = park.first_month; m <= park.last_month; ++m) {
      ZP_ASSIGN_OR_RETURN(green::SupplyInput in,
                          green::BuildAllocationInput(engine, before, park.tz.MonthStart(m),
                                                      park.tz.MonthStart(m + 1)));
      ZP_ASSIGN_OR_RETURN(green::AllocationResult result, green::Allocate(in.input));
      ZP_ASSIGN_OR_RETURN(green::GecReport gec, green::GecReconciliation(before, in, result));
      for (const green::GecMonth& row : gec.months) {
        if (row.month != m || row.trading_matched_wh <= 0) continue;
        const double mwh = static_cast<double>(row.trading_matched_wh) / 1e6;
        const double certificates =
            m == shortfall_month ? std::floor(mwh * kShortfall) : std::ceil(mwh);
        holdings.push_back({m, row.buyer, static_cast<int64_t>(certificates)});
      }
    }
    green::Contract& bundled =
        contract(fmt::format("GEC.GT.{}", park.year), green::ContractKind::kGec, {}, trading);
    bundled.bundled_with = gt_code;
    bundled.gec = std::move(holdings);
  }

  // Unbundled GECs (绿证单独交易) bought by two more enterprises.
  if (!unbundled.empty()) {
    green::Contract& c = contract("GEC.UNBUNDLED", green::ContractKind::kGec, {}, unbundled);
    for (int32_t k = 0; k < data_months; ++k) {
      for (const std::string& b : c.buyers) {
        const int64_t certificates = std::llround(kwh[b][k] * kUnbundledShare / 1000.0);
        if (certificates > 0) c.gec.push_back({park.first_month + k, b, certificates});
      }
    }
  }
  return s;
}

Result<DemoGreenSummary> BuildDemoGreen(engine::Engine& engine, const DemoGreenOptions& options) {
  auto report = [&](std::string line) {
    if (options.report) options.report(line);
  };
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                      engine.GetSetting(green::kSettingSupply));
  if (existing.has_value()) {
    return AlreadyExistsError(
        "a green supply registry is already stored (setting green/supply) / 绿电供给登记已存在");
  }
  DemoGreenSummary summary;
  auto t0 = Clock::now();
  ZP_ASSIGN_OR_RETURN(green::Supply supply, MakeDemoSupply(engine));
  ZP_RETURN_IF_ERROR(green::SaveSupply(engine, supply).WithContext("demo: green supply"));
  // The accounts take their green electricity from the hourly allocation of this registry
  // (carbon::GreenSourceName(GreenSource::kHourly)).
  ZP_RETURN_IF_ERROR(
      engine.PutSetting(carbon::kSettingGreenSource, "hourly").WithContext("demo: green source"));
  summary.assets = static_cast<int32_t>(supply.assets.size());
  summary.contracts = static_cast<int32_t>(supply.contracts.size());
  summary.supply_seconds = SecondsSince(t0);
  report(fmt::format(
      "green supply registry: {} assets, {} contracts, accounts on the hourly green source "
      "({:.1f} s) / 绿电供给登记：{} 个资产，{} 份合同，核算采用逐时绿电 ({:.1f} 秒)",
      summary.assets, summary.contracts, summary.supply_seconds, summary.assets, summary.contracts,
      summary.supply_seconds));

  if (options.settle_months <= 0) return summary;
  ZP_ASSIGN_OR_RETURN(Park park, ReadPark(engine));
  const int32_t last = park.tz.LocalMonth(park.end_s) - 1;  // last complete month
  const int32_t first = std::max(park.first_month, last - options.settle_months + 1);
  if (first > last) {
    report("green settlement: no complete month of readings yet / 绿电结算：尚无完整月份");
    return summary;
  }
  t0 = Clock::now();
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<green::GreenService> service,
                      green::GreenService::Open(engine.store(), engine));
  for (int32_t month = first; month <= last; ++month) {
    const std::string label = green::FormatMonth(month);
    if (service->IsSettled(month)) continue;
    report(fmt::format("green settlement {} ... / 绿电结算 {} ...", label, label));
    const auto t1 = Clock::now();
    Result<green::Settlement> s = service->Settle(month, options.actor);
    if (!s.ok() && s.status().code() == StatusCode::kFailedPrecondition) {
      report(fmt::format("green settlement {} skipped: {} / 绿电结算 {} 跳过", label,
                         s.status().message(), label));
      continue;
    }
    if (!s.ok()) return s.status().WithContext(fmt::format("demo: green settlement {}", label));
    int64_t consumption_wh = 0;
    for (const green::SettledEnterprise& e : s->enterprises) consumption_wh += e.consumption_wh;
    const double share = consumption_wh > 0
                             ? 100.0 * static_cast<double>(s->claimed_wh - s->storage_wh) /
                                   static_cast<double>(consumption_wh)
                             : 0.0;
    const double seconds = SecondsSince(t1);
    report(fmt::format(
        "green settlement {}: {:.0f} MWh certified, {:.0f} MWh claimed ({:.1f}% of {:.0f} MWh "
        "consumed hour by hour), {} ledger records in {:.1f} s / 绿电结算 {}：签发 {:.0f} MWh，"
        "核销 {:.0f} MWh（逐时匹配 {:.1f}%），账本 {} 条，用时 {:.1f} 秒",
        label, s->issued_wh / 1e6, s->claimed_wh / 1e6, share, consumption_wh / 1e6,
        s->ledger_to_seq - s->ledger_from_seq + 1, seconds, label, s->issued_wh / 1e6,
        s->claimed_wh / 1e6, share, s->ledger_to_seq - s->ledger_from_seq + 1, seconds));
    summary.settled_months.push_back(month);
    summary.claimed_wh += s->claimed_wh;
  }
  summary.settle_seconds = SecondsSince(t0);
  return summary;
}

}  // namespace zp::demo
