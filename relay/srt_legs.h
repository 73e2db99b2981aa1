// RelaySrtLegs: hitless-relay's SRT callers (--srt-listen). An encoder can
// publish a stream into the relay over SRT and a decoder can read one out,
// each named by its streamid (srt_streamid.h), with the stream's publish or
// subscribe secret (relay.toml) as the SRT passphrase.
//
// A publisher leg feeds the core as a local publisher (Relay::
// AttachLocalPublisher: the relay numbers and stamps its datagrams, then
// fans them out to Hitless subscribers like a hitless-send's). A reader leg
// is a local subscriber: the stream's packets, cut-through and unordered as
// the relay accepts them, go through a RouteMerge (one route) that releases
// them in order at origin + the stream's latency, into the SRT socket. So an
// SRT reader at the relay sees what a hitless-recv there would, and SRT's
// own latency comes on top. What a reader is sent is checked as MPEG-TS
// (mpegts::TsHealth: continuity errors, PCR, PAT/PMT), as hitless-recv does.
//
// State: the SRT server, the legs by caller id, one timer for every
// reader's next release. Single-threaded: the io_context's thread (the SRT
// server's own thread only reads a copy of the streams' secrets).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "relay/relay.h"
#include "relay/relay_driver.h"
#include "transport/endpoints/srt_server.h"
#include "transport/mpegts/ts_health.h"
#include "transport/session/route_merge.h"

namespace hitless::relay {

struct SrtLegView {
  uint64_t caller = 0;
  std::string stream;
  std::string peer;
  bool publish = false;
  Duration connected;    // for how long
  uint64_t packets = 0;  // publisher: fed to the relay; reader: sent to SRT
  uint64_t bytes = 0;
  uint64_t dropped = 0;        // reader: SRT send buffer full; publisher: none
  uint64_t lost = 0;           // reader: no packet by its release time (RouteMerge)
  endpoints::SrtLegStats srt;  // libsrt's figures of the leg
  mpegts::TsHealthStats ts;    // reader: MPEG-TS health of what it was sent
};

class RelaySrtLegs {
 public:
  struct Options {
    io::UdpEndpoint listen;
    Duration srt_latency = Duration::Milliseconds(120);  // SRTO_LATENCY of the legs
  };

  RelaySrtLegs(boost::asio::io_context& io, RelayDriver& driver, Options options);
  ~RelaySrtLegs();

  // Listens; reads the streams' secrets from `config`. Errors: the port.
  absl::Status Start(const RelayConfig& config);
  // SIGHUP: new secrets bind new handshakes only.
  void Reload(const RelayConfig& config);
  // Ends every leg (detached from the core) and closes the listener.
  void Stop();

  std::vector<SrtLegView> Legs() const;
  endpoints::SrtServer::Stats server_stats() const { return server_.stats(); }
  uint16_t local_port() const { return server_.local_port(); }

 private:
  struct Leg;
  struct Access {
    bool open = true;
    absl::flat_hash_map<std::string, StreamConfig> streams;
  };

  endpoints::SrtServer::Admission Admit(std::string_view streamid) const;
  void OnConnect(uint64_t caller, const std::string& streamid, const std::string& peer);
  void OnData(uint64_t caller, std::span<const uint8_t> datagram, Time at);
  void OnClose(uint64_t caller);
  void End(uint64_t caller);
  void ArmTimer();

  boost::asio::io_context& io_;
  RelayDriver& driver_;
  Options options_;
  endpoints::SrtServer server_;
  mutable std::mutex access_mutex_;  // Admit runs on libsrt's thread
  Access access_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Leg>> legs_;
  boost::asio::steady_timer timer_;
  std::optional<Time> timer_at_;
};

}  // namespace hitless::relay
