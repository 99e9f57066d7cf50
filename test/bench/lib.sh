# Sourced by the benchmark runners (test/bench/customers.sh, test/bench/models.sh,
# test/bench/identity.sh): the throwaway cluster they all run in, and the footer
# that says what was measured where.

# Outside the cluster: note what is built and installed (others may commit
# while a benchmark runs), run scripts/setup.sh, and run the calling script
# again, with the same arguments, inside a throwaway cluster: single core
# (no parallel workers unless a query asks), a cache that holds the data,
# the same work_mem for every query, everything else PostgreSQL's default
# (JIT and autovacuum included).  -t: the cluster lives in a temporary
# directory even as root, so a test suite's own cluster may run meanwhile.
# Inside the cluster (PG* variables set by pg_virtualenv): returns.
# BENCH_SERVER_OPTIONS: more "-o name=value" words for pg_virtualenv.
bench_enter_cluster() {
    if [ "${CLV_BENCH_IN_CLUSTER:-}" != 1 ]; then
        CLV_BENCH_BUILT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src sql Makefile clv.control 2>/dev/null || echo ' plus uncommitted changes')"
        export CLV_BENCH_BUILT
        scripts/setup.sh
        CLV_BENCH_IN_CLUSTER=1 exec pg_virtualenv -t -v "$PGVERSION" \
            -o shared_buffers=2GB -o work_mem=256MB \
            -o max_parallel_workers_per_gather=0 \
            ${BENCH_SERVER_OPTIONS:-} \
            "$@"
    fi
    export PGOPTIONS="-c client_min_messages=warning"
}

psql_run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# bench_size_args PATTERN USAGE SCRIPT DEFAULT... -- ARG...: the sizes in
# the array `sizes`, the arguments or else the defaults; exits 2 with the
# usage line (the defaults added) unless each matches PATTERN.
bench_size_args() {
    local pattern=$1 usage=$2 script=$3 defaults=()
    shift 3
    while [ "$1" != -- ]; do defaults+=("$1"); shift; done
    shift
    sizes=("$@")
    [ ${#sizes[@]} -gt 0 ] || sizes=("${defaults[@]}")
    for size in "${sizes[@]}"; do
        if ! [[ $size =~ $pattern ]]; then
            echo "usage: $script $usage; default ${defaults[*]})" >&2
            exit 2
        fi
    done
}

# bench_sizes SCRIPT DEFAULT... -- ARG...: sizes in thousands of customers,
# positive whole numbers.
bench_sizes() {
    bench_size_args '^[1-9][0-9]*$' "[CUSTOMERS_IN_THOUSANDS...]   (positive whole numbers" "$@"
}

# bench_order_sizes SCRIPT DEFAULT... -- ARG...: sizes of
# generate_orders.sql's orders: N customers over 546 days at CDNOW's
# purchase rate, or NxR for R times that rate over 1095 days (1000000x40:
# 10.6 million orders); bench_order_size SIZE sets n, rate and days for one
# of them.
bench_order_sizes() {
    bench_size_args '^[1-9][0-9]*(x[1-9][0-9]*)?$' "[SIZE...]   (N customers, or NxR: R times CDNOW's purchase rate over 1095 days" "$@"
}

bench_order_size() {
    n=${1%x*}
    if [[ $1 == *x* ]]; then rate=${1#*x}; days=1095; else rate=1; days=546; fi
}

bench_load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_footer SIZE SETTINGS LOAD_NOTE: the server, the build, the size,
# the settings named (a SQL list of quoted names), the load average over
# the run ($load_before, $load_after) and the machine.
bench_footer() {
    psql_run -At <<EOSQL
SELECT 'PostgreSQL:  ' || version();
SELECT 'clv:         built from commit ${CLV_BENCH_BUILT:-unknown}';
SELECT 'size:        $1';
SELECT 'date:        ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"');
SELECT 'settings:    ' || string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
FROM pg_settings WHERE name IN ($2);
SELECT 'load avg:    $load_before before, $load_after after (1, 5, 15 min; $3)';
SELECT 'huge pages:  the kernel''s transparent huge pages $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown), defrag $(cat /sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null || echo unknown); clv.transparent_huge_pages='
       || coalesce(current_setting('clv.transparent_huge_pages', true), 'auto (clv not loaded in this session)');
SELECT 'machine:     ' || '$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)';
EOSQL
}
