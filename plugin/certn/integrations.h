// Connecting a team's Certn account: encrypted credentials, key verification,
// webhook secret rotation, and the (briefly cached) package list.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "core/ports/cipher.h"
#include "core/services/deps.h"
#include "plugin/certn/config.h"
#include "plugin/certn/ports/certn_gateway.h"

namespace stagecheck::certn_plugin {

// The one answer to "this team has no working Certn connection" (422
// certn_not_connected), for every use case that needs one.
absl::Status CertnNotConnected();

struct ConnectRequest {
  std::optional<std::string> api_key;         // required on first connect
  std::optional<CertnRegion> region;          // required on first connect
  std::optional<std::string> webhook_secret;  // required on first connect
  // Certn's per-account rate limit (defaults 60 and 7,220; docs/certn-api.md).
  std::optional<int> requests_per_minute = {};
  std::optional<int> requests_per_day = {};
};

// What an admin sees: never a clear secret.
struct IntegrationView {
  CertnRegion region = CertnRegion::kNorthAmerica;
  ConnectionStatus status = ConnectionStatus::kUnverified;
  std::string status_reason;
  std::string masked_api_key;
  std::string webhook_url;
  std::optional<std::string> certn_team_id;
  std::optional<absl::Time> verified_at;
  std::optional<absl::Time> last_delivery_at;
  std::optional<absl::Time> previous_secret_valid_until;
  int requests_per_minute = kDefaultCertnRequestsPerMinute;
  int requests_per_day = kDefaultCertnRequestsPerDay;
};

class Integrations {
 public:
  Integrations(const Deps& deps, CertnGateway& gateway, Cipher& cipher, PluginConfig config)
      : deps_(deps), gateway_(gateway), cipher_(cipher), config_(std::move(config)) {}

  // Stores the (encrypted) credentials and verifies the key right away; a
  // region change re-verifies with the stored key.
  absl::StatusOr<IntegrationView> Connect(const Principal& who, const ConnectRequest& request);
  absl::StatusOr<IntegrationView> Get(const Principal& who);
  absl::StatusOr<IntegrationView> Verify(const Principal& who);
  // The new secret takes over; the previous one stays valid for the grace period.
  absl::StatusOr<IntegrationView> RotateWebhookSecret(const Principal& who,
                                                      const std::string& new_secret);
  // HR packages of the team's account, cached for config.package_cache_ttl.
  absl::StatusOr<std::vector<CertnPackage>> Packages(const TeamId& team);
  // One of the team's HR packages by id; InvalidArgument unknown_package otherwise.
  absl::StatusOr<CertnPackage> FindPackage(const TeamId& team, const std::string& package_id);
  absl::StatusOr<bool> IsConnected(const TeamId& team);

  // For the plugin's own use (send, webhook, worker).
  absl::StatusOr<CertnCredentials> Credentials(const CertnIntegration& integration);
  // The secrets that may sign a delivery now: current, and previous within
  // grace. Shared with the remembered plaintexts (no copy per delivery).
  struct SecretList {
    std::array<std::shared_ptr<const std::string>, 2> held;
    std::array<std::string_view, 2> views;  // into `held`
    size_t count = 0;
    std::span<const std::string_view> all() const { return {views.data(), count}; }
  };
  absl::StatusOr<SecretList> WebhookSecrets(const CertnIntegration& integration, absl::Time now);
  std::string WebhookUrl() const;
  const PluginConfig& config() const { return config_; }
  // Set once at start-up, before requests are served (the listening port may
  // only be known after binding).
  void set_public_base_url(std::string url) { config_.public_base_url = std::move(url); }

  // Counts this process's writes of integrations (connect, verify, rotate):
  // what the webhook remembered before the last one is stale (addressees.h).
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  IntegrationView ToView(const CertnIntegration& integration) const;
  // Verifies (unless `verified_already` holds Certn's answer) and stores.
  absl::StatusOr<IntegrationView> VerifyAndStore(
      const TeamId& team, CertnIntegration integration,
      std::optional<CertnVerification> verified_already = std::nullopt);
  // Certn's answer when it accepts these credentials; otherwise invalid_key
  // or wrong_region (422) or unreachable (503), and nothing is stored.
  absl::StatusOr<CertnVerification> TryCredentials(const CertnIntegration& candidate);
  void ForgetPackages(const TeamId& team);
  // cipher_.Decrypt, remembered by ciphertext: every webhook delivery needs
  // its team's secret, and AES-GCM per delivery was measurable. Each
  // encryption uses a fresh nonce, so a rotated or reconnected secret is a
  // new ciphertext and never hits a stale entry.
  absl::StatusOr<std::shared_ptr<const std::string>> Decrypt(const std::string& sealed);

  Deps deps_;
  CertnGateway& gateway_;
  Cipher& cipher_;
  PluginConfig config_;

  struct CachedPackages {
    absl::Time fetched_at;
    std::vector<CertnPackage> packages;
  };
  std::mutex cache_mu_;
  std::map<TeamId, CachedPackages> package_cache_;

  static constexpr size_t kMaxOpenedSecrets = 4096;
  std::atomic<uint64_t> generation_{0};
  std::mutex secrets_mu_;
  // ciphertext → plaintext
  std::unordered_map<std::string, std::shared_ptr<const std::string>> opened_;
};

// The integration's one event-feed read item (kWorkReadEvents), due at `run_at`.
WorkItem EventFeedReadItem(const TeamId& team, absl::Time run_at);

absl::Status ValidateApiKey(std::string_view key);
// Certn's answer to a call made for a user's request, in the user's terms:
// Certn refusing the team's stored key is not the caller's 401 but a 422
// (code invalid_key / wrong_region: reconnect Certn); a case Certn no longer
// knows is 422 certn_case_not_found; Certn's field errors are 422
// certn_rejected. Transient faults (503, 504, 429) keep their meaning.
absl::Status FromCertn(const absl::Status& status);
absl::Status ValidateWebhookSecret(std::string_view secret);

}  // namespace stagecheck::certn_plugin
