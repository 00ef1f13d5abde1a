//! Every message type and every status Meta sends reaches the consumer as typed values.

mod common;

use common::*;
use host_test::*;

#[tokio::test]
async fn text_carries_ids_sender_timestamp_and_raw_json() {
    let m = one_message("text.json").await;
    assert_eq!(
        m.id,
        "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA="
    );
    assert_eq!(m.sender, phone_user(ALICE, Some("Alice Johnson")));
    assert_eq!(m.business_account_id, WABA);
    assert_eq!(m.phone_number_id, BUSINESS_PHONE_ID);
    assert_eq!(m.display_phone_number, "15550100");
    assert_eq!(m.group_id, None);
    assert!(m.timestamp >= 1_732_147_200, "timestamp {}", m.timestamp);
    assert_eq!(
        m.content,
        Content::Text("Hi! Do you ship to Canada?".into())
    );
    assert_eq!(m.text, "Hi! Do you ship to Canada?");
    assert_eq!(m.context, None);
    assert_eq!(m.referral, None);
    let raw: serde_json::Value = serde_json::from_str(&m.raw_json).expect("raw json");
    assert_eq!(raw["id"], m.id.as_str());
    assert_eq!(raw["text"]["body"], "Hi! Do you ship to Canada?");
}

#[tokio::test]
async fn a_quoted_reply_carries_its_context() {
    let m = one_message("text_reply_with_context.json").await;
    let context = m.context.expect("context");
    assert!(context.message_id.starts_with("wamid."));
    assert_eq!(context.author, "15550100");
    assert!(!context.forwarded && !context.frequently_forwarded);
    assert_eq!(context.referred_product, None);
    assert_eq!(m.text, "Yes, the blue one please");
}

#[tokio::test]
async fn forwarded_flags_are_reported() {
    let h = harness();
    deliver(&h, "text_forwarded.json").await;
    let contexts: Vec<_> = h
        .messages()
        .into_iter()
        .map(|m| m.context.expect("context"))
        .collect();
    assert_eq!(contexts.len(), 2);
    assert!(contexts[0].forwarded && !contexts[0].frequently_forwarded);
    assert!(!contexts[1].forwarded && contexts[1].frequently_forwarded);
    assert_eq!(contexts[0].message_id, "");
}

#[tokio::test]
async fn an_ad_referral_is_typed() {
    let m = one_message("text_with_referral.json").await;
    let r = m.referral.expect("referral");
    assert_eq!(r.source_type, "ad");
    assert_eq!(r.media_type.as_deref(), Some("video"));
    assert!(r.source_url.starts_with("http"));
    assert!(!r.source_id.is_empty());
    assert!(r.headline.is_some() && r.body.is_some() && r.ctwa_clid.is_some());
    assert!(r.video_url.is_some() && r.thumbnail_url.is_some());
    assert_eq!(
        r.welcome_message.as_deref(),
        Some("Hi there! Let us know how we can help!")
    );
    assert_eq!(r.ref_.as_deref(), Some("mugs_spring_promo"));
    assert_eq!(m.sender, phone_user(BRUNO, Some("Bruno Araújo")));
    assert_eq!(m.text, "Olá! Vi o anúncio, ainda tem em estoque?");
}

#[tokio::test]
async fn non_ascii_text_survives_metas_escaping_and_the_signature() {
    let escaped = one_message("text_non_ascii.json").await;
    let utf8 = one_message("text_non_ascii_utf8.json").await;
    assert_eq!(escaped.text, utf8.text);
    assert!(escaped
        .text
        .contains("Olá José! Ça coûte 12,50 € — très bien 😀👍🏽 中文测试"));
    assert!(escaped.text.contains("https://example.com/a/b?x=1&y=2"));
    assert!(escaped.text.contains('\u{2028}'));
    assert_eq!(escaped.sender.name.as_deref(), Some("Zoë Ångström"));
}

