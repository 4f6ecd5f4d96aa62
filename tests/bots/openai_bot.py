"""An OpenAI-compatible bot for banter's openai connector: POST /v1/chat/completions on 127.0.0.1:$PORT.

Every answer says which user message of the conversation it is ("message 3") and checks
the history it was sent against the replies it gave that conversation (keyed by `user`),
so a connector that forgets or garbles the history is caught. "balance" reads the bank
with `metadata.bank_token`. The system prompt is echoed. With "stream": true
the answer is Server-Sent Events, written a few characters at a time so they arrive in
several network reads, ending with `data: [DONE]`.

MODE: ok (as above), nonjson (an HTML page), status500 (HTTP 500). It writes its pid to
$PID_FILE when that is set.
"""

import json
import os
import sys
import time
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # importing botkit leaves no __pycache__ in the repository
from botkit import QuietHandler, first_balance, write_pid

MODE = sys.argv[1]
REPLIES = {}


def answer(body):
    messages = body["messages"]
    if messages[0]["role"] != "system" or body.get("model") != "banter-bot":
        return "bad request: " + json.dumps(body)
    conversation = body["user"]
    users = [m["content"] for m in messages if m["role"] == "user"]
    assistants = [m["content"] for m in messages if m["role"] == "assistant"]
    given = REPLIES.setdefault(conversation, [])
    if assistants != given:
        return "history mismatch: sent %r, remembered %r" % (assistants, given)
    text = "[%s] message %d, %d earlier replies, system: %s." % (
        "stream" if body.get("stream") else "plain",
        len(users),
        len(assistants),
        messages[0]["content"],
    )
    if "balance" in users[-1]:
        text += " Your balance is %s." % first_balance(body["metadata"]["bank_token"])
    given.append(text)
    return text


class Handler(QuietHandler):
    def do_GET(self):
        self.send(200, "ok", "text/plain")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if MODE == "nonjson":
            return self.send(200, "<html><body>Bad gateway</body></html>", "text/html")
        if MODE == "status500":
            return self.send(500, '{"error": {"message": "model overloaded"}}')
        text = answer(body)
        if not body.get("stream"):
            reply = {"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                     "choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": text}}]}
            return self.send(200, json.dumps(reply))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        deltas = [{"role": "assistant"}] + [{"content": text[i:i + 7]} for i in range(0, len(text), 7)]
        for delta in deltas:
            chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
            event = ("data: " + json.dumps(chunk) + "\n\n").encode()
            # Split each event across writes so that it arrives in pieces.
            for part in (event[:10], event[10:]):
                self.wfile.write(part)
                self.wfile.flush()
                time.sleep(0.002)
        self.wfile.write(b"data: [DONE]\n\n")


if __name__ == "__main__":
    write_pid()
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
