#include "openapi.h"

#include <fmt/format.h>

#include <cctype>

#include "json_mapping.h"

namespace zp::server {
namespace {

using nlohmann::json;

json ErrorSchema() {
  return json{{"type", "object"},
              {"required", json::array({"error"})},
              {"properties",
               {{"error",
                 {{"type", "object"},
                  {"properties",
                   {{"code", {{"type", "string"}, {"example", "INVALID_ARGUMENT"}}},
                    {"message", {{"type", "string"}}}}}}},
                {"errors",
                 {{"type", "array"},
                  {"items",
                   {{"type", "object"},
                    {"properties",
                     {{"line", {{"type", "integer"}}}, {"reason", {{"type", "string"}}}}}}}}}}}};
}

std::string OperationId(const Route& r) {
  std::string id;
  for (char c : r.method) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool upper = true;
  for (char c : r.path) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      id += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    } else {
      upper = true;
    }
  }
  return id == "get" ? "getRoot" : id;
}

}  // namespace

std::string BuildOpenApi(const std::vector<Route>& routes, std::string_view version) {
  json paths = json::object();
  for (const Route& r : routes) {
    json op;
    op["summary"] = r.summary;
    op["operationId"] = OperationId(r);
    op["tags"] = json::array({r.tag});
    json params = json::array();
    for (const ParamSpec& p : r.params) {
      json schema = {{"type", p.type}};
      if (!p.values.empty()) schema["enum"] = p.values;
      json param = {{"name", p.name},
                    {"in", p.in == ParamIn::kPath ? "path" : "query"},
                    {"required", p.required},
                    {"description", p.description}};
      if (p.repeated) {
        param["schema"] = {{"type", "array"}, {"items", schema}};
        param["style"] = "form";
        param["explode"] = true;
      } else {
        param["schema"] = schema;
      }
      params.push_back(std::move(param));
    }
    if (!params.empty()) op["parameters"] = std::move(params);
    if (!r.request_type.empty()) {
      json schema = r.request_type == "application/json" ? json{{"type", "object"}}
                                                         : json{{"type", "string"}};
      op["requestBody"] = {{"required", true},
                           {"content", {{r.request_type, {{"schema", schema}}}}}};
    }
    json responses;
    json ok = {{"description", "success"}};
    if (!r.response_type.empty()) {
      json schema = r.response_type == "application/json" ? json{{"type", "object"}}
                                                          : json{{"type", "string"}};
      ok["content"] = {{r.response_type, {{"schema", schema}}}};
    }
    responses[std::to_string(r.success_status)] = std::move(ok);
    const json error_content = {
        {"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}};
    responses["400"] = {{"description",
                         "bad input; the message names the parameter, field or "
                         "line"},
                        {"content", error_content}};
    if (r.path.find('{') != std::string::npos || r.method != "GET") {
      responses["404"] = {{"description", "not found"}, {"content", error_content}};
    }
    if (r.method == "POST" || r.method == "PUT" || r.method == "DELETE") {
      responses["409"] = {{"description", "conflict (exists, still referenced)"},
                          {"content", error_content}};
    }
    if (!r.request_type.empty()) {
      responses["413"] = {{"description", "body too large"}, {"content", error_content}};
    }
    responses["500"] = {{"description", "internal error"}, {"content", error_content}};
    op["responses"] = std::move(responses);

    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = std::move(op);
  }
  json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "zeropark API"},
        {"version", version},
        {"description",
         "Energy and carbon data platform for industrial parks / 园区能源与碳数据平台. Times "
         "without an offset are read in the park's time zone; sums are in each carrier's "
         "canonical unit."}}},
      {"paths", std::move(paths)},
      {"components", {{"schemas", {{"Error", ErrorSchema()}}}}},
  };
  return Dump(doc);
}

}  // namespace zp::server
