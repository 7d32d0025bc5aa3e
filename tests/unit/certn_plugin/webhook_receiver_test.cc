#include <algorithm>
#include <future>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "plugin/certn/addressees.h"
#include "plugin/certn/pending_fetches.h"
#include "plugin/certn/ports/certn_store.h"
#include "plugin/certn/signature.h"
#include "tests/support/store/lane_gate.h"
#include "tests/unit/certn_plugin/plugin_harness.h"

namespace stagecheck::plugintest {
namespace {

using certn_plugin::AddresseeCache;
using certn_plugin::PendingFetches;
using certn_plugin::WebhookAnswer;
using certn_plugin::WebhookRequest;

class WebhookReceiverTest : public PluginHarness {
 protected:
  // A team with a sent, ordered check; returns the check and its case id.
  void SetUpOrderedCheck() {
    admin_ = NewTeam();
    JobId job = NewJob(admin_);
    candidate_ = NewCandidate(admin_);
    app_ = NewApplication(admin_, candidate_, job);
    certn_plugin::SendRequest send{CertnActivity(admin_, job), std::nullopt};
    auto created = checks_->Send(admin_, app_, send, std::nullopt);
    ASSERT_TRUE(created.ok()) << created.status();
    check_ = created->id;
    Drain();
    case_id_ = gateway_.last_case_id();
    ASSERT_FALSE(case_id_.empty());
  }
  int64_t Deliveries(const std::string& verdict) {
    auto list = InTransaction<std::vector<WebhookDelivery>>(
        *store_, [&](UnitOfWork& uow) { return uow.ListDeliveries(std::nullopt, 1000); });
    EXPECT_TRUE(list.ok());
    return std::count_if(list->begin(), list->end(), [&](const WebhookDelivery& d) {
      return VerdictName(d.verdict) == verdict;
    });
  }

  Principal admin_;
  CandidateId candidate_;
  ApplicationId app_;
  CheckId check_;
  std::string case_id_;
};

TEST_F(WebhookReceiverTest, SignedDeliveryIsRecordedAndTheCaseFetched) {
  SetUpOrderedCheck();
  gateway_.SetStatus(case_id_, CheckStatus::kInProgress, "APPLICANT_STARTED");
  WebhookAnswer answer = Deliver(SignedEvent("d-1", case_id_));
  EXPECT_EQ(answer.http_status, 200);
  EXPECT_EQ(answer.code, "applied");
  int fetches_before = gateway_.calls("get_case");
  Drain();
  EXPECT_EQ(gateway_.calls("get_case"), fetches_before + 1);
  EXPECT_EQ(Check(admin_, check_).status, CheckStatus::kInProgress);
  auto integration = InTransaction<CertnIntegration>(
      *store_, [&](UnitOfWork& u) { return CertnRows(u).GetIntegration(admin_.team); });
  ASSERT_TRUE(integration.ok());
  EXPECT_EQ(integration->last_delivery_at, clock_.Now());
}

// last_delivery_at tells an admin that deliveries arrive; it is refreshed at
// most once a minute (a burst must not rewrite the integration row per
// delivery), and it does follow later deliveries.
TEST_F(WebhookReceiverTest, LastDeliveryTimeIsRefreshedOncePerMinute) {
  SetUpOrderedCheck();
  auto last_delivery = [&] {
    return InTransaction<CertnIntegration>(
               *store_, [&](UnitOfWork& u) { return CertnRows(u).GetIntegration(admin_.team); })
        .value()
        .last_delivery_at;
  };
  ASSERT_EQ(Deliver(SignedEvent("d-1", case_id_)).http_status, 200);
  const absl::Time first = clock_.Now();
  EXPECT_EQ(last_delivery(), first);
  clock_.Advance(absl::Seconds(30));
  ASSERT_EQ(Deliver(SignedEvent("d-2", case_id_)).http_status, 200);
  EXPECT_EQ(last_delivery(), first);
  clock_.Advance(absl::Seconds(31));
  ASSERT_EQ(Deliver(SignedEvent("d-3", case_id_)).http_status, 200);
  EXPECT_EQ(last_delivery(), clock_.Now());
}

TEST_F(WebhookReceiverTest, CertnSignatureWithTeamHeaderIsAccepted) {
  SetUpOrderedCheck();
  WebhookRequest r = SignedEvent("d-1", case_id_, "CASE_STATUS_CHANGED", true);
  WebhookAnswer answer = Deliver(r);
  EXPECT_EQ(answer.http_status, 200) << answer.detail;
  EXPECT_EQ(answer.code, "applied");
  // The headers that matter are stored with the delivery, as received.
  auto stored = InTransaction<WebhookDelivery>(
      *store_, [&](UnitOfWork& u) { return u.GetDelivery(admin_.team, "d-1"); });
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->headers, absl::StrCat("Certn-Team-ID: ", *r.certn_team_id,
                                          "\nCertn-Signature: ", *r.certn_signature, "\n"));
}

TEST_F(WebhookReceiverTest, BadSignatureIs401AndChangesNothing) {
  SetUpOrderedCheck();
  WebhookRequest r = SignedEvent("d-1", case_id_);
  r.x_signature = certn_plugin::SignXSignature(crypto_, "whsec_wrong_secret_000", r.body);
  int64_t deliveries = CountRows("webhook_deliveries");
  WebhookAnswer answer = Deliver(r);
  EXPECT_EQ(answer.http_status, 401);
  EXPECT_EQ(answer.code, "bad_signature");
  EXPECT_EQ(answer.detail.find(kSecret), std::string::npos);
  EXPECT_EQ(CountRows("webhook_deliveries"), deliveries);
  EXPECT_EQ(Drain(), 0);
}

TEST_F(WebhookReceiverTest, MissingSignatureIs401) {
  SetUpOrderedCheck();
  WebhookRequest r = SignedEvent("d-1", case_id_);
  r.x_signature.reset();
  EXPECT_EQ(Deliver(r).http_status, 401);
}

TEST_F(WebhookReceiverTest, StaleCertnSignatureIs401) {
  SetUpOrderedCheck();
  WebhookRequest r = SignedEvent("d-1", case_id_, "CASE_STATUS_CHANGED", true);
  clock_.Advance(absl::Minutes(6));
  WebhookAnswer answer = Deliver(r);
  EXPECT_EQ(answer.http_status, 401);
  EXPECT_EQ(answer.code, "stale_signature");
}

TEST_F(WebhookReceiverTest, UnknownCertnTeamIs401) {
  SetUpOrderedCheck();
  WebhookRequest r = SignedEvent("d-1", case_id_, "CASE_STATUS_CHANGED", true);
  r.certn_team_id = "certn-team-nobody";
  WebhookAnswer answer = Deliver(r);
  EXPECT_EQ(answer.http_status, 401);
  EXPECT_EQ(answer.code, "unknown_team");
}

TEST_F(WebhookReceiverTest, OversizedBodyIs413) {
  SetUpOrderedCheck();
  WebhookRequest r = SignedEvent("d-1", case_id_);
  r.body.append(256 * 1024, ' ');
  EXPECT_EQ(Deliver(r).http_status, 413);
}

TEST_F(WebhookReceiverTest, NotJsonIs400) {
  SetUpOrderedCheck();
  WebhookRequest r;
  r.body = "not json at all";
  r.x_signature = certn_plugin::SignXSignature(crypto_, kSecret, r.body);
  WebhookAnswer answer = Deliver(r);
  EXPECT_EQ(answer.http_status, 400);
  EXPECT_EQ(answer.code, "invalid_json");
}

TEST_F(WebhookReceiverTest, JsonWithoutEventFieldsIs400) {
  SetUpOrderedCheck();
  WebhookRequest r;
  r.body = R"({"id":"d-1"})";
  r.x_signature = certn_plugin::SignXSignature(crypto_, kSecret, r.body);
  WebhookAnswer answer = Deliver(r);
  EXPECT_EQ(answer.http_status, 400);
  EXPECT_EQ(answer.code, "invalid_event");
}

TEST_F(WebhookReceiverTest, UnknownEventTypeIsStoredAsIgnored) {
  SetUpOrderedCheck();
  WebhookAnswer answer = Deliver(SignedEvent("d-1", case_id_, "SOMETHING_NEW"));
  EXPECT_EQ(answer.http_status, 200);
  EXPECT_EQ(answer.code, "ignored");
  EXPECT_EQ(Deliveries("ignored"), 1);
  EXPECT_EQ(Drain(), 0);
}

TEST_F(WebhookReceiverTest, SameDeliveryTwiceIsADuplicate) {
  SetUpOrderedCheck();
  EXPECT_EQ(Deliver(SignedEvent("d-1", case_id_)).code, "applied");
  EXPECT_EQ(Deliver(SignedEvent("d-1", case_id_)).code, "duplicate");
  EXPECT_EQ(Deliveries("applied"), 1);
}

// A burst of different events for one case (CASE_STATUS_CHANGED and a
// CHECK_STATUS_CHANGED per check) costs Certn one case fetch, not one each.
TEST_F(WebhookReceiverTest, ABurstOfEventsForOneCaseCausesOneCaseFetch) {
  SetUpOrderedCheck();
  gateway_.SetStatus(case_id_, CheckStatus::kInProgress, "APPLICANT_STARTED");
  const int fetches_before = gateway_.calls("get_case");
  for (int i = 0; i < 20; ++i) {
    const char* type = i % 2 == 0 ? "CASE_STATUS_CHANGED" : "CHECK_STATUS_CHANGED";
    EXPECT_EQ(Deliver(SignedEvent(absl::StrCat("burst-", i), case_id_, type)).code, "applied");
  }
  Drain();
  EXPECT_EQ(gateway_.calls("get_case"), fetches_before + 1);
  EXPECT_EQ(Deliveries("applied"), 20);
  EXPECT_EQ(Check(admin_, check_).status, CheckStatus::kInProgress);
}

TEST_F(WebhookReceiverTest, DuplicateStormIsAppliedOnce) {
  SetUpOrderedCheck();
  gateway_.SetStatus(case_id_, CheckStatus::kInProgress, "APPLICANT_STARTED");
  int fetches_before = gateway_.calls("get_case");
  std::vector<std::future<WebhookAnswer>> answers;
  for (int i = 0; i < 100; ++i) {
    answers.push_back(
        std::async(std::launch::async, [&] { return Deliver(SignedEvent("storm", case_id_)); }));
  }
  int applied = 0, duplicate = 0;
  for (auto& f : answers) {
    WebhookAnswer a = f.get();
    EXPECT_EQ(a.http_status, 200);
    applied += a.code == "applied";
    duplicate += a.code == "duplicate";
  }
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(duplicate, 99);
  Drain();
  EXPECT_EQ(gateway_.calls("get_case"), fetches_before + 1);
  BackgroundCheck check = Check(admin_, check_);
  EXPECT_EQ(check.status, CheckStatus::kInProgress);
  EXPECT_EQ(check.history.size(), 2u);  // invited, in_progress: once each
}

TEST_F(WebhookReceiverTest, ShuffledDeliveriesEndWhereTheInOrderSequenceEnds) {
  SetUpOrderedCheck();
  // Certn's state moves forward; deliveries (and so fetches) arrive shuffled.
  std::vector<std::pair<CheckStatus, std::string>> states = {
      {CheckStatus::kInProgress, "APPLICANT_STARTED"},
      {CheckStatus::kPartial, "IN_PROGRESS"},
      {CheckStatus::kComplete, "COMPLETE"}};
  std::vector<int> order = {2, 0, 1};
  for (int i : order) {
    gateway_.SetStatus(case_id_, states[i].first, states[i].second);
    Deliver(SignedEvent("d-" + std::to_string(i), case_id_));
    Drain();
    // Then Certn's view goes "back" (a late replica read): must not move us back.
    gateway_.SetStatus(case_id_, CheckStatus::kInProgress, "APPLICANT_STARTED");
    Deliver(SignedEvent("late-" + std::to_string(i), case_id_));
    Drain();
  }
  EXPECT_EQ(Check(admin_, check_).status, CheckStatus::kComplete);
}

TEST_F(WebhookReceiverTest, OrphanIsStoredAndAdoptedWhenTheCaseAppears) {
  admin_ = NewTeam();
  JobId job = NewJob(admin_);
  candidate_ = NewCandidate(admin_);
  app_ = NewApplication(admin_, candidate_, job);
  auto created =
      checks_->Send(admin_, app_, {CertnActivity(admin_, job), std::nullopt}, std::nullopt);
  ASSERT_TRUE(created.ok());
  // The order is queued, not yet run: Certn's webhook for the case races it.
  std::string future_case = "case-1-" + created->id.value().substr(0, 8);
  WebhookAnswer answer = Deliver(SignedEvent("early", future_case, "CASE_STATUS_CHANGED", true));
  EXPECT_EQ(answer.http_status, 200);
  EXPECT_EQ(answer.code, "orphan");
  Drain();  // runs the order, which adopts the orphan
  EXPECT_EQ(gateway_.last_case_id(), future_case);
  EXPECT_EQ(Deliveries("orphan"), 0);
  EXPECT_EQ(Deliveries("applied"), 1);
  EXPECT_EQ(Check(admin_, created->id).external_id, future_case);
}

// docs/certn-api.md (docs/architecture.md, "Webhook"): a delivery that
// cannot be verified is answered and counted, its metadata kept in a bounded
// in-memory log, and nothing of it stored.
TEST_F(WebhookReceiverTest, UnknownCaseWithoutTeamHeaderIs503AndNothingIsStored) {
  SetUpOrderedCheck();
  int64_t deliveries = CountRows("webhook_deliveries");
  WebhookRequest r = SignedEvent("d-x", "case-nobody-knows");
  r.remote_address = "203.0.113.7";
  const std::string body = r.body;
  WebhookAnswer answer = Deliver(r);
  EXPECT_EQ(answer.http_status, 503);
  EXPECT_EQ(answer.code, "case_not_known_yet");
  EXPECT_EQ(CountRows("webhook_deliveries"), deliveries);
  EXPECT_EQ(Drain(), 0);
  std::vector<certn_plugin::RefusedDelivery> refused = webhook_->refused().Snapshot();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].reason, "case_not_known_yet");
  EXPECT_EQ(refused[0].http_status, 503);
  EXPECT_EQ(refused[0].size, static_cast<int64_t>(body.size()));
  EXPECT_EQ(refused[0].body_sha256_hex, HexEncode(crypto_.Sha256(body)));
  EXPECT_EQ(refused[0].remote_address, "203.0.113.7");
  EXPECT_EQ(refused[0].at, clock_.Now());
  EXPECT_EQ(refused[0].headers.rfind("X-Signature: ", 0), 0u);
  EXPECT_EQ(metrics_.Count("stagecheck_webhook_deliveries_total"), 1);  // counted
}

