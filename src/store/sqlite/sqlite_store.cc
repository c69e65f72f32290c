#include "sqlite/sqlite_store.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "sqlite/segment_log.h"
#include "zp/base/logging.h"
#include "zp/units/units.h"

namespace zp::store {
namespace {

// PRAGMA application_id of every zeropark database: "ZPDB".
constexpr int32_t kApplicationId = 0x5A504442;
constexpr int kPageSize = 8192;
constexpr int kBusyTimeoutMs = 10000;
// The WAL is cut back to this size whenever it is reset (PRAGMA journal_size_limit) ...
constexpr int64_t kJournalSizeLimit = int64_t{8} << 20;
// ... and after a flush that leaves it larger than this, it is checkpointed and truncated.
constexpr int64_t kWalShrinkBytes = int64_t{1} << 20;
// How long that checkpoint waits for readers of older snapshots before giving up for this time.
constexpr int kCheckpointBusyMs = 200;

constexpr char kSchemaV1Sql[] =
#include "sqlite/schema_v1.sql.inc"
    ;
constexpr char kMigrationV2Sql[] =
#include "sqlite/migration_v2.sql.inc"
    ;
constexpr char kMigrationV3Sql[] =
#include "sqlite/migration_v3.sql.inc"
    ;
constexpr char kMigrationV4Sql[] =
#include "sqlite/migration_v4.sql.inc"
    ;
constexpr char kMigrationV5Sql[] =
#include "sqlite/migration_v5.sql.inc"
    ;
constexpr char kMigrationV6Sql[] =
#include "sqlite/migration_v6.sql.inc"
    ;

// Migration 1 -> 2, C++ half, run before its SQL: moves the rows of v1's ingest_log table into a
// log segment and records how far the log was flushed.
Status MoveV1LogToSegments(SqliteStore::Conn& conn, const std::string& log_dir);

struct Migration {
  int32_t to_version;
  const char* sql;
  // Runs first, in the same transaction; log_dir is empty for ":memory:".
  Status (*prepare)(SqliteStore::Conn& conn, const std::string& log_dir);
};
// Migration i takes a database from version i to i + 1 (version 0: empty file).
constexpr Migration kMigrations[] = {
    {1, kSchemaV1Sql, nullptr},    {2, kMigrationV2Sql, MoveV1LogToSegments},
    {3, kMigrationV3Sql, nullptr}, {4, kMigrationV4Sql, nullptr},
    {5, kMigrationV5Sql, nullptr}, {6, kMigrationV6Sql, nullptr},
};
static_assert(std::size(kMigrations) == kSchemaVersion, "one migration per schema version");

Status ErrorFromSqlite(sqlite3* db, int rc, std::string_view what) {
  std::string message =
      fmt::format("{}: {}", what, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExistsError(std::move(message));
      }
      return InvalidArgumentError(std::move(message));
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return InvalidArgumentError(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return UnavailableError(std::move(message));
    case SQLITE_FULL:
      return ResourceExhaustedError(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

// The on-disk spelling of the registry enums. Part of the file format: never rename.
std::string_view KindCode(model::MeterKind k) {
  switch (k) {
    case model::MeterKind::kInterval:
      return "interval";
    case model::MeterKind::kCumulative:
      return "cumulative";
    case model::MeterKind::kVirtual:
      return "virtual";
  }
  return "interval";
}
Result<model::MeterKind> KindFromCode(std::string_view s) {
  if (s == "interval") return model::MeterKind::kInterval;
  if (s == "cumulative") return model::MeterKind::kCumulative;
  if (s == "virtual") return model::MeterKind::kVirtual;
  return DataLossError(fmt::format("unknown meter kind '{}' in database", s));
}
std::string_view FlowCode(model::MeterFlow f) {
  return f == model::MeterFlow::kGeneration ? "generation" : "consumption";
}
Result<model::MeterFlow> FlowFromCode(std::string_view s) {
  if (s == "consumption") return model::MeterFlow::kConsumption;
  if (s == "generation") return model::MeterFlow::kGeneration;
  return DataLossError(fmt::format("unknown meter flow '{}' in database", s));
}

// The smallest string greater than every string starting with `prefix`; nullopt when none.
std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string upper(prefix);
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) upper.pop_back();
  if (upper.empty()) return std::nullopt;
  upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
  return upper;
}

}  // namespace

// One SQLite connection, its mutex and its cache of prepared statements (keyed by the address
// of the SQL text, which is always a constant below).
class SqliteStore::Conn {
 public:
  static Result<std::unique_ptr<Conn>> Open(const std::string& path) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(
        path.c_str(), &db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
        nullptr);
    if (rc != SQLITE_OK) {
      Status s = ErrorFromSqlite(db, rc, fmt::format("cannot open database '{}'", path));
      sqlite3_close_v2(db);
      return s;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    return std::unique_ptr<Conn>(new Conn(db));
  }

  ~Conn() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  sqlite3* db() { return db_; }
  std::mutex& mu() { return mu_; }

  Result<sqlite3_stmt*> Prepare(const char* sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return ErrorFromSqlite(db_, rc, "prepare");
    cache_.emplace(sql, stmt);
    return stmt;
  }

  // Runs a script of statements without caching them (schema, pragmas).
  Status Exec(const char* sql, std::string_view what) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return ErrorFromSqlite(db_, rc, what);
    return Status::OK();
  }

 private:
  explicit Conn(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::mutex mu_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

namespace {

using Conn = SqliteStore::Conn;

// A cached statement in use: bind, step, read columns; reset and unbound on destruction.
class Stmt {
 public:
  static Result<Stmt> Make(Conn& conn, const char* sql) {
    ZP_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn.Prepare(sql));
    return Stmt(conn.db(), s, /*owned=*/false);
  }
  // A statement built at run time (its text varies): prepared now, finalized on destruction.
  static Result<Stmt> MakeUncached(Conn& conn, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(conn.db(), sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      return ErrorFromSqlite(conn.db(), rc, "prepare");
    }
    return Stmt(conn.db(), s, /*owned=*/true);
  }
  Stmt(Stmt&& o) noexcept
      : db_(o.db_), s_(std::exchange(o.s_, nullptr)), bind_rc_(o.bind_rc_), owned_(o.owned_) {}
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt() {
    if (s_ == nullptr) return;
    if (owned_) {
      sqlite3_finalize(s_);
    } else {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }

  Stmt& Int(int i, int64_t v) { return Check(sqlite3_bind_int64(s_, i, v)); }
  Stmt& Real(int i, double v) { return Check(sqlite3_bind_double(s_, i, v)); }
  // Text and blobs are bound without copying: the caller keeps them alive until the next Reset.
  Stmt& Text(int i, std::string_view v) {
    return Check(sqlite3_bind_text64(s_, i, v.empty() ? "" : v.data(), v.size(), SQLITE_STATIC,
                                     SQLITE_UTF8));
  }
  Stmt& Blob(int i, std::string_view v) {
    return Check(sqlite3_bind_blob64(s_, i, v.empty() ? "" : v.data(), v.size(), SQLITE_STATIC));
  }

  // SQLITE_ROW, SQLITE_DONE, or an error code (a failed bind is reported here).
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(s_); }
  // Runs a statement that returns no rows.
  Status Run(std::string_view what) {
    int rc = Step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(rc, what);
    return Status::OK();
  }
  Status Error(int rc, std::string_view what) { return ErrorFromSqlite(db_, rc, what); }
  void Reset() {
    sqlite3_reset(s_);
    bind_rc_ = SQLITE_OK;
  }

  int64_t ColInt(int c) { return sqlite3_column_int64(s_, c); }
  int32_t ColInt32(int c) { return static_cast<int32_t>(sqlite3_column_int64(s_, c)); }
  double ColReal(int c) { return sqlite3_column_double(s_, c); }
  std::string_view ColText(int c) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    size_t n = static_cast<size_t>(sqlite3_column_bytes(s_, c));
    return p == nullptr ? std::string_view() : std::string_view(p, n);
  }
  std::string_view ColBlob(int c) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, c));
    size_t n = static_cast<size_t>(sqlite3_column_bytes(s_, c));
    return p == nullptr ? std::string_view() : std::string_view(p, n);
  }

 private:
  Stmt(sqlite3* db, sqlite3_stmt* s, bool owned) : db_(db), s_(s), owned_(owned) {}
  Stmt& Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }

  sqlite3* db_;
  sqlite3_stmt* s_;
  int bind_rc_ = SQLITE_OK;
  bool owned_ = false;
};

constexpr char kSqlBeginImmediate[] = "BEGIN IMMEDIATE";
constexpr char kSqlBeginRead[] = "BEGIN";
constexpr char kSqlCommit[] = "COMMIT";
constexpr char kSqlRollback[] = "ROLLBACK";

// A transaction on a connection whose mutex the caller holds; rolled back unless committed.
class Txn {
 public:
  explicit Txn(Conn& conn) : conn_(conn) {}
  ~Txn() {
    if (open_ && !sqlite3_get_autocommit(conn_.db())) {
      auto stmt = Stmt::Make(conn_, kSqlRollback);
      if (stmt.ok()) (void)stmt->Run("rollback");
    }
  }
  Status Begin(bool write) {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn_, write ? kSqlBeginImmediate : kSqlBeginRead));
    ZP_RETURN_IF_ERROR(stmt.Run("begin transaction"));
    open_ = true;
    return Status::OK();
  }
  Status Commit() {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn_, kSqlCommit));
    ZP_RETURN_IF_ERROR(stmt.Run("commit"));
    open_ = false;
    return Status::OK();
  }

 private:
  Conn& conn_;
  bool open_ = false;
};

// ---- SQL. Every statement is a named constant so the cache can key on its address.

constexpr char kSqlGetPark[] =
    "SELECT name, province, time_zone, grid_region, raw_retention_days FROM park WHERE id = 1";
constexpr char kSqlPutPark[] =
    "INSERT OR REPLACE INTO park (id, name, province, time_zone, grid_region, raw_retention_days) "
    "VALUES (1, ?1, ?2, ?3, ?4, ?5)";

constexpr char kSqlInsertZone[] =
    "INSERT INTO zones (code, name, officer, officer_contact) VALUES (?1, ?2, ?3, ?4)";
constexpr char kSqlUpdateZone[] =
    "UPDATE zones SET name = ?2, officer = ?3, officer_contact = ?4 WHERE code = ?1";
constexpr char kSqlDeleteZone[] = "DELETE FROM zones WHERE code = ?1";
constexpr char kSqlListZones[] =
    "SELECT id, code, name, officer, officer_contact FROM zones ORDER BY id";

constexpr char kSqlInsertEnterprise[] =
    "INSERT INTO enterprises (code, name, industry_code, land_area_mu, zone_code, "
    "key_energy_user) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kSqlUpdateEnterprise[] =
    "UPDATE enterprises SET name = ?2, industry_code = ?3, land_area_mu = ?4, zone_code = ?5, "
    "key_energy_user = ?6 WHERE code = ?1";
