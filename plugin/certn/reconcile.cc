// Reconciliation (docs/architecture.md): the event feed read per
// integration, and the quiet-check fallback where Certn has no feed.
#include "plugin/certn/checks.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "plugin/certn/domain/status_labels.h"
#include "plugin/certn/ports/certn_store.h"
#include "plugin/certn/send_plan.h"

namespace stagecheck::certn_plugin {

absl::StatusOr<int> Checks::Reconcile() {
  constexpr int kIntegrationsPerRead = 100;
  int looked_at = 0;
  std::optional<TeamId> after;
  const absl::Time now = deps_.clock.Now();
  for (;;) {
    absl::StatusOr<std::vector<CertnIntegration>> batch =
        InReadTransaction<std::vector<CertnIntegration>>(deps_.store, [&](UnitOfWork& uow) {
          return CertnRows(uow).ListConnectedIntegrations(after, kIntegrationsPerRead);
        });
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    // Connecting adds the read item; this is the safety net (AlreadyExists:
    // the team's reads run already, whenever they are due next).
    absl::Status queued = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
      for (const CertnIntegration& integration : *batch) {
        absl::Status s = uow.EnqueueWork(EventFeedReadItem(integration.team, now));
        if (!s.ok() && s.code() != absl::StatusCode::kAlreadyExists) return s;
      }
      return absl::OkStatus();
    });
    if (!queued.ok()) return queued;
    looked_at += static_cast<int>(batch->size());
    if (static_cast<int>(batch->size()) < kIntegrationsPerRead) break;
    after = batch->back().team;
  }
  return looked_at;
}

absl::Status Checks::RunReadEvents(const WorkItem& item) {
  absl::Duration wait = integrations_.config().reconcile_interval;
  absl::StatusOr<CertnIntegration> integration = InReadTransaction<CertnIntegration>(
      deps_.store, [&](UnitOfWork& uow) { return CertnRows(uow).GetIntegration(item.team); });
  // Not connected (now): nothing to read this interval, but the item stays,
  // so reads resume by themselves once the key is fixed.
  absl::StatusOr<int> fetches = 0;
  if (!integration.ok()) {
    if (integration.status().code() != absl::StatusCode::kNotFound) fetches = integration.status();
  } else if (integration->status == ConnectionStatus::kConnected) {
    fetches = ReconcileIntegration(*integration);
  }
  if (fetches.ok() && *fetches > 0) Notify();
  if (!fetches.ok()) {
    // Rate limited, Certn unreachable, the store busy: never the item's end
    // (one item per team, or there would be none); the next read, an
    // interval (or the asked Retry-After) later, starts from the same cursor.
    deps_.log.Log(LogLevel::kWarning, "certn.reconcile_failed",
                  {{"team", item.team.value()},
                   {"code", ErrorCode(fetches.status())},
                   {"error", ToStd(fetches.status().message())}});
    wait = std::max(wait, RetryAfterOf(fetches.status()).value_or(absl::ZeroDuration()));
  }
  // The worker defers this same item (no new row, no attempt used) to the next read.
  return WithRetryAfter(Error(absl::StatusCode::kUnavailable, "next_read_scheduled",
                              "the event feed is read again at the next interval"),
                        wait);
}

namespace {

// Only the events made by `young_after` are taken (and the cursor moves past
// them): a younger one's webhook may still be on its way.
void DropYoungEvents(std::vector<CertnEvent>& events, absl::Time young_after) {
  auto young = std::find_if(events.begin(), events.end(),
                            [&](const CertnEvent& e) { return e.CreatedAfter(young_after); });
  events.erase(young, events.end());
}

}  // namespace

