//! Commerce under concurrency, on whichever database the suite runs on: many requests at
//! once must end in one consistent state, never a 500.

use std::collections::BTreeSet;

use cinema_tests::{TestApp, order_movie_ids};
use futures_util::future::join_all;
use serde_json::Value;

const ROUNDS: usize = 3;

#[tokio::test]
async fn fifty_concurrent_orders_from_one_cart_make_exactly_one_order() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movies: Vec<i64> = catalog.movies.values().copied().collect();
    for _ in 0..ROUNDS {
        let token = app.buyer().await;
        app.fill_cart(&token, &movies).await;
        let answers = join_all((0..50).map(|_| app.place_order(&token))).await;
        let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [201, 400, 409].contains(s)),
            "{statuses:?}"
        );
        let page: Value = app.get_as(&token, "/api/v1/orders").await.json();
        assert_eq!(page["total"], 1);
        let ordered: BTreeSet<i64> = order_movie_ids(&page["items"][0]).into_iter().collect();
        assert_eq!(ordered, movies.iter().copied().collect());
        assert!(app.cart_ids(&token).await.is_empty());
    }
}

#[tokio::test]
async fn twenty_concurrent_adds_of_one_movie_add_it_once() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    for _ in 0..ROUNDS {
        let token = app.buyer().await;
        let answers = join_all((0..20).map(|_| app.add_to_cart(&token, movie))).await;
        let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            19,
            "{statuses:?}"
        );
        assert_eq!(app.cart_ids(&token).await, [movie]);
    }
}

/// Adds made at the same moment by many users go to PostgreSQL together (commerce's
/// `batch.rs`); each must still be answered as if it had run alone: its own movie in the
/// body, a repeat refused, an unknown movie not found, a movie in a pending order refused.
#[tokio::test]
async fn many_users_adding_at_once_are_each_answered_as_if_alone() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let titles: std::collections::HashMap<i64, &str> = catalog
        .movies
        .iter()
        .map(|(title, id)| (*id, *title))
        .collect();
    let movies: Vec<i64> = titles.keys().copied().collect();
    let (ordered, free) = movies.split_at(1);
    let mut buyers = Vec::new();
    for _ in 0..6 {
        let token = app.buyer().await;
        // One movie already in a pending order: adding it again is refused.
        app.fill_cart(&token, ordered).await;
        assert_eq!(app.place_order(&token).await.status, 201);
        buyers.push(token);
    }
    for _ in 0..ROUNDS {
        let mut adds = Vec::new();
        for b in 0..buyers.len() {
            for &movie in free.iter().chain(ordered).chain([&999_999]) {
                adds.push((b, movie));
            }
            adds.push((b, free[0]));
        }
        let answers = join_all(
            adds.iter()
                .map(|(b, movie)| app.add_to_cart(&buyers[*b], *movie)),
        )
        .await;
        for (b, buyer) in buyers.iter().enumerate() {
            let mine: Vec<(i64, &cinema_tests::TestResponse)> = adds
                .iter()
                .zip(&answers)
                .filter(|((who, _), _)| *who == b)
                .map(|((_, movie), answer)| (*movie, answer))
                .collect();
            for &movie in free {
                let answers: Vec<&cinema_tests::TestResponse> = mine
                    .iter()
                    .filter(|(m, _)| *m == movie)
                    .map(|(_, a)| *a)
                    .collect();
                let created: Vec<&&cinema_tests::TestResponse> =
                    answers.iter().filter(|a| a.status == 201).collect();
                assert_eq!(created.len(), 1, "movie {movie}: one add of it succeeds");
                let body: Value = created[0].json();
                assert_eq!(body["movie_id"], movie);
                assert_eq!(body["title"], titles[&movie]);
                for other in answers.iter().filter(|a| a.status != 201) {
                    assert_eq!(other.status, 409, "{}", other.text());
                }
            }
            for (movie, answer) in &mine {
                if ordered.contains(movie) {
                    assert_eq!(answer.status, 409, "{}", answer.text());
                    assert!(answer.text().contains("pending order"), "{}", answer.text());
                } else if *movie == 999_999 {
                    assert_eq!(answer.status, 404, "{}", answer.text());
                }
            }
            let cart: BTreeSet<i64> = app.cart_ids(buyer).await.into_iter().collect();
            assert_eq!(cart, free.iter().copied().collect());
            assert_eq!(app.delete_as(buyer, "/api/v1/cart").await.status, 204);
        }
    }
}

