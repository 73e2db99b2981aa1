// CookieMinter: HMAC-SHA256 cookies over a bounded, length-prefixed message.
#include "transport/crypto/cookie.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>

#include "transport/base/bug.h"
#include "transport/base/byte_io.h"

namespace hitless {
namespace {

// Peer bytes up to this size (a sockaddr_storage) enter the MAC directly;
// longer ones enter as their SHA-256, under a distinct tag byte.
constexpr size_t kMaxDirectPeerBytes = 128;
constexpr uint8_t kTagDirect = 1;
constexpr uint8_t kTagHashed = 2;

}  // namespace

CookieSecret CookieMinter::RandomSecret() {
  CookieSecret secret{};
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    HITLESS_BUG("RAND_bytes failed: no secret for handshake cookies");
    std::abort();
  }
  return secret;
}

int64_t CookieMinter::BucketOf(Time now) {
  const int64_t ns = now.ToNanoseconds();
  const int64_t width = kCookieBucket.ToNanoseconds();
  // Floor division, so negative (test or fuzzed) times bucket consistently.
  return ns / width - ((ns % width) < 0 ? 1 : 0);
}

bool CookieMinter::Compute(std::span<const uint8_t> peer_bytes, uint32_t initiator_session_id,
                           int64_t bucket, CookieMac& out) const {
  // tag | u16 length | peer (or its hash) | u32 session id | u64 bucket
  std::array<uint8_t, 1 + 2 + kMaxDirectPeerBytes + 4 + 8> message{};
  std::array<uint8_t, SHA256_DIGEST_LENGTH> peer_hash{};
  uint8_t tag = kTagDirect;
  if (peer_bytes.size() > kMaxDirectPeerBytes) {
    if (SHA256(peer_bytes.data(), peer_bytes.size(), peer_hash.data()) == nullptr) return false;
    peer_bytes = peer_hash;
    tag = kTagHashed;
  }
  ByteWriter writer(message);
  writer.WriteU8(tag);
  writer.WriteU16(static_cast<uint16_t>(peer_bytes.size()));
  writer.WriteBytes(peer_bytes);
  writer.WriteU32(initiator_session_id);
  writer.WriteU64(static_cast<uint64_t>(bucket));
  if (!writer.ok()) return false;

  std::array<uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()), message.data(),
           writer.written(), mac.data(), &mac_size) == nullptr ||
      mac_size < kCookieMacSize) {
    return false;
  }
  std::memcpy(out.data(), mac.data(), out.size());
  return true;
}

CookieMac CookieMinter::Mint(std::span<const uint8_t> peer_bytes, uint32_t initiator_session_id,
                             int64_t bucket) const {
  CookieMac cookie{};
  // A failed MAC yields zeros, which Verify() never accepts (it fails closed).
  if (!Compute(peer_bytes, initiator_session_id, bucket, cookie)) {
    HITLESS_BUG("HMAC-SHA256 failed");
    cookie.fill(0);
  }
  return cookie;
}

bool CookieMinter::Verify(std::span<const uint8_t> peer_bytes, uint32_t initiator_session_id,
                          std::span<const uint8_t, kCookieMacSize> cookie, Time now) const {
  const int64_t bucket = BucketOf(now);
  bool ok = false;
  for (const int64_t b : {bucket, bucket - 1}) {
    CookieMac expected{};
    if (!Compute(peer_bytes, initiator_session_id, b, expected)) {
      HITLESS_BUG("HMAC-SHA256 failed");
      return false;
    }
    // Both buckets are always computed, so timing reveals no more either.
    ok |= CRYPTO_memcmp(expected.data(), cookie.data(), kCookieMacSize) == 0;
  }
  return ok;
}

}  // namespace hitless
