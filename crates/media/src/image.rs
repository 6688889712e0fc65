//! Images are recognised by their first bytes, never by the client's content type or file
//! name, and read with a hard size limit so an oversized upload stops being read as soon as it
//! crosses it.

use crate::{Error, Result};

/// The image types we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// JPEG (`image/jpeg`).
    Jpeg,
    /// PNG (`image/png`).
    Png,
    /// WebP (`image/webp`).
    Webp,
}

impl ImageKind {
    /// Every accepted type.
    pub const ALL: [ImageKind; 3] = [ImageKind::Jpeg, ImageKind::Png, ImageKind::Webp];

    /// The kind the content's magic bytes announce, if any.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0xFF, 0xD8, 0xFF, ..] => Some(ImageKind::Jpeg),
            [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n', ..] => Some(ImageKind::Png),
            [
                b'R',
                b'I',
                b'F',
                b'F',
                _,
                _,
                _,
                _,
                b'W',
                b'E',
                b'B',
                b'P',
                ..,
            ] => Some(ImageKind::Webp),
            _ => None,
        }
    }

    /// Its MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }

    /// The file extension its objects get.
    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
            ImageKind::Webp => "webp",
        }
    }

    /// The kind a key's extension names (keys are ours, so this is exact).
    pub fn from_key(key: &str) -> Option<Self> {
        let ext = key.rsplit_once('.')?.1;
        Self::ALL.into_iter().find(|k| k.extension() == ext)
    }

    /// `image/jpeg, image/png, image/webp`, for error messages.
    pub fn allowed_list() -> String {
        Self::ALL
            .iter()
            .map(|k| k.content_type())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An uploaded image, checked and complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// What the bytes are.
    pub kind: ImageKind,
    /// The whole file.
    pub bytes: Vec<u8>,
}

/// Collects an upload chunk by chunk and refuses it the moment it crosses `limit`, so at most
/// `limit` bytes are ever held; the type is checked as soon as the first bytes are in.
#[derive(Debug)]
pub struct ImageReader {
    limit: usize,
    bytes: Vec<u8>,
}

/// Bytes needed to recognise every accepted type.
const SNIFF_LEN: usize = 12;

impl ImageReader {
    /// A reader that refuses more than `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            bytes: Vec::new(),
        }
    }

    /// Adds the next chunk: [`Error::TooLarge`] past the limit, [`Error::UnsupportedType`] as
    /// soon as the first bytes show it is not an accepted image.
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        if self.bytes.len() + chunk.len() > self.limit {
            return Err(Error::TooLarge { limit: self.limit });
        }
        let before = self.bytes.len();
        self.bytes.extend_from_slice(chunk);
        if before < SNIFF_LEN && self.bytes.len() >= SNIFF_LEN {
            ImageKind::sniff(&self.bytes).ok_or(Error::UnsupportedType)?;
        }
        Ok(())
    }

    /// The complete image, or why it is not one.
    pub fn finish(self) -> Result<Image> {
        if self.bytes.is_empty() {
            return Err(Error::Empty);
        }
        let kind = ImageKind::sniff(&self.bytes).ok_or(Error::UnsupportedType)?;
        Ok(Image {
            kind,
            bytes: self.bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
    const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 ";

    #[test]
    fn each_type_is_recognised_by_its_magic_bytes() {
        assert_eq!(ImageKind::sniff(PNG), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(JPEG), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(WEBP), Some(ImageKind::Webp));
        assert_eq!(ImageKind::sniff(b"<html><body>"), None);
        assert_eq!(ImageKind::sniff(b"RIFF\x24\0\0\0WAVE"), None);
        assert_eq!(ImageKind::sniff(b"GIF89a......"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn a_reader_refuses_the_chunk_that_crosses_the_limit() {
        let mut reader = ImageReader::new(20);
        reader.push(PNG).unwrap();
        reader.push(&[0; 3]).unwrap();
        assert!(matches!(
            reader.push(&[0; 2]),
            Err(Error::TooLarge { limit: 20 })
        ));
        let mut exact = ImageReader::new(PNG.len());
        exact.push(PNG).unwrap();
        assert_eq!(exact.finish().unwrap().kind, ImageKind::Png);
    }

    #[test]
    fn a_reader_refuses_non_images_early_even_in_small_chunks() {
        let mut reader = ImageReader::new(1 << 20);
        for byte in b"<html><body>" {
            if reader.push(&[*byte]).is_err() {
                return;
            }
        }
        panic!("HTML was accepted as an image");
    }

    #[test]
    fn empty_and_short_uploads_are_refused() {
        assert!(matches!(ImageReader::new(10).finish(), Err(Error::Empty)));
        let mut reader = ImageReader::new(10);
        reader.push(b"\x89PN").unwrap();
        assert!(matches!(reader.finish(), Err(Error::UnsupportedType)));
    }

    #[test]
    fn keys_name_their_kind() {
        assert_eq!(ImageKind::from_key("avatars/x.webp"), Some(ImageKind::Webp));
        assert_eq!(ImageKind::from_key("avatars/x.gif"), None);
        assert_eq!(ImageKind::from_key("avatars/x"), None);
    }
}
