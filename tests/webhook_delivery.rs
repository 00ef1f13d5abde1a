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
    assert!(r.body.is_empty(), "the acknowledgement is a bare 200");
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
    let names: Vec<Option<String>> = h.messages().into_iter().map(|m| m.sender.name).collect();
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
            .filter(|l| l.contains("delivery journal unavailable, dispatching without a record"))
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
    let senders: Vec<Option<String>> = h.messages().into_iter().map(|m| m.sender.phone).collect();
    let expected = [ALICE, "8613812345678", ALICE, "8613812345678", ALICE];
    assert_eq!(senders, expected.map(|p| Some(p.to_string())));
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
async fn changes_of_other_fields_reach_on_update_typed_once_each() {
    let h = harness();
    deliver(&h, "field_not_messages.json").await;
    assert!(h.messages().is_empty() && h.statuses().is_empty());
    assert!(h.graph_requests().is_empty());
    let updates = h.updates();
    let summary: Vec<(String, String, Option<String>, u64, UpdateDetails)> = updates
        .iter()
        .map(|u| {
            (
                u.field.clone(),
                u.business_account_id.clone(),
                u.phone_number_id.clone(),
                u.timestamp,
                u.details.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "message_template_status_update".to_string(),
                WABA.to_string(),
                None,
                1_732_147_800,
                UpdateDetails::TemplateStatus(TemplateStatus {
                    event: "APPROVED".into(),
                    template_id: "1234567890123456".into(),
                    name: "order_update".into(),
                    language: "en_US".into(),
                    reason: Some("NONE".into()),
                    category: None,
                    detail: None,
                })
            ),
            (
                "account_update".to_string(),
                WABA.to_string(),
                None,
                1_732_147_800,
                UpdateDetails::Account(AccountEvent {
                    event: "ACCOUNT_RESTRICTION".into(),
                    phone_number: None,
                    violation: None,
                    restrictions: vec![AccountRestriction {
                        kind: "RESTRICTED_BIZ_INITIATED_MESSAGING".into(),
                        expires_at: Some(1_732_234_200),
                    }],
                    ban_state: None,
                })
            ),
        ]
    );
    for (i, u) in updates.iter().enumerate() {
        let raw: serde_json::Value = serde_json::from_str(&u.raw_json).expect("raw json");
        assert_eq!(raw, change_value("field_not_messages.json", 0, i));
    }
    assert!(h.update_calls().iter().all(|c| c.acked_before_dispatch));
}

