#pragma once

// HTTP-library-neutral request and response values, the route table and the JSON error shape.
// Handlers see only these types; server.cc adapts cpp-httplib to them.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zp/auth/auth.h"
#include "zp/base/result.h"

namespace zp::server {

// Who is calling and what they may reach, set by Api::Handle after authentication.
struct RequestScope {
  std::string actor;  // user name; "-" when anonymous
  std::string role;   // role name; empty when anonymous
  // Restricted callers (grid-cell officers, enterprise users, devices) reach only these
  // enterprises' data; devices write only `meters`.
  bool restricted = false;
  std::set<std::string, std::less<>> enterprises;
  std::set<std::string, std::less<>> meters;  // devices: the meters they may write
  bool device = false;
  // The authenticated caller (nullptr when anonymous): handlers use it instead of authenticating
  // the request again.
  const auth::Principal* principal = nullptr;
  bool AllowsEnterprise(std::string_view code) const {
    return !restricted || enterprises.count(code) > 0;
  }
};

struct HttpRequest {
  std::string method;                                            // "GET", "POST", ...
  std::string path;                                              // decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;        // decoded, in order
  std::vector<std::pair<std::string, std::string>> path_params;  // from {name} segments
  std::string body;
  std::string content_type;
  std::string remote_addr;
  // Credentials, from the Authorization, Cookie and X-CSRF-Token headers.
  std::string authorization;
  std::string cookie;
  std::string csrf_token;
  const RequestScope* scope = nullptr;  // set by Api::Handle before the handler runs

  // The value of a query parameter (the first when repeated).
  std::optional<std::string_view> Query(std::string_view name) const;
  // Every value of a repeatable parameter; comma-separated values are split.
  std::vector<std::string> QueryList(std::string_view name) const;
  std::string_view PathParam(std::string_view name) const;
};

// Sends one piece of a streamed body at once; false when the client has gone.
using StreamWriter = std::function<bool(std::string_view piece)>;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A body produced as it goes (Server-Sent Events), sent chunked instead of `body`: called once,
  // on the request's worker thread, after the status and headers went out; the body ends when it
  // returns. It must return within a second of `stopping` turning true (the server is stopping)
  // and must not throw. It may outlive the handler: capture what it needs by value.
  std::function<void(const StreamWriter& write, const std::atomic<bool>& stopping)> stream;
};

// HTTP status of a Status code: 400, 404, 409, 413, 500, ...
int HttpStatusOf(StatusCode code);

struct LineError {
  int32_t line = 0;
  std::string reason;
};

// {"error":{"code":"INVALID_ARGUMENT","message":"..."},"errors":[{"line":N,"reason":"..."}]}
// ("errors" only when given). `extra_json` is appended as further members, e.g.
// "\"accepted\":12".
HttpResponse ErrorResponse(const Status& status, const std::vector<LineError>& errors = {},
                           std::string_view extra_json = {});
HttpResponse ErrorResponse(int http_status, StatusCode code, std::string_view message);
HttpResponse JsonResponse(std::string body, int status = 200);

enum class ParamIn { kQuery, kPath };

struct ParamSpec {
  std::string name;
  ParamIn in = ParamIn::kQuery;
  std::string type = "string";  // OpenAPI type: string, integer, number, boolean
  bool required = false;
  bool repeated = false;
  std::string description;
  std::vector<std::string> values;  // allowed values (OpenAPI enum), empty = any
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// Who may call a route (see docs/security.md).
enum class Access : uint8_t {
  kPublic,           // anyone, without logging in
  kSelf,             // any logged-in account (its own session, tokens)
  kRead,             // admin, analyst, auditor; officers and enterprise users within their scope
  kParkRead,         // park-wide figures: admin, analyst, auditor
  kUpload,           // readings: admin; enterprise users for their meters; devices for theirs
  kEnterpriseWrite,  // enterprise data: admin; enterprise users for their enterprise
  kAudit,            // the audit log: admin, auditor
  kSupervise,        // environmental alarms' lifecycle: admin; officers for their zones' alarms
  kAdmin,            // everything else that changes the park: admin only
};
std::string_view AccessName(Access a);

// What a route's {code} path parameter names, for scope checks.
enum class PathTarget : uint8_t { kNone, kEnterprise, kMeter };

struct Route {
  std::string method;
  std::string path;  // "/api/v1/zones/{code}"
  std::string tag;   // OpenAPI tag
  std::string summary;
  std::vector<ParamSpec> params;
  std::string request_type;   // body media type; empty = no body
  std::string response_type;  // success media type; empty = no content
  int success_status = 200;
  Handler handler;
  Access access = Access::kAdmin;
  PathTarget path_target = PathTarget::kNone;
  // Restricted callers without an `enterprise` parameter get one per enterprise in their scope.
  bool inject_enterprise = false;
  // For the audit log of writes: the JSON state of what the request changes (called before and
  // after the handler). Empty: "before" is empty and "after" is the response body.
  std::function<std::string(const HttpRequest&)> audit_state;
  // The response holds secrets (session CSRF token, new API tokens): the audit log keeps only the
  // status, never the body.
  bool audit_redact = false;
  // Successful requests of this route are not audited (readings ingest: an audit row per request
  // would cost a second durable commit per write; corrections keep their writer in their
  // provenance, and refused or partly rejected writes are still audited).
  bool audit_failures_only = false;
};

}  // namespace zp::server
