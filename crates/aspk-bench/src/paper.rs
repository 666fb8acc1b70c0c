//! The paper phases: entering ranges of 1,000 paper tickets and importing 10,000 entries
//! recorded by hand, each timed as one request end to end against the running server.

use std::time::Instant;

use anyhow::Context;
use hyper::StatusCode;
use serde::Serialize;

use crate::http::{path, Client, Target};

/// Paper tickets per entered range (the target: under a second).
pub const RANGE: u32 = 1_000;
/// Entries per import (the target: under two seconds).
pub const IMPORT: usize = 10_000;

/// What the paper phases measured.
#[derive(Debug, Clone, Serialize)]
pub struct PaperFigures {
    /// Each range of [`RANGE`] paper tickets entered, in milliseconds.
    pub range_ms: Vec<f64>,
    /// The import of `imported` recorded entries, in milliseconds.
    pub import_ms: f64,
    pub imported: u64,
}

/// Three batches of [`RANGE`] numbers, each entered as one sale for `slot`; then the last
/// [`IMPORT`] of `codes` (the admission phase scans from the front, so these were not
/// admitted yet: the usual recovery, where what was written down was not scanned) imported
/// as one list.
pub async fn paper(staff: &Target, slot: &str, codes: &[String]) -> anyhow::Result<PaperFigures> {
    let mut client = Client::new(staff.clone());
    let last = format!("{RANGE:04}");
    let mut range_ms = Vec::new();
    for series in ["БЕН", "БЕНА", "БЕНБ"] {
        let batch =
            serde_json::json!({"venue": "demo", "series": series, "first": "0001", "last": last});
        let (status, body) = client
            .post_json(&path("/api/v1/stock/batches"), &batch)
            .await?;
        anyhow::ensure!(
            status == StatusCode::CREATED,
            "a stock batch: {status} {body:?}"
        );
        let sale = serde_json::json!({"series": series, "numbers": format!("0001-{last}"),
            "product": "adult", "slot": slot, "payment": {"method": "cash"}});
        let started = Instant::now();
        let (status, body) = client
            .post_json(&path("/api/v1/stock/sales"), &sale)
            .await?;
        range_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(
            status == StatusCode::CREATED,
            "a paper sale: {status} {body:?}"
        );
    }
    let lines: Vec<&String> = codes.iter().rev().take(IMPORT).collect();
    let import = serde_json::json!({"venue": "demo", "lines": lines});
    let started = Instant::now();
    let (status, body) = client
        .post_json(&path("/api/v1/entries/import"), &import)
        .await?;
    let import_ms = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(status == StatusCode::OK, "an import: {status} {body:?}");
    let reply: serde_json::Value = serde_json::from_slice(&body).context("reading an import")?;
    Ok(PaperFigures {
        range_ms,
        import_ms,
        imported: reply["imported"].as_u64().unwrap_or(0),
    })
}
