//! OpenAPI links along the purchase flow — a movie → the cart → an order → its checkout →
//! the payment's status and page — so a client generator, Swagger UI's readers and
//! schemathesis' stateful phase can follow a purchase with the ids each answer returns.

use utoipa::openapi::{OpenApi, RefOr, link::LinkBuilder, path::Operation};

/// A link: from an operation's answer (operation id, status) to another operation, named,
/// with the target's path parameters and body taken from the answer.
struct FlowLink {
    from: &'static str,
    status: &'static str,
    name: &'static str,
    to: &'static str,
    parameters: &'static [(&'static str, &'static str)],
    /// The target's body: one field, from the answer.
    body: Option<(&'static str, &'static str)>,
    description: &'static str,
}

const PURCHASE_FLOW: &[FlowLink] = &[
    FlowLink {
        from: "movies_get",
        status: "200",
        name: "AddToCart",
        to: "cart_add",
        parameters: &[],
        body: Some(("movie_id", "$response.body#/id")),
        description: "Put this movie in the cart",
    },
    FlowLink {
        from: "movies_list",
        status: "200",
        name: "AddFirstToCart",
        to: "cart_add",
        parameters: &[],
        body: Some(("movie_id", "$response.body#/items/0/id")),
        description: "Put the page's first movie in the cart",
    },
    FlowLink {
        from: "cart_add",
        status: "201",
        name: "PlaceOrder",
        to: "orders_place",
        parameters: &[],
        body: None,
        description: "Order the cart",
    },
    FlowLink {
        from: "orders_place",
        status: "201",
        name: "GetOrder",
        to: "orders_get",
        parameters: &[("id", "$response.body#/id")],
        body: None,
        description: "Read the new order",
    },
    FlowLink {
        from: "orders_place",
        status: "201",
        name: "Checkout",
        to: "payments_checkout",
        parameters: &[("id", "$response.body#/id")],
        body: None,
        description: "Pay for the new order",
    },
    FlowLink {
        from: "orders_place",
        status: "201",
        name: "CancelOrder",
        to: "orders_cancel",
        parameters: &[("id", "$response.body#/id")],
        body: None,
        description: "Cancel the new order",
    },
    FlowLink {
        from: "payments_checkout",
        status: "200",
        name: "PaymentStatus",
        to: "payments_payment_status",
        parameters: &[("id", "$response.body#/order_id")],
        body: None,
        description: "Follow the payment of the order",
    },
    FlowLink {
        from: "payments_checkout",
        status: "200",
        name: "PaymentPage",
        to: "payments_test_gateway_page",
        parameters: &[("session_id", "$response.body#/session_id")],
        body: None,
        description: "The built-in test gateway's payment page (when it is the gateway in use)",
    },
];

/// Adds [`PURCHASE_FLOW`]'s links to the answers they start from. Runs after the operation
/// ids are final (`docs::unique_operation_ids`).
pub(crate) fn add_purchase_links(doc: &mut OpenApi) {
    for link in PURCHASE_FLOW {
        let Some(response) = operation_mut(doc, link.from)
            .and_then(|op| op.responses.responses.get_mut(link.status))
        else {
            continue;
        };
        let RefOr::T(response) = response else {
            continue;
        };
        let mut built = LinkBuilder::new()
            .operation_id(link.to)
            .description(link.description);
        for (name, value) in link.parameters {
            built = built.parameter(*name, *value);
        }
        if let Some((field, value)) = link.body {
            built = built.request_body(Some(serde_json::json!({ field: value })));
        }
        response
            .links
            .insert(link.name.to_owned(), RefOr::T(built.build()));
    }
}

fn operation_mut<'a>(doc: &'a mut OpenApi, id: &str) -> Option<&'a mut Operation> {
    doc.paths.paths.values_mut().find_map(|item| {
        crate::error_docs::operations(item).find(|op| op.operation_id.as_deref() == Some(id))
    })
}
