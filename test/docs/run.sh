#!/bin/bash
# The README and docs/ as a test (test/docs/doctest.py): every SQL block runs,
# in order, on the demo data, in a throwaway cluster set up as the README's
# pg_cron recipe says (its block schedules a job there); then the README's
# pg_cron job and crontab line are run as written (test/docs/schedule_recipes.sh).
#
#   test/docs/run.sh            # compare
#   test/docs/run.sh --update   # write what the blocks print under them
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
pg_virtualenv -t -v "$PGVERSION" \
    -o shared_preload_libraries=pg_cron -o cron.database_name=clv_docs -o cron.use_background_workers=on \
    bash -c 'python3 test/docs/doctest.py "$@" README.md docs/*.md && test/docs/schedule_recipes.sh' doctest "$@"
