//! The `cinema` binary as an operator runs it: configuration errors, commands, signals.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers of a test binary: a panic is a test failure"
)]

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_cinema");

/// A command with an empty environment (but PATH) in a fresh working directory.
fn cinema(dir: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir.path())
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.output().expect("cinema runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_malformed_database_url_stops_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["mysql://localhost/cinema", "not a url"] {
        let (code, _, stderr) = run(cinema(&dir).env("DATABASE_URL", bad).arg("serve"));
        assert_eq!(code, Some(2), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    }
}

#[test]
fn an_unreachable_database_stops_with_one_clear_line_and_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(cinema(&dir)
        .env(
            "DATABASE_URL",
            "postgres://app:topsecret@127.0.0.1:1/cinema",
        )
        .env("DATABASE_CONNECT_TIMEOUT_SECS", "2")
        .env("LOG_LEVEL", "off"));
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(!stderr.contains("topsecret"), "{stderr}");
}

#[test]
fn other_bad_values_name_their_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("HTTP_ADDR", "everywhere"),
        ("LOG_FORMAT", "yaml"),
        ("DATABASE_MAX_CONNECTIONS", "-3"),
    ] {
        let (code, _, stderr) = run(cinema(&dir).env(var, value));
        assert_eq!(code, Some(2), "{var}: {stderr}");
        assert!(stderr.contains(var), "{stderr}");
    }
}

#[test]
fn a_malformed_dotenv_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "DATABASE_URL='unterminated\n").unwrap();
    let (code, _, stderr) = run(&mut cinema(&dir));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(".env"), "{stderr}");
}

#[test]
fn dotenv_values_are_read_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "LOG_FORMAT=yaml\n").unwrap();
    let (code, _, stderr) = run(&mut cinema(&dir));
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("LOG_FORMAT"),
        "the .env value is read: {stderr}"
    );

    let (code, stdout, stderr) = run(cinema(&dir)
        .env("LOG_FORMAT", "text")
        .args(["migrate", "status"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("pending  m2026"), "{stdout}");
}

#[test]
fn openapi_prints_the_document_served_at_openapi_json() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(cinema(&dir).arg("openapi"));
    assert_eq!(code, Some(0), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/health"].is_object());
    assert!(
        !dir.path().join("cinema.db").exists(),
        "openapi touches no database"
    );
}

#[test]
fn migrate_commands_work_on_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let status = |dir: &tempfile::TempDir| {
        let (code, stdout, stderr) = run(cinema(dir).args(["migrate", "status"]));
        assert_eq!(code, Some(0), "{stderr}");
        stdout
    };
    let migrate = |args: &[&str]| {
        let (code, _, stderr) = run(cinema(&dir).env("LOG_LEVEL", "warn").args(args));
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    };
    migrate(&["migrate", "up"]);
    assert!(!status(&dir).contains("pending"), "{}", status(&dir));
    migrate(&["migrate", "down"]);
    assert!(status(&dir).contains("pending"));
    migrate(&["migrate", "fresh"]);
    assert!(!status(&dir).contains("pending"));
    assert!(dir.path().join("cinema.db").exists());
}

#[test]
fn serve_with_no_configuration_uses_sqlite_here_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    // Port 0 instead of 8010 so the test never clashes with a running server; everything else
    // is left at its default.
    let mut child = cinema(&dir)
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let address = listening_address(&mut lines);

    let health = ureq_get(&format!("{address}/health"));
    assert!(health.contains("healthy"), "{health}");
    assert!(
        dir.path().join("cinema.db").exists(),
        "SQLite file in the working directory"
    );

    let started = Instant::now();
    sigterm(&child);
    assert_eq!(exit_code(&mut child, started), Some(0));
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("shutdown requested")),
        "{rest:?}"
    );
}

