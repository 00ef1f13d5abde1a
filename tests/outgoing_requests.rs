//! What the exported `outgoing` functions send to the Graph API, through the real
//! component: for every kind of message the exact JSON body (compared whole), the
//! method, URL and headers, and what the caller gets back from Meta's answer
//! (`tests/fixtures/graph/*.json`).

mod outgoing_support;

use host_test::*;
use outgoing_support::*;
use serde_json::json;

/// A harness whose Graph API stand-in answers every message POST with Meta's
/// `send_success.json`.
fn accepting() -> Harness {
    harness().graph(|_| meta_answer(200, "send_success.json"))
}

/// What the component returns for Meta's `send_success.json`.
fn sent_from_fixture() -> Sent {
    Sent {
        message_ids: vec![SENT_ID.to_string()],
        wa_id: Some(ALICE.to_string()),
        user_id: None,
    }
}

// ---------------------------------------------------------------------------- text

#[tokio::test]
async fn text_is_posted_with_the_bearer_token_preview_and_quote() -> anyhow::Result<()> {
    let h = accepting();
    let sent = h
        .outgoing()
        .send_text(&TextMessage {
            to: "+1 (650) 555-1234".into(),
            body: "Yes, we ship to Canada: https://example.com/shipping".into(),
            format: TextFormat::Raw,
            preview_url: true,
            reply_to: Some("wamid.INBOUND".into()),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?;
    assert_eq!(sent, Ok(sent_from_fixture()));
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "text",
            "text": {
                "body": "Yes, we ship to Canada: https://example.com/shipping",
                "preview_url": true
            },
            "context": {"message_id": "wamid.INBOUND"}
        }),
    );
    Ok(())
}

#[tokio::test]
async fn text_without_quote_has_no_context_and_preview_false() -> anyhow::Result<()> {
    let h = accepting();
    let sent = h
        .outgoing()
        .send_text(&text("16505551234", "Hello", TextFormat::Markdown))
        .await?;
    assert_eq!(sent, Ok(sent_from_fixture()));
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "text",
            "text": {"body": "Hello", "preview_url": false}
        }),
    );
    Ok(())
}

#[tokio::test]
async fn a_blank_reply_to_is_not_a_quote() -> anyhow::Result<()> {
    let h = accepting();
    let mut message = text(ALICE, "Hello", TextFormat::Raw);
    message.reply_to = Some("  ".into());
    h.outgoing().send_text(&message).await?.expect("sent");
    assert!(only_request(&h).json().get("context").is_none());
    Ok(())
}

#[tokio::test]
async fn recipients_are_normalised_to_digits_or_sent_as_a_user_id() -> anyhow::Result<()> {
    let h = accepting();
    for to in ["+1 650-555-1234", "1 (650) 555.1234", " 16505551234 "] {
        h.outgoing()
            .send_text(&text(to, "hi", TextFormat::Raw))
            .await?
            .expect("sent");
    }
    h.outgoing()
        .send_text(&text("US.13491208655302741918", "hi", TextFormat::Raw))
        .await?
        .expect("sent to a business-scoped user id");
    let bodies: Vec<_> = h.graph_requests().iter().map(GraphRequest::json).collect();
    for body in &bodies[..3] {
        assert_eq!(body["to"], "16505551234", "{body}");
        assert!(body.get("recipient").is_none());
    }
    assert_eq!(
        bodies[3],
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "recipient": "US.13491208655302741918",
            "type": "text",
            "text": {"body": "hi", "preview_url": false}
        })
    );
    Ok(())
}

// ---------------------------------------------------------------------------- media

