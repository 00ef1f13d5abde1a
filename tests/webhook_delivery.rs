//! What happens after a webhook is verified: acknowledged first, every update of a batch
//! dispatched exactly once (across requests and concurrent instances), the allowlist
//! and the business's own number respected, messages marked read.

mod common;

use std::time::Duration;

use common::*;
use host_test::*;

fn texts(h: &Harness) -> Vec<String> {
    h.messages().into_iter().map(|m| m.text).collect()
}

#[tokio::test]
async fn the_acknowledgement_comes_before_the_consumer_runs() {
    let h = harness().on_message(|_| vec![Action::React("👍".into())]);
    let r = deliver(&h, "batch_mixed.json").await;
    assert_eq!(r.body, b"ok");
    let calls = h.message_calls();
    assert_eq!(calls.len(), 7);
    assert!(
        calls.iter().all(|c| c.acked_before_dispatch),
        "{:#?}",
        h.events()
    );
    assert!(h.status_calls().iter().all(|c| c.acked_before_dispatch));
    assert!(h.graph_requests().iter().all(|g| g.acked_before_send));
    let kinds = h.event_kinds();
    let responded = kinds
        .iter()
        .position(|k| matches!(k, EventKind::Responded { status: 200 }))
        .unwrap();
    let first_dispatch = kinds
        .iter()
        .position(|k| matches!(k, EventKind::OnMessage { .. } | EventKind::Graph { .. }))
        .unwrap();
    assert!(responded < first_dispatch, "{kinds:#?}");
}

#[tokio::test]
async fn the_acknowledgement_does_not_wait_for_a_slow_consumer_or_graph_api() {
    // The Graph stand-in takes 3 s per call; the answer must not wait for any of it.
    let h = harness()
        .on_message(|_| vec![Action::React("👍".into())])
        .graph(|req| GraphResponse::sandbox(req).after(Duration::from_secs(3)));
    deliver(&h, "text.json").await;
    let events = h.events();
    let responded = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Responded { .. }))
        .unwrap()
        .at;
    let finished = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Finished { .. }))
        .unwrap()
        .at;
    assert!(
        finished - responded >= Duration::from_secs(6),
        "{events:#?}"
    );
    assert!(h.message_calls()[0].acked_before_dispatch);
}

#[tokio::test]
async fn every_message_and_status_of_a_batch_is_dispatched_in_order() {
    let h = harness();
    deliver(&h, "batch_mixed.json").await;
    assert_eq!(
        texts(&h),
        [
            "Is the store open on Sunday?",
            "Foto do produto com defeito",
            "你好，我想查询订单状态",
            "",
            "",
            "Track order",
            "San Francisco"
        ]
    );
    let names: Vec<Option<String>> = h.messages().into_iter().map(|m| m.sender_name).collect();
    assert_eq!(names[0].as_deref(), Some("Alice Johnson"));
    assert_eq!(names[1].as_deref(), Some("Bruno Araújo"));
    assert_eq!(names[2].as_deref(), Some("陈伟"));
    let statuses: Vec<DeliveryStatus> = h.statuses().into_iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            DeliveryStatus::Sent,
            DeliveryStatus::Delivered,
            DeliveryStatus::Read,
            DeliveryStatus::Failed
        ]
    );
    // Each dispatched message was marked read.
    let read_receipts = h
        .graph_requests()
        .iter()
        .filter(|r| r.json()["status"] == "read")
        .count();
    assert_eq!(read_receipts, 7);
}

#[tokio::test]
async fn a_message_repeated_inside_one_post_is_dispatched_once() {
    let h = harness();
    deliver(&h, "batch_duplicates.json").await;
    assert_eq!(
        texts(&h),
        ["Can I change my delivery address?", "Obrigado!"]
    );
    assert!(h.logs().contains("already dispatched"));
}

#[tokio::test]
async fn a_redelivery_is_dispatched_once_across_requests_with_a_state_dir() {
    let h = harness().state_dir(state_dir("redelivery"));
    for _ in 0..3 {
        deliver(&h, "text.json").await;
    }
    assert_eq!(h.messages().len(), 1, "{}", h.logs());
    let read_receipts = h
        .graph_requests()
        .iter()
        .filter(|r| r.json()["status"] == "read")
        .count();
    assert_eq!(read_receipts, 1);
    assert_eq!(
        h.log_lines()
            .iter()
            .filter(|l| l.contains("redelivery ignored"))
            .count(),
        2
    );
}

