// Environmental monitoring over the environment service (zp/environment/service.h): the source
// registry (GET/PUT /api/v1/env/sources), the live view, alarms with their lifecycle and live push
// (Server-Sent Events), and the history of one source and pollutant. Scoped: officers see the
// enterprises of their zones and the alarms routed to their zones, enterprise users their own,
// admin, analyst and auditor everything. Units in JSON are ASCII ("mg/m3").
// 环境监测接口: 污染源登记、实时监测、报警(确认/关闭/实时推送)、历史数据。

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "api.h"
#include "json_mapping.h"
#include "metrics.h"
#include "params.h"
#include "zp/environment/service.h"
#include "zp/hj212/pollutants.h"

namespace zp::server {
namespace {

using nlohmann::json;

constexpr int64_t kDayS = 86'400;
constexpr int64_t kMaxHistorySpanS = 31 * kDayS;
constexpr int64_t kDefaultAlarmLimit = 100;
constexpr int64_t kMaxAlarmLimit = 1000;
constexpr auto kKeepAlive = std::chrono::seconds(15);
// The stream wakes at least this often: to see the server stopping, and to write a one-line
// comment that finds a client that has gone (a write to a closed connection fails at the latest
// on the second attempt), so a closed browser tab does not hold a worker thread.
constexpr auto kStreamTick = std::chrono::milliseconds(1000);

HttpResponse NoEnvironment() {
  return ErrorResponse(
      503, StatusCode::kUnavailable,
      "environmental monitoring is not running on this server / 本服务未启用环境监测");
}

// "mg/m³" -> "mg/m3", "m³/s" -> "m3/s".
std::string AsciiUnit(std::string_view unit) {
  std::string out;
  out.reserve(unit.size());
  for (size_t i = 0; i < unit.size(); ++i) {
    if (unit.substr(i, 2) == "\u00b3") {
      out += '3';
      ++i;
    } else if (unit.substr(i, 2) == "\u00b2") {
      out += '2';
      ++i;
    } else {
      out += unit[i];
    }
  }
  return out;
}

// What a caller may see: everything, or the sources of `enterprises` and the alarms of `zones`
// (officers) or of `enterprises` (enterprise users).
struct EnvScope {
  bool all = true;
  bool by_zone = false;
  std::set<std::string, std::less<>> zones;
  std::set<std::string, std::less<>> enterprises;

  bool AllowsEnterprise(std::string_view code) const { return all || enterprises.count(code) > 0; }
  bool AllowsAlarm(const store::AlarmRow& a) const {
    if (all) return true;
    return by_zone ? zones.count(a.zone_code) > 0 : enterprises.count(a.enterprise_code) > 0;
  }
};

EnvScope ScopeOf(const HttpRequest& r) {
  EnvScope s;
  if (r.scope == nullptr || !r.scope->restricted) return s;
  s.all = false;
  s.enterprises = r.scope->enterprises;
  const auth::Principal* who = r.scope->principal;
  if (who != nullptr && who->user.role == auth::Role::kOfficer) {
    s.by_zone = true;
    s.zones.insert(who->user.zones.begin(), who->user.zones.end());
  }
  return s;
}

// Names shown beside codes: enterprises (name, zone), zones' officers, sources' names.
struct Names {
  struct Enterprise {
    std::string name;
    std::string zone;
  };
  std::map<std::string, Enterprise, std::less<>> enterprises;
  std::map<std::string, std::string, std::less<>> officers;
  std::map<std::string, std::string, std::less<>> sources;

