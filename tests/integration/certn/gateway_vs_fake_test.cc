// The Certn adapter against the real fake-certn process over loopback HTTP:
// every operation and every injected fault.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "adapters/certn/gateway.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_certn/fake_certn_process.h"

namespace stagecheck::certn {
namespace {

using fake_certn::AccountSpec;
using fake_certn::FakeCertnProcess;
using fake_certn::FaultSpec;
using ::testing::HasSubstr;

constexpr char kKey[] = "test-key-7f3a9c1e5b";
constexpr char kTeam[] = "certn-team-it";

AccountSpec Account(std::string key = kKey, std::string region = "north_america") {
  return AccountSpec{
      .api_key = std::move(key),
      .certn_team_id = kTeam,
      .region = std::move(region),
      .packages = {
          {"pkg-standard", "Standard", {"CRIMINAL_RECORD_1", "ADVERSE_MEDIA_1"}},
          {"pkg-tenant", "Tenant", {"QUESTIONNAIRE_1", "RENTAL_HISTORY_1"}},
          {"pkg-mixed", "Mixed", {"IDENTITY_VERIFICATION_1", "INCOME_VERIFICATION_1"}},
          {"pkg-basic", "Basic", {"CRIMINAL_RECORD_1"}},
          {"pkg-income", "Income", {"INCOME_VERIFICATION_1"}},
      }};
}

CertnOrder Order(std::string reference) {
  return CertnOrder{.package_id = "pkg-standard",
                    .email = "ada@example.com",
                    .first_name = "Ada",
                    .last_name = "Lovelace",
                    .reference = std::move(reference)};
}

class GatewayVsFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = FakeCertnProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    fake_ = std::move(*started);
    ASSERT_TRUE(fake_->CreateAccount(Account()).ok());
  }

  CertnClientConfig Config() {
    CertnClientConfig config;
    config.base_url_override = fake_->base_url();
    config.page_size = 2;  // five packages: three pages
    config.connect_timeout = absl::Seconds(2);
    config.total_timeout = absl::Seconds(5);
    config.retry.initial_backoff = absl::Milliseconds(10);
    config.retry.max_backoff = absl::Milliseconds(40);
    return config;
  }
  CertnHttpGateway& Gateway() {
    if (!gateway_) gateway_ = std::make_unique<CertnHttpGateway>(Config());
    return *gateway_;
  }
  size_t RequestCount(const std::string& endpoint) {
    auto requests = fake_->Requests(endpoint);
    EXPECT_TRUE(requests.ok()) << requests.status();
    return requests.ok() ? requests->size() : 0;
  }
  CertnCase OrderOne(const std::string& reference = "ref-1") {
    auto ordered = Gateway().OrderPackage(creds_, Order(reference));
    EXPECT_TRUE(ordered.ok()) << ordered.status();
    return ordered.ok() ? *ordered : CertnCase{};
  }

  // Replaces the fake with one started with `args`, holding the same account.
  void RestartFake(std::vector<std::string> args) {
    fake_certn::FakeCertnStartOptions options;
    options.extra_args = std::move(args);
    auto started = FakeCertnProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    fake_ = std::move(*started);
    ASSERT_TRUE(fake_->CreateAccount(Account()).ok());
  }
  // A COMPLETE case whose report was generated: its report file id.
  std::string GeneratedReport() {
    CertnCase c = OrderOne();
    EXPECT_TRUE(fake_->AdvanceCase(c.id, "COMPLETE").ok());
    EXPECT_TRUE(Gateway().GenerateReport(creds_, c.id).ok());
    auto done = Gateway().GetCase(creds_, c.id);
    EXPECT_TRUE(done.ok() && done->report_file_id.has_value());
    return done.ok() ? done->report_file_id.value_or("") : "";
  }

  CertnCredentials creds_{kKey, CertnRegion::kNorthAmerica};
  std::unique_ptr<FakeCertnProcess> fake_;
  std::unique_ptr<CertnHttpGateway> gateway_;
};

// ---- verify -----------------------------------------------------------------

