// The inbound HTTP vocabulary shared by the server, the router, the REST routes
// and the plugin routes. Free of Beast headers: only adapters/http/server.cc
// includes Boost.Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace stagecheck::http {

struct Request {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // path + query as received
  std::string path;                                          // percent-decoded path
  std::string query;                                         // raw query string, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  std::string request_id;                          // from X-Request-Id or generated
  std::map<std::string, std::string> path_params;  // filled by the router

  // First header with that (case-insensitive) name.
  std::optional<std::string_view> Header(std::string_view name) const;
  // Percent-decoded query parameter.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  Response& SetHeader(std::string name, std::string value);
  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body);
};

// Called exactly once per request, from any thread.
using Respond = std::function<void(Response)>;
// Runs on one of the server's worker threads (never on an io thread), so it
// may block on the store. It must call `respond` exactly once, possibly later
// from another thread (the webhook answers after its group commit).
using Handler = std::function<void(Request, Respond)>;
// Tried on the io thread that read the request, before it is handed to a
// worker, so it must never block (no store, no vendor, no file). It either
// takes the request, answering through `respond` now or later, and returns
// true; or returns false with both left untouched, and the request goes to
// the Handler on a worker as usual. Saves the hop to a worker where a route
// can answer from memory (the webhook, whose addressees are remembered).
using IoHandler = std::function<bool(Request& request, Respond& respond)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, see Server::port()
  int io_threads = 1;
  int worker_threads = 4;
  size_t max_body_bytes = 1 << 20;  // larger bodies get 413 before the handler runs
  int read_timeout_seconds = 30;
};

// HTTP/1.1 server (Beast, in server.cc). Limits: headers over 16 KiB get 431,
// bodies over max_body_bytes get 413 (neither reaches the handler), malformed
// requests get 400; every response carries X-Request-Id. read_timeout_seconds
// bounds reading one request and also the keep-alive idle time.
// A handler must answer before the Server is destroyed, and must not call
// Stop() itself (Stop joins the worker threads).
class Server {
 public:
  Server(ServerOptions options, Handler handler, IoHandler on_io_thread = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; InvalidArgument/Unavailable when the address
  // cannot be bound.
  absl::Status Start();
  uint16_t port() const;
  // Stops accepting, lets in-flight requests finish, joins the threads.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagecheck::http
