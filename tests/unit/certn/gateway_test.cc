// The gateway's policy (retries, error mapping, idempotency, redaction) with a
// scripted transport; the real-HTTP behaviour is in tests/integration/certn.
#include "adapters/certn/gateway.h"

#include <deque>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "fixture_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stagecheck::certn {
namespace {

using ::stagecheck::certn::testing::ReadFixture;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "sk_live_SECRET_0123456789";

class ScriptedTransport final : public Transport {
 public:
  struct Shared {
    std::mutex mu;
    std::deque<absl::StatusOr<HttpReply>> replies;
    std::vector<HttpCall> calls;
  };
  explicit ScriptedTransport(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  absl::StatusOr<HttpReply> Send(const HttpCall& call) override {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->calls.push_back(call);
    if (shared_->replies.empty()) return absl::InternalError("script ran out");
    auto next = shared_->replies.front();
    shared_->replies.pop_front();
    return next;
  }

 private:
  std::shared_ptr<Shared> shared_;
};

HttpReply Reply(int status, std::string body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  return HttpReply{status, std::move(headers), std::move(body)};
}

class GatewayPolicyTest : public ::testing::Test {
 protected:
  GatewayPolicyTest() {
    CertnClientConfig config;
    config.base_url_override = "http://certn.test";
    config.retry.initial_backoff = absl::Milliseconds(1);
    config.retry.max_backoff = absl::Milliseconds(2);
    config.retry.max_attempts = 3;
    gateway_ = std::make_unique<CertnHttpGateway>(config, nullptr,
                                                  std::make_unique<ScriptedTransport>(shared_));
  }
  void Script(absl::StatusOr<HttpReply> reply) { shared_->replies.push_back(std::move(reply)); }
  size_t Calls() const { return shared_->calls.size(); }

  CertnCredentials creds_{kKey, CertnRegion::kNorthAmerica};
  std::shared_ptr<ScriptedTransport::Shared> shared_ =
      std::make_shared<ScriptedTransport::Shared>();
  std::unique_ptr<CertnHttpGateway> gateway_;
};

TEST_F(GatewayPolicyTest, SendsTheContractHeaders) {
  Script(Reply(201, ReadFixture("case_extra_fields.json")));
  CertnOrder order{.package_id = "pkg",
                   .email = "a@b.c",
                   .first_name = "A",
                   .last_name = "B",
                   .reference = "ref-9"};
  ASSERT_TRUE(gateway_->OrderPackage(creds_, order).ok());
  ASSERT_EQ(Calls(), 1u);
  const HttpCall& call = shared_->calls[0];
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.url, "http://certn.test/api/public/cases/order-package/");
  EXPECT_THAT(call.headers, ::testing::Contains(std::make_pair(std::string("Authorization"),
                                                               std::string("Api-Key ") + kKey)));
  EXPECT_THAT(call.headers, ::testing::Contains(std::make_pair(std::string("Idempotency-Key"),
                                                               std::string("ref-9"))));
}

TEST_F(GatewayPolicyTest, RetriesTransientFaultsThenSucceeds) {
  Script(absl::UnavailableError("connection refused"));
  Script(Reply(503, "{}"));
  Script(Reply(200, ReadFixture("case_complete.json")));
  auto got = gateway_->GetCase(creds_, "abc");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Calls(), 3u);
}

TEST_F(GatewayPolicyTest, GivesUpAfterMaxAttemptsAsUnavailable) {
  for (int i = 0; i < 3; ++i) Script(Reply(502, "bad gateway"));
  auto got = gateway_->GetCase(creds_, "abc");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Calls(), 3u);
}

TEST_F(GatewayPolicyTest, OrderWithoutReferenceIsNeverRetried) {
  Script(Reply(503, "{}"));
  Script(Reply(201, ReadFixture("case_complete.json")));
  CertnOrder order{
      .package_id = "pkg", .email = "a@b.c", .first_name = "A", .last_name = "B", .reference = ""};
  auto got = gateway_->OrderPackage(creds_, order);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Calls(), 1u);
}

TEST_F(GatewayPolicyTest, TimeoutIsNotRetried) {
  Script(absl::DeadlineExceededError("timed out"));
  auto got = gateway_->GetCase(creds_, "abc");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Calls(), 1u);
}

