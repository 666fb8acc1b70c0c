//! The HTTP client providers call their acquirers with, and how its failures map to
//! [`PayError`].

use std::time::Duration;

use crate::PayError;

pub(crate) fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .build()?)
}

/// A request that never got an answer.
pub(crate) fn unreachable(e: reqwest::Error) -> PayError {
    // Without the URL: query strings may carry ids, and the host is in the config anyway.
    PayError::Unreachable(e.without_url().to_string())
}

/// Reads an answer's body; 5xx is the provider being down, other non-2xx a refusal.
/// Returns the status with the body so callers can tell "not found" apart.
pub(crate) async fn body(resp: reqwest::Response) -> Result<(u16, String), PayError> {
    let status = resp.status();
    let text = resp.text().await.map_err(unreachable)?;
    if status.is_server_error() {
        return Err(PayError::Unreachable(format!(
            "HTTP {}: {}",
            status.as_u16(),
            excerpt(&text)
        )));
    }
    Ok((status.as_u16(), text))
}

/// The start of a provider's answer, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    text.chars().take(300).collect()
}

pub(crate) fn trim_base(base: &str) -> String {
    base.trim_end_matches('/').to_owned()
}
