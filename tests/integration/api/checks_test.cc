// Sending background checks through the API: the application tab, the
// one-active-order rule under 20 concurrent sends, check-specific errors,
// and secrets that never leave the service.
#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class ChecksTest : public ApiTest {};

TEST_F(ChecksTest, ApplicationTabShowsStagesActivitiesAndTheCheck) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  const std::string tab_path = "/api/v1/applications/" + w.application;
  HttpResponse tab = svc().Get(tab_path, w.team.recruiter_token);
  ASSERT_EQ(tab.status, 200) << Describe(tab);
  EXPECT_EQ(tab.String("/id"), w.application);
  EXPECT_EQ(tab.String("/status"), "active");
  EXPECT_EQ(tab.String("/stage_id"), w.stage);
  EXPECT_EQ(tab.String("/candidate/id"), w.candidate);
  EXPECT_EQ(tab.String("/candidate/email"), "ada@example.com");
  EXPECT_EQ(tab.String("/job/id"), w.job);
  ASSERT_EQ(tab.Size("/stages"), 2u) << tab.body;
  EXPECT_EQ(tab.String("/stages/0/id"), w.stage);
  EXPECT_EQ(tab.String("/stages/0/name"), "Screen");
  EXPECT_EQ(tab.Bool("/stages/0/current"), true);
  EXPECT_EQ(tab.Size("/stages/0/activities"), 0u);
  EXPECT_EQ(tab.Bool("/stages/1/current"), false);
  ASSERT_EQ(tab.Size("/stages/1/activities"), 1u) << tab.body;
  EXPECT_EQ(tab.String("/stages/1/activities/0/id"), w.activity);
  EXPECT_EQ(tab.String("/stages/1/activities/0/kind"), "certn_background_check");
  EXPECT_EQ(tab.String("/stages/1/activities/0/activity/settings/package_id"), "pkg-basic");
  EXPECT_EQ(tab.Bool("/stages/1/activities/0/activity/settings/auto_send"), false);
  EXPECT_TRUE(tab.IsNull("/stages/1/activities/0/background_check")) << tab.body;
  EXPECT_EQ(tab.Size("/stages/1/activities/0/earlier_checks"), 0u);
  EXPECT_EQ(tab.Size("/other_checks"), 0u);
  EXPECT_TRUE(tab.String("/created_at").has_value());
  EXPECT_TRUE(tab.String("/updated_at").has_value());

  // Sent from the first stage (any stage may send), the package preselected.
  const std::string check = SendCheck(w.team, w.application, w.activity);
  WaitOrdered(w.team, check);
  tab = svc().Get(tab_path, w.team.recruiter_token);
  ASSERT_EQ(tab.status, 200) << Describe(tab);
  const std::string c = "/stages/1/activities/0/background_check";
  EXPECT_EQ(tab.String(c + "/id"), check);
  EXPECT_EQ(tab.String(c + "/package_id"), "pkg-basic");
  EXPECT_EQ(tab.String(c + "/application_id"), w.application);
  EXPECT_EQ(tab.String(c + "/activity_id"), w.activity);
  EXPECT_EQ(tab.String(c + "/trigger"), "manual");
  EXPECT_EQ(tab.String(c + "/status"), "invited") << tab.body;
  EXPECT_EQ(tab.String(c + "/labels/gem"), "Pending");
  EXPECT_EQ(tab.String(c + "/labels/lever_tag"), "CERTN - Pending");
  EXPECT_EQ(tab.String(c + "/labels/kula"), "Invitation completed");
  EXPECT_TRUE(tab.String(c + "/certn_case_id").has_value());
  EXPECT_GE(tab.Size(c + "/history").value_or(0), 1u);
  EXPECT_EQ(tab.Size("/stages/1/activities/0/earlier_checks"), 0u);
  // The check resource agrees with the tab.
  HttpResponse direct = svc().Get("/api/v1/background-checks/" + check, w.team.recruiter_token);
  EXPECT_EQ(direct.String("/certn_case_id"), tab.String(c + "/certn_case_id"));
  // Report before completion: 409 report_not_ready.
  EXPECT_PROBLEM(
      svc().Get("/api/v1/background-checks/" + check + "/report", w.team.recruiter_token), 409,
      "report_not_ready");
}

// Runs `n` copies of `fn` at once (released together) and returns their answers.
std::vector<HttpResponse> InParallel(int n, const std::function<HttpResponse()>& fn) {
  std::vector<HttpResponse> out(static_cast<size_t>(n));
  std::atomic<int> waiting{n};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();
      out[static_cast<size_t>(i)] = fn();
    });
  }
  for (std::thread& t : threads) t.join();
  return out;
}

