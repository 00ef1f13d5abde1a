//! WIT values of `asterai:whatsapp@0.4.0` as JSON: the form the asterai runtime's
//! `call-component-function(component, function, args-json)` takes and returns. (The
//! delivery journal keeps Meta's own JSON of an event and the Graph bodies of the actions,
//! not these: see `inbound::stored` and `outbound::plan`.)
//!
//! The convention (checked against asterai CLI 1.0.0-alpha.17):
//!
//! | WIT | JSON |
//! |---|---|
//! | record | an object with every field, under its kebab-case WIT name (`phone-number-id`) |
//! | variant | `{"tag": "<case>", "value": <payload>}`; a case without payload is `{"tag": "<case>"}` |
//! | enum | the case's kebab-case name, as a string |
//! | `option<T>` | `null`, or the value itself |
//! | `list<T>` | an array |
//! | integers | numbers, exact (a `u64` never goes through `f64`) |
//! | `f64` | a number; NaN and the infinities, which JSON cannot hold (and the runtime panics on), are sent as `0.0`. Our parser never produces them. |
//! | `result<T, E>` | ok: the value itself; err: `{"error": E}` |
//!
//! Decoding is lenient where it is harmless and strict where a value could be lost:
//! unknown object fields are ignored, a missing `option` field is `none`, a payload-less
//! case may carry `"value": null`; a missing required field, an unknown tag and an integer
//! out of its type's range are errors (never wrapped, truncated, nor a panic). A
//! [`JsonError`] names where the value is wrong and what was expected, never the value
//! found: values are message bodies, and may be secrets.
//!
//! Every record, variant and enum of `wit/types.wit` has its impl below, one short macro
//! invocation each. The macros destructure records with all their fields and match
//! variants without a catch-all, so a field or case added to the WIT and not here is a
//! compile error, not a silent omission.

use serde_json::{Map, Value};

use crate::types::*;

/// A value of this WIT package, as asterai's JSON.
pub trait WitJson: Sized {
    /// The value's JSON.
    fn to_json(&self) -> Value;

    /// The value a JSON denotes, or where and why it is not one.
    fn from_json(value: &Value) -> Result<Self, JsonError> {
        let mut error = None;
        match Self::decode(value, &mut error) {
            Some(decoded) => Ok(decoded),
            None => Err(failed(error)),
        }
    }

    /// What [`WitJson::from_json`] does: the value, or `None` with the reason in `error`.
    /// `error` is `None` when called and set exactly when `None` is returned. One error slot
    /// for the whole value (rather than a `Result` returned by each part) keeps the code of
    /// every record and variant short: a part that fails is one check, not an error moved
    /// up and the parts before it dropped one by one.
    fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self>;

    /// The value of a record field (or a case's payload) missing from the JSON: `None`, an
    /// error, for every type but `option<T>`, whose absence means `none`.
    fn absent() -> Option<Self> {
        None
    }
}

/// Why a JSON value is not the WIT value expected. Names the place (for example
/// `[0].content.value.caption`) and what was expected, never the value found (values can
/// be message bodies or secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Where, from the top value: `.field`, `[index]` and `.value` (a case's payload)
    /// steps; empty for the top value itself.
    pub path: String,
    /// What was expected there.
    pub expected: &'static str,
}

impl JsonError {
    /// An error about the value at hand (its path is prefixed as it propagates up).
    fn here(expected: &'static str) -> Self {
        JsonError {
            path: String::new(),
            expected,
        }
    }

    /// One line for a log or an error message: the place and what was expected.
    pub fn describe(&self) -> String {
        if self.path.is_empty() {
            format!("expected {}", self.expected)
        } else {
            format!("at {}: expected {}", self.path, self.expected)
        }
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl std::error::Error for JsonError {}

/// The `args-json` of `call-component-function`: the arguments, in order, as an array.
pub fn args(values: &[Value]) -> String {
    let mut out = String::from("[");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&value.to_string());
    }
    out.push(']');
    out
}

/// The value a `call-component-function` returned, from its JSON text. Text that is not
/// JSON is an error with an empty path and `expected` "JSON".
pub fn decode_output<T: WitJson>(output: &str) -> Result<T, JsonError> {
    let value: Value = serde_json::from_str(output).map_err(|_| JsonError::here("JSON"))?;
    T::from_json(&value)
}

// ------------------------------------------------------------------------ primitives

impl WitJson for String {
    #[inline(never)]
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }

    fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
        match value {
            Value::String(text) => Some(text.clone()),
            _ => fail(error, "a string"),
        }
    }
}

impl WitJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }

    fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
        match value {
            Value::Bool(b) => Some(*b),
            _ => fail(error, "a boolean"),
        }
    }
}

/// Integers: exact, and an error when the number is not an integer of the type's range.
macro_rules! integer {
    ($($ty:ty => $as:ident, $expected:literal;)*) => {$(
        impl WitJson for $ty {
            fn to_json(&self) -> Value {
                Value::from(*self)
            }

            fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
                match value.$as().and_then(|n| <$ty>::try_from(n).ok()) {
                    Some(n) => Some(n),
                    None => fail(error, $expected),
                }
            }
        }
    )*};
}

integer! {
    u8 => as_u64, "an integer from 0 to 255";
    u16 => as_u64, "an integer from 0 to 65535";
    u32 => as_u64, "an integer from 0 to 4294967295";
    u64 => as_u64, "an integer from 0 to 18446744073709551615";
    i8 => as_i64, "an integer from -128 to 127";
    i16 => as_i64, "an integer from -32768 to 32767";
    i32 => as_i64, "an integer from -2147483648 to 2147483647";
    i64 => as_i64, "an integer from -9223372036854775808 to 9223372036854775807";
}

impl WitJson for f64 {
    /// A finite number as is; NaN and the infinities as `0.0` (JSON has no such numbers,
    /// and the asterai runtime panics on NaN).
    fn to_json(&self) -> Value {
        Value::from(if self.is_finite() { *self } else { 0.0 })
    }

    fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
        match value.as_f64() {
            Some(n) => Some(n),
            None => fail(error, "a number"),
        }
    }
}

/// The `_` of `result<_, E>`.
impl WitJson for () {
    fn to_json(&self) -> Value {
        Value::Null
    }

    fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
        match value {
            Value::Null => Some(()),
            _ => fail(error, "null"),
        }
    }
}

impl<T: WitJson> WitJson for Option<T> {
    fn to_json(&self) -> Value {
        match self {
            Some(inner) => inner.to_json(),
            None => Value::Null,
        }
    }

    fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            _ => T::decode(value, error).map(Some),
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: WitJson> WitJson for Vec<T> {
    fn to_json(&self) -> Value {
        let mut items = Vec::with_capacity(self.len());
        for item in self {
            items.push(item.to_json());
        }
        Value::Array(items)
    }

    fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
        let Value::Array(items) = value else {
            return fail(error, "an array");
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match T::decode(item, error) {
                Some(item) => out.push(item),
                None => {
                    within(error, Step::Index(i));
                    return None;
                }
            }
        }
        Some(out)
    }
}

/// `result<T, E>`: ok is the value itself, err is `{"error": E}`. An object whose only
/// field is `error` is taken for an err (no `T` of this package is such an object).
impl<T: WitJson, E: WitJson> WitJson for Result<T, E> {
    fn to_json(&self) -> Value {
        match self {
            Ok(ok) => ok.to_json(),
            Err(err) => {
                let mut object = Map::new();
                put(&mut object, "error", err.to_json());
                Value::Object(object)
            }
        }
    }

    fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
        if let Value::Object(object) = value {
            if object.len() == 1 {
                if let Some(err) = object.get("error") {
                    let decoded = E::decode(err, error);
                    if decoded.is_none() {
                        within(error, Step::Field("error"));
                    }
                    return decoded.map(Err);
                }
            }
        }
        T::decode(value, error).map(Ok)
    }
}

// -------------------------------------------------------------------- the machinery
//
// Code size: every record, variant and enum has its own `to_json` and `decode`, so what
// they do per field must be a call, not inlined code. The helpers below are not inlined
// and not generic (or generic over the field's type only, which the records share);
// field names are `&'static str` computed at compile time; error paths are cold.

