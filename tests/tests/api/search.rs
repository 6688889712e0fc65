//! Ranked full-text search, the same on SQLite and PostgreSQL.

use cinema_tests::TestApp;
use reqwest::Method;
use serde_json::json;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn search_finds_titles_descriptions_actors_and_directors_by_word_prefix() {
    let app = TestApp::spawn().await;
    app.catalog().await;
    for (q, expected) in [
        ("inception", vec!["Inception"]),
        ("INTERSTEL", vec!["Interstellar"]),
        ("haunted lighthouse", vec!["Lady Bird"]),
        ("dicaprio", vec!["Inception"]),
        ("nolan", vec!["Inception", "Interstellar"]),
        ("gerwig ronan", vec!["Lady Bird", "Little Women"]),
        ("sisters massachusetts", vec!["Little Women"]),
        ("nothing here matches", vec![]),
    ] {
        let (got, total) = app
            .movie_names(&format!("/api/v1/movies/search/query?q={q}"))
            .await;
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(sorted, names(&expected), "{q}");
        assert_eq!(total as usize, expected.len(), "{q}");
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
async fn a_title_match_ranks_above_a_description_match() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let body = json!({"name": "Dream Machine", "year": 2001, "time": 99, "imdb": 6.0, "price": 3,
        "certification_id": c.certifications["R"], "description": "Nothing special."});
    assert_eq!(app.create_movie(&c.moderator, body).await.status, 201);
    let (got, _) = app.movie_names("/api/v1/movies/search/query?q=dream").await;
    assert_eq!(
        got,
        names(&["Dream Machine", "Inception"]),
        "title hit first"
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
