// The Beast WebhookPoster (adapters/outbound) against the project's own HTTP
// server on loopback.
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/http/http.h"
#include "adapters/outbound/beast_webhook_poster.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

// A loopback endpoint answering with whatever `answer` builds, recording
// every request it saw.
class Endpoint {
 public:
  explicit Endpoint(std::function<http::Response(const http::Request&)> answer)
      : answer_(std::move(answer)),
        server_(http::ServerOptions{}, [this](http::Request request, http::Respond respond) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            seen_.push_back(request);
          }
          respond(answer_(request));
        }) {
    EXPECT_TRUE(server_.Start().ok());
  }

  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", server_.port(), path);
  }
  std::vector<http::Request> Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  uint16_t port() const { return server_.port(); }

 private:
  std::function<http::Response(const http::Request&)> answer_;
  std::mutex mu_;
  std::vector<http::Request> seen_;
  http::Server server_;
};

constexpr EndpointPolicy kLoopbackAllowed{.allow_http_loopback = true};

WebhookPost PostTo(const std::string& url, const EndpointPolicy& policy = kLoopbackAllowed) {
  WebhookPost post;
  auto parsed = ParseEndpointUrl(url, policy);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (parsed.ok()) post.url = *parsed;
  post.headers = {{"webhook-id", "msg_1"}, {"webhook-timestamp", "1700000000"}};
  post.body = R"({"type":"check.completed"})";
  post.timeout = absl::Seconds(10);
  return post;
}

TEST(WebhookPosterTest, PostsTheSignedBodyAndReadsTheAnswer) {
  Endpoint endpoint([](const http::Request&) { return http::Response::Text(204, ""); });
  auto poster = outbound::MakeBeastWebhookPoster(kLoopbackAllowed);
  auto reply = poster->Post(PostTo(endpoint.Url("/ats/hooks?team=7")));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 204);
  EXPECT_GT(reply->latency, absl::ZeroDuration());
  EXPECT_FALSE(reply->retry_after.has_value());

  std::vector<http::Request> seen = endpoint.Seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/ats/hooks?team=7");
  EXPECT_EQ(seen[0].body, R"({"type":"check.completed"})");
  EXPECT_EQ(seen[0].Header("webhook-id").value_or(""), "msg_1");
  EXPECT_EQ(seen[0].Header("content-type").value_or(""), "application/json");
  EXPECT_EQ(seen[0].Header("host").value_or(""), absl::StrCat("127.0.0.1:", endpoint.port()));
}

TEST(WebhookPosterTest, AnErrorAnswerIsAReplyWithAShortExcerpt) {
  size_t body_bytes = 2000;
  Endpoint endpoint([&body_bytes](const http::Request&) {
    return http::Response::Text(500, std::string(body_bytes, 'x'));
  });
  auto poster = outbound::MakeBeastWebhookPoster(kLoopbackAllowed);
  auto reply = poster->Post(PostTo(endpoint.Url("/")));
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 500);
  EXPECT_EQ(reply->excerpt, std::string(512, 'x'));

  // A body past the cap is not read at all; the status still counts.
  body_bytes = 1 << 20;
  auto huge = poster->Post(PostTo(endpoint.Url("/")));
  ASSERT_TRUE(huge.ok()) << huge.status().ToString();
  EXPECT_EQ(huge->status, 500);
  EXPECT_TRUE(huge->excerpt.empty());
}

TEST(WebhookPosterTest, ARedirectIsNotFollowed) {
  Endpoint endpoint([](const http::Request& request) {
    http::Response moved = http::Response::Text(302, "");
    if (request.path == "/first") moved.SetHeader("Location", "/second");
    return moved;
  });
  auto reply =
      outbound::MakeBeastWebhookPoster(kLoopbackAllowed)->Post(PostTo(endpoint.Url("/first")));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 302);
  ASSERT_EQ(endpoint.Seen().size(), 1u);
}

TEST(WebhookPosterTest, RetryAfterIsReadInSecondsOrAsADate) {
  std::string retry_after = "120";
  Endpoint endpoint([&retry_after](const http::Request&) {
    http::Response busy = http::Response::Text(429, "slow down");
    busy.SetHeader("Retry-After", retry_after);
    return busy;
  });
  auto poster = outbound::MakeBeastWebhookPoster(kLoopbackAllowed);
  auto seconds = poster->Post(PostTo(endpoint.Url("/")));
  ASSERT_TRUE(seconds.ok()) << seconds.status();
  EXPECT_EQ(seconds->retry_after, absl::Seconds(120));

  retry_after = absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::Now() + absl::Minutes(10),
                                 absl::UTCTimeZone());
  auto date = poster->Post(PostTo(endpoint.Url("/")));
  ASSERT_TRUE(date.ok()) << date.status();
  ASSERT_TRUE(date->retry_after.has_value());
  EXPECT_GT(*date->retry_after, absl::Minutes(8));
  EXPECT_LE(*date->retry_after, absl::Minutes(10));

  retry_after = "soon";
  auto nonsense = poster->Post(PostTo(endpoint.Url("/")));
  ASSERT_TRUE(nonsense.ok());
  EXPECT_FALSE(nonsense->retry_after.has_value());
}

TEST(WebhookPosterTest, ASlowEndpointTimesOut) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  Endpoint endpoint([&](const http::Request&) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    return http::Response::Text(200, "");
  });
  WebhookPost post = PostTo(endpoint.Url("/"));
  post.timeout = absl::Milliseconds(300);
  auto reply = outbound::MakeBeastWebhookPoster(kLoopbackAllowed)->Post(post);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded) << reply.status();
}

TEST(WebhookPosterTest, AHostThatResolvesToLoopbackIsRefusedBeforeAnyConnection) {
  Endpoint endpoint([](const http::Request&) { return http::Response::Text(200, ""); });
  // Registered while private addresses were allowed; the poster's policy no
  // longer allows them (or the name now resolves somewhere else).
  WebhookPost post = PostTo(absl::StrCat("https://localhost:", endpoint.port(), "/"),
                            {.allow_private_addresses = true});
  auto reply = outbound::MakeBeastWebhookPoster({})->Post(post);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(ErrorCode(reply.status()), "endpoint_address_refused");
  EXPECT_TRUE(endpoint.Seen().empty());
}

TEST(WebhookPosterTest, HttpsToAServerWithoutTlsFailsWithAClearError) {
  Endpoint endpoint([](const http::Request&) { return http::Response::Text(200, ""); });
  EndpointPolicy private_ok{.allow_private_addresses = true};
  WebhookPost post = PostTo(absl::StrCat("https://127.0.0.1:", endpoint.port(), "/"), private_ok);
  post.timeout = absl::Seconds(5);
  auto reply = outbound::MakeBeastWebhookPoster(private_ok)->Post(post);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(ErrorCode(reply.status()), "endpoint_tls_failed") << reply.status();
}

TEST(WebhookPosterTest, AClosedPortIsUnavailable) {
  uint16_t closed_port = 0;
  {
    Endpoint gone([](const http::Request&) { return http::Response::Text(200, ""); });
    closed_port = gone.port();
  }
  auto reply = outbound::MakeBeastWebhookPoster(kLoopbackAllowed)
                   ->Post(PostTo(absl::StrCat("http://127.0.0.1:", closed_port, "/")));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
}

}  // namespace
}  // namespace stagecheck
