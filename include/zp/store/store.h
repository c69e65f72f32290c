#pragma once

// Store: the persistence interface behind the engine. A backend keeps the registry, the durable
// ingest log, compressed chunks with their daily rollups, monthly rollups, corrections and
// settings. All methods are thread-safe (a backend serialises writers itself). Every write method
// is atomic: it is either fully applied and durable on return, or not at all.
//
// Backends: MemoryStore ("memory:" or "memory:NAME"; NAME'd stores live for the process so a
// reopen sees the same data) and SqliteStore ("sqlite:PATH" or a path ending in .zpdb / .db).
// The schema carries a version; opening an older database migrates it, a newer one is refused.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/model/economic.h"
#include "zp/model/registry.h"

namespace zp::store {

inline constexpr int32_t kSchemaVersion = 3;

// One series-day. `data` is a tsdb chunk (empty when only a rollup exists, e.g. a cumulative
// meter's day whose closing reading arrived but whose own readings did not).
struct Chunk {
  int64_t series_id = 0;
  int32_t day = 0;           // local day index (days since 1970-01-01 in park time)
  int32_t resolution_s = 0;  // 0: raw readings; 3600: hourly sums kept after raw retention
  std::string data;
  int32_t count = 0;         // readings in data (raw) or hours (hourly)
  double sum = 0;            // daily rollup in the carrier's canonical unit
  int32_t flagged = 0;       // readings/deltas rejected by the rollup (negative, absurd)
  int32_t suspect_zero = 0;  // readings inside long runs of exact zeros (suspected gaps)
  bool operator==(const Chunk&) const = default;
};

struct MonthSum {
  int64_t series_id = 0;
  int32_t month = 0;  // month index: months since January 1970, park local time
  double sum = 0;
  int32_t count = 0;  // readings
  bool operator==(const MonthSum&) const = default;
};

struct Correction {
  int64_t series_id = 0;
  int64_t ts_s = 0;
  double old_value = 0;
  double new_value = 0;
  std::string source;      // provenance, e.g. "POST /write from 127.0.0.1"
  int64_t recorded_s = 0;  // when the correction was received
  bool operator==(const Correction&) const = default;
};

// Everything one flush writes, committed atomically.
struct FlushBatch {
  std::vector<Chunk> chunks;            // upserted by (series_id, day)
  std::vector<MonthSum> months;         // upserted by (series_id, month)
  std::vector<Correction> corrections;  // appended
  int64_t log_truncate_upto = 0;        // log entries with seq <= this are flushed (0: none)
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::string_view backend() const = 0;  // "memory", "sqlite"

  // --- registry. Codes are unique per kind; Insert* return the new id, AlreadyExists on a
  // duplicate code; Update*/Delete* address by code and return NotFound when absent.
  // Cross-references (zone of an enterprise, enterprise/parent of a meter) are checked by the
  // engine, not here.
  virtual Result<std::optional<model::Park>> GetPark() = 0;
  virtual Status PutPark(const model::Park& park) = 0;

  virtual Result<int64_t> InsertZone(const model::Zone& zone) = 0;
  virtual Status UpdateZone(const model::Zone& zone) = 0;
  virtual Status DeleteZone(std::string_view code) = 0;
  virtual Result<std::vector<model::Zone>> ListZones() = 0;

  virtual Result<int64_t> InsertEnterprise(const model::Enterprise& e) = 0;
  virtual Status UpdateEnterprise(const model::Enterprise& e) = 0;
  virtual Status DeleteEnterprise(std::string_view code) = 0;
  virtual Result<std::vector<model::Enterprise>> ListEnterprises() = 0;

  virtual Result<int64_t> InsertMeter(const model::Meter& m) = 0;
  virtual Status UpdateMeter(const model::Meter& m) = 0;
  virtual Status DeleteMeter(std::string_view code) = 0;
  virtual Result<std::vector<model::Meter>> ListMeters() = 0;

  // Many registry rows in one transaction (CSV import, demo). All or nothing.
  virtual Status InsertRegistryBatch(const std::vector<model::Zone>& zones,
                                     const std::vector<model::Enterprise>& enterprises,
                                     const std::vector<model::Meter>& meters) = 0;

  // --- settings: small named values (CSV mappings, demo marker, ...).
  virtual Result<std::optional<std::string>> GetSetting(std::string_view key) = 0;
  virtual Status PutSetting(std::string_view key, std::string_view value) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListSettings(
      std::string_view prefix) = 0;

  // --- durable ingest log. AppendLog writes all payloads in one durable commit and returns the
  // sequence number of the last one (sequence numbers increase, starting at 1).
  virtual Result<int64_t> AppendLog(std::span<const std::string> payloads) = 0;
  // Calls fn for every entry still in the log, in sequence order.
  virtual Status ReadLog(
      const std::function<Status(int64_t seq, std::string_view payload)>& fn) = 0;

  // --- chunks and rollups.
  // Chunks of one series with from_day <= day < to_day, ascending by day.
  virtual Status ReadChunks(int64_t series_id, int32_t from_day, int32_t to_day,
                            std::vector<Chunk>* out) = 0;
  // The latest chunk of the series with day < before_day that holds data, if any.
  virtual Result<std::optional<Chunk>> LatestChunkBefore(int64_t series_id, int32_t before_day) = 0;
  // Daily rollups (Chunk without data) of many series: fn(chunk) per row, any order.
  // An empty `series_ids` means every series.
  virtual Status ReadDailyRollups(std::span<const int64_t> series_ids, int32_t from_day,
                                  int32_t to_day, const std::function<void(const Chunk&)>& fn) = 0;
  virtual Status ReadMonthSums(std::span<const int64_t> series_ids, int32_t from_month,
                               int32_t to_month,
                               const std::function<void(const MonthSum&)>& fn) = 0;
  // Raw chunks (resolution_s == 0, non-empty data) with day < before_day: fn(series_id, day).
  virtual Status ListRawChunksBefore(int32_t before_day,
                                     const std::function<void(int64_t, int32_t)>& fn) = 0;
  virtual Status ReadCorrections(int64_t series_id, int64_t from_s, int64_t to_s,
                                 std::vector<Correction>* out) = 0;

  virtual Status Commit(const FlushBatch& batch) = 0;

  // --- enterprise data (economic figures, product output, process CO2, manual green supply).
  // Append-only: AppendEnterpriseData assigns increasing seq numbers (returned: the last one) and
  // writes all rows or none. ReadEnterpriseData calls fn for every version, ascending by seq;
  // an empty enterprise_code / indicator matches all.
  virtual Result<int64_t> AppendEnterpriseData(std::span<const model::EnterpriseDatum> rows) = 0;
  virtual Status ReadEnterpriseData(
      std::string_view enterprise_code, std::string_view indicator,
      const std::function<void(const model::EnterpriseDatum&)>& fn) = 0;

  // Bytes used on disk (0 for memory).
  virtual int64_t DiskBytes() = 0;
};

// "memory:", "memory:NAME", "sqlite:PATH", or a bare path (SQLite).
Result<std::unique_ptr<Store>> OpenStore(std::string_view url);

// Drops a named in-memory store (tests).
void DropMemoryStore(std::string_view name);

}  // namespace zp::store
