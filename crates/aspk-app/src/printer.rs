//! Sending a finished byte stream (ESC/POS from `aspk-render`, which stays pure) to a
//! network printer: raw TCP, "port 9100", a.k.a. JetDirect / AppSocket.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

/// Port used when the address has none.
pub const DEFAULT_PRINTER_PORT: u16 = 9100;

/// What the cashier is shown for every [`PrintError`] except [`PrintError::BadAddress`].
pub const PRINTER_OFFLINE: &str = "printer is off or not connected";

/// Why [`send_to_printer`] failed. Every variant but `BadAddress` means the
/// printer could not be reached or stopped taking data, and its message
/// starts with [`PRINTER_OFFLINE`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrintError {
    /// The address is empty, malformed or does not resolve.
    #[error("printer address {addr:?} is not valid ({reason}); check the printer settings")]
    BadAddress {
        /// The address as configured.
        addr: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Nothing listens at the address: the host answered with a TCP reset.
    #[error("printer is off or not connected: {addr} refused the connection")]
    Refused {
        /// The address tried.
        addr: String,
    },
    /// The host or network is unreachable or the connection failed otherwise.
    #[error("printer is off or not connected: cannot reach {addr} ({source})")]
    Unreachable {
        /// The address tried.
        addr: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The printer did not answer (connect) or did not take all data (send)
    /// within the timeout; a printer out of paper or with its cover open
    /// stops reading and ends here too.
    #[error(
        "printer is off or not connected: no answer from {addr} within {timeout:?} while {stage}"
    )]
    Timeout {
        /// The address tried.
        addr: String,
        /// `"connecting"` or `"sending"`.
        stage: &'static str,
        /// The timeout given to [`send_to_printer`].
        timeout: Duration,
    },
    /// The connection broke while sending (printer switched off, cable pulled).
    #[error(
        "printer is off or not connected: {addr} dropped the connection while sending ({source})"
    )]
    Interrupted {
        /// The address tried.
        addr: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl PrintError {
    /// `true` when the printer is unreachable or stopped taking data (show
    /// [`PRINTER_OFFLINE`]); `false` for a configuration error.
    pub fn is_offline(&self) -> bool {
        !matches!(self, PrintError::BadAddress { .. })
    }
}

/// Sends `bytes` to the raw-TCP printer at `addr` and closes the connection.
///
/// `addr` is `host:port`, `ip:port`, `[ipv6]:port`, or a host / IP without
/// a port ([`DEFAULT_PRINTER_PORT`] then). The call connects (trying each
/// resolved address in turn), writes everything, flushes and shuts the write
/// side down (FIN after the last byte); `timeout` bounds the whole operation,
/// name resolution included. Success means the bytes reached the printer's
/// TCP stack, not that paper came out: ESC/POS over port 9100 has no
/// acknowledgement.
///
/// # Errors
/// [`PrintError`]: refused, unreachable, timed out, interrupted, or a bad address.
pub async fn send_to_printer(
    addr: &str,
    bytes: &[u8],
    timeout: Duration,
) -> Result<(), PrintError> {
    let deadline = Instant::now() + timeout;
    let name = addr.trim().to_owned();
    let timed_out = |stage| PrintError::Timeout {
        addr: name.clone(),
        stage,
        timeout,
    };

    let targets = timeout_at(deadline, resolve(&name))
        .await
        .map_err(|_| timed_out("connecting"))??;

    let mut last_error = None;
    let mut stream = None;
    for target in targets {
        match timeout_at(deadline, TcpStream::connect(target)).await {
            Err(_) => return Err(timed_out("connecting")),
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) => last_error = Some(e),
        }
    }
    let Some(mut stream) = stream else {
        return Err(match last_error {
            Some(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                PrintError::Refused { addr: name }
            }
            Some(source) => PrintError::Unreachable { addr: name, source },
            None => PrintError::BadAddress {
                addr: name,
                reason: "resolves to no address".into(),
            },
        });
    };

    let send = async {
        stream.write_all(bytes).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    match timeout_at(deadline, send).await {
        Err(_) => Err(timed_out("sending")),
        Ok(Err(source)) => Err(PrintError::Interrupted { addr: name, source }),
        Ok(Ok(())) => Ok(()),
    }
}

/// The socket addresses `addr` stands for, in resolver order.
async fn resolve(addr: &str) -> Result<Vec<SocketAddr>, PrintError> {
    let bad = |reason: &str| PrintError::BadAddress {
        addr: addr.to_owned(),
        reason: reason.to_owned(),
    };
    if addr.is_empty() {
        return Err(bad("empty"));
    }
    if let Ok(target) = addr.parse::<SocketAddr>() {
        return Ok(vec![target]);
    }
    let bare = addr.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, DEFAULT_PRINTER_PORT)]);
    }
    let with_port = match addr.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.contains(':') => {
            port.parse::<u16>()
                .map_err(|_| bad("the port is not a number 0..=65535"))?;
            addr.to_owned()
        }
        Some(_) => return Err(bad("not a host, host:port or [ipv6]:port")),
        None => format!("{addr}:{DEFAULT_PRINTER_PORT}"),
    };
    let found: Vec<SocketAddr> = tokio::net::lookup_host(with_port)
        .await
        .map_err(|e| bad(&format!("cannot resolve the host name: {e}")))?
        .collect();
    if found.is_empty() {
        return Err(bad("resolves to no address"));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn addresses_parse_with_default_port() {
        rt().block_on(async {
            let one = |a: &'static str| async move { resolve(a).await.expect(a)[0] };
            assert_eq!(one("10.0.0.7").await, "10.0.0.7:9100".parse().expect("sa"));
            assert_eq!(
                one("10.0.0.7:9101").await,
                "10.0.0.7:9101".parse().expect("sa")
            );
            assert_eq!(one("[::1]").await, "[::1]:9100".parse().expect("sa"));
            assert_eq!(one("[::1]:9").await, "[::1]:9".parse().expect("sa"));
            assert_eq!(one("localhost:9102").await.port(), 9102);
            for bad in ["", "host:port", "a:b:c", ":9100"] {
                let e = resolve(bad).await.expect_err(bad);
                assert!(matches!(e, PrintError::BadAddress { .. }), "{bad}: {e}");
                assert!(!e.is_offline());
            }
        });
    }
}
