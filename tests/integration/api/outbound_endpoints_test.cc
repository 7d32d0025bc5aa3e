// Outbound webhook endpoints (issue 20): POST/GET/PATCH/DELETE
// /api/v1/webhook-endpoints, rotate-secret, the delivery log and replay.
// Bad endpoints are refused with a code and the field; a secret is answered
// once; recruiters and other teams reach nothing. The suite's service allows
// plain http to loopback (--outbound-allow-http-loopback), as tests need.
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

constexpr char kPath[] = "/api/v1/webhook-endpoints";
// Nothing listens on port 1 of loopback: every attempt is refused at once.
constexpr char kDeadUrl[] = "http://127.0.0.1:1/hooks";

class OutboundEndpointsTest : public ApiTest {
 protected:
  static void SetUpTestSuite() { StartSuite({"--outbound-allow-http-loopback"}); }

  HttpResponse Create(const TeamTokens& t, const std::string& url,
                      const std::string& types = R"(["check.created","check.completed"])") {
    return svc().Post(kPath,
                      absl::StrCat(R"({"url":)", JsonQuote(url), R"(,"event_types":)", types,
                                   R"(,"description":"Our ATS"})"),
                      t.admin_token);
  }
  std::string CreateId(const TeamTokens& t, const std::string& url = kDeadUrl,
                       const std::string& types = R"(["check.created","check.completed"])") {
    HttpResponse r = Create(t, url, types);
    EXPECT_EQ(r.status, 201) << Describe(r);
    return r.String("/id").value_or("");
  }
};

TEST_F(OutboundEndpointsTest, AdminRegistersAnEndpointAndSeesItsSecretOnce) {
  TeamTokens t = NewTeam();
  HttpResponse r = Create(t, "https://ats.example.com/hooks/stagecheck");
  ASSERT_EQ(r.status, 201) << Describe(r);
  const std::string id = r.String("/id").value_or("");
  EXPECT_EQ(r.Header("location"), std::string(kPath) + "/" + id);
  EXPECT_EQ(r.String("/secret").value_or("").rfind("whsec_", 0), 0u) << r.body;
  EXPECT_EQ(r.String("/url"), "https://ats.example.com/hooks/stagecheck");
  EXPECT_EQ(r.String("/event_types/0"), "check.created");
  EXPECT_EQ(r.Bool("/enabled"), true);
  EXPECT_TRUE(r.IsNull("/disabled_reason"));
  HttpResponse got = svc().Get(std::string(kPath) + "/" + id, t.admin_token);
  ASSERT_EQ(got.status, 200) << Describe(got);
  EXPECT_FALSE(got.Has("/secret")) << got.body;
  EXPECT_EQ(got.body.find(r.String("/secret").value_or("-")), std::string::npos);
  HttpResponse list = svc().Get(kPath, t.admin_token);
  ASSERT_EQ(list.Size("/items"), 1u) << list.body;
  EXPECT_FALSE(list.Has("/items/0/secret"));
  HttpResponse patched =
      svc().Patch(std::string(kPath) + "/" + id,
                  R"({"event_types":["application.moved"],"description":"x"})", t.admin_token);
  ASSERT_EQ(patched.status, 200) << Describe(patched);
  EXPECT_EQ(patched.Size("/event_types"), 1u);
  EXPECT_EQ(patched.String("/description"), "x");
}

