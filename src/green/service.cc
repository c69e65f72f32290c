#include "zp/green/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <utility>

#include "zp/base/logging.h"
#include "zp/base/time.h"
#include "zp/engine/engine.h"
#include "zp/green/allocation.h"
#include "zp/green/issuance.h"
#include "zp/green/ledger_store.h"
#include "zp/green/supply.h"

namespace zp::green {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kSettlementReference = "settlement ";
constexpr int32_t kMaxStatementMonths = 120;
constexpr std::string_view kStoragePrefix = "storage:";

std::string SettlementKey(int32_t month) {
  return fmt::format("{}{}", kSettlementSettingPrefix, FormatMonth(month));
}

// "CC-E001-2025060112": the consumer's local production hour.
std::string ConsumptionCert(std::string_view consumer, int64_t hour_s, const TimeZone& zone) {
  const CivilTime t = SecondsToCivil(zone.ToLocal(hour_s));
  return fmt::format("CC-{}-{:04d}{:02d}{:02d}{:02d}", consumer, t.year, t.month, t.day, t.hour);
}

const std::string* StringOf(const LedgerFields& f, std::string_view key) {
  auto it = f.find(key);
  return it == f.end() ? nullptr : std::get_if<std::string>(&it->second);
}
int64_t IntOf(const LedgerFields& f, std::string_view key) {
  auto it = f.find(key);
  if (it == f.end()) return 0;
  const int64_t* v = std::get_if<int64_t>(&it->second);
  return v == nullptr ? 0 : *v;
}

// --- settlement summaries as JSON (the setting).

std::string SettlementToJson(const Settlement& s) {
  json enterprises = json::array();
  for (const SettledEnterprise& e : s.enterprises) {
    enterprises.push_back(json{{"code", e.enterprise},
                               {"consumption_wh", e.consumption_wh},
                               {"claimed_wh", e.claimed_wh},
                               {"annual_matched_wh", e.annual_matched_wh},
                               {"trading_matched_wh", e.trading_matched_wh},
                               {"gec_bundled", e.gec_bundled},
                               {"gec_unbundled", e.gec_unbundled},
                               {"gec_shortfall_wh", e.gec_shortfall_wh}});
  }
  json sources = json::array();
  for (const SettledVolumes::Source& src : s.volumes.sources) {
    sources.push_back(json{{"asset", src.asset},
                           {"round", src.round},
                           {"generation_wh", src.generation_wh},
                           {"eligible", src.eligible}});
  }
  json storage = json::object();
  for (const auto& [asset, st] : s.storage_end) {
    storage[asset] = json{{"green_wh", st.green_wh}, {"stored_wh", st.stored_wh}};
  }
  json j = json::object();
  ForEachSettlementTotal(s, [&j](const char* name, const auto& value) { j[name] = value; });
  j["settled_at_s"] = s.settled_at_s;
  j["enterprises"] = std::move(enterprises);
  j["volumes"] = json{{"consumers", s.volumes.consumers},
                      {"consumption_wh", s.volumes.consumption_wh},
                      {"sources", std::move(sources)}};
  j["storage_end"] = std::move(storage);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Settlement> SettlementFromJson(std::string_view text) {
  try {
    const json j = json::parse(text);
    Settlement s;
    ZP_ASSIGN_OR_RETURN(s.month, ParseMonth(j.at("month").get<std::string>()));
    s.issued_wh = j.at("issued_wh").get<int64_t>();
    s.allocated_wh = j.at("allocated_wh").get<int64_t>();
    s.claimed_wh = j.at("claimed_wh").get<int64_t>();
    s.storage_wh = j.at("storage_wh").get<int64_t>();
    s.bundles = j.at("bundles").get<int64_t>();
    s.ledger_from_seq = j.at("ledger_from_seq").get<int64_t>();
    s.ledger_to_seq = j.at("ledger_to_seq").get<int64_t>();
    s.head_hash = j.at("head_hash").get<std::string>();
    s.settled_at_s = j.at("settled_at_s").get<int64_t>();
    s.actor = j.at("actor").get<std::string>();
    for (const json& e : j.at("enterprises")) {
      SettledEnterprise x;
      x.enterprise = e.at("code").get<std::string>();
      x.consumption_wh = e.at("consumption_wh").get<int64_t>();
      x.claimed_wh = e.at("claimed_wh").get<int64_t>();
      x.annual_matched_wh = e.at("annual_matched_wh").get<int64_t>();
      x.trading_matched_wh = e.at("trading_matched_wh").get<int64_t>();
      x.gec_bundled = e.at("gec_bundled").get<int64_t>();
      x.gec_unbundled = e.at("gec_unbundled").get<int64_t>();
      x.gec_shortfall_wh = e.at("gec_shortfall_wh").get<int64_t>();
      s.enterprises.push_back(std::move(x));
    }
    const json& v = j.at("volumes");
    s.volumes.consumers = v.at("consumers").get<std::vector<std::string>>();
    s.volumes.consumption_wh = v.at("consumption_wh").get<std::vector<int64_t>>();
    for (const json& src : v.at("sources")) {
      SettledVolumes::Source x;
      x.asset = src.at("asset").get<std::string>();
      x.round = src.at("round").get<int32_t>();
      x.generation_wh = src.at("generation_wh").get<int64_t>();
      x.eligible = src.at("eligible").get<std::vector<int32_t>>();
      s.volumes.sources.push_back(std::move(x));
    }
    for (const auto& [asset, st] : j.at("storage_end").items()) {
      s.storage_end[asset] =
          StorageState{st.at("green_wh").get<int64_t>(), st.at("stored_wh").get<int64_t>()};
    }
    if (s.volumes.consumption_wh.size() != s.volumes.consumers.size()) {
      return InvalidArgumentError("volumes: consumers and consumption differ in length");
    }
    return s;
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("settlement summary: {}", e.what()));
  }
}

// What the ledger itself says about one settlement (its records' reference).
struct LedgerMonth {
  int64_t from_seq = 0, to_seq = 0;
  int64_t issued_wh = 0, allocated_wh = 0, claimed_wh = 0, storage_wh = 0;
  int64_t time_s = 0;
  std::string actor;
};

}  // namespace

