#!/usr/bin/env bash
# ops/smoke.sh — run Thalamus the way ops/README.md deploys it, on loopback ports, and check it:
#   client --TLS--> nginx --HTTP/1.1 keep-alive--> Thalamus --> PgBouncer (transaction) --> PostgreSQL
#   client --TLS--> Apache httpd --HTTP/1.1-----> (the same Thalamus)
# Installs nginx, apache2 and pgbouncer with apt-get when missing (needs root), makes a self-signed
# certificate, creates and drops its own database. Needs a built tree (npm ci) and a PostgreSQL:
#   ADMIN_DATABASE_URL=postgresql://root@127.0.0.1:5432/test ops/smoke.sh
# Exit status 0 when every check passed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ADMIN_URL=${ADMIN_DATABASE_URL:-${DATABASE_URL:-postgresql://root@127.0.0.1:5432/test}}
WORK=$(mktemp -d /tmp/thalamus-smoke.XXXXXX)
DB="thalamus_smoke_$$"
PIDS=()
FAILED=0

log() { printf '\033[1m== %s\033[0m\n' "$*"; }
ok() { printf '  ok   %s\n' "$*"; }
bad() { printf '  FAIL %s\n' "$*"; FAILED=$((FAILED + 1)); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
  [ -f "$WORK/apache.pid" ] && kill "$(cat "$WORK/apache.pid")" 2>/dev/null
  [ -f "$WORK/pgbouncer.pid" ] && kill "$(cat "$WORK/pgbouncer.pid")" 2>/dev/null
  sleep 1
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
  if [ "$FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# --- packages -------------------------------------------------------------------------------
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v pgbouncer >/dev/null || need+=(pgbouncer)
[ -x /usr/sbin/apache2 ] || need+=(apache2)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  # policy-rc.d keeps the packaged services from starting on the default ports.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi
[ -f "$ROOT/dist/src/main.js" ] || { echo "build first: npm ci" >&2; exit 2; }

NGINX_PORT=$(free_port); APACHE_PORT=$(free_port); APP_PORT=$(free_port); PGB_PORT=$(free_port)
u=$(python3 -c 'import sys,urllib.parse as p; u=p.urlsplit(sys.argv[1]); print(u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres")' "$ADMIN_URL")
read -r PG_HOST PG_PORT PG_USER <<<"$u"

# --- certificate and database ---------------------------------------------------------------
log "self-signed certificate"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
log "database $DB, schema and demo data (directly on PostgreSQL: migrations take a session lock)"
psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
DIRECT_URL="postgresql://$PG_USER@$PG_HOST:$PG_PORT/$DB"
(cd "$ROOT" && DATABASE_URL=$DIRECT_URL node dist/src/cli/migrate.js && DATABASE_URL=$DIRECT_URL node dist/src/cli/seed-demo.js) >/dev/null

# --- PgBouncer ------------------------------------------------------------------------------
log "PgBouncer (transaction pooling) on 127.0.0.1:$PGB_PORT"
sed -e "s/^thalamus = .*/smoke = host=$PG_HOST port=$PG_PORT dbname=$DB user=$PG_USER/" \
    -e "s/^listen_port = .*/listen_port = $PGB_PORT/" \
    -e "s|^unix_socket_dir = .*|unix_socket_dir =|" \
    -e "s/^auth_type = .*/auth_type = any/" \
    -e "s|^auth_file = .*|;auth_file|" \
    -e "s|^logfile = .*|logfile = $WORK/pgbouncer.log|" \
    -e "s|^pidfile = .*|pidfile = $WORK/pgbouncer.pid|" \
    "$ROOT/ops/pgbouncer.ini" > "$WORK/pgbouncer.ini"
# PgBouncer refuses to run as root.
RUN_AS=postgres; id "$RUN_AS" >/dev/null 2>&1 || RUN_AS=nobody
chmod 755 "$WORK"; chmod 644 "$WORK/pgbouncer.ini"; touch "$WORK/pgbouncer.log"; chown "$RUN_AS" "$WORK/pgbouncer.log"
chmod 777 "$WORK"
if [ "$(id -u)" = 0 ]; then pgbouncer -d -u "$RUN_AS" "$WORK/pgbouncer.ini"; else pgbouncer -d "$WORK/pgbouncer.ini"; fi
sleep 1

# --- Thalamus -------------------------------------------------------------------------------
log "Thalamus on 127.0.0.1:$APP_PORT through PgBouncer"
(cd "$ROOT" && DATABASE_URL="postgresql://$PG_USER@127.0.0.1:$PGB_PORT/smoke" THALAMUS_PREPARED_STATEMENTS=false \
  THALAMUS_MIGRATE_ON_START=false THALAMUS_SEED_DEMO=never PORT=$APP_PORT HOST=127.0.0.1 THALAMUS_WORKERS=2 \
  THALAMUS_TRUSTED_PROXIES=127.0.0.1 LOG_LEVEL=${LOG_LEVEL:-info} exec node dist/src/main.js) >"$WORK/thalamus.log" 2>&1 &
APP_PID=$!; PIDS+=("$APP_PID")
for _ in $(seq 1 120); do grep -q 'listening on' "$WORK/thalamus.log" 2>/dev/null && break; sleep 0.5; done
grep -q 'listening on' "$WORK/thalamus.log" || { cat "$WORK/thalamus.log"; echo "Thalamus did not start" >&2; exit 1; }

# --- nginx ----------------------------------------------------------------------------------
log "nginx (TLS) on 127.0.0.1:$NGINX_PORT"
# The shipped site with loopback ports and the test certificate; the port-80 redirect dropped.
site=$(python3 - "$ROOT/ops/nginx-thalamus.conf" "$APP_PORT" "$NGINX_PORT" "$WORK" <<'PY'
import re, sys
conf, app, port, work = sys.argv[1:]
s = open(conf).read()
s = s[s.index('upstream thalamus'):]
s = re.sub(r'server \{\n    listen 80;.*?\n\}\n', '', s, flags=re.S)
s = s.replace('server 127.0.0.1:8080', 'server 127.0.0.1:' + app)
s = s.replace('listen 443 ssl http2;', 'listen 127.0.0.1:%s ssl http2;' % port).replace('    listen [::]:443 ssl http2;\n', '')
s = s.replace('/etc/ssl/certs/thalamus.crt', work + '/tls.crt').replace('/etc/ssl/private/thalamus.key', work + '/tls.key')
print(s)
PY
)
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log $WORK/nginx-access.log;
  client_body_temp_path $WORK/cbody; proxy_temp_path $WORK/proxy;
  fastcgi_temp_path $WORK/fcgi; uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
$site
}
NGINX
nginx -t -q -c "$WORK/nginx.conf" -p "$WORK"
nginx -c "$WORK/nginx.conf" -p "$WORK"

# --- checks ---------------------------------------------------------------------------------
BASE="https://127.0.0.1:$NGINX_PORT"
C=(curl -sS --cacert "$WORK/tls.crt" --max-time 20)
CAM=(-u ITAPYT999HON:gnusolidario)
check() { # name expected-status curl-args...
  local name=$1 want=$2; shift 2
  local got; got=$("${C[@]}" -o "$WORK/body" -w '%{http_code}' "$@" || true)
  if [ "$got" = "$want" ]; then ok "$name → $got"; else bad "$name → $got, want $want: $(head -c 200 "$WORK/body")"; fi
}
log "requests over TLS through nginx"
check 'GET /healthz' 200 "$BASE/healthz"
check 'GET /readyz (database through PgBouncer)' 200 "$BASE/readyz"
check 'GET /people/ITAPYT999HON' 200 "${CAM[@]}" "$BASE/people/ITAPYT999HON"
check 'GET /people/ITAPYT999HON over HTTP/2' 200 --http2 "${CAM[@]}" "$BASE/people/ITAPYT999HON"
check 'wrong password' 401 -u ITAPYT999HON:nope "$BASE/people/ITAPYT999HON"
check 'POST a page of life (no Content-Type, as MyGNUHealth)' 201 -X POST -u ESPGNU777ORG:gnusolidario \
  --data-binary '{"page_date":"2024-02-02T10:00:00Z","summary":"smoke"}' -H 'Content-Type:' "$BASE/pols/ESPGNU777ORG/smoke-$$"
check 'read it back' 200 -u ESPGNU777ORG:gnusolidario "$BASE/pols/ESPGNU777ORG/smoke-$$"
check 'GET /people collection (streamed)' 200 -u ARGBUE111FAV:freedom "$BASE/people"
check 'malformed JSON' 400 -X POST "${CAM[@]}" --data-binary '{bad' "$BASE/people/SMOKEBAD1"
check 'NUL in an ID' 400 "${CAM[@]}" "$BASE/people/ABC%00DEF"
check 'encoded traversal in an ID' 400 "${CAM[@]}" "$BASE/people/..%2F..%2Fetc%2Fpasswd"
head -c 1200000 /dev/zero | tr '\0' 'a' > "$WORK/big"
check 'body over 1 MiB' 413 -X POST "${CAM[@]}" --data-binary @"$WORK/big" "$BASE/people/SMOKEBIG1"
check 'GET /metrics from loopback' 200 "$BASE/metrics"
grep -q '^thalamus_http_requests_total' "$WORK/body" && ok 'metrics text has request counters' || bad 'metrics text'

http10() { # base-url [curl-args...]
  local base=$1; shift
  check 'HTTP/1.0 GET /healthz' 200 --http1.0 "$@" "$base/healthz"
  check 'HTTP/1.0 GET /people/ITAPYT999HON' 200 --http1.0 "$@" "${CAM[@]}" "$base/people/ITAPYT999HON"
  local hdrs; hdrs=$("${C[@]}" --http1.0 "$@" -D - -o /dev/null -u ARGBUE111FAV:freedom "$base/people")
  if grep -qi '^transfer-encoding: chunked' <<<"$hdrs"; then bad 'HTTP/1.0 collection came chunked'; else ok 'HTTP/1.0 collection is not chunked'; fi
}
pipelined() { # port
  local pipe
  pipe=$( (printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'; sleep 3) \
    | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$1" -CAfile "$WORK/tls.crt" 2>/dev/null | grep -ao 'HTTP/1.1 [0-9]*' | tr '\n' ' ')
  [ "$pipe" = 'HTTP/1.1 200 HTTP/1.1 404 HTTP/1.1 200 ' ] && ok "pipelined answers in order: $pipe" || bad "pipelining: '$pipe'"
}

log "HTTP/1.0 through nginx (nginx speaks HTTP/1.1 upstream)"
http10 "$BASE"

log "pipelining over TLS"
pipelined "$NGINX_PORT"

log "client address from the trusted proxy"
"${C[@]}" -o /dev/null "${CAM[@]}" -H 'X-Forwarded-For: 203.0.113.9' "$BASE/people/ITAPYT999HON"
ok 'X-Forwarded-For passed on (see the remote field in the request log)'

# --- Apache ---------------------------------------------------------------------------------
log "Apache httpd (TLS) on 127.0.0.1:$APACHE_PORT"
# The shipped site's *:443 virtual host with the loopback port, the test certificate and this
# Thalamus, in a minimal server config with only the modules the site needs.
site=$(python3 - "$ROOT/ops/apache-thalamus.conf" "$APP_PORT" "$APACHE_PORT" "$WORK" <<'PY'
import sys
conf, app, port, work = sys.argv[1:]
s = open(conf).read()
s = s[s.index('<VirtualHost *:443>'):]
s = s[:s.index('</VirtualHost>') + len('</VirtualHost>')]
s = s.replace('<VirtualHost *:443>', '<VirtualHost 127.0.0.1:%s>' % port)
s = s.replace('http://127.0.0.1:8080/', 'http://127.0.0.1:%s/' % app)
s = s.replace('/etc/ssl/certs/thalamus.crt', work + '/tls.crt').replace('/etc/ssl/private/thalamus.key', work + '/tls.key')
print(s)
PY
)
mods=$(for m in mpm_event authz_core setenvif socache_shmcb ssl headers reqtimeout rewrite proxy proxy_http; do
  echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so"; done)
run_as=''; [ "$(id -u)" = 0 ] && run_as=$'User www-data\nGroup www-data'
mkdir -p "$WORK/www"
cat > "$WORK/apache.conf" <<APACHE
ServerRoot $WORK
DefaultRuntimeDir $WORK
PidFile $WORK/apache.pid
Mutex file:$WORK default
ErrorLog $WORK/apache-error.log
ServerName localhost
$run_as
$mods
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
SSLSessionCache shmcb:$WORK/ssl_scache(512000)
DocumentRoot $WORK/www
<Directory />
    Require all denied
</Directory>
<Directory $WORK/www>
    Require all granted
</Directory>
Listen 127.0.0.1:$APACHE_PORT
$site
APACHE
# The site logs to Debian's APACHE_LOG_DIR (set by /etc/apache2/envvars in production).
APACHE_LOG_DIR=$WORK /usr/sbin/apache2 -f "$WORK/apache.conf" -k start
for _ in $(seq 1 50); do "${C[@]}" -o /dev/null "https://127.0.0.1:$APACHE_PORT/healthz" 2>/dev/null && break; sleep 0.2; done

AB="https://127.0.0.1:$APACHE_PORT"
log "requests over TLS through Apache"
check 'GET /healthz' 200 "$AB/healthz"
check 'GET /readyz' 200 "$AB/readyz"
check 'GET /people/ITAPYT999HON' 200 "${CAM[@]}" "$AB/people/ITAPYT999HON"
check 'wrong password' 401 -u ITAPYT999HON:nope "$AB/people/ITAPYT999HON"
check 'POST a page of life (no Content-Type, as MyGNUHealth)' 201 -X POST -u ESPGNU777ORG:gnusolidario \
  --data-binary '{"page_date":"2024-02-03T10:00:00Z","summary":"smoke"}' -H 'Content-Type:' "$AB/pols/ESPGNU777ORG/smoke-apache-$$"
check 'read it back' 200 -u ESPGNU777ORG:gnusolidario "$AB/pols/ESPGNU777ORG/smoke-apache-$$"
check 'GET /people collection (streamed)' 200 -u ARGBUE111FAV:freedom "$AB/people"
check 'malformed JSON' 400 -X POST "${CAM[@]}" --data-binary '{bad' "$AB/people/SMOKEBAD2"
check 'NUL in an ID (Apache refuses an encoded NUL itself)' 404 "${CAM[@]}" "$AB/people/ABC%00DEF"
check 'body over 1 MiB' 413 -X POST "${CAM[@]}" --data-binary @"$WORK/big" "$AB/people/SMOKEBIG2"
check 'chunked body (no declared length)' 411 -X POST "${CAM[@]}" -H 'Transfer-Encoding: chunked' --data-binary '{}' "$AB/people/SMOKECHUNK1"
check 'unknown method' 403 -X BREW "$AB/people"
check 'GET /metrics (not proxied)' 404 "$AB/metrics"

log "HTTP/1.0 through Apache (mod_proxy_http speaks HTTP/1.1 upstream)"
# Without ALPN: curl --http1.0 offers only "http/1.0", which httpd 2.4's mod_ssl answers with
# "http/1.1" (not offered), so curl aborts the handshake. Clients that send no ALPN are fine.
http10 "$AB" --no-alpn

log "pipelining over TLS through Apache"
pipelined "$APACHE_PORT"

log "client address from Apache"
"${C[@]}" -o /dev/null "${CAM[@]}" -H 'X-Forwarded-For: 203.0.113.7' "$AB/people/ITAPYT999HON"
sleep 0.5
grep -q '"remote":"203.0.113.7"' "$WORK/thalamus.log" && ok 'X-Forwarded-For from Apache believed (trustedProxies 127.0.0.1)' || bad 'forwarded client address not in the request log'

log "SIGHUP under traffic: every worker replaced, no failed request"
before=$(pgrep -P "$APP_PID" | sort | tr '\n' ' ')
: > "$WORK/codes"
( end=$((SECONDS + 25)); while [ $SECONDS -lt $end ] && [ ! -f "$WORK/stop" ]; do
    "${C[@]}" -o /dev/null -w 'nginx %{http_code}\n' "${CAM[@]}" "$BASE/people/ITAPYT999HON" >> "$WORK/codes" || true
    "${C[@]}" -o /dev/null -w 'apache %{http_code}\n' "${CAM[@]}" "$AB/people/ITAPYT999HON" >> "$WORK/codes" || true
  done ) &
LOOP=$!
sleep 1
kill -HUP "$APP_PID"
for _ in $(seq 1 60); do grep -q 'reload complete' "$WORK/thalamus.log" 2>/dev/null && break; sleep 0.5; done
sleep 1; touch "$WORK/stop"; wait "$LOOP" || true
after=$(pgrep -P "$APP_PID" | sort | tr '\n' ' ')
total=$(wc -l < "$WORK/codes"); fails=$(grep -vc ' 200$' "$WORK/codes" || true)
grep -q 'reload complete' "$WORK/thalamus.log" && ok "reload complete (workers $before→ $after)" || bad 'reload did not complete'
[ "$fails" = 0 ] && ok "$total requests (nginx and Apache) during the reload, 0 failed" \
  || bad "$fails of $total requests failed during the reload: $(grep -v ' 200$' "$WORK/codes" | sort | uniq -c | tr -s ' \n' ' ')"

log "graceful stop"
kill -TERM "$APP_PID"; code=0; wait "$APP_PID" || code=$?
[ "$code" = 0 ] && ok 'SIGTERM → exit 0' || bad "SIGTERM → exit $code"
PIDS=()

if [ "$FAILED" -gt 0 ]; then log "$FAILED check(s) FAILED"; exit 1; fi
log "all checks passed"
