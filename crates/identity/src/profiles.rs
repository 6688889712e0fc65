//! Profiles: created empty on first read, replaced with PUT, changed key by key with PATCH.

use chrono::NaiveDate;
use cinema_kernel::Fail;
use cinema_kernel::UserId;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::OnConflict,
};

use cinema_kernel::time::Clock;
use cinema_media::{Image, ImageSlot, Media};
use sea_orm::DatabaseConnection;

use crate::{Error, Result, entity::profile};

/// The longest first or last name, in characters.
pub const NAME_MAX: usize = 100;
/// The longest "about me", in characters.
pub const INFO_MAX: usize = 5000;

/// Every editable field; `None` means empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileData {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// About me.
    pub info: Option<String>,
}

/// A partial change: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    /// A new first name, or `Some(None)` to clear it.
    pub first_name: Option<Option<String>>,
    /// A new last name, or `Some(None)` to clear it.
    pub last_name: Option<Option<String>>,
    /// A new gender, or `Some(None)` to clear it.
    pub gender: Option<Option<Gender>>,
    /// A new date of birth, or `Some(None)` to clear it.
    pub date_of_birth: Option<Option<NaiveDate>>,
    /// A new "about me", or `Some(None)` to clear it.
    pub info: Option<Option<String>>,
}

/// A profile's gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Gender {
    /// Man.
    Man,
    /// Woman.
    Woman,
}

impl Gender {
    /// Its name on the wire: `MAN` or `WOMAN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Man => "MAN",
            Gender::Woman => "WOMAN",
        }
    }

    /// The gender named `s` on the wire.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "MAN" => Some(Gender::Man),
            "WOMAN" => Some(Gender::Woman),
            _ => None,
        }
    }
}

/// Checks lengths and that the birth date is in the past; names every bad field.
pub fn validate(clock: &Clock, data: &ProfilePatch) -> Result<()> {
    let mut errors = Vec::new();
    for (field, value) in [
        ("first_name", &data.first_name),
        ("last_name", &data.last_name),
    ] {
        if let Some(Some(v)) = value
            && v.chars().count() > NAME_MAX
        {
            errors.push(cinema_kernel::FieldError::new(
                field,
                format!("must be at most {NAME_MAX} characters"),
            ));
        }
    }
    if let Some(Some(info)) = &data.info
        && info.chars().count() > INFO_MAX
    {
        errors.push(cinema_kernel::FieldError::new(
            "info",
            format!("must be at most {INFO_MAX} characters"),
        ));
    }
    if let Some(Some(born)) = data.date_of_birth
        && born >= clock.today()
    {
        errors.push(cinema_kernel::FieldError::new(
            "date_of_birth",
            "must be a date in the past",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid_fields(errors))
    }
}

impl From<ProfileData> for ProfilePatch {
    fn from(d: ProfileData) -> Self {
        Self {
            first_name: Some(d.first_name),
            last_name: Some(d.last_name),
            gender: Some(d.gender),
            date_of_birth: Some(d.date_of_birth),
            info: Some(d.info),
        }
    }
}

/// The user's profile, created empty if it does not exist yet (safe under concurrent reads).
pub async fn get_or_create<C: ConnectionTrait>(
    db: &C,
    clock: &Clock,
    user_id: UserId,
) -> Result<profile::Model> {
    let user_id = user_id.get();
    if let Some(p) = find(db, user_id).await? {
        return Ok(p);
    }
    create_empty(db, clock.now_ms(), user_id).await?;
    find(db, user_id).await?.ok_or(Error::UserNotFound(user_id))
}

/// Inserts an empty profile unless one exists (a concurrent insert is not an error).
async fn create_empty<C: ConnectionTrait>(db: &C, now: i64, user_id: i64) -> Result<()> {
    profile::Entity::insert(profile::ActiveModel {
        user_id: Set(user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(profile::Column::UserId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

async fn find<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<Option<profile::Model>> {
    Ok(profile::Entity::find()
        .filter(profile::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// Applies a change (a PUT is a patch that sends every field).
pub async fn update<C: ConnectionTrait>(
    db: &C,
    clock: &Clock,
    user_id: UserId,
    patch: ProfilePatch,
) -> Result<profile::Model> {
    let user_id = user_id.get();
    validate(clock, &patch)?;
    let current = get_or_create(db, clock, UserId(user_id)).await?;
    let mut row: profile::ActiveModel = current.into();
    if let Some(v) = patch.first_name {
        row.first_name = Set(v);
    }
    if let Some(v) = patch.last_name {
        row.last_name = Set(v);
    }
    if let Some(v) = patch.gender {
        row.gender = Set(v.map(|g| g.as_str().to_owned()));
    }
    if let Some(v) = patch.date_of_birth {
        row.date_of_birth = Set(v);
    }
    if let Some(v) = patch.info {
        row.info = Set(v);
    }
    row.updated_at = Set(clock.now_ms());
    Ok(profile::Entity::update(row).exec(db).await?)
}

/// Points the profile at an avatar key (or at none) and returns the profile with the key it
/// had before. The row stays locked until the caller's transaction ends, so two uploads at
/// once settle one after the other and each sees the key the other replaced.
pub async fn set_avatar<C: ConnectionTrait>(
    db: &C,
    clock: &Clock,
    user_id: UserId,
    key: Option<&str>,
) -> Result<(profile::Model, Option<String>)> {
    let user_id = user_id.get();
    let locked = || {
        profile::Entity::find()
            .filter(profile::Column::UserId.eq(user_id))
            .lock_exclusive()
            .one(db)
    };
    let current = match locked().await? {
        Some(current) => current,
        None => {
            create_empty(db, clock.now_ms(), user_id).await?;
            locked().await?.ok_or(Error::UserNotFound(user_id))?
        }
    };
    let before = current.avatar.clone();
    let mut row: profile::ActiveModel = current.into();
    row.avatar = Set(key.map(str::to_owned));
    row.updated_at = Set(clock.now_ms());
    Ok((profile::Entity::update(row).exec(db).await?, before))
}

/// A user's avatar, as the media flow sees it.
#[derive(Debug)]
struct AvatarSlot<'a> {
    clock: &'a Clock,
    user_id: i64,
}

#[async_trait::async_trait]
impl ImageSlot for AvatarSlot<'_> {
    type Error = Error;

    fn folder(&self) -> &'static str {
        "avatars"
    }

    async fn point_at(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        key: Option<&str>,
    ) -> Result<Option<String>> {
        Ok(set_avatar(txn, self.clock, UserId(self.user_id), key)
            .await?
            .1)
    }
}

/// Stores `image` as the user's avatar and deletes the one it replaces; returns its key.
pub async fn upload_avatar(
    db: &DatabaseConnection,
    media: &Media,
    clock: &Clock,
    user_id: UserId,
    image: Image,
) -> Result<String> {
    let user_id = user_id.get();
    media
        .replace(db, &AvatarSlot { clock, user_id }, image)
        .await
}

/// Removes the user's avatar; `false` if there was none.
pub async fn remove_avatar(
    db: &DatabaseConnection,
    media: &Media,
    clock: &Clock,
    user_id: UserId,
) -> Result<bool> {
    let user_id = user_id.get();
    media.remove(db, &AvatarSlot { clock, user_id }).await
}
