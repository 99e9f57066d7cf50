#!/bin/bash
# The SQL and PL/pgSQL bodies that an installation of clv actually holds
# (pg_proc.prosrc), each linted with scripts/lint_sql.py --body: a fresh
# CREATE EXTENSION, and one made at the first release and updated through
# every version.  The scripts' lint (test/lint/run.sh) skips the bodies of
# released scripts that later versions replace; this checks what is left.
# Runs against the server in the PG* environment.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists clv_lint_bodies >/dev/null 2>&1 || true' EXIT
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
status=0

check() {   # $1: how clv got there
    local dir="$work/$2" count
    mkdir -p "$dir"
    # one file per body, named after the function and its language
    count=$(psql_q -At -d clv_lint_bodies -c "
        SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'clv'
        JOIN pg_language l ON l.oid = p.prolang WHERE d.deptype = 'e' AND l.lanname IN ('sql', 'plpgsql')")
    psql_q -At -d clv_lint_bodies -c "
        SELECT p.oid, l.lanname FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'clv'
        JOIN pg_language l ON l.oid = p.prolang WHERE d.deptype = 'e' AND l.lanname IN ('sql', 'plpgsql')" |
    while IFS='|' read -r oid lang; do
        name=$(psql_q -At -d clv_lint_bodies -c "SELECT $oid::regprocedure")
        psql_q -At -d clv_lint_bodies -c "SELECT prosrc FROM pg_proc WHERE oid = $oid" \
            > "$dir/$(echo "$name" | tr -c 'A-Za-z0-9_,' '_').body.$lang"
    done
    if python3 scripts/lint_sql.py --body sql "$dir"/*.body.sql && python3 scripts/lint_sql.py --body plpgsql "$dir"/*.body.plpgsql; then
        echo "ok: the $count SQL and PL/pgSQL bodies of $1 name every function and operator with its schema"
    else
        echo "not ok: bodies of $1 resolve names through search_path (above)"; status=1
    fi
}

dropdb --if-exists clv_lint_bodies >/dev/null 2>&1 || true
createdb clv_lint_bodies
psql_q -d clv_lint_bodies -c "CREATE EXTENSION clv"
check "a fresh install" fresh
psql_q -d clv_lint_bodies -c "DROP EXTENSION clv" -c "CREATE EXTENSION clv VERSION '0.1.0'" -c "ALTER EXTENSION clv UPDATE"
check "an install updated from 0.1.0" updated
exit $status
