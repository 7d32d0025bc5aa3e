#include "core/status_macros.h"

#include <memory>
#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

int calls = 0;
absl::Status Step(bool ok) {
  ++calls;
  return ok ? absl::OkStatus() : Error(absl::StatusCode::kNotFound, "missing", "no such thing");
}
absl::StatusOr<std::unique_ptr<std::string>> Make(bool ok) {
  if (!ok) return Error(absl::StatusCode::kInvalidArgument, "bad", "cannot make it");
  return std::make_unique<std::string>("made");
}

absl::Status TwoSteps(bool first, bool second) {
  RETURN_IF_ERROR(Step(first));
  RETURN_IF_ERROR(Step(second));
  return absl::OkStatus();
}

absl::StatusOr<std::string> Assign(bool ok) {
  ASSIGN_OR_RETURN(std::unique_ptr<std::string> made, Make(ok));  // move-only values work
  std::string out = "got ";
  ASSIGN_OR_RETURN(auto again, Make(true));  // twice in one scope
  return out + *made + "/" + *again;
}

TEST(StatusMacros, ReturnIfErrorStopsAtTheFirstErrorAndKeepsItsCode) {
  calls = 0;
  EXPECT_TRUE(TwoSteps(true, true).ok());
  EXPECT_EQ(calls, 2);
  calls = 0;
  absl::Status s = TwoSteps(false, true);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorCode(s), "missing");
  EXPECT_EQ(calls, 1);
}

TEST(StatusMacros, AssignOrReturnMovesTheValueOrReturnsTheStatus) {
  absl::StatusOr<std::string> ok = Assign(true);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "got made/made");
  absl::StatusOr<std::string> bad = Assign(false);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode(bad.status()), "bad");
}

}  // namespace
}  // namespace stagecheck
