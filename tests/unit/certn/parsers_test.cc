#include "adapters/certn/parsers.h"

#include <string>
#include <vector>

#include "fixture_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace stagecheck::certn {
namespace {

using ::stagecheck::certn::testing::ReadFixture;
using ::testing::HasSubstr;

std::string Serialize(const rapidjson::Document& doc) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return buffer.GetString();
}

// The fixture with one field removed (`check_field` names a field of checks[0]).
std::string Without(const std::string& fixture, const std::string& field, bool in_check) {
  rapidjson::Document doc;
  doc.Parse(ReadFixture(fixture).c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("checks")) return "fixture missing";
  rapidjson::Value& target = in_check ? doc["checks"][0] : static_cast<rapidjson::Value&>(doc);
  target.RemoveMember(field.c_str());
  return Serialize(doc);
}

TEST(ParseCaseTest, ReadsACompleteCase) {
  std::string json = ReadFixture("case_complete.json");
  ASSERT_FALSE(json.empty()) << "fixture not found";
  auto parsed = ParseCase(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id, "0d9b3c55-2f6e-4d4a-8f0e-5b1f7c2e9a30");
  EXPECT_EQ(parsed->short_id, "CASE-AB12CD34");
  EXPECT_EQ(parsed->overall_status, "COMPLETE");
  EXPECT_EQ(parsed->status, CheckStatus::kComplete);
  EXPECT_EQ(parsed->email, "grace@example.com");
  EXPECT_EQ(parsed->package_id, "pkg-standard");
  EXPECT_EQ(parsed->created, absl::FromUnixSeconds(1714557600));
  ASSERT_TRUE(parsed->completed.has_value());
  EXPECT_EQ(parsed->report_url, "https://api.certn.co/reports/CASE-AB12CD34");
  EXPECT_EQ(parsed->report_file_id, "rf-0d9b3c55");
  ASSERT_EQ(parsed->checks.size(), 2u);
  EXPECT_EQ(parsed->checks[1].check_type, "ADVERSE_MEDIA_1");
  EXPECT_EQ(parsed->checks[1].result, "REVIEW");
}

TEST(ParseCaseTest, SomeChecksCompleteIsPartial) {
  auto parsed = ParseCase(ReadFixture("case_in_progress_partial.json"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->status, CheckStatus::kPartial);
  EXPECT_FALSE(parsed->completed.has_value());
  EXPECT_FALSE(parsed->report_file_id.has_value());
  EXPECT_FALSE(parsed->checks[1].result.has_value());
  // Fractional seconds with an offset are ISO 8601 too.
  EXPECT_EQ(parsed->modified, absl::FromUnixMillis(1714649400250));
}

TEST(ParseCaseTest, InviteUndeliverableIsAnErrorWithItsReason) {
  auto parsed = ParseCase(ReadFixture("case_invite_undeliverable.json"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->status, CheckStatus::kError);
  EXPECT_EQ(parsed->error_reason, "invite_undeliverable");
}

TEST(ParseCaseTest, IgnoresUnknownFields) {
  auto parsed = ParseCase(ReadFixture("case_extra_fields.json"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->status, CheckStatus::kInvited);
  ASSERT_EQ(parsed->checks.size(), 1u);
  EXPECT_EQ(parsed->checks[0].check_type, "IDENTITY_VERIFICATION_1");
}

TEST(ParseCaseTest, WrongTypeNamesTheField) {
  auto parsed = ParseCase(ReadFixture("case_wrong_types.json"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("'short_id'"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("not a string"));
}

TEST(ParseCaseTest, WrongTypesInsideChecksNameThePath) {
  auto parsed = ParseCase(R"({"id":"a","short_id":"CASE-1","overall_status":"COMPLETE",
    "email_address":"x@y","package_id":"p","created":"2024-05-01T10:00:00Z",
    "modified":"2024-05-01T10:00:00Z","completed":null,"report_url":null,"report_file_id":null,
    "checks":[{"id":"c","check_type":"X_1","status":"COMPLETE","result":7,"completed":null}]})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("'checks[0].result'"));
}

TEST(ParseCaseTest, BadTimestampNamesTheField) {
  auto parsed = ParseCase(R"({"id":"a","short_id":"CASE-1","overall_status":"COMPLETE",
    "email_address":"x@y","package_id":"p","created":"yesterday",
    "modified":"2024-05-01T10:00:00Z","completed":null,"checks":[]})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("'created'"));
}

TEST(ParseCaseTest, UnknownOverallStatusIsRejected) {
  auto parsed = ParseCase(R"({"id":"a","short_id":"CASE-1","overall_status":"ON_THE_MOON",
    "email_address":"x@y","package_id":"p","created":"2024-05-01T10:00:00Z",
    "modified":"2024-05-01T10:00:00Z","completed":null,"checks":[]})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("'overall_status'"));
}

