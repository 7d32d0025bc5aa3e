// The Certn plugin's routes (plugin/certn/), one table a file in this folder:
// the integration settings and packages, the webhook delivery log, the
// background checks, and the webhook itself.
#pragma once

#include <span>

#include "adapters/http/api/route_table.h"

namespace stagecheck::http {

std::span<const Route> CertnIntegrationRoutes();  // integration_routes.cc: settings, packages
std::span<const Route> CertnDeliveryRoutes();     // delivery_routes.cc: the delivery log
std::span<const Route> CertnCheckRoutes();        // check_routes.cc: send, read, cancel, report
std::span<const Route> CertnWebhookRoutes();      // webhook_routes.cc: the webhook

}  // namespace stagecheck::http