TEST_F(ChecksTest, TwentyConcurrentSendsMakeExactlyOneCertnOrder) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  const std::string send_path = "/api/v1/applications/" + w.application + "/background-checks";
  const std::string body = absl::StrCat(R"({"activity_id":)", JsonQuote(w.activity), "}");

  // 1. The same Idempotency-Key twenty times.
  const Headers key = {{"Idempotency-Key", "send-" + stagecheck::testing::RandomHex(8)}};
  std::vector<HttpResponse> keyed =
      InParallel(20, [&] { return svc().Post(send_path, body, w.team.recruiter_token, key); });
  std::string check;
  int created = 0, replayed = 0, conflicts = 0;
  for (const HttpResponse& r : keyed) {
    if (r.status == 202) {
      if (check.empty()) check = r.String("/id").value_or("");
      EXPECT_EQ(r.String("/id"), check) << "every 202 is the same check";
      (r.Header("idempotent-replayed") == "true" ? replayed : created)++;
    } else {
      EXPECT_PROBLEM(r, 409, "check_already_active");
      ++conflicts;
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(created + replayed + conflicts, 20);
  ASSERT_FALSE(check.empty());
  for (const HttpResponse& r : keyed) {
    if (r.status == 409) {
      EXPECT_EQ(r.String("/existing_check/id"), check) << r.body;
    }
  }
  WaitOrdered(w.team, check);

  // 2. Twenty sends without a key, for a second application.
  const std::string candidate2 = CreateCandidate(w.team, "grace@example.com");
  const std::string app2 = CreateApplication(w.team, candidate2, w.job);
  const std::string send2 = "/api/v1/applications/" + app2 + "/background-checks";
  std::vector<HttpResponse> unkeyed =
      InParallel(20, [&] { return svc().Post(send2, body, w.team.recruiter_token); });
  std::string check2;
  int accepted = 0;
  for (const HttpResponse& r : unkeyed) {
    if (r.status == 202) {
      ++accepted;
      check2 = r.String("/id").value_or("");
      EXPECT_FALSE(r.Header("idempotent-replayed").has_value());
    } else {
      EXPECT_PROBLEM(r, 409, "check_already_active");
    }
  }
  EXPECT_EQ(accepted, 1);
  ASSERT_FALSE(check2.empty());
  for (const HttpResponse& r : unkeyed) {
    if (r.status == 409) {
      EXPECT_EQ(r.String("/existing_check/id"), check2) << r.body;
    }
  }
  WaitOrdered(w.team, check2);

  // Once everything is quiet: one Certn order per application, no more.
  World quiet = w;
  quiet.check = check2;
  StableSnapshot(quiet);
  EXPECT_EQ(CertnOrders(w.certn.certn_team_id), 2u);
  auto orders = fake().Requests("order_package");
  ASSERT_TRUE(orders.ok()) << orders.status();
  std::set<std::string> keys;
  for (const auto& o : *orders) {
    if (o.certn_team_id == w.certn.certn_team_id) keys.insert(o.idempotency_key);
  }
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_EQ(CountRows("background_checks", w.team.team_id), 2);
  // And a late retry with the first key still replays the first check.
  HttpResponse late = svc().Post(send_path, body, w.team.recruiter_token, key);
  EXPECT_EQ(late.status, 202) << Describe(late);
  EXPECT_EQ(late.String("/id"), check);
  EXPECT_EQ(late.Header("idempotent-replayed"), "true");
}

TEST_F(ChecksTest, SendErrorsAreSpecificAndChangeNothing) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/true);
  const std::string before = StableSnapshot(w);
  const std::string send = "/api/v1/applications/" + w.application + "/background-checks";
  // A second send while one is active names the active check.
  HttpResponse twice = svc().Post(
      send, absl::StrCat(R"({"activity_id":)", JsonQuote(w.activity), "}"), w.team.recruiter_token);
  EXPECT_PROBLEM(twice, 409, "check_already_active");
  EXPECT_EQ(twice.String("/existing_check/id"), w.check);
  // Unknown activity.
  EXPECT_PROBLEM(svc().Post(send, R"({"activity_id":"no-such-activity"})", w.team.recruiter_token),
                 404, "activity_not_found");
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(ChecksTest, SendingWithoutCertnOrEmailIsRefused) {
  World w = NewWorld(/*connect_certn=*/false, /*send_check=*/false);
  const std::string before = StableSnapshot(w);
  HttpResponse r = svc().Post("/api/v1/applications/" + w.application + "/background-checks",
                              R"({"package_id":"pkg-basic"})", w.team.recruiter_token);
  EXPECT_PROBLEM(r, 422, "certn_not_connected");
  HttpResponse adhoc = svc().Post("/api/v1/candidates/" + w.candidate + "/background-checks",
                                  R"({"package_id":"pkg-basic"})", w.team.recruiter_token);
  EXPECT_PROBLEM(adhoc, 422, "certn_not_connected");
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(ChecksTest, NoEmailIsRefusedUntilOneIsAdded) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  const std::string candidate = CreateCandidate(w.team, /*email=*/"");
  const std::string app = CreateApplication(w.team, candidate, w.job);
  const size_t orders = CertnOrders(w.certn.certn_team_id);
  HttpResponse adhoc = svc().Post("/api/v1/candidates/" + candidate + "/background-checks",
                                  R"({"package_id":"pkg-basic"})", w.team.recruiter_token);
  EXPECT_PROBLEM(adhoc, 422, "no_email");
  HttpResponse send = svc().Post("/api/v1/applications/" + app + "/background-checks",
                                 absl::StrCat(R"({"activity_id":)", JsonQuote(w.activity), "}"),
                                 w.team.recruiter_token);
  EXPECT_PROBLEM(send, 422, "no_email");
  EXPECT_EQ(CertnOrders(w.certn.certn_team_id), orders);
  ASSERT_EQ(svc()
                .Patch("/api/v1/candidates/" + candidate, R"({"email":"late@example.com"})",
                       w.team.recruiter_token)
                .status,
            200);
  const std::string check = SendCheck(w.team, app, w.activity);
  WaitOrdered(w.team, check);
}

