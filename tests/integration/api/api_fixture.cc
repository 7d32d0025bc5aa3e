#include "tests/integration/api/api_fixture.h"

#include <cstdio>

#include "tests/support/service/certn_setup.h"

namespace stagecheck::api_test {

std::unique_ptr<fake_certn::FakeCertnProcess> ApiTest::fake_;
std::unique_ptr<ServiceProcess> ApiTest::service_;
int ApiTest::team_counter_ = 0;

::testing::AssertionResult IsProblem(const HttpResponse& r, int status, const std::string& code) {
  if (r.status != status) {
    return ::testing::AssertionFailure()
           << "expected " << status << " " << code << ", got " << Describe(r);
  }
  std::string type = r.Header("content-type").value_or("");
  if (type.rfind("application/problem+json", 0) != 0) {
    return ::testing::AssertionFailure() << "content-type is '" << type << "': " << Describe(r);
  }
  if (r.code() != code) {
    return ::testing::AssertionFailure() << "expected code " << code << ", got " << Describe(r);
  }
  if (r.Int("/status") != status || !r.String("/type") || !r.String("/title")) {
    return ::testing::AssertionFailure() << "not an RFC 9457 body: " << r.body;
  }
  return ::testing::AssertionSuccess();
}

void ApiTest::SetUpTestSuite() { StartSuite({}); }

void ApiTest::StartSuite(std::vector<std::string> serve_args) {
  auto fake = fake_certn::FakeCertnProcess::Start();
  if (!fake.ok()) {
    ADD_FAILURE() << "fake Certn: " << fake.status();
    return;
  }
  fake_ = *std::move(fake);
  auto svc = ServiceProcess::Start(
      {.certn_base_url = fake_->base_url(), .extra_args = std::move(serve_args)});
  if (!svc.ok()) {
    ADD_FAILURE() << "stagecheck serve: " << svc.status();
    return;
  }
  service_ = *std::move(svc);
}

void ApiTest::TearDownTestSuite() {
  if (service_) {
    absl::Status stopped = service_->Stop();
    EXPECT_TRUE(stopped.ok()) << stopped << "\nlog: " << service_->ReadLog().substr(0, 4000);
  }
  service_.reset();
  fake_.reset();
}

void ApiTest::SetUp() {
  ASSERT_TRUE(fake_ != nullptr && service_ != nullptr) << "suite set-up failed";
  ASSERT_TRUE(service_->running());
}

TeamTokens ApiTest::NewTeam() {
  std::string name =
      absl::StrCat("team-", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-",
                   ++team_counter_);
  auto team = service_->CreateTeam(name);
  EXPECT_TRUE(team.ok()) << team.status();
  return team.ok() ? *team : TeamTokens{};
}

std::string ApiTest::CreateJob(const TeamTokens& team, const std::string& title) {
  HttpResponse r = svc().Post("/api/v1/jobs", absl::StrCat(R"({"title":)", JsonQuote(title), "}"),
                              team.admin_token);
  EXPECT_EQ(r.status, 201) << Describe(r);
  return r.String("/id").value_or("");
}

std::string ApiTest::AddStage(const TeamTokens& team, const std::string& job,
                              const std::string& name) {
  HttpResponse r = svc().Post("/api/v1/jobs/" + job + "/interview-plan/stages",
                              absl::StrCat(R"({"name":)", JsonQuote(name), "}"), team.admin_token);
  EXPECT_EQ(r.status, 201) << Describe(r);
  return r.String("/id").value_or("");
}

std::string ApiTest::AddCertnActivity(const TeamTokens& team, const std::string& job,
                                      const std::string& stage, const std::string& package) {
  HttpResponse r =
      svc().Post("/api/v1/jobs/" + job + "/interview-plan/stages/" + stage + "/activities",
                 absl::StrCat(R"({"kind":"certn_background_check","settings":{"package_id":)",
                              JsonQuote(package), R"(,"auto_send":false}})"),
                 team.admin_token);
  EXPECT_EQ(r.status, 201) << Describe(r);
  return r.String("/id").value_or("");
}

std::string ApiTest::CreateCandidate(const TeamTokens& team, const std::string& email) {
  std::string body = R"({"first_name":"Ada","last_name":"Lovelace")";
  if (!email.empty()) absl::StrAppend(&body, R"(,"email":)", JsonQuote(email));
  body += "}";
  HttpResponse r = svc().Post("/api/v1/candidates", body, team.recruiter_token);
  EXPECT_EQ(r.status, 201) << Describe(r);
  return r.String("/id").value_or("");
}

std::string ApiTest::CreateApplication(const TeamTokens& team, const std::string& candidate,
                                       const std::string& job) {
  HttpResponse r = svc().Post("/api/v1/applications",
                              absl::StrCat(R"({"candidate_id":)", JsonQuote(candidate),
                                           R"(,"job_id":)", JsonQuote(job), "}"),
                              team.recruiter_token);
  EXPECT_EQ(r.status, 201) << Describe(r);
  return r.String("/id").value_or("");
}

std::string ApiTest::SendCheck(const TeamTokens& team, const std::string& application,
                               const std::string& activity) {
  HttpResponse r = svc().Post("/api/v1/applications/" + application + "/background-checks",
                              absl::StrCat(R"({"activity_id":)", JsonQuote(activity), "}"),
                              team.recruiter_token);
  EXPECT_EQ(r.status, 202) << Describe(r);
  return r.String("/id").value_or("");
}

void ApiTest::WaitOrdered(const TeamTokens& team, const std::string& check) {
  HttpResponse last;
  bool ordered = stagecheck::testing::WaitFor([&] {
    last = svc().Get("/api/v1/background-checks/" + check, team.recruiter_token);
    return last.status == 200 && last.String("/certn_case_id").has_value();
  });
  EXPECT_TRUE(ordered) << "check never ordered: " << Describe(last);
}

World ApiTest::NewWorld(bool connect_certn, bool send_check) {
  World w;
  w.team = NewTeam();
  if (connect_certn) {
    auto certn = stagecheck::testing::ConnectCertn(svc(), fake(), w.team);
    EXPECT_TRUE(certn.ok()) << certn.status();
    if (certn.ok()) w.certn = *certn;
  }
  w.job = CreateJob(w.team);
  w.stage = AddStage(w.team, w.job, "Screen");
  w.bg_stage = AddStage(w.team, w.job, "Background");
  if (connect_certn) w.activity = AddCertnActivity(w.team, w.job, w.bg_stage);
  w.candidate = CreateCandidate(w.team);
  w.application = CreateApplication(w.team, w.candidate, w.job);
  if (connect_certn && send_check) {
    w.check = SendCheck(w.team, w.application, w.activity);
    WaitOrdered(w.team, w.check);
    WaitQuiet(w.team);
    const std::string case_id =
        svc()
            .Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token)
            .String("/certn_case_id")
            .value_or("");
    auto deliveries = fake().Deliveries();
    EXPECT_TRUE(deliveries.ok()) << deliveries.status();
    if (deliveries.ok()) {
      for (const auto& d : *deliveries) {
        if (d.object_id == case_id && d.status >= 200 && d.status < 300) w.delivery = d.delivery_id;
      }
    }
    EXPECT_FALSE(w.delivery.empty()) << "no accepted delivery for case " << case_id;
  }
  return w;
}

