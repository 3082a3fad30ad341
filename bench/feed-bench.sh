#!/usr/bin/env bash
# Event feed benchmark: N concurrent Server-Sent Events clients of one tenant on one node, events
# produced at R/s for S seconds (repositories created and deleted: two events per pair), latency
# from the event's `at` to its arrival at each client, lost events, resyncs, heap and CPU.
#
#   bench/feed-bench.sh [clients] [events-per-second] [seconds]      (defaults 4000 100 30)
#
# Environment (all optional):
#   FEED_BENCH_JAVA_OPTS   extra JVM options for the node
#   FEED_BENCH_XMX         node heap (default 1g)
#   FEED_BENCH_WORKERS     load-generator worker threads holding the SSE clients (default 1)
#   FEED_BENCH_CONCURRENCY concurrent producer requests (default 16)
#   FEED_BENCH_RAMP        clients opened at a time (default 200)
#   FEED_BENCH_WARMUP      seconds produced at the same rate before the measured ones (default 5)
#   FEED_BENCH_MODE        after (default: clients connect with ?after=<last id>) or now (no ?after=)
#   FEED_BENCH_DRAIN       seconds to wait for the last events after production (default 15)
#   FEED_BENCH_CONNECT_TIMEOUT  seconds for all clients to get "retry:" (default 120); else exit 2
#   FEED_BENCH_JFR=1       record the measured seconds with JDK Flight Recorder and print the hottest
#                          methods (implies FEED_BENCH_KEEP=1: $work/node.jfr)
#   FEED_BENCH_KEEP=1      keep the temporary directory (node log, results JSON)
#
# Needs: Java 17, Maven (only if the jar is missing), Node.js 20, curl, python3. Starts ONE node on
# free 127.0.0.1 ports with a fresh DEVFLOW_HOME and always stops it (by PID) on exit. Prints a
# Markdown table; the full results (per-second latency timeline, heap series) go to stderr as JSON
# lines and to $work/result.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
clients="${1:-4000}"; rate="${2:-100}"; seconds="${3:-30}"
work="$(mktemp -d /tmp/devflow-feed-bench.XXXXXX)"
node_pid=""
cleanup() {
  local rc=$?
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill "$node_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$node_pid" 2>/dev/null && kill -9 "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  if [ "${FEED_BENCH_KEEP:-0}" = 1 ] || [ "${FEED_BENCH_JFR:-0}" = 1 ] || [ "$rc" != 0 ]; then
    echo "kept $work (node.log, result.json)" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 4,000 SSE sockets on the client side plus as many on the server side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

jar="$root/cluster/target/devflow.jar"
if [ ! -f "$jar" ]; then
  echo "building $jar..." >&2
  (cd "$root" && mvn -q -B -DskipTests package -pl cluster -am) >&2
fi
# Run a copy: a build in the work tree during the run must not replace the jars under the node.
mkdir -p "$work/app"
cp "$jar" "$work/app/devflow.jar"; cp -r "$root/cluster/target/lib" "$work/app/lib"
jar="$work/app/devflow.jar"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)" >&2

port=$(free_port); cport=$(free_port)
# shellcheck disable=SC2086
DEVFLOW_HOME="$work/home" DEVFLOW_HTTP_HOST=127.0.0.1 DEVFLOW_HTTP_PORT="$port" \
DEVFLOW_CLUSTER_HOST=127.0.0.1 DEVFLOW_CLUSTER_PORT="$cport" \
  java "-Xmx${FEED_BENCH_XMX:-1g}" ${FEED_BENCH_JAVA_OPTS:-} -jar "$jar" start > "$work/node.log" 2>&1 &
node_pid=$!
echo "node pid $node_pid, http 127.0.0.1:$port, home $work/home" >&2
for _ in $(seq 1 240); do
  curl -sf "127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 "$node_pid" 2>/dev/null || { echo "node exited; log:" >&2; tail -50 "$work/node.log" >&2; exit 1; }
  sleep 0.5
