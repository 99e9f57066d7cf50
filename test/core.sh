#!/bin/bash
# The core of the suite, on one throwaway cluster (Debian's pg_virtualenv)
# with pg_cron loaded: pg_regress (sql/ + expected/), pgTAP (test/pgtap/*.sql,
# with pg_prove), the lint of the installed function bodies, the HTML report
# in headless chromium and a pg_dump / pg_restore round trip.  Run by
# scripts/test.sh, and by test/debian13.sh inside a Debian 13 root; expects
# clv built and installed for $PGVERSION (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/debian_release.sh
export PG_CONFIG=/usr/lib/postgresql/$PGVERSION/bin/pg_config
export CLV_SHARED_DATA=${CLV_SHARED_DATA:-$(cd .. && pwd)/shared/data}

# pg_regress writes results/ and regression.diffs here; the server (run as
# postgres when we are root) only reads the data files.
# pg_cron runs its jobs in background workers of the regression database,
# where sql/schedule.sql schedules a pipeline refresh and waits for it.
pg_virtualenv -t -v "$PGVERSION" -o max_worker_processes=16 -o max_parallel_workers=8 \
    -o shared_preload_libraries=pg_cron -o cron.database_name=contrib_regression \
    -o cron.use_background_workers=on \
    bash -c '
        set -eu
        rm -rf results regression.diffs regression.out
        if ! make -s PG_CONFIG="$PG_CONFIG" installcheck; then
            cat regression.diffs 2>/dev/null || true
            exit 1
        fi
        pg_prove --ext .sql --set shared_data="$CLV_SHARED_DATA" test/pgtap/*.sql
        test/lint/installed_bodies.sh
        test/browser/report_check.sh
        test/system/dump_restore.sh
    '
