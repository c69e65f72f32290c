// Registry endpoints: park, zones, enterprises, meters.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "api.h"
#include "json_mapping.h"
#include "params.h"

namespace zp::server {
namespace {

using nlohmann::json;

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

// {"total":N,"<key>":[...]} with limit/offset applied.
template <typename T, typename ToJson>
HttpResponse ListResponse(const HttpRequest& r, std::string_view key, const std::vector<T>& items,
                          ToJson to_json) {
  Result<int64_t> limit = ParseIntParam(r, "limit", 0, 0, 10'000'000);
  if (!limit.ok()) return ErrorResponse(limit.error());
  Result<int64_t> offset = ParseIntParam(r, "offset", 0, 0, 10'000'000);
  if (!offset.ok()) return ErrorResponse(offset.error());
  const size_t begin = std::min(items.size(), static_cast<size_t>(*offset));
  const size_t end =
      *limit == 0 ? items.size() : std::min(items.size(), begin + static_cast<size_t>(*limit));
  json list = json::array();
  for (size_t i = begin; i < end; ++i) list.push_back(to_json(items[i]));
  json body = json::object();
  body["total"] = items.size();
  body[std::string(key)] = std::move(list);
  return JsonResponse(Dump(body));
}

Status CodeMatchesPath(std::string_view record, const std::string& body_code,
                       std::string_view path_code) {
  if (body_code == path_code) return Status::OK();
  return InvalidArgumentError(
      fmt::format("{}: field 'code' ('{}') differs from the code in the path ('{}'); codes cannot "
                  "be changed",
                  record, body_code, path_code));
}

Status RequireCode(std::string_view record, const std::string& code) {
  if (!code.empty()) return Status::OK();
  return InvalidArgumentError(fmt::format("{}: field 'code' is required", record));
}

HttpResponse Created(json body, std::string location) {
  HttpResponse resp = JsonResponse(Dump(body), 201);
  resp.headers.emplace_back("Location", std::move(location));
  return resp;
}

// PUT: update the record at `code` with the fields given, or create it when absent.
template <typename T, typename Get, typename FromJson, typename Put, typename ToJson>
HttpResponse Upsert(const HttpRequest& r, std::string_view record, std::string_view collection,
                    Get get, FromJson from_json, Put put, ToJson to_json) {
  const std::string code(r.PathParam("code"));
  Result<json> body = ParseJsonBody(r.body);
  if (!body.ok()) return ErrorResponse(body.error());
  T value;
  bool create = false;
  Result<T> existing = get(code);
  if (existing.ok()) {
    value = *existing;
  } else if (existing.error().code() == StatusCode::kNotFound) {
    create = true;
    value.code = code;
  } else {
    return ErrorResponse(existing.error());
  }
  if (Status s = from_json(*body, &value); !s.ok()) return ErrorResponse(s);
  if (Status s = CodeMatchesPath(record, value.code, code); !s.ok()) return ErrorResponse(s);
  Result<T> stored = put(value, create);
  if (!stored.ok()) return ErrorResponse(stored.error());
  if (create) return Created(to_json(*stored), fmt::format("/api/v1/{}/{}", collection, code));
  return JsonResponse(Dump(to_json(*stored)));
}

}  // namespace

// --- park

HttpResponse Api::GetPark(const HttpRequest& r) {
  return JsonResponse(Dump(ParkToJson(engine_.GetPark())));
}

HttpResponse Api::PutPark(const HttpRequest& r) {
  Result<json> body = ParseJsonBody(r.body);
  if (!body.ok()) return ErrorResponse(body.error());
  model::Park park = engine_.GetPark();
  if (Status s = ParkFromJson(*body, &park); !s.ok()) return ErrorResponse(s);
  if (Status s = engine_.PutPark(park); !s.ok()) return ErrorResponse(s);
  return JsonResponse(Dump(ParkToJson(engine_.GetPark())));
}

// --- zones

HttpResponse Api::ListZones(const HttpRequest& r) {
  std::vector<model::Zone> zones = engine_.ListZones();
  if (auto q = r.Query("q")) {
    std::erase_if(zones, [&](const model::Zone& z) {
      return !ContainsIgnoreCase(z.code, *q) && !ContainsIgnoreCase(z.name, *q);
    });
  }
  return ListResponse(r, "zones", zones, ZoneToJson);
}

HttpResponse Api::CreateZone(const HttpRequest& r) {
  Result<json> body = ParseJsonBody(r.body);
  if (!body.ok()) return ErrorResponse(body.error());
  model::Zone zone;
  if (Status s = ZoneFromJson(*body, &zone); !s.ok()) return ErrorResponse(s);
  if (Status s = RequireCode("zone", zone.code); !s.ok()) return ErrorResponse(s);
  Result<model::Zone> stored = engine_.PutZone(zone, /*create=*/true);
  if (!stored.ok()) return ErrorResponse(stored.error());
  return Created(ZoneToJson(*stored), "/api/v1/zones/" + stored->code);
}

HttpResponse Api::GetZone(const HttpRequest& r) {
  Result<model::Zone> zone = engine_.GetZone(r.PathParam("code"));
  if (!zone.ok()) return ErrorResponse(zone.error());
  return JsonResponse(Dump(ZoneToJson(*zone)));
}

HttpResponse Api::PutZone(const HttpRequest& r) {
  return Upsert<model::Zone>(
      r, "zone", "zones", [&](const std::string& c) { return engine_.GetZone(c); }, ZoneFromJson,
      [&](const model::Zone& z, bool create) { return engine_.PutZone(z, create); }, ZoneToJson);
}

HttpResponse Api::DeleteZone(const HttpRequest& r) {
  if (Status s = engine_.DeleteZone(r.PathParam("code")); !s.ok()) return ErrorResponse(s);
  return JsonResponse("", 204);
}

// --- enterprises

HttpResponse Api::ListEnterprises(const HttpRequest& r) {
  std::vector<model::Enterprise> list = engine_.ListEnterprises();
  const std::optional<std::string_view> zone = r.Query("zone");
  const std::optional<std::string_view> industry = r.Query("industry");
  const std::optional<std::string_view> q = r.Query("q");
  if (zone.has_value() && !engine_.GetZone(*zone).ok()) {
    return ErrorResponse(
        InvalidArgumentError(fmt::format("query parameter 'zone': unknown zone '{}'", *zone)));
  }
  std::erase_if(list, [&](const model::Enterprise& e) {
    if (r.scope != nullptr && !r.scope->AllowsEnterprise(e.code)) return true;
    if (zone.has_value() && e.zone_code != *zone) return true;
    if (industry.has_value() && !std::string_view(e.industry_code).starts_with(*industry)) {
      return true;
    }
    if (q.has_value() && !ContainsIgnoreCase(e.code, *q) && !ContainsIgnoreCase(e.name, *q)) {
      return true;
    }
    return false;
  });
  return ListResponse(r, "enterprises", list, EnterpriseToJson);
}

HttpResponse Api::CreateEnterprise(const HttpRequest& r) {
  Result<json> body = ParseJsonBody(r.body);
  if (!body.ok()) return ErrorResponse(body.error());
  model::Enterprise e;
  if (Status s = EnterpriseFromJson(*body, &e); !s.ok()) return ErrorResponse(s);
  if (Status s = RequireCode("enterprise", e.code); !s.ok()) return ErrorResponse(s);
  Result<model::Enterprise> stored = engine_.PutEnterprise(e, /*create=*/true);
  if (!stored.ok()) return ErrorResponse(stored.error());
  return Created(EnterpriseToJson(*stored), "/api/v1/enterprises/" + stored->code);
}

HttpResponse Api::GetEnterprise(const HttpRequest& r) {
  Result<model::Enterprise> e = engine_.GetEnterprise(r.PathParam("code"));
  if (!e.ok()) return ErrorResponse(e.error());
  return JsonResponse(Dump(EnterpriseToJson(*e)));
}

HttpResponse Api::PutEnterprise(const HttpRequest& r) {
  return Upsert<model::Enterprise>(
      r, "enterprise", "enterprises",
      [&](const std::string& c) { return engine_.GetEnterprise(c); }, EnterpriseFromJson,
      [&](const model::Enterprise& e, bool create) { return engine_.PutEnterprise(e, create); },
      EnterpriseToJson);
}

HttpResponse Api::DeleteEnterprise(const HttpRequest& r) {
  if (Status s = engine_.DeleteEnterprise(r.PathParam("code")); !s.ok()) return ErrorResponse(s);
  return JsonResponse("", 204);
}

// --- meters

HttpResponse Api::ListMeters(const HttpRequest& r) {
  std::vector<model::Meter> list = engine_.ListMeters();
  const std::optional<std::string_view> zone = r.Query("zone");
  const std::optional<std::string_view> enterprise = r.Query("enterprise");
  const std::optional<std::string_view> q = r.Query("q");
  std::optional<units::Carrier> carrier;
  if (auto c = r.Query("carrier")) {
    Result<units::Carrier> parsed = units::ParseCarrier(*c);
    if (!parsed.ok()) {
      return ErrorResponse(InvalidArgumentError(
          fmt::format("query parameter 'carrier': {}", parsed.error().message())));
    }
    carrier = *parsed;
  }
  std::unordered_set<std::string> zone_enterprises;
  if (zone.has_value()) {
    if (!engine_.GetZone(*zone).ok()) {
      return ErrorResponse(
          InvalidArgumentError(fmt::format("query parameter 'zone': unknown zone '{}'", *zone)));
    }
    for (const model::Enterprise& e : engine_.ListEnterprises()) {
      if (e.zone_code == *zone) zone_enterprises.insert(e.code);
    }
  }
  if (enterprise.has_value() && !engine_.GetEnterprise(*enterprise).ok()) {
    return ErrorResponse(InvalidArgumentError(
        fmt::format("query parameter 'enterprise': unknown enterprise '{}'", *enterprise)));
  }
  std::erase_if(list, [&](const model::Meter& m) {
    if (r.scope != nullptr && !r.scope->AllowsEnterprise(m.enterprise_code)) return true;
    if (zone.has_value() && zone_enterprises.count(m.enterprise_code) == 0) return true;
    if (enterprise.has_value() && m.enterprise_code != *enterprise) return true;
    if (carrier.has_value() && m.carrier != *carrier) return true;
    if (q.has_value() && !ContainsIgnoreCase(m.code, *q) && !ContainsIgnoreCase(m.name, *q)) {
      return true;
    }
    return false;
  });
  return ListResponse(r, "meters", list, MeterToJson);
}

HttpResponse Api::CreateMeter(const HttpRequest& r) {
  Result<json> body = ParseJsonBody(r.body);
  if (!body.ok()) return ErrorResponse(body.error());
  model::Meter m;
  if (Status s = MeterFromJson(*body, &m); !s.ok()) return ErrorResponse(s);
  if (Status s = RequireCode("meter", m.code); !s.ok()) return ErrorResponse(s);
  Result<model::Meter> stored = engine_.PutMeter(m, /*create=*/true);
  if (!stored.ok()) return ErrorResponse(stored.error());
  return Created(MeterToJson(*stored), "/api/v1/meters/" + stored->code);
}

HttpResponse Api::GetMeter(const HttpRequest& r) {
  Result<model::Meter> m = engine_.GetMeter(r.PathParam("code"));
  if (!m.ok()) return ErrorResponse(m.error());
  return JsonResponse(Dump(MeterToJson(*m)));
}

HttpResponse Api::PutMeter(const HttpRequest& r) {
  return Upsert<model::Meter>(
      r, "meter", "meters", [&](const std::string& c) { return engine_.GetMeter(c); },
      MeterFromJson,
      [&](const model::Meter& m, bool create) { return engine_.PutMeter(m, create); }, MeterToJson);
}

HttpResponse Api::DeleteMeter(const HttpRequest& r) {
  if (Status s = engine_.DeleteMeter(r.PathParam("code")); !s.ok()) return ErrorResponse(s);
  return JsonResponse("", 204);
}

namespace {

nlohmann::json ReplacementsToJson(const std::vector<tsdb::RegisterReplacement>& list,
                                  const TimeZone& zone) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : list) {
    rows.push_back({{"ts", FormatTimestamp(r.ts_s, zone)},
                    {"old_final", r.old_final},
                    {"new_initial", r.new_initial}});
  }
  return rows;
}

}  // namespace

