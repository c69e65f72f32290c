// Access control over real HTTP on loopback: every route of the router's own table as every role
// (a new route cannot be forgotten), enterprise A asking for enterprise B's data by every path
// and parameter, bad / expired / revoked credentials and tampered cookies, CSRF, login rate
// limiting, injection attempts in every text parameter, and the audit log of writes.

#include "zp/auth/auth.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "api.h"
#include "http_testing.h"
#include "zp/engine/testing.h"
#include "zp/server/server.h"
#include "zp/store/store.h"

namespace zp::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kDay0 = 1735660800;  // 2025-01-01T00:00:00+08:00

std::string CreditCode(std::string_view first17) {
  Result<char> check = model::CreditCodeCheckChar(first17);
  EXPECT_TRUE(check.ok());
  return std::string(first17) + (check.ok() ? *check : '0');
}

std::string Encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

const std::vector<std::string> kRoles = {"admin",      "analyst", "officer",
                                         "enterprise", "auditor", "device"};

// The policy the routes must implement, written out independently of api_auth.cc.
bool Allowed(Access access, std::string_view role) {
  switch (access) {
    case Access::kPublic:
    case Access::kSelf:
      return true;
    case Access::kRead:
      return role != "device";
    case Access::kParkRead:
      return role == "admin" || role == "analyst" || role == "auditor";
    case Access::kUpload:
      return role == "admin" || role == "enterprise" || role == "device";
    case Access::kEnterpriseWrite:
      return role == "admin" || role == "enterprise";
    case Access::kAudit:
      return role == "admin" || role == "auditor";
    case Access::kSupervise:
      return role == "admin" || role == "officer";
    case Access::kAdmin:
      return role == "admin";
  }
  return false;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = engine::OpenTestEngine("memory:");
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(*engine);
    Seed();
    ServerOptions options;
    options.port = 0;
    options.threads = 4;
    auto server = Server::Start(*engine_, options);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(*server);
    // A pollution source of each enterprise (the environment API's scope).
    const std::string sources = fmt::format(
        R"({{"sources":[{{"code":"A.DA001","name":"甲 1号锅炉","enterprise":"{}","kind":"stack",
        "mn":"A0000000000000000000001","password":"pw-a","fuel":"coal","boiler_class":"in_use",
        "pollutants":["a21026","a19001"]}},{{"code":"B.DA001","name":"乙 Bravo 1号锅炉",
        "enterprise":"{}","kind":"stack","mn":"B0000000000000000000001","password":"pw-b",
        "fuel":"gas","boiler_class":"new","pollutants":["a21002","a19001"]}}]}})",
        a_, b_);
    auto put = Send("PUT", "/api/v1/env/sources", sources, tokens_.at("admin"));
    ASSERT_TRUE(put);
    ASSERT_EQ(put->status, 200) << put->body;
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  void Seed() {
    model::Park park = engine_->GetPark();
    park.name = "隔离测试园区";
    park.province = "辽宁";
    ASSERT_TRUE(engine_->PutPark(park).ok());
    for (std::string z : {"Z1", "Z2"}) {
      model::Zone zone;
      zone.code = z;
      zone.name = "网格 " + z;
      ASSERT_TRUE(engine_->PutZone(zone, true).ok());
    }
    auto enterprise = [&](const std::string& code, const std::string& name,
                          const std::string& zone) {
      model::Enterprise e;
      e.code = code;
      e.name = name;
      e.industry_code = "C3670";
      e.zone_code = zone;
      ASSERT_TRUE(engine_->PutEnterprise(e, true).ok());
    };
    enterprise(a_, "甲公司 Alpha Co", "Z1");
    enterprise(b_, "乙公司 Bravo Co", "Z2");
    auto meter = [&](const std::string& code, const std::string& ent) {
      model::Meter m;
      m.code = code;
      m.name = "meter " + code;
      m.enterprise_code = ent;
      ASSERT_TRUE(engine_->PutMeter(m, true).ok());
    };
    meter("A.EL", a_);
    meter("B.EL", b_);
    meter("PARK.EL", "");
    std::vector<engine::ReadingIn> readings;
    const auto index = engine_->meter_index();
    for (const char* code : {"A.EL", "B.EL", "PARK.EL"}) {
      for (int i = 0; i < 96; ++i) {
        readings.push_back({index->Find(code)->id, kDay0 + i * 900, 1.0});
      }
    }
    ASSERT_TRUE(engine_->Write(readings, "seed").ok());
    ASSERT_TRUE(engine_->Flush().ok());
    for (const std::string& e : {a_, b_}) {
      model::EnterpriseDatum d;
      d.enterprise_code = e;
      d.indicator = "added_value";
      d.period = {2025, 1};
      d.value = e == a_ ? 111.25 : 987.75;
      d.unit = "10k CNY";
      d.source = "seed";
      ASSERT_TRUE(engine_->PutEnterpriseData({d}).ok());
    }
    auth::AuthService service(engine_->store());
    const int64_t now = std::time(nullptr);
    for (const std::string& role : kRoles) {
      auth::User u;
      u.username = "u-" + role;
      u.role = *auth::ParseRole(role);
      if (role == "enterprise") u.enterprise_code = a_;
      if (role == "officer") u.zones = {"Z1"};
      auto created = service.CreateUser(u, role == "device" ? "" : password_);
      ASSERT_TRUE(created.ok()) << role << ": " << created.error().ToString();
      auto token = service.IssueToken(
          created->id,
          role == "device" ? auth::CredentialKind::kDeviceToken : auth::CredentialKind::kApiToken,
          "t", role == "device" ? std::vector<std::string>{"A.EL"} : std::vector<std::string>{}, 0,
          now);
      ASSERT_TRUE(token.ok()) << role << ": " << token.error().ToString();
      tokens_[role] = token->secret;
      user_ids_[role] = created->id;
    }
  }

  httplib::Result Send(const std::string& method, const std::string& target,
                       const std::string& body, const std::string& token,
                       const std::string& type = "application/json",
                       const httplib::Headers& extra = {}) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(30, 0);
    httplib::Headers headers = extra;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    if (method == "GET") return testing::GetUntilEventStream(c, target, headers);
    if (method == "POST") return c.Post(target, headers, body, type);
    if (method == "PUT") return c.Put(target, headers, body, type);
    return c.Delete(target, headers);
  }

  // A request for the route that an allowed caller could make: path parameters and required
  // query parameters filled with enterprise A's (or the caller's own) identifiers.
  std::string Target(const Route& route, const std::map<std::string, std::string>& values) {
    std::string path = route.path;
    for (const auto& [name, value] : values) {
      const std::string p = "{" + name + "}";
      if (size_t at = path.find(p); at != std::string::npos) path.replace(at, p.size(), value);
    }
    std::string query;
    for (const ParamSpec& p : route.params) {
      if (p.in != ParamIn::kQuery || !p.required) continue;
      std::string v = values.count(p.name) ? values.at(p.name) : "x";
      query += (query.empty() ? "?" : "&") + p.name + "=" + Encode(v);
    }
    return path + query;
  }

  std::map<std::string, std::string> OwnValues(const Route& route) {
    std::map<std::string, std::string> v = {
        {"meter", "A.EL"},     {"enterprise", a_},     {"entity", a_}, {"indicator", "added_value"},
        {"period", "2025-01"}, {"mapping", "m1"},      {"name", "m1"}, {"id", "999999"},
        {"source", "A.DA001"}, {"pollutant", "a21026"}};
    v["code"] = route.path_target == PathTarget::kEnterprise ? a_
                : route.path.starts_with("/api/v1/zones")    ? "Z1"
                                                             : "A.EL";
    return v;
  }

  std::string a_ = CreditCode("91210112MA0YAAAA1");
  std::string b_ = CreditCode("91210112MA0YBBBB2");
  std::string password_ = "correct horse battery";
  std::map<std::string, std::string> tokens_;
  std::map<std::string, int64_t> user_ids_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Server> server_;
};

