#!/bin/bash
# The tests that read the clock, under fixed fake clocks and in several
# server time zones: for each instant and zone, a throwaway cluster whose
# server runs under libfaketime, starting at that instant (the clock then
# runs on), with that TimeZone; in it, the pg_regress pipeline test, the
# live-pipeline pgTAP test (sessions in +14, UTC, -8 and -11) and the
# pg_dump / pg_restore round trip into a database of another zone.
#   02:30 UTC on a December day: before 08:00 UTC, when America/Los_Angeles
#       is still on the day before (0.3.0's suite failed every night then);
#   00:30 UTC on the last Sunday of March: Europe's clocks go forward;
#   ten seconds before midnight UTC on 31 December: the day, the month and
#       the year change while the tests run.
# There, too, README.md and docs/ run as written (test/docs/doctest.py), from
# sessions in the zone at the other end of the day: they must print what they
# show, as the README says no figure depends on the zone.
# Exits non-zero on any failure.  Needs libfaketime (Debian's libfaketime).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/debian_release.sh
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PGVERSION/bin/pg_config}
. scripts/throwaway_cluster.sh

faketime_lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1)
[ -n "$faketime_lib" ] || { echo "time_zones: libfaketime is not installed" >&2; exit 1; }
instants=("2026-12-02 02:30:00" "2026-03-29 00:30:00" "2026-12-31 23:59:50")
zones=("Pacific/Kiritimati" "Pacific/Pago_Pago")

work=$(mktemp -d)
chmod 711 "$work"   # the server (postgres, when we are root) works inside
trap 'cluster_stop "$work/cluster" 2>/dev/null || true; rm -rf "$work"' EXIT
passed=0
failed=0
check() {   # description, command...
    local what=$1
    shift
    if "$@" > "$work/out" 2>&1; then
        passed=$((passed + 1)); echo "ok - $what"
    else
        failed=$((failed + 1)); echo "not ok - $what"; sed 's/^/    /' "$work/out" | tail -40
        [ ! -f regression.diffs ] || sed 's/^/    /' regression.diffs | head -60
    fi
}

for instant in "${instants[@]}"; do
    for zone in "${zones[@]}"; do
        rm -rf "$work/cluster"
        cluster_init "$work/cluster"
        cluster_start "$work/cluster" LD_PRELOAD="$faketime_lib" FAKETIME="@$instant" FAKETIME_DONT_FAKE_MONOTONIC=1 \
            -- -c timezone="$zone" -c fsync=off \
               -c shared_preload_libraries=pg_cron -c cron.database_name=clv_docs -c cron.use_background_workers=on
        now=$(psql -XAtq -c "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'")
        label="clock from $instant UTC (server at $now), server TimeZone $zone"
        rm -rf results regression.diffs regression.out
        check "$label: pg_regress pipeline, summary" make -s installcheck REGRESS="pipeline summary"
        psql -XAtq -c "CREATE DATABASE clv_time_tap" -c "ALTER DATABASE clv_time_tap SET TimeZone = '$zone'"
        check "$label: live pipelines from four time zones" pg_prove -d clv_time_tap test/pgtap/live_pipeline.sql
        check "$label: pg_dump / pg_restore into another time zone" test/system/dump_restore.sh
        client_zone=${zones[0]}
        [ "$zone" != "$client_zone" ] || client_zone=${zones[1]}
        check "$label: README.md and docs/ as written, sessions in $client_zone" \
            env CLV_DOCTEST_TZ="$client_zone" python3 test/docs/doctest.py README.md docs/*.md
        cluster_stop "$work/cluster"
    done
done
echo "time_zones: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
