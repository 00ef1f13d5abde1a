//! The body of a template message.
//!
//! This file guards the JSON of `send-template`: components (header, body, and the
//! quick-reply, URL, copy-code, flow and catalog buttons), each parameter in the shape
//! Meta takes for its kind, and `parameter_name` on named parameters. What may go where
//! is checked first by [`limits::validate_template`]; this file only builds.
//!
//! | Component | JSON |
//! |---|---|
//! | header, body | `{"type":"header"\|"body","parameters":[...]}` |
//! | button at index n | `{"type":"button","sub_type":S,"index":"n","parameters":[...]}`, S = `quick_reply`, `url`, `copy_code`, `flow`, `catalog`; a catalog button without a parameter has no `parameters` |
//!
//! | Value | JSON |
//! |---|---|
//! | text | `{"type":"text","text"}`; on a quick-reply button `{"type":"payload","payload"}` |
//! | payload | `{"type":"payload","payload"}`; on a URL button `{"type":"text","text"}` (the URL suffix) |
//! | currency | `{"type":"currency","currency":{"fallback_value","code","amount_1000"}}` |
//! | date-time | `{"type":"date_time","date_time":{"fallback_value"}}` |
//! | image, video | `{"type":K,K:{"id"\|"link"}}` |
//! | document | `{"type":"document","document":{"id"\|"link","filename"?}}` |
//! | location | `{"type":"location","location":{"latitude","longitude","name"?,"address"?}}` |
//! | coupon-code | `{"type":"coupon_code","coupon_code"}` |
//! | flow-action | `{"type":"action","action":{"flow_token"?,"flow_action_data"?}}` (the data as a JSON object) |
//! | catalog-thumbnail | `{"type":"action","action":{"thumbnail_product_retailer_id"}}` |
//!
//! A named parameter also has `"parameter_name"`.

use serde_json::{json, Map, Value};

use super::{put, string};

use super::bodies::{insert_present, media_object};
use super::recipient::envelope;
use crate::outbound::limits::{self, present};
use crate::types::{
    InvalidRequest, MediaSource, TemplateComponent, TemplateComponentKind, TemplateMessage,
    TemplateParameter, TemplateValue,
};

fn media_parameter(kind: &str, source: &MediaSource) -> Map<String, Value> {
    let mut object = Map::new();
    put(&mut object, "type", string(kind));
    object.insert(kind.to_string(), Value::Object(media_object(source)));
    object
}

fn typed(kind: &str, value: Value) -> Map<String, Value> {
    let mut object = Map::new();
    put(&mut object, "type", string(kind));
    object.insert(kind.to_string(), value);
    object
}

/// The JSON of a value in a component of this kind (see the module's table).
fn value_object(kind: &TemplateComponentKind, value: &TemplateValue) -> Map<String, Value> {
    match value {
        TemplateValue::Text(text) => match kind {
            TemplateComponentKind::QuickReplyButton(_) => typed("payload", string(text)),
            _ => typed("text", string(text)),
        },
        TemplateValue::Payload(payload) => match kind {
            TemplateComponentKind::UrlButton(_) => typed("text", string(payload)),
            _ => typed("payload", string(payload)),
        },
        TemplateValue::Currency(currency) => typed(
            "currency",
            json!({
                "fallback_value": currency.fallback,
                "code": currency.code,
                "amount_1000": currency.amount_1000,
            }),
        ),
        TemplateValue::DateTime(fallback) => {
            typed("date_time", json!({ "fallback_value": fallback }))
        }
        TemplateValue::Image(source) => media_parameter("image", source),
        TemplateValue::Video(source) => media_parameter("video", source),
        TemplateValue::Document(document) => {
            let mut object = media_object(&document.source);
            insert_present(&mut object, "filename", &document.filename);
            typed("document", Value::Object(object))
        }
        TemplateValue::Location(location) => {
            let mut object = Map::new();
            put(&mut object, "latitude", json!(location.latitude));
            put(&mut object, "longitude", json!(location.longitude));
            insert_present(&mut object, "name", &location.name);
            insert_present(&mut object, "address", &location.address);
            typed("location", Value::Object(object))
        }
        TemplateValue::CouponCode(code) => typed("coupon_code", string(code)),
        TemplateValue::FlowAction(action) => {
            let mut object = Map::new();
            insert_present(&mut object, "flow_token", &action.flow_token);
            // Checked to be a JSON object by `limits::validate_template`.
            let data = present(&action.action_data_json)
                .and_then(|text| serde_json::from_str::<Value>(text).ok())
                .filter(Value::is_object);
            if let Some(data) = data {
                put(&mut object, "flow_action_data", data);
            }
            typed("action", Value::Object(object))
        }
        TemplateValue::CatalogThumbnail(retailer_id) => typed(
            "action",
            json!({ "thumbnail_product_retailer_id": retailer_id }),
        ),
    }
}

