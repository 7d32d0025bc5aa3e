// Edits that cannot undo someone else's change: every PATCH a form makes
// takes the ETag its GET answered (If-Match) and is refused with 412 when the
// resource changed since; integration-owned tags are never written by a
// person; a second ad-hoc send of one package is a conflict; a new Certn key
// replaces a working one only once Certn accepts it.
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class EditConflictsTest : public ApiTest {};

struct Editable {
  std::string name;
  std::string get_path;    // answers the ETag
  std::string patch_path;  // takes If-Match
  std::string body;        // a valid change
  std::string token;
};

std::vector<Editable> EditablesOf(const World& w) {
  const std::string plan = "/api/v1/jobs/" + w.job + "/interview-plan";
  return {
      {"candidate", "/api/v1/candidates/" + w.candidate, "/api/v1/candidates/" + w.candidate,
       R"({"first_name":"Ava"})", w.team.recruiter_token},
      {"job", "/api/v1/jobs/" + w.job, "/api/v1/jobs/" + w.job, R"({"title":"SRE II"})",
       w.team.admin_token},
      {"stage", plan, plan + "/stages/" + w.stage, R"({"name":"Phone screen"})",
       w.team.admin_token},
      {"activity", plan, plan + "/stages/" + w.bg_stage + "/activities/" + w.activity,
       R"({"settings":{"package_id":"pkg-basic","auto_send":true}})", w.team.admin_token},
      {"team", "/api/v1/team", "/api/v1/team", R"({"default_package_id":"pkg-basic"})",
       w.team.admin_token},
  };
}

TEST_F(EditConflictsTest, EveryEditableResourceAnswersAStrongEtagThatItsPatchAccepts) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  for (const Editable& e : EditablesOf(w)) {
    SCOPED_TRACE(e.name);
    HttpResponse got = svc().Get(e.get_path, e.token);
    ASSERT_EQ(got.status, 200) << Describe(got);
    std::string etag = got.Header("etag").value_or("");
    ASSERT_EQ(etag.size(), 18u) << "ETag '" << etag << "'";
    EXPECT_EQ(etag.front(), '"');
    // The same resource, read again, has the same tag.
    EXPECT_EQ(svc().Get(e.get_path, e.token).Header("etag"), etag);
    HttpResponse patched = svc().Patch(e.patch_path, e.body, e.token, {{"If-Match", etag}});
    ASSERT_EQ(patched.status, 200) << Describe(patched);
    std::string next = patched.Header("etag").value_or("");
    EXPECT_NE(next, etag) << "the change must give a new tag";
    EXPECT_EQ(svc().Get(e.get_path, e.token).Header("etag"), next);
  }
}

TEST_F(EditConflictsTest, APatchWithAStaleEtagIs412AndChangesNothing) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  for (const Editable& e : EditablesOf(w)) {
    SCOPED_TRACE(e.name);
    const std::string stale = svc().Get(e.get_path, e.token).Header("etag").value_or("");
    // Someone else changes the resource first (no If-Match: applies as before).
    ASSERT_EQ(svc().Patch(e.patch_path, e.body, e.token).status, 200);
    HttpResponse before = svc().Get(e.get_path, e.token);
    HttpResponse refused = svc().Patch(e.patch_path, e.body, e.token, {{"If-Match", stale}});
    EXPECT_PROBLEM(refused, 412, "precondition_failed");
    HttpResponse after = svc().Get(e.get_path, e.token);
    EXPECT_EQ(after.body, before.body);
    EXPECT_EQ(after.Header("etag"), before.Header("etag"));
    // "*" and a list naming the current tag match; a weak tag never does.
    const std::string current = after.Header("etag").value_or("");
    EXPECT_PROBLEM(svc().Patch(e.patch_path, e.body, e.token, {{"If-Match", "W/" + current}}), 412,
                   "precondition_failed");
    EXPECT_EQ(
        svc().Patch(e.patch_path, e.body, e.token, {{"If-Match", stale + ", " + current}}).status,
        200);
    EXPECT_EQ(svc().Patch(e.patch_path, e.body, e.token, {{"If-Match", "*"}}).status, 200);
  }
}