constexpr char kSqlDeleteEnterprise[] = "DELETE FROM enterprises WHERE code = ?1";
constexpr char kSqlListEnterprises[] =
    "SELECT id, code, name, industry_code, land_area_mu, zone_code, key_energy_user "
    "FROM enterprises ORDER BY id";

constexpr char kSqlInsertMeter[] =
    "INSERT INTO meters (code, name, enterprise_code, carrier, unit, kind, flow, interval_s, "
    "register_digits, multiplier, parent_code, formula) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
constexpr char kSqlUpdateMeter[] =
    "UPDATE meters SET name = ?2, enterprise_code = ?3, carrier = ?4, unit = ?5, kind = ?6, "
    "flow = ?7, interval_s = ?8, register_digits = ?9, multiplier = ?10, parent_code = ?11, "
    "formula = ?12 WHERE code = ?1";
constexpr char kSqlDeleteMeter[] = "DELETE FROM meters WHERE code = ?1";
constexpr char kSqlListMeters[] =
    "SELECT id, code, name, enterprise_code, carrier, unit, kind, flow, interval_s, "
    "register_digits, multiplier, parent_code, formula FROM meters ORDER BY id";

constexpr char kSqlGetSetting[] = "SELECT value FROM settings WHERE key = ?1";
constexpr char kSqlPutSetting[] = "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)";
constexpr char kSqlListSettingsAll[] = "SELECT key, value FROM settings ORDER BY key";
constexpr char kSqlListSettingsFrom[] =
    "SELECT key, value FROM settings WHERE key >= ?1 ORDER BY key";
constexpr char kSqlListSettingsRange[] =
    "SELECT key, value FROM settings WHERE key >= ?1 AND key < ?2 ORDER BY key";

// meta.log_flushed_upto: log records with seq <= it are in chunks. Only ever increases.
constexpr char kSqlSetLogFlushedUpto[] =
    "INSERT INTO meta (key, value) VALUES ('log_flushed_upto', ?1) ON CONFLICT (key) DO UPDATE "
    "SET value = excluded.value WHERE CAST(excluded.value AS INTEGER) > CAST(value AS INTEGER)";
constexpr char kSqlGetLogFlushedUpto[] =
    "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'log_flushed_upto'";

constexpr char kSqlReadChunks[] =
    "SELECT day, resolution_s, data, count, sum, flagged, suspect_zero FROM chunks "
    "WHERE series_id = ?1 AND day >= ?2 AND day < ?3 ORDER BY day";
constexpr char kSqlLatestChunkBefore[] =
    "SELECT day, resolution_s, data, count, sum, flagged, suspect_zero FROM chunks "
    "WHERE series_id = ?1 AND day < ?2 AND length(data) > 0 ORDER BY day DESC LIMIT 1";
constexpr char kSqlRollupsOfSeries[] =
    "SELECT day, resolution_s, count, sum, flagged, suspect_zero FROM chunks "
    "WHERE series_id = ?1 AND day >= ?2 AND day < ?3";
// Walks the primary key from (?1, ?2); the caller re-seeks past days outside the range, so a
// query over every series touches only the rows it returns plus one boundary row per series.
constexpr char kSqlRollupsFrom[] =
    "SELECT series_id, day, resolution_s, count, sum, flagged, suspect_zero FROM chunks "
    "WHERE (series_id, day) >= (?1, ?2) ORDER BY series_id, day";
constexpr char kSqlMonthsOfSeries[] =
    "SELECT month, sum, count FROM month_sums WHERE series_id = ?1 AND month >= ?2 AND month < ?3";
constexpr char kSqlMonthsFrom[] =
    "SELECT series_id, month, sum, count FROM month_sums "
    "WHERE (series_id, month) >= (?1, ?2) ORDER BY series_id, month";
// A scan of the whole table: it runs at most hourly, and an index on day would cost more space
// than the scan costs time (docs/storage.md).
constexpr char kSqlRawChunksBefore[] =
    "SELECT series_id, day FROM chunks WHERE day < ?1 AND resolution_s = 0 AND length(data) > 0";
constexpr char kSqlReadCorrections[] =
    "SELECT ts_s, old_value, new_value, source, recorded_s FROM corrections "
    "WHERE series_id = ?1 AND ts_s >= ?2 AND ts_s < ?3 ORDER BY ts_s, id";

constexpr char kSqlUpsertChunk[] =
    "INSERT OR REPLACE INTO chunks (series_id, day, resolution_s, data, count, sum, flagged, "
    "suspect_zero) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr char kSqlUpsertMonth[] =
    "INSERT OR REPLACE INTO month_sums (series_id, month, sum, count) VALUES (?1, ?2, ?3, ?4)";
constexpr char kSqlInsertCorrection[] =
    "INSERT INTO corrections (series_id, ts_s, old_value, new_value, source, recorded_s) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

// Enterprise data: appended, read in seq order by the filters ReadEnterpriseData offers (the
// index on (enterprise_code, indicator) serves the first two without a sort).
constexpr char kSqlInsertEnterpriseDatum[] =
    "INSERT INTO enterprise_data (enterprise_code, indicator, item, year, month, value, unit, "
    "source, note, recorded_s, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
constexpr char kSqlLastEnterpriseSeq[] = "SELECT coalesce(max(seq), 0) FROM enterprise_data";
constexpr char kSqlEnterpriseDataAll[] =
    "SELECT seq, enterprise_code, indicator, item, year, month, value, unit, source, note, "
    "recorded_s, deleted FROM enterprise_data ORDER BY seq";
constexpr char kSqlEnterpriseDataOfEnterprise[] =
    "SELECT seq, enterprise_code, indicator, item, year, month, value, unit, source, note, "
    "recorded_s, deleted FROM enterprise_data "
    "WHERE enterprise_code = ?1 ORDER BY seq";
constexpr char kSqlEnterpriseDataOfKey[] =
    "SELECT seq, enterprise_code, indicator, item, year, month, value, unit, source, note, "
    "recorded_s, deleted FROM enterprise_data "
    "WHERE enterprise_code = ?1 AND indicator = ?2 ORDER BY seq";
constexpr char kSqlEnterpriseDataOfIndicator[] =
    "SELECT seq, enterprise_code, indicator, item, year, month, value, unit, source, note, "
    "recorded_s, deleted FROM enterprise_data "
    "WHERE indicator = ?1 ORDER BY seq";

// Accounts. Users are found by name through the expression index users_by_name, so the lookup
// compares lower(username) with an already lower-cased name; credentials by the unique
// secret_hash index. An update never clears `revoked` and never lowers `last_used_s`.
constexpr char kSqlInsertUser[] =
    "INSERT INTO users (username, display_name, role, password_hash, enterprise_code, zones, "
    "disabled, created_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr char kSqlUpdateUser[] =
    "UPDATE users SET username = ?1, display_name = ?2, role = ?3, password_hash = ?4, "
    "enterprise_code = ?5, zones = ?6, disabled = ?7, created_s = ?8 WHERE id = ?9";
constexpr char kSqlListUsers[] =
    "SELECT id, username, display_name, role, password_hash, enterprise_code, zones, disabled, "
    "created_s FROM users ORDER BY id";
constexpr char kSqlGetUser[] =
    "SELECT id, username, display_name, role, password_hash, enterprise_code, zones, disabled, "
    "created_s FROM users WHERE id = ?1";
constexpr char kSqlFindUser[] =
    "SELECT id, username, display_name, role, password_hash, enterprise_code, zones, disabled, "
    "created_s FROM users WHERE lower(username) = ?1";
constexpr char kSqlInsertCredential[] =
    "INSERT INTO credentials (user_id, kind, secret_hash, csrf_hash, name, meters, created_s, "
    "expires_s, revoked, last_used_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr char kSqlFindCredential[] =
    "SELECT id, user_id, kind, secret_hash, csrf_hash, name, meters, created_s, expires_s, "
    "revoked, last_used_s FROM credentials WHERE secret_hash = ?1";
constexpr char kSqlListCredentialsAll[] =
    "SELECT id, user_id, kind, secret_hash, csrf_hash, name, meters, created_s, expires_s, "
    "revoked, last_used_s FROM credentials ORDER BY id";
constexpr char kSqlListCredentialsOfUser[] =
    "SELECT id, user_id, kind, secret_hash, csrf_hash, name, meters, created_s, expires_s, "
    "revoked, last_used_s FROM credentials WHERE user_id = ?1 ORDER BY id";
constexpr char kSqlPurgeCredentials[] =
    "DELETE FROM credentials WHERE kind IN ('session', 'setup') AND "
    "(revoked != 0 OR (expires_s != 0 AND expires_s <= ?1))";
constexpr char kSqlUpdateCredential[] =
    "UPDATE credentials SET revoked = max(revoked, ?2), last_used_s = max(last_used_s, ?3) "
    "WHERE id = ?1";
// The audit log: appended, read in seq order from a seq; the actor filter walks
// audit_log_by_actor (whose entries are in rowid = seq order per actor). The target prefix is
// compared as bytes.
constexpr char kSqlAppendAudit[] =
    "INSERT INTO audit_log (ts_s, actor, role, action, target, before_json, after_json, remote, "
    "status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr char kSqlReadAudit[] =
    "SELECT seq, ts_s, actor, role, action, target, before_json, after_json, remote, status "
    "FROM audit_log WHERE seq >= ?1 AND (?3 = '' OR substr(CAST(target AS BLOB), 1, "
    "length(CAST(?3 AS BLOB))) = CAST(?3 AS BLOB)) ORDER BY seq LIMIT ?4";
constexpr char kSqlReadAuditOfActor[] =
    "SELECT seq, ts_s, actor, role, action, target, before_json, after_json, remote, status "
    "FROM audit_log WHERE actor = ?2 AND seq >= ?1 AND (?3 = '' OR substr(CAST(target AS BLOB), "
    "1, length(CAST(?3 AS BLOB))) = CAST(?3 AS BLOB)) ORDER BY seq LIMIT ?4";
// The green-power ledger: the last seq (checked before an append), inserts, reads in seq order.
constexpr char kSqlLedgerSize[] = "SELECT coalesce(max(seq), 0) FROM ledger";
constexpr char kSqlAppendLedger[] =
    "INSERT INTO ledger (seq, time_s, kind, actor, fields, prev_hash, hash) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr char kSqlReadLedger[] =
    "SELECT seq, time_s, kind, actor, fields, prev_hash, hash FROM ledger WHERE seq >= ?1 "
    "ORDER BY seq LIMIT ?2";

