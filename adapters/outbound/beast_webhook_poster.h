// The WebhookPoster on Boost.Beast: resolve, check each address against the
// endpoint policy, connect to an allowed one, TLS with SNI and certificate
// verification against the system's trust store, one POST, read the status
// and at most max_reply_bytes of the body. Beast and Asio stay in the .cc.
#pragma once

#include <memory>

#include "core/domain/endpoint_url.h"
#include "core/ports/webhook_poster.h"

namespace stagecheck::outbound {

std::unique_ptr<WebhookPoster> MakeBeastWebhookPoster(EndpointPolicy policy);

}  // namespace stagecheck::outbound
