// Retention and erasure through the real Certn plugin (issue 19): the
// retention job purges a completed check's report data once its period is
// over and says so in the feed; an erasure cancels the active check with
// Certn first, leaves no personal word in any column, and answers a second
// DELETE the same.
#include "core/services/retention.h"
#include "core/errors.h"
#include "core/ports/notification_store.h"
#include "core/ports/outbound_store.h"
#include "core/status_macros.h"
#include "gmock/gmock.h"
#include "tests/support/store/catalog_search.h"
#include "tests/unit/certn_plugin/plugin_harness.h"

namespace stagecheck::plugintest {
namespace {

using ::testing::IsEmpty;

constexpr char kEmail[] = "ada.retention@erasure.example";

class RetentionTest : public PluginHarness {
 protected:
  void SetUp() override {
    PluginHarness::SetUp();
    RetentionOptions options;
    options.batch = 2;
    retention_ = std::make_unique<Retention>(*deps_, options);
    retention_->set_canceller([this](const Principal& who, const BackgroundCheck& check) {
      absl::StatusOr<BackgroundCheck> c = checks_->Cancel(who, check.id, {"erasure"});
      return c.status().code() == absl::StatusCode::kAborted ? absl::OkStatus() : c.status();
    });
    retention_->set_refused_forgetter(
        [this](const auto& cutoff) { return webhook_->ForgetRefused(cutoff); });
    ASSERT_OK(retention_->RegisterWork(*worker_));
    admin_ = NewTeam();
    job_ = NewJob(admin_);
    candidate_ = NewCandidate(admin_, kEmail);
    app_ = NewApplication(admin_, candidate_, job_);
    clock_.Advance(absl::Seconds(1));
  }

  CheckId Send() {
    auto sent = checks_->Send(
        admin_, app_, certn_plugin::SendRequest{CertnActivity(admin_, job_), {}}, std::nullopt);
    EXPECT_TRUE(sent.ok()) << sent.status();
    Drain();
    return sent->id;
  }

  // A check Certn completed, with its results and its report PDF saved.
  CheckId CompletedWithReport() {
    CheckId id = Send();
    gateway_.SetStatus(gateway_.last_case_id(), CheckStatus::kComplete, "COMPLETE",
                       {{"c1", "CRIMINAL_RECORD_1", "COMPLETE", "CLEAR", std::nullopt}});
    EXPECT_TRUE(checks_->Refresh(admin_, id).ok());
    Drain();
    EXPECT_TRUE(checks_->Refresh(admin_, id).ok());  // CASE_REPORT_READY's fetch
    Drain();
    EXPECT_TRUE(Check(admin_, id).report_saved_as.has_value());
    return id;
  }

  // A delivery naming `team`'s Certn team with a signature that does not verify.
  void RefusedFor(const Principal& team) {
    certn_plugin::WebhookRequest r;
    r.body =
        R"({"id":"d-1","event_type":"CASE_STATUS_CHANGED","object_id":"c","object_type":"CASE"})";
    r.certn_team_id = certn_team_of_[team.team.value()];
    r.certn_signature =
        "t=" + std::to_string(absl::ToUnixSeconds(clock_.Now())) + ",v1=" + std::string(64, '0');
    EXPECT_EQ(Deliver(r).http_status, 401);
  }

  int FeedCount(const std::string& type) {
    int n = 0;
    for (const FeedEvent& e : FeedOf(admin_, candidate_)) n += e.type == type;
    return n;
  }

