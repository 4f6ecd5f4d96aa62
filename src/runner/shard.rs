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

    /// Whether the numbered item (a simulated customer) belongs to this shard: number
    /// `K - 1` modulo N.
    pub(crate) fn holds_number(&self, number: u64) -> bool {
        number % self.count == self.index - 1
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scenarios(file: &str, count: usize) -> Vec<Scenario> {
        let text: String = (0..count)
            .map(|i| format!("- {{ name: scenario {i}, steps: [{{ user: hi }}] }}\n"))
            .collect();
        let mut scenarios: Vec<Scenario> = serde_yaml::from_str(&text).expect("scenarios");
        scenarios
            .iter_mut()
            .for_each(|s| s.origin.file = file.into());
        scenarios
    }

    #[test]
    fn shards_parse_as_k_of_n() {
        let cases = [
            ("1/1", Some((1, 1))),
            ("2/3", Some((2, 3))),
            (" 3 / 3 ", Some((3, 3))),
            ("0/3", None),
            ("4/3", None),
            ("1/0", None),
            ("-1/3", None),
            ("a/b", None),
            ("3", None),
            ("1/2/3", None),
            ("", None),
        ];
        for (text, expected) in cases {
            let parsed = text.parse::<Shard>();
            assert_eq!(
                parsed.as_ref().ok(),
                expected.and_then(|(k, n)| Shard::new(k, n)).as_ref(),
                "{text:?}"
            );
            match parsed {
                Ok(shard) => assert_eq!(shard.to_string(), text.replace(' ', "")),
                Err(e) => assert_eq!(
                    e,
                    format!("invalid shard `{text}`: expected K/N with 1 <= K <= N, such as 2/3")
                ),
            }
        }
    }

    #[test]
    fn every_scenario_is_in_exactly_one_shard_whatever_the_count() {
        let suite = scenarios("scenarios/suite.yaml", 60);
        for count in 1..=7 {
            let shards: Vec<Shard> = (1..=count)
                .map(|k| Shard::new(k, count).expect("a shard"))
                .collect();
            let mut sizes = vec![0; shards.len()];
            for scenario in &suite {
                let holders: Vec<usize> = (0..shards.len())
                    .filter(|&i| shards[i].holds(scenario))
                    .collect();
                assert_eq!(
                    holders.len(),
                    1,
                    "{} of {count} shards hold {}",
                    holders.len(),
                    scenario.name
                );
                sizes[holders[0]] += 1;
            }
            // A hash split: no shard of a few is left empty by 60 scenarios.
            assert!(
                count > 4 || sizes.iter().all(|&n| n > 0),
                "{count}: {sizes:?}"
            );
        }
    }

    #[test]
    fn the_split_hashes_the_file_and_the_name() {
        let half = Shard::new(1, 2).expect("a shard");
        let held =
            |file| -> Vec<bool> { scenarios(file, 40).iter().map(|s| half.holds(s)).collect() };
        assert_eq!(held("a.yaml"), held("a.yaml"));
        assert_ne!(held("a.yaml"), held("b.yaml"));
    }
}
