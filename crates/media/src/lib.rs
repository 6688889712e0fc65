//! Media: the `ObjectStore` trait with S3-compatible and local-disk adapters, time-limited
//! download links, and content sniffing for images.
//!
//! Depends only on `cinema-kernel`; never on HTTP.
