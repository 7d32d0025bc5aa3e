// The outbound webhook rows (core/ports/outbound_store.h, schema v9) on every
// Store back-end: built into the conformance binary of each
// (backend_under_test.h), like store_conformance_test.cc.
#include "absl/strings/str_cat.h"
#include "core/ports/outbound_store.h"
#include "core/ports/retention_store.h"
#include "core/status_macros.h"
#include "gtest/gtest.h"
#include "tests/conformance/store/backend_under_test.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

#define OUTBOUND_ASSERT_OK(expr)                   \
  do {                                             \
    const absl::Status _st = (expr);               \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st; \
  } while (0)

WebhookEndpoint MakeEndpoint(const std::string& team, const std::string& id, int at) {
  WebhookEndpoint e;
  e.team = TeamId(team);
  e.id = WebhookEndpointId(id);
  e.url = "https://ats.example.com/hooks/" + id;
  e.event_types = {OutboundEventType::kCheckCompleted, OutboundEventType::kApplicationMoved};
  e.description = "ATS";
  e.secret_encrypted = std::string("sealed\0bytes", 12);
  e.created_at = e.updated_at = kStart + absl::Seconds(at);
  return e;
}

OutboundDelivery MakeDelivery(const std::string& team, const std::string& id,
                              const std::string& endpoint, int at) {
  OutboundDelivery d;
  d.team = TeamId(team);
  d.id = OutboundDeliveryId(id);
  d.endpoint = WebhookEndpointId(endpoint);
  d.event = OutboundEventId("msg_1");
  d.event_type = OutboundEventType::kCheckCompleted;
  d.next_attempt_at = kStart;
  d.created_at = d.updated_at = kStart + absl::Seconds(at);
  return d;
}

class OutboundConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<storetest::TestDatabase>> db =
        storetest::TestDatabase::Create(storetest::BackendUnderTest());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    absl::StatusOr<std::unique_ptr<Store>> store = db_->Open();
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  absl::Status Tx(const std::function<absl::Status(OutboundUnitOfWork&)>& work) {
    return store_->Transact([&](UnitOfWork& u) { return work(OutboundRows(u)); });
  }
  template <typename T, typename F>
  absl::StatusOr<T> Read(F&& read) {
    return InRead<T>(read);
  }
  template <typename T, typename F>
  absl::StatusOr<T> InRead(F& read) {
    absl::StatusOr<T> out = absl::UnknownError("not run");
    absl::Status s = store_->Read([&](UnitOfWork& u) {
      out = read(OutboundRows(u));
      return out.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  std::unique_ptr<storetest::TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

TEST_F(OutboundConformance, EndpointsRoundTripPerTeamAndKeepBinarySecrets) {
  WebhookEndpoint e = MakeEndpoint("t1", "we_1", 0);
  OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) { return u.InsertEndpoint(e); }));
  EXPECT_EQ(Tx([&](OutboundUnitOfWork& u) { return u.InsertEndpoint(e); }).code(),
            absl::StatusCode::kAlreadyExists);
  OUTBOUND_ASSERT_OK(
      Tx([&](OutboundUnitOfWork& u) { return u.InsertEndpoint(MakeEndpoint("t2", "we_2", 1)); }));
  absl::StatusOr<WebhookEndpoint> got = Read<WebhookEndpoint>([&](OutboundUnitOfWork& u) {
    return u.GetEndpoint(TeamId("t1"), WebhookEndpointId("we_1"));
  });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->url, e.url);
  EXPECT_EQ(got->secret_encrypted, e.secret_encrypted);
  EXPECT_EQ(got->event_types, e.event_types);
  EXPECT_TRUE(got->enabled);
  EXPECT_FALSE(got->previous_secret_encrypted.has_value());
  // Another team's endpoint is not found through this team.
  EXPECT_EQ(Read<WebhookEndpoint>([&](OutboundUnitOfWork& u) {
              return u.GetEndpoint(TeamId("t1"), WebhookEndpointId("we_2"));
            })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<WebhookEndpoint>> list = Read<std::vector<WebhookEndpoint>>(
      [&](OutboundUnitOfWork& u) { return u.ListEndpoints(TeamId("t1")); });
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
}