/// The error of [`WitJson::from_json`] from its slot (which `decode` set when it failed).
#[cold]
#[inline(never)]
fn failed(error: Option<JsonError>) -> JsonError {
    error.unwrap_or(JsonError::here("a value"))
}

/// Fails a decoding: `expected` was expected at the value at hand.
#[cold]
#[inline(never)]
fn set(error: &mut Option<JsonError>, expected: &'static str) {
    *error = Some(JsonError::here(expected));
}

/// [`set`], as the `None` that a failed `decode` returns.
fn fail<T>(error: &mut Option<JsonError>, expected: &'static str) -> Option<T> {
    set(error, expected);
    None
}

/// A step of an error's path: a record's field or an array's index.
enum Step {
    Field(&'static str),
    Index(usize),
}

/// Prefixes the failed decoding's error with `step` (the place of the part that failed,
/// in the value that contains it). An error slot still empty (which a failed `decode`
/// never leaves) is given a generic error there.
#[cold]
#[inline(never)]
fn within(error: &mut Option<JsonError>, step: Step) {
    let prefix = match step {
        Step::Field(name) => format!(".{}", kebab(name)),
        Step::Index(i) => format!("[{i}]"),
    };
    let e = error.get_or_insert(JsonError::here("a value"));
    e.path.insert_str(0, &prefix);
}

/// The WIT name of a record field from its Rust ident: `phone_number_id` →
/// `phone-number-id`. Done where the name is used, at run time, rather than kept as a
/// second copy of every name in the component's static data (linear memory: every KB
/// of it is taken from the heap's room in the initial memory, and a heap that outgrows
/// that room costs a `memory.grow` per request).
fn kebab(name: &str) -> std::borrow::Cow<'_, str> {
    if name.contains('_') {
        std::borrow::Cow::Owned(name.replace('_', "-"))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// `value` as an object, or a failed decoding expecting `expected`.
#[inline(never)]
fn object<'a>(
    value: &'a Value,
    expected: &'static str,
    error: &mut Option<JsonError>,
) -> Option<&'a Map<String, Value>> {
    match value {
        Value::Object(object) => Some(object),
        _ => fail(error, expected),
    }
}

/// The member of an object under the WIT name of `name` (a field's Rust ident, or a
/// WIT name).
#[inline(never)]
fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(kebab(name).as_ref())
}

/// A record field's value (or a case's payload); `name` is its WIT name. One copy per
/// field type, which the records share. Once `error` is set (an earlier field failed),
/// the record is lost: the field is not decoded, and the first error is the one reported.
#[inline(never)]
fn field<T: WitJson>(
    object: &Map<String, Value>,
    name: &'static str,
    error: &mut Option<JsonError>,
) -> Option<T> {
    if error.is_some() {
        return None;
    }
    let decoded = match member(object, name) {
        Some(value) => T::decode(value, error),
        None => T::absent(),
    };
    if decoded.is_none() {
        field_failed(error, name);
    }
    decoded
}

/// The field `name` failed: its error, or the error of a required field that is missing,
/// seen from its record.
#[cold]
#[inline(never)]
fn field_failed(error: &mut Option<JsonError>, name: &'static str) {
    if error.is_none() {
        set(error, "a value (a required field is missing)");
    }
    within(error, Step::Field(name));
}

/// Adds a record's field (or a case's tag or value) to its object, under the WIT name of
/// `name` (a field's Rust ident, or a WIT name).
#[inline(never)]
fn put(object: &mut Map<String, Value>, name: &'static str, value: Value) {
    object.insert(kebab(name).into_owned(), value);
}

/// The JSON of a variant's case.
#[inline(never)]
fn tagged(tag: &'static str, value: Option<Value>) -> Value {
    let mut object = Map::new();
    put(&mut object, "tag", Value::String(tag.to_owned()));
    if let Some(value) = value {
        put(&mut object, "value", value);
    }
    Value::Object(object)
}

/// Checks that a payload-less case has no payload (`null` is accepted).
#[inline(never)]
fn no_payload(object: &Map<String, Value>, error: &mut Option<JsonError>) -> Option<()> {
    match member(object, "value") {
        None | Some(Value::Null) => Some(()),
        Some(_) => {
            set(error, "null or nothing (this case has no value)");
            within(error, Step::Field("value"));
            None
        }
    }
}

/// A variant's object and its tag; or a failed decoding: `expected` when the value is no
/// object, `cases` at `.tag` when the tag is missing or not a string.
#[inline(never)]
fn case<'a>(
    value: &'a Value,
    expected: &'static str,
    cases: &'static str,
    error: &mut Option<JsonError>,
) -> Option<(&'a Map<String, Value>, &'a str)> {
    let object = object(value, expected, error)?;
    match member(object, "tag") {
        Some(Value::String(tag)) => Some((object, tag)),
        _ => unknown_case(error, cases),
    }
}

/// The failed decoding of a variant whose tag is missing or names none of `cases`.
#[cold]
#[inline(never)]
fn unknown_case<T>(error: &mut Option<JsonError>, cases: &'static str) -> Option<T> {
    set(error, cases);
    within(error, Step::Field("tag"));
    None
}

/// A record field's name: its Rust ident (made its WIT name, kebab-case, where it is
/// used), or the WIT name given.
macro_rules! field_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $name:literal) => {
        $name
    };
}

/// A record: `record!(Type { field, other_field, rust_name => "wit-name" });`. Every
/// field must be listed: encoding destructures and decoding builds the whole struct.
macro_rules! record {
    ($ty:ident { $($field:ident $(=> $name:literal)?),* $(,)? }) => {
        impl WitJson for $ty {
            fn to_json(&self) -> Value {
                let $ty { $($field),* } = self;
                let mut object = Map::new();
                $(put(&mut object, field_name!($field $(, $name)?), WitJson::to_json($field));)*
                Value::Object(object)
            }

            fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
                let object = object(
                    value,
                    concat!("an object (record ", stringify!($ty), ")"),
                    error,
                )?;
                $(let $field = field(object, field_name!($field $(, $name)?), error);)*
                match ($($field,)*) {
                    ($(Some($field),)*) => Some($ty { $($field),* }),
                    _ => None,
                }
            }
        }
    };
}

/// The pattern of a variant's case, binding its payload (if any) to `$bind`.
macro_rules! case_pattern {
    ($ty:ident, $case:ident, $bind:ident) => {
        $ty::$case
    };
    ($ty:ident, $case:ident, $bind:ident, $payload:ty) => {
        $ty::$case($bind)
    };
}

/// The payload's JSON of a variant's case, if it has one.
macro_rules! case_payload {
    ($bind:ident) => {
        None
    };
    ($bind:ident, $payload:ty) => {
        Some(WitJson::to_json($bind))
    };
}

/// A variant's case decoded from its object (the tag already matched).
macro_rules! case_decode {
    ($ty:ident, $case:ident, $object:ident, $error:ident) => {
        no_payload($object, $error).map(|()| $ty::$case)
    };
    ($ty:ident, $case:ident, $object:ident, $error:ident, $payload:ty) => {
        field::<$payload>($object, "value", $error).map($ty::$case)
    };
}

/// A variant: `variant!(Type { Case(Payload) => "case", Bare => "bare" });`. Encoding
/// matches every case, without a catch-all.
macro_rules! variant {
    ($ty:ident { $($case:ident $(($payload:ty))? => $name:literal),* $(,)? }) => {
        impl WitJson for $ty {
            fn to_json(&self) -> Value {
                match self {
                    $(case_pattern!($ty, $case, inner $(, $payload)?) => {
                        tagged($name, case_payload!(inner $(, $payload)?))
                    })*
                }
            }

            fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
                const CASES: &str =
                    concat!("a case of ", stringify!($ty), ":" $(, " ", $name)*);
                let (object, tag) = case(
                    value,
                    concat!("an object with a tag (variant ", stringify!($ty), ")"),
                    CASES,
                    error,
                )?;
                match tag {
                    $($name => case_decode!($ty, $case, object, error $(, $payload)?),)*
                    _ => unknown_case(error, CASES),
                }
            }
        }
    };
}