/// SIGTERM behind a balancer: readiness turns red first while requests are still served for
/// `SHUTDOWN_DRAIN_MS`, so the balancer stops sending before the listener closes.
#[test]
fn sigterm_turns_readiness_red_first_and_keeps_serving_while_draining() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, address) = serving(
        cinema(&dir)
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("SHUTDOWN_DRAIN_MS", "3000"),
    );
    assert!(ureq_get(&format!("{address}/health/ready")).starts_with("HTTP/1.1 200"));
    let sent = Instant::now();
    sigterm(&server);
    // Red at once (the signal is handled asynchronously: allow it a moment), still serving.
    let red = loop {
        let ready = ureq_get(&format!("{address}/health/ready"));
        if ready.starts_with("HTTP/1.1 503") {
            break ready;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "readiness still green: {ready}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(red.to_lowercase().contains("retry-after"), "{red}");
    assert!(ureq_get(&format!("{address}/health")).starts_with("HTTP/1.1 200"));
    assert!(ureq_get(&format!("{address}/api/v1/genres")).starts_with("HTTP/1.1 200"));
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "the drain was too short to test"
    );
    assert_eq!(exit_code(&mut server, sent), Some(0));
    assert!(
        sent.elapsed() >= Duration::from_millis(3000),
        "stopped before the drain ended"
    );
}

fn sigterm(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The exit code of a process told to stop at `since`, which must exit within 20 s of it.
fn exit_code(child: &mut std::process::Child, since: Instant) -> Option<i32> {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            since.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts a server (JSON logs) and answers it with its address; its log is read on a thread
/// from then on, so it never blocks on a full pipe.
fn serving(cmd: &mut Command) -> (std::process::Child, String) {
    let mut server = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let address = listening_address(&mut lines);
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    (server, address)
}

/// The address in the server's `listening` log line (JSON logs), read from its standard error.
fn listening_address(lines: &mut impl Iterator<Item = std::io::Result<String>>) -> String {
    lines
        .map_while(Result::ok)
        .find_map(|line| {
            let event: serde_json::Value = serde_json::from_str(&line).ok()?;
            (event["message"] == "listening")
                .then(|| event["address"].as_str().map(str::to_owned))?
        })
        .expect("a `listening` log line with the address")
}

/// A minimal blocking HTTP GET, so this test needs no async runtime or client crate.
fn ureq_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').map_or((rest, "/"), |(h, _)| (h, url));
    let path = path.strip_prefix(&format!("http://{host}")).unwrap_or(path);
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn user_create_bootstraps_an_admin_once_and_refuses_a_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let create = |email: &str, password: &str| {
        run(cinema(&dir)
            .env("BCRYPT_COST", "4")
            .env("LOG_LEVEL", "warn")
            .args([
                "user",
                "create",
                "--email",
                email,
                "--password",
                password,
                "--role",
                "ADMIN",
                "--active",
            ]))
    };
    let (code, stdout, stderr) = create("Root@Example.com", "Admin#1234");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("root@example.com") && stdout.contains("ADMIN"),
        "{stdout}"
    );

    let (code, _, stderr) = create("root@example.com", "Other#5678");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("already exists") && stderr.contains("nothing was changed"),
        "{stderr}"
    );

    let (code, _, stderr) = create("new@example.com", "weak");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("password"), "{stderr}");
}

