// Notifications for people and application watches (core/ports/
// notification_store.h, schema v12 and v13) on every Store back-end, built into the
// conformance binary of each (backend_under_test.h).
#include "core/ports/notification_store.h"
#include "core/ports/retention_store.h"
#include "gtest/gtest.h"
#include "tests/conformance/store/backend_under_test.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'750'000'000);

Notification Note(const std::string& team, const std::string& user, const std::string& id,
                  int second) {
  Notification n;
  n.team = TeamId(team);
  n.id = NotificationId(id);
  n.user = UserId(user);
  n.kind = NotificationKind::kNeedsReview;
  n.text = "Background check for Ada Lovelace is complete and needs review";
  n.check = CheckId("chk_" + id);
  n.candidate = CandidateId("cand_1");
  if (second % 2 == 0) n.application = ApplicationId("app_1");
  n.created_at = kT0 + absl::Seconds(second);
  return n;
}

class NotificationConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storetest::TestDatabase::Create(storetest::BackendUnderTest());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto store = db_->Open();
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  // Runs `work` on the notification rows in one read-write transaction.
  absl::Status Rows(const std::function<absl::Status(NotificationUnitOfWork&)>& work) {
    return store_->Transact([&](UnitOfWork& u) { return work(NotificationRows(u)); });
  }
  int64_t Unread(const std::string& team, const std::string& user) {
    int64_t n = -1;
    EXPECT_TRUE(Rows([&](NotificationUnitOfWork& u) {
                  absl::StatusOr<int64_t> c =
                      u.CountUnreadNotifications(TeamId(team), UserId(user));
                  if (c.ok()) n = *c;
                  return c.status();
                }).ok());
    return n;
  }

  // The stored row of `n` (its team, user and id).
  Notification Get(const Notification& n) {
    Notification got;
    EXPECT_TRUE(Rows([&](NotificationUnitOfWork& u) {
                  auto g = u.GetNotification(n.team, n.user, n.id);
                  if (g.ok()) got = *g;
                  return g.status();
                }).ok());
    return got;
  }

  std::unique_ptr<storetest::TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

TEST_F(NotificationConformance, AUsersListIsNewestFirstInPagesAndOnlyTheirs) {
  ASSERT_TRUE(Rows([](NotificationUnitOfWork& u) -> absl::Status {
                for (int i = 0; i < 5; ++i) {
                  absl::Status s =
                      u.InsertNotification(Note("t1", "u1", "n" + std::to_string(i), i));
                  if (!s.ok()) return s;
                }
                (void)u.InsertNotification(Note("t1", "u2", "other_user", 9));
                return u.InsertNotification(Note("t2", "u1", "other_team", 9));
              }).ok());
  std::vector<std::string> seen;
  PageRequest page{2, ""};
  for (int guard = 0; guard < 5; ++guard) {
    Page<Notification> got;
    ASSERT_TRUE(Rows([&](NotificationUnitOfWork& u) {
                  auto p = u.ListNotifications(TeamId("t1"), UserId("u1"), page);
                  if (p.ok()) got = *p;
                  return p.status();
                }).ok());
    for (const Notification& n : got.items) seen.push_back(n.id.value());
    if (got.next.empty()) break;
    page.after = got.next;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"n4", "n3", "n2", "n1", "n0"}));
  EXPECT_EQ(Unread("t1", "u1"), 5);
  EXPECT_EQ(Unread("t1", "u2"), 1);
  EXPECT_EQ(Unread("t2", "u2"), 0);
}

