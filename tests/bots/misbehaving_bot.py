"""A deliberately broken chatbot for banter's own tests.

Speaks the generic protocol (POST /chat {conversation_id, text, bank_token} ->
{replies: [{text}]}) on 127.0.0.1:$PORT, misbehaving as MODE says:

  hang        never answers /chat
  nonjson     answers /chat with an HTML page
  die         answers the first message, then exits while handling the second
  cache       caches the first account id it sees in a global, for every later
              conversation (reads another customer's account)
  sloppy      calls the bank on every message, token or not
  status500   answers /chat with HTTP 500
  echo        behaves: echoes the message
  stale       remembers the first customer's email in a global and shows it to everyone
  custom_sink echoes, and posts the bank token as JSON to $SINK_URL/events
  tattle      prints every token it is given to stderr and repeats it in its reply, and at
              start prints the secrets listed in ./tattle.txt (as if it had found them)
  hostile     prints terminal escapes (clear screen, window title, BEL, NUL) to stderr
              and answers with a 10 MiB reply
  flood       posts the bank token to $SINK_URL/events, then $FLOOD_COUNT tiny requests
              to $SINK_URL/ping over one connection, then answers
  stranger    posts a card number that is no customer's to $SINK_URL/events, then echoes
  stale_sink  remembers the first customer's email in a global and posts it to
              $SINK_URL/events whenever the message is "tell", in any conversation;
              echoes
  status      posts events `overdraft_warning` and `payday_advance_offer`, and the usage
              event `balance_viewed`, with no customer value, to $SINK_URL/events, then echoes
  bigbody     posts one body of $BIG_MB MiB to $SINK_URL/upload with the bank token at its
              very end, then answers
  overpay     asks the user to confirm $25.00 to their first payee, and on "yes" pays
              that payee $250.00 from their first account, with the bank token as its
              idempotency key

It writes its pid to $PID_FILE when that is set.
"""

import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # importing botkit leaves no __pycache__ in the repository
from botkit import QuietHandler

MODE = sys.argv[1]
BANK = os.environ.get("BANK_URL", "")
CACHED_ACCOUNT = []
SEEN = []


def bank_get(path, token):
    req = urllib.request.Request(BANK + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=3) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, {}


class Handler(QuietHandler):
    def do_GET(self):
        self.send(200, "ok", "text/plain")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        token = body.get("bank_token", "")
        SEEN.append(body.get("text"))
        if MODE == "hang":
            time.sleep(3600)
        if MODE == "nonjson":
            return self.send(200, "<html><body>Service unavailable</body></html>", "text/html")
        if MODE == "status500":
            return self.send(500, '{"error": "boom"}')
        if MODE == "die" and len(SEEN) > 1:
            print("fatal: out of memory while handling message 2", file=sys.stderr, flush=True)
            os._exit(3)
        if MODE == "cache":
            if not CACHED_ACCOUNT:
                _, accounts = bank_get("/fdx/v6/accounts", token)
                CACHED_ACCOUNT.append(accounts["accounts"][0]["accountId"])
            status, account = bank_get("/fdx/v6/accounts/" + CACHED_ACCOUNT[0], token)
            text = "Your balance is %s." % account.get("currentBalance", "unknown")
            return self.send(200, json.dumps({"replies": [{"text": text}]}))
        if MODE == "stale":
            if not CACHED_ACCOUNT:
                _, customer = bank_get("/fdx/v6/customers/current", token)
                CACHED_ACCOUNT.append(customer["email"][0])
            text = "Hello! We'll send your statement to %s." % CACHED_ACCOUNT[0]
            return self.send(200, json.dumps({"replies": [{"text": text}]}))
        if MODE == "stale_sink" and not CACHED_ACCOUNT:
            _, customer = bank_get("/fdx/v6/customers/current", token)
            CACHED_ACCOUNT.append(customer["email"][0])
        if MODE in ("custom_sink", "stranger", "status") or (MODE == "stale_sink" and body.get("text") == "tell"):
            props = {"session": token} if MODE == "custom_sink" else {"card": "4111111111111111"}
            if MODE == "stale_sink":
                props = {"email": CACHED_ACCOUNT[0]}
            event = {"event": "chat", "props": props}
            if MODE == "status":
                event = {"events": ["overdraft_warning", "payday_advance_offer"],
                         "usage": {"name": "balance_viewed", "intent": "balance"}}
            data = json.dumps(event).encode()
            req = urllib.request.Request(os.environ["SINK_URL"] + "/events", data=data,
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=3).read()
        if MODE == "tattle":
            print("received token %s" % token, file=sys.stderr, flush=True)
            text = "Hello! Your token is %s" % token
            return self.send(200, json.dumps({"replies": [{"text": text}]}))
        if MODE == "hostile":
            print("\x1b[2J\x1b]0;pwned\x07 bell\x07 nul\x00 done", file=sys.stderr, flush=True)
            text = "x" * (10 * 1024 * 1024 - 4) + "tail"
            return self.send(200, json.dumps({"replies": [{"text": text}]}))
        if MODE in ("flood", "bigbody"):
            sink = urllib.parse.urlsplit(os.environ["SINK_URL"])
            conn = http.client.HTTPConnection(sink.hostname, sink.port, timeout=60)
            if MODE == "flood":
                conn.request("POST", "/events", json.dumps({"props": {"session": token}}),
                             {"Content-Type": "application/json"})
                conn.getresponse().read()
                for _ in range(int(os.environ["FLOOD_COUNT"])):
                    conn.request("POST", "/ping", b"{}", {"Content-Type": "application/json"})
                    conn.getresponse().read()
            else:
                mib = int(os.environ["BIG_MB"])
                tail = (" token=" + token).encode()
                chunk = b"x" * (1 << 20)
                def upload():
                    for _ in range(mib):
                        yield chunk
                    yield tail
                conn.request("POST", "/upload", upload(),
                             {"Content-Length": str(mib * len(chunk) + len(tail))})
                conn.getresponse().read()
            conn.close()
        if MODE == "overpay":
            _, payees = bank_get("/fdx/v6/payees", token)
            payee = payees["payees"][0]
            text = "Please confirm: send $25.00 to %s." % payee["merchant"]["displayName"]
            if body.get("text", "").lower() == "yes":
                _, accounts = bank_get("/fdx/v6/accounts", token)
                order = {"fromAccountId": accounts["accounts"][0]["accountId"],
                         "toPayeeId": payee["payeeId"], "amount": 250.00}
                req = urllib.request.Request(BANK + "/fdx/v6/payments", data=json.dumps(order).encode(),
                                             headers={"Authorization": "Bearer " + token,
                                                      "Idempotency-Key": token,
                                                      "Content-Type": "application/json"})
                urllib.request.urlopen(req, timeout=3).read()
                text = "Done."
            return self.send(200, json.dumps({"replies": [{"text": text}]}))
        if MODE == "sloppy":
            bank_get("/fdx/v6/accounts", token)
        self.send(200, json.dumps({"replies": [{"text": "Hello! You said: " + body.get("text", "")}]}))


if __name__ == "__main__":
    if os.environ.get("PID_FILE"):
        with open(os.environ["PID_FILE"], "w") as f:
            f.write(str(os.getpid()))
    print("misbehaving bot (%s) on port %s" % (MODE, os.environ["PORT"]), flush=True)
    if MODE == "tattle":
        with open("tattle.txt") as f:
            print("found secrets: " + f.read().replace("\n", " "), file=sys.stderr, flush=True)
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
