#include "zp/carbon/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "zp/base/time.h"
#include "zp/engine/engine.h"
#include "zp/green/allocation.h"
#include "zp/green/service.h"
#include "zp/green/supply.h"

namespace zp::carbon {
namespace {

using nlohmann::json;

json Opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json RowJson(const refdata::FactorRow& r) {
  return json{{"id", r.id},
              {"table", r.table},
              {"dataset", r.dataset},
              {"item", r.item},
              {"variant", r.variant},
              {"region", r.region},
              {"value", r.value},
              {"unit", r.unit},
              {"valid_from", refdata::FormatDay(r.valid_from_day)},
              {"valid_to", refdata::FormatDay(r.valid_to_day)},
              {"source", r.source},
              {"confidence", r.confidence},
              {"note", r.note},
              {"layer", r.layer}};
}

// The hourly green supply of consecutive spans (whole months, or one day): each part's monthly
// rows, concatenated (a month never spans two parts).
class HourlySpans : public energy::GreenPowerSource {
 public:
  std::string_view name() const override { return "hourly"; }
  Result<std::vector<energy::GreenSupply>> Supplies(const energy::Input& in) const override {
    std::vector<energy::GreenSupply> out;
    for (const energy::GreenSupply& g : settled) {
      if (g.month >= in.from_month && g.month < in.to_month) out.push_back(g);
    }
    for (const auto& p : parts) {
      ZP_ASSIGN_OR_RETURN(std::vector<energy::GreenSupply> rows, p->Supplies(in));
      out.insert(out.end(), std::make_move_iterator(rows.begin()),
                 std::make_move_iterator(rows.end()));
    }
    return out;
  }
  std::vector<std::unique_ptr<green::HourlyGreenSupply>> parts;
  std::vector<energy::GreenSupply> settled;  // claimed certificates of settled months
};

std::string JoinDatasets(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

}  // namespace

AccountingService::AccountingService(engine::Engine& engine) : engine_(engine) {}

Result<std::shared_ptr<const refdata::RefData>> AccountingService::Ref() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ref_) return ref_;
  }
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> rows, engine_.GetSetting(kSettingParkRows));
  ZP_ASSIGN_OR_RETURN(std::shared_ptr<const refdata::RefData> ref,
                      refdata::RefData::Build(rows ? *rows : std::string()));
  std::lock_guard<std::mutex> lock(mu_);
  ref_ = ref;
  return ref;
}

Result<int32_t> AccountingService::ImportParkRows(std::string_view csv, std::string_view origin) {
  ZP_ASSIGN_OR_RETURN(std::vector<refdata::FactorRow> incoming,
                      refdata::ParseFactorCsv(csv, origin));
  if (incoming.empty()) return InvalidArgumentError("no rows in " + std::string(origin));
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> existing, engine_.GetSetting(kSettingParkRows));
  std::vector<refdata::FactorRow> rows;
  if (existing && !existing->empty()) {
    ZP_ASSIGN_OR_RETURN(rows, refdata::ParseFactorCsv(*existing, "park rows"));
  }
  for (refdata::FactorRow& r : incoming) {
    bool replaced = false;
    for (refdata::FactorRow& x : rows) {
      if (x.id == r.id) {
        x = r;
        replaced = true;
      }
    }
    if (!replaced) rows.push_back(r);
  }
  const std::string merged = refdata::FactorRowsToCsv(rows);
  // Validate the whole set (units, overlaps with built-in rows) before storing it.
  ZP_RETURN_IF_ERROR(refdata::RefData::Build(merged).status());
  ZP_RETURN_IF_ERROR(engine_.PutSetting(kSettingParkRows, merged));
  std::lock_guard<std::mutex> lock(mu_);
  ref_.reset();
  cache_.clear();
  ++generation_;
  return static_cast<int32_t>(incoming.size());
}

Status AccountingService::DeleteParkRow(std::string_view id) {
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> existing, engine_.GetSetting(kSettingParkRows));
  std::vector<refdata::FactorRow> rows;
  if (existing && !existing->empty()) {
    ZP_ASSIGN_OR_RETURN(rows, refdata::ParseFactorCsv(*existing, "park rows"));
  }
  const size_t before = rows.size();
  std::erase_if(rows, [&](const refdata::FactorRow& r) { return r.id == id; });
  if (rows.size() == before) {
    return NotFoundError("the park has no reference-data row '" + std::string(id) + "'");
  }
  ZP_RETURN_IF_ERROR(engine_.PutSetting(kSettingParkRows, refdata::FactorRowsToCsv(rows)));
  std::lock_guard<std::mutex> lock(mu_);
  ref_.reset();
  cache_.clear();
  ++generation_;
  return Status::OK();
}

Result<std::string> AccountingService::ParkRowsCsv() {
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> existing, engine_.GetSetting(kSettingParkRows));
  if (existing && !existing->empty()) return *existing;
  return refdata::FactorRowsToCsv({});
}