TEST_F(OutboundConformance, EndpointUpdatesRotationAndDisablingAndDeletes) {
  WebhookEndpoint e = MakeEndpoint("t1", "we_1", 0);
  OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) { return u.InsertEndpoint(e); }));
  e.previous_secret_encrypted = e.secret_encrypted;
  e.previous_valid_until = kStart + absl::Hours(24);
  e.secret_encrypted = "new";
  e.enabled = false;
  e.disabled_reason = std::string(kDisabledGone);
  e.disabled_at = kStart;
  e.failing_since = kStart;
  OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) { return u.UpdateEndpoint(e); }));
  absl::StatusOr<WebhookEndpoint> got = Read<WebhookEndpoint>(
      [&](OutboundUnitOfWork& u) { return u.GetEndpoint(TeamId("t1"), e.id); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->secret_encrypted, "new");
  EXPECT_EQ(got->previous_secret_encrypted,
            std::optional<std::string>(std::string("sealed\0bytes", 12)));
  EXPECT_EQ(got->previous_valid_until, e.previous_valid_until);
  EXPECT_FALSE(got->enabled);
  EXPECT_EQ(got->disabled_reason, kDisabledGone);
  EXPECT_EQ(got->failing_since, kStart);
  WebhookEndpoint other = MakeEndpoint("t2", "we_1", 0);
  EXPECT_EQ(Tx([&](OutboundUnitOfWork& u) { return u.UpdateEndpoint(other); }).code(),
            absl::StatusCode::kNotFound);
  OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) {
    return u.InsertOutboundDelivery(MakeDelivery("t1", "d1", "we_1", 0));
  }));
  EXPECT_EQ(Tx([&](OutboundUnitOfWork& u) { return u.DeleteEndpoint(TeamId("t2"), e.id); }).code(),
            absl::StatusCode::kNotFound);
  OUTBOUND_ASSERT_OK(
      Tx([&](OutboundUnitOfWork& u) { return u.DeleteEndpoint(TeamId("t1"), e.id); }));
  EXPECT_EQ(Read<OutboundDelivery>([&](OutboundUnitOfWork& u) {
              return u.GetOutboundDelivery(TeamId("t1"), OutboundDeliveryId("d1"));
            })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(OutboundConformance, EventsAreNumberedPerSubjectAndUnique) {
  OutboundEvent ev{TeamId("t1"),
                   OutboundEventId("msg_1"),
                   OutboundEventType::kCheckCreated,
                   "chk-1",
                   1,
                   R"({"type":"check.created"})",
                   kStart};
  OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) { return u.InsertOutboundEvent(ev); }));
  absl::StatusOr<int64_t> last = Read<int64_t>(
      [&](OutboundUnitOfWork& u) { return u.LastEventSequence(TeamId("t1"), "chk-1"); });
  EXPECT_EQ(last.value_or(-1), 1);
  EXPECT_EQ(Read<int64_t>([&](OutboundUnitOfWork& u) {
              return u.LastEventSequence(TeamId("t2"), "chk-1");
            }).value_or(-1),
            0);
  OutboundEvent dup = ev;
  dup.id = OutboundEventId("msg_2");
  EXPECT_EQ(Tx([&](OutboundUnitOfWork& u) { return u.InsertOutboundEvent(dup); }).code(),
            absl::StatusCode::kAlreadyExists);
  absl::StatusOr<OutboundEvent> got = Read<OutboundEvent>(
      [&](OutboundUnitOfWork& u) { return u.GetOutboundEvent(TeamId("t1"), ev.id); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body, ev.body);
  EXPECT_EQ(got->type, OutboundEventType::kCheckCreated);
  EXPECT_EQ(got->sequence, 1);
}

