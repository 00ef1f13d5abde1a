//! Changes of webhook fields other than `messages` (template reviews, marketing
//! preferences, account events, number quality, user id changes, and any field not typed
//! yet): typed when the field is known, with the change's raw value in every case.

use crate::json::Value;

use super::change::{Contacts, Origin};
use super::lenient::{opt_str, raw_json, str_at, timestamp, truncate};
use crate::types::{
    AccountEvent, AccountRestriction, PhoneNumberQuality, TemplateStatus, UpdateDetails,
    UserIdChange, UserPreference, WebhookUpdate,
};

/// A change of a field other than `messages`: typed when the field is known, with its raw
/// value in every case.
pub(super) fn parse_update(field: &str, value: &Value, origin: &Origin) -> WebhookUpdate {
    let details = match field {
        "message_template_status_update" => UpdateDetails::TemplateStatus(TemplateStatus {
            event: str_at(Some(value), "event"),
            template_id: str_at(Some(value), "message_template_id"),
            name: str_at(Some(value), "message_template_name"),
            language: str_at(Some(value), "message_template_language"),
            reason: opt_str(Some(value), "reason"),
            category: opt_str(Some(value), "message_template_category"),
            detail: opt_str(value.get("rejection_info"), "reason")
                .or_else(|| opt_str(value.get("other_info"), "description")),
        }),
        "user_preferences" => {
            let contacts = value
                .as_object()
                .map(Contacts::of)
                .unwrap_or(Contacts(Vec::new()));
            UpdateDetails::UserPreferences(
                value
                    .get("user_preferences")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| UserPreference {
                        user: contacts.user(
                            opt_str(Some(p), "wa_id"),
                            opt_str(Some(p), "user_id"),
                            opt_str(Some(p), "parent_user_id"),
                        ),
                        value: str_at(Some(p), "value"),
                        category: str_at(Some(p), "category"),
                        detail: str_at(Some(p), "detail"),
                        timestamp: timestamp(p.get("timestamp")),
                    })
                    .collect(),
            )
        }
        "account_update" => UpdateDetails::Account(AccountEvent {
            event: str_at(Some(value), "event"),
            phone_number: opt_str(Some(value), "phone_number"),
            violation: opt_str(value.get("violation_info"), "violation_type"),
            restrictions: value
                .get("restriction_info")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|r| AccountRestriction {
                    kind: str_at(Some(r), "restriction_type"),
                    expires_at: r
                        .get("expiration")
                        .map(|t| timestamp(Some(t)))
                        .filter(|t| *t > 0),
                })
                .collect(),
            ban_state: opt_str(value.get("ban_info"), "waba_ban_state"),
        }),
        "phone_number_quality_update" => UpdateDetails::PhoneNumberQuality(PhoneNumberQuality {
            display_phone_number: str_at(Some(value), "display_phone_number"),
            event: str_at(Some(value), "event"),
            current_limit: opt_str(Some(value), "current_limit"),
            old_limit: opt_str(Some(value), "old_limit"),
        }),
        "user_id_update" => {
            // A list under `user_id_update` (as `user_preferences` has its own), or the
            // value itself describing one change.
            let changes: Vec<&Value> = match value.get("user_id_update") {
                Some(Value::Array(list)) => list.iter().collect(),
                Some(one @ Value::Object(_)) => vec![one],
                _ => vec![value],
            };
            UpdateDetails::UserIdChanges(
                changes
                    .into_iter()
                    .map(|c| UserIdChange {
                        phone: opt_str(Some(c), "wa_id"),
                        previous_user_id: opt_str(Some(c), "previous_user_id")
                            .or_else(|| opt_str(c.get("user_id"), "previous")),
                        user_id: match c.get("user_id") {
                            Some(Value::Object(_)) => opt_str(c.get("user_id"), "current"),
                            _ => opt_str(Some(c), "user_id"),
                        },
                        parent_user_id: opt_str(Some(c), "parent_user_id"),
                        timestamp: timestamp(c.get("timestamp")),
                    })
                    .collect(),
            )
        }
        _ => UpdateDetails::Other,
    };
    WebhookUpdate {
        field: truncate(field, 64),
        business_account_id: origin.business_account_id.to_string(),
        phone_number_id: Some(origin.phone_number_id.clone()).filter(|p| !p.is_empty()),
        timestamp: origin.time,
        details,
        raw_json: raw_json(value),
    }
}
