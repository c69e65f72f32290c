#pragma once

// The green-power service of a running park (issue 6): the certificate book of the Store's
// hash-chained ledger, monthly settlement of green supply into claimed certificates, and the
// queries behind the certificates browser and the per-enterprise green-power statements.
// 绿电结算服务：账本重放得到证书簿，按月签发、分配、声明注销，提供证书查询与企业绿电声明。
//
// Settle(month): the month's hourly allocation input (LoadSupply, else the registry's default
// supply) -> IssueHourly (one certificate bundle per source-hour of metered generation) ->
// Allocate, and for every hour AllocateHourFlows; for each flow (source, consumer, Wh) the next
// Wh of that source-hour's issuance is, for bilateral contracts (direct supply, green trading),
// transferred to the buyer's account first; then it is allocated to the consumer (by its holder:
// the site, the park or the buyer) and claimed with the fields consumption_cert =
// "CC-<enterprise>-<YYYYMMDDHH local>" and consumption_wh (the consumer's metered Wh of the hour).
// Every ledger record of a settlement carries the reference "settlement YYYY-MM". The records are
// written to the Store in one AppendLedger (all or nothing) at the end; when that fails the book
// is rebuilt from the Store, so memory and Store never diverge. A settlement summary (per
// enterprise consumption, claimed Wh, annual-rule totals, GEC reconciliation) is kept in the
// setting "green/settlement/YYYY-MM", written before the ledger and valid only when the ledger
// holds the head hash it names (so a failed settlement leaves no settled month behind).
//
// Thread-safe: settlements run one at a time (a second Settle of a month: AlreadyExists, also
// across restarts); queries run concurrently with each other and see a settlement whole or not
// at all.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/status.h"
#include "zp/green/ledger.h"
#include "zp/green/storage.h"
#include "zp/store/store.h"

namespace zp::engine {
class Engine;
}

namespace zp::green {

// Setting key prefix of the settlement summaries ("green/settlement/2025-06").
inline constexpr std::string_view kSettlementSettingPrefix = "green/settlement/";

// Per enterprise and settled month, from the settlement (never recomputed afterwards).
struct SettledEnterprise {
  std::string enterprise;
  int64_t consumption_wh = 0;     // metered electricity consumption of the month
  int64_t claimed_wh = 0;         // certificates claimed for it (= hourly matched)
  int64_t annual_matched_wh = 0;  // matched by the annual (volume) rule over the month
  // GEC reconciliation (GecReconciliation; 1 certificate = 1 MWh): GECs never add to the hourly
  // figures.
  int64_t trading_matched_wh = 0;  // hourly matched through green_trading contracts
  int64_t gec_bundled = 0;         // certificates bundled with green trading
  int64_t gec_unbundled = 0;       // unbundled certificates
  int64_t gec_shortfall_wh = 0;    // trading Wh not covered by bundled GECs
};

// Volumes of one settled month for the annual-rule share of a statement: the month's totals as
// a one-hour allocation input (consumers, their consumption, sources with their generation and
// eligible consumers).
struct SettledVolumes {
  std::vector<std::string> consumers;
  std::vector<int64_t> consumption_wh;  // per consumer
  struct Source {
    std::string asset;
    int32_t round = 0;
    int64_t generation_wh = 0;
    std::vector<int32_t> eligible;  // consumer indexes
  };
  std::vector<Source> sources;
};

struct Settlement {
  int32_t month = 0;  // local month index (zp::MonthIndex)
  int64_t issued_wh = 0;
  int64_t allocated_wh = 0;     // = claimed_wh: every allocation is claimed in the same run
  int64_t claimed_wh = 0;       // to enterprises and to storage ("storage:<asset>")
  int64_t storage_wh = 0;       // of claimed_wh: green storage charge
  int64_t bundles = 0;          // certificate bundles of the month's production hours afterwards
  int64_t ledger_from_seq = 0;  // first record of the settlement (= ledger_to_seq + 1 when none)
  int64_t ledger_to_seq = 0;    // last record of the settlement (ledger size after it)
  std::string head_hash;        // ledger head after the settlement
  int64_t settled_at_s = 0;
  std::string actor;
  double seconds = 0;                          // wall time of the settlement (0 when read back)
  std::vector<SettledEnterprise> enterprises;  // sorted by code
  SettledVolumes volumes;
  // Storage states after the month (the next month's settlement starts from them).
  std::map<std::string, StorageState, std::less<>> storage_end;
};

struct GreenServiceOptions {
  std::string issuer = "zeropark";  // issuer of the certificates
  // Clock (UTC seconds); empty = system clock. Decides which months have ended.
  std::function<int64_t()> now;
};

// One claimed certificate range of a statement.
struct StatementCertificate {
  std::string device;
  std::string technology;
  std::string location;
  int64_t from_wh = 0;
  int64_t to_wh = 0;
  int64_t claim_seq = 0;  // ledger seq of the claim record
  int64_t wh() const { return to_wh - from_wh; }
};

struct StatementHour {
  int64_t hour_s = 0;  // UTC start of the hour
  int64_t consumption_wh = 0;
  int64_t claimed_wh = 0;
  std::string consumption_cert;                    // "CC-E001-2025060112"
  std::vector<StatementCertificate> certificates;  // by device, from_wh
};

struct StatementMonth {
  int32_t month = 0;
  bool settled = false;
  SettledEnterprise figures;  // zero when not settled
};

struct StatementSource {
  std::string device;
  std::string technology;
  int64_t wh = 0;
};

// The statement of one enterprise over months [from_month, to_month] (inclusive), built from the
// book's claimed certificates and the settlement summaries of the settled months.
struct GreenStatement {
  std::string enterprise;
  int32_t from_month = 0;
  int32_t to_month = 0;
  int64_t ledger_size = 0;
  std::string ledger_head;
  std::vector<int32_t> settled_months;
  std::vector<int32_t> unsettled_months;
  // Over the settled months.
  int64_t consumption_wh = 0;
  int64_t claimed_wh = 0;
  double hourly_share = 0;  // claimed / consumption
  double annual_share = 0;  // annual rule over the settled months' totals
  // min(1, (annual-rule matched + unbundled GEC Wh) / consumption)
  double annual_share_with_gec = 0;
  std::vector<StatementSource> by_source;  // by device
  std::vector<StatementMonth> months;      // every month of the range
  std::vector<StatementHour> hours;        // hours with claims, ascending
};

class GreenService {
 public:
  // Reads and verifies the Store's ledger (DataLoss naming the first bad seq when it was tampered
  // with), replays it into the certificate book and reads the settlement summaries. `store` and
  // `engine` (the engine over that store) must outlive the service.
  static Result<std::unique_ptr<GreenService>> Open(store::Store& store, engine::Engine& engine,
                                                    GreenServiceOptions options = {});
  ~GreenService();
  GreenService(const GreenService&) = delete;
  GreenService& operator=(const GreenService&) = delete;

