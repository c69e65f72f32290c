#include "zp/server/server.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "api.h"
#include "http_testing.h"
#include "zp/auth/auth.h"
#include "zp/engine/testing.h"
#include "zp/green/ledger.h"
#include "zp/green/ledger_store.h"
#include "zp/model/registry_csv.h"

namespace zp::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// 2025-01-01T00:00:00+08:00.
constexpr int64_t kDay0 = 1735660800;

struct Reply {
  int status = 0;
  std::string body;
  std::string content_type;
  json j;  // parsed when the body is JSON
};

Reply ToReply(const httplib::Result& res) {
  Reply r;
  if (!res) {
    ADD_FAILURE() << "HTTP request failed: " << httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.body = res->body;
  r.content_type = res->get_header_value("Content-Type");
  if (r.content_type.starts_with("application/json") && !r.body.empty()) {
    r.j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(r.j.is_discarded()) << "not JSON: " << r.body;
  }
  return r;
}

std::string ErrorMessage(const Reply& r) {
  if (!r.j.is_object() || !r.j.contains("error")) return "<no error object: " + r.body + ">";
  return r.j["error"].value("message", "");
}

std::string PercentEncode(std::string_view s) {
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

std::string CreditCode(std::string_view first17) {
  Result<char> check = model::CreditCodeCheckChar(first17);
  EXPECT_TRUE(check.ok()) << check.error().ToString();
  return std::string(first17) + (check.ok() ? *check : '0');
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartWith(ServerOptions{}); }

  void StartWith(ServerOptions options) {
    Result<std::unique_ptr<engine::Engine>> engine = engine::OpenTestEngine("memory:");
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(*engine);
    Seed();
    {
      auth::AuthService service(engine_->store());
      auth::User admin;
      admin.username = "test-admin";
      admin.role = auth::Role::kAdmin;
      Result<auth::User> created = service.CreateUser(admin, "correct horse battery");
      ASSERT_TRUE(created.ok()) << created.error().ToString();
      Result<auth::Issued> token = service.IssueToken(created->id, auth::CredentialKind::kApiToken,
                                                      "tests", {}, 0, std::time(nullptr));
      ASSERT_TRUE(token.ok()) << token.error().ToString();
      admin_token_ = token->secret;
    }
    StartServer(std::move(options));
  }

  // Starts the server on an ephemeral loopback port and a client authenticated as the admin.
  void StartServer(ServerOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 4;
    Result<std::unique_ptr<Server>> server = Server::Start(*engine_, options);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    // Every test here runs as the park administrator (auth_test.cc covers the other roles).
    client_->set_default_headers({{"Authorization", "Bearer " + admin_token_}});
    client_->set_read_timeout(60, 0);
    client_->set_write_timeout(60, 0);
  }

  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop();
  }

  void Seed() {
    model::Park park = engine_->GetPark();
    park.name = "测试园区 Test Park";
    park.province = "辽宁";
    ASSERT_TRUE(engine_->PutPark(park).ok());
    model::Zone zone;
    zone.code = "Z01";
    zone.name = "第一网格";
    ASSERT_TRUE(engine_->PutZone(zone, true).ok());
    model::Enterprise e;
    e.code = enterprise_code_;
    e.name = "沈阳测试机械有限公司";
    e.industry_code = "C3670";
    e.zone_code = "Z01";
    e.land_area_mu = 120;
    Result<model::Enterprise> stored = engine_->PutEnterprise(e, true);
    ASSERT_TRUE(stored.ok()) << stored.error().ToString();
    auto meter = [&](std::string code, units::Carrier carrier, std::string unit,
                     model::MeterKind kind, std::string formula = "") {
      model::Meter m;
      m.code = std::move(code);
      m.name = "meter " + m.code;
      m.enterprise_code = enterprise_code_;
      m.carrier = carrier;
      m.unit = std::move(unit);
      m.kind = kind;
      m.formula = std::move(formula);
      Result<model::Meter> r = engine_->PutMeter(m, true);
      ASSERT_TRUE(r.ok()) << r.error().ToString();
    };
    meter("E001", units::Carrier::kElectricity, "kWh", model::MeterKind::kInterval);
    meter("E002", units::Carrier::kElectricity, "kWh", model::MeterKind::kInterval);
    meter("G001", units::Carrier::kNaturalGas, "m3", model::MeterKind::kInterval);
    meter("V001", units::Carrier::kElectricity, "kWh", model::MeterKind::kVirtual, "+E001+E002");
  }

  Reply Get(const std::string& path) { return ToReply(client_->Get(path)); }
  Reply Post(const std::string& path, const std::string& body,
             const std::string& type = "application/json") {
    return ToReply(client_->Post(path, body, type));
  }
  Reply Put(const std::string& path, const std::string& body) {
    return ToReply(client_->Put(path, body, "application/json"));
  }
  Reply Delete(const std::string& path) { return ToReply(client_->Delete(path)); }

  size_t RawCount(const std::string& meter, const std::string& from, const std::string& to) {
    Reply r = Get("/api/v1/readings?meter=" + meter + "&from=" + from + "&to=" + to);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.j.is_object() ? r.j["readings"].size() : 0;
  }

  std::string enterprise_code_ = CreditCode("91210112MA0Y12345");
  std::string admin_token_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

// --- site

TEST_F(ServerTest, HealthReportsOk) {
  Reply r = Get("/health");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j["status"], "ok");
  EXPECT_EQ(r.j["park"], "测试园区 Test Park");
  EXPECT_EQ(r.j["version"], std::string(Version()));
}

TEST_F(ServerTest, LandingPageShowsParkCountsAndLinks) {
  ASSERT_EQ(Post("/write?precision=s", "e,meter=E001 kwh=1.5 " + std::to_string(kDay0 + 3600),
                 "text/plain")
                .status,
            204);
  ASSERT_TRUE(engine_->Flush().ok());
  Reply r = Get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/html"));
  EXPECT_THAT(r.body, HasSubstr("测试园区 Test Park"));
  EXPECT_THAT(r.body, HasSubstr("<b>1</b>网格"));
  EXPECT_THAT(r.body, HasSubstr("<b>1</b>企业"));
  EXPECT_THAT(r.body, HasSubstr("<b>4</b>表计"));
  // Examples point at the day that has data.
  EXPECT_THAT(r.body,
              HasSubstr("/api/v1/readings?meter=E001&amp;from=2025-01-01&amp;to=2025-01-02"));
  EXPECT_THAT(
      r.body,
      HasSubstr("/api/v1/sums?by=park&amp;period=month&amp;from=2025-01-01&amp;to=2026-01-01"));
  EXPECT_THAT(r.body, HasSubstr("/api/v1/openapi.json"));
  EXPECT_THAT(r.body, HasSubstr("/metrics"));
  // Every route is listed.
  EXPECT_THAT(r.body, HasSubstr("/api/v1/registry/meters.csv"));
  EXPECT_THAT(r.body, HasSubstr("/api/v1/corrections"));
  EXPECT_THAT(r.body, HasSubstr("<a href=\"/app/\">打开看板"));  // the dashboard
}

TEST_F(ServerTest, OpenApiListsEveryRegisteredRoute) {
  Reply r = Get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j["openapi"], "3.0.3");
  Api api(*engine_, ApiOptions{});
  const std::vector<Route>& routes = api.router().routes();
  EXPECT_GE(routes.size(), 40u);
  size_t operations = 0;
  for (const auto& [path, methods] : r.j["paths"].items()) operations += methods.size();
  EXPECT_EQ(operations, routes.size());
  for (const Route& route : routes) {
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    ASSERT_TRUE(r.j["paths"].contains(route.path)) << route.path;
    ASSERT_TRUE(r.j["paths"][route.path].contains(method)) << route.method << " " << route.path;
    const json& op = r.j["paths"][route.path][method];
    EXPECT_FALSE(op["summary"].get<std::string>().empty());
    // Every declared parameter is documented, path parameters as required.
    size_t documented = op.contains("parameters") ? op["parameters"].size() : 0;
    EXPECT_EQ(documented, route.params.size()) << route.path;
    if (route.path.find('{') != std::string::npos) {
      bool has_path_param = false;
      for (const json& p : op["parameters"]) {
        if (p["in"] == "path") {
          has_path_param = true;
          EXPECT_TRUE(p["required"].get<bool>());
        }
      }
      EXPECT_TRUE(has_path_param) << route.path;
    }
  }
  // The documented endpoints of the brief are all there.
  for (std::string path :
       {"/", "/health", "/metrics", "/write", "/api/v2/write", "/api/v1/readings", "/api/v1/park",
        "/api/v1/zones/{code}", "/api/v1/enterprises/{code}", "/api/v1/meters/{code}",
        "/api/v1/registry/zones.csv", "/api/v1/mappings/{name}", "/api/v1/imports", "/api/v1/sums",
        "/api/v1/completeness", "/api/v1/corrections", "/api/v1/flush"}) {
    EXPECT_TRUE(r.j["paths"].contains(path)) << path;
  }
  // Query parameters with fixed values carry them as an enum.
  const json& sums = r.j["paths"]["/api/v1/sums"]["get"];
  bool saw_by = false;
  for (const json& p : sums["parameters"]) {
    if (p["name"] == "by") {
      saw_by = true;
      EXPECT_EQ(p["schema"]["enum"].size(), 5u);
    }
  }
  EXPECT_TRUE(saw_by);
}

TEST_F(ServerTest, EveryRouteAnswersThroughLoopback) {
  // Each route of the table is reachable (no 404/405 from the router) with a plausible request.
  Api api(*engine_, ApiOptions{});
  for (const Route& route : api.router().routes()) {
    std::string path = route.path;
    for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"{code}", "NOPE"}, {"{name}", "nope"}, {"{id}", "nope"}}) {
      if (size_t at = path.find(from); at != std::string::npos) path.replace(at, from.size(), to);
    }
    std::string query;
    for (const ParamSpec& p : route.params) {
      if (p.in == ParamIn::kQuery && p.required) {
        query += (query.empty() ? "?" : "&") + p.name + "=" + (p.name == "meter" ? "E001" : "x");
      }
    }
    httplib::Result res(nullptr, httplib::Error::Unknown);
    if (route.method == "GET") {
      res = testing::GetUntilEventStream(*client_, path + query);
    } else if (route.method == "POST") {
      res = client_->Post(path + query, "", "text/plain");
    } else if (route.method == "PUT") {
      res = client_->Put(path + query, "{}", "application/json");
    } else if (route.method == "DELETE") {
      res = client_->Delete(path + query);
    }
    ASSERT_TRUE(res) << route.method << " " << path;
    EXPECT_NE(res->status, 405) << route.method << " " << path;
    if (res->status == 404) {
      // Only "no such record" 404s, never "no such endpoint".
      EXPECT_THAT(res->body, Not(HasSubstr("no such endpoint"))) << route.method << " " << path;
    }
    EXPECT_LT(res->status, 500) << route.method << " " << path << ": " << res->body;
  }
}

