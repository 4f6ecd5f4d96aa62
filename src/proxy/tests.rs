use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::customer::{Customer, CustomerSpec};
use crate::privacy::{Detector, Scan, ValueKind};
use crate::sinks::{builtin, Inspector};

/// What the tests keep of each request: where it went and what the scan found.
struct Seen {
    sink: String,
    host: Option<String>,
    scan: Scan,
}

async fn sinks_for(customer: &Customer) -> Sinks<Seen> {
    let detector = Detector::new(std::slice::from_ref(customer));
    let inspector: Inspector<Seen> = Arc::new(move |request| Seen {
        sink: request.sink.clone(),
        host: request.host.clone(),
        scan: detector.scan_request(request),
    });
    Sinks::start(&builtin(), inspector).await.unwrap()
}

fn var(proxy: &Proxy, name: &str) -> String {
    let (_, value) = proxy.env().into_iter().find(|(n, _)| *n == name).unwrap();
    value
}

/// A client that goes through `proxy` and trusts only the run's CA.
fn client(proxy: &Proxy) -> reqwest::Client {
    let pem = std::fs::read(var(proxy, "SSL_CERT_FILE")).unwrap();
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(var(proxy, "HTTPS_PROXY")).unwrap())
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn settled(sinks: &Sinks<Seen>) -> Vec<Arc<Seen>> {
    sinks
        .settle(Instant::now(), Duration::from_secs(10))
        .await
        .unwrap();
    let (records, lost) = sinks.since(0);
    assert!(lost.is_empty());
    records.into_iter().map(|r| r.summary).collect()
}

#[tokio::test]
async fn https_to_a_services_real_host_reaches_its_sink_and_is_scanned() {
    let customer = Customer::generate(1, "proxy", &CustomerSpec::default());
    let sinks = sinks_for(&customer).await;
    let proxy = Proxy::start(&sinks, Settings::default()).await.unwrap();
    let body = serde_json::json!({"event": "Signed In", "properties": {"email": customer.email}});
    let response = client(&proxy)
        .post("https://api.segment.io/v1/track")
        .json(&body)
        .send()
        .await
        .unwrap();
    // The client offered HTTP/2, and the tunnel spoke it.
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.text().await.unwrap(), r#"{"success":true}"#);
    let seen = settled(&sinks).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].sink, "segment");
    assert_eq!(seen[0].host.as_deref(), Some("api.segment.io"));
    let found: Vec<_> = seen[0]
        .scan
        .findings
        .iter()
        .map(|f| (f.kind, f.location.as_str()))
        .collect();
    assert!(
        found.contains(&(ValueKind::Email, "body:/properties/email")),
        "{found:?}"
    );
}

#[tokio::test]
async fn unknown_hosts_are_answered_locally_and_plain_http_is_taken_too() {
    let customer = Customer::generate(1, "proxy", &CustomerSpec::default());
    let sinks = sinks_for(&customer).await;
    let proxy = Proxy::start(&sinks, Settings::default()).await.unwrap();
    let client = client(&proxy);
    let unknown = client
        .post("https://tracker.example.net/collect")
        .body(format!("phone={}", customer.phone))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 200);
    assert_eq!(unknown.text().await.unwrap(), "{}");
    let plain = client
        .post("http://api.mixpanel.com/track?verbose=1")
        .body("data=e30")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.version(), reqwest::Version::HTTP_11);
    assert_eq!(plain.text().await.unwrap(), r#"{"error":null,"status":1}"#);
    let seen = settled(&sinks).await;
    let places: Vec<_> = seen
        .iter()
        .map(|s| (s.sink.as_str(), s.host.as_deref()))
        .collect();
    assert_eq!(
        places,
        [
            ("unknown", Some("tracker.example.net")),
            ("mixpanel", Some("api.mixpanel.com"))
        ]
    );
    assert_eq!(seen[0].scan.findings[0].kind, ValueKind::Phone);
}

#[tokio::test]
async fn the_ca_key_is_private_and_gone_with_the_proxy() {
    let customer = Customer::generate(1, "proxy", &CustomerSpec::default());
    let sinks = sinks_for(&customer).await;
    let proxy = Proxy::start(&sinks, Settings::default()).await.unwrap();
    let cert = PathBuf::from(var(&proxy, "SSL_CERT_FILE"));
    let dir = cert.parent().unwrap().to_path_buf();
    let key = std::fs::metadata(dir.join("banter-ca-key.pem")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    let dir_mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(
        dir_mode & 0o077,
        0,
        "the run's directory is the user's alone"
    );
    for name in [
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "NODE_EXTRA_CA_CERTS",
    ] {
        assert_eq!(PathBuf::from(var(&proxy, name)), cert);
    }
    assert_eq!(var(&proxy, "no_proxy"), "127.0.0.1,localhost,::1");
    drop(proxy);
    assert!(!dir.exists());
}
