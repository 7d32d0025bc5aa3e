#include "adapters/outbound/beast_webhook_poster.h"

#include <utility>  // g++ 12 needs it before <boost/asio/awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/domain/retry_after.h"
#include "core/errors.h"

namespace stagecheck::outbound {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kExcerptBytes = 512;
constexpr absl::Duration kLongestRetryAfter = absl::Hours(24);

// What one exchange ended with; the coroutine fills it in.
struct Outcome {
  bool done = false;
  absl::Status status;
  WebhookReply reply;

  void Fail(absl::Status why) {
    status = std::move(why);
    done = true;
  }
};

std::string AddressBytes(const asio::ip::address& address) {
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  auto bytes = address.to_v6().to_bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string HostHeader(const EndpointUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  const bool default_port = url.port == (url.https ? 443 : 80);
  return absl::StrCat(v6 ? "[" : "", url.host, v6 ? "]" : "",
                      default_port ? "" : absl::StrCat(":", url.port));
}

template <class Stream>
asio::awaitable<void> SendAndRead(Stream& stream, const WebhookPost& post, absl::Time start,
                                  Outcome& out) {
  bhttp::request<bhttp::string_body> request{bhttp::verb::post, post.url.target, 11};
  request.set(bhttp::field::host, HostHeader(post.url));
  request.set(bhttp::field::user_agent, "Stagecheck-Webhooks/1");
  request.set(bhttp::field::content_type, "application/json");
  for (const auto& [name, value] : post.headers) request.set(name, value);
  request.body() = post.body;
  request.prepare_payload();
  beast::error_code ec;
  co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return out.Fail(absl::UnavailableError("the endpoint closed the connection"));

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(post.max_reply_bytes);
  co_await bhttp::async_read_header(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) co_return out.Fail(absl::DeadlineExceededError("timed out"));
  // A Content-Length past the cap is refused once the header is read: the
  // status is known, the body is not needed.
  const bool body_too_large = ec == bhttp::error::body_limit && parser.is_header_done();
  if (ec && !body_too_large) {
    co_return out.Fail(absl::UnavailableError("the endpoint sent no HTTP answer"));
  }
  out.reply.latency = absl::Now() - start;
  out.reply.status = static_cast<int>(parser.get().result_int());
  auto retry_after = parser.get().find(bhttp::field::retry_after);
  if (retry_after != parser.get().end()) {
    auto wait = ParseRetryAfter(
        std::string_view(retry_after->value().data(), retry_after->value().size()), absl::Now());
    if (wait.has_value()) out.reply.retry_after = std::min(*wait, kLongestRetryAfter);
  }
  // The body only feeds the log's excerpt: a body past the cap or cut short
  // does not change the answer.
  if (!body_too_large) {
    co_await bhttp::async_read(stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  out.reply.excerpt = parser.get().body().substr(0, kExcerptBytes);
  out.status = absl::OkStatus();
  out.done = true;
}

class BeastWebhookPoster final : public WebhookPoster {
 public:
  explicit BeastWebhookPoster(EndpointPolicy policy)
      : policy_(policy), tls_(asio::ssl::context::tls_client) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(asio::ssl::verify_peer);
  }

  absl::StatusOr<WebhookReply> Post(const WebhookPost& post) override {
    Outcome out;
    asio::io_context io;
    const absl::Time start = absl::Now();
    asio::co_spawn(io, Exchange(post, start, out), [&out](std::exception_ptr error) {
      if (error && !out.done) out.Fail(absl::InternalError("the webhook exchange failed"));
    });
    // Beast's stream timeout bounds connect, TLS and HTTP; this bounds the
    // name resolution too, which has no timeout of its own.
    io.run_for(absl::ToChronoMicroseconds(post.timeout) + std::chrono::seconds(1));
    if (!out.done) return absl::DeadlineExceededError("the endpoint did not answer in time");
    if (!out.status.ok()) return out.status;
    return out.reply;
  }

 private:
  asio::awaitable<void> Exchange(const WebhookPost& post, absl::Time start, Outcome& out) {
    auto executor = co_await asio::this_coro::executor;
    beast::error_code ec;
    tcp::resolver resolver(executor);
    auto results = co_await resolver.async_resolve(post.url.host, std::to_string(post.url.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return out.Fail(absl::UnavailableError("the endpoint's host name does not resolve"));
    std::vector<tcp::endpoint> allowed;
    absl::Status refused;
    for (const auto& entry : results) {
      absl::Status check =
          CheckConnectAddress(post.url, AddressBytes(entry.endpoint().address()), policy_);
      if (check.ok()) {
        allowed.push_back(entry.endpoint());
      } else {
        refused = check;
      }
    }
    if (allowed.empty()) co_return out.Fail(refused);

    beast::tcp_stream tcp_stream(executor);
    tcp_stream.expires_after(absl::ToChronoMicroseconds(post.timeout));
    co_await tcp_stream.async_connect(allowed, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) co_return out.Fail(absl::DeadlineExceededError("timed out"));
    if (ec) co_return out.Fail(absl::UnavailableError("the endpoint refused the connection"));
    if (!post.url.https) co_return co_await SendAndRead(tcp_stream, post, start, out);

    beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream), tls_);
    SSL_set_tlsext_host_name(tls_stream.native_handle(), post.url.host.c_str());
    tls_stream.set_verify_callback(asio::ssl::host_name_verification(post.url.host));
    co_await tls_stream.async_handshake(asio::ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) co_return out.Fail(absl::DeadlineExceededError("timed out"));
    if (ec) {
      co_return out.Fail(Error(absl::StatusCode::kUnavailable, "endpoint_tls_failed",
                               "TLS with the endpoint failed (is its certificate valid for "
                               "its host name?)"));
    }
    co_await SendAndRead(tls_stream, post, start, out);
  }

  EndpointPolicy policy_;
  asio::ssl::context tls_;
};

}  // namespace

std::unique_ptr<WebhookPoster> MakeBeastWebhookPoster(EndpointPolicy policy) {
  return std::make_unique<BeastWebhookPoster>(policy);
}

}  // namespace stagecheck::outbound