TEST_F(ServerTest, GarbageNeverCrashesAnyRoute) {
  // Deterministic garbage in every parameter and body of every route: never a 5xx, never a
  // dropped connection, and the answer to a 4xx is always the JSON error shape.
  std::mt19937 random(20250101);
  auto garbage = [&](size_t max_len) {
    static const std::vector<std::string> pieces = {"",           "0",
                                                    "-1",         "1e999",
                                                    "NaN",        "nan",
                                                    "inf",        "9223372036854775808",
                                                    "2025-02-30", "2025-01-01T25:00:00",
                                                    "\xff\xfe",   "\xe4\xb8",
                                                    "'",          "\"",
                                                    "{",          "[]",
                                                    "null",       ",,,",
                                                    "%00",        "E001",
                                                    "meter=E001", "\n",
                                                    "a b",        "1735660800",
                                                    "2025-01-01"};
    std::string out;
    const size_t n = random() % 4;
    for (size_t i = 0; i < n && out.size() < max_len; ++i) {
      if (random() % 3 == 0) {
        for (size_t k = random() % 16; k > 0; --k) out += static_cast<char>(random() % 256);
      } else {
        out += pieces[random() % pieces.size()];
      }
    }
    return out;
  };
  Api api(*engine_, ApiOptions{});
  for (int round = 0; round < 8; ++round) {
    for (const Route& route : api.router().routes()) {
      if (route.method == "DELETE") continue;  // keep the seeded registry for later rounds
      std::string path = route.path;
      for (std::string p : {"{code}", "{name}"}) {
        if (size_t at = path.find(p); at != std::string::npos) {
          path.replace(at, p.size(), PercentEncode(garbage(20)) + "x");
        }
      }
      std::string query;
      for (const ParamSpec& p : route.params) {
        if (p.in == ParamIn::kQuery && random() % 2 == 0) {
          query += (query.empty() ? "" : "&") + p.name + "=" + PercentEncode(garbage(30));
        }
      }
      const std::string target = query.empty() ? path : path + "?" + query;
      const std::string body = garbage(200);
      httplib::Result res(nullptr, httplib::Error::Unknown);
      if (route.method == "GET") {
        res = testing::GetUntilEventStream(*client_, target);
      } else if (route.method == "POST") {
        res = client_->Post(target, body,
                            route.request_type.empty() ? "text/plain" : route.request_type);
      } else {
        res = client_->Put(target, body, "application/json");
      }
      ASSERT_TRUE(res) << route.method << " " << target;
      EXPECT_LT(res->status, 500) << route.method << " " << target << ": " << res->body;
      if (res->status >= 400) {
        const json j = json::parse(res->body, nullptr, false);
        EXPECT_TRUE(j.is_object() && j.contains("error")) << route.method << " " << target;
      }
    }
  }
  EXPECT_EQ(Get("/health").status, 200);
}

TEST_F(ServerTest, UnknownPathAndWrongMethodAreJsonErrors) {
  Reply r = Get("/api/v1/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.j["error"]["code"], "NOT_FOUND");
  EXPECT_THAT(ErrorMessage(r), HasSubstr("/api/v1/nothing"));
  r = Delete("/api/v1/park");
  EXPECT_EQ(r.status, 405);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("GET, PUT"));
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  Get("/health");
  Get("/health");
  Get("/api/v1/zones/NOPE");
  ASSERT_EQ(Post("/write?precision=s", "e,meter=E001 kwh=2 " + std::to_string(kDay0), "text/plain")
                .status,
            204);
  Reply r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/plain"));
  EXPECT_THAT(r.body,
              HasSubstr("zeropark_http_requests_total{route=\"GET /health\",status=\"200\"} 2"));
  EXPECT_THAT(
      r.body,
      HasSubstr(
          "zeropark_http_requests_total{route=\"GET /api/v1/zones/{code}\",status=\"404\"} 1"));
  EXPECT_THAT(r.body,
              HasSubstr("zeropark_http_requests_total{route=\"POST /write\",status=\"204\"} 1"));
  EXPECT_THAT(r.body, HasSubstr("zeropark_readings_written_total 1"));
  EXPECT_THAT(r.body, HasSubstr("zeropark_memtable_points 1"));
  EXPECT_THAT(r.body, HasSubstr("# TYPE zeropark_http_request_duration_seconds histogram"));
  EXPECT_THAT(r.body,
              HasSubstr("zeropark_http_request_duration_seconds_count{route=\"GET /health\"} 2"));
  EXPECT_THAT(r.body, HasSubstr("zeropark_log_commits_total"));
  EXPECT_THAT(r.body, HasSubstr("zeropark_flushes_total 0"));
}

// --- line protocol

TEST_F(ServerTest, WriteLineProtocolStoresReadings) {
  std::string body;
  for (int i = 0; i < 4; ++i) {
    body += "energy,meter=E001 kwh=" + std::to_string(10 + i) + " " +
            std::to_string(kDay0 + i * 900) + "\n";
  }
  body += "energy,meter=G001 m3=3.5 " + std::to_string(kDay0) + "\n";
  Reply r = Post("/write?precision=s", body, "text/plain");
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(RawCount("E001", "2025-01-01", "2025-01-02"), 4u);
  Reply raw = Get("/api/v1/readings?meter=E001&from=2025-01-01&to=2025-01-02");
  EXPECT_EQ(raw.j["readings"][0]["ts"], "2025-01-01T00:00:00+08:00");
  EXPECT_EQ(raw.j["readings"][3]["value"], 13);
  EXPECT_EQ(raw.j["unit"], "kWh");
  // Milliseconds, another tag name, and InfluxDB 2.x path.
  r = Post("/api/v2/write?precision=ms&meter_tag=id&org=x&bucket=y",
           "energy,id=E002 value=7 " + std::to_string(kDay0 * 1000), "text/plain");
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(RawCount("E002", "2025-01-01", "2025-01-02"), 1u);
  // Nanoseconds by default; MWh converted to the meter's kWh.
  r = Post("/write", "energy,meter=E002 mwh=0.002 " + std::to_string(kDay0 + 900) + "000000000",
           "text/plain");
  ASSERT_EQ(r.status, 204) << r.body;
  raw = Get("/api/v1/readings?meter=E002&from=2025-01-01&to=2025-01-02");
  ASSERT_EQ(raw.j["readings"].size(), 2u);
  EXPECT_DOUBLE_EQ(raw.j["readings"][1]["value"].get<double>(), 2.0);
}