// docs/certn-api.md: groups need not name a team; Verify still connects.
TEST_F(GatewayVsFakeTest, VerifyConnectsWhenGroupsNameNoTeam) {
  auto v = Gateway().Verify(creds_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->status, ConnectionStatus::kConnected);
  EXPECT_FALSE(v->certn_team_id.has_value());
}

TEST_F(GatewayVsFakeTest, VerifyLearnsTheTeamWhenGroupsNameOne) {
  RestartFake({"--legacy-team-id"});
  auto v = Gateway().Verify(creds_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->status, ConnectionStatus::kConnected);
  EXPECT_EQ(v->certn_team_id, kTeam);
}

TEST_F(GatewayVsFakeTest, VerifyInvalidKey) {
  auto v = Gateway().Verify({"not-a-key", CertnRegion::kNorthAmerica});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->status, ConnectionStatus::kInvalidKey);
  EXPECT_EQ(v->reason, "invalid key or wrong region");
  EXPECT_EQ(RequestCount("groups"), 1u);  // a 401 is not retried
}

TEST_F(GatewayVsFakeTest, VerifyWrongRegion) {
  CertnClientConfig config = Config();
  config.base_url_override.reset();
  for (auto region : {CertnRegion::kNorthAmerica, CertnRegion::kUkEmea, CertnRegion::kApac,
                      CertnRegion::kSandbox}) {
    config.base_urls[region] = fake_->region_base_url(region);
  }
  CertnHttpGateway gateway(config);
  auto right = gateway.Verify({kKey, CertnRegion::kNorthAmerica});
  ASSERT_TRUE(right.ok()) << right.status();
  EXPECT_EQ(right->status, ConnectionStatus::kConnected);
  // Another region's host answers a plain 401 (keys are region-scoped).
  auto wrong = gateway.Verify({kKey, CertnRegion::kUkEmea});
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  EXPECT_EQ(wrong->status, ConnectionStatus::kInvalidKey);
  EXPECT_EQ(wrong->reason, "invalid key or wrong region");
}

TEST_F(GatewayVsFakeTest, VerifyRegionPlaceholderInTheOverride) {
  CertnClientConfig config = Config();
  config.base_url_override = fake_->base_url() + "/regions/{region}";
  CertnHttpGateway gateway(config);
  EXPECT_EQ(gateway.Verify({kKey, CertnRegion::kApac})->status, ConnectionStatus::kInvalidKey);
  EXPECT_EQ(gateway.Verify({kKey, CertnRegion::kNorthAmerica})->status,
            ConnectionStatus::kConnected);
}

TEST_F(GatewayVsFakeTest, VerifyUnreachableWhenNothingListens) {
  CertnClientConfig config = Config();
  config.base_url_override = "http://127.0.0.1:1";
  CertnHttpGateway gateway(config);
  auto v = gateway.Verify(creds_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->status, ConnectionStatus::kUnreachable);
}

TEST_F(GatewayVsFakeTest, VerifyUnreachableOnPersistent5xx) {
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "groups", .status = 503}).ok());
  auto v = Gateway().Verify(creds_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->status, ConnectionStatus::kUnreachable);
  EXPECT_EQ(RequestCount("groups"), 3u);  // max_attempts
}

// ---- packages ---------------------------------------------------------------

TEST_F(GatewayVsFakeTest, ListPackagesReadsEveryPageAndDropsTenantChecks) {
  auto packages = Gateway().ListPackages(creds_);
  ASSERT_TRUE(packages.ok()) << packages.status();
  std::vector<std::string> ids;
  for (const auto& p : *packages) ids.push_back(p.id);
  EXPECT_THAT(ids, ::testing::ElementsAre("pkg-standard", "pkg-mixed", "pkg-basic"));
  EXPECT_THAT((*packages)[1].check_types, ::testing::ElementsAre("IDENTITY_VERIFICATION_1"));
  auto requests = fake_->Requests("packages");
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 3u);
  for (const auto& r : *requests) EXPECT_THAT(r.query, HasSubstr("is_active=true"));
}

