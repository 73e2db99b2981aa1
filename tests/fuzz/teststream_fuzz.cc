// libFuzzer target: the test-stream checker fed arbitrary datagrams, as
// hitless-probe recv is by whatever reaches its socket. Each input is split
// into datagrams by a leading length byte so sequences of packets (and the
// checker's state across them) are exercised too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "netem-scenarios/teststream/test_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hitless::teststream::Checker checker;
  std::span<const uint8_t> rest(data, size);
  int64_t t = 0;
  while (!rest.empty()) {
    const size_t len = std::min<size_t>(rest[0], rest.size() - 1);
    checker.OnDatagram(rest.subspan(1, len), hitless::Time::FromNanoseconds(t += 1000));
    rest = rest.subspan(1 + len);
  }
  (void)checker.missing();
  (void)checker.delay_percentile(0.99);
  return 0;
}