fn media(kind: MediaKind, source: MediaSource) -> MediaMessage {
    MediaMessage {
        to: "+1 650 555 1234".into(),
        kind,
        source,
        caption: None,
        filename: None,
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

#[tokio::test]
async fn every_media_kind_by_id_and_by_link() -> anyhow::Result<()> {
    let h = accepting();
    let cases = [
        (MediaKind::Image, "image", Some("Front view"), None),
        (MediaKind::Video, "video", Some("Unboxing"), None),
        (MediaKind::Audio, "audio", None, None),
        (
            MediaKind::Document,
            "document",
            Some("Invoice for order #8841"),
            Some("invoice-8841.pdf"),
        ),
        (MediaKind::Sticker, "sticker", None, None),
    ];
    for (kind, name, caption, filename) in cases {
        for (source, source_json) in [
            (
                MediaSource::Id("1183440992862314".into()),
                json!({"id": "1183440992862314"}),
            ),
            (
                MediaSource::Link(format!("https://cdn.example.com/files/{name}.bin")),
                json!({"link": format!("https://cdn.example.com/files/{name}.bin")}),
            ),
        ] {
            h.clear_records();
            let message = MediaMessage {
                caption: caption.map(String::from),
                filename: filename.map(String::from),
                ..media(kind, source)
            };
            let sent = h.outgoing().send_media(&message).await?;
            assert_eq!(sent, Ok(sent_from_fixture()), "{name}");
            let mut object = source_json;
            if let Some(caption) = caption {
                object["caption"] = json!(caption);
            }
            if let Some(filename) = filename {
                object["filename"] = json!(filename);
            }
            assert_post(
                &only_request(&h),
                &json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": "16505551234",
                    "type": name,
                    name: object
                }),
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn media_reply_quotes_and_blank_caption_is_left_out() -> anyhow::Result<()> {
    let h = accepting();
    let message = MediaMessage {
        caption: Some("   ".into()),
        reply_to: Some("wamid.Q".into()),
        phone_number_id: None,
        biz_opaque_callback_data: None,
        ..media(MediaKind::Image, MediaSource::Id("42".into()))
    };
    h.outgoing().send_media(&message).await?.expect("sent");
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "image",
            "image": {"id": "42"},
            "context": {"message_id": "wamid.Q"}
        }),
    );
    Ok(())
}

// ------------------------------------------------------------------------ location

#[tokio::test]
async fn location_with_name_address_and_quote() -> anyhow::Result<()> {
    let h = accepting();
    let sent = h
        .outgoing()
        .send_location(&LocationMessage {
            to: ALICE.into(),
            latitude: 37.4847483,
            longitude: -122.1477137,
            name: Some("Acme Test Shop".into()),
            address: Some("1 Hacker Way, Menlo Park, CA 94025".into()),
            reply_to: Some("wamid.Q".into()),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?;
    assert_eq!(sent, Ok(sent_from_fixture()));
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "location",
            "location": {
                "latitude": 37.4847483,
                "longitude": -122.1477137,
                "name": "Acme Test Shop",
                "address": "1 Hacker Way, Menlo Park, CA 94025"
            },
            "context": {"message_id": "wamid.Q"}
        }),
    );
    Ok(())
}

#[tokio::test]
async fn bare_location_at_the_extremes() -> anyhow::Result<()> {
    let h = accepting();
    h.outgoing()
        .send_location(&LocationMessage {
            to: ALICE.into(),
            latitude: -90.0,
            longitude: 180.0,
            name: None,
            address: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?
        .expect("the poles and the antimeridian are valid");
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "location",
            "location": {"latitude": -90.0, "longitude": 180.0}
        }),
    );
    Ok(())
}

// ------------------------------------------------------------------------ contacts

#[tokio::test]
async fn contact_cards_full_and_minimal() -> anyhow::Result<()> {
    let h = accepting();
    let full = ContactCard {
        formatted_name: "Dr. María Gómez-Silva".into(),
        first_name: Some("María".into()),
        last_name: Some("Gómez-Silva".into()),
        phones: vec![
            ContactPhone {
                phone: "+1 (650) 555-0142".into(),
                wa_id: Some("16505550142".into()),
                kind: Some("CELL".into()),
            },
            ContactPhone {
                phone: "+1 650-555-0199".into(),
                wa_id: None,
                kind: Some("WORK".into()),
            },
        ],
        emails: vec![
            ContactEmail {
                email: "maria@example.com".into(),
                kind: Some("WORK".into()),
            },
            ContactEmail {
                email: "maria.home@example.com".into(),
                kind: None,
            },
        ],
        organization: Some("Example Clinic".into()),
        urls: vec!["https://example.com/maria".into()],
        birthday: Some("1985-04-12".into()),
        vcard: None,
    };
    let minimal = card("Ken Watanabe");
    let sent = h
        .outgoing()
        .send_contacts(&ContactsMessage {
            to: ALICE.into(),
            contacts: vec![full, minimal],
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?;
    assert_eq!(sent, Ok(sent_from_fixture()));
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "contacts",
            "contacts": [
                {
                    "name": {
                        "formatted_name": "Dr. María Gómez-Silva",
                        "first_name": "María",
                        "last_name": "Gómez-Silva"
                    },
                    "phones": [
                        {"phone": "+1 (650) 555-0142", "wa_id": "16505550142", "type": "CELL"},
                        {"phone": "+1 650-555-0199", "type": "WORK"}
                    ],
                    "emails": [
                        {"email": "maria@example.com", "type": "WORK"},
                        {"email": "maria.home@example.com"}
                    ],
                    "org": {"company": "Example Clinic"},
                    "urls": [{"url": "https://example.com/maria"}],
                    "birthday": "1985-04-12"
                },
                {
                    // Meta wants a name part besides the formatted name.
                    "name": {"formatted_name": "Ken Watanabe", "first_name": "Ken Watanabe"}
                }
            ]
        }),
    );
    Ok(())
}

// ------------------------------------------------------------------------- buttons