#[tokio::test]
async fn image_video_and_document_carry_media_and_captions() {
    let m = one_message("image.json").await;
    let Content::Image(media) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(media.id, "1183440992862314");
    assert_eq!(media.mime_type, "image/jpeg");
    assert!(!media.sha256.is_empty());
    assert_eq!(media.url, None);
    assert_eq!(m.text, "Is this the right size?");

    let m = one_message("video.json").await;
    assert!(
        matches!(&m.content, Content::Video(v) if v.id == "1290358745521908" && v.mime_type == "video/mp4")
    );
    assert_eq!(m.text, "Unboxing, the lid is cracked");

    let m = one_message("document.json").await;
    let Content::Document(doc) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(doc.filename.as_deref(), Some("invoice-8841.pdf"));
    assert_eq!(doc.mime_type, "application/pdf");
    assert_eq!(m.text, "Invoice for order #8841");

    let m = one_message("media_with_url.json").await;
    let Content::Image(media) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert!(media
        .url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://")));
    assert_eq!(m.text, "Here is the receipt");
}

#[tokio::test]
async fn audio_tells_voice_notes_apart() {
    let m = one_message("audio.json").await;
    assert!(
        matches!(&m.content, Content::Audio(a) if !a.voice && a.media.mime_type == "audio/mpeg")
    );
    let m = one_message("voice.json").await;
    assert!(
        matches!(&m.content, Content::Audio(a) if a.voice && a.media.mime_type.starts_with("audio/ogg"))
    );
    assert_eq!(m.text, "");
}

#[tokio::test]
async fn stickers_tell_animated_apart() {
    let m = one_message("sticker.json").await;
    assert!(
        matches!(&m.content, Content::Sticker(s) if !s.animated && s.media.mime_type == "image/webp")
    );
    let m = one_message("sticker_animated.json").await;
    assert!(matches!(&m.content, Content::Sticker(s) if s.animated));
}

#[tokio::test]
async fn a_location_is_typed() {
    let m = one_message("location.json").await;
    let Content::Location(l) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert!((l.latitude - 37.484_748_3).abs() < 1e-9);
    assert!((l.longitude + 122.147_713_7).abs() < 1e-9);
    assert!(l.name.is_some() && l.address.is_some() && l.url.is_some());
    assert_eq!(m.text, "");
}

#[tokio::test]
async fn contact_cards_are_typed() {
    let m = one_message("contacts.json").await;
    let Content::Contacts(cards) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(cards.len(), 2);
    let maria = &cards[0];
    assert_eq!(maria.formatted_name, "Dr. María Gómez-Silva");
    assert_eq!(maria.first_name.as_deref(), Some("María"));
    assert_eq!(maria.last_name.as_deref(), Some("Gómez-Silva"));
    assert_eq!(maria.phones.len(), 2);
    assert_eq!(maria.phones[0].wa_id.as_deref(), Some("16505550142"));
    assert_eq!(maria.phones[0].kind.as_deref(), Some("CELL"));
    assert_eq!(maria.phones[1].wa_id, None);
    assert_eq!(maria.emails.len(), 2);
    assert_eq!(maria.organization.as_deref(), Some("Example Clinic"));
    assert_eq!(maria.urls, vec!["https://example.com/maria".to_string()]);
    assert_eq!(maria.birthday.as_deref(), Some("1985-04-12"));
    assert_eq!(maria.vcard, None);
    let ken = &cards[1];
    assert_eq!(ken.emails[0].kind, None);
    assert_eq!(ken.urls.len(), 2);
    assert_eq!(ken.vcard, None);
}

#[tokio::test]
async fn interactive_replies_are_typed_and_give_their_title_as_text() {
    let m = one_message("interactive_button_reply.json").await;
    assert_eq!(
        m.content,
        Content::ButtonReply(ButtonReply {
            id: "confirm_order_8841".into(),
            title: "Confirm order".into()
        })
    );
    assert_eq!(m.text, "Confirm order");
    assert!(
        m.context.is_some(),
        "a button reply points at the message that carried it"
    );

    let m = one_message("interactive_list_reply.json").await;
    assert_eq!(
        m.content,
        Content::ListReply(ListReply {
            id: "ship_express".into(),
            title: "Express (1-2 days)".into(),
            description: Some("Arrives by Friday, $9.90".into()),
        })
    );
    assert_eq!(m.text, "Express (1-2 days)");

    let m = one_message("interactive_nfm_reply.json").await;
    let Content::FlowReply(flow) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(flow.name, "flow");
    assert_eq!(flow.body, "Sent");
    let answers: serde_json::Value =
        serde_json::from_str(&flow.response_json).expect("flow answers are JSON");
    assert!(answers.is_object());
    assert_eq!(m.text, "Sent");
}

#[tokio::test]
async fn a_template_quick_reply_is_typed() {
    let m = one_message("button_template_quick_reply.json").await;
    assert_eq!(
        m.content,
        Content::TemplateButton(TemplateButton {
            payload: "STOP_PROMOTIONS".into(),
            text: "Stop promotions".into()
        })
    );
    assert_eq!(m.text, "Stop promotions");
    assert!(m.context.is_some());
}

#[tokio::test]
async fn reactions_and_their_removal_are_typed() {
    let m = one_message("reaction.json").await;
    let Content::Reaction(r) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(r.emoji.as_deref(), Some("\u{2764}\u{fe0f}"));
    assert!(r.message_id.starts_with("wamid."));
    assert_eq!(m.text, "");
    let m = one_message("reaction_removed.json").await;
    assert!(
        matches!(&m.content, Content::Reaction(r) if r.emoji.is_none() && r.message_id.starts_with("wamid."))
    );
}

#[tokio::test]
async fn an_order_is_typed() {
    let m = one_message("order.json").await;
    let Content::Order(order) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(order.catalog_id, "987654321098765");
    assert_eq!(order.items.len(), 2);
    assert_eq!(order.items[0].product_retailer_id, "SKU-TSHIRT-M-BLUE");
    assert_eq!(order.items[0].quantity, 2);
    assert!((order.items[0].item_price - 19.99).abs() < 1e-9);
    assert_eq!(order.items[0].currency, "USD");
    assert!((order.items[1].item_price - 12.0).abs() < 1e-9);
    assert_eq!(m.text, "Please deliver after 6pm");
}

/// The `system` notice of a message (fails on any other content).
#[track_caller]
fn notice(m: &Message) -> SystemNotice {
    match &m.content {
        Content::System(s) => s.clone(),
        other => panic!("not a system notice: {other:?}"),
    }
}

#[tokio::test]
async fn number_changes_give_the_new_number_in_both_shapes() {
    let m = one_message("system_customer_changed_number.json").await;
    let s = notice(&m);
    assert_eq!(s.kind, "customer_changed_number");
    assert_eq!(s.new_wa_id.as_deref(), Some("16505559876"));
    assert_eq!(
        (s.new_user_id, s.new_parent_user_id, s.previous_user_id),
        (None, None, None)
    );
    assert!(
        s.body.starts_with("Alice Johnson changed from"),
        "{}",
        s.body
    );
    // System messages carry no contacts: the sender is only a number.
    assert_eq!(m.sender, phone_user(ALICE, None));
    assert_eq!(m.text, "");
    let m = one_message("system_user_changed_number.json").await;
    let s = notice(&m);
    assert_eq!(s.kind, "user_changed_number");
    assert_eq!(s.new_wa_id.as_deref(), Some("16505559876"));
    assert_eq!(s.new_user_id, None);
    let m = one_message("system_identity_changed.json").await;
    let s = notice(&m);
    assert_eq!(s.kind, "customer_identity_changed");
    assert_eq!(s.body, "Alice Johnson's security code changed");
    assert_eq!((s.new_wa_id, s.new_user_id), (None, None));
}

#[tokio::test]
async fn a_number_change_also_gives_the_new_user_ids() {
    let m = one_message("system_user_changed_number_user_id.json").await;
    assert_eq!(
        notice(&m),
        SystemNotice {
            kind: "user_changed_number".into(),
            body: "User Alice Johnson changed from 16505551234 to 16505559876".into(),
            new_wa_id: Some("16505559876".into()),
            new_user_id: Some("US.10483920571635284099".into()),
            new_parent_user_id: Some("US.ENT.10958371640298316499".into()),
            previous_user_id: None,
        }
    );
    assert_eq!(
        m.sender,
        user(Some(ALICE), Some(ALICE_USER_ID), None, None, None)
    );
}

#[tokio::test]
async fn a_user_id_change_gives_the_new_and_the_previous_user_id() {
    let m = one_message("system_user_changed_user_id.json").await;
    assert_eq!(
        notice(&m),
        SystemNotice {
            kind: "user_changed_user_id".into(),
            body: "User Dana Kim changed their business-scoped user ID".into(),
            new_wa_id: None,
            new_user_id: Some("US.40817365920471836251".into()),
            new_parent_user_id: Some(DANA_PARENT_ID.into()),
            previous_user_id: Some(DANA_USER_ID.into()),
        }
    );
    // No `from`, no contacts: the sender is the user id the message came from.
    assert_eq!(m.sender, user(None, Some(DANA_USER_ID), None, None, None));
    assert_eq!(m.text, "");
}

#[tokio::test]
async fn a_first_contact_is_request_welcome() {
    let m = one_message("request_welcome.json").await;
    assert_eq!(m.content, Content::RequestWelcome);
    assert_eq!(m.sender, phone_user(BRUNO, Some("Bruno Araújo")));
}

#[tokio::test]
async fn unsupported_messages_carry_metas_errors() {
    let m = one_message("unsupported.json").await;
    assert_eq!(
        m.content,
        Content::Unsupported(Unsupported {
            kind: "poll_creation".into()
        })
    );
    assert_eq!(m.errors.len(), 1);
    assert_eq!(m.errors[0].code, 131051);
    assert_eq!(m.errors[0].title, "Message type unknown");
    assert!(m.errors[0].details.is_some());
    let m = one_message("unsupported_without_object.json").await;
    assert_eq!(
        m.content,
        Content::Unsupported(Unsupported {
            kind: "unknown".into()
        })
    );
    assert!(!m.errors.is_empty());
}

#[tokio::test]
async fn types_not_modelled_yet_arrive_with_their_raw_json() {
    let m = one_message("unknown_future_type.json").await;
    assert_eq!(m.content, Content::Unknown("poll_vote".into()));
    let raw: serde_json::Value = serde_json::from_str(&m.raw_json).unwrap();
    assert!(raw.get("poll_vote").is_some());
    let m = one_message("interactive_unknown_subtype.json").await;
    assert_eq!(m.content, Content::Unknown("interactive/poll_reply".into()));
    let raw: serde_json::Value = serde_json::from_str(&m.raw_json).unwrap();
    assert_eq!(raw["interactive"]["poll_reply"]["poll_id"], "poll_8841");
    assert_eq!(m.text, "");
    let m = one_message("interactive_missing_object.json").await;
    assert_eq!(m.content, Content::Unknown("interactive".into()));
}

#[tokio::test]
async fn unknown_fields_everywhere_are_ignored() {
    let m = one_message("unknown_fields_everywhere.json").await;
    assert_eq!(
        m.content,
        Content::Text("Unknown fields should be ignored".into())
    );
    // Sender ids from the message and its contact; the username as Meta gives it.
    assert_eq!(
        m.sender,
        user(
            Some(ALICE),
            Some(ALICE_USER_ID),
            Some(ALICE_PARENT_ID),
            Some("alice.j"),
            Some("Alice Johnson")
        )
    );
    let context = m.context.expect("context");
    assert_eq!(context.author, "15550100");
    assert_eq!(
        context.referred_product,
        Some(ReferredProduct {
            catalog_id: "987654321098765".into(),
            product_retailer_id: "SKU-MUG-01".into(),
        })
    );
}

// ------------------------------------------------------------------ users and groups

#[tokio::test]
async fn a_username_only_sender_arrives_with_user_ids_username_and_name_and_no_phone() {
    let m = one_message("username_only_text.json").await;
    assert_eq!(m.sender, dana());
    assert_eq!(m.text, "Hi, is the blue mug back in stock?");
    assert_eq!(m.phone_number_id, BUSINESS_PHONE_ID);
    let raw: serde_json::Value = serde_json::from_str(&m.raw_json).unwrap();
    assert_eq!(raw.get("from"), None);
    assert_eq!(raw["from_user_id"], DANA_USER_ID);
}

#[tokio::test]
async fn a_sender_without_from_user_id_gets_its_ids_from_its_own_contact_entry() {
    // The contacts are listed Bruno first, the messages Alice first: matched by wa_id.
    let h = harness();
    deliver(&h, "user_id_from_contacts.json").await;
    let senders: Vec<User> = h.messages().into_iter().map(|m| m.sender).collect();
    assert_eq!(
        senders,
        [
            user(
                Some(ALICE),
                Some(ALICE_USER_ID),
                Some(ALICE_PARENT_ID),
                None,
                Some("Alice Johnson")
            ),
            user(
                Some(BRUNO),
                Some(BRUNO_USER_ID),
                Some(BRUNO_PARENT_ID),
                None,
                Some("Bruno Araújo")
            ),
        ]
    );
}

#[tokio::test]
async fn a_group_message_carries_its_group_and_its_author() {
    let m = one_message("group_text.json").await;
    assert_eq!(m.group_id.as_deref(), Some(GROUP_ID));
    assert_eq!(
        m.sender,
        user(
            Some(ALICE),
            Some(ALICE_USER_ID),
            Some(ALICE_PARENT_ID),
            None,
            Some("Alice Johnson")
        )
    );
    assert_eq!(m.text, "Can someone confirm Friday's pickup time?");
}

#[tokio::test]
async fn messages_on_two_business_numbers_each_name_their_own_number() {
    let h = harness();
    deliver(&h, "two_business_numbers.json").await;
    let numbers: Vec<(String, String, String)> = h
        .messages()
        .into_iter()
        .map(|m| (m.text, m.phone_number_id, m.display_phone_number))
        .collect();
    assert_eq!(
        numbers,
        [
            (
                "Has my order shipped yet?".to_string(),
                BUSINESS_PHONE_ID.to_string(),
                BUSINESS_DISPLAY.to_string()
            ),
            (
                "Vocês entregam no sábado?".to_string(),
                SECOND_PHONE_ID.to_string(),
                SECOND_DISPLAY.to_string()
            ),
        ]
    );
    assert!(h.messages().iter().all(|m| m.business_account_id == WABA));
}

// ------------------------------------------------------------------ edits and deletions

#[tokio::test]
async fn an_edit_names_the_original_message_and_gives_the_new_text() {
    let m = one_message("edit_text.json").await;
    assert_eq!(
        m.content,
        Content::Edit(Edit {
            original_message_id: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNjBCQTkyREVFNjQ1NDRGOTY2NAA="
                .into(),
            content: EditedContent::Text("I need 3 mugs, not 2".into()),
        })
    );
    assert_eq!(m.text, "I need 3 mugs, not 2");
    assert_eq!(m.sender, phone_user(ALICE, Some("Alice Johnson")));
}

#[tokio::test]
async fn a_caption_edit_gives_the_media_with_its_new_caption() {
    let m = one_message("edit_image_caption.json").await;
    assert_eq!(
        m.content,
        Content::Edit(Edit {
            original_message_id: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBRCMEQ3NEI4N0MzQjVDRTIxMjZFMwA="
                .into(),
            content: EditedContent::Image(Media {
                id: "1608273549102837".into(),
                mime_type: "image/jpeg".into(),
                sha256: "q9Lx2Wc0mVh3PzT8sYk1bN4rE6uJ7aD5fG0hI2jK3lM=".into(),
                caption: Some("The crack is on the handle, see photo".into()),
                filename: None,
                url: None,
            }),
        })
    );
    assert_eq!(m.text, "The crack is on the handle, see photo");
}

#[tokio::test]
async fn a_deletion_names_the_original_message_and_has_no_text() {
    let m = one_message("revoke.json").await;
    assert_eq!(
        m.content,
        Content::Revoke(Revoke {
            original_message_id: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNjBCQTkyREVFNjQ1NDRGOTY2NAA="
                .into(),
        })
    );
    assert_eq!(m.text, "");
}

// ------------------------------------------------------------------ calls, products, ads

#[tokio::test]
async fn a_call_permission_acceptance_gives_its_expiry() {
    let m = one_message("interactive_call_permission_accept.json").await;
    assert_eq!(
        m.content,
        Content::CallPermissionReply(CallPermissionReply {
            accepted: true,
            permanent: false,
            expires_at: Some(1_732_752_255),
            source: Some("user_action".into()),
        })
    );
    assert_eq!(m.text, "");
    assert_eq!(
        m.context.map(|c| c.message_id).as_deref(),
        Some("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1N0I3N0VCODMxOTg4RTAxNzYA")
    );
}

#[tokio::test]
async fn a_call_permission_rejection_is_not_accepted_and_has_no_expiry() {
    let m = one_message("interactive_call_permission_reject.json").await;
    assert_eq!(
        m.content,
        Content::CallPermissionReply(CallPermissionReply {
            accepted: false,
            permanent: false,
            expires_at: None,
            source: Some("user_action".into()),
        })
    );
    assert_eq!(m.text, "");
}

#[tokio::test]
async fn a_question_about_a_product_names_the_product() {
    let m = one_message("text_referred_product.json").await;
    let context = m.context.expect("context");
    assert_eq!(
        context.referred_product,
        Some(ReferredProduct {
            catalog_id: "987654321098765".into(),
            product_retailer_id: "SKU-MUG-01".into(),
        })
    );
    assert_eq!(context.author, "15550100");
    assert!(context.message_id.starts_with("wamid."));
    assert_eq!(m.text, "Essa caneca vem em outras cores?");
}

#[tokio::test]
async fn a_card_with_only_a_vcard_is_named_from_its_fn_and_keeps_the_vcard() {
    let m = one_message("contacts_vcard_only.json").await;
    let Content::Contacts(cards) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(cards.len(), 1);
    let card = &cards[0];
    // `FN;CHARSET=UTF-8:佐藤 由紀\, Example` folded onto ` KK`: unfolded, unescaped.
    assert_eq!(card.formatted_name, "佐藤 由紀, Example KK");
    let raw = change_value("contacts_vcard_only.json", 0, 0);
    let vcard = raw["messages"][0]["contacts"][0]["vcard"].as_str().unwrap();
    assert_eq!(card.vcard.as_deref(), Some(vcard));
    assert_eq!((&card.first_name, &card.last_name), (&None, &None));
    assert!(card.phones.is_empty() && card.emails.is_empty());
    assert_eq!(m.text, "");
}

// ----------------------------------------------------------------------------- statuses

#[tokio::test]
async fn sent_status_carries_conversation_and_pricing() {
    let s = one_status("status_sent.json").await;
    assert_eq!(s.status, DeliveryStatus::Sent);
    assert_eq!(
        s.message_id,
        "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBIzNkIyNDU0QzYzNkZFQzlBREYA"
    );
    assert_eq!(s.timestamp, 1_732_147_500);
    assert_eq!(s.recipient, phone_user(ALICE, None));
    assert_eq!(s.group_id, None);
    assert_eq!(s.business_account_id, WABA);
    assert_eq!(s.phone_number_id, BUSINESS_PHONE_ID);
    let c = s.conversation.expect("conversation");
    assert_eq!(c.origin.as_deref(), Some("utility"));
    assert_eq!(c.expires_at, Some(1_732_233_900));
    let p = s.pricing.expect("pricing");
    assert!(p.billable);
    assert_eq!(p.model, "PMP");
    assert_eq!(p.category, "utility");
    assert_eq!(p.kind.as_deref(), Some("regular"));
}

#[tokio::test]
async fn delivered_read_deleted_and_unknown_statuses_are_typed() {
    let s = one_status("status_delivered.json").await;
    assert_eq!(s.status, DeliveryStatus::Delivered);
    assert!(s.conversation.is_none() && s.pricing.is_some());
    let s = one_status("status_read.json").await;
    assert_eq!(s.status, DeliveryStatus::Read);
    assert!(s.conversation.is_none() && s.pricing.is_none());
    let s = one_status("status_deleted.json").await;
    assert_eq!(s.status, DeliveryStatus::Deleted);
    let s = one_status("status_unknown_future.json").await;
    assert_eq!(s.status, DeliveryStatus::Other("played".into()));
    assert!(s.raw_json.contains("played"));
}

#[tokio::test]
async fn a_failed_status_carries_its_errors() {
    let s = one_status("status_failed.json").await;
    assert_eq!(s.status, DeliveryStatus::Failed);
    assert_eq!(s.errors.len(), 1);
    let e = &s.errors[0];
    assert_eq!(e.code, 131026);
    assert_eq!(e.title, "Message undeliverable");
    assert!(e.message.is_some() && e.details.is_some() && e.href.is_some());
}

#[tokio::test]
async fn opaque_callback_data_is_passed_through() {
    let s = one_status("status_with_biz_opaque_callback_data.json").await;
    assert_eq!(
        s.biz_opaque_callback_data.as_deref(),
        Some("order=8841;campaign=spring-2025;step=2")
    );
    assert_eq!(
        s.conversation.and_then(|c| c.origin).as_deref(),
        Some("marketing")
    );
}

#[tokio::test]
async fn statuses_are_not_marked_read_or_answered() {
    let h = harness();
    deliver(&h, "status_sent.json").await;
    assert_eq!(h.statuses().len(), 1);
    assert!(h.graph_requests().is_empty(), "{:?}", h.graph_requests());
    assert!(h.status_calls()[0].acked_before_dispatch);
}

#[tokio::test]
async fn group_read_receipts_are_about_each_participant_in_the_group() {
    let h = harness();
    deliver(&h, "status_group_read.json").await;
    let statuses = h.statuses();
    let recipients: Vec<(User, Option<String>, u64)> = statuses
        .iter()
        .map(|s| (s.recipient.clone(), s.group_id.clone(), s.timestamp))
        .collect();
    let group = Some(GROUP_ID.to_string());
    assert_eq!(
        recipients,
        [
            (
                user(
                    Some(ALICE),
                    Some(ALICE_USER_ID),
                    Some(ALICE_PARENT_ID),
                    None,
                    Some("Alice Johnson")
                ),
                group.clone(),
                1_732_149_050
            ),
            (
                user(
                    Some(BRUNO),
                    Some(BRUNO_USER_ID),
                    Some(BRUNO_PARENT_ID),
                    None,
                    Some("Bruno Araújo")
                ),
                group.clone(),
                1_732_149_052
            ),
            (dana(), group, 1_732_149_055),
        ]
    );
    let first = &statuses[0];
    assert!(statuses.iter().all(|s| s.message_id == first.message_id
        && s.status == DeliveryStatus::Read
        && s.phone_number_id == BUSINESS_PHONE_ID));
}

#[tokio::test]
async fn a_status_of_a_message_sent_to_a_user_id_names_the_user_by_its_ids() {
    let h = harness();
    deliver(&h, "status_user_id_only.json").await;
    let statuses = h.statuses();
    assert_eq!(statuses.len(), 2, "{statuses:#?}");
    // Delivered: ids from the status, name and username from its contact.
    assert_eq!(statuses[0].status, DeliveryStatus::Delivered);
    assert_eq!(statuses[0].recipient, dana());
    assert_eq!(statuses[0].group_id, None);
    // Failed: Meta sends no contacts, so only the user id is known.
    assert_eq!(statuses[1].status, DeliveryStatus::Failed);
    assert_eq!(
        statuses[1].recipient,
        user(None, Some(DANA_USER_ID), None, None, None)
    );
    assert_eq!(statuses[1].errors[0].code, 131026);
}
