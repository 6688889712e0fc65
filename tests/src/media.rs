//! Images, multipart bodies and storage inspection for the media tests.

use serde_json::Value;

use crate::{S3_BUCKET, TestApp, TestResponse};

/// The boundary of the multipart bodies built here.
pub const BOUNDARY: &str = "cinema-test-boundary-7MA4YWxkTrZu0gW";

/// A PNG signature and header followed by `len - 16` filler bytes.
pub fn png(len: usize) -> Vec<u8> {
    image(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", len)
}

pub fn jpeg(len: usize) -> Vec<u8> {
    image(b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0", len)
}

pub fn webp(len: usize) -> Vec<u8> {
    image(b"RIFF\x24\0\0\0WEBPVP8 ", len)
}

fn image(magic: &[u8], len: usize) -> Vec<u8> {
    let mut bytes = magic.to_vec();
    // Varied filler, so a truncated or shifted copy never compares equal.
    bytes.extend((0..len.saturating_sub(magic.len())).map(|i| (i % 251) as u8));
    bytes.truncate(len);
    bytes
}

/// The opening of a multipart part, up to where the content starts.
pub fn part_head(field: &str, filename: &str, content_type: &str) -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes()
}

/// The end of the last part.
pub fn body_tail() -> Vec<u8> {
    format!("\r\n--{BOUNDARY}--\r\n").into_bytes()
}

/// A multipart body with one file part.
pub fn multipart(field: &str, filename: &str, content_type: &str, content: &[u8]) -> Vec<u8> {
    let mut body = part_head(field, filename, content_type);
    body.extend_from_slice(content);
    body.extend(body_tail());
    body
}

pub fn multipart_content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

impl TestApp {
    /// Sends `body` as `multipart/form-data` with `method` to `path`.
    pub async fn upload(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> TestResponse {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("content-type", multipart_content_type())
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    /// Uploads `content` as the avatar, declared as a PNG file whatever it is.
    pub async fn upload_avatar(&self, token: &str, content: &[u8]) -> TestResponse {
        let body = multipart("file", "me.png", "image/png", content);
        self.upload(
            reqwest::Method::POST,
            "/api/v1/profile/avatar",
            Some(token),
            body,
        )
        .await
    }

    /// Uploads `content` as a movie's poster.
    pub async fn upload_poster(&self, token: &str, movie_id: i64, content: &[u8]) -> TestResponse {
        let body = multipart("file", "poster.jpg", "image/jpeg", content);
        self.upload(
            reqwest::Method::PUT,
            &format!("/api/v1/movies/{movie_id}/poster"),
            Some(token),
            body,
        )
        .await
    }

    /// Fetches a download link the way any client would: a plain GET, no credentials.
    pub async fn fetch(&self, url: &str) -> (u16, Option<String>, Vec<u8>) {
        let res = reqwest::get(url).await.expect("the link is reachable");
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (
            status,
            content_type,
            res.bytes().await.expect("a body").to_vec(),
        )
    }

    /// The keys stored under `folder`, sorted, wherever this app keeps media.
    pub fn stored_keys(&self, folder: &str) -> Vec<String> {
        if self.has_s3() {
            self.s3().keys(S3_BUCKET, folder)
        } else {
            cinema_testkit::keys_under(self.media_dir(), folder)
        }
    }

    /// The caller's profile.
    pub async fn profile(&self, token: &str) -> Value {
        self.get_as(token, "/api/v1/profile").await.json()
    }
}
