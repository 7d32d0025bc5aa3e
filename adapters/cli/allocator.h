// The heap allocator the process runs on, and its tuning for a server.
//
// Release builds link mimalloc (Debian's libmimalloc2.0): the webhook's
// buffers are allocated on an io thread and freed on the committer's, where
// glibc's arenas spent ~7k instructions a delivery in malloc and free
// (callgrind, issue 21); mimalloc's per-thread pages and delayed cross-thread
// frees about halve that. Sanitizer and fuzz builds keep glibc's (ASan
// replaces malloc itself).
#pragma once

#include <string>

namespace stagecheck::cli {

// "mimalloc 2.0.9" when malloc and operator new really are served by
// mimalloc (checked on a fresh block, not assumed from the link line), else
// "glibc". The server logs it at start.
std::string AllocatorName();

// glibc only: keep freed memory for reuse instead of returning it to the
// kernel after every burst. mimalloc's defaults already do (freed pages are
// reset only after a delay).
void TuneAllocatorForServer();

}  // namespace stagecheck::cli
