#!/bin/bash
# Runs clv's whole test suite (pg_regress over sql/ + expected/, then pg_prove
# over test/pgtap/*.sql) against a clv.so built with AddressSanitizer and
# UndefinedBehaviorSanitizer, and fails on any test failure, any sanitizer
# report, or any backend crash.
#
# Nothing outside a temporary directory is touched: the instrumented clv.so
# is built in a copy of the working tree and installed into a private copy of
# the PostgreSQL install tree, whose server is started here on its own port.
# (The system's clv.so stays as it is for whoever else is testing with it.)
#
#   scripts/sanitize.sh                 needs root or sudo-free write to /tmp
#   KEEP=1 scripts/sanitize.sh          keep the temporary directory
#   CLV_SHARED_DATA=dir                 where the CDNOW files are (as test.sh)
#
# Needs gcc's sanitizer runtimes (libasan8, libubsan1: dependencies of gcc-12
# on Debian 12) besides what scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$SECONDS

. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
SYS_PG_CONFIG=/usr/lib/postgresql/$PGVERSION/bin/pg_config
CLV_SHARED_DATA=${CLV_SHARED_DATA:-$(cd .. && pwd)/shared/data}
CC=gcc
# -fno-sanitize-recover: the first report kills the backend, so it cannot be
# missed.  float-cast-overflow is not part of gcc's "undefined" group, but a
# double too large for the integer it is cast to is a real bug in numeric
# code.  (Signed overflow is not checked: PGXS builds with -fwrapv, which
# defines it.)
SANITIZE_FLAGS="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer"

T=$(mktemp -d "${TMPDIR:-/tmp}/clv-sanitize.XXXXXX")
chmod 755 "$T"   # the server runs as postgres and must reach its files in here
src=$T/src                               # copy of the working tree
root=$T/pg                               # private PostgreSQL install tree
bindir=$root/usr/lib/postgresql/$PGVERSION/bin
cluster=$T/cluster                       # the server's data, socket and log
san=$cluster/san                         # sanitizer reports, one file per process
log=$cluster/server.log

. scripts/throwaway_cluster.sh
export CLUSTER_BINDIR=$bindir            # the private install's server

