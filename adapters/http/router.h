// Maps (method, path pattern) to a Handler. Patterns are literal segments and
// `{name}` parameters: "/api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}".
// Matched parameters are percent-decoded into Request::path_params. An unknown
// path answers a 404 problem; a known path with another method answers 405
// with an Allow header. A Router is itself a Handler:
//
//   Router router;
//   router.Add("GET", "/healthz", [](Request, Respond r) { r(Response::Text(200, "ok")); });
//   Server server(options, router);  // copies share the route table
//
// Add every route before serving: the table is not locked.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "adapters/http/http.h"

namespace stagecheck::http {

class Router {
 public:
  Router();

  // InvalidArgument on a malformed pattern (not starting with '/', empty or
  // unbalanced `{}`), AlreadyExists when the same method + pattern is taken.
  // `on_io_thread`, when given, is offered the route's requests first on the
  // io thread (IoHandler, http.h); what it declines goes to `handler`.
  absl::Status Add(std::string method, std::string_view pattern, Handler handler,
                   IoHandler on_io_thread = nullptr);

  // Dispatches to the matching handler (on the calling thread) or answers
  // 404 / 405 problems.
  void operator()(Request request, Respond respond) const;

  // For Server's io thread: the matching route's IoHandler, with the path
  // parameters filled in. False, with nothing answered, for a route without
  // one and for anything the router itself would answer (404, 405, 400).
  bool TryOnIoThread(Request& request, Respond& respond) const;
  // TryOnIoThread as an IoHandler sharing this route table; empty when no
  // route has an IoHandler.
  IoHandler IoThreadHandler() const;

 private:
  struct Route;
  struct Table;
  // The best route for the path's segments `parts` and the method, else
  // nullptr and the methods the path does have in `allowed`.
  const Route* Match(const std::vector<std::string_view>& parts, std::string_view method,
                     std::vector<std::string>& allowed) const;
  // Fills request.path_params for `route` from `parts`; false on malformed
  // percent-encoding.
  static bool FillPathParams(const Route& route, const std::vector<std::string_view>& parts,
                             Request& request);
  std::shared_ptr<Table> table_;
};

}  // namespace stagecheck::http
