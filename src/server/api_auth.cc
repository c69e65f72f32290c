// Authentication, authorization by role and scope, the audit log of writes, and the account
// endpoints (login, logout, setup, tokens, users, audit).

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "api.h"
#include "params.h"
#include "zp/base/logging.h"
#include "zp/base/time.h"

namespace zp::server {
namespace {

using nlohmann::json;

constexpr std::string_view kSessionCookie = "zp_session";
constexpr size_t kMaxAuditBytes = 64 * 1024;

bool Unsafe(std::string_view method) { return method != "GET" && method != "HEAD"; }

std::string Truncate(std::string s) {
  if (s.size() > kMaxAuditBytes) {
    s.resize(kMaxAuditBytes);
    s += "...(truncated)";
  }
  return s;
}

// The value of one cookie in a Cookie header.
std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

// Base64 decode (for Basic authorization); empty on malformed input.
std::string Base64Decode(std::string_view in) {
  static constexpr std::string_view kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const size_t v = kChars.find(c);
    if (v == std::string_view::npos) return {};
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  return out;
}

json UserJson(const auth::User& u) {
  return json{{"id", u.id},
              {"username", u.username},
              {"display_name", u.display_name},
              {"role", auth::RoleName(u.role)},
              {"role_zh", auth::RoleNameZh(u.role)},
              {"enterprise_code", u.enterprise_code},
              {"zones", u.zones},
              {"disabled", u.disabled}};
}

json CredentialJson(const auth::Credential& c, const TimeZone& zone) {
  return json{{"id", c.id},
              {"user_id", c.user_id},
              {"kind", auth::CredentialKindName(c.kind)},
              {"name", c.name},
              {"meters", c.meters},
              {"created", c.created_s != 0 ? FormatTimestamp(c.created_s, zone) : ""},
              {"expires", c.expires_s != 0 ? FormatTimestamp(c.expires_s, zone) : ""},
              {"revoked", c.revoked},
              {"last_used", c.last_used_s != 0 ? FormatTimestamp(c.last_used_s, zone) : ""}};
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Parses {"username","password",...} bodies; error names the field.
Result<json> JsonObject(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("body must be a JSON object");
  return j;
}

Result<std::string> StringField(const json& j, std::string_view name, bool required) {
  auto it = j.find(std::string(name));
  if (it == j.end() || it->is_null()) {
    if (required) return InvalidArgumentError(fmt::format("field '{}' is required", name));
    return std::string();
  }
  if (!it->is_string())
    return InvalidArgumentError(fmt::format("field '{}' must be a string", name));
  return it->get<std::string>();
}

Result<std::vector<std::string>> StringList(const json& j, std::string_view name) {
  std::vector<std::string> out;
  auto it = j.find(std::string(name));
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return InvalidArgumentError(fmt::format("field '{}' must be a list", name));
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return InvalidArgumentError(fmt::format("field '{}' must hold strings", name));
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

HttpResponse Denied(std::string_view why) {
  return ErrorResponse(403, StatusCode::kPermissionDenied, fmt::format("{} / 无权访问", why));
}

}  // namespace

std::string_view AccessName(Access a) {
  switch (a) {
    case Access::kPublic:
      return "public";
    case Access::kSelf:
      return "self";
    case Access::kRead:
      return "read";
    case Access::kParkRead:
      return "park-read";
    case Access::kUpload:
      return "upload";
    case Access::kEnterpriseWrite:
      return "enterprise-write";
    case Access::kAudit:
      return "audit";
    case Access::kSupervise:
      return "supervise";
    case Access::kAdmin:
      return "admin";
  }
  return "admin";
}

// Who may call each route. A route missing here stays admin-only (fail closed); the server
// tests walk the route table and check every route against this table's policy.
void Api::ApplyAccessRules(std::vector<Route>* routes) {
  struct Rule {
    Access access;
    PathTarget target = PathTarget::kNone;
    bool inject = false;
  };
  const std::map<std::string, Rule, std::less<>> rules = {
      {"GET /", {Access::kPublic}},
      {"GET /health", {Access::kPublic}},
      {"GET /api/v1/openapi.json", {Access::kPublic}},
      {"POST /api/v1/login", {Access::kPublic}},
      {"POST /api/v1/setup", {Access::kPublic}},
      {"GET /metrics", {Access::kParkRead}},
      {"GET /api/v1/carriers", {Access::kRead}},
      // Ingest.
      {"POST /write", {Access::kUpload}},
      {"POST /api/v2/write", {Access::kUpload}},
      {"POST /api/v1/readings", {Access::kUpload}},
      {"POST /api/v1/imports", {Access::kUpload}},
      {"GET /api/v1/mappings", {Access::kRead}},
      {"GET /api/v1/mappings/{name}", {Access::kRead}},
      {"PUT /api/v1/mappings/{name}", {Access::kAdmin}},
      {"POST /api/v1/flush", {Access::kAdmin}},
      // Registry: the park and its zones are not confidential; enterprises and meters are.
      {"GET /api/v1/park", {Access::kRead}},
      {"GET /api/v1/zones", {Access::kRead}},
      {"GET /api/v1/zones/{code}", {Access::kRead}},
      {"GET /api/v1/enterprises", {Access::kRead}},
      {"GET /api/v1/enterprises/{code}", {Access::kRead, PathTarget::kEnterprise}},
      {"GET /api/v1/meters", {Access::kRead}},
      {"GET /api/v1/meters/{code}", {Access::kRead, PathTarget::kMeter}},
      {"GET /api/v1/meters/{code}/replacements", {Access::kRead, PathTarget::kMeter}},
      {"GET /api/v1/registry/zones.csv", {Access::kRead}},
      {"GET /api/v1/registry/enterprises.csv", {Access::kRead}},
      {"GET /api/v1/registry/meters.csv", {Access::kRead}},
      // Queries.
      {"GET /api/v1/readings", {Access::kRead}},
      {"GET /api/v1/sums", {Access::kRead, PathTarget::kNone, true}},
      {"GET /api/v1/completeness", {Access::kRead}},
      {"GET /api/v1/completeness/summary", {Access::kRead, PathTarget::kNone, true}},
      {"GET /api/v1/corrections", {Access::kRead}},
      // Accounting.
      {"GET /api/v1/energy", {Access::kRead, PathTarget::kNone, true}},
      {"GET /api/v1/carbon", {Access::kRead, PathTarget::kNone, true}},
      {"GET /api/v1/energy/derivation", {Access::kRead}},
      {"GET /api/v1/carbon/derivation", {Access::kRead}},
      {"GET /api/v1/carbon/core", {Access::kParkRead}},
      // Restricted callers get their enterprises only, without the park block.
      {"GET /api/v1/green/matching", {Access::kRead, PathTarget::kNone, true}},
      // Green power: the supply registry and the settlements are park-wide; certificates and
      // statements are scoped (an enterprise user sees bundles it holds or consumes).
      {"GET /api/v1/green/supply", {Access::kParkRead}},
      {"PUT /api/v1/green/supply", {Access::kAdmin}},
      {"POST /api/v1/green/settlements", {Access::kAdmin}},
      {"GET /api/v1/green/settlements", {Access::kParkRead}},
      {"GET /api/v1/green/certificates", {Access::kRead, PathTarget::kNone, true}},
      {"GET /api/v1/green/statements", {Access::kRead, PathTarget::kNone, true}},
      {"GET /api/v1/today", {Access::kParkRead}},
      {"GET /api/v1/accounting/settings", {Access::kRead}},
      {"GET /api/v1/refdata", {Access::kRead}},
      {"GET /api/v1/refdata/provinces", {Access::kRead}},
      {"GET /api/v1/economic", {Access::kRead, PathTarget::kNone, true}},
      {"POST /api/v1/economic", {Access::kEnterpriseWrite}},
      {"DELETE /api/v1/economic", {Access::kEnterpriseWrite}},
      // Environmental monitoring: sources, live values, alarms and history are scoped in the
      // handlers (officers: the enterprises and alarms of their zones; enterprise users: their
      // own). Acknowledging and closing an alarm is the officer's of its zone (checked by the
      // handler) or the administrator's; the registry with the loggers' passwords is admin's.
      {"GET /api/v1/env/sources", {Access::kRead}},
      {"PUT /api/v1/env/sources", {Access::kAdmin}},
      {"GET /api/v1/env/live", {Access::kRead}},
      {"GET /api/v1/env/alarms", {Access::kRead}},
      {"GET /api/v1/env/alarms/stream", {Access::kRead}},
      {"POST /api/v1/env/alarms/{id}/acknowledge", {Access::kSupervise}},
      {"POST /api/v1/env/alarms/{id}/close", {Access::kSupervise}},
      {"GET /api/v1/env/history", {Access::kRead}},
      // Accounts.
      {"GET /api/v1/me", {Access::kSelf}},
      {"POST /api/v1/logout", {Access::kSelf}},
      {"GET /api/v1/me/tokens", {Access::kSelf}},
      {"POST /api/v1/me/tokens", {Access::kSelf}},
      {"DELETE /api/v1/me/tokens/{id}", {Access::kSelf}},
      {"GET /api/v1/audit", {Access::kAudit}},
      {"GET /api/v1/ledger", {Access::kAudit}},
  };
  for (Route& r : *routes) {
    auto it = rules.find(r.method + " " + r.path);
    if (it == rules.end()) continue;  // admin only
    r.access = it->second.access;
    r.path_target = it->second.target;
    r.inject_enterprise = it->second.inject;
  }
}

// --- authentication and authorization.

Result<std::optional<auth::Principal>> Api::Authenticate(const HttpRequest& r) {
  std::string_view secret;
  bool cookie = false;
  std::string basic;
  std::string_view authz = r.authorization;
  if (!authz.empty()) {
    const size_t sp = authz.find(' ');
    const std::string_view scheme = authz.substr(0, sp);
    std::string_view value = sp == std::string_view::npos ? "" : authz.substr(sp + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (scheme == "Bearer" || scheme == "bearer" || scheme == "Token" || scheme == "token") {
      secret = value;
    } else if (scheme == "Basic" || scheme == "basic") {
      // InfluxDB 1.x clients: user:token.
      basic = Base64Decode(value);
      const size_t colon = basic.find(':');
      secret = colon == std::string::npos ? std::string_view()
                                          : std::string_view(basic).substr(colon + 1);
    } else {
      return UnauthenticatedError("unsupported Authorization scheme (use Bearer)");
    }
  } else if (auto p = r.Query("p"); p && !p->empty() && r.path.find("write") != std::string::npos) {
    secret = *p;  // InfluxDB 1.x query-string credentials (u ignored, p = token)
  } else if (std::string_view c = CookieValue(r.cookie, kSessionCookie); !c.empty()) {
    secret = c;
    cookie = true;
  }
  if (secret.empty()) return std::optional<auth::Principal>();
  ZP_ASSIGN_OR_RETURN(auth::Principal p, auth_.Authenticate(secret, Now()));
  p.via_cookie = cookie;
  return std::optional<auth::Principal>(std::move(p));
}

std::optional<HttpResponse> Api::Authorize(const Route& route, HttpRequest& request,
                                           RequestScope* scope,
                                           std::optional<auth::Principal>* principal) {
  Result<std::optional<auth::Principal>> who = Authenticate(request);
  if (route.access == Access::kPublic) {
    if (who.ok()) *principal = std::move(*who);
    if (*principal) {
      scope->actor = (*principal)->user.username;
      scope->role = std::string(auth::RoleName((*principal)->user.role));
    }
    return std::nullopt;
  }
  if (!who.ok() || !*who) {
    HttpResponse resp = ErrorResponse(
        401, StatusCode::kUnauthenticated,
        who.ok() ? "login required: a session cookie or an Authorization: Bearer token / 请先登录"
                 : "invalid, expired or revoked credentials / 凭据无效、过期或已撤销");
    resp.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"zeropark\"");
    return resp;
  }
  *principal = std::move(*who);
  const auth::Principal& p = **principal;
  scope->actor = p.user.username;
  scope->role = std::string(auth::RoleName(p.user.role));
  if (p.via_cookie && Unsafe(request.method) && !auth_.CheckCsrf(p, request.csrf_token)) {
    return Denied("missing or wrong X-CSRF-Token header");
  }
  const auth::Role role = p.user.role;
  bool allowed = false;
  switch (route.access) {
    case Access::kPublic:
    case Access::kSelf:
      allowed = true;
      break;
    case Access::kRead:
      allowed = role != auth::Role::kDevice;
      break;
    case Access::kParkRead:
      allowed = role == auth::Role::kAdmin || role == auth::Role::kAnalyst ||
                role == auth::Role::kAuditor;
      break;
    case Access::kUpload:
      allowed = role == auth::Role::kAdmin || role == auth::Role::kEnterprise ||
                role == auth::Role::kDevice;
      break;
    case Access::kEnterpriseWrite:
      allowed = role == auth::Role::kAdmin || role == auth::Role::kEnterprise;
      break;
    case Access::kAudit:
      allowed = role == auth::Role::kAdmin || role == auth::Role::kAuditor;
      break;
    case Access::kSupervise:
      allowed = role == auth::Role::kAdmin || role == auth::Role::kOfficer;
      break;
    case Access::kAdmin:
      allowed = role == auth::Role::kAdmin;
      break;
  }
  if (!allowed) {
    return Denied(
        fmt::format("role {} may not {} {}", auth::RoleName(role), request.method, route.path));
  }
  // Scope of restricted roles.
  switch (role) {
    case auth::Role::kEnterprise:
      scope->restricted = true;
      scope->enterprises.insert(p.user.enterprise_code);
      break;
    case auth::Role::kOfficer: {
      scope->restricted = true;
      std::set<std::string, std::less<>> zones(p.user.zones.begin(), p.user.zones.end());
      for (const model::Enterprise& e : engine_.ListEnterprises()) {
        if (zones.count(e.zone_code)) scope->enterprises.insert(e.code);
      }
      break;
    }
    case auth::Role::kDevice:
      scope->restricted = true;
      scope->device = true;
      scope->meters.insert(p.credential.meters.begin(), p.credential.meters.end());
      break;
    default:
      break;
  }
  if (!scope->restricted || route.access == Access::kSelf) return std::nullopt;

  auto meter_allowed = [&](std::string_view code) {
    if (scope->device) return scope->meters.count(code) > 0;
    Result<model::Meter> m = engine_.GetMeter(code);
    return m.ok() && scope->enterprises.count(m->enterprise_code) > 0;
  };
  // Path targets.
  const std::string_view code = request.PathParam("code");
  if (route.path_target == PathTarget::kEnterprise && !scope->AllowsEnterprise(code)) {
    return Denied("this enterprise is outside your scope");
  }
  if (route.path_target == PathTarget::kMeter && !meter_allowed(code)) {
    return Denied("this meter is outside your scope");
  }
  // Query parameters that name data.
  for (const auto& [name, value] : request.query) {
    for (std::string_view item : request.QueryList(name)) {
      // The messages do not echo the value: nothing about other enterprises, not even that
      // a code exists, goes back.
      if (name == "enterprise" && !scope->AllowsEnterprise(item)) {
        return Denied("an enterprise named in 'enterprise' is outside your scope");
      }
      if (name == "entity" && !scope->AllowsEnterprise(item)) {
        return Denied("'entity' is outside your scope");
      }
      if (name == "meter" && !meter_allowed(item)) {
        return Denied("a meter named in 'meter' is outside your scope");
      }
    }
  }
  if (route.inject_enterprise && !request.Query("enterprise")) {
    if (scope->enterprises.empty()) return Denied("no enterprise is in your scope");
    for (const std::string& e : scope->enterprises) request.query.emplace_back("enterprise", e);
  }
  return std::nullopt;
}

std::function<bool(std::string_view)> Api::AllowMeter(const HttpRequest& r) {
  if (r.scope == nullptr || !r.scope->restricted) return {};
  const RequestScope* scope = r.scope;
  return [this, scope](std::string_view code) {
    if (scope->device) return scope->meters.count(code) > 0;
    Result<model::Meter> m = engine_.GetMeter(code);
    return m.ok() && scope->enterprises.count(m->enterprise_code) > 0;
  };
}

void Api::Audit(const Route& route, const HttpRequest& request, const RequestScope& scope,
                std::string before, const HttpResponse& response) {
  store::AuditRow row;
  row.ts_s = Now();
  row.actor = scope.actor.empty() ? "-" : scope.actor;
  row.role = scope.role;
  row.action = route.method + " " + route.path;
  row.target = request.path;
  row.before_json = Truncate(std::move(before));
  if (route.audit_redact) {
    row.after_json = fmt::format(R"({{"status":{},"redacted":true}})", response.status);
  } else if (route.audit_state) {
    row.after_json = Truncate(route.audit_state(request));
  } else if (response.content_type.starts_with("application/json")) {
    row.after_json = Truncate(response.body);
  } else {
    row.after_json =
        fmt::format(R"({{"status":{},"request_bytes":{}}})", response.status, request.body.size());
  }
  row.remote = request.remote_addr;
  row.status = response.status;
  Result<int64_t> seq = engine_.store().AppendAudit(row);
  if (!seq.ok()) LogError("audit log append failed: {}", seq.status().ToString());
}

// --- account endpoints.

HttpResponse Api::Login(const HttpRequest& r) {
  auto body = JsonObject(r.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto username = StringField(*body, "username", true);
  auto password = StringField(*body, "password", true);
  if (!username.ok()) return ErrorResponse(username.status());
  if (!password.ok()) return ErrorResponse(password.status());
  Result<auth::Issued> issued = auth_.Login(*username, *password, r.remote_addr, Now());
  if (!issued.ok()) {
    if (issued.status().code() == StatusCode::kResourceExhausted) {
      HttpResponse resp =
          ErrorResponse(429, StatusCode::kResourceExhausted, issued.status().message());
      const int64_t wait =
          std::max<int64_t>(auth_.limiter().RetryAfter("user:" + *username, Now()),
                            auth_.limiter().RetryAfter("ip:" + r.remote_addr, Now()));
      resp.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, wait)));
      return resp;
    }
    return ErrorResponse(issued.status());
  }
  auto user = auth_.GetUser(issued->credential.user_id);
  if (!user.ok()) return ErrorResponse(user.status());
  HttpResponse resp = JsonResponse(
      DumpJson(json{{"user", UserJson(*user)},
                    {"csrf_token", issued->csrf},
                    {"expires", FormatTimestamp(issued->credential.expires_s, engine_.zone())}}));
  resp.headers.emplace_back(
      "Set-Cookie",
      fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}", kSessionCookie,
                  issued->secret, issued->credential.expires_s - Now(),
                  options_.secure_cookies ? "; Secure" : ""));
  resp.headers.emplace_back("Cache-Control", "no-store");
  return resp;
}

