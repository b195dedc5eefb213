// The invariant check of the fuzz targets: unlike assert() it stays on in
// optimised builds, and a failure aborts so that libFuzzer records the input.
// (A macro because clang 14 with libstdc++ has no std::source_location.)
#pragma once

#include <cstdio>
#include <cstdlib>

// Aborts, naming the condition, `what` and the line, when `condition` is false.
#define LIAISON_FUZZ_CHECK(condition, what)                                                       \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s (%s)\n", __FILE__, __LINE__, what, \
                   #condition);                                                                   \
      std::abort();                                                                               \
    }                                                                                             \
  } while (false)
