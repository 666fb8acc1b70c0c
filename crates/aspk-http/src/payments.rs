//! Online payments: the providers a node takes payments through, how a visitor's browser
//! starts paying for a hold, the providers' callbacks, and the sweeper that releases holds
//! whose payment never came (asking the provider first, in case only the callback was
//! lost).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use aspk_app::{HeldOrder, Node, NodeRole, PayOutcome, ProviderPayment};
use aspk_pay::{Checkout, Confirmed, PayError, PayStatus, Provider, Start};

use crate::{ApiError, AppState};

/// The payment providers of a node, and which one new online orders use.
pub struct Payments {
    providers: HashMap<&'static str, Arc<dyn Provider>>,
    default: String,
    /// The address providers call back and send visitors back to (`https://tickets.museum.ua`);
    /// none: the address the visitor's browser used.
    public_url: Option<String>,
    /// The secret of the test provider, when it is on (demo and tests only).
    test_secret: Option<String>,
    /// Unpaid holds per client address, so one client cannot hold a whole slot.
    holds: HoldLimiter,
}

/// How many unpaid online orders one client address may hold at once, by default.
pub const HOLDS_PER_CLIENT: usize = 3;

/// A hold's number and expiry.
type LiveHold = (u64, DateTime<Utc>);

/// The live holds of each client address (in memory: a restart forgets them, and the
/// holds themselves still expire).
pub struct HoldLimiter {
    max: usize,
    live: parking_lot::Mutex<HashMap<IpAddr, Vec<LiveHold>>>,
}

impl HoldLimiter {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            live: parking_lot::Mutex::new(HashMap::new()),
        }
    }

    /// Refuses a client that holds `max` unpaid orders already (those paid or released
    /// stop counting).
    fn check(&self, client: IpAddr, node: &Node) -> Result<(), aspk_app::AppError> {
        let now = node.now();
        let mut live = self.live.lock();
        let list = live.entry(client).or_default();
        list.retain(|(_, until)| *until > now);
        if list.len() >= self.max {
            // Only at the limit is it worth asking which of them were paid or released.
            list.retain(|(number, _)| {
                node.held_order(*number)
                    .is_none_or(|h| h.status == aspk_oplog::HoldStatus::Pending)
            });
        }
        if list.len() >= self.max {
            return Err(aspk_app::AppError::Conflict {
                code: aspk_domain::ConflictCode::TooManyHolds,
                detail: format!(
                    "this address holds {} unpaid orders already: pay or wait until they expire",
                    list.len()
                ),
            });
        }
        Ok(())
    }

    fn note(&self, client: IpAddr, number: u64, until: DateTime<Utc>) {
        let mut live = self.live.lock();
        live.entry(client).or_default().push((number, until));
        // Forget clients with nothing live now and then, so the map stays small.
        if live.len() > 10_000 {
            live.retain(|_, list| {
                list.iter()
                    .any(|(_, t)| *t > until - chrono::Duration::hours(2))
            });
        }
    }
}

impl Default for Payments {
    /// Only "pay at the box office".
    fn default() -> Self {
        let providers = aspk_pay::providers(&aspk_pay::PayConfig {
            default: "box_office".into(),
            liqpay: None,
            monobank: None,
            test_secret: None,
            test_page_base: TEST_PAGE.into(),
        })
        .unwrap_or_default();
        Self::new(providers, "box_office", None, None)
    }
}

/// Where the test provider's "bank page" is (see `pages::shop`).
pub const TEST_PAGE: &str = "/pay/test";

impl Payments {
    pub fn new(
        providers: Vec<Arc<dyn Provider>>,
        default: &str,
        public_url: Option<String>,
        test_secret: Option<String>,
    ) -> Self {
        Self {
            providers: providers.into_iter().map(|p| (p.name(), p)).collect(),
            default: default.to_owned(),
            public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()),
            test_secret,
            holds: HoldLimiter::new(HOLDS_PER_CLIENT),
        }
    }

    /// At most `max` unpaid orders per client address at once.
    pub fn with_holds_per_client(mut self, max: usize) -> Self {
        self.holds = HoldLimiter::new(max.max(1));
        self
    }

    /// From a provider configuration (see [`aspk_pay::PayConfig`]).
    pub fn from_config(
        config: &aspk_pay::PayConfig,
        public_url: Option<String>,
    ) -> anyhow::Result<Self> {
        let providers = aspk_pay::providers(config)?;
        Ok(Self::new(
            providers,
            &config.default,
            public_url,
            config.test_secret.clone(),
        ))
    }

    /// The test provider (as the default) and "pay at the box office": for tests.
    pub fn test_only(secret: &str) -> Self {
        let config = aspk_pay::PayConfig {
            default: aspk_pay::test_pay::NAME.into(),
            liqpay: None,
            monobank: None,
            test_secret: Some(secret.to_owned()),
            test_page_base: TEST_PAGE.into(),
        };
        Self::from_config(&config, None).unwrap_or_default()
    }

    /// The provider new online orders use.
    pub fn default_provider(&self) -> &str {
        &self.default
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }

    /// Fetches what verifying callbacks needs (monobank's key); failures are logged.
    pub async fn prepare(&self) {
        for provider in self.providers.values() {
            if let Err(e) = provider.prepare().await {
                tracing::warn!(provider = provider.name(), error = %e, "payment provider not ready");
            }
        }
    }

    /// The site's address for links that leave the visitor's browser: the configured public
    /// address, or the one the request came to.
    pub fn base_url(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let scheme = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .filter(|p| *p == "https")
            .unwrap_or("http");
        format!("{scheme}://{host}")
    }
}

