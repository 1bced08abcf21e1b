#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Slow HTTP clients on loopback, for tests: a bounded slowloris.

    slow_clients.py PORT COUNT SOURCES SECONDS REPORT

Opens COUNT connections to 127.0.0.1:PORT, spread over the comma-separated
SOURCES addresses (e.g. 127.0.0.2,127.0.0.3: the whole 127/8 is loopback),
and on each sends the start of a request, then one more header byte every
second for at most SECONDS seconds, never finishing it. Once every
connection was tried it writes REPORT.ready; at the end REPORT holds JSON:
{"opened", "refused", "cut", "cut_after_s"}, where cut counts connections
the server closed while the client was still sending, and cut_after_s the
longest time one of them lasted.
"""
import json
import socket
import sys
import time


def main():
    port, count, sources, seconds, report = (int(sys.argv[1]), int(sys.argv[2]),
                                             sys.argv[3].split(","), float(sys.argv[4]),
                                             sys.argv[5])
    conns, refused = [], 0
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.bind((sources[i % len(sources)], 0))
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            s.setblocking(False)
            conns.append([s, time.monotonic(), None])
        except OSError:
            refused += 1
            s.close()
    open(report + ".ready", "w").close()
    start = time.monotonic()
    while time.monotonic() - start < seconds and any(c[2] is None for c in conns):
        time.sleep(1)
        for c in conns:
            if c[2] is not None:
                continue
            try:
                if c[0].recv(1, socket.MSG_PEEK) == b"":
                    c[2] = time.monotonic() - c[1]  # closed by the server
                    continue
            except BlockingIOError:
                pass
            except OSError:
                c[2] = time.monotonic() - c[1]
                continue
            try:
                c[0].send(b"a")
            except OSError:
                c[2] = time.monotonic() - c[1]
    cut = [c[2] for c in conns if c[2] is not None]
    for c in conns:
        c[0].close()
    with open(report, "w") as f:
        json.dump({"opened": len(conns), "refused": refused, "cut": len(cut),
                   "cut_after_s": max(cut) if cut else None}, f)


if __name__ == "__main__":
    main()
