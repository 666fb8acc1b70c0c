use serde::{Deserialize, Serialize};

/// A value that failed validation; the message names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A short lowercase identifier chosen by people: `demo`, `adult`, `reduced-student`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 40;

    /// A slug that was validated before, e.g. read back from the derived state's interned
    /// names. Input from outside goes through [`Slug::parse`].
    pub fn trusted(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let ok_char =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(ValidationError::new(
                field,
                format!("must be 1 to {} characters", Self::MAX_LEN),
            ));
        }
        if !raw.chars().all(ok_char) {
            return Err(ValidationError::new(
                field,
                "may hold only a-z, 0-9, '-' and '_'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, checked for shape only (the mail server has the last word).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        let bad = || ValidationError::new("email", "is not an e-mail address");
        if raw.len() > Self::MAX_LEN {
            return Err(ValidationError::new(
                "email",
                "is longer than 254 characters",
            ));
        }
        let (local, domain) = raw.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty()
            || !domain_ok
            || raw.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Text shown to people, in Ukrainian and English. Ukrainian is required, English falls back to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Localized {
    pub uk: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub en: String,
}

impl Localized {
    pub const MAX_LEN: usize = 200;

    pub fn new(uk: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            uk: uk.into(),
            en: en.into(),
        }
    }

    pub fn validate(&self, field: &'static str) -> Result<(), ValidationError> {
        if self.uk.trim().is_empty() {
            return Err(ValidationError::new(field, "needs a Ukrainian text"));
        }
        for text in [&self.uk, &self.en] {
            if text.chars().count() > Self::MAX_LEN {
                return Err(ValidationError::new(
                    field,
                    format!("is longer than {} characters", Self::MAX_LEN),
                ));
            }
            if text.chars().any(char::is_control) {
                return Err(ValidationError::new(field, "contains control characters"));
            }
        }
        Ok(())
    }

    /// The text in `lang` (`"en"` or anything else for Ukrainian).
    pub fn get(&self, lang: &str) -> &str {
        if lang == "en" && !self.en.is_empty() {
            &self.en
        } else {
            &self.uk
        }
    }
}