TEST_F(GatewayPolicyTest, NonTransientErrorsAreMappedNotRetried) {
  struct Row {
    int http;
    std::string body;
    absl::StatusCode code;
  };
  const std::vector<Row> rows = {
      {400, R"({"email_address": ["This field is required."]})",
       absl::StatusCode::kInvalidArgument},
      {401, R"({"detail": "Invalid API key."})", absl::StatusCode::kUnauthenticated},
      {403, R"({"detail": "nope"})", absl::StatusCode::kPermissionDenied},
      {404, R"({"detail": "Not found."})", absl::StatusCode::kNotFound},
      {418, "", absl::StatusCode::kInternal},
  };
  for (const Row& row : rows) {
    shared_->calls.clear();
    Script(Reply(row.http, row.body));
    auto got = gateway_->GetCase(creds_, "abc");
    EXPECT_EQ(got.status().code(), row.code) << row.http;
    EXPECT_EQ(Calls(), 1u) << row.http;
  }
}

TEST_F(GatewayPolicyTest, FieldErrorsAreInTheMessage) {
  Script(Reply(400, R"({"email_address": ["This field is required."]})"));
  CertnOrder order{
      .package_id = "pkg", .email = "x@y.z", .first_name = "A", .last_name = "B", .reference = "r"};
  auto got = gateway_->OrderPackage(creds_, order);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("email_address: This field is required."));
}