TEST_F(WebhookReceiverTest, TheRefusedDeliveryLogIsBounded) {
  SetUpOrderedCheck();
  WebhookRequest wrong = SignedEvent("d-1", case_id_);
  wrong.x_signature = std::string(100000, 'a');  // an absurd header is cut
  for (int i = 0; i < 1100; ++i) {
    WebhookRequest r =
        i == 1099 ? wrong : SignedEvent(absl::StrCat("d-", i), absl::StrCat("case-", i));
    EXPECT_GE(Deliver(std::move(r)).http_status, 400);
  }
  std::vector<certn_plugin::RefusedDelivery> refused = webhook_->refused().Snapshot();
  EXPECT_EQ(refused.size(), 1000u);
  EXPECT_EQ(webhook_->refused().total(), 1100u);
  EXPECT_EQ(refused.front().reason, "case_not_known_yet");
  EXPECT_EQ(refused.back().reason, "malformed_signature");
  EXPECT_LT(refused.back().headers.size(), 200u);
  EXPECT_EQ(CountRows("webhook_deliveries"), 0);
}

TEST(RefusedDeliveriesTest, KeepsTheNewestUpToItsCapacity) {
  certn_plugin::RefusedDeliveries log(2);
  for (int i = 0; i < 3; ++i)
    log.Record({.at = absl::FromUnixSeconds(i), .reason = absl::StrCat(i)});
  std::vector<certn_plugin::RefusedDelivery> kept = log.Snapshot();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].reason, "1");
  EXPECT_EQ(kept[1].reason, "2");
  EXPECT_EQ(log.total(), 3u);
}

