#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A loopback HTTP server that replays recorded responses, for tests.

    replay_server.py ROUTES.json PORT_FILE

ROUTES.json: {"routes": [{"method": "GET", "path": "/repos/o/r/actions/runs/1",
  (or "path_prefix": "/bucket/" to match every path under it)
  "query": {"page": "2"},                 # optional: these query parameters must match
  "responses": [{"status": 500}, {"status": 200, "headers": {"Link": "<{base}/x?page=2>; rel=\\"next\\""},
                 "body": {...} | "body_text": "..." | "body_file": "path", "delay_ms": 0}]}]}
Responses are served in order; the last one repeats. "{base}" in headers and
text bodies becomes this server's base URL. Unknown paths answer 404. Binds
127.0.0.1 on a free port, writes the port to PORT_FILE, and logs one JSON
line per request to stdout (method, path, query; whether an Authorization
header was present, never its value; S3 Object Lock headers and whether a
Content-MD5 was sent). Request bodies are read and dropped. It exits by itself when the process
that started it is gone (a test that failed before stopping it).
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


def main():
    routes_path, port_file = sys.argv[1], sys.argv[2]
    with open(routes_path) as f:
        routes = json.load(f)["routes"]
    counters = [0] * len(routes)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def handle_any(self):
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            print(json.dumps({"method": self.command, "path": url.path, "query": query,
                              "authorization": "Authorization" in self.headers,
                              "user_agent": self.headers.get("User-Agent", ""),
                              "object_lock": {k.lower(): v for k, v in self.headers.items()
                                              if k.lower().startswith("x-amz-object-lock-")},
                              "content_md5": "Content-MD5" in self.headers}), flush=True)
            for i, r in enumerate(routes):
                if r.get("method", "GET") != self.command:
                    continue
                if r.get("path") != url.path and not (
                        "path_prefix" in r and url.path.startswith(r["path_prefix"])):
                    continue
                if any(query.get(k) != v for k, v in r.get("query", {}).items()):
                    continue
                with lock:
                    n = counters[i]
                    counters[i] += 1
                resp = r["responses"][min(n, len(r["responses"]) - 1)]
                return self.reply(resp)
            return self.reply({"status": 404, "body": {"message": "Not Found"}})

        def reply(self, resp):
            base = "http://127.0.0.1:%d" % self.server.server_address[1]
            time.sleep(resp.get("delay_ms", 0) / 1000)
            if "body" in resp:
                body = json.dumps(resp["body"]).encode()
            elif "body_file" in resp:
                with open(resp["body_file"], "rb") as f:
                    body = f.read()
            else:
                body = resp.get("body_text", "").replace("{base}", base).encode()
            self.send_response(resp.get("status", 200))
            for k, v in resp.get("headers", {}).items():
                self.send_header(k, v.replace("{base}", base))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
