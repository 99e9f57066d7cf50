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
# Also writes the pipeline's HTML report, and a screenshot of it when
# chromium is installed, to demo-output/ (or $CLV_DEMO_OUT).
#
# Runs as root or as a user with sudo; exits non-zero on any error.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export CUSTOMERS=${CUSTOMERS:-50000}
if ! [[ $CUSTOMERS =~ ^[1-9][0-9]*$ ]]; then
    echo "demo: CUSTOMERS must be a positive whole number, not '$CUSTOMERS'" >&2
    exit 2
fi

scripts/setup.sh

# where the HTML report goes (the cluster is gone after the demo, the report stays)
export CLV_DEMO_OUT=${CLV_DEMO_OUT:-$PWD/demo-output}
mkdir -p "$CLV_DEMO_OUT"
CLV_DEMO_OUT=$(cd "$CLV_DEMO_OUT" && pwd)

. scripts/throwaway_cluster.sh
port=$(cluster_free_port)

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
        echo "demo: the refreshable pipeline and its HTML report (clv_create_pipeline, clv_report_html) ..." >&2
        psql -c "SET client_min_messages = error" \
             -c "SELECT clv_create_pipeline('"'"'orders'"'"', '"'"'customer_id'"'"', '"'"'ordered_at'"'"', '"'"'amount'"'"', gross_margin => 0.35, as_of => '"'"'2026-06-30 23:59:59+00'"'"', channel => '"'"'channel'"'"')" >/dev/null
        psql -At -c "SELECT clv_report_html(currency => '"'"'EUR '"'"')" > "$CLV_DEMO_OUT/report.html"
    '
if command -v chromium >/dev/null; then
    timeout 120 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size=1150,3200 --screenshot="$CLV_DEMO_OUT/report.png" \
        "file://$CLV_DEMO_OUT/report.html" >/dev/null 2>&1 || echo "demo: chromium could not take the screenshot" >&2
fi
echo "demo: the HTML report is $CLV_DEMO_OUT/report.html$([ -e "$CLV_DEMO_OUT/report.png" ] && echo ", a screenshot of it $CLV_DEMO_OUT/report.png")" >&2
echo "demo: done in $((SECONDS - start)) s" >&2
