#include "memory/memory_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <utility>
#include <vector>

namespace zp::store {

namespace {

// Rows of one registry kind: by id (list order) and by code (uniqueness). Ids are never reused.
template <typename T>
struct RegistryTable {
  std::map<int64_t, T> rows;
  std::map<std::string, int64_t, std::less<>> by_code;
  int64_t last_id = 0;

  bool Has(std::string_view code) const { return by_code.find(code) != by_code.end(); }
  int64_t Insert(T row) {
    row.id = ++last_id;
    by_code.emplace(row.code, row.id);
    rows.emplace(row.id, std::move(row));
    return last_id;
  }
  bool Update(const T& row) {
    auto it = by_code.find(row.code);
    if (it == by_code.end()) return false;
    T& stored = rows.at(it->second);
    stored = row;
    stored.id = it->second;
    return true;
  }
  bool Erase(std::string_view code) {
    auto it = by_code.find(code);
    if (it == by_code.end()) return false;
    rows.erase(it->second);
    by_code.erase(it);
    return true;
  }
  std::vector<T> List() const {
    std::vector<T> out;
    out.reserve(rows.size());
    for (const auto& [id, row] : rows) out.push_back(row);
    return out;
  }
};

using SeriesKey = std::pair<int64_t, int32_t>;  // (series_id, day or month)

// The rules the SQLite schema enforces with NOT NULL (NaN binds as NULL) and CHECK constraints.
Status CheckZone(const model::Zone&) { return Status::OK(); }
Status CheckEnterprise(const model::Enterprise& e) {
  if (std::isnan(e.land_area_mu)) {
    return InvalidArgumentError(fmt::format("enterprise '{}': land_area_mu is NaN", e.code));
  }
  return Status::OK();
}
Status CheckMeter(const model::Meter& m) {
  if (std::isnan(m.multiplier)) {
    return InvalidArgumentError(fmt::format("meter '{}': multiplier is NaN", m.code));
  }
  return Status::OK();
}
Status CheckChunk(const Chunk& c) {
  if (c.resolution_s < 0 || c.count < 0 || c.flagged < 0 || c.suspect_zero < 0 ||
      std::isnan(c.sum)) {
    return InvalidArgumentError(fmt::format(
        "chunk (series {}, day {}): negative resolution/count/flagged/suspect_zero or NaN sum",
        c.series_id, c.day));
  }
  return Status::OK();
}
Status CheckMonth(const MonthSum& m) {
  if (m.count < 0 || std::isnan(m.sum)) {
    return InvalidArgumentError(
        fmt::format("month sum (series {}, month {}): negative count or "
                    "NaN sum",
                    m.series_id, m.month));
  }
  return Status::OK();
}
Status CheckCorrection(const Correction& c) {
  if (std::isnan(c.old_value) || std::isnan(c.new_value)) {
    return InvalidArgumentError(
        fmt::format("correction (series {}, ts {}): NaN value", c.series_id, c.ts_s));
  }
  return Status::OK();
}

// SQLite: value REAL NOT NULL CHECK (abs(value) <= 1e308), month CHECK (month BETWEEN 0 AND 12).
Status CheckEnterpriseDatum(const model::EnterpriseDatum& d) {
  if (!(std::abs(d.value) <= 1e308) || d.period.month < 0 || d.period.month > 12) {
    return InvalidArgumentError(
        fmt::format("enterprise datum ({} {} {}.{}): value not finite or month outside 0..12",
                    d.enterprise_code, d.indicator, d.period.year, d.period.month));
  }
  return Status::OK();
}

// SQLite: source/pollutant CHECK (<> ''), REAL columns CHECK (abs(x) <= 1e308) (refuses NaN and
// infinities), counts CHECK (>= 0), alarm state one of the three.
bool Finite(double v) { return std::abs(v) <= 1e308; }
Status CheckEnvFrame(const EnvFrameRow& f) {
  if (f.source.empty()) {
    return InvalidArgumentError(
        fmt::format("env frame (cn {}, time {}): empty source", f.cn, f.data_time_s));
  }
  return Status::OK();
}
Status CheckEnvHour(const EnvHourRow& h) {
  if (h.source.empty() || h.pollutant.empty() || !Finite(h.avg) || !Finite(h.zs_avg) ||
      !Finite(h.min) || !Finite(h.max) || !Finite(h.load_kg) || !Finite(h.limit) || h.samples < 0 ||
      h.valid < 0 || h.expected < 0) {
    return InvalidArgumentError(fmt::format(
        "env hour ({} {} {}): empty source/pollutant, value not finite or negative count", h.source,
        h.pollutant, h.hour_s));
  }
  return Status::OK();
}
Status CheckAlarm(const AlarmRow& a) {
  if ((a.state != "open" && a.state != "acknowledged" && a.state != "closed") ||
      a.occurrences < 0 || !Finite(a.value) || !Finite(a.limit)) {
    return InvalidArgumentError(fmt::format(
        "alarm ({} {} {}): state '{}' not open/acknowledged/closed, negative occurrences or value "
        "not finite",
        a.kind, a.source, a.pollutant, a.state));
  }
  return Status::OK();
}

// Rows of `map` keyed (series, k) with from <= k < to over every series, skipping past the keys
// outside the range with one lookup per series.
template <typename Map, typename Fn>
void ScanAllSeries(const Map& map, int32_t from, int32_t to, Fn&& fn) {
  if (from >= to) return;
  auto it = map.lower_bound(SeriesKey(std::numeric_limits<int64_t>::min(), from));
  while (it != map.end()) {
    const auto& [series_id, k] = it->first;
    if (k < from) {
      it = map.lower_bound(SeriesKey(series_id, from));
    } else if (k >= to) {
      if (series_id == std::numeric_limits<int64_t>::max()) return;
      it = map.lower_bound(SeriesKey(series_id + 1, from));
    } else {
      fn(it->second);
      ++it;
    }
  }
}

template <typename Map, typename Fn>
void ScanSeriesList(const Map& map, std::span<const int64_t> ids, int32_t from, int32_t to,
                    Fn&& fn) {
  if (from >= to) return;
  std::vector<int64_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (int64_t id : sorted) {
    for (auto it = map.lower_bound(SeriesKey(id, from));
         it != map.end() && it->first.first == id && it->first.second < to; ++it) {
      fn(it->second);
    }
  }
}

}  // namespace

struct MemoryData {
  std::shared_mutex mu;
  std::optional<model::Park> park;
  RegistryTable<model::Zone> zones;
  RegistryTable<model::Enterprise> enterprises;
  RegistryTable<model::Meter> meters;
  std::map<std::string, std::string, std::less<>> settings;
  std::map<int64_t, std::string> log;
  int64_t last_seq = 0;
  std::map<SeriesKey, Chunk> chunks;
  std::map<SeriesKey, MonthSum> months;
  // (series_id, ts_s) -> correction; equal keys keep insertion order.
  std::multimap<std::pair<int64_t, int64_t>, Correction> corrections;
  // Every version of enterprise data, ascending by seq.
  std::vector<model::EnterpriseDatum> enterprise_data;
  int64_t last_enterprise_seq = 0;
  // Accounts: users by id and by lower-cased name, credentials by id and by secret hash, the
  // audit log in seq order (seq = index + 1).
  std::map<int64_t, UserRow> users;
  std::map<std::string, int64_t, std::less<>> user_by_name;
  int64_t last_user_id = 0;
  std::map<int64_t, CredentialRow> credentials;
  std::map<std::string, int64_t, std::less<>> credential_by_hash;
  int64_t last_credential_id = 0;
  std::vector<AuditRow> audit;
  // The green-power ledger (seq = index + 1).
  std::vector<LedgerRow> ledger;
  // Environmental monitoring: frames in seq order (seq = index + 1) with their indexes by
  // (source, data_time_s) and by data_time_s (equal keys keep insertion, i.e. seq, order); hours
  // by source, pollutant, hour; alarms by id.
  std::vector<EnvFrameRow> env_frames;
  std::map<std::string, std::multimap<int64_t, size_t>, std::less<>> env_frames_by_source;
  std::multimap<int64_t, size_t> env_frames_by_time;
  std::map<std::string, std::map<std::string, std::map<int64_t, EnvHourRow>, std::less<>>,
           std::less<>>
      env_hours;
  std::map<int64_t, AlarmRow> alarms;
  int64_t last_alarm_id = 0;
};

namespace {

// Named stores. Leaked on purpose: handles may outlive static destruction order.
struct NamedStores {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<MemoryData>, std::less<>> by_name;
};
NamedStores& Named() {
  static auto* named = new NamedStores;
  return *named;
}

}  // namespace

std::unique_ptr<MemoryStore> MemoryStore::Open(std::string_view name) {
  if (name.empty())
    return std::unique_ptr<MemoryStore>(new MemoryStore(std::make_shared<MemoryData>()));
  NamedStores& named = Named();
  std::lock_guard lock(named.mu);
  auto it = named.by_name.find(name);
  if (it == named.by_name.end()) {
    it = named.by_name.emplace(std::string(name), std::make_shared<MemoryData>()).first;
  }
  return std::unique_ptr<MemoryStore>(new MemoryStore(it->second));
}

void MemoryStore::Drop(std::string_view name) {
  NamedStores& named = Named();
  std::lock_guard lock(named.mu);
  auto it = named.by_name.find(name);
  if (it != named.by_name.end()) named.by_name.erase(it);
}

MemoryStore::MemoryStore(std::shared_ptr<MemoryData> data) : data_(std::move(data)) {}
MemoryStore::~MemoryStore() = default;

// ---- park.

Result<std::optional<model::Park>> MemoryStore::GetPark() {
  std::shared_lock lock(data_->mu);
  return data_->park;
}

Status MemoryStore::PutPark(const model::Park& park) {
  std::unique_lock lock(data_->mu);
  data_->park = park;
  return Status::OK();
}

// ---- registry.

namespace {

template <typename T>
Result<int64_t> InsertInto(RegistryTable<T>& table, const T& row, std::string_view kind,
                           Status check) {
  ZP_RETURN_IF_ERROR(check);
  if (table.Has(row.code))
    return AlreadyExistsError(fmt::format("{} '{}' already exists", kind, row.code));
  return table.Insert(row);
}

template <typename T>
Status UpdateIn(RegistryTable<T>& table, const T& row, std::string_view kind, Status check) {
  ZP_RETURN_IF_ERROR(check);
  if (!table.Update(row)) return NotFoundError(fmt::format("{} '{}' not found", kind, row.code));
  return Status::OK();
}

template <typename T>
Status EraseFrom(RegistryTable<T>& table, std::string_view code, std::string_view kind) {
  if (!table.Erase(code)) return NotFoundError(fmt::format("{} '{}' not found", kind, code));
  return Status::OK();
}

// Checks a batch of one kind against the table and itself without changing anything.
template <typename T, typename CheckFn>
Status CheckBatch(const RegistryTable<T>& table, const std::vector<T>& rows, std::string_view kind,
                  CheckFn check) {
  std::set<std::string_view> seen;
  for (const T& row : rows) {
    ZP_RETURN_IF_ERROR(check(row));
    if (table.Has(row.code) || !seen.insert(row.code).second) {
      return AlreadyExistsError(fmt::format("{} '{}' already exists", kind, row.code));
    }
  }
  return Status::OK();
}

}  // namespace

Result<int64_t> MemoryStore::InsertZone(const model::Zone& zone) {
  std::unique_lock lock(data_->mu);
  return InsertInto(data_->zones, zone, "zone", CheckZone(zone));
}
Status MemoryStore::UpdateZone(const model::Zone& zone) {
  std::unique_lock lock(data_->mu);
  return UpdateIn(data_->zones, zone, "zone", CheckZone(zone));
}
Status MemoryStore::DeleteZone(std::string_view code) {
  std::unique_lock lock(data_->mu);
  return EraseFrom(data_->zones, code, "zone");
}
Result<std::vector<model::Zone>> MemoryStore::ListZones() {
  std::shared_lock lock(data_->mu);
  return data_->zones.List();
}

Result<int64_t> MemoryStore::InsertEnterprise(const model::Enterprise& e) {
  std::unique_lock lock(data_->mu);
  return InsertInto(data_->enterprises, e, "enterprise", CheckEnterprise(e));
}
Status MemoryStore::UpdateEnterprise(const model::Enterprise& e) {
  std::unique_lock lock(data_->mu);
  return UpdateIn(data_->enterprises, e, "enterprise", CheckEnterprise(e));
}
Status MemoryStore::DeleteEnterprise(std::string_view code) {
  std::unique_lock lock(data_->mu);
  return EraseFrom(data_->enterprises, code, "enterprise");
}
Result<std::vector<model::Enterprise>> MemoryStore::ListEnterprises() {
  std::shared_lock lock(data_->mu);
  return data_->enterprises.List();
}

Result<int64_t> MemoryStore::InsertMeter(const model::Meter& m) {
  std::unique_lock lock(data_->mu);
  return InsertInto(data_->meters, m, "meter", CheckMeter(m));
}
Status MemoryStore::UpdateMeter(const model::Meter& m) {
  std::unique_lock lock(data_->mu);
  return UpdateIn(data_->meters, m, "meter", CheckMeter(m));
}
Status MemoryStore::DeleteMeter(std::string_view code) {
  std::unique_lock lock(data_->mu);
  return EraseFrom(data_->meters, code, "meter");
}
Result<std::vector<model::Meter>> MemoryStore::ListMeters() {
  std::shared_lock lock(data_->mu);
  return data_->meters.List();
}

Status MemoryStore::InsertRegistryBatch(const std::vector<model::Zone>& zones,
                                        const std::vector<model::Enterprise>& enterprises,
                                        const std::vector<model::Meter>& meters) {
  std::unique_lock lock(data_->mu);
  ZP_RETURN_IF_ERROR(CheckBatch(data_->zones, zones, "zone", CheckZone));
  ZP_RETURN_IF_ERROR(CheckBatch(data_->enterprises, enterprises, "enterprise", CheckEnterprise));
  ZP_RETURN_IF_ERROR(CheckBatch(data_->meters, meters, "meter", CheckMeter));
  for (const model::Zone& z : zones) data_->zones.Insert(z);
  for (const model::Enterprise& e : enterprises) data_->enterprises.Insert(e);
  for (const model::Meter& m : meters) data_->meters.Insert(m);
  return Status::OK();
}

// ---- settings.

Result<std::optional<std::string>> MemoryStore::GetSetting(std::string_view key) {
  std::shared_lock lock(data_->mu);
  auto it = data_->settings.find(key);
  if (it == data_->settings.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryStore::PutSetting(std::string_view key, std::string_view value) {
  std::unique_lock lock(data_->mu);
  data_->settings.insert_or_assign(std::string(key), std::string(value));
  return Status::OK();
}

Result<std::vector<std::pair<std::string, std::string>>> MemoryStore::ListSettings(
    std::string_view prefix) {
  std::shared_lock lock(data_->mu);
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = data_->settings.lower_bound(prefix);
       it != data_->settings.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    out.emplace_back(it->first, it->second);
  }
  return out;
}

// ---- ingest log.

Result<int64_t> MemoryStore::AppendLog(std::span<const std::string> payloads) {
  std::unique_lock lock(data_->mu);
  for (const std::string& payload : payloads) data_->log.emplace(++data_->last_seq, payload);
  return data_->last_seq;
}

Status MemoryStore::ReadLog(const std::function<Status(int64_t, std::string_view)>& fn) {
  std::shared_lock lock(data_->mu);
  for (const auto& [seq, payload] : data_->log) ZP_RETURN_IF_ERROR(fn(seq, payload));
  return Status::OK();
}

// ---- chunks and rollups.

namespace {
Chunk WithoutData(const Chunk& c) {
  Chunk r;
  r.series_id = c.series_id;
  r.day = c.day;
  r.resolution_s = c.resolution_s;
  r.count = c.count;
  r.sum = c.sum;
  r.flagged = c.flagged;
  r.suspect_zero = c.suspect_zero;
  return r;
}
}  // namespace

Status MemoryStore::ReadChunks(int64_t series_id, int32_t from_day, int32_t to_day,
                               std::vector<Chunk>* out) {
  out->clear();
  std::shared_lock lock(data_->mu);
  for (auto it = data_->chunks.lower_bound(SeriesKey(series_id, from_day));
       it != data_->chunks.end() && it->first.first == series_id && it->first.second < to_day;
       ++it) {
    out->push_back(it->second);
  }
  return Status::OK();
}

Result<std::optional<Chunk>> MemoryStore::LatestChunkBefore(int64_t series_id, int32_t before_day) {
  std::shared_lock lock(data_->mu);
  auto it = data_->chunks.lower_bound(SeriesKey(series_id, before_day));
  while (it != data_->chunks.begin()) {
    --it;
    if (it->first.first != series_id) break;
    if (!it->second.data.empty()) return std::optional<Chunk>(it->second);
  }
  return std::optional<Chunk>();
}

Status MemoryStore::ReadDailyRollups(std::span<const int64_t> series_ids, int32_t from_day,
                                     int32_t to_day, const std::function<void(const Chunk&)>& fn) {
  std::shared_lock lock(data_->mu);
  auto emit = [&](const Chunk& c) { fn(WithoutData(c)); };
  if (series_ids.empty()) {
    ScanAllSeries(data_->chunks, from_day, to_day, emit);
  } else {
    ScanSeriesList(data_->chunks, series_ids, from_day, to_day, emit);
  }
  return Status::OK();
}

Status MemoryStore::ReadMonthSums(std::span<const int64_t> series_ids, int32_t from_month,
                                  int32_t to_month,
                                  const std::function<void(const MonthSum&)>& fn) {
  std::shared_lock lock(data_->mu);
  if (series_ids.empty()) {
    ScanAllSeries(data_->months, from_month, to_month, fn);
  } else {
    ScanSeriesList(data_->months, series_ids, from_month, to_month, fn);
  }
  return Status::OK();
}

Status MemoryStore::ListRawChunksBefore(int32_t before_day,
                                        const std::function<void(int64_t, int32_t)>& fn) {
  std::shared_lock lock(data_->mu);
  for (const auto& [key, c] : data_->chunks) {
    if (key.second < before_day && c.resolution_s == 0 && !c.data.empty())
      fn(key.first, key.second);
  }
  return Status::OK();
}

Status MemoryStore::ReadCorrections(int64_t series_id, int64_t from_s, int64_t to_s,
                                    std::vector<Correction>* out) {
  out->clear();
  std::shared_lock lock(data_->mu);
  if (from_s >= to_s) return Status::OK();
  auto end = data_->corrections.lower_bound({series_id, to_s});
  for (auto it = data_->corrections.lower_bound({series_id, from_s}); it != end; ++it) {
    out->push_back(it->second);
  }
  return Status::OK();
}

Status MemoryStore::Commit(const FlushBatch& batch) {
  std::unique_lock lock(data_->mu);
  for (const Chunk& c : batch.chunks) ZP_RETURN_IF_ERROR(CheckChunk(c));
  for (const MonthSum& m : batch.months) ZP_RETURN_IF_ERROR(CheckMonth(m));
  for (const Correction& c : batch.corrections) ZP_RETURN_IF_ERROR(CheckCorrection(c));
  for (const Chunk& c : batch.chunks)
    data_->chunks.insert_or_assign(SeriesKey(c.series_id, c.day), c);
  for (const MonthSum& m : batch.months) {
    data_->months.insert_or_assign(SeriesKey(m.series_id, m.month), m);
  }
  for (const Correction& c : batch.corrections) {
    data_->corrections.emplace(std::make_pair(c.series_id, c.ts_s), c);
  }
  if (batch.log_truncate_upto > 0) {
    data_->log.erase(data_->log.begin(), data_->log.upper_bound(batch.log_truncate_upto));
  }
  return Status::OK();
}

// ---- accounts.

namespace {
// The SQLite schema's lower(): ASCII only.
std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}
}  // namespace

Result<int64_t> MemoryStore::InsertUser(const UserRow& u) {
  std::unique_lock lock(data_->mu);
  std::string key = AsciiLower(u.username);
  if (data_->user_by_name.count(key) != 0) {
    return AlreadyExistsError(fmt::format("user '{}' already exists", u.username));
  }
  UserRow& row = data_->users[++data_->last_user_id];
  row = u;
  row.id = data_->last_user_id;
  data_->user_by_name.emplace(std::move(key), row.id);
  return row.id;
}

Status MemoryStore::UpdateUser(const UserRow& u) {
  std::unique_lock lock(data_->mu);
  auto it = data_->users.find(u.id);
  if (it == data_->users.end()) return NotFoundError(fmt::format("user {} not found", u.id));
  std::string old_key = AsciiLower(it->second.username);
  std::string new_key = AsciiLower(u.username);
  if (new_key != old_key) {
    if (data_->user_by_name.count(new_key) != 0) {
      return AlreadyExistsError(fmt::format("user '{}' already exists", u.username));
    }
    data_->user_by_name.erase(old_key);
    data_->user_by_name.emplace(std::move(new_key), u.id);
  }
  it->second = u;
  return Status::OK();
}

Result<std::vector<UserRow>> MemoryStore::ListUsers() {
  std::shared_lock lock(data_->mu);
  std::vector<UserRow> out;
  out.reserve(data_->users.size());
  for (const auto& [id, row] : data_->users) out.push_back(row);
  return out;
}

Result<std::optional<UserRow>> MemoryStore::GetUser(int64_t id) {
  std::shared_lock lock(data_->mu);
  auto it = data_->users.find(id);
  if (it == data_->users.end()) return std::optional<UserRow>();
  return std::optional<UserRow>(it->second);
}

Result<std::optional<UserRow>> MemoryStore::FindUser(std::string_view username) {
  std::shared_lock lock(data_->mu);
  auto it = data_->user_by_name.find(AsciiLower(username));
  if (it == data_->user_by_name.end()) return std::optional<UserRow>();
  return std::optional<UserRow>(data_->users.at(it->second));
}

Result<int64_t> MemoryStore::InsertCredential(const CredentialRow& c) {
  std::unique_lock lock(data_->mu);
  if (data_->credential_by_hash.count(c.secret_hash) != 0) {
    return AlreadyExistsError("credential with this secret hash already exists");
  }
  CredentialRow& row = data_->credentials[++data_->last_credential_id];
  row = c;
  row.id = data_->last_credential_id;
  data_->credential_by_hash.emplace(row.secret_hash, row.id);
  return row.id;
}

Result<std::optional<CredentialRow>> MemoryStore::FindCredential(std::string_view secret_hash) {
  std::shared_lock lock(data_->mu);
  auto it = data_->credential_by_hash.find(secret_hash);
  if (it == data_->credential_by_hash.end()) return std::optional<CredentialRow>();
  return std::optional<CredentialRow>(data_->credentials.at(it->second));
}

Result<std::vector<CredentialRow>> MemoryStore::ListCredentials(int64_t user_id) {
  std::shared_lock lock(data_->mu);
  std::vector<CredentialRow> out;
  for (const auto& [id, row] : data_->credentials) {
    if (user_id == 0 || row.user_id == user_id) out.push_back(row);
  }
  return out;
}

Status MemoryStore::UpdateCredential(int64_t id, bool revoked, int64_t last_used_s) {
  std::unique_lock lock(data_->mu);
  auto it = data_->credentials.find(id);
  if (it == data_->credentials.end()) {
    return NotFoundError(fmt::format("credential {} not found", id));
  }
  if (revoked) it->second.revoked = true;
  it->second.last_used_s = std::max(it->second.last_used_s, last_used_s);
  return Status::OK();
}

Result<int64_t> MemoryStore::PurgeCredentials(int64_t now_s) {
  std::unique_lock lock(data_->mu);
  int64_t deleted = 0;
  for (auto it = data_->credentials.begin(); it != data_->credentials.end();) {
    const CredentialRow& c = it->second;
    const bool ephemeral = c.kind == "session" || c.kind == "setup";
    const bool dead = c.revoked || (c.expires_s != 0 && c.expires_s <= now_s);
    if (ephemeral && dead) {
      data_->credential_by_hash.erase(c.secret_hash);
      it = data_->credentials.erase(it);
      ++deleted;
    } else {
      ++it;
    }
  }
  return deleted;
}

Result<int64_t> MemoryStore::AppendAudit(const AuditRow& row) {
  std::unique_lock lock(data_->mu);
  AuditRow& stored = data_->audit.emplace_back(row);
  stored.seq = static_cast<int64_t>(data_->audit.size());
  return stored.seq;
}

Status MemoryStore::ReadAudit(int64_t from_seq, int64_t limit, std::string_view actor,
                              std::string_view target_prefix,
                              const std::function<void(const AuditRow&)>& fn) {
  std::shared_lock lock(data_->mu);
  const auto& audit = data_->audit;
  int64_t emitted = 0;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(from_seq, 1) - 1);
       i < audit.size() && (limit <= 0 || emitted < limit); ++i) {
    const AuditRow& row = audit[i];
    if ((actor.empty() || row.actor == actor) && row.target.starts_with(target_prefix)) {
      fn(row);
      ++emitted;
    }
  }
  return Status::OK();
}

