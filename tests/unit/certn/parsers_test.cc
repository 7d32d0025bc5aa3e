#include "adapters/certn/parsers.h"

#include <map>
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

// ---- tolerant reading (docs/certn-api.md; the table is RequiredFieldTable) --

TEST(RequiredFieldTableTest, NamesWhatAFlowCannotWorkWithout) {
  std::map<std::string, std::vector<std::string>> table;
  for (const RequiredFields& row : RequiredFieldTable()) {
    table[std::string(row.object)] = std::vector<std::string>(row.fields.begin(), row.fields.end());
  }
  EXPECT_THAT(table["case"], ::testing::ElementsAre("id", "overall_status"));
  EXPECT_THAT(table["package"], ::testing::ElementsAre("id", "name"));
  EXPECT_THAT(table["page"], ::testing::ElementsAre("results"));
  EXPECT_THAT(table["group"], ::testing::IsEmpty());
  EXPECT_THAT(table["check"], ::testing::IsEmpty());
  EXPECT_THAT(table["report_file"], ::testing::ElementsAre("url"));
  EXPECT_THAT(table["event"], ::testing::ElementsAre("id"));
  EXPECT_THAT(table["events_page"], ::testing::ElementsAre("results"));
}

TEST(ParseCaseTest, WrongTypedOptionalFieldTakesItsDefault) {
  auto parsed = ParseCase(ReadFixture("case_wrong_types.json"));  // short_id is a number
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->short_id, "");
  EXPECT_EQ(parsed->status, CheckStatus::kInvited);
}