/// A WIT enum: `wit_enum!(Type { Case => "case", ... });`, as the case's name.
macro_rules! wit_enum {
    ($ty:ident { $($case:ident => $name:literal),* $(,)? }) => {
        impl WitJson for $ty {
            fn to_json(&self) -> Value {
                Value::String(
                    match self {
                        $($ty::$case => $name,)*
                    }
                    .to_owned(),
                )
            }

            fn decode(value: &Value, error: &mut Option<JsonError>) -> Option<Self> {
                match value.as_str() {
                    $(Some($name) => Some($ty::$case),)*
                    _ => fail(error, concat!(
                        "a case of ",
                        stringify!($ty),
                        ":" $(, " ", $name)*
                    )),
                }
            }
        }
    };
}

// ------------------------------------------------------------------ inbound types

record!(User {
    phone,
    user_id,
    parent_user_id,
    username,
    name
});
record!(ReferredProduct {
    catalog_id,
    product_retailer_id
});
record!(ReplyContext {
    message_id,
    author,
    forwarded,
    frequently_forwarded,
    referred_product
});
record!(Media {
    id,
    mime_type,
    sha256,
    caption,
    filename,
    url
});
record!(Audio { media, voice });
record!(Sticker { media, animated });
record!(Location {
    latitude,
    longitude,
    name,
    address,
    url
});
record!(ContactPhone { phone, wa_id, kind });
record!(ContactEmail { email, kind });
record!(ContactCard {
    formatted_name,
    first_name,
    last_name,
    phones,
    emails,
    organization,
    urls,
    birthday,
    vcard,
});
record!(ButtonReply { id, title });
record!(ListReply {
    id,
    title,
    description
});
record!(FlowReply {
    name,
    body,
    response_json
});
record!(TemplateButton { payload, text });
record!(Reaction { message_id, emoji });
record!(OrderItem {
    product_retailer_id,
    quantity,
    item_price,
    currency
});
record!(Order {
    catalog_id,
    text,
    items
});
record!(SystemNotice {
    kind,
    body,
    new_wa_id,
    new_user_id,
    new_parent_user_id,
    previous_user_id,
});
record!(Referral {
    source_url,
    source_type,
    source_id,
    headline,
    body,
    media_type,
    image_url,
    video_url,
    thumbnail_url,
    ctwa_clid,
    welcome_message,
    ref_ => "ref",
});
record!(ErrorDetail {
    code,
    title,
    message,
    details,
    href
});
record!(Unsupported { kind });
variant!(EditedContent {
    Text(String) => "text",
    Image(Media) => "image",
    Video(Media) => "video",
    Document(Media) => "document",
    Other(String) => "other",
});
record!(Edit {
    original_message_id,
    content
});
record!(Revoke {
    original_message_id
});
record!(CallPermissionReply {
    accepted,
    permanent,
    expires_at,
    source
});
variant!(Content {
    Text(String) => "text",
    Image(Media) => "image",
    Video(Media) => "video",
    Audio(Audio) => "audio",
    Document(Media) => "document",
    Sticker(Sticker) => "sticker",
    Location(Location) => "location",
    Contacts(Vec<ContactCard>) => "contacts",
    ButtonReply(ButtonReply) => "button-reply",
    ListReply(ListReply) => "list-reply",
    FlowReply(FlowReply) => "flow-reply",
    TemplateButton(TemplateButton) => "template-button",
    Reaction(Reaction) => "reaction",
    Order(Order) => "order",
    System(SystemNotice) => "system",
    RequestWelcome => "request-welcome",
    Edit(Edit) => "edit",
    Revoke(Revoke) => "revoke",
    CallPermissionReply(CallPermissionReply) => "call-permission-reply",
    Unsupported(Unsupported) => "unsupported",
    Unknown(String) => "unknown",
});
record!(Message {
    id,
    sender,
    timestamp,
    business_account_id,
    phone_number_id,
    display_phone_number,
    group_id,
    context,
    content,
    text,
    referral,
    errors,
    raw_json,
});
variant!(DeliveryStatus {
    Sent => "sent",
    Delivered => "delivered",
    Read => "read",
    Failed => "failed",
    Deleted => "deleted",
    Other(String) => "other",
});
record!(Conversation {
    id,
    origin,
    expires_at
});
record!(Pricing {
    billable,
    model,
    category,
    kind
});
record!(StatusUpdate {
    message_id,
    status,
    timestamp,
    recipient,
    group_id,
    business_account_id,
    phone_number_id,
    conversation,
    pricing,
    errors,
    biz_opaque_callback_data,
    raw_json,
});
record!(TemplateStatus {
    event,
    template_id,
    name,
    language,
    reason,
    category,
    detail
});
record!(UserPreference {
    user,
    value,
    category,
    detail,
    timestamp
});
record!(AccountRestriction { kind, expires_at });
record!(AccountEvent {
    event,
    phone_number,
    violation,
    restrictions,
    ban_state
});
record!(PhoneNumberQuality {
    display_phone_number,
    event,
    current_limit,
    old_limit
});
record!(UserIdChange {
    phone,
    previous_user_id,
    user_id,
    parent_user_id,
    timestamp
});
variant!(UpdateDetails {
    TemplateStatus(TemplateStatus) => "template-status",
    UserPreferences(Vec<UserPreference>) => "user-preferences",
    Account(AccountEvent) => "account",
    PhoneNumberQuality(PhoneNumberQuality) => "phone-number-quality",
    UserIdChanges(Vec<UserIdChange>) => "user-id-changes",
    Errors(Vec<ErrorDetail>) => "errors",
    Other => "other",
});
record!(WebhookUpdate {
    field,
    business_account_id,
    phone_number_id,
    timestamp,
    details,
    raw_json
});
record!(Delivery { attempt });

// ----------------------------------------------------------------- outbound types

