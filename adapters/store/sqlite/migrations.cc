// SQLite schema history: the versions of sql/portable_migrations.h, with
// SQLite's column types written in. Forward-only: never edit a released
// migration; add the next version there and list it here and in
// postgres/migrations.cc under the same number.
#include "adapters/store/sql/access_migrations.h"
#include "adapters/store/sql/column_types.h"
#include "adapters/store/sql/ingest_migrations.h"
#include "adapters/store/sql/notification_migrations.h"
#include "adapters/store/sql/outbound_migrations.h"
#include "adapters/store/sql/portable_migrations.h"
#include "adapters/store/sql/retention_migrations.h"
#include "adapters/store/sqlite/sqlite_store.h"

namespace stagecheck::store {
namespace {

// The only difference from PostgreSQL: how column types are spelled.
constexpr portable::ColumnTypes kTypes = {.int64 = "INTEGER", .bytes = "BLOB"};

constexpr auto kV1 = portable::Spelled<portable::kInitialSchema, kTypes>();
constexpr auto kV9 = portable::Spelled<portable::kOutboundWebhooks, kTypes>();
constexpr auto kV12 = portable::Spelled<portable::kNotifications, kTypes>();
constexpr auto kV13 = portable::Spelled<portable::kNotificationSubjects, kTypes>();
constexpr auto kV14 = portable::Spelled<portable::kDeliveriesKeyedOnce, kTypes>();

constexpr Migration kMigrations[] = {
    {1, "initial schema", kV1.view()},
    {2, "index checks by application", portable::kIndexChecksByApplication},
    {3, "delivery headers", portable::kDeliveryHeaders},
    {4, "overall score; rate limit per integration; no unverified deliveries",
     portable::kOverallScoreAndNoUnverified},
    {5, "call budget shared by replicas; why a check waits; event feed cursor",
     portable::kCallBudgetWaitingAndEventCursor},
    {6, "pipeline overview: latest check and candidate on the application, indexes",
     portable::kPipelineOverview},
    {7, "cancel and re-order a check", portable::kCancelAndReorder},
    {8, "bulk sends, vendor estimates, result rules, turnaround index",
     portable::kBulkSendEstimatesAndResultRules},
    {9, "outbound webhooks: endpoints, outbox, delivery log", kV9.view()},
    {10, "users and API tokens: email, deactivation, token names, expiry, revocation",
     portable::kUsersAndTokens},
    {11, "retention settings, erasure, report data purged and encrypted at rest",
     portable::kRetentionAndErasure},
    {12, "notifications for people, application watches", kV12.view()},
    {13, "notifications about endpoints, delayed-check notices, outbox retention indexes",
     kV13.view()},
    {14, "webhook deliveries keyed once by team and delivery id", kV14.view()},
    {15, "no global time index on webhook deliveries", portable::kDeliveriesWithoutGlobalTimeIndex},
};

}  // namespace

std::span<const Migration> SqliteMigrations() { return kMigrations; }

}  // namespace stagecheck::store