TEST_F(EditConflictsTest, SystemTagsAreListedApartAndNoPatchCanChangeThem) {
  World w = NewWorld();  // a check was sent: the candidate carries CERTN - Pending
  const std::string path = "/api/v1/candidates/" + w.candidate;
  WaitQuiet(w.team);
  HttpResponse c = svc().Get(path, w.team.recruiter_token);
  ASSERT_EQ(c.status, 200);
  EXPECT_EQ(c.Size("/tags"), 0u) << c.body;
  ASSERT_EQ(c.Size("/system_tags"), 1u) << c.body;
  EXPECT_EQ(c.String("/system_tags/0"), "CERTN - Pending");
  // A stale list (from a form read when the check was complete) and an
  // attempt to drop the tag: the recruiter's tags change, the system tag not.
  HttpResponse stale =
      svc().Patch(path, R"({"tags":["Referral","CERTN - Complete"]})", w.team.recruiter_token);
  ASSERT_EQ(stale.status, 200) << Describe(stale);
  EXPECT_EQ(stale.Size("/tags"), 1u) << stale.body;
  EXPECT_EQ(stale.String("/tags/0"), "Referral");
  EXPECT_EQ(stale.Size("/system_tags"), 1u) << stale.body;
  EXPECT_EQ(stale.String("/system_tags/0"), "CERTN - Pending");
  HttpResponse cleared = svc().Patch(path, R"({"tags":[]})", w.team.recruiter_token);
  EXPECT_EQ(cleared.String("/system_tags/0"), "CERTN - Pending") << cleared.body;
  // Nor can a new candidate be created with one.
  HttpResponse created =
      svc().Post("/api/v1/candidates",
                 R"({"first_name":"Bo","last_name":"Ng","tags":["CERTN - Complete","VIP"]})",
                 w.team.recruiter_token);
  ASSERT_EQ(created.status, 201) << Describe(created);
  EXPECT_EQ(created.Size("/system_tags"), 0u) << created.body;
  EXPECT_EQ(created.String("/tags/0"), "VIP");
}

TEST_F(EditConflictsTest, ASecondAdHocSendOfOnePackageIsAConflictAndOrdersOnce) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  const std::string path = "/api/v1/candidates/" + w.candidate + "/background-checks";
  HttpResponse first = svc().Post(path, R"({"package_id":"pkg-basic"})", w.team.recruiter_token,
                                  {{"Idempotency-Key", "adhoc-1"}});
  ASSERT_EQ(first.status, 202) << Describe(first);
  EXPECT_EQ(first.String("/package_name"), "Basic criminal record");
  // The same dialog retrying replays; a second dialog (new key) is refused.
  HttpResponse replay = svc().Post(path, R"({"package_id":"pkg-basic"})", w.team.recruiter_token,
                                   {{"Idempotency-Key", "adhoc-1"}});
  EXPECT_EQ(replay.status, 202);
  EXPECT_EQ(replay.String("/id"), first.String("/id"));
  HttpResponse second = svc().Post(path, R"({"package_id":"pkg-basic"})", w.team.recruiter_token,
                                   {{"Idempotency-Key", "adhoc-2"}});
  EXPECT_PROBLEM(second, 409, "check_already_active");
  // Another package is another check.
  EXPECT_EQ(svc().Post(path, R"({"package_id":"pkg-standard"})", w.team.recruiter_token).status,
            202);
  WaitQuiet(w.team);
  EXPECT_EQ(CertnOrders(w.certn.certn_team_id), 2u);
}

TEST_F(EditConflictsTest, ANewKeyCertnRefusesKeepsTheWorkingConnection) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  HttpResponse before = svc().Get("/api/v1/integrations/certn", w.team.admin_token);
  ASSERT_EQ(before.String("/status"), "connected") << before.body;
  HttpResponse typo = svc().Put("/api/v1/integrations/certn", R"({"api_key":"a-typo-in-the-key"})",
                                w.team.admin_token);
  EXPECT_PROBLEM(typo, 422, "invalid_key");
  HttpResponse after = svc().Get("/api/v1/integrations/certn", w.team.admin_token);
  EXPECT_EQ(after.String("/status"), "connected") << after.body;
  EXPECT_EQ(after.String("/api_key"), before.String("/api_key"));
  // Recruiters keep sending with the working key.
  EXPECT_EQ(SendCheck(w.team, w.application, w.activity).empty(), false);
}

}  // namespace
}  // namespace stagecheck::api_test
