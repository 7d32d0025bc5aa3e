// The cpprestsdk edge: every cpprestsdk exception is caught here and becomes
// an absl::Status. Built with _TURN_OFF_PLATFORM_STRING (see docs/architecture.md).
#include <cpprest/http_client.h>
#include <cpprest/rawptrstream.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "adapters/certn/transport.h"
#include "core/strings.h"

namespace stagecheck::certn {
namespace {

namespace http = web::http;
namespace client = web::http::client;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// cpprestsdk runs its sockets and every task continuation on one shared
// Asio pool, 40 threads by default. Each continuation is posted to the pool
// and wakes an idle thread, so a GET on loopback took ~42 context switches
// and ~540 us of CPU, most of it in the kernel's wake-ups (issue 21;
// docs/performance.md, nineteenth round). With one thread a continuation
// posted from the pool runs next on the same thread: ~6 switches and
// ~190 us a call. One thread is enough: every call's I/O is asynchronous on
// it, and nothing here blocks on the pool (callers wait on their own
// thread, and the continuations only hand a result over). The pool can be
// sized once per process, before its first use; this file is the process's
// only user of cpprestsdk, so it sizes it when the first transport is made.
constexpr size_t kCpprestThreads = 1;

void SizeCpprestPool() {
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      crossplat::threadpool::initialize_with_threads(kCpprestThreads);
    } catch (const std::exception&) {
      // Already started (by a caller that sized it itself): keep it.
    }
  });
}

// Waits for a pplx task until `deadline`; on expiry cancels the whole call
// through `cts` (the continuation still runs later, on its own shared state,
// holding `keep_alive`: what the task may still write into).
template <typename T>
absl::StatusOr<T> WaitUntil(pplx::task<T> task, std::chrono::steady_clock::time_point deadline,
                            pplx::cancellation_token_source& cts,
                            std::shared_ptr<void> keep_alive = nullptr) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  task.then([promise, keep_alive = std::move(keep_alive)](pplx::task<T> done) {
    try {
      promise->set_value(done.get());
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  });
  if (future.wait_until(deadline) != std::future_status::ready) {
    cts.cancel();
    return absl::DeadlineExceededError("the call to Certn exceeded its total timeout");
  }
  try {
    return future.get();
  } catch (const pplx::task_canceled&) {
    return absl::DeadlineExceededError("the call to Certn was cancelled at its timeout");
  } catch (const http::http_exception& e) {
    const std::error_code& code = e.error_code();
    if (code == std::errc::timed_out) {
      return absl::DeadlineExceededError("the call to Certn timed out");
    }
    // Connection refused / reset / DNS: a transient fault. The message of a
    // cpprestsdk exception never carries our headers, only the failing step.
    return absl::UnavailableError(absl::StrCat("cannot reach Certn: ", e.what()));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot reach Certn: ", e.what()));
  }
}