// Environmental monitoring. Frames are read through env_frames_by_source_time (one source) or
// env_frames_by_time (all), whose entries end with the rowid (= seq), so the order needs no sort.
constexpr char kSqlAppendEnvFrame[] =
    "INSERT INTO env_frames (received_ms, source, mn, cn, data_time_s, segment) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kSqlLastEnvFrameSeq[] = "SELECT coalesce(max(seq), 0) FROM env_frames";
constexpr char kSqlEnvFramesOfSource[] =
    "SELECT seq, received_ms, source, mn, cn, data_time_s, segment FROM env_frames "
    "WHERE source = ?1 AND data_time_s >= ?2 AND data_time_s < ?3 AND (?4 = 0 OR cn = ?4) "
    "ORDER BY data_time_s, seq LIMIT ?5";
constexpr char kSqlEnvFramesAll[] =
    "SELECT seq, received_ms, source, mn, cn, data_time_s, segment FROM env_frames "
    "WHERE data_time_s >= ?2 AND data_time_s < ?3 AND (?4 = 0 OR cn = ?4) "
    "ORDER BY data_time_s, seq LIMIT ?5";
// Hours: upserted by the primary key (source, pollutant, hour_s). One key is one range of it; a
// read over many keys seeks each key's hour range and skips to the next key past it (as
// ScanAllSeries does for chunks), so it never walks the hours outside the range.
constexpr char kSqlUpsertEnvHour[] =
    "INSERT OR REPLACE INTO env_hours (source, pollutant, hour_s, avg, zs_avg, min, max, load_kg, "
    "samples, valid, expected, flag, limit_value, exceeded, origin) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
constexpr char kSqlEnvHoursOfKey[] =
    "SELECT source, pollutant, hour_s, avg, zs_avg, min, max, load_kg, samples, valid, expected, "
    "flag, limit_value, exceeded, origin FROM env_hours "
    "WHERE source = ?1 AND pollutant = ?2 AND hour_s >= ?3 AND hour_s < ?4 ORDER BY hour_s";
constexpr char kSqlEnvHoursFrom[] =
    "SELECT source, pollutant, hour_s, avg, zs_avg, min, max, load_kg, samples, valid, expected, "
    "flag, limit_value, exceeded, origin FROM env_hours "
    "WHERE (source, pollutant, hour_s) >= (?1, ?2, ?3) ORDER BY source, pollutant, hour_s";
constexpr char kSqlEnvHoursAfterKey[] =
    "SELECT source, pollutant, hour_s, avg, zs_avg, min, max, load_kg, samples, valid, expected, "
    "flag, limit_value, exceeded, origin FROM env_hours "
    "WHERE (source, pollutant) > (?1, ?2) ORDER BY source, pollutant, hour_s";
constexpr char kSqlEnvHoursAfterSource[] =
    "SELECT source, pollutant, hour_s, avg, zs_avg, min, max, load_kg, samples, valid, expected, "
    "flag, limit_value, exceeded, origin FROM env_hours "
    "WHERE source > ?1 ORDER BY source, pollutant, hour_s";
// Alarms. ListAlarms builds its statement from the filter (AlarmSelect).
constexpr char kSqlInsertAlarm[] =
    "INSERT INTO env_alarms (kind, state, enterprise_code, zone_code, officer, source, pollutant, "
    "opened_s, last_s, cleared_s, occurrences, value, limit_value, unit, detail, acknowledged_by, "
    "acknowledged_s, closed_by, closed_s, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";
constexpr char kSqlUpdateAlarm[] =
    "UPDATE env_alarms SET kind = ?1, state = ?2, enterprise_code = ?3, zone_code = ?4, "
    "officer = ?5, source = ?6, pollutant = ?7, opened_s = ?8, last_s = ?9, cleared_s = ?10, "
    "occurrences = ?11, value = ?12, limit_value = ?13, unit = ?14, detail = ?15, "
    "acknowledged_by = ?16, acknowledged_s = ?17, closed_by = ?18, closed_s = ?19, note = ?20 "
    "WHERE id = ?21";
constexpr char kSqlAlarmColumns[] =
    "SELECT id, kind, state, enterprise_code, zone_code, officer, source, pollutant, opened_s, "
    "last_s, cleared_s, occurrences, value, limit_value, unit, detail, acknowledged_by, "
    "acknowledged_s, closed_by, closed_s, note FROM env_alarms ";
constexpr char kSqlGetAlarm[] =
    "SELECT id, kind, state, enterprise_code, zone_code, officer, source, pollutant, opened_s, "
    "last_s, cleared_s, occurrences, value, limit_value, unit, detail, acknowledged_by, "
    "acknowledged_s, closed_by, closed_s, note FROM env_alarms WHERE id = ?1";

// ---- registry row mapping.

void BindZone(Stmt& s, const model::Zone& z) {
  s.Text(1, z.code).Text(2, z.name).Text(3, z.officer).Text(4, z.officer_contact);
}
void BindEnterprise(Stmt& s, const model::Enterprise& e) {
  s.Text(1, e.code)
      .Text(2, e.name)
      .Text(3, e.industry_code)
      .Real(4, e.land_area_mu)
      .Text(5, e.zone_code)
      .Int(6, e.key_energy_user ? 1 : 0);
}
void BindMeter(Stmt& s, const model::Meter& m) {
  s.Text(1, m.code)
      .Text(2, m.name)
      .Text(3, m.enterprise_code)
      .Text(4, units::GetCarrierInfo(m.carrier).code)
      .Text(5, m.unit)
      .Text(6, KindCode(m.kind))
      .Text(7, FlowCode(m.flow))
      .Int(8, m.interval_s)
      .Int(9, m.register_digits)
      .Real(10, m.multiplier)
      .Text(11, m.parent_code)
      .Text(12, m.formula);
}

// Runs an INSERT of one registry row and returns its id; a duplicate code is AlreadyExists.
Result<int64_t> InsertRow(Conn& conn, const char* sql, std::string_view kind, std::string_view code,
                          const std::function<void(Stmt&)>& bind) {
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, sql));
  bind(stmt);
  int rc = stmt.Step();
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    return AlreadyExistsError(fmt::format("{} '{}' already exists", kind, code));
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, fmt::format("insert {} '{}'", kind, code));
  return static_cast<int64_t>(sqlite3_last_insert_rowid(conn.db()));
}

// Runs an UPDATE or DELETE addressed by code; NotFound when no row has it.
Status ChangeRow(Conn& conn, const char* sql, std::string_view kind, std::string_view code,
                 const std::function<void(Stmt&)>& bind, std::string_view verb) {
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, sql));
  bind(stmt);
  ZP_RETURN_IF_ERROR(stmt.Run(fmt::format("{} {} '{}'", verb, kind, code)));
  if (sqlite3_changes(conn.db()) == 0) {
    return NotFoundError(fmt::format("{} '{}' not found", kind, code));
  }
  return Status::OK();
}

Chunk RollupFromRow(Stmt& s, int64_t series_id, int first_col) {
  Chunk c;
  c.series_id = series_id;
  c.day = s.ColInt32(first_col);
  c.resolution_s = s.ColInt32(first_col + 1);
  c.count = s.ColInt32(first_col + 2);
  c.sum = s.ColReal(first_col + 3);
  c.flagged = s.ColInt32(first_col + 4);
  c.suspect_zero = s.ColInt32(first_col + 5);
  return c;
}

Chunk ChunkFromRow(Stmt& s, int64_t series_id) {
  Chunk c;
  c.series_id = series_id;
  c.day = s.ColInt32(0);
  c.resolution_s = s.ColInt32(1);
  c.data = std::string(s.ColBlob(2));
  c.count = s.ColInt32(3);
  c.sum = s.ColReal(4);
  c.flagged = s.ColInt32(5);
  c.suspect_zero = s.ColInt32(6);
  return c;
}

// Sorted, de-duplicated copy of a series id list (sorted ids walk the B-tree in order).
std::vector<int64_t> SortedIds(std::span<const int64_t> ids) {
  std::vector<int64_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return sorted;
}

// Rows keyed (series_id, k) with from <= k < to, over every series: steps the statement
// `from_sql` and re-seeks to the next series or to `from` whenever a key leaves the range.
// emit(stmt, series_id) reads the row.
Status ScanAllSeries(Conn& conn, const char* from_sql, int32_t from, int32_t to,
                     const std::function<void(Stmt&, int64_t)>& emit) {
  if (from >= to) return Status::OK();
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, from_sql));
  stmt.Int(1, std::numeric_limits<int64_t>::min()).Int(2, from);
  while (true) {
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) return Status::OK();
    if (rc != SQLITE_ROW) return stmt.Error(rc, "read rollups");
    int64_t series_id = stmt.ColInt(0);
    int32_t key = stmt.ColInt32(1);
    if (key < from) {
      stmt.Reset();
      stmt.Int(1, series_id).Int(2, from);
    } else if (key >= to) {
      if (series_id == std::numeric_limits<int64_t>::max()) return Status::OK();
      stmt.Reset();
      stmt.Int(1, series_id + 1).Int(2, from);
    } else {
      emit(stmt, series_id);
    }
  }
}

// Runs one migration step inside the caller's transaction.
Status ApplyMigration(Conn& conn, const Migration& m, const std::string& log_dir) {
  if (m.prepare != nullptr) {
    ZP_RETURN_IF_ERROR(
        m.prepare(conn, log_dir).WithContext(fmt::format("migrate to schema {}", m.to_version)));
  }
  ZP_RETURN_IF_ERROR(conn.Exec(m.sql, fmt::format("migrate to schema {}", m.to_version)));
  ZP_RETURN_IF_ERROR(
      conn.Exec(fmt::format("PRAGMA user_version = {}", m.to_version).c_str(), "set user_version"));
  return conn.Exec(
      fmt::format("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '{}')",
                  m.to_version)
          .c_str(),
      "set meta.schema_version");
}

Result<int64_t> QueryInt(Conn& conn, const char* sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(conn.db(), sql, -1, &s, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    Status st = ErrorFromSqlite(conn.db(), rc, sql);
    sqlite3_finalize(s);
    return st;
  }
  int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  return v;
}

// What a file holds before we touch it.
struct FileIdentity {
  int64_t objects = 0;  // tables, indexes, ... in sqlite_schema
  int64_t application_id = 0;
  int64_t user_version = 0;
};

Result<FileIdentity> Identify(Conn& conn, const std::string& path) {
  FileIdentity id;
  auto objects = QueryInt(conn, "SELECT count(*) FROM sqlite_schema");
  if (!objects.ok()) {
    if (objects.error().code() == StatusCode::kDataLoss) {
      return FailedPreconditionError(
          fmt::format("'{}' is not a zeropark database (not an SQLite file)", path));
    }
    return objects.error();
  }
  id.objects = *objects;
  ZP_ASSIGN_OR_RETURN(id.application_id, QueryInt(conn, "PRAGMA application_id"));
  ZP_ASSIGN_OR_RETURN(id.user_version, QueryInt(conn, "PRAGMA user_version"));
  return id;
}

