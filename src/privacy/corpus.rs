//! A deterministic corpus of clean analytics traffic, in the shapes the sinks see: Meta CAPI
//! and pixel, GA4, Segment, Mixpanel and gzip'd Amplitude, with random ids, hashed random
//! identifiers, timestamps, latencies, user agents and cookies, but no customer value.
//!
//! Shared by the privacy tests (which expect zero findings) and, through `#[path]`, by the
//! scan benchmark, so it depends on std and external crates only.

use std::io::Write;

use base64::Engine;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// One request as a sink would capture it.
pub struct Traffic {
    /// The sink's name.
    pub sink: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path and query.
    pub target: String,
    /// Header names and values.
    pub headers: Vec<(&'static str, String)>,
    /// The body as sent.
    pub body: Vec<u8>,
}

const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36",
];
const EVENTS: [&str; 6] = [
    "page_view",
    "chat_opened",
    "message_sent",
    "quick_reply_clicked",
    "session_start",
    "scroll",
];
const PAGES: [&str; 5] = [
    "/chat",
    "/help/faq",
    "/accounts/overview",
    "/support/contact",
    "/",
];
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `count` clean requests from `seed`, cycling through the sink shapes.
pub fn clean(seed: u64, count: usize) -> Vec<Traffic> {
    let mut generator = Generator(ChaCha8Rng::seed_from_u64(seed));
    (0..count)
        .map(|i| match i % 6 {
            0 => generator.meta_capi(),
            1 => generator.meta_pixel(),
            2 => generator.ga4(),
            3 => generator.segment(),
            4 => generator.mixpanel(),
            _ => generator.amplitude(),
        })
        .collect()
}

/// Gzip with the default level.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

struct Generator(ChaCha8Rng);