TEST_F(ChecksTest, SecretsNeverAppearInResponsesOrTheLog) {
  World w = NewWorld();
  std::vector<HttpResponse> seen = {w.certn.connect_response};
  const std::string rotated = "rotated-" + stagecheck::testing::RandomHex(16);
  seen.push_back(svc().Post("/api/v1/integrations/certn/webhook-secret/rotate",
                            absl::StrCat(R"({"webhook_secret":)", JsonQuote(rotated), "}"),
                            w.team.admin_token));
  EXPECT_EQ(seen.back().status, 200) << Describe(seen.back());
  seen.push_back(svc().Post("/api/v1/integrations/certn/verify", "", w.team.admin_token));
  EXPECT_EQ(seen.back().status, 200) << Describe(seen.back());
  seen.push_back(
      svc().Put("/api/v1/integrations/certn", R"({"region":"north_america"})", w.team.admin_token));
  EXPECT_EQ(seen.back().status, 200) << Describe(seen.back());
  // A refused connect echoes nothing of what it was given.
  seen.push_back(svc().Put("/api/v1/integrations/certn",
                           absl::StrCat(R"({"api_key":)", JsonQuote(w.certn.api_key + " x"), "}"),
                           w.team.admin_token));
  EXPECT_EQ(seen.back().status, 400) << Describe(seen.back());
  seen.push_back(svc().Get("/api/v1/integrations/certn", w.team.admin_token));
  EXPECT_EQ(seen.back()
                .String("/api_key")
                .value_or("")
                .rfind("\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2", 0),
            0u)
      << "masked as ••••abcd: " << seen.back().body;
  EXPECT_EQ(seen.back().String("/api_key").value_or("").substr(12),
            w.certn.api_key.substr(w.certn.api_key.size() - 4));
  for (const Endpoint& e : AllEndpoints(w)) {
    if (e.method != "GET") continue;
    seen.push_back(svc().Get(e.path, e.admin_only ? w.team.admin_token : w.team.recruiter_token));
  }
  // A webhook round trip so that signed deliveries went through the log too.
  HttpResponse check = svc().Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token);
  ASSERT_TRUE(fake().AdvanceCase(check.String("/certn_case_id").value_or("")).ok());
  ASSERT_TRUE(fake().FlushDeliveries().ok());
  StableSnapshot(w);
  for (const HttpResponse& r : seen) {
    for (const std::string& secret :
         {w.certn.api_key, w.certn.webhook_secret, rotated, svc().encryption_key()}) {
      EXPECT_EQ(r.body.find(secret), std::string::npos) << "secret in a response: " << r.body;
      for (const auto& [name, value] : r.headers)
        EXPECT_EQ(value.find(secret), std::string::npos) << name;
    }
  }
  // The service's log sink batches lines for up to 100 ms: wait until the
  // access line of the last request above is written.
  ASSERT_TRUE(
      testing::WaitFor([&] { return svc().LogContains("/api/v1/background-checks/" + w.check); },
                       absl::Seconds(10)));
  const std::string log = svc().ReadLog();
  ASSERT_FALSE(log.empty());
  for (const std::string& secret :
       {w.certn.api_key, w.certn.webhook_secret, rotated, svc().encryption_key(),
        w.team.admin_token, w.team.recruiter_token}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "secret in the service log";
  }
}

