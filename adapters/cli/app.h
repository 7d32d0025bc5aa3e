// The one place where adapters and plugins are wired together: a Runtime owns
// the store, crypto, Certn gateway, plugin and core services of one process.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "adapters/certn/gateway.h"
#include "adapters/crypto/aes_gcm_cipher.h"
#include "adapters/crypto/openssl_crypto.h"
#include "adapters/observability/json_logger.h"
#include "adapters/observability/prometheus_metrics.h"
#include "adapters/store/open_store.h"
#include "core/services/accounts.h"
#include "core/services/applications.h"
#include "core/services/bulk_sends.h"
#include "core/services/check_lifecycle.h"
#include "core/services/delay_notices.h"
#include "core/services/group_commit.h"
#include "core/services/notifications.h"
#include "core/services/outbound_deliverer.h"
#include "core/services/plans.h"
#include "core/services/retention.h"
#include "core/services/webhook_endpoints.h"
#include "core/services/work_runner.h"
#include "plugin/certn/plugin.h"

namespace stagecheck::cli {

using observability::FileSink;
using observability::JsonLogger;
using observability::PrometheusMetrics;

// PostgreSQL does its own group commit of concurrent transactions: this many
// lanes commit at once (each holds a pooled connection while it commits).
inline constexpr int kPostgresCommitters = 4;
// The connections of a PostgreSQL pool besides the committers' own.
inline constexpr int kPostgresPoolBase = 4;

struct RuntimeOptions {
  std::string db;
  std::string key_file;  // used when STAGECHECK_ENCRYPTION_KEY is not set
  bool need_cipher = true;
  std::optional<std::string> certn_base_url;
  // Certn's rolling rate-limit window (default a minute); tests shorten it
  // to see a limit bind in seconds.
  std::optional<absl::Duration> certn_rate_window;
  certn_plugin::PluginConfig plugin;
  int worker_threads = 2;
  // Threads that run a send's order handed over by its transaction
  // (--express-workers; WorkRunnerOptions::express_threads). 0: none.
  int express_threads = 1;
  // Group-commit lanes (--db-committers): 0 picks the back-end's default,
  // kPostgresCommitters on PostgreSQL, 1 on SQLite (a single writer).
  int committers = 0;
  // Where outbound webhooks may point (--outbound-allow-http-loopback,
  // --outbound-allow-private-addresses; docs/operations.md).
  EndpointPolicy outbound_policy;
  DeliveryOptions outbound_delivery;  // --outbound-timeout-ms, --outbound-retry-delay-ms
  // How often each team's retention purge is queued (docs/operations.md).
  absl::Duration retention_interval = absl::Hours(1);
  // How often each team's delayed-check scan is queued (--delay-scan-interval-ms).
  absl::Duration delay_scan_interval = absl::Hours(1);
  LogLevel log_level = LogLevel::kInfo;
};

class Runtime {
 public:
  static absl::StatusOr<std::unique_ptr<Runtime>> Open(const RuntimeOptions& options);
  ~Runtime();

  Store& store() { return *store_; }
  Deps& deps() { return *deps_; }
  Accounts& accounts() { return *accounts_; }
  Plans& plans() { return *plans_; }
  Applications& applications() { return *applications_; }
  certn_plugin::Integrations& integrations() { return certn_->integrations(); }
  certn_plugin::Checks& checks() { return certn_->checks(); }
  certn_plugin::WebhookReceiver& webhook() { return certn_->webhook(); }
  BulkSends& bulk_sends() { return *bulk_sends_; }
  CheckLifecycle& lifecycle() { return *lifecycle_; }
  WebhookEndpoints& endpoints() { return *endpoints_; }
  Retention& retention() { return *retention_; }
  Notifications& notifications() { return *notifications_; }
  WorkRunner& work() { return *work_; }
  JsonLogger& logger() { return *logger_; }
  PrometheusMetrics& metrics() { return metrics_; }
  const crypto::OpenSslCrypto& crypto() const { return crypto_; }

 private:
  Runtime() = default;
  absl::Status LoadPlugins(const RuntimeOptions& options);
  absl::Status OpenOutbound(const RuntimeOptions& options);
  absl::Status WireRetention(const RuntimeOptions& options);

  crypto::OpenSslCrypto crypto_;
  crypto::UuidGenerator ids_;
  SystemClock clock_;
  PrometheusMetrics metrics_;
  std::unique_ptr<JsonLogger> logger_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Cipher> cipher_;
  ActivityKindRegistry kinds_;
  std::unique_ptr<Deps> deps_;
  std::unique_ptr<CallBudget> call_budget_;
  std::unique_ptr<certn::CertnHttpGateway> gateway_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<WorkRunner> work_;
  // The plugins, listed once (app.cc, LoadPlugins).
  std::unique_ptr<certn_plugin::CertnPlugin> certn_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<Plans> plans_;
  std::unique_ptr<Applications> applications_;
  std::unique_ptr<BulkSends> bulk_sends_;
  std::unique_ptr<CheckLifecycle> lifecycle_;
  std::unique_ptr<WebhookPoster> poster_;
  std::unique_ptr<WebhookEndpoints> endpoints_;
  std::unique_ptr<OutboundDeliverer> deliverer_;
  std::unique_ptr<Retention> retention_;
  std::unique_ptr<Notifications> notifications_;
  std::unique_ptr<DelayNotices> delay_notices_;
};

// A cipher for commands that never touch secrets.
class RefusingCipher final : public Cipher {
 public:
  absl::StatusOr<std::string> Encrypt(std::string_view) override;
  absl::StatusOr<std::string> Decrypt(std::string_view) override;
};

}  // namespace stagecheck::cli
