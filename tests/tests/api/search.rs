//! Search by phrase, ranked by the field matched, the same on SQLite and PostgreSQL.

use cinema_tests::TestApp;
use reqwest::Method;
use serde_json::json;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// `q` as a query-string value.
fn encode(q: &str) -> String {
    url::form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

#[tokio::test]
async fn search_finds_a_phrase_in_titles_descriptions_actors_and_directors() {
    let app = TestApp::spawn().await;
    app.catalog().await;
    for (q, expected) in [
        ("inception", vec!["Inception"]),
        ("INTERSTEL", vec!["Interstellar"]),
        ("haunted lighthouse", vec!["Lady Bird"]),
        ("haunted LIGHTH", vec!["Lady Bird"]),
        ("dicaprio", vec!["Inception"]),
        ("nolan", vec!["Inception", "Interstellar"]),
        ("greta gerwig", vec!["Lady Bird", "Little Women"]),
        ("christopher nol", vec!["Inception", "Interstellar"]),
        ("saoirse", vec!["Lady Bird", "Little Women"]),
        // Three words and more: each adjacent pair, in one field; hyphens separate words.
        ("a thief who steals", vec!["Inception"]),
        ("dream-sharing tech", vec!["Inception"]),
        ("dream sharing technology", vec!["Inception"]),
        // `%` separates words like any other sign.
        ("100% mass", vec!["Little Women"]),
        ("100 massachusetts", vec!["Little Women"]),
        ("nothing here matches", vec![]),
    ] {
        let (got, total) = app
            .movie_names(&format!("/api/v1/movies/search/query?q={}", encode(q)))
            .await;
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(sorted, names(&expected), "{q}");
        assert_eq!(total as usize, expected.len(), "{q}");
    }
}

#[tokio::test]
async fn a_phrase_keeps_its_order_and_stays_within_one_field() {
    let app = TestApp::spawn().await;
    app.catalog().await;
    for q in [
        "lighthouse haunted", // reversed
        "haunt lighthouse",   // only the last word may be a prefix
        "haunted of",         // not adjacent
        "sisters massachusetts",
        "gerwig ronan",   // director, then star: two fields
        "nolan dicaprio", // likewise
        "dark an",        // the title "Zero Dark", then its description "An unrated…"
        "women four",     // the title "Little Women", then "Four sisters…"
    ] {
        let (got, total) = app
            .movie_names(&format!("/api/v1/movies/search/query?q={}", encode(q)))
            .await;
        assert_eq!((got, total), (Vec::new(), 0), "{q}");
    }
}

#[tokio::test]
async fn letters_beyond_ascii_are_words_and_match_in_any_case() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let body = json!({"name": "Le Fabuleux Destin d'Amélie Poulain", "year": 2001, "time": 122,
        "imdb": 8.3, "price": 3, "certification_id": c.certifications["R"],
        "description": "Über-schüchterne Kellnerin in Montmartre."});
    assert_eq!(app.create_movie(&c.moderator, body).await.status, 201);
    for q in ["AMÉLIE poul", "d amélie", "über schüchterne", "ÜBER-SCHÜCH"] {
        let (got, _) = app
            .movie_names(&format!("/api/v1/movies/search/query?q={}", encode(q)))
            .await;
        assert_eq!(got, names(&["Le Fabuleux Destin d'Amélie Poulain"]), "{q}");
    }
}

#[tokio::test]
async fn search_in_limits_the_fields() {
    let app = TestApp::spawn().await;
    app.catalog().await;
    let q = "/api/v1/movies/search/query?q=nolan";
    assert_eq!(app.movie_names(&format!("{q}&search_in=title")).await.1, 0);
    assert_eq!(
        app.movie_names(&format!("{q}&search_in=directors")).await.1,
        2
    );
    assert_eq!(
        app.movie_names(&format!("{q}&search_in=actors&search_in=description"))
            .await
            .1,
        0
    );
    assert_eq!(
        app.movie_names("/api/v1/movies/search/query?q=lighthouse&search_in=title,description")
            .await
            .1,
        1
    );
    app.get(&format!("{q}&search_in=plot")).await.problem(422);
}

