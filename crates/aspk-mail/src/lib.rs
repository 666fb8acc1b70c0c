//! Sends the durable mail outbox (answers to visitors, order confirmations with e-tickets)
//! over SMTP: plain, STARTTLS or implicit TLS (rustls), with or without a login.
//!
//! Mail is queued as ops, so it survives crashes and replicates with everything else. Only
//! the organisation's root node (role `cloud`) sends, so a mail queued at a site node is sent
//! once, after it has replicated up, and nothing is sent twice by two nodes. A mail the server
//! refuses or cannot take now is retried with growing pauses; every attempt is an op.
//! Delivery is at least once: a crash between the server's "250 OK" and the op that records
//! it sends that mail again on restart.
//!
//! A mail about an order carries its e-tickets, rendered when it is sent: the QR codes
//! inline in an HTML part and all tickets in one PDF. An order cancelled by then is not
//! mailed: the attempt is recorded as the error [`ORDER_CANCELLED`], once.

mod compose;
mod config;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aspk_app::{Node, NodeRole};
use aspk_domain::{Mail, OrderStatus};
use futures_util::StreamExt;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::time::Instant;

pub use config::{MailConfig, Secret, SmtpLogin, SmtpSecurity, SmtpTls};

/// The error recorded for a mail whose order was cancelled before it went out.
pub const ORDER_CANCELLED: &str = "order cancelled";

/// First pause after a failed attempt; each further failure doubles it.
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
/// Longest pause between two attempts at one mail.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Longest wait for the server to take one mail (the transport's own timeout covers
/// connecting only): a server that stops answering must not stall the outbox.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest sleep of the background loop when nothing wakes it.
const IDLE_WAKE: Duration = Duration::from_secs(10);

/// Sends mail from the outbox until the node stops.
pub struct Mailer {
    node: Node,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// When each failing mail may be tried again, and the pause that led there. Kept in
    /// memory only: after a restart every unsent mail is tried at once.
    next_try: HashMap<String, (Instant, Duration)>,
}

/// What one attempt came to.
enum Outcome {
    Sent,
    /// Not sent now; tried again after a pause.
    Failed(String),
    /// Never to be sent (its order was cancelled); recorded once.
    Refused,
    /// Nothing done (a refusal recorded before).
    Skipped,
}

impl Mailer {
    /// A mailer over plain SMTP without a login (a relay on the local network).
    pub fn new(node: Node, config: &MailConfig) -> anyhow::Result<Self> {
        Self::with_security(node, config, &SmtpSecurity::default())
    }

    /// A mailer with TLS, a login and extra trusted roots as `security` says.
    pub fn with_security(
        node: Node,
        config: &MailConfig,
        security: &SmtpSecurity,
    ) -> anyhow::Result<Self> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("--mail-from '{}' is not an address: {e}", config.from))?;
        let transport = config::transport(&config.server, security)?;
        node.set_mail_sender();
        Ok(Self {
            node,
            transport,
            from,
            next_try: HashMap::new(),
        })
    }

    /// Runs in the background: wakes on every commit, when a pause ends, and at least
    /// every 10 s.
    pub fn spawn(mut self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if self.node.role() != NodeRole::Cloud {
                tracing::info!("mail is sent by the root node; this node only queues it");
                return;
            }
            let mut commits = self.node.watch_commits();
            loop {
                commits.borrow_and_update();
                self.send_due().await;
                let wait = self.next_wake().unwrap_or(IDLE_WAKE).min(IDLE_WAKE);
                if let Ok(Err(_)) = tokio::time::timeout(wait, commits.changed()).await {
                    return; // the node has stopped
                }
            }
        })
    }

    /// How long until the earliest pause ends.
    fn next_wake(&self) -> Option<Duration> {
        let now = Instant::now();
        self.next_try
            .values()
            .map(|(at, _)| at.saturating_duration_since(now))
            .min()
    }

    /// Tries every unsent mail whose pause is over, a few at once, and records each
    /// attempt. Returns once all of them have been tried.
    pub async fn send_due(&mut self) {
        let now = Instant::now();
        let unsent = self.node.unsent_mail();
        let ids: HashSet<&str> = unsent.iter().map(|m| m.id.as_str()).collect();
        self.next_try.retain(|id, _| ids.contains(id.as_str()));
        let due: Vec<Mail> = unsent
            .iter()
            .filter(|m| self.next_try.get(&m.id).is_none_or(|(at, _)| *at <= now))
            .cloned()
            .collect();
        let this = &*self;
        let outcomes: Vec<(String, Outcome)> = futures_util::stream::iter(due)
            .map(|mail| async move { (mail.id.clone(), this.attempt(&mail).await) })
            .buffer_unordered(config::IN_FLIGHT)
            .collect()
            .await;
        for (id, outcome) in outcomes {
            match outcome {
                Outcome::Failed(_) => {
                    let pause = self
                        .next_try
                        .get(&id)
                        .map(|(_, p)| (*p * 2).min(MAX_BACKOFF))
                        .unwrap_or(FIRST_BACKOFF);
                    self.next_try.insert(id, (now + pause, pause));
                }
                Outcome::Sent | Outcome::Refused | Outcome::Skipped => {
                    self.next_try.remove(&id);
                }
            }
        }
    }

    /// Sends `mail` (unless its order was cancelled) and records the attempt.
    async fn attempt(&self, mail: &Mail) -> Outcome {
        let outcome = match mail.order.map(|n| (n, self.node.order_status(n))) {
            Some((_, Some(status))) if status != OrderStatus::Paid => {
                if mail.last_error.as_deref() == Some(ORDER_CANCELLED) {
                    return Outcome::Skipped;
                }
                Outcome::Refused
            }
            Some((number, None)) => Outcome::Failed(format!("order {number} not found")),
            _ => match self.send(mail).await {
                Ok(()) => Outcome::Sent,
                Err(e) => Outcome::Failed(format!("{e:#}")),
            },
        };
        let error = match &outcome {
            Outcome::Sent | Outcome::Skipped => None,
            Outcome::Refused => Some(ORDER_CANCELLED.to_owned()),
            Outcome::Failed(e) => {
                tracing::warn!(mail = %mail.id, error = %e, "mail not sent; will retry");
                Some(e.clone())
            }
        };
        if let Err(e) = self.node.record_mail_attempt(&mail.id, error).await {
            tracing::error!(mail = %mail.id, error = %e, "cannot record a mail attempt");
        }
        outcome
    }

    async fn send(&self, mail: &Mail) -> anyhow::Result<()> {
        let message = match mail.order {
            None => compose::plain(&self.from, mail)?,
            Some(number) => {
                let docs = self.node.order_docs(number).await;
                compose::with_tickets(&self.from, mail, number, docs).await?
            }
        };
        tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message))
            .await
            .map_err(|_| {
                anyhow::anyhow!("the SMTP server did not answer within {SEND_TIMEOUT:?}")
            })??;
        Ok(())
    }
}
