// Energy and carbon accounting, reference data and enterprise data endpoints.

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "api.h"
#include "json_mapping.h"
#include "params.h"
#include "zp/base/time.h"
#include "zp/carbon/service.h"
#include "zp/refdata/refdata.h"
#include "zp/report/table.h"

namespace zp::server {
namespace {

using nlohmann::json;

HttpResponse TableResponse(const report::Table& t, std::string_view format, bool bom,
                           std::string_view filename) {
  HttpResponse resp;
  if (format == "xlsx") {
    Result<std::string> x = report::ToXlsx(t);
    if (!x.ok()) return ErrorResponse(x.status());
    resp.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    resp.body = std::move(*x);
    resp.headers.emplace_back("Content-Disposition",
                              fmt::format("attachment; filename=\"{}.xlsx\"", filename));
    return resp;
  }
  resp.content_type = "text/csv; charset=utf-8";
  resp.body = report::ToCsv(t, report::HeaderStyle::kKeys, false, bom);
  resp.headers.emplace_back("Content-Disposition",
                            fmt::format("attachment; filename=\"{}.csv\"", filename));
  return resp;
}

// from/to ("2025", "2025-03") or year; default: the service's default year.
Result<std::pair<int32_t, int32_t>> MonthsOf(const HttpRequest& r,
                                             carbon::AccountingService& service) {
  const auto year = r.Query("year");
  const auto from = r.Query("from");
  const auto to = r.Query("to");
  if (year && (from || to)) {
    return InvalidArgumentError("give either 'year' or 'from'/'to', not both");
  }
  if (year) {
    auto range = carbon::ParseMonthRange(*year, "");
    if (!range.ok())
      return InvalidArgumentError("query parameter 'year': " + range.status().message());
    if (range->second - range->first != 12) {
      return InvalidArgumentError("query parameter 'year': expected a year such as 2025");
    }
    return range;
  }
  if (from) {
    auto range = carbon::ParseMonthRange(*from, to ? *to : std::string_view());
    if (!range.ok())
      return InvalidArgumentError("query parameters 'from'/'to': " + range.status().message());
    return range;
  }
  if (to) return InvalidArgumentError("'to' needs 'from'");
  const int32_t y = service.DefaultYear();
  return std::pair{MonthIndex(y, 1), MonthIndex(y + 1, 1)};
}

Result<energy::ReportQuery> ReportQueryOf(const HttpRequest& r,
                                          carbon::AccountingService& service) {
  energy::ReportQuery q;
  q.group = energy::Group::kEnterprise;
  q.period = energy::Period::kYear;
  if (auto by = r.Query("by")) {
    ZP_ASSIGN_OR_RETURN(q.group, energy::ParseGroup(*by));
  }
  if (auto p = r.Query("period")) {
    ZP_ASSIGN_OR_RETURN(q.period, energy::ParsePeriod(*p));
  }
  ZP_ASSIGN_OR_RETURN(auto months, MonthsOf(r, service));
  q.from_month = months.first;
  q.to_month = months.second;
  q.enterprises = r.QueryList("enterprise");
  q.zones = r.QueryList("zone");
  if (auto ind = r.Query("industry")) q.industry_prefix = std::string(*ind);
  return q;
}

std::string_view FormatOf(const HttpRequest& r) {
  auto f = r.Query("format");
  return f ? *f : std::string_view("json");
}

}  // namespace

HttpResponse Api::EnergyReport(const HttpRequest& r) {
  auto q = ReportQueryOf(r, accounting_);
  if (!q.ok()) return ErrorResponse(q.status());
  auto a = accounting_.Accounts(q->from_month, q->to_month);
  if (!a.ok()) return ErrorResponse(a.status());
  auto rows = energy::EnergyReport((*a)->energy(), *q);
  if (!rows.ok()) return ErrorResponse(rows.status());
  const std::string_view format = FormatOf(r);
  if (format == "csv" || format == "xlsx") {
    auto bom = ParseBoolParam(r, "bom", false);
    if (!bom.ok()) return ErrorResponse(bom.status());
    return TableResponse(carbon::EnergyTable(*rows, *q), format, *bom, "energy");
  }
  return JsonResponse(carbon::EnergyJson(**a, *rows, *q));
}

HttpResponse Api::CarbonReport(const HttpRequest& r) {
  auto q = ReportQueryOf(r, accounting_);
  if (!q.ok()) return ErrorResponse(q.status());
  auto a = accounting_.Accounts(q->from_month, q->to_month);
  if (!a.ok()) return ErrorResponse(a.status());
  auto rows = carbon::CarbonReport(**a, *q);
  if (!rows.ok()) return ErrorResponse(rows.status());
  const std::string_view format = FormatOf(r);
  if (format == "csv" || format == "xlsx") {
    auto bom = ParseBoolParam(r, "bom", false);
    if (!bom.ok()) return ErrorResponse(bom.status());
    return TableResponse(carbon::CarbonTable(*rows, *q), format, *bom, "carbon");
  }
  return JsonResponse(carbon::CarbonJson(**a, *rows, *q));
}

HttpResponse Api::Derivation(const HttpRequest& r) {
  const auto entity = r.Query("entity");
  if (!entity || entity->empty()) {
    return ErrorResponse(InvalidArgumentError(
        "query parameter 'entity' is required: an enterprise code, PARK (own use and losses) or "
        "park (total)"));
  }
  auto months = MonthsOf(r, accounting_);
  if (!months.ok()) return ErrorResponse(months.status());
  std::optional<units::Carrier> carrier;
  if (auto c = r.Query("carrier")) {
    auto parsed = units::ParseCarrier(*c);
    if (!parsed.ok())
      return ErrorResponse(
          InvalidArgumentError("query parameter 'carrier': " + parsed.status().message()));
    carrier = *parsed;
  }
  auto a = accounting_.Accounts(months->first, months->second);
  if (!a.ok()) return ErrorResponse(a.status());
  auto d = carbon::ExplainCarbon(**a, *entity, months->first, months->second, carrier);
  if (!d.ok()) return ErrorResponse(d.status());
  if (FormatOf(r) == "text") {
    HttpResponse resp;
    resp.content_type = "text/plain; charset=utf-8";
    resp.body = carbon::DerivationText(*d);
    return resp;
  }
  return JsonResponse(carbon::DerivationJson(*d));
}

HttpResponse Api::CoreIndicator(const HttpRequest& r) {
  auto months = MonthsOf(r, accounting_);
  if (!months.ok()) return ErrorResponse(months.status());
  const int32_t year = MonthIndexYear(months->first);
  auto a = accounting_.Accounts(MonthIndex(year, 1), MonthIndex(year + 1, 1));
  if (!a.ok()) return ErrorResponse(a.status());
  return JsonResponse(carbon::CoreIndicatorJson(**a, year));
}

HttpResponse Api::Today(const HttpRequest& r) {
  const TimeZone& zone = engine_.zone();
  const int64_t now = Now();
  const int32_t today = zone.LocalDay(now);
  int32_t day = today;
  if (auto d = r.Query("date"); d && !d->empty()) {
    Result<int32_t> parsed = refdata::ParseDay(*d);
    if (!parsed.ok()) {
      return ErrorResponse(InvalidArgumentError(
          "query parameter 'date': expected a date such as 2025-06-30 / 日期格式错误"));
    }
    day = *parsed;
  } else if (std::optional<int32_t> latest = LatestDataDay(); latest && *latest < today) {
    day = *latest;  // no readings today (a park whose data ends earlier): its latest day
  }
  const int64_t day_start = zone.DayStart(day);
  const int64_t day_end = zone.DayStart(day + 1);

  // The park's electricity load per hour, this day and the one before.
  engine::SumQuery q;
  q.group_by = engine::GroupBy::kPark;
  q.period = engine::Period::kHour;
  q.carrier = units::Carrier::kElectricity;
  q.from_s = zone.DayStart(day - 1);
  q.to_s = day_end;
  Result<std::vector<engine::SumRow>> hours = engine_.Sums(q);
  if (!hours.ok()) return ErrorResponse(hours.error());
  json load_today = json::array();
  json load_before = json::array();
  json latest_kw = nullptr;
  json latest_hour = nullptr;
  int64_t as_of = -1;
  for (const engine::SumRow& h : *hours) {
    if (h.readings == 0) continue;
    json point = {{"hour", FormatTimestamp(h.period_start_s, zone)},
                  {"kw", h.value},  // kWh in one hour = the hour's average kW
                  {"readings", h.readings},
                  {"complete", h.period_start_s + 3600 <= now}};
    if (h.period_start_s >= day_start) {
      load_today.push_back(std::move(point));
      as_of = std::max(as_of, std::min(h.period_start_s + 3600, now));
      if (h.period_start_s + 3600 <= now) {  // complete hours only
        latest_kw = h.value;
        latest_hour = FormatTimestamp(h.period_start_s, zone);
      }
    } else {
      load_before.push_back(std::move(point));
    }
  }

  // The day's energy and carbon with its month's factors.
  auto a = accounting_.DayAccounts(day);
  if (!a.ok()) return ErrorResponse(a.status());
  energy::ReportQuery rq;
  rq.period = energy::Period::kMonth;
  rq.from_month = zone.LocalMonth(day_start);
  rq.to_month = rq.from_month + 1;
  auto two = [](const std::array<double, 2>& v) {
    return json{{"equivalent", v[0]}, {"coal_equivalent", v[1]}};
  };
  auto scope2 = [](const std::array<double, 2>& v) {
    return json{{"location", v[0]}, {"market", v[1]}};
  };
  rq.group = energy::Group::kPark;
  auto park = carbon::CarbonReport(**a, rq);
  if (!park.ok()) return ErrorResponse(park.status());
  auto park_energy = energy::EnergyReport((*a)->energy(), rq);
  if (!park_energy.ok()) return ErrorResponse(park_energy.status());
  json energy_json = {{"tce", two({0, 0})}, {"electricity_kwh", 0}, {"readings", 0}};
  json carbon_json = {
      {"scope1_tco2", 0}, {"scope2_tco2", scope2({0, 0})}, {"total_tco2", scope2({0, 0})}};
  if (!park_energy->empty()) {
    const energy::EnergyRow& e = park_energy->front();
    energy_json = {{"tce", two(e.tce)},
                   {"electricity_kwh", e.electricity_kwh},
                   {"electricity_share", two(e.electricity_share)},
                   {"readings", e.readings}};
  }
  if (!park->empty()) {
    const carbon::CarbonRow& c = park->front();
    carbon_json = {{"scope1_tco2", c.scope1_fuel + c.scope1_process},
                   {"scope2_tco2", scope2(c.scope2)},
                   {"total_tco2", scope2(c.total)}};
  }
  rq.group = energy::Group::kCarrier;
  auto carriers = energy::EnergyReport((*a)->energy(), rq);
  if (!carriers.ok()) return ErrorResponse(carriers.status());
  json carriers_json = json::array();
  for (const energy::EnergyRow& c : *carriers) {
    carriers_json.push_back({{"carrier", c.group},
                             {"name", c.name},
                             {"amount", c.amount},
                             {"unit", c.unit},
                             {"tce", two(c.tce)}});
  }
  rq.group = energy::Group::kEnterprise;
  auto enterprises = carbon::CarbonReport(**a, rq);
  if (!enterprises.ok()) return ErrorResponse(enterprises.status());
  std::vector<const carbon::CarbonRow*> top;
  for (const carbon::CarbonRow& c : *enterprises) {
    if (c.group != "PARK" && c.tce[0] > 0) top.push_back(&c);
  }
  std::sort(top.begin(), top.end(), [](const carbon::CarbonRow* x, const carbon::CarbonRow* y) {
    return x->tce[0] != y->tce[0] ? x->tce[0] > y->tce[0] : x->group < y->group;
  });
  if (top.size() > 10) top.resize(10);
  json top_json = json::array();
  for (const carbon::CarbonRow* c : top) {
    top_json.push_back({{"code", c->group},
                        {"name", c->name},
                        {"tce", two(c->tce)},
                        {"total_tco2", scope2(c->total)}});
  }

  // Readings expected and received so far (the whole day for a past day).
  std::vector<std::string> meters;
  for (const model::Meter& m : engine_.ListMeters()) {
    if (m.kind != model::MeterKind::kVirtual) meters.push_back(m.code);
  }
  int64_t expected = 0;
  int64_t received = 0;
  if (!meters.empty()) {
    Result<std::vector<engine::CompletenessRow>> rows = CompletenessSoFar(meters, day, day + 1);
    if (!rows.ok()) return ErrorResponse(rows.error());
    for (const engine::CompletenessRow& row : *rows) {
      expected += row.expected;
      received += std::min(row.received, row.expected);
    }
  }

  json body = {
      {"date", FormatLocalDay(day)},
      {"today", FormatLocalDay(today)},
      {"live", day == today},
      {"as_of", as_of >= 0 ? json(FormatTimestamp(as_of, zone)) : json(nullptr)},
      {"load",
       {{"unit", "kW"},
        {"latest_kw", latest_kw},
        {"latest_hour", latest_hour},
        {"hours", std::move(load_today)},
        {"previous_day", std::move(load_before)}}},
      {"energy", std::move(energy_json)},
      {"carbon", std::move(carbon_json)},
      {"carriers", std::move(carriers_json)},
      {"top", std::move(top_json)},
      {"completeness",
       {{"expected", expected},
        {"received", received},
        {"ratio", expected > 0 ? json(static_cast<double>(received) / expected) : json(nullptr)}}},
      {"note",
       (*a)->energy().green_source_name() == "hourly"
           ? "当日能耗、范围一燃料排放和范围二排放按当日读数与当月因子计算，绿电按当日逐时匹配；"
             "工业过程排放和增加值按月核算 / "
             "Energy, Scope 1 fuel and Scope 2 of the day's readings with its month's factors, "
             "green supply matched over the day's hours; process emissions and added value are "
             "accounted by month"
           : "当日能耗、范围一燃料排放和范围二排放按当日读数与当月因子计算；工业过程排放、绿电和增"
             "加"
             "值按月核算 / "
             "Energy, Scope 1 fuel and Scope 2 of the day's readings with its month's factors; "
             "process emissions, green supply and added value are accounted by month"}};
  return JsonResponse(Dump(body));
}

HttpResponse Api::ListRefData(const HttpRequest& r) {
  auto ref = accounting_.Ref();
  if (!ref.ok()) return ErrorResponse(ref.status());
  std::string table;
  if (auto t = r.Query("table")) table = std::string(*t);
  auto rows = (*ref)->Rows(table);
  if (WantsCsv(r)) {
    std::vector<refdata::FactorRow> copy;
    for (const auto* row : rows) copy.push_back(*row);
    HttpResponse resp;
    resp.content_type = "text/csv; charset=utf-8";
    resp.body = refdata::FactorRowsToCsv(copy);
    return resp;
  }
  json list = json::array();
  auto to_json = [](const refdata::FactorRow& x) {
    return json{{"id", x.id},
                {"table", x.table},
                {"dataset", x.dataset},
                {"item", x.item},
                {"variant", x.variant},
                {"region", x.region},
                {"value", x.value},
                {"unit", x.unit},
                {"valid_from", refdata::FormatDay(x.valid_from_day)},
                {"valid_to", refdata::FormatDay(x.valid_to_day)},
                {"source", x.source},
                {"confidence", x.confidence},
                {"note", x.note},
                {"layer", x.layer}};
  };
  for (const auto* row : rows) list.push_back(to_json(*row));
  json overridden = json::array();
  for (const auto* row : (*ref)->OverriddenRows()) {
    if (table.empty() || row->table == table) overridden.push_back(to_json(*row));
  }
  json out{{"fingerprint", (*ref)->fingerprint()}, {"rows", list}, {"overridden", overridden}};
  return JsonResponse(out.dump(-1, ' ', false, json::error_handler_t::replace));
}

HttpResponse Api::ImportRefData(const HttpRequest& r) {
  auto n = accounting_.ImportParkRows(r.body, "uploaded park rows");
  if (!n.ok()) return ErrorResponse(n.status());
  return JsonResponse(fmt::format(R"({{"imported":{}}})", *n));
}

HttpResponse Api::DeleteRefData(const HttpRequest& r) {
  Status s = accounting_.DeleteParkRow(r.PathParam("id"));
  if (!s.ok()) return ErrorResponse(s);
  HttpResponse resp;
  resp.status = 204;
  resp.content_type.clear();
  return resp;
}

HttpResponse Api::Provinces(const HttpRequest&) {
  auto ref = accounting_.Ref();
  if (!ref.ok()) return ErrorResponse(ref.status());
  json list = json::array();
  for (const auto& p : (*ref)->provinces()) {
    list.push_back(json{{"code", p.code},
                        {"name_zh", p.name_zh},
                        {"name_en", p.name_en},
                        {"grid_region", p.grid_region}});
  }
  json regions = json::array();
  for (const auto& g : (*ref)->grid_regions()) {
    regions.push_back(json{{"code", g.code}, {"name_zh", g.name_zh}, {"name_en", g.name_en}});
  }
  return JsonResponse(json{{"provinces", list}, {"grid_regions", regions}}.dump());
}

HttpResponse Api::GetAccountingSettings(const HttpRequest&) {
  auto o = accounting_.CarbonOptions();
  if (!o.ok()) return ErrorResponse(o.status());
  json fuels = json::object();
  for (const auto& [c, f] : o->fuel_of) fuels[std::string(units::GetCarrierInfo(c).code)] = f;
  return JsonResponse(json{{"grid_scope", carbon::GridScopeName(o->grid_scope)},
                           {"fuel_datasets", o->fuel_datasets},
                           {"fuel", fuels},
                           {"green_source", carbon::GreenSourceName(o->green_source)}}
                          .dump());
}

HttpResponse Api::PutAccountingSettings(const HttpRequest& r) {
  auto o = accounting_.CarbonOptions();
  if (!o.ok()) return ErrorResponse(o.status());
  json body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorResponse(InvalidArgumentError("body must be a JSON object"));
  }
  for (const auto& [key, value] : body.items()) {
    if (key == "grid_scope" && value.is_string()) {
      auto s = carbon::ParseGridScope(value.get<std::string>());
      if (!s.ok()) return ErrorResponse(s.status());
      o->grid_scope = *s;
    } else if (key == "fuel_datasets" && value.is_array()) {
      o->fuel_datasets.clear();
      for (const auto& d : value) {
        if (!d.is_string()) return ErrorResponse(InvalidArgumentError("fuel_datasets: strings"));
        o->fuel_datasets.push_back(d.get<std::string>());
      }
    } else if (key == "green_source" && value.is_string()) {
      auto g = carbon::ParseGreenSource(value.get<std::string>());
      if (!g.ok()) return ErrorResponse(g.status().WithContext("green_source"));
      o->green_source = *g;
    } else if (key == "fuel" && value.is_object()) {
      for (const auto& [carrier, fuel] : value.items()) {
        auto c = units::ParseCarrier(carrier);
        if (!c.ok() || !fuel.is_string()) {
          return ErrorResponse(InvalidArgumentError("fuel: {\"<carrier>\": \"<fuel code>\"}"));
        }
        o->fuel_of[*c] = fuel.get<std::string>();
      }
    } else {
      return ErrorResponse(InvalidArgumentError(fmt::format(
          "unknown or mistyped field '{}' (grid_scope, fuel_datasets, fuel, green_source)", key)));
    }
  }
  // Check the new options can compute the default year before keeping them.
  if (Status s = accounting_.PutCarbonOptions(*o); !s.ok()) return ErrorResponse(s);
  return GetAccountingSettings(r);
}

