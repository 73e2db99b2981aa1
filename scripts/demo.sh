#!/usr/bin/env bash
# The main job, on built-in defaults: a generated 20 Mbit/s test stream
# carried by Hitless across impaired links and a relay, on this machine:
#
#   gen:// -> hitless-send -> hitless-netem -> hitless-relay
#          -> 2 x (hitless-netem -> hitless-recv -> verify)
#
#   scripts/demo.sh [--scenario FILE.toml] [--bitrate 20M] [--duration 10s] [--latency 300ms]
#
# Installs missing Debian packages, builds the release preset, runs the chain
# on loopback and prints what the verifying receiver saw (loss, duplicates,
# end-to-end latency percentiles) beside what the emulator did to the packets.
# Every hop is impaired by the same scenario.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=netem-scenarios/lossy-5.toml
bitrate=20M
duration=10s
latency=300ms
while (($#)); do
  case $1 in
    --scenario) scenario=$2; shift 2 ;;
    --bitrate) bitrate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --latency) latency=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -f $scenario ]] || { echo "demo: no such scenario file: $scenario" >&2; exit 2; }

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target hitless-netem hitless-send hitless-recv hitless-relay
bin=build/release
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits for a "listening HOST:PORT" line in $1 and prints the port.
port_of() {
  for _ in $(seq 100); do
    if grep -q '^listening ' "$1" 2>/dev/null; then
      sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$1" | head -n1
      return 0
    fi
    sleep 0.05
  done
  echo "demo: a process did not start; its output:" >&2
  cat "$1" >&2
  return 1
}

"$bin/relay/hitless-relay" --listen 127.0.0.1:0 --metrics 127.0.0.1:0 \
  --stats-json "$work/relay.json" >"$work/relay.out" 2>"$work/relay.err" &
relay_pid=$!
pids+=("$relay_pid")
relay_port=$(port_of "$work/relay.out")
metrics=$(sed -n 's/^metrics //p' "$work/relay.out" | head -n1)

# One impaired link per hop: a hitless-netem in front of the relay for each
# caller (it impairs both directions).
netem_pids=()
start_netem() {  # NAME; sets netem_port
  "$bin/netem-scenarios/emulator/hitless-netem" --listen 127.0.0.1:0 \
    --forward "127.0.0.1:$relay_port" --scenario "$scenario" --quiet \
    --stats-json "$work/netem-$1.json" >"$work/netem-$1.out" 2>&1 &
  pids+=("$!")
  netem_pids+=("$!")
  netem_port=$(port_of "$work/netem-$1.out")
}
start_netem up
up_port=$netem_port
recv_pids=()
for r in 1 2; do
  start_netem "down$r"
  down_port=$netem_port
  "$bin/transport/apps/hitless-recv" "hitless://127.0.0.1:$down_port?stream=demo&latency=$latency" \
    "verify://?report=$work/verify$r.json" --stats-json "$work/recv$r.json" \
    >"$work/recv$r.out" 2>"$work/recv$r.err" &
  recv_pids+=("$!")
  pids+=("$!")
done

echo
echo "demo: gen:// $bitrate for $duration -> hitless-send -> hitless-netem ($scenario)"
echo "      -> hitless-relay 127.0.0.1:$relay_port (metrics http://$metrics/metrics)"
echo "      -> 2 x (hitless-netem -> hitless-recv, latency $latency -> verify)"
"$bin/transport/apps/hitless-send" "gen://?bitrate=$bitrate&duration=$duration" \
  "hitless://127.0.0.1:$up_port?stream=demo&latency=$latency" --status-interval 1s \
  --stats-json "$work/send.json"
sleep 1  # the receivers play out the last latency window
for pid in "${recv_pids[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done
kill -TERM "$relay_pid"
wait "$relay_pid" || true
for pid in "${netem_pids[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done
echo
for r in 1 2; do
  echo "receiver $r (verify: what came out of hitless-recv):"
  sed 's/^/  /' "$work/verify$r.json"
done
echo "sender's retransmissions (first hop):"
grep -o '"retransmit_policy": {[^}]*}' "$work/send.json" | sed 's/^/  /'
echo "relay (per subscriber hop: forwarded, retransmitted, residual loss reported):"
grep -o '"subscribers":\[.*\]' "$work/relay.json" | grep -o '{"session[^}]*}' |
  sed 's/"fec_repairs_sent.*"reported_lost"/"reported_lost"/; s/,"buffer_level_ms.*//; s/^/  /'
echo "emulators (what the network did, per hop):"
for hop in up down1 down2; do
  grep -E '"(forward|reverse)"' "$work/netem-$hop.json" | sed "s/\"send_errors.*//; s/^/  $hop /"
done
