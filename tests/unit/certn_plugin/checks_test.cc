#include "absl/strings/match.h"
#include "core/errors.h"
#include "core/ports/call_budget.h"
#include "plugin/certn/ports/certn_store.h"
#include "tests/unit/certn_plugin/plugin_harness.h"

namespace stagecheck::plugintest {
namespace {

using certn_plugin::SendRequest;

std::string FromCertnCode(const absl::Status& s) { return ErrorCode(certn_plugin::FromCertn(s)); }

class ChecksTest : public PluginHarness {
 protected:
  void SetUpApplication(bool auto_send = false,
                        std::optional<std::string> email = "ada@example.com",
                        std::vector<std::string> tags = {}) {
    admin_ = NewTeam();
    recruiter_ = Recruiter(admin_);
    job_ = NewJob(admin_, auto_send);
    candidate_ = NewCandidate(recruiter_, email, tags);
    app_ = NewApplication(recruiter_, candidate_, job_);
    // Later events sort after the set-up's in the newest-first feed.
    clock_.Advance(absl::Seconds(1));
  }
  absl::StatusOr<Created<CheckId>> SendNow(std::optional<std::string> package = std::nullopt,
                                           std::optional<IdempotencyKey> key = std::nullopt) {
    return checks_->Send(recruiter_, app_, SendRequest{CertnActivity(admin_, job_), package}, key);
  }
  std::vector<std::string> CertnTags() {
    auto c = applications_->GetCandidate(recruiter_, candidate_);
    EXPECT_TRUE(c.ok());
    std::vector<std::string> out;
    for (const auto& t : c->tags) {
      if (absl::StartsWith(t, "CERTN - ")) out.push_back(t);
    }
    return out;
  }
  // Sends a check, lets Certn complete its case and the worker request the report.
  CheckId CompletedCheck() {
    auto sent = SendNow();
    EXPECT_TRUE(sent.ok()) << sent.status();
    Drain();
    gateway_.SetStatus(gateway_.last_case_id(), CheckStatus::kComplete, "COMPLETE");
    EXPECT_TRUE(checks_->Refresh(recruiter_, sent->id).ok());
    Drain();
    return sent->id;
  }
  void MoveTo(const std::string& stage) {
    auto moved = applications_->Move(recruiter_, app_, StageNamed(admin_, job_, stage));
    ASSERT_TRUE(moved.ok()) << moved.status();
  }

  Principal admin_, recruiter_;
  JobId job_;
  CandidateId candidate_;
  ApplicationId app_;
};

TEST_F(ChecksTest, SendQueuesTheCheckAndTheWorkerOrdersItOnce) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(created, SendNow());
  EXPECT_EQ(Check(recruiter_, created.id).status, CheckStatus::kQueued);
  EXPECT_EQ(gateway_.calls("order"), 0);
  Drain();
  ASSERT_EQ(gateway_.orders().size(), 1u);
  EXPECT_EQ(gateway_.orders()[0].email, "ada@example.com");
  EXPECT_EQ(gateway_.orders()[0].package_id, "pkg-basic");
  EXPECT_EQ(gateway_.orders()[0].reference, created.id.value());
  BackgroundCheck check = Check(recruiter_, created.id);
  EXPECT_EQ(check.status, CheckStatus::kInvited);
  EXPECT_EQ(check.external_id, gateway_.last_case_id());
  ASSERT_TRUE(check.results_url.has_value());
  // A page a person can open (the console asks for a sign-in), never an API address.
  EXPECT_EQ(*check.results_url, "https://stagecheck.example/checks/" + created.id.value());
  EXPECT_EQ(Drain(), 0);
  EXPECT_EQ(gateway_.calls("order"), 1);
}

TEST_F(ChecksTest, SecondSendWhileActiveIsAConflict) {
  SetUpApplication();
  ASSERT_OK(SendNow());
  auto second = SendNow();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorCode(second.status()), "check_already_active");
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 1);
}

TEST_F(ChecksTest, IdempotencyKeyReplaysTheSameCheck) {
  SetUpApplication();
  IdempotencyKey key{"key-1", "fp-1"};
  ASSERT_OK_AND_ASSIGN(first, SendNow(std::nullopt, key));
  ASSERT_OK_AND_ASSIGN(again, SendNow(std::nullopt, key));
  EXPECT_EQ(first.id, again.id);
  EXPECT_FALSE(first.replayed);
  EXPECT_TRUE(again.replayed);
  auto reused = SendNow(std::nullopt, IdempotencyKey{"key-1", "another-request"});
  EXPECT_EQ(ErrorCode(reused.status()), "idempotency_key_reused");
}

TEST_F(ChecksTest, NewCheckAllowedAfterTheOldOneEnded) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(first, SendNow());
  Drain();
  gateway_.SetStatus(gateway_.last_case_id(), CheckStatus::kCancelled, "CANCELLED");
  ASSERT_OK(checks_->Refresh(recruiter_, first.id));
  EXPECT_EQ(Check(recruiter_, first.id).status, CheckStatus::kCancelled);
  ASSERT_OK(SendNow());
}

