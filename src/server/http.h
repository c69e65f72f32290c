#pragma once

// HTTP-library-neutral request and response values, the route table and the JSON error shape.
// Handlers see only these types; server.cc adapts cpp-httplib to them.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zp/base/result.h"

namespace zp::server {

struct HttpRequest {
  std::string method;                                            // "GET", "POST", ...
  std::string path;                                              // decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;        // decoded, in order
  std::vector<std::pair<std::string, std::string>> path_params;  // from {name} segments
  std::string body;
  std::string content_type;
  std::string remote_addr;

  // The value of a query parameter (the first when repeated).
  std::optional<std::string_view> Query(std::string_view name) const;
  // Every value of a repeatable parameter; comma-separated values are split.
  std::vector<std::string> QueryList(std::string_view name) const;
  std::string_view PathParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
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
};

}  // namespace zp::server
