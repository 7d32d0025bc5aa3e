// Outbound webhooks in process (issue 20): the events a check's life causes
// (core/services/check_events.h) and the webhook.deliver handler
// (core/services/outbound_deliverer.h) over a real SQLite store, the Certn
// plugin, a hand-driven clock and a scripted poster. The signing itself is
// checked against an independent receiver in tests/e2e/outbound_webhooks_test.cc.
#include <deque>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/ports/outbound_store.h"
#include "core/services/notifications.h"
#include "core/services/outbound_deliverer.h"
#include "core/services/standard_webhooks.h"
#include "core/services/webhook_endpoints.h"
#include "tests/unit/certn_plugin/plugin_harness.h"

namespace stagecheck::plugintest {
namespace {

using certn_plugin::SendRequest;

// Answers posts from a script (then 204), and keeps what it was sent.
class ScriptedPoster final : public WebhookPoster {
 public:
  absl::StatusOr<WebhookReply> Post(const WebhookPost& post) override {
    std::lock_guard<std::mutex> lock(mu_);
    posts.push_back(post);
    if (script.empty()) return WebhookReply{204, absl::Milliseconds(3), std::nullopt, ""};
    absl::StatusOr<WebhookReply> next = script.front();
    script.pop_front();
    return next;
  }
  std::string Header(size_t i, const std::string& name) const {
    for (const auto& [k, v] : posts.at(i).headers)
      if (k == name) return v;
    return "";
  }
  std::deque<absl::StatusOr<WebhookReply>> script;
  std::vector<WebhookPost> posts;

 private:
  std::mutex mu_;
};

class OutboundDeliveryTest : public PluginHarness {
 protected:
  void SetUp() override {
    PluginHarness::SetUp();
    endpoints_ = std::make_unique<WebhookEndpoints>(*deps_, *cipher_, EndpointPolicy{});
    deliverer_ = std::make_unique<OutboundDeliverer>(*deps_, *cipher_, poster_, EndpointPolicy{});
    ASSERT_OK(deliverer_->RegisterWork(*worker_));
    admin_ = NewTeam();
    recruiter_ = Recruiter(admin_);
    job_ = NewJob(admin_);
    app_ = NewApplication(recruiter_, NewCandidate(recruiter_), job_);
  }
  std::string AddEndpoint(std::vector<std::string> types = {"check.created", "check.status_changed",
                                                            "application.moved"}) {
    auto created = endpoints_->Create(admin_, {"https://ats.example.com/hooks", types, ""});
    EXPECT_TRUE(created.ok()) << created.status();
    secret_ = created.ok() ? created->secret : "";
    return created.ok() ? created->endpoint.id.value() : "";
  }
  CheckId SendCheck() {
    auto sent = checks_->Send(recruiter_, app_, SendRequest{CertnActivity(admin_, job_), {}}, {});
    EXPECT_TRUE(sent.ok()) << sent.status();
    return sent.ok() ? sent->id : CheckId();
  }
  std::vector<OutboundDelivery> Log(const std::string& endpoint) {
    auto page = endpoints_->ListDeliveries(admin_, WebhookEndpointId(endpoint), PageRequest{});
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->items : std::vector<OutboundDelivery>{};
  }
  WebhookEndpoint Endpoint(const std::string& id) {
    auto e = endpoints_->Get(admin_, WebhookEndpointId(id));
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : WebhookEndpoint{};
  }
  // Every v1 signature of post i verifies with `secret`.
  bool SignedWith(size_t i, const std::string& secret) {
    const WebhookPost& p = poster_.posts.at(i);
    const std::string id = poster_.Header(i, "webhook-id");
    int64_t ts = 0;
    EXPECT_TRUE(absl::SimpleAtoi(poster_.Header(i, "webhook-timestamp"), &ts));
    auto want = SignWebhook(crypto_, secret, id, ts, p.body);
    EXPECT_TRUE(want.ok());
    for (absl::string_view sig : absl::StrSplit(poster_.Header(i, "webhook-signature"), ' '))
      if (sig == *want) return true;
    return false;
  }