TEST_F(AuthTest, EveryRouteAsEveryRole) {
  Api api(*engine_, ApiOptions{});
  int checked = 0;
  for (const Route& route : api.router().routes()) {
    // Logout would end nothing here (tokens, not sessions); setup/login have their own tests.
    const std::string target = Target(route, OwnValues(route));
    for (const std::string& role : kRoles) {
      if (route.method == "DELETE" && role == "admin") continue;  // keep the fixture intact
      auto res = Send(route.method, target, "", tokens_.at(role),
                      route.request_type.empty() ? "text/plain" : route.request_type);
      ASSERT_TRUE(res) << route.method << " " << target;
      const bool denied = res->status == 401 || res->status == 403;
      EXPECT_NE(denied, Allowed(route.access, role))
          << role << " " << route.method << " " << target << " (" << AccessName(route.access)
          << ") -> " << res->status << " " << res->body.substr(0, 200);
      EXPECT_LT(res->status, 500) << role << " " << route.method << " " << target;
      ++checked;
    }
    // Anonymous: only public routes.
    auto res = Send(route.method, target, "", "",
                    route.request_type.empty() ? "text/plain" : route.request_type);
    ASSERT_TRUE(res);
    if (route.access == Access::kPublic) {
      EXPECT_NE(res->status, 401) << route.method << " " << target;
    } else {
      EXPECT_EQ(res->status, 401) << route.method << " " << target;
      EXPECT_THAT(res->body, Not(HasSubstr(a_)));
    }
  }
  EXPECT_GT(checked, 300);
}

