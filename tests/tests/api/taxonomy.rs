//! Genres, directors, stars and certifications.

use cinema_identity::Role;
use cinema_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn each_taxonomy_supports_crud_for_moderators_only() {
    let app = TestApp::spawn().await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    let user = app.sign_up("u@example.com").await;
    for resource in ["genres", "directors", "stars", "certifications"] {
        let base = format!("/api/v1/{resource}");
        app.json(Method::POST, &base, None, json!({"name": "X"}))
            .await
            .problem(401);
        app.json(
            Method::POST,
            &base,
            Some(&user.access_token),
            json!({"name": "X"}),
        )
        .await
        .problem(403);
        let id = app
            .create_named(&moderator.access_token, resource, "  Noir ")
            .await;
        let got: Value = app.get(&format!("{base}/{id}/")).await.json();
        assert_eq!(got, json!({"id": id, "name": "Noir"}));

        let dup = app
            .json(
                Method::POST,
                &base,
                Some(&moderator.access_token),
                json!({"name": "NOIR"}),
            )
            .await;
        assert!(
            dup.problem(409).detail.contains("already exists"),
            "{resource}"
        );
        app.json(
            Method::POST,
            &base,
            Some(&moderator.access_token),
            json!({"name": ""}),
        )
        .await
        .problem(422);

        let other = app
            .create_named(&moderator.access_token, resource, "Pulp")
            .await;
        let path = format!("{base}/{other}");
        app.json(
            Method::PATCH,
            &path,
            Some(&moderator.access_token),
            json!({"name": "noir"}),
        )
        .await
        .problem(409);
        let renamed: Value = app
            .json(
                Method::PATCH,
                &path,
                Some(&moderator.access_token),
                json!({"name": "Pulp Fiction"}),
            )
            .await
            .json();
        assert_eq!(renamed["name"], "Pulp Fiction");

        let page: Value = app.get(&format!("{base}?limit=1")).await.json();
        assert_eq!(
            (page["total"].clone(), page["items"][0]["name"].clone()),
            (json!(2), json!("Noir")),
            "{resource} by name"
        );
        let filtered: Value = app.get(&format!("{base}?name=FICT")).await.json();
        assert_eq!(filtered["total"], 1);
        assert_eq!(
            app.get(&format!("{base}?name=%25")).await.json::<Value>()["total"],
            0
        );

        app.json(Method::DELETE, &path, Some(&user.access_token), json!({}))
            .await
            .problem(403);
        let deleted = app
            .json(
                Method::DELETE,
                &path,
                Some(&moderator.access_token),
                json!({}),
            )
            .await;
        assert_eq!(deleted.status, 200);
        assert_eq!(
            deleted.json::<Value>(),
            json!({"id": other, "name": "Pulp Fiction"})
        );
        app.get(&path).await.problem(404);
        app.json(
            Method::DELETE,
            &path,
            Some(&moderator.access_token),
            json!({}),
        )
        .await
        .problem(404);
    }
}

#[tokio::test]
async fn a_certification_in_use_cannot_be_deleted_but_a_genre_is_unlinked() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let r = c.certifications["R"];
    let res = app
        .json(
            Method::DELETE,
            &format!("/api/v1/certifications/{r}"),
            Some(&c.moderator),
            json!({}),
        )
        .await;
    assert!(res.problem(409).detail.contains("2 movie"));

    let comedy = c.genres["Comedy"];
    let res = app
        .json(
            Method::DELETE,
            &format!("/api/v1/genres/{comedy}"),
            Some(&c.moderator),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 200);
    let lady_bird: Value = app
        .get(&format!("/api/v1/movies/{}", c.movies["Lady Bird"]))
        .await
        .json();
    assert_eq!(
        lady_bird["genres"],
        json!([{"id": c.genres["Drama"], "name": "Drama"}])
    );
}

#[tokio::test]
async fn genre_statistics_count_movies_per_genre_by_name() {
    let app = TestApp::spawn().await;
    app.catalog().await;
    let stats: Value = app.get("/api/v1/genres/statistics").await.json();
    let got: Vec<(String, i64)> = stats
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["movie_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Comedy".into(), 1),
            ("Drama".into(), 3),
            ("Sci-Fi".into(), 2)
        ]
    );
}

#[tokio::test]
async fn a_name_is_measured_as_sent_and_trimmed_when_kept() {
    let app = TestApp::spawn().await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    let token = moderator.access_token.as_str();
    // 100 characters after trimming, 101 as sent: over the documented maxLength.
    let padded = format!(" {}", "g".repeat(100));
    let problem = app
        .json(
            Method::POST,
            "/api/v1/genres",
            Some(token),
            json!({"name": padded}),
        )
        .await
        .problem(422);
    assert_eq!(problem.errors[0].field, "name");
    let id = app.create_named(token, "genres", "  Noir  ").await;
    let got: Value = app.get(&format!("/api/v1/genres/{id}")).await.json();
    assert_eq!(got["name"], "Noir");
}
