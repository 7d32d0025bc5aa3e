// A realistic (~600-byte) Certn webhook body: the thin event fields the
// receiver reads plus the case summary Certn sends alongside them.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace stagecheck::bench {

// `case_id` is a case Stagecheck ordered (the real path: the delivery is
// applied and queues a fetch of the case), or empty for one it never ordered
// (made up from `seq`: the delivery is stored as an orphan).
inline std::string WebhookBody(const std::string& delivery_id, int seq, std::string case_id = "") {
  static constexpr const char* kEvents[] = {"CASE_STATUS_CHANGED", "CHECK_STATUS_CHANGED",
                                            "CASE_REPORT_READY"};
  if (case_id.empty()) case_id = absl::StrFormat("9c1e%04x-5b2a-4c3d-8e4f-%012x", seq % 65536, seq);
  return absl::StrCat(
      R"({"id":")", delivery_id, R"(","event_type":")", kEvents[seq % 3], R"(","object_id":")",
      case_id,
      R"(","object_type":"CASE","created":"2026-11-01T09:15:27.123456Z","api_version":"2024-01-01",)",
      R"("data":{"case":{"id":")", case_id, R"(","short_id":")",
      absl::StrFormat("C%07d", seq % 10000000),
      R"(","overall_status":"IN_PROGRESS","overall_score":"PENDING","is_submitted":true,)",
      R"("applicant":{"email_address":"applicant.)", seq,
      R"(@example.com","first_name":"Jordan","last_name":"Rivera"},)",
      R"("check_executions":[{"check_type":"CRIMINAL_RECORD_1","status":"IN_PROGRESS","result":"PENDING"},)",
      R"({"check_type":"IDENTITY_VERIFICATION_1","status":"COMPLETE","result":"CLEAR"},)",
      R"({"check_type":"ADVERSE_MEDIA_1","status":"PENDING","result":"PENDING"}]}}})");
}

}  // namespace stagecheck::bench
