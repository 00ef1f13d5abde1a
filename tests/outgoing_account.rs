//! Blocking users and the business profile through the real component: the exact
//! request of `block-users`, `unblock-users`, `get-business-profile` and
//! `update-business-profile` (method, URL, query, whole JSON body), the reading of
//! Meta's answers (a block with a failed user, the profile's fields), the direct
//! `send-voice`, `send-location-request` and `send-flow` calls, and every kind of limit
//! refused before sending (no request made).
//!
//! Needs the `Outgoing` wrappers of these functions in host-test
//! (`/tmp/host-test-outgoing-more.patch.rs`).

mod outgoing_support;

use host_test::*;
use outgoing_support::*;
use serde_json::json;

const BLOCK_URL: &str = "https://graph.facebook.com/v25.0/106540352242922/block_users";
const PROFILE_URL: &str =
    "https://graph.facebook.com/v25.0/106540352242922/whatsapp_business_profile";

fn users(list: &[&str]) -> Vec<String> {
    list.iter().map(|u| u.to_string()).collect()
}

#[track_caller]
fn assert_json_request(request: &GraphRequest, method: &str, url: &str, body: &serde_json::Value) {
    assert_eq!(request.method, method, "method of {}", request.url);
    assert_eq!(request.url, url);
    assert_eq!(request.query, None);
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(request
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/json"));
    assert_eq!(&request.json(), body, "body sent:\n{}", request.body_text());
}

#[tokio::test]
async fn block_users_posts_them_and_reads_a_failed_user() -> anyhow::Result<()> {
    // Meta's answer to a request that blocked one user and not the other: HTTP 400,
    // both lists and error 139100.
    let h = harness().graph(|_| {
        GraphResponse::json(
            400,
            json!({
                "messaging_product": "whatsapp",
                "block_users": {
                    "added_users": [{"input": "16505551234", "wa_id": "16505551234"}],
                    "failed_users": [{
                        "input": "16505550000",
                        "errors": [{
                            "message": "Re-engagement required",
                            "code": 131047,
                            "error_data": {"details": "User has not messaged in the last 24 hours"}
                        }]
                    }]
                },
                "error": {
                    "message": "(#139100) Failed to block/unblock users",
                    "type": "OAuthException",
                    "code": 139100,
                    "fbtrace_id": "Atrace"
                }
            }),
        )
    });
    let result = h
        .outgoing()
        .block_users(
            &users(&[
                "+1 650 555 1234",
                "1 650 555 0000",
                "US.13491208655302741918",
            ]),
            None,
        )
        .await?;
    assert_eq!(
        result,
        Ok(BlockResult {
            done: vec!["16505551234".into()],
            failed: vec![BlockFailure {
                user: "16505550000".into(),
                code: Some(131047),
                message: Some("Re-engagement required".into()),
            }],
        })
    );
    assert_json_request(
        &only_request(&h),
        "POST",
        BLOCK_URL,
        &json!({
            "messaging_product": "whatsapp",
            "block_users": [
                {"user": "16505551234"},
                {"user": "16505550000"},
                {"user_id": "US.13491208655302741918"}
            ]
        }),
    );
    Ok(())
}

#[tokio::test]
async fn unblock_users_deletes_them_from_the_named_number() -> anyhow::Result<()> {
    let h = harness().graph(|_| {
        GraphResponse::json(
            200,
            json!({
                "messaging_product": "whatsapp",
                "block_users": {"removed_users": [{"input": "16505551234", "wa_id": "16505551234"}]}
            }),
        )
    });
    let result = h
        .outgoing()
        .unblock_users(&users(&["16505551234"]), Some("222333"))
        .await?;
    assert_eq!(
        result,
        Ok(BlockResult {
            done: vec!["16505551234".into()],
            failed: vec![],
        })
    );
    assert_json_request(
        &only_request(&h),
        "DELETE",
        "https://graph.facebook.com/v25.0/222333/block_users",
        &json!({"messaging_product": "whatsapp", "block_users": [{"user": "16505551234"}]}),
    );
    Ok(())
}

#[tokio::test]
async fn block_limits_are_refused_before_sending() -> anyhow::Result<()> {
    let h = harness();
    let too_many: Vec<String> = (0..1001).map(|i| format!("1650555{i:04}")).collect();
    for (list, field, reason) in [
        (vec![], "users", "at least 1 user, got 0"),
        (
            too_many,
            "users",
            "at most 1000 users per request, got 1001",
        ),
        (
            users(&["16505551234", "group:120363025246125486"]),
            "users[1]",
            "a group cannot be blocked: give a phone number or a user id",
        ),
    ] {
        for block in [true, false] {
            let result = if block {
                h.outgoing().block_users(&list, None).await?
            } else {
                h.outgoing().unblock_users(&list, None).await?
            };
            match result {
                Err(SendError::InvalidRequest(i)) => {
                    assert_eq!((i.field.as_str(), i.reason.as_str()), (field, reason))
                }
                other => panic!("expected an invalid request, got {other:?}"),
            }
        }
    }
    // 1000 is allowed.
    let thousand: Vec<String> = (0..1000).map(|i| format!("1650555{i:04}")).collect();
    let h2 = harness().graph(|_| {
        GraphResponse::json(
            200,
            json!({"messaging_product": "whatsapp", "block_users": {"added_users": []}}),
        )
    });
    h2.outgoing()
        .block_users(&thousand, None)
        .await?
        .expect("1000 users");
    assert!(h.graph_requests().is_empty(), "nothing was sent");
    Ok(())
}

#[tokio::test]
async fn get_business_profile_reads_every_field() -> anyhow::Result<()> {
    let h = harness().graph(|_| {
        GraphResponse::json(
            200,
            json!({"data": [{
                "about": "Fresh bread daily",
                "address": "1 Baker Street",
                "description": "Family bakery since 1952",
                "email": "orders@bakery.example",
                "profile_picture_url": "https://pps.whatsapp.net/v/p.jpg",
                "websites": ["https://bakery.example", "https://instagram.com/bakery"],
                "vertical": "RESTAURANT",
                "messaging_product": "whatsapp"
            }]}),
        )
    });
    let profile = h.outgoing().get_business_profile(None).await?;
    assert_eq!(
        profile,
        Ok(BusinessProfileDetails {
            about: Some("Fresh bread daily".into()),
            address: Some("1 Baker Street".into()),
            description: Some("Family bakery since 1952".into()),
            email: Some("orders@bakery.example".into()),
            profile_picture_url: Some("https://pps.whatsapp.net/v/p.jpg".into()),
            websites: vec![
                "https://bakery.example".into(),
                "https://instagram.com/bakery".into()
            ],
            vertical: Some("RESTAURANT".into()),
        })
    );
    let r = only_request(&h);
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/v25.0/106540352242922/whatsapp_business_profile");
    assert_eq!(
        r.query.as_deref(),
        Some("fields=about,address,description,email,profile_picture_url,websites,vertical")
    );
    assert!(r.body.is_empty());
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    Ok(())
}

fn update() -> BusinessProfileUpdate {
    BusinessProfileUpdate {
        about: None,
        address: None,
        description: None,
        email: None,
        websites: None,
        vertical: None,
        profile_picture_handle: None,
        phone_number_id: None,
    }
}

#[tokio::test]
async fn update_business_profile_posts_only_the_fields_given() -> anyhow::Result<()> {
    let h = harness().graph(|_| GraphResponse::json(200, json!({"success": true})));
    let result = h
        .outgoing()
        .update_business_profile(&BusinessProfileUpdate {
            about: Some("Open late on Fridays".into()),
            email: Some("orders@bakery.example".into()),
            websites: Some(vec!["https://bakery.example".into()]),
            vertical: Some(BusinessVertical::Restaurant),
            profile_picture_handle: Some("4::aW1hZ2UvanBlZw==".into()),
            ..update()
        })
        .await?;
    assert_eq!(result, Ok(()));
    assert_json_request(
        &only_request(&h),
        "POST",
        PROFILE_URL,
        &json!({
            "messaging_product": "whatsapp",
            "about": "Open late on Fridays",
            "email": "orders@bakery.example",
            "websites": ["https://bakery.example"],
            "vertical": "RESTAURANT",
            "profile_picture_handle": "4::aW1hZ2UvanBlZw=="
        }),
    );
    Ok(())
}

#[tokio::test]
async fn profile_limits_are_refused_before_sending() -> anyhow::Result<()> {
    let h = harness();
    let cases: Vec<(BusinessProfileUpdate, &str, String)> = vec![
        (
            update(),
            "update",
            "nothing to change: give at least one field".into(),
        ),
        (
            BusinessProfileUpdate {
                about: Some("a".repeat(140)),
                ..update()
            },
            "about",
            "at most 139 characters, got 140".into(),
        ),
        (
            BusinessProfileUpdate {
                address: Some("a".repeat(257)),
                ..update()
            },
            "address",
            "at most 256 characters, got 257".into(),
        ),
        (
            BusinessProfileUpdate {
                description: Some("a".repeat(513)),
                ..update()
            },
            "description",
            "at most 512 characters, got 513".into(),
        ),
        (
            BusinessProfileUpdate {
                email: Some(format!("{}@example.com", "a".repeat(117))),
                ..update()
            },
            "email",
            "at most 128 characters, got 129".into(),
        ),
        (
            BusinessProfileUpdate {
                email: Some("orders.bakery.example".into()),
                ..update()
            },
            "email",
            "must be an e-mail address such as name@example.com".into(),
        ),
        (
            BusinessProfileUpdate {
                websites: Some(vec![
                    "https://a.example".into(),
                    "https://b.example".into(),
                    "https://c.example".into(),
                ]),
                ..update()
            },
            "websites",
            "at most 2 web sites, got 3".into(),
        ),
        (
            BusinessProfileUpdate {
                websites: Some(vec![format!("https://{}", "a".repeat(249))]),
                ..update()
            },
            "websites[0]",
            "at most 256 characters, got 257".into(),
        ),
        (
            BusinessProfileUpdate {
                websites: Some(vec!["bakery.example".into()]),
                ..update()
            },
            "websites[0]",
            "must be an http:// or https:// URL without spaces".into(),
        ),
    ];
    for (u, field, reason) in cases {
        match h.outgoing().update_business_profile(&u).await? {
            Err(SendError::InvalidRequest(i)) => {
                assert_eq!(
                    (i.field.as_str(), i.reason.as_str()),
                    (field, reason.as_str())
                )
            }
            other => panic!("expected an invalid request on {field}, got {other:?}"),
        }
    }
    assert!(h.graph_requests().is_empty(), "nothing was sent");
    Ok(())
}

#[tokio::test]
async fn direct_voice_location_request_and_flow_sends() -> anyhow::Result<()> {
    let h = harness().graph(|_| meta_answer(200, "send_success.json"));
    let sent = h
        .outgoing()
        .send_voice(&VoiceMessage {
            to: ALICE.into(),
            source: MediaSource::Id("1183440992862314".into()),
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?;
    assert_eq!(sent.map(|s| s.message_ids), Ok(vec![SENT_ID.to_string()]));
    assert_post(
        &only_request(&h),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": ALICE,
            "type": "audio",
            "audio": {"id": "1183440992862314", "voice": true}
        }),
    );
    h.clear_records();
    h.outgoing()
        .send_location_request(&LocationRequestMessage {
            to: "group:120363025246125486".into(),
            body: "Where are you?".into(),
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
            "recipient_type": "group",
            "to": "120363025246125486",
            "type": "interactive",
            "interactive": {
                "type": "location_request_message",
                "body": {"text": "Where are you?"},
                "action": {"name": "send_location"}
            }
        }),
    );
    h.clear_records();
    let refused = h
        .outgoing()
        .send_flow(&FlowMessage {
            to: ALICE.into(),
            flow: FlowRef::Id("1".into()),
            flow_token: "t".into(),
            cta: "x".repeat(21),
            body: "b".into(),
            header: None,
            footer: None,
            action: FlowAction::DataExchange,
            draft: false,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        })
        .await?;
    let i = invalid(refused);
    assert_eq!(
        (i.field.as_str(), i.reason.as_str()),
        ("cta", "at most 20 characters, got 21")
    );
    assert!(h.graph_requests().is_empty());
    Ok(())
}
