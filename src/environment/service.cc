#include "zp/environment/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "zp/auth/auth.h"
#include "zp/base/logging.h"
#include "zp/hj212/pollutants.h"

namespace zp::environment {
namespace {

constexpr int64_t kRecoverWindowS = 2 * kSecondsPerDay;  // frame times looked back at Open
constexpr size_t kSeenWindow = 512;
constexpr int64_t kLateQuietS = 2;  // a late hour is recomputed this long after its last frame  //
                                    // stored marks remembered per (source, cn)
constexpr int64_t kFutureToleranceS = kSecondsPerDay;  // DataTime ahead of the clock
constexpr int64_t kDataLossUpdateS = 60;               // data-loss value refreshed this often
constexpr int64_t kAuthLogEveryS = 60;                 // refused-login lines, at most
constexpr size_t kMaxLogged2005 = 10000;
constexpr int64_t kMaxHistoryS = 31 * kSecondsPerDay;

bool IsUploadCn(int32_t cn) {
  switch (cn) {
    case hj212::cn::kRealtimeData:
    case hj212::cn::kMinuteData:
    case hj212::cn::kHourlyData:
    case hj212::cn::kDailyData:
    case hj212::cn::kDeviceStatus:
    case hj212::cn::kDailyRunTime:
    case hj212::cn::kBootTime:
      return true;
    default:
      return false;
  }
}
bool IsReplyCn(int32_t cn) { return cn >= hj212::cn::kQnReply && cn <= hj212::cn::kDataReply; }
// The uploads the evaluator reads values from.
bool IsDataCn(int32_t cn) {
  return cn == hj212::cn::kRealtimeData || cn == hj212::cn::kMinuteData ||
         cn == hj212::cn::kHourlyData || cn == hj212::cn::kDailyData;
}

int64_t SystemNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 9011 with `rtn` when the frame asks for a reply and has a QN to echo; else nothing.
std::string QnReply(const hj212::DataSegment& seg, hj212::QnRtn rtn) {
  if (!seg.reply_wanted() || seg.qn.empty()) return {};
  auto reply = hj212::BuildQnReply(seg, rtn);
  return reply.ok() ? std::move(*reply) : std::string();
}
std::string DataReply(const hj212::DataSegment& seg) {
  if (!seg.reply_wanted() || seg.qn.empty()) return {};
  auto reply = hj212::BuildDataReply(seg);
  return reply.ok() ? std::move(*reply) : std::string();
}

// PNO of a stored segment (0 when not split), without parsing the whole segment.
int32_t PnoOf(std::string_view segment) {
  std::string_view header = segment.substr(0, segment.find("CP="));
  size_t at = header.find("PNO=");
  while (at != std::string_view::npos && at != 0 && header[at - 1] != ';') {
    at = header.find("PNO=", at + 1);
  }
  if (at == std::string_view::npos) return 0;
  int32_t pno = 0;
  for (size_t i = at + 4; i < header.size() && header[i] >= '0' && header[i] <= '9'; ++i) {
    pno = pno * 10 + (header[i] - '0');
  }
  return pno;
}

// "412.3", "400": at most two decimals, no trailing zeros.
std::string FormatNumber(double v) {
  std::string s = fmt::format("{:.2f}", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

// The Chinese and English halves of a bilingual text "中文 / English".
std::pair<std::string_view, std::string_view> SplitBilingual(std::string_view text) {
  size_t at = text.find(" / ");
  if (at == std::string_view::npos) return {text, text};
  return {text.substr(0, at), text.substr(at + 3)};
}

std::string_view FlagNameZh(hj212::DataFlag f) {
  switch (f) {
    case hj212::DataFlag::kFault:
      return "故障";
    case hj212::DataFlag::kCommFault:
      return "通讯异常";
    case hj212::DataFlag::kOverRange:
      return "超测上限";
    default:
      return "异常";
  }
}
std::string_view FlagNameEn(hj212::DataFlag f) {
  switch (f) {
    case hj212::DataFlag::kFault:
      return "device fault";
    case hj212::DataFlag::kCommFault:
      return "communication fault";
    case hj212::DataFlag::kOverRange:
      return "over range";
    default:
      return "abnormal";
  }
}
std::string FlagText(hj212::DataFlag f) {
  if (f == hj212::DataFlag::kAbsent) return {};
  return std::string(1, static_cast<char>(f));
}

struct PollutantNames {
  std::string_view zh, en, unit;  // unit as on screen
};
PollutantNames NamesOf(std::string_view code) {
  const hj212::PollutantCode* p = hj212::FindPollutant(code);
  if (p == nullptr) return {code, code, ""};
  return {p->name_zh, p->name_en, p->unit};
}

std::string ExceedanceDetail(const Event& e, bool corrected, hj212::Medium medium) {
  PollutantNames n = NamesOf(e.pollutant);
  auto [basis_zh, basis_en] = SplitBilingual(e.basis);
  std::string_view what_zh = medium == hj212::Medium::kWastewater ? "浓度"
                             : corrected                          ? "折算浓度"
                                                                  : "实测浓度";
  std::string_view what_en = medium == hj212::Medium::kWastewater ? "concentration"
                             : corrected                          ? "corrected"
                                                                  : "measured";
  std::string value = FormatNumber(e.value);
  std::string limit = FormatNumber(e.limit);
  std::string unit = n.unit.empty() ? std::string() : " " + std::string(n.unit);
  std::string over_zh, over_en;
  if (e.flag == hj212::DataFlag::kOverRange) {
    over_zh = ", 超测上限 T";
    over_en = ", over range T";
  }
  return fmt::format("{} {} {}{} 超过限值 {} ({}{}) / {} {} {}{} above limit {} ({}{})", n.zh,
                     what_zh, value, unit, limit, basis_zh, over_zh, n.en, what_en, value, unit,
                     limit, basis_en, over_en);
}

std::string DeviceFaultDetail(const Event& e) {
  PollutantNames n = NamesOf(e.pollutant);
  std::string flag = FlagText(e.flag);
  return fmt::format("{} 监测设备{} (数据标记 {}) / {}: {} (data flag {})", n.zh,
                     FlagNameZh(e.flag), flag, n.en, FlagNameEn(e.flag), flag);
}

std::string DataLossDetail(const Source& s, int64_t silent_s, int64_t after_s) {
  std::string name = s.name.empty() ? s.code : s.name + " (" + s.code + ")";
  return fmt::format("{} 已 {} 秒无数据 (超过 {} 秒) / no data from {} for {} s (more than {} s)",
                     name, silent_s, after_s, s.code, silent_s, after_s);
}

}  // namespace

struct EnvService::Snapshot {
  SourceRegistry registry;
  std::map<std::string, const Source*, std::less<>> by_mn;
  std::map<std::string, const Source*, std::less<>> by_code;
};

struct EnvService::SourceState {
  SourceState(Source s, TimeZone zone, EvalOptions options)
      : source(s), evaluator(std::move(s), zone, options) {}
  Source source;
  Evaluator evaluator;
  std::map<std::string, Sample, std::less<>> latest;  // by pollutant
  int64_t last_received_ms = 0;
  int64_t created_s = 0;      // registered (this process): a silence counts from then
  bool loss_episode = false;  // a data-loss alarm was raised for the silence going on
  int64_t loss_updated_s = 0;
  // Pollutants with an exceedance / a device fault going on -> the data time of its latest
  // occurrence: only a valid value after it ends the condition (a minute average stamped at the
  // start of its minute may arrive after the real-time value that raised the alarm).
  std::map<std::string, int64_t, std::less<>> exceeding;
  std::map<std::string, int64_t, std::less<>> faulty;
};

EnvService::EnvService(engine::Engine& engine, EnvServiceOptions options)
    : engine_(engine), options_(std::move(options)), zone_(engine.zone()) {}

EnvService::~EnvService() { Stop(); }

int64_t EnvService::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<const EnvService::Snapshot> EnvService::snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return snapshot_;
}

Result<std::unique_ptr<EnvService>> EnvService::Open(engine::Engine& engine,
                                                     EnvServiceOptions options) {
  std::unique_ptr<EnvService> svc(new EnvService(engine, std::move(options)));
  svc->started_s_ = svc->Now();
  ZP_ASSIGN_OR_RETURN(std::optional<std::string> setting, engine.GetSetting(kSettingSources));
  SourceRegistry registry;
  if (setting && !setting->empty()) {
    auto parsed = SourcesFromJson(*setting, nullptr);
    if (!parsed.ok()) {
      return parsed.error().WithContext(
          fmt::format("loading setting {} / 读取污染源登记", kSettingSources));
    }
    registry = std::move(*parsed);
  }
  svc->Install(std::move(registry));
  ZP_ASSIGN_OR_RETURN(svc->alarms_, AlarmBook::Open(engine.store()));
  {
    std::lock_guard<std::mutex> lock(svc->mu_);
    for (const store::AlarmRow& a : svc->alarms_->Active()) {
      auto it = svc->states_.find(a.source);
      if (it == svc->states_.end() || a.cleared_s != 0) continue;
      if (a.kind == kAlarmDataLoss) it->second->loss_episode = true;
      if (a.kind == kAlarmExceedance) it->second->exceeding[a.pollutant] = a.last_s;
      if (a.kind == kAlarmDeviceFault) it->second->faulty[a.pollutant] = a.last_s;
    }
  }
  ZP_RETURN_IF_ERROR(svc->Recover());
  if (svc->options_.tick_thread)
    svc->tick_thread_ = std::thread([s = svc.get()] { s->TickLoop(); });
  return svc;
}

void EnvService::Install(SourceRegistry registry) {
  auto snap = std::make_shared<Snapshot>();
  snap->registry = std::move(registry);
  for (const Source& s : snap->registry.sources) {
    snap->by_mn.emplace(s.mn, &s);
    snap->by_code.emplace(s.code, &s);
  }
  std::vector<store::EnvHourRow> hours;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = states_.begin(); it != states_.end();) {
      if (snap->by_code.count(it->first) == 0) {
        it->second->evaluator.CloseAll(&hours);
        it = states_.erase(it);
      } else {
        ++it;
      }
    }
    for (const Source& s : snap->registry.sources) {
      auto it = states_.find(s.code);
      if (it == states_.end()) {
        auto state = std::make_unique<SourceState>(s, zone_, options_.eval);
        state->created_s = Now();
        states_.emplace(s.code, std::move(state));
      } else if (!(it->second->source == s)) {
        it->second->source = s;
        it->second->evaluator.SetSource(s);
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    snapshot_ = std::move(snap);
  }
  if (!hours.empty()) WriteHours(std::move(hours));
}

bool EnvService::Seen(const std::string& source, int32_t cn, const Mark& mark) {
  std::deque<Mark>& window = seen_[source][cn];
  if (!window.empty() && !(mark < window.front())) {
    return std::binary_search(window.begin(), window.end(), mark);
  }
  // Older than what is remembered (or nothing remembered): ask the store. Rare: a logger's
  // first frame, or buffered data sent after an outage.
  bool found = false;
  Status s = engine_.store().ReadEnvFrames(source, cn, mark.time_s, mark.time_s + 1, 0,
                                           [&](const store::EnvFrameRow& row) {
                                             if (PnoOf(row.segment) == mark.pno) found = true;
                                           });
  if (!s.ok()) {
    LogWarning("environment: duplicate check of {} failed, frame stored: {}", source, s.ToString());
    return false;
  }
  return found;
}

void EnvService::Remember(const std::string& source, int32_t cn, const Mark& mark) {
  std::deque<Mark>& window = seen_[source][cn];
  if (window.empty() || window.back() < mark) {
    window.push_back(mark);
  } else {
    window.insert(std::upper_bound(window.begin(), window.end(), mark), mark);
  }
  while (window.size() > kSeenWindow) window.pop_front();
}

Status EnvService::Recover() {
  const int64_t now_s = Now();
  // Frames of the open hours (the current and the previous one, which closes only after a
  // grace) are replayed, so a restart loses no part of an hour.
  const int64_t previous_hour = zone_.LocalHour(now_s - 3600 - options_.eval.hour_grace_s);
  const int64_t replay_from = zone_.FromLocal(previous_hour * 3600);
  std::vector<store::EnvFrameRow> replay;
  std::map<std::string, int64_t, std::less<>> last_received;
  Status s = engine_.store().ReadEnvFrames(
      "", 0, now_s - kRecoverWindowS, now_s + 2 * kFutureToleranceS, 0,
      [&](const store::EnvFrameRow& row) {
        seen_[row.source][row.cn].push_back(Mark{row.data_time_s, PnoOf(row.segment)});
        int64_t& received = last_received[row.source];
        received = std::max(received, row.received_ms);
        if (row.data_time_s >= replay_from && IsDataCn(row.cn)) replay.push_back(row);
      });
  if (!s.ok()) return s.WithContext("reading the latest HJ 212 frames / 读取最近的 HJ 212 数据");
  for (auto& [code, by_cn] : seen_) {
    for (auto& [cn, window] : by_cn) {
      std::sort(window.begin(), window.end());
      window.erase(std::unique(window.begin(), window.end()), window.end());
      while (window.size() > kSeenWindow) window.pop_front();
    }
  }
  std::sort(replay.begin(), replay.end(),
            [](const store::EnvFrameRow& a, const store::EnvFrameRow& b) { return a.seq < b.seq; });
  std::vector<store::EnvHourRow> hours;
  std::vector<Sample> samples;
  std::vector<Event> events;
  hj212::DataSegment seg;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [code, received_ms] : last_received) {
      auto it = states_.find(code);
      if (it != states_.end()) it->second->last_received_ms = received_ms;
    }
    for (const store::EnvFrameRow& row : replay) {
      auto it = states_.find(row.source);
      if (it == states_.end() || !hj212::ParseSegment(row.segment, &seg).ok()) continue;
      SourceState& state = *it->second;
      samples.clear();
      events.clear();  // raised before the restart; not again
      state.evaluator.Add(seg, row.data_time_s, &samples, &hours, &events);
      for (Sample& sample : samples) {
        auto [at, inserted] = state.latest.try_emplace(sample.pollutant, sample);
        if (!inserted && sample.time_s >= at->second.time_s) at->second = std::move(sample);
      }
    }
  }
  if (!hours.empty()) WriteHours(std::move(hours));
  return Status::OK();
}

