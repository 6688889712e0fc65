//! Black-box tests over HTTP. One binary, one module per area, one fresh database per test.

mod abuse;
mod accounts;
mod docs;
mod errors;
mod health;
mod jobs;
mod media;
mod middleware;
mod movies;
mod passwords;
mod profile;
mod seams;
mod search;
mod taxonomy;
mod tokens;
mod users;
