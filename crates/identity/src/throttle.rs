//! Abuse limits, counted in the database (`cinema_kernel::limits`) so that every instance
//! shares them.
//!
//! Sign-in: brute force must be impossible without handing attackers a button that locks the
//! owner out. So failures are counted three ways:
//! - per (account, client address): a hard limit — that address is refused for that account
//!   until the window ends;
//! - per client address, across accounts: a hard limit — one address cannot spray many accounts;
//! - per account, across addresses: no refusal, only a slowdown — past the threshold each
//!   attempt must wait twice as long after the previous failure as the one before, up to a
//!   cap. The owner, from anywhere, waits at most the cap; an attacker with many addresses
//!   gets one guess per cap per account (120 an hour at 30 s).
//!
//! Mail: password-reset requests, activation resends and registrations each count per
//! recipient and per client address, whether or not the account exists, so the answer (202,
//! or 429 with `Retry-After`) says nothing about accounts. Wrong old passwords on a password
//! change count per account.

use std::time::Duration;

use cinema_kernel::limits::{self, Window};
use sea_orm::ConnectionTrait;

use crate::{Error, Result};

/// Sign-in limits.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Failures allowed per (account, client address) in a window.
    pub max_failures_per_account: u32,
    /// Failures allowed per client address, across accounts, in a window.
    pub max_failures_per_address: u32,
    /// The counting window of sign-in failures.
    pub window: Duration,
    /// The longest an account's owner waits between attempts once the account is under attack.
    pub max_delay: Duration,
    /// How long a known-device token lives (`DEVICE_TOKEN_TTL_DAYS`); see `devices`.
    pub device_token_ttl: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            window: Duration::from_secs(15 * 60),
            max_delay: Duration::from_secs(30),
            device_token_ttl: Duration::from_secs(365 * 86_400),
        }
    }
}

/// Limits on what sends e-mail or guesses a password.
#[derive(Debug, Clone)]
pub struct AbuseLimits {
    /// The counting window.
    pub window: Duration,
    /// E-mails (resets, resends, registrations) one address may be sent per window.
    pub mails_per_recipient: u32,
    /// Such requests one client address may make per window.
    pub mails_per_client: u32,
    /// Registrations one client address may make per window.
    pub registrations_per_client: u32,
    /// Wrong old passwords per account per window on a password change.
    pub password_change_failures: u32,
}

impl Default for AbuseLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(3600),
            mails_per_recipient: 5,
            mails_per_client: 20,
            registrations_per_client: 10,
            password_change_failures: 5,
        }
    }
}

/// What a request asks for, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailRequest {
    /// A password-reset request.
    PasswordReset,
    /// An activation resend.
    ActivationResend,
    /// A sign-up.
    Registration,
}

/// Which limit refused a request: each has its own sentence and problem `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Failed sign-ins (per account and address, per address, or the account's slowdown).
    SignIn,
    /// Sign-ups per recipient or per client network.
    Registration,
    /// Password-reset requests per recipient or per client network.
    PasswordReset,
    /// Activation resends per recipient or per client network.
    ActivationResend,
    /// Wrong current passwords on a password change, per account.
    PasswordChange,
}

impl Limit {
    /// What the client is told, with how long to wait.
    pub fn sentence(self, retry_after_secs: u64) -> String {
        let what = match self {
            Limit::SignIn => "Too many failed sign-in attempts",
            Limit::Registration => "Too many sign-ups from your network or for this e-mail address",
            Limit::PasswordReset => {
                "Too many password-reset requests from your network or for this e-mail address"
            }
            Limit::ActivationResend => {
                "Too many activation e-mails requested from your network or for this e-mail address"
            }
            Limit::PasswordChange => "Too many wrong current passwords for this account",
        };
        format!("{what}; try again in {retry_after_secs} seconds.")
    }

    /// The problem `type` of its 429.
    pub fn problem_type(self) -> &'static str {
        match self {
            Limit::SignIn => "urn:cinema:problem:rate-limited:sign-in",
            Limit::Registration => "urn:cinema:problem:rate-limited:registration",
            Limit::PasswordReset => "urn:cinema:problem:rate-limited:password-reset",
            Limit::ActivationResend => "urn:cinema:problem:rate-limited:activation-resend",
            Limit::PasswordChange => "urn:cinema:problem:rate-limited:password-change",
        }
    }
}

impl From<MailRequest> for Limit {
    fn from(kind: MailRequest) -> Self {
        match kind {
            MailRequest::PasswordReset => Limit::PasswordReset,
            MailRequest::ActivationResend => Limit::ActivationResend,
            MailRequest::Registration => Limit::Registration,
        }
    }
}

fn throttled(limit: Limit, window: &Window, now: i64) -> Error {
    Error::Throttled {
        limit,
        retry_after_secs: window.retry_after_secs(now),
    }
}

fn address_key(address: Option<&str>) -> &str {
    address.unwrap_or("unknown")
}

