#include "zp/green/ledger_store.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>

namespace zp::green {

Result<store::LedgerRow> RecordToRow(const LedgerRecord& r) {
  store::LedgerRow row;
  row.seq = r.seq;
  row.time_s = r.time_s;
  row.kind = std::string(LedgerKindName(r.kind));
  row.actor = r.actor;
  row.prev_hash = r.prev_hash;
  row.hash = r.hash;
  // nlohmann::json objects are key-sorted and dump() without indent writes the canonical form
  // (see ledger.h); invalid UTF-8 throws.
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [key, value] : r.fields) {
    if (const auto* i = std::get_if<int64_t>(&value)) {
      fields[key] = *i;
    } else {
      fields[key] = std::get<std::string>(value);
    }
  }
  try {
    row.fields_json = fields.dump();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("ledger seq {}: fields: {}", r.seq, e.what()));
  }
  return row;
}

Result<LedgerRecord> RecordFromRow(const store::LedgerRow& row) {
  nlohmann::json j;
  try {
    j = nlohmann::json::object({{"actor", row.actor},
                                {"fields", nlohmann::json::parse(row.fields_json)},
                                {"hash", row.hash},
                                {"kind", row.kind},
                                {"prev_hash", row.prev_hash},
                                {"seq", row.seq},
                                {"time_s", row.time_s}});
    auto r = RecordFromJson(j.dump());
    if (!r.ok()) return r.error().WithContext(fmt::format("ledger seq {}", row.seq));
    return std::move(*r);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(
        fmt::format("ledger seq {}: unreadable row: {}", row.seq, e.what()));
  }
}

Result<std::vector<LedgerRecord>> ReadStoredRecords(store::Store& store, int64_t from_seq,
                                                    int64_t limit) {
  std::vector<LedgerRecord> out;
  Status bad;
  ZP_RETURN_IF_ERROR(store.ReadLedger(from_seq, limit, [&](const store::LedgerRow& row) {
    if (!bad.ok()) return;
    auto r = RecordFromRow(row);
    if (r.ok()) {
      out.push_back(std::move(*r));
    } else {
      bad = r.error();
    }
  }));
  if (!bad.ok()) return bad;
  return out;
}

Result<ChainCheck> CheckStoredChain(store::Store& store,
                                    std::optional<std::string_view> expected_head) {
  std::vector<LedgerRecord> records;
  std::optional<store::LedgerRow> unreadable;
  std::string why;
  ZP_RETURN_IF_ERROR(store.ReadLedger(1, 0, [&](const store::LedgerRow& row) {
    if (unreadable) return;
    auto r = RecordFromRow(row);
    if (r.ok()) {
      records.push_back(std::move(*r));
    } else {
      unreadable = row;
      why = r.error().message();
    }
  }));
  if (!unreadable) return CheckChain(records, expected_head);
  // The rows before the unreadable one first; their fault comes first.
  ChainCheck before = CheckChain(records);
  if (before.fault != ChainFault::kNone) return before;
  if (unreadable->seq != before.records + 1) {
    // The unreadable row does not even stand at the next seq: report the gap or disorder.
    LedgerRecord stand_in;
    stand_in.seq = unreadable->seq;
    records.push_back(std::move(stand_in));
    ChainCheck gap = CheckChain(records);
    if (gap.fault == ChainFault::kMissing || gap.fault == ChainFault::kOutOfOrder) return gap;
  }
  ChainCheck c;
  c.fault = ChainFault::kMalformed;
  c.seq = unreadable->seq;
  c.records = before.records;
  c.head_hash = before.head_hash;
  c.status = DataLossError(fmt::format(
      "ledger seq {}: malformed record ({}) / 账本第 {} 条: 记录格式无效", c.seq, why, c.seq));
  return c;
}

Result<std::unique_ptr<StoredLedger>> StoredLedger::Open(store::Store& store) {
  auto records = ReadStoredRecords(store);
  if (!records.ok()) {
    // An unreadable row: report it the way `zeropark ledger verify` does (first bad seq).
    ZP_ASSIGN_OR_RETURN(ChainCheck check, CheckStoredChain(store));
    if (!check.status.ok()) return check.status;
    return records.error();
  }
  store::Store* target = &store;
  // FromRecords refuses a broken chain with CheckChain's status.
  ZP_ASSIGN_OR_RETURN(
      std::unique_ptr<Ledger> ledger,
      Ledger::FromRecords(std::move(*records), [target](const LedgerRecord& r) -> Status {
        ZP_ASSIGN_OR_RETURN(store::LedgerRow row, RecordToRow(r));
        return target->AppendLedger(std::span(&row, 1));
      }));
  return std::unique_ptr<StoredLedger>(new StoredLedger(std::move(ledger)));
}

}  // namespace zp::green
