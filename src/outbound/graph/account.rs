//! Requests about the business number rather than a message: blocking and unblocking
//! users (`/<phone-number-id>/block_users`) and the business profile
//! (`/<phone-number-id>/whatsapp_business_profile`), and the reading of their answers.
//!
//! This file guards what those requests carry (who is blocked, which profile fields
//! change) and what the caller learns from Meta's answer: which users were refused and
//! why, and the profile's fields. Errors are read as for every other request
//! ([`crate::outbound::graph_error`]).

use serde_json::{json, Map, Value};

use super::{put, string};

// Meta's answers are read into `crate::json`'s tree; the bodies are built as
// serde_json values.
use crate::json::{self, Value as Answer};

use super::bodies::insert_present;
use super::recipient::{parse_recipient, Recipient};
use crate::outbound::graph_error::parse_mark_read_response;
use crate::outbound::limits;
use crate::types::{
    BadResponse, BlockFailure, BlockResult, BusinessProfileDetails, BusinessProfileUpdate,
    BusinessVertical, InvalidRequest, SendError,
};

/// The fields `get-business-profile` asks for.
pub const PROFILE_FIELDS: &str =
    "about,address,description,email,profile_picture_url,websites,vertical";

/// Meta's name of a business vertical (`PROF_SERVICES`, ...).
pub fn vertical_name(vertical: BusinessVertical) -> &'static str {
    match vertical {
        BusinessVertical::Undefined => "UNDEFINED",
        BusinessVertical::Other => "OTHER",
        BusinessVertical::Auto => "AUTO",
        BusinessVertical::Beauty => "BEAUTY",
        BusinessVertical::Apparel => "APPAREL",
        BusinessVertical::Edu => "EDU",
        BusinessVertical::Entertain => "ENTERTAIN",
        BusinessVertical::EventPlan => "EVENT_PLAN",
        BusinessVertical::Finance => "FINANCE",
        BusinessVertical::Grocery => "GROCERY",
        BusinessVertical::Govt => "GOVT",
        BusinessVertical::Hotel => "HOTEL",
        BusinessVertical::Health => "HEALTH",
        BusinessVertical::Nonprofit => "NONPROFIT",
        BusinessVertical::ProfServices => "PROF_SERVICES",
        BusinessVertical::Retail => "RETAIL",
        BusinessVertical::Travel => "TRAVEL",
        BusinessVertical::Restaurant => "RESTAURANT",
        BusinessVertical::NotABiz => "NOT_A_BIZ",
    }
}

/// The body of a block or unblock request:
/// `{"messaging_product":"whatsapp","block_users":[{"user":"<digits>"}|{"user_id":"<id>"}]}`.
///
/// Each user is read as a recipient ([`parse_recipient`]): a phone number goes as
/// `user` (its digits), a business-scoped user id as `user_id` (as pywa sends it, for
/// users known only by their username). A group cannot be blocked. 1 to
/// [`limits::BLOCK_USERS_MAX`] users.
pub fn block_users_body(users: &[String]) -> Result<Value, InvalidRequest> {
    limits::validate_block_users(users)?;
    let mut list = Vec::with_capacity(users.len());
    for (i, user) in users.iter().enumerate() {
        let field = format!("users[{i}]");
        let entry = match parse_recipient(user) {
            Ok(Recipient::Phone(digits)) => json!({ "user": digits }),
            Ok(Recipient::UserId(id)) => json!({ "user_id": id }),
            Ok(Recipient::Group(_)) => {
                return Err(InvalidRequest {
                    field,
                    reason: "a group cannot be blocked: give a phone number or a user id".into(),
                })
            }
            Err(e) => {
                return Err(InvalidRequest {
                    field,
                    reason: e.reason,
                })
            }
        };
        list.push(entry);
    }
    Ok(json!({ "messaging_product": "whatsapp", "block_users": list }))
}

/// The body of a business profile change: `{"messaging_product":"whatsapp"}` and only the
/// fields given (`about`, `address`, `description`, `email`, `websites`, `vertical`,
/// `profile_picture_handle`); blank texts are left out.
pub fn profile_update_body(update: &BusinessProfileUpdate) -> Result<Value, InvalidRequest> {
    limits::validate_profile_update(update)?;
    let mut body = Map::new();
    put(&mut body, "messaging_product", string("whatsapp"));
    insert_present(&mut body, "about", &update.about);
    insert_present(&mut body, "address", &update.address);
    insert_present(&mut body, "description", &update.description);
    insert_present(&mut body, "email", &update.email);
    if let Some(websites) = &update.websites {
        put(&mut body, "websites", json!(websites));
    }
    if let Some(vertical) = update.vertical {
        put(&mut body, "vertical", json!(vertical_name(vertical)));
    }
    insert_present(
        &mut body,
        "profile_picture_handle",
        &update.profile_picture_handle,
    );
    Ok(Value::Object(body))
}

