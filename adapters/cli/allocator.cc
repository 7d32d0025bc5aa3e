#include "adapters/cli/allocator.h"

#include <malloc.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"

#ifdef STAGECHECK_WITH_MIMALLOC
#include <mimalloc.h>
#endif

namespace stagecheck::cli {

std::string AllocatorName() {
#ifdef STAGECHECK_WITH_MIMALLOC
  // Linked is not enough: malloc is mimalloc's only if its library comes
  // before libc in the lookup order, and operator new goes through malloc.
  void* block = std::malloc(64);
  const auto object = std::make_unique<char[]>(64);
  const bool in_use = mi_is_in_heap_region(block) && mi_is_in_heap_region(object.get());
  std::free(block);
  if (in_use) {
    const int v = mi_version();  // e.g. 209 for 2.0.9
    return absl::StrCat("mimalloc ", v / 100, ".", (v / 10) % 10, ".", v % 10);
  }
#endif
  return "glibc";
}

void TuneAllocatorForServer() {
  // A server allocates and frees the same sizes all day: glibc's defaults
  // hand memory back to the kernel after every burst (trim, and mmap for
  // blocks from 128 KiB) and take it back through page faults, a tenth of
  // the webhook's CPU under load (perf, issue 21). Fixed thresholds keep it.
  // Under mimalloc these settings reach an allocator nobody calls: harmless.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace stagecheck::cli
