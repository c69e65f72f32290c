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

inline constexpr int32_t kSchemaVersion = 6;

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

// Accounts (see zp/auth/auth.h). Secrets are kept only as hashes.
struct UserRow {
  int64_t id = 0;
  std::string username;  // unique, compared case-insensitively (stored lower-case)
  std::string display_name;
  std::string role;           // "admin", "analyst", "officer", "enterprise", "auditor", "device"
  std::string password_hash;  // Argon2id string; empty for device users
  std::string enterprise_code;
  std::string zones;  // comma-separated zone codes
  bool disabled = false;
  int64_t created_s = 0;
  bool operator==(const UserRow&) const = default;
};

struct CredentialRow {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string kind;         // "session", "api", "device", "setup"
  std::string secret_hash;  // hex SHA-256 of the secret; unique
  std::string csrf_hash;    // sessions: hex SHA-256 of the CSRF secret
  std::string name;
  std::string meters;  // device tokens: comma-separated meter codes
  int64_t created_s = 0;
  int64_t expires_s = 0;  // 0 = never
  bool revoked = false;
  int64_t last_used_s = 0;
  bool operator==(const CredentialRow&) const = default;
};

// One entry of the append-only audit log: who did what, when, to what, with the state before and
// after (JSON, empty when not applicable).
struct AuditRow {
  int64_t seq = 0;  // assigned by the store, increasing
  int64_t ts_s = 0;
  std::string actor;  // user name ("-" for anonymous, "system" for the server itself)
  std::string role;
  std::string action;  // e.g. "PUT /api/v1/meters/{code}"
  std::string target;  // e.g. "meter E001.EL.MAIN"
  std::string before_json;
  std::string after_json;
  std::string remote;  // client address, or "cli"
  int32_t status = 0;  // HTTP status of the outcome (0 for CLI)
  bool operator==(const AuditRow&) const = default;
};

// One record of the green-power ledger (zp/green/ledger.h), as stored: the store neither parses
// `fields_json` nor checks the hashes (zp::green does, on open and in `zeropark ledger verify`),
// it only keeps the chain append-only with contiguous seqs.
struct LedgerRow {
  int64_t seq = 0;  // 1-based, contiguous: given by the caller
  int64_t time_s = 0;
  std::string kind;  // "issuance", "transfer", ...
  std::string actor;
  std::string fields_json;  // canonical JSON object of the record's fields
  std::string prev_hash;    // hex
  std::string hash;         // hex
  bool operator==(const LedgerRow&) const = default;
};

// One HJ 212 data frame as accepted by the environment service (framing, CRC, MN and password
// checked), kept whole: the durable record that an acknowledgement (9014) stands for.
struct EnvFrameRow {
  int64_t seq = 0;          // assigned by the store, increasing
  int64_t received_ms = 0;  // UTC milliseconds
  std::string source;       // source code (zp/environment/sources.h)
  std::string mn;
  int32_t cn = 0;           // command code, e.g. 2011, 2051, 2061, 2031
  int64_t data_time_s = 0;  // DataTime as a UTC instant; received time when the frame has none
  std::string segment;      // the data segment text
  bool operator==(const EnvFrameRow&) const = default;
};

// One evaluated hour of one pollutant of one source (zp/environment/evaluation.h).
struct EnvHourRow {
  std::string source;
  std::string pollutant;  // HJ 212 code
  int64_t hour_s = 0;     // UTC instant of the hour's start
  double avg = 0;         // measured (as sent) average concentration / value
  double zs_avg = 0;      // O2-corrected average (== avg when no correction applies)
  double min = 0;
  double max = 0;
  double load_kg = 0;    // emitted amount in the hour (0 when not computable)
  int32_t samples = 0;   // values received
  int32_t valid = 0;     // of which valid (flag N, or S)
  int32_t expected = 0;  // values expected in the hour from the source's interval
  std::string flag;      // the hour's data flag: "N" valid, else the standard's letter
  double limit = 0;      // the limit in force (0: none)
  bool exceeded = false;
  std::string origin;  // "computed" (from minute/real-time data) or "logger" (its 2061)
  bool operator==(const EnvHourRow&) const = default;
};

// One alarm (zp/environment/alarms.h). Updated in place as it moves through its lifecycle.
struct AlarmRow {
  int64_t id = 0;     // assigned by the store
  std::string kind;   // "exceedance", "data_loss", "device_fault"
  std::string state;  // "open", "acknowledged", "closed"
  std::string enterprise_code;
  std::string zone_code;
  std::string officer;  // the zone's officer at the time it was raised
  std::string source;
  std::string pollutant;  // HJ 212 code; empty for a whole-source alarm
  int64_t opened_s = 0;   // first occurrence (data time)
  int64_t last_s = 0;     // latest occurrence
  int64_t cleared_s = 0;  // when the condition ended; 0 while it lasts
  int32_t occurrences = 0;
  double value = 0;  // worst value seen (exceedance), or seconds without data
  double limit = 0;
  std::string unit;
  std::string detail;  // human-readable, bilingual
  std::string acknowledged_by;
  int64_t acknowledged_s = 0;
  std::string closed_by;
  int64_t closed_s = 0;
  std::string note;  // the closing note
  bool operator==(const AlarmRow&) const = default;
};

// Filters of ListAlarms; empty / 0 fields match all.
struct AlarmFilter {
  std::vector<std::string> zones;  // zone_code in this list
  std::string enterprise_code;
  std::string source;
  std::string pollutant;
  std::string kind;
  std::string state;      // one state, or "active" = open or acknowledged
  int64_t from_s = 0;     // last_s >= from_s
  int64_t to_s = 0;       // opened_s < to_s
  int64_t before_id = 0;  // id < before_id (paging, newest first)
  int64_t limit = 0;      // at most this many (<= 0: all)
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