fn bad_response(status: u16, content_type: Option<&str>, reason: &str) -> SendError {
    SendError::BadResponse(BadResponse {
        http_status: status,
        content_type: content_type.map(str::to_string),
        reason: reason.to_string(),
    })
}

/// A text field: a non-empty string, or a number written out.
fn text(value: Option<&Answer>) -> Option<String> {
    match value? {
        Answer::String(s) if !s.is_empty() => Some(s.to_string()),
        Answer::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer: a JSON integer, or a string holding one.
fn integer(value: Option<&Answer>) -> Option<i64> {
    match value? {
        Answer::Number(n) => n.as_i64(),
        Answer::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The answer when it is not the endpoint's own JSON: Meta's error, or a bad response.
///
/// A JSON 2xx answer without an error object is a bad response with `reason`; anything
/// else is read as for every other request (a Graph error, or what is wrong with it).
fn not_the_answer<T>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    json: Option<&Answer>,
    reason: &str,
) -> Result<T, SendError> {
    let success = (200..=299).contains(&status);
    let has_error = json.is_some_and(|j| j.get("error").is_some_and(Answer::is_object));
    if success && json.is_some() && !has_error {
        return Err(bad_response(status, content_type, reason));
    }
    match parse_mark_read_response(status, content_type, body) {
        Err(error) => Err(error),
        Ok(()) => Err(bad_response(status, content_type, reason)),
    }
}

/// Reads one `failed_users` entry: its input, and the first of its errors.
fn failure(entry: &Answer) -> Option<BlockFailure> {
    let user = text(entry.get("input")).or_else(|| text(entry.get("wa_id")))?;
    let error = entry
        .get("errors")
        .and_then(Answer::as_array)
        .and_then(|errors| errors.first());
    let message = error.and_then(|e| {
        text(e.get("message"))
            .or_else(|| text(e.get("title")))
            .or_else(|| e.get("error_data").and_then(|d| text(d.get("details"))))
    });
    Some(BlockFailure {
        user,
        code: error.and_then(|e| integer(e.get("code"))),
        message,
    })
}

/// Reads the answer to a block (`added_users`) or an unblock (`removed_users`):
/// `{"block_users":{"added_users"|"removed_users":[{"input","wa_id"}],"failed_users"?:
/// [{"input","errors":[{"code","message"}]}]}}`.
///
/// Meta answers a request that blocked some users and not others with HTTP 400, the
/// `block_users` lists and an error 139100: that is a result (the failed users say why),
/// not an error. Any other answer is read as for every other request.
pub fn parse_block_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<BlockResult, SendError> {
    let json = json::from_slice(body).ok();
    let lists = json
        .as_ref()
        .and_then(|j| j.get("block_users"))
        .filter(|v| v.is_object());
    let answered = (200..=299).contains(&status) || status == 400;
    let Some(lists) = lists.filter(|_| answered) else {
        return not_the_answer(
            status,
            content_type,
            body,
            json.as_ref(),
            "no block_users object",
        );
    };
    let entries = |key: &str| -> &[Answer] {
        lists
            .get(key)
            .and_then(Answer::as_array)
            .unwrap_or_default()
    };
    let mut done: Vec<String> = Vec::new();
    for key in ["added_users", "removed_users"] {
        done.extend(
            entries(key)
                .iter()
                .filter_map(|u| text(u.get("input")).or_else(|| text(u.get("wa_id")))),
        );
    }
    let failed: Vec<BlockFailure> = entries("failed_users").iter().filter_map(failure).collect();
    if done.is_empty() && failed.is_empty() && status == 400 {
        return not_the_answer(status, content_type, body, json.as_ref(), "empty lists");
    }
    Ok(BlockResult { done, failed })
}

/// Reads the answer to `GET /<phone-number-id>/whatsapp_business_profile`:
/// `{"data":[{"about","address","description","email","profile_picture_url","websites",
/// "vertical"}]}` (the first entry). Absent fields are `none` (websites: empty).
pub fn parse_business_profile_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<BusinessProfileDetails, SendError> {
    let json = json::from_slice(body).ok();
    let entry = json
        .as_ref()
        .filter(|_| (200..=299).contains(&status))
        .filter(|j| j.get("error").is_none())
        .and_then(|j| j.get("data"))
        .and_then(Answer::as_array)
        .and_then(|data| data.first())
        .filter(|entry| entry.is_object());
    let Some(entry) = entry else {
        return not_the_answer(
            status,
            content_type,
            body,
            json.as_ref(),
            "no business profile in data",
        );
    };
    let websites = entry
        .get("websites")
        .and_then(Answer::as_array)
        .map(|sites| sites.iter().filter_map(|s| text(Some(s))).collect())
        .unwrap_or_default();
    Ok(BusinessProfileDetails {
        about: text(entry.get("about")),
        address: text(entry.get("address")),
        description: text(entry.get("description")),
        email: text(entry.get("email")),
        profile_picture_url: text(entry.get("profile_picture_url")),
        websites,
        vertical: text(entry.get("vertical")),
    })
}

/// Reads the answer to a business profile change, which must be `{"success": true}`.
pub fn parse_update_profile_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), SendError> {
    parse_mark_read_response(status, content_type, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::GraphError;

    fn users(list: &[&str]) -> Vec<String> {
        list.iter().map(|u| u.to_string()).collect()
    }

    #[test]
    fn block_body_by_phone_and_user_id() {
        assert_eq!(
            block_users_body(&users(&["+1 650-555-1234", "US.13491208655302741918"])).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "block_users": [
                    {"user": "16505551234"},
                    {"user_id": "US.13491208655302741918"}
                ]
            }))
        );
        let refused = |list: &[&str]| block_users_body(&users(list)).err();
        assert_eq!(
            refused(&["1", "group:120363"]).map(|e| e.field),
            Some("users[1]".into())
        );
        assert_eq!(
            refused(&["not a number"]).map(|e| e.field),
            Some("users[0]".into())
        );
        assert_eq!(
            refused(&[]).map(|e| (e.field, e.reason)),
            Some(("users".into(), "at least 1 user, got 0".into()))
        );
    }

    #[test]
    fn profile_update_body_has_only_the_fields_given() {
        let update = BusinessProfileUpdate {
            about: Some("Fresh bread daily".into()),
            address: None,
            description: Some(" ".into()),
            email: Some("orders@bakery.example".into()),
            websites: Some(vec!["https://bakery.example".into()]),
            vertical: Some(BusinessVertical::ProfServices),
            profile_picture_handle: Some("4::aW1hZ2U=".into()),
            phone_number_id: Some("PNID".into()),
        };
        assert_eq!(
            profile_update_body(&update).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "about": "Fresh bread daily",
                "email": "orders@bakery.example",
                "websites": ["https://bakery.example"],
                "vertical": "PROF_SERVICES",
                "profile_picture_handle": "4::aW1hZ2U="
            }))
        );
        let clear = BusinessProfileUpdate {
            about: None,
            address: None,
            description: None,
            email: None,
            websites: Some(vec![]),
            vertical: None,
            profile_picture_handle: None,
            phone_number_id: None,
        };
        assert_eq!(
            profile_update_body(&clear).ok(),
            Some(json!({"messaging_product": "whatsapp", "websites": []}))
        );
    }

    #[test]
    fn every_vertical_has_meta_s_name() {
        use BusinessVertical as V;
        let all = [
            (V::Undefined, "UNDEFINED"),
            (V::Other, "OTHER"),
            (V::Auto, "AUTO"),
            (V::Beauty, "BEAUTY"),
            (V::Apparel, "APPAREL"),
            (V::Edu, "EDU"),
            (V::Entertain, "ENTERTAIN"),
            (V::EventPlan, "EVENT_PLAN"),
            (V::Finance, "FINANCE"),
            (V::Grocery, "GROCERY"),
            (V::Govt, "GOVT"),
            (V::Hotel, "HOTEL"),
            (V::Health, "HEALTH"),
            (V::Nonprofit, "NONPROFIT"),
            (V::ProfServices, "PROF_SERVICES"),
            (V::Retail, "RETAIL"),
            (V::Travel, "TRAVEL"),
            (V::Restaurant, "RESTAURANT"),
            (V::NotABiz, "NOT_A_BIZ"),
        ];
        for (vertical, name) in all {
            assert_eq!(vertical_name(vertical), name);
        }
    }

    fn graph(result: Result<impl std::fmt::Debug, SendError>) -> GraphError {
        match result {
            Err(SendError::Graph(g)) => g,
            other => panic!("expected a Graph error, got {other:?}"),
        }
    }

    fn bad(result: Result<impl std::fmt::Debug, SendError>) -> String {
        match result {
            Err(SendError::BadResponse(b)) => b.reason,
            other => panic!("expected a bad response, got {other:?}"),
        }
    }

    const CT: Option<&str> = Some("application/json");

    /// Compares through `Debug`: the generated types do not implement `PartialEq`.
    #[track_caller]
    fn same<T: std::fmt::Debug>(got: Option<T>, want: T) {
        assert_eq!(format!("{got:?}"), format!("{:?}", Some(want)));
    }

    #[test]
    fn block_answers() {
        let ok = br#"{"messaging_product":"whatsapp","block_users":{"added_users":[{"input":"+16505551234","wa_id":"16505551234"}]}}"#;
        same(
            parse_block_response(200, CT, ok).ok(),
            BlockResult {
                done: vec!["+16505551234".into()],
                failed: vec![],
            },
        );
        let mixed = br#"{"messaging_product":"whatsapp","block_users":{"added_users":[{"input":"16505551234","wa_id":"16505551234"}],"failed_users":[{"input":"16505550000","errors":[{"message":"Re-engagement required","code":131047,"error_data":{"details":"User has not messaged in the last 24 hours"}}]},{"input":"16505559999"}]},"error":{"message":"(#139100) Failed to block/unblock users","type":"OAuthException","code":139100,"fbtrace_id":"T"}}"#;
        same(
            parse_block_response(400, CT, mixed).ok(),
            BlockResult {
                done: vec!["16505551234".into()],
                failed: vec![
                    BlockFailure {
                        user: "16505550000".into(),
                        code: Some(131047),
                        message: Some("Re-engagement required".into()),
                    },
                    BlockFailure {
                        user: "16505559999".into(),
                        code: None,
                        message: None,
                    },
                ],
            },
        );
        let unblocked = br#"{"messaging_product":"whatsapp","block_users":{"removed_users":[{"input":"US.1","user_id":"US.1"}]}}"#;
        assert_eq!(
            parse_block_response(200, CT, unblocked)
                .map(|r| r.done)
                .ok(),
            Some(vec!["US.1".to_string()])
        );
        let error = br#"{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"fbtrace_id":"T"}}"#;
        assert_eq!(graph(parse_block_response(400, CT, error)).code, 100);
        assert_eq!(
            bad(parse_block_response(200, CT, br#"{"success":true}"#)),
            "no block_users object"
        );
        assert_eq!(bad(parse_block_response(200, CT, b"<html>")), "not JSON");
        assert_eq!(
            bad(parse_block_response(502, None, b"")),
            "HTTP 502 with an empty body"
        );
    }

    #[test]
    fn business_profile_answers() {
        let full = br#"{"data":[{"about":"Fresh bread daily","address":"1 Baker St","description":"Family bakery","email":"orders@bakery.example","profile_picture_url":"https://pps.example/p.jpg","websites":["https://bakery.example","https://instagram.example/bakery"],"vertical":"RESTAURANT","messaging_product":"whatsapp"}]}"#;
        same(
            parse_business_profile_response(200, CT, full).ok(),
            BusinessProfileDetails {
                about: Some("Fresh bread daily".into()),
                address: Some("1 Baker St".into()),
                description: Some("Family bakery".into()),
                email: Some("orders@bakery.example".into()),
                profile_picture_url: Some("https://pps.example/p.jpg".into()),
                websites: vec![
                    "https://bakery.example".into(),
                    "https://instagram.example/bakery".into(),
                ],
                vertical: Some("RESTAURANT".into()),
            },
        );
        let sparse = br#"{"data":[{"messaging_product":"whatsapp","vertical":"UNDEFINED"}]}"#;
        same(
            parse_business_profile_response(200, CT, sparse).ok(),
            BusinessProfileDetails {
                about: None,
                address: None,
                description: None,
                email: None,
                profile_picture_url: None,
                websites: vec![],
                vertical: Some("UNDEFINED".into()),
            },
        );
        assert_eq!(
            bad(parse_business_profile_response(200, CT, br#"{"data":[]}"#)),
            "no business profile in data"
        );
        let error = br#"{"error":{"message":"(#190) token","type":"OAuthException","code":190}}"#;
        assert_eq!(
            graph(parse_business_profile_response(401, CT, error)).code,
            190
        );
        assert_eq!(
            parse_update_profile_response(200, CT, br#"{"success":true}"#).ok(),
            Some(())
        );
        assert_eq!(
            graph(parse_update_profile_response(400, CT, error)).http_status,
            400
        );
    }
}
