// Stream access proofs: HMAC-SHA256 over a length-prefixed message.
#include "transport/crypto/stream_proof.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <vector>

#include "transport/base/byte_io.h"

namespace hitless {
namespace {

constexpr std::string_view kLabel = "hitless stream proof v1";

bool Compute(std::string_view secret, std::span<const uint8_t> cookie, uint32_t session_id,
             StreamRole role, std::string_view stream_id, StreamProof& out) {
  std::vector<uint8_t> message(kLabel.size() + 2 + cookie.size() + 4 + 1 + 2 + stream_id.size());
  ByteWriter writer(message);
  writer.WriteBytes(std::span(reinterpret_cast<const uint8_t*>(kLabel.data()), kLabel.size()));
  writer.WriteU16(static_cast<uint16_t>(cookie.size()));
  writer.WriteBytes(cookie);
  writer.WriteU32(session_id);
  writer.WriteU8(static_cast<uint8_t>(role));
  writer.WriteU16(static_cast<uint16_t>(stream_id.size()));
  writer.WriteBytes(
      std::span(reinterpret_cast<const uint8_t*>(stream_id.data()), stream_id.size()));
  if (!writer.ok() || cookie.size() > 0xFFFF || stream_id.size() > 0xFFFF) return false;
  std::array<uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), message.data(),
           writer.written(), mac.data(), &mac_size) == nullptr ||
      mac_size < kProofSize) {
    return false;
  }
  std::memcpy(out.data(), mac.data(), out.size());
  return true;
}

}  // namespace

StreamProof MakeStreamProof(std::string_view secret, std::span<const uint8_t> cookie,
                            uint32_t initiator_session_id, StreamRole role,
                            std::string_view stream_id) {
  StreamProof proof{};
  if (!Compute(secret, cookie, initiator_session_id, role, stream_id, proof)) proof.fill(0);
  return proof;
}

bool VerifyStreamProof(std::string_view secret, std::span<const uint8_t> cookie,
                       uint32_t initiator_session_id, StreamRole role, std::string_view stream_id,
                       std::span<const uint8_t> proof) {
  StreamProof want{};
  if (proof.size() != kProofSize ||
      !Compute(secret, cookie, initiator_session_id, role, stream_id, want)) {
    return false;
  }
  return CRYPTO_memcmp(want.data(), proof.data(), kProofSize) == 0;
}

}  // namespace hitless
