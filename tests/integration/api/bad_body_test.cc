// Malformed, mistyped, oversized and wrongly labelled bodies on every route
// that takes one: a specific 4xx and nothing changed.
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class BadBodyTest : public ApiTest {};

std::string TokenFor(const World& w, const Endpoint& e) {
  return e.admin_only ? w.team.admin_token : w.team.recruiter_token;
}

TEST_F(BadBodyTest, MalformedJsonIs400InvalidJson) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  const std::vector<std::string> malformed = {
      "{", R"({"title":)", R"({"title":"x",})", "{'title':'x'}", "nul", R"({"a":1}{"b":2})",
      "\xff\xfe{}", R"({"title":"x")", "[1,2",
      // Not UTF-8 (RFC 8259 requires it): a truncated sequence in a name, in a value.
      "{\"tags\xe0\":[\"a\"]}", "{\"title\":\"caf\xc3\"}"};
  for (const Endpoint& e : BodyEndpoints(w)) {
    for (const std::string& body : malformed) {
      SCOPED_TRACE(e.name() + " <- " + body);
      EXPECT_PROBLEM(svc().Request(e.method, e.path, body, {}, TokenFor(w, e)), 400,
                     "invalid_json");
    }
  }
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(BadBodyTest, SchemaViolationsAre400InvalidBodyNamingTheField) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  for (const Endpoint& e : BodyEndpoints(w)) {
    std::vector<std::string> bodies = e.invalid_bodies;
    bodies.push_back("[]");
    bodies.push_back("\"a string\"");
    bodies.push_back("42");
    bodies.push_back("null");
    // An unknown field next to a valid body.
    std::string extra = e.body.empty() ? "{}" : e.body;
    extra.insert(extra.size() - 1, extra.size() > 2 ? R"(,"is_admin":true)" : R"("is_admin":true)");
    bodies.push_back(extra);
    for (const std::string& body : bodies) {
      SCOPED_TRACE(e.name() + " <- " + body.substr(0, 80));
      HttpResponse r = svc().Request(e.method, e.path, body, {}, TokenFor(w, e));
      EXPECT_PROBLEM(r, 400, "invalid_body");
      EXPECT_FALSE(r.String("/detail").value_or("").empty()) << r.body;
    }
  }
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(BadBodyTest, TheDetailIsASentenceAndTheFieldNamesTheOffendingField) {
  TeamTokens team = NewTeam();
  HttpResponse missing =
      svc().Post("/api/v1/candidates", R"({"first_name":"Ada"})", team.recruiter_token);
  EXPECT_PROBLEM(missing, 400, "invalid_body");
  EXPECT_EQ(missing.String("/field"), "last_name") << missing.body;
  EXPECT_EQ(missing.String("/detail"), "Last name is required.") << missing.body;
  HttpResponse extra = svc().Post("/api/v1/jobs", R"({"title":"x","salary":1})", team.admin_token);
  EXPECT_PROBLEM(extra, 400, "invalid_body");
  EXPECT_EQ(extra.String("/field"), "salary") << extra.body;
  EXPECT_EQ(extra.String("/detail"), "Salary is not a field this request accepts.") << extra.body;
  HttpResponse typed = svc().Post("/api/v1/jobs", R"({"title":7})", team.admin_token);
  EXPECT_PROBLEM(typed, 400, "invalid_body");
  EXPECT_EQ(typed.String("/field"), "title") << typed.body;
  EXPECT_EQ(typed.String("/detail"), "Title must be text.") << typed.body;
  HttpResponse empty = svc().Post("/api/v1/jobs", R"({"title":""})", team.admin_token);
  EXPECT_PROBLEM(empty, 400, "invalid_body");
  EXPECT_EQ(empty.String("/detail"), "Title is required.") << empty.body;
  HttpResponse nested =
      svc().Post("/api/v1/candidates", R"({"first_name":"Ada","last_name":"L","tags":[1]})",
                 team.recruiter_token);
  EXPECT_PROBLEM(nested, 400, "invalid_body");
  EXPECT_EQ(nested.String("/field"), "tags/0") << nested.body;
  EXPECT_EQ(nested.String("/detail"), "Entry 1 of tags must be text.") << nested.body;
}

TEST_F(BadBodyTest, WrongContentTypeIs415) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  const std::vector<std::string> types = {
      "text/plain",        "application/x-www-form-urlencoded", "application/xml",
      "application/jsonx", "multipart/form-data; boundary=x",   ""};
  for (const Endpoint& e : BodyEndpoints(w)) {
    for (const std::string& type : types) {
      SCOPED_TRACE(e.name() + " as '" + type + "'");
      HttpResponse r =
          svc().Request(e.method, e.path, e.body, {{"Content-Type", type}}, TokenFor(w, e));
      EXPECT_PROBLEM(r, 415, "unsupported_media_type");
    }
  }
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(BadBodyTest, JsonContentTypeWithParametersIsAccepted) {
  TeamTokens team = NewTeam();
  HttpResponse r = svc().Post("/api/v1/jobs", R"({"title":"Charset"})", team.admin_token,
                              {{"Content-Type", "Application/JSON; charset=utf-8"}});
  EXPECT_EQ(r.status, 201) << Describe(r);
}

