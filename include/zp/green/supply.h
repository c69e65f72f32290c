#pragma once

// Green supply registry (issue 6): the park's generation assets and the contracts that say which
// enterprises each asset's electricity may serve, stored as JSON in the setting "green/supply",
// turned into an hourly AllocationInput from metered data, and the allocation's result offered to
// the energy/carbon accounts as a GreenPowerSource. 绿电供给登记：发电资产与合同 → 逐时分配输入
// → 按月核算的绿电来源。All functions are thread-safe (the engine serialises its own state).
//
// Rounds: every distinct (kind, priority) of the hourly contracts is one allocation round, sorted
// by kind in the order of the issue -- same site -> direct supply (绿电直连) -> green trading
// (绿电交易) -> park pool -- then by ascending priority; whatever is left is grid power. GEC
// contracts (绿证) are never an hourly source: they are reconciled per buyer and month
// (GecReconciliation), so no MWh is counted twice. Each asset belongs to at most one contract, so
// its output is offered once (its surplus is not passed on to later rounds).
//
// Units: the engine gives kWh (double); the allocation works in integer Wh. Every hourly metered
// value is converted as llround(kWh * 1000) (half away from zero), negative hourly sums
// (corrections, inverter standby) count as 0. Contract volumes are llround(kWh * 1000) Wh. Monthly
// green kWh reported back are exact sums of Wh / 1000.
//
// Supply JSON (SupplyFromJson / SupplyToJson; SupplyToJson writes every object's keys sorted,
// assets and contracts sorted by code, volumes by month, gec by (month, buyer); fields marked
// "optional" may be left out and take the value shown; unknown fields are refused, except a
// top-level "stored" (what GET /api/v1/green/supply adds), which is ignored):
//   {"assets": [{
//      "code": "PV.E001",            // [A-Za-z0-9._-], 1-64 chars, unique among assets
//      "name": "1号厂房屋顶光伏",     // optional, ""
//      "technology": "rooftop_pv",   // rooftop_pv | ground_pv | wind | geothermal_heat | storage
//      "site": "E001",               // optional: enterprise code where it stands, "" = the park
//      "meter": "E001.PV",           // its generation meter (physical, flow generation, of the
//                                    // site: enterprise_code == site); storage: the DISCHARGE
//                                    // meter. Optional only for external assets (below).
//      "charge_meter": "E001.BESS.IN",  // storage only, required there: the physical electricity
//                                    // CONSUMPTION meter of its charging, of the same site
//      "capacity_kw": 500,           // optional, > 0, information only
//      "external": false}],          // optional: true = outside the park (site must be ""); its
//                                    // account is "contract:<contract code>"; needs a meter
//                                    // unless its contract is profiled (flat / hourly)
//    "contracts": [{
//      "code": "DS.WIND1",           // same code rules, unique among contracts
//      "kind": "direct_supply",      // same_site | direct_supply | green_trading | park_pool | gec
//      "priority": 0,                // optional, integer 0..1000000: within a kind, lower first
//      "assets": ["WIND1"],          // hourly kinds: >= 1 asset codes; gec: none (optional, [])
//      "buyers": ["E003", "E007"],   // >= 1 enterprise codes, no duplicates
//      "valid_from": "2025-01-01",   // optional local date, "" = open; first valid day
//      "valid_to": "",               // optional local date, "" = open; first day NO LONGER valid
//                                    // (exclusive, like reference-data rows)
//      "profile": "as_generated",    // optional, green_trading only: as_generated | flat | hourly
//      "volumes": [{"month": "2025-01", "kwh": 120000}],  // optional, green_trading only
//      "hourly_profile": [24 numbers],  // profile "hourly" only: weights >= 0 of local hours 0..23
//      "gec": [{"month": "2025-01", "buyer": "E003", "certificates": 120}],  // gec only
//      "bundled_with": "GT.2025"}]}  // gec only, optional: a green_trading contract, "" =
//      unbundled
//
// Rules (ValidateSupply; each error names the asset or contract and the field, English / 中文):
//  - technology: PV and wind are green electricity; storage only shifts energy (its green
//    discharge is a source, see BuildAllocationInput); geothermal_heat may be registered (heat
//    meter) but is never in a contract: heat is not electricity.
//  - same_site: exactly one buyer, the site of each of its assets (not external). Storage assets
//    may only be in a same_site contract. park_pool: assets of the park (site "", not external).
//    direct_supply: metered assets, in the park or external.
//  - green_trading, profile as_generated (default): metered assets; their metered output is
//    offered as generated. With volumes, only the listed months deliver, and each is capped hour
//    by hour: in time order, hour h offers min(metered Wh of h, volume left in the month), the
//    contract's assets sharing an hour's cap in proportion to their metered Wh (largest
//    remainder, ties to the earlier asset in code order); so a month never delivers more than
//    its volume, in exact Wh.
//  - green_trading, profile flat or hourly: exactly one external asset (no meter needed) and
//    >= 1 volumes; a month's volume is spread over its valid hours (flat: equally; hourly: by the
//    weight of each hour's local hour of day, taken relative to the largest weight to 1e-9), the
//    integer Wh by largest remainder, ties to the earlier hour: the month's hours add up to the
//    volume exactly. A month needs at least one valid hour of positive weight.
//  - volumes / gec months ("YYYY-MM") unique and overlapping the validity; kwh >= 0;
//    certificates integer >= 0, one entry per (month, buyer); a gec buyer is one of the
//    contract's buyers and, when bundled, one of the bundled green_trading contract's buyers.
//  - validity: hours whose local day is outside [valid_from, valid_to) offer nothing.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/status.h"
#include "zp/energy/energy.h"
#include "zp/green/allocation.h"
#include "zp/green/storage.h"
#include "zp/model/registry.h"

