// The three things users do, end to end over real HTTP: an admin adds a Certn
// activity to an interview stage, a recruiter sends the check from the
// application tab, the fake Certn delivers signed webhooks, the recruiter opens
// the results (status, results URL, inline report, PDF in the candidate's files).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_support.h"

namespace stagecheck::e2e {
namespace {

TEST_F(E2eTest, GemFlowFromActivityToResults) {
  // Admin: packages are live from Certn, tenant-only ones hidden.
  HttpResponse packages = svc_->Get("/api/v1/integrations/certn/packages", team_.admin_token);
  ASSERT_EQ(packages.status, 200) << packages.body;
  EXPECT_TRUE(absl::StrContains(packages.body, "pkg-standard"));
  EXPECT_FALSE(absl::StrContains(packages.body, "pkg-tenant"));
  HttpResponse kinds = svc_->Get("/api/v1/activity-kinds", team_.admin_token);
  EXPECT_TRUE(absl::StrContains(kinds.body, "certn_background_check")) << kinds.body;
  std::string job = CreateJobWithCertnStage("pkg-standard");

  // Recruiter: candidate + application, then send from the application tab.
  std::string candidate =
      CreateCandidate(R"({"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com"})");
  std::string app = CreateApplication(candidate, job);
  HttpResponse tab = svc_->Get("/api/v1/applications/" + app, team_.recruiter_token);
  ASSERT_EQ(tab.status, 200);
  EXPECT_EQ(tab.Size("/stages"), 2u);
  EXPECT_TRUE(tab.IsNull("/stages/1/activities/0/background_check"));
  HttpResponse sent = svc_->Post("/api/v1/applications/" + app + "/background-checks",
                                 absl::StrCat(R"({"activity_id":")", ActivityId(job), R"("})"),
                                 team_.recruiter_token, {{"Idempotency-Key", "send-1"}});
  ASSERT_EQ(sent.status, 202) << sent.body;
  std::string check = sent.String("/id").value_or("");
  EXPECT_EQ(sent.String("/package_id"), "pkg-standard");

  // The worker orders the case; Certn emails the candidate.
  HttpResponse invited = WaitForCheck(check, "/status", "invited");
  std::string case_id = invited.String("/certn_case_id").value_or("");
  ASSERT_FALSE(case_id.empty());
  auto orders = fake_->Requests("order_package");
  ASSERT_TRUE(orders.ok());
  EXPECT_EQ(orders->size(), 1u);

  // Certn moves the case along and calls the webhook; the tab follows.
  ASSERT_TRUE(fake_->AdvanceCase(case_id, "APPLICANT_STARTED").ok());
  WaitForCheck(check, "/status", "in_progress");
  AdvanceToComplete(case_id);
  HttpResponse complete = WaitForCheck(check, "/status", "complete");
  EXPECT_EQ(complete.String("/labels/gem"), "Complete");
  EXPECT_EQ(complete.String("/labels/lever_tag"), "CERTN - Complete");
  EXPECT_EQ(complete.String("/labels/kula"), "Eligible");
  ASSERT_TRUE(complete.String("/results_url").has_value());
  EXPECT_GE(complete.Size("/history").value_or(0), 3u);
  tab = svc_->Get("/api/v1/applications/" + app, team_.recruiter_token);
  EXPECT_EQ(tab.String("/stages/1/activities/0/background_check/status"), "complete");
  EXPECT_EQ(tab.String("/stages/1/activities/0/background_check/results_url"),
            complete.String("/results_url"));

  // The report PDF lands in the candidate's files, byte-identical to Certn's.
  HttpResponse saved;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        saved = svc_->Get("/api/v1/background-checks/" + check, team_.recruiter_token);
        return saved.String("/report_file_id").has_value();
      },
      absl::Seconds(20)))
      << saved.body;
  HttpResponse files =
      svc_->Get("/api/v1/candidates/" + candidate + "/files", team_.recruiter_token);
  ASSERT_EQ(files.Size("/items"), 1u) << files.body;
  std::string short_id = complete.String("/certn_short_id").value_or("?");
  EXPECT_EQ(files.String("/items/0/name"), "Certn_Report_" + short_id + ".pdf");
  HttpResponse pdf =
      svc_->Get(files.String("/items/0/download_url").value_or(""), team_.recruiter_token);
  ASSERT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.Header("content-type"), "application/pdf");
  auto certn_case = fake_->Call("GET", "/api/public/cases/" + case_id + "/", "",
                                {{"Authorization", "Api-Key " + certn_.api_key}});
  ASSERT_TRUE(certn_case.ok());
  HttpResponse parsed{200, {}, *certn_case};
  // Certn's report-files answers a short-lived presigned URL (docs/certn-api.md
  // section 5); the bytes behind it are the original.
  auto file = fake_->Call(
      "GET",
      "/api/public/cases/report-files/" + parsed.String("/report_file_id").value_or("") + "/", "",
      {{"Authorization", "Api-Key " + certn_.api_key}});
  ASSERT_TRUE(file.ok()) << file.status();
  HttpResponse presigned{200, {}, *file};
  const std::string url = presigned.String("/url").value_or("");
  const std::string prefix = "http://127.0.0.1:" + std::to_string(fake_->port());
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
  auto original = fake_->Call("GET", url.substr(prefix.size()));
  ASSERT_TRUE(original.ok()) << original.status();
  EXPECT_EQ(pdf.body, *original);
  EXPECT_EQ(pdf.body.rfind("%PDF-", 0), 0u);
  // Stagecheck asked for the report once, downloaded it without its key,
  // and never shows or logs the presigned URL.
  EXPECT_EQ(fake_->Requests("generate_report")->size(), 1u);
  // Stagecheck's download(s) — two racing fetches may each start one; one
  // file is kept — and this test's: all answered 200, so none carried the key.
  auto downloads = fake_->Requests("report_download");
  ASSERT_TRUE(downloads.ok());
  ASSERT_GE(downloads->size(), 2u);
  for (const auto& d : *downloads) EXPECT_EQ(d.status, 200);
  EXPECT_FALSE(svc_->LogContains("/_files/reports/"));
  EXPECT_FALSE(absl::StrContains(saved.body, "/_files/reports/"));
  EXPECT_EQ(complete.String("/overall_score"), "CLEAR");

  // The inline report.
  HttpResponse report =
      svc_->Get("/api/v1/background-checks/" + check + "/report", team_.recruiter_token);
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(report.String("/case_id"), short_id);
  EXPECT_EQ(report.String("/candidate/first_name"), "Ada");
  EXPECT_TRUE(report.String("/date_ordered").has_value());
  EXPECT_TRUE(report.String("/date_completed").has_value());
  EXPECT_EQ(report.Size("/checks"), 3u);
  EXPECT_TRUE(absl::StrContains(report.body, "Adverse Media"));

  // The activity feed tells the story, newest first.
  HttpResponse feed =
      svc_->Get("/api/v1/candidates/" + candidate + "/activity", team_.recruiter_token);
  for (const char* type : {"check_sent", "candidate_started", "status_changed", "report_saved"}) {
    EXPECT_TRUE(absl::StrContains(feed.body, absl::StrCat("\"type\":\"", type, "\""))) << type;
  }
  // Webhooks really arrived (not only reconciliation).
  HttpResponse integration = svc_->Get("/api/v1/integrations/certn", team_.admin_token);
  EXPECT_TRUE(integration.String("/last_delivery_at").has_value()) << integration.body;
  // Secrets never leave the service.
  EXPECT_FALSE(absl::StrContains(integration.body, certn_.api_key));
  EXPECT_FALSE(svc_->LogContains(certn_.api_key));
  EXPECT_FALSE(svc_->LogContains(certn_.webhook_secret));
}

