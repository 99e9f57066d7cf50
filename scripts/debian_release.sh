# Sourced (not run) by every script that builds clv or starts PostgreSQL:
# the PostgreSQL and clang that this machine's Debian release ships.
#
#   Debian 12 (bookworm): PostgreSQL 15, clang 14
#   Debian 13 (trixie):   PostgreSQL 17, clang 19
#
# Sets and exports PGVERSION (unless the caller set it: PGVERSION=16 on a
# machine with PGDG's packages, say) and CLANG_VERSION (likewise).  On
# another release both must be given.
clv_release=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
case $clv_release in
    bookworm) PGVERSION=${PGVERSION:-15}; CLANG_VERSION=${CLANG_VERSION:-14} ;;
    trixie)   PGVERSION=${PGVERSION:-17}; CLANG_VERSION=${CLANG_VERSION:-19} ;;
    *)
        if [ -z "${PGVERSION:-}" ] || [ -z "${CLANG_VERSION:-}" ]; then
            echo "clv: Debian 12 (bookworm) or 13 (trixie) expected, found '${clv_release:-unknown}';" \
                 "set PGVERSION and CLANG_VERSION to the PostgreSQL and clang to use" >&2
            exit 2
        fi ;;
esac
unset clv_release
export PGVERSION CLANG_VERSION
