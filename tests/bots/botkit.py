"""Shared by the test bots: reading the mock bank with the customer's token, a quiet HTTP
handler, and telling the tests which process to look for once the run is over.

BANK_URL is the bank's base URL; the token is the one banter gave the bot for the conversation.
"""

import json
import os
import urllib.request
from http.server import BaseHTTPRequestHandler


def write_pid():
    """Writes this process's pid to $PID_FILE when that is set."""
    if os.environ.get("PID_FILE"):
        with open(os.environ["PID_FILE"], "w") as f:
            f.write(str(os.getpid()))


def bank_get(token, path):
    """GET `path` at the bank with the customer's token, as parsed JSON."""
    request = urllib.request.Request(
        os.environ["BANK_URL"] + path,
        headers={"Authorization": "Bearer " + token},
    )
    with urllib.request.urlopen(request, timeout=3) as response:
        return json.load(response)


def first_balance(token):
    """The first account's currentBalance, formatted like banter's `usd` filter: $2,481.17."""
    accounts = bank_get(token, "/fdx/v6/accounts")["accounts"]
    return "${:,.2f}".format(accounts[0]["currentBalance"])


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers whole bodies with a Content-Length."""

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
