#!/bin/bash
# Runs from lab-readiness.service, right after sriovctl.service has started: an apply that must go
# through the daemon (not around it) and an API read. Records exit codes and output in /root/out.
OUT=/root/out
mkdir -p "$OUT"
SRIOVCTL=(/opt/sriovctl/node/bin/node /opt/sriovctl/bin/sriovctl.js)
# Software emulation (TCG) on a busy 2-core host starts node many times slower than hardware (the
# daemon took over a minute to listen in one run): allow it four minutes instead of the default
# 10 s. The path apply takes is the point here, not how long it waits.
export SRIOVCTL_DAEMON_WAIT=240 NO_COLOR=1
date +%s.%N >"$OUT/readiness.start"
"${SRIOVCTL[@]}" apply --yes -f /etc/sriovctl/policies.d >"$OUT/readiness.apply.out" 2>"$OUT/readiness.apply.err"
echo $? >"$OUT/readiness.apply.rc"
"${SRIOVCTL[@]}" attachments --json >"$OUT/readiness.attachments.out" 2>"$OUT/readiness.attachments.err"
echo $? >"$OUT/readiness.attachments.rc"
date +%s.%N >"$OUT/readiness.end"
exit 0
