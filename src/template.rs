//! Jinja templates (minijinja) used in scenarios and bot config, with banter's filters.

use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::money::Money;

/// A template failed to compile or render.
#[derive(Debug, thiserror::Error)]
#[error("template `{source_text}`: {message}")]
pub struct TemplateError {
    /// The template text as written.
    pub source_text: String,
    /// What went wrong, from minijinja.
    pub message: String,
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_filter("usd", usd);
        env
    })
}

/// `{{ 2481.17 | usd }}` renders `$2,481.17`.
fn usd(value: f64) -> String {
    Money::from_dollars(value).usd()
}

fn error(source_text: &str, err: minijinja::Error) -> TemplateError {
    let mut message = err.kind().to_string();
    if let Some(detail) = err.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    TemplateError {
        source_text: source_text.to_string(),
        message,
    }
}

/// Checks that `source` is a well-formed template, without rendering it.
pub fn check_syntax(source: &str) -> Result<(), TemplateError> {
    if !source.contains("{{") && !source.contains("{%") {
        return Ok(());
    }
    environment()
        .template_from_str(source)
        .map(|_| ())
        .map_err(|err| error(source, err))
}

/// Renders `source` with `context`. Text without template syntax is returned as is.
pub fn render(source: &str, context: &Value) -> Result<String, TemplateError> {
    if !source.contains("{{") && !source.contains("{%") {
        return Ok(source.to_string());
    }
    environment()
        .render_str(source, context)
        .map_err(|err| error(source, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_usd_and_customer_fields() {
        let ctx = minijinja::context! { customer => minijinja::context! { first_name => "Ada", accounts => vec![minijinja::context!{ balance => 2481.17 }] } };
        assert_eq!(
            render(
                "Hi {{ customer.first_name }}: {{ customer.accounts[0].balance | usd }}",
                &ctx
            )
            .unwrap(),
            "Hi Ada: $2,481.17"
        );
    }

    #[test]
    fn undefined_variables_are_errors() {
        let err = render(
            "{{ customer.nope }}",
            &minijinja::context! { customer => minijinja::context!{} },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("customer.nope") || err.to_string().contains("undefined"),
            "{err}"
        );
        assert!(check_syntax("{{ unclosed").is_err());
        assert!(check_syntax("plain text").is_ok());
    }
}
