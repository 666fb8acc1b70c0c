//! Staff sessions: short-lived bearer tokens signed by the session key of the node that
//! opened them, renewed while in use, ended everywhere by signing out.
//!
//! A token is `v3.<session>.<user>.<generation>.<expires>.<started>.<key>.<signature>`:
//! the session id (random), the user name (base64url), the account's generation (a new
//! password or a locked account ends every session), when this token runs out, when the
//! session began (it lasts [`MAX_SESSION_HOURS`] at most, however often it is renewed),
//! the id of the session key that signed it, and the Ed25519 signature.
//!
//! **Session keys, not ticket keys.** Each node has a key for sessions only, derived from
//! its token secret and published in the log by the node itself, so the certificate of the
//! node that published it says what its sessions are good for:
//! - at the node that opened it, any account that may sign in there;
//! - elsewhere, only accounts within that node's scope: the cloud vouches for everyone,
//!   a site node only for its own venue's staff. A stolen site node cannot mint a session
//!   for the organisation's admin.
//!
//! The role is never in the token: it is read from the log at each request.
//!
//! **Handoff.** A staff page that fails over to another node (see `web/staff/failover.js`)
//! carries its session in a one-time code bound to that node: `h1.<session>.<user>.
//! <generation>.<started>.<audience>.<expires>.<nonce>.<route>.<key>.<signature>`, where the
//! audience is the target's session key id and `route` the endpoints the source served
//! (base64url JSON), so the list a page fails over along comes from a server, never from a
//! link. The target accepts each code once.

use std::collections::HashMap;

use aspk_domain::{Role, User, Username};
use aspk_oplog::{session_key_id, OpBody};
use aspk_ticket::{IssuerKey, PublicKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::datadir::{parse_hex32, to_hex};
use crate::{AppError, Node, NodeRole, Principal};

/// How long one token lasts; a page renews it when half is gone.
pub const TOKEN_MINUTES: i64 = 30;
/// How long a session lasts at most, renewals included: a working day and a bit.
pub const MAX_SESSION_HOURS: i64 = 14;
/// How long a handoff code may wait to be used.
pub const HANDOFF_MINUTES: i64 = 10;

const SESSION_TAG: &[u8] = b"aspk/session/v3\0";
const HANDOFF_TAG: &[u8] = b"aspk/handoff/v1\0";

/// The session key of a node with token secret `secret`.
pub(crate) fn session_key(secret: &[u8; 32]) -> IssuerKey {
    IssuerKey::from_bytes(
        0,
        &blake3::derive_key("aspk 2026-12 staff session key", secret),
    )
}

/// A token that was issued.
#[derive(Debug, Clone)]
pub struct TokenIssued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub role: Role,
}

/// A valid session, as a request presents it.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub id: String,
    pub expires_at: DateTime<Utc>,
    /// Less than half of the token's time is left: hand out a fresh one.
    pub wants_renewal: bool,
}

/// An endpoint a page may fail over to: its address and the id of its session key (what a
/// handoff code for it is bound to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub url: String,
    pub audience: String,
}

/// What a redeemed handoff gives the page: its new token and the route it came along.
#[derive(Debug, Clone)]
pub struct HandedOff {
    pub issued: TokenIssued,
    pub route: Vec<Endpoint>,
}

/// The fields of a v3 token.
struct Claims<'a> {
    session: &'a str,
    username: Username,
    generation: &'a str,
    expires: i64,
    started: i64,
    key: &'a str,
}

fn parse_claims(body: &str) -> Option<Claims<'_>> {
    let mut parts = body.split('.');
    let (
        Some("v3"),
        Some(session),
        Some(name),
        Some(generation),
        Some(expires),
        Some(started),
        Some(key),
        None,
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return None;
    };
    let name = URL_SAFE_NO_PAD.decode(name).ok()?;
    Some(Claims {
        session,
        username: Username::parse(std::str::from_utf8(&name).ok()?).ok()?,
        generation,
        expires: expires.parse().ok()?,
        started: started.parse().ok()?,
        key,
    })
}

