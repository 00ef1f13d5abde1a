//! The actions a consumer returns from `on-message` run through the same sending code
//! as the `outgoing` export, in order, after the automatic read receipt; a failing
//! action is logged with its typed error and the rest still run. Driven by signed
//! webhooks (`tests/fixtures/webhook/text.json`, Alice's "Hi! Do you ship to
//! Canada?") and a scripted consumer.

mod common;
mod outgoing_support;

use host_test::*;
use outgoing_support::*;
use serde_json::{json, Value};

const SECRET: &str = "test-app-secret";
/// The id of the inbound message in `text.json`.
const INBOUND: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA=";

/// A harness that sends, with the webhook's App Secret and this consumer.
fn consumer(actions: impl Fn(&Message) -> Vec<Action> + Send + Sync + 'static) -> Harness {
    harness()
        .env("WHATSAPP_APP_SECRET", SECRET)
        .on_message(actions)
}

/// Delivers `text.json`, signed; asserts the acknowledgement and the one dispatch.
async fn deliver(h: &Harness) -> anyhow::Result<()> {
    let body = fixture_bytes("webhook", "text.json");
    let r = h
        .request(HttpRequest::signed_post("/", SECRET.as_bytes(), &body))
        .await?;
    assert_eq!(r.status, 200, "{}", h.logs());
    let calls = h.message_calls();
    assert_eq!(calls.len(), 1, "{}", h.logs());
    assert_eq!(calls[0].message.id, INBOUND);
    assert!(calls[0].acked_before_dispatch, "{:#?}", h.events());
    Ok(())
}

/// The envelope every message to Alice has, with `kind`'s payload.
fn to_alice(kind: &str, payload: Value) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": ALICE,
        "type": kind,
        kind: payload
    })
}

fn read_receipt(typing: bool) -> Value {
    let mut body =
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": INBOUND});
    if typing {
        body["typing_indicator"] = json!({"type": "text"});
    }
    body
}

fn reply(body: &str, quote: bool) -> Action {
    Action::Reply(Reply {
        body: body.into(),
        quote,
        format: TextFormat::Markdown,
        preview_url: false,
        biz_opaque_callback_data: None,
    })
}

