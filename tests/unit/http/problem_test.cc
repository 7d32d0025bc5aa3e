#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "adapters/http/json_writer.h"
#include "adapters/http/problem.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace stagecheck::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ProblemMapping : public ::testing::TestWithParam<std::tuple<absl::StatusCode, int>> {};

TEST_P(ProblemMapping, MapsCanonicalCodeToHttpStatus) {
  auto [code, http_status] = GetParam();
  EXPECT_EQ(HttpStatusFor(code), http_status);
  absl::Status status(code, "something specific");
  Response response = ProblemResponse(status);
  EXPECT_EQ(response.status, http_status);

  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(response.body.c_str()).HasParseError()) << response.body;
  EXPECT_EQ(doc["status"].GetInt(), http_status);
  EXPECT_EQ(std::string(doc["code"].GetString()),
            http_status == 500 ? "internal" : ErrorCode(status));
  EXPECT_EQ(std::string(doc["type"].GetString()),
            std::string(kProblemTypeBase) + doc["code"].GetString());
  EXPECT_EQ(std::string(doc["title"].GetString()), std::string(ReasonPhrase(http_status)));
  if (http_status == 500) {
    EXPECT_THAT(response.body, Not(HasSubstr("something specific")));
  } else {
    EXPECT_EQ(std::string(doc["detail"].GetString()), "something specific");
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryCode, ProblemMapping,
    ::testing::Values(std::make_tuple(absl::StatusCode::kInvalidArgument, 400),
                      std::make_tuple(absl::StatusCode::kUnauthenticated, 401),
                      std::make_tuple(absl::StatusCode::kPermissionDenied, 403),
                      std::make_tuple(absl::StatusCode::kNotFound, 404),
                      std::make_tuple(absl::StatusCode::kAlreadyExists, 409),
                      std::make_tuple(absl::StatusCode::kAborted, 409),
                      std::make_tuple(absl::StatusCode::kFailedPrecondition, 422),
                      std::make_tuple(absl::StatusCode::kResourceExhausted, 429),
                      std::make_tuple(absl::StatusCode::kUnavailable, 503),
                      std::make_tuple(absl::StatusCode::kDeadlineExceeded, 504),
                      std::make_tuple(absl::StatusCode::kInternal, 500),
                      std::make_tuple(absl::StatusCode::kUnknown, 500),
                      std::make_tuple(absl::StatusCode::kDataLoss, 500),
                      std::make_tuple(absl::StatusCode::kUnimplemented, 500),
                      std::make_tuple(absl::StatusCode::kCancelled, 500),
                      std::make_tuple(absl::StatusCode::kOutOfRange, 500)));

TEST(Problem, UsesTheStatusOwnStableCode) {
  Response r =
      ProblemResponse(Error(absl::StatusCode::kFailedPrecondition, "no_email", "no email"));
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(r.body, HasSubstr("\"code\":\"no_email\""));
  EXPECT_THAT(r.body, HasSubstr("\"type\":\"https://stagecheck.dev/errors/no_email\""));
  EXPECT_EQ(r.headers.at(0).first, "Content-Type");
  EXPECT_EQ(r.headers.at(0).second, "application/problem+json");
}

TEST(Problem, AStaleIfMatchIs412PreconditionFailed) {
  Response r = ProblemResponse(
      Error(absl::StatusCode::kFailedPrecondition, "precondition_failed", "changed"));
  EXPECT_EQ(r.status, 412);
  EXPECT_THAT(r.body, HasSubstr("\"title\":\"Precondition Failed\""));
  EXPECT_THAT(r.body, HasSubstr("\"code\":\"precondition_failed\""));
  // Other FailedPrecondition codes keep their 422.
  EXPECT_EQ(HttpStatusFor(Error(absl::StatusCode::kFailedPrecondition, "no_email", "x")), 422);
}

