//! The simulated customers: `--customers N` synthetic people for each customer profile the
//! scenarios declare (their `customer:` block), generated once from the seed. Conversation
//! `j` is with customer `j mod N` of its scenario's profile; a customer is in one
//! conversation at a time. `--shard K/N` takes the customers whose number is `K - 1` modulo N.

use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::customer::{Customer, CustomerSpec};
use crate::runner::Shard;
use crate::scenario::Scenario;

/// Every customer of a simulation, by profile.
pub struct Population {
    /// Customers per profile.
    per_profile: usize,
    /// The profile of each scenario (an index into `profiles`).
    profile_of: Vec<usize>,
    /// All customers: profile 0's in number order, then profile 1's, …
    customers: Vec<Arc<Customer>>,
    /// One lock per customer, held for a conversation.
    busy: Vec<Arc<Mutex<()>>>,
    shard: Option<Shard>,
}

/// How reports name customer `number` of `profile` (of `profiles`).
fn name(number: usize, profile: usize, profiles: usize) -> String {
    if profiles == 1 {
        format!("customer {number}")
    } else {
        format!("customer {number} (profile {})", profile + 1)
    }
}

impl Population {
    /// `per_profile` customers for each distinct customer profile of `scenarios`.
    pub fn new(
        seed: u64,
        scenarios: &[Scenario],
        per_profile: usize,
        shard: Option<Shard>,
    ) -> Population {
        let mut profiles: Vec<CustomerSpec> = Vec::new();
        let profile_of = scenarios
            .iter()
            .map(|s| {
                let spec = s.customer.spec();
                profiles.iter().position(|p| *p == spec).unwrap_or_else(|| {
                    profiles.push(spec);
                    profiles.len() - 1
                })
            })
            .collect();
        let count = profiles.len();
        let customers = profiles
            .iter()
            .enumerate()
            .flat_map(|(p, spec)| {
                (0..per_profile)
                    .map(move |n| Arc::new(Customer::generate(seed, &name(n, p, count), spec)))
            })
            .collect::<Vec<_>>();
        let busy = customers.iter().map(|_| Arc::new(Mutex::new(()))).collect();
        Population {
            per_profile,
            profile_of,
            customers,
            busy,
            shard,
        }
    }

    /// Every customer, in the order of their indexes.
    pub fn customers(&self) -> &[Arc<Customer>] {
        &self.customers
    }

    /// The names of every customer, in order.
    pub fn names(&self) -> Vec<String> {
        let profiles = self.customers.len() / self.per_profile.max(1);
        (0..self.customers.len())
            .map(|i| name(i % self.per_profile, i / self.per_profile, profiles))
            .collect()
    }

    /// The customer's number within its profile for conversation `conversation`.
    pub fn number(&self, conversation: u64) -> usize {
        (conversation % self.per_profile as u64) as usize
    }

    /// Whether this shard holds conversation `conversation` (by its customer's number).
    pub fn holds(&self, conversation: u64) -> bool {
        let number = self.number(conversation) as u64;
        self.shard.is_none_or(|shard| shard.holds_number(number))
    }

    /// The index of conversation `conversation`'s customer when it plays `scenario`.
    pub fn index(&self, conversation: u64, scenario: usize) -> usize {
        self.profile_of[scenario] * self.per_profile + self.number(conversation)
    }

    /// Waits until customer `index` is in no conversation, and gives the customer, held
    /// until the guard is dropped.
    pub async fn take(&self, index: usize) -> (Arc<Customer>, OwnedMutexGuard<()>) {
        let held = Arc::clone(&self.busy[index]).lock_owned().await;
        (self.customers[index].clone(), held)
    }
}
