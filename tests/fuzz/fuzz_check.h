#ifndef OAUTHD_TESTS_FUZZ_FUZZ_CHECK_H_
#define OAUTHD_TESTS_FUZZ_FUZZ_CHECK_H_

// Properties the fuzz targets assert. A failed check aborts, which libFuzzer
// reports as a crash (and saves the input) and the corpus replay as a test
// failure. Messages name the property, never the input (it may be a token).

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                        \
  do {                                                                               \
    if (!(condition)) {                                                              \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, \
                   #condition);                                                      \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

#endif  // OAUTHD_TESTS_FUZZ_FUZZ_CHECK_H_