#[test]
fn the_sample_configuration_works_as_a_dotenv_file() {
    let dir = tempfile::tempdir().unwrap();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../.env.sample");
    std::fs::copy(sample, dir.path().join(".env")).unwrap();
    let (code, stdout, stderr) = run(cinema(&dir).args(["migrate", "status"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("pending"), "{stdout}");
}

/// The total of the public movie list, as served.
fn movies_total(address: &str) -> u64 {
    let response = ureq_get(&format!("{address}/api/v1/movies/?limit=1"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // The body may come chunked: the JSON object is between the outer braces.
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    let page: serde_json::Value = serde_json::from_str(json).unwrap();
    page["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_seed_from_the_cli_is_seen_by_a_running_server_within_the_staleness_bound() {
    let database = cinema_testkit::TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let bound = Duration::from_millis(500);
    let (mut server, address) = serving(
        cinema(&dir)
            .env("DATABASE_URL", database.url())
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env(
                "CATALOG_CACHE_MAX_STALENESS_MS",
                bound.as_millis().to_string(),
            )
            .arg("serve")
            .arg("--no-worker"),
    );

    assert_eq!(movies_total(&address), 0);
    assert_eq!(movies_total(&address), 0, "now answered from the cache");
    let (code, stdout, stderr) = run(cinema(&dir)
        .env("DATABASE_URL", database.url())
        .env("BCRYPT_COST", "4")
        .env("LOG_LEVEL", "warn")
        .arg("seed"));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let seeded = Instant::now();
    while movies_total(&address) == 0 {
        assert!(
            seeded.elapsed() < bound,
            "the CLI's movies were not served within {bound:?} (PostgreSQL: {})",
            database.is_postgres()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server.kill().ok();
    server.wait().ok();
}

#[test]
fn a_first_start_names_how_to_fill_it_and_demo_fills_an_empty_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let serve = |args: &[&str]| {
        let mut server = cinema(&dir)
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("BCRYPT_COST", "4")
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
        let address = listening_address(&mut lines);
        let first_run: Vec<String> = lines
            .by_ref()
            .map_while(Result::ok)
            .take_while(|l| l.contains("first run"))
            .collect();
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        let total = movies_total(&address);
        server.kill().ok();
        let out = server.wait_with_output().unwrap();
        (
            first_run,
            total,
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    // An empty database: two hints, each naming its command.
    let (hints, total, _) = serve(&["serve", "--no-worker"]);
    assert_eq!(total, 0);
    assert_eq!(hints.len(), 2, "{hints:?}");
    assert!(
        hints[0].contains("cinema seed") && hints[0].contains("--demo"),
        "{hints:?}"
    );
    assert!(hints[1].contains("cinema user create"), "{hints:?}");

    // Production refuses the demo, before touching anything.
    let (code, _, stderr) = run(cinema(&dir)
        .env("APP_ENV", "production")
        .env("STRIPE_SECRET_KEY", "sk_test_1")
        .env("STRIPE_WEBHOOK_SECRET", "whsec_1")
        .arg("--demo"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("APP_ENV=production"), "{stderr}");
    let (code, _, stderr) = run(cinema(&dir).args(["--demo", "migrate", "status"]));
    assert_eq!(code, Some(2), "{stderr}");

    // `--demo` loads the catalog and the accounts, printing the passwords once …
    let (hints, total, stdout) = serve(&["serve", "--no-worker", "--demo"]);
    assert!(total >= 10, "the demo catalog: {total}");
    assert!(hints.is_empty(), "{hints:?}");
    assert!(
        stdout.contains("admin@cinema.localhost  password:"),
        "{stdout}"
    );

    // … and never again on a database that has movies.
    let (_, again, stdout) = serve(&["serve", "--no-worker", "--demo"]);
    assert_eq!(again, total);
    assert!(!stdout.contains("password"), "{stdout}");
}

#[test]
fn a_synthetic_seed_off_a_terminal_reports_progress_in_plain_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(cinema(&dir)
        .env("LOG_LEVEL", "warn")
        .args(["seed", "--movies", "120"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("120 movies"), "{stdout}");
    // No bar, no escape sequences: lines a log file can hold.
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\r'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("120/120 movies (100%)") && stderr.ends_with(", done\n"),
        "{stderr}"
    );
}

#[test]
fn probe_answers_by_exit_code_for_containers_without_curl() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, address) = serving(
        cinema(&dir)
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .args(["serve", "--no-worker"]),
    );
    let listen = address.trim_start_matches("http://").to_owned();
    let probe = |args: &[&str], addr: &str| {
        run(cinema(&dir)
            .env("HTTP_ADDR", addr)
            .env("LOG_LEVEL", "off")
            .arg("probe")
            .args(args))
    };
    let (code, _, stderr) = probe(&[], &listen);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, stderr) = probe(&["--database"], &listen);
    assert_eq!(code, Some(0), "{stderr}");

    server.kill().ok();
    server.wait().ok();
    let started = Instant::now();
    let (code, _, stderr) = probe(&[], &listen);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&listen), "{stderr}");
    let (code, _, stderr) = run(cinema(&dir)
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("LOG_LEVEL", "off")
        .args(["probe", "--database"]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("database"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "probes are bounded"
    );
}
