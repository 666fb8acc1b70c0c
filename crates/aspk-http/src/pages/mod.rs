//! The staff web app: server-rendered pages with a little JavaScript (box office keys, live
//! orders). Text comes from the message catalogues; the language is `?lang=en|uk`,
//! remembered in a cookie. Every page needs a signed-in session cookie and checks the role;
//! every form carries an anti-forgery token tied to the session.

mod assets;
mod box_office;
mod confirm;
mod continuity_plan;
mod devices;
mod drills;
mod findings;
mod frame;
mod handoff;
mod multipart;
mod order_detail;
mod orders;
mod paper;
mod printing;
mod reports;
mod requests;
mod settings;
mod shifts;
mod shop;
mod sign_in;
mod status;

use axum::routing::{get, post};
use axum::Router;

use crate::limits::{limited, Answer, Limiters};
use crate::AppState;

pub(crate) use frame::Page;
pub(crate) use handoff::renew as renew_session;
pub(crate) use sign_in::rate_limited_page;

pub fn routes(limits: &Limiters) -> Router<AppState> {
    let sign_in = limited(post(sign_in::submit), &limits.sign_in, Answer::Page);
    let pages = Router::new()
        .route("/", sign_in.get(sign_in::page))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/language", post(sign_in::choose_language))
        .route("/handoff", get(handoff::page).post(handoff::redeem))
        .route("/session/handoffs", get(handoff::codes))
        .route("/status", get(status::page))
        .route("/static/{file}", get(assets::file))
        .route("/box-office", get(box_office::page))
        .route("/box-office/sell", post(box_office::sell))
        .route("/box-office/sale/{number}", get(box_office::sale))
        .route("/box-office/reservation", get(box_office::find_reservation))
        .route(
            "/box-office/reservation/{serial}/pay",
            post(box_office::pay_reservation),
        )
        .route(
            "/box-office/sale/{number}/printed",
            post(box_office::confirm_printed),
        )
        .route("/box-office/printer", post(box_office::choose_printer))
        .route("/shifts", get(shifts::list))
        .route("/shifts/open", post(shifts::open))
        .route("/shifts/close", post(shifts::close))
        .route("/shifts/{id}", get(shifts::report))
        .route("/orders", get(orders::list))
        .route("/orders/events", get(orders::events))
        .route("/orders/{number}", get(order_detail::page))
        .route("/orders/{number}/cancel", post(order_detail::cancel))
        .route("/orders/{number}/print", post(order_detail::print))
        .route("/orders/{number}/resend", post(order_detail::resend))
        .route("/orders/{number}/pdf", get(order_detail::pdf))
        .route(
            "/tickets/{number}/cancel",
            post(order_detail::cancel_ticket),
        )
        .route("/paper", get(paper::page))
        .route("/paper/sales", post(paper::enter))
        .route("/paper/batches", post(paper::create_batch))
        .route("/paper/batches/{id}/moves", post(paper::move_numbers))
        .route("/paper/batches/{id}/pdf", get(paper::pdf))
        .route("/paper/stock.csv", get(paper::stock_csv))
        .route(
            "/paper/entries",
            post(paper::entries).layer(axum::extract::DefaultBodyLimit::max(paper::MAX_UPLOAD)),
        )
        .route(
            "/paper/photos",
            post(paper::photos).layer(axum::extract::DefaultBodyLimit::max(paper::MAX_UPLOAD)),
        )
        .route("/drills", get(drills::list).post(drills::start))
        .route("/drills/{id}", get(drills::review))
        .route("/drills/{id}/end", post(drills::end))
        .route("/findings", get(findings::page))
        .route("/findings.csv", get(findings::csv))
        .route("/findings/{id}/resolve", post(findings::resolve))
        .route("/reports", get(reports::page))
        .route("/reports/{table}", get(reports::csv))
        .route("/requests", get(requests::list))
        .route("/requests/{id}", get(requests::thread))
        .route("/requests/{id}/reply", post(requests::reply))
        .route("/requests/{id}/update", post(requests::update))
        .route("/settings", get(settings::page))
        .route("/settings/printers", post(settings::save_printer))
        .route("/settings/venues", post(settings::save_venue))
        .route("/settings/products", post(settings::save_product))
        .route("/settings/users", post(settings::add_user))
        .route("/settings/users/update", post(settings::update_user))
        .route("/settings/products/new", post(settings::new_product))
        .route(
            "/settings/schedule",
            get(settings::schedule_page).post(settings::schedule),
        )
        .route("/settings/slots/{id}", post(settings::change_slot))
        .route(
            "/settings/shop",
            get(settings::shop_page).post(settings::save_shop).layer(
                axum::extract::DefaultBodyLimit::max(settings::MAX_SHOP_FORM),
            ),
        )
        .route(
            "/settings/continuity",
            get(continuity_plan::plan_page)
                .post(continuity_plan::save_plan)
                .layer(axum::extract::DefaultBodyLimit::max(
                    continuity_plan::MAX_FORM,
                )),
        )
        .route("/settings/devices", get(devices::list).post(devices::add))
        .route("/settings/devices/{node_id}/revoke", post(devices::revoke));
    crate::headers::for_browsers(pages, crate::headers::STAFF_CSP).merge(shop::routes(limits))
}

