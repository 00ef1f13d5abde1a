//! Order bot: an example consumer for the `whatsapp` component (world `consumer`).
//!
//! A small order-status / FAQ assistant for a made-up shop, driven by interactive
//! messages. Any text opens the main menu (three reply buttons); "Track order" lists the
//! customer's recent orders (fake, but always the same for the same number); choosing one
//! shows its status with a button that opens a tracking page; "Opening hours" and "Talk
//! to a human" answer with text. Every decision is made by [`reply_to`], a pure function of
//! the inbound message, so the whole conversation is unit-tested natively.
//!
//! Answers go to the chat of the message (a `reply`, or an empty `to`), from the number
//! that received it. Edits and deletions of earlier messages, reactions, system notices and
//! call permission replies (the shop never asks to call) get no answer. Of the other
//! webhook updates (`on-update`), the ones that can stop the bot's answers are logged to
//! stderr in one line ([`update_log_line`]): account events, number quality changes and
//! change-level errors; the rest are ignored.

wit_bindgen::generate!({
    world: "consumer",
    path: "../../wit",
    additional_derives: [PartialEq],
});

use asterai::whatsapp::types::{
    Action, ButtonsMessage, Content, CtaUrlMessage, Delivery, InteractiveHeader, ListMessage,
    ListRow, ListSection, Message, Reply, ReplyButton, StatusUpdate, TextFormat, UpdateDetails,
    WebhookUpdate,
};
use exports::asterai::whatsapp::incoming_handler::Guest;

/// The component.
struct OrderBot;

impl Guest for OrderBot {
    fn on_message(message: Message, _delivery: Delivery) -> Vec<Action> {
        reply_to(&message)
    }

    fn on_status(_status: StatusUpdate, _delivery: Delivery) {}

    fn on_update(update: WebhookUpdate, _delivery: Delivery) {
        if let Some(line) = update_log_line(&update) {
            eprintln!("order-bot: {line}");
        }
    }
}

export!(OrderBot);

/// Button id of "Track order".
pub const TRACK: &str = "menu:track";
/// Button id of "Opening hours".
pub const HOURS: &str = "menu:hours";
/// Button id of "Talk to a human".
pub const HUMAN: &str = "menu:human";
/// Prefix of the list-row id of an order: `order:<number>`.
pub const ORDER_PREFIX: &str = "order:";
/// Where the tracking pages live (the order number is appended).
pub const TRACKING_URL: &str = "https://shop.example.com/track/";

const SHOP: &str = "Demo Shop";

/// What the bot answers to `message`, in the order the component should carry it out.
pub fn reply_to(message: &Message) -> Vec<Action> {
    match &message.content {
        Content::Text(body) => match body.trim().to_lowercase().as_str() {
            "track" | "track order" | "orders" => vec![orders_list(message)],
            "hours" | "opening hours" => vec![opening_hours()],
            "human" | "agent" | "talk to a human" => vec![human()],
            _ => vec![main_menu(message, &greeting(message))],
        },
        Content::ButtonReply(button) => match button.id.as_str() {
            TRACK => vec![orders_list(message)],
            HOURS => vec![opening_hours()],
            HUMAN => vec![human()],
            _ => vec![main_menu(
                message,
                "Sorry, that button has expired. Pick one of these:",
            )],
        },
        Content::ListReply(row) => order_status(message, &row.id),
        Content::RequestWelcome => vec![main_menu(message, &greeting(message))],
        Content::Image(_)
        | Content::Video(_)
        | Content::Audio(_)
        | Content::Document(_)
        | Content::Sticker(_)
        | Content::Location(_)
        | Content::Contacts(_)
        | Content::Order(_)
        | Content::FlowReply(_)
        | Content::TemplateButton(_)
        | Content::Unsupported(_)
        | Content::Unknown(_) => vec![main_menu(
            message,
            "I can only help with the options below. What would you like to do?",
        )],
        // Nothing to answer: a reaction, a notice the user did not write, an edit or a
        // deletion of a message answered already (not a new message), or an answer to a
        // call permission request (the shop never asks to call).
        Content::Reaction(_)
        | Content::System(_)
        | Content::Edit(_)
        | Content::Revoke(_)
        | Content::CallPermissionReply(_) => Vec::new(),
    }
}

