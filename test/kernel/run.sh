#!/usr/bin/env bash
# The real-kernel lab: boots Debian's Linux 6.1 under QEMU (TCG) with a real PCI SR-IOV PF (QEMU's
# NVMe controller, 7 VFs), an emulated Intel IOMMU and netdevsim, and runs the lab tests
# (test/kernel/*.lab.ts, compiled on the host) inside the guest with Node's test runner.
#
#   npm run test:kernel                      every lab test (two boots: IOMMU on, IOMMU off)
#   npm run test:kernel -- discovery         only files whose name contains "discovery"
#   SRIOVCTL_LAB_TESTS="discovery numvfs" npm run test:kernel
#   npm run test:kernel -- --facts           capture guest facts into test/kernel/facts/
#   npm run test:kernel -- --shell           an interactive root shell in the guest (IOMMU on;
#                                            exit the shell to power off, or Ctrl-A X to kill QEMU)
#   bash test/kernel/run.sh --bench metrics  run test/kernel/metrics.bench.ts in the guest (IOMMU
#                                            on) and write its JSON figures to
#                                            $SRIOVCTL_LAB_BENCH_OUT (default: the cache's logs/);
#                                            `npm run bench -- metrics-kernel` does this, and
#                                            `npm run bench -- apply-kernel` the same for
#                                            test/kernel/apply.bench.ts (--bench apply)
#
# Boot 1 (IOMMU on) runs *.lab.ts except *.noiommu.lab.ts; boot 2 (no IOMMU device, no
# intel_iommu=on) runs *.noiommu.lab.ts. Boots 3 and 4 are the reboot-persistence test
# (reboot-persistence.systemd; filter e.g. `reboot`): a real Debian 12 root with systemd boots twice
# from one disk, `sriovctl install` and `systemctl enable` in the first, the second checks what came
# back (test/kernel/systemd/). Needs root: it installs Debian packages on first use.
# Environment: SRIOVCTL_LAB_CACHE (default /var/cache/sriovctl-lab), SRIOVCTL_LAB_TIMEOUT (seconds
# per boot, default 300), SRIOVCTL_LAB_KERNEL (kernel ABI, default Debian's current one).
set -euo pipefail

log() { printf 'lab: %s\n' "$*" >&2; }
die() {
  printf 'lab: FAILED: %s\n' "$*" >&2
  exit 1
}

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
CACHE=${SRIOVCTL_LAB_CACHE:-/var/cache/sriovctl-lab}
TIMEOUT=${SRIOVCTL_LAB_TIMEOUT:-300}
# Compiled lab tests live inside the checkout (under node_modules, which every tool already
# ignores) so their imports of src/ and of npm packages resolve as they do on the host.
BUILD=$REPO/node_modules/.cache/sriovctl-lab/build

mode=tests
filters=()
bench=
for a in "$@"; do
  if [ "$mode" = bench ] && [ -z "$bench" ]; then
    bench=$a
    continue
  fi
  case $a in
    --facts) mode=facts ;;
    --bench) mode=bench ;;
    --shell) mode=shell ;;
    -h | --help)
      # The usage is this file's opening comment.
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*) die "unknown option $a (try --help)" ;;
    *) filters+=("$a") ;;
  esac
