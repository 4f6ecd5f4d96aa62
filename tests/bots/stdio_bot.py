"""A bot for banter's stdio connector: JSON lines on stdin and stdout.

Reads {conversation_id, text, bank_token} lines and answers each with one line
{replies: [{text, quick_replies?}]}. "balance" reads the bank with the token. Logs go to
stderr. It writes its pid to $PID_FILE when that is set.

MODE:
  ok        answers every message, naming the conversation
  nonjson   answers with a line that is not JSON
  die       answers the first message, then exits with status 3 while handling the second
  hang      reads messages and never answers
  late      answers the first message after 2 s, the others at once
"""

import json
import os
import sys
import time

sys.dont_write_bytecode = True  # importing botkit leaves no __pycache__ in the repository
from botkit import first_balance, write_pid

MODE = sys.argv[1]


def reply(message):
    text = message["text"]
    if "balance" in text:
        return {"text": "Your balance is %s." % first_balance(message["bank_token"]),
                "quick_replies": ["Recent transactions", {"title": "Talk to an advisor"}]}
    return {"text": "Hello %s! You said: %s" % (message["conversation_id"], text)}


def main():
    write_pid()
    print("stdio bot (%s) started" % MODE, file=sys.stderr, flush=True)
    count = 0
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        count += 1
        message = json.loads(line)
        if MODE == "hang":
            continue
        if MODE == "nonjson":
            print("Hello! (this line is not JSON)", flush=True)
            continue
        if MODE == "die" and count == 2:
            print("fatal: lost the ledger while handling message 2", file=sys.stderr, flush=True)
            sys.exit(3)
        if MODE == "late" and count == 1:
            time.sleep(2)
        print(json.dumps({"replies": [reply(message)]}), flush=True)


if __name__ == "__main__":
    main()
