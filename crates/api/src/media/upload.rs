//! Reading an uploaded image out of a `multipart/form-data` body without trusting it: the type
//! comes from the content's first bytes, and reading stops at the first byte past the limit,
//! so at most `limit` bytes are ever held however much the client sends.

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
use cinema_media::{Image, ImageReader};
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
}

impl Refused {
    /// The error response, carrying the unread rest of the body until its last byte is sent:
    /// actix-web then closes the connection after a short linger, where it would otherwise
    /// read and discard the whole rest of a chunked upload to keep the connection alive.
    pub fn into_response(self) -> HttpResponse {
        self.error
            .error_response()
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

/// Reads the `file` field as an image of at most `limit` bytes.
pub async fn read_image(
    req: &HttpRequest,
    mut multipart: Multipart,
    limit: usize,
) -> Result<Image, Refused> {
    match read(req, &mut multipart, limit).await {
        Ok(image) => Ok(image),
        Err(error) => Err(Refused {
            error,
            body: multipart,
        }),
    }
}

async fn read(
    req: &HttpRequest,
    multipart: &mut Multipart,
    limit: usize,
) -> Result<Image, ApiError> {
    // A declared length already over the limit is refused before a byte is read.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64 + FRAMING_ALLOWANCE) {
        return Err(cinema_media::Error::TooLarge { limit }.into());
    }
    // Other fields are skipped, but count toward the limit so they cannot be used to stream
    // without end either.
    let mut skipped = 0_usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(bad_multipart)?;
        if field.name() == Some(FILE_FIELD) {
            let mut reader = ImageReader::new(limit);
            while let Some(chunk) = field.next().await {
                reader.push(&chunk.map_err(bad_multipart)?)?;
            }
            return Ok(reader.finish()?);
        }
        while let Some(chunk) = field.next().await {
            skipped += chunk.map_err(bad_multipart)?.len();
            if skipped > limit {
                return Err(cinema_media::Error::TooLarge { limit }.into());
            }
        }
    }
    Err(ApiError::new(
        ErrorKind::BadRequest,
        format!("The multipart body has no `{FILE_FIELD}` field."),
    ))
}
