//! Opening the gate through a turnstile controller's HTTP endpoint.

use std::time::Duration;

use super::{Event, OutputError};

/// Per request, connecting included.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(2);

/// Error bodies kept for the message.
const BODY_MAX: usize = 300;

pub(crate) fn client() -> Result<reqwest::Client, OutputError> {
    reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .connect_timeout(HTTP_TIMEOUT)
        .build()
        .map_err(OutputError::Client)
}

/// POSTs `{ticket, result, gate, direction, pulse_ms, check_document}` (plus `signal` for
/// feedback outputs); anything but 2xx is an error.
pub(crate) async fn post(
    client: &reqwest::Client,
    url: &str,
    event: &Event<'_>,
) -> Result<(), OutputError> {
    let mut body = serde_json::json!({
        "ticket": event.ticket,
        "result": event.result,
        "gate": event.gate,
        "direction": event.direction.as_str(),
        "pulse_ms": u64::try_from(event.pulse.as_millis()).unwrap_or(u64::MAX),
        "check_document": event.check_document,
    });
    if let (Some(signal), Some(obj)) = (event.signal, body.as_object_mut()) {
        obj.insert("signal".to_owned(), signal.into());
    }
    let http_err = |source| OutputError::Http {
        url: url.to_owned(),
        source,
    };
    let resp = client
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(http_err)?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let text = resp.text().await.unwrap_or_default();
    Err(OutputError::HttpStatus {
        url: url.to_owned(),
        status: status.as_u16(),
        body: text.trim().chars().take(BODY_MAX).collect(),
    })
}
