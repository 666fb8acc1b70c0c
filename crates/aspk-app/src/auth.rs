//! Staff accounts, passwords (argon2id) and bearer tokens.
//!
//! A token is `v2.<user>.<generation>.<expiry>.<key id>.<signature>`, signed with the
//! node's published Ed25519 key (the cloud's root key, a site node's delegated one), so
//! every node of the organisation accepts it: a box office page that fails over from the
//! site node to the cloud stays signed in. A node without a published key (a gate) issues
//! `v1.<user>.<generation>.<expiry>.<mac>`, MACed with its own token secret (keyed BLAKE3),
//! which only it accepts. Checking either needs no storage. A password change bumps the
//! user's generation, which ends every token issued before, on every node.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use aspk_domain::{Role, User, Username};
use aspk_oplog::OpBody;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use std::net::IpAddr;

use crate::{AppError, Node};

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub username: Username,
    pub role: Role,
}

impl Principal {
    /// The actor recorded in the op log.
    pub fn actor(&self) -> String {
        format!("user:{}", self.username.as_str())
    }

    /// Refuses unless the principal holds one of `roles`.
    pub fn require(&self, roles: &[Role], action: &'static str) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(action))
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenIssued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub role: Role,
}

/// How long a bearer token lasts: one working day plus margin.
const TOKEN_HOURS: i64 = 16;
pub const MIN_PASSWORD_LEN: usize = 8;
const MAX_PASSWORD_LEN: usize = 1024;

pub(crate) fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

impl Node {
    /// Adds a staff member. The password must be at least 8 characters.
    pub async fn add_user(
        &self,
        actor: &str,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<(), AppError> {
        let username = Username::parse(username)?;
        let len = password.chars().count();
        if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&len) {
            return Err(AppError::invalid(
                "password",
                format!("must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters"),
            ));
        }
        self.save_new_user(actor, username, password.to_owned(), role)
            .await
    }

