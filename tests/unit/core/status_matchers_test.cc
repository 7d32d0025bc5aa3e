// The test-support status matchers (tests/support/matchers/status_matchers.h)
// match what they claim and explain what they do not.
#include "tests/support/matchers/status_matchers.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

using ::stagecheck::testing::IsOk;
using ::stagecheck::testing::IsOkAndHolds;
using ::stagecheck::testing::StatusIs;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;

template <typename M, typename T>
std::string Explain(const M& matcher, const T& value) {
  ::testing::StringMatchResultListener listener;
  ::testing::ExplainMatchResult(matcher, value, &listener);
  return listener.str();
}

TEST(StatusMatchersTest, IsOkMatchesOkStatusesAndStatusOrs) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(3), IsOk());
  EXPECT_THAT(absl::NotFoundError("gone"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(absl::InternalError("x")), Not(IsOk()));
  EXPECT_THAT(Explain(IsOk(), absl::NotFoundError("no such job")), HasSubstr("no such job"));
}

TEST(StatusMatchersTest, IsOkAndHoldsLooksAtTheValue) {
  absl::StatusOr<std::string> title = std::string("Ops lead");
  EXPECT_THAT(title, IsOkAndHolds("Ops lead"));
  EXPECT_THAT(title, IsOkAndHolds(HasSubstr("Ops")));
  EXPECT_THAT(title, Not(IsOkAndHolds("Other")));
  absl::StatusOr<std::string> failed = absl::UnavailableError("store down");
  EXPECT_THAT(failed, Not(IsOkAndHolds(_)));
  EXPECT_THAT(Explain(IsOkAndHolds(_), failed), HasSubstr("store down"));
}

TEST(StatusMatchersTest, StatusIsMatchesTheCodeAndOptionallyTheMessage) {
  absl::Status invalid = absl::InvalidArgumentError("title is empty");
  EXPECT_THAT(invalid, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(invalid, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(invalid, Not(StatusIs(absl::StatusCode::kNotFound)));
  EXPECT_THAT(invalid, Not(StatusIs(_, HasSubstr("too long"))));
  EXPECT_THAT(absl::StatusOr<int>(absl::NotFoundError("gone")),
              StatusIs(absl::StatusCode::kNotFound, "gone"));
  EXPECT_THAT(absl::StatusOr<int>(1), StatusIs(absl::StatusCode::kOk));
}

}  // namespace
}  // namespace stagecheck
