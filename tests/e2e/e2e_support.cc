#include "tests/e2e/e2e_support.h"

#include "absl/strings/str_cat.h"

namespace stagecheck::e2e {

void E2eTest::SetUp() {
  auto fake = fake_certn::FakeCertnProcess::Start();
  ASSERT_TRUE(fake.ok()) << fake.status();
  fake_ = *std::move(fake);
  testing::ServiceOptions options;
  options.certn_base_url = fake_->base_url();
#ifdef STAGECHECK_E2E_POSTGRES
  auto db = pgtest::ScratchDatabase::Create();
  ASSERT_TRUE(db.ok()) << "PostgreSQL is required for this test: " << db.status();
  db_.emplace(*std::move(db));
  options.db = db_->url();
#endif
  AdjustService(options);
  auto svc = ServiceProcess::Start(options);
  ASSERT_TRUE(svc.ok()) << svc.status();
  svc_ = *std::move(svc);
  auto team = svc_->CreateTeam("acme");
  ASSERT_TRUE(team.ok()) << team.status();
  team_ = *team;
  auto certn = testing::ConnectCertn(*svc_, *fake_, team_);
  ASSERT_TRUE(certn.ok()) << certn.status();
  certn_ = *certn;
}

std::string E2eTest::CreateJobWithCertnStage(const std::string& package, bool auto_send) {
  HttpResponse job =
      svc_->Post("/api/v1/jobs", R"({"title":"Site Reliability Engineer","tags":["Remote"]})",
                 team_.admin_token);
  EXPECT_EQ(job.status, 201) << job.body;
  std::string job_id = job.String("/id").value_or("");
  std::string plan = "/api/v1/jobs/" + job_id + "/interview-plan";
  EXPECT_EQ(svc_->Post(plan + "/stages", R"({"name":"Screen"})", team_.admin_token).status, 201);
  HttpResponse stage = svc_->Post(plan + "/stages", R"({"name":"Background"})", team_.admin_token);
  EXPECT_EQ(stage.status, 201) << stage.body;
  HttpResponse activity =
      svc_->Post(plan + "/stages/" + stage.String("/id").value_or("") + "/activities",
                 absl::StrCat(R"({"kind":"certn_background_check","settings":{"package_id":")",
                              package, R"(","auto_send":)", auto_send ? "true" : "false", "}}"),
                 team_.admin_token);
  EXPECT_EQ(activity.status, 201) << activity.body;
  return job_id;
}

std::string E2eTest::StageId(const std::string& job, const std::string& name) {
  HttpResponse plan = svc_->Get("/api/v1/jobs/" + job + "/interview-plan", team_.recruiter_token);
  for (size_t i = 0; i < plan.Size("/stages").value_or(0); ++i) {
    std::string p = "/stages/" + std::to_string(i);
    if (plan.String(p + "/name") == name) return plan.String(p + "/id").value_or("");
  }
  ADD_FAILURE() << "no stage " << name;
  return "";
}

std::string E2eTest::ActivityId(const std::string& job) {
  HttpResponse plan = svc_->Get("/api/v1/jobs/" + job + "/interview-plan", team_.recruiter_token);
  for (size_t i = 0; i < plan.Size("/stages").value_or(0); ++i) {
    std::string p = "/stages/" + std::to_string(i) + "/activities/0";
    if (plan.String(p + "/kind") == "certn_background_check")
      return plan.String(p + "/id").value_or("");
  }
  ADD_FAILURE() << "no Certn activity";
  return "";
}

std::string E2eTest::CreateCandidate(const std::string& body) {
  HttpResponse c = svc_->Post("/api/v1/candidates", body, team_.recruiter_token);
  EXPECT_EQ(c.status, 201) << c.body;
  return c.String("/id").value_or("");
}

std::string E2eTest::CreateApplication(const std::string& candidate, const std::string& job) {
  HttpResponse a =
      svc_->Post("/api/v1/applications",
                 absl::StrCat(R"({"candidate_id":")", candidate, R"(","job_id":")", job, R"("})"),
                 team_.recruiter_token);
  EXPECT_EQ(a.status, 201) << a.body;
  return a.String("/id").value_or("");
}

HttpResponse E2eTest::WaitForCheck(const std::string& check, const std::string& pointer,
                                   const std::string& value, absl::Duration timeout) {
  HttpResponse last;
  bool reached = testing::WaitFor(
      [&] {
        last = svc_->Get("/api/v1/background-checks/" + check, team_.recruiter_token);
        return last.String(pointer) == value;
      },
      timeout);
  EXPECT_TRUE(reached) << pointer << " never became " << value << "; last: " << last.body;
  return last;
}

void E2eTest::AdvanceToComplete(const std::string& case_id) {
  for (int step = 0; step < 10; ++step) {
    auto advanced = fake_->AdvanceCase(case_id);
    ASSERT_TRUE(advanced.ok()) << advanced.status();
    if (advanced->find("\"overall_status\":\"COMPLETE\"") != std::string::npos) return;
  }
  FAIL() << "case never completed";
}

HttpResponse E2eTest::SendCheckForNewCandidate(const std::string& candidate_json) {
  std::string job = CreateJobWithCertnStage("pkg-basic");
  std::string app = CreateApplication(CreateCandidate(candidate_json), job);
  return svc_->Post("/api/v1/applications/" + app + "/background-checks", "{}",
                    team_.recruiter_token);
}

}  // namespace stagecheck::e2e
