//! Videos: recognised by their first bytes (MP4/ISO-BMFF or WebM), never by the client's type,
//! and spooled to a file as they arrive — a video is never held in memory — with the size
//! limit checked on every chunk, so an oversized upload stops being read as soon as it
//! crosses it.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use crate::{Error, Result};

/// The video types we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoKind {
    /// MP4 and its ISO base media family (`ftyp` box first).
    Mp4,
    /// WebM (an EBML header).
    WebM,
}

/// How many leading bytes [`VideoKind::sniff`] needs.
pub const SNIFF_LEN: usize = 12;

impl VideoKind {
    /// Every accepted type.
    pub const ALL: [VideoKind; 2] = [VideoKind::Mp4, VideoKind::WebM];

    /// The kind the content's first bytes announce, if any.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [_, _, _, _, b'f', b't', b'y', b'p', ..] => Some(VideoKind::Mp4),
            [0x1A, 0x45, 0xDF, 0xA3, ..] => Some(VideoKind::WebM),
            _ => None,
        }
    }

    /// Its MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            VideoKind::Mp4 => "video/mp4",
            VideoKind::WebM => "video/webm",
        }
    }

    /// The file extension its objects get.
    pub fn extension(self) -> &'static str {
        match self {
            VideoKind::Mp4 => "mp4",
            VideoKind::WebM => "webm",
        }
    }

    /// The kind a key's extension names (keys are ours, so this is exact).
    pub fn from_key(key: &str) -> Option<Self> {
        let ext = key.rsplit_once('.')?.1;
        Self::ALL.into_iter().find(|k| k.extension() == ext)
    }
}

/// A checked, complete upload waiting in a spool file (removed when this is dropped).
#[derive(Debug)]
pub struct SpooledVideo {
    /// What the bytes are.
    pub kind: VideoKind,
    /// Its length in bytes.
    pub len: u64,
    file: tempfile::TempPath,
}

impl SpooledVideo {
    /// Where the bytes are.
    pub fn path(&self) -> &Path {
        &self.file
    }
}

/// Receives an upload chunk by chunk into a spool file, refusing it at the first byte past
/// `limit` or when its first bytes are no video we accept.
#[derive(Debug)]
pub struct VideoSpool {
    limit: u64,
    len: u64,
    head: Vec<u8>,
    kind: Option<VideoKind>,
    file: tokio::fs::File,
    path: tempfile::TempPath,
}

impl VideoSpool {
    /// A spool file in `dir` (created if missing) for an upload of at most `limit` bytes.
    pub async fn new(dir: &Path, limit: u64) -> Result<Self> {
        tokio::fs::create_dir_all(dir).await.map_err(storage)?;
        let dir: PathBuf = dir.to_owned();
        let named = tokio::task::spawn_blocking(move || tempfile::NamedTempFile::new_in(dir))
            .await
            .map_err(|e| Error::Storage(e.to_string()))?
            .map_err(storage)?;
        let (file, path) = named.into_parts();
        Ok(Self {
            limit,
            len: 0,
            head: Vec::with_capacity(SNIFF_LEN),
            kind: None,
            file: tokio::fs::File::from_std(file),
            path,
        })
    }

    /// Appends a chunk.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<()> {
        self.len += chunk.len() as u64;
        if self.len > self.limit {
            return Err(Error::TooLarge {
                limit: usize::try_from(self.limit).unwrap_or(usize::MAX),
            });
        }
        if self.kind.is_none() {
            let want = SNIFF_LEN - self.head.len();
            self.head.extend_from_slice(&chunk[..want.min(chunk.len())]);
            if self.head.len() == SNIFF_LEN {
                self.kind = Some(VideoKind::sniff(&self.head).ok_or(Error::UnsupportedVideo)?);
            }
        }
        self.file.write_all(chunk).await.map_err(storage)
    }

    /// The complete upload: [`Error::Empty`] if nothing came, [`Error::UnsupportedVideo`] if
    /// its first bytes are no video we accept.
    pub async fn finish(mut self) -> Result<SpooledVideo> {
        if self.len == 0 {
            return Err(Error::Empty);
        }
        let kind = self.kind.ok_or(Error::UnsupportedVideo)?;
        self.file.flush().await.map_err(storage)?;
        self.file.sync_all().await.map_err(storage)?;
        Ok(SpooledVideo {
            kind,
            len: self.len,
            file: self.path,
        })
    }
}

fn storage(e: std::io::Error) -> Error {
    Error::Storage(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mp4_and_webm_are_known_by_their_first_bytes() {
        let mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0";
        assert_eq!(VideoKind::sniff(mp4), Some(VideoKind::Mp4));
        assert_eq!(
            VideoKind::sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81"),
            Some(VideoKind::WebM)
        );
        for other in [
            &b"\x89PNG\r\n\x1a\n\0\0\0\0"[..],
            b"RIFF\0\0\0\0AVI ",
            b"<html>",
        ] {
            assert_eq!(VideoKind::sniff(other), None);
        }
        assert_eq!(VideoKind::from_key("videos/a.webm"), Some(VideoKind::WebM));
    }

    #[tokio::test]
    async fn a_spool_refuses_the_first_byte_past_its_limit_and_other_types() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = VideoSpool::new(dir.path(), 20).await.unwrap();
        spool.push(b"\0\0\0\x20ftypisom").await.unwrap();
        spool.push(b"12345678").await.unwrap();
        assert!(matches!(
            spool.push(b"x").await,
            Err(Error::TooLarge { limit: 20 })
        ));
        let mut spool = VideoSpool::new(dir.path(), 100).await.unwrap();
        assert!(matches!(
            spool.push(b"GIF89a......").await,
            Err(Error::UnsupportedVideo)
        ));
        let spool = VideoSpool::new(dir.path(), 100).await.unwrap();
        assert!(matches!(spool.finish().await, Err(Error::Empty)));
        // Split across chunks, the type is still found; the spool file holds every byte.
        let mut spool = VideoSpool::new(dir.path(), 100).await.unwrap();
        for chunk in [
            &b"\x1a\x45"[..],
            b"\xdf\xa3\x9f\x42\x86\x81",
            b"\x01\x42\xf7\x81rest",
        ] {
            spool.push(chunk).await.unwrap();
        }
        let video = spool.finish().await.unwrap();
        assert_eq!((video.kind, video.len), (VideoKind::WebM, 16));
        assert_eq!(std::fs::read(video.path()).unwrap().len(), 16);
    }
}