/// The one door for visitors' online orders (the API and the shop): at most a few unpaid
/// orders per client address, then the hold.
pub async fn hold_for_client(
    state: &AppState,
    client: Option<IpAddr>,
    request: aspk_app::HoldRequest,
) -> Result<HeldOrder, aspk_app::AppError> {
    let client = client.map(aspk_app::lockout::client_network);
    if let Some(ip) = client {
        state.payments.holds.check(ip, &state.node)?;
    }
    let held = state.node.hold_order(None, request).await?;
    if let Some(ip) = client {
        state.payments.holds.note(ip, held.number, held.expires_at);
    }
    Ok(held)
}

/// The client address of a request, from what [`crate::serve`] attached.
pub fn client_of(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The visitor's page of order `number` (with its access token).
pub fn order_page(state: &AppState, venue: &str, number: u64) -> String {
    format!(
        "/shop/{venue}/order/{number}?k={}",
        state.node.order_access_token(number)
    )
}

/// How the visitor's browser starts paying for `held`.
pub async fn start_payment(
    state: &AppState,
    held: &HeldOrder,
    base_url: &str,
) -> Result<Start, ApiError> {
    let provider = state
        .payments
        .get(&held.provider)
        .ok_or_else(|| unavailable(&held.provider))?;
    let result_url = format!(
        "{base_url}{}",
        order_page(state, held.venue.as_str(), held.number)
    );
    let checkout = Checkout {
        number: held.number,
        amount_minor: held.total_minor,
        currency: held.currency.as_str().to_owned(),
        description: state
            .node
            .venue(held.venue.as_str())
            .map(|v| v.name.get(&held.lang).to_owned())
            .unwrap_or_default(),
        result_url,
        callback_url: format!("{base_url}/api/v1/payments/{}/callback", provider.name()),
        lang: held.lang.clone(),
        expires_at: held.expires_at,
    };
    provider.start(&checkout).await.map_err(pay_error)
}

fn unavailable(provider: &str) -> ApiError {
    aspk_app::AppError::Unavailable(format!("payment provider {provider} is not set up")).into()
}

fn pay_error(e: PayError) -> ApiError {
    use aspk_app::AppError;
    match e {
        PayError::BadSignature => AppError::Unauthenticated.into(),
        PayError::Malformed(m) => AppError::invalid("callback", m).into(),
        PayError::Unreachable(m) | PayError::Refused(m) => {
            AppError::Unavailable(format!("payment provider: {m}")).into()
        }
    }
}

/// Acts on what a provider says about an order's payment: a paid hold becomes the order
/// (and its e-tickets are mailed); a failed one releases its seats; a payment that cannot
/// be placed is refunded through the provider. Idempotent.
pub async fn settle(
    state: &AppState,
    provider: &Arc<dyn Provider>,
    confirmed: Confirmed,
) -> Result<(), ApiError> {
    let node = &state.node;
    match confirmed.status {
        PayStatus::Pending => Ok(()),
        PayStatus::Failed | PayStatus::Refunded => {
            let released = node
                .release_hold(confirmed.number, "payment failed", "system:payments")
                .await?;
            if !released
                && node
                    .held_order(confirmed.number)
                    .is_some_and(|h| h.status == aspk_oplog::HoldStatus::Paid)
            {
                tracing::warn!(
                    order = confirmed.number,
                    provider = provider.name(),
                    "the provider reports a paid order as failed or refunded: check it in the provider's portal"
                );
            }
            Ok(())
        }
        PayStatus::Paid => {
            let outcome = node
                .pay_hold(ProviderPayment {
                    number: confirmed.number,
                    provider: provider.name().to_owned(),
                    reference: confirmed.reference.clone(),
                    amount_minor: confirmed.amount_minor,
                    currency: confirmed.currency.clone(),
                })
                .await?;
            match outcome {
                PayOutcome::Placed(placed) => {
                    let lang = node
                        .held_order(placed.order.number)
                        .map(|h| h.lang)
                        .unwrap_or_else(|| "uk".into());
                    if let Err(e) = node
                        .queue_tickets_mail(placed.order.number, None, &lang, "system")
                        .await
                    {
                        tracing::error!(order = placed.order.number, error = %e, "e-tickets not queued");
                    }
                }
                PayOutcome::AlreadyPaid(_) => {}
                PayOutcome::Refused { reason, .. } => {
                    tracing::warn!(order = confirmed.number, %reason, "payment refused; refunding");
                    refund_refused(state, provider, &confirmed).await;
                }
            }
            Ok(())
        }
    }
}

/// Gives back a payment that could not be placed, and closes its finding when that worked.
async fn refund_refused(state: &AppState, provider: &Arc<dyn Provider>, paid: &Confirmed) {
    match provider.refund(paid).await {
        Ok(()) => {
            let note = format!("refunded through {} automatically", provider.name());
            if let Err(e) = state
                .node
                .resolve_finding_as_system(&format!("late_payment:{}", paid.number), &note)
                .await
            {
                tracing::error!(order = paid.number, error = %e, "refund not recorded");
            }
        }
        Err(e) => {
            tracing::error!(order = paid.number, error = %e, "automatic refund failed; a manager must refund")
        }
    }
}

/// `POST /api/v1/payments/{provider}/callback`: the provider's own format, its signature
/// checked before anything changes.
pub async fn callback(
    state: &AppState,
    name: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    if state.node.role() != NodeRole::Cloud {
        return Err(aspk_app::AppError::Forbidden("take payments away from the cloud").into());
    }
    let provider =
        state
            .payments
            .get(name)
            .cloned()
            .ok_or_else(|| aspk_app::AppError::NotFound {
                what: "payment provider",
                id: name.to_owned(),
            })?;
    let confirmed = provider.verify_callback(headers, body).map_err(pay_error)?;
    settle(state, &provider, confirmed).await
}

/// The test provider's "bank" says paid or declined (demo and tests only).
pub async fn test_callback(state: &AppState, number: u64, paid: bool) -> Result<(), ApiError> {
    let Some(secret) = state.payments.test_secret.clone() else {
        return Err(unavailable(aspk_pay::test_pay::NAME));
    };
    let held = state
        .node
        .held_order(number)
        .ok_or_else(|| aspk_app::AppError::NotFound {
            what: "order",
            id: number.to_string(),
        })?;
    let body = serde_json::json!({
        "number": number,
        "amount_minor": held.total_minor,
        "currency": held.currency.as_str(),
        "status": if paid { "paid" } else { "failed" },
        "reference": format!("test-{number}"),
    })
    .to_string();
    let mut headers = axum::http::HeaderMap::new();
    let signature = aspk_pay::sign_test_callback(&secret, body.as_bytes());
    if let Ok(value) = signature.parse() {
        headers.insert(aspk_pay::test_pay::SIGNATURE_HEADER, value);
    }
    callback(state, aspk_pay::test_pay::NAME, &headers, body.as_bytes()).await
}

/// A visitor cancels their paid online order where the venue's policy allows: the tickets
/// are voided and the money goes back through the provider it came through.
pub async fn cancel_by_visitor(state: &AppState, number: u64, token: &str) -> Result<(), ApiError> {
    let node = &state.node;
    if !node.check_order_access(number, token) {
        return Err(aspk_app::AppError::NotFound {
            what: "order",
            id: number.to_string(),
        }
        .into());
    }
    if node
        .held_order(number)
        .is_some_and(|h| h.status == aspk_oplog::HoldStatus::Pending)
    {
        node.release_hold(number, "cancelled by the visitor", "visitor")
            .await?;
        return Ok(());
    }
    let refund = node.cancel_online_order(number).await?;
    if let Some((provider, reference, amount_minor, currency)) = refund {
        if let Some(p) = state.payments.get(&provider) {
            let paid = Confirmed {
                number,
                reference,
                amount_minor,
                currency,
                status: PayStatus::Paid,
            };
            if let Err(e) = p.refund(&paid).await {
                tracing::error!(order = number, error = %e, "provider refund failed; a manager must refund");
            }
        }
    }
    Ok(())
}

/// Every few seconds at the cloud: holds past their time are checked with their provider
/// (the callback may have been lost) and then paid or released.
pub fn spawn_hold_sweeper(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if state.node.role() != NodeRole::Cloud {
            return;
        }
        loop {
            sweep_holds(&state).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    })
}

/// One pass of the sweeper (public for tests).
pub async fn sweep_holds(state: &AppState) {
    let node: &Node = &state.node;
    for held in node.expired_holds() {
        if let Some(provider) = state.payments.get(&held.provider).cloned() {
            match provider.status(held.number, None).await {
                Ok(Some(confirmed)) if confirmed.status == PayStatus::Paid => {
                    if let Err(e) = settle(state, &provider, confirmed).await {
                        tracing::warn!(order = held.number, error = ?e, "late payment not settled");
                    }
                    continue;
                }
                Ok(Some(c)) if c.status == PayStatus::Pending => {
                    // Still paying: give the provider until the hold is well past its time.
                    if node.now() - held.expires_at < chrono::Duration::minutes(15) {
                        continue;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(order = held.number, error = %e, "payment status unknown; hold kept");
                    if node.now() - held.expires_at < chrono::Duration::hours(1) {
                        continue;
                    }
                }
            }
        }
        if let Err(e) = node
            .release_hold(held.number, "expired", "system:holds")
            .await
        {
            tracing::warn!(order = held.number, error = %e, "expired hold not released");
        }
    }
}
