//! The access token goes to the Graph API in the `Authorization` header and nowhere
//! else: not into a log line, not into an error value, whatever fails (missing
//! configuration, Meta's errors, broken answers, transport failures, retries, failing
//! consumer actions), and even when whatever answered echoes the token back.

mod outgoing_support;

use host_test::*;
use outgoing_support::*;
use serde_json::json;

/// Asserts that the token is in no log line and in none of `errors` (their `Debug`).
#[track_caller]
fn assert_no_token(h: &Harness, errors: &[String]) {
    for line in h.log_lines() {
        assert!(
            !line.contains(TOKEN),
            "the token leaked into a log line: {line}"
        );
    }
    for error in errors {
        assert!(
            !error.contains(TOKEN),
            "the token leaked into an error: {error}"
        );
    }
}

/// Asserts that requests were made, all with the token as the bearer: the token under
/// test really was in play.
#[track_caller]
fn assert_token_was_sent(h: &Harness) {
    let requests = h.graph_requests();
    assert!(!requests.is_empty());
    for request in requests {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(
            !request.body_text().contains(TOKEN),
            "the token is in a body"
        );
        assert!(!request.url.contains(TOKEN), "the token is in the URL");
    }
}

fn media_message() -> MediaMessage {
    MediaMessage {
        to: ALICE.into(),
        kind: MediaKind::Image,
        source: MediaSource::Id("1183440992862314".into()),
        caption: None,
        filename: None,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn receipt() -> ReadReceipt {
    ReadReceipt {
        message_id: "wamid.IN".into(),
        typing: false,
        phone_number_id: None,
    }
}

/// Sends a text, a media message, a read receipt and a profile request; returns the
/// `Debug` of every error.
async fn send_all(h: &Harness) -> anyhow::Result<Vec<String>> {
    let o = h.outgoing();
    Ok(vec![
        format!(
            "{:?}",
            o.send_text(&text(ALICE, "hi", TextFormat::Markdown))
                .await?
        ),
        format!("{:?}", o.send_media(&media_message()).await?),
        format!("{:?}", o.mark_read(&receipt()).await?),
        format!("{:?}", o.get_self(None).await?),
    ])
}

#[tokio::test(start_paused = true)]
async fn transport_failures_and_their_retries() -> anyhow::Result<()> {
    for answer in [
        GraphResponse::connection_refused(),
        GraphResponse::connection_timeout(),
        GraphResponse::Hang,
        GraphResponse::error(ErrorCode::ConnectionTerminated),
    ] {
        let h = harness().graph(move |_| answer.clone());
        let errors = send_all(&h).await?;
        assert!(errors.iter().all(|e| e.starts_with("Err(")), "{errors:?}");
        assert_token_was_sent(&h);
        assert_no_token(&h, &errors);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_host_error_quoting_the_token_is_redacted() -> anyhow::Result<()> {
    for answer in [
        GraphResponse::error(ErrorCode::InternalError(Some(format!(
            "upstream rejected header Authorization: Bearer {TOKEN}"
        )))),
        GraphResponse::error(ErrorCode::InternalError(Some(format!(
            "token {TOKEN} refused"
        )))),
        GraphResponse::error(ErrorCode::TlsAlertReceived(
            host_test::raw::wasi::http::types::TlsAlertReceivedPayload {
                alert_id: Some(40),
                alert_message: Some(format!("handshake failure for {TOKEN}")),
            },
        )),
    ] {
        let h = harness().graph(move |_| answer.clone());
        let errors = send_all(&h).await?;
        assert!(
            errors.iter().any(|e| e.contains("redacted")),
            "the host's text is kept, redacted: {errors:?}"
        );
        assert_token_was_sent(&h);
        assert_no_token(&h, &errors);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn meta_error_answers() -> anyhow::Result<()> {
    for (name, status) in [
        ("error_190_token_expired.json", 401),
        ("error_131047_reengagement.json", 400),
        ("error_131000_generic.json", 500),
        ("error_131056_pair_rate.json", 400),
    ] {
        let h = harness().graph(move |_| meta_answer(status, name));
        let errors = send_all(&h).await?;
        assert_token_was_sent(&h);
        assert_no_token(&h, &errors);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_error_answer_echoing_the_token_does_not_leak_it() -> anyhow::Result<()> {
    // The Graph API quotes a malformed token in its message; a proxy may echo the
    // request's headers in an error page.
    let echo = move |req: &GraphRequest| {
        let auth = req.header("authorization").unwrap_or_default().to_owned();
        if req.index.is_multiple_of(2) {
            GraphResponse::json(
                400,
                json!({"error": {
                    "message": format!("Malformed access token {TOKEN}"),
                    "type": "OAuthException",
                    "code": 190,
                    "error_data": {"details": format!("token={TOKEN}")},
                    "fbtrace_id": "AeChoTrace"
                }}),
            )
        } else {
            GraphResponse::text(502, &format!("Bad gateway. Request headers: {auth}"))
        }
    };
    let h = harness().graph(echo);
    let mut errors = send_all(&h).await?;
    errors.extend(send_all(&h).await?);
    assert!(
        errors.iter().any(|e| e.contains("Malformed access token")),
        "Meta's message is kept: {errors:?}"
    );
    assert_token_was_sent(&h);
    assert_no_token(&h, &errors);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn missing_configuration_and_invalid_requests() -> anyhow::Result<()> {
    let unconfigured = harness().without_env("WHATSAPP_PHONE_NUMBER_ID");
    let mut errors = send_all(&unconfigured).await?;
    assert!(
        errors
            .iter()
            .all(|e| e.contains("WHATSAPP_PHONE_NUMBER_ID")),
        "{errors:?}"
    );
    let h = harness();
    let too_long = MediaMessage {
        caption: Some("c".repeat(2000)),
        ..media_message()
    };
    errors.push(format!("{:?}", h.outgoing().send_media(&too_long).await?));
    errors.push(format!(
        "{:?}",
        h.outgoing()
            .send_text(&text(ALICE, " ", TextFormat::Raw))
            .await?
    ));
    assert!(h.graph_requests().is_empty() && unconfigured.graph_requests().is_empty());
    assert_no_token(&unconfigured, &errors);
    assert_no_token(&h, &errors);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn failing_consumer_actions_log_no_token() -> anyhow::Result<()> {
    let h = harness()
        .env("WHATSAPP_APP_SECRET", "test-app-secret")
        .on_message(|_| {
            vec![
                Action::Reply(Reply {
                    body: "first".into(),
                    quote: true,
                    format: TextFormat::Markdown,
                    preview_url: false,
                    biz_opaque_callback_data: None,
                }),
                Action::React("👍".into()),
                Action::SendMedia(MediaMessage {
                    to: String::new(),
                    kind: MediaKind::Image,
                    source: MediaSource::Id("1".into()),
                    caption: None,
                    filename: None,
                    reply_to: None,
                    phone_number_id: None,
                    biz_opaque_callback_data: None,
                }),
            ]
        })
        .graph(|req| match req.index {
            // The read receipt and the reply: Meta echoes the token.
            0 | 1 => GraphResponse::json(
                400,
                json!({"error": {
                    "message": format!("Malformed access token {TOKEN}"),
                    "type": "OAuthException",
                    "code": 190,
                    "fbtrace_id": "AeChoTrace"
                }}),
            ),
            // The reaction: the connection drops.
            2 => GraphResponse::error(ErrorCode::InternalError(Some(format!("Bearer {TOKEN}")))),
            _ => GraphResponse::connection_refused(),
        });
    let body = fixture_bytes("webhook", "text.json");
    let r = h
        .request(HttpRequest::signed_post("/", b"test-app-secret", &body))
        .await?;
    assert_eq!(r.status, 200);
    assert_eq!(h.messages().len(), 1);
    assert!(h.graph_requests().len() >= 4, "{}", h.logs());
    assert!(h.logs().contains("failed"), "{}", h.logs());
    assert_token_was_sent(&h);
    assert_no_token(&h, &[]);
    Ok(())
}