namespace zp::engine {
class Engine;
}

namespace zp::green {

// The setting that holds the park's supply registry (SupplyToJson).
inline constexpr std::string_view kSettingSupply = "green/supply";

enum class Technology : uint8_t { kRooftopPv, kGroundPv, kWind, kGeothermalHeat, kStorage };
// "rooftop_pv", "ground_pv", "wind", "geothermal_heat", "storage".
std::string_view TechnologyName(Technology t);
Result<Technology> ParseTechnology(std::string_view s);
// True for technologies whose metered output is green electricity that can be allocated
// (PV, wind). Heat is not electricity; storage only shifts energy and is not a source by itself.
bool IsGreenElectricity(Technology t);

// The kind ranks the allocation rounds (its numeric value); gec is not an hourly source.
enum class ContractKind : uint8_t {
  kSameSite = 0,      // 自发自用: the asset's own site enterprise only
  kDirectSupply = 1,  // 绿电直连
  kGreenTrading = 2,  // 绿电交易 and other bilateral contracts
  kParkPool = 3,      // 园区共享: park-owned generation shared by its buyers
  kGec = 4,           // 绿证 (GEC) holdings: reconciled monthly, never hourly
};
// Kinds that are hourly sources (all but gec).
inline constexpr int32_t kSupplyRounds = 4;
// "same_site", "direct_supply", "green_trading", "park_pool", "gec".
std::string_view ContractKindName(ContractKind k);
Result<ContractKind> ParseContractKind(std::string_view s);
// The rank of the kind (0..3 for hourly kinds).
inline int32_t RoundOf(ContractKind k) { return static_cast<int32_t>(k); }
inline bool IsHourlyKind(ContractKind k) { return k != ContractKind::kGec; }

// How a green_trading contract delivers over the hours.
enum class Profile : uint8_t { kAsGenerated, kFlat, kHourly };
// "as_generated", "flat", "hourly".
std::string_view ProfileName(Profile p);
Result<Profile> ParseProfile(std::string_view s);

struct GenerationAsset {
  std::string code;  // [A-Za-z0-9._-], at most 64 chars, unique among assets
  std::string name;
  Technology technology = Technology::kRooftopPv;
  std::string site_enterprise;    // enterprise code, "" for the park (and for external assets)
  std::string meter_code;         // generation meter (storage: discharge); "" only when external
  std::string charge_meter_code;  // storage only: consumption meter of its charging
  std::optional<double> capacity_kw;  // information only
  bool external = false;              // outside the park
};

struct MonthVolume {
  int32_t month = 0;  // month index (MonthIndex)
  int64_t wh = 0;
  bool operator==(const MonthVolume&) const = default;
};

struct GecHolding {
  int32_t month = 0;         // month index
  std::string buyer;         // enterprise code
  int64_t certificates = 0;  // 1 per MWh
  bool operator==(const GecHolding&) const = default;
};

struct Contract {
  std::string code;  // [A-Za-z0-9._-], at most 64 chars, unique among contracts
  ContractKind kind = ContractKind::kSameSite;
  std::vector<std::string> assets;          // asset codes (each asset in at most one contract)
  std::vector<std::string> buyers;          // enterprise codes that may receive its supply
  int32_t priority = 0;                     // 0..1000000; within a kind: lower first
  std::optional<int32_t> valid_from_day;    // local day index, first valid day; none = open
  std::optional<int32_t> valid_to_day;      // local day index, first day no longer valid
  Profile profile = Profile::kAsGenerated;  // green_trading only
  std::vector<MonthVolume> volumes;         // green_trading only
  std::vector<double> hourly_profile;       // profile kHourly only: 24 weights
  std::vector<GecHolding> gec;              // gec only
  std::string bundled_with;                 // gec only: green_trading contract code or ""

