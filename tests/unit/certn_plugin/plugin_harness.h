// An in-process Certn plugin over a real SQLite store, with a scripted
// in-memory Certn gateway and a hand-driven clock: fast, deterministic tests
// of send, auto-send, apply, webhook and report rules.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/crypto/aes_gcm_cipher.h"
#include "adapters/crypto/openssl_crypto.h"
#include "core/services/accounts.h"
#include "core/services/applications.h"
#include "core/services/group_commit.h"
#include "core/services/plans.h"
#include "core/services/work_runner.h"
#include "gtest/gtest.h"
#include "plugin/certn/plugin.h"
#include "tests/support/store/faulty_store.h"
#include "tests/support/store/test_store.h"

namespace stagecheck::plugintest {

class ManualClock final : public Clock {
 public:
  absl::Time Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

// Counts Increment calls per metric name (labels ignored).
class CountingMetrics final : public Metrics {
 public:
  void Increment(std::string_view name, std::string_view, double by) override {
    std::lock_guard<std::mutex> lock(mu_);
    counts_[std::string(name)] += by;
  }
  void Observe(std::string_view name, std::string_view, double value) override {
    std::lock_guard<std::mutex> lock(mu_);
    observed_[std::string(name)].push_back(value);
  }
  void Set(std::string_view, std::string_view, double) override {}
  double Count(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counts_.find(name);
    return it == counts_.end() ? 0 : it->second;
  }
  // Every value observed in the histogram `name`, in order.
  std::vector<double> Observed(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = observed_.find(name);
    return it == observed_.end() ? std::vector<double>{} : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, double> counts_;
  std::map<std::string, std::vector<double>> observed_;
};

// Scripted Certn: cases live in memory; faults can be queued per operation.
class ScriptedGateway final : public CertnGateway {
 public:
  absl::StatusOr<CertnVerification> Verify(const CertnCredentials& creds) override;
  absl::StatusOr<std::vector<CertnPackage>> ListPackages(const CertnCredentials& creds) override;
  absl::StatusOr<CertnCase> OrderPackage(const CertnCredentials& creds,
                                         const CertnOrder& order) override;
  absl::StatusOr<CertnCase> GetCase(const CertnCredentials& creds,
                                    const std::string& case_id) override;
  absl::Status CancelCase(const CertnCredentials& creds, const std::string& case_id) override;
  absl::Status GenerateReport(const CertnCredentials& creds, const std::string& case_id) override;
  absl::StatusOr<std::string> DownloadReport(const CertnCredentials& creds,
                                             const std::string& report_file_id,
                                             int64_t max_bytes) override;
  // Every SetStatus is an event of the feed (ids 1, 2, ...), unless
  // events_feed is false: then the feed answers as Certn without one.
  absl::StatusOr<CertnEventsRead> ListEvents(const CertnCredentials& creds,
                                             const std::optional<std::string>& after_event_id,
                                             int max_pages, absl::Time young_after) override;
  bool events_feed = true;
  absl::Time last_young_after = absl::InfinitePast();  // of the last ListEvents
  // The `created` of the events SetStatus records from now on (none: absent).
  std::optional<absl::Time> event_time;

  // Moves a case to a new state (as Certn would before a webhook).
  void SetStatus(const std::string& case_id, CheckStatus status, std::string overall,
                 std::vector<CertnCheckResult> checks = {});
  void FailNext(std::string operation, absl::Status status, int times = 1);
  // Runs at the start of every call of `operation`, before its answer (to
  // change the world while a call is in flight). Set before work runs.
  std::map<std::string, std::function<void()>> during;
  // Any other change to a stored case (score, reason, unknown status).
  void Update(const std::string& case_id, const std::function<void(CertnCase&)>& change);
  int calls(const std::string& operation) const;
  std::vector<CertnOrder> orders() const;
  std::string last_case_id() const;
  static std::string PdfFor(const std::string& case_id);

