// The environment API (/api/v1/env): the source registry (validation, no secrets out, audit),
// the live view and the alarms scoped by role, alarm filters and paging, the acknowledge / close
// lifecycle and who may do it, the history's shape, /metrics, and the alarm stream (Server-Sent
// Events). Most tests call the Api in process with an EnvService of their own that is fed frames
// directly; the stream is also read over a real socket from a running Server.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api.h"
#include "zp/auth/auth.h"
#include "zp/engine/testing.h"
#include "zp/environment/service.h"
#include "zp/hj212/segment.h"
#include "zp/server/server.h"

namespace zp::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

// 2026-01-10T10:00:00+08:00.
constexpr int64_t kNow = 1768010400;

std::string CreditCode(std::string_view first17) {
  Result<char> check = model::CreditCodeCheckChar(first17);
  EXPECT_TRUE(check.ok());
  return std::string(first17) + (check.ok() ? *check : '0');
}

const std::string kA = CreditCode("91210112MA0YAAAA1");
const std::string kB = CreditCode("91210112MA0YBBBB2");
constexpr std::string_view kMnA = "010000A8900016F000169DC0";
constexpr std::string_view kMnB = "010000A8900016F000169DC1";

// Zones Z1 (officer 王网格) with enterprise A and Z2 (李网格) with B; an account of every role
// (officer1: Z1, officer2: Z2, enterprise: A, enterprise_b: B), each with an API token.
void SeedPark(engine::Engine& engine, int64_t now, std::map<std::string, std::string>* tokens) {
  model::Park park = engine.GetPark();
  park.name = "环境测试园区";
  park.province = "辽宁";
  ASSERT_TRUE(engine.PutPark(park).ok());
  for (auto [code, officer] : {std::pair{"Z1", "王网格"}, std::pair{"Z2", "李网格"}}) {
    model::Zone zone;
    zone.code = code;
    zone.name = std::string("网格 ") + code;
    zone.officer = officer;
    ASSERT_TRUE(engine.PutZone(zone, true).ok());
  }
  for (auto [code, name, zone] :
       {std::tuple{kA, "甲公司 Alpha Co", "Z1"}, std::tuple{kB, "乙公司 Bravo Co", "Z2"}}) {
    model::Enterprise e;
    e.code = code;
    e.name = name;
    e.industry_code = "C3670";
    e.zone_code = zone;
    ASSERT_TRUE(engine.PutEnterprise(e, true).ok());
  }
  model::Meter meter;
  meter.code = "A.EL";
  meter.enterprise_code = kA;
  ASSERT_TRUE(engine.PutMeter(meter, true).ok());
  auth::AuthService service(engine.store());
  const std::vector<std::pair<std::string, std::string>> accounts = {{"admin", "admin"},
                                                                     {"analyst", "analyst"},
                                                                     {"auditor", "auditor"},
                                                                     {"officer1", "officer"},
                                                                     {"officer2", "officer"},
                                                                     {"enterprise", "enterprise"},
                                                                     {"enterprise_b", "enterprise"},
                                                                     {"device", "device"}};
  for (const auto& [name, role] : accounts) {
    auth::User u;
    u.username = "u-" + name;
    u.role = *auth::ParseRole(role);
    if (name == "officer1") u.zones = {"Z1"};
    if (name == "officer2") u.zones = {"Z2"};
    if (name == "enterprise") u.enterprise_code = kA;
    if (name == "enterprise_b") u.enterprise_code = kB;
    auto created = service.CreateUser(u, role == "device" ? "" : "correct horse battery");
    ASSERT_TRUE(created.ok()) << name << ": " << created.error().ToString();
    auto token = service.IssueToken(
        created->id,
        role == "device" ? auth::CredentialKind::kDeviceToken : auth::CredentialKind::kApiToken,
        "t", role == "device" ? std::vector<std::string>{"A.EL"} : std::vector<std::string>{}, 0,
        now);
    ASSERT_TRUE(token.ok()) << name << ": " << token.error().ToString();
    (*tokens)[name] = token->secret;
  }
}

// A's coal boiler (GB 13271-2014 in-use limits, reference O2 9 %) and B's gas boiler.
std::string SourcesJson(bool with_passwords = true) {
  return fmt::format(
      R"({{"sources":[
      {{"code":"A.DA001","name":"1号锅炉排气筒","enterprise":"{}","kind":"stack","mn":"{}",{}
        "fuel":"coal","boiler_class":"in_use",
        "pollutants":["a34013","a21026","a21002","a19001","a00000"]}},
      {{"code":"B.DA001","name":"乙 Bravo 燃气锅炉","enterprise":"{}","kind":"stack","mn":"{}",{}
        "fuel":"gas","boiler_class":"new","pollutants":["a21002","a19001"]}}]}})",
      kA, kMnA, with_passwords ? R"("password":"123456",)" : "", kB, kMnB,
      with_passwords ? R"("password":"654321",)" : "");
}

// YYYYMMDDhhmmss of the instant on the park's wall clock.
std::string DataTime(int64_t t, const TimeZone& zone) {
  const CivilTime c = SecondsToCivil(zone.ToLocal(t));
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", c.year, c.month, c.day, c.hour, c.minute,
                     c.second);
}

std::string Segment(std::string_view mn, std::string_view pw, int cn, int64_t t,
                    const TimeZone& zone, std::string_view fields) {
  const std::string time = DataTime(t, zone);
  return fmt::format("QN={}000;ST=31;CN={};PW={};MN={};Flag=5;CP=&&DataTime={};{}&&", time, cn, pw,
                     mn, time, fields);
}

struct Answer {
  int status = 0;
  std::string body;
  std::string content_type;
  json j;
  std::function<void(const StreamWriter&, const std::atomic<bool>&)> stream;
};