/// The log line for a webhook update that can stop the bot's answers: the account was
/// restricted, banned or flagged, the number's quality or messaging limit changed, or Meta
/// reported errors for a whole change (a send that failed after it was accepted). `None`
/// for the rest (template reviews, marketing preferences, user id changes, other fields):
/// the shop sends no templates and no marketing. Never a message body or personal data.
pub fn update_log_line(update: &WebhookUpdate) -> Option<String> {
    let field = &update.field;
    match &update.details {
        UpdateDetails::Account(account) => {
            let mut line = format!("{field}: account event {}", account.event);
            for (what, value) in [
                ("violation", &account.violation),
                ("ban state", &account.ban_state),
            ] {
                if let Some(value) = value {
                    line.push_str(&format!(", {what} {value}"));
                }
            }
            for restriction in &account.restrictions {
                line.push_str(&format!(", restricted: {}", restriction.kind));
            }
            Some(line)
        }
        UpdateDetails::PhoneNumberQuality(quality) => Some(format!(
            "{field}: number quality {}, limit {}",
            quality.event,
            quality.current_limit.as_deref().unwrap_or("unchanged")
        )),
        UpdateDetails::Errors(errors) => {
            let codes: Vec<String> = errors
                .iter()
                .map(|e| format!("{} {}", e.code, e.title))
                .collect();
            Some(format!("{field}: errors: {}", codes.join("; ")))
        }
        UpdateDetails::TemplateStatus(_)
        | UpdateDetails::UserPreferences(_)
        | UpdateDetails::UserIdChanges(_)
        | UpdateDetails::Other => None,
    }
}

/// "Hi" and the sender's profile name, else their username, else "there".
fn greeting(message: &Message) -> String {
    let sender = &message.sender;
    let name: String = [&sender.name, &sender.username]
        .into_iter()
        .filter_map(|name| name.as_deref().map(str::trim))
        .find(|name| !name.is_empty())
        .unwrap_or("there")
        .chars()
        .take(60)
        .collect();
    format!("👋 Hi {name}! I'm the *{SHOP}* assistant.\nWhat can I do for you?")
}

/// The three main-menu buttons under `body` (an interactive body: WhatsApp formatting,
/// not Markdown).
fn main_menu(message: &Message, body: &str) -> Action {
    let button = |id: &str, title: &str| ReplyButton {
        id: id.to_string(),
        title: title.to_string(),
    };
    Action::SendButtons(ButtonsMessage {
        to: String::new(),
        body: body.to_string(),
        buttons: vec![
            button(TRACK, "Track order"),
            button(HOURS, "Opening hours"),
            button(HUMAN, "Talk to a human"),
        ],
        header: Some(InteractiveHeader::Text(String::from(SHOP))),
        footer: Some(String::from("Type anything to see this menu again")),
        reply_to: message_id(message),
        phone_number_id: None,
        biz_opaque_callback_data: None,
    })
}

fn orders_list(message: &Message) -> Action {
    let orders = recent_orders(&customer(message));
    let row = |order: &FakeOrder| ListRow {
        id: format!("{ORDER_PREFIX}{}", order.number),
        title: format!("Order #{}", order.number),
        description: Some(truncate(
            &format!("{} · {}", order.status.label(), order.summary()),
            72,
        )),
    };
    let (delivered, open): (Vec<&FakeOrder>, Vec<&FakeOrder>) = orders
        .iter()
        .partition(|order| order.status == Status::Delivered);
    let sections = [("In progress", open), ("Delivered", delivered)]
        .into_iter()
        .filter(|(_, orders)| !orders.is_empty())
        .map(|(title, orders)| ListSection {
            title: Some(title.to_string()),
            rows: orders.into_iter().map(row).collect(),
        })
        .collect();
    Action::SendList(ListMessage {
        to: String::new(),
        body: String::from("Here are your recent orders. Pick one to see where it is."),
        button: String::from("My orders"),
        sections,
        header: Some(String::from("Recent orders")),
        footer: Some(String::from("Demo data, not real orders")),
        reply_to: None,
        phone_number_id: None,
        biz_opaque_callback_data: None,
    })
}

