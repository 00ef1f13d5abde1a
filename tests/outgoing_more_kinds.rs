//! Voice notes, location requests and flow messages through the real component: the
//! exact request each `send-voice`, `send-location-request` and `send-flow` action
//! makes (method, URL, headers, whole JSON body), and every kind of limit refused before
//! sending (no request made, the field and reason logged). Driven by a signed webhook
//! (`tests/fixtures/webhook/text.json`, from Alice) and a scripted consumer, like
//! `consumer_actions.rs`.

mod outgoing_support;

use host_test::*;
use outgoing_support::*;
use serde_json::{json, Value};

const SECRET: &str = "test-app-secret";
/// The id of the inbound message in `text.json`.
const INBOUND: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA=";

/// A harness that sends, with the webhook's App Secret and this consumer. The Graph API
/// stand-in accepts read receipts and answers every other message with Meta's
/// `send_success.json`.
fn consumer(actions: impl Fn(&Message) -> Vec<Action> + Send + Sync + 'static) -> Harness {
    harness()
        .env("WHATSAPP_APP_SECRET", SECRET)
        .on_message(actions)
        .graph(|request| {
            if request.json()["status"] == "read" {
                GraphResponse::json(200, json!({"success": true}))
            } else {
                meta_answer(200, "send_success.json")
            }
        })
}

/// Delivers `text.json`, signed; asserts the acknowledgement and the one dispatch.
async fn deliver(h: &Harness) -> anyhow::Result<()> {
    let body = fixture_bytes("webhook", "text.json");
    let r = h
        .request(HttpRequest::signed_post("/", SECRET.as_bytes(), &body))
        .await?;
    assert_eq!(r.status, 200, "{}", h.logs());
    assert_eq!(h.message_calls().len(), 1, "{}", h.logs());
    Ok(())
}

/// The envelope of a message to Alice, with `kind`'s payload.
fn to_alice(kind: &str, payload: Value) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": ALICE,
        "type": kind,
        kind: payload
    })
}