TEST_F(ChecksTest, NoEmailManualSendIs422AndLeavesTheSameErrorStateAsAutoSend) {
  SetUpApplication(false, std::nullopt);
  auto sent = SendNow();
  EXPECT_EQ(sent.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCode(sent.status()), "no_email");
  EXPECT_EQ(sent.status().message(),
            "This candidate has no email address, so Certn cannot invite them.");
  auto feed = FeedOf(recruiter_, candidate_);
  ASSERT_FALSE(feed.empty());
  EXPECT_EQ(feed.front().type, "error");
  EXPECT_EQ(feed.front().message,
            "The background check was not sent: Ada Lovelace has no email address. Add one to "
            "their profile, then "
            "send again.");
  // As on auto-send: a check in error with its reason, and the status tag.
  auto checks = applications_->ReadTab(recruiter_, app_);
  ASSERT_TRUE(checks.ok()) << checks.status();
  EXPECT_EQ(CountRows("background_checks"), 1);
  EXPECT_EQ(CertnTags(), (std::vector<std::string>{"CERTN - Error (No Email)"}));
  EXPECT_EQ(gateway_.calls("order"), 0);
  EXPECT_EQ(Drain(), 0);
}

TEST_F(ChecksTest, ExplicitPackageMustBeOneOfTheTeams) {
  SetUpApplication();
  auto sent = SendNow("pkg-unknown");
  EXPECT_EQ(ErrorCode(sent.status()), "unknown_package");
  ASSERT_OK_AND_ASSIGN(ok, SendNow("pkg-premium"));
  EXPECT_EQ(Check(recruiter_, ok.id).package_id, "pkg-premium");
  EXPECT_EQ(Check(recruiter_, ok.id).package_name, "Premium Package");
}

TEST_F(ChecksTest, SendRequiresAConnectedIntegration) {
  SetUpApplication();
  gateway_.expected_key = "rotated-elsewhere";
  ASSERT_OK(integrations_->Verify(admin_));  // now invalid_key
  EXPECT_EQ(ErrorCode(SendNow().status()), "certn_not_connected");
}

TEST_F(ChecksTest, InactiveApplicationCannotSend) {
  SetUpApplication();
  ASSERT_OK(applications_->SetStatus(recruiter_, app_, ApplicationStatus::kRejected));
  EXPECT_EQ(ErrorCode(SendNow().status()), "application_not_active");
}

TEST_F(ChecksTest, OtherTeamsApplicationIsNotFound) {
  SetUpApplication();
  Principal stranger = NewTeam("certn-team-2");
  auto sent = checks_->Send(stranger, app_, SendRequest{}, std::nullopt);
  EXPECT_EQ(sent.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(checks_->Get(stranger, CheckId("x")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ChecksTest, AutoSendOnEntryOnceWhileActive) {
  SetUpApplication(/*auto_send=*/true);
  MoveTo("Background");
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 1);
  MoveTo("Screen");
  MoveTo("Background");
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 1);
  auto feed = FeedOf(recruiter_, candidate_);
  EXPECT_TRUE(std::any_of(feed.begin(), feed.end(), [](const FeedEvent& e) {
    return e.type == "check_sent" && absl::StrContains(e.message, "automatically");
  }));
}

TEST_F(ChecksTest, NoAutoSendWithoutTheFlag) {
  SetUpApplication(/*auto_send=*/false);
  MoveTo("Background");
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 0);
}

TEST_F(ChecksTest, AutoSendWithoutEmailLeavesAnErrorCheckThenRetriesAfterTheEmailIsAdded) {
  SetUpApplication(/*auto_send=*/true, std::nullopt);
  MoveTo("Background");
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 0);
  EXPECT_EQ(CertnTags(), std::vector<std::string>{"CERTN - Error (No Email)"});
  auto tab = applications_->ReadTab(recruiter_, app_);
  ASSERT_TRUE(tab.ok());
  const auto& checks = tab->stages[1].activities[0].checks;
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].status, CheckStatus::kError);
  EXPECT_EQ(checks[0].error_reason, "no_email");
  CandidateChanges add_email;
  add_email.email = std::optional<std::string>("ada@example.com");
  ASSERT_OK(applications_->UpdateCandidate(recruiter_, candidate_, add_email));
  MoveTo("Screen");
  MoveTo("Background");
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 1);
  EXPECT_EQ(CertnTags(), std::vector<std::string>{"CERTN - Pending"});
}

TEST_F(ChecksTest, CandidateTagNamingAPackageOverridesTheDefaults) {
  SetUpApplication(/*auto_send=*/true, "ada@example.com", {"  premium PACKAGE "});
  MoveTo("Background");
  Drain();
  ASSERT_EQ(gateway_.orders().size(), 1u);
  EXPECT_EQ(gateway_.orders()[0].package_id, "pkg-premium");
}

TEST_F(ChecksTest, AmbiguousPackageTagIsAnErrorNotAGuess) {
  SetUpApplication(/*auto_send=*/true, "ada@example.com", {"Basic", "Premium Package"});
  auto moved = applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Background"));
  ASSERT_TRUE(moved.ok());
  ASSERT_EQ(moved->hooks.size(), 1u);
  EXPECT_EQ(ErrorCode(moved->hooks[0].second), "ambiguous_package_tag");
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 0);
}

TEST_F(ChecksTest, PackageFallsBackFromActivityToJobToTeam) {
  SetUpApplication();
  // Ad-hoc-free path through ResolvePackage: no tag, no explicit package.
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  EXPECT_EQ(Check(recruiter_, sent.id).package_id, "pkg-basic");  // the activity's
}

