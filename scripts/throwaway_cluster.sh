# Sourced: a PostgreSQL cluster of the tests' own in a temporary directory,
# started and stopped by the calling script, never a shared one.
#   cluster_init DIR                      initdb into DIR/data (trust, UTF8)
#   cluster_start DIR [ENV=VALUE ...] [-- SERVER OPTIONS]
#                                         start it on a free loopback port,
#                                         socket in DIR/socket, log in
#                                         DIR/server.log, the environment
#                                         given to the server only
#                                         (LD_PRELOAD, FAKETIME); exports
#                                         PGHOST, PGPORT, PGUSER, PGDATABASE
#   cluster_stop DIR
#   cluster_free_port [AFTER]             a port for a cluster (the scripts
#                                         that start pg_virtualenv use it too)
#   cluster_as_server COMMAND...          as the postgres user when root
# Needs CLUSTER_BINDIR (PostgreSQL's programs), else PG_CONFIG (or pg_config
# on PATH), and, as root, the postgres user.

cluster_bindir() { echo "${CLUSTER_BINDIR:-$("${PG_CONFIG:-pg_config}" --bindir)}"; }

# as the postgres user when root: PostgreSQL refuses to run as root
cluster_as_server() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_init() {
    mkdir -p "$1/data" "$1/socket"
    [ "$(id -u)" -ne 0 ] || chown -R postgres: "$1"
    cluster_as_server "$(cluster_bindir)/initdb" -D "$1/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
}

# A port for a throwaway cluster: nothing listens on it, no cluster of this
# machine is set up for it, and it is away from the 5432 and up that
# pg_createcluster hands out, so that a pg_virtualenv starting at the same
# moment cannot take it first.  Given a port, the next free one above it (a
# script starting several clusters asks before any of them listens).
cluster_free_port() {
    local port=$((${1:-$((19999 + RANDOM % 20000))} + 1))
    while [ -n "$(ss -Htln "sport = :$port")" ] || [ -e "/var/run/postgresql/.s.PGSQL.$port" ] ||
          grep -qs "^[[:space:]]*port[[:space:]]*=[[:space:]]*$port\b" /etc/postgresql/*/*/postgresql.conf; do
        port=$((port + 1))
    done
    echo "$port"
}

cluster_start() {
    local dir=$1 port
    shift
    local -a env_vars=() options=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do env_vars+=("$1"); shift; done
    [ "${1:-}" != "--" ] || { shift; options=("$@"); }
    port=$(cluster_free_port)
    cluster_as_server env "${env_vars[@]}" "$(cluster_bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
        -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 ${options[*]}" start >/dev/null
    export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}

cluster_stop() {
    cluster_as_server "$(cluster_bindir)/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        cluster_as_server "$(cluster_bindir)/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null 2>&1 || true
}
