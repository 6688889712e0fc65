//! Search as people type it — every word in any field and order, prefixes, typos, accents —
//! ranked by the documented rule, the same on SQLite and PostgreSQL; and suggestions.

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
    // A finished word ("dream " with its space trimmed is still a prefix: "dreams" too).
    let (got, _) = app.movie_names("/api/v1/movies/search/query?q=dream").await;
    assert_eq!(
        got[..2],
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
    // Both words in the new one's plot, and a word in its title: the title ranks first.
    assert_eq!(
        app.movie_names(phrase).await,
        (names(&["Lighthouse Keepers", "Lady Bird"]), 2)
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

/// The demo catalog of `cinema seed`, and a moderator's token.
async fn demo(app: &TestApp) -> String {
    cinema_server::seed::demo(app.db(), &app.clock)
        .await
        .expect("the demo catalog loads");
    // Written straight to the database, as another process would: seen within the staleness
    // bound (at once with the cache off).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while found(app, "inception").await.1 == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the demo catalog never became searchable"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let (_, moderator) = app.user_with_role(cinema_identity::Role::Moderator).await;
    moderator.access_token
}

/// The names `q` finds on `/movies/search/query`, and the total.
async fn found(app: &TestApp, q: &str) -> (Vec<String>, u64) {
    app.movie_names(&format!("/api/v1/movies/search/query?q={}", encode(q)))
        .await
}

#[tokio::test]
async fn typed_queries_find_the_movie_meant() {
    let app = TestApp::spawn().await;
    demo(&app).await;
    for (q, first) in [
        // Any order, any field.
        ("nolan inception", "Inception"),
        ("knight dark", "The Dark Knight"),
        ("redemption shawshank", "The Shawshank Redemption"),
        ("pitt fincher", "Fight Club"),
        ("tarantino pulp", "Pulp Fiction"),
        ("reeves matrix", "The Matrix"),
        ("hanks gump", "Forrest Gump"),
        ("bong joon parasite", "Parasite"),
        // Typos, forgiven by length.
        ("inceptoin", "Inception"),
        ("godfater", "The Godfather"),
        ("mcconaughy", "Interstellar"),
        ("shawshenk", "The Shawshank Redemption"),
        ("fihgt club", "Fight Club"),
        // The last word as it is being typed.
        ("interstel", "Interstellar"),
        ("the dark kni", "The Dark Knight"),
        ("nolan incep", "Inception"),
        ("wachow", "The Matrix"),
        ("INTERSTEL", "Interstellar"),
        // People and genres with a title word, a plot word with a person.
        ("nolan sci fi", "Inception"),
        ("freeman redemption", "The Shawshank Redemption"),
        ("dicaprio dream", "Inception"),
        ("crime coppola", "The Godfather"),
    ] {
        let (got, total) = found(&app, q).await;
        assert_eq!(got.first().map(String::as_str), Some(first), "{q}: {got:?}");
        assert!(total >= 1, "{q}");
    }
}

#[tokio::test]
async fn every_word_must_match_somewhere_and_nonsense_finds_nothing() {
    let app = TestApp::spawn().await;
    demo(&app).await;
    assert_eq!(
        found(&app, "dicaprio nolan").await,
        (names(&["Inception"]), 1)
    );
    assert_eq!(found(&app, "nolan").await.1, 3);
    assert_eq!(
        found(&app, "nolan pacino").await.1,
        0,
        "no Nolan film with Pacino"
    );
    for q in ["xyzzy", "qwertyuiop asdf", "zzzzzzzzzzzz", "inception zzzz"] {
        assert_eq!(found(&app, q).await, (vec![], 0), "{q}");
    }
    // Short words forgive no typo: "dakr" is not "dark".
    assert_eq!(found(&app, "dakr knight").await.1, 0);
    // Two typos need nine letters or more.
    assert_eq!(
        found(&app, "godfathre").await.0.first().map(String::as_str),
        Some("The Godfather")
    );
    assert_eq!(
        found(&app, "gdofater").await.1,
        0,
        "two typos in eight letters"
    );
}

#[tokio::test]
async fn accents_case_and_punctuation_do_not_matter() {
    let app = TestApp::spawn().await;
    let moderator = demo(&app).await;
    let taxonomy: serde_json::Value = app.get("/api/v1/certifications/?limit=100").await.json();
    let certification = taxonomy["items"][0]["id"].clone();
    for (name, description) in [
        (
            "Le Fabuleux Destin d'Amélie Poulain",
            "Une serveuse à Montmartre.",
        ),
        (
            "Spider-Man: Into the Spider-Verse",
            "Miles Morales becomes the Spider-Man.",
        ),
    ] {
        let body = json!({"name": name, "year": 2001, "time": 122, "imdb": 8.3, "price": 3,
            "certification_id": certification, "description": description});
        let res = app.create_movie(&moderator, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    for (q, first) in [
        ("amelie", "Le Fabuleux Destin d'Amélie Poulain"),
        ("AMÉLIE poul", "Le Fabuleux Destin d'Amélie Poulain"),
        ("d'amelie destin", "Le Fabuleux Destin d'Amélie Poulain"),
        (
            "serveuse a montmartre",
            "Le Fabuleux Destin d'Amélie Poulain",
        ),
        ("spider man", "Spider-Man: Into the Spider-Verse"),
        ("SPIDER-VERSE!", "Spider-Man: Into the Spider-Verse"),
    ] {
        let (got, _) = found(&app, q).await;
        assert_eq!(got.first().map(String::as_str), Some(first), "{q}: {got:?}");
    }
}

#[tokio::test]
async fn the_ranking_rule_breaks_ties_in_its_order() {
    let app = TestApp::spawn().await;
    let moderator = demo(&app).await;
    let taxonomy: serde_json::Value = app.get("/api/v1/certifications/?limit=100").await.json();
    let certification = taxonomy["items"][0]["id"].clone();
    let create = |name: &'static str, votes: i64, description: &'static str| {
        let body = json!({"name": name, "year": 2001, "time": 99, "imdb": 6.0, "price": 3,
            "votes": votes, "certification_id": certification, "description": description});
        let (app, moderator) = (&app, &moderator);
        async move {
            let res = app.create_movie(moderator, body).await;
            assert_eq!(res.status, 201, "{}", res.text());
        }
    };
    // Exact words before typos, whatever the votes: "Godfather" exactly against its typo
    // neighbour "Godfeather" with more votes.
    create("The Godfeather", 9_000_000, "A bird.").await;
    let (got, _) = found(&app, "godfather").await;
    assert_eq!(got[..2], names(&["The Godfather", "The Godfeather"]));
    // Closer together, and in order, first: "Knight of the Dark" has more votes.
    create("Knight of the Dark", 9_000_000, "Nothing.").await;
    let (got, _) = found(&app, "dark knight").await;
    assert_eq!(got[..2], names(&["The Dark Knight", "Knight of the Dark"]));
    // The title before people, genres and the plot.
    create("A Nolan Retrospective", 1, "Nothing.").await;
    create("Critic", 9_000_000, "A critic who cannot stand Nolan.").await;
    let (got, _) = found(&app, "nolan").await;
    assert_eq!(
        got.first().map(String::as_str),
        Some("A Nolan Retrospective")
    );
    assert_eq!(
        got.last().map(String::as_str),
        Some("Critic"),
        "the plot last: {got:?}"
    );
    // The whole title before a longer one with more votes.
    create("The Matrix Reloaded", 9_000_000, "Neo again.").await;
    let (got, _) = found(&app, "the matrix").await;
    assert_eq!(got[..2], names(&["The Matrix", "The Matrix Reloaded"]));
    // Then votes: every other criterion equal.
    let (got, _) = found(&app, "the").await;
    assert_eq!(
        got.first().map(String::as_str),
        Some("The Godfeather"),
        "{got:?}"
    );
    // An explicit sort replaces the ranking.
    let (got, total) = app
        .movie_names("/api/v1/movies/search/query?q=nolan&sort_by=year&order=asc")
        .await;
    assert_eq!(total, 5);
    assert_eq!(
        got.first().map(String::as_str),
        Some("A Nolan Retrospective"),
        "{got:?}"
    );
}

#[tokio::test]
async fn a_search_follows_renames_and_deletes_at_once() {
    let app = TestApp::spawn().await;
    let moderator = demo(&app).await;
    let (_, inception) = found(&app, "inception").await;
    assert_eq!(inception, 1);
    let page: serde_json::Value = app
        .get("/api/v1/movies/search/query?q=inception")
        .await
        .json();
    let path = format!("/api/v1/movies/{}", page["items"][0]["id"]);
    let res = app
        .json(
            Method::PATCH,
            &path,
            Some(&moderator),
            json!({"name": "Dream Heist"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(found(&app, "inception").await, (vec![], 0));
    assert_eq!(
        found(&app, "heist dreem").await,
        (names(&["Dream Heist"]), 1)
    );
    // A genre renamed renames it in every movie's text.
    let genres: serde_json::Value = app.get("/api/v1/genres/?limit=100").await.json();
    let scifi = genres["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Sci-Fi")
        .unwrap()["id"]
        .clone();
    let res = app
        .json(
            Method::PATCH,
            &format!("/api/v1/genres/{scifi}"),
            Some(&moderator),
            json!({"name": "Speculative"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(found(&app, "speculative").await.1, 3);
    assert_eq!(found(&app, "sci fi").await.1, 0);
    let res = app
        .json(Method::DELETE, &path, Some(&moderator), json!({}))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_eq!(found(&app, "dream heist").await, (vec![], 0));
    assert_eq!(found(&app, "speculative").await.1, 2);
}

#[tokio::test]
async fn pathological_queries_answer_or_name_the_limit() {
    let app = TestApp::spawn().await;
    demo(&app).await;
    for q in [
        "a",
        "e",
        "the a of",
        "!!! ??? ...",
        "\u{200b}",
        "0",
        "9999999999999999999999",
    ] {
        let res = app
            .get(&format!("/api/v1/movies/search/query?q={}", encode(q)))
            .await;
        assert_eq!(res.status, 200, "{q}: {}", res.text());
    }
    assert_eq!(found(&app, "!!! ??? ...").await, (vec![], 0));
    // Fifty words: every one counts.
    let fifty: Vec<String> = (0..50u8)
        .map(|i| char::from(b'a' + i % 26).to_string())
        .collect();
    assert_eq!(found(&app, &fifty.join(" ")).await, (vec![], 0));
    assert_eq!(
        found(&app, &["the"; 50].join(" ")).await.1,
        found(&app, "the").await.1,
        "the same word fifty times"
    );
    let (got, _) = found(&app, "the dark knight the dark knight the dark knight").await;
    assert_eq!(got.first().map(String::as_str), Some("The Dark Knight"));
    let long = "x".repeat(1_000);
    let problem = app
        .get(&format!("/api/v1/movies?q={long}"))
        .await
        .problem(422);
    assert!(
        problem.errors[0].message.contains("200 characters"),
        "{problem:?}"
    );
}

#[tokio::test]
async fn suggestions_name_the_best_titles_and_what_matched() {
    let app = TestApp::spawn().await;
    demo(&app).await;
    let res = app.get("/api/v1/movies/suggest?q=nolan%20incep").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body: serde_json::Value = res.json();
    let first = &body["suggestions"][0];
    assert_eq!(first["name"], "Inception");
    assert_eq!(first["year"], 2010);
    assert_eq!(first["highlights"], json!([{"start": 0, "end": 5}]));
    let body: serde_json::Value = app
        .get("/api/v1/movies/suggest?q=the%20dark%20knigt&limit=1")
        .await
        .json();
    assert_eq!(body["suggestions"].as_array().unwrap().len(), 1);
    assert_eq!(body["suggestions"][0]["name"], "The Dark Knight");
    assert_eq!(
        body["suggestions"][0]["highlights"],
        json!([{"start": 0, "end": 3}, {"start": 4, "end": 8}, {"start": 9, "end": 15}])
    );
    let body: serde_json::Value = app.get("/api/v1/movies/suggest?q=t").await.json();
    assert_eq!(
        body["suggestions"].as_array().unwrap().len(),
        8,
        "8 by default"
    );
    let body: serde_json::Value = app.get("/api/v1/movies/suggest?q=zzzzzz").await.json();
    assert_eq!(body["suggestions"], json!([]));
    for bad in ["", "?q=", "?q=a&limit=0", "?q=a&limit=21", "?q=a&limit=x"] {
        let problem = app
            .get(&format!("/api/v1/movies/suggest{bad}"))
            .await
            .problem(422);
        assert!(!problem.errors.is_empty(), "{bad}");
    }
}
