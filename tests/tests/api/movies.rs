//! Movies: lists with every filter and sort, detail, and moderators' changes.

use cinema_identity::Role;
use cinema_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn list_items_and_detail_have_the_documented_shape() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let page: Value = app.get("/api/v1/movies/?limit=1").await.json();
    assert_eq!(
        (
            page["total"].clone(),
            page["skip"].clone(),
            page["limit"].clone()
        ),
        (json!(5), json!(0), json!(1))
    );
    let item = &page["items"][0];
    assert_eq!(item["name"], "Inception");
    assert_eq!(item["imdb"], 8.8);
    assert_eq!(item["price"], "9.99");
    assert_eq!(item["certification"]["name"], "PG-13");
    let genres: Vec<&str> = item["genres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(genres, ["Drama", "Sci-Fi"]);
    assert!(item.get("description").is_none());

    let id = c.movies["Inception"];
    let detail: Value = app.get(&format!("/api/v1/movies/{id}")).await.json();
    assert_eq!(detail["meta_score"], 74);
    assert!(detail["gross"].is_null());
    assert_eq!(detail["directors"][0]["name"], "Christopher Nolan");
    assert_eq!(detail["stars"][0]["name"], "Leonardo DiCaprio");
    let by_uuid: Value = app
        .get(&format!(
            "/api/v1/movies/uuid/{}",
            detail["uuid"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(by_uuid["id"], id);

    app.get("/api/v1/movies/999999").await.problem(404);
    app.get(&format!("/api/v1/movies/uuid/{}", uuid::Uuid::new_v4()))
        .await
        .problem(404);
    app.get("/api/v1/movies/uuid/not-a-uuid").await.problem(422);
    app.get("/api/v1/movies/abc").await.problem(422);
}

#[tokio::test]
async fn every_filter_narrows_the_list_with_inclusive_bounds() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "year_from=2014&year_to=2017".into(),
            vec!["Interstellar", "Lady Bird"],
        ),
        ("year_from=2019".into(), vec!["Little Women"]),
        ("imdb_min=8.7".into(), vec!["Inception", "Interstellar"]),
        ("imdb_max=0".into(), vec!["Zero Dark"]),
        (
            "imdb_min=7.4&imdb_max=7.8".into(),
            vec!["Lady Bird", "Little Women"],
        ),
        ("price_min=0&price_max=0".into(), vec!["Lady Bird"]),
        (
            "price_max=4.99".into(),
            vec!["Lady Bird", "Little Women", "Zero Dark"],
        ),
        (
            format!("certification_ids={}", c.certifications["R"]),
            vec!["Lady Bird", "Zero Dark"],
        ),
        (
            format!("director_ids={}", c.directors["Greta Gerwig"]),
            vec!["Lady Bird", "Little Women"],
        ),
        (
            format!(
                "star_ids={}&star_ids={}",
                c.stars["Leonardo DiCaprio"], c.stars["Matthew McConaughey"]
            ),
            vec!["Inception", "Interstellar"],
        ),
        (
            format!("genre_ids={}", c.genres["Comedy"]),
            vec!["Lady Bird"],
        ),
        (
            format!(
                "genre_ids={},{}&year_to=2015",
                c.genres["Drama"], c.genres["Sci-Fi"]
            ),
            vec!["Inception", "Interstellar"],
        ),
    ];
    for (query, expected) in cases {
        let (got, total) = app.movie_names(&format!("/api/v1/movies?{query}")).await;
        assert_eq!(got, names(&expected), "{query}");
        assert_eq!(total as usize, expected.len(), "{query}");
    }
}

#[tokio::test]
async fn a_movie_in_several_wanted_genres_is_listed_and_counted_once() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let query = format!(
        "genre_ids={}&genre_ids={}&genre_ids={}",
        c.genres["Drama"], c.genres["Sci-Fi"], c.genres["Comedy"]
    );
    let (got, total) = app
        .movie_names(&format!("/api/v1/movies/filter/advanced?{query}"))
        .await;
    assert_eq!(
        got,
        names(&["Inception", "Interstellar", "Lady Bird", "Little Women"])
    );
    assert_eq!(total, 4);
    let (page, total) = app
        .movie_names(&format!("/api/v1/movies?{query}&limit=2&skip=2"))
        .await;
    assert_eq!((page, total), (names(&["Lady Bird", "Little Women"]), 4));
}

