// hitless-send: carries a live stream from an input endpoint to a Hitless
// receiver or relay (see transmit.h and --help).
#include "transport/apps/transmit.h"

int main(int argc, char** argv) {
  return hitless::apps::RunTransmit(hitless::apps::Side::kSend, argc, argv);
}