HttpResponse Api::ListRegisterReplacements(const HttpRequest& r) {
  auto list = engine_.RegisterReplacements(r.PathParam("code"));
  if (!list.ok()) return ErrorResponse(list.error());
  return JsonResponse(
      Dump(nlohmann::json{{"meter", r.PathParam("code")},
                          {"replacements", ReplacementsToJson(*list, engine_.zone())}}));
}

HttpResponse Api::AddRegisterReplacement(const HttpRequest& r) {
  Result<nlohmann::json> body = ParseJsonBody(r.body);
  if (!body.ok()) return ErrorResponse(body.error());
  const nlohmann::json& j = *body;
  if (!j.is_object()) return ErrorResponse(InvalidArgumentError("body must be a JSON object"));
  tsdb::RegisterReplacement rep;
  const TimeZone zone = engine_.zone();
  auto ts = j.find("ts");
  if (ts == j.end()) return ErrorResponse(InvalidArgumentError("missing 'ts'"));
  if (ts->is_number_integer()) {
    rep.ts_s = ts->get<int64_t>();
  } else if (ts->is_string()) {
    Result<int64_t> t = ParseTimeParam("ts", ts->get<std::string>(), zone);
    if (!t.ok()) return ErrorResponse(t.error());
    rep.ts_s = *t;
  } else {
    return ErrorResponse(InvalidArgumentError("'ts' must be a timestamp string or Unix seconds"));
  }
  for (const char* key : {"old_final", "new_initial"}) {
    auto v = j.find(key);
    if (v == j.end() || !v->is_number()) {
      return ErrorResponse(InvalidArgumentError(std::string("'") + key + "' must be a number"));
    }
  }
  rep.old_final = j["old_final"].get<double>();
  rep.new_initial = j["new_initial"].get<double>();
  if (Status s = engine_.AddRegisterReplacement(r.PathParam("code"), rep); !s.ok()) {
    return ErrorResponse(s);
  }
  auto list = engine_.RegisterReplacements(r.PathParam("code"));
  if (!list.ok()) return ErrorResponse(list.error());
  return JsonResponse(Dump(nlohmann::json{{"meter", r.PathParam("code")},
                                          {"replacements", ReplacementsToJson(*list, zone)}}),
                      201);
}

}  // namespace zp::server
