// Starts the fake Certn (fixtures/fake_certn) as a real process on a free
// loopback port for integration and e2e tests, drives its /_control/ API and
// stops it when destroyed.
//
//   auto fake = FakeCertnProcess::Start();          // or Start({.demo = true})
//   ASSERT_TRUE(fake.ok()) << fake.status();
//   (*fake)->CreateAccount({.api_key = "k", .certn_team_id = "team-1", ...});
//   config.base_url_override = (*fake)->base_url();
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/certn/transport.h"
#include "plugin/certn/domain/integration.h"

namespace stagecheck::fake_certn {

struct FakeCertnStartOptions {
  // Default: $STAGECHECK_FAKE_CERTN_BINARY, else the fake-certn this build made.
  std::string binary;
  bool demo = false;
  // Tiny by default so retry tests finish fast; Certn's real ones are seconds.
  std::vector<int> webhook_retry_delays_ms = {20, 40, 80};
  int rate_limit_per_minute = 0;
  std::vector<std::string> extra_args;
  absl::Duration start_timeout = absl::Seconds(15);
};

struct PackageSpec {
  std::string id;
  std::string name;
  std::vector<std::string> check_types;
};

struct AccountSpec {
  std::string api_key;
  std::string certn_team_id;
  std::string region = "north_america";
  std::string webhook_url = {};
  std::string webhook_secret = {};
  std::vector<PackageSpec> packages = {};
};

// See Fault in fixtures/fake_certn/fake_certn.h: endpoint names and meaning.
struct FaultSpec {
  std::string endpoint;  // "get_case", "order_package", ..., or "*"
  int status = 0;
  int retry_after = -1;
  int latency_ms = 0;
  int hang_ms = 0;
  bool malformed_json = false;
  bool wrong_types = false;
  int times = -1;
};

struct WebhookFaultSpec {
  bool wrong_signature = false;
  bool duplicate = false;
  bool out_of_order = false;
  bool drop = false;  // the delivery is lost on the way (the event feed still lists it)
  int times = -1;
};

struct LoggedRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string endpoint;
  std::string idempotency_key;
  std::string certn_team_id;
  int status = 0;
  int64_t at_unix_ms = 0;
  int64_t at_unix_us = 0;
};

struct DeliveryRecord {
  std::string delivery_id;
  std::string event_type;
  std::string object_id;
  int attempt = 0;
  int status = 0;
  bool signed_correctly = true;
};

class FakeCertnProcess {
 public:
  static absl::StatusOr<std::unique_ptr<FakeCertnProcess>> Start(
      FakeCertnStartOptions options = {});
  ~FakeCertnProcess();  // SIGTERM, then SIGKILL if it has not exited within 5 s
  FakeCertnProcess(const FakeCertnProcess&) = delete;
  FakeCertnProcess& operator=(const FakeCertnProcess&) = delete;

  uint16_t port() const { return port_; }
  int pid() const { return pid_; }
  std::string base_url() const;  // http://127.0.0.1:PORT (any region)
  // A base URL that only accepts keys of `region` (others: 401 wrong_region).
  std::string region_base_url(CertnRegion region) const;

  // Any control or API call; the body of a 2xx, else an error with the status.
  absl::StatusOr<std::string> Call(const std::string& method, const std::string& path,
                                   const std::string& body = "",
                                   std::vector<std::pair<std::string, std::string>> headers = {});

  absl::Status CreateAccount(const AccountSpec& account);
  // Next lifecycle step, or `target_status` (a Certn overall_status). Returns the case JSON.
  absl::StatusOr<std::string> AdvanceCase(const std::string& case_id,
                                          const std::string& target_status = "");
  absl::Status SendWebhook(const std::string& case_id, const std::string& event_type);
  absl::Status InjectFault(const FaultSpec& fault);
  absl::Status SetWebhookFaults(const WebhookFaultSpec& faults);
  absl::Status ClearFaults();
  // `per_minute` calls in any rolling `window_ms` (a minute unless shortened).
  absl::Status SetRateLimit(int per_minute, int window_ms = 60'000);
  // The event feed answers (true, the default) or 404s as a Certn without one.
  absl::Status SetEventsFeed(bool enabled);
  absl::Status FlushDeliveries();
  // The fake's own request log (public API calls only), optionally one endpoint.
  absl::StatusOr<std::vector<LoggedRequest>> Requests(const std::string& endpoint = "");
  absl::Status ClearRequests();
  absl::StatusOr<std::vector<DeliveryRecord>> Deliveries();
  // Webhooks queued, held back or in flight (0: every one has been answered).
  absl::StatusOr<uint64_t> PendingDeliveries();
  // Polls the delivery log until `count` attempts are recorded and nothing is pending.
  absl::StatusOr<std::vector<DeliveryRecord>> WaitForDeliveries(
      size_t count, absl::Duration timeout = absl::Seconds(30));

 private:
  FakeCertnProcess(int pid, uint16_t port);
  // The attempts so far and how many deliveries are still queued or held.
  absl::StatusOr<std::pair<std::vector<DeliveryRecord>, uint64_t>> ReadDeliveries();
  absl::StatusOr<certn::HttpReply> Send(const std::string& method, const std::string& path,
                                        const std::string& body,
                                        std::vector<std::pair<std::string, std::string>> headers);

  int pid_;
  uint16_t port_;
  std::unique_ptr<certn::Transport> transport_;
};

}  // namespace stagecheck::fake_certn
