// Helpers for the endpoint tests: run an io_context until a condition holds
// or a generous deadline passes (no sleeps, no wall-clock speed assertions).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace hitless::endpoints::testing {

// Runs `io` in short slices until `done()` or `limit` elapsed; returns done().
inline bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace hitless::endpoints::testing
