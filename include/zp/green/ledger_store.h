#pragma once

// The green-power ledger kept in a Store: conversions between green::LedgerRecord and the
// store's LedgerRow (whose `fields_json` is the canonical JSON object of the fields), a checked
// read of the stored chain (for `zeropark ledger verify` and the auditor API), and StoredLedger,
// the Ledger whose sink appends each new record to the Store inside Ledger::Append's critical
// section, so the stored chain and the in-memory one never diverge.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/base/status.h"
#include "zp/green/ledger.h"
#include "zp/store/store.h"

namespace zp::green {

// InvalidArgument for invalid UTF-8 or a bad field key.
Result<store::LedgerRow> RecordToRow(const LedgerRecord& r);
// InvalidArgument (naming the seq) for an unknown kind or fields that are not a JSON object of
// integers and strings. The hashes are copied, not checked.
Result<LedgerRecord> RecordFromRow(const store::LedgerRow& row);

// Stored records with seq >= from_seq, ascending, at most `limit` (<= 0: all).
Result<std::vector<LedgerRecord>> ReadStoredRecords(store::Store& store, int64_t from_seq = 1,
                                                    int64_t limit = 0);

// Verifies the whole stored chain from seq 1 (and its head against `expected_head` when given).
// A row that cannot even be read as a record is a kMalformed fault at its seq (after the rows
// before it verified). The error is only for a store that cannot be read.
Result<ChainCheck> CheckStoredChain(store::Store& store,
                                    std::optional<std::string_view> expected_head = std::nullopt);

class StoredLedger {
 public:
  // Reads every stored record and verifies the chain: a tampered store is refused with
  // CheckChain's DataLoss status (naming the first bad seq). `store` must outlive this.
  static Result<std::unique_ptr<StoredLedger>> Open(store::Store& store);

  StoredLedger(const StoredLedger&) = delete;
  StoredLedger& operator=(const StoredLedger&) = delete;

  // Appends go through Ledger::Append: the record is written to the Store before it becomes
  // visible; when the Store refuses it (e.g. FailedPrecondition: another writer appended to the
  // same database first) nothing is appended.
  Ledger& ledger() { return *ledger_; }
  const Ledger& ledger() const { return *ledger_; }

 private:
  explicit StoredLedger(std::unique_ptr<Ledger> ledger) : ledger_(std::move(ledger)) {}

  std::unique_ptr<Ledger> ledger_;
};

}  // namespace zp::green
