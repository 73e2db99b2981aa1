// Stream access proofs: how a caller shows a relay it holds a stream's
// publish or subscribe secret without sending it (docs/wire-format.md,
// "Stream access").
//
// proof = HMAC-SHA256(secret, "hitless stream proof v1" | cookie |
//                     u32 initiator session id | u8 role | u16 n | stream id)
// truncated to 16 bytes. The cookie is the responder's, bound to the
// caller's address and a 10-20 s time bucket, so a proof is worth nothing
// from another address or a minute later; the role (1 publish, 2 subscribe)
// keeps a subscribe proof from opening the publish side.
// Stateless; no clock.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace hitless {

inline constexpr size_t kProofSize = 16;
using StreamProof = std::array<uint8_t, kProofSize>;

enum class StreamRole : uint8_t { kPublish = 1, kSubscribe = 2 };

// The proof for these fields (all zeros if HMAC fails: such a proof never
// verifies, see VerifyStreamProof).
StreamProof MakeStreamProof(std::string_view secret, std::span<const uint8_t> cookie,
                            uint32_t initiator_session_id, StreamRole role,
                            std::string_view stream_id);

// True when `proof` is the proof for these fields; compared in constant time.
bool VerifyStreamProof(std::string_view secret, std::span<const uint8_t> cookie,
                       uint32_t initiator_session_id, StreamRole role, std::string_view stream_id,
                       std::span<const uint8_t> proof);

}  // namespace hitless
