//! `cinema probe`: a health check for containers that ship no curl. It asks this process's own
//! readiness route (`GET /health/ready` on `HTTP_ADDR`), or with `--database` only the database
//! (for `cinema worker`, which serves no HTTP), and answers by exit code within a bound.

use std::{
    io::{Read, Write},
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream},
    time::Duration,
};

use sea_orm::ConnectionTrait;

use crate::settings::Settings;

/// How long a probe may take; orchestrators' own timeouts are a few seconds.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// Why a probe failed, in one line.
pub type Failure = String;

/// `GET /health/ready` on this configuration's listen address.
pub fn http(settings: &Settings) -> Result<(), Failure> {
    let addr = reachable(settings.http.addr);
    let mut stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET /health/ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("{addr}: {e}"))?;
    let mut head = [0u8; 12];
    stream
        .read_exact(&mut head)
        .map_err(|e| format!("{addr}: {e}"))?;
    match &head {
        b"HTTP/1.1 200" => Ok(()),
        other => Err(format!(
            "{addr}/health/ready answered `{}`",
            String::from_utf8_lossy(other)
        )),
    }
}

/// One `SELECT 1` on the configured database.
pub async fn database(settings: &Settings) -> Result<(), Failure> {
    let config = cinema_kernel::db::DatabaseConfig {
        max_connections: 1,
        connect_timeout: TIMEOUT,
        ..settings.database.clone()
    };
    let check = async {
        let db = cinema_kernel::db::connect(&config).await?;
        db.execute_unprepared("SELECT 1").await?;
        db.close().await
    };
    match tokio::time::timeout(TIMEOUT, check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("the database: {e}")),
        Err(_) => Err(format!("the database did not answer within {TIMEOUT:?}")),
    }
}

/// A wildcard listen address is probed on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}
