#pragma once

// Engine: the park's data core over a Store. It validates and keeps the registry (with
// cross-reference checks), takes readings through the durable write path (group-committed ingest
// log -> memtable -> compressed chunks and rollups at flush), recovers from the log at open, and
// answers raw, aggregate and completeness queries in park local time.
//
// Thread-safety: every method may be called from many threads at once. Writes are acknowledged
// (Write returns OK) only once the ingest log commit that holds them is durable.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/time.h"
#include "zp/model/economic.h"
#include "zp/model/registry.h"
#include "zp/store/store.h"
#include "zp/tsdb/chunk.h"
#include "zp/tsdb/rollup.h"

namespace zp::engine {

struct EngineOptions {
  // Flush the memtable into chunks when it holds this many readings ...
  size_t flush_points = 4'000'000;
  // ... or when its oldest reading is this old (seconds). 0 disables the timer.
  int32_t flush_interval_s = 300;
  // Run flushes and retention on a background thread. Tests may turn it off and call Flush().
  bool background = true;
  // Flush when the engine is destroyed. Tests turn it off to simulate a crash (the ingest log
  // must then bring every acknowledged reading back at the next Open).
  bool flush_on_close = true;
};

// A reading resolved to a meter, value in the meter's own unit (before the multiplier).
struct ReadingIn {
  int64_t meter_id = 0;
  int64_t ts_s = 0;
  double value = 0;
};

// What a write path needs to know of a meter to resolve and check a reading.
struct MeterRef {
  int64_t id = 0;
  std::string code;
  model::MeterKind kind = model::MeterKind::kInterval;
  std::string unit;  // the meter's unit symbol
  units::Carrier carrier = units::Carrier::kElectricity;
};

// An immutable snapshot of meter code -> MeterRef, for the ingest hot path. Replaced (not
// mutated) when the registry changes.
class MeterIndex {
 public:
  virtual ~MeterIndex() = default;
  virtual const MeterRef* Find(std::string_view code) const = 0;
  virtual const MeterRef* FindById(int64_t id) const = 0;
};

struct WriteStats {
  int64_t accepted = 0;  // readings made durable
  int64_t log_seq = 0;   // ingest-log sequence that holds them
};

enum class Period { kHour, kDay, kMonth, kYear };
enum class GroupBy { kMeter, kEnterprise, kZone, kCarrier, kPark };
std::string_view PeriodName(Period p);
Result<Period> ParsePeriod(std::string_view s);
std::string_view GroupByName(GroupBy g);
Result<GroupBy> ParseGroupBy(std::string_view s);

struct SumQuery {
  GroupBy group_by = GroupBy::kPark;
  Period period = Period::kDay;
  int64_t from_s = 0;  // UTC instants; rounded outward to whole periods in park local time
  int64_t to_s = 0;
  // Filters (empty = all).
  std::vector<std::string> meters;
  std::vector<std::string> enterprises;
  std::vector<std::string> zones;
  std::optional<units::Carrier> carrier;
  std::string industry_prefix;  // e.g. "C36"
  // Aggregates above meter level use main consumption meters only (no virtual meters, no
  // generation meters unless this is set). Park and carrier totals take meters without a parent;
  // an enterprise (and its zone) takes its meters whose parent is absent or belongs elsewhere (a
  // heat meter fed from the park's heat station) and gives up the meters of other enterprises fed
  // from its meters (tenants), so park = enterprises + the park's own use and network losses, and
  // no sub-meter is counted twice.
  bool include_generation = false;
};

struct SumRow {
  std::string group;  // meter code, enterprise code, zone code, carrier code or "park"
  units::Carrier carrier = units::Carrier::kElectricity;
  int64_t period_start_s = 0;  // UTC instant of the local period start
  double value = 0;            // in the carrier's canonical unit
  int64_t readings = 0;
};

struct CompletenessRow {
  std::string meter;
  int32_t day = 0;       // local day index
  int32_t expected = 0;  // readings expected from the meter's interval and the day length
  int32_t received = 0;
  int32_t suspect_zero = 0;
  int32_t flagged = 0;
};

struct EngineStats {
  int64_t readings_written = 0;
  int64_t memtable_points = 0;
  int64_t flushes = 0;
  int64_t chunks_written = 0;
  int64_t corrections = 0;
  int64_t log_commits = 0;
};

class Engine {
 public:
  // Opens the engine on a store: loads the registry (creating a default park if none), replays
  // the ingest log into the memtable, and starts the background thread if asked.
  static Result<std::unique_ptr<Engine>> Open(std::unique_ptr<store::Store> store,
                                              EngineOptions options = {});
  virtual ~Engine() = default;