TEST_F(BadBodyTest, BodiesOverOneMebibyteAre413) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  // A syntactically valid JSON body just over the limit.
  std::string big = R"({"title":")" + std::string((1 << 20), 'x') + R"("})";
  for (const Endpoint& e : BodyEndpoints(w)) {
    SCOPED_TRACE(e.name());
    EXPECT_PROBLEM(svc().Request(e.method, e.path, big, {}, TokenFor(w, e)), 413,
                   "payload_too_large");
  }
  // Announced by Content-Length alone: refused before the body is read.
  HttpResponse announced = svc().RawRequest(
      "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + w.team.admin_token +
      "\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{\"title\":");
  EXPECT_PROBLEM(announced, 413, "payload_too_large");
  // Just under the limit is read and judged by the schema (title too long).
  std::string under = R"({"title":")" + std::string((1 << 20) - 20, 'x') + R"("})";
  EXPECT_PROBLEM(svc().Post("/api/v1/jobs", under, w.team.admin_token), 400, "invalid_body");
  EXPECT_EQ(Snapshot(w), before);
}

// Regression: a recursive JSON parse of deeply nested input overflowed the
// stack and killed the service (SIGSEGV) for any authenticated caller.
TEST_F(BadBodyTest, DeeplyNestedBodiesAreRefusedAndTheServiceSurvives) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  std::string balanced = std::string(300000, '[') + std::string(300000, ']');
  std::string objects;
  for (int i = 0; i < 40; ++i) objects += R"({"a":)";
  objects += "1" + std::string(40, '}');
  for (const Endpoint& e : BodyEndpoints(w)) {
    SCOPED_TRACE(e.name());
    const std::string token = e.admin_only ? w.team.admin_token : w.team.recruiter_token;
    EXPECT_PROBLEM(svc().Request(e.method, e.path, std::string(500000, '['), {}, token), 400,
                   "invalid_json");
    EXPECT_PROBLEM(svc().Request(e.method, e.path, balanced, {}, token), 400, "invalid_body");
    EXPECT_PROBLEM(svc().Request(e.method, e.path, objects, {}, token), 400, "invalid_body");
  }
  // Nested settings objects pass the schema's "type":"object"; still refused.
  std::string settings = R"({"kind":"interview","settings":)" + objects + "}";
  EXPECT_PROBLEM(
      svc().Post("/api/v1/jobs/" + w.job + "/interview-plan/stages/" + w.stage + "/activities",
                 settings, w.team.admin_token),
      400, "invalid_body");
  EXPECT_EQ(svc().Get("/healthz").status, 200);
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(BadBodyTest, SemanticallyInvalidValuesAreRefused) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  const std::string before = StableSnapshot(w);
  // Certn credentials in the wrong format.
  EXPECT_PROBLEM(svc().Put("/api/v1/integrations/certn", R"({"api_key":"has space in it"})",
                           w.team.admin_token),
                 400, "invalid_api_key_format");
  EXPECT_PROBLEM(
      svc().Put("/api/v1/integrations/certn", R"({"webhook_secret":"has spaces but long enough"})",
                w.team.admin_token),
      400, "invalid_webhook_secret");
  // An email that is no email.
  HttpResponse email = svc().Post("/api/v1/candidates",
                                  R"({"first_name":"A","last_name":"B","email":"not-an-email"})",
                                  w.team.recruiter_token);
  EXPECT_PROBLEM(email, 400, "invalid_email");
  // An activity kind nobody registered.
  HttpResponse kind =
      svc().Post("/api/v1/jobs/" + w.job + "/interview-plan/stages/" + w.stage + "/activities",
                 R"({"kind":"lie_detector","settings":{}})", w.team.admin_token);
  EXPECT_PROBLEM(kind, 400, "unknown_activity_kind");
  // A Certn package the team's account does not have, and a tenant-only one.
  for (const char* package : {"pkg-nope", "pkg-tenant"}) {
    SCOPED_TRACE(package);
    HttpResponse pkg =
        svc().Post("/api/v1/jobs/" + w.job + "/interview-plan/stages/" + w.stage + "/activities",
                   absl::StrCat(R"({"kind":"certn_background_check","settings":{"package_id":")",
                                package, R"(","auto_send":false}})"),
                   w.team.admin_token);
    EXPECT_PROBLEM(pkg, 400, "unknown_package");
  }
  // Certn settings with a missing package.
  HttpResponse no_pkg = svc().Post(
      "/api/v1/jobs/" + w.job + "/interview-plan/stages/" + w.stage + "/activities",
      R"({"kind":"certn_background_check","settings":{"auto_send":false}})", w.team.admin_token);
  EXPECT_PROBLEM(no_pkg, 400, "invalid_settings");
  EXPECT_EQ(Snapshot(w), before);
}

}  // namespace
}  // namespace stagecheck::api_test
