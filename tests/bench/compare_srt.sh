#!/usr/bin/env bash
# shellcheck disable=SC2154  # pid_NAME globals are set by launch (printf -v)
# Side-by-side benchmark: Hitless against SRT (srt-live-transmit), same
# machine, same test stream, same measurement, same impairment, same latency.
#
#   tests/bench/compare_srt.sh [--loss 5%] [--delay 30ms] [--jitter 5ms] [--seed 1]
#       [--latency 300ms] [--bitrate 10M] [--seconds 20] [--skip-max | --max-only]
#       [--max-steps "50 100 200 300 400 600 800 1000 1100 1200 1400 1600"] [--max-seconds 5]
#       [--srt-extra 'k=v&k=v'] [--hitless-extra 'k=v&k=v'] [--fwd 'NETEM SPEC' --rev 'NETEM SPEC']
#       [--cpu-ramp "10 50 100 400 1000"] [--ramp-loss 2%] [--ramp-seconds 6]
#       [--keep]
#
# --cpu-ramp replaces part 1 with the CPU ramp (part 3) below; with it,
# --max-steps defaults to the ramp's rates extended to 1600 Mbit/s.
#
# --fwd/--rev replace --loss/--delay/--jitter with full netem specs per
# direction (e.g. a bottleneck: --fwd 'delay 30ms rate 12mbit limit 113 loss 1%'
# --rev 'delay 30ms loss 1%'). --srt-extra adds SRT URL options (its FEC
# filter: 'packetfilter=fec,cols:10,rows:1'); --hitless-extra adds Hitless URL
# options ('fec=adaptive').
#
# Part 1, impaired link (each system in turn, identical chains):
#   hitless-probe send -> udp -> hitless-send ----------> hitless-netem -> hitless-recv ------> udp -> hitless-probe recv
#   hitless-probe send -> udp -> srt-live-transmit (caller) -> hitless-netem -> srt-live-transmit (listener) -> udp -> hitless-probe recv
# hitless-netem applies --loss/--delay/--jitter in BOTH directions with a
# fixed --seed. Reported: residual loss (datagrams the probe sent but never
# received), end-to-end latency p50/p99 (probe to probe), retransmission
# overhead = emulator forward-direction bytes / media bytes offered - 1
# (all packet types and headers, UDP payload level, same formula for both),
# the pure-payload retransmission ratio from each sender's own counters
# (hitless-send --stats-json; SRT: the last of srt-live-transmit's JSON stats
# reports, one per 1000 packets), and CPU-seconds (utime+stime of sender +
# receiver, all threads, read from /proc/PID/stat just before they are
# stopped; probe and emulator excluded) per GB delivered to the probe.
#
# Part 2 (unless --skip-max), clean link: the highest bitrate each pair carries
# with zero loss, stepping --max-steps (Mbit/s, --max-seconds each) and
# stopping at the first failure. This runs over DIRECT loopback (no emulator:
# hitless-netem is a single-threaded userspace proxy and would be the
# bottleneck). A probe->probe UDP baseline is then stepped up to the highest
# step either system tried, to show the measurement's own ceiling there. A
# step only counts if the probe sender achieved >= 97% of the asked rate.
#
# Part 3 (--cpu-ramp RATES, Mbit/s): for each rate, each system on direct
# loopback and through hitless-netem with --ramp-loss random loss each way
# (no delay), both tuned as in part 2, --ramp-seconds each: CPU-seconds per
# GB (sender + receiver, counted while the stream flows: start-up and drain
# left out), Hitless/SRT, residual loss and output latency p50/p99. The
# emulator is a single-threaded userspace proxy: at the top rates it, not the
# systems, may be the limit (the table says when it dropped packets itself).
#
# Needs: build/release binaries (hitless-send/recv, hitless-netem,
# hitless-probe), srt-live-transmit (Debian: srt-tools), jq, ss (iproute2).
# Every wait is bounded (defaults: about 1 min for part 1, at most ~6 min for
# part 2); every process it started is stopped on exit or Ctrl-C.
# Prints progress on stderr and a Markdown report on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmdline="tests/bench/compare_srt.sh${*:+ $*}"

