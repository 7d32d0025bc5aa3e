#include "core/thread_name.h"

#include <pthread.h>

#include <algorithm>

namespace stagecheck {

namespace {

constexpr size_t kMaxNameBytes = 15;  // Linux's TASK_COMM_LEN, less its NUL

void Name(pthread_t thread, std::string_view name) {
#if defined(__linux__)
  const std::string cut(name.substr(0, std::min(name.size(), kMaxNameBytes)));
  (void)pthread_setname_np(thread, cut.c_str());
#else
  (void)thread;
  (void)name;
#endif
}

}  // namespace

void NameThread(std::thread& thread, std::string_view name) {
  if (thread.joinable()) Name(thread.native_handle(), name);
}

void NameThisThread(std::string_view name) { Name(pthread_self(), name); }

std::string ThisThreadName() {
#if defined(__linux__)
  char name[kMaxNameBytes + 1] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof name) != 0) return "";
  return name;
#else
  return "";
#endif
}

}  // namespace stagecheck
