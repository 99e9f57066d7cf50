#!/bin/bash
# Debian 13 ("trixie") with its PostgreSQL 17, tested for real from a Debian
# 12 machine (a step of .ci/run).  In a Debian 13 root made by debootstrap
# from Debian's archive, as on a fresh Debian 13 machine: apt installs the
# packages that scripts/setup.sh --print-packages lists there, setup.sh
# builds and installs clv with warnings as errors, then the lint of the
# extension scripts, the core of the suite (test/core.sh: pg_regress, pgTAP,
# the installed bodies, the report in chromium, dump and restore) and the
# documentation with its schedules (test/docs/run.sh) run in it.
#
#   test/debian13.sh            (as root: debootstrap, chroot and mounts)
#   test/debian13.sh --readme   the README's two commands instead, exactly,
#                               on the fresh root (they install what they
#                               need): scripts/demo.sh, then scripts/test.sh
#                               (run by hand; about half an hour)
#
# The tree copied in is this checkout's files (tracked, and untracked ones
# not ignored) and its .git, with ../shared/data beside it when it exists.  The root is
# made under /var/tmp and removed at exit.  DEBIAN_MIRROR names another
# mirror than deb.debian.org.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
    '') inside='apt-get update -qq
        apt-get install -y -qq $(scripts/setup.sh --print-packages) > /dev/null
        WERROR=1 scripts/setup.sh
        echo "debian13: $(/usr/lib/postgresql/$(. scripts/debian_release.sh; echo $PGVERSION)/bin/postgres --version)"
        test/lint/run.sh
        test/core.sh
        test/docs/run.sh' ;;
    --readme) inside='scripts/demo.sh
        scripts/test.sh' ;;
    *) echo "usage: test/debian13.sh [--readme]" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
    echo "test/debian13.sh: run it as root (debootstrap, chroot and mounts)" >&2
    exit 2
fi
command -v debootstrap >/dev/null || { echo "test/debian13.sh: debootstrap is missing (scripts/setup.sh installs it)" >&2; exit 2; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

root=$(mktemp -d /var/tmp/clv-debian13.XXXXXX)
chmod 755 "$root"   # the root directory of the system inside: its users (_apt, postgres) go through it
cleanup() {
    for m in "$root/dev" "$root/sys" "$root/proc"; do
        mountpoint -q "$m" && umount -R "$m" || true
    done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT

echo "debian13: debootstrap trixie from $mirror"
debootstrap --variant=minbase trixie "$root" "$mirror" > "$root.log" 2>&1 || { cat "$root.log"; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"

mkdir -p "$root/work/clv"
git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$root/work/clv"
cp -a "$(git rev-parse --git-dir)" "$root/work/clv/.git"   # a clone, as the README assumes (sanitize.sh lists files with git)
if [ -d ../shared/data ]; then
    mkdir -p "$root/work/shared"
    cp -r ../shared/data "$root/work/shared/data"
fi

chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive bash -c '
    set -euo pipefail
    cd /work/clv
    . /etc/os-release
    echo "debian13: $PRETTY_NAME"
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/clv-no-main.conf
    '"$inside"'
'
echo "debian13: passed"
