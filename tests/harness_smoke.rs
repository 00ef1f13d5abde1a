//! Smoke tests of the native test host against the real, built component
//! (`make build` first). They check the harness's plumbing end to end: a fresh
//! instance per request, env vars, response capture, logs and records.

use host_test::*;

#[tokio::test]
async fn health_answers_json() -> anyhow::Result<()> {
    let h = Harness::new()?;
    let r = h.get("/health").await?;
    assert!(
        r.status == 200 || r.status == 503,
        "status {} body {}",
        r.status,
        r.text()
    );
    assert!(r.json().is_object(), "not a JSON object: {}", r.text());
    assert!(h.graph_requests().is_empty());
    assert!(h.messages().is_empty() && h.statuses().is_empty());
    assert_eq!(
        h.event_kinds().last(),
        Some(&EventKind::Finished { ok: true })
    );
    Ok(())
}

#[tokio::test]
async fn handshake_returns_the_challenge() -> anyhow::Result<()> {
    let h = Harness::new()?.env("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "t0ken");
    let r = h
        .get("/?hub.mode=subscribe&hub.verify_token=t0ken&hub.challenge=1158201444")
        .await?;
    assert_eq!(r.status, 200, "{}\n{}", r.text(), h.logs());
    assert_eq!(r.text(), "1158201444");

    let r = h
        .get("/?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444")
        .await?;
    assert_eq!(r.status, 403);
    assert_ne!(r.text(), "1158201444");
    // Every request ran in its own instance.
    let instances: std::collections::BTreeSet<u64> =
        h.events().iter().map(|e| e.instance).collect();
    assert_eq!(instances.len(), 2);
    Ok(())
}

#[tokio::test]
async fn unsigned_post_is_refused_without_dispatch() -> anyhow::Result<()> {
    let h = Harness::new()?.env("WHATSAPP_APP_SECRET", "app-secret");
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let r = h
        .post(
            "/",
            &[
                ("content-type", "application/json"),
                ("x-hub-signature-256", &sign(b"another-secret", body)),
            ],
            body,
        )
        .await?;
    assert!(
        (400..500).contains(&r.status),
        "status {} for a bad signature",
        r.status
    );
    assert!(h.messages().is_empty() && h.statuses().is_empty());
    assert!(h.graph_requests().is_empty());
    assert!(
        !h.logs().is_empty(),
        "the component logs one line per event"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn signed_message_is_acknowledged_then_dispatched() -> anyhow::Result<()> {
    let h = Harness::new()?.env("WHATSAPP_APP_SECRET", "app-secret");
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/webhook/text.json"
    ))?;
    let r = h
        .request(HttpRequest::signed_post("/", b"app-secret", &body))
        .await?;
    assert_eq!(r.status, 200, "{}", h.logs());
    let calls = h.message_calls();
    assert_eq!(calls.len(), 1, "{}", h.logs());
    assert!(calls[0].acked_before_dispatch, "{:#?}", h.events());
    assert_eq!(
        calls[0].message.sender.phone.as_deref(),
        Some("16505551234")
    );
    assert_eq!(calls[0].message.text, "Hi! Do you ship to Canada?");
    assert_eq!(calls[0].instance, r.instance);
    assert_eq!((calls[0].attempt, calls[0].trapped), (1, false));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn signed_update_is_recorded_by_on_update_after_the_acknowledgement() -> anyhow::Result<()> {
    let h = Harness::new()?.env("WHATSAPP_APP_SECRET", "app-secret");
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"104583920176234","time":1732150000,"changes":[{"field":"phone_number_quality_update","value":{"display_phone_number":"15550100","event":"FLAGGED","current_limit":"TIER_10K"}}]}]}"#;
    let r = h
        .request(HttpRequest::signed_post("/", b"app-secret", body))
        .await?;
    assert_eq!(r.status, 200, "{}", h.logs());
    let calls = h.update_calls();
    assert_eq!(calls.len(), 1, "{}", h.logs());
    assert!(calls[0].acked_before_dispatch, "{:#?}", h.events());
    assert_eq!(calls[0].instance, r.instance);
    assert_eq!(calls[0].update.field, "phone_number_quality_update");
    assert_eq!(calls[0].attempt, 1);
    assert!(h.event_kinds().contains(&EventKind::OnUpdate {
        field: "phone_number_quality_update".into(),
        acked: true
    }));
    assert!(h.messages().is_empty() && h.statuses().is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_trapping_consumer_is_recorded_with_its_attempt_after_the_acknowledgement(
) -> anyhow::Result<()> {
    let h = Harness::new()?
        .env("WHATSAPP_APP_SECRET", "app-secret")
        .trap_on_message(|m: &Message, attempt: u32| m.text.contains("Canada") && attempt == 1);
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/webhook/text.json"
    ))?;
    // The trap fails the instance, so the request is an error; the response came first.
    let trap = h
        .request(HttpRequest::signed_post("/", b"app-secret", &body))
        .await
        .expect_err("the consumer trapped");
    assert!(
        format!("{trap:#}").contains("consumer trapped on purpose"),
        "{trap:#}"
    );
    let calls = h.message_calls();
    assert_eq!(calls.len(), 1, "{}", h.logs());
    assert_eq!(calls[0].attempt, 1);
    assert!(calls[0].trapped);
    assert!(calls[0].acked_before_dispatch, "{:#?}", h.events());
    assert_eq!(calls[0].message.text, "Hi! Do you ship to Canada?");
    assert_eq!(h.message_attempts(&calls[0].message.id), vec![1]);
    // Acknowledged 200 (body complete), then dispatched, then the instance trapped.
    let kinds: Vec<EventKind> = h
        .event_kinds()
        .into_iter()
        .filter(|k| {
            matches!(
                k,
                EventKind::Responded { .. }
                    | EventKind::OnMessage { .. }
                    | EventKind::Finished { .. }
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::Responded { status: 200 },
            EventKind::OnMessage {
                id: calls[0].message.id.clone(),
                acked: true
            },
            EventKind::Finished { ok: false },
        ],
        "{}",
        h.logs()
    );
    Ok(())
}
