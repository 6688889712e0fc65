//! Payment history: a payer's own payments, and all of them for admins, with their items.

use std::collections::HashMap;

use cinema_kernel::page::{Page, PageRequest};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{
    Billing, PaymentStatus, Result,
    entity::{payment, payment_item},
};

/// Which payments to list; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    /// Only this user's payments.
    pub user_id: Option<i64>,
    /// Only payments in this status.
    pub status: Option<PaymentStatus>,
    /// Epoch milliseconds, inclusive.
    pub created_from: Option<i64>,
    /// Epoch milliseconds, exclusive.
    pub created_before: Option<i64>,
}

/// A payment with the movies it paid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    /// The payment.
    pub payment: payment::Model,
    /// The movies it paid for.
    pub items: Vec<payment_item::Model>,
}

impl Billing {
    /// Payments, newest first (ties by id): three queries, whatever the page size.
    pub async fn payments<C: ConnectionTrait>(
        &self,
        db: &C,
        filter: &PaymentFilter,
        page: PageRequest,
    ) -> Result<Page<PaymentView>> {
        let mut condition = Condition::all();
        if let Some(user_id) = filter.user_id {
            condition = condition.add(payment::Column::UserId.eq(user_id));
        }
        if let Some(status) = filter.status {
            condition = condition.add(payment::Column::Status.eq(status.as_str()));
        }
        if let Some(from) = filter.created_from {
            condition = condition.add(payment::Column::CreatedAt.gte(from));
        }
        if let Some(before) = filter.created_before {
            condition = condition.add(payment::Column::CreatedAt.lt(before));
        }
        let total = payment::Entity::find()
            .filter(condition.clone())
            .count(db)
            .await?;
        let payments = payment::Entity::find()
            .filter(condition)
            .order_by_desc(payment::Column::CreatedAt)
            .order_by_desc(payment::Column::Id)
            .offset(page.skip())
            .limit(page.limit())
            .all(db)
            .await?;
        let mut items = items_of(db, payments.iter().map(|p| p.id).collect()).await?;
        let views = payments
            .into_iter()
            .map(|payment| PaymentView {
                items: items.remove(&payment.id).unwrap_or_default(),
                payment,
            })
            .collect();
        Ok(Page::new(views, total, page))
    }

    /// One payment with its items.
    pub(crate) async fn payment_view<C: ConnectionTrait>(
        &self,
        db: &C,
        payment: payment::Model,
    ) -> Result<PaymentView> {
        let items = items_of(db, vec![payment.id])
            .await?
            .remove(&payment.id)
            .unwrap_or_default();
        Ok(PaymentView { payment, items })
    }
}

async fn items_of<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<payment_item::Model>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut by_payment: HashMap<i64, Vec<payment_item::Model>> = HashMap::new();
    for item in payment_item::Entity::find()
        .filter(payment_item::Column::PaymentId.is_in(ids))
        .order_by_asc(payment_item::Column::Id)
        .all(db)
        .await?
    {
        by_payment.entry(item.payment_id).or_default().push(item);
    }
    Ok(by_payment)
}