// What a stream wrote, shared with the thread that runs it.
class Collector {
 public:
  StreamWriter Writer() {
    return [this](std::string_view piece) {
      std::lock_guard lock(mu_);
      text_ += piece;
      return true;
    };
  }
  std::string Text() const {
    std::lock_guard lock(mu_);
    return text_;
  }
  // Waits until the text holds `what` (true) or the timeout passes (false).
  bool WaitFor(std::string_view what, std::chrono::milliseconds timeout) const {
    const Clock::time_point end = Clock::now() + timeout;
    while (Clock::now() < end) {
      if (Text().find(what) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Text().find(what) != std::string::npos;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
};

// The data of every "event: alarm" in an event stream's text, parsed.
std::vector<json> AlarmEvents(std::string_view text) {
  std::vector<json> out;
  constexpr std::string_view kHead = "event: alarm\ndata: ";
  for (size_t at = text.find(kHead); at != std::string_view::npos; at = text.find(kHead, at)) {
    at += kHead.size();
    const size_t end = text.find('\n', at);
    if (end == std::string_view::npos) break;
    out.push_back(json::parse(text.substr(at, end - at), nullptr, false));
  }
  return out;
}

class EnvApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = engine::OpenTestEngine("memory:");
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(*engine);
    SeedPark(*engine_, kNow, &tokens_);
    environment::EnvServiceOptions options;
    options.now = [this] { return now_s_.load(); };
    options.tick_thread = false;
    auto env = environment::EnvService::Open(*engine_, options);
    ASSERT_TRUE(env.ok()) << env.error().ToString();
    env_ = std::move(*env);
    api_ = MakeApi(300);
  }
  void TearDown() override {
    api_.reset();
    if (env_) env_->Stop();
  }

  std::unique_ptr<Api> MakeApi(int64_t stream_max_s) {
    ApiOptions options;
    options.now_s = kNow;
    options.event_stream_max_s = stream_max_s;
    auto api = std::make_unique<Api>(*engine_, options);
    api->SetEnvironment(env_.get());
    return api;
  }

  Answer Call(Api& api, const std::string& role, const std::string& method,
              const std::string& target, const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string_view rest = std::string_view(target).substr(q + 1);
      while (!rest.empty()) {
        const size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const size_t eq = pair.find('=');
        r.query.emplace_back(std::string(pair.substr(0, eq)),
                             eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      }
    }
    r.body = body;
    r.content_type = "application/json";
    r.remote_addr = "127.0.0.1";
    if (!role.empty()) r.authorization = "Bearer " + tokens_.at(role);
    int route = -1;
    HttpResponse resp = api.Handle(r, &route);
    Answer a;
    a.status = resp.status;
    a.body = resp.body;
    a.content_type = resp.content_type;
    a.stream = std::move(resp.stream);
    if (a.content_type.starts_with("application/json") && !a.body.empty()) {
      a.j = json::parse(a.body, nullptr, false);
      EXPECT_FALSE(a.j.is_discarded()) << a.body;
    }
    return a;
  }
  Answer Call(const std::string& role, const std::string& method, const std::string& target,
              const std::string& body = "") {
    return Call(*api_, role, method, target, body);
  }

  void PutSources() {
    Answer put = Call("admin", "PUT", "/api/v1/env/sources", SourcesJson());
    ASSERT_EQ(put.status, 200) << put.body;
  }

  // Hands the segments to the service as the HJ 212 server would; every one must be accepted.
  void Feed(const std::vector<std::string>& segments, int64_t received_s) {
    std::vector<hj212::Upload> batch(segments.size());
    for (size_t i = 0; i < segments.size(); ++i) {
      batch[i].connection = 1;
      batch[i].peer = "127.0.0.1:50000";
      batch[i].received_ms = received_s * 1000;
      batch[i].segment = segments[i];
      ASSERT_TRUE(hj212::ParseSegment(batch[i].segment, &batch[i].parsed).ok()) << segments[i];
    }
    std::vector<hj212::Disposition> out;
    env_->Handle(batch, &out);
    ASSERT_EQ(out.size(), batch.size());
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_TRUE(out[i].refusal.empty()) << out[i].refusal << ": " << segments[i];
    }
  }

  // A real-time frame of A's boiler: SO2 as given, O2 12 %.
  std::string FrameA(int64_t t, double so2) {
    return Segment(kMnA, "123456", 2011, t, engine_->zone(),
                   fmt::format("a21026-Rtd={:.1f},a21026-Flag=N;a19001-Rtd=12.0,a19001-Flag=N;"
                               "a34013-Rtd=8.0,a34013-Flag=N;a21002-Rtd=120.0,a21002-Flag=N;"
                               "a00000-Rtd=20.0,a00000-Flag=N",
                               so2));
  }

  // Raises an alarm directly in the alarm book (routed as the service would).
  int64_t Raise(std::string_view kind, std::string_view source, std::string_view pollutant,
                int64_t t) {
    const bool a = source.starts_with("A.");
    environment::Condition c;
    c.kind = std::string(kind);
    c.source = std::string(source);
    c.pollutant = std::string(pollutant);
    c.time_s = t;
    c.value = 500;
    c.limit = 400;
    c.unit = "mg/m³";
    c.detail = "测试 / test";
    environment::Routing routing{a ? kA : kB, a ? "Z1" : "Z2", a ? "王网格" : "李网格"};
    Result<int64_t> id = env_->alarms().Raise(c, routing);
    EXPECT_TRUE(id.ok()) << id.error().ToString();
    EXPECT_TRUE(env_->alarms().Persist().ok());
    return id.ok() ? *id : 0;
  }

  std::vector<int64_t> Ids(const Answer& a) {
    std::vector<int64_t> ids;
    if (!a.j.is_object()) return ids;
    for (const json& x : a.j["alarms"]) ids.push_back(x["id"].get<int64_t>());
    return ids;
  }

  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<environment::EnvService> env_;
  std::unique_ptr<Api> api_;
  std::map<std::string, std::string> tokens_;
  std::atomic<int64_t> now_s_{kNow};
};