Result<Options> AccountingService::CarbonOptions() {
  Options o;
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> scope, engine_.GetSetting(kSettingGridScope));
  if (scope) {
    ZP_ASSIGN_OR_RETURN(o.grid_scope, ParseGridScope(*scope));
  }
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> datasets,
                      engine_.GetSetting(kSettingFuelDatasets));
  if (datasets && !datasets->empty()) {
    o.fuel_datasets.clear();
    std::string_view rest = *datasets;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view d = rest.substr(0, comma);
      while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
      while (!d.empty() && d.back() == ' ') d.remove_suffix(1);
      if (!d.empty()) o.fuel_datasets.emplace_back(d);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> green, engine_.GetSetting(kSettingGreenSource));
  if (green && !green->empty()) {
    ZP_ASSIGN_OR_RETURN(o.green_source, ParseGreenSource(*green));
  }
  ZP_ASSIGN_OR_RETURN(auto fuels, engine_.ListSettings(kSettingFuelPrefix));
  for (const auto& [key, value] : fuels) {
    ZP_ASSIGN_OR_RETURN(units::Carrier c,
                        units::ParseCarrier(key.substr(kSettingFuelPrefix.size())));
    o.fuel_of[c] = value;
  }
  return o;
}

Status AccountingService::PutCarbonOptions(const Options& o) {
  for (const auto& [c, fuel] : o.fuel_of) {
    if (!refdata::IsEnergyCarrier(c) || c == units::Carrier::kElectricity ||
        c == units::Carrier::kHeat || c == units::Carrier::kSteam) {
      return InvalidArgumentError(
          fmt::format("{} is not a fuel burnt on site", units::GetCarrierInfo(c).code));
    }
    if (fuel.empty()) return InvalidArgumentError("empty fuel code");
  }
  if (o.fuel_datasets.empty()) return InvalidArgumentError("at least one fuel dataset");
  ZP_RETURN_IF_ERROR(engine_.PutSetting(kSettingGridScope, GridScopeName(o.grid_scope)));
  ZP_RETURN_IF_ERROR(engine_.PutSetting(kSettingFuelDatasets, JoinDatasets(o.fuel_datasets)));
  ZP_RETURN_IF_ERROR(engine_.PutSetting(kSettingGreenSource, GreenSourceName(o.green_source)));
  for (const auto& [c, fuel] : o.fuel_of) {
    ZP_RETURN_IF_ERROR(engine_.PutSetting(
        std::string(kSettingFuelPrefix) + std::string(units::GetCarrierInfo(c).code), fuel));
  }
  Invalidate();
  return Status::OK();
}

void AccountingService::SetGreenService(const green::GreenService* service) {
  green_service_.store(service);
}

void AccountingService::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
  ++generation_;
}

int32_t AccountingService::DefaultYear() {
  const TimeZone tz = engine_.zone();
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const int32_t this_year = MonthIndexYear(tz.LocalMonth(now));
  // Cached: this year stays the answer once it has readings; an earlier year until the next write.
  const engine::EngineStats st = engine_.stats();
  const std::string key =
      fmt::format("{}|{}|{}|{}", this_year, st.readings_written, st.flushes, st.corrections);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (default_year_ != 0 && default_year_key_.starts_with(fmt::format("{}|", this_year)) &&
        (default_year_ == this_year || default_year_key_ == key)) {
      return default_year_;
    }
  }
  const int32_t year = FindDefaultYear(this_year);
  std::lock_guard<std::mutex> lock(mu_);
  default_year_ = year;
  default_year_key_ = key;
  return year;
}

int32_t AccountingService::FindDefaultYear(int32_t this_year) {
  const TimeZone tz = engine_.zone();
  for (int32_t y : {this_year, this_year - 1, this_year - 2}) {
    engine::SumQuery q;
    q.group_by = engine::GroupBy::kPark;
    q.period = engine::Period::kYear;
    q.from_s = tz.MonthStart(MonthIndex(y, 1));
    q.to_s = tz.MonthStart(MonthIndex(y + 1, 1));
    auto rows = engine_.Sums(q);
    if (!rows.ok()) continue;
    for (const auto& r : *rows) {
      if (r.readings > 0) return y;
    }
  }
  return this_year;
}

