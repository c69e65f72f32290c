#pragma once

// SqliteStore: the embedded Store backend, one SQLite file in WAL mode plus the ingest log in
// append-only segment files beside it, `<path>-log/` (segment_log.h, docs/storage.md).
// Database writes go through one connection under a mutex and are durable on return
// (synchronous=FULL). Concurrent AppendLog calls are group-committed: one write and one fdatasync
// for all waiting writers, as in LevelDB's write queue; they never touch the database. Reads use a
// second connection so they never wait behind an fsync. Callbacks passed to the read methods run
// while that connection (ReadLog: the log) is held: they must not call back into the store.
// One process at a time may open a file: the log directory is flock()ed.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "zp/store/store.h"

namespace zp::store {

class SegmentLog;

class SqliteStore final : public Store {
 public:
  // Opens or creates the database at `path` (":memory:" for a private in-memory database, whose
  // log is kept in memory). Migrates an older schema; refuses a newer one and files that are not
  // zeropark databases. Creates the log directory when absent; Unavailable when another store
  // has the database open.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;

  std::string_view backend() const override { return "sqlite"; }

  Result<std::optional<model::Park>> GetPark() override;
  Status PutPark(const model::Park& park) override;

  Result<int64_t> InsertZone(const model::Zone& zone) override;
  Status UpdateZone(const model::Zone& zone) override;
  Status DeleteZone(std::string_view code) override;
  Result<std::vector<model::Zone>> ListZones() override;

  Result<int64_t> InsertEnterprise(const model::Enterprise& e) override;
  Status UpdateEnterprise(const model::Enterprise& e) override;
  Status DeleteEnterprise(std::string_view code) override;
  Result<std::vector<model::Enterprise>> ListEnterprises() override;

  Result<int64_t> InsertMeter(const model::Meter& m) override;
  Status UpdateMeter(const model::Meter& m) override;
  Status DeleteMeter(std::string_view code) override;
  Result<std::vector<model::Meter>> ListMeters() override;

  Status InsertRegistryBatch(const std::vector<model::Zone>& zones,
                             const std::vector<model::Enterprise>& enterprises,
                             const std::vector<model::Meter>& meters) override;

  Result<std::optional<std::string>> GetSetting(std::string_view key) override;
  Status PutSetting(std::string_view key, std::string_view value) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListSettings(
      std::string_view prefix) override;

  Result<int64_t> AppendLog(std::span<const std::string> payloads) override;
  Status ReadLog(const std::function<Status(int64_t, std::string_view)>& fn) override;

  Status ReadChunks(int64_t series_id, int32_t from_day, int32_t to_day,
                    std::vector<Chunk>* out) override;
  Result<std::optional<Chunk>> LatestChunkBefore(int64_t series_id, int32_t before_day) override;
  Status ReadDailyRollups(std::span<const int64_t> series_ids, int32_t from_day, int32_t to_day,
                          const std::function<void(const Chunk&)>& fn) override;
  Status ReadMonthSums(std::span<const int64_t> series_ids, int32_t from_month, int32_t to_month,
                       const std::function<void(const MonthSum&)>& fn) override;
  Status ListRawChunksBefore(int32_t before_day,
                             const std::function<void(int64_t, int32_t)>& fn) override;
  Status ReadCorrections(int64_t series_id, int64_t from_s, int64_t to_s,
                         std::vector<Correction>* out) override;

  Status Commit(const FlushBatch& batch) override;

  Result<int64_t> InsertUser(const UserRow& u) override;
  Status UpdateUser(const UserRow& u) override;
  Result<std::vector<UserRow>> ListUsers() override;
  Result<std::optional<UserRow>> GetUser(int64_t id) override;
  Result<std::optional<UserRow>> FindUser(std::string_view username) override;
  Result<int64_t> InsertCredential(const CredentialRow& c) override;
  Result<std::optional<CredentialRow>> FindCredential(std::string_view secret_hash) override;
  Result<std::vector<CredentialRow>> ListCredentials(int64_t user_id) override;
  Status UpdateCredential(int64_t id, bool revoked, int64_t last_used_s) override;
  Result<int64_t> PurgeCredentials(int64_t now_s) override;
  Result<int64_t> AppendAudit(const AuditRow& row) override;
  Status ReadAudit(int64_t from_seq, int64_t limit, std::string_view actor,
                   std::string_view target_prefix,
                   const std::function<void(const AuditRow&)>& fn) override;

