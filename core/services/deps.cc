#include "core/services/deps.h"

#include "core/errors.h"

namespace stagecheck {

absl::StatusOr<std::optional<std::string>> LookupIdempotency(
    UnitOfWork& uow, const TeamId& team, const std::optional<IdempotencyKey>& key) {
  if (!key.has_value()) return std::optional<std::string>();
  auto record = uow.GetIdempotency(team, key->key);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return std::optional<std::string>();
  if ((*record)->request_fingerprint != key->fingerprint) {
    return Error(absl::StatusCode::kFailedPrecondition, "idempotency_key_reused",
                 "this Idempotency-Key was used with a different request");
  }
  return std::optional<std::string>((*record)->response_body);
}

absl::Status RememberIdempotency(UnitOfWork& uow, const TeamId& team,
                                 const std::optional<IdempotencyKey>& key, int status_code,
                                 const std::string& resource_id, absl::Time now) {
  if (!key.has_value()) return absl::OkStatus();
  return uow.PutIdempotency(
      IdempotencyRecord{team, key->key, key->fingerprint, status_code, resource_id, now});
}

absl::Status TransactIdempotent(Store& store, const std::optional<IdempotencyKey>& key,
                                const std::function<absl::Status(UnitOfWork&)>& work) {
  absl::Status status = store.Transact(work);
  if (key.has_value() && status.code() == absl::StatusCode::kAlreadyExists) {
    // Either the key was stored by a concurrent twin (the retry replays it) or
    // the work itself hit a uniqueness rule (the retry returns the same error).
    status = store.Transact(work);
  }
  return status;
}

}  // namespace stagecheck
