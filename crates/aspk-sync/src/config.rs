//! A site node's link to its upstream, kept in the data folder as `upstream.json` after the
//! first successful enrolment (then `--enrol` is no longer needed).

use std::path::Path;

use aspk_app::DataDir;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpstreamConfig {
    /// Endpoints in order of preference.
    pub urls: Vec<String>,
    pub node_id: String,
    pub token: String,
    pub venue: String,
    pub key_id: u16,
    pub serials: (u64, u64),
}

const FILE: &str = "upstream.json";

impl UpstreamConfig {
    pub fn load(data: &DataDir) -> anyhow::Result<Option<UpstreamConfig>> {
        let path = data.path().join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(
                serde_json::from_slice(&bytes)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
        }
    }

    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(self)?;
        aspk_app::write_private(&dir.join(FILE), &bytes)
            .map_err(|e| anyhow::anyhow!("saving {FILE}: {e}"))
    }
}

#[derive(Deserialize)]
struct Redeemed {
    node_id: String,
    token: String,
    venue: String,
    key_id: Option<u16>,
    serials: Option<(u64, u64)>,
}

/// First start of a site node: makes its own ticket key, presents the enrolment code with
/// the public half, stores the delegated key and the node token.
pub async fn enrol(
    urls: &[String],
    code: &str,
    data: &DataDir,
    name: &str,
) -> anyhow::Result<UpstreamConfig> {
    let seed: [u8; 32] = rand::random();
    let public = aspk_ticket::IssuerKey::from_bytes(0, &seed)
        .public()
        .to_bytes();
    let origin = data.origin().map_err(|e| anyhow::anyhow!("{e}"))?;
    let body = serde_json::json!({
        "code": code,
        "name": name,
        "origin": origin,
        "public_key": public.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    });
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    let mut last_error = String::new();
    for url in urls {
        let response = match http
            .post(format!("{url}/api/v1/enrolments/redeem"))
            .json(&body)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                last_error = format!("{url}: {e}");
                continue;
            }
        };
        if !response.status().is_success() {
            let detail = response.text().await.unwrap_or_default();
            anyhow::bail!("enrolment refused by {url}: {detail}");
        }
        let r: Redeemed = response.json().await?;
        let (Some(key_id), Some(serials)) = (r.key_id, r.serials) else {
            anyhow::bail!("{url} did not delegate a ticket key: is the code for a site node?");
        };
        data.store_ticket_key(key_id, &seed)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let config = UpstreamConfig {
            urls: urls.to_vec(),
            node_id: r.node_id,
            token: r.token,
            venue: r.venue,
            key_id,
            serials,
        };
        config.save(data.path())?;
        return Ok(config);
    }
    anyhow::bail!("cannot reach any upstream to enrol ({last_error})")
}
