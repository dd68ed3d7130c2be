//! Property tests of what the Flight SQL service decodes from a client's bytes: tickets,
//! commands and actions (Flight SQL's `Any`-wrapped messages), statement handles, and the
//! login header. Any bytes are refused with a status, never a panic, and what the server gives
//! out decodes back. `fuzz/run` runs them for long.

use std::sync::Arc;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::{
    ActionCancelQueryRequest, ActionClosePreparedStatementRequest, Any, Command,
    CommandPreparedStatementQuery, ProstMessageExt, TicketStatementQuery,
};
use arrow_flight::{
    Action, CancelFlightInfoRequest, FlightDescriptor, FlightEndpoint, FlightInfo, Ticket,
};
use auger_catalog::AugerHome;
use auger_engine::Engine;
use proptest::prelude::*;

use auger_common::property_tests::config;
use proptest::test_runner::TestRunner;
use prost::Message;
use tonic::Request;
use tonic::metadata::{Ascii, MetadataMap, MetadataValue};

use super::{AugerFlightSql, basic_credentials, decode_handle, handle_of};
use crate::config::AuthMode;

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..48)
}

/// A statement handle as a client may send one: any bytes, or text.
fn handle() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        bytes(),
        prop::collection::vec(any::<char>(), 0..12)
            .prop_map(|cs| cs.into_iter().collect::<String>().into_bytes()),
    ]
}

/// The messages whose handles the server decodes, carrying `handle`.
fn messages(handle: Vec<u8>) -> Vec<Any> {
    let info = FlightInfo::new().with_endpoint(
        FlightEndpoint::new().with_ticket(Ticket::new(
            TicketStatementQuery {
                statement_handle: handle.clone().into(),
            }
            .as_any()
            .encode_to_vec(),
        )),
    );
    vec![
        TicketStatementQuery {
            statement_handle: handle.clone().into(),
        }
        .as_any(),
        CommandPreparedStatementQuery {
            prepared_statement_handle: handle.clone().into(),
        }
        .as_any(),
        ActionClosePreparedStatementRequest {
            prepared_statement_handle: handle.into(),
        }
        .as_any(),
        ActionCancelQueryRequest {
            info: info.encode_to_vec().into(),
        }
        .as_any(),
    ]
}

/// What a client may send where the server expects an encoded message: any bytes, an `Any`
/// of a type the server reads (or of no such type) holding any bytes, or one holding a
/// well-formed message with any handle.
fn encoded() -> impl Strategy<Value = Vec<u8>> {
    let type_urls = vec![
        TicketStatementQuery::type_url(),
        CommandPreparedStatementQuery::type_url(),
        ActionClosePreparedStatementRequest::type_url(),
        ActionCancelQueryRequest::type_url(),
        "type.googleapis.com/arrow.flight.protocol.sql.NoSuchCommand",
        "",
    ];
    prop_oneof![
        bytes(),
        (prop::sample::select(type_urls), bytes()).prop_map(|(type_url, value)| {
            Any {
                type_url: type_url.to_string(),
                value: value.into(),
            }
            .encode_to_vec()
        }),
        (handle(), any::<usize>()).prop_map(|(handle, pick)| {
            let messages = messages(handle);
            messages[pick % messages.len()].encode_to_vec()
        }),
    ]
}

/// A request to the service.
#[derive(Debug, Clone)]
enum Call {
    DoGet(Vec<u8>),
    GetFlightInfo(Vec<u8>),
    DoAction(String, Vec<u8>),
}

fn call() -> impl Strategy<Value = Call> {
    let action_types = vec![
        "CancelFlightInfo",
        "CancelQuery",
        "ClosePreparedStatement",
        "BeginTransaction",
        "EndSavepoint",
        "NoSuchAction",
    ];
    let cancel_body = (handle(), any::<bool>()).prop_map(|(handle, with_info)| {
        let info = with_info.then(|| {
            FlightInfo::new().with_endpoint(
                FlightEndpoint::new().with_ticket(Ticket::new(
                    TicketStatementQuery {
                        statement_handle: handle.into(),
                    }
                    .as_any()
                    .encode_to_vec(),
                )),
            )
        });
        CancelFlightInfoRequest { info }.encode_to_vec()
    });
    prop_oneof![
        encoded().prop_map(Call::DoGet),
        encoded().prop_map(Call::GetFlightInfo),
        (
            prop::sample::select(action_types),
            prop_oneof![encoded(), cancel_body]
        )
            .prop_map(|(action, body)| Call::DoAction(action.to_string(), body)),
    ]
}

