// Checkpoints apart from the writer (issue 21). SQLite's automatic checkpoint
// runs inside the COMMIT that takes the WAL past 1000 frames, on the
// committing connection: that commit also copies the WAL's pages into the
// database file and fsyncs it. Under webhook load this was one commit in
// thirty, every ~30 ms, taking 6-10 ms instead of 0.2-0.5 ms, with every
// delivery queued behind it waiting (the p99 at half load).
//
// The store's writing connection hands that job to this thread instead
// (sqlite3_wal_hook replaces the automatic checkpoint). The thread checkpoints
// PASSIVE on a connection of its own while the writer goes on committing.
// The WAL starts again from its beginning only when a write transaction
// begins with every frame in it copied; with a writer that never pauses, the
// next transaction has always begun before a passive checkpoint ends. So
// once the WAL has grown past `catch_up_frames`, the thread copies what the
// writer appended during its last pass while holding the store's writer
// lock, and waits there for the readers of its old frames to finish (a
// RESTART checkpoint): a pause of one short pass, not one per 1000 frames.
// When a pass has copied everything and the writer is idle, the thread
// restarts the WAL at once (the same RESTART, nothing left to copy), so that
// where writes are few the WAL stays as short as SQLite would keep it.
//
// Durability does not change: a checkpoint fsyncs the WAL before it copies
// and the database file after, as the automatic one did; the frames it copies
// were committed, and acknowledged writes were already flushed
// (wal_flusher.h).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

struct sqlite3;

namespace stagecheck::store {

struct CheckpointOptions {
  // A pass starts once this many frames were committed since the last pass
  // copied (SQLite's own automatic threshold).
  int start_frames = 1000;
  // A WAL this long (frames) is brought to its end under the writer lock, so
  // that the writer's next transaction restarts it (~32 MiB of 4 KiB pages).
  int catch_up_frames = 8192;
  // Tests only: before each pass, and after it with the WAL's frames and how
  // many of them are now copied into the database.
  std::function<void()> before_pass = nullptr;
  std::function<void(int frames, int copied, bool under_writer_lock)> after_pass = nullptr;
};

class WalCheckpointer {
 public:
  // Opens a connection of its own to the database at `path` (which exists,
  // in WAL mode). `writer_lock` is the lock every write transaction of the
  // store holds; it outlives the checkpointer.
  static absl::StatusOr<std::unique_ptr<WalCheckpointer>> Open(const std::string& path,
                                                               std::timed_mutex& writer_lock,
                                                               CheckpointOptions options);
  ~WalCheckpointer();  // stops the thread, then closes its connection
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // From now on `writer` no longer checkpoints in its commits: each commit
  // reports the WAL's length here. `writer` must close before this object
  // goes away.
  void Watch(sqlite3* writer);

 private:
  WalCheckpointer(sqlite3* db, std::timed_mutex& writer_lock, CheckpointOptions options);
  static int OnCommit(void* self, sqlite3* writer, const char* schema, int frames);
  void Committed(int frames);
  void Run();
  enum class Outcome {
    kFailed,    // SQLite refused it (an I/O error, another process's checkpoint)
    kCopied,    // `copied` of the WAL's `frames` are in the database file
    kRestarts,  // all of them, and the writer's next transaction restarts the WAL
  };
  // One checkpoint: PASSIVE, or under the writer lock RESTART.
  Outcome Pass(bool under_writer_lock, int& frames, int& copied);
  // Whether the writer's last commit left the WAL `frames` long.
  bool NothingCommittedSince(int frames);
  // Takes the writer lock if nothing was committed after `frames`, waiting
  // (bounded) for the transaction that committed them to end.
  bool WriterIdleAfter(int frames);
  // A WAL of catch_up_frames brought to its end, the last of it under the
  // writer lock.
  Outcome CatchUp(int& frames, int& copied);
  // Syncs the database file, so that what passes copied is on disk before
  // the pass under the writer lock (see CatchUp).
  void SyncDatabaseFile() const;

  sqlite3* const db_;
  std::timed_mutex& writer_lock_;
  const CheckpointOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  int frames_ = 0;  // guarded by mu_: the WAL's length at the writer's last commit
  int copied_ = 0;  // guarded by mu_: frames copied by the last pass
  bool stopping_ = false;
  int reader_polls_ = 0;  // this thread's: how long a RESTART waits for readers
  std::thread thread_;
};

}  // namespace stagecheck::store
