#pragma once

// AccountingService: the energy and carbon accounts of a park as the API and the CLI use them.
// It keeps the park's reference-data rows (setting "refdata/park_rows", CSV) and carbon options
// (settings "carbon/..."), builds accounts for a month range from the engine's rollups, and caches
// the last few results. A cached result is reused only while the reference data, the options and
// the engine's data are unchanged (readings written, flushes, corrections, registry and enterprise
// data versions), so a changed factor or reading is reflected by the next request.
// Thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zp/base/result.h"
#include "zp/carbon/carbon.h"
#include "zp/energy/energy.h"
#include "zp/refdata/refdata.h"
#include "zp/report/table.h"

namespace zp::engine {
class Engine;
}
namespace zp::green {
class GreenService;
}

namespace zp::carbon {

inline constexpr std::string_view kSettingParkRows = "refdata/park_rows";

class AccountingService {
 public:
  explicit AccountingService(engine::Engine& engine);

  // Reference data = built-in tables + the park's rows.
  Result<std::shared_ptr<const refdata::RefData>> Ref();
  // Adds or replaces (by id) park rows from CSV; validated before anything is stored. Returns the
  // number of rows added or replaced.
  Result<int32_t> ImportParkRows(std::string_view csv, std::string_view origin);
  Status DeleteParkRow(std::string_view id);  // NotFound when the park has no such row
  Result<std::string> ParkRowsCsv();

  Result<Options> CarbonOptions();
  Status PutCarbonOptions(const Options& o);

  // Accounts for [from_month, to_month) (month indexes), loading twelve extra months before
  // from_month so year-on-year figures are available.
  Result<std::shared_ptr<const CarbonAccounts>> Accounts(int32_t from_month, int32_t to_month);

  // One local day (day index, park time) accounted with its month's factors: energy, Scope 1
  // fuel and Scope 2 from the day's readings (no process emissions or added value: those are
  // monthly or yearly data; green supply only with green_source "hourly", allocated over the
  // day's hours, since hand-entered green power is monthly). The report's single month slot is
  // the day's month.
  Result<std::shared_ptr<const CarbonAccounts>> DayAccounts(int32_t day);

  // The latest calendar year with readings: this year when the park has readings in it, else the
  // year before (used as the default period). Falls back to this year.
  int32_t DefaultYear();

  // Drops cached accounts (called after any write through the API).
  void Invalidate();

  // The park's green-power service (not owned; may be set once it has replayed the ledger, or
  // never). With green_source "hourly", a settled month's green power is then the certificates
  // claimed in its settlement, whatever the supply registry or the readings say today, so Scope 2
  // and the statements agree and no certificate claimed by one enterprise is counted for another;
  // months not settled are allocated from the current registry and readings.
  void SetGreenService(const green::GreenService* service);

 private:
  int32_t FindDefaultYear(int32_t this_year);
  // The green power source of options.green_source: the manual supply, or the hourly allocation
  // of the park's supply registry (green::LoadSupply: the stored one, else the registry's
  // default) over each [from_s, to_s) span (UTC seconds; consecutive spans of at most a year of
  // whole months or days, since hourly engine queries are limited in length; the allocation is
  // hour by hour and storage state is carried from span to span, so splitting changes nothing).
  Result<std::unique_ptr<energy::GreenPowerSource>> MakeGreenSource(
      const Options& options, const std::vector<std::pair<int64_t, int64_t>>& spans);
  // Energy and carbon accounts of an input with the given green supply.
  static Result<std::shared_ptr<const CarbonAccounts>> Compute(
      energy::Input in, std::shared_ptr<const refdata::RefData> ref, const Options& options,
      const energy::GreenPowerSource& green);

  engine::Engine& engine_;
  std::mutex mu_;
  std::shared_ptr<const refdata::RefData> ref_;  // cached until park rows change
  struct Entry {
    int32_t from = 0, to = 0;
    std::string key;
    std::shared_ptr<const CarbonAccounts> accounts;
  };
  std::vector<Entry> cache_;  // most recent first, at most 4
  int32_t default_year_ = 0;  // DefaultYear's last answer and the state it was computed in
  std::string default_year_key_;
  uint64_t generation_ = 0;  // bumped by Invalidate and by park-row / option changes
  std::atomic<const green::GreenService*> green_service_{nullptr};
};

// --- exports shared by the API and the CLI.

// Bilingual tables of report rows (CSV/XLSX/text).
report::Table EnergyTable(const std::vector<energy::EnergyRow>& rows, const energy::ReportQuery& q);
report::Table CarbonTable(const std::vector<CarbonRow>& rows, const energy::ReportQuery& q);
// JSON documents (the API's response bodies).
std::string EnergyJson(const CarbonAccounts& a, const std::vector<energy::EnergyRow>& rows,
                       const energy::ReportQuery& q);
std::string CarbonJson(const CarbonAccounts& a, const std::vector<CarbonRow>& rows,
                       const energy::ReportQuery& q);
std::string DerivationJson(const CarbonDerivation& d);
// The derivation as text lines for a terminal (bilingual).
std::string DerivationText(const CarbonDerivation& d);

// The park's core indicator (tCO2/tce) and guiding clean-energy share against the national
// zero-carbon park targets (standards.md §1.2: <= 0.2 for parks of 200,000-1,000,000 tce a year,
// <= 0.3 above; clean energy >= 90 %), for one year.
std::string CoreIndicatorJson(const CarbonAccounts& a, int32_t year);

// Parses "2025" (whole year) or "2025-03" (one month) into [from, to) month indexes; with two
// values ("2025-01", "2025-06") the range from the first month to the end of the second.
Result<std::pair<int32_t, int32_t>> ParseMonthRange(std::string_view from, std::string_view to);

}  // namespace zp::carbon
