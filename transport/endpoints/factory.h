// Builds the MediaInput / MediaOutput an EndpointSpec describes.
//
// Stateless. Opens files and resolves host names (blocking: call at
// startup); sockets are bound later, in Start. hitless:// is not built here:
// the session driver owns Hitless sessions and consumes HitlessSpec itself.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "transport/base/time.h"
#include "transport/endpoints/media.h"
#include "transport/endpoints/url.h"

namespace hitless::endpoints {

// Errors: `spec.role` is not kInput (FailedPrecondition); hitless:// or a
// sink-only scheme (InvalidArgument); a file that cannot be opened
// (NotFound / PermissionDenied / Unavailable); a host that does not resolve
// or a bad iface (InvalidArgument). Every message names the URL.
// `max_hold`: how long a slow udp:// input may be held to batch its reads
// (UdpInput::Options::max_hold); the caller bounds it by the latency.
struct InputTuning {
  Duration max_hold = Duration::Milliseconds(2);
};
absl::StatusOr<std::unique_ptr<MediaInput>> MakeInput(const EndpointSpec& spec,
                                                      const InputTuning& tuning = {});

// Same for outputs (file:// creates or truncates the file; `-` is stdout).
absl::StatusOr<std::unique_ptr<MediaOutput>> MakeOutput(const EndpointSpec& spec);

}  // namespace hitless::endpoints
