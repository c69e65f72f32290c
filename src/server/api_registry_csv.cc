// Registry CSV import (all or nothing) and export.

#include <fmt/format.h>

#include "api.h"
#include "json_mapping.h"
#include "params.h"
#include "zp/model/registry_csv.h"

namespace zp::server {
namespace {

std::vector<LineError> RowErrors(const std::vector<model::RegistryRowError>& errors) {
  std::vector<LineError> out;
  const size_t n = std::min<size_t>(errors.size(), 100);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(LineError{errors[i].line, errors[i].reason});
  return out;
}

template <typename T>
HttpResponse CheckParsed(const Result<model::RegistryCsv<T>>& parsed, std::string_view kind) {
  if (!parsed.ok()) {
    return ErrorResponse(parsed.error().WithContext(fmt::format("{} CSV", kind)));
  }
  if (!parsed->errors.empty()) {
    return ErrorResponse(
        InvalidArgumentError(
            fmt::format("{} CSV: {} bad rows; nothing was imported", kind, parsed->errors.size())),
        RowErrors(parsed->errors), R"("imported":0)");
  }
  if (parsed->records.empty()) {
    return ErrorResponse(InvalidArgumentError(fmt::format("{} CSV: no rows to import", kind)));
  }
  return HttpResponse{};
}

}  // namespace

HttpResponse Api::ImportRegistryCsv(const HttpRequest& r, std::string_view kind) {
  std::vector<model::Zone> zones;
  std::vector<model::Enterprise> enterprises;
  std::vector<model::Meter> meters;
  size_t count = 0;
  if (kind == "zones") {
    Result<model::RegistryCsv<model::Zone>> parsed = model::ParseZonesCsv(r.body);
    if (HttpResponse bad = CheckParsed(parsed, kind); !bad.body.empty()) return bad;
    zones = std::move(parsed->records);
    count = zones.size();
  } else if (kind == "enterprises") {
    Result<model::RegistryCsv<model::Enterprise>> parsed = model::ParseEnterprisesCsv(r.body);
    if (HttpResponse bad = CheckParsed(parsed, kind); !bad.body.empty()) return bad;
    enterprises = std::move(parsed->records);
    count = enterprises.size();
  } else {
    Result<model::RegistryCsv<model::Meter>> parsed = model::ParseMetersCsv(r.body);
    if (HttpResponse bad = CheckParsed(parsed, kind); !bad.body.empty()) return bad;
    meters = std::move(parsed->records);
    count = meters.size();
  }
  if (Status s = engine_.ImportRegistry(zones, enterprises, meters); !s.ok()) {
    return ErrorResponse(s.WithContext(fmt::format("{} CSV: nothing was imported", kind)));
  }
  return JsonResponse(fmt::format(R"({{"kind":"{}","imported":{}}})", kind, count));
}

HttpResponse Api::ExportRegistryCsv(const HttpRequest& r, std::string_view kind) {
  Result<bool> bom = ParseBoolParam(r, "bom", false);
  if (!bom.ok()) return ErrorResponse(bom.error());
  HttpResponse resp;
  resp.content_type = "text/csv; charset=utf-8";
  if (*bom) resp.body = "\xEF\xBB\xBF";
  if (kind == "zones") {
    resp.body += model::ToCsv(std::span<const model::Zone>(engine_.ListZones()));
  } else if (kind == "enterprises") {
    std::vector<model::Enterprise> list = engine_.ListEnterprises();
    if (r.scope != nullptr) {
      std::erase_if(list,
                    [&](const model::Enterprise& e) { return !r.scope->AllowsEnterprise(e.code); });
    }
    resp.body += model::ToCsv(std::span<const model::Enterprise>(list));
  } else {
    std::vector<model::Meter> list = engine_.ListMeters();
    if (r.scope != nullptr) {
      std::erase_if(list, [&](const model::Meter& m) {
        return !r.scope->AllowsEnterprise(m.enterprise_code);
      });
    }
    resp.body += model::ToCsv(std::span<const model::Meter>(list));
  }
  resp.headers.emplace_back("Content-Disposition",
                            fmt::format("attachment; filename=\"{}.csv\"", kind));
  return resp;
}

}  // namespace zp::server
