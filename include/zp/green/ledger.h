#pragma once

// The green-power ledger: an append-only, hash-chained record of every certificate event
// (issuance, transfer, allocation, claim, cancellation, expiry, withdrawal), and the in-memory
// book of granular certificates (whole-Wh ranges per device and production hour) whose accepted
// operations are appended to the ledger in the same critical section. Storage-independent: the
// Store persists records through Ledger's sink. Ledger and CertificateBook are thread-safe.
//
// Canonical record (what an auditor hashes; everything but `hash`):
//   {"actor":A,"fields":{K1:V1,...},"kind":KIND,"prev_hash":P,"seq":N,"time_s":T}
// - One JSON object, no whitespace at all, keys sorted by byte value (fields too; field keys are
//   1-64 chars of [a-z0-9_]). seq and time_s and integer field values are decimal integers
//   (optional '-', no leading zeros, no exponent). There are no floats, booleans, nulls, arrays
//   or nested objects: a field value is an int64 or a string. Energy is in integer Wh.
// - Strings are UTF-8 (invalid UTF-8 is refused) with JSON escaping: '"' -> \", '\' -> \\,
//   0x08 \b, 0x0C \f, 0x0A \n, 0x0D \r, 0x09 \t, other bytes below 0x20 -> \u00xx (lower-case
//   hex); every other character, including '/', DEL and non-ASCII, is written as is.
// - This is exactly Python's json.dumps(obj, sort_keys=True, separators=(",", ":"),
//   ensure_ascii=False) encoded as UTF-8, and nlohmann::json::dump() of the same object.
// hash = lower-case hex SHA-256 of (prev_hash + "\n" + canonical), prev_hash being the 64 hex
// characters of the previous record's hash; the first record (seq 1) has 64 '0's as prev_hash:
//   printf '%s\n%s' "$PREV" "$CANONICAL" | sha256sum
// The JSON line form of a record (RecordToJson, used for exports and the auditor API) is the
// canonical object with "hash":H inserted at its sorted place (between "fields" and "kind").

#include <array>
#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/status.h"

namespace zp::green {

// 64 '0's: prev_hash of seq 1.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

enum class LedgerKind : uint8_t {
  kIssuance,
  kTransfer,
  kAllocation,
  kClaim,
  kCancellation,
  kExpiry,
  kWithdrawal,
};
inline constexpr int kLedgerKindCount = 7;
// "issuance", "transfer", "allocation", "claim", "cancellation", "expiry", "withdrawal".
std::string_view LedgerKindName(LedgerKind k);
// "签发", "转让", "分配", "声明注销", "撤销分配", "过期", "撤回".
std::string_view LedgerKindNameZh(LedgerKind k);
Result<LedgerKind> ParseLedgerKind(std::string_view s);

// A field value: an integer (Wh, seconds, ids) or a UTF-8 string. No floats by construction.
using LedgerValue = std::variant<int64_t, std::string>;
// Ordered by key, as canonicalised.
using LedgerFields = std::map<std::string, LedgerValue, std::less<>>;

struct LedgerRecord {
  int64_t seq = 0;     // 1-based, contiguous
  int64_t time_s = 0;  // UTC seconds
  LedgerKind kind = LedgerKind::kIssuance;
  std::string actor;  // user or service that caused the event
  LedgerFields fields;
  std::string prev_hash;  // hex
  std::string hash;       // hex

