//! Where the proxy takes each intercepted request: by the host the bot addressed, and on
//! Meta's Graph host by path too, since the Send API (`/v19.0/me/messages`) and the
//! Conversions API (`/v19.0/{pixel}/events`) share it. The bank's production hosts and the
//! Send API go to banter's own servers on the loopback; the hosts the config routes to a
//! sink, and the real hosts of the built-in services, to their sinks; any other host to the
//! `unknown` sink.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use globset::GlobMatcher;

use super::{ProxyError, Settings};
use crate::sinks::{Service, SinkHandle, Sinks};

/// The Graph API's host, shared by the Send API and Meta's Conversions API.
const GRAPH_HOST: &str = "graph.facebook.com";
/// How the egress inventory names requests forwarded to the mock bank.
const BANK: &str = "bank";
/// How the egress inventory names requests forwarded to the Messenger Graph mock.
const GRAPH: &str = "messenger graph";

/// Where one request goes.
pub(super) enum Route<'a, S> {
    /// To a sink, in-process.
    Sink(&'a SinkHandle<S>),
    /// To one of banter's servers on the loopback, named `service` in the inventory.
    Forward {
        service: &'static str,
        base: &'a str,
    },
}

/// The routing table of a proxy.
pub(super) struct Routes<S> {
    bank_hosts: Vec<String>,
    bank_url: String,
    /// The Graph mock's base URL, known once the Messenger connector has started it.
    graph: Arc<OnceLock<String>>,
    hosts: Vec<(GlobMatcher, SinkHandle<S>)>,
    services: HashMap<&'static str, SinkHandle<S>>,
    unknown: SinkHandle<S>,
}

impl<S> Routes<S> {
    pub(super) fn new(
        sinks: &Sinks<S>,
        settings: Settings,
        graph: Arc<OnceLock<String>>,
    ) -> Result<Routes<S>, ProxyError> {
        let services = Service::all()
            .filter_map(|service| Some((service.name, sinks.handle_as(service.name)?)))
            .collect();
        let hosts = settings
            .hosts
            .into_iter()
            .map(|(glob, sink)| match sinks.handle_as(&sink) {
                Some(handle) => Ok((glob, handle)),
                None => Err(ProxyError::UnknownSink(sink)),
            })
            .collect::<Result<_, _>>()?;
        Ok(Routes {
            bank_hosts: settings.bank_hosts.iter().map(|h| normal(h)).collect(),
            bank_url: settings.bank_url,
            graph,
            hosts,
            services,
            unknown: sinks.unknown(),
        })
    }

    /// Where a request for `path` on `host` goes.
    pub(super) fn route(&self, host: &str, path: &str) -> Route<'_, S> {
        let host = normal(host);
        if self.bank_hosts.contains(&host) {
            return Route::Forward {
                service: BANK,
                base: &self.bank_url,
            };
        }
        if host == GRAPH_HOST && is_send_api(path) {
            if let Some(base) = self.graph.get() {
                return Route::Forward {
                    service: GRAPH,
                    base,
                };
            }
        }
        let sink = match self.hosts.iter().find(|(glob, _)| glob.is_match(&host)) {
            Some((_, sink)) => sink,
            None => Service::for_host(&host)
                .and_then(|service| self.services.get(service.name))
                .unwrap_or(&self.unknown),
        };
        Route::Sink(sink)
    }
}

/// A host as routes compare it and certificates name it: lower case, without a trailing dot.
pub(super) fn normal(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// Whether a Graph path is the page's own (`/me/...`, with or without a version such as
/// `/v19.0`): the Send API, handover and profile calls that the Graph mock serves.
fn is_send_api(path: &str) -> bool {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next().unwrap_or_default();
    let me = if is_version(first) {
        segments.next()
    } else {
        Some(first)
    };
    me == Some("me")
}

/// `v19.0`, `v2`: a Graph API version segment.
fn is_version(segment: &str) -> bool {
    segment.strip_prefix('v').is_some_and(|version| {
        version
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_own_graph_paths_are_the_send_apis() {
        for (path, send_api) in [
            ("/v19.0/me/messages", true),
            ("/v2/me/pass_thread_control", true),
            ("/me/messenger_profile", true),
            ("/v19.0/1234567890/events", false),
            ("/1234567890/events", false),
            ("/v/me/messages", false),
            ("/v19./me/messages", false),
            ("/v19.0/mes/messages", false),
            ("", false),
            ("/", false),
        ] {
            assert_eq!(is_send_api(path), send_api, "{path}");
        }
    }
}
