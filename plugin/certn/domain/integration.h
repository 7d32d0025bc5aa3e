#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck {

enum class CertnRegion { kNorthAmerica, kUkEmea, kApac, kSandbox };
std::string_view RegionName(CertnRegion region);
std::optional<CertnRegion> ParseRegion(std::string_view name);

// Result of calling Certn with the team's key.
enum class ConnectionStatus { kUnverified, kConnected, kInvalidKey, kUnreachable, kWrongRegion };
std::string_view ConnectionStatusName(ConnectionStatus status);
std::optional<ConnectionStatus> ParseConnectionStatus(std::string_view name);

// Certn's per-account rate limit (docs/certn-api.md): the defaults of a
// team's integration, which an admin may change.
inline constexpr int kDefaultCertnRequestsPerMinute = 60;
inline constexpr int kDefaultCertnRequestsPerDay = 7220;

// A team's Certn connection. Secrets are held encrypted (Cipher port); the
// clear values exist only in memory while a call needs them.
struct CertnIntegration {
  TeamId team;
  CertnRegion region = CertnRegion::kNorthAmerica;
  std::string api_key_encrypted;
  std::string api_key_last4;  // for the masked display "••••abcd"
  std::string webhook_secret_encrypted;
  std::optional<std::string> previous_webhook_secret_encrypted;
  std::optional<absl::Time> previous_secret_valid_until;
  ConnectionStatus status = ConnectionStatus::kUnverified;
  std::string status_reason;
  std::optional<std::string> certn_team_id;  // learned when the key is verified
  std::optional<absl::Time> verified_at;
  std::optional<absl::Time> last_delivery_at;
  absl::Time updated_at;
  int requests_per_minute = kDefaultCertnRequestsPerMinute;
  int requests_per_day = kDefaultCertnRequestsPerDay;
  // The last event of Certn's event feed that reconciliation processed
  // (plugin/certn, docs/architecture.md "Reconciliation"): absent until the
  // feed was first read, "" when it was read and had no events yet. It
  // belongs to the account: new credentials start without one.
  std::optional<std::string> events_cursor;
};

// "••••abcd": never more than the last four characters.
std::string MaskSecret(std::string_view last4);

}  // namespace stagecheck