Routing EnvService::RouteFor(const Source& source) const {
  Routing r;
  r.enterprise_code = source.enterprise_code;
  auto e = engine_.GetEnterprise(source.enterprise_code);
  if (!e.ok()) return r;
  r.zone_code = e->zone_code;
  if (r.zone_code.empty()) return r;
  auto z = engine_.GetZone(r.zone_code);
  if (z.ok()) r.officer = z->officer;
  return r;
}

void EnvService::WriteHours(std::vector<store::EnvHourRow> hours) {
  Status s = engine_.store().PutEnvHours(hours);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.hours_closed += hours.size();
    return;
  }
  LogError(
      "environment: writing {} hour rows failed (retried at the next tick) / 小时数据写入失败: {}",
      hours.size(), s.ToString());
  std::lock_guard<std::mutex> lock(mu_);
  pending_hours_.insert(pending_hours_.end(), std::make_move_iterator(hours.begin()),
                        std::make_move_iterator(hours.end()));
}

Status EnvService::Listen(hj212::ServerOptions options) {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_) return FailedPreconditionError("environment service stopped");
  }
  std::lock_guard<std::mutex> lock(server_mu_);
  if (server_) return FailedPreconditionError("the HJ 212 listener is already started");
  ZP_ASSIGN_OR_RETURN(server_, hj212::Server::Start(*this, std::move(options)));
  listening_ = true;
  LogInfo("HJ 212 server listening on port {} / HJ 212 数据接收端口 {}", server_->port(),
          server_->port());
  return Status::OK();
}

