#include "plugin/certn/webhook.h"

#include <array>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "plugin/certn/ports/certn_store.h"

namespace stagecheck::certn_plugin {
namespace {

WebhookAnswer Answer(int status, std::string code, std::string detail) {
  return WebhookAnswer{status, std::move(code), std::move(detail)};
}

// How a delivery is refused: the answer, and what the refusal log keeps.
struct Refusal {
  int status;
  std::string code;
  std::string detail;
};

Refusal StoreUnavailable() {
  return {503, "store_unavailable", "the delivery could not be recorded; retry later"};
}

// What step 1 of Receive finds: the team the delivery is for, its
// integration, and the check of the event's case when it is that team's.
struct Addressee {
  std::optional<TeamId> team;
  std::optional<CheckId> check;
  // NotFound until found. Without a message: a message would be an
  // allocation per delivery, and only the code is read.
  absl::StatusOr<std::shared_ptr<const CertnIntegration>> integration =
      absl::Status(absl::StatusCode::kNotFound, "");
  bool remembered = false;  // from AddresseeCache: up to a second old
};

// A body that is not a thin event: "invalid_json" or "invalid_event".
Refusal BadEvent(const absl::Status& parsed) {
  return {400, ErrorCode(parsed), std::string(parsed.message())};
}

// Step 0: what is refused before the body is read.
std::optional<Refusal> Screen(const WebhookRequest& request, const PluginConfig& config) {
  if (static_cast<int64_t>(request.body.size()) > config.max_webhook_body_bytes) {
    return Refusal{413, "payload_too_large", "webhook body is larger than 256 KiB"};
  }
  if (!request.certn_signature && !request.x_signature) {
    return Refusal{401, "missing_signature", "no X-Signature or Certn-Signature header"};
  }
  return std::nullopt;
}

// Step 1 from memory, when every piece the delivery needs was found within
// the last second (addressees.h). A case not remembered needs no read here
// when Certn-Team-ID names a remembered team: the delivery then goes in as
// an orphan, and its own transaction looks the case up (RecordDelivery),
// where an order committed a moment ago is seen too. Without the header the
// case is what names the team, so it is looked up first.
bool RememberedAddressee(const AddresseeCache& cache, const WebhookRequest& request,
                         const absl::StatusOr<WebhookEvent>& event, AddresseeCache::Stamp now,
                         Addressee& found) {
  std::optional<CaseCheck> c;
  if (event.ok() && !(c = cache.CheckOf(event->object_id, now)) && !request.certn_team_id) {
    return false;
  }
  // A case of another team is never touched through this team's delivery.
  bool case_of_team = false;
  if (request.certn_team_id) {
    found.team = cache.TeamOf(*request.certn_team_id, now);
    case_of_team = c && found.team && c->team == *found.team;
  } else if (c) {
    found.team = std::move(c->team);  // the case names the team
    case_of_team = true;
  }
  if (!found.team) return false;
  std::shared_ptr<const CertnIntegration> integration = cache.IntegrationOf(*found.team, now);
  if (integration == nullptr) return false;
  if (case_of_team) found.check = std::move(c->id);
  found.integration = std::move(integration);
  found.remembered = true;
  return true;
}

// Step 1, in one read transaction (one round trip to the store before the
// group commit, not two): the team from Certn-Team-ID, else from the case
// the event names; and its integration, each remembered for the next
// deliveries. `found.team` is set as soon as it is known, so that a store
// error after it is still counted for the team.
absl::Status LookUpAddressee(Store& store, AddresseeCache& cache, const WebhookRequest& request,
                             const absl::StatusOr<WebhookEvent>& event, AddresseeCache::Stamp now,
                             Addressee& found) {
  return store.Read([&](UnitOfWork& uow) -> absl::Status {
    found = Addressee{};  // a retried read starts over
    if (request.certn_team_id) {
      absl::StatusOr<TeamId> t = CertnRows(uow).FindTeamByCertnTeamId(*request.certn_team_id);
      if (t.ok())
        found.team = *t;
      else if (t.status().code() != absl::StatusCode::kNotFound)
        return t.status();
      // A named team that nobody claimed is never guessed from the case.
      if (!found.team) return absl::OkStatus();
      cache.RememberTeam(*request.certn_team_id, *found.team, now);
    }
    if (event.ok()) {
      // Its id and team only: reading the whole check cost a third of a delivery.
      absl::StatusOr<CaseCheck> c = CertnRows(uow).FindCheckByCaseId(event->object_id);
      if (c.ok()) {
        cache.RememberCheck(event->object_id, *c, now);
        if (!found.team) found.team = c->team;
        // A case of another team is never touched through this team's delivery.
        if (c->team == *found.team) found.check = c->id;
      } else if (c.status().code() != absl::StatusCode::kNotFound) {
        return c.status();
      }
    }
    if (found.team) {
      absl::StatusOr<CertnIntegration> read = CertnRows(uow).GetIntegration(*found.team);
      if (read.ok()) {
        found.integration = std::make_shared<const CertnIntegration>(*std::move(read));
        cache.RememberIntegration(*found.integration, now);
      } else if (read.status().code() != absl::StatusCode::kNotFound) {
        return read.status();
      } else {
        found.integration = read.status();
      }
    }
    return absl::OkStatus();
  });
}

// Why a delivery whose team is unknown is refused.
Refusal NoTeam(const WebhookRequest& request, const absl::StatusOr<WebhookEvent>& event) {
  if (request.certn_team_id)
    return {401, "unknown_team", "no team is connected to this Certn team"};
  if (!event.ok()) return BadEvent(event.status());
  // X-Signature only and a case we have not recorded yet: it may be racing
  // our own order's commit, so Certn is asked to retry (it retries 5xx with
  // growing delays, by which time the case is known). Nothing of it is
  // stored: it cannot be authenticated (docs/architecture.md, "Webhook").
  return {503, "case_not_known_yet", "the case is not known yet; retry later"};
}

// Step 2: the delivery is signed with one of the team's secrets.
std::optional<Refusal> Verify(
    Checks& checks, const WebhookRequest& request,
    const absl::StatusOr<std::shared_ptr<const CertnIntegration>>& integration, absl::Time now) {
  if (!integration.ok()) {
    if (integration.status().code() == absl::StatusCode::kNotFound) {
      return Refusal{401, "unknown_team", "the team has no Certn integration"};
    }
    return StoreUnavailable();
  }
  absl::StatusOr<Integrations::SecretList> secrets =
      checks.integrations().WebhookSecrets(**integration, now);
  if (!secrets.ok()) {
    return Refusal{500, "secret_unreadable", "the team's webhook secret cannot be read"};
  }
  SignatureCheck signature =
      request.certn_signature
          ? SignatureCheck{SignatureScheme::kCertnSignature, *request.certn_signature}
          : SignatureCheck{SignatureScheme::kXSignature, *request.x_signature};
  absl::Status verified =
      VerifySignature(checks.deps().crypto, signature, request.body, secrets->all(), now,
                      checks.integrations().config().signature_tolerance);
  if (!verified.ok()) return Refusal{401, ErrorCode(verified), std::string(verified.message())};
  return std::nullopt;
}

// The delivery as stored, with its verdict: applied to the case's check,
// ignored (an event we do not act on), or an orphan (a case not known yet).
// Everything is moved in: each string copied was an allocation.
// By reference: a request and an event moved into parameters were two more
// moves of every string they hold.
WebhookDelivery DeliveryOf(WebhookRequest&& request, WebhookEvent&& event, TeamId&& team,
                           std::optional<CheckId>&& check, absl::Time now) {
  WebhookDelivery delivery;
  const bool known = IsKnownEvent(event);
  delivery.team = std::move(team);
  delivery.delivery_id = std::move(event.id);
  delivery.received_at = now;
  delivery.scheme = request.certn_signature ? "certn-signature" : "x-signature";
  delivery.headers = StoredHeaders(request);
  delivery.event_type = std::move(event.event_type);
  delivery.object_type = std::move(event.object_type);
  delivery.object_id = std::move(event.object_id);
  delivery.body = std::move(request.body);
  if (!known) {
    delivery.verdict = DeliveryVerdict::kIgnored;
  } else if (check) {
    delivery.verdict = DeliveryVerdict::kApplied;
    delivery.check = std::move(check);
  } else {
    delivery.verdict = DeliveryVerdict::kOrphan;
  }
  return delivery;
}

// What step 3's transaction did, for its answer, for PendingFetches and
// for AddresseeCache.
struct Recorded {
  DeliveryVerdict verdict;
  std::optional<absl::Time> fetch_due;  // the pending fetch that covers this delivery,
  std::optional<CheckId> fetch_check;   // of this check,
  bool fetch_queued = false;            // queued by this delivery (else a twin's),
  absl::Duration fetch_window;          // then with this wait (pending_fetches.h)
  // The case's check, when the transaction read it (rare: a case not
  // remembered), for AddresseeCache.
  struct FoundCase {
    std::string case_id;
    CaseCheck check;
  };
  std::optional<FoundCase> found_case;
};

// The dedupe key of a check's case fetch: one pending fetch per check.
std::string FetchDedupeKey(const CheckId& check) {
  return absl::StrCat(ToAbsl(kWorkFetchCase), ":", check.value());
}

// Notes on `out` that the fetch due at `due` covers an applied delivery of
// `check`.
void CoveredBy(const CheckId& check, absl::Time due, Recorded& out) {
  out.fetch_due = due;
  out.fetch_check = check;
  out.fetch_queued = false;
}

// Queues the fetch of an applied delivery's case whose twin the bundle's
// look-up did not find, or notes the twin that has committed since.
absl::Status QueueFetch(UnitOfWork& uow, const Deps& deps, const PendingFetches& pending,
                        const WebhookDelivery& delivery, const CheckId& check, Recorded& out) {
  WorkItem item;
  item.team = *delivery.team;
  item.id = WorkItemId(deps.ids.NewId());
  item.kind = std::string(kWorkFetchCase);
  item.subject = check.value();
  item.dedupe_key = FetchDedupeKey(check);
  // A little later, so the rest of Certn's burst for this change finds
  // it pending: a pending fetch for the same check covers their events too
  // (later still while the case stays busy: pending_fetches.h).
  const absl::Duration window = pending.WindowFor(check, delivery.received_at);
  item.run_at = delivery.received_at + window;
  ASSIGN_OR_RETURN(UnitOfWork::Enqueued enqueued,
                   uow.EnqueueWorkUnlessPending(item, UnitOfWork::TwinCheck::kInsertFirst));
  // A twin's run_at is remembered too (pending_fetches.h): one queued before
  // a restart, or by another replica, then covers the rest of the burst.
  CoveredBy(check, enqueued.run_at, out);
  out.fetch_queued = enqueued.queued;
  out.fetch_window = window;
  return absl::OkStatus();
}

// Adopts an orphan whose case our own order has recorded since (`known`:
// the checks of the bundle's orphans' cases): the case was not remembered,
// or our order committed after the delivery was looked up; that order's
// adoption of orphans ran before this row existed, so adopt here (in the
// delivery's transaction: on SQLite it is serialised with the order's).
void AdoptOrphan(const std::map<std::string, CaseCheck>& known, WebhookDelivery& delivery,
                 Recorded& out) {
  auto it = known.find(delivery.object_id);
  if (it == known.end()) return;
  out.found_case = Recorded::FoundCase{delivery.object_id, it->second};
  // A case of another team is never touched through this team's delivery.
  if (it->second.team != *delivery.team) return;
  delivery.verdict = DeliveryVerdict::kApplied;
  delivery.check = it->second.id;
  out.verdict = DeliveryVerdict::kApplied;
}

}  // namespace

// A delivery waiting in a bundle (bundled_commit.h) for its transaction.
struct WebhookReceiver::Queued {
  WebhookDelivery delivery;  // an applied one names its check
  bool touch_integration = false;
  AddresseeCache::Stamp stamp;
  absl::Time started;
  std::function<void(WebhookAnswer)> done;
  Recorded recorded{};
};

namespace {

// The fetches of a bundle's applied deliveries: none where a fetch this
// process committed covers the delivery (pending_fetches.h), so a burst for
// one case writes one work item, not one per delivery; else the case's
// pending twin, looked up for the whole bundle in one statement; else a new
// fetch, queued once per case.
absl::Status QueueFetches(UnitOfWork& uow, const Deps& deps, PendingFetches& pending,
                          std::vector<WebhookReceiver::Queued>& bundle) {
  std::vector<std::pair<WebhookReceiver::Queued*, size_t>> uncovered;  // and its key's index
  // One key per case: a bundle is one lane's deliveries, mostly of one case,
  // and a key per delivery was copied and sorted only to be deduplicated.
  std::vector<UnitOfWork::DedupeKey> keys;
  std::map<CheckId, size_t> key_of;
  for (WebhookReceiver::Queued& q : bundle) {
    if (q.recorded.verdict != DeliveryVerdict::kApplied) continue;
    if (pending.Covers(*q.delivery.check, q.delivery.received_at)) continue;
    auto [it, added] = key_of.try_emplace(*q.delivery.check, keys.size());
    if (added) keys.emplace_back(*q.delivery.team, FetchDedupeKey(*q.delivery.check));
    uncovered.emplace_back(&q, it->second);
  }
  if (uncovered.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto twins, uow.PendingDue(keys));
  // Per key, the run of the fetch that covers its deliveries: the pending
  // twin (looked up once per key), else the first delivery's new fetch.
  std::vector<const absl::Time*> covering(keys.size(), nullptr);
  for (size_t k = 0; k < keys.size(); ++k) {
    if (auto twin = twins.find(keys[k]); twin != twins.end()) covering[k] = &twin->second;
  }
  for (const auto& [delivery, key] : uncovered) {
    WebhookReceiver::Queued& q = *delivery;
    if (const absl::Time* due = covering[key]; due != nullptr) {
      CoveredBy(*q.delivery.check, *due, q.recorded);
    } else {
      RETURN_IF_ERROR(QueueFetch(uow, deps, pending, q.delivery, *q.delivery.check, q.recorded));
      covering[key] = &*q.recorded.fetch_due;  // QueueFetch sets it; the bundle does not move
    }
  }
  return absl::OkStatus();
}

// Step 3's transaction, for a bundle of deliveries: adopt the orphans whose
// case our own order has recorded since, insert the deliveries in as few
// statements as the store can (a second copy is the verdict "duplicate", not
// an error), queue the fetch of each applied delivery's case (once per case
// in the bundle), and refresh last_delivery_at where a delivery claimed it.
// A batch may run this again: every output starts over.
absl::Status RecordDeliveries(UnitOfWork& uow, const Deps& deps, PendingFetches& pending,
                              std::vector<WebhookReceiver::Queued>& bundle) {
  std::vector<std::string> orphan_cases;
  for (const WebhookReceiver::Queued& q : bundle) {
    if (q.delivery.verdict == DeliveryVerdict::kOrphan)
      orphan_cases.push_back(q.delivery.object_id);
  }
  std::map<std::string, CaseCheck> known;
  if (!orphan_cases.empty()) {
    ASSIGN_OR_RETURN(known, CertnRows(uow).FindChecksByCaseIds(orphan_cases));
  }
  std::vector<const WebhookDelivery*> rows;
  rows.reserve(bundle.size());
  for (WebhookReceiver::Queued& q : bundle) {
    q.recorded = Recorded{};
    q.recorded.verdict = q.delivery.verdict;
    if (q.delivery.verdict == DeliveryVerdict::kOrphan) {
      AdoptOrphan(known, q.delivery, q.recorded);
    }
    rows.push_back(&q.delivery);
  }
  ASSIGN_OR_RETURN(std::vector<bool> inserted, uow.InsertDeliveries(rows));
  for (size_t i = 0; i < bundle.size(); ++i) {
    if (!inserted[i]) bundle[i].recorded.verdict = DeliveryVerdict::kDuplicate;
  }
  RETURN_IF_ERROR(QueueFetches(uow, deps, pending, bundle));
  for (WebhookReceiver::Queued& q : bundle) {
    if (q.touch_integration && q.recorded.verdict != DeliveryVerdict::kDuplicate) {
      ASSIGN_OR_RETURN(CertnIntegration in, CertnRows(uow).GetIntegration(*q.delivery.team));
      in.last_delivery_at = q.delivery.received_at;
      RETURN_IF_ERROR(CertnRows(uow).UpsertIntegration(in));
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool IsKnownEvent(const WebhookEvent& event) {
  if (event.object_type != "CASE") return false;
  return event.event_type == "CASE_STATUS_CHANGED" || event.event_type == "CHECK_STATUS_CHANGED" ||
         event.event_type == "CASE_REPORT_READY" ||
         event.event_type == "CASE_INPUT_CLAIMS_AUTOMATICALLY_GENERATED";
}

namespace {
constexpr std::string_view kDeliveriesMetric = "stagecheck_webhook_deliveries_total";
}  // namespace

void WebhookReceiver::Count(std::string_view verdict) {
  checks_.deps().metrics.Increment(kDeliveriesMetric,
                                   absl::StrCat("verdict=\"", ToAbsl(verdict), "\""));
}

void WebhookReceiver::Count(DeliveryVerdict verdict) {
  verdict_counts_.at(static_cast<size_t>(verdict))->Add();
}

RefusedSummary WebhookReceiver::RefusedSummaryFor(const TeamId& team) const {
  return refused_.SummaryFor(team, checks_.deps().clock.Now());
}

void WebhookReceiver::Refuse(const WebhookRequest& request, const std::optional<TeamId>& team,
                             absl::Time now, int status, std::string code, std::string detail,
                             const std::function<void(WebhookAnswer)>& done) {
  const Deps& deps = checks_.deps();
  Count(code);
  // Metadata only, in memory and bounded: the body never reaches the disk
  // (docs/architecture.md, "Webhook").
  refused_.Record(RefusedDelivery{
      now, static_cast<int64_t>(request.body.size()), HexEncode(deps.crypto.Sha256(request.body)),
      request.remote_address, StoredHeaders(request, /*max_value=*/128), code, status, team});
  if (int64_t suppressed = 0; ClaimRefusalLog(code, now, suppressed)) {
    const std::string suppressed_text = absl::StrCat(suppressed);
    deps.log.Log(LogLevel::kWarning, "webhook.refused",
                 {{"code", code}, {"detail", detail}, {"suppressed_since_last", suppressed_text}});
  }
  done(Answer(status, std::move(code), std::move(detail)));
}

bool WebhookReceiver::ClaimRefusalLog(const std::string& code, absl::Time now,
                                      int64_t& suppressed) {
  std::lock_guard<std::mutex> lock(refusal_log_mu_);
  RefusalLogState& state = refusal_log_[code];
  if (now - state.last_logged < absl::Seconds(1)) {
    ++state.suppressed;
    return false;
  }
  suppressed = state.suppressed;
  state = RefusalLogState{now, 0};
  return true;
}

void WebhookReceiver::Receive(WebhookRequest request, std::function<void(WebhookAnswer)> done) {
  Admit(request, done, /*may_block=*/true);
}

bool WebhookReceiver::ReceiveWithoutBlocking(WebhookRequest& request,
                                             std::function<void(WebhookAnswer)>& done) {
  return Admit(request, done, /*may_block=*/false);
}

// Receive's steps. Without `may_block`, the steps that would read the store
// (an addressee not remembered, or a remembered secret that did not verify)
// return false instead, before anything was answered, counted or moved.
bool WebhookReceiver::Admit(WebhookRequest& request, std::function<void(WebhookAnswer)>& done,
                            bool may_block) {
  const Deps& deps = checks_.deps();
  absl::Time now = deps.clock.Now();
  Addressee to;  // once its team is found, refusals are counted for that team
  auto refuse = [&](Refusal r) {
    Refuse(request, to.team, now, r.status, std::move(r.code), std::move(r.detail), done);
    return true;
  };
  // 0. Refuse what needs no lookup. A body that is not JSON is refused now;
  // a JSON object without the event fields only once verified, so that an
  // unsigned sender learns nothing.
  if (auto refusal = Screen(request, checks_.integrations().config())) {
    return refuse(*std::move(refusal));
  }
  absl::StatusOr<WebhookEvent> event = ParseWebhookEvent(request.body);
  if (!event.ok() && ErrorCode(event.status()) == "invalid_json") {
    return refuse(BadEvent(event.status()));
  }
  // 1. Find the team and its integration.
  const AddresseeCache::Stamp stamp{now, checks_.integrations().generation()};
  if (!RememberedAddressee(addressees_, request, event, stamp, to)) {
    if (!may_block) return false;
    if (!LookUpAddressee(deps.store, addressees_, request, event, stamp, to).ok()) {
      return refuse(StoreUnavailable());
    }
  }
  if (!to.team) return refuse(NoTeam(request, event));
  // 2. Verify with that team's secret(s).
  std::optional<Refusal> refusal = Verify(checks_, request, to.integration, now);
  if (refusal && to.remembered) {
    if (!may_block) return false;
    // A secret rotated on another replica within the second: read it now.
    if (!LookUpAddressee(deps.store, addressees_, request, event, stamp, to).ok()) {
      return refuse(StoreUnavailable());
    }
    if (!to.team) return refuse(NoTeam(request, event));
    refusal = Verify(checks_, request, to.integration, now);
  }
  if (refusal) return refuse(*std::move(refusal));
  if (!event.ok()) return refuse(BadEvent(event.status()));
  // 3. Record and apply in one transaction (group commit). Writing
  // last_delivery_at on every delivery would serialise bursts on one row;
  // once a minute is enough to tell an admin that deliveries arrive.
  bool touch = ClaimTouch(*to.team, (*to.integration)->last_delivery_at, now);
  WebhookDelivery delivery = DeliveryOf(std::move(request), *std::move(event), *std::move(to.team),
                                        std::move(to.check), now);
  Commit(std::move(delivery), touch, stamp, std::move(done));
  return true;
}

std::string StoredHeaders(const WebhookRequest& request, size_t max_value) {
  std::string out;
  out.reserve(192);  // the signature headers Certn sends fit: one allocation
  auto add = [&](std::string_view name, const std::optional<std::string>& value) {
    if (!value) return;
    // A view, not substr(): no copy of each header before it is appended.
    const std::string_view kept = std::string_view(*value).substr(0, max_value);
    absl::StrAppend(&out, ToAbsl(name), ": ", ToAbsl(kept), "\n");
  };
  add("Certn-Team-ID", request.certn_team_id);
  add("Certn-Signature", request.certn_signature);
  add("X-Signature", request.x_signature);
  return out;
}

bool WebhookReceiver::ClaimTouch(const TeamId& team, const std::optional<absl::Time>& stored,
                                 absl::Time now) {
  constexpr absl::Duration kEvery = absl::Minutes(1);
  if (stored && now - *stored <= kEvery) return false;
  std::lock_guard<std::mutex> lock(touch_mu_);
  auto [it, first] = touched_.try_emplace(team, now);
  if (!first && now - it->second <= kEvery) return false;
  it->second = now;
  return true;
}

namespace {

std::array<std::unique_ptr<MetricSeries>, kVerdictCount> VerdictCounts(Metrics& metrics) {
  std::array<std::unique_ptr<MetricSeries>, kVerdictCount> counts;
  for (size_t i = 0; i < counts.size(); ++i) {
    const std::string_view verdict = VerdictName(static_cast<DeliveryVerdict>(i));
    counts[i] =
        metrics.CounterSeries(kDeliveriesMetric, absl::StrCat("verdict=\"", ToAbsl(verdict), "\""));
  }
  return counts;
}

}  // namespace

WebhookReceiver::WebhookReceiver(Checks& checks, GroupCommitter& committer)
    : checks_(checks),
      verdict_counts_(VerdictCounts(checks.deps().metrics)),
      apply_seconds_(checks.deps().metrics.HistogramSeries("stagecheck_webhook_apply_seconds", "")),
      busy_case_fetches_(checks.deps().metrics.CounterSeries(kBusyCaseFetchesMetric, "")),
      pending_fetches_(checks.integrations().config().fetch_coalesce,
                       checks.integrations().config().fetch_coalesce_max),
      bundles_(std::make_unique<BundledCommitter<Queued>>(
          committer,
          [this](UnitOfWork& uow, std::vector<Queued>& bundle) {
            return RecordDeliveries(uow, checks_.deps(), pending_fetches_, bundle);
          },
          [this](std::vector<Queued>& bundle, absl::Status status) {
            checks_.deps().metrics.Observe(kBundleDeliveriesMetric, "",
                                           static_cast<double>(bundle.size()));
            for (Queued& q : bundle) AnswerQueued(q, status);
          })) {}

WebhookReceiver::~WebhookReceiver() = default;

void WebhookReceiver::Commit(WebhookDelivery&& delivery, bool touch_integration,
                             AddresseeCache::Stamp stamp,
                             std::function<void(WebhookAnswer)>&& done) {
  // Moved in, not copied: the body is most of a delivery's bytes.
  Queued queued{std::move(delivery), touch_integration, stamp, checks_.deps().clock.Now(),
                std::move(done)};
  // One lane per case: its deliveries and the fetch they queue commit in
  // order and never wait on each other across lanes (group_commit.h); the
  // deliveries queued on a lane meanwhile are written together.
  const std::string_view key = queued.delivery.object_id;
  bundles_->Submit(key, std::move(queued));
}

void WebhookReceiver::AnswerQueued(Queued& q, const absl::Status& status) {
  const Deps& deps = checks_.deps();
  const absl::Time answered = deps.clock.Now();
  apply_seconds_->Observe(absl::ToDoubleSeconds(answered - q.started));
  if (!status.ok()) {
    Count("store_unavailable");
    deps.log.Log(LogLevel::kError, "webhook.store_failed", {{"error", ToStd(status.message())}});
    q.done(Answer(503, "store_unavailable", "the delivery could not be recorded; retry later"));
    return;
  }
  const Recorded& recorded = q.recorded;
  // The case the transaction found: the next deliveries for it need no read at all.
  if (const auto& found = recorded.found_case) {
    addressees_.RememberCheck(found->case_id, found->check, q.stamp);
  }
  Count(recorded.verdict);
  if (recorded.fetch_due && recorded.fetch_check) {
    pending_fetches_.Remember(
        *recorded.fetch_check, *recorded.fetch_due,
        recorded.fetch_queued ? std::optional(recorded.fetch_window) : std::nullopt,
        q.delivery.received_at, answered);
    // Only a delivery that queued a fetch wakes the worker: the rest of a
    // burst is covered by that fetch and has nothing new for it.
    if (recorded.fetch_queued) {
      checks_.NotifyWork();
      if (recorded.fetch_window > checks_.integrations().config().fetch_coalesce) {
        busy_case_fetches_->Add();
      }
    }
  }
  q.done(Answer(200, std::string(VerdictName(recorded.verdict)), "recorded"));
}

}  // namespace stagecheck::certn_plugin
