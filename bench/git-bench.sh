#!/usr/bin/env bash
# Git hosting benchmark: clone and push of a generated repository (default 5,000 commits,
# 20,000 files) through DevFlow (Pekko HTTP + JGit) and through `git daemon` (C git) serving the
# same bare repository, runs alternating, in one session. Prints a Markdown table of medians.
#
#   bench/git-bench.sh [commits] [files-per-commit] [runs]
#
# Needs: git, python3, curl, a built jar (bin/devflow builds it). Starts its own node and daemon
# on free loopback ports and stops them at the end. Both servers check pushed objects
# (receive.fsckObjects) and are warmed up by one untimed push and clone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
commits="${1:-5000}"; per="${2:-4}"; runs="${3:-3}"
work="$(mktemp -d /tmp/devflow-git-bench.XXXXXX)"
node_pid=""; daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { python3 -c 'import time; print(time.monotonic())'; }
median() { python3 -c 'import sys,statistics; print("%.2f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

echo "generating $commits commits x $per files..." >&2
git init -q --bare "$work/source.git"
python3 - "$commits" "$per" <<'PY' | git --git-dir "$work/source.git" fast-import --quiet
import sys
commits, per = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
mark = 0
for c in range(commits):
    lines = []
    for f in range(per):
        n = c * per + f
        body = ("file %d of commit %d\n" % (n, c) * (20 + n % 40)).encode()
        lines.append(b"M 100644 inline d%03d/f%06d.txt\ndata %d\n" % (n % 500, n, len(body)) + body)
    msg = b"commit %d\n" % c
    out.write(b"commit refs/heads/main\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s"
              % (c + 1, 1700000000 + c, len(msg), msg))
    if c > 0:
        out.write(b"from :%d\n" % c)
    out.write(b"".join(lines) + b"\n")
PY
files=$(git --git-dir "$work/source.git" ls-tree -r main | wc -l)
size=$(du -sh "$work/source.git" | cut -f1)
echo "generated: $(git --git-dir "$work/source.git" rev-list --count main) commits, $files files, $size (fast-import pack, never repacked)" >&2

port=$(free_port); dport=$(free_port)
(cd "$root" && bin/devflow version >/dev/null)
java -Xmx512m -jar "$root/cluster/target/devflow.jar" start --home "$work/home" --port "$port" > "$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 120); do curl -sf "127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
admin=$(cat "$work/home/admin-token")
api() { curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' "$@"; }
api -X POST "127.0.0.1:$port/api/v1/tenants" -d '{"name":"bench"}' >/dev/null
token=$(api -X POST "127.0.0.1:$port/api/v1/tenants/bench/tokens" -d '{"name":"b","role":"admin"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
df="http://x:$token@127.0.0.1:$port/git/bench"

mkdir -p "$work/daemon"
git daemon --reuseaddr --base-path="$work/daemon" --export-all --enable=receive-pack --listen=127.0.0.1 --port="$dport" "$work/daemon" >/dev/null 2>&1 &
daemon_pid=$!
sleep 1

# One untimed push and clone each way first: a server is measured warm (JIT-compiled), as it runs.
curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -X POST "127.0.0.1:$port/api/v1/tenants/bench/repos" -d '{"name":"warm"}' >/dev/null
git --git-dir "$work/source.git" push -q "$df/warm.git" main
git clone -q --bare "$df/warm.git" "$work/warm-clone"
git init -q --bare "$work/daemon/warm.git"; git --git-dir "$work/daemon/warm.git" config receive.fsckObjects true
git --git-dir "$work/source.git" push -q "git://127.0.0.1:$dport/warm.git" main
git clone -q --bare "git://127.0.0.1:$dport/warm.git" "$work/warm-clone2"

push_df=(); push_gd=(); clone_df=(); clone_gd=()
for i in $(seq 1 "$runs"); do
  # Push the whole history to an empty repository (the source pack was never repacked).
  curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -X POST "127.0.0.1:$port/api/v1/tenants/bench/repos" -d "{\"name\":\"p$i\"}" >/dev/null
  t0=$(now); git --git-dir "$work/source.git" push -q "$df/p$i.git" main; t1=$(now)
  push_df+=("$(python3 -c "print($t1-$t0)")")
  git init -q --bare "$work/daemon/p$i.git"
  # DevFlow checks every pushed object; make C git do the same work.
  git --git-dir "$work/daemon/p$i.git" config receive.fsckObjects true
  t0=$(now); git --git-dir "$work/source.git" push -q "git://127.0.0.1:$dport/p$i.git" main; t1=$(now)
  push_gd+=("$(python3 -c "print($t1-$t0)")")
done
# DevFlow may repack a repository in the background after a push; clone once no repack runs.
for _ in $(seq 1 240); do curl -sf "127.0.0.1:$port/metrics" | grep -q '^devflow_git_repacks_pending 0' && break; sleep 0.5; done
# Both servers now serve the same repository: DevFlow's storage of p1, exported to the daemon too.
echo "p1 pack files: $(ls "$work/home/git/bench/p1.git/objects/pack/" | tr '\n' ' ')" >&2
ln -s "$work/home/git/bench/p1.git" "$work/daemon/same.git"
for i in $(seq 1 "$runs"); do
  rm -rf "$work/c"; t0=$(now); git clone -q --bare "$df/p1.git" "$work/c"; t1=$(now)
  clone_df+=("$(python3 -c "print($t1-$t0)")")
  rm -rf "$work/c"; t0=$(now); git clone -q --bare "git://127.0.0.1:$dport/same.git" "$work/c"; t1=$(now)
  clone_gd+=("$(python3 -c "print($t1-$t0)")")
done

pd=$(median "${push_df[@]}"); pg=$(median "${push_gd[@]}"); cd_=$(median "${clone_df[@]}"); cg=$(median "${clone_gd[@]}")
echo
echo "$(git --git-dir "$work/source.git" rev-list --count main) commits, $files files, $size; median of $runs alternating runs; $(nproc) cores"
echo
echo "| operation | DevFlow s | git daemon s | ratio |"
echo "| --- | ---: | ---: | ---: |"
echo "| push whole history to an empty repo | $pd | $pg | $(python3 -c "print('%.2f' % ($pd/$pg))")x |"
echo "| clone (bare) of the pushed repo | $cd_ | $cg | $(python3 -c "print('%.2f' % ($cd_/$cg))")x |"
echo
echo "runs: push DevFlow ${push_df[*]} / daemon ${push_gd[*]}; clone DevFlow ${clone_df[*]} / daemon ${clone_gd[*]}" | sed 's/\([0-9]\.[0-9][0-9]\)[0-9]*/\1/g'
