// http::Server on Boost.Beast 1.74 with C++20 coroutines.
//
// Threads: `io_threads` run the io_context (accept, parse, write); each
// connection lives on its own strand. A parsed request is offered to the
// IoHandler, if any, right there; otherwise it is posted to a worker pool
// where the Handler runs. `respond` posts the response back to the
// connection's strand, where the parked coroutine writes it. That is the only
// thread hop per request: io -> worker -> io (none for what the IoHandler
// answers at once).
//
// One request at a time per connection: pipelined requests wait in the read
// buffer, so responses keep request order.

#include <utility>  // g++ 12 needs it before <boost/asio/awaitable.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "absl/strings/str_cat.h"
#include "adapters/http/http.h"
#include "adapters/http/problem.h"
#include "adapters/http/url.h"
#include "core/thread_name.h"

namespace stagecheck::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

constexpr size_t kMaxHeaderBytes = 16 * 1024;
// How long Stop() waits for in-flight requests before cutting connections.
constexpr auto kStopGrace = std::chrono::seconds(10);
constexpr size_t kMaxRequestIdLength = 128;

// A client-chosen request id is echoed only when it cannot inject anything
// into logs or headers.
bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// Request ids only need to be unique, not secret: a per-thread PRNG avoids a
// syscall or a lock per request.
std::string NewRequestId() {
  thread_local std::mt19937_64 engine(std::random_device{}() ^
                                      std::hash<std::thread::id>{}(std::this_thread::get_id()));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = engine();
    for (int i = 0; i < 16; ++i) {
      id[half * 16 + i] = kDigits[bits & 0xf];
      bits >>= 4;
    }
  }
  return id;
}

bool IsSafeHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!token) return false;
  }
  return value.find_first_of("\r\n", 0, 3) == std::string_view::npos;  // CR, LF or NUL
}

std::string_view Sv(boost::beast::string_view s) { return std::string_view(s.data(), s.size()); }

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Response InternalProblem() {
  return ProblemResponse(500, "internal", "An internal error occurred.");
}

}  // namespace

class Session;

// Server::Impl is private to Server; the state lives in a base that Session
// may name.
struct ServerState {
  ServerState(ServerOptions opts, Handler h, IoHandler io)
      : options(std::move(opts)),
        handler(std::move(h)),
        on_io_thread(std::move(io)),
        ioc(options.io_threads > 0 ? options.io_threads : 1),
        acceptor(ioc) {}

  void Register(Session* session, std::weak_ptr<Session> weak) {
    std::lock_guard<std::mutex> lock(mu);
    sessions.emplace(session, std::move(weak));
  }
  void Unregister(Session* session) {
    std::lock_guard<std::mutex> lock(mu);
    sessions.erase(session);
    if (sessions.empty()) sessions_done.notify_all();
  }

  asio::awaitable<void> AcceptLoop();
  void StopSessions();

  ServerOptions options;
  Handler handler;
  IoHandler on_io_thread;  // may be empty
  asio::io_context ioc;
  tcp::acceptor acceptor;
  std::optional<asio::thread_pool> workers;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  std::atomic<bool> stopping{false};
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  std::mutex mu;
  std::condition_variable sessions_done;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

struct Server::Impl : ServerState {
  using ServerState::ServerState;
};

namespace {

// A parked coroutine's completion handler, type-erased: Asio 1.74 has no
// channel, and a timer used as an event costs a timer-queue lock and a
// timerfd syscall per request.
class Resumer {
 public:
  virtual ~Resumer() = default;
  virtual void Resume() = 0;
};

template <typename CompletionHandler>
class ResumerImpl final : public Resumer {
 public:
  explicit ResumerImpl(CompletionHandler handler) : handler_(std::move(handler)) {}
  void Resume() override { std::move(handler_)(); }