  std::unique_ptr<Retention> retention_;
  Principal admin_;
  JobId job_;
  CandidateId candidate_;
  ApplicationId app_;
};

TEST_F(RetentionTest, ReportDataIsPurgedOnceAfterTheTeamsPeriodWithAFeedLine) {
  CheckId id = CompletedWithReport();
  EXPECT_THAT(storetest::ColumnsContaining(db_->db(), "%PDF").value(), IsEmpty());
  RetentionPatch month;
  month.report_days = 30;
  ASSERT_OK(retention_->Update(admin_, month));
  ASSERT_OK(retention_->Schedule());
  Drain();
  EXPECT_EQ(Check(admin_, id).results.size(), 1u);  // not 30 days old yet
  EXPECT_EQ(applications_->ListFiles(admin_, candidate_)->size(), 1u);

  clock_.Advance(absl::Hours(24 * 31));
  ASSERT_OK(retention_->Schedule());
  Drain();
  EXPECT_THAT(Check(admin_, id).results, IsEmpty());
  EXPECT_THAT(*applications_->ListFiles(admin_, candidate_), IsEmpty());
  ASSERT_EQ(FeedCount("report_data_purged"), 1);
  EXPECT_EQ(FeedOf(admin_, candidate_).front().message,
            "Report data removed by the team's retention policy (kept 30 days after "
            "completion): the report PDF and the per-check results.");
  ASSERT_OK_AND_ASSIGN(report, checks_->Report(admin_, id));
  EXPECT_THAT(report.check.results, IsEmpty());
  // Nothing is purged twice, and the report is not downloaded again.
  const int downloads = gateway_.calls("download");
  ASSERT_OK(retention_->Schedule());
  ASSERT_OK(checks_->Refresh(admin_, id));
  Drain();
  EXPECT_EQ(FeedCount("report_data_purged"), 1);
  EXPECT_EQ(gateway_.calls("download"), downloads);
}

// The outbox (finished deliveries, their attempt logs, the events no delivery
// needs) goes after the team's webhook-body period, in batches; a pending
// delivery stays whatever its age; read notifications go after 90 days.
TEST_F(RetentionTest, TheOutboxAndReadNotificationsArePurgedButNeverPendingDeliveries) {
  const absl::Time t0 = clock_.Now();
  ASSERT_OK(store_->Transact([&](UnitOfWork& uow) -> absl::Status {
    OutboundUnitOfWork& out = OutboundRows(uow);
    for (int i = 1; i <= 4; ++i) {
      const std::string n = std::to_string(i);
      RETURN_IF_ERROR(out.InsertOutboundEvent({admin_.team, OutboundEventId("msg_" + n),
                                               OutboundEventType::kApplicationMoved, app_.value(),
                                               i, R"({"n":)" + n + "}", t0}));
      OutboundDelivery d;
      d.team = admin_.team;
      d.id = OutboundDeliveryId("d" + n);
      d.endpoint = WebhookEndpointId("we_1");
      d.event = OutboundEventId("msg_" + n);
      d.event_type = OutboundEventType::kApplicationMoved;
      d.state = i == 4 ? OutboundDeliveryState::kPending : OutboundDeliveryState::kDelivered;
      d.created_at = d.updated_at = t0;
      RETURN_IF_ERROR(out.InsertOutboundDelivery(d));
      RETURN_IF_ERROR(out.InsertDeliveryAttempt(admin_.team, d.id,
                                                {1, t0, 200, absl::Milliseconds(4), "", "ok"}));
    }
    for (bool read : {true, false}) {
      Notification note;
      note.team = admin_.team;
      note.id = NotificationId(read ? "read" : "unread");
      note.user = admin_.user;
      note.text = "Background check for Ada Lovelace is complete: clear";
      note.read_at = read ? std::optional(t0) : std::nullopt;
      note.created_at = t0;
      RETURN_IF_ERROR(NotificationRows(uow).InsertNotification(note));
    }
    return absl::OkStatus();
  }));
  auto left = [&] {
    std::vector<std::string> ids;
    EXPECT_TRUE(store_
                    ->Read([&](UnitOfWork& uow) -> absl::Status {
                      ASSIGN_OR_RETURN(Page<OutboundDelivery> page,
                                       OutboundRows(uow).ListOutboundDeliveries(
                                           admin_.team, WebhookEndpointId("we_1"), {}));
                      for (const OutboundDelivery& d : page.items) ids.push_back(d.id.value());
                      ASSIGN_OR_RETURN(
                          Page<Notification> notes,
                          NotificationRows(uow).ListNotifications(admin_.team, admin_.user, {}));
                      for (const Notification& n : notes.items) ids.push_back(n.id.value());
                      return absl::OkStatus();
                    })
                    .ok());
    return ids;
  };
  clock_.Advance(absl::Hours(24 * 29));  // within the default 30 days
  ASSERT_OK(retention_->Schedule());
  Drain();
  EXPECT_EQ(left().size(), 6u);
  clock_.Advance(absl::Hours(24 * 2));  // 31 days: a batch of 2, then the rest
  ASSERT_OK(retention_->Schedule());
  Drain();
  EXPECT_EQ(left().size(), 4u);
  clock_.Advance(absl::Seconds(1));  // the next batch was put back 100 ms
  Drain();
  EXPECT_EQ(left(), (std::vector<std::string>{"d4", "unread", "read"}));
  clock_.Advance(absl::Hours(24 * 60));  // 91 days: the read notification goes too
  ASSERT_OK(retention_->Schedule());
  Drain();
  EXPECT_EQ(left(), (std::vector<std::string>{"d4", "unread"}));
}

TEST_F(RetentionTest, RefusedDeliveriesDetailsAreForgottenAfterTheirTeamsPeriod) {
  Principal other = NewTeam("certn-team-2");
  RetentionPatch month;
  month.unverified_metadata_days = 30;
  ASSERT_OK(retention_->Update(other, month));
  RefusedFor(admin_);
  RefusedFor(other);
  ASSERT_EQ(webhook_->refused().Snapshot().size(), 2u);
  clock_.Advance(absl::Hours(24 * 6));
  ASSERT_OK_AND_ASSIGN(none, retention_->ForgetRefused());
  EXPECT_EQ(none, 0u);
  clock_.Advance(absl::Hours(24 * 2));  // 8 days: past the default 7
  ASSERT_OK_AND_ASSIGN(one, retention_->ForgetRefused());
  EXPECT_EQ(one, 1u);
  std::vector<certn_plugin::RefusedDelivery> left = webhook_->refused().Snapshot();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].team, other.team);
  clock_.Advance(absl::Hours(24 * 23));  // 31 days
  ASSERT_OK_AND_ASSIGN(last, retention_->ForgetRefused());
  EXPECT_EQ(last, 1u);
  EXPECT_THAT(webhook_->refused().Snapshot(), IsEmpty());
}

