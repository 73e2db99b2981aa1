// libFuzzer target: a Connection (handshake + sender or receiver session)
// driven by fuzzed datagrams and fuzzed, non-decreasing time, in every
// role/direction. The first input byte picks the role and direction; the rest
// is a script of steps: [u8 op][u16 time advance in 0.1 ms][u8 length][bytes].
// Ops: datagram from peer A or B, media payload, timer. Valid packets are
// mixed in by letting op bytes splice a real session header (session id of
// the current negotiated session) in front of the fuzzed body, so the
// session layers behind the handshake are reached too.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "transport/session/connection.h"
#include "transport/wire/header.h"

namespace {

using namespace hitless;           // NOLINT
using namespace hitless::session;  // NOLINT

class NullSink final : public DatagramSink, public MediaSink {
 public:
  void SendDatagram(std::span<const uint8_t> d, uint8_t) override { bytes += d.size(); }
  void DeliverMedia(std::span<const uint8_t> p, Time) override { bytes += p.size(); }
  uint64_t bytes = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  ConnectionConfig config;
  config.role = (data[0] & 1) ? Role::kListener : Role::kCaller;
  config.direction = (data[0] & 2) ? MediaDirection::kReceive : MediaDirection::kSend;
  config.stream_id = "s";
  config.latency = Duration::Milliseconds(20 + (data[0] >> 2) * 10);
  config.seed = data[0];
  config.cookie_secret.fill(1);
  NullSink sink;
  Time now = Time::FromNanoseconds(1'000'000'000);
  auto created = Connection::Create(config, now, &sink, &sink);
  if (!created.ok()) return 0;
  std::unique_ptr<Connection> c = *std::move(created);
  std::vector<uint8_t> reply(kMaxDatagramSize);
  std::vector<uint8_t> datagram;
  size_t i = 1;
  while (i + 4 <= size) {
    const uint8_t op = data[i];
    now += Duration::Microseconds(100 * (data[i + 1] | data[i + 2] << 8));
    const size_t len = std::min<size_t>(data[i + 3], size - (i + 4));
    const std::span<const uint8_t> bytes(data + i + 4, len);
    i += 4 + len;
    switch (op % 4) {
      case 0:
      case 1: {
        datagram.assign(bytes.begin(), bytes.end());
        // Splice a plausible header for the current session to reach the
        // session's parsers.
        if ((op & 0x80) && c->negotiated() && datagram.size() >= kHeaderSize) {
          const uint32_t id = c->negotiated()->session_id;
          datagram[0] = kWireVersion;
          datagram[1] = static_cast<uint8_t>(1 + (op >> 2) % 7);
          datagram[2] &= 0x01;
          datagram[4] = static_cast<uint8_t>(id >> 24);
          datagram[5] = static_cast<uint8_t>(id >> 16);
          datagram[6] = static_cast<uint8_t>(id >> 8);
          datagram[7] = static_cast<uint8_t>(id);
        }
        const uint8_t peer[1] = {static_cast<uint8_t>(op % 2)};
        const DatagramResult r = c->OnDatagram(datagram, peer, now, reply);
        if (r.reply_size > reply.size()) __builtin_trap();
        break;
      }
      case 2:
        c->OnMedia(bytes, now);
        break;
      case 3:
        c->OnTimer(now);
        break;
    }
  }
  c->Close(now);
  return 0;
}
