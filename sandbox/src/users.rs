//! WhatsApp users as Meta describes them since 2026: a phone number (absent for a user
//! who adopted a username and keeps the number hidden), a business-scoped user id
//! (BSUID, like `US.13491208655302741918`), an optional parent BSUID
//! (`US.ENT.11815799212886844830`) and an optional username.

use serde_json::{json, Map, Value};

use crate::wire;

/// One WhatsApp user, or what the sandbox knows of a recipient.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    /// Profile name (`contacts[].profile.name`); unknown for a recipient never seen.
    pub name: Option<String>,
    /// Phone number, digits only (`wa_id`, `from`); `None` for a username-only user.
    pub phone: Option<String>,
    /// Business-scoped user id (`user_id`, `from_user_id`).
    pub user_id: Option<String>,
    /// Parent business-scoped user id (`parent_user_id`), when the business has them.
    pub parent_user_id: Option<String>,
    /// Username (`contacts[].profile.username`), when the user adopted one.
    pub username: Option<String>,
}

/// A demo user the page offers.
struct Demo {
    name: &'static str,
    phone: Option<&'static str>,
    user_id: &'static str,
    parent_user_id: Option<&'static str>,
    username: Option<&'static str>,
}

const DEMO: [Demo; 4] = [
    Demo {
        name: "Alice Johnson",
        phone: Some("16505551234"),
        user_id: "US.10452298315562900417",
        parent_user_id: Some("US.ENT.20845531097761200034"),
        username: None,
    },
    Demo {
        name: "Bruno Araújo",
        phone: Some("5511987654321"),
        user_id: "BR.38811402659077311542",
        parent_user_id: None,
        username: Some("bruno.araujo"),
    },
    Demo {
        name: "陈伟",
        phone: Some("8613812345678"),
        user_id: "CN.56230917744108253390",
        parent_user_id: None,
        username: None,
    },
    Demo {
        name: "Chen Wei",
        phone: None,
        user_id: "CN.13491208655302741918",
        parent_user_id: Some("CN.ENT.11815799212886844830"),
        username: Some("chenwei"),
    },
];

/// The demo users, in the page's order: the first is who `/_sandbox/send` acts as by
/// default; the last has a username and no phone number.
pub fn demo() -> Vec<User> {
    DEMO.iter()
        .map(|d| User {
            name: Some(d.name.to_string()),
            phone: d.phone.map(str::to_string),
            user_id: Some(d.user_id.to_string()),
            parent_user_id: d.parent_user_id.map(str::to_string),
            username: d.username.map(str::to_string),
        })
        .collect()
}

impl User {
    /// A user the sandbox has not met, known by phone number only.
    pub fn by_phone(phone: &str) -> User {
        User {
            phone: Some(phone.to_string()),
            ..User::default()
        }
    }

    /// A user the sandbox has not met, known by business-scoped user id only.
    pub fn by_user_id(user_id: &str) -> User {
        User {
            user_id: Some(user_id.to_string()),
            ..User::default()
        }
    }

    /// The key of this user's chat: the phone number, or the user id without one.
    pub fn chat(&self) -> String {
        self.phone
            .clone()
            .or_else(|| self.user_id.clone())
            .unwrap_or_default()
    }

    /// True when `id` is this user's user id or parent user id.
    pub fn has_id(&self, id: &str) -> bool {
        self.user_id.as_deref() == Some(id) || self.parent_user_id.as_deref() == Some(id)
    }

    /// Name to show: the profile name, else the username, phone or user id.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.username.as_ref().map(|u| format!("@{u}")))
            .or_else(|| self.phone.as_deref().map(wire::display_phone))
            .unwrap_or_else(|| self.chat())
    }

    /// `contacts[]` of a webhook: `profile {name, username?}`, `wa_id` (when there is a
    /// phone), `user_id`, `parent_user_id` (when there is one). `with_username` is false
    /// for `sent` statuses, which Meta sends without it.
    pub fn contact(&self, with_username: bool) -> Value {
        let mut profile = Map::new();
        if let Some(name) = &self.name {
            profile.insert("name".into(), json!(name));
        }
        if let Some(username) = self.username.as_ref().filter(|_| with_username) {
            profile.insert("username".into(), json!(username));
        }
        let mut contact = Map::new();
        if !profile.is_empty() {
            contact.insert("profile".into(), Value::Object(profile));
        }
        insert_some(&mut contact, "wa_id", &self.phone);
        insert_some(&mut contact, "user_id", &self.user_id);
        insert_some(&mut contact, "parent_user_id", &self.parent_user_id);
        Value::Object(contact)
    }

    /// For pages and `/_sandbox/state`.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.label(),
            "wa_id": self.phone,
            "user_id": self.user_id,
            "parent_user_id": self.parent_user_id,
            "username": self.username,
            "chat": self.chat(),
        })
    }
}