fn buttons(header: Option<InteractiveHeader>, footer: Option<&str>) -> ButtonsMessage {
    ButtonsMessage {
        to: ALICE.into(),
        body: "Confirm your order #8841?".into(),
        buttons: vec![
            ReplyButton {
                id: "confirm_8841".into(),
                title: "Confirm".into(),
            },
            ReplyButton {
                id: "change_8841".into(),
                title: "Change address".into(),
            },
            ReplyButton {
                id: "cancel_8841".into(),
                title: "Cancel".into(),
            },
        ],
        header,
        footer: footer.map(String::from),
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn three_buttons_json() -> serde_json::Value {
    json!({"buttons": [
        {"type": "reply", "reply": {"id": "confirm_8841", "title": "Confirm"}},
        {"type": "reply", "reply": {"id": "change_8841", "title": "Change address"}},
        {"type": "reply", "reply": {"id": "cancel_8841", "title": "Cancel"}}
    ]})
}

#[tokio::test]
async fn buttons_with_text_header_and_footer() -> anyhow::Result<()> {
    let h = accepting();
    let sent = h
        .outgoing()
        .send_buttons(&ButtonsMessage {
            reply_to: Some("wamid.Q".into()),
            phone_number_id: None,
            biz_opaque_callback_data: None,
            ..buttons(
                Some(InteractiveHeader::Text("Order #8841".into())),
                Some("Reply within 24 h"),
            )
        })
        .await?;
    assert_eq!(sent, Ok(sent_from_fixture()));
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "interactive",
            "interactive": {
                "type": "button",
                "header": {"type": "text", "text": "Order #8841"},
                "body": {"text": "Confirm your order #8841?"},
                "footer": {"text": "Reply within 24 h"},
                "action": three_buttons_json()
            },
            "context": {"message_id": "wamid.Q"}
        }),
    );
    Ok(())
}

#[tokio::test]
async fn buttons_with_media_headers_and_without_header() -> anyhow::Result<()> {
    let h = accepting();
    let cases = [
        (
            Some(InteractiveHeader::Image(MediaSource::Id(
                "1183440992862314".into(),
            ))),
            Some(json!({"type": "image", "image": {"id": "1183440992862314"}})),
        ),
        (
            Some(InteractiveHeader::Video(MediaSource::Link(
                "https://cdn.example.com/v.mp4".into(),
            ))),
            Some(json!({"type": "video", "video": {"link": "https://cdn.example.com/v.mp4"}})),
        ),
        (
            Some(InteractiveHeader::Document(MediaSource::Link(
                "https://cdn.example.com/d.pdf".into(),
            ))),
            Some(
                json!({"type": "document", "document": {"link": "https://cdn.example.com/d.pdf"}}),
            ),
        ),
        (None, None),
    ];
    for (header, header_json) in cases {
        h.clear_records();
        h.outgoing()
            .send_buttons(&buttons(header, None))
            .await?
            .expect("sent");
        let mut interactive = json!({
            "type": "button",
            "body": {"text": "Confirm your order #8841?"},
            "action": three_buttons_json()
        });
        if let Some(header_json) = header_json {
            interactive["header"] = header_json;
        }
        assert_post(
            &only_request(&h),
            &json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16505551234",
                "type": "interactive",
                "interactive": interactive
            }),
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------- list

#[tokio::test]
async fn list_with_sections_rows_header_and_footer() -> anyhow::Result<()> {
    let h = accepting();
    let sent = h
        .outgoing()
        .send_list(&ListMessage {
            to: ALICE.into(),
            body: "How fast do you need it?".into(),
            button: "Shipping options".into(),
            sections: vec![
                ListSection {
                    title: Some("Fast".into()),
                    rows: vec![
                        ListRow {
                            id: "ship_express".into(),
                            title: "Express (1-2 days)".into(),
                            description: Some("Arrives by Friday, $9.90".into()),
                        },
                        ListRow {
                            id: "ship_priority".into(),
                            title: "Priority (3 days)".into(),
                            description: None,
                        },
                    ],
                },
                ListSection {
                    title: Some("Cheap".into()),
                    rows: vec![ListRow {
                        id: "ship_standard".into(),
                        title: "Standard".into(),
                        description: Some("Free".into()),
                    }],
                },
            ],
            header: Some("Shipping".into()),
            footer: Some("Prices include tax".into()),
            reply_to: Some("wamid.Q".into()),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?;
    assert_eq!(sent, Ok(sent_from_fixture()));
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "interactive",
            "interactive": {
                "type": "list",
                "header": {"type": "text", "text": "Shipping"},
                "body": {"text": "How fast do you need it?"},
                "footer": {"text": "Prices include tax"},
                "action": {
                    "button": "Shipping options",
                    "sections": [
                        {
                            "title": "Fast",
                            "rows": [
                                {
                                    "id": "ship_express",
                                    "title": "Express (1-2 days)",
                                    "description": "Arrives by Friday, $9.90"
                                },
                                {"id": "ship_priority", "title": "Priority (3 days)"}
                            ]
                        },
                        {
                            "title": "Cheap",
                            "rows": [{"id": "ship_standard", "title": "Standard", "description": "Free"}]
                        }
                    ]
                }
            },
            "context": {"message_id": "wamid.Q"}
        }),
    );
    Ok(())
}

