use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use aspk_app::{NodeRole, UpstreamStatus};
use aspk_http::AppState;
use aspk_sync::{LeasePolicy, SyncWorker, UpstreamConfig};
use clap::Args;

use super::node::{self, Identity, Opened};

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
    /// Run as a site node replicating with this upstream (several, comma-separated, in order of preference).
    #[arg(long, env = "ASPK_UPSTREAM", value_delimiter = ',')]
    upstream: Vec<String>,
    /// One-time enrolment code for the first start of a site node (ignored once enrolled).
    #[arg(long, env = "ASPK_ENROL")]
    enrol: Option<String>,
    /// Site node: seats of each coming slot to keep leased for selling while cut off.
    #[arg(long, default_value_t = 10)]
    lease_seats: u32,
    /// Site node: how many hours ahead slots are leased.
    #[arg(long, default_value_t = 24)]
    lease_hours: i64,
    /// Cloud: how long a ticket key delegated to a site node stays valid (`365d`, `12h`,
    /// `90s`). A site node renews its key with half of it left, and sells tickets usable
    /// until its key's end at the latest.
    #[arg(long, default_value = "365d", value_parser = parse_lifetime)]
    delegated_key_lifetime: chrono::Duration,
    /// SMTP server (`host:port`) that sends the outbox: answers to visitors, e-tickets.
    #[arg(long, env = "ASPK_SMTP")]
    smtp: Option<String>,
    /// How the SMTP connection is protected: `none`, `starttls` or `implicit` (TLS from the
    /// first byte, port 465). Default: `starttls` with `--smtp-user`, else `none`.
    #[arg(long, env = "ASPK_SMTP_TLS", value_parser = ["none", "starttls", "implicit"])]
    smtp_tls: Option<String>,
    /// The SMTP account to sign in with; its password comes from `ASPK_SMTP_PASSWORD` or
    /// `--smtp-password-file`.
    #[arg(long, env = "ASPK_SMTP_USER")]
    smtp_user: Option<String>,
    /// File holding the SMTP password (default: `smtp-password` in the data folder, when it
    /// exists).
    #[arg(long, env = "ASPK_SMTP_PASSWORD_FILE")]
    smtp_password_file: Option<PathBuf>,
    /// An extra root certificate (PEM) to trust for the SMTP server, e.g. a relay's own CA.
    #[arg(long, env = "ASPK_SMTP_CA")]
    smtp_ca: Option<PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM). Phones need HTTPS for the camera,
    /// offline start and signature checks; use a certificate they trust.
    #[arg(long, env = "ASPK_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "ASPK_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Sender of outgoing mail, e.g. `Museum <tickets@museum.example>`.
    #[arg(
        long,
        env = "ASPK_MAIL_FROM",
        default_value = "aspk <tickets@localhost>"
    )]
    mail_from: String,
    /// The payment provider of online orders: `liqpay`, `monobank` (their keys from
    /// `ASPK_LIQPAY_PUBLIC_KEY`/`ASPK_LIQPAY_PRIVATE_KEY`, `ASPK_MONOBANK_TOKEN`), `box_office`
    /// (reserve online, pay at the till), or `test` (no money moves: the demo and tests; needs
    /// `ASPK_PAY_TEST_SECRET` outside the demo). Default: `test` with `--demo`, else
    /// `box_office`.
    #[arg(long, env = "ASPK_PAYMENT_PROVIDER")]
    payment_provider: Option<String>,
    /// The address visitors and payment providers reach this server at (e.g.
    /// `https://tickets.museum.ua`), for callbacks and return links. Default: the address
    /// each request came to.
    #[arg(long, env = "ASPK_PUBLIC_URL")]
    public_url: Option<String>,
    /// Where integrations receive webhooks (`order.paid`, `order.cancelled`,
    /// `ticket.entered`), comma-separated. Each body is signed with HMAC-SHA256 of the secret
    /// in `ASPK_WEBHOOK_SECRET` or the file `<data>/webhook-secret`.
    #[arg(long = "webhook", env = "ASPK_WEBHOOKS", value_delimiter = ',')]
    webhooks: Vec<String>,
    /// Unpaid online orders one client address may hold at once.
    #[arg(long, env = "ASPK_HOLDS_PER_CLIENT", default_value_t = aspk_http::payments::HOLDS_PER_CLIENT as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    holds_per_client: u64,
    /// A command telling the state of this machine's UPS, run every 10 s (e.g. `upsc
    /// myups@localhost ups.status`): output containing `OB` (on battery), or a non-zero
    /// exit, means the power is out; the status shows it, with what to do.
    #[arg(long, env = "ASPK_UPS_COMMAND")]
    ups_command: Option<String>,
    #[command(flatten)]
    http: HttpLimitArgs,
}

/// The secret of the mail provider's inbound hook: `ASPK_INBOUND_MAIL_SECRET` or the file
/// `<data>/inbound-mail-secret` (none: the hook is off).
fn inbound_mail_secret(args: &ServeArgs) -> Option<std::sync::Arc<str>> {
    let secret = std::env::var("ASPK_INBOUND_MAIL_SECRET")
        .ok()
        .or_else(|| std::fs::read_to_string(args.data.join("inbound-mail-secret")).ok())?;
    let secret = secret.trim();
    (secret.len() >= 16).then(|| std::sync::Arc::from(secret))
}

