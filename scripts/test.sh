#!/usr/bin/env bash
# `npm test`: static checks, then every test (unit and integration) with Node's test runner against the
# real local servers, which it brings up first (and stops again if it started them).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "dependencies"
node scripts/ensure-deps.mjs
# The first `node` above may be the machine's (nothing installed yet); forget it, so that every later
# command finds the pinned Node that the install put first on npm's PATH (README, "Which Node runs").
hash -r
echo "runtime: Node $(node --version)" >&2

step "typecheck"
npx tsc --noEmit -p tsconfig.json

step "lint"
npx eslint --max-warnings 0 .
npx prettier --check . > /dev/null || { npx prettier --check . ; exit 1; }

# Servers and tools are built once into the cache, one after the other here rather than by parallel
# test files competing for the two cores.
stack_status=$(npx tsx local/stack-cli.ts status)
was_up=$(grep -c running <<< "${stack_status}" || true)
parts=$(grep -c . <<< "${stack_status}" || true)
cleanup() {
  if [ "${was_up}" != "${parts}" ] && [ "${KEEP_STACK:-}" != "1" ]; then
    step "stopping the local servers (KEEP_STACK=1 keeps them)"
    npx tsx local/kube/cli.ts down || true
    # A CI clone is deleted next: its servers' data outside the checkout goes with it.
    if [ "${CI:-}" = "true" ]; then npx tsx local/stack-cli.ts purge || true; else npx tsx local/stack-cli.ts down || true; fi
  fi
  # The chaos test's own instance (stopped by the test) keeps its Postgres data outside the checkout
  # too: a CI clone takes it along.
  if [ "${CI:-}" = "true" ] && [ -d .stack/chaos ]; then
    SENSOR_STACK_STATE_DIR=.stack/chaos npx tsx local/stack-cli.ts purge || true
  fi
}
trap cleanup EXIT
step "local stack: Postgres, Kafka, Temporal (a cold cache builds Temporal and fetches Kafka: several minutes)"
npx tsx local/stack-cli.ts up
step "pinned tools: helm, helm-docs, kubeconform, actionlint, promtool, prometheus, alertmanager, amtool, approver-policy, checkov, terraform kubernetes provider, KEDA operator and metrics server (cold: minutes)"
npx tsx local/tools/install.ts
step "Kubernetes API server with the operators' CRDs (cold: builds kube-apiserver)"
npx tsx local/kube/cli.ts up

step "tests"
# The chaos test starts, restarts and stops a second set of servers and loads both cores by itself: it
# runs alone, after the others, so that neither disturbs the other's timing.
mapfile -t files < <(find tests -name '*.test.ts' -not -path '*/node_modules/*' -not -path 'tests/chaos/*' | sort)
mapfile -t alone < <(find tests/chaos -name '*.test.ts' 2>/dev/null | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
log=$(mktemp)
status=0
# A hung test fails by name after TEST_TIMEOUT_MS (the longest takes about 4.5 min here), and a lane
# that hangs anyway (a hook, a wait outside any test) is stopped by the watchdog, which names the test
# files still running: a red run that says where, instead of CI's limit ending a silent one.
test_timeout_ms="${TEST_TIMEOUT_MS:-900000}"
watchdog() {
  local seconds=$1 pattern=$2
  sleep "$seconds"
  echo "watchdog: the test lane ran past ${seconds} s; test files still running:" >&2
  pgrep -af -- "--import tsx ${pattern}" | grep -oE "${pattern}[^ ]*\.test\.ts" | sort -u >&2 || true
  pkill -TERM -f -- "--import tsx ${pattern}" || true
  pkill -TERM -f -- "--test-reporter=tap" || true
}
# Stops a watchdog and its sleep (a sleep left behind would outlive the run).
stop_watchdog() {
  pkill -P "$1" 2>/dev/null || true
  kill "$1" 2>/dev/null || true
}
watchdog "${TEST_LANE_TIMEOUT_S:-3000}" tests/ &
dog=$!
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout="${test_timeout_ms}" \
  --test-reporter=tap "${files[@]}" | tee "$log" || status=$?
stop_watchdog "$dog"
pass=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
fail=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
if [ "${#alone[@]}" -gt 0 ]; then
  step "chaos test, alone (its own stack instance; a few minutes)"
  watchdog "${CHAOS_LANE_TIMEOUT_S:-1500}" tests/chaos/ &
  dog=$!
  node --import tsx --test --test-concurrency=1 --test-timeout="$((test_timeout_ms * 2))" \
    --test-reporter=tap "${alone[@]}" | tee "$log" || status=$?
  stop_watchdog "$dog"
  chaos_pass=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  chaos_fail=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  pass=$(( ${pass:-0} + ${chaos_pass:-0} ))
  fail=$(( ${fail:-0} + ${chaos_fail:-0} ))
fi
rm -f "$log"
echo "tests: ${pass:-0} passed, ${fail:-0} failed"
exit "$status"