TEST_F(RetentionTest, SettingsOutOfRangeAreRefusedNamingTheField) {
  RetentionPatch none;
  none.delivery_body_days = 0;
  absl::StatusOr<RetentionSettings> zero = retention_->Update(admin_, none);
  EXPECT_EQ(ErrorCode(zero.status()), "invalid_retention");
  EXPECT_EQ(ErrorField(zero.status()), "delivery_body_days");
  RetentionPatch too_long;
  too_long.report_days = 3651;
  EXPECT_EQ(ErrorCode(retention_->Update(admin_, too_long).status()), "invalid_retention");
  ASSERT_OK_AND_ASSIGN(kept, retention_->Get(admin_.team));
  EXPECT_EQ(kept.report_days, 365);
  EXPECT_EQ(kept.delivery_body_days, 30);
  EXPECT_EQ(kept.unverified_metadata_days, 7);
}

TEST_F(RetentionTest, ErasureCancelsTheActiveCheckFirstAndLeavesNoPersonalWordAnywhere) {
  CompletedWithReport();  // an earlier check, with a report
  CheckId active = Send();
  ASSERT_TRUE(Check(admin_, active).external_id.has_value());
  for (const char* word : {kEmail, "Lovelace"})
    ASSERT_FALSE(storetest::ColumnsContaining(db_->db(), word)->empty()) << word;

  ASSERT_OK_AND_ASSIGN(erased, retention_->Erase(admin_, candidate_));
  EXPECT_TRUE(Check(admin_, active).CancelRequested());
  Drain();  // the cancel reaches Certn
  EXPECT_EQ(gateway_.calls("cancel"), 1);
  EXPECT_EQ(Check(admin_, active).status, CheckStatus::kCancelled);

  for (const char* word : {kEmail, "Lovelace", "%PDF", "CRIMINAL_RECORD_1"})
    EXPECT_THAT(storetest::ColumnsContaining(db_->db(), word).value(), IsEmpty()) << word;
  ASSERT_OK_AND_ASSIGN(c, applications_->GetCandidate(admin_, candidate_));
  EXPECT_EQ(c.first_name + " " + c.last_name, "Erased candidate");
  EXPECT_EQ(FeedCount("candidate_erased"), 1);

  // Idempotent: the same answer, no second audit line.
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(again, retention_->Erase(admin_, candidate_));
  EXPECT_EQ(again.erased_at, erased.erased_at);
  EXPECT_EQ(FeedCount("candidate_erased"), 1);
  EXPECT_EQ(gateway_.calls("cancel"), 1);

  Principal other = NewTeam("certn-team-2");
  EXPECT_EQ(retention_->Erase(other, candidate_).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace stagecheck::plugintest