// ---- green-power ledger.

Status MemoryStore::AppendLedger(std::span<const LedgerRow> rows) {
  std::unique_lock lock(data_->mu);
  auto& ledger = data_->ledger;
  int64_t expected = static_cast<int64_t>(ledger.size()) + 1;
  for (const LedgerRow& r : rows) {
    if (r.seq != expected) {
      return FailedPreconditionError(
          fmt::format("ledger append: seq {} is not the next seq {}", r.seq, expected));
    }
    ++expected;
  }
  ledger.insert(ledger.end(), rows.begin(), rows.end());
  return Status::OK();
}

Status MemoryStore::ReadLedger(int64_t from_seq, int64_t limit,
                               const std::function<void(const LedgerRow&)>& fn) {
  std::shared_lock lock(data_->mu);
  const auto& ledger = data_->ledger;
  int64_t emitted = 0;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(from_seq, 1) - 1);
       i < ledger.size() && (limit <= 0 || emitted < limit); ++i, ++emitted) {
    fn(ledger[i]);
  }
  return Status::OK();
}

Result<int64_t> MemoryStore::LedgerSize() {
  std::shared_lock lock(data_->mu);
  return static_cast<int64_t>(data_->ledger.size());
}

// ---- enterprise data.

Result<int64_t> MemoryStore::AppendEnterpriseData(std::span<const model::EnterpriseDatum> rows) {
  std::unique_lock lock(data_->mu);
  for (const model::EnterpriseDatum& d : rows) ZP_RETURN_IF_ERROR(CheckEnterpriseDatum(d));
  data_->enterprise_data.reserve(data_->enterprise_data.size() + rows.size());
  for (const model::EnterpriseDatum& d : rows) {
    model::EnterpriseDatum& stored = data_->enterprise_data.emplace_back(d);
    stored.seq = ++data_->last_enterprise_seq;
  }
  return data_->last_enterprise_seq;
}

