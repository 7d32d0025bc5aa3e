// CertnGateway over HTTP (docs/certn-api.md): rate limited per API key,
// timed out, retried with jittered backoff for transient faults only, and
// every failure an absl::Status whose message never contains the key.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "adapters/certn/config.h"
#include "adapters/certn/rate_limiter.h"
#include "adapters/certn/transport.h"
#include "core/ports/telemetry.h"
#include "plugin/certn/ports/certn_gateway.h"

namespace stagecheck::certn {

class CertnHttpGateway final : public CertnGateway {
 public:
  // `logger` may be null; it must outlive the gateway. `transport` defaults to
  // cpprestsdk. `budget` (null: this process's own) holds each account's rate
  // limit; pass one shared through the store when replicas share a database.
  explicit CertnHttpGateway(CertnClientConfig config, Logger* logger = nullptr,
                            std::unique_ptr<Transport> transport = nullptr,
                            CallBudget* budget = nullptr);

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
  absl::StatusOr<CertnEventsRead> ListEvents(const CertnCredentials& creds,
                                             const std::optional<std::string>& after_event_id,
                                             int max_pages, absl::Time young_after) override;

  const CertnClientConfig& config() const { return config_; }

 private:
  struct Call {
    std::string operation;  // for logs and messages: "verify", "order_package", ...
    std::string method;
    std::string path;  // path + query, appended to the region's base URL
    std::string body = {};
    std::string idempotency_key = {};
    bool retryable = true;  // false: one attempt, whatever happens
    int64_t max_response_bytes = 16 << 20;
  };

  // A 2xx reply, or the mapped error after the retries this call allows.
  absl::StatusOr<HttpReply> Execute(const CertnCredentials& creds, const Call& call);
  absl::StatusOr<HttpReply> Attempt(const CertnCredentials& creds, const Call& call, int attempt);
  absl::Status ErrorFromReply(const Call& call, const HttpReply& reply) const;
  absl::StatusOr<CertnCase> ParseCaseReply(const CertnCredentials& creds, const Call& call,
                                           const HttpReply& reply) const;
  absl::Duration Backoff(int attempt);
  // A presigned report URL may be fetched: https, or (tests) under the
  // region's own http base URL.
  bool MayDownloadFrom(const CertnCredentials& creds, std::string_view url) const;
  void LogCall(const Call& call, int attempt, std::string_view outcome, absl::Duration took) const;

  CertnClientConfig config_;
  Logger* logger_;
  std::unique_ptr<Transport> transport_;
  RateLimiter limiter_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

// Removes every occurrence of `secret` from `text` (defence in depth: no
// message that leaves the adapter can carry the key, whatever Certn echoed).
std::string Redact(std::string text, std::string_view secret);

}  // namespace stagecheck::certn
