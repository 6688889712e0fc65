//! Catalog: movies, genres, directors, stars, certifications, ranked search, and engagement
//! (likes, comments, ratings, favorites).
//!
//! Depends only on `cinema-kernel`; never on HTTP.
