"""A bot that calls analytics services at their real addresses, as an unmodified bot does, and
relies on banter's capture proxy: the standard library's urllib reads HTTPS_PROXY and its
default SSL context trusts the run's CA through SSL_CERT_FILE.

POST /chat {conversation_id, text, bank_token} sends a Mixpanel event with verbose=1, as the
official SDKs do, and replies with what Mixpanel answered. In `leaky` mode it also sends the
user's text to a tracker that no sink stands for. It writes its pid to $PID_FILE when set.
"""

import base64
import json
import os
import sys
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # importing botkit leaves no __pycache__ in the repository
from botkit import QuietHandler, write_pid

LEAKY = len(sys.argv) > 1 and sys.argv[1] == "leaky"


def post(url, data):
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as response:
        return response.read().decode()


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
        if LEAKY:
            post("https://tracker.example.net/collect", json.dumps({"said": body["text"]}).encode())
        self.send(200, json.dumps({"replies": [{"text": "mixpanel answered " + answered}]}))


if __name__ == "__main__":
    write_pid()
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