int EnvService::hj212_port() const {
  std::lock_guard<std::mutex> lock(server_mu_);
  return listening_ ? server_->port() : 0;
}

std::optional<hj212::ServerStats> EnvService::hj212_stats() const {
  std::lock_guard<std::mutex> lock(server_mu_);
  if (!server_) return std::nullopt;
  return server_->stats();
}

void EnvService::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stop_cv_.notify_all();
  {
    std::lock_guard<std::mutex> lock(server_mu_);
    if (server_) server_->Stop();
    listening_ = false;
  }
  if (tick_thread_.joinable()) tick_thread_.join();
  if (!alarms_) return;  // Open failed half-way
  std::vector<store::EnvHourRow> hours;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hours.swap(pending_hours_);
    std::vector<std::pair<Source, int64_t>> late;
    for (const auto& [key, touched_s] : late_hours_) {
      auto state = states_.find(key.first);
      if (state != states_.end()) late.push_back({state->second->source, key.second});
    }
    late_hours_.clear();
    for (auto& [code, state] : states_) state->evaluator.CloseAll(&hours);
    for (const auto& [source, hour_s] : late) RecomputeHour(source, hour_s, &hours);
  }
  if (!hours.empty()) {
    Status s = engine_.store().PutEnvHours(hours);
    if (!s.ok()) {
      LogError(
          "environment: writing the open hours at shutdown failed / 关闭时小时数据写入失败: {}",
          s.ToString());
    }
  }
  Status s = alarms_->Persist();
  if (!s.ok()) LogError("environment: persisting alarms at shutdown failed: {}", s.ToString());
}

