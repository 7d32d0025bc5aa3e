#include "adapters/http/router.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/http/problem.h"
#include "adapters/http/url.h"

namespace stagecheck::http {

struct Router::Route {
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  std::string method;
  std::string pattern;
  std::vector<Segment> segments;
  Handler handler;
  IoHandler on_io_thread;  // may be empty
};

struct Router::Table {
  std::vector<Route> routes;
};

namespace {

// Splits "/a/b/c" into {"a","b","c"}; "/" is no segments.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return parts;
  while (true) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// The raw (still percent-encoded) path: decoding before splitting would turn
// an encoded "%2F" inside an id into a segment boundary.
std::string_view RawPath(const Request& request) {
  if (request.target.empty()) return request.path;
  std::string_view target(request.target);
  return target.substr(0, target.find('?'));
}

}  // namespace

Router::Router() : table_(std::make_shared<Table>()) {}

absl::Status Router::Add(std::string method, std::string_view pattern_view, Handler handler,
                         IoHandler on_io_thread) {
  const std::string pattern(pattern_view);
  if (pattern.empty() || pattern.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("route pattern must start with '/': ", pattern));
  }
  Route route;
  route.method = std::move(method);
  route.pattern = pattern;
  route.handler = std::move(handler);
  route.on_io_thread = std::move(on_io_thread);
  for (std::string_view part : SplitPath(pattern)) {
    Route::Segment segment;
    if (!part.empty() && part.front() == '{') {
      if (part.size() < 3 || part.back() != '}') {
        return absl::InvalidArgumentError(absl::StrCat("malformed parameter in ", pattern));
      }
      segment.text = std::string(part.substr(1, part.size() - 2));
      segment.is_param = true;
    } else {
      if (part.find_first_of("{}") != std::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat("malformed segment in ", pattern));
      }
      segment.text = std::string(part);
    }
    route.segments.push_back(std::move(segment));
  }
  for (const Route& existing : table_->routes) {
    if (existing.method == route.method && existing.pattern == route.pattern) {
      return absl::AlreadyExistsError(absl::StrCat("duplicate route ", route.method, " ", pattern));
    }
  }
  table_->routes.push_back(std::move(route));
  return absl::OkStatus();
}

const Router::Route* Router::Match(const std::vector<std::string_view>& parts,
                                   std::string_view method,
                                   std::vector<std::string>& allowed) const {
  const Route* best = nullptr;
  size_t best_literals = 0;
  for (const Route& route : table_->routes) {
    if (route.segments.size() != parts.size()) continue;
    bool matches = true;
    size_t literals = 0;
    for (size_t i = 0; i < parts.size() && matches; ++i) {
      const Route::Segment& segment = route.segments[i];
      if (segment.is_param) {
        matches = !parts[i].empty();
      } else {
        matches = segment.text == parts[i];
        ++literals;
      }
    }
    if (!matches) continue;
    if (route.method != method) {
      if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
        allowed.push_back(route.method);
      }
      continue;
    }
    // "/jobs/new" beats "/jobs/{id}" whatever the registration order.
    if (best == nullptr || literals > best_literals) {
      best = &route;
      best_literals = literals;
    }
  }
  return best;
}

bool Router::FillPathParams(const Route& route, const std::vector<std::string_view>& parts,
                            Request& request) {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!route.segments[i].is_param) continue;
    std::optional<std::string> value = PercentDecode(parts[i]);
    if (!value.has_value()) return false;
    request.path_params[route.segments[i].text] = std::move(*value);
  }
  return true;
}

void Router::operator()(Request request, Respond respond) const {
  // Views into request.target (or .path), which path_params never touch.
  const std::vector<std::string_view> parts = SplitPath(RawPath(request));
  std::vector<std::string> allowed;
  const Route* best = Match(parts, request.method, allowed);
  if (best == nullptr) {
    if (allowed.empty()) {
      respond(ProblemResponse(404, "route_not_found", "No resource at this path."));
      return;
    }
    Response response =
        ProblemResponse(405, "method_not_allowed", "Method not allowed for this path.");
    response.SetHeader("Allow", absl::StrJoin(allowed, ", "));
    respond(std::move(response));
    return;
  }
  if (!FillPathParams(*best, parts, request)) {
    respond(ProblemResponse(400, "invalid_path", "Malformed percent-encoding in the path."));
    return;
  }
  best->handler(std::move(request), std::move(respond));
}

bool Router::TryOnIoThread(Request& request, Respond& respond) const {
  const std::vector<std::string_view> parts = SplitPath(RawPath(request));
  std::vector<std::string> allowed;
  const Route* best = Match(parts, request.method, allowed);
  if (best == nullptr || !best->on_io_thread) return false;
  // Filled in place: the worker's dispatch of a declined request fills the
  // same values again.
  if (!FillPathParams(*best, parts, request)) return false;
  return best->on_io_thread(request, respond);
}

IoHandler Router::IoThreadHandler() const {
  const bool any = std::any_of(table_->routes.begin(), table_->routes.end(),
                               [](const Route& route) { return bool(route.on_io_thread); });
  if (!any) return nullptr;
  Router self = *this;  // shares the table
  return
      [self](Request& request, Respond& respond) { return self.TryOnIoThread(request, respond); };
}

}  // namespace stagecheck::http
