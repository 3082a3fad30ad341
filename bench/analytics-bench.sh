#!/usr/bin/env bash
# Experiment results query at scale: loads N synthetic analytics events (default 10 million, plus
# N/10 of another tenant) and N/10 users' exposures with generate_series into an embedded
# PostgreSQL, then times AnalyticsStore.variantCounts (the query behind
# GET /api/v1/tenants/{t}/flags/{key}/results) for a big and a small experiment against a goal with
# 10 % and one with 60 % of the events; five runs each, before and after VACUUM. Also checks the
# counts against the raw events and measures event ingestion (batches of 1,000, one client).
#
#   bench/analytics-bench.sh [events]        (default 10000000; about 8 minutes on 2 cores)
#
# ANALYTICS_BENCH_HOME=DIR keeps the loaded database in DIR: the next run with the same size skips
# the loading (about 5 of the 8 minutes). Delete DIR afterwards (about 4 GB at 10 million).
#
# Fails when a median is 2 s or more. Source:
# persistence/src/test/java/dev/devflow/persistence/analytics/AnalyticsScaleTest.java (a JUnit test
# that is skipped unless -Ddevflow.bench.analytics=true). Needs Java 17 and Maven.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
events="${1:-10000000}"
cd "$root"
mvn -q -B -DskipTests install -pl persistence -am >&2
status=0
mvn -B -pl persistence test -Dtest=AnalyticsScaleTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Ddevflow.bench.analytics=true -Ddevflow.bench.analytics.events="$events" \
  ${ANALYTICS_BENCH_HOME:+-Ddevflow.bench.analytics.home="$ANALYTICS_BENCH_HOME"} >&2 || status=$?
out="persistence/target/surefire-reports/dev.devflow.persistence.analytics.AnalyticsScaleTest-output.txt"
if [[ -f "$out" ]]; then
  grep -v -E '^(INFO|WARNING|SLF4J|[A-Z][a-z]{2} [0-9]{1,2}, )' "$out" || true
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