HttpResponse Api::Logout(const HttpRequest& r) {
  // Ends the session; an API token used here stays valid (revoke it with DELETE).
  const auth::Principal* who = r.scope != nullptr ? r.scope->principal : nullptr;
  if (who != nullptr && who->credential.kind == auth::CredentialKind::kSession) {
    Status s = auth_.Revoke(who->credential.id);
    if (!s.ok()) return ErrorResponse(s);
  }
  HttpResponse resp = JsonResponse(R"({"logged_out":true})");
  resp.headers.emplace_back("Set-Cookie",
                            fmt::format("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
                                        kSessionCookie, options_.secure_cookies ? "; Secure" : ""));
  return resp;
}

HttpResponse Api::Me(const HttpRequest& r) {
  const auth::Principal* who = r.scope != nullptr ? r.scope->principal : nullptr;
  if (who == nullptr) return ErrorResponse(401, StatusCode::kUnauthenticated, "login required");
  json j = UserJson(who->user);
  j["credential"] = CredentialJson(who->credential, engine_.zone());
  if (r.scope != nullptr && r.scope->restricted) {
    j["scope_enterprises"] =
        std::vector<std::string>(r.scope->enterprises.begin(), r.scope->enterprises.end());
  }
  return JsonResponse(DumpJson(j));
}

