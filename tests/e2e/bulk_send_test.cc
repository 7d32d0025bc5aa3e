// Bulk send (docs/architecture.md, "Bulk send"), end to end on each back-end
// against a fake Certn that enforces its rate limit (a 2-second window here,
// so the limit binds within seconds): 200 applications selected at once, of
// which some already have an active check (skipped) and some candidates no
// email (failed). Every other application reaches Certn exactly once, never
// faster than the limit, and every poll of the progress adds up.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_support.h"

namespace stagecheck::e2e {
namespace {

constexpr int kApplications = 200;
constexpr int kAlreadyActive = 10;  // the first ones: sent one by one before
constexpr int kNoEmail = 2;         // the last ones
constexpr int kPerWindow = 60;
constexpr int kWindowMs = 2000;

class BulkSendTest : public E2eTest {
 protected:
  void AdjustService(testing::ServiceOptions& options) override {
    options.extra_args.insert(options.extra_args.end(),
                              {"--certn-rate-window-ms", absl::StrCat(kWindowMs)});
  }

  std::vector<std::string> CreateApplications(const std::string& job) {
    std::vector<std::string> apps;
    for (int i = 0; i < kApplications; ++i) {
      const bool email = i < kApplications - kNoEmail;
      std::string candidate = CreateCandidate(
          absl::StrCat(R"({"first_name":"Bulk","last_name":"Candidate)", i, R"(")",
                       email ? absl::StrCat(R"(,"email":"bulk)", i, R"(@example.com")") : "", "}"));
      apps.push_back(CreateApplication(candidate, job));
    }
    return apps;
  }
};

std::string IdsJson(const std::vector<std::string>& ids) {
  std::string out = R"({"application_ids":[)";
  for (size_t i = 0; i < ids.size(); ++i) absl::StrAppend(&out, i ? "," : "", "\"", ids[i], "\"");
  return out + "]}";
}

// One poll's invariants: every application once, counts that add up, no
// entry going back (a sent one stays sent), and reasons where they belong.
void CheckPoll(const HttpResponse& poll, std::map<std::string, std::string>& last_state) {
  ASSERT_EQ(poll.status, 200) << poll.body;
  ASSERT_EQ(poll.Size("/items"), static_cast<size_t>(kApplications));
  int64_t sum = 0;
  for (const char* state : {"queued", "sent", "skipped", "failed"})
    sum += poll.Int(absl::StrCat("/counts/", state)).value_or(-1);
  EXPECT_EQ(sum, kApplications) << poll.body;
  for (int i = 0; i < kApplications; ++i) {
    const std::string p = absl::StrCat("/items/", i);
    const std::string app = poll.String(p + "/application_id").value_or("");
    const std::string state = poll.String(p + "/state").value_or("");
    const bool ended = state == "skipped" || state == "failed";
    EXPECT_EQ(poll.String(p + "/candidate_name").value_or("").rfind("Bulk Candidate", 0), 0u);
    EXPECT_EQ(poll.String(p + "/reason").has_value(), ended) << poll.body;
    if (state == "sent") {
      EXPECT_TRUE(poll.String(p + "/check_id").has_value());
    }
    std::string& before = last_state[app];
    if (!before.empty() && before != "queued") {
      EXPECT_EQ(state, before) << app << " went from " << before;
    }
    before = state;
  }
}

TEST_F(BulkSendTest, TwoHundredApplicationsAreSentOnceEachWithinTheRateLimit) {
  // Certn's limit, and this account's own, are 60 calls in any 2 s.
  ASSERT_TRUE(fake_->SetRateLimit(kPerWindow, kWindowMs).ok());
  HttpResponse limited =
      svc_->Put("/api/v1/integrations/certn",
                absl::StrCat(R"({"requests_per_minute":)", kPerWindow, "}"), team_.admin_token);
  ASSERT_EQ(limited.status, 200) << limited.body;
  // Each new case's webhook would fetch it on the same budget; this is about orders.
  ASSERT_TRUE(fake_->SetWebhookFaults({.wrong_signature = true}).ok());
  ASSERT_TRUE(fake_->SetEventsFeed(false).ok());
  std::string job = CreateJobWithCertnStage("pkg-standard");
  std::vector<std::string> apps = CreateApplications(job);
  std::set<std::string> active;
  for (int i = 0; i < kAlreadyActive; ++i) {
    HttpResponse one = svc_->Post("/api/v1/applications/" + apps[i] + "/background-checks", "{}",
                                  team_.recruiter_token);
    ASSERT_EQ(one.status, 202) << one.body;
    active.insert(one.String("/id").value_or(""));
  }

  HttpResponse created = svc_->Post("/api/v1/bulk-sends", IdsJson(apps), team_.recruiter_token,
                                    {{"Idempotency-Key", "bulk-200"}});
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string bulk = created.String("/id").value_or("");
  EXPECT_EQ(created.Header("location"), "/api/v1/bulk-sends/" + bulk);
  EXPECT_EQ(created.Int("/total"), kApplications);
  HttpResponse replay = svc_->Post("/api/v1/bulk-sends", IdsJson(apps), team_.recruiter_token,
                                   {{"Idempotency-Key", "bulk-200"}});
  EXPECT_EQ(replay.String("/id"), bulk) << replay.body;

  std::map<std::string, std::string> states;
  HttpResponse poll;
  const bool done = testing::WaitFor(
      [&] {
        poll = svc_->Get("/api/v1/bulk-sends/" + bulk, team_.recruiter_token);
        CheckPoll(poll, states);
        return poll.String("/status") == "done";
      },
      absl::Seconds(90));
  ASSERT_TRUE(done) << poll.body;
  EXPECT_EQ(poll.Int("/counts/sent"), kApplications - kAlreadyActive - kNoEmail);
  EXPECT_EQ(poll.Int("/counts/skipped"), kAlreadyActive);
  EXPECT_EQ(poll.Int("/counts/failed"), kNoEmail);
  EXPECT_EQ(poll.Int("/counts/queued"), 0);
  std::set<std::string> bulk_checks;
  for (int i = 0; i < kApplications; ++i) {
    const std::string p = absl::StrCat("/items/", i);
    if (i < kAlreadyActive) {
      EXPECT_EQ(poll.String(p + "/reason"), "check_already_active");
    }
    if (i >= kApplications - kNoEmail) {
      EXPECT_EQ(poll.String(p + "/reason"), "no_email");
    }
    if (poll.String(p + "/state") == "sent") bulk_checks.insert(*poll.String(p + "/check_id"));
  }
  EXPECT_EQ(bulk_checks.size(), static_cast<size_t>(kApplications - kAlreadyActive - kNoEmail));

  auto log = fake_->Requests();
  ASSERT_TRUE(log.ok()) << log.status();
  std::map<std::string, int> orders;  // reference (our check id) -> accepted orders
  std::vector<int64_t> calls;
  int throttled = 0;
  for (const auto& r : *log) {
    throttled += r.status == 429;
    if (r.status != 429) calls.push_back(r.at_unix_ms);
    if (r.endpoint == "order_package" && r.status == 201) ++orders[r.idempotency_key];
  }
  EXPECT_EQ(throttled, 0) << "Certn answered 429: the drain outran the account's limit";
  for (const std::string& check : bulk_checks) EXPECT_EQ(orders[check], 1) << check;
  for (const std::string& check : active) EXPECT_EQ(orders[check], 1) << check;
  EXPECT_EQ(orders.size(), bulk_checks.size() + active.size());
  // Never more than the limit in any window.
  std::sort(calls.begin(), calls.end());
  size_t most = 0;
  for (size_t first = 0, last = 0; last < calls.size(); ++last) {
    while (calls[last] - calls[first] >= kWindowMs) ++first;
    most = std::max(most, last - first + 1);
  }
  EXPECT_LE(most, static_cast<size_t>(kPerWindow));
}

TEST_F(E2eTest, ABulkSendOfAStageSkipsInactiveApplicationsAndRefusesBadSelections) {
  std::string job = CreateJobWithCertnStage("pkg-standard");
  std::vector<std::string> apps;
  for (int i = 0; i < 3; ++i) {
    std::string candidate =
        CreateCandidate(absl::StrCat(R"({"first_name":"Stage","last_name":"C)", i,
                                     R"(","email":"stage)", i, R"(@example.com"})"));
    apps.push_back(CreateApplication(candidate, job));
  }
  const std::string screen = StageId(job, "Screen");
  HttpResponse rejected = svc_->Post("/api/v1/applications/" + apps[2] + "/status",
                                     R"({"status":"rejected"})", team_.recruiter_token);
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  HttpResponse created =
      svc_->Post("/api/v1/bulk-sends",
                 absl::StrCat(R"({"job_id":")", job, R"(","stage_id":")", screen, R"("})"),
                 team_.recruiter_token);
  ASSERT_EQ(created.status, 202) << created.body;
  EXPECT_EQ(created.Int("/total"), 3);
  HttpResponse poll;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        poll = svc_->Get("/api/v1/bulk-sends/" + created.String("/id").value_or(""),
                         team_.recruiter_token);
        // Entries are handed over one by one while the worker orders the
        // ones already handed, so two may be sent before the third's skip
        // is recorded: wait for the whole send to finish.
        return poll.String("/status") == "done";
      },
      absl::Seconds(20)))
      << poll.body;
  EXPECT_EQ(poll.Int("/counts/sent"), 2);
  EXPECT_EQ(poll.Int("/counts/skipped"), 1);
  std::map<std::string, std::string> reasons;
  for (int i = 0; i < 3; ++i) {
    std::string p = absl::StrCat("/items/", i);
    reasons[poll.String(p + "/application_id").value_or("")] =
        poll.String(p + "/reason").value_or("");
  }
  EXPECT_EQ(reasons[apps[2]], "application_not_active");

  // The stage's name is not its id; an unknown job; an empty stage.
  HttpResponse no_stage = svc_->Post(
      "/api/v1/bulk-sends", absl::StrCat(R"({"job_id":")", job, R"(","stage_id":"Screen"})"),
      team_.recruiter_token);
  EXPECT_EQ(no_stage.status, 404) << no_stage.body;
  EXPECT_EQ(no_stage.code(), "stage_not_found");
  HttpResponse no_job = svc_->Post(
      "/api/v1/bulk-sends", absl::StrCat(R"({"job_id":"nope","stage_id":")", screen, R"("})"),
      team_.recruiter_token);
  EXPECT_EQ(no_job.status, 404) << no_job.body;
  HttpResponse empty = svc_->Post(
      "/api/v1/bulk-sends",
      absl::StrCat(R"({"job_id":")", job, R"(","stage_id":")", StageId(job, "Background"), R"("})"),
      team_.recruiter_token);
  EXPECT_EQ(empty.status, 422) << empty.body;
  EXPECT_EQ(empty.code(), "empty_selection");

  // A package the team cannot order is refused before anything is queued.
  HttpResponse unknown_package = svc_->Post(
      "/api/v1/bulk-sends",
      absl::StrCat(R"({"application_ids":[")", apps[0], R"("],"package_id":"pkg-typo"})"),
      team_.recruiter_token);
  EXPECT_EQ(unknown_package.status, 400) << unknown_package.body;
  EXPECT_EQ(unknown_package.code(), "unknown_package");
}

}  // namespace
}  // namespace stagecheck::e2e