fn order_status(message: &Message, row_id: &str) -> Vec<Action> {
    let number = row_id
        .strip_prefix(ORDER_PREFIX)
        .and_then(|n| n.parse::<u64>().ok());
    let orders = recent_orders(&customer(message));
    let Some(order) = number.and_then(|n| orders.iter().find(|order| order.number == n)) else {
        return vec![
            reply(String::from(
                "Sorry, I couldn't find that order among your recent orders.",
            )),
            main_menu(message, "What would you like to do?"),
        ];
    };
    let body = format!(
        "*Order #{}* {}\nStatus: *{}*\nItems: {}\n{}",
        order.number,
        order.status.emoji(),
        order.status.label(),
        order.items_text(),
        order.timeline(),
    );
    vec![Action::SendCtaUrl(CtaUrlMessage {
        to: String::new(),
        body,
        display_text: String::from("Track order"),
        url: format!("{TRACKING_URL}{}", order.number),
        header: Some(format!("Order #{}", order.number)),
        footer: Some(String::from("Type anything for the menu")),
        reply_to: message_id(message),
        phone_number_id: None,
        biz_opaque_callback_data: None,
    })]
}

fn opening_hours() -> Action {
    reply(String::from(
        "**🕘 Opening hours**
- Monday to Friday: 09:00–18:00
- Saturday: 10:00–16:00
- Sunday and public holidays: _closed_

This chat answers around the clock; people reply during opening hours.",
    ))
}

fn human() -> Action {
    reply(String::from(
        "🙋 **Someone from our team will take over.** They reply in this chat during opening \
         hours (Monday to Friday 09:00–18:00, Saturday 10:00–16:00), usually within the hour. \
         You can write your question here in the meantime.",
    ))
}

fn reply(body: String) -> Action {
    Action::Reply(Reply {
        body,
        quote: false,
        format: TextFormat::Markdown,
        preview_url: false,
        biz_opaque_callback_data: None,
    })
}

/// Quote the message being answered, when it has an id.
fn message_id(message: &Message) -> Option<String> {
    Some(message.id.clone()).filter(|id| !id.is_empty())
}

/// Who the orders belong to: the phone number (digits only), or the business-scoped user
/// id of a user known only by username.
fn customer(message: &Message) -> String {
    let digits: String = message
        .sender
        .phone
        .as_deref()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        message.sender.user_id.clone().unwrap_or_default()
    } else {
        digits
    }
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

// ------------------------------------------------------------------- fake orders

/// Where an order is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Paid, being packed.
    Processing,
    /// Handed to the carrier.
    Shipped,
    /// On the van today.
    OutForDelivery,
    /// At the customer's.
    Delivered,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Processing => "Processing",
            Status::Shipped => "Shipped",
            Status::OutForDelivery => "Out for delivery",
            Status::Delivered => "Delivered",
        }
    }

    fn emoji(self) -> &'static str {
        match self {
            Status::Processing => "📦",
            Status::Shipped => "🚚",
            Status::OutForDelivery => "🛵",
            Status::Delivered => "✅",
        }
    }
}

/// A made-up order.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeOrder {
    /// The order number, unique among one customer's orders.
    pub number: u64,
    /// Where it is.
    pub status: Status,
    /// Quantity and product of each line.
    pub items: Vec<(u64, &'static str)>,
    /// Days since it was placed.
    pub placed_days_ago: u64,
}

