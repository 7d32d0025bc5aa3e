#include "adapters/http/api/all_routes.h"

#include "adapters/http/api/certn/certn_routes.h"
#include "adapters/http/api/routes.h"

namespace stagecheck::http {

std::vector<std::span<const Route>> AllRouteTables() {
  return {TeamRoutes(),
          JobRoutes(),
          PlanRoutes(),
          CandidateRoutes(),
          ApplicationRoutes(),
          OpsRoutes(),
          CertnIntegrationRoutes(),
          CertnDeliveryRoutes(),
          CertnCheckRoutes(),
          CertnWebhookRoutes(),
          LifecycleRoutes(),
          OutboundRoutes(),
          UserRoutes(),
          RetentionRoutes(),
          NotificationRoutes()};
}

}  // namespace stagecheck::http
