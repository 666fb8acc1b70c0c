//! A lean HTTP/1.1 client: one keep-alive connection per simulated client, straight on
//! hyper, so the load generator spends as little of the shared CPU as it can (no pool, no
//! TLS, no redirect or cookie machinery). A connection the server closed is reopened on the
//! next request.

use std::net::SocketAddr;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where to send requests and with which credential; cheap to clone into each client.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    host: HeaderValue,
    auth: Option<HeaderValue>,
}

impl Target {
    pub fn new(addr: SocketAddr) -> anyhow::Result<Self> {
        Ok(Self {
            addr,
            host: HeaderValue::from_str(&addr.to_string()).context("host header")?,
            auth: None,
        })
    }

    /// The same target, sending `Authorization: Bearer TOKEN`.
    pub fn with_token(&self, token: &str) -> anyhow::Result<Self> {
        let mut out = self.clone();
        out.auth = Some(
            HeaderValue::from_str(&format!("Bearer {token}")).context("token is not a header")?,
        );
        Ok(out)
    }
}

/// A path parsed once, for requests sent many times.
pub fn path(p: &'static str) -> Uri {
    Uri::from_static(p)
}

/// One client: one connection at a time, requests one after another.
pub struct Client {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    pub fn new(target: Target) -> Self {
        Self {
            target,
            sender: None,
        }
    }

    /// Opens the connection now (if it is not open), so that timing starts on a warm client.
    pub async fn connect(&mut self) -> anyhow::Result<()> {
        if self.sender.as_ref().is_some_and(|s| !s.is_closed()) {
            return Ok(());
        }
        self.sender = None;
        let stream = TcpStream::connect(self.target.addr)
            .await
            .with_context(|| format!("connecting to {}", self.target.addr))?;
        stream.set_nodelay(true).context("TCP_NODELAY")?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP handshake")?;
        tokio::spawn(async move {
            // Ends when the server closes the connection or the client is dropped.
            let _ = conn.await;
        });
        self.sender = Some(sender);
        Ok(())
    }

    /// Sends one request and reads the whole answer. A JSON body goes as `application/json`.
    pub async fn send(
        &mut self,
        method: Method,
        uri: &Uri,
        body: Option<Bytes>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        self.connect().await?;
        let Some(sender) = self.sender.as_mut() else {
            anyhow::bail!("no connection");
        };
        if let Err(e) = sender.ready().await {
            self.sender = None;
            return Err(e).context("connection lost");
        }
        let mut req = Request::builder()
            .method(method)
            .uri(uri.clone())
            .header(HOST, self.target.host.clone());
        if let Some(auth) = &self.target.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        let req = match body {
            Some(body) => req
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(Full::new(body)),
            None => req.body(Full::new(Bytes::new())),
        }
        .context("building a request")?;
        let result = async {
            let resp = sender.send_request(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        }
        .await;
        match result {
            Ok(answer) => Ok(answer),
            Err(e) => {
                self.sender = None;
                Err(e).context("request failed")
            }
        }
    }

    /// `POST` a JSON value (serialised here: for set-up calls, not the timed loops).
    pub async fn post_json(
        &mut self,
        uri: &Uri,
        value: &serde_json::Value,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let body = Bytes::from(serde_json::to_vec(value).context("serialising a request")?);
        self.send(Method::POST, uri, Some(body)).await
    }
}