#[tokio::test]
async fn every_sort_key_orders_deterministically_both_ways() {
    let app = TestApp::spawn().await;
    app.catalog().await;
    let cases = [
        (
            "name",
            vec![
                "Inception",
                "Interstellar",
                "Lady Bird",
                "Little Women",
                "Zero Dark",
            ],
        ),
        (
            "year",
            vec![
                "Inception",
                "Zero Dark",
                "Interstellar",
                "Lady Bird",
                "Little Women",
            ],
        ),
        (
            "time",
            vec![
                "Lady Bird",
                "Zero Dark",
                "Little Women",
                "Inception",
                "Interstellar",
            ],
        ),
        (
            "imdb",
            vec![
                "Zero Dark",
                "Lady Bird",
                "Little Women",
                "Interstellar",
                "Inception",
            ],
        ),
        (
            "votes",
            vec![
                "Zero Dark",
                "Little Women",
                "Lady Bird",
                "Interstellar",
                "Inception",
            ],
        ),
        (
            "price",
            vec![
                "Lady Bird",
                "Zero Dark",
                "Little Women",
                "Inception",
                "Interstellar",
            ],
        ),
        (
            "meta_score",
            vec![
                "Inception",
                "Little Women",
                "Lady Bird",
                "Interstellar",
                "Zero Dark",
            ],
        ),
        (
            "id",
            vec![
                "Inception",
                "Interstellar",
                "Lady Bird",
                "Little Women",
                "Zero Dark",
            ],
        ),
        (
            "rating",
            vec![
                "Inception",
                "Interstellar",
                "Lady Bird",
                "Little Women",
                "Zero Dark",
            ],
        ),
    ];
    for (key, ascending) in cases {
        let (got, _) = app
            .movie_names(&format!("/api/v1/movies?sort_by={key}"))
            .await;
        assert_eq!(got, names(&ascending), "{key} asc");
        let (got, _) = app
            .movie_names(&format!("/api/v1/movies?sort_by={key}&order=desc"))
            .await;
        let mut expected = ascending.clone();
        if key == "meta_score" {
            // Movies without a score stay last either way (and tie by id, descending).
            expected = vec![
                "Lady Bird",
                "Little Women",
                "Inception",
                "Zero Dark",
                "Interstellar",
            ];
        } else {
            expected.reverse();
        }
        assert_eq!(got, names(&expected), "{key} desc");
        for (order, whole) in [("asc", ascending), ("desc", expected)] {
            assert_eq!(
                pages_of_two(&app, &format!("sort_by={key}&order={order}")).await,
                names(&whole),
                "{key} {order}, page by page"
            );
        }
    }
}

/// Every movie of a query, read two at a time (pages past the first take another path).
async fn pages_of_two(app: &TestApp, query: &str) -> Vec<String> {
    let mut all = Vec::new();
    for skip in (0..6).step_by(2) {
        let (page, _) = app
            .movie_names(&format!("/api/v1/movies?{query}&limit=2&skip={skip}"))
            .await;
        all.extend(page);
    }
    all
}

#[tokio::test]
async fn bad_list_parameters_are_422_naming_the_parameter() {
    // Every route that takes the list's parameters, favourites included: schemathesis does not
    // fuzz their negative data (see .ci/schemathesis.toml), so this table is what checks it.
    let app = TestApp::spawn().await;
    let (_, user) = app.user_with_role(Role::User).await;
    let routes = [
        "/api/v1/movies?",
        "/api/v1/movies/filter/advanced?",
        "/api/v1/movies/search/query?q=the&",
        "/api/v1/movies/genre/1?",
        "/api/v1/favorites?",
    ];
    let many_ids = vec!["1"; 101].join(",");
    let many_ids = format!("star_ids={many_ids}");
    let cases = [
        ("sort_by=popularity_hack", "sort_by"),
        ("sort_by=__class__", "sort_by"),
        ("order=sideways", "order"),
        ("year_from=2015&year_to=2010", "year_from"),
        ("imdb_min=9&imdb_max=1", "imdb_min"),
        ("imdb_min=11", "imdb_min"),
        ("price_min=1.999", "price_min"),
        ("price_min=5&price_max=1", "price_min"),
        ("year_from=soon", "year_from"),
        ("genre_ids=x", "genre_ids"),
        ("star_ids=1&star_ids=1.5", "star_ids"),
        ("director_ids=9223372036854775808", "director_ids"),
        ("certification_ids=", "certification_ids"),
        (many_ids.as_str(), "star_ids"),
        ("search_in=everything", "search_in"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("skip=-1", "skip"),
    ];
    for route in routes {
        for (query, field) in cases {
            if route.contains("/genre/") && field == "genre_ids" {
                continue; // the route's own genre replaces genre_ids
            }
            let problem = app
                .get_as(&user.access_token, &format!("{route}{query}"))
                .await
                .problem(422);
            assert!(
                problem.errors.iter().any(|e| e.field == field),
                "{route}{query}: {problem:?}"
            );
        }
    }
}

#[tokio::test]
async fn trending_new_releases_and_genre_pages() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let trending: Value = app
        .get("/api/v1/movies/special/trending?limit=2")
        .await
        .json();
    let got: Vec<&str> = trending
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["Inception", "Interstellar"]);
    let new: Value = app.get("/api/v1/movies/special/new-releases/").await.json();
    assert_eq!(new[0]["name"], "Little Women");
    assert_eq!(new.as_array().unwrap().len(), 5);
    app.get("/api/v1/movies/special/trending?limit=51")
        .await
        .problem(422);

    let (got, total) = app
        .movie_names(&format!("/api/v1/movies/genre/{}", c.genres["Sci-Fi"]))
        .await;
    assert_eq!((got, total), (names(&["Inception", "Interstellar"]), 2));
    let empty = app.create_named(&c.moderator, "genres", "Western").await;
    assert_eq!(
        app.movie_names(&format!("/api/v1/movies/genre/{empty}"))
            .await
            .1,
        0
    );
    app.get("/api/v1/movies/genre/999999").await.problem(404);
}