TEST_F(ChecksTest, StatusTagFollowsTheCheckOneAtATime) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  std::string case_id = gateway_.last_case_id();
  EXPECT_EQ(CertnTags(), std::vector<std::string>{"CERTN - Pending"});
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "APPLICANT_STARTED");
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  EXPECT_EQ(CertnTags(), std::vector<std::string>{"CERTN - Analyzing"});
  gateway_.SetStatus(case_id, CheckStatus::kPartial, "IN_PROGRESS");
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  EXPECT_EQ(CertnTags(), std::vector<std::string>{"CERTN - Partial"});
  gateway_.SetStatus(
      case_id, CheckStatus::kComplete, "COMPLETE",
      {{"c1", "ADVERSE_MEDIA_1", "COMPLETE", "CLEAR", absl::FromUnixSeconds(1'800'000'400)}});
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  EXPECT_EQ(CertnTags(), std::vector<std::string>{"CERTN - Complete"});
  auto feed = FeedOf(recruiter_, candidate_);
  EXPECT_TRUE(std::any_of(feed.begin(), feed.end(),
                          [](const FeedEvent& e) { return e.type == "candidate_started"; }));
}

TEST_F(ChecksTest, CompletionSavesTheReportPdfToTheCandidatesFiles) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  std::string case_id = gateway_.last_case_id();
  EXPECT_EQ(ErrorCode(checks_->Report(recruiter_, sent.id).status()), "report_not_ready");
  gateway_.SetStatus(case_id, CheckStatus::kComplete, "COMPLETE",
                     {{"c1", "ADVERSE_MEDIA_1", "COMPLETE", "CLEAR", std::nullopt}});
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  Drain();
  // docs/certn-api.md: the report is requested once, then CASE_REPORT_READY.
  EXPECT_EQ(gateway_.calls("generate_report"), 1);
  EXPECT_EQ(gateway_.calls("download"), 0);
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));  // the fetch CASE_REPORT_READY causes
  Drain();
  EXPECT_EQ(gateway_.calls("generate_report"), 1);
  auto files = applications_->ListFiles(recruiter_, candidate_);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  BackgroundCheck check = Check(recruiter_, sent.id);
  EXPECT_EQ((*files)[0].name, "Certn_Report_" + *check.external_short_id + ".pdf");
  EXPECT_EQ((*files)[0].content_type, "application/pdf");
  auto file = applications_->GetFile(recruiter_, candidate_, (*files)[0].id);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->second, ScriptedGateway::PdfFor(case_id));
  EXPECT_EQ(check.report_saved_as, (*files)[0].id);
  ASSERT_OK_AND_ASSIGN(report, checks_->Report(recruiter_, sent.id));
  EXPECT_EQ(report.check.results.size(), 1u);
  EXPECT_EQ(report.candidate.first_name, "Ada");
  // Downloading again (a duplicate event) keeps one file.
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  Drain();
  EXPECT_EQ(applications_->ListFiles(recruiter_, candidate_)->size(), 1u);
  EXPECT_EQ(gateway_.calls("download"), 1);
  EXPECT_EQ(gateway_.calls("generate_report"), 1);
}

TEST_F(ChecksTest, ALostReportReadyDeliveryIsMadeUpByOneLaterFetch) {
  SetUpApplication();
  const CheckId id = CompletedCheck();
  ASSERT_EQ(gateway_.calls("generate_report"), 1);
  const int fetches = gateway_.calls("get_case");
  // No CASE_REPORT_READY ever arrives: the fallback fetch finds the file.
  clock_.Advance(absl::Minutes(3));
  Drain();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
  EXPECT_EQ(gateway_.calls("generate_report"), 1);
  EXPECT_TRUE(Check(recruiter_, id).report_saved_as.has_value());
  EXPECT_EQ(applications_->ListFiles(recruiter_, candidate_)->size(), 1u);
}

TEST_F(ChecksTest, AFailedReportDownloadIsRetried) {
  SetUpApplication();
  const CheckId id = CompletedCheck();
  // The presigned URL expired (the gateway reports it as Unavailable).
  gateway_.FailNext("download", absl::UnavailableError("the report URL answered HTTP 403"), 2);
  ASSERT_OK(checks_->Refresh(recruiter_, id));
  Drain();
  EXPECT_FALSE(Check(recruiter_, id).report_saved_as.has_value());
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Minutes(1));
    Drain();
  }
  EXPECT_EQ(gateway_.calls("download"), 3);
  EXPECT_TRUE(Check(recruiter_, id).report_saved_as.has_value());
}

TEST_F(ChecksTest, ScoreDeclineAndUnknownStatusesAreApplied) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  const std::string case_id = gateway_.last_case_id();
  EXPECT_FALSE(Check(recruiter_, sent.id).overall_score.has_value());
  // A status Certn added later: in progress, logged and counted, never a failure.
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "AWAITING_SOMETHING_NEW");
  gateway_.Update(case_id, [](CertnCase& c) { c.overall_status_known = false; });
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kInProgress);
  EXPECT_EQ(Check(recruiter_, sent.id).external_status, "AWAITING_SOMETHING_NEW");
  EXPECT_EQ(metrics_.Count("stagecheck_certn_unknown_status_total"), 1);
  // The applicant declines: cancelled, with the reason.
  gateway_.SetStatus(case_id, CheckStatus::kCancelled, "APPLICANT_DECLINED");
  gateway_.Update(case_id, [](CertnCase& c) { c.error_reason = "applicant_declined"; });
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  BackgroundCheck declined = Check(recruiter_, sent.id);
  EXPECT_EQ(declined.status, CheckStatus::kCancelled);
  EXPECT_EQ(declined.error_reason, "applicant_declined");
}

