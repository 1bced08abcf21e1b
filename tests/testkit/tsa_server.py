#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A real RFC 3161 TSA on loopback for the tests: each POSTed TimeStampReq is
answered by `openssl ts -reply` with the TSA key and certificate the test made.

usage: tsa_server.py DIR PORT_FILE
DIR holds tsa.cnf (openssl's [tsa] section) and, read at each request, mode:
one line "MODE [FAKETIME]" where MODE is
  ok             the answer to the request as sent
  wrong-imprint  a token over other bytes (same nonce)
  wrong-nonce    a token over the same imprint for another nonce
  garbage        bytes that are not a TimeStampResp
  refuse         HTTP 500
and FAKETIME (e.g. +2h, -3d) runs openssl under faketime, so genTime lies.
Every request is counted in DIR/requests. Loopback only; stopped by the test."""
import http.server
import os
import subprocess
import sys
import tempfile

DIR, PORT_FILE = sys.argv[1], sys.argv[2]


def run(args, fake):
    cmd = (["faketime", "-f", fake] if fake else []) + args
    return subprocess.run(cmd, check=True, capture_output=True)


SHA256_OID = bytes.fromhex("0609608648016503040201")


def imprint_of(der):
    """The SHA-256 imprint of a TimeStampReq: the OCTET STRING of 32 after the algorithm."""
    at = der.index(b"\x04\x20", der.index(SHA256_OID)) + 2
    return der[at:at + 32].hex()


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(os.path.join(DIR, "requests"), "a") as f:
            f.write("1\n")
        try:
            mode = open(os.path.join(DIR, "mode")).read().split()
        except OSError:
            mode = ["ok"]
        fake = mode[1] if len(mode) > 1 else None
        if mode[0] == "refuse":
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode[0] == "garbage":
            out = b"\x30\x03\x02\x01\x07 not a TimeStampResp"
        else:
            with tempfile.TemporaryDirectory(dir=DIR) as tmp:
                req = os.path.join(tmp, "req.tsq")
                open(req, "wb").write(body)
                if mode[0] == "wrong-imprint":
                    run(["openssl", "ts", "-query", "-digest", "00" * 32, "-sha256", "-cert",
                         "-out", req], None)
                elif mode[0] == "wrong-nonce":
                    run(["openssl", "ts", "-query", "-digest", imprint_of(body), "-sha256",
                         "-cert", "-out", req], None)
                resp = os.path.join(tmp, "resp.tsr")
                run(["openssl", "ts", "-reply", "-config", os.path.join(DIR, "tsa.cnf"),
                     "-queryfile", req, "-out", resp], fake)
                out = open(resp, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