#[tokio::test]
async fn moderators_create_movies_and_unknown_ids_are_named() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let user = app.sign_up("viewer@example.com").await;
    let body = json!({"name": "Oppenheimer", "year": 2023, "time": 180, "imdb": 8.3, "votes": 800000,
        "price": 14.99, "gross": "975000000.50", "certification_id": c.certifications["R"],
        "genre_ids": [c.genres["Drama"], 999], "director_ids": [c.directors["Christopher Nolan"]], "star_ids": [998, 999]});
    app.json(Method::POST, "/api/v1/movies", None, body.clone())
        .await
        .problem(401);
    app.create_movie(&user.access_token, body.clone())
        .await
        .problem(403);
    let problem = app
        .create_movie(&c.moderator, body.clone())
        .await
        .problem(422);
    let fields: Vec<(&str, &str)> = problem
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("genre_ids", "unknown ids: 999"),
            ("star_ids", "unknown ids: 998, 999")
        ]
    );

    let mut ok = body.clone();
    ok["genre_ids"] = json!([c.genres["Drama"]]);
    ok["star_ids"] = json!([]);
    let res = app.create_movie(&c.moderator, ok.clone()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let created: Value = res.json();
    assert_eq!(
        (created["price"].clone(), created["gross"].clone()),
        (json!("14.99"), json!("975000000.50"))
    );
    let clash = app.create_movie(&c.moderator, ok).await.problem(409);
    assert!(clash.detail.contains("Oppenheimer"));
}

#[tokio::test]
async fn invalid_movie_fields_are_422_naming_each_field() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let base = json!({"name": "Valid", "year": 2000, "time": 90, "imdb": 5.0, "price": "1.00",
        "certification_id": c.certifications["R"]});
    for (field, value) in [
        ("name", json!("")),
        ("year", json!(1887)),
        ("year", json!(9999)),
        ("time", json!(0)),
        ("imdb", json!(8.55)),
        ("imdb", json!(10.5)),
        ("votes", json!(-1)),
        ("meta_score", json!(101)),
        ("description", json!("x".repeat(10_001))),
        ("certification_id", json!(999)),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let problem = app.create_movie(&c.moderator, body).await.problem(422);
        assert_eq!(problem.errors[0].field, field, "{problem:?}");
    }
    for (field, value) in [
        ("price", json!("1.999")),
        ("price", json!(-1)),
        ("year", json!("x")),
    ] {
        let mut body = base.clone();
        body[field] = value;
        app.create_movie(&c.moderator, body).await.problem(422);
    }
}

#[tokio::test]
async fn concurrent_changes_to_different_fields_all_survive() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let path = format!("/api/v1/movies/{}", c.movies["Inception"]);
    for round in 0..8 {
        let name = format!("Inception {round}");
        let description = format!("Dreams, take {round}.");
        let (a, b) = tokio::join!(
            app.json(
                Method::PATCH,
                &path,
                Some(&c.moderator),
                json!({"name": name})
            ),
            app.json(
                Method::PATCH,
                &path,
                Some(&c.moderator),
                json!({"description": description})
            ),
        );
        assert_eq!(a.status, 200, "{}", a.text());
        assert_eq!(b.status, 200, "{}", b.text());
        let movie: Value = app.get(&path).await.json();
        assert_eq!(
            (movie["name"].as_str(), movie["description"].as_str()),
            (Some(name.as_str()), Some(description.as_str())),
            "round {round}"
        );
    }
}

