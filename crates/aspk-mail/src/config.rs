//! Where and how to reach the SMTP server: address, TLS, login, extra trusted root.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `host:port` of the SMTP server (a LAN relay or the provider's submission port).
    pub server: String,
    /// The sender, e.g. `Музей <tickets@museum.example>`.
    pub from: String,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the local network only).
    #[default]
    None,
    /// `STARTTLS` is required after the greeting (submission port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
}

impl SmtpTls {
    /// `none`, `starttls` or `implicit`.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "implicit" | "tls" => Ok(Self::Implicit),
            other => anyhow::bail!("--smtp-tls '{other}': use none, starttls or implicit"),
        }
    }
}

/// A password that never shows in logs or `Debug` output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The account the mailer signs in with.
#[derive(Debug, Clone)]
pub struct SmtpLogin {
    pub user: String,
    pub password: Secret,
}

/// TLS, login and trusted roots; the default is plain SMTP without login.
#[derive(Debug, Clone, Default)]
pub struct SmtpSecurity {
    pub tls: SmtpTls,
    pub login: Option<SmtpLogin>,
    /// Extra root certificates to trust (PEM), e.g. a museum relay's own CA.
    pub extra_roots_pem: Option<Vec<u8>>,
}

impl SmtpSecurity {
    /// Resolves the serve options: TLS defaults to `starttls` with a login, else `none`.
    /// The password is `env_password` (`ASPK_SMTP_PASSWORD`), else the contents of
    /// `password_file` (trailing newline dropped). A user without a password is an error.
    pub fn from_options(
        tls: Option<&str>,
        user: Option<&str>,
        env_password: Option<String>,
        password_file: Option<&Path>,
        ca_file: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let user = user.map(str::trim).filter(|u| !u.is_empty());
        let tls = match tls {
            Some(raw) => SmtpTls::parse(raw)?,
            None if user.is_some() => SmtpTls::StartTls,
            None => SmtpTls::None,
        };
        let login = match user {
            None => None,
            Some(user) => {
                let password = match (env_password.filter(|p| !p.is_empty()), password_file) {
                    (Some(password), _) => password,
                    (None, Some(file)) => std::fs::read_to_string(file)
                        .map_err(|e| anyhow::anyhow!("SMTP password file {}: {e}", file.display()))?
                        .trim_end_matches(['\r', '\n'])
                        .to_owned(),
                    (None, None) => anyhow::bail!(
                        "--smtp-user needs a password: ASPK_SMTP_PASSWORD or --smtp-password-file"
                    ),
                };
                Some(SmtpLogin {
                    user: user.to_owned(),
                    password: Secret::new(password),
                })
            }
        };
        let extra_roots_pem = ca_file
            .map(|file| {
                std::fs::read(file)
                    .map_err(|e| anyhow::anyhow!("--smtp-ca {}: {e}", file.display()))
            })
            .transpose()?;
        Ok(Self {
            tls,
            login,
            extra_roots_pem,
        })
    }
}

/// Mails in flight at once (each on a connection of the pool).
pub(crate) const IN_FLIGHT: usize = 4;

/// The transport to `server` (`host:port`, port 25 when left out) with `security`.
pub(crate) fn transport(
    server: &str,
    security: &SmtpSecurity,
) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let (host, port) = match server.rsplit_once(':') {
        Some((h, p)) => (
            h.trim_start_matches('[').trim_end_matches(']').to_owned(),
            p.parse::<u16>()
                .map_err(|_| anyhow::anyhow!("--smtp '{server}': the port is not a number"))?,
        ),
        None => (server.to_owned(), 25),
    };
    let tls = match security.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::StartTls => Tls::Required(tls_parameters(&host, security)?),
        SmtpTls::Implicit => Tls::Wrapper(tls_parameters(&host, security)?),
    };
    let pool = PoolConfig::new()
        .max_size(IN_FLIGHT as u32)
        .idle_timeout(Duration::from_secs(30));
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(20)))
        .pool_config(pool);
    if let Some(login) = &security.login {
        builder = builder.credentials(Credentials::new(
            login.user.clone(),
            login.password.expose().to_owned(),
        ));
    }
    Ok(builder.build())
}

fn tls_parameters(host: &str, security: &SmtpSecurity) -> anyhow::Result<TlsParameters> {
    let mut params = TlsParameters::builder(host.to_owned());
    if let Some(pem) = &security.extra_roots_pem {
        let root = Certificate::from_pem(pem)
            .map_err(|e| anyhow::anyhow!("--smtp-ca: not a PEM certificate: {e}"))?;
        params = params.add_root_certificate(root);
    }
    params
        .build_rustls()
        .map_err(|e| anyhow::anyhow!("SMTP TLS for {host}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_in_debug() {
        let security = SmtpSecurity::from_options(
            None,
            Some("tickets"),
            Some("hunter2-very-secret".into()),
            None,
            None,
        )
        .expect("options");
        assert_eq!(security.tls, SmtpTls::StartTls, "a login implies STARTTLS");
        let shown = format!("{security:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("tickets"), "{shown}");
    }

    #[test]
    fn the_password_file_is_read_without_its_newline() {
        let dir = std::env::temp_dir().join(format!("aspk-mail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("smtp-password");
        std::fs::write(&file, "s3cret\n").expect("write");
        let security =
            SmtpSecurity::from_options(Some("implicit"), Some("u"), None, Some(&file), None)
                .expect("options");
        let login = security.login.expect("a login");
        assert_eq!(login.password.expose(), "s3cret");
        assert_eq!(security.tls, SmtpTls::Implicit);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(SmtpSecurity::from_options(None, Some("u"), None, None, None).is_err());
        assert!(SmtpTls::parse("ssl3").is_err());
    }
}
