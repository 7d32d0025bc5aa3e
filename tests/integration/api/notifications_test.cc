// Notifications for people (issue 20, item 4): GET /api/v1/notifications,
// unread-count, mark one or all read, and POST/GET/DELETE an application's
// watch. The sender of a check and the application's watchers are told when
// it completes; nobody reaches another user's or team's notifications.
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

constexpr char kList[] = "/api/v1/notifications";
constexpr char kCount[] = "/api/v1/notifications/unread-count";

class NotificationsTest : public ApiTest {
 protected:
  int64_t Unread(const std::string& token) {
    HttpResponse r = svc().Get(kCount, token);
    EXPECT_EQ(r.status, 200) << Describe(r);
    return r.Int("/unread").value_or(-1);
  }
  void Complete(const World& w) { CompleteAtCertn(w); }
};

TEST_F(NotificationsTest, TheSenderAndAWatcherAreToldWhenACheckCompletes) {
  World w = NewWorld();
  const std::string watch = "/api/v1/applications/" + w.application + "/watch";
  EXPECT_EQ(svc().Get(watch, w.team.admin_token).Bool("/watching"), false);
  HttpResponse watched = svc().Post(watch, "", w.team.admin_token);
  ASSERT_EQ(watched.status, 200) << Describe(watched);
  EXPECT_EQ(watched.Bool("/watching"), true);
  EXPECT_EQ(svc().Post(watch, "", w.team.admin_token).status, 200) << "watching twice is fine";
  EXPECT_EQ(svc().Get(watch, w.team.admin_token).Bool("/watching"), true);
  EXPECT_EQ(Unread(w.team.recruiter_token), 0);
  Complete(w);
  ASSERT_TRUE(testing::WaitFor([&] { return Unread(w.team.recruiter_token) == 1; }));
  EXPECT_EQ(Unread(w.team.admin_token), 1);
  HttpResponse list = svc().Get(kList, w.team.recruiter_token);
  ASSERT_EQ(list.status, 200) << Describe(list);
  ASSERT_EQ(list.Size("/items"), 1u) << list.body;
  EXPECT_EQ(list.String("/items/0/text"), "Background check for Ada Lovelace is complete: clear");
  EXPECT_EQ(list.String("/items/0/kind"), "completed");
  EXPECT_EQ(list.String("/items/0/check_id"), w.check);
  EXPECT_EQ(list.String("/items/0/application_id"), w.application);
  EXPECT_EQ(list.Bool("/items/0/read"), false);
  EXPECT_TRUE(list.IsNull("/next"));
  const std::string id = list.String("/items/0/id").value_or("");
  // The admin's own copy is another notification: the recruiter's is not theirs.
  EXPECT_PROBLEM(svc().Post(std::string(kList) + "/" + id + "/read", "", w.team.admin_token), 404,
                 "not_found");
  HttpResponse read =
      svc().Post(std::string(kList) + "/" + id + "/read", "", w.team.recruiter_token);
  ASSERT_EQ(read.status, 200) << Describe(read);
  EXPECT_EQ(read.Bool("/read"), true);
  EXPECT_EQ(Unread(w.team.recruiter_token), 0);
  EXPECT_EQ(Unread(w.team.admin_token), 1);
  HttpResponse all = svc().Post(std::string(kList) + "/read-all", "", w.team.admin_token);
  ASSERT_EQ(all.status, 200) << Describe(all);
  EXPECT_EQ(all.Int("/marked"), 1);
  EXPECT_EQ(Unread(w.team.admin_token), 0);
  // Unwatching stops nothing already written, and answers the new state.
  HttpResponse unwatched = svc().Delete(watch, w.team.admin_token);
  ASSERT_EQ(unwatched.status, 200) << Describe(unwatched);
  EXPECT_EQ(unwatched.Bool("/watching"), false);
  EXPECT_EQ(svc().Get(watch, w.team.admin_token).Bool("/watching"), false);
}

