#include "zp/hj212/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "zp/base/logging.h"
#include "zp/hj212/frame.h"

namespace zp::hj212 {
namespace {

// epoll tags: connection ids start above these.
constexpr uint64_t kListenerTag = 0;
constexpr uint64_t kWakeTag = 1;
constexpr uint64_t kFirstConnectionId = 16;

constexpr size_t kReadBufferSize = size_t{64} << 10;
constexpr int kMaxEvents = 1024;
constexpr int kMaxAcceptsPerEvent = 256;
constexpr uint32_t kRefusalsLoggedPerConnection = 3;
constexpr int kTimeoutsLoggedPerSweep = 5;
constexpr int64_t kStopFlushGraceMs = 2000;  // Stop(): how long to keep writing replies
// A connection with this many uploads waiting for the sink is not read until some are answered,
// so a client sending faster than the sink stores is held back by TCP instead of filling memory.
constexpr uint32_t kMaxInFlightPerConnection = 512;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t UtcMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ErrnoText(int err) { return std::string(std::strerror(err)); }

std::string PeerName(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(a->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    return fmt::format("[{}]:{}", host, ntohs(a->sin6_port));
  }
  return "unknown";
}

void AddRefusal(ServerStats* stats, std::string_view reason, uint64_t n = 1) {
  auto it = stats->refused.find(reason);
  if (it == stats->refused.end()) {
    stats->refused.emplace(std::string(reason), n);
  } else {
    it->second += n;
  }
}

// One reply (or none) for one Upload, handed from the dispatch thread to the I/O thread. Every
// Upload gets one, so the I/O thread knows when a connection has nothing left in flight.
struct Reply {
  uint64_t connection = 0;
  std::string bytes;
  bool refused = false;
  bool close = false;
};

struct Connection {
  uint64_t id = 0;
  int fd = -1;
  std::string peer;
  FrameReader reader;
  std::string out;  // reply bytes not yet taken by the kernel, from out_off on
  size_t out_off = 0;
  int64_t last_byte_ms = 0;     // steady clock
  int64_t frame_start_ms = -1;  // steady clock; -1: the reader holds no partial frame
  uint32_t in_flight = 0;       // uploads handed to the dispatch thread, not yet answered
  uint32_t interest = 0;        // current epoll event mask
  uint32_t refused = 0;
  uint32_t refusals_logged = 0;
  bool read_closed = false;  // end of stream seen, or the server is stopping: read no more
  bool closing = false;      // the sink asked to close after its reply: read no more
  bool dirty = false;        // in Impl::dirty_ (output appended, to flush)

  size_t pending() const { return out.size() - out_off; }
  bool paused() const { return in_flight >= kMaxInFlightPerConnection; }
};

}  // namespace

struct Server::Impl {
  Impl(FrameSink& sink, ServerOptions options) : sink_(sink), options_(std::move(options)) {}
  ~Impl();

  Status Open();
  void Launch();
  void Stop();
  ServerStats Stats() const {
    std::lock_guard<std::mutex> lock(stats_mu_);
    return stats_;
  }

  // I/O thread.
  void IoLoop();
  void BeginStop();
  void Accept();
  void OnConnectionEvent(uint64_t id, uint32_t events);
  void Read(Connection& c);
  void OnFrame(Connection& c, std::string_view segment);
  void CountFrameError(Connection& c, const Status& error);
  void TakeReplies();
  void HandOff();
  void FlushDirty();
  bool Flush(Connection& c);  // false: the connection was closed
  void UpdateInterest(Connection& c);
  bool CloseIfDone(Connection& c);  // true: closed
  void Close(uint64_t id);
  void Sweep();
  void CloseAll();

  // Dispatch thread.
  void DispatchLoop();

  FrameSink& sink_;
  const ServerOptions options_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;     // eventfd: replies ready, or Stop()
  int reserve_fd_ = -1;  // spare descriptor to shed connections when out of descriptors
  int port_ = 0;
  std::thread io_thread_;
  std::thread dispatch_thread_;

