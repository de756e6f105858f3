#!/usr/bin/env bash
# Builds a free-threaded CPython (3.13, or 3.14 when that is what Debian
# offers) with `./configure --disable-gil` from Debian's source package, into a
# cache folder, and prints the interpreter's path as the last line of stdout.
#
# Usage: scripts/build-free-threaded-python.sh [CACHE_DIR]
#   CACHE_DIR defaults to $GIL_LENS_FT_CACHE, then to $REPO/.cache/free-threaded-python.
#
# It is idempotent: when the cache already holds a working interpreter, it
# prints the path at once and does nothing else. It needs root (or sudo) for
# apt-get, and reaches only Debian's mirrors. Progress goes to stderr so that
# callers can take the path with `$(scripts/build-free-threaded-python.sh | tail -n1)`.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${1:-${GIL_LENS_FT_CACHE:-$REPO/.cache/free-threaded-python}}"
PREFIX="$CACHE/install"

log() { echo "build-free-threaded-python: $*" >&2; }

# A cached interpreter counts only if it runs and really has the GIL disabled.
find_cached() {
  local candidate
  for candidate in "$PREFIX"/bin/python3.1[3-9]t; do
    if [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys._is_gil_enabled())' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if cached="$(find_cached)"; then
  echo "$cached"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    log "apt-get needs root; run as root or install sudo"
    exit 1
  fi
fi
# Other jobs may hold the dpkg lock; wait for it instead of failing.
APT=($SUDO apt-get -o DPkg::Lock::Timeout=600 -y)

# Picks the newest free-threading-capable CPython source package that the
# configured deb-src entries offer.
pick_source() {
  local pkg
  for pkg in python3.14 python3.13; do
    if apt-cache showsrc "$pkg" 2>/dev/null | grep -q '^Package:'; then
      echo "$pkg"
      return 0
    fi
  done
  return 1
}

log "cache: $CACHE"
log "apt-get update"
"${APT[@]}" update >&2

if ! srcpkg="$(pick_source)"; then
  # Bookworm ships only python3.11 sources, so add trixie's deb-src entries.
  # They are source-only: no binary package is ever installed from trixie.
  log "no 3.13/3.14 source in the configured deb-src entries; adding trixie deb-src"
  $SUDO tee /etc/apt/sources.list.d/gil-lens-deb-src.sources >/dev/null <<'EOF'
# Added by gil-lens scripts/build-free-threaded-python.sh: source packages only.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  "${APT[@]}" update >&2
  srcpkg="$(pick_source)" || { log "Debian offers no python3.13/3.14 source package"; exit 1; }
fi
log "source package: $srcpkg"

# The build dependencies of CPython itself, taken from the host release so
# that nothing is pulled from trixie. (`apt-get build-dep python3.13` would
# ask for trixie's versions of these libraries.)
log "installing build dependencies"
"${APT[@]}" install --no-install-recommends \
  build-essential dpkg-dev pkg-config xz-utils \
  libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev libsqlite3-dev \
  libreadline-dev libncurses-dev uuid-dev libgdbm-dev libexpat1-dev >&2

SRC="$CACHE/src"
rm -rf "$SRC"
mkdir -p "$SRC"
log "apt-get source --download-only $srcpkg"
(cd "$SRC" && apt-get source --download-only "$srcpkg" >&2)

# The upstream tarball inside Debian's source package is built as is: the
# Debian patches adapt CPython to Debian's multiarch layout, which a private
# prefix does not want.
orig="$(ls "$SRC"/"${srcpkg}"_*.orig.tar.* | head -n1)"
log "unpacking $(basename "$orig")"
tar -xf "$orig" -C "$SRC"
tree="$(find "$SRC" -mindepth 1 -maxdepth 1 -type d -name 'Python-*' | head -n1)"
[ -n "$tree" ] || tree="$(find "$SRC" -mindepth 1 -maxdepth 1 -type d | head -n1)"

start=$(date +%s)
cd "$tree"
log "configure --disable-gil --prefix=$PREFIX"
./configure --disable-gil --prefix="$PREFIX" --with-ensurepip=no --disable-test-modules >&2
log "make -j$(nproc)"
make -j"$(nproc)" >&2
log "make install"
make install >&2
log "built in $(($(date +%s) - start)) s"

cd "$REPO"
rm -rf "$SRC"
if cached="$(find_cached)"; then
  echo "$cached"
else
  log "the build finished but no free-threaded interpreter is in $PREFIX/bin"
  exit 1
fi
