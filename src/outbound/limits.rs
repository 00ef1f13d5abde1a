//! Meta's limits on outbound messages, checked before anything is sent.
//!
//! Every check returns `Err(InvalidRequest { field, reason })` for the first problem
//! found, with `field` a path in the WIT record's own (kebab-case) names, for example
//! `buttons[1].title` or `sections[0].rows[2].id`, and `reason` a short sentence such
//! as `at most 20 characters, got 27`.
//!
//! Conventions shared by every check:
//!
//! - **Lengths are counted in Unicode scalar values** (Rust `char`s), not bytes and not
//!   UTF-16 code units. Meta documents its limits in "characters" without saying which
//!   kind; scalar values are what a person counts for nearly all text (an accented
//!   letter or a single emoji is one), and they never over-count a non-ASCII text the
//!   way bytes would. Emoji built from several scalars (flags, skin tones, ZWJ
//!   families) count as several, which errs on the strict side.
//! - **Blank means empty**: a required text that is empty or only whitespace is
//!   rejected, and an optional text that is empty or only whitespace counts as absent
//!   (the request builders in [`crate::outbound::graph`] leave it out). Values are never trimmed
//!   or otherwise changed: what passes is sent as given.
//! - The recipient (`to`) is not checked here: [`crate::outbound::graph::parse_recipient`]
//!   does that (phone number, business-scoped user id or `group:` id), because in a
//!   consumer's action an empty `to` means "the chat of the message" and is resolved
//!   before the request is built. Nor is the sending number, which only picks the URL.
//! - `biz-opaque-callback-data`, on every send, is at most [`CALLBACK_DATA_MAX`]
//!   characters ([`validate_callback_data`]).

use crate::types::{
    BusinessProfileUpdate, ButtonsMessage, ContactCard, ContactsMessage, CtaUrlMessage, FlowAction,
    FlowMessage, FlowRef, InteractiveHeader, InvalidRequest, ListMessage, LocationMessage,
    LocationRequestMessage, MediaKind, MediaMessage, MediaSource, ReactionMessage, ReadReceipt,
    TemplateComponent, TemplateComponentKind, TemplateMessage, TemplateValue, VoiceMessage,
};

/// Most characters in one text message; longer texts are split into parts.
pub const TEXT_BODY_MAX: usize = 4096;
/// Most characters in a media caption (image, video, document).
pub const CAPTION_MAX: usize = 1024;
/// Most reply buttons in one message.
pub const BUTTONS_MAX: usize = 3;
/// Most characters in a reply button's title.
pub const BUTTON_TITLE_MAX: usize = 20;
/// Most characters in a reply button's id.
pub const BUTTON_ID_MAX: usize = 256;
/// Most characters in the body of a buttons or CTA URL message.
pub const INTERACTIVE_BODY_MAX: usize = 1024;
/// Most characters in the body of a list message.
pub const LIST_BODY_MAX: usize = 4096;
/// Most characters in an interactive footer.
pub const FOOTER_MAX: usize = 60;
/// Most characters in an interactive text header.
pub const HEADER_TEXT_MAX: usize = 60;
/// Most characters in the label of the button that opens a list.
pub const LIST_BUTTON_MAX: usize = 20;
/// Most sections in a list.
pub const LIST_SECTIONS_MAX: usize = 10;
/// Most rows in a list, all sections together.
pub const LIST_ROWS_MAX: usize = 10;
/// Most characters in a list section's title.
pub const SECTION_TITLE_MAX: usize = 24;
/// Most characters in a list row's title.
pub const ROW_TITLE_MAX: usize = 24;
/// Most characters in a list row's description.
pub const ROW_DESCRIPTION_MAX: usize = 72;
/// Most characters in a list row's id.
pub const ROW_ID_MAX: usize = 200;
/// Most characters in a CTA URL button's text.
pub const CTA_DISPLAY_TEXT_MAX: usize = 20;
/// Most contact cards in one contacts message.
pub const CONTACTS_MAX: usize = 257;
/// Most parameters in a template header (a header has one placeholder).
pub const TEMPLATE_HEADER_PARAMETERS_MAX: usize = 1;
/// Highest template button index Meta accepts (buttons are numbered 0 to 9).
pub const TEMPLATE_BUTTON_INDEX_MAX: u32 = 9;
/// Most characters in the code a template's copy-code button copies.
pub const COUPON_CODE_MAX: usize = 15;
/// Most characters in `biz_opaque_callback_data`.
pub const CALLBACK_DATA_MAX: usize = 512;
/// Most characters in the body of a location request (Meta: "Maximum 1024 characters").
pub const LOCATION_REQUEST_BODY_MAX: usize = 1024;
/// Most characters in the body of a flow message.
pub const FLOW_BODY_MAX: usize = 1024;
/// Most characters in the button text of a flow message (`flow_cta`). Meta's "Sending a
/// Flow" reference: "Text on the CTA button. For example: 'Signup'. Character limit - 20
/// characters (no emoji)"; pywa's `FlowButton.title` says the same ("Up to 20
/// characters, no emojis"). Some older pages say 30: the stricter 20 is checked.
pub const FLOW_CTA_MAX: usize = 20;
/// Fewest users in one block or unblock request.
pub const BLOCK_USERS_MIN: usize = 1;
/// Most users in one block or unblock request. Meta documents no number: only a 64,000
/// user blocklist, and error 130429 when "too many numbers are in the request itself"
/// (Block Users API, error codes), and pywa sets no bound. 1000 keeps a request well
/// inside what Meta answers, and is this component's own cap, not Meta's.
pub const BLOCK_USERS_MAX: usize = 1000;
/// Most characters in a business profile's "About" text (Meta's business profile
/// reference: "Minimum 1 character. Maximum 139 characters").
pub const PROFILE_ABOUT_MAX: usize = 139;
/// Most characters in a business profile's address (Meta and pywa: 256).
pub const PROFILE_ADDRESS_MAX: usize = 256;
/// Most characters in a business profile's description (Meta and pywa: 512).
pub const PROFILE_DESCRIPTION_MAX: usize = 512;
/// Most characters in a business profile's e-mail address (Meta and pywa: 128).
pub const PROFILE_EMAIL_MAX: usize = 128;
/// Most web sites in a business profile (Meta and pywa: "a maximum of 2 websites").
pub const PROFILE_WEBSITES_MAX: usize = 2;
/// Most characters in each web site of a business profile (Meta and pywa: 256).
pub const PROFILE_WEBSITE_MAX: usize = 256;

/// Length of `s` as these checks count it: Unicode scalar values.
pub fn char_count(s: &str) -> usize {
    s.chars().count()
}

/// True when `s` is empty or only whitespace.
pub fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// The value of an optional text, or `None` when it is absent or blank.
pub fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !is_blank(s))
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> InvalidRequest {
    InvalidRequest {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A required text: not blank, at most `max` characters.
fn required(field: &str, value: &str, max: usize) -> Result<(), InvalidRequest> {
    if is_blank(value) {
        return Err(invalid(field, "must not be empty"));
    }
    at_most(field, value, max)
}

/// At most `max` characters.
fn at_most(field: &str, value: &str, max: usize) -> Result<(), InvalidRequest> {
    // A character is at least one byte: a text of at most `max` bytes is not counted.
    if value.len() <= max {
        return Ok(());
    }
    let count = char_count(value);
    if count > max {
        return Err(invalid(
            field,
            format!("at most {max} characters, got {count}"),
        ));
    }
    Ok(())
}

/// An optional text: when present (not blank), at most `max` characters.
fn optional(field: &str, value: &Option<String>, max: usize) -> Result<(), InvalidRequest> {
    match present(value) {
        Some(text) => at_most(field, text, max),
        None => Ok(()),
    }
}

/// A required text with no length limit of its own.
fn not_blank(field: &str, value: &str) -> Result<(), InvalidRequest> {
    if is_blank(value) {
        return Err(invalid(field, "must not be empty"));
    }
    Ok(())
}

/// True when `url` starts with `http://` or `https://` (scheme case-insensitive) and
/// has something after it.
pub fn is_http_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        url.get(8..)
    } else if lower.starts_with("http://") {
        url.get(7..)
    } else {
        None
    };
    match rest {
        Some(rest) => !is_blank(rest) && !url.chars().any(char::is_whitespace),
        None => false,
    }
}

fn http_url(field: &str, url: &str) -> Result<(), InvalidRequest> {
    if is_blank(url) {
        return Err(invalid(field, "must not be empty"));
    }
    if !is_http_url(url) {
        return Err(invalid(
            field,
            "must be an http:// or https:// URL without spaces",
        ));
    }
    Ok(())
}

/// Checks a media source: an id must not be blank, a link must be an http(s) URL.
/// `field` is the path of the source, for example `source` or `header`.
pub fn validate_media_source(field: &str, source: &MediaSource) -> Result<(), InvalidRequest> {
    match source {
        MediaSource::Id(id) => not_blank(&format!("{field}.id"), id),
        MediaSource::Link(link) => http_url(&format!("{field}.link"), link),
    }
}

/// Checks one part of a text message, as it will be sent: not blank, at most
/// [`TEXT_BODY_MAX`] characters.
pub fn validate_text_part(body: &str) -> Result<(), InvalidRequest> {
    required("body", body, TEXT_BODY_MAX)
}

/// Checks a whole text before it is split: only that it is not blank (splitting takes
/// care of the length).
pub fn validate_text_body(body: &str) -> Result<(), InvalidRequest> {
    not_blank("body", body)
}

/// Checks the `biz-opaque-callback-data` of a send: when present (not blank), at most
/// [`CALLBACK_DATA_MAX`] characters. A blank one is left out of the request.
pub fn validate_callback_data(value: &Option<String>) -> Result<(), InvalidRequest> {
    optional("biz-opaque-callback-data", value, CALLBACK_DATA_MAX)
}

/// Checks a media message: the source, and a caption or file name only where Meta
/// accepts one (caption: image, video, document; file name: document).
pub fn validate_media(message: &MediaMessage) -> Result<(), InvalidRequest> {
    validate_media_source("source", &message.source)?;
    if present(&message.caption).is_some() {
        match message.kind {
            MediaKind::Image | MediaKind::Video | MediaKind::Document => {
                optional("caption", &message.caption, CAPTION_MAX)?;
            }
            MediaKind::Audio | MediaKind::Sticker => {
                return Err(invalid(
                    "caption",
                    format!(
                        "{} messages cannot have a caption",
                        media_kind_name(message.kind)
                    ),
                ));
            }
        }
    }
    if present(&message.filename).is_some() && message.kind != MediaKind::Document {
        return Err(invalid(
            "filename",
            format!(
                "only documents have a file name, not {} messages",
                media_kind_name(message.kind)
            ),
        ));
    }
    Ok(())
}

