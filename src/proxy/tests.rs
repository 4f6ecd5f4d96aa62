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
    trusting(proxy, &var(proxy, "SSL_CERT_FILE"))
}

/// A client that goes through `proxy` and trusts only the CA certificate in `ca`.
fn trusting(proxy: &Proxy, ca: &str) -> reqwest::Client {
    let pem = std::fs::read(ca).unwrap();
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

/// A loopback server that answers every request with `body`, standing in for the mock bank
/// or the Graph mock.
async fn upstream(body: &str) -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(201).set_body_string(body))
        .mount(&server)
        .await;
    server
}

async fn post(client: &reqwest::Client, url: &str) -> (u16, String) {
    let response = client.post(url).body("{}").send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_send_api_on_the_graph_host_reaches_the_graph_mock_once_it_is_routed() {
    let customer = Customer::generate(1, "proxy", &CustomerSpec::default());
    let sinks = sinks_for(&customer).await;
    let proxy = Proxy::start(&sinks, Settings::default()).await.unwrap();
    let client = client(&proxy);
    let send = "https://graph.facebook.com/v19.0/me/messages?access_token=t";
    let capi = "https://graph.facebook.com/v19.0/1234/events";
    let meta = r#"{"events_received":1,"fbtrace_id":"ABanterTraceId","messages":[]}"#;
    // Before the Graph mock exists, the host is Meta's sink's alone.
    assert_eq!(post(&client, send).await, (200, "{}".to_string()));
    let graph = upstream(r#"{"message_id":"m_0"}"#).await;
    proxy.route_graph(graph.uri());
    assert_eq!(
        post(&client, send).await,
        (201, r#"{"message_id":"m_0"}"#.to_string())
    );
    assert_eq!(post(&client, capi).await, (200, meta.to_string()));
    let seen = settled(&sinks).await;
    let paths: Vec<_> = seen.iter().map(|s| s.sink.as_str()).collect();
    assert_eq!(paths, ["meta", "meta"]);
    let received = graph.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].url.path(), "/v19.0/me/messages");
    assert_eq!(received[0].url.query(), Some("access_token=t"));
    assert_eq!(
        proxy.forwarded(),
        [Forwarded {
            service: "messenger graph",
            host: "graph.facebook.com".into(),
            requests: 1
        }]
    );
}

#[tokio::test]
async fn bank_hosts_reach_the_bank_with_their_headers() {
    let customer = Customer::generate(1, "proxy", &CustomerSpec::default());
    let sinks = sinks_for(&customer).await;
    let bank = upstream(r#"{"accounts":[]}"#).await;
    let settings = Settings {
        bank_hosts: vec!["API.ExampleBank.com".into()],
        bank_url: bank.uri(),
        ..Settings::default()
    };
    let proxy = Proxy::start(&sinks, settings).await.unwrap();
    let response = client(&proxy)
        .get("https://api.examplebank.com./fdx/v6/accounts")
        .bearer_auth("token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let received = bank.received_requests().await.unwrap();
    assert_eq!(received[0].url.path(), "/fdx/v6/accounts");
    assert_eq!(received[0].headers["authorization"], "Bearer token-1");
    assert!(settled(&sinks).await.is_empty(), "the bank is no sink");
    assert_eq!(proxy.forwarded()[0].host, "api.examplebank.com");
}

#[tokio::test]
async fn a_kept_ca_is_made_once_and_signs_for_later_proxies() {
    let customer = Customer::generate(1, "proxy", &CustomerSpec::default());
    let sinks = sinks_for(&customer).await;
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("ca");
    let settings = Settings {
        ca_dir: Some(kept.clone()),
        ..Settings::default()
    };
    let first = Proxy::start(&sinks, settings.clone()).await.unwrap();
    let cert = var(&first, "SSL_CERT_FILE");
    let made = std::fs::read(&cert).unwrap();
    drop(first);
    let mode = |path: PathBuf| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(kept.clone()), 0o700);
    assert_eq!(mode(kept.join("banter-ca-key.pem")), 0o600);
    let second = Proxy::start(&sinks, settings.clone()).await.unwrap();
    assert_eq!(var(&second, "SSL_CERT_FILE"), cert);
    assert_eq!(std::fs::read(&cert).unwrap(), made, "made once");
    // The certificate made by the first run signs the second run's leaves.
    let response = trusting(&second, &cert)
        .post("https://api.segment.io/v1/track")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    drop(second);
    assert!(kept.join("banter-ca-key.pem").exists(), "a kept CA stays");
    std::fs::set_permissions(
        kept.join("banter-ca-key.pem"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let exposed = Proxy::start(&sinks, settings).await.err().unwrap();
    assert!(matches!(exposed, ProxyError::KeyExposed(_)), "{exposed}");
}

#[tokio::test]
async fn a_client_that_refuses_the_certificate_is_recorded_by_host() {
    let customer = Customer::generate(1, "proxy", &CustomerSpec::default());
    let sinks = sinks_for(&customer).await;
    let proxy = Proxy::start(&sinks, Settings::default()).await.unwrap();
    let pinned = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(var(&proxy, "HTTPS_PROXY")).unwrap())
        .tls_built_in_root_certs(false)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(pinned
        .get("https://pinned.example.com/")
        .send()
        .await
        .is_err());
    // A client that trusts the CA is no refusal.
    let trusted = client(&proxy).get("https://api.segment.io/").send().await;
    assert!(trusted.is_ok());
    let deadline = Instant::now() + Duration::from_secs(10);
    while proxy.refusals().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let hosts: Vec<_> = proxy.refusals().into_iter().map(|r| r.host).collect();
    assert_eq!(hosts, ["pinned.example.com"]);
}