fn buttons_to(to: &str) -> ButtonsMessage {
    ButtonsMessage {
        to: to.into(),
        body: "Where should we ship?".into(),
        buttons: vec![
            ReplyButton {
                id: "ship_ca".into(),
                title: "Canada".into(),
            },
            ReplyButton {
                id: "ship_us".into(),
                title: "USA".into(),
            },
        ],
        header: None,
        footer: Some("Free over $50".into()),
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn buttons_json() -> Value {
    json!({
        "type": "button",
        "body": {"text": "Where should we ship?"},
        "footer": {"text": "Free over $50"},
        "action": {"buttons": [
            {"type": "reply", "reply": {"id": "ship_ca", "title": "Canada"}},
            {"type": "reply", "reply": {"id": "ship_us", "title": "USA"}}
        ]}
    })
}

/// A list whose only row title is 30 characters: Meta allows 24.
fn invalid_list() -> ListMessage {
    ListMessage {
        to: String::new(),
        body: "Pick a carrier".into(),
        button: "Carriers".into(),
        sections: vec![ListSection {
            title: None,
            rows: vec![ListRow {
                id: "fast".into(),
                title: "Express international shipping".into(),
                description: None,
            }],
        }],
        header: None,
        footer: None,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn text_action(to: &str, body: &str) -> Action {
    Action::SendText(TextMessage {
        to: to.into(),
        body: body.into(),
        format: TextFormat::Raw,
        preview_url: true,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    })
}

#[tokio::test(start_paused = true)]
async fn actions_run_in_order_and_an_invalid_one_does_not_stop_the_rest() -> anyhow::Result<()> {
    let h = consumer(|_| {
        vec![
            reply("Yes! We ship to **Canada**.", true),
            Action::React("👍".into()),
            Action::SendButtons(buttons_to("")),
            Action::SendList(invalid_list()),
            text_action("", "Anything else?"),
        ]
    });
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 5, "{}", h.logs());
    assert_post(&requests[0], &read_receipt(false));
    let mut quoted = to_alice(
        "text",
        json!({"body": "Yes! We ship to *Canada*.", "preview_url": false}),
    );
    quoted["context"] = json!({"message_id": INBOUND});
    assert_post(&requests[1], &quoted);
    assert_post(
        &requests[2],
        &to_alice("reaction", json!({"message_id": INBOUND, "emoji": "👍"})),
    );
    assert_post(&requests[3], &to_alice("interactive", buttons_json()));
    assert_post(
        &requests[4],
        &to_alice(
            "text",
            json!({"body": "Anything else?", "preview_url": true}),
        ),
    );
    // The invalid list is logged with its action, message, field and reason.
    let logs = h.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("send-list"))
        .unwrap_or_else(|| panic!("no log line for the invalid list:\n{logs}"));
    assert!(line.contains("action 4"), "{line}");
    assert!(line.contains(INBOUND), "{line}");
    assert!(
        line.contains("invalid request: sections[0].rows[0].title: at most 24 characters, got 30"),
        "{line}"
    );
    assert_eq!(
        logs.lines().filter(|l| l.contains("failed")).count(),
        1,
        "only the list failed:\n{logs}"
    );
    // The read receipt is in flight while the consumer runs (which of the two the host
    // records first varies); the actions go out after both.
    let kinds = h.event_kinds();
    let position = |want: &dyn Fn(&EventKind) -> bool| kinds.iter().position(want);
    let receipt = position(&|k| matches!(k, EventKind::Graph { index: 0, .. }));
    let dispatched = position(&|k| matches!(k, EventKind::OnMessage { .. }));
    let first_action = position(&|k| matches!(k, EventKind::Graph { index: 1, .. }));
    assert!(
        receipt.is_some()
            && dispatched.is_some()
            && receipt < first_action
            && dispatched < first_action,
        "{kinds:#?}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_graph_error_in_one_action_is_logged_and_the_next_still_runs() -> anyhow::Result<()> {
    let h = consumer(|_| {
        vec![
            reply("Following up on your question", false),
            Action::React("✅".into()),
        ]
    })
    .graph(|req| {
        if req.json()["type"] == "text" {
            meta_answer(400, "error_131047_reengagement.json")
        } else {
            GraphResponse::sandbox(req)
        }
    });
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(
        requests.len(),
        3,
        "receipt, reply once (permanent), reaction"
    );
    assert_eq!(requests[1].json()["type"], "text");
    assert_eq!(requests[2].json()["reaction"]["emoji"], "✅");
    let logs = h.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("action 1 (reply)"))
        .unwrap_or_else(|| panic!("no log line for the reply:\n{logs}"));
    assert!(line.contains("Graph API error 131047"), "{line}");
    assert!(line.contains("HTTP 400"), "{line}");
    assert!(
        line.contains("AbC1dE2fG3hI4jK5lM6nO7p"),
        "fbtrace id: {line}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_empty_to_means_the_sender_for_every_kind_of_action() -> anyhow::Result<()> {
    let h = consumer(|_| {
        vec![
            text_action(" ", "text"),
            Action::SendMedia(MediaMessage {
                to: String::new(),
                kind: MediaKind::Sticker,
                source: MediaSource::Id("998877".into()),
                caption: None,
                filename: None,
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendLocation(LocationMessage {
                to: String::new(),
                latitude: 43.65,
                longitude: -79.38,
                name: Some("Toronto warehouse".into()),
                address: None,
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendContacts(ContactsMessage {
                to: String::new(),
                contacts: vec![ContactCard {
                    first_name: Some("Acme".into()),
                    ..card("Acme Support")
                }],
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendButtons(buttons_to("")),
            Action::SendList(ListMessage {
                sections: vec![ListSection {
                    title: None,
                    rows: vec![ListRow {
                        id: "fast".into(),
                        title: "Express".into(),
                        description: None,
                    }],
                }],
                ..invalid_list()
            }),
            Action::SendCtaUrl(CtaUrlMessage {
                to: String::new(),
                body: "Our shipping rates".into(),
                display_text: "See rates".into(),
                url: "https://example.com/rates".into(),
                header: None,
                footer: None,
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendTemplate(TemplateMessage {
                to: String::new(),
                name: "shipping_info".into(),
                language: "en_US".into(),
                components: vec![],
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendReaction(ReactionMessage {
                to: String::new(),
                message_id: INBOUND.into(),
                emoji: "🚚".into(),
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
        ]
    });
    deliver(&h).await?;
    let requests = h.graph_requests();
    let kinds: Vec<Value> = requests[1..]
        .iter()
        .map(|r| r.json()["type"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "text",
            "sticker",
            "location",
            "contacts",
            "interactive",
            "interactive",
            "interactive",
            "template",
            "reaction"
        ],
        "{}",
        h.logs()
    );
    for request in &requests[1..] {
        assert_eq!(request.json()["to"], ALICE, "{}", request.body_text());
    }
    assert!(!h.logs().contains("failed"), "{}", h.logs());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_explicit_recipient_is_honoured() -> anyhow::Result<()> {
    let h = consumer(|_| {
        vec![
            text_action("+55 11 98765-4321", "New order from Alice"),
            Action::SendButtons(buttons_to("+86 138 1234 5678")),
        ]
    });
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].json()["to"], "5511987654321");
    assert_eq!(requests[2].json()["to"], "8613812345678");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn reply_quotes_only_when_asked_and_honours_its_format() -> anyhow::Result<()> {
    let h = consumer(|_| {
        vec![
            reply("**not quoted**", false),
            Action::Reply(Reply {
                body: "**raw** stays".into(),
                quote: true,
                format: TextFormat::Raw,
                preview_url: true,
                biz_opaque_callback_data: None,
            }),
        ]
    });
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 3);
    assert_post(
        &requests[1],
        &to_alice(
            "text",
            json!({"body": "*not quoted*", "preview_url": false}),
        ),
    );
    let mut quoted = to_alice(
        "text",
        json!({"body": "**raw** stays", "preview_url": true}),
    );
    quoted["context"] = json!({"message_id": INBOUND});
    assert_post(&requests[2], &quoted);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_long_reply_is_split_and_only_its_first_part_quotes() -> anyhow::Result<()> {
    let body = ["A", "B"]
        .iter()
        .map(|p| format!("{p} {}", "we ship worldwide ".repeat(200).trim_end()))
        .collect::<Vec<_>>()
        .join("\n\n");
    let h = consumer(move |_| vec![reply(&body, true)]);
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 3, "receipt and two parts");
    assert_eq!(requests[1].json()["context"]["message_id"], INBOUND);
    assert!(requests[2].json().get("context").is_none());
    assert!(requests[1].json()["text"]["body"]
        .as_str()
        .is_some_and(|b| b.starts_with("A ")));
    assert!(requests[2].json()["text"]["body"]
        .as_str()
        .is_some_and(|b| b.starts_with("B ")));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn mark_read_off_suppresses_the_read_receipt() -> anyhow::Result<()> {
    let h = consumer(|_| vec![reply("Hello", true)]).env("WHATSAPP_MARK_READ", "off");
    deliver(&h).await?;
    let request = only_request(&h);
    assert_eq!(request.json()["type"], "text");
    assert!(h
        .graph_requests()
        .iter()
        .all(|r| r.json().get("status").is_none()));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn mark_read_is_on_by_default_without_typing() -> anyhow::Result<()> {
    let h = consumer(|_| vec![]);
    deliver(&h).await?;
    assert_post(&only_request(&h), &read_receipt(false));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn typing_indicator_on_adds_it_to_the_read_receipt() -> anyhow::Result<()> {
    let h = consumer(|_| vec![reply("Let me check", false)]).env("WHATSAPP_TYPING_INDICATOR", "on");
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 2);
    assert_post(&requests[0], &read_receipt(true));
    assert_eq!(requests[1].json()["type"], "text");
    Ok(())
}

/// The read receipt's round trip overlaps the consumer's work: it is sent before the
/// consumer is called, and the reply waits for its answer, so the typing indicator
/// lands before the reply does.
#[tokio::test(start_paused = true)]
async fn the_read_receipt_is_in_flight_while_the_consumer_runs_and_lands_before_the_reply(
) -> anyhow::Result<()> {
    let delay = std::time::Duration::from_millis(200);
    let h = consumer(|_| vec![reply("Let me check", false)])
        .env("WHATSAPP_TYPING_INDICATOR", "on")
        .graph(move |req| {
            if req.json()["status"] == "read" {
                GraphResponse::sandbox(req).after(delay)
            } else {
                GraphResponse::sandbox(req)
            }
        });
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 2, "{}", h.logs());
    assert_post(&requests[0], &read_receipt(true));
    assert_eq!(requests[1].json()["type"], "text");
    let receipt_sent = requests[0].at;
    let called = h.message_calls()[0].at;
    assert!(
        called < receipt_sent + delay,
        "the consumer was called at {called:?}, only after the receipt's answer ({receipt_sent:?} + {delay:?})"
    );
    assert!(
        requests[1].at >= receipt_sent + delay,
        "the reply went out at {:?}, before the receipt's answer ({receipt_sent:?} + {delay:?})",
        requests[1].at
    );
    Ok(())
}

/// With nothing to send, the receipt in flight is still awaited before the dispatch
/// ends, and its failure logged.
#[tokio::test(start_paused = true)]
async fn a_read_receipt_in_flight_is_awaited_and_its_failure_logged_when_there_is_no_reply(
) -> anyhow::Result<()> {
    let h = consumer(|_| vec![]).graph(|_| {
        meta_answer(401, "error_190_token_expired.json").after(std::time::Duration::from_millis(50))
    });
    deliver(&h).await?;
    assert_eq!(h.graph_requests().len(), 1);
    let logs = h.logs();
    assert!(
        logs.lines()
            .any(|l| l.contains("marking") && l.contains("read failed") && l.contains("190")),
        "{logs}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn explicit_mark_read_and_reaction_actions() -> anyhow::Result<()> {
    let h = consumer(|_| {
        vec![
            Action::MarkRead(ReadReceipt {
                message_id: "wamid.EARLIER".into(),
                typing: true,
                phone_number_id: None,
            }),
            Action::SendReaction(ReactionMessage {
                to: "15550123".into(),
                message_id: "wamid.OTHER".into(),
                emoji: String::new(),
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::React(String::new()),
        ]
    })
    .env("WHATSAPP_MARK_READ", "off");
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 3, "{}", h.logs());
    assert_post(
        &requests[0],
        &json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.EARLIER",
            "typing_indicator": {"type": "text"}
        }),
    );
    assert_eq!(
        requests[1].json()["reaction"],
        json!({"message_id": "wamid.OTHER", "emoji": ""})
    );
    assert_eq!(requests[1].json()["to"], "15550123");
    assert_post(
        &requests[2],
        &to_alice("reaction", json!({"message_id": INBOUND, "emoji": ""})),
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_failing_read_receipt_does_not_stop_dispatch() -> anyhow::Result<()> {
    let h = consumer(|_| vec![reply("Hello", false)]).graph(|req| {
        if req.json()["status"] == "read" {
            meta_answer(401, "error_190_token_expired.json")
        } else {
            GraphResponse::sandbox(req)
        }
    });
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(
        requests.len(),
        2,
        "receipt once (permanent), then the reply"
    );
    assert_eq!(requests[1].json()["type"], "text");
    let logs = h.logs();
    assert!(
        logs.lines()
            .any(|l| l.contains("read failed") && l.contains("Graph API error 190/463")),
        "{logs}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn without_outgoing_configuration_actions_fail_by_name() -> anyhow::Result<()> {
    let h = consumer(|_| vec![reply("Hello", true), Action::React("👍".into())])
        .without_env("WHATSAPP_ACCESS_TOKEN");
    deliver(&h).await?;
    assert!(h.graph_requests().is_empty());
    let logs = h.logs();
    for action in ["action 1 (reply)", "action 2 (react)"] {
        assert!(
            logs.lines().any(|l| l.contains(action)
                && l.contains("missing configuration: set WHATSAPP_ACCESS_TOKEN")),
            "{action}:\n{logs}"
        );
    }
    Ok(())
}

// ------------------------------------------------------------------ the chat and the number

/// Delivers a webhook fixture, signed; returns the messages the consumer received.
async fn deliver_fixture(h: &Harness, name: &str) -> anyhow::Result<Vec<Message>> {
    let r = h
        .request(HttpRequest::signed_post(
            "/",
            SECRET.as_bytes(),
            fixture_bytes("webhook", name),
        ))
        .await?;
    assert_eq!(r.status, 200, "{name}: {}", h.logs());
    Ok(h.messages())
}

/// The messages endpoint of another business number (same root URL and version).
fn messages_url_of(phone_number_id: &str) -> String {
    MESSAGES_URL.replace(PHONE_NUMBER_ID, phone_number_id)
}

fn read_receipt_of(message_id: &str) -> Value {
    json!({"messaging_product": "whatsapp", "status": "read", "message_id": message_id})
}

#[tokio::test(start_paused = true)]
async fn a_username_only_sender_is_marked_read_and_answered_at_its_user_id() -> anyhow::Result<()> {
    let h = consumer(|_| {
        vec![
            reply("Yes, the blue mug is back!", true),
            Action::React("👍".into()),
        ]
    });
    let messages = deliver_fixture(&h, "username_only_text.json").await?;
    assert_eq!(messages.len(), 1, "{}", h.logs());
    let id = messages[0].id.clone();
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 3, "{}", h.logs());
    assert_post(&requests[0], &read_receipt_of(&id));
    assert_post(
        &requests[1],
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "recipient": common::DANA_USER_ID,
            "type": "text",
            "text": {"body": "Yes, the blue mug is back!", "preview_url": false},
            "context": {"message_id": id}
        }),
    );
    assert_post(
        &requests[2],
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "recipient": common::DANA_USER_ID,
            "type": "reaction",
            "reaction": {"message_id": id, "emoji": "👍"}
        }),
    );
    for request in &requests[1..] {
        assert!(
            request.json().get("to").is_none(),
            "{}",
            request.body_text()
        );
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_reply_to_a_group_message_goes_to_the_group() -> anyhow::Result<()> {
    let h = consumer(|_| vec![reply("Pickup is at 10:00 on Friday.", true)]);
    let messages = deliver_fixture(&h, "group_text.json").await?;
    assert_eq!(messages.len(), 1, "{}", h.logs());
    let id = messages[0].id.clone();
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 2, "{}", h.logs());
    assert_post(&requests[0], &read_receipt_of(&id));
    assert_post(
        &requests[1],
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "group",
            "to": common::GROUP_ID,
            "type": "text",
            "text": {"body": "Pickup is at 10:00 on Friday.", "preview_url": false},
            "context": {"message_id": id}
        }),
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn receipts_and_replies_go_out_from_the_number_that_received_each_message(
) -> anyhow::Result<()> {
    let h = consumer(|m| {
        vec![Action::Reply(Reply {
            body: format!("Re: {}", m.text),
            quote: false,
            format: TextFormat::Raw,
            preview_url: false,
            biz_opaque_callback_data: Some(format!("number={}", m.phone_number_id)),
        })]
    });
    let messages = deliver_fixture(&h, "two_business_numbers.json").await?;
    assert_eq!(messages.len(), 2, "{}", h.logs());
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 4, "{}", h.logs());
    let first = messages_url_of(common::BUSINESS_PHONE_ID);
    let second = messages_url_of(common::SECOND_PHONE_ID);
    assert_post_to(&requests[0], &first, &read_receipt_of(&messages[0].id));
    assert_post_to(
        &requests[1],
        &first,
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": common::ALICE,
            "type": "text",
            "text": {"body": "Re: Has my order shipped yet?", "preview_url": false},
            "biz_opaque_callback_data": "number=106540352242922"
        }),
    );
    assert_post_to(&requests[2], &second, &read_receipt_of(&messages[1].id));
    assert_post_to(
        &requests[3],
        &second,
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": common::BRUNO,
            "type": "text",
            "text": {"body": "Re: Vocês entregam no sábado?", "preview_url": false},
            "biz_opaque_callback_data": "number=106540352242977"
        }),
    );
    Ok(())
}