// Creates or migrates the schema to `target` in one transaction.
Status MigrateTo(Conn& conn, const std::string& path, int32_t target, const std::string& log_dir) {
  Txn txn(conn);
  ZP_RETURN_IF_ERROR(txn.Begin(/*write=*/true));
  // Re-read under the write lock: another process may have migrated meanwhile.
  ZP_ASSIGN_OR_RETURN(FileIdentity id, Identify(conn, path));
  if (id.objects == 0 && id.user_version == 0) {
    ZP_RETURN_IF_ERROR(conn.Exec(fmt::format("PRAGMA application_id = {}", kApplicationId).c_str(),
                                 "set application_id"));
  }
  for (const Migration& m : kMigrations) {
    if (m.to_version > id.user_version && m.to_version <= target) {
      ZP_RETURN_IF_ERROR(ApplyMigration(conn, m, log_dir));
    }
  }
  return txn.Commit();
}

Status MoveV1LogToSegments(SqliteStore::Conn& conn, const std::string& log_dir) {
  // The highest seq ever handed out (rows may all be flushed and deleted) and the first left.
  ZP_ASSIGN_OR_RETURN(
      int64_t counter,
      QueryInt(conn,
               "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'ingest_log'"));
  ZP_ASSIGN_OR_RETURN(int64_t first,
                      QueryInt(conn, "SELECT coalesce(min(seq), 0) FROM ingest_log"));
  sqlite3_stmt* rows = nullptr;
  int rc = sqlite3_prepare_v2(conn.db(), "SELECT seq, payload FROM ingest_log ORDER BY seq", -1,
                              &rows, nullptr);
  if (rc != SQLITE_OK) return ErrorFromSqlite(conn.db(), rc, "read v1 ingest_log");
  auto next = [&](int64_t* seq, std::string_view* payload) -> Result<bool> {
    int step = sqlite3_step(rows);
    if (step == SQLITE_DONE) return false;
    if (step != SQLITE_ROW) return ErrorFromSqlite(conn.db(), step, "read v1 ingest_log");
    *seq = sqlite3_column_int64(rows, 0);
    const auto* p = static_cast<const char*>(sqlite3_column_blob(rows, 1));
    *payload =
        std::string_view(p == nullptr ? "" : p, static_cast<size_t>(sqlite3_column_bytes(rows, 1)));
    return true;
  };
  Status moved;
  if (log_dir.empty()) {
    moved = first == 0 ? Status::OK() : InternalError("in-memory database with v1 log rows");
  } else {
    moved = SegmentLog::WriteInitialSegment(log_dir, next);
  }
  sqlite3_finalize(rows);
  ZP_RETURN_IF_ERROR(moved);
  const int64_t flushed_upto = first > 0 ? first - 1 : counter;
  if (flushed_upto == 0) return Status::OK();
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlSetLogFlushedUpto));
  stmt.Int(1, flushed_upto);
  return stmt.Run("write meta.log_flushed_upto");
}

}  // namespace

// ---- open / close.

SqliteStore::SqliteStore(std::string path, std::unique_ptr<Conn> writer,
                         std::unique_ptr<Conn> reader, std::unique_ptr<SegmentLog> log)
    : path_(std::move(path)),
      writer_(std::move(writer)),
      reader_(std::move(reader)),
      log_(std::move(log)) {}

SqliteStore::~SqliteStore() {
  // The reader closes first so the writer, closing last, checkpoints and removes the WAL.
  reader_.reset();
  writer_.reset();
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("sqlite store: empty path");
  const bool in_memory = path == ":memory:";
  if (!in_memory) {
    size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      struct stat st;
      std::string dir = path.substr(0, slash);
      if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return NotFoundError(
            fmt::format("cannot open database '{}': directory '{}' does not exist", path, dir));
      }
    }
  }
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<Conn> writer, Conn::Open(path));
  ZP_ASSIGN_OR_RETURN(FileIdentity id, Identify(*writer, path));
  const bool fresh = id.objects == 0 && id.user_version == 0 && id.application_id == 0;
  if (!fresh) {
    if (id.application_id != kApplicationId || id.user_version < 1) {
      return FailedPreconditionError(
          fmt::format("'{}' is not a zeropark database (application_id {:#x}, {} schema objects)",
                      path, id.application_id, id.objects));
    }
    if (id.user_version > kSchemaVersion) {
      return FailedPreconditionError(
          fmt::format("database written by a newer zeropark (schema {}, this build knows {})",
                      id.user_version, kSchemaVersion));
    }
  }
  // A zeropark database (or a new one): take the log directory before touching anything.
  std::unique_ptr<SegmentLog> log;
  if (in_memory) {
    log = SegmentLog::InMemory();
  } else {
    ZP_ASSIGN_OR_RETURN(log, SegmentLog::Lock(LogDirOf(path)));
  }
  if (fresh) {
    ZP_RETURN_IF_ERROR(
        writer->Exec(fmt::format("PRAGMA page_size = {}", kPageSize).c_str(), "set page_size"));
  }
  if (!in_memory) {
    ZP_ASSIGN_OR_RETURN(std::string mode, [&]() -> Result<std::string> {
      sqlite3_stmt* s = nullptr;
      int rc = sqlite3_prepare_v2(writer->db(), "PRAGMA journal_mode = WAL", -1, &s, nullptr);
      if (rc == SQLITE_OK) rc = sqlite3_step(s);
      if (rc != SQLITE_ROW) {
        Status st = ErrorFromSqlite(writer->db(), rc, "set journal_mode");
        sqlite3_finalize(s);
        return st;
      }
      std::string m(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
      sqlite3_finalize(s);
      return m;
    }());
    if (mode != "wal") {
      return UnavailableError(
          fmt::format("cannot use WAL journal for '{}' (journal_mode is '{}')", path, mode));
    }
  }
  // Acknowledged means durable: every commit syncs the WAL. The WAL file is cut back to
  // kJournalSizeLimit whenever it restarts, so DiskBytes stays honest.
  ZP_RETURN_IF_ERROR(
      writer->Exec(fmt::format("PRAGMA synchronous = FULL; PRAGMA journal_size_limit = {}; "
                               "PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; "
                               "PRAGMA foreign_keys = OFF",
                               kJournalSizeLimit)
                       .c_str(),
                   "configure connection"));
  if (fresh || id.user_version < kSchemaVersion) {
    ZP_RETURN_IF_ERROR(
        MigrateTo(*writer, path, kSchemaVersion, in_memory ? std::string() : LogDirOf(path))
            .WithContext(fmt::format("upgrading '{}' to schema {}", path, kSchemaVersion)));
  }
  ZP_ASSIGN_OR_RETURN(int64_t meta_version,
                      QueryInt(*writer, "SELECT value FROM meta WHERE key = 'schema_version'"));
  if (meta_version != kSchemaVersion) {
    return DataLossError(fmt::format("'{}': meta.schema_version is {} but user_version is {}", path,
                                     meta_version, kSchemaVersion));
  }
  ZP_ASSIGN_OR_RETURN(int64_t flushed_upto, QueryInt(*writer, kSqlGetLogFlushedUpto));
  ZP_RETURN_IF_ERROR(log->Recover(flushed_upto));
  std::unique_ptr<Conn> reader;
  if (!in_memory) {
    ZP_ASSIGN_OR_RETURN(reader, Conn::Open(path));
    ZP_RETURN_IF_ERROR(
        reader->Exec("PRAGMA query_only = ON; PRAGMA cache_size = -32768; "
                     "PRAGMA temp_store = MEMORY",
                     "configure read connection"));
  }
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(path, std::move(writer), std::move(reader), std::move(log)));
}

int64_t SqliteStore::DiskBytes() {
  if (path_ == ":memory:") return 0;
  int64_t total = 0;
  struct stat st;
  if (stat(path_.c_str(), &st) == 0) total += st.st_size;
  if (stat((path_ + "-wal").c_str(), &st) == 0) total += st.st_size;
  return total + log_->Bytes();
}

void SqliteStore::SetLogSegmentBytesForTesting(int64_t bytes) {
  log_->SetSegmentBytesForTesting(bytes);
}

void SqliteStore::ShrinkWal() {
  if (path_ == ":memory:") return;
  struct stat st;
  if (stat((path_ + "-wal").c_str(), &st) != 0 || st.st_size <= kWalShrinkBytes) return;
  // TRUNCATE copies the WAL into the database and empties it when no reader still needs its
  // frames; readers are waited for briefly only, after which it does what it can (PASSIVE) and
  // journal_size_limit trims the file at the WAL's next restart.
  sqlite3_busy_timeout(writer_->db(), kCheckpointBusyMs);
  int rc = sqlite3_wal_checkpoint_v2(writer_->db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                     nullptr);
  sqlite3_busy_timeout(writer_->db(), kBusyTimeoutMs);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
    LogWarning("checkpoint of '{}' after a flush failed: {}", path_,
               ErrorFromSqlite(writer_->db(), rc, "wal_checkpoint").ToString());
  }
}

Result<std::string> SqliteStore::QueryForTesting(std::string_view sql) {
  std::lock_guard lock(writer_->mu());
  std::string text(sql);
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(writer_->db(), text.c_str(), -1, &s, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    Status st = ErrorFromSqlite(writer_->db(), rc, text);
    sqlite3_finalize(s);
    return st;
  }
  std::string out;
  if (rc == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  }
  sqlite3_finalize(s);
  return out;
}

Result<std::string> SqliteStore::QueryPlanForTesting(std::string_view sql) {
  std::lock_guard lock(writer_->mu());
  std::string text = "EXPLAIN QUERY PLAN " + std::string(sql);
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(writer_->db(), text.c_str(), -1, &s, nullptr);
  std::string out;
  while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (!out.empty()) out += "; ";
    const auto* detail = reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
    out += detail != nullptr ? detail : "";
    rc = SQLITE_OK;
  }
  Status st = rc == SQLITE_DONE ? Status::OK() : ErrorFromSqlite(writer_->db(), rc, text);
  sqlite3_finalize(s);
  if (!st.ok()) return st;
  return out;
}

// ---- park.

Result<std::optional<model::Park>> SqliteStore::GetPark() {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlGetPark));
  int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<model::Park>();
  if (rc != SQLITE_ROW) return stmt.Error(rc, "read park");
  model::Park p;
  p.name = stmt.ColText(0);
  p.province = stmt.ColText(1);
  p.time_zone = stmt.ColText(2);
  p.grid_region = stmt.ColText(3);
  p.raw_retention_days = stmt.ColInt32(4);
  return std::optional<model::Park>(std::move(p));
}