class CpprestTransport final : public Transport {
 public:
  absl::StatusOr<HttpReply> Send(const HttpCall& call) override {
    try {
      return SendOrThrow(call);
    } catch (const web::uri_exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("bad Certn URL: ", e.what()));
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("Certn call failed: ", e.what()));
    }
  }

 private:
  absl::StatusOr<HttpReply> SendOrThrow(const HttpCall& call) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(absl::ToInt64Milliseconds(call.total_timeout));
    web::uri uri(call.url);
    web::uri_builder authority_builder;
    authority_builder.set_scheme(uri.scheme()).set_host(uri.host()).set_port(uri.port());
    std::shared_ptr<client::http_client> http_client =
        ClientFor(authority_builder.to_string(), call.connect_timeout);

    http::http_request request(call.method);
    request.set_request_uri(uri.resource());
    for (const auto& [name, value] : call.headers) request.headers().add(name, value);
    if (!call.body.empty() || call.method == "POST") {
      request.set_body(call.body,
                       call.content_type.empty() ? "application/json" : call.content_type);
    }

    pplx::cancellation_token_source cts;
    auto response = WaitUntil(http_client->request(request, cts.get_token()), deadline, cts);
    if (!response.ok()) {
      // A pooled connection the server had closed while idle fails here
      // ("Failed to write request headers/body"), and after a burst the pool
      // holds several: every retry would draw the next. The next call starts
      // a fresh pool instead.
      if (response.status().code() == absl::StatusCode::kUnavailable) {
        Forget(authority_builder.to_string(), call.connect_timeout, http_client);
      }
      return response.status();
    }

    HttpReply reply;
    reply.status = response->status_code();
    for (const auto& [name, value] : response->headers())
      reply.headers.emplace_back(Lower(name), value);
    if (call.max_response_bytes >= 0 && response->headers().has("Content-Length") &&
        static_cast<int64_t>(response->headers().content_length()) > call.max_response_bytes) {
      cts.cancel();
      return absl::ResourceExhaustedError(
          absl::StrCat("Certn's response is larger than ", call.max_response_bytes, " bytes"));
    }
    absl::Status read = ReadBody(*response, call.max_response_bytes, deadline, cts, reply.body);
    if (!read.ok()) return read;
    return reply;
  }

  // Streams the body in chunks so that an oversized answer stops at the cap.
  static absl::Status ReadBody(http::http_response& response, int64_t cap,
                               std::chrono::steady_clock::time_point deadline,
                               pplx::cancellation_token_source& cts, std::string& out) {
    concurrency::streams::istream body = response.body();
    constexpr size_t kChunk = 64 * 1024;
    // One buffer for the whole body, not zero-filled (every byte read is
    // written first). Shared with the read's continuation: a read that misses
    // the deadline may still write into it after this returns.
    std::shared_ptr<uint8_t[]> buffer = std::make_shared_for_overwrite<uint8_t[]>(kChunk);
    for (;;) {
      concurrency::streams::rawptr_buffer<uint8_t> sink(buffer.get(), kChunk);
      auto n = WaitUntil(body.read(sink, kChunk), deadline, cts, buffer);
      if (!n.ok()) return n.status();
      if (*n == 0) return absl::OkStatus();
      out.append(reinterpret_cast<const char*>(buffer.get()), *n);
      if (cap >= 0 && static_cast<int64_t>(out.size()) > cap) {
        cts.cancel();
        return absl::ResourceExhaustedError(
            absl::StrCat("Certn's response is larger than ", cap, " bytes"));
      }
    }
  }

  using ClientKey = std::pair<std::string, int64_t>;
  static ClientKey KeyOf(const std::string& authority, absl::Duration timeout) {
    return {authority, std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))};
  }

  // Drops `stale` from the cache (unless another call replaced it already);
  // calls still using it keep it until they end.
  void Forget(const std::string& authority, absl::Duration timeout,
              const std::shared_ptr<client::http_client>& stale) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(KeyOf(authority, timeout));
    if (it != clients_.end() && it->second == stale) clients_.erase(it);
  }

  std::shared_ptr<client::http_client> ClientFor(const std::string& authority,
                                                 absl::Duration timeout) {
    const ClientKey key = KeyOf(authority, timeout);
    const int64_t timeout_ms = key.second;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(key);
    if (it != clients_.end()) return it->second;
    client::http_client_config config;
    config.set_timeout(std::chrono::milliseconds(timeout_ms));
    auto created = std::make_shared<client::http_client>(authority, config);
    clients_.emplace(key, created);
    return created;
  }

  std::mutex mu_;
  // One client (and so one connection pool) per host and timeout.
  std::map<ClientKey, std::shared_ptr<client::http_client>> clients_;
};

}  // namespace

std::optional<std::string> HttpReply::Header(std::string_view name) const {
  std::string wanted = Lower(std::string(name));
  for (const auto& [n, v] : headers) {
    if (n == wanted) return v;
  }
  return std::nullopt;
}

std::unique_ptr<Transport> MakeCpprestTransport() {
  SizeCpprestPool();
  return std::make_unique<CpprestTransport>();
}

}  // namespace stagecheck::certn
