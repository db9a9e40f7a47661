//! The server's health, as `doctor`, `service status` and `install --http` ask for it: `GET
//! /health` over hyper's HTTP/1.1 client, one request per connection, as Claude Code sends them,
//! each connection checked to lead to a process of this user ([`super::owner`]) before the token
//! is sent on it.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long the client waits for a connection or an answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to `addr` and checks that the process answering runs as this user.
async fn connect_verified(addr: SocketAddr) -> Result<tokio::net::TcpStream, HealthError> {
    let down = |e: std::io::Error| HealthError::Down(e.to_string());
    let stream = tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| HealthError::Down(String::from("connection timed out")))?
        .map_err(down)?;
    let local = stream.local_addr().map_err(down)?;
    super::owner::verify(local, addr).map_err(HealthError::NotOurs)?;
    Ok(stream)
}

/// Checks that the process listening at `addr` runs as this user, sending nothing.
pub(crate) fn verify_owner(addr: SocketAddr) -> Result<(), HealthError> {
    block_on(async { connect_verified(addr).await.map(drop) })
}

fn block_on<T>(
    f: impl std::future::Future<Output = Result<T, HealthError>>,
) -> Result<T, HealthError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HealthError::Down(e.to_string()))?
        .block_on(f)
}

/// `GET /health` on a new, verified connection: the status and the body.
async fn get_health(addr: SocketAddr, token: &str) -> Result<(u16, Bytes), HealthError> {
    let down = |e: &dyn std::fmt::Display| HealthError::Down(e.to_string());
    let stream = connect_verified(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| down(&e))?;
    tokio::spawn(conn);
    let req = hyper::Request::get("/health")
        .header(hyper::header::HOST, "localhost")
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Empty::<Bytes>::new())
        .map_err(|e| down(&e))?;
    let exchange = async {
        let resp = sender.send_request(req).await.map_err(|e| down(&e))?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.map_err(|e| down(&e))?;
        Ok((status, body.to_bytes()))
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| HealthError::Down(String::from("no answer within 5 s")))?
}

/// What `/health` said, and how long a round trip took.
#[derive(Debug, Clone)]
pub(crate) struct Health {
    /// Sessions the server holds.
    pub sessions: u64,
    /// Median round trip, new connection each, in ms.
    pub median_ms: f64,
    /// Round trips measured.
    pub samples: usize,
}

/// Why `/health` gave no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum HealthError {
    /// Nothing answers, or not as the server does.
    #[error("{0}")]
    Down(String),
    /// The process at the address runs as another user: nothing was sent to it.
    #[error("{0}")]
    NotOurs(String),
}

/// Asks the server at `addr` for `/health` a few times (new connection each) with the user's
/// token.
pub(crate) fn health(addr: SocketAddr) -> Result<Health, HealthError> {
    let env = |k: &str| std::env::var_os(k);
    let path = super::token::default_path(&env)
        .ok_or_else(|| HealthError::Down(String::from("no config dir for the token")))?;
    let token = super::token::load(&path)
        .map_err(|e| HealthError::Down(format!("token file '{}': {e}", path.display())))?;
    health_with(addr, &token)
}

/// [`health`] with a given token. Each connection is verified before the token is sent on it.
pub(crate) fn health_with(addr: SocketAddr, token: &str) -> Result<Health, HealthError> {
    let down = |e: String| HealthError::Down(e);
    block_on(async {
        let mut times = Vec::new();
        let mut sessions = 0;
        for _ in 0..7 {
            let start = Instant::now();
            let (status, body) = get_health(addr, token).await?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            if status == 401 {
                return Err(down(String::from("401: the server has another token")));
            }
            if status != 200 {
                return Err(down(format!("status {status}")));
            }
            let v: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| down(e.to_string()))?;
            sessions = v["sessions"].as_u64().unwrap_or(0);
        }
        times.sort_by(f64::total_cmp);
        Ok(Health {
            sessions,
            median_ms: times[times.len() / 2],
            samples: times.len(),
        })
    })
}
