//! Graph API requests, built without any I/O.
//!
//! This file guards *where and as whom* a request goes: [`GraphConfig`] (root URL,
//! version, access token, default business number), which business phone number id a
//! request goes out from ([`GraphConfig::resolve_phone_number_id`]), the URLs, and
//! [`GraphRequest`], whose `Debug` output never shows the token or a message body.
//! The request bodies are built by the submodules:
//!
//! - [`recipient`]: who a message goes to (phone number, business-scoped user id or
//!   group) and the envelope every message shares (`to`/`recipient`, `recipient_type`,
//!   the quote, `biz_opaque_callback_data`);
//! - [`bodies`]: the bodies of text, media, location, contacts, interactive messages,
//!   reactions and read receipts;
//! - [`template`]: the body of a template message and its parameters;
//! - [`account`]: the requests about the business number rather than a message (blocking
//!   users, the business profile) and the reading of their answers.
//!
//! Every body builder checks Meta's limits with [`crate::outbound::limits`] first.
//! Optional texts that are empty or only whitespace are left out of the JSON, like
//! absent ones (see [`crate::outbound::limits`]).

use std::borrow::Borrow;
use std::fmt;

use serde_json::{Map, Value};

pub mod account;
pub mod bodies;
pub mod recipient;
pub mod template;

pub use account::{
    block_users_body, parse_block_response, parse_business_profile_response,
    parse_update_profile_response, profile_update_body, vertical_name, PROFILE_FIELDS,
};
pub use bodies::{
    buttons_body, contacts_body, cta_url_body, flow_body, list_body, location_body,
    location_request_body, mark_read_body, media_body, reaction_body, text_body, voice_body,
};
pub use recipient::{
    is_group_id, is_user_id, normalize_recipient, parse_recipient, Address, Recipient,
    GROUP_ID_MAX, GROUP_PREFIX,
};
pub use template::template_body;

use crate::types::{InvalidRequest, ReadReceipt};

/// `object[key] = value`. One call per field of a request body rather than an insert
/// (its key's allocation, the old value's drop) inlined at each: smaller wasm.
#[inline(never)]
pub(crate) fn put(object: &mut Map<String, Value>, key: &str, value: Value) {
    object.insert(key.to_owned(), value);
}

/// A JSON string: one call, not a `json!` inlined at each use.
#[inline(never)]
pub(crate) fn string(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// Graph API root used when `WHATSAPP_GRAPH_API_URL` is not set.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// Graph API version used when `WHATSAPP_API_VERSION` is not set: v25.0 (February 2026),
/// the one Meta's WhatsApp pages use in their examples. A Graph version stays usable about
/// two years after its release: v24.0, the previous default, until February 2028.
/// `WHATSAPP_API_VERSION` pins another one (v26.0 and v27.0 are out too).
pub const DEFAULT_VERSION: &str = "v25.0";
/// Environment variable holding the access token (required to send).
pub const ENV_ACCESS_TOKEN: &str = "WHATSAPP_ACCESS_TOKEN";
/// Environment variable holding the default business phone number id (needed only by a
/// request that names no number).
pub const ENV_PHONE_NUMBER_ID: &str = "WHATSAPP_PHONE_NUMBER_ID";
/// Environment variable overriding the Graph API version (optional).
pub const ENV_API_VERSION: &str = "WHATSAPP_API_VERSION";
/// Environment variable overriding the Graph API root URL (optional).
pub const ENV_GRAPH_API_URL: &str = "WHATSAPP_GRAPH_API_URL";
/// Fields asked for by [`GraphConfig::get_self`].
pub const SELF_FIELDS: &str = "verified_name,display_phone_number,quality_rating,id";

/// What to replace a secret with in logs and error texts.
pub const REDACTED: &str = "<redacted>";

/// Where and as whom the Graph API is called.
///
/// Its `Debug` output never shows the access token.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphConfig {
    /// Root URL without a trailing slash, for example `https://graph.facebook.com`.
    pub base_url: String,
    /// API version, for example `v25.0`.
    pub version: String,
    /// The business phone number id a request that names none goes out from
    /// (`WHATSAPP_PHONE_NUMBER_ID`); `None` when it is not configured.
    pub phone_number_id: Option<String>,
    /// The access token (system user or app token).
    pub access_token: String,
}