/// The webhook sender, when URLs are given (the secret from the environment or the data
/// folder, never from the command line).
fn webhooks_of(
    args: &ServeArgs,
    node: &aspk_app::Node,
) -> anyhow::Result<Option<aspk_hooks::WebhookSender>> {
    if args.webhooks.is_empty() {
        return Ok(None);
    }
    let secret = match std::env::var("ASPK_WEBHOOK_SECRET") {
        Ok(secret) if !secret.trim().is_empty() => secret,
        _ => std::fs::read_to_string(args.data.join("webhook-secret")).map_err(|e| {
            anyhow::anyhow!(
                "webhooks need a secret: set ASPK_WEBHOOK_SECRET or write {} ({e})",
                args.data.join("webhook-secret").display()
            )
        })?,
    };
    let config = aspk_hooks::WebhookConfig {
        urls: args.webhooks.clone(),
        secret: secret.trim().to_owned(),
        cursor_file: args.data.join("webhooks.cursor"),
    };
    Ok(Some(aspk_hooks::WebhookSender::new(node.clone(), config)?))
}

/// The payment providers from the options and the environment (secrets only from there).
fn payments_of(args: &ServeArgs) -> anyhow::Result<aspk_http::payments::Payments> {
    let default = args
        .payment_provider
        .clone()
        .unwrap_or_else(|| if args.demo { "test" } else { "box_office" }.to_owned());
    let mut config = aspk_pay::config_from_env(&default, aspk_http::payments::TEST_PAGE)?;
    if args.demo && config.test_secret.is_none() {
        // The demo's "bank" page pays without money: a secret of this run only.
        config.test_secret = Some(hex::encode(rand::random::<[u8; 16]>()));
    }
    if config.test_secret.is_some() {
        eprintln!(
            "warning: the test payment provider is on: online orders can be paid without money"
        );
    }
    Ok(
        aspk_http::payments::Payments::from_config(&config, args.public_url.clone())?
            .with_holds_per_client(usize::try_from(args.holds_per_client).unwrap_or(1)),
    )
}

/// How much each client may ask of the HTTP server (shared by `serve` and `gate --listen`).
#[derive(Args, Clone, Copy)]
pub struct HttpLimitArgs {
    /// Connections served at once; more wait until one closes.
    #[arg(long, default_value_t = 1024, env = "ASPK_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds a client may take to send a request's headers (or finish the TLS handshake);
    /// also how long an idle connection stays open.
    #[arg(long, default_value_t = 10, env = "ASPK_HEADER_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout: u64,
    /// Requests a minute per client address to order lookups, ticket PDFs and the status
    /// (each its own budget; 0 = no limit).
    #[arg(long, default_value_t = aspk_http::RateLimits::default().per_minute, env = "ASPK_RATE_LIMIT")]
    rate_limit_per_minute: u32,
    /// Requests a minute per client address to sign-in, enrolment codes and the contact
    /// form (0 = no limit).
    #[arg(long, default_value_t = aspk_http::RateLimits::default().sign_in_per_minute, env = "ASPK_SIGN_IN_RATE_LIMIT")]
    sign_in_rate_limit_per_minute: u32,
}

impl HttpLimitArgs {
    pub fn serve_limits(&self) -> aspk_http::ServeLimits {
        aspk_http::ServeLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_timeout),
            max_connections: self.max_connections as usize,
        }
    }

    pub fn rate_limits(&self) -> aspk_http::RateLimits {
        aspk_http::RateLimits {
            per_minute: self.rate_limit_per_minute,
            sign_in_per_minute: self.sign_in_rate_limit_per_minute,
        }
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let addr: SocketAddr = args.listen.parse().with_context(|| {
        format!(
            "--listen '{}' is not an address like 127.0.0.1:8080",
            args.listen
        )
    })?;
    let (opened, upstream) = if args.upstream.is_empty() {
        if args.enrol.is_some() {
            anyhow::bail!("--enrol needs --upstream URL");
        }
        (
            node::open(&args.data, args.database.as_deref()).await?,
            None,
        )
    } else {
        let (opened, status) = start_site_node(&args).await?;
        (opened, Some(status))
    };
    opened
        .node
        .set_delegated_key_lifetime(args.delegated_key_lifetime);
    if args.demo
        && opened.node.role() == NodeRole::Cloud
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
    let _mailer = match &args.smtp {
        Some(server) => {
            let config = aspk_mail::MailConfig {
                server: server.clone(),
                from: args.mail_from.clone(),
            };
            let password_file = args
                .smtp_password_file
                .clone()
                .or_else(|| Some(args.data.join("smtp-password")).filter(|f| f.is_file()));
            let security = aspk_mail::SmtpSecurity::from_options(
                args.smtp_tls.as_deref(),
                args.smtp_user.as_deref(),
                std::env::var("ASPK_SMTP_PASSWORD").ok(),
                password_file.as_deref(),
                args.smtp_ca.as_deref(),
            )?;
            let mailer = aspk_mail::Mailer::with_security(opened.node.clone(), &config, &security)?;
            Some(mailer.spawn())
        }
        None => None,
    };
    let _webhooks = webhooks_of(&args, &opened.node)?.map(aspk_hooks::WebhookSender::spawn);
    let _ups = args
        .ups_command
        .clone()
        .map(|command| super::ups::spawn(opened.node.clone(), command));
    let payments = std::sync::Arc::new(payments_of(&args)?);
    payments.prepare().await;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let app = aspk_http::router_with(
        AppState {
            node: opened.node.clone(),
            upstream,
            payments: payments.clone(),
            inbound_mail_secret: inbound_mail_secret(&args),
        },
        args.http.rate_limits(),
    );
    let _sweeper = aspk_http::payments::spawn_hold_sweeper(AppState {
        node: opened.node.clone(),
        upstream: None,
        payments,
        inbound_mail_secret: None,
    });
    let local = listener.local_addr().unwrap_or(addr);
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
        _ => None,
    };
    println!(
        "aspk serving on {}://{local} as {} (data {}, database {})",
        if tls.is_some() { "https" } else { "http" },
        opened.node.role().as_str(),
        args.data.display(),
        node::redact(&opened.database)
    );
    tracing::info!(ms = started.elapsed().as_millis() as u64, "ready");
    let server = match tls {
        None => aspk_http::serve(listener, app, args.http.serve_limits()),
        Some(config) => {
            aspk_http::serve(listener, mark_https(app), args.http.serve_limits()).tls(config)
        }
    };
    server
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving")?;
    drop(opened);
    Ok(())
}

