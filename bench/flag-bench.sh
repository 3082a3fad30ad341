#!/usr/bin/env bash
# Feature-flag serving benchmark, side by side with Unleash Edge's published 1-CPU figures.
#
#   bench/flag-bench.sh [seconds-per-run]        (default 15)
#
# Starts ONE node pinned to CPU 0 (taskset) with a fresh DEVFLOW_HOME on free 127.0.0.1 ports and
# runs wrk pinned to CPU 1, so the node uses one CPU, like Unleash Edge's "1 CPU" numbers:
#   - GET /api/client/features, tenant with 5 flags and tenant with 350 flags (~100 kB, as Edge's set)
#   - GET /api/frontend (5 flags, evaluated for the query's context)
#   - POST /api/v1/tenants/{t}/flags/evaluate: one connection (latency) and 32 (throughput)
# Two warm-up passes over every endpoint come first (the JIT shares the node's CPU). Needs Java 17, wrk, curl, python3, taskset;
# builds the jar if missing; always stops the node it started (by PID).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-15}"
work="$(mktemp -d /tmp/devflow-flag-bench.XXXXXX)"
node_pid=""
cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill "$node_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$node_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "flag-bench needs wrk (apt-get install -y wrk)" >&2; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

jar="$root/cluster/target/devflow.jar"
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package -pl cluster -am) >&2
port="$(free_port)"
DEVFLOW_HOME="$work/home" DEVFLOW_HTTP_PORT="$port" DEVFLOW_CLUSTER_PORT="$(free_port)" \
  taskset -c 0 java -Xmx1g ${FLAG_BENCH_JAVA_OPTS:-} -jar "$jar" start >"$work/node.log" 2>&1 &
node_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do curl -sf "$base/health/ready" >/dev/null && break; sleep 0.5; done
admin="$(cat "$work/home/admin-token")"

tenant_token() {
  curl -sf -X POST "$base/api/v1/tenants" -H "Authorization: Bearer $admin" -d "{\"name\":\"$1\",\"plan\":\"enterprise\"}" >/dev/null
  curl -sf -X POST "$base/api/v1/tenants/$1/tokens" -H "Authorization: Bearer $admin" -d '{"name":"bench","role":"write"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
# A flag like the ones in Edge's data sets: a rollout with a constraint and three variants.
define_flags() {
  python3 - "$base" "$1" "$2" "$3" <<'PY'
import json, sys, urllib.request
base, tenant, token, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for i in range(count):
    body = {"enabled": True, "description": f"benchmark flag {i} with a description of some length",
            "strategies": [{"name": "flexibleRollout",
                            "parameters": {"rollout": str(10 + i % 90), "stickiness": "default", "groupId": f"flag-{i}"},
                            "constraints": [{"contextName": "region", "operator": "IN", "values": ["eu", "us", "apac"]}]}],
            "variants": [{"name": "control", "weight": 334}, {"name": "blue", "weight": 333,
                          "payload": {"type": "json", "value": "{\"color\":\"blue\"}"}}, {"name": "green", "weight": 333}]}
    req = urllib.request.Request(f"{base}/api/v1/tenants/{tenant}/flags/flag-{i}", json.dumps(body).encode(),
                                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, method="PUT")
    urllib.request.urlopen(req).read()
PY
  for _ in $(seq 1 100); do
    n="$(curl -sf "$base/api/client/features" -H "Authorization: $2" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["features"]))')"
    [ "$n" = "$3" ] && return 0
    sleep 0.1
  done
  echo "flags did not reach the catalog" >&2; exit 1
}
small="$(tenant_token small)"; define_flags small "$small" 5
large="$(tenant_token large)"; define_flags large "$large" 350
large_bytes="$(curl -sf "$base/api/client/features" -H "Authorization: $large" | wc -c)"

cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
LUA
cat >"$work/evaluate.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local body = '{"context":{"userId":"user-' .. counter .. '","properties":{"region":"eu"}}}'
  return wrk.format(nil, nil, nil, body)
end
LUA
cat "$work/report.lua" >>"$work/evaluate.lua"

# run NAME CONNECTIONS URL AUTH [lua]   (with WARMUP=1: load only, no output)
run() {
  local name="$1" conns="$2" url="$3" auth="$4" script="${5:-$work/report.lua}" threads=2
  [ "$conns" -lt 2 ] && threads=1
  if [ "${WARMUP:-0}" = 1 ]; then
    taskset -c 1 wrk -t"$threads" -c"$conns" -d"${seconds}s" -H "Authorization: $auth" -s "$script" "$url" >/dev/null
    return
  fi
  local line
  line="$(taskset -c 1 wrk -t"$threads" -c"$conns" -d"${seconds}s" -H "Authorization: $auth" -s "$script" "$url" | grep '^RESULT')"
  read -r _ rps p50 p95 p99 errors <<<"$line"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$conns" "$rps" "$p50" "$p95" "$p99" "$errors"
}

all_runs() {
  run "/api/client/features, 5 flags" 64 "$base/api/client/features" "$small"
  run "/api/client/features, 350 flags ($((large_bytes / 1024)) kB)" 64 "$base/api/client/features" "$large"
  run "/api/frontend, 5 flags" 64 "$base/api/frontend?userId=user-7&properties%5Bregion%5D=eu" "$small"
  run "POST flags/evaluate, 5 flags" 1 "$base/api/v1/tenants/small/flags/evaluate" "Bearer $small" "$work/evaluate.lua"
  run "POST flags/evaluate, 5 flags" 32 "$base/api/v1/tenants/small/flags/evaluate" "Bearer $small" "$work/evaluate.lua"
}
# The JIT compiles on the node's one CPU too: warm every endpoint up twice before measuring.
WARMUP=1 all_runs
WARMUP=1 all_runs
echo "DevFlow flag serving: node pinned to 1 CPU (taskset -c 0, -Xmx1g), wrk on the other CPU, ${seconds} s per run after two warm-up passes."
echo
echo "| endpoint | connections | req/s | p50 ms | p95 ms | p99 ms | non-2xx |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
all_runs
