#!/bin/bash
# The README's two ways of scheduling a refresh, run as written (called by
# test/docs/run.sh inside its throwaway cluster, after the doc test, whose
# server has exactly the settings the README's pg_cron recipe names):
#
# 1. pg_cron: the job that the README's block scheduled in clv_docs is found
#    by its name and made to run at the next minute (cron.alter_job; pg_cron
#    1.4 has no schedule in seconds); it must succeed and refresh the
#    pipeline.  Its command is the README's, untouched.
# 2. crontab: the README's line with its schedule taken off is run by sh, as
#    cron would, for the role and database it names (made here: the role
#    owns the database, creates the extension, loads the demo data and the
#    README's pipeline), authenticated by a password file as the README
#    says; only the log file is moved from /var/log to a temporary folder.
#    It must exit 0, log no error and refresh the pipeline.
# 3. the README's GRANT USAGE ON SCHEMA cron: the crontab line's role, no
#    superuser, cannot schedule a job in clv_docs before it and can after.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "not ok: $*" >&2; exit 1; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# the README's blocks: the pg_cron one (holding cron.schedule), the crontab
# line (a ```sh block's line calling clv_refresh_pipeline), and the block
# that creates the demo's pipeline
python3 - "$work" <<'EOF'
import re, sys
text = open("README.md", encoding="utf-8").read()
blocks = re.findall(r"^```(\w*)\n(.*?)^```$", text, re.S | re.M)
def one(kind, pattern, what):
    found = [body for info, body in blocks if info == kind and re.search(pattern, body)]
    if len(found) != 1:
        sys.exit(f"not ok: README.md has {len(found)} {what}, expected 1")
    return found[0]
cron = one("sql", r"cron\.schedule\(", "pg_cron blocks")
grant = one("sql", r"GRANT USAGE ON SCHEMA cron", "blocks granting pg_cron's schema")
line = [l for l in one("sh", r"clv_refresh_pipeline", "crontab blocks").splitlines() if "clv_refresh_pipeline" in l][0]
create = one("sql", r"clv_create_pipeline\('orders'", "blocks creating the demo's pipeline")
job = re.search(r"cron\.schedule\('([^']+)'", cron).group(1)
fields = line.split(None, 5)
if len(fields) < 6 or not all(re.fullmatch(r"[0-9*,/-]+", f) for f in fields[:5]):
    sys.exit(f"not ok: README.md's crontab line does not start with a schedule: {line}")
role = re.search(r"-U\s+(\S+)", fields[5]).group(1)
database = re.search(r"-d\s+(\S+)", fields[5]).group(1)
work = sys.argv[1]
for name, value in (("job", job), ("command", fields[5]), ("role", role), ("database", database), ("create.sql", create),
                    ("grant.sql", grant)):
    open(f"{work}/{name}", "w", encoding="utf-8").write(value + ("" if value.endswith("\n") else "\n"))
EOF
job=$(cat "$work/job"); role=$(cat "$work/role"); database=$(cat "$work/database")

# 1. the pg_cron job as the README scheduled it
jobid=$(q -d clv_docs -v job="$job" <<< "SELECT jobid FROM cron.job WHERE jobname = :'job'")
[ -n "$jobid" ] || fail "the README's pg_cron block left no job named '$job' in clv_docs"
before=$(q -d clv_docs -c "SELECT refreshed_at FROM clv_report.clv_pipeline")
q -d clv_docs -c "SELECT cron.alter_job($jobid, schedule => '* * * * *')" >/dev/null
status=
for _ in $(seq 150); do
    status=$(q -d clv_docs -c "SELECT status FROM cron.job_run_details WHERE jobid = $jobid AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
    [ -z "$status" ] || break
    sleep 1
done
[ -n "$status" ] || fail "the README's pg_cron job did not finish within 150 polls a second apart"
[ "$status" = succeeded ] || fail "the README's pg_cron job failed: $(q -d clv_docs -c "SELECT return_message FROM cron.job_run_details WHERE jobid = $jobid ORDER BY runid LIMIT 1")"
after=$(q -d clv_docs -c "SELECT refreshed_at FROM clv_report.clv_pipeline")
[ "$after" != "$before" ] || fail "the README's pg_cron job succeeded but did not refresh clv_report"
echo "ok: the README's pg_cron job '$job' ran as written and refreshed clv_report"

# 2. the crontab line, for the role and database it names
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
q -d postgres -v role="$role" -v database="$database" -v password="$password" <<'EOF'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
EOF
printf '%s:%s:%s:%s:%s\n' "${PGHOST:-localhost}" "${PGPORT:-5432}" "$database" "$role" "$password" > "$work/pgpass"
chmod 600 "$work/pgpass"
as_owner() { (unset PGPASSWORD; export PGPASSFILE="$work/pgpass" PGUSER="$role" PGDATABASE="$database"; "$@"); }
as_owner q -c "CREATE EXTENSION clv" >/dev/null
as_owner q -f demo/generate.sql >/dev/null
as_owner q -f "$work/create.sql" >/dev/null
before=$(as_owner q -c "SELECT refreshed_at FROM clv_report.clv_pipeline")
command=$(sed "s|/var/log/clv-refresh.log|$work/clv-refresh.log|" "$work/command")
as_owner sh -c "$command" || fail "the README's crontab command exits $?: $command"
! grep -q 'ERROR' "$work/clv-refresh.log" || fail "the README's crontab command logged an error: $(cat "$work/clv-refresh.log")"
after=$(as_owner q -c "SELECT refreshed_at FROM clv_report.clv_pipeline")
[ "$after" != "$before" ] || fail "the README's crontab command did not refresh $database's clv_report"
echo "ok: the README's crontab line ran as $role in $database and refreshed clv_report"

# 3. the README's grant lets that role, no superuser, schedule its own job
probe="SET ROLE :\"role\"; SELECT cron.schedule('clv grant probe', '15 3 * * *', 'SELECT 1') > 0;"
! q -d clv_docs -v role="$role" <<< "$probe" >/dev/null 2>&1 || fail "$role scheduled a pg_cron job before the README's grant"
q -d clv_docs -f "$work/grant.sql" >/dev/null
[ "$(q -d clv_docs -v role="$role" <<< "$probe")" = t ] || fail "$role could not schedule a pg_cron job after the README's grant"
[ "$(q -d clv_docs -c "SELECT username FROM cron.job WHERE jobname = 'clv grant probe'")" = "$role" ] \
    || fail "the job scheduled after the README's grant is not $role's"
q -d clv_docs -v role="$role" <<< "SET ROLE :\"role\"; SELECT cron.unschedule('clv grant probe');" >/dev/null
echo "ok: after the README's grant, $role (no superuser) schedules its own pg_cron job"
