//! The variables of a scenario's templates, and checking every template of the scenarios
//! against them before anything runs, so that `validate` and `run` agree on what is defined.

use std::sync::{Arc, OnceLock};

use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{context, Value};
use sha2::{Digest, Sha256};

use crate::customer::{Customer, CustomerSpec};
use crate::scenario::{Action, Scenario, ScenarioError};
use crate::sinks::SinkSpec;
use crate::template::{self, Template};

/// The conversation id of a scenario: stable for a seed and name.
pub(super) fn conversation_id(seed: u64, name: &str) -> String {
    let digest = Sha256::digest(format!("{seed}:{name}").as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("banter-{hex}")
}

/// What a scenario's templates see: `customer`, its accounts by alias (`checking`, …),
/// `authorization_code`, `conversation.id`, and the bot's variables (`bank`, `sinks`, …).
///
/// The accounts, with their whole history, are serialised only when a template first reads
/// them: most templates read a name or a balance, and a turn must not wait on the rest.
pub(super) fn scenario_context(
    seed: u64,
    name: &str,
    customer: &Arc<Customer>,
    bot: Value,
) -> Value {
    // `{{ checking.id }}`, `{{ savings.balance }}`, …: the customer's accounts by type.
    // `{{ payee.id }}`, `{{ payee_2.name }}`: the customer's payees, in order.
    let payees = crate::snapshot::payee_aliases(customer)
        .zip(&customer.payees)
        .map(|((alias, _), payee)| (alias, Value::from_serialize(payee)));
    let accounts = crate::snapshot::account_aliases(customer)
        .into_iter()
        .enumerate()
        .map(|(i, (alias, _))| (alias, Lazy::variable(customer, Part::Account(i))));
    let aliases = Value::from_iter(accounts.chain(payees));
    let own = context! {
        authorization_code => customer.authorization_code(),
        customer => customer_variable(customer),
        conversation => context! { id => conversation_id(seed, name) },
    };
    minijinja::value::merge_maps([own, aliases, bot])
}

/// `customer`: its fields, with its accounts serialised when first read.
fn customer_variable(customer: &Arc<Customer>) -> Value {
    let c = customer.as_ref();
    // Every field but the accounts, written out so that a field added to `Customer` is
    // added here too (the struct literal does not compile without it).
    let rest = Customer {
        id: c.id.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        date_of_birth: c.date_of_birth,
        ssn: c.ssn.clone(),
        address: c.address.clone(),
        token: c.token.clone(),
        consent: c.consent,
        accounts: Vec::new(),
        payees: c.payees.clone(),
    };
    let accounts = context! { accounts => Lazy::variable(customer, Part::Accounts) };
    // The last map holding a key gives its value.
    minijinja::value::merge_maps([Value::from_serialize(&rest), accounts])
}

/// What a [`Lazy`] variable holds of its customer.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// `customer.accounts`.
    Accounts,
    /// One account, by its index.
    Account(usize),
}

/// A part of a customer as a template variable, serialised when a template first reads it.
#[derive(Debug)]
struct Lazy {
    customer: Arc<Customer>,
    part: Part,
    value: OnceLock<Value>,
}

impl Lazy {
    /// `part` of `customer` as a template variable, not serialised yet.
    fn variable(customer: &Arc<Customer>, part: Part) -> Value {
        Value::from_object(Lazy {
            customer: customer.clone(),
            part,
            value: OnceLock::new(),
        })
    }

    fn value(&self) -> &Value {
        self.value.get_or_init(|| match self.part {
            Part::Accounts => Value::from_serialize(&self.customer.accounts),
            Part::Account(i) => Value::from_serialize(&self.customer.accounts[i]),
        })
    }
}

impl Object for Lazy {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.part {
            Part::Accounts => ObjectRepr::Seq,
            Part::Account(_) => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.value()
            .get_item(key)
            .ok()
            .filter(|item| !item.is_undefined())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.value().try_iter() {
            Ok(items) => Enumerator::Values(items.collect()),
            Err(_) => Enumerator::Empty,
        }
    }
}