// The settings page's banner: a team's signature failures over the last
// hour, counted apart from the capped log.
TEST_F(WebhookReceiverTest, SignatureFailuresAreCountedForTheTeamOverTheLastHour) {
  SetUpOrderedCheck();
  auto wrongly_signed = [&](const std::string& id) {
    WebhookRequest r = SignedEvent(id, case_id_);
    r.x_signature = certn_plugin::SignXSignature(crypto_, "whsec_wrong_secret_000", r.body);
    return r;
  };
  EXPECT_EQ(webhook_->RefusedSummaryFor(admin_.team).failed_signature, 0);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(Deliver(wrongly_signed(absl::StrCat("d-", i))).code, "bad_signature");
  // Not the team's: a case nobody knows says nothing about this team.
  ASSERT_EQ(Deliver(SignedEvent("d-x", "case-nobody-knows")).code, "case_not_known_yet");
  ASSERT_EQ(Deliver(SignedEvent("d-ok", case_id_)).http_status, 200);
  certn_plugin::RefusedSummary now = webhook_->RefusedSummaryFor(admin_.team);
  EXPECT_EQ(now.failed_signature, 3);
  EXPECT_EQ(now.refused, 3);
  EXPECT_EQ(now.window, absl::Hours(1));
  EXPECT_EQ(now.last_failed_at, clock_.Now());
  EXPECT_EQ(webhook_->RefusedSummaryFor(TeamId("another-team")).failed_signature, 0);
  // A flood that fills the capped log does not push the team's count out.
  for (int i = 0; i < 1100; ++i)
    Deliver(SignedEvent(absl::StrCat("f-", i), absl::StrCat("case-", i)));
  EXPECT_EQ(webhook_->RefusedSummaryFor(admin_.team).failed_signature, 3);
  clock_.Advance(absl::Minutes(30));
  ASSERT_EQ(Deliver(wrongly_signed("d-later")).code, "bad_signature");
  EXPECT_EQ(webhook_->RefusedSummaryFor(admin_.team).failed_signature, 4);
  clock_.Advance(absl::Minutes(31));  // the first three are over an hour old
  certn_plugin::RefusedSummary later = webhook_->RefusedSummaryFor(admin_.team);
  EXPECT_EQ(later.failed_signature, 1);
  EXPECT_EQ(later.last_failed_at, clock_.Now() - absl::Minutes(31));
  clock_.Advance(absl::Hours(1));
  later = webhook_->RefusedSummaryFor(admin_.team);
  EXPECT_EQ(later.failed_signature, 0);
  EXPECT_FALSE(later.last_failed_at.has_value());
}

TEST(RefusedDeliveriesTest, CountsAreBucketedByMinuteForAnHour) {
  certn_plugin::RefusedDeliveries log(0);  // no log at all: the counts still work
  const TeamId team("t");
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);  // on a minute boundary
  for (int m = 0; m < 90; ++m) {
    log.Record({.at = start + absl::Minutes(m), .reason = "bad_signature", .team = team});
    log.Record({.at = start + absl::Minutes(m), .reason = "invalid_event", .team = team});
  }
  certn_plugin::RefusedSummary s =
      log.SummaryFor(team, start + absl::Minutes(89) + absl::Seconds(30));
  EXPECT_EQ(s.failed_signature, 60);  // minutes 30..89
  EXPECT_EQ(s.refused, 120);
  EXPECT_TRUE(certn_plugin::IsSignatureFailure("stale_signature"));
  EXPECT_TRUE(certn_plugin::IsSignatureFailure("malformed_signature"));
  EXPECT_FALSE(certn_plugin::IsSignatureFailure("case_not_known_yet"));
}

TEST_F(WebhookReceiverTest, StoreDownIs503AndARetryLaterSucceeds) {
  SetUpOrderedCheck();
  store_->SetDown(true);
  WebhookAnswer down = Deliver(SignedEvent("d-1", case_id_));
  EXPECT_EQ(down.http_status, 503);
  store_->SetDown(false);
  EXPECT_EQ(Deliveries("applied"), 0);
  WebhookAnswer retried = Deliver(SignedEvent("d-1", case_id_));
  EXPECT_EQ(retried.http_status, 200);
  EXPECT_EQ(retried.code, "applied");
}

TEST_F(WebhookReceiverTest, LookupFailureIs503AndNothingIsWritten) {
  SetUpOrderedCheck();
  WebhookRequest r = SignedEvent("d-1", case_id_);
  int64_t before = CountRows("webhook_deliveries");
  int64_t work_before = CountRows("work_items");
  store_->FailNext(1);  // the first transaction: the team/case lookup
  EXPECT_EQ(Deliver(r).http_status, 503);
  EXPECT_EQ(CountRows("webhook_deliveries"), before);
  EXPECT_EQ(CountRows("work_items"), work_before);
}

TEST_F(WebhookReceiverTest, RotatedSecretValidDuringGraceOnly) {
  SetUpOrderedCheck();
  // Verified once before the rotation, so the decrypted secret is remembered:
  // the rotation must still take effect at once.
  EXPECT_EQ(Deliver(SignedEvent("before-rotation", case_id_)).http_status, 200);
  ASSERT_OK(integrations_->RotateWebhookSecret(admin_, "whsec_rotated_secret_02"));
  // Old secret: still valid inside the grace period.
  EXPECT_EQ(Deliver(SignedEvent("old-1", case_id_)).http_status, 200);
  WebhookRequest fresh = SignedEvent("new-1", case_id_);
  fresh.x_signature = certn_plugin::SignXSignature(crypto_, "whsec_rotated_secret_02", fresh.body);
  EXPECT_EQ(Deliver(fresh).http_status, 200);
  clock_.Advance(integrations_->config().secret_rotation_grace + absl::Seconds(1));
  WebhookAnswer late = Deliver(SignedEvent("old-2", case_id_));
  EXPECT_EQ(late.http_status, 401);
  EXPECT_EQ(late.code, "bad_signature");
  WebhookRequest fresh2 = SignedEvent("new-2", case_id_);
  fresh2.x_signature =
      certn_plugin::SignXSignature(crypto_, "whsec_rotated_secret_02", fresh2.body);
  EXPECT_EQ(Deliver(fresh2).http_status, 200);
}

TEST_F(WebhookReceiverTest, OneTeamsSecretNeverSpeaksForAnother) {
  SetUpOrderedCheck();
  Principal other = NewTeam("certn-team-2");
  (void)other;
  // Team 2's Certn-Team-ID with a body naming team 1's case, signed with the
  // shared test secret: verified as team 2, and team 1's check is untouched.
  WebhookRequest r = SignedEvent("cross", case_id_, "CASE_STATUS_CHANGED", true);
  r.certn_team_id = certn_team_of_[other.team.value()];
  WebhookAnswer answer = Deliver(r);
  EXPECT_EQ(answer.code, "orphan");
  Drain();
  EXPECT_EQ(Check(admin_, check_).history.size(), 1u);
}