TEST_F(GatewayVsFakeTest, ListPackagesOfAnEmptyAccount) {
  ASSERT_TRUE(fake_->CreateAccount({.api_key = "empty-key", .certn_team_id = "t-empty"}).ok());
  auto packages = Gateway().ListPackages({"empty-key", CertnRegion::kNorthAmerica});
  ASSERT_TRUE(packages.ok()) << packages.status();
  EXPECT_TRUE(packages->empty());
}

// ---- order ------------------------------------------------------------------

TEST_F(GatewayVsFakeTest, OrderPackageCreatesAnInvitedCase) {
  CertnCase c = OrderOne();
  EXPECT_FALSE(c.id.empty());
  EXPECT_TRUE(absl::StartsWith(c.short_id, "CASE-"));
  EXPECT_EQ(c.status, CheckStatus::kInvited);
  EXPECT_EQ(c.email, "ada@example.com");
  EXPECT_EQ(c.checks.size(), 2u);
  auto requests = fake_->Requests("order_package");
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 1u);
  EXPECT_EQ((*requests)[0].idempotency_key, "ref-1");
}

TEST_F(GatewayVsFakeTest, RetriedOrderWithItsReferenceMakesOneCase) {
  // The first attempt reaches Certn but its answer is lost as a 502.
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "order_package", .status = 502, .times = 1}).ok());
  CertnCase c = OrderOne("ref-retry");
  EXPECT_EQ(RequestCount("order_package"), 2u);
  // Asking again with the same reference answers the same case.
  auto again = Gateway().OrderPackage(creds_, Order("ref-retry"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id, c.id);
  auto cases = fake_->Call("GET", "/_control/cases");
  ASSERT_TRUE(cases.ok());
  size_t count = 0;
  for (size_t at = 0; (at = cases->find("\"short_id\"", at)) != std::string::npos; ++at) ++count;
  EXPECT_EQ(count, 1u);
}

TEST_F(GatewayVsFakeTest, OrderWithoutReferenceIsNotRetried) {
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "order_package", .status = 503}).ok());
  auto got = Gateway().OrderPackage(creds_, Order(""));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RequestCount("order_package"), 1u);
}

TEST_F(GatewayVsFakeTest, OrderOfUnknownPackageIsInvalidArgumentNamingTheField) {
  CertnOrder order = Order("ref-bad");
  order.package_id = "pkg-nope";
  auto got = Gateway().OrderPackage(creds_, order);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("package: Unknown package."));
}

// ---- cases ------------------------------------------------------------------

TEST_F(GatewayVsFakeTest, GetCaseFollowsTheLifecycleIncludingPartial) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_->AdvanceCase(c.id, "APPLICANT_STARTED").ok());
  EXPECT_EQ(Gateway().GetCase(creds_, c.id)->status, CheckStatus::kInProgress);
  ASSERT_TRUE(fake_->AdvanceCase(c.id).ok());  // APPLICANT_SUBMITTED
  ASSERT_TRUE(fake_->AdvanceCase(c.id).ok());  // IN_PROGRESS: first check complete
  auto partial = Gateway().GetCase(creds_, c.id);
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->overall_status, "IN_PROGRESS");
  EXPECT_EQ(partial->status, CheckStatus::kPartial);
  ASSERT_TRUE(fake_->AdvanceCase(c.id).ok());  // COMPLETE
  auto done = Gateway().GetCase(creds_, c.id);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(partial->overall_score, std::nullopt);  // null until scored
  EXPECT_EQ(done->status, CheckStatus::kComplete);
  EXPECT_TRUE(done->completed.has_value());
  EXPECT_EQ(done->overall_score, "CLEAR");
  EXPECT_EQ(done->package_id, "pkg-standard");
  // The report is requested, not automatic (docs/certn-api.md).
  EXPECT_FALSE(done->report_file_id.has_value());
  for (const auto& check : done->checks) EXPECT_EQ(check.result, "CLEAR");
}