loss=5%
delay=30ms
jitter=5ms
seed=1
latency=300ms
bitrate=10M
seconds=20
skip_max=0
max_steps="50 100 200 300 400 600 800 1000 1100 1200 1400 1600"
max_only=0
max_seconds=5
srt_extra=""
hitless_extra=""
fwd_spec=""
rev_spec=""
keep=0
cpu_ramp=""
ramp_loss=2%
ramp_seconds=6
max_steps_set=0
bin=${HITLESS_BIN:-build/release}

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --loss) loss=$2; shift 2 ;;
    --delay) delay=$2; shift 2 ;;
    --jitter) jitter=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --latency) latency=$2; shift 2 ;;
    --bitrate) bitrate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --skip-max) skip_max=1; shift ;;
    --max-only) max_only=1; shift ;;
    --max-steps) max_steps=$2; max_steps_set=1; shift 2 ;;
    --cpu-ramp) cpu_ramp=$2; shift 2 ;;
    --ramp-loss) ramp_loss=$2; shift 2 ;;
    --ramp-seconds) ramp_seconds=$2; shift 2 ;;
    --max-seconds) max_seconds=$2; shift 2 ;;
    --srt-extra) srt_extra=$2; shift 2 ;;
    --hitless-extra) hitless_extra=$2; shift 2 ;;
    --fwd) fwd_spec=$2; shift 2 ;;
    --rev) rev_spec=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare_srt: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "compare_srt: $*" >&2; exit 1; }
bad() { echo "compare_srt: $*" >&2; exit 2; }
log() { echo "compare_srt: $*" >&2; }

# --- argument normalisation -------------------------------------------------
# Latency: "300ms", "300" (ms) or "0.3s" -> integer milliseconds.
case $latency in
  *ms) lat_ms=${latency%ms} ;;
  *s) lat_ms=$(awk -v s="${latency%s}" 'BEGIN { printf "%d", s * 1000 }') ;;
  *) lat_ms=$latency ;;
esac
if ! [[ $lat_ms =~ ^[0-9]+$ ]] || ((lat_ms < 20 || lat_ms > 60000)); then
  bad "--latency must be 20ms..60s, got '$latency'"
fi
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1 || seconds > 3600)); then
  bad "--seconds must be an integer 1..3600, got '$seconds'"
fi
if ! [[ $max_seconds =~ ^[0-9]+$ ]] || ((max_seconds < 1 || max_seconds > 600)); then
  bad "--max-seconds must be an integer 1..600, got '$max_seconds'"
fi
[[ $srt_extra == "" || $srt_extra == [a-z]*=* ]] || bad "--srt-extra must look like 'key=value&key=value'"
[[ -n $srt_extra ]] && srt_extra="&$srt_extra"
[[ $hitless_extra == "" || $hitless_extra == [a-z]*=* ]] || bad "--hitless-extra must look like 'key=value&key=value'"
[[ -n $hitless_extra ]] && hitless_extra="&$hitless_extra"
if [[ -n $fwd_spec || -n $rev_spec ]]; then
  [[ -n $fwd_spec && -n $rev_spec ]] || bad "--fwd and --rev go together"
  netem_impairment=(--fwd "$fwd_spec" --rev "$rev_spec")
  impairment_text="--fwd '$fwd_spec' --rev '$rev_spec'"
else
  netem_impairment=(--loss "$loss" --delay "$delay" --jitter "$jitter")
  impairment_text="--loss $loss --delay $delay --jitter $jitter (each way)"
fi
if [[ -n $cpu_ramp ]]; then
  for r in $cpu_ramp; do [[ $r =~ ^[0-9]+$ ]] || bad "--cpu-ramp takes Mbit/s integers, got '$r'"; done
  [[ $ramp_seconds =~ ^[0-9]+$ ]] && ((ramp_seconds >= 1)) || bad "--ramp-seconds must be an integer >= 1"
  ((max_steps_set)) || max_steps="$cpu_ramp 1200 1600"
fi
((skip_max && max_only)) && bad "--skip-max and --max-only exclude each other"
# Bitrate: 10M, 800k, 1G, 2500000 -> bits/s (integer).
to_bps() {
  awk -v r="$1" 'BEGIN {
    m = 1; u = substr(r, length(r)); n = r
    if (u == "k" || u == "K") { m = 1e3; n = substr(r, 1, length(r) - 1) }
    else if (u == "M" || u == "m") { m = 1e6; n = substr(r, 1, length(r) - 1) }
    else if (u == "G" || u == "g") { m = 1e9; n = substr(r, 1, length(r) - 1) }
    if (n !~ /^[0-9]+(\.[0-9]+)?$/) exit 1
    printf "%.0f", n * m }'
}
bps=$(to_bps "$bitrate") || bad "--bitrate: bad rate '$bitrate' (e.g. 10M)"
((bps >= 100000)) || bad "--bitrate must be at least 100k"
for s in $max_steps; do [[ $s =~ ^[0-9]+$ ]] || bad "--max-steps: '$s' is not an integer Mbit/s"; done

# --- tools -------------------------------------------------------------------
hsend=$bin/transport/apps/hitless-send
hrecv=$bin/transport/apps/hitless-recv
netem=$bin/netem-scenarios/emulator/hitless-netem
probe=$bin/netem-scenarios/runner/hitless-probe
for b in "$hsend" "$hrecv" "$netem" "$probe"; do
  [[ -x $b ]] || die "missing $b (build the release preset: cmake --preset release && cmake --build --preset release)"