// ------------------------------------------------------------------------- cta url

#[tokio::test]
async fn cta_url_with_header_and_footer() -> anyhow::Result<()> {
    let h = accepting();
    let sent = h
        .outgoing()
        .send_cta_url(&CtaUrlMessage {
            to: ALICE.into(),
            body: "Your parcel is on its way.".into(),
            display_text: "Track parcel".into(),
            url: "https://example.com/track?id=8841&lang=en".into(),
            header: Some("Shipped".into()),
            footer: Some("Acme Test Shop".into()),
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?;
    assert_eq!(sent, Ok(sent_from_fixture()));
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "interactive",
            "interactive": {
                "type": "cta_url",
                "header": {"type": "text", "text": "Shipped"},
                "body": {"text": "Your parcel is on its way."},
                "footer": {"text": "Acme Test Shop"},
                "action": {
                    "name": "cta_url",
                    "parameters": {
                        "display_text": "Track parcel",
                        "url": "https://example.com/track?id=8841&lang=en"
                    }
                }
            }
        }),
    );
    Ok(())
}

// ------------------------------------------------------------------------ template

#[tokio::test]
async fn template_with_every_kind_of_parameter() -> anyhow::Result<()> {
    let h = harness().graph(|_| meta_answer(200, "send_success_template_accepted.json"));
    let sent = h
        .outgoing()
        .send_template(&TemplateMessage {
            to: "+1 (650) 555-1234".into(),
            name: "order_update".into(),
            language: "en_US".into(),
            components: vec![
                TemplateComponent {
                    kind: TemplateComponentKind::Header,
                    parameters: vec![positional(TemplateValue::Image(MediaSource::Link(
                        "https://cdn.example.com/order.png".into(),
                    )))],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::Body,
                    parameters: vec![
                        positional(TemplateValue::Text("Alice".into())),
                        positional(TemplateValue::Currency(TemplateCurrency {
                            fallback: "$12.50".into(),
                            code: "USD".into(),
                            amount_1000: 12_500,
                        })),
                        positional(TemplateValue::DateTime("November 21, 2024".into())),
                    ],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::QuickReplyButton(0),
                    parameters: vec![positional(TemplateValue::Payload("CONFIRM_8841".into()))],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::UrlButton(1),
                    parameters: vec![positional(TemplateValue::Text("orders/8841".into()))],
                },
            ],
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?;
    assert_eq!(
        sent,
        Ok(Sent {
            message_ids: vec![TEMPLATE_SENT_ID.into()],
            wa_id: Some(ALICE.into()),
            user_id: None,
        })
    );
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "template",
            "template": {
                "name": "order_update",
                "language": {"code": "en_US"},
                "components": [
                    {
                        "type": "header",
                        "parameters": [
                            {"type": "image", "image": {"link": "https://cdn.example.com/order.png"}}
                        ]
                    },
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Alice"},
                            {
                                "type": "currency",
                                "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500}
                            },
                            {"type": "date_time", "date_time": {"fallback_value": "November 21, 2024"}}
                        ]
                    },
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "0",
                        "parameters": [{"type": "payload", "payload": "CONFIRM_8841"}]
                    },
                    {
                        "type": "button",
                        "sub_type": "url",
                        "index": "1",
                        "parameters": [{"type": "text", "text": "orders/8841"}]
                    }
                ]
            }
        }),
    );
    Ok(())
}

#[tokio::test]
async fn template_media_headers_by_id_and_no_components() -> anyhow::Result<()> {
    let h = accepting();
    for (parameter, want) in [
        (
            positional(TemplateValue::Video(MediaSource::Id("7001".into()))),
            json!({"type": "video", "video": {"id": "7001"}}),
        ),
        (
            positional(TemplateValue::Document(TemplateDocument {
                source: MediaSource::Id("7002".into()),
                filename: None,
            })),
            json!({"type": "document", "document": {"id": "7002"}}),
        ),
        (
            positional(TemplateValue::Text("Spring sale".into())),
            json!({"type": "text", "text": "Spring sale"}),
        ),
    ] {
        h.clear_records();
        h.outgoing()
            .send_template(&TemplateMessage {
                to: ALICE.into(),
                name: "promo".into(),
                language: "pt_BR".into(),
                components: vec![TemplateComponent {
                    kind: TemplateComponentKind::Header,
                    parameters: vec![parameter],
                }],
                reply_to: Some("wamid.Q".into()),
                phone_number_id: None,
                biz_opaque_callback_data: None,
            })
            .await?
            .expect("sent");
        assert_post(
            &only_request(&h),
            &json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16505551234",
                "type": "template",
                "template": {
                    "name": "promo",
                    "language": {"code": "pt_BR"},
                    "components": [{"type": "header", "parameters": [want]}]
                },
                "context": {"message_id": "wamid.Q"}
            }),
        );
    }
    h.clear_records();
    h.outgoing()
        .send_template(&TemplateMessage {
            to: ALICE.into(),
            name: "hello_world".into(),
            language: "en_US".into(),
            components: vec![],
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?
        .expect("sent");
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "template",
            "template": {"name": "hello_world", "language": {"code": "en_US"}}
        }),
    );
    Ok(())
}

