#include "http.h"

#include <fmt/format.h>

#include "json_mapping.h"

namespace zp::server {

std::optional<std::string_view> HttpRequest::Query(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::vector<std::string> HttpRequest::QueryList(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : query) {
    if (key != name) continue;
    size_t i = 0;
    while (i <= value.size()) {
      size_t j = value.find(',', i);
      if (j == std::string::npos) j = value.size();
      if (j > i) out.push_back(value.substr(i, j - i));
      i = j + 1;
    }
  }
  return out;
}

std::string_view HttpRequest::PathParam(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) return value;
  }
  return {};
}

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kInternal:
    case StatusCode::kDataLoss:
      return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(int http_status, StatusCode code, std::string_view message) {
  HttpResponse r;
  r.status = http_status;
  r.body = fmt::format(R"({{"error":{{"code":{},"message":{}}}}})",
                       JsonString(StatusCodeName(code)), JsonString(message));
  return r;
}

HttpResponse ErrorResponse(const Status& status, const std::vector<LineError>& errors,
                           std::string_view extra_json) {
  HttpResponse r;
  r.status = HttpStatusOf(status.code());
  std::string body =
      fmt::format(R"({{"error":{{"code":{},"message":{}}})",
                  JsonString(StatusCodeName(status.code())), JsonString(status.message()));
  if (!errors.empty()) {
    body += R"(,"errors":[)";
    for (size_t i = 0; i < errors.size(); ++i) {
      if (i > 0) body += ',';
      body +=
          fmt::format(R"({{"line":{},"reason":{}}})", errors[i].line, JsonString(errors[i].reason));
    }
    body += ']';
  }
  if (!extra_json.empty()) {
    body += ',';
    body += extra_json;
  }
  body += '}';
  r.body = std::move(body);
  return r;
}

HttpResponse JsonResponse(std::string body, int status) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace zp::server
