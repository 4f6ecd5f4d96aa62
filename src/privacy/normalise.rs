//! The forms of a customer's identity values that the detector searches for: as written and
//! as people write them elsewhere (plaintext needles, each also hashed), and as each ad
//! platform normalises a field before hashing it (digest needles only).
//!
//! The platform tables follow the platforms' documentation: Meta's Conversions API customer
//! information parameters, Google Ads enhanced conversions, and Snap's Conversions API user
//! data (which follows Meta's rules).

use chrono::NaiveDate;

use super::ValueKind;
use crate::customer::Customer;

/// One form of one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Form {
    pub kind: ValueKind,
    /// The needle label: `lower(email)`, `compact(city)`.
    pub label: &'static str,
    pub text: String,
    /// Searched as plaintext (case-insensitively) as well as hashed.
    pub plain: bool,
    pub hash: Hash,
    /// A warning candidate equal to it is a known value, not an unknown one.
    pub known: bool,
}

/// How a form's digests are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hash {
    /// Not hashed (a fragment: the local part of an email).
    No,
    /// Hashed once by every algorithm.
    Once,
    /// Also a hash of its lowercase-hex hash (`sha256(md5(email))`).
    Twice,
    /// Hashed, but a digest counts only under a key that names the kind (`st`, `country`):
    /// the value is shared by too many people to mean this customer anywhere else.
    UnderKey,
}

impl Form {
    fn new(kind: ValueKind, label: &'static str, text: impl Into<String>) -> Form {
        Form {
            kind,
            label,
            text: text.into(),
            plain: true,
            hash: Hash::Once,
            known: false,
        }
    }

    fn hash(mut self, hash: Hash) -> Form {
        self.hash = hash;
        self
    }

    fn hashed_only(mut self) -> Form {
        self.plain = false;
        self
    }

    fn plain_only(mut self) -> Form {
        self.hash = Hash::No;
        self
    }

    fn known(mut self) -> Form {
        self.known = true;
        self
    }
}

/// Latin-1 accented letters and their unaccented ASCII letter.
const FOLD: [(&str, char); 16] = [
    ("ÀÁÂÃÄÅ", 'A'),
    ("àáâãäå", 'a'),
    ("Ç", 'C'),
    ("ç", 'c'),
    ("ÈÉÊË", 'E'),
    ("èéêë", 'e'),
    ("ÌÍÎÏ", 'I'),
    ("ìíîï", 'i'),
    ("Ñ", 'N'),
    ("ñ", 'n'),
    ("ÒÓÔÕÖØ", 'O'),
    ("òóôõöø", 'o'),
    ("ÙÚÛÜ", 'U'),
    ("ùúûü", 'u'),
    ("Ý", 'Y'),
    ("ýÿ", 'y'),
];

/// `text` with Latin-1 accents stripped: "José" → "Jose".
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| {
            FOLD.iter()
                .find(|(set, _)| set.contains(c))
                .map_or(c, |&(_, a)| a)
        })
        .collect()
}

/// A normalisation rule a platform documents for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rule {
    /// Trimmed, lowercased.
    Lower,
    /// Lowercased, with every character that is not a letter or digit removed (spaces and
    /// punctuation): Meta's `ct`, and its `fn`/`ln` "no punctuation".
    Compact,
    /// Lowercased, with runs of spaces collapsed to one (Google's first name).
    LowerSpaced,
    /// Digits only, country code included (Meta's and Snap's `ph`).
    Digits,
    /// `+` and the digits (E.164, Google's phone).
    E164,
    /// Lowercased, Gmail and Googlemail local parts without dots (Google's email).
    GmailNoDots,
    /// Lowercased, without spaces or dashes, a US zip cut to its first five digits.
    Zip5,
    /// YYYYMMDD.
    Yyyymmdd,
    /// As given, trimmed (`external_id`).
    Trim,
}

impl Rule {
    pub fn apply(self, value: &str) -> String {
        let value = value.trim();
        match self {
            Rule::Lower => value.to_lowercase(),
            Rule::Compact => value
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect(),
            Rule::LowerSpaced => value
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            Rule::Digits => value.chars().filter(char::is_ascii_digit).collect(),
            Rule::E164 => format!("+{}", Rule::Digits.apply(value)),
            Rule::GmailNoDots => {
                let lower = value.to_lowercase();
                match lower.split_once('@') {
                    Some((local, domain @ ("gmail.com" | "googlemail.com"))) => {
                        format!("{}@{domain}", local.replace('.', ""))
                    }
                    _ => lower,
                }
            }
            Rule::Zip5 => {
                let compact: String = value
                    .to_lowercase()
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '-'))
                    .collect();
                let us = compact.len() == 9 && compact.bytes().all(|b| b.is_ascii_digit());
                if us {
                    compact.chars().take(5).collect()
                } else {
                    compact
                }
            }
            Rule::Yyyymmdd => value.replace('-', ""),
            Rule::Trim => value.to_owned(),
        }
    }
}

