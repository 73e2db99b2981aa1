// SRT beside Hitless: the same test stream through srt-live-transmit over a
// route's one link, with the same impairment and seed, at equal
// glass-to-glass latency, measured the same way (hitless-scenario
// --compare srt).
//
//   hitless-probe send -> udp -> srt-live-transmit (caller) -> hitless-netem
//   -> srt-live-transmit (listener) -> udp -> hitless-probe recv
//
// SRT's latency counts from the sender's clock at the receiver, so it plays
// latency + one-way delay after input: it gets the route's budget less the
// link's mean one-way delay. libsrt's buffers are sized for (latency +
// 100 ms) x rate x 1.5, never below its defaults (the deployment guide's
// rule), so they do not cap the stream. Overhead: what the emulator received
// in the media direction / media bytes - 1. Runs on loopback (root's network
// namespaces are for the Hitless run only).
#pragma once

#include <atomic>
#include <string>

#include "netem-scenarios/model/route.h"
#include "netem-scenarios/runner/route_run.h"
#include "transport/base/time.h"

namespace hitless::scenario {

// Single-link, two-host routes only; otherwise (or when srt-live-transmit or
// hitless-probe is missing) the figures are empty and `note` says why.
SystemFigures RunSrtBeside(const netem::RouteScenario& route, const Programs& programs,
                           const std::string& out_dir, Duration duration,
                           const std::atomic<bool>* interrupted);

}  // namespace hitless::scenario