fn voice(to: &str, source: MediaSource) -> VoiceMessage {
    VoiceMessage {
        to: to.into(),
        source,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn location_request(body: &str) -> LocationRequestMessage {
    LocationRequestMessage {
        to: String::new(),
        body: body.into(),
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn navigate(screen: &str, data: Option<&str>) -> FlowAction {
    FlowAction::Navigate(FlowNavigate {
        screen: screen.into(),
        data_json: data.map(String::from),
    })
}

fn flow(action: FlowAction) -> FlowMessage {
    FlowMessage {
        to: String::new(),
        flow: FlowRef::Id("1234567890123456".into()),
        flow_token: "booking-77".into(),
        cta: "Book a table".into(),
        body: "Reserve in two taps".into(),
        header: None,
        footer: None,
        action,
        draft: false,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

#[tokio::test(start_paused = true)]
async fn voice_location_request_and_flow_actions_post_their_exact_requests() -> anyhow::Result<()> {
    let h = consumer(|_| {
        vec![
            Action::SendVoice(voice("", MediaSource::Id("1183440992862314".into()))),
            Action::SendVoice(VoiceMessage {
                reply_to: Some(INBOUND.into()),
                biz_opaque_callback_data: Some("voice-1".into()),
                ..voice(
                    "+1 650 555 1234",
                    MediaSource::Link("https://cdn.example.com/notes/hello.ogg".into()),
                )
            }),
            Action::SendLocationRequest(location_request("Where should we deliver?")),
            Action::SendFlow(FlowMessage {
                header: Some("Bistro".into()),
                footer: Some("Open 12-23".into()),
                ..flow(navigate(
                    "PICK_DATE",
                    Some(r#"{"guests": 2, "tags": ["window"]}"#),
                ))
            }),
            Action::SendFlow(FlowMessage {
                to: "US.13491208655302741918".into(),
                flow: FlowRef::Name("table_booking".into()),
                draft: true,
                ..flow(FlowAction::DataExchange)
            }),
        ]
    });
    deliver(&h).await?;
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 6, "{}", h.logs());
    // requests[0] is the automatic read receipt.
    assert_post(
        &requests[1],
        &to_alice("audio", json!({"id": "1183440992862314", "voice": true})),
    );
    let mut quoted = to_alice(
        "audio",
        json!({"link": "https://cdn.example.com/notes/hello.ogg", "voice": true}),
    );
    quoted["context"] = json!({"message_id": INBOUND});
    quoted["biz_opaque_callback_data"] = json!("voice-1");
    assert_post(&requests[2], &quoted);
    assert_post(
        &requests[3],
        &to_alice(
            "interactive",
            json!({
                "type": "location_request_message",
                "body": {"text": "Where should we deliver?"},
                "action": {"name": "send_location"}
            }),
        ),
    );
    assert_post(
        &requests[4],
        &to_alice(
            "interactive",
            json!({
                "type": "flow",
                "header": {"type": "text", "text": "Bistro"},
                "body": {"text": "Reserve in two taps"},
                "footer": {"text": "Open 12-23"},
                "action": {
                    "name": "flow",
                    "parameters": {
                        "flow_message_version": "3",
                        "flow_token": "booking-77",
                        "flow_id": "1234567890123456",
                        "flow_cta": "Book a table",
                        "flow_action": "navigate",
                        "flow_action_payload": {
                            "screen": "PICK_DATE",
                            "data": {"guests": 2, "tags": ["window"]}
                        }
                    }
                }
            }),
        ),
    );
    assert_post(
        &requests[5],
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "recipient": "US.13491208655302741918",
            "type": "interactive",
            "interactive": {
                "type": "flow",
                "body": {"text": "Reserve in two taps"},
                "action": {
                    "name": "flow",
                    "parameters": {
                        "flow_message_version": "3",
                        "flow_token": "booking-77",
                        "flow_name": "table_booking",
                        "flow_cta": "Book a table",
                        "flow_action": "data_exchange",
                        "mode": "draft"
                    }
                }
            }
        }),
    );
    assert!(!h.logs().contains("failed"), "{}", h.logs());
    Ok(())
}

/// One action per kind of limit, each broken: `(action, the log's "field: reason")`.
fn broken_actions() -> Vec<(Action, &'static str)> {
    let cta = |cta: &str| {
        Action::SendFlow(FlowMessage {
            cta: cta.into(),
            ..flow(FlowAction::DataExchange)
        })
    };
    let data = |text: &str| Action::SendFlow(flow(navigate("START", Some(text))));
    vec![
        (
            Action::SendVoice(voice(
                "",
                MediaSource::Link("ftp://cdn.example.com/a.ogg".into()),
            )),
            "source.link: must be an http:// or https:// URL without spaces",
        ),
        (
            Action::SendVoice(voice("", MediaSource::Id(" ".into()))),
            "source.id: must not be empty",
        ),
        (
            Action::SendLocationRequest(location_request(&"x".repeat(1025))),
            "body: at most 1024 characters, got 1025",
        ),
        (
            Action::SendLocationRequest(location_request("  ")),
            "body: must not be empty",
        ),
        (
            cta("Book a table for four"),
            "cta: at most 20 characters, got 21",
        ),
        (cta("Book now 🍽"), "cta: must not contain emoji"),
        (
            Action::SendFlow(FlowMessage {
                body: "x".repeat(1025),
                ..flow(FlowAction::DataExchange)
            }),
            "body: at most 1024 characters, got 1025",
        ),
        (
            Action::SendFlow(FlowMessage {
                header: Some("h".repeat(61)),
                ..flow(FlowAction::DataExchange)
            }),
            "header: at most 60 characters, got 61",
        ),
        (
            Action::SendFlow(FlowMessage {
                footer: Some("f".repeat(61)),
                ..flow(FlowAction::DataExchange)
            }),
            "footer: at most 60 characters, got 61",
        ),
        (
            Action::SendFlow(FlowMessage {
                flow_token: String::new(),
                ..flow(FlowAction::DataExchange)
            }),
            "flow-token: must not be empty",
        ),
        (
            Action::SendFlow(FlowMessage {
                flow: FlowRef::Name(" ".into()),
                ..flow(FlowAction::DataExchange)
            }),
            "flow.name: must not be empty",
        ),
        (
            Action::SendFlow(flow(navigate("", None))),
            "action.screen: must not be empty",
        ),
        (
            data("{guests: 2}"),
            "action.data-json: must be a JSON object, got text that is not JSON",
        ),
        (
            data("[2]"),
            "action.data-json: must be a JSON object, got another JSON value",
        ),
        (
            data("{}"),
            "action.data-json: must be a non-empty JSON object",
        ),
    ]
}

#[tokio::test(start_paused = true)]
async fn every_kind_of_limit_is_refused_before_sending() -> anyhow::Result<()> {
    let cases = broken_actions();
    let actions: Vec<Action> = cases.iter().map(|(a, _)| a.clone()).collect();
    let h = consumer(move |_| actions.clone());
    deliver(&h).await?;
    // Only the automatic read receipt reached the Graph API.
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 1, "{}", h.logs());
    assert_eq!(requests[0].json()["status"], "read");
    let logs = h.logs();
    for (n, (action, want)) in cases.iter().enumerate() {
        let name = match action {
            Action::SendVoice(_) => "send-voice",
            Action::SendLocationRequest(_) => "send-location-request",
            Action::SendFlow(_) => "send-flow",
            _ => unreachable!(),
        };
        let position = format!("action {}", n + 1);
        let line = logs
            .lines()
            .find(|l| l.contains(&format!("{position} ")) || l.contains(&format!("{position}:")))
            .filter(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no log line for {position} ({name}):\n{logs}"));
        assert!(
            line.contains(&format!("invalid request: {want}")),
            "{position}: {line}"
        );
    }
    Ok(())
}