done
curl -sf "127.0.0.1:$port/health/ready" >/dev/null || { echo "node not ready after 120 s" >&2; tail -50 "$work/node.log" >&2; exit 1; }
for _ in $(seq 1 20); do [ -s "$work/home/admin-token" ] && break; sleep 0.25; done
admin=$(cat "$work/home/admin-token")
api() { curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' "$@"; }
api -X POST "127.0.0.1:$port/api/v1/tenants" -d '{"name":"bench","plan":"team"}' >/dev/null
# Deleting a repository needs the admin role of the tenant; the clients use the same token.
token=$(api -X POST "127.0.0.1:$port/api/v1/tenants/bench/tokens" -d '{"name":"feed-bench","role":"admin"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

pg_port=$(ps -eo args | grep -v grep | grep -F -- "-D $work/home/pgdata" | sed -nE 's/.* -p ([0-9]+).*/\1/p' | head -1)
if [ "${FEED_BENCH_JFR:-0}" = 1 ]; then
  # JFR's "profile" settings with a Java sample every 1 ms instead of 10 ms.
  java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  sed '/"jdk.ExecutionSample"/,/<\/event>/ s/>10 ms</>1 ms</' "$java_home/lib/jfr/profile.jfc" > "$work/sampling.jfc"
fi
node "$root/bench/feed-bench.mjs" --url "http://127.0.0.1:$port" --tenant bench --token "$token" \
  --clients "$clients" --rate "$rate" --seconds "$seconds" --node-pid "$node_pid" \
  --workers "${FEED_BENCH_WORKERS:-1}" --concurrency "${FEED_BENCH_CONCURRENCY:-16}" \
  --ramp "${FEED_BENCH_RAMP:-200}" --warmup "${FEED_BENCH_WARMUP:-5}" --pg-data "$work/home/pgdata" --pg-port "${pg_port:-}" --mode "${FEED_BENCH_MODE:-after}" --drain "${FEED_BENCH_DRAIN:-15}" \
  --connect-timeout "${FEED_BENCH_CONNECT_TIMEOUT:-120}" \
  $( [ "${FEED_BENCH_JFR:-0}" = 1 ] && echo "--jfr $work/node.jfr --jfr-settings $work/sampling.jfc" ) \
  --json "$work/result.json" > "$work/result.line" || gen_rc=$?

# What the node logged at WARN or ERROR during the run (the benchmark must not cause any).
if grep -E ' (WARN|ERROR) ' "$work/node.log" >/dev/null; then
  echo "node log WARN/ERROR lines: $(grep -cE ' (WARN|ERROR) ' "$work/node.log") (first 10):" >&2
  grep -E ' (WARN|ERROR) ' "$work/node.log" | head -10 | cut -c1-400 >&2
fi

if [ "${gen_rc:-0}" = 2 ]; then
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("\nNOT MEASURED: %s (heap max %d MiB)" % (r["aborted"], r["heapMaxMiB"]))' "$work/result.json"
  exit 2
fi
[ "${gen_rc:-0}" = 0 ] || exit "$gen_rc"
python3 - "$work/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = lambda x, d=1: ("%.*f" % (d, x)) if x is not None and x == x else "-"
print()
print("%d/%d clients connected in %.1f s; produced %d events (%d create, %d delete) in %.1f s (%d s warm-up, not in the latencies); "
      "producer request p50 %s ms, p99 %s ms; %d load-generator worker(s), mode %s, %d cores, load average before %s"
      % (r["clientsConnected"], r["clients"], r["connectSeconds"], r["produced"], r["createOk"], r["deleteOk"],
         r["produceSeconds"], r["warmup"], f(r["requestP50"]), f(r["requestP99"]), r["workers"], r["mode"], r["cores"],
         " ".join("%.2f" % x for x in r["loadavgBefore"])))
if r["failures"]:
    print("producer failures: %s; e.g. %s" % (r["failures"], r["failSamples"][:2]))
if r["errorSamples"]:
    print("client errors: %s" % r["errorSamples"])
if r["resyncSamples"]:
    print("resync data: %s" % r["resyncSamples"][:1])
cpu = r["cpu"] or {}
print()
print("| clients | target ev/s | achieved ev/s | deliveries/s | p50 ms | p95 ms | p99 ms | max ms | lost | resyncs | heap max MiB | node CPU (JVM + PG) cores | load gen cores | other procs cores |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
print("| %d | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %s + %s | %s | %s |" % (
    r["clientsConnected"], f(r["targetRate"], 0), f(r["achievedRate"]), "{:,.0f}".format(r["deliveriesPerSecond"]),
    f(r["p50"]), f(r["p95"]), f(r["p99"]), f(r["max"]), r["lost"], r["resyncs"], round(r["heapMaxMiB"]),
    f(cpu.get("jvmCores", float("nan")), 2), f(cpu.get("postgresCores", float("nan")), 2),
    f(cpu.get("loadGeneratorCores", float("nan")), 2), f(cpu.get("otherCores", float("nan")), 2)))
print()
print("lost: %d events missing at %d clients (id gaps seen: %d, ids skipped: %d); duplicates %d; "
      "first id not the first produced: %d; closed early: %d; deliveries %d of %d expected; drained %.1f s after the last event"
      % (r["lost"], r["lostClients"], r["gaps"], r["gapIds"], r["duplicates"], r["firstIdMismatch"],
         r["closedEarly"], r["receivedAll"], r["expectedDeliveries"], r["drainSeconds"]))
tl = r["timeline"]
if r.get("feedTablePageReads") is not None:
    print("feed table page reads by clients during the measured seconds (feed_entry index scans): %d" % r["feedTablePageReads"])
print("p99 ms per second of production: " + " ".join(f(s["p99"] if s else None, 0) for s in tl))
if r.get("producerStoppedLate"):
    print("producer fell behind the schedule: events due after the planned end were not sent")
print("heap MiB per second: " + " ".join(str(x) for x in r["heapSeriesMiB"]))
PY

if [ "${FEED_BENCH_JFR:-0}" = 1 ]; then
  for _ in $(seq 1 30); do [ -s "$work/node.jfr" ] && break; sleep 1; done
  if [ -s "$work/node.jfr" ]; then
    echo
    echo "JFR execution samples of the node over the measured seconds ($work/node.jfr):"
    jfr print --events jdk.ExecutionSample --stack-depth 64 "$work/node.jfr" | python3 -c '
import re, sys, collections
top = collections.Counter(); incl = collections.Counter(); threads = collections.Counter(); n = 0
stack = None; thread = None
for line in sys.stdin:
    line = line.rstrip()
    if line.startswith("jdk.ExecutionSample"):
        stack = []; thread = None
    elif "sampledThread = " in line:
        thread = re.sub(r"\s*\(javaThreadId.*", "", line.split("sampledThread = ", 1)[1]).strip("\" ")
    elif stack is not None and re.match(r"\s+[\w$.]+\.[\w$<>]+\(", line) and "line:" in line:
        stack.append(re.sub(r"\s+line:.*", "", line.strip()))
    elif line.strip() == "}" and stack is not None:
        if stack:
            n += 1; top[stack[0]] += 1
            threads[re.sub(r"-\d+$", "-N", thread or "?")] += 1
            for f in set(stack): incl[f] += 1
        stack = None
print("%d samples" % n)
print("threads: " + ", ".join("%s %.0f%%" % (t, 100.0 * c / n) for t, c in threads.most_common(6)))
print("top self frames:")
for f, c in top.most_common(15): print("  %5.1f%%  %s" % (100.0 * c / n, f))
print("top DevFlow frames (inclusive):")
for f, c in [x for x in incl.most_common() if x[0].startswith("dev.devflow")][:10]: print("  %5.1f%%  %s" % (100.0 * c / n, f))
'
  fi
fi