/// Sets `object[key]` when `value` is there.
pub fn insert_some(object: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        object.insert(key.to_string(), json!(v));
    }
}

/// True for a business-scoped user id (`US.13491208655302741918`) or a parent one
/// (`US.ENT.11815799212886844830`): two ASCII letters, a dot, optionally `ENT.`, digits.
pub fn is_user_id(id: &str) -> bool {
    let Some((country, rest)) = id.split_once('.') else {
        return false;
    };
    let digits = rest.strip_prefix("ENT.").unwrap_or(rest);
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_alphabetic())
        && (1..=40).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Calling codes and the country letters of the user ids Meta gives their users.
const COUNTRIES: [(&str, &str); 24] = [
    ("1", "US"),
    ("20", "EG"),
    ("27", "ZA"),
    ("31", "NL"),
    ("33", "FR"),
    ("34", "ES"),
    ("39", "IT"),
    ("44", "GB"),
    ("49", "DE"),
    ("52", "MX"),
    ("54", "AR"),
    ("55", "BR"),
    ("57", "CO"),
    ("61", "AU"),
    ("62", "ID"),
    ("63", "PH"),
    ("7", "RU"),
    ("81", "JP"),
    ("82", "KR"),
    ("86", "CN"),
    ("90", "TR"),
    ("91", "IN"),
    ("234", "NG"),
    ("971", "AE"),
];

/// The user id Meta would give the user of this phone number in the sandbox: the same
/// every time, with the country's letters (`ZZ` for a code not in the short table).
pub fn user_id_for_phone(phone: &str) -> String {
    let country = COUNTRIES
        .iter()
        .filter(|(code, _)| phone.starts_with(code))
        .max_by_key(|(code, _)| code.len())
        .map_or("ZZ", |(_, letters)| letters);
    let hash = wire::sha256(format!("bsuid:{phone}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    format!("{country}.{:020}", u64::from_be_bytes(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_have_metas_layout() {
        assert!(is_user_id("US.13491208655302741918"));
        assert!(is_user_id("US.ENT.11815799212886844830"));
        assert!(!is_user_id("16505551234"));
        assert!(!is_user_id("USA.1"));
        assert!(!is_user_id("US."));
        assert!(!is_user_id("US.12a"));
        for user in demo() {
            assert!(
                is_user_id(user.user_id.as_deref().unwrap_or("")),
                "{user:?}"
            );
        }
        let derived = user_id_for_phone("447700900123");
        assert!(
            derived.starts_with("GB.") && is_user_id(&derived),
            "{derived}"
        );
        assert_eq!(derived, user_id_for_phone("447700900123"));
        assert_ne!(derived, user_id_for_phone("447700900124"));
        assert!(user_id_for_phone("99912345").starts_with("ZZ."));
    }

    #[test]
    fn contacts_leave_out_what_the_user_does_not_have() {
        let chen = demo().pop().unwrap();
        assert_eq!(chen.chat(), "CN.13491208655302741918");
        assert_eq!(
            chen.contact(true),
            json!({"profile": {"name": "Chen Wei", "username": "chenwei"},
                   "user_id": "CN.13491208655302741918",
                   "parent_user_id": "CN.ENT.11815799212886844830"})
        );
        assert!(chen.contact(false)["profile"].get("username").is_none());
        let stranger = User::by_phone("15550001");
        assert_eq!(stranger.contact(true), json!({"wa_id": "15550001"}));
        assert_eq!(stranger.chat(), "15550001");
    }
}