 private:
  CompletionHandler handler_;
};

// The response slot of one request. `respond` copies share it; whichever
// copy fires first wins, and if every copy is dropped unanswered the client
// still gets a 500 instead of a hung connection.
class Pending {
 public:
  explicit Pending(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  ~Pending() {
    if (!done_.load(std::memory_order_relaxed)) Deliver(InternalProblem());
  }
  void Deliver(Response response);

 private:
  std::shared_ptr<Session> session_;
  std::atomic<bool> done_{false};
};

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerState* impl, tcp::socket socket) : impl_(impl), stream_(std::move(socket)) {}

  static asio::awaitable<void> Run(std::shared_ptr<Session> self) {
    self->impl_->Register(self.get(), self);
    try {
      co_await self->Serve();
    } catch (const std::exception&) {
      // A connection-level failure (allocation, broken invariant) closes
      // this connection only.
    }
    if (self->linger_) {
      try {
        co_await self->Linger();
      } catch (const std::exception&) {
      }
    }
    beast::error_code ignored;
    self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    self->stream_.close();
    self->impl_->Unregister(self.get());
  }

  // On the strand: a response arrived from a worker.
  void OnResponse(Response response) {
    response_ = std::move(response);
    if (parked_) {
      // Resumes the coroutine right here: we already run on its strand.
      std::unique_ptr<Resumer> parked = std::move(parked_);
      parked->Resume();
    }
  }

  // After the io threads are gone: a coroutine still parked (its handler
  // never answered within the grace period) is released so that the
  // session -> handler -> frame -> session cycle does not leak.
  void DropParked() { parked_.reset(); }

  // On the strand: the server stops. Idle connections close now, busy ones
  // after their response.
  void OnStop() {
    if (reading_) stream_.cancel();
  }

  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  asio::awaitable<void> Serve();
  void Greet();
  asio::awaitable<void> AnswerReadError(beast::error_code ec);
  void Dispatch(Request request);
  asio::awaitable<void> Linger();
  asio::awaitable<bool> WriteResponse(Response response, unsigned version, bool keep_alive,
                                      const std::string& request_id);
  asio::awaitable<bool> WriteError(int status, std::string_view code, std::string_view detail);
  std::optional<Request> BuildRequest(bhttp::request<bhttp::string_body>& message);

  ServerState* impl_;
  beast::tcp_stream stream_;
  std::unique_ptr<Resumer> parked_;  // set while a worker runs the handler
  beast::flat_buffer buffer_;
  std::optional<Response> response_;
  std::string remote_address_;
  bool reading_ = false;
  bool linger_ = false;  // an error answer was sent while the peer may still be sending
};

void Pending::Deliver(Response response) {
  if (done_.exchange(true)) return;  // only the first answer counts
  std::shared_ptr<Session> session = session_;
  asio::post(session->executor(), [session, response = std::move(response)]() mutable {
    session->OnResponse(std::move(response));
  });
}

asio::awaitable<void> Session::Serve() {
  Greet();
  beast::error_code ec;
  const auto timeout = std::chrono::seconds(impl_->options.read_timeout_seconds);
  while (!impl_->stopping.load()) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(impl_->options.max_body_bytes);

    stream_.expires_after(timeout);
    reading_ = true;
    co_await bhttp::async_read_header(stream_, buffer_, parser, redirect_error(use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      // curl and others wait for this before sending a large body.
      auto expect = parser.get().find(bhttp::field::expect);
      if (expect != parser.get().end() && Lowercase(Sv(expect->value())) == "100-continue") {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                                   redirect_error(use_awaitable, ec));
      }
      if (!ec) {
        co_await bhttp::async_read(stream_, buffer_, parser, redirect_error(use_awaitable, ec));
      }
    }
    reading_ = false;
    if (ec) {
      co_await AnswerReadError(ec);
      co_return;
    }

    bhttp::request<bhttp::string_body> message = parser.release();
    const unsigned version = message.version();
    const bool keep_alive = message.keep_alive();
    std::optional<Request> request = BuildRequest(message);
    if (!request.has_value()) {
      co_await WriteError(400, "invalid_path", "Malformed percent-encoding in the path.");
      co_return;
    }
    std::string request_id = request->request_id;

    Dispatch(std::move(*request));

    if (!response_.has_value()) {
      // Checked and parked within one strand turn, so OnResponse cannot slip
      // in between.
      co_await asio::async_initiate<decltype(use_awaitable), void()>(
          [this](auto handler) {
            parked_ = std::make_unique<ResumerImpl<decltype(handler)>>(std::move(handler));
          },
          use_awaitable);
    }
    bool ok = co_await WriteResponse(std::move(*response_), version, keep_alive, request_id);
    response_.reset();
    if (!ok || !keep_alive) co_return;
  }
}