// ------------------------------------------------------------------------ reaction

#[tokio::test]
async fn reaction_and_its_removal() -> anyhow::Result<()> {
    let h = accepting();
    let inbound = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA=";
    for emoji in ["\u{2764}\u{FE0F}", ""] {
        h.clear_records();
        let sent = h
            .outgoing()
            .react(&ReactionMessage {
                to: ALICE.into(),
                message_id: inbound.into(),
                emoji: emoji.into(),
                phone_number_id: None,
                biz_opaque_callback_data: None,
            })
            .await?;
        assert_eq!(sent, Ok(sent_from_fixture()), "emoji {emoji:?}");
        assert_post(
            &only_request(&h),
            &json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16505551234",
                "type": "reaction",
                "reaction": {"message_id": inbound, "emoji": emoji}
            }),
        );
    }
    Ok(())
}

// ----------------------------------------------------------------------- mark read

#[tokio::test]
async fn mark_read_with_and_without_typing_indicator() -> anyhow::Result<()> {
    let h = harness().graph(|_| meta_answer(200, "mark_read_success.json"));
    let id = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA=";
    let done = h
        .outgoing()
        .mark_read(&ReadReceipt {
            message_id: id.into(),
            typing: false,
            phone_number_id: None,
        })
        .await?;
    assert_eq!(done, Ok(()));
    assert_post(
        &only_request(&h),
        &json!({"messaging_product": "whatsapp", "status": "read", "message_id": id}),
    );

    h.clear_records();
    let done = h
        .outgoing()
        .mark_read(&ReadReceipt {
            message_id: id.into(),
            typing: true,
            phone_number_id: None,
        })
        .await?;
    assert_eq!(done, Ok(()));
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": id,
            "typing_indicator": {"type": "text"}
        }),
    );
    Ok(())
}

// ------------------------------------------------------------------------ get self

#[tokio::test]
async fn get_self_is_a_get_with_fields_and_reads_the_profile() -> anyhow::Result<()> {
    let h = harness().graph(|_| meta_answer(200, "phone_number.json"));
    let profile = h.outgoing().get_self(None).await?;
    assert_eq!(
        profile,
        Ok(BusinessProfile {
            id: "106540352242922".into(),
            verified_name: "Acme Test Shop".into(),
            display_phone_number: "+1 555-0100".into(),
            quality_rating: Some("GREEN".into()),
        })
    );
    let request = only_request(&h);
    assert_eq!(request.method, "GET");
    assert_eq!(request.scheme, "https");
    assert_eq!(request.authority, "graph.facebook.com");
    assert_eq!(request.path, "/v25.0/106540352242922");
    assert_eq!(
        request.query.as_deref(),
        Some("fields=verified_name,display_phone_number,quality_rating,id")
    );
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(request.body.is_empty(), "a GET has no body");
    Ok(())
}

// ------------------------------------------------------------- endpoint configuration

#[tokio::test]
async fn default_endpoint_is_graph_facebook_com_v25() -> anyhow::Result<()> {
    let h = accepting();
    h.outgoing()
        .send_text(&text(ALICE, "hi", TextFormat::Raw))
        .await?
        .expect("sent");
    let request = only_request(&h);
    assert_eq!(request.scheme, "https");
    assert_eq!(request.authority, "graph.facebook.com");
    assert_eq!(request.path, "/v25.0/106540352242922/messages");
    Ok(())
}

#[tokio::test]
async fn api_version_override_is_honoured() -> anyhow::Result<()> {
    for (setting, version) in [("v21.0", "v21.0"), ("22.0", "v22.0"), (" v24.0/ ", "v24.0")] {
        let h = harness().env("WHATSAPP_API_VERSION", setting);
        h.outgoing()
            .send_text(&text(ALICE, "hi", TextFormat::Raw))
            .await?
            .expect("sent");
        h.outgoing().get_self(None).await?.expect("profile");
        let requests = h.graph_requests();
        assert_eq!(
            requests[0].url,
            format!("https://graph.facebook.com/{version}/106540352242922/messages"),
            "WHATSAPP_API_VERSION={setting:?}"
        );
        assert_eq!(requests[1].path, format!("/{version}/106540352242922"));
    }
    Ok(())
}

