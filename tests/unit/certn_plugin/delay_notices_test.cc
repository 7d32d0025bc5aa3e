// The delayed-check job (core/services/delay_notices.h) through the real
// Certn plugin, a real SQLite store and a hand-driven clock (the conformance
// suite runs its store methods on PostgreSQL too): a check whose vendor
// estimate passes is reported to its sender and the application's watchers
// once, in words, however often and by however many replicas the job runs;
// the judgement is the API's own `expected_completion.delayed`; a later
// estimate that passes is a new delay; completed checks and checks being
// cancelled are not reported; the job walks every batch.
#include "core/services/delay_notices.h"

#include "absl/strings/match.h"
#include "core/services/notifications.h"
#include "tests/unit/certn_plugin/plugin_harness.h"

namespace stagecheck::plugintest {
namespace {

class DelayNoticesTest : public PluginHarness {
 protected:
  void SetUp() override {
    PluginHarness::SetUp();
    // The harness's clock starts on 2027-01-15 at 08:00 UTC: the dates in the words are known.
    ASSERT_EQ(absl::FormatTime("%Y-%m-%d", clock_.Now(), absl::UTCTimeZone()), "2027-01-15");
    DelayScanOptions options;
    options.batch = 1;  // every check its own batch: the walk is tested too
    delays_ = std::make_unique<DelayNotices>(*deps_, options);
    ASSERT_OK(delays_->RegisterWork(*worker_));
    notifications_ = std::make_unique<Notifications>(*deps_);
    admin_ = NewTeam();
    recruiter_ = Recruiter(admin_);
    watcher_ = Recruiter(admin_);
    job_ = NewJob(admin_);
  }

  // A check sent by the recruiter whose case Certn expects done in `in`.
  std::pair<ApplicationId, CheckId> Sent(absl::Duration in) {
    ApplicationId app = NewApplication(recruiter_, NewCandidate(recruiter_), job_);
    auto sent = checks_->Send(
        recruiter_, app, certn_plugin::SendRequest{CertnActivity(admin_, job_), {}}, std::nullopt);
    EXPECT_TRUE(sent.ok()) << sent.status();
    Drain();
    Estimate(sent->id, clock_.Now() + in);
    return {app, sent->id};
  }
  void Estimate(const CheckId& check, absl::Time at) {
    const std::string case_id = *Check(admin_, check).external_id;
    gateway_.Update(case_id, [&](CertnCase& c) { c.estimated_completion = at; });
    EXPECT_TRUE(checks_->Refresh(admin_, check).ok());
    Drain();
  }
  // One scheduled run of the job (Schedule queues, the work runner runs it).
  void RunJob(DelayNotices& job) {
    ASSERT_OK(job.Schedule());
    Drain();
  }
  static WorkItem ScanOf(const TeamId& team) {
    WorkItem item;
    item.team = team;
    item.kind = std::string(kWorkDelayScan);
    return item;
  }
  std::vector<Notification> Of(const Principal& who) {
    auto page = notifications_->List(who, PageRequest{50, ""});
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<Notification> delayed;
    for (const Notification& n : page.ok() ? page->items : std::vector<Notification>{})
      if (n.kind == NotificationKind::kDelayed) delayed.push_back(n);
    return delayed;
  }

  std::unique_ptr<DelayNotices> delays_;
  std::unique_ptr<Notifications> notifications_;
  Principal admin_, recruiter_, watcher_;
  JobId job_;
};

TEST_F(DelayNoticesTest, APassedEstimateIsToldOnceToTheSenderAndWatchers) {
  auto [app, check] = Sent(absl::Hours(48));
  ASSERT_OK(notifications_->Watch(watcher_, app));
  RunJob(*delays_);
  EXPECT_TRUE(Of(recruiter_).empty());  // not yet due
  ASSERT_TRUE(Check(admin_, check).expected_completion.has_value());
  EXPECT_FALSE(Check(admin_, check).expected_completion->delayed);

  clock_.Advance(absl::Hours(48) + absl::Minutes(1));
  EXPECT_TRUE(Check(admin_, check).expected_completion->delayed);  // the API's view
  RunJob(*delays_);
  std::vector<Notification> told = Of(recruiter_);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].text,
            "Background check for Ada Lovelace is past its expected date (17 January 2027)");
  EXPECT_EQ(told[0].check, check);
  EXPECT_EQ(told[0].application, app);
  EXPECT_EQ(Of(watcher_).size(), 1u);
  EXPECT_TRUE(Of(admin_).empty());  // neither sender nor watcher

  // Again, later, and by a second replica's job: nobody is told twice.
  clock_.Advance(absl::Hours(3));
  RunJob(*delays_);
  DelayNotices replica(*deps_, DelayScanOptions{});
  ASSERT_OK(replica.RunScan(ScanOf(admin_.team)));
  EXPECT_EQ(Of(recruiter_).size(), 1u);
  EXPECT_EQ(Of(watcher_).size(), 1u);
}

TEST_F(DelayNoticesTest, ALaterEstimateThatPassesIsANewDelay) {
  auto [app, check] = Sent(absl::Hours(1));
  clock_.Advance(absl::Hours(2));
  RunJob(*delays_);
  ASSERT_EQ(Of(recruiter_).size(), 1u);
  Estimate(check, clock_.Now() + absl::Hours(24 * 3));  // Certn moves its date
  RunJob(*delays_);
  EXPECT_EQ(Of(recruiter_).size(), 1u);
  clock_.Advance(absl::Hours(24 * 3 + 1));
  RunJob(*delays_);
  std::vector<Notification> told = Of(recruiter_);
  ASSERT_EQ(told.size(), 2u);
  EXPECT_TRUE(absl::StrContains(told[0].text, "(18 January 2027)")) << told[0].text;
}

TEST_F(DelayNoticesTest, EveryBatchIsWalkedAndEndedOrCancelledChecksAreNotTold) {
  std::vector<CheckId> checks;
  for (int i = 0; i < 3; ++i) checks.push_back(Sent(absl::Hours(1)).second);
  // One completes, one is being cancelled; the third is late.
  gateway_.SetStatus(*Check(admin_, checks[0]).external_id, CheckStatus::kComplete, "COMPLETE");
  ASSERT_TRUE(checks_->Refresh(admin_, checks[0]).ok());
  ASSERT_TRUE(checks_->Cancel(recruiter_, checks[1], {"no longer needed"}).ok());
  clock_.Advance(absl::Hours(2));
  RunJob(*delays_);
  std::vector<Notification> told = Of(recruiter_);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].check, checks[2]);
}

TEST_F(DelayNoticesTest, AnotherTeamsChecksAreNotScannedWithThisTeams) {
  Sent(absl::Hours(1));
  const Principal other = NewTeam("certn-team-2");
  clock_.Advance(absl::Hours(2));
  ASSERT_OK(delays_->RunScan(ScanOf(other.team)));
  EXPECT_TRUE(Of(recruiter_).empty());
  ASSERT_OK(delays_->RunScan(ScanOf(admin_.team)));
  EXPECT_EQ(Of(recruiter_).size(), 1u);
}

}  // namespace
}  // namespace stagecheck::plugintest
