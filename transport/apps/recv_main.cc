// hitless-recv: receives a Hitless stream and outputs it at the configured
// end-to-end latency (see transmit.h and --help).
#include "transport/apps/transmit.h"

int main(int argc, char** argv) {
  return hitless::apps::RunTransmit(hitless::apps::Side::kRecv, argc, argv);
}