    pub(crate) async fn save_new_user(
        &self,
        actor: &str,
        username: Username,
        password: String,
        role: Role,
    ) -> Result<(), AppError> {
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.into()))??;
        let actor = actor.to_owned();
        self.submit(move |batch| {
            if batch.state().users.contains_key(&username) {
                return Err(AppError::Conflict {
                    code: "user_exists",
                    detail: format!("user '{}' already exists", username.as_str()),
                });
            }
            let user = User {
                username,
                role,
                password_hash: hash,
                is_active: true,
                generation: 1,
                lang: None,
            };
            batch.record(&actor, vec![OpBody::UserSaved(user)]);
            Ok(())
        })
        .await
    }

    /// Checks a user name and password and issues a bearer token. Failures lock the name
    /// for the `source` they come from, with backoff (see [`crate::lockout`]).
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        source: Option<IpAddr>,
    ) -> Result<TokenIssued, AppError> {
        self.lockout().check(username, source)?;
        let result = self.check_password(username, password).await;
        match &result {
            Ok(_) => self.lockout().succeeded(username, source),
            Err(AppError::BadCredentials) => self.lockout().failed(username, source),
            Err(_) => {}
        }
        result
    }

    async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<TokenIssued, AppError> {
        let user = Username::parse(username)
            .ok()
            .and_then(|name| self.read(|s| s.users.get(&name).cloned()))
            .filter(|u| u.is_active);
        let password = password.to_owned();
        // Hash even for unknown users so response time does not reveal which names exist.
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_owned());
        let ok = tokio::task::spawn_blocking(move || password_matches(&hash, &password))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let user = user.filter(|_| ok).ok_or(AppError::BadCredentials)?;
        let expires_at = Utc::now() + chrono::Duration::hours(TOKEN_HOURS);
        let token = self.make_token(&user, expires_at.timestamp());
        Ok(TokenIssued {
            token,
            expires_at,
            role: user.role,
        })
    }

    fn make_token(&self, user: &User, expires: i64) -> String {
        let name = URL_SAFE_NO_PAD.encode(user.username.as_str());
        let key = self.ticket_key();
        let published = self.with_keyring(|ring| {
            ring.get(key.key_id)
                .is_some_and(|k| k.to_bytes() == key.public().to_bytes())
        });
        if published {
            let body = format!("v2.{name}.{}.{expires}.{}", user.generation, key.key_id);
            let signature = key.sign_detached(&session_message(&body));
            return format!("{body}.{}", URL_SAFE_NO_PAD.encode(signature));
        }
        let body = format!("v1.{name}.{}.{expires}", user.generation);
        let mac = blake3::keyed_hash(self.token_secret(), body.as_bytes());
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(&mac.as_bytes()[..20]))
    }

    /// Whether `body` carries a genuine signature `sig` (v2: by a key of the organisation;
    /// v1: this node's MAC).
    fn token_genuine(&self, body: &str, sig: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        if body.starts_with("v2.") {
            let key_id = body
                .rsplit('.')
                .next()
                .and_then(|id| id.parse::<u16>().ok());
            let Some(key_id) = key_id.filter(|id| !self.key_holder_revoked(*id)) else {
                return false;
            };
            if self.inner_sessions().contains(body, sig) {
                return true;
            }
            let Ok(signature) = <[u8; 64]>::try_from(given) else {
                return false;
            };
            let ok = self.with_keyring(|ring| {
                ring.get(key_id)
                    .is_some_and(|k| k.verify_detached(&session_message(body), &signature))
            });
            if ok {
                self.inner_sessions().remember(body, sig);
            }
            return ok;
        }
        let expected = blake3::keyed_hash(self.token_secret(), body.as_bytes());
        given.len() == 20 && constant_time_eq(&given, &expected.as_bytes()[..20])
    }

    /// Whether key `key_id` was delegated to a node that has since been revoked: the
    /// sessions it signed end with it.
    fn key_holder_revoked(&self, key_id: u16) -> bool {
        self.read(|s| {
            let holder = s.key_meta.get(&key_id).and_then(|m| m.holder.as_ref());
            holder.is_some_and(|origin| {
                s.nodes
                    .values()
                    .any(|n| &n.origin == origin && n.revoked.is_some())
            })
        })
    }

    /// The principal a bearer token stands for, if it is genuine, unexpired and current.
    pub fn authenticate(&self, token: &str) -> Result<Principal, AppError> {
        let (body, sig) = token.rsplit_once('.').ok_or(AppError::Unauthenticated)?;
        if !self.token_genuine(body, sig) {
            return Err(AppError::Unauthenticated);
        }
        let mut parts = body.split('.');
        let (Some(version), Some(name), Some(generation), Some(expires)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AppError::Unauthenticated);
        };
        let key_part = parts.next();
        let well_formed = match version {
            "v1" => key_part.is_none(),
            "v2" => key_part.is_some(),
            _ => false,
        };
        if !well_formed || parts.next().is_some() {
            return Err(AppError::Unauthenticated);
        }
        let expires: i64 = expires.parse().map_err(|_| AppError::Unauthenticated)?;
        if expires < Utc::now().timestamp() {
            return Err(AppError::Unauthenticated);
        }
        let name = URL_SAFE_NO_PAD
            .decode(name)
            .map_err(|_| AppError::Unauthenticated)?;
        let name = Username::parse(&String::from_utf8_lossy(&name))
            .map_err(|_| AppError::Unauthenticated)?;
        let user = self
            .read(|s| s.users.get(&name).cloned())
            .ok_or(AppError::Unauthenticated)?;
        if !user.is_active || generation != user.generation.to_string() {
            return Err(AppError::Unauthenticated);
        }
        Ok(Principal {
            username: user.username,
            role: user.role,
        })
    }
}

