//! Engagement used as another Rust service would: no HTTP, only the crates. What a page costs
//! does not grow with its size (no N+1), and a favorites page costs what the catalog's list
//! costs.

#![expect(clippy::unwrap_used, reason = "test code")]

use cinema_kernel::{CommentId, MovieId, UserId};
use std::sync::Arc;

use cinema_catalog::{
    Taxonomy,
    movies::{self, MovieFilter, MovieFilterInput, MovieInput},
};
use cinema_engagement::{Engagement, EngagementConfig};
use cinema_kernel::{Money, page::PageRequest, time::Clock};
use cinema_notify::{JobOutbox, Templates};
use cinema_testkit::{StatementCount, TestDatabase};
use sea_orm::DatabaseConnection;

struct World {
    db: DatabaseConnection,
    clock: Clock,
    engagement: Engagement,
    statements: StatementCount,
    movie: i64,
    _database: TestDatabase,
}

impl World {
    async fn open() -> Self {
        let database = TestDatabase::create().await;
        let mut db = database.connect().await;
        let statements = StatementCount::on(&mut db);
        let clock = Clock::system();
        let media = cinema_testkit::LocalMedia::new(&clock);
        let catalog = cinema_catalog::Catalog::new(db.clone(), media.media.clone(), clock.clone());
        let certification = catalog
            .create_name(Taxonomy::Certifications, "PG")
            .await
            .unwrap();
        let input = MovieInput {
            name: "Heat".into(),
            year: 1995,
            time: 170,
            imdb_tenths: 83,
            votes: 1,
            meta_score: None,
            gross: None,
            description: "A heist.".into(),
            price: Money::from_cents(999).unwrap(),
            certification_id: certification.id,
            genre_ids: vec![],
            director_ids: vec![],
            star_ids: vec![],
        };
        let movie = catalog.create_movie(input).await.unwrap();
        let outbox = Arc::new(JobOutbox::new(
            Templates::new("Cinema").unwrap(),
            clock.clone(),
        ));
        let config = EngagementConfig {
            comment_limit: 1000,
            ..EngagementConfig::default()
        };
        Self {
            engagement: Engagement::new(config, clock.clone(), outbox),
            db,
            clock,
            statements,
            movie: movie.summary.movie.id,
            _database: database,
        }
    }

    async fn user(&self, name: &str) -> i64 {
        cinema_testkit::active_user(&self.db, &self.clock, name)
            .await
            .get()
    }

    /// Statements run by `f`.
    async fn cost<F: std::future::Future<Output = ()>>(&self, f: F) -> usize {
        self.statements.during(f).await.0
    }
}

#[tokio::test]
async fn comment_and_notification_pages_cost_the_same_whatever_their_size() {
    let world = World::open().await;
    let page = PageRequest::new(None, Some(50), 100).unwrap();
    let first = world.user("author0").await;
    let comment = world
        .engagement
        .comment(&world.db, UserId(first), MovieId(world.movie), "first")
        .await
        .unwrap();
    let comments_of_one = world
        .cost(async {
            let found = world
                .engagement
                .comments(&world.db, MovieId(world.movie), page)
                .await
                .unwrap();
            assert_eq!(found.items.len(), 1);
        })
        .await;
    let notifications_of_none = world
        .cost(async {
            world
                .engagement
                .notifications(&world.db, UserId(first), page)
                .await
                .unwrap();
        })
        .await;
    for n in 1..20 {
        let author = world.user(&format!("author{n}")).await;
        let engagement = &world.engagement;
        engagement
            .comment(
                &world.db,
                UserId(author),
                MovieId(world.movie),
                &format!("comment {n}"),
            )
            .await
            .unwrap();
        engagement
            .reply(
                &world.db,
                UserId(author),
                CommentId(comment.comment.id),
                "a reply",
            )
            .await
            .unwrap();
        engagement
            .like_comment(
                &world.db,
                UserId(author),
                CommentId(comment.comment.id),
                true,
            )
            .await
            .unwrap();
    }
    let comments_of_twenty = world
        .cost(async {
            let found = world
                .engagement
                .comments(&world.db, MovieId(world.movie), page)
                .await
                .unwrap();
            assert_eq!(found.items.len(), 20);
            assert_eq!(found.items[19].comment.reply_count, 19);
            assert_eq!(found.items[19].comment.like_count, 19);
        })
        .await;
    assert_eq!(comments_of_one, comments_of_twenty);
    let notifications_of_38 = world
        .cost(async {
            let found = world
                .engagement
                .notifications(&world.db, UserId(first), page)
                .await
                .unwrap();
            assert_eq!(found.page.items.len(), 38);
            assert_eq!(found.unread, 38);
        })
        .await;
    // The empty page skips only the display-name lookup.
    assert!(notifications_of_38 <= notifications_of_none + 2);
}

#[tokio::test]
async fn a_favorites_page_costs_what_the_catalog_list_costs() {
    let world = World::open().await;
    let user = world.user("fan").await;
    let engagement = &world.engagement;
    assert!(
        engagement
            .add_favorite(&world.db, UserId(user), MovieId(world.movie))
            .await
            .unwrap()
    );
    assert!(
        !engagement
            .add_favorite(&world.db, UserId(user), MovieId(world.movie))
            .await
            .unwrap()
    );
    let page = PageRequest::new(None, None, 100).unwrap();
    let filtered = MovieFilter::new(MovieFilterInput {
        year_from: Some(1990),
        ..MovieFilterInput::default()
    })
    .unwrap();
    let list = world
        .cost(async {
            movies::list(&world.db, &filtered, None, page)
                .await
                .unwrap();
        })
        .await;
    let favorites = world
        .cost(async {
            let found = engagement
                .favorites(&world.db, UserId(user), MovieFilter::default(), None, page)
                .await
                .unwrap();
            assert_eq!(found.total, 1);
        })
        .await;
    assert_eq!(list, favorites);
}
