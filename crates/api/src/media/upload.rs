//! Reading an uploaded file out of a `multipart/form-data` body without trusting it: the type
//! comes from the content's first bytes, and reading stops at the first byte past the limit.
//! An image is held in memory (at most `limit` bytes however much the client sends); a video
//! goes to a spool file as it arrives.

use actix_multipart::{Multipart, MultipartError};
use std::{
    pin::Pin,
    task::{Context, Poll},
};

use actix_web::{
    HttpRequest, HttpResponse, ResponseError as _,
    body::{BodySize, BoxBody, MessageBody},
    http::header,
    web::Bytes,
};
use cinema_kernel::ErrorKind;
use cinema_media::{Image, ImageReader, SpooledVideo, VideoSpool};
use futures_util::StreamExt as _;

use crate::error::ApiError;

/// The multipart field that carries the file.
pub const FILE_FIELD: &str = "file";

/// Room for the multipart framing around the file (boundaries and part headers).
const FRAMING_ALLOWANCE: u64 = 64 * 1024;

fn bad_multipart(e: MultipartError) -> ApiError {
    ApiError::new(
        ErrorKind::BadRequest,
        format!("Send the image as multipart/form-data in a `{FILE_FIELD}` field ({e})."),
    )
}

/// An upload refused before its end, still holding the unread rest of the body.
pub struct Refused {
    error: ApiError,
    body: Multipart,
    /// The rest was small enough to be read and discarded (see
    /// [`into_response`](Self::into_response)).
    drain: bool,
}

impl Refused {
    /// The error response. A body of declared length up to twice the limit has been read to
    /// its end, so the connection stays usable and every client reads the answer (one cut off
    /// mid-write may see only the reset). Anything longer, or
    /// of undeclared length, is not read: the response carries the unread rest of the body
    /// until its last byte is sent, and actix-web then closes the connection, where it would
    /// otherwise read and discard the whole rest of a chunked upload to keep it alive.
    pub fn into_response(self) -> HttpResponse {
        let response = self.error.error_response();
        if self.drain {
            return response;
        }
        response
            .map_body(|_, inner| HoldingBody {
                inner,
                _unread: self.body,
            })
            .map_into_boxed_body()
    }
}

/// A response body that keeps the request body alive while it is being sent.
struct HoldingBody {
    inner: BoxBody,
    _unread: Multipart,
}

impl MessageBody for HoldingBody {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// Where the bytes of the `file` field go, and what they make once complete.
#[async_trait::async_trait(?Send)]
pub trait UploadSink {
    type Output;
    async fn push(&mut self, chunk: &[u8]) -> cinema_media::Result<()>;
    async fn finish(self) -> cinema_media::Result<Self::Output>;
}

#[async_trait::async_trait(?Send)]
impl UploadSink for ImageReader {
    type Output = Image;
    async fn push(&mut self, chunk: &[u8]) -> cinema_media::Result<()> {
        ImageReader::push(self, chunk)
    }
    async fn finish(self) -> cinema_media::Result<Image> {
        ImageReader::finish(self)
    }
}

#[async_trait::async_trait(?Send)]
impl UploadSink for VideoSpool {
    type Output = SpooledVideo;
    async fn push(&mut self, chunk: &[u8]) -> cinema_media::Result<()> {
        VideoSpool::push(self, chunk).await
    }
    async fn finish(self) -> cinema_media::Result<SpooledVideo> {
        VideoSpool::finish(self).await
    }
}

/// Reads the `file` field as an image of at most `limit` bytes.
pub async fn read_image(
    req: &HttpRequest,
    multipart: Multipart,
    limit: usize,
) -> Result<Image, Refused> {
    read_upload(req, multipart, limit as u64, ImageReader::new(limit)).await
}

/// Reads the `file` field into `sink`, at most `limit` bytes.
pub async fn read_upload<S: UploadSink>(
    req: &HttpRequest,
    mut multipart: Multipart,
    limit: u64,
    sink: S,
) -> Result<S::Output, Refused> {
    let mut broken = false;
    match read(req, &mut multipart, limit, sink, &mut broken).await {
        Ok(upload) => Ok(upload),
        Err(error) => {
            // A multipart stream that failed must not be polled again (it panics).
            let drain = !broken && declared_length(req).is_some_and(|len| len <= 2 * limit);
            if drain {
                discard_rest(&mut multipart).await;
            }
            Err(Refused {
                error,
                body: multipart,
                drain,
            })
        }
    }
}

/// Reads what is left of a body and throws it away, until its end or its first framing error.
async fn discard_rest(multipart: &mut Multipart) {
    while let Some(Ok(mut field)) = multipart.next().await {
        while let Some(chunk) = field.next().await {
            if chunk.is_err() {
                return;
            }
        }
    }
}

fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
}

/// Sets `broken` when the multipart framing itself failed.
async fn read<S: UploadSink>(
    req: &HttpRequest,
    multipart: &mut Multipart,
    limit: u64,
    mut sink: S,
    broken: &mut bool,
) -> Result<S::Output, ApiError> {
    let too_large = || cinema_media::Error::TooLarge {
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
    };
    let mut framing = |e: MultipartError| {
        *broken = true;
        bad_multipart(e)
    };
    // A declared length already over the limit is refused before a byte is read.
    if declared_length(req).is_some_and(|len| len > limit.saturating_add(FRAMING_ALLOWANCE)) {
        return Err(too_large().into());
    }
    // Other fields are skipped, but count toward the limit so they cannot be used to stream
    // without end either.
    let mut skipped = 0_u64;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(&mut framing)?;
        if field.name() == Some(FILE_FIELD) {
            while let Some(chunk) = field.next().await {
                sink.push(&chunk.map_err(&mut framing)?).await?;
            }
            return Ok(sink.finish().await?);
        }
        while let Some(chunk) = field.next().await {
            skipped += chunk.map_err(&mut framing)?.len() as u64;
            if skipped > limit {
                return Err(too_large().into());
            }
        }
    }
    Err(ApiError::new(
        ErrorKind::BadRequest,
        format!("The multipart body has no `{FILE_FIELD}` field."),
    ))
}
