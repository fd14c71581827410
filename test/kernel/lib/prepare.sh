# shellcheck shell=bash
# Prepares everything the lab guest needs, installing and downloading on first use and reusing the
# cache afterwards. Sourced by test/kernel/run.sh (which sets -euo pipefail and defines die/log).
#
# Cache layout (CACHE = ${SRIOVCTL_LAB_CACHE:-/var/cache/sriovctl-lab}), keyed by kernel ABI so a new
# Debian kernel gets a fresh tree next to the old one:
#   CACHE/<abi>/kernel/          dpkg-deb -x of linux-image-<abi> (boot/vmlinuz-<abi>, lib/modules/<abi>)
#   CACHE/<abi>/netdevsim-src/   drivers/net/netdevsim/* from linux-source-6.1, plus our Kbuild
#   CACHE/<abi>/netdevsim.ko     the out-of-tree build (also copied into kernel/lib/modules/<abi>/updates/)
#   CACHE/<abi>/initramfs-<hash>.cpio.gz   busybox + the 9p/overlay modules + guest/init
#   CACHE/<abi>/*.ok             stamps: a step that was interrupted is redone, never half-used

# Debian packages providing the host-side tools, by the command we need from each.
declare -A LAB_TOOL_PKG=(
  [qemu-system-x86_64]=qemu-system-x86
  [busybox]=busybox-static
  [depmod]=kmod
  [modprobe]=kmod
  [modinfo]=kmod
  [cpio]=cpio
  [xz]=xz-utils
  [dpkg-deb]=dpkg
  [ip]=iproute2
  [devlink]=iproute2
  [timeout]=coreutils
)

apt_updated=0
lab_apt_update() {
  [ "$apt_updated" = 1 ] && return 0
  log "apt-get update"
  apt-get update -qq || die "apt-get update failed: Debian's package mirror is unreachable (needed for: $*)"
  apt_updated=1
}

lab_apt_install() {
  lab_apt_update "$@"
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    die "could not install Debian package(s): $* (apt-get install failed; see the output above)"
}

