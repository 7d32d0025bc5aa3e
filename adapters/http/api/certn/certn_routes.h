// The Certn plugin's routes (plugin/certn/), one table a file in this folder:
// the integration settings and packages, the webhook delivery log, the
// background checks, and the webhook itself.
#pragma once

#include <span>

#include "adapters/http/api/route_table.h"

namespace stagecheck::http {

std::span<const Route> CertnIntegrationRoutes();
std::span<const Route> CertnDeliveryRoutes();
std::span<const Route> CertnCheckRoutes();
std::span<const Route> CertnWebhookRoutes();

}  // namespace stagecheck::http
