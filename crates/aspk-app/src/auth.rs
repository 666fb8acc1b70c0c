//! Staff accounts and passwords (argon2id), and signing in. Sessions themselves are in
//! [`crate::session`].
//!
//! An account (`user_saved`) and its password (`password_set`) are separate ops, so the
//! account can travel to every replica (each checks staff roles from the log) while the
//! hash reaches only the nodes where the person may sign in: the cloud, and the site node
//! of the venue they work at. A password change or a locked account bumps the account's
//! generation, which ends every session it had, on every node.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use aspk_domain::{ConflictCode, Role, User, Username};
use aspk_oplog::OpBody;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::net::IpAddr;

use crate::access::Action;
use crate::{AppError, Node, TokenIssued};

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
    // What a member of staff may do is decided by the access table (`access.rs`):
    // `Principal::may` and `Principal::require_to`.
}

pub const MIN_PASSWORD_LEN: usize = 8;
const MAX_PASSWORD_LEN: usize = 1024;

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

fn check_password_length(password: &str) -> Result<(), AppError> {
    let len = password.chars().count();
    if (MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&len) {
        return Ok(());
    }
    Err(AppError::invalid(
        "password",
        format!("must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters"),
    ))
}

pub(crate) fn password_matches(hash: &str, password: &str) -> bool {
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
    /// `venue`: the venue the person works at (they may then sign in at its site node
    /// too); none for the organisation's own staff, who sign in at the cloud.
    pub async fn add_user(
        &self,
        actor: &str,
        username: &str,
        password: &str,
        role: Role,
        venue: Option<&str>,
    ) -> Result<(), AppError> {
        let username = Username::parse(username)?;
        check_password_length(password)?;
        let venue = venue
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| self.read(|s| crate::catalog::venue_of(s, v).map(|v| v.id.clone())))
            .transpose()?;
        self.save_new_user(actor, username, password.to_owned(), role, venue)
            .await
    }

    pub(crate) async fn save_new_user(
        &self,
        actor: &str,
        username: Username,
        password: String,
        role: Role,
        venue: Option<aspk_domain::Slug>,
    ) -> Result<(), AppError> {
        self.require_authority("change staff accounts")?;
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.into()))??;
        let actor = actor.to_owned();
        self.submit(move |batch| {
            if batch.state().users().contains_key(&username) {
                return Err(AppError::Conflict {
                    code: ConflictCode::UserExists,
                    detail: format!("user '{}' already exists", username.as_str()),
                });
            }
            let user = User {
                username: username.clone(),
                role,
                password_hash: String::new(),
                is_active: true,
                generation: 1,
                lang: None,
                venue,
            };
            batch.record(
                &actor,
                vec![
                    OpBody::UserSaved(user),
                    OpBody::PasswordSet {
                        username,
                        password_hash: hash,
                    },
                ],
            );
            Ok(())
        })
        .await
    }

    /// Refuses what only the organisation's authority (the cloud) decides.
    pub(crate) fn require_authority(&self, action: &'static str) -> Result<(), AppError> {
        match self.role() {
            crate::NodeRole::Cloud => Ok(()),
            _ => Err(AppError::Conflict {
                code: ConflictCode::NotAuthority,
                detail: format!("{action}: this is done at the cloud"),
            }),
        }
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
            .and_then(|name| self.read(|s| s.users().get(&name).cloned()))
            .filter(|u| u.is_active);
        let password = password.to_owned();
        // Hash even for unknown users so response time does not reveal which names exist.
        // An account whose password this node does not hold (the organisation's staff at a
        // site node) cannot sign in here.
        let user = user.filter(|u| !u.password_hash.is_empty());
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_owned());
        let ok = tokio::task::spawn_blocking(move || password_matches(&hash, &password))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let user = user.filter(|_| ok).ok_or(AppError::BadCredentials)?;
        self.open_session(&user).await
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
        who.require_to(Action::ChangeStaff)?;
        self.require_authority("change staff accounts")?;
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
                check_password_length(&p)?;
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
                    .users()
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
            if ends_sessions {
                user.generation += 1;
            }
            // The account travels without its hash; the password is an op of its own.
            user.password_hash = String::new();
            let username = user.username.clone();
            let mut ops = vec![OpBody::UserSaved(user)];
            if let Some(password_hash) = hash {
                ops.push(OpBody::PasswordSet {
                    username,
                    password_hash,
                });
            }
            batch.record(&actor, ops);
            Ok(())
        })
        .await
    }

    /// Remembers the interface language a member of staff chose (`uk` or `en`).
    pub async fn set_language(&self, who: &Principal, lang: &str) -> Result<(), AppError> {
        if !matches!(lang, "uk" | "en") {
            return Err(AppError::invalid("lang", "must be uk or en"));
        }
        let (username, lang) = (who.username.clone(), lang.to_owned());
        let actor = who.actor();
        self.submit(move |batch| {
            let Some(user) = batch.state().users().get(&username) else {
                return Err(AppError::Unauthenticated);
            };
            if user.lang.as_deref() != Some(lang.as_str()) {
                batch.record(&actor, vec![OpBody::LanguageChosen { username, lang }]);
            }
            Ok(())
        })
        .await
    }

    /// The language a member of staff chose last, if any.
    pub fn language_of(&self, username: &Username) -> Option<String> {
        self.read(|s| s.users().get(username).and_then(|u| u.lang.clone()))
    }

    /// The anti-forgery token for forms of the session `session_token`: bound to the
    /// session, so it outlives the token's renewals.
    pub fn csrf_token(&self, session_token: &str) -> String {
        let mut key_input = *self.token_secret();
        key_input[0] ^= 0x5a;
        let bound_to = self
            .session(session_token)
            .map(|s| s.id)
            .unwrap_or_else(|_| session_token.to_owned());
        let mac = blake3::keyed_hash(&key_input, bound_to.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.as_bytes()[..18])
    }

    /// A MAC of `data` under this node's secret (the staff pages' route cookie).
    pub fn route_mac(&self, data: &str) -> String {
        let mut key_input = *self.token_secret();
        key_input[0] ^= 0xa5;
        let mac = blake3::keyed_hash(&key_input, data.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.as_bytes()[..18])
    }

    /// Whether `mac` is this node's [`Node::route_mac`] of `data`.
    pub fn route_mac_ok(&self, data: &str, mac: &str) -> bool {
        constant_time_eq(self.route_mac(data).as_bytes(), mac.as_bytes())
    }

    /// Whether `given` is the anti-forgery token of `session_token`.
    pub fn csrf_ok(&self, session_token: &str, given: &str) -> bool {
        constant_time_eq(self.csrf_token(session_token).as_bytes(), given.as_bytes())
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
