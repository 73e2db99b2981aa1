// libFuzzer target: the relay core with a publisher and a subscriber
// established in memory first (a real handshake), then a script of fuzzed
// steps: [u8 op][u16 time advance in 0.1 ms][u8 length][bytes]. Ops: a
// datagram from peer 0, 1 or 2 (op bit 7 splices a header for the
// publisher's or the subscriber's session id so the sessions behind the
// handshake are reached), or a timer. Checks: no crash, no reply larger than
// a datagram, no session left behind after Shutdown.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "relay/relay.h"
#include "transport/session/connection.h"
#include "transport/wire/header.h"

namespace {

using namespace hitless;  // NOLINT

// Datagrams in flight between the relay and the two in-memory callers.
struct Wires final : relay::RelayIo {
  void SendTo(std::span<const uint8_t> d, std::span<const uint8_t> peer) override {
    if (d.size() > kMaxDatagramSize) __builtin_trap();
    if (peer.size() == 1 && peer[0] < 2) to_caller[peer[0]].emplace_back(d.begin(), d.end());
  }
  void SendUpstream(size_t, std::span<const uint8_t>) override {}
  std::deque<std::vector<uint8_t>> to_caller[2];
};

struct Caller final : session::DatagramSink, session::MediaSink {
  void SendDatagram(std::span<const uint8_t> d, uint8_t) override {
    to_relay.emplace_back(d.begin(), d.end());
  }
  void DeliverMedia(std::span<const uint8_t>, Time) override {}
  std::deque<std::vector<uint8_t>> to_relay;
  std::unique_ptr<session::Connection> connection;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Time now = Time::FromNanoseconds(1'000'000'000);
  relay::RelayConfig rc;
  rc.latency = Duration::Milliseconds(100);
  rc.cookie_secret.fill(2);
  // Small rings: an input allocates the sessions afresh.
  rc.receiver.buffer_capacity = 64;
  rc.sender.buffer_capacity = 64;
  Wires wires;
  auto created = relay::Relay::Create(rc, now, &wires);
  if (!created.ok()) __builtin_trap();
  std::unique_ptr<relay::Relay> r = *std::move(created);
  Caller callers[2];
  for (int i = 0; i < 2; ++i) {
    session::ConnectionConfig c;
    c.direction = i == 0 ? session::MediaDirection::kSend : session::MediaDirection::kReceive;
    c.stream_id = "s";
    c.seed = 5 + static_cast<uint64_t>(i);
    c.receiver.buffer_capacity = 64;
    c.sender.buffer_capacity = 64;
    callers[i].connection = *session::Connection::Create(c, now, &callers[i], &callers[i]);
  }
  std::vector<uint8_t> reply(kMaxDatagramSize);
  const auto pump = [&] {
    for (int round = 0; round < 8; ++round) {
      for (int i = 0; i < 2; ++i) {
        const uint8_t peer[1] = {static_cast<uint8_t>(i)};
        while (!callers[i].to_relay.empty()) {
          r->OnDatagram(callers[i].to_relay.front(), peer, now);
          callers[i].to_relay.pop_front();
        }
        while (!wires.to_caller[i].empty()) {
          callers[i].connection->OnDatagram(wires.to_caller[i].front(), peer, now, reply);
          wires.to_caller[i].pop_front();
        }
      }
    }
  };
  pump();
  const std::vector<uint8_t> media(1000, 0x47);
  callers[0].connection->OnMedia(media, now);
  pump();
  uint32_t ids[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    if (callers[i].connection->negotiated())
      ids[i] = callers[i].connection->negotiated()->session_id;
  }

  std::vector<uint8_t> datagram;
  size_t i = 0;
  while (i + 4 <= size) {
    const uint8_t op = data[i];
    now += Duration::Microseconds(100 * (data[i + 1] | data[i + 2] << 8));
    const size_t len = std::min<size_t>(data[i + 3], size - (i + 4));
    const std::span<const uint8_t> bytes(data + i + 4, len);
    i += 4 + len;
    if (op % 4 == 3) {
      r->OnTimer(now);
      continue;
    }
    datagram.assign(bytes.begin(), bytes.end());
    if ((op & 0x80) && datagram.size() >= kHeaderSize) {
      const uint32_t id = ids[(op >> 6) & 1];
      datagram[0] = kWireVersion;
      datagram[1] = static_cast<uint8_t>(1 + (op >> 2) % 7);
      datagram[2] &= 0x01;
      datagram[4] = static_cast<uint8_t>(id >> 24);
      datagram[5] = static_cast<uint8_t>(id >> 16);
      datagram[6] = static_cast<uint8_t>(id >> 8);
      datagram[7] = static_cast<uint8_t>(id);
    }
    const uint8_t peer[1] = {static_cast<uint8_t>(op % 3)};
    r->OnDatagram(datagram, peer, now);
  }
  r->Shutdown(now);
  if (r->session_count() != 0) __builtin_trap();
  return 0;
}