done
slt=$(command -v srt-live-transmit) || die "srt-live-transmit not found (apt-get install srt-tools)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
command -v ss >/dev/null || die "ss not found (apt-get install iproute2)"
srt_version=$("$slt" -version 2>&1 | sed -n 's/.*SRT Library version: \([0-9.]*\).*/\1/p' | head -n1)
hz=$(getconf CLK_TCK)
size=1316 # hitless-probe's default datagram size: 7 TS packets

# --- process bookkeeping -----------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/compare_srt.XXXXXX")
pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 20); do
    local left=0
    for p in "${pids[@]}"; do alive "$p" && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do
    if alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
  if ((keep)); then
    echo "compare_srt: kept the run's files in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# True while PID runs (a zombie child that has not been reaped counts as gone).
alive() {
  local st
  [[ -r /proc/$1/stat ]] || return 1
  st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | awk '{print $1}') || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

# forget PID: PID was reaped; drop it so cleanup never signals a recycled PID.
forget() {
  local keep_pids=() p
  for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep_pids+=("$p"); done
  pids=("${keep_pids[@]}")
}

# launch DIR NAME CMD...: starts CMD in the background, stdout/stderr to
# DIR/NAME.out/.err, records its PID in the global pid_NAME and in pids.
launch() {
  local dir=$1 name=$2
  shift 2
  "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  local pid=$!
  pids+=("$pid")
  printf -v "pid_$name" '%s' "$pid"
  echo "$*" >"$dir/$name.cmd"
}

# listening_port DIR NAME: waits (<= 5 s) for "listening IP:PORT" on NAME's stdout.
listening_port() {
  local dir=$1 name=$2 pid_var="pid_$2"
  for _ in $(seq 100); do
    if grep -q '^listening ' "$dir/$name.out" 2>/dev/null; then
      sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$dir/$name.out" | head -n1
      return 0
    fi
    alive "${!pid_var}" || break
    sleep 0.05
  done
  log "$name did not report 'listening'; its output:"
  cat "$dir/$name.out" "$dir/$name.err" >&2
  return 1
}

# wait_grep DIR NAME REGEX SECONDS: waits for REGEX in NAME's stdout or stderr.
wait_grep() {
  local dir=$1 name=$2 re=$3 secs=$4 pid_var="pid_$2"
  for _ in $(seq $((secs * 20))); do
    grep -Eq "$re" "$dir/$name.out" "$dir/$name.err" 2>/dev/null && return 0
    alive "${!pid_var}" || break
    sleep 0.05
  done
  log "$name: no '$re' within ${secs}s; its output:"
  cat "$dir/$name.out" "$dir/$name.err" >&2
  return 1
}

# wait_udp_bound PORT PID SECONDS: waits until a UDP socket is bound to 127.0.0.1:PORT.
wait_udp_bound() {
  local port=$1 pid=$2 secs=$3
  for _ in $(seq $((secs * 20))); do
    [[ -n $(ss -Huan "sport = :$port" 2>/dev/null) ]] && return 0
    alive "$pid" || break
    sleep 0.05
  done
  return 1
}

# free_port: a UDP port below the ephemeral range that nothing is bound to.
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    [[ -z $(ss -Huan "sport = :$p" 2>/dev/null) ]] && { echo "$p"; return 0; }
  done
  die "no free UDP port found"
}

