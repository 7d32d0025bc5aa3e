#include "adapters/store/sqlite/wal_append_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <new>
#include <vector>

namespace stagecheck::store {
namespace {

// SQLite's WAL file format (https://sqlite.org/fileformat2.html#walformat):
// a 32-byte header, then frames of a 24-byte header and one page. A frame
// header's bytes 4-7 (big-endian) hold the database's size in pages after a
// commit for the frame that commits a transaction, and zero for every other.
constexpr int kWalHeaderBytes = 32;
constexpr int kFrameHeaderBytes = 24;
// A transaction larger than this (a bulk import spilling its page cache)
// writes its frames out each time the buffer fills.
constexpr size_t kMaxBuffered = 4 << 20;
constexpr size_t kInitialBuffer = 256 << 10;

std::atomic<size_t> g_buffered{0};

// The frames a transaction appended and has not written yet.
struct Gathered {
  std::vector<char> bytes;
  sqlite3_int64 at = 0;  // the file offset of bytes[0]
  // Where the transaction's next frame will go: the end of the last append.
  // -1 until the first write after opening tells.
  sqlite3_int64 append_at = -1;
  // The last frame header written was a commit frame's: its page, the next
  // write, completes the transaction's frames.
  bool commit_frame_open = false;
};

// SQLite's handle of a -wal file: its sqlite3_file, then in the same
// allocation (at kRealOffset) the default VFS's handle of the same file.
struct WalFile {
  sqlite3_file base;
  sqlite3_file* real;
  Gathered* gathered;
};
constexpr int kRealOffset = static_cast<int>((sizeof(WalFile) + 7) & ~size_t{7});

WalFile& Wal(sqlite3_file* file) { return *reinterpret_cast<WalFile*>(file); }
const sqlite3_io_methods& Real(const WalFile& wal) { return *wal.real->pMethods; }

// The unix VFS writes at most 128 KiB - 1 bytes a call (it masks the length
// to 17 bits): larger runs go in pieces of this size.
constexpr size_t kMaxWrite = 124 << 10;

int WriteInPieces(WalFile& wal, const std::vector<char>& bytes, sqlite3_int64 at) {
  for (size_t done = 0; done < bytes.size();) {
    const size_t n = std::min(kMaxWrite, bytes.size() - done);
    const int rc = Real(wal).xWrite(wal.real, bytes.data() + done, static_cast<int>(n),
                                    at + static_cast<sqlite3_int64>(done));
    if (rc != SQLITE_OK) return rc;
    done += n;
  }
  return SQLITE_OK;
}

int Flush(WalFile& wal) {
  Gathered& g = *wal.gathered;
  if (g.bytes.empty()) return SQLITE_OK;
  const int rc = WriteInPieces(wal, g.bytes, g.at);
  g_buffered.fetch_sub(g.bytes.size(), std::memory_order_relaxed);
  // After a failed write the file's end is not known: the next write goes
  // straight through and says where appending goes on.
  g.append_at = rc == SQLITE_OK ? g.at + static_cast<sqlite3_int64>(g.bytes.size()) : -1;
  g.bytes.clear();
  return rc;
}

// A write that does not continue the appended frames (a page rewritten in
// place, checksums recomputed): everything gathered goes first, in order.
int WriteThrough(WalFile& wal, const void* data, int amount, sqlite3_int64 offset) {
  if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
  const int rc = Real(wal).xWrite(wal.real, data, amount, offset);
  Gathered& g = *wal.gathered;
  if (rc == SQLITE_OK && offset + amount > g.append_at) g.append_at = offset + amount;
  return rc;
}

int Gather(WalFile& wal, const void* data, int amount, sqlite3_int64 offset) {
  Gathered& g = *wal.gathered;
  const sqlite3_int64 end =
      g.bytes.empty() ? g.append_at : g.at + static_cast<sqlite3_int64>(g.bytes.size());
  // A WAL started again begins with its header at offset 0.
  const bool continues =
      offset == end || (g.bytes.empty() && offset == 0 && amount == kWalHeaderBytes);
  if (!continues) return WriteThrough(wal, data, amount, offset);
  if (g.bytes.size() + static_cast<size_t>(amount) > kMaxBuffered) {
    if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
  }
  if (g.bytes.empty()) g.at = offset;
  // Only the writing connection's handle ever gathers: the others keep no buffer.
  if (g.bytes.capacity() == 0) g.bytes.reserve(kInitialBuffer);
  const char* bytes = static_cast<const char*>(data);
  g.bytes.insert(g.bytes.end(), bytes, bytes + amount);
  g_buffered.fetch_add(static_cast<size_t>(amount), std::memory_order_relaxed);
  return SQLITE_OK;
}

bool IsCommitFrameHeader(const void* data, int amount) {
  if (amount != kFrameHeaderBytes) return false;
  const auto* b = static_cast<const unsigned char*>(data);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int WalWrite(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  WalFile& wal = Wal(file);
  Gathered& g = *wal.gathered;
  const bool completes_commit = g.commit_frame_open && amount != kFrameHeaderBytes;
  g.commit_frame_open = IsCommitFrameHeader(data, amount);
  const int rc = Gather(wal, data, amount, offset);
  // Written before this, the commit's last write, returns: before SQLite
  // publishes the frames to readers, and with any error failing the commit.
  return rc == SQLITE_OK && completes_commit ? Flush(wal) : rc;
}

int WalClose(sqlite3_file* file) {
  WalFile& wal = Wal(file);
  const int flushed = Flush(wal);
  const int closed = Real(wal).xClose(wal.real);
  delete wal.gathered;
  wal.gathered = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

// Every other use of the file sees it as written.
int WalRead(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  WalFile& wal = Wal(file);
  if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return Real(wal).xRead(wal.real, out, amount, offset);
}

int WalTruncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile& wal = Wal(file);
  if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
  wal.gathered->append_at = -1;
  return Real(wal).xTruncate(wal.real, size);
}

int WalSync(sqlite3_file* file, int flags) {
  WalFile& wal = Wal(file);
  if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return Real(wal).xSync(wal.real, flags);
}

int WalFileSize(sqlite3_file* file, sqlite3_int64* size) {
  WalFile& wal = Wal(file);
  if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return Real(wal).xFileSize(wal.real, size);
}

int WalFileControl(sqlite3_file* file, int op, void* arg) {
  WalFile& wal = Wal(file);
  if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return Real(wal).xFileControl(wal.real, op, arg);
}

int WalLock(sqlite3_file* file, int level) {
  WalFile& wal = Wal(file);
  return Real(wal).xLock(wal.real, level);
}

int WalUnlock(sqlite3_file* file, int level) {
  WalFile& wal = Wal(file);
  return Real(wal).xUnlock(wal.real, level);
}

int WalCheckReservedLock(sqlite3_file* file, int* out) {
  WalFile& wal = Wal(file);
  return Real(wal).xCheckReservedLock(wal.real, out);
}

int WalSectorSize(sqlite3_file* file) {
  WalFile& wal = Wal(file);
  return Real(wal).xSectorSize(wal.real);
}

int WalDeviceCharacteristics(sqlite3_file* file) {
  WalFile& wal = Wal(file);
  return Real(wal).xDeviceCharacteristics(wal.real);
}

// The shared-memory and mmap methods belong to database files; SQLite does
// not call them on a WAL, but a handle answers what its real one would.
int WalShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  WalFile& wal = Wal(file);
  if (Real(wal).iVersion < 2 || Real(wal).xShmMap == nullptr) return SQLITE_IOERR;
  return Real(wal).xShmMap(wal.real, page, size, extend, out);
}

int WalShmLock(sqlite3_file* file, int offset, int n, int flags) {
  WalFile& wal = Wal(file);
  if (Real(wal).iVersion < 2 || Real(wal).xShmLock == nullptr) return SQLITE_IOERR;
  return Real(wal).xShmLock(wal.real, offset, n, flags);
}

void WalShmBarrier(sqlite3_file* file) {
  WalFile& wal = Wal(file);
  if (Real(wal).iVersion >= 2 && Real(wal).xShmBarrier != nullptr) Real(wal).xShmBarrier(wal.real);
}

int WalShmUnmap(sqlite3_file* file, int delete_flag) {
  WalFile& wal = Wal(file);
  if (Real(wal).iVersion < 2 || Real(wal).xShmUnmap == nullptr) return SQLITE_OK;
  return Real(wal).xShmUnmap(wal.real, delete_flag);
}

int WalFetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  WalFile& wal = Wal(file);
  *out = nullptr;  // "no mapping": SQLite reads instead
  if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
  if (Real(wal).iVersion < 3 || Real(wal).xFetch == nullptr) return SQLITE_OK;
  return Real(wal).xFetch(wal.real, offset, amount, out);
}

int WalUnfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  WalFile& wal = Wal(file);
  if (Real(wal).iVersion < 3 || Real(wal).xUnfetch == nullptr) return SQLITE_OK;
  return Real(wal).xUnfetch(wal.real, offset, page);
}

