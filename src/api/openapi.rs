//! The OpenAPI 3.1 document, generated from the handlers' annotations.
use actix_web::HttpResponse;
use utoipa::{
    openapi::security::{
        ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
    },
    Modify, OpenApi,
};

use super::{commission, customers, orders, problem, token};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Partner Portal API",
        version = "3.0.0",
        description = "Onboard customers to your partner organisation, order products for them and read your commission statements. Get a token from POST /oauth/token (client credentials), then call the customers endpoints with `Authorization: Bearer <token>`."
    ),
    paths(token::token, customers::onboard, customers::list, customers::get, orders::place, orders::licenses, commission::statements, commission::lines),
    components(schemas(problem::Problem, problem::FieldError, customers::OnboardResponse, customers::OnboardError5, customers::Registration, customers::RegistrationPage, token::TokenResponse, token::TokenError5, orders::OrderResponse, orders::Amount, orders::License, orders::LicenseList, commission::StatementList, commission::LineList, crate::services::revenue::StatementView, crate::services::revenue::Line)),
    modifiers(&Security),
    tags((name = "customers", description = "Customer onboarding"), (name = "orders", description = "Orders for customers, their licenses and trials"), (name = "commission", description = "Monthly commission statements and their lines"), (name = "auth", description = "OAuth 2.0 client credentials"))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("opaque")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::new([Flow::ClientCredentials(
                ClientCredentials::new(
                    "/oauth/token",
                    Scopes::from_iter([
                        (
                            "elements.customers.readwrite.all",
                            "Onboard customers and read them",
                        ),
                        ("elements.customers.read.all", "Read customers"),
                        (
                            "elements.orders.readwrite.all",
                            "Place orders for customers and read their licenses",
                        ),
                        (
                            "elements.commission.read.all",
                            "Read the partner's commission statements and their lines",
                        ),
                    ]),
                ),
            )])),
        );
    }
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}
