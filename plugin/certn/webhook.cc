#include "plugin/certn/webhook.h"

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/strings.h"
#include "plugin/certn/ports/certn_store.h"
#include "rapidjson/document.h"

namespace stagecheck::certn_plugin {
namespace {

WebhookAnswer Answer(int status, std::string code, std::string detail) {
  return WebhookAnswer{status, std::move(code), std::move(detail)};
}

absl::StatusOr<std::string> RequiredString(const rapidjson::Value& obj, const char* field) {
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd())
    return absl::InvalidArgumentError(absl::StrCat("event has no '", field, "'"));
  if (!it->value.IsString()) {
    return absl::InvalidArgumentError(absl::StrCat("event field '", field, "' is not a string"));
  }
  std::string value(it->value.GetString(), it->value.GetStringLength());
  if (value.empty() || value.size() > 200) {
    return absl::InvalidArgumentError(
        absl::StrCat("event field '", field, "' is empty or too long"));
  }
  return value;
}

}  // namespace

absl::StatusOr<WebhookEvent> ParseWebhookEvent(std::string_view body) {
  rapidjson::Document doc;
  // Iterative: the body is not authenticated yet, and a recursive parse of
  // 200 KB of '[' overflows the stack.
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(body.data(),
                                                                                body.size());
  if (doc.HasParseError())
    return Error(absl::StatusCode::kInvalidArgument, "invalid_json", "body is not JSON");
  if (!doc.IsObject()) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_json", "body is not a JSON object");
  }
  WebhookEvent event;
  for (auto [field, target] :
       {std::pair{"id", &event.id}, std::pair{"event_type", &event.event_type},
        std::pair{"object_id", &event.object_id}, std::pair{"object_type", &event.object_type}}) {
    absl::StatusOr<std::string> value = RequiredString(doc, field);
    if (!value.ok()) return value.status();
    *target = *std::move(value);
  }
  return event;
}

bool IsKnownEvent(const WebhookEvent& event) {
  if (event.object_type != "CASE") return false;
  return event.event_type == "CASE_STATUS_CHANGED" || event.event_type == "CHECK_STATUS_CHANGED" ||
         event.event_type == "CASE_REPORT_READY" ||
         event.event_type == "CASE_INPUT_CLAIMS_AUTOMATICALLY_GENERATED";
}