#[cfg(test)]
mod tests {
    use aspk_i18n::Lang;

    /// The page modules (with their submodules) and their templates, read from the source
    /// tree.
    fn sources() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        let mut folders = vec![root.join("src/pages"), root.join("templates")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).expect("source folder") {
                let path = entry.expect("source file").path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    sources.push(std::fs::read_to_string(path).expect("readable source"));
                }
            }
        }
        sources
    }

    /// Every literal message key the pages and their templates use.
    fn literal_keys() -> Vec<String> {
        let mut keys = Vec::new();
        for source in sources() {
            for opener in [".e(", ".t(", "t_args(", " t(lang,", "t(lang,", "{ t("] {
                for (i, _) in source.match_indices(opener) {
                    // The key may follow on the next line (rustfmt breaks long calls).
                    let rest = source[i + opener.len()..].trim_start();
                    let Some(rest) = rest.strip_prefix('"') else {
                        continue;
                    };
                    let Some(key) = rest.find('"').map(|end| &rest[..end]) else {
                        continue;
                    };
                    let is_key = key.contains('-')
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    if is_key {
                        keys.push(key.to_owned());
                    }
                }
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// Keys built at run time from a prefix and a value.
    fn built_keys() -> Vec<String> {
        let families: &[(&str, &[&str])] = &[
            ("category-", &["full", "reduced", "free"]),
            ("payment-", &["cash", "card", "other", "mixed"]),
            ("channel-", &["box_office", "online", "paper"]),
            ("order-status-", &["paid", "cancelled", "refunded"]),
            ("ticket-status-", &["valid", "used", "void"]),
            ("role-", &["admin", "manager", "cashier", "controller"]),
            ("request-status-", &["new", "answered", "closed"]),
            (
                "weekday-",
                &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            ),
            (
                "device-role-",
                &["scanner", "box_office", "gate", "site_node"],
            ),
            ("path-role-", &["cloud", "site_node", "gate"]),
        ];
        families
            .iter()
            .flat_map(|(prefix, values)| values.iter().map(move |v| format!("{prefix}{v}")))
            .collect()
    }

    #[test]
    fn every_key_the_pages_use_is_in_both_catalogues() {
        let keys: Vec<String> = literal_keys().into_iter().chain(built_keys()).collect();
        assert!(keys.len() > 150, "found only {} keys", keys.len());
        for lang in Lang::ALL {
            let missing: Vec<&String> = keys
                .iter()
                .filter(|k| !aspk_i18n::has_message(lang, k))
                .collect();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
        }
    }
}
