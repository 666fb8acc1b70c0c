//! `aspk keys`: the organisation's root keys (run at the cloud while the server is stopped).
//! See "Root keys" in docs/security.md.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Make a new root key, publish it under the current one, and sign with it from the
    /// next start. Every replica learns it from the log; their trust anchors stay valid.
    RotateRoot(DataArgs),
    /// Withdraw a key (a lost or stolen root key, a site node's delegated key) from a
    /// moment on, under the signature of the current root key, which must be another one.
    Revoke(RevokeArgs),
}

#[derive(Args)]
pub struct DataArgs {
    #[arg(long, default_value = "./aspk-data", env = "ASPK_DATA")]
    data: PathBuf,
    #[arg(long, env = "ASPK_DATABASE")]
    database: Option<String>,
}

#[derive(Args)]
pub struct RevokeArgs {
    /// The key id to withdraw.
    key_id: u16,
    /// From when ops and tickets it signs stop counting (RFC 3339; default: now).
    #[arg(long)]
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Why, for the audit trail.
    #[arg(long, default_value = "withdrawn")]
    reason: String,
    #[command(flatten)]
    data: DataArgs,
}

pub async fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::RotateRoot(args) => rotate(args).await,
        KeysCommand::Revoke(args) => revoke(args).await,
    }
}

async fn rotate(args: DataArgs) -> anyhow::Result<()> {
    let opened = super::node::open(&args.data, args.database.as_deref()).await?;
    let (node, data) = (&opened.node, &opened.data);
    let key_id = node
        .next_key_id()
        .ok_or_else(|| anyhow::anyhow!("no key ids left"))?;
    let seed: [u8; 32] = rand::random();
    aspk_app::store_ticket_key(&args.data, key_id, &seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    let public = aspk_ticket::IssuerKey::from_bytes(key_id, &seed).public();
    node.publish_root_key("system:cli", &public)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut roots = data.root_keys().map_err(|e| anyhow::anyhow!("{e}"))?;
    roots.signing_key = key_id;
    data.save_root_keys(&roots)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("root key {key_id} published; the cloud signs with it from its next start");
    Ok(())
}

async fn revoke(args: RevokeArgs) -> anyhow::Result<()> {
    let opened = super::node::open(&args.data.data, args.data.database.as_deref()).await?;
    let since = args.since.unwrap_or_else(chrono::Utc::now);
    opened
        .node
        .revoke_key("system:cli", args.key_id, since, &args.reason)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("key {} withdrawn from {}", args.key_id, since.to_rfc3339());
    Ok(())
}
