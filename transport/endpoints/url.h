// Endpoint URLs of hitless-send / hitless-recv, parsed into typed specs.
//
//   udp://[@]HOST:PORT[?iface=ADDR&ttl=N&rcvbuf=BYTES&sndbuf=BYTES]
//       input: bind HOST:PORT (HOST empty or '@' alone = any address; a
//       multicast group = join it, on `iface` if given); port 0 = ephemeral.
//       output: send to HOST:PORT (unicast or multicast, `ttl`, `iface`).
//       Input keys: iface, rcvbuf. Output keys: iface, ttl, sndbuf.
//   file:///abs/path[?rate=BITRATE]   input reads (rate paces it), output writes
//   -                                 stdin as input, stdout as output
//   gen://[?bitrate=10M&duration=60s&size=1316&id=N]   test source (input only)
//   verify[://][?report=FILE.json]    test sink (output only)
//   hitless://[@]HOST:PORT?mode=caller|listener&latency=500ms&stream=NAME&...
//       mode defaults to caller when HOST is given, listener when it is empty,
//       '@' or 0.0.0.0 / [::]; latency 20ms..60s (a bare number is ms, as
//       in SRT's URLs); other keys are kept for the session layer to validate.
//   srt://[HOST]:PORT?mode=caller|listener|rendezvous&latency=MS&passphrase=..
//       &pbkeylen=16|24|32&streamid=...   (an SRT leg through libsrt, live
//       mode; the vocabulary of srt-live-transmit's URLs: a bare latency is
//       milliseconds; mode defaults as for hitless://; see ParseSrt's keys)
//
// Stateless; nothing here touches the network (host names are resolved when
// the endpoint is built, see factory.h). Errors are InvalidArgument with the
// message "endpoint URL \"<url>\": <problem>", ready to print with exit 2.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "transport/base/time.h"