/// A scenario's customer, with the name and spec it was generated from.
pub(super) struct Cast {
    name: String,
    spec: CustomerSpec,
    customer: Customer,
}

impl Cast {
    /// The customer `scenario` gets under `seed`.
    pub fn of(seed: u64, scenario: &Scenario) -> Cast {
        let spec = scenario.customer.spec();
        Cast {
            customer: Customer::generate(seed, &scenario.name, &spec),
            name: scenario.name.clone(),
            spec,
        }
    }

    /// The customer of `scenario` under `seed` (the seed this one was generated with): this
    /// one, unless the scenario was renamed or given another customer since.
    pub fn customer_for(self, seed: u64, scenario: &Scenario) -> Customer {
        if self.name == scenario.name && self.spec == scenario.customer.spec() {
            self.customer
        } else {
            Cast::of(seed, scenario).customer
        }
    }
}

/// Renders every template of `scenarios` with the variables the run will give it (the
/// scenario's own customer under `seed`; the bot's variables with placeholder values), so an
/// undefined variable is reported where it is written instead of failing the run. Returns
/// each scenario's customer, for the run.
pub(super) fn check_templates(
    scenarios: &[Scenario],
    seed: u64,
    sinks: &[SinkSpec],
) -> Result<Vec<Cast>, ScenarioError> {
    let placeholder = "http://127.0.0.1:0";
    let sinks = Value::from_iter(sinks.iter().map(|s| {
        (
            s.name.clone(),
            context! { url => placeholder, kind => s.kind },
        )
    }));
    // `port`, `graph` and `messenger` exist only for some bots; they are allowed everywhere.
    let bot = context! {
        bank => context! { url => placeholder },
        sinks => sinks,
        port => 0,
        graph => context! { url => placeholder },
        messenger => context! { app_secret => "", verify_token => "", page_token => "" },
    };
    // Generating a customer takes most of the check: the customers are made on every CPU.
    let made = crate::chunks::across_cpus(scenarios, |chunk, _| {
        chunk.iter().map(|s| Cast::of(seed, s)).collect::<Vec<_>>()
    });
    let mut casts = Vec::with_capacity(scenarios.len());
    for (scenario, cast) in scenarios.iter().zip(made.into_iter().flatten()) {
        let Cast {
            name,
            spec,
            customer,
        } = cast;
        let customer = Arc::new(customer);
        let context = scenario_context(seed, &scenario.name, &customer, bot.clone());
        for (i, step) in scenario.steps.iter().enumerate() {
            for (field, template) in step_templates(step) {
                if let Err(e) = template::render(template.as_str(), &context) {
                    return Err(located(
                        scenario,
                        template.as_str(),
                        format!("steps[{i}].{field}: {e}"),
                    ));
                }
            }
            let balances = step.bank.iter().flat_map(|b| b.balances.keys());
            for account in balances {
                let id = crate::check::money::resolve(account, &context);
                if customer.account(&id).is_none() {
                    let message = format!(
                        "steps[{i}].bank.balances: the customer has no account `{account}` (write an alias such as `checking`, or an account id)"
                    );
                    return Err(located(scenario, account, message));
                }
            }
        }
        drop(context);
        casts.push(Cast {
            name,
            spec,
            customer: Arc::unwrap_or_clone(customer),
        });
    }
    Ok(casts)
}

/// Every template of a step, with the field it is written in.
fn step_templates(step: &crate::scenario::Step) -> Vec<(&'static str, &Template)> {
    let mut templates = Vec::new();
    if let Action::Message(input) = &step.action {
        templates.push(("user", input.template()));
    }
    if let Some(bot) = &step.bot {
        let lists = [
            ("bot.contains", bot.contains.as_slice()),
            ("bot.contains_any", &bot.contains_any),
            ("bot.not_contains", bot.not_contains.as_slice()),
            ("bot.quick_replies", bot.quick_replies.as_slice()),
            ("bot.buttons", bot.buttons.as_slice()),
            ("bot.equals", bot.equals.as_slice()),
        ];
        if let Some(receipt) = &bot.receipt {
            let fields = [&receipt.total, &receipt.recipient, &receipt.order];
            templates.extend(fields.into_iter().flatten().map(|t| ("bot.receipt", t)));
        }
        for (field, list) in lists {
            templates.extend(list.iter().map(|t| (field, t)));
        }
    }
    if let Some(bank) = &step.bank {
        templates.extend(bank.called.iter().map(|c| ("bank.called", &c.path)));
        templates.extend(bank.not_called.iter().map(|c| ("bank.not_called", &c.path)));
        for moved in bank.moved.iter().flatten() {
            templates.extend(moved.from.iter().map(|t| ("bank.moved.from", t)));
            templates.push(("bank.moved.to", &moved.to));
        }
    }
    templates
}