TEST_F(NotificationConformance, RoundTripsAndMarksReadOnlyTheUsersOwn) {
  Notification n = Note("t1", "u1", "n1", 0);
  ASSERT_TRUE(Rows([&](NotificationUnitOfWork& u) { return u.InsertNotification(n); }).ok());
  EXPECT_EQ(Rows([&](NotificationUnitOfWork& u) { return u.InsertNotification(n); }).code(),
            absl::StatusCode::kAlreadyExists);
  // Another user of the team, or the same user id in another team: not found.
  for (const auto& [team, user] :
       std::vector<std::pair<std::string, std::string>>{{"t1", "u2"}, {"t2", "u1"}}) {
    EXPECT_EQ(Rows([&](NotificationUnitOfWork& u) {
                return u.MarkNotificationRead(TeamId(team), UserId(user), n.id, kT0);
              }).code(),
              absl::StatusCode::kNotFound);
  }
  const absl::Time read = kT0 + absl::Minutes(1);
  ASSERT_TRUE(Rows([&](NotificationUnitOfWork& u) {
                return u.MarkNotificationRead(n.team, n.user, n.id, read);
              }).ok());
  // Read again later: keeps the first time.
  ASSERT_TRUE(Rows([&](NotificationUnitOfWork& u) {
                return u.MarkNotificationRead(n.team, n.user, n.id, read + absl::Hours(1));
              }).ok());
  Notification got = Get(n);
  EXPECT_EQ(got.kind, NotificationKind::kNeedsReview);
  EXPECT_EQ(got.text, n.text);
  EXPECT_EQ(got.check, n.check);
  EXPECT_EQ(got.candidate, n.candidate);
  EXPECT_EQ(got.application, n.application);
  EXPECT_EQ(got.created_at, n.created_at);
  EXPECT_EQ(got.read_at, read);
  EXPECT_EQ(Unread("t1", "u1"), 0);
}

TEST_F(NotificationConformance, MarkAllReadCountsOnlyTheUsersUnread) {
  ASSERT_TRUE(Rows([](NotificationUnitOfWork& u) -> absl::Status {
                (void)u.InsertNotification(Note("t1", "u1", "a", 1));
                (void)u.InsertNotification(Note("t1", "u1", "b", 2));
                return u.InsertNotification(Note("t1", "u2", "c", 3));
              }).ok());
  int64_t marked = -1;
  ASSERT_TRUE(Rows([&](NotificationUnitOfWork& u) {
                auto m = u.MarkAllNotificationsRead(TeamId("t1"), UserId("u1"), kT0);
                if (m.ok()) marked = *m;
                return m.status();
              }).ok());
  EXPECT_EQ(marked, 2);
  EXPECT_EQ(Unread("t1", "u1"), 0);
  EXPECT_EQ(Unread("t1", "u2"), 1);
}