lab_prepare_tools() {
  local missing=() cmd pkg
  for cmd in "${!LAB_TOOL_PKG[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 && continue
    pkg=${LAB_TOOL_PKG[$cmd]}
    [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
  done
  # A dynamically linked busybox (package busybox) would not run in the initramfs.
  if ! dpkg -s busybox-static >/dev/null 2>&1 && [[ " ${missing[*]} " != *" busybox-static "* ]]; then
    missing+=(busybox-static)
  fi
  if [ ${#missing[@]} -gt 0 ]; then lab_apt_install "${missing[@]}"; fi
  for cmd in "${!LAB_TOOL_PKG[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || die "missing command '$cmd' (Debian package ${LAB_TOOL_PKG[$cmd]}) after installing it"
  done
  command -v node >/dev/null 2>&1 || die "missing command 'node' (Node.js >= 20): the guest runs the host's own node"
}

# Prints the ABI of Debian's current kernel, e.g. 6.1.0-56-amd64 (override: SRIOVCTL_LAB_KERNEL).
lab_kernel_abi() {
  if [ -n "${SRIOVCTL_LAB_KERNEL:-}" ]; then
    printf '%s\n' "$SRIOVCTL_LAB_KERNEL"
    return
  fi
  local dep
  dep=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1)
  if [ -z "$dep" ]; then
    lab_apt_update "the kernel package list" >&2
    dep=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1)
  fi
  [ -n "$dep" ] || die "cannot find Debian's kernel: 'apt-cache depends linux-image-amd64' names no linux-image-<abi>-amd64"
  printf '%s\n' "$dep"
}

# apt-get download into the current directory, refreshing the package lists once if the mirror
# has moved on since the last update.
lab_apt_download() {
  local pkg=$1
  if apt-get download -qq "$pkg" >/dev/null 2>&1; then return 0; fi
  lab_apt_update "$pkg"
  apt-get download -qq "$pkg" >/dev/null || die "cannot download Debian package $pkg (apt-get download failed)"
}

lab_prepare_kernel() {
  local abi=$1 dir=$2
  if [ -f "$dir/kernel.ok" ]; then return 0; fi
  log "downloading linux-image-$abi (about 70 MB, once)"
  rm -rf "$dir/kernel" "$dir/dl-image"
  mkdir -p "$dir/dl-image"
  (cd "$dir/dl-image" && lab_apt_download "linux-image-$abi")
  local deb
  deb=$(find "$dir/dl-image" -name "linux-image-${abi}_*.deb" | head -n1)
  [ -n "$deb" ] || die "apt-get download linux-image-$abi produced no .deb"
  dpkg-deb -x "$deb" "$dir/kernel"
  [ -f "$dir/kernel/boot/vmlinuz-$abi" ] || die "linux-image-$abi has no boot/vmlinuz-$abi"
  [ -d "$dir/kernel/lib/modules/$abi" ] || die "linux-image-$abi has no lib/modules/$abi"
  dpkg-deb -f "$deb" Version >"$dir/kernel-version"
  rm -rf "$dir/dl-image"
  depmod -b "$dir/kernel" "$abi"
  touch "$dir/kernel.ok"
}

lab_prepare_netdevsim() {
  local abi=$1 dir=$2
  local headers=/usr/src/linux-headers-$abi
  if [ -f "$dir/netdevsim.ok" ] && [ -f "$dir/netdevsim.ko" ]; then
    lab_install_netdevsim "$abi" "$dir"
    return 0
  fi
  if [ ! -f "$headers/Makefile" ]; then
    lab_apt_install "linux-headers-$abi"
    [ -f "$headers/Makefile" ] || die "linux-headers-$abi installed but $headers/Makefile is missing"
  fi
  if [ ! -f "$dir/netdevsim-src.ok" ]; then
    # Debian does not build netdevsim (CONFIG_NETDEVSIM is not set), so build it from the source
    # of the same 6.1 series; only drivers/net/netdevsim is needed from the 139 MB source package.
    log "downloading linux-source-6.1 (about 140 MB, once) for netdevsim"
    rm -rf "$dir/dl-source" "$dir/netdevsim-src"
    mkdir -p "$dir/dl-source" "$dir/netdevsim-src"
    (cd "$dir/dl-source" && lab_apt_download linux-source-6.1)
    local deb tarball
    deb=$(find "$dir/dl-source" -name 'linux-source-6.1_*.deb' | head -n1)
    [ -n "$deb" ] || die "apt-get download linux-source-6.1 produced no .deb"
    dpkg-deb -x "$deb" "$dir/dl-source/x"
    tarball=$(find "$dir/dl-source/x" -name 'linux-source-6.1.tar.xz' | head -n1)
    [ -n "$tarball" ] || die "linux-source-6.1 .deb has no linux-source-6.1.tar.xz"
    tar -xJf "$tarball" -C "$dir/netdevsim-src" --strip-components=4 --wildcards '*/drivers/net/netdevsim/*' ||
      die "linux-source-6.1.tar.xz has no drivers/net/netdevsim"
    [ -f "$dir/netdevsim-src/netdev.c" ] || die "netdevsim sources not found in linux-source-6.1.tar.xz"
    dpkg-deb -f "$deb" Version >"$dir/netdevsim-src/source-version"
    rm -rf "$dir/dl-source"
    touch "$dir/netdevsim-src.ok"
  fi
  # Kbuild replaces the in-tree Makefile, whose objects depend on CONFIG_* options Debian leaves unset.
  cat >"$dir/netdevsim-src/Kbuild" <<'KBUILD'
obj-m += netdevsim.o
netdevsim-objs := netdev.o dev.o ethtool.o fib.o bus.o health.o hwstats.o udp_tunnels.o bpf.o ipsec.o psample.o
KBUILD
  rm -f "$dir/netdevsim-src/Makefile"
  log "building netdevsim.ko against linux-headers-$abi"
  make -s -C "$headers" M="$dir/netdevsim-src" modules >"$dir/netdevsim-build.log" 2>&1 ||
    die "building netdevsim.ko failed (log: $dir/netdevsim-build.log)"
  cp "$dir/netdevsim-src/netdevsim.ko" "$dir/netdevsim.ko"
  touch "$dir/netdevsim.ok"
  lab_install_netdevsim "$abi" "$dir"
}

# Puts netdevsim.ko into the guest's module tree so `modprobe netdevsim` also works in lab tests.
lab_install_netdevsim() {
  local abi=$1 dir=$2 mdir=$2/kernel/lib/modules/$1
  if ! cmp -s "$dir/netdevsim.ko" "$mdir/updates/netdevsim.ko"; then
    mkdir -p "$mdir/updates"
    cp "$dir/netdevsim.ko" "$mdir/updates/netdevsim.ko"
    depmod -b "$dir/kernel" "$abi"
  fi
}

# The modules /init loads before it can mount the host root, in dependency order.
LAB_INITRAMFS_MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
  9pnet 9pnet_virtio netfs fscache 9p overlay)

# Prints the path of an initramfs for this kernel and init script (built when missing).
lab_prepare_initramfs() {
  local abi=$1 dir=$2 init=$3
  local mdir=$dir/kernel/lib/modules/$abi hash out
  hash=$( { cat "$init"; printf '%s\n' "${LAB_INITRAMFS_MODULES[@]}"; sha256sum /bin/busybox; } | sha256sum | cut -c1-16)
  out=$dir/initramfs-$hash.cpio.gz
  if [ -f "$out" ]; then printf '%s\n' "$out"; return 0; fi
  local root m path
  root=$(mktemp -d "$dir/initramfs-root.XXXXXX")
  mkdir -p "$root/bin" "$root/modules" "$root/proc" "$root/sys" "$root/dev" "$root/lower" "$root/rw" "$root/newroot"
  cp /bin/busybox "$root/bin/busybox"
  for m in "${LAB_INITRAMFS_MODULES[@]}"; do
    path=$(modinfo -b "$dir/kernel" -k "$abi" -n "$m" 2>/dev/null) || die "module $m not found in linux-image-$abi"
    case $path in
      /*) ;;
      *) die "module $m is built into linux-image-$abi (modinfo: $path); remove it from LAB_INITRAMFS_MODULES" ;;
    esac
    case $path in
      *.ko) cp "$path" "$root/modules/$m.ko" ;;
      *.ko.xz) xz -dc "$path" >"$root/modules/$m.ko" ;;
      *) die "module $m has an unexpected file name: $path" ;;
    esac
  done
  install -m 0755 "$init" "$root/init"
  (cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$root"
  printf '%s\n' "$out"
}