#[tokio::test]
async fn graph_api_url_override_is_honoured() -> anyhow::Result<()> {
    let h = harness()
        .env(
            "WHATSAPP_GRAPH_API_URL",
            "http://graph-proxy.internal:8080/meta/",
        )
        .env("WHATSAPP_API_VERSION", "v23.0")
        .graph(|req| {
            if req.method == "GET" {
                meta_answer(200, "phone_number.json")
            } else {
                meta_answer(200, "send_success.json")
            }
        });
    let sent = h
        .outgoing()
        .send_text(&text(ALICE, "via the proxy", TextFormat::Raw))
        .await?;
    assert_eq!(sent, Ok(sent_from_fixture()));
    assert_post_to(
        &h.graph_requests()[0],
        "http://graph-proxy.internal:8080/meta/v23.0/106540352242922/messages",
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "text",
            "text": {"body": "via the proxy", "preview_url": false}
        }),
    );
    h.outgoing().get_self(None).await?.expect("profile");
    let get = &h.graph_requests()[1];
    assert_eq!(get.scheme, "http");
    assert_eq!(get.authority, "graph-proxy.internal:8080");
    assert_eq!(get.path, "/meta/v23.0/106540352242922");
    Ok(())
}

#[tokio::test]
async fn every_request_sets_timeouts() -> anyhow::Result<()> {
    // Without a first-byte timeout a stuck Graph API would hold the instance for the
    // host's default (600 s).
    let h = harness();
    h.outgoing()
        .send_text(&text(ALICE, "hi", TextFormat::Raw))
        .await?
        .expect("sent");
    h.outgoing().get_self(None).await?.expect("profile");
    for request in h.graph_requests() {
        let first_byte = request
            .options
            .first_byte_timeout
            .expect("first-byte timeout");
        assert!(
            first_byte <= std::time::Duration::from_secs(60),
            "{first_byte:?}"
        );
        assert!(request.options.connect_timeout.is_some());
    }
    Ok(())
}

// ----------------------------------------------------------- numbers, groups, callbacks

/// The messages endpoint of business number `id`, with the default root and version.
fn messages_url_of(id: &str) -> String {
    format!("https://graph.facebook.com/v25.0/{id}/messages")
}

