//! Black-box tests over HTTP. One binary, one module per area, one fresh database per test.

/// Runs each scenario once per store: the in-process S3 server and the local disk.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn on_s3() {
                super::$name(cinema_tests::Storage::S3).await;
            }

            #[tokio::test]
            async fn on_local_disk() {
                super::$name(cinema_tests::Storage::LocalDisk).await;
            }
        }
    )*};
}

mod abuse;
mod accounts;
mod analytics;
mod audit;
mod cart;
mod catalog_cache;
mod client_address;
mod docs;
mod engagement;
mod errors;
mod health;
mod jobs;
mod known_devices;
mod library;
mod media;
mod middleware;
mod money_limits;
mod movies;
mod orders;
mod passwords;
mod payments;
mod profile;
mod races;
mod replicas;
mod seams;
mod search;
mod session_cache;
mod stripe;
mod taxonomy;
mod tokens;
mod users;
mod watch;