TEST(ParseCaseTest, MalformedJsonIsRejected) {
  for (const char* text : {"", "{", "[]", "null", "{\"id\": }", "{} trailing"}) {
    auto parsed = ParseCase(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

class MissingCaseFieldTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MissingCaseFieldTest, NamesTheMissingField) {
  auto parsed = ParseCase(Without("case_complete.json", GetParam(), false));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr(std::string("'") + GetParam() + "' is missing"));
}

INSTANTIATE_TEST_SUITE_P(Required, MissingCaseFieldTest,
                         ::testing::Values("id", "short_id", "overall_status", "email_address",
                                           "package_id", "created", "modified", "checks"));

class MissingCheckFieldTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MissingCheckFieldTest, NamesTheMissingField) {
  auto parsed = ParseCase(Without("case_complete.json", GetParam(), true));
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr(std::string("'checks[0].") + GetParam() + "' is missing"));
}

INSTANTIATE_TEST_SUITE_P(Required, MissingCheckFieldTest, ::testing::Values("id", "check_type", "status"));

TEST(ParseCaseTest, NullableFieldsMayBeAbsent) {
  auto parsed = ParseCase(Without("case_complete.json", "report_url", false));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->report_url.has_value());
}

TEST(ParsePackagesTest, ReadsAPageWithNextPage) {
  auto page = ParsePackagesPage(ReadFixture("packages_page1.json"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->pagination.next_page, 2);
  EXPECT_EQ(page->pagination.result_count, 4);
  ASSERT_EQ(page->results.size(), 2u);
  EXPECT_EQ(page->results[0].id, "pkg-standard");
  EXPECT_THAT(page->results[0].check_types, ::testing::ElementsAre("CRIMINAL_RECORD_1", "ADVERSE_MEDIA_1"));
}

TEST(ParsePackagesTest, LastPageExtraFieldsAndNumericIds) {
  auto page = ParsePackagesPage(ReadFixture("packages_page2_url_next.json"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_FALSE(page->pagination.next_page.has_value());
  ASSERT_EQ(page->results.size(), 2u);
  EXPECT_EQ(page->results[1].id, "17");
}

TEST(ParsePackagesTest, NextPageAsUrl) {
  auto page = ParsePackagesPage(R"({"pagination":{"result_count":3,"page_count":3,"page_size":1,
    "current_page":1,"next_page":"https://api.certn.co/api/public/packages/?page_size=1&page=2"},"results":[]})");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->pagination.next_page, 2);
}

TEST(ParsePackagesTest, EmptyPage) {
  auto page = ParsePackagesPage(ReadFixture("packages_empty.json"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->results.empty());
  EXPECT_FALSE(page->pagination.next_page.has_value());
}

TEST(ParsePackagesTest, MissingAndWrongFieldsAreNamed) {
  struct Case {
    const char* json;
    const char* field;
  };
  const std::vector<Case> cases = {
      {R"({"results":[]})", "'pagination' is missing"},
      {R"({"pagination":{"result_count":0,"page_count":0,"page_size":1,"current_page":1}})", "'results' is missing"},
      {R"({"pagination":{"page_count":0,"page_size":1,"current_page":1},"results":[]})",
       "'pagination.result_count' is missing"},
      {R"({"pagination":{"result_count":"0","page_count":0,"page_size":1,"current_page":1},"results":[]})",
       "'pagination.result_count' is not an integer"},
      {R"({"pagination":{"result_count":0,"page_count":0,"page_size":1,"current_page":1,"next_page":true},"results":[]})",
       "'pagination.next_page'"},
      {R"({"pagination":{"result_count":0,"page_count":0,"page_size":1,"current_page":1},"results":{}})",
       "'results' is not an array"},
      {R"({"pagination":{"result_count":1,"page_count":1,"page_size":1,"current_page":1},"results":[{"id":"p","check_types":[]}]})",
       "'results[0].name' is missing"},
      {R"({"pagination":{"result_count":1,"page_count":1,"page_size":1,"current_page":1},"results":[{"id":"p","name":"n","check_types":[1]}]})",
       "'results[0].check_types[0]' is not a string"},
      {R"({"pagination":{"result_count":1,"page_count":1,"page_size":1,"current_page":1},"results":[7]})",
       "'results[0]' is not an object"},
  };
  for (const Case& c : cases) {
    auto page = ParsePackagesPage(c.json);
    ASSERT_FALSE(page.ok()) << c.json;
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(page.status().message(), HasSubstr(c.field)) << c.json;
  }
}

TEST(ParseGroupsTest, ReadsTheTeamId) {
  auto page = ParseGroupsPage(ReadFixture("groups.json"));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->results.size(), 1u);
  EXPECT_EQ(page->results[0].team_id, "certn-team-42");
}

TEST(ParseGroupsTest, MissingTeamIdIsNamed) {
  auto page = ParseGroupsPage(R"({"pagination":{"result_count":1,"page_count":1,"page_size":1,
    "current_page":1,"next_page":null},"results":[{"id":"g","name":"n"}]})");
  ASSERT_FALSE(page.ok());
  EXPECT_THAT(page.status().message(), HasSubstr("'results[0].team_id' is missing"));
}