TEST_F(AuthTest, EnterpriseAAskingForBByEveryPathAndParameter) {
  Api api(*engine_, ApiOptions{});
  const std::vector<std::string> b_markers = {b_, "B.EL", "Bravo", "987.75", "B.DA001"};
  for (const std::string role : {"enterprise", "officer"}) {
    const std::string& token = tokens_.at(role);
    for (const Route& route : api.router().routes()) {
      if (!Allowed(route.access, role) || route.access == Access::kPublic) continue;
      std::vector<std::string> attempts;
      // B in the path.
      if (route.path_target == PathTarget::kEnterprise) {
        auto v = OwnValues(route);
        v["code"] = b_;
        attempts.push_back(Target(route, v));
      }
      if (route.path_target == PathTarget::kMeter) {
        auto v = OwnValues(route);
        v["code"] = "B.EL";
        attempts.push_back(Target(route, v));
      }
      // B in every parameter that names data, required or not.
      for (const ParamSpec& p : route.params) {
        if (p.in != ParamIn::kQuery) continue;
        std::string value;
        if (p.name == "enterprise" || p.name == "entity") value = b_;
        if (p.name == "meter") value = "B.EL";
        if (p.name == "source") value = "B.DA001";
        if (value.empty()) continue;
        auto v = OwnValues(route);
        v[p.name] = value;
        std::string target = Target(route, v);
        if (!p.required)
          target +=
              (target.find('?') == std::string::npos ? "?" : "&") + p.name + "=" + Encode(value);
        attempts.push_back(target);
      }
      for (const std::string& target : attempts) {
        auto res = Send(route.method, target, "", token, "text/plain");
        ASSERT_TRUE(res);
        EXPECT_TRUE(res->status == 403 || res->status == 404)
            << role << " " << route.method << " " << target << " -> " << res->status << " "
            << res->body.substr(0, 200);
        for (const std::string& m : b_markers) {
          EXPECT_THAT(res->body, Not(HasSubstr(m))) << role << " " << route.method << " " << target;
        }
      }
      // Without naming anything: lists, aggregates and exports hold no trace of B.
      if (route.method == "GET") {
        auto res = Send("GET", Target(route, OwnValues(route)), "", token);
        ASSERT_TRUE(res);
        for (const std::string& m : b_markers) {
          EXPECT_THAT(res->body, Not(HasSubstr(m)))
              << role << " GET " << Target(route, OwnValues(route));
        }
      }
    }
  }
  // Every format and grouping of the figures.
  for (const std::string by : {"enterprise", "industry", "zone", "carrier", "park"}) {
    for (const std::string path : {"/api/v1/energy", "/api/v1/carbon", "/api/v1/sums"}) {
      for (const std::string format : {"json", "csv"}) {
        const std::string target =
            path +
            "?by=" + (path == "/api/v1/sums" && by == "industry" ? std::string("meter") : by) +
            "&format=" + format +
            (path == "/api/v1/sums" ? "&from=2025-01-01&to=2025-01-02" : "&year=2025");
        auto res = Send("GET", target, "", tokens_.at("enterprise"));
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 200) << target << " " << res->body.substr(0, 200);
        for (const std::string& m : b_markers) {
          EXPECT_THAT(res->body, Not(HasSubstr(m))) << target;
        }
      }
    }
  }
  // A's own data is there.
  auto own = Send("GET", "/api/v1/energy?by=enterprise&year=2025", "", tokens_.at("enterprise"));
  ASSERT_TRUE(own);
  EXPECT_THAT(own->body, HasSubstr(a_));
  // Writes of B's meters or data are refused, A's accepted.
  auto w =
      Send("POST", "/write?precision=s", "e,meter=B.EL kwh=5 " + std::to_string(kDay0 + 99 * 900),
           tokens_.at("enterprise"), "text/plain");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, 400);
  EXPECT_THAT(w->body, HasSubstr("not writable"));
  w = Send("POST", "/write?precision=s", "e,meter=A.EL kwh=5 " + std::to_string(kDay0 + 99 * 900),
           tokens_.at("enterprise"), "text/plain");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, 204) << w->body;
  w = Send("POST", "/write?precision=s", "e,meter=PARK.EL kwh=5 " + std::to_string(kDay0),
           tokens_.at("device"), "text/plain");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, 400);
  w = Send("POST", "/api/v1/economic",
           R"([{"enterprise_code":")" + b_ +
               R"(","indicator":"tax","period":"2025-01","value":1,"unit":"万元"}])",
           tokens_.at("enterprise"));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, 403);
  auto history = engine_->EnterpriseData(b_, "tax", true);
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());
}