/// Meta's name for a media kind (`image`, `video`, `audio`, `document`, `sticker`).
pub fn media_kind_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "image",
        MediaKind::Video => "video",
        MediaKind::Audio => "audio",
        MediaKind::Document => "document",
        MediaKind::Sticker => "sticker",
    }
}

fn coordinate(field: &str, value: f64, limit: u32) -> Result<(), InvalidRequest> {
    if !value.is_finite() {
        return Err(invalid(field, "must be a finite number"));
    }
    let bound = f64::from(limit);
    if value < -bound || value > bound {
        return Err(invalid(
            field,
            format!(
                "must be between -{limit} and {limit}, got {}",
                number(value)
            ),
        ));
    }
    Ok(())
}

/// A finite number as JSON writes it, the shortest form that reads back the same (`90.5`,
/// `91`, `1e+300`): what `{}` prints for numbers of magnitude from 1e-5 to 1e16, and
/// shorter beyond. serde_json's formatter is in the component anyway; core's float `{}`
/// would add 20 KB of wasm for this one error message.
fn number(value: f64) -> String {
    let mut text = match serde_json::Number::from_f64(value) {
        Some(number) => number.to_string(),
        None => return String::from("a number"),
    };
    if text.ends_with(".0") {
        text.truncate(text.len() - 2);
    }
    text
}

/// Checks a location: latitude in [-90, 90], longitude in [-180, 180], both finite.
pub fn validate_location(message: &LocationMessage) -> Result<(), InvalidRequest> {
    coordinate("latitude", message.latitude, 90)?;
    coordinate("longitude", message.longitude, 180)?;
    Ok(())
}

fn is_birthday(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

fn validate_card(path: &str, card: &ContactCard) -> Result<(), InvalidRequest> {
    not_blank(&format!("{path}.formatted-name"), &card.formatted_name)?;
    for (i, phone) in card.phones.iter().enumerate() {
        not_blank(&format!("{path}.phones[{i}].phone"), &phone.phone)?;
    }
    for (i, email) in card.emails.iter().enumerate() {
        not_blank(&format!("{path}.emails[{i}].email"), &email.email)?;
    }
    for (i, url) in card.urls.iter().enumerate() {
        not_blank(&format!("{path}.urls[{i}]"), url)?;
    }
    if let Some(birthday) = present(&card.birthday) {
        if !is_birthday(birthday) {
            return Err(invalid(format!("{path}.birthday"), "must be YYYY-MM-DD"));
        }
    }
    Ok(())
}

/// Checks a contacts message: 1 to [`CONTACTS_MAX`] cards, each with a formatted name;
/// phones and e-mails not blank; a birthday as `YYYY-MM-DD`.
pub fn validate_contacts(message: &ContactsMessage) -> Result<(), InvalidRequest> {
    let count = message.contacts.len();
    if count == 0 {
        return Err(invalid("contacts", "at least 1 contact, got 0"));
    }
    if count > CONTACTS_MAX {
        return Err(invalid(
            "contacts",
            format!("at most {CONTACTS_MAX} contacts, got {count}"),
        ));
    }
    for (i, card) in message.contacts.iter().enumerate() {
        validate_card(&format!("contacts[{i}]"), card)?;
    }
    Ok(())
}

/// Checks the header of a buttons message: a text header at most
/// [`HEADER_TEXT_MAX`] characters, a media header a valid source.
pub fn validate_interactive_header(header: &InteractiveHeader) -> Result<(), InvalidRequest> {
    match header {
        InteractiveHeader::Text(text) => required("header", text, HEADER_TEXT_MAX),
        InteractiveHeader::Image(source)
        | InteractiveHeader::Video(source)
        | InteractiveHeader::Document(source) => validate_media_source("header", source),
    }
}

/// Checks a reply-buttons message: 1 to 3 buttons with unique ids (1 to 256
/// characters) and titles (1 to 20); body 1 to 1024; footer at most 60; header.
pub fn validate_buttons(message: &ButtonsMessage) -> Result<(), InvalidRequest> {
    required("body", &message.body, INTERACTIVE_BODY_MAX)?;
    let count = message.buttons.len();
    if count == 0 {
        return Err(invalid("buttons", "at least 1 button, got 0"));
    }
    if count > BUTTONS_MAX {
        return Err(invalid(
            "buttons",
            format!("at most {BUTTONS_MAX} buttons, got {count}"),
        ));
    }
    for (i, button) in message.buttons.iter().enumerate() {
        required(&format!("buttons[{i}].id"), &button.id, BUTTON_ID_MAX)?;
        required(
            &format!("buttons[{i}].title"),
            &button.title,
            BUTTON_TITLE_MAX,
        )?;
        let earlier = message
            .buttons
            .iter()
            .take(i)
            .position(|b| b.id == button.id);
        if let Some(first) = earlier {
            return Err(invalid(
                format!("buttons[{i}].id"),
                format!("duplicate id, already used by buttons[{first}]"),
            ));
        }
    }
    if let Some(header) = &message.header {
        validate_interactive_header(header)?;
    }
    optional("footer", &message.footer, FOOTER_MAX)?;
    Ok(())
}

/// Checks a list message: button label 1 to 20 characters; 1 to 10 sections, each with
/// rows, 10 rows in all; row ids unique and at most 200, titles 1 to 24, descriptions
/// at most 72; section titles at most 24 and required when there are several
/// sections; body 1 to 4096; header and footer at most 60.
pub fn validate_list(message: &ListMessage) -> Result<(), InvalidRequest> {
    required("body", &message.body, LIST_BODY_MAX)?;
    required("button", &message.button, LIST_BUTTON_MAX)?;
    let sections = message.sections.len();
    if sections == 0 {
        return Err(invalid("sections", "at least 1 section, got 0"));
    }
    if sections > LIST_SECTIONS_MAX {
        return Err(invalid(
            "sections",
            format!("at most {LIST_SECTIONS_MAX} sections, got {sections}"),
        ));
    }
    let rows: usize = message.sections.iter().map(|s| s.rows.len()).sum();
    if rows > LIST_ROWS_MAX {
        return Err(invalid(
            "sections",
            format!("at most {LIST_ROWS_MAX} rows in all sections together, got {rows}"),
        ));
    }
    let mut seen: Vec<(&str, String)> = Vec::with_capacity(rows);
    for (s, section) in message.sections.iter().enumerate() {
        let title_field = format!("sections[{s}].title");
        match present(&section.title) {
            Some(title) => at_most(&title_field, title, SECTION_TITLE_MAX)?,
            None if sections > 1 => {
                return Err(invalid(
                    title_field,
                    "required when the list has more than one section",
                ));
            }
            None => {}
        }
        if section.rows.is_empty() {
            return Err(invalid(
                format!("sections[{s}].rows"),
                "at least 1 row, got 0",
            ));
        }
        for (r, row) in section.rows.iter().enumerate() {
            let path = format!("sections[{s}].rows[{r}]");
            required(&format!("{path}.id"), &row.id, ROW_ID_MAX)?;
            required(&format!("{path}.title"), &row.title, ROW_TITLE_MAX)?;
            optional(
                &format!("{path}.description"),
                &row.description,
                ROW_DESCRIPTION_MAX,
            )?;
            if let Some((_, first)) = seen.iter().find(|(id, _)| *id == row.id) {
                return Err(invalid(
                    format!("{path}.id"),
                    format!("duplicate id, already used by {first}"),
                ));
            }
            seen.push((row.id.as_str(), path));
        }
    }
    optional("header", &message.header, HEADER_TEXT_MAX)?;
    optional("footer", &message.footer, FOOTER_MAX)?;
    Ok(())
}

/// Checks a CTA URL message: display text 1 to 20 characters, an http(s) URL, body 1
/// to 1024, header and footer at most 60.
pub fn validate_cta_url(message: &CtaUrlMessage) -> Result<(), InvalidRequest> {
    required("body", &message.body, INTERACTIVE_BODY_MAX)?;
    required("display-text", &message.display_text, CTA_DISPLAY_TEXT_MAX)?;
    http_url("url", &message.url)?;
    optional("header", &message.header, HEADER_TEXT_MAX)?;
    optional("footer", &message.footer, FOOTER_MAX)?;
    Ok(())
}

/// What a template component is, in words, for error reasons.
fn component_name(kind: &TemplateComponentKind) -> &'static str {
    match kind {
        TemplateComponentKind::Header => "the header",
        TemplateComponentKind::Body => "the body",
        TemplateComponentKind::QuickReplyButton(_) => "a quick-reply button",
        TemplateComponentKind::UrlButton(_) => "a URL button",
        TemplateComponentKind::CopyCodeButton(_) => "a copy-code button",
        TemplateComponentKind::FlowButton(_) => "a flow button",
        TemplateComponentKind::CatalogButton(_) => "a catalog button",
    }
}

/// The parameter kinds a component takes, in words, for error reasons.
fn component_takes(kind: &TemplateComponentKind) -> &'static str {
    match kind {
        TemplateComponentKind::Header => {
            "text, currency, date-time, image, video, document or location parameters"
        }
        TemplateComponentKind::Body => "text, currency or date-time parameters",
        TemplateComponentKind::QuickReplyButton(_) | TemplateComponentKind::UrlButton(_) => {
            "a text or payload parameter"
        }
        TemplateComponentKind::CopyCodeButton(_) => "a coupon-code parameter",
        TemplateComponentKind::FlowButton(_) => "a flow-action parameter",
        TemplateComponentKind::CatalogButton(_) => "a catalog-thumbnail parameter",
    }
}

