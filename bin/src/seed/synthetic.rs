//! A large synthetic catalog shaped like the benchmark's (`shared/docs/performance.md`):
//! deterministic, so every run and every machine loads the same movies.

use std::{collections::HashMap, sync::LazyLock};

use cinema_kernel::time::Clock;
use sea_orm::DatabaseConnection;

use crate::progress::Progress;

use super::{
    CERTIFICATIONS, GENRES, Result, Seeded, lines,
    rows::{Loader, NewMovie, ids_of, insert_names},
};

static FIRST_NAMES: LazyLock<Vec<&str>> =
    LazyLock::new(|| lines(include_str!("data/first_names.txt")));
static SURNAMES: LazyLock<Vec<&str>> = LazyLock::new(|| lines(include_str!("data/surnames.txt")));
static ADJECTIVES: LazyLock<Vec<&str>> =
    LazyLock::new(|| lines(include_str!("data/adjectives.txt")));
static NOUNS: LazyLock<Vec<&str>> = LazyLock::new(|| lines(include_str!("data/nouns.txt")));
static VOCABULARY: LazyLock<Vec<&str>> =
    LazyLock::new(|| lines(include_str!("data/vocabulary.txt")));

/// The sizes of the word lists (first names, surnames, adjectives, nouns, vocabulary): the
/// generated catalog depends on them.
#[cfg(test)]
pub(super) fn word_list_sizes() -> [usize; 5] {
    [
        FIRST_NAMES.len(),
        SURNAMES.len(),
        ADJECTIVES.len(),
        NOUNS.len(),
        VOCABULARY.len(),
    ]
}

