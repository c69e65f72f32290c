#include "api.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <exception>

#include "json_mapping.h"
#include "landing_page.h"
#include "openapi.h"
#include "params.h"
#include "zp/base/logging.h"
#include "zp/ingest/parsers.h"
#include "zp/ingest/pipeline.h"
#include "zp/server/csv_import.h"
#include "zp/server/server.h"

#ifndef ZP_VERSION
#define ZP_VERSION "0.0.0"
#endif

namespace zp::server {

std::string_view Version() { return ZP_VERSION; }

namespace {

using nlohmann::json;

// Error lists in responses are cut to this many entries.
constexpr size_t kMaxErrorsShown = 100;
// Landing-page examples are recomputed at most this often.
constexpr int64_t kExamplesTtlS = 300;

std::vector<LineError> FirstErrors(const std::vector<ingest::RowError>& errors) {
  std::vector<LineError> out;
  const size_t n = std::min(errors.size(), kMaxErrorsShown);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(LineError{errors[i].line, errors[i].reason});
  return out;
}

std::vector<std::string> RouteLabels(const std::vector<Route>& routes) {
  std::vector<std::string> labels;
  labels.reserve(routes.size());
  for (const Route& r : routes) labels.push_back(r.method + " " + r.path);
  return labels;
}

std::string Source(const HttpRequest& r) {
  return fmt::format("{} {} by {} from {}", r.method, r.path,
                     r.scope != nullptr && !r.scope->actor.empty() ? r.scope->actor : "-",
                     r.remote_addr.empty() ? "unknown" : r.remote_addr);
}

}  // namespace

Api::Api(engine::Engine& engine, ApiOptions options)
    : engine_(engine),
      options_(options),
      accounting_(engine),
      auth_(engine.store()),
      router_(BuildRoutes()),
      metrics_(RouteLabels(router_.routes())),
      openapi_json_(BuildOpenApi(router_.routes(), Version())) {}

int64_t Api::Now() const {
  if (options_.now_s != 0) return options_.now_s;
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpResponse Api::Handle(HttpRequest& request, int* route) {
  *route = -1;
  try {
    std::vector<std::string> allowed;
    const int index = router_.Find(request.method, request.path, &request.path_params, &allowed);
    if (index < 0) {
      if (!allowed.empty()) {
        HttpResponse r =
            ErrorResponse(405, StatusCode::kInvalidArgument,
                          fmt::format("method {} is not allowed on {}; allowed: {}", request.method,
                                      request.path, fmt::join(allowed, ", ")));
        r.headers.emplace_back("Allow", fmt::format("{}", fmt::join(allowed, ", ")));
        return r;
      }
      return ErrorResponse(404, StatusCode::kNotFound,
                           fmt::format("no such endpoint: {} {} (see /api/v1/openapi.json)",
                                       request.method, request.path));
    }
    *route = index;
    const Route& matched = router_.routes()[static_cast<size_t>(index)];
    if (Status s = Router::CheckQuery(matched, request); !s.ok()) return ErrorResponse(s);
    RequestScope scope;
    std::optional<auth::Principal> principal;
    const bool write = request.method != "GET" && request.method != "HEAD";
    if (std::optional<HttpResponse> refused = Authorize(matched, request, &scope, &principal)) {
      if (write) Audit(matched, request, scope, "", *refused);
      return *refused;
    }
    if (principal) scope.principal = &*principal;
    request.scope = &scope;
    std::string before;
    if (write && matched.audit_state) before = matched.audit_state(request);
    HttpResponse response = matched.handler(request);
    if (write) {
      if (!matched.audit_failures_only || response.status >= 400) {
        Audit(matched, request, scope, std::move(before), response);
      }
      // Any write may change what the accounts are computed from.
      accounting_.Invalidate();
    }
    request.scope = nullptr;
    return response;
  } catch (const std::exception& e) {
    LogError("{} {}: unhandled exception: {}", request.method, request.path, e.what());
    return ErrorResponse(500, StatusCode::kInternal, fmt::format("internal error: {}", e.what()));
  } catch (...) {
    LogError("{} {}: unhandled non-standard exception", request.method, request.path);
    return ErrorResponse(500, StatusCode::kInternal, "internal error");
  }
}

// --- site

Api::Examples Api::FindExamples() {
  const int64_t now = Now();
  {
    std::lock_guard<std::mutex> lock(examples_mutex_);
    if (examples_.computed_at_s != 0 && now - examples_.computed_at_s < kExamplesTtlS &&
        now >= examples_.computed_at_s) {
      return examples_;
    }
  }
  Examples ex;
  ex.computed_at_s = now;
  const std::vector<model::Zone> zones = engine_.ListZones();
  if (!zones.empty()) ex.zone = zones.front().code;
  const std::vector<model::Enterprise> enterprises = engine_.ListEnterprises();
  if (!enterprises.empty()) ex.enterprise = enterprises.front().code;
  // The first physical electricity meter of an enterprise, else any physical meter.
  const std::vector<model::Meter> meters = engine_.ListMeters();
  for (const model::Meter& m : meters) {
    if (m.kind == model::MeterKind::kVirtual) continue;
    if (ex.meter.empty()) ex.meter = m.code;
    if (!m.enterprise_code.empty() && m.carrier == units::Carrier::kElectricity) {
      ex.meter = m.code;
      ex.enterprise = m.enterprise_code;
      break;
    }
  }
  if (!ex.meter.empty()) {
    // Narrow down to the latest day with data: year, then month, then day.
    const TimeZone& zone = engine_.zone();
    auto latest = [&](engine::Period period, int64_t from_s, int64_t to_s) -> int64_t {
      engine::SumQuery q;
      q.group_by = engine::GroupBy::kMeter;
      q.period = period;
      q.meters = {ex.meter};
      q.from_s = from_s;
      q.to_s = to_s;
      Result<std::vector<engine::SumRow>> rows = engine_.Sums(q);
      int64_t best = INT64_MIN;
      if (!rows.ok()) return best;
      for (const engine::SumRow& row : *rows) {
        if (row.readings > 0) best = std::max(best, row.period_start_s);
      }
      return best;
    };
    const int32_t this_month = zone.LocalMonth(now);
    const int64_t year_start = latest(engine::Period::kYear, zone.MonthStart(this_month - 30 * 12),
                                      zone.MonthStart(this_month + 24));
    if (year_start != INT64_MIN) {
      const int32_t first_month = zone.LocalMonth(year_start);
      const int64_t month_start =
          latest(engine::Period::kMonth, year_start, zone.MonthStart(first_month + 12));
      if (month_start != INT64_MIN) {
        const int32_t month = zone.LocalMonth(month_start);
        const int64_t day_start =
            latest(engine::Period::kDay, month_start, zone.MonthStart(month + 1));
        if (day_start != INT64_MIN) ex.day = zone.LocalDay(day_start);
      }
    }
  }
  std::lock_guard<std::mutex> lock(examples_mutex_);
  examples_ = ex;
  return ex;
}

HttpResponse Api::Landing(const HttpRequest& r) {
  LandingInfo info;
  info.park = engine_.GetPark();
  info.zones = engine_.ListZones().size();
  info.enterprises = engine_.ListEnterprises().size();
  info.meters = engine_.ListMeters().size();
  info.version = std::string(Version());
  info.backend = std::string(engine_.store().backend());
  info.routes = &router_.routes();
  if (r.scope != nullptr && !r.scope->actor.empty()) {
    info.signed_in_as = fmt::format("{} ({})", r.scope->actor, r.scope->role);
  }
  // Example links name enterprises and meters: only for callers who may see the whole park.
  const bool examples = r.scope != nullptr && !r.scope->actor.empty() && !r.scope->restricted;
  const Examples ex = examples ? FindExamples() : Examples{};
  info.example_meter = ex.meter;
  info.example_enterprise = ex.enterprise;
  info.example_zone = ex.zone;
  // Without data the examples point at today.
  const TimeZone& zone = engine_.zone();
  const int32_t day = ex.day != 0 ? ex.day : zone.LocalDay(Now());
  const CivilDate date = CivilFromDays(day);
  info.day_from = FormatLocalDay(day);
  info.day_to = FormatLocalDay(day + 1);
  info.month_from = FormatLocalDay(DaysFromCivil(date.year, date.month, 1));
  info.month_to = FormatLocalDay(date.month == 12 ? DaysFromCivil(date.year + 1, 1, 1)
                                                  : DaysFromCivil(date.year, date.month + 1, 1));
  info.year_from = FormatLocalDay(DaysFromCivil(date.year, 1, 1));
  info.year_to = FormatLocalDay(DaysFromCivil(date.year + 1, 1, 1));
  HttpResponse resp;
  resp.content_type = "text/html; charset=utf-8";
  resp.body = RenderLandingPage(info);
  return resp;
}

HttpResponse Api::Health(const HttpRequest& r) {
  const engine::EngineStats stats = engine_.stats();
  json j = {{"status", "ok"},
            {"version", Version()},
            {"backend", engine_.store().backend()},
            {"park", engine_.GetPark().name},
            {"memtable_points", stats.memtable_points}};
  return JsonResponse(Dump(j));
}

HttpResponse Api::MetricsText(const HttpRequest& r) {
  HttpResponse resp;
  resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
  resp.body = metrics_.Render(engine_.stats());
  resp.body += EnvMetricsText();
  return resp;
}

HttpResponse Api::OpenApi(const HttpRequest& r) { return JsonResponse(openapi_json_); }

HttpResponse Api::Carriers(const HttpRequest& r) {
  json list = json::array();
  for (const units::CarrierInfo& c : units::AllCarriers()) {
    list.push_back({{"code", c.code},
                    {"name_zh", c.name_zh},
                    {"name_en", c.name_en},
                    {"canonical_unit", c.canonical_unit}});
  }
  return JsonResponse(Dump(json{{"carriers", std::move(list)}}));
}

// --- ingest

HttpResponse Api::WriteLineProtocol(const HttpRequest& r) {
  ingest::LineProtocolOptions options;
  if (auto precision = r.Query("precision")) {
    Result<ingest::Precision> p = ingest::ParsePrecision(*precision);
    if (!p.ok()) {
      return ErrorResponse(InvalidArgumentError(fmt::format(
          "query parameter 'precision': '{}' is not one of ns, us, ms, s", *precision)));
    }
    options.precision = *p;
  }
  if (auto tag = r.Query("meter_tag")) {
    if (tag->empty()) {
      return ErrorResponse(InvalidArgumentError("query parameter 'meter_tag' is empty"));
    }
    options.meter_tag = std::string(*tag);
  }
  options.default_ts_s = Now();
  std::vector<ingest::ParsedReading> parsed;
  std::vector<ingest::RowError> errors;
  ingest::ParseLineProtocol(r.body, options, &parsed, &errors);
  if (parsed.empty() && errors.empty()) return JsonResponse("", 204);

  ingest::IngestOptions ingest_options;
  ingest_options.mode = ingest::BatchMode::kKeepGood;
  ingest_options.allow_meter = AllowMeter(r);
  if (options_.now_s != 0) ingest_options.now_s = options_.now_s;
  Result<ingest::IngestReport> report =
      ingest::Ingest(engine_, parsed, std::move(errors), ingest_options, Source(r));
  if (!report.ok()) return ErrorResponse(report.error());
  if (report->errors.empty()) return JsonResponse("", 204);
  // Rejected lines, not rejected readings: a line may carry several fields.
  int64_t lines = 0;
  int32_t last_line = -1;
  for (const ingest::RowError& e : report->errors) {
    if (e.line != last_line || e.line == 0) ++lines;
    last_line = e.line;
  }
  return ErrorResponse(InvalidArgumentError(fmt::format("partial write: {} lines rejected", lines)),
                       FirstErrors(report->errors),
                       fmt::format(R"("accepted":{})", report->accepted));
}

HttpResponse Api::WriteJson(const HttpRequest& r) {
  std::vector<ingest::ParsedReading> parsed;
  std::vector<ingest::RowError> errors;
  ingest::ParseJsonReadings(r.body, engine_.zone(), &parsed, &errors);
  ingest::IngestOptions ingest_options;
  ingest_options.mode = ingest::BatchMode::kAllOrNothing;
  ingest_options.allow_meter = AllowMeter(r);
  if (options_.now_s != 0) ingest_options.now_s = options_.now_s;
  if (errors.empty() && parsed.empty()) {
    return ErrorResponse(InvalidArgumentError("no readings in the request body"));
  }
  Result<ingest::IngestReport> report =
      ingest::Ingest(engine_, parsed, std::move(errors), ingest_options, Source(r));
  if (!report.ok()) return ErrorResponse(report.error());
  if (!report->errors.empty()) {
    return ErrorResponse(
        InvalidArgumentError(fmt::format("{} of {} readings rejected; nothing was written",
                                         report->errors.size(), report->received)),
        FirstErrors(report->errors), R"("accepted":0)");
  }
  return JsonResponse(fmt::format(R"({{"accepted":{}}})", report->accepted));
}

HttpResponse Api::ImportReadingsCsv(const HttpRequest& r) {
  // Either a saved mapping (?mapping=NAME, the CSV file as the body) or an inline one (a JSON body
  // {"mapping":{...},"csv":"..."}, the dashboard's import page).
  Result<bool> dry_run = ParseBoolParam(r, "dry_run", false);
  if (!dry_run.ok()) return ErrorResponse(dry_run.error());
  Result<ingest::CsvMapping> mapping = InvalidArgumentError("no mapping");
  std::string inline_csv;
  std::string_view csv = r.body;
  if (auto name = r.Query("mapping")) {
    mapping = LoadCsvMapping(engine_, *name);
    if (!mapping.ok()) {
      // An unknown mapping is a bad parameter of this request, not a missing resource.
      return ErrorResponse(
          Status(mapping.error().code() == StatusCode::kNotFound ? StatusCode::kInvalidArgument
                                                                 : mapping.error().code(),
                 fmt::format("query parameter 'mapping': {}", mapping.error().message())));
    }
  } else {
    Result<json> body = ParseJsonBody(r.body);
    if (!body.ok() || !body->is_object() || !body->contains("mapping") || !body->contains("csv") ||
        !(*body)["csv"].is_string() || !(*body)["mapping"].is_object()) {
      return ErrorResponse(
          InvalidArgumentError("give a saved mapping (?mapping=NAME, CSV body) or a JSON body "
                               "{\"mapping\":{...},\"csv\":\"...\"} / 请指定映射"));
    }
    mapping = ingest::CsvMappingFromJson((*body)["mapping"].dump());
    if (!mapping.ok()) return ErrorResponse(mapping.error().WithContext("mapping"));
    if (mapping->name.empty()) mapping->name = "inline";
    inline_csv = (*body)["csv"].get<std::string>();
    csv = inline_csv;
  }
  CsvImportOptions options;
  options.source = Source(r);
  options.allow_meter = AllowMeter(r);
  options.dry_run = *dry_run;
  options.preview = 20;
  Result<CsvImportReport> report = ImportCsv(engine_, csv, *mapping, options);
  if (!report.ok()) return ErrorResponse(report.error());
  const TimeZone& zone = engine_.zone();
  json rejected = json::array();
  const size_t shown = std::min<size_t>(report->rejected.size(), 1000);
  for (size_t i = 0; i < shown; ++i) {
    rejected.push_back(
        {{"line", report->rejected[i].line}, {"reason", report->rejected[i].reason}});
  }
  json gaps = json::array();
  for (const SuspectedGap& g : report->suspected_gaps) {
    gaps.push_back({{"meter", g.meter},
                    {"from", FormatTimestamp(g.from_s, zone)},
                    {"to", FormatTimestamp(g.to_s, zone)},
                    {"readings", g.readings}});
  }
  json preview = json::array();
  for (const ingest::ParsedReading& p : report->preview) {
    preview.push_back({{"line", p.line},
                       {"meter", p.meter},
                       {"ts", FormatTimestamp(p.ts_s, zone)},
                       {"value", p.value},
                       {"unit", p.unit}});
  }
  json body = {{"mapping", mapping->name},
               {"dry_run", *dry_run},
               {"received", report->received},
               {"accepted", report->accepted},
               {"rejected_total", report->rejected.size()},
               {"rejected", std::move(rejected)},
               {"suspected_gaps", std::move(gaps)},
               {"preview", std::move(preview)}};
  return JsonResponse(Dump(body));
}

HttpResponse Api::ListMappings(const HttpRequest& r) {
  Result<std::vector<ingest::CsvMapping>> mappings = ListCsvMappings(engine_);
  if (!mappings.ok()) return ErrorResponse(mappings.error());
  json list = json::array();
  for (const ingest::CsvMapping& m : *mappings) {
    Result<json> j = ParseJsonBody(ingest::CsvMappingToJson(m));
    if (!j.ok()) return ErrorResponse(j.error().WithContext("mapping " + m.name));
    (*j)["name"] = m.name;
    list.push_back(std::move(*j));
  }
  return JsonResponse(Dump(json{{"mappings", std::move(list)}}));
}

HttpResponse Api::GetMapping(const HttpRequest& r) {
  Result<ingest::CsvMapping> mapping = LoadCsvMapping(engine_, r.PathParam("name"));
  if (!mapping.ok()) return ErrorResponse(mapping.error());
  return JsonResponse(ingest::CsvMappingToJson(*mapping));
}

HttpResponse Api::PutMapping(const HttpRequest& r) {
  const std::string name(r.PathParam("name"));
  Result<ingest::CsvMapping> mapping = ingest::CsvMappingFromJson(r.body);
  if (!mapping.ok()) return ErrorResponse(mapping.error().WithContext("mapping"));
  if (!mapping->name.empty() && mapping->name != name) {
    return ErrorResponse(InvalidArgumentError(
        fmt::format("mapping: field 'name' ('{}') differs from the name in the path ('{}')",
                    mapping->name, name)));
  }
  mapping->name = name;
  if (Status s = SaveCsvMapping(engine_, *mapping); !s.ok()) return ErrorResponse(s);
  return JsonResponse(ingest::CsvMappingToJson(*mapping));
}

HttpResponse Api::Flush(const HttpRequest& r) {
  if (Status s = engine_.Flush(); !s.ok()) return ErrorResponse(s);
  const engine::EngineStats stats = engine_.stats();
  return JsonResponse(Dump(json{
      {"flushed", true}, {"flushes", stats.flushes}, {"memtable_points", stats.memtable_points}}));
}

}  // namespace zp::server