  std::vector<CertnPackage> packages = {
      {"pkg-basic", "Basic", {"CRIMINAL_RECORD_1"}},
      {"pkg-premium", "Premium Package", {"CRIMINAL_RECORD_1", "ADVERSE_MEDIA_1"}},
  };
  std::string expected_key = "certn-key-0001";
  // Whether Verify names the key's Certn team (docs/certn-api.md: it may not).
  bool names_team = true;

 private:
  absl::Status Enter(const std::string& operation, const CertnCredentials& creds);

  mutable std::mutex mu_;
  std::map<std::string, int> calls_;
  std::map<std::string, std::vector<absl::Status>> faults_;
  std::map<std::string, CertnCase> cases_;
  std::map<std::string, std::string> case_by_reference_;
  std::vector<CertnOrder> orders_;
  std::string last_case_id_;
  std::vector<CertnEvent> events_;
};

class PluginHarness : public testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Changes the plugin's settings before the plugin is built.
  virtual void Configure(certn_plugin::PluginConfig& config) { (void)config; }
  // Changes the worker's options (no threads by default) before it is built.
  virtual void ConfigureWork(WorkRunnerOptions& options) { (void)options; }

  // A team with a connected Certn integration; returns its admin.
  Principal NewTeam(const std::string& certn_team_id = "certn-team-1");
  Principal Recruiter(const Principal& admin);
  // A job with stages "Screen" and "Background" (a Certn activity with pkg-basic).
  JobId NewJob(const Principal& admin, bool auto_send = false);
  CandidateId NewCandidate(const Principal& who,
                           std::optional<std::string> email = "ada@example.com",
                           std::vector<std::string> tags = {});
  ApplicationId NewApplication(const Principal& who, const CandidateId& c, const JobId& j);
  ActivityId CertnActivity(const Principal& who, const JobId& job);
  StageId StageNamed(const Principal& who, const JobId& job, const std::string& name);
  // Runs due work until nothing is due; returns how many items ran.
  int Drain();
  BackgroundCheck Check(const Principal& who, const CheckId& id);
  std::vector<FeedEvent> FeedOf(const Principal& who, const CandidateId& c);
  // Sends a webhook through the receiver and waits for its answer.
  certn_plugin::WebhookAnswer Deliver(certn_plugin::WebhookRequest request);
  certn_plugin::WebhookRequest SignedEvent(const std::string& delivery_id,
                                           const std::string& case_id,
                                           const std::string& event_type = "CASE_STATUS_CHANGED",
                                           bool with_team_header = false);
  int64_t CountRows(const std::string& sql_table);

  const std::string kSecret = "whsec_test_secret_0001";
  std::unique_ptr<storetest::TestDatabase> db_;
  std::unique_ptr<Store> real_store_;
  std::unique_ptr<storetest::FaultyStore> store_;
  crypto::OpenSslCrypto crypto_;
  crypto::UuidGenerator ids_;
  ManualClock clock_;
  NullLogger log_;
  CountingMetrics metrics_;
  std::unique_ptr<Cipher> cipher_;
  ActivityKindRegistry kinds_;
  std::unique_ptr<Deps> deps_;
  ScriptedGateway gateway_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<WorkRunner> worker_;
  std::unique_ptr<certn_plugin::CertnPlugin> plugin_;
  // The plugin's parts (owned by plugin_).
  certn_plugin::Integrations* integrations_ = nullptr;
  certn_plugin::Checks* checks_ = nullptr;
  certn_plugin::WebhookReceiver* webhook_ = nullptr;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<Plans> plans_;
  std::unique_ptr<Applications> applications_;
  std::map<std::string, std::string> certn_team_of_;  // team id → certn team id
};

inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

#define ASSERT_OK(expr)                    \
  do {                                     \
    absl::Status status_ = StatusOf(expr); \
    ASSERT_TRUE(status_.ok()) << status_;  \
  } while (0)
#define ASSERT_OK_AND_ASSIGN(lhs, expr)            \
  auto lhs##_or = (expr);                          \
  ASSERT_TRUE(lhs##_or.ok()) << lhs##_or.status(); \
  auto lhs = *std::move(lhs##_or)

}  // namespace stagecheck::plugintest