Result<std::shared_ptr<const CarbonAccounts>> AccountingService::Accounts(int32_t from_month,
                                                                          int32_t to_month) {
  if (to_month <= from_month) return InvalidArgumentError("empty month range");
  if (to_month - from_month > 12 * 10) return InvalidArgumentError("at most 10 years at once");
  ZP_ASSIGN_OR_RETURN(std::shared_ptr<const refdata::RefData> ref, Ref());
  ZP_ASSIGN_OR_RETURN(Options options, CarbonOptions());
  const engine::EngineStats st = engine_.stats();
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = generation_;
  }
  std::string fuels;
  for (const auto& [c, f] : options.fuel_of) fuels += f + ";";
  // The hourly green supply follows the stored supply registry.
  size_t supply_hash = 0;
  int64_t settled_version = -1;  // the ledger's size: changes with every settlement
  if (options.green_source == GreenSource::kHourly) {
    ZP_ASSIGN_OR_RETURN(std::optional<std::string> supply,
                        engine_.GetSetting(green::kSettingSupply));
    if (supply) supply_hash = std::hash<std::string>{}(*supply) | 1;
    if (const green::GreenService* gs = green_service_.load()) settled_version = gs->ledger_size();
  }
  const std::string key = fmt::format(
      "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", ref->fingerprint(), GridScopeName(options.grid_scope),
      GreenSourceName(options.green_source), JoinDatasets(options.fuel_datasets), fuels,
      st.readings_written, st.flushes, st.corrections, generation, supply_hash, settled_version);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Entry& e : cache_) {
      if (e.from == from_month && e.to == to_month && e.key == key) return e.accounts;
    }
  }
  ZP_ASSIGN_OR_RETURN(energy::Input in, energy::LoadInput(engine_, from_month - 12, to_month));
  // Green power for every loaded month, the year-before months included, so that year-on-year
  // figures compare like with like.
  const TimeZone tz = engine_.zone();
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (int32_t m = in.from_month; m < in.to_month; m += 12) {
    spans.emplace_back(tz.MonthStart(m), tz.MonthStart(std::min(m + 12, in.to_month)));
  }
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<energy::GreenPowerSource> green,
                      MakeGreenSource(options, spans));
  Result<std::shared_ptr<const CarbonAccounts>> ca = Compute(std::move(in), ref, options, *green);
  if (!ca.ok()) return ca.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (generation == generation_) {
    cache_.insert(cache_.begin(), Entry{from_month, to_month, key, *ca});
    if (cache_.size() > 4) cache_.pop_back();
  }
  return *ca;
}

Result<std::shared_ptr<const CarbonAccounts>> AccountingService::DayAccounts(int32_t day) {
  ZP_ASSIGN_OR_RETURN(std::shared_ptr<const refdata::RefData> ref, Ref());
  ZP_ASSIGN_OR_RETURN(Options options, CarbonOptions());
  ZP_ASSIGN_OR_RETURN(energy::Input in, energy::LoadDayInput(engine_, day));
  // The day's hours only: the hourly supply's single month row is then the day's green power.
  const TimeZone tz = engine_.zone();
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<energy::GreenPowerSource> green,
                      MakeGreenSource(options, {{tz.DayStart(day), tz.DayStart(day + 1)}}));
  return Compute(std::move(in), ref, options, *green);
}

Result<std::unique_ptr<energy::GreenPowerSource>> AccountingService::MakeGreenSource(
    const Options& options, const std::vector<std::pair<int64_t, int64_t>>& spans) {
  if (options.green_source == GreenSource::kManual) return energy::MakeManualGreenSupply();
  // Hourly: hand-entered green_direct_kwh rows are not read (they would count the same MWh twice).
  ZP_ASSIGN_OR_RETURN(green::Supply supply, green::LoadSupply(engine_));
  auto hourly = std::make_unique<HourlySpans>();
  const green::GreenService* settled = green_service_.load();
  const TimeZone tz = engine_.zone();
  // Consecutive spans carry the storage assets' green state of charge from one to the next; a
  // settled month hands on the state its settlement ended with.
  green::BuildOptions carry;
  auto allocate = [&](int64_t from_s, int64_t to_s) -> Status {
    if (from_s >= to_s) return Status::OK();
    ZP_ASSIGN_OR_RETURN(green::SupplyInput si,
                        green::BuildAllocationInput(engine_, supply, from_s, to_s, carry));
    carry.storage_start = green::StorageEndStates(si);
    ZP_ASSIGN_OR_RETURN(green::AllocationResult result, green::Allocate(si.input));
    ZP_ASSIGN_OR_RETURN(std::unique_ptr<green::HourlyGreenSupply> part,
                        green::HourlyGreenSupply::Create(si, result));
    hourly->parts.push_back(std::move(part));
    return Status::OK();
  };
  for (const auto& [from_s, to_s] : spans) {
    const int32_t first = tz.LocalMonth(from_s);
    // Only spans of whole months use settlements (a day's accounts allocate the day's hours).
    if (settled == nullptr || tz.MonthStart(first) != from_s) {
      ZP_RETURN_IF_ERROR(allocate(from_s, to_s));
      continue;
    }
    int64_t live_from = from_s;  // start of the unsettled months not yet allocated
    for (int32_t m = first; tz.MonthStart(m) < to_s; ++m) {
      std::optional<green::Settlement> s = settled->FindSettlement(m);
      if (!s) continue;
      ZP_RETURN_IF_ERROR(allocate(live_from, tz.MonthStart(m)));
      live_from = std::min(tz.MonthStart(m + 1), to_s);
      for (const green::SettledEnterprise& e : s->enterprises) {
        if (e.claimed_wh <= 0) continue;
        hourly->settled.push_back(energy::GreenSupply{
            e.enterprise, m, static_cast<double>(e.claimed_wh) / 1000.0, "hourly_matched",
            fmt::format("settlement {} (ledger seq {}..{})", green::FormatMonth(m),
                        s->ledger_from_seq, s->ledger_to_seq),
            "green::GreenService (claimed certificates)"});
      }
      carry.storage_start = s->storage_end;
    }
    ZP_RETURN_IF_ERROR(allocate(live_from, to_s));
  }
  return std::unique_ptr<energy::GreenPowerSource>(std::move(hourly));
}

