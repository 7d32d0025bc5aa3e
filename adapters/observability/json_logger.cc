#include "adapters/observability/json_logger.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "core/thread_name.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace stagecheck::observability {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && Lower(haystack[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ContainsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc;
  gmtime_r(&seconds, &utc);
  char buffer[64];  // roomy enough that g++ can prove no truncation
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

void WriteString(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

FileSink::FileSink(std::FILE* file) : file_(file) {
  flusher_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(100));
      FlushLocked();
    }
  });
  NameThread(flusher_, "sc-log");
}

FileSink::~FileSink() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  flusher_.join();
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
}

void FileSink::Write(std::string_view line) {
  constexpr size_t kBatchBytes = 32 * 1024;
  std::lock_guard<std::mutex> lock(mu_);
  pending_.append(line);
  pending_.push_back('\n');
  if (pending_.size() >= kBatchBytes) FlushLocked();
}

void FileSink::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
}

void FileSink::FlushLocked() {
  if (pending_.empty()) return;
  std::fwrite(pending_.data(), 1, pending_.size(), file_);
  std::fflush(file_);
  pending_.clear();
}

void OstreamSink::Write(std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  out_ << line << '\n';
  out_.flush();
}

void CapturingSink::Write(std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  lines_.emplace_back(line);
}

std::vector<std::string> CapturingSink::Lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

std::string CapturingSink::Text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string text;
  for (const std::string& line : lines_) {
    text += line;
    text += '\n';
  }
  return text;
}

bool IsSecretFieldName(std::string_view name) {
  static constexpr std::string_view kSecretWords[] = {
      "api_key",       "apikey",   "api-key", "secret", "token",       "signature",
      "authorization", "password", "passwd",  "cookie", "private_key", "encryption_key"};
  for (std::string_view word : kSecretWords) {
    if (ContainsIgnoreCase(name, word)) return true;
  }
  return false;
}

bool LooksLikeCredential(std::string_view value) {
  // Our own API tokens, bearer/basic credentials and PEM private keys.
  return StartsWithIgnoreCase(value, "sc_") || StartsWithIgnoreCase(value, "bearer ") ||
         StartsWithIgnoreCase(value, "basic ") || ContainsIgnoreCase(value, "private key-----");
}

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

JsonLogger::JsonLogger(std::shared_ptr<LogSink> sink, LogLevel min_level)
    : sink_(std::move(sink)), min_level_(min_level) {}

bool JsonLogger::Enabled(LogLevel level) const {
  return static_cast<int>(level) >= static_cast<int>(min_level_) && sink_ != nullptr;
}

void JsonLogger::Log(LogLevel level, std::string_view event,
                     std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  // Formatting happens outside the sink's lock; only the write is serialised.
  sink_->Write(FormatLine(NowRfc3339(), level, event, fields));
}

std::string JsonLogger::FormatLine(std::string_view timestamp, LogLevel level,
                                   std::string_view event, std::initializer_list<LogField> fields) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("ts");
  WriteString(w, timestamp);
  w.Key("level");
  WriteString(w, LevelName(level));
  w.Key("event");
  WriteString(w, event);
  w.Key("fields");
  w.StartObject();
  for (const auto& [name, value] : fields) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    bool secret = IsSecretFieldName(name) || LooksLikeCredential(value);
    WriteString(w, secret ? std::string_view(kRedacted) : value);
  }
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace stagecheck::observability