impl Generator {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.0.random_range(0..items.len()))
            .copied()
            .unwrap_or_default()
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| {
                char::from(
                    alphabet
                        .get(self.0.random_range(0..alphabet.len()))
                        .copied()
                        .unwrap_or(b'0'),
                )
            })
            .collect()
    }

    fn hex(&mut self, n: usize) -> String {
        self.chars(b"0123456789abcdef", n)
    }

    /// A number of `n` digits without a leading zero.
    fn number(&mut self, n: usize) -> String {
        format!(
            "{}{}",
            self.0.random_range(1..10u8),
            self.chars(b"0123456789", n - 1)
        )
    }

    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-a{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            self.hex(3),
            self.hex(12)
        )
    }

    /// sha256 hex of a random string: what a hashed identifier of someone unknown looks like.
    fn hashed(&mut self) -> String {
        let random = self.chars(ALNUM, 20);
        Sha256::digest(random.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Seconds in July 2024.
    fn seconds(&mut self) -> u64 {
        1_719_792_000 + self.0.random_range(0..31 * 86_400)
    }

    fn millis(&mut self) -> u64 {
        self.seconds() * 1000 + self.0.random_range(0..1000)
    }

    /// A latency such as 12.5 or 340.25.
    fn latency(&mut self) -> f64 {
        f64::from(self.0.random_range(100..90_000u32)) / 100.0
    }

    fn cookies(&mut self) -> String {
        format!(
            "_fbp=fb.1.{}.{}; _ga=GA1.2.{}.{}; _gid=GA1.2.{}.{}; sid={}",
            self.millis(),
            self.number(10),
            self.number(9),
            self.seconds(),
            self.number(10),
            self.seconds(),
            self.hex(32),
        )
    }

    fn headers(&mut self, content_type: &str) -> Vec<(&'static str, String)> {
        vec![
            ("content-type", content_type.to_owned()),
            ("user-agent", self.pick(&USER_AGENTS).to_owned()),
            ("cookie", self.cookies()),
            ("x-request-id", self.uuid()),
        ]
    }

    fn json(value: &Value) -> Vec<u8> {
        serde_json::to_vec(value).unwrap_or_default()
    }

    fn meta_capi(&mut self) -> Traffic {
        let events: Vec<Value> = (0..self.0.random_range(1..4))
            .map(|_| {
                json!({
                    "event_name": self.pick(&["PageView", "ViewContent", "Contact"]),
                    "event_time": self.seconds(),
                    "event_id": self.uuid(),
                    "action_source": "website",
                    "event_source_url": format!("https://www.bank.example{}", self.pick(&PAGES)),
                    "user_data": {
                        "em": [self.hashed()],
                        "ph": [self.hashed()],
                        "external_id": [self.hashed()],
                        "client_ip_address": format!("203.0.113.{}", self.0.random_range(1..255)),
                        "client_user_agent": self.pick(&USER_AGENTS),
                        "fbp": format!("fb.1.{}.{}", self.millis(), self.number(10)),
                    },
                    "custom_data": { "content_name": self.pick(&EVENTS), "latency_ms": self.latency() },
                })
            })
            .collect();
        let body =
            json!({ "data": events, "access_token": format!("EAAB{}", self.chars(ALNUM, 60)) });
        Traffic {
            sink: "meta",
            method: "POST",
            target: format!("/v19.0/{}/events", self.number(15)),
            headers: self.headers("application/json"),
            body: Self::json(&body),
        }
    }

    fn meta_pixel(&mut self) -> Traffic {
        let target = format!(
            "/tr?id={}&ev={}&dl=https%3A%2F%2Fwww.bank.example%2Fchat&rl=&if=false&ts={}&sw=1920&sh=1080&ud[em]={}&ud[external_id]={}&cd[latency]={}&v=2.9.160",
            self.number(15),
            self.pick(&["PageView", "Lead"]),
            self.millis(),
            self.hashed(),
            self.hashed(),
            self.latency(),
        );
        Traffic {
            sink: "meta",
            method: "GET",
            target,
            headers: self.headers("text/plain"),
            body: Vec::new(),
        }
    }

    fn ga4(&mut self) -> Traffic {
        let body = json!({
            "client_id": format!("{}.{}", self.number(10), self.seconds()),
            "user_id": self.hashed(),
            "timestamp_micros": (self.millis() * 1000).to_string(),
            "events": [{
                "name": self.pick(&EVENTS),
                "params": {
                    "page_location": format!("https://www.bank.example{}", self.pick(&PAGES)),
                    "page_title": "Chat with us",
                    "engagement_time_msec": self.0.random_range(1..10_000),
                    "session_id": self.seconds().to_string(),
                    "latency_ms": self.latency(),
                    "debug_mode": false,
                },
            }],
        });
        Traffic {
            sink: "google",
            method: "POST",
            target: format!(
                "/mp/collect?measurement_id=G-{}&api_secret={}",
                self.chars(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 10),
                self.chars(ALNUM, 22)
            ),
            headers: self.headers("application/json"),
            body: Self::json(&body),
        }
    }

    fn segment(&mut self) -> Traffic {
        let body = json!({
            "anonymousId": self.uuid(),
            "event": self.pick(&["Chat Opened", "Message Sent", "Quick Reply Clicked"]),
            "properties": { "duration": self.latency(), "message_count": self.0.random_range(1..40), "channel": "web" },
            "context": {
                "userAgent": self.pick(&USER_AGENTS),
                "locale": "en-US",
                "library": { "name": "analytics.js", "version": "next-1.70.0" },
                "page": { "path": self.pick(&PAGES), "referrer": "https://www.google.com/" },
            },
            "timestamp": format!("2024-07-{:02}T{:02}:{:02}:{:02}.{:03}Z", self.0.random_range(1..31), self.0.random_range(0..24), self.0.random_range(0..60), self.0.random_range(0..60), self.0.random_range(0..1000)),
            "messageId": format!("ajs-next-{}", self.hex(32)),
        });
        let write_key =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.chars(ALNUM, 32)));
        let mut headers = self.headers("application/json");
        headers.push(("authorization", format!("Basic {write_key}")));
        Traffic {
            sink: "segment",
            method: "POST",
            target: "/v1/track".to_owned(),
            headers,
            body: Self::json(&body),
        }
    }

    fn mixpanel(&mut self) -> Traffic {
        let events = json!([{
            "event": self.pick(&EVENTS),
            "properties": {
                "token": self.hex(32),
                "distinct_id": format!("$device:{}", self.uuid()),
                "time": self.millis(),
                "$insert_id": self.chars(ALNUM, 16),
                "mp_lib": "web",
                "$lib_version": "2.55.0",
                "$current_url": format!("https://www.bank.example{}", self.pick(&PAGES)),
                "$screen_height": 1080,
                "latency_ms": self.latency(),
            },
        }]);
        let data = base64::engine::general_purpose::STANDARD.encode(Self::json(&events));
        let body = format!(
            "data={}",
            data.replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        );
        Traffic {
            sink: "mixpanel",
            method: "POST",
            target: format!("/track?ip=1&_={}", self.millis()),
            headers: self.headers("application/x-www-form-urlencoded"),
            body: body.into_bytes(),
        }
    }

    fn amplitude(&mut self) -> Traffic {
        let session = self.millis();
        let events: Vec<Value> = (0..self.0.random_range(2..12))
            .map(|_| {
                json!({
                    "device_id": self.uuid(),
                    "session_id": session,
                    "event_type": self.pick(&EVENTS),
                    "time": self.millis(),
                    "insert_id": self.uuid(),
                    "platform": "Web",
                    "event_properties": { "latency_ms": self.latency(), "duration": self.latency() },
                })
            })
            .collect();
        let body = json!({ "api_key": self.hex(32), "events": events });
        let mut headers = self.headers("application/json");
        headers.push(("content-encoding", "gzip".to_owned()));
        Traffic {
            sink: "amplitude",
            method: "POST",
            target: "/2/httpapi".to_owned(),
            headers,
            body: gzip(&Self::json(&body)),
        }
    }
}
