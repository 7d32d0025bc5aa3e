// The outbound webhook rows (core/ports/outbound_store.h, schema v9) on every
// Store back-end: built into the conformance binary of each
// (STAGECHECK_STORE_BACKEND), like store_conformance_test.cc.
#include "absl/strings/str_cat.h"
#include "core/ports/outbound_store.h"
#include "core/status_macros.h"
#include "gtest/gtest.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

constexpr std::string_view kOutboundBackend = STAGECHECK_STORE_BACKEND;
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
        storetest::TestDatabase::Create(kOutboundBackend);
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

}  // namespace
}  // namespace stagecheck