// The peer's address (the webhook's refusal log keeps it), and no Nagle
// delay on small answers.
void Session::Greet() {
  beast::error_code ec;
  tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_address_ = peer.address().to_string();
  stream_.socket().set_option(tcp::no_delay(true), ec);
}

// A request that could not be read is answered when it was too large or not
// HTTP; closed by the peer, timed out or cancelled by Stop() gets nothing.
asio::awaitable<void> Session::AnswerReadError(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    co_await WriteError(413, "payload_too_large", "The request body is too large.");
  } else if (ec == bhttp::error::header_limit) {
    co_await WriteError(431, "headers_too_large", "The request headers are too large.");
  } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
             ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    co_await WriteError(400, "malformed_request", "The request is not valid HTTP/1.1.");
  }
}

// Offers the request to the io handler first (on this strand), else runs
// the handler on a worker thread; either way its answer comes back through
// OnResponse, on this session's strand.
void Session::Dispatch(Request request) {
  response_.reset();
  auto pending = std::make_shared<Pending>(shared_from_this());
  if (impl_->on_io_thread) {
    Respond respond = [pending](Response response) { pending->Deliver(std::move(response)); };
    try {
      if (impl_->on_io_thread(request, respond)) return;
    } catch (...) {
      pending->Deliver(InternalProblem());  // ignored when already answered
      return;
    }
  }
  asio::post(*impl_->workers, [impl = impl_, request = std::move(request), pending]() mutable {
    // asio's pool starts its threads itself: each names itself on its first request.
    thread_local const bool named = (NameThisThread("sc-http"), true);
    (void)named;
    Respond respond = [pending](Response response) { pending->Deliver(std::move(response)); };
    try {
      impl->handler(std::move(request), std::move(respond));
    } catch (...) {
      pending->Deliver(InternalProblem());  // ignored when already answered
    }
  });
  // Dropping `pending` here leaves the worker's copies to decide when it is
  // answered.
}

std::optional<Request> Session::BuildRequest(bhttp::request<bhttp::string_body>& message) {
  Request request;
  request.method = std::string(Sv(message.method_string()));
  request.target = std::string(Sv(message.target()));
  std::string_view target(request.target);
  size_t question = target.find('?');
  std::optional<std::string> path = PercentDecode(target.substr(0, question));
  if (!path.has_value()) return std::nullopt;
  request.path = std::move(*path);
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  request.headers.reserve(std::distance(message.begin(), message.end()));
  for (const auto& field : message) {
    request.headers.emplace_back(Lowercase(Sv(field.name_string())),
                                 std::string(Sv(field.value())));
  }
  request.body = std::move(message.body());
  request.remote_address = remote_address_;
  std::optional<std::string_view> id = request.Header("x-request-id");
  request.request_id = (id.has_value() && IsSaneRequestId(*id)) ? std::string(*id) : NewRequestId();
  return request;
}

asio::awaitable<bool> Session::WriteResponse(Response response, unsigned version, bool keep_alive,
                                             const std::string& request_id) {
  bhttp::response<bhttp::string_body> message;
  message.version(version);
  message.result(response.status >= 100 && response.status <= 999
                     ? static_cast<unsigned>(response.status)
                     : 500u);
  for (auto& [name, value] : response.headers) {
    // Beast 1.74 does not validate fields: a CR/LF from a handler would split
    // the response.
    if (IsSafeHeader(name, value)) message.set(name, value);
  }
  message.set("X-Request-Id", request_id);
  message.body() = std::move(response.body);
  message.keep_alive(keep_alive && !impl_->stopping.load());
  message.prepare_payload();

  beast::error_code ec;
  stream_.expires_after(std::chrono::seconds(impl_->options.read_timeout_seconds));
  co_await bhttp::async_write(stream_, message, redirect_error(use_awaitable, ec));
  co_return !ec && message.keep_alive();
}

