//! S3-compatible storage (AWS S3, MinIO, anything speaking SigV4) through rust-s3.

use cinema_kernel::Fail;
use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use s3::{Bucket, BucketConfiguration, Region, creds::Credentials, error::S3Error};
use secrecy::{ExposeSecret, SecretString};

use crate::{Error, ObjectStore, Result, store::is_valid_key};

/// Where the bucket is and how to sign for it.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// `http://127.0.0.1:9000` for MinIO; `None` means AWS itself, addressed by `region`.
    pub endpoint: Option<String>,
    /// The endpoint clients use for download links when it differs from the one this process
    /// reaches (`http://minio:9000` inside compose, `http://localhost:9000` from a browser).
    pub public_endpoint: Option<String>,
    /// The region (any value for most S3-compatible servers).
    pub region: String,
    /// The bucket objects go to.
    pub bucket: String,
    /// The access key id.
    pub access_key: String,
    /// The secret key.
    pub secret_key: SecretString,
    /// Bucket in the path (`/bucket/key`), as MinIO and most local servers need.
    pub path_style: bool,
    /// Longest a single storage request may take.
    pub timeout: Duration,
}

/// A bucket of an S3-compatible service. The bucket is created on first use if it is missing.
#[derive(Debug)]
pub struct S3Store {
    bucket: Box<Bucket>,
    /// The same bucket addressed through the public endpoint: only used to sign links.
    links: Box<Bucket>,
    config: S3Config,
    bucket_ready: AtomicBool,
}

impl S3Store {
    /// A store for `config`; nothing is contacted until it is used.
    pub fn new(config: S3Config) -> Result<Self> {
        let bucket = bucket(&config, config.endpoint.as_deref())?;
        let links = match &config.public_endpoint {
            Some(public) => self::bucket(&config, Some(public))?,
            None => bucket.clone(),
        };
        Ok(Self {
            bucket,
            links,
            config,
            bucket_ready: AtomicBool::new(false),
        })
    }

    /// Creates the bucket unless it exists. Called at startup and again before the first write
    /// if storage was down then.
    pub async fn ensure_bucket(&self) -> Result<()> {
        if self.bucket_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let region = self.bucket.region.clone();
        let created = if self.config.path_style {
            Bucket::create_with_path_style(
                &self.config.bucket,
                region,
                credentials(&self.config)?,
                BucketConfiguration::private(),
            )
            .await
        } else {
            Bucket::create(
                &self.config.bucket,
                region,
                credentials(&self.config)?,
                BucketConfiguration::private(),
            )
            .await
        };
        match created {
            Ok(_) => {}
            // `Bucket::exists` needs ListBuckets, which not every server answers alike; a
            // create that says "already there" is the portable test.
            Err(S3Error::HttpFailWithBody(409, _)) => {}
            // The store answered but refused (often: credentials that may write objects but not
            // create buckets). The bucket may well exist; the first write will tell.
            Err(S3Error::HttpFailWithBody(status, body)) => {
                tracing::warn!(status, %body, bucket = %self.config.bucket, "cannot create the bucket; assuming it exists");
            }
            Err(e) => return Err(storage(e)),
        }
        self.bucket_ready.store(true, Ordering::Release);
        Ok(())
    }
}

fn credentials(config: &S3Config) -> Result<Credentials> {
    Credentials::new(
        Some(&config.access_key),
        Some(config.secret_key.expose_secret()),
        None,
        None,
        None,
    )
    .map_err(|e| Error::Storage(e.to_string()))
}

fn bucket(config: &S3Config, endpoint: Option<&str>) -> Result<Box<Bucket>> {
    let region = match endpoint {
        Some(endpoint) => Region::Custom {
            region: config.region.clone(),
            endpoint: endpoint.trim_end_matches('/').to_owned(),
        },
        None => config
            .region
            .parse()
            .map_err(|e| Error::Storage(format!("bad region: {e}")))?,
    };
    let mut bucket = Bucket::new(&config.bucket, region, credentials(config)?)
        .map_err(storage)?
        .with_request_timeout(config.timeout)
        .map_err(storage)?;
    if config.path_style {
        bucket.set_path_style();
    }
    Ok(bucket)
}

fn storage(e: S3Error) -> Error {
    Error::Storage(e.to_string())
}

fn checked(key: &str) -> Result<&str> {
    if is_valid_key(key) {
        Ok(key)
    } else {
        Err(Error::not_found(format!("Object {key:?}")))
    }
}

#[async_trait::async_trait]
impl ObjectStore for S3Store {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<()> {
        self.ensure_bucket().await?;
        self.bucket
            .put_object_with_content_type(checked(key)?, &bytes, content_type)
            .await
            .map_err(storage)?;
        Ok(())
    }

    async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> Result<()> {
        self.ensure_bucket().await?;
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| Error::Storage(e.to_string()))?;
        // Multipart upload in parts read one at a time from the file.
        self.bucket
            .put_object_stream_with_content_type(&mut file, checked(key)?, content_type)
            .await
            .map_err(storage)?;
        Ok(())
    }

    async fn upload_url(&self, key: &str, ttl: Duration) -> Result<String> {
        self.ensure_bucket().await?;
        let secs = u32::try_from(ttl.as_secs().clamp(1, 604_800)).unwrap_or(604_800);
        self.links
            .presign_put(checked(key)?, secs, None, None)
            .await
            .map_err(storage)
    }

    async fn size_of(&self, key: &str) -> Result<Option<u64>> {
        match self.bucket.head_object(checked(key)?).await {
            Ok((head, _)) => Ok(head.content_length.and_then(|l| u64::try_from(l).ok())),
            Err(S3Error::HttpFailWithBody(404, _)) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    async fn read_prefix(&self, key: &str, n: u64) -> Result<Vec<u8>> {
        match self
            .bucket
            .get_object_range(checked(key)?, 0, Some(n.max(1) - 1))
            .await
        {
            Ok(data) => Ok(data.bytes().to_vec()),
            Err(S3Error::HttpFailWithBody(404 | 416, _)) => Ok(Vec::new()),
            Err(e) => Err(storage(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match self.bucket.delete_object(checked(key)?).await {
            // S3 answers 204 for missing keys too; some servers say 404.
            Ok(_) | Err(S3Error::HttpFailWithBody(404, _)) => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }

    async fn download_url(&self, key: &str, ttl: Duration) -> Result<String> {
        // Presigning is local computation: no request reaches the store.
        let secs = u32::try_from(ttl.as_secs().clamp(1, 604_800)).unwrap_or(604_800);
        self.links
            .presign_get(checked(key)?, secs, None)
            .await
            .map_err(storage)
    }
}