# cpu_ticks PID: utime+stime (all threads, clock ticks) of a live process.
cpu_ticks() {
  local s rest
  s=$(<"/proc/$1/stat") || { echo 0; return; }
  rest=${s##*) }
  # after "comm)": state(3) ppid pgrp session tty tpgid flags minflt cminflt
  # majflt cmajflt utime(14) stime(15)
  awk '{ print $12 + $13 }' <<<"$rest"
}

# stop_proc PID [SECONDS]: SIGTERM, bounded wait, SIGKILL. Returns 0 if it
# exited on SIGTERM, 1 if it had to be killed (a hang worth reporting).
stop_proc() {
  local pid=$1 secs=${2:-5}
  alive "$pid" || { wait "$pid" 2>/dev/null || true; forget "$pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((secs * 20))); do
    alive "$pid" || { wait "$pid" 2>/dev/null || true; forget "$pid"; return 0; }
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
  return 1
}

# wait_exit PID SECONDS: waits for PID to exit by itself, else stops it.
wait_exit() {
  local pid=$1 secs=$2
  for _ in $(seq $((secs * 20))); do
    alive "$pid" || { wait "$pid" 2>/dev/null || true; forget "$pid"; return 0; }
    sleep 0.05
  done
  stop_proc "$pid" 3 || true
}

# --- one run of one chain ------------------------------------------------------
# run_chain SYSTEM TAG RATE_BPS SECONDS NETEM(0|1) TUNED(0|1)
#   SYSTEM: hitless | srt | udp (probe -> probe, the measurement baseline)
#   TUNED:  size SRT's buffers for high rates (the max-throughput runs)
# Leaves DIR/result (key=value lines) and the raw files in DIR=$work/TAG.
run_chain() {
  local sys=$1 tag=$2 rate=$3 secs=$4 via_netem=$5 tuned=$6
  local d=$work/$tag
  mkdir -p "$d"
  local stats_every=0 srt_buf="" srt_in=""
  ((via_netem)) && stats_every=1000 # SRT's -s counts packets, not ms
  if ((tuned)); then
    # SRT deployment guide: receiver buffer >= (latency + RTT) x rate; the
    # flow window (fc, packets) must cover it. Sized for this step + 50%
    # (never below libsrt's defaults). maxbw: the default (-1) caps live
    # mode at 1 Gbit/s; allow 2 x this step.
    local rate_bps pkts
    rate_bps=$(to_bps "$rate")
    pkts=$((rate_bps * (lat_ms + 100) * 3 / (8 * 1000 * size * 2)))
    ((pkts < 25600)) && pkts=25600
    srt_buf="&fc=$pkts&rcvbuf=$((pkts * 1456))&sndbuf=$((pkts * 1456))&maxbw=$((rate_bps / 4))"
    srt_in="?rcvbuf=4194304" # same 8 MiB effective SO_RCVBUF Hitless's input asks for
  fi
  local run_limit=$((secs + lat_ms / 1000 + 40))

  launch "$d" probe_recv "$probe" recv --listen 127.0.0.1:0 --idle 2s \
    --duration "${run_limit}s" --stats-json "$d/probe.json"
  local q
  q=$(listening_port "$d" probe_recv)

  local rx_port target in_port
  case $sys in
    hitless)
      launch "$d" rx "$hrecv" "hitless://127.0.0.1:0?mode=listener&latency=${lat_ms}ms" \
        "udp://127.0.0.1:$q" --quiet --stats-json "$d/rx.json"
      rx_port=$(listening_port "$d" rx)
      ;;
    srt)
      rx_port=$(free_port)
      local rx_stats=()
      ((stats_every)) && rx_stats=("-s:$stats_every" -pf:json -statsout:"$d/rx-stats.json" -f)
      launch "$d" rx "$slt" -a:no -v \
        "srt://127.0.0.1:$rx_port?mode=listener&latency=$lat_ms$srt_buf$srt_extra" \
        "udp://127.0.0.1:$q" "${rx_stats[@]}"
      wait_udp_bound "$rx_port" "$pid_rx" 5 || { cat "$d/rx.err" >&2; die "srt listener did not bind"; }
      ;;
    udp) rx_port=$q ;;
  esac

  target=$rx_port
  if ((via_netem)); then
    launch "$d" netem "$netem" --listen 127.0.0.1:0 --forward "127.0.0.1:$rx_port" \
      "${netem_impairment[@]}" --seed "$seed" --quiet \
      --stats-json "$d/netem.json"
    target=$(listening_port "$d" netem)
  fi

  case $sys in
    hitless)
      in_port=$(free_port)
      launch "$d" tx "$hsend" "udp://127.0.0.1:$in_port" \
        "hitless://127.0.0.1:$target?latency=${lat_ms}ms$hitless_extra" --status-interval 200ms \
        --stats-json "$d/tx.json"
      # hitless-send binds its udp:// input at once; media flows once the
      # status line says the session is up.
      wait_grep "$d" tx ' connected ' 10 || die "hitless-send did not connect within 10 s"
      ;;
    srt)
      in_port=$(free_port)
      local tx_stats=()
      ((stats_every)) && tx_stats=("-s:$stats_every" -pf:json -statsout:"$d/tx-stats.json" -f)
      launch "$d" tx "$slt" -a:no -v "udp://127.0.0.1:$in_port$srt_in" \
        "srt://127.0.0.1:$target?mode=caller&latency=$lat_ms$srt_buf$srt_extra" "${tx_stats[@]}"
      wait_grep "$d" tx 'SRT target connected' 10 || die "srt-live-transmit did not connect within 10 s"
      ;;
    udp) in_port=$target ;;
  esac

  # The stream. hitless-probe paces with sendmmsg batches; its own line says
  # how many datagrams it sent in how long.
  # In the background so that a signal to this script is handled at once.
  local s_tx0=0 s_rx0=0 s_tx1=0 s_rx1=0
  if [[ $sys != udp ]]; then
    s_tx0=$(cpu_ticks "$pid_tx")
    s_rx0=$(cpu_ticks "$pid_rx")
  fi
  launch "$d" probe_send timeout $((secs + 15)) "$probe" send --to "127.0.0.1:$in_port" \
    --bitrate "$rate" --duration "${secs}s"
  local rc=0
  wait "$pid_probe_send" || rc=$?
  if [[ $sys != udp ]]; then
    # CPU while the stream flows (the ramp's figure): start-up, handshake
    # and the drain left out, the same window for both systems.
    sleep 0.25
    s_tx1=$(cpu_ticks "$pid_tx")
    s_rx1=$(cpu_ticks "$pid_rx")
  fi
  forget "$pid_probe_send"
  ((rc == 0)) || { cat "$d/probe_send.err" >&2; die "$tag: hitless-probe send failed (exit $rc)"; }

  # Drain: everything offered is due at the receiver after the latency; give
  # retransmissions one more second, then read CPU and stop receiver, sender.
  # The receiver goes first: hitless-recv drops its session counters from
  # --stats-json once the sender's shutdown has ended the session.
  local cpu_tx=0 cpu_rx=0 tx_hung=0 rx_hung=0 tx_alive=1 rx_alive=1
  if [[ $sys != udp ]]; then
    sleep "$(awk -v l="$lat_ms" 'BEGIN { printf "%.3f", l / 1000 + 1 }')"
    alive "$pid_tx" || tx_alive=0
    alive "$pid_rx" || rx_alive=0
    cpu_tx=$(cpu_ticks "$pid_tx")
    cpu_rx=$(cpu_ticks "$pid_rx")
    stop_proc "$pid_rx" 5 || rx_hung=1
    stop_proc "$pid_tx" 5 || tx_hung=1
  fi
  wait_exit "$pid_probe_recv" 8
  if ((via_netem)); then stop_proc "$pid_netem" 5 || true; fi

  # --- figures ---
  local line sent secs_sent
  line=$(cat "$d/probe_send.out")
  sent=$(sed -n 's/^sent \([0-9]*\) datagrams.*/\1/p' <<<"$line")
  secs_sent=$(sed -n 's/.* in \([0-9.]*\) s;.*/\1/p' <<<"$line")
  [[ -n $sent && -n $secs_sent ]] || die "$tag: cannot parse probe sender line: $line"
  [[ -s $d/probe.json ]] || die "$tag: probe receiver wrote no stats"
  {
    echo "sent=$sent"
    echo "send_mbps=$(awk -v n="$sent" -v s="$size" -v t="$secs_sent" 'BEGIN { printf "%.1f", n * s * 8 / t / 1e6 }')"
    jq -r '"unique=\(.unique)", "probe_missing=\(.missing)", "dup=\(.duplicates)",
           "reordered=\(.reordered)", "p50=\(.delay_ms.p50)", "p99=\(.delay_ms.p99)",
           "dmax=\(.delay_ms.max)"' "$d/probe.json"
    echo "cpu_s=$(awk -v a="$cpu_tx" -v b="$cpu_rx" -v hz="$hz" 'BEGIN { printf "%.2f", (a + b) / hz }')"
    echo "cpu_stream_s=$(awk -v a=$((s_tx1 - s_tx0 + s_rx1 - s_rx0)) -v hz="$hz" 'BEGIN { printf "%.2f", a / hz }')"
    echo "cpu_tx_s=$(awk -v a="$cpu_tx" -v hz="$hz" 'BEGIN { printf "%.2f", a / hz }')"
    echo "cpu_rx_s=$(awk -v a="$cpu_rx" -v hz="$hz" 'BEGIN { printf "%.2f", a / hz }')"
    echo "tx_hung=$tx_hung rx_hung=$rx_hung tx_alive=$tx_alive rx_alive=$rx_alive"
    if ((via_netem)); then
      jq -r '"fwd_bytes=\(.forward.bytes_received)", "fwd_pkts=\(.forward.received)",
             "rev_bytes=\(.reverse.bytes_received)", "rev_pkts=\(.reverse.received)",
             "net_fwd_dropped=\(.forward.dropped_total)", "net_rev_dropped=\(.reverse.dropped_total)"' \
        "$d/netem.json"
    fi
    case $sys in
      hitless)
        [[ -s $d/tx.json ]] && jq -r '"pay_orig=\(.sender.data_sent)", "pay_retx=\(.sender.retransmitted)",
            "tx_media_in=\(.sender.media_in)", "rr_lost=\(.sender.receiver_report.lost)",
            "rr_abandoned=\(.sender.receiver_report.abandoned)"' "$d/tx.json"
        [[ -s $d/rx.json ]] && jq -r '"rx_out=\(.output.datagrams)",
            "rx_lost_at_deadline=\(.receiver.lost_at_deadline // "n/a")",
            "rx_too_late=\(.receiver.buffer.too_late // "n/a")",
            "rx_buffer_full=\(.receiver.buffer.buffer_full // "n/a")",
            "rx_unneeded=\(.receiver.loss.spurious_retransmissions // "n/a")"' "$d/rx.json"
        ;;
      srt)
        # Reports come every $stats_every packets: the last one is a ratio sample.
        if [[ -s $d/tx-stats.json ]]; then
          grep '^{' "$d/tx-stats.json" | tail -n1 | jq -r '"pay_orig=\(.send.packetsUnique)",
            "pay_retx=\(.send.packetsRetransmitted)", "srt_snd_dropped=\(.send.packetsDropped)",
            "srt_snd_lost=\(.send.packetsLost)"'
        fi
        if [[ -s $d/rx-stats.json ]]; then
          grep '^{' "$d/rx-stats.json" | tail -n1 | jq -r '"srt_rcv_lost=\(.recv.packetsLost)",
            "srt_rcv_dropped=\(.recv.packetsDropped)", "rx_unneeded=\(.recv.packetsBelated)",
            "srt_rcv_retx=\(.recv.packetsRetransmitted)"'
        fi
        ;;
    esac
  } >"$d/result"
}