Result<std::shared_ptr<const CarbonAccounts>> AccountingService::Compute(
    energy::Input in, std::shared_ptr<const refdata::RefData> ref, const Options& options,
    const energy::GreenPowerSource& green) {
  ZP_ASSIGN_OR_RETURN(std::shared_ptr<const energy::Accounts> en,
                      energy::Accounts::Compute(std::make_shared<energy::Input>(std::move(in)),
                                                std::move(ref), &green));
  return CarbonAccounts::Compute(en, options);
}

// --- parsing.

Result<std::pair<int32_t, int32_t>> ParseMonthRange(std::string_view from, std::string_view to) {
  auto one = [](std::string_view s) -> Result<std::pair<int32_t, int32_t>> {
    ZP_ASSIGN_OR_RETURN(model::DataPeriod p, model::ParseDataPeriod(s));
    if (p.month == 0) return std::pair{MonthIndex(p.year, 1), MonthIndex(p.year + 1, 1)};
    return std::pair{MonthIndex(p.year, p.month), MonthIndex(p.year, p.month) + 1};
  };
  ZP_ASSIGN_OR_RETURN(auto a, one(from));
  if (to.empty()) return a;
  ZP_ASSIGN_OR_RETURN(auto b, one(to));
  if (b.second <= a.first) {
    return InvalidArgumentError(fmt::format("'{}' ends before '{}' starts", to, from));
  }
  return std::pair{a.first, b.second};
}

// --- tables.

namespace {

report::Column Col(std::string key, std::string zh, std::string en, std::string unit,
                   report::ColumnType type = report::ColumnType::kNumber, int32_t decimals = 3) {
  return report::Column{std::move(key),  std::move(zh), std::move(en),
                        std::move(unit), type,          decimals};
}
report::Cell Num(double v) { return report::Cell(v); }
report::Cell Num(const std::optional<double>& v) {
  return v ? report::Cell(*v) : report::Cell(std::monostate{});
}
report::Cell Text(std::string s) { return report::Cell(std::move(s)); }

std::string GroupHeaderZh(energy::Group g) {
  switch (g) {
    case energy::Group::kEnterprise:
      return "企业";
    case energy::Group::kIndustry:
      return "行业";
    case energy::Group::kZone:
      return "网格";
    case energy::Group::kCarrier:
      return "能源品种";
    case energy::Group::kPark:
      return "园区";
  }
  return "分组";
}

}  // namespace

report::Table EnergyTable(const std::vector<energy::EnergyRow>& rows,
                          const energy::ReportQuery& q) {
  report::Table t;
  t.title_zh = "综合能源消费量";
  t.title_en = "Comprehensive energy consumption";
  t.columns = {Col("group", GroupHeaderZh(q.group), std::string(energy::GroupName(q.group)), "",
                   report::ColumnType::kText),
               Col("name", "名称", "Name", "", report::ColumnType::kText),
               Col("period", "期间", "Period", "", report::ColumnType::kText)};
  if (q.group == energy::Group::kCarrier) {
    t.columns.push_back(Col("amount", "实物量", "Amount", ""));
    t.columns.push_back(Col("unit", "单位", "Unit", "", report::ColumnType::kText));
  }
  for (auto c :
       {Col("tce_equivalent", "综合能耗(当量值)", "Energy (equivalent value)", "tce"),
        Col("tce_coal_equivalent", "综合能耗(等价值)", "Energy (coal-equivalent value)", "tce"),
        Col("electricity_kwh", "用电量", "Electricity", "kWh", report::ColumnType::kNumber, 0),
        Col("electricity_share_equivalent", "电力占比(当量值)", "Electricity share (equivalent)",
            "", report::ColumnType::kNumber, 4),
        Col("electricity_share_coal_equivalent", "电力占比(等价值)",
            "Electricity share (coal-equivalent)", "", report::ColumnType::kNumber, 4),
        Col("green_kwh", "绿电", "Green electricity", "kWh", report::ColumnType::kNumber, 0),
        Col("clean_share_equivalent", "清洁能源占比(当量值)", "Clean-energy share (equivalent)", "",
            report::ColumnType::kNumber, 4),
        Col("clean_share_coal_equivalent", "清洁能源占比(等价值)",
            "Clean-energy share (coal-equivalent)", "", report::ColumnType::kNumber, 4),
        Col("added_value", "工业增加值", "Added value", "10k CNY"),
        Col("intensity_equivalent", "单位增加值能耗(当量值)", "Energy per added value (equivalent)",
            "tce/10k CNY", report::ColumnType::kNumber, 4),
        Col("intensity_coal_equivalent", "单位增加值能耗(等价值)",
            "Energy per added value (coal-equivalent)", "tce/10k CNY", report::ColumnType::kNumber,
            4),
        Col("yoy_equivalent", "同比(当量值)", "Year on year (equivalent)", "",
            report::ColumnType::kNumber, 4),
        Col("yoy_coal_equivalent", "同比(等价值)", "Year on year (coal-equivalent)", "",
            report::ColumnType::kNumber, 4),
        Col("readings", "读数条数", "Readings", "", report::ColumnType::kInteger, 0)}) {
    t.columns.push_back(std::move(c));
  }
  for (const energy::EnergyRow& r : rows) {
    std::vector<report::Cell> row = {Text(r.group), Text(r.name), Text(r.period)};
    if (q.group == energy::Group::kCarrier) {
      row.push_back(Num(r.amount));
      row.push_back(Text(r.unit));
    }
    for (report::Cell c : {Num(r.tce[0]), Num(r.tce[1]), Num(r.electricity_kwh),
                           Num(r.electricity_share[0]), Num(r.electricity_share[1]),
                           Num(r.green_kwh), Num(r.clean_share[0]), Num(r.clean_share[1]),
                           Num(r.added_value_10k_cny), Num(r.intensity[0]), Num(r.intensity[1]),
                           Num(r.yoy[0]), Num(r.yoy[1]), Num(static_cast<double>(r.readings))}) {
      row.push_back(std::move(c));
    }
    t.rows.push_back(std::move(row));
  }
  t.notes = {
      "当量值: 电力 0.1229 kgce/kWh 等 GB/T 2589 附录A系数; 等价值: 电力按当年供电标准煤耗 / "
      "Equivalent value: GB/T 2589 App. A coefficients (electricity 0.1229 kgce/kWh); "
      "coal-equivalent value: electricity at the year's supply coal rate.",
      "清洁能源 = 天然气 + 可追溯绿电 / Clean energy = natural gas + traceable green electricity.",
      "PARK = 园区公共及损耗 (园区总表 − 各企业) / PARK = the park's own use and network losses.",
      "每个数值的因子来源见 /api/v1/energy/derivation / Factor sources of every figure: "
      "/api/v1/energy/derivation."};
  return t;
}