TEST_F(NotificationConformance, WatchesAreIdempotentPerTeamAndRemovable) {
  const TeamId t1("t1");
  const ApplicationId app("app_1");
  ASSERT_TRUE(Rows([&](NotificationUnitOfWork& u) -> absl::Status {
                (void)u.AddWatch({t1, app, UserId("u2"), kT0});
                (void)u.AddWatch({t1, app, UserId("u1"), kT0});
                (void)u.AddWatch({TeamId("t2"), app, UserId("u3"), kT0});
                return u.AddWatch({t1, app, UserId("u1"), kT0 + absl::Seconds(1)});
              }).ok());
  std::vector<UserId> watchers;
  auto list = [&] {
    return Rows([&](NotificationUnitOfWork& u) {
      auto w = u.ListWatchers(t1, app);
      if (w.ok()) watchers = *w;
      return w.status();
    });
  };
  ASSERT_TRUE(list().ok());
  EXPECT_EQ(watchers, (std::vector<UserId>{UserId("u1"), UserId("u2")}));
  ASSERT_TRUE(
      Rows([&](NotificationUnitOfWork& u) { return u.RemoveWatch(t1, app, UserId("u1")); }).ok());
  EXPECT_EQ(
      Rows([&](NotificationUnitOfWork& u) { return u.RemoveWatch(t1, app, UserId("u1")); }).code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(
      Rows([&](NotificationUnitOfWork& u) { return u.RemoveWatch(t1, app, UserId("u3")); }).code(),
      absl::StatusCode::kNotFound);
  ASSERT_TRUE(list().ok());
  EXPECT_EQ(watchers, (std::vector<UserId>{UserId("u2")}));
}

// Schema v13: a notification about an endpoint names no check or candidate.
TEST_F(NotificationConformance, AnEndpointNoticeRoundTripsWithoutACheck) {
  Notification n;
  n.team = TeamId("t1");
  n.id = NotificationId("e1");
  n.user = UserId("admin");
  n.kind = NotificationKind::kEndpointDisabled;
  n.text = "Outbound webhook endpoint ATS was disabled automatically: it answered 410 Gone";
  n.endpoint = WebhookEndpointId("we_1");
  n.created_at = kT0;
  ASSERT_TRUE(Rows([&](NotificationUnitOfWork& u) { return u.InsertNotification(n); }).ok());
  Notification got = Get(n);
  EXPECT_EQ(got.kind, NotificationKind::kEndpointDisabled);
  EXPECT_EQ(got.endpoint, n.endpoint);
  EXPECT_FALSE(got.check.has_value());
  EXPECT_FALSE(got.candidate.has_value());
  EXPECT_FALSE(got.application.has_value());
  EXPECT_EQ(Unread("t1", "admin"), 1);
}

TEST_F(NotificationConformance, ADelayIsRecordedOncePerCheckAndKey) {
  std::vector<bool> firsts;
  auto record = [&](const std::string& team, const std::string& check, const std::string& key) {
    return Rows([&](NotificationUnitOfWork& u) -> absl::Status {
      absl::StatusOr<bool> first =
          u.RecordDelayNotice(TeamId(team), CheckId(check), key, kT0, kT0 + absl::Hours(1));
      if (first.ok()) firsts.push_back(*first);
      return first.status();
    });
  };
  ASSERT_TRUE(record("t1", "chk_1", "vendor:100").ok());
  ASSERT_TRUE(record("t1", "chk_1", "vendor:100").ok());  // again: nothing new
  ASSERT_TRUE(record("t1", "chk_1", "vendor:200").ok());  // a later estimate passed too
  ASSERT_TRUE(record("t1", "chk_2", "vendor:100").ok());
  ASSERT_TRUE(record("t2", "chk_1", "vendor:100").ok());  // another team's check
  ASSERT_TRUE(record("t1", "chk_1", "projection").ok());
  ASSERT_TRUE(record("t1", "chk_1", "projection").ok());
  EXPECT_EQ(firsts, (std::vector<bool>{true, false, true, true, true, true, false}));
}

TEST_F(NotificationConformance, RetentionPurgesOnlyOldReadNotifications) {
  ASSERT_TRUE(Rows([](NotificationUnitOfWork& u) -> absl::Status {
                for (int i = 0; i < 4; ++i) {
                  Notification n = Note("t1", "u1", "old" + std::to_string(i), i);
                  if (i < 3) n.read_at = kT0 + absl::Hours(1);  // old3 stays unread
                  absl::Status s = u.InsertNotification(n);
                  if (!s.ok()) return s;
                }
                Notification fresh = Note("t1", "u1", "fresh", 1000);
                fresh.read_at = kT0 + absl::Hours(1);
                (void)u.InsertNotification(fresh);
                Notification other = Note("t2", "u1", "other", 0);
                other.read_at = kT0 + absl::Hours(1);
                return u.InsertNotification(other);
              }).ok());
  std::vector<int64_t> runs;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_
                    ->Transact([&](UnitOfWork& u) -> absl::Status {
                      absl::StatusOr<int64_t> n = RetentionRows(u).PurgeReadNotifications(
                          TeamId("t1"), kT0 + absl::Seconds(500), 2);
                      if (n.ok()) runs.push_back(*n);
                      return n.status();
                    })
                    .ok());
  }
  EXPECT_EQ(runs, (std::vector<int64_t>{2, 1, 0}));
  std::vector<std::string> left;
  ASSERT_TRUE(Rows([&](NotificationUnitOfWork& u) -> absl::Status {
                auto p = u.ListNotifications(TeamId("t1"), UserId("u1"), PageRequest{10, ""});
                if (!p.ok()) return p.status();
                for (const Notification& n : p->items) left.push_back(n.id.value());
                auto o = u.GetNotification(TeamId("t2"), UserId("u1"), NotificationId("other"));
                return o.status();
              }).ok());
  EXPECT_EQ(left, (std::vector<std::string>{"fresh", "old3"}));
}

}  // namespace
}  // namespace stagecheck