/// A duration such as `365d`, `12h`, `30m` or `90s`.
fn parse_lifetime(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("'{text}' is not a duration like 365d, 12h, 30m or 90s"))?;
    let lifetime = match unit {
        "d" => chrono::Duration::try_days(n),
        "h" => chrono::Duration::try_hours(n),
        "m" => chrono::Duration::try_minutes(n),
        "s" => chrono::Duration::try_seconds(n),
        _ => None,
    };
    lifetime
        .filter(|d| *d <= chrono::Duration::days(3_650))
        .ok_or_else(|| {
            format!("'{text}' is not a duration like 365d, 12h, 30m or 90s (at most 3650d)")
        })
}

/// The certificate and key, read once at start (a bad file is a one-line error). ALPN
/// offers HTTP/2 and HTTP/1.1.
fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let unusable = |e: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "cannot use --tls-cert {} / --tls-key {}: {e}",
            cert.display(),
            key.display()
        )
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| unusable(&e))?;
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| unusable(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| unusable(&e))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| unusable(&e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Marks every request `x-forwarded-proto: https`, as a TLS proxy in front would, so links
/// and cookies know they are on HTTPS.
fn mark_https(app: axum::Router) -> axum::Router {
    app.layer(axum::middleware::map_request(
        |mut req: axum::extract::Request| async move {
            req.headers_mut().insert(
                "x-forwarded-proto",
                axum::http::HeaderValue::from_static("https"),
            );
            req
        },
    ))
}

/// Enrols on first start, catches up with the upstream (or starts from what it has when the
/// upstream is away), then replicates in the background.
async fn start_site_node(args: &ServeArgs) -> anyhow::Result<(Opened, Arc<UpstreamStatus>)> {
    let data = node::open_data(&args.data)?;
    let urls: Vec<String> = args
        .upstream
        .iter()
        .map(|u| u.trim().trim_end_matches('/').to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    let config = match UpstreamConfig::load(&data)? {
        Some(mut config) => {
            config.urls = urls;
            config
        }
        None => {
            let code = args.enrol.as_deref().context(
                "this data folder is not enrolled yet: pass --enrol CODE from the cloud's admin",
            )?;
            let name = format!("site node {}", args.listen);
            aspk_sync::enrol(&urls, code, &data, &name, "site_node").await?
        }
    };
    let data_path = data.path().to_owned();
    let identity = Identity {
        role: NodeRole::SiteNode,
        key_id: config.key_id,
        serials: config.serials,
        anchors: config.anchors(),
    };
    let opened = node::start(data, args.database.as_deref(), identity).await?;
    opened.node.set_scope(Some(config.venue.clone()));
    let status = Arc::new(UpstreamStatus::default());
    let policy = LeasePolicy {
        seats: args.lease_seats,
        horizon: chrono::Duration::hours(args.lease_hours),
    };
    let mut worker = SyncWorker::new(
        opened.node.clone(),
        config,
        status.clone(),
        policy,
        &data_path,
    );
    if let Err(e) = worker.catch_up(3).await {
        eprintln!("warning: upstream not reachable ({e}); serving from local data and retrying in the background");
    }
    // Staff sessions need this node's session key in the log, which needs its certificate
    // from the cloud (the sync worker publishes it later if the catch-up did not get it).
    if let Err(e) = opened.node.ensure_session_key().await {
        tracing::warn!(error = %e, "cannot publish the session key yet");
    }
    worker.spawn();
    Ok((opened, status))
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
