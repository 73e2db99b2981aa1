// Test helpers for Link: drive a link with a periodic packet source and
// record when each packet came out. Stateless apart from the link passed in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netem-scenarios/model/link.h"
#include "netem-scenarios/model/spec.h"

namespace hitless::netem::testing {

struct Delivery {
  Time at;
  uint64_t tag = 0;
  std::vector<uint8_t> data;
};

// Offers `count` packets of `size` bytes, one every `interval` from `start`
// (tag = index, byte j = (tag + j) & 0xff), delivering every packet exactly at
// its NextDelivery() time, then drains the link. Returns deliveries in order.
inline std::vector<Delivery> Drive(Link& link, int count, Duration interval, size_t size = 0,
                                   Time start = Time::Zero()) {
  std::vector<Delivery> out;
  out.reserve(static_cast<size_t>(count) + count / 8);
  auto drain = [&](Time now) {
    while (link.NextDelivery() && *link.NextDelivery() <= now) {
      const Time at = *link.NextDelivery();
      std::optional<Packet> p = link.DequeueDue(at);
      out.push_back({at, p->tag, std::move(p->data)});
    }
  };
  for (int i = 0; i < count; ++i) {
    const Time now = start + interval * i;
    drain(now);
    Packet p;
    p.tag = static_cast<uint64_t>(i);
    p.data.resize(size);
    for (size_t j = 0; j < size; ++j) p.data[j] = static_cast<uint8_t>((i + j) & 0xff);
    link.Enqueue(std::move(p), now);
  }
  drain(Time::Infinite());
  return out;
}

// A link from a netem spec (which must parse) with no timeline.
inline Link MakeLink(const std::string& spec, uint64_t seed = 1) {
  DirectionConfig config;
  config.params = ParseNetemSpec(spec).value();
  return Link(std::move(config), seed, Time::Zero());
}

}  // namespace hitless::netem::testing