Status MemoryStore::ReadEnterpriseData(
    std::string_view enterprise_code, std::string_view indicator,
    const std::function<void(const model::EnterpriseDatum&)>& fn) {
  std::shared_lock lock(data_->mu);
  for (const model::EnterpriseDatum& d : data_->enterprise_data) {
    if ((enterprise_code.empty() || d.enterprise_code == enterprise_code) &&
        (indicator.empty() || d.indicator == indicator)) {
      fn(d);
    }
  }
  return Status::OK();
}

// ---- environmental monitoring.

Result<int64_t> MemoryStore::AppendEnvFrames(std::span<const EnvFrameRow> rows) {
  std::unique_lock lock(data_->mu);
  for (const EnvFrameRow& f : rows) ZP_RETURN_IF_ERROR(CheckEnvFrame(f));
  auto& frames = data_->env_frames;
  frames.reserve(frames.size() + rows.size());
  for (const EnvFrameRow& f : rows) {
    const size_t index = frames.size();
    EnvFrameRow& stored = frames.emplace_back(f);
    stored.seq = static_cast<int64_t>(index) + 1;
    auto it = data_->env_frames_by_source.find(stored.source);
    if (it == data_->env_frames_by_source.end()) {
      it = data_->env_frames_by_source.emplace(stored.source, std::multimap<int64_t, size_t>())
               .first;
    }
    it->second.emplace(stored.data_time_s, index);
    data_->env_frames_by_time.emplace(stored.data_time_s, index);
  }
  return static_cast<int64_t>(frames.size());
}

