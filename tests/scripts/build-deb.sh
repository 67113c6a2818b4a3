#!/usr/bin/env bash
# Builds the deskgate Debian package with one command:
#   tests/scripts/build-deb.sh [BUILD_DIR [OUTPUT_DIR]]
# Configures BUILD_DIR (default build/, prefix /usr, RelWithDebInfo) if needed, builds
# everything the package holds (the binary and its man page), and runs `cpack -G DEB`; prints
# the path of deskgate_VERSION-1_ARCH.deb (in OUTPUT_DIR, default BUILD_DIR/packages).
# Install it with `apt-get install ./deskgate_*.deb` (README "Install as a service").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
out=${2:-$build/packages}
jobs=${HD_JOBS:-2}

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr
fi
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
if [ "$prefix" != /usr ]; then
  echo "build-deb: $build is configured with CMAKE_INSTALL_PREFIX=$prefix; the package needs /usr" >&2
  echo "build-deb: reconfigure with cmake -B $build -DCMAKE_INSTALL_PREFIX=/usr" >&2
  exit 1
fi
command -v help2man >/dev/null || { echo "build-deb: help2man is missing (tests/scripts/install-deps.sh)" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target deskgate deskgate_man
mkdir -p "$out"
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log") || { cat "$out/cpack.log" >&2; exit 1; }
rm -rf "$out/_CPack_Packages"
ls "$out"/deskgate_*.deb
