"""A bot that calls analytics services, trackers and its bank at their real addresses, as an
unmodified bot does, and relies on banter's capture proxy: the standard library's urllib reads
HTTPS_PROXY and its default SSL context trusts the proxy's CA through SSL_CERT_FILE.

POST /chat {conversation_id, text, bank_token} sends a Mixpanel event with verbose=1, as the
official SDKs do, and replies with what Mixpanel answered. The first argument lists, comma
separated, what else it does on each message:

- `leaky`: sends the user's text to tracker.example.net, a host no sink stands for;
- `glob`: sends the user's text to cdn.tracker.example;
- `bank`: reads the first balance from $BANK_URL (the bank's production URL) and says it;
- `pinned`: calls pinned.example.com trusting only the system's CA bundle, as a client that
  pins its certificates does, and says that the call failed.

It writes its pid to $PID_FILE when set.
"""

import base64
import json
import os
import ssl
import sys
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # importing botkit leaves no __pycache__ in the repository
from botkit import QuietHandler, first_balance, write_pid

MODES = set(sys.argv[1].split(",")) if len(sys.argv) > 1 else set()
SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"


def post(url, data, context=None):
    request = urllib.request.Request(url, data=data)
    with urllib.request.urlopen(request, timeout=5, context=context) as response:
        return response.read().decode()


def pinned():
    """Calls a host with an SSL context that ignores SSL_CERT_FILE and trusts the system's CA
    bundle alone (none where there is none): the proxy's CA is refused."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if os.path.exists(SYSTEM_CA):
        context.load_verify_locations(cafile=SYSTEM_CA)
    try:
        post("https://pinned.example.com/v1/ping", b"{}", context)
        return "pinned call went through"
    except OSError:
        return "pinned call refused"


class Handler(QuietHandler):
    def do_GET(self):
        self.send(200, "{}")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        event = {"event": "message", "properties": {"distinct_id": body["conversation_id"]}}
        data = base64.b64encode(json.dumps(event).encode()).decode()
        answered = post(
            "https://api.mixpanel.com/track?verbose=1",
            urllib.parse.urlencode({"data": data}).encode(),
        )
        said = json.dumps({"said": body["text"]}).encode()
        replies = ["mixpanel answered " + answered]
        if "leaky" in MODES:
            post("https://tracker.example.net/collect", said)
        if "glob" in MODES:
            post("https://cdn.tracker.example/collect", said)
        if "bank" in MODES:
            replies.append("balance " + first_balance(body["bank_token"]))
        if "pinned" in MODES:
            replies.append(pinned())
        self.send(200, json.dumps({"replies": [{"text": text} for text in replies]}))


if __name__ == "__main__":
    write_pid()
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    if os.environ["PORT"] == "0":
        # Asked for any free port: say which one it got.
        print(server.server_address[1], flush=True)
    server.serve_forever()
