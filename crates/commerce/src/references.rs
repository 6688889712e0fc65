//! The catalog's delete rule, as commerce sees it: a movie anyone owns stays; one in carts or
//! pending orders goes only when forced, and leaves those carts and orders with it.

use cinema_kernel::{Common, Fail};
use std::collections::BTreeSet;

use cinema_catalog::MovieReferences;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, LockType, Query},
};

use crate::{
    Commerce, OrderStatus, Result, Trigger,
    entity::{hold, order, order_item, ownership},
    status::transition,
};

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Commerce {
    /// Pending orders holding the movie, locked (a payment racing the deletion waits, and an
    /// order paid meanwhile is no longer pending here).
    async fn pending_orders_with(
        &self,
        txn: &DatabaseTransaction,
        movie_id: i64,
    ) -> Result<Vec<i64>> {
        Ok(order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .filter(order::Column::Status.eq(OrderStatus::Pending.as_str()))
            .filter(
                order::Column::Id.in_subquery(
                    Query::select()
                        .column(order_item::Column::OrderId)
                        .from(order_item::Entity)
                        .and_where(Expr::col(order_item::Column::MovieId).eq(movie_id))
                        .to_owned(),
                ),
            )
            .lock(LockType::Update)
            .into_tuple::<i64>()
            .all(txn)
            .await?)
    }

    async fn check_references(
        &self,
        txn: &DatabaseTransaction,
        movie_id: i64,
        force: bool,
    ) -> Result<std::result::Result<(), String>> {
        let pending = self.pending_orders_with(txn, movie_id).await?;
        let owners = ownership::Entity::find()
            .filter(ownership::Column::MovieId.eq(movie_id))
            .count(txn)
            .await?;
        if owners > 0 {
            return Ok(Err(format!(
                "Movie {movie_id} has been bought by {}; a bought movie cannot be deleted.",
                plural(owners, "user", "users")
            )));
        }
        let carts = hold::Entity::find()
            .filter(hold::Column::MovieId.eq(movie_id))
            .filter(hold::Column::Kind.eq(hold::CART))
            .count(txn)
            .await?;
        if carts == 0 && pending.is_empty() {
            return Ok(Ok(()));
        }
        if !force {
            return Ok(Err(format!(
                "Movie {movie_id} is in {} and {}; delete with `force=true` to remove it from them.",
                plural(carts, "cart", "carts"),
                plural(pending.len() as u64, "pending order", "pending orders"),
            )));
        }
        self.release(txn, movie_id, &pending).await?;
        Ok(Ok(()))
    }

    /// Takes the movie out of every cart and of these pending orders, with their totals
    /// recomputed; an order left empty is canceled.
    async fn release(
        &self,
        txn: &DatabaseTransaction,
        movie_id: i64,
        pending: &[i64],
    ) -> Result<()> {
        // The cart's holds and the pending orders' (the owned ones cannot exist: an owned movie
        // is not deleted).
        hold::Entity::delete_many()
            .filter(hold::Column::MovieId.eq(movie_id))
            .filter(hold::Column::Kind.ne(hold::OWNED))
            .exec(txn)
            .await?;
        if pending.is_empty() {
            return Ok(());
        }
        let now = self.now();
        order_item::Entity::delete_many()
            .filter(order_item::Column::MovieId.eq(movie_id))
            .filter(order_item::Column::OrderId.is_in(pending.iter().copied()))
            .exec(txn)
            .await?;
        let item_total = Query::select()
            .expr(Func::coalesce([
                Func::sum(Expr::col((
                    order_item::Entity,
                    order_item::Column::PriceCents,
                )))
                .into(),
                Expr::val(0i64),
            ]))
            .from(order_item::Entity)
            .and_where(
                Expr::col((order_item::Entity, order_item::Column::OrderId))
                    .equals((order::Entity, order::Column::Id)),
            )
            .to_owned();
        order::Entity::update_many()
            .col_expr(
                order::Column::TotalCents,
                Expr::SubQuery(None, Box::new(item_total.into())),
            )
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.is_in(pending.iter().copied()))
            .exec(txn)
            .await?;
        transition(OrderStatus::Pending, OrderStatus::Canceled, Trigger::Cancel)?;
        let still_holding: BTreeSet<i64> = order_item::Entity::find()
            .select_only()
            .column(order_item::Column::OrderId)
            .filter(order_item::Column::OrderId.is_in(pending.iter().copied()))
            .into_tuple::<i64>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        let emptied: Vec<i64> = pending
            .iter()
            .copied()
            .filter(|id| !still_holding.contains(id))
            .collect();
        if !emptied.is_empty() {
            order::Entity::update_many()
                .col_expr(
                    order::Column::Status,
                    Expr::value(OrderStatus::Canceled.as_str()),
                )
                .filter(order::Column::Id.is_in(emptied))
                .filter(order::Column::Status.eq(OrderStatus::Pending.as_str()))
                .exec(txn)
                .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl MovieReferences for Commerce {
    async fn before_delete(
        &self,
        txn: &DatabaseTransaction,
        movie_id: i64,
        force: bool,
    ) -> cinema_catalog::Result<()> {
        match self.check_references(txn, movie_id, force).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(conflict)) => Err(cinema_catalog::Error::conflict(conflict)),
            Err(crate::Error::Common(Common::Database(e))) => Err(e.into()),
            Err(other) => Err(cinema_catalog::Error::conflict(other.to_string())),
        }
    }
}
