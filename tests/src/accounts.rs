//! Account helpers: sign up through the real e-mail, sign in, create privileged users.

use cinema_identity::{Email, Password, Role, users};
use serde::Deserialize;
use serde_json::json;

use crate::TestApp;

/// A password that meets the policy.
pub fn strong_password() -> &'static str {
    "Secret#123"
}

/// The tokens of a signed-in user.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

impl TestApp {
    pub async fn register(&self, email: &str, password: &str) -> crate::TestResponse {
        self.post(
            "/api/v1/accounts/register/",
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> crate::TestResponse {
        self.post(
            "/api/v1/accounts/login/",
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// Signs in and returns the tokens (asserting 201).
    pub async fn login_ok(&self, email: &str, password: &str) -> Tokens {
        let res = self.login(email, password).await;
        assert_eq!(res.status, 201, "{}", res.text());
        res.json()
    }

    /// The first link in the newest e-mail to `to` whose subject contains `subject`, after
    /// waiting for the `nth` (1-based) such e-mail.
    /// The subjects of the first `n` e-mails delivered to `to` (waiting for them).
    pub async fn subjects_to(&self, to: &str, n: usize) -> Vec<String> {
        self.mails_to(to, n)
            .await
            .iter()
            .filter_map(|m| {
                let parsed = mail_parser::MessageParser::default().parse(m.data.as_bytes())?;
                parsed.subject().map(str::to_owned)
            })
            .collect()
    }

    pub async fn link_in_mail(&self, to: &str, subject: &str, nth: usize) -> url::Url {
        let deadline = tokio::time::Instant::now() + crate::WAIT;
        loop {
            let matching: Vec<_> = self
                .smtp()
                .messages()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == to))
                .filter_map(|m| {
                    let parsed = mail_parser::MessageParser::default().parse(m.data.as_bytes())?;
                    let subj = parsed.subject()?.to_owned();
                    let text = parsed.body_text(0)?.into_owned();
                    subj.contains(subject).then_some(text)
                })
                .collect();
            if matching.len() >= nth {
                let text = &matching[nth - 1];
                let start = text.find("https://").expect("a link in the e-mail");
                let link: String = text[start..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                return url::Url::parse(&link).expect("a valid link");
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no e-mail #{nth} with subject `{subject}` to {to}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Registers, activates with the link from the real e-mail, and signs in.
    pub async fn sign_up(&self, email: &str) -> Tokens {
        let res = self.register(email, strong_password()).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let link = self.link_in_mail(email, "Activate", 1).await;
        let token = query(&link, "token");
        let res = self
            .post("/api/v1/accounts/activate/", json!({"token": token}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        self.login_ok(email, strong_password()).await
    }

    /// An active user with `role`, created the way an operator does (`cinema user create`),
    /// signed in.
    pub async fn user_with_role(&self, role: Role) -> (String, Tokens) {
        let email = format!(
            "{}-{}@example.com",
            role.as_str().to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        users::create(
            self.db(),
            &self.clock,
            &Email::parse(&email).expect("email"),
            &Password::parse(strong_password(), "password").expect("password"),
            role,
            true,
            4,
        )
        .await
        .expect("user created");
        let tokens = self.login_ok(&email, strong_password()).await;
        (email, tokens)
    }
}

/// A query parameter of a link.
pub fn query(link: &url::Url, name: &str) -> String {
    link.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no `{name}` in {link}"))
}