Result<int32_t> ParseMonth(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError(
        fmt::format("'{}' is not a month YYYY-MM / 月份格式应为 YYYY-MM", text.substr(0, 40)));
  };
  if (text.size() != 7 || text[4] != '-') return bad();
  int32_t year = 0, month = 0;
  for (size_t i = 0; i < 7; ++i) {
    if (i == 4) continue;
    if (text[i] < '0' || text[i] > '9') return bad();
    (i < 4 ? year : month) = (i < 4 ? year : month) * 10 + (text[i] - '0');
  }
  if (year < 1970 || month < 1 || month > 12) return bad();
  return MonthIndex(year, month);
}

std::string FormatMonth(int32_t month) {
  return fmt::format("{:04d}-{:02d}", MonthIndexYear(month), MonthIndexMonth(month));
}

struct GreenService::State {
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<CertificateBook> book;
  std::map<int32_t, Settlement> settlements;
  // Per consumer: (production hour, consumption Wh) of its claims, sorted by hour, unique.
  std::unordered_map<std::string, std::vector<std::pair<int64_t, int64_t>>> consumption;
  // While a settlement runs, the sink collects its rows here instead of writing them.
  bool buffering = false;
  std::vector<store::LedgerRow> pending;

  void AddConsumption(const std::string& consumer, int64_t hour_s, int64_t wh) {
    auto& v = consumption[consumer];
    if (!v.empty() && v.back().first == hour_s) return;
    v.emplace_back(hour_s, wh);
  }
  void SortConsumption() {
    for (auto& [consumer, v] : consumption) {
      if (std::is_sorted(v.begin(), v.end())) continue;
      std::stable_sort(v.begin(), v.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      v.erase(std::unique(v.begin(), v.end(),
                          [](const auto& a, const auto& b) { return a.first == b.first; }),
              v.end());
    }
  }
  int64_t ConsumptionAt(const std::string& consumer, int64_t hour_s) const {
    auto it = consumption.find(consumer);
    if (it == consumption.end()) return 0;
    auto p = std::lower_bound(it->second.begin(), it->second.end(),
                              std::pair<int64_t, int64_t>(hour_s, INT64_MIN));
    return p != it->second.end() && p->first == hour_s ? p->second : 0;
  }
};

GreenService::GreenService(store::Store& store, engine::Engine& engine, GreenServiceOptions options)
    : store_(store), engine_(engine), options_(std::move(options)) {}

GreenService::~GreenService() = default;

int64_t GreenService::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::unique_ptr<GreenService>> GreenService::Open(store::Store& store,
                                                         engine::Engine& engine,
                                                         GreenServiceOptions options) {
  if (options.issuer.empty()) return InvalidArgumentError("green service needs an issuer");
  std::unique_ptr<GreenService> service(new GreenService(store, engine, std::move(options)));
  const auto t0 = Clock::now();
  ZP_ASSIGN_OR_RETURN(service->state_, service->Load());
  if (const int64_t n = service->state_->ledger->size(); n > 0) {
    LogInfo("green ledger: {} records verified and replayed ({} settled months) in {:.2f} s", n,
            service->state_->settlements.size(),
            std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return service;
}

Result<std::unique_ptr<GreenService::State>> GreenService::Load() const {
  auto state = std::make_unique<State>();
  store::Store* store = &store_;
  State* st = state.get();

  // Settlement summaries, checked against the ledger below.
  ZP_ASSIGN_OR_RETURN(auto settings, store_.ListSettings(kSettlementSettingPrefix));
  std::map<int32_t, Settlement> summaries;
  std::unordered_map<int64_t, std::vector<int32_t>> check_at;  // to_seq -> months
  for (const auto& [key, value] : settings) {
    auto s = SettlementFromJson(value);
    if (!s.ok() || SettlementKey(s->month) != key) {
      LogWarning("ignoring unreadable green settlement summary {}: {}", key,
                 s.ok() ? "month differs from its key" : s.status().message());
      continue;
    }
    check_at[s->ledger_to_seq].push_back(s->month);
    summaries.emplace(s->month, std::move(*s));
  }
  std::set<int32_t> confirmed;
  if (auto it = check_at.find(0); it != check_at.end()) {
    for (int32_t m : it->second) {
      if (summaries.at(m).head_hash == kGenesisHash) confirmed.insert(m);
    }
  }

  // The ledger resumes after the stored records (its size and head checked after the replay);
  // the book over it, rebuilt by replaying every stored record.
  ZP_ASSIGN_OR_RETURN(const int64_t size, store_.LedgerSize());
  std::string head(kGenesisHash);
  if (size > 0) {
    ZP_RETURN_IF_ERROR(
        store_.ReadLedger(size, 1, [&](const store::LedgerRow& row) { head = row.hash; }));
  }
  state->ledger = Ledger::Resume(
      size, head,
      [st, store](const LedgerRecord& r, std::string_view fields_json) -> Status {
        store::LedgerRow row;
        row.seq = r.seq;
        row.time_s = r.time_s;
        row.kind = std::string(LedgerKindName(r.kind));
        row.actor = r.actor;
        row.fields_json = std::string(fields_json);
        row.prev_hash = r.prev_hash;
        row.hash = r.hash;
        if (st->buffering) {
          st->pending.push_back(std::move(row));
          return Status::OK();
        }
        return store->AppendLedger(std::span(&row, 1));
      },
      [store](int64_t from_seq, int64_t limit) {
        return ReadStoredRecords(*store, from_seq, limit);
      });
  state->book = std::make_unique<CertificateBook>(*state->ledger);
  CertificateBook* book = state->book.get();

  // Every stored record: decoded, its chain link and hash checked, replayed into the book.
  std::map<int32_t, LedgerMonth> ledger_months;
  int64_t expected = 1;
  std::string prev(kGenesisHash);
  Status bad;     // a fault of the chain: CheckStoredChain names it
  Status replay;  // a record that does not apply to the book
  std::string last_reference;
  LedgerMonth* last_month = nullptr;  // of last_reference (std::map nodes are stable)
  ZP_RETURN_IF_ERROR(store_.ReadLedger(1, size, [&](const store::LedgerRow& row) {
    if (!bad.ok() || !replay.ok()) return;
    LedgerRecord r;
    r.seq = row.seq;
    r.time_s = row.time_s;
    r.actor = row.actor;
    r.prev_hash = row.prev_hash;
    r.hash = row.hash;
    auto kind = ParseLedgerKind(row.kind);
    bool canonical = false;
    auto fields = FieldsFromJson(row.fields_json, &canonical);
    if (!kind.ok() || !fields.ok() || r.seq != expected || r.prev_hash != prev) {
      bad = DataLossError("chain fault");
      return;
    }
    r.kind = *kind;
    r.fields = std::move(*fields);
    // Stored canonical fields (as written here) are hashed as they are, without re-serializing.
    auto hash = canonical ? ComputeRecordHash(r.seq, r.time_s, r.kind, r.actor, row.fields_json,
                                              r.prev_hash)
                          : ComputeRecordHash(r);
    if (!hash.ok() || *hash != r.hash) {
      bad = DataLossError("chain fault");
      return;
    }
    if (Status s = book->Replay(r); !s.ok()) {
      replay = s;
      return;
    }
    if (auto it = check_at.find(r.seq); it != check_at.end()) {
      for (int32_t m : it->second) {
        if (summaries.at(m).head_hash == r.hash) confirmed.insert(m);
      }
    }
    const std::string* reference = StringOf(r.fields, "reference");
    if (reference != nullptr && reference->starts_with(kSettlementReference)) {
      if (*reference != last_reference) {
        last_reference = *reference;
        auto month = ParseMonth(std::string_view(*reference).substr(kSettlementReference.size()));
        last_month = month.ok() ? &ledger_months[*month] : nullptr;
      }
      if (last_month != nullptr) {
        LedgerMonth& lm = *last_month;
        if (lm.from_seq == 0) lm.from_seq = r.seq;
        lm.to_seq = r.seq;
        lm.time_s = r.time_s;
        lm.actor = r.actor;
        const int64_t wh = IntOf(r.fields, "wh");
        const std::string* consumer = StringOf(r.fields, "consumer");
        const bool storage = consumer != nullptr && consumer->starts_with(kStoragePrefix);
        if (r.kind == LedgerKind::kIssuance) lm.issued_wh += wh;
        if (r.kind == LedgerKind::kAllocation) lm.allocated_wh += wh;
        if (r.kind == LedgerKind::kClaim) {
          lm.claimed_wh += wh;
          if (storage) lm.storage_wh += wh;
        }
      }
    }
    if (r.kind == LedgerKind::kClaim) {
      const std::string* consumer = StringOf(r.fields, "consumer");
      auto cw = r.fields.find("consumption_wh");
      if (consumer != nullptr && cw != r.fields.end() &&
          std::holds_alternative<int64_t>(cw->second)) {
        st->AddConsumption(*consumer, IntOf(r.fields, "production_hour_s"),
                           std::get<int64_t>(cw->second));
      }
    }
    prev = r.hash;
    ++expected;
  }));
  if (!bad.ok()) {
    // Report the fault the way `zeropark ledger verify` does.
    ZP_ASSIGN_OR_RETURN(ChainCheck check, CheckStoredChain(store_));
    if (!check.status.ok()) return check.status;
    return DataLossError("the stored ledger changed while it was read / 读取时账本发生变化");
  }
  if (!replay.ok()) return replay;
  if (expected - 1 != size || prev != head) {
    return UnavailableError(
        "the stored ledger changed while it was read; try again / 读取时账本发生变化，请重试");
  }
  st->SortConsumption();

  for (int32_t m : confirmed) state->settlements.emplace(m, std::move(summaries.at(m)));
  for (const auto& [m, lm] : ledger_months) {
    if (state->settlements.count(m)) continue;
    // Records of a settlement whose summary is missing: what the ledger says.
    Settlement s;
    s.month = m;
    s.issued_wh = lm.issued_wh;
    s.allocated_wh = lm.allocated_wh;
    s.claimed_wh = lm.claimed_wh;
    s.storage_wh = lm.storage_wh;
    s.ledger_from_seq = lm.from_seq;
    s.ledger_to_seq = lm.to_seq;
    s.settled_at_s = lm.time_s;
    s.actor = lm.actor;
    LogWarning("green settlement {} has ledger records (seq {}..{}) but no summary", FormatMonth(m),
               lm.from_seq, lm.to_seq);
    state->settlements.emplace(m, std::move(s));
  }
  return state;
}

Status GreenService::Refresh() {
  ZP_ASSIGN_OR_RETURN(int64_t stored, store_.LedgerSize());
  {
    std::shared_lock lock(mu_);
    if (state_ != nullptr && state_->ledger->size() == stored) return Status::OK();
  }
  ZP_ASSIGN_OR_RETURN(std::unique_ptr<State> fresh, Load());
  std::unique_lock lock(mu_);
  // A settlement that finished while this replay ran may have left a newer state: keep it.
  if (state_ == nullptr || fresh->ledger->size() >= state_->ledger->size()) {
    state_ = std::move(fresh);
  }
  return Status::OK();
}

namespace {

// The annual rule over settled volumes: one "hour" whose consumption and supply are the totals of
// the months (each month's sources kept apart with their own eligibility).
Result<std::pair<int64_t, int64_t>> AnnualMatched(const std::vector<const Settlement*>& months,
                                                  std::string_view enterprise) {
  std::map<std::string, int32_t, std::less<>> consumer_index;
  for (const Settlement* s : months) {
    for (const std::string& c : s->volumes.consumers) consumer_index.emplace(c, 0);
  }
  auto target = consumer_index.find(enterprise);
  if (target == consumer_index.end()) return std::pair<int64_t, int64_t>(0, 0);
  int32_t next = 0;
  for (auto& [code, index] : consumer_index) index = next++;
  AllocationInput in;
  in.hours = 1;
  in.consumers = next;
  in.consumption.assign(next, 0);
  in.eligible_offsets.push_back(0);
  int32_t rounds = 0;
  for (const Settlement* s : months) {
    std::vector<int32_t> map(s->volumes.consumers.size());
    for (size_t c = 0; c < map.size(); ++c) {
      map[c] = consumer_index.at(s->volumes.consumers[c]);
      in.consumption[map[c]] += s->volumes.consumption_wh[c];
    }
    for (const SettledVolumes::Source& src : s->volumes.sources) {
      in.generation.push_back(src.generation_wh);
      in.source_round.push_back(src.round);
      rounds = std::max(rounds, src.round + 1);
      std::vector<int32_t> eligible;
      for (int32_t c : src.eligible) {
        if (c >= 0 && static_cast<size_t>(c) < map.size()) eligible.push_back(map[c]);
      }
      std::sort(eligible.begin(), eligible.end());
      eligible.erase(std::unique(eligible.begin(), eligible.end()), eligible.end());
      in.eligible_consumers.insert(in.eligible_consumers.end(), eligible.begin(), eligible.end());
      in.eligible_offsets.push_back(static_cast<int32_t>(in.eligible_consumers.size()));
    }
  }
  in.rounds = std::max(rounds, 1);
  const int32_t c = target->second;
  if (in.sources() == 0) return std::pair<int64_t, int64_t>(0, in.consumption[c]);
  ZP_ASSIGN_OR_RETURN(AllocationResult r, Allocate(in));
  return std::pair<int64_t, int64_t>(r.Matched(c, 0), in.consumption[c]);
}

}  // namespace

Result<Settlement> GreenService::Settle(int32_t month, std::string_view actor) {
  if (actor.empty()) return InvalidArgumentError("a settlement needs an actor / 结算需注明操作人");
  std::lock_guard settle_lock(settle_mu_);
  return SettleLocked(month, actor);
}

Result<Settlement> GreenService::SettleLocked(int32_t month, std::string_view actor) {
  const auto t0 = Clock::now();
  const std::string month_text = FormatMonth(month);
  ZP_RETURN_IF_ERROR(Refresh());
  BuildOptions build;
  {
    std::shared_lock lock(mu_);
    if (state_->settlements.count(month)) {
      return AlreadyExistsError(fmt::format("green power of {} is already settled / {} 绿电已结算",
                                            month_text, month_text));
    }
    // Storage carries its green state of charge over from the previous settled month.
    if (auto prev = state_->settlements.find(month - 1); prev != state_->settlements.end()) {
      for (const auto& [asset, st] : prev->second.storage_end) build.storage_start[asset] = st;
    }
  }
  const TimeZone zone = engine_.zone();
  const int64_t from_s = zone.MonthStart(month);
  const int64_t to_s = zone.MonthStart(month + 1);
  const int64_t now = Now();
  if (now < to_s) {
    return FailedPreconditionError(
        fmt::format("{} has not ended yet (ends {}); only ended months are settled / {} "
                    "尚未结束，只能结算已结束"
                    "的月份",
                    month_text, FormatTimestamp(to_s, zone), month_text));
  }

  // Everything that needs no lock: supply, allocation, flows.
  ZP_ASSIGN_OR_RETURN(Supply supply, LoadSupply(engine_));
  ZP_ASSIGN_OR_RETURN(SupplyInput in, BuildAllocationInput(engine_, supply, from_s, to_s, build));
  const AllocationInput& input = in.input;
  const auto t_input = Clock::now();
  ZP_ASSIGN_OR_RETURN(AllocationResult result, Allocate(input));
  ZP_ASSIGN_OR_RETURN(Scores scores, ComputeScores(input, result));
  ZP_ASSIGN_OR_RETURN(GecReport gec, GecReconciliation(supply, in, result));
  std::vector<std::vector<Flow>> flows(input.hours);
  for (int32_t h = 0; h < input.hours; ++h) {
    ZP_ASSIGN_OR_RETURN(flows[h], AllocateHourFlows(input, h));
  }

  Settlement out;
  out.month = month;
  out.actor = std::string(actor);
  out.settled_at_s = now;
  const int32_t nc = input.consumers;
  const int32_t ns = input.sources();
  for (int32_t c = 0; c < nc; ++c) {
    SettledEnterprise e;
    e.enterprise = in.consumers[c];
    e.consumption_wh = result.consumption_total[c];
    e.claimed_wh = result.matched_total[c];
    e.annual_matched_wh = scores.annual_matched[c];
    out.enterprises.push_back(std::move(e));
  }
  std::sort(out.enterprises.begin(), out.enterprises.end(),
            [](const SettledEnterprise& a, const SettledEnterprise& b) {
              return a.enterprise < b.enterprise;
            });
  for (const GecMonth& g : gec.months) {
    auto it = std::lower_bound(
        out.enterprises.begin(), out.enterprises.end(), g.buyer,
        [](const SettledEnterprise& e, const std::string& code) { return e.enterprise < code; });
    if (it == out.enterprises.end() || it->enterprise != g.buyer || g.month != month) continue;
    it->trading_matched_wh += g.trading_matched_wh;
    it->gec_bundled += g.bundled_certificates;
    it->gec_unbundled += g.unbundled_certificates;
    it->gec_shortfall_wh += g.bundled_shortfall_wh;
  }
  out.volumes.consumers = in.consumers;
  out.volumes.consumption_wh = result.consumption_total;
  for (int32_t s = 0; s < ns; ++s) {
    SettledVolumes::Source src;
    src.asset = in.source_asset[s];
    src.round = input.source_round[s];
    src.generation_wh = result.generation_total[s];
    src.eligible.assign(input.eligible_consumers.begin() + input.eligible_offsets[s],
                        input.eligible_consumers.begin() + input.eligible_offsets[s + 1]);
    out.volumes.sources.push_back(std::move(src));
  }
  out.storage_end = StorageEndStates(in);

  const auto t_allocated = Clock::now();
  std::unique_lock lock(mu_);
  State& st = *state_;
  CertificateBook& book = *st.book;
  out.ledger_from_seq = st.ledger->size() + 1;
  st.buffering = true;
  st.pending.clear();
  // On any failure: the Store was not written, so the state is rebuilt from it.
  auto fail = [&](Status why) -> Status {
    st.buffering = false;
    st.pending.clear();
    auto fresh = Load();
    if (fresh.ok()) {
      state_ = std::move(*fresh);
    } else {
      LogError("green service: reloading after a failed settlement: {}", fresh.status().ToString());
      state_.reset();
    }
    return why.WithContext(fmt::format("settling {}", month_text));
  };

  const CertAction act{std::string(actor), now, std::string(kSettlementReference) + month_text};
  IssuanceOptions io;
  io.issuer = options_.issuer;
  io.action = act;
  auto issued = IssueHourly(book, supply, in, io);
  if (!issued.ok()) return fail(issued.status());
  out.issued_wh = *issued;

  // Per hour: the flows take each source-hour's certificates from the start of its issuance, the
  // storage takes after them.
  std::vector<std::vector<const StorageTake*>> takes_of(input.hours);
  for (const StorageTake& t : in.takes) takes_of[t.hour].push_back(&t);
  std::vector<int64_t> cursor(ns, -1);
  std::vector<std::pair<int32_t, int32_t>> consumption_added;  // (consumer, hour)
  for (int32_t h = 0; h < input.hours; ++h) {
    const int64_t hour_s = in.hour_start_s[h];
    std::fill(cursor.begin(), cursor.end(), -1);
    auto next_range = [&](int32_t s, int64_t wh) -> Result<WhRange> {
      if (cursor[s] < 0) {
        std::optional<WhRange> r = book.IssuedRange(in.source_asset[s], hour_s);
        if (!r) {
          return InternalError(fmt::format("asset {} hour {} has no certificates to allocate",
                                           in.source_asset[s], FormatTimestamp(hour_s, zone)));
        }
        cursor[s] = r->from_wh;
      }
      WhRange r{in.source_asset[s], cursor[s], cursor[s] + wh};
      cursor[s] += wh;
      return r;
    };
    for (const Flow& f : flows[h]) {
      if (f.wh <= 0) continue;
      const std::string& consumer = in.consumers[f.consumer];
      const std::string& holder = in.source_account[f.source];
      auto r = next_range(f.source, f.wh);
      if (!r.ok()) return fail(r.status());
      // Bilateral contracts (direct supply, green trading) hand the certificates to the buyer: a
      // transfer, then the buyer's allocation. The site's own and the park pool's certificates
      // are allocated by their holder directly.
      const bool bilateral = in.source_kind[f.source] == ContractKind::kDirectSupply ||
                             in.source_kind[f.source] == ContractKind::kGreenTrading;
      std::string_view account = holder;
      if (bilateral && holder != consumer) {
        auto t = book.Transfer(*r, holder, consumer, act);
        if (!t.ok()) return fail(t.status());
        account = consumer;
      }
      auto a = book.Allocate(*r, account, consumer, act);
      if (!a.ok()) return fail(a.status());
      const int64_t consumption = input.consumption[static_cast<size_t>(h) * nc + f.consumer];
      auto c = book.Claim(*r, consumer, act,
                          {{"consumption_cert", ConsumptionCert(consumer, hour_s, zone)},
                           {"consumption_wh", consumption}});
      if (!c.ok()) return fail(c.status());
      out.allocated_wh += f.wh;
      out.claimed_wh += f.wh;
      consumption_added.emplace_back(f.consumer, h);
    }
    for (const StorageTake* t : takes_of[h]) {
      if (t->wh <= 0) continue;
      const std::string consumer = std::string(kStoragePrefix) + in.storage_asset[t->storage];
      auto r = next_range(t->source, t->wh);
      if (!r.ok()) return fail(r.status());
      auto a = book.Allocate(*r, in.source_account[t->source], consumer, act);
      if (!a.ok()) return fail(a.status());
      auto c = book.Claim(*r, consumer, act, {{"storage_asset", in.storage_asset[t->storage]}});
      if (!c.ok()) return fail(c.status());
      out.allocated_wh += t->wh;
      out.claimed_wh += t->wh;
      out.storage_wh += t->wh;
    }
  }
  CertQuery month_query;
  month_query.from_hour_s = from_s;
  month_query.to_hour_s = to_s;
  month_query.limit = 0;
  out.bundles = book.Query(month_query).total;
  out.ledger_to_seq = st.ledger->size();
  out.head_hash = st.ledger->head_hash();

  const auto t_booked = Clock::now();
  // The summary first (valid only once the ledger holds its head), then every record at once.
  if (Status s = store_.PutSetting(SettlementKey(month), SettlementToJson(out)); !s.ok()) {
    return fail(s);
  }
  if (Status s = store_.AppendLedger(st.pending); !s.ok()) return fail(s);
  st.buffering = false;
  st.pending.clear();
  st.pending.shrink_to_fit();
  const auto t_stored = Clock::now();
  for (const auto& [c, h] : consumption_added) {
    st.AddConsumption(in.consumers[c], in.hour_start_s[h],
                      input.consumption[static_cast<size_t>(h) * nc + c]);
  }
  st.SortConsumption();
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  st.settlements[month] = out;
  auto secs = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  LogInfo(
      "green settlement {}: {} Wh issued, {} Wh claimed ({} to storage), ledger seq {}..{} "
      "in {:.2f} s (input {:.2f}, allocation {:.2f}, certificates {:.2f}, store {:.2f})",
      month_text, out.issued_wh, out.claimed_wh, out.storage_wh, out.ledger_from_seq,
      out.ledger_to_seq, out.seconds, secs(t0, t_input), secs(t_input, t_allocated),
      secs(t_allocated, t_booked), secs(t_booked, t_stored));
  return out;
}

std::vector<Settlement> GreenService::Settlements() const {
  std::shared_lock lock(mu_);
  std::vector<Settlement> out;
  if (state_ == nullptr) return out;
  for (const auto& [m, s] : state_->settlements) out.push_back(s);
  return out;
}

std::optional<Settlement> GreenService::FindSettlement(int32_t month) const {
  std::shared_lock lock(mu_);
  if (state_ == nullptr) return std::nullopt;
  auto it = state_->settlements.find(month);
  if (it == state_->settlements.end()) return std::nullopt;
  return it->second;
}

bool GreenService::IsSettled(int32_t month) const {
  std::shared_lock lock(mu_);
  return state_ != nullptr && state_->settlements.count(month) != 0;
}

CertPage GreenService::Certificates(const CertQuery& query) const {
  std::shared_lock lock(mu_);
  if (state_ == nullptr) return {};
  return state_->book->Query(query);
}

std::vector<CertBundle> GreenService::Bundles() const {
  std::shared_lock lock(mu_);
  if (state_ == nullptr) return {};
  return state_->book->Bundles();
}

std::array<int64_t, kCertStatusCount> GreenService::WhByStatus() const {
  std::shared_lock lock(mu_);
  if (state_ == nullptr) return {};
  return state_->book->WhByStatus();
}

int64_t GreenService::ledger_size() const {
  std::shared_lock lock(mu_);
  return state_ == nullptr ? 0 : state_->ledger->size();
}

std::string GreenService::ledger_head() const {
  std::shared_lock lock(mu_);
  return state_ == nullptr ? std::string(kGenesisHash) : state_->ledger->head_hash();
}

Result<GreenStatement> GreenService::Statement(std::string_view enterprise, int32_t from_month,
                                               int32_t to_month) const {
  if (enterprise.empty()) return InvalidArgumentError("a statement needs an enterprise");
  if (from_month > to_month) {
    return InvalidArgumentError(fmt::format("from {} is after to {} / 起始月晚于截止月",
                                            FormatMonth(from_month), FormatMonth(to_month)));
  }
  if (to_month - from_month + 1 > kMaxStatementMonths) {
    return InvalidArgumentError(
        fmt::format("a statement covers at most {} months / 声明最多覆盖 {} 个月",
                    kMaxStatementMonths, kMaxStatementMonths));
  }
  const TimeZone zone = engine_.zone();
  std::shared_lock lock(mu_);
  if (state_ == nullptr) {
    return UnavailableError("the green ledger could not be loaded / 绿电账本无法加载");
  }
  const State& st = *state_;
  GreenStatement out;
  out.enterprise = std::string(enterprise);
  out.from_month = from_month;
  out.to_month = to_month;
  out.ledger_size = st.ledger->size();
  out.ledger_head = st.ledger->head_hash();

  std::vector<const Settlement*> settled;
  int64_t unbundled_wh = 0;
  for (int32_t m = from_month; m <= to_month; ++m) {
    StatementMonth row;
    row.month = m;
    row.figures.enterprise = out.enterprise;
    auto it = st.settlements.find(m);
    if (it == st.settlements.end()) {
      out.unsettled_months.push_back(m);
    } else {
      row.settled = true;
      out.settled_months.push_back(m);
      settled.push_back(&it->second);
      const auto& es = it->second.enterprises;
      auto e = std::lower_bound(
          es.begin(), es.end(), enterprise,
          [](const SettledEnterprise& x, std::string_view code) { return x.enterprise < code; });
      if (e != es.end() && e->enterprise == enterprise) row.figures = *e;
      row.figures.claimed_wh = 0;  // from the book below
      out.consumption_wh += row.figures.consumption_wh;
      unbundled_wh += row.figures.gec_unbundled * 1'000'000;
    }
    out.months.push_back(std::move(row));
  }

  // Claimed certificates of the enterprise in the range, by hour.
  CertQuery q;
  q.parties = {out.enterprise};
  q.status = CertStatus::kClaimed;
  q.from_hour_s = zone.MonthStart(from_month);
  q.to_hour_s = zone.MonthStart(to_month + 1);
  q.limit = INT64_MAX / 2;
  const CertPage page = st.book->Query(q);
  std::map<std::string, StatementSource> sources;
  for (const CertBundle& b : page.bundles) {
    if (b.consumer != out.enterprise) continue;
    if (out.hours.empty() || out.hours.back().hour_s != b.production_hour_s) {
      StatementHour h;
      h.hour_s = b.production_hour_s;
      h.consumption_wh = st.ConsumptionAt(out.enterprise, b.production_hour_s);
      h.consumption_cert = ConsumptionCert(out.enterprise, b.production_hour_s, zone);
      out.hours.push_back(std::move(h));
    }
    StatementHour& h = out.hours.back();
    h.claimed_wh += b.to_wh - b.from_wh;
    h.certificates.push_back(
        StatementCertificate{b.device, b.technology, b.location, b.from_wh, b.to_wh, b.ledger_seq});
    StatementSource& src = sources[b.device];
    src.device = b.device;
    src.technology = b.technology;
    src.wh += b.to_wh - b.from_wh;
    const int32_t m = zone.LocalMonth(b.production_hour_s);
    if (m >= from_month && m <= to_month) {
      out.months[m - from_month].figures.claimed_wh += b.to_wh - b.from_wh;
    }
    out.claimed_wh += b.to_wh - b.from_wh;
  }
  for (auto& [device, src] : sources) out.by_source.push_back(std::move(src));
  if (out.consumption_wh > 0) {
    out.hourly_share =
        static_cast<double>(out.claimed_wh) / static_cast<double>(out.consumption_wh);
    ZP_ASSIGN_OR_RETURN(auto annual, AnnualMatched(settled, enterprise));
    if (annual.second > 0) {
      out.annual_share = static_cast<double>(annual.first) / static_cast<double>(annual.second);
      out.annual_share_with_gec = std::min(1.0, static_cast<double>(annual.first + unbundled_wh) /
                                                    static_cast<double>(annual.second));
    }
  }
  return out;
}

}  // namespace zp::green