void WebhookReceiver::Count(std::string_view verdict) {
  checks_.deps().metrics.Increment("stagecheck_webhook_deliveries_total",
                                   absl::StrCat("verdict=\"", ToAbsl(verdict), "\""));
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
  const Deps& deps = checks_.deps();
  const PluginConfig& config = checks_.integrations().config();
  absl::Time now = deps.clock.Now();
  std::optional<TeamId> team;  // once found: refusals are then counted for it
  auto refuse = [&](int status, std::string code, std::string detail) {
    Refuse(request, team, now, status, std::move(code), std::move(detail), done);
  };
  if (static_cast<int64_t>(request.body.size()) > config.max_webhook_body_bytes) {
    return refuse(413, "payload_too_large", "webhook body is larger than 256 KiB");
  }
  if (!request.certn_signature && !request.x_signature) {
    return refuse(401, "missing_signature", "no X-Signature or Certn-Signature header");
  }
  absl::StatusOr<WebhookEvent> event = ParseWebhookEvent(request.body);
  if (!event.ok()) {
    // Not JSON at all is a 400; a JSON object without the event fields is
    // still verified first so that an unsigned sender learns nothing.
    if (ErrorCode(event.status()) == "invalid_json") {
      return refuse(400, "invalid_json", std::string(event.status().message()));
    }
  }

  // 1. Find the team: from Certn-Team-ID, else from the case the event names;
  // and its integration, in the same read transaction (one round trip to the
  // store before the group commit, not two).
  std::optional<BackgroundCheck> check;
  absl::StatusOr<CertnIntegration> integration = absl::NotFoundError("no team");
  absl::Status looked_up = deps.store.Read([&](UnitOfWork& uow) -> absl::Status {
    if (request.certn_team_id) {
      absl::StatusOr<TeamId> t = CertnRows(uow).FindTeamByCertnTeamId(*request.certn_team_id);
      if (t.ok())
        team = *t;
      else if (t.status().code() != absl::StatusCode::kNotFound)
        return t.status();
      // A named team that nobody claimed is never guessed from the case.
      if (!team) return absl::OkStatus();
    }
    if (event.ok()) {
      absl::StatusOr<BackgroundCheck> c = uow.FindCheckByExternalId(event->object_id);
      if (c.ok()) {
        if (!team) team = c->team;
        // A case of another team is never touched through this team's delivery.
        if (c->team == *team) check = *std::move(c);
      } else if (c.status().code() != absl::StatusCode::kNotFound) {
        return c.status();
      }
    }
    if (team) {
      integration = CertnRows(uow).GetIntegration(*team);
      if (!integration.ok() && integration.status().code() != absl::StatusCode::kNotFound) {
        return integration.status();
      }
    }
    return absl::OkStatus();
  });
  if (!looked_up.ok()) {
    return refuse(503, "store_unavailable", "the delivery could not be recorded; retry later");
  }
  if (!team) {
    if (request.certn_team_id)
      return refuse(401, "unknown_team", "no team is connected to this Certn team");
    if (!event.ok()) return refuse(400, "invalid_event", std::string(event.status().message()));
    // X-Signature only and a case we have not recorded yet: it may be racing
    // our own order's commit, so Certn is asked to retry (it retries 5xx with
    // growing delays, by which time the case is known). Nothing of it is
    // stored: it cannot be authenticated (docs/architecture.md, "Webhook").
    return refuse(503, "case_not_known_yet", "the case is not known yet; retry later");
  }

  // 2. Verify with that team's secret(s).
  if (!integration.ok()) {
    if (integration.status().code() == absl::StatusCode::kNotFound) {
      return refuse(401, "unknown_team", "the team has no Certn integration");
    }
    return refuse(503, "store_unavailable", "the delivery could not be recorded; retry later");
  }
  absl::StatusOr<std::vector<std::string>> secrets =
      checks_.integrations().WebhookSecrets(*integration, now);
  if (!secrets.ok())
    return refuse(500, "secret_unreadable", "the team's webhook secret cannot be read");
  SignatureCheck signature =
      request.certn_signature
          ? SignatureCheck{SignatureScheme::kCertnSignature, *request.certn_signature}
          : SignatureCheck{SignatureScheme::kXSignature, *request.x_signature};
  absl::Status verified = VerifySignature(deps.crypto, signature, request.body, *secrets, now,
                                          config.signature_tolerance);
  if (!verified.ok()) return refuse(401, ErrorCode(verified), std::string(verified.message()));
  if (!event.ok()) return refuse(400, "invalid_event", std::string(event.status().message()));

  // 3. Record and apply in one transaction (group commit).
  WebhookDelivery delivery;
  delivery.team = *team;
  delivery.delivery_id = event->id;
  delivery.received_at = now;
  delivery.scheme = request.certn_signature ? "certn-signature" : "x-signature";
  delivery.headers = StoredHeaders(request);
  delivery.event_type = event->event_type;
  delivery.object_type = event->object_type;
  delivery.object_id = event->object_id;
  delivery.body = std::move(request.body);
  if (!IsKnownEvent(*event)) {
    delivery.verdict = DeliveryVerdict::kIgnored;
  } else if (check) {
    delivery.verdict = DeliveryVerdict::kApplied;
    delivery.check = check->id;
  } else {
    delivery.verdict = DeliveryVerdict::kOrphan;
  }
  // Writing last_delivery_at on every delivery would serialise bursts on one
  // row; once a minute is enough to tell an admin that deliveries arrive.
  bool touch = ClaimTouch(*team, integration->last_delivery_at, now);
  Commit(std::move(delivery), std::move(check), touch, std::move(done));
}