std::string ApiTest::Snapshot(const World& w) {
  const std::string& admin = w.team.admin_token;
  const std::string& rec = w.team.recruiter_token;
  std::vector<std::pair<std::string, std::string>> reads = {
      {"/api/v1/team", admin},
      {"/api/v1/jobs?limit=100", admin},
      {"/api/v1/candidates?limit=100", rec},
      {"/api/v1/applications?limit=100", rec},
  };
  if (!w.certn.api_key.empty()) reads.push_back({"/api/v1/integrations/certn", admin});
  if (!w.job.empty()) {
    reads.push_back({"/api/v1/jobs/" + w.job, admin});
    reads.push_back({"/api/v1/jobs/" + w.job + "/interview-plan", admin});
  }
  if (!w.candidate.empty()) {
    reads.push_back({"/api/v1/candidates/" + w.candidate, rec});
    reads.push_back({"/api/v1/candidates/" + w.candidate + "/activity?limit=100", rec});
    reads.push_back({"/api/v1/candidates/" + w.candidate + "/files", rec});
    reads.push_back({"/api/v1/candidates/" + w.candidate + "/background-checks", rec});
  }
  if (!w.application.empty()) reads.push_back({"/api/v1/applications/" + w.application, rec});
  if (!w.check.empty()) reads.push_back({"/api/v1/background-checks/" + w.check, rec});
  std::string out;
  for (const auto& [path, token] : reads) {
    HttpResponse r = svc().Get(path, token);
    absl::StrAppend(&out, path, " -> ", r.status, " ", r.body, "\n");
  }
  if (!w.certn.certn_team_id.empty())
    absl::StrAppend(&out, "certn orders: ", CertnOrders(w.certn.certn_team_id), "\n");
  return out;
}