TEST(WebhookEventParse, ReadsTheThinEvent) {
  auto e = certn_plugin::ParseWebhookEvent(
      R"({"id":"a","event_type":"CASE_REPORT_READY","object_id":"c","object_type":"CASE","extra":1})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->event_type, "CASE_REPORT_READY");
  EXPECT_TRUE(certn_plugin::IsKnownEvent(*e));
}

TEST(WebhookEventParse, RefusesMissingAndWrongTypedFields) {
  for (const char* body :
       {R"({})", R"({"id":1,"event_type":"X","object_id":"c","object_type":"CASE"})",
        R"({"id":"a","event_type":"X","object_type":"CASE"})", R"([])", R"("str")",
        R"({"id":"","event_type":"X","object_id":"c","object_type":"CASE"})"}) {
    EXPECT_FALSE(certn_plugin::ParseWebhookEvent(body).ok()) << body;
  }
}

// Only top-level fields count: Certn's case summary alongside has ids of its
// own, at any depth, before and after the event's.
TEST(WebhookEventParse, ReadsOnlyTopLevelFieldsWhateverIsNestedAroundThem) {
  auto e = certn_plugin::ParseWebhookEvent(
      R"({"data":{"id":"nested","case":{"object_id":"n2","list":[{"id":"n3"},["id"]]}},)"
      R"("id":"evt-1","event_type":"CASE_STATUS_CHANGED","object_id":"case-9",)"
      R"("more":[{"object_type":"X"}],"object_type":"CASE","after":{"id":"n4"}})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->id, "evt-1");
  EXPECT_EQ(e->event_type, "CASE_STATUS_CHANGED");
  EXPECT_EQ(e->object_id, "case-9");
  EXPECT_EQ(e->object_type, "CASE");

  auto only_nested = certn_plugin::ParseWebhookEvent(
      R"({"data":{"id":"nested"},"event_type":"X","object_id":"c","object_type":"CASE"})");
  ASSERT_FALSE(only_nested.ok());
  EXPECT_THAT(only_nested.status().message(), ::testing::HasSubstr("event has no 'id'"));
}

TEST(WebhookEventParse, AFieldGivenTwiceCountsTheFirstTime) {
  auto e = certn_plugin::ParseWebhookEvent(
      R"({"id":"first","event_type":"X","object_id":"c","object_type":"CASE","id":"second"})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->id, "first");
  auto bad_first = certn_plugin::ParseWebhookEvent(
      R"({"id":7,"event_type":"X","object_id":"c","object_type":"CASE","id":"second"})");
  EXPECT_FALSE(bad_first.ok());
}

TEST(WebhookEventParse, SaysWhichFieldIsNotAStringAndRefusesBrokenJson) {
  for (const char* value : {"null", "true", "1.5", "{\"a\":\"b\"}", "[\"a\"]"}) {
    auto e = certn_plugin::ParseWebhookEvent(absl::StrCat(
        R"({"id":"a","event_type":"X","object_id":)", value, R"(,"object_type":"CASE"})"));
    ASSERT_FALSE(e.ok()) << value;
    EXPECT_THAT(e.status().message(), ::testing::HasSubstr("'object_id' is not a string")) << value;
  }
  auto too_long = certn_plugin::ParseWebhookEvent(
      absl::StrCat(R"({"id":")", std::string(201, 'a'),
                   R"(","event_type":"X","object_id":"c","object_type":"CASE"})"));
  ASSERT_FALSE(too_long.ok());
  EXPECT_THAT(too_long.status().message(), ::testing::HasSubstr("'id' is empty or too long"));
  for (const char* body : {"", "{", R"({"id":"a",})", R"({"id":"a" "x":1})", "\x01", "nul"}) {
    auto e = certn_plugin::ParseWebhookEvent(body);
    ASSERT_FALSE(e.ok()) << body;
    EXPECT_EQ(ErrorCode(e.status()), "invalid_json") << body;
  }
  EXPECT_EQ(ErrorCode(certn_plugin::ParseWebhookEvent("[1]").status()), "invalid_json");
}

// The fast parser (simdjson) refuses some JSON that Certn could send; such a
// body is read by the tolerant one (rapidjson) instead, never refused.
TEST(WebhookEventParse, JsonTheFastParserRefusesIsReadByTheTolerantOne) {
  const std::string event =
      R"("id":"evt-7","event_type":"CASE_STATUS_CHANGED","object_id":"c-1","object_type":"CASE")";
  const std::string deep = std::string(1100, '[') + std::string(1100, ']');
  for (const std::string& body : {
           absl::StrCat("{", event, R"(,"big":123456789012345678901234567890})"),
           absl::StrCat("{", event, "} trailing bytes"),
           absl::StrCat("{", event,
                        ",\"name\":\"Ren\xe9"
                        "e\"}"),  // Latin-1, not UTF-8
           absl::StrCat("{", event, ",\"deep\":", deep, "}"),
       }) {
    EXPECT_FALSE(certn_plugin::ParseWebhookEventWith(certn_plugin::EventParser::kFast, body).ok())
        << body.substr(0, 120);
    absl::StatusOr<certn_plugin::WebhookEvent> e = certn_plugin::ParseWebhookEvent(body);
    ASSERT_TRUE(e.ok()) << e.status() << " for " << body.substr(0, 120);
    EXPECT_EQ(e->id, "evt-7");
    EXPECT_EQ(e->object_id, "c-1");
  }
  // What both refuse stays refused, as JSON.
  EXPECT_EQ(ErrorCode(certn_plugin::ParseWebhookEvent(absl::StrCat("{", event, ",}")).status()),
            "invalid_json");
}

// Both parsers agree on what they both read: the same fields, the same refusals.
TEST(WebhookEventParse, BothParsersReadTheSameEvent) {
  for (const char* body : {
           R"({"id":"a","event_type":"X","object_id":"c","object_type":"CASE","id":"b"})",
           R"({"\u0069d":"esc\u00e9","event_type":"X","object_id":"c\n","object_type":"CASE"})",
           R"({"id":"a","event_type":"X","object_id":7,"object_type":"CASE"})",
           R"({"data":{"id":"n"},"event_type":"X","object_id":"c","object_type":"CASE"})",
           R"([{"id":"a"}])",
       }) {
    auto fast = certn_plugin::ParseWebhookEventWith(certn_plugin::EventParser::kFast, body);
    auto tolerant = certn_plugin::ParseWebhookEventWith(certn_plugin::EventParser::kTolerant, body);
    ASSERT_EQ(fast.ok(), tolerant.ok()) << body;
    if (!fast.ok()) {
      EXPECT_EQ(fast.status(), tolerant.status()) << body;
      continue;
    }
    EXPECT_EQ(fast->id, tolerant->id) << body;
    EXPECT_EQ(fast->object_id, tolerant->object_id) << body;
  }
}

TEST(WebhookEventParse, UnknownObjectTypeIsNotKnown) {
  auto e = certn_plugin::ParseWebhookEvent(
      R"({"id":"a","event_type":"CASE_STATUS_CHANGED","object_id":"c","object_type":"APPLICATION"})");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(certn_plugin::IsKnownEvent(*e));
}

TEST(PendingFetchesTest, CoversDeliveriesReceivedWellBeforeTheFetchIsDue) {
  PendingFetches pending(absl::Seconds(1), absl::Seconds(8));
  const CheckId check("c-1"), other("c-2");
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_FALSE(pending.Covers(check, t0));
  pending.Remember(check, t0 + absl::Seconds(1), absl::Seconds(1), t0, t0);
  EXPECT_TRUE(pending.Covers(check, t0));
  EXPECT_TRUE(pending.Covers(
      check, t0 + absl::Seconds(1) - PendingFetches::kMargin - absl::Milliseconds(1)));
  // Within the margin of the fetch's start, or after it: not covered.
  EXPECT_FALSE(pending.Covers(check, t0 + absl::Seconds(1) - PendingFetches::kMargin));
  EXPECT_FALSE(pending.Covers(check, t0 + absl::Seconds(2)));
  EXPECT_FALSE(pending.Covers(other, t0));
}

TEST(PendingFetchesTest, PrunesFetchesThatAreDueAndKeepsTheRest) {
  PendingFetches pending(absl::Seconds(1), absl::Seconds(8));
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  for (int i = 0; i < 4095; ++i) {
    pending.Remember(CheckId(absl::StrCat("old-", i)), t0 + absl::Seconds(1), absl::Seconds(1), t0,
                     t0);
  }
  pending.Remember(CheckId("late"), t0 + absl::Minutes(10), absl::Seconds(1), t0, t0);
  // At 4096 remembered, a Remember prunes what is due and quiet by then.
  const absl::Time later = t0 + absl::Minutes(1);
  pending.Remember(CheckId("new"), t0 + absl::Minutes(5), std::nullopt, later, later);
  EXPECT_EQ(pending.size(), 2u);
  EXPECT_FALSE(pending.Covers(CheckId("old-1"), t0 - absl::Hours(1)));
  EXPECT_TRUE(pending.Covers(CheckId("late"), t0 + absl::Minutes(2)));
  EXPECT_TRUE(pending.Covers(CheckId("new"), t0 + absl::Minutes(2)));
}

// A storm over more live cases than the pruning threshold: a prune that
// finds nothing due does not run again on the next answer (each would scan
// every case), only once the map has doubled.
TEST(PendingFetchesTest, PruningRunsAgainOnlyOnceTheMapHasDoubled) {
  PendingFetches pending(absl::Seconds(1), absl::Seconds(8));
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  for (int i = 0; i < 4097; ++i) {  // the 4097th prunes: nothing is due yet
    pending.Remember(CheckId(absl::StrCat("live-", i)), t0 + absl::Seconds(1), absl::Seconds(1), t0,
                     t0);
  }
  ASSERT_EQ(pending.size(), 4097u);
  // A minute on, every one of them is due and quiet, yet kept: no scan
  // until 8,192 are remembered.
  const absl::Time later = t0 + absl::Minutes(1);
  for (int i = 0; i < 4095; ++i) {
    pending.Remember(CheckId(absl::StrCat("next-", i)), later + absl::Seconds(1), absl::Seconds(1),
                     later, later);
  }
  EXPECT_EQ(pending.size(), 8192u);
  EXPECT_TRUE(pending.Covers(CheckId("live-1"), t0 - absl::Hours(1))) << "not pruned yet";
  pending.Remember(CheckId("doubles"), later + absl::Seconds(1), absl::Seconds(1), later, later);
  EXPECT_EQ(pending.size(), 4096u) << "the 4,097 due ones pruned, the new ones kept";
  EXPECT_FALSE(pending.Covers(CheckId("live-1"), t0 - absl::Hours(1)));
  EXPECT_TRUE(pending.Covers(CheckId("next-1"), later));
}

// A fetch that starts late (a backlog) goes on covering deliveries as a
// twin past its run_at; pruning keeps its case until one window after the
// last of them, so the case is still known to be busy.
TEST(PendingFetchesTest, PruningKeepsABusyCaseWhoseFetchStartedLate) {
  PendingFetches pending(absl::Seconds(1), absl::Seconds(8));
  const CheckId check("c-1");
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  pending.Remember(check, t0 + absl::Seconds(1), absl::Seconds(1), t0, t0);
  ASSERT_TRUE(pending.Covers(check, t0 + absl::Milliseconds(600)));
  // Still pending at 3 s: the delivery met it as a twin.
  const absl::Time late = t0 + absl::Seconds(3);
  pending.Remember(check, t0 + absl::Seconds(1), std::nullopt, late, late);
  for (int i = 0; i < 4095; ++i) {  // 4,096 remembered: the next Remember prunes
    pending.Remember(CheckId(absl::StrCat("other-", i)), t0 + absl::Seconds(1), absl::Seconds(1),
                     t0, t0);
  }
  const absl::Time now = t0 + absl::Milliseconds(3500);
  pending.Remember(CheckId("prunes"), now + absl::Seconds(1), absl::Seconds(1), now, now);
  ASSERT_EQ(pending.size(), 2u) << "the others pruned";
  EXPECT_EQ(pending.WindowFor(check, now + absl::Milliseconds(100)), absl::Seconds(2))
      << "kept: busy until a window after its last delivery at 3 s";
}

// A case whose deliveries kept coming through its last fetch's wait, and
// come again within a wait of the last of them, waits twice as long for the
// next fetch, up to the most; one quiet for a wait starts again from the
// base.
TEST(PendingFetchesTest, ABusyCaseWaitsTwiceAsLongEachTimeUpToTheMost) {
  PendingFetches pending(absl::Seconds(1), absl::Seconds(8));
  const CheckId check("c-1"), other("c-2");
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_EQ(pending.WindowFor(check, t0), absl::Seconds(1)) << "never fetched: the base";
  absl::Time now = t0;
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 6; ++i) {
    const absl::Duration window = pending.WindowFor(check, now);
    waits.push_back(window);
    pending.Remember(check, now + window, window, now, now);
    // Deliveries all through the wait, covered by the pending fetch.
    EXPECT_TRUE(pending.Covers(check, now + window / 2));
    EXPECT_TRUE(pending.Covers(check, now + window - absl::Milliseconds(300)));
    now += window;  // the next delivery arrives just as the fetch starts
  }
  EXPECT_EQ(waits,
            (std::vector<absl::Duration>{absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                         absl::Seconds(8), absl::Seconds(8), absl::Seconds(8)}));
  EXPECT_EQ(pending.WindowFor(other, now), absl::Seconds(1)) << "other cases are not busy";
  // The last delivery came 300 ms before `now`: within a wait of it the case
  // is still busy (a fetch that starts late changes nothing), quiet for a
  // whole wait since it is the base again.
  const absl::Time last = now - absl::Milliseconds(300);
  EXPECT_EQ(pending.WindowFor(check, last + absl::Seconds(8) - absl::Milliseconds(1)),
            absl::Seconds(8));
  EXPECT_EQ(pending.WindowFor(check, last + absl::Seconds(8)), absl::Seconds(1));
}

// One burst for one change (however many deliveries) does not make a case
// busy, even when the next change's burst comes as the fetch starts.
TEST(PendingFetchesTest, ChangesOneAfterAnotherNeverMakeACaseBusy) {
  PendingFetches pending(absl::Seconds(1), absl::Seconds(8));
  const CheckId check("c-1");
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  for (int change = 0; change < 5; ++change) {
    ASSERT_EQ(pending.WindowFor(check, now), absl::Seconds(1)) << change;
    pending.Remember(check, now + absl::Seconds(1), absl::Seconds(1), now, now);
    for (int event = 1; event <= 6; ++event) {
      EXPECT_TRUE(pending.Covers(check, now + absl::Milliseconds(20 * event)));
    }
    now += absl::Seconds(1);
  }
}

// A twin found pending (queued elsewhere) keeps the case's window; with no
// most above the base, a busy case's fetches all wait the base.
TEST(PendingFetchesTest, ATwinKeepsTheWindowAndAMostAtTheBaseTurnsTheBackOffOff) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const CheckId check("c-1");
  PendingFetches pending(absl::Seconds(1), absl::Seconds(8));
  pending.Remember(check, t0 + absl::Seconds(4), absl::Seconds(4), t0, t0);
  pending.Remember(check, t0 + absl::Seconds(4), std::nullopt, t0 + absl::Seconds(3),
                   t0 + absl::Seconds(3));
  EXPECT_EQ(pending.WindowFor(check, t0 + absl::Seconds(5)), absl::Seconds(8));
  PendingFetches flat(absl::Seconds(1), absl::Seconds(1));
  flat.Remember(check, t0 + absl::Seconds(1), absl::Seconds(1), t0, t0);
  EXPECT_TRUE(flat.Covers(check, t0 + absl::Milliseconds(700)));
  EXPECT_EQ(flat.WindowFor(check, t0 + absl::Seconds(1)), absl::Seconds(1));
  // A most below the base is the base.
  PendingFetches below(absl::Seconds(2), absl::Seconds(1));
  below.Remember(check, t0 + absl::Seconds(2), absl::Seconds(2), t0, t0);
  EXPECT_TRUE(below.Covers(check, t0 + absl::Milliseconds(1500)));
  EXPECT_EQ(below.WindowFor(check, t0 + absl::Seconds(2)), absl::Seconds(2));
}

