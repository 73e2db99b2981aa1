#!/usr/bin/env bash
# The main job, on built-in defaults: a generated test stream through the
# hitless-netem impairment emulator to a verifying receiver, all on loopback.
#
#   scripts/demo.sh [--scenario FILE.toml] [--bitrate 20M] [--duration 10s]
#
# Installs missing Debian packages, builds the release preset, then runs
#   hitless-probe send --> hitless-netem (scenario) --> hitless-probe recv
# and prints the receiver's verdict and the emulator's counters. Today the
# stream is raw UDP, so the receiver sees exactly the emulated loss; the
# transport issues put hitless-send / hitless-recv (and later the relay) in
# the path to repair it.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=netem-scenarios/lossy-5.toml
bitrate=20M
duration=10s
while (($#)); do
  case $1 in
    --scenario) scenario=$2; shift 2 ;;
    --bitrate) bitrate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -f $scenario ]] || { echo "demo: no such scenario file: $scenario" >&2; exit 2; }

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target hitless-netem hitless-probe
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

"$bin/netem-scenarios/runner/hitless-probe" recv --listen 127.0.0.1:0 --idle 3s \
  --stats-json "$work/recv.json" >"$work/recv.out" 2>&1 &
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
echo "demo: $bitrate for $duration: hitless-probe send -> hitless-netem 127.0.0.1:$netem_port" \
  "($scenario) -> hitless-probe recv 127.0.0.1:$recv_port"
"$bin/netem-scenarios/runner/hitless-probe" send --to "127.0.0.1:$netem_port" \
  --bitrate "$bitrate" --duration "$duration"
wait "$recv_pid" || true
kill -TERM "$netem_pid"
wait "$netem_pid" || true
echo
echo "receiver:"
sed 's/^/  /' "$work/recv.out" | grep -v '^  listening'
echo "emulator (JSON summary):"
sed 's/^/  /' "$work/netem.json"