std::string ApiTest::StableSnapshot(const World& w) {
  WaitQuiet(w.team);
  return Snapshot(w);
}

void ApiTest::WaitQuiet(const TeamTokens& team) {
  // The service's asynchronous work is a chain: a work item (say, an order)
  // makes the fake Certn queue a webhook before it answers; the webhook's
  // delivery commits a work item (a case fetch) before it is answered. The
  // work queue and the fake are read one after the other, never together, so
  // one look can fall between two links of the chain. Quiet therefore means:
  // no work due, then no webhook pending, then still no work due and no work
  // finished since the first look (a finished item may have caused a webhook).
  // Items scheduled for later (a retry's backoff) are not due.
  auto work = [&] {
    return QueryText(
        absl::StrCat("SELECT (SELECT COUNT(*) FROM work_items WHERE team_id = '", team.team_id,
                     // Due, or about to be: a webhook's fetch waits fetch_coalesce (1 s).
                     // The event-feed reads recur forever; what they cause is counted.
                     "' AND kind <> 'certn.read_events' AND state = 'pending' AND run_at <= ",
                     absl::ToUnixMicros(absl::Now() + absl::Seconds(2)),
                     "), (SELECT COUNT(*) FROM work_items WHERE team_id = '", team.team_id,
                     "' AND kind <> 'certn.read_events' AND state <> 'pending')"));
  };
  std::string why;
  bool quiet = stagecheck::testing::WaitFor(
      [&] {
        const std::string first = work();
        if (first.rfind("0|", 0) != 0) {
          why = "work items due (due|finished: " + first + ")";
          return false;
        }
        auto pending = fake().PendingDeliveries();
        if (!pending.ok() || *pending != 0) {
          why = pending.ok()
                    ? absl::StrCat(*pending, " webhook deliveries pending at the fake Certn")
                    : pending.status().ToString();
          return false;
        }
        const std::string second = work();
        why = "work moved on while looking (" + first + " then " + second + ")";
        return second == first;
      },
      absl::Seconds(60));
  EXPECT_TRUE(quiet) << "the service never became quiet: " << why;
}

size_t ApiTest::CertnOrders(const std::string& certn_team_id) {
  auto requests = fake().Requests("order_package");
  EXPECT_TRUE(requests.ok()) << requests.status();
  if (!requests.ok()) return 0;
  size_t n = 0;
  for (const auto& r : *requests) n += r.certn_team_id == certn_team_id ? 1 : 0;
  return n;
}

int64_t ApiTest::CountRows(const std::string& table, const std::string& team_id) {
  std::string sql = "SELECT COUNT(*) FROM " + table;
  if (!team_id.empty()) sql += " WHERE team_id = '" + team_id + "'";
  return QueryInt(sql);
}

int64_t ApiTest::QueryInt(const std::string& sql) {
  std::string out = QueryText(sql);
  return out.empty() ? -1 : std::stoll(out);
}

void ApiTest::ExecSql(const std::string& sql) { RunSqlite(sql, /*read_only=*/false); }

std::string ApiTest::QueryText(const std::string& sql) {
  return RunSqlite(sql, /*read_only=*/true);
}