  std::string_view EnterpriseName(std::string_view code) const {
    auto it = enterprises.find(code);
    return it == enterprises.end() ? std::string_view() : std::string_view(it->second.name);
  }
  std::string_view EnterpriseZone(std::string_view code) const {
    auto it = enterprises.find(code);
    return it == enterprises.end() ? std::string_view() : std::string_view(it->second.zone);
  }
  std::string_view Officer(std::string_view zone) const {
    auto it = officers.find(zone);
    return it == officers.end() ? std::string_view() : std::string_view(it->second);
  }
  std::string_view SourceName(std::string_view code) const {
    auto it = sources.find(code);
    return it == sources.end() ? std::string_view() : std::string_view(it->second);
  }
};

Names LoadNames(engine::Engine& engine, const environment::EnvService* env) {
  Names n;
  for (model::Enterprise& e : engine.ListEnterprises()) {
    n.enterprises.emplace(std::move(e.code),
                          Names::Enterprise{std::move(e.name), std::move(e.zone_code)});
  }
  for (model::Zone& z : engine.ListZones()) n.officers.emplace(std::move(z.code), z.officer);
  if (env != nullptr) {
    for (environment::Source& s : env->Sources().sources) {
      n.sources.emplace(std::move(s.code), std::move(s.name));
    }
  }
  return n;
}

json AlarmJson(const store::AlarmRow& a, const Names& names) {
  const hj212::PollutantCode* p = hj212::FindPollutant(a.pollutant);
  return json{{"id", a.id},
              {"kind", a.kind},
              {"state", a.state},
              {"enterprise", a.enterprise_code},
              {"enterprise_name", names.EnterpriseName(a.enterprise_code)},
              {"zone", a.zone_code},
              {"officer", a.officer},
              {"source", a.source},
              {"source_name", names.SourceName(a.source)},
              {"pollutant", a.pollutant},
              {"pollutant_name_zh", p != nullptr ? p->name_zh : std::string_view()},
              {"pollutant_name_en", p != nullptr ? p->name_en : std::string_view()},
              {"opened_s", a.opened_s},
              {"last_s", a.last_s},
              {"cleared_s", a.cleared_s},
              {"occurrences", a.occurrences},
              {"value", a.value},
              {"limit", a.limit},
              {"unit", AsciiUnit(a.unit)},
              {"detail", a.detail},
              {"acknowledged_by", a.acknowledged_by},
              {"acknowledged_s", a.acknowledged_s},
              {"closed_by", a.closed_by},
              {"closed_s", a.closed_s},
              {"note", a.note}};
}

json HourJson(const store::EnvHourRow& h) {
  return json{{"hour_s", h.hour_s},   {"avg", h.avg},           {"zs_avg", h.zs_avg},
              {"min", h.min},         {"max", h.max},           {"load_kg", h.load_kg},
              {"samples", h.samples}, {"valid", h.valid},       {"expected", h.expected},
              {"flag", h.flag},       {"exceeded", h.exceeded}, {"origin", h.origin}};
}

json Hj212Json(const environment::EnvService& env) {
  json j = {{"port", env.hj212_port()}};
  const std::optional<hj212::ServerStats> stats = env.hj212_stats();
  j["listening"] = stats.has_value();
  j["connections_open"] = stats ? stats->connections_open : 0;
  j["frames_received"] = stats ? stats->frames_received : 0;
  j["frames_accepted"] = stats ? stats->frames_accepted : 0;
  json refused = json::object();
  if (stats) {
    for (const auto& [reason, count] : stats->refused) refused[reason] = count;
  }
  j["refused"] = std::move(refused);
  return j;
}

Status NoteOf(std::string_view body, std::string* note) {
  const json j = json::parse(body, nullptr, false);
  auto it = j.is_object() ? j.find("note") : j.end();
  if (j.is_object() && it != j.end() && it->is_string()) {
    *note = it->get<std::string>();
    if (note->find_first_not_of(" \t\r\n") != std::string::npos) return Status::OK();
  }
  return InvalidArgumentError(
      "field 'note' is required: say how the alarm was handled, as a JSON body {\"note\":\"...\"} "
      "/ 关闭报警须填写处理说明");
}

// Restricted callers learn nothing of other enterprises' sources, not even that one exists.
HttpResponse SourceOutOfScope() {
  return ErrorResponse(
      403, StatusCode::kPermissionDenied,
      "query parameter 'source': not a source of your enterprises / 该排口不在您的权限范围内");
}

const environment::Source* FindSource(const environment::SourceRegistry& registry,
                                      std::string_view code) {
  for (const environment::Source& s : registry.sources) {
    if (s.code == code) return &s;
  }
  return nullptr;
}

}  // namespace

void Api::SetEnvironment(environment::EnvService* env) { env_.store(env); }

HttpResponse Api::GetEnvSources(const HttpRequest& r) {
  environment::EnvService* env = env_.load();
  if (env == nullptr) return NoEnvironment();
  const EnvScope scope = ScopeOf(r);
  environment::SourceRegistry registry = env->Sources();
  std::erase_if(registry.sources, [&](const environment::Source& s) {
    return !scope.AllowsEnterprise(s.enterprise_code);
  });
  json j = json::parse(environment::SourcesToJson(registry, false), nullptr, false);
  if (!j.is_object() || !j["sources"].is_array()) {
    return ErrorResponse(500, StatusCode::kInternal, "the source registry did not render as JSON");
  }
  const Names names = LoadNames(engine_, nullptr);
  for (json& s : j["sources"]) {
    const std::string code = s.value("enterprise", "");
    s["enterprise_name"] = names.EnterpriseName(code);
    s["zone"] = names.EnterpriseZone(code);
  }
  return JsonResponse(Dump(j));
}

HttpResponse Api::PutEnvSources(const HttpRequest& r) {
  environment::EnvService* env = env_.load();
  if (env == nullptr) return NoEnvironment();
  const environment::SourceRegistry previous = env->Sources();
  Result<environment::SourceRegistry> registry = environment::SourcesFromJson(r.body, &previous);
  if (!registry.ok()) return ErrorResponse(InvalidArgumentError(registry.status().message()));
  if (Status s = environment::ValidateSources(*registry, engine_.ListEnterprises()); !s.ok()) {
    return ErrorResponse(InvalidArgumentError(s.message()));
  }
  if (Status s = env->PutSources(*registry); !s.ok()) return ErrorResponse(s);
  return GetEnvSources(r);
}

HttpResponse Api::EnvLive(const HttpRequest& r) {
  environment::EnvService* env = env_.load();
  if (env == nullptr) return NoEnvironment();
  const EnvScope scope = ScopeOf(r);
  std::vector<environment::SourceStatus> live;
  if (scope.all) {
    live = env->Live({});
  } else if (!scope.enterprises.empty()) {
    const std::vector<std::string> enterprises(scope.enterprises.begin(), scope.enterprises.end());
    live = env->Live(enterprises);
  }
  json sources = json::array();
  for (const environment::SourceStatus& s : live) {
    if (!scope.AllowsEnterprise(s.source.enterprise_code)) continue;
    json values = json::array();
    for (const environment::LiveValue& v : s.values) {
      values.push_back(json{{"pollutant", v.pollutant},
                            {"name_zh", v.name_zh},
                            {"name_en", v.name_en},
                            {"unit", AsciiUnit(v.unit)},
                            {"time_s", v.time_s},
                            {"cn", v.cn},
                            {"value", v.value},
                            {"zs", v.zs},
                            {"corrected", v.corrected},
                            {"flag", v.flag},
                            {"valid", v.valid},
                            {"limit", v.limit > 0 ? json(v.limit) : json(nullptr)},
                            {"limit_basis", v.limit_basis},
                            {"exceeded", v.exceeded}});
    }
    sources.push_back(json{{"code", s.source.code},
                           {"name", s.source.name},
                           {"kind", environment::SourceKindName(s.source.kind)},
                           {"enterprise", s.source.enterprise_code},
                           {"enterprise_name", s.enterprise_name},
                           {"zone", s.zone_code},
                           {"officer", s.officer},
                           {"state", s.state},
                           {"last_received_s", s.last_received_ms / 1000},
                           {"active_alarms", s.active_alarms},
                           {"values", std::move(values)}});
  }
  return JsonResponse(
      Dump(json{{"now_s", Now()}, {"sources", std::move(sources)}, {"hj212", Hj212Json(*env)}}));
}

HttpResponse Api::EnvAlarms(const HttpRequest& r) {
  environment::EnvService* env = env_.load();
  if (env == nullptr) return NoEnvironment();
  store::AlarmFilter filter;
  if (auto v = r.Query("state")) filter.state = std::string(*v);
  if (auto v = r.Query("kind")) filter.kind = std::string(*v);
  if (auto v = r.Query("enterprise")) filter.enterprise_code = std::string(*v);
  if (auto v = r.Query("source")) filter.source = std::string(*v);
  if (auto v = r.Query("pollutant")) filter.pollutant = std::string(*v);
  const TimeZone& zone = engine_.zone();
  if (auto v = r.Query("from")) {
    Result<int64_t> t = ParseTimeParam("from", *v, zone);
    if (!t.ok()) return ErrorResponse(t.status());
    filter.from_s = *t;
  }
  if (auto v = r.Query("to")) {
    Result<int64_t> t = ParseTimeParam("to", *v, zone);
    if (!t.ok()) return ErrorResponse(t.status());
    filter.to_s = *t;
  }
  Result<int64_t> before_id = ParseIntParam(r, "before_id", 0, 1, INT64_MAX);
  if (!before_id.ok()) return ErrorResponse(before_id.status());
  filter.before_id = *before_id;
  Result<int64_t> limit = ParseIntParam(r, "limit", kDefaultAlarmLimit, 1, kMaxAlarmLimit);
  if (!limit.ok()) return ErrorResponse(limit.status());
  filter.limit = *limit + 1;  // one more: is there a next page?

  const EnvScope scope = ScopeOf(r);
  if (!scope.all && !filter.source.empty()) {
    const environment::SourceRegistry registry = env->Sources();
    const environment::Source* source = FindSource(registry, filter.source);
    if (source == nullptr || !scope.AllowsEnterprise(source->enterprise_code)) {
      return SourceOutOfScope();
    }
  }
  std::vector<store::AlarmRow> alarms;
  bool none = false;
  if (!scope.all) {
    if (scope.by_zone) {
      filter.zones.assign(scope.zones.begin(), scope.zones.end());
      none = filter.zones.empty();
    } else if (filter.enterprise_code.empty()) {
      // Enterprise users: their one enterprise (an `enterprise` parameter was checked against
      // the scope before the handler ran).
      none = scope.enterprises.size() != 1;
      if (!none) filter.enterprise_code = *scope.enterprises.begin();
    }
  }
  if (!none) {
    Result<std::vector<store::AlarmRow>> rows = env->alarms().List(filter);
    if (!rows.ok()) return ErrorResponse(rows.status());
    alarms = std::move(*rows);
  }
  json next = nullptr;
  if (alarms.size() > static_cast<size_t>(*limit)) {
    alarms.resize(static_cast<size_t>(*limit));
    next = alarms.back().id;
  }
  const Names names = LoadNames(engine_, env);
  json list = json::array();
  for (const store::AlarmRow& a : alarms) {
    if (scope.AllowsAlarm(a)) list.push_back(AlarmJson(a, names));
  }
  return JsonResponse(Dump(json{{"alarms", std::move(list)}, {"next_before_id", next}}));
}

namespace {

// Acknowledge and close: the administrator, or an officer whose zones hold the alarm's zone.
bool MayHandleAlarm(const HttpRequest& r, const store::AlarmRow& a) {
  const auth::Principal* who = r.scope != nullptr ? r.scope->principal : nullptr;
  if (who == nullptr) return false;
  if (who->user.role == auth::Role::kAdmin) return true;
  if (who->user.role != auth::Role::kOfficer) return false;
  const std::vector<std::string>& zones = who->user.zones;
  return std::find(zones.begin(), zones.end(), a.zone_code) != zones.end();
}

// The alarm of the path's {id}, if the caller may handle it; else the error response.
Result<store::AlarmRow> AlarmToHandle(environment::EnvService& env, const HttpRequest& r,
                                      HttpResponse* refused) {
  Result<int64_t> id = PathId(r);
  if (!id.ok()) {
    *refused = ErrorResponse(id.status());
    return id.status();
  }
  Result<std::optional<store::AlarmRow>> alarm = env.alarms().Get(*id);
  if (!alarm.ok()) {
    *refused = ErrorResponse(alarm.status());
    return alarm.status();
  }
  if (!alarm->has_value()) {
    Status s = NotFoundError(fmt::format("no alarm {} / 无此报警", *id));
    *refused = ErrorResponse(s);
    return s;
  }
  if (!MayHandleAlarm(r, **alarm)) {
    *refused = ErrorResponse(403, StatusCode::kPermissionDenied,
                             "only the officer of the alarm's zone or an administrator may handle "
                             "it / 仅报警所在网格的网格员或管理员可处理");
    return PermissionDeniedError("not yours");
  }
  return std::move(**alarm);
}

std::string Actor(const HttpRequest& r) {
  return r.scope != nullptr && !r.scope->actor.empty() ? r.scope->actor : std::string("api");
}

}  // namespace

HttpResponse Api::AcknowledgeEnvAlarm(const HttpRequest& r) {
  environment::EnvService* env = env_.load();
  if (env == nullptr) return NoEnvironment();
  HttpResponse refused;
  Result<store::AlarmRow> alarm = AlarmToHandle(*env, r, &refused);
  if (!alarm.ok()) return refused;
  Result<store::AlarmRow> done = env->alarms().Acknowledge(alarm->id, Actor(r), Now());
  if (!done.ok()) return ErrorResponse(done.status());
  return JsonResponse(Dump(AlarmJson(*done, LoadNames(engine_, env))));
}

HttpResponse Api::CloseEnvAlarm(const HttpRequest& r) {
  environment::EnvService* env = env_.load();
  if (env == nullptr) return NoEnvironment();
  HttpResponse refused;
  Result<store::AlarmRow> alarm = AlarmToHandle(*env, r, &refused);
  if (!alarm.ok()) return refused;
  std::string note;
  if (Status s = NoteOf(r.body, &note); !s.ok()) return ErrorResponse(s);
  Result<store::AlarmRow> done = env->alarms().Close(alarm->id, Actor(r), note, Now());
  if (!done.ok()) return ErrorResponse(done.status());
  return JsonResponse(Dump(AlarmJson(*done, LoadNames(engine_, env))));
}

std::string Api::EnvAlarmState(const HttpRequest& r) {
  environment::EnvService* env = env_.load();
  Result<int64_t> id = PathId(r);
  if (env == nullptr || !id.ok()) return {};
  Result<std::optional<store::AlarmRow>> alarm = env->alarms().Get(*id);
  if (!alarm.ok() || !alarm->has_value()) return {};
  return Dump(AlarmJson(**alarm, LoadNames(engine_, env)));
}

HttpResponse Api::EnvAlarmStream(const HttpRequest& r) {
  environment::EnvService* env = env_.load();
  if (env == nullptr) return NoEnvironment();
  HttpResponse resp;
  // Exactly this type: httplib never compresses text/event-stream, which would hold events back.
  resp.content_type = "text/event-stream";
  resp.headers.emplace_back("Cache-Control", "no-store");
  resp.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: pass events on at once
  resp.stream = [this, env, scope = ScopeOf(r), max_s = options_.event_stream_max_s](
                    const StreamWriter& write, const std::atomic<bool>& stopping) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point end = Clock::now() + std::chrono::seconds(max_s);
    environment::AlarmBook& book = env->alarms();
    uint64_t version = book.version();
    if (!write(": zeropark alarms / 报警推送\n\n")) return;
    Clock::time_point last_keep_alive = Clock::now();
    std::vector<store::AlarmRow> changed;
    std::string out;
    while (!stopping.load()) {
      const Clock::time_point now = Clock::now();
      if (now >= end) return;
      const auto wait = std::min<Clock::duration>(kStreamTick, end - now);
      changed.clear();
      bool gap = false;
      version = book.WaitForChanges(
          version, std::chrono::duration_cast<std::chrono::milliseconds>(wait), &changed, &gap);
      if (stopping.load()) return;
      out.clear();
      if (gap) {
        out = "event: reload\ndata: {}\n\n";
      } else if (!changed.empty()) {
        const Names names = LoadNames(engine_, env);
        for (const store::AlarmRow& a : changed) {
          if (!scope.AllowsAlarm(a)) continue;
          out += "event: alarm\ndata: ";
          out += Dump(AlarmJson(a, names));
          out += "\n\n";
        }
      }
      if (out.empty()) {
        if (Clock::now() - last_keep_alive >= kKeepAlive) {
          out = ": keep-alive\n\n";
          last_keep_alive = Clock::now();
        } else {
          out = ":\n";
        }
      }
      if (!write(out)) return;
    }
  };
  return resp;
}

