//! The visitors' shop (`/shop/{venue}`): public pages for phones, no sign-in. A month of
//! open days, a day's slots with live availability, the order form, checkout (seats held
//! while the visitor pays), the order's page, finding an order again, the contact form, and
//! the demo's test payment page (`/pay/test/{number}`).
//!
//! Everything works without JavaScript (links and form posts); the language is `?lang=`,
//! remembered in a cookie, Ukrainian by default. No request leaves this node.

mod calendar;
mod checkout;
mod contact;
mod day;
mod form;
mod lookup;
mod order;
mod qr;
pub(crate) use qr::svg_path;
mod test_pay;
mod theme;
mod visitor;

use axum::routing::{get, post};
use axum::Router;

use crate::limits::{limited, Answer, Limiters};
use crate::AppState;

pub(crate) use visitor::Visitor;

/// The shop's policy: like the staff app's, but a payment form may go to the provider's
/// site (`form-action`, which Chromium also checks on the redirect after a form post).
const SHOP_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self' https:; frame-ancestors 'none'";

pub fn routes(limits: &Limiters) -> Router<AppState> {
    let lookup = limited(
        get(lookup::page).post(lookup::find),
        &limits.order,
        Answer::Page,
    );
    let contact = limited(
        get(contact::page).post(contact::send),
        &limits.contact,
        Answer::Page,
    );
    // Checkouts and the order page count against the same budget as order lookups (each
    // client may also hold only a few unpaid orders at once, see `payments`).
    let checkout = limited(post(checkout::submit), &limits.order, Answer::Page);
    let order = limited(get(order::page), &limits.order, Answer::Page);
    let shop = Router::new()
        .route("/shop/{venue}", get(day::page))
        .route("/shop/{venue}/theme.css", get(theme::css))
        .route("/shop/{venue}/logo", get(theme::logo))
        .route("/shop/{venue}/checkout", checkout)
        .route("/shop/{venue}/order/{number}", order)
        .route("/shop/{venue}/order/{number}/pay", post(order::pay_again))
        .route("/shop/{venue}/order/{number}/cancel", post(order::cancel))
        .route("/shop/{venue}/lookup", lookup)
        .route("/shop/{venue}/contact", contact)
        .route(
            "/pay/test/{number}",
            get(test_pay::page).post(test_pay::answer),
        );
    crate::headers::for_browsers(shop, SHOP_CSP)
}

#[cfg(test)]
mod tests {
    use aspk_i18n::Lang;

    /// The keys the shop builds at run time (month and weekday names) are in both
    /// catalogues; the literal ones are checked with every page's (`pages::tests`).
    #[test]
    fn every_built_key_is_in_both_catalogues() {
        let months =
            (1..=12).flat_map(|m| [format!("shop-month-{m}"), format!("shop-of-month-{m}")]);
        let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| format!("shop-weekday-{d}"));
        let keys: Vec<String> = months.chain(weekdays).collect();
        for lang in Lang::ALL {
            let missing: Vec<&String> = keys
                .iter()
                .filter(|k| !aspk_i18n::has_message(lang, k))
                .collect();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
        }
    }
}