  bool operator==(const LedgerRecord&) const = default;
};

// The canonical bytes of `r` (all but r.hash). InvalidArgument for invalid UTF-8 or a bad key.
Result<std::string> CanonicalRecord(const LedgerRecord& r);
// SHA-256 hex of prev_hash + "\n" + canonical.
Result<std::string> ComputeRecordHash(const LedgerRecord& r);
// One-line JSON of the record including "hash" (see above).
Result<std::string> RecordToJson(const LedgerRecord& r);
// Parses RecordToJson's output (any key order and whitespace accepted). InvalidArgument for
// malformed JSON, missing or unknown keys, and any float, NaN, boolean, null, array or nested
// object ("floats are not allowed: energy is in integer Wh").
Result<LedgerRecord> RecordFromJson(std::string_view json);
// The canonical JSON object of `fields` alone (the "fields" member of CanonicalRecord, the
// store's fields_json). InvalidArgument for invalid UTF-8 or a bad key.
Result<std::string> CanonicalFields(const LedgerFields& fields);
// Parses a flat JSON object of integer and string values (CanonicalFields' output; whitespace and
// any escapes accepted), fast. InvalidArgument for malformed JSON, a bad key, a duplicate key or
// any other kind of value. *canonical (when given): whether `json` is exactly
// CanonicalFields(result).
Result<LedgerFields> FieldsFromJson(std::string_view json, bool* canonical = nullptr);
// ComputeRecordHash of a record whose fields are given as their canonical JSON (the store's
// fields_json), without parsing them: equal to ComputeRecordHash(record) when `fields_json` is
// CanonicalFields(record.fields).
Result<std::string> ComputeRecordHash(int64_t seq, int64_t time_s, LedgerKind kind,
                                      std::string_view actor, std::string_view fields_json,
                                      std::string_view prev_hash);
// Parses a JSON-lines export (blank lines skipped); errors name the line number.
Result<std::vector<LedgerRecord>> RecordsFromJsonLines(std::string_view text);

// What is wrong with a chain, for the CLI and the auditor API.
enum class ChainFault : uint8_t {
  kNone,
  kMalformed,         // bad hex, bad key, invalid UTF-8
  kHashMismatch,      // the record was edited after it was hashed
  kMissing,           // a seq is absent (record deleted)
  kOutOfOrder,        // seqs present but reordered or duplicated
  kPrevHashMismatch,  // link to the previous record broken (forged or replaced record)
  kHeadMismatch,      // last hash differs from the expected head (tail truncated or replaced)
};
struct ChainCheck {
  ChainFault fault = ChainFault::kNone;
  int64_t seq = 0;        // first bad seq (0 when none)
  int64_t records = 0;    // records verified before the fault (all when none)
  std::string head_hash;  // hash of the last good record (kGenesisHash when none)
  Status status;          // OK, or DataLoss with a bilingual message naming seq and fault
};
// Verifies a whole chain from seq 1 (genesis), or a segment starting at `first_seq` whose first
// prev_hash must be `prev_hash`; with `expected_head` the last hash must equal it.
ChainCheck CheckChain(std::span<const LedgerRecord> records,
                      std::optional<std::string_view> expected_head = std::nullopt,
                      int64_t first_seq = 1, std::string_view prev_hash = kGenesisHash);
// CheckChain(records).status: every hash recomputed, seqs contiguous from 1, links intact.
Status VerifyChain(std::span<const LedgerRecord> records);
// Also detects a truncated or replaced tail: the last hash must be `expected_head`.
Status VerifyChain(std::span<const LedgerRecord> records, std::string_view expected_head);

// The in-memory chain. Append assigns seq, prev_hash and hash under a mutex, so concurrent
// appends form one valid chain. A sink (the Store) is called with each new record before it
// becomes visible; when the sink fails nothing is appended.
class Ledger {
 public:
  using Sink = std::function<Status(const LedgerRecord&)>;

  // A sink that also gets the record's canonical fields JSON (CanonicalFields), computed once.
  using FieldsSink = std::function<Status(const LedgerRecord&, std::string_view fields_json)>;
  // Reads stored records: up to `limit` (<= 0: all) with seq >= from_seq, ascending.
  using Reader = std::function<Result<std::vector<LedgerRecord>>(int64_t from_seq, int64_t limit)>;