TEST_F(EnvApiTest, SourcesAreValidatedAuditedAndNeverShowPasswords) {
  Answer get = Call("admin", "GET", "/api/v1/env/sources");
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_TRUE(get.j["sources"].empty());

  // Refused: bad JSON, unknown enterprise, unknown field; nothing stored.
  Answer bad = Call("admin", "PUT", "/api/v1/env/sources", "{");
  EXPECT_EQ(bad.status, 400) << bad.body;
  std::string unknown = SourcesJson();
  unknown.replace(unknown.find(kB), kB.size(), CreditCode("91210112MA0YCCCC3"));
  bad = Call("admin", "PUT", "/api/v1/env/sources", unknown);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_THAT(bad.j["error"]["message"].get<std::string>(), HasSubstr("B.DA001"));
  std::string extra = SourcesJson();
  extra.replace(extra.find("\"fuel\""), 0, "\"colour\":\"red\",");
  bad = Call("admin", "PUT", "/api/v1/env/sources", extra);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_TRUE(env_->Sources().sources.empty());
  // Only the administrator changes the registry.
  for (const std::string role : {"analyst", "auditor", "officer1", "enterprise", "device"}) {
    EXPECT_EQ(Call(role, "PUT", "/api/v1/env/sources", SourcesJson()).status, 403) << role;
  }

  Answer put = Call("admin", "PUT", "/api/v1/env/sources", SourcesJson());
  ASSERT_EQ(put.status, 200) << put.body;
  ASSERT_EQ(put.j["sources"].size(), 2u);
  EXPECT_EQ(put.j["sources"][0]["code"], "A.DA001");
  EXPECT_EQ(put.j["sources"][0]["enterprise_name"], "甲公司 Alpha Co");
  EXPECT_EQ(put.j["sources"][0]["zone"], "Z1");
  EXPECT_EQ(put.j["sources"][1]["zone"], "Z2");
  EXPECT_THAT(put.body, Not(HasSubstr("123456")));
  EXPECT_THAT(put.body, Not(HasSubstr("password")));
  ASSERT_EQ(env_->Sources().sources.size(), 2u);
  const std::string hash = env_->Sources().sources[0].password_sha256;
  EXPECT_FALSE(hash.empty());
  EXPECT_THAT(put.body, Not(HasSubstr(hash)));

  // A registry sent back without passwords keeps the stored ones.
  std::string renamed = SourcesJson(false);
  renamed.replace(renamed.find("1号锅炉排气筒"), std::string("1号锅炉排气筒").size(), "一号炉");
  put = Call("admin", "PUT", "/api/v1/env/sources", renamed);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.j["sources"][0]["name"], "一号炉");
  EXPECT_EQ(env_->Sources().sources[0].password_sha256, hash);

  // Scoped reads.
  Answer own = Call("enterprise", "GET", "/api/v1/env/sources");
  ASSERT_EQ(own.status, 200);
  ASSERT_EQ(own.j["sources"].size(), 1u);
  EXPECT_EQ(own.j["sources"][0]["code"], "A.DA001");
  EXPECT_THAT(own.body, Not(HasSubstr(kB)));
  Answer zone2 = Call("officer2", "GET", "/api/v1/env/sources");
  ASSERT_EQ(zone2.j["sources"].size(), 1u);
  EXPECT_EQ(zone2.j["sources"][0]["code"], "B.DA001");
  EXPECT_EQ(Call("auditor", "GET", "/api/v1/env/sources").j["sources"].size(), 2u);
  EXPECT_EQ(Call("device", "GET", "/api/v1/env/sources").status, 403);

  // The audit log holds the change (before and after, without secrets) and the refusals.
  int changes = 0, refusals = 0;
  ASSERT_TRUE(engine_->store()
                  .ReadAudit(0, 1000, "", "",
                             [&](const store::AuditRow& row) {
                               if (row.action != "PUT /api/v1/env/sources") return;
                               EXPECT_THAT(row.after_json, Not(HasSubstr("123456")));
                               EXPECT_THAT(row.after_json, Not(HasSubstr(hash)));
                               if (row.status == 200) {
                                 ++changes;
                                 EXPECT_THAT(row.after_json, HasSubstr("A.DA001"));
                               } else {
                                 ++refusals;
                               }
                             })
                  .ok());
  EXPECT_EQ(changes, 2);
  EXPECT_EQ(refusals, 3 + 5);
}

TEST_F(EnvApiTest, LiveIsScopedAndShowsValuesAgainstLimits) {
  PutSources();
  Feed({FrameA(kNow - 60, 500.0)}, kNow - 59);

  Answer all = Call("admin", "GET", "/api/v1/env/live");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.j["now_s"], kNow);
  ASSERT_EQ(all.j["sources"].size(), 2u);
  const json* a = nullptr;
  for (const json& s : all.j["sources"]) {
    if (s["code"] == "A.DA001") a = &s;
  }
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["enterprise"], kA);
  EXPECT_EQ((*a)["enterprise_name"], "甲公司 Alpha Co");
  EXPECT_EQ((*a)["zone"], "Z1");
  EXPECT_EQ((*a)["officer"], "王网格");
  EXPECT_EQ((*a)["kind"], "stack");
  EXPECT_EQ((*a)["last_received_s"], kNow - 59);
  EXPECT_EQ((*a)["state"], "exceeded");
  EXPECT_EQ((*a)["active_alarms"], 1);
  const json* so2 = nullptr;
  for (const json& v : (*a)["values"]) {
    if (v["pollutant"] == "a21026") so2 = &v;
  }
  ASSERT_NE(so2, nullptr) << a->dump();
  EXPECT_EQ((*so2)["unit"], "mg/m3");
  EXPECT_EQ((*so2)["cn"], 2011);
  EXPECT_EQ((*so2)["time_s"], kNow - 60);
  EXPECT_DOUBLE_EQ((*so2)["value"].get<double>(), 500.0);
  EXPECT_NEAR((*so2)["zs"].get<double>(), 500.0 * 12 / 9, 0.01);  // (21 - 9) / (21 - 12)
  EXPECT_EQ((*so2)["corrected"], true);
  EXPECT_EQ((*so2)["flag"], "N");
  EXPECT_EQ((*so2)["valid"], true);
  EXPECT_DOUBLE_EQ((*so2)["limit"].get<double>(), 400.0);
  EXPECT_THAT((*so2)["limit_basis"].get<std::string>(), HasSubstr("GB 13271-2014"));
  EXPECT_EQ((*so2)["exceeded"], true);
  for (const char* key : {"name_zh", "name_en"}) EXPECT_TRUE((*so2)[key].is_string()) << key;
  const json& hj = all.j["hj212"];
  EXPECT_EQ(hj["port"], 0);
  EXPECT_EQ(hj["listening"], false);
  EXPECT_TRUE(hj["refused"].is_object());
  for (const char* key : {"connections_open", "frames_received", "frames_accepted"}) {
    EXPECT_TRUE(hj.contains(key)) << key;
  }

  // Enterprise users: their own sources; officers: their zones' enterprises.
  for (const auto& [role, code, other] :
       {std::tuple{"enterprise", "A.DA001", kB}, std::tuple{"officer1", "A.DA001", kB},
        std::tuple{"officer2", "B.DA001", kA}, std::tuple{"enterprise_b", "B.DA001", kA}}) {
    Answer live = Call(role, "GET", "/api/v1/env/live");
    ASSERT_EQ(live.status, 200) << role;
    ASSERT_EQ(live.j["sources"].size(), 1u) << role;
    EXPECT_EQ(live.j["sources"][0]["code"], code) << role;
    EXPECT_THAT(live.body, Not(HasSubstr(other))) << role;
  }
  EXPECT_EQ(Call("analyst", "GET", "/api/v1/env/live").j["sources"].size(), 2u);
  EXPECT_EQ(Call("device", "GET", "/api/v1/env/live").status, 403);
  EXPECT_EQ(Call("", "GET", "/api/v1/env/live").status, 401);
}

