//! A real S3 server on loopback: s3s-fs, in-process, checking SigV4 signatures (headers and
//! presigned URLs) the way S3 does, storing objects as files under a temporary directory.

use std::{net::SocketAddr, path::PathBuf};

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder as ConnBuilder,
};
use s3s::{auth::SimpleAuth, service::S3ServiceBuilder};
use tokio::{net::TcpListener, task::JoinHandle};

/// An S3 server on `127.0.0.1`. Dropping it (or [`S3Server::stop`]) stops it and every open
/// connection, so clients see a storage outage.
#[derive(Debug)]
pub struct S3Server {
    addr: SocketAddr,
    root: tempfile::TempDir,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl S3Server {
    pub const ACCESS_KEY: &str = "cinema-test-access";
    pub const SECRET_KEY: &str = "cinema-test-secret-key";
    pub const REGION: &str = "us-east-1";

    /// Starts a server on a free port.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("S3 root");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind S3");
        let addr = listener.local_addr().expect("local addr");
        let task = std::sync::Mutex::new(Some(serve(listener, root.path())));
        Self { addr, root, task }
    }

    /// Serves again on the same address with the same objects, after [`S3Server::stop`].
    pub async fn restart(&self) {
        self.stop();
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("bind S3 on its old address");
        *self.task.lock().expect("task") = Some(serve(listener, self.root.path()));
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where an object of `bucket` is kept on disk.
    pub fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.path().join(bucket).join(key)
    }

    /// Whether `bucket` holds `key`.
    pub fn has_object(&self, bucket: &str, key: &str) -> bool {
        self.object_path(bucket, key).is_file()
    }

    /// Keys of the objects under `bucket/folder`, sorted.
    pub fn keys(&self, bucket: &str, folder: &str) -> Vec<String> {
        keys_under(&self.root.path().join(bucket), folder)
    }

    /// Stops serving: new connections are refused and open ones are closed.
    pub fn stop(&self) {
        if let Some(task) = self.task.lock().expect("task").take() {
            task.abort();
        }
    }
}

/// The keys (`folder/name`) of the files in `root/folder`, sorted: how both s3s-fs and the
/// local-disk store lay objects out.
pub fn keys_under(root: &std::path::Path, folder: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
        return Vec::new();
    };
    let mut keys: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| format!("{folder}/{}", e.file_name().to_string_lossy()))
        .collect();
    keys.sort();
    keys
}

fn serve(listener: TcpListener, root: &std::path::Path) -> JoinHandle<()> {
    let fs = s3s_fs::FileSystem::new(root).expect("s3s-fs root");
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(
        S3Server::ACCESS_KEY,
        S3Server::SECRET_KEY,
    ));
    let service = builder.build();
    tokio::spawn(async move {
        // Connections live in this set, so aborting the server task closes them too.
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((socket, _)) = listener.accept().await {
            let service = service.clone();
            connections.spawn(async move {
                let _ = ConnBuilder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
            while connections.try_join_next().is_some() {}
        }
    })
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}