TEST_F(OutboundConformance, DeliveriesKeepTheirAttemptLogAndPage) {
  for (int i = 0; i < 3; ++i) {
    OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) {
      return u.InsertOutboundDelivery(MakeDelivery("t1", absl::StrCat("d", i), "we_1", i));
    }));
  }
  DeliveryAttempt a{1, kStart, 500, absl::Milliseconds(42), "", "oops"};
  OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) {
    return u.InsertDeliveryAttempt(TeamId("t1"), OutboundDeliveryId("d2"), a);
  }));
  EXPECT_EQ(Tx([&](OutboundUnitOfWork& u) {
              return u.InsertDeliveryAttempt(TeamId("t1"), OutboundDeliveryId("d2"), a);
            }).code(),
            absl::StatusCode::kAlreadyExists);
  OutboundDelivery d = MakeDelivery("t1", "d2", "we_1", 2);
  d.state = OutboundDeliveryState::kDelivered;
  d.attempts = 1;
  d.next_attempt_at = std::nullopt;
  OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) { return u.UpdateOutboundDelivery(d); }));
  absl::StatusOr<Page<OutboundDelivery>> page =
      Read<Page<OutboundDelivery>>([&](OutboundUnitOfWork& u) {
        return u.ListOutboundDeliveries(TeamId("t1"), WebhookEndpointId("we_1"),
                                        PageRequest{.limit = 2, .after = ""});
      });
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].id.value(), "d2");  // newest first
  EXPECT_EQ(page->items[0].state, OutboundDeliveryState::kDelivered);
  ASSERT_EQ(page->items[0].attempt_log.size(), 1u);
  EXPECT_EQ(page->items[0].attempt_log[0].http_status, 500);
  EXPECT_EQ(page->items[0].attempt_log[0].latency, absl::Milliseconds(42));
  EXPECT_EQ(page->items[0].attempt_log[0].excerpt, "oops");
  ASSERT_FALSE(page->next.empty());
  absl::StatusOr<Page<OutboundDelivery>> rest =
      Read<Page<OutboundDelivery>>([&](OutboundUnitOfWork& u) {
        return u.ListOutboundDeliveries(TeamId("t1"), WebhookEndpointId("we_1"),
                                        PageRequest{.limit = 2, .after = page->next});
      });
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].id.value(), "d0");
  EXPECT_TRUE(rest->next.empty());
  // Another team sees none of them.
  EXPECT_EQ(Read<Page<OutboundDelivery>>([&](OutboundUnitOfWork& u) {
              return u.ListOutboundDeliveries(TeamId("t2"), WebhookEndpointId("we_1"), {});
            })->items.size(),
            0u);
}