/// The error at the place of what is `written` in the file: its first occurrence from the scenario's
/// line on, or the scenario's line when the file no longer holds it as written.
fn located(scenario: &Scenario, written: &str, message: String) -> ScenarioError {
    let origin = &scenario.origin;
    let text = std::fs::read_to_string(&origin.file).unwrap_or_default();
    let (line, column) = text
        .lines()
        .enumerate()
        .skip(origin.line.saturating_sub(1))
        .find_map(|(i, line)| {
            line.find(written)
                .map(|at| (i + 1, line[..at].chars().count() + 1))
        })
        .unwrap_or((origin.line.max(1), 1));
    ScenarioError::Invalid {
        path: origin.file.clone(),
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::CustomerSpec;

    /// The variables as they were before the accounts became lazy: everything serialised.
    fn eager(customer: &Customer) -> Value {
        let accounts = crate::snapshot::account_aliases(customer)
            .into_iter()
            .map(|(alias, account)| (alias, Value::from_serialize(account)));
        let own = context! { customer => Value::from_serialize(customer) };
        minijinja::value::merge_maps([own, Value::from_iter(accounts)])
    }

    #[test]
    fn lazy_accounts_render_as_the_serialised_customer_does() {
        let customer = Arc::new(Customer::generate(3, "lazy", &CustomerSpec::default()));
        let lazy = scenario_context(3, "lazy", &customer, context! {});
        let eager = eager(&customer);
        let templates = [
            "{{ customer.first_name }} {{ customer.address.city }} {{ customer.payees[0].name }}",
            "{{ customer.accounts[0].balance }} {{ customer.accounts[-1].id }}",
            "{{ customer.accounts | length }} {{ checking.transactions | length }}",
            "{% for a in customer.accounts %}{{ a.id }}:{{ a.type }};{% endfor %}",
            "{{ checking.id }} {{ checking.transactions[0].merchant }} {{ checking.balance | usd }}",
            "{% for t in checking.transactions[:3] %}{{ t.amount }},{% endfor %}",
            "{{ checking }}",
            "{{ customer.accounts[0] }}",
            "{{ customer.accounts[0].missing is undefined }} {{ checking.missing is undefined }}",
            "{{ customer.accounts[9] is undefined }}",
            "{{ customer | length }} {{ customer.accounts is sequence }} {{ checking is mapping }}",
        ];
        for source in templates {
            let want = template::render(source, &eager).unwrap();
            assert_eq!(template::render(source, &lazy).unwrap(), want, "{source}");
        }
        assert!(!customer.accounts[0].transactions.is_empty());
    }

    #[test]
    fn a_scenario_changed_after_its_check_gets_its_own_customer() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yaml");
        let yaml = "name: first\nsteps:\n  - user: \"hi {{ customer.first_name }}\"\n";
        std::fs::write(&file, yaml).unwrap();
        let mut scenarios = crate::scenario::load_paths(&[&file]).unwrap();
        let kept = Customer::generate(5, "first", &CustomerSpec::default());
        let checked = || {
            check_templates(&scenarios, 5, &[])
                .unwrap()
                .into_iter()
                .next()
        };
        let cast = checked().unwrap();
        assert_eq!(cast.customer_for(5, &scenarios[0]), kept);
        let cast = checked().unwrap();
        scenarios[0].name = "renamed".into();
        let renamed = Customer::generate(5, "renamed", &CustomerSpec::default());
        assert_eq!(cast.customer_for(5, &scenarios[0]), renamed);
        assert_ne!(renamed, kept);
    }
}
