// The plugin's vocabulary: regions, masked secrets and the status labels each
// applicant-tracking system shows.
#include "gtest/gtest.h"
#include "plugin/certn/domain/integration.h"
#include "plugin/certn/domain/status_labels.h"

namespace stagecheck {
namespace {

using S = CheckStatus;

TEST(Regions, RoundTripAndRejectUnknown) {
  for (auto r : {CertnRegion::kNorthAmerica, CertnRegion::kUkEmea, CertnRegion::kApac,
                 CertnRegion::kSandbox}) {
    EXPECT_EQ(ParseRegion(RegionName(r)), r);
  }
  EXPECT_EQ(ParseRegion("mars"), std::nullopt);
}

TEST(Masking, ShowsAtMostTheLastFour) {
  EXPECT_EQ(MaskSecret("abcd"), "\u2022\u2022\u2022\u2022abcd");
  EXPECT_EQ(MaskSecret("secretabcd"), "\u2022\u2022\u2022\u2022abcd");
}

TEST(StatusLabels, MatchTheProductTable) {
  EXPECT_EQ(LabelsFor(S::kInvited).gem, "Pending");
  EXPECT_EQ(LabelsFor(S::kInvited).lever_tag, "CERTN - Pending");
  EXPECT_EQ(LabelsFor(S::kInvited).kula, "Invitation completed");
  EXPECT_EQ(LabelsFor(S::kInProgress).lever_tag, "CERTN - Analyzing");
  EXPECT_EQ(LabelsFor(S::kInProgress).kula, "Candidate started");
  EXPECT_EQ(LabelsFor(S::kPartial).lever_tag, "CERTN - Partial");
  EXPECT_EQ(LabelsFor(S::kComplete, "", "CLEAR").kula, "Eligible");
  // Only a clear result is a pass; a result to review never reads as one.
  EXPECT_EQ(LabelsFor(S::kComplete, "", "REVIEW").kula, "Needs review");
  EXPECT_EQ(LabelsFor(S::kComplete, "", "RESTRICTED").kula, "Needs review");
  EXPECT_EQ(LabelsFor(S::kComplete, "", "REJECT").kula, "Not eligible");
  EXPECT_EQ(LabelsFor(S::kComplete, "", "NOT_APPLICABLE").kula, "Completed");
  EXPECT_EQ(LabelsFor(S::kComplete).kula, "Completed");  // not scored yet
  EXPECT_EQ(LabelsFor(S::kComplete, "", "REVIEW").gem, "Complete");
  EXPECT_EQ(LabelsFor(S::kComplete, "", "REVIEW").lever_tag, "CERTN - Complete");
  EXPECT_EQ(LabelsFor(S::kError, "no_email").lever_tag, "CERTN - Error (No Email)");
  EXPECT_EQ(LabelsFor(S::kError, "INVITE_UNDELIVERABLE").lever_tag, "CERTN - Error");
  EXPECT_EQ(LabelsFor(S::kCancelled).gem, "Cancelled");
}

}  // namespace
}  // namespace stagecheck