fn pair_key(account: &str, address: Option<&str>) -> String {
    format!("login-pair:{account}|{}", address_key(address))
}

/// The counters of one service.
#[derive(Debug, Clone)]
pub struct Throttle {
    login: ThrottleConfig,
    abuse: AbuseLimits,
}

impl Throttle {
    pub fn new(login: ThrottleConfig, abuse: AbuseLimits) -> Self {
        Self { login, abuse }
    }

    /// Refuses a sign-in attempt while its pair or address is over the limit, or while the
    /// account's slowdown has not passed.
    pub async fn check_login<C: ConnectionTrait>(
        &self,
        db: &C,
        now: i64,
        account: &str,
        address: Option<&str>,
    ) -> Result<()> {
        let c = &self.login;
        let pair = pair_key(account, address);
        if let Some(w) = limits::peek(db, &pair, c.window, now).await?
            && w.hits >= c.max_failures_per_account
        {
            return Err(throttled(Limit::SignIn, &w, now));
        }
        if let Some(address) = address {
            let key = format!("login-address:{address}");
            if let Some(w) = limits::peek(db, &key, c.window, now).await?
                && w.hits >= c.max_failures_per_address
            {
                return Err(throttled(Limit::SignIn, &w, now));
            }
        }
        let key = format!("login-account:{account}");
        if let Some(w) = limits::peek(db, &key, c.window, now).await?
            && w.hits >= c.max_failures_per_account
        {
            let doublings = (w.hits - c.max_failures_per_account).min(16);
            let delay = Duration::from_secs(1u64 << doublings).min(c.max_delay);
            let ready_at = w.last_hit_at + cinema_kernel::time::millis(delay);
            if now < ready_at {
                return Err(Error::Throttled {
                    limit: Limit::SignIn,
                    retry_after_secs: u64::try_from((ready_at - now + 999) / 1000)
                        .unwrap_or(1)
                        .max(1),
                });
            }
        }
        Ok(())
    }

    /// Counts a failed sign-in.
    pub async fn login_failed<C: ConnectionTrait>(
        &self,
        db: &C,
        now: i64,
        account: &str,
        address: Option<&str>,
    ) -> Result<()> {
        let window = self.login.window;
        limits::hit(db, &pair_key(account, address), window, now).await?;
        limits::hit(db, &format!("login-account:{account}"), window, now).await?;
        if let Some(address) = address {
            limits::hit(db, &format!("login-address:{address}"), window, now).await?;
        }
        Ok(())
    }

    /// A successful sign-in proves the owner: the account's counters start again.
    pub async fn login_succeeded<C: ConnectionTrait>(
        &self,
        db: &C,
        account: &str,
        address: Option<&str>,
    ) -> Result<()> {
        limits::clear(
            db,
            &format!("login-pair:{account}|{}", address_key(address)),
        )
        .await?;
        limits::clear(db, &format!("login-account:{account}")).await?;
        Ok(())
    }

    /// Counts a request that may send `recipient` an e-mail, from `address`; refuses it past
    /// a limit. Counted before anything is looked up, so existing and unknown accounts get
    /// the same answers.
    pub async fn mail_request<C: ConnectionTrait>(
        &self,
        db: &C,
        now: i64,
        kind: MailRequest,
        recipient: &str,
        address: Option<&str>,
    ) -> Result<()> {
        let a = &self.abuse;
        let mut over = Vec::new();
        let to = limits::hit(db, &format!("mail-to:{recipient}"), a.window, now).await?;
        if to.hits > a.mails_per_recipient {
            over.push(to);
        }
        let address = address_key(address);
        let from = limits::hit(db, &format!("mail-from:{address}"), a.window, now).await?;
        if from.hits > a.mails_per_client {
            over.push(from);
        }
        if kind == MailRequest::Registration {
            let key = format!("register-from:{address}");
            let w = limits::hit(db, &key, a.window, now).await?;
            if w.hits > a.registrations_per_client {
                over.push(w);
            }
        }
        match over.into_iter().max_by_key(|w| w.ends_at) {
            Some(w) => Err(throttled(kind.into(), &w, now)),
            None => Ok(()),
        }
    }

    /// Refuses a password change while the account is over its wrong-old-password limit.
    pub async fn check_password_change<C: ConnectionTrait>(
        &self,
        db: &C,
        now: i64,
        user_id: i64,
    ) -> Result<()> {
        let key = format!("password-change:{user_id}");
        match limits::peek(db, &key, self.abuse.window, now).await? {
            Some(w) if w.hits >= self.abuse.password_change_failures => {
                Err(throttled(Limit::PasswordChange, &w, now))
            }
            _ => Ok(()),
        }
    }

    /// Counts a wrong old password.
    pub async fn password_change_failed<C: ConnectionTrait>(
        &self,
        db: &C,
        now: i64,
        user_id: i64,
    ) -> Result<()> {
        let key = format!("password-change:{user_id}");
        limits::hit(db, &key, self.abuse.window, now).await?;
        Ok(())
    }
}
