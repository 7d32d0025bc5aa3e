// One write system call per commit for the WAL (issue 21). SQLite appends
// each WAL frame with two pwrites, its 24-byte header and then its page: a
// batch of webhook deliveries appends ~30 frames, 60 system calls, which on
// this kind of VM took ~135 µs of the committer's time where one pwrite of
// the same bytes takes ~17 µs (docs/performance.md, twenty-first round).
//
// This VFS wraps the default one. For -wal files only, it gathers the frames
// a transaction appends in memory and writes them with one call as soon as
// the commit frame is complete: inside the commit's own last write, so a
// failure fails the commit as it did before, and before the commit makes its
// frames visible to readers (SQLite publishes them after that write). Any
// other use of the file (a read, a write elsewhere, a sync, a truncate, its
// size, a file control, closing it) first writes what is gathered, so SQLite
// finds the file exactly as if every write had gone straight through. A
// transaction too large for the buffer (4 MiB: a bulk import spilling its
// cache) writes it out whenever it fills. Database files and every other
// file pass straight to the default VFS.
#pragma once

#include <cstddef>

namespace stagecheck::store {

// The VFS's name for sqlite3_open_v2; registered on first call (not as the
// default VFS). Null when SQLite has no default VFS to wrap.
const char* WalAppendVfsName();

// Tests only: how many frames' bytes the -wal files opened through the VFS
// hold in memory right now, all files together. Zero whenever no write
// transaction is between its first frame and its commit.
size_t WalAppendVfsBufferedBytes();

}  // namespace stagecheck::store