#[tokio::test]
async fn every_request_goes_out_from_the_number_it_names() -> anyhow::Result<()> {
    let h = harness().graph(|req| {
        if req.method == "GET" {
            meta_answer(200, "phone_number.json")
        } else if req.json()["status"] == "read" {
            meta_answer(200, "mark_read_success.json")
        } else {
            meta_answer(200, "send_success.json")
        }
    });
    let o = h.outgoing();
    let sent = o
        .send_text(&TextMessage {
            phone_number_id: Some("B".into()),
            ..text(ALICE, "from the second number", TextFormat::Raw)
        })
        .await?;
    assert_eq!(sent, Ok(sent_from_fixture()));
    assert_post_to(
        &only_request(&h),
        &messages_url_of("B"),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "text",
            "text": {"body": "from the second number", "preview_url": false}
        }),
    );
    h.clear_records();
    o.send_media(&MediaMessage {
        phone_number_id: Some(" 222333444555 ".into()),
        ..media(MediaKind::Image, MediaSource::Id("M1".into()))
    })
    .await?
    .expect("sent");
    o.react(&ReactionMessage {
        to: ALICE.into(),
        message_id: "wamid.X".into(),
        emoji: "👍".into(),
        phone_number_id: Some("B".into()),
        biz_opaque_callback_data: None,
    })
    .await?
    .expect("reacted");
    o.mark_read(&ReadReceipt {
        message_id: "wamid.X".into(),
        typing: false,
        phone_number_id: Some("B".into()),
    })
    .await?
    .expect("marked read");
    // A blank number is no number: the default one.
    o.send_text(&TextMessage {
        phone_number_id: Some("  ".into()),
        ..text(ALICE, "default", TextFormat::Raw)
    })
    .await?
    .expect("sent");
    let profile = o.get_self(Some("B")).await?.expect("profile");
    assert_eq!(profile.verified_name, "Acme Test Shop");
    o.get_self(None).await?.expect("profile");
    let requests = h.graph_requests();
    let urls: Vec<&str> = requests.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![
            messages_url_of("222333444555").as_str(),
            messages_url_of("B").as_str(),
            messages_url_of("B").as_str(),
            MESSAGES_URL,
            "https://graph.facebook.com/v25.0/B?fields=verified_name,display_phone_number,quality_rating,id",
            "https://graph.facebook.com/v25.0/106540352242922?fields=verified_name,display_phone_number,quality_rating,id",
        ]
    );
    assert_eq!(requests[4].path, "/v25.0/B");
    // The number picks the URL only: it is never part of a body.
    for r in &requests[..4] {
        assert!(
            r.json().get("phone_number_id").is_none(),
            "{}",
            r.body_text()
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_number_named_in_the_request_cannot_change_the_path() -> anyhow::Result<()> {
    let h = accepting();
    h.outgoing()
        .send_text(&TextMessage {
            phone_number_id: Some("1/../2?x=y#z".into()),
            ..text(ALICE, "hi", TextFormat::Raw)
        })
        .await?
        .expect("sent");
    let request = only_request(&h);
    assert_eq!(request.path, "/v25.0/1%2F..%2F2%3Fx%3Dy%23z/messages");
    assert_eq!(request.query, None);
    Ok(())
}

#[tokio::test]
async fn only_the_token_is_needed_when_the_request_names_its_number() -> anyhow::Result<()> {
    let h = harness()
        .without_env("WHATSAPP_PHONE_NUMBER_ID")
        .graph(|_| meta_answer(200, "send_success.json"));
    h.outgoing()
        .send_text(&TextMessage {
            phone_number_id: Some("B".into()),
            ..text(ALICE, "hi", TextFormat::Raw)
        })
        .await?
        .expect("sent without WHATSAPP_PHONE_NUMBER_ID");
    assert_eq!(only_request(&h).url, messages_url_of("B"));
    Ok(())
}

#[tokio::test]
async fn a_group_recipient_is_sent_as_recipient_type_group() -> anyhow::Result<()> {
    let h = accepting();
    h.outgoing()
        .send_text(&TextMessage {
            reply_to: Some("wamid.G".into()),
            ..text(
                "group:120363025246125486",
                "Hello, group",
                TextFormat::Markdown,
            )
        })
        .await?
        .expect("sent to the group");
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "group",
            "to": "120363025246125486",
            "type": "text",
            "text": {"body": "Hello, group", "preview_url": false},
            "context": {"message_id": "wamid.G"}
        }),
    );
    h.clear_records();
    h.outgoing()
        .react(&ReactionMessage {
            to: " group:120363025246125486 ".into(),
            message_id: "wamid.G".into(),
            emoji: "🎉".into(),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?
        .expect("reacted in the group");
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "group",
            "to": "120363025246125486",
            "type": "reaction",
            "reaction": {"message_id": "wamid.G", "emoji": "🎉"}
        }),
    );
    // A group id with whitespace, or none, is refused before sending.
    h.clear_records();
    for to in ["group:", "group:a b"] {
        let error = h
            .outgoing()
            .send_text(&text(to, "x", TextFormat::Raw))
            .await?
            .expect_err(to);
        assert!(
            matches!(error.error, SendError::InvalidRequest(ref i) if i.field == "to"),
            "{to}: {error:?}"
        );
    }
    assert!(h.graph_requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn callback_data_goes_in_the_body_of_every_part() -> anyhow::Result<()> {
    let h = accepting();
    h.outgoing()
        .send_text(&TextMessage {
            biz_opaque_callback_data: Some("order=8841;step=confirm".into()),
            ..text(ALICE, "Your order is confirmed.", TextFormat::Raw)
        })
        .await?
        .expect("sent");
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "text",
            "text": {"body": "Your order is confirmed.", "preview_url": false},
            "biz_opaque_callback_data": "order=8841;step=confirm"
        }),
    );
    // A long text: every part carries it.
    h.clear_records();
    h.outgoing()
        .send_text(&TextMessage {
            biz_opaque_callback_data: Some("long-1".into()),
            ..text(ALICE, &"word ".repeat(2000), TextFormat::Raw)
        })
        .await?
        .expect("sent");
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(r.json()["biz_opaque_callback_data"], "long-1");
    }
    // Blank: left out. Over 512 characters: refused before sending.
    h.clear_records();
    h.outgoing()
        .send_location(&LocationMessage {
            to: ALICE.into(),
            latitude: 1.0,
            longitude: 2.0,
            name: None,
            address: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: Some(" ".into()),
        })
        .await?
        .expect("sent");
    assert!(only_request(&h)
        .json()
        .get("biz_opaque_callback_data")
        .is_none());
    h.clear_records();
    let error = invalid(
        h.outgoing()
            .send_media(&MediaMessage {
                biz_opaque_callback_data: Some("é".repeat(513)),
                ..media(MediaKind::Image, MediaSource::Id("M".into()))
            })
            .await?,
    );
    assert_eq!(error.field, "biz-opaque-callback-data");
    assert_eq!(error.reason, "at most 512 characters, got 513");
    assert!(h.graph_requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn sent_carries_the_user_id_meta_answers_with() -> anyhow::Result<()> {
    let h = harness().graph(|_| {
        GraphResponse::json(
            200,
            json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": "US.13491208655302741918", "user_id": "US.13491208655302741918"}],
                "messages": [{"id": "wamid.USER"}]
            }),
        )
    });
    let sent = h
        .outgoing()
        .send_text(&text("US.13491208655302741918", "hi", TextFormat::Raw))
        .await?;
    assert_eq!(
        sent,
        Ok(Sent {
            message_ids: vec!["wamid.USER".into()],
            wa_id: None,
            user_id: Some("US.13491208655302741918".into()),
        })
    );
    Ok(())
}