TEST_F(ChecksTest, TheOverallScoreIsStoredWhenCertnScores) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  gateway_.SetStatus(gateway_.last_case_id(), CheckStatus::kComplete, "COMPLETE");
  gateway_.Update(gateway_.last_case_id(), [](CertnCase& c) { c.overall_score = "REVIEW"; });
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  EXPECT_EQ(Check(recruiter_, sent.id).overall_score, "REVIEW");
}

// A fetch that finds nothing new (most fetches: a reconciliation's, the
// later events of a burst) marks only when the check was looked at: no
// feed line, no change to anything else. Whatever Certn did change is
// written: an overall status of the same stage, a per-check result.
TEST_F(ChecksTest, AFetchThatFindsNothingNewOnlyMarksWhenTheCheckWasLookedAt) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  const std::string case_id = gateway_.last_case_id();
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "APPLICANT_STARTED");
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  const BackgroundCheck before = Check(recruiter_, sent.id);
  const size_t feed_before = FeedOf(recruiter_, candidate_).size();

  clock_.Advance(absl::Minutes(5));
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  BackgroundCheck after = Check(recruiter_, sent.id);
  EXPECT_EQ(after.updated_at, clock_.Now());
  EXPECT_EQ(after.status, before.status);
  EXPECT_EQ(after.external_status, before.external_status);
  EXPECT_EQ(after.results, before.results);
  EXPECT_EQ(after.history, before.history);
  EXPECT_EQ(after.results_url, before.results_url);
  EXPECT_EQ(FeedOf(recruiter_, candidate_).size(), feed_before);

  // A first per-check result, nothing else.
  const std::vector<CertnCheckResult> one_result = {
      {"c1", "CRIMINAL_RECORD_1", "IN_PROGRESS", std::nullopt, std::nullopt}};
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "APPLICANT_STARTED", one_result);
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  after = Check(recruiter_, sent.id);
  ASSERT_EQ(after.results.size(), 1u);
  EXPECT_EQ(after.results[0].check_type, "CRIMINAL_RECORD_1");
  EXPECT_EQ(after.external_status, before.external_status);
  EXPECT_EQ(after.updated_at, clock_.Now());
  // The same stage under another of Certn's words, nothing else.
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "IN_PROGRESS", one_result);
  ASSERT_OK(checks_->Refresh(recruiter_, sent.id));
  after = Check(recruiter_, sent.id);
  EXPECT_EQ(after.status, before.status);
  EXPECT_EQ(after.external_status, "IN_PROGRESS");
  EXPECT_EQ(after.results.size(), 1u);
}

// An order recorded again (its lease lost after Certn answered) finds the
// case it applied already: Certn brings nothing new, but the order's own
// change to the check (its wait is over) is still written.
TEST_F(ChecksTest, ARecordedOrderKeepsItsOwnChangeWhenTheCaseBringsNothingNew) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  ASSERT_OK(store_->Transact([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<BackgroundCheck> k = u.GetCheckForUpdate(admin_.team, sent.id);
    if (!k.ok()) return k.status();
    k->waiting_reason = "daily_limit";
    k->waiting_until = clock_.Now() + absl::Hours(1);
    return u.UpdateCheck(*k);
  }));
  ASSERT_EQ(Check(recruiter_, sent.id).waiting_reason, "daily_limit");
  absl::StatusOr<CertnCase> same =
      gateway_.GetCase(CertnCredentials{gateway_.expected_key}, gateway_.last_case_id());
  ASSERT_OK(same);
  WorkItem item;
  item.team = admin_.team;
  item.id = WorkItemId("replayed-order");
  item.kind = "certn.order";
  item.subject = sent.id.value();
  ASSERT_OK(checks_->RecordOrder(item, *same));
  const BackgroundCheck after = Check(recruiter_, sent.id);
  EXPECT_EQ(after.waiting_reason, "");
  EXPECT_EQ(after.waiting_until, std::nullopt);
}

TEST_F(ChecksTest, TransientOrderFaultIsRetriedWithBackoff) {
  SetUpApplication();
  gateway_.FailNext("order", absl::UnavailableError("Certn 503"), 2);
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kQueued);
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Minutes(1));
    Drain();
  }
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kInvited);
  EXPECT_EQ(gateway_.calls("order"), 3);
  EXPECT_EQ(gateway_.orders().size(), 1u);
}