impl FakeOrder {
    fn items_text(&self) -> String {
        self.items
            .iter()
            .map(|(quantity, product)| format!("{quantity}× {product}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn summary(&self) -> String {
        let mut lines = self.items.iter();
        match (lines.next(), lines.len()) {
            (None, _) => String::from("no items"),
            (Some((quantity, product)), 0) => format!("{quantity}× {product}"),
            (Some((quantity, product)), more) => format!("{quantity}× {product} +{more} more"),
        }
    }

    fn timeline(&self) -> String {
        let placed = match self.placed_days_ago {
            0 => String::from("today"),
            1 => String::from("yesterday"),
            n => format!("{n} days ago"),
        };
        match self.status {
            Status::Processing => format!("Placed {placed}; it ships within 24 hours."),
            Status::Shipped => format!("Placed {placed}; expected in 2 to 3 days."),
            Status::OutForDelivery => format!("Placed {placed}; arriving today."),
            Status::Delivered => format!("Placed {placed}; delivered."),
        }
    }
}

const PRODUCTS: [&str; 8] = [
    "Coffee beans 1 kg",
    "Ceramic mug",
    "Pour-over kettle",
    "Burr grinder",
    "Paper filters ×100",
    "Tea sampler",
    "Milk frother",
    "Travel tumbler",
];

/// The customer's three most recent orders, newest first: always the same for the same
/// customer, different (almost always) for different customers.
pub fn recent_orders(customer: &str) -> Vec<FakeOrder> {
    let mut state = fnv1a(customer.as_bytes());
    let mut next = move || {
        state = splitmix64(state);
        state
    };
    let latest = 20_000 + next() % 70_000;
    let gap = 7 + next() % 50;
    let plans = [
        (
            if next() % 2 == 0 {
                Status::Processing
            } else {
                Status::Shipped
            },
            0,
            2,
        ),
        (
            if next() % 2 == 0 {
                Status::Shipped
            } else {
                Status::OutForDelivery
            },
            3,
            4,
        ),
        (Status::Delivered, 10, 20),
    ];
    let mut orders = Vec::with_capacity(plans.len());
    let mut number = latest;
    for (status, min_days, spread) in plans {
        let lines = 1 + next() % 3;
        let first = next();
        let items = (0..lines)
            .map(|line| {
                let index = usize::try_from((first.wrapping_add(line)) % 8).unwrap_or(0);
                let product = PRODUCTS.get(index).copied().unwrap_or("Gift card");
                (1 + next() % 3, product)
            })
            .collect();
        orders.push(FakeOrder {
            number,
            status,
            items,
            placed_days_ago: min_days + next() % spread,
        });
        number = number.saturating_sub(gap);
    }
    orders
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn splitmix64(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asterai::whatsapp::types::{
        AccountEvent, ButtonReply, CallPermissionReply, Edit, EditedContent, ErrorDetail,
        ListReply, Media, PhoneNumberQuality, Reaction, Revoke, TemplateStatus, User,
    };

    fn message(sender: &str, content: Content) -> Message {
        Message {
            id: String::from("wamid.IN"),
            sender: User {
                phone: Some(sender.to_string()).filter(|phone| !phone.is_empty()),
                user_id: None,
                parent_user_id: None,
                username: None,
                name: Some(String::from("Grace")),
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

    const ALICE: &str = "15551234567";
    const BOB: &str = "447700900123";

    fn text(body: &str) -> Message {
        message(ALICE, Content::Text(body.to_string()))
    }

    fn button(id: &str, title: &str) -> Message {
        message(
            ALICE,
            Content::ButtonReply(ButtonReply {
                id: id.to_string(),
                title: title.to_string(),
            }),
        )
    }

    fn choose(sender: &str, id: &str) -> Message {
        message(
            sender,
            Content::ListReply(ListReply {
                id: id.to_string(),
                title: String::from("Order"),
                description: None,
            }),
        )
    }

    fn menu_buttons(actions: &[Action]) -> Vec<(String, String)> {
        match actions {
            [Action::SendButtons(m)] => m
                .buttons
                .iter()
                .map(|b| (b.id.clone(), b.title.clone()))
                .collect(),
            other => panic!("expected the main menu, got {other:?}"),
        }
    }

    fn list_rows(actions: &[Action]) -> Vec<ListRow> {
        match actions {
            [Action::SendList(l)] => l.sections.iter().flat_map(|s| s.rows.clone()).collect(),
            other => panic!("expected a list, got {other:?}"),
        }
    }

    fn reply_body(actions: &[Action]) -> String {
        match actions {
            [Action::Reply(r)] => r.body.clone(),
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    #[test]
    fn greeting_opens_the_main_menu() {
        for greeting in ["hi", "Hello!", "good morning"] {
            let actions = reply_to(&text(greeting));
            let buttons = menu_buttons(&actions);
            let ids: Vec<&str> = buttons.iter().map(|(id, _)| id.as_str()).collect();
            assert_eq!(ids, [TRACK, HOURS, HUMAN]);
            let titles: Vec<&str> = buttons.iter().map(|(_, t)| t.as_str()).collect();
            assert_eq!(titles, ["Track order", "Opening hours", "Talk to a human"]);
            match actions.as_slice() {
                [Action::SendButtons(m)] => {
                    assert!(m.body.contains("Hi Grace!"));
                    assert_eq!(m.reply_to.as_deref(), Some("wamid.IN"));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn greeting_without_a_name() {
        let mut m = text("hi");
        m.sender.name = None;
        match reply_to(&m).as_slice() {
            [Action::SendButtons(b)] => assert!(b.body.contains("Hi there!")),
            other => panic!("{other:?}"),
        }
        m.sender.name = Some(String::from("  "));
        m.sender.username = Some(String::from("grace_h"));
        match reply_to(&m).as_slice() {
            [Action::SendButtons(b)] => assert!(b.body.contains("Hi grace_h!")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn track_order_lists_recent_orders_within_limits() {
        let actions = reply_to(&button(TRACK, "Track order"));
        match actions.as_slice() {
            [Action::SendList(l)] => {
                assert!(l.button.chars().count() <= 20);
                assert!(!l.sections.is_empty() && l.sections.len() <= 10);
                for section in &l.sections {
                    assert!(section
                        .title
                        .as_deref()
                        .is_some_and(|t| t.chars().count() <= 24));
                    assert!(!section.rows.is_empty());
                }
            }
            other => panic!("{other:?}"),
        }
        let rows = list_rows(&actions);
        assert_eq!(rows.len(), 3);
        for row in &rows {
            assert!(row.id.starts_with(ORDER_PREFIX));
            assert!(row.title.chars().count() <= 24);
            assert!(row
                .description
                .as_deref()
                .is_some_and(|d| d.chars().count() <= 72));
        }
        let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 3, "row ids must be unique");
        // The same by text command.
        assert_eq!(reply_to(&text("track")), actions);
    }

    #[test]
    fn orders_are_deterministic_per_sender() {
        assert_eq!(recent_orders(ALICE), recent_orders(ALICE));
        assert_ne!(recent_orders(ALICE), recent_orders(BOB));
        // Formatting of the number does not matter.
        let spaced = reply_to(&message(
            "+1 555-123-4567",
            Content::Text(String::from("track")),
        ));
        assert_eq!(list_rows(&spaced), list_rows(&reply_to(&text("track"))));
        for customer in [ALICE, BOB, "", "x"] {
            let orders = recent_orders(customer);
            assert_eq!(orders.len(), 3);
            assert!(orders.windows(2).all(|w| match w {
                [newer, older] => newer.number > older.number,
                _ => false,
            }));
            assert_eq!(orders.last().map(|o| o.status), Some(Status::Delivered));
            assert!(orders.iter().all(|o| !o.items.is_empty()));
        }
    }

    #[test]
    fn choosing_an_order_shows_its_status_with_a_tracking_button() {
        let rows = list_rows(&reply_to(&text("track")));
        let orders = recent_orders(ALICE);
        for row in &rows {
            let actions = reply_to(&choose(ALICE, &row.id));
            match actions.as_slice() {
                [Action::SendCtaUrl(cta)] => {
                    let number = row.id.trim_start_matches(ORDER_PREFIX);
                    assert_eq!(cta.url, format!("{TRACKING_URL}{number}"));
                    assert!(cta.body.contains(&format!("*Order #{number}*")));
                    assert!(cta.body.contains("Status: *"));
                    assert!(cta.body.chars().count() <= 1024);
                    assert!(cta.display_text.chars().count() <= 20);
                }
                other => panic!("{other:?}"),
            }
        }
        let delivered = orders.iter().find(|o| o.status == Status::Delivered);
        let Some(delivered) = delivered else {
            panic!("no delivered order")
        };
        match reply_to(&choose(ALICE, &format!("order:{}", delivered.number))).as_slice() {
            [Action::SendCtaUrl(cta)] => assert!(cta.body.contains("*Delivered*")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn someone_elses_or_a_malformed_order_is_not_found() {
        let alices = list_rows(&reply_to(&text("track")));
        let bobs_orders = recent_orders(BOB);
        for row in alices.iter().filter(|r| {
            !bobs_orders
                .iter()
                .any(|o| r.id == format!("order:{}", o.number))
        }) {
            let actions = reply_to(&choose(BOB, &row.id));
            assert!(matches!(
                actions.as_slice(),
                [Action::Reply(_), Action::SendButtons(_)]
            ));
        }
        for id in ["order:", "order:abc", "order:-1", "fruit:apple", ""] {
            let actions = reply_to(&choose(ALICE, id));
            assert!(matches!(
                actions.as_slice(),
                [Action::Reply(_), Action::SendButtons(_)]
            ));
        }
    }

    #[test]
    fn opening_hours_and_human() {
        let hours = reply_body(&reply_to(&button(HOURS, "Opening hours")));
        assert!(hours.starts_with("**🕘 Opening hours**\n- Monday to Friday"));
        assert_eq!(reply_body(&reply_to(&text("hours"))), hours);
        let human = reply_body(&reply_to(&button(HUMAN, "Talk to a human")));
        assert!(human.contains("Someone from our team"));
    }

    #[test]
    fn unknown_button_and_other_content_show_the_menu() {
        assert_eq!(menu_buttons(&reply_to(&button("old:id", "Old"))).len(), 3);
        let image = Content::Image(Media {
            id: String::from("m"),
            mime_type: String::from("image/png"),
            sha256: String::new(),
            caption: None,
            filename: None,
            url: None,
        });
        assert_eq!(menu_buttons(&reply_to(&message(ALICE, image))).len(), 3);
        assert_eq!(
            menu_buttons(&reply_to(&message(ALICE, Content::RequestWelcome))).len(),
            3
        );
    }

    #[test]
    fn reactions_get_no_answer() {
        let reaction = Content::Reaction(Reaction {
            message_id: String::from("wamid.OUT"),
            emoji: Some(String::from("👍")),
        });
        assert!(reply_to(&message(ALICE, reaction)).is_empty());
    }

    #[test]
    fn username_only_users_get_orders_from_their_user_id() {
        let mut m = message("", Content::Text(String::from("track")));
        m.sender.user_id = Some(String::from("US.123"));
        m.sender.username = Some(String::from("grace_h"));
        assert_eq!(m.sender.phone, None);
        match reply_to(&m).as_slice() {
            // To the chat of the message, from the number that received it.
            [Action::SendList(l)] => {
                assert_eq!(l.to, "");
                assert_eq!(l.phone_number_id, None);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(list_rows(&reply_to(&m)).len(), 3);
        assert_eq!(customer(&m), "US.123");
        // A phone number wins over the user id: the same orders as before usernames.
        m.sender.phone = Some(String::from(ALICE));
        assert_eq!(customer(&m), ALICE);
    }

    #[test]
    fn edits_deletions_and_call_permission_replies_get_no_answer() {
        let edit = Content::Edit(Edit {
            original_message_id: String::from("wamid.EARLIER"),
            content: EditedContent::Text(String::from("track")),
        });
        let revoke = Content::Revoke(Revoke {
            original_message_id: String::from("wamid.EARLIER"),
        });
        let call = Content::CallPermissionReply(CallPermissionReply {
            accepted: true,
            permanent: false,
            expires_at: Some(1_767_225_600),
            source: None,
        });
        for content in [edit, revoke, call] {
            let actions = reply_to(&message(ALICE, content.clone()));
            assert!(actions.is_empty(), "{content:?} got {actions:?}");
        }
    }

    fn update(details: UpdateDetails) -> WebhookUpdate {
        WebhookUpdate {
            field: String::from("account_update"),
            business_account_id: String::from("102290129340398"),
            phone_number_id: Some(String::from("123456")),
            timestamp: 1_700_000_000,
            details,
            raw_json: String::from("{}"),
        }
    }

    #[test]
    fn only_updates_that_can_stop_answers_are_logged() {
        let account = update(UpdateDetails::Account(AccountEvent {
            event: String::from("DISABLED_UPDATE"),
            phone_number: Some(String::from(ALICE)),
            violation: None,
            restrictions: Vec::new(),
            ban_state: Some(String::from("DISABLE")),
        }));
        assert_eq!(
            update_log_line(&account).as_deref(),
            Some("account_update: account event DISABLED_UPDATE, ban state DISABLE")
        );
        let quality = update(UpdateDetails::PhoneNumberQuality(PhoneNumberQuality {
            display_phone_number: String::from("+1 555 000 0000"),
            event: String::from("DOWNGRADE"),
            current_limit: Some(String::from("TIER_250")),
            old_limit: Some(String::from("TIER_1K")),
        }));
        assert_eq!(
            update_log_line(&quality).as_deref(),
            Some("account_update: number quality DOWNGRADE, limit TIER_250")
        );
        let errors = update(UpdateDetails::Errors(vec![ErrorDetail {
            code: 131_056,
            title: String::from("Pair rate limit hit"),
            message: Some(String::from("the text of a message")),
            details: None,
            href: None,
        }]));
        assert_eq!(
            update_log_line(&errors).as_deref(),
            Some("account_update: errors: 131056 Pair rate limit hit")
        );

        let template = update(UpdateDetails::TemplateStatus(TemplateStatus {
            event: String::from("APPROVED"),
            template_id: String::from("1"),
            name: String::from("t"),
            language: String::from("en_US"),
            reason: None,
            category: None,
            detail: None,
        }));
        for ignored in [
            template,
            update(UpdateDetails::UserPreferences(Vec::new())),
            update(UpdateDetails::UserIdChanges(Vec::new())),
            update(UpdateDetails::Other),
        ] {
            assert_eq!(update_log_line(&ignored), None, "{ignored:?}");
        }
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4).chars().count(), 4);
    }
}
