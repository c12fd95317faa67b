#!/usr/bin/env bash
# A throwaway PostgreSQL for the store-contract tests, on a Unix socket in FOLDER (no TCP port), run
# as `nobody` when called as root (PostgreSQL refuses root). Used by .ci/run and tests/conftest.py.
#   start FOLDER [--install]   print the server's URL; --install gets Debian's packages when initdb is missing
#   stop FOLDER
set -uo pipefail
action=${1:?start or stop}
folder=${2:?folder}

as=()
if [ "$(id -u)" = 0 ]; then as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --); fi

bin_folder() {
    local found
    found=$(command -v initdb || ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$found" ] && [ "${1:-}" = --install ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq postgresql >/dev/null 2>&1
        found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    fi
    if [ -z "$found" ]; then return 1; fi
    if [ -d "$found" ]; then echo "$found"; else dirname "$found"; fi
}

case $action in
start)
    bin=$(bin_folder "${3:-}") || { echo "no initdb on this machine (PostgreSQL is not installed)" >&2; exit 1; }
    echo "$bin" >"$folder/bin"
    [ ${#as[@]} -eq 0 ] || chown nobody "$folder"
    if ! "${as[@]}" "$bin/initdb" -D "$folder/data" -U rewind --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$folder/initdb.log" 2>&1; then
        echo "initdb failed: $(tail -n 1 "$folder/initdb.log")" >&2
        exit 1
    fi
    if ! "${as[@]}" "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 60 \
        -o "-k $folder -c listen_addresses='' -c fsync=off -c max_connections=200" start >/dev/null 2>&1; then
        echo "the server did not start: $(tail -n 1 "$folder/server.log" 2>/dev/null)" >&2
        exit 1
    fi
    echo "postgresql://rewind@/postgres?host=$folder"
    ;;
stop)
    if [ -f "$folder/bin" ] && [ -d "$folder/data" ]; then
        "${as[@]}" "$(cat "$folder/bin")/pg_ctl" -D "$folder/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "usage: $0 start|stop FOLDER [--install]" >&2
    exit 2
    ;;
esac