#[tokio::test]
async fn value_errors_reach_on_update_as_errors_and_are_logged() {
    let h = harness();
    deliver(&h, "value_errors.json").await;
    assert!(h.messages().is_empty() && h.statuses().is_empty());
    let updates = h.updates();
    assert_eq!(updates.len(), 1, "{updates:#?}");
    let u = &updates[0];
    assert_eq!(u.field, "messages");
    assert_eq!(u.business_account_id, WABA);
    assert_eq!(u.phone_number_id.as_deref(), Some(BUSINESS_PHONE_ID));
    assert_eq!(u.timestamp, 0, "the entry has no time");
    assert_eq!(
        u.details,
        UpdateDetails::Errors(vec![ErrorDetail {
            code: 130429,
            title: "Rate limit hit".into(),
            message: Some("Rate limit hit".into()),
            details: Some(
                "Message failed to send because there were too many messages sent from this phone number in a short period of time"
                    .into()
            ),
            href: Some("/documentation/business-messaging/whatsapp/support/error-codes".into()),
        }])
    );
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
    assert_eq!(sending_number(&requests[0]), BUSINESS_PHONE_ID);
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

// ------------------------------------------------------------------ several numbers

#[tokio::test]
async fn a_message_from_the_receiving_number_is_an_echo_but_from_another_number_it_is_not() {
    // 15550199 (the second number) writes to the first number, then "writes" to itself.
    let h = harness();
    deliver(&h, "two_business_numbers_own_number.json").await;
    let messages = h.messages();
    assert_eq!(messages.len(), 1, "{}", h.logs());
    assert_eq!(messages[0].text, "Escalating ticket 5521 to the main line");
    assert_eq!(messages[0].sender.phone.as_deref(), Some(SECOND_DISPLAY));
    assert_eq!(messages[0].phone_number_id, BUSINESS_PHONE_ID);
    let echo = change_value("two_business_numbers_own_number.json", 1, 0)["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let skipped: Vec<String> = h
        .log_lines()
        .into_iter()
        .filter(|l| l.contains("from the business number itself was not dispatched"))
        .collect();
    assert_eq!(skipped.len(), 1, "{}", h.logs());
    assert!(skipped[0].contains(&echo), "{skipped:?}");
    // Only the dispatched message is marked read, from the number that received it.
    let receipts = read_receipts(&h);
    assert_eq!(receipts.len(), 1);
    assert_eq!(sending_number(&receipts[0]), BUSINESS_PHONE_ID);
    assert_eq!(receipts[0].json()["message_id"], messages[0].id.as_str());
}

// ------------------------------------------------------------------ group statuses

#[tokio::test]
async fn read_receipts_of_three_group_participants_are_three_statuses_and_redelivery_none() {
    let h = harness().state_dir(state_dir("group-statuses"));
    deliver(&h, "status_group_read.json").await;
    let first: Vec<Option<String>> = h
        .statuses()
        .into_iter()
        .map(|s| s.recipient.user_id)
        .collect();
    assert_eq!(
        first,
        [ALICE_USER_ID, BRUNO_USER_ID, DANA_USER_ID].map(|u| Some(u.to_string()))
    );
    let mark = h.log_mark();
    deliver(&h, "status_group_read.json").await;
    assert_eq!(h.statuses().len(), 3, "{}", h.logs());
    assert_eq!(
        h.logs_since(mark)
            .lines()
            .filter(|l| l.contains("status read of") && l.contains("redelivery ignored"))
            .count(),
        3,
        "{}",
        h.logs()
    );
}

// ------------------------------------------------------------------ updates

/// Every typed update fixture and what `on-update` must receive (`raw-json` aside: it is
/// compared with the change's value separately).
fn expected_updates() -> Vec<(&'static str, WebhookUpdate)> {
    let update = |field: &str, phone: Option<&str>, timestamp: u64, details| WebhookUpdate {
        field: field.into(),
        business_account_id: WABA.into(),
        phone_number_id: phone.map(Into::into),
        timestamp,
        details,
        raw_json: String::new(),
    };
    let template =
        |event: &str, id: &str, name: &str, language: &str, reason: &str| TemplateStatus {
            event: event.into(),
            template_id: id.into(),
            name: name.into(),
            language: language.into(),
            reason: Some(reason.into()),
            category: Some("MARKETING".into()),
            detail: None,
        };
    let account = |event: &str| AccountEvent {
        event: event.into(),
        phone_number: None,
        violation: None,
        restrictions: vec![],
        ban_state: None,
    };
    let templates = "message_template_status_update";
    vec![
        (
            "update_template_approved.json",
            update(
                templates,
                None,
                1_732_150_000,
                UpdateDetails::TemplateStatus(TemplateStatus {
                    category: Some("UTILITY".into()),
                    ..template("APPROVED", "4410293847561203", "order_shipped", "en_US", "NONE")
                }),
            ),
        ),
        (
            "update_template_rejected.json",
            update(
                templates,
                None,
                1_732_150_100,
                UpdateDetails::TemplateStatus(TemplateStatus {
                    detail: Some(
                        "The template has two variables next to each other with no text between them."
                            .into(),
                    ),
                    ..template(
                        "REJECTED",
                        "4410293847561204",
                        "spring_sale",
                        "pt_BR",
                        "INVALID_FORMAT",
                    )
                }),
            ),
        ),
        (
            "update_template_paused.json",
            update(
                templates,
                None,
                1_732_150_200,
                UpdateDetails::TemplateStatus(TemplateStatus {
                    detail: Some(
                        "Your template was paused for 3 hours because of low quality feedback from customers."
                            .into(),
                    ),
                    ..template("PAUSED", "4410293847561205", "cart_reminder", "en_US", "NONE")
                }),
            ),
        ),
        (
            "update_user_preferences_stop.json",
            update(
                "user_preferences",
                Some(BUSINESS_PHONE_ID),
                1_732_150_301,
                UpdateDetails::UserPreferences(vec![UserPreference {
                    user: user(
                        Some(ALICE),
                        Some(ALICE_USER_ID),
                        Some(ALICE_PARENT_ID),
                        None,
                        Some("Alice Johnson"),
                    ),
                    value: "stop".into(),
                    category: "marketing_messages".into(),
                    detail: "User requested to stop marketing messages".into(),
                    timestamp: 1_732_150_300,
                }]),
            ),
        ),
        (
            "update_account_violation.json",
            update(
                "account_update",
                None,
                1_732_150_400,
                UpdateDetails::Account(AccountEvent {
                    phone_number: Some(BUSINESS_DISPLAY.into()),
                    violation: Some("SCAM".into()),
                    ..account("ACCOUNT_VIOLATION")
                }),
            ),
        ),
        (
            "update_account_restriction.json",
            update(
                "account_update",
                None,
                1_732_150_500,
                UpdateDetails::Account(AccountEvent {
                    restrictions: vec![
                        AccountRestriction {
                            kind: "RESTRICTED_BIZ_INITIATED_MESSAGING".into(),
                            expires_at: Some(1_732_755_200),
                        },
                        AccountRestriction {
                            kind: "RESTRICTED_ADD_PHONE_NUMBER_ACTION".into(),
                            expires_at: Some(1_732_841_600),
                        },
                    ],
                    ..account("ACCOUNT_RESTRICTION")
                }),
            ),
        ),
        (
            "update_account_disabled.json",
            update(
                "account_update",
                None,
                1_732_150_600,
                UpdateDetails::Account(AccountEvent {
                    ban_state: Some("DISABLE".into()),
                    ..account("DISABLED_UPDATE")
                }),
            ),
        ),
        (
            "update_phone_number_quality.json",
            update(
                "phone_number_quality_update",
                None,
                1_732_150_700,
                UpdateDetails::PhoneNumberQuality(PhoneNumberQuality {
                    display_phone_number: BUSINESS_DISPLAY.into(),
                    event: "DOWNGRADE".into(),
                    current_limit: Some("TIER_1K".into()),
                    old_limit: Some("TIER_10K".into()),
                }),
            ),
        ),
        (
            "update_user_id.json",
            update(
                "user_id_update",
                Some(BUSINESS_PHONE_ID),
                1_732_150_802,
                UpdateDetails::UserIdChanges(vec![
                    UserIdChange {
                        phone: Some(ALICE.into()),
                        previous_user_id: Some(ALICE_USER_ID.into()),
                        user_id: Some("US.10483920571635284099".into()),
                        parent_user_id: Some(ALICE_PARENT_ID.into()),
                        timestamp: 1_732_150_800,
                    },
                    UserIdChange {
                        phone: None,
                        previous_user_id: Some(DANA_USER_ID.into()),
                        user_id: Some("US.40817365920471836251".into()),
                        parent_user_id: None,
                        timestamp: 1_732_150_801,
                    },
                ]),
            ),
        ),
        (
            "update_unknown_field_calls.json",
            update(
                "calls",
                Some(BUSINESS_PHONE_ID),
                1_732_150_901,
                UpdateDetails::Other,
            ),
        ),
    ]
}

#[tokio::test]
async fn every_typed_webhook_field_reaches_on_update_once_with_its_raw_value() {
    for (name, expected) in expected_updates() {
        let h = harness();
        deliver(&h, name).await;
        assert!(h.messages().is_empty() && h.statuses().is_empty(), "{name}");
        assert!(h.graph_requests().is_empty(), "{name}");
        let updates = h.updates();
        assert_eq!(updates.len(), 1, "{name}: {updates:#?}\n{}", h.logs());
        let got = &updates[0];
        assert_eq!(
            WebhookUpdate {
                raw_json: String::new(),
                ..got.clone()
            },
            expected,
            "{name}"
        );
        let raw: serde_json::Value = serde_json::from_str(&got.raw_json).expect("raw json");
        assert_eq!(raw, change_value(name, 0, 0), "{name}");
        assert!(h.update_calls()[0].acked_before_dispatch, "{name}");
    }
}

#[tokio::test]
async fn a_redelivered_update_is_not_dispatched_again_with_a_state_dir() {
    let h = harness().state_dir(state_dir("update-redelivery"));
    let mut names: Vec<&str> = expected_updates().into_iter().map(|(n, _)| n).collect();
    names.push("value_errors.json");
    for name in &names {
        deliver(&h, name).await;
    }
    let mark = h.log_mark();
    for name in &names {
        deliver(&h, name).await;
    }
    let fields: Vec<String> = h.updates().into_iter().map(|u| u.field).collect();
    assert_eq!(fields.len(), names.len(), "{fields:?}\n{}", h.logs());
    assert_eq!(
        h.logs_since(mark)
            .lines()
            .filter(|l| l.contains("update of field") && l.contains("redelivery ignored"))
            .count(),
        names.len(),
        "{}",
        h.logs_since(mark)
    );
}

#[tokio::test]
async fn acknowledge_only_dispatches_no_update() {
    let h = harness().env("WHATSAPP_INCOMING_HANDLER_COMPONENTS", "none");
    for (name, _) in expected_updates() {
        deliver(&h, name).await;
    }
    deliver(&h, "value_errors.json").await;
    deliver(&h, "field_not_messages.json").await;
    assert!(h.updates().is_empty(), "{:#?}", h.updates());
    assert!(h.messages().is_empty() && h.statuses().is_empty());
    assert!(h.graph_requests().is_empty());
}

#[tokio::test]
async fn the_same_errors_on_two_numbers_are_two_updates_one_per_number() {
    let h = harness();
    deliver(&h, "value_errors_two_numbers.json").await;
    let numbers: Vec<Option<String>> = h.updates().into_iter().map(|u| u.phone_number_id).collect();
    assert_eq!(
        numbers,
        [
            Some(BUSINESS_PHONE_ID.to_string()),
            Some(SECOND_PHONE_ID.to_string())
        ],
        "{}",
        h.logs()
    );
}

#[tokio::test]
async fn a_changes_errors_update_carries_the_changes_value_as_raw_json() {
    // wit/types.wit, webhook-update.raw-json: "The change's `value` exactly as Meta sent
    // it, as JSON text."
    let h = harness();
    deliver(&h, "value_errors.json").await;
    let updates = h.updates();
    assert_eq!(updates.len(), 1);
    let raw: serde_json::Value = serde_json::from_str(&updates[0].raw_json).expect("raw json");
    assert_eq!(raw, change_value("value_errors.json", 0, 0));
}

#[tokio::test]
async fn the_same_quality_event_sent_again_later_is_a_new_update() {
    // Flagged, unflagged, flagged again: the second flag has the same value as the first,
    // but Meta sent it at another time (`entry.time`). A redelivery repeats the body.
    let h = harness().state_dir(state_dir("quality-again"));
    deliver(&h, "update_phone_number_quality.json").await;
    let mut later = fixture_json("update_phone_number_quality.json");
    later["entry"][0]["time"] = serde_json::json!(1_732_237_100);
    let later = serde_json::to_vec_pretty(&later).unwrap();
    deliver_bytes(&h, "the same event a day later", &later).await;
    let times: Vec<u64> = h.updates().into_iter().map(|u| u.timestamp).collect();
    assert_eq!(times, [1_732_150_700, 1_732_237_100], "{}", h.logs());
}

// ------------------------------------------------------------------ allowlist by user

#[tokio::test]
async fn a_username_only_sender_passes_an_allowlist_naming_its_user_id_or_username() {
    for listed in [
        "+1 650-555-1234, US.40817365920471836250",
        "@dana.k",
        "+55 11 98765-4321, @Dana.K",
        "US.ENT.40592817364019283746",
    ] {
        let h = harness().env("WHATSAPP_PHONE_ALLOWLIST", listed);
        deliver(&h, "username_only_text.json").await;
        let senders: Vec<User> = h.messages().into_iter().map(|m| m.sender).collect();
        assert_eq!(senders, [dana()], "{listed}\n{}", h.logs());
        assert_eq!(read_receipts(&h).len(), 1, "{listed}");
    }
}

#[tokio::test]
async fn a_username_only_sender_is_dropped_by_a_list_of_phone_numbers_and_logged_by_user_id() {
    for listed in [
        "+1 650-555-1234, +55 11 98765-4321",
        "@dana",
        "US.40817365920471836251",
    ] {
        let h = harness().env("WHATSAPP_PHONE_ALLOWLIST", listed);
        deliver(&h, "username_only_text.json").await;
        assert!(h.messages().is_empty(), "{listed}");
        assert!(h.graph_requests().is_empty(), "{listed}: no read receipt");
        let dropped: Vec<String> = h
            .log_lines()
            .into_iter()
            .filter(|l| l.contains("not in WHATSAPP_PHONE_ALLOWLIST"))
            .collect();
        assert_eq!(dropped.len(), 1, "{listed}\n{}", h.logs());
        assert!(dropped[0].contains(DANA_USER_ID), "{dropped:?}");
        assert!(
            !dropped[0].to_lowercase().contains(DANA_USERNAME) && !dropped[0].contains("Dana"),
            "the username and the name stay out of the logs: {dropped:?}"
        );
    }
}
