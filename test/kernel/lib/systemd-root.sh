# shellcheck shell=bash
# The reboot-persistence lab's guest: a real Debian 12 root with systemd and Debian's own kernel and
# initramfs, booted from an ext4 image (no 9p, no overlay: this guest boots like a server does).
# Sourced by test/kernel/run.sh (which sets -euo pipefail and defines die/log, CACHE and RUNS).
#
# Cache layout (kept next to the kernel lab's, under CACHE):
#   CACHE/systemd-root/<key>/root.img     ext4 image of debootstrap minbase + systemd + linux-image-amd64
#   CACHE/systemd-root/<key>/vmlinuz      that kernel, and its initramfs as initrd.img
#   CACHE/systemd-root/<key>/ok           stamp: an interrupted build is redone, never half-used
# <key> hashes this file (the recipe and its package list) and the mirror, so a changed recipe
# builds a new root and the old one is deleted. Each run boots a copy of root.img: the runs never
# change the cached image.
#
# Per run, a second disk (/dev/vdb, mounted read-only on /opt/sriovctl) carries the project as an
# installation would: package.json, bin/, dist/ (the lab's compile of src/), the production
# node_modules, the host's node binary, and the guest scripts of test/kernel/systemd/.

LAB_SYSTEMD_SUITE=bookworm
# minbase has no init and no kernel; udev loads the PF driver (nvme), kmod gives systemd-modules-load
# and modprobe, iproute2 and procps what sriovctl and the scripts call.
LAB_SYSTEMD_INCLUDE=systemd-sysv,udev,kmod,iproute2,procps
LAB_SYSTEMD_KERNEL_PKGS=(linux-image-amd64 initramfs-tools)

