#pragma once

// Green supply registry (issue 6): the park's generation assets and the contracts that say which
// enterprises each asset's electricity may serve, turned into an hourly AllocationInput from
// metered data, and the allocation's result offered to the energy/carbon accounts as a
// GreenPowerSource. 绿电供给登记：发电资产与合同 → 逐时分配输入 → 按月核算的绿电来源。
//
// Rounds are fixed by the contract kind, in the order of the issue: same site (0) -> direct supply
// (1) -> green trading / other contracts (2) -> park pool (3) -> whatever is left is grid power.
// Each asset belongs to at most one contract, so its generation is offered once and no Wh can be
// counted green twice (an asset's surplus does not roll over to a later round yet).
//
// Units: the engine gives kWh (double); the allocation works in integer Wh. Every hourly value is
// converted as llround(kWh * 1000) (half away from zero), negative hourly sums (corrections,
// inverter standby) count as 0. Monthly green kWh reported back are exact sums of Wh / 1000.
//
// The registry is in memory for now (persistence in the Store comes with the ledger store).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/status.h"
#include "zp/energy/energy.h"
#include "zp/green/allocation.h"
#include "zp/model/registry.h"

namespace zp::engine {
class Engine;
}

namespace zp::green {

enum class Technology : uint8_t { kRooftopPv, kGroundPv, kWind, kGeothermalHeat, kStorage };
// "rooftop_pv", "ground_pv", "wind", "geothermal_heat", "storage".
std::string_view TechnologyName(Technology t);
Result<Technology> ParseTechnology(std::string_view s);
// True for technologies whose metered output is green electricity that can be allocated
// (PV, wind). Heat is not electricity; storage only shifts energy and is not a source by itself.
bool IsGreenElectricity(Technology t);

// The kind fixes the allocation round (its numeric value).
enum class ContractKind : uint8_t {
  kSameSite = 0,      // 自发自用: the asset's own site enterprise only
  kDirectSupply = 1,  // 绿电直连
  kGreenTrading = 2,  // 绿电交易 and other bilateral contracts
  kParkPool = 3,      // 园区共享: park-owned generation shared by its buyers
};
inline constexpr int32_t kSupplyRounds = 4;
// "same_site", "direct_supply", "green_trading", "park_pool".
std::string_view ContractKindName(ContractKind k);
Result<ContractKind> ParseContractKind(std::string_view s);
inline int32_t RoundOf(ContractKind k) { return static_cast<int32_t>(k); }

struct GenerationAsset {
  std::string code;  // [A-Za-z0-9._-], at most 64 chars, unique among assets
  std::string name;
  Technology technology = Technology::kRooftopPv;
  std::string site_enterprise;  // enterprise code, "" for the park
  std::string meter_code;       // the generation meter measuring its output (unique)
};

struct Contract {
  std::string code;  // [A-Za-z0-9._-], at most 64 chars, unique among contracts
  ContractKind kind = ContractKind::kSameSite;
  std::vector<std::string> assets;  // asset codes (each asset in at most one contract)
  std::vector<std::string> buyers;  // enterprise codes that may receive its supply
  int32_t round() const { return RoundOf(kind); }
};

struct Supply {
  std::vector<GenerationAsset> assets;
  std::vector<Contract> contracts;
};

// Structure only: codes, duplicates, references between contracts and assets, an asset in at
// most one contract, only green-electricity technologies in contracts, same-site contracts with
// exactly one buyer that is the site of every one of their assets, park-pool assets owned by the
// park. Errors name the asset or contract.
Status ValidateSupply(const Supply& supply);
// ValidateSupply plus the registry: site enterprises and buyers exist, each asset's meter exists,
// is a physical generation meter of electricity, and belongs to the asset's site.
Status ValidateSupply(const Supply& supply, const std::vector<model::Enterprise>& enterprises,
                      const std::vector<model::Meter>& meters);

// The supply implied by the registry alone: every physical electricity generation meter becomes a
// rooftop_pv asset named after it (asset code = meter code). An enterprise's meters form its
// same-site contract "SAME_SITE.<enterprise code>"; the park's meters (enterprise "") form the
// contract "PARK_POOL" whose buyers are all enterprises. Enterprises and contracts sorted by code.
Result<Supply> DefaultSupplyFromRegistry(engine::Engine& engine);

// The allocation input with what is needed to read its result back.
struct SupplyInput {
  AllocationInput input;
  // UTC instant of each hour's start; hours are whole local hours covering [from_s, to_s)
  // (rounded outward, like Engine::Sums).
  std::vector<int64_t> hour_start_s;
  std::vector<int32_t> hour_month;           // local month index of each hour
  std::vector<std::string> consumers;        // enterprise code per consumer (sorted)
  std::vector<std::string> source_asset;     // asset code per source
  std::vector<std::string> source_contract;  // contract code per source
  std::vector<ContractKind> source_kind;
};

// Consumers = all enterprises (hourly electricity consumption, Sums by enterprise, carrier
// electricity); sources = the assets of the supply's contracts, ordered by (round, contract,
// asset), with their generation meter's hourly output (one Sums by meter with generation). Each
// source may serve its contract's buyers. Validates the supply against the registry first.
// Missing readings count as 0 (completeness is reported elsewhere).
Result<SupplyInput> BuildAllocationInput(engine::Engine& engine, const Supply& supply,
                                         int64_t from_s, int64_t to_s);

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
