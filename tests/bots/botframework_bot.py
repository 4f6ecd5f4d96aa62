"""A Bot Framework bot for banter's own tests, speaking the protocol with the standard library:
it takes message Activities on POST /api/messages and posts its replies to the channel's
serviceUrl (/v3/conversations/{id}/activities/{activityId}), reading the mock bank with the
token the channel passed in channelData.bank_token.

Listens on 127.0.0.1:$PORT. With MODE=broken it answers /api/messages with HTTP 500.
"""

import json
import os
import sys
import urllib.request
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botkit import QuietHandler, first_balance  # noqa: E402


def post_reply(activity, reply):
    url = "%s/v3/conversations/%s/activities/%s" % (
        activity["serviceUrl"].rstrip("/"), activity["conversation"]["id"], activity["id"])
    reply.update({
        "type": "message",
        "replyToId": activity["id"],
        "from": activity["recipient"],
        "recipient": activity["from"],
        "conversation": activity["conversation"],
    })
    request = urllib.request.Request(url, data=json.dumps(reply).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=3).read()


class Handler(QuietHandler):
    def do_GET(self):
        self.send(200, "ok", "text/plain")

    def do_POST(self):
        activity = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if os.environ.get("MODE") == "broken":
            return self.send(500, '{"error": "bot crashed"}')
        if activity.get("type") == "message":
            text = activity.get("text", "").lower()
            if "receipt" in text:
                post_reply(activity, {"text": "Paid.", "attachments": [{
                    "contentType": "application/vnd.microsoft.card.receipt",
                    "content": {"title": "Maria Garcia", "facts": [{"key": "Order", "value": "pmt_7"}],
                                "items": [{"title": "Payment", "price": "$25.00"}], "total": "$25.00"}}]})
            elif "balance" in text:
                token = activity.get("channelData", {}).get("bank_token", "")
                post_reply(activity, {
                    "text": "Your balance is %s." % first_balance(token),
                    "suggestedActions": {"actions": [
                        {"type": "imBack", "title": "Transactions", "value": "Transactions"},
                        {"type": "imBack", "title": "Advisor", "value": "Advisor"}]},
                })
            else:
                post_reply(activity, {"attachments": [{
                    "contentType": "application/vnd.microsoft.card.hero",
                    "content": {"title": "Bank bot", "text": "How can I help?", "buttons": [
                        {"type": "imBack", "title": "Balance", "value": "balance"},
                        {"type": "imBack", "title": "Advisor", "value": "advisor"}]}}]})
        self.send(200, "")


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
