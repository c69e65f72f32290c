#pragma once

// JSON mapping of the registry types and small JSON helpers for the HTTP API. Parsing merges the
// fields present into the given record (so a PUT may send only what changes), refuses unknown
// fields and wrong types naming the field, and never throws.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "zp/base/result.h"
#include "zp/model/registry.h"

namespace zp::server {

// A JSON string literal (quoted, escaped); invalid UTF-8 becomes U+FFFD.
std::string JsonString(std::string_view s);
// nlohmann dump that never throws (invalid UTF-8 replaced).
std::string Dump(const nlohmann::json& j);
// Parses a request body; the error names the byte offset.
Result<nlohmann::json> ParseJsonBody(std::string_view body);

nlohmann::json ParkToJson(const model::Park& p);
nlohmann::json ZoneToJson(const model::Zone& z);
nlohmann::json EnterpriseToJson(const model::Enterprise& e);
nlohmann::json MeterToJson(const model::Meter& m);

Status ParkFromJson(const nlohmann::json& j, model::Park* p);
Status ZoneFromJson(const nlohmann::json& j, model::Zone* z);
Status EnterpriseFromJson(const nlohmann::json& j, model::Enterprise* e);
Status MeterFromJson(const nlohmann::json& j, model::Meter* m);

}  // namespace zp::server