report::Table CarbonTable(const std::vector<CarbonRow>& rows, const energy::ReportQuery& q) {
  report::Table t;
  t.title_zh = "二氧化碳排放";
  t.title_en = "CO2 emissions";
  t.columns = {
      Col("group", GroupHeaderZh(q.group), std::string(energy::GroupName(q.group)), "",
          report::ColumnType::kText),
      Col("name", "名称", "Name", "", report::ColumnType::kText),
      Col("period", "期间", "Period", "", report::ColumnType::kText),
      Col("scope1_fuel", "范围一·燃料燃烧", "Scope 1 fuel combustion", "tCO2"),
      Col("scope1_process", "范围一·工业过程", "Scope 1 process", "tCO2"),
      Col("scope2_location", "范围二(基于位置)", "Scope 2 location-based", "tCO2"),
      Col("scope2_market", "范围二(基于市场)", "Scope 2 market-based", "tCO2"),
      Col("total_location", "合计(基于位置)", "Total location-based", "tCO2"),
      Col("total_market", "合计(基于市场)", "Total market-based", "tCO2"),
      Col("tce_equivalent", "综合能耗(当量值)", "Energy (equivalent value)", "tce"),
      Col("tce_coal_equivalent", "综合能耗(等价值)", "Energy (coal-equivalent value)", "tce"),
      Col("tco2_per_tce_market_equivalent", "单位能耗碳排放(市场/当量值)",
          "tCO2 per tce (market, equivalent)", "tCO2/tce", report::ColumnType::kNumber, 4),
      Col("tco2_per_tce_market_coal_equivalent", "单位能耗碳排放(市场/等价值)",
          "tCO2 per tce (market, coal-equivalent)", "tCO2/tce", report::ColumnType::kNumber, 4),
      Col("tco2_per_tce_location_equivalent", "单位能耗碳排放(位置/当量值)",
          "tCO2 per tce (location, equivalent)", "tCO2/tce", report::ColumnType::kNumber, 4),
      Col("tco2_per_tce_location_coal_equivalent", "单位能耗碳排放(位置/等价值)",
          "tCO2 per tce (location, coal-equivalent)", "tCO2/tce", report::ColumnType::kNumber, 4),
      Col("added_value", "工业增加值", "Added value", "10k CNY"),
      Col("tco2_per_10k_cny_location", "单位增加值碳排放(位置)", "tCO2 per added value (location)",
          "tCO2/10k CNY", report::ColumnType::kNumber, 4),
      Col("tco2_per_10k_cny_market", "单位增加值碳排放(市场)", "tCO2 per added value (market)",
          "tCO2/10k CNY", report::ColumnType::kNumber, 4),
      Col("yoy_location", "同比(位置)", "Year on year (location)", "", report::ColumnType::kNumber,
          4),
      Col("yoy_market", "同比(市场)", "Year on year (market)", "", report::ColumnType::kNumber, 4),
      Col("green_kwh", "绿电", "Green electricity", "kWh", report::ColumnType::kNumber, 0)};
  for (const CarbonRow& r : rows) {
    t.rows.push_back({Text(r.group),
                      Text(r.name),
                      Text(r.period),
                      Num(r.scope1_fuel),
                      Num(r.scope1_process),
                      Num(r.scope2[0]),
                      Num(r.scope2[1]),
                      Num(r.total[0]),
                      Num(r.total[1]),
                      Num(r.tce[0]),
                      Num(r.tce[1]),
                      Num(r.tco2_per_tce[1][0]),
                      Num(r.tco2_per_tce[1][1]),
                      Num(r.tco2_per_tce[0][0]),
                      Num(r.tco2_per_tce[0][1]),
                      Num(r.added_value_10k_cny),
                      Num(r.tco2_per_10k_cny[0]),
                      Num(r.tco2_per_10k_cny[1]),
                      Num(r.yoy[0]),
                      Num(r.yoy[1]),
                      Num(r.green_kwh)});
  }
  t.notes = {
      "范围一燃料 = 消耗量 × 低位发热量 × 单位热值含碳量 × 碳氧化率 × 44/12 (GB/T 32151) / Scope 1 "
      "fuel = consumption × NCV × carbon content × oxidation × 44/12.",
      "范围二基于位置: 省级(或区域、全国)电网平均排放因子; 基于市场: 绿电计零, 其余按不含市场化交易"
      "非化石能源电量的全国因子 / Scope 2 location-based: provincial (or regional, national) grid "
      "average; market-based: green electricity zero, the rest at the national factor excluding "
      "market-traded non-fossil power.",
      "热力、蒸汽按 0.11 tCO2/GJ (GB/T 32150-2025) / Heat and steam at 0.11 tCO2/GJ."};
  return t;
}