// A rate limit is not a failure: the order waits for its slot as often as it
// takes (more times than max_attempts) and is then sent, exactly once.
TEST_F(ChecksTest, RateLimitedOrderWaitsForItsSlotWithoutUsingUpAttempts) {
  SetUpApplication();
  const int refusals = integrations_->config().max_attempts + 5;
  gateway_.FailNext(
      "order",
      WithRetryAfter(absl::ResourceExhaustedError("Certn client rate limit exhausted"),
                     absl::Seconds(30)),
      refusals);
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 1);
  // Not before the slot frees.
  clock_.Advance(absl::Seconds(29));
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 1);
  for (int i = 0; i < refusals; ++i) {
    clock_.Advance(absl::Seconds(31));
    Drain();
  }
  EXPECT_EQ(gateway_.calls("order"), refusals + 1);
  BackgroundCheck check = Check(recruiter_, sent.id);
  EXPECT_EQ(check.status, CheckStatus::kInvited);
  EXPECT_EQ(gateway_.orders().size(), 1u);
}

TEST_F(ChecksTest, AnOrderRefusedByTheDailyLimitWaitsVisiblyAndIsSentWhenTheDayTurns) {
  SetUpApplication();
  const absl::Duration until_midnight = NextUtcMidnight(clock_.Now()) - clock_.Now();
  gateway_.FailNext(
      "order",
      WithRetryAfter(Error(absl::StatusCode::kResourceExhausted, kDailyLimitCode,
                           "Certn's daily limit is reached; sending resumes at 00:00 UTC"),
                     until_midnight),
      2);
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  BackgroundCheck waiting = Check(recruiter_, sent.id);
  EXPECT_EQ(waiting.status, CheckStatus::kQueued);
  EXPECT_EQ(waiting.waiting_reason, kDailyLimitCode);
  ASSERT_TRUE(waiting.waiting_until.has_value());
  EXPECT_GE(*waiting.waiting_until, NextUtcMidnight(clock_.Now()));
  // Refused again (a replica raced the day's first slots): still one line in the feed.
  clock_.Advance(until_midnight + absl::Seconds(1));
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 2);
  int waiting_lines = 0;
  for (const FeedEvent& e : FeedOf(recruiter_, candidate_)) waiting_lines += e.type == "waiting";
  EXPECT_EQ(waiting_lines, 1);
  EXPECT_EQ(Check(recruiter_, sent.id).waiting_reason, kDailyLimitCode);

  clock_.Advance(absl::Hours(24));
  Drain();
  BackgroundCheck ordered = Check(recruiter_, sent.id);
  EXPECT_EQ(ordered.status, CheckStatus::kInvited);
  EXPECT_TRUE(ordered.waiting_reason.empty());
  EXPECT_FALSE(ordered.waiting_until.has_value());
  EXPECT_EQ(gateway_.orders().size(), 1u);
}

TEST_F(ChecksTest, ALimitRaisedWhileAnOrderIsInFlightSendsItSoonNotAtMidnight) {
  SetUpApplication();
  const absl::Duration until_midnight = NextUtcMidnight(clock_.Now()) - clock_.Now();
  ASSERT_GT(until_midnight, absl::Seconds(10));
  gateway_.FailNext(
      "order", WithRetryAfter(Error(absl::StatusCode::kResourceExhausted, kDailyLimitCode,
                                    "Certn's daily limit is reached; sending resumes at 00:00 UTC"),
                              until_midnight));
  // The admin raises the daily limit while the first attempt is at Certn
  // with the old settings (its order is leased, so the raise cannot hurry it).
  gateway_.during["order"] = [&] {
    gateway_.during.erase("order");
    clock_.Advance(absl::Milliseconds(5));
    certn_plugin::ConnectRequest raise;
    raise.requests_per_day = 10000;
    ASSERT_OK(integrations_->Connect(admin_, raise).status());
  };
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 1);
  BackgroundCheck refused = Check(recruiter_, sent.id);
  EXPECT_EQ(refused.status, CheckStatus::kQueued);
  EXPECT_TRUE(refused.waiting_reason.empty()) << "told to wait for midnight after the raise";

  clock_.Advance(absl::Seconds(2));
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 2);
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kInvited);
}

TEST_F(ChecksTest, ARateLimitOfAMinuteIsNotShownAsWaiting) {
  SetUpApplication();
  gateway_.FailNext(
      "order", WithRetryAfter(absl::ResourceExhaustedError("Certn client rate limit exhausted"),
                              absl::Seconds(30)));
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  EXPECT_TRUE(Check(recruiter_, sent.id).waiting_reason.empty());
}

TEST_F(ChecksTest, PermanentOrderFaultPutsTheCheckInErrorVisibly) {
  SetUpApplication();
  gateway_.FailNext("order",
                    Error(absl::StatusCode::kInvalidArgument, "certn_rejected", "email: invalid"));
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  clock_.Advance(absl::Seconds(1));
  Drain();
  BackgroundCheck check = Check(recruiter_, sent.id);
  EXPECT_EQ(check.status, CheckStatus::kError);
  EXPECT_EQ(check.error_reason, "certn_rejected");
  auto feed = FeedOf(recruiter_, candidate_);
  EXPECT_EQ(feed.front().type, "error");
}

// Each connected integration has one durable certn.read_events item, due a
// reconcile_interval after connecting and deferred to the next interval by
// each read; ReadFeed() lets the clock reach it and runs what it asks for.
class ReconcileTest : public ChecksTest {
 protected:
  void Configure(certn_plugin::PluginConfig& config) override {
    config.reconcile_interval = absl::Minutes(1);
  }
  void ReadFeed(absl::Duration more = absl::ZeroDuration()) {
    clock_.Advance(integrations_->config().reconcile_interval + absl::Seconds(1) + more);
    Drain();
  }
};

