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
#include "core/services/group_commit.h"
#include "core/services/plans.h"
#include "plugin/certn/checks.h"
#include "plugin/certn/integrations.h"
#include "plugin/certn/webhook.h"
#include "plugin/certn/worker.h"

namespace stagecheck::cli {

using observability::FileSink;
using observability::JsonLogger;
using observability::PrometheusMetrics;

struct RuntimeOptions {
  std::string db;
  std::string key_file;  // used when STAGECHECK_ENCRYPTION_KEY is not set
  bool need_cipher = true;
  std::optional<std::string> certn_base_url;
  certn_plugin::PluginConfig plugin;
  int worker_threads = 2;
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
  certn_plugin::Integrations& integrations() { return *integrations_; }
  certn_plugin::Checks& checks() { return *checks_; }
  certn_plugin::WebhookReceiver& webhook() { return *webhook_; }
  certn_plugin::Worker& worker() { return *worker_; }
  JsonLogger& logger() { return *logger_; }
  PrometheusMetrics& metrics() { return metrics_; }
  const crypto::OpenSslCrypto& crypto() const { return crypto_; }

 private:
  Runtime() = default;

  crypto::OpenSslCrypto crypto_;
  crypto::UuidGenerator ids_;
  SystemClock clock_;
  PrometheusMetrics metrics_;
  std::unique_ptr<JsonLogger> logger_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Cipher> cipher_;
  ActivityKindRegistry kinds_;
  std::unique_ptr<Deps> deps_;
  std::unique_ptr<certn::CertnHttpGateway> gateway_;
  std::unique_ptr<certn_plugin::Integrations> integrations_;
  std::unique_ptr<certn_plugin::Checks> checks_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<certn_plugin::WebhookReceiver> webhook_;
  std::unique_ptr<certn_plugin::Worker> worker_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<Plans> plans_;
  std::unique_ptr<Applications> applications_;
};

// A cipher for commands that never touch secrets.
class RefusingCipher final : public Cipher {
 public:
  absl::StatusOr<std::string> Encrypt(std::string_view) override;
  absl::StatusOr<std::string> Decrypt(std::string_view) override;
};

}  // namespace stagecheck::cli