Status SqliteStore::PutPark(const model::Park& park) {
  std::lock_guard lock(writer_->mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlPutPark));
  stmt.Text(1, park.name)
      .Text(2, park.province)
      .Text(3, park.time_zone)
      .Text(4, park.grid_region)
      .Int(5, park.raw_retention_days);
  return stmt.Run("write park");
}

// ---- zones.

Result<int64_t> SqliteStore::InsertZone(const model::Zone& zone) {
  std::lock_guard lock(writer_->mu());
  return InsertRow(*writer_, kSqlInsertZone, "zone", zone.code,
                   [&](Stmt& s) { BindZone(s, zone); });
}

Status SqliteStore::UpdateZone(const model::Zone& zone) {
  std::lock_guard lock(writer_->mu());
  return ChangeRow(
      *writer_, kSqlUpdateZone, "zone", zone.code, [&](Stmt& s) { BindZone(s, zone); }, "update");
}

Status SqliteStore::DeleteZone(std::string_view code) {
  std::lock_guard lock(writer_->mu());
  return ChangeRow(
      *writer_, kSqlDeleteZone, "zone", code, [&](Stmt& s) { s.Text(1, code); }, "delete");
}

Result<std::vector<model::Zone>> SqliteStore::ListZones() {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlListZones));
  std::vector<model::Zone> out;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    model::Zone& z = out.emplace_back();
    z.id = stmt.ColInt(0);
    z.code = stmt.ColText(1);
    z.name = stmt.ColText(2);
    z.officer = stmt.ColText(3);
    z.officer_contact = stmt.ColText(4);
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "list zones");
  return out;
}

// ---- enterprises.

Result<int64_t> SqliteStore::InsertEnterprise(const model::Enterprise& e) {
  std::lock_guard lock(writer_->mu());
  return InsertRow(*writer_, kSqlInsertEnterprise, "enterprise", e.code,
                   [&](Stmt& s) { BindEnterprise(s, e); });
}

Status SqliteStore::UpdateEnterprise(const model::Enterprise& e) {
  std::lock_guard lock(writer_->mu());
  return ChangeRow(
      *writer_, kSqlUpdateEnterprise, "enterprise", e.code, [&](Stmt& s) { BindEnterprise(s, e); },
      "update");
}

Status SqliteStore::DeleteEnterprise(std::string_view code) {
  std::lock_guard lock(writer_->mu());
  return ChangeRow(
      *writer_, kSqlDeleteEnterprise, "enterprise", code, [&](Stmt& s) { s.Text(1, code); },
      "delete");
}

Result<std::vector<model::Enterprise>> SqliteStore::ListEnterprises() {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlListEnterprises));
  std::vector<model::Enterprise> out;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    model::Enterprise& e = out.emplace_back();
    e.id = stmt.ColInt(0);
    e.code = stmt.ColText(1);
    e.name = stmt.ColText(2);
    e.industry_code = stmt.ColText(3);
    e.land_area_mu = stmt.ColReal(4);
    e.zone_code = stmt.ColText(5);
    e.key_energy_user = stmt.ColInt(6) != 0;
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "list enterprises");
  return out;
}

// ---- meters.

Result<int64_t> SqliteStore::InsertMeter(const model::Meter& m) {
  std::lock_guard lock(writer_->mu());
  return InsertRow(*writer_, kSqlInsertMeter, "meter", m.code, [&](Stmt& s) { BindMeter(s, m); });
}

Status SqliteStore::UpdateMeter(const model::Meter& m) {
  std::lock_guard lock(writer_->mu());
  return ChangeRow(
      *writer_, kSqlUpdateMeter, "meter", m.code, [&](Stmt& s) { BindMeter(s, m); }, "update");
}

Status SqliteStore::DeleteMeter(std::string_view code) {
  std::lock_guard lock(writer_->mu());
  return ChangeRow(
      *writer_, kSqlDeleteMeter, "meter", code, [&](Stmt& s) { s.Text(1, code); }, "delete");
}

Result<std::vector<model::Meter>> SqliteStore::ListMeters() {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlListMeters));
  std::vector<model::Meter> out;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    model::Meter& m = out.emplace_back();
    m.id = stmt.ColInt(0);
    m.code = stmt.ColText(1);
    m.name = stmt.ColText(2);
    m.enterprise_code = stmt.ColText(3);
    auto carrier = units::ParseCarrier(stmt.ColText(4));
    if (!carrier.ok()) {
      return DataLossError(
          fmt::format("meter '{}': unknown carrier '{}' in database", m.code, stmt.ColText(4)));
    }
    m.carrier = *carrier;
    m.unit = stmt.ColText(5);
    ZP_ASSIGN_OR_RETURN(m.kind, KindFromCode(stmt.ColText(6)));
    ZP_ASSIGN_OR_RETURN(m.flow, FlowFromCode(stmt.ColText(7)));
    m.interval_s = stmt.ColInt32(8);
    m.register_digits = stmt.ColInt32(9);
    m.multiplier = stmt.ColReal(10);
    m.parent_code = stmt.ColText(11);
    m.formula = stmt.ColText(12);
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "list meters");
  return out;
}

Status SqliteStore::InsertRegistryBatch(const std::vector<model::Zone>& zones,
                                        const std::vector<model::Enterprise>& enterprises,
                                        const std::vector<model::Meter>& meters) {
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_);
  ZP_RETURN_IF_ERROR(txn.Begin(/*write=*/true));
  for (const model::Zone& z : zones) {
    ZP_RETURN_IF_ERROR(InsertRow(*writer_, kSqlInsertZone, "zone", z.code, [&](Stmt& s) {
                         BindZone(s, z);
                       }).status());
  }
  for (const model::Enterprise& e : enterprises) {
    ZP_RETURN_IF_ERROR(
        InsertRow(*writer_, kSqlInsertEnterprise, "enterprise", e.code, [&](Stmt& s) {
          BindEnterprise(s, e);
        }).status());
  }
  for (const model::Meter& m : meters) {
    ZP_RETURN_IF_ERROR(InsertRow(*writer_, kSqlInsertMeter, "meter", m.code, [&](Stmt& s) {
                         BindMeter(s, m);
                       }).status());
  }
  return txn.Commit();
}

// ---- settings.

Result<std::optional<std::string>> SqliteStore::GetSetting(std::string_view key) {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlGetSetting));
  stmt.Text(1, key);
  int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return stmt.Error(rc, "read setting");
  return std::optional<std::string>(std::string(stmt.ColText(0)));
}

Status SqliteStore::PutSetting(std::string_view key, std::string_view value) {
  std::lock_guard lock(writer_->mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlPutSetting));
  stmt.Text(1, key).Text(2, value);
  return stmt.Run(fmt::format("write setting '{}'", key));
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStore::ListSettings(
    std::string_view prefix) {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  std::optional<std::string> upper = PrefixUpperBound(prefix);
  const char* sql = prefix.empty() ? kSqlListSettingsAll
                    : upper        ? kSqlListSettingsRange
                                   : kSqlListSettingsFrom;
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, sql));
  if (!prefix.empty()) stmt.Text(1, prefix);
  if (!prefix.empty() && upper) stmt.Text(2, *upper);
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    out.emplace_back(stmt.ColText(0), stmt.ColText(1));
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "list settings");
  return out;
}

// ---- ingest log.

struct SqliteStore::LogWriter {
  std::span<const std::string> payloads;
  Status status;
  int64_t last_seq = 0;
  bool done = false;
  std::condition_variable cv;
};

namespace {
// A group stops growing at this many payload bytes so a leader never holds up a huge commit.
constexpr size_t kMaxLogGroupBytes = size_t{64} << 20;
}  // namespace

Result<int64_t> SqliteStore::AppendLog(std::span<const std::string> payloads) {
  for (const std::string& p : payloads) {
    if (p.size() > kMaxLogPayloadBytes) {
      return InvalidArgumentError(
          fmt::format("ingest log entry of {} bytes (at most {})", p.size(), kMaxLogPayloadBytes));
    }
  }
  if (payloads.empty()) return log_->LastSeq();
  LogWriter self;
  self.payloads = payloads;
  std::unique_lock lock(log_mu_);
  log_queue_.push_back(&self);
  while (!self.done && log_queue_.front() != &self) self.cv.wait(lock);
  if (!self.done) {
    // This writer leads: append it and whoever queued behind it with one write and one sync.
    std::vector<LogWriter*> group;
    size_t bytes = 0;
    for (LogWriter* w : log_queue_) {
      size_t b = 0;
      for (const std::string& p : w->payloads) b += p.size();
      if (!group.empty() && bytes + b > kMaxLogGroupBytes) break;
      group.push_back(w);
      bytes += b;
    }
    lock.unlock();
    CommitLogGroup(group);
    lock.lock();
    for (LogWriter* w : group) {  // the group is a prefix of the queue
      log_queue_.pop_front();
      w->done = true;
      if (w != &self) w->cv.notify_one();
    }
    if (!log_queue_.empty()) log_queue_.front()->cv.notify_one();
  }
  if (!self.status.ok()) return self.status;
  return self.last_seq;
}

void SqliteStore::CommitLogGroup(const std::vector<LogWriter*>& group) {
  std::vector<std::span<const std::string>> batches;
  batches.reserve(group.size());
  int64_t records = 0;
  for (LogWriter* w : group) {
    batches.push_back(w->payloads);
    records += static_cast<int64_t>(w->payloads.size());
  }
  Result<int64_t> last = log_->Append(batches);
  int64_t seq = last.ok() ? *last - records : 0;
  for (LogWriter* w : group) {
    if (!last.ok()) {
      w->status = last.error();
      continue;
    }
    seq += static_cast<int64_t>(w->payloads.size());
    w->last_seq = seq;
  }
}

Status SqliteStore::ReadLog(const std::function<Status(int64_t, std::string_view)>& fn) {
  return log_->Read(fn);
}

// ---- chunks and rollups.

Status SqliteStore::ReadChunks(int64_t series_id, int32_t from_day, int32_t to_day,
                               std::vector<Chunk>* out) {
  out->clear();
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlReadChunks));
  stmt.Int(1, series_id).Int(2, from_day).Int(3, to_day);
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) out->push_back(ChunkFromRow(stmt, series_id));
  if (rc != SQLITE_DONE) return stmt.Error(rc, "read chunks");
  return Status::OK();
}

Result<std::optional<Chunk>> SqliteStore::LatestChunkBefore(int64_t series_id, int32_t before_day) {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlLatestChunkBefore));
  stmt.Int(1, series_id).Int(2, before_day);
  int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<Chunk>();
  if (rc != SQLITE_ROW) return stmt.Error(rc, "read latest chunk");
  return std::optional<Chunk>(ChunkFromRow(stmt, series_id));
}