  std::mutex stop_mu_;
  bool stopped_ = false;
  std::atomic<bool> stop_requested_{false};

  // I/O thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_id_ = kFirstConnectionId;
  std::vector<char> read_buffer_;
  std::vector<Upload> local_;  // parsed uploads not yet handed off; [0, local_n_) are live
  size_t local_n_ = 0;
  std::vector<Reply> io_replies_;
  std::vector<uint64_t> dirty_;
  std::vector<uint64_t> to_close_;
  int64_t now_ms_ = 0;  // steady clock, per loop iteration
  int64_t now_utc_ms_ = 0;
  bool stopping_ = false;           // BeginStop ran
  bool dispatch_finished_ = false;  // the dispatch thread posted its last replies
  int64_t stop_deadline_ms_ = 0;

  // I/O thread -> dispatch thread. Upload objects circulate between local_, queue_ and the
  // dispatch thread's batch so that their strings and vectors keep their capacity.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<Upload> queue_;  // [0, queue_n_) are live
  size_t queue_n_ = 0;
  bool drain_ = false;  // stopping: handle what is queued, then exit

  // Dispatch thread -> I/O thread.
  std::mutex replies_mu_;
  std::vector<Reply> replies_;
  bool replies_done_ = false;

  mutable std::mutex stats_mu_;
  ServerStats stats_;
};

Server::Impl::~Impl() {
  for (int fd : {listen_fd_, epoll_fd_, wake_fd_, reserve_fd_}) {
    if (fd >= 0) close(fd);
  }
}

Status Server::Impl::Open() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(options_.port);
  const char* host = options_.host.empty() ? nullptr : options_.host.c_str();
  const int gai = getaddrinfo(host, port_text.c_str(), &hints, &found);
  if (gai != 0) {
    return UnavailableError(
        fmt::format("hj212: cannot resolve {}: {}", options_.host, gai_strerror(gai)));
  }
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd =
        socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
      last_error = ErrnoText(errno);
      close(fd);
      continue;
    }
    listen_fd_ = fd;
    break;
  }
  freeaddrinfo(found);
  if (listen_fd_ < 0) {
    return UnavailableError(
        fmt::format("hj212: cannot listen on {}:{}: {}", options_.host, options_.port, last_error));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    return UnavailableError(fmt::format("hj212: epoll/eventfd: {}", ErrnoText(errno)));
  }
  reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) {
    return UnavailableError(fmt::format("hj212: epoll_ctl: {}", ErrnoText(errno)));
  }
  ev.data.u64 = kWakeTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    return UnavailableError(fmt::format("hj212: epoll_ctl: {}", ErrnoText(errno)));
  }
  read_buffer_.resize(kReadBufferSize);
  return Status::OK();
}

void Server::Impl::Launch() {
  dispatch_thread_ = std::thread([this] { DispatchLoop(); });
  io_thread_ = std::thread([this] { IoLoop(); });
  LogInfo("hj212: listening on {}:{} / HJ 212 数据接入端口 {}", options_.host, port_, port_);
}

void Server::Impl::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  stop_requested_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = write(wake_fd_, &one, sizeof one);
  if (io_thread_.joinable()) io_thread_.join();
  {
    // The I/O thread asked for the drain already; this covers an I/O thread that never ran.
    std::lock_guard<std::mutex> qlock(queue_mu_);
    drain_ = true;
  }
  queue_cv_.notify_one();
  if (dispatch_thread_.joinable()) dispatch_thread_.join();
  const ServerStats s = Stats();
  LogInfo("hj212: stopped; {} connections, {} frames received, {} accepted", s.connections_accepted,
          s.frames_received, s.frames_accepted);
}

// ---------------------------------------------------------------------------------------------
// I/O thread

