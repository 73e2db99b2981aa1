#!/usr/bin/env bash
# The main job, on built-in defaults: a generated 20 Mbit/s test stream
# carried by Hitless across an impaired network, on this machine:
#
#   gen:// -> hitless-send -> hitless-netem (scenario) -> hitless-recv -> verify
#
#   scripts/demo.sh [--scenario FILE.toml] [--bitrate 20M] [--duration 10s] [--latency 300ms]
#
# Installs missing Debian packages, builds the release preset, runs the chain
# on loopback and prints what the verifying receiver saw (loss, duplicates,
# end-to-end latency percentiles) beside what the emulator did to the packets.
# The relay daemon joins the chain when it exists.
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
cmake --build --preset release -j "$(nproc)" --target hitless-netem hitless-send hitless-recv
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

"$bin/transport/apps/hitless-recv" "hitless://127.0.0.1:0?mode=listener&latency=$latency" \
  "verify://?report=$work/verify.json" --stats-json "$work/recv.json" \
  >"$work/recv.out" 2>"$work/recv.err" &
recv_pid=$!
pids+=("$recv_pid")
recv_port=$(port_of "$work/recv.out")

"$bin/netem-scenarios/emulator/hitless-netem" --listen 127.0.0.1:0 \
  --forward "127.0.0.1:$recv_port" --scenario "$scenario" --quiet \
  --stats-json "$work/netem.json" >"$work/netem.out" 2>&1 &
netem_pid=$!
pids+=("$netem_pid")
netem_port=$(port_of "$work/netem.out")

echo
echo "demo: gen:// $bitrate for $duration -> hitless-send -> hitless-netem 127.0.0.1:$netem_port"
echo "      ($scenario) -> hitless-recv 127.0.0.1:$recv_port (latency $latency) -> verify"
"$bin/transport/apps/hitless-send" "gen://?bitrate=$bitrate&duration=$duration" \
  "hitless://127.0.0.1:$netem_port?latency=$latency" --status-interval 1s \
  --stats-json "$work/send.json"
kill -TERM "$recv_pid"
wait "$recv_pid" || true
kill -TERM "$netem_pid"
wait "$netem_pid" || true
echo
echo "receiver (verify: what came out of hitless-recv):"
sed 's/^/  /' "$work/verify.json"
echo "sender's retransmissions:"
grep -o '"retransmit_policy": {[^}]*}' "$work/send.json" | sed 's/^/  /'
echo "emulator (what the network did):"
grep -E '"(forward|reverse)"' "$work/netem.json" | sed 's/"send_errors.*//; s/^/  /'
