//! E-mail delivery through outages, and the admin view of dead jobs.

use cinema_identity::Role;
use cinema_tests::{TestApp, strong_password};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn registering_while_smtp_is_down_still_delivers_exactly_one_activation_email() {
    let mut app = TestApp::spawn_with_smtp_down(&[]).await;
    assert_eq!(
        app.register("dora@example.com", strong_password())
            .await
            .status,
        201
    );
    let to = "dora@example.com";
    app.wait_for_email_jobs(
        to,
        "failed twice",
        |jobs| matches!(jobs, [(status, attempts)] if status == "pending" && *attempts >= 2),
    )
    .await;
    app.start_smtp().await;
    app.mails_to(to, 1).await;
    // Once the job is recorded done, nothing can send it again.
    app.wait_for_email_jobs(
        to,
        "finished",
        |jobs| matches!(jobs, [(status, _)] if status == "done"),
    )
    .await;
    assert_eq!(app.smtp().messages().len(), 1);
}

#[tokio::test]
async fn an_admin_lists_dead_jobs_and_retries_one() {
    let mut app = TestApp::spawn_with_smtp_down(&[("JOB_MAX_ATTEMPTS", "2")]).await;
    let (_, admin) = app.user_with_role(Role::Admin).await;
    // A notice without a secret: it can be sent again after it died.
    let (eli, tokens) = app.user_with_role(Role::User).await;
    let res = app
        .json(
            Method::POST,
            "/api/v1/accounts/password/change",
            Some(&tokens.access_token),
            json!({"old_password": strong_password(), "new_password": "Another#Pass9"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.wait_for_email_jobs(
        &eli,
        "died",
        |jobs| matches!(jobs, [(status, _)] if status == "dead"),
    )
    .await;
    let page: Value = app
        .get_as(&admin.access_token, "/api/v1/admin/jobs?status=dead")
        .await
        .json();
    assert_eq!(page["total"], 1, "{page}");
    let dead = page["items"][0].clone();
    assert_eq!(dead["kind"], "email");
    assert_eq!(dead["attempts"], 2);
    assert!(!dead["last_error"].as_str().unwrap().is_empty());
    let id = dead["id"].as_i64().unwrap();

    app.start_smtp().await;
    let app = &app;
    let retry = |token: String| {
        let path = format!("/api/v1/admin/jobs/{id}/retry");
        async move { app.json(Method::POST, &path, Some(&token), json!({})).await }
    };
    let res = retry(admin.access_token.clone()).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["status"], "pending");
    app.mails_to(&eli, 1).await;
    retry(admin.access_token.clone()).await.problem(409);
    // The retry is in the audit trail, once: the refused second one changed nothing.
    let trail: Value = app
        .get_as(&admin.access_token, "/api/v1/admin/audit?action=job.retry")
        .await
        .json();
    assert_eq!(trail["total"], 1, "{trail}");
    assert_eq!(trail["items"][0]["object_id"], id.to_string());
    assert_eq!(trail["items"][0]["object_type"], "job");

    // The message is out; the worker records that a moment after the server took it.
    app.wait_for_email_jobs(
        &eli,
        "finished",
        |jobs| matches!(jobs, [(status, _)] if status == "done"),
    )
    .await;
    app.get_as(&admin.access_token, "/api/v1/admin/jobs/999999")
        .await
        .problem(404);
    app.get_as(&admin.access_token, "/api/v1/admin/jobs?status=lost")
        .await
        .problem(422);
}

#[tokio::test]
async fn only_admins_see_jobs() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("fin@example.com").await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    app.get("/api/v1/admin/jobs").await.problem(401);
    app.get_as(&user.access_token, "/api/v1/admin/jobs")
        .await
        .problem(403);
    app.get_as(&moderator.access_token, "/api/v1/admin/jobs")
        .await
        .problem(403);
    app.json(
        Method::POST,
        "/api/v1/admin/jobs/1/retry",
        Some(&user.access_token),
        json!({}),
    )
    .await
    .problem(403);
}

#[tokio::test]
async fn a_one_time_link_leaves_the_jobs_table_once_delivered_or_dead() {
    let mut app = TestApp::spawn_with_smtp_down(&[("JOB_MAX_ATTEMPTS", "2")]).await;
    let (_, admin) = app.user_with_role(Role::Admin).await;
    // Dead: the link is gone, and the job cannot be retried into an empty message.
    app.register("dead@example.com", strong_password()).await;
    app.wait_for_email_jobs(
        "dead@example.com",
        "died",
        |jobs| matches!(jobs, [(status, _)] if status == "dead"),
    )
    .await;
    let dead = app.email_job_rows("dead@example.com").await;
    assert_eq!(dead.len(), 1);
    assert!(!dead[0].payload.contains("token="), "{}", dead[0].payload);
    let problem = app
        .json(
            Method::POST,
            &format!("/api/v1/admin/jobs/{}/retry", dead[0].id),
            Some(&admin.access_token),
            json!({}),
        )
        .await
        .problem(409);
    assert!(problem.detail.contains("new one"), "{}", problem.detail);

    // Delivered: the recipient got the link; the table kept only who and what about.
    app.start_smtp().await;
    app.register("live@example.com", strong_password()).await;
    let mail = &app.mails_to("live@example.com", 1).await[0];
    assert!(mail.data.contains("token="));
    app.wait_for_email_jobs(
        "live@example.com",
        "finished",
        |jobs| matches!(jobs, [(status, _)] if status == "done"),
    )
    .await;
    let done = app.email_job_rows("live@example.com").await;
    assert_eq!(done.len(), 1);
    assert!(!done[0].payload.contains("token="), "{}", done[0].payload);
    assert!(
        done[0].payload.contains("Activate your account"),
        "the subject stays"
    );
}