TEST_F(ServerTest, WriteLineProtocolPartialWriteKeepsGoodLines) {
  const std::string t = std::to_string(kDay0);
  const std::string body = "energy,meter=E001 kwh=1 " + t + "\n" +    // good
                           "energy,meter=NOPE kwh=1 " + t + "\n" +    // unknown meter
                           "energy,meter=E001 kwh=2 12x\n" +          // bad timestamp
                           "energy,meter=E001 m3=2 " + t + "\n" +     // unit does not fit
                           "energy,meter=E001 kwh=NaN " + t + "\n" +  // NaN
                           "energy,meter=V001 kwh=1 " + t + "\n" +    // virtual meter
                           "energy,meter=E002 kwh=5 " + t + "\n";     // good
  Reply r = Post("/write?precision=s", body, "text/plain");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.j["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorMessage(r), "partial write: 5 lines rejected");
  EXPECT_EQ(r.j["accepted"], 2);
  ASSERT_EQ(r.j["errors"].size(), 5u);
  std::vector<int> lines;
  for (const json& e : r.j["errors"]) lines.push_back(e["line"].get<int>());
  EXPECT_EQ(lines, (std::vector<int>{2, 3, 4, 5, 6}));
  EXPECT_THAT(r.j["errors"][0]["reason"].get<std::string>(), HasSubstr("NOPE"));
  EXPECT_THAT(r.j["errors"][2]["reason"].get<std::string>(), HasSubstr("m3"));
  EXPECT_THAT(r.j["errors"][4]["reason"].get<std::string>(), HasSubstr("virtual"));
  EXPECT_EQ(RawCount("E001", "2025-01-01", "2025-01-02"), 1u);
  EXPECT_EQ(RawCount("E002", "2025-01-01", "2025-01-02"), 1u);
}

TEST_F(ServerTest, WriteLineProtocolRejectsBadParameters) {
  Reply r = Post("/write?precision=h", "e,meter=E001 kwh=1 1", "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("precision"));
  r = Post("/write?meter_tag=", "e,meter=E001 kwh=1 1", "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("meter_tag"));
  r = Post("/write?bogus=1", "e,meter=E001 kwh=1 1", "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("bogus"));
  // Seconds mistaken for nanoseconds land in 1970: out of range.
  r = Post("/write", "e,meter=E001 kwh=1 " + std::to_string(kDay0), "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.j["errors"][0]["reason"].get<std::string>(), HasSubstr("out of range"));
  // An empty body writes nothing and is fine.
  EXPECT_EQ(Post("/write", "", "text/plain").status, 204);
}

TEST_F(ServerTest, OversizedBodyIs413) {
  const std::string big((size_t{64} << 20) + 1, 'x');
  Reply r = Post("/write", big, "text/plain");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.j["error"]["code"], "RESOURCE_EXHAUSTED");
  EXPECT_THAT(ErrorMessage(r), HasSubstr("larger than"));
  // The server keeps serving.
  EXPECT_EQ(Get("/health").status, 200);
}

TEST(ServerLimitTest, ChunkedBodyOverTheLimitIs413) {
  Result<std::unique_ptr<engine::Engine>> engine = engine::OpenTestEngine("memory:");
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  ServerOptions options;
  options.port = 0;
  options.max_body_bytes = 1024;
  Result<std::unique_ptr<Server>> server = Server::Start(**engine, options);
  ASSERT_TRUE(server.ok()) << server.error().ToString();
  httplib::Client client("127.0.0.1", (*server)->port());
  // No Content-Length: chunked transfer encoding.
  auto res = client.Post(
      "/write",
      [](size_t offset, httplib::DataSink& sink) {
        const std::string piece(512, '#');
        for (int i = 0; i < 8; ++i) sink.write(piece.data(), piece.size());
        sink.done();
        return true;
      },
      "text/plain");
  // The server answers 413 and closes as soon as the limit is crossed; a client still sending
  // may see the connection reset before it reads the answer. Either way nothing is accepted.
  if (res) {
    EXPECT_EQ(res->status, 413);
  } else {
    EXPECT_TRUE(res.error() == httplib::Error::Write || res.error() == httplib::Error::Read)
        << httplib::to_string(res.error());
  }
  EXPECT_EQ((*engine)->stats().readings_written, 0);
  // A small chunked body passes (with credentials).
  auth::AuthService service((*engine)->store());
  auth::User admin;
  admin.username = "limit-admin";
  admin.role = auth::Role::kAdmin;
  Result<auth::User> created = service.CreateUser(admin, "correct horse battery");
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Result<auth::Issued> token = service.IssueToken(created->id, auth::CredentialKind::kApiToken, "t",
                                                  {}, 0, std::time(nullptr));
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  httplib::Client client2("127.0.0.1", (*server)->port());
  client2.set_default_headers({{"Authorization", "Bearer " + token->secret}});
  res = client2.Post(
      "/write",
      [](size_t offset, httplib::DataSink& sink) {
        const std::string piece = "# comment only\n";
        sink.write(piece.data(), piece.size());
        sink.done();
        return true;
      },
      "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  (*server)->Stop();
  (*server)->Stop();  // idempotent
}

TEST(ServerStartTest, BusyPortIsAnError) {
  Result<std::unique_ptr<engine::Engine>> engine = engine::OpenTestEngine("memory:");
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  ServerOptions options;
  options.port = 0;
  Result<std::unique_ptr<Server>> first = Server::Start(**engine, options);
  ASSERT_TRUE(first.ok());
  options.port = (*first)->port();
  Result<std::unique_ptr<Server>> second = Server::Start(**engine, options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.error().message(), HasSubstr(std::to_string(options.port)));
  options.port = 70000;
  EXPECT_EQ(Server::Start(**engine, options).error().code(), StatusCode::kInvalidArgument);
}

// --- JSON readings

TEST_F(ServerTest, JsonReadingsAreAllOrNothing) {
  Reply r = Post("/api/v1/readings",
                 R"({"readings":[{"meter":"E001","ts":"2025-01-01T00:00:00+08:00","value":1.5},
                     {"meter":"E001","ts":"2025-01-01 00:15:00","value":2.5,"unit":"kWh"},
                     {"meter":"G001","ts":1735660800,"value":3}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["accepted"], 3);
  EXPECT_EQ(RawCount("E001", "2025-01-01", "2025-01-02"), 2u);

  // One bad reading refuses the whole batch.
  r = Post("/api/v1/readings",
           R"([{"meter":"E002","ts":"2025-01-01T00:00:00+08:00","value":1},
               {"meter":"NOPE","ts":"2025-01-01T00:15:00+08:00","value":1},
               {"meter":"E002","ts":"2025-01-01T00:30:00+08:00","value":1,"unit":"m3"}])");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.j["accepted"], 0);
  ASSERT_EQ(r.j["errors"].size(), 2u);
  EXPECT_EQ(r.j["errors"][0]["line"], 2);
  EXPECT_THAT(r.j["errors"][0]["reason"].get<std::string>(), HasSubstr("unknown meter"));
  EXPECT_EQ(r.j["errors"][1]["line"], 3);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("nothing was written"));
  EXPECT_EQ(RawCount("E002", "2025-01-01", "2025-01-02"), 0u);
}

TEST_F(ServerTest, JsonReadingsRejectMalformedInput) {
  Reply r = Post("/api/v1/readings", R"({"readings":[{"meter":"E001",)");
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(ErrorMessage(r).empty());
  r = Post("/api/v1/readings", R"([{"meter":"E001","ts":"2025-13-45T00:00:00","value":1}])");
  EXPECT_EQ(r.status, 400);
  ASSERT_EQ(r.j["errors"].size(), 1u);
  r = Post("/api/v1/readings", R"([{"meter":"E001","ts":"2025-01-01T00:00:00Z","value":"NaN"}])");
  EXPECT_EQ(r.status, 400);
  r = Post("/api/v1/readings", R"([{"meter":"E001","ts":"2025-01-01T00:00:00Z","value":NaN}])");
  EXPECT_EQ(r.status, 400);
  r = Post("/api/v1/readings", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(RawCount("E001", "2025-01-01", "2025-01-02"), 0u);
}

// --- registry

TEST_F(ServerTest, ParkGetAndPut) {
  Reply r = Get("/api/v1/park");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j["name"], "测试园区 Test Park");
  EXPECT_EQ(r.j["time_zone"], "Asia/Shanghai");
  r = Put("/api/v1/park", R"({"grid_region":"northeast","raw_retention_days":400})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["grid_region"], "northeast");
  EXPECT_EQ(r.j["name"], "测试园区 Test Park");  // untouched
  EXPECT_EQ(engine_->GetPark().raw_retention_days, 400);
  r = Put("/api/v1/park", R"({"raw_retention_days":"long"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("raw_retention_days"));
  r = Put("/api/v1/park", R"({"nmae":"x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("nmae"));
  r = Put("/api/v1/park", R"([1,2])");
  EXPECT_EQ(r.status, 400);
}

TEST_F(ServerTest, ZoneCrud) {
  Reply r = Post("/api/v1/zones", R"({"code":"Z02","name":"第二网格","officer":"王伟"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.j["code"], "Z02");
  EXPECT_GT(r.j["id"].get<int64_t>(), 0);
  r = Post("/api/v1/zones", R"({"code":"Z02","name":"again"})");
  EXPECT_EQ(r.status, 409);
  r = Post("/api/v1/zones", R"({"name":"no code"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("code"));
  r = Get("/api/v1/zones/Z02");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j["officer"], "王伟");
  r = Put("/api/v1/zones/Z02", R"({"officer_contact":"13800000000"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["officer"], "王伟");
  EXPECT_EQ(r.j["officer_contact"], "13800000000");
  r = Put("/api/v1/zones/Z02", R"({"code":"Z09"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("code"));
  r = Put("/api/v1/zones/Z03", R"({"name":"第三网格"})");
  EXPECT_EQ(r.status, 201) << r.body;
  r = Get("/api/v1/zones?q=网格");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j["total"], 3);
  r = Get("/api/v1/zones?q=z0&limit=1&offset=1");
  EXPECT_EQ(r.j["total"], 3);
  ASSERT_EQ(r.j["zones"].size(), 1u);
  EXPECT_EQ(r.j["zones"][0]["code"], "Z02");
  r = Get("/api/v1/zones?limit=-1");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("limit"));
  EXPECT_EQ(Delete("/api/v1/zones/Z03").status, 204);
  EXPECT_EQ(Get("/api/v1/zones/Z03").status, 404);
  EXPECT_EQ(Delete("/api/v1/zones/Z03").status, 404);
  // A zone with enterprises cannot go.
  r = Delete("/api/v1/zones/Z01");
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500);
}

TEST_F(ServerTest, EnterpriseCrudAndFilters) {
  const std::string code = CreditCode("91210112MA0Y54321");
  Reply r = Post(
      "/api/v1/enterprises",
      R"({"code":")" + code +
          R"(","name":"另一家公司","industry_code":"3011","zone_code":"Z01","land_area_mu":35.5,"key_energy_user":true})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.j["industry_code"], "C3011");
  EXPECT_FALSE(r.j["industry_name_zh"].get<std::string>().empty());
  r = Post("/api/v1/enterprises", R"({"code":"91210112MA0Y5432X","name":"bad"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Post("/api/v1/enterprises",
           R"({"code":")" + CreditCode("91210112MA0Y99999") + R"(","name":"x","zone_code":"Z99"})");
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500);
  r = Get("/api/v1/enterprises?zone=Z01&industry=C36");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.j["enterprises"].size(), 1u);
  EXPECT_EQ(r.j["enterprises"][0]["code"], enterprise_code_);
  r = Get("/api/v1/enterprises?q=另一");
  ASSERT_EQ(r.j["enterprises"].size(), 1u);
  r = Get("/api/v1/enterprises?zone=Z99");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("zone"));
  r = Put("/api/v1/enterprises/" + code, R"({"land_area_mu":40,"industry_name_zh":"ignored"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["land_area_mu"], 40);
  EXPECT_EQ(r.j["name"], "另一家公司");
  r = Put("/api/v1/enterprises/" + code, R"({"land_area_mu":"big"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("land_area_mu"));
  EXPECT_EQ(Get("/api/v1/enterprises/" + code).status, 200);
  EXPECT_EQ(Delete("/api/v1/enterprises/" + code).status, 204);
  EXPECT_EQ(Get("/api/v1/enterprises/" + code).status, 404);
}

TEST_F(ServerTest, MeterCrudAndFilters) {
  Reply r = Post("/api/v1/meters",
                 R"({"code":"H001","name":"heat","enterprise_code":")" + enterprise_code_ +
                     R"(","carrier":"heat","unit":"GJ","kind":"cumulative","register_digits":6})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.j["kind"], "cumulative");
  EXPECT_EQ(r.j["carrier"], "heat");
  r = Post("/api/v1/meters", R"({"code":"H002","carrier":"heat","unit":"kWh"})");
  // kWh measures energy as GJ does: fine; m3 would not be.
  EXPECT_EQ(r.status, 201) << r.body;
  r = Post("/api/v1/meters", R"({"code":"H003","carrier":"heat","unit":"m3"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Post("/api/v1/meters", R"({"code":"H004","carrier":"plasma"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("carrier"));
  r = Post("/api/v1/meters", R"({"code":"H005","kind":"sometimes"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("kind"));
  r = Post("/api/v1/meters", R"({"code":"H006","interval_s":900.5})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("interval_s"));
  r = Post("/api/v1/meters", R"({"code":"bad code!"})");
  EXPECT_EQ(r.status, 400);

  r = Get("/api/v1/meters?carrier=electricity");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j["total"], 3);  // E001, E002, V001
  r = Get("/api/v1/meters?zone=Z01&carrier=heat");
  EXPECT_EQ(r.j["total"], 1);
  r = Get("/api/v1/meters?enterprise=" + enterprise_code_);
  EXPECT_EQ(r.j["total"], 5);
  r = Get("/api/v1/meters?q=g00");
  EXPECT_EQ(r.j["total"], 1);
  r = Get("/api/v1/meters?carrier=plasma");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("carrier"));
  r = Put("/api/v1/meters/H001", R"({"multiplier":40})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["multiplier"], 40);
  EXPECT_EQ(r.j["unit"], "GJ");
  EXPECT_EQ(Delete("/api/v1/meters/H002").status, 204);
  EXPECT_EQ(Get("/api/v1/meters/H002").status, 404);
  EXPECT_EQ(Get("/api/v1/meters/H001").status, 200);
}

TEST_F(ServerTest, RegisterReplacementIsRecordedAndCounted) {
  Reply r = Post("/api/v1/meters", R"({"code":"C001","enterprise_code":")" + enterprise_code_ +
                                       R"(","kind":"cumulative","register_digits":6})");
  ASSERT_EQ(r.status, 201) << r.body;
  // 2024-01-01 10:00 +08:00: 5000, 5010, then a new register: 9, 19.
  ASSERT_EQ(Post("/write?precision=s",
                 "e,meter=C001 value=5000 1704074400\ne,meter=C001 value=5010 1704075300\n"
                 "e,meter=C001 value=9 1704076200\ne,meter=C001 value=19 1704077100\n",
                 "text/plain")
                .status,
            204);
  auto day_sum = [&] {
    Reply s = Get("/api/v1/sums?by=meter&meter=C001&period=day&from=2024-01-01&to=2024-01-02");
    EXPECT_EQ(s.status, 200) << s.body;
    return s.j["rows"].empty() ? -1.0 : s.j["rows"][0]["value"].get<double>();
  };
  EXPECT_DOUBLE_EQ(day_sum(), 20);
  r = Post("/api/v1/meters/C001/replacements",
           R"({"ts":"2024-01-01T10:20:00+08:00","old_final":5014,"new_initial":3})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.j["replacements"].size(), 1u);
  EXPECT_DOUBLE_EQ(day_sum(), 30);
  r = Get("/api/v1/meters/C001/replacements");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j["replacements"][0]["ts"], "2024-01-01T10:20:00+08:00");
  EXPECT_EQ(
      Post("/api/v1/meters/E001/replacements", R"({"ts":1704074400,"old_final":1,"new_initial":0})")
          .status,
      400)
      << "an interval meter has no register";
  EXPECT_EQ(
      Post("/api/v1/meters/C001/replacements", R"({"ts":"soon","old_final":1,"new_initial":0})")
          .status,
      400);
  EXPECT_EQ(Post("/api/v1/meters/C001/replacements", R"({"ts":1704074400,"old_final":"x"})").status,
            400);
}

TEST_F(ServerTest, RegistryCsvImportIsAllOrNothingAndExportRoundTrips) {
  Reply r = Post("/api/v1/registry/zones.csv",
                 "code,name,officer\nZ05,第五网格,赵六\nZ06,第六网格,\n", "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["imported"], 2);
  EXPECT_EQ(Get("/api/v1/zones/Z05").j["officer"], "赵六");
  // One bad row (empty name) refuses the file; the good row is not imported either.
  r = Post("/api/v1/registry/zones.csv", "code,name\nZ07,第七网格\nZ08,\n", "text/csv");
  ASSERT_EQ(r.status, 400) << r.body;
  ASSERT_EQ(r.j["errors"].size(), 1u);
  EXPECT_EQ(r.j["errors"][0]["line"], 3);
  EXPECT_EQ(Get("/api/v1/zones/Z07").status, 404);
  // A missing required column is a file-level error.
  r = Post("/api/v1/registry/zones.csv", "name\nx\n", "text/csv");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("code"));
  // An existing code conflicts.
  r = Post("/api/v1/registry/zones.csv", "code,name\nZ05,again\n", "text/csv");
  EXPECT_EQ(r.status, 409) << r.body;
  // Meters referring to the seeded enterprise.
  r = Post("/api/v1/registry/meters.csv",
           "code,carrier,enterprise,unit,kind\nW001,water," + enterprise_code_ +
               ",m3,interval\nW002,water,,t,interval\n",
           "text/csv");
  EXPECT_EQ(r.status, 400) << r.body;  // t does not fit water (m3)
  r = Post("/api/v1/registry/meters.csv",
           "code,carrier,enterprise,unit,kind\nW001,water," + enterprise_code_ + ",m3,interval\n",
           "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Get("/api/v1/meters/W001").j["carrier"], "water");

  r = Get("/api/v1/registry/zones.csv");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/csv"));
  EXPECT_THAT(r.body, HasSubstr("Z05,第五网格,赵六"));
  r = Get("/api/v1/registry/enterprises.csv?bom=true");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_THAT(r.body, HasSubstr(enterprise_code_));
  // Export then import into a fresh park gives the same meters.
  const std::string meters_csv = Get("/api/v1/registry/meters.csv").body;
  Result<model::RegistryCsv<model::Meter>> parsed = model::ParseMetersCsv(meters_csv);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_TRUE(parsed->errors.empty());
  EXPECT_EQ(parsed->records.size(), engine_->ListMeters().size());
}

TEST_F(ServerTest, GzipAndMultipartBodiesAreAccepted) {
  client_->set_compress(true);
  Reply r = Post("/write?precision=s", "e,meter=E001 kwh=1 " + std::to_string(kDay0), "text/plain");
  EXPECT_EQ(r.status, 204) << r.body;
  client_->set_compress(false);
  EXPECT_EQ(RawCount("E001", "2025-01-01", "2025-01-02"), 1u);

  ASSERT_EQ(Put("/api/v1/mappings/m",
                R"({"timestamp_column":"t","timestamp_format":"iso8601","value_column":"v",
                    "meter":"E002"})")
                .status,
            200);
  httplib::MultipartFormDataItems items = {
      {"file", "t,v\n2025-01-01T00:00:00+08:00,4\n2025-01-01T00:15:00+08:00,5\n", "r.csv",
       "text/csv"},
      {"comment", "ignored", "", ""}};
  r = ToReply(client_->Post("/api/v1/imports?mapping=m", items));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["accepted"], 2);
  EXPECT_EQ(RawCount("E002", "2025-01-01", "2025-01-02"), 2u);
}