#[tokio::test]
async fn moderators_change_movies_partially() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let id = c.movies["Inception"];
    let patch = |body: Value| {
        let token = c.moderator.clone();
        let app = &app;
        async move {
            app.json(
                Method::PATCH,
                &format!("/api/v1/movies/{id}/"),
                Some(&token),
                body,
            )
            .await
        }
    };
    let res = patch(json!({"price": "7.50", "meta_score": null, "genre_ids": [c.genres["Comedy"]], "star_ids": []})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let m: Value = res.json();
    assert_eq!(
        (m["price"].clone(), m["meta_score"].clone()),
        (json!("7.50"), Value::Null)
    );
    assert_eq!(
        m["genres"],
        json!([{"id": c.genres["Comedy"], "name": "Comedy"}])
    );
    assert_eq!(m["stars"], json!([]));
    assert_eq!(
        m["directors"][0]["name"], "Christopher Nolan",
        "unsent lists stay"
    );
    assert_eq!(m["name"], "Inception");

    patch(json!({"name": "Interstellar", "year": 2014, "time": 169}))
        .await
        .problem(409);
    patch(json!({"imdb": 11})).await.problem(422);
    patch(json!({"name": null})).await.problem(422);
    patch(json!({})).await.problem(422);
    patch(json!({"genre_ids": [12345]})).await.problem(422);
    let (_, user) = app.user_with_role(Role::User).await;
    app.json(
        Method::PATCH,
        &format!("/api/v1/movies/{id}"),
        Some(&user.access_token),
        json!({"price": 1}),
    )
    .await
    .problem(403);
    app.json(
        Method::PATCH,
        "/api/v1/movies/999999",
        Some(&c.moderator),
        json!({"price": 1}),
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn moderators_delete_movies() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let id = c.movies["Zero Dark"];
    let (_, user) = app.user_with_role(Role::User).await;
    let delete = |token: String, path: String| {
        let app = &app;
        async move {
            app.json(Method::DELETE, &path, Some(&token), json!({}))
                .await
        }
    };
    delete(user.access_token.clone(), format!("/api/v1/movies/{id}"))
        .await
        .problem(403);
    delete(
        c.moderator.clone(),
        format!("/api/v1/movies/{id}?force=maybe"),
    )
    .await
    .problem(422);
    assert_eq!(
        delete(c.moderator.clone(), format!("/api/v1/movies/{id}"))
            .await
            .status,
        204
    );
    app.get(&format!("/api/v1/movies/{id}")).await.problem(404);
    delete(c.moderator.clone(), format!("/api/v1/movies/{id}"))
        .await
        .problem(404);
    assert_eq!(app.movie_names("/api/v1/movies").await.1, 4);
}

/// The genre-and-year filter counts from the genre links' copy of the year: a movie's new year
/// and new genres must reach it in the same write.
#[tokio::test]
async fn genre_and_year_filters_follow_changed_years_and_genres() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let (drama, comedy) = (c.genres["Drama"], c.genres["Comedy"]);
    let filter = |genres: &str, from: i32, to: i32| {
        format!(
            "/api/v1/movies/filter/advanced?genre_ids={genres}&year_from={from}&year_to={to}&sort_by=year&order=asc"
        )
    };
    let found = |page: Value| -> (i64, Vec<String>) {
        let names = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect();
        (page["total"].as_i64().unwrap(), names)
    };
    // Drama: Inception 2010, Lady Bird 2017, Little Women 2019; Comedy: Lady Bird.
    let both = format!("{drama},{comedy}");
    assert_eq!(
        found(app.get(&filter(&both, 2011, 2019)).await.json()),
        (2, names(&["Lady Bird", "Little Women"]))
    );
    let inception = format!("/api/v1/movies/{}", c.movies["Inception"]);
    let patched = app
        .json(
            Method::PATCH,
            &inception,
            Some(&c.moderator),
            json!({"year": 2018}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(
        found(
            app.get(&filter(&drama.to_string(), 2011, 2019))
                .await
                .json()
        ),
        (3, names(&["Lady Bird", "Inception", "Little Women"]))
    );
    assert_eq!(
        found(
            app.get(&filter(&drama.to_string(), 2010, 2010))
                .await
                .json()
        )
        .0,
        0
    );
    let regenred = app
        .json(
            Method::PATCH,
            &inception,
            Some(&c.moderator),
            json!({"genre_ids": [comedy]}),
        )
        .await;
    assert_eq!(regenred.status, 200, "{}", regenred.text());
    assert_eq!(
        found(
            app.get(&filter(&comedy.to_string(), 2018, 2018))
                .await
                .json()
        ),
        (1, names(&["Inception"]))
    );
    assert_eq!(
        found(app.get(&filter(&both, 2011, 2019)).await.json()),
        (3, names(&["Lady Bird", "Inception", "Little Women"]))
    );
}