impl fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphConfig")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &REDACTED)
            .finish()
    }
}

/// The HTTP method of a [`GraphRequest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `DELETE`.
    Delete,
}

impl HttpMethod {
    /// The method's name, `GET`, `POST` or `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// One HTTP request to the Graph API, ready to be sent.
///
/// Its `Debug` output shows neither the access token (the `Authorization` value is
/// redacted) nor the body (which holds message content): only the body's length.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphRequest {
    /// `GET`, `POST` or `DELETE`.
    pub method: HttpMethod,
    /// The full URL, query included.
    pub url: String,
    /// Header names and values (as wasi:http takes them: a value is bytes),
    /// `Authorization` first.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The JSON body, for a `POST`.
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for GraphRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                if name.eq_ignore_ascii_case("authorization") {
                    (name.as_str(), "Bearer <redacted>".to_string())
                } else {
                    (name.as_str(), String::from_utf8_lossy(value).into_owned())
                }
            })
            .collect();
        let body = self.body.as_ref().map(|b| format!("<{} bytes>", b.len()));
        f.debug_struct("GraphRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &body)
            .finish()
    }
}

/// Keeps the unreserved URL characters of a path segment and percent-encodes the rest,
/// so that a phone number id can never change the request's path or query.
pub(crate) fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    push_path_segment(&mut out, segment);
    out
}

/// [`encode_path_segment`], appended to `out`.
fn push_path_segment(out: &mut String, segment: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

/// The configuration and business phone number id for a request naming `requested` (or
/// no number), or the names of the variables to set. Without the token: the names that
/// are missing (less `WHATSAPP_PHONE_NUMBER_ID` when the request names its number); with
/// the token but no number from either the request or `WHATSAPP_PHONE_NUMBER_ID`: that
/// name alone.
///
/// `C` is how the caller holds the configuration: a sender shares one (`Arc`), so that
/// a send copies a pointer rather than the configuration's strings.
pub fn route<C: Borrow<GraphConfig> + Clone>(
    config: &Result<C, Vec<String>>,
    requested: Option<&str>,
) -> Result<(C, String), Vec<String>> {
    let requested = requested_phone_number_id(requested);
    match config {
        Ok(config) => match config.borrow().resolve_phone_number_id(requested) {
            Some(phone_number_id) => Ok((config.clone(), phone_number_id)),
            None => Err(vec![ENV_PHONE_NUMBER_ID.to_string()]),
        },
        Err(names) => {
            let needed: Vec<String> = names
                .iter()
                .filter(|name| requested.is_none() || *name != ENV_PHONE_NUMBER_ID)
                .cloned()
                .collect();
            Err(if needed.is_empty() {
                names.clone()
            } else {
                needed
            })
        }
    }
}

/// The root URL `value` names: without surrounding whitespace and trailing slashes;
/// [`DEFAULT_BASE_URL`] when nothing is left.
fn base_url_of(value: &str) -> &str {
    let trimmed = value.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        DEFAULT_BASE_URL
    } else {
        trimmed
    }
}

/// The version `value` names, as its text and whether it needs a `v` before it (a bare
/// `25.0`): without surrounding whitespace and slashes; [`DEFAULT_VERSION`] when nothing
/// is left.
fn version_of(value: &str) -> (&str, bool) {
    let trimmed = value.trim().trim_matches('/');
    if trimmed.is_empty() {
        (DEFAULT_VERSION, false)
    } else {
        (trimmed, trimmed.starts_with(|c: char| c.is_ascii_digit()))
    }
}

fn normalize_base_url(value: &str) -> String {
    base_url_of(value).to_string()
}

