#!/usr/bin/env bash
# Fuzzes the GraphQL API of a freshly started `tahsilat serve --demo` with schemathesis.
#   fuzz/run.sh                      SQLite in a temporary folder
#   fuzz/run.sh postgres://postgres@127.0.0.1:5432/tahsilat_fuzz   a PostgreSQL database
# TAHSILAT_FUZZ_EXAMPLES (default 120) sets the cases per operation (about 30 operations).
# Needs python3; installs schemathesis into .fuzz-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=".fuzz-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis>=3.39,<4"
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build -q --bin tahsilat
binary="$CARGO_TARGET_DIR/debug/tahsilat"

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
database="${1:-sqlite://$work/fuzz.db?mode=rwc}"
log="$work/server.log"
(
  cd "$work"
  TAHSILAT_DATABASE_URL="$database" TAHSILAT_LISTEN="127.0.0.1:$port" RUST_LOG=warn \
    exec "$binary" serve --demo >"$work/stdout" 2>"$log"
) &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 120); do
  grep -q "listening on" "$work/stdout" 2>/dev/null && break
  sleep 0.5
done
token="$(sed -n 's/^Admin .* token: //p' "$work/stdout")"
[ -n "$token" ] || { echo "the server did not start:"; cat "$log"; exit 1; }

TAHSILAT_FUZZ_URL="http://127.0.0.1:$port/graphql" TAHSILAT_FUZZ_TOKEN="$token" \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider -s fuzz/graphql_fuzz.py
if grep -q "panicked" "$log"; then
  echo "the server log shows a panic:"; grep -n "panicked" "$log"; exit 1
fi
