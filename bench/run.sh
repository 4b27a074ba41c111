#!/usr/bin/env bash
# Load benchmark, run by hand (not in CI): builds the release binary, starts it on a fresh
# SQLite database seeded with the demo data, signs in as a partner and runs wrk against a few
# routes. Prints req/s, p50 and p99 per route; raw wrk output goes to bench/out/.
#
#   bash bench/run.sh                  # 10 s per route
#   DURATION=30 BENCH_PORT=18081 bash bench/run.sh
#   BENCH_BIN=path/to/partner-portal bash bench/run.sh   # skip the build, use that binary
#
# To add a route, add a `bench NAME PATH [extra wrk args]` line at the bottom.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

PORT="${BENCH_PORT:-18080}"
DURATION="${DURATION:-10}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-16}"
BASE="http://127.0.0.1:$PORT"
PASSWORD="demo-password-2026"
PARTNER_EMAIL="partner@demo.test"

die() { echo "ERROR: $*" >&2; exit 1; }

echo "=== Machine"
echo "cores:  $(nproc)"
echo "cpu:    $(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || true)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
fi
echo "commit: $commit"
echo "wrk:    -t$THREADS -c$CONNECTIONS -d${DURATION}s"

if [ -n "${BENCH_BIN:-}" ]; then
    BIN="$BENCH_BIN"
    echo "=== Using $BIN (BENCH_BIN set: no build)"
else
    echo "=== Building (cargo build --release --locked)"
    cargo build --release --locked
    BIN="$ROOT/target/release/partner-portal"
fi
[ -x "$BIN" ] || die "$BIN not found after the build"

if ! command -v wrk >/dev/null 2>&1; then
    echo "=== Installing wrk"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq wrk >/dev/null
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT is already in use (set BENCH_PORT)"
fi

WORK="$(mktemp -d)"
OUT="$ROOT/bench/out/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

export DATA_DIR="$WORK/data"
export DATABASE_URL="sqlite://$WORK/portal.db?mode=rwc"
export BIND="127.0.0.1:$PORT"
export RUST_LOG=warn
unset PUBLIC_URL SMTP_URL SESSION_SECRET

echo "=== Seeding demo data"
"$BIN" seed-demo >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; die "seed-demo failed"; }

echo "=== Starting the server on $BASE"
"$BIN" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do
    if curl -fsS "$BASE/healthz" >/dev/null 2>&1; then
        break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log" >&2; die "the server exited"; }
    sleep 0.2
done
curl -fsS "$BASE/healthz" >/dev/null || { cat "$OUT/server.log" >&2; die "no answer from $BASE/healthz"; }

# Value of the pp_session cookie in a curl cookie jar (HttpOnly lines start with #HttpOnly_).
jar_session() { awk -F'\t' '$6 == "pp_session" { v = $7 } END { print v }' "$1"; }

echo "=== Signing in as $PARTNER_EMAIL"
JAR="$WORK/partner.jar"
login_page="$(curl -fsS -c "$JAR" -b "$JAR" "$BASE/login")"
csrf="$(printf '%s' "$login_page" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="\([^"]*\)"/\1/')"
[ -n "$csrf" ] || die "no csrf_token on GET /login"
status="$(curl -sS -o /dev/null -D "$WORK/login.headers" -w '%{http_code}' -c "$JAR" -b "$JAR" \
    --data-urlencode "email=$PARTNER_EMAIL" \
    --data-urlencode "password=$PASSWORD" \
    --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "next=" \
    "$BASE/login")"
if [ "$status" != 303 ]; then
    cat "$WORK/login.headers" >&2
    die "POST /login answered $status, expected 303"
fi
PARTNER_COOKIE="$(jar_session "$JAR")"
[ -n "$PARTNER_COOKIE" ] || die "no pp_session cookie after sign-in"
home_status="$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: pp_session=$PARTNER_COOKIE" "$BASE/")"
[ "$home_status" = 200 ] || die "GET / with the partner's cookie answered $home_status, expected 200 (not signed in?)"

# An anonymous visitor's cookie from a first GET /login, reused like a browser revisiting, so
# the benchmark does not create a new session per request.
ANON_JAR="$WORK/anon.jar"
curl -fsS -c "$ANON_JAR" -b "$ANON_JAR" -o /dev/null "$BASE/login"
ANON_COOKIE="$(jar_session "$ANON_JAR")"
ANON_ARGS=()
if [ -n "$ANON_COOKIE" ]; then
    ANON_ARGS=(-H "Cookie: pp_session=$ANON_COOKIE")
else
    echo "note: GET /login set no pp_session cookie; benchmarking it without one"
fi

SUMMARY=()
WARNINGS=()

# bench NAME PATH [extra wrk args...]: runs wrk on PATH and appends a row to the summary.
bench() {
    local name="$1" path="$2"
    shift 2
    local file="$OUT/$name.txt"
    echo "=== wrk $name ($path)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$BASE$path" | tee "$file"
    local rps p50 p99 non2xx errors
    rps="$(awk '/^Requests\/sec:/ { print $2 }' "$file")"
    p50="$(awk '$1 == "50%" { print $2; exit }' "$file")"
    p99="$(awk '$1 == "99%" { print $2; exit }' "$file")"
    non2xx="$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$file")"
    errors="$(grep -m1 'Socket errors' "$file" || true)"
    [ -n "$non2xx" ] && WARNINGS+=("$name ($path): $non2xx non-2xx/3xx responses")
    [ -n "$errors" ] && WARNINGS+=("$name ($path): ${errors#"${errors%%[![:space:]]*}"}")
    SUMMARY+=("$(printf '%-10s %-12s %12s %10s %10s' "$name" "$path" "${rps:-?}" "${p50:-?}" "${p99:-?}")")
}

bench healthz /healthz
bench login   /login "${ANON_ARGS[@]}"
bench home    /      -H "Cookie: pp_session=$PARTNER_COOKIE"

echo
echo "=== Summary (commit $commit, $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s)"
{
    printf '%-10s %-12s %12s %10s %10s\n' name route "req/s" p50 p99
    printf '%s\n' "${SUMMARY[@]}"
} | tee "$OUT/summary.txt"
if [ "${#WARNINGS[@]}" -gt 0 ]; then
    echo
    echo "Warnings:"
    printf '  %s\n' "${WARNINGS[@]}"
fi
echo
echo "raw output: $OUT"