  ScriptedPoster poster_;
  std::unique_ptr<WebhookEndpoints> endpoints_;
  std::unique_ptr<OutboundDeliverer> deliverer_;
  Principal admin_, recruiter_;
  JobId job_;
  ApplicationId app_;
  std::string secret_;
};

TEST_F(OutboundDeliveryTest, ASendIsSignedNumberedAndOnlyForSubscribers) {
  AddEndpoint();
  const std::string secret = secret_;
  AddEndpoint({"check.completed"});  // not told of a send
  const CheckId check = SendCheck();
  Drain();
  ASSERT_EQ(poster_.posts.size(), 2u);  // created, then status_changed (queued → invited)
  EXPECT_TRUE(absl::StrContains(poster_.posts[0].body, R"("type":"check.created")"));
  EXPECT_TRUE(absl::StrContains(poster_.posts[0].body, R"("sequence":1)"));
  EXPECT_TRUE(absl::StrContains(poster_.posts[0].body, check.value()));
  EXPECT_TRUE(absl::StrContains(poster_.posts[1].body, R"("type":"check.status_changed")"));
  EXPECT_TRUE(absl::StrContains(poster_.posts[1].body, R"("sequence":2)"));
  EXPECT_TRUE(absl::StrContains(poster_.posts[1].body, R"("previous_status":"queued")"));
  EXPECT_EQ(poster_.Header(0, "webhook-id").rfind("msg_", 0), 0u);
  EXPECT_TRUE(SignedWith(0, secret));
  EXPECT_FALSE(SignedWith(0, secret_));  // the other endpoint's
  for (const WebhookPost& p : poster_.posts) EXPECT_FALSE(absl::StrContains(p.body, secret));
}

TEST_F(OutboundDeliveryTest, FailuresAreLoggedAndRetriedOnTheScheduleWithRetryAfter) {
  const std::string ep = AddEndpoint({"application.moved"});
  std::string long_answer(400, 'x');
  long_answer[0] = '\xC3';
  poster_.script.push_back(WebhookReply{503, absl::Milliseconds(7), absl::Hours(1), long_answer});
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Background")));
  Drain();
  std::vector<OutboundDelivery> log = Log(ep);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].state, OutboundDeliveryState::kPending);
  ASSERT_EQ(log[0].attempt_log.size(), 1u);
  EXPECT_EQ(log[0].attempt_log[0].http_status, 503);
  EXPECT_EQ(log[0].attempt_log[0].excerpt.size(), kAttemptExcerptBytes);
  EXPECT_EQ(log[0].attempt_log[0].excerpt[0], '?');
  // Retry-After (1 h) wins over the schedule's 5 s: nothing is due before.
  ASSERT_TRUE(log[0].next_attempt_at.has_value());
  EXPECT_GE(*log[0].next_attempt_at - clock_.Now(), absl::Hours(1));
  clock_.Advance(absl::Minutes(59));
  Drain();
  EXPECT_EQ(poster_.posts.size(), 1u);
  clock_.Advance(absl::Minutes(2));
  Drain();
  ASSERT_EQ(poster_.posts.size(), 2u);
  EXPECT_EQ(poster_.Header(0, "webhook-id"), poster_.Header(1, "webhook-id"));
  EXPECT_EQ(poster_.posts[0].body, poster_.posts[1].body);
  log = Log(ep);
  EXPECT_EQ(log[0].state, OutboundDeliveryState::kDelivered);
  EXPECT_EQ(log[0].attempts, 2);
  EXPECT_FALSE(Endpoint(ep).failing_since.has_value());
}

TEST_F(OutboundDeliveryTest, A410DisablesTheEndpointAndLaterEventsAreNotSent) {
  const std::string ep = AddEndpoint({"application.moved"});
  poster_.script.push_back(WebhookReply{410, absl::Milliseconds(1), std::nullopt, "gone"});
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Background")));
  Drain();
  WebhookEndpoint e = Endpoint(ep);
  EXPECT_FALSE(e.enabled);
  EXPECT_EQ(e.disabled_reason, kDisabledGone);
  EXPECT_EQ(Log(ep)[0].state, OutboundDeliveryState::kFailed);
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Screen")));
  Drain();
  EXPECT_EQ(poster_.posts.size(), 1u);
  EXPECT_EQ(Log(ep).size(), 1u);  // a disabled endpoint gets no new deliveries
}

// Every active admin is told, in words, once; nobody else.
TEST_F(OutboundDeliveryTest, AnAutomaticDisableNotifiesEveryActiveAdminOnce) {
  auto second = accounts_->CreateToken(admin_.team, Role::kAdmin, "Ines");
  auto gone = accounts_->CreateToken(admin_.team, Role::kAdmin, "Olga");
  ASSERT_TRUE(second.ok() && gone.ok());
  ASSERT_TRUE(accounts_->DeactivateUser(admin_, gone->user).ok());
  const std::string ep = AddEndpoint({"application.moved"});
  poster_.script.push_back(WebhookReply{410, absl::Milliseconds(1), std::nullopt, "gone"});
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Background")));
  Drain();
  ASSERT_FALSE(Endpoint(ep).enabled);
  Notifications notifications(*deps_);
  auto told = [&](const UserId& user, Role role) {
    auto page = notifications.List(Principal{admin_.team, user, role}, PageRequest{});
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->items : std::vector<Notification>{};
  };
  for (const UserId& user : {admin_.user, second->user}) {
    std::vector<Notification> items = told(user, Role::kAdmin);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].kind, NotificationKind::kEndpointDisabled);
    EXPECT_EQ(items[0].endpoint, WebhookEndpointId(ep));
    EXPECT_FALSE(items[0].check.has_value());
    EXPECT_EQ(items[0].text,
              "Outbound webhook endpoint https://ats.example.com/hooks was disabled "
              "automatically: it answered 410 Gone, which asks us to stop sending. Check the "
              "URL, then enable it on the Outbound webhooks page.");
  }
  EXPECT_TRUE(told(gone->user, Role::kAdmin).empty());
  EXPECT_TRUE(told(recruiter_.user, Role::kRecruiter).empty());
  // Enabled again and gone again: a new notice for the new disable only.
  EndpointChanges on;
  on.enabled = true;
  ASSERT_OK(endpoints_->Update(admin_, WebhookEndpointId(ep), on));
  poster_.script.push_back(WebhookReply{410, absl::Milliseconds(1), std::nullopt, "gone"});
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Screen")));
  Drain();
  EXPECT_EQ(told(admin_.user, Role::kAdmin).size(), 2u);
}