  Status AppendLedger(std::span<const LedgerRow> rows) override;
  Status ReadLedger(int64_t from_seq, int64_t limit,
                    const std::function<void(const LedgerRow&)>& fn) override;
  Result<int64_t> LedgerSize() override;

  Result<int64_t> AppendEnterpriseData(std::span<const model::EnterpriseDatum> rows) override;
  Status ReadEnterpriseData(std::string_view enterprise_code, std::string_view indicator,
                            const std::function<void(const model::EnterpriseDatum&)>& fn) override;

  Result<int64_t> AppendEnvFrames(std::span<const EnvFrameRow> rows) override;
  Status ReadEnvFrames(std::string_view source, int32_t cn, int64_t from_s, int64_t to_s,
                       int64_t limit, const std::function<void(const EnvFrameRow&)>& fn) override;
  Status PutEnvHours(std::span<const EnvHourRow> rows) override;
  Status ReadEnvHours(std::string_view source, std::string_view pollutant, int64_t from_s,
                      int64_t to_s, const std::function<void(const EnvHourRow&)>& fn) override;
  Result<int64_t> InsertAlarm(const AlarmRow& row) override;
  Status UpdateAlarm(const AlarmRow& row) override;
  Result<std::optional<AlarmRow>> GetAlarm(int64_t id) override;
  Status ListAlarms(const AlarmFilter& filter,
                    const std::function<void(const AlarmRow&)>& fn) override;

  int64_t DiskBytes() override;

  // Tests: the first column of the first row of `sql` run on the write connection, as text
  // ("" when there is no row).
  Result<std::string> QueryForTesting(std::string_view sql);
  // Tests: the details of EXPLAIN QUERY PLAN for `sql` (its parameters unbound), joined by "; ".
  Result<std::string> QueryPlanForTesting(std::string_view sql);
  // Tests: start a new log segment once the open one holds more than `bytes`.
  void SetLogSegmentBytesForTesting(int64_t bytes);

  class Conn;  // a connection with its prepared-statement cache; defined in the .cc

 private:
  struct LogWriter;  // one AppendLog call waiting in log_queue_

  SqliteStore(std::string path, std::unique_ptr<Conn> writer, std::unique_ptr<Conn> reader,
              std::unique_ptr<SegmentLog> log);
  Conn& reader() { return reader_ ? *reader_ : *writer_; }
  // Appends the payloads of `group` with one write and one sync and sets each writer's result.
  void CommitLogGroup(const std::vector<LogWriter*>& group);
  // After a flush: checkpoints and truncates a WAL grown past kWalShrinkBytes. Writer mutex held.
  void ShrinkWal();

  std::string path_;
  std::unique_ptr<Conn> writer_;
  std::unique_ptr<Conn> reader_;  // null for ":memory:" (one connection serves both)
  std::unique_ptr<SegmentLog> log_;

  std::mutex log_mu_;                 // guards log_queue_ and the writers' done flags
  std::deque<LogWriter*> log_queue_;  // front: the writer committing the current group
};

// Tests: creates a new database file at `path` holding schema `version` (1..kSchemaVersion)
// exactly as the build that introduced that version wrote it.
Status CreateSqliteAtVersionForTesting(const std::string& path, int32_t version);
// Tests: the statement ListAlarms runs for `filter`.
std::string ListAlarmsSqlForTesting(const AlarmFilter& filter);
// Tests: runs `sql` (one or more statements) on the file at `path` with a plain connection.
Status ExecSqliteForTesting(const std::string& path, std::string_view sql);

}  // namespace zp::store
