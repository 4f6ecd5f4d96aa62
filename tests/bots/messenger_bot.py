"""A careless Messenger bot for banter's own tests: it answers the verification handshake and
replies to every message through the Send API, but never checks X-Hub-Signature-256 and
processes replayed events again. banter's webhook checks must catch it. With MODE=crosstalk
it answers each message to the previous sender, as a bot with a shared "current user" would;
with MODE=unknown it answers to a PSID the page has never seen. With MODE=sha1 it checks only
X-Hub-Signature (HMAC-SHA1 with $APP_SECRET), as older bots do, and refuses events without it.

Listens on 127.0.0.1:$PORT; GRAPH_URL, VERIFY_TOKEN and PAGE_TOKEN come from banter.yaml.
"""

import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botkit import QuietHandler  # noqa: E402


def send(psid, text):
    url = "%s/v19.0/me/messages?access_token=%s" % (os.environ["GRAPH_URL"], os.environ["PAGE_TOKEN"])
    body = json.dumps({"recipient": {"id": psid}, "message": {"text": text}}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=3).read()
    except urllib.error.HTTPError as error:
        print("Send API refused the reply:", error.code, flush=True)


SENDERS = []


class Handler(QuietHandler):
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if self.path.startswith("/health"):
            return self.send(200, "ok", "text/plain")
        if query.get("hub.verify_token") == [os.environ["VERIFY_TOKEN"]]:
            return self.send(200, query["hub.challenge"][0], "text/plain")
        self.send(403, "forbidden", "text/plain")

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if os.environ.get("MODE") == "sha1":
            expected = "sha1=" + hmac.new(os.environ["APP_SECRET"].encode(), raw, hashlib.sha1).hexdigest()
            if not hmac.compare_digest(self.headers.get("X-Hub-Signature", ""), expected):
                return self.send(403, "bad signature", "text/plain")
        body = json.loads(raw or b"{}")
        for entry in body.get("entry", []):
            for event in entry.get("messaging", []):
                if "message" in event:
                    psid = event["sender"]["id"]
                    if os.environ.get("MODE") == "crosstalk" and SENDERS:
                        psid = SENDERS[-1]
                    if os.environ.get("MODE") == "unknown":
                        psid = "999"
                    SENDERS.append(event["sender"]["id"])
                    send(psid, "Hello! You said: " + event["message"].get("text", ""))
        self.send(200, "EVENT_RECEIVED", "text/plain")


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
