#include "transport/base/bug.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace hitless {
namespace {
std::atomic<uint64_t> g_bug_count{0};
}  // namespace

uint64_t BugCount() { return g_bug_count.load(std::memory_order_relaxed); }

void ReportBug(const char* message, const char* file, int line) {
  const uint64_t n = g_bug_count.fetch_add(1, std::memory_order_relaxed);
  if (n < 16) std::fprintf(stderr, "HITLESS_BUG at %s:%d: %s\n", file, line, message);
#ifndef NDEBUG
  std::abort();
#endif
}

}  // namespace hitless
