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
  absl::Status Add(std::string method, std::string_view pattern, Handler handler);

  // Dispatches to the matching handler (on the calling thread) or answers
  // 404 / 405 problems.
  void operator()(Request request, Respond respond) const;

 private:
  struct Route;
  struct Table;
  std::shared_ptr<Table> table_;
};

}  // namespace stagecheck::http
