// `zeropark ledger verify` and `zeropark ledger export`: the hash-chained green-power ledger
// (zp/green/ledger.h), checked and exported from the database or checked from an exported file,
// so that an auditor can verify a copy without access to the park's database.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>

#include "cli.h"
#include "zp/green/ledger.h"
#include "zp/green/ledger_store.h"
#include "zp/store/store.h"

namespace zp::cli {
namespace {

struct LedgerArgs {
  std::string db;
  std::string head;
  std::string file;
  std::string prev_hash;  // --prev-hash: anchors an export that starts after seq 1
  int64_t from_seq = 1;
};

bool IsHex64(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Opens an existing database only: verifying a mistyped path must not create an empty ledger.
Result<std::unique_ptr<store::Store>> OpenExisting(const std::string& db) {
  if (!db.starts_with("memory:")) {
    std::string path = db.starts_with("sqlite:") ? db.substr(7) : db;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return NotFoundError(fmt::format("no database at {} / 数据库不存在", path));
    }
  }
  auto store = store::OpenStore(db);
  if (!store.ok()) return store.error().WithContext(fmt::format("opening {}", db));
  return store;
}

int Report(const green::ChainCheck& c) {
  if (c.fault == green::ChainFault::kNone) {
    fmt::print("ledger OK: {} records, head {} / 账本完好: {} 条记录, 末条哈希 {}\n", c.records,
               c.head_hash, c.records, c.head_hash);
    return 0;
  }
  fmt::print(stderr, "ledger BROKEN / 账本已被篡改: {}\n", c.status.message());
  fmt::print(stderr, "{} records verified before it, last good hash {} / 此前 {} 条记录完好\n",
             c.records, c.head_hash, c.records);
  return 1;
}

int Verify(const LedgerArgs& a) {
  std::optional<std::string_view> head;
  if (!a.head.empty()) {
    if (!IsHex64(a.head)) {
      return Fail("--head must be 64 lower-case hex digits / --head 须为 64 位小写十六进制");
    }
    head = a.head;
  }
  if (!a.file.empty()) {
    auto text = ReadFile(a.file);
    if (!text.ok()) return Fail(text.error());
    auto records = green::RecordsFromJsonLines(*text);
    if (!records.ok()) {
      return Fail(records.error().WithContext(
          fmt::format("{}: unreadable ledger export / 账本导出文件无法解析", a.file)));
    }
    if (!a.prev_hash.empty() && !IsHex64(a.prev_hash)) {
      return Fail(
          "--prev-hash must be 64 lower-case hex digits / --prev-hash 须为 64 位小写十六进制");
    }
    if (records->empty() || records->front().seq == 1) {
      if (!a.prev_hash.empty() && a.prev_hash != green::kGenesisHash) {
        return Fail(
            "--prev-hash is for an export that starts after seq 1 / "
            "--prev-hash 仅用于不从第 1 条开始的导出");
      }
      return Report(green::CheckChain(*records, head));
    }
    // A segment (`ledger export --from-seq N`): its links and hashes are checked from its first
    // record on; that record's prev_hash is only trusted when --prev-hash confirms it.
    const green::LedgerRecord& first = records->front();
    std::string_view anchor = a.prev_hash.empty() ? std::string_view(first.prev_hash) : a.prev_hash;
    if (a.prev_hash.empty()) {
      fmt::print(stderr,
                 "note: the export starts at seq {}; its first link is not anchored (pass "
                 "--prev-hash with the published hash of seq {}) / 导出从第 {} 条开始, 首条链接"
                 "未锚定 (用 --prev-hash 指定第 {} 条的哈希)\n",
                 first.seq, first.seq - 1, first.seq, first.seq - 1);
    }
    return Report(green::CheckChain(*records, head, first.seq, anchor));
  }
  auto store = OpenExisting(a.db);
  if (!store.ok()) return Fail(store.error());
  auto check = green::CheckStoredChain(**store, head);
  if (!check.ok()) return Fail(check.error());
  return Report(*check);
}

int Export(const LedgerArgs& a) {
  auto store = OpenExisting(a.db);
  if (!store.ok()) return Fail(store.error());
  Status bad;
  std::string out;
  Status s = (*store)->ReadLedger(a.from_seq, 0, [&](const store::LedgerRow& row) {
    if (!bad.ok()) return;
    auto record = green::RecordFromRow(row);
    if (!record.ok()) {
      bad = record.error();
      return;
    }
    auto line = green::RecordToJson(*record);
    if (!line.ok()) {
      bad = line.error().WithContext(fmt::format("ledger seq {}", row.seq));
      return;
    }
    out += *line;
    out += '\n';
    if (out.size() >= (1 << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  });
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (!s.ok()) return Fail(s);
  if (!bad.ok()) return Fail(bad);
  return 0;
}

}  // namespace

void AddLedgerCommands(CLI::App& app, Runner* run) {
  auto* ledger = app.add_subcommand(
      "ledger", "the hash-chained green-power certificate ledger / 绿电证书哈希链账本");
  ledger->require_subcommand(1);
  {
    auto a = std::make_shared<LedgerArgs>();
    auto* verify = ledger->add_subcommand(
        "verify",
        "recompute every hash and link from seq 1; exit 1 naming the first bad record / "
        "逐条重算哈希与链接, 发现篡改时退出码为 1 并指出第一条问题记录");
    AddDbOption(verify, &a->db);
    verify->add_option("--head", a->head,
                       "expected hash of the last record (a published head catches a cut or "
                       "replaced tail) / 预期的末条哈希");
    verify->add_option("--file", a->file,
                       "verify an export (JSON lines from `ledger export`) instead of the database "
                       "/ 校验导出文件");
    verify->add_option("--prev-hash", a->prev_hash,
                       "hash of the record before an export that starts after seq 1 (anchors "
                       "its first link) / 导出文件首条之前一条记录的哈希");
    verify->callback([run, a] { *run = [a] { return Verify(*a); }; });
  }
  {
    auto a = std::make_shared<LedgerArgs>();
    auto* exp = ledger->add_subcommand(
        "export", "records as JSON lines on stdout, hash included / 以 JSON 行导出记录 (含哈希)");
    AddDbOption(exp, &a->db);
    exp->add_option("--from-seq", a->from_seq, "first record / 起始序号")->capture_default_str();
    exp->callback([run, a] { *run = [a] { return Export(*a); }; });
  }
}

}  // namespace zp::cli