// Error statuses, and APPLICANT_DECLINED (docs/certn-api.md: cancelled).
TEST_F(GatewayVsFakeTest, EndingStatusesCarryTheirReason) {
  struct Row {
    const char* overall_status;
    CheckStatus status;
    const char* reason;
  };
  for (const Row& row :
       {Row{"APPLICANT_EXPIRED", CheckStatus::kError, "applicant_expired"},
        Row{"APPLICANT_DECLINED", CheckStatus::kCancelled, "applicant_declined"}}) {
    CertnCase c = OrderOne(row.overall_status);
    ASSERT_TRUE(fake_->AdvanceCase(c.id, row.overall_status).ok());
    auto got = Gateway().GetCase(creds_, c.id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->status, row.status) << row.overall_status;
    EXPECT_EQ(got->error_reason, row.reason);
  }
}

TEST_F(GatewayVsFakeTest, GetUnknownCaseIsNotFound) {
  EXPECT_EQ(Gateway().GetCase(creds_, "no-such-case").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(GatewayVsFakeTest, AnotherAccountsCaseIsNotFound) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_->CreateAccount({.api_key = "other-key", .certn_team_id = "t-other"}).ok());
  EXPECT_EQ(Gateway().GetCase({"other-key", CertnRegion::kNorthAmerica}, c.id).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(GatewayVsFakeTest, BadKeyIsUnauthenticated) {
  auto got = Gateway().GetCase({"wrong-key", CertnRegion::kNorthAmerica}, "x");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(got.status().message()), ::testing::Not(HasSubstr("wrong-key")));
}

TEST_F(GatewayVsFakeTest, CancelCaseAnswered204) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(Gateway().CancelCase(creds_, c.id).ok());
  auto requests = fake_->Requests("cancel_case");
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 1u);
  EXPECT_EQ((*requests)[0].status, 204);
  auto cancelled = Gateway().GetCase(creds_, c.id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status, CheckStatus::kCancelled);
  EXPECT_EQ(cancelled->overall_status, "CANCELLED");
}

TEST_F(GatewayVsFakeTest, UnknownStatusIsInProgressNotAFailure) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_
                  ->Call("POST", "/_control/cases/" + c.id + "/advance",
                         R"({"status":"AWAITING_SOMETHING_NEW","allow_unknown":true})")
                  .ok());
  auto got = Gateway().GetCase(creds_, c.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, CheckStatus::kInProgress);
  EXPECT_FALSE(got->overall_status_known);
  EXPECT_EQ(got->overall_status, "AWAITING_SOMETHING_NEW");
}

// ---- reports ----------------------------------------------------------------

TEST_F(GatewayVsFakeTest, GenerateAndDownloadTheReport) {
  CertnCase c = OrderOne();
  EXPECT_EQ(Gateway().GenerateReport(creds_, c.id).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(fake_->AdvanceCase(c.id, "COMPLETE").ok());
  ASSERT_TRUE(Gateway().GenerateReport(creds_, c.id).ok());
  auto done = Gateway().GetCase(creds_, c.id);
  ASSERT_TRUE(done.ok() && done->report_file_id.has_value());
  auto pdf = Gateway().DownloadReport(creds_, *done->report_file_id, 1 << 20);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_TRUE(absl::StartsWith(*pdf, "%PDF-1."));
  EXPECT_THAT(*pdf, HasSubstr(c.short_id));
  EXPECT_THAT(*pdf, HasSubstr("%%EOF"));
  // report-files answered a URL, and the PDF came from it without the API
  // key (the fake refuses a presigned download that carries one with 400).
  auto downloads = fake_->Requests("report_download");
  ASSERT_TRUE(downloads.ok());
  ASSERT_EQ(downloads->size(), 1u);
  EXPECT_EQ((*downloads)[0].status, 200);
  auto capped = Gateway().DownloadReport(creds_, *done->report_file_id, 100);
  EXPECT_EQ(capped.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Gateway().DownloadReport(creds_, "no-such-file", 1 << 20).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(GatewayVsFakeTest, FailedOrRedirectedReportDownloadIsRetriedWithAFreshUrl) {
  const std::string file = GeneratedReport();
  for (int status : {403, 302}) {  // an expired URL; a redirect (never followed)
    ASSERT_TRUE(
        fake_->InjectFault({.endpoint = "report_download", .status = status, .times = 1}).ok());
    auto failed = Gateway().DownloadReport(creds_, file, 1 << 20);
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << status;
  }
  auto pdf = Gateway().DownloadReport(creds_, file, 1 << 20);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_EQ(RequestCount("report_file"), 3u);  // a fresh URL each time
  EXPECT_EQ(RequestCount("report_download"), 3u);
}

TEST_F(GatewayVsFakeTest, ReportUrlThatHasExpiredIsNotFetched) {
  RestartFake({"--report-url-ttl-ms", "0"});  // URLs expire as they are issued
  auto pdf = Gateway().DownloadReport(creds_, GeneratedReport(), 1 << 20);
  EXPECT_EQ(pdf.status().code(),
            absl::StatusCode::kUnavailable);  // retryable: a fresh URL next time
  EXPECT_EQ(RequestCount("report_file"), 1u);
  EXPECT_EQ(RequestCount("report_download"), 0u);  // expires_at had passed: not fetched
}

// ---- faults -----------------------------------------------------------------

TEST_F(GatewayVsFakeTest, TooManyRequestsIsRetriedAfterRetryAfter) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_->ClearRequests().ok());
  ASSERT_TRUE(
      fake_->InjectFault({.endpoint = "get_case", .status = 429, .retry_after = 1, .times = 1})
          .ok());
  const absl::Time start = absl::Now();
  auto got = Gateway().GetCase(creds_, c.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  auto requests = fake_->Requests("get_case");
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 2u);
  EXPECT_EQ((*requests)[0].status, 429);
  EXPECT_EQ((*requests)[1].status, 200);
  EXPECT_GE((*requests)[1].at_unix_ms - (*requests)[0].at_unix_ms, 950);
}

TEST_F(GatewayVsFakeTest, PersistentTooManyRequestsIsResourceExhausted) {
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "get_case", .status = 429, .retry_after = 0}).ok());
  absl::Status refused = Gateway().GetCase(creds_, "x").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RequestCount("get_case"), 3u);
  EXPECT_TRUE(RetryAfterOf(refused).has_value());
}

