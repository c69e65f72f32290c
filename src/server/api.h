#pragma once

// The API: the route table with its handlers over an Engine, dispatch with parameter checks and
// a last-resort catch, and the metrics it records. Thread-safe: handlers share only the Engine
// (itself thread-safe) and the Metrics.

#include <array>
#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http.h"
#include "metrics.h"
#include "router.h"
#include "zp/auth/auth.h"
#include "zp/carbon/service.h"
#include "zp/engine/engine.h"
#include "zp/green/service.h"

namespace zp::environment {
class EnvService;
}  // namespace zp::environment

namespace zp::server {

struct ApiOptions {
  size_t max_body_bytes = size_t{64} << 20;
  int64_t now_s = 0;  // fixed clock for tests; 0 = system clock
  // Session cookies carry the Secure attribute (browsers still send them to http://127.0.0.1 and
  // http://localhost). Turn off only behind a plain-HTTP proxy on another host.
  bool secure_cookies = true;
  // The alarm stream (GET /api/v1/env/alarms/stream) ends after this long; the browser's
  // EventSource reconnects, so no worker thread is held forever.
  int64_t event_stream_max_s = 300;
};

class Api {
 public:
  Api(engine::Engine& engine, ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Opens the green-power service (replaying the ledger) on a thread of its own, so that the
  // first green request does not wait for it; joined by the destructor.
  void WarmUpGreen();
  // The environment service behind /api/v1/env (owned by the caller, outliving the Api and every
  // response stream it produced); null: those routes answer 503.
  void SetEnvironment(environment::EnvService* env);

  const Router& router() const { return router_; }
  Metrics& metrics() { return metrics_; }
  const ApiOptions& options() const { return options_; }

  // Dispatches one request and never throws. *route is the matched route index or -1.
  HttpResponse Handle(HttpRequest& request, int* route);

 private:
  std::vector<Route> BuildRoutes();
  static void ApplyAccessRules(std::vector<Route>* routes);
  int64_t Now() const;
  // The latest local day with readings in the park (nullopt when there are none).
  std::optional<int32_t> LatestDataDay();
  std::optional<int32_t> FindLatestDataDay();
  // Completeness rows with `expected` cut to the readings due by now: today's elapsed part of the
  // day, nothing for days to come.
  Result<std::vector<engine::CompletenessRow>> CompletenessSoFar(
      std::span<const std::string> meters, int32_t from_day, int32_t to_day);

  // Authentication and authorization (api_auth.cc).
  Result<std::optional<auth::Principal>> Authenticate(const HttpRequest& r);
  // nullopt when the request may proceed (with *scope filled and scope filters injected into the
  // query), else the 401/403 response.
  std::optional<HttpResponse> Authorize(const Route& route, HttpRequest& request,
                                        RequestScope* scope,
                                        std::optional<auth::Principal>* principal);
  // Meter filter for the ingest pipeline of a restricted caller (empty: everything allowed).
  std::function<bool(std::string_view)> AllowMeter(const HttpRequest& r);
  void Audit(const Route& route, const HttpRequest& request, const RequestScope& scope,
             std::string before, const HttpResponse& response);

  // Site.
  HttpResponse Landing(const HttpRequest& r);
  HttpResponse Health(const HttpRequest& r);
  HttpResponse MetricsText(const HttpRequest& r);
  HttpResponse OpenApi(const HttpRequest& r);
  HttpResponse Carriers(const HttpRequest& r);
  // Ingest.
  HttpResponse WriteLineProtocol(const HttpRequest& r);
  HttpResponse WriteJson(const HttpRequest& r);
  HttpResponse ImportReadingsCsv(const HttpRequest& r);
  HttpResponse ListMappings(const HttpRequest& r);
  HttpResponse GetMapping(const HttpRequest& r);
  HttpResponse PutMapping(const HttpRequest& r);
  HttpResponse Flush(const HttpRequest& r);
  // Registry.
  HttpResponse GetPark(const HttpRequest& r);
  HttpResponse PutPark(const HttpRequest& r);
  HttpResponse ListZones(const HttpRequest& r);
  HttpResponse CreateZone(const HttpRequest& r);
  HttpResponse GetZone(const HttpRequest& r);
  HttpResponse PutZone(const HttpRequest& r);
  HttpResponse DeleteZone(const HttpRequest& r);
  HttpResponse ListEnterprises(const HttpRequest& r);
  HttpResponse CreateEnterprise(const HttpRequest& r);
  HttpResponse GetEnterprise(const HttpRequest& r);
  HttpResponse PutEnterprise(const HttpRequest& r);
  HttpResponse DeleteEnterprise(const HttpRequest& r);
  HttpResponse ListMeters(const HttpRequest& r);
  HttpResponse CreateMeter(const HttpRequest& r);
  HttpResponse GetMeter(const HttpRequest& r);
  HttpResponse PutMeter(const HttpRequest& r);
  HttpResponse DeleteMeter(const HttpRequest& r);
  HttpResponse ListRegisterReplacements(const HttpRequest& r);
  HttpResponse AddRegisterReplacement(const HttpRequest& r);
  HttpResponse ImportRegistryCsv(const HttpRequest& r, std::string_view kind);
  HttpResponse ExportRegistryCsv(const HttpRequest& r, std::string_view kind);
  // Queries.
  HttpResponse Readings(const HttpRequest& r);
  HttpResponse Sums(const HttpRequest& r);
  HttpResponse Completeness(const HttpRequest& r);
  HttpResponse CompletenessSummary(const HttpRequest& r);
  HttpResponse Corrections(const HttpRequest& r);
  // Accounts.
  HttpResponse Login(const HttpRequest& r);
  HttpResponse Logout(const HttpRequest& r);
  HttpResponse Me(const HttpRequest& r);
  HttpResponse Setup(const HttpRequest& r);
  HttpResponse ListMyTokens(const HttpRequest& r);
  HttpResponse IssueMyToken(const HttpRequest& r);
  HttpResponse RevokeMyToken(const HttpRequest& r);
  HttpResponse ListUsers(const HttpRequest& r);
  HttpResponse CreateUser(const HttpRequest& r);
  HttpResponse UpdateUser(const HttpRequest& r);
  HttpResponse IssueUserToken(const HttpRequest& r);
  HttpResponse ListAllCredentials(const HttpRequest& r);
  HttpResponse RevokeCredential(const HttpRequest& r);
  HttpResponse AuditLog(const HttpRequest& r);
  // Green-power ledger (api_ledger.cc).
  HttpResponse LedgerRecords(const HttpRequest& r);
  // Hourly green-power matching of the registry's supply (api_green.cc).
  HttpResponse GreenMatching(const HttpRequest& r);
  // Supply registry, settlements, certificates and statements (api_green_certificates.cc).
  HttpResponse GetGreenSupply(const HttpRequest& r);
  HttpResponse PutGreenSupply(const HttpRequest& r);
  HttpResponse SettleGreen(const HttpRequest& r);
  HttpResponse GreenSettlements(const HttpRequest& r);
  HttpResponse GreenCertificates(const HttpRequest& r);
  HttpResponse GreenStatementReport(const HttpRequest& r);
  // The green-power service: opened on first use (it replays the ledger), then refreshed when
  // another writer appended to the stored ledger.
  Result<green::GreenService*> Green();
  // Environmental monitoring (api_env.cc).
  HttpResponse GetEnvSources(const HttpRequest& r);
  HttpResponse PutEnvSources(const HttpRequest& r);
  HttpResponse EnvLive(const HttpRequest& r);
  HttpResponse EnvAlarms(const HttpRequest& r);
  HttpResponse AcknowledgeEnvAlarm(const HttpRequest& r);
  HttpResponse CloseEnvAlarm(const HttpRequest& r);
  HttpResponse EnvAlarmStream(const HttpRequest& r);
  HttpResponse EnvHistory(const HttpRequest& r);
  // The alarm as stored, for the audit log of acknowledge / close ("" when there is none).
  std::string EnvAlarmState(const HttpRequest& r);
  // zp_hj212_* and zp_env_* lines of /metrics.
  std::string EnvMetricsText();
  // Accounting.
  HttpResponse EnergyReport(const HttpRequest& r);
  HttpResponse CarbonReport(const HttpRequest& r);
  HttpResponse Derivation(const HttpRequest& r);
  HttpResponse CoreIndicator(const HttpRequest& r);
  HttpResponse Today(const HttpRequest& r);
  HttpResponse ListRefData(const HttpRequest& r);
  HttpResponse ImportRefData(const HttpRequest& r);
  HttpResponse DeleteRefData(const HttpRequest& r);
  HttpResponse Provinces(const HttpRequest& r);
  HttpResponse GetAccountingSettings(const HttpRequest& r);
  HttpResponse PutAccountingSettings(const HttpRequest& r);
  HttpResponse ListEnterpriseData(const HttpRequest& r);
  HttpResponse PutEnterpriseData(const HttpRequest& r);
  HttpResponse DeleteEnterpriseData(const HttpRequest& r);

  struct Examples {
    std::string meter, enterprise, zone;
    int32_t day = 0;  // latest local day with data of the example meter, 0 = none
    int64_t computed_at_s = 0;
  };
  Examples FindExamples();

  engine::Engine& engine_;
  ApiOptions options_;
  carbon::AccountingService accounting_;
  std::mutex latest_mu_;  // LatestDataDay's cache: {today, readings, flushes, corrections}
  std::array<int64_t, 4> latest_key_ = {INT64_MIN, 0, 0, 0};
  std::optional<int32_t> latest_day_;
  auth::AuthService auth_;
  std::mutex green_mu_;
  std::unique_ptr<green::GreenService> green_;
  std::thread green_warmup_;
  std::atomic<environment::EnvService*> env_{nullptr};
  std::mutex examples_mutex_;
  Examples examples_;
  Router router_;
  Metrics metrics_;
  std::string openapi_json_;
};

}  // namespace zp::server