TEST_F(OutboundEndpointsTest, RefusesBadEndpointsWithACodeAndTheField) {
  TeamTokens t = NewTeam();
  struct Case {
    std::string url, types, code, field;
  };
  const std::string ok_types = R"(["check.completed"])";
  for (const Case& c : std::vector<Case>{
           {"http://ats.example.com/hooks", ok_types, "invalid_endpoint_url", "url"},
           {"ftp://ats.example.com/", ok_types, "invalid_endpoint_url", "url"},
           {"not a url", ok_types, "invalid_endpoint_url", "url"},
           {"https://user:pw@ats.example.com/", ok_types, "invalid_endpoint_url", "url"},
           {"https://10.0.0.7/hooks", ok_types, "endpoint_address_refused", "url"},
           {"https://169.254.169.254/latest", ok_types, "endpoint_address_refused", "url"},
           {"https://127.0.0.1/hooks", ok_types, "endpoint_address_refused", "url"},
           {"https://ats.example.com/", R"(["check.exploded"])", "unknown_event_type",
            "event_types"},
           {"https://ats.example.com/", "[]", "no_event_types", "event_types"},
       }) {
    HttpResponse r = Create(t, c.url, c.types);
    EXPECT_PROBLEM(r, 400, c.code) << c.url << " " << c.types;
    EXPECT_EQ(r.String("/field"), c.field) << Describe(r);
  }
  for (const std::string& body :
       {std::string("{}"), std::string(R"({"url":"https://a.example.com/"})"),
        std::string(R"({"url":5,"event_types":["check.created"]})"),
        std::string(R"({"url":"https://a.example.com/","event_types":"check.created"})")}) {
    EXPECT_PROBLEM(svc().Post(kPath, body, t.admin_token), 400, "invalid_body") << body;
  }
  EXPECT_EQ(svc().Get(kPath, t.admin_token).Size("/items"), 0u);
  // An edit is checked the same way.
  const std::string id = CreateId(t, "https://ats.example.com/");
  EXPECT_PROBLEM(
      svc().Patch(std::string(kPath) + "/" + id, R"({"url":"http://10.1.1.1/"})", t.admin_token),
      400, "invalid_endpoint_url");
  EXPECT_EQ(svc().Get(std::string(kPath) + "/" + id, t.admin_token).String("/url"),
            "https://ats.example.com/");
}

TEST_F(OutboundEndpointsTest, RecruitersAndOtherTeamsReachNothing) {
  TeamTokens a = NewTeam();
  TeamTokens b = NewTeam();
  const std::string id = CreateId(a);
  const std::string one = std::string(kPath) + "/" + id;
  EXPECT_PROBLEM(svc().Get(kPath, a.recruiter_token), 403, "admin_only");
  EXPECT_PROBLEM(Create(TeamTokens{a.team_id, a.recruiter_token, ""}, kDeadUrl), 403, "admin_only");
  EXPECT_PROBLEM(svc().Get(one, b.admin_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Patch(one, R"({"description":"mine"})", b.admin_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Post(one + "/rotate-secret", "", b.admin_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Get(one + "/deliveries", b.admin_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Post(one + "/deliveries/nope/replay", "", b.admin_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Delete(one, b.admin_token), 404, "not_found");
  EXPECT_EQ(svc().Get(one, a.admin_token).String("/description"), "Our ATS");
  EXPECT_EQ(svc().Get(kPath, b.admin_token).Size("/items"), 0u);
}

TEST_F(OutboundEndpointsTest, RotationAnswersANewSecretAndKeepsTheOldOneForADay) {
  TeamTokens t = NewTeam();
  HttpResponse created = Create(t, kDeadUrl);
  const std::string one = std::string(kPath) + "/" + created.String("/id").value_or("");
  EXPECT_TRUE(created.IsNull("/previous_secret_valid_until"));
  HttpResponse rotated = svc().Post(one + "/rotate-secret", "", t.admin_token);
  ASSERT_EQ(rotated.status, 200) << Describe(rotated);
  EXPECT_EQ(rotated.String("/secret").value_or("").rfind("whsec_", 0), 0u);
  EXPECT_NE(rotated.String("/secret"), created.String("/secret"));
  EXPECT_TRUE(rotated.String("/previous_secret_valid_until").has_value()) << rotated.body;
  EXPECT_FALSE(svc().Get(one, t.admin_token).Has("/secret"));
}

TEST_F(OutboundEndpointsTest, DisablingSaysWhyAndDeletingRemovesIt) {
  TeamTokens t = NewTeam();
  const std::string one = std::string(kPath) + "/" + CreateId(t);
  HttpResponse off = svc().Patch(one, R"({"enabled":false})", t.admin_token);
  ASSERT_EQ(off.status, 200) << Describe(off);
  EXPECT_EQ(off.Bool("/enabled"), false);
  EXPECT_EQ(off.String("/disabled_reason"), "disabled_by_admin");
  EXPECT_EQ(off.String("/disabled_reason_text"), "An admin disabled it.");
  HttpResponse on = svc().Patch(one, R"({"enabled":true})", t.admin_token);
  EXPECT_EQ(on.Bool("/enabled"), true);
  EXPECT_TRUE(on.IsNull("/disabled_reason"));
  EXPECT_EQ(svc().Delete(one, t.admin_token).status, 204);
  EXPECT_PROBLEM(svc().Get(one, t.admin_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Delete(one, t.admin_token), 404, "not_found");
}

TEST_F(OutboundEndpointsTest, FailedAttemptsAreLoggedAndADeliveryCanBeReplayed) {
  TeamTokens t = NewTeam();
  const std::string one = std::string(kPath) + "/" + CreateId(t);
  World w = NewWorld();  // its own team: no endpoint, so no delivery there
  ASSERT_EQ(svc().Get(kPath, w.team.admin_token).Size("/items"), 0u);
  // This team's endpoint gets check.created of a check of its own.
  const std::string mine = std::string(kPath) + "/" + CreateId(w.team);
  std::string app = CreateApplication(w.team, CreateCandidate(w.team, "grace@example.com"), w.job);
  SendCheck(w.team, app, w.activity);
  HttpResponse log;
  ASSERT_TRUE(testing::WaitFor([&] {
    log = svc().Get(mine + "/deliveries", w.team.admin_token);
    return log.Size("/items/0/attempt_log").value_or(0) >= 1;
  })) << Describe(log);
  EXPECT_EQ(log.String("/items/0/event_type"), "check.created");
  EXPECT_EQ(log.String("/items/0/state"), "pending");
  EXPECT_EQ(log.String("/items/0/webhook_id").value_or("").rfind("msg_", 0), 0u);
  EXPECT_TRUE(log.IsNull("/items/0/attempt_log/0/http_status"));
  EXPECT_TRUE(log.String("/items/0/attempt_log/0/error").has_value()) << log.body;
  EXPECT_TRUE(log.String("/items/0/next_attempt_at").has_value());
  const std::string delivery = log.String("/items/0/id").value_or("");
  HttpResponse replay =
      svc().Post(mine + "/deliveries/" + delivery + "/replay", "", w.team.admin_token);
  EXPECT_EQ(replay.status, 202) << Describe(replay);
  ASSERT_TRUE(testing::WaitFor([&] {
    log = svc().Get(mine + "/deliveries", w.team.admin_token);
    return log.Int("/items/0/attempts").value_or(0) >= 2;
  })) << Describe(log);
  // Another team's endpoint, and a delivery of another endpoint, are not found.
  EXPECT_PROBLEM(svc().Post(one + "/deliveries/" + delivery + "/replay", "", t.admin_token), 404,
                 "not_found");
  ASSERT_EQ(svc().Patch(mine, R"({"enabled":false})", w.team.admin_token).status, 200);
  EXPECT_PROBLEM(svc().Post(mine + "/deliveries/" + delivery + "/replay", "", w.team.admin_token),
                 422, "endpoint_disabled");
  EXPECT_PROBLEM(svc().Get(mine + "/deliveries?limit=0", w.team.admin_token), 400, "invalid_limit");
}

}  // namespace
}  // namespace stagecheck::api_test
