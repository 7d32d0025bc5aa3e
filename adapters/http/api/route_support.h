// Small pieces the routes share: idempotency keys, pagination, query
// parameters, ETags, JSON answers. (Authentication and role checks are the
// route tables', route_table.h.)
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "adapters/http/api/api_context.h"
#include "adapters/http/api/json_body.h"
#include "adapters/http/json_writer.h"
#include "adapters/http/problem.h"
#include "core/domain/etag.h"

namespace stagecheck::http {

// Idempotency-Key header with a fingerprint of method, path and body; an
// invalid key is an error.
absl::StatusOr<std::optional<IdempotencyKey>> IdempotencyKeyOf(const Request& request,
                                                               const Crypto& crypto);
absl::StatusOr<PageRequest> PageOf(const Request& request);
// The error of a paginated list. PageOf has checked the limit, so a bare
// InvalidArgument from the store can only be an undecodable `after` cursor:
// it is 400 invalid_cursor like a cursor PageOf refused itself.
absl::Status CursorError(absl::Status status);

// A query parameter's bad value: 400 invalid_filter, naming the parameter
// (problem+json `field`).
absl::Status InvalidQueryParam(std::string_view param, std::string_view why);

// Renders `value` with `write` as a JSON response.
template <typename T, typename W>
Response JsonOf(int status, const T& value, W write) {
  JsonWriter w;
  write(w, value);
  return Response::Json(status, w.Take());
}

// The If-Match header a PATCH brings (the ETag its form read), if any.
std::optional<std::string> IfMatchOf(const Request& request);
// A resource a form edits answers with its ETag (core/domain/etag.h).
inline Response WithEtag(Response response, std::string etag) {
  response.SetHeader("ETag", std::move(etag));
  return response;
}
// `value` rendered with `write`, with its own ETag.
template <typename T, typename W>
Response TaggedJsonOf(int status, const T& value, W write) {
  return WithEtag(JsonOf(status, value, write), EtagOf(value));
}

// What a create answers: `response` with a Location, and
// Idempotent-Replayed when the Idempotency-Key replayed an earlier create.
Response CreatedAt(std::string location, bool replayed, Response response);

// A create's 201: the created row read back with `read` (a use case's Get),
// written with `write`, with its ETag and its Location under `collection`.
template <typename Id, typename Read, typename W>
absl::StatusOr<Response> CreatedRow(std::string_view collection, const Created<Id>& created,
                                    Read read, W write) {
  auto row = read(created.id);
  if (!row.ok()) return row.status();
  return CreatedAt(std::string(collection) + "/" + created.id.value(), created.replayed,
                   TaggedJsonOf(201, *row, write));
}

// {"items": [...]}: a list that has no pages.
template <typename T, typename W>
Response ItemsOf(const std::vector<T>& items, W write) {
  JsonWriter w;
  w.StartObject().Key("items").StartArray();
  for (const T& item : items) write(w, item);
  w.EndArray().EndObject();
  return Response::Json(200, w.Take());
}

// A page of a list, {"items": [...], "next": cursor or null}, each item
// written with `write`; the list's error through CursorError.
template <typename T, typename W>
absl::StatusOr<Response> PageResponse(const absl::StatusOr<Page<T>>& list, W write) {
  if (!list.ok()) return CursorError(list.status());
  JsonWriter w;
  w.StartObject().Key("items").StartArray();
  for (const T& item : list->items) write(w, item);
  w.EndArray().Key("next");
  if (list->next.empty())
    w.Null();
  else
    w.String(list->next);
  w.EndObject();
  return Response::Json(200, w.Take());
}

// A path parameter (always present once the router matched).
inline std::string Param(const Request& r, const char* name) {
  auto it = r.path_params.find(name);
  return it == r.path_params.end() ? std::string() : it->second;
}

}  // namespace stagecheck::http
