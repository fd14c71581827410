#!/bin/bash
# The reboot-persistence lab in the systemd guest (test/kernel/lib/systemd-root.sh), run by
# lab-stage.service at the end of each boot. `sriovctl.lab=install` on the kernel command line: install
# the policy with the real CLI and enable the units, as the README says; `sriovctl.lab=verify` (the
# next boot of the same disk): check what the boot brought back. Writes TAP to /root/out/<stage>.tap
# (read by the host with debugfs), then powers off.
OUT=/root/out
mkdir -p "$OUT"
stage=$(sed -n 's/.*sriovctl\.lab=\([a-z]*\).*/\1/p' /proc/cmdline)
TAP=$OUT/$stage.tap
: >"$TAP"
SRIOVCTL=(/opt/sriovctl/node/bin/node /opt/sriovctl/bin/sriovctl.js)
export NO_COLOR=1
PF=$(grep -l '^0x1b36$' /sys/bus/pci/devices/*/vendor | while read -r v; do
  d=$(dirname "$v")
  [ "$(cat "$d/device")" = 0x0010 ] && [ -e "$d/sriov_totalvfs" ] && { basename "$d"; break; }
done)
PFDIR=/sys/bus/pci/devices/$PF

n=0
pass=0
fail=0
# check DESCRIPTION EXPECTED ACTUAL: one TAP line; on failure the expectation and what was seen.
check() {
  n=$((n + 1))
  if [ "$2" = "$3" ]; then
    pass=$((pass + 1))
    echo "ok $n - $1" | tee -a "$TAP"
  else
    fail=$((fail + 1))
    { echo "not ok $n - $1"; echo "  # expected: $2"; echo "  # got: $3"; } | tee -a "$TAP"
  fi
}
# yes_if COMMAND...: "yes" when the command succeeds, else "no".
yes_if() { if "$@" >/dev/null 2>&1; then echo yes; else echo no; fi; }
driver_of() { basename "$(readlink "$PFDIR/virtfn$1/driver" 2>/dev/null)" 2>/dev/null || echo none; }
boot_modules() {
  "${SRIOVCTL[@]}" doctor --json 2>/dev/null |
    /opt/sriovctl/node/bin/node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{const r=JSON.parse(t).results.find(x=>x.id==="boot.modules");console.log(r?r.status:"absent")})'
}
finish() {
  echo "# pass $pass" | tee -a "$TAP"
  echo "# fail $fail" | tee -a "$TAP"
  journalctl -b --no-pager >"$OUT/$stage.journal.txt" 2>&1
  dmesg >"$OUT/$stage.dmesg.txt" 2>&1
  echo done >"$OUT/$stage.done"
  sync
  systemctl poweroff --no-block
  exit 0
}

echo "lab-stage: $stage on $PF at $(cut -d' ' -f1 /proc/uptime)s after boot"
check "the QEMU NVMe SR-IOV PF is there" yes "$(yes_if test -n "$PF")"

if [ "$stage" = install ]; then
  # Negative control: nothing loads vfio-pci at a boot whose modules-load.d does not name it, and a
  # boot-time apply then fails to bind (what the report saw before install wrote the entry).
  check "vfio-pci is not loaded at a boot without a modules-load.d entry" no \
    "$(yes_if test -e /sys/bus/pci/drivers/vfio-pci)"
  "${SRIOVCTL[@]}" apply --yes --wait-for-pfs 30 -f /opt/sriovctl/lab/policy.yaml \
    >"$OUT/control.out" 2>"$OUT/control.err"
  check "without it, the boot-time apply cannot bind VFs to vfio-pci" yes \
    "$(yes_if grep -q 'vfio-pci did not bind' "$OUT/control.err")"
  echo 0 >"$PFDIR/sriov_numvfs"

  "${SRIOVCTL[@]}" install -f /opt/sriovctl/lab/policy.yaml >"$OUT/install.out" 2>"$OUT/install.err"
  check "sriovctl install exits 0" 0 "$?"
  check "install lists vfio_pci in /etc/modules-load.d/sriovctl.conf" yes \
    "$(yes_if grep -qx vfio_pci /etc/modules-load.d/sriovctl.conf)"
  check "doctor's boot.modules passes (listed, loads at the next boot)" pass "$(boot_modules)"
  { systemctl daemon-reload &&
    systemctl enable sriovctl-apply.service sriovctl.socket sriovctl.service; } >"$OUT/enable.out" 2>&1
  check "systemctl enable of the three units exits 0" 0 "$?"
  finish
fi

if [ "$stage" = verify ]; then
  check "sriovctl-apply.service is not failed (systemctl is-failed)" active \
    "$(systemctl is-failed sriovctl-apply.service)"
  check "numVfs is 3 again" 3 "$(cat "$PFDIR/sriov_numvfs")"
  check "VF 1 is on vfio-pci" vfio-pci "$(driver_of 1)"
  check "VF 2 is on vfio-pci" vfio-pci "$(driver_of 2)"
  check "systemd-modules-load loaded vfio-pci" yes "$(yes_if test -e /sys/bus/pci/drivers/vfio-pci)"
  check "sriovctl.socket is active" active "$(systemctl is-active sriovctl.socket)"
  check "the API socket is root only (0600)" 600 "$(stat -c %a /run/sriovctl/api.sock 2>&1)"
  check "sriovctl.service is active" active "$(systemctl is-active sriovctl.service)"
  "${SRIOVCTL[@]}" attachments --json >"$OUT/attachments.out" 2>"$OUT/attachments.err"
  check "the daemon answers on its socket (sriovctl attachments)" 0 "$?"
  check "a unit ordered after sriovctl.service ran" yes "$(yes_if test -f "$OUT/readiness.end")"
  check "its apply went through the daemon" yes \
    "$(yes_if grep -q 'applying through the sriovctl daemon at unix:/run/sriovctl/api.sock' "$OUT/readiness.apply.err")"
  check "its apply exited 0" 0 "$(cat "$OUT/readiness.apply.rc" 2>/dev/null)"
  check "its API read (sriovctl attachments) exited 0" 0 "$(cat "$OUT/readiness.attachments.rc" 2>/dev/null)"
  check "doctor's boot.modules passes" pass "$(boot_modules)"
  finish
fi

check "stage named on the kernel command line (sriovctl.lab=install|verify)" "install or verify" "$stage"
finish