fn normalize_version(value: &str) -> String {
    match version_of(value) {
        (version, true) => format!("v{version}"),
        (version, false) => version.to_string(),
    }
}

/// An environment variable's value, trimmed; `None` when unset, empty or only whitespace.
fn read_env(get: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `WHATSAPP_PHONE_NUMBER_ID` as configured: trimmed of whitespace and slashes; `None`
/// when nothing is left.
fn env_phone_number_id(get: &impl Fn(&str) -> Option<String>) -> Option<String> {
    read_env(get, ENV_PHONE_NUMBER_ID)
        .map(|v| v.trim_matches('/').trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The names of the sending variables that are not set, for the health report:
/// `WHATSAPP_ACCESS_TOKEN` and `WHATSAPP_PHONE_NUMBER_ID`, in that order, each when it is
/// unset, empty or only whitespace (a phone number id of only slashes counts as unset).
///
/// Without the token nothing can be sent; without the phone number id only requests
/// that name their business number can.
pub fn missing_env(get: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut missing = Vec::new();
    if read_env(&get, ENV_ACCESS_TOKEN).is_none() {
        missing.push(ENV_ACCESS_TOKEN.to_string());
    }
    if env_phone_number_id(&get).is_none() {
        missing.push(ENV_PHONE_NUMBER_ID.to_string());
    }
    missing
}

/// A business phone number id named by a request: trimmed of whitespace; `None` when
/// absent or blank (then the configured default applies). Nothing else is changed: the
/// id is percent-encoded into the URL as given.
pub fn requested_phone_number_id(requested: Option<&str>) -> Option<&str> {
    requested.map(str::trim).filter(|id| !id.is_empty())
}

impl GraphConfig {
    /// A configuration with the default root URL and version, sending from
    /// `phone_number_id` unless a request names another number.
    pub fn new(phone_number_id: impl Into<String>, access_token: impl Into<String>) -> Self {
        let phone_number_id = phone_number_id.into().trim().to_string();
        GraphConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            version: DEFAULT_VERSION.to_string(),
            phone_number_id: Some(phone_number_id).filter(|id| !id.is_empty()),
            access_token: access_token.into().trim().to_string(),
        }
    }

    /// Reads the configuration through `get` (an environment lookup).
    ///
    /// `WHATSAPP_ACCESS_TOKEN` is required: when it is unset, empty or only whitespace
    /// the error is [`missing_env`] (the token, and the phone number id when that is
    /// missing too). `WHATSAPP_PHONE_NUMBER_ID` is optional here: without it, only
    /// requests naming their number can be sent ([`GraphConfig::resolve_phone_number_id`]).
    /// `WHATSAPP_API_VERSION` (a bare `25.0` gets its `v`) and `WHATSAPP_GRAPH_API_URL`
    /// are optional; surrounding whitespace and slashes are tolerated everywhere.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<GraphConfig, Vec<String>> {
        let Some(access_token) = read_env(&get, ENV_ACCESS_TOKEN) else {
            return Err(missing_env(get));
        };
        Ok(GraphConfig {
            base_url: normalize_base_url(&read_env(&get, ENV_GRAPH_API_URL).unwrap_or_default()),
            version: normalize_version(&read_env(&get, ENV_API_VERSION).unwrap_or_default()),
            phone_number_id: env_phone_number_id(&get),
            access_token,
        })
    }

    /// The business phone number id a request goes out from: the one it names (see
    /// [`requested_phone_number_id`]), else the configured default; `None` when neither
    /// is known.
    pub fn resolve_phone_number_id(&self, requested: Option<&str>) -> Option<String> {
        requested_phone_number_id(requested)
            .map(str::to_string)
            .or_else(|| {
                self.phone_number_id
                    .as_deref()
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_string)
            })
    }

    /// `<base>/<version>/<segment>` and then `tail`, written in one string (a reply's
    /// every message posts to such a URL). `segment` (a phone number id, a media id) is
    /// trimmed and percent-encoded, so that it can never change the path or the query.
    pub(crate) fn url(&self, segment: &str, tail: &str) -> String {
        let base = base_url_of(&self.base_url);
        let (version, bare) = version_of(&self.version);
        let segment = segment.trim();
        let mut url =
            String::with_capacity(base.len() + version.len() + segment.len() + tail.len() + 4);
        url.push_str(base);
        url.push('/');
        if bare {
            url.push('v');
        }
        url.push_str(version);
        url.push('/');
        push_path_segment(&mut url, segment);
        url.push_str(tail);
        url
    }

    /// `<base>/<version>/<phone-number-id>/messages`.
    pub fn messages_url(&self, phone_number_id: &str) -> String {
        self.url(phone_number_id, "/messages")
    }

    /// `<base>/<version>/<phone-number-id>?fields=verified_name,display_phone_number,quality_rating,id`.
    pub fn self_url(&self, phone_number_id: &str) -> String {
        self.url(phone_number_id, &format!("?fields={SELF_FIELDS}"))
    }

    /// The `Authorization` header: `Bearer <token>`. Written with `push_str`, not
    /// `format!`: the formatting machinery calls through `dyn Write`, and a fresh
    /// instance's first indirect call faults in a page of its function table.
    pub(crate) fn authorization(&self) -> (String, Vec<u8>) {
        let token = self.access_token.trim();
        let mut value = Vec::with_capacity(7 + token.len());
        value.extend_from_slice(b"Bearer ");
        value.extend_from_slice(token.as_bytes());
        ("Authorization".to_string(), value)
    }

    /// A `POST` of `body` to the messages endpoint of `phone_number_id`, with the bearer
    /// token and `Content-Type: application/json`.
    pub fn post_message(&self, phone_number_id: &str, body: &Value) -> GraphRequest {
        self.post_json(phone_number_id, body.to_string().into_bytes())
    }

    /// [`GraphConfig::post_message`] of a body already written as JSON.
    pub fn post_json(&self, phone_number_id: &str, body: Vec<u8>) -> GraphRequest {
        GraphRequest {
            method: HttpMethod::Post,
            url: self.messages_url(phone_number_id),
            headers: vec![
                self.authorization(),
                ("Content-Type".to_string(), b"application/json".to_vec()),
            ],
            body: Some(body),
        }
    }

    /// The read receipt request (a `POST` to the messages endpoint of
    /// `phone_number_id`, the number that received the message).
    pub fn mark_read(
        &self,
        phone_number_id: &str,
        receipt: &ReadReceipt,
    ) -> Result<GraphRequest, InvalidRequest> {
        Ok(self.post_message(phone_number_id, &mark_read_body(receipt)?))
    }

    /// `<base>/<version>/<phone-number-id>/block_users`.
    pub fn block_users_url(&self, phone_number_id: &str) -> String {
        self.url(phone_number_id, "/block_users")
    }

    /// `<base>/<version>/<phone-number-id>/whatsapp_business_profile`.
    pub fn business_profile_url(&self, phone_number_id: &str) -> String {
        self.url(phone_number_id, "/whatsapp_business_profile")
    }

    /// A JSON request with the bearer token.
    fn json_request(&self, method: HttpMethod, url: String, body: &Value) -> GraphRequest {
        GraphRequest {
            method,
            url,
            headers: vec![
                self.authorization(),
                ("Content-Type".to_string(), b"application/json".to_vec()),
            ],
            body: Some(body.to_string().into_bytes()),
        }
    }

    /// Blocks (a `POST`) or unblocks (a `DELETE`) the users of `body`
    /// ([`block_users_body`]) on the number `phone_number_id`.
    pub fn block_users(&self, phone_number_id: &str, body: &Value, block: bool) -> GraphRequest {
        let method = if block {
            HttpMethod::Post
        } else {
            HttpMethod::Delete
        };
        self.json_request(method, self.block_users_url(phone_number_id), body)
    }

    /// The `GET` of the business profile of `phone_number_id`, with every field
    /// ([`PROFILE_FIELDS`]).
    pub fn get_business_profile(&self, phone_number_id: &str) -> GraphRequest {
        GraphRequest {
            method: HttpMethod::Get,
            url: format!(
                "{}?fields={PROFILE_FIELDS}",
                self.business_profile_url(phone_number_id)
            ),
            headers: vec![self.authorization()],
            body: None,
        }
    }

    /// The `POST` of a business profile change ([`profile_update_body`]).
    pub fn update_business_profile(&self, phone_number_id: &str, body: &Value) -> GraphRequest {
        self.json_request(
            HttpMethod::Post,
            self.business_profile_url(phone_number_id),
            body,
        )
    }

    /// The `GET` describing the business phone number `phone_number_id`.
    pub fn get_self(&self, phone_number_id: &str) -> GraphRequest {
        GraphRequest {
            method: HttpMethod::Get,
            url: self.self_url(phone_number_id),
            headers: vec![self.authorization()],
            body: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    const TOKEN: &str = "EAAGsecretTOKEN123";
    const PNID: &str = "106540352242922";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn config() -> GraphConfig {
        GraphConfig::new(PNID, TOKEN)
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    // ------------------------------------------------------------ configuration

    #[test]
    fn from_env_defaults() {
        let c = GraphConfig::from_env(env(&[
            (ENV_ACCESS_TOKEN, TOKEN),
            (ENV_PHONE_NUMBER_ID, PNID),
        ]))
        .expect("config");
        assert_eq!(c.base_url, "https://graph.facebook.com");
        assert_eq!(c.version, "v25.0");
        assert_eq!(c.phone_number_id.as_deref(), Some(PNID));
        assert_eq!(c.access_token, TOKEN);
    }

    #[test]
    fn from_env_needs_only_the_token() {
        let c = GraphConfig::from_env(env(&[(ENV_ACCESS_TOKEN, TOKEN)])).expect("config");
        assert_eq!(c.phone_number_id, None);
        assert_eq!(c.resolve_phone_number_id(None), None);
        assert_eq!(c.resolve_phone_number_id(Some("B")).as_deref(), Some("B"));
        // Blank or slash-only phone number ids count as unset.
        for blank in ["", " \n", "/", " // "] {
            let c = GraphConfig::from_env(env(&[
                (ENV_ACCESS_TOKEN, TOKEN),
                (ENV_PHONE_NUMBER_ID, blank),
            ]))
            .expect("config");
            assert_eq!(c.phone_number_id, None, "{blank:?}");
        }
    }

    #[test]
    fn from_env_without_a_token_lists_what_is_missing() {
        assert_eq!(
            GraphConfig::from_env(env(&[])).err(),
            Some(names(&[ENV_ACCESS_TOKEN, ENV_PHONE_NUMBER_ID]))
        );
        assert_eq!(
            GraphConfig::from_env(env(&[(ENV_PHONE_NUMBER_ID, "1")])).err(),
            Some(names(&[ENV_ACCESS_TOKEN]))
        );
        assert_eq!(
            GraphConfig::from_env(env(&[(ENV_ACCESS_TOKEN, " \t"), (ENV_PHONE_NUMBER_ID, "")]))
                .err(),
            Some(names(&[ENV_ACCESS_TOKEN, ENV_PHONE_NUMBER_ID]))
        );
    }

    #[test]
    fn missing_env_names_unset_variables_in_order() {
        assert_eq!(
            missing_env(env(&[])),
            names(&[ENV_ACCESS_TOKEN, ENV_PHONE_NUMBER_ID])
        );
        assert_eq!(
            missing_env(env(&[(ENV_ACCESS_TOKEN, TOKEN)])),
            names(&[ENV_PHONE_NUMBER_ID])
        );
        assert_eq!(
            missing_env(env(&[(ENV_PHONE_NUMBER_ID, PNID)])),
            names(&[ENV_ACCESS_TOKEN])
        );
        assert_eq!(
            missing_env(env(&[
                (ENV_ACCESS_TOKEN, " "),
                (ENV_PHONE_NUMBER_ID, "\n/")
            ])),
            names(&[ENV_ACCESS_TOKEN, ENV_PHONE_NUMBER_ID])
        );
        assert!(missing_env(env(&[
            (ENV_ACCESS_TOKEN, TOKEN),
            (ENV_PHONE_NUMBER_ID, PNID)
        ]))
        .is_empty());
        // Optional variables are never reported.
        assert!(missing_env(env(&[
            (ENV_ACCESS_TOKEN, TOKEN),
            (ENV_PHONE_NUMBER_ID, PNID),
            (ENV_API_VERSION, ""),
            (ENV_GRAPH_API_URL, ""),
        ]))
        .is_empty());
    }

    #[test]
    fn from_env_overrides_and_tolerance() {
        let c = GraphConfig::from_env(env(&[
            (ENV_ACCESS_TOKEN, &format!("  {TOKEN}\n")),
            (ENV_PHONE_NUMBER_ID, " 123/ "),
            (ENV_API_VERSION, "/v23.0/"),
            (ENV_GRAPH_API_URL, "http://127.0.0.1:8080//"),
        ]))
        .expect("config");
        assert_eq!(c.access_token, TOKEN);
        assert_eq!(c.phone_number_id.as_deref(), Some("123"));
        assert_eq!(c.version, "v23.0");
        assert_eq!(c.base_url, "http://127.0.0.1:8080");
        assert_eq!(
            c.messages_url("123"),
            "http://127.0.0.1:8080/v23.0/123/messages"
        );

        let c = GraphConfig::from_env(env(&[
            (ENV_ACCESS_TOKEN, TOKEN),
            (ENV_PHONE_NUMBER_ID, "123"),
            (ENV_API_VERSION, "24.0"),
            (ENV_GRAPH_API_URL, "  "),
        ]))
        .expect("config");
        assert_eq!(c.version, "v24.0");
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
    }

    #[test]
    fn the_requested_number_wins_over_the_default() {
        let c = config();
        assert_eq!(c.resolve_phone_number_id(None).as_deref(), Some(PNID));
        assert_eq!(c.resolve_phone_number_id(Some("")).as_deref(), Some(PNID));
        assert_eq!(
            c.resolve_phone_number_id(Some(" \t")).as_deref(),
            Some(PNID)
        );
        assert_eq!(
            c.resolve_phone_number_id(Some(" 222333 ")).as_deref(),
            Some("222333")
        );
        // Only whitespace is trimmed: anything else is encoded into the URL as given.
        assert_eq!(c.resolve_phone_number_id(Some("/")).as_deref(), Some("/"));
        let none = GraphConfig {
            phone_number_id: Some("  ".into()),
            ..config()
        };
        assert_eq!(none.resolve_phone_number_id(None), None);
        assert_eq!(GraphConfig::new(" ", TOKEN).phone_number_id, None);
    }

    #[test]
    fn urls() {
        let c = config();
        assert_eq!(
            c.messages_url(PNID),
            "https://graph.facebook.com/v25.0/106540352242922/messages"
        );
        assert_eq!(
            c.messages_url("B"),
            "https://graph.facebook.com/v25.0/B/messages"
        );
        assert_eq!(
            c.self_url(PNID),
            "https://graph.facebook.com/v25.0/106540352242922?fields=verified_name,display_phone_number,quality_rating,id"
        );
        assert_eq!(
            c.self_url(" 77 "),
            "https://graph.facebook.com/v25.0/77?fields=verified_name,display_phone_number,quality_rating,id"
        );
        // Hand-built configs with sloppy values still give clean URLs, and a number can
        // never change the path or the query.
        let c = GraphConfig {
            base_url: "https://example.test/".into(),
            version: "v1.0/".into(),
            phone_number_id: None,
            access_token: TOKEN.into(),
        };
        assert_eq!(
            c.messages_url("12/../x?y#z"),
            "https://example.test/v1.0/12%2F..%2Fx%3Fy%23z/messages"
        );
        assert_eq!(
            c.self_url("a b&fields=x"),
            "https://example.test/v1.0/a%20b%26fields%3Dx?fields=verified_name,display_phone_number,quality_rating,id"
        );
        // A bare version gets its `v`; blank values are the defaults; bytes that are not
        // ASCII are percent-encoded one by one.
        let c = GraphConfig {
            base_url: " https://example.test// ".into(),
            version: " /25.0/ ".into(),
            phone_number_id: None,
            access_token: TOKEN.into(),
        };
        assert_eq!(
            c.messages_url("é"),
            "https://example.test/v25.0/%C3%A9/messages"
        );
        let c = GraphConfig {
            base_url: " / ".into(),
            version: "".into(),
            phone_number_id: None,
            access_token: TOKEN.into(),
        };
        assert_eq!(
            c.block_users_url("1"),
            "https://graph.facebook.com/v25.0/1/block_users"
        );
    }

    #[test]
    fn send_request() {
        let body = json!({"a": "é"});
        let r = config().post_message("B", &body);
        assert_eq!(r.method, HttpMethod::Post);
        assert_eq!(r.method.as_str(), "POST");
        assert_eq!(r.url, "https://graph.facebook.com/v25.0/B/messages");
        assert_eq!(
            r.headers,
            vec![
                (
                    "Authorization".to_string(),
                    format!("Bearer {TOKEN}").into_bytes()
                ),
                ("Content-Type".to_string(), b"application/json".to_vec()),
            ]
        );
        let sent: Value =
            serde_json::from_slice(r.body.as_deref().unwrap_or_default()).expect("body is JSON");
        assert_eq!(sent, body);
    }

    #[test]
    fn get_self_request() {
        let r = config().get_self("B");
        assert_eq!(r.method, HttpMethod::Get);
        assert_eq!(r.method.as_str(), "GET");
        assert_eq!(r.url, config().self_url("B"));
        assert_eq!(
            r.headers,
            vec![(
                "Authorization".to_string(),
                format!("Bearer {TOKEN}").into_bytes()
            )]
        );
        assert_eq!(r.body, None);
    }

    #[test]
    fn mark_read_request() {
        let r = config()
            .mark_read(
                "B",
                &ReadReceipt {
                    message_id: "wamid.A".into(),
                    typing: false,
                    phone_number_id: None,
                },
            )
            .expect("request");
        assert_eq!(r.method, HttpMethod::Post);
        assert_eq!(r.url, config().messages_url("B"));
        let sent: Value =
            serde_json::from_slice(r.body.as_deref().unwrap_or_default()).expect("JSON");
        assert_eq!(
            sent,
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.A"})
        );
        assert!(config()
            .mark_read(
                PNID,
                &ReadReceipt {
                    message_id: "".into(),
                    typing: true,
                    phone_number_id: None,
                }
            )
            .is_err());
    }

    #[test]
    fn debug_redacts_the_token() {
        let c = config();
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert!(shown.contains(PNID));

        let secret_body = json!({"text": {"body": "my secret message"}});
        for r in [c.post_message(PNID, &secret_body), c.get_self(PNID)] {
            let shown = format!("{r:?} {r:#?}");
            assert!(!shown.contains(TOKEN), "{shown}");
            assert!(!shown.contains("secret message"), "{shown}");
            assert!(shown.contains("Bearer <redacted>"), "{shown}");
        }
        let r = c.post_message(PNID, &secret_body);
        let shown = format!("{r:?}");
        assert!(shown.contains("bytes>"), "{shown}");
        assert!(shown.contains("application/json"), "{shown}");
        // A lowercase header name is redacted too.
        let r = GraphRequest {
            method: HttpMethod::Get,
            url: "u".into(),
            headers: vec![(
                "authorization".into(),
                format!("Bearer {TOKEN}").into_bytes(),
            )],
            body: None,
        };
        assert!(!format!("{r:?}").contains(TOKEN));
    }
}
