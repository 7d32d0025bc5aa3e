// Lever- and Kula-style features end to end: package override by candidate
// tag, the no-email error then fix and retry, ad-hoc checks, and a region
// change that re-verifies the key.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_support.h"

namespace stagecheck::e2e {
namespace {

std::string Move(ServiceProcess& svc, const std::string& token, const std::string& app,
                 const std::string& stage, HttpResponse* out = nullptr) {
  HttpResponse moved = svc.Post("/api/v1/applications/" + app + "/move",
                                absl::StrCat(R"({"stage_id":")", stage, R"("})"), token);
  EXPECT_EQ(moved.status, 200) << moved.body;
  if (out != nullptr) *out = moved;
  return moved.String("/application/stages/1/activities/0/background_check/id").value_or("");
}

TEST_F(E2eTest, CandidateTagNamingAPackageOverridesTheActivityPackage) {
  std::string job = CreateJobWithCertnStage("pkg-basic", /*auto_send=*/true);
  // pkg-standard's name in the default test packages; matching ignores case and spaces.
  HttpResponse packages = svc_->Get("/api/v1/integrations/certn/packages", team_.recruiter_token);
  std::string standard_name;
  for (size_t i = 0; i < packages.Size("/items").value_or(0); ++i) {
    if (packages.String("/items/" + std::to_string(i) + "/id") == "pkg-standard") {
      standard_name = packages.String("/items/" + std::to_string(i) + "/name").value_or("");
    }
  }
  ASSERT_FALSE(standard_name.empty()) << packages.body;
  std::string candidate = CreateCandidate(
      absl::StrCat(R"({"first_name":"Ada","last_name":"L","email":"ada@example.com","tags":["  )",
                   standard_name, R"( "]})"));
  std::string app = CreateApplication(candidate, job);
  std::string check = Move(*svc_, team_.recruiter_token, app, StageId(job, "Background"));
  ASSERT_FALSE(check.empty());
  HttpResponse invited = WaitForCheck(check, "/status", "invited");
  EXPECT_EQ(invited.String("/package_id"), "pkg-standard");
  EXPECT_EQ(invited.String("/trigger"), "auto_send");
  // The job's posting tag ("Remote") went onto the candidate with the application.
  HttpResponse c = svc_->Get("/api/v1/candidates/" + candidate, team_.recruiter_token);
  EXPECT_TRUE(absl::StrContains(c.body, "\"Remote\"")) << c.body;
}

TEST_F(E2eTest, NoEmailAutoSendIsAnErrorUntilTheEmailIsAddedAndTheMoveRepeated) {
  std::string job = CreateJobWithCertnStage("pkg-basic", /*auto_send=*/true);
  std::string candidate = CreateCandidate(R"({"first_name":"No","last_name":"Email"})");
  std::string app = CreateApplication(candidate, job);
  HttpResponse moved;
  std::string failed = Move(*svc_, team_.recruiter_token, app, StageId(job, "Background"), &moved);
  EXPECT_EQ(moved.Bool("/triggered/0/ok"), false);
  EXPECT_EQ(moved.String("/triggered/0/code"), "no_email");
  HttpResponse check = svc_->Get("/api/v1/background-checks/" + failed, team_.recruiter_token);
  EXPECT_EQ(check.String("/status"), "error");
  EXPECT_EQ(check.String("/error_reason"), "no_email");
  EXPECT_EQ(check.String("/labels/lever_tag"), "CERTN - Error (No Email)");
  HttpResponse c = svc_->Get("/api/v1/candidates/" + candidate, team_.recruiter_token);
  EXPECT_TRUE(absl::StrContains(c.body, "CERTN - Error (No Email)")) << c.body;
  HttpResponse feed =
      svc_->Get("/api/v1/candidates/" + candidate + "/activity", team_.recruiter_token);
  EXPECT_TRUE(absl::StrContains(feed.body, "no email address")) << feed.body;
  // A manual send says so as a sentence, too.
  HttpResponse manual =
      svc_->Post("/api/v1/applications/" + app + "/background-checks", "{}", team_.recruiter_token);
  EXPECT_EQ(manual.status, 422);
  EXPECT_EQ(manual.code(), "no_email");

  ASSERT_EQ(svc_->Patch("/api/v1/candidates/" + candidate, R"({"email":"fixed@example.com"})",
                        team_.recruiter_token)
                .status,
            200);
  Move(*svc_, team_.recruiter_token, app, StageId(job, "Screen"));
  std::string retried = Move(*svc_, team_.recruiter_token, app, StageId(job, "Background"));
  ASSERT_NE(retried, failed);
  WaitForCheck(retried, "/status", "invited");
  c = svc_->Get("/api/v1/candidates/" + candidate, team_.recruiter_token);
  EXPECT_TRUE(absl::StrContains(c.body, "CERTN - Pending")) << c.body;
  EXPECT_FALSE(absl::StrContains(c.body, "CERTN - Error")) << c.body;
}