TEST(ParseCaseTest, WrongTypedRequiredFieldIsNamed) {
  auto parsed = ParseCase(R"({"id":"a","overall_status":7})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("'overall_status' is not a string"));
  auto bad_id = ParseCase(R"({"id":{"x":1},"overall_status":"COMPLETE"})");
  ASSERT_FALSE(bad_id.ok());
  EXPECT_THAT(bad_id.status().message(), HasSubstr("'id'"));
}

TEST(ParseCaseTest, TheTwoRequiredFieldsAloneMakeACase) {
  auto parsed = ParseCase(R"({"id":"a","overall_status":"APPLICANT_STARTED"})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id, "a");
  EXPECT_EQ(parsed->status, CheckStatus::kInProgress);
  EXPECT_TRUE(parsed->overall_status_known);
  EXPECT_EQ(parsed->short_id, "");
  EXPECT_EQ(parsed->email, "");
  EXPECT_EQ(parsed->package_id, "");
  EXPECT_FALSE(parsed->created.has_value());
  EXPECT_FALSE(parsed->modified.has_value());
  EXPECT_FALSE(parsed->completed.has_value());
  EXPECT_FALSE(parsed->report_url.has_value());
  EXPECT_FALSE(parsed->report_file_id.has_value());
  EXPECT_FALSE(parsed->overall_score.has_value());
  EXPECT_TRUE(parsed->checks.empty());
}

TEST(ParseCaseTest, UnreadableValuesOfOptionalFieldsTakeTheirDefaults) {
  auto parsed = ParseCase(R"({"id":"a","short_id":"CASE-1","overall_status":"COMPLETE",
    "email_address":5,"package_id":[1],"created":"yesterday","modified":"2024-05-01T10:00:00Z",
    "completed":false,"report_url":{},"report_file_id":true,"overall_score":"MAYBE",
    "checks":[{"id":"c","check_type":"X_1","status":"COMPLETE","result":7,"completed":"soon"}, 3, "x"]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->email, "");
  EXPECT_EQ(parsed->package_id, "");
  EXPECT_FALSE(parsed->created.has_value());
  EXPECT_EQ(parsed->modified, absl::FromUnixSeconds(1714557600));
  EXPECT_FALSE(parsed->completed.has_value());
  EXPECT_FALSE(parsed->report_url.has_value());
  EXPECT_FALSE(parsed->report_file_id.has_value());
  EXPECT_FALSE(parsed->overall_score.has_value());  // not one of Certn's scores
  ASSERT_EQ(parsed->checks.size(), 1u);             // items that are not objects are left out
  EXPECT_FALSE(parsed->checks[0].result.has_value());
  EXPECT_FALSE(parsed->checks[0].completed.has_value());
}

TEST(ParseCaseTest, UnknownOverallStatusIsInProgressNotAnError) {
  auto parsed = ParseCase(R"({"id":"a","overall_status":"ON_THE_MOON","checks":[]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->status, CheckStatus::kInProgress);
  EXPECT_FALSE(parsed->overall_status_known);
  EXPECT_EQ(parsed->overall_status, "ON_THE_MOON");
}

TEST(ParseCaseTest, ApplicantDeclinedIsCancelledWithItsReason) {
  auto parsed = ParseCase(R"({"id":"a","overall_status":"APPLICANT_DECLINED"})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->status, CheckStatus::kCancelled);
  EXPECT_EQ(parsed->error_reason, "applicant_declined");
}

TEST(ParseCaseTest, OverallScoreIsReadNullUntilScored) {
  auto scored = ParseCase(R"({"id":"a","overall_status":"COMPLETE","overall_score":"REVIEW"})");
  ASSERT_TRUE(scored.ok()) << scored.status();
  EXPECT_EQ(scored->overall_score, "REVIEW");
  auto unscored = ParseCase(R"({"id":"a","overall_status":"IN_PROGRESS","overall_score":null})");
  ASSERT_TRUE(unscored.ok()) << unscored.status();
  EXPECT_FALSE(unscored->overall_score.has_value());
}

TEST(ParseCaseTest, PackageIsReadFromPackageOrPackageId) {
  EXPECT_EQ(ParseCase(R"({"id":"a","overall_status":"COMPLETE","package":"p1"})")->package_id,
            "p1");
  EXPECT_EQ(ParseCase(R"({"id":"a","overall_status":"COMPLETE","package":{"id":"p2","name":"n"}})")
                ->package_id,
            "p2");
  EXPECT_EQ(ParseCase(R"({"id":"a","overall_status":"COMPLETE","package_id":"p3"})")->package_id,
            "p3");
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

INSTANTIATE_TEST_SUITE_P(Required, MissingCaseFieldTest, ::testing::Values("id", "overall_status"));

// One test per optional field of a case: without it, the complete case still
// parses, keeps its status and every other field.
class OptionalCaseFieldTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OptionalCaseFieldTest, AbsenceBreaksNothing) {
  auto full = ParseCase(ReadFixture("case_complete.json"));
  ASSERT_TRUE(full.ok()) << full.status();
  auto parsed = ParseCase(Without("case_complete.json", GetParam(), false));
  ASSERT_TRUE(parsed.ok()) << GetParam() << ": " << parsed.status();
  EXPECT_EQ(parsed->id, full->id);
  EXPECT_EQ(parsed->status, CheckStatus::kComplete);
  const std::string field = GetParam();
  if (field != "checks") {
    EXPECT_EQ(parsed->checks.size(), full->checks.size());
  }
  if (field != "short_id") {
    EXPECT_EQ(parsed->short_id, full->short_id);
  }
  if (field != "report_file_id") {
    EXPECT_EQ(parsed->report_file_id, full->report_file_id);
  }
  if (field == "short_id") {
    EXPECT_EQ(parsed->short_id, "");
  }
  if (field == "email_address") {
    EXPECT_EQ(parsed->email, "");
  }
  if (field == "package_id") {
    EXPECT_EQ(parsed->package_id, "");
  }
  if (field == "created") {
    EXPECT_FALSE(parsed->created.has_value());
  }
  if (field == "modified") {
    EXPECT_FALSE(parsed->modified.has_value());
  }
  if (field == "completed") {
    EXPECT_FALSE(parsed->completed.has_value());
  }
  if (field == "report_url") {
    EXPECT_FALSE(parsed->report_url.has_value());
  }
  if (field == "report_file_id") {
    EXPECT_FALSE(parsed->report_file_id.has_value());
  }
  if (field == "overall_score") {
    EXPECT_FALSE(parsed->overall_score.has_value());
  }
  if (field == "checks") {
    EXPECT_TRUE(parsed->checks.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Optional, OptionalCaseFieldTest,
                         ::testing::Values("short_id", "email_address", "package_id", "created",
                                           "modified", "completed", "report_url", "report_file_id",
                                           "overall_score", "checks"));

class OptionalCheckFieldTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OptionalCheckFieldTest, AbsenceBreaksNothing) {
  auto parsed = ParseCase(Without("case_complete.json", GetParam(), true));
  ASSERT_TRUE(parsed.ok()) << GetParam() << ": " << parsed.status();
  ASSERT_EQ(parsed->checks.size(), 2u);
  EXPECT_EQ(parsed->status, CheckStatus::kComplete);
  const CertnCheckResult& first = parsed->checks[0];
  const std::string field = GetParam();
  if (field == "id") {
    EXPECT_EQ(first.id, "");
  }
  if (field == "check_type") {
    EXPECT_EQ(first.check_type, "");
  }
  if (field == "status") {
    EXPECT_EQ(first.status, "");
  }
  if (field == "result") {
    EXPECT_FALSE(first.result.has_value());
  }
  if (field == "completed") {
    EXPECT_FALSE(first.completed.has_value());
  }
}

INSTANTIATE_TEST_SUITE_P(Optional, OptionalCheckFieldTest,
                         ::testing::Values("id", "check_type", "status", "result", "completed"));

TEST(ParsePackagesTest, ReadsAPageWithNextPage) {
  auto page = ParsePackagesPage(ReadFixture("packages_page1.json"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->pagination.next_page, 2);
  EXPECT_EQ(page->pagination.result_count, 4);
  ASSERT_EQ(page->results.size(), 2u);
  EXPECT_EQ(page->results[0].id, "pkg-standard");
  EXPECT_THAT(page->results[0].check_types,
              ::testing::ElementsAre("CRIMINAL_RECORD_1", "ADVERSE_MEDIA_1"));
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

TEST(ParsePackagesTest, MissingAndWrongRequiredFieldsAreNamed) {
  struct Case {
    const char* json;
    const char* field;
  };
  const std::vector<Case> cases = {
      {R"({"pagination":{"result_count":0,"page_count":0,"page_size":1,"current_page":1}})",
       "'results' is missing"},
      {R"({"pagination":{"result_count":0,"page_count":0,"page_size":1,"current_page":1,"next_page":true},"results":[]})",
       "'pagination.next_page'"},
      {R"({"pagination":{"result_count":0,"page_count":0,"page_size":1,"current_page":1},"results":{}})",
       "'results' is not an array"},
      {R"({"results":[{"id":"p","check_types":[]}]})", "'results[0].name' is missing"},
      {R"({"results":[{"name":"n"}]})", "'results[0].id' is missing"},
      {R"({"results":[{"id":"p","name":7}]})", "'results[0].name' is not a string"},
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

TEST(ParsePackagesTest, PaginationIsOptionalAndAListWithoutItIsOnePage) {
  auto page = ParsePackagesPage(
      R"({"results":[{"id":"p","name":"n","check_types":["CRIMINAL_RECORD_1"]}]})");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_FALSE(page->pagination.next_page.has_value());
  EXPECT_EQ(page->pagination.result_count, 1);
  ASSERT_EQ(page->results.size(), 1u);
}

TEST(ParsePackagesTest, PaginationCountsAreOptional) {
  auto page =
      ParsePackagesPage(R"({"pagination":{"result_count":"many","next_page":2},"results":[]})");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->pagination.next_page, 2);
  EXPECT_EQ(page->pagination.result_count, 0);
}

TEST(ParsePackagesTest, CheckTypesAreOptionalAndUnreadableOnesAreLeftOut) {
  auto page = ParsePackagesPage(R"({"results":[{"id":"p","name":"n"},
    {"id":"q","name":"m","check_types":[1,"CRIMINAL_RECORD_1"]},{"id":"r","name":"o","check_types":"x"}]})");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->results.size(), 3u);
  EXPECT_TRUE(page->results[0].check_types.empty());
  EXPECT_THAT(page->results[1].check_types, ::testing::ElementsAre("CRIMINAL_RECORD_1"));
  EXPECT_TRUE(page->results[2].check_types.empty());
}

TEST(ParseGroupsTest, ReadsTheTeamId) {
  auto page = ParseGroupsPage(ReadFixture("groups.json"));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->results.size(), 1u);
  EXPECT_EQ(page->results[0].team_id, "certn-team-42");
}

// docs/certn-api.md: a group need not name a team (nor an id or a name).
TEST(ParseGroupsTest, EveryGroupFieldIsOptional) {
  for (const char* group :
       {R"({"id":"g","name":"n"})", R"({"name":"n","team_id":"t"})", R"({"id":"g","team_id":"t"})",
        R"({})", R"({"team_id":7})", R"({"team_id":null})"}) {
    auto page =
        ParseGroupsPage(std::string(R"({"pagination":{"result_count":1,"page_count":1,"page_size":1,
      "current_page":1,"next_page":null},"results":[)") +
                        group + "]}");
    ASSERT_TRUE(page.ok()) << group << ": " << page.status();
    ASSERT_EQ(page->results.size(), 1u);
  }
  auto no_team = ParseGroupsPage(R"({"results":[{"id":"g","name":"n"}]})");
  ASSERT_TRUE(no_team.ok());
  EXPECT_FALSE(no_team->results[0].team_id.has_value());
  EXPECT_EQ(ParseGroupsPage(R"({"results":[{"team_id":7}]})")->results[0].team_id, "7");
}

TEST(ParseReportFileTest, ReadsTheUrlAndExpiry) {
  auto file = ParseReportFile(
      R"({"id":"rf-1","url":"https://files.example/r.pdf?sig=x","expires_at":"2026-11-30T10:05:00Z"})");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->id, "rf-1");
  EXPECT_EQ(file->url, "https://files.example/r.pdf?sig=x");
  EXPECT_EQ(file->expires_at, absl::FromUnixSeconds(1796033100));
}

TEST(ParseReportFileTest, OnlyTheUrlIsRequired) {
  auto file = ParseReportFile(R"({"url":"https://files.example/r.pdf"})");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->id, "");
  EXPECT_FALSE(file->expires_at.has_value());
  EXPECT_FALSE(
      ParseReportFile(R"({"url":"https://x","expires_at":"later"})")->expires_at.has_value());
  for (const char* bad : {R"({"id":"rf"})", R"({"url":""})", R"({"url":5})", "%PDF-1.4", "[]"}) {
    auto refused = ParseReportFile(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// ---- the event feed (docs/certn-api.md; a third-party guess, read tolerantly) --

// The events page fixture with one field of results[0] removed.
std::string EventWithout(const std::string& field) {
  rapidjson::Document doc;
  doc.Parse(ReadFixture("events_page1.json").c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("results")) return "fixture missing";
  doc["results"][0].RemoveMember(field.c_str());
  return Serialize(doc);
}

TEST(ParseEventsPageTest, ReadsEventsInOrderAndTheNextPage) {
  auto page = ParseEventsPage(ReadFixture("events_page1.json"));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->results.size(), 3u);
  EXPECT_EQ(page->results[0].id, "40");
  EXPECT_EQ(page->results[0].event_type, "CASE_STATUS_CHANGED");
  EXPECT_EQ(page->results[0].case_id, "0d9b3c55-2f6e-4d4a-8f0e-5b1f7c2e9a30");
  EXPECT_EQ(page->results[2].id, "42");
  EXPECT_EQ(page->results[2].case_id, "7e1f2a90-1c3b-4e5d-9f60-2a8b4c6d0e11");
  EXPECT_EQ(page->next,
            "https://api.ca.certn.co/api/public/events/?last_processed_event_id=42&page_size=3");
}

TEST(ParseEventsPageTest, OnlyResultsAndEachEventsIdAreRequired) {
  auto page = ParseEventsPage(R"({"results": [{"id": "evt-1"}, {"id": 7}]})");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->results.size(), 2u);
  EXPECT_EQ(page->results[0].id, "evt-1");
  EXPECT_EQ(page->results[0].event_type, "");
  EXPECT_FALSE(page->results[0].case_id.has_value());
  EXPECT_EQ(page->results[1].id, "7");
  EXPECT_FALSE(page->next.has_value());
  auto last = ParseEventsPage(R"({"next": null, "results": []})");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_TRUE(last->results.empty());
  EXPECT_FALSE(last->next.has_value());
}

class OptionalEventFieldTest : public ::testing::TestWithParam<const char*> {};

// Each optional name of the table: without it the page still parses, with
// every event, its id and (unless it was the case id) its case.
TEST_P(OptionalEventFieldTest, AbsenceBreaksNothing) {
  auto page = ParseEventsPage(EventWithout(GetParam()));
  ASSERT_TRUE(page.ok()) << GetParam() << ": " << page.status();
  ASSERT_EQ(page->results.size(), 3u);
  EXPECT_EQ(page->results[0].id, "40");
  const std::string field = GetParam();
  if (field == "object_id") {
    EXPECT_FALSE(page->results[0].case_id.has_value());
  } else {
    EXPECT_EQ(page->results[0].case_id, "0d9b3c55-2f6e-4d4a-8f0e-5b1f7c2e9a30");
  }
  if (field == "event_type") {
    EXPECT_EQ(page->results[0].event_type, "");
  }
  if (field == "created") {
    EXPECT_FALSE(page->results[0].created.has_value());
  } else {
    EXPECT_EQ(page->results[0].created, absl::FromUnixSeconds(1796032800));
  }
}

INSTANTIATE_TEST_SUITE_P(Optional, OptionalEventFieldTest,
                         ::testing::Values("event_type", "object_type", "object_id", "created"));

TEST(ParseEventsPageTest, EveryOptionalNameOfTheTableIsCovered) {
  for (const RequiredFields& row : RequiredFieldTable()) {
    if (row.object != "event") continue;
    EXPECT_THAT(row.optional, ::testing::ElementsAre("event_type", "object_type", "object_id",
                                                     "case_id", "created"));
  }
}

TEST(ParseEventsPageTest, TheCaseMayBeNamedCaseIdAndOtherObjectsNameNone) {
  auto page = ParseEventsPage(
      R"({"results": [{"id": 1, "case_id": "c-1"}, {"id": 2, "object_id": "x", "object_type": "INVOICE"},
                      {"id": 3, "object_id": "", "case_id": "c-3"}, {"id": 4, "object_id": 5}]})");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->results[0].case_id, "c-1");
  EXPECT_FALSE(page->results[1].case_id.has_value());
  EXPECT_EQ(page->results[2].case_id, "c-3");
  EXPECT_EQ(page->results[3].case_id, "5");
}

TEST(ParseEventsPageTest, UnreadableOptionalValuesTakeTheirDefaults) {
  auto page = ParseEventsPage(
      R"({"results": [{"id": 1, "event_type": 3, "object_id": {"a": 1}, "object_type": null}]})");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->results[0].event_type, "");
  EXPECT_FALSE(page->results[0].case_id.has_value());
}

TEST(ParseEventsPageTest, MalformedRequiredFieldsAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"next": null})", "'results' is missing"},
      {R"({"results": {}})", "'results' is not an array"},
      {R"({"results": [{"event_type": "X"}]})", "'results[0].id' is missing"},
      {R"({"results": [{"id": 1}, {"id": true}]})",
       "'results[1].id' is not a string or integer id"},
      {R"({"results": [{"id": ""}]})", "'results[0].id' is empty"},
      {R"({"results": [7]})", "'results[0]' is not an object"},
      {R"({"results": [], "next": 2})", "'next' is not a URL or null"},
  };
  for (const auto& [json, message] : cases) {
    auto page = ParseEventsPage(json);
    ASSERT_FALSE(page.ok()) << json;
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_THAT(page.status().message(), HasSubstr(message)) << json;
  }
  EXPECT_FALSE(ParseEventsPage("[1, 2").ok());
}

TEST(ParseErrorBodyTest, FieldErrors) {
  ErrorBody body = ParseErrorBody(ReadFixture("error_field_errors.json"));
  ASSERT_EQ(body.field_errors.size(), 2u);
  EXPECT_EQ(body.field_errors[0].first, "email_address");
  EXPECT_THAT(body.field_errors[1].second,
              ::testing::ElementsAre("Unknown package.", "Must be active."));
}

TEST(ParseErrorBodyTest, DetailAndGarbage) {
  EXPECT_EQ(ParseErrorBody(ReadFixture("error_invalid_key.json")).detail, "Invalid API key.");
  ErrorBody garbage = ParseErrorBody("<html>502</html>");
  EXPECT_TRUE(garbage.detail.empty());
  EXPECT_TRUE(garbage.field_errors.empty());
}

TEST(SerializeOrderTest, MatchesTheContract) {
  CertnOrder order{.package_id = "pkg-1",
                   .email = "a\"b@example.com",
                   .first_name = "Ada",
                   .last_name = "Lovelace",
                   .reference = "ref-1"};
  rapidjson::Document doc;
  doc.Parse(SerializeOrderPackage(order).c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["package"].GetString(), "pkg-1");  // docs/certn-api.md
  EXPECT_FALSE(doc.HasMember("package_id"));
  EXPECT_STREQ(doc["email_address"].GetString(), "a\"b@example.com");
  EXPECT_TRUE(doc["send_invite_email"].GetBool());
  EXPECT_STREQ(doc["input_claims"]["name"]["given_name"].GetString(), "Ada");
  EXPECT_STREQ(doc["input_claims"]["name"]["family_name"].GetString(), "Lovelace");
}

}  // namespace
}  // namespace stagecheck::certn