#[tokio::test]
async fn dedup_survives_a_restart_because_it_lives_in_the_directory() {
    let dir = state_dir("restart");
    let first = harness().state_dir(&dir);
    deliver(&first, "text.json").await;
    let second = harness().state_dir(&dir);
    deliver(&second, "text.json").await;
    assert_eq!(first.messages().len() + second.messages().len(), 1);
    // The store keeps hashes, not message ids.
    let files: Vec<_> = walk(&dir);
    assert!(!files.is_empty());
    assert!(files.iter().all(|f| !f.contains("wamid")));
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[tokio::test]
async fn without_a_state_dir_a_redelivery_across_requests_is_dispatched_again() {
    // The documented behaviour: dedup is then per request only.
    let h = harness();
    deliver(&h, "text.json").await;
    deliver(&h, "text.json").await;
    assert_eq!(h.messages().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redeliveries_in_separate_instances_dispatch_once() {
    let h = harness().state_dir(state_dir("concurrent"));
    let body = fixture("batch_mixed.json");
    let responses = h
        .post_concurrently((0..8).map(|_| signed(&body)).collect())
        .await
        .unwrap();
    assert!(responses.iter().all(|r| r.status == 200));
    let instances: std::collections::BTreeSet<u64> = responses.iter().map(|r| r.instance).collect();
    assert_eq!(instances.len(), 8);
    let mut ids: Vec<String> = h.messages().into_iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 7, "{}", h.logs());
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 7);
    assert_eq!(h.statuses().len(), 4);
}

#[tokio::test]
async fn statuses_dedup_by_message_and_status() {
    let h = harness().state_dir(state_dir("statuses"));
    for name in [
        "status_sent.json",
        "status_delivered.json",
        "status_read.json",
        "status_read.json",
        "status_sent.json",
    ] {
        deliver(&h, name).await;
    }
    let statuses: Vec<DeliveryStatus> = h.statuses().into_iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            DeliveryStatus::Sent,
            DeliveryStatus::Delivered,
            DeliveryStatus::Read
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_key_is_forgotten_after_the_ttl() {
    let h = harness()
        .state_dir(state_dir("ttl"))
        .env("WHATSAPP_DEDUP_TTL_SECS", "60");
    deliver(&h, "text.json").await;
    tokio::time::advance(Duration::from_secs(30)).await;
    deliver(&h, "text.json").await;
    assert_eq!(h.messages().len(), 1);
    tokio::time::advance(Duration::from_secs(120)).await;
    deliver(&h, "text.json").await;
    assert_eq!(h.messages().len(), 2, "{}", h.logs());
}

#[tokio::test]
async fn an_unusable_state_dir_still_dispatches_and_says_so_once() {
    let h = harness().env("WHATSAPP_STATE_DIR", "/no/such/preopen");
    deliver(&h, "batch_mixed.json").await;
    assert_eq!(h.messages().len(), 7);
    assert_eq!(
        h.log_lines()
            .iter()
            .filter(|l| l.contains("dedup store unavailable"))
            .count(),
        1,
        "{}",
        h.logs()
    );
}

#[tokio::test]
async fn only_allowlisted_numbers_reach_the_consumer() {
    let h = harness().env(
        "WHATSAPP_PHONE_ALLOWLIST",
        "+1 650-555-1234, +86 138 1234 5678",
    );
    deliver(&h, "batch_mixed.json").await;
    let senders: Vec<String> = h.messages().into_iter().map(|m| m.sender).collect();
    assert_eq!(
        senders,
        [
            "16505551234",
            "8613812345678",
            "16505551234",
            "8613812345678",
            "16505551234"
        ]
    );
    let dropped: Vec<String> = h
        .log_lines()
        .into_iter()
        .filter(|l| l.contains("not in WHATSAPP_PHONE_ALLOWLIST"))
        .collect();
    assert_eq!(dropped.len(), 2, "{}", h.logs());
    assert!(
        dropped
            .iter()
            .all(|l| l.contains("*********4321") && !l.contains("5511987654321")),
        "{dropped:?}"
    );
    // Statuses are about our own messages: not filtered.
    assert_eq!(h.statuses().len(), 4);
    // Dropped messages are not marked read.
    let read_receipts = h
        .graph_requests()
        .iter()
        .filter(|r| r.json()["status"] == "read")
        .count();
    assert_eq!(read_receipts, 5);
}

#[tokio::test]
async fn messages_from_the_business_number_are_never_dispatched() {
    let h = harness();
    deliver(&h, "from_business_number.json").await;
    assert!(h.messages().is_empty());
    assert!(h.graph_requests().is_empty());
    assert!(h
        .logs()
        .contains("from the business number itself was not dispatched"));
}

#[tokio::test]
async fn changes_of_other_fields_and_value_errors_are_acknowledged_and_logged() {
    let h = harness();
    deliver(&h, "field_not_messages.json").await;
    assert!(h.messages().is_empty() && h.statuses().is_empty());
    assert!(
        h.logs().contains(
            "change of field \"message_template_status_update\" acknowledged, not handled"
        ),
        "{}",
        h.logs()
    );
    assert!(h.logs().contains("change of field \"account_update\""));
    let h = harness();
    deliver(&h, "value_errors.json").await;
    assert!(h.messages().is_empty());
    assert!(
        h.logs()
            .contains("Meta reported errors for a change: codes [130429]"),
        "{}",
        h.logs()
    );
}

#[tokio::test]
async fn wrong_types_never_trap_and_the_valid_update_gets_through_once() {
    let h = harness();
    deliver(&h, "wrong_types.json").await;
    let messages = h.messages();
    let valid: Vec<_> = messages
        .iter()
        .filter(|m| m.text == "This one is valid and must be delivered")
        .collect();
    assert_eq!(valid.len(), 1);
    assert!(
        messages.iter().all(|m| m.id.starts_with("wamid.")),
        "a non-string id was dispatched"
    );
    assert!(h
        .statuses()
        .iter()
        .any(|s| s.status == DeliveryStatus::Delivered));
    assert!(h
        .events()
        .iter()
        .all(|e| !matches!(e.kind, EventKind::Finished { ok: false })));
}

#[tokio::test]
async fn dispatch_can_be_turned_off_for_acknowledge_only() {
    let h = harness().env("WHATSAPP_INCOMING_HANDLER_COMPONENTS", "none");
    deliver(&h, "batch_mixed.json").await;
    assert!(h.messages().is_empty() && h.statuses().is_empty());
    assert!(h.graph_requests().is_empty());
    assert!(h.logs().contains("dispatch is off"));
}

#[tokio::test]
async fn consumer_names_keep_dispatching_to_the_composed_consumer() {
    let h = harness().env("WHATSAPP_INCOMING_HANDLER_COMPONENTS", "my-bot");
    deliver(&h, "text.json").await;
    assert_eq!(h.messages().len(), 1);
}

#[tokio::test]
async fn messages_are_marked_read_by_default_optionally_with_typing() {
    let h = harness();
    deliver(&h, "text.json").await;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v24.0/106540352242922/messages");
    assert_eq!(
        requests[0].json(),
        serde_json::json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA="
        })
    );
    let h = harness().env("WHATSAPP_TYPING_INDICATOR", "on");
    deliver(&h, "text.json").await;
    assert_eq!(
        h.graph_requests()[0].json()["typing_indicator"],
        serde_json::json!({"type": "text"})
    );
    let h = harness().env("WHATSAPP_MARK_READ", "off");
    deliver(&h, "text.json").await;
    assert!(h.graph_requests().is_empty());
    assert_eq!(h.messages().len(), 1);
}

#[tokio::test]
async fn a_failing_read_receipt_is_logged_and_the_consumer_still_runs() {
    let h = harness().graph(|_| {
        GraphResponse::meta_error(401, 190, "OAuthException", "Error validating access token")
    });
    deliver(&h, "text.json").await;
    assert_eq!(h.messages().len(), 1);
    assert!(
        h.logs().contains("read failed: Graph API error 190"),
        "{}",
        h.logs()
    );
}