// --- enterprise data.

HttpResponse Api::ListEnterpriseData(const HttpRequest& r) {
  const std::vector<std::string> enterprises = r.QueryList("enterprise");
  std::string indicator;
  if (auto i = r.Query("indicator")) indicator = std::string(*i);
  auto history = ParseBoolParam(r, "history", false);
  if (!history.ok()) return ErrorResponse(history.status());
  auto rows = engine_.EnterpriseData(enterprises.size() == 1 ? enterprises[0] : std::string(),
                                     indicator, *history);
  if (!rows.ok()) return ErrorResponse(rows.status());
  if (enterprises.size() > 1) {
    std::set<std::string, std::less<>> wanted(enterprises.begin(), enterprises.end());
    std::erase_if(*rows, [&](const model::EnterpriseDatum& d) {
      return wanted.count(d.enterprise_code) == 0;
    });
  }
  if (WantsCsv(r)) {
    HttpResponse resp;
    resp.content_type = "text/csv; charset=utf-8";
    resp.body = model::EnterpriseDataToCsv(*rows, *history);
    return resp;
  }
  json list = json::array();
  for (const auto& d : *rows) {
    json j{{"seq", d.seq},
           {"enterprise_code", d.enterprise_code},
           {"indicator", d.indicator},
           {"item", d.item},
           {"period", model::FormatDataPeriod(d.period)},
           {"value", d.value},
           {"unit", d.unit},
           {"source", d.source},
           {"note", d.note},
           {"recorded", FormatTimestamp(d.recorded_s, engine_.zone())}};
    if (*history) j["deleted"] = d.deleted;
    list.push_back(std::move(j));
  }
  return JsonResponse(json{{"rows", list}}.dump(-1, ' ', false, json::error_handler_t::replace));
}

