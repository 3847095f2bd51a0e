#!/usr/bin/env bash
# Starts the services the tests need, on loopback, owned by this run. Sourced by tests/run.sh.
# Each start_* function exports the connection setting the tests read and registers its own cleanup.

STATE_DIR=${AUTHPATTERNS_STATE_DIR:-/tmp/authpatterns-test-services}
mkdir -p "$STATE_DIR"
CLEANUPS=()
cleanup_services() { for ((i=${#CLEANUPS[@]}-1; i>=0; i--)); do eval "${CLEANUPS[$i]}" >/dev/null 2>&1 || true; done; }
trap cleanup_services EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

start_postgres() {
  local port=${AUTHPATTERNS_PG_PORT:-55432}
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ]; then apt_install postgresql; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); fi
  local data="$STATE_DIR/pg"
  local run_as=()
  if [ "$(id -u)" = 0 ]; then id postgres >/dev/null 2>&1 || as_root useradd -r postgres; run_as=(runuser -u postgres --); fi
  rm -rf "$data"; mkdir -p "$data"; [ "$(id -u)" = 0 ] && chown -R postgres "$STATE_DIR"
  "${run_as[@]}" "$bin/initdb" -D "$data" -U postgres -A trust --no-sync >/dev/null
  "${run_as[@]}" "$bin/pg_ctl" -D "$data" -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" -l "$data/log" -w start >/dev/null
  CLEANUPS+=("${run_as[*]} $bin/pg_ctl -D $data -m immediate stop")
  export AUTHPATTERNS_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true"
  echo "PostgreSQL on 127.0.0.1:$port"
}

start_redis() {
  local port=${AUTHPATTERNS_REDIS_PORT:-56379}
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  CLEANUPS+=("redis-cli -p $port shutdown nosave")
  export AUTHPATTERNS_REDIS="127.0.0.1:$port"
  echo "Redis on 127.0.0.1:$port"
}

# Installs the Node peers under tests/peers (package-lock.json pins them) once per machine.
install_node_peers() {
  local dir="$1"
  [ -f "$dir/package.json" ] || return 0
  (cd "$dir" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; })
}

# The browser and the reverse proxies of the OAuth2 end-to-end tests, from Debian's packages: headless Chromium
# (driven by Microsoft.Playwright through its executable path; Playwright downloads no browser), nginx and Caddy.
# The tests start their own proxy processes on free loopback ports with generated configuration files; the packages'
# own services are not started. Exports the paths the tests read.
ensure_browser_and_proxies() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v caddy >/dev/null || missing+=(caddy)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  export AUTHPATTERNS_CHROMIUM="$(command -v chromium)"
  export AUTHPATTERNS_NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
  export AUTHPATTERNS_CADDY="$(command -v caddy)"
  echo "Chromium at $AUTHPATTERNS_CHROMIUM, nginx at $AUTHPATTERNS_NGINX, Caddy at $AUTHPATTERNS_CADDY"
}
