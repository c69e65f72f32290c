#include "zp/green/issuance.h"

#include <fmt/format.h>

#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "zp/base/status.h"
#include "zp/base/time.h"

namespace zp::green {

Result<int64_t> IssueHourly(CertificateBook& book, const Supply& supply, const SupplyInput& in,
                            const IssuanceOptions& options) {
  if (options.issuer.empty() || options.action.actor.empty()) {
    return InvalidArgumentError("issuance needs an issuer and an actor / 签发需注明签发方与操作人");
  }
  const AllocationInput& a = in.input;
  const int32_t ns = a.sources();
  if (a.hours < 0 || in.hour_start_s.size() != static_cast<size_t>(a.hours) ||
      in.source_asset.size() != static_cast<size_t>(ns) ||
      a.generation.size() != static_cast<size_t>(a.hours) * ns) {
    return InvalidArgumentError(fmt::format(
        "supply input sizes disagree: {} hours, {} hour starts, {} sources, {} asset "
        "codes, {} generation values / 供给输入尺寸不一致",
        a.hours, in.hour_start_s.size(), ns, in.source_asset.size(), a.generation.size()));
  }
  for (int64_t t : in.hour_start_s) {
    if (t < 0 || t % 3600 != 0) {
      return InvalidArgumentError(
          fmt::format("hour start {} is not on a UTC hour / 小时起点不是整点", t));
    }
  }

  // Each source's asset (technology, site).
  std::unordered_map<std::string_view, const GenerationAsset*> by_code;
  for (const GenerationAsset& g : supply.assets) by_code.emplace(g.code, &g);
  std::vector<const GenerationAsset*> asset(ns);
  std::unordered_set<std::string_view> seen;
  for (int32_t s = 0; s < ns; ++s) {
    const std::string& code = in.source_asset[s];
    auto it = by_code.find(code);
    if (it == by_code.end()) {
      return InvalidArgumentError(
          fmt::format("source {} is asset {}, which is not in the supply / 资产未登记", s, code));
    }
    if (!IsGreenElectricity(it->second->technology) &&
        it->second->technology != Technology::kStorage) {
      return InvalidArgumentError(
          fmt::format("asset {} ({}) is not a green electricity source / 非绿电资产", code,
                      TechnologyName(it->second->technology)));
    }
    if (!seen.insert(code).second) {
      return InvalidArgumentError(
          fmt::format("asset {} appears twice among the sources / 资产重复", code));
    }
    asset[s] = it->second;
  }

  if (!in.source_account.empty() && in.source_account.size() != static_cast<size_t>(ns)) {
    return InvalidArgumentError(
        fmt::format("supply input has {} source accounts for {} sources / 供给输入尺寸不一致",
                    in.source_account.size(), ns));
  }
  // Metered Wh of each source-hour: the allocation's generation plus the storage takes.
  std::vector<int64_t> metered = a.generation;
  for (const StorageTake& t : in.takes) {
    if (t.hour < 0 || t.hour >= a.hours || t.source < 0 || t.source >= ns || t.wh < 0) {
      return InvalidArgumentError(
          fmt::format("storage take (hour {}, source {}, {} Wh) outside the input / 储能取电无效",
                      t.hour, t.source, t.wh));
    }
    metered[static_cast<size_t>(t.hour) * ns + t.source] += t.wh;
  }

  // Device-hours the book already holds (one lookup per source-hour with generation).
  const TimeZone utc;
  std::vector<char> skip(a.generation.size(), 0);
  for (int32_t h = 0; h < a.hours; ++h) {
    for (int32_t s = 0; s < ns; ++s) {
      const size_t i = static_cast<size_t>(h) * ns + s;
      const int64_t wh = metered[i];
      if (wh < 0) {
        return InvalidArgumentError(fmt::format("asset {} hour {}: negative generation {} Wh",
                                                in.source_asset[s],
                                                FormatTimestamp(in.hour_start_s[h], utc), wh));
      }
      if (wh == 0) continue;
      const std::optional<WhRange> issued =
          book.IssuedRange(in.source_asset[s], in.hour_start_s[h]);
      if (!issued) continue;
      if (!options.resume) {
        return AlreadyExistsError(fmt::format(
            "asset {} hour {} already issued ({} Wh); nothing issued / 该小时已签发，"
            "本次未签发",
            in.source_asset[s], FormatTimestamp(in.hour_start_s[h], utc), issued->wh()));
      }
      if (issued->wh() != wh) {
        return FailedPreconditionError(fmt::format(
            "asset {} hour {}: {} Wh issued but {} Wh metered; withdraw first / "
            "已签发电量与计量不符",
            in.source_asset[s], FormatTimestamp(in.hour_start_s[h], utc), issued->wh(), wh));
      }
      skip[i] = 1;
    }
  }

  int64_t total = 0;
  IssueRequest req;
  req.issuer = options.issuer;
  for (int32_t h = 0; h < a.hours; ++h) {
    req.production_hour_s = in.hour_start_s[h];
    for (int32_t s = 0; s < ns; ++s) {
      const size_t i = static_cast<size_t>(h) * ns + s;
      const int64_t wh = metered[i];
      if (wh == 0 || skip[i]) continue;  // skip: resumed, checked above to hold exactly `wh`
      const GenerationAsset& g = *asset[s];
      req.device = g.code;
      req.technology = TechnologyName(g.technology);
      req.location = g.external                  ? kExternalLocation
                     : g.site_enterprise.empty() ? kParkAccount
                                                 : g.site_enterprise;
      req.account = in.source_account.empty() ? req.location : in.source_account[s];
      req.wh = wh;
      ZP_ASSIGN_OR_RETURN(CertBundle b, book.Issue(req, options.action));
      total += b.to_wh - b.from_wh;
    }
  }
  return total;
}

}  // namespace zp::green