TEST_F(E2eTest, ReportIsNotReadyBeforeCompletion) {
  HttpResponse sent = SendCheckForNewCandidate(
      R"({"first_name":"Grace","last_name":"Hopper","email":"grace@example.com"})");
  ASSERT_EQ(sent.status, 202) << sent.body;
  HttpResponse report =
      svc_->Get("/api/v1/background-checks/" + sent.String("/id").value_or("") + "/report",
                team_.recruiter_token);
  EXPECT_EQ(report.status, 409);
  EXPECT_EQ(report.code(), "report_not_ready");
}

TEST_F(E2eTest, AutoSendOnStageMoveAndStatusTagsOneAtATime) {
  // pkg-standard has three checks, so Certn's IN_PROGRESS with one of them done is "partial".
  std::string job = CreateJobWithCertnStage("pkg-standard", /*auto_send=*/true);
  std::string candidate =
      CreateCandidate(R"({"first_name":"Alan","last_name":"Turing","email":"alan@example.com"})");
  std::string app = CreateApplication(candidate, job);
  HttpResponse moved = svc_->Post(
      "/api/v1/applications/" + app + "/move",
      absl::StrCat(R"({"stage_id":")", StageId(job, "Background"), R"("})"), team_.recruiter_token);
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.Bool("/triggered/0/ok"), true) << moved.body;
  std::string check =
      moved.String("/application/stages/1/activities/0/background_check/id").value_or("");
  ASSERT_FALSE(check.empty()) << moved.body;
  HttpResponse invited = WaitForCheck(check, "/status", "invited");
  std::string case_id = invited.String("/certn_case_id").value_or("");
  auto tags = [&] {
    HttpResponse c = svc_->Get("/api/v1/candidates/" + candidate, team_.recruiter_token);
    std::vector<std::string> out;
    for (size_t i = 0; i < c.Size("/system_tags").value_or(0); ++i) {
      std::string t = c.String("/system_tags/" + std::to_string(i)).value_or("");
      if (absl::StartsWith(t, "CERTN - ")) out.push_back(t);
    }
    return out;
  };
  EXPECT_EQ(tags(), std::vector<std::string>{"CERTN - Pending"});
  ASSERT_TRUE(fake_->AdvanceCase(case_id, "APPLICANT_STARTED").ok());
  WaitForCheck(check, "/status", "in_progress");
  EXPECT_EQ(tags(), std::vector<std::string>{"CERTN - Analyzing"});
  ASSERT_TRUE(fake_->AdvanceCase(case_id, "IN_PROGRESS").ok());
  WaitForCheck(check, "/status", "partial");
  EXPECT_EQ(tags(), std::vector<std::string>{"CERTN - Partial"});
  ASSERT_TRUE(fake_->AdvanceCase(case_id, "COMPLETE").ok());
  WaitForCheck(check, "/status", "complete");
  EXPECT_EQ(tags(), std::vector<std::string>{"CERTN - Complete"});
  // Moving out and back in sends nothing new.
  svc_->Post("/api/v1/applications/" + app + "/move",
             absl::StrCat(R"({"stage_id":")", StageId(job, "Screen"), R"("})"),
             team_.recruiter_token);
  svc_->Post("/api/v1/applications/" + app + "/move",
             absl::StrCat(R"({"stage_id":")", StageId(job, "Background"), R"("})"),
             team_.recruiter_token);
  auto orders = fake_->Requests("order_package");
  ASSERT_TRUE(orders.ok());
  EXPECT_EQ(orders->size(), 1u);
}

}  // namespace
}  // namespace stagecheck::e2e