void Server::Impl::IoLoop() {
  std::array<epoll_event, kMaxEvents> events;
  const int64_t shortest_ms =
      int64_t{1000} * std::max(1, std::min(options_.idle_timeout_s, options_.frame_timeout_s));
  const int64_t sweep_every_ms = std::clamp<int64_t>(shortest_ms / 4, 50, 1000);
  int64_t next_sweep_ms = SteadyMs() + sweep_every_ms;
  for (;;) {
    int timeout_ms = static_cast<int>(std::max<int64_t>(0, next_sweep_ms - SteadyMs()));
    if (stopping_) timeout_ms = std::min(timeout_ms, 50);
    const int n = epoll_wait(epoll_fd_, events.data(), kMaxEvents, timeout_ms);
    if (n < 0 && errno != EINTR) {
      LogError("hj212: epoll_wait: {}", ErrnoText(errno));
      break;
    }
    now_ms_ = SteadyMs();
    now_utc_ms_ = UtcMs();
    bool woken = false;
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kListenerTag) {
        if (!stopping_) Accept();
      } else if (tag == kWakeTag) {
        woken = true;
      } else {
        OnConnectionEvent(tag, events[i].events);
      }
    }
    if (woken) {
      uint64_t count = 0;
      [[maybe_unused]] ssize_t ignored = read(wake_fd_, &count, sizeof count);
      TakeReplies();
    }
    if (!stopping_ && stop_requested_) BeginStop();
    HandOff();
    FlushDirty();
    if (now_ms_ >= next_sweep_ms) {
      Sweep();
      next_sweep_ms = now_ms_ + sweep_every_ms;
    }
    if (stopping_ && dispatch_finished_) {
      if (stop_deadline_ms_ == 0) stop_deadline_ms_ = now_ms_ + kStopFlushGraceMs;
      if (connections_.empty() || now_ms_ >= stop_deadline_ms_) break;
    }
  }
  CloseAll();
}

// Stops accepting and reading; what was read goes to the sink and its replies are still written.
void Server::Impl::BeginStop() {
  stopping_ = true;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  close(listen_fd_);
  listen_fd_ = -1;
  to_close_.clear();
  for (auto& [id, c] : connections_) {
    c->read_closed = true;
    UpdateInterest(*c);
    if (c->in_flight == 0 && c->pending() == 0) to_close_.push_back(id);
  }
  for (uint64_t id : to_close_) Close(id);
  HandOff();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    drain_ = true;
  }
  queue_cv_.notify_one();
}

void Server::Impl::Accept() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EINTR || err == ECONNABORTED) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if ((err == EMFILE || err == ENFILE) && reserve_fd_ >= 0) {
        // Out of descriptors: accept with the spare one and close at once, so the backlog does
        // not spin the loop.
        close(reserve_fd_);
        const int shed = accept(listen_fd_, nullptr, nullptr);
        if (shed >= 0) close(shed);
        reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
        {
          std::lock_guard<std::mutex> lock(stats_mu_);
          stats_.connections_refused++;
        }
        LogWarning("hj212: out of file descriptors, connection refused / 文件描述符耗尽");
        if (shed < 0) return;
        continue;
      }
      LogWarning("hj212: accept: {}", ErrnoText(err));
      return;
    }
    if (connections_.size() >= options_.max_connections) {
      uint64_t refused = 0;
      {
        std::lock_guard<std::mutex> lock(stats_mu_);
        refused = ++stats_.connections_refused;
      }
      close(fd);
      if (refused <= 3 || refused % 1000 == 0) {
        LogWarning("hj212: {} refused: {} connections open (max) / 连接数已满 (total refused {})",
                   PeerName(addr), connections_.size(), refused);
      }
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>();
    c->id = next_id_++;
    c->fd = fd;
    c->peer = PeerName(addr);
    c->last_byte_ms = now_ms_;
    c->interest = EPOLLIN;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c->id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      LogWarning("hj212: epoll_ctl: {}", ErrnoText(errno));
      close(fd);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(stats_mu_);
      stats_.connections_accepted++;
      stats_.connections_open++;
    }
    LogDebug("hj212: {} connected (#{})", c->peer, c->id);
    connections_.emplace(c->id, std::move(c));
  }
}

