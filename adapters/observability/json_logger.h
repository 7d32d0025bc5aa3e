// Structured logs: one JSON object per line,
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","event":"webhook.applied","fields":{...}}
// Fields whose names look secret (api_key, secret, token, signature,
// authorization, password, ...) and values that look like credentials
// ("Bearer ...", "sc_..." API tokens) are written as "[REDACTED]".
//
//   auto sink = std::make_shared<FileSink>(stderr);
//   JsonLogger logger(sink);
//   logger.Log(LogLevel::kInfo, "server.started", {{"port", "8080"}});
#pragma once

#include <condition_variable>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/ports/telemetry.h"

namespace stagecheck::observability {

inline constexpr char kRedacted[] = "[REDACTED]";

// Where finished lines go. Write() receives one line without its newline and
// must be thread-safe.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(std::string_view line) = 0;
};

// Appends lines to a FILE* (not owned). Lines are batched: a write syscall
// per request would cost the hot path more than the request itself. The batch
// goes out when it reaches 32 KiB, every 100 ms from a background thread, on
// Flush() and on destruction, so at most ~100 ms of lines is at risk on a crash.
class FileSink final : public LogSink {
 public:
  explicit FileSink(std::FILE* file);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void Write(std::string_view line) override;
  void Flush();

 private:
  void FlushLocked();

  std::mutex mu_;
  std::condition_variable wake_;
  std::FILE* file_;
  std::string pending_;
  bool stopping_ = false;
  std::thread flusher_;
};

// Appends lines to an ostream (not owned).
class OstreamSink final : public LogSink {
 public:
  explicit OstreamSink(std::ostream& out) : out_(out) {}
  void Write(std::string_view line) override;

 private:
  std::mutex mu_;
  std::ostream& out_;
};

// Keeps lines in memory, for tests.
class CapturingSink final : public LogSink {
 public:
  void Write(std::string_view line) override;
  std::vector<std::string> Lines() const;
  // All lines joined with '\n' (handy for HasSubstr / Not(HasSubstr)).
  std::string Text() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

// True for field names that name a credential (case-insensitive substring:
// api_key, apikey, secret, token, signature, authorization, password, cookie).
bool IsSecretFieldName(std::string_view name);
// True for values that are credentials whatever their field is called.
bool LooksLikeCredential(std::string_view value);

std::string_view LevelName(LogLevel level);

class JsonLogger final : public Logger {
 public:
  explicit JsonLogger(std::shared_ptr<LogSink> sink, LogLevel min_level = LogLevel::kInfo);
  void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) override;
  bool Enabled(LogLevel level) const override;

  // The line Log() would write at `timestamp` (RFC 3339 text); for tests and
  // for callers that batch lines themselves.
  static std::string FormatLine(std::string_view timestamp, LogLevel level, std::string_view event,
                                std::initializer_list<LogField> fields);

 private:
  std::shared_ptr<LogSink> sink_;
  LogLevel min_level_;
};

}  // namespace stagecheck::observability
