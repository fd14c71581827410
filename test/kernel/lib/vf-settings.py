#!/usr/bin/env python3
"""A lab test's own reader of VF settings, independent of sriovctl and of iproute2.

Usage: vf-settings.py IFNAME

Asks the kernel for one link (RTM_GETLINK) with IFLA_EXT_MASK = RTEXT_FILTER_VF |
RTEXT_FILTER_SKIP_STATS. Without the per-VF stats every entry of a 256-VF PF fits in the nested
IFLA_VFINFO_LIST (kernel-lab-facts.md), so the VFs `ip link` cannot show are readable here, and a
lab test can check what sriovctl set on them. Prints one JSON object: {"<vf>": {"mac", "vlan",
"qos", "minTxRate", "maxTxRate", "trust"}} for every VF the kernel reported.
"""
import json
import socket
import struct
import sys

RTM_GETLINK = 18
NLM_F_REQUEST = 1
NLMSG_ERROR = 2
IFLA_VFINFO_LIST = 22
IFLA_EXT_MASK = 29
IFLA_VF_INFO = 1
IFLA_VF_MAC, IFLA_VF_VLAN, IFLA_VF_RATE, IFLA_VF_TRUST = 1, 2, 6, 9
RTEXT_FILTER_VF, RTEXT_FILTER_SKIP_STATS = 1, 8


def attrs(buf):
    """(type, payload) of each rtattr in buf; the nested flag is masked off the type."""
    off = 0
    while off + 4 <= len(buf):
        length, kind = struct.unpack_from("=HH", buf, off)
        if length < 4:
            break
        yield kind & 0x3FFF, buf[off + 4 : off + length]
        off += (length + 3) & ~3


def main():
    ifname = sys.argv[1]
    index = socket.if_nametoindex(ifname)
    ext = struct.pack("=HHI", 8, IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS)
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index, 0, 0) + ext
    msg = struct.pack("=IHHII", 16 + len(body), RTM_GETLINK, NLM_F_REQUEST, 1, 0) + body
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.send(msg)
    data = s.recv(1 << 20)
    length, kind = struct.unpack_from("=IH", data, 0)
    if kind == NLMSG_ERROR:
        (err,) = struct.unpack_from("=i", data, 16)
        sys.exit(f"RTM_GETLINK {ifname}: error {err}")
    out = {}
    for t, payload in attrs(data[32:length]):
        if t != IFLA_VFINFO_LIST:
            continue
        for it, info in attrs(payload):
            if it != IFLA_VF_INFO:
                continue
            vf, n = {}, None
            for a, p in attrs(info):
                if a == IFLA_VF_MAC:
                    n, mac = struct.unpack_from("=I6s", p)
                    vf["mac"] = ":".join(f"{b:02x}" for b in mac)
                elif a == IFLA_VF_VLAN:
                    n, vf["vlan"], vf["qos"] = struct.unpack_from("=III", p)
                elif a == IFLA_VF_RATE:
                    n, vf["minTxRate"], vf["maxTxRate"] = struct.unpack_from("=III", p)
                elif a == IFLA_VF_TRUST:
                    n, setting = struct.unpack_from("=II", p)
                    vf["trust"] = setting == 1
            if n is not None:
                out[str(n)] = vf
    print(json.dumps(out))


main()