  // --- accounts. Insert* return the new id (ids are never reused); AlreadyExists for a taken
  // user name (compared case-insensitively, ASCII) or secret hash.
  virtual Result<int64_t> InsertUser(const UserRow& u) = 0;
  // Every field but id, by id; NotFound when absent, AlreadyExists when renamed to a taken name.
  virtual Status UpdateUser(const UserRow& u) = 0;
  virtual Result<std::vector<UserRow>> ListUsers() = 0;  // ascending by id
  virtual Result<std::optional<UserRow>> GetUser(int64_t id) = 0;
  virtual Result<std::optional<UserRow>> FindUser(std::string_view username) = 0;  // any case
  virtual Result<int64_t> InsertCredential(const CredentialRow& c) = 0;
  virtual Result<std::optional<CredentialRow>> FindCredential(std::string_view secret_hash) = 0;
  // Ascending by id.
  virtual Result<std::vector<CredentialRow>> ListCredentials(int64_t user_id) = 0;  // 0 = all
  // Sets revoked (and/or last_used_s, when > the stored value) of one credential by id.
  // `revoked` false leaves the flag as it is: a revocation is never undone. NotFound when absent.
  virtual Status UpdateCredential(int64_t id, bool revoked, int64_t last_used_s) = 0;
  // Deletes browser sessions and setup tokens that are revoked or expired at now_s (API and device
  // tokens stay, revoked or not, so their history can be listed). Returns how many were deleted.
  virtual Result<int64_t> PurgeCredentials(int64_t now_s) = 0;
  // Append-only: rows are never updated or deleted (the SQLite backend refuses it by trigger).
  virtual Result<int64_t> AppendAudit(const AuditRow& row) = 0;
  // Rows with from_seq <= seq, ascending, at most `limit` (<= 0: all), whose actor equals
  // `actor` and whose target starts with `target_prefix` (bytes); empty ones match all.
  virtual Status ReadAudit(int64_t from_seq, int64_t limit, std::string_view actor,
                           std::string_view target_prefix,
                           const std::function<void(const AuditRow&)>& fn) = 0;

  // --- green-power ledger. Append-only (the SQLite backend refuses UPDATE and DELETE by
  // trigger). AppendLedger writes all rows or none; the first row's seq must be LedgerSize() + 1
  // and the rest must follow contiguously (FailedPrecondition otherwise, e.g. when another writer
  // appended first).
  virtual Status AppendLedger(std::span<const LedgerRow> rows) = 0;
  // Rows with seq >= from_seq, ascending, at most `limit` (<= 0: all).
  virtual Status ReadLedger(int64_t from_seq, int64_t limit,
                            const std::function<void(const LedgerRow&)>& fn) = 0;
  // The last seq (0 when empty).
  virtual Result<int64_t> LedgerSize() = 0;

  // --- enterprise data (economic figures, product output, process CO2, manual green supply).
  // Append-only: AppendEnterpriseData assigns increasing seq numbers (returned: the last one) and
  // writes all rows or none. ReadEnterpriseData calls fn for every version, ascending by seq;
  // an empty enterprise_code / indicator matches all.
  virtual Result<int64_t> AppendEnterpriseData(std::span<const model::EnterpriseDatum> rows) = 0;
  virtual Status ReadEnterpriseData(
      std::string_view enterprise_code, std::string_view indicator,
      const std::function<void(const model::EnterpriseDatum&)>& fn) = 0;

  // --- environmental monitoring (HJ 212). Frames are append-only: AppendEnvFrames writes all
  // rows in one durable commit (seqs assigned, the last returned) or none; given no rows, it
  // returns the last seq. A row that breaks a value rule fails its whole write with
  // InvalidArgument: an empty source (or pollutant, of an hour; the reads take "" for all), a
  // double that is not finite, a negative count, an alarm state other than the three.
  virtual Result<int64_t> AppendEnvFrames(std::span<const EnvFrameRow> rows) = 0;
  // Frames of one source (empty: all) with from_s <= data_time_s < to_s and, when cn != 0, that
  // command code; ascending by (data_time_s, seq); at most `limit` (<= 0: all).
  virtual Status ReadEnvFrames(std::string_view source, int32_t cn, int64_t from_s, int64_t to_s,
                               int64_t limit,
                               const std::function<void(const EnvFrameRow&)>& fn) = 0;
  // Upserted by (source, pollutant, hour_s), all or none.
  virtual Status PutEnvHours(std::span<const EnvHourRow> rows) = 0;
  // Hours of a source (empty: all) and pollutant (empty: all) with from_s <= hour_s < to_s,
  // ascending by (source, pollutant, hour_s).
  virtual Status ReadEnvHours(std::string_view source, std::string_view pollutant, int64_t from_s,
                              int64_t to_s, const std::function<void(const EnvHourRow&)>& fn) = 0;
  // Alarms: Insert assigns and returns the id; Update rewrites every field by id (NotFound when
  // absent). ListAlarms: newest first (descending id).
  virtual Result<int64_t> InsertAlarm(const AlarmRow& row) = 0;
  virtual Status UpdateAlarm(const AlarmRow& row) = 0;
  virtual Result<std::optional<AlarmRow>> GetAlarm(int64_t id) = 0;
  virtual Status ListAlarms(const AlarmFilter& filter,
                            const std::function<void(const AlarmRow&)>& fn) = 0;

  // Bytes used on disk (0 for memory).
  virtual int64_t DiskBytes() = 0;
};

// "memory:", "memory:NAME", "sqlite:PATH", or a bare path (SQLite).
Result<std::unique_ptr<Store>> OpenStore(std::string_view url);

// Drops a named in-memory store (tests).
void DropMemoryStore(std::string_view name);

}  // namespace zp::store
