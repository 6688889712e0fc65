//! Loading users, and what admins and operators do with them.

use cinema_kernel::page::{Page, PageRequest};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    Email, Error, Password, Result, Role, accounts, crypto, entity::user, now_ms, sessions,
};

/// Loads a user by id.
///
/// With [`crate::TokenService`] this is all another service needs to turn a Cinema access
/// token into a user, without actix:
///
/// ```
/// use std::time::Duration;
/// use cinema_identity::{Email, Password, Role, TokenService, users};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let database = cinema_testkit::TestDatabase::create().await;
/// # let db = database.connect().await;
/// # let ann = users::create(&db, &Email::parse("ann@example.com")?,
/// #     &Password::parse("Secret#123", "password")?, Role::User, true, 4).await?;
/// let tokens = TokenService::new(&"the-same-JWT_SECRET-as-the-API-uses".to_owned().into(), Duration::from_secs(900));
/// # let bearer = tokens.issue(ann.id, 1)?;
/// let claims = tokens.verify(&bearer)?;
/// let user = users::find(&db, claims.user_id()?).await?.expect("the user exists");
/// assert_eq!(user.email, "ann@example.com");
/// # Ok(())
/// # }
/// ```
///
/// (A service that must also honour sign-outs checks the session `claims.sid` the way
/// [`crate::Identity::authenticate`] does.)
pub async fn find<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// Filters of the admin user list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the e-mail, matched literally (`%` and `_` are not wildcards).
    pub email: Option<String>,
    pub role: Option<Role>,
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
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// Changes role and/or activation. Deactivation revokes every session. Admins cannot demote
/// or deactivate themselves, so the last admin cannot lock everyone out by accident.
pub async fn update(
    db: &DatabaseConnection,
    acting_admin: i64,
    id: i64,
    change: &UserUpdate,
) -> Result<user::Model> {
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
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::value(now_ms()))
        .filter(user::Column::Id.eq(id));
    if let Some(role) = change.role {
        update = update.col_expr(user::Column::GroupId, Expr::value(role.group_id()));
    }
    if let Some(active) = change.is_active {
        update = update.col_expr(user::Column::IsActive, Expr::value(active));
    }
    if update.exec(&txn).await?.rows_affected == 0 {
        return Err(Error::UserNotFound(id));
    }
    if change.is_active == Some(false) {
        sessions::revoke_all(&txn, id, None).await?;
    }
    let user = find(&txn, id).await?.ok_or(Error::UserNotFound(id))?;
    txn.commit().await?;
    Ok(user)
}

/// Creates a user directly (the operator command): no e-mail, the given role and state.
pub async fn create<C: ConnectionTrait>(
    db: &C,
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
    accounts::insert_user(db, email, hash, role, is_active).await
}
