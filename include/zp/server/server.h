#pragma once

// The HTTP API server over an Engine: REST JSON under /api/v1, InfluxDB line protocol at /write
// (and /api/v2/write), a bilingual landing page at /, the OpenAPI document at
// /api/v1/openapi.json and Prometheus metrics at /metrics. Start() binds and serves from its own
// threads; the Engine must outlive the Server. Stop() (or the destructor) ends serving.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "zp/base/result.h"
#include "zp/engine/engine.h"
#include "zp/environment/service.h"

namespace zp::server {

// The zeropark version, e.g. "0.1.0".
std::string_view Version();

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see Server::port())
  // Worker threads; 0: max(64, 4 x hardware threads). httplib holds a thread per open keep-alive
  // connection (up to 5 s idle), and a browser opens six per page: with 4 threads a dashboard page
  // waited 5 s for a free one.
  int threads = 0;
  // Request bodies larger than this (after decompression) are refused with 413.
  size_t max_body_bytes = size_t{64} << 20;
  // Session cookies carry the Secure attribute (browsers send them to http://127.0.0.1 and
  // http://localhost too). Turn off only behind a plain-HTTP proxy on another host.
  bool secure_cookies = true;
  // The built dashboard (web/dist), served under /app/; empty = none (/app/ says how to build it).
  std::string web_dir;
  // The HJ 212-2017 TCP listener of the environment service (on `host`): -1 = off, 0 = any free
  // port (see Server::hj212_port()). The environment API works either way.
  int hj212_port = -1;
  int hj212_idle_timeout_s = 600;
  int hj212_frame_timeout_s = 30;
};

class Server {
 public:
  // Binds host:port and starts serving. Unavailable when the address cannot be bound.
  static Result<std::unique_ptr<Server>> Start(engine::Engine& engine, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the chosen one when options.port was 0).
  int port() const;
  // The bound HJ 212 port; 0 when not listening.
  int hj212_port() const;
  // The environment service (sources, HJ 212 sink, alarms); owned by the server.
  environment::EnvService& environment();
  // Stops accepting, finishes requests in flight and joins the serving thread. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zp::server