  // Settles one local calendar month (month index). FailedPrecondition when it has not ended;
  // AlreadyExists when it is settled; the supply's, the engine's or the Store's error otherwise
  // (nothing of the month is then settled). `actor` signs every record.
  Result<Settlement> Settle(int32_t month, std::string_view actor);

  // Settled months, ascending (enterprise figures included).
  std::vector<Settlement> Settlements() const;
  std::optional<Settlement> FindSettlement(int32_t month) const;
  bool IsSettled(int32_t month) const;

  // Certificates browser (see CertificateBook::Query).
  CertPage Certificates(const CertQuery& query) const;
  // Every bundle (tests, exports), as CertificateBook::Bundles.
  std::vector<CertBundle> Bundles() const;
  std::array<int64_t, kCertStatusCount> WhByStatus() const;

  // InvalidArgument when from_month > to_month or the range exceeds 120 months.
  Result<GreenStatement> Statement(std::string_view enterprise, int32_t from_month,
                                   int32_t to_month) const;

  int64_t ledger_size() const;
  std::string ledger_head() const;
  // Re-reads the Store when another writer appended to its ledger since (cheap when not).
  Status Refresh();

 private:
  struct State;
  GreenService(store::Store& store, engine::Engine& engine, GreenServiceOptions options);
  // Builds a fresh state from the Store (ledger, book, settlements).
  Result<std::unique_ptr<State>> Load() const;
  Result<Settlement> SettleLocked(int32_t month, std::string_view actor);
  int64_t Now() const;

  store::Store& store_;
  engine::Engine& engine_;
  GreenServiceOptions options_;
  std::mutex settle_mu_;          // one settlement at a time
  mutable std::shared_mutex mu_;  // state_: shared for queries, exclusive to change it
  std::unique_ptr<State> state_;
};

// "2025-06" -> month index; InvalidArgument naming the text otherwise.
Result<int32_t> ParseMonth(std::string_view text);
// Month index -> "2025-06".
std::string FormatMonth(int32_t month);

// Calls field(name, value) for the totals of a settlement that every JSON form of it shares
// (the stored summary and the API): "month" ("YYYY-MM", std::string), "issued_wh",
// "allocated_wh", "claimed_wh", "storage_wh", "bundles", "ledger_from_seq", "ledger_to_seq"
// (int64_t), "head_hash", "actor" (std::string). The time of the settlement, the per-enterprise
// lines and the volumes are left to the caller.
template <typename Field>
void ForEachSettlementTotal(const Settlement& s, Field&& field) {
  field("month", FormatMonth(s.month));
  field("issued_wh", s.issued_wh);
  field("allocated_wh", s.allocated_wh);
  field("claimed_wh", s.claimed_wh);
  field("storage_wh", s.storage_wh);
  field("bundles", s.bundles);
  field("ledger_from_seq", s.ledger_from_seq);
  field("ledger_to_seq", s.ledger_to_seq);
  field("head_hash", s.head_hash);
  field("actor", s.actor);
}

}  // namespace zp::green
