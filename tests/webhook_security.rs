//! The webhook's gate: the GET handshake, signatures over the raw bytes, body limits,
//! methods, the health check, and missing configuration. Nothing here may trap.

mod common;

use common::*;
use host_test::*;

/// Every request the harness ran finished without a trap.
fn no_traps(h: &Harness) {
    for event in h.events() {
        if let EventKind::Finished { ok } = event.kind {
            assert!(ok, "a request trapped:\n{}", h.logs());
        }
    }
}

fn nothing_dispatched(h: &Harness) {
    assert!(h.messages().is_empty(), "{:?}", h.messages());
    assert!(h.statuses().is_empty());
    assert!(h.updates().is_empty(), "{:?}", h.updates());
    assert!(h.graph_requests().is_empty());
}

// ------------------------------------------------------------------------------ handshake

#[tokio::test]
async fn the_handshake_echoes_the_challenge_exactly_for_the_right_token() {
    let h = harness();
    let r = h
        .get(&format!(
            "/?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
        ))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"1158201444");
}

#[tokio::test]
async fn percent_encoded_handshake_values_are_decoded() {
    let h = harness().env("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "a b&c");
    let r = h
        .get("/webhook?hub.mode=subscribe&hub.verify_token=a+b%26c&hub.challenge=x%3Dy")
        .await
        .unwrap();
    assert_eq!((r.status, r.text()), (200, "x=y".to_string()));
}

#[tokio::test]
async fn the_handshake_is_refused_with_403_otherwise() {
    let h = harness();
    let refused = [
        "/?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1".to_string(),
        format!("/?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}x&hub.challenge=1"),
        format!("/?hub.mode=unsubscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"),
        format!("/?hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"),
        format!("/?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}"),
        format!("/?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge="),
        "/".to_string(),
        "/?%ff%fe=%".to_string(),
    ];
    for path in refused {
        let r = h.get(&path).await.unwrap();
        assert_eq!(r.status, 403, "{path}");
        assert_ne!(r.text(), "1");
    }
    assert!(h.logs().contains("handshake rejected (403)"));
    assert!(
        !h.logs().contains(VERIFY_TOKEN),
        "the token must not be logged"
    );
    no_traps(&h);
}

#[tokio::test]
async fn without_a_configured_token_nothing_ever_verifies() {
    let h = harness().without_env("WHATSAPP_WEBHOOK_VERIFY_TOKEN");
    for token in ["", "anything"] {
        let r = h
            .get(&format!(
                "/?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=c"
            ))
            .await
            .unwrap();
        assert_eq!(r.status, 403);
    }
    assert!(h
        .logs()
        .contains("WHATSAPP_WEBHOOK_VERIFY_TOKEN is not set"));
    let h = harness().env("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "");
    let r = h
        .get("/?hub.mode=subscribe&hub.verify_token=&hub.challenge=c")
        .await
        .unwrap();
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn the_verify_token_alias_is_accepted() {
    let h = harness()
        .without_env("WHATSAPP_WEBHOOK_VERIFY_TOKEN")
        .env("WHATSAPP_VERIFY_TOKEN", "alias-token");
    let r = h
        .get("/?hub.mode=subscribe&hub.verify_token=alias-token&hub.challenge=42")
        .await
        .unwrap();
    assert_eq!((r.status, r.text()), (200, "42".to_string()));
}

// ----------------------------------------------------------------------------- signatures

#[tokio::test]
async fn a_correct_signature_is_accepted() {
    let h = harness();
    let r = h.request(signed(&fixture("text.json"))).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(h.messages().len(), 1);
}

#[tokio::test]
async fn wrong_and_missing_signatures_are_refused_with_401_and_nothing_dispatched() {
    let h = harness();
    let body = fixture("text.json");
    let cases: Vec<HttpRequest> = vec![
        HttpRequest::post("/", &[], &body),
        HttpRequest::signed_post("/", b"another-secret", &body),
        HttpRequest::post(
            "/",
            &[("x-hub-signature-256", &sign(SECRET.as_bytes(), b"{}"))],
            &body,
        ),
    ];
    for request in cases {
        let r = h.request(request).await.unwrap();
        assert_eq!(r.status, 401, "{}", h.logs());
    }
    nothing_dispatched(&h);
    assert!(h.logs().contains("missing X-Hub-Signature-256 header"));
    assert!(h.logs().contains("does not match the body"));
    no_traps(&h);
}

#[tokio::test]
async fn malformed_signature_headers_are_refused_the_same_way_never_a_trap() {
    let h = harness();
    let body = fixture("text.json");
    let good = sign(SECRET.as_bytes(), &body);
    let hex = good.trim_start_matches("sha256=");
    let headers: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"sha256=".to_vec(),
        hex.as_bytes().to_vec(),
        format!("sha1={hex}").into_bytes(),
        format!("sha256={}", &hex[..63]).into_bytes(),
        format!("sha256={}zz", &hex[..62]).into_bytes(),
        format!("sha256={hex}00").into_bytes(),
        [b"sha256=".as_slice(), &hex.as_bytes()[..62], "é".as_bytes()].concat(),
        [b"sha256=".as_slice(), &[0xff; 64]].concat(),
    ];
    for header in headers {
        let request = HttpRequest::post("/", &[], &body).raw_header("x-hub-signature-256", &header);
        let r = h.request(request).await.unwrap();
        assert_eq!(
            r.status,
            401,
            "header {:?}",
            String::from_utf8_lossy(&header)
        );
    }
    nothing_dispatched(&h);
    assert!(h.logs().contains("malformed X-Hub-Signature-256"));
    no_traps(&h);
}

#[tokio::test]
async fn the_signature_covers_the_raw_bytes_not_a_reencoding() {
    let h = harness();
    let raw = fixture("text_non_ascii.json");
    let reencoded =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&raw).unwrap()).unwrap();
    assert_ne!(raw, reencoded);
    let request = HttpRequest::post(
        "/",
        &[("x-hub-signature-256", &sign(SECRET.as_bytes(), &raw))],
        &reencoded,
    );
    assert_eq!(h.request(request).await.unwrap().status, 401);
    assert_eq!(h.request(signed(&raw)).await.unwrap().status, 200);
    assert_eq!(h.messages().len(), 1);
}

