#pragma once

// Certificate issuance from metered generation (issue 6): every source of an hourly allocation
// input gets, for every hour with output > 0, one granular certificate bundle of exactly that
// hour's metered Wh: the input's generation plus what storage took of it (SupplyInput::takes).
// Issued Wh = the Wh the source offers that hour, for every source and hour (the invariant the
// allocation's certificates rely on): its metered Wh while its contract is valid, capped by an
// as_generated contract's monthly volume; a profiled contract's hourly share of its volume. Output
// outside a contract's validity or above its volume is not certified (it is not the contract's
// green supply). A storage source's certificates are its green discharge (technology "storage").
// 按计量发电量逐小时签发绿证：每个发电资产每小时一笔，Wh 与计量一致（含储能充入部分）。
//
// Certificate fields: device = asset code, technology = TechnologyName (e.g. "rooftop_pv"),
// location = the asset's site enterprise code, "park" for park-owned assets, "external" for assets
// outside the park; account = SupplyInput::source_account (the same as location when the input
// has none), production hour = SupplyInput::hour_start_s of the hour. The ledger's issuance record
// carries them, the issuer and the action's actor, time and reference.

#include <cstdint>
#include <string>

#include "zp/base/result.h"
#include "zp/green/ledger.h"
#include "zp/green/supply.h"

namespace zp::green {

// Location and account of park-owned assets (site enterprise "").
inline constexpr std::string_view kParkAccount = "park";
// Location of assets outside the park.
inline constexpr std::string_view kExternalLocation = "external";

struct IssuanceOptions {
  std::string issuer;  // e.g. the park's registry service; required
  CertAction action;   // actor (required), time, reference (e.g. the metering run)
  // Resume an interrupted run: device-hours already issued with exactly the hour's Wh are skipped
  // (not counted in the result); one issued with other Wh is refused with FailedPrecondition
  // (the metering changed: withdraw the old certificates first).
  bool resume = false;
};

// Issues the certificates of every source-hour of `in` with generation > 0, hour by hour (sources
// in input order within an hour), and returns the Wh issued. `supply` must be the supply `in` was
// built from (it gives each asset's technology and site).
// Checked before anything is issued: InvalidArgument when `in` is inconsistent (sizes, negative
// Wh, hours not on the hour, unknown, duplicate or non-green asset, storage takes outside the
// input) or the options are incomplete;
// AlreadyExists when one of these device-hours was already issued (unless `resume`). An error
// from the book or its ledger sink midway (e.g. the Store failing) stops the run; what was issued
// before it stays issued, and a rerun with `resume` completes it.
Result<int64_t> IssueHourly(CertificateBook& book, const Supply& supply, const SupplyInput& in,
                            const IssuanceOptions& options);

}  // namespace zp::green