std::string StoredHeaders(const WebhookRequest& request, size_t max_value) {
  std::string out;
  auto add = [&](std::string_view name, const std::optional<std::string>& value) {
    if (value) absl::StrAppend(&out, ToAbsl(name), ": ", value->substr(0, max_value), "\n");
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

void WebhookReceiver::Commit(WebhookDelivery delivery, std::optional<BackgroundCheck> check,
                             bool touch_integration, std::function<void(WebhookAnswer)> done) {
  const Deps& deps = checks_.deps();
  absl::Time started = deps.clock.Now();
  auto verdict = std::make_shared<DeliveryVerdict>(delivery.verdict);
  auto work = [this, delivery, check, touch_integration,
               verdict](UnitOfWork& uow) mutable -> absl::Status {
    const Deps& deps = checks_.deps();
    if (delivery.verdict == DeliveryVerdict::kOrphan) {
      // Our own order may have committed since the delivery was looked up;
      // its adoption of orphans ran before this row existed, so adopt here.
      // (In this transaction: on SQLite it is serialised with the order's.)
      absl::StatusOr<BackgroundCheck> known = uow.FindCheckByExternalId(delivery.object_id);
      if (known.ok() && known->team == *delivery.team) {
        delivery.verdict = DeliveryVerdict::kApplied;
        delivery.check = known->id;
        check = *std::move(known);
        *verdict = DeliveryVerdict::kApplied;
      } else if (!known.ok() && known.status().code() != absl::StatusCode::kNotFound) {
        return known.status();
      }
    }
    absl::Status inserted = uow.InsertDelivery(delivery);
    if (inserted.code() == absl::StatusCode::kAlreadyExists) {
      *verdict = DeliveryVerdict::kDuplicate;
      return absl::OkStatus();
    }
    if (!inserted.ok()) return inserted;
    if (delivery.verdict == DeliveryVerdict::kApplied) {
      WorkItem item;
      item.team = *delivery.team;
      item.id = WorkItemId(deps.ids.NewId());
      item.kind = std::string(kWorkFetchCase);
      item.subject = check->id.value();
      item.dedupe_key = absl::StrCat(ToAbsl(kWorkFetchCase), ":", check->id.value());
      // A little later, so the rest of Certn's burst for this change finds
      // it pending: a pending fetch for the same check covers their events too.
      item.run_at = delivery.received_at + checks_.integrations().config().fetch_coalesce;
      if (auto s = uow.EnqueueWork(item); !s.ok()) return s;
    }
    if (touch_integration) {
      absl::StatusOr<CertnIntegration> in = CertnRows(uow).GetIntegration(*delivery.team);
      if (!in.ok()) return in.status();
      in->last_delivery_at = delivery.received_at;
      if (auto s = CertnRows(uow).UpsertIntegration(*in); !s.ok()) return s;
    }
    return absl::OkStatus();
  };
  committer_.Submit(std::move(work), [this, verdict, started, done](absl::Status status) {
    const Deps& deps = checks_.deps();
    deps.metrics.Observe("stagecheck_webhook_apply_seconds", "",
                         absl::ToDoubleSeconds(deps.clock.Now() - started));
    if (!status.ok()) {
      Count("store_unavailable");
      deps.log.Log(LogLevel::kError, "webhook.store_failed", {{"error", ToStd(status.message())}});
      done(Answer(503, "store_unavailable", "the delivery could not be recorded; retry later"));
      return;
    }
    std::string_view name = VerdictName(*verdict);
    Count(name);
    if (*verdict == DeliveryVerdict::kApplied) checks_.NotifyWork();
    done(Answer(200, std::string(name), "recorded"));
  });
}

}  // namespace stagecheck::certn_plugin