TEST_F(ReconcileTest, FetchesOnlyTheCasesTheEventFeedNames) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  ASSERT_OK_AND_ASSIGN(quiet,
                       checks_->SendAdHoc(recruiter_, candidate_, "pkg-premium", std::nullopt));
  Drain();
  // The first read only finds where the feed stands (nothing is quiet yet).
  gateway_.SetStatus(gateway_.last_case_id(), CheckStatus::kInvited, "APPLICANT_INVITED");
  ReadFeed();
  const int fetches = gateway_.calls("get_case");
  EXPECT_EQ(gateway_.calls("list_events"), 1);
  // A lost webhook: Certn moved the first case twice; the feed says so.
  ASSERT_TRUE(Check(recruiter_, sent.id).external_id.has_value());
  const std::string case_id = *Check(recruiter_, sent.id).external_id;
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "APPLICANT_STARTED");
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "APPLICANT_SUBMITTED");
  // Reconcile (every worker, every interval) adds no second read item.
  ASSERT_OK_AND_ASSIGN(teams, checks_->Reconcile());
  EXPECT_EQ(teams, 1);
  EXPECT_EQ(CountRows("work_items WHERE kind = 'certn.read_events'"), 1);
  ReadFeed(integrations_->config().reconcile_after);
  EXPECT_EQ(gateway_.calls("list_events"), 2);
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kInProgress);
  // One fetch for two events of one case; none for the quiet check the feed did not name.
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
  EXPECT_EQ(Check(recruiter_, quiet.id).status, CheckStatus::kInvited);
  // An interval later the feed has nothing new.
  ReadFeed();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
  EXPECT_EQ(gateway_.calls("list_events"), 3);
  EXPECT_EQ(metrics_.Count("stagecheck_certn_events_fallback_total"), 0);
}

TEST_F(ReconcileTest, SkipsEventsDeliveredAsWebhooksAndWaitsForYoungOnes) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  ReadFeed();  // the feed is empty: cursor ""
  const std::string case_id = gateway_.last_case_id();
  const int fetches = gateway_.calls("get_case");
  const absl::Duration interval = integrations_->config().reconcile_interval;
  // Event "1", made as the next read runs: its webhook is probably on the way.
  gateway_.event_time = clock_.Now() + interval;
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "APPLICANT_STARTED");
  ReadFeed();
  EXPECT_EQ(gateway_.calls("list_events"), 2);
  EXPECT_EQ(gateway_.calls("get_case"), fetches);
  // The read told the gateway which events are young, so that it stops
  // paging at them (the gateway's own test shows it does).
  EXPECT_EQ(gateway_.last_young_after, clock_.Now() - integrations_->config().events_grace);
  // It arrives (a delivery's id is its event's id) and fetches the case.
  EXPECT_EQ(Deliver(SignedEvent("1", case_id)).http_status, 200);
  Drain();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
  // The next read lists it again, old enough now: the webhook covered it.
  ReadFeed();
  EXPECT_EQ(gateway_.calls("list_events"), 3);
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
  // Event "2" never arrives as a webhook: the feed fetches the case once.
  gateway_.event_time = clock_.Now() - absl::Minutes(1);
  gateway_.SetStatus(case_id, CheckStatus::kComplete, "COMPLETE");
  ReadFeed();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 2);
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kComplete);
}

TEST_F(ReconcileTest, HistoryOlderThanReconcileAfterIsNotReplayedButTheQuietChecksAreFetched) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  const std::string case_id = gateway_.last_case_id();
  const int fetches = gateway_.calls("get_case");
  // The account's past: an event older than reconcile_after is skipped
  // (the check was just fetched, so it is not quiet either).
  gateway_.event_time = clock_.Now() - integrations_->config().reconcile_after - absl::Hours(1);
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "APPLICANT_STARTED");
  ReadFeed();
  EXPECT_EQ(gateway_.calls("get_case"), fetches);
  // A backlog of old events later (Certn was down for hours): not replayed
  // one by one; the checks quiet that long are fetched once instead.
  clock_.Advance(integrations_->config().reconcile_after);
  gateway_.event_time = clock_.Now() - integrations_->config().reconcile_after - absl::Hours(1);
  gateway_.SetStatus(case_id, CheckStatus::kInProgress, "APPLICANT_SUBMITTED");
  ReadFeed();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kInProgress);
  ReadFeed();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
}

TEST_F(ReconcileTest, FetchesQuietChecksWhereTheEventFeedCannotAnswer) {
  gateway_.events_feed = false;
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  gateway_.SetStatus(gateway_.last_case_id(), CheckStatus::kInProgress, "APPLICANT_STARTED");
  ReadFeed();  // nothing is quiet yet
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kInvited);
  ReadFeed(integrations_->config().reconcile_after);
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kInProgress);
  EXPECT_EQ(metrics_.Count("stagecheck_certn_events_fallback_total"), 2);
}

