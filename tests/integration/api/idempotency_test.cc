// Idempotency-Key on every POST that creates something: a replay returns the
// same resource with Idempotent-Replayed: true; the same key with another
// request is 422 idempotency_key_reused; a malformed key is 400.
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class IdempotencyTest : public ApiTest {};

struct Create {
  std::string path;
  std::string body;
  std::string other_body;  // a different request for the same path
  bool admin = false;
  int status = 201;
};

// `candidate` has no application for w.job yet.
std::vector<Create> Creates(const World& w, const std::string& candidate) {
  return {
      {"/api/v1/jobs", R"({"title":"Idempotent job"})", R"({"title":"Other job"})", true},
      {"/api/v1/candidates", R"({"first_name":"Idem","last_name":"Potent"})",
       R"({"first_name":"Other","last_name":"Person"})"},
      {"/api/v1/applications",
       absl::StrCat(R"({"candidate_id":)", JsonQuote(candidate), R"(,"job_id":)", JsonQuote(w.job),
                    "}"),
       absl::StrCat(R"({"job_id":)", JsonQuote(w.job), R"(,"candidate_id":)", JsonQuote(candidate),
                    "}")},
      {"/api/v1/applications/" + w.application + "/background-checks",
       absl::StrCat(R"({"activity_id":)", JsonQuote(w.activity), "}"),
       absl::StrCat(R"({"activity_id":)", JsonQuote(w.activity),
                    R"(,"package_id":"pkg-standard"})"),
       false, 202},
      {"/api/v1/candidates/" + w.candidate + "/background-checks", R"({"package_id":"pkg-basic"})",
       R"({"package_id":"pkg-standard"})", false, 202},
  };
}

TEST_F(IdempotencyTest, ReplayReturnsTheSameResourceAndReusedKeyIs422) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  const std::string candidate = CreateCandidate(w.team, "second@example.com");
  for (const Create& c : Creates(w, candidate)) {
    SCOPED_TRACE(c.path);
    const std::string token = c.admin ? w.team.admin_token : w.team.recruiter_token;
    const Headers key = {{"Idempotency-Key", "key-" + stagecheck::testing::RandomHex(8)}};
    HttpResponse first = svc().Post(c.path, c.body, token, key);
    ASSERT_EQ(first.status, c.status) << Describe(first);
    EXPECT_FALSE(first.Header("idempotent-replayed").has_value());
    const std::string id = first.String("/id").value_or("");
    ASSERT_FALSE(id.empty());
    EXPECT_NE(first.Header("location").value_or("").find(id), std::string::npos);

    HttpResponse again = svc().Post(c.path, c.body, token, key);
    EXPECT_EQ(again.status, c.status) << Describe(again);
    EXPECT_EQ(again.String("/id"), id);
    EXPECT_EQ(again.Header("idempotent-replayed"), "true");
    EXPECT_EQ(again.Header("location"), first.Header("location"));

    const std::string before = StableSnapshot(w);
    EXPECT_PROBLEM(svc().Post(c.path, c.other_body, token, key), 422, "idempotency_key_reused");
    EXPECT_EQ(Snapshot(w), before);
    // The key belongs to method + path + body: another path is another request too.
    EXPECT_PROBLEM(svc().Post("/api/v1/candidates", R"({"first_name":"Z","last_name":"Z"})",
                              w.team.recruiter_token, key),
                   422, "idempotency_key_reused");
    EXPECT_EQ(Snapshot(w), before);
  }
  // One of each, despite the replays.
  EXPECT_EQ(svc().Get("/api/v1/jobs", w.team.admin_token).Size("/items"), 2u);
  EXPECT_EQ(svc().Get("/api/v1/applications", w.team.recruiter_token).Size("/items"), 2u);
  EXPECT_EQ(svc().Get("/api/v1/candidates", w.team.recruiter_token).Size("/items"), 3u);
}

