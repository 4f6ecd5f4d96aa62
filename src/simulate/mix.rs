//! The traffic mix: which scenario each conversation plays, by weight. `--mix
//! balance=5,transactions=3` names scenarios by their name or their file's stem; without a
//! mix every scenario weighs 1. The pick is a deterministic draw from the seed and the
//! conversation's number.

use std::fmt;
use std::str::FromStr;

use crate::scenario::Scenario;

/// The weights as written on the command line, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix(Vec<(String, u32)>);

impl FromStr for Mix {
    type Err = String;
    fn from_str(text: &str) -> Result<Mix, String> {
        let mut weights = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let invalid = || {
                format!("invalid mix entry `{part}`: write NAME=WEIGHT, such as balance=5 (a whole number from 1)")
            };
            let (name, weight) = part.split_once('=').ok_or_else(invalid)?;
            let weight: u32 = weight.trim().parse().map_err(|_| invalid())?;
            let name = name.trim();
            if weight == 0 || name.is_empty() {
                return Err(invalid());
            }
            if weights.iter().any(|(n, _)| n == name) {
                return Err(format!("`{name}` is in the mix twice"));
            }
            weights.push((name.to_string(), weight));
        }
        if weights.is_empty() {
            return Err("an empty mix: write NAME=WEIGHT,…, such as balance=5,advisor=1".into());
        }
        Ok(Mix(weights))
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(n, w)| format!("{n}={w}")).collect();
        f.write_str(&parts.join(","))
    }
}

/// Why a mix does not fit the scenarios.
#[derive(Debug, thiserror::Error)]
#[error("--mix: `{key}` names no scenario (by name or file stem); the scenarios are: {known}")]
pub struct UnknownKey {
    key: String,
    known: String,
}

/// Whether `key` names `scenario`: its name, or the stem of its file.
fn names(key: &str, scenario: &Scenario) -> bool {
    scenario.name == key || scenario.origin.file.file_stem().is_some_and(|s| s == key)
}

/// Cumulative weights over the scenarios: which scenario a draw picks.
#[derive(Debug)]
pub struct Weights {
    /// (scenario index, cumulative weight), in scenario order.
    cumulative: Vec<(usize, u64)>,
}

impl Weights {
    /// The weight of each scenario: 1 each without a mix; with one, each key's weight goes to
    /// every scenario it names, and the scenarios no key names are left out.
    pub fn new(mix: Option<&Mix>, scenarios: &[Scenario]) -> Result<Weights, UnknownKey> {
        let mut weight = vec![u64::from(mix.is_none()); scenarios.len()];
        if let Some(Mix(keys)) = mix {
            for (key, w) in keys {
                let mut found = false;
                for (i, scenario) in scenarios.iter().enumerate() {
                    if names(key, scenario) {
                        weight[i] += u64::from(*w);
                        found = true;
                    }
                }
                if !found {
                    let mut known: Vec<String> = scenarios
                        .iter()
                        .flat_map(|s| {
                            let stem = s.origin.file.file_stem().map(|s| s.to_string_lossy());
                            [Some(s.name.clone()), stem.map(|s| s.into_owned())]
                        })
                        .flatten()
                        .collect();
                    known.sort();
                    known.dedup();
                    return Err(UnknownKey {
                        key: key.clone(),
                        known: known.join(", "),
                    });
                }
            }
        }
        let mut total = 0;
        let cumulative = weight
            .iter()
            .enumerate()
            .filter(|(_, &w)| w > 0)
            .map(|(i, &w)| {
                total += w;
                (i, total)
            })
            .collect();
        Ok(Weights { cumulative })
    }

    /// Whether a draw can pick scenario `index`.
    pub fn picks(&self, index: usize) -> bool {
        self.cumulative.iter().any(|&(i, _)| i == index)
    }

    /// The scenario (its index) that a draw in [0, 1) picks.
    pub fn pick(&self, draw: f64) -> usize {
        let total = self.cumulative.last().map_or(0, |&(_, t)| t);
        let at = ((draw * total as f64) as u64).min(total.saturating_sub(1));
        let found = self.cumulative.partition_point(|&(_, t)| t <= at);
        self.cumulative[found.min(self.cumulative.len() - 1)].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenarios() -> Vec<Scenario> {
        let text = "- { name: a, steps: [{ user: hi }] }\n- { name: b, steps: [{ user: hi }] }\n- { name: c, steps: [{ user: hi }] }\n";
        let mut scenarios: Vec<Scenario> = serde_yaml::from_str(text).expect("scenarios");
        scenarios[2].origin.file = "dir/advisor.yaml".into();
        scenarios
    }

    #[test]
    fn mixes_parse_and_reject_bad_entries() {
        let mix: Mix = "a=5, advisor=1".parse().expect("a mix");
        assert_eq!(mix.to_string(), "a=5,advisor=1");
        for bad in ["", "a", "a=0", "a=-1", "a=x", "=3", "a=1,a=2"] {
            assert!(bad.parse::<Mix>().is_err(), "{bad}");
        }
    }

    #[test]
    fn draws_follow_the_weights_and_keys_name_files_too() {
        let mix: Mix = "a=3,advisor=1".parse().unwrap();
        let weights = Weights::new(Some(&mix), &scenarios()).expect("weights");
        let picked: Vec<usize> = weights.cumulative.iter().map(|&(i, _)| i).collect();
        assert_eq!(picked, [0, 2]);
        let picks: Vec<usize> = (0..4000)
            .map(|n| weights.pick(crate::draw::fraction(&[n])))
            .collect();
        let a = picks.iter().filter(|&&i| i == 0).count();
        assert!((2800..3200).contains(&a), "{a}");
        assert!(!picks.contains(&1));
        assert_eq!(weights.pick(0.0), 0);
        assert_eq!(weights.pick(0.999_999), 2);
    }

    #[test]
    fn a_key_that_names_nothing_is_an_error() {
        let mix: Mix = "balance=1".parse().unwrap();
        let err = Weights::new(Some(&mix), &scenarios()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--mix: `balance` names no scenario (by name or file stem); the scenarios are: a, advisor, b, c"
        );
    }
}
