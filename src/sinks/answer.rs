//! What each sink answers: like the real service on its known paths, `200 {}` elsewhere.

use serde_json::json;

/// A response to send back to the bot.
pub(super) struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// A 1×1 transparent GIF, as the Meta pixel answers.
const PIXEL_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn json(status: u16, value: &serde_json::Value) -> Answer {
    Answer {
        status,
        content_type: "application/json",
        body: value.to_string().into_bytes(),
    }
}

/// The answer of sink `sink` to `method path` with a body of `body_len` bytes.
pub(super) fn answer(sink: &str, method: &str, path: &str, body_len: u64) -> Answer {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (sink, method, segments.as_slice()) {
        ("meta", "POST", [_version, _pixel, "events"]) => json(
            200,
            &json!({
                "events_received": 1, "messages": [], "fbtrace_id": "ABanterTraceId"
            }),
        ),
        ("meta", _, ["tr"]) => Answer {
            status: 200,
            content_type: "image/gif",
            body: PIXEL_GIF.to_vec(),
        },
        ("google", "POST", ["mp", "collect"]) => Answer {
            status: 204,
            content_type: "text/plain",
            body: Vec::new(),
        },
        ("google", "POST", ["debug", "mp", "collect"]) => {
            json(200, &json!({ "validationMessages": [] }))
        }
        (
            "segment",
            "POST",
            ["v1", "track" | "identify" | "batch" | "page" | "screen" | "group" | "alias"],
        ) => json(200, &json!({ "success": true })),
        ("mixpanel", _, ["track" | "engage" | "import"]) => Answer {
            status: 200,
            content_type: "text/plain",
            body: b"1".to_vec(),
        },
        ("amplitude", "POST", ["2", "httpapi"] | ["batch"]) => json(
            200,
            &json!({
                "code": 200, "events_ingested": 1, "payload_size_bytes": body_len, "server_upload_time": 1_782_777_600_000_u64
            }),
        ),
        _ => json(200, &json!({})),
    }
}