TEST_F(ReconcileTest, AFailedFeedReadIsTriedAgainNextIntervalFromTheSameCursor) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent, SendNow());
  Drain();
  ReadFeed();
  gateway_.SetStatus(gateway_.last_case_id(), CheckStatus::kInProgress, "APPLICANT_STARTED");
  gateway_.FailNext("list_events", absl::UnavailableError("Certn is down"));
  ReadFeed();
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kInvited);
  // Not retried beside the next read: one read an interval, and that one finds it.
  EXPECT_EQ(Drain(), 0);
  EXPECT_EQ(gateway_.calls("list_events"), 2);
  ReadFeed();
  EXPECT_EQ(gateway_.calls("list_events"), 3);
  EXPECT_EQ(Check(recruiter_, sent.id).status, CheckStatus::kInProgress);
}

TEST_F(ChecksTest, AdHocSendIsListedUnderTheCandidate) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(sent,
                       checks_->SendAdHoc(recruiter_, candidate_, "pkg-premium", std::nullopt));
  Drain();
  auto adhoc = applications_->AdHocChecks(recruiter_, candidate_);
  ASSERT_TRUE(adhoc.ok());
  ASSERT_EQ(adhoc->size(), 1u);
  EXPECT_EQ((*adhoc)[0].id, sent.id);
  EXPECT_EQ((*adhoc)[0].trigger, SendTrigger::kAdHoc);
  EXPECT_EQ((*adhoc)[0].status, CheckStatus::kInvited);
  EXPECT_EQ(ErrorCode(checks_->SendAdHoc(recruiter_, candidate_, "nope", std::nullopt).status()),
            "unknown_package");
}

TEST_F(ChecksTest, ASecondAdHocCheckOfTheSamePackageWhileOneIsOpenIsAConflict) {
  SetUpApplication();
  ASSERT_OK_AND_ASSIGN(first,
                       checks_->SendAdHoc(recruiter_, candidate_, "pkg-premium", std::nullopt));
  // Two clicks a few seconds apart, each with its own Idempotency-Key.
  auto again =
      checks_->SendAdHoc(recruiter_, candidate_, "pkg-premium", IdempotencyKey{"k2", "fp"});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorCode(again.status()), "check_already_active");
  // Another package is another check; an application's check does not count.
  ASSERT_OK(checks_->SendAdHoc(recruiter_, candidate_, "pkg-basic", std::nullopt));
  ASSERT_OK(SendNow());
  Drain();
  EXPECT_EQ(gateway_.calls("order"), 3);
  EXPECT_EQ(Check(recruiter_, first.id).status, CheckStatus::kInvited);
}

TEST_F(ChecksTest, ThePackageNameIsStoredWithEveryCheckHoweverItWasChosen) {
  // Tag override on auto-send: the name, not pkg-premium, everywhere.
  SetUpApplication(/*auto_send=*/true, "ada@example.com", {"Premium Package"});
  MoveTo("Background");
  Drain();
  auto tab = applications_->ReadTab(recruiter_, app_);
  ASSERT_TRUE(tab.ok()) << tab.status();
  std::optional<BackgroundCheck> sent;
  for (const StageView& sv : tab->stages) {
    for (const ActivityView& av : sv.activities) {
      if (!av.checks.empty()) sent = av.checks.front();
    }
  }
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->package_id, "pkg-premium");
  EXPECT_EQ(sent->package_name, "Premium Package");
  // A manual send that relies on the activity's package.
  ASSERT_OK_AND_ASSIGN(adhoc,
                       checks_->SendAdHoc(recruiter_, candidate_, "pkg-basic", std::nullopt));
  EXPECT_EQ(Check(recruiter_, adhoc.id).package_name, "Basic");
}

TEST_F(ChecksTest, ANewKeyCertnRejectsNeverReplacesTheWorkingOne) {
  SetUpApplication();
  const std::string working = gateway_.expected_key;
  auto before = integrations_->Get(admin_);
  ASSERT_TRUE(before.ok());
  // A typo: Certn refuses it, the admin hears why, recruiters keep sending.
  auto typo = integrations_->Connect(admin_, {working + "x", std::nullopt, std::nullopt});
  EXPECT_EQ(typo.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCode(typo.status()), "invalid_key");
  auto after = integrations_->Get(admin_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, ConnectionStatus::kConnected);
  EXPECT_EQ(after->masked_api_key, before->masked_api_key);
  ASSERT_OK(SendNow());
  Drain();
  EXPECT_EQ(gateway_.orders().size(), 1u);
  // Certn down while the key changes: nothing is replaced either.
  gateway_.FailNext("verify", absl::UnavailableError("down"));
  auto down = integrations_->Connect(admin_, {working + "y", std::nullopt, std::nullopt});
  EXPECT_EQ(ErrorCode(down.status()), "unreachable");
  EXPECT_EQ(integrations_->Get(admin_)->masked_api_key, before->masked_api_key);
}

TEST_F(ChecksTest, CertnKindOfferedOnlyWhileConnected) {
  SetUpApplication();
  auto kinds = plans_->OfferedKinds(admin_);
  ASSERT_TRUE(kinds.ok());
  EXPECT_EQ(kinds->size(), 3u);
  gateway_.expected_key = "someone-else";
  ASSERT_OK(integrations_->Verify(admin_));
  kinds = plans_->OfferedKinds(admin_);
  EXPECT_EQ(kinds->size(), 2u);
  ActivitySettings settings;
  settings.Set("package_id", std::string("pkg-basic"));
  auto added = plans_->AddActivity(admin_, job_, StageNamed(admin_, job_, "Screen"),
                                   "certn_background_check", settings);
  EXPECT_EQ(ErrorCode(added.status()), "certn_not_connected");
}