/// A field of a customer that platforms hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Email,
    Phone,
    FirstName,
    LastName,
    DateOfBirth,
    Street,
    City,
    State,
    Zip,
    Country,
    ExternalId,
}

impl Field {
    pub fn kind(self) -> ValueKind {
        match self {
            Field::Email => ValueKind::Email,
            Field::Phone => ValueKind::Phone,
            Field::FirstName | Field::LastName => ValueKind::Name,
            Field::DateOfBirth => ValueKind::DateOfBirth,
            Field::Street | Field::City | Field::State | Field::Zip | Field::Country => {
                ValueKind::Address
            }
            Field::ExternalId => ValueKind::Token,
        }
    }

    /// The customer's value of this field, before normalisation. Customers are US residents.
    pub fn of(self, c: &Customer) -> String {
        match self {
            Field::Email => c.email.clone(),
            Field::Phone => c.phone.clone(),
            Field::FirstName => c.first_name.clone(),
            Field::LastName => c.last_name.clone(),
            Field::DateOfBirth => c.date_of_birth.format("%Y-%m-%d").to_string(),
            Field::Street => c.address.street.clone(),
            Field::City => c.address.city.clone(),
            Field::State => c.address.state.clone(),
            Field::Zip => c.address.zip.clone(),
            Field::Country => "US".to_owned(),
            Field::ExternalId => c.id.clone(),
        }
    }
}

/// One hashed field of a platform: its key there, the customer field, the platform's
/// normalisation, and the needle label of the result.
#[derive(Debug, Clone, Copy)]
pub(super) struct PlatformField {
    pub key: &'static str,
    pub field: Field,
    pub rule: Rule,
    pub label: &'static str,
}

const fn field(key: &'static str, field: Field, rule: Rule, label: &'static str) -> PlatformField {
    PlatformField {
        key,
        field,
        rule,
        label,
    }
}

/// The fields Meta's Conversions API takes hashed, with its rules; Snap's Conversions API
/// takes the same keys with the same rules. Gender (`ge`) is left out: customers have none.
pub(super) const CAPI: [PlatformField; 11] = {
    use Field::*;
    use Rule::*;
    [
        field("em", Email, Lower, "lower(email)"),
        field("ph", Phone, Digits, "digits(phone)"),
        field("fn", FirstName, Compact, "compact(first_name)"),
        field("ln", LastName, Compact, "compact(last_name)"),
        field("db", DateOfBirth, Yyyymmdd, "yyyymmdd(date_of_birth)"),
        field("ct", City, Compact, "compact(city)"),
        field("st", State, Lower, "lower(state)"),
        field("zp", Zip, Zip5, "zip5(zip)"),
        field("country", Country, Lower, "lower(country)"),
        field("external_id", ExternalId, Trim, "external_id"),
        field("external_id", ExternalId, Lower, "lower(external_id)"),
    ]
};

/// The fields Google Ads enhanced conversions take hashed, with its rules.
pub(super) const GOOGLE: [PlatformField; 5] = {
    use Field::*;
    use Rule::*;
    [
        field("sha256_email_address", Email, GmailNoDots, "nodots(email)"),
        field("sha256_phone_number", Phone, E164, "e164(phone)"),
        field(
            "sha256_first_name",
            FirstName,
            LowerSpaced,
            "lower(first_name)",
        ),
        field("sha256_last_name", LastName, Compact, "compact(last_name)"),
        field("sha256_street_address", Street, Lower, "lower(street)"),
    ]
};

/// CAPI keys whose values many customers share (a state, the country): their digests count
/// only under such a key.
const SHARED_KEYS: [&str; 2] = ["st", "country"];

/// Every form of a customer's identity values: the general forms first, so that a digest
/// shared with a platform form carries the general label.
pub(super) fn identity_forms(c: &Customer) -> Vec<Form> {
    let mut forms = Vec::new();
    email(&mut forms, &c.email);
    phone(&mut forms, &c.phone);
    names(&mut forms, c);
    date_of_birth(&mut forms, c.date_of_birth);
    address(&mut forms, c);
    for platform in CAPI.iter().chain(&GOOGLE) {
        let text = platform.rule.apply(&platform.field.of(c));
        let shared = SHARED_KEYS.contains(&platform.key);
        let hash = if shared { Hash::UnderKey } else { Hash::Once };
        forms.push(
            Form::new(platform.field.kind(), platform.label, text)
                .hashed_only()
                .hash(hash),
        );
    }
    forms
}