// Issue 21: the plugin as deployed (a webhook's fetch waits a second). A
// burst of deliveries for one case writes one case fetch, and the in-memory
// coalescing (plugin/certn/pending_fetches.h) never lets a delivery go without
// a fetch that starts after it arrived.
class FetchCoalescingTest : public WebhookReceiverTest {
 protected:
  void Configure(certn_plugin::PluginConfig& config) override {
    config.fetch_coalesce = absl::Seconds(1);
  }
  void SetUp() override {
    WebhookReceiverTest::SetUp();
    SetUpOrderedCheck();
    gateway_.SetStatus(case_id_, CheckStatus::kInProgress, "APPLICANT_STARTED");
  }
  int64_t QueuedFetches() {
    return CountRows(
        absl::StrCat("work_items WHERE kind = 'certn.fetch_case' AND state = "
                     "'pending' AND subject = '",
                     check_.value(), "'"));
  }
  std::string Applied(const std::string& id) { return Deliver(SignedEvent(id, case_id_)).code; }
  // A fetch of the check queued by someone else (another replica, or this
  // service before a restart), written straight to the store.
  absl::StatusOr<WorkItem> QueueFetchElsewhere(const std::string& id, absl::Time run_at) {
    WorkItem w;
    w.team = admin_.team;
    w.id = WorkItemId(id);
    w.kind = "certn.fetch_case";
    w.subject = check_.value();
    w.dedupe_key = absl::StrCat("certn.fetch_case:", check_.value());
    w.run_at = run_at;
    absl::Status s = store_->Transact([&](UnitOfWork& uow) { return uow.EnqueueWork(w); });
    if (!s.ok()) return s;
    return w;
  }
};

TEST_F(FetchCoalescingTest, ABurstForOneCaseWritesOneFetchThatRunsOnce) {
  const int fetches = gateway_.calls("get_case");
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(Applied(absl::StrCat("burst-", i)), "applied");
    clock_.Advance(absl::Milliseconds(10));  // all well within the second
  }
  EXPECT_EQ(QueuedFetches(), 1);
  EXPECT_EQ(Drain(), 0);  // not due yet
  clock_.Advance(absl::Seconds(1));
  Drain();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
  EXPECT_EQ(Check(admin_, check_).status, CheckStatus::kInProgress);
  EXPECT_EQ(QueuedFetches(), 0);
}