HttpResponse Api::EnvHistory(const HttpRequest& r) {
  environment::EnvService* env = env_.load();
  if (env == nullptr) return NoEnvironment();
  const std::string source_code(r.Query("source").value_or(""));
  const std::string pollutant(r.Query("pollutant").value_or(""));
  const EnvScope scope = ScopeOf(r);
  const environment::SourceRegistry registry = env->Sources();
  const environment::Source* source = FindSource(registry, source_code);
  if (!scope.all && (source == nullptr || !scope.AllowsEnterprise(source->enterprise_code))) {
    return SourceOutOfScope();
  }
  if (source == nullptr) {
    return ErrorResponse(NotFoundError(
        fmt::format("query parameter 'source': no source '{}' / 无此排口", source_code)));
  }
  const hj212::PollutantCode* code = hj212::FindPollutant(pollutant);
  if (code == nullptr) {
    return ErrorResponse(InvalidArgumentError(
        fmt::format("query parameter 'pollutant': '{}' is not an HJ 212 pollutant code (e.g. "
                    "a21026) / 污染物编码无效",
                    pollutant)));
  }
  const int64_t now = Now();
  Result<TimeRange> range =
      ParseRangeParams(r, engine_.zone(), now - kDayS, now, kMaxHistorySpanS, "31 days");
  if (!range.ok()) return ErrorResponse(range.status());
  Result<environment::History> history =
      env->SourceHistory(source_code, pollutant, range->from_s, range->to_s);
  if (!history.ok()) return ErrorResponse(history.status());

  json limit = nullptr;
  if (history->limit) {
    limit = json{{"value", history->limit->value},
                 {"unit", AsciiUnit(history->limit->unit)},
                 {"basis", history->limit->basis},
                 {"corrected", history->limit->corrected}};
  }
  json hours = json::array();
  for (const store::EnvHourRow& h : history->hours) hours.push_back(HourJson(h));
  json points = json::array();
  for (const environment::HistoryPoint& p : history->points) {
    points.push_back(
        json{{"t", p.time_s}, {"cn", p.cn}, {"value", p.value}, {"zs", p.zs}, {"flag", p.flag}});
  }
  json out = {{"source", source->code},
              {"source_name", source->name},
              {"enterprise", source->enterprise_code},
              {"pollutant", pollutant},
              {"name_zh", code->name_zh},
              {"name_en", code->name_en},
              {"unit", AsciiUnit(code->unit)},
              {"from_s", range->from_s},
              {"to_s", range->to_s},
              {"limit", std::move(limit)},
              {"hours", std::move(hours)},
              {"points", std::move(points)}};
  return JsonResponse(Dump(out));
}

std::string Api::EnvMetricsText() {
  environment::EnvService* env = env_.load();
  std::optional<hj212::ServerStats> hj212;
  environment::EnvStats stats;
  if (env != nullptr) {
    hj212 = env->hj212_stats();
    stats = env->stats();
  }
  return RenderEnvMetrics(hj212, stats);
}

}  // namespace zp::server
