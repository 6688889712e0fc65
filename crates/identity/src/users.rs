//! Loading users, and what admins and operators do with them.

use cinema_kernel::{UserId, audit};
use cinema_kernel::{
    page::{Page, PageRequest},
    time::Clock,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, LockType},
};

use crate::{
    Email, Error, Password, Result, Role, accounts, crypto,
    entity::{account_token, user},
    lifecycle::{self, AccountState, Actor},
    sessions,
};

/// Loads a user by id. To turn a Bearer token into a user, use
/// [`crate::TokenService::authenticate`]: it also checks the session and that the account is
/// active, which loading the user by the token's `sub` alone would skip.
pub async fn find<C: ConnectionTrait>(db: &C, id: UserId) -> Result<Option<user::Model>> {
    let id = id.get();
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// The user's e-mail address, for slices that write to them.
pub async fn email_of<C: ConnectionTrait>(db: &C, id: UserId) -> Result<Option<String>, DbErr> {
    let id = id.get();
    user::Entity::find_by_id(id)
        .select_only()
        .column(user::Column::Email)
        .into_tuple::<String>()
        .one(db)
        .await
}

/// Locks the user's row until the transaction ends, so a slice can serialise one user's
/// changes (PostgreSQL `FOR NO KEY UPDATE`, which does not block foreign-key checks of rows
/// pointing at the user; SQLite's write transactions already run alone). `false`: no such
/// user.
pub async fn lock_in(txn: &DatabaseTransaction, id: UserId) -> Result<bool, DbErr> {
    let id = id.get();
    Ok(user::Entity::find_by_id(id)
        .select_only()
        .column(user::Column::Id)
        .lock(LockType::NoKeyUpdate)
        .into_tuple::<i64>()
        .one(txn)
        .await?
        .is_some())
}

/// Filters of the admin user list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the e-mail, matched literally (`%` and `_` are not wildcards).
    pub email: Option<String>,
    /// Only this role.
    pub role: Option<Role>,
    /// Only active (or inactive) accounts.
    pub is_active: Option<bool>,
}

/// Users matching the filter, by id.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &UserFilter,
    page: PageRequest,
) -> Result<Page<user::Model>> {
    let mut query = user::Entity::find();
    if let Some(part) = filter
        .email
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        query = query.filter(
            Expr::col(user::Column::Email)
                .like(cinema_kernel::db::contains_literally(&part.to_lowercase())),
        );
    }
    if let Some(role) = filter.role {
        query = query.filter(user::Column::GroupId.eq(role.group_id()));
    }
    if let Some(active) = filter.is_active {
        query = query.filter(user::Column::IsActive.eq(active));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_asc(user::Column::Id)
        .offset(page.skip())
        .limit(page.limit())
        .all(db)
        .await?;
    Ok(Page::new(items, total, page))
}

/// An admin's change to a user.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// A new role.
    pub role: Option<Role>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}

/// Changes role and/or activation, recorded in the audit trail as `admin`'s. Deactivation
/// revokes every session. Admins cannot demote or deactivate themselves, so the last admin
/// cannot lock everyone out by accident.
pub async fn update(
    db: &DatabaseConnection,
    clock: &Clock,
    admin: &audit::Actor,
    id: UserId,
    change: &UserUpdate,
) -> Result<user::Model> {
    let acting_admin = admin.user_id.map_or(0, UserId::get);
    let id = id.get();
    if change.role.is_none() && change.is_active.is_none() {
        return Err(Error::BadRequest("Send `group` and/or `is_active`.".into()));
    }
    if id == acting_admin
        && (change.role.is_some_and(|r| r != Role::Admin) || change.is_active == Some(false))
    {
        return Err(Error::BadRequest(
            "You cannot demote or deactivate your own account.".into(),
        ));
    }
    let txn = cinema_kernel::db::begin_write(db).await?;
    let before = find(&txn, UserId(id)).await?;
    let user = update_in(&txn, clock, UserId(id), change).await?;
    if let Some(before) = before {
        audit::record_in(
            &txn,
            Some(admin),
            clock.now_ms(),
            update_entry(&before, &user),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(user)
}

/// What an admin's change of a user did, for the audit trail.
fn update_entry(before: &user::Model, after: &user::Model) -> audit::Entry {
    let role = |m: &user::Model| Role::from_group_id(m.group_id).map_or("?", Role::as_str);
    let mut parts = Vec::new();
    if before.group_id != after.group_id {
        parts.push(audit::change("role", role(before), role(after)));
    }
    if before.is_active != after.is_active {
        parts.push(audit::change("active", before.is_active, after.is_active));
    }
    let action = match (
        before.group_id != after.group_id,
        before.is_active != after.is_active,
    ) {
        (true, false) => "user.role_change",
        (false, true) if after.is_active => "user.activate",
        (false, true) => "user.deactivate",
        _ => "user.update",
    };
    let summary = if parts.is_empty() {
        format!("{}: unchanged", after.email)
    } else {
        format!("{}: {}", after.email, parts.join("; "))
    };
    audit::Entry::new(action, "user", after.id, summary)
}

/// [`update`] inside the caller's transaction (without the acting-admin check).
pub async fn update_in(
    txn: &sea_orm::DatabaseTransaction,
    clock: &Clock,
    id: UserId,
    change: &UserUpdate,
) -> Result<user::Model> {
    let id = id.get();
    let now = clock.now_ms();
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id));
    if let Some(role) = change.role {
        update = update.col_expr(user::Column::GroupId, Expr::value(role.group_id()));
    }
    if update.exec(txn).await?.rows_affected == 0 {
        return Err(Error::UserNotFound(id));
    }
    match change.is_active {
        Some(true) => {
            lifecycle::transition(txn, now, id, AccountState::Active, Actor::Admin).await?;
        }
        Some(false) => {
            lifecycle::transition(txn, now, id, AccountState::Disabled, Actor::Admin).await?;
            sessions::revoke_all(txn, now, id, None).await?;
            crate::devices::forget_all(txn, id).await?;
            // Links sent before are refused on a disabled account anyway; they go, so that
            // nothing live is left.
            account_token::Entity::delete_many()
                .filter(account_token::Column::UserId.eq(id))
                .exec(txn)
                .await?;
        }
        None => {}
    }
    find(txn, UserId(id)).await?.ok_or(Error::UserNotFound(id))
}

/// Creates a user directly (the operator command): no e-mail, the given role and state.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    clock: &Clock,
    email: &Email,
    password: &Password,
    role: Role,
    is_active: bool,
    bcrypt_cost: u32,
) -> Result<user::Model> {
    if accounts::find_by_email(db, email).await?.is_some() {
        return Err(Error::EmailTaken);
    }
    let hash = crypto::hash_password(password, bcrypt_cost).await?;
    accounts::insert_user(db, clock.now_ms(), email, hash, role, is_active).await
}