TEST(ParseErrorBodyTest, FieldErrors) {
  ErrorBody body = ParseErrorBody(ReadFixture("error_field_errors.json"));
  ASSERT_EQ(body.field_errors.size(), 2u);
  EXPECT_EQ(body.field_errors[0].first, "email_address");
  EXPECT_THAT(body.field_errors[1].second, ::testing::ElementsAre("Unknown package.", "Must be active."));
}

TEST(ParseErrorBodyTest, DetailAndGarbage) {
  EXPECT_EQ(ParseErrorBody(ReadFixture("error_invalid_key.json")).detail, "Invalid API key.");
  ErrorBody garbage = ParseErrorBody("<html>502</html>");
  EXPECT_TRUE(garbage.detail.empty());
  EXPECT_TRUE(garbage.field_errors.empty());
}

TEST(SerializeOrderTest, MatchesTheContract) {
  CertnOrder order{.package_id = "pkg-1", .email = "a\"b@example.com", .first_name = "Ada",
                   .last_name = "Lovelace", .reference = "ref-1"};
  rapidjson::Document doc;
  doc.Parse(SerializeOrderPackage(order).c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["package_id"].GetString(), "pkg-1");
  EXPECT_STREQ(doc["email_address"].GetString(), "a\"b@example.com");
  EXPECT_TRUE(doc["send_invite_email"].GetBool());
  EXPECT_STREQ(doc["input_claims"]["name"]["given_name"].GetString(), "Ada");
  EXPECT_STREQ(doc["input_claims"]["name"]["family_name"].GetString(), "Lovelace");
}

}  // namespace
}  // namespace stagecheck::certn
