//! Races and bad numbers end in clean client errors: one winner, the rest 409, and no answer
//! ever carries database text.

use cinema_identity::Role;
use cinema_tests::{TestApp, TestResponse};
use reqwest::Method;
use serde_json::json;

/// Words of driver and SQL errors that must never reach a client.
const LEAKS: &[&str] = &[
    "constraint",
    "duplicate key",
    "violates",
    "database error",
    "sqlx",
    "SQLITE",
    "UNIQUE",
    "FOREIGN KEY",
    "INSERT",
    "DELETE FROM",
];

fn assert_clean(res: &TestResponse) {
    let body = res.text();
    for word in LEAKS {
        assert!(
            !body.to_lowercase().contains(&word.to_lowercase()),
            "a {} answer leaks `{word}`: {body}",
            res.status
        );
    }
}

#[tokio::test]
async fn twenty_concurrent_creations_of_one_genre_make_one_and_nineteen_clean_conflicts() {
    let app = TestApp::spawn().await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    let token = moderator.access_token.as_str();
    let answers = futures_util::future::join_all((0..20).map(|i| {
        // Different spellings of one name: the clash is decided case-insensitively.
        let name = if i % 2 == 0 { "Film Noir" } else { "FILM NOIR" };
        app.json(
            Method::POST,
            "/api/v1/genres",
            Some(token),
            json!({"name": name}),
        )
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses[0], 201, "{statuses:?}");
    assert!(statuses[1..].iter().all(|s| *s == 409), "{statuses:?}");
    for res in &answers {
        assert_clean(res);
        if res.status == 409 {
            let problem = res.problem(409);
            assert!(
                problem.detail.contains("already exists"),
                "{}",
                problem.detail
            );
        }
    }
}

#[tokio::test]
async fn a_movie_created_while_its_certification_is_deleted_gets_a_clean_answer() {
    let app = TestApp::spawn().await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    let token = moderator.access_token.as_str();
    for round in 0..8 {
        let certification = app
            .create_named(token, "certifications", &format!("C{round}"))
            .await;
        let create = app.create_movie(
            token,
            json!({
                "name": format!("Race {round}"), "year": 2000, "time": 90, "imdb": 7.0,
                "votes": 1, "description": "d", "price": "1.00",
                "certification_id": certification,
                "genre_ids": [], "director_ids": [], "star_ids": []
            }),
        );
        let path = format!("/api/v1/certifications/{certification}");
        let delete = app.delete_as(token, &path);
        let (created, deleted) = tokio::join!(create, delete);
        assert_clean(&created);
        assert_clean(&deleted);
        assert!(
            matches!(created.status.as_u16(), 201 | 409 | 422),
            "create: {} {}",
            created.status,
            created.text()
        );
        assert!(
            matches!(deleted.status.as_u16(), 200 | 409),
            "delete: {} {}",
            deleted.status,
            deleted.text()
        );
        // Never both: a movie cannot keep a certification that is gone.
        assert!(
            !(created.status == 201 && deleted.status == 200),
            "both the movie and the deletion of its certification succeeded"
        );
    }
}

#[tokio::test]
async fn numbers_beyond_what_a_query_can_hold_are_422_on_every_list() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/genres?skip=9223372036854775808",
        "/api/v1/movies?skip=9223372036854775808",
        "/api/v1/movies?skip=1000000001",
        "/api/v1/stars?skip=18446744073709551616",
        "/api/v1/movies?year_from=99999999999",
        "/api/v1/movies?limit=0",
    ] {
        let res = app.get(path).await;
        assert_clean(&res);
        let problem = res.problem(422);
        assert!(!problem.errors.is_empty(), "{path}: {problem:?}");
    }
    // The largest documented skip is accepted.
    assert_eq!(app.get("/api/v1/genres?skip=1000000000").await.status, 200);
}