wit_enum!(TextFormat { Markdown => "markdown", Raw => "raw" });
record!(TextMessage {
    to,
    body,
    format,
    preview_url,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data,
});
wit_enum!(MediaKind {
    Image => "image",
    Video => "video",
    Audio => "audio",
    Document => "document",
    Sticker => "sticker",
});
variant!(MediaSource { Id(String) => "id", Link(String) => "link" });
record!(MediaMessage {
    to,
    kind,
    source,
    caption,
    filename,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data,
});
record!(LocationMessage {
    to,
    latitude,
    longitude,
    name,
    address,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data,
});
record!(ContactsMessage {
    to,
    contacts,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data
});
variant!(InteractiveHeader {
    Text(String) => "text",
    Image(MediaSource) => "image",
    Video(MediaSource) => "video",
    Document(MediaSource) => "document",
});
record!(ReplyButton { id, title });
record!(ButtonsMessage {
    to,
    body,
    buttons,
    header,
    footer,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data,
});
record!(ListRow {
    id,
    title,
    description
});
record!(ListSection { title, rows });
record!(ListMessage {
    to,
    body,
    button,
    sections,
    header,
    footer,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data,
});
record!(CtaUrlMessage {
    to,
    body,
    display_text,
    url,
    header,
    footer,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data,
});
record!(TemplateCurrency {
    fallback,
    code,
    amount_1000
});
record!(TemplateDocument { source, filename });
record!(TemplateLocation {
    latitude,
    longitude,
    name,
    address
});
record!(TemplateFlowAction {
    flow_token,
    action_data_json
});
variant!(TemplateValue {
    Text(String) => "text",
    Currency(TemplateCurrency) => "currency",
    DateTime(String) => "date-time",
    Image(MediaSource) => "image",
    Video(MediaSource) => "video",
    Document(TemplateDocument) => "document",
    Location(TemplateLocation) => "location",
    Payload(String) => "payload",
    CouponCode(String) => "coupon-code",
    FlowAction(TemplateFlowAction) => "flow-action",
    CatalogThumbnail(String) => "catalog-thumbnail",
});
record!(TemplateParameter { name, value });
variant!(TemplateComponentKind {
    Header => "header",
    Body => "body",
    QuickReplyButton(u32) => "quick-reply-button",
    UrlButton(u32) => "url-button",
    CopyCodeButton(u32) => "copy-code-button",
    FlowButton(u32) => "flow-button",
    CatalogButton(u32) => "catalog-button",
});
record!(TemplateComponent { kind, parameters });
record!(TemplateMessage {
    to,
    name,
    language,
    components,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data,
});
record!(ReactionMessage {
    to,
    message_id,
    emoji,
    phone_number_id,
    biz_opaque_callback_data
});
record!(ReadReceipt {
    message_id,
    typing,
    phone_number_id
});
record!(VoiceMessage {
    to,
    source,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data
});
record!(LocationRequestMessage {
    to,
    body,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data
});
variant!(FlowRef { Id(String) => "id", Name(String) => "name" });
record!(FlowNavigate { screen, data_json });
variant!(FlowAction {
    Navigate(FlowNavigate) => "navigate",
    DataExchange => "data-exchange",
});
record!(FlowMessage {
    to,
    flow,
    flow_token,
    cta,
    body,
    header,
    footer,
    action,
    draft,
    reply_to,
    phone_number_id,
    biz_opaque_callback_data,
});
record!(BlockFailure {
    user,
    code,
    message
});
record!(BlockResult { done, failed });
wit_enum!(BusinessVertical {
    Undefined => "undefined",
    Other => "other",
    Auto => "auto",
    Beauty => "beauty",
    Apparel => "apparel",
    Edu => "edu",
    Entertain => "entertain",
    EventPlan => "event-plan",
    Finance => "finance",
    Grocery => "grocery",
    Govt => "govt",
    Hotel => "hotel",
    Health => "health",
    Nonprofit => "nonprofit",
    ProfServices => "prof-services",
    Retail => "retail",
    Travel => "travel",
    Restaurant => "restaurant",
    NotABiz => "not-a-biz",
});
record!(BusinessProfileDetails {
    about,
    address,
    description,
    email,
    profile_picture_url,
    websites,
    vertical,
});
record!(BusinessProfileUpdate {
    about,
    address,
    description,
    email,
    websites,
    vertical,
    profile_picture_handle,
    phone_number_id,
});
record!(Reply {
    body,
    quote,
    format,
    preview_url,
    biz_opaque_callback_data
});
variant!(Action {
    Reply(Reply) => "reply",
    React(String) => "react",
    SendText(TextMessage) => "send-text",
    SendMedia(MediaMessage) => "send-media",
    SendLocation(LocationMessage) => "send-location",
    SendContacts(ContactsMessage) => "send-contacts",
    SendButtons(ButtonsMessage) => "send-buttons",
    SendList(ListMessage) => "send-list",
    SendCtaUrl(CtaUrlMessage) => "send-cta-url",
    SendTemplate(TemplateMessage) => "send-template",
    SendReaction(ReactionMessage) => "send-reaction",
    MarkRead(ReadReceipt) => "mark-read",
    SendVoice(VoiceMessage) => "send-voice",
    SendLocationRequest(LocationRequestMessage) => "send-location-request",
    SendFlow(FlowMessage) => "send-flow",
});
record!(Sent {
    message_ids,
    wa_id,
    user_id
});
record!(BusinessProfile {
    id,
    verified_name,
    display_phone_number,
    quality_rating
});
record!(GraphError {
    http_status,
    code,
    subcode,
    kind,
    message,
    details,
    fbtrace_id,
    retryable,
});
record!(InvalidRequest { field, reason });
wit_enum!(TransportKind {
    Dns => "dns",
    ConnectionRefused => "connection-refused",
    Timeout => "timeout",
    Tls => "tls",
    Protocol => "protocol",
    Other => "other",
});
record!(TransportError { kind, detail });
record!(BadResponse {
    http_status,
    content_type,
    reason
});
variant!(SendError {
    MissingConfig(Vec<String>) => "missing-config",
    InvalidRequest(InvalidRequest) => "invalid-request",
    Graph(GraphError) => "graph",
    Transport(TransportError) => "transport",
    BadResponse(BadResponse) => "bad-response",
});
record!(TextFailure {
    error,
    part,
    parts,
    sent
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(text: &str) -> String {
        text.to_owned()
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    /// Encodes to JSON text (what crosses the host), decodes it back, and compares.
    fn assert_round_trip<T: WitJson + std::fmt::Debug>(value: &T) {
        let text = value.to_json().to_string();
        let back: T = decode_output(&text).unwrap_or_else(|e| panic!("{}", e.describe()));
        assert_eq!(format!("{back:?}"), format!("{value:?}"));
    }

    fn decode_error<T: WitJson + std::fmt::Debug>(value: Value) -> JsonError {
        match T::from_json(&value) {
            Ok(decoded) => panic!("decoded to {decoded:?}"),
            Err(e) => e,
        }
    }

    fn full_user() -> User {
        User {
            phone: some("16505551234"),
            user_id: some("US.13491208655302741918"),
            parent_user_id: some("US.ENT.11815799212886844830"),
            username: some("ann"),
            name: some("Ann Example"),
        }
    }

    fn media(id: &str) -> Media {
        Media {
            id: s(id),
            mime_type: s("image/jpeg"),
            sha256: s("c0ffee"),
            caption: some("a caption"),
            filename: some("photo.jpg"),
            url: some("https://lookaside.example/media"),
        }
    }

    fn error_detail() -> ErrorDetail {
        ErrorDetail {
            code: 131051,
            title: s("Message type unknown"),
            message: some("Message type unknown"),
            details: some("Message type is currently not supported."),
            href: some(
                "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            ),
        }
    }

    fn contact_card() -> ContactCard {
        ContactCard {
            formatted_name: s("Bob Example"),
            first_name: some("Bob"),
            last_name: some("Example"),
            phones: vec![
                ContactPhone {
                    phone: s("+1 650 555 1234"),
                    wa_id: some("16505551234"),
                    kind: some("CELL"),
                },
                ContactPhone {
                    phone: s("+1 650 555 0000"),
                    wa_id: None,
                    kind: None,
                },
            ],
            emails: vec![ContactEmail {
                email: s("bob@example.com"),
                kind: some("WORK"),
            }],
            organization: some("Example Inc."),
            urls: vec![s("https://example.com")],
            birthday: some("1990-01-31"),
            vcard: some("BEGIN:VCARD\nFN:Bob Example\nEND:VCARD"),
        }
    }

    fn rich_message() -> Message {
        Message {
            id: s("wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTk"),
            sender: full_user(),
            timestamp: 1_749_416_383,
            business_account_id: s("102290129340398"),
            phone_number_id: s("106540352242922"),
            display_phone_number: s("15550783881"),
            group_id: some("120363025246125486"),
            context: Some(ReplyContext {
                message_id: s("wamid.QUOTED"),
                author: s("15550783881"),
                forwarded: true,
                frequently_forwarded: false,
                referred_product: Some(ReferredProduct {
                    catalog_id: s("CATALOG"),
                    product_retailer_id: s("SKU-1"),
                }),
            }),
            content: Content::Text(s("Hello \"world\" \u{1F44B}\nsecond line")),
            text: s("Hello \"world\" \u{1F44B}\nsecond line"),
            referral: Some(Referral {
                source_url: s("https://fb.me/ad"),
                source_type: s("ad"),
                source_id: s("AD-1"),
                headline: some("Headline"),
                body: some("Body"),
                media_type: some("image"),
                image_url: some("https://example.com/i.jpg"),
                video_url: None,
                thumbnail_url: some("https://example.com/t.jpg"),
                ctwa_clid: some("CLID"),
                welcome_message: some("Welcome!"),
                ref_: some("campaign-7"),
            }),
            errors: vec![error_detail(), error_detail()],
            raw_json: s(r#"{"from":"16505551234","type":"text"}"#),
        }
    }

    fn every_content() -> Vec<Content> {
        vec![
            Content::Text(s("hi")),
            Content::Image(media("IMG")),
            Content::Video(media("VID")),
            Content::Audio(Audio {
                media: media("AUD"),
                voice: true,
            }),
            Content::Document(media("DOC")),
            Content::Sticker(Sticker {
                media: media("STK"),
                animated: true,
            }),
            Content::Location(Location {
                latitude: 52.520008,
                longitude: -13.404954,
                name: some("Place"),
                address: some("Street 1"),
                url: some("https://example.com"),
            }),
            Content::Contacts(vec![contact_card()]),
            Content::ButtonReply(ButtonReply {
                id: s("yes"),
                title: s("Yes"),
            }),
            Content::ListReply(ListReply {
                id: s("row-1"),
                title: s("Row"),
                description: some("A row"),
            }),
            Content::FlowReply(FlowReply {
                name: s("flow"),
                body: s("Sent"),
                response_json: s(r#"{"a":1}"#),
            }),
            Content::TemplateButton(TemplateButton {
                payload: s("STOP"),
                text: s("Stop promotions"),
            }),
            Content::Reaction(Reaction {
                message_id: s("wamid.R"),
                emoji: None,
            }),
            Content::Order(Order {
                catalog_id: s("CATALOG"),
                text: some("please"),
                items: vec![OrderItem {
                    product_retailer_id: s("SKU-1"),
                    quantity: 3,
                    item_price: 12.5,
                    currency: s("EUR"),
                }],
            }),
            Content::System(SystemNotice {
                kind: s("user_changed_number"),
                body: s("changed"),
                new_wa_id: some("16505550000"),
                new_user_id: some("US.2"),
                new_parent_user_id: some("US.ENT.2"),
                previous_user_id: some("US.1"),
            }),
            Content::RequestWelcome,
            Content::Edit(Edit {
                original_message_id: s("wamid.O"),
                content: EditedContent::Image(media("EDIT")),
            }),
            Content::Edit(Edit {
                original_message_id: s("wamid.O"),
                content: EditedContent::Other(s("sticker")),
            }),
            Content::Revoke(Revoke {
                original_message_id: s("wamid.O"),
            }),
            Content::CallPermissionReply(CallPermissionReply {
                accepted: true,
                permanent: false,
                expires_at: Some(1_750_000_000),
                source: some("user_action"),
            }),
            Content::Unsupported(Unsupported { kind: s("unknown") }),
            Content::Unknown(s("interactive/galaxy")),
        ]
    }

    fn text_message() -> TextMessage {
        TextMessage {
            to: s("+1 650 555 1234"),
            body: s("**hello**"),
            format: TextFormat::Markdown,
            preview_url: true,
            reply_to: some("wamid.Q"),
            phone_number_id: some("PNID"),
            biz_opaque_callback_data: some("track-1"),
        }
    }

    fn template_message() -> TemplateMessage {
        let named = |name: &str, value: TemplateValue| TemplateParameter {
            name: some(name),
            value,
        };
        let kinds = [
            TemplateComponentKind::Header,
            TemplateComponentKind::Body,
            TemplateComponentKind::QuickReplyButton(0),
            TemplateComponentKind::UrlButton(1),
            TemplateComponentKind::CopyCodeButton(2),
            TemplateComponentKind::FlowButton(3),
            TemplateComponentKind::CatalogButton(u32::MAX),
        ];
        let mut components: Vec<TemplateComponent> = kinds
            .into_iter()
            .map(|kind| TemplateComponent {
                kind,
                parameters: vec![named("first_name", TemplateValue::Text(s("Ann")))],
            })
            .collect();
        components.push(TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: vec![
                named(
                    "total",
                    TemplateValue::Currency(TemplateCurrency {
                        fallback: s("$12.50"),
                        code: s("USD"),
                        amount_1000: 12_500,
                    }),
                ),
                named("when", TemplateValue::DateTime(s("June 8"))),
                named(
                    "pic",
                    TemplateValue::Image(MediaSource::Link(s("https://x/i.png"))),
                ),
                named("clip", TemplateValue::Video(MediaSource::Id(s("VID")))),
                named(
                    "doc",
                    TemplateValue::Document(TemplateDocument {
                        source: MediaSource::Id(s("DOC")),
                        filename: some("invoice.pdf"),
                    }),
                ),
                named(
                    "where",
                    TemplateValue::Location(TemplateLocation {
                        latitude: -33.8688,
                        longitude: 151.2093,
                        name: some("Sydney"),
                        address: None,
                    }),
                ),
                named("button", TemplateValue::Payload(s("PAYLOAD"))),
                named("coupon", TemplateValue::CouponCode(s("SAVE10"))),
                named(
                    "flow",
                    TemplateValue::FlowAction(TemplateFlowAction {
                        flow_token: some("TOKEN"),
                        action_data_json: some(r#"{"screen":"A"}"#),
                    }),
                ),
                named("thumb", TemplateValue::CatalogThumbnail(s("SKU-1"))),
            ],
        });
        components.push(TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: vec![TemplateParameter {
                name: None,
                value: TemplateValue::Text(s("positional")),
            }],
        });
        TemplateMessage {
            to: s(""),
            name: s("order_update"),
            language: s("en_US"),
            components,
            reply_to: None,
            phone_number_id: some("PNID"),
            biz_opaque_callback_data: some("t-1"),
        }
    }

    fn every_action() -> Vec<Action> {
        vec![
            Action::Reply(Reply {
                body: s("thanks"),
                quote: true,
                format: TextFormat::Raw,
                preview_url: false,
                biz_opaque_callback_data: some("r-1"),
            }),
            Action::React(s("\u{1F44D}")),
            Action::SendText(text_message()),
            Action::SendMedia(MediaMessage {
                to: s(""),
                kind: MediaKind::Document,
                source: MediaSource::Link(s("https://example.com/a.pdf")),
                caption: some("the file"),
                filename: some("a.pdf"),
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendLocation(LocationMessage {
                to: s("US.1"),
                latitude: 48.8566,
                longitude: 2.3522,
                name: some("Paris"),
                address: some("France"),
                reply_to: some("wamid.Q"),
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendContacts(ContactsMessage {
                to: s("group:120363025246125486"),
                contacts: vec![contact_card(), contact_card()],
                reply_to: None,
                phone_number_id: some("PNID"),
                biz_opaque_callback_data: some("c-1"),
            }),
            Action::SendButtons(ButtonsMessage {
                to: s(""),
                body: s("Pick one"),
                buttons: vec![
                    ReplyButton {
                        id: s("a"),
                        title: s("A"),
                    },
                    ReplyButton {
                        id: s("b"),
                        title: s("B"),
                    },
                ],
                header: Some(InteractiveHeader::Image(MediaSource::Id(s("IMG")))),
                footer: some("footer"),
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendButtons(ButtonsMessage {
                to: s(""),
                body: s("Pick"),
                buttons: vec![],
                header: Some(InteractiveHeader::Text(s("Header"))),
                footer: None,
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendList(ListMessage {
                to: s(""),
                body: s("Choose"),
                button: s("Open"),
                sections: vec![
                    ListSection {
                        title: some("First"),
                        rows: vec![ListRow {
                            id: s("1"),
                            title: s("One"),
                            description: some("the first"),
                        }],
                    },
                    ListSection {
                        title: None,
                        rows: vec![],
                    },
                ],
                header: some("Header"),
                footer: None,
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendCtaUrl(CtaUrlMessage {
                to: s(""),
                body: s("See"),
                display_text: s("Open"),
                url: s("https://example.com/?a=1&b=2"),
                header: None,
                footer: some("f"),
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::SendTemplate(template_message()),
            Action::SendReaction(ReactionMessage {
                to: s("16505551234"),
                message_id: s("wamid.X"),
                emoji: s(""),
                phone_number_id: None,
                biz_opaque_callback_data: None,
            }),
            Action::MarkRead(ReadReceipt {
                message_id: s("wamid.X"),
                typing: true,
                phone_number_id: some("PNID"),
            }),
            Action::SendVoice(VoiceMessage {
                to: s(""),
                source: MediaSource::Link(s("https://example.com/note.ogg")),
                reply_to: some("wamid.Q"),
                phone_number_id: None,
                biz_opaque_callback_data: some("v"),
            }),
            Action::SendLocationRequest(LocationRequestMessage {
                to: s("group:120363025246125486"),
                body: s("Where?"),
                reply_to: None,
                phone_number_id: some("PNID"),
                biz_opaque_callback_data: None,
            }),
            Action::SendFlow(flow_message(FlowAction::Navigate(FlowNavigate {
                screen: s("START"),
                data_json: some(r#"{"a":1}"#),
            }))),
            Action::SendFlow(FlowMessage {
                flow: FlowRef::Name(s("signup")),
                draft: true,
                ..flow_message(FlowAction::DataExchange)
            }),
        ]
    }

    fn flow_message(action: FlowAction) -> FlowMessage {
        FlowMessage {
            to: s("US.13491208655302741918"),
            flow: FlowRef::Id(s("1234")),
            flow_token: s("token"),
            cta: s("Book"),
            body: s("Book a table"),
            header: some("Bistro"),
            footer: None,
            action,
            draft: false,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: some("f"),
        }
    }

    #[test]
    fn block_results_and_business_profiles_survive_a_round_trip() {
        let block: Result<BlockResult, SendError> = Ok(BlockResult {
            done: vec![s("16505551234"), s("US.1")],
            failed: vec![
                BlockFailure {
                    user: s("16505550000"),
                    code: Some(131047),
                    message: some("Re-engagement required"),
                },
                BlockFailure {
                    user: s("1"),
                    code: None,
                    message: None,
                },
            ],
        });
        assert_round_trip(&block);
        let details = BusinessProfileDetails {
            about: some("About"),
            address: None,
            description: some("Desc"),
            email: some("a@b.example"),
            profile_picture_url: None,
            websites: vec![s("https://a.example")],
            vertical: some("RETAIL"),
        };
        assert_round_trip(&details);
        use BusinessVertical as V;
        for vertical in [
            V::Undefined,
            V::Other,
            V::Auto,
            V::Beauty,
            V::Apparel,
            V::Edu,
            V::Entertain,
            V::EventPlan,
            V::Finance,
            V::Grocery,
            V::Govt,
            V::Hotel,
            V::Health,
            V::Nonprofit,
            V::ProfServices,
            V::Retail,
            V::Travel,
            V::Restaurant,
            V::NotABiz,
        ] {
            let update = BusinessProfileUpdate {
                about: some("a"),
                address: some("b"),
                description: None,
                email: None,
                websites: Some(vec![]),
                vertical: Some(vertical),
                profile_picture_handle: some("h"),
                phone_number_id: None,
            };
            assert_round_trip(&update);
        }
        let cleared = BusinessProfileUpdate {
            about: None,
            address: None,
            description: None,
            email: None,
            websites: None,
            vertical: None,
            profile_picture_handle: None,
            phone_number_id: some("P"),
        };
        assert_round_trip(&cleared);
        assert_eq!(
            BusinessVertical::EventPlan.to_json(),
            serde_json::json!("event-plan")
        );
        assert_eq!(
            FlowAction::DataExchange.to_json(),
            serde_json::json!({"tag": "data-exchange"})
        );
    }

    // ------------------------------------------------------------ round trips

    #[test]
    fn a_rich_message_survives_a_round_trip() {
        assert_round_trip(&rich_message());
    }

    #[test]
    fn every_content_case_survives_a_round_trip() {
        let messages: Vec<Message> = every_content()
            .into_iter()
            .map(|content| Message {
                content,
                ..rich_message()
            })
            .collect();
        assert_round_trip(&messages);
    }

    #[test]
    fn a_status_update_survives_a_round_trip() {
        let statuses: Vec<StatusUpdate> = [
            DeliveryStatus::Sent,
            DeliveryStatus::Delivered,
            DeliveryStatus::Read,
            DeliveryStatus::Failed,
            DeliveryStatus::Deleted,
            DeliveryStatus::Other(s("warning")),
        ]
        .into_iter()
        .map(|status| StatusUpdate {
            message_id: s("wamid.OUT"),
            status,
            timestamp: 1_749_416_400,
            recipient: full_user(),
            group_id: some("120363025246125486"),
            business_account_id: s("WABA"),
            phone_number_id: s("PNID"),
            conversation: Some(Conversation {
                id: s("CONV"),
                origin: some("service"),
                expires_at: Some(1_749_500_000),
            }),
            pricing: Some(Pricing {
                billable: false,
                model: s("PMP"),
                category: s("service"),
                kind: some("free_customer_service"),
            }),
            errors: vec![error_detail()],
            biz_opaque_callback_data: some("track-1"),
            raw_json: s("{}"),
        })
        .collect();
        assert_round_trip(&statuses);
    }

    #[test]
    fn a_webhook_update_of_every_details_case_survives_a_round_trip() {
        let details = vec![
            UpdateDetails::TemplateStatus(TemplateStatus {
                event: s("APPROVED"),
                template_id: s("T-1"),
                name: s("order_update"),
                language: s("en_US"),
                reason: some("NONE"),
                category: some("UTILITY"),
                detail: None,
            }),
            UpdateDetails::UserPreferences(vec![UserPreference {
                user: full_user(),
                value: s("stop"),
                category: s("marketing_messages"),
                detail: s("User requested to stop marketing messages"),
                timestamp: 1,
            }]),
            UpdateDetails::Account(AccountEvent {
                event: s("ACCOUNT_RESTRICTION"),
                phone_number: some("15550783881"),
                violation: some("SCAM"),
                restrictions: vec![AccountRestriction {
                    kind: s("RESTRICTED_BIZ_INITIATED_MESSAGING"),
                    expires_at: Some(u64::MAX),
                }],
                ban_state: some("DISABLE"),
            }),
            UpdateDetails::PhoneNumberQuality(PhoneNumberQuality {
                display_phone_number: s("15550783881"),
                event: s("UPGRADE"),
                current_limit: some("TIER_10K"),
                old_limit: some("TIER_1K"),
            }),
            UpdateDetails::UserIdChanges(vec![UserIdChange {
                phone: some("16505551234"),
                previous_user_id: some("US.1"),
                user_id: some("US.2"),
                parent_user_id: None,
                timestamp: 2,
            }]),
            UpdateDetails::Errors(vec![error_detail()]),
            UpdateDetails::Other,
        ];
        let updates: Vec<WebhookUpdate> = details
            .into_iter()
            .map(|details| WebhookUpdate {
                field: s("account_update"),
                business_account_id: s("WABA"),
                phone_number_id: some("PNID"),
                timestamp: 1_749_416_383,
                details,
                raw_json: s(r#"{"event":"X"}"#),
            })
            .collect();
        assert_eq!(updates.len(), 7);
        assert_round_trip(&updates);
    }

    #[test]
    fn a_delivery_survives_a_round_trip_as_an_object_with_its_attempt() {
        for attempt in [1, 2, u32::MAX] {
            let delivery = Delivery { attempt };
            assert_eq!(delivery.to_json(), json!({ "attempt": attempt }));
            assert_round_trip(&delivery);
        }
        let e = decode_error::<Delivery>(json!({ "attempt": -1 }));
        assert_eq!(e.path, ".attempt");
        // The arguments of a 0.4.0 `on-message`: the message, then the delivery.
        let args = args(&[rich_message().to_json(), Delivery { attempt: 2 }.to_json()]);
        let decoded: Value = serde_json::from_str(&args).unwrap();
        assert_eq!(decoded[1], json!({ "attempt": 2 }));
        assert_eq!(
            decoded[0]["id"],
            json!("wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTk")
        );
    }

    #[test]
    fn one_action_of_every_case_survives_a_round_trip() {
        assert_round_trip(&every_action());
    }

    #[test]
    fn outgoing_results_and_every_send_error_survive_a_round_trip() {
        let sent: Result<Sent, TextFailure> = Ok(Sent {
            message_ids: vec![s("wamid.1"), s("wamid.2")],
            wa_id: some("16505551234"),
            user_id: None,
        });
        assert_round_trip(&sent);
        let errors = vec![
            SendError::MissingConfig(vec![s("WHATSAPP_TOKEN")]),
            SendError::InvalidRequest(InvalidRequest {
                field: s("buttons[1].title"),
                reason: s("at most 20 characters, got 27"),
            }),
            SendError::Graph(GraphError {
                http_status: 400,
                code: 131047,
                subcode: Some(i64::MIN),
                kind: s("OAuthException"),
                message: s("Re-engagement message"),
                details: None,
                fbtrace_id: some("Az8or2yhqkZfEZ-_4Qn_Bam"),
                retryable: false,
            }),
            SendError::Transport(TransportError {
                kind: TransportKind::ConnectionRefused,
                detail: s("refused"),
            }),
            SendError::BadResponse(BadResponse {
                http_status: u16::MAX,
                content_type: some("text/html"),
                reason: s("not JSON"),
            }),
        ];
        for error in errors {
            let failed: Result<(), SendError> = Err(error.clone());
            assert_round_trip(&failed);
            let failure: Result<Sent, TextFailure> = Err(TextFailure {
                error,
                part: 2,
                parts: 3,
                sent: vec![s("wamid.1")],
            });
            assert_round_trip(&failure);
        }
        let kinds = vec![
            TransportKind::Dns,
            TransportKind::ConnectionRefused,
            TransportKind::Timeout,
            TransportKind::Tls,
            TransportKind::Protocol,
            TransportKind::Other,
        ];
        assert_round_trip(&kinds);
        let profile: Result<BusinessProfile, SendError> = Ok(BusinessProfile {
            id: s("PNID"),
            verified_name: s("Example"),
            display_phone_number: s("+1 555-078-3881"),
            quality_rating: some("GREEN"),
        });
        assert_round_trip(&profile);
        let ok: Result<(), SendError> = Ok(());
        assert_round_trip(&ok);
    }

    // ------------------------------------------------------------ exact shapes

    #[test]
    fn a_small_message_encodes_to_the_hand_written_json() {
        let message = Message {
            id: s("wamid.1"),
            sender: User {
                phone: some("16505551234"),
                user_id: None,
                parent_user_id: None,
                username: None,
                name: some("Ann"),
            },
            timestamp: 1_700_000_000,
            business_account_id: s("WABA"),
            phone_number_id: s("PNID"),
            display_phone_number: s("15550783881"),
            group_id: None,
            context: None,
            content: Content::Text(s("hi")),
            text: s("hi"),
            referral: None,
            errors: vec![],
            raw_json: s("{}"),
        };
        assert_eq!(
            message.to_json(),
            json!({
                "id": "wamid.1",
                "sender": {
                    "phone": "16505551234",
                    "user-id": null,
                    "parent-user-id": null,
                    "username": null,
                    "name": "Ann"
                },
                "timestamp": 1_700_000_000u64,
                "business-account-id": "WABA",
                "phone-number-id": "PNID",
                "display-phone-number": "15550783881",
                "group-id": null,
                "context": null,
                "content": {"tag": "text", "value": "hi"},
                "text": "hi",
                "referral": null,
                "errors": [],
                "raw-json": "{}"
            })
        );
    }

    #[test]
    fn fields_whose_wit_name_is_not_the_rust_ident_use_the_wit_name() {
        let referral = match rich_message().referral {
            Some(referral) => referral,
            None => panic!("the rich message has a referral"),
        };
        let encoded = referral.to_json();
        assert_eq!(encoded["ref"], json!("campaign-7"));
        assert!(encoded.get("ref-").is_none() && encoded.get("ref_").is_none());
        let currency = TemplateCurrency {
            fallback: s("$1"),
            code: s("USD"),
            amount_1000: 1000,
        };
        assert_eq!(
            currency.to_json(),
            json!({"fallback": "$1", "code": "USD", "amount-1000": 1000})
        );
    }

    #[test]
    fn enums_encode_as_their_case_name_and_variants_as_tag_and_value() {
        assert_eq!(
            TransportKind::ConnectionRefused.to_json(),
            json!("connection-refused")
        );
        assert_eq!(MediaKind::Sticker.to_json(), json!("sticker"));
        assert_eq!(
            TemplateComponentKind::QuickReplyButton(2).to_json(),
            json!({"tag": "quick-reply-button", "value": 2})
        );
        assert_eq!(
            Action::SendMedia(MediaMessage {
                to: s(""),
                kind: MediaKind::Image,
                source: MediaSource::Id(s("M")),
                caption: None,
                filename: None,
                reply_to: None,
                phone_number_id: None,
                biz_opaque_callback_data: None,
            })
            .to_json(),
            json!({"tag": "send-media", "value": {
                "to": "",
                "kind": "image",
                "source": {"tag": "id", "value": "M"},
                "caption": null,
                "filename": null,
                "reply-to": null,
                "phone-number-id": null,
                "biz-opaque-callback-data": null
            }})
        );
    }

    #[test]
    fn a_hand_written_action_list_decodes_to_the_expected_actions() {
        let output = r#"[
            {"tag": "send-text", "value": {
                "to": "", "body": "Hello *there*", "format": "raw", "preview-url": false,
                "reply-to": null, "phone-number-id": "PNID", "biz-opaque-callback-data": null
            }},
            {"tag": "react", "value": "\u2764"},
            {"tag": "mark-read", "value": {"message-id": "wamid.1", "typing": true}},
            {"tag": "reply", "value": {
                "body": "ok", "quote": true, "format": "markdown", "preview-url": true,
                "biz-opaque-callback-data": "cb"
            }}
        ]"#;
        let actions: Vec<Action> = match decode_output(output) {
            Ok(actions) => actions,
            Err(e) => panic!("{}", e.describe()),
        };
        let expected = vec![
            Action::SendText(TextMessage {
                to: s(""),
                body: s("Hello *there*"),
                format: TextFormat::Raw,
                preview_url: false,
                reply_to: None,
                phone_number_id: some("PNID"),
                biz_opaque_callback_data: None,
            }),
            Action::React(s("\u{2764}")),
            Action::MarkRead(ReadReceipt {
                message_id: s("wamid.1"),
                typing: true,
                phone_number_id: None,
            }),
            Action::Reply(Reply {
                body: s("ok"),
                quote: true,
                format: TextFormat::Markdown,
                preview_url: true,
                biz_opaque_callback_data: some("cb"),
            }),
        ];
        assert_eq!(format!("{actions:?}"), format!("{expected:?}"));
    }

    #[test]
    fn a_case_without_payload_is_a_bare_tag_and_decodes_with_or_without_null_value() {
        assert_eq!(
            Content::RequestWelcome.to_json(),
            json!({"tag": "request-welcome"})
        );
        assert_eq!(UpdateDetails::Other.to_json(), json!({"tag": "other"}));
        for value in [
            json!({"tag": "request-welcome"}),
            json!({"tag": "request-welcome", "value": null}),
        ] {
            match Content::from_json(&value) {
                Ok(Content::RequestWelcome) => {}
                other => panic!("{other:?}"),
            }
        }
        let e = decode_error::<Content>(json!({"tag": "request-welcome", "value": "x"}));
        assert_eq!(e.path, ".value");
    }

    #[test]
    fn a_case_with_payload_requires_its_value() {
        let e = decode_error::<Content>(json!({"tag": "text"}));
        assert_eq!(e.path, ".value");
        let e = decode_error::<Content>(json!({"tag": "text", "value": null}));
        assert_eq!((e.path.as_str(), e.expected), (".value", "a string"));
    }

    #[test]
    fn result_ok_is_the_value_itself_and_err_is_an_error_object() {
        let ok: Result<(), SendError> = Ok(());
        assert_eq!(ok.to_json(), Value::Null);
        let err: Result<(), SendError> = Err(SendError::MissingConfig(vec![s("WHATSAPP_TOKEN")]));
        assert_eq!(
            err.to_json(),
            json!({"error": {"tag": "missing-config", "value": ["WHATSAPP_TOKEN"]}})
        );
        let sent: Result<Sent, SendError> = match decode_output(r#"{"message-ids":["wamid.1"]}"#) {
            Ok(sent) => sent,
            Err(e) => panic!("{}", e.describe()),
        };
        assert_eq!(
            format!("{sent:?}"),
            format!(
                "{:?}",
                Ok::<Sent, SendError>(Sent {
                    message_ids: vec![s("wamid.1")],
                    wa_id: None,
                    user_id: None,
                })
            )
        );
        let e = decode_error::<Result<Sent, SendError>>(json!({"error": {"tag": "nope"}}));
        assert_eq!(e.path, ".error.tag");
    }

    // ------------------------------------------------------------ numbers

    #[test]
    fn u64_max_and_i64_min_survive_exactly() {
        assert_eq!(u64::MAX.to_json().to_string(), "18446744073709551615");
        assert_eq!(decode_output::<u64>("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(i64::MIN.to_json().to_string(), "-9223372036854775808");
        assert_eq!(decode_output::<i64>("-9223372036854775808"), Ok(i64::MIN));
        let message = Message {
            timestamp: u64::MAX,
            errors: vec![ErrorDetail {
                code: i64::MIN,
                ..error_detail()
            }],
            ..rich_message()
        };
        let text = message.to_json().to_string();
        assert!(text.contains("18446744073709551615") && text.contains("-9223372036854775808"));
        let back: Message = match decode_output(&text) {
            Ok(back) => back,
            Err(e) => panic!("{}", e.describe()),
        };
        assert_eq!(back.timestamp, u64::MAX);
        assert_eq!(back.errors.first().map(|e| e.code), Some(i64::MIN));
    }

    #[test]
    fn integers_out_of_range_or_not_integers_are_errors_naming_the_path() {
        for bad in [json!(-1), json!(4_294_967_296u64), json!(1.5), json!("1")] {
            let e = decode_error::<Action>(json!({"tag": "send-template", "value": {
                "to": "", "name": "t", "language": "en",
                "components": [
                    {"kind": {"tag": "body"}, "parameters": []},
                    {"kind": {"tag": "url-button", "value": bad}, "parameters": []}
                ]
            }}));
            assert_eq!(e.path, ".value.components[1].kind.value");
            assert_eq!(e.expected, "an integer from 0 to 4294967295");
        }
        assert!(decode_output::<u64>("18446744073709551616").is_err());
        assert!(decode_output::<u64>("-1").is_err());
        assert!(decode_output::<i64>("9223372036854775808").is_err());
        assert!(decode_output::<u16>("65536").is_err());
        assert_eq!(decode_output::<u16>("65535"), Ok(u16::MAX));
    }

    #[test]
    fn non_finite_f64_encodes_as_zero() {
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(x.to_json(), json!(0.0));
        }
        assert_eq!((-2.5f64).to_json(), json!(-2.5));
        assert_eq!(f64::from_json(&json!(3)), Ok(3.0));
    }

    // ------------------------------------------------------------ errors

    #[test]
    fn a_missing_required_field_is_an_error_naming_it() {
        let mut value = rich_message().to_json();
        if let Some(object) = value.as_object_mut() {
            object.remove("phone-number-id");
        }
        let e = decode_error::<Message>(value);
        assert_eq!(e.path, ".phone-number-id");

        let mut value = vec![rich_message()].to_json();
        if let Some(content) = value.pointer_mut("/0/content") {
            *content = json!({"tag": "image", "value": {"mime-type": "image/png", "sha256": "x"}});
        }
        let e = decode_error::<Vec<Message>>(value);
        assert_eq!(e.path, "[0].content.value.id");
    }

    #[test]
    fn a_wrong_value_deep_inside_is_an_error_with_its_full_path() {
        let mut value = vec![rich_message(), rich_message()].to_json();
        if let Some(content) = value.pointer_mut("/1/content") {
            *content = json!({"tag": "image", "value": {
                "id": "M", "mime-type": "image/png", "sha256": "x", "caption": 42
            }});
        }
        let e = decode_error::<Vec<Message>>(value);
        assert_eq!(e.path, "[1].content.value.caption");
        assert_eq!(e.expected, "a string");
        assert_eq!(
            e.describe(),
            "at [1].content.value.caption: expected a string"
        );
    }

    #[test]
    fn a_missing_option_field_decodes_to_none() {
        let user = match User::from_json(&json!({})) {
            Ok(user) => user,
            Err(e) => panic!("{}", e.describe()),
        };
        assert_eq!(
            format!("{user:?}"),
            format!(
                "{:?}",
                User {
                    phone: None,
                    user_id: None,
                    parent_user_id: None,
                    username: None,
                    name: None,
                }
            )
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let mut value = rich_message().to_json();
        if let Some(object) = value.as_object_mut() {
            object.insert(s("added-in-a-later-version"), json!({"x": [1, 2]}));
        }
        if let Some(sender) = value.pointer_mut("/sender").and_then(Value::as_object_mut) {
            sender.insert(s("avatar"), json!("https://example.com/a.png"));
        }
        if let Some(content) = value.pointer_mut("/content").and_then(Value::as_object_mut) {
            content.insert(s("extra"), json!(true));
        }
        let back = match Message::from_json(&value) {
            Ok(back) => back,
            Err(e) => panic!("{}", e.describe()),
        };
        assert_eq!(format!("{back:?}"), format!("{:?}", rich_message()));
    }

    #[test]
    fn an_unknown_tag_or_enum_case_is_an_error() {
        let e = decode_error::<Vec<Action>>(json!([{"tag": "send-telegram", "value": {}}]));
        assert_eq!(e.path, "[0].tag");
        assert!(
            e.expected.starts_with("a case of Action:"),
            "{}",
            e.expected
        );
        assert!(e.expected.contains(" send-cta-url "), "{}", e.expected);
        let e = decode_error::<Action>(json!({"value": {}}));
        assert_eq!(e.path, ".tag");
        let e = decode_error::<TextFormat>(json!("html"));
        assert_eq!(e.path, "");
        assert_eq!(e.expected, "a case of TextFormat: markdown raw");
        let e = decode_error::<TextFormat>(json!({"tag": "raw"}));
        assert_eq!(e.expected, "a case of TextFormat: markdown raw");
    }

    #[test]
    fn an_error_never_shows_the_offending_value() {
        const SECRET: &str = "EAAG-secret-token-4711";
        let mut message = rich_message().to_json();
        if let Some(object) = message.as_object_mut() {
            object.insert(s("timestamp"), json!(SECRET));
        }
        let cases = vec![
            decode_error::<Message>(message),
            decode_error::<Action>(json!({"tag": SECRET, "value": SECRET})),
            decode_error::<Action>(json!({"tag": "react", "value": {"body": SECRET}})),
            decode_error::<Content>(json!({"tag": "request-welcome", "value": SECRET})),
            decode_error::<TransportKind>(json!(SECRET)),
            decode_error::<User>(json!(SECRET)),
            decode_error::<Vec<String>>(json!([SECRET, 1])),
            decode_error::<u32>(json!(SECRET)),
            decode_error::<Result<(), SendError>>(json!({"error": SECRET})),
        ];
        for e in cases {
            assert!(!e.describe().contains(SECRET), "{}", e.describe());
            assert!(!format!("{e:?}").contains(SECRET), "{e:?}");
            assert!(!e.to_string().contains(SECRET));
        }
        match decode_output::<Message>(&format!("{{\"id\": \"{SECRET}")) {
            Err(e) => assert!(!e.describe().contains(SECRET)),
            Ok(m) => panic!("{m:?}"),
        }
    }

    #[test]
    fn decode_output_of_invalid_json_is_an_error() {
        for text in [
            "",
            "{",
            "[1,",
            "not json",
            "{\"tag\": \"text\"} trailing",
            "\u{0}",
        ] {
            assert_eq!(
                decode_output::<Vec<Action>>(text).err(),
                Some(JsonError {
                    path: String::new(),
                    expected: "JSON"
                }),
                "{text:?}"
            );
        }
        let e = JsonError::here("JSON");
        assert_eq!(e.describe(), "expected JSON");
    }

    #[test]
    fn wrong_json_kinds_anywhere_are_errors_not_panics() {
        let odd = [
            json!(null),
            json!(true),
            json!(0),
            json!(-1.5),
            json!("x"),
            json!([]),
            json!([null]),
            json!({}),
            json!({"tag": null}),
            json!({"tag": 5}),
            json!({"tag": "text", "value": [1]}),
        ];
        for value in &odd {
            let _ = Message::from_json(value);
            let _ = Vec::<Action>::from_json(value);
            let _ = Action::from_json(value);
            let _ = Content::from_json(value);
            let _ = WebhookUpdate::from_json(value);
            let _ = StatusUpdate::from_json(value);
            let _ = Result::<Sent, TextFailure>::from_json(value);
        }
        assert!(Message::from_json(&json!([])).is_err());
        assert!(Vec::<Action>::from_json(&json!({})).is_err());
    }

    #[test]
    fn args_is_a_json_array_of_the_arguments_in_order() {
        assert_eq!(args(&[]), "[]");
        let text = args(&[
            rich_message().to_json(),
            json!("second"),
            Option::<String>::None.to_json(),
        ]);
        let parsed: Value = match serde_json::from_str(&text) {
            Ok(parsed) => parsed,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(parsed, json!([rich_message().to_json(), "second", null]));
    }
}
