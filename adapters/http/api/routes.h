// The REST API (/api/v1), the Certn webhook and the operational endpoints,
// mapped onto the core and Certn-plugin use cases.
#pragma once

#include <functional>
#include <string>

#include "adapters/http/router.h"
#include "core/services/accounts.h"
#include "core/services/applications.h"
#include "core/services/bulk_sends.h"
#include "core/services/check_lifecycle.h"
#include "core/services/plans.h"
#include "plugin/certn/checks.h"
#include "plugin/certn/integrations.h"
#include "plugin/certn/webhook.h"

namespace stagecheck::http {

struct ApiContext {
  Accounts& accounts;
  Plans& plans;
  Applications& applications;
  certn_plugin::Integrations& integrations;
  certn_plugin::Checks& checks;
  certn_plugin::WebhookReceiver& webhook;
  BulkSends& bulk_sends;
  CheckLifecycle& lifecycle;
  Store& store;
  const Crypto& crypto;
  Logger& log;
  Metrics& metrics;
  std::function<std::string()> render_metrics;  // Prometheus text
  std::function<bool()> ready;                  // false while starting or stopping
};

absl::Status AddApiRoutes(Router& router, ApiContext& ctx);
absl::Status AddWebhookRoutes(Router& router, ApiContext& ctx);
absl::Status AddOpsRoutes(Router& router, ApiContext& ctx);
// Bulk send, expected completion and the turnaround report (lifecycle_routes.cc).
absl::Status AddLifecycleRoutes(Router& router, ApiContext& ctx);

// Problem response for a use-case error, including the codes that have no
// absl equivalent (unsupported_media_type → 415).
Response ErrorResponse(const absl::Status& status);

}  // namespace stagecheck::http
