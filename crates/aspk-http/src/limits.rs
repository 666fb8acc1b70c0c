//! Rate limits on the endpoints anyone may call (tower_governor, GCRA per client address).
//!
//! Each endpoint group has its own bucket per client: a bucket holds a minute's worth of
//! requests and refills at that rate, so a client may send `per_minute` at once and then
//! one every `60 / per_minute` seconds. Past it the answer is 429 problem+json with
//! `Retry-After`. A client is its peer address (an IPv6 client its /64): a museum's whole
//! box office behind one NAT shares one bucket, which the defaults allow for. Behind a
//! reverse proxy every client is the proxy; trusting `X-Forwarded-For` from a configured
//! proxy is not supported yet.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use aspk_i18n::{t_args, Lang};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use governor::middleware::NoOpMiddleware;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::error::ProblemCode;
use crate::ApiError;

/// Requests per minute per client for the endpoints anyone may call; `0` turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Order lookups, ticket PDFs and the status: each endpoint its own bucket.
    pub per_minute: u32,
    /// Sign-in (API and form, one bucket), enrolment codes and the contact form: the
    /// endpoints that take guesses or store what anyone sends.
    pub sign_in_per_minute: u32,
}

impl Default for RateLimits {
    /// Lookups: 600 a minute (a NAT'ed box office, a visitor reloading, a monitor polling
    /// every second all fit; enumerating orders does not). Sign-in and the like: 60 a
    /// minute (the whole morning shift signing in at once, behind one address).
    fn default() -> Self {
        Self {
            per_minute: 600,
            sign_in_per_minute: 60,
        }
    }
}

/// The client a request counts against: its peer address, an IPv6 peer by its /64.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientKey;

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| aspk_app::lockout::client_network(c.0.ip()))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

type Config = GovernorConfig<ClientKey, NoOpMiddleware>;

/// One bucket per client for a group of endpoints.
#[derive(Clone)]
pub(crate) struct Limit {
    config: Arc<Config>,
}

/// A route's limit, when there is one.
pub(crate) type RouteLimit = Option<Limit>;

/// What a refused request gets: problem+json for the API, a page for people.
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    Problem,
    Page,
}

impl Limit {
    /// `per_minute` requests at once, refilling at `per_minute` a minute; `None` when off.
    pub(crate) fn per_minute(per_minute: u32) -> RouteLimit {
        if per_minute == 0 {
            return None;
        }
        let period = Duration::from_nanos(60_000_000_000 / u64::from(per_minute)).max(
            // governor refuses a zero period
            Duration::from_nanos(1),
        );
        let config = GovernorConfigBuilder::default()
            .key_extractor(ClientKey)
            .period(period)
            .burst_size(per_minute)
            .finish()?;
        let config = Arc::new(config);
        forget_idle_clients(Arc::downgrade(&config));
        Some(Limit { config })
    }

    /// The layer for a route; refusals answered as `answer` says.
    pub(crate) fn layer(&self, answer: Answer) -> GovernorLayer<ClientKey, NoOpMiddleware, Body> {
        GovernorLayer::new(self.config.clone()).error_handler(move |e| refused(e, answer))
    }
}

/// The buckets of one router: each group of endpoints its own.
pub(crate) struct Limiters {
    /// `POST /api/v1/auth/token` and the sign-in form, together.
    pub sign_in: RouteLimit,
    pub redeem: RouteLimit,
    pub contact: RouteLimit,
    pub order: RouteLimit,
    pub ticket_pdf: RouteLimit,
    pub status: RouteLimit,
}

impl Limiters {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self {
            sign_in: Limit::per_minute(limits.sign_in_per_minute),
            redeem: Limit::per_minute(limits.sign_in_per_minute),
            contact: Limit::per_minute(limits.sign_in_per_minute),
            order: Limit::per_minute(limits.per_minute),
            ticket_pdf: Limit::per_minute(limits.per_minute),
            status: Limit::per_minute(limits.per_minute),
        }
    }
}

/// Applies `limit` to a route, if there is one.
pub(crate) fn limited<S>(
    route: axum::routing::MethodRouter<S>,
    limit: &RouteLimit,
    answer: Answer,
) -> axum::routing::MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    match limit {
        Some(limit) => route.layer(limit.layer(answer)),
        None => route,
    }
}

/// Drops the buckets of clients that have been quiet long enough to be full again, every
/// minute, for as long as the limit exists.
fn forget_idle_clients(config: Weak<Config>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        every.tick().await;
        loop {
            every.tick().await;
            let Some(config) = config.upgrade() else {
                return;
            };
            config.limiter().retain_recent();
            config.limiter().shrink_to_fit();
        }
    });
}

fn refused(error: GovernorError, answer: Answer) -> Response<Body> {
    let GovernorError::TooManyRequests { wait_time, .. } = error else {
        tracing::error!(?error, "rate limit without a client address");
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::Internal,
            "internal error; see the server log",
        )
        .into_response();
    };
    // governor rounds the wait down to whole seconds: ask for the next one.
    let seconds = wait_time.saturating_add(1);
    let mut response = match answer {
        Answer::Problem => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ProblemCode::RateLimited,
            t_args(
                Lang::En,
                "rate-limited",
                &[("seconds", i64::try_from(seconds).unwrap_or(i64::MAX).into())],
            ),
        )
        .into_response(),
        Answer::Page => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::response::Html(crate::pages::rate_limited_page(seconds)),
        )
            .into_response(),
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}