# debootstrap builds the root; mkfs.ext4 -d and debugfs make and read its disk without mounting it.
lab_prepare_systemd_tools() {
  local missing=()
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  { command -v mkfs.ext4 && command -v debugfs; } >/dev/null 2>&1 || missing+=(e2fsprogs)
  if [ ${#missing[@]} -gt 0 ]; then lab_apt_install "${missing[@]}"; fi
  command -v debootstrap >/dev/null 2>&1 || die "missing command 'debootstrap' after installing it"
  command -v debugfs >/dev/null 2>&1 || die "missing command 'debugfs' (e2fsprogs) after installing it"
}

# The Debian mirror debootstrap uses: SRIOVCTL_LAB_MIRROR, else the host's own apt source.
lab_systemd_mirror() {
  if [ -n "${SRIOVCTL_LAB_MIRROR:-}" ]; then
    printf '%s\n' "$SRIOVCTL_LAB_MIRROR"
    return
  fi
  local uri=
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && u != "" && / bookworm( |$)/ { print u; exit }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Sets SD_ROOT to the folder holding root.img, vmlinuz and initrd.img (built on first use, ~2-3 min).
lab_prepare_systemd_root() {
  local mirror key base dir tree
  mirror=$(lab_systemd_mirror)
  key=$( { cat "${BASH_SOURCE[0]}"; printf '%s\n' "$mirror"; } | sha256sum | cut -c1-16)
  base=$CACHE/systemd-root
  dir=$base/$key
  SD_ROOT=$dir
  [ -f "$dir/ok" ] && return 0
  # Older recipes' roots are ~1 GB each: keep only the current one. A build killed half way may have
  # left /proc, /sys or /dev mounted in its tree: unmount them first, and never let rm cross into
  # another file system.
  lab_systemd_unmount_under "$base"
  rm -rf --one-file-system "$base"
  mkdir -p "$dir"
  tree=$dir/tree
  log "building the Debian 12 systemd root (debootstrap from $mirror; about 2-3 min and 150 MB, once)"
  debootstrap --variant=minbase --include="$LAB_SYSTEMD_INCLUDE" "$LAB_SYSTEMD_SUITE" "$tree" "$mirror" \
    >"$dir/debootstrap.log" 2>&1 || die "debootstrap $LAB_SYSTEMD_SUITE from $mirror failed (log: $dir/debootstrap.log)"
  lab_systemd_chroot_install "$tree" "$dir/kernel-install.log" ||
    die "installing ${LAB_SYSTEMD_KERNEL_PKGS[*]} in the systemd root failed (log: $dir/kernel-install.log)"
  lab_systemd_configure "$tree"
  local vmlinuz initrd
  vmlinuz=$(find "$tree/boot" -maxdepth 1 -name 'vmlinuz-*' | sort | tail -n1)
  initrd=$(find "$tree/boot" -maxdepth 1 -name 'initrd.img-*' | sort | tail -n1)
  [ -n "$vmlinuz" ] && [ -n "$initrd" ] || die "the systemd root has no kernel or initramfs in /boot"
  cp "$vmlinuz" "$dir/vmlinuz"
  cp "$initrd" "$dir/initrd.img"
  basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$dir/kernel-release"
  # mkfs.ext4 -d copies the tree into a fresh file system: no loop device, nothing mounted.
  mkfs.ext4 -q -L lab-root -d "$tree" -F "$dir/root.img" 3G >&2 || die "mkfs.ext4 -d of the systemd root failed"
  rm -rf --one-file-system "$tree"
  touch "$dir/ok"
}

# Unmounts whatever is mounted below $1 (deepest first).
lab_systemd_unmount_under() {
  local m
  [ -d "$1" ] || return 0
  findmnt -rn -o TARGET | awk -v b="$1/" 'index($0, b) == 1' | sort -r | while IFS= read -r m; do
    umount -l "$m" || true
  done
}

# Debian's kernel and initramfs-tools inside the tree; services are never started in the chroot.
lab_systemd_chroot_install() {
  local tree=$1 logf=$2 rc=0
  cp /etc/resolv.conf "$tree/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$tree/usr/sbin/policy-rc.d"
  chmod 0755 "$tree/usr/sbin/policy-rc.d"
  mount -t proc proc "$tree/proc"
  mount -t sysfs sysfs "$tree/sys"
  mount --bind /dev "$tree/dev"
  chroot "$tree" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${LAB_SYSTEMD_KERNEL_PKGS[@]}" >"$logf" 2>&1 || rc=$?
  [ "$rc" = 0 ] && { chroot "$tree" apt-get clean >>"$logf" 2>&1 || rc=$?; }
  lab_systemd_unmount_under "$tree"
  rm -f "$tree/usr/sbin/policy-rc.d" "$tree/etc/resolv.conf"
  rm -rf "$tree/var/lib/apt/lists"/*
  return "$rc"
}

# What a server would have set up: a hostname, a persistent journal (the verify boot can read the
# install boot's), the mount point of the project disk, and no login prompts on the console the lab
# reads. /etc/fstab is the run's (systemd/fstab, written with debugfs): it names the lab's disks.
lab_systemd_configure() {
  local tree=$1
  echo lab-systemd >"$tree/etc/hostname"
  mkdir -p "$tree/opt/sriovctl" "$tree/var/log/journal" "$tree/root/out"
  ln -sf /dev/null "$tree/etc/systemd/system/serial-getty@ttyS0.service"
  ln -sf /dev/null "$tree/etc/systemd/system/getty@tty1.service"
}

# Builds the project disk for one run at $1 (an ext4 image) from the checkout $2 and the compiled tree $3.
lab_systemd_project_disk() {
  local img=$1 repo=$2 build=$3 stage
  stage=$(mktemp -d "$RUNS/project.XXXXXX")
  mkdir -p "$stage/bin" "$stage/node/bin" "$stage/lab"
  cp "$repo/package.json" "$stage/"
  cp "$repo/bin/sriovctl.js" "$stage/bin/"
  # The compiled src/ stands where `npm run build` puts it (bin/sriovctl.js imports ../dist/cli/main.js).
  cp -a "$build/src" "$stage/dist"
  cp "$(command -v node)" "$stage/node/bin/node"
  cp "$LAB_DIR/systemd/"* "$stage/lab/"
  # Production dependencies only, as `npm ci --omit=dev` would leave them (better-sqlite3 already
  # built for this node): the packages npm itself lists, copied from the checkout's node_modules. A
  # package nested in another's node_modules comes along with its parent.
  local pkgs
  pkgs=$(cd "$repo" && npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s|^$repo/node_modules/|node_modules/|p" |
    sort -u | awk '{ for (k in kept) if (index($0, k "/") == 1) next; kept[$0] = 1; print }') || true
  [ -n "$pkgs" ] || die "npm ls lists no production dependencies in $repo (run npm ci)"
  while IFS= read -r d; do
    mkdir -p "$stage/$(dirname "$d")" && cp -a "$repo/$d" "$stage/$d" ||
      die "cannot copy $d into the project disk"
  done <<<"$pkgs"
  [ -d "$stage/node_modules/better-sqlite3" ] || die "the project disk has no node_modules/better-sqlite3 (run npm ci)"
  mkfs.ext4 -q -L sriovctl -d "$stage" -F "$img" 1G || die "mkfs.ext4 -d of the project disk failed"
  rm -rf "$stage"
}
