#pragma once

// Test helper of the server tests (server_test.cc, auth_test.cc, env_api_test.cc): a GET that
// does not wait for the end of an event stream, whose body never ends by itself.

#include <httplib.h>

#include <memory>
#include <string>

namespace zp::server::testing {

// GET `target`. When the answer is an event stream (text/event-stream), its status and headers
// are returned as soon as they arrive and the connection is closed; any other answer is
// returned whole.
inline httplib::Result GetUntilEventStream(httplib::Client& client, const std::string& target,
                                           const httplib::Headers& headers = {}) {
  std::unique_ptr<httplib::Response> stream;
  std::string body;
  httplib::Result res = client.Get(
      target, headers,
      [&](const httplib::Response& r) {
        if (r.get_header_value("Content-Type") != "text/event-stream") return true;
        stream = std::make_unique<httplib::Response>(r);
        return false;
      },
      [&](const char* data, size_t n) {
        body.append(data, n);
        return true;
      });
  if (stream != nullptr) return httplib::Result(std::move(stream), httplib::Error::Success);
  if (res) res->body = std::move(body);
  return res;
}

}  // namespace zp::server::testing
