// The one global webhook, /certn/certnWebhookHandler: find the team, verify
// the signature with that team's secret(s), record the delivery and the
// follow-up work in one (group-committed) transaction, answer after commit.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/services/group_commit.h"
#include "plugin/certn/checks.h"
#include "plugin/certn/signature.h"

namespace stagecheck::certn_plugin {

struct WebhookRequest {
  std::string body;
  std::optional<std::string> certn_team_id;    // Certn-Team-ID
  std::optional<std::string> certn_signature;  // Certn-Signature
  std::optional<std::string> x_signature;      // X-Signature
};
// The headers of `request` that are stored with the delivery.
std::string StoredHeaders(const WebhookRequest& request);

struct WebhookAnswer {
  int http_status = 200;
  std::string code;    // stable problem code, or the verdict on success
  std::string detail;  // safe to show and log: never a secret or a signature
};

// The thin event of the cases API.
struct WebhookEvent {
  std::string id;
  std::string event_type;
  std::string object_id;
  std::string object_type;
};
absl::StatusOr<WebhookEvent> ParseWebhookEvent(std::string_view body);
bool IsKnownEvent(const WebhookEvent& event);

class WebhookReceiver {
 public:
  WebhookReceiver(Checks& checks, GroupCommitter& committer)
      : checks_(checks), committer_(committer) {}

  // `done` is called exactly once, possibly on another thread.
  void Receive(WebhookRequest request, std::function<void(WebhookAnswer)> done);

 private:
  struct Verified {
    TeamId team;
    CertnIntegration integration;
    std::optional<BackgroundCheck> check;  // the check of the event's case, when known
  };
  void Commit(WebhookDelivery delivery, std::optional<BackgroundCheck> check,
              bool touch_integration, std::function<void(WebhookAnswer)> done);
  void Count(std::string_view verdict);
  // Whether this delivery should refresh the team's last_delivery_at: the
  // stored time is over a minute old and no delivery of this process has
  // claimed the refresh within the minute. Without the second rule every
  // delivery of a burst read the old time before the first commit landed,
  // and each rewrote the integration row.
  bool ClaimTouch(const TeamId& team, const std::optional<absl::Time>& stored, absl::Time now);

  Checks& checks_;
  GroupCommitter& committer_;
  std::mutex touch_mu_;
  std::map<TeamId, absl::Time> touched_;  // team → when this process last claimed a refresh
};

}  // namespace stagecheck::certn_plugin