// A delivery that arrives once the remembered fetch may have started (or
// within the margin of its start) gets a fetch of its own.
TEST_F(FetchCoalescingTest, ADeliveryAtOrAfterTheFetchStartsGetsItsOwnFetch) {
  const int fetches = gateway_.calls("get_case");
  ASSERT_EQ(Applied("d-1"), "applied");
  clock_.Advance(absl::Seconds(1));
  Drain();  // the first fetch ran
  ASSERT_EQ(gateway_.calls("get_case"), fetches + 1);
  gateway_.SetStatus(case_id_, CheckStatus::kInProgress, "APPLICANT_SUBMITTED");
  ASSERT_EQ(Applied("d-2"), "applied");
  EXPECT_EQ(QueuedFetches(), 1);
  clock_.Advance(absl::Seconds(1));  // one change after another: never busy
  Drain();
  EXPECT_EQ(metrics_.Count(std::string(certn_plugin::WebhookReceiver::kBusyCaseFetchesMetric)), 0);
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 2);
  EXPECT_EQ(Check(admin_, check_).external_status, "APPLICANT_SUBMITTED");
}

// A case whose deliveries keep coming (here one every 100 ms for 20 s) is
// fetched 1, 2, 4 and then every 8 s instead of every second; the change
// its last deliveries announce is still read by a fetch that starts after
// them, and once the case is quiet its next fetch waits the base again.
TEST_F(FetchCoalescingTest, ACaseWhoseDeliveriesKeepComingIsFetchedLessAndLessOften) {
  const int fetches = gateway_.calls("get_case");
  std::vector<int> fetched_at;  // tenths of a second
  for (int i = 0; i < 200; ++i) {
    if (i == 160) gateway_.SetStatus(case_id_, CheckStatus::kInProgress, "APPLICANT_SUBMITTED");
    ASSERT_EQ(Applied(absl::StrCat("storm-", i)), "applied");
    clock_.Advance(absl::Milliseconds(100));
    if (Drain() > 0) fetched_at.push_back(i + 1);
  }
  EXPECT_EQ(fetched_at, (std::vector<int>{10, 30, 70, 150}));
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 4);
  // Those due 3, 7, 15 and 23 s in waited longer than the base.
  EXPECT_EQ(metrics_.Count(std::string(certn_plugin::WebhookReceiver::kBusyCaseFetchesMetric)), 4);
  EXPECT_EQ(QueuedFetches(), 1) << "the last deliveries' fetch is pending";
  EXPECT_NE(Check(admin_, check_).external_status, "APPLICANT_SUBMITTED");
  clock_.Advance(absl::Seconds(3));  // t = 23 s: 8 s after the fetch at 15 s
  Drain();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 5);
  EXPECT_EQ(Check(admin_, check_).external_status, "APPLICANT_SUBMITTED");
  clock_.Advance(absl::Seconds(9));  // quiet for longer than the last window
  ASSERT_EQ(Applied("after-the-storm"), "applied");
  clock_.Advance(absl::Seconds(1));
  Drain();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 6) << "the base window again";
  EXPECT_EQ(metrics_.Count(std::string(certn_plugin::WebhookReceiver::kBusyCaseFetchesMetric)), 4);
}

// Another replica's fetch (due earlier than ours would be) makes our insert
// a no-op: it covers only what arrived well before it is due. After it ran,
// the next delivery queues a fetch again.
TEST_F(FetchCoalescingTest, APendingFetchQueuedElsewhereIsNeverTakenForOurs) {
  ASSERT_OK(QueueFetchElsewhere("fetch-from-another-replica", clock_.Now()).status());
  const int fetches = gateway_.calls("get_case");
  ASSERT_EQ(Applied("d-1"), "applied");  // covered by the pending twin
  EXPECT_EQ(QueuedFetches(), 1);
  Drain();  // the twin is due now and runs
  ASSERT_EQ(gateway_.calls("get_case"), fetches + 1);
  clock_.Advance(absl::Milliseconds(100));
  ASSERT_EQ(Applied("d-2"), "applied");
  EXPECT_EQ(QueuedFetches(), 1) << "d-2 arrived after the only fetch started";
  clock_.Advance(absl::Seconds(1));
  Drain();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 2);
}

// A twin found pending (queued before a restart, or by another replica) is
// remembered with its run_at once the delivery that met it committed: the
// rest of the burst is covered without looking again, and a delivery too
// close to the twin's start still gets a fetch of its own.
TEST_F(FetchCoalescingTest, APendingTwinDueLaterCoversTheRestOfTheBurstFromMemory) {
  absl::StatusOr<WorkItem> elsewhere =
      QueueFetchElsewhere("fetch-queued-before-a-restart", clock_.Now() + absl::Seconds(5));
  ASSERT_OK(elsewhere.status());
  ASSERT_EQ(Applied("d-1"), "applied");  // met the twin in the store
  EXPECT_EQ(QueuedFetches(), 1);
  // Taken out of the store behind the plugin's back: only its memory can
  // still tell that a fetch is pending.
  ASSERT_OK(store_->Transact(
      [&](UnitOfWork& uow) { return uow.CompleteWork(elsewhere->team, elsewhere->id); }));
  clock_.Advance(absl::Seconds(2));
  ASSERT_EQ(Applied("d-2"), "applied");
  EXPECT_EQ(QueuedFetches(), 0) << "d-2 is covered by the remembered twin";
  clock_.Advance(absl::Seconds(3) - PendingFetches::kMargin);
  ASSERT_EQ(Applied("d-3"), "applied");
  EXPECT_EQ(QueuedFetches(), 1) << "d-3 arrived within the margin of the twin's start";
}

// The worker's claims and outcomes are pieces of the group commit's batches
// (the harness wires the worker as production does), not transactions of
// their own.
TEST_F(FetchCoalescingTest, TheWorkersClaimAndCompletionRideTheGroupCommit) {
  ASSERT_EQ(Applied("d-1"), "applied");
  clock_.Advance(absl::Seconds(1));
  const int batches = store_->batch_calls();
  EXPECT_EQ(worker_->RunDue(16), 1);
  // One batch claimed the fetch; one applied the case and recorded it done.
  EXPECT_EQ(store_->batch_calls(), batches + 2);
  EXPECT_EQ(QueuedFetches(), 0);
  EXPECT_EQ(CountRows(absl::StrCat("work_items WHERE kind = 'certn.fetch_case' AND state = "
                                   "'done' AND subject = '",
                                   check_.value(), "'")),
            1);
}

// The fetch's own writes (the case applied to the check) are a piece of a
// batch too: a busy case's fetches neither take the writer apart from the
// deliveries nor wait for an fsync of their own (issue 21).
TEST_F(FetchCoalescingTest, TheFetchAppliesTheCaseInAGroupCommitBatch) {
  ASSERT_EQ(Applied("d-1"), "applied");
  clock_.Advance(absl::Seconds(1));
  const int batches = store_->batch_calls();
  const int own_writes = store_->transact_calls() - store_->read_calls();
  const int fetches = gateway_.calls("get_case");
  ASSERT_NE(Check(admin_, check_).status, CheckStatus::kInProgress);
  EXPECT_EQ(worker_->RunDue(16), 1);
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
  // The claim; the case applied and the fetch recorded done, together.
  EXPECT_EQ(store_->batch_calls(), batches + 2);
  EXPECT_EQ(store_->transact_calls() - store_->read_calls(), own_writes)
      << "no write transaction of its own";
  EXPECT_EQ(Check(admin_, check_).status, CheckStatus::kInProgress);  // the case applied
}