Status MemoryStore::ReadEnvFrames(std::string_view source, int32_t cn, int64_t from_s, int64_t to_s,
                                  int64_t limit,
                                  const std::function<void(const EnvFrameRow&)>& fn) {
  std::shared_lock lock(data_->mu);
  if (from_s >= to_s) return Status::OK();
  const std::multimap<int64_t, size_t>* index = &data_->env_frames_by_time;
  if (!source.empty()) {
    auto it = data_->env_frames_by_source.find(source);
    if (it == data_->env_frames_by_source.end()) return Status::OK();
    index = &it->second;
  }
  int64_t emitted = 0;
  const auto end = index->lower_bound(to_s);
  for (auto it = index->lower_bound(from_s); it != end && (limit <= 0 || emitted < limit); ++it) {
    const EnvFrameRow& f = data_->env_frames[it->second];
    if (cn != 0 && f.cn != cn) continue;
    fn(f);
    ++emitted;
  }
  return Status::OK();
}

Status MemoryStore::PutEnvHours(std::span<const EnvHourRow> rows) {
  std::unique_lock lock(data_->mu);
  for (const EnvHourRow& h : rows) ZP_RETURN_IF_ERROR(CheckEnvHour(h));
  for (const EnvHourRow& h : rows) {
    data_->env_hours[h.source][h.pollutant].insert_or_assign(h.hour_s, h);
  }
  return Status::OK();
}