#[tokio::test]
async fn results_rank_by_the_best_field_matched_then_by_votes() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    for (name, votes, description) in [
        ("Dream Machine", 10, "Nothing special."),
        ("Nolan's Way", 5, "A road movie."),
        (
            "The Critic",
            1,
            "A critic who cannot stand Christopher Nolan.",
        ),
    ] {
        let body = json!({"name": name, "year": 2001, "time": 99, "imdb": 6.0, "price": 3,
            "votes": votes, "certification_id": c.certifications["R"],
            "description": description});
        assert_eq!(app.create_movie(&c.moderator, body).await.status, 201);
    }
    let (got, _) = app.movie_names("/api/v1/movies/search/query?q=dream").await;
    assert_eq!(
        got,
        names(&["Dream Machine", "Inception"]),
        "title hit first"
    );
    // Title, then directors (by votes: Inception 2.4M, Interstellar 2M), then the plot.
    let (got, total) = app.movie_names("/api/v1/movies/search/query?q=nolan").await;
    assert_eq!(
        got,
        names(&["Nolan's Way", "Inception", "Interstellar", "The Critic"])
    );
    assert_eq!(total, 4);
    let (got, _) = app
        .movie_names("/api/v1/movies/search/query?q=nolan&limit=2&skip=2")
        .await;
    assert_eq!(got, names(&["Interstellar", "The Critic"]), "page 2");
    // An explicit sort replaces relevance.
    let (got, _) = app
        .movie_names("/api/v1/movies/search/query?q=nolan&sort_by=votes")
        .await;
    assert_eq!(
        got,
        names(&["The Critic", "Nolan's Way", "Interstellar", "Inception"])
    );
}

#[tokio::test]
async fn percent_and_underscore_are_literal_and_q_is_required() {
    let app = TestApp::spawn().await;
    app.catalog().await;
    for q in ["%25", "_", "%25%25", "'%3B--"] {
        assert_eq!(
            app.movie_names(&format!("/api/v1/movies/search/query?q={q}"))
                .await
                .1,
            0,
            "{q}"
        );
        assert_eq!(
            app.movie_names(&format!("/api/v1/movies?q={q}")).await.1,
            0,
            "{q}"
        );
    }
    let problem = app.get("/api/v1/movies/search/query").await.problem(422);
    assert_eq!(problem.errors[0].field, "q");
    let long = "a".repeat(201);
    let problem = app
        .get(&format!("/api/v1/movies/search/query?q={long}"))
        .await
        .problem(422);
    assert_eq!(problem.errors[0].field, "q");
    assert!(problem.errors[0].message.contains("200"), "{problem:?}");
    let (_, total) = app
        .movie_names(&format!("/api/v1/movies/search/query?q={}", &long[1..]))
        .await;
    assert_eq!(total, 0);
}

#[tokio::test]
async fn search_combines_with_filters_and_follows_renames() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let (got, _) = app
        .movie_names("/api/v1/movies?q=gerwig&year_from=2018")
        .await;
    assert_eq!(got, names(&["Little Women"]));
    let (got, _) = app
        .movie_names("/api/v1/movies?q=gerwig&sort_by=year&order=desc")
        .await;
    assert_eq!(got, names(&["Little Women", "Lady Bird"]));
    let path = format!("/api/v1/directors/{}", c.directors["Greta Gerwig"]);
    app.json(
        Method::PATCH,
        &path,
        Some(&c.moderator),
        json!({"name": "G. Gerwig-Baumbach"}),
    )
    .await;
    assert_eq!(
        app.movie_names("/api/v1/movies/search/query?q=baumbach")
            .await
            .1,
        2
    );
    app.json(Method::DELETE, &path, Some(&c.moderator), json!({}))
        .await;
    assert_eq!(
        app.movie_names("/api/v1/movies/search/query?q=baumbach")
            .await
            .1,
        0
    );
}

