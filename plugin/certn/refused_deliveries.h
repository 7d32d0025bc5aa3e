// The bounded, in-memory log of webhook deliveries that could not be
// authenticated (docs/architecture.md, "Webhook"): metadata only — when,
// how big, the body's SHA-256, who sent it, the headers that matter and
// why it was refused. A body never reaches the disk, and the log holds at
// most `capacity` entries (the oldest are dropped first), whatever a sender
// posts.
//
//   RefusedDeliveries log(1000);
//   log.Record({.at = now, .size = body.size(), .body_sha256_hex = ..., .reason = "case_not_known_yet"});
//   for (const RefusedDelivery& d : log.Snapshot()) ...
//
// Thread-safe: every member takes mu_.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace stagecheck::certn_plugin {

struct RefusedDelivery {
  absl::Time at = {};
  int64_t size = 0;
  std::string body_sha256_hex = {};
  std::string remote_address = {};
  // "Name: value" lines of Certn-Team-ID and the signature headers, each
  // value cut to 128 characters.
  std::string headers = {};
  std::string reason = {};  // the answer's code: "case_not_known_yet", "bad_signature", ...
  int http_status = 0;
};

class RefusedDeliveries {
 public:
  explicit RefusedDeliveries(size_t capacity) : capacity_(capacity) {}

  void Record(RefusedDelivery delivery);
  // Oldest first.
  std::vector<RefusedDelivery> Snapshot() const;
  // Every delivery ever recorded, including those the cap has dropped.
  uint64_t total() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<RefusedDelivery> entries_;  // guarded by mu_
  uint64_t total_ = 0;                   // guarded by mu_
};

}  // namespace stagecheck::certn_plugin
