//! `/api/v1/cart`, `/api/v1/orders` and `/api/v1/library`: buying movies and owning them.

pub mod cart;
pub mod dto;
pub mod library;
pub mod orders;