/// The WIT name of a template value's case.
pub fn template_value_name(value: &TemplateValue) -> &'static str {
    match value {
        TemplateValue::Text(_) => "text",
        TemplateValue::Currency(_) => "currency",
        TemplateValue::DateTime(_) => "date-time",
        TemplateValue::Image(_) => "image",
        TemplateValue::Video(_) => "video",
        TemplateValue::Document(_) => "document",
        TemplateValue::Location(_) => "location",
        TemplateValue::Payload(_) => "payload",
        TemplateValue::CouponCode(_) => "coupon-code",
        TemplateValue::FlowAction(_) => "flow-action",
        TemplateValue::CatalogThumbnail(_) => "catalog-thumbnail",
    }
}

/// Whether Meta takes a value of this kind in this component: text, currency and
/// date-time in the header and the body; media and location in the header; text or
/// payload on quick-reply and URL buttons; a coupon code on a copy-code button; a flow
/// action on a flow button; a catalog thumbnail on a catalog button.
fn allowed_in(kind: &TemplateComponentKind, value: &TemplateValue) -> bool {
    use TemplateComponentKind as K;
    use TemplateValue as V;
    match value {
        V::Text(_) => matches!(
            kind,
            K::Header | K::Body | K::QuickReplyButton(_) | K::UrlButton(_)
        ),
        V::Currency(_) | V::DateTime(_) => matches!(kind, K::Header | K::Body),
        V::Image(_) | V::Video(_) | V::Document(_) | V::Location(_) => {
            matches!(kind, K::Header)
        }
        V::Payload(_) => matches!(kind, K::QuickReplyButton(_) | K::UrlButton(_)),
        V::CouponCode(_) => matches!(kind, K::CopyCodeButton(_)),
        V::FlowAction(_) => matches!(kind, K::FlowButton(_)),
        V::CatalogThumbnail(_) => matches!(kind, K::CatalogButton(_)),
    }
}

/// True for a name Meta accepts for a named parameter (`{{first_name}}`): lowercase
/// ASCII letters, digits and underscores, starting with a letter.
pub fn is_parameter_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks the value of one template parameter, at `path`.
fn template_value(
    path: &str,
    kind: &TemplateComponentKind,
    value: &TemplateValue,
) -> Result<(), InvalidRequest> {
    if !allowed_in(kind, value) {
        return Err(invalid(
            path,
            format!(
                "{} takes {}, not {}",
                component_name(kind),
                component_takes(kind),
                template_value_name(value)
            ),
        ));
    }
    match value {
        TemplateValue::Text(text)
        | TemplateValue::Payload(text)
        | TemplateValue::DateTime(text) => not_blank(path, text),
        TemplateValue::Currency(currency) => {
            not_blank(&format!("{path}.fallback"), &currency.fallback)?;
            not_blank(&format!("{path}.code"), &currency.code)
        }
        TemplateValue::Image(source) | TemplateValue::Video(source) => {
            validate_media_source(path, source)
        }
        TemplateValue::Document(document) => validate_media_source(path, &document.source),
        TemplateValue::Location(location) => {
            coordinate(&format!("{path}.latitude"), location.latitude, 90)?;
            coordinate(&format!("{path}.longitude"), location.longitude, 180)
        }
        TemplateValue::CouponCode(code) => required(path, code, COUPON_CODE_MAX),
        TemplateValue::FlowAction(action) => match present(&action.action_data_json) {
            Some(data) => match serde_json::from_str::<serde_json::Value>(data) {
                Ok(serde_json::Value::Object(_)) => Ok(()),
                Ok(_) => Err(invalid(
                    format!("{path}.action-data-json"),
                    "must be a JSON object, got another JSON value",
                )),
                Err(_) => Err(invalid(
                    format!("{path}.action-data-json"),
                    "must be a JSON object, got text that is not JSON",
                )),
            },
            None => Ok(()),
        },
        TemplateValue::CatalogThumbnail(retailer_id) => not_blank(path, retailer_id),
    }
}

/// Checks the parameters' names in one component, at `path` (`components[i]`): all
/// named or all positional, names as Meta accepts them, unique, and only on text,
/// currency and date-time parameters of the header and the body.
fn parameter_names(path: &str, component: &TemplateComponent) -> Result<(), InvalidRequest> {
    let named = component
        .parameters
        .iter()
        .filter(|p| present(&p.name).is_some())
        .count();
    if named == 0 {
        return Ok(());
    }
    if named < component.parameters.len() {
        return Err(invalid(
            format!("{path}.parameters"),
            format!(
                "Meta refuses mixing named and positional parameters in one component: {named} of {} are named; name all of them or none",
                component.parameters.len()
            ),
        ));
    }
    for (p, parameter) in component.parameters.iter().enumerate() {
        let Some(name) = present(&parameter.name) else {
            continue;
        };
        let field = format!("{path}.parameters[{p}].name");
        let nameable = matches!(
            component.kind,
            TemplateComponentKind::Header | TemplateComponentKind::Body
        ) && matches!(
            parameter.value,
            TemplateValue::Text(_) | TemplateValue::Currency(_) | TemplateValue::DateTime(_)
        );
        if !nameable {
            return Err(invalid(
                field,
                "only text, currency and date-time parameters of the header and the body have names",
            ));
        }
        if !is_parameter_name(name) {
            return Err(invalid(
                field,
                "must be lowercase letters, digits and underscores, starting with a letter",
            ));
        }
        let earlier = component
            .parameters
            .iter()
            .take(p)
            .position(|other| present(&other.name) == Some(name));
        if let Some(first) = earlier {
            return Err(invalid(
                field,
                format!("duplicate name, already used by parameters[{first}]"),
            ));
        }
    }
    Ok(())
}

/// How many parameters a component takes: `(least, most)`.
fn parameter_count(kind: &TemplateComponentKind) -> (usize, usize) {
    match kind {
        TemplateComponentKind::Header => (0, TEMPLATE_HEADER_PARAMETERS_MAX),
        TemplateComponentKind::Body => (0, usize::MAX),
        TemplateComponentKind::QuickReplyButton(_)
        | TemplateComponentKind::UrlButton(_)
        | TemplateComponentKind::CopyCodeButton(_)
        | TemplateComponentKind::FlowButton(_) => (1, 1),
        TemplateComponentKind::CatalogButton(_) => (0, 1),
    }
}

/// Checks a template message:
///
/// - name and language not blank;
/// - buttons numbered 0 to 9; a header with at most one parameter; quick-reply, URL,
///   copy-code and flow buttons with exactly one, a catalog button with at most one
///   (without one, Meta shows the catalog's first product);
/// - each kind of value only where Meta takes it (see `allowed_in`): media and location
///   in the header, text, currency and date-time in the header and body, text or payload
///   on quick-reply and URL buttons, a coupon code (1 to 15 characters) on a copy-code
///   button, a flow action on a flow button (its `action-data-json` a JSON object), a
///   catalog thumbnail on a catalog button;
/// - no blank values, coordinates in range, media sources valid;
/// - parameter names: a component's parameters are all named or all positional (Meta
///   refuses a mix), names are lowercase letters, digits and underscores starting with
///   a letter, unique in the component, and only text, currency and date-time parameters
///   of the header and body have one. A blank name counts as none.
pub fn validate_template(message: &TemplateMessage) -> Result<(), InvalidRequest> {
    not_blank("name", &message.name)?;
    not_blank("language", &message.language)?;
    for (c, component) in message.components.iter().enumerate() {
        let path = format!("components[{c}]");
        match component.kind {
            TemplateComponentKind::Header | TemplateComponentKind::Body => {}
            TemplateComponentKind::QuickReplyButton(index)
            | TemplateComponentKind::UrlButton(index)
            | TemplateComponentKind::CopyCodeButton(index)
            | TemplateComponentKind::FlowButton(index)
            | TemplateComponentKind::CatalogButton(index) => {
                if index > TEMPLATE_BUTTON_INDEX_MAX {
                    return Err(invalid(
                        format!("{path}.kind"),
                        format!(
                            "button index must be 0 to {TEMPLATE_BUTTON_INDEX_MAX}, got {index}"
                        ),
                    ));
                }
            }
        }
        let count = component.parameters.len();
        let (least, most) = parameter_count(&component.kind);
        if count < least {
            return Err(invalid(
                format!("{path}.parameters"),
                format!(
                    "{} needs its parameter: {}",
                    component_name(&component.kind),
                    component_takes(&component.kind)
                ),
            ));
        }
        if count > most {
            let reason = if matches!(component.kind, TemplateComponentKind::Header) {
                format!("a header takes at most {most} parameter, got {count}")
            } else {
                format!(
                    "{} takes at most {most} parameter, got {count}",
                    component_name(&component.kind)
                )
            };
            return Err(invalid(format!("{path}.parameters"), reason));
        }
        parameter_names(&path, component)?;
        for (p, parameter) in component.parameters.iter().enumerate() {
            template_value(
                &format!("{path}.parameters[{p}]"),
                &component.kind,
                &parameter.value,
            )?;
        }
    }
    Ok(())
}

/// Checks a voice note: its source (an id, or an http(s) link).
pub fn validate_voice(message: &VoiceMessage) -> Result<(), InvalidRequest> {
    validate_media_source("source", &message.source)
}

/// Checks a location request: body 1 to [`LOCATION_REQUEST_BODY_MAX`] characters.
pub fn validate_location_request(message: &LocationRequestMessage) -> Result<(), InvalidRequest> {
    required("body", &message.body, LOCATION_REQUEST_BODY_MAX)
}

/// True for a character Meta would count as an emoji in a button text: pictographs,
/// emoticons, symbols and dingbats, regional indicators, and the emoji variation
/// selector.
fn is_emoji(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x200D
    )
}

/// A JSON object with at least one member, as text: `field` is where it was given.
fn non_empty_json_object(field: &str, text: &str) -> Result<(), InvalidRequest> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(object)) if object.is_empty() => Err(invalid(
            field,
            "must be a non-empty JSON object, got {} (leave it out instead)",
        )),
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err(invalid(
            field,
            "must be a JSON object, got another JSON value",
        )),
        Err(_) => Err(invalid(
            field,
            "must be a JSON object, got text that is not JSON",
        )),
    }
}