fn tagged(tag: &[u8], body: &str) -> Vec<u8> {
    let mut message = tag.to_vec();
    message.extend_from_slice(body.as_bytes());
    message
}

fn new_session_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 12]>())
}

impl Node {
    /// The id this node's session key goes by.
    pub fn session_key_id(&self) -> String {
        session_key_id(&to_hex(&self.session_key().public().to_bytes()))
    }

    /// Whether this node's session key is in its log (folded in: its certificate allows it).
    pub fn session_key_published(&self) -> bool {
        let id = self.session_key_id();
        self.read(|s| s.session_keys().contains_key(&id))
    }

    /// Publishes this node's session key unless the log has it. A site node can do so only
    /// once its certificate has reached it (the op waits in the fold until then).
    pub async fn ensure_session_key(&self) -> Result<(), AppError> {
        if self.session_key_published() {
            return Ok(());
        }
        let public_key = to_hex(&self.session_key().public().to_bytes());
        let id = self.session_key_id();
        self.submit(move |batch| {
            let state = batch.state();
            let pending = state.session_keys().contains_key(&id);
            if !pending {
                batch.record("system", vec![OpBody::SessionKeyPublished { public_key }]);
            }
            Ok(())
        })
        .await
    }

    /// Opens a session for `user` (whose password was checked, or who arrived by handoff).
    pub(crate) async fn open_session(&self, user: &User) -> Result<TokenIssued, AppError> {
        self.ensure_session_key().await?;
        if !self.session_key_published() {
            return Err(AppError::Unavailable(
                "this node cannot open sessions yet: its certificate has not arrived from the cloud".into(),
            ));
        }
        let now = self.now().timestamp();
        Ok(self.mint(&new_session_id(), user, now))
    }

    fn mint(&self, session: &str, user: &User, started: i64) -> TokenIssued {
        let expires = (self.now() + chrono::Duration::minutes(TOKEN_MINUTES))
            .timestamp()
            .min(started + MAX_SESSION_HOURS * 3600);
        let name = URL_SAFE_NO_PAD.encode(user.username.as_str());
        let body = format!(
            "v3.{session}.{name}.{}.{expires}.{started}.{}",
            user.generation,
            self.session_key_id()
        );
        let signature = self
            .session_key()
            .sign_detached(&tagged(SESSION_TAG, &body));
        TokenIssued {
            token: format!("{body}.{}", URL_SAFE_NO_PAD.encode(signature)),
            expires_at: DateTime::from_timestamp(expires, 0).unwrap_or_default(),
            role: user.role,
        }
    }

    /// The session a bearer token stands for: genuine, unexpired, not signed out of, for an
    /// active account whose password has not changed since, and minted by a node that may
    /// vouch for this account here.
    pub fn session(&self, token: &str) -> Result<Session, AppError> {
        let (body, sig) = token.rsplit_once('.').ok_or(AppError::Unauthenticated)?;
        let claims = parse_claims(body).ok_or(AppError::Unauthenticated)?;
        let now = self.now().timestamp();
        if claims.expires < now || claims.started + MAX_SESSION_HOURS * 3600 < now {
            return Err(AppError::Unauthenticated);
        }
        let key = self
            .read(|s| s.session_keys().get(claims.key).cloned())
            .ok_or(AppError::Unauthenticated)?;
        if !self.inner_sessions().contains(body, sig) {
            let public = parse_hex32(&key.public_key)
                .and_then(|bytes| PublicKey::from_bytes(0, &bytes).ok())
                .ok_or(AppError::Unauthenticated)?;
            let signature: [u8; 64] = URL_SAFE_NO_PAD
                .decode(sig)
                .ok()
                .and_then(|s| s.try_into().ok())
                .ok_or(AppError::Unauthenticated)?;
            if !public.verify_detached(&tagged(SESSION_TAG, body), &signature) {
                return Err(AppError::Unauthenticated);
            }
            self.inner_sessions().remember(body, sig);
        }
        let user = self.vouched_user(&claims, &key.origin, &key.public_key)?;
        let expires_at = DateTime::from_timestamp(claims.expires, 0).unwrap_or_default();
        Ok(Session {
            principal: Principal {
                username: user.username,
                role: user.role,
            },
            id: claims.session.to_owned(),
            wants_renewal: claims.expires - now < TOKEN_MINUTES * 60 / 2,
            expires_at,
        })
    }