Status SqliteStore::ReadDailyRollups(std::span<const int64_t> series_ids, int32_t from_day,
                                     int32_t to_day, const std::function<void(const Chunk&)>& fn) {
  if (from_day >= to_day) return Status::OK();
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  Txn txn(conn);  // one snapshot for all statements
  ZP_RETURN_IF_ERROR(txn.Begin(/*write=*/false));
  if (series_ids.empty()) {
    ZP_RETURN_IF_ERROR(ScanAllSeries(conn, kSqlRollupsFrom, from_day, to_day,
                                     [&](Stmt& s, int64_t id) { fn(RollupFromRow(s, id, 1)); }));
    return txn.Commit();
  }
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlRollupsOfSeries));
  for (int64_t id : SortedIds(series_ids)) {
    stmt.Reset();
    stmt.Int(1, id).Int(2, from_day).Int(3, to_day);
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) fn(RollupFromRow(stmt, id, 0));
    if (rc != SQLITE_DONE) return stmt.Error(rc, "read daily rollups");
  }
  return txn.Commit();
}

Status SqliteStore::ReadMonthSums(std::span<const int64_t> series_ids, int32_t from_month,
                                  int32_t to_month,
                                  const std::function<void(const MonthSum&)>& fn) {
  if (from_month >= to_month) return Status::OK();
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  Txn txn(conn);
  ZP_RETURN_IF_ERROR(txn.Begin(/*write=*/false));
  if (series_ids.empty()) {
    ZP_RETURN_IF_ERROR(
        ScanAllSeries(conn, kSqlMonthsFrom, from_month, to_month, [&](Stmt& s, int64_t id) {
          fn(MonthSum{id, s.ColInt32(1), s.ColReal(2), s.ColInt32(3)});
        }));
    return txn.Commit();
  }
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlMonthsOfSeries));
  for (int64_t id : SortedIds(series_ids)) {
    stmt.Reset();
    stmt.Int(1, id).Int(2, from_month).Int(3, to_month);
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      fn(MonthSum{id, stmt.ColInt32(0), stmt.ColReal(1), stmt.ColInt32(2)});
    }
    if (rc != SQLITE_DONE) return stmt.Error(rc, "read month sums");
  }
  return txn.Commit();
}

Status SqliteStore::ListRawChunksBefore(int32_t before_day,
                                        const std::function<void(int64_t, int32_t)>& fn) {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlRawChunksBefore));
  stmt.Int(1, before_day);
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) fn(stmt.ColInt(0), stmt.ColInt32(1));
  if (rc != SQLITE_DONE) return stmt.Error(rc, "list raw chunks");
  return Status::OK();
}

Status SqliteStore::ReadCorrections(int64_t series_id, int64_t from_s, int64_t to_s,
                                    std::vector<Correction>* out) {
  out->clear();
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlReadCorrections));
  stmt.Int(1, series_id).Int(2, from_s).Int(3, to_s);
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    Correction& c = out->emplace_back();
    c.series_id = series_id;
    c.ts_s = stmt.ColInt(0);
    c.old_value = stmt.ColReal(1);
    c.new_value = stmt.ColReal(2);
    c.source = stmt.ColText(3);
    c.recorded_s = stmt.ColInt(4);
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "read corrections");
  return Status::OK();
}

Status SqliteStore::Commit(const FlushBatch& batch) {
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_);
  ZP_RETURN_IF_ERROR(txn.Begin(/*write=*/true));
  if (!batch.chunks.empty()) {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlUpsertChunk));
    for (const Chunk& c : batch.chunks) {
      stmt.Reset();
      stmt.Int(1, c.series_id)
          .Int(2, c.day)
          .Int(3, c.resolution_s)
          .Blob(4, c.data)
          .Int(5, c.count)
          .Real(6, c.sum)
          .Int(7, c.flagged)
          .Int(8, c.suspect_zero);
      int rc = stmt.Step();
      if (rc != SQLITE_DONE) {
        return stmt.Error(rc, fmt::format("write chunk (series {}, day {})", c.series_id, c.day));
      }
    }
  }
  if (!batch.months.empty()) {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlUpsertMonth));
    for (const MonthSum& m : batch.months) {
      stmt.Reset();
      stmt.Int(1, m.series_id).Int(2, m.month).Real(3, m.sum).Int(4, m.count);
      int rc = stmt.Step();
      if (rc != SQLITE_DONE) {
        return stmt.Error(
            rc, fmt::format("write month sum (series {}, month {})", m.series_id, m.month));
      }
    }
  }
  if (!batch.corrections.empty()) {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlInsertCorrection));
    for (const Correction& c : batch.corrections) {
      stmt.Reset();
      stmt.Int(1, c.series_id)
          .Int(2, c.ts_s)
          .Real(3, c.old_value)
          .Real(4, c.new_value)
          .Text(5, c.source)
          .Int(6, c.recorded_s);
      int rc = stmt.Step();
      if (rc != SQLITE_DONE) {
        return stmt.Error(rc,
                          fmt::format("write correction (series {}, ts {})", c.series_id, c.ts_s));
      }
    }
  }
  // Entries that were never appended cannot be flushed: a later append must not be skipped.
  const int64_t log_upto = std::min(batch.log_truncate_upto, log_->LastSeq());
  if (log_upto > 0) {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlSetLogFlushedUpto));
    stmt.Int(1, log_upto);
    ZP_RETURN_IF_ERROR(stmt.Run("write meta.log_flushed_upto"));
  }
  ZP_RETURN_IF_ERROR(txn.Commit());
  if (log_upto > 0) {
    // Durable now: the segments holding only flushed entries can go.
    log_->MarkFlushed(log_upto);
    ShrinkWal();
  }
  return Status::OK();
}

// ---- accounts.

namespace {

void BindUser(Stmt& s, const UserRow& u) {
  s.Text(1, u.username)
      .Text(2, u.display_name)
      .Text(3, u.role)
      .Text(4, u.password_hash)
      .Text(5, u.enterprise_code)
      .Text(6, u.zones)
      .Int(7, u.disabled ? 1 : 0)
      .Int(8, u.created_s);
}

UserRow UserFromRow(Stmt& s) {
  UserRow u;
  u.id = s.ColInt(0);
  u.username = s.ColText(1);
  u.display_name = s.ColText(2);
  u.role = s.ColText(3);
  u.password_hash = s.ColText(4);
  u.enterprise_code = s.ColText(5);
  u.zones = s.ColText(6);
  u.disabled = s.ColInt(7) != 0;
  u.created_s = s.ColInt(8);
  return u;
}

CredentialRow CredentialFromRow(Stmt& s) {
  CredentialRow c;
  c.id = s.ColInt(0);
  c.user_id = s.ColInt(1);
  c.kind = s.ColText(2);
  c.secret_hash = s.ColText(3);
  c.csrf_hash = s.ColText(4);
  c.name = s.ColText(5);
  c.meters = s.ColText(6);
  c.created_s = s.ColInt(7);
  c.expires_s = s.ColInt(8);
  c.revoked = s.ColInt(9) != 0;
  c.last_used_s = s.ColInt(10);
  return c;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The one row `sql` (bound by `bind`) returns, or nullopt.
template <typename Row>
Result<std::optional<Row>> QueryOne(Conn& conn, const char* sql,
                                    const std::function<void(Stmt&)>& bind, Row (*from_row)(Stmt&),
                                    std::string_view what) {
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, sql));
  bind(stmt);
  int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<Row>();
  if (rc != SQLITE_ROW) return stmt.Error(rc, what);
  return std::optional<Row>(from_row(stmt));
}

}  // namespace

Result<int64_t> SqliteStore::InsertUser(const UserRow& u) {
  std::lock_guard lock(writer_->mu());
  return InsertRow(*writer_, kSqlInsertUser, "user", u.username, [&](Stmt& s) { BindUser(s, u); });
}

Status SqliteStore::UpdateUser(const UserRow& u) {
  std::lock_guard lock(writer_->mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlUpdateUser));
  BindUser(stmt, u);
  stmt.Int(9, u.id);
  int rc = stmt.Step();
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    return AlreadyExistsError(fmt::format("user '{}' already exists", u.username));
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, fmt::format("update user {}", u.id));
  if (sqlite3_changes(writer_->db()) == 0) {
    return NotFoundError(fmt::format("user {} not found", u.id));
  }
  return Status::OK();
}

Result<std::vector<UserRow>> SqliteStore::ListUsers() {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlListUsers));
  std::vector<UserRow> out;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) out.push_back(UserFromRow(stmt));
  if (rc != SQLITE_DONE) return stmt.Error(rc, "list users");
  return out;
}

Result<std::optional<UserRow>> SqliteStore::GetUser(int64_t id) {
  return QueryOne<UserRow>(
      reader(), kSqlGetUser, [&](Stmt& s) { s.Int(1, id); }, UserFromRow, "read user");
}

Result<std::optional<UserRow>> SqliteStore::FindUser(std::string_view username) {
  std::string lower = AsciiLower(username);
  return QueryOne<UserRow>(
      reader(), kSqlFindUser, [&](Stmt& s) { s.Text(1, lower); }, UserFromRow, "find user");
}

Result<int64_t> SqliteStore::InsertCredential(const CredentialRow& c) {
  std::lock_guard lock(writer_->mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlInsertCredential));
  stmt.Int(1, c.user_id)
      .Text(2, c.kind)
      .Text(3, c.secret_hash)
      .Text(4, c.csrf_hash)
      .Text(5, c.name)
      .Text(6, c.meters)
      .Int(7, c.created_s)
      .Int(8, c.expires_s)
      .Int(9, c.revoked ? 1 : 0)
      .Int(10, c.last_used_s);
  int rc = stmt.Step();
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    return AlreadyExistsError("credential with this secret hash already exists");
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "insert credential");
  return static_cast<int64_t>(sqlite3_last_insert_rowid(writer_->db()));
}

Result<std::optional<CredentialRow>> SqliteStore::FindCredential(std::string_view secret_hash) {
  return QueryOne<CredentialRow>(
      reader(), kSqlFindCredential, [&](Stmt& s) { s.Text(1, secret_hash); }, CredentialFromRow,
      "find credential");
}

Result<std::vector<CredentialRow>> SqliteStore::ListCredentials(int64_t user_id) {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, user_id == 0 ? kSqlListCredentialsAll
                                                               : kSqlListCredentialsOfUser));
  if (user_id != 0) stmt.Int(1, user_id);
  std::vector<CredentialRow> out;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) out.push_back(CredentialFromRow(stmt));
  if (rc != SQLITE_DONE) return stmt.Error(rc, "list credentials");
  return out;
}

Status SqliteStore::UpdateCredential(int64_t id, bool revoked, int64_t last_used_s) {
  std::lock_guard lock(writer_->mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlUpdateCredential));
  stmt.Int(1, id).Int(2, revoked ? 1 : 0).Int(3, last_used_s);
  ZP_RETURN_IF_ERROR(stmt.Run(fmt::format("update credential {}", id)));
  if (sqlite3_changes(writer_->db()) == 0) {
    return NotFoundError(fmt::format("credential {} not found", id));
  }
  return Status::OK();
}

