//! Digest needles, built when a scan first needs them: the texts of every customer to hash,
//! and for each digest length a table from digest to owners, filled the first time a token
//! of that length is looked up.
//!
//! Hashing every form of every customer under every algorithm is most of the needles'
//! preparation (18 algorithms, and 49 pairs for the forms that get hashed twice). A digest
//! can only be found in a token of its own length, and a run whose traffic holds no token of
//! some length (a clean bot's often holds none at all) never needs that length's digests. So
//! only the texts are kept up front; the first lookup of a length hashes them under the
//! algorithms of that length, on the available CPUs, while other lookups of that length wait.
//! What a lookup finds does not depend on when the table was built.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::OnceLock;

use super::digests::Algo;
use super::owner::{grouped, Label, Owner};
use super::starts::WordHasher;
use crate::chunks::across_cpus;

/// The byte lengths of the supported digests.
pub(super) const DIGEST_LENS: [usize; 6] = [16, 20, 28, 32, 48, 64];

/// Why a length's digests are missing when building them panicked.
const PANICKED: &str = "their preparation panicked";

/// A text of one owner to hash: under every algorithm, and when it is hashed twice, under
/// every outer algorithm of each inner digest's lowercase hex.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct Job {
    /// The owner, labelled with the plain form; a digest's label names its algorithms.
    pub owner: Owner,
    pub text: Box<str>,
    /// When the text is hashed twice, the lowercase hex of each of [`Algo::NESTED`]'s
    /// digests of it, one after the other in that order (one allocation, not one each).
    inner: Box<[u8]>,
}

impl Job {
    /// The job of hashing `owner`'s `text`, and when `twice`, each nested digest of it again.
    pub fn new(owner: Owner, text: &str, twice: bool) -> Job {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut inner = Vec::new();
        if twice {
            inner.reserve(Algo::NESTED.iter().map(|a| a.len() * 2).sum());
            for algo in Algo::NESTED {
                for digest in algo.outputs(text.as_bytes()) {
                    inner.extend(
                        digest.iter().flat_map(|&b| {
                            [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]
                        }),
                    );
                }
            }
        }
        Job {
            owner,
            text: text.into(),
            inner: inner.into_boxed_slice(),
        }
    }

    /// Each nested algorithm with the lowercase hex of its digest of the text: none unless
    /// the text is hashed twice.
    fn inner(&self) -> impl Iterator<Item = (Algo, &[u8])> {
        let mut rest = &self.inner[..];
        Algo::NESTED.into_iter().map_while(move |algo| {
            let (hex, tail) = rest.split_at_checked(algo.len() * 2)?;
            rest = tail;
            Some((algo, hex))
        })
    }
}

/// A digest by its first 16 bytes and its length: exact for md5, and a 2^-128 coincidence for
/// the longer ones, without a heap allocation per needle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct DigestKey([u8; 16], u8);

/// Digest bytes are uniformly random already: the key hashes as its first eight bytes.
impl Hash for DigestKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (head, _) = self.0.split_at(8);
        let mut word = [0u8; 8];
        word.copy_from_slice(head);
        state.write_u64(u64::from_le_bytes(word) ^ u64::from(self.1));
    }
}

impl DigestKey {
    fn of(bytes: &[u8]) -> Option<DigestKey> {
        let len = u8::try_from(bytes.len()).ok()?;
        let head = bytes.get(..16)?.try_into().ok()?;
        DIGEST_LENS
            .contains(&bytes.len())
            .then_some(DigestKey(head, len))
    }
}

/// The digests of one length, each with the range of its owners in `owners`.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Table {
    ranges: HashMap<DigestKey, (usize, usize), BuildHasherDefault<WordHasher>>,
    owners: Vec<Owner>,
}

/// Every customer's texts to hash, and the tables of the lengths looked up so far.
pub(super) struct Hashed {
    jobs: Vec<Job>,
    tables: [OnceLock<Result<Table, &'static str>>; DIGEST_LENS.len()],
}

impl Hashed {
    /// The digest needles of `jobs`, in the order the customers' forms gave them.
    pub fn new(jobs: Vec<Job>) -> Hashed {
        Hashed {
            jobs,
            tables: Default::default(),
        }
    }

    /// The texts to hash, in the order the customers' forms gave them.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// The owners of the digest `bytes`, if it is one of ours; the first lookup of a length
    /// builds that length's table. `Err` says why the length's digests are missing.
    pub fn owners(&self, bytes: &[u8]) -> Result<&[Owner], &'static str> {
        let Some(key) = DigestKey::of(bytes) else {
            return Ok(&[]);
        };
        let Some(slot) = DIGEST_LENS
            .iter()
            .position(|&len| len == bytes.len())
            .and_then(|i| self.tables.get(i))
        else {
            return Ok(&[]);
        };
        let table = slot.get_or_init(|| {
            std::panic::catch_unwind(|| Table::build(&self.jobs, bytes.len())).map_err(|_| PANICKED)
        });
        let table = table.as_ref().map_err(|why| *why)?;
        Ok(table
            .ranges
            .get(&key)
            .and_then(|&(start, end)| table.owners.get(start..end))
            .unwrap_or_default())
    }
}