#[tokio::test]
async fn search_follows_edits_of_titles_and_descriptions() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let path = format!("/api/v1/movies/{}", c.movies["Interstellar"]);
    let res = app
        .json(
            Method::PATCH,
            &path,
            Some(&c.moderator),
            json!({"name": "Wormhole Diaries", "description": "Corn fields and a tesseract."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    for (q, expected) in [
        ("interstellar", vec![]),
        ("wormhole diar", vec!["Wormhole Diaries"]),
        ("near saturn", vec![]),
        ("corn fields", vec!["Wormhole Diaries"]),
        // Untouched fields are still found.
        ("matthew mcconaughey", vec!["Wormhole Diaries"]),
    ] {
        let (got, _) = app
            .movie_names(&format!("/api/v1/movies/search/query?q={}", encode(q)))
            .await;
        assert_eq!(got, names(&expected), "{q}");
    }
    // A change elsewhere in the movie keeps it findable.
    let res = app
        .json(
            Method::PATCH,
            &path,
            Some(&c.moderator),
            json!({"price": "3.99"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let (got, _) = app
        .movie_names("/api/v1/movies/search/query?q=tesseract")
        .await;
    assert_eq!(got, names(&["Wormhole Diaries"]));
}

#[tokio::test]
async fn searches_follow_movies_created_and_deleted() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let phrase = "/api/v1/movies/search/query?q=haunted%20lighth";
    assert_eq!(app.movie_names(phrase).await.0, names(&["Lady Bird"]));
    let lady_bird = format!("/api/v1/movies/{}", c.movies["Lady Bird"]);
    let copy: serde_json::Value = app.get(&lady_bird).await.json();
    let body = json!({
        "name": "Lighthouse Keepers",
        "year": 2020,
        "time": 90,
        "imdb": 6.1,
        "votes": 1,
        "description": "Two sisters and a haunted lighthouse.",
        "price": "2.99",
        "certification_id": copy["certification"]["id"],
        "genre_ids": [c.genres["Drama"]],
        "director_ids": [],
        "star_ids": [],
    });
    let res = app.create_movie(&c.moderator, body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    // Lady Bird has the votes.
    assert_eq!(
        app.movie_names(phrase).await,
        (names(&["Lady Bird", "Lighthouse Keepers"]), 2)
    );
    let res = app
        .json(Method::DELETE, &lady_bird, Some(&c.moderator), json!({}))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_eq!(
        app.movie_names(phrase).await,
        (names(&["Lighthouse Keepers"]), 1)
    );
}

#[tokio::test]
async fn a_search_in_one_field_pages_past_the_first_page() {
    let app = TestApp::spawn().await;
    app.catalog().await;
    // One field ranks every match the same; the order falls back to votes, then id.
    let (first, total) = app
        .movie_names("/api/v1/movies/search/query?q=greta&search_in=directors&limit=1")
        .await;
    let (second, _) = app
        .movie_names("/api/v1/movies/search/query?q=greta&search_in=directors&limit=1&skip=1")
        .await;
    assert_eq!(total, 2);
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1);
    assert_ne!(first, second);
    let (titles, _) = app
        .movie_names("/api/v1/movies?q=a&search_in=title&sort_by=name&skip=1&limit=2")
        .await;
    assert!(titles.len() <= 2);
}

/// On PostgreSQL a phrase search reads its matches on the pool whose connections reuse generic
/// plans; a single word (a prefix that may match most of the catalog) keeps the main pool,
/// whose plans fit the word. Both answer as the database path does.
#[tokio::test]
async fn phrases_are_searched_on_connections_that_reuse_generic_plans() {
    use cinema_kernel::db::GENERIC_PLANS_APPLICATION;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let app = TestApp::spawn().await;
    if !app.database().is_postgres() {
        eprintln!("skipped: plan modes are PostgreSQL's");
        return;
    }
    app.catalog().await;
    let observer = app.db();
    let generic = || async {
        let sql = format!(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = '{GENERIC_PLANS_APPLICATION}'"
        );
        let row = observer
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let app = &app;
    let search = |q: &'static str| async move {
        let page: serde_json::Value = app
            .get(&format!("/api/v1/movies/search/query?q={}", encode(q)))
            .await
            .json();
        page["total"].as_i64().unwrap()
    };
    // Opened when first needed: a single word does not need it.
    assert_eq!(search("nolan").await, 2);
    assert_eq!(
        generic().await,
        0,
        "a single word used the generic-plan pool"
    );
    // More calls than PostgreSQL's five custom plans before it weighs a generic one.
    for _ in 0..7 {
        assert_eq!(search("haunted lighthouse").await, 1);
        assert_eq!(search("christopher nol").await, 2);
    }
    assert!(
        generic().await >= 1,
        "phrases did not use the generic-plan pool"
    );

    // What those connections are: generic plans, by their session setting.
    let config = cinema_kernel::db::DatabaseConfig::new(app.database().url().parse().unwrap());
    let main = cinema_kernel::db::connect(&config).await.unwrap();
    let pool = cinema_kernel::db::connect_generic_plans(&config, &main)
        .await
        .unwrap();
    let mode = pool
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SHOW plan_cache_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        mode.try_get_by_index::<String>(0).unwrap(),
        "force_generic_plan"
    );
}
