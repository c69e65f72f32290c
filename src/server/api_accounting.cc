// Energy and carbon accounting, reference data and enterprise data endpoints.

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api.h"
#include "params.h"
#include "zp/base/time.h"
#include "zp/carbon/service.h"
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
  return JsonResponse(json{
      {"grid_scope", carbon::GridScopeName(o->grid_scope)},
      {"fuel_datasets", o->fuel_datasets},
      {"fuel", fuels}}.dump());
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
    } else if (key == "fuel" && value.is_object()) {
      for (const auto& [carrier, fuel] : value.items()) {
        auto c = units::ParseCarrier(carrier);
        if (!c.ok() || !fuel.is_string()) {
          return ErrorResponse(InvalidArgumentError("fuel: {\"<carrier>\": \"<fuel code>\"}"));
        }
        o->fuel_of[*c] = fuel.get<std::string>();
      }
    } else {
      return ErrorResponse(InvalidArgumentError(
          fmt::format("unknown or mistyped field '{}' (grid_scope, fuel_datasets, fuel)", key)));
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
