//! The `sinks` template variable: each sink's URL and kind as templates see them, and whether
//! any template of the run has read one. A bot that banter did not start, that no capture
//! proxy stands in front of, and that no template handed a sink URL cannot reach the sinks;
//! the run then has no late telemetry to wait for, and says so.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

/// `{ meta: { url, kind }, … }`, remembering reads.
#[derive(Debug, Default)]
pub(super) struct Directory {
    entries: BTreeMap<String, Value>,
    read: Arc<AtomicBool>,
}

impl Directory {
    pub fn new(entries: BTreeMap<String, Value>, read: Arc<AtomicBool>) -> Directory {
        Directory { entries, read }
    }
}

impl Object for Directory {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let entry = self.entries.get(key.as_str()?)?;
        self.read.store(true, Ordering::Relaxed);
        Some(entry.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.entries
                .keys()
                .map(|k| Value::from(k.as_str()))
                .collect(),
        )
    }
}
