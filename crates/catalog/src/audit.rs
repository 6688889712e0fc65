//! What the catalog's writes record in the audit trail (`cinema_kernel::audit`), each inside
//! the write's own transaction: the action, the movie or name, and what changed.

use cinema_kernel::{
    Money,
    audit::{Actor, Entry, change, record_in},
    time::Clock,
};
use sea_orm::ConnectionTrait;

use crate::{Result, Taxonomy, entity::movie, movies::MoviePatch};

/// A movie's poster, video or trailer set or removed; nothing when there was none to remove.
pub(crate) async fn media_change<C: ConnectionTrait>(
    txn: &C,
    actor: Option<&Actor>,
    clock: &Clock,
    movie_id: i64,
    what: &'static str,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<()> {
    let action = match (what, after.is_some()) {
        ("poster", true) => "movie.poster.set",
        ("poster", false) => "movie.poster.remove",
        ("video", true) => "movie.video.set",
        ("video", false) => "movie.video.remove",
        (_, true) => "movie.trailer.set",
        (_, false) => "movie.trailer.remove",
    };
    if before.is_none() && after.is_none() {
        return Ok(());
    }
    let summary = change(what, before.unwrap_or("none"), after.unwrap_or("none"));
    record(
        txn,
        actor,
        clock,
        Entry::new(action, "movie", movie_id, summary),
    )
    .await
}

/// A movie added.
pub(crate) async fn movie_created<C: ConnectionTrait>(
    txn: &C,
    actor: Option<&Actor>,
    clock: &Clock,
    id: i64,
    name: &str,
    year: i32,
) -> Result<()> {
    let summary = format!("created {name:?} ({year})");
    record(
        txn,
        actor,
        clock,
        Entry::new("movie.create", "movie", id, summary),
    )
    .await
}

/// A movie changed: each sent field, before and after.
pub(crate) async fn movie_updated<C: ConnectionTrait>(
    txn: &C,
    actor: Option<&Actor>,
    clock: &Clock,
    before: &movie::Model,
    patch: &MoviePatch,
) -> Result<()> {
    let summary = patch_summary(before, patch);
    record(
        txn,
        actor,
        clock,
        Entry::new("movie.update", "movie", before.id, summary),
    )
    .await
}

/// A movie deleted (`force`: what held it was released).
pub(crate) async fn movie_deleted<C: ConnectionTrait>(
    txn: &C,
    actor: Option<&Actor>,
    clock: &Clock,
    deleted: &movie::Model,
    force: bool,
) -> Result<()> {
    let action = if force {
        "movie.force_delete"
    } else {
        "movie.delete"
    };
    let summary = format!("deleted {:?} ({})", deleted.name, deleted.year);
    record(
        txn,
        actor,
        clock,
        Entry::new(action, "movie", deleted.id, summary),
    )
    .await
}

/// A genre, director, star or certification created, renamed or deleted.
pub(crate) async fn name_changed<C: ConnectionTrait>(
    txn: &C,
    actor: Option<&Actor>,
    clock: &Clock,
    kind: Taxonomy,
    verb: &'static str,
    id: i64,
    summary: String,
) -> Result<()> {
    let object = match kind {
        Taxonomy::Genres => "genre",
        Taxonomy::Directors => "director",
        Taxonomy::Stars => "star",
        Taxonomy::Certifications => "certification",
    };
    let action = match (object, verb) {
        ("genre", "create") => "genre.create",
        ("genre", "rename") => "genre.rename",
        ("genre", _) => "genre.delete",
        ("director", "create") => "director.create",
        ("director", "rename") => "director.rename",
        ("director", _) => "director.delete",
        ("star", "create") => "star.create",
        ("star", "rename") => "star.rename",
        ("star", _) => "star.delete",
        (_, "create") => "certification.create",
        (_, "rename") => "certification.rename",
        _ => "certification.delete",
    };
    record(txn, actor, clock, Entry::new(action, object, id, summary)).await
}

async fn record<C: ConnectionTrait>(
    txn: &C,
    actor: Option<&Actor>,
    clock: &Clock,
    entry: Entry,
) -> Result<()> {
    record_in(txn, actor, clock.now_ms(), entry).await?;
    Ok(())
}

/// `field: before → after` for every field the patch sends; id lists name what they become.
fn patch_summary(before: &movie::Model, patch: &MoviePatch) -> String {
    let money = |cents: i64| Money::from_cents(cents).unwrap_or(Money::ZERO).to_string();
    let optional = |v: Option<String>| v.unwrap_or_else(|| "none".to_owned());
    let tenths = |t: i32| format!("{}.{}", t / 10, t % 10);
    let mut parts = Vec::new();
    if let Some(name) = &patch.name {
        parts.push(change(
            "name",
            format!("{:?}", before.name),
            format!("{name:?}"),
        ));
    }
    if let Some(year) = patch.year {
        parts.push(change("year", before.year, year));
    }
    if let Some(time) = patch.time {
        parts.push(change("time", before.time, time));
    }
    if let Some(imdb) = patch.imdb_tenths {
        parts.push(change("imdb", tenths(before.imdb_tenths), tenths(imdb)));
    }
    if let Some(votes) = patch.votes {
        parts.push(change("votes", before.votes, votes));
    }
    if let Some(meta) = patch.meta_score {
        let shown = |m: Option<i32>| optional(m.map(|m| m.to_string()));
        parts.push(change("meta_score", shown(before.meta_score), shown(meta)));
    }
    if let Some(gross) = patch.gross {
        parts.push(change(
            "gross",
            optional(before.gross_cents.map(money)),
            optional(gross.map(|g| g.to_string())),
        ));
    }
    if let Some(description) = &patch.description {
        let cut = |text: &str| text.chars().take(60).collect::<String>();
        parts.push(change(
            "description",
            format!("{:?}", cut(&before.description)),
            format!("{:?}", cut(description)),
        ));
    }
    if let Some(price) = patch.price {
        parts.push(change("price", money(before.price_cents), price));
    }
    if let Some(certification) = patch.certification_id {
        parts.push(change(
            "certification_id",
            before.certification_id,
            certification,
        ));
    }
    for (field, ids) in [
        ("genre_ids", &patch.genre_ids),
        ("director_ids", &patch.director_ids),
        ("star_ids", &patch.star_ids),
    ] {
        if let Some(ids) = ids {
            parts.push(format!("{field}: now {ids:?}"));
        }
    }
    parts.join("; ")
}
