// What every application service needs from the outside, as ports.
#pragma once

#include <optional>
#include <string>

#include "core/activity_kind.h"
#include "core/ports/clock.h"
#include "core/ports/crypto.h"
#include "core/ports/id_generator.h"
#include "core/ports/store.h"
#include "core/ports/telemetry.h"

namespace stagecheck {

struct Deps {
  Store& store;
  const Clock& clock;
  IdGenerator& ids;
  const Crypto& crypto;
  Logger& log;
  Metrics& metrics;
  const ActivityKindRegistry& kinds;
};

// An Idempotency-Key with a fingerprint of the request it came with.
struct IdempotencyKey {
  std::string key;
  std::string fingerprint;
};

// What a create operation returns: the id of the created (or, for a replayed
// Idempotency-Key, the earlier) resource.
template <typename IdT>
struct Created {
  IdT id;
  bool replayed = false;
};

// Inside a transaction: a remembered key with the same fingerprint returns the
// earlier resource id; with another fingerprint it is an error.
absl::StatusOr<std::optional<std::string>> LookupIdempotency(
    UnitOfWork& uow, const TeamId& team, const std::optional<IdempotencyKey>& key);
absl::Status RememberIdempotency(UnitOfWork& uow, const TeamId& team,
                                 const std::optional<IdempotencyKey>& key, int status_code,
                                 const std::string& resource_id, absl::Time now);

namespace internal {
// Runs `read` through `run` (a Store's Transact or Read) and returns what it returned.
template <typename T, typename Run, typename F>
absl::StatusOr<T> Collect(Run&& run, F&& read) {
  absl::StatusOr<T> out = absl::UnknownError("transaction did not run");
  absl::Status status = run([&](UnitOfWork& uow) -> absl::Status {
    out = read(uow);
    return out.status();
  });
  if (!status.ok()) return status;
  return out;
}
}  // namespace internal

// Runs `read` in a transaction and returns what it returned.
template <typename T, typename F>
absl::StatusOr<T> InTransaction(Store& store, F&& read) {
  return internal::Collect<T>([&](const auto& work) { return store.Transact(work); }, read);
}

// Runs `read` in a read-only transaction (Store::Read) and returns what it
// returned: for requests that only look, so they never queue behind writers.
template <typename T, typename F>
absl::StatusOr<T> InReadTransaction(Store& store, F&& read) {
  return internal::Collect<T>([&](const auto& work) { return store.Read(work); }, read);
}

// Runs `work`, retrying once when a concurrent request stored the same
// Idempotency-Key first (its transaction then rolled back ours).
absl::Status TransactIdempotent(Store& store, const std::optional<IdempotencyKey>& key,
                                const std::function<absl::Status(UnitOfWork&)>& work);

}  // namespace stagecheck