void EnvService::TickLoop() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stopped_) {
    if (stop_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopped_; })) break;
    lock.unlock();
    Tick();
    lock.lock();
  }
}

SourceRegistry EnvService::Sources() const { return snapshot()->registry; }

Status EnvService::PutSources(const SourceRegistry& registry) {
  std::lock_guard<std::mutex> put(put_mu_);
  ZP_RETURN_IF_ERROR(ValidateSources(registry, engine_.ListEnterprises()));
  for (const Source& s : registry.sources) {
    if (s.password_sha256.empty()) {
      return InvalidArgumentError(
          fmt::format("source {}: no password for its data logger / 污染源 {} 未设置数采仪密码",
                      s.code, s.code));
    }
  }
  ZP_RETURN_IF_ERROR(engine_.PutSetting(kSettingSources, SourcesToJson(registry, true)));
  Install(registry);
  return Status::OK();
}

AlarmBook& EnvService::alarms() { return *alarms_; }

EnvStats EnvService::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

void EnvService::Handle(std::span<const hj212::Upload> batch,
                        std::vector<hj212::Disposition>* out) {
  out->clear();
  out->resize(batch.size());
  const std::shared_ptr<const Snapshot> snap = snapshot();
  const int64_t now_s = Now();

  // 1. The sink rules, frame by frame.
  struct Accepted {
    size_t upload;
    const Source* source;
    int64_t data_time_s;
    bool store;  // false: a duplicate or a reply to us
  };
  std::vector<Accepted> accepted;
  std::vector<store::EnvFrameRow> rows;
  std::set<std::tuple<std::string_view, int32_t, Mark>> batch_marks;
  uint64_t duplicates = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const hj212::Upload& up = batch[i];
    const hj212::DataSegment& seg = up.parsed;
    hj212::Disposition& d = (*out)[i];
    if (seg.version() != hj212::kVersion2017) {
      if (seg.is_2005()) {
        d.refusal = kRefusedVersion2005;
        if (logged_2005_.size() < kMaxLogged2005 &&
            logged_2005_.insert(std::string(seg.mn)).second) {
          LogWarning(
              "HJ/T 212-2005 frame from MN {} ({}) refused: zeropark accepts HJ 212-2017 (Flag "
              "version 1) only / 仅支持 HJ 212-2017, 拒收 HJ/T 212-2005 报文",
              seg.mn, up.peer);
        }
      } else {
        d.refusal = kRefusedBadFlag;
        d.reply = QnReply(seg, hj212::QnRtn::kFlagError);
      }
      continue;
    }
    auto found = snap->by_mn.find(seg.mn);
    const Source* source = found == snap->by_mn.end() ? nullptr : found->second;
    bool bad_password =
        source != nullptr && !auth::SecretsEqual(auth::HashSecret(seg.pw), source->password_sha256);
    if (source == nullptr || bad_password) {
      d.refusal = source == nullptr ? kRefusedUnknownMn : kRefusedBadPassword;
      d.reply =
          QnReply(seg, source == nullptr ? hj212::QnRtn::kMnError : hj212::QnRtn::kPasswordError);
      auto& [logged_s, muted] = auth_log_[d.refusal];
      if (now_s - logged_s >= kAuthLogEveryS) {
        LogWarning("HJ 212 frame from {} refused ({}): MN {}{} / 数采仪认证失败{}", up.peer,
                   d.refusal, seg.mn,
                   muted > 0 ? fmt::format(", {} more since the last line", muted) : "",
                   source == nullptr ? " (未登记的 MN)" : " (密码错误)");
        logged_s = now_s;
        muted = 0;
      } else {
        ++muted;
      }
      continue;
    }
    if (IsReplyCn(seg.cn_code)) {
      accepted.push_back({i, source, 0, false});
      continue;
    }
    if (!IsUploadCn(seg.cn_code)) {
      d.refusal = kRefusedUnsupportedCn;
      d.reply = QnReply(seg, hj212::QnRtn::kCnError);
      continue;
    }
    int64_t data_time_s = FloorDiv(up.received_ms, 1000);
    if (!seg.data_time.empty()) {
      auto civil = hj212::ParseDataTime(seg.data_time);
      if (civil.ok()) data_time_s = zone_.FromLocal(CivilToSeconds(*civil));
      if (seg.pnum > 0 && !seg.qn.empty()) {
        auto& [qn, time_s] = split_time_[source->code];
        qn.assign(seg.qn);
        time_s = data_time_s;
      }
    } else if (seg.pnum > 0) {
      auto it = split_time_.find(source->code);
      if (it != split_time_.end() && it->second.first == seg.qn) data_time_s = it->second.second;
    }
    if (data_time_s > now_s + kFutureToleranceS) {
      d.refusal = kRefusedFutureTime;
      d.reply = QnReply(seg, hj212::QnRtn::kRejected);
      continue;
    }
    const Mark mark{data_time_s, seg.pno};
    if (batch_marks.count({source->code, seg.cn_code, mark}) > 0 ||
        Seen(source->code, seg.cn_code, mark)) {
      ++duplicates;
      accepted.push_back({i, source, data_time_s, false});
      continue;
    }
    batch_marks.insert({source->code, seg.cn_code, mark});
    accepted.push_back({i, source, data_time_s, true});
    store::EnvFrameRow& row = rows.emplace_back();
    row.received_ms = up.received_ms;
    row.source = source->code;
    row.mn.assign(seg.mn);
    row.cn = seg.cn_code;
    row.data_time_s = data_time_s;
    row.segment = up.segment;
  }

  // 2. One durable commit for the batch; nothing is acknowledged without it.
  if (!rows.empty()) {
    auto committed = engine_.store().AppendEnvFrames(rows);
    if (!committed.ok()) {
      LogError("environment: storing {} HJ 212 frames failed, none acknowledged / 数据落盘失败: {}",
               rows.size(), committed.error().ToString());
      for (const Accepted& a : accepted) {
        if (IsReplyCn(batch[a.upload].parsed.cn_code)) continue;
        (*out)[a.upload].refusal = kRefusedStoreFailed;
        (*out)[a.upload].reply.clear();
      }
      return;
    }
    for (const store::EnvFrameRow& row : rows) {
      Remember(row.source, row.cn, Mark{row.data_time_s, PnoOf(row.segment)});
    }
  }

  // 3. Evaluation, under mu_; the alarm changes it calls for are applied after, in order.
  std::unique_lock<std::mutex> alarm_lock(alarm_mu_);
  struct AlarmAction {
    enum class Op { kRaise, kClear } op;
    Condition condition;
    const Source* source;
    size_t upload;
  };
  std::vector<int64_t> late;
  std::vector<AlarmAction> actions;
  std::vector<store::EnvHourRow> hours;
  std::vector<Sample> samples;
  std::vector<Event> events;
  uint64_t sample_count = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Accepted& a : accepted) {
      if (!a.store) continue;
      auto it = states_.find(a.source->code);
      if (it == states_.end()) continue;  // removed from the registry meanwhile
      SourceState& state = *it->second;
      const hj212::Upload& up = batch[a.upload];
      state.last_received_ms = std::max(state.last_received_ms, up.received_ms);
      if (state.loss_episode) {
        state.loss_episode = false;
        actions.push_back({AlarmAction::Op::kClear,
                           {std::string(kAlarmDataLoss), a.source->code, "", now_s},
                           a.source,
                           a.upload});
      }
      if (!IsDataCn(up.parsed.cn_code)) continue;
      samples.clear();
      events.clear();
      state.evaluator.Add(up.parsed, a.data_time_s, &samples, &hours, &events);
      late.clear();
      state.evaluator.TakeLateHours(&late);
      for (int64_t hour_s : late) late_hours_[{a.source->code, hour_s}] = now_s;
      sample_count += samples.size();
      for (const Event& e : events) {
        AlarmAction action{AlarmAction::Op::kRaise, {}, a.source, a.upload};
        Condition& c = action.condition;
        c.source = a.source->code;
        c.pollutant = e.pollutant;
        c.time_s = e.time_s;
        c.value = e.value;
        c.limit = e.limit;
        c.unit = JsonUnit(NamesOf(e.pollutant).unit);
        switch (e.kind) {
          case EventKind::kExceedance: {
            c.kind = std::string(kAlarmExceedance);
            bool corrected = false;
            for (const Sample& s : samples) {
              if (s.pollutant == e.pollutant && s.time_s == e.time_s) corrected = s.corrected;
            }
            c.detail = ExceedanceDetail(e, corrected, a.source->medium());
            {
              int64_t& last = state.exceeding[e.pollutant];
              last = std::max(last, e.time_s);
            }
            break;
          }
          case EventKind::kDeviceFault:
            c.kind = std::string(kAlarmDeviceFault);
            c.detail = DeviceFaultDetail(e);
            {
              int64_t& last = state.faulty[e.pollutant];
              last = std::max(last, e.time_s);
            }
            break;
          case EventKind::kRecovered: {
            auto fault = state.faulty.find(e.pollutant);
            if (fault != state.faulty.end() && e.time_s <= fault->second) continue;
            c.kind = std::string(kAlarmDeviceFault);
            action.op = AlarmAction::Op::kClear;
            if (fault != state.faulty.end()) state.faulty.erase(fault);
            break;
          }
        }
        actions.push_back(std::move(action));
      }
      for (Sample& s : samples) {
        if (s.valid && s.limit > 0 && !s.exceeded && !state.exceeding.empty()) {
          auto ex = state.exceeding.find(s.pollutant);
          if (ex != state.exceeding.end() && s.time_s > ex->second) {
            state.exceeding.erase(ex);
            actions.push_back(
                {AlarmAction::Op::kClear,
                 {std::string(kAlarmExceedance), a.source->code, s.pollutant, s.time_s},
                 a.source,
                 a.upload});
          }
        }
        if (s.valid && !state.faulty.empty()) {
          auto fault = state.faulty.find(s.pollutant);
          if (fault != state.faulty.end() && s.time_s > fault->second) {
            state.faulty.erase(fault);
            actions.push_back(
                {AlarmAction::Op::kClear,
                 {std::string(kAlarmDeviceFault), a.source->code, s.pollutant, s.time_s},
                 a.source,
                 a.upload});
          }
        }
        auto [at, inserted] = state.latest.try_emplace(s.pollutant, s);
        if (!inserted && s.time_s >= at->second.time_s) at->second = std::move(s);
      }
    }
  }
  if (!hours.empty()) WriteHours(std::move(hours));

  uint64_t raised = 0;
  std::vector<size_t> raised_by;  // uploads that raised or updated an alarm
  for (const AlarmAction& action : actions) {
    if (action.op == AlarmAction::Op::kClear) {
      const Condition& c = action.condition;
      Status s = alarms_->Clear(c.kind, c.source, c.pollutant, c.time_s);
      if (!s.ok()) LogError("environment: clearing an alarm failed: {}", s.ToString());
      continue;
    }
    bool created = false;
    auto id = alarms_->Raise(action.condition, RouteFor(*action.source), &created);
    if (!id.ok()) {
      LogError("environment: raising an alarm of {} failed / 报警写入失败: {}",
               action.condition.source, id.error().ToString());
      continue;
    }
    raised += created ? 1 : 0;
    if (raised_by.empty() || raised_by.back() != action.upload) raised_by.push_back(action.upload);
  }
  if (!actions.empty()) {
    Status s = alarms_->Persist();
    if (!s.ok()) LogError("environment: persisting alarms failed: {}", s.ToString());
  }
  alarm_lock.unlock();

  // 4. Replies: every accepted upload is durable now.
  for (const Accepted& a : accepted) {
    const hj212::DataSegment& seg = batch[a.upload].parsed;
    if (!IsReplyCn(seg.cn_code)) (*out)[a.upload].reply = DataReply(seg);
  }

  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.frames_stored += rows.size();
  stats_.store_batches += rows.empty() ? 0 : 1;
  stats_.samples += sample_count;
  stats_.duplicates += duplicates;
  stats_.alarms_raised += raised;
  if (!raised_by.empty()) {
    const int64_t now_us = SystemNowUs();
    for (size_t u : raised_by) {
      int64_t latency = std::max<int64_t>(0, now_us - batch[u].received_ms * 1000);
      stats_.last_alarm_latency_us = latency;
      stats_.max_alarm_latency_us = std::max(stats_.max_alarm_latency_us, latency);
      ++stats_.alarm_latencies;
    }
  }
}

