#include "core/domain/candidate.h"
#include "core/domain/settings.h"
#include "core/domain/team.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

TEST(CandidateTags, MatchCaseInsensitivelyAndTrimmed) {
  Candidate c;
  c.AddTag("  Premium Package ");
  c.AddTag("premium package");
  ASSERT_EQ(c.tags.size(), 1u);
  EXPECT_EQ(c.tags[0], "Premium Package");
  EXPECT_TRUE(c.HasTag("PREMIUM PACKAGE"));
  c.AddTag("   ");
  EXPECT_EQ(c.tags.size(), 1u);
}

TEST(CandidateTags, StatusTagsAreReplacedByPrefix) {
  Candidate c;
  c.AddTag("CERTN - Pending");
  c.AddTag("Keep me");
  c.RemoveTagsWithPrefix("CERTN - ");
  c.AddTag("CERTN - Analyzing");
  EXPECT_EQ(c.tags, (std::vector<std::string>{"Keep me", "CERTN - Analyzing"}));
}

// A plugin registers its status tags' prefix when it is built.
class SystemTags : public ::testing::Test {
 protected:
  SystemTags() { RegisterSystemTagPrefix("CERTN - "); }
};

TEST_F(SystemTags, AreListedApartFromTheRecruitersTags) {
  Candidate c;
  c.tags = {"Premium", "CERTN - Pending", "Night shift"};
  EXPECT_EQ(c.SystemTags(), (std::vector<std::string>{"CERTN - Pending"}));
  EXPECT_EQ(c.RecruiterTags(), (std::vector<std::string>{"Premium", "Night shift"}));
  EXPECT_TRUE(IsSystemTag("CERTN - Error (No Email)"));
  EXPECT_TRUE(IsSystemTag("  CERTN - Complete"));
  EXPECT_FALSE(IsSystemTag("Certification"));
}

TEST_F(SystemTags, AreNeverTouchedWhenTheRecruitersTagsAreReplaced) {
  Candidate c;
  c.tags = {"Old", "CERTN - Pending"};
  // A form read the tags when the check was complete and saves them now.
  c.ReplaceRecruiterTags({"New", "CERTN - Complete", "new"});
  EXPECT_EQ(c.tags, (std::vector<std::string>{"New", "CERTN - Pending"}));
  // Nor can a form drop the system tag.
  c.ReplaceRecruiterTags({});
  EXPECT_EQ(c.tags, (std::vector<std::string>{"CERTN - Pending"}));
}

TEST(Email, AcceptsPlainAddressesAndRefusesOthers) {
  EXPECT_TRUE(ValidateEmail("ada@example.com").ok());
  for (const char* bad : {"", "ada", "@example.com", "ada@", "ada@example", "a b@example.com",
                          "ada@@example.com", "ada@example.com."}) {
    EXPECT_FALSE(ValidateEmail(bad).ok()) << bad;
  }
}

TEST(ApplicationStatus, RoundTrip) {
  for (auto s :
       {ApplicationStatus::kActive, ApplicationStatus::kRejected, ApplicationStatus::kHired}) {
    EXPECT_EQ(ParseApplicationStatus(ApplicationStatusName(s)), s);
  }
  EXPECT_EQ(ParseApplicationStatus("archived"), std::nullopt);
}

TEST(Roles, RoundTrip) {
  EXPECT_EQ(ParseRole("admin"), Role::kAdmin);
  EXPECT_EQ(ParseRole("recruiter"), Role::kRecruiter);
  EXPECT_EQ(ParseRole("root"), std::nullopt);
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
}

TEST(Settings, TypedAccessRefusesWrongTypes) {
  ActivitySettings s;
  s.Set("package_id", std::string("p"));
  s.Set("auto_send", true);
  EXPECT_EQ(s.GetString("package_id"), "p");
  EXPECT_EQ(s.GetBool("auto_send"), true);
  EXPECT_EQ(s.GetBool("package_id"), std::nullopt);
  EXPECT_EQ(s.GetString("missing"), std::nullopt);
}

}  // namespace
}  // namespace stagecheck
