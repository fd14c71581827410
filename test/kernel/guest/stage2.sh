#!/bin/sh
# Stage 2 of the lab guest, PID 1 inside the overlay of the host's root (so this is the host's
# dash, modprobe, ip and node). The host runner copies this file into the results share
# (/run/lab) with:
#   repo        the project checkout to cd into (one line)
#   command     the program and its arguments, one per line (node --test ... <compiled files>)
# It loads the drivers the lab needs, runs the command, records its exit status in /run/lab/status
# and powers off. Nothing is interpolated into a shell string: arguments are read line by line.
R=/run/lab
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8

poweroff_now() {
  sync
  echo o >/proc/sysrq-trigger
  # Wait for the power-off with a builtin: the 9p root may already be gone, and PID 1 must not exit
  # (that would be a kernel panic). Nothing ever arrives on the console, so this read blocks.
  while :; do read -r _ </dev/console; done
}
note() { echo "lab-guest: $*"; }

# Kernel messages go to the dmesg copy saved at the end, not into the test output.
echo 1 >/proc/sys/kernel/printk
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || note "debugfs not mounted"
hostname lab 2>/dev/null || true
ip link set lo up 2>/dev/null || true

# nvme binds the QEMU NVMe PF (there is no udev to load it); vfio-pci is what VFs are handed to;
# psample is netdevsim's one dependency outside the module itself.
for m in nvme vfio-pci psample; do
  modprobe "$m" || note "modprobe $m failed"
done
insmod "/lib/modules/$(uname -r)/updates/netdevsim.ko" || note "insmod netdevsim.ko failed"

uptime_s() { cut -d' ' -f1 /proc/uptime; }
note "user space ready at $(uptime_s)s after boot"

IFS= read -r repo <"$R/repo" || { note "no repo in $R/repo"; poweroff_now; }
cd "$repo" || { note "cannot cd into $repo"; poweroff_now; }
set --
while IFS= read -r arg; do set -- "$@" "$arg"; done <"$R/command"
"$@"
rc=$?
note "command exited with status $rc at $(uptime_s)s after boot"
dmesg >"$R/dmesg.txt" 2>/dev/null
echo "$rc" >"$R/status.tmp" && mv "$R/status.tmp" "$R/status"
poweroff_now