Result<int64_t> SqliteStore::PurgeCredentials(int64_t now_s) {
  std::lock_guard lock(writer_->mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlPurgeCredentials));
  stmt.Int(1, now_s);
  ZP_RETURN_IF_ERROR(stmt.Run("purge credentials"));
  return static_cast<int64_t>(sqlite3_changes(writer_->db()));
}

Result<int64_t> SqliteStore::AppendAudit(const AuditRow& row) {
  std::lock_guard lock(writer_->mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlAppendAudit));
  stmt.Int(1, row.ts_s)
      .Text(2, row.actor)
      .Text(3, row.role)
      .Text(4, row.action)
      .Text(5, row.target)
      .Text(6, row.before_json)
      .Text(7, row.after_json)
      .Text(8, row.remote)
      .Int(9, row.status);
  int rc = stmt.Step();
  if (rc != SQLITE_DONE) return stmt.Error(rc, "append audit log");
  return static_cast<int64_t>(sqlite3_last_insert_rowid(writer_->db()));
}

Status SqliteStore::ReadAudit(int64_t from_seq, int64_t limit, std::string_view actor,
                              std::string_view target_prefix,
                              const std::function<void(const AuditRow&)>& fn) {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt,
                      Stmt::Make(conn, actor.empty() ? kSqlReadAudit : kSqlReadAuditOfActor));
  stmt.Int(1, from_seq).Text(2, actor).Text(3, target_prefix).Int(4, limit > 0 ? limit : -1);
  AuditRow row;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    row.seq = stmt.ColInt(0);
    row.ts_s = stmt.ColInt(1);
    row.actor = stmt.ColText(2);
    row.role = stmt.ColText(3);
    row.action = stmt.ColText(4);
    row.target = stmt.ColText(5);
    row.before_json = stmt.ColText(6);
    row.after_json = stmt.ColText(7);
    row.remote = stmt.ColText(8);
    row.status = stmt.ColInt32(9);
    fn(row);
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "read audit log");
  return Status::OK();
}

// ---- green-power ledger.

Status SqliteStore::AppendLedger(std::span<const LedgerRow> rows) {
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_);
  ZP_RETURN_IF_ERROR(txn.Begin(/*write=*/true));
  int64_t expected = 0;
  {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlLedgerSize));
    int rc = stmt.Step();
    if (rc != SQLITE_ROW) return stmt.Error(rc, "read ledger size");
    expected = stmt.ColInt(0) + 1;
  }
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlAppendLedger));
  for (const LedgerRow& r : rows) {
    if (r.seq != expected) {
      return FailedPreconditionError(
          fmt::format("ledger append: seq {} is not the next seq {}", r.seq, expected));
    }
    ++expected;
    stmt.Reset();
    stmt.Int(1, r.seq)
        .Int(2, r.time_s)
        .Text(3, r.kind)
        .Text(4, r.actor)
        .Text(5, r.fields_json)
        .Text(6, r.prev_hash)
        .Text(7, r.hash);
    int rc = stmt.Step();
    if (rc != SQLITE_DONE) return stmt.Error(rc, fmt::format("append ledger seq {}", r.seq));
  }
  return txn.Commit();
}

Status SqliteStore::ReadLedger(int64_t from_seq, int64_t limit,
                               const std::function<void(const LedgerRow&)>& fn) {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlReadLedger));
  stmt.Int(1, from_seq).Int(2, limit > 0 ? limit : -1);
  LedgerRow row;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    row.seq = stmt.ColInt(0);
    row.time_s = stmt.ColInt(1);
    row.kind = stmt.ColText(2);
    row.actor = stmt.ColText(3);
    row.fields_json = stmt.ColText(4);
    row.prev_hash = stmt.ColText(5);
    row.hash = stmt.ColText(6);
    fn(row);
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "read ledger");
  return Status::OK();
}

Result<int64_t> SqliteStore::LedgerSize() {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlLedgerSize));
  int rc = stmt.Step();
  if (rc != SQLITE_ROW) return stmt.Error(rc, "read ledger size");
  return stmt.ColInt(0);
}

// ---- enterprise data.

Result<int64_t> SqliteStore::AppendEnterpriseData(std::span<const model::EnterpriseDatum> rows) {
  std::lock_guard lock(writer_->mu());
  if (rows.empty()) {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlLastEnterpriseSeq));
    int rc = stmt.Step();
    if (rc != SQLITE_ROW) return stmt.Error(rc, "read last enterprise data seq");
    return stmt.ColInt(0);
  }
  Txn txn(*writer_);
  ZP_RETURN_IF_ERROR(txn.Begin(/*write=*/true));
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlInsertEnterpriseDatum));
  for (const model::EnterpriseDatum& d : rows) {
    stmt.Reset();
    stmt.Text(1, d.enterprise_code)
        .Text(2, d.indicator)
        .Text(3, d.item)
        .Int(4, d.period.year)
        .Int(5, d.period.month)
        .Real(6, d.value)
        .Text(7, d.unit)
        .Text(8, d.source)
        .Text(9, d.note)
        .Int(10, d.recorded_s)
        .Int(11, d.deleted ? 1 : 0);
    int rc = stmt.Step();
    if (rc != SQLITE_DONE) {
      return stmt.Error(rc, fmt::format("write enterprise datum ({} {} {}.{})", d.enterprise_code,
                                        d.indicator, d.period.year, d.period.month));
    }
  }
  const auto last = static_cast<int64_t>(sqlite3_last_insert_rowid(writer_->db()));
  ZP_RETURN_IF_ERROR(txn.Commit());
  return last;
}

Status SqliteStore::ReadEnterpriseData(
    std::string_view enterprise_code, std::string_view indicator,
    const std::function<void(const model::EnterpriseDatum&)>& fn) {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  const char* sql =
      enterprise_code.empty()
          ? (indicator.empty() ? kSqlEnterpriseDataAll : kSqlEnterpriseDataOfIndicator)
          : (indicator.empty() ? kSqlEnterpriseDataOfEnterprise : kSqlEnterpriseDataOfKey);
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, sql));
  if (!enterprise_code.empty()) {
    stmt.Text(1, enterprise_code);
    if (!indicator.empty()) stmt.Text(2, indicator);
  } else if (!indicator.empty()) {
    stmt.Text(1, indicator);
  }
  model::EnterpriseDatum d;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    d.seq = stmt.ColInt(0);
    d.enterprise_code = stmt.ColText(1);
    d.indicator = stmt.ColText(2);
    d.item = stmt.ColText(3);
    d.period.year = stmt.ColInt32(4);
    d.period.month = stmt.ColInt32(5);
    d.value = stmt.ColReal(6);
    d.unit = stmt.ColText(7);
    d.source = stmt.ColText(8);
    d.note = stmt.ColText(9);
    d.recorded_s = stmt.ColInt(10);
    d.deleted = stmt.ColInt(11) != 0;
    fn(d);
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "read enterprise data");
  return Status::OK();
}

// ---- environmental monitoring.

namespace {

EnvHourRow EnvHourFromRow(Stmt& s) {
  EnvHourRow h;
  h.source = s.ColText(0);
  h.pollutant = s.ColText(1);
  h.hour_s = s.ColInt(2);
  h.avg = s.ColReal(3);
  h.zs_avg = s.ColReal(4);
  h.min = s.ColReal(5);
  h.max = s.ColReal(6);
  h.load_kg = s.ColReal(7);
  h.samples = s.ColInt32(8);
  h.valid = s.ColInt32(9);
  h.expected = s.ColInt32(10);
  h.flag = s.ColText(11);
  h.limit = s.ColReal(12);
  h.exceeded = s.ColInt(13) != 0;
  h.origin = s.ColText(14);
  return h;
}

// Binds every field but the id as ?1..?20 (kSqlInsertAlarm, kSqlUpdateAlarm).
void BindAlarm(Stmt& s, const AlarmRow& a) {
  s.Text(1, a.kind)
      .Text(2, a.state)
      .Text(3, a.enterprise_code)
      .Text(4, a.zone_code)
      .Text(5, a.officer)
      .Text(6, a.source)
      .Text(7, a.pollutant)
      .Int(8, a.opened_s)
      .Int(9, a.last_s)
      .Int(10, a.cleared_s)
      .Int(11, a.occurrences)
      .Real(12, a.value)
      .Real(13, a.limit)
      .Text(14, a.unit)
      .Text(15, a.detail)
      .Text(16, a.acknowledged_by)
      .Int(17, a.acknowledged_s)
      .Text(18, a.closed_by)
      .Int(19, a.closed_s)
      .Text(20, a.note);
}

AlarmRow AlarmFromRow(Stmt& s) {
  AlarmRow a;
  a.id = s.ColInt(0);
  a.kind = s.ColText(1);
  a.state = s.ColText(2);
  a.enterprise_code = s.ColText(3);
  a.zone_code = s.ColText(4);
  a.officer = s.ColText(5);
  a.source = s.ColText(6);
  a.pollutant = s.ColText(7);
  a.opened_s = s.ColInt(8);
  a.last_s = s.ColInt(9);
  a.cleared_s = s.ColInt(10);
  a.occurrences = s.ColInt32(11);
  a.value = s.ColReal(12);
  a.limit = s.ColReal(13);
  a.unit = s.ColText(14);
  a.detail = s.ColText(15);
  a.acknowledged_by = s.ColText(16);
  a.acknowledged_s = s.ColInt(17);
  a.closed_by = s.ColText(18);
  a.closed_s = s.ColInt(19);
  a.note = s.ColText(20);
  return a;
}

// The SELECT of ListAlarms for `f`: only the filters in use, so that the planner can pick an
// index (env_alarms_by_zone, env_alarms_by_enterprise, or the partial env_alarms_active and
// env_alarms_active_by_zone, which it takes only when the query says `state <> 'closed'`
// literally). Parameters are numbered in the order AlarmBind binds them.
std::string AlarmSelect(const AlarmFilter& f) {
  std::string sql = kSqlAlarmColumns;
  sql += "WHERE 1";
  int n = 0;
  auto param = [&]() { return fmt::format("?{}", ++n); };
  if (!f.zones.empty()) {
    sql += " AND zone_code IN (";
    for (size_t i = 0; i < f.zones.size(); ++i) {
      if (i > 0) sql += ", ";
      sql += param();
    }
    sql += ")";
  }
  if (!f.enterprise_code.empty()) sql += " AND enterprise_code = " + param();
  if (!f.source.empty()) sql += " AND source = " + param();
  if (!f.pollutant.empty()) sql += " AND pollutant = " + param();
  if (!f.kind.empty()) sql += " AND kind = " + param();
  if (f.state == "active") {
    sql += " AND state <> 'closed'";
  } else if (f.state == "closed") {
    sql += " AND state = " + param();
  } else if (!f.state.empty()) {
    sql += " AND state = " + param() + " AND state <> 'closed'";
  }
  if (f.from_s != 0) sql += " AND last_s >= " + param();
  if (f.to_s != 0) sql += " AND opened_s < " + param();
  if (f.before_id != 0) sql += " AND id < " + param();
  sql += " ORDER BY id DESC LIMIT " + param();
  return sql;
}

void AlarmBind(Stmt& s, const AlarmFilter& f) {
  int n = 0;
  for (const std::string& zone : f.zones) s.Text(++n, zone);
  if (!f.enterprise_code.empty()) s.Text(++n, f.enterprise_code);
  if (!f.source.empty()) s.Text(++n, f.source);
  if (!f.pollutant.empty()) s.Text(++n, f.pollutant);
  if (!f.kind.empty()) s.Text(++n, f.kind);
  if (!f.state.empty() && f.state != "active") s.Text(++n, f.state);
  if (f.from_s != 0) s.Int(++n, f.from_s);
  if (f.to_s != 0) s.Int(++n, f.to_s);
  if (f.before_id != 0) s.Int(++n, f.before_id);
  s.Int(++n, f.limit > 0 ? f.limit : -1);
}

}  // namespace