TEST_F(EnvApiTest, AlarmListFiltersPagesAndScopes) {
  PutSources();
  // A: five alarms, one of them closed; B: two.
  const int64_t a1 = Raise("exceedance", "A.DA001", "a21026", kNow - 7200);
  const int64_t a2 = Raise("exceedance", "A.DA001", "a21002", kNow - 6000);
  const int64_t a3 = Raise("exceedance", "A.DA001", "a34013", kNow - 5000);
  const int64_t a4 = Raise("device_fault", "A.DA001", "a19001", kNow - 4000);
  const int64_t a5 = Raise("data_loss", "A.DA001", "", kNow - 3000);
  const int64_t b1 = Raise("exceedance", "B.DA001", "a21002", kNow - 2000);
  const int64_t b2 = Raise("device_fault", "B.DA001", "a19001", kNow - 1000);
  ASSERT_TRUE(env_->alarms().Close(a1, "u-admin", "处理完毕 / done", kNow).ok());

  Answer all = Call("admin", "GET", "/api/v1/env/alarms");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(Ids(all), (std::vector<int64_t>{b2, b1, a5, a4, a3, a2, a1}));
  EXPECT_TRUE(all.j["next_before_id"].is_null());
  const json& first = all.j["alarms"][0];
  for (const char* key :
       {"id",       "kind",      "state",           "enterprise",     "enterprise_name",
        "zone",     "officer",   "source",          "pollutant",      "opened_s",
        "last_s",   "cleared_s", "occurrences",     "value",          "limit",
        "unit",     "detail",    "acknowledged_by", "acknowledged_s", "closed_by",
        "closed_s", "note"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  EXPECT_EQ(first["enterprise_name"], "乙公司 Bravo Co");
  EXPECT_EQ(first["zone"], "Z2");
  EXPECT_EQ(first["officer"], "李网格");
  EXPECT_EQ(first["unit"], "mg/m3");
  EXPECT_EQ(all.j["alarms"][6]["state"], "closed");
  EXPECT_EQ(all.j["alarms"][6]["note"], "处理完毕 / done");

  // Paging, newest first.
  Answer page = Call("admin", "GET", "/api/v1/env/alarms?limit=3");
  EXPECT_EQ(Ids(page), (std::vector<int64_t>{b2, b1, a5}));
  ASSERT_EQ(page.j["next_before_id"], a5);
  page = Call("admin", "GET", fmt::format("/api/v1/env/alarms?limit=3&before_id={}", a5));
  EXPECT_EQ(Ids(page), (std::vector<int64_t>{a4, a3, a2}));
  ASSERT_EQ(page.j["next_before_id"], a2);
  page = Call("admin", "GET", fmt::format("/api/v1/env/alarms?limit=3&before_id={}", a2));
  EXPECT_EQ(Ids(page), (std::vector<int64_t>{a1}));
  EXPECT_TRUE(page.j["next_before_id"].is_null());

  // Filters.
  auto ids = [&](const std::string& query) {
    Answer r = Call("admin", "GET", "/api/v1/env/alarms?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return Ids(r);
  };
  EXPECT_EQ(ids("state=closed"), (std::vector<int64_t>{a1}));
  EXPECT_EQ(ids("state=open").size(), 6u);
  EXPECT_EQ(ids("state=active").size(), 6u);
  EXPECT_TRUE(ids("state=acknowledged").empty());
  EXPECT_EQ(ids("kind=device_fault"), (std::vector<int64_t>{b2, a4}));
  EXPECT_EQ(ids("kind=data_loss"), (std::vector<int64_t>{a5}));
  EXPECT_EQ(ids("enterprise=" + kB), (std::vector<int64_t>{b2, b1}));
  EXPECT_EQ(ids("source=B.DA001&kind=exceedance"), (std::vector<int64_t>{b1}));
  EXPECT_EQ(ids("pollutant=a21002"), (std::vector<int64_t>{b1, a2}));
  EXPECT_EQ(ids(fmt::format("from={}", kNow - 2500)), (std::vector<int64_t>{b2, b1}));
  EXPECT_EQ(ids(fmt::format("to={}", kNow - 5500)), (std::vector<int64_t>{a2, a1}));

  // Bad parameters name themselves.
  for (const std::string query : {"limit=0", "limit=1001", "before_id=x", "state=lost",
                                  "kind=noise", "from=yesterday", "colour=red"}) {
    Answer r = Call("admin", "GET", "/api/v1/env/alarms?" + query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_THAT(r.j["error"]["message"].get<std::string>(),
                HasSubstr(query.substr(0, query.find('='))));
  }

  // Scope: enterprise users their own, officers their zones, the rest everything.
  EXPECT_EQ(Ids(Call("enterprise", "GET", "/api/v1/env/alarms")),
            (std::vector<int64_t>{a5, a4, a3, a2, a1}));
  EXPECT_EQ(Ids(Call("officer2", "GET", "/api/v1/env/alarms")), (std::vector<int64_t>{b2, b1}));
  EXPECT_EQ(Ids(Call("officer1", "GET", "/api/v1/env/alarms?state=open")),
            (std::vector<int64_t>{a5, a4, a3, a2}));
  EXPECT_EQ(Ids(Call("auditor", "GET", "/api/v1/env/alarms")).size(), 7u);
  EXPECT_EQ(Ids(Call("analyst", "GET", "/api/v1/env/alarms")).size(), 7u);
  Answer theirs = Call("enterprise", "GET", "/api/v1/env/alarms?enterprise=" + kB);
  EXPECT_EQ(theirs.status, 403);
  theirs = Call("enterprise", "GET", "/api/v1/env/alarms?source=B.DA001");
  EXPECT_EQ(theirs.status, 403);
  EXPECT_THAT(theirs.body, Not(HasSubstr("B.DA001")));
  theirs = Call("officer1", "GET", "/api/v1/env/alarms?source=B.DA001");
  EXPECT_EQ(theirs.status, 403);
  EXPECT_EQ(Call("device", "GET", "/api/v1/env/alarms").status, 403);
  for (const std::string role : {"enterprise", "officer1"}) {
    Answer r = Call(role, "GET", "/api/v1/env/alarms");
    EXPECT_THAT(r.body, Not(HasSubstr(kB))) << role;
    EXPECT_THAT(r.body, Not(HasSubstr("B.DA001"))) << role;
  }
}

TEST_F(EnvApiTest, AcknowledgeAndCloseFollowTheLifecycle) {
  PutSources();
  const int64_t a = Raise("exceedance", "A.DA001", "a21026", kNow - 600);
  const int64_t b = Raise("exceedance", "B.DA001", "a21002", kNow - 600);
  const std::string ack = fmt::format("/api/v1/env/alarms/{}/acknowledge", a);
  const std::string close = fmt::format("/api/v1/env/alarms/{}/close", a);

  // Only the officer of the alarm's zone, or the administrator.
  for (const std::string role : {"officer2", "enterprise", "analyst", "auditor", "device"}) {
    Answer r = Call(role, "POST", ack);
    EXPECT_EQ(r.status, 403) << role << ": " << r.body;
    r = Call(role, "POST", close, R"({"note":"不该我关 / not mine"})");
    EXPECT_EQ(r.status, 403) << role << ": " << r.body;
  }
  EXPECT_EQ(Call("", "POST", ack).status, 401);
  Answer got = Call("admin", "GET", "/api/v1/env/alarms?state=open");
  EXPECT_EQ(Ids(got).size(), 2u);

  Answer r = Call("officer1", "POST", ack);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["id"], a);
  EXPECT_EQ(r.j["state"], "acknowledged");
  EXPECT_EQ(r.j["acknowledged_by"], "u-officer1");
  EXPECT_EQ(r.j["acknowledged_s"], kNow);
  EXPECT_EQ(Call("officer1", "POST", ack).status, 409);  // not open any more

  // Closing needs a note.
  for (const std::string body :
       {"", "{}", R"({"note":""})", R"({"note":"   "})", R"({"note":7})", "[1]"}) {
    r = Call("officer1", "POST", close, body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_THAT(r.j["error"]["message"].get<std::string>(), HasSubstr("note")) << body;
  }
  r = Call("officer1", "POST", close, R"({"note":"更换布袋除尘器滤袋 / filter bags replaced"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["state"], "closed");
  EXPECT_EQ(r.j["closed_by"], "u-officer1");
  EXPECT_EQ(r.j["closed_s"], kNow);
  EXPECT_EQ(r.j["note"], "更换布袋除尘器滤袋 / filter bags replaced");
  r = Call("officer1", "POST", close, R"({"note":"again"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Call("officer1", "POST", ack).status, 409);

  // The administrator may close any alarm straight from open.
  r = Call("admin", "POST", fmt::format("/api/v1/env/alarms/{}/close", b), R"({"note":"误报"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["acknowledged_by"], "");
  EXPECT_EQ(r.j["closed_by"], "u-admin");
  EXPECT_EQ(Call("admin", "POST", "/api/v1/env/alarms/999999/acknowledge").status, 404);
  EXPECT_EQ(Call("admin", "POST", "/api/v1/env/alarms/x/acknowledge").status, 400);
  EXPECT_EQ(Call("officer1", "POST", "/api/v1/env/alarms/0/close", R"({"note":"n"})").status, 400);

  // Each step is in the audit log, with the alarm before and after.
  std::vector<std::pair<std::string, std::string>> steps;  // (before state, after state)
  ASSERT_TRUE(engine_->store()
                  .ReadAudit(0, 1000, "u-officer1", "",
                             [&](const store::AuditRow& row) {
                               if (row.status != 200) return;
                               const json before = json::parse(row.before_json, nullptr, false);
                               const json after = json::parse(row.after_json, nullptr, false);
                               ASSERT_TRUE(before.is_object()) << row.before_json;
                               ASSERT_TRUE(after.is_object()) << row.after_json;
                               steps.emplace_back(before["state"].get<std::string>(),
                                                  after["state"].get<std::string>());
                             })
                  .ok());
  EXPECT_EQ(steps, (std::vector<std::pair<std::string, std::string>>{{"open", "acknowledged"},
                                                                     {"acknowledged", "closed"}}));
}

TEST_F(EnvApiTest, HistoryHasHoursPointsAndTheLimit) {
  PutSources();
  // Five real-time values in the hour 08:00-09:00, then one at 09:00 that closes the hour.
  const int64_t hour = kNow - 7200;  // 08:00 local
  std::vector<std::string> frames;
  for (int i = 0; i < 5; ++i) frames.push_back(FrameA(hour + 600 * i, 100.0 + i));
  Feed(frames, hour + 3000);
  Feed({FrameA(hour + 3600, 110.0)}, hour + 3601);

  Answer h = Call("admin", "GET",
                  fmt::format("/api/v1/env/history?source=A.DA001&pollutant=a21026&from={}&to={}",
                              hour - 3600, kNow));
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(h.j["source"], "A.DA001");
  EXPECT_EQ(h.j["pollutant"], "a21026");
  EXPECT_EQ(h.j["unit"], "mg/m3");
  ASSERT_TRUE(h.j["limit"].is_object()) << h.body;
  EXPECT_DOUBLE_EQ(h.j["limit"]["value"].get<double>(), 400.0);
  EXPECT_EQ(h.j["limit"]["unit"], "mg/m3");
  EXPECT_THAT(h.j["limit"]["basis"].get<std::string>(), HasSubstr("GB 13271-2014"));
  // The closed hour (the hour still open may follow).
  ASSERT_GE(h.j["hours"].size(), 1u) << h.body;
  const json& hr = h.j["hours"][0];
  ASSERT_EQ(hr["hour_s"], hour) << h.body;
  EXPECT_DOUBLE_EQ(hr["avg"].get<double>(), 102.0);
  EXPECT_NEAR(hr["zs_avg"].get<double>(), 102.0 * 12 / 9, 0.01);
  EXPECT_DOUBLE_EQ(hr["min"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(hr["max"].get<double>(), 104.0);
  EXPECT_EQ(hr["samples"], 5);
  EXPECT_EQ(hr["valid"], 5);
  EXPECT_EQ(hr["exceeded"], false);
  for (const char* key : {"load_kg", "expected", "flag", "origin"}) {
    EXPECT_TRUE(hr.contains(key)) << key;
  }
  ASSERT_EQ(h.j["points"].size(), 6u);
  const json& p = h.j["points"][5];
  EXPECT_EQ(p["t"], hour + 3600);
  EXPECT_EQ(p["cn"], 2011);
  EXPECT_DOUBLE_EQ(p["value"].get<double>(), 110.0);
  EXPECT_NEAR(p["zs"].get<double>(), 110.0 * 12 / 9, 0.01);
  EXPECT_EQ(p["flag"], "N");

  // The default period is the last 24 hours.
  Answer d = Call("officer1", "GET", "/api/v1/env/history?source=A.DA001&pollutant=a21026");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.j["from_s"], kNow - 86400);
  EXPECT_EQ(d.j["to_s"], kNow);
  EXPECT_EQ(d.j["points"].size(), 6u);

  // Refusals.
  const std::string base = "/api/v1/env/history?pollutant=a21026&source=";
  EXPECT_EQ(Call("admin", "GET", base + "NOPE").status, 404);
  EXPECT_EQ(Call("enterprise", "GET", base + "NOPE").status, 403);
  Answer other = Call("enterprise", "GET", base + "B.DA001");
  EXPECT_EQ(other.status, 403);
  EXPECT_THAT(other.body, Not(HasSubstr(kB)));
  EXPECT_EQ(Call("officer2", "GET", base + "A.DA001").status, 403);
  EXPECT_EQ(Call("admin", "GET", "/api/v1/env/history?source=A.DA001&pollutant=zz").status, 400);
  EXPECT_EQ(Call("admin", "GET", "/api/v1/env/history?source=A.DA001").status, 400);
  Answer longer = Call("admin", "GET", base + "A.DA001&from=2025-01-01&to=2025-03-01");  // 59 days
  EXPECT_EQ(longer.status, 400);
  EXPECT_THAT(longer.j["error"]["message"].get<std::string>(), HasSubstr("31 days"));
}

TEST_F(EnvApiTest, MetricsCountFramesAndAlarms) {
  PutSources();
  Feed({FrameA(kNow - 60, 500.0)}, kNow - 59);
  Answer m = Call("admin", "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  for (const char* line :
       {"# TYPE zp_hj212_connections_open gauge\nzp_hj212_connections_open 0\n",
        "zp_hj212_frames_received_total 0\n", "zp_hj212_frames_accepted_total 0\n",
        "# TYPE zp_hj212_frames_refused_total counter\n",
        "zp_hj212_frames_refused_total{reason=\"bad_crc\"} 0\n",
        "zp_hj212_frames_refused_total{reason=\"unknown_mn\"} 0\n",
        "zp_hj212_frames_refused_total{reason=\"store_failed\"} 0\n",
        "zp_hj212_idle_timeouts_total 0\n", "zp_hj212_slow_timeouts_total 0\n",
        "zp_env_frames_stored_total 1\n", "zp_env_alarms_raised_total 1\n",
        "# TYPE zp_env_alarm_latency_seconds_max gauge\n", "zeropark_readings_written_total 0\n"}) {
    EXPECT_THAT(m.body, HasSubstr(line));
  }
  EXPECT_EQ(Call("officer1", "GET", "/metrics").status, 403);
}

TEST_F(EnvApiTest, WithoutTheServiceEveryRouteIs503) {
  ApiOptions options;
  options.now_s = kNow;
  Api bare(*engine_, options);
  int checked = 0;
  for (const Route& route : bare.router().routes()) {
    if (!route.path.starts_with("/api/v1/env/")) continue;
    std::string path = route.path;
    if (size_t at = path.find("{id}"); at != std::string::npos) path.replace(at, 4, "1");
    if (path.ends_with("/history")) path += "?source=A.DA001&pollutant=a21026";
    Answer r = Call(bare, "admin", route.method, path, R"({"note":"n"})");
    EXPECT_EQ(r.status, 503) << route.method << " " << path << ": " << r.body;
    EXPECT_THAT(r.body, HasSubstr("环境监测")) << path;
    ++checked;
  }
  EXPECT_EQ(checked, 8);
  // Still rendered: the counters, at zero.
  EXPECT_THAT(Call(bare, "admin", "GET", "/metrics").body,
              HasSubstr("zp_env_alarms_raised_total 0"));
}

TEST_F(EnvApiTest, AlarmStreamSendsScopedChangesAndEnds) {
  PutSources();
  Answer mine = Call("officer1", "GET", "/api/v1/env/alarms/stream");
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(mine.content_type, "text/event-stream");
  ASSERT_TRUE(mine.stream);
  Answer other = Call("officer2", "GET", "/api/v1/env/alarms/stream");
  ASSERT_TRUE(other.stream);
  Answer own = Call("enterprise", "GET", "/api/v1/env/alarms/stream");
  ASSERT_TRUE(own.stream);
  EXPECT_EQ(Call("device", "GET", "/api/v1/env/alarms/stream").status, 403);

  std::atomic<bool> stop{false};
  Collector c_mine, c_other, c_own;
  std::thread t_mine([&] { mine.stream(c_mine.Writer(), stop); });
  std::thread t_other([&] { other.stream(c_other.Writer(), stop); });
  std::thread t_own([&] { own.stream(c_own.Writer(), stop); });
  ASSERT_TRUE(c_mine.WaitFor(": zeropark", std::chrono::milliseconds(2000)));
  ASSERT_TRUE(c_other.WaitFor(": zeropark", std::chrono::milliseconds(2000)));
  ASSERT_TRUE(c_own.WaitFor(": zeropark", std::chrono::milliseconds(2000)));

  // A frame over the limit raises an alarm in Z1: its officer and A's users hear of it.
  Feed({FrameA(kNow - 60, 500.0)}, kNow - 59);
  ASSERT_TRUE(c_mine.WaitFor("event: alarm", std::chrono::milliseconds(3000))) << c_mine.Text();
  ASSERT_TRUE(c_own.WaitFor("event: alarm", std::chrono::milliseconds(3000))) << c_own.Text();
  std::vector<json> events = AlarmEvents(c_mine.Text());
  ASSERT_GE(events.size(), 1u) << c_mine.Text();
  EXPECT_EQ(events[0]["source"], "A.DA001");
  EXPECT_EQ(events[0]["kind"], "exceedance");
  EXPECT_EQ(events[0]["state"], "open");
  EXPECT_EQ(events[0]["zone"], "Z1");
  EXPECT_EQ(events[0]["enterprise_name"], "甲公司 Alpha Co");
  // Its acknowledgement is a change too.
  const int64_t id = events[0]["id"].get<int64_t>();
  ASSERT_EQ(Call("officer1", "POST", fmt::format("/api/v1/env/alarms/{}/acknowledge", id)).status,
            200);
  auto acknowledged = [&] {
    for (const json& e : AlarmEvents(c_mine.Text())) {
      if (e["id"] == id && e["state"] == "acknowledged") return true;
    }
    return false;
  };
  const Clock::time_point until = Clock::now() + std::chrono::seconds(3);
  while (!acknowledged() && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(acknowledged()) << c_mine.Text();
  for (const json& e : AlarmEvents(c_mine.Text())) EXPECT_EQ(e["id"], id);
  // Z2's officer heard nothing of it, but the stream is alive (a comment each idle second).
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_THAT(c_other.Text(), Not(HasSubstr("event:")));
  EXPECT_THAT(c_other.Text(), HasSubstr(":\n"));

  // Stopping ends every stream within a second.
  const Clock::time_point stop_at = Clock::now();
  stop = true;
  t_mine.join();
  t_other.join();
  t_own.join();
  EXPECT_LT(Clock::now() - stop_at, std::chrono::milliseconds(1500));
}

TEST_F(EnvApiTest, AlarmStreamEndsAfterItsTimeAndWhenTheClientHasGone) {
  std::unique_ptr<Api> api = MakeApi(1);
  Answer s = Call(*api, "admin", "GET", "/api/v1/env/alarms/stream");
  ASSERT_TRUE(s.stream);
  std::atomic<bool> stop{false};
  Collector c;
  Clock::time_point start = Clock::now();
  s.stream(c.Writer(), stop);  // returns by itself after a second
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2500));
  // A writer that fails (the client has gone) ends it at once.
  s = Call("admin", "GET", "/api/v1/env/alarms/stream");
  int writes = 0;
  start = Clock::now();
  s.stream(
      [&](std::string_view) {
        ++writes;
        return false;
      },
      stop);
  EXPECT_EQ(writes, 1);
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));
}

TEST_F(EnvApiTest, AlarmStreamAsksToReloadWhenItFellBehind) {
  Answer s = Call("admin", "GET", "/api/v1/env/alarms/stream");
  ASSERT_TRUE(s.stream);
  // The client is slow: its first write blocks while more than the book keeps (1000 changes)
  // happen.
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  std::atomic<int> writes{0};
  std::atomic<bool> stop{false};
  Collector c;
  const StreamWriter collect = c.Writer();
  std::thread t([&] {
    s.stream(
        [&](std::string_view piece) {
          if (writes++ == 0) {
            std::unique_lock lock(mu);
            cv.wait(lock, [&] { return go; });
          }
          return collect(piece);
        },
        stop);
  });
  while (writes.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (int i = 0; i < 1100; ++i) Raise("exceedance", fmt::format("A.S{:04}", i), "a21026", kNow);
  {
    std::lock_guard lock(mu);
    go = true;
  }
  cv.notify_all();
  EXPECT_TRUE(c.WaitFor("event: reload\ndata: {}\n\n", std::chrono::milliseconds(3000)))
      << c.Text().substr(0, 300);
  EXPECT_THAT(c.Text(), Not(HasSubstr("event: alarm")));
  stop = true;
  t.join();
}

// --- the stream over HTTP, from a running server.

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads into *text until `done(*text)`, the peer closes (returns false then, unless done) or the
// timeout passes.
bool ReadUntil(int fd, std::string* text, const std::function<bool(const std::string&)>& done,
               std::chrono::milliseconds timeout, bool* closed = nullptr) {
  const Clock::time_point end = Clock::now() + timeout;
  char buf[4096];
  while (!done(*text)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      if (closed != nullptr) *closed = true;
      return done(*text);
    }
    text->append(buf, static_cast<size_t>(n));
  }
  return true;
}

class EnvStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = engine::OpenTestEngine("memory:");
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(*engine);
    SeedPark(*engine_, std::time(nullptr), &tokens_);
    // An open alarm in each zone, as a previous run left them.
    for (const bool a : {true, false}) {
      store::AlarmRow row;
      row.kind = "exceedance";
      row.state = "open";
      row.enterprise_code = a ? kA : kB;
      row.zone_code = a ? "Z1" : "Z2";
      row.officer = a ? "王网格" : "李网格";
      row.source = a ? "A.DA001" : "B.DA001";
      row.pollutant = "a21026";
      row.opened_s = row.last_s = std::time(nullptr) - 600;
      row.occurrences = 3;
      row.value = 450;
      row.limit = 400;
      row.unit = "mg/m3";
      row.detail = "二氧化硫超标 / SO2 above the limit";
      Result<int64_t> id = engine_->store().InsertAlarm(row);
      ASSERT_TRUE(id.ok()) << id.error().ToString();
      (a ? alarm_a_ : alarm_b_) = *id;
    }
    Start(8);
  }
  void Start(int threads) {
    if (server_) server_->Stop();
    ServerOptions options;
    options.port = 0;
    options.threads = threads;
    auto server = Server::Start(*engine_, options);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(*server);
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
    if (server_) server_->Stop();
  }

  // Opens the alarm stream as `role` (offering gzip, as browsers do) and reads up to the opening
  // comment; returns the socket and the text read so far.
  int OpenStream(const std::string& role, std::string* text) {
    const int fd = Connect(server_->port());
    EXPECT_GE(fd, 0);
    if (fd < 0) return fd;
    fds_.push_back(fd);
    const std::string request = fmt::format(
        "GET /api/v1/env/alarms/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        "Accept-Encoding: gzip, deflate, br\r\nAuthorization: Bearer {}\r\n\r\n",
        tokens_.at(role));
    EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    EXPECT_TRUE(ReadUntil(
        fd, text, [](const std::string& t) { return t.find(": zeropark") != std::string::npos; },
        std::chrono::milliseconds(3000)))
        << *text;
    return fd;
  }

  httplib::Result Post(const std::string& role, const std::string& path, const std::string& body) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    return c.Post(path, {{"Authorization", "Bearer " + tokens_.at(role)}}, body,
                  "application/json");
  }

  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Server> server_;
  std::map<std::string, std::string> tokens_;
  std::vector<int> fds_;
  int64_t alarm_a_ = 0;
  int64_t alarm_b_ = 0;
};

TEST_F(EnvStreamTest, AcknowledgementReachesTheZonesOfficerOverHttp) {
  std::string mine, other;
  const int fd_mine = OpenStream("officer1", &mine);
  const int fd_other = OpenStream("officer2", &other);
  ASSERT_GE(fd_mine, 0);
  ASSERT_GE(fd_other, 0);
  // Streamed as it goes: chunked, never compressed, not cached.
  EXPECT_THAT(mine, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(mine, HasSubstr("Content-Type: text/event-stream\r\n"));
  EXPECT_THAT(mine, HasSubstr("Transfer-Encoding: chunked\r\n"));
  EXPECT_THAT(mine, HasSubstr("Cache-Control: no-store\r\n"));
  EXPECT_THAT(mine, Not(HasSubstr("Content-Encoding")));

  auto res = Post("officer1", fmt::format("/api/v1/env/alarms/{}/acknowledge", alarm_a_), "");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  ASSERT_TRUE(ReadUntil(
      fd_mine, &mine,
      [](const std::string& t) {
        const size_t at = t.find("event: alarm\n");
        return at != std::string::npos && t.find("\n\n", at) != std::string::npos;
      },
      std::chrono::milliseconds(5000)))
      << mine;
  const std::vector<json> events = AlarmEvents(mine);
  ASSERT_EQ(events.size(), 1u) << mine;
  EXPECT_EQ(events[0]["id"], alarm_a_);
  EXPECT_EQ(events[0]["state"], "acknowledged");
  EXPECT_EQ(events[0]["acknowledged_by"], "u-officer1");
  EXPECT_EQ(events[0]["detail"], "二氧化硫超标 / SO2 above the limit");
  // Z2's officer may not acknowledge it, and heard nothing of it.
  res = Post("officer2", fmt::format("/api/v1/env/alarms/{}/close", alarm_a_), R"({"note":"x"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  ReadUntil(
      fd_other, &other, [](const std::string&) { return false; }, std::chrono::milliseconds(1500));
  EXPECT_THAT(other, Not(HasSubstr("event:")));
  EXPECT_THAT(other, HasSubstr(":\n"));  // alive

  // Stopping the server ends the streams properly (last chunk) and promptly.
  const Clock::time_point t0 = Clock::now();
  server_->Stop();
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(3000));
  bool closed = false;
  ReadUntil(
      fd_mine, &mine, [](const std::string&) { return false; }, std::chrono::milliseconds(2000),
      &closed);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(mine.ends_with("0\r\n\r\n")) << mine.substr(mine.size() > 40 ? mine.size() - 40 : 0);
}

TEST_F(EnvStreamTest, ClosedStreamsFreeTheirWorkers) {
  Start(2);
  // Both workers stream; the clients go away.
  for (const std::string role : {"admin", "enterprise"}) {
    std::string text;
    const int fd = OpenStream(role, &text);
    ASSERT_GE(fd, 0);
    close(fd);
    fds_.pop_back();
  }
  // Within a few seconds the workers notice and answer other requests again.
  httplib::Client c("127.0.0.1", server_->port());
  c.set_read_timeout(10, 0);
  const Clock::time_point t0 = Clock::now();
  auto res = c.Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(5000));
}

}  // namespace
}  // namespace zp::server