namespace hitless::endpoints {

// Whether a URL names where the stream comes from or where it goes.
enum class Role : uint8_t { kInput, kOutput };
const char* RoleName(Role role);  // "input" / "output"

inline constexpr size_t kTsDatagramSize = 1316;  // 7 MPEG-TS packets
inline constexpr size_t kMinGenSize = 24;        // teststream::kHeaderSize
inline constexpr size_t kMaxGenSize = 1472;      // one Ethernet-MTU IPv4 UDP payload
inline constexpr Duration kMinHitlessLatency = Duration::Milliseconds(20);
inline constexpr Duration kMaxHitlessLatency = Duration::Seconds(60);

struct UdpSpec {
  std::string host;                // "" = any address (inputs only); IPv6 without brackets
  uint16_t port = 0;               // 0 only for inputs (ephemeral)
  std::string iface;               // numeric local address for multicast, "" = default
  std::optional<int> ttl;          // outputs: unicast TTL or multicast hops, 0..255
  std::optional<uint64_t> rcvbuf;  // inputs: SO_RCVBUF request in bytes
  std::optional<uint64_t> sndbuf;  // outputs: SO_SNDBUF request in bytes
};

struct FileSpec {
  std::string path;                  // absolute, percent-decoded
  std::optional<uint64_t> rate_bps;  // inputs: pace reading at this bitrate
};

struct StdioSpec {};  // stdin for an input, stdout for an output

struct GenSpec {
  uint64_t bitrate_bps = 10'000'000;
  Duration duration = Duration::Infinite();  // Infinite = until stopped
  size_t size = kTsDatagramSize;
  std::optional<uint32_t> stream_id;  // nullopt = random
};

struct VerifySpec {
  std::string report_path;  // "" = no JSON report
};

enum class HitlessMode : uint8_t { kCaller, kListener };
const char* HitlessModeName(HitlessMode mode);  // "caller" / "listener"

struct HitlessSpec {
  std::string host;   // "" for a listener on any address; IPv6 without brackets
  uint16_t port = 0;  // 0 only for a listener (ephemeral)
  HitlessMode mode = HitlessMode::kCaller;
  std::optional<Duration> latency;  // validated in [kMin, kMaxHitlessLatency]
  std::string stream;               // stream id ("" = none), at most 512 bytes
  // Every other key=value, decoded, for the session layer to validate.
  std::map<std::string, std::string> options;
};

enum class SrtMode : uint8_t { kCaller, kListener, kRendezvous };
const char* SrtModeName(SrtMode mode);  // "caller" / "listener" / "rendezvous"

inline constexpr size_t kMinSrtPassphrase = 10;  // libsrt's limits (SRTO_PASSPHRASE)
inline constexpr size_t kMaxSrtPassphrase = 79;
inline constexpr size_t kMaxSrtStreamId = 512;  // SRTO_STREAMID
inline constexpr size_t kMaxSrtPayload = 1456;  // SRTO_PAYLOADSIZE in live mode

struct SrtSpec {
  std::string host;   // caller/rendezvous: the peer; listener: local address ("" = any)
  uint16_t port = 0;  // the peer's port (caller/rendezvous) or the one to listen on
  SrtMode mode = SrtMode::kCaller;
  std::optional<Duration> latency;         // SRTO_LATENCY (both directions); nullopt = 120 ms
  std::optional<Duration> rcvlatency;      // SRTO_RCVLATENCY
  std::optional<Duration> peerlatency;     // SRTO_PEERLATENCY
  std::string passphrase;                  // "" = no encryption
  int pbkeylen = 0;                        // 0 (libsrt's default, 16), 16, 24 or 32
  std::string streamid;                    // SRTO_STREAMID ("" = none)
  std::optional<Duration> conntimeo;       // SRTO_CONNTIMEO
  std::optional<Duration> peeridletimeo;   // SRTO_PEERIDLETIMEO
  std::optional<int64_t> maxbw;            // SRTO_MAXBW, bytes/s (-1 = infinite, 0 = relative)
  std::optional<int> oheadbw;              // SRTO_OHEADBW, percent 5..100
  std::optional<int64_t> inputbw;          // SRTO_INPUTBW, bytes/s
  std::optional<bool> enforcedencryption;  // SRTO_ENFORCEDENCRYPTION (default true)
  std::optional<bool> tlpktdrop;           // SRTO_TLPKTDROP (default true)
  std::optional<uint64_t> rcvbuf;          // SRTO_RCVBUF bytes
  std::optional<uint64_t> sndbuf;          // SRTO_SNDBUF bytes
  std::optional<int> payloadsize;          // SRTO_PAYLOADSIZE (default 1316)
  std::string adapter;                     // caller/rendezvous: local address to bind
  std::optional<uint16_t> local_port;      // caller/rendezvous: local port (`port=`)
};

struct EndpointSpec {
  std::string url;  // as given
  Role role = Role::kInput;
  std::variant<UdpSpec, FileSpec, StdioSpec, GenSpec, VerifySpec, HitlessSpec, SrtSpec> kind;

  template <typename T>
  const T* As() const {
    return std::get_if<T>(&kind);
  }
  // "udp", "file", "stdio", "gen", "verify", "hitless" or "srt".
  const char* SchemeName() const;
};

// Parses `url` as an endpoint for `role`. Errors (InvalidArgument, message
// "endpoint URL \"<url>\": <problem>"): longer than kMaxUrlLength, control
// characters or NUL, unknown or missing scheme, a scheme that does not serve
// the role (gen:// as output, verify as input), missing/bad host or port
// (port 0 or > 65535 where not allowed), '@' on an output, a relative file
// path, a bad query (see ParseQuery), an unknown key for udp/file/gen/verify,
// a bad value (bitrate, duration, size, ttl, buffer size, latency range,
// mode, or mode=caller without a host).
absl::StatusOr<EndpointSpec> ParseEndpointUrl(std::string_view url, Role role);

}  // namespace hitless::endpoints
