//! Hello world over `wasi:http/incoming-handler`, shaped like `whatsapp`: it imports
//! `asterai:whatsapp/incoming-handler`, so it must be composed with a consumer to be
//! served. `make bench` composes it with `no-consumer`: every request then instantiates
//! two Rust components (six core instances), as `whatsapp` + a consumer does, and answers
//! at once. Its rate is the ceiling of any such composition under `wasmtime serve`; the
//! difference to it is what `whatsapp` itself costs.

wit_bindgen::generate!({
    inline: "
        package bench:hello-composed;

        world hello-composed {
            import asterai:whatsapp/incoming-handler@0.2.0;
            export wasi:http/incoming-handler@0.2.12;
        }
    ",
    path: "../../wit",
    world: "bench:hello-composed/hello-composed",
    with: {
        "wasi:http/types@0.2.12": wasi::http::types,
        "wasi:io/error@0.2.12": wasi::io::error,
        "wasi:io/poll@0.2.12": wasi::io::poll,
        "wasi:io/streams@0.2.12": wasi::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
    },
    generate_all,
});

use exports::wasi::http::incoming_handler::Guest;
use wasi::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

/// The component.
struct HelloComposed;

impl Guest for HelloComposed {
    fn handle(_request: IncomingRequest, out: ResponseOutparam) {
        // Never true; keeps the consumer import (and so the composition) in the component.
        if std::hint::black_box(false) {
            touch_consumer();
        }
        let response = OutgoingResponse::new(Fields::new());
        let Ok(body) = response.body() else {
            return;
        };
        ResponseOutparam::set(out, Ok(response));
        if let Ok(stream) = body.write() {
            let _ = stream.blocking_write_and_flush(b"hello");
        }
        let _ = OutgoingBody::finish(body, None);
    }
}

export!(HelloComposed);

/// A call of the consumer: an import nothing calls would be dropped from the component.
fn touch_consumer() {
    use asterai::whatsapp::types::{DeliveryStatus, StatusUpdate};
    asterai::whatsapp::incoming_handler::on_status(&StatusUpdate {
        message_id: String::new(),
        status: DeliveryStatus::Sent,
        timestamp: 0,
        recipient: String::new(),
        recipient_user_id: None,
        phone_number_id: String::new(),
        conversation: None,
        pricing: None,
        errors: Vec::new(),
        biz_opaque_callback_data: None,
        raw_json: String::new(),
    });
}
