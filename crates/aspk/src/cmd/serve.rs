use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use aspk_http::AppState;
use clap::Args;

#[derive(Args)]
pub struct ServeArgs {
    /// Data folder: database, keys and identity.
    #[arg(long, default_value = "./aspk-data", env = "ASPK_DATA")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ASPK_LISTEN")]
    listen: String,
    /// Database URL: `sqlite:PATH` or `postgres://…` (default: SQLite in the data folder).
    #[arg(long, env = "ASPK_DATABASE")]
    database: Option<String>,
    /// Seed a demo museum when the store is empty.
    #[arg(long)]
    demo: bool,
    /// Run as a site node replicating with this upstream URL.
    #[arg(long)]
    upstream: Option<String>,
    /// One-time enrolment code for the first start of a site node.
    #[arg(long)]
    enrol: Option<String>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.upstream.is_some() || args.enrol.is_some() {
        // TODO(issue 3): site node replication.
        anyhow::bail!("site node mode (--upstream/--enrol) is not available in this version yet");
    }
    let addr: SocketAddr = args.listen.parse().with_context(|| {
        format!(
            "--listen '{}' is not an address like 127.0.0.1:8080",
            args.listen
        )
    })?;
    let opened = super::node::open(&args.data, args.database.as_deref()).await?;
    if args.demo
        && opened
            .node
            .seed_demo()
            .await
            .context("seeding the demo museum")?
    {
        eprintln!(
            "warning: seeded the demo museum with user '{}' and password '{}': for the demo only, never on a real install",
            aspk_app::DEMO_USER,
            aspk_app::DEMO_PASSWORD
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let app = aspk_http::router(AppState {
        node: opened.node.clone(),
        role: "cloud",
    });
    let local = listener.local_addr().unwrap_or(addr);
    println!(
        "aspk serving on http://{local} (data {}, database {})",
        args.data.display(),
        super::node::redact(&opened.database)
    );
    tracing::info!(ms = started.elapsed().as_millis() as u64, "ready");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving")?;
    drop(opened);
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