    /// The account a session's claims name, if it is current and the key that signed them
    /// (published by `origin`) may vouch for it at this node.
    fn vouched_user(
        &self,
        claims: &Claims<'_>,
        origin: &str,
        key_hex: &str,
    ) -> Result<User, AppError> {
        let own_key = to_hex(&self.session_key().public().to_bytes()) == key_hex;
        self.read(|s| {
            if s.session_ended(claims.session) {
                return Err(AppError::Unauthenticated);
            }
            let user = s
                .users()
                .get(&claims.username)
                .filter(|u| u.is_active && u.generation.to_string() == claims.generation)
                .ok_or(AppError::Unauthenticated)?;
            // A site node's sessions count elsewhere only for its own venue's staff, and
            // end when it is revoked.
            let vouches = match s.node_of_origin(origin) {
                Some(node) if node.revoked.is_some() => false,
                _ if own_key => true,
                None => true,
                Some(node) => node.role == "site_node" && user.venue.as_ref() == Some(&node.venue),
            };
            match vouches {
                true => Ok(user.clone()),
                false => Err(AppError::Unauthenticated),
            }
        })
    }

    /// The principal a bearer token stands for (see [`Node::session`]).
    pub fn authenticate(&self, token: &str) -> Result<Principal, AppError> {
        self.session(token).map(|s| s.principal)
    }

    /// A fresh token for the same session (same id and start), while it is valid.
    pub fn renew_session(&self, token: &str) -> Result<TokenIssued, AppError> {
        let session = self.session(token)?;
        let (body, _) = token.rsplit_once('.').ok_or(AppError::Unauthenticated)?;
        let claims = parse_claims(body).ok_or(AppError::Unauthenticated)?;
        let user = self
            .read(|s| s.users().get(&session.principal.username).cloned())
            .ok_or(AppError::Unauthenticated)?;
        if !self.session_key_published() {
            return Err(AppError::Unavailable(
                "this node cannot open sessions yet".into(),
            ));
        }
        Ok(self.mint(&session.id, &user, claims.started))
    }

    /// Ends the session `token` belongs to, on every node (an op): its tokens, renewed or
    /// handed off, stop working.
    pub async fn end_session(&self, token: &str) -> Result<(), AppError> {
        let session = self.session(token)?;
        let actor = session.principal.actor();
        let (id, username) = (session.id, session.principal.username);
        self.submit(move |batch| {
            if !batch.state().session_ended(&id) {
                batch.record(
                    &actor,
                    vec![OpBody::SessionEnded {
                        session: id,
                        username,
                    }],
                );
            }
            Ok(())
        })
        .await
    }