done
if [ ${#filters[@]} -eq 0 ] && [ -n "${SRIOVCTL_LAB_TESTS:-}" ]; then
  read -r -a filters <<<"$SRIOVCTL_LAB_TESTS"
fi
if [ "$mode" = bench ]; then
  [[ $bench =~ ^[a-z0-9-]+$ ]] || die "--bench needs a benchmark name (test/kernel/<name>.bench.ts), got '$bench'"
  [ -f "$LAB_DIR/$bench.bench.ts" ] || die "no benchmark $LAB_DIR/$bench.bench.ts"
fi
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "SRIOVCTL_LAB_TIMEOUT must be a number of seconds, got '$TIMEOUT'"

[ "$(id -u)" = 0 ] || die "needs root (it installs Debian packages, writes $CACHE and runs QEMU); run it as root or with sudo"
[ -x "$REPO/node_modules/.bin/tsc" ] || die "missing node_modules/.bin/tsc: run 'npm ci' in $REPO first"

now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }

# shellcheck source=lib/prepare.sh
. "$LAB_DIR/lib/prepare.sh"
# shellcheck source=lib/systemd-root.sh
. "$LAB_DIR/lib/systemd-root.sh"

t0=$(now_ms)
mkdir -p "$CACHE"
# One lab at a time per cache: concurrent runs would race on downloads and builds.
exec 9>"$CACHE/lock"
if ! flock -n 9; then
  log "another lab run holds $CACHE/lock; waiting"
  flock 9
  log "waited $(secs $(($(now_ms) - t0))) for the lock"
  t0=$(now_ms)
fi

lab_prepare_tools
ABI=$(lab_kernel_abi)
KDIR=$CACHE/$ABI
mkdir -p "$KDIR"
lab_prepare_kernel "$ABI" "$KDIR"
lab_prepare_netdevsim "$ABI" "$KDIR"
INITRD=$(lab_prepare_initramfs "$ABI" "$KDIR" "$LAB_DIR/guest/init")
VMLINUZ=$KDIR/kernel/boot/vmlinuz-$ABI

# Compile the lab tests (and the src/ they import) on the host: the guest's node then loads plain
# JavaScript instead of transforming TypeScript under slow emulation.
mkdir -p "$BUILD"
"$REPO/node_modules/.bin/tsc" -p "$LAB_DIR/tsconfig.json" --outDir "$BUILD" \
  --incremental --tsBuildInfoFile "$BUILD/.tsbuildinfo" || die "the lab tests do not compile (tsc -p test/kernel/tsconfig.json)"
# The compiled tree stands in for the checkout: code that finds files relative to its own module
# (fixtures/hosts, package.json, data next to a source file) must find them at the same relative
# place. So the checkout's other top-level entries are linked in (package.json also tells node the
# .js files are ESM), and the non-TypeScript files of the compiled folders are copied alongside.
for entry in "$REPO"/*; do
  name=$(basename "$entry")
  case $name in node_modules | dist | src | test | bench) continue ;; esac
  ln -sfn "$entry" "$BUILD/$name"
done
(cd "$REPO" && find src test bench -type f ! -name '*.ts' -print0 | cpio -0pdmu --quiet "$BUILD") ||
  die "cannot copy the checkout's data files into $BUILD"
t_prepared=$(now_ms)
log "prepared kernel $ABI ($(cat "$KDIR/kernel-version")) in $(secs $((t_prepared - t0)))"

# The lab test files for one boot, filtered by name; prints compiled paths, one per line.
select_tests() {
  local kind=$1 f base keep
  for f in "$LAB_DIR"/*.lab.ts; do
    [ -e "$f" ] || continue
    base=$(basename "$f")
    case $kind:$base in
      iommu:*.noiommu.lab.ts) continue ;;
      noiommu:*.noiommu.lab.ts) ;;
      noiommu:*) continue ;;
    esac
    if [ ${#filters[@]} -gt 0 ]; then
      keep=0
      for p in "${filters[@]}"; do [[ $base == *"$p"* ]] && keep=1; done
      [ $keep = 1 ] || continue
    fi
    printf '%s\n' "$BUILD/test/kernel/${base%.ts}.js"
  done
}

# The reboot-persistence test: not a *.lab.ts file, but selected by the same name filters.
SYSTEMD_TEST=reboot-persistence.systemd
systemd_selected() {
  [ "$mode" = tests ] || return 1
  [ ${#filters[@]} -eq 0 ] && return 0
  local p
  for p in "${filters[@]}"; do [[ $SYSTEMD_TEST == *"$p"* ]] && return 0; done
  return 1
}

RUNS=$(mktemp -d /tmp/sriovctl-lab.XXXXXX)
trap 'rm -rf "$RUNS"' EXIT
LOGS=$CACHE/logs
mkdir -p "$LOGS"

total_pass=0
total_fail=0
boot_failures=()

# QEMU's NVMe controller as an SR-IOV PF (7 VFs). It is pinned at 0000:00:02.0 (its VFs at
# 00:02.1..7), so addresses match test/kernel/facts and the simulator's mirror fixture on every boot.
NVME_PF=(-device nvme-subsys,id=subsys0
  -device nvme,serial=lab0,subsys=subsys0,sriov_max_vfs=7,sriov_vq_flexible=14,sriov_vi_flexible=7,max_ioqpairs=16,msix_qsize=16,addr=02.0)

# run_qemu <n> <label> <timeout> <qemu argv...>: one boot with a timeout. The guest's console is
# the test output: it is streamed to stdout and $LOGS/boot<n>.log, minus the serial line's carriage
# returns and terminal escapes. Records the boot's time and sets QRC to QEMU's exit status.
run_qemu() {
  local n=$1 label=$2 limit=$3 t
  shift 3
  t=$(now_ms)
  log "boot $n ($label): starting QEMU (timeout $limit s; console log $LOGS/boot$n.log)"
  set +e
  timeout -k 10 "$limit" "$@" </dev/null 2>&1 |
    sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g' | tee "$LOGS/boot$n.log"
  QRC=${PIPESTATUS[0]}
  set -e
  BOOT_TIMES+=("boot $n ($label): $(secs $(($(now_ms) - t)))")
}

# boot <n> <iommu|noiommu> <label> <command...>: one QEMU boot running <command> in the guest.
boot() {
  local n=$1 kind=$2 label=$3
  shift 3
  local res=$RUNS/boot$n
  mkdir -p "$res"
  printf '%s\n' "$REPO" >"$res/repo"
  printf '%s\n' "$@" >"$res/command"
  cp "$LAB_DIR/guest/stage2.sh" "$res/stage2.sh"

  local machine=(-machine q35,kernel-irqchip=split)
  local append="console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init"
  if [ "$kind" = iommu ]; then
    # The IOMMU device must come before the PCI devices it translates for.
    machine+=(-device intel-iommu,intremap=on)
    append+=" intel_iommu=on"
  fi
  # No NIC (-nic none): the PCI addresses stay those of test/kernel/facts.
  local qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 2048
    "${machine[@]}" -nographic -no-reboot -nic none
    -kernel "$VMLINUZ" -initrd "$INITRD" -append "$append"
    "${NVME_PF[@]}"
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
    -virtfs "local,path=$res,mount_tag=results,security_model=none,multidevs=remap"
    -virtfs "local,path=$KDIR/kernel/lib/modules,mount_tag=modules,security_model=none,readonly=on,multidevs=remap")

  if [ "$mode" = shell ]; then
    # Interactive: the terminal is the guest's console; no timeout, no filtering.
    log "boot $n ($label): starting QEMU"
    "${qemu[@]}" || true
    return 0
  fi
  run_qemu "$n" "$label" "$TIMEOUT" "${qemu[@]}"
  local qrc=$QRC
  [ -f "$res/dmesg.txt" ] && cp "$res/dmesg.txt" "$LOGS/boot$n.dmesg.txt"
  [ -f "$res/tap.txt" ] && cp "$res/tap.txt" "$LOGS/boot$n.tap.txt"

  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    boot_failures+=("boot $n ($label): QEMU timed out after ${TIMEOUT} s")
    return 1
  fi
  if [ ! -f "$res/status" ]; then
    boot_failures+=("boot $n ($label): the guest never reported (QEMU exit $qrc; see $LOGS/boot$n.log)")
    return 1
  fi
  local status
  status=$(cat "$res/status")
  if [ "$mode" = tests ]; then
    local counted=0
    count_tap "$n" "$label" "$res/tap.txt" || counted=$?
    [ "$counted" = 2 ] && return 1
    if [ "$status" != 0 ] && [ "$counted" = 1 ]; then return 1; fi
  fi
  if [ "$status" != 0 ]; then
    boot_failures+=("boot $n ($label): the guest command exited with status $status")
    return 1
  fi
  return 0
}

# Counts a boot's TAP (# pass / # fail / # cancelled) into the totals. Returns 0 when nothing
# failed, 1 when tests failed, 2 when the summary is missing (recorded as a boot failure).
count_tap() {
  local n=$1 label=$2 tap=$3 p f c
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n1)
  c=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n1)
  if [ -z "$p" ] || [ -z "$f" ]; then
    boot_failures+=("boot $n ($label): the test summary is missing")
    return 2
  fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f + ${c:-0}))
  [ $((f + ${c:-0})) = 0 ] || return 1
}

# systemd_boot <n> <install|verify> <label>: one QEMU boot of the systemd guest's disk. The guest
# powers itself off; its results are read from the disk with debugfs (nothing is mounted).
systemd_boot() {
  local n=$1 stage=$2 label=$3
  local img=$SD_RUN/root.img res=$RUNS/boot$n
  mkdir -p "$res"
  local qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 2048
    -machine q35,kernel-irqchip=split -device intel-iommu,intremap=on -nographic -no-reboot -nic none
    -kernel "$SD_ROOT/vmlinuz" -initrd "$SD_ROOT/initrd.img"
    -append "console=ttyS0 root=/dev/vda rw intel_iommu=on panic=-1 quiet loglevel=3 systemd.show_status=1 sriovctl.lab=$stage"
    "${NVME_PF[@]}"
    -drive "file=$img,format=raw,if=none,id=root" -device virtio-blk-pci,drive=root,addr=03.0
    -drive "file=$SD_RUN/project.img,format=raw,if=none,id=project,readonly=on"
    -device virtio-blk-pci,drive=project,addr=04.0)
  # A whole systemd boot, and node started several times from a disk, under emulation: twice the
  # per-boot timeout of the 9p guest.
  local limit=$((TIMEOUT * 2))
  run_qemu "$n" "$label" "$limit" "${qemu[@]}"
  local qrc=$QRC
  # What the guest wrote to /root/out (TAP, the outputs of each command, its journal and dmesg).
  rm -rf "$LOGS/boot$n.out"
  debugfs -R "rdump /root/out $res" "$img" >/dev/null 2>&1 || true
  if [ -d "$res/out" ]; then
    cp -r "$res/out" "$LOGS/boot$n.out"
    [ -f "$res/out/$stage.tap" ] && cp "$res/out/$stage.tap" "$res/tap.txt"
  fi
  # The guest's TAP went to its journal; show it where the other boots' TAP is, in the output.
  [ -f "$res/tap.txt" ] && sed "s/^/lab: boot $n: /" "$res/tap.txt" >&2
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    boot_failures+=("boot $n ($label): QEMU timed out after $limit s")
    return 1
  fi
  if [ ! -f "$res/out/$stage.done" ]; then
    boot_failures+=("boot $n ($label): the guest never reported (QEMU exit $qrc; see $LOGS/boot$n.log)")
    return 1
  fi
  count_tap "$n" "$label" "$res/tap.txt"
}

# The reboot-persistence test: the cached systemd root, a fresh copy of its disk and a project
# disk, then the install boot and the verify boot of that same disk.
systemd_reboot_test() {
  local t=$(now_ms)
  lab_prepare_systemd_tools
  lab_prepare_systemd_root
  SD_RUN=$RUNS/systemd
  mkdir -p "$SD_RUN"
  cp --sparse=always "$SD_ROOT/root.img" "$SD_RUN/root.img"
  lab_systemd_project_disk "$SD_RUN/project.img" "$REPO" "$BUILD"
  # The run's fstab and the lab's two units go into this run's copy of the root (the cached image
  # stays as the recipe left it); lab-stage runs stage.sh at the end of every boot.
  debugfs -w -f - "$SD_RUN/root.img" >"$SD_RUN/debugfs.log" 2>&1 <<DEBUGFS || die "debugfs could not write the lab units into the systemd root (log: $SD_RUN/debugfs.log)"
rm /etc/fstab
write $LAB_DIR/systemd/fstab /etc/fstab
cd /etc/systemd/system
write $LAB_DIR/systemd/lab-stage.service lab-stage.service
write $LAB_DIR/systemd/lab-readiness.service lab-readiness.service
mkdir multi-user.target.wants
cd multi-user.target.wants
symlink lab-stage.service /etc/systemd/system/lab-stage.service
symlink lab-readiness.service /etc/systemd/system/lab-readiness.service
DEBUGFS
  BOOT_TIMES+=("reboot-persistence disks ($(cat "$SD_ROOT/kernel-release")): $(secs $(($(now_ms) - t)))")
  systemd_boot 3 install "systemd, install" || true
  if [ -f "$RUNS/boot3/out/install.done" ]; then
    systemd_boot 4 verify "systemd, after the reboot" || true
  else
    boot_failures+=("boot 4 (systemd, after the reboot): not booted, the install boot did not finish")
  fi
}

BOOT_TIMES=()
NODE_TEST=(node --max-semi-space-size=16 --test --test-concurrency=1
  --test-reporter=tap --test-reporter-destination=stdout
  --test-reporter=tap --test-reporter-destination=/run/lab/tap.txt)

if [ "$mode" = shell ]; then
  boot 1 iommu "shell, IOMMU on" /bin/bash -i
  exit 0
elif [ "$mode" = bench ]; then
  out=${SRIOVCTL_LAB_BENCH_OUT:-$LOGS/$bench.bench.json}
  rm -f "$out"
  boot 1 iommu "benchmark $bench, IOMMU on" node --max-semi-space-size=16 \
    "$BUILD/test/kernel/$bench.bench.js" /run/lab/bench.json || true
  if [ -f "$RUNS/boot1/bench.json" ]; then
    cp "$RUNS/boot1/bench.json" "$out"
    log "benchmark figures written to $out"
  else
    boot_failures+=("benchmark $bench wrote no figures")
  fi
elif [ "$mode" = facts ]; then
  boot 1 iommu "facts, IOMMU on" /bin/sh "$LAB_DIR/guest/capture-facts.sh" /run/lab/facts || true
  boot 2 noiommu "facts, no IOMMU" /bin/sh "$LAB_DIR/guest/capture-facts.sh" /run/lab/facts || true
  for n in 1 2; do
    if [ -d "$RUNS/boot$n/facts" ]; then
      mkdir -p "$LAB_DIR/facts"
      for f in "$RUNS/boot$n/facts"/*; do
        [ -e "$f" ] || continue
        suffix=; [ $n = 2 ] && suffix=.noiommu
        b=$(basename "$f")
        cp "$f" "$LAB_DIR/facts/${b%.txt}$suffix.txt"
      done
    fi
  done
  log "facts written to $LAB_DIR/facts"
else
  mapfile -t tests1 < <(select_tests iommu)
  mapfile -t tests2 < <(select_tests noiommu)
  if [ ${#tests1[@]} -eq 0 ] && [ ${#tests2[@]} -eq 0 ] && ! systemd_selected; then
    die "no lab test file matches: ${filters[*]:-(none at all in $LAB_DIR)}"
  fi
  if [ ${#tests1[@]} -gt 0 ]; then
    boot 1 iommu "IOMMU on, ${#tests1[@]} file(s)" "${NODE_TEST[@]}" "${tests1[@]}" || true
  else
    log "boot 1 (IOMMU on): no test file selected, not booted"
  fi
  if [ ${#tests2[@]} -gt 0 ]; then
    boot 2 noiommu "no IOMMU, ${#tests2[@]} file(s)" "${NODE_TEST[@]}" "${tests2[@]}" || true
  else
    log "boot 2 (no IOMMU): no test file selected, not booted"
  fi
  if systemd_selected; then
    systemd_reboot_test
  else
    log "boots 3-4 ($SYSTEMD_TEST): not selected"
  fi
fi

log "prepare: $(secs $((t_prepared - t0)))"
for t in "${BOOT_TIMES[@]}"; do log "$t"; done
log "total: $(secs $(($(now_ms) - t0)))"
for b in "${boot_failures[@]}"; do log "FAILED: $b"; done
# Repeat the failing tests where the eye lands, with the boot they ran in.
for n in 1 2 3 4; do
  [ -f "$RUNS/boot$n/tap.txt" ] || continue
  grep -E '^ *not ok ' "$RUNS/boot$n/tap.txt" | sed "s/^ */lab: boot $n: /" >&2 || true
done
if [ "$mode" = tests ]; then
  # The closing line CI looks for; a boot that failed without node's failure count (timeout, no
  # report, a crash) counts as one failure.
  echo "lab: $total_pass passed, $((total_fail + ${#boot_failures[@]})) failed"
  [ "$total_fail" = 0 ] && [ ${#boot_failures[@]} -eq 0 ]
else
  [ ${#boot_failures[@]} -eq 0 ]
fi