// Deliveries that queue up behind a busy lane are written as one bundle (one
// piece of one batch, bundled_commit.h): each is answered with its own
// verdict, a second copy within the bundle is a duplicate, and the case they
// name gets one fetch.
TEST_F(FetchCoalescingTest, DeliveriesQueuedBehindABusyLaneAreOneBundleWithTheirOwnVerdicts) {
  const std::vector<std::string> ids = {"b-1", "b-2", "b-3", "b-2", "b-4"};
  std::vector<std::promise<certn_plugin::WebhookAnswer>> answers(ids.size());
  storetest::LaneGate gate(*committer_, case_id_);
  const int batches = store_->batch_calls();
  for (size_t i = 0; i < ids.size(); ++i) {
    webhook_->Receive(SignedEvent(ids[i], case_id_),
                      [&answers, i](certn_plugin::WebhookAnswer a) { answers[i].set_value(a); });
  }
  ASSERT_OK(gate.Release());
  std::vector<std::string> codes;
  for (auto& answer : answers) {
    certn_plugin::WebhookAnswer a = answer.get_future().get();
    EXPECT_EQ(a.http_status, 200) << a.code << ": " << a.detail;
    codes.push_back(a.code);
  }
  EXPECT_EQ(codes,
            (std::vector<std::string>{"applied", "applied", "applied", "duplicate", "applied"}));
  EXPECT_EQ(store_->batch_calls(), batches + 1) << "one batch wrote the whole bundle";
  EXPECT_EQ(metrics_.Observed(std::string(certn_plugin::WebhookReceiver::kBundleDeliveriesMetric)),
            std::vector<double>{5})
      << "one bundle held the five deliveries";
  EXPECT_EQ(QueuedFetches(), 1);
  EXPECT_EQ(CountRows(absl::StrCat("webhook_deliveries WHERE object_id = '", case_id_,
                                   "' AND delivery_id LIKE 'b-%'")),
            4);
}

// A bundle whose case has a fetch pending in the store (queued before a
// restart, or by another replica) finds it with one look-up for the whole
// bundle: no fetch of its own, and the twin is remembered for what follows.
TEST_F(FetchCoalescingTest, ABundleMeetsItsCasesPendingTwinAndRemembersIt) {
  absl::StatusOr<WorkItem> elsewhere =
      QueueFetchElsewhere("fetch-queued-elsewhere", clock_.Now() + absl::Seconds(5));
  ASSERT_OK(elsewhere.status());
  const std::vector<std::string> ids = {"t-1", "t-2", "t-3"};
  std::vector<std::promise<certn_plugin::WebhookAnswer>> answers(ids.size());
  storetest::LaneGate gate(*committer_, case_id_);
  for (size_t i = 0; i < ids.size(); ++i) {
    webhook_->Receive(SignedEvent(ids[i], case_id_),
                      [&answers, i](certn_plugin::WebhookAnswer a) { answers[i].set_value(a); });
  }
  ASSERT_OK(gate.Release());
  for (auto& answer : answers) EXPECT_EQ(answer.get_future().get().code, "applied");
  EXPECT_EQ(QueuedFetches(), 1) << "the twin covers the whole bundle";
  ASSERT_OK(store_->Transact(
      [&](UnitOfWork& uow) { return uow.CompleteWork(elsewhere->team, elsewhere->id); }));
  clock_.Advance(absl::Seconds(2));
  ASSERT_EQ(Applied("t-4"), "applied");
  EXPECT_EQ(QueuedFetches(), 0) << "t-4 is covered by the twin the bundle remembered";
}

// The case applied and the fetch recorded done are one transaction: when it
// fails, neither is kept, and the fetch runs again and applies the case.
TEST_F(FetchCoalescingTest, AFetchWhoseLastWriteFailsIsNeitherAppliedNorDone) {
  ASSERT_EQ(Applied("d-1"), "applied");
  clock_.Advance(absl::Seconds(1));
  ASSERT_NE(Check(admin_, check_).status, CheckStatus::kInProgress);
  const int fetches = gateway_.calls("get_case");
  // The claim has committed by the time Certn is asked; the transaction
  // after the answer (the case applied, the item done) fails.
  gateway_.during["get_case"] = [this] { store_->FailNext(1); };
  EXPECT_EQ(worker_->RunDue(16), 1);
  gateway_.during.clear();
  EXPECT_EQ(gateway_.calls("get_case"), fetches + 1);
  EXPECT_NE(Check(admin_, check_).status, CheckStatus::kInProgress) << "the apply was rolled back";
  EXPECT_EQ(QueuedFetches(), 1) << "the fetch is still pending";
  // Due again after its backoff: this time the case is applied and the item done.
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(worker_->RunDue(16), 1);
  EXPECT_EQ(Check(admin_, check_).status, CheckStatus::kInProgress);
  EXPECT_EQ(QueuedFetches(), 0);
  EXPECT_EQ(CountRows(absl::StrCat("work_items WHERE kind = 'certn.fetch_case' AND state = "
                                   "'done' AND subject = '",
                                   check_.value(), "'")),
            1);
}

// Another replica rotated the secret (written straight to the shared store,
// past this process's Integrations): a delivery signed with the new secret is
// accepted at once, the remembered old one is read again; the old secret,
// replaced without a grace period, stops working within a second.
TEST_F(WebhookReceiverTest, ASecretReplacedOnAnotherReplicaReachesThisOneWithinASecond) {
  SetUpOrderedCheck();
  ASSERT_EQ(Deliver(SignedEvent("remembered", case_id_)).http_status, 200);
  absl::StatusOr<std::string> sealed = cipher_->Encrypt("whsec_elsewhere_secret_9");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  ASSERT_OK(store_->Transact([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<CertnIntegration> in = CertnRows(u).GetIntegration(admin_.team);
    if (!in.ok()) return in.status();
    in->webhook_secret_encrypted = *sealed;
    in->previous_webhook_secret_encrypted.reset();
    in->previous_secret_valid_until.reset();
    return CertnRows(u).UpsertIntegration(*in);
  }));
  WebhookRequest fresh = SignedEvent("new-secret", case_id_);
  fresh.x_signature = certn_plugin::SignXSignature(crypto_, "whsec_elsewhere_secret_9", fresh.body);
  EXPECT_EQ(Deliver(fresh).http_status, 200);
  clock_.Advance(absl::Seconds(1));
  WebhookAnswer old = Deliver(SignedEvent("old-secret", case_id_));
  EXPECT_EQ(old.http_status, 401);
  EXPECT_EQ(old.code, "bad_signature");
}

// The io thread's path: only what needs no store read is taken, and it is
// recorded exactly as Receive records it.
TEST_F(WebhookReceiverTest, WithoutBlockingTakesOnlyRememberedDeliveriesAndReadsNothing) {
  SetUpOrderedCheck();
  WebhookRequest cold = SignedEvent("cold", case_id_);
  const std::string cold_body = cold.body;
  bool answered = false;
  std::function<void(WebhookAnswer)> done = [&](WebhookAnswer) { answered = true; };
  EXPECT_FALSE(webhook_->ReceiveWithoutBlocking(cold, done));
  EXPECT_FALSE(answered);
  EXPECT_EQ(cold.body, cold_body);  // left whole for Receive
  ASSERT_TRUE(done);
  EXPECT_EQ(Deliver(std::move(cold)).code, "applied");  // remembers the addressee

  const int reads_before = store_->transact_calls();
  std::promise<WebhookAnswer> warm_answer;
  std::function<void(WebhookAnswer)> warm_done = [&](WebhookAnswer a) { warm_answer.set_value(a); };
  WebhookRequest warm = SignedEvent("warm", case_id_);
  ASSERT_TRUE(webhook_->ReceiveWithoutBlocking(warm, warm_done));
  auto future = warm_answer.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  WebhookAnswer a = future.get();
  EXPECT_EQ(a.http_status, 200);
  EXPECT_EQ(a.code, "applied");
  EXPECT_EQ(store_->transact_calls(), reads_before);  // the group commit only
  EXPECT_EQ(Deliveries("applied"), 2);

  // A remembered team whose secret does not verify is left to Receive, which
  // reads the integration again before refusing.
  WebhookRequest forged = SignedEvent("forged", case_id_);
  forged.x_signature = certn_plugin::SignXSignature(crypto_, "whsec_someone_else_00", forged.body);
  std::function<void(WebhookAnswer)> forged_done = [&](WebhookAnswer) { answered = true; };
  EXPECT_FALSE(webhook_->ReceiveWithoutBlocking(forged, forged_done));
  EXPECT_FALSE(answered);
  EXPECT_EQ(Deliver(std::move(forged)).http_status, 401);

  // Refused before any look-up: taken and answered on the spot.
  WebhookRequest junk = SignedEvent("junk", case_id_);
  junk.body = "not json";
  std::optional<WebhookAnswer> junk_answer;
  std::function<void(WebhookAnswer)> junk_done = [&](WebhookAnswer a) { junk_answer = a; };
  EXPECT_TRUE(webhook_->ReceiveWithoutBlocking(junk, junk_done));
  ASSERT_TRUE(junk_answer.has_value());
  EXPECT_EQ(junk_answer->http_status, 400);
}

