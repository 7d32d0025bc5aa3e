// Names for the service's own threads, so that `top -H`, `ps -L`, gdb and
// perf tell the io thread from the committer or the WAL flusher (all of
// them are otherwise "stagecheck"). docs/operations.md lists them.
#pragma once

#include <string>
#include <string_view>
#include <thread>

namespace stagecheck {

// Names `thread` (from the thread that started it, so that the name is set
// when this returns), or the calling thread. Linux keeps 15 bytes of a name:
// a longer one is cut there. Best effort: a platform without thread names
// ignores it.
void NameThread(std::thread& thread, std::string_view name);
void NameThisThread(std::string_view name);

// The calling thread's name ("" where the platform has none).
std::string ThisThreadName();

}  // namespace stagecheck
