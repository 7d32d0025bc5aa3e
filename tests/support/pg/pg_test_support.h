// Test access to the throwaway PostgreSQL started by the `postgres` ctest
// fixture (see CMakeLists.txt). A test that cannot reach it must FAIL, never
// skip: ASSERT_OK on these results.
//
//   auto db = stagecheck::pgtest::ScratchDatabase::Create();   // fresh, private
//   ASSERT_TRUE(db.ok()) << db.status();
//   OpenStore(db->url(), {});
//
// For a test that restarts the server, start a private one (PrivateServer)
// so that other tests running in parallel are not disturbed.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stagecheck::pgtest {

// The fixture server's URL (its maintenance database "stagecheck"), read
// from ${STAGECHECK_BUILD_DIR}/pg/url.
absl::StatusOr<std::string> ServerUrl();

// `url` with its database name replaced.
std::string WithDatabase(const std::string& url, const std::string& database);

// A database with a random name, created on construction and dropped (with
// its connections) on destruction, so tests do not see each other's rows.
class ScratchDatabase {
 public:
  static absl::StatusOr<ScratchDatabase> Create();
  // On a given server (e.g. a PrivateServer's URL).
  static absl::StatusOr<ScratchDatabase> CreateOn(const std::string& server_url);
  ScratchDatabase(ScratchDatabase&& other) noexcept;
  ScratchDatabase& operator=(ScratchDatabase&&) = delete;
  ~ScratchDatabase();

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  ScratchDatabase(std::string server_url, std::string name, std::string url)
      : server_url_(std::move(server_url)), name_(std::move(name)), url_(std::move(url)) {}
  std::string server_url_;
  std::string name_;
  std::string url_;
};

// A server of the test's own (same script as the fixture), for tests that
// stop or restart PostgreSQL. Stopped and removed on destruction.
class PrivateServer {
 public:
  static absl::StatusOr<std::unique_ptr<PrivateServer>> Start();
  ~PrivateServer();
  const std::string& url() const { return url_; }
  // Fast restart on the same port: open connections break.
  absl::Status Restart();
  // Stops the server but keeps its data; Resume() starts it again.
  absl::Status Halt();
  absl::Status Resume();

 private:
  explicit PrivateServer(std::string state_dir) : state_dir_(std::move(state_dir)) {}
  std::string state_dir_;
  std::string url_;
};

// Runs one SQL statement on `url` (test set-up, e.g. to break a table).
absl::Status ExecSql(const std::string& url, const std::string& sql);
// Runs one query on `url`: its first row's first column as text ("" when
// it returns no row).
absl::StatusOr<std::string> QueryValue(const std::string& url, const std::string& sql);

}  // namespace stagecheck::pgtest