/// Checks a flow message: the flow's id or name and the flow token not blank; the
/// button text 1 to [`FLOW_CTA_MAX`] characters without emoji; body 1 to 1024; header
/// and footer at most 60; for `navigate`, a screen, and data (when given) a non-empty
/// JSON object.
pub fn validate_flow(message: &FlowMessage) -> Result<(), InvalidRequest> {
    match &message.flow {
        FlowRef::Id(id) => not_blank("flow.id", id)?,
        FlowRef::Name(name) => not_blank("flow.name", name)?,
    }
    not_blank("flow-token", &message.flow_token)?;
    required("cta", &message.cta, FLOW_CTA_MAX)?;
    if message.cta.chars().any(is_emoji) {
        return Err(invalid("cta", "must not contain emoji"));
    }
    required("body", &message.body, FLOW_BODY_MAX)?;
    optional("header", &message.header, HEADER_TEXT_MAX)?;
    optional("footer", &message.footer, FOOTER_MAX)?;
    if let FlowAction::Navigate(navigate) = &message.action {
        not_blank("action.screen", &navigate.screen)?;
        if let Some(data) = present(&navigate.data_json) {
            non_empty_json_object("action.data-json", data)?;
        }
    }
    Ok(())
}

/// Checks the users of a block or unblock request: [`BLOCK_USERS_MIN`] to
/// [`BLOCK_USERS_MAX`] of them (each is read as a recipient by the request builder).
pub fn validate_block_users(users: &[String]) -> Result<(), InvalidRequest> {
    let count = users.len();
    if count < BLOCK_USERS_MIN {
        return Err(invalid("users", "at least 1 user, got 0"));
    }
    if count > BLOCK_USERS_MAX {
        return Err(invalid(
            "users",
            format!("at most {BLOCK_USERS_MAX} users per request, got {count}"),
        ));
    }
    Ok(())
}

/// True for text shaped like an e-mail address: one `@` with something before it, a
/// domain with a dot inside after it, and no whitespace.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain
            .split_once('.')
            .is_some_and(|(name, rest)| !name.is_empty() && !rest.is_empty())
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// Checks a business profile update: something to change; about 1 to
/// [`PROFILE_ABOUT_MAX`] characters, address at most 256, description at most 512,
/// e-mail at most 128 and shaped like an address, at most 2 web sites, each an http(s)
/// URL of at most 256 characters; a profile picture handle not blank. Blank texts count
/// as absent, as everywhere.
pub fn validate_profile_update(update: &BusinessProfileUpdate) -> Result<(), InvalidRequest> {
    let nothing = present(&update.about).is_none()
        && present(&update.address).is_none()
        && present(&update.description).is_none()
        && present(&update.email).is_none()
        && update.websites.is_none()
        && update.vertical.is_none()
        && present(&update.profile_picture_handle).is_none();
    if nothing {
        return Err(invalid(
            "update",
            "nothing to change: give at least one field",
        ));
    }
    optional("about", &update.about, PROFILE_ABOUT_MAX)?;
    optional("address", &update.address, PROFILE_ADDRESS_MAX)?;
    optional("description", &update.description, PROFILE_DESCRIPTION_MAX)?;
    if let Some(email) = present(&update.email) {
        at_most("email", email, PROFILE_EMAIL_MAX)?;
        if !is_email(email) {
            return Err(invalid(
                "email",
                "must be an e-mail address such as name@example.com",
            ));
        }
    }
    if let Some(websites) = &update.websites {
        if websites.len() > PROFILE_WEBSITES_MAX {
            return Err(invalid(
                "websites",
                format!(
                    "at most {PROFILE_WEBSITES_MAX} web sites, got {}",
                    websites.len()
                ),
            ));
        }
        for (i, site) in websites.iter().enumerate() {
            let field = format!("websites[{i}]");
            http_url(&field, site)?;
            at_most(&field, site, PROFILE_WEBSITE_MAX)?;
        }
    }
    Ok(())
}

/// Checks a reaction: the message id must not be blank (an empty emoji is allowed: it
/// removes the reaction).
pub fn validate_reaction(message: &ReactionMessage) -> Result<(), InvalidRequest> {
    not_blank("message-id", &message.message_id)
}

