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

#[tokio::test]
async fn a_role_is_checked_before_the_body_and_422s_say_the_rule_in_plain_words() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("plain@example.com").await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    // A user's invalid body to a moderator route: 403, whatever the body.
    for body in [json!({"name": 42}), json!({}), json!([1, 2])] {
        app.json(
            Method::POST,
            "/api/v1/genres",
            Some(&user.access_token),
            body,
        )
        .await
        .problem(403);
    }
    // A moderator's: the field, the rule, no Rust type names, no echo of long input.
    let long = "x".repeat(5000);
    let res = app
        .json(
            Method::POST,
            "/api/v1/movies",
            Some(&moderator.access_token),
            json!({"name": "A", "year": long, "time": 1, "imdb": 1, "price": "1", "certification_id": 1}),
        )
        .await;
    assert_clean(&res);
    let problem = res.problem(422);
    assert_eq!(problem.errors[0].field, "year");
    assert_eq!(problem.errors[0].message, "must be a whole number");
    assert!(
        !res.text().contains("xxxxxxxxxx"),
        "the input is not echoed"
    );
    for word in ["i32", "i64", "u64", "struct", "variant"] {
        assert!(!res.text().contains(word), "{word}: {}", res.text());
    }
}

#[tokio::test]
async fn control_characters_are_refused_in_bodies_and_queries_but_free_text_keeps_its_lines() {
    let app = TestApp::spawn().await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    let token = moderator.access_token.as_str();
    for name in ["Noir\u{0}", "Two\nlines", "Bell\u{7}", "C1\u{85}"] {
        let problem = app
            .json(
                Method::POST,
                "/api/v1/genres",
                Some(token),
                json!({"name": name}),
            )
            .await
            .problem(422);
        assert_eq!(problem.errors[0].field, "name");
    }
    let certification = app.create_named(token, "certifications", "PG").await;
    let movie = |description: &str| {
        json!({"name": format!("M {}", description.len()), "year": 2000, "time": 90, "imdb": 7,
               "price": "1.00", "certification_id": certification, "description": description})
    };
    assert_eq!(
        app.create_movie(token, movie("Two lines\nand\ta tab"))
            .await
            .status,
        201
    );
    let problem = app
        .create_movie(token, movie("NUL\u{0}"))
        .await
        .problem(422);
    assert_eq!(problem.errors[0].field, "description");
    for path in [
        "/api/v1/movies?q=a%00b",
        "/api/v1/genres?name=%07",
        "/api/v1/users?email=%00",
    ] {
        let res = app.get(path).await;
        assert_clean(&res);
        res.problem(422);
    }
}

#[tokio::test]
async fn id_lists_are_bounded_in_queries_and_bodies() {
    let app = TestApp::spawn().await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    let many: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let problem = app
        .get(&format!("/api/v1/movies?genre_ids={}", many.join(",")))
        .await
        .problem(422);
    assert_eq!(problem.errors[0].field, "genre_ids");
    assert_eq!(
        app.get(&format!(
            "/api/v1/movies?genre_ids={}",
            many[..100].join(",")
        ))
        .await
        .status,
        200
    );
    let ids: Vec<i64> = (1..=33_000).collect();
    let res = app
        .json(
            Method::POST,
            "/api/v1/movies",
            Some(&moderator.access_token),
            json!({"name": "Many", "year": 2000, "time": 1, "imdb": 1, "price": "1",
                   "certification_id": 1, "genre_ids": ids}),
        )
        .await;
    assert_clean(&res);
    let problem = res.problem(422);
    assert_eq!(problem.errors[0].field, "genre_ids");
    let res = app
        .post(
            "/api/v1/accounts/register",
            json!({"email": "cart@example.com", "password": cinema_tests::strong_password(),
                   "guest_cart_items": (1..=101).collect::<Vec<i64>>()}),
        )
        .await;
    assert_eq!(res.problem(422).errors[0].field, "guest_cart_items");
}

#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off() {
    let app = TestApp::spawn_with(&[("BODY_READ_TIMEOUT_SECS", "1")]).await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    // Declares 100 bytes, sends one a second.
    let stream = futures_util::stream::unfold(0u8, |n| async move {
        if n >= 100 {
            return None;
        }
        if n > 0 {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        Some((Ok::<_, std::io::Error>(vec![b' ']), n + 1))
    });
    let started = std::time::Instant::now();
    let res = app
        .client
        .post(app.url("/api/v1/genres"))
        .bearer_auth(&moderator.access_token)
        .header("content-type", "application/json")
        .header("content-length", "100")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(10),
        "held {waited:?}"
    );
    match res {
        Ok(res) => assert_eq!(res.status(), 408),
        // The server may close the connection while the body is still being sent.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
}
