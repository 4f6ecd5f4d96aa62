//! Sharding: a deterministic split of a suite by a hash of each scenario's file and name, so a
//! CI matrix can spread a large suite over machines.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::scenario::Scenario;

/// Shard `index` of `count` (1-based), written `K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Shard `index` of `count`, 1-based; `None` unless `1 <= index <= count`.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (1..=count)
            .contains(&index)
            .then_some(Shard { index, count })
    }

    /// Whether the scenario belongs to this shard.
    pub fn holds(&self, scenario: &Scenario) -> bool {
        let key = format!("{}\0{}", scenario.origin.file.display(), scenario.name);
        let digest = Sha256::digest(key.as_bytes());
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(head) % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Shard, String> {
        let invalid =
            || format!("invalid shard `{text}`: expected K/N with 1 <= K <= N, such as 2/3");
        let (k, n) = text.split_once('/').ok_or_else(invalid)?;
        let (k, n) = (
            k.trim().parse().map_err(|_| invalid())?,
            n.trim().parse().map_err(|_| invalid())?,
        );
        Shard::new(k, n).ok_or_else(invalid)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}
