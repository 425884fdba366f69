#!/usr/bin/env bash
# ops/scale-out.sh — two Thalamus instances behind one nginx (TLS), sharing a PostgreSQL primary
# through PgBouncer, with collection reads on a streaming replica made by pg_basebackup:
#
#   client --TLS--> nginx --+--> Thalamus A --+--> PgBouncer --> PostgreSQL primary  (writes, single records)
#                           +--> Thalamus B --+--------------> PostgreSQL replica  (collections: READ_DATABASE_URL)
#
# Everything runs on loopback ports in a temporary directory, with its own private PostgreSQL
# clusters (PostgreSQL 15 binaries, run as the postgres user); nothing shared is touched.
# Needs root (apt-get, su postgres), nginx, pgbouncer and a built tree (npm ci).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
WORK=$(mktemp -d /tmp/thalamus-scale.XXXXXX)
chmod 1777 "$WORK"   # the postgres user writes its clusters, logs and sockets here
PIDS=()
FAILED=0
log() { printf '\033[1m== %s\033[0m\n' "$*"; }
ok() { printf '  ok   %s\n' "$*"; }
bad() { printf '  FAIL %s\n' "$*"; FAILED=$((FAILED + 1)); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { su postgres -s /bin/sh -c "$*"; }

cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
  [ -f "$WORK/pgbouncer.pid" ] && kill "$(cat "$WORK/pgbouncer.pid")" 2>/dev/null
  sleep 1
  for d in replica primary; do [ -d "$WORK/$d" ] && as_pg "$PGBIN/pg_ctl -D $WORK/$d -m immediate stop" >/dev/null 2>&1; done
  if [ "$FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

need=()
command -v nginx >/dev/null || need+=(nginx)
command -v pgbouncer >/dev/null || need+=(pgbouncer)
[ ${#need[@]} -gt 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
[ -f "$ROOT/dist/src/main.js" ] || { echo "build first: npm ci" >&2; exit 2; }

P_PORT=$(free_port); R_PORT=$(free_port); PGB_PORT=$(free_port); A_PORT=$(free_port); B_PORT=$(free_port); NGINX_PORT=$(free_port)

log "PostgreSQL primary on $P_PORT"
as_pg "$PGBIN/initdb -D $WORK/primary -A trust -U thalamus" >/dev/null
as_pg "$PGBIN/pg_ctl -D $WORK/primary -l $WORK/primary.log -o '-p $P_PORT -k $WORK -c listen_addresses=127.0.0.1 -c wal_level=replica' -w start" >/dev/null
PRIMARY="postgresql://thalamus@127.0.0.1:$P_PORT/federation"
psql "postgresql://thalamus@127.0.0.1:$P_PORT/postgres" -qc 'CREATE DATABASE federation'
(cd "$ROOT" && DATABASE_URL=$PRIMARY node dist/src/cli/migrate.js && DATABASE_URL=$PRIMARY node dist/src/cli/seed-demo.js) >/dev/null

log "streaming replica on $R_PORT (pg_basebackup)"
as_pg "$PGBIN/pg_basebackup -h 127.0.0.1 -p $P_PORT -U thalamus -D $WORK/replica -R -X stream" >/dev/null
as_pg "$PGBIN/pg_ctl -D $WORK/replica -l $WORK/replica.log -o '-p $R_PORT -k $WORK -c listen_addresses=127.0.0.1' -w start" >/dev/null
REPLICA="postgresql://thalamus@127.0.0.1:$R_PORT/federation"
[ "$(psql "$REPLICA" -Atc 'SELECT pg_is_in_recovery()')" = t ] && ok 'replica is in recovery (read-only standby)' || bad 'replica not in recovery'

log "PgBouncer (transaction pooling) on $PGB_PORT → primary"
sed -e "s/^thalamus = .*/federation = host=127.0.0.1 port=$P_PORT dbname=federation user=thalamus/" \
    -e "s/^listen_port = .*/listen_port = $PGB_PORT/" -e "s|^unix_socket_dir = .*|unix_socket_dir =|" \
    -e "s/^auth_type = .*/auth_type = any/" -e "s|^auth_file = .*|;auth_file|" \
    -e "s|^logfile = .*|logfile = $WORK/pgbouncer.log|" -e "s|^pidfile = .*|pidfile = $WORK/pgbouncer.pid|" \
    -e "s/^admin_users = .*/admin_users = thalamus/" \
    "$ROOT/ops/pgbouncer.ini" > "$WORK/pgbouncer.ini"
touch "$WORK/pgbouncer.log"; chown postgres "$WORK/pgbouncer.log"
pgbouncer -d -u postgres "$WORK/pgbouncer.ini"
sleep 1

start_instance() { # name port
  (cd "$ROOT" && DATABASE_URL="postgresql://thalamus@127.0.0.1:$PGB_PORT/federation" READ_DATABASE_URL=$REPLICA \
    THALAMUS_PREPARED_STATEMENTS=false THALAMUS_MIGRATE_ON_START=false THALAMUS_SEED_DEMO=never \
    PORT=$2 HOST=127.0.0.1 THALAMUS_WORKERS=1 THALAMUS_SPARE_WORKER=false THALAMUS_TRUSTED_PROXIES=127.0.0.1 \
    exec node dist/src/main.js) >"$WORK/thalamus-$1.log" 2>&1 &
  PIDS+=("$!")
}
log "Thalamus A on $A_PORT and B on $B_PORT"
start_instance a "$A_PORT"; start_instance b "$B_PORT"
for f in a b; do
  for _ in $(seq 1 120); do grep -q 'listening on' "$WORK/thalamus-$f.log" 2>/dev/null && break; sleep 0.5; done
  grep -q 'listening on' "$WORK/thalamus-$f.log" || { cat "$WORK/thalamus-$f.log"; echo "instance $f did not start" >&2; exit 1; }
done

log "nginx (TLS) on $NGINX_PORT, upstream pool of both instances"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
site=$(python3 - "$ROOT/ops/nginx-thalamus.conf" "$A_PORT" "$B_PORT" "$NGINX_PORT" "$WORK" <<'PY'
import re, sys
conf, a, b, port, work = sys.argv[1:]
s = open(conf).read()
s = s[s.index('upstream thalamus'):]
s = re.sub(r'server \{\n    listen 80;.*?\n\}\n', '', s, flags=re.S)
s = s.replace('server 127.0.0.1:8080 max_fails=0;', 'server 127.0.0.1:%s max_fails=0;\n    server 127.0.0.1:%s max_fails=0;' % (a, b))
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
  access_log off;
  client_body_temp_path $WORK/cbody; proxy_temp_path $WORK/proxy;
  fastcgi_temp_path $WORK/fcgi; uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
$site
}
NGINX
nginx -t -q -c "$WORK/nginx.conf" -p "$WORK" && nginx -c "$WORK/nginx.conf" -p "$WORK"

BASE="https://127.0.0.1:$NGINX_PORT"
C=(curl -sS --cacert "$WORK/tls.crt" --max-time 20)
count() { curl -s "127.0.0.1:$1/metrics" | awk '/^thalamus_http_requests_total\{method="GET",route="\/people\/\{person\}",status="200"\}/ {print $2}' ; }

log "40 requests through nginx"
fails=0
for i in $(seq 1 40); do
  code=$("${C[@]}" -o /dev/null -w '%{http_code}' -u ITAPYT999HON:gnusolidario "$BASE/people/ITAPYT999HON" || true)
  [ "$code" = 200 ] || fails=$((fails + 1))
done
a=$(count "$A_PORT"); b=$(count "$B_PORT")
echo "  instance A answered ${a:-0}, instance B answered ${b:-0} (failed: $fails)"
[ "${a:-0}" -gt 0 ] && [ "${b:-0}" -gt 0 ] && ok 'requests spread over both instances' || bad 'one instance got nothing'
[ "$fails" = 0 ] && ok 'no request failed' || bad "$fails requests failed"

log "writes on the primary, collections from the replica"
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -X POST -u ARGBUE111FAV:freedom --data-binary '{"name":"Scale","lastname":"Out"}' "$BASE/people/SCALEOUT1")
[ "$code" = 201 ] && ok 'POST /people/SCALEOUT1 → 201 (primary via PgBouncer)' || bad "POST → $code"
seen=no
for _ in $(seq 1 20); do
  "${C[@]}" -u ARGBUE111FAV:freedom "$BASE/people" | grep -q SCALEOUT1 && { seen=yes; break; }
  sleep 0.25
done
[ "$seen" = yes ] && ok 'the new person shows in GET /people (served from the replica) within 5 s' || bad 'the write never reached the replica collection'
n=$(psql "$REPLICA" -Atc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'thalamus-read'")
[ "$n" -gt 0 ] && ok "replica has $n connection(s) from Thalamus' read pools" || bad 'no read-pool connection on the replica'
[ "$("${C[@]}" -o /dev/null -w '%{http_code}' -u ARGBUE111FAV:freedom "$BASE/people/SCALEOUT1")" = 200 ] && ok 'single record read (primary) → 200'

if [ "$FAILED" -gt 0 ]; then log "$FAILED check(s) FAILED"; exit 1; fi
log "scale-out checks passed"