cleanup() {
    status=$?
    [ ! -d "$cluster/data" ] || cluster_stop "$cluster"
    if [ -n "${KEEP:-}" ]; then
        echo "sanitize: kept $T"
    else
        rm -rf "$T"
    fi
    echo "sanitize: wall time $((SECONDS - started)) s"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

libasan=$($CC -print-file-name=libasan.so)
libubsan=$($CC -print-file-name=libubsan.so)
for l in "$libasan" "$libubsan"; do
    [ -e "$l" ] || { echo "sanitize: $CC has no $(basename "$l") (install libasan8 / libubsan1)" >&2; exit 1; }
done

# -- build: the working tree as it is, committed or not ----------------------
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
        if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi   # not deleted
    done |
    tar --null -T - -cf - | tar -xf - -C "$src"
# with_llvm=no: no JIT bitcode, which would be uninstrumented anyway (and the
# server runs with jit=off)
make -C "$src" -s PG_CONFIG="$SYS_PG_CONFIG" with_llvm=no CC="$CC" COPT="$SANITIZE_FLAGS" -j"$(nproc)"
grep -q __asan_report < <(nm -D "$src/clv.so") || { echo "sanitize: clv.so is not instrumented" >&2; exit 1; }

# -- private install tree ----------------------------------------------------
# PostgreSQL finds its share and lib directories relative to its binary, so a
# copy of Debian's two trees under $root/usr behaves as an install in $root,
# and `make install DESTDIR=$root` puts clv exactly where that copy looks.
mkdir -p "$root/usr/lib/postgresql" "$root/usr/share/postgresql"
cp -a "/usr/lib/postgresql/$PGVERSION" "$root/usr/lib/postgresql/"
cp -a "/usr/share/postgresql/$PGVERSION" "$root/usr/share/postgresql/"
rm -rf "$root/usr/lib/postgresql/$PGVERSION/lib/bitcode/clv" "$root/usr/lib/postgresql/$PGVERSION/lib/bitcode/clv.index.bc"
make -C "$src" -s PG_CONFIG="$SYS_PG_CONFIG" with_llvm=no DESTDIR="$root" install
[ "$("$bindir/pg_config" --pkglibdir)" = "$root/usr/lib/postgresql/$PGVERSION/lib" ] ||
    { echo "sanitize: the copied PostgreSQL does not relocate (pkglibdir $("$bindir/pg_config" --pkglibdir))" >&2; exit 1; }

# -- server ------------------------------------------------------------------
# postgres is not instrumented, so ASan comes in by LD_PRELOAD, and then its
# runtime is only initialised by its own constructor, after those of the
# libraries postgres links.  p11-kit's (through libldap and gnutls) calls
# newlocale(), whose first malloc() initialises ASan in the middle of glibc's
# locale lock; every postgres (and psql) then hangs in bindtextdomain() or
# at exit.  A shim marked DF_1_INITFIRST, whose constructor ld.so runs
# before any other, initialises ASan first, as an instrumented executable
# would.
cat >"$T/asan_initfirst.c" <<'C'
extern void __asan_init(void);
__attribute__((constructor)) static void asan_init_first(void) { __asan_init(); }
C
$CC -shared -fPIC -o "$T/asan_initfirst.so" "$T/asan_initfirst.c" -Wl,-z,initfirst -Wl,--no-as-needed -lasan

mkdir -p "$san"
cluster_init "$cluster"

# Same settings as scripts/test.sh, plus: jit off (JIT-compiled code is not
# instrumented), fsync off (throwaway), crashes not hidden by a restart loop.
cat >>"$cluster/data/postgresql.conf" <<EOF
max_worker_processes = 16
max_parallel_workers = 8
shared_preload_libraries = 'pg_cron'
cron.database_name = 'contrib_regression'
cron.use_background_workers = on
jit = off
fsync = off
restart_after_crash = off
log_line_prefix = '%m [%p] %q%b '
EOF

# detect_leaks=0: backends leave memory to exit on purpose.  abort_on_error:
# a report ends the backend with SIGABRT, which the postmaster logs as
# "terminated by signal 6" (an exit code 1 would pass for a FATAL).
# libubsan is preloaded as well (it would come with clv.so) so that it reads
# UBSAN_OPTIONS in the postmaster: the sanitizers read /proc/self/environ,
# which a backend has overwritten with its process title.
san_env=(
    LD_PRELOAD="$libasan $T/asan_initfirst.so $libubsan"
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:disable_coredump=1:log_path=$san/asan"
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$san/ubsan"
)
cluster_start "$cluster" "${san_env[@]}"
psql=$bindir/psql

# The backend really maps the instrumented clv.so from the copy and the
# sanitizer runtime: read its own memory map.
maps=$("$psql" -XAtq -c "LOAD 'clv'" -c "SELECT pg_read_file('/proc/self/maps')")
grep -q " $root/usr/lib/postgresql/$PGVERSION/lib/clv.so\$" <<<"$maps" ||
    { echo "sanitize: the server did not load $root/.../clv.so" >&2; grep clv <<<"$maps" >&2; exit 1; }
grep -q "libasan" <<<"$maps" || { echo "sanitize: libasan is not in the server" >&2; exit 1; }
echo "sanitize: server $("$psql" -XAtq -c 'SHOW server_version') on port $PGPORT," \
     "clv.so from $root/usr/lib/postgresql/$PGVERSION/lib"

# -- tests -------------------------------------------------------------------
failed=()
cd "$src"
rm -rf results regression.diffs regression.out
if ! make -s PG_CONFIG="$SYS_PG_CONFIG" with_llvm=no installcheck; then
    cat regression.diffs 2>/dev/null || true
    failed+=(pg_regress)
fi
if ! pg_prove --psql-bin "$psql" --ext .sql --set shared_data="$CLV_SHARED_DATA" test/pgtap/*.sql; then
    failed+=(pg_prove)
fi
cd "$repo"

# -- verdict -----------------------------------------------------------------
cluster_stop "$cluster"

reports=$(find "$san" -type f -size +0 | sort)
if [ -n "$reports" ]; then
    for f in $reports; do
        echo "==== $f"
        cat "$f"
    done
    failed+=(sanitizer)
fi
# a report whose log file could not be written goes to the server's stderr
if grep -E "terminated by signal|was terminated|ERROR: (Address|UndefinedBehavior|Leak)Sanitizer|runtime error:" "$log"; then
    failed+=(server-log)
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "sanitize: FAILED (${failed[*]}); server log:"
    tail -n 100 "$log"
    exit 1
fi
echo "sanitize: clean (ASan + UBSan, pg_regress and pg_prove)"
