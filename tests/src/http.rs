//! Reading responses in tests.

use reqwest::{StatusCode, header::HeaderMap};
use serde::{Deserialize, de::DeserializeOwned};

/// A fully read response.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub(crate) async fn read(res: reqwest::Response) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.bytes().await.expect("a response body").to_vec();
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON of the given type; panics with the body if it does not fit.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {} {}", self.status, self.text()))
    }

    /// Asserts the status and that the body is a well-formed problem document for it.
    pub fn problem(&self, status: u16) -> Problem {
        assert_eq!(self.status.as_u16(), status, "{}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text()
        );
        let problem: Problem = self.json();
        assert_eq!(problem.status, status);
        assert!(!problem.title.is_empty());
        assert!(!problem.detail.is_empty());
        assert!(problem.problem_type.starts_with("urn:cinema:problem:"));
        problem
    }
}

/// A problem+json body.
#[derive(Debug, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(default)]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Deserialize)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}