# get TAG KEY: a figure from a finished run.
get() { sed -n "s/^$2=//p" "$work/$1/result" | head -n1; }
# tx_hung=.. rx_hung=.. share one line of the result file.
get_word() { tr ' ' '\n' <"$work/$1/result" | sed -n "s/^$2=//p" | head -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
diff_pp() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.4f pp", a - b }'; }
media_bytes() { echo $(($(get "$1" sent) * size)); }
loss_pct() { awk -v s="$(get "$1" sent)" -v u="$(get "$1" unique)" 'BEGIN { printf "%.4f", (s - u) * 100 / s }'; }
ovh_pct() { awk -v f="$(get "$1" fwd_bytes)" -v m="$(media_bytes "$1")" 'BEGIN { printf "%.2f", (f / m - 1) * 100 }'; }
pay_pct() {
  awk -v o="$(get "$1" pay_orig)" -v r="$(get "$1" pay_retx)" \
    'BEGIN { if (o > 0) printf "%.2f", r * 100 / o; else print "n/a" }'
}
cpu_gb() {
  awk -v c="$(get "$1" cpu_s)" -v u="$(get "$1" unique)" -v s="$size" \
    'BEGIN { if (u > 0) printf "%.1f", c / (u * s / 1e9); else print "n/a" }'
}

log "work dir $work; load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- part 3: CPU ramp (replaces part 1) -------------------------------------------
if [[ -n $cpu_ramp ]]; then
  max_only=1 # no part 1
  saved_impairment=("${netem_impairment[@]}")
  netem_impairment=(--loss "$ramp_loss")
  log "part 3: CPU ramp at $cpu_ramp Mbit/s, ${ramp_seconds}s each, loopback and netem --loss $ramp_loss"
  for mbps in $cpu_ramp; do
    for via in 0 1; do
      for sys in hitless srt; do
        tag="ramp-$sys-$mbps-$via"
        run_chain "$sys" "$tag" "${mbps}M" "$ramp_seconds" "$via" 1
        log "  $sys @ $mbps Mbit/s via=$via: missing $(($(get "$tag" sent) - $(get "$tag" unique))), CPU $(get "$tag" cpu_stream_s) s while streaming"
      done
    done
  done
  netem_impairment=("${saved_impairment[@]}")
fi
stream_gb() {
  awk -v c="$(get "$1" cpu_stream_s)" -v u="$(get "$1" unique)" -v s="$size" \
    'BEGIN { if (u > 0) printf "%.2f", c / (u * s / 1e9); else print "n/a" }'
}

# --- part 1: impaired link -------------------------------------------------------
if ((!max_only)); then
  log "part 1: ${bitrate}bit/s for ${seconds}s, latency ${lat_ms} ms, netem $impairment_text, seed $seed"
  for sys in hitless srt; do
    log "  running $sys ..."
    run_chain "$sys" "imp-$sys" "$bitrate" "$seconds" 1 0
    log "  $sys: sent $(get "imp-$sys" sent), received $(get "imp-$sys" unique), p50 $(get "imp-$sys" p50) ms, p99 $(get "imp-$sys" p99) ms"
  done
fi

# --- part 2: max clean-link throughput ---------------------------------------------
declare -A max_ok max_note step_rows
if ((!skip_max)); then
  log "part 2: max zero-loss rate, direct loopback, ${max_seconds}s per step: $max_steps Mbit/s"
  tried=0
  for sys in hitless srt udp; do
    max_ok[$sys]=0
    max_note[$sys]="passed every step"
    for mbps in $max_steps; do
      # The baseline only has to cover the steps the systems reached.
      if [[ $sys == udp ]] && ((mbps > tried)); then
        max_note[$sys]="not needed above $tried"
        break
      fi
      [[ $sys != udp ]] && ((mbps > tried)) && tried=$mbps
      tag="max-$sys-$mbps"
      run_chain "$sys" "$tag" "${mbps}M" "$max_seconds" 0 1
      sent=$(get "$tag" sent)
      uniq=$(get "$tag" unique)
      ach=$(get "$tag" send_mbps)
      miss=$((sent - uniq))
      cpu=$(get "$tag" cpu_s)
      cpugb=$(cpu_gb "$tag")
      step_rows[$sys-$mbps]="$ach|$miss|$cpugb|$(get "$tag" p99)"
      log "  $sys @ ${mbps} Mbit/s: probe sent at $ach Mbit/s, missing $miss of $sent, CPU ${cpu}s ($cpugb s/GB)"
      if ! awk -v a="$ach" -v t="$mbps" 'BEGIN { exit !(a >= 0.97 * t) }'; then
        max_note[$sys]="probe sender reached only $ach Mbit/s at $mbps"
        break
      fi
      if ((miss != 0)); then
        max_note[$sys]="$miss of $sent missing at $mbps"
        break
      fi
      max_ok[$sys]=$mbps
    done
  done
fi

# --- report ------------------------------------------------------------------------
cat <<EOF

## Hitless vs SRT — $(date -u +%Y-%m-%d), $(nproc) cores, load before/after $load_before / $(cut -d' ' -f1-3 /proc/loadavg)

Command: \`$cmdline\`
EOF

if ((!max_only)); then
  H=imp-hitless
  S=imp-srt
  hl=$(loss_pct $H); sl=$(loss_pct $S)
  ho=$(ovh_pct $H); so=$(ovh_pct $S)
  hp=$(pay_pct $H); sp=$(pay_pct $S)
  hc=$(cpu_gb $H); sc=$(cpu_gb $S)
  cat <<EOF

Impaired link: hitless-netem \`$impairment_text --seed $seed\`,
Hitless options \`latency=${lat_ms}ms${hitless_extra}\`, ${bitrate}bit/s of ${size}-byte datagrams for ${seconds} s from hitless-probe, configured
latency ${lat_ms} ms on both ends of both systems. SRT is srt-live-transmit $srt_version, caller
\`srt://…?mode=caller&latency=$lat_ms${srt_extra}\` → listener \`srt://…?mode=listener&latency=$lat_ms${srt_extra}\`
(libsrt live-mode defaults otherwise: payloadsize 1316, maxbw -1 = 1 Gbit/s cap, lossmaxttl 0, no FEC).

| figure | Hitless | SRT | Hitless/SRT |
|---|---:|---:|---:|
| datagrams sent / received (probe) | $(get $H sent) / $(get $H unique) | $(get $S sent) / $(get $S unique) | |
| residual loss | $hl % | $sl % | $(diff_pp "$hl" "$sl") |
| end-to-end latency p50 | $(get $H p50) ms | $(get $S p50) ms | $(ratio "$(get $H p50)" "$(get $S p50)") |
| end-to-end latency p99 (max) | $(get $H p99) ($(get $H dmax)) ms | $(get $S p99) ($(get $S dmax)) ms | $(ratio "$(get $H p99)" "$(get $S p99)") |
| wire overhead: emulator fwd bytes / media bytes − 1 | $ho % | $so % | $(ratio "$ho" "$so") |
| forward / reverse datagrams at the emulator | $(get $H fwd_pkts) / $(get $H rev_pkts) | $(get $S fwd_pkts) / $(get $S rev_pkts) | |
| reverse-direction bytes (NACK/ACK/reports) | $(get $H rev_bytes) | $(get $S rev_bytes) | $(ratio "$(get $H rev_bytes)" "$(get $S rev_bytes)") |
| payload retransmissions / original packets (sender counters) | $hp % | $sp % | $(ratio "$hp" "$sp") |
| unneeded copies at the receiver (Hitless spurious_retransmissions, SRT packetsBelated) | $(get $H rx_unneeded) | $(get $S rx_unneeded) | |
| CPU s, sender + receiver | $(get $H cpu_tx_s) + $(get $H cpu_rx_s) | $(get $S cpu_tx_s) + $(get $S cpu_rx_s) | $(ratio "$(get $H cpu_s)" "$(get $S cpu_s)") |
| CPU s per GB delivered | $hc | $sc | **$(ratio "$hc" "$sc")** |
EOF
fi

if [[ -n $cpu_ramp ]]; then
  cat <<EOF

CPU ramp: hitless-probe → sender → [loopback | hitless-netem \`--loss $ramp_loss\` each way] → receiver →
hitless-probe, ${size}-byte datagrams, ${ramp_seconds} s per cell, latency ${lat_ms} ms, both systems tuned as in the
max-rate table below. CPU-seconds of sender + receiver while the stream flows, per GB delivered.
Loss: datagrams the probe sent and never got.

| Mbit/s | path | Hitless s/GB | SRT s/GB | Hitless/SRT | Hitless loss · p50 · p99 ms | SRT loss · p50 · p99 ms |
|---:|---|---:|---:|---:|---|---|
EOF
  for mbps in $cpu_ramp; do
    for via in 0 1; do
      H=ramp-hitless-$mbps-$via
      S=ramp-srt-$mbps-$via
      hg=$(stream_gb "$H"); sg=$(stream_gb "$S")
      path=loopback
      ((via)) && path="netem $ramp_loss"
      echo "| $mbps | $path | $hg | $sg | **$(ratio "$hg" "$sg")** |" \
        "$(loss_pct "$H") % · $(get "$H" p50) · $(get "$H" p99) | $(loss_pct "$S") % · $(get "$S" p50) · $(get "$S" p99) |"
    done
  done
fi

if ((!skip_max)); then
  cat <<EOF

Max zero-loss rate, clean link, direct loopback (no emulator), ${max_seconds} s per step, latency ${lat_ms} ms.
SRT here also gets \`fc\`/\`rcvbuf\`/\`sndbuf\` sized for (latency + 100 ms) × step rate × 1.5 (at least
libsrt's defaults), \`maxbw\` = 2 × step rate, and \`rcvbuf=4194304\` on its UDP input (the 8 MiB
SO_RCVBUF Hitless's input asks for). Hitless has no buffer options: defaults.
Cells: probe's achieved Mbit/s · missing datagrams · CPU s/GB (sender+receiver) · p99 ms.

| step Mbit/s | UDP baseline (probe→probe) | Hitless | SRT |
|---:|---|---|---|
EOF
  for mbps in $max_steps; do
    row="| $mbps |"
    any=0
    for sys in udp hitless srt; do
      cell=${step_rows[$sys-$mbps]:-}
      if [[ -n $cell ]]; then
        any=1
        IFS='|' read -r a m c p <<<"$cell"
        if [[ $sys == udp ]]; then row+=" $a · $m · – · $p |"; else row+=" $a · $m · $c · $p |"; fi
      else
        row+=" – |"
      fi
    done
    if ((any)); then echo "$row"; fi
  done
  hm=${max_ok[hitless]}
  sm=${max_ok[srt]}
  cat <<EOF

| max zero-loss rate | UDP baseline | Hitless | SRT | Hitless/SRT |
|---|---:|---:|---:|---:|
| Mbit/s (highest step passed) | ${max_ok[udp]} | $hm | $sm | $(ratio "$hm" "$sm") |
| stepping stopped | ${max_note[udp]} | ${max_note[hitless]} | ${max_note[srt]} | |
EOF
fi

# Anything odd worth a second look, from every run.
notes=()
for r in "$work"/*/result; do
  t=$(basename "$(dirname "$r")")
  [[ $t == max-udp-* ]] && continue
  [[ $(get_word "$t" tx_alive) == 0 ]] && notes+=("$t: the sender had exited before the drain ended (see tx.err)")
  [[ $(get_word "$t" rx_alive) == 0 ]] && notes+=("$t: the receiver had exited before the drain ended (see rx.err)")
  [[ $(get_word "$t" tx_hung) == 1 ]] && notes+=("$t: the sender ignored SIGTERM for 5 s and was killed")
  [[ $(get_word "$t" rx_hung) == 1 ]] && notes+=("$t: the receiver ignored SIGTERM for 5 s and was killed")
  dup=$(get "$t" dup)
  ((dup > 0)) && notes+=("$t: the probe received $dup duplicate datagrams")
  bf=$(get "$t" rx_buffer_full)
  [[ $bf =~ ^[0-9]+$ ]] && ((bf > 0)) &&
    notes+=("$t: hitless-recv refused $bf packets as buffer_full (its receive window is a fixed number of packets; rate x latency exceeded it)")
  [[ $t == imp-hitless && -n $(get "$t" tx_media_in) && -z $(get "$t" rx_buffer_full) ]] &&
    notes+=("$t: hitless-recv's --stats-json had no receiver section")
done
if ((${#notes[@]})); then
  echo
  echo "Notes:"
  for n in "${notes[@]}"; do echo "- $n"; done
fi
