// libFuzzer target for the wire format (transport/wire, docs/wire-format.md).
//
// Parses the input as a datagram: the common header, then the typed body
// (treating ciphertext as plaintext, as a decrypt-then-parse would see it).
// Every rejection must carry a DropReason. Anything accepted must serialize
// back to the same number of bytes and re-parse to an equal header and body;
// any mismatch aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "transport/wire/packet.h"
#include "transport/wire/wire_error.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "wire_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hitless;
  const std::span<const uint8_t> input(data, size);
  auto view = ParseHeader(input);
  if (!view.ok()) {
    (void)DropReasonOf(view.status());  // aborts (HITLESS_BUG) if reasonless
    return 0;
  }
  auto body = ParseBody(view->header, view->body);
  if (!body.ok()) {
    (void)DropReasonOf(body.status());
    return 0;
  }
  if (TypeOf(*body) != view->header.type) Fail("body alternative does not match type");

  uint8_t out[kMaxDatagramSize];
  const size_t n = Serialize(view->header, *body, out);
  if (n == 0) Fail("accepted packet did not serialize");
  if (n != size) Fail("re-serialized size differs");
  auto view2 = ParseHeader(std::span<const uint8_t>(out, n));
  if (!view2.ok()) Fail("re-serialized header did not parse");
  if (!(view2->header == view->header)) Fail("header changed in round trip");
  auto body2 = ParseBody(view2->header, view2->body);
  if (!body2.ok()) Fail("re-serialized body did not parse");
  if (!(*body2 == *body)) Fail("body changed in round trip");
  return 0;
}