std::string ApiTest::RunSqlite(const std::string& sql, bool read_only) {
  // The service holds the database open (WAL): a writer waits for its lock.
  std::string command = std::string("sqlite3 ") +
                        (read_only ? "-readonly " : "-cmd '.timeout 10000' ") + "'" +
                        svc().sqlite_path() + "' \"" + sql + "\" 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed";
    return "";
  }
  std::string out;
  char buffer[256];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
  int rc = ::pclose(pipe);
  EXPECT_EQ(rc, 0) << command << ": " << out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return rc == 0 ? out : "";
}

}  // namespace stagecheck::api_test

namespace stagecheck::api_test {

std::vector<Endpoint> AllEndpoints(const World& w) {
  const std::string plan = "/api/v1/jobs/" + w.job + "/interview-plan";
  const std::string stage = plan + "/stages/" + w.stage;
  const std::string activity = plan + "/stages/" + w.bg_stage + "/activities/" + w.activity;
  const std::string cand = "/api/v1/candidates/" + w.candidate;
  const std::string app = "/api/v1/applications/" + w.application;
  const std::string check = "/api/v1/background-checks/" + w.check;
  const std::string long_name(201, 'x');
  return {
      {"PUT",
       "/api/v1/integrations/certn",
       R"({"region":"north_america"})",
       true,
       false,
       {R"({"api_key":12345678})", R"({"region":"mars"})", R"({"webhook_secret":"short"})",
        R"({"environment":"staging"})", R"({"region":null})"}},
      {"GET", "/api/v1/integrations/certn", "", true},
      {"POST", "/api/v1/integrations/certn/verify", "", true},
      {"POST",
       "/api/v1/integrations/certn/webhook-secret/rotate",
       R"({"webhook_secret":"rotated-secret-0123456789"})",
       true,
       false,
       {"{}", R"({"webhook_secret":1234567890123456})", R"({"webhook_secret":"short"})"}},
      {"GET", "/api/v1/integrations/certn/packages", "", false},
      {"GET", "/api/v1/integrations/certn/deliveries", "", true},
      {"POST",
       "/api/v1/integrations/certn/deliveries/" +
           (w.delivery.empty() ? std::string("no-such-delivery") : w.delivery) + "/replay",
       "", true, true},
      {"GET", "/api/v1/me", "", false},
      {"GET", "/api/v1/team", "", false},
      {"PATCH",
       "/api/v1/team",
       R"({"default_package_id":"pkg-basic"})",
       true,
       false,
       {R"({"default_package_id":5})", R"({"default_package_id":""})",
        R"({"default_package_id":["a"]})"}},
      {"GET", "/api/v1/activity-kinds", "", true},
      {"POST",
       "/api/v1/jobs",
       R"({"title":"Another job"})",
       true,
       false,
       {"{}", R"({"title":""})", R"({"title":5})", R"({"title":null})",
        R"({"title":"x","tags":"a"})", R"({"title":"x","tags":[1]})",
        absl::StrCat(R"({"title":")", long_name, R"("})")}},
      {"GET", "/api/v1/jobs", "", false},
      {"GET", "/api/v1/jobs/" + w.job, "", false, true},
      {"PATCH",
       "/api/v1/jobs/" + w.job,
       R"({"title":"Renamed"})",
       true,
       true,
       {R"({"title":null})", R"({"title":5})", R"({"tags":[""]})",
        R"({"default_package_id":false})"}},
      {"GET", plan, "", false, true},
      {"POST",
       plan + "/stages",
       R"({"name":"Offer"})",
       true,
       true,
       {"{}", R"({"name":5})", R"({"name":"x","position":-1})", R"({"name":"x","position":"1"})",
        R"({"name":"x","position":1.5})", R"({"name":""})"}},
      {"PATCH",
       stage,
       R"({"name":"Phone screen"})",
       true,
       true,
       {R"({"name":""})", R"({"position":1001})", R"({"name":true})"}},
      {"DELETE", stage, "", true, true},
      {"POST",
       plan + "/stages/" + w.bg_stage + "/activities",
       R"({"kind":"interview","settings":{}})",
       true,
       true,
       {"{}", R"({"kind":5})", R"({"kind":"certn_background_check","settings":[]})",
        R"({"kind":""})",
        R"({"kind":"certn_background_check","settings":{"package_id":{"id":"pkg-basic"}}})",
        R"({"kind":"certn_background_check","settings":{"package_id":"pkg-basic","auto_send":0.5}})"}},
      {"PATCH",
       activity,
       R"({"settings":{"package_id":"pkg-standard","auto_send":false}})",
       true,
       true,
       {"{}", R"({"settings":"pkg-basic"})", R"({"settings":{"package_id":["pkg-basic"]}})",
        R"({"settings":{"auto_send":null}})"}},
      {"DELETE", activity, "", true, true},
      {"POST",
       "/api/v1/candidates",
       R"({"first_name":"Grace","last_name":"Hopper"})",
       false,
       false,
       {"{}", R"({"first_name":"Grace"})", R"({"first_name":5,"last_name":"Hopper"})",
        R"({"first_name":"Grace","last_name":"Hopper","email":5})",
        R"({"first_name":"Grace","last_name":"Hopper","tags":[5]})",
        R"({"first_name":"","last_name":"Hopper"})"}},
      {"GET", "/api/v1/candidates", "", false},
      {"GET", cand, "", false, true},
      {"PATCH",
       cand,
       R"({"first_name":"Augusta"})",
       false,
       true,
       {R"({"first_name":""})", R"({"email":5})", R"({"tags":"x"})", R"({"last_name":null})"}},
      {"GET", cand + "/files", "", false, true},
      {"GET", cand + "/files/00000000-0000-0000-0000-000000000000", "", false, true},
      {"GET", cand + "/activity", "", false, true},
      {"GET", cand + "/background-checks", "", false, true},
      {"POST",
       cand + "/background-checks",
       R"({"package_id":"pkg-basic"})",
       false,
       true,
       {"{}", R"({"package_id":5})", R"({"package_id":""})", R"({"package_id":null})"}},
      {"POST",
       "/api/v1/applications",
       absl::StrCat(R"({"candidate_id":)", JsonQuote(w.candidate), R"(,"job_id":)",
                    JsonQuote(w.job), "}"),
       false,
       false,
       {"{}", R"({"candidate_id":5,"job_id":"x"})", R"({"candidate_id":"a"})",
        R"({"candidate_id":"","job_id":"b"})"}},
      {"GET", "/api/v1/applications", "", false},
      {"GET", "/api/v1/applications/counts", "", false},
      {"GET", app, "", false, true},
      {"POST",
       app + "/move",
       absl::StrCat(R"({"stage_id":)", JsonQuote(w.bg_stage), "}"),
       false,
       true,
       {"{}", R"({"stage_id":5})", R"({"stage_id":""})"}},
      {"POST",
       app + "/status",
       R"({"status":"hired"})",
       false,
       true,
       {"{}", R"({"status":"fired"})", R"({"status":5})"}},
      {"POST",
       app + "/background-checks",
       absl::StrCat(R"({"activity_id":)", JsonQuote(w.activity), "}"),
       false,
       true,
       {R"({"activity_id":5})", R"({"package_id":""})", R"({"activity_id":null})"}},
      {"GET", check, "", false, true},
      {"POST", check + "/refresh", "", false, true},
      {"POST",
       check + "/cancel",
       R"({"reason":"Candidate withdrew"})",
       false,
       true,
       {R"({"reason":5})", "{\"reason\":\"" + std::string(501, 'x') + "\"}", R"({"why":"x"})"}},
      {"POST",
       check + "/reorder",
       R"({"package_id":"pkg-basic"})",
       false,
       true,
       {R"({"package_id":""})", R"({"package_id":5})", R"({"package":"pkg-basic"})"}},
      {"GET", check + "/report", "", false, true},
      {"GET", "/api/v1/team/retention", "", true},
      {"PATCH",
       "/api/v1/team/retention",
       R"({"report_days":180})",
       true,
       false,
       {R"({"report_days":0})", R"({"delivery_body_days":3651})", R"({"report_days":"30"})",
        R"({"unverified_metadata_days":1.5})", R"({"report_days":null})"}},
      {"DELETE", cand, "", true, true},
  };
}

std::vector<Endpoint> BodyEndpoints(const World& w) {
  std::vector<Endpoint> out;
  for (Endpoint& e : AllEndpoints(w)) {
    if (!e.invalid_bodies.empty()) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace stagecheck::api_test
