#!/usr/bin/env bash
# Installs the Debian 12 packages Hitless needs to build, test and run its
# demo, and only those that are missing. Run as root (or with sudo).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git
  clang libclang-rt-14-dev            # libFuzzer targets
  # libraries (see DESIGN.md's table)
  libabsl-dev libboost-dev liburing-dev libsrt-openssl-dev libisal-dev libssl-dev
  libtomlplusplus-dev
  # tests and benchmarks
  googletest libgtest-dev libbenchmark-dev
  iproute2                            # network-namespace tests
  # side-by-side benchmarks (tests/bench/compare_srt.sh) and the SRT-edge
  # tests (srt-live-transmit; ffmpeg encodes and decodes through Hitless)
  srt-tools jq ffmpeg
  # hitless-scenario report plots
  python3-matplotlib
  # relay metrics check (promtool) and fetch
  prometheus curl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
