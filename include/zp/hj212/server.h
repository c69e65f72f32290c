#pragma once

// The HJ 212-2017 TCP server (数据传输 TCP 服务端): accepts data loggers' connections, splits each
// byte stream into frames (FrameReader: split packets, resync, oversized refused early), parses
// the data segments, and hands the good ones in batches to a FrameSink, which authenticates
// (MN + PW), stores and evaluates them and says what to reply. Replies are written only after
// the sink returns, so a 9014 always stands for durably stored data.
//
// Threads: one I/O thread (epoll, non-blocking sockets; thousands of connections) and one
// dispatch thread that calls the sink with everything that arrived while the previous batch was
// being handled (group commit). Idle connections (no byte for idle_timeout_s) and slow clients
// (a frame begun but not finished within frame_timeout_s, or replies piling up unread) are
// closed. Bad input never stops other connections. Every refusal is counted by reason.
// 数据采集仪 TCP 接入: 分包重组, 坏帧拒收计数, 空闲/慢速超时, 批量落盘后应答。

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/hj212/segment.h"

namespace zp::hj212 {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;              // 0: any free port (see Server::port())
  int idle_timeout_s = 600;  // no byte received for this long: close
  int frame_timeout_s = 30;  // a frame begun but not complete after this long: close
  size_t max_connections = 20000;
  size_t max_pending_output = size_t{256} << 10;  // unread reply bytes of one client: close
  size_t max_batch = 8192;                        // frames per sink call
};

// One parsed frame waiting for the sink. `segment` owns the data segment text; `parsed` views it
// (valid as long as the Upload is not modified).
struct Upload {
  uint64_t connection = 0;  // server-unique connection id
  std::string peer;         // "127.0.0.1:53122"
  int64_t received_ms = 0;  // UTC milliseconds
  std::string segment;
  DataSegment parsed;
};

// The sink's answer to one Upload.
struct Disposition {
  std::string reply;         // complete frame(s) to send back; empty: none
  std::string_view refusal;  // empty: accepted; else a stable reason for the counters
                             // ("unknown_mn", "bad_password", "version_2005", ...)
  bool close = false;        // close the connection after sending the reply
};

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // Called on the dispatch thread only, never concurrently. (*out) is empty on entry and has
  // batch.size() entries on return, in order. Must return only once accepted data is durable.
  // A sink that throws or returns the wrong count gets every frame of the batch refused as
  // "sink_error" with no reply (the loggers send again).
  virtual void Handle(std::span<const Upload> batch, std::vector<Disposition>* out) = 0;
};

struct ServerStats {
  uint64_t connections_accepted = 0;  // admitted (not counting connections_refused)
  uint64_t connections_open = 0;
  uint64_t connections_refused = 0;  // over max_connections
  uint64_t idle_timeouts = 0;
  uint64_t slow_timeouts = 0;  // frame_timeout_s or max_pending_output
  uint64_t bytes_received = 0;
  uint64_t frames_received = 0;  // complete frames with a sound segment, handed to the sink
  uint64_t frames_accepted = 0;  // of which the sink accepted
  uint64_t replies_sent = 0;     // non-empty replies queued on a live connection
  uint64_t batches = 0;
  // Refusals by reason: the FrameError names ("bad_crc", "bad_length", "truncated", "oversized",
  // "garbage", "bad_segment") and the sink's reasons.
  std::map<std::string, uint64_t, std::less<>> refused;
};

class Server {
 public:
  // Binds host:port and starts the threads. Unavailable when the address cannot be bound.
  static Result<std::unique_ptr<Server>> Start(FrameSink& sink, ServerOptions options);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  // Stops accepting, hands the frames already received to the sink, sends their replies (best
  // effort), closes every connection and joins the threads. Idempotent.
  void Stop();
  ServerStats stats() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zp::hj212