HttpResponse Api::Setup(const HttpRequest& r) {
  auto body = JsonObject(r.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto token = StringField(*body, "setup_token", true);
  auto username = StringField(*body, "username", true);
  auto password = StringField(*body, "password", true);
  auto display = StringField(*body, "display_name", false);
  for (const auto* f : {&token, &username, &password, &display}) {
    if (!f->ok()) return ErrorResponse(f->status());
  }
  auth::User admin;
  admin.username = *username;
  admin.display_name = *display;
  admin.role = auth::Role::kAdmin;
  auto user = auth_.CompleteSetup(*token, admin, *password, Now());
  if (!user.ok()) return ErrorResponse(user.status());
  return JsonResponse(DumpJson(json{{"user", UserJson(*user)}}), 201);
}

HttpResponse Api::ListMyTokens(const HttpRequest& r) {
  const auth::Principal* who = r.scope != nullptr ? r.scope->principal : nullptr;
  if (who == nullptr) return ErrorResponse(401, StatusCode::kUnauthenticated, "login required");
  auto list = auth_.ListCredentials(who->user.id);
  if (!list.ok()) return ErrorResponse(list.status());
  json out = json::array();
  for (const auto& c : *list) {
    if (c.kind != auth::CredentialKind::kSession) out.push_back(CredentialJson(c, engine_.zone()));
  }
  return JsonResponse(DumpJson(json{{"tokens", out}}));
}

HttpResponse Api::IssueMyToken(const HttpRequest& r) {
  const auth::Principal* who = r.scope != nullptr ? r.scope->principal : nullptr;
  if (who == nullptr) return ErrorResponse(401, StatusCode::kUnauthenticated, "login required");
  auto body = JsonObject(r.body.empty() ? "{}" : r.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto name = StringField(*body, "name", true);
  if (!name.ok()) return ErrorResponse(name.status());
  int64_t days = 90;
  if (auto it = body->find("expires_days"); it != body->end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 3650) {
      return ErrorResponse(InvalidArgumentError("field 'expires_days' must be 0..3650 (0: never)"));
    }
    days = it->get<int64_t>();
  }
  const auth::CredentialKind kind = who->user.role == auth::Role::kDevice
                                        ? auth::CredentialKind::kDeviceToken
                                        : auth::CredentialKind::kApiToken;
  std::vector<std::string> meters = who->credential.meters;
  auto issued = auth_.IssueToken(who->user.id, kind, *name, meters,
                                 days == 0 ? 0 : Now() + days * 86400, Now());
  if (!issued.ok()) return ErrorResponse(issued.status());
  json j = CredentialJson(issued->credential, engine_.zone());
  j["token"] = issued->secret;
  j["note"] = "shown once; store it now / 仅显示一次，请立即保存";
  return JsonResponse(DumpJson(j), 201);
}

HttpResponse Api::RevokeMyToken(const HttpRequest& r) {
  const auth::Principal* who = r.scope != nullptr ? r.scope->principal : nullptr;
  if (who == nullptr) return ErrorResponse(401, StatusCode::kUnauthenticated, "login required");
  Result<int64_t> cred_id_or = PathId(r);
  if (!cred_id_or.ok()) return ErrorResponse(cred_id_or.status());
  const int64_t cred_id = *cred_id_or;
  auto list = auth_.ListCredentials(who->user.id);
  if (!list.ok()) return ErrorResponse(list.status());
  for (const auto& c : *list) {
    if (c.id == cred_id) {
      Status s = auth_.Revoke(cred_id);
      if (!s.ok()) return ErrorResponse(s);
      HttpResponse resp;
      resp.status = 204;
      resp.content_type.clear();
      return resp;
    }
  }
  return ErrorResponse(NotFoundError("you have no token with this id"));
}

HttpResponse Api::ListUsers(const HttpRequest&) {
  auto users = auth_.ListUsers();
  if (!users.ok()) return ErrorResponse(users.status());
  json out = json::array();
  for (const auto& u : *users) out.push_back(UserJson(u));
  return JsonResponse(DumpJson(json{{"users", out}}));
}

namespace {

Result<auth::User> UserFromJson(const json& j, auth::User u) {
  ZP_ASSIGN_OR_RETURN(std::string username, StringField(j, "username", u.id == 0));
  if (!username.empty()) u.username = username;
  ZP_ASSIGN_OR_RETURN(std::string display, StringField(j, "display_name", false));
  if (j.contains("display_name")) u.display_name = display;
  ZP_ASSIGN_OR_RETURN(std::string role, StringField(j, "role", u.id == 0));
  if (!role.empty()) {
    ZP_ASSIGN_OR_RETURN(u.role, auth::ParseRole(role));
  }
  ZP_ASSIGN_OR_RETURN(std::string enterprise, StringField(j, "enterprise_code", false));
  if (j.contains("enterprise_code")) u.enterprise_code = enterprise;
  if (j.contains("zones")) {
    ZP_ASSIGN_OR_RETURN(u.zones, StringList(j, "zones"));
  }
  if (auto it = j.find("disabled"); it != j.end()) {
    if (!it->is_boolean()) return InvalidArgumentError("field 'disabled' must be true or false");
    u.disabled = it->get<bool>();
  }
  return u;
}

}  // namespace

HttpResponse Api::CreateUser(const HttpRequest& r) {
  auto body = JsonObject(r.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto user = UserFromJson(*body, auth::User{});
  if (!user.ok()) return ErrorResponse(user.status());
  auto password = StringField(*body, "password", user->role != auth::Role::kDevice);
  if (!password.ok()) return ErrorResponse(password.status());
  if (!user->enterprise_code.empty() && !engine_.GetEnterprise(user->enterprise_code).ok()) {
    return ErrorResponse(InvalidArgumentError("no enterprise '" + user->enterprise_code + "'"));
  }
  for (const std::string& z : user->zones) {
    if (!engine_.GetZone(z).ok()) return ErrorResponse(InvalidArgumentError("no zone '" + z + "'"));
  }
  auto created = auth_.CreateUser(*user, *password);
  if (!created.ok()) return ErrorResponse(created.status());
  return JsonResponse(DumpJson(UserJson(*created)), 201);
}

HttpResponse Api::UpdateUser(const HttpRequest& r) {
  Result<int64_t> id_or = PathId(r);
  if (!id_or.ok()) return ErrorResponse(id_or.status());
  const int64_t id = *id_or;
  auto existing = auth_.GetUser(id);
  if (!existing.ok()) return ErrorResponse(existing.status());
  auto body = JsonObject(r.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto user = UserFromJson(*body, *existing);
  if (!user.ok()) return ErrorResponse(user.status());
  if (!user->enterprise_code.empty() && !engine_.GetEnterprise(user->enterprise_code).ok()) {
    return ErrorResponse(InvalidArgumentError("no enterprise '" + user->enterprise_code + "'"));
  }
  auto updated = auth_.UpdateUser(*user);
  if (!updated.ok()) return ErrorResponse(updated.status());
  if (auto pw = StringField(*body, "password", false); pw.ok() && !pw->empty()) {
    Status s = auth_.SetPassword(id, *pw);
    if (!s.ok()) return ErrorResponse(s);
    // A new password ends the account's browser sessions (its API tokens stay valid).
    auto creds = auth_.ListCredentials(id);
    if (!creds.ok()) return ErrorResponse(creds.status());
    for (const auth::Credential& c : *creds) {
      if (c.kind == auth::CredentialKind::kSession && !c.revoked) {
        if (Status r = auth_.Revoke(c.id); !r.ok()) return ErrorResponse(r);
      }
    }
  }
  return JsonResponse(DumpJson(UserJson(*updated)));
}

HttpResponse Api::IssueUserToken(const HttpRequest& r) {
  Result<int64_t> id_or = PathId(r);
  if (!id_or.ok()) return ErrorResponse(id_or.status());
  const int64_t id = *id_or;
  auto user = auth_.GetUser(id);
  if (!user.ok()) return ErrorResponse(user.status());
  auto body = JsonObject(r.body.empty() ? "{}" : r.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto name = StringField(*body, "name", true);
  if (!name.ok()) return ErrorResponse(name.status());
  auto meters = StringList(*body, "meters");
  if (!meters.ok()) return ErrorResponse(meters.status());
  for (const std::string& m : *meters) {
    if (!engine_.GetMeter(m).ok())
      return ErrorResponse(InvalidArgumentError("no meter '" + m + "'"));
  }
  int64_t days = 365;
  if (auto it = body->find("expires_days"); it != body->end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 3650) {
      return ErrorResponse(InvalidArgumentError("field 'expires_days' must be 0..3650 (0: never)"));
    }
    days = it->get<int64_t>();
  }
  const auth::CredentialKind kind = user->role == auth::Role::kDevice
                                        ? auth::CredentialKind::kDeviceToken
                                        : auth::CredentialKind::kApiToken;
  auto issued =
      auth_.IssueToken(id, kind, *name, *meters, days == 0 ? 0 : Now() + days * 86400, Now());
  if (!issued.ok()) return ErrorResponse(issued.status());
  json j = CredentialJson(issued->credential, engine_.zone());
  j["token"] = issued->secret;
  j["note"] = "shown once; store it now / 仅显示一次，请立即保存";
  return JsonResponse(DumpJson(j), 201);
}

HttpResponse Api::ListAllCredentials(const HttpRequest& r) {
  auto user = ParseIntParam(r, "user", 0, 0, INT64_MAX);
  if (!user.ok()) return ErrorResponse(user.status());
  auto list = auth_.ListCredentials(*user);
  if (!list.ok()) return ErrorResponse(list.status());
  json out = json::array();
  for (const auto& c : *list) out.push_back(CredentialJson(c, engine_.zone()));
  return JsonResponse(DumpJson(json{{"credentials", out}}));
}

HttpResponse Api::RevokeCredential(const HttpRequest& r) {
  Result<int64_t> id_or = PathId(r);
  if (!id_or.ok()) return ErrorResponse(id_or.status());
  const int64_t id = *id_or;
  Status s = auth_.Revoke(id);
  if (!s.ok()) return ErrorResponse(s);
  HttpResponse resp;
  resp.status = 204;
  resp.content_type.clear();
  return resp;
}

HttpResponse Api::AuditLog(const HttpRequest& r) {
  auto from = ParseIntParam(r, "from_seq", 0, 0, INT64_MAX);
  auto limit = ParseIntParam(r, "limit", 1000, 1, 100000);
  if (!from.ok()) return ErrorResponse(from.status());
  if (!limit.ok()) return ErrorResponse(limit.status());
  std::string actor, target;
  if (auto a = r.Query("actor")) actor = std::string(*a);
  if (auto t = r.Query("target")) target = std::string(*t);
  json out = json::array();
  Status s = engine_.store().ReadAudit(*from, *limit, actor, target, [&](const store::AuditRow& a) {
    auto parse = [](const std::string& text) {
      if (text.empty()) return json(nullptr);
      json j = json::parse(text, nullptr, false);
      return j.is_discarded() ? json(text) : j;
    };
    out.push_back(json{{"seq", a.seq},
                       {"time", FormatTimestamp(a.ts_s, engine_.zone())},
                       {"actor", a.actor},
                       {"role", a.role},
                       {"action", a.action},
                       {"target", a.target},
                       {"before", parse(a.before_json)},
                       {"after", parse(a.after_json)},
                       {"remote", a.remote},
                       {"status", a.status}});
  });
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(DumpJson(json{{"entries", out}}));
}

}  // namespace zp::server
