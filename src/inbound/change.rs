//! What every part of a change shares: where it comes from (the account and the business
//! number, [`Origin`]) and who it names (the `contacts[]` entries, [`Contacts`]).

use crate::json::{Map, Value};

use super::lenient::{opt_str, opt_str_map};
use crate::types::User;

/// Where a change comes from: the account (`entry[].id`, `entry[].time`) and, for a
/// `messages` change, the business number that received it (`value.metadata`).
pub(super) struct Origin<'a> {
    pub(super) business_account_id: &'a str,
    pub(super) time: u64,
    pub(super) phone_number_id: String,
    pub(super) display_phone_number: String,
}

/// The identities of the `contacts[]` entries of a change, looked up by any id.
pub(super) struct Contacts<'a>(pub(super) Vec<&'a Map<'a>>);

impl<'a> Contacts<'a> {
    pub(super) fn of(value: &'a Map<'a>) -> Self {
        Contacts(
            value
                .get("contacts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .collect(),
        )
    }

    /// The entry whose `wa_id` or `user_id` is `phone` or `user_id`; else the only entry,
    /// when there is exactly one and it names no other user (an entry with another phone
    /// number or user id is someone else: its ids must not become the sender's).
    fn find(&self, phone: Option<&str>, user_id: Option<&str>) -> Option<&'a Map<'a>> {
        let matches = |c: &&Map| {
            phone.is_some_and(|p| id(c, "wa_id") == Some(p))
                || user_id.is_some_and(|u| id(c, "user_id") == Some(u))
        };
        let compatible = |c: &Map| {
            phone.is_none_or(|p| id(c, "wa_id").is_none_or(|w| w == p))
                && user_id.is_none_or(|u| id(c, "user_id").is_none_or(|w| w == u))
        };
        self.0
            .iter()
            .copied()
            .find(matches)
            .or(match self.0.as_slice() {
                [only] if compatible(only) => Some(*only),
                _ => None,
            })
    }

    /// A user from the ids given in a message or status, completed from the matching
    /// `contacts[]` entry (ids the message lacks, the name and the username).
    pub(super) fn user(
        &self,
        phone: Option<String>,
        user_id: Option<String>,
        parent_user_id: Option<String>,
    ) -> User {
        let contact = self.find(phone.as_deref(), user_id.as_deref());
        let from_contact = |key: &str| contact.and_then(|c| opt_str_map(c, key));
        let profile = contact.and_then(|c| c.get("profile"));
        User {
            phone: phone
                .or_else(|| from_contact("wa_id"))
                .filter(|p| !p.is_empty()),
            user_id: user_id
                .or_else(|| from_contact("user_id"))
                .filter(|u| !u.is_empty()),
            parent_user_id: parent_user_id
                .or_else(|| from_contact("parent_user_id"))
                .filter(|u| !u.is_empty()),
            username: opt_str(profile, "username").filter(|u| !u.is_empty()),
            name: opt_str(profile, "name").filter(|n| !n.is_empty()),
        }
    }
}

/// A non-empty string id of a `contacts[]` entry, borrowed (only compared).
fn id<'m>(contact: &'m Map, key: &str) -> Option<&'m str> {
    contact
        .get(key)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
}