TEST_F(NotificationsTest, AnotherTeamReachesNothingAndBadInputIsRefused) {
  World w = NewWorld();
  Complete(w);
  ASSERT_TRUE(testing::WaitFor([&] { return Unread(w.team.recruiter_token) == 1; }));
  const std::string id =
      svc().Get(kList, w.team.recruiter_token).String("/items/0/id").value_or("");
  ASSERT_FALSE(id.empty());
  TeamTokens other = NewTeam();
  EXPECT_PROBLEM(svc().Post(std::string(kList) + "/" + id + "/read", "", other.recruiter_token),
                 404, "not_found");
  EXPECT_PROBLEM(svc().Post(std::string(kList) + "/no-such-id/read", "", w.team.recruiter_token),
                 404, "not_found");
  EXPECT_EQ(svc().Get(kList, other.recruiter_token).Size("/items"), 0u);
  EXPECT_EQ(Unread(other.admin_token), 0);
  EXPECT_EQ(svc().Post(std::string(kList) + "/read-all", "", other.admin_token).Int("/marked"), 0);
  EXPECT_EQ(Unread(w.team.recruiter_token), 1) << "another team's read-all marks nothing of ours";
  const std::string watch = "/api/v1/applications/" + w.application + "/watch";
  EXPECT_PROBLEM(svc().Post(watch, "", other.recruiter_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Get(watch, other.recruiter_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Delete(watch, other.recruiter_token), 404, "not_found");
  EXPECT_PROBLEM(svc().Post("/api/v1/applications/nope/watch", "", w.team.recruiter_token), 404,
                 "not_found");
  EXPECT_PROBLEM(svc().Get(std::string(kList) + "?after=not-a-cursor", w.team.recruiter_token), 400,
                 "invalid_cursor");
  EXPECT_PROBLEM(svc().Get(std::string(kList) + "?limit=0", w.team.recruiter_token), 400,
                 "invalid_limit");
  EXPECT_EQ(svc().Get(kList).status, 401);
  EXPECT_EQ(svc().Get(kCount).status, 401);
}

TEST_F(NotificationsTest, AResultToReviewSaysSoAndPagesAreNewestFirst) {
  World w = NewWorld();
  Complete(w);
  ASSERT_TRUE(testing::WaitFor([&] { return Unread(w.team.recruiter_token) == 1; }));
  World review = w;
  review.candidate = CreateCandidate(w.team, "grace+review@example.com");
  review.application = CreateApplication(w.team, review.candidate, w.job);
  review.check = SendCheck(w.team, review.application, w.activity);
  WaitOrdered(w.team, review.check);
  Complete(review);
  ASSERT_TRUE(testing::WaitFor([&] { return Unread(w.team.recruiter_token) == 2; }));
  HttpResponse first = svc().Get(std::string(kList) + "?limit=1", w.team.recruiter_token);
  ASSERT_EQ(first.status, 200) << Describe(first);
  ASSERT_EQ(first.Size("/items"), 1u) << first.body;
  EXPECT_EQ(first.String("/items/0/kind"), "needs_review");
  EXPECT_EQ(first.String("/items/0/text"),
            "Background check for Ada Lovelace is complete and needs review");
  EXPECT_EQ(first.String("/items/0/check_id"), review.check);
  const std::string next = first.String("/next").value_or("");
  ASSERT_FALSE(next.empty()) << first.body;
  HttpResponse second =
      svc().Get(std::string(kList) + "?limit=1&after=" + next, w.team.recruiter_token);
  ASSERT_EQ(second.status, 200) << Describe(second);
  ASSERT_EQ(second.Size("/items"), 1u) << second.body;
  EXPECT_EQ(second.String("/items/0/check_id"), w.check);
  EXPECT_TRUE(second.IsNull("/next"));
}

}  // namespace
}  // namespace stagecheck::api_test