TEST_F(GatewayVsFakeTest, RetryAfterBeyondTheCapIsNotWaitedFor) {
  ASSERT_TRUE(
      fake_->InjectFault({.endpoint = "get_case", .status = 429, .retry_after = 3600}).ok());
  const absl::Time start = absl::Now();
  absl::Status refused = Gateway().GetCase(creds_, "x").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(RequestCount("get_case"), 1u);
  // Queued work is told to wait exactly what Certn asked for.
  EXPECT_EQ(RetryAfterOf(refused), absl::Seconds(3600));
}

TEST_F(GatewayVsFakeTest, FakeServerRateLimitAnswers429) {
  ASSERT_TRUE(fake_->SetRateLimit(2).ok());
  CertnCase c = OrderOne();                           // 1 of 2
  EXPECT_TRUE(Gateway().GetCase(creds_, c.id).ok());  // 2 of 2
  // The fake's window is a minute: its Retry-After exceeds the client's cap.
  EXPECT_EQ(Gateway().GetCase(creds_, c.id).status().code(), absl::StatusCode::kResourceExhausted);
  auto requests = fake_->Requests("get_case");
  ASSERT_TRUE(requests.ok());
  EXPECT_EQ(requests->back().status, 429);
}

TEST_F(GatewayVsFakeTest, TransientFiveHundredsAreRetriedUntilSuccess) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "get_case", .status = 500, .times = 2}).ok());
  auto got = Gateway().GetCase(creds_, c.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(RequestCount("get_case"), 3u);
}

TEST_F(GatewayVsFakeTest, RequestTimeoutStatusIsRetried) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "get_case", .status = 408, .times = 1}).ok());
  EXPECT_TRUE(Gateway().GetCase(creds_, c.id).ok());
  EXPECT_EQ(RequestCount("get_case"), 2u);
}

TEST_F(GatewayVsFakeTest, HungCallIsCutAtTheTotalTimeout) {
  CertnClientConfig config = Config();
  config.total_timeout = absl::Milliseconds(600);
  CertnHttpGateway gateway(config);
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "get_case", .hang_ms = 5000}).ok());
  const absl::Time start = absl::Now();
  auto got = gateway.GetCase(creds_, "x");
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDeadlineExceeded) << got.status();
  EXPECT_GE(took, absl::Milliseconds(550));
  EXPECT_LT(took, absl::Milliseconds(3000));
  EXPECT_EQ(RequestCount("get_case"), 1u);  // a timeout is not retried
}

