#!/usr/bin/env bash
# wrk through HTTPS: wassl's edge_proxy (TCP mode, relaying bytes, and HTTP
# mode, proxying requests as nginx does) against nginx terminating TLS for
# the same backend (nginx serving a small body over plain HTTP), same
# machine, same run. Prints requests/s and p99 latency and their ratios.
#
#   examples/edge_bench.sh [seconds] [connections]
#
# Needs nginx and wrk (apt-get install nginx wrk) and a release build.
set -euo pipefail
secs=${1:-15}
conns=${2:-64}
for p in nginx wrk openssl; do
    command -v $p >/dev/null || { echo "edge_bench: $p is missing (apt-get install nginx wrk openssl)" >&2; exit 1; }
done
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; [ -f $work/nginx.pid ] && kill $(cat $work/nginx.pid) 2>/dev/null; rm -rf $work' EXIT
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null
backend=18080; nginx_tls=18443; wassl_tls=18444; wassl_http=18445
cat > nginx.conf <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$backend; location / { return 200 "hello from the backend\n"; } }
    # Kept-alive upstream connections, as the edge proxy keeps one backend
    # connection per client connection.
    upstream backend { server 127.0.0.1:$backend; keepalive 128; }
    server {
        listen 127.0.0.1:$nginx_tls ssl;
        ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
        ssl_protocols TLSv1.3;
        location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
cat > edge.toml <<CONF
listen = "127.0.0.1:$wassl_tls"
alpn = ["http/1.1"]
access_log = "$work/edge-access.log"
[default]
certfile = "$work/cert.pem"
keyfile = "$work/key.pem"
backend = "127.0.0.1:$backend"
CONF
(cd "$root" && cargo build --release -q -p wassl-examples --bin edge_proxy)
sed -e "s/$wassl_tls/$wassl_http/" -e 's/edge-access/edge-http-access/' edge.toml > edge-http.toml
echo 'mode = "http"' | cat - edge-http.toml > edge-http.tmp && mv edge-http.tmp edge-http.toml
"$root/target/release/edge_proxy" edge.toml 2>edge.err &
"$root/target/release/edge_proxy" edge-http.toml 2>edge-http.err &
for _ in $(seq 50); do grep -q listening edge.err 2>/dev/null && grep -q listening edge-http.err 2>/dev/null && break; sleep 0.1; done
run() { wrk -t2 -c"$conns" -d"${secs}s" --latency "https://127.0.0.1:$1/" ; }
rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}'; }
n=$(run $nginx_tls); w=$(run $wassl_tls); h=$(run $wassl_http)
nr=$(echo "$n" | rps); wr=$(echo "$w" | rps); hr=$(echo "$h" | rps)
np=$(echo "$n" | p99); wp=$(echo "$w" | p99); hp=$(echo "$h" | p99)
echo "wrk -t2 -c$conns -d${secs}s, HTTPS (TLS 1.3), same backend (nginx, plain HTTP)"
printf '%-20s %11s %11s %11s %11s %11s\n' "" "nginx TLS" "wassl tcp" "wassl http" "tcp/nginx" "http/nginx"
printf '%-20s %11s %11s %11s %11.3f %11.3f\n' "requests/s" "$nr" "$wr" "$hr" "$(echo "$wr / $nr" | bc -l)" "$(echo "$hr / $nr" | bc -l)"
printf '%-20s %11s %11s %11s %11.3f %11.3f\n' "p99 latency (ms)" "$np" "$wp" "$hp" "$(echo "$wp / $np" | bc -l)" "$(echo "$hp / $np" | bc -l)"
echo "access log lines written by the edge proxy: $(wc -l < edge-access.log)"