  explicit Ledger(Sink sink = nullptr);
  // Resumes after stored records, which must verify as a chain from seq 1.
  static Result<std::unique_ptr<Ledger>> FromRecords(std::vector<LedgerRecord> records,
                                                     Sink sink = nullptr);
  // Resumes after `size` stored records ending with `head_hash` (verified by the caller) without
  // holding them in memory: records() and Records() read through `reader` (e.g. the Store; on a
  // read error they return what was read before it). For ledgers of millions of records.
  static std::unique_ptr<Ledger> Resume(int64_t size, std::string head_hash, FieldsSink sink,
                                        Reader reader);

  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // The stored record. InvalidArgument for an empty actor, a bad field key or invalid UTF-8.
  Result<LedgerRecord> Append(LedgerKind kind, std::string_view actor, int64_t time_s,
                              LedgerFields fields);

  std::vector<LedgerRecord> records() const;
  // Up to `limit` records with seq >= from_seq, in order (paging for the auditor API).
  std::vector<LedgerRecord> Records(int64_t from_seq, int64_t limit) const;
  std::string head_hash() const;
  int64_t size() const;

 private:
  FieldsSink sink_;
  Reader reader_;  // set by Resume: records are not kept
  mutable std::mutex mu_;
  std::vector<LedgerRecord> records_;  // records_[i].seq == i + 1 (without a reader)
  int64_t size_ = 0;
  std::string head_;  // kGenesisHash when empty
};

// --- granular certificates.

// active: held by the issuance account; transferred: held by another account (both usable);
// allocated: earmarked for a consumer enterprise; claimed: cancelled on the consumer's behalf
// (final, counts as green power); expired; withdrawn by the issuer (final).
enum class CertStatus : uint8_t {
  kActive,
  kTransferred,
  kAllocated,
  kClaimed,
  kExpired,
  kWithdrawn
};
inline constexpr int kCertStatusCount = 6;
std::string_view CertStatusName(CertStatus s);  // "active", ... "withdrawn"
std::string_view CertStatusNameZh(CertStatus s);  // "有效", "已转让", "已分配", "已声明注销", ...
Result<CertStatus> ParseCertStatus(std::string_view s);

// A range [from_wh, to_wh) of one device's issued Wh (each device's Wh are numbered from 0,
// contiguously across its issuances).
struct WhRange {
  std::string device;
  int64_t from_wh = 0;
  int64_t to_wh = 0;
  int64_t wh() const { return to_wh - from_wh; }
};

// A bundle: a maximal range of one issuance with one status, account and consumer.
struct CertBundle {
  int64_t issuance_id = 0;  // 1-based, unchanged by splits
  std::string device;
  std::string technology;  // e.g. "pv", "wind"
  std::string location;    // grid area / site
  std::string issuer;
  int64_t production_hour_s = 0;  // UTC start of the production hour (multiple of 3600)
  int64_t from_wh = 0;
  int64_t to_wh = 0;
  CertStatus status = CertStatus::kActive;
  std::string account;     // holder
  std::string consumer;    // consumer enterprise when allocated or claimed
  int64_t ledger_seq = 0;  // seq of the ledger record that last changed this range
  bool operator==(const CertBundle&) const = default;
};

struct IssueRequest {
  std::string device;
  std::string technology;
  std::string location;
  std::string issuer;
  std::string account;  // the producer's account, which receives the certificates
  int64_t production_hour_s = 0;
  int64_t wh = 0;  // metered generation of the hour, rounded down to whole Wh; > 0
};

// Who did it, when, and a free reference (contract, allocation run, reason).
struct CertAction {
  std::string actor;
  int64_t time_s = 0;
  std::string reference;
};

// A certificates query: bundles matching every filter, ordered by (production hour, device,
// from_wh), one page of them.
struct CertQuery {
  // Bundles whose account or consumer is one of these (enterprise codes, "park", "storage:X");
  // empty: any.
  std::vector<std::string> parties;
  std::string device;                // "" = any
  std::optional<CertStatus> status;  // nullopt = any
  int64_t from_hour_s = 0;           // production hour >= from_hour_s
  int64_t to_hour_s = INT64_MAX;     // production hour < to_hour_s
  int64_t offset = 0;
  int64_t limit = 100;  // <= 0: no bundles, only the totals
};

struct CertPage {
  int64_t total = 0;     // bundles matching every filter
  int64_t total_wh = 0;  // their Wh
  // Wh per status of the bundles matching every filter but `status` (tabs of a browser).
  std::array<int64_t, kCertStatusCount> wh_by_status{};
  std::vector<CertBundle> bundles;  // [offset, offset + limit) of the matches
};

// Certificate bookkeeping. Every operation works on a range lying inside one bundle, splits the
// bundle as needed, and appends its ledger record under the book's mutex before changing state,
// so concurrent callers cannot double-allocate or double-claim. Errors: InvalidArgument (bad
// input), NotFound (range not issued), FailedPrecondition (wrong status or holder, double
// allocation or claim, range spanning several bundles), AlreadyExists (device-hour already issued).
class CertificateBook {
 public:
  // `ledger` must outlive the book.
  explicit CertificateBook(Ledger& ledger);
  ~CertificateBook();
  CertificateBook(const CertificateBook&) = delete;
  CertificateBook& operator=(const CertificateBook&) = delete;