/// One parameter: its value's JSON, with `parameter_name` when it is named.
fn parameter(kind: &TemplateComponentKind, parameter: &TemplateParameter) -> Value {
    let mut object = value_object(kind, &parameter.value);
    if let Some(name) = present(&parameter.name) {
        put(&mut object, "parameter_name", string(name));
    }
    Value::Object(object)
}

fn component(component: &TemplateComponent) -> Value {
    let parameters: Vec<Value> = component
        .parameters
        .iter()
        .map(|p| parameter(&component.kind, p))
        .collect();
    let (sub_type, index) = match component.kind {
        TemplateComponentKind::Header => {
            return json!({ "type": "header", "parameters": parameters })
        }
        TemplateComponentKind::Body => return json!({ "type": "body", "parameters": parameters }),
        TemplateComponentKind::QuickReplyButton(index) => ("quick_reply", index),
        TemplateComponentKind::UrlButton(index) => ("url", index),
        TemplateComponentKind::CopyCodeButton(index) => ("copy_code", index),
        TemplateComponentKind::FlowButton(index) => ("flow", index),
        TemplateComponentKind::CatalogButton(index) => ("catalog", index),
    };
    let mut object = Map::new();
    put(&mut object, "type", string("button"));
    put(&mut object, "sub_type", string(sub_type));
    put(&mut object, "index", Value::String(index.to_string()));
    if !parameters.is_empty() {
        put(&mut object, "parameters", Value::Array(parameters));
    }
    Value::Object(object)
}

