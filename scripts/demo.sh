#!/bin/bash
# The clv demo: installs what is missing and builds the extension
# (scripts/setup.sh), starts a throwaway PostgreSQL cluster (Debian's
# pg_virtualenv), loads a generated CRM data set of customers and orders
# (demo/generate.sql) and prints a customer lifetime value report made with
# the extension (demo/report.sql).  The cluster is dropped at the end.
#
#   scripts/demo.sh                   # 50,000 customers, about 250,000 orders
#   CUSTOMERS=5000 scripts/demo.sh    # a smaller data set
#
# Runs as root or as a user with sudo; exits non-zero on any error.
set -euo pipefail
cd "$(dirname "$0")/.."

PGVERSION=${PGVERSION:-15}
export CUSTOMERS=${CUSTOMERS:-50000}
if ! [[ $CUSTOMERS =~ ^[1-9][0-9]*$ ]]; then
    echo "demo: CUSTOMERS must be a positive whole number, not '$CUSTOMERS'" >&2
    exit 2
fi

scripts/setup.sh

# A port for the throwaway cluster, away from the 5432 and up that
# pg_createcluster hands out, so that a test or benchmark cluster starting at
# the same moment cannot take it first.
free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 10000))
        [ -e "/var/run/postgresql/.s.PGSQL.$port" ] && continue
        grep -qs "^[[:space:]]*port[[:space:]]*=[[:space:]]*$port\b" /etc/postgresql/*/*/postgresql.conf && continue
        # nothing answers on it
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "demo: found no free port for the throwaway cluster" >&2
    return 1
}
port=$(free_port)

start=$SECONDS
# -t keeps the cluster in a temporary directory even as root, so the demo
# neither touches /etc/postgresql nor collides with another pg_virtualenv
# (a test run, say) that holds the cluster name "regress".
PGPORT=$port pg_virtualenv -t -v "$PGVERSION" \
    -o shared_buffers=256MB -o work_mem=64MB -o maintenance_work_mem=256MB \
    -o max_wal_size=2GB -o synchronous_commit=off \
    bash -c '
        set -euo pipefail
        psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
        psql -c "CREATE EXTENSION clv"
        echo "demo: generating $CUSTOMERS customers and their orders (demo/generate.sql) ..." >&2
        psql -v customers="$CUSTOMERS" -f demo/generate.sql
        psql -f demo/report.sql
    '
echo "demo: done in $((SECONDS - start)) s" >&2
