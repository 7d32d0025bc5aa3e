// What the routes reach: the core and Certn-plugin use cases, and the
// process's store, crypto, log and metrics.
#pragma once

#include <functional>
#include <string>

#include "core/services/accounts.h"
#include "core/services/applications.h"
#include "core/services/bulk_sends.h"
#include "core/services/check_lifecycle.h"
#include "core/services/notifications.h"
#include "core/services/plans.h"
#include "core/services/retention.h"
#include "core/services/webhook_endpoints.h"
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
  WebhookEndpoints& endpoints;
  Retention& retention;
  Notifications& notifications;
  Store& store;
  const Crypto& crypto;
  Logger& log;
  Metrics& metrics;
  std::function<std::string()> render_metrics;  // Prometheus text
  std::function<bool()> ready;                  // false while starting or stopping
};

}  // namespace stagecheck::http
