#include "adapters/store/sqlite/wal_checkpointer.h"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "core/thread_name.h"

namespace stagecheck::store {
namespace {

// Bytes of one WAL frame: its 24-byte header and one page.
int64_t FrameBytes(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  int64_t page = 4096;
  if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    page = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return page + 24;
}

// SQLite's busy handler for the checkpointer's connection: a RESTART
// checkpoint waits here for readers of the WAL to finish, while the writer is
// paused, so it polls briefly (readers last well under a millisecond; SQLite's
// default handler would sleep a whole one first), up to `*polls` times.
int ReadersDone(void* polls, int calls) {
  if (calls >= *static_cast<const int*>(polls)) return 0;
  usleep(100);
  return 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Open(
    const std::string& path, std::timed_mutex& writer_lock, CheckpointOptions options) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(absl::StrCat(
        "sqlite: cannot open '", path,
        "' to checkpoint it: ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return s;
  }
  // A connection sees the WAL only once it has read the database: before
  // that its checkpoints report "not in WAL mode". synchronous=NORMAL as on
  // the store's connections: a checkpoint still fsyncs the WAL before it
  // copies and the database file after.
  char* err = nullptr;
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nullptr, nullptr,
                   &err) != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(absl::StrCat(
        "sqlite: cannot open '", path, "' to checkpoint it: ", err != nullptr ? err : ""));
    sqlite3_free(err);
    sqlite3_close_v2(db);
    return s;
  }
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(db, writer_lock, std::move(options)));
}

WalCheckpointer::WalCheckpointer(sqlite3* db, std::timed_mutex& writer_lock,
                                 CheckpointOptions options)
    : db_(db), writer_lock_(writer_lock), options_(std::move(options)) {
  sqlite3_busy_handler(db_, &ReadersDone, &reader_polls_);
  thread_ = std::thread([this] { Run(); });
  NameThread(thread_, "sc-checkpoint");
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  sqlite3_close_v2(db_);
}

void WalCheckpointer::Watch(sqlite3* writer) {
  // The WAL keeps its length after a restart (no size change for the
  // flusher's fdatasync to record) unless a burst grew it well past the
  // catch-up point; then the first commit after the restart trims it.
  const int64_t limit = 2 * static_cast<int64_t>(options_.catch_up_frames) * FrameBytes(writer);
  sqlite3_exec(writer, absl::StrCat("PRAGMA journal_size_limit=", limit).c_str(), nullptr, nullptr,
               nullptr);
  sqlite3_wal_hook(writer, &WalCheckpointer::OnCommit, this);
}

int WalCheckpointer::OnCommit(void* self, sqlite3* /*writer*/, const char* /*schema*/, int frames) {
  static_cast<WalCheckpointer*>(self)->Committed(frames);
  return SQLITE_OK;
}

void WalCheckpointer::Committed(int frames) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (frames < copied_) copied_ = 0;  // the WAL started again from its beginning
    frames_ = frames;
    wake = frames_ - copied_ >= options_.start_frames;
  }
  if (wake) cv_.notify_one();
}

WalCheckpointer::Outcome WalCheckpointer::Pass(bool under_writer_lock, int& frames, int& copied) {
  if (options_.before_pass) options_.before_pass();
  int log = -1;
  int done = -1;
  // Under the writer lock, RESTART: once every frame is copied it also waits
  // (ReadersDone) until no reader still reads frames of this WAL; a reader
  // that began before the copy ended would keep the writer's next
  // transaction appending (the WAL restarts only with no such reader).
  const int mode = under_writer_lock ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE;
  const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, mode, &log, &done);
  if (options_.after_pass) options_.after_pass(log, done, under_writer_lock);
  // Busy: another process's checkpoint ran, or a reader outlasted the wait;
  // what was copied is still counted.
  if ((rc != SQLITE_OK && rc != SQLITE_BUSY) || log < 0 || done < 0) return Outcome::kFailed;
  frames = log;
  copied = done;
  if (!under_writer_lock || rc != SQLITE_OK) return Outcome::kCopied;
  // Every frame copied and no reader left on them: the writer's next
  // transaction (this thread holds it off) starts the WAL again. Counted
  // from 0 now, before any commit can report a length of the new WAL.
  std::lock_guard<std::mutex> lock(mu_);
  frames_ = 0;
  copied_ = 0;
  return Outcome::kRestarts;
}

