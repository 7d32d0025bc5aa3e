// Bad input on the routes outside /api/v1: the Certn webhook (unsigned,
// wrongly signed, oversized, malformed or hostile bodies) and the
// verification GET. None of it changes anything or takes the service down.
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class WebhookInputTest : public ApiTest {};

constexpr char kWebhook[] = "/certn/certnWebhookHandler";

TEST_F(WebhookInputTest, UnsignedAndWronglySignedDeliveriesAre401) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  HttpResponse check = svc().Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token);
  const std::string body =
      absl::StrCat(R"({"id":"evt-1","event_type":"CASE_STATUS_CHANGED","object_type":"CASE",)",
                   R"("object_id":)", JsonQuote(check.String("/certn_case_id").value_or("")), "}");
  EXPECT_PROBLEM(svc().Post(kWebhook, body), 401, "missing_signature");
  for (const Headers& h :
       {Headers{{"X-Signature", "t=1,v1=00"}}, Headers{{"Certn-Signature", "deadbeef"}},
        Headers{{"X-Signature", "garbage"}, {"Certn-Team-Id", w.certn.certn_team_id}}}) {
    HttpResponse r = svc().Post(kWebhook, body, "", h);
    EXPECT_EQ(r.status, 401) << Describe(r);
  }
  // Unknown Certn team.
  EXPECT_EQ(
      svc()
          .Post(kWebhook, body, "", {{"X-Signature", "t=1,v1=00"}, {"Certn-Team-Id", "nobody"}})
          .status,
      401);
  EXPECT_EQ(Snapshot(w), before);
}

// Regression: the body was parsed recursively before the signature was
// checked, so 200 KB of '[' from anyone crashed the service.
TEST_F(WebhookInputTest, HostileBodiesAreRefusedBeforeTheSignatureAndTheServiceSurvives) {
  const Headers signed_badly = {{"X-Signature", "t=1,v1=00"}};
  EXPECT_PROBLEM(svc().Post(kWebhook, std::string(200000, '['), "", signed_badly), 400,
                 "invalid_json");
  EXPECT_PROBLEM(
      svc().Post(kWebhook, std::string(100000, '[') + std::string(100000, ']'), "", signed_badly),
      400, "invalid_json");
  EXPECT_PROBLEM(svc().Post(kWebhook, "not json", "", signed_badly), 400, "invalid_json");
  EXPECT_PROBLEM(svc().Post(kWebhook, std::string(300 * 1024, ' '), "", signed_badly), 413,
                 "payload_too_large");
  EXPECT_EQ(svc().Get("/healthz").status, 200);
}

TEST_F(WebhookInputTest, VerificationGetNeedsAChallenge) {
  EXPECT_PROBLEM(svc().Get(kWebhook), 400, "missing_challenge");
  EXPECT_PROBLEM(svc().Get(std::string(kWebhook) + "?challenge="), 400, "missing_challenge");
  HttpResponse ok = svc().Get(std::string(kWebhook) + "?challenge=abc123");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "abc123");
  EXPECT_EQ(ok.Header("content-type").value_or("").rfind("text/plain", 0), 0u);
}

}  // namespace
}  // namespace stagecheck::api_test
