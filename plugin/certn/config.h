// Settings of the Certn plugin. Every timing and limit lives here so that an
// operator (and a test) can change it in one place.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace stagecheck::certn_plugin {

inline constexpr std::string_view kKindName = "certn_background_check";
inline constexpr std::string_view kWebhookPath = "/certn/certnWebhookHandler";
// One integration's event-feed read: a single durable work item per team
// (its id is kReadEventsWorkId), deferred after each read to the next
// interval, so however many replicas run workers the feed is read once an
// interval (docs/architecture.md "Reconciliation").
inline constexpr std::string_view kWorkReadEvents = "certn.read_events";
inline constexpr std::string_view kReadEventsWorkId = "certn.read_events";

struct PluginConfig {
  // Base URL under which this deployment is reachable; the webhook URL shown
  // to admins is this + kWebhookPath.
  std::string public_base_url = "http://localhost:8080";
  absl::Duration secret_rotation_grace = absl::Hours(24);
  absl::Duration package_cache_ttl = absl::Seconds(60);
  absl::Duration signature_tolerance = absl::Minutes(5);
  int64_t max_webhook_body_bytes = 256 * 1024;
  int64_t max_report_bytes = 20 * 1024 * 1024;
  // A webhook's case fetch runs this much after the delivery, so that the
  // burst Certn sends for one change (CASE_STATUS_CHANGED and a
  // CHECK_STATUS_CHANGED per check) finds it still pending and is one fetch.
  absl::Duration fetch_coalesce = absl::Seconds(1);
  // The most a busy case's fetch waits: while a case's deliveries keep
  // coming, each fetch waits twice as long as the last, up to this
  // (pending_fetches.h). Equal to fetch_coalesce: every fetch waits that.
  absl::Duration fetch_coalesce_max = absl::Seconds(8);
  // After generate-report, one case fetch this much later finds the report
  // file should the CASE_REPORT_READY delivery be lost.
  absl::Duration report_ready_fallback = absl::Minutes(2);
  // Reconciliation (docs/architecture.md "Reconciliation"): each connected
  // integration's event feed is read once per interval, at most this many
  // pages a read; an integration whose feed cannot answer falls back to
  // fetching its checks quiet for longer than reconcile_after, at most
  // reconcile_batch of them a read.
  // How often each integration's feed is read: a durable certn.read_events
  // item per integration schedules its own next run this much later, so
  // every replica's worker may ask and the feed is still read once.
  absl::Duration reconcile_interval = absl::Minutes(1);
  int events_max_pages = 5;
  // An event younger than this (by its `created`) is left for the next read:
  // its webhook is likely still on the way, and would fetch the case too.
  absl::Duration events_grace = absl::Seconds(30);
  absl::Duration reconcile_after = absl::Hours(6);
  int reconcile_batch = 50;
  // Durable work: lease per attempt, backoff between attempts.
  absl::Duration work_lease = absl::Minutes(2);
  absl::Duration retry_initial_backoff = absl::Seconds(2);
  absl::Duration retry_max_backoff = absl::Minutes(10);
  // With the backoff above, 20 attempts keep retrying for about two hours,
  // so a Certn outage of that length never turns a queued order into an error.
  int max_attempts = 20;
};

}  // namespace stagecheck::certn_plugin
