//! Black-box tests over HTTP. One binary, one module per area, one fresh database per test.

mod abuse;
mod accounts;
mod cart;
mod catalog_cache;
mod docs;
mod engagement;
mod errors;
mod health;
mod jobs;
mod library;
mod media;
mod middleware;
mod movies;
mod orders;
mod passwords;
mod payments;
mod profile;
mod races;
mod seams;
mod search;
mod stripe;
mod taxonomy;
mod tokens;
mod users;
