#!/bin/sh
# Captures what the lab guest's kernel shows (run inside the guest by `run.sh --facts`): raw
# outputs, one file per question, so the simulator's mirror fixture can match the real kernel.
# Usage: capture-facts.sh <out-dir>. Leaves the devices as it found them (0 VFs, no netdevsim).
set -u
out=$1
mkdir -p "$out"

# run <file> <command...>: the command's stdout and stderr, then its exit status.
run() {
  f=$1
  shift
  { "$@"; echo "(exit $?)"; } >"$out/$f.txt" 2>&1
}
# target <link>: where a sysfs link points, or "none" when there is no such link.
target() { if [ -e "$1" ]; then readlink -f "$1"; else echo none; fi; }
# show <file> <path...>: "path: contents" for each sysfs file.
show() {
  f=$1
  shift
  for p in "$@"; do printf '%s: %s\n' "$p" "$(cat "$p" 2>&1)"; done >"$out/$f.txt"
}

run proc-cmdline cat /proc/cmdline
run uname uname -a
run sys-class-iommu ls -la /sys/class/iommu
run iommu-groups ls /sys/kernel/iommu_groups

pf=
for d in /sys/bus/pci/devices/*; do
  if [ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ]; then pf=${d##*/}; fi
done
echo "$pf" >"$out/nvme-pf-address.txt"
P=/sys/bus/pci/devices/$pf
run nvme-pf-sysfs-path readlink -f "$P"
show nvme-pf-attributes "$P/vendor" "$P/device" "$P/subsystem_vendor" "$P/subsystem_device" "$P/class" \
  "$P/numa_node" "$P/sriov_totalvfs" "$P/sriov_numvfs" "$P/sriov_offset" "$P/sriov_stride" \
  "$P/sriov_vf_device" "$P/sriov_vf_total_msix" "$P/sriov_drivers_autoprobe" "$P/driver_override"
target "$P/driver" >"$out/nvme-pf-driver.txt"
target "$P/iommu_group" >"$out/nvme-pf-iommu-group.txt"
run nvme-pf-dir ls "$P"

# With 4 VFs: addresses, links, drivers, groups, NUMA node. nvme probes VFs asynchronously and
# then gives up on them (QEMU's secondary controllers are offline), so drivers are sampled twice.
echo 4 >"$P/sriov_numvfs"
for l in "$P"/virtfn*; do
  printf '%s driver right after the write: %s\n' "${l##*/}" "$(target "$l/driver")"
done >"$out/nvme-vf-drivers-immediately.txt"
sleep 2
for l in "$P"/virtfn*; do
  printf '%s driver 2 s later: %s\n' "${l##*/}" "$(target "$l/driver")"
done >"$out/nvme-vf-drivers-after-2s.txt"
{
  for l in "$P"/virtfn*; do
    vf=$(readlink -f "$l")
    printf '%s -> %s\n' "${l##*/}" "${vf##*/}"
    printf '  path: %s\n' "$vf"
    printf '  device: %s\n' "$(cat "$vf/device")"
    printf '  driver: %s\n' "$(target "$vf/driver")"
    printf '  iommu_group: %s\n' "$(target "$vf/iommu_group")"
    printf '  numa_node: %s\n' "$(cat "$vf/numa_node")"
    printf '  physfn: %s\n' "$(readlink "$vf/physfn")"
  done
} >"$out/nvme-vfs-after-numvfs-4.txt" 2>&1
run iommu-groups-with-4-vfs ls /sys/kernel/iommu_groups
run pci-devices-with-4-vfs ls -l /sys/bus/pci/devices
run pci-drivers ls /sys/bus/pci/drivers
run nvme-vf0-dir ls "$P/virtfn0/"
echo 0 >"$P/sriov_numvfs"
run dmesg-nvme sh -c 'dmesg | grep -E "nvme|0000:00:02"' 

# netdevsim 10 with one port and 4 VFs.
echo "10 1" >/sys/bus/netdevsim/new_device
N=/sys/bus/netdevsim/devices/netdevsim10
i=0
while [ ! -d "$N/net" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(ls "$N/net")
echo "$port" >"$out/netdevsim-port.txt"
run ip-j-link-show ip -j link show
run netdevsim-dir ls -l "$N"
run devlink-dev-info devlink -j dev info netdevsim/netdevsim10
run devlink-dev-eswitch-show devlink -j dev eswitch show netdevsim/netdevsim10
run devlink-port-show devlink -j port show
echo 4 >"$N/sriov_numvfs"
run netdevsim-ip-j-d-s-link-show-after-4-vfs ip -j -d -s link show "$port"
run netdevsim-ip-d-link-show-after-4-vfs ip -d link show "$port"
echo 0 >"$N/sriov_numvfs"
echo 10 >/sys/bus/netdevsim/del_device
run lsmod cat /proc/modules
