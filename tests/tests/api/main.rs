//! Black-box tests over HTTP. One binary, one module per area, one fresh database per test.

mod docs;
mod errors;
mod health;
mod middleware;
