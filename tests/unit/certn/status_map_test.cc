#include "adapters/certn/status_map.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace stagecheck::certn {
namespace {

CertnCheckResult Check(std::string status) {
  CertnCheckResult c;
  c.status = std::move(status);
  return c;
}

// docs/certn-api.md "Mapping to our normalized status", written out independently of the table.
const std::map<std::string, CheckStatus>& Expected() {
  static const auto* const kExpected = new std::map<std::string, CheckStatus>{
      {"DRAFT", CheckStatus::kInvited},
      {"CASE_ORDERED", CheckStatus::kInvited},
      {"APPLICANT_INVITED", CheckStatus::kInvited},
      {"APPLICANT_OPENED", CheckStatus::kInvited},
      {"APPLICANT_STARTED", CheckStatus::kInProgress},
      {"APPLICANT_SUBMITTED", CheckStatus::kInProgress},
      {"IN_PROGRESS", CheckStatus::kInProgress},
      {"APPLICANT_ACTION_REQUIRED", CheckStatus::kInProgress},
      {"CLIENT_ACTION_REQUIRED", CheckStatus::kInProgress},
      {"IN_DISPUTE", CheckStatus::kInProgress},
      {"COMPLETE", CheckStatus::kComplete},
      {"CANCELLED", CheckStatus::kCancelled},
      {"APPLICANT_DECLINED", CheckStatus::kCancelled},
      {"INVITE_UNDELIVERABLE", CheckStatus::kError},
      {"APPLICANT_EXPIRED", CheckStatus::kError},
  };
  return *kExpected;
}

TEST(StatusMapTest, EveryDocumentedStatusMapsAsTheSpecSays) {
  EXPECT_EQ(KnownOverallStatuses().size(), Expected().size());
  for (const auto& [overall, status] : Expected()) {
    NormalizedStatus got = NormalizeCaseStatus(overall, {});
    EXPECT_TRUE(got.known) << overall;
    EXPECT_EQ(got.status, status) << overall;
    EXPECT_EQ(got.error_reason.empty(),
              status != CheckStatus::kError && overall != "APPLICANT_DECLINED")
        << overall;
  }
}

TEST(StatusMapTest, ErrorReasons) {
  EXPECT_EQ(NormalizeCaseStatus("INVITE_UNDELIVERABLE", {}).error_reason, "invite_undeliverable");
  EXPECT_EQ(NormalizeCaseStatus("APPLICANT_EXPIRED", {}).error_reason, "applicant_expired");
}

TEST(StatusMapTest, InProgressWithSomeChecksCompleteIsPartial) {
  for (const char* overall :
       {"APPLICANT_SUBMITTED", "IN_PROGRESS", "IN_DISPUTE", "CLIENT_ACTION_REQUIRED"}) {
    NormalizedStatus got = NormalizeCaseStatus(overall, {Check("COMPLETE"), Check("IN_PROGRESS")});
    EXPECT_EQ(got.status, CheckStatus::kPartial) << overall;
  }
}

TEST(StatusMapTest, NotPartialWhenNoneOrAllCountedChecksAreComplete) {
  EXPECT_EQ(NormalizeCaseStatus("IN_PROGRESS", {Check("IN_PROGRESS"), Check("PENDING")}).status,
            CheckStatus::kInProgress);
  // A superseded check does not count: every check that counts is complete.
  EXPECT_EQ(NormalizeCaseStatus("IN_PROGRESS", {Check("COMPLETE"), Check("SUPERSEDED")}).status,
            CheckStatus::kInProgress);
  // Partial applies to the in-progress group only.
  EXPECT_EQ(NormalizeCaseStatus("APPLICANT_INVITED", {Check("COMPLETE"), Check("PENDING")}).status,
            CheckStatus::kInvited);
  EXPECT_EQ(NormalizeCaseStatus("COMPLETE", {Check("COMPLETE"), Check("PENDING")}).status,
            CheckStatus::kComplete);
}

// docs/certn-api.md: an unknown status never fails a fetch.
TEST(StatusMapTest, UnknownStatusIsInProgressAndMarkedUnknown) {
  NormalizedStatus got = NormalizeCaseStatus("ON_THE_MOON", {});
  EXPECT_EQ(got.status, CheckStatus::kInProgress);
  EXPECT_FALSE(got.known);
  EXPECT_TRUE(got.error_reason.empty());
  EXPECT_TRUE(NormalizeCaseStatus("COMPLETE", {}).known);
  EXPECT_FALSE(NormalizeCaseStatus("complete", {}).known);  // case matters
}

TEST(StatusMapTest, ApplicantDeclinedIsCancelledWithItsReason) {
  NormalizedStatus got = NormalizeCaseStatus("APPLICANT_DECLINED", {});
  EXPECT_EQ(got.status, CheckStatus::kCancelled);
  EXPECT_EQ(got.error_reason, "applicant_declined");
  EXPECT_TRUE(got.known);
}

TEST(StatusMapTest, OverallScoresOfTheTableOnly) {
  for (const char* score : {"CLEAR", "REVIEW", "REJECT", "NOT_APPLICABLE", "RESTRICTED"}) {
    EXPECT_EQ(ParseOverallScore(score), score);
  }
  EXPECT_EQ(ParseOverallScore(""), std::nullopt);
  EXPECT_EQ(ParseOverallScore("clear"), std::nullopt);
  EXPECT_EQ(ParseOverallScore("SOMETHING_NEW"), std::nullopt);
}

}  // namespace
}  // namespace stagecheck::certn
