// The web console (admin and recruiter flows), served by the stagecheck process
// itself: GET / answers index.html, GET /console/<asset> the other files. The
// assets are embedded into the binary (adapters/console/assets/), so a
// deployment ships one file. The console talks to the public /api/v1 only.
#pragma once

#include "absl/status/status.h"
#include "adapters/http/router.h"

namespace stagecheck::console {

// Adds GET / and GET /console/{asset}. Every answer carries Content-Type,
// Cache-Control, ETag, X-Content-Type-Options: nosniff, a strict
// Content-Security-Policy (no inline script or style) and Referrer-Policy.
absl::Status AddConsoleRoutes(stagecheck::http::Router& router);

}  // namespace stagecheck::console