absl::StatusOr<int> Checks::ReconcileIntegration(const CertnIntegration& integration) {
  ASSIGN_OR_RETURN(CertnCredentials creds, integrations_.Credentials(integration));
  const PluginConfig& config = integrations_.config();
  const absl::Time now = deps_.clock.Now();
  // The gateway stops paging at such an event; the read drops it and the rest.
  const absl::Time young_after = now - config.events_grace;
  absl::StatusOr<CertnEventsRead> read =
      gateway_.ListEvents(creds, integration.events_cursor, config.events_max_pages, young_after);
  if (!read.ok()) {
    const absl::StatusCode code = read.status().code();
    // Rate limited or unreachable: worth trying again next interval.
    if (code != absl::StatusCode::kUnimplemented && code != absl::StatusCode::kDataLoss)
      return read.status();
    NoteFeed(integration.team, read.status());
    return EnqueueQuietChecks(integration.team);
  }
  NoteFeed(integration.team, absl::OkStatus());
  DropYoungEvents(read->events, young_after);
  const std::string cursor =
      read->events.empty() ? integration.events_cursor.value_or("") : read->events.back().id;
  EventFetches fetches;
  absl::Status stored = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    ASSIGN_OR_RETURN(fetches, QueueFetchesForEvents(uow, integration, read->events, now));
    if (integration.events_cursor == cursor) return absl::OkStatus();
    return CertnRows(uow).AdvanceEventsCursor(integration.team, integration.events_cursor, cursor);
  });
  // Another replica read the same events and advanced the cursor first: its
  // fetches are queued, this read's were rolled back.
  if (stored.code() == absl::StatusCode::kAborted) return 0;
  if (!stored.ok()) return stored;
  if (!integration.events_cursor.has_value()) {
    deps_.log.Log(LogLevel::kInfo, "certn.events_feed.started",
                  {{"team", integration.team.value()},
                   {"old_events_skipped", absl::StrCat(fetches.skipped)}});
  }
  // The quiet checks are fetched once instead of the skipped history, as the
  // first read (no cursor yet) always does.
  if (integration.events_cursor.has_value() && fetches.skipped == 0) return fetches.queued;
  ASSIGN_OR_RETURN(int quiet, EnqueueQuietChecks(integration.team));
  return fetches.queued + quiet;
}

// History older than reconcile_after (the account's past on a first read,
// or a backlog after a long outage) is not replayed event by event: a check
// it names has been fetched since, or has been quiet that long, and the
// quiet checks are fetched once instead (ReconcileIntegration). So a first
// read starts from the recent end of the feed.
absl::StatusOr<Checks::EventFetches> Checks::QueueFetchesForEvents(
    UnitOfWork& uow, const CertnIntegration& integration, const std::vector<CertnEvent>& events,
    absl::Time now) {
  const absl::Time horizon = now - integrations_.config().reconcile_after;
  EventFetches fetches;
  std::set<std::string> seen;
  for (const CertnEvent& event : events) {
    if (event.created && *event.created < horizon) {
      ++fetches.skipped;
      continue;
    }
    if (!event.case_id) continue;
    // Delivered as a webhook (a delivery's id is its event's id [guess]):
    // that delivery already asked for its fetch.
    absl::StatusOr<WebhookDelivery> delivered = uow.GetDelivery(integration.team, event.id);
    if (delivered.ok()) continue;
    if (delivered.status().code() != absl::StatusCode::kNotFound) return delivered.status();
    if (!seen.insert(*event.case_id).second) continue;
    absl::StatusOr<BackgroundCheck> check = uow.FindCheckByExternalId(*event.case_id);
    if (check.status().code() == absl::StatusCode::kNotFound) continue;  // not a case we ordered
    if (!check.ok()) return check.status();
    if (check->team != integration.team) continue;
    // Open, or complete with its report still to fetch.
    const bool wanted = IsActive(check->status) ||
                        (check->status == CheckStatus::kComplete && !check->report_saved_as);
    if (!wanted) continue;
    // The webhook's own deduplicated fetch: a burst of events and
    // deliveries for one case is one fetch.
    RETURN_IF_ERROR(EnqueueWork(uow, check->team, kWorkFetchCase, check->id, now));
    ++fetches.queued;
  }
  return fetches;
}

absl::StatusOr<int> Checks::EnqueueQuietChecks(const TeamId& team) {
  const absl::Time now = deps_.clock.Now();
  const PluginConfig& config = integrations_.config();
  return InTransaction<int>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<int> {
    auto quiet =
        uow.ListQuietChecksOfTeam(team, now - config.reconcile_after, config.reconcile_batch);
    if (!quiet.ok()) return quiet.status();
    for (const BackgroundCheck& check : *quiet) {
      if (auto s = EnqueueWork(uow, check.team, kWorkFetchCase, check.id, now); !s.ok()) return s;
    }
    return static_cast<int>(quiet->size());
  });
}

void Checks::NoteFeed(const TeamId& team, const absl::Status& feed) {
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(feed_mu_);
    changed = feed.ok() ? feed_unavailable_.erase(team) > 0 : feed_unavailable_.insert(team).second;
  }
  if (!feed.ok()) deps_.metrics.Increment("stagecheck_certn_events_fallback_total", "");
  if (!changed) return;
  if (feed.ok()) {
    deps_.log.Log(LogLevel::kInfo, "certn.events_feed.available", {{"team", team.value()}});
  } else {
    deps_.log.Log(LogLevel::kWarning, "certn.events_feed.unavailable",
                  {{"team", team.value()},
                   {"code", ErrorCode(feed)},
                   {"error", ToStd(feed.message())},
                   {"fallback", "quiet case fetches"}});
  }
}

}  // namespace stagecheck::certn_plugin