void Server::Impl::OnConnectionEvent(uint64_t id, uint32_t events) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;  // closed earlier in this round
  Connection& c = *it->second;
  if ((events & EPOLLERR) != 0) {
    Close(id);
    return;
  }
  if ((events & EPOLLOUT) != 0 && !Flush(c)) return;
  if ((events & EPOLLIN) != 0 && !c.read_closed && !c.closing) {
    Read(c);  // may close
    return;
  }
  if ((events & EPOLLHUP) != 0) {
    Close(id);  // both directions gone: any replies still due are dropped
    return;
  }
  CloseIfDone(c);
}

void Server::Impl::Read(Connection& c) {
  ssize_t n;
  do {
    n = recv(c.fd, read_buffer_.data(), read_buffer_.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    Close(c.id);  // reset by the peer: replies still due are dropped
    return;
  }
  if (n == 0) {
    // End of stream. A peer that only shut down its sending side still gets the replies to what
    // it sent; the connection closes once they are written.
    Status error;
    if (c.reader.Finish(&error)) CountFrameError(c, error);
    c.read_closed = true;
    c.frame_start_ms = -1;
    UpdateInterest(c);
    CloseIfDone(c);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.bytes_received += static_cast<uint64_t>(n);
  }
  c.last_byte_ms = now_ms_;
  c.reader.Feed(std::string_view(read_buffer_.data(), static_cast<size_t>(n)));
  bool ended_any = false;  // a frame or an error ended in this chunk
  std::string_view segment;
  Status error;
  for (;;) {
    const FrameReader::Event event = c.reader.Next(&segment, &error);
    if (event == FrameReader::Event::kNeedMore) break;
    ended_any = true;
    if (event == FrameReader::Event::kFrame) {
      OnFrame(c, segment);
    } else {
      CountFrameError(c, error);
    }
  }
  if (c.reader.buffered() == 0) {
    c.frame_start_ms = -1;
  } else if (ended_any || c.frame_start_ms < 0) {
    c.frame_start_ms = now_ms_;  // the unfinished frame began in this chunk
  }
  if (c.paused()) UpdateInterest(c);
}

void Server::Impl::OnFrame(Connection& c, std::string_view segment) {
  if (local_n_ == local_.size()) local_.emplace_back();
  Upload& u = local_[local_n_];
  // A sound segment is longer than std::string's inline buffer, so moving an Upload between
  // vectors keeps `parsed` viewing the same heap bytes; reserve makes that hold for any length.
  if (u.segment.capacity() < 64) u.segment.reserve(64);
  u.segment.assign(segment);
  u.parsed.Clear();
  const Status status = ParseSegment(u.segment, &u.parsed);
  if (!status.ok()) {
    CountFrameError(c, status);
    return;
  }
  ++local_n_;
  u.connection = c.id;
  u.peer.assign(c.peer);
  u.received_ms = now_utc_ms_;
  c.in_flight++;
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.frames_received++;
}

void Server::Impl::CountFrameError(Connection& c, const Status& error) {
  FrameError kind = FrameErrorOf(error);
  if (kind == FrameError::kNone) kind = FrameError::kBadSegment;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    AddRefusal(&stats_, FrameErrorName(kind));
  }
  c.refused++;
  if (c.refusals_logged < kRefusalsLoggedPerConnection) {
    c.refusals_logged++;
    LogWarning("hj212: {} frame refused / 拒收: {}{}", c.peer, error.message(),
               c.refusals_logged == kRefusalsLoggedPerConnection
                   ? " (further refusals on this connection are summarised at close)"
                   : "");
  }
}

// Hands the uploads parsed in this round to the dispatch thread.
void Server::Impl::HandOff() {
  if (local_n_ == 0) return;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (queue_n_ == 0) {
      std::swap(queue_, local_);
      std::swap(queue_n_, local_n_);
    } else {
      for (size_t i = 0; i < local_n_; ++i) {
        if (queue_n_ == queue_.size()) queue_.emplace_back();
        std::swap(queue_[queue_n_++], local_[i]);
      }
      local_n_ = 0;
    }
  }
  queue_cv_.notify_one();
}

