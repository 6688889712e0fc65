//! A PostgreSQL cluster of a test's own: `initdb` into a temporary directory, `pg_ctl` on a
//! loopback port, so the test can stop and start it (an outage) or replicate it with
//! `pg_basebackup` (a streaming read replica). PostgreSQL refuses to run as root: as root, every
//! program runs as the `postgres` user, which then owns the directory.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
};

/// A cluster in a temporary directory, stopped and deleted on drop.
pub struct PgCluster {
    root: tempfile::TempDir,
    bindir: PathBuf,
    port: u16,
    /// The `postgres` user's uid and gid when this process is root.
    run_as: Option<(u32, u32)>,
}

impl std::fmt::Debug for PgCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgCluster(127.0.0.1:{})", self.port)
    }
}

impl PgCluster {
    /// A new primary, stopped (allows streaming replication from loopback); `None` when
    /// PostgreSQL's server programs are not installed.
    pub fn init() -> Option<Self> {
        let bindir = bindir()?;
        let cluster = Self::empty(bindir);
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        cluster.configure(&[
            "wal_level = replica",
            "max_wal_senders = 8",
            "wal_keep_size = '256MB'",
            "fsync = off",
            "full_page_writes = off",
            "shared_buffers = '32MB'",
            "max_connections = 200",
        ]);
        Some(cluster)
    }

    /// A streaming replica of this running cluster (`pg_basebackup -R`), stopped.
    pub fn replica(&self) -> Self {
        let replica = Self::empty(self.bindir.clone());
        replica.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-D",
                &replica.data(),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ],
        );
        replica.configure(&["hot_standby = on", "hot_standby_feedback = on"]);
        replica
    }

    fn empty(bindir: PathBuf) -> Self {
        let root = tempfile::tempdir().expect("a directory for the cluster");
        let run_as = postgres_user();
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(root.path(), Some(uid), Some(gid))
                .expect("hand the cluster's directory to postgres");
        }
        Self {
            root,
            bindir,
            port: free_port(),
            run_as,
        }
    }

    /// Appends settings to `postgresql.conf`; its own port and socket directory come last.
    fn configure(&self, lines: &[&str]) {
        let conf = Path::new(&self.data()).join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("postgresql.conf");
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n",
            self.port,
            self.root.path().display()
        ));
        std::fs::write(&conf, text).expect("write postgresql.conf");
    }

    fn data(&self) -> String {
        self.root.path().join("data").display().to_string()
    }

    fn log(&self) -> String {
        self.root.path().join("log").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self.command(program, args).output().expect(program);
        assert!(
            output.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let path = self.bindir.join(program);
        let mut command = match self.run_as {
            Some(_) => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        command.args(args).current_dir(self.root.path());
        command
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &self.log(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server: `fast` disconnects clients and shuts down cleanly, `immediate` is a
    /// crash.
    pub fn stop(&self, mode: &str) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", mode, "-w", "stop"]);
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name` on it.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The server's log so far (for a failing test's message).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

/// Where `initdb` and `pg_ctl` are: `pg_config --bindir`, else Debian's layout.
fn bindir() -> Option<PathBuf> {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|dirs| {
            let mut versions: Vec<PathBuf> = dirs.flatten().map(|d| d.path().join("bin")).collect();
            versions.sort();
            versions.pop()
        });
    [from_pg_config, debian]
        .into_iter()
        .flatten()
        .find(|dir| dir.join("initdb").exists() && dir.join("pg_basebackup").exists())
}

fn postgres_user() -> Option<(u32, u32)> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root {
        return None;
    }
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .expect("id postgres");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("running as root needs a `postgres` user to run PostgreSQL as")
    };
    Some((id("-u"), id("-g")))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}