#[tokio::test]
async fn a_movie_added_while_an_order_is_placed_ends_in_the_order_or_the_cart_never_both() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (first, late) = (catalog.movies["Inception"], catalog.movies["Interstellar"]);
    for _ in 0..ROUNDS * 3 {
        let token = app.buyer().await;
        app.fill_cart(&token, &[first]).await;
        let (added, placed) = tokio::join!(app.add_to_cart(&token, late), app.place_order(&token));
        assert_eq!(added.status, 201, "{}", added.text());
        assert_eq!(placed.status, 201, "{}", placed.text());
        let order: Value = placed.json();
        let in_order: BTreeSet<i64> = order_movie_ids(&order).into_iter().collect();
        let in_cart: BTreeSet<i64> = app.cart_ids(&token).await.into_iter().collect();
        assert!(in_order.contains(&first));
        assert!(
            in_order.contains(&late) != in_cart.contains(&late),
            "order {in_order:?}, cart {in_cart:?}"
        );
        assert!(!in_cart.contains(&first));
    }
}

#[tokio::test]
async fn adds_of_a_movie_racing_its_order_never_leave_it_in_both() {
    // The movie's one hold moves from the cart to the order; every add racing that move meets
    // the hold and is refused, whichever side of the move it lands on.
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    for _ in 0..ROUNDS * 2 {
        let token = app.buyer().await;
        app.fill_cart(&token, &[movie]).await;
        let adds = join_all((0..8).map(|_| app.add_to_cart(&token, movie)));
        let (adds, placed) = tokio::join!(adds, app.place_order(&token));
        assert_eq!(placed.status, 201, "{}", placed.text());
        for add in &adds {
            assert_eq!(add.status, 409, "{}", add.text());
        }
        assert_eq!(order_movie_ids(&placed.json::<Value>()), [movie]);
        assert!(app.cart_ids(&token).await.is_empty());
    }
}

#[tokio::test]
async fn a_forced_delete_racing_an_order_leaves_cart_order_and_totals_consistent() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let kept = catalog.movies["Little Women"];
    for round in 0..ROUNDS * 2 {
        let body = serde_json::json!({
            "name": format!("Doomed {round}"), "year": 2001, "time": 90, "imdb": 5.0,
            "votes": 1, "price": "3.33", "description": "Soon gone.",
            "certification_id": catalog.certifications["R"],
        });
        let res = app.create_movie(&catalog.moderator, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let doomed = res.json::<Value>()["id"].as_i64().unwrap();
        let token = app.buyer().await;
        app.fill_cart(&token, &[doomed, kept]).await;
        let path = format!("/api/v1/movies/{doomed}?force=true");
        let (deleted, placed) = tokio::join!(
            app.delete_as(&catalog.moderator, &path),
            app.place_order(&token)
        );
        assert_eq!(deleted.status, 204, "{}", deleted.text());
        assert_eq!(placed.status, 201, "{}", placed.text());
        let id = placed.json::<Value>()["id"].as_i64().unwrap();
        let order: Value = app
            .get_as(&token, &format!("/api/v1/orders/{id}"))
            .await
            .json();
        let movies = order_movie_ids(&order);
        assert_eq!(movies, [kept], "{order}");
        assert_eq!(order["total_amount"], "4.99");
        assert_eq!(order["status"], "pending");
        assert!(app.cart_ids(&token).await.is_empty());
    }
}
