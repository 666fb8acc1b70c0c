//! The order confirmation e-mail with the e-tickets: queued here (subject and text in the
//! visitor's language), rendered and sent by the mailer (`aspk-mail`), which attaches the
//! tickets as a PDF and shows their QR codes inline.

use std::collections::BTreeSet;

use aspk_domain::{Email, Money, OrderStatus};
use aspk_i18n::{t, t_args, Lang};
use aspk_oplog::OpBody;
use aspk_ticket::HumanNumber;
use rand::Rng;

use crate::{ticket_when, AppError, Node};

impl Node {
    /// Queues order `number`'s confirmation with its e-tickets, to `to` or else the order's
    /// own e-mail address, written in `lang` (`uk` or `en`). Returns the mail's id, or `None`
    /// when there is no address to send to. `actor` is who asks: `system` after a payment,
    /// or a staff member's actor.
    pub async fn queue_tickets_mail(
        &self,
        number: u64,
        to: Option<&str>,
        lang: &str,
        actor: &str,
    ) -> Result<Option<String>, AppError> {
        let to = to.map(Email::parse).transpose()?;
        let lang = Lang::parse(lang);
        let actor = actor.to_owned();
        self.submit(move |batch| {
            let state = batch.state();
            let not_found = || AppError::NotFound {
                what: "order",
                id: number.to_string(),
            };
            let order = state.orders().get(&number).ok_or_else(not_found)?;
            let venue = state.venues().get(&order.venue).ok_or_else(not_found)?;
            let Some(to) = to.or(order.email.clone()) else {
                return Ok(None);
            };
            let tickets: Vec<_> = order
                .tickets
                .iter()
                .filter_map(|serial| state.tickets().get(serial))
                .collect();
            let when: BTreeSet<String> = tickets
                .iter()
                .map(|ticket| ticket_when(ticket, venue.tz()))
                .collect();
            let museum = venue.name.get(lang.code()).to_owned();
            let shown = HumanNumber::from_serial(number).to_string();
            let total = Money {
                minor: order.total_minor,
                currency: order.currency,
            }
            .display(lang.code());
            let subject = t_args(
                lang,
                "ticket-mail-subject",
                &[
                    ("museum", museum.as_str().into()),
                    ("number", shown.as_str().into()),
                ],
            );
            let when = when.into_iter().collect::<Vec<_>>().join("; ");
            let count = i64::try_from(tickets.len()).unwrap_or(i64::MAX);
            let lines = [
                t_args(lang, "ticket-mail-thanks", &[("museum", museum.into())]),
                String::new(),
                t_args(lang, "ticket-mail-order", &[("number", shown.into())]),
                t_args(lang, "ticket-mail-when", &[("when", when.into())]),
                t_args(lang, "ticket-mail-count", &[("count", count.into())]),
                t_args(lang, "ticket-mail-total", &[("total", total.into())]),
                String::new(),
                t(lang, "ticket-mail-show-qr"),
                t(lang, "ticket-mail-attached"),
            ];
            let id = format!("{:016x}", rand::thread_rng().gen::<u64>());
            batch.record(
                &actor,
                vec![OpBody::MailQueued {
                    id: id.clone(),
                    to: to.as_str().to_owned(),
                    subject,
                    body: lines.join("\n"),
                    venue: Some(order.venue.clone()),
                    order: Some(number),
                    lang: Some(lang.code().to_owned()),
                }],
            );
            Ok(Some(id))
        })
        .await
    }

    /// Order `number`'s status, for the mailer: a cancelled order's tickets are not mailed.
    pub fn order_status(&self, number: u64) -> Option<OrderStatus> {
        self.read(|s| s.orders().get(&number).map(|o| o.status))
    }
}