TEST_F(E2eTest, AdHocCheckFromTheCandidateProfile) {
  std::string candidate =
      CreateCandidate(R"({"first_name":"Kula","last_name":"User","email":"k@example.com"})");
  HttpResponse sent = svc_->Post("/api/v1/candidates/" + candidate + "/background-checks",
                                 R"({"package_id":"pkg-basic"})", team_.recruiter_token);
  ASSERT_EQ(sent.status, 202) << sent.body;
  EXPECT_EQ(sent.String("/trigger"), "ad_hoc");
  EXPECT_TRUE(sent.IsNull("/application_id"));
  HttpResponse invited = WaitForCheck(sent.String("/id").value_or(""), "/status", "invited");
  EXPECT_EQ(invited.String("/labels/kula"), "Invitation completed");
  HttpResponse list =
      svc_->Get("/api/v1/candidates/" + candidate + "/background-checks", team_.recruiter_token);
  EXPECT_EQ(list.Size("/items"), 1u);
  EXPECT_EQ(list.String("/items/0/id"), sent.String("/id"));
  HttpResponse feed =
      svc_->Get("/api/v1/candidates/" + candidate + "/activity", team_.recruiter_token);
  EXPECT_TRUE(absl::StrContains(feed.body, "requested from the candidate profile")) << feed.body;
}

// The region decides the base URL; the fake Certn answers wrong_region for a
// key of another region.
class RegionTest : public ::testing::Test {};

TEST_F(RegionTest, ChangingTheRegionIsVerifiedBeforeItReplacesAWorkingOne) {
  auto fake = fake_certn::FakeCertnProcess::Start();
  ASSERT_TRUE(fake.ok()) << fake.status();
  testing::ServiceOptions options;
  options.certn_base_url = (*fake)->base_url() + "/regions/{region}";
  auto svc = ServiceProcess::Start(options);
  ASSERT_TRUE(svc.ok()) << svc.status();
  auto team = (*svc)->CreateTeam("regions");
  ASSERT_TRUE(team.ok());
  testing::CertnConnectOptions connect;
  connect.region = "uk_emea";
  // The account lives in uk_emea; connecting with that region verifies.
  auto certn = testing::ConnectCertn(**svc, **fake, *team, connect);
  ASSERT_TRUE(certn.ok()) << certn.status();
  auto verifications = [&] { return (*fake)->Requests("groups")->size(); };
  size_t before = verifications();
  // The wrong region is tried first and refused: the working connection stays.
  HttpResponse moved =
      (*svc)->Put("/api/v1/integrations/certn", R"({"region":"apac"})", team->admin_token);
  // Keys are region-scoped: another region answers a plain 401 (docs/architecture.md).
  ASSERT_EQ(moved.status, 422) << moved.body;
  EXPECT_EQ(moved.code(), "invalid_key");
  EXPECT_NE(moved.String("/detail").value_or("").find("region"), std::string::npos) << moved.body;
  EXPECT_EQ(verifications(), before + 1);
  HttpResponse kept = (*svc)->Get("/api/v1/integrations/certn", team->admin_token);
  EXPECT_EQ(kept.String("/region"), "uk_emea") << kept.body;
  EXPECT_EQ(kept.String("/status"), "connected") << kept.body;
  // A change Certn accepts is verified once and stored.
  HttpResponse back =
      (*svc)->Put("/api/v1/integrations/certn", R"({"region":"uk_emea"})", team->admin_token);
  EXPECT_EQ(back.String("/status"), "connected") << back.body;
  EXPECT_EQ(verifications(), before + 2);
}

}  // namespace
}  // namespace stagecheck::e2e