TEST_F(ServerTest, LandingPageWithoutDataStillRenders) {
  Reply r = Get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("测试园区 Test Park"));
  EXPECT_THAT(r.body, HasSubstr("</html>"));
}

// --- CSV mappings and imports

TEST_F(ServerTest, MappingsSaveAndList) {
  const std::string mapping = R"({"timestamp_column":"time","timestamp_format":"%Y-%m-%d %H:%M",
      "value_column":"kwh","meter":"E002","interval_s":900})";
  Reply r = Put("/api/v1/mappings/steel", mapping);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["name"], "steel");
  r = Get("/api/v1/mappings/steel");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j["value_column"], "kwh");
  r = Get("/api/v1/mappings");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.j["mappings"].size(), 1u);
  EXPECT_EQ(r.j["mappings"][0]["name"], "steel");
  EXPECT_EQ(Get("/api/v1/mappings/none").status, 404);
  r = Put("/api/v1/mappings/bad", R"({"timestamp_column":"time"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Put("/api/v1/mappings/bad", R"({"timestamp_column":"time","bogus":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("bogus"));
  r = Put("/api/v1/mappings/bad", "{");
  EXPECT_EQ(r.status, 400);
}

TEST_F(ServerTest, CsvImportReportsRejectedRowsAndZeroRuns) {
  ASSERT_EQ(Put("/api/v1/mappings/plant",
                R"({"timestamp_column":"time","timestamp_format":"%Y-%m-%d %H:%M",
                    "value_column":"kwh","meter":"E002","interval_s":900})")
                .status,
            200);
  // One day of 15-minute readings; 04:00-08:00 is exact zeros (16 readings); line 5 is bad.
  std::string csv = "time,kwh\n";
  for (int i = 0; i < 96; ++i) {
    const int hour = i / 4;
    const int minute = (i % 4) * 15;
    std::string value = (hour >= 4 && hour < 8) ? "0" : std::to_string(20 + i % 7);
    if (i == 3) value = "abc";
    csv += fmt::format("2025-01-02 {:02d}:{:02d},{}\n", hour, minute, value);
  }
  Reply r = Post("/api/v1/imports?mapping=plant", csv, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["received"], 96);
  EXPECT_EQ(r.j["accepted"], 95);
  ASSERT_EQ(r.j["rejected"].size(), 1u);
  EXPECT_EQ(r.j["rejected"][0]["line"], 5);
  EXPECT_FALSE(r.j["rejected"][0]["reason"].get<std::string>().empty());
  ASSERT_EQ(r.j["suspected_gaps"].size(), 1u) << r.body;
  const json& gap = r.j["suspected_gaps"][0];
  EXPECT_EQ(gap["meter"], "E002");
  EXPECT_EQ(gap["from"], "2025-01-02T04:00:00+08:00");
  EXPECT_EQ(gap["to"], "2025-01-02T08:00:00+08:00");
  EXPECT_EQ(gap["readings"], 16);
  EXPECT_EQ(RawCount("E002", "2025-01-02", "2025-01-03"), 95u);

  r = Post("/api/v1/imports?mapping=nope", csv, "text/csv");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("mapping"));
  r = Post("/api/v1/imports", csv, "text/csv");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("mapping"));
}

// --- queries

class QueryTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    // Two days of hourly-ish readings for E001 (4 per hour, 1 kWh each) and one of G001.
    std::string body;
    for (int i = 0; i < 2 * 96; ++i) {
      body += "e,meter=E001 kwh=1 " + std::to_string(kDay0 + i * 900) + "\n";
    }
    for (int i = 0; i < 96; ++i) {
      body += "g,meter=G001 m3=0.5 " + std::to_string(kDay0 + i * 900) + "\n";
    }
    ASSERT_EQ(Post("/write?precision=s", body, "text/plain").status, 204);
    ASSERT_EQ(Post("/api/v1/flush", "", "text/plain").status, 200);
  }
};

TEST_F(QueryTest, RawReadingsJsonAndCsv) {
  Reply r = Get("/api/v1/readings?meter=E001&from=2025-01-01T00:00:00%2B08:00&to=" +
                std::to_string(kDay0 + 3600));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["count"], 4);
  EXPECT_EQ(r.j["readings"].size(), 4u);
  r = Get("/api/v1/readings?meter=E001&from=2025-01-01&to=2025-01-01T01:00:00&format=csv");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/csv"));
  EXPECT_EQ(r.body,
            "ts,value\n2025-01-01T00:00:00+08:00,1\n2025-01-01T00:15:00+08:00,1\n"
            "2025-01-01T00:30:00+08:00,1\n2025-01-01T00:45:00+08:00,1\n");
}

TEST_F(QueryTest, SumsByPeriodAndGroup) {
  Reply r = Get("/api/v1/sums?by=meter&period=day&meter=E001&from=2025-01-01&to=2025-01-03");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["rows"].size(), 2u);
  EXPECT_EQ(r.j["rows"][0]["group"], "E001");
  EXPECT_EQ(r.j["rows"][0]["carrier"], "electricity");
  EXPECT_EQ(r.j["rows"][0]["unit"], "kWh");
  EXPECT_EQ(r.j["rows"][0]["period"], "2025-01-01T00:00:00+08:00");
  EXPECT_DOUBLE_EQ(r.j["rows"][0]["value"].get<double>(), 96.0);
  EXPECT_EQ(r.j["rows"][0]["readings"], 96);
  r = Get("/api/v1/sums?by=park&period=month&from=2025-01-01&to=2025-02-01");
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, double> by_carrier;
  for (const json& row : r.j["rows"]) by_carrier[row["carrier"]] += row["value"].get<double>();
  EXPECT_DOUBLE_EQ(by_carrier["electricity"], 192.0);
  EXPECT_DOUBLE_EQ(by_carrier["natural_gas"], 48.0);
  r =
      Get("/api/v1/sums?by=meter&period=hour&meter=E001,G001&from=2025-01-01&to=2025-01-01T02:00"
          "&format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("group,carrier,unit,period,value,readings\n"));
  EXPECT_THAT(r.body, HasSubstr("E001,electricity,kWh,2025-01-01T01:00:00+08:00,4,4\n"));
  EXPECT_THAT(r.body, HasSubstr("G001,natural_gas,m3,2025-01-01T00:00:00+08:00,2,4\n"));
  r =
      Get("/api/v1/sums?by=zone&period=day&zone=Z01&carrier=electricity&industry=C36"
          "&from=2025-01-01&to=2025-01-02");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["rows"].size(), 1u);
  EXPECT_EQ(r.j["rows"][0]["group"], "Z01");
  EXPECT_DOUBLE_EQ(r.j["rows"][0]["value"].get<double>(), 96.0);
  r = Get("/api/v1/sums?by=enterprise&period=year&enterprise=" + enterprise_code_ +
          "&from=2025-01-01&to=2026-01-01");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.j["rows"].empty());
}

TEST_F(QueryTest, BadQueryParametersAreNamed) {
  struct Case {
    std::string path;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {"/api/v1/readings?meter=NOPE&from=2025-01-01&to=2025-01-02", "meter"},
      {"/api/v1/readings?meter=V001&from=2025-01-01&to=2025-01-02", "virtual"},
      {"/api/v1/readings?from=2025-01-01&to=2025-01-02", "meter"},
      {"/api/v1/readings?meter=E001&from=yesterday&to=2025-01-02", "from"},
      {"/api/v1/readings?meter=E001&from=2025-01-01&to=2025-02-30", "to"},
      {"/api/v1/readings?meter=E001&from=2025-01-02&to=2025-01-01", "from"},
      {"/api/v1/readings?meter=E001&from=2025-01-01&to=2025-01-01", "from"},
      {"/api/v1/readings?meter=E001&from=2000-01-01&to=2025-01-01", "10 years"},
      {"/api/v1/readings?meter=E001&from=1000-01-01&to=2025-01-01", "from"},
      {"/api/v1/readings?meter=E001&meter=E002&from=2025-01-01&to=2025-01-02", "meter"},
      {"/api/v1/readings?meter=E001&format=xml", "format"},
      {"/api/v1/sums?by=building", "by"},
      {"/api/v1/sums?period=week", "period"},
      {"/api/v1/sums?period=hour&from=2000-01-01&to=2025-01-01", "10 years"},
      {"/api/v1/sums?meter=NOPE&from=2025-01-01&to=2025-01-02", "meter"},
      {"/api/v1/sums?enterprise=NOPE&from=2025-01-01&to=2025-01-02", "enterprise"},
      {"/api/v1/sums?zone=NOPE&from=2025-01-01&to=2025-01-02", "zone"},
      {"/api/v1/sums?carrier=plasma&from=2025-01-01&to=2025-01-02", "carrier"},
      {"/api/v1/sums?industry=C36-X&from=2025-01-01&to=2025-01-02", "industry"},
      {"/api/v1/sums?include_generation=maybe", "include_generation"},
      {"/api/v1/sums?form=2025-01-01", "form"},
      {"/api/v1/completeness?meter=NOPE", "meter"},
      {"/api/v1/completeness?from=2025-01-01&to=2040-01-01", "10 years"},
      {"/api/v1/corrections?meter=NOPE", "meter"},
      {"/api/v1/corrections?meter=E001&from=x", "from"},
  };
  for (const Case& c : cases) {
    Reply r = Get(c.path);
    EXPECT_EQ(r.status, 400) << c.path << " -> " << r.body;
    EXPECT_EQ(r.j["error"]["code"], "INVALID_ARGUMENT") << c.path;
    EXPECT_THAT(ErrorMessage(r), HasSubstr(c.mentions)) << c.path;
  }
}

TEST_F(QueryTest, CompletenessCountsReadingsPerDay) {
  Reply r = Get("/api/v1/completeness?meter=E001&meter=G001&from=2025-01-01&to=2025-01-03");
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::pair<std::string, std::string>, int> received;
  for (const json& row : r.j["rows"]) {
    received[{row["meter"], row["date"]}] = row["received"].get<int>();
    EXPECT_EQ(row["expected"], 96);
  }
  EXPECT_EQ((received[{"E001", "2025-01-01"}]), 96);
  EXPECT_EQ((received[{"E001", "2025-01-02"}]), 96);
  EXPECT_EQ((received[{"G001", "2025-01-02"}]), 0);
  r = Get("/api/v1/completeness?meter=E001&from=2025-01-01&to=2025-01-02&format=csv");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("meter,date,expected,received,suspect_zero,flagged\n"
                                "E001,2025-01-01,96,96,0,0\n"));
}

TEST_F(QueryTest, CorrectionsKeepProvenance) {
  Reply r = Post("/write?precision=s", "e,meter=E001 kwh=3 " + std::to_string(kDay0), "text/plain");
  ASSERT_EQ(r.status, 204);
  ASSERT_EQ(Post("/api/v1/flush", "", "text/plain").status, 200);
  r = Get("/api/v1/corrections?meter=E001&from=2025-01-01&to=2025-01-02");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["corrections"].size(), 1u) << r.body;
  EXPECT_EQ(r.j["corrections"][0]["ts"], "2025-01-01T00:00:00+08:00");
  EXPECT_EQ(r.j["corrections"][0]["old_value"], 1);
  EXPECT_EQ(r.j["corrections"][0]["new_value"], 3);
  EXPECT_THAT(r.j["corrections"][0]["source"].get<std::string>(), HasSubstr("/write"));
  EXPECT_THAT(r.j["corrections"][0]["source"].get<std::string>(), HasSubstr("127.0.0.1"));
}