/// A template: `{"type":"template","template":{"name","language":{"code"},"components"?}}`
/// (`components` left out when there are none), in the common envelope.
pub fn template_body(message: &TemplateMessage) -> Result<Value, InvalidRequest> {
    limits::validate_template(message)?;
    let mut template = Map::new();
    put(&mut template, "name", string(&message.name));
    put(
        &mut template,
        "language",
        json!({ "code": message.language }),
    );
    if !message.components.is_empty() {
        let components: Vec<Value> = message.components.iter().map(component).collect();
        put(&mut template, "components", Value::Array(components));
    }
    envelope(
        &message.to,
        "template",
        Value::Object(template),
        message.reply_to.as_deref(),
        &message.biz_opaque_callback_data,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{TemplateCurrency, TemplateDocument, TemplateFlowAction, TemplateLocation};

    fn message(components: Vec<TemplateComponent>) -> TemplateMessage {
        TemplateMessage {
            to: "15550100".into(),
            name: "t".into(),
            language: "en".into(),
            components,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        }
    }

    fn positional(kind: TemplateComponentKind, values: Vec<TemplateValue>) -> TemplateComponent {
        TemplateComponent {
            kind,
            parameters: values
                .into_iter()
                .map(|value| TemplateParameter { name: None, value })
                .collect(),
        }
    }

    /// The JSON of the only component of a template with just `component`.
    fn sent(component: TemplateComponent) -> Option<Value> {
        template_body(&message(vec![component]))
            .ok()
            .map(|b| b["template"]["components"][0].clone())
    }

    fn header(value: TemplateValue) -> Option<Value> {
        sent(positional(TemplateComponentKind::Header, vec![value]))
            .map(|c| c["parameters"][0].clone())
    }

    #[test]
    fn template_without_components() {
        let m = TemplateMessage {
            to: "+1 555 0100".into(),
            name: "hello_world".into(),
            language: "en_US".into(),
            ..message(vec![])
        };
        assert_eq!(
            template_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "template",
                "template": {"name": "hello_world", "language": {"code": "en_US"}}
            }))
        );
    }

    #[test]
    fn template_with_every_positional_kind_to_a_user_id_with_callback_data() {
        let m = TemplateMessage {
            to: "US.13491208655302741918".into(),
            name: "order_update".into(),
            language: "pt_BR".into(),
            components: vec![
                positional(
                    TemplateComponentKind::Header,
                    vec![TemplateValue::Image(MediaSource::Link(
                        "https://x.test/h.png".into(),
                    ))],
                ),
                positional(
                    TemplateComponentKind::Body,
                    vec![
                        TemplateValue::Text("Ana".into()),
                        TemplateValue::Currency(TemplateCurrency {
                            fallback: "R$ 12,50".into(),
                            code: "BRL".into(),
                            amount_1000: 12_500,
                        }),
                        TemplateValue::DateTime("1 de maio".into()),
                    ],
                ),
                positional(
                    TemplateComponentKind::QuickReplyButton(0),
                    vec![TemplateValue::Payload("CONFIRM".into())],
                ),
                positional(
                    TemplateComponentKind::QuickReplyButton(1),
                    vec![TemplateValue::Text("CANCEL".into())],
                ),
                positional(
                    TemplateComponentKind::UrlButton(2),
                    vec![TemplateValue::Payload("order/42".into())],
                ),
                positional(
                    TemplateComponentKind::UrlButton(3),
                    vec![TemplateValue::Text("order/43".into())],
                ),
            ],
            reply_to: Some("wamid.T".into()),
            phone_number_id: None,
            biz_opaque_callback_data: Some("order-42".into()),
        };
        assert_eq!(
            template_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "recipient": "US.13491208655302741918",
                "type": "template",
                "template": {
                    "name": "order_update",
                    "language": {"code": "pt_BR"},
                    "components": [
                        {
                            "type": "header",
                            "parameters": [
                                {"type": "image", "image": {"link": "https://x.test/h.png"}}
                            ]
                        },
                        {
                            "type": "body",
                            "parameters": [
                                {"type": "text", "text": "Ana"},
                                {
                                    "type": "currency",
                                    "currency": {
                                        "fallback_value": "R$ 12,50",
                                        "code": "BRL",
                                        "amount_1000": 12500
                                    }
                                },
                                {"type": "date_time", "date_time": {"fallback_value": "1 de maio"}}
                            ]
                        },
                        {
                            "type": "button",
                            "sub_type": "quick_reply",
                            "index": "0",
                            "parameters": [{"type": "payload", "payload": "CONFIRM"}]
                        },
                        {
                            "type": "button",
                            "sub_type": "quick_reply",
                            "index": "1",
                            "parameters": [{"type": "payload", "payload": "CANCEL"}]
                        },
                        {
                            "type": "button",
                            "sub_type": "url",
                            "index": "2",
                            "parameters": [{"type": "text", "text": "order/42"}]
                        },
                        {
                            "type": "button",
                            "sub_type": "url",
                            "index": "3",
                            "parameters": [{"type": "text", "text": "order/43"}]
                        }
                    ]
                },
                "context": {"message_id": "wamid.T"},
                "biz_opaque_callback_data": "order-42"
            }))
        );
    }

    #[test]
    fn header_parameters() {
        for (value, want) in [
            (
                TemplateValue::Video(MediaSource::Id("7".into())),
                json!({"type": "video", "video": {"id": "7"}}),
            ),
            (
                TemplateValue::Image(MediaSource::Id("9".into())),
                json!({"type": "image", "image": {"id": "9"}}),
            ),
            (
                TemplateValue::Text("Hi".into()),
                json!({"type": "text", "text": "Hi"}),
            ),
            (
                TemplateValue::Document(TemplateDocument {
                    source: MediaSource::Id("8".into()),
                    filename: None,
                }),
                json!({"type": "document", "document": {"id": "8"}}),
            ),
            (
                TemplateValue::Document(TemplateDocument {
                    source: MediaSource::Link("https://x.test/inv.pdf".into()),
                    filename: Some("Invoice 42.pdf".into()),
                }),
                json!({
                    "type": "document",
                    "document": {"link": "https://x.test/inv.pdf", "filename": "Invoice 42.pdf"}
                }),
            ),
            (
                TemplateValue::Document(TemplateDocument {
                    source: MediaSource::Id("8".into()),
                    filename: Some(" ".into()),
                }),
                json!({"type": "document", "document": {"id": "8"}}),
            ),
            (
                TemplateValue::Location(TemplateLocation {
                    latitude: 37.483307,
                    longitude: -122.148981,
                    name: Some("Pablo Morales".into()),
                    address: Some("1 Hacker Way, Menlo Park, CA 94025".into()),
                }),
                json!({
                    "type": "location",
                    "location": {
                        "latitude": 37.483307,
                        "longitude": -122.148981,
                        "name": "Pablo Morales",
                        "address": "1 Hacker Way, Menlo Park, CA 94025"
                    }
                }),
            ),
            (
                TemplateValue::Location(TemplateLocation {
                    latitude: -33.5,
                    longitude: 151.0,
                    name: None,
                    address: Some("".into()),
                }),
                json!({"type": "location", "location": {"latitude": -33.5, "longitude": 151.0}}),
            ),
        ] {
            assert_eq!(header(value), Some(want.clone()), "{want}");
        }
        // Out of range: refused before sending.
        let far = TemplateValue::Location(TemplateLocation {
            latitude: 91.0,
            longitude: 0.0,
            name: None,
            address: None,
        });
        assert_eq!(
            template_body(&message(vec![positional(
                TemplateComponentKind::Header,
                vec![far]
            )]))
            .err()
            .map(|e| e.field),
            Some("components[0].parameters[0].latitude".into())
        );
    }

    #[test]
    fn copy_code_flow_and_catalog_buttons() {
        assert_eq!(
            sent(positional(
                TemplateComponentKind::CopyCodeButton(1),
                vec![TemplateValue::CouponCode("SAVE20".into())],
            )),
            Some(json!({
                "type": "button",
                "sub_type": "copy_code",
                "index": "1",
                "parameters": [{"type": "coupon_code", "coupon_code": "SAVE20"}]
            }))
        );
        assert_eq!(
            sent(positional(
                TemplateComponentKind::FlowButton(0),
                vec![TemplateValue::FlowAction(TemplateFlowAction {
                    flow_token: Some("tok-1".into()),
                    action_data_json: Some(r#"{"product": "42", "options": {"size": "M"}}"#.into()),
                })],
            )),
            Some(json!({
                "type": "button",
                "sub_type": "flow",
                "index": "0",
                "parameters": [{
                    "type": "action",
                    "action": {
                        "flow_token": "tok-1",
                        "flow_action_data": {"product": "42", "options": {"size": "M"}}
                    }
                }]
            }))
        );
        // Absent (or blank) flow fields are left out.
        assert_eq!(
            sent(positional(
                TemplateComponentKind::FlowButton(2),
                vec![TemplateValue::FlowAction(TemplateFlowAction {
                    flow_token: Some(" ".into()),
                    action_data_json: None,
                })],
            )),
            Some(json!({
                "type": "button",
                "sub_type": "flow",
                "index": "2",
                "parameters": [{"type": "action", "action": {}}]
            }))
        );
        assert_eq!(
            sent(positional(
                TemplateComponentKind::CatalogButton(0),
                vec![TemplateValue::CatalogThumbnail("SKU-12345".into())],
            )),
            Some(json!({
                "type": "button",
                "sub_type": "catalog",
                "index": "0",
                "parameters": [{
                    "type": "action",
                    "action": {"thumbnail_product_retailer_id": "SKU-12345"}
                }]
            }))
        );
        // A catalog button without a thumbnail has no parameters at all.
        assert_eq!(
            sent(positional(TemplateComponentKind::CatalogButton(0), vec![])),
            Some(json!({"type": "button", "sub_type": "catalog", "index": "0"}))
        );
    }

    #[test]
    fn invalid_flow_data_is_refused() {
        for data in ["[1]", "{oops", "\"s\""] {
            let m = message(vec![positional(
                TemplateComponentKind::FlowButton(0),
                vec![TemplateValue::FlowAction(TemplateFlowAction {
                    flow_token: None,
                    action_data_json: Some(data.into()),
                })],
            )]);
            assert_eq!(
                template_body(&m).err().map(|e| e.field),
                Some("components[0].parameters[0].action-data-json".into()),
                "{data}"
            );
        }
    }

    #[test]
    fn named_parameters_send_their_names() {
        let body = TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: vec![
                TemplateParameter {
                    name: Some("first_name".into()),
                    value: TemplateValue::Text("Jessica".into()),
                },
                TemplateParameter {
                    name: Some("order_total".into()),
                    value: TemplateValue::Currency(TemplateCurrency {
                        fallback: "$12.50".into(),
                        code: "USD".into(),
                        amount_1000: 12_500,
                    }),
                },
                TemplateParameter {
                    name: Some("delivery".into()),
                    value: TemplateValue::DateTime("May 1".into()),
                },
            ],
        };
        let header = TemplateComponent {
            kind: TemplateComponentKind::Header,
            parameters: vec![TemplateParameter {
                name: Some("shop".into()),
                value: TemplateValue::Text("Lucky Shrub".into()),
            }],
        };
        let m = TemplateMessage {
            name: "order_confirmation".into(),
            language: "en_US".into(),
            ..message(vec![header, body])
        };
        assert_eq!(
            template_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15550100",
                "type": "template",
                "template": {
                    "name": "order_confirmation",
                    "language": {"code": "en_US"},
                    "components": [
                        {
                            "type": "header",
                            "parameters": [
                                {"type": "text", "text": "Lucky Shrub", "parameter_name": "shop"}
                            ]
                        },
                        {
                            "type": "body",
                            "parameters": [
                                {"type": "text", "text": "Jessica", "parameter_name": "first_name"},
                                {
                                    "type": "currency",
                                    "currency": {
                                        "fallback_value": "$12.50",
                                        "code": "USD",
                                        "amount_1000": 12500
                                    },
                                    "parameter_name": "order_total"
                                },
                                {
                                    "type": "date_time",
                                    "date_time": {"fallback_value": "May 1"},
                                    "parameter_name": "delivery"
                                }
                            ]
                        }
                    ]
                }
            }))
        );
    }

    #[test]
    fn mixing_named_and_positional_is_refused() {
        let m = message(vec![TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: vec![
                TemplateParameter {
                    name: Some("first_name".into()),
                    value: TemplateValue::Text("Jessica".into()),
                },
                TemplateParameter {
                    name: None,
                    value: TemplateValue::Text("42".into()),
                },
            ],
        }]);
        let e = template_body(&m).expect_err("mixed");
        assert_eq!(e.field, "components[0].parameters");
        assert!(
            e.reason
                .contains("Meta refuses mixing named and positional parameters in one component"),
            "{}",
            e.reason
        );
    }

    #[test]
    fn template_to_a_group() {
        let m = TemplateMessage {
            to: "group:120363025246125486".into(),
            ..message(vec![])
        };
        assert_eq!(
            template_body(&m).ok(),
            Some(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "group",
                "to": "120363025246125486",
                "type": "template",
                "template": {"name": "t", "language": {"code": "en"}}
            }))
        );
    }
}