    /// A one-time code that carries the session of `token` to the node whose session key
    /// is `audience`, with the `route` of endpoints the page knows.
    pub fn handoff_code(
        &self,
        token: &str,
        audience: &str,
        route: &[Endpoint],
    ) -> Result<String, AppError> {
        let session = self.session(token)?;
        let (body, _) = token.rsplit_once('.').ok_or(AppError::Unauthenticated)?;
        let claims = parse_claims(body).ok_or(AppError::Unauthenticated)?;
        if audience.is_empty() || !audience.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(AppError::invalid(
                "audience",
                "is not a node's session key id",
            ));
        }
        let route = serde_json::to_vec(route).map_err(|e| AppError::Internal(e.into()))?;
        let expires = (self.now() + chrono::Duration::minutes(HANDOFF_MINUTES)).timestamp();
        let body = format!(
            "h1.{}.{}.{}.{}.{audience}.{expires}.{}.{}.{}",
            session.id,
            URL_SAFE_NO_PAD.encode(session.principal.username.as_str()),
            claims.generation,
            claims.started,
            URL_SAFE_NO_PAD.encode(rand::random::<[u8; 12]>()),
            URL_SAFE_NO_PAD.encode(route),
            self.session_key_id(),
        );
        let signature = self
            .session_key()
            .sign_detached(&tagged(HANDOFF_TAG, &body));
        Ok(format!("{body}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// Takes a handoff code made for this node (once) and opens the session here.
    pub fn redeem_handoff(&self, code: &str) -> Result<HandedOff, AppError> {
        let refused = || AppError::Unauthenticated;
        let (body, sig) = code.trim().rsplit_once('.').ok_or_else(refused)?;
        let parts: Vec<&str> = body.split('.').collect();
        let ["h1", session, name, generation, started, audience, expires, nonce, route, key] =
            parts.as_slice()
        else {
            return Err(refused());
        };
        let now = self.now().timestamp();
        let expires: i64 = expires.parse().map_err(|_| refused())?;
        let started: i64 = started.parse().map_err(|_| refused())?;
        if expires < now || *audience != self.session_key_id() {
            return Err(refused());
        }
        let signer = self
            .read(|s| s.session_keys().get(*key).cloned())
            .ok_or_else(refused)?;
        let public = parse_hex32(&signer.public_key)
            .and_then(|bytes| PublicKey::from_bytes(0, &bytes).ok())
            .ok_or_else(refused)?;
        let signature: [u8; 64] = URL_SAFE_NO_PAD
            .decode(sig)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(refused)?;
        if !public.verify_detached(&tagged(HANDOFF_TAG, body), &signature) {
            return Err(refused());
        }
        let name = URL_SAFE_NO_PAD.decode(name).map_err(|_| refused())?;
        let username = Username::parse(std::str::from_utf8(&name).map_err(|_| refused())?)
            .map_err(|_| refused())?;
        let claims = Claims {
            session,
            username,
            generation,
            expires,
            started,
            key,
        };
        let user = self.vouched_user(&claims, &signer.origin, &signer.public_key)?;
        if !self.used_handoffs().take(nonce, expires, now) {
            return Err(refused());
        }
        let route: Vec<Endpoint> = URL_SAFE_NO_PAD
            .decode(route)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        if !self.session_key_published() {
            return Err(AppError::Unavailable(
                "this node cannot open sessions yet".into(),
            ));
        }
        Ok(HandedOff {
            issued: self.mint(session, &user, started),
            route,
        })
    }

    /// Whether this node may open sessions for staff: the cloud and site nodes.
    pub fn opens_sessions(&self) -> bool {
        self.role() != NodeRole::Gate
    }
}

/// v3 tokens whose signature was checked already: the check costs an Ed25519
/// verification, and a busy box office presents the same token many times a second.
/// Expiry, sign-out and the account are still checked every time.
#[derive(Default)]
pub(crate) struct SessionCache {
    checked: parking_lot::Mutex<std::collections::HashSet<[u8; 32]>>,
}

/// Tokens remembered before the cache starts afresh.
const SESSION_CACHE: usize = 4096;

impl SessionCache {
    fn key(body: &str, sig: &str) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher
            .update(body.as_bytes())
            .update(b".")
            .update(sig.as_bytes());
        *hasher.finalize().as_bytes()
    }

    fn contains(&self, body: &str, sig: &str) -> bool {
        self.checked.lock().contains(&Self::key(body, sig))
    }

    fn remember(&self, body: &str, sig: &str) {
        let mut checked = self.checked.lock();
        if checked.len() >= SESSION_CACHE {
            checked.clear();
        }
        checked.insert(Self::key(body, sig));
    }
}

/// Handoff codes redeemed at this node, kept until they expire: each works once.
#[derive(Default)]
pub(crate) struct UsedHandoffs(parking_lot::Mutex<HashMap<String, i64>>);

impl UsedHandoffs {
    /// Marks `nonce` (a code that runs out at `expires`, Unix seconds) used at `now`; false
    /// when it was used already. Codes past their expiry are forgotten: they fail anyway.
    fn take(&self, nonce: &str, expires: i64, now: i64) -> bool {
        let mut used = self.0.lock();
        used.retain(|_, until| *until >= now);
        match used.contains_key(nonce) {
            true => false,
            false => {
                used.insert(nonce.to_owned(), expires);
                true
            }
        }
    }
}