TEST_F(OutboundDeliveryTest, AnEndpointFailingFor72HoursIsDisabled) {
  const std::string ep = AddEndpoint({"application.moved"});
  for (int i = 0; i < 40; ++i)
    poster_.script.push_back(absl::UnavailableError("connection refused"));
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Background")));
  Drain();
  EXPECT_TRUE(Endpoint(ep).failing_since.has_value());
  EXPECT_TRUE(Endpoint(ep).enabled);
  EXPECT_EQ(Log(ep)[0].attempt_log[0].error, "connection refused");
  EXPECT_EQ(Log(ep)[0].attempt_log[0].http_status, 0);
  // The schedule runs out after 8 attempts (about a day and a half)...
  for (int i = 0; i < 20 && Log(ep)[0].state == OutboundDeliveryState::kPending; ++i) {
    clock_.Advance(*Log(ep)[0].next_attempt_at - clock_.Now() + absl::Seconds(1));
    Drain();
  }
  EXPECT_EQ(Log(ep)[0].state, OutboundDeliveryState::kFailed);
  EXPECT_EQ(Log(ep)[0].attempts, kMaxDeliveryAttempts);
  EXPECT_TRUE(Endpoint(ep).enabled);
  // ... and the next failure past 72 hours disables the endpoint.
  clock_.Advance(absl::Hours(72));
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Screen")));
  Drain();
  WebhookEndpoint e = Endpoint(ep);
  EXPECT_FALSE(e.enabled);
  EXPECT_EQ(e.disabled_reason, kDisabledFailing);
  EXPECT_EQ(metrics_.Count("stagecheck_outbound_endpoints_disabled_total"), 1);
  auto told = Notifications(*deps_).List(admin_, PageRequest{});
  ASSERT_TRUE(told.ok()) << told.status();
  ASSERT_EQ(told->items.size(), 1u);
  EXPECT_EQ(told->items[0].text,
            "Outbound webhook endpoint https://ats.example.com/hooks was disabled automatically: "
            "every delivery to it failed for 72 hours. Fix the receiver, then enable it on the "
            "Outbound webhooks page.");
}

TEST_F(OutboundDeliveryTest, DuringARotationBothSecretsSignAndAfterItOnlyTheNewOne) {
  const std::string ep = AddEndpoint({"application.moved"});
  const std::string old_secret = secret_;
  auto rotated = endpoints_->RotateSecret(admin_, WebhookEndpointId(ep));
  ASSERT_OK(rotated);
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Background")));
  Drain();
  ASSERT_EQ(poster_.posts.size(), 1u);
  EXPECT_TRUE(SignedWith(0, old_secret));
  EXPECT_TRUE(SignedWith(0, rotated->secret));
  clock_.Advance(kSecretRotationGrace + absl::Seconds(1));
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Screen")));
  Drain();
  ASSERT_EQ(poster_.posts.size(), 2u);
  EXPECT_FALSE(SignedWith(1, old_secret));
  EXPECT_TRUE(SignedWith(1, rotated->secret));
}

TEST_F(OutboundDeliveryTest, ADeliveryWaitingForADisabledEndpointFailsUnsentAndCanBeReplayed) {
  const std::string ep = AddEndpoint({"application.moved"});
  ASSERT_OK(applications_->Move(recruiter_, app_, StageNamed(admin_, job_, "Background")));
  EndpointChanges off;
  off.enabled = false;
  ASSERT_OK(endpoints_->Update(admin_, WebhookEndpointId(ep), off));
  Drain();
  EXPECT_TRUE(poster_.posts.empty());
  std::vector<OutboundDelivery> log = Log(ep);
  EXPECT_EQ(log[0].state, OutboundDeliveryState::kFailed);
  EXPECT_EQ(endpoints_->Replay(admin_, WebhookEndpointId(ep), log[0].id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // An admin's own disable tells nobody.
  EXPECT_TRUE(Notifications(*deps_).List(admin_, PageRequest{})->items.empty());
  EndpointChanges on;
  on.enabled = true;
  ASSERT_OK(endpoints_->Update(admin_, WebhookEndpointId(ep), on));
  ASSERT_OK(endpoints_->Replay(admin_, WebhookEndpointId(ep), log[0].id));
  Drain();
  EXPECT_EQ(poster_.posts.size(), 1u);
  EXPECT_EQ(Log(ep)[0].state, OutboundDeliveryState::kDelivered);
}

}  // namespace
}  // namespace stagecheck::plugintest
