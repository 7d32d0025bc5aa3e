// A team's outbound webhook endpoints, as its admins manage them (issue 20,
// docs/outbound-webhooks.md): register (the "whsec_" secret is answered once
// and kept encrypted), edit, disable and enable, delete, rotate the secret
// (the old one keeps signing for kSecretRotationGrace), read the delivery log
// and replay a delivery.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/domain/endpoint_url.h"
#include "core/domain/webhook_endpoint.h"
#include "core/ports/cipher.h"
#include "core/services/deps.h"

namespace stagecheck {

// The most endpoints one team may register.
inline constexpr size_t kMaxEndpointsPerTeam = 20;

struct NewEndpoint {
  std::string url;
  std::vector<std::string> event_types;
  std::string description;
};

struct EndpointChanges {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> event_types;
  std::optional<std::string> description;
  std::optional<bool> enabled;  // enabling clears the reason and the failure streak
};

// An endpoint with its plain secret, answered once (create, rotate).
struct EndpointWithSecret {
  WebhookEndpoint endpoint;
  std::string secret;
};

class WebhookEndpoints {
 public:
  WebhookEndpoints(const Deps& deps, Cipher& cipher, EndpointPolicy policy)
      : deps_(deps), cipher_(cipher), policy_(policy) {}

  void set_work_notifier(std::function<void()> notify) { notify_ = std::move(notify); }

  // Errors: invalid_endpoint_url or endpoint_address_refused (400, field
  // "url"), unknown_event_type / no_event_types (400, field "event_types"),
  // too_many_endpoints (409).
  absl::StatusOr<EndpointWithSecret> Create(const Principal& who, const NewEndpoint& request);
  absl::StatusOr<std::vector<WebhookEndpoint>> List(const Principal& who);
  absl::StatusOr<WebhookEndpoint> Get(const Principal& who, const WebhookEndpointId& id);
  absl::StatusOr<WebhookEndpoint> Update(const Principal& who, const WebhookEndpointId& id,
                                         const EndpointChanges& changes);
  absl::Status Delete(const Principal& who, const WebhookEndpointId& id);
  absl::StatusOr<EndpointWithSecret> RotateSecret(const Principal& who,
                                                  const WebhookEndpointId& id);

  absl::StatusOr<Page<OutboundDelivery>> ListDeliveries(const Principal& who,
                                                        const WebhookEndpointId& id,
                                                        const PageRequest& page);
  // Sends the delivery again now, one attempt more (its webhook-id is the
  // same, so a receiver that has it drops it). endpoint_disabled (409) while
  // its endpoint is disabled.
  absl::StatusOr<OutboundDelivery> Replay(const Principal& who, const WebhookEndpointId& endpoint,
                                          const OutboundDeliveryId& delivery);

 private:
  absl::Status CheckUrl(const std::string& url) const;
  absl::StatusOr<std::string> NewSecret(std::string& sealed);

  Deps deps_;
  Cipher& cipher_;
  EndpointPolicy policy_;
  std::function<void()> notify_ = [] {};
};

}  // namespace stagecheck
