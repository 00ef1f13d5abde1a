//! Echo bot: an example consumer for the `whatsapp` component (world `consumer`).
//!
//! Every inbound message goes through [`reply_to`], a pure function of the message that
//! returns the actions the `whatsapp` component carries out: a quoted Markdown echo of a
//! text, a reaction and a description for media, interactive buttons and lists on request,
//! and short acknowledgements for everything else. Edits and deletions of earlier messages
//! are not new messages and get no answer. Every answer goes to the chat the message came
//! from (an empty `to`, or a `reply`): its group, else its sender, whether the sender has a
//! phone number or only a username.
//!
//! Delivery updates are ignored; every other webhook update (`on-update`) is logged to
//! stderr as one line, by [`describe_update`], without message bodies or personal data.

wit_bindgen::generate!({
    world: "consumer",
    path: "../../wit",
    additional_derives: [PartialEq],
});

use asterai::whatsapp::types::{
    Action, ButtonsMessage, CallPermissionReply, Content, Delivery, InteractiveHeader, ListMessage,
    ListRow, ListSection, LocationMessage, Media, Message, Order, Reply, ReplyButton, StatusUpdate,
    TextFormat, UpdateDetails, WebhookUpdate,
};
use exports::asterai::whatsapp::incoming_handler::Guest;

/// The component.
struct EchoBot;

impl Guest for EchoBot {
    fn on_message(message: Message, _delivery: Delivery) -> Vec<Action> {
        reply_to(&message)
    }

    fn on_status(_status: StatusUpdate, _delivery: Delivery) {}

    fn on_update(update: WebhookUpdate, _delivery: Delivery) {
        eprintln!("echo-bot: {}", describe_update(&update));
    }
}

export!(EchoBot);

/// What the bot answers to `message`, in the order the component should carry it out.
pub fn reply_to(message: &Message) -> Vec<Action> {
    match &message.content {
        Content::Text(body) => answer_text(message, body),
        Content::Image(media) => describe_media("an image", "🖼️", media, None),
        Content::Video(media) => describe_media("a video", "🎬", media, None),
        Content::Audio(audio) => {
            let (what, emoji) = if audio.voice {
                ("a voice note", "🎙️")
            } else {
                ("an audio file", "🎧")
            };
            describe_media(what, emoji, &audio.media, None)
        }
        Content::Document(media) => describe_media("a document", "📄", media, None),
        Content::Sticker(sticker) => {
            let note = sticker.animated.then_some("Animated");
            describe_media("a sticker", "😄", &sticker.media, note)
        }
        Content::ButtonReply(button) => vec![reply(
            format!("You tapped **{}** (id `{}`).", button.title, button.id),
            true,
        )],
        Content::ListReply(row) => {
            let mut body = format!("You picked **{}** (id `{}`).", row.title, row.id);
            if let Some(description) = row.description.as_deref().filter(|d| !d.is_empty()) {
                body.push_str(&format!("\n_{description}_"));
            }
            vec![reply(body, true)]
        }
        Content::Location(location) => {
            let mut body = String::from("📍 Thanks for the location");
            if let Some(name) = location.name.as_deref().filter(|n| !n.is_empty()) {
                body.push_str(&format!(": **{name}**"));
            }
            if let Some(address) = location.address.as_deref().filter(|a| !a.is_empty()) {
                body.push_str(&format!(", {address}"));
            }
            body.push_str(&format!(
                " ({:.5}, {:.5}).",
                location.latitude, location.longitude
            ));
            vec![reply(body, true)]
        }
        Content::Contacts(cards) => {
            let names: Vec<String> = cards
                .iter()
                .map(|card| format!("**{}**", card.formatted_name))
                .collect();
            let body = match names.len() {
                0 => String::from("📇 Thanks for the contact card."),
                1 => format!("📇 Thanks for the contact card of {}.", names.join("")),
                n => format!("📇 Thanks for the {n} contact cards: {}.", names.join(", ")),
            };
            vec![reply(body, true)]
        }
        // A reaction message cannot be quoted or reacted to: answer with plain text.
        Content::Reaction(reaction) => {
            let body = match reaction.emoji.as_deref().filter(|e| !e.is_empty()) {
                Some(emoji) => format!("Thanks for the {emoji}!"),
                None => String::from("You took your reaction back."),
            };
            vec![reply(body, false)]
        }
        Content::Order(order) => vec![reply(describe_order(order), true)],
        Content::FlowReply(flow) => vec![reply(
            format!("✅ Thanks for completing **{}**.", flow.name),
            true,
        )],
        Content::TemplateButton(button) => vec![reply(
            format!(
                "You tapped **{}** (payload `{}`).",
                button.text, button.payload
            ),
            true,
        )],
        Content::RequestWelcome => vec![reply(
            format!("👋 **Welcome!** I'm the echo bot.\n\n{HELP}"),
            false,
        )],
        Content::Unsupported(unsupported) => vec![reply(
            format!(
                "Sorry, I can't read **{}** messages.",
                unsupported.kind.replace('_', " ")
            ),
            true,
        )],
        Content::Unknown(kind) => vec![reply(
            format!("I don't handle `{kind}` messages yet."),
            true,
        )],
        Content::CallPermissionReply(answer) => vec![reply(describe_call_permission(answer), true)],
        // A system notice (number change, identity change) is not written by the user; an
        // edit or a deletion changes a message already answered, and is not a new one.
        Content::System(_) | Content::Edit(_) | Content::Revoke(_) => Vec::new(),
    }
}

