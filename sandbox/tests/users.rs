//! Users as Meta has them since 2026: every one with a business-scoped user id, some with
//! a username, one with no phone number at all; sends addressed by `to` or by
//! `recipient`; status webhooks that name the recipient by both.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn a_username_only_user_arrives_with_a_user_id_and_no_phone_number() {
    let (sbx, hook) = start().await;
    let r = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "hi, no number here", "user_id": CHEN_WEI}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r);
    let value = hook.next_message_value().await;
    assert_eq!(
        value["contacts"],
        json!([{"profile": {"name": "Chen Wei", "username": "chenwei"},
                "user_id": CHEN_WEI, "parent_user_id": CHEN_WEI_PARENT}])
    );
    let m = &value["messages"][0];
    assert!(m.get("from").is_none(), "no phone number, no `from`: {m}");
    assert_eq!(m["from_user_id"], CHEN_WEI);
    assert_eq!(m["from_parent_user_id"], CHEN_WEI_PARENT);
    assert_eq!(m["text"]["body"], "hi, no number here");

    // The chat is keyed by the user id.
    let shown = state(sbx.addr).await["messages"][0].clone();
    assert_eq!(
        (shown["chat"].as_str(), shown["wa_id"].as_str()),
        (Some(CHEN_WEI), None)
    );
}

#[tokio::test]
async fn users_with_a_phone_number_carry_their_user_ids_too() {
    let (sbx, hook) = start().await;
    sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "hi", "from": ALICE}),
    )
    .await;
    let value = hook.next_message_value().await;
    assert_eq!(
        value["contacts"],
        json!([{"profile": {"name": "Alice Johnson"}, "wa_id": ALICE,
                "user_id": ALICE_USER_ID, "parent_user_id": ALICE_PARENT_ID}])
    );
    let m = &value["messages"][0];
    assert_eq!(
        (
            m["from"].as_str(),
            m["from_user_id"].as_str(),
            m["from_parent_user_id"].as_str()
        ),
        (Some(ALICE), Some(ALICE_USER_ID), Some(ALICE_PARENT_ID))
    );

    // Someone new gets a user id of their own, the same one every time.
    let mut ids = Vec::new();
    for _ in 0..2 {
        sandbox_post(
            sbx.addr,
            "/_sandbox/send",
            &json!({"type": "text", "text": "hello", "from": "+44 7700 900123", "name": "Nia"}),
        )
        .await;
        let value = hook.next_message_value().await;
        let contact = &value["contacts"][0];
        assert_eq!(contact["wa_id"], "447700900123");
        assert_eq!(
            contact["user_id"], value["messages"][0]["from_user_id"],
            "{value}"
        );
        ids.push(contact["user_id"].as_str().unwrap().to_string());
    }
    assert!(ids[0].starts_with("GB.") && ids[0] == ids[1], "{ids:?}");

    let bad = sandbox_post(
        sbx.addr,
        "/_sandbox/send",
        &json!({"type": "text", "text": "x", "user_id": "not-an-id"}),
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn a_send_by_recipient_answers_with_the_user_id() {
    let (sbx, _hook) = start().await;
    let send = |recipient: &str| {
        json!({"messaging_product": "whatsapp", "recipient": recipient, "type": "text",
               "text": {"body": "by user id"}})
    };
    let r = graph_post(sbx.addr, &send(CHEN_WEI)).await.unwrap();
    assert_eq!(r.status, 200, "{:?}", r);
    assert_eq!(
        r.json()["contacts"],
        json!([{"input": CHEN_WEI, "user_id": CHEN_WEI}]),
        "no wa_id for a user without a phone number"
    );
    // It shows in Chen Wei's chat.
    let id = sent_id(&r);
    let chat = state(sbx.addr).await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id.as_str())
        .map(|m| m["chat"].clone());
    assert_eq!(chat, Some(json!(CHEN_WEI)));

    // A user with a phone number answers with both; a parent id finds the user too.
    for input in [ALICE_USER_ID, ALICE_PARENT_ID] {
        let r = graph_post(sbx.addr, &send(input)).await.unwrap();
        assert_eq!(
            r.json()["contacts"],
            json!([{"input": input, "wa_id": ALICE, "user_id": ALICE_USER_ID}])
        );
    }
}

