// cpp-httplib glue: the only file besides server_test.cc that includes <httplib.h>. Every request
// is read (with the body limit applied after decompression), turned into an HttpRequest and
// handed to the Api; the logger callback records metrics and the debug log line.

#include "zp/server/server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "api.h"
#include "web_app.h"
#include "zp/base/logging.h"
#include "zp/environment/service.h"

namespace zp::server {
namespace {

using Clock = std::chrono::steady_clock;

// What the handler thread knows of the request in flight, for the logger callback that runs on
// the same thread once the response is written (and counts the requests httplib answered itself).
struct InFlight {
  bool dispatched = false;
  bool recorded = false;  // metrics already counted by Dispatch
  int route = -1;
  Clock::time_point start;
};
thread_local InFlight in_flight;

}  // namespace

struct Server::Impl {
  Impl(engine::Engine& engine, const ServerOptions& o)
      : options(o),
        web(o.web_dir),
        api(engine, ApiOptions{o.max_body_bytes, 0, o.secure_cookies}) {}

  void Dispatch(const httplib::Request& req, httplib::Response& res, std::string body,
                bool too_large) {
    in_flight = InFlight{true, false, -1, Clock::now()};
    HttpRequest r;
    r.method = req.method;
    r.path = req.path;
    r.query.reserve(req.params.size());
    for (const auto& [key, value] : req.params) r.query.emplace_back(key, value);
    r.body = std::move(body);
    r.content_type = req.get_header_value("Content-Type");
    r.remote_addr = req.remote_addr;
    r.authorization = req.get_header_value("Authorization");
    r.cookie = req.get_header_value("Cookie");
    r.csrf_token = req.get_header_value("X-CSRF-Token");

    HttpResponse resp;
    int route = -1;
    if (too_large) {
      std::vector<std::string> allowed;
      route = api.router().Find(r.method, r.path, &r.path_params, &allowed);
      resp =
          ErrorResponse(413, StatusCode::kResourceExhausted,
                        fmt::format("request body larger than {} bytes", options.max_body_bytes));
      resp.headers.emplace_back("Connection", "close");
    } else if ((r.method == "GET" || r.method == "HEAD") && WebApp::Owns(r.path)) {
      resp = web.Serve(r.path);  // the dashboard's files: not API routes
    } else {
      resp = api.Handle(r, &route);
    }
    in_flight.route = route;
    // Counted before the answer is sent, so a client that reads /metrics right after sees it.
    api.metrics().Record(route, resp.status,
                         std::chrono::duration<double>(Clock::now() - in_flight.start).count());
    in_flight.recorded = true;
    res.status = resp.status;
    for (auto& [key, value] : resp.headers) res.set_header(key.c_str(), value);
    if (resp.stream) {
      // Sent chunked as it is produced, on this worker thread; the stop flag ends it.
      res.set_chunked_content_provider(resp.content_type, [this, stream = std::move(resp.stream)](
                                                              size_t, httplib::DataSink& sink) {
        bool gone = false;
        try {
          stream(
              [&](std::string_view piece) {
                gone = gone || !sink.write(piece.data(), piece.size());
                return !gone;
              },
              stopped);
        } catch (const std::exception& e) {
          LogError("response stream failed: {}", e.what());
          gone = true;
        }
        if (gone) return false;  // the client has gone (or the stream broke): drop it
        sink.done();
        return true;
      });
    } else if (resp.status != 204 && !(resp.body.empty() && resp.status < 300)) {
      res.set_content(std::move(resp.body), resp.content_type.c_str());
    }
  }

  // POST and PUT: read the body ourselves so the limit also holds for chunked and compressed
  // bodies (httplib checks only Content-Length).
  void DispatchWithBody(const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader& reader) {
    std::string body;
    bool too_large = false;
    bool ok = true;
    const size_t limit = options.max_body_bytes;
    if (req.has_header("Content-Length")) {
      const uint64_t length = req.get_header_value<uint64_t>("Content-Length");
      if (length <= limit) body.reserve(length);
    }
    auto append = [&](const char* data, size_t n) {
      if (body.size() + n > limit) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return true;
    };
    if (req.is_multipart_form_data()) {
      // A browser form upload: the first part is the body; other parts are read and dropped.
      int parts = 0;
      ok = reader(
          [&](const httplib::MultipartFormData&) {
            ++parts;
            return true;
          },
          [&](const char* data, size_t n) { return parts != 1 || append(data, n); });
    } else {
      ok = reader(append);
    }
    if (!ok && res.status == 413) too_large = true;
    if (!ok && !too_large) {
      in_flight = InFlight{true, false, -1, Clock::now()};
      res.status = 400;
      res.set_content(
          ErrorResponse(400, StatusCode::kInvalidArgument, "could not read the request body").body,
          "application/json");
      return;
    }
    Dispatch(req, res, std::move(body), too_large);
  }