Result<int64_t> SqliteStore::AppendEnvFrames(std::span<const EnvFrameRow> rows) {
  std::lock_guard lock(writer_->mu());
  if (rows.empty()) {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlLastEnvFrameSeq));
    int rc = stmt.Step();
    if (rc != SQLITE_ROW) return stmt.Error(rc, "read last env frame seq");
    return stmt.ColInt(0);
  }
  Txn txn(*writer_);
  ZP_RETURN_IF_ERROR(txn.Begin(/*write=*/true));
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlAppendEnvFrame));
  for (const EnvFrameRow& f : rows) {
    stmt.Reset();
    stmt.Int(1, f.received_ms)
        .Text(2, f.source)
        .Text(3, f.mn)
        .Int(4, f.cn)
        .Int(5, f.data_time_s)
        .Text(6, f.segment);
    int rc = stmt.Step();
    if (rc != SQLITE_DONE) {
      return stmt.Error(rc, fmt::format("write env frame (source '{}', cn {}, time {})", f.source,
                                        f.cn, f.data_time_s));
    }
  }
  const auto last = static_cast<int64_t>(sqlite3_last_insert_rowid(writer_->db()));
  ZP_RETURN_IF_ERROR(txn.Commit());
  return last;
}

Status SqliteStore::ReadEnvFrames(std::string_view source, int32_t cn, int64_t from_s, int64_t to_s,
                                  int64_t limit,
                                  const std::function<void(const EnvFrameRow&)>& fn) {
  if (from_s >= to_s) return Status::OK();
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt,
                      Stmt::Make(conn, source.empty() ? kSqlEnvFramesAll : kSqlEnvFramesOfSource));
  if (!source.empty()) stmt.Text(1, source);
  stmt.Int(2, from_s).Int(3, to_s).Int(4, cn).Int(5, limit > 0 ? limit : -1);
  EnvFrameRow f;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    f.seq = stmt.ColInt(0);
    f.received_ms = stmt.ColInt(1);
    f.source = stmt.ColText(2);
    f.mn = stmt.ColText(3);
    f.cn = stmt.ColInt32(4);
    f.data_time_s = stmt.ColInt(5);
    f.segment = stmt.ColText(6);
    fn(f);
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "read env frames");
  return Status::OK();
}

Status SqliteStore::PutEnvHours(std::span<const EnvHourRow> rows) {
  if (rows.empty()) return Status::OK();
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_);
  ZP_RETURN_IF_ERROR(txn.Begin(/*write=*/true));
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlUpsertEnvHour));
  for (const EnvHourRow& h : rows) {
    stmt.Reset();
    stmt.Text(1, h.source)
        .Text(2, h.pollutant)
        .Int(3, h.hour_s)
        .Real(4, h.avg)
        .Real(5, h.zs_avg)
        .Real(6, h.min)
        .Real(7, h.max)
        .Real(8, h.load_kg)
        .Int(9, h.samples)
        .Int(10, h.valid)
        .Int(11, h.expected)
        .Text(12, h.flag)
        .Real(13, h.limit)
        .Int(14, h.exceeded ? 1 : 0)
        .Text(15, h.origin);
    int rc = stmt.Step();
    if (rc != SQLITE_DONE) {
      return stmt.Error(rc,
                        fmt::format("write env hour ({} {} {})", h.source, h.pollutant, h.hour_s));
    }
  }
  return txn.Commit();
}

Status SqliteStore::ReadEnvHours(std::string_view source, std::string_view pollutant,
                                 int64_t from_s, int64_t to_s,
                                 const std::function<void(const EnvHourRow&)>& fn) {
  if (from_s >= to_s) return Status::OK();
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  if (!source.empty() && !pollutant.empty()) {
    ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(conn, kSqlEnvHoursOfKey));
    stmt.Text(1, source).Text(2, pollutant).Int(3, from_s).Int(4, to_s);
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) fn(EnvHourFromRow(stmt));
    if (rc != SQLITE_DONE) return stmt.Error(rc, "read env hours");
    return Status::OK();
  }
  // Many keys: walk the primary key, re-seeking whenever a row falls outside the wanted keys or
  // hours. Each statement keeps its own bound key strings alive until it is re-bound.
  ZP_ASSIGN_OR_RETURN(Stmt from, Stmt::Make(conn, kSqlEnvHoursFrom));
  ZP_ASSIGN_OR_RETURN(Stmt after_key, Stmt::Make(conn, kSqlEnvHoursAfterKey));
  ZP_ASSIGN_OR_RETURN(Stmt after_source, Stmt::Make(conn, kSqlEnvHoursAfterSource));
  std::string from_source(source), from_pollutant(pollutant), key_source, key_pollutant,
      after_source_key;
  Stmt* cur = &from;
  auto seek_from = [&](std::string_view s, std::string_view p) {
    cur->Reset();
    from.Reset();
    from_source = s;
    from_pollutant = p;
    from.Text(1, from_source).Text(2, from_pollutant).Int(3, from_s);
    cur = &from;
  };
  auto seek_after_key = [&](std::string_view s, std::string_view p) {
    cur->Reset();
    after_key.Reset();
    key_source = s;
    key_pollutant = p;
    after_key.Text(1, key_source).Text(2, key_pollutant);
    cur = &after_key;
  };
  auto seek_after_source = [&](std::string_view s) {
    cur->Reset();
    after_source.Reset();
    after_source_key = s;
    after_source.Text(1, after_source_key);
    cur = &after_source;
  };
  from.Text(1, from_source).Text(2, from_pollutant).Int(3, from_s);
  std::string row_source, row_pollutant;
  while (true) {
    int rc = cur->Step();
    if (rc == SQLITE_DONE) return Status::OK();
    if (rc != SQLITE_ROW) return cur->Error(rc, "read env hours");
    std::string_view s = cur->ColText(0);
    std::string_view p = cur->ColText(1);
    const int64_t hour_s = cur->ColInt(2);
    if (!source.empty() && s != source) return Status::OK();  // past the source
    if (!pollutant.empty() && p != pollutant) {
      row_source = s;
      if (p < pollutant) {
        seek_from(row_source, pollutant);
      } else {
        seek_after_source(row_source);
      }
    } else if (hour_s < from_s) {
      row_source = s;
      row_pollutant = p;
      seek_from(row_source, row_pollutant);
    } else if (hour_s >= to_s) {
      row_source = s;
      row_pollutant = p;
      if (pollutant.empty()) {
        seek_after_key(row_source, row_pollutant);
      } else {
        seek_after_source(row_source);
      }
    } else {
      fn(EnvHourFromRow(*cur));
    }
  }
}

Result<int64_t> SqliteStore::InsertAlarm(const AlarmRow& row) {
  std::lock_guard lock(writer_->mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlInsertAlarm));
  BindAlarm(stmt, row);
  int rc = stmt.Step();
  if (rc != SQLITE_DONE) {
    return stmt.Error(rc,
                      fmt::format("insert alarm ({} {} {})", row.kind, row.source, row.pollutant));
  }
  return static_cast<int64_t>(sqlite3_last_insert_rowid(writer_->db()));
}

Status SqliteStore::UpdateAlarm(const AlarmRow& row) {
  std::lock_guard lock(writer_->mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Make(*writer_, kSqlUpdateAlarm));
  BindAlarm(stmt, row);
  stmt.Int(21, row.id);
  ZP_RETURN_IF_ERROR(stmt.Run(fmt::format("update alarm {}", row.id)));
  if (sqlite3_changes(writer_->db()) == 0) {
    return NotFoundError(fmt::format("alarm {} not found", row.id));
  }
  return Status::OK();
}

Result<std::optional<AlarmRow>> SqliteStore::GetAlarm(int64_t id) {
  return QueryOne<AlarmRow>(
      reader(), kSqlGetAlarm, [&](Stmt& s) { s.Int(1, id); }, AlarmFromRow, "read alarm");
}

Status SqliteStore::ListAlarms(const AlarmFilter& filter,
                               const std::function<void(const AlarmRow&)>& fn) {
  Conn& conn = reader();
  std::lock_guard lock(conn.mu());
  ZP_ASSIGN_OR_RETURN(Stmt stmt, Stmt::MakeUncached(conn, AlarmSelect(filter)));
  AlarmBind(stmt, filter);
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) fn(AlarmFromRow(stmt));
  if (rc != SQLITE_DONE) return stmt.Error(rc, "list alarms");
  return Status::OK();
}

// ---- test hooks.

Status CreateSqliteAtVersionForTesting(const std::string& path, int32_t version) {
  if (version < 1 || version > kSchemaVersion) {
    return InvalidArgumentError(fmt::format("no schema version {}", version));
  }
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, SqliteStore::Conn::Open(path));
  ZP_ASSIGN_OR_RETURN(FileIdentity id, Identify(*conn, path));
  if (id.objects != 0) return FailedPreconditionError(fmt::format("'{}' is not empty", path));
  ZP_RETURN_IF_ERROR(
      conn->Exec(fmt::format("PRAGMA page_size = {}; PRAGMA journal_mode = WAL", kPageSize).c_str(),
                 "configure"));
  return MigrateTo(*conn, path, version, LogDirOf(path));
}

std::string ListAlarmsSqlForTesting(const AlarmFilter& filter) { return AlarmSelect(filter); }

Status ExecSqliteForTesting(const std::string& path, std::string_view sql) {
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, SqliteStore::Conn::Open(path));
  return conn->Exec(std::string(sql).c_str(), "exec");
}

}  // namespace zp::store