// --- accounting

// GB/T 2589 and MEE/GB/T 32151 factors (standards.md §3-§5) for the QueryTest data: 192 kWh of
// electricity and 48 m3 of natural gas in January 2025 in Liaoning.
constexpr double kTceJan = 192 * 0.1229e-3 + 48 * 1.2143e-3;
constexpr double kCo2JanLocation = 192 * 0.4878e-3 + 48 * 389.31e-4 * 0.0153 * 0.99 * 44.0 / 12.0;

TEST_F(QueryTest, EnergyAndCarbonReports) {
  Reply r = Get("/api/v1/energy?year=2025&by=enterprise");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["rows"].size(), 1u) << r.body;
  EXPECT_EQ(r.j["rows"][0]["group"], enterprise_code_);
  EXPECT_NEAR(r.j["rows"][0]["tce"]["equivalent"].get<double>(), kTceJan, 1e-12);
  EXPECT_NEAR(r.j["rows"][0]["tce"]["coal_equivalent"].get<double>(),
              192 * 0.3024e-3 + 48 * 1.2143e-3, 1e-12);
  EXPECT_EQ(r.j["regions"][0], "liaoning");
  r = Get("/api/v1/energy?from=2025-01&to=2025-02&by=carrier&period=month");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["rows"].size(), 2u) << r.body;  // electricity and gas, January only
  r = Get("/api/v1/carbon?year=2025&by=park");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["rows"].size(), 1u);
  EXPECT_NEAR(r.j["rows"][0]["total_tco2"]["location"].get<double>(), kCo2JanLocation, 1e-12);
  EXPECT_NEAR(r.j["rows"][0]["tco2_per_tce"]["location"]["equivalent"].get<double>(),
              kCo2JanLocation / kTceJan, 1e-12);
  // CSV and Excel exports of the same figures.
  r = Get("/api/v1/carbon?year=2025&by=enterprise&format=csv");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("group,name,period,scope1_fuel"));
  EXPECT_THAT(r.body, HasSubstr(enterprise_code_));
  r = Get("/api/v1/energy?year=2025&format=xlsx");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("spreadsheetml"));
  EXPECT_EQ(r.body.substr(0, 2), "PK");
  // Bad parameters are named.
  r = Get("/api/v1/energy?year=2025&from=2025-01");
  EXPECT_EQ(r.status, 400);
  r = Get("/api/v1/energy?year=20x5");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("year"));
  r = Get("/api/v1/energy?year=2025&enterprise=NOPE");
  EXPECT_EQ(r.status, 404);
  r = Get("/api/v1/carbon/core?year=2025");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["target_tco2_per_tce"], 0.2);
}

TEST_F(QueryTest, DerivationShowsMetersFactorsAndSources) {
  Reply r = Get("/api/v1/carbon/derivation?entity=" + enterprise_code_ + "&year=2025");
  ASSERT_EQ(r.status, 200) << r.body;
  std::set<std::string> meters;
  for (const auto& s : r.j["readings"]) meters.insert(s["meter"].get<std::string>());
  EXPECT_EQ(meters, (std::set<std::string>{"E001", "G001"}));  // not the virtual meter
  bool grid = false;
  for (const auto& f : r.j["co2_factors"]) {
    for (const auto& row : f["rows"]) {
      if (row["id"] == "gridef-2023-average-liaoning") {
        grid = true;
        EXPECT_THAT(row["source"].get<std::string>(), HasSubstr("公告2025年第47号"));
      }
    }
  }
  EXPECT_TRUE(grid) << r.body;
  EXPECT_NEAR(r.j["tce"]["equivalent"].get<double>(), kTceJan, 1e-12);
  r = Get("/api/v1/energy/derivation?entity=park&year=2025&format=text");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("GB/T 2589"));
  r = Get("/api/v1/energy/derivation?entity=NOPE&year=2025");
  EXPECT_EQ(r.status, 404);
}

TEST_F(QueryTest, ParkFactorRowOverridesAndDeleteRestores) {
  const double before =
      Get("/api/v1/carbon?year=2025&by=park").j["rows"][0]["scope2_tco2"]["location"];
  const std::string csv =
      "id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,confidence,"
      "note\n"
      "ln-2025,grid_ef,辽宁省 2025,electricity,average,liaoning,0.5000,tCO2/MWh,2025-01-01,"
      "2026-01-01,省生态环境厅 letter,PARK,\n";
  Reply r = Post("/api/v1/refdata", csv, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  const double after =
      Get("/api/v1/carbon?year=2025&by=park").j["rows"][0]["scope2_tco2"]["location"];
  EXPECT_NEAR(after, 192 * 0.5e-3, 1e-12);
  EXPECT_NE(before, after);
  r = Get("/api/v1/refdata?table=grid_ef");
  bool park_row = false;
  for (const auto& row : r.j["rows"]) park_row = park_row || row["layer"] == "park";
  EXPECT_TRUE(park_row);
  EXPECT_EQ(Delete("/api/v1/refdata/ln-2025").status, 204);
  EXPECT_EQ(Delete("/api/v1/refdata/ln-2025").status, 404);
  EXPECT_EQ(Get("/api/v1/carbon?year=2025&by=park").j["rows"][0]["scope2_tco2"]["location"],
            before);
  // A bad row is refused with its line and field; nothing stored.
  r = Post("/api/v1/refdata",
           "id,table,dataset,item,variant,region,value,unit,valid_from,valid_to,source,"
           "confidence,note\nx,grid_ef,d,electricity,average,liaoning,abc,tCO2/MWh,,,s,PARK,\n",
           "text/csv");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("line 2"));
}

TEST_F(QueryTest, EnterpriseDataWithHistoryAndIntensity) {
  Reply r = Post("/api/v1/economic",
                 R"([{"enterprise_code":")" + enterprise_code_ +
                     R"(","indicator":"added_value","period":"2025","value":100,"unit":"万元"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Get("/api/v1/energy?year=2025&by=enterprise");
  ASSERT_EQ(r.status, 200);
  EXPECT_NEAR(r.j["rows"][0]["intensity_tce_per_10k_cny"]["equivalent"].get<double>(),
              kTceJan / 100, 1e-12);
  // A second version replaces the value; the first stays in the history.
  r = Post("/api/v1/economic",
           "enterprise_code,indicator,item,period,value,unit\n" + enterprise_code_ +
               ",added_value,,2025,200,10k CNY\n",
           "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Get("/api/v1/economic?enterprise=" + enterprise_code_);
  ASSERT_EQ(r.j["rows"].size(), 1u);
  EXPECT_EQ(r.j["rows"][0]["value"], 200);
  r = Get("/api/v1/economic?history=true");
  EXPECT_EQ(r.j["rows"].size(), 2u);
  // Unknown enterprise: refused, naming the row; nothing written.
  r = Post(
      "/api/v1/economic",
      R"([{"enterprise_code":"91210112MA0Y99999X","indicator":"tax","period":"2025-01","value":1,"unit":"万元"}])");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(ErrorMessage(r), HasSubstr("no enterprise"));
  r = Post("/api/v1/economic", R"([{"indicator":"tax","period":"2025-13","value":1}])");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("row 1"));
  EXPECT_EQ(Delete("/api/v1/economic?enterprise=" + enterprise_code_ +
                   "&indicator=added_value&period=2025")
                .status,
            204);
  EXPECT_EQ(Get("/api/v1/economic").j["rows"].size(), 0u);
  EXPECT_EQ(Get("/api/v1/economic?history=true").j["rows"].size(), 3u);
  r = Get("/api/v1/energy?year=2025&by=enterprise");
  EXPECT_TRUE(r.j["rows"][0]["intensity_tce_per_10k_cny"]["equivalent"].is_null());
}

TEST_F(QueryTest, AccountingSettingsChangeTheGridFactor) {
  Reply r = Put("/api/v1/accounting/settings", R"({"grid_scope":"national"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["grid_scope"], "national");
  r = Get("/api/v1/carbon?year=2025&by=park");
  EXPECT_NEAR(r.j["rows"][0]["scope2_tco2"]["location"].get<double>(), 192 * 0.5306e-3, 1e-12);
  r = Put("/api/v1/accounting/settings", R"({"grid_scope":"planet"})");
  EXPECT_EQ(r.status, 400);
}

TEST_F(ServerTest, ConcurrentWritersAllLand) {
  constexpr int kThreads = 4;
  constexpr int kRequests = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", server_->port());
      client.set_default_headers({{"Authorization", "Bearer " + admin_token_}});
      for (int i = 0; i < kRequests; ++i) {
        const int64_t ts = kDay0 + (t * kRequests + i) * 900;
        auto res = client.Post("/write?precision=s", "e,meter=E001 kwh=1 " + std::to_string(ts),
                               "text/plain");
        if (!res || res->status != 204) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(RawCount("E001", "2025-01-01", "2025-01-03"), size_t{kThreads * kRequests});
}

// --- dashboard endpoints

TEST_F(QueryTest, CompletenessSummaryAddsUpThePerMeterDayRows) {
  Reply r = Get("/api/v1/completeness/summary?by=meter&from=2025-01-01&to=2025-01-03");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["from"], "2025-01-01");
  EXPECT_EQ(r.j["to"], "2025-01-03");
  EXPECT_EQ(r.j["meters"], 3);  // the virtual V001 has no readings of its own
  EXPECT_EQ(r.j["expected"], 3 * 192);
  EXPECT_EQ(r.j["received"], 192 + 96);
  EXPECT_DOUBLE_EQ(r.j["ratio"].get<double>(), 288.0 / 576.0);
  std::map<std::string, json> by_meter;
  for (const json& row : r.j["rows"]) by_meter[row["group"]] = row;
  ASSERT_EQ(by_meter.size(), 3u) << r.body;
  EXPECT_EQ(by_meter["E001"]["received"], 192);
  EXPECT_EQ(by_meter["G001"]["received"], 96);
  EXPECT_EQ(by_meter["G001"]["carrier"], "natural_gas");
  EXPECT_EQ(by_meter["E002"]["received"], 0);
  EXPECT_EQ(by_meter["E002"]["ratio"], 0.0);
  EXPECT_EQ(by_meter["E001"]["enterprise"], enterprise_code_);

  r = Get("/api/v1/completeness/summary?by=day&from=2025-01-01&to=2025-01-03");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["rows"].size(), 2u);
  EXPECT_EQ(r.j["rows"][0]["group"], "2025-01-01");
  EXPECT_EQ(r.j["rows"][0]["received"], 96 + 96);
  EXPECT_EQ(r.j["rows"][1]["received"], 96);
  r = Get("/api/v1/completeness/summary?by=enterprise&from=2025-01-01&to=2025-01-03&carrier=" +
          std::string("electricity"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["rows"].size(), 1u);
  EXPECT_EQ(r.j["rows"][0]["group"], enterprise_code_);
  EXPECT_EQ(r.j["rows"][0]["expected"], 2 * 192);
  EXPECT_EQ(r.j["rows"][0]["received"], 192);

  // Without a period: the 7 days up to the latest day with readings.
  r = Get("/api/v1/completeness/summary?by=day");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["from"], "2024-12-27");
  EXPECT_EQ(r.j["to"], "2025-01-03");
  EXPECT_EQ(r.j["rows"].size(), 7u);

  for (const char* bad :
       {"/api/v1/completeness/summary?by=week",
        "/api/v1/completeness/summary?enterprise=91210112MA0Y99999X",
        "/api/v1/completeness/summary?zone=NOPE", "/api/v1/completeness/summary?carrier=plasma"}) {
    r = Get(bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
  }
}

TEST_F(QueryTest, TodayIsTheLatestDayWithReadingsAndAddsUpToTheMonth) {
  Reply r = Get("/api/v1/today");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["date"], "2025-01-02");  // no readings today: the park's latest day
  EXPECT_EQ(r.j["live"], false);
  ASSERT_EQ(r.j["load"]["hours"].size(), 24u);
  ASSERT_EQ(r.j["load"]["previous_day"].size(), 24u);
  for (const json& h : r.j["load"]["hours"]) {
    EXPECT_DOUBLE_EQ(h["kw"].get<double>(), 4.0);
    EXPECT_EQ(h["complete"], true);  // a past day
  }
  EXPECT_EQ(r.j["load"]["hours"][0]["hour"], "2025-01-02T00:00:00+08:00");
  EXPECT_DOUBLE_EQ(r.j["load"]["latest_kw"].get<double>(), 4.0);
  EXPECT_EQ(r.j["load"]["latest_hour"], "2025-01-02T23:00:00+08:00");
  EXPECT_DOUBLE_EQ(r.j["energy"]["electricity_kwh"].get<double>(), 96.0);
  ASSERT_EQ(r.j["carriers"].size(), 1u) << r.body;  // no gas on the second day
  EXPECT_EQ(r.j["carriers"][0]["carrier"], "electricity");
  EXPECT_EQ(r.j["completeness"]["expected"], 3 * 96);
  EXPECT_EQ(r.j["completeness"]["received"], 96);
  ASSERT_EQ(r.j["top"].size(), 1u);
  EXPECT_EQ(r.j["top"][0]["code"], enterprise_code_);

  // The two days add up to January (the only month with readings), energy and carbon.
  Reply d1 = Get("/api/v1/today?date=2025-01-01");
  ASSERT_EQ(d1.status, 200) << d1.body;
  EXPECT_EQ(d1.j["carriers"].size(), 2u);
  Reply month = Get("/api/v1/carbon?by=park&period=month&from=2025-01&to=2025-01");
  ASSERT_EQ(month.status, 200) << month.body;
  ASSERT_EQ(month.j["rows"].size(), 1u) << month.body;
  const json& m = month.j["rows"][0];
  for (const char* method : {"equivalent", "coal_equivalent"}) {
    EXPECT_NEAR(
        d1.j["energy"]["tce"][method].get<double>() + r.j["energy"]["tce"][method].get<double>(),
        m["tce"][method].get<double>(), 1e-9)
        << method;
  }
  for (const char* scope : {"location", "market"}) {
    EXPECT_NEAR(d1.j["carbon"]["total_tco2"][scope].get<double>() +
                    r.j["carbon"]["total_tco2"][scope].get<double>(),
                m["total_tco2"][scope].get<double>(), 1e-9)
        << scope;
  }
  EXPECT_GT(r.j["carbon"]["total_tco2"]["location"].get<double>(), 0);

  // The year 2025 has readings in January only: its year on year compares with January 2024.
  Reply year = Get("/api/v1/energy?by=park&year=2025");
  ASSERT_EQ(year.status, 200) << year.body;
  ASSERT_EQ(year.j["yoy_basis"].size(), 1u) << year.body;
  EXPECT_EQ(year.j["yoy_basis"][0]["period"], "2025");
  EXPECT_EQ(year.j["yoy_basis"][0]["from"], "2024-01");
  EXPECT_EQ(year.j["yoy_basis"][0]["to"], "2024-01");

  r = Get("/api/v1/today?date=2025-13-01");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("date"));
}