/// Checks a read receipt: the message id must not be blank.
pub fn validate_read_receipt(receipt: &ReadReceipt) -> Result<(), InvalidRequest> {
    not_blank("message-id", &receipt.message_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{
        ContactEmail, ContactPhone, ListRow, ListSection, ReplyButton, TemplateCurrency,
        TemplateDocument, TemplateFlowAction, TemplateLocation, TemplateParameter,
    };

    fn s(n: usize) -> String {
        "a".repeat(n)
    }

    /// Asserts an `InvalidRequest` with exactly this field and reason.
    #[track_caller]
    fn assert_invalid(result: Result<(), InvalidRequest>, field: &str, reason: &str) {
        match result {
            Err(e) => {
                assert_eq!(e.field, field, "field (reason was {:?})", e.reason);
                assert_eq!(e.reason, reason, "reason of {field}");
            }
            Ok(()) => panic!("expected {field}: {reason}, got Ok"),
        }
    }

    /// Asserts an `InvalidRequest` on this field, whatever the reason.
    #[track_caller]
    fn assert_field(result: Result<(), InvalidRequest>, field: &str) {
        match result {
            Err(e) => assert_eq!(e.field, field, "reason was {:?}", e.reason),
            Ok(()) => panic!("expected an error on {field}, got Ok"),
        }
    }

    #[track_caller]
    fn assert_ok(result: Result<(), InvalidRequest>) {
        if let Err(e) = result {
            panic!("expected Ok, got {}: {}", e.field, e.reason);
        }
    }

    // ------------------------------------------------------------ counting

    #[test]
    fn counts_unicode_scalar_values_not_bytes() {
        assert_eq!(char_count(""), 0);
        assert_eq!(char_count("abc"), 3);
        assert_eq!(char_count("héllo"), 5);
        assert_eq!(char_count("日本語"), 3);
        assert_eq!(char_count("👍"), 1);
        // A ZWJ family is several scalar values.
        assert_eq!(char_count("👨\u{200d}👩\u{200d}👧"), 5);
    }

    #[test]
    fn blank_and_present() {
        assert!(is_blank(""));
        assert!(is_blank(" \t\n"));
        assert!(!is_blank(" x "));
        assert_eq!(present(&None), None);
        assert_eq!(present(&Some(String::new())), None);
        assert_eq!(present(&Some("  ".into())), None);
        assert_eq!(present(&Some(" x ".into())), Some(" x "));
    }

    #[test]
    fn http_urls() {
        assert!(is_http_url("http://example.com"));
        assert!(is_http_url("https://example.com/a?b=c"));
        assert!(is_http_url("HTTPS://EXAMPLE.COM"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("http://   "));
        assert!(!is_http_url("ftp://example.com"));
        assert!(!is_http_url("www.example.com"));
        assert!(!is_http_url("https://exa mple.com"));
        assert!(!is_http_url(""));
        assert!(!is_http_url("é"));
        assert!(!is_http_url("httpé://x"));
    }

    // ------------------------------------------------------------ text

    #[test]
    fn text_part_limits() {
        assert_invalid(validate_text_part(""), "body", "must not be empty");
        assert_invalid(validate_text_part(" \n "), "body", "must not be empty");
        assert_ok(validate_text_part("x"));
        assert_ok(validate_text_part(&s(4096)));
        assert_invalid(
            validate_text_part(&s(4097)),
            "body",
            "at most 4096 characters, got 4097",
        );
        // 4096 two-byte characters are within the limit.
        assert_ok(validate_text_part(&"é".repeat(4096)));
        assert_invalid(
            validate_text_part(&"é".repeat(4097)),
            "body",
            "at most 4096 characters, got 4097",
        );
    }

    #[test]
    fn text_body_only_needs_content() {
        assert_invalid(validate_text_body(""), "body", "must not be empty");
        assert_ok(validate_text_body(&s(10_000)));
    }

    // ------------------------------------------------------------ media

    fn media(kind: MediaKind) -> MediaMessage {
        MediaMessage {
            to: "15551234567".into(),
            kind,
            source: MediaSource::Id("123".into()),
            caption: None,
            filename: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    const ALL_KINDS: [MediaKind; 5] = [
        MediaKind::Image,
        MediaKind::Video,
        MediaKind::Audio,
        MediaKind::Document,
        MediaKind::Sticker,
    ];

    #[test]
    fn media_sources() {
        for kind in ALL_KINDS {
            assert_ok(validate_media(&media(kind)));
            let mut m = media(kind);
            m.source = MediaSource::Id(" ".into());
            assert_invalid(validate_media(&m), "source.id", "must not be empty");
            m.source = MediaSource::Link(String::new());
            assert_invalid(validate_media(&m), "source.link", "must not be empty");
            m.source = MediaSource::Link("ftp://x/y.png".into());
            assert_field(validate_media(&m), "source.link");
            m.source = MediaSource::Link("example.com/y.png".into());
            assert_field(validate_media(&m), "source.link");
            m.source = MediaSource::Link("https://example.com/y.png".into());
            assert_ok(validate_media(&m));
            m.source = MediaSource::Link("http://example.com/y.png".into());
            assert_ok(validate_media(&m));
        }
    }

    #[test]
    fn caption_only_on_image_video_document() {
        for kind in [MediaKind::Image, MediaKind::Video, MediaKind::Document] {
            let mut m = media(kind);
            m.caption = Some(s(1024));
            assert_ok(validate_media(&m));
            m.caption = Some(s(1025));
            assert_invalid(
                validate_media(&m),
                "caption",
                "at most 1024 characters, got 1025",
            );
        }
        for (kind, name) in [(MediaKind::Audio, "audio"), (MediaKind::Sticker, "sticker")] {
            let mut m = media(kind);
            m.caption = Some("hi".into());
            assert_invalid(
                validate_media(&m),
                "caption",
                &format!("{name} messages cannot have a caption"),
            );
            // A blank caption counts as none.
            m.caption = Some("  ".into());
            assert_ok(validate_media(&m));
        }
    }

    #[test]
    fn filename_only_on_document() {
        let mut m = media(MediaKind::Document);
        m.filename = Some("report.pdf".into());
        assert_ok(validate_media(&m));
        for (kind, name) in [
            (MediaKind::Image, "image"),
            (MediaKind::Video, "video"),
            (MediaKind::Audio, "audio"),
            (MediaKind::Sticker, "sticker"),
        ] {
            let mut m = media(kind);
            m.filename = Some("x.bin".into());
            assert_invalid(
                validate_media(&m),
                "filename",
                &format!("only documents have a file name, not {name} messages"),
            );
            m.filename = Some(String::new());
            assert_ok(validate_media(&m));
        }
    }

    // ------------------------------------------------------------ location

    fn location(latitude: f64, longitude: f64) -> LocationMessage {
        LocationMessage {
            to: "1".into(),
            latitude,
            longitude,
            name: None,
            address: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    #[test]
    fn location_bounds() {
        assert_ok(validate_location(&location(0.0, 0.0)));
        assert_ok(validate_location(&location(90.0, 180.0)));
        assert_ok(validate_location(&location(-90.0, -180.0)));
        assert_invalid(
            validate_location(&location(90.5, 0.0)),
            "latitude",
            "must be between -90 and 90, got 90.5",
        );
        assert_invalid(
            validate_location(&location(-90.5, 0.0)),
            "latitude",
            "must be between -90 and 90, got -90.5",
        );
        assert_invalid(
            validate_location(&location(0.0, 180.5)),
            "longitude",
            "must be between -180 and 180, got 180.5",
        );
        assert_invalid(
            validate_location(&location(0.0, -180.5)),
            "longitude",
            "must be between -180 and 180, got -180.5",
        );
        assert_invalid(
            validate_location(&location(91.0, 0.0)),
            "latitude",
            "must be between -90 and 90, got 91",
        );
        assert_invalid(
            validate_location(&location(0.0, -1e300)),
            "longitude",
            "must be between -180 and 180, got -1e+300",
        );
        assert_invalid(
            validate_location(&location(f64::NAN, 0.0)),
            "latitude",
            "must be a finite number",
        );
        assert_invalid(
            validate_location(&location(0.0, f64::INFINITY)),
            "longitude",
            "must be a finite number",
        );
        assert_invalid(
            validate_location(&location(0.0, f64::NEG_INFINITY)),
            "longitude",
            "must be a finite number",
        );
    }

    // ------------------------------------------------------------ contacts

    fn card(name: &str) -> ContactCard {
        ContactCard {
            formatted_name: name.into(),
            first_name: None,
            last_name: None,
            phones: vec![],
            emails: vec![],
            organization: None,
            urls: vec![],
            birthday: None,
            vcard: None,
        }
    }

    fn contacts(cards: Vec<ContactCard>) -> ContactsMessage {
        ContactsMessage {
            to: "1".into(),
            contacts: cards,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    #[test]
    fn contacts_count() {
        assert_invalid(
            validate_contacts(&contacts(vec![])),
            "contacts",
            "at least 1 contact, got 0",
        );
        assert_ok(validate_contacts(&contacts(vec![card("A")])));
        assert_ok(validate_contacts(&contacts(vec![card("A"); 257])));
        assert_invalid(
            validate_contacts(&contacts(vec![card("A"); 258])),
            "contacts",
            "at most 257 contacts, got 258",
        );
    }

    #[test]
    fn contact_fields() {
        assert_invalid(
            validate_contacts(&contacts(vec![card("A"), card(" ")])),
            "contacts[1].formatted-name",
            "must not be empty",
        );
        let mut c = card("A");
        c.phones = vec![
            ContactPhone {
                phone: "+1 555".into(),
                wa_id: None,
                kind: None,
            },
            ContactPhone {
                phone: "".into(),
                wa_id: Some("1555".into()),
                kind: None,
            },
        ];
        assert_invalid(
            validate_contacts(&contacts(vec![c])),
            "contacts[0].phones[1].phone",
            "must not be empty",
        );
        let mut c = card("A");
        c.emails = vec![ContactEmail {
            email: " ".into(),
            kind: Some("WORK".into()),
        }];
        assert_invalid(
            validate_contacts(&contacts(vec![c])),
            "contacts[0].emails[0].email",
            "must not be empty",
        );
        let mut c = card("A");
        c.urls = vec!["https://a".into(), "".into()];
        assert_invalid(
            validate_contacts(&contacts(vec![c])),
            "contacts[0].urls[1]",
            "must not be empty",
        );
    }

    #[test]
    fn contact_birthday() {
        for good in ["1990-01-31", "2000-12-01"] {
            let mut c = card("A");
            c.birthday = Some(good.into());
            assert_ok(validate_contacts(&contacts(vec![c])));
        }
        for bad in [
            "1990-1-31",
            "31.01.1990",
            "19900131",
            "1990-01-3x",
            "１９９０-01-31",
        ] {
            let mut c = card("A");
            c.birthday = Some(bad.into());
            assert_invalid(
                validate_contacts(&contacts(vec![c])),
                "contacts[0].birthday",
                "must be YYYY-MM-DD",
            );
        }
        let mut c = card("A");
        c.birthday = Some(String::new());
        assert_ok(validate_contacts(&contacts(vec![c])));
    }

    // ------------------------------------------------------------ buttons

    fn button(id: &str, title: &str) -> ReplyButton {
        ReplyButton {
            id: id.into(),
            title: title.into(),
        }
    }

    fn buttons(list: Vec<ReplyButton>) -> ButtonsMessage {
        ButtonsMessage {
            to: "1".into(),
            body: "Pick one".into(),
            buttons: list,
            header: None,
            footer: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    #[test]
    fn button_count() {
        assert_invalid(
            validate_buttons(&buttons(vec![])),
            "buttons",
            "at least 1 button, got 0",
        );
        assert_ok(validate_buttons(&buttons(vec![button("a", "A")])));
        assert_ok(validate_buttons(&buttons(vec![
            button("a", "A"),
            button("b", "B"),
            button("c", "C"),
        ])));
        assert_invalid(
            validate_buttons(&buttons(vec![
                button("a", "A"),
                button("b", "B"),
                button("c", "C"),
                button("d", "D"),
            ])),
            "buttons",
            "at most 3 buttons, got 4",
        );
    }

    #[test]
    fn button_titles_and_ids() {
        assert_ok(validate_buttons(&buttons(vec![button("a", &s(20))])));
        assert_invalid(
            validate_buttons(&buttons(vec![button("a", "A"), button("b", &s(27))])),
            "buttons[1].title",
            "at most 20 characters, got 27",
        );
        assert_invalid(
            validate_buttons(&buttons(vec![button("a", &s(21))])),
            "buttons[0].title",
            "at most 20 characters, got 21",
        );
        assert_invalid(
            validate_buttons(&buttons(vec![button("a", " ")])),
            "buttons[0].title",
            "must not be empty",
        );
        assert_ok(validate_buttons(&buttons(vec![button(&s(256), "A")])));
        assert_invalid(
            validate_buttons(&buttons(vec![button(&s(257), "A")])),
            "buttons[0].id",
            "at most 256 characters, got 257",
        );
        assert_invalid(
            validate_buttons(&buttons(vec![button("", "A")])),
            "buttons[0].id",
            "must not be empty",
        );
        assert_invalid(
            validate_buttons(&buttons(vec![
                button("a", "A"),
                button("b", "B"),
                button("a", "C"),
            ])),
            "buttons[2].id",
            "duplicate id, already used by buttons[0]",
        );
        // Same title, different ids: fine.
        assert_ok(validate_buttons(&buttons(vec![
            button("a", "Same"),
            button("b", "Same"),
        ])));
    }

    #[test]
    fn button_body_footer_header() {
        let mut m = buttons(vec![button("a", "A")]);
        m.body = s(1024);
        assert_ok(validate_buttons(&m));
        m.body = s(1025);
        assert_invalid(
            validate_buttons(&m),
            "body",
            "at most 1024 characters, got 1025",
        );
        m.body = "  ".into();
        assert_invalid(validate_buttons(&m), "body", "must not be empty");

        let mut m = buttons(vec![button("a", "A")]);
        m.footer = Some(s(60));
        assert_ok(validate_buttons(&m));
        m.footer = Some(s(61));
        assert_invalid(
            validate_buttons(&m),
            "footer",
            "at most 60 characters, got 61",
        );
        m.footer = Some(String::new());
        assert_ok(validate_buttons(&m));

        let mut m = buttons(vec![button("a", "A")]);
        m.header = Some(InteractiveHeader::Text(s(60)));
        assert_ok(validate_buttons(&m));
        m.header = Some(InteractiveHeader::Text(s(61)));
        assert_invalid(
            validate_buttons(&m),
            "header",
            "at most 60 characters, got 61",
        );
        m.header = Some(InteractiveHeader::Text(String::new()));
        assert_invalid(validate_buttons(&m), "header", "must not be empty");
        m.header = Some(InteractiveHeader::Image(MediaSource::Link(
            "https://x/a.png".into(),
        )));
        assert_ok(validate_buttons(&m));
        m.header = Some(InteractiveHeader::Video(MediaSource::Link(
            "x/a.mp4".into(),
        )));
        assert_field(validate_buttons(&m), "header.link");
        m.header = Some(InteractiveHeader::Document(MediaSource::Id("".into())));
        assert_invalid(validate_buttons(&m), "header.id", "must not be empty");
    }

    // ------------------------------------------------------------ list

    fn row(id: &str) -> ListRow {
        ListRow {
            id: id.into(),
            title: format!("Row {id}"),
            description: None,
        }
    }

    fn section(title: Option<&str>, rows: Vec<ListRow>) -> ListSection {
        ListSection {
            title: title.map(str::to_string),
            rows,
        }
    }

    fn list(sections: Vec<ListSection>) -> ListMessage {
        ListMessage {
            to: "1".into(),
            body: "Choose".into(),
            button: "Options".into(),
            sections,
            header: None,
            footer: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    #[test]
    fn list_sections_and_rows_count() {
        assert_invalid(
            validate_list(&list(vec![])),
            "sections",
            "at least 1 section, got 0",
        );
        // One untitled section is fine.
        assert_ok(validate_list(&list(vec![section(None, vec![row("a")])])));
        let ten: Vec<ListSection> = (0..10)
            .map(|i| section(Some(&format!("S{i}")), vec![row(&i.to_string())]))
            .collect();
        assert_ok(validate_list(&list(ten.clone())));
        let mut eleven = ten;
        eleven.push(section(Some("S10"), vec![row("10")]));
        assert_invalid(
            validate_list(&list(eleven)),
            "sections",
            "at most 10 sections, got 11",
        );
        let rows10: Vec<ListRow> = (0..10).map(|i| row(&i.to_string())).collect();
        assert_ok(validate_list(&list(vec![section(None, rows10)])));
        let rows: Vec<ListRow> = (0..6).map(|i| row(&i.to_string())).collect();
        let more: Vec<ListRow> = (6..11).map(|i| row(&i.to_string())).collect();
        assert_invalid(
            validate_list(&list(vec![
                section(Some("A"), rows),
                section(Some("B"), more),
            ])),
            "sections",
            "at most 10 rows in all sections together, got 11",
        );
        assert_invalid(
            validate_list(&list(vec![
                section(Some("A"), vec![row("a")]),
                section(Some("B"), vec![]),
            ])),
            "sections[1].rows",
            "at least 1 row, got 0",
        );
    }

    #[test]
    fn list_section_titles() {
        assert_invalid(
            validate_list(&list(vec![
                section(Some("A"), vec![row("a")]),
                section(None, vec![row("b")]),
            ])),
            "sections[1].title",
            "required when the list has more than one section",
        );
        assert_invalid(
            validate_list(&list(vec![
                section(Some(" "), vec![row("a")]),
                section(Some("B"), vec![row("b")]),
            ])),
            "sections[0].title",
            "required when the list has more than one section",
        );
        assert_ok(validate_list(&list(vec![section(
            Some(&s(24)),
            vec![row("a")],
        )])));
        assert_invalid(
            validate_list(&list(vec![section(Some(&s(25)), vec![row("a")])])),
            "sections[0].title",
            "at most 24 characters, got 25",
        );
    }

    #[test]
    fn list_rows() {
        let mut r = row("a");
        r.title = s(24);
        r.description = Some(s(72));
        assert_ok(validate_list(&list(vec![section(None, vec![r.clone()])])));
        r.title = s(25);
        assert_invalid(
            validate_list(&list(vec![section(None, vec![r.clone()])])),
            "sections[0].rows[0].title",
            "at most 24 characters, got 25",
        );
        r.title = "".into();
        assert_invalid(
            validate_list(&list(vec![section(None, vec![r.clone()])])),
            "sections[0].rows[0].title",
            "must not be empty",
        );
        r.title = "T".into();
        r.description = Some(s(73));
        assert_invalid(
            validate_list(&list(vec![section(None, vec![row("x"), r.clone()])])),
            "sections[0].rows[1].description",
            "at most 72 characters, got 73",
        );
        r.description = None;
        r.id = s(200);
        assert_ok(validate_list(&list(vec![section(None, vec![r.clone()])])));
        r.id = s(201);
        assert_invalid(
            validate_list(&list(vec![section(None, vec![r.clone()])])),
            "sections[0].rows[0].id",
            "at most 200 characters, got 201",
        );
        r.id = " ".into();
        assert_invalid(
            validate_list(&list(vec![section(None, vec![r])])),
            "sections[0].rows[0].id",
            "must not be empty",
        );
    }

    #[test]
    fn list_row_ids_unique_across_sections() {
        assert_invalid(
            validate_list(&list(vec![
                section(Some("A"), vec![row("x"), row("y")]),
                section(Some("B"), vec![row("z"), row("y")]),
            ])),
            "sections[1].rows[1].id",
            "duplicate id, already used by sections[0].rows[1]",
        );
    }

    #[test]
    fn list_body_button_header_footer() {
        let ok = || list(vec![section(None, vec![row("a")])]);
        let mut m = ok();
        m.body = s(4096);
        assert_ok(validate_list(&m));
        m.body = s(4097);
        assert_invalid(
            validate_list(&m),
            "body",
            "at most 4096 characters, got 4097",
        );
        m.body = "".into();
        assert_invalid(validate_list(&m), "body", "must not be empty");
        let mut m = ok();
        m.button = s(20);
        assert_ok(validate_list(&m));
        m.button = s(21);
        assert_invalid(validate_list(&m), "button", "at most 20 characters, got 21");
        m.button = " ".into();
        assert_invalid(validate_list(&m), "button", "must not be empty");
        let mut m = ok();
        m.header = Some(s(60));
        m.footer = Some(s(60));
        assert_ok(validate_list(&m));
        m.header = Some(s(61));
        assert_invalid(validate_list(&m), "header", "at most 60 characters, got 61");
        m.header = None;
        m.footer = Some(s(61));
        assert_invalid(validate_list(&m), "footer", "at most 60 characters, got 61");
    }

    // ------------------------------------------------------------ cta url

    fn cta() -> CtaUrlMessage {
        CtaUrlMessage {
            to: "1".into(),
            body: "See the offer".into(),
            display_text: "Open".into(),
            url: "https://example.com/offer".into(),
            header: None,
            footer: None,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    #[test]
    fn cta_url_limits() {
        assert_ok(validate_cta_url(&cta()));
        let mut m = cta();
        m.display_text = s(20);
        assert_ok(validate_cta_url(&m));
        m.display_text = s(21);
        assert_invalid(
            validate_cta_url(&m),
            "display-text",
            "at most 20 characters, got 21",
        );
        m.display_text = "".into();
        assert_invalid(validate_cta_url(&m), "display-text", "must not be empty");

        let mut m = cta();
        m.url = "http://example.com".into();
        assert_ok(validate_cta_url(&m));
        for bad in [
            "example.com",
            "ftp://example.com",
            "javascript:alert(1)",
            "https://",
        ] {
            m.url = bad.into();
            assert_invalid(
                validate_cta_url(&m),
                "url",
                "must be an http:// or https:// URL without spaces",
            );
        }
        m.url = "".into();
        assert_invalid(validate_cta_url(&m), "url", "must not be empty");

        let mut m = cta();
        m.body = s(1024);
        assert_ok(validate_cta_url(&m));
        m.body = s(1025);
        assert_invalid(
            validate_cta_url(&m),
            "body",
            "at most 1024 characters, got 1025",
        );
        let mut m = cta();
        m.header = Some(s(61));
        assert_invalid(
            validate_cta_url(&m),
            "header",
            "at most 60 characters, got 61",
        );
        let mut m = cta();
        m.footer = Some(s(61));
        assert_invalid(
            validate_cta_url(&m),
            "footer",
            "at most 60 characters, got 61",
        );
    }

    // ------------------------------------------------------------ template

    fn template(components: Vec<TemplateComponent>) -> TemplateMessage {
        TemplateMessage {
            to: "1".into(),
            name: "order_update".into(),
            language: "en_US".into(),
            components,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    fn component(kind: TemplateComponentKind, values: Vec<TemplateValue>) -> TemplateComponent {
        TemplateComponent {
            kind,
            parameters: values
                .into_iter()
                .map(|value| TemplateParameter { name: None, value })
                .collect(),
        }
    }

    fn named(kind: TemplateComponentKind, pairs: Vec<(&str, TemplateValue)>) -> TemplateComponent {
        TemplateComponent {
            kind,
            parameters: pairs
                .into_iter()
                .map(|(name, value)| TemplateParameter {
                    name: Some(name.into()),
                    value,
                })
                .collect(),
        }
    }

    fn one(component: TemplateComponent) -> Result<(), InvalidRequest> {
        validate_template(&template(vec![component]))
    }

    fn text(s: &str) -> TemplateValue {
        TemplateValue::Text(s.into())
    }

    fn image() -> TemplateValue {
        TemplateValue::Image(MediaSource::Link("https://x/a.png".into()))
    }

    fn currency() -> TemplateValue {
        TemplateValue::Currency(TemplateCurrency {
            fallback: "$1.50".into(),
            code: "USD".into(),
            amount_1000: 1500,
        })
    }

    fn place(latitude: f64, longitude: f64) -> TemplateValue {
        TemplateValue::Location(TemplateLocation {
            latitude,
            longitude,
            name: None,
            address: None,
        })
    }

    fn flow(token: Option<&str>, data: Option<&str>) -> TemplateValue {
        TemplateValue::FlowAction(TemplateFlowAction {
            flow_token: token.map(str::to_string),
            action_data_json: data.map(str::to_string),
        })
    }

    /// One value of every kind.
    fn every_value() -> Vec<TemplateValue> {
        vec![
            text("t"),
            currency(),
            TemplateValue::DateTime("May 1".into()),
            image(),
            TemplateValue::Video(MediaSource::Id("1".into())),
            TemplateValue::Document(TemplateDocument {
                source: MediaSource::Id("1".into()),
                filename: None,
            }),
            place(1.0, 2.0),
            TemplateValue::Payload("p".into()),
            TemplateValue::CouponCode("SAVE20".into()),
            flow(None, None),
            TemplateValue::CatalogThumbnail("SKU-1".into()),
        ]
    }

    #[test]
    fn template_name_and_language() {
        assert_ok(validate_template(&template(vec![])));
        let mut m = template(vec![]);
        m.name = " ".into();
        assert_invalid(validate_template(&m), "name", "must not be empty");
        let mut m = template(vec![]);
        m.language = "".into();
        assert_invalid(validate_template(&m), "language", "must not be empty");
    }

    #[test]
    fn template_parameters_by_component() {
        assert_ok(validate_template(&template(vec![
            component(TemplateComponentKind::Header, vec![image()]),
            component(
                TemplateComponentKind::Body,
                vec![
                    text("Ann"),
                    currency(),
                    TemplateValue::DateTime("May 1".into()),
                ],
            ),
            component(
                TemplateComponentKind::QuickReplyButton(0),
                vec![TemplateValue::Payload("yes".into())],
            ),
            component(TemplateComponentKind::UrlButton(9), vec![text("abc")]),
            component(
                TemplateComponentKind::CopyCodeButton(1),
                vec![TemplateValue::CouponCode("SAVE20".into())],
            ),
            component(
                TemplateComponentKind::FlowButton(2),
                vec![flow(Some("tok"), Some(r#"{"screen": "A", "n": [1]}"#))],
            ),
            component(
                TemplateComponentKind::CatalogButton(3),
                vec![TemplateValue::CatalogThumbnail("SKU-1".into())],
            ),
            component(TemplateComponentKind::CatalogButton(4), vec![]),
        ])));
        assert_invalid(
            one(component(
                TemplateComponentKind::Header,
                vec![text("a"), text("b")],
            )),
            "components[0].parameters",
            "a header takes at most 1 parameter, got 2",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::Body,
                vec![text("a"), image()],
            )),
            "components[0].parameters[1]",
            "the body takes text, currency or date-time parameters, not image",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::Body,
                vec![TemplateValue::Payload("p".into())],
            )),
            "components[0].parameters[0]",
            "the body takes text, currency or date-time parameters, not payload",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::QuickReplyButton(0),
                vec![currency()],
            )),
            "components[0].parameters[0]",
            "a quick-reply button takes a text or payload parameter, not currency",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::UrlButton(1),
                vec![TemplateValue::DateTime("x".into())],
            )),
            "components[0].parameters[0]",
            "a URL button takes a text or payload parameter, not date-time",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::UrlButton(10),
                vec![text("x")],
            )),
            "components[0].kind",
            "button index must be 0 to 9, got 10",
        );
        for kind in [
            TemplateComponentKind::CopyCodeButton(10),
            TemplateComponentKind::FlowButton(10),
            TemplateComponentKind::CatalogButton(10),
        ] {
            assert_field(one(component(kind, vec![])), "components[0].kind");
        }
        assert_invalid(
            one(component(
                TemplateComponentKind::QuickReplyButton(0),
                vec![],
            )),
            "components[0].parameters",
            "a quick-reply button needs its parameter: a text or payload parameter",
        );
        assert_invalid(
            one(component(TemplateComponentKind::FlowButton(0), vec![])),
            "components[0].parameters",
            "a flow button needs its parameter: a flow-action parameter",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::CopyCodeButton(0),
                vec![
                    TemplateValue::CouponCode("A".into()),
                    TemplateValue::CouponCode("B".into()),
                ],
            )),
            "components[0].parameters",
            "a copy-code button takes at most 1 parameter, got 2",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::CatalogButton(0),
                vec![
                    TemplateValue::CatalogThumbnail("A".into()),
                    TemplateValue::CatalogThumbnail("B".into()),
                ],
            )),
            "components[0].parameters",
            "a catalog button takes at most 1 parameter, got 2",
        );
    }

    #[test]
    fn each_value_kind_only_where_meta_takes_it() {
        use TemplateComponentKind as K;
        // (component, the value names it takes)
        let table: [(K, &[&str]); 7] = [
            (
                K::Header,
                &[
                    "text",
                    "currency",
                    "date-time",
                    "image",
                    "video",
                    "document",
                    "location",
                ],
            ),
            (K::Body, &["text", "currency", "date-time"]),
            (K::QuickReplyButton(0), &["text", "payload"]),
            (K::UrlButton(0), &["text", "payload"]),
            (K::CopyCodeButton(0), &["coupon-code"]),
            (K::FlowButton(0), &["flow-action"]),
            (K::CatalogButton(0), &["catalog-thumbnail"]),
        ];
        for (kind, takes) in table {
            for value in every_value() {
                let name = template_value_name(&value);
                let result = one(component(kind, vec![value]));
                if takes.contains(&name) {
                    assert_ok(result);
                } else {
                    let e = result.expect_err(name);
                    assert_eq!(e.field, "components[0].parameters[0]", "{name}");
                    assert!(e.reason.ends_with(&format!(", not {name}")), "{}", e.reason);
                }
            }
        }
    }

    #[test]
    fn template_parameter_values() {
        assert_invalid(
            one(component(
                TemplateComponentKind::Body,
                vec![text("ok"), text(" ")],
            )),
            "components[0].parameters[1]",
            "must not be empty",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::Body,
                vec![TemplateValue::Currency(TemplateCurrency {
                    fallback: "".into(),
                    code: "USD".into(),
                    amount_1000: 1,
                })],
            )),
            "components[0].parameters[0].fallback",
            "must not be empty",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::Body,
                vec![TemplateValue::Currency(TemplateCurrency {
                    fallback: "1".into(),
                    code: "".into(),
                    amount_1000: 1,
                })],
            )),
            "components[0].parameters[0].code",
            "must not be empty",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::Body,
                vec![TemplateValue::DateTime("".into())],
            )),
            "components[0].parameters[0]",
            "must not be empty",
        );
        assert_invalid(
            validate_template(&template(vec![
                component(TemplateComponentKind::Body, vec![]),
                component(
                    TemplateComponentKind::Header,
                    vec![TemplateValue::Document(TemplateDocument {
                        source: MediaSource::Link("nope".into()),
                        filename: Some("a.pdf".into()),
                    })],
                ),
            ])),
            "components[1].parameters[0].link",
            "must be an http:// or https:// URL without spaces",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::Header,
                vec![TemplateValue::Video(MediaSource::Id(" ".into()))],
            )),
            "components[0].parameters[0].id",
            "must not be empty",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::QuickReplyButton(0),
                vec![TemplateValue::Payload("".into())],
            )),
            "components[0].parameters[0]",
            "must not be empty",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::CatalogButton(0),
                vec![TemplateValue::CatalogThumbnail(" ".into())],
            )),
            "components[0].parameters[0]",
            "must not be empty",
        );
    }

    #[test]
    fn template_location_coordinates() {
        for (lat, lon) in [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (37.48, -122.15)] {
            assert_ok(one(component(
                TemplateComponentKind::Header,
                vec![place(lat, lon)],
            )));
        }
        assert_invalid(
            one(component(
                TemplateComponentKind::Header,
                vec![place(90.5, 0.0)],
            )),
            "components[0].parameters[0].latitude",
            "must be between -90 and 90, got 90.5",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::Header,
                vec![place(0.0, -180.01)],
            )),
            "components[0].parameters[0].longitude",
            "must be between -180 and 180, got -180.01",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::Header,
                vec![place(f64::NAN, 0.0)],
            )),
            "components[0].parameters[0].latitude",
            "must be a finite number",
        );
        assert_invalid(
            one(component(
                TemplateComponentKind::Header,
                vec![place(0.0, f64::INFINITY)],
            )),
            "components[0].parameters[0].longitude",
            "must be a finite number",
        );
    }

    #[test]
    fn template_coupon_codes() {
        let code = |c: &str| {
            one(component(
                TemplateComponentKind::CopyCodeButton(0),
                vec![TemplateValue::CouponCode(c.into())],
            ))
        };
        assert_ok(code("SAVE20"));
        assert_ok(code(&"9".repeat(COUPON_CODE_MAX)));
        assert_invalid(
            code(" "),
            "components[0].parameters[0]",
            "must not be empty",
        );
        assert_invalid(
            code(&"9".repeat(COUPON_CODE_MAX + 1)),
            "components[0].parameters[0]",
            "at most 15 characters, got 16",
        );
    }

    #[test]
    fn template_flow_actions() {
        let button = |value| one(component(TemplateComponentKind::FlowButton(0), vec![value]));
        assert_ok(button(flow(None, None)));
        assert_ok(button(flow(Some("t"), Some("{}"))));
        assert_ok(button(flow(None, Some(" \n "))));
        assert_ok(button(flow(None, Some(r#" {"a": {"b": [1, "x"]}} "#))));
        for data in [r#"[1, 2]"#, "42", r#""text""#, "null", "true"] {
            assert_invalid(
                button(flow(None, Some(data))),
                "components[0].parameters[0].action-data-json",
                "must be a JSON object, got another JSON value",
            );
        }
        for data in ["{", "{a: 1}", "{} {}", "not json"] {
            assert_invalid(
                button(flow(Some("t"), Some(data))),
                "components[0].parameters[0].action-data-json",
                "must be a JSON object, got text that is not JSON",
            );
        }
    }

    #[test]
    fn named_parameters() {
        assert_ok(one(named(
            TemplateComponentKind::Body,
            vec![
                ("first_name", text("Ann")),
                ("order_total", currency()),
                ("due", TemplateValue::DateTime("May 1".into())),
                ("x2", text("y")),
            ],
        )));
        assert_ok(one(named(
            TemplateComponentKind::Header,
            vec![("shop", text("Lucky Shrub"))],
        )));
        // Each component decides for itself: a named body and a positional header.
        assert_ok(validate_template(&template(vec![
            component(TemplateComponentKind::Header, vec![text("h")]),
            named(TemplateComponentKind::Body, vec![("a", text("b"))]),
        ])));
        for bad in [
            "First_name",
            "1st",
            "_x",
            "first-name",
            "first name",
            "é",
            " a",
            "a ",
        ] {
            assert_invalid(
                one(named(TemplateComponentKind::Body, vec![(bad, text("v"))])),
                "components[0].parameters[0].name",
                "must be lowercase letters, digits and underscores, starting with a letter",
            );
        }
        assert_invalid(
            one(named(
                TemplateComponentKind::Body,
                vec![("a", text("1")), ("b", text("2")), ("a", text("3"))],
            )),
            "components[0].parameters[2].name",
            "duplicate name, already used by parameters[0]",
        );
        for (kind, value) in [
            (TemplateComponentKind::Header, image()),
            (TemplateComponentKind::Header, place(1.0, 1.0)),
            (
                TemplateComponentKind::QuickReplyButton(0),
                TemplateValue::Payload("p".into()),
            ),
            (TemplateComponentKind::UrlButton(0), text("x")),
            (
                TemplateComponentKind::CopyCodeButton(0),
                TemplateValue::CouponCode("C".into()),
            ),
        ] {
            assert_invalid(
                one(named(kind, vec![("name", value)])),
                "components[0].parameters[0].name",
                "only text, currency and date-time parameters of the header and the body have names",
            );
        }
        // A blank name counts as none.
        assert_ok(one(named(
            TemplateComponentKind::Body,
            vec![("", text("a")), (" ", text("b"))],
        )));
        assert!(is_parameter_name("a"));
        assert!(is_parameter_name("a_1_b"));
        assert!(!is_parameter_name(""));
    }

    #[test]
    fn named_and_positional_parameters_do_not_mix() {
        let mixed = TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: vec![
                TemplateParameter {
                    name: None,
                    value: text("Ann"),
                },
                TemplateParameter {
                    name: Some("order".into()),
                    value: text("42"),
                },
                TemplateParameter {
                    name: None,
                    value: text("x"),
                },
            ],
        };
        let e = one(mixed).expect_err("mixed");
        assert_eq!(e.field, "components[0].parameters");
        assert!(
            e.reason.starts_with(
                "Meta refuses mixing named and positional parameters in one component"
            ),
            "{}",
            e.reason
        );
        assert!(e.reason.contains("1 of 3 are named"), "{}", e.reason);
        // The mix is found before any parameter's own problem.
        let mixed_and_blank = TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: vec![
                TemplateParameter {
                    name: Some("BAD NAME".into()),
                    value: text(""),
                },
                TemplateParameter {
                    name: None,
                    value: text(""),
                },
            ],
        };
        assert_field(one(mixed_and_blank), "components[0].parameters");
    }

    // ------------------------------------------------------------ callback data

    #[test]
    fn callback_data() {
        assert_ok(validate_callback_data(&None));
        assert_ok(validate_callback_data(&Some(String::new())));
        assert_ok(validate_callback_data(&Some(" ".repeat(600))));
        assert_ok(validate_callback_data(&Some(
            "😀".repeat(CALLBACK_DATA_MAX),
        )));
        assert_invalid(
            validate_callback_data(&Some("é".repeat(CALLBACK_DATA_MAX + 1))),
            "biz-opaque-callback-data",
            "at most 512 characters, got 513",
        );
    }

    // ------------------------------------------------------------ reaction, receipt

    #[test]
    fn reaction_and_receipt() {
        let mut r = ReactionMessage {
            to: "1".into(),
            message_id: "wamid.X".into(),
            emoji: "👍".into(),
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_ok(validate_reaction(&r));
        r.emoji = String::new();
        assert_ok(validate_reaction(&r));
        r.message_id = " ".into();
        assert_invalid(validate_reaction(&r), "message-id", "must not be empty");

        let mut receipt = ReadReceipt {
            message_id: "wamid.X".into(),
            typing: true,
            phone_number_id: None,
        };
        assert_ok(validate_read_receipt(&receipt));
        receipt.message_id = String::new();
        assert_invalid(
            validate_read_receipt(&receipt),
            "message-id",
            "must not be empty",
        );
    }

    // ------------------------------------------------------------ more kinds

    fn voice(source: MediaSource) -> VoiceMessage {
        VoiceMessage {
            to: "1".into(),
            source,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    #[test]
    fn voice_sources() {
        assert_ok(validate_voice(&voice(MediaSource::Id("123".into()))));
        assert_ok(validate_voice(&voice(MediaSource::Link(
            "https://x.test/v.ogg".into(),
        ))));
        assert_invalid(
            validate_voice(&voice(MediaSource::Id(" ".into()))),
            "source.id",
            "must not be empty",
        );
        assert_field(
            validate_voice(&voice(MediaSource::Link("x.test/v.ogg".into()))),
            "source.link",
        );
    }

    #[test]
    fn location_request_body_limits() {
        let request = |body: String| LocationRequestMessage {
            to: "1".into(),
            body,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        assert_ok(validate_location_request(&request(s(1024))));
        assert_invalid(
            validate_location_request(&request(s(1025))),
            "body",
            "at most 1024 characters, got 1025",
        );
        assert_invalid(
            validate_location_request(&request(" ".into())),
            "body",
            "must not be empty",
        );
    }

    fn flow_message() -> FlowMessage {
        FlowMessage {
            to: "1".into(),
            flow: FlowRef::Id("1234".into()),
            flow_token: "token-1".into(),
            cta: "Book".into(),
            body: "Book a table".into(),
            header: None,
            footer: None,
            action: FlowAction::Navigate(crate::types::FlowNavigate {
                screen: "START".into(),
                data_json: None,
            }),
            draft: false,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    fn with_data(data: &str) -> FlowMessage {
        FlowMessage {
            action: FlowAction::Navigate(crate::types::FlowNavigate {
                screen: "START".into(),
                data_json: Some(data.into()),
            }),
            ..flow_message()
        }
    }

    #[test]
    fn flow_texts() {
        assert_ok(validate_flow(&flow_message()));
        let m = |f: fn(&mut FlowMessage)| {
            let mut m = flow_message();
            f(&mut m);
            validate_flow(&m)
        };
        assert_ok(m(|m| m.cta = s(20)));
        assert_invalid(m(|m| m.cta = s(21)), "cta", "at most 20 characters, got 21");
        assert_invalid(m(|m| m.cta = "".into()), "cta", "must not be empty");
        assert_invalid(
            m(|m| m.cta = "Book \u{1F37D}".into()),
            "cta",
            "must not contain emoji",
        );
        assert_ok(m(|m| m.cta = "Réserver".into()));
        assert_ok(m(|m| m.body = s(1024)));
        assert_invalid(
            m(|m| m.body = s(1025)),
            "body",
            "at most 1024 characters, got 1025",
        );
        assert_invalid(m(|m| m.body = " ".into()), "body", "must not be empty");
        assert_ok(m(|m| m.header = Some(s(60))));
        assert_invalid(
            m(|m| m.header = Some(s(61))),
            "header",
            "at most 60 characters, got 61",
        );
        assert_ok(m(|m| m.footer = Some(s(60))));
        assert_invalid(
            m(|m| m.footer = Some(s(61))),
            "footer",
            "at most 60 characters, got 61",
        );
        assert_invalid(
            m(|m| m.flow = FlowRef::Id(" ".into())),
            "flow.id",
            "must not be empty",
        );
        assert_invalid(
            m(|m| m.flow = FlowRef::Name("".into())),
            "flow.name",
            "must not be empty",
        );
        assert_invalid(
            m(|m| m.flow_token = "".into()),
            "flow-token",
            "must not be empty",
        );
        assert_invalid(
            m(|m| {
                m.action = FlowAction::Navigate(crate::types::FlowNavigate {
                    screen: " ".into(),
                    data_json: None,
                })
            }),
            "action.screen",
            "must not be empty",
        );
        assert_ok(m(|m| m.action = FlowAction::DataExchange));
    }

    #[test]
    fn flow_data_is_a_non_empty_json_object() {
        assert_ok(validate_flow(&with_data(r#"{"table": 4}"#)));
        assert_ok(validate_flow(&with_data(" "))); // blank: none
        assert_invalid(
            validate_flow(&with_data("{table: 4}")),
            "action.data-json",
            "must be a JSON object, got text that is not JSON",
        );
        assert_invalid(
            validate_flow(&with_data("[1, 2]")),
            "action.data-json",
            "must be a JSON object, got another JSON value",
        );
        assert_invalid(
            validate_flow(&with_data("{}")),
            "action.data-json",
            "must be a non-empty JSON object, got {} (leave it out instead)",
        );
    }

    #[test]
    fn block_users_count() {
        let users = |n: usize| vec!["15550100".to_string(); n];
        assert_invalid(
            validate_block_users(&users(0)),
            "users",
            "at least 1 user, got 0",
        );
        assert_ok(validate_block_users(&users(1)));
        assert_ok(validate_block_users(&users(1000)));
        assert_invalid(
            validate_block_users(&users(1001)),
            "users",
            "at most 1000 users per request, got 1001",
        );
    }

    fn profile() -> BusinessProfileUpdate {
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

    #[test]
    fn profile_update_needs_a_field() {
        assert_invalid(
            validate_profile_update(&profile()),
            "update",
            "nothing to change: give at least one field",
        );
        assert_invalid(
            validate_profile_update(&BusinessProfileUpdate {
                about: Some(" ".into()),
                phone_number_id: Some("P".into()),
                ..profile()
            }),
            "update",
            "nothing to change: give at least one field",
        );
        assert_ok(validate_profile_update(&BusinessProfileUpdate {
            websites: Some(vec![]),
            ..profile()
        }));
        assert_ok(validate_profile_update(&BusinessProfileUpdate {
            vertical: Some(crate::types::BusinessVertical::Retail),
            ..profile()
        }));
        assert_ok(validate_profile_update(&BusinessProfileUpdate {
            profile_picture_handle: Some("4::aW1h".into()),
            ..profile()
        }));
    }

    #[test]
    fn profile_update_lengths() {
        let check = |f: fn(&mut BusinessProfileUpdate, String), n: usize| {
            let mut p = profile();
            f(&mut p, s(n));
            validate_profile_update(&p)
        };
        let about: fn(&mut BusinessProfileUpdate, String) = |p, v| p.about = Some(v);
        let address: fn(&mut BusinessProfileUpdate, String) = |p, v| p.address = Some(v);
        let description: fn(&mut BusinessProfileUpdate, String) = |p, v| p.description = Some(v);
        assert_ok(check(about, 1));
        assert_ok(check(about, 139));
        assert_invalid(
            check(about, 140),
            "about",
            "at most 139 characters, got 140",
        );
        assert_ok(check(address, 256));
        assert_invalid(
            check(address, 257),
            "address",
            "at most 256 characters, got 257",
        );
        assert_ok(check(description, 512));
        assert_invalid(
            check(description, 513),
            "description",
            "at most 512 characters, got 513",
        );
    }

    #[test]
    fn profile_update_email() {
        let email = |e: String| {
            validate_profile_update(&BusinessProfileUpdate {
                email: Some(e),
                ..profile()
            })
        };
        let at_limit = format!("{}@example.com", s(128 - 12));
        assert_eq!(char_count(&at_limit), 128);
        assert_ok(email(at_limit.clone()));
        assert_invalid(
            email(format!("a{at_limit}")),
            "email",
            "at most 128 characters, got 129",
        );
        for bad in [
            "shop",
            "shop@",
            "@example.com",
            "shop@example",
            "sh op@example.com",
            "a@b@c.d",
            "a@example.",
        ] {
            assert_invalid(
                email(bad.into()),
                "email",
                "must be an e-mail address such as name@example.com",
            );
        }
        assert_ok(email("orders@shop.example.co".into()));
    }

    #[test]
    fn profile_update_websites() {
        let sites = |list: Vec<String>| {
            validate_profile_update(&BusinessProfileUpdate {
                websites: Some(list),
                ..profile()
            })
        };
        let url = |n: usize| format!("https://{}", s(n - 8));
        assert_ok(sites(vec![url(256), "http://b.test".into()]));
        assert_invalid(
            sites(vec!["https://a.test".into(), url(257)]),
            "websites[1]",
            "at most 256 characters, got 257",
        );
        assert_invalid(
            sites(vec![
                "https://a.test".into(),
                "https://b.test".into(),
                "https://c.test".into(),
            ]),
            "websites",
            "at most 2 web sites, got 3",
        );
        assert_field(sites(vec!["www.shop.test".into()]), "websites[0]");
        assert_invalid(sites(vec!["".into()]), "websites[0]", "must not be empty");
    }
}