// A case not remembered, of a team that Certn-Team-ID names and that is
// remembered, needs no read before the group commit: its own transaction
// looks the case up, adopts it when it is ours, and remembers it.
TEST_F(WebhookReceiverTest, WithoutBlockingTakesAnUnknownCaseOfARememberedTeam) {
  SetUpOrderedCheck();
  const bool with_team = true;
  ASSERT_EQ(Deliver(SignedEvent("cold", case_id_, "CASE_STATUS_CHANGED", with_team)).code,
            "applied");  // remembers the team and its integration
  auto without_blocking = [&](WebhookRequest request) -> std::optional<WebhookAnswer> {
    auto answer = std::make_shared<std::promise<WebhookAnswer>>();
    std::function<void(WebhookAnswer)> done = [answer](WebhookAnswer a) { answer->set_value(a); };
    if (!webhook_->ReceiveWithoutBlocking(request, done)) return std::nullopt;
    auto future = answer->get_future();
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "no answer";
      return std::nullopt;
    }
    return future.get();
  };
  const int reads_before = store_->transact_calls();

  std::optional<WebhookAnswer> stranger = without_blocking(
      SignedEvent("stranger", "case-nobody-ordered", "CASE_STATUS_CHANGED", with_team));
  ASSERT_TRUE(stranger.has_value());
  EXPECT_EQ(stranger->http_status, 200);
  EXPECT_EQ(stranger->code, "orphan");
  EXPECT_EQ(store_->transact_calls(), reads_before);  // the group commit only

  // A case ordered after the team was remembered: adopted in the transaction.
  JobId job = NewJob(admin_);
  ApplicationId app = NewApplication(admin_, NewCandidate(admin_), job);
  auto created =
      checks_->Send(admin_, app, {CertnActivity(admin_, job), std::nullopt}, std::nullopt);
  ASSERT_TRUE(created.ok()) << created.status();
  Drain();
  const std::string new_case = gateway_.last_case_id();
  ASSERT_NE(new_case, case_id_);
  const int reads_after_order = store_->transact_calls();
  std::optional<WebhookAnswer> late =
      without_blocking(SignedEvent("late", new_case, "CASE_STATUS_CHANGED", with_team));
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->code, "applied");
  // Remembered from that transaction: without the header, the case alone
  // names the team, and it is taken without a read too.
  std::optional<WebhookAnswer> headerless = without_blocking(SignedEvent("headerless", new_case));
  ASSERT_TRUE(headerless.has_value());
  EXPECT_EQ(headerless->code, "applied");
  EXPECT_EQ(store_->transact_calls(), reads_after_order);  // the group commit only
  EXPECT_EQ(Deliveries("orphan"), 1);
  EXPECT_EQ(Deliveries("applied"), 3);
}

// Certn team "certn-team" → team-a, "case-1" → team-a's check-1, and
// team-a's integration, all found at `at`.
void RememberTeamCaseAndIntegration(AddresseeCache& cache, AddresseeCache::Stamp at) {
  cache.RememberTeam("certn-team", TeamId("team-a"), at);
  cache.RememberCheck("case-1", CaseCheck{TeamId("team-a"), CheckId("check-1")}, at);
  CertnIntegration integration;
  integration.team = TeamId("team-a");
  cache.RememberIntegration(std::make_shared<const CertnIntegration>(integration), at);
}

TEST(AddresseeCacheTest, RemembersFoundAnswersForTheirSecondAndGeneration) {
  AddresseeCache cache(absl::Seconds(1), absl::Minutes(1));
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  const AddresseeCache::Stamp at{t0, 7};
  EXPECT_FALSE(cache.TeamOf("certn-team", at));
  RememberTeamCaseAndIntegration(cache, at);

  const AddresseeCache::Stamp later{t0 + absl::Milliseconds(999), 7};
  EXPECT_EQ(cache.TeamOf("certn-team", later), TeamId("team-a"));
  ASSERT_TRUE(cache.CheckOf("case-1", later));
  EXPECT_EQ(cache.CheckOf("case-1", later)->id, CheckId("check-1"));
  ASSERT_TRUE(cache.IntegrationOf(TeamId("team-a"), later));
  EXPECT_EQ(cache.IntegrationOf(TeamId("team-a"), later)->team, TeamId("team-a"));
  // Every delivery of a burst shares the one remembered copy.
  EXPECT_EQ(cache.IntegrationOf(TeamId("team-a"), later),
            cache.IntegrationOf(TeamId("team-a"), later));
  EXPECT_FALSE(cache.CheckOf("case-2", later));

  // A second later, or after an integration write of this process: stale.
  const AddresseeCache::Stamp expired{t0 + absl::Seconds(1), 7};
  EXPECT_FALSE(cache.TeamOf("certn-team", expired));
  EXPECT_FALSE(cache.IntegrationOf(TeamId("team-a"), expired));
  const AddresseeCache::Stamp rewritten{t0, 8};
  EXPECT_FALSE(cache.CheckOf("case-1", rewritten));
  EXPECT_FALSE(cache.IntegrationOf(TeamId("team-a"), rewritten));
}

// A case's check never changes once recorded: it serves for its own, longer
// time, while the team and its integration (which an admin may change on
// another replica) are read again after their second.
TEST(AddresseeCacheTest, ACasesCheckOutlivesTheSecondOfItsTeamAndIntegration) {
  AddresseeCache cache(absl::Seconds(1), absl::Minutes(1));
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  const AddresseeCache::Stamp at{t0, 3};
  RememberTeamCaseAndIntegration(cache, at);

  const AddresseeCache::Stamp later{t0 + absl::Seconds(30), 3};
  ASSERT_TRUE(cache.CheckOf("case-1", later));
  EXPECT_EQ(cache.CheckOf("case-1", later)->id, CheckId("check-1"));
  EXPECT_EQ(cache.CheckOf("case-1", later)->team, TeamId("team-a"));
  EXPECT_FALSE(cache.TeamOf("certn-team", later));
  EXPECT_FALSE(cache.IntegrationOf(TeamId("team-a"), later));
  EXPECT_FALSE(cache.CheckOf("case-1", AddresseeCache::Stamp{t0 + absl::Minutes(1), 3}));
  EXPECT_FALSE(cache.CheckOf("case-1", AddresseeCache::Stamp{t0 + absl::Seconds(30), 4}))
      << "an integration write of this process still makes it stale";
}

// A prune that leaves the map more than half full starts it over: left
// just under the bound it would be scanned again on every answer.
TEST(AddresseeCacheTest, AMostlyFreshMapStartsOverInsteadOfScanningOnEveryAnswer) {
  AddresseeCache cache(absl::Seconds(1), absl::Minutes(1));
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  const AddresseeCache::Stamp first{t0, 0}, next{t0 + absl::Seconds(30), 0};
  auto check_of = [](int i) { return CaseCheck{TeamId("t"), CheckId("c" + std::to_string(i))}; };
  for (int i = 0; i < 1000; ++i)
    cache.RememberCheck("old-" + std::to_string(i), check_of(i), first);
  for (int i = 0; i < 15'384; ++i) {  // 16,384 remembered, the first 1,000 due at t0 + 1 min
    cache.RememberCheck("case-" + std::to_string(i), check_of(i), next);
  }
  const AddresseeCache::Stamp pruning{t0 + absl::Seconds(61), 0};
  ASSERT_TRUE(cache.CheckOf("case-0", pruning));
  cache.RememberCheck("newest", check_of(0), pruning);
  EXPECT_TRUE(cache.CheckOf("newest", pruning));
  EXPECT_FALSE(cache.CheckOf("case-0", pruning))
      << "15,384 still fresh after the prune: more than half, so started over";
}

TEST(AddresseeCacheTest, AFloodOfCasesStaysBounded) {
  AddresseeCache cache(absl::Seconds(1), absl::Minutes(1));
  const AddresseeCache::Stamp at{absl::FromUnixSeconds(1'700'000'000), 0};
  for (int i = 0; i < 40'000; ++i) {
    cache.RememberCheck("case-" + std::to_string(i),
                        CaseCheck{TeamId("t"), CheckId("c" + std::to_string(i))}, at);
  }
  // The newest is there; the map was started over at least once on the way.
  EXPECT_TRUE(cache.CheckOf("case-39999", at));
  EXPECT_FALSE(cache.CheckOf("case-0", at));
}

}  // namespace
}  // namespace stagecheck::plugintest