void EnvService::RaiseDataLoss(const Source& source, int64_t now_s, int64_t silent_s, bool first) {
  Condition c;
  c.kind = std::string(kAlarmDataLoss);
  c.source = source.code;
  c.time_s = now_s;
  c.value = static_cast<double>(silent_s);
  c.limit = source.DataLossAfter();
  c.unit = "s";
  c.detail = DataLossDetail(source, silent_s, source.DataLossAfter());
  // A later tick of the same silence updates its alarm; when there is none (closed by a person
  // while the silence lasts, the alarm stays closed until data returns) nothing is raised.
  if (!first) {
    alarms_->Update(c);
    return;
  }
  bool created = false;
  auto id = alarms_->Raise(c, RouteFor(source), &created);
  if (!id.ok()) {
    LogError("environment: raising the data-loss alarm of {} failed: {}", source.code,
             id.error().ToString());
    // Try again at the next tick.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = states_.find(source.code);
    if (it != states_.end()) it->second->loss_episode = false;
    return;
  }
  if (created) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_.alarms_raised;
  }
}

void EnvService::RecomputeHour(const Source& source, int64_t hour_s,
                               std::vector<store::EnvHourRow>* out) {
  Evaluator evaluator(source, zone_, options_.eval);
  std::vector<Sample> samples;
  std::vector<Event> events;
  std::vector<store::EnvHourRow> closed;
  hj212::DataSegment seg;
  Status s = engine_.store().ReadEnvFrames(
      source.code, 0, hour_s, hour_s + 3600, 0, [&](const store::EnvFrameRow& row) {
        if (!IsDataCn(row.cn) || !hj212::ParseSegment(row.segment, &seg).ok()) return;
        samples.clear();
        events.clear();
        evaluator.Add(seg, row.data_time_s, &samples, &closed, &events);
      });
  if (!s.ok()) {
    LogWarning("environment: recomputing hour {} of {} failed: {}", hour_s, source.code,
               s.ToString());
    return;
  }
  evaluator.CloseAll(&closed);
  for (store::EnvHourRow& row : closed) {
    if (row.hour_s == hour_s) out->push_back(std::move(row));
  }
}

