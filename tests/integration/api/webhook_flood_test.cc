// Unauthenticated input never reaches the disk (docs/certn-api.md, in
// docs/architecture.md "Webhook"): a flood of deliveries that cannot be
// verified — random case ids, 100 KB bodies — is answered and counted, and
// neither grows the database nor changes anything.
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class WebhookFloodTest : public ApiTest {};

constexpr char kWebhook[] = "/certn/certnWebhookHandler";

int64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// The SQLite database with its write-ahead log and shared-memory index.
int64_t DatabaseBytes(const std::string& path) {
  return FileSize(path) + FileSize(path + "-wal") + FileSize(path + "-shm");
}

// The value of `series` (name and labels, as /metrics prints them), 0 when absent.
double MetricValue(const std::string& metrics, const std::string& series) {
  size_t at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::strtod(metrics.c_str() + at + series.size() + 2, nullptr);
}

std::string RandomHex(std::mt19937_64& rng, size_t chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < chars; ++i) out.push_back(kHex[rng() & 0xf]);
  return out;
}

TEST_F(WebhookFloodTest, TenThousandUnauthenticatedDeliveriesGrowTheDatabaseByLessThanAMebibyte) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  const int64_t deliveries_before = CountRows("webhook_deliveries");
  const int64_t work_before = CountRows("work_items");
  const int64_t bytes_before = DatabaseBytes(svc().sqlite_path());
  const std::string refused =
      R"(stagecheck_webhook_deliveries_total{verdict="case_not_known_yet"})";
  const double refused_before = MetricValue(svc().Get("/metrics").body, refused);
  ASSERT_GT(bytes_before, 0) << svc().sqlite_path();

  constexpr int kDeliveries = 10000;
  constexpr int kThreads = 2;
  std::atomic<int> not_known{0}, bad_signature{0}, other{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      std::mt19937_64 rng(std::random_device{}() + t);
      for (int i = t; i < kDeliveries; i += kThreads) {
        // A thin event for a random case, padded to 100 KB, signed with nothing we know.
        std::string body = absl::StrCat(
            R"({"id":"evt-)", i, R"(","event_type":"CASE_STATUS_CHANGED",)",
            R"("object_type":"CASE","object_id":")", RandomHex(rng, 32), R"(","pad":")");
        body.append(100 * 1024 - body.size() - 2, 'x');
        body.append("\"}");
        HttpResponse r = svc().Post(kWebhook, body, "", {{"X-Signature", RandomHex(rng, 64)}});
        if (r.status == 503 && r.String("/code") == "case_not_known_yet") {
          ++not_known;
        } else if (r.status == 401) {
          ++bad_signature;
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& s : senders) s.join();
  EXPECT_EQ(not_known.load(), kDeliveries);
  EXPECT_EQ(bad_signature.load() + other.load(), 0);

  // And deliveries naming the world's real case, signed with the wrong secret.
  HttpResponse check = svc().Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token);
  const std::string real =
      absl::StrCat(R"({"id":"evt-real","event_type":"CASE_STATUS_CHANGED","object_type":"CASE",)",
                   R"("object_id":)", JsonQuote(check.String("/certn_case_id").value_or("")), "}");
  EXPECT_PROBLEM(svc().Post(kWebhook, real, "", {{"X-Signature", std::string(64, '0')}}), 401,
                 "bad_signature");

  EXPECT_EQ(CountRows("webhook_deliveries"), deliveries_before);
  EXPECT_EQ(CountRows("work_items"), work_before);
  EXPECT_LT(DatabaseBytes(svc().sqlite_path()) - bytes_before, 1 << 20);
  EXPECT_EQ(Snapshot(w), before);  // nothing applied
  // Counted: the refusals show in the metrics.
  EXPECT_EQ(MetricValue(svc().Get("/metrics").body, refused) - refused_before, kDeliveries);
  EXPECT_EQ(svc().Get("/healthz").status, 200);
}

}  // namespace
}  // namespace stagecheck::api_test
