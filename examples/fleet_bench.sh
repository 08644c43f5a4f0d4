#!/usr/bin/env bash
# Resumption cost, driven from outside: edge_proxy nodes with the
# process's session store and with the fleet's Redis store, loaded by
# tlsload (rustls clients) in alternated rounds; the servers' CPU from
# /proc. Prints one line per run, then min/median/max per row.
#
#   examples/fleet_bench.sh [seconds per run] [rounds] [clients]
#
# Needs redis-server and openssl (the README's test command installs them)
# and builds the release binaries it runs.
set -euo pipefail
secs=${1:-4}
rounds=${2:-3}
conns=${3:-16}
for p in redis-server openssl; do
    command -v $p >/dev/null || { echo "fleet_bench: $p is missing (apt-get install redis-server openssl)" >&2; exit 1; }
done
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release -q -p wassl-examples --bin edge_proxy --bin tlsload --manifest-path "$root/Cargo.toml"
bin=$root/target/release
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf $work' EXIT
cd "$work"
source "$root/examples/bench_certs.sh"
head -c 32 /dev/urandom > fleet.secret
redis_port=16379 echo_port=19000
redis() { redis-server --port $redis_port --bind 127.0.0.1 --save "" --appendonly no >/dev/null & echo $! > redis.pid; sleep 0.3; }
redis
"$bin/tlsload" echo 127.0.0.1:$echo_port 2>/dev/null &
node() { # name port sessions-toml
    printf 'listen = "127.0.0.1:%s"\naccess_log = "/dev/null"\n[default]\ncertfile = "cert.pem"\nkeyfile = "key.pem"\nbackend = "127.0.0.1:%s"\n%b\n' \
        "$2" "$echo_port" "$3" > "$1.toml"
    "$bin/edge_proxy" "$1.toml" 2>"$1.err" &
    echo $! > "$1.pid"
}
fleet='[sessions]\ntickets = "stateful"\n[sessions.redis]\nurl = "redis://127.0.0.1:'$redis_port'/"\nsecret_file = "fleet.secret"'
node local 18501 '[sessions]\ntickets = "stateful"'
node fleet_a 18502 "$fleet"
node fleet_b 18503 "$fleet"
sleep 1
load() { # label addrs pids args...
    local label=$1 addrs=$2 pids=$3; shift 3
    "$bin/tlsload" --connect "$addrs" --pid "$pids" --conns "$conns" --seconds "$secs" \
        --cafile ca.pem --label "$label" "$@" | tee -a results.txt
}
L=127.0.0.1:18501 A=127.0.0.1:18502 B=127.0.0.1:18503
pl=$(cat local.pid) pa=$(cat fleet_a.pid) pb=$(cat fleet_b.pid)
for r in $(seq "$rounds"); do
    echo "# round $r" >&2
    load full_tls13_local        $L    $pl --tls13
    load resumed_tls13_local     $L    $pl --tls13 --resume
    load resumed_tls13_redis     $A    $pa --tls13 --resume
    load resumed_tls13_fleet_ab  $A,$B $pa,$pb --tls13 --resume
    load resumed_tls12_local     $L    $pl --tls12 --resume
    load resumed_tls12_redis     $A    $pa --tls12 --resume
    load resumed_tls12_fleet_ab  $A,$B $pa,$pb --tls12 --resume
    kill "$(cat redis.pid)"; wait "$(cat redis.pid)" 2>/dev/null || true
    load redis_down_tls13_fleet_ab $A,$B $pa,$pb --tls13 --resume
    load redis_down_tls12_fleet_ab $A,$B $pa,$pb --tls12 --resume
    redis; sleep 1.2
done
echo
echo "row                        per_s (min/med/max)   cpu_us_per_hs (min/med/max)   resumed_pct (med)  p99_ms (med)"
awk '
function field(name,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } }
{ l = field("label"); n[l]++; ps[l, n[l]] = field("per_s"); cpu[l, n[l]] = field("server_cpu_us_per_hs");
  res[l, n[l]] = field("resumed_pct"); p99[l, n[l]] = field("p99_ms"); if (!(l in seen)) { seen[l] = 1; order[++k] = l } }
function sorted(arr, l, c,   i, j, t, v) { for (i = 1; i <= c; i++) v[i] = arr[l, i] + 0;
  for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
  return v[1] "/" v[int((c + 1) / 2)] "/" v[c] }
function med(arr, l, c,   s) { split(sorted(arr, l, c), s, "/"); return s[2] }
END { for (i = 1; i <= k; i++) { l = order[i]; c = n[l];
  printf "%-26s %-21s %-29s %-18s %s\n", l, sorted(ps, l, c), sorted(cpu, l, c), med(res, l, c), med(p99, l, c) } }
' results.txt
