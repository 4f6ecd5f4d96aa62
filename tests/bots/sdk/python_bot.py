"""A chat bot that sends its telemetry through one real, unmodified Python analytics SDK at the
service's default host, for banter's capture proxy tests (tests/sdks.rs). It owns the SDK
calls only; the bank and the HTTP plumbing come from tests/bots/botkit.py.

SDK picks the SDK: `segment` (segment-analytics-python), `mixpanel` (mixpanel) or `meta`
(facebook_business, the Conversions API). MODE=clean sends events that hold no customer value;
MODE=leaky also plants one known leak through the SDK (Segment and Meta: the email; Mixpanel:
the phone). No SDK is given a host or base URL: they reach api.segment.io, api.mixpanel.com
and graph.facebook.com through HTTPS_PROXY and trust the run's CA through REQUESTS_CA_BUNDLE,
which banter sets.
Every SDK call returns only once its request was answered, so the telemetry lands in the turn.

POST /chat {conversation_id, text, bank_token} reads the customer and their first account at
BANK_URL and replies with the balance; GET /health answers 200.
"""

import json
import os
import sys
import time
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from botkit import QuietHandler, bank_get, first_balance  # noqa: E402

SDK = os.environ["SDK"]
LEAKY = os.environ["MODE"] == "leaky"


def segment_sdk():
    import segment.analytics as analytics

    analytics.write_key = "banter-test-write-key"
    analytics.sync_mode = True  # every call posts its batch before it returns

    def send(conversation, customer):
        if LEAKY:
            analytics.identify(conversation, {"email": customer["email"][0]})
        analytics.track(conversation, "Balance Viewed", {"channel": "chat"})

    return send


def mixpanel_sdk():
    from mixpanel import Mixpanel

    mp = Mixpanel("banter-test-project-token")  # the default Consumer posts synchronously

    def send(conversation, customer):
        if LEAKY:
            mp.people_set(conversation, {"$phone": customer["telephones"][0]["number"]})
        mp.track(conversation, "Balance Viewed", {"channel": "chat"})

    return send


def meta_sdk():
    from facebook_business.adobjects.serverside.action_source import ActionSource
    from facebook_business.adobjects.serverside.event import Event
    from facebook_business.adobjects.serverside.event_request import EventRequest
    from facebook_business.adobjects.serverside.user_data import UserData
    from facebook_business.api import FacebookAdsApi

    FacebookAdsApi.init(access_token="banter-test-access-token")

    def send(conversation, customer):
        # The SDK normalises and hashes user data (sha256) before it is sent.
        user = UserData(email=customer["email"][0]) if LEAKY else UserData(external_id=conversation)
        event = Event(
            event_name="ViewContent",
            event_time=int(time.time()),
            action_source=ActionSource.CHAT,
            user_data=user,
        )
        EventRequest(pixel_id="1234567890", events=[event]).execute()

    return send


SEND = {"segment": segment_sdk, "mixpanel": mixpanel_sdk, "meta": meta_sdk}[SDK]()


class Handler(QuietHandler):
    def do_GET(self):
        self.send(200, "ok", "text/plain")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        token = body["bank_token"]
        SEND(body["conversation_id"], bank_get(token, "/fdx/v6/customers/current"))
        self.send(200, json.dumps({"replies": [{"text": "Your balance is " + first_balance(token)}]}))


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