void EnvService::Tick() {
  if (!alarms_) return;
  const int64_t now_s = Now();
  std::vector<store::EnvHourRow> hours;
  struct Loss {
    Source source;
    int64_t silent_s;
    bool first;
  };
  std::vector<Loss> losses;
  std::vector<std::pair<Source, int64_t>> late;
  std::lock_guard<std::mutex> alarm_lock(alarm_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    hours.swap(pending_hours_);
    for (auto it = late_hours_.begin(); it != late_hours_.end();) {
      auto state = states_.find(it->first.first);
      if (state == states_.end()) {
        it = late_hours_.erase(it);
      } else if (now_s - it->second >= kLateQuietS) {
        late.push_back({state->second->source, it->first.second});
        it = late_hours_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [code, state] : states_) {
      state->evaluator.Tick(now_s, &hours);
      const int64_t since_s = state->last_received_ms > 0 ? FloorDiv(state->last_received_ms, 1000)
                                                          : std::max(started_s_, state->created_s);
      const int64_t silent_s = now_s - since_s;
      if (silent_s <= state->source.DataLossAfter()) continue;
      if (!state->loss_episode) {
        state->loss_episode = true;
        state->loss_updated_s = now_s;
        losses.push_back({state->source, silent_s, true});
      } else if (now_s - state->loss_updated_s >= kDataLossUpdateS) {
        state->loss_updated_s = now_s;
        losses.push_back({state->source, silent_s, false});
      }
    }
  }
  for (const auto& [source, hour_s] : late) RecomputeHour(source, hour_s, &hours);
  if (!hours.empty()) WriteHours(std::move(hours));
  for (const Loss& loss : losses) RaiseDataLoss(loss.source, now_s, loss.silent_s, loss.first);
  Status s = alarms_->Persist();
  if (!s.ok()) LogError("environment: persisting alarms failed: {}", s.ToString());
}

std::vector<SourceStatus> EnvService::Live(std::span<const std::string> enterprises) const {
  const std::shared_ptr<const Snapshot> snap = snapshot();
  auto wanted = [&](const std::string& e) {
    return enterprises.empty() ||
           std::find(enterprises.begin(), enterprises.end(), e) != enterprises.end();
  };
  std::vector<SourceStatus> out;
  for (const Source& s : snap->registry.sources) {
    if (!wanted(s.enterprise_code)) continue;
    SourceStatus& st = out.emplace_back();
    st.source = s;
    st.source.password_sha256.clear();
    auto e = engine_.GetEnterprise(s.enterprise_code);
    if (e.ok()) {
      st.enterprise_name = e->name;
      st.zone_code = e->zone_code;
      if (!st.zone_code.empty()) {
        auto z = engine_.GetZone(st.zone_code);
        if (z.ok()) st.officer = z->officer;
      }
    }
  }
  // Alarms of those sources.
  std::map<std::string_view, std::set<std::string_view>> going_on;  // source -> kinds uncleared
  std::map<std::string_view, int32_t> active_count;
  const std::vector<store::AlarmRow> active = alarms_->Active();
  for (const store::AlarmRow& a : active) {
    ++active_count[a.source];
    if (a.cleared_s == 0) going_on[a.source].insert(a.kind);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (SourceStatus& st : out) {
    const Source& s = st.source;
    auto state = states_.find(s.code);
    if (state != states_.end()) {
      st.last_received_ms = state->second->last_received_ms;
      for (const std::string& p : s.pollutants) {
        auto it = state->second->latest.find(p);
        if (it == state->second->latest.end()) continue;
        const Sample& sample = it->second;
        PollutantNames n = NamesOf(p);
        LiveValue& v = st.values.emplace_back();
        v.pollutant = p;
        v.name_zh = n.zh;
        v.name_en = n.en;
        v.unit = JsonUnit(n.unit);
        v.time_s = sample.time_s;
        v.cn = sample.cn;
        v.value = sample.value;
        v.zs = sample.zs;
        v.corrected = sample.corrected;
        v.flag = FlagText(sample.flag);
        v.valid = sample.valid;
        v.limit = sample.limit;
        v.exceeded = sample.exceeded;
        if (sample.limit > 0) {
          std::optional<Limit> limit = LimitInForce(s, p, zone_.LocalDay(sample.time_s));
          if (limit) v.limit_basis = limit->basis;
        }
      }
    }
    auto count = active_count.find(s.code);
    st.active_alarms = count == active_count.end() ? 0 : count->second;
    auto kinds = going_on.find(s.code);
    auto has = [&](std::string_view kind) {
      return kinds != going_on.end() && kinds->second.count(kind) != 0;
    };
    if (has(kAlarmDataLoss)) {
      st.state = "offline";
    } else if (has(kAlarmDeviceFault)) {
      st.state = "fault";
    } else if (has(kAlarmExceedance)) {
      st.state = "exceeded";
    } else if (st.last_received_ms == 0) {
      st.state = "no_data";
    } else {
      st.state = "normal";
    }
  }
  return out;
}

Result<History> EnvService::SourceHistory(std::string_view source_code, std::string_view pollutant,
                                          int64_t from_s, int64_t to_s) {
  const std::shared_ptr<const Snapshot> snap = snapshot();
  auto found = snap->by_code.find(source_code);
  if (found == snap->by_code.end()) {
    return NotFoundError(
        fmt::format("no source '{}' / 污染源 {} 不存在", source_code, source_code));
  }
  const Source& source = *found->second;
  if (hj212::FindPollutant(pollutant) == nullptr) {
    return InvalidArgumentError(
        fmt::format("unknown pollutant code '{}' / 未知的污染物编码 {}", pollutant, pollutant));
  }
  if (to_s <= from_s || to_s - from_s > kMaxHistoryS) {
    return InvalidArgumentError(
        "history period must be non-empty and at most 31 days / 查询时段须为 1 秒到 31 天");
  }
  History h;
  ZP_RETURN_IF_ERROR(
      engine_.store().ReadEnvHours(source.code, pollutant, from_s, to_s,
                                   [&](const store::EnvHourRow& row) { h.hours.push_back(row); }));
  // Points are evaluated again from the stored segments, with the rules of live data.
  Evaluator evaluator(source, zone_, options_.eval);
  hj212::DataSegment seg;
  std::vector<Sample> samples;
  std::vector<store::EnvHourRow> hours;
  std::vector<Event> events;
  auto read = [&](int32_t cn) {
    return engine_.store().ReadEnvFrames(
        source.code, cn, from_s, to_s, 0, [&](const store::EnvFrameRow& row) {
          if (!hj212::ParseSegment(row.segment, &seg).ok() || seg.Find(pollutant) == nullptr) {
            return;
          }
          samples.clear();
          hours.clear();
          events.clear();
          evaluator.Add(seg, row.data_time_s, &samples, &hours, &events);
          for (const Sample& s : samples) {
            if (s.pollutant != pollutant) continue;
            h.points.push_back({s.time_s, s.cn, s.value, s.zs, FlagText(s.flag)});
            break;
          }
        });
  };
  ZP_RETURN_IF_ERROR(read(hj212::cn::kMinuteData));
  if (h.points.empty()) ZP_RETURN_IF_ERROR(read(hj212::cn::kRealtimeData));
  h.limit = LimitInForce(source, pollutant, zone_.LocalDay(to_s - 1));
  return h;
}

}  // namespace zp::environment