// --- JSON.

namespace {

json Meta(const CarbonAccounts& a, const energy::ReportQuery& q) {
  const energy::Accounts& en = a.energy();
  json regions = json::array();
  for (const auto& r : en.regions()) regions.push_back(r);
  // What each period's year on year compares with: the same period a year before, or for a year
  // still running the same months of the year before.
  json basis = json::array();
  for (const energy::ReportPeriod& p : energy::ReportPeriods(q.period, q.from_month, q.to_month)) {
    std::optional<energy::ReportPeriod> before = energy::YearBefore(en, p);
    if (!before) continue;
    basis.push_back(json{{"period", p.label},
                         {"from", energy::MonthLabel(before->from)},
                         {"to", energy::MonthLabel(before->to - 1)}});
  }
  return json{{"group_by", energy::GroupName(q.group)},
              {"period", energy::PeriodName(q.period)},
              {"from", energy::MonthLabel(q.from_month)},
              {"to", energy::MonthLabel(q.to_month - 1)},
              {"regions", regions},
              {"grid_scope", GridScopeName(a.options().grid_scope)},
              {"green_source", en.green_source_name()},
              {"reference_data", en.ref().fingerprint()},
              {"yoy_basis", std::move(basis)}};
}

}  // namespace

std::string EnergyJson(const CarbonAccounts& a, const std::vector<energy::EnergyRow>& rows,
                       const energy::ReportQuery& q) {
  json out = Meta(a, q);
  json list = json::array();
  for (const energy::EnergyRow& r : rows) {
    json j{
        {"group", r.group},
        {"name", r.name},
        {"period", r.period},
        {"tce", {{"equivalent", r.tce[0]}, {"coal_equivalent", r.tce[1]}}},
        {"electricity_kwh", r.electricity_kwh},
        {"electricity_share",
         {{"equivalent", r.electricity_share[0]}, {"coal_equivalent", r.electricity_share[1]}}},
        {"green_kwh", r.green_kwh},
        {"clean_share", {{"equivalent", r.clean_share[0]}, {"coal_equivalent", r.clean_share[1]}}},
        {"added_value_10k_cny", Opt(r.added_value_10k_cny)},
        {"intensity_tce_per_10k_cny",
         {{"equivalent", Opt(r.intensity[0])}, {"coal_equivalent", Opt(r.intensity[1])}}},
        {"yoy", {{"equivalent", Opt(r.yoy[0])}, {"coal_equivalent", Opt(r.yoy[1])}}},
        {"readings", r.readings}};
    if (q.group == energy::Group::kCarrier) {
      j["amount"] = r.amount;
      j["unit"] = r.unit;
    }
    list.push_back(std::move(j));
  }
  out["rows"] = std::move(list);
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string CarbonJson(const CarbonAccounts& a, const std::vector<CarbonRow>& rows,
                       const energy::ReportQuery& q) {
  json out = Meta(a, q);
  json list = json::array();
  for (const CarbonRow& r : rows) {
    auto per_tce = [&](size_t s) {
      return json{{"equivalent", Opt(r.tco2_per_tce[s][0])},
                  {"coal_equivalent", Opt(r.tco2_per_tce[s][1])}};
    };
    list.push_back(
        json{{"group", r.group},
             {"name", r.name},
             {"period", r.period},
             {"scope1_fuel_tco2", r.scope1_fuel},
             {"scope1_process_tco2", r.scope1_process},
             {"scope2_tco2", {{"location", r.scope2[0]}, {"market", r.scope2[1]}}},
             {"total_tco2", {{"location", r.total[0]}, {"market", r.total[1]}}},
             {"tce", {{"equivalent", r.tce[0]}, {"coal_equivalent", r.tce[1]}}},
             {"tco2_per_tce", {{"location", per_tce(0)}, {"market", per_tce(1)}}},
             {"added_value_10k_cny", Opt(r.added_value_10k_cny)},
             {"tco2_per_10k_cny",
              {{"location", Opt(r.tco2_per_10k_cny[0])}, {"market", Opt(r.tco2_per_10k_cny[1])}}},
             {"yoy", {{"location", Opt(r.yoy[0])}, {"market", Opt(r.yoy[1])}}},
             {"green_kwh", r.green_kwh}});
  }
  out["rows"] = std::move(list);
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string DerivationJson(const CarbonDerivation& d) {
  json readings = json::array();
  for (const energy::DerivationStep& s : d.energy.readings) {
    readings.push_back(
        json{{"meter", s.meter},
             {"meter_name", s.meter_name},
             {"carrier", units::GetCarrierInfo(s.carrier).code},
             {"unit", units::GetCarrierInfo(s.carrier).canonical_unit},
             {"month", energy::MonthLabel(s.month)},
             {"rollup_sum", s.amount},
             {"readings", s.readings},
             {"sign", s.sign},
             {"raw_readings_url",
              fmt::format("/api/v1/readings?meter={}&from={}-01&to={}-01", s.meter,
                          energy::MonthLabel(s.month), energy::MonthLabel(s.month + 1))}});
  }
  json tce_factors = json::array();
  for (const energy::DerivationFactor& f : d.energy.factors) {
    json j{{"month", energy::MonthLabel(f.month)},
           {"carrier", units::GetCarrierInfo(f.carrier).code},
           {"method", energy::MethodName(f.method)},
           {"tce_per_unit", f.tce_per_unit},
           {"row", RowJson(f.row)}};
    if (f.via) j["via"] = RowJson(*f.via);
    tce_factors.push_back(std::move(j));
  }
  json co2_factors = json::array();
  for (const CarbonFactorUse& u : d.factors) {
    json rows = json::array();
    for (const auto& r : u.rows) rows.push_back(RowJson(r));
    co2_factors.push_back(json{{"month", energy::MonthLabel(u.month)},
                               {"carrier", units::GetCarrierInfo(u.carrier).code},
                               {"scope", u.scope},
                               {"amount", u.amount},
                               {"tco2_per_unit", u.tco2_per_unit},
                               {"tco2", u.tco2},
                               {"formula", u.formula},
                               {"rows", rows}});
  }
  json process = json::array();
  for (const auto& p : d.process) {
    process.push_back(json{{"seq", p.seq},
                           {"item", p.item},
                           {"period", model::FormatDataPeriod(p.period)},
                           {"tco2", p.value},
                           {"source", p.source}});
  }
  json green = json::array();
  for (const auto& g : d.green) {
    green.push_back(json{{"enterprise", g.enterprise_code},
                         {"month", energy::MonthLabel(g.month)},
                         {"kwh", g.kwh},
                         {"kind", g.kind},
                         {"reference", g.reference},
                         {"source", g.source}});
  }
  json rules = json::array();
  for (const auto& r : d.energy.rules) rules.push_back(r);
  json out{{"entity", d.energy.entity},
           {"from", energy::MonthLabel(d.energy.from_month)},
           {"to", energy::MonthLabel(d.energy.to_month - 1)},
           {"rules", rules},
           {"readings", readings},
           {"tce_factors", tce_factors},
           {"tce", {{"equivalent", d.energy.tce[0]}, {"coal_equivalent", d.energy.tce[1]}}},
           {"co2_factors", co2_factors},
           {"process", process},
           {"green", green},
           {"scope1_fuel_tco2", d.scope1_fuel},
           {"scope1_process_tco2", d.scope1_process},
           {"scope2_tco2", {{"location", d.scope2[0]}, {"market", d.scope2[1]}}},
           {"total_tco2", {{"location", d.total[0]}, {"market", d.total[1]}}}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string DerivationText(const CarbonDerivation& d) {
  std::string s = fmt::format("推导 / Derivation: {} {}..{}\n", d.energy.entity,
                              energy::MonthLabel(d.energy.from_month),
                              energy::MonthLabel(d.energy.to_month - 1));
  for (const auto& r : d.energy.rules) s += "  规则 / rule: " + r + "\n";
  s += "1. 读数→汇总 / readings -> rollup (per meter and month):\n";
  for (const auto& st : d.energy.readings) {
    s += fmt::format("   {}{:<28} {} {:>16.3f} {:<4} ({} readings)\n", st.sign < 0 ? "−" : "+",
                     st.meter, energy::MonthLabel(st.month), st.amount,
                     units::GetCarrierInfo(st.carrier).canonical_unit, st.readings);
  }
  s += "2. 折标系数 / tce factors:\n";
  for (const auto& f : d.energy.factors) {
    s += fmt::format("   {} {:<12} {:<15} {:.9g} tce/{}  [{}] {} ({}; {})\n",
                     energy::MonthLabel(f.month), units::GetCarrierInfo(f.carrier).code,
                     energy::MethodName(f.method), f.tce_per_unit,
                     units::GetCarrierInfo(f.carrier).canonical_unit, f.row.id, f.row.source,
                     f.row.dataset, f.row.confidence);
  }
  s += fmt::format("   = {:.4f} tce (当量值 equivalent), {:.4f} tce (等价值 coal-equivalent)\n",
                   d.energy.tce[0], d.energy.tce[1]);
  s += "3. 排放因子 / emission factors:\n";
  for (const auto& u : d.factors) {
    std::string ids;
    for (const auto& r : u.rows) ids += (ids.empty() ? "" : ", ") + r.id;
    s += fmt::format("   {} {:<12} {:<16} {:>14.3f} × {} = {:.4f} tCO2  [{}]\n",
                     energy::MonthLabel(u.month), units::GetCarrierInfo(u.carrier).code, u.scope,
                     u.amount, u.formula, u.tco2, ids);
  }
  for (const auto& p : d.process) {
    s += fmt::format("   工业过程 / process {} {} {:.3f} tCO2 ({})\n", p.item,
                     model::FormatDataPeriod(p.period), p.value, p.source);
  }
  for (const auto& g : d.green) {
    s += fmt::format("   绿电 / green {} {} {:.0f} kWh {} ({})\n", g.enterprise_code,
                     energy::MonthLabel(g.month), g.kwh, g.reference, g.kind);
  }
  s += fmt::format(
      "4. 结果 / result: 范围一 scope 1 {:.4f} + 过程 process {:.4f} + 范围二 scope 2 {:.4f} "
      "(位置 location) / {:.4f} (市场 market) = {:.4f} / {:.4f} tCO2\n",
      d.scope1_fuel, d.scope1_process, d.scope2[0], d.scope2[1], d.total[0], d.total[1]);
  return s;
}

std::string CoreIndicatorJson(const CarbonAccounts& a, int32_t year) {
  const energy::Accounts& en = a.energy();
  const energy::Input& in = en.input();
  const int32_t from = std::max(in.from_month, MonthIndex(year, 1));
  const int32_t to = std::min(in.to_month, MonthIndex(year + 1, 1));
  std::array<double, 2> tce{}, co2{};
  double clean_eq = 0, clean_ceq = 0;
  int32_t months_with_readings = 0;
  for (int32_t m = from; m < to; ++m) {
    bool any = false;
    for (int32_t e = 0; e < en.entities() && !any; ++e) {
      for (const auto& info : units::AllCarriers())
        any = any || en.Readings(e, m, info.carrier) > 0;
    }
    months_with_readings += any ? 1 : 0;
  }
  // The park's year from the reports themselves (one row, group "park").
  if (from < to) {
    energy::ReportQuery q;
    q.group = energy::Group::kPark;
    q.period = energy::Period::kYear;
    q.from_month = from;
    q.to_month = to;
    Result<std::vector<energy::EnergyRow>> energy_rows = energy::EnergyReport(en, q);
    Result<std::vector<CarbonRow>> carbon_rows = CarbonReport(a, q);
    if (energy_rows.ok()) {
      for (const energy::EnergyRow& r : *energy_rows) {
        tce[0] += r.tce[0];
        tce[1] += r.tce[1];
        clean_eq += r.clean_share[0] * r.tce[0];
        clean_ceq += r.clean_share[1] * r.tce[1];
      }
    }
    if (carbon_rows.ok()) {
      for (const CarbonRow& r : *carbon_rows) {
        co2[0] += r.total[0];
        co2[1] += r.total[1];
      }
    }
  }
  // Size band by the park's annual comprehensive energy consumption (coal-equivalent value).
  const double band_tce = tce[1];
  const double target = band_tce >= 1'000'000 ? 0.3 : 0.2;
  auto ratio = [](double x, double y) { return y != 0 ? json(x / y) : json(nullptr); };
  json out{
      {"year", year},
      {"months", to - from},
      {"months_with_readings", months_with_readings},
      {"tce", {{"equivalent", tce[0]}, {"coal_equivalent", tce[1]}}},
      {"tco2", {{"location", co2[0]}, {"market", co2[1]}}},
      {"tco2_per_tce",
       {{"market",
         {{"equivalent", ratio(co2[1], tce[0])}, {"coal_equivalent", ratio(co2[1], tce[1])}}},
        {"location",
         {{"equivalent", ratio(co2[0], tce[0])}, {"coal_equivalent", ratio(co2[0], tce[1])}}}}},
      {"target_tco2_per_tce", target},
      {"target_note",
       band_tce < 200'000
           ? "园区年综合能耗低于20万tce, 国家标准未给出该档目标, 按0.2参照 / Below 200,000 tce a "
             "year the notice gives no band; 0.2 shown for reference"
           : (band_tce >= 1'000'000 ? "≥100万tce: ≤0.3 tCO2/tce" : "20万–100万tce: ≤0.2 tCO2/tce")},
      {"target_source",
       "发改环资〔2025〕910号 核心指标 (standards.md §1.2, SECONDARY: tm-ep.cn; 21世纪经济报道)"},
      {"clean_share",
       {{"equivalent", ratio(clean_eq, tce[0])}, {"coal_equivalent", ratio(clean_ceq, tce[1])}}},
      {"target_clean_share", 0.9},
      {"target_clean_share_source",
       "引导性指标 清洁能源消费占比 ≥90% (standards.md §1.2, SECONDARY: "
       "shangjiandao.com)"}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace zp::carbon
