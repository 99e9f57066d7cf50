#!/bin/bash
# Installs what clv needs on Debian 12 or 13 (the release's PostgreSQL: 15 or
# 17, its server headers, pgTAP and pg_prove, ...) when missing, then builds
# and installs the extension.
# Idempotent; uses sudo when not run as root.
#   scripts/setup.sh                   install what is missing, build, install clv
#   scripts/setup.sh --print-packages  list the Debian packages clv needs
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# pg_cron: the scheduling test runs a refresh through it; chromium: the
# report test opens the HTML report in it; clang and its runtime: the fuzz
# harnesses (scripts/fuzz.sh); git and iproute2 (ss): the sanitizer run
# (scripts/sanitize.sh) copies the working tree and finds a free port;
# libfaketime: the time-zone tests run servers under fake clocks; python3:
# the lint of the extension scripts (scripts/lint_sql.py); python3-mpmath:
# the high-precision references of the numerics tests (test/numerics/);
# debootstrap: the Debian 13 run of CI (test/debian13.sh) builds its root
# with it
packages=(postgresql-$PGVERSION postgresql-server-dev-$PGVERSION
          postgresql-$PGVERSION-pgtap libtap-parser-sourcehandler-pgtap-perl
          postgresql-$PGVERSION-cron chromium postgresql-common make gcc
          clang-$CLANG_VERSION libclang-rt-$CLANG_VERSION-dev git iproute2 libfaketime python3 python3-mpmath debootstrap)
if [ "${1:-}" = "--print-packages" ]; then
    echo "${packages[*]}"
    exit 0
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    # Debian's postgresql package would create and start a default cluster;
    # clv's scripts only use throwaway clusters, so skip it.
    if [ ! -e /etc/postgresql-common/createcluster.d/clv-no-main.conf ]; then
        $SUDO mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/clv-no-main.conf >/dev/null
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PG_CONFIG=/usr/lib/postgresql/$PGVERSION/bin/pg_config
make -s PG_CONFIG="$PG_CONFIG" ${WERROR:+WERROR=1}
$SUDO make -s PG_CONFIG="$PG_CONFIG" install
