"""A Rasa bot as banter's rasa connector sees it: Rasa's REST channel on 127.0.0.1:$PORT.

POST /webhooks/rest/webhook {sender, message, metadata: {bank_token}} answers a list of
{recipient_id, text?, buttons?, image?, custom?}, like Rasa does. "balance" reads the bank
with the token from the metadata (which Rasa passes through to the tracker); anything else
is a greeting with buttons. Entries without text (an image, a custom payload) come along,
as they do from real bots. It writes its pid to $PID_FILE when that is set.
"""

import json
import os
import sys
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # importing botkit leaves no __pycache__ in the repository
from botkit import QuietHandler, first_balance, write_pid


class Handler(QuietHandler):
    def answer(self, status, body):
        self.send(status, json.dumps(body))

    def do_GET(self):
        self.answer(200, {"hello": "from Rasa"})

    def do_POST(self):
        if self.path != "/webhooks/rest/webhook":
            return self.answer(404, {"error": "no such path " + self.path})
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        sender = body.get("sender")
        token = (body.get("metadata") or {}).get("bank_token")
        if not sender or token is None:
            return self.answer(400, {"error": "sender and metadata.bank_token are required"})
        if "balance" in body.get("message", ""):
            return self.answer(200, [
                {"recipient_id": sender, "text": "Your balance is %s." % first_balance(token)},
                {"recipient_id": sender, "image": "https://example.com/balance-chart.png"},
            ])
        return self.answer(200, [
            {
                "recipient_id": sender,
                "text": "Hi! This is conversation %s. What can I do?" % sender,
                "buttons": [
                    {"title": "Check balance", "payload": "/balance"},
                    {"title": "Talk to an advisor", "payload": "/advisor"},
                ],
            },
            {"recipient_id": sender, "custom": {"card": "welcome"}},
        ])


if __name__ == "__main__":
    write_pid()
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