HttpResponse Api::PutEnterpriseData(const HttpRequest& r) {
  const std::string source =
      fmt::format("{} {} by {} from {}", r.method, r.path,
                  r.scope != nullptr ? r.scope->actor : std::string("-"), r.remote_addr);
  std::vector<model::EnterpriseDatum> rows;
  if (r.content_type.starts_with("text/csv")) {
    auto parsed = model::ParseEnterpriseDataCsv(r.body, "uploaded CSV");
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    rows = std::move(*parsed);
    for (auto& d : rows) d.source = source + " (" + d.source + ")";
  } else {
    json body = json::parse(r.body, nullptr, false);
    if (body.is_object() && body.contains("rows")) body = body["rows"];
    if (body.is_discarded() || !body.is_array()) {
      return ErrorResponse(InvalidArgumentError(
          "body must be a JSON array of {enterprise_code, indicator, item, period, value, unit, "
          "note} or CSV (Content-Type: text/csv)"));
    }
    int i = 0;
    for (const auto& x : body) {
      ++i;
      if (!x.is_object()) {
        return ErrorResponse(InvalidArgumentError(fmt::format("row {}: not an object", i)));
      }
      model::EnterpriseDatum d;
      try {
        d.enterprise_code = x.value("enterprise_code", "");
        d.indicator = x.value("indicator", "");
        d.item = x.value("item", "");
        d.unit = x.value("unit", "");
        d.note = x.value("note", "");
        if (!x.contains("value") || !x["value"].is_number()) {
          return ErrorResponse(
              InvalidArgumentError(fmt::format("row {}: 'value' must be a number", i)));
        }
        d.value = x["value"].get<double>();
        auto p = model::ParseDataPeriod(x.value("period", ""));
        if (!p.ok()) {
          return ErrorResponse(
              InvalidArgumentError(fmt::format("row {}: period: {}", i, p.status().message())));
        }
        d.period = *p;
      } catch (const std::exception& e) {
        return ErrorResponse(InvalidArgumentError(fmt::format("row {}: {}", i, e.what())));
      }
      d.source = source;
      rows.push_back(std::move(d));
    }
  }
  if (rows.empty()) return ErrorResponse(InvalidArgumentError("no rows"));
  if (r.scope != nullptr) {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!r.scope->AllowsEnterprise(rows[i].enterprise_code)) {
        return ErrorResponse(403, StatusCode::kPermissionDenied,
                             fmt::format("row {}: enterprise '{}' is outside your scope; nothing "
                                         "was stored / 无权录入",
                                         i + 1, rows[i].enterprise_code));
      }
    }
  }
  auto stored = engine_.PutEnterpriseData(std::move(rows));
  if (!stored.ok()) return ErrorResponse(stored.status());
  return JsonResponse(fmt::format(R"({{"stored":{}}})", stored->size()));
}

HttpResponse Api::DeleteEnterpriseData(const HttpRequest& r) {
  const auto e = r.Query("enterprise"), i = r.Query("indicator"), p = r.Query("period");
  if (!e || !i || !p) {
    return ErrorResponse(InvalidArgumentError(
        "query parameters 'enterprise', 'indicator' and 'period' are required"));
  }
  auto period = model::ParseDataPeriod(*p);
  if (!period.ok()) return ErrorResponse(period.status());
  const auto item = r.Query("item");
  Status s =
      engine_.DeleteEnterpriseDatum(*e, *i, item ? *item : std::string_view(), *period,
                                    fmt::format("{} {} from {}", r.method, r.path, r.remote_addr));
  if (!s.ok()) return ErrorResponse(s);
  HttpResponse resp;
  resp.status = 204;
  resp.content_type.clear();
  return resp;
}

}  // namespace zp::server
