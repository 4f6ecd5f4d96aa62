//! The capture proxy's cost per captured request: the same Segment event sent straight to
//! the sink's URL, and through the proxy to `api.segment.io` as an unmodified bot sends it,
//! over HTTPS (a CONNECT tunnel the client keeps alive, HTTP/1.1 inside) and over plain HTTP.
//! Each path has its own client with keep-alive, as a bot's HTTP stack does; the sink's
//! scan is left out (a no-op inspector), so the figures are the proxy's alone.
//!
//! Run with `cargo bench --bench proxy_overhead`. Prints median times per request, the
//! proxy's added time and the ratios.

use std::sync::Arc;
use std::time::{Duration, Instant};

use banter::testing::proxy::{Proxy, Settings};
use banter::testing::sinks::{self, Sinks};

const REQUESTS: usize = 2_000;
const ROUNDS: usize = 5;
const WARM_UP: usize = 200;

/// The event every request carries.
fn event() -> serde_json::Value {
    serde_json::json!({"type": "track", "event": "Balance Viewed", "userId": "u-1", "properties": {"account": "checking"}})
}

/// Sends `count` events to `url` with `client`, one after another, and returns each one's time.
async fn send(client: &reqwest::Client, url: &str, count: usize) -> Vec<Duration> {
    let body = event();
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let response = client.post(url).json(&body).send().await.expect("send");
        assert!(response.status().is_success());
        response.bytes().await.expect("answer");
        times.push(started.elapsed());
    }
    times
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sinks = Sinks::start(&sinks::builtin(), Arc::new(|_: &_| ()))
        .await
        .expect("sinks");
    let proxy = Proxy::start(&sinks, Settings::default())
        .await
        .expect("proxy");
    let ca = std::fs::read(proxy.cert_file()).expect("the CA certificate");
    let through_proxy = || {
        reqwest::Client::builder()
            .proxy(reqwest::Proxy::all(proxy.url()).expect("proxy URL"))
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("PEM"))
            .http1_only()
            .build()
            .expect("client")
    };
    let direct = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let (https, http) = (through_proxy(), through_proxy());
    let sink = format!("{}/v1/track", sinks.url("segment").expect("segment sink"));
    let paths = [
        ("straight to the sink", &direct, sink.as_str()),
        ("proxy, HTTPS", &https, "https://api.segment.io/v1/track"),
        ("proxy, plain HTTP", &http, "http://api.segment.io/v1/track"),
    ];
    for (_, client, url) in paths {
        send(client, url, WARM_UP).await;
    }
    // Alternate the paths each round, so that machine noise hits them alike.
    let mut times = vec![Vec::new(); paths.len()];
    for _ in 0..ROUNDS {
        for ((_, client, url), times) in paths.iter().zip(&mut times) {
            times.extend(send(client, url, REQUESTS).await);
        }
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!("proxy_overhead: {ROUNDS} rounds x {REQUESTS} sequential requests per path, median per request");
    for ((name, _, _), median) in paths.iter().zip(&medians) {
        println!("  {name:<21}: {:7.1} us", us(*median));
    }
    for (i, (name, _, _)) in paths.iter().enumerate().skip(1) {
        println!(
            "  {name:<21}: {:+7.1} us added, {:.2}x",
            us(medians[i]) - us(medians[0]),
            us(medians[i]) / us(medians[0])
        );
    }
}