impl Table {
    /// The table of the `len`-byte digests of `jobs`, hashed in chunks across the available
    /// CPUs and joined in job order: the table one thread builds.
    fn build(jobs: &[Job], len: usize) -> Table {
        let chunks = across_cpus(jobs, |chunk, _| digests(chunk, len));
        Table::of(chunks.into_iter().flatten().collect())
    }

    /// The table of `digests` sorted by key, each key's owners in the order added, the first
    /// form of a (customer, kind) winning (see [`grouped`]).
    fn of(mut digests: Vec<(DigestKey, Owner)>) -> Table {
        // A stable sort, which merges the chunks' sorted runs in linear time.
        digests.sort_by_key(|(key, _)| *key);
        let (keys, owners) = grouped(&digests);
        let ranges = keys
            .into_iter()
            .map(|(key, range)| (key, (range.start, range.end)))
            .collect();
        Table { ranges, owners }
    }
}

/// The `len`-byte digests of `jobs`, sorted by key: for each job, its algorithms of that
/// length in [`Algo::ALL`] order, then its nested pairs.
fn digests(jobs: &[Job], len: usize) -> Vec<(DigestKey, Owner)> {
    let algos: Vec<Algo> = Algo::ALL.into_iter().filter(|a| a.len() == len).collect();
    let outer: Vec<Algo> = Algo::NESTED
        .into_iter()
        .filter(|a| a.len() == len)
        .collect();
    let mut all = Vec::new();
    for job in jobs {
        let Label::Plain(form) = job.owner.label else {
            continue;
        };
        let mut add = |algo: Algo, inner: Option<Algo>, data: &[u8]| {
            let label = Label::Digest { algo, inner, form };
            for digest in algo.outputs(data) {
                if let Some(key) = DigestKey::of(&digest) {
                    all.push((key, Owner { label, ..job.owner }));
                }
            }
        };
        for &algo in &algos {
            add(algo, None, job.text.as_bytes());
        }
        for (inner, hex) in job.inner() {
            for &algo in &outer {
                add(algo, Some(inner), hex);
            }
        }
    }
    all.sort_by_key(|(key, _)| *key);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::ValueKind;

    fn job(customer: usize, text: &str, nested: bool) -> Job {
        let owner = Owner {
            customer,
            kind: ValueKind::Email,
            label: Label::Plain("email"),
            rot13: false,
            weak: None,
        };
        Job::new(owner, text, nested)
    }

    #[test]
    fn a_nested_job_holds_the_hex_of_each_nested_digest() {
        let twice = job(0, "anne@example.com", true);
        let inner: Vec<(Algo, String)> = twice
            .inner()
            .map(|(algo, hex)| (algo, String::from_utf8_lossy(hex).into_owned()))
            .collect();
        let expected: Vec<(Algo, String)> = Algo::NESTED
            .iter()
            .map(|&algo| {
                let digest = &algo.outputs(b"anne@example.com")[0];
                (algo, digest.iter().map(|b| format!("{b:02x}")).collect())
            })
            .collect();
        assert_eq!(inner, expected);
        assert_eq!(job(0, "anne@example.com", false).inner().count(), 0);
    }

    #[test]
    fn a_table_is_built_only_when_a_digest_of_its_length_is_looked_up() {
        let hashed = Hashed::new(vec![job(0, "anne@example.com", true)]);
        let built = |h: &Hashed| -> Vec<usize> {
            DIGEST_LENS
                .iter()
                .zip(&h.tables)
                .filter(|(_, t)| t.get().is_some())
                .map(|(&len, _)| len)
                .collect()
        };
        assert!(built(&hashed).is_empty());
        let sha256 = Algo::Sha256.outputs(b"anne@example.com").remove(0);
        let owners = hashed.owners(&sha256).expect("built");
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[0].label.to_string(), "sha256(email)");
        assert_eq!(built(&hashed), vec![32]);
        // Not a digest length: nothing is built.
        assert_eq!(hashed.owners(&[0u8; 17]), Ok(&[][..]));
        assert_eq!(built(&hashed), vec![32]);
        let md5_of_sha1 = Algo::Md5.outputs(
            job(0, "anne@example.com", true)
                .inner()
                .nth(1)
                .expect("sha1")
                .1,
        );
        let owners = hashed.owners(&md5_of_sha1[0]).expect("built");
        assert_eq!(owners[0].label.to_string(), "md5(sha1(email))");
        assert_eq!(built(&hashed), vec![16, 32]);
    }

    #[test]
    fn a_table_built_in_chunks_is_the_one_a_single_thread_builds() {
        let jobs: Vec<Job> = (0..40)
            .map(|i| job(i / 3, &format!("customer{}@example.com", i / 2), i % 5 == 0))
            .collect();
        for len in DIGEST_LENS {
            let single = Table::of(digests(&jobs, len));
            assert_eq!(Table::build(&jobs, len), single, "{len}-byte digests");
        }
    }

    #[test]
    fn every_algorithm_gives_digests_of_its_length() {
        for algo in Algo::ALL {
            for digest in algo.outputs(b"x") {
                assert_eq!(digest.len(), algo.len(), "{}", algo.name());
            }
            assert!(DIGEST_LENS.contains(&algo.len()), "{}", algo.name());
        }
    }
}
