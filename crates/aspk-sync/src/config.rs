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
    /// `site_node` or `gate`.
    #[serde(default = "site_node")]
    pub role: String,
    /// The delegated ticket key (site nodes; 0 for gates, which never sell).
    pub key_id: u16,
    pub serials: (u64, u64),
    /// The organisation's root keys (id, 64 hex digits) given at enrolment.
    #[serde(default)]
    pub trust_anchors: Vec<(u16, String)>,
    /// A renewed ticket key (id, serials) the upstream delegated, used once its publication
    /// has reached this node (see `renew.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_key: Option<(u16, (u64, u64))>,
}

impl UpstreamConfig {
    /// The trust anchors as key bytes, for [`aspk_app::Node::set_trust_anchors`].
    pub fn anchors(&self) -> Vec<(u16, [u8; 32])> {
        self.trust_anchors
            .iter()
            .filter_map(|(id, hex)| aspk_app::parse_hex32(hex).map(|bytes| (*id, bytes)))
            .collect()
    }
}

fn site_node() -> String {
    "site_node".to_owned()
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

    pub(crate) fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(self)?;
        aspk_app::write_private(&dir.join(FILE), &bytes)
            .map_err(|e| anyhow::anyhow!("saving {FILE}: {e}"))
    }
}

#[derive(Deserialize)]
struct Redeemed {
    node_id: String,
    role: String,
    token: String,
    venue: String,
    key_id: Option<u16>,
    serials: Option<(u64, u64)>,
    #[serde(default)]
    trust_anchors: Vec<Anchor>,
}

#[derive(Deserialize)]
struct Anchor {
    key_id: u16,
    public_key: String,
}

/// First start of a site node or gate: presents the enrolment code and the public half of
/// the key it made (a site node's becomes its delegated ticket key; a gate signs its ops
/// with it), stores the node token and the key.
pub async fn enrol(
    urls: &[String],
    code: &str,
    data: &DataDir,
    name: &str,
    role: &str,
) -> anyhow::Result<UpstreamConfig> {
    let wants_key = role == "site_node";
    let seed: [u8; 32] = rand::random();
    let public = aspk_ticket::IssuerKey::from_bytes(0, &seed)
        .public()
        .to_bytes();
    let origin = data.origin().map_err(|e| anyhow::anyhow!("{e}"))?;
    let public_hex = aspk_app::to_hex(&public);
    let body = serde_json::json!({
        "code": code,
        "name": name,
        "origin": origin,
        "public_key": public_hex,
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
        anyhow::ensure!(
            r.role == role,
            "the enrolment code is for a {}, not a {role}",
            r.role
        );
        let (key_id, serials) = match (r.key_id, r.serials) {
            (Some(key_id), Some(serials)) => {
                data.store_ticket_key(key_id, &seed)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                (key_id, serials)
            }
            _ if wants_key => anyhow::bail!("{url} did not delegate a ticket key"),
            _ => {
                // A gate's own key (id 0): it signs the gate's ops, never tickets.
                data.store_ticket_key(0, &seed)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                (0, (0, 0))
            }
        };
        let config = UpstreamConfig {
            urls: urls.to_vec(),
            node_id: r.node_id,
            token: r.token,
            venue: r.venue,
            role: r.role,
            key_id,
            serials,
            trust_anchors: r
                .trust_anchors
                .into_iter()
                .map(|a| (a.key_id, a.public_key))
                .collect(),
            next_key: None,
        };
        config.save(data.path())?;
        return Ok(config);
    }
    anyhow::bail!("cannot reach any upstream to enrol ({last_error})")
}
