#include "core/domain/retention.h"

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace stagecheck {
namespace {

absl::Status SetDays(const std::optional<int>& days, std::string_view field, int& out) {
  if (!days) return absl::OkStatus();
  if (*days < kMinRetentionDays || *days > kMaxRetentionDays) {
    return WithField(Error(absl::StatusCode::kInvalidArgument, "invalid_retention",
                           absl::StrCat("A retention period is a whole number of days from ",
                                        kMinRetentionDays, " to ", kMaxRetentionDays, ".")),
                     field);
  }
  out = *days;
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyRetentionPatch(const RetentionPatch& patch, RetentionSettings& settings) {
  RetentionSettings next = settings;
  if (absl::Status s = SetDays(patch.report_days, "report_days", next.report_days); !s.ok())
    return s;
  if (absl::Status s =
          SetDays(patch.delivery_body_days, "delivery_body_days", next.delivery_body_days);
      !s.ok())
    return s;
  if (absl::Status s = SetDays(patch.unverified_metadata_days, "unverified_metadata_days",
                               next.unverified_metadata_days);
      !s.ok())
    return s;
  settings = next;
  return absl::OkStatus();
}

}  // namespace stagecheck
