#pragma once

// MemoryStore: the reference Store backend, everything in ordered maps under one shared mutex.
// Named stores ("memory:NAME") live in a process-wide registry until DropMemoryStore, so
// reopening a name sees the same data; anonymous ones die with their last handle. It enforces
// the same value rules as the SQLite schema (no NaN, no negative counts) so that both backends
// accept and refuse the same inputs. Callbacks run under the lock: they must not call back into
// the store.

#include <memory>
#include <string>
#include <string_view>

#include "zp/store/store.h"

namespace zp::store {

struct MemoryData;  // the shared state of one store

class MemoryStore final : public Store {
 public:
  // `name` empty: a new anonymous store; otherwise the named store, created on first use.
  static std::unique_ptr<MemoryStore> Open(std::string_view name);
  // Forgets a named store; handles still open keep their data until closed.
  static void Drop(std::string_view name);
  ~MemoryStore() override;

  std::string_view backend() const override { return "memory"; }

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

  int64_t DiskBytes() override { return 0; }

 private:
  explicit MemoryStore(std::shared_ptr<MemoryData> data);

  std::shared_ptr<MemoryData> data_;
};

}  // namespace zp::store