#[tokio::test]
async fn without_an_app_secret_every_post_is_refused() {
    let h = harness().without_env("WHATSAPP_APP_SECRET");
    let body = fixture("text.json");
    let request = HttpRequest::post("/", &[("x-hub-signature-256", &sign(b"", &body))], &body);
    let r = h.request(request).await.unwrap();
    assert_eq!(r.status, 503);
    nothing_dispatched(&h);
    assert!(h.logs().contains("WHATSAPP_APP_SECRET is not set"));
}

#[tokio::test]
async fn an_update_of_another_field_is_dispatched_only_when_its_signature_matches() {
    let h = harness();
    let body = fixture("update_account_disabled.json");
    let forged = [
        HttpRequest::post("/", &[], &body),
        HttpRequest::signed_post("/", b"another-secret", &body),
    ];
    for request in forged {
        assert_eq!(h.request(request).await.unwrap().status, 401);
    }
    nothing_dispatched(&h);
    let r = h.request(signed(&body)).await.unwrap();
    assert_eq!(r.status, 200, "{}", h.logs());
    let fields: Vec<String> = h.updates().into_iter().map(|u| u.field).collect();
    assert_eq!(fields, ["account_update"]);
    no_traps(&h);
}

// --------------------------------------------------------------------------------- bodies

