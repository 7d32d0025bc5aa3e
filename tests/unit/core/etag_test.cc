#include "core/domain/etag.h"

#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

Candidate Ada() {
  Candidate c;
  c.team = TeamId("t1");
  c.id = CandidateId("c1");
  c.first_name = "Ada";
  c.last_name = "Lovelace";
  c.email = "ada@example.com";
  c.tags = {"Premium"};
  c.updated_at = absl::FromUnixSeconds(1700000000);
  return c;
}

TEST(Etag, IsAQuotedStrongTagStableForTheSameFields) {
  std::string tag = EtagOf(Ada());
  EXPECT_EQ(tag.size(), 18u);
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(tag.back(), '"');
  EXPECT_EQ(EtagOf(Ada()), tag);
}

TEST(Etag, ChangesWithEveryFieldAClientCanSee) {
  const std::string before = EtagOf(Ada());
  auto changed = [&](auto edit) {
    Candidate c = Ada();
    edit(c);
    return EtagOf(c) != before;
  };
  EXPECT_TRUE(changed([](Candidate& c) { c.first_name = "Ava"; }));
  EXPECT_TRUE(changed([](Candidate& c) { c.last_name = "Byron"; }));
  EXPECT_TRUE(changed([](Candidate& c) { c.email.reset(); }));
  EXPECT_TRUE(changed([](Candidate& c) { c.phone = "+1 555 0100"; }));
  EXPECT_TRUE(changed([](Candidate& c) { c.tags.push_back("CERTN - Pending"); }));
  EXPECT_TRUE(changed([](Candidate& c) { c.updated_at += absl::Microseconds(1); }));
  // Field boundaries count: ("Ada","Lovelace") is not ("AdaL","ovelace").
  EXPECT_TRUE(changed([](Candidate& c) {
    c.first_name = "AdaL";
    c.last_name = "ovelace";
  }));
}

TEST(Etag, JobTeamAndPlanTagsFollowTheirFields) {
  Job job{TeamId("t1"), JobId("j1"), "SRE", std::nullopt, {}, absl::UnixEpoch()};
  Job renamed = job;
  renamed.title = "SRE II";
  EXPECT_NE(EtagOf(job), EtagOf(renamed));
  Team team{TeamId("t1"), "Acme", std::nullopt, absl::UnixEpoch()};
  Team with_default = team;
  with_default.default_package_id = "pkg-basic";
  EXPECT_NE(EtagOf(team), EtagOf(with_default));
  InterviewPlan plan(TeamId("t1"), JobId("j1"), {}, 3);
  InterviewPlan next(TeamId("t1"), JobId("j1"), {}, 4);
  EXPECT_NE(EtagOf(plan), EtagOf(next));
  EXPECT_EQ(EtagOf(plan), EtagOf(InterviewPlan(TeamId("t1"), JobId("j1"), {}, 3)));
}

TEST(IfMatch, AbsentStarOrAListedTagPasses) {
  const std::string tag = EtagOf(Ada());
  EXPECT_TRUE(CheckIfMatch(std::nullopt, tag).ok());
  EXPECT_TRUE(CheckIfMatch("*", tag).ok());
  EXPECT_TRUE(CheckIfMatch(tag, tag).ok());
  EXPECT_TRUE(CheckIfMatch("\"0000000000000000\", " + tag, tag).ok());
}

TEST(IfMatch, AnOlderWeakOrMalformedTagIsPreconditionFailed) {
  const std::string tag = EtagOf(Ada());
  for (const std::string& sent :
       {std::string("\"0000000000000000\""), "W/" + tag, tag.substr(1, 16), std::string("")}) {
    SCOPED_TRACE(sent);
    absl::Status s = CheckIfMatch(sent, tag);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ErrorCode(s), "precondition_failed");
  }
}

}  // namespace
}  // namespace stagecheck
