# Sourced by .ci/run and bench/run.sh: a throwaway PostgreSQL on loopback from Debian's server
# binaries (postgresql-15), run as the postgres user in a temporary folder.
#
#   pg_start            starts it; sets PG_PORT, PG_DIR and PG_URL (database "postgres", user "app")
#   pg_stop [failed]    stops it and removes its folder; with an argument, prints its log first

pg_start() {
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        echo "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin" >&2
        return 1
    fi
    echo "using $PG_BIN"
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi
    PG_PORT=""
    local p
    for p in $(seq 55432 55499); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            PG_PORT="$p"
            break
        fi
    done
    if [ -z "$PG_PORT" ]; then
        echo "no free port in 55432-55499 for PostgreSQL" >&2
        return 1
    fi
    PG_DIR="$(mktemp -d)"
    chown postgres: "$PG_DIR"
    # The postgres user may not be able to read the checkout: run its tools from its own folder.
    (cd "$PG_DIR" && runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U app \
        --auth=trust --encoding=UTF8 --locale=C.UTF-8) >"$PG_DIR/initdb.log" 2>&1 || {
        cat "$PG_DIR/initdb.log" >&2
        return 1
    }
    if ! (cd "$PG_DIR" && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 ${PG_OPTIONS:-}" \
        -w start); then
        echo "PostgreSQL failed to start" >&2
        return 1
    fi
    PG_URL="postgres://app@127.0.0.1:$PG_PORT/postgres"
    echo "PostgreSQL listening on 127.0.0.1:$PG_PORT"
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] || return 0
    if [ -n "${1:-}" ] && [ -f "$PG_DIR/log" ]; then
        echo "--- PostgreSQL log (last 100 lines)" >&2
        tail -n 100 "$PG_DIR/log" >&2 || true
    fi
    if [ -d "$PG_DIR/data" ]; then
        (cd "$PG_DIR" && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop) >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DIR"
    PG_DIR=""
}