TEST_F(IdempotencyTest, MalformedKeysAre400) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  const std::string candidate = CreateCandidate(w.team, "second@example.com");
  const std::string before = StableSnapshot(w);
  const std::vector<std::string> bad_keys = {"has space", std::string(256, 'k'), "tab\there",
                                             "caf\xc3\xa9"};
  for (const Create& c : Creates(w, candidate)) {
    const std::string token = c.admin ? w.team.admin_token : w.team.recruiter_token;
    for (const std::string& key : bad_keys) {
      SCOPED_TRACE(c.path + " key '" + key.substr(0, 20) + "'");
      EXPECT_PROBLEM(svc().Post(c.path, c.body, token, {{"Idempotency-Key", key}}), 400,
                     "invalid_idempotency_key");
    }
    // A control character is refused by the HTTP parser already.
    EXPECT_PROBLEM(svc().Post(c.path, c.body, token, {{"Idempotency-Key", "del\x7f"}}), 400,
                   "malformed_request");
    // An empty header value.
    HttpResponse empty = svc().RawRequest(absl::StrCat(
        "POST ", c.path, " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ", token,
        "\r\nContent-Type: application/json\r\nIdempotency-Key:\r\nContent-Length: ", c.body.size(),
        "\r\n\r\n", c.body));
    EXPECT_PROBLEM(empty, 400, "invalid_idempotency_key");
  }
  EXPECT_EQ(Snapshot(w), before);
  // 255 printable characters is fine.
  HttpResponse longest =
      svc().Post("/api/v1/jobs", R"({"title":"Longest key"})", w.team.admin_token,
                 {{"Idempotency-Key", std::string(255, 'k')}});
  EXPECT_EQ(longest.status, 201) << Describe(longest);
}

TEST_F(IdempotencyTest, KeysAreScopedToTheTeam) {
  TeamTokens a = NewTeam();
  TeamTokens b = NewTeam();
  const Headers key = {{"Idempotency-Key", "shared-key-" + stagecheck::testing::RandomHex(4)}};
  HttpResponse ra = svc().Post("/api/v1/jobs", R"({"title":"Same"})", a.admin_token, key);
  HttpResponse rb = svc().Post("/api/v1/jobs", R"({"title":"Same"})", b.admin_token, key);
  ASSERT_EQ(ra.status, 201) << Describe(ra);
  ASSERT_EQ(rb.status, 201) << Describe(rb);
  EXPECT_NE(ra.String("/id"), rb.String("/id"));
  EXPECT_FALSE(rb.Header("idempotent-replayed").has_value());
  EXPECT_EQ(svc().Get("/api/v1/jobs/" + ra.String("/id").value_or(""), b.admin_token).status, 404);
  // A different body under B's key is B's business only.
  EXPECT_PROBLEM(svc().Post("/api/v1/jobs", R"({"title":"Other"})", b.admin_token, key), 422,
                 "idempotency_key_reused");
}

TEST_F(IdempotencyTest, FailedRequestsDoNotBurnTheKey) {
  TeamTokens team = NewTeam();
  const Headers key = {{"Idempotency-Key", "retry-" + stagecheck::testing::RandomHex(4)}};
  EXPECT_PROBLEM(svc().Post("/api/v1/applications", R"({"candidate_id":"nope","job_id":"nope"})",
                            team.recruiter_token, key),
                 404, "not_found");
  std::string job = CreateJob(team);
  std::string candidate = CreateCandidate(team);
  // The same key with the request that now succeeds.
  HttpResponse ok = svc().Post("/api/v1/applications",
                               absl::StrCat(R"({"candidate_id":)", JsonQuote(candidate),
                                            R"(,"job_id":)", JsonQuote(job), "}"),
                               team.recruiter_token, key);
  EXPECT_EQ(ok.status, 201) << Describe(ok);
}

}  // namespace
}  // namespace stagecheck::api_test

namespace stagecheck::api_test {
namespace {

// Restarts the suite's service: its own suite so no other test sees it.
class IdempotencyRestartTest : public ApiTest {};

TEST_F(IdempotencyRestartTest, KeysSurviveARestartAndACrash) {
  TeamTokens team = NewTeam();
  const Headers key = {{"Idempotency-Key", "durable-" + stagecheck::testing::RandomHex(4)}};
  HttpResponse first = svc().Post("/api/v1/jobs", R"({"title":"Durable"})", team.admin_token, key);
  ASSERT_EQ(first.status, 201) << Describe(first);
  // A 201 means it is on disk: even SIGKILL right after keeps it.
  svc().Kill();
  EXPECT_EQ(CountRows("jobs", team.team_id), 1);
  EXPECT_EQ(CountRows("idempotency_keys", team.team_id), 1);
  ASSERT_TRUE(svc().Restart().ok());
  HttpResponse again = svc().Post("/api/v1/jobs", R"({"title":"Durable"})", team.admin_token, key);
  EXPECT_EQ(again.status, 201) << Describe(again);
  EXPECT_EQ(again.String("/id"), first.String("/id"));
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
  EXPECT_PROBLEM(svc().Post("/api/v1/jobs", R"({"title":"Other"})", team.admin_token, key), 422,
                 "idempotency_key_reused");
  ASSERT_TRUE(svc().Stop().ok());
  EXPECT_EQ(CountRows("jobs", team.team_id), 1);
  ASSERT_TRUE(svc().Restart().ok());
}

}  // namespace
}  // namespace stagecheck::api_test
