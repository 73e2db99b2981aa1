// libFuzzer target: SRT streamids (hitless-relay parses whatever an SRT
// caller sends in its handshake). Checks: a request names a stream of
// 1..512 bytes without control characters, found in the streamid itself;
// a refusal is InvalidArgument with a bounded message; a bare name parses
// back to itself, and an accepted request re-parses the same once written
// in the access-control form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "relay/srt_streamid.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using hitless::relay::ParseSrtStreamId;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto request = ParseSrtStreamId(text);
  if (!request.ok()) {
    if (request.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    // Messages quote at most the streamid (512 bytes) and a sentence.
    if (request.status().message().size() > 512 + 128) std::abort();
    return 0;
  }
  const std::string& stream = request->stream;
  if (stream.empty() || stream.size() > 512) std::abort();
  for (const char c : stream) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
  }
  if (text.find(stream) == std::string_view::npos) std::abort();
  // The access-control form of the same request says the same, when the
  // name fits in it (no ',' and the whole at most 512 bytes).
  if (stream.find(',') == std::string::npos) {
    const std::string again = "#!::r=" + stream + (request->publish ? ",m=publish" : "");
    if (again.size() <= 512) {
      const auto reparsed = ParseSrtStreamId(again);
      if (!reparsed.ok() || reparsed->stream != stream || reparsed->publish != request->publish) {
        std::abort();
      }
    }
  }
  return 0;
}
