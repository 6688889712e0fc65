//! Test harness for Cinema's black-box tests.
//!
//! [`TestApp::spawn`] boots the real application through the same `Application::build` that
//! `cinema serve` uses, on `127.0.0.1:0`, with a database of its own: a temporary SQLite file,
//! or — when `CINEMA_TEST_POSTGRES_URL` is set — a freshly created PostgreSQL database that is
//! dropped when the test ends. Tests then talk to it over HTTP only.

mod http;

pub use cinema_testkit::{SmtpServer, TestDatabase};
pub use http::{Problem, TestResponse};

use std::collections::HashMap;

use cinema_server::{
    settings::Settings,
    startup::{Application, ServerHandle},
};

/// A running application with its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    handle: ServerHandle,
    // Dropped after the server is told to stop, so the database outlives it.
    database: TestDatabase,
}

impl TestApp {
    /// Boots the application with default settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Boots the application with extra environment-style settings.
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        let database = TestDatabase::create().await;
        let mut env: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), database.url().to_owned()),
            ("HTTP_ADDR".into(), "127.0.0.1:0".into()),
            ("HTTP_WORKERS".into(), "1".into()),
            ("SHUTDOWN_TIMEOUT_SECS".into(), "1".into()),
        ]);
        for (k, v) in overrides {
            env.insert((*k).into(), (*v).into());
        }
        let settings = Settings::from_source(&env).expect("test settings are valid");
        if std::env::var_os("TEST_LOG").is_some() {
            cinema_server::telemetry::init(&settings.log);
        }
        let app = Application::build(&settings)
            .await
            .expect("the application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            handle,
            database,
        }
    }

    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> TestResponse {
        let res = request
            .send()
            .await
            .expect("the request reaches the server");
        TestResponse::read(res).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn request(&self, method: reqwest::Method, path: &str) -> TestResponse {
        self.send(self.client.request(method, self.url(path))).await
    }

    /// Sends a raw body with the given content type.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> TestResponse {
        self.send(
            self.client
                .request(method, self.url(path))
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("address", &self.address)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends its command at once; the returned future only waits for completion,
        // which would need this (ending) runtime. The workers exit on their own.
        drop(self.handle.stop(false));
    }
}
