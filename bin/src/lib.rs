//! The `cinema` binary's library half: settings, telemetry, the startup path and the CLI.
//!
//! [`startup::Application::build`] is the single boot path shared by `cinema serve` and by the
//! black-box tests in `tests/`. Nothing here holds business rules: it reads configuration,
//! opens resources and hands typed settings to the slices.

pub mod cli;
pub mod database;
pub mod first_run;
pub mod jobs;
pub mod media;
pub mod probe;
pub mod progress;
pub mod seed;
pub mod settings;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