  ServerOptions options;
  WebApp web;
  Api api;
  std::unique_ptr<environment::EnvService> env;  // behind /api/v1/env
  httplib::Server http;
  std::thread thread;
  std::atomic<bool> stopped{false};
  int port = 0;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

int Server::port() const { return impl_->port; }

int Server::hj212_port() const { return impl_->env->hj212_port(); }

environment::EnvService& Server::environment() { return *impl_->env; }

void Server::Stop() {
  if (impl_ == nullptr || impl_->stopped.exchange(true)) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->env != nullptr) impl_->env->Stop();
}

Result<std::unique_ptr<Server>> Server::Start(engine::Engine& engine, ServerOptions options) {
  if (options.port < 0 || options.port > 65535) {
    return InvalidArgumentError(fmt::format("port {} is outside 0..65535", options.port));
  }
  if (options.max_body_bytes == 0) {
    return InvalidArgumentError("max_body_bytes must be positive");
  }
  int threads = options.threads;
  if (threads <= 0) {
    threads = std::max(64, 4 * static_cast<int>(std::thread::hardware_concurrency()));
  }
  auto impl = std::make_unique<Impl>(engine, options);
  Impl* p = impl.get();
  if (options.hj212_port < -1 || options.hj212_port > 65535) {
    return InvalidArgumentError(
        fmt::format("HJ 212 port {} is outside -1..65535", options.hj212_port));
  }
  ZP_ASSIGN_OR_RETURN(p->env, environment::EnvService::Open(engine));
  if (options.hj212_port >= 0) {
    hj212::ServerOptions hj212;
    hj212.host = options.host;
    hj212.port = options.hj212_port;
    hj212.idle_timeout_s = options.hj212_idle_timeout_s;
    hj212.frame_timeout_s = options.hj212_frame_timeout_s;
    ZP_RETURN_IF_ERROR(p->env->Listen(hj212).WithContext(fmt::format(
        "HJ 212 listener on port {} (--hj212-port 0 takes any free port, -1 turns it off) / "
        "HJ 212 监听端口 {} 不可用",
        options.hj212_port, options.hj212_port)));
  }
  p->api.SetEnvironment(p->env.get());
  if (!options.web_dir.empty()) p->web.file_count();  // loads the dashboard, logs what it found
  httplib::Server& http = p->http;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http.set_payload_max_length(options.max_body_bytes);
  http.set_keep_alive_max_count(100'000);
  http.set_tcp_nodelay(true);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second server
  // bind the same port and silently share its connections.
  http.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.set_read_timeout(30, 0);
  http.set_write_timeout(30, 0);

  auto plain = [p](const httplib::Request& req, httplib::Response& res) {
    p->Dispatch(req, res, req.body, false);
  };
  auto with_body = [p](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) {
    p->DispatchWithBody(req, res, reader);
  };
  // Response compression: gzip only. httplib compresses with brotli at quality 11 whenever a
  // browser offers "br", which costs seconds per 100 kB of JSON (measured: 1.7-2.8 s for a
  // 55-140 kB answer, against ~50 ms with gzip); so "br" is dropped from Accept-Encoding before
  // httplib reads it. The Request object is the connection's own (httplib hands it on as const).
  http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    auto& headers = const_cast<httplib::Request&>(req).headers;
    auto it = headers.find("Accept-Encoding");
    if (it != headers.end() && it->second.find("br") != std::string::npos) {
      std::string kept;
      std::string_view rest = it->second;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        std::string_view token = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
        if (token.substr(0, 2) == "br") continue;
        if (!kept.empty()) kept += ", ";
        kept += token;
      }
      it->second = kept;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.Get(".*", plain);
  http.Delete(".*", plain);
  http.Options(".*", plain);
  http.Patch(".*", with_body);
  http.Post(".*", with_body);
  http.Put(".*", with_body);

  // Responses httplib makes itself (unparsable request, body over the limit before we saw it).
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [p](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message;
        StatusCode code = StatusCode::kInvalidArgument;
        if (res.status == 413) {
          message = fmt::format("request body larger than {} bytes", p->options.max_body_bytes);
          code = StatusCode::kResourceExhausted;
        } else if (res.status == 404) {
          message = fmt::format("no such endpoint: {} {}", req.method, req.path);
          code = StatusCode::kNotFound;
        } else if (res.status >= 500) {
          message = "internal error";
          code = StatusCode::kInternal;
        } else {
          message = fmt::format("bad request ({})", res.status);
        }
        res.set_content(ErrorResponse(res.status, code, message).body, "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        LogError("{} {}: unhandled exception: {}", req.method, req.path, what);
        res.status = 500;
        res.set_content(ErrorResponse(500, StatusCode::kInternal, "internal error").body,
                        "application/json");
      });
  http.set_logger([p](const httplib::Request& req, const httplib::Response& res) {
    const InFlight state = in_flight;
    in_flight = InFlight{};
    const double seconds =
        state.dispatched ? std::chrono::duration<double>(Clock::now() - state.start).count() : 0.0;
    if (!state.recorded) p->api.metrics().Record(state.route, res.status, seconds);
    LogDebug("{} {} {} -> {} in {:.3f} ms ({} bytes in, {} out)", req.remote_addr, req.method,
             req.path, res.status, seconds * 1e3, req.body.size(), res.body.size());
  });

  if (options.port == 0) {
    const int port = http.bind_to_any_port(options.host);
    if (port <= 0) {
      return UnavailableError(
          fmt::format("cannot listen on {} (any port): {}", options.host, std::strerror(errno)));
    }
    p->port = port;
  } else {
    if (!http.bind_to_port(options.host, options.port)) {
      return UnavailableError(fmt::format("cannot listen on {}:{}: {}", options.host, options.port,
                                          std::strerror(errno)));
    }
    p->port = options.port;
  }
  p->thread = std::thread([p] { p->http.listen_after_bind(); });
  // Stop() before the listen loop runs would not reach it: wait until it does.
  for (int i = 0; i < 5000 && !http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!http.is_running()) {
    http.stop();
    p->thread.join();
    return UnavailableError(
        fmt::format("the HTTP listener on {}:{} did not start", options.host, p->port));
  }
  p->api.WarmUpGreen();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

}  // namespace zp::server
