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

// CERTN.md "Mapping to our normalized status", written out independently of the table.
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
      {"INVITE_UNDELIVERABLE", CheckStatus::kError},
      {"APPLICANT_EXPIRED", CheckStatus::kError},
  };
  return *kExpected;
}

TEST(StatusMapTest, EveryDocumentedStatusMapsAsTheSpecSays) {
  EXPECT_EQ(KnownOverallStatuses().size(), Expected().size());
  for (const auto& [overall, status] : Expected()) {
    auto got = NormalizeCaseStatus(overall, {});
    ASSERT_TRUE(got.ok()) << overall;
    EXPECT_EQ(got->status, status) << overall;
    EXPECT_EQ(got->error_reason.empty(), status != CheckStatus::kError) << overall;
  }
}

TEST(StatusMapTest, ErrorReasons) {
  EXPECT_EQ(NormalizeCaseStatus("INVITE_UNDELIVERABLE", {})->error_reason, "invite_undeliverable");
  EXPECT_EQ(NormalizeCaseStatus("APPLICANT_EXPIRED", {})->error_reason, "applicant_expired");
}

TEST(StatusMapTest, InProgressWithSomeChecksCompleteIsPartial) {
  for (const char* overall : {"APPLICANT_SUBMITTED", "IN_PROGRESS", "IN_DISPUTE", "CLIENT_ACTION_REQUIRED"}) {
    auto got = NormalizeCaseStatus(overall, {Check("COMPLETE"), Check("IN_PROGRESS")});
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->status, CheckStatus::kPartial) << overall;
  }
}

TEST(StatusMapTest, NotPartialWhenNoneOrAllCountedChecksAreComplete) {
  EXPECT_EQ(NormalizeCaseStatus("IN_PROGRESS", {Check("IN_PROGRESS"), Check("PENDING")})->status,
            CheckStatus::kInProgress);
  // A superseded check does not count: every check that counts is complete.
  EXPECT_EQ(NormalizeCaseStatus("IN_PROGRESS", {Check("COMPLETE"), Check("SUPERSEDED")})->status,
            CheckStatus::kInProgress);
  // Partial applies to the in-progress group only.
  EXPECT_EQ(NormalizeCaseStatus("APPLICANT_INVITED", {Check("COMPLETE"), Check("PENDING")})->status,
            CheckStatus::kInvited);
  EXPECT_EQ(NormalizeCaseStatus("COMPLETE", {Check("COMPLETE"), Check("PENDING")})->status,
            CheckStatus::kComplete);
}

TEST(StatusMapTest, UnknownStatusIsAnError) {
  auto got = NormalizeCaseStatus("complete", {});  // case matters
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace stagecheck::certn