// Up to ~10 ms of the writer's time spent waiting for readers, once a WAL
// grown to catch_up_frames is copied.
constexpr int kCatchUpReaderPolls = 100;

// The writer starts the WAL again only if its transaction begins with every
// frame copied; without a pause, the next one has always begun by the time a
// pass ends, so the last frames are copied under the writer lock. SQLite
// syncs the database file only in a pass that reaches the WAL's end: under a
// busy writer, only that one, which then wrote to disk all the earlier passes
// copied (up to ~32 MiB) while the writer waited, 8-14 ms on this kind of
// machine (issue 21). Synced first, with one more pass for what was
// committed during that sync, the pass under the lock has only a few frames
// to write: ~1.7 ms.
WalCheckpointer::Outcome WalCheckpointer::CatchUp(int& frames, int& copied) {
  SyncDatabaseFile();
  if (Pass(/*under_writer_lock=*/false, frames, copied) != Outcome::kFailed) SyncDatabaseFile();
  std::lock_guard<std::timed_mutex> writer(writer_lock_);
  reader_polls_ = kCatchUpReaderPolls;
  return Pass(/*under_writer_lock=*/true, frames, copied);
}

void WalCheckpointer::SyncDatabaseFile() const {
  // Through SQLite's own handle of the file: opening and closing another
  // descriptor of the database would drop every POSIX lock this process
  // holds on it. Best effort: the pass under the writer lock syncs the file
  // again, and reports what fails there.
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr) {
    return;
  }
  (void)file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
}

// The pass was woken by a commit whose transaction may still hold the
// writer lock for a moment (the commit reports its frames from inside
// COMMIT): when nothing was committed after the frames just copied, wait for
// that transaction to end rather than miss the restart (on a loaded machine
// the pass can finish first). A writer that has committed since is busy: no
// wait, the next pass comes after start_frames more frames.
bool WalCheckpointer::WriterIdleAfter(int frames) {
  if (!NothingCommittedSince(frames)) return false;
  return writer_lock_.try_lock_for(std::chrono::seconds(1));
}

bool WalCheckpointer::NothingCommittedSince(int frames) {
  std::lock_guard<std::mutex> lock(mu_);
  return frames_ == frames;
}

void WalCheckpointer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || frames_ - copied_ >= options_.start_frames; });
    if (stopping_) return;
    const int asked_at = frames_;
    lock.unlock();
    int frames = 0;
    int copied = 0;
    Outcome outcome = Pass(/*under_writer_lock=*/false, frames, copied);
    if (outcome != Outcome::kFailed && frames >= options_.catch_up_frames) {
      outcome = CatchUp(frames, copied);
    } else if (outcome != Outcome::kFailed && copied == frames && WriterIdleAfter(frames)) {
      // An idle writer with every frame copied: restarting now costs it
      // nothing, and keeps the WAL short where writes are few.
      std::lock_guard<std::timed_mutex> writer(writer_lock_, std::adopt_lock);
      // A reader still on the old frames: not worth holding the writer for.
      reader_polls_ = 0;
      if (NothingCommittedSince(frames)) outcome = Pass(/*under_writer_lock=*/true, frames, copied);
    }
    lock.lock();
    if (outcome == Outcome::kRestarts) continue;  // counted from 0 already
    // A pass that failed (another process's checkpoint, an I/O error the
    // writer will meet too) is tried again after start_frames more frames,
    // not in a loop. A commit that reported fewer frames than were copied
    // came after the WAL started again: nothing of the new one is copied.
    copied_ = outcome == Outcome::kFailed ? asked_at : (frames_ >= copied ? copied : 0);
  }
}

}  // namespace stagecheck::store