TEST_F(AuthTest, BadExpiredRevokedAndTamperedCredentials) {
  const std::string target = "/api/v1/enterprises";
  auto expect_401 = [&](const httplib::Result& res, const std::string& what) {
    ASSERT_TRUE(res) << what;
    EXPECT_EQ(res->status, 401) << what;
    EXPECT_THAT(res->body, Not(HasSubstr(a_))) << what;
    EXPECT_THAT(res->body, Not(HasSubstr(b_))) << what;
  };
  expect_401(Send("GET", target, "", "zp_not-a-real-token"), "unknown token");
  std::string tampered = tokens_.at("admin");
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  expect_401(Send("GET", target, "", tampered), "tampered token");
  expect_401(Send("GET", target, "", "", "", {{"Authorization", "Digest abc"}}),
             "unsupported scheme");
  // Expired: a token whose expiry has passed.
  store::CredentialRow expired;
  expired.user_id = user_ids_.at("analyst");
  expired.kind = "api";
  const std::string expired_secret = auth::NewSecret();
  expired.secret_hash = auth::HashSecret(expired_secret);
  expired.created_s = std::time(nullptr) - 100;
  expired.expires_s = std::time(nullptr) - 10;
  ASSERT_TRUE(engine_->store().InsertCredential(expired).ok());
  expect_401(Send("GET", target, "", expired_secret), "expired token");
  // Revoked.
  auth::AuthService service(engine_->store());
  auto issued = service.IssueToken(user_ids_.at("analyst"), auth::CredentialKind::kApiToken, "r",
                                   {}, 0, std::time(nullptr));
  ASSERT_TRUE(issued.ok());
  ASSERT_EQ(Send("GET", target, "", issued->secret)->status, 200);
  ASSERT_TRUE(service.Revoke(issued->credential.id).ok());
  expect_401(Send("GET", target, "", issued->secret), "revoked token");
  // Disabled user.
  auto user = service.GetUser(user_ids_.at("analyst"));
  ASSERT_TRUE(user.ok());
  user->disabled = true;
  ASSERT_TRUE(service.UpdateUser(*user).ok());
  expect_401(Send("GET", target, "", tokens_.at("analyst")), "disabled user");
}

