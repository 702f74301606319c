"""`make sink`: a local stand-in for Slack, webhook endpoints and PagerDuty that prints what it gets.

Point a channel at it (the local stack admits loopback targets) and watch an alert arrive:

    make sink                      # listens on http://127.0.0.1:9000 (DAGY_SINK_PORT)
    curl -X POST http://127.0.0.1:8080/notifications/channels -H "Authorization: Bearer $TOKEN" \\
      -d '{"channel_type": "webhook", "name": "sink", "config": {"url": "http://127.0.0.1:9000/webhook"}}'

Start `make dev` with DAGY_PAGERDUTY_EVENTS_URL=http://127.0.0.1:9000/pagerduty to see PagerDuty
events here too.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class PrintingHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        signature = {k: v for k, v in self.headers.items() if k.lower().startswith("webhook-")}
        try:
            shown = json.dumps(json.loads(body), indent=2)
        except ValueError:
            shown = body.decode(errors="replace")
        print(f"--- POST {self.path} {json.dumps(signature) if signature else ''}\n{shown}", flush=True)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> int:
    port = int(os.environ.get("DAGY_SINK_PORT", "9000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), PrintingHandler)
    print(f"Dagy Ops sink listening on http://127.0.0.1:{port} (Ctrl-C stops it)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