TEST_F(GatewayPolicyTest, MalformedBodyIsDataLoss) {
  Script(Reply(200, "{\"id\": 1"));
  EXPECT_EQ(gateway_->GetCase(creds_, "abc").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(GatewayPolicyTest, KeyEchoedByCertnNeverReachesTheMessage) {
  Script(Reply(400, std::string(R"({"detail": "bad key )") + kKey + R"("})"));
  Script(absl::UnavailableError(std::string("refused for ") + kKey));
  Script(absl::UnavailableError(std::string("refused for ") + kKey));
  Script(absl::UnavailableError(std::string("refused for ") + kKey));
  auto first = gateway_->GetCase(creds_, "abc");
  auto second = gateway_->GetCase(creds_, "abc");
  EXPECT_THAT(std::string(first.status().message()), Not(HasSubstr(kKey)));
  EXPECT_THAT(std::string(second.status().message()), Not(HasSubstr(kKey)));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(GatewayPolicyTest, VerifyOutcomes) {
  Script(Reply(200, ReadFixture("groups.json")));
  Script(Reply(401, R"({"detail": "Invalid API key."})"));
  Script(Reply(401, R"({"detail": "API key belongs to another region.", "code": "wrong_region"})"));
  for (int i = 0; i < 3; ++i) Script(absl::UnavailableError("refused"));
  auto connected = gateway_->Verify(creds_);
  ASSERT_TRUE(connected.ok());
  EXPECT_EQ(connected->status, ConnectionStatus::kConnected);
  EXPECT_EQ(connected->certn_team_id, "certn-team-42");
  auto invalid = gateway_->Verify(creds_);
  EXPECT_EQ(invalid->status, ConnectionStatus::kInvalidKey);
  EXPECT_EQ(invalid->reason, "invalid key or wrong region");  // keys are region-scoped
  EXPECT_EQ(gateway_->Verify(creds_)->status, ConnectionStatus::kWrongRegion);
  EXPECT_EQ(gateway_->Verify(creds_)->status, ConnectionStatus::kUnreachable);
}

TEST_F(GatewayPolicyTest, ListPackagesFollowsPagesAndFilters) {
  Script(Reply(200, ReadFixture("packages_page1.json")));
  Script(Reply(200, ReadFixture("packages_page2_url_next.json")));
  auto got = gateway_->ListPackages(creds_);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].id, "pkg-standard");
  EXPECT_EQ((*got)[1].id, "pkg-mixed");
  EXPECT_THAT((*got)[1].check_types, ::testing::ElementsAre("IDENTITY_VERIFICATION_1"));
  EXPECT_EQ((*got)[2].id, "17");
  EXPECT_THAT(shared_->calls[1].url, HasSubstr("page=2"));
}

std::optional<std::string> HeaderOf(const HttpCall& call, const std::string& name) {
  for (const auto& [n, v] : call.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

TEST_F(GatewayPolicyTest, DownloadMustBeAPdf) {
  Script(Reply(200, R"({"id":"rf","url":"http://certn.test/files/r.pdf?sig=s3cr3t"})"));
  Script(Reply(200, "<html>not a pdf</html>"));
  EXPECT_EQ(gateway_->DownloadReport(creds_, "rf", 1000).status().code(),
            absl::StatusCode::kDataLoss);
}

// docs/certn-api.md: report-files answers a presigned URL, fetched at once
// without Certn's credentials; the URL never appears in a message.
TEST_F(GatewayPolicyTest, ReportIsDownloadedFromThePresignedUrlWithoutTheKey) {
  Script(Reply(200, R"({"id":"rf","url":"https://files.certn.test/r.pdf?X-Amz-Signature=s3cr3t",
                        "expires_at":"2999-01-01T00:00:00Z"})"));
  Script(Reply(200, "%PDF-1.4 report"));
  auto pdf = gateway_->DownloadReport(creds_, "rf", 1000);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_EQ(*pdf, "%PDF-1.4 report");
  ASSERT_EQ(Calls(), 2u);
  EXPECT_THAT(shared_->calls[0].url, HasSubstr("/api/public/cases/report-files/rf/"));
  EXPECT_EQ(HeaderOf(shared_->calls[0], "Authorization"), std::string("Api-Key ") + kKey);
  EXPECT_EQ(shared_->calls[1].url, "https://files.certn.test/r.pdf?X-Amz-Signature=s3cr3t");
  EXPECT_EQ(HeaderOf(shared_->calls[1], "Authorization"), std::nullopt);
  for (const auto& [name, value] : shared_->calls[1].headers)
    EXPECT_THAT(value, Not(HasSubstr(kKey))) << name;
  EXPECT_EQ(shared_->calls[1].max_response_bytes, 1000);
}

TEST_F(GatewayPolicyTest, PlainHttpReportUrlOutsideTheBaseUrlIsRefused) {
  for (const char* url :
       {"http://evil.test/r.pdf?sig=s3cr3t", "http://certn.test.evil/r.pdf?sig=s3cr3t",
        "http://certn.test:81/r.pdf?sig=s3cr3t", "ftp://certn.test/r.pdf?sig=s3cr3t",
        "http://certn.test"}) {
    Script(Reply(200, absl::StrCat(R"({"url":")", url, R"("})")));
    auto pdf = gateway_->DownloadReport(creds_, "rf", 1000);
    EXPECT_EQ(pdf.status().code(), absl::StatusCode::kDataLoss) << url;
    EXPECT_THAT(std::string(pdf.status().message()), Not(HasSubstr("s3cr3t")));
  }
  EXPECT_EQ(Calls(), 5u);  // none of them fetched
}

TEST_F(GatewayPolicyTest, FailedRedirectedOrExpiredReportDownloadsAreRetryable) {
  const std::string file = R"({"url":"https://files.certn.test/r.pdf?sig=s3cr3t"})";
  Script(Reply(200, file));
  Script(Reply(302, "", {{"location", "https://elsewhere.test/"}}));
  Script(Reply(200, file));
  Script(Reply(403, "<Error>Request has expired</Error>"));
  Script(Reply(200, file));
  Script(absl::DeadlineExceededError("slow"));
  Script(Reply(200,
               R"({"url":"https://files.certn.test/r.pdf","expires_at":"2000-01-01T00:00:00Z"})"));
  for (int i = 0; i < 4; ++i) {
    auto pdf = gateway_->DownloadReport(creds_, "rf", 1000);
    EXPECT_EQ(pdf.status().code(), absl::StatusCode::kUnavailable) << i;
    EXPECT_THAT(std::string(pdf.status().message()), Not(HasSubstr("s3cr3t"))) << i;
  }
  EXPECT_EQ(Calls(), 7u);  // the redirect was not followed; the expired URL not fetched
}

TEST_F(GatewayPolicyTest, OversizedReportIsResourceExhausted) {
  Script(Reply(200, R"({"url":"https://files.certn.test/r.pdf"})"));
  Script(absl::ResourceExhaustedError("larger than 1000 bytes"));
  EXPECT_EQ(gateway_->DownloadReport(creds_, "rf", 1000).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(GatewayPolicyTest, TheCredentialsCarryTheAccountsRateLimit) {
  CertnClientConfig config;
  config.base_url_override = "http://certn.test";
  config.rate_limit.max_wait = absl::ZeroDuration();
  CertnHttpGateway gateway(config, nullptr, std::make_unique<ScriptedTransport>(shared_));
  CertnCredentials limited{kKey, CertnRegion::kNorthAmerica, 1, 7220};
  Script(Reply(204, ""));
  EXPECT_TRUE(gateway.CancelCase(limited, "c").ok());
  EXPECT_EQ(gateway.CancelCase(limited, "c").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Calls(), 1u);  // the second never left
}

TEST_F(GatewayPolicyTest, VerifyConnectsWithoutATeamId) {
  Script(Reply(200, R"({"results":[{"id":"grp-1","name":"Head office"}]})"));
  auto connected = gateway_->Verify(creds_);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_EQ(connected->status, ConnectionStatus::kConnected);
  EXPECT_FALSE(connected->certn_team_id.has_value());
}

TEST_F(GatewayPolicyTest, CancelAcceptsTheEmpty204) {
  Script(Reply(204, ""));
  EXPECT_TRUE(gateway_->CancelCase(creds_, "case-1").ok());
  EXPECT_THAT(shared_->calls[0].url, HasSubstr("/api/public/cases/case-1/cancel/"));
}

TEST_F(GatewayPolicyTest, PackagesAreAskedForActiveOnlyAndOrdersNameThePackage) {
  Script(Reply(200, R"({"results":[{"id":"p","name":"No types listed"}]})"));
  auto packages = gateway_->ListPackages(creds_);
  ASSERT_TRUE(packages.ok()) << packages.status();
  ASSERT_EQ(packages->size(), 1u);  // check_types is optional: kept
  EXPECT_THAT(shared_->calls[0].url, HasSubstr("?is_active=true&"));
  Script(Reply(201, R"({"id":"c","overall_status":"APPLICANT_INVITED"})"));
  ASSERT_TRUE(gateway_->OrderPackage(creds_, CertnOrder{"p", "a@b.c", "A", "B", "ref"}).ok());
  EXPECT_THAT(shared_->calls[1].body, HasSubstr(R"("package":"p")"));
}

TEST_F(GatewayPolicyTest, ListEventsAsksAfterTheCursorAndFollowsNextOnTheConfiguredHost) {
  Script(Reply(200, ReadFixture("events_page1.json")));
  Script(Reply(200, R"({"next": null, "results": [{"id": 43, "object_id": "c-9"}]})"));
  auto read = gateway_->ListEvents(creds_, std::string("39"), 5, absl::InfiniteFuture());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->events.size(), 4u);
  EXPECT_EQ(read->events.back().id, "43");
  EXPECT_FALSE(read->more);
  ASSERT_EQ(Calls(), 2u);
  EXPECT_EQ(shared_->calls[0].url,
            "http://certn.test/api/public/events/?page_size=100&last_processed_event_id=39");
  // `next` names Certn's host; only its path and query are used, under ours.
  EXPECT_EQ(shared_->calls[1].url,
            "http://certn.test/api/public/events/?last_processed_event_id=42&page_size=3");
}

TEST_F(GatewayPolicyTest, ListEventsWithoutACursorAsksFromTheStartAndStopsAtMaxPages) {
  Script(Reply(200, ReadFixture("events_page1.json")));
  auto read = gateway_->ListEvents(creds_, std::nullopt, 1, absl::InfiniteFuture());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->events.size(), 3u);
  EXPECT_TRUE(read->more);
  EXPECT_EQ(shared_->calls[0].url, "http://certn.test/api/public/events/?page_size=100");
}

TEST_F(GatewayPolicyTest, ListEventsStopsPagingAtAYoungEvent) {
  // Page 1's last event (10:05:00) is younger than 10:02: the read leaves it,
  // and every later one, for a later read, so page 2 is not asked for.
  Script(Reply(200, ReadFixture("events_page1.json")));
  auto read = gateway_->ListEvents(
      creds_, std::string("39"), 5,
      absl::FromCivil(absl::CivilSecond(2026, 11, 30, 10, 2, 0), absl::UTCTimeZone()));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->events.size(), 3u);
  EXPECT_EQ(Calls(), 1u);
  // An event that does not say when it was made is not young: paging goes on.
  Script(Reply(200, R"({"next": "/api/public/events/?last_processed_event_id=2",
                        "results": [{"id": 2, "object_id": "c-1"}]})"));
  Script(Reply(200, R"({"next": null, "results": [{"id": 3, "object_id": "c-2"}]})"));
  read = gateway_->ListEvents(creds_, std::string("1"), 5, absl::InfinitePast());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->events.size(), 2u);
  EXPECT_EQ(Calls(), 3u);
}

TEST_F(GatewayPolicyTest, AFeedThatCannotAnswerSaysSo) {
  for (int status : {404, 405, 410}) {
    Script(Reply(status, R"({"detail": "Not found."})"));
    auto read = gateway_->ListEvents(creds_, std::string("1"), 5, absl::InfiniteFuture());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kUnimplemented) << status;
    EXPECT_EQ(ErrorCode(read.status()), "events_feed_unavailable") << status;
  }
  Script(Reply(200, R"({"events": []})"));
  EXPECT_EQ(gateway_->ListEvents(creds_, std::nullopt, 5, absl::InfiniteFuture()).status().code(),
            absl::StatusCode::kDataLoss);
  // A next that is not the feed's, or that loops, is an unexpected shape too.
  Script(Reply(200, R"({"next": "https://elsewhere.test/steal?k=1", "results": []})"));
  EXPECT_EQ(gateway_->ListEvents(creds_, std::nullopt, 5, absl::InfiniteFuture()).status().code(),
            absl::StatusCode::kDataLoss);
  Script(Reply(200, R"({"next": "/api/public/events/?page_size=100", "results": []})"));
  EXPECT_EQ(gateway_->ListEvents(creds_, std::nullopt, 5, absl::InfiniteFuture()).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace stagecheck::certn