TEST_F(ServerTest, InlineImportPreviewWritesNothingThenCommits) {
  const std::string mapping =
      R"({"timestamp_column":"time","timestamp_format":"%Y-%m-%d %H:%M",)"
      R"("time_zone":"Asia/Shanghai","value_column":"kwh","meter":"E002","interval_s":900})";
  const std::string csv =
      "time,kwh\n2025-02-01 00:00,5\n2025-02-01 00:15,6\n2025-02-01 00:30,x\n"
      "2025-02-01 00:45,7\n2025-02-01 01:00,8\n";
  const json body = {{"mapping", json::parse(mapping)}, {"csv", csv}};
  Reply r = Post("/api/v1/imports?dry_run=true", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["dry_run"], true);
  EXPECT_EQ(r.j["mapping"], "inline");
  EXPECT_EQ(r.j["received"], 5);
  EXPECT_EQ(r.j["accepted"], 4);
  ASSERT_EQ(r.j["rejected"].size(), 1u);
  EXPECT_EQ(r.j["rejected"][0]["line"], 4);
  ASSERT_EQ(r.j["preview"].size(), 4u);
  EXPECT_EQ(r.j["preview"][0]["line"], 2);
  EXPECT_EQ(r.j["preview"][0]["meter"], "E002");
  EXPECT_EQ(r.j["preview"][0]["ts"], "2025-02-01T00:00:00+08:00");
  EXPECT_EQ(r.j["preview"][0]["value"], 5);
  EXPECT_EQ(r.j["preview"][3]["value"], 8);
  EXPECT_EQ(RawCount("E002", "2025-02-01", "2025-02-02"), 0u);  // nothing written

  r = Post("/api/v1/imports", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["dry_run"], false);
  EXPECT_EQ(r.j["accepted"], 4);
  EXPECT_EQ(RawCount("E002", "2025-02-01", "2025-02-02"), 4u);

  for (const std::string& bad :
       {std::string("{\"csv\":\"a\"}"), std::string("[1,2]"), std::string("not json"),
        json({{"mapping", {{"value_column", "kwh"}}}, {"csv", csv}}).dump()}) {
    r = Post("/api/v1/imports?dry_run=true", bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
  }
  r = Post("/api/v1/imports?dry_run=maybe", body.dump());
  EXPECT_EQ(r.status, 400) << r.body;
}

// The auditor's view of the green-power ledger: records as RecordToJson objects that verify as a
// chain on the client, paging, the head hash, the server-side check, and the roles allowed.
TEST_F(ServerTest, LedgerPagesRecordsAnAuditorCanVerify) {
  Reply r = Get("/api/v1/ledger");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["count"], 0);
  EXPECT_EQ(r.j["size"], 0);
  EXPECT_EQ(r.j["head_hash"], std::string(green::kGenesisHash));
  EXPECT_TRUE(r.j["records"].empty());

  auto stored = green::StoredLedger::Open(engine_->store());
  ASSERT_TRUE(stored.ok()) << stored.error().ToString();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        (*stored)
            ->ledger()
            .Append(green::LedgerKind::kIssuance, "王芳", kDay0 + i,
                    {{"device", "pv-01"}, {"wh", int64_t{1000 + i}}, {"note", "绿电 \"x\""}})
            .ok());
  }
  const std::string head = (*stored)->ledger().head_hash();

  // Two pages, then the rest.
  std::string lines;
  r = Get("/api/v1/ledger?limit=2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["count"], 2);
  EXPECT_EQ(r.j["size"], 5);
  EXPECT_EQ(r.j["head_hash"], head);
  EXPECT_EQ(r.j["next_from_seq"], 3);
  for (const json& rec : r.j["records"]) lines += rec.dump() + "\n";
  r = Get("/api/v1/ledger?from_seq=3&limit=100");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["count"], 3);
  EXPECT_TRUE(r.j["next_from_seq"].is_null());
  for (const json& rec : r.j["records"]) lines += rec.dump() + "\n";
  // Each object dumps back to exactly the record's JSON line; the whole verifies to the head.
  auto records = green::RecordsFromJsonLines(lines);
  ASSERT_TRUE(records.ok()) << records.error().ToString();
  EXPECT_EQ(*records, (*stored)->ledger().records());
  EXPECT_EQ(lines.substr(0, lines.find('\n')), *green::RecordToJson((*records)[0]));
  EXPECT_TRUE(green::VerifyChain(*records, head).ok());

  r = Get("/api/v1/ledger?from_seq=6");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["count"], 0);
  EXPECT_EQ(r.j["head_hash"], head);
  r = Get("/api/v1/ledger?verify=1&limit=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["verify"]["ok"], true);
  EXPECT_EQ(r.j["verify"]["records"], 5);
  EXPECT_EQ(r.j["verify"]["head_hash"], head);
  for (const char* bad : {"from_seq=0", "from_seq=x", "limit=0", "limit=100001", "verify=2"}) {
    r = Get(std::string("/api/v1/ledger?") + bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
  }

  // Admins and auditors read it; other roles are refused.
  auth::AuthService service(engine_->store());
  for (auto [role, allowed] :
       {std::pair{auth::Role::kAuditor, true}, std::pair{auth::Role::kAnalyst, false},
        std::pair{auth::Role::kOfficer, false}}) {
    auth::User u;
    u.username = fmt::format("ledger-{}", static_cast<int>(role));
    u.role = role;
    if (role == auth::Role::kOfficer) u.zones = {"Z01"};
    Result<auth::User> created = service.CreateUser(u, "correct horse battery");
    ASSERT_TRUE(created.ok()) << created.error().ToString();
    Result<auth::Issued> token = service.IssueToken(created->id, auth::CredentialKind::kApiToken,
                                                    "tests", {}, 0, std::time(nullptr));
    ASSERT_TRUE(token.ok()) << token.error().ToString();
    httplib::Client client("127.0.0.1", server_->port());
    client.set_default_headers({{"Authorization", "Bearer " + token->secret}});
    Reply as = ToReply(client.Get("/api/v1/ledger"));
    EXPECT_EQ(as.status, allowed ? 200 : 403) << u.username << " " << as.body;
  }
}

// green_source: "manual" (default) or "hourly"; the reports name the source in use, an unknown
// value is refused naming the field.
TEST_F(QueryTest, AccountingSettingsChooseTheGreenSource) {
  Reply r = Get("/api/v1/accounting/settings");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["green_source"], "manual");
  r = Put("/api/v1/accounting/settings", R"({"green_source":"hourly"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["green_source"], "hourly");
  EXPECT_EQ(Get("/api/v1/accounting/settings").j["green_source"], "hourly");
  r = Get("/api/v1/carbon?year=2025&by=park");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["green_source"], "hourly");
  r = Put("/api/v1/accounting/settings", R"({"green_source":"both"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("green_source"));
  r = Put("/api/v1/accounting/settings", R"({"green_source":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Get("/api/v1/accounting/settings").j["green_source"], "hourly");
  r = Put("/api/v1/accounting/settings", R"({"green_source":"manual"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Get("/api/v1/carbon?year=2025&by=park").j["green_source"], "manual");
}

// Hourly green matching over HTTP: a tiny park where the enterprise has a rooftop PV meter (same
// site, one consumer) and a second enterprise has load only. Matched = min(pv, load) per hour.
class GreenMatchingTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    model::Enterprise e;
    e.code = other_;
    e.name = "沈阳无光伏有限公司";
    e.industry_code = "C3670";
    e.zone_code = "Z01";
    ASSERT_TRUE(engine_->PutEnterprise(e, true).ok());
    auto meter = [&](std::string code, std::string enterprise, model::MeterFlow flow) {
      model::Meter m;
      m.code = std::move(code);
      m.name = "meter " + m.code;
      m.enterprise_code = std::move(enterprise);
      m.carrier = units::Carrier::kElectricity;
      m.unit = "kWh";
      m.flow = flow;
      Result<model::Meter> r = engine_->PutMeter(m, true);
      ASSERT_TRUE(r.ok()) << r.error().ToString();
    };
    meter("PV01", enterprise_code_, model::MeterFlow::kGeneration);
    meter("E201", other_, model::MeterFlow::kConsumption);
    std::string body;
    for (int h = 0; h < 4; ++h) {
      const std::string ts = std::to_string(kDay0 + h * 3600 + 1800);
      body += fmt::format("e,meter=E001 kwh={} {}\n", kLoad[h], ts);
      body += fmt::format("e,meter=PV01 kwh={} {}\n", kPv[h], ts);
      body += "e,meter=E201 kwh=10 " + ts + "\n";
    }
    ASSERT_EQ(Post("/write?precision=s", body, "text/plain").status, 204);
    ASSERT_EQ(Post("/api/v1/flush", "", "text/plain").status, 200);
  }
  static constexpr int kLoad[4] = {4, 2, 0, 5};
  static constexpr int kPv[4] = {1, 3, 2, 5};
  std::string other_ = CreditCode("91210112MA0Y54321");
};

TEST_F(GreenMatchingTest, MatchesSameSitePvHourByHour) {
  Reply r = Get("/api/v1/green/matching?from=2025-01-01&to=2025-01-02");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["from"], "2025-01-01T00:00:00+08:00");
  EXPECT_EQ(r.j["to"], "2025-01-02T00:00:00+08:00");
  double matched = 0, load = 0, pv = 0;
  for (int h = 0; h < 4; ++h) {
    matched += std::min(kLoad[h], kPv[h]);
    load += kLoad[h];
    pv += kPv[h];
  }
  ASSERT_DOUBLE_EQ(matched, 8);
  const json& park = r.j["park"];
  EXPECT_DOUBLE_EQ(park["consumption_kwh"].get<double>(), load + 40);
  EXPECT_DOUBLE_EQ(park["matched_kwh"].get<double>(), matched);
  EXPECT_DOUBLE_EQ(park["residual_kwh"].get<double>(), load + 40 - matched);
  EXPECT_DOUBLE_EQ(park["generation_kwh"].get<double>(), pv);
  EXPECT_DOUBLE_EQ(park["surplus_kwh"].get<double>(), pv - matched);
  EXPECT_DOUBLE_EQ(park["hourly_share"].get<double>(), matched / (load + 40));
  // Annually the PV covers its own site's whole load (11 of 11), the other site gets none.
  EXPECT_DOUBLE_EQ(park["annual_share"].get<double>(), load / (load + 40));
  ASSERT_EQ(r.j["enterprises"].size(), 2u);
  std::map<std::string, json> by_code;
  for (const json& e : r.j["enterprises"]) by_code[e["code"]] = e;
  const json& own = by_code[enterprise_code_];
  EXPECT_EQ(own["name"], "沈阳测试机械有限公司");
  EXPECT_DOUBLE_EQ(own["consumption_kwh"].get<double>(), load);
  EXPECT_DOUBLE_EQ(own["matched_kwh"].get<double>(), matched);
  EXPECT_DOUBLE_EQ(own["residual_kwh"].get<double>(), load - matched);
  EXPECT_DOUBLE_EQ(own["hourly_share"].get<double>(), matched / load);
  EXPECT_DOUBLE_EQ(own["annual_share"].get<double>(), 1.0);
  const json& other = by_code[other_];
  EXPECT_DOUBLE_EQ(other["consumption_kwh"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(other["matched_kwh"].get<double>(), 0);
  EXPECT_DOUBLE_EQ(other["hourly_share"].get<double>(), 0);
  EXPECT_FALSE(r.j.contains("hours"));

  // The enterprise's hours: its load, min(pv, load), and its own site's generation.
  r = Get("/api/v1/green/matching?from=2025-01-01&to=2025-01-02&hours=true&enterprise=" +
          enterprise_code_);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["enterprises"].size(), 1u);
  ASSERT_EQ(r.j["hours"].size(), 24u);
  for (int h = 0; h < 24; ++h) {
    const json& row = r.j["hours"][h];
    const int l = h < 4 ? kLoad[h] : 0;
    const int g = h < 4 ? kPv[h] : 0;
    EXPECT_EQ(row["hour"], fmt::format("2025-01-01T{:02}:00:00+08:00", h));
    EXPECT_DOUBLE_EQ(row["consumption_kwh"].get<double>(), l) << h;
    EXPECT_DOUBLE_EQ(row["matched_kwh"].get<double>(), std::min(l, g)) << h;
    EXPECT_DOUBLE_EQ(row["residual_kwh"].get<double>(), l - std::min(l, g)) << h;
    EXPECT_DOUBLE_EQ(row["generation_kwh"].get<double>(), g) << h;
    EXPECT_EQ(row["complete"], true) << h;
  }
  // Yesterday and today: today's last hour has not ended yet.
  const int32_t today = engine_->zone().LocalDay(static_cast<int64_t>(std::time(nullptr)));
  r = Get(fmt::format("/api/v1/green/matching?hours=true&from={}&to={}", FormatLocalDay(today - 1),
                      FormatLocalDay(today + 1)));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_FALSE(r.j["hours"].empty());
  EXPECT_EQ(r.j["hours"].back()["complete"], false);
  EXPECT_EQ(r.j["hours"].front()["complete"], true);
  // The other enterprise's hours: no generation of its own, nothing matched.
  r = Get("/api/v1/green/matching?from=2025-01-01&to=2025-01-01T04:00&hours=true&enterprise=" +
          other_);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["hours"].size(), 4u);
  EXPECT_DOUBLE_EQ(r.j["hours"][0]["consumption_kwh"].get<double>(), 10);
  EXPECT_DOUBLE_EQ(r.j["hours"][0]["generation_kwh"].get<double>(), 0);
  EXPECT_DOUBLE_EQ(r.j["hours"][0]["matched_kwh"].get<double>(), 0);
  // The park's hours when no enterprise is named.
  r = Get("/api/v1/green/matching?from=2025-01-01&to=2025-01-02&hours=true");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["hours"].size(), 24u);
  EXPECT_DOUBLE_EQ(r.j["hours"][3]["consumption_kwh"].get<double>(), 15);
  EXPECT_DOUBLE_EQ(r.j["hours"][3]["matched_kwh"].get<double>(), 5);
  EXPECT_DOUBLE_EQ(r.j["hours"][2]["generation_kwh"].get<double>(), 2);
  // A whole (leap) year is allowed.
  EXPECT_EQ(Get("/api/v1/green/matching?from=2024-01-01&to=2025-01-01").status, 200);

  for (const std::string& bad : std::vector<std::string>{
           "from=2025-01-02&to=2025-01-01", "from=2025-01-01&to=2026-01-03", "from=2025-01-01",
           "from=x&to=2025-01-02", "from=2025-01-01&to=2025-01-02&hours=maybe",
           "from=2025-01-01&to=2025-01-02&enterprise=nobody",
           "from=2025-01-01&to=2025-01-02&hours=true&enterprise=" + enterprise_code_ +
               "&enterprise=" + other_}) {
    r = Get("/api/v1/green/matching?" + bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
  }
  r = Get("/api/v1/green/matching?from=2025-01-01&to=2026-01-03");
  EXPECT_THAT(ErrorMessage(r), HasSubstr("'from'/'to'"));

  // An enterprise user sees its own enterprise only, and no park block.
  auth::AuthService service(engine_->store());
  auth::User u;
  u.username = "green-enterprise";
  u.role = auth::Role::kEnterprise;
  u.enterprise_code = enterprise_code_;
  Result<auth::User> created = service.CreateUser(u, "correct horse battery");
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Result<auth::Issued> token = service.IssueToken(created->id, auth::CredentialKind::kApiToken,
                                                  "tests", {}, 0, std::time(nullptr));
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  httplib::Client client("127.0.0.1", server_->port());
  client.set_default_headers({{"Authorization", "Bearer " + token->secret}});
  Reply as = ToReply(client.Get("/api/v1/green/matching?from=2025-01-01&to=2025-01-02&hours=1"));
  ASSERT_EQ(as.status, 200) << as.body;
  EXPECT_FALSE(as.j.contains("park"));
  ASSERT_EQ(as.j["enterprises"].size(), 1u);
  EXPECT_EQ(as.j["enterprises"][0]["code"], enterprise_code_);
  EXPECT_DOUBLE_EQ(as.j["enterprises"][0]["matched_kwh"].get<double>(), matched);
  EXPECT_EQ(as.j["hours"].size(), 24u);
  EXPECT_THAT(as.body, Not(HasSubstr(other_)));
  as = ToReply(
      client.Get("/api/v1/green/matching?from=2025-01-01&to=2025-01-02&enterprise=" + other_));
  EXPECT_EQ(as.status, 403) << as.body;
}