/// The acknowledgement of a call permission reply: whether the business may call, and
/// until when.
fn describe_call_permission(answer: &CallPermissionReply) -> String {
    if !answer.accepted {
        return String::from("📵 Understood: no calls.");
    }
    let mut body = String::from("📞 Thanks, calls are allowed");
    if answer.permanent {
        body.push_str(" until you revoke the permission");
    } else if let Some(expires_at) = answer.expires_at {
        body.push_str(&format!(" until {}", utc(expires_at)));
    }
    body.push('.');
    body
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
fn utc(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let minutes = (unix_seconds % 86_400) / 60;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

/// One line about a webhook update, for the log: the field and what the update says,
/// without message bodies, phone numbers or user ids.
pub fn describe_update(update: &WebhookUpdate) -> String {
    let field = &update.field;
    match &update.details {
        UpdateDetails::TemplateStatus(template) => format!(
            "{field}: template {} ({}) {}{}",
            template.name,
            template.language,
            template.event,
            template
                .reason
                .as_deref()
                .filter(|r| !r.is_empty() && *r != "NONE")
                .map(|r| format!(", reason {r}"))
                .unwrap_or_default(),
        ),
        UpdateDetails::UserPreferences(preferences) => {
            let values: Vec<String> = preferences
                .iter()
                .map(|p| format!("{} {}", p.value, p.category))
                .collect();
            format!(
                "{field}: {} preference change(s): {}",
                preferences.len(),
                values.join(", ")
            )
        }
        UpdateDetails::Account(account) => {
            let mut line = format!("{field}: account event {}", account.event);
            if let Some(violation) = &account.violation {
                line.push_str(&format!(", violation {violation}"));
            }
            if let Some(ban_state) = &account.ban_state {
                line.push_str(&format!(", ban state {ban_state}"));
            }
            if !account.restrictions.is_empty() {
                let kinds: Vec<&str> = account
                    .restrictions
                    .iter()
                    .map(|r| r.kind.as_str())
                    .collect();
                line.push_str(&format!(", restrictions {}", kinds.join(", ")));
            }
            line
        }
        UpdateDetails::PhoneNumberQuality(quality) => {
            let mut line = format!("{field}: number quality {}", quality.event);
            if let Some(limit) = &quality.current_limit {
                line.push_str(&format!(", limit {limit}"));
            }
            if let Some(old) = &quality.old_limit {
                line.push_str(&format!(" (was {old})"));
            }
            line
        }
        UpdateDetails::UserIdChanges(changes) => {
            format!("{field}: {} user id change(s)", changes.len())
        }
        UpdateDetails::Errors(errors) => {
            let codes: Vec<String> = errors
                .iter()
                .map(|e| format!("{} {}", e.code, e.title))
                .collect();
            format!("{field}: {} error(s): {}", errors.len(), codes.join("; "))
        }
        UpdateDetails::Other => format!(
            "{field}: not typed, {} bytes of JSON",
            update.raw_json.len()
        ),
    }
}

/// The commands, as the `help` reply lists them (Markdown).
const HELP: &str = "**Commands**
- `menu` or `buttons`: three reply buttons
- `list`: a list with two sections
- `location`: a location pin
- `help`: this message

Anything else is echoed back as a quote. Send a photo, video, voice note, document or \
sticker and I'll tell you what I received.";

fn answer_text(message: &Message, body: &str) -> Vec<Action> {
    let command = body.trim().trim_start_matches('/').to_lowercase();
    match command.as_str() {
        "menu" | "buttons" => vec![Action::SendButtons(buttons(message))],
        "list" => vec![Action::SendList(list(message))],
        "location" => vec![Action::SendLocation(location(message))],
        "help" | "?" => vec![reply(String::from(HELP), true)],
        _ => vec![reply(echo(body), true)],
    }
}

/// The echo of a text: a WhatsApp quote block (`> `) under a bold title, written in
/// Markdown so the component converts it (and any Markdown the user typed).
fn echo(body: &str) -> String {
    let mut out = String::from("> **You said:**");
    if body.trim().is_empty() {
        out.push_str("\n> _(nothing)_");
    }
    for line in body.lines() {
        out.push_str("\n> ");
        out.push_str(line);
    }
    out.push_str("\n\nType **help** to see what else I can do.");
    out
}

fn describe_media(what: &str, emoji: &str, media: &Media, note: Option<&str>) -> Vec<Action> {
    let mut body = format!("**Got {what}** {emoji}\n- MIME type: `{}`", media.mime_type);
    if let Some(caption) = media.caption.as_deref().filter(|c| !c.is_empty()) {
        body.push_str(&format!("\n- Caption: _{}_", one_line(caption)));
    }
    if let Some(filename) = media.filename.as_deref().filter(|f| !f.is_empty()) {
        body.push_str(&format!("\n- File name: `{filename}`"));
    }
    if let Some(note) = note {
        body.push_str(&format!("\n- {note}"));
    }
    vec![Action::React(emoji.to_string()), reply(body, true)]
}

fn describe_order(order: &Order) -> String {
    let quantity: u64 = order
        .items
        .iter()
        .map(|item| u64::from(item.quantity))
        .sum();
    let mut body = format!(
        "🛒 Thanks for your order: {quantity} item(s) in {} line(s)",
        order.items.len()
    );
    let currency = order.items.first().map(|item| item.currency.as_str());
    let one_currency = order
        .items
        .iter()
        .all(|item| Some(item.currency.as_str()) == currency);
    if let (Some(currency), true) = (currency, one_currency) {
        let total: f64 = order
            .items
            .iter()
            .map(|item| item.item_price * f64::from(item.quantity))
            .sum();
        body.push_str(&format!(", **{total:.2} {currency}**"));
    }
    body.push('.');
    body
}

/// A caption on one line, so it stays inside the list item it is shown in.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn reply(body: String, quote: bool) -> Action {
    Action::Reply(Reply {
        body,
        quote,
        format: TextFormat::Markdown,
        preview_url: false,
        biz_opaque_callback_data: None,
    })
}

/// Interactive bodies are sent as they are (no Markdown conversion): they use WhatsApp's
/// own `*bold*` / `_italic_`.
fn buttons(message: &Message) -> ButtonsMessage {
    let button = |id: &str, title: &str| ReplyButton {
        id: id.to_string(),
        title: title.to_string(),
    };
    ButtonsMessage {
        to: String::new(),
        body: String::from(
            "*Do you like this bot?*\nTap a button and I'll tell you its id and title.",
        ),
        buttons: vec![
            button("echo:yes", "👍 Yes"),
            button("echo:no", "👎 No"),
            button("echo:maybe", "🤷 Maybe"),
        ],
        header: Some(InteractiveHeader::Text(String::from("Buttons demo"))),
        footer: Some(String::from("Type help for all commands")),
        reply_to: Some(message.id.clone()),
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn list(message: &Message) -> ListMessage {
    let row = |id: &str, title: &str, description: &str| ListRow {
        id: id.to_string(),
        title: title.to_string(),
        description: Some(description.to_string()),
    };
    ListMessage {
        to: String::new(),
        body: String::from(
            "*Pick a snack*\nOpen the list and choose a row: I'll tell you its id and title.",
        ),
        button: String::from("Show snacks"),
        sections: vec![
            ListSection {
                title: Some(String::from("Fruit")),
                rows: vec![
                    row("fruit:apple", "🍎 Apple", "Crisp and sweet"),
                    row("fruit:banana", "🍌 Banana", "Ripe, with a few brown spots"),
                    row("fruit:cherry", "🍒 Cherries", "A handful, stones included"),
                ],
            },
            ListSection {
                title: Some(String::from("Vegetables")),
                rows: vec![
                    row("veg:carrot", "🥕 Carrot", "Good for your eyes, they say"),
                    row("veg:cucumber", "🥒 Cucumber", "Cool as one"),
                ],
            },
        ],
        header: Some(String::from("List demo")),
        footer: Some(String::from("Two sections, five rows")),
        reply_to: Some(message.id.clone()),
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

fn location(message: &Message) -> LocationMessage {
    LocationMessage {
        to: String::new(),
        latitude: 48.858_37,
        longitude: 2.294_481,
        name: Some(String::from("Eiffel Tower")),
        address: Some(String::from("Av. Gustave Eiffel, 75007 Paris, France")),
        reply_to: Some(message.id.clone()),
        phone_number_id: None,
        biz_opaque_callback_data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asterai::whatsapp::types::{
        AccountEvent, AccountRestriction, Audio, ButtonReply, ContactCard, Edit, EditedContent,
        ErrorDetail, ListReply, Location, OrderItem, Reaction, Revoke, Sticker, SystemNotice,
        TemplateStatus, Unsupported, User, UserPreference,
    };

    fn message(content: Content) -> Message {
        Message {
            id: String::from("wamid.IN"),
            sender: User {
                phone: Some(String::from("15551234567")),
                user_id: Some(String::from("US.13491208655302741918")),
                parent_user_id: None,
                username: None,
                name: Some(String::from("Ada")),
            },
            timestamp: 1_700_000_000,
            business_account_id: String::from("102290129340398"),
            phone_number_id: String::from("123456"),
            display_phone_number: String::from("+1 555 000 0000"),
            group_id: None,
            context: None,
            content,
            text: String::new(),
            referral: None,
            errors: Vec::new(),
            raw_json: String::from("{}"),
        }
    }

    fn text(body: &str) -> Message {
        message(Content::Text(body.to_string()))
    }

    fn media(mime: &str, caption: Option<&str>, filename: Option<&str>) -> Media {
        Media {
            id: String::from("media-1"),
            mime_type: mime.to_string(),
            sha256: String::from("abc"),
            caption: caption.map(str::to_string),
            filename: filename.map(str::to_string),
            url: None,
        }
    }

    /// The single reply in `actions`: its body and whether it quotes.
    fn only_reply(actions: &[Action]) -> (&str, bool) {
        match actions {
            [Action::Reply(r)] => {
                assert_eq!(r.format, TextFormat::Markdown);
                (r.body.as_str(), r.quote)
            }
            other => panic!("expected one reply, got {other:?}"),
        }
    }

    #[test]
    fn text_is_echoed_as_a_quoted_markdown_quote() {
        let actions = reply_to(&text("hello\nworld"));
        let (body, quote) = only_reply(&actions);
        assert!(quote);
        assert!(body.starts_with("> **You said:**\n> hello\n> world\n\n"));
    }

    #[test]
    fn blank_text_still_gets_an_echo() {
        let actions = reply_to(&text("   "));
        let (body, _) = only_reply(&actions);
        assert!(body.contains("_(nothing)_"));
    }

    #[test]
    fn commands_are_case_and_space_insensitive() {
        for command in ["menu", " Buttons ", "/MENU"] {
            match reply_to(&text(command)).as_slice() {
                [Action::SendButtons(b)] => {
                    assert_eq!(b.buttons.len(), 3);
                    assert_eq!(b.to, "");
                    assert_eq!(b.reply_to.as_deref(), Some("wamid.IN"));
                    assert!(b.buttons.iter().all(|b| b.title.chars().count() <= 20));
                }
                other => panic!("{command}: {other:?}"),
            }
        }
    }

    #[test]
    fn list_has_two_titled_sections_within_limits() {
        match reply_to(&text("list")).as_slice() {
            [Action::SendList(l)] => {
                assert_eq!(l.sections.len(), 2);
                assert!(l.sections.iter().all(|s| s.title.is_some()));
                let rows: Vec<&ListRow> = l.sections.iter().flat_map(|s| &s.rows).collect();
                assert!(rows.len() <= 10);
                assert!(rows.iter().all(|r| r.title.chars().count() <= 24));
                assert!(l.button.chars().count() <= 20);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn location_command_sends_a_pin() {
        match reply_to(&text("location")).as_slice() {
            [Action::SendLocation(l)] => {
                assert!((-90.0..=90.0).contains(&l.latitude));
                assert!((-180.0..=180.0).contains(&l.longitude));
                assert_eq!(l.name.as_deref(), Some("Eiffel Tower"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn help_lists_the_commands() {
        let actions = reply_to(&text("help"));
        let (body, _) = only_reply(&actions);
        for command in ["`menu`", "`buttons`", "`list`", "`location`", "`help`"] {
            assert!(body.contains(command), "{command} missing");
        }
    }

    #[test]
    fn image_gets_a_reaction_and_a_description() {
        let actions = reply_to(&message(Content::Image(media(
            "image/jpeg",
            Some("My cat\non the sofa"),
            None,
        ))));
        match actions.as_slice() {
            [Action::React(emoji), Action::Reply(r)] => {
                assert_eq!(emoji, "🖼️");
                assert!(r.quote);
                assert!(r.body.contains("**Got an image**"));
                assert!(r.body.contains("`image/jpeg`"));
                assert!(r.body.contains("_My cat on the sofa_"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_media_kind_is_reacted_to() {
        let m = || media("application/octet-stream", None, None);
        let cases = [
            (Content::Video(m()), "a video"),
            (
                Content::Audio(Audio {
                    media: m(),
                    voice: true,
                }),
                "a voice note",
            ),
            (
                Content::Audio(Audio {
                    media: m(),
                    voice: false,
                }),
                "an audio file",
            ),
            (Content::Document(m()), "a document"),
            (
                Content::Sticker(Sticker {
                    media: m(),
                    animated: true,
                }),
                "a sticker",
            ),
        ];
        for (content, what) in cases {
            match reply_to(&message(content)).as_slice() {
                [Action::React(emoji), Action::Reply(r)] => {
                    assert!(!emoji.is_empty());
                    assert!(r.body.contains(what), "{what}: {}", r.body);
                }
                other => panic!("{what}: {other:?}"),
            }
        }
    }

    #[test]
    fn document_shows_its_file_name() {
        let actions = reply_to(&message(Content::Document(media(
            "application/pdf",
            None,
            Some("invoice.pdf"),
        ))));
        match actions.as_slice() {
            [Action::React(_), Action::Reply(r)] => {
                assert!(r.body.contains("`invoice.pdf`"));
                assert!(r.body.contains("`application/pdf`"));
                assert!(!r.body.contains("Caption"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn button_and_list_replies_say_what_was_chosen() {
        let actions = reply_to(&message(Content::ButtonReply(ButtonReply {
            id: String::from("echo:yes"),
            title: String::from("👍 Yes"),
        })));
        let (body, _) = only_reply(&actions);
        assert!(body.contains("**👍 Yes**") && body.contains("`echo:yes`"));

        let actions = reply_to(&message(Content::ListReply(ListReply {
            id: String::from("veg:carrot"),
            title: String::from("🥕 Carrot"),
            description: Some(String::from("Orange")),
        })));
        let (body, _) = only_reply(&actions);
        assert!(body.contains("**🥕 Carrot**") && body.contains("`veg:carrot`"));
        assert!(body.contains("_Orange_"));
    }

    #[test]
    fn location_contacts_reaction_and_order_are_acknowledged() {
        let location = Content::Location(Location {
            latitude: 1.5,
            longitude: -2.25,
            name: Some(String::from("Home")),
            address: None,
            url: None,
        });
        let actions = reply_to(&message(location));
        let (body, _) = only_reply(&actions);
        assert!(body.contains("**Home**") && body.contains("1.50000, -2.25000"));

        let card = |name: &str| ContactCard {
            formatted_name: name.to_string(),
            first_name: None,
            last_name: None,
            phones: Vec::new(),
            emails: Vec::new(),
            organization: None,
            urls: Vec::new(),
            birthday: None,
            vcard: None,
        };
        let actions = reply_to(&message(Content::Contacts(vec![card("A"), card("B")])));
        assert!(only_reply(&actions)
            .0
            .contains("2 contact cards: **A**, **B**"));

        let actions = reply_to(&message(Content::Reaction(Reaction {
            message_id: String::from("wamid.OUT"),
            emoji: Some(String::from("❤️")),
        })));
        assert_eq!(only_reply(&actions), ("Thanks for the ❤️!", false));
        let actions = reply_to(&message(Content::Reaction(Reaction {
            message_id: String::from("wamid.OUT"),
            emoji: None,
        })));
        assert_eq!(
            only_reply(&actions),
            ("You took your reaction back.", false)
        );

        let item = |quantity: u32, price: f64| OrderItem {
            product_retailer_id: String::from("sku"),
            quantity,
            item_price: price,
            currency: String::from("EUR"),
        };
        let actions = reply_to(&message(Content::Order(Order {
            catalog_id: String::from("cat"),
            text: None,
            items: vec![item(2, 1.5), item(1, 4.0)],
        })));
        let (body, _) = only_reply(&actions);
        assert!(body.contains("3 item(s) in 2 line(s)") && body.contains("**7.00 EUR**"));
    }

    #[test]
    fn order_in_several_currencies_has_no_total() {
        let item = |currency: &str| OrderItem {
            product_retailer_id: String::from("sku"),
            quantity: 1,
            item_price: 1.0,
            currency: currency.to_string(),
        };
        let actions = reply_to(&message(Content::Order(Order {
            catalog_id: String::from("cat"),
            text: None,
            items: vec![item("EUR"), item("USD")],
        })));
        assert!(!only_reply(&actions).0.contains("**"));
    }

    #[test]
    fn system_notices_get_no_answer_and_others_do() {
        let notice = Content::System(SystemNotice {
            kind: String::from("user_changed_number"),
            body: String::from("changed"),
            new_wa_id: None,
            new_user_id: None,
            new_parent_user_id: None,
            previous_user_id: None,
        });
        assert!(reply_to(&message(notice)).is_empty());
        assert_eq!(reply_to(&message(Content::RequestWelcome)).len(), 1);
        let unsupported = Content::Unsupported(Unsupported {
            kind: String::from("poll_creation"),
        });
        let actions = reply_to(&message(unsupported));
        assert!(only_reply(&actions).0.contains("**poll creation**"));
        let unknown = Content::Unknown(String::from("interactive/new_thing"));
        let actions = reply_to(&message(unknown));
        assert!(only_reply(&actions).0.contains("`interactive/new_thing`"));
    }

    #[test]
    fn an_edit_gets_no_answer() {
        for content in [
            EditedContent::Text(String::from("menu")),
            EditedContent::Image(media("image/jpeg", Some("new caption"), None)),
            EditedContent::Other(String::from("sticker")),
        ] {
            let mut edited = message(Content::Edit(Edit {
                original_message_id: String::from("wamid.EARLIER"),
                content,
            }));
            edited.text = String::from("menu");
            let actions = reply_to(&edited);
            assert!(actions.is_empty(), "an edit was answered: {actions:?}");
        }
    }

    #[test]
    fn a_deletion_gets_no_answer() {
        let deleted = message(Content::Revoke(Revoke {
            original_message_id: String::from("wamid.EARLIER"),
        }));
        let actions = reply_to(&deleted);
        assert!(actions.is_empty(), "a deletion was answered: {actions:?}");
    }

    /// A user known only by a username (no phone number) is answered in the chat: a
    /// `reply`, or a message with an empty `to`, never a recipient the bot made up.
    #[test]
    fn a_username_only_sender_is_answered_in_the_chat() {
        let username_only = |content: Content| {
            let mut m = message(content);
            m.sender = User {
                phone: None,
                user_id: Some(String::from("US.13491208655302741918")),
                parent_user_id: Some(String::from("US.ENT.11815799212886844830")),
                username: Some(String::from("ada_l")),
                name: None,
            };
            m
        };
        let actions = reply_to(&username_only(Content::Text(String::from("hello"))));
        let (body, quote) = only_reply(&actions);
        assert!(quote && body.contains("> hello"));

        for command in ["menu", "list", "location"] {
            let actions = reply_to(&username_only(Content::Text(command.to_string())));
            let to = match actions.as_slice() {
                [Action::SendButtons(b)] => &b.to,
                [Action::SendList(l)] => &l.to,
                [Action::SendLocation(l)] => &l.to,
                other => panic!("{command}: {other:?}"),
            };
            assert_eq!(to, "", "{command}: must go to the chat of the message");
        }
        // No action names a number to send from: the one that received the message.
        match reply_to(&username_only(Content::Text(String::from("menu")))).as_slice() {
            [Action::SendButtons(b)] => assert_eq!(b.phone_number_id, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_group_message_is_answered_in_the_chat_too() {
        let mut m = text("menu");
        m.group_id = Some(String::from("120363025246125486"));
        match reply_to(&m).as_slice() {
            [Action::SendButtons(b)] => assert_eq!(b.to, ""),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn call_permission_replies_are_acknowledged() {
        let answer = |accepted, permanent, expires_at| {
            message(Content::CallPermissionReply(CallPermissionReply {
                accepted,
                permanent,
                expires_at,
                source: Some(String::from("user_action")),
            }))
        };
        let actions = reply_to(&answer(true, false, Some(1_767_225_600)));
        assert_eq!(
            only_reply(&actions),
            (
                "📞 Thanks, calls are allowed until 2026-01-01 00:00 UTC.",
                true
            )
        );
        let actions = reply_to(&answer(true, true, None));
        assert!(only_reply(&actions).0.contains("until you revoke"));
        let actions = reply_to(&answer(false, false, None));
        assert_eq!(only_reply(&actions), ("📵 Understood: no calls.", true));
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400 + 3_600 + 120), "2000-02-29 01:02 UTC");
        assert_eq!(utc(1_709_251_199), "2024-02-29 23:59 UTC");
    }

    fn update(field: &str, details: UpdateDetails) -> WebhookUpdate {
        WebhookUpdate {
            field: field.to_string(),
            business_account_id: String::from("102290129340398"),
            phone_number_id: None,
            timestamp: 1_700_000_000,
            details,
            raw_json: String::from(r#"{"secret":"do not log"}"#),
        }
    }

    #[test]
    fn updates_are_summed_up_in_one_line_without_personal_data() {
        let template = update(
            "message_template_status_update",
            UpdateDetails::TemplateStatus(TemplateStatus {
                event: String::from("REJECTED"),
                template_id: String::from("594425479261596"),
                name: String::from("order_update"),
                language: String::from("en_US"),
                reason: Some(String::from("INVALID_FORMAT")),
                category: Some(String::from("UTILITY")),
                detail: None,
            }),
        );
        assert_eq!(
            describe_update(&template),
            "message_template_status_update: template order_update (en_US) REJECTED, \
             reason INVALID_FORMAT"
        );

        let preferences = update(
            "user_preferences",
            UpdateDetails::UserPreferences(vec![UserPreference {
                user: User {
                    phone: Some(String::from("15551234567")),
                    user_id: Some(String::from("US.1349")),
                    parent_user_id: None,
                    username: Some(String::from("ada_l")),
                    name: Some(String::from("Ada")),
                },
                value: String::from("stop"),
                category: String::from("marketing_messages"),
                detail: String::from("User requested to stop marketing messages"),
                timestamp: 1_700_000_000,
            }]),
        );
        let line = describe_update(&preferences);
        assert_eq!(
            line,
            "user_preferences: 1 preference change(s): stop marketing_messages"
        );

        let account = update(
            "account_update",
            UpdateDetails::Account(AccountEvent {
                event: String::from("ACCOUNT_RESTRICTION"),
                phone_number: None,
                violation: None,
                restrictions: vec![AccountRestriction {
                    kind: String::from("RESTRICTED_BIZ_INITIATED_MESSAGING"),
                    expires_at: None,
                }],
                ban_state: None,
            }),
        );
        assert!(
            describe_update(&account).ends_with("restrictions RESTRICTED_BIZ_INITIATED_MESSAGING")
        );

        let errors = update(
            "messages",
            UpdateDetails::Errors(vec![ErrorDetail {
                code: 130_429,
                title: String::from("Rate limit hit"),
                message: Some(String::from("text of the message")),
                details: None,
                href: None,
            }]),
        );
        assert_eq!(
            describe_update(&errors),
            "messages: 1 error(s): 130429 Rate limit hit"
        );

        let other = update("calls", UpdateDetails::Other);
        let line = describe_update(&other);
        assert!(line.starts_with("calls: "));
        for line in [
            line,
            describe_update(&errors),
            describe_update(&preferences),
        ] {
            assert!(!line.contains('\n'));
            for private in [
                "secret",
                "15551234567",
                "US.1349",
                "ada_l",
                "Ada",
                "text of",
            ] {
                assert!(!line.contains(private), "{private} in {line}");
            }
        }
    }
}