void Server::Impl::TakeReplies() {
  {
    std::lock_guard<std::mutex> lock(replies_mu_);
    std::swap(replies_, io_replies_);
    if (replies_done_) dispatch_finished_ = true;
  }
  uint64_t sent = 0;
  for (Reply& r : io_replies_) {
    auto it = connections_.find(r.connection);
    if (it == connections_.end()) continue;  // closed meanwhile: the reply is dropped
    Connection& c = *it->second;
    const bool was_paused = c.paused();
    c.in_flight--;
    // Reading resumes: the time it was held back is not the client's.
    if (was_paused && !c.paused() && c.frame_start_ms >= 0) c.frame_start_ms = now_ms_;
    if (r.refused) c.refused++;
    if (!c.closing) {
      if (!r.bytes.empty()) {
        c.out.append(r.bytes);
        ++sent;
      }
      if (r.close) c.closing = true;
    }
    if (!c.dirty) {
      c.dirty = true;
      dirty_.push_back(c.id);
    }
  }
  io_replies_.clear();
  if (sent > 0) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.replies_sent += sent;
  }
}

void Server::Impl::FlushDirty() {
  for (uint64_t id : dirty_) {
    auto it = connections_.find(id);
    if (it == connections_.end()) continue;
    Connection& c = *it->second;
    c.dirty = false;
    if (!Flush(c)) continue;
    if (c.pending() > options_.max_pending_output) {
      {
        std::lock_guard<std::mutex> lock(stats_mu_);
        stats_.slow_timeouts++;
      }
      LogWarning("hj212: {} does not read its replies ({} bytes pending), closed / 应答积压, 断开",
                 c.peer, c.pending());
      Close(id);
      continue;
    }
    CloseIfDone(c);
  }
  dirty_.clear();
}

bool Server::Impl::Flush(Connection& c) {
  while (c.out_off < c.out.size()) {
    const ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close(c.id);  // the peer is gone: what is left is dropped
    return false;
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
  } else if (c.out_off >= (size_t{64} << 10)) {
    c.out.erase(0, c.out_off);
    c.out_off = 0;
  }
  UpdateInterest(c);
  return true;
}

void Server::Impl::UpdateInterest(Connection& c) {
  const uint32_t want =
      (c.read_closed || c.closing || c.paused() ? 0u : static_cast<uint32_t>(EPOLLIN)) |
      (c.pending() > 0 ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  if (want == c.interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c.id;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.interest = want;
}

bool Server::Impl::CloseIfDone(Connection& c) {
  if (c.pending() > 0) return false;
  if (c.closing || (c.read_closed && c.in_flight == 0)) {
    Close(c.id);
    return true;
  }
  return false;
}

void Server::Impl::Close(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  if (c.refused > c.refusals_logged) {
    LogWarning("hj212: {} closed after {} refused frames ({} logged) / 连接关闭, 共拒收 {} 帧",
               c.peer, c.refused, c.refusals_logged, c.refused);
  } else {
    LogDebug("hj212: {} closed (#{})", c.peer, c.id);
  }
  connections_.erase(it);
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.connections_open = connections_.size();
}

// Closes idle connections (nothing received for idle_timeout_s while no reply is due) and slow
// ones (a frame begun frame_timeout_s ago and not finished).
void Server::Impl::Sweep() {
  const int64_t idle_ms = int64_t{1000} * options_.idle_timeout_s;
  const int64_t frame_ms = int64_t{1000} * options_.frame_timeout_s;
  to_close_.clear();
  uint64_t idle = 0;
  uint64_t slow = 0;
  int logged = 0;
  for (auto& [id, cp] : connections_) {
    const Connection& c = *cp;
    // A paused connection is not read, so its unfinished frame is not the client's fault.
    const bool is_slow = !c.read_closed && !c.closing && !c.paused() && c.frame_start_ms >= 0 &&
                         now_ms_ - c.frame_start_ms >= frame_ms;
    const bool is_idle = !is_slow && c.in_flight == 0 && now_ms_ - c.last_byte_ms >= idle_ms;
    if (!is_slow && !is_idle) continue;
    (is_slow ? slow : idle)++;
    to_close_.push_back(id);
    if (logged++ < kTimeoutsLoggedPerSweep) {
      if (is_slow) {
        LogInfo("hj212: {} closed: frame unfinished after {} s / 报文超时未完成", c.peer,
                options_.frame_timeout_s);
      } else {
        LogInfo("hj212: {} closed: no data for {} s / 空闲超时", c.peer, options_.idle_timeout_s);
      }
    }
  }
  if (to_close_.empty()) return;
  if (logged > kTimeoutsLoggedPerSweep) {
    LogInfo("hj212: {} more connections timed out", logged - kTimeoutsLoggedPerSweep);
  }
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.idle_timeouts += idle;
    stats_.slow_timeouts += slow;
  }
  for (uint64_t id : to_close_) Close(id);
}

void Server::Impl::CloseAll() {
  to_close_.clear();
  for (auto& [id, c] : connections_) to_close_.push_back(id);
  for (uint64_t id : to_close_) Close(id);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
  }
}