Status MemoryStore::ReadEnvHours(std::string_view source, std::string_view pollutant,
                                 int64_t from_s, int64_t to_s,
                                 const std::function<void(const EnvHourRow&)>& fn) {
  std::shared_lock lock(data_->mu);
  if (from_s >= to_s) return Status::OK();
  auto emit_hours = [&](const std::map<int64_t, EnvHourRow>& hours) {
    for (auto it = hours.lower_bound(from_s); it != hours.end() && it->first < to_s; ++it) {
      fn(it->second);
    }
  };
  auto emit_source = [&](const auto& pollutants) {
    if (pollutant.empty()) {
      for (const auto& [code, hours] : pollutants) emit_hours(hours);
    } else if (auto it = pollutants.find(pollutant); it != pollutants.end()) {
      emit_hours(it->second);
    }
  };
  if (source.empty()) {
    for (const auto& [code, pollutants] : data_->env_hours) emit_source(pollutants);
  } else if (auto it = data_->env_hours.find(source); it != data_->env_hours.end()) {
    emit_source(it->second);
  }
  return Status::OK();
}

Result<int64_t> MemoryStore::InsertAlarm(const AlarmRow& row) {
  std::unique_lock lock(data_->mu);
  ZP_RETURN_IF_ERROR(CheckAlarm(row));
  const int64_t id = ++data_->last_alarm_id;
  AlarmRow& stored = data_->alarms[id];
  stored = row;
  stored.id = id;
  return id;
}

