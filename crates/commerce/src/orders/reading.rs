//! Reading orders: one (if the viewer may see it) or a filtered page, with their items.

use super::{OrderFilter, OrderView, Viewer, items_of, view_of};
use crate::{Commerce, Error, Result, entity::order};
use cinema_kernel::Fail;
use cinema_kernel::OrderId;
use cinema_kernel::page::{Page, PageRequest};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

impl Commerce {
    /// One order, if `viewer` may see it (someone else's is [`Common::NotFound`](cinema_kernel::Common::NotFound)).
    pub async fn order<C: ConnectionTrait>(
        &self,
        db: &C,
        viewer: Viewer,
        order_id: OrderId,
    ) -> Result<OrderView> {
        let order_id = order_id.get();
        let order = order::Entity::find_by_id(order_id)
            .one(db)
            .await?
            .filter(|o| viewer.may_see(o))
            .ok_or_else(|| Error::not_found(format!("Order {order_id}")))?;
        view_of(db, order).await
    }

    /// Orders, newest first (ties by id), with the exact total: three queries, whatever the
    /// page size.
    pub async fn orders<C: ConnectionTrait>(
        &self,
        db: &C,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<OrderView>> {
        let mut condition = Condition::all();
        if let Some(user_id) = filter.user_id {
            condition = condition.add(order::Column::UserId.eq(user_id));
        }
        if let Some(status) = filter.status {
            condition = condition.add(order::Column::Status.eq(status.as_str()));
        }
        if let Some(from) = filter.created_from {
            condition = condition.add(order::Column::CreatedAt.gte(from));
        }
        if let Some(before) = filter.created_before {
            condition = condition.add(order::Column::CreatedAt.lt(before));
        }
        let total = order::Entity::find()
            .filter(condition.clone())
            .count(db)
            .await?;
        let orders = order::Entity::find()
            .filter(condition)
            .order_by_desc(order::Column::CreatedAt)
            .order_by_desc(order::Column::Id)
            .offset(page.skip())
            .limit(page.limit())
            .all(db)
            .await?;
        let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
        let mut items = items_of(db, &ids).await?;
        let views = orders
            .into_iter()
            .map(|order| OrderView {
                items: items.remove(&order.id).unwrap_or_default(),
                order,
            })
            .collect();
        Ok(Page::new(views, total, page))
    }
}