fn email(forms: &mut Vec<Form>, email: &str) {
    let email = email.trim();
    if email.is_empty() {
        return;
    }
    let lower = email.to_lowercase();
    // Case-insensitive matching covers the lowercased and upper-case forms.
    let hash = if email == lower {
        Hash::No
    } else {
        Hash::Twice
    };
    forms.push(Form::new(ValueKind::Email, "email", email).hash(hash));
    forms.push(
        Form::new(ValueKind::Email, "lower(email)", lower.clone())
            .hashed_only()
            .hash(Hash::Twice)
            .known(),
    );
    let Some((local, _)) = lower.split_once('@') else {
        return;
    };
    if local.chars().count() >= 5 {
        forms.push(Form::new(ValueKind::Email, "local(email)", local).plain_only());
    }
    let nodots = Rule::GmailNoDots.apply(&lower);
    if nodots != lower {
        forms.push(
            Form::new(ValueKind::Email, "nodots(email)", nodots)
                .hash(Hash::Twice)
                .known(),
        );
    }
}

fn phone(forms: &mut Vec<Form>, phone: &str) {
    let digits = Rule::Digits.apply(phone);
    if digits.is_empty() {
        return;
    }
    let kind = ValueKind::Phone;
    forms.push(Form::new(kind, "e164(phone)", Rule::E164.apply(phone)).hash(Hash::Twice));
    forms.push(
        Form::new(kind, "digits(phone)", digits.clone())
            .hash(Hash::Twice)
            .known(),
    );
    // National forms for NANP numbers (+1 and ten digits).
    let Some(national) = digits.strip_prefix('1').filter(|n| n.len() == 10) else {
        return;
    };
    forms.push(
        Form::new(kind, "national(phone)", national)
            .hash(Hash::Twice)
            .known(),
    );
    let (area, rest) = national.split_at(3);
    let (exchange, line) = rest.split_at(3);
    forms.push(Form::new(
        kind,
        "formatted(phone)",
        format!("({area}) {exchange}-{line}"),
    ));
    forms.push(Form::new(
        kind,
        "dashed(phone)",
        format!("{area}-{exchange}-{line}"),
    ));
    forms.push(Form::new(
        kind,
        "dotted(phone)",
        format!("{area}.{exchange}.{line}"),
    ));
}

/// First, last and full name, as given and with accents stripped; hashed as given and
/// lowercased.
fn names(forms: &mut Vec<Form>, c: &Customer) {
    let full_name = c.full_name();
    let names = [
        ("first_name", "lower(first_name)", c.first_name.as_str()),
        ("last_name", "lower(last_name)", c.last_name.as_str()),
        ("full_name", "lower(full_name)", full_name.as_str()),
    ];
    for (label, lower_label, name) in names {
        let name = name.trim();
        let folded = fold(name);
        let kind = ValueKind::Name;
        forms.push(Form::new(kind, lower_label, name.to_lowercase()).hashed_only());
        forms.push(Form::new(kind, label, name));
        forms.push(Form::new(kind, lower_label, folded.to_lowercase()).hashed_only());
        forms.push(Form::new(kind, label, folded));
    }
}

fn date_of_birth(forms: &mut Vec<Form>, dob: NaiveDate) {
    for (label, pattern) in [
        ("yyyymmdd(date_of_birth)", "%Y%m%d"),
        ("yyyy-mm-dd(date_of_birth)", "%Y-%m-%d"),
        ("mm/dd/yyyy(date_of_birth)", "%m/%d/%Y"),
        ("dd/mm/yyyy(date_of_birth)", "%d/%m/%Y"),
    ] {
        let text = dob.format(pattern).to_string();
        forms.push(Form::new(ValueKind::DateOfBirth, label, text));
    }
}

/// Street, city and zip, as given and lowercased.
fn address(forms: &mut Vec<Form>, c: &Customer) {
    let a = &c.address;
    for (label, lower_label, value) in [
        ("street", "lower(street)", a.street.trim()),
        ("city", "lower(city)", a.city.trim()),
        ("zip", "zip", a.zip.trim()),
    ] {
        let kind = ValueKind::Address;
        forms.push(Form::new(kind, lower_label, value.to_lowercase()).hashed_only());
        forms.push(Form::new(kind, label, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_follow_the_platforms_examples() {
        use Rule::*;
        let cases = [
            (Lower, " John_Smith@Gmail.com ", "john_smith@gmail.com"),
            (Digits, "+1 (650) 555-1212", "16505551212"),
            (E164, "(1) 650 555-1212", "+16505551212"),
            (Compact, "San Francisco", "sanfrancisco"),
            (Compact, "O'Brien-Smith", "obriensmith"),
            (Compact, "Valéry", "valéry"),
            (LowerSpaced, "  Mary   Ann ", "mary ann"),
            (GmailNoDots, "Jane.Doe@GMAIL.com", "janedoe@gmail.com"),
            (GmailNoDots, "jane.doe@example.com", "jane.doe@example.com"),
            (Zip5, "94107-1234", "94107"),
            (Zip5, "SW1A 1AA", "sw1a1aa"),
            (Yyyymmdd, "1985-03-07", "19850307"),
            (Trim, " cus_01ab ", "cus_01ab"),
        ];
        for (rule, input, expected) in cases {
            assert_eq!(rule.apply(input), expected, "{rule:?} {input}");
        }
    }
}
