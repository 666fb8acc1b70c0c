//! Sends the durable mail outbox (answers to visitors, e-tickets sent again) over SMTP.
//!
//! Mail is queued as ops, so it survives crashes and replicates with everything else. Only
//! the organisation's root node (role `cloud`) sends, so a mail queued at a site node is sent
//! once, after it has replicated up, and nothing is sent twice by two nodes. A mail the server
//! refuses or cannot take now is retried with growing pauses; every attempt is an op.
//! Delivery is at least once: a crash between the server's "250 OK" and the op that records
//! it sends that mail again on restart.

use std::collections::HashMap;
use std::time::Duration;

use aspk_app::{Node, NodeRole};
use aspk_domain::Mail;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::time::Instant;

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `host:port` of the SMTP server (a LAN relay or the provider's submission port).
    pub server: String,
    /// The sender, e.g. `Музей <tickets@museum.example>`.
    pub from: String,
}

/// Longest pause between two attempts at one mail.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// Sends mail from the outbox until the node stops.
pub struct Mailer {
    node: Node,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// When each failing mail may be tried again.
    next_try: HashMap<String, (Instant, Duration)>,
}

impl Mailer {
    pub fn new(node: Node, config: &MailConfig) -> anyhow::Result<Self> {
        let (host, port) = match config.server.rsplit_once(':') {
            Some((h, p)) => (
                h.to_owned(),
                p.parse::<u16>().map_err(|_| {
                    anyhow::anyhow!("--smtp '{}': the port is not a number", config.server)
                })?,
            ),
            None => (config.server.clone(), 25),
        };
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("--mail-from '{}' is not an address: {e}", config.from))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(20)))
            .build();
        node.set_mail_sender();
        Ok(Self {
            node,
            transport,
            from,
            next_try: HashMap::new(),
        })
    }

    /// Runs in the background: wakes on every commit and at least every 10 s.
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
                let _ = tokio::time::timeout(Duration::from_secs(10), commits.changed()).await;
            }
        })
    }

    /// Tries every unsent mail whose pause is over.
    pub async fn send_due(&mut self) {
        let now = Instant::now();
        let due: Vec<Mail> = self.node.unsent_mail();
        for mail in due {
            if self.next_try.get(&mail.id).is_some_and(|(at, _)| *at > now) {
                continue;
            }
            let error = self.send(&mail).await.err().map(|e| e.to_string());
            match &error {
                None => {
                    self.next_try.remove(&mail.id);
                }
                Some(e) => {
                    tracing::warn!(mail = %mail.id, error = %e, "mail not sent; will retry");
                    let pause = self
                        .next_try
                        .get(&mail.id)
                        .map(|(_, p)| (*p * 2).min(MAX_BACKOFF))
                        .unwrap_or(Duration::from_secs(5));
                    self.next_try.insert(mail.id.clone(), (now + pause, pause));
                }
            }
            if let Err(e) = self.node.record_mail_attempt(&mail.id, error).await {
                tracing::error!(mail = %mail.id, error = %e, "cannot record a mail attempt");
            }
        }
    }

    async fn send(&self, mail: &Mail) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(mail.to.parse()?)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?;
        self.transport.send(message).await?;
        Ok(())
    }
}
