//! The life of an account, in one place: the states it can be in and who may move it where.
//!
//! ```text
//!   registered ──(the activation link's holder, or an admin)──▶ active
//!   registered ──(admin)──▶ disabled ◀──(admin)── active
//!   disabled ──(admin)──▶ active
//! ```
//!
//! Nothing leads back to `registered`, and only an admin leaves `disabled`: an account an
//! admin disabled cannot be brought back by its owner through activation or its resend.
//! Every move is one guarded `UPDATE`, so a concurrent move cannot be overtaken.

use cinema_kernel::Fail;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::{Error, Result, entity::user};

/// Where an account is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    /// Signed up, never activated.
    Registered,
    /// Activated and not disabled.
    Active,
    /// Disabled by an admin.
    Disabled,
}

/// Who asks for a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// Whoever holds the account's activation link.
    LinkHolder,
    /// An admin.
    Admin,
}

impl AccountState {
    /// The state of `user`.
    pub fn of(user: &user::Model) -> Self {
        if user.disabled_at.is_some() {
            AccountState::Disabled
        } else if user.is_active {
            AccountState::Active
        } else {
            AccountState::Registered
        }
    }

    /// Whether `actor` may move an account from `self` to `to` (staying put is allowed).
    pub fn may_move(self, to: AccountState, actor: Actor) -> bool {
        use AccountState::{Active, Disabled, Registered};
        match (self, to, actor) {
            (from, to, _) if from == to => true,
            (Registered, Active, _) => true,
            (Registered | Active, Disabled, Actor::Admin) => true,
            (Disabled, Active, Actor::Admin) => true,
            _ => false,
        }
    }

    /// The SQL condition "the row is in this state".
    fn condition(self) -> sea_orm::Condition {
        let base = sea_orm::Condition::all();
        match self {
            AccountState::Registered => base
                .add(user::Column::IsActive.eq(false))
                .add(user::Column::DisabledAt.is_null()),
            AccountState::Active => base
                .add(user::Column::IsActive.eq(true))
                .add(user::Column::DisabledAt.is_null()),
            AccountState::Disabled => base.add(user::Column::DisabledAt.is_not_null()),
        }
    }
}

/// Moves the account to `to` if `actor` may; returns the state it was in. A move that is not
/// allowed changes nothing and says why; one overtaken by a concurrent move is a conflict.
pub async fn transition<C: ConnectionTrait>(
    db: &C,
    now: i64,
    user_id: i64,
    to: AccountState,
    actor: Actor,
) -> Result<AccountState> {
    let current = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(Error::UserNotFound(user_id))?;
    let from = AccountState::of(&current);
    if !from.may_move(to, actor) {
        return Err(refusal(from, to));
    }
    if from == to {
        return Ok(from);
    }
    let disabled_at = (to == AccountState::Disabled).then_some(now);
    let moved = user::Entity::update_many()
        .col_expr(
            user::Column::IsActive,
            Expr::value(to == AccountState::Active),
        )
        .col_expr(user::Column::DisabledAt, Expr::value(disabled_at))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        // Still in the state the move was judged from.
        .filter(from.condition())
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        // Someone else moved it meanwhile.
        return Err(Error::conflict(
            "The account changed meanwhile; read it again.".to_owned(),
        ));
    }
    Ok(from)
}

fn refusal(from: AccountState, to: AccountState) -> Error {
    match (from, to) {
        (AccountState::Active, AccountState::Active) => Error::AlreadyActive,
        (AccountState::Disabled, _) => Error::Disabled,
        _ => Error::forbidden("This change of the account's state is not allowed.".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::{AccountState::*, Actor::*};

    #[test]
    fn every_move_is_decided_here() {
        let expected = [
            // (from, to, link holder may, admin may)
            (Registered, Registered, true, true),
            (Registered, Active, true, true),
            (Registered, Disabled, false, true),
            (Active, Registered, false, false),
            (Active, Active, true, true),
            (Active, Disabled, false, true),
            (Disabled, Registered, false, false),
            (Disabled, Active, false, true),
            (Disabled, Disabled, true, true),
        ];
        for (from, to, holder, admin) in expected {
            assert_eq!(
                from.may_move(to, LinkHolder),
                holder,
                "{from:?} → {to:?} by the link"
            );
            assert_eq!(
                from.may_move(to, Admin),
                admin,
                "{from:?} → {to:?} by an admin"
            );
        }
    }
}
