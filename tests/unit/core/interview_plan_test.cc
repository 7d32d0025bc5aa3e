#include "core/activity_kind.h"
#include "core/domain/job.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

// A kind with one required string setting, standing in for a plugin.
class NeedsPackageKind : public PlainActivityKind {
 public:
  NeedsPackageKind() : PlainActivityKind("needs_package", "Needs package") {}
  absl::StatusOr<ActivitySettings> ValidateSettings(const ActivitySettings& raw) const override {
    if (!raw.GetString("package_id")) return absl::InvalidArgumentError("package_id is required");
    return raw;
  }
};

class InterviewPlanTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RegisterBuiltinKinds(kinds_).ok());
    ASSERT_TRUE(kinds_.Register(std::make_unique<NeedsPackageKind>()).ok());
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const Stage& s : plan_.stages()) out.push_back(s.name);
    return out;
  }
  ActivityKindRegistry kinds_;
  InterviewPlan plan_{TeamId("t1"), JobId("j1"), {}, 0};
};

TEST_F(InterviewPlanTest, AddsStagesInOrderAndAtAPosition) {
  ASSERT_TRUE(plan_.AddStage(StageId("s1"), "Screen", std::nullopt).ok());
  ASSERT_TRUE(plan_.AddStage(StageId("s2"), "Onsite", std::nullopt).ok());
  ASSERT_TRUE(plan_.AddStage(StageId("s3"), "Phone", 1).ok());
  EXPECT_EQ(Names(), (std::vector<std::string>{"Screen", "Phone", "Onsite"}));
}

TEST_F(InterviewPlanTest, RefusesBadStageInput) {
  EXPECT_EQ(plan_.AddStage(StageId("s1"), "", std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plan_.AddStage(StageId("s1"), std::string(201, 'x'), std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plan_.AddStage(StageId("s1"), "Past end", 3).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(plan_.stages().empty());
}

TEST_F(InterviewPlanTest, LimitsTheNumberOfStages) {
  for (size_t i = 0; i < InterviewPlan::kMaxStages; ++i) {
    ASSERT_TRUE(plan_.AddStage(StageId("s" + std::to_string(i)), "S", std::nullopt).ok());
  }
  EXPECT_EQ(plan_.AddStage(StageId("x"), "S", std::nullopt).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(InterviewPlanTest, RenamesMovesAndRemovesStages) {
  ASSERT_TRUE(plan_.AddStage(StageId("a"), "A", std::nullopt).ok());
  ASSERT_TRUE(plan_.AddStage(StageId("b"), "B", std::nullopt).ok());
  ASSERT_TRUE(plan_.AddStage(StageId("c"), "C", std::nullopt).ok());
  ASSERT_TRUE(plan_.RenameStage(StageId("b"), "Bee").ok());
  ASSERT_TRUE(plan_.MoveStage(StageId("c"), 0).ok());
  EXPECT_EQ(Names(), (std::vector<std::string>{"C", "A", "Bee"}));
  ASSERT_TRUE(plan_.MoveStage(StageId("c"), 2).ok());
  EXPECT_EQ(Names(), (std::vector<std::string>{"A", "Bee", "C"}));
  ASSERT_TRUE(plan_.RemoveStage(StageId("a")).ok());
  EXPECT_EQ(Names(), (std::vector<std::string>{"Bee", "C"}));
}

TEST_F(InterviewPlanTest, UnknownStagesAreNotFound) {
  EXPECT_EQ(plan_.RenameStage(StageId("nope"), "X").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(plan_.MoveStage(StageId("nope"), 0).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(plan_.RemoveStage(StageId("nope")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(
      plan_.AddActivity(StageId("nope"), ActivityId("a"), "interview", {}, kinds_).status().code(),
      absl::StatusCode::kNotFound);
}

TEST_F(InterviewPlanTest, MoveOutOfRangeIsRefused) {
  ASSERT_TRUE(plan_.AddStage(StageId("a"), "A", std::nullopt).ok());
  EXPECT_EQ(plan_.MoveStage(StageId("a"), 1).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(InterviewPlanTest, AddsAndRemovesActivities) {
  ASSERT_TRUE(plan_.AddStage(StageId("a"), "A", std::nullopt).ok());
  ActivitySettings settings;
  settings.Set("package_id", std::string("pkg"));
  ASSERT_TRUE(plan_.AddActivity(StageId("a"), ActivityId("x1"), "interview", {}, kinds_).ok());
  ASSERT_TRUE(
      plan_.AddActivity(StageId("a"), ActivityId("x2"), "needs_package", settings, kinds_).ok());
  ASSERT_EQ(plan_.stages()[0].activities.size(), 2u);
  EXPECT_EQ(plan_.FindStageOfActivity(ActivityId("x2"))->id, StageId("a"));
  EXPECT_EQ(plan_.FindActivity(ActivityId("x2"))->settings.GetString("package_id"), "pkg");
  ASSERT_TRUE(plan_.RemoveActivity(StageId("a"), ActivityId("x1")).ok());
  EXPECT_EQ(plan_.stages()[0].activities.size(), 1u);
  EXPECT_EQ(plan_.RemoveActivity(StageId("a"), ActivityId("x1")).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(InterviewPlanTest, UnknownKindIsRefused) {
  ASSERT_TRUE(plan_.AddStage(StageId("a"), "A", std::nullopt).ok());
  auto added = plan_.AddActivity(StageId("a"), ActivityId("x"), "carrier_pigeon", {}, kinds_);
  EXPECT_EQ(added.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(plan_.stages()[0].activities.empty());
}

TEST_F(InterviewPlanTest, InvalidSettingsAreRefused) {
  ASSERT_TRUE(plan_.AddStage(StageId("a"), "A", std::nullopt).ok());
  EXPECT_EQ(
      plan_.AddActivity(StageId("a"), ActivityId("x"), "needs_package", {}, kinds_).status().code(),
      absl::StatusCode::kInvalidArgument);
  ActivitySettings extra;
  extra.Set("colour", std::string("red"));
  EXPECT_EQ(
      plan_.AddActivity(StageId("a"), ActivityId("y"), "interview", extra, kinds_).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(plan_.stages()[0].activities.empty());
}

TEST_F(InterviewPlanTest, UpdatesActivitySettingsThroughValidation) {
  ASSERT_TRUE(plan_.AddStage(StageId("a"), "A", std::nullopt).ok());
  ActivitySettings settings;
  settings.Set("package_id", std::string("p1"));
  ASSERT_TRUE(
      plan_.AddActivity(StageId("a"), ActivityId("x"), "needs_package", settings, kinds_).ok());
  EXPECT_EQ(plan_.UpdateActivitySettings(StageId("a"), ActivityId("x"), {}, kinds_).code(),
            absl::StatusCode::kInvalidArgument);
  settings.Set("package_id", std::string("p2"));
  ASSERT_TRUE(plan_.UpdateActivitySettings(StageId("a"), ActivityId("x"), settings, kinds_).ok());
  EXPECT_EQ(plan_.FindActivity(ActivityId("x"))->settings.GetString("package_id"), "p2");
}

TEST(ActivityKindRegistry, RefusesDuplicateNames) {
  ActivityKindRegistry kinds;
  ASSERT_TRUE(RegisterBuiltinKinds(kinds).ok());
  EXPECT_EQ(kinds.Register(std::make_unique<PlainActivityKind>("interview", "Again")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_NE(kinds.Find("take_home"), nullptr);
  EXPECT_EQ(kinds.Find("nope"), nullptr);
  EXPECT_EQ(kinds.All().size(), 2u);
}

}  // namespace
}  // namespace stagecheck