TEST(Problem, StableCodesWithAMorePreciseStatusKeepItInEveryAnswer) {
  EXPECT_EQ(ProblemResponse(Error(absl::StatusCode::kInvalidArgument, "unsupported_media_type",
                                  "send application/json"))
                .status,
            415);
  Response not_ready = ProblemResponse(
      Error(absl::StatusCode::kFailedPrecondition, "report_not_ready", "not complete"));
  EXPECT_EQ(not_ready.status, 409);
  EXPECT_THAT(not_ready.body, HasSubstr("\"title\":\"Conflict\""));
  // The same canonical codes without those stable codes keep their status.
  EXPECT_EQ(HttpStatusFor(Error(absl::StatusCode::kInvalidArgument, "invalid_body", "x")), 400);
}

TEST(Problem, AnExtensionMemberFollowsTheStandardOnes) {
  Response r = ProblemResponse(
      WithField(Error(absl::StatusCode::kAlreadyExists, "check_already_active", "active"), "x"),
      "existing_check", [](JsonWriter& w) { w.StartObject().Field("id", "chk_1").EndObject(); });
  EXPECT_EQ(r.status, 409);
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(r.body.c_str()).HasParseError()) << r.body;
  EXPECT_EQ(std::string(doc["code"].GetString()), "check_already_active");
  EXPECT_EQ(std::string(doc["field"].GetString()), "x");
  EXPECT_EQ(std::string(doc["existing_check"]["id"].GetString()), "chk_1");
  // An internal error shows nothing of its own, extension included.
  EXPECT_EQ(
      ProblemResponse(absl::InternalError("db"), "existing_check", [](JsonWriter& w) { w.Null(); })
          .body.find("existing_check"),
      std::string::npos);
}

TEST(Problem, AnOkStatusIsTreatedAsAnInternalBug) {
  EXPECT_EQ(ProblemResponse(absl::OkStatus()).status, 500);
}

TEST(Problem, EscapesDetail) {
  std::string body = ProblemBody(400, "bad", "quote \" and \n newline");
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(body.c_str()).HasParseError());
  EXPECT_EQ(std::string(doc["detail"].GetString()), "quote \" and \n newline");
}

TEST(JsonWriter, WritesNestedValues) {
  JsonWriter w;
  w.StartObject()
      .Field("s", "text")
      .Field("i", int64_t{-3})
      .Field("b", true)
      .Key("a")
      .StartArray()
      .Int(1)
      .Null()
      .EndArray()
      .EndObject();
  EXPECT_EQ(w.Take(), R"({"s":"text","i":-3,"b":true,"a":[1,null]})");
  w.StartArray().EndArray();
  EXPECT_EQ(w.Take(), "[]");
}

TEST(Request, FindsHeadersCaseInsensitively) {
  Request request;
  request.headers = {{"content-type", "application/json"}, {"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(request.Header("Content-Type"), "application/json");
  EXPECT_EQ(request.Header("X-A"), "1");
  EXPECT_FALSE(request.Header("missing").has_value());
}

TEST(Request, DecodesQueryParameters) {
  Request request;
  request.query = "a=1&name=J%C3%BCrgen+M&empty=&flag&bad=%zz&a=2";
  EXPECT_EQ(request.QueryParam("a"), "1");
  EXPECT_EQ(request.QueryParam("name"), "J\xC3\xBCrgen M");
  EXPECT_EQ(request.QueryParam("empty"), "");
  EXPECT_EQ(request.QueryParam("flag"), "");
  EXPECT_FALSE(request.QueryParam("bad").has_value());
  EXPECT_FALSE(request.QueryParam("missing").has_value());
}

TEST(Response, SetHeaderReplacesCaseInsensitively) {
  Response r = Response::Json(201, "{}");
  r.SetHeader("content-type", "application/vnd+json").SetHeader("Location", "/x");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].second, "application/vnd+json");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(Response::Text(200, "hi").headers[0].second, "text/plain; charset=utf-8");
}

}  // namespace
}  // namespace stagecheck::http