#[tokio::test]
async fn named_template_with_new_parameter_kinds() -> anyhow::Result<()> {
    let h = harness().graph(|_| meta_answer(200, "send_success_template_accepted.json"));
    let sent = h
        .outgoing()
        .send_template(&TemplateMessage {
            to: ALICE.into(),
            name: "order_ready".into(),
            language: "en_US".into(),
            components: vec![
                TemplateComponent {
                    kind: TemplateComponentKind::Header,
                    parameters: vec![positional(TemplateValue::Location(TemplateLocation {
                        latitude: 37.483307,
                        longitude: -122.148981,
                        name: Some("Acme Pickup".into()),
                        address: Some("1 Hacker Way, Menlo Park, CA 94025".into()),
                    }))],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::Body,
                    parameters: vec![
                        named("first_name", TemplateValue::Text("Alice".into())),
                        named(
                            "order_total",
                            TemplateValue::Currency(TemplateCurrency {
                                fallback: "$12.50".into(),
                                code: "USD".into(),
                                amount_1000: 12_500,
                            }),
                        ),
                    ],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::CopyCodeButton(0),
                    parameters: vec![positional(TemplateValue::CouponCode("SAVE20".into()))],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::FlowButton(1),
                    parameters: vec![positional(TemplateValue::FlowAction(TemplateFlowAction {
                        flow_token: Some("flow-8841".into()),
                        action_data_json: Some(r#"{"order_id": "8841"}"#.into()),
                    }))],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::CatalogButton(2),
                    parameters: vec![],
                },
            ],
            reply_to: None,
            phone_number_id: Some("B".into()),
            biz_opaque_callback_data: Some("tpl-8841".into()),
        })
        .await?;
    assert_eq!(
        sent,
        Ok(Sent {
            message_ids: vec![TEMPLATE_SENT_ID.into()],
            wa_id: Some(ALICE.into()),
            user_id: None,
        })
    );
    assert_post_to(
        &only_request(&h),
        &messages_url_of("B"),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "template",
            "template": {
                "name": "order_ready",
                "language": {"code": "en_US"},
                "components": [
                    {
                        "type": "header",
                        "parameters": [{
                            "type": "location",
                            "location": {
                                "latitude": 37.483307,
                                "longitude": -122.148981,
                                "name": "Acme Pickup",
                                "address": "1 Hacker Way, Menlo Park, CA 94025"
                            }
                        }]
                    },
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Alice", "parameter_name": "first_name"},
                            {
                                "type": "currency",
                                "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500},
                                "parameter_name": "order_total"
                            }
                        ]
                    },
                    {
                        "type": "button",
                        "sub_type": "copy_code",
                        "index": "0",
                        "parameters": [{"type": "coupon_code", "coupon_code": "SAVE20"}]
                    },
                    {
                        "type": "button",
                        "sub_type": "flow",
                        "index": "1",
                        "parameters": [{
                            "type": "action",
                            "action": {"flow_token": "flow-8841", "flow_action_data": {"order_id": "8841"}}
                        }]
                    },
                    {"type": "button", "sub_type": "catalog", "index": "2"}
                ]
            },
            "biz_opaque_callback_data": "tpl-8841"
        }),
    );
    Ok(())
}

#[tokio::test]
async fn named_and_positional_parameters_in_one_component_are_refused() -> anyhow::Result<()> {
    let h = accepting();
    let error = invalid(
        h.outgoing()
            .send_template(&TemplateMessage {
                to: ALICE.into(),
                name: "order_ready".into(),
                language: "en_US".into(),
                components: vec![TemplateComponent {
                    kind: TemplateComponentKind::Body,
                    parameters: vec![
                        named("first_name", TemplateValue::Text("Alice".into())),
                        positional(TemplateValue::Text("8841".into())),
                    ],
                }],
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            })
            .await?,
    );
    assert_eq!(error.field, "components[0].parameters");
    assert!(
        error
            .reason
            .contains("Meta refuses mixing named and positional parameters in one component"),
        "{}",
        error.reason
    );
    assert!(h.graph_requests().is_empty());
    Ok(())
}