// docs/certn-api.md through the real service and the fake Certn: groups name
// no team (Verify connects anyway, deliveries are matched by case), a status
// Certn adds later is in progress, and a declined applicant cancels the check.
TEST_F(ChecksTest, WithoutATeamIdAnUnknownStatusAndADeclineAreFollowedByWebhook) {
  World w = NewWorld();
  HttpResponse integration = svc().Get("/api/v1/integrations/certn", w.team.admin_token);
  EXPECT_EQ(integration.String("/status"), "connected") << integration.body;
  EXPECT_FALSE(integration.String("/certn_team_id").has_value()) << integration.body;
  HttpResponse check = svc().Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token);
  const std::string case_id = check.String("/certn_case_id").value_or("");
  EXPECT_FALSE(check.String("/overall_score").has_value()) << check.body;  // null until scored
  auto wait_for = [&](const std::string& certn_status) {
    bool seen = testing::WaitFor([&] {
      check = svc().Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token);
      return check.String("/certn_status") == certn_status;
    });
    EXPECT_TRUE(seen) << certn_status << ": " << check.body;
  };
  ASSERT_TRUE(fake()
                  .Call("POST", "/_control/cases/" + case_id + "/advance",
                        R"({"status":"AWAITING_SOMETHING_NEW","allow_unknown":true})")
                  .ok());
  wait_for("AWAITING_SOMETHING_NEW");
  EXPECT_EQ(check.String("/status"), "in_progress");
  ASSERT_TRUE(fake().AdvanceCase(case_id, "APPLICANT_DECLINED").ok());
  wait_for("APPLICANT_DECLINED");
  EXPECT_EQ(check.String("/status"), "cancelled");
  EXPECT_EQ(check.String("/error_reason"), "applicant_declined");
  // Logged (the log sink batches lines for up to 100 ms).
  EXPECT_TRUE(testing::WaitFor([&] { return svc().LogContains("certn.unknown_status"); },
                               absl::Seconds(10)));
}

// docs/certn-api.md: the account's rate limit is a per-integration setting,
// 60 a minute and 7,220 a day unless an admin says otherwise.
TEST_F(ChecksTest, TheCertnRateLimitIsAPerIntegrationSetting) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  HttpResponse got = svc().Get("/api/v1/integrations/certn", w.team.admin_token);
  EXPECT_EQ(got.Int("/requests_per_minute"), 60) << got.body;
  EXPECT_EQ(got.Int("/requests_per_day"), 7220) << got.body;
  HttpResponse set =
      svc().Put("/api/v1/integrations/certn",
                R"({"requests_per_minute":30,"requests_per_day":5000})", w.team.admin_token);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.Int("/requests_per_minute"), 30);
  got = svc().Get("/api/v1/integrations/certn", w.team.admin_token);
  EXPECT_EQ(got.Int("/requests_per_minute"), 30);
  EXPECT_EQ(got.Int("/requests_per_day"), 5000);
  for (const char* bad : {R"({"requests_per_minute":0})", R"({"requests_per_minute":"60"})",
                          R"({"requests_per_day":-1})", R"({"requests_per_minute":6001})",
                          R"({"requests_per_day":1.5})"}) {
    EXPECT_PROBLEM(svc().Put("/api/v1/integrations/certn", bad, w.team.admin_token), 400,
                   "invalid_body");
  }
  EXPECT_EQ(svc().Get("/api/v1/integrations/certn", w.team.admin_token).Int("/requests_per_minute"),
            30);
}

// Issue 15 item 5: Certn sends a burst for one change (the case's event and
// one per check); the fetch they ask for waits fetch_coalesce, so the burst
// finds it pending and costs one case fetch.
TEST_F(ChecksTest, ABurstOfWebhooksForOneCaseIsOneCaseFetch) {
  World w = NewWorld();
  WaitQuiet(w.team);
  const std::string case_id =
      svc()
          .Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token)
          .String("/certn_case_id")
          .value_or("");
  ASSERT_FALSE(case_id.empty());
  auto fetches = [&] {
    auto requests = fake().Requests("get_case");
    EXPECT_TRUE(requests.ok()) << requests.status();
    size_t n = 0;
    for (const auto& r : requests.value_or(std::vector<fake_certn::LoggedRequest>{})) {
      n += r.path.find(case_id) != std::string::npos ? 1 : 0;
    }
    return n;
  };
  const size_t before = fetches();
  for (const char* type : {"CASE_STATUS_CHANGED", "CHECK_STATUS_CHANGED", "CHECK_STATUS_CHANGED"}) {
    ASSERT_TRUE(fake().SendWebhook(case_id, type).ok());
  }
  WaitQuiet(w.team);
  EXPECT_EQ(fetches(), before + 1);
}

}  // namespace
}  // namespace stagecheck::api_test