// Closing a socket with unread input makes the kernel send RST, which can
// destroy our error answer before the client reads it (typical for a 413 sent
// while the body is still arriving). So: half-close, then discard input for a
// short while, like nginx's lingering close.
asio::awaitable<void> Session::Linger() {
  constexpr auto kLingerTime = std::chrono::seconds(2);
  constexpr size_t kLingerBytes = 4 << 20;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  stream_.expires_after(kLingerTime);
  std::array<char, 16384> scratch;
  size_t discarded = 0;
  while (discarded < kLingerBytes && !impl_->stopping.load()) {
    reading_ = true;  // so that Stop() may cut it short
    size_t n =
        co_await stream_.async_read_some(asio::buffer(scratch), redirect_error(use_awaitable, ec));
    reading_ = false;
    if (ec) break;
    discarded += n;
  }
}

asio::awaitable<bool> Session::WriteError(int status, std::string_view code,
                                          std::string_view detail) {
  // The request is unusable, so so is the rest of the stream: answer and close.
  linger_ = true;
  co_return co_await WriteResponse(ProblemResponse(status, code, detail), 11, false,
                                   NewRequestId());
}

asio::awaitable<void> ServerState::AcceptLoop() {
  while (!stopping.load()) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::make_strand(ioc), redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping.load()) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    auto session = std::make_shared<Session>(this, std::move(socket));
    asio::co_spawn(session->executor(), Session::Run(session), asio::detached);
  }
}

void ServerState::StopSessions() {
  std::lock_guard<std::mutex> lock(mu);
  for (auto& [raw, weak] : sessions) {
    if (std::shared_ptr<Session> session = weak.lock()) {
      asio::post(session->executor(), [session] { session->OnStop(); });
    }
  }
}

Server::Server(ServerOptions options, Handler handler, IoHandler on_io_thread)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler),
                                   std::move(on_io_thread))) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  if (impl_->started) return absl::FailedPreconditionError("server already started");
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(impl_->options.host, "", ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot resolve listen host '", impl_->options.host, "'"));
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  std::string where = absl::StrCat(impl_->options.host, ":", impl_->options.port);
  tcp::acceptor& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (ec)
    return absl::UnavailableError(
        absl::StrCat("cannot open socket for ", where, ": ", ec.message()));
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) {
    acceptor.close();
    return absl::UnavailableError(absl::StrCat("cannot bind ", where, ": ", ec.message()));
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.close();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", where, ": ", ec.message()));
  }
  impl_->port = acceptor.local_endpoint(ec).port();

  impl_->started = true;
  impl_->workers.emplace(impl_->options.worker_threads > 0 ? impl_->options.worker_threads : 1);
  impl_->work.emplace(impl_->ioc.get_executor());
  asio::co_spawn(impl_->ioc, impl_->AcceptLoop(), asio::detached);
  int threads = impl_->options.io_threads > 0 ? impl_->options.io_threads : 1;
  for (int i = 0; i < threads; ++i) {
    NameThread(impl_->io_threads.emplace_back([this] { impl_->ioc.run(); }), "sc-http-io");
  }
  return absl::OkStatus();
}

uint16_t Server::port() const { return impl_->port; }

void Server::Stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping.store(true);
  asio::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
  impl_->StopSessions();
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->sessions_done.wait_for(lock, kStopGrace, [&] { return impl_->sessions.empty(); });
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (std::thread& thread : impl_->io_threads) thread.join();
  impl_->io_threads.clear();
  impl_->workers->join();
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& [raw, weak] : impl_->sessions) {
    if (std::shared_ptr<Session> session = weak.lock()) session->DropParked();
  }
}

}  // namespace stagecheck::http