TEST_F(AuthTest, BrowserSessionCookieCsrfAndLogout) {
  httplib::Client c("127.0.0.1", server_->port());
  auto login =
      c.Post("/api/v1/login", R"({"username":"u-enterprise","password":")" + password_ + R"("})",
             "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200) << login->body;
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  EXPECT_THAT(set_cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(set_cookie, HasSubstr("SameSite=Strict"));
  EXPECT_THAT(set_cookie, HasSubstr("Secure"));
  EXPECT_THAT(login->body, Not(HasSubstr(set_cookie.substr(11, 20))));  // secret only in cookie
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const json body = json::parse(login->body);
  const std::string csrf = body["csrf_token"];
  EXPECT_EQ(body["user"]["role"], "enterprise");

  auto me = c.Get("/api/v1/me", {{"Cookie", cookie}});
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200);
  EXPECT_THAT(me->body, HasSubstr("u-enterprise"));
  // Tampered cookie.
  std::string bad = cookie;
  bad.back() = bad.back() == 'x' ? 'y' : 'x';
  auto r = c.Get("/api/v1/me", {{"Cookie", bad}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // Unsafe request by cookie without / with a wrong / with the right CSRF token.
  const std::string line = "e,meter=A.EL kwh=2 " + std::to_string(kDay0 + 90 * 900);
  r = c.Post("/write?precision=s", {{"Cookie", cookie}}, line, "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("CSRF"));
  r = c.Post("/write?precision=s", {{"Cookie", cookie}, {"X-CSRF-Token", csrf + "x"}}, line,
             "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  r = c.Post("/write?precision=s", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}, line,
             "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204) << r->body;
  // Logout ends the session.
  r = c.Post("/api/v1/logout", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}, "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Get("/api/v1/me", {{"Cookie", cookie}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST_F(AuthTest, LoginFailuresAreRateLimitedAndIndistinguishable) {
  httplib::Client c("127.0.0.1", server_->port());
  auto wrong_user =
      c.Post("/api/v1/login", R"({"username":"nobody","password":"x"})", "application/json");
  auto wrong_pass =
      c.Post("/api/v1/login", R"({"username":"u-admin","password":"x"})", "application/json");
  ASSERT_TRUE(wrong_user && wrong_pass);
  EXPECT_EQ(wrong_user->status, 401);
  EXPECT_EQ(wrong_pass->status, 401);
  EXPECT_EQ(json::parse(wrong_user->body)["error"]["message"],
            json::parse(wrong_pass->body)["error"]["message"]);
  int limited = 0;
  for (int i = 0; i < 6; ++i) {
    auto r =
        c.Post("/api/v1/login", R"({"username":"u-admin","password":"wrong"})", "application/json");
    ASSERT_TRUE(r);
    if (r->status == 429) {
      ++limited;
      EXPECT_FALSE(r->get_header_value("Retry-After").empty());
    }
  }
  EXPECT_GT(limited, 0);
  // Even the right password is refused while locked.
  auto r = c.Post("/api/v1/login", R"({"username":"u-admin","password":")" + password_ + R"("})",
                  "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
}

TEST_F(AuthTest, LandingPageOffersSignInAndHidesCodesFromAnonymous) {
  auto anon = Send("GET", "/", "", "");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 200);
  EXPECT_THAT(anon->body, HasSubstr("id=\"login\""));
  EXPECT_THAT(anon->body, Not(HasSubstr("A.EL")));
  EXPECT_THAT(anon->body, Not(HasSubstr(a_)));
  auto ent = Send("GET", "/", "", tokens_.at("enterprise"));
  ASSERT_TRUE(ent);
  EXPECT_THAT(ent->body, HasSubstr("u-enterprise (enterprise)"));
  EXPECT_THAT(ent->body, Not(HasSubstr("B.EL")));
  auto admin = Send("GET", "/", "", tokens_.at("admin"));
  ASSERT_TRUE(admin);
  EXPECT_THAT(admin->body, HasSubstr("u-admin (admin)"));
  EXPECT_THAT(admin->body, HasSubstr("/api/v1/readings?meter="));
}

TEST_F(AuthTest, FirstStartSetupTokenIsOneTime) {
  auto engine = engine::OpenTestEngine("memory:");
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  ServerOptions options;
  options.port = 0;
  auto server = Server::Start(**engine, options);
  ASSERT_TRUE(server.ok());
  auth::AuthService service((*engine)->store());
  auto setup = service.CreateSetupToken(std::time(nullptr));
  ASSERT_TRUE(setup.ok()) << setup.error().ToString();
  httplib::Client c("127.0.0.1", (*server)->port());
  // The setup token is not a login credential.
  auto r = c.Get("/api/v1/me", {{"Authorization", "Bearer " + setup->secret}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  const std::string body = R"({"setup_token":")" + setup->secret +
                           R"(","username":"chief","password":"a long enough secret 1"})";
  r = c.Post("/api/v1/setup", body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  r = c.Post("/api/v1/setup", body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_GE(r->status, 400);
  EXPECT_LT(r->status, 500);
  r = c.Post("/api/v1/login", R"({"username":"chief","password":"a long enough secret 1"})",
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  (*server)->Stop();
}

TEST_F(AuthTest, InjectionInEveryTextParameterIsHarmless) {
  Api api(*engine_, ApiOptions{});
  const std::vector<std::string> payloads = {"' OR '1'='1",
                                             "'; DROP TABLE meters; --",
                                             "\" OR 1=1 --",
                                             "../../../../etc/passwd",
                                             "..%2F..%2Fetc%2Fpasswd",
                                             "%00",
                                             "A.EL' --",
                                             "1; SELECT * FROM users"};
  const size_t meters_before = engine_->ListMeters().size();
  for (const Route& route : api.router().routes()) {
    if (route.method != "GET") continue;
    for (const std::string& payload : payloads) {
      // In the path.
      for (std::string name : {"code", "name", "id"}) {
        if (route.path.find("{" + name + "}") == std::string::npos) continue;
        auto v = OwnValues(route);
        v[name] = Encode(payload);
        auto res = Send("GET", Target(route, v), "", tokens_.at("admin"));
        ASSERT_TRUE(res);
        EXPECT_LT(res->status, 500) << route.path << " " << payload;
        EXPECT_THAT(res->body, Not(HasSubstr("root:x:0")));
      }
      // In every query parameter.
      for (const ParamSpec& p : route.params) {
        if (p.in != ParamIn::kQuery) continue;
        auto v = OwnValues(route);
        v[p.name] = payload;
        std::string target = Target(route, v);
        if (!p.required)
          target +=
              (target.find('?') == std::string::npos ? "?" : "&") + p.name + "=" + Encode(payload);
        for (const std::string role : {"admin", "enterprise"}) {
          auto res = Send("GET", target, "", tokens_.at(role));
          ASSERT_TRUE(res);
          EXPECT_LT(res->status, 500) << role << " " << target;
          EXPECT_THAT(res->body, Not(HasSubstr("root:x:0")));
          if (role == "enterprise") {
            EXPECT_THAT(res->body, Not(HasSubstr("Bravo"))) << target;
          }
        }
      }
    }
  }
  // Nothing was dropped or changed.
  EXPECT_EQ(engine_->ListMeters().size(), meters_before);
  auth::AuthService service(engine_->store());
  EXPECT_EQ(service.ListUsers()->size(), kRoles.size());
}

TEST_F(AuthTest, EveryWriteIsAuditedWithBeforeAndAfter) {
  auto r = Send("PUT", "/api/v1/meters/A.EL", R"({"name":"新名称 renamed"})", tokens_.at("admin"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  // A refused write is recorded too.
  r = Send("PUT", "/api/v1/meters/A.EL", R"({"name":"x"})", tokens_.at("analyst"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  auto log = Send("GET", "/api/v1/audit", "", tokens_.at("auditor"));
  ASSERT_TRUE(log);
  ASSERT_EQ(log->status, 200);
  const json entries = json::parse(log->body)["entries"];
  bool rename = false, refused = false;
  for (const auto& e : entries) {
    if (e["actor"] == "u-admin" && e["action"] == "PUT /api/v1/meters/{code}") {
      rename = true;
      EXPECT_EQ(e["target"], "/api/v1/meters/A.EL");
      EXPECT_EQ(e["before"]["name"], "meter A.EL");
      EXPECT_EQ(e["after"]["name"], "新名称 renamed");
      EXPECT_EQ(e["status"], 200);
    }
    if (e["actor"] == "u-analyst" && e["status"] == 403) refused = true;
  }
  EXPECT_TRUE(rename) << log->body;
  EXPECT_TRUE(refused) << log->body;
  // Secrets never reach the audit log: a login's CSRF token, a new token, passwords.
  auto login = Send("POST", "/api/v1/login",
                    R"({"username":"u-analyst","password":")" + password_ + R"("})", "");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200);
  const std::string csrf = json::parse(login->body)["csrf_token"];
  auto issued =
      Send("POST", "/api/v1/me/tokens", R"({"name":"audit-check"})", tokens_.at("analyst"));
  ASSERT_TRUE(issued);
  ASSERT_EQ(issued->status, 201) << issued->body;
  const std::string new_token = json::parse(issued->body)["token"];
  auto user =
      Send("PUT", "/api/v1/users/" + std::to_string(user_ids_.at("officer")),
           R"({"display_name":"王网格","password":"another long secret 7"})", tokens_.at("admin"));
  ASSERT_TRUE(user);
  ASSERT_EQ(user->status, 200) << user->body;
  // The officer's new password works; the old one does not.
  auto relog = Send("POST", "/api/v1/login",
                    R"({"username":"u-officer","password":"another long secret 7"})", "");
  ASSERT_TRUE(relog);
  EXPECT_EQ(relog->status, 200);
  log = Send("GET", "/api/v1/audit?limit=100000", "", tokens_.at("auditor"));
  ASSERT_TRUE(log);
  EXPECT_THAT(log->body, Not(HasSubstr(csrf)));
  EXPECT_THAT(log->body, Not(HasSubstr(new_token)));
  EXPECT_THAT(log->body, Not(HasSubstr(password_)));
  EXPECT_THAT(log->body, Not(HasSubstr("another long secret 7")));
  EXPECT_THAT(log->body, HasSubstr("王网格"));  // the account change itself is recorded
  // The log cannot be changed through the store.
  EXPECT_EQ(Send("GET", "/api/v1/audit", "", tokens_.at("analyst"))->status, 403);
  // Readings carry the writer in their provenance.
  r = Send("POST", "/write?precision=s", "e,meter=A.EL kwh=9 " + std::to_string(kDay0),
           tokens_.at("device"), "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204) << r->body;
  ASSERT_TRUE(engine_->Flush().ok());
  auto corrections = engine_->Corrections("A.EL", kDay0, kDay0 + 1);
  ASSERT_TRUE(corrections.ok());
  ASSERT_EQ(corrections->size(), 1u);
  EXPECT_THAT((*corrections)[0].source, HasSubstr("u-device"));
  // Accepted readings writes are not audited per request (their corrections carry the writer);
  // a refused one is.
  r = Send("POST", "/write?precision=s", "e,meter=B.EL kwh=9 " + std::to_string(kDay0),
           tokens_.at("device"), "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  log = Send("GET", "/api/v1/audit?actor=u-device", "", tokens_.at("auditor"));
  ASSERT_TRUE(log);
  const json device_entries = json::parse(log->body)["entries"];
  ASSERT_EQ(device_entries.size(), 1u) << log->body;
  EXPECT_EQ(device_entries[0]["status"], 400);
}

// Green matching: restricted roles get their enterprises without the park block (no park
// generation or totals), park-wide roles get the park; B never shows for A's users.
TEST_F(AuthTest, GreenMatchingHidesTheParkAndOtherEnterprises) {
  const std::string target = "/api/v1/green/matching?from=2025-01-01&to=2025-01-02";
  for (const std::string role : {"enterprise", "officer", "analyst", "auditor", "admin"}) {
    auto res = Send("GET", target, "", tokens_.at(role));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << role << " " << res->body.substr(0, 200);
    json j = json::parse(res->body);
    const bool restricted = role == "enterprise" || role == "officer";
    EXPECT_EQ(j.contains("park"), !restricted) << role;
    EXPECT_EQ(j["enterprises"].size(), restricted ? 1u : 2u) << role;
    EXPECT_EQ(j["enterprises"][0]["code"], a_) << role;
    if (restricted) {
      for (const std::string& m : {b_, std::string("Bravo")}) {
        EXPECT_THAT(res->body, Not(HasSubstr(m))) << role;
      }
      auto hours = Send("GET", target + "&hours=true", "", tokens_.at(role));
      ASSERT_TRUE(hours);
      EXPECT_EQ(hours->status, 200) << role << " " << hours->body.substr(0, 200);
      EXPECT_THAT(hours->body, Not(HasSubstr(b_)));
    }
  }
  auto res = Send("GET", target, "", tokens_.at("device"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

// Green certificates and statements after a settlement: the park's PV is shared by A and B; an
// enterprise user and an officer of A's zone see A's certificates and statement only, park-wide
// roles see both; settling and the supply registry are for the administrator.
TEST_F(AuthTest, GreenCertificatesAndStatementsAreScoped) {
  model::Meter pv;
  pv.code = "PARK.PV";
  pv.name = "park PV";
  pv.carrier = units::Carrier::kElectricity;
  pv.unit = "kWh";
  pv.flow = model::MeterFlow::kGeneration;
  ASSERT_TRUE(engine_->PutMeter(pv, true).ok());
  std::vector<engine::ReadingIn> readings;
  const int64_t id = engine_->meter_index()->Find("PARK.PV")->id;
  for (int i = 32; i < 48; ++i) readings.push_back({id, kDay0 + i * 900, 2.0});  // 08:00-12:00
  ASSERT_TRUE(engine_->Write(readings, "seed").ok());
  ASSERT_TRUE(engine_->Flush().ok());

  for (const std::string role : {"analyst", "auditor", "officer", "enterprise", "device"}) {
    auto res =
        Send("POST", "/api/v1/green/settlements", R"({"month":"2025-01"})", tokens_.at(role));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << role;
    res = Send("PUT", "/api/v1/green/supply", "{}", tokens_.at(role));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << role;
  }
  auto res =
      Send("POST", "/api/v1/green/settlements", R"({"month":"2025-01"})", tokens_.at("admin"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;

  const std::vector<std::string> b_markers = {b_, "Bravo"};
  for (const std::string role : {"enterprise", "officer"}) {
    const std::string& token = tokens_.at(role);
    res = Send("GET", "/api/v1/green/certificates?limit=1000", "", token);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << role << " " << res->body.substr(0, 200);
    json j = json::parse(res->body);
    ASSERT_GT(j["total"].get<int64_t>(), 0) << role;
    for (const json& b : j["certificates"]) {
      EXPECT_TRUE(b["account"] == a_ || b["consumer"] == a_) << role << " " << b.dump();
    }
    res = Send("GET", "/api/v1/green/statements?from=2025-01&to=2025-01", "", token);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << role << " " << res->body.substr(0, 200);
    j = json::parse(res->body);
    EXPECT_EQ(j["enterprise"]["code"], a_);
    EXPECT_GT(j["summary"]["claimed_kwh"].get<double>(), 0) << role;
    EXPECT_FALSE(j["hours"].empty());
    for (const std::string target : {"/api/v1/green/certificates", "/api/v1/green/statements"}) {
      res = Send("GET", target, "", token);
      ASSERT_TRUE(res);
      for (const std::string& m : b_markers) {
        EXPECT_THAT(res->body, Not(HasSubstr(m))) << role << " " << target;
      }
      res = Send("GET", target + "?enterprise=" + b_, "", token);
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, 403) << role << " " << target;
      for (const std::string& m : b_markers) EXPECT_THAT(res->body, Not(HasSubstr(m)));
    }
    for (const std::string target : {"/api/v1/green/settlements", "/api/v1/green/supply"}) {
      res = Send("GET", target, "", token);
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, 403) << role << " " << target;
    }
  }
  for (const std::string role : {"admin", "analyst", "auditor"}) {
    const std::string& token = tokens_.at(role);
    res = Send("GET", "/api/v1/green/certificates?status=claimed&limit=1000", "", token);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << role;
    std::set<std::string> consumers;
    const json page = json::parse(res->body);
    for (const json& b : page["certificates"]) consumers.insert(b["consumer"]);
    EXPECT_EQ(consumers, (std::set<std::string>{a_, b_})) << role;
    res = Send("GET", "/api/v1/green/statements?enterprise=" + b_ + "&from=2025-01&to=2025-01", "",
               token);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << role;
    EXPECT_THAT(res->body, HasSubstr("Bravo"));
    for (const std::string target : {"/api/v1/green/settlements", "/api/v1/green/supply"}) {
      res = Send("GET", target, "", token);
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, 200) << role << " " << target;
    }
  }
  res = Send("GET", "/api/v1/green/certificates", "", tokens_.at("device"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

}  // namespace
}  // namespace zp::server