#[tokio::test]
async fn a_body_over_3_mib_is_refused_with_413() {
    let h = harness();
    let body = vec![b' '; 3 * 1024 * 1024 + 1];
    let r = h.request(signed(&body)).await.unwrap();
    assert_eq!(r.status, 413);
    let r = h
        .request(signed(&vec![b'x'; 10 * 1024 * 1024]))
        .await
        .unwrap();
    assert_eq!(r.status, 413);
    // An unreadable declared length is no shortcut: the streaming cap still holds.
    let mark = h.log_mark();
    let r = h
        .request(signed(&body).raw_header("content-length", b"unknown"))
        .await
        .unwrap();
    assert_eq!(r.status, 413);
    assert!(
        h.logs_since(mark)
            .contains("body larger than 3145728 bytes"),
        "{}",
        h.logs_since(mark)
    );
    assert!(h
        .logs()
        .contains("declared content-length 3145729 is over 3145728 bytes"));
    nothing_dispatched(&h);
    no_traps(&h);
}

#[tokio::test]
async fn a_body_of_exactly_3_mib_is_accepted() {
    let h = harness();
    let mut body = fixture("text.json");
    body.resize(3 * 1024 * 1024, b' ');
    let r = h.request(signed(&body)).await.unwrap();
    assert_eq!(r.status, 200, "{}", h.logs());
    assert_eq!(h.messages().len(), 1);
}

#[tokio::test]
async fn signed_bodies_that_are_not_webhooks_are_acknowledged_with_one_log_line() {
    let cases: [(&[u8], &str); 5] = [
        (b"\xff\xfe\x00not utf-8", "not valid JSON"),
        (
            b"{\"object\": \"whatsapp_business_account\", \"entry\": [",
            "not valid JSON",
        ),
        (b"[1, 2, 3]", "has no entry list"),
        (
            br#"{"object":"page","entry":[]}"#,
            "is not whatsapp_business_account",
        ),
        (b"", "not valid JSON"),
    ];
    for (body, expected_log) in cases {
        let h = harness();
        let r = h.request(signed(body)).await.unwrap();
        assert_eq!(r.status, 200, "{expected_log}");
        nothing_dispatched(&h);
        let lines: Vec<String> = h
            .log_lines()
            .into_iter()
            .filter(|l| l.contains(expected_log))
            .collect();
        assert_eq!(lines.len(), 1, "{expected_log}: {}", h.logs());
        no_traps(&h);
    }
}

#[tokio::test]
async fn deeply_nested_json_is_acknowledged_not_a_stack_overflow() {
    let h = harness();
    let body = format!("{{\"entry\":{}{}}}", "[".repeat(50_000), "]".repeat(50_000));
    let r = h.request(signed(body.as_bytes())).await.unwrap();
    assert_eq!(r.status, 200);
    no_traps(&h);
}

// ------------------------------------------------------------------------ methods, health

#[tokio::test]
async fn other_methods_get_405_with_allow() {
    let h = harness();
    for method in ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] {
        let mut request = HttpRequest::get("/");
        request.method = method.into();
        let r = h.request(request).await.unwrap();
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, POST"), "{method}");
    }
    no_traps(&h);
}

#[tokio::test]
async fn health_names_missing_configuration_without_values() {
    let h = Harness::new()
        .unwrap()
        .env("WHATSAPP_APP_SECRET", "super-secret-value");
    let r = h.get("/health").await.unwrap();
    assert_eq!(r.status, 503);
    let report = r.json();
    let missing: Vec<&str> = report["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(
        missing,
        [
            "WHATSAPP_WEBHOOK_VERIFY_TOKEN",
            "WHATSAPP_ACCESS_TOKEN",
            "WHATSAPP_PHONE_NUMBER_ID"
        ]
    );
    assert!(!r.text().contains("super-secret-value"));
    assert_eq!(report["dedup"], "per-request");

    let r = harness()
        .state_dir(state_dir("health"))
        .get("/health")
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "ok");
    assert_eq!(r.json()["dedup"], "persistent");
    for secret in [SECRET, VERIFY_TOKEN, "test-access-token"] {
        assert!(!r.text().contains(secret));
    }
}