// The retention job's purge of the outbox (core/ports/retention_store.h):
// finished deliveries older than the cutoff go with their attempt logs,
// pending ones (and their events) stay whatever their age; an event no
// delivery needs goes, but the newest of its subject, which stays emptied so
// that the subject's numbering goes on; another team is untouched.
TEST_F(OutboundConformance, RetentionPurgesFinishedDeliveriesNeverPendingOnes) {
  const absl::Time cutoff = kStart + absl::Hours(24) * 30;
  auto event = [](const std::string& team, const std::string& id, const std::string& subject,
                  int64_t sequence) {
    return OutboundEvent{TeamId(team),
                         OutboundEventId(id),
                         OutboundEventType::kCheckCompleted,
                         subject,
                         sequence,
                         R"({"type":"check.completed"})",
                         kStart};
  };
  auto delivery = [](const std::string& team, const std::string& id, const std::string& ev,
                     OutboundDeliveryState state) {
    OutboundDelivery d = MakeDelivery(team, id, "we_1", 0);
    d.event = OutboundEventId(ev);
    d.state = state;
    return d;
  };
  OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) -> absl::Status {
    // chk-1: events 1 and 2 delivered long ago; chk-2: event 1 still pending.
    RETURN_IF_ERROR(u.InsertOutboundEvent(event("t1", "msg_a", "chk-1", 1)));
    RETURN_IF_ERROR(u.InsertOutboundEvent(event("t1", "msg_b", "chk-1", 2)));
    RETURN_IF_ERROR(u.InsertOutboundEvent(event("t1", "msg_c", "chk-2", 1)));
    RETURN_IF_ERROR(u.InsertOutboundEvent(event("t2", "msg_a", "chk-1", 1)));
    for (const auto& [id, ev] : {std::pair{"d1", "msg_a"}, std::pair{"d2", "msg_b"}}) {
      RETURN_IF_ERROR(
          u.InsertOutboundDelivery(delivery("t1", id, ev, OutboundDeliveryState::kDelivered)));
      RETURN_IF_ERROR(u.InsertDeliveryAttempt(TeamId("t1"), OutboundDeliveryId(id),
                                              {1, kStart, 200, absl::Milliseconds(5), "", "ok"}));
    }
    RETURN_IF_ERROR(
        u.InsertOutboundDelivery(delivery("t1", "d3", "msg_c", OutboundDeliveryState::kPending)));
    RETURN_IF_ERROR(u.InsertDeliveryAttempt(TeamId("t1"), OutboundDeliveryId("d3"),
                                            {1, kStart, 500, absl::Milliseconds(5), "", "no"}));
    return u.InsertOutboundDelivery(delivery("t2", "d1", "msg_a", OutboundDeliveryState::kFailed));
  }));
  std::vector<std::pair<int64_t, int64_t>> runs;
  for (int i = 0; i < 3; ++i) {
    OUTBOUND_ASSERT_OK(store_->Transact([&](UnitOfWork& u) -> absl::Status {
      ASSIGN_OR_RETURN(OutboxPurge n, RetentionRows(u).PurgeOutbox(TeamId("t1"), cutoff, 1));
      runs.emplace_back(n.deliveries, n.events);
      return absl::OkStatus();
    }));
  }
  // A batch of 1: one delivery a run, then its event, which no delivery needs
  // any more (msg_a deleted, then msg_b, the newest of chk-1, emptied); then nothing.
  EXPECT_EQ(runs, (std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {1, 1}, {0, 0}}));
  OUTBOUND_ASSERT_OK(store_->Read([&](UnitOfWork& uow) -> absl::Status {
    OutboundUnitOfWork& u = OutboundRows(uow);
    const TeamId t1("t1");
    EXPECT_EQ(u.GetOutboundDelivery(t1, OutboundDeliveryId("d1")).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(u.GetOutboundDelivery(t1, OutboundDeliveryId("d2")).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(u.GetOutboundEvent(t1, OutboundEventId("msg_a")).status().code(),
              absl::StatusCode::kNotFound);
    ASSIGN_OR_RETURN(OutboundEvent newest, u.GetOutboundEvent(t1, OutboundEventId("msg_b")));
    EXPECT_EQ(newest.body, "");
    ASSIGN_OR_RETURN(int64_t last, u.LastEventSequence(t1, "chk-1"));
    EXPECT_EQ(last, 2);  // the next event of chk-1 is number 3
    ASSIGN_OR_RETURN(Page<OutboundDelivery> left,
                     u.ListOutboundDeliveries(t1, WebhookEndpointId("we_1"), {}));
    EXPECT_EQ(left.items.size(), 1u);  // the pending one, with its attempt log
    if (left.items.size() == 1) {
      EXPECT_EQ(left.items[0].id.value(), "d3");
      EXPECT_EQ(left.items[0].attempt_log.size(), 1u);
    }
    ASSIGN_OR_RETURN(OutboundEvent waiting, u.GetOutboundEvent(t1, OutboundEventId("msg_c")));
    EXPECT_EQ(waiting.body, R"({"type":"check.completed"})");
    ASSIGN_OR_RETURN(OutboundDelivery other,
                     u.GetOutboundDelivery(TeamId("t2"), OutboundDeliveryId("d1")));
    EXPECT_EQ(other.state, OutboundDeliveryState::kFailed);
    return absl::OkStatus();
  }));
  // The attempt logs of the purged deliveries went with them.
  OUTBOUND_ASSERT_OK(Tx([&](OutboundUnitOfWork& u) {
    return u.InsertDeliveryAttempt(TeamId("t1"), OutboundDeliveryId("d1"),
                                   {1, kStart, 200, absl::Milliseconds(5), "", "ok"});
  }));
  // Before the cutoff nothing goes: a recent finished delivery stays.
  OUTBOUND_ASSERT_OK(store_->Transact([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(OutboxPurge n,
                     RetentionRows(u).PurgeOutbox(TeamId("t2"), kStart - absl::Seconds(1), 10));
    EXPECT_EQ(n.deliveries + n.events, 0);
    return absl::OkStatus();
  }));
}

}  // namespace
}  // namespace stagecheck
