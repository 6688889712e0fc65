//! Engagement over HTTP: reactions, ratings and favorites of movies ([`movies`]), comments
//! with replies and likes ([`comments`]), and notifications ([`notifications`]).

pub mod comments;
pub mod movies;
pub mod notifications;