const sqlite3_io_methods kWalMethods = {
    3,
    WalClose,
    WalRead,
    WalWrite,
    WalTruncate,
    WalSync,
    WalFileSize,
    WalLock,
    WalUnlock,
    WalCheckReservedLock,
    WalFileControl,
    WalSectorSize,
    WalDeviceCharacteristics,
    WalShmMap,
    WalShmLock,
    WalShmBarrier,
    WalShmUnmap,
    WalFetch,
    WalUnfetch,
};

sqlite3_vfs* Base(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* base = Base(vfs);
  // Every other file is the default VFS's own handle, in the same memory.
  if ((flags & SQLITE_OPEN_WAL) == 0) return base->xOpen(base, name, file, flags, out_flags);
  WalFile& wal = Wal(file);
  wal.base.pMethods = nullptr;  // SQLite calls no method of a file that failed to open
  wal.real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  const int rc = base->xOpen(base, name, wal.real, flags, out_flags);
  if (rc != SQLITE_OK || wal.real->pMethods == nullptr) return rc;
  wal.gathered = new (std::nothrow) Gathered;
  if (wal.gathered == nullptr) {
    wal.real->pMethods->xClose(wal.real);
    return SQLITE_NOMEM;
  }
  wal.base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

// The rest of the VFS is the default one's, called with its own handle.
int Delete(sqlite3_vfs* v, const char* name, int sync_dir) {
  return Base(v)->xDelete(Base(v), name, sync_dir);
}
int Access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return Base(v)->xAccess(Base(v), name, flags, out);
}
int FullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return Base(v)->xFullPathname(Base(v), name, n, out);
}
void* DlOpen(sqlite3_vfs* v, const char* name) { return Base(v)->xDlOpen(Base(v), name); }
void DlError(sqlite3_vfs* v, int n, char* out) { Base(v)->xDlError(Base(v), n, out); }
void (*DlSym(sqlite3_vfs* v, void* handle, const char* symbol))(void) {
  return Base(v)->xDlSym(Base(v), handle, symbol);
}
void DlClose(sqlite3_vfs* v, void* handle) { Base(v)->xDlClose(Base(v), handle); }
int Randomness(sqlite3_vfs* v, int n, char* out) { return Base(v)->xRandomness(Base(v), n, out); }
int Sleep(sqlite3_vfs* v, int micros) { return Base(v)->xSleep(Base(v), micros); }
int CurrentTime(sqlite3_vfs* v, double* out) { return Base(v)->xCurrentTime(Base(v), out); }
int GetLastError(sqlite3_vfs* v, int n, char* out) {
  return Base(v)->xGetLastError(Base(v), n, out);
}
int CurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
  return Base(v)->xCurrentTimeInt64(Base(v), out);
}

sqlite3_vfs* Register() {
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  if (base == nullptr || base->iVersion < 2) return nullptr;
  static sqlite3_vfs vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = std::max(base->szOsFile, kRealOffset + base->szOsFile);
  vfs.mxPathname = base->mxPathname;
  vfs.zName = "stagecheck-wal-append";
  vfs.pAppData = base;
  vfs.xOpen = Open;
  vfs.xDelete = Delete;
  vfs.xAccess = Access;
  vfs.xFullPathname = FullPathname;
  vfs.xDlOpen = DlOpen;
  vfs.xDlError = DlError;
  vfs.xDlSym = DlSym;
  vfs.xDlClose = DlClose;
  vfs.xRandomness = Randomness;
  vfs.xSleep = Sleep;
  vfs.xCurrentTime = CurrentTime;
  vfs.xGetLastError = GetLastError;
  vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK) return nullptr;
  return &vfs;
}

}  // namespace

const char* WalAppendVfsName() {
  static sqlite3_vfs* const vfs = Register();
  return vfs != nullptr ? vfs->zName : nullptr;
}

size_t WalAppendVfsBufferedBytes() { return g_buffered.load(std::memory_order_relaxed); }

}  // namespace stagecheck::store
