// Retention settings and erasure through the API (issue 19): defaults,
// changes, out-of-range values and roles; DELETE of a candidate by an admin
// cancels its open check, leaves none of its words in any column of any
// table and answers a second DELETE the same; reports are sealed at rest.
#include "gmock/gmock.h"
#include "tests/integration/api/api_fixture.h"
#include "tests/support/store/catalog_search.h"

namespace stagecheck::api_test {
namespace {

class RetentionApiTest : public ApiTest {
 protected:
  std::vector<std::string> ColumnsHolding(const std::string& word) {
    absl::StatusOr<std::vector<std::string>> hits = storetest::ColumnsContaining(svc().db(), word);
    EXPECT_TRUE(hits.ok()) << hits.status();
    return hits.ok() ? *hits : std::vector<std::string>{"<search failed>"};
  }
  HttpResponse WaitCheck(const World& w, const std::string& check,
                         const std::function<bool(const HttpResponse&)>& done) {
    HttpResponse last;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          last = svc().Get("/api/v1/background-checks/" + check, w.team.recruiter_token);
          return done(last);
        },
        absl::Seconds(30)))
        << Describe(last);
    return last;
  }
};

TEST_F(RetentionApiTest, SettingsHaveDefaultsChangeForOneTeamAndRefuseBadValues) {
  World a = NewWorld(/*connect_certn=*/false, /*send_check=*/false);
  World b = NewWorld(/*connect_certn=*/false, /*send_check=*/false);
  HttpResponse defaults = svc().Get("/api/v1/team/retention", a.team.admin_token);
  ASSERT_EQ(defaults.status, 200) << Describe(defaults);
  EXPECT_EQ(defaults.Int("/report_days"), 365);
  EXPECT_EQ(defaults.Int("/delivery_body_days"), 30);
  EXPECT_EQ(defaults.Int("/unverified_metadata_days"), 7);
  EXPECT_TRUE(defaults.IsNull("/updated_at")) << Describe(defaults);

  HttpResponse changed =
      svc().Patch("/api/v1/team/retention", R"({"report_days":90,"delivery_body_days":14})",
                  a.team.admin_token);
  ASSERT_EQ(changed.status, 200) << Describe(changed);
  EXPECT_EQ(changed.Int("/report_days"), 90);
  EXPECT_EQ(changed.Int("/unverified_metadata_days"), 7);
  EXPECT_TRUE(changed.String("/updated_at").has_value()) << Describe(changed);
  EXPECT_EQ(svc().Get("/api/v1/team/retention", a.team.admin_token).Int("/delivery_body_days"), 14);
  EXPECT_EQ(svc().Get("/api/v1/team/retention", b.team.admin_token).Int("/report_days"), 365);

  for (const char* body :
       {R"({"report_days":0})", R"({"delivery_body_days":3651})",
        R"({"unverified_metadata_days":-7})", R"({"report_days":"30"})", R"({"report_days":1.5})",
        R"({"report_days":null})", R"({"keep_forever":true})"}) {
    SCOPED_TRACE(body);
    HttpResponse r = svc().Patch("/api/v1/team/retention", body, a.team.admin_token);
    EXPECT_PROBLEM(r, 400, "invalid_body");
    EXPECT_TRUE(r.String("/field").has_value()) << Describe(r);
  }
  EXPECT_EQ(svc().Get("/api/v1/team/retention", a.team.admin_token).Int("/report_days"), 90);
  EXPECT_PROBLEM(svc().Get("/api/v1/team/retention", a.team.recruiter_token), 403, "admin_only");
  EXPECT_PROBLEM(
      svc().Patch("/api/v1/team/retention", R"({"report_days":1})", a.team.recruiter_token), 403,
      "admin_only");
  EXPECT_EQ(svc().Get("/api/v1/team/retention", a.team.admin_token).Int("/report_days"), 90);
}

TEST_F(RetentionApiTest, ErasureCancelsTheOpenCheckAndLeavesNoWordOfTheCandidateAnywhere) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  World other = NewWorld(/*connect_certn=*/false, /*send_check=*/false);
  const std::string email = "philippa." + w.team.team_id + "@erase.example";
  HttpResponse created = svc().Post(
      "/api/v1/candidates",
      absl::StrCat(R"({"first_name":"Philippa","last_name":"Erasmotest","email":)",
                   JsonQuote(email), R"(,"phone":"+1 555 0123 9876","tags":["vip Erasmotest"]})"),
      w.team.recruiter_token);
  ASSERT_EQ(created.status, 201) << Describe(created);
  const std::string cand = created.String("/id").value_or("");
  const std::string app = CreateApplication(w.team, cand, w.job);

  // A completed check with its report, then an open one.
  const std::string done = SendCheck(w.team, app, w.activity);
  WaitOrdered(w.team, done);
  HttpResponse ordered = svc().Get("/api/v1/background-checks/" + done, w.team.recruiter_token);
  ASSERT_TRUE(fake().AdvanceCase(ordered.String("/certn_case_id").value_or(""), "COMPLETE").ok());
  ASSERT_TRUE(fake().FlushDeliveries().ok());
  WaitCheck(w, done, [](const HttpResponse& r) { return r.String("/report_file_id").has_value(); });
  // The report is sealed at rest: the database file does not show it.
  EXPECT_THAT(ColumnsHolding("%PDF"), ::testing::IsEmpty());
  const std::string open = SendCheck(w.team, app, w.activity);
  WaitOrdered(w.team, open);
  for (const std::string& word : {email, std::string("Erasmotest")})
    ASSERT_FALSE(ColumnsHolding(word).empty()) << word;

  const std::string path = "/api/v1/candidates/" + cand;
  EXPECT_PROBLEM(svc().Delete(path, w.team.recruiter_token), 403, "admin_only");
  EXPECT_PROBLEM(svc().Delete(path, other.team.admin_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Delete("/api/v1/candidates/no-such-candidate", w.team.admin_token), 404,
                 "not_found");
  EXPECT_EQ(svc().Get(path, w.team.recruiter_token).String("/first_name"), "Philippa");

  HttpResponse erased = svc().Delete(path, w.team.admin_token);
  ASSERT_EQ(erased.status, 200) << Describe(erased);
  EXPECT_EQ(erased.Bool("/erased"), true);
  HttpResponse again = svc().Delete(path, w.team.admin_token);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, erased.body);

  WaitCheck(w, open, [](const HttpResponse& r) { return r.String("/status") == "cancelled"; });
  ASSERT_TRUE(fake().FlushDeliveries().ok());
  WaitQuiet(w.team);
  for (const std::string& word :
       {email, std::string("Philippa"), std::string("Erasmotest"), std::string("555 0123 9876")}) {
    EXPECT_THAT(ColumnsHolding(word), ::testing::IsEmpty()) << word;
  }
  HttpResponse now = svc().Get(path, w.team.recruiter_token);
  EXPECT_EQ(now.String("/first_name"), "Erased");
  EXPECT_EQ(now.Size("/tags"), 0u);
  EXPECT_EQ(svc().Get(path + "/files", w.team.recruiter_token).Size("/items"), 0u);
  HttpResponse feed = svc().Get(path + "/activity", w.team.admin_token);
  EXPECT_NE(feed.body.find("Candidate erased by an admin"), std::string::npos) << feed.body;
  // The completed check keeps its status, not its results.
  HttpResponse kept = svc().Get("/api/v1/background-checks/" + done, w.team.recruiter_token);
  EXPECT_EQ(kept.String("/status"), "complete");
  EXPECT_EQ(kept.Size("/results"), 0u) << Describe(kept);
}

}  // namespace
}  // namespace stagecheck::api_test