// Monthly settlement over HTTP on the tiny park plus a park-owned PV shared by both enterprises
// (so certificates are transferred from the park's account): the claimed Wh per enterprise equal
// the matching endpoint's matched Wh, the ledger verifies, certificates and the statement agree,
// and a restarted server replays the same state.
class GreenSettlementTest : public GreenMatchingTest {
 protected:
  void SetUp() override {
    GreenMatchingTest::SetUp();
    model::Meter m;
    m.code = "PARK.PV";
    m.name = "园区光伏 park PV";
    m.enterprise_code = "";
    m.carrier = units::Carrier::kElectricity;
    m.unit = "kWh";
    m.flow = model::MeterFlow::kGeneration;
    ASSERT_TRUE(engine_->PutMeter(m, true).ok());
    std::string body;
    for (int h = 0; h < 4; ++h) {
      body += fmt::format("e,meter=PARK.PV kwh={} {}\n", kParkPv[h], kDay0 + h * 3600 + 1800);
    }
    ASSERT_EQ(Post("/write?precision=s", body, "text/plain").status, 204);
    ASSERT_EQ(Post("/api/v1/flush", "", "text/plain").status, 200);
  }
  static constexpr int kParkPv[4] = {6, 6, 6, 0};

  // Matched Wh per enterprise in January from the matching endpoint.
  std::map<std::string, int64_t> MatchedWh() {
    Reply m = Get("/api/v1/green/matching?from=2025-01-01&to=2025-02-01");
    EXPECT_EQ(m.status, 200) << m.body;
    std::map<std::string, int64_t> out;
    for (const json& e : m.j["enterprises"]) {
      out[e["code"]] = std::llround(e["matched_kwh"].get<double>() * 1000);
    }
    return out;
  }
  // Claimed Wh per consumer from the certificates endpoint.
  std::map<std::string, int64_t> ClaimedWh() {
    Reply c = Get("/api/v1/green/certificates?status=claimed&limit=10000");
    EXPECT_EQ(c.status, 200) << c.body;
    std::map<std::string, int64_t> out;
    for (const json& b : c.j["certificates"]) out[b["consumer"]] += b["wh"].get<int64_t>();
    return out;
  }
  void RestartServer() {
    client_.reset();
    server_->Stop();
    server_.reset();
    StartServer(ServerOptions{});
  }
};