  // The rank of its kind (the allocation round is (kind, priority), see SupplyInput).
  int32_t round() const { return RoundOf(kind); }
  bool ValidOn(int32_t local_day) const {
    return (!valid_from_day || local_day >= *valid_from_day) &&
           (!valid_to_day || local_day < *valid_to_day);
  }
};

struct Supply {
  std::vector<GenerationAsset> assets;
  std::vector<Contract> contracts;
};

// Structure only: every rule above that needs no registry. Errors name the asset or contract.
Status ValidateSupply(const Supply& supply);
// ValidateSupply plus the registry: site enterprises and buyers exist; each meter exists, is
// physical, belongs to the asset's site (external: a park meter), is a generation meter of
// electricity (geothermal_heat: of heat), and a storage's charge meter a consumption meter of
// electricity.
Status ValidateSupply(const Supply& supply, const std::vector<model::Enterprise>& enterprises,
                      const std::vector<model::Meter>& meters);

// JSON (see the top of this header). SupplyFromJson checks the structure (ValidateSupply), not
// the registry; errors name the asset / contract and field. indent < 0: compact (as stored).
Result<Supply> SupplyFromJson(std::string_view json);
std::string SupplyToJson(const Supply& supply, int indent = -1);

// The supply implied by the registry alone: every physical electricity generation meter that is
// not a sub-meter of another one becomes a rooftop_pv asset named after it (asset code = meter
// code). The registry does not say what a meter measures: a wind farm, a battery's discharge or a
// diesel generator would be taken as PV too, so a park with anything but PV stores its supply
// registry (the demo does). An enterprise's meters form its
// same-site contract "SAME_SITE.<enterprise code>"; the park's meters (enterprise "") form the
// contract "PARK_POOL" whose buyers are all enterprises. Enterprises and contracts sorted by code.
Result<Supply> DefaultSupplyFromRegistry(engine::Engine& engine);

// The stored registry (setting kSettingSupply, validated against the current registry: an error
// names what no longer fits), or DefaultSupplyFromRegistry when none is stored. *stored (when
// given) says which.
Result<Supply> LoadSupply(engine::Engine& engine, bool* stored = nullptr);
// Validates against the registry, then stores SupplyToJson(supply).
Status SaveSupply(engine::Engine& engine, const Supply& supply);

// Wh of a storage's green charge taken out of one same-site source in one hour (SupplyInput).
struct StorageTake {
  int32_t storage = 0;  // index into SupplyInput::storage_asset
  int32_t hour = 0;
  int32_t source = 0;  // the same-site source whose Wh the storage took
  int64_t wh = 0;
  bool operator==(const StorageTake&) const = default;
};

// The allocation input with what is needed to read its result back.
struct SupplyInput {
  AllocationInput input;
  // UTC instant of each hour's start; hours are whole local hours covering [from_s, to_s)
  // (rounded outward, like Engine::Sums).
  std::vector<int64_t> hour_start_s;
  std::vector<int32_t> hour_month;     // local month index of each hour
  std::vector<std::string> consumers;  // enterprise code per consumer (sorted)
  // Per round (input.rounds of them): its kind and priority, sorted by (kind, priority).
  std::vector<ContractKind> round_kind;
  std::vector<int32_t> round_priority;
  // Per source, ordered by (round, contract code, asset code).
  std::vector<std::string> source_asset;     // asset code (the certificates' device)
  std::vector<std::string> source_contract;  // contract code
  std::vector<ContractKind> source_kind;
  std::vector<Technology> source_technology;
  // Account that holds its certificates: the site enterprise, "park" for park assets, or
  // "contract:<contract code>" for external assets (including profiled supply).
  std::vector<std::string> source_account;
  // Storage assets (sited, registered; sorted by code), their source (-1 when in no contract)
  // and, per storage and hour ([k * hours + h]), the green charge Wh. The green charge was taken
  // out of the site's same-site sources (`takes`, sorted by (hour, storage, source)), so
  // input.generation of those sources is their metered Wh minus what the storage took: the
  // certificates of source s in hour h are input.generation + the takes of (s, h), and the takes'
  // certificates belong to "storage:<asset>". A storage source's generation is its green discharge.
  std::vector<std::string> storage_asset;
  std::vector<int32_t> storage_source;
  std::vector<int64_t> storage_charge_wh;
  std::vector<StorageTake> takes;
  std::vector<StorageState> storage_end;  // per storage: state after the last hour
};

struct BuildOptions {
  // Storage state at the first hour, by asset code; absent = empty ({0, 0}). To carry the green
  // state of charge across consecutive calls (months settled in order), pass the previous call's
  // StorageEndStates. Without it every call starts empty, which only loses green energy (never
  // counts any twice).
  std::map<std::string, StorageState, std::less<>> storage_start;
};

// Consumers = all enterprises (hourly electricity consumption, Sums by enterprise, carrier
// electricity), minus, for each sited storage asset, its charge meter's Wh in its site's
// consumption (a charge meter is a consumption meter of the site and so counted in the
// enterprise's electricity, directly or through its parent meter; storage charge is not demand;
// floored at 0). Sources = the assets of the hourly contracts, ordered by (round, contract code,
// asset code), each eligible for its contract's buyers, with per hour:
//  - hours outside the contract's validity: 0;
//  - metered assets: the generation meter's Wh (green_trading with volumes: capped as described
//    above; the cap counts the month's hours before from_s too, read from the engine);
//  - profiled green_trading: the month's volume spread over its hours (exact per whole month);
//  - storage: its green discharge (storage.h), active while its same_site contract is valid, with
//    per hour surplus = max(0, Wh of the site's other same-site sources - the site's
//    consumption above), storages of one site in code order, each taking from what the earlier
//    ones left; the green charge is then taken out of those same-site sources in proportion to
//    their Wh (largest remainder, ties to the lower source), so no one else is offered it.
// Validates the supply against the registry first. Missing readings count as 0 (completeness is
// reported elsewhere). Same input -> same output.
Result<SupplyInput> BuildAllocationInput(engine::Engine& engine, const Supply& supply,
                                         int64_t from_s, int64_t to_s);
Result<SupplyInput> BuildAllocationInput(engine::Engine& engine, const Supply& supply,
                                         int64_t from_s, int64_t to_s, const BuildOptions& options);
// storage_asset -> storage_end, for BuildOptions::storage_start of the next call.
std::map<std::string, StorageState, std::less<>> StorageEndStates(const SupplyInput& in);

// GEC reconciliation (绿证核对), per buyer and month of the input's hours: the Wh hourly-matched
// to it by green_trading rounds, the GECs it holds (bundled with a green_trading contract or
// unbundled; 1 certificate = 1 MWh = 1,000,000 Wh), and the bundled shortfall: matched trading
// Wh not covered by bundled GECs. Per buyer over the whole input: hourly share (24/7), annual
// share (ComputeScores' annual rule), and the annual share with unbundled GECs added
// (min(1, (annual matched + unbundled Wh) / consumption)). GECs never add to the hourly figures.
struct GecMonth {
  std::string buyer;
  int32_t month = 0;
  int64_t consumption_wh = 0;
  int64_t matched_wh = 0;          // all rounds
  int64_t trading_matched_wh = 0;  // green_trading rounds
  int64_t bundled_certificates = 0;
  int64_t unbundled_certificates = 0;
  int64_t bundled_shortfall_wh = 0;  // max(0, trading_matched_wh - bundled * 1e6)
};
struct GecBuyer {
  std::string buyer;
  int64_t consumption_wh = 0;
  int64_t matched_wh = 0;
  int64_t annual_matched_wh = 0;
  int64_t trading_matched_wh = 0;
  int64_t bundled_certificates = 0;
  int64_t unbundled_certificates = 0;
  int64_t bundled_shortfall_wh = 0;  // sum of the months' shortfalls
  double hourly_share = 0;
  double annual_share = 0;
  double annual_share_with_gec = 0;
};
struct GecReport {
  // Rows for every (buyer, month) with trading-matched Wh or certificates, sorted by (buyer,
  // month); buyers: every consumer that has a row, sorted.
  std::vector<GecMonth> months;
  std::vector<GecBuyer> buyers;
};
// `result` must come from Allocate(in.input), `in` from BuildAllocationInput(supply). Holdings of
// months outside the input's hours are left out.
Result<GecReport> GecReconciliation(const Supply& supply, const SupplyInput& in,
                                    const AllocationResult& result);

// Hourly-matched green electricity as a GreenPowerSource: one row per enterprise and month with
// matched Wh > 0: kwh = sum of matched Wh / 1000, kind "hourly_matched", reference the contracts
// (and their assets, "CONTRACT[ASSET+ASSET]" joined by ", ") that actually delivered to it that
// month, source "green::Allocate". Rows outside the accounts' months are left out.
class HourlyGreenSupply : public energy::GreenPowerSource {
 public:
  // `result` must come from Allocate(in.input).
  static Result<std::unique_ptr<HourlyGreenSupply>> Create(const SupplyInput& in,
                                                           const AllocationResult& result);

  std::string_view name() const override { return "hourly"; }
  Result<std::vector<energy::GreenSupply>> Supplies(const energy::Input& in) const override;
  // All rows, sorted by (enterprise, month).
  const std::vector<energy::GreenSupply>& rows() const { return rows_; }

 private:
  HourlyGreenSupply() = default;
  std::vector<energy::GreenSupply> rows_;
};

}  // namespace zp::green
