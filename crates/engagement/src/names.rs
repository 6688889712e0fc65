//! How people appear next to what they wrote: their profile's name, or the part of their
//! e-mail before the `@` (never the whole address).

use std::collections::HashMap;

use cinema_identity::entity::{profile, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::Result;

/// The display names of these users, in two queries whatever their number.
pub(crate) async fn display_names<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let emails: Vec<(i64, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Email])
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let profiles: HashMap<i64, (Option<String>, Option<String>)> = profile::Entity::find()
        .select_only()
        .columns([
            profile::Column::UserId,
            profile::Column::FirstName,
            profile::Column::LastName,
        ])
        .filter(profile::Column::UserId.is_in(ids.iter().copied()))
        .into_tuple::<(i64, Option<String>, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, first, last)| (id, (first, last)))
        .collect();
    Ok(emails
        .into_iter()
        .map(|(id, email)| {
            let named = profiles.get(&id).map(|(first, last)| {
                [first.as_deref(), last.as_deref()]
                    .into_iter()
                    .flatten()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            let name = match named {
                Some(name) if !name.is_empty() => name,
                _ => email.split('@').next().unwrap_or_default().to_owned(),
            };
            (id, name)
        })
        .collect())
}