// ---------------------------------------------------------------------------------------------
// Dispatch thread

void Server::Impl::DispatchLoop() {
  std::vector<Upload> work;
  size_t work_n = 0;
  std::vector<Disposition> dispositions;
  std::vector<Reply> replies;
  const size_t max_batch = std::max<size_t>(1, options_.max_batch);
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return queue_n_ > 0 || drain_; });
      if (queue_n_ == 0) break;  // draining and nothing left
      std::swap(queue_, work);
      std::swap(queue_n_, work_n);  // queue_n_ becomes 0: work_n was 0
    }
    for (size_t off = 0; off < work_n;) {
      const size_t k = std::min(max_batch, work_n - off);
      const std::span<const Upload> batch(work.data() + off, k);
      dispositions.clear();
      try {
        sink_.Handle(batch, &dispositions);
      } catch (const std::exception& e) {
        LogError("hj212: frame sink threw: {}", e.what());
        dispositions.clear();
      } catch (...) {
        LogError("hj212: frame sink threw");
        dispositions.clear();
      }
      if (dispositions.size() != k) {
        // A sink that broke its contract (or threw): nothing is acknowledged, so the loggers
        // send the data again.
        LogError("hj212: frame sink returned {} dispositions for {} frames", dispositions.size(),
                 k);
        dispositions.assign(k, Disposition{});
        for (Disposition& d : dispositions) d.refusal = "sink_error";
      }
      uint64_t accepted = 0;
      {
        std::lock_guard<std::mutex> lock(stats_mu_);
        stats_.batches++;
        for (const Disposition& d : dispositions) {
          if (d.refusal.empty()) {
            ++accepted;
          } else {
            AddRefusal(&stats_, d.refusal);
          }
        }
        stats_.frames_accepted += accepted;
      }
      replies.resize(k);
      for (size_t i = 0; i < k; ++i) {
        Reply& r = replies[i];
        Disposition& d = dispositions[i];
        r.connection = batch[i].connection;
        r.bytes = std::move(d.reply);
        r.refused = !d.refusal.empty();
        r.close = d.close;
      }
      {
        std::lock_guard<std::mutex> lock(replies_mu_);
        if (replies_.empty()) {
          std::swap(replies_, replies);
        } else {
          for (Reply& r : replies) replies_.push_back(std::move(r));
        }
      }
      replies.clear();
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t ignored = write(wake_fd_, &one, sizeof one);
      off += k;
    }
    work_n = 0;  // the Upload objects stay in `work` for reuse
  }
  {
    std::lock_guard<std::mutex> lock(replies_mu_);
    replies_done_ = true;
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = write(wake_fd_, &one, sizeof one);
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<Server>> Server::Start(FrameSink& sink, ServerOptions options) {
  auto impl = std::make_unique<Impl>(sink, std::move(options));
  ZP_RETURN_IF_ERROR(impl->Open());
  impl->Launch();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

int Server::port() const { return impl_->port_; }

void Server::Stop() { impl_->Stop(); }

ServerStats Server::stats() const { return impl_->Stats(); }

}  // namespace zp::hj212
