//! Jinja templates (minijinja) used in scenarios and bot config, with banter's filters: checked
//! templates as scenarios and `banter.yaml` write them, and `METHOD /path` call patterns.

use std::fmt;
use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Deserialize;

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

/// A Jinja template whose syntax has been checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
pub struct Template(String);

impl Template {
    /// The template text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Template {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        check_syntax(&text).map_err(|e| e.to_string())?;
        Ok(Template(text))
    }
}

impl From<&str> for Template {
    /// For built-in defaults that are known to be valid.
    fn from(text: &str) -> Self {
        Template(text.to_string())
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bank call pattern, `METHOD /path`, where the path is a template and then a glob.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
pub struct CallPattern {
    /// `GET`, `POST`, …, or `*` for any.
    pub method: String,
    /// The path template, e.g. `/fdx/v6/accounts/{{ customer.accounts[0].id }}`.
    pub path: Template,
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "*"];

impl TryFrom<String> for CallPattern {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let shape =
            || format!("expected `METHOD /path`, such as `GET /fdx/v6/accounts`, got `{text}`");
        let (method, path) = text
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(shape)?;
        let method = method.to_ascii_uppercase();
        let path = path.trim();
        if !METHODS.contains(&method.as_str()) || !path.starts_with('/') {
            return Err(shape());
        }
        Ok(CallPattern {
            method,
            path: Template::try_from(path.to_string())?,
        })
    }
}

impl fmt::Display for CallPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_patterns_parse_and_reject() {
        let p = CallPattern::try_from("get /fdx/v6/accounts".to_string()).unwrap();
        assert_eq!(p.method, "GET");
        assert!(CallPattern::try_from("/fdx/v6/accounts".to_string()).is_err());
        assert!(CallPattern::try_from("FETCH /x".to_string()).is_err());
    }

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
