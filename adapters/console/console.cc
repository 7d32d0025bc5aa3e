#include "adapters/console/console.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "adapters/console/assets.h"
#include "adapters/http/problem.h"

namespace stagecheck::console {
namespace {

using stagecheck::http::Request;
using stagecheck::http::Respond;
using stagecheck::http::Response;

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'; object-src 'none'";

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

// FNV-1a: a stable validator for bytes that only change with the binary.
std::string ETagOf(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHex[(h >> shift) & 0xf]);
  out.push_back('"');
  return out;
}

struct Served {
  std::string_view bytes;
  std::string content_type;
  std::string etag;
};

void SetCommonHeaders(Response& r) {
  r.SetHeader("X-Content-Type-Options", "nosniff");
  r.SetHeader("Content-Security-Policy", kContentSecurityPolicy);
  r.SetHeader("Referrer-Policy", "no-referrer");
  r.SetHeader("X-Frame-Options", "DENY");
}

Response Serve(const Request& request, const Served& asset) {
  Response r;
  // Revalidate every time: the names carry no content hash, and a new binary
  // must never run against an old cached script.
  r.SetHeader("Cache-Control", "no-cache");
  r.SetHeader("ETag", asset.etag);
  SetCommonHeaders(r);
  std::optional<std::string_view> match = request.Header("if-none-match");
  if (match && *match == asset.etag) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.SetHeader("Content-Type", asset.content_type);
  r.body = std::string(asset.bytes);
  return r;
}

}  // namespace

absl::Status AddConsoleRoutes(stagecheck::http::Router& router) {
  auto table = std::make_shared<std::map<std::string, Served, std::less<>>>();
  for (const EmbeddedAsset& a : EmbeddedAssets()) {
    table->emplace(std::string(a.name),
                   Served{a.bytes, std::string(ContentTypeOf(a.name)), ETagOf(a.bytes)});
  }
  auto index = table->find("index.html");
  if (index == table->end())
    return absl::InternalError("the console's index.html was not embedded");
  const Served root = index->second;
  absl::Status s = router.Add(
      "GET", "/", [root](Request request, Respond respond) { respond(Serve(request, root)); });
  if (!s.ok()) return s;
  // A check's results page (its results_url): the console opens it after a
  // sign-in, so the link works from an email or another tab.
  s = router.Add("GET", "/checks/{check_id}",
                 [root](Request request, Respond respond) { respond(Serve(request, root)); });
  if (!s.ok()) return s;
  return router.Add("GET", "/console/{asset}", [table](Request request, Respond respond) {
    // Only names from the embedded table are served: nothing reads the disk.
    auto it = table->find(request.path_params["asset"]);
    if (it == table->end()) {
      Response r =
          stagecheck::http::ProblemResponse(404, "not_found", "There is no such console file.");
      SetCommonHeaders(r);
      r.SetHeader("Cache-Control", "no-store");
      respond(std::move(r));
      return;
    }
    respond(Serve(request, it->second));
  });
}

}  // namespace stagecheck::console