impl Node {
    /// Changes a member of staff (admins): role, active or not, a new password. A new
    /// password or deactivation ends every session the person had.
    pub async fn update_user(
        &self,
        who: &Principal,
        username: &str,
        role: Option<Role>,
        is_active: Option<bool>,
        password: Option<String>,
    ) -> Result<(), AppError> {
        who.require(&[Role::Admin], "change staff accounts")?;
        let name = Username::parse(username)?;
        if name == who.username
            && (is_active == Some(false) || role.is_some_and(|r| r != Role::Admin))
        {
            return Err(AppError::invalid(
                "username",
                "you cannot lock yourself out: ask another admin",
            ));
        }
        let hash = match password {
            Some(p) => {
                let len = p.chars().count();
                if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&len) {
                    return Err(AppError::invalid(
                        "password",
                        format!("must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters"),
                    ));
                }
                Some(
                    tokio::task::spawn_blocking(move || hash_password(&p))
                        .await
                        .map_err(|e| AppError::Internal(e.into()))??,
                )
            }
            None => None,
        };
        let actor = who.actor();
        self.submit(move |batch| {
            let mut user =
                batch
                    .state()
                    .users
                    .get(&name)
                    .cloned()
                    .ok_or_else(|| AppError::NotFound {
                        what: "user",
                        id: name.as_str().to_owned(),
                    })?;
            let ends_sessions = hash.is_some() || (is_active == Some(false) && user.is_active);
            if let Some(role) = role {
                user.role = role;
            }
            if let Some(active) = is_active {
                user.is_active = active;
            }
            if let Some(hash) = hash {
                user.password_hash = hash;
            }
            if ends_sessions {
                user.generation += 1;
            }
            batch.record(&actor, vec![OpBody::UserSaved(user)]);
            Ok(())
        })
        .await
    }

    /// Remembers the interface language a member of staff chose (`uk` or `en`).
    pub async fn set_language(&self, who: &Principal, lang: &str) -> Result<(), AppError> {
        if !matches!(lang, "uk" | "en") {
            return Err(AppError::invalid("lang", "must be uk or en"));
        }
        let (name, lang) = (who.username.clone(), lang.to_owned());
        let actor = who.actor();
        self.submit(move |batch| {
            let Some(mut user) = batch.state().users.get(&name).cloned() else {
                return Err(AppError::Unauthenticated);
            };
            if user.lang.as_deref() != Some(lang.as_str()) {
                user.lang = Some(lang);
                batch.record(&actor, vec![OpBody::UserSaved(user)]);
            }
            Ok(())
        })
        .await
    }

    /// The language a member of staff chose last, if any.
    pub fn language_of(&self, username: &Username) -> Option<String> {
        self.read(|s| s.users.get(username).and_then(|u| u.lang.clone()))
    }

    /// The anti-forgery token for forms of the session `session_token`.
    pub fn csrf_token(&self, session_token: &str) -> String {
        let mut key_input = *self.token_secret();
        key_input[0] ^= 0x5a;
        let mac = blake3::keyed_hash(&key_input, session_token.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.as_bytes()[..18])
    }

    /// Whether `given` is the anti-forgery token of `session_token`.
    pub fn csrf_ok(&self, session_token: &str, given: &str) -> bool {
        constant_time_eq(self.csrf_token(session_token).as_bytes(), given.as_bytes())
    }
}

/// What a v2 token's key signs: a domain tag keeps it apart from ticket codes and ops.
fn session_message(body: &str) -> Vec<u8> {
    let mut message = b"aspk/session/v2\0".to_vec();
    message.extend_from_slice(body.as_bytes());
    message
}

/// v2 tokens whose signature was checked already: the check costs an Ed25519
/// verification, and a busy gate or box office presents the same token many times a
/// second. Expiry and the user's generation are still checked every time.
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A hash of a random password nobody knows, verified against for unknown user names.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let secret: [u8; 16] = rand::random();
        hash_password(&crate::to_hex(&secret)).unwrap_or_default()
    })
}
