//! SeaORM entities of the notify slice.

pub mod job;
