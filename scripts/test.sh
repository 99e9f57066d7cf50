#!/bin/bash
# Runs every clv test on throwaway clusters (Debian's pg_virtualenv):
# the lint of the extension scripts (test/lint/run.sh), pg_regress (sql/ +
# expected/), pgTAP (test/pgtap/*.sql, with pg_prove), the lint of the installed
# function bodies (test/lint/installed_bodies.sh), the HTML report in
# headless chromium (test/browser/report_check.sh) and a pg_dump /
# pg_restore round trip (test/system/dump_restore.sh); the README and docs/ run as
# written on the demo data (test/docs/run.sh); the tests that read the
# clock, under fake clocks in several server time zones
# (test/system/time_zones.sh); then the hardening runs:
# the fuzz harnesses for CLV_FUZZ_SECONDS each (default 20, scripts/fuzz.sh),
# the whole suite again under ASan + UBSan (scripts/sanitize.sh), and a short
# load test (scripts/load.sh 15 5000).
# Installs what is missing first (scripts/setup.sh).  Exits non-zero on any
# failure.  The CDNOW tests read ../shared/data when it exists and are
# skipped otherwise; CLV_SHARED_DATA points them elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
WERROR=1 scripts/setup.sh
export PG_CONFIG=/usr/lib/postgresql/$PGVERSION/bin/pg_config
export CLV_SHARED_DATA=${CLV_SHARED_DATA:-$(cd .. && pwd)/shared/data}

test/lint/run.sh   # the scripts name every function and operator with its schema
test/numerics/expected_purchases_reference.py   # the pgTAP table of expected purchases is mpmath's, at 60 digits
test/numerics/bgbb_reference.py   # and the table of BG/BB scores, at 80 digits
test/numerics/sbg_reference.py    # and of sBG scores, at 50 digits
test/numerics/paretonbd_reference.py   # and of Pareto/NBD scores at the extremes, at 30 digits
test/numerics/purchase_probabilities_reference.py   # and of the probabilities of purchases ahead, at 30 digits
test/numerics/cnbd_reference.py   # and of the regularity models' scores, at 50 digits
test/numerics/cnbd_wide_reference.py   # and of their expected purchases over widely spread counts, at 30 digits
test/numerics/covariates_reference.py  # and BG/NBD with a covariate on CDNOW, fitted independently in Python
test/numerics/tiny_b_reference.py  # and of P(alive) at b down to 1e-15, at 50 digits

test/core.sh       # pg_regress, pgTAP, the installed bodies, the report in chromium, dump and restore
PGVERSION="$PGVERSION" test/docs/run.sh         # every SQL block of README.md and docs/, as written, on the demo data
PGVERSION="$PGVERSION" test/system/shard_clusters.sh   # partial states across three clusters, as Citus ships them
PGVERSION="$PGVERSION" test/system/time_zones.sh       # fake clocks at chosen instants, server zones +14 and -11

scripts/fuzz.sh "${CLV_FUZZ_SECONDS:-20}"
scripts/sanitize.sh
CLV_LOAD_NO_SETUP=1 scripts/load.sh 15 5000