TEST_F(GreenSettlementTest, SettlementCertificatesAndStatement) {
  const std::map<std::string, int64_t> matched = MatchedWh();
  int64_t matched_total = 0;
  for (const auto& [code, wh] : matched) matched_total += wh;
  ASSERT_GT(matched.at(enterprise_code_), 0);
  ASSERT_GT(matched.at(other_), 0);  // only from the park's PV
  const int64_t issued = (1 + 3 + 2 + 5 + 6 + 6 + 6) * 1000;

  Reply r = Post("/api/v1/green/settlements", R"({"month":"2025-01"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["month"], "2025-01");
  EXPECT_EQ(r.j["issued_wh"], issued);
  EXPECT_EQ(r.j["allocated_wh"], matched_total);
  EXPECT_EQ(r.j["claimed_wh"], matched_total);
  EXPECT_EQ(r.j["ledger_from_seq"], 1);
  EXPECT_GT(r.j["bundles"].get<int64_t>(), 7);
  const int64_t to_seq = r.j["ledger_to_seq"];
  const std::string head = r.j["head_hash"];

  // Once only; a month that has not ended and bad bodies are 400s naming the field.
  r = Post("/api/v1/green/settlements", R"({"month":"2025-01"})");
  EXPECT_EQ(r.status, 409) << r.body;
  r = Post("/api/v1/green/settlements", R"({"month":"2099-01"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(ErrorMessage(r), HasSubstr("not ended"));
  for (const std::string bad : {R"({"month":"2025-13"})", R"({"month":5})", "{}", "[1]", "x"}) {
    r = Post("/api/v1/green/settlements", bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
    EXPECT_THAT(ErrorMessage(r), HasSubstr("month")) << bad;
  }
  r = Get("/api/v1/green/settlements");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j["months"].size(), 1u);
  EXPECT_EQ(r.j["months"][0]["month"], "2025-01");
  EXPECT_EQ(r.j["months"][0]["claimed_wh"], matched_total);
  EXPECT_EQ(r.j["months"][0]["ledger_to_seq"], to_seq);
  EXPECT_EQ(r.j["months"][0]["actor"], "test-admin");

  // The auditor's chain verifies up to the settlement's head.
  r = Get("/api/v1/ledger?verify=1&limit=100000");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["verify"]["ok"], true);
  EXPECT_EQ(r.j["verify"]["records"], to_seq);
  EXPECT_EQ(r.j["head_hash"], head);
  std::map<int64_t, json> records;
  for (const json& rec : r.j["records"]) records[rec["seq"].get<int64_t>()] = rec;

  // Claimed per enterprise = matched: nothing allocated twice, nothing lost.
  EXPECT_EQ(ClaimedWh(), matched);
  r = Get("/api/v1/green/certificates?limit=10000");
  ASSERT_EQ(r.status, 200) << r.body;
  const json all = r.j["certificates"];
  EXPECT_EQ(r.j["total"], all.size());
  EXPECT_EQ(r.j["total_wh"], issued);
  EXPECT_EQ(r.j["wh_by_status"]["claimed"], matched_total);
  EXPECT_EQ(r.j["wh_by_status"]["active"], issued - matched_total);
  EXPECT_EQ(r.j["wh_by_status"]["allocated"], 0);
  for (const json& b : all) {
    EXPECT_EQ(b["wh"].get<int64_t>(), b["to_wh"].get<int64_t>() - b["from_wh"].get<int64_t>());
    EXPECT_EQ(b["issuer"], "zeropark");
    EXPECT_THAT(b["production_hour"].get<std::string>(), HasSubstr("2025-01-01T0"));
    const json& rec = records.at(b["ledger_seq"].get<int64_t>());
    EXPECT_EQ(rec["fields"]["device"], b["device"]);
    EXPECT_EQ(rec["fields"]["status"], b["status"]);
    if (b["status"] == "claimed") {
      EXPECT_EQ(b["status_zh"], "已声明注销");
      EXPECT_EQ(rec["kind"], "claim");
      EXPECT_EQ(rec["fields"]["consumer"], b["consumer"]);
      // The park allocates its pool's certificates itself; a site's own stay in its account.
      EXPECT_EQ(b["account"], b["device"] == "PARK.PV" ? json("park") : b["consumer"]);
    } else {
      EXPECT_EQ(b["status"], "active");
      EXPECT_EQ(b["account"], b["device"] == "PARK.PV" ? "park" : enterprise_code_);
    }
  }
  // Filters and paging.
  r = Get("/api/v1/green/certificates?device=PARK.PV&limit=10000");
  ASSERT_EQ(r.status, 200);
  for (const json& b : r.j["certificates"]) EXPECT_EQ(b["device"], "PARK.PV");
  r = Get("/api/v1/green/certificates?enterprise=" + other_ + "&limit=10000");
  ASSERT_EQ(r.status, 200);
  ASSERT_GT(r.j["total"].get<int64_t>(), 0);
  for (const json& b : r.j["certificates"]) {
    EXPECT_TRUE(b["account"] == other_ || b["consumer"] == other_) << b.dump();
  }
  r = Get("/api/v1/green/certificates?from=2025-01-01T02:00&to=2025-01-01T03:00&limit=10000");
  ASSERT_EQ(r.status, 200);
  ASSERT_GT(r.j["total"].get<int64_t>(), 0);
  for (const json& b : r.j["certificates"]) {
    EXPECT_EQ(b["production_hour"], "2025-01-01T02:00:00+08:00");
  }
  r = Get("/api/v1/green/certificates?limit=2&offset=1");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.j["certificates"].size(), 2u);
  EXPECT_EQ(r.j["certificates"][0], all[1]);
  EXPECT_EQ(r.j["certificates"][1], all[2]);
  for (const std::string bad : {"status=gone", "limit=-1", "limit=10001", "from=x", "offset=y"}) {
    EXPECT_EQ(Get("/api/v1/green/certificates?" + bad).status, 400) << bad;
  }

  // The statement: claimed = matched, hours with their certificates and claim seqs.
  r = Get("/api/v1/green/statements?enterprise=" + enterprise_code_ + "&from=2025-01&to=2025-02");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["enterprise"]["code"], enterprise_code_);
  EXPECT_EQ(r.j["enterprise"]["name"], "沈阳测试机械有限公司");
  EXPECT_EQ(r.j["settled_months"], json::array({"2025-01"}));
  EXPECT_EQ(r.j["unsettled_months"], json::array({"2025-02"}));
  EXPECT_EQ(r.j["ledger_head"], head);
  const json& summary = r.j["summary"];
  EXPECT_DOUBLE_EQ(summary["claimed_kwh"].get<double>(), matched.at(enterprise_code_) / 1000.0);
  EXPECT_DOUBLE_EQ(summary["consumption_kwh"].get<double>(), 11);
  EXPECT_DOUBLE_EQ(summary["hourly_share"].get<double>(), matched.at(enterprise_code_) / 11000.0);
  EXPECT_DOUBLE_EQ(summary["annual_share"].get<double>(), 1.0);
  double by_source = 0;
  for (const json& s : summary["by_source"]) by_source += s["kwh"].get<double>();
  EXPECT_DOUBLE_EQ(by_source, summary["claimed_kwh"].get<double>());
  ASSERT_EQ(r.j["months"].size(), 2u);
  EXPECT_DOUBLE_EQ(r.j["months"][0]["claimed_kwh"].get<double>(),
                   matched.at(enterprise_code_) / 1000.0);
  EXPECT_EQ(r.j["months"][1]["settled"], false);
  int64_t hours_wh = 0;
  for (const json& h : r.j["hours"]) {
    const std::string hour = h["hour"];
    const int hh = std::stoi(hour.substr(11, 2));
    EXPECT_EQ(h["consumption_wh"], kLoad[hh] * 1000) << hour;
    EXPECT_EQ(h["consumption_cert"], fmt::format("CC-{}-20250101{:02d}", enterprise_code_, hh));
    EXPECT_EQ(h["residual_wh"],
              h["consumption_wh"].get<int64_t>() - h["claimed_wh"].get<int64_t>());
    int64_t wh = 0;
    for (const json& c : h["certificates"]) {
      const json& rec = records.at(c["claim_seq"].get<int64_t>());
      EXPECT_EQ(rec["kind"], "claim");
      EXPECT_EQ(rec["fields"]["consumer"], enterprise_code_);
      EXPECT_EQ(rec["fields"]["from_wh"], c["from_wh"]);
      EXPECT_EQ(rec["fields"]["consumption_cert"], h["consumption_cert"]);
      wh += c["wh"].get<int64_t>();
    }
    EXPECT_EQ(wh, h["claimed_wh"]);
    hours_wh += wh;
  }
  EXPECT_EQ(hours_wh, matched.at(enterprise_code_));
  EXPECT_TRUE(r.j["products"].is_array());
  EXPECT_TRUE(r.j["electricity_factor"].is_object());
  EXPECT_EQ(Get("/api/v1/green/statements?from=2025-01&to=2025-01").status, 400);  // no enterprise
  EXPECT_EQ(Get("/api/v1/green/statements?enterprise=nobody").status, 404);
  EXPECT_EQ(Get("/api/v1/green/statements?enterprise=" + other_ + "&from=2025-13").status, 400);
  EXPECT_EQ(
      Get("/api/v1/green/statements?enterprise=" + other_ + "&from=2025-03&to=2025-01").status,
      400);

  // A restarted server replays the ledger: the same state, and still settled once.
  const std::string certificates = Get("/api/v1/green/certificates?limit=10000").body;
  const std::string settlements = Get("/api/v1/green/settlements").body;
  RestartServer();
  EXPECT_EQ(Get("/api/v1/green/certificates?limit=10000").body, certificates);
  EXPECT_EQ(Get("/api/v1/green/settlements").body, settlements);
  EXPECT_EQ(Post("/api/v1/green/settlements", R"({"month":"2025-01"})").status, 409);
  r = Get("/api/v1/ledger?verify=1&limit=1");
  EXPECT_EQ(r.j["verify"]["ok"], true);
  EXPECT_EQ(r.j["head_hash"], head);
}

// Eight clients POST the same settlement at once: one 200, seven 409, and every enterprise's
// claimed Wh equals its matched Wh (no double allocation).
TEST_F(GreenSettlementTest, ConcurrentPostsSettleOnce) {
  const std::map<std::string, int64_t> matched = MatchedWh();
  std::atomic<int> ok{0}, conflict{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      httplib::Client c("127.0.0.1", server_->port());
      c.set_default_headers({{"Authorization", "Bearer " + admin_token_}});
      c.set_read_timeout(60, 0);
      auto res = c.Post("/api/v1/green/settlements", R"({"month":"2025-01"})", "application/json");
      if (!res) {
        ++other;
      } else if (res->status == 200) {
        ++ok;
      } else if (res->status == 409) {
        ++conflict;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 7);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ClaimedWh(), matched);
  Reply r = Get("/api/v1/ledger?verify=1&limit=1");
  EXPECT_EQ(r.j["verify"]["ok"], true);
}

// The supply registry: the default until one is stored; a stored one is validated (errors name
// the asset) and then drives the matching and the settlement.
TEST_F(GreenSettlementTest, SupplyRegistryIsStoredAndUsed) {
  Reply r = Get("/api/v1/green/supply");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["stored"], false);
  ASSERT_EQ(r.j["contracts"].size(), 2u);  // the enterprise's same-site PV and the park pool
  // Only the park PV, offered to the other enterprise alone.
  const json supply = {
      {"assets",
       {{{"code", "PARK.PV"}, {"technology", "ground_pv"}, {"site", ""}, {"meter", "PARK.PV"}}}},
      {"contracts",
       {{{"code", "POOL"}, {"kind", "park_pool"}, {"assets", {"PARK.PV"}}, {"buyers", {other_}}}}}};
  json wrong = supply;
  wrong["assets"][0]["meter"] = "NOPE";
  r = Put("/api/v1/green/supply", wrong.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(ErrorMessage(r), HasSubstr("PARK.PV"));
  r = Put("/api/v1/green/supply", supply.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["stored"], true);
  r = Get("/api/v1/green/supply");
  EXPECT_EQ(r.j["stored"], true);
  ASSERT_EQ(r.j["contracts"].size(), 1u);
  EXPECT_EQ(r.j["contracts"][0]["code"], "POOL");

  const std::map<std::string, int64_t> matched = MatchedWh();
  EXPECT_EQ(matched.at(enterprise_code_), 0);
  EXPECT_EQ(matched.at(other_), 18000);  // 6 kWh in each of hours 0..2, all needed by its 10 kWh
  ASSERT_EQ(Post("/api/v1/green/settlements", R"({"month":"2025-01"})").status, 200);
  EXPECT_EQ(ClaimedWh(), (std::map<std::string, int64_t>{{other_, 18000}}));
}

// Market-based Scope 2 of a settled month takes the certificates its settlement claimed: changing
// the supply registry afterwards changes the live matching, not the settled month's green power
// (else certificates claimed by one enterprise could count for another as well).
TEST_F(GreenSettlementTest, SettledMonthKeepsItsClaimsInScope2) {
  ASSERT_EQ(Put("/api/v1/accounting/settings", R"({"green_source":"hourly"})").status, 200);
  auto green_kwh = [&] {
    Reply r = Get("/api/v1/carbon?year=2025&by=enterprise");
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, int64_t> out;
    for (const json& row : r.j["rows"]) {
      out[row["group"]] = std::llround(row["green_kwh"].get<double>() * 1000);
    }
    return out;
  };
  ASSERT_EQ(Post("/api/v1/green/settlements", R"({"month":"2025-01"})").status, 200);
  std::map<std::string, int64_t> claimed = ClaimedWh();
  ASSERT_GT(claimed[enterprise_code_], 0);
  ASSERT_LT(claimed[other_], 18000);
  const std::map<std::string, int64_t> before = green_kwh();
  EXPECT_EQ(before.at(enterprise_code_), claimed[enterprise_code_]);
  EXPECT_EQ(before.at(other_), claimed[other_]);

  const json supply = {
      {"assets",
       {{{"code", "PARK.PV"}, {"technology", "ground_pv"}, {"site", ""}, {"meter", "PARK.PV"}}}},
      {"contracts",
       {{{"code", "POOL"}, {"kind", "park_pool"}, {"assets", {"PARK.PV"}}, {"buyers", {other_}}}}}};
  ASSERT_EQ(Put("/api/v1/green/supply", supply.dump()).status, 200);
  EXPECT_EQ(MatchedWh().at(other_), 18000);  // the live matching follows the new registry
  EXPECT_EQ(green_kwh(), before);            // the settled month does not
}

}  // namespace
}  // namespace zp::server