TEST_F(ChecksTest, CertnActivityRefusesBadSettings) {
  SetUpApplication();
  StageId screen = StageNamed(admin_, job_, "Screen");
  ActivitySettings unknown_package;
  unknown_package.Set("package_id", std::string("pkg-nope"));
  EXPECT_EQ(
      ErrorCode(plans_->AddActivity(admin_, job_, screen, "certn_background_check", unknown_package)
                    .status()),
      "unknown_package");
  ActivitySettings extra;
  extra.Set("package_id", std::string("pkg-basic"));
  extra.Set("colour", std::string("red"));
  EXPECT_EQ(
      ErrorCode(
          plans_->AddActivity(admin_, job_, screen, "certn_background_check", extra).status()),
      "invalid_settings");
  ActivitySettings wrong_type;
  wrong_type.Set("package_id", std::string("pkg-basic"));
  wrong_type.Set("auto_send", std::string("yes"));
  EXPECT_EQ(
      ErrorCode(
          plans_->AddActivity(admin_, job_, screen, "certn_background_check", wrong_type).status()),
      "invalid_settings");
  EXPECT_EQ(ErrorCode(plans_->AddActivity(recruiter_, job_, screen, "interview", {}).status()),
            "admin_only");
}

TEST_F(ChecksTest, ConnectStoresSecretsEncryptedAndMasked) {
  SetUpApplication();
  auto view = integrations_->Get(admin_);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->masked_api_key, "\u2022\u2022\u2022\u2022am-1");
  auto stored = InTransaction<CertnIntegration>(
      *store_, [&](UnitOfWork& u) { return CertnRows(u).GetIntegration(admin_.team); });
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->api_key_encrypted.find("key-for"), std::string::npos);
  EXPECT_EQ(stored->webhook_secret_encrypted.find(kSecret), std::string::npos);
  EXPECT_EQ(integrations_->Get(recruiter_).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ChecksTest, TwoTeamsCannotClaimOneCertnTeam) {
  SetUpApplication();
  auto issued = accounts_->CreateTeam("Copycat");
  ASSERT_TRUE(issued.ok());
  Principal copycat{issued->team, issued->user, Role::kAdmin};
  // The same key answers for the same Certn team.
  auto view =
      integrations_->Connect(copycat, {"key-for-certn-team-1", CertnRegion::kSandbox, kSecret});
  EXPECT_EQ(ErrorCode(view.status()), "certn_team_claimed");
}

}  // namespace
}  // namespace stagecheck::plugintest

namespace stagecheck::plugintest {
namespace {

TEST_F(ChecksTest, CertnRefusingTheStoredKeyIsNotTheCallers401) {
  SetUpApplication();
  gateway_.expected_key = "revoked-at-certn";
  clock_.Advance(integrations_->config().package_cache_ttl + absl::Seconds(1));
  auto packages = integrations_->Packages(admin_.team);
  EXPECT_EQ(packages.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCode(packages.status()), "invalid_key");
  EXPECT_EQ(FromCertnCode(absl::NotFoundError("Not found.")), "certn_case_not_found");
  EXPECT_EQ(FromCertnCode(absl::UnavailableError("down")), "unavailable");
}

// Issue 21 item 6: with worker threads running, a send's order is claimed in
// the send's own transaction and handed to the express thread once durable.
// The due-work thread polls once an hour and the manual clock never reaches
// the order's lease, so nothing but the hand-over can run it.
class HandedOrderTest : public ChecksTest {
 protected:
  void ConfigureWork(WorkRunnerOptions& options) override {
    options.threads = 1;
    options.express_threads = 1;
    options.poll_interval = absl::Hours(1);
  }
  // Polls `done` (set by another thread) for up to 20 s.
  static bool Eventually(const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!done()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return true;
  }
};

TEST_F(HandedOrderTest, ASendsOrderLeavesWithoutAClaimOfItsOwn) {
  SetUpApplication();
  worker_->Start();
  ASSERT_OK_AND_ASSIGN(created, SendNow());
  // Claimed once, in the send's transaction, and done.
  ASSERT_TRUE(Eventually([&] {
    return CountRows("work_items WHERE kind = 'certn.order' AND attempts = 1 AND state = 'done'") ==
           1;
  }));
  EXPECT_EQ(Check(recruiter_, created.id).status, CheckStatus::kInvited);
  EXPECT_EQ(gateway_.calls("order"), 1);
  worker_->Stop();
  EXPECT_EQ(Drain(), 0);  // done: nothing left pending
  EXPECT_EQ(gateway_.calls("order"), 1);
}

TEST_F(HandedOrderTest, WithoutStartedThreadsTheOrderWaitsForTheDueWorkClaims) {
  SetUpApplication();
  // Without started threads nothing is handed over: the order stays pending
  // and the due-work claims run it (the tests' Drain).
  ASSERT_OK_AND_ASSIGN(created, SendNow());
  EXPECT_EQ(gateway_.calls("order"), 0);
  EXPECT_EQ(Drain(), 1);
  EXPECT_EQ(gateway_.calls("order"), 1);
  EXPECT_EQ(Check(recruiter_, created.id).status, CheckStatus::kInvited);
}

}  // namespace
}  // namespace stagecheck::plugintest