Status MemoryStore::UpdateAlarm(const AlarmRow& row) {
  std::unique_lock lock(data_->mu);
  auto it = data_->alarms.find(row.id);
  if (it == data_->alarms.end()) return NotFoundError(fmt::format("alarm {} not found", row.id));
  ZP_RETURN_IF_ERROR(CheckAlarm(row));
  it->second = row;
  return Status::OK();
}

Result<std::optional<AlarmRow>> MemoryStore::GetAlarm(int64_t id) {
  std::shared_lock lock(data_->mu);
  auto it = data_->alarms.find(id);
  if (it == data_->alarms.end()) return std::optional<AlarmRow>();
  return std::optional<AlarmRow>(it->second);
}

Status MemoryStore::ListAlarms(const AlarmFilter& filter,
                               const std::function<void(const AlarmRow&)>& fn) {
  std::shared_lock lock(data_->mu);
  const auto& alarms = data_->alarms;
  auto matches = [&](const AlarmRow& a) {
    if (!filter.zones.empty() &&
        std::find(filter.zones.begin(), filter.zones.end(), a.zone_code) == filter.zones.end()) {
      return false;
    }
    if (!filter.state.empty()) {
      if (filter.state == "active" ? a.state == "closed" : a.state != filter.state) return false;
    }
    return (filter.enterprise_code.empty() || a.enterprise_code == filter.enterprise_code) &&
           (filter.source.empty() || a.source == filter.source) &&
           (filter.pollutant.empty() || a.pollutant == filter.pollutant) &&
           (filter.kind.empty() || a.kind == filter.kind) &&
           (filter.from_s == 0 || a.last_s >= filter.from_s) &&
           (filter.to_s == 0 || a.opened_s < filter.to_s);
  };
  auto it = filter.before_id != 0 ? alarms.lower_bound(filter.before_id) : alarms.end();
  int64_t emitted = 0;
  while (it != alarms.begin() && (filter.limit <= 0 || emitted < filter.limit)) {
    --it;
    if (matches(it->second)) {
      fn(it->second);
      ++emitted;
    }
  }
  return Status::OK();
}

}  // namespace zp::store