TEST_F(GatewayVsFakeTest, AddedLatencyWithinTheTimeoutSucceeds) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "get_case", .latency_ms = 300}).ok());
  const absl::Time start = absl::Now();
  EXPECT_TRUE(Gateway().GetCase(creds_, c.id).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(290));
}

TEST_F(GatewayVsFakeTest, MalformedJsonIsDataLoss) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "get_case", .malformed_json = true}).ok());
  EXPECT_EQ(Gateway().GetCase(creds_, c.id).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "packages", .malformed_json = true}).ok());
  EXPECT_EQ(Gateway().ListPackages(creds_).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "groups", .malformed_json = true}).ok());
  EXPECT_EQ(Gateway().Verify(creds_).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(GatewayVsFakeTest, WrongFieldTypesAreDataLossNamingTheField) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "get_case", .wrong_types = true}).ok());
  auto got = Gateway().GetCase(creds_, c.id);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  // Ids may be numbers, and short_id is optional; overall_status is required.
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr("field 'overall_status' is not a string"));
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "order_package", .wrong_types = true}).ok());
  EXPECT_EQ(Gateway().OrderPackage(creds_, Order("ref-types")).status().code(),
            absl::StatusCode::kDataLoss);
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "packages", .wrong_types = true}).ok());
  EXPECT_EQ(Gateway().ListPackages(creds_).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(GatewayVsFakeTest, FaultsOnCancelAndReportEndpoints) {
  CertnCase c = OrderOne();
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "cancel_case", .status = 503, .times = 1}).ok());
  EXPECT_TRUE(Gateway().CancelCase(creds_, c.id).ok());
  EXPECT_EQ(RequestCount("cancel_case"), 2u);
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "generate_report", .status = 500}).ok());
  EXPECT_EQ(Gateway().GenerateReport(creds_, c.id).code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "report_file", .status = 504}).ok());
  EXPECT_EQ(Gateway().DownloadReport(creds_, "f", 1000).status().code(),
            absl::StatusCode::kUnavailable);
}

// ---- client-side rate limit -------------------------------------------------

TEST_F(GatewayVsFakeTest, RateLimiterNeverLetsMoreThanTheBurstThrough) {
  CertnClientConfig config = Config();
  config.rate_limit.burst = 5;
  config.rate_limit.window = absl::Minutes(1);
  config.rate_limit.max_wait = absl::ZeroDuration();
  CertnHttpGateway gateway(config);
  std::atomic<int> ok{0}, limited{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        auto got = gateway.GetCase(creds_, "any");
        if (got.status().code() == absl::StatusCode::kResourceExhausted) {
          ++limited;
        } else {
          ++ok;  // reached Certn (NotFound)
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 5);
  EXPECT_EQ(limited.load(), 7);
  EXPECT_EQ(RequestCount("get_case"), 5u);
  // Another key has its own bucket.
  ASSERT_TRUE(fake_->CreateAccount({.api_key = "second-key", .certn_team_id = "t2"}).ok());
  EXPECT_EQ(gateway.GetCase({"second-key", CertnRegion::kNorthAmerica}, "any").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(GatewayVsFakeTest, RateLimiterWaitsForTheNextTokenWhenAllowed) {
  CertnClientConfig config = Config();
  config.rate_limit.burst = 2;
  config.rate_limit.window = absl::Seconds(1);  // a token every 500 ms
  config.rate_limit.margin = absl::ZeroDuration();
  config.rate_limit.max_wait = absl::Seconds(2);
  CertnHttpGateway gateway(config);
  const absl::Time start = absl::Now();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(gateway.GetCase(creds_, "any").status().code(), absl::StatusCode::kNotFound);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(450));
  auto requests = fake_->Requests("get_case");
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 3u);
  EXPECT_GE((*requests)[2].at_unix_ms - (*requests)[0].at_unix_ms, 450);
}

}  // namespace
}  // namespace stagecheck::certn
