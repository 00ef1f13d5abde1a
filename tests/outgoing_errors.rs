//! Every way a send fails, through the real component: missing configuration and
//! requests breaking Meta's limits (nothing sent), Meta's error answers
//! (`tests/fixtures/graph/error_*.json`, served with their HTTP status), answers that
//! are not the Graph API's, and transport failures. Retries are pinned down in
//! `outgoing_retries.rs`; here only whether a failure was retried at all.
//!
//! The clock is paused everywhere: retry pauses and timeouts take no real time.

mod outgoing_support;

use std::time::Duration;

use host_test::*;
use outgoing_support::*;
use serde_json::{json, Value};

// ------------------------------------------------------------------ valid messages

fn media_message() -> MediaMessage {
    MediaMessage {
        to: ALICE.into(),
        kind: MediaKind::Image,
        source: MediaSource::Id("1183440992862314".into()),
        caption: Some("Front view".into()),
        filename: None,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn location_message() -> LocationMessage {
    LocationMessage {
        to: ALICE.into(),
        latitude: 37.4847483,
        longitude: -122.1477137,
        name: None,
        address: None,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn contacts_message() -> ContactsMessage {
    ContactsMessage {
        to: ALICE.into(),
        contacts: vec![card("Ken Watanabe")],
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn button(id: &str, title: &str) -> ReplyButton {
    ReplyButton {
        id: id.into(),
        title: title.into(),
    }
}

fn buttons_message() -> ButtonsMessage {
    ButtonsMessage {
        to: ALICE.into(),
        body: "Confirm?".into(),
        buttons: vec![button("yes", "Yes"), button("no", "No")],
        header: None,
        footer: None,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn row(id: &str) -> ListRow {
    ListRow {
        id: id.into(),
        title: format!("Row {id}"),
        description: None,
    }
}

fn list_message() -> ListMessage {
    ListMessage {
        to: ALICE.into(),
        body: "Pick one".into(),
        button: "Options".into(),
        sections: vec![ListSection {
            title: None,
            rows: vec![row("a"), row("b")],
        }],
        header: None,
        footer: None,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn cta_message() -> CtaUrlMessage {
    CtaUrlMessage {
        to: ALICE.into(),
        body: "Track your parcel".into(),
        display_text: "Track".into(),
        url: "https://example.com/track".into(),
        header: None,
        footer: None,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn template_message() -> TemplateMessage {
    TemplateMessage {
        to: ALICE.into(),
        name: "order_update".into(),
        language: "en_US".into(),
        components: vec![],
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn reaction_message() -> ReactionMessage {
    ReactionMessage {
        to: ALICE.into(),
        message_id: "wamid.IN".into(),
        emoji: "👍".into(),
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

// ---------------------------------------------------------------- missing config

/// Calls every exported function once with a valid argument; returns their errors.
async fn every_function_fails(h: &Harness) -> anyhow::Result<Vec<SendError>> {
    let o = h.outgoing();
    let text_failure = o
        .send_text(&text(ALICE, "hi", TextFormat::Markdown))
        .await?
        .expect_err("send-text without configuration");
    assert_eq!((text_failure.part, text_failure.parts), (1, 1));
    assert!(text_failure.sent.is_empty());
    Ok(vec![
        text_failure.error,
        o.send_media(&media_message())
            .await?
            .expect_err("send-media"),
        o.send_location(&location_message())
            .await?
            .expect_err("send-location"),
        o.send_contacts(&contacts_message())
            .await?
            .expect_err("send-contacts"),
        o.send_buttons(&buttons_message())
            .await?
            .expect_err("send-buttons"),
        o.send_list(&list_message()).await?.expect_err("send-list"),
        o.send_cta_url(&cta_message())
            .await?
            .expect_err("send-cta-url"),
        o.send_template(&template_message())
            .await?
            .expect_err("send-template"),
        o.react(&reaction_message()).await?.expect_err("react"),
        o.mark_read(&receipt()).await?.expect_err("mark-read"),
        o.get_self(None).await?.expect_err("get-self"),
    ])
}

#[tokio::test(start_paused = true)]
async fn missing_token_is_named_and_nothing_is_sent() -> anyhow::Result<()> {
    let h = harness().without_env("WHATSAPP_ACCESS_TOKEN");
    for error in every_function_fails(&h).await? {
        assert_eq!(
            error,
            SendError::MissingConfig(vec!["WHATSAPP_ACCESS_TOKEN".into()])
        );
    }
    assert!(h.graph_requests().is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn missing_phone_number_id_is_named_and_nothing_is_sent() -> anyhow::Result<()> {
    let h = harness().without_env("WHATSAPP_PHONE_NUMBER_ID");
    for error in every_function_fails(&h).await? {
        assert_eq!(
            error,
            SendError::MissingConfig(vec!["WHATSAPP_PHONE_NUMBER_ID".into()])
        );
    }
    assert!(h.graph_requests().is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn both_missing_or_blank_are_both_named() -> anyhow::Result<()> {
    let both = vec![
        "WHATSAPP_ACCESS_TOKEN".to_string(),
        "WHATSAPP_PHONE_NUMBER_ID".to_string(),
    ];
    let unset = harness()
        .without_env("WHATSAPP_ACCESS_TOKEN")
        .without_env("WHATSAPP_PHONE_NUMBER_ID");
    let blank = harness()
        .env("WHATSAPP_ACCESS_TOKEN", "   ")
        .env("WHATSAPP_PHONE_NUMBER_ID", "");
    for h in [unset, blank] {
        for error in every_function_fails(&h).await? {
            assert_eq!(error, SendError::MissingConfig(both.clone()));
        }
        assert!(h.graph_requests().is_empty());
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_phone_number_id_is_needed_only_by_requests_naming_no_number() -> anyhow::Result<()> {
    // Without WHATSAPP_PHONE_NUMBER_ID, a request naming its number is sent...
    let h = harness().without_env("WHATSAPP_PHONE_NUMBER_ID");
    let o = h.outgoing();
    o.send_text(&TextMessage {
        phone_number_id: Some("B".into()),
        ..text(ALICE, "hi", TextFormat::Raw)
    })
    .await?
    .expect("sent from B");
    o.get_self(Some("B")).await?.expect("profile of B");
    assert_eq!(h.graph_requests().len(), 2);
    // ... and without the token, it is told only the token is missing.
    let h = harness()
        .without_env("WHATSAPP_ACCESS_TOKEN")
        .without_env("WHATSAPP_PHONE_NUMBER_ID");
    let o = h.outgoing();
    let failure = o
        .send_text(&TextMessage {
            phone_number_id: Some("B".into()),
            ..text(ALICE, "hi", TextFormat::Raw)
        })
        .await?
        .expect_err("no token");
    assert_eq!(
        failure.error,
        SendError::MissingConfig(vec!["WHATSAPP_ACCESS_TOKEN".into()])
    );
    assert_eq!(
        o.get_self(Some("B")).await?.expect_err("no token"),
        SendError::MissingConfig(vec!["WHATSAPP_ACCESS_TOKEN".into()])
    );
    assert!(h.graph_requests().is_empty());
    Ok(())
}

// ------------------------------------------------------------------- Meta's limits

/// Asserts an invalid request on `field` and that nothing reached the Graph API.
#[track_caller]
fn rejected(h: &Harness, result: Result<Sent, SendError>, field: &str) {
    let error = invalid(result);
    assert_eq!(error.field, field, "reason: {}", error.reason);
    assert!(!error.reason.is_empty());
    assert!(
        h.graph_requests().is_empty(),
        "{field}: a request was sent anyway"
    );
}

#[tokio::test(start_paused = true)]
async fn text_limits() -> anyhow::Result<()> {
    let h = harness();
    let o = h.outgoing();
    for (message, field) in [
        (text(ALICE, "", TextFormat::Markdown), "body"),
        (text(ALICE, " \n\t ", TextFormat::Raw), "body"),
        (text("", "hi", TextFormat::Raw), "to"),
        (text("not a number", "hi", TextFormat::Raw), "to"),
        (text("+1 650 555 12ab", "hi", TextFormat::Raw), "to"),
    ] {
        let failure = o.send_text(&message).await?.expect_err("invalid");
        assert_eq!((failure.part, failure.parts), (1, 1));
        rejected(&h, Err(failure.error), field);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn buttons_limits() -> anyhow::Result<()> {
    let h = harness();
    let o = h.outgoing();
    let four = ButtonsMessage {
        buttons: vec![
            button("a", "A"),
            button("b", "B"),
            button("c", "C"),
            button("d", "D"),
        ],
        ..buttons_message()
    };
    let error = invalid(o.send_buttons(&four).await?);
    assert_eq!(
        (error.field.as_str(), error.reason.as_str()),
        ("buttons", "at most 3 buttons, got 4")
    );
    let long_title = ButtonsMessage {
        buttons: vec![button("a", "A"), button("b", "Twenty-one characters")],
        ..buttons_message()
    };
    let error = invalid(o.send_buttons(&long_title).await?);
    assert_eq!(
        (error.field.as_str(), error.reason.as_str()),
        ("buttons[1].title", "at most 20 characters, got 21")
    );
    let duplicate = ButtonsMessage {
        buttons: vec![
            button("same", "A"),
            button("other", "B"),
            button("same", "C"),
        ],
        ..buttons_message()
    };
    rejected(&h, o.send_buttons(&duplicate).await?, "buttons[2].id");
    let none = ButtonsMessage {
        buttons: vec![],
        ..buttons_message()
    };
    rejected(&h, o.send_buttons(&none).await?, "buttons");
    let long_id = ButtonsMessage {
        buttons: vec![button(&"i".repeat(257), "A")],
        ..buttons_message()
    };
    rejected(&h, o.send_buttons(&long_id).await?, "buttons[0].id");
    let empty_title = ButtonsMessage {
        buttons: vec![button("a", " ")],
        ..buttons_message()
    };
    rejected(&h, o.send_buttons(&empty_title).await?, "buttons[0].title");
    let long_body = ButtonsMessage {
        body: "b".repeat(1025),
        ..buttons_message()
    };
    rejected(&h, o.send_buttons(&long_body).await?, "body");
    let long_footer = ButtonsMessage {
        footer: Some("f".repeat(61)),
        ..buttons_message()
    };
    rejected(&h, o.send_buttons(&long_footer).await?, "footer");
    let long_header = ButtonsMessage {
        header: Some(InteractiveHeader::Text("h".repeat(61))),
        ..buttons_message()
    };
    rejected(&h, o.send_buttons(&long_header).await?, "header");
    let bad_link = ButtonsMessage {
        header: Some(InteractiveHeader::Image(MediaSource::Link(
            "ftp://example.com/a.png".into(),
        ))),
        ..buttons_message()
    };
    rejected(&h, o.send_buttons(&bad_link).await?, "header.link");
    let bad_to = ButtonsMessage {
        to: "alice".into(),
        ..buttons_message()
    };
    rejected(&h, o.send_buttons(&bad_to).await?, "to");
    // Limits count characters, not bytes: 20 accented letters are fine.
    let accented = ButtonsMessage {
        buttons: vec![button("a", &"é".repeat(20))],
        ..buttons_message()
    };
    o.send_buttons(&accented).await?.expect("20 characters fit");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn list_limits() -> anyhow::Result<()> {
    let h = harness();
    let o = h.outgoing();
    let eleven_rows = ListMessage {
        sections: vec![ListSection {
            title: None,
            rows: (0..11).map(|n| row(&n.to_string())).collect(),
        }],
        ..list_message()
    };
    let error = invalid(o.send_list(&eleven_rows).await?);
    assert_eq!(error.field, "sections");
    assert!(error.reason.contains("10"), "{}", error.reason);
    let eleven_sections = ListMessage {
        sections: (0..11)
            .map(|n| ListSection {
                title: Some(format!("S{n}")),
                rows: vec![row(&n.to_string())],
            })
            .collect(),
        ..list_message()
    };
    rejected(&h, o.send_list(&eleven_sections).await?, "sections");
    let no_sections = ListMessage {
        sections: vec![],
        ..list_message()
    };
    rejected(&h, o.send_list(&no_sections).await?, "sections");
    let empty_section = ListMessage {
        sections: vec![ListSection {
            title: None,
            rows: vec![],
        }],
        ..list_message()
    };
    rejected(&h, o.send_list(&empty_section).await?, "sections[0].rows");
    let untitled = ListMessage {
        sections: vec![
            ListSection {
                title: Some("First".into()),
                rows: vec![row("a")],
            },
            ListSection {
                title: None,
                rows: vec![row("b")],
            },
        ],
        ..list_message()
    };
    rejected(&h, o.send_list(&untitled).await?, "sections[1].title");
    let duplicate = ListMessage {
        sections: vec![
            ListSection {
                title: Some("First".into()),
                rows: vec![row("a")],
            },
            ListSection {
                title: Some("Second".into()),
                rows: vec![row("b"), row("a")],
            },
        ],
        ..list_message()
    };
    rejected(&h, o.send_list(&duplicate).await?, "sections[1].rows[1].id");
    let long_row_title = ListMessage {
        sections: vec![ListSection {
            title: None,
            rows: vec![ListRow {
                title: "t".repeat(25),
                ..row("a")
            }],
        }],
        ..list_message()
    };
    rejected(
        &h,
        o.send_list(&long_row_title).await?,
        "sections[0].rows[0].title",
    );
    let long_description = ListMessage {
        sections: vec![ListSection {
            title: None,
            rows: vec![ListRow {
                description: Some("d".repeat(73)),
                ..row("a")
            }],
        }],
        ..list_message()
    };
    rejected(
        &h,
        o.send_list(&long_description).await?,
        "sections[0].rows[0].description",
    );
    let long_button = ListMessage {
        button: "b".repeat(21),
        ..list_message()
    };
    rejected(&h, o.send_list(&long_button).await?, "button");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn cta_url_limits() -> anyhow::Result<()> {
    let h = harness();
    let o = h.outgoing();
    let long_text = CtaUrlMessage {
        display_text: "Track my parcel today".into(),
        ..cta_message()
    };
    let error = invalid(o.send_cta_url(&long_text).await?);
    assert_eq!(
        (error.field.as_str(), error.reason.as_str()),
        ("display-text", "at most 20 characters, got 21")
    );
    for url in [
        "",
        "example.com/track",
        "javascript:alert(1)",
        "https://a b",
    ] {
        let bad = CtaUrlMessage {
            url: url.into(),
            ..cta_message()
        };
        rejected(&h, o.send_cta_url(&bad).await?, "url");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn media_limits() -> anyhow::Result<()> {
    let h = harness();
    let o = h.outgoing();
    let long_caption = MediaMessage {
        caption: Some("c".repeat(1025)),
        ..media_message()
    };
    let error = invalid(o.send_media(&long_caption).await?);
    assert_eq!(
        (error.field.as_str(), error.reason.as_str()),
        ("caption", "at most 1024 characters, got 1025")
    );
    for kind in [MediaKind::Audio, MediaKind::Sticker] {
        let captioned = MediaMessage {
            kind,
            ..media_message()
        };
        rejected(&h, o.send_media(&captioned).await?, "caption");
    }
    let named_image = MediaMessage {
        filename: Some("a.png".into()),
        ..media_message()
    };
    rejected(&h, o.send_media(&named_image).await?, "filename");
    let empty_id = MediaMessage {
        source: MediaSource::Id(" ".into()),
        ..media_message()
    };
    rejected(&h, o.send_media(&empty_id).await?, "source.id");
    let bad_link = MediaMessage {
        source: MediaSource::Link("/local/file.png".into()),
        ..media_message()
    };
    rejected(&h, o.send_media(&bad_link).await?, "source.link");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn location_limits() -> anyhow::Result<()> {
    let h = harness();
    let o = h.outgoing();
    for (latitude, longitude, field) in [
        (90.000001, 0.0, "latitude"),
        (-91.0, 0.0, "latitude"),
        (f64::NAN, 0.0, "latitude"),
        (0.0, 180.5, "longitude"),
        (0.0, -181.0, "longitude"),
        (0.0, f64::INFINITY, "longitude"),
    ] {
        let bad = LocationMessage {
            latitude,
            longitude,
            ..location_message()
        };
        rejected(&h, o.send_location(&bad).await?, field);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn contacts_limits() -> anyhow::Result<()> {
    let h = harness();
    let o = h.outgoing();
    let empty = ContactsMessage {
        contacts: vec![],
        ..contacts_message()
    };
    let error = invalid(o.send_contacts(&empty).await?);
    assert_eq!(error.field, "contacts");
    let nameless = ContactsMessage {
        contacts: vec![card("Ken"), card("  ")],
        ..contacts_message()
    };
    rejected(
        &h,
        o.send_contacts(&nameless).await?,
        "contacts[1].formatted-name",
    );
    let bad_birthday = ContactsMessage {
        contacts: vec![ContactCard {
            birthday: Some("12/04/1985".into()),
            vcard: None,
            ..card("Ken")
        }],
        ..contacts_message()
    };
    rejected(
        &h,
        o.send_contacts(&bad_birthday).await?,
        "contacts[0].birthday",
    );
    let empty_phone = ContactsMessage {
        contacts: vec![ContactCard {
            phones: vec![ContactPhone {
                phone: "".into(),
                wa_id: None,
                kind: None,
            }],
            ..card("Ken")
        }],
        ..contacts_message()
    };
    rejected(
        &h,
        o.send_contacts(&empty_phone).await?,
        "contacts[0].phones[0].phone",
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn template_reaction_and_receipt_limits() -> anyhow::Result<()> {
    let h = harness();
    let o = h.outgoing();
    let nameless = TemplateMessage {
        name: " ".into(),
        ..template_message()
    };
    rejected(&h, o.send_template(&nameless).await?, "name");
    let no_language = TemplateMessage {
        language: "".into(),
        ..template_message()
    };
    rejected(&h, o.send_template(&no_language).await?, "language");
    let media_in_body = TemplateMessage {
        components: vec![TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: vec![
                positional(TemplateValue::Text("ok".into())),
                positional(TemplateValue::Image(MediaSource::Id("1".into()))),
            ],
        }],
        ..template_message()
    };
    rejected(
        &h,
        o.send_template(&media_in_body).await?,
        "components[0].parameters[1]",
    );
    let button_index = TemplateMessage {
        components: vec![TemplateComponent {
            kind: TemplateComponentKind::UrlButton(10),
            parameters: vec![positional(TemplateValue::Text("x".into()))],
        }],
        ..template_message()
    };
    rejected(
        &h,
        o.send_template(&button_index).await?,
        "components[0].kind",
    );
    let two_headers = TemplateMessage {
        components: vec![TemplateComponent {
            kind: TemplateComponentKind::Header,
            parameters: vec![
                positional(TemplateValue::Text("a".into())),
                positional(TemplateValue::Text("b".into())),
            ],
        }],
        ..template_message()
    };
    rejected(
        &h,
        o.send_template(&two_headers).await?,
        "components[0].parameters",
    );
    let no_message = ReactionMessage {
        message_id: "".into(),
        ..reaction_message()
    };
    rejected(&h, o.react(&no_message).await?, "message-id");
    let bad_to = ReactionMessage {
        to: "+".into(),
        ..reaction_message()
    };
    rejected(&h, o.react(&bad_to).await?, "to");
    let error = o
        .mark_read(&ReadReceipt {
            message_id: " ".into(),
            typing: true,
            phone_number_id: None,
        })
        .await?
        .expect_err("blank message id");
    match error {
        SendError::InvalidRequest(i) => assert_eq!(i.field, "message-id"),
        other => panic!("{other:?}"),
    }
    assert!(h.graph_requests().is_empty());
    Ok(())
}

// ------------------------------------------------------------------- Graph errors

/// (fixture, HTTP status Meta answers it with, retryable)
const GRAPH_ERRORS: &[(&str, u16, bool)] = &[
    ("error_130429_throughput.json", 400, true),
    ("error_131056_pair_rate.json", 400, true),
    ("error_131047_reengagement.json", 400, false),
    ("error_190_token_expired.json", 401, false),
    ("error_100_invalid_parameter.json", 400, false),
    ("error_131026_undeliverable.json", 400, false),
    ("error_131000_generic.json", 500, true),
    ("error_4_app_rate_limit.json", 400, true),
    ("error_131009_parameter_value.json", 400, false),
    ("error_132001_template_missing.json", 404, false),
];

/// The Graph error the component should report for a fixture, read from the fixture.
fn expected_graph_error(name: &str, status: u16, retryable: bool) -> GraphError {
    let fixture = graph_fixture(name);
    let e = &fixture["error"];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    GraphError {
        http_status: status,
        code: e["code"].as_i64().expect("code"),
        subcode: e["error_subcode"].as_i64(),
        kind: text(&e["type"]).expect("type"),
        message: text(&e["message"]).expect("message"),
        details: text(&e["error_data"]["details"]),
        fbtrace_id: text(&e["fbtrace_id"]),
        retryable,
    }
}

#[tokio::test(start_paused = true)]
async fn each_graph_error_is_reported_with_its_fields() -> anyhow::Result<()> {
    for &(name, status, retryable) in GRAPH_ERRORS {
        let h = harness().graph(move |_| meta_answer(status, name));
        let error = graph_error(h.outgoing().send_media(&media_message()).await?);
        assert_eq!(
            error,
            expected_graph_error(name, status, retryable),
            "{name}"
        );
        let attempts = h.graph_requests().len();
        if retryable {
            assert!(
                attempts > 1,
                "{name}: retryable but sent {attempts} time(s)"
            );
        } else {
            assert_eq!(attempts, 1, "{name}: a permanent error was retried");
        }
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn graph_error_fields_spelled_out() -> anyhow::Result<()> {
    let h = harness().graph(|_| meta_answer(401, "error_190_token_expired.json"));
    let error = graph_error(h.outgoing().get_self(None).await?);
    assert_eq!(
        error,
        GraphError {
            http_status: 401,
            code: 190,
            subcode: Some(463),
            kind: "OAuthException".into(),
            message: "Error validating access token: Session has expired on Wednesday, \
                      20-Nov-24 16:00:00 PST. The current time is Thursday, 21-Nov-24 \
                      01:23:45 PST."
                .into(),
            details: None,
            fbtrace_id: Some("H7qL2mXn9Pz".into()),
            retryable: false,
        }
    );
    let h = harness().graph(|_| meta_answer(404, "error_132001_template_missing.json"));
    let error = graph_error(h.outgoing().send_template(&template_message()).await?);
    assert_eq!(error.http_status, 404);
    assert_eq!(error.code, 132001);
    assert_eq!(error.subcode, None);
    assert_eq!(
        error.details.as_deref(),
        Some("template name (order_update) does not exist in en_US")
    );
    assert_eq!(error.fbtrace_id.as_deref(), Some("AsD1fG2hJ3kL4zX5cV6bN7m"));
    assert!(!error.retryable);
    assert_eq!(h.graph_requests().len(), 1);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn graph_errors_reach_every_function() -> anyhow::Result<()> {
    let h = harness().graph(|_| meta_answer(400, "error_100_invalid_parameter.json"));
    let want = expected_graph_error("error_100_invalid_parameter.json", 400, false);
    let errors = every_function_fails(&h).await?;
    assert_eq!(errors.len(), 11);
    for error in errors {
        assert_eq!(error, SendError::Graph(want.clone()));
    }
    assert_eq!(h.graph_requests().len(), 11, "each sent once");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_text_failure_reports_the_graph_error() -> anyhow::Result<()> {
    let h = harness().graph(|_| meta_answer(400, "error_131047_reengagement.json"));
    let failure = h
        .outgoing()
        .send_text(&text(ALICE, "Are you still there?", TextFormat::Markdown))
        .await?
        .expect_err("outside the window");
    assert_eq!(
        failure,
        TextFailure {
            error: SendError::Graph(expected_graph_error(
                "error_131047_reengagement.json",
                400,
                false
            )),
            part: 1,
            parts: 1,
            sent: vec![],
        }
    );
    Ok(())
}

// ------------------------------------------------------------------ bad responses

#[tokio::test(start_paused = true)]
async fn a_non_json_502_is_a_bad_response_and_retried() -> anyhow::Result<()> {
    let h = harness().graph(|_| {
        GraphResponse::bytes(
            502,
            "text/html",
            b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
        )
    });
    let error = bad_response(h.outgoing().send_media(&media_message()).await?);
    assert_eq!(error.http_status, 502);
    assert_eq!(error.content_type.as_deref(), Some("text/html"));
    assert!(error.reason.contains("not JSON"), "{}", error.reason);
    assert!(
        !error.reason.contains("Bad Gateway"),
        "the body is not quoted"
    );
    assert_eq!(
        h.graph_requests().len(),
        4,
        "a 5xx is retried up to 4 attempts"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_2xx_without_a_message_id_is_a_bad_response_not_retried() -> anyhow::Result<()> {
    let h = harness().graph(|_| {
        GraphResponse::json(
            200,
            json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": ALICE, "wa_id": ALICE}],
                "messages": []
            }),
        )
    });
    let error = bad_response(h.outgoing().send_buttons(&buttons_message()).await?);
    assert_eq!(
        error,
        BadResponse {
            http_status: 200,
            content_type: Some("application/json".into()),
            reason: "no message id".into(),
        }
    );
    // Meta may have accepted it: sending again could deliver it twice.
    assert_eq!(h.graph_requests().len(), 1);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn other_unexpected_answers_are_bad_responses() -> anyhow::Result<()> {
    let cases = [
        (GraphResponse::text(200, "OK"), 200, "not JSON", 1),
        (GraphResponse::empty(200), 200, "empty body", 1),
        (
            GraphResponse::json(403, json!({"message": "Forbidden"})),
            403,
            "without a Graph API error object",
            1,
        ),
        (GraphResponse::empty(503), 503, "empty body", 4),
    ];
    for (answer, status, reason, attempts) in cases {
        let h = harness().graph(move |_| answer.clone());
        let error = bad_response(h.outgoing().react(&reaction_message()).await?);
        assert_eq!(error.http_status, status);
        assert!(error.reason.contains(reason), "{status}: {}", error.reason);
        assert_eq!(h.graph_requests().len(), attempts, "{status} {reason}");
    }
    // A read receipt must be acknowledged with success: true.
    let h = harness().graph(|_| GraphResponse::json(200, json!({"success": false})));
    let error = bad_response(h.outgoing().mark_read(&receipt()).await?);
    assert_eq!(error.http_status, 200);
    assert!(error.reason.contains("success"), "{}", error.reason);
    // A profile needs its id.
    let h = harness().graph(|_| GraphResponse::json(200, json!({"verified_name": "X"})));
    let error = bad_response(h.outgoing().get_self(None).await?);
    assert_eq!(error.http_status, 200);
    Ok(())
}

// ------------------------------------------------------------------ transport

#[tokio::test(start_paused = true)]
async fn connection_refused_is_retried_then_reported() -> anyhow::Result<()> {
    let h = harness().graph(|_| GraphResponse::connection_refused());
    let failure = h
        .outgoing()
        .send_text(&text(ALICE, "hi", TextFormat::Raw))
        .await?
        .expect_err("nobody listens");
    assert_eq!((failure.part, failure.parts), (1, 1));
    let error = transport_error(Err::<(), _>(failure.error));
    assert_eq!(error.kind, TransportKind::ConnectionRefused);
    assert_eq!(error.detail, "connection refused");
    assert_eq!(
        h.graph_requests().len(),
        4,
        "a refused connection never reached Meta: retried"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn dns_failure_is_retried_then_reported() -> anyhow::Result<()> {
    let h = harness().graph(|_| GraphResponse::error(ErrorCode::DnsTimeout));
    let error = transport_error(h.outgoing().send_media(&media_message()).await?);
    assert_eq!(error.kind, TransportKind::Dns);
    assert_eq!(h.graph_requests().len(), 4);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_send_that_hangs_times_out_and_is_not_retried() -> anyhow::Result<()> {
    let h = harness().graph(|_| GraphResponse::Hang);
    let failure = h
        .outgoing()
        .send_text(&text(ALICE, "hi", TextFormat::Raw))
        .await?
        .expect_err("no answer");
    let error = transport_error(Err::<(), _>(failure.error));
    assert_eq!(error.kind, TransportKind::Timeout);
    // Meta may have accepted the message before the answer was lost.
    assert_eq!(
        h.graph_requests().len(),
        1,
        "a send is never retried after a read timeout"
    );
    let timeout = h.graph_requests()[0]
        .options
        .first_byte_timeout
        .expect("first-byte timeout");
    assert!(h.elapsed() >= timeout, "gave up after {:?}", h.elapsed());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_answer_later_than_the_first_byte_timeout_is_a_timeout() -> anyhow::Result<()> {
    let h = harness().graph(|req| {
        let timeout = req.options.first_byte_timeout.expect("first-byte timeout");
        meta_answer(200, "send_success.json").after(timeout + Duration::from_secs(1))
    });
    let error = transport_error(h.outgoing().send_location(&location_message()).await?);
    assert_eq!(error.kind, TransportKind::Timeout);
    assert_eq!(h.graph_requests().len(), 1);
    // A slow answer within the timeout is fine.
    let h =
        harness().graph(|_| meta_answer(200, "send_success.json").after(Duration::from_secs(5)));
    let sent = h.outgoing().send_location(&location_message()).await?;
    assert_eq!(sent.map(|s| s.message_ids), Ok(vec![SENT_ID.to_string()]));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_dropped_connection_on_a_send_is_not_retried() -> anyhow::Result<()> {
    for code in [
        ErrorCode::ConnectionReadTimeout,
        ErrorCode::ConnectionTerminated,
        ErrorCode::HttpResponseTimeout,
    ] {
        // The failure comes at once, well within the retry budget: only the kind of
        // failure keeps these sends from being repeated.
        let answer = code.clone();
        let h = harness().graph(move |_| GraphResponse::error(answer.clone()));
        let error = transport_error(h.outgoing().send_buttons(&buttons_message()).await?);
        assert_ne!(error.kind, TransportKind::ConnectionRefused);
        let failure = h
            .outgoing()
            .send_text(&text(ALICE, "hi", TextFormat::Raw))
            .await?
            .expect_err("no answer");
        assert!(
            matches!(failure.error, SendError::Transport(_)),
            "{failure:?}"
        );
        let error = transport_error(h.outgoing().react(&reaction_message()).await?);
        assert_ne!(error.kind, TransportKind::ConnectionRefused);
        assert_eq!(h.graph_requests().len(), 3, "{code:?}: each send made once");
        assert_eq!(h.elapsed(), Duration::ZERO, "{code:?}: no pause");
    }
    Ok(())
}

/// A stand-in that fails the first request with `first` and answers the rest with
/// Meta's fixture for the request.
fn fail_once_then_answer(first: GraphResponse) -> impl Fn(&GraphRequest) -> GraphResponse {
    move |req| {
        if req.index == 0 {
            first.clone()
        } else if req.method == "GET" {
            meta_answer(200, "phone_number.json")
        } else {
            meta_answer(200, "mark_read_success.json")
        }
    }
}

#[tokio::test(start_paused = true)]
async fn mark_read_and_get_self_are_retried_after_a_read_timeout() -> anyhow::Result<()> {
    let timeout = || GraphResponse::error(ErrorCode::ConnectionReadTimeout);
    let h = harness().graph(fail_once_then_answer(timeout()));
    assert_eq!(h.outgoing().mark_read(&receipt()).await?, Ok(()));
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 2, "marking read twice is harmless: retried");
    assert_eq!(requests[0].body, requests[1].body);

    let h = harness().graph(fail_once_then_answer(timeout()));
    let profile = h.outgoing().get_self(None).await?.expect("retried");
    assert_eq!(profile.id, PHONE_NUMBER_ID);
    assert_eq!(h.graph_requests().len(), 2);
    Ok(())
}

/// A read receipt whose answer never comes times out after the first-byte timeout
/// (10 s) and, being idempotent, is tried again within the retry budget (20 s).
#[tokio::test(start_paused = true)]
async fn mark_read_is_retried_after_the_graph_api_hangs() -> anyhow::Result<()> {
    let h = harness().graph(fail_once_then_answer(GraphResponse::Hang));
    let done = h.outgoing().mark_read(&receipt()).await?;
    assert_eq!(done, Ok(()), "logs:\n{}", h.logs());
    assert_eq!(h.graph_requests().len(), 2);
    Ok(())
}
