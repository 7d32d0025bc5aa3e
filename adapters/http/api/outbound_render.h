// Outbound webhook endpoints and their delivery log → JSON (the schemas
// WebhookEndpoint and OutboundDelivery of docs/openapi.yaml). A secret is
// written only by WriteEndpointWithSecret, for the one answer that shows it.
#pragma once

#include "adapters/http/json_writer.h"
#include "core/services/webhook_endpoints.h"

namespace stagecheck::http {

void WriteEndpoint(JsonWriter& w, const WebhookEndpoint& endpoint);
void WriteEndpointWithSecret(JsonWriter& w, const EndpointWithSecret& created);
void WriteOutboundDelivery(JsonWriter& w, const OutboundDelivery& delivery);

}  // namespace stagecheck::http
