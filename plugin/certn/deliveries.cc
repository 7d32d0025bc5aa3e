// The delivery log for admins (list, replay): Checks' methods declared in
// checks.h, kept apart from sending and applying cases.
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/plans.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "plugin/certn/checks.h"

namespace stagecheck::certn_plugin {

absl::StatusOr<Page<WebhookDelivery>> Checks::ListDeliveries(const Principal& who,
                                                             const DeliveryFilter& filter,
                                                             const PageRequest& page) {
  RETURN_IF_ERROR(RequireAdmin(who));
  return InReadTransaction<Page<WebhookDelivery>>(
      deps_.store, [&](UnitOfWork& uow) { return uow.ListTeamDeliveries(who.team, filter, page); });
}

absl::Status Checks::ReplayDelivery(const Principal& who, const std::string& delivery_id) {
  RETURN_IF_ERROR(RequireAdmin(who));
  return ReplayDelivery(who.team, delivery_id);
}

absl::Status Checks::ReplayDelivery(const TeamId& team, const std::string& delivery_id) {
  // A thin event is replayed by fetching its case again: durable work that the
  // worker of any replica picks up, applied through the status machine (so a
  // replay can never move a check backwards).
  absl::Status queued = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    absl::StatusOr<WebhookDelivery> d = uow.GetDelivery(team, delivery_id);
    if (!d.ok()) return d.status();
    absl::StatusOr<BackgroundCheck> check = uow.FindCheckByExternalId(d->object_id);
    if (!check.ok() || check->team != team) {
      return Error(
          absl::StatusCode::kFailedPrecondition, "case_not_known",
          "The delivery's case is not known to this team yet; there is nothing to replay.");
    }
    RETURN_IF_ERROR(EnqueueWork(uow, team, kWorkFetchCase, check->id, deps_.clock.Now()));
    return uow.UpdateDeliveryVerdict(team, d->delivery_id, DeliveryVerdict::kApplied, check->id);
  });
  if (queued.ok()) Notify();
  return queued;
}

}  // namespace stagecheck::certn_plugin