  // --- registry (validated; cross-references checked; clear errors).
  virtual model::Park GetPark() const = 0;
  virtual TimeZone zone() const = 0;  // the park's time zone
  virtual Status PutPark(const model::Park& park) = 0;
  virtual Result<model::Zone> PutZone(const model::Zone& z, bool create) = 0;
  virtual Status DeleteZone(std::string_view code) = 0;
  virtual std::vector<model::Zone> ListZones() const = 0;
  virtual Result<model::Zone> GetZone(std::string_view code) const = 0;
  virtual Result<model::Enterprise> PutEnterprise(const model::Enterprise& e, bool create) = 0;
  virtual Status DeleteEnterprise(std::string_view code) = 0;
  virtual std::vector<model::Enterprise> ListEnterprises() const = 0;
  virtual Result<model::Enterprise> GetEnterprise(std::string_view code) const = 0;
  virtual Result<model::Meter> PutMeter(const model::Meter& m, bool create) = 0;
  virtual Status DeleteMeter(std::string_view code) = 0;
  virtual std::vector<model::Meter> ListMeters() const = 0;
  virtual Result<model::Meter> GetMeter(std::string_view code) const = 0;
  // Validates everything first, then inserts all in one transaction (zones, then enterprises,
  // then meters in parent-before-child order). Each error names the record.
  virtual Status ImportRegistry(const std::vector<model::Zone>& zones,
                                const std::vector<model::Enterprise>& enterprises,
                                const std::vector<model::Meter>& meters) = 0;
  virtual std::shared_ptr<const MeterIndex> meter_index() const = 0;
  // Records that a cumulative meter's register was replaced (or reset) at r.ts_s, with the old
  // register's final and the new register's initial reading, so the energy across the change is
  // counted instead of flagged as a negative jump. Re-rolls the affected days.
  virtual Status AddRegisterReplacement(std::string_view meter_code,
                                        const tsdb::RegisterReplacement& r) = 0;
  virtual Result<std::vector<tsdb::RegisterReplacement>> RegisterReplacements(
      std::string_view meter_code) const = 0;

  // --- write path. Readings must be finite and refer to physical (non-virtual) meters.
  // Returns once the readings are durable. `source` is the provenance kept with corrections.
  virtual Result<WriteStats> Write(std::span<const ReadingIn> readings,
                                   std::string_view source) = 0;
  // Bulk load without the ingest log (demo generation, large imports that can be redone): the
  // readings are durable when the following Flush() returns.
  virtual Status WriteUnlogged(std::span<const ReadingIn> readings, std::string_view source) = 0;
  // Writes the memtable into chunks and rollups and truncates the log.
  virtual Status Flush() = 0;
  // Rolls raw chunks older than the park's retention up to hourly resolution.
  virtual Status ApplyRetention(int64_t now_s) = 0;

  // --- queries.
  // Readings of one physical meter, from <= ts < to, as stored (meter unit, before multiplier).
  virtual Result<std::vector<tsdb::Point>> ReadRaw(std::string_view meter_code, int64_t from_s,
                                                   int64_t to_s) = 0;
  virtual Result<std::vector<SumRow>> Sums(const SumQuery& q) = 0;
  virtual Result<std::vector<CompletenessRow>> Completeness(std::span<const std::string> meters,
                                                            int32_t from_day, int32_t to_day) = 0;
  virtual Result<std::vector<store::Correction>> Corrections(std::string_view meter_code,
                                                             int64_t from_s, int64_t to_s) = 0;

  // --- enterprise data (model/economic.h). Put validates every row (enterprise exists, fields
  // via NormalizeEnterpriseDatum) and appends all or none; errors name the row (index + source).
  // Returns the rows as stored (seq, recorded_s set; recorded_s = now when 0).
  virtual Result<std::vector<model::EnterpriseDatum>> PutEnterpriseData(
      std::vector<model::EnterpriseDatum> rows) = 0;
  // Marks the current value of a key deleted (a tombstone version). NotFound when no current value.
  virtual Status DeleteEnterpriseDatum(std::string_view enterprise_code, std::string_view indicator,
                                       std::string_view item, const model::DataPeriod& period,
                                       std::string_view source) = 0;
  // Current values (latest version per enterprise/indicator/item/period, tombstones dropped), or
  // with history=true every version ascending by seq. Empty filters match all.
  virtual Result<std::vector<model::EnterpriseDatum>> EnterpriseData(
      std::string_view enterprise_code, std::string_view indicator, bool history) = 0;

  // --- settings (CSV mappings etc.).
  virtual Result<std::optional<std::string>> GetSetting(std::string_view key) = 0;
  virtual Status PutSetting(std::string_view key, std::string_view value) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListSettings(
      std::string_view prefix) = 0;

  virtual EngineStats stats() const = 0;
  virtual store::Store& store() = 0;
};

}  // namespace zp::engine