/// Sends `call`; a ticket or a command the server never gave out is refused.
async fn send(service: &AugerFlightSql, call: Call) -> Result<(), TestCaseError> {
    match call {
        Call::DoGet(ticket) => {
            let reply = service.do_get(Request::new(Ticket::new(ticket))).await;
            prop_assert!(
                reply.is_err(),
                "a ticket the server never gave out was taken"
            );
        }
        Call::GetFlightInfo(command) => {
            let reply = service
                .get_flight_info(Request::new(FlightDescriptor::new_cmd(command)))
                .await;
            prop_assert!(reply.is_err(), "{:?}", reply.map(|r| r.into_inner()));
        }
        // Cancelling what does not run is answered (not cancellable): only no panic here.
        Call::DoAction(action, body) => {
            let _ = service
                .do_action(Request::new(Action::new(action, body)))
                .await;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    /// Any bytes: decoding them as a handle, an `Any`, a command, a ticket's query, a
    /// `FlightInfo` or a cancel request returns; a handle is its bytes when they are UTF-8.
    #[test]
    fn decoding_any_bytes_returns(bytes in encoded()) {
        prop_assert_eq!(
            decode_handle(&bytes).ok(),
            String::from_utf8(bytes.clone()).ok()
        );
        if let Ok(any) = Any::decode(bytes.as_slice()) {
            let _ = any.unpack::<TicketStatementQuery>();
            let _ = Command::try_from(any);
        }
        if let Ok(info) = FlightInfo::decode(bytes.as_slice()) {
            let _ = handle_of(&info);
        }
        let _ = CancelFlightInfoRequest::decode(bytes.as_slice());
    }

    /// The handle in a `FlightInfo` the server returned is found again, also after the
    /// client has sent the `FlightInfo` back encoded (as a cancel request does).
    #[test]
    fn a_handle_given_out_decodes_back(handle in any::<String>()) {
        let info = FlightInfo::new().with_endpoint(FlightEndpoint::new().with_ticket(
            Ticket::new(
                TicketStatementQuery {
                    statement_handle: handle.clone().into_bytes().into(),
                }
                .as_any()
                .encode_to_vec(),
            ),
        ));
        prop_assert_eq!(handle_of(&info), Some(handle.clone()));
        let sent = FlightInfo::decode(info.encode_to_vec().as_slice());
        prop_assert_eq!(sent.ok().as_ref().and_then(handle_of), Some(handle));
    }

    /// `authorization: Basic <base64 of user:password>` gives the user and the password (the
    /// user has no `:`); any other header value returns.
    #[test]
    fn basic_credentials_decode_back(
        user in any::<String>(),
        password in any::<String>(),
        scheme in prop::sample::select(vec!["Basic", "basic", "BASIC", "Bearer"]),
        other in prop::collection::vec(prop::char::range(' ', '~'), 0..40),
    ) {
        use base64::Engine as _;
        let user = user.replace(':', "");
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut metadata = MetadataMap::new();
        let value = MetadataValue::<Ascii>::try_from(format!("{scheme} {encoded}"));
        prop_assert!(value.is_ok());
        if let Ok(value) = value {
            metadata.insert("authorization", value);
        }
        let expected = scheme.eq_ignore_ascii_case("basic").then_some((user, password));
        prop_assert_eq!(basic_credentials(&metadata), expected);
        let other: String = other.into_iter().collect();
        if let Ok(value) = MetadataValue::<Ascii>::try_from(other) {
            metadata.insert("authorization", value);
            let _ = basic_credentials(&metadata);
        }
    }
}

/// Requests of any bytes to a service on its own engine: each is answered with a status,
/// never a panic, and no ticket or command it never gave out is taken.
#[test]
fn requests_of_any_bytes_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let service = runtime.block_on(async {
        let engine = Engine::new(AugerHome::at(home.path())).unwrap();
        AugerFlightSql::new(Arc::new(engine), AuthMode::None, Duration::from_secs(3600)).unwrap()
    });
    let mut config = config(128);
    config.source_file = Some(file!());
    let mut runner = TestRunner::new(config);
    let result = runner.run(&call(), |call| runtime.block_on(send(&service, call)));
    if let Err(e) = result {
        panic!("{e}\n{runner}");
    }
}