/// A deterministic generator: SplitMix64 over (salt, key), uniform in [0, 1).
pub(super) fn u(salt: u64, key: u64) -> f64 {
    let mut z = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ key.wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

pub(super) fn ri(salt: u64, key: u64, lo: i64, hi: i64) -> i64 {
    lo + (u(salt, key) * (hi - lo + 1) as f64).floor() as i64
}

/// The `k` of `0..n` with the smallest `u(salt, key * 32 + i)`.
fn pick(salt: u64, key: u64, n: usize, k: usize) -> Vec<usize> {
    let mut scored: Vec<(f64, usize)> = (0..n).map(|i| (u(salt, key * 32 + i as u64), i)).collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored.into_iter().take(k).map(|(_, i)| i).collect()
}

/// `count` distinct "First Last" names out of the 30,000 combinations, chosen by `salt`.
fn people(salt: u64, count: usize) -> Vec<String> {
    let total = FIRST_NAMES.len() * SURNAMES.len();
    let mut scored: Vec<(f64, usize)> = (0..total).map(|c| (u(salt, c as u64), c)).collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored
        .into_iter()
        .take(count)
        .map(|(_, c)| {
            format!(
                "{} {}",
                FIRST_NAMES[c / SURNAMES.len()],
                SURNAMES[c % SURNAMES.len()]
            )
        })
        .collect()
}

/// `n` synthetic movies (5,000 directors, 20,000 stars) shaped like the benchmark catalog.
/// `progress` hears of every batch inserted and of the final index build.
pub async fn synthetic(
    db: &DatabaseConnection,
    clock: &Clock,
    n: u64,
    progress: &mut Progress,
) -> Result<Seeded> {
    let mut seeded = Seeded::default();
    super::taxonomy(db, &mut seeded).await?;
    let directors = people(1, 5_000);
    let stars = people(2, 20_000);
    seeded.directors += insert_names(db, "directors", &directors).await?;
    seeded.stars += insert_names(db, "stars", &stars).await?;
    let director_ids = ids_of(db, "directors", &directors).await?;
    let star_ids = ids_of(db, "stars", &stars).await?;
    let genre_ids = ids_of(db, "genres", &GENRES.map(str::to_owned)).await?;
    let cert_ids = ids_of(db, "certifications", &CERTIFICATIONS.map(str::to_owned)).await?;

    let director_names: HashMap<i64, &String> =
        director_ids.iter().copied().zip(directors.iter()).collect();
    let star_names: HashMap<i64, &String> = star_ids.iter().copied().zip(stars.iter()).collect();
    let mut seen = HashMap::new();
    let mut batch = Vec::with_capacity(1000);
    let loader = Loader::start(db).await?;
    for id in 1..=n {
        let adj = ADJECTIVES[ri(10, id, 0, ADJECTIVES.len() as i64 - 1) as usize];
        let noun = NOUNS[ri(11, id, 0, NOUNS.len() as i64 - 1) as usize];
        let mut noun2 = NOUNS[ri(12, id, 0, NOUNS.len() as i64 - 2) as usize];
        if noun2 == noun {
            noun2 = NOUNS[NOUNS.len() - 1];
        }
        let mut name = match ri(13, id, 0, 5) {
            0 => format!("The {adj} {noun}"),
            1 => format!("{noun} of the {noun2}"),
            2 => format!("{adj} {noun}"),
            3 => format!("The {noun} and the {noun2}"),
            4 => format!("{adj} {noun}: {noun2}"),
            _ => format!("Return of the {adj} {noun}"),
        };
        let year = ri(14, id, 1950, 2025) as i32;
        let time = ri(15, id, 80, 180) as i32;
        let copies = seen.entry((name.clone(), year, time)).or_insert(0u32);
        *copies += 1;
        if *copies > 1 {
            name = format!("{name} ({copies})");
        }
        let words = ri(16, id, 25, 35) as u64;
        let mut description: Vec<&str> = (0..words)
            .map(|w| VOCABULARY[ri(17, id * 64 + w, 0, VOCABULARY.len() as i64 - 1) as usize])
            .collect();
        let first = description.remove(0);
        let mut text = first[..1].to_uppercase() + &first[1..];
        for w in description {
            text.push(' ');
            text.push_str(w);
        }
        text.push('.');
        let g = pick(18, id, genre_ids.len(), ri(19, id, 1, 3) as usize);
        let mut d: Vec<i64> = (0..ri(20, id, 1, 2) as u64)
            .map(|j| director_ids[ri(21, id * 8 + j, 0, director_ids.len() as i64 - 1) as usize])
            .collect();
        d.sort_unstable();
        d.dedup();
        let mut s: Vec<i64> = (0..ri(22, id, 2, 4) as u64)
            .map(|j| star_ids[ri(23, id * 8 + j, 0, star_ids.len() as i64 - 1) as usize])
            .collect();
        s.sort_unstable();
        s.dedup();
        let name_of = |ids: &[i64], names: &HashMap<i64, &String>| {
            ids.iter()
                .filter_map(|i| names.get(i).map(|n| n.as_str()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        batch.push(NewMovie {
            uuid: uuid::Uuid::from_u64_pair(id, (u(24, id) * u64::MAX as f64) as u64).to_string(),
            name,
            year,
            time,
            imdb_tenths: ri(25, id, 10, 99) as i32,
            votes: (100.0 * 30000f64.powf(u(26, id))).floor() as i64,
            meta_score: (u(27, id) >= 0.2).then(|| ri(28, id, 20, 100) as i32),
            gross_cents: (u(29, id) >= 0.3)
                .then(|| (10_000.0 * 90_000f64.powf(u(30, id)) * 100.0).round() as i64),
            description: text,
            price_cents: 199 + 100 * ri(31, id, 0, 18),
            certification_id: cert_ids[ri(32, id, 0, cert_ids.len() as i64 - 1) as usize],
            genre_ids: g.iter().map(|&i| genre_ids[i]).collect(),
            directors: name_of(&d, &director_names),
            actors: name_of(&s, &star_names),
            director_ids: d,
            star_ids: s,
        });
        if batch.len() == 10_000 {
            seeded.movies += loader.load(db, clock.now_ms(), &batch).await?;
            progress.advance(batch.len() as u64);
            batch.clear();
        }
    }
    seeded.movies += loader.load(db, clock.now_ms(), &batch).await?;
    progress.advance(batch.len() as u64);
    progress.stage("building indexes");
    loader.finish().await?;
    super::finish(db).await?;
    Ok(seeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_uniform_enough() {
        assert_eq!(u(7, 42), u(7, 42));
        assert_ne!(u(7, 42), u(8, 42));
        let mean: f64 = (0..10_000).map(|k| u(3, k)).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        assert!((0..1000).all(|k| (1950..=2025).contains(&ri(14, k, 1950, 2025))));
        assert_eq!(people(1, 50).len(), 50);
        let mut p = people(1, 5000);
        p.sort();
        p.dedup();
        assert_eq!(p.len(), 5000);
    }
}
