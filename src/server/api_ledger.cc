// GET /api/v1/ledger: the green-power ledger (zp/green/ledger.h) for auditors, page by page, each
// record in its RecordToJson form (hash included) so that a client can recompute every hash, plus
// the current head hash; with verify=1 the server also checks the whole stored chain.

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "api.h"
#include "params.h"
#include "zp/green/ledger.h"
#include "zp/green/ledger_store.h"

namespace zp::server {

using nlohmann::json;

HttpResponse Api::LedgerRecords(const HttpRequest& r) {
  auto from = ParseIntParam(r, "from_seq", 1, 1, INT64_MAX);
  auto limit = ParseIntParam(r, "limit", 1000, 1, 100000);
  auto verify = ParseIntParam(r, "verify", 0, 0, 1);
  if (!from.ok()) return ErrorResponse(from.status());
  if (!limit.ok()) return ErrorResponse(limit.status());
  if (!verify.ok()) return ErrorResponse(verify.status());
  store::Store& store = engine_.store();
  auto size = store.LedgerSize();
  if (!size.ok()) return ErrorResponse(size.status());
  json records = json::array();
  std::string head(green::kGenesisHash);
  Status bad;
  auto add = [&](const store::LedgerRow& row) {
    if (!bad.ok()) return;
    auto record = green::RecordFromRow(row);
    if (!record.ok()) {
      bad = record.error();
      return;
    }
    auto line = green::RecordToJson(*record);
    if (!line.ok()) {
      bad = line.error();
      return;
    }
    records.push_back(json::parse(*line, nullptr, false));
  };
  Status s = store.ReadLedger(*from, *limit, add);
  if (s.ok() && *size > 0) {
    s = store.ReadLedger(*size, 1, [&](const store::LedgerRow& row) { head = row.hash; });
  }
  if (!s.ok()) return ErrorResponse(s);
  // A row that is not even a record: the store was tampered with; say so and where.
  if (!bad.ok()) return ErrorResponse(DataLossError(bad.message()));
  const auto count = static_cast<int64_t>(records.size());
  json out{{"records", std::move(records)},
           {"count", count},
           {"size", *size},
           {"head_hash", head},
           {"next_from_seq", count > 0 && *from + count <= *size ? json(*from + count) : json()}};
  if (*verify == 1) {
    auto check = green::CheckStoredChain(store);
    if (!check.ok()) return ErrorResponse(check.status());
    json v{{"ok", check->fault == green::ChainFault::kNone},
           {"records", check->records},
           {"head_hash", check->head_hash}};
    if (check->fault != green::ChainFault::kNone) {
      v["seq"] = check->seq;
      v["message"] = check->status.message();
    }
    out["verify"] = std::move(v);
  }
  return JsonResponse(out.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace zp::server
