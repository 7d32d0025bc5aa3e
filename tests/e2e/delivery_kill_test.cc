// Durability under crashes: the server is SIGKILLed repeatedly while the fake
// Certn streams signed webhook deliveries at it (retrying 5xx and refused
// connections like Certn). Every delivery the fake saw answered 2xx must be in
// the store afterwards, exactly once. Built for both stores: on SQLite the
// group commit's flusher answers after the WAL's fdatasync, on PostgreSQL
// several committers' batches commit at once (serve --db-committers).
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_support.h"
#ifndef STAGECHECK_E2E_POSTGRES
#include "sqlite3.h"
#endif

namespace stagecheck::e2e {
namespace {

class DeliveryKillTest : public E2eTest {
 protected:
  // Each id in the store exactly once (read after the service stopped).
  void ExpectStoredOnce(const std::set<std::string>& ids) {
#ifdef STAGECHECK_E2E_POSTGRES
    for (const std::string& id : ids) {
      // The fake's ids are UUIDs: nothing to quote.
      ASSERT_EQ(id.find_first_not_of("0123456789abcdefABCDEF-_"), std::string::npos) << id;
      absl::StatusOr<std::string> n = pgtest::QueryValue(
          db_->url(), "SELECT COUNT(*) FROM webhook_deliveries WHERE delivery_id = '" + id + "'");
      ASSERT_TRUE(n.ok()) << n.status();
      EXPECT_EQ(*n, "1") << id;
    }
#else
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(svc_->sqlite_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    for (const std::string& id : ids) EXPECT_EQ(CountDelivery(db, id), 1) << id;
    sqlite3_close(db);
#endif
  }
#ifndef STAGECHECK_E2E_POSTGRES
  static int64_t CountDelivery(sqlite3* db, const std::string& delivery_id) {
    sqlite3_stmt* stmt = nullptr;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM webhook_deliveries WHERE delivery_id = ?", -1,
                           &stmt, nullptr) == SQLITE_OK) {
      sqlite3_bind_text(stmt, 1, delivery_id.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return n;
  }
#endif
};

TEST_F(DeliveryKillTest, EveryAcknowledgedDeliverySurvivesRepeatedKills) {
  HttpResponse sent =
      SendCheckForNewCandidate(R"({"first_name":"Ada","last_name":"L","email":"ada@example.com"})");
  ASSERT_EQ(sent.status, 202) << sent.body;
  std::string case_id = WaitForCheck(sent.String("/id").value_or(""), "/status", "invited")
                            .String("/certn_case_id")
                            .value_or("");
  ASSERT_FALSE(case_id.empty());

  constexpr int kRounds = 4;
  constexpr int kPerRound = 25;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kPerRound; ++i)
      ASSERT_TRUE(fake_->SendWebhook(case_id, "CASE_STATUS_CHANGED").ok());
    // Let part of the stream land, then crash mid-stream.
    auto some = fake_->Deliveries();
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          some = fake_->Deliveries();
          return some.ok() &&
                 some->size() >= static_cast<size_t>(round * kPerRound + kPerRound / 2);
        },
        absl::Seconds(20)));
    svc_->Kill();
    ASSERT_TRUE(svc_->Restart().ok());
  }
  ASSERT_TRUE(fake_->FlushDeliveries().ok());
  auto log = fake_->Deliveries();
  ASSERT_TRUE(log.ok());
  std::set<std::string> acknowledged;
  for (const auto& d : *log) {
    if (d.status >= 200 && d.status < 300) acknowledged.insert(d.delivery_id);
  }
  ASSERT_FALSE(acknowledged.empty());
  ASSERT_TRUE(svc_->Stop().ok());
  ExpectStoredOnce(acknowledged);
}

}  // namespace
}  // namespace stagecheck::e2e
