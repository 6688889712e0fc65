//! A loopback SMTP server for tests.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use mailin::{Action, Handler, Response, SessionBuilder, response};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpSocket},
    task::JoinHandle,
};

/// One accepted message.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The raw message as sent after DATA (headers and body, CRLF line ends).
    pub data: String,
}

type Inbox = Arc<Mutex<Vec<ReceivedMail>>>;

/// A port bound on `127.0.0.1` but not listening: connections are refused, the way a mail
/// server that is down behaves, and no other process can take the port until
/// [`SmtpServer::start_on`] serves it (no window between choosing a port and using it).
#[derive(Debug)]
pub struct ReservedPort {
    socket: TcpSocket,
    addr: SocketAddr,
}

impl ReservedPort {
    pub fn new() -> Self {
        let socket = TcpSocket::new_v4().expect("a socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind a loopback port");
        let addr = socket.local_addr().expect("local addr");
        Self { socket, addr }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Default for ReservedPort {
    fn default() -> Self {
        Self::new()
    }
}

/// An SMTP server on `127.0.0.1`. Dropping it stops it.
#[derive(Debug)]
pub struct SmtpServer {
    addr: SocketAddr,
    inbox: Inbox,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpServer {
    /// Starts a server on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        Self::serve(listener, Arc::default())
    }

    /// Starts a server on a port reserved earlier (see [`ReservedPort`]).
    pub fn start_on(port: ReservedPort) -> Self {
        let listener = port
            .socket
            .listen(128)
            .expect("listen on the reserved port");
        Self::serve(listener, Arc::default())
    }

    fn serve(listener: TcpListener, inbox: Inbox) -> Self {
        let addr = listener.local_addr().expect("local addr");
        let task = accept(listener, inbox.clone());
        Self {
            addr,
            inbox,
            task: Mutex::new(Some(task)),
        }
    }

    /// Serves again on the same address, keeping what it received, after [`SmtpServer::stop`].
    pub async fn restart(&self) {
        self.stop();
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("bind SMTP on its old address");
        *self.task.lock().expect("task") = Some(accept(listener, self.inbox.clone()));
    }

    /// A server that accepts connections and never answers, so a client sending to it hangs
    /// mid-delivery (until its own timeout).
    pub async fn start_stalled() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        Self {
            addr,
            inbox: Arc::default(),
            task: Mutex::new(Some(task)),
        }
    }

    /// `smtp://127.0.0.1:PORT` (no TLS), as `SMTP_URL` takes it.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything received so far.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.inbox.lock().expect("inbox").clone()
    }

    /// Waits until at least `n` messages arrived (panics after `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} e-mail(s) within {timeout:?}, got {}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Stops listening; clients get "connection refused" again.
    pub fn stop(&self) {
        if let Some(task) = self.task.lock().expect("task").take() {
            task.abort();
        }
    }
}

fn accept(listener: TcpListener, inbox: Inbox) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            let inbox = inbox.clone();
            tokio::spawn(async move {
                let _ = session(stream, peer.ip(), inbox).await;
            });
        }
    })
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Clone)]
struct Collector {
    inbox: Inbox,
    current: Option<ReceivedMail>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(ReceivedMail {
            from: from.to_owned(),
            to: to.to_vec(),
            data: String::new(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(mail) = self.current.as_mut() {
            mail.data.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(mail) = self.current.take() {
            self.inbox.lock().expect("inbox").push(mail);
        }
        response::OK
    }
}

async fn session(stream: tokio::net::TcpStream, peer: IpAddr, inbox: Inbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let handler = Collector {
        inbox,
        current: None,
    };
    let mut session = SessionBuilder::new("cinema-test-smtp").build(peer, handler);
    write.write_all(&session.greeting().buffer()?).await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let res = session.process(&line);
        match res.action {
            Action::Reply => write.write_all(&res.buffer()?).await?,
            Action::Close => {
                write.write_all(&res.buffer()?).await?;
                return Ok(());
            }
            Action::NoReply | Action::UpgradeTls => {}
        }
    }
}