  // Issues [next, next + wh) of the device, next being where its previous issuance ended.
  Result<CertBundle> Issue(const IssueRequest& req, const CertAction& act);
  // active/transferred held by `from_account` -> transferred to `to_account`.
  Result<CertBundle> Transfer(const WhRange& r, std::string_view from_account,
                              std::string_view to_account, const CertAction& act);
  // active/transferred held by `account` -> allocated to `consumer`.
  Result<CertBundle> Allocate(const WhRange& r, std::string_view account, std::string_view consumer,
                              const CertAction& act);
  // allocated to `consumer`, or active/transferred held by account == consumer -> claimed.
  Result<CertBundle> Claim(const WhRange& r, std::string_view consumer, const CertAction& act);
  // Same, with `extra` fields in the claim record (e.g. consumption_cert, consumption_wh);
  // InvalidArgument when one of them is a field the book writes itself.
  Result<CertBundle> Claim(const WhRange& r, std::string_view consumer, const CertAction& act,
                           LedgerFields extra);
  // Undoes an allocation (e.g. the hour is re-allocated): allocated -> active/transferred.
  Result<CertBundle> CancelAllocation(const WhRange& r, const CertAction& act);
  // Every active, transferred or allocated bundle produced before `cutoff_hour_s` -> expired;
  // returns how many Wh expired.
  Result<int64_t> ExpireBefore(int64_t cutoff_hour_s, const CertAction& act);
  // Issuer withdraws (e.g. metering error): any status but claimed -> withdrawn.
  Result<CertBundle> Withdraw(const WhRange& r, const CertAction& act);

  // Applies a record already in the ledger (replaying a stored chain in seq order into an empty
  // book, the ledger being the one that holds them): the same transition as the operation that
  // wrote it, without appending. DataLoss naming the seq when the record does not apply to the
  // book's state (it was not written by a CertificateBook, or records are missing).
  Status Replay(const LedgerRecord& r);

  // All bundles ordered by device then from_wh.
  std::vector<CertBundle> Bundles() const;
  // Wh per status, indexed by CertStatus.
  std::array<int64_t, kCertStatusCount> WhByStatus() const;
  int64_t IssuedWh() const;
  // The Wh range issued for the device's production hour, nullopt when none was.
  std::optional<WhRange> IssuedRange(std::string_view device, int64_t production_hour_s) const;
  // See CertQuery. Cost: the bundles of the query's parties (or device, or hours) in its hours.
  CertPage Query(const CertQuery& q) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zp::green
