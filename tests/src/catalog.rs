//! Catalog fixtures, created through the API as a moderator.

use std::collections::HashMap;

use cinema_identity::Role;
use serde_json::{Value, json};

use crate::TestApp;

/// A small catalog with known answers to every filter.
#[derive(Debug)]
pub struct Catalog {
    pub moderator: String,
    pub genres: HashMap<&'static str, i64>,
    pub certifications: HashMap<&'static str, i64>,
    pub directors: HashMap<&'static str, i64>,
    pub stars: HashMap<&'static str, i64>,
    pub movies: HashMap<&'static str, i64>,
}

impl TestApp {
    /// Creates a taxonomy entry as `token`, returning its id.
    pub async fn create_named(&self, token: &str, resource: &str, name: &str) -> i64 {
        let res = self
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/{resource}/"),
                Some(token),
                json!({"name": name}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        res.json::<Value>()["id"].as_i64().expect("an id")
    }

    /// Creates a movie as `token`, returning the response.
    pub async fn create_movie(&self, token: &str, body: Value) -> crate::TestResponse {
        self.json(reqwest::Method::POST, "/api/v1/movies/", Some(token), body)
            .await
    }

    /// Five movies over three genres, two certifications, two directors and three stars.
    pub async fn catalog(&self) -> Catalog {
        let (_, moderator) = self.user_with_role(Role::Moderator).await;
        let token = moderator.access_token;
        let mut genres = HashMap::new();
        for name in ["Drama", "Sci-Fi", "Comedy"] {
            genres.insert(name, self.create_named(&token, "genres", name).await);
        }
        let mut certifications = HashMap::new();
        for name in ["PG-13", "R"] {
            certifications.insert(
                name,
                self.create_named(&token, "certifications", name).await,
            );
        }
        let mut directors = HashMap::new();
        for name in ["Christopher Nolan", "Greta Gerwig"] {
            directors.insert(name, self.create_named(&token, "directors", name).await);
        }
        let mut stars = HashMap::new();
        for name in ["Leonardo DiCaprio", "Saoirse Ronan", "Matthew McConaughey"] {
            stars.insert(name, self.create_named(&token, "stars", name).await);
        }
        let specs = [
            (
                "Inception",
                2010,
                148,
                8.8,
                2_400_000,
                Some(74),
                "9.99",
                "PG-13",
                vec!["Sci-Fi", "Drama"],
                vec!["Christopher Nolan"],
                vec!["Leonardo DiCaprio"],
                "A thief who steals corporate secrets through dream-sharing technology.",
            ),
            (
                "Interstellar",
                2014,
                169,
                8.7,
                2_000_000,
                None,
                "12.50",
                "PG-13",
                vec!["Sci-Fi"],
                vec!["Christopher Nolan"],
                vec!["Matthew McConaughey"],
                "Explorers travel through a wormhole near Saturn.",
            ),
            (
                "Lady Bird",
                2017,
                94,
                7.4,
                300_000,
                Some(94),
                "0",
                "R",
                vec!["Comedy", "Drama"],
                vec!["Greta Gerwig"],
                vec!["Saoirse Ronan"],
                "A teenager in Sacramento and her haunted lighthouse of a mother.",
            ),
            (
                "Little Women",
                2019,
                135,
                7.8,
                250_000,
                Some(91),
                "4.99",
                "PG-13",
                vec!["Drama"],
                vec!["Greta Gerwig"],
                vec!["Saoirse Ronan"],
                "Four sisters come of age in 100% Massachusetts.",
            ),
            (
                "Zero Dark",
                2012,
                100,
                0.0,
                0,
                None,
                "1.99",
                "R",
                vec![],
                vec![],
                vec![],
                "An unrated film about nothing at all.",
            ),
        ];
        let mut movies = HashMap::new();
        for (name, year, time, imdb, votes, meta, price, cert, g, d, s, description) in specs {
            let body = json!({
                "name": name, "year": year, "time": time, "imdb": imdb, "votes": votes,
                "meta_score": meta, "price": price, "description": description,
                "certification_id": certifications[cert],
                "genre_ids": g.iter().map(|n| genres[n]).collect::<Vec<_>>(),
                "director_ids": d.iter().map(|n| directors[n]).collect::<Vec<_>>(),
                "star_ids": s.iter().map(|n| stars[n]).collect::<Vec<_>>(),
            });
            let res = self.create_movie(&token, body).await;
            assert_eq!(res.status, 201, "{}", res.text());
            movies.insert(name, res.json::<Value>()["id"].as_i64().expect("an id"));
        }
        Catalog {
            moderator: token,
            genres,
            certifications,
            directors,
            stars,
            movies,
        }
    }

    /// The names of a movie page, in order, and its total.
    pub async fn movie_names(&self, path: &str) -> (Vec<String>, u64) {
        let res = self.get(path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        let page: Value = res.json();
        let names = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|m| m["name"].as_str().expect("a name").to_owned())
            .collect();
        (names, page["total"].as_u64().expect("a total"))
    }
}