#[tokio::test]
async fn a_send_needs_exactly_one_of_to_and_recipient() {
    let (sbx, _hook) = start().await;
    let text = json!({"body": "who is this for?"});
    for body in [
        json!({"messaging_product": "whatsapp", "type": "text", "text": text}),
        json!({"messaging_product": "whatsapp", "to": ALICE, "recipient": ALICE_USER_ID,
               "type": "text", "text": text}),
        json!({"messaging_product": "whatsapp", "recipient": ALICE, "type": "text", "text": text}),
    ] {
        let r = graph_post(sbx.addr, &body).await.unwrap();
        assert_eq!(
            (r.status, r.json()["error"]["code"].clone()),
            (400, json!(100)),
            "{body}"
        );
    }
    assert!(state(sbx.addr).await["messages"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_group_send_is_accepted_and_recorded() {
    let (sbx, _hook) = start().await;
    let body = json!({"messaging_product": "whatsapp", "recipient_type": "group",
                      "to": "Y2FmZS1ncm91cA", "type": "text", "text": {"body": "hi all"}});
    let r = graph_post(sbx.addr, &body).await.unwrap();
    assert_eq!(r.status, 200, "{:?}", r);
    assert_eq!(r.json()["contacts"], json!([{"input": "Y2FmZS1ncm91cA"}]));
    let recorded = requests(sbx.addr).await;
    assert_eq!(recorded[0]["body"]["recipient_type"], "group");
    assert_eq!(recorded[0]["phone_number_id"], PHONE_ID);
}

/// The status webhooks of message `id`, in order, until one with `last`.
async fn statuses_of(hook: &Hook, id: &str, last: &str) -> Vec<Value> {
    let mut found = Vec::new();
    loop {
        let value = hook.next_status_value().await;
        if value["statuses"][0]["id"] == id {
            let done = value["statuses"][0]["status"] == last;
            found.push(value);
            if done {
                return found;
            }
        }
    }
}

#[tokio::test]
async fn status_webhooks_name_the_recipient_and_return_the_callback_data() {
    let (sbx, hook) = start().await;
    // Chen Wei, by user id, with callback data: no recipient_id, both user ids.
    let r = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "recipient": CHEN_WEI, "type": "text",
                "text": {"body": "tracked"}, "biz_opaque_callback_data": "ticket=7"}),
    )
    .await
    .unwrap();
    let id = sent_id(&r);
    let values = statuses_of(&hook, &id, "delivered").await;
    let sent = &values[0];
    let status = &sent["statuses"][0];
    assert_eq!(status["status"], "sent");
    assert!(status.get("recipient_id").is_none(), "{status}");
    assert_eq!(status["recipient_user_id"], CHEN_WEI);
    assert_eq!(status["recipient_parent_user_id"], CHEN_WEI_PARENT);
    assert_eq!(status["biz_opaque_callback_data"], "ticket=7");
    // Meta describes the recipient in contacts, with the username from `delivered` on.
    assert_eq!(
        sent["contacts"],
        json!([{"profile": {"name": "Chen Wei"}, "user_id": CHEN_WEI, "parent_user_id": CHEN_WEI_PARENT}])
    );
    let delivered = &values[1];
    assert_eq!(
        delivered["statuses"][0]["biz_opaque_callback_data"],
        "ticket=7"
    );
    assert_eq!(delivered["contacts"][0]["profile"]["username"], "chenwei");

    // Alice, by phone number: all three ids.
    let id = sent_id(&graph_post(sbx.addr, &text_to(ALICE, "hi")).await.unwrap());
    let values = statuses_of(&hook, &id, "sent").await;
    let status = &values[0]["statuses"][0];
    assert_eq!(
        (
            status["recipient_id"].as_str(),
            status["recipient_user_id"].as_str(),
            status["recipient_parent_user_id"].as_str()
        ),
        (Some(ALICE), Some(ALICE_USER_ID), Some(ALICE_PARENT_ID))
    );
    assert!(status.get("biz_opaque_callback_data").is_none());

    // A `failed` status carries the callback data too, and no contacts.
    sandbox_post(
        sbx.addr,
        "/_sandbox/faults",
        &json!({"kind": "status_failed", "code": 131026}),
    )
    .await;
    let r = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "to": ALICE, "type": "text",
                "text": {"body": "doomed"}, "biz_opaque_callback_data": "ticket=8"}),
    )
    .await
    .unwrap();
    let values = statuses_of(&hook, &sent_id(&r), "failed").await;
    let failed = &values[0];
    assert_eq!(
        failed["statuses"][0]["biz_opaque_callback_data"],
        "ticket=8"
    );
    assert_eq!(failed["statuses"][0]["recipient_user_id"], ALICE_USER_ID);
    assert!(failed.get("contacts").is_none(), "{failed}");

    // Someone the sandbox never met is known by the phone number only.
    let id = sent_id(
        &graph_post(sbx.addr, &text_to("15550009", "hi"))
            .await
            .unwrap(),
    );
    let values = statuses_of(&hook, &id, "sent").await;
    let status = &values[0]["statuses"][0];
    assert_eq!(status["recipient_id"], "15550009");
    assert!(status.get("recipient_user_id").is_none(), "{status}");
}
