"""A banking chatbot whose replies are hostile to the pages that show them, for banter's
browser test (tests/browser.rs).

Speaks the generic protocol (POST /chat {conversation_id, text, bank_token} ->
{replies: [{text, quick_replies}]}) on 127.0.0.1:$PORT. It answers the certification
catalogue's intents plainly (the balance from the bank, a request to link without a token, an
advisor), and every answer comes with a second reply made of markup and terminal escapes
(MARKUP below) and a quick reply holding markup. Its very first reply is 1 MiB of text. At
start it prints markup and terminal escapes, which banter keeps as the bot's output.

It writes its pid to $PID_FILE when that is set.
"""

import json
import os
import sys
import threading
import urllib.error
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # importing botkit leaves no __pycache__ in the repository
from botkit import QuietHandler, first_balance, write_pid

# The pieces the browser test looks for: none may become an element, an attribute or a raw
# control character in a page.
MARKUP = [
    "<script>alert(1)</script>",
    "</textarea><img src=x onerror=alert(1)>",
    "<iframe src=\"http://evil/\"></iframe>",
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;http://evil\x07link\x1b]8;;\x07",
]
HUGE = 1024 * 1024
FIRST = threading.Lock()
ANSWERED = []


def answer(text, token):
    """A plain answer to the catalogue's intents."""
    text = text.lower()
    if any(word in text for word in ("advisor", "agent", "human")):
        return "Let me connect you with an advisor."
    if not token:
        return "Please link your bank account first."
    try:
        return "Your balance is %s." % first_balance(token)
    except urllib.error.HTTPError as err:
        if err.code == 403:
            return "Your consent was revoked. Please re-link your account."
        return "Sorry, I cannot reach your bank right now."
    except OSError:
        return "Sorry, I cannot reach your bank right now."


class Handler(QuietHandler):
    def do_GET(self):
        self.send(200, "ok", "text/plain")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        replies = [
            {"text": answer(body.get("text", ""), body.get("bank_token", ""))},
            {"text": " ".join(MARKUP), "quick_replies": ["<b onclick=alert(1)>Balance</b>"]},
        ]
        with FIRST:
            if not ANSWERED:
                ANSWERED.append(True)
                replies.append({"text": "x" * (HUGE - 4) + "tail"})
        self.send(200, json.dumps({"replies": replies}))


if __name__ == "__main__":
    write_pid()
    print("hostile bot on port %s %s" % (os.environ["PORT"], " ".join(MARKUP)), flush=True)
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
