//! Turns an outbox mail into a MIME message: plain text, or, for an order's e-tickets,
//! text + HTML with each ticket's QR code inline + the tickets as one PDF.

use std::io::Cursor;

use askama::Template;
use aspk_domain::Mail;
use aspk_i18n::{t, t_args, Lang};
use aspk_render::{qr_matrix, ticket_pdf, Paper, QrLevel, TicketDoc, QUIET_ZONE};
use aspk_ticket::HumanNumber;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

/// Pixels per QR module in the inline PNG.
const QR_SCALE: usize = 6;

/// A mail without attachments.
pub(crate) fn plain(from: &Mailbox, mail: &Mail) -> anyhow::Result<Message> {
    Ok(header(from, mail)?
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())?)
}

/// A mail with order `number`'s live tickets: `docs` as printed on them.
pub(crate) async fn with_tickets(
    from: &Mailbox,
    mail: &Mail,
    number: u64,
    docs: Vec<TicketDoc>,
) -> anyhow::Result<Message> {
    anyhow::ensure!(
        !docs.is_empty(),
        "order {number} has no live ticket to attach"
    );
    let lang = Lang::parse(mail.lang.as_deref().unwrap_or("uk"));
    let body = mail.body.clone();
    let (html, images, pdf) = tokio::task::spawn_blocking(move || {
        let images = docs
            .iter()
            .map(|doc| Ok((content_id(doc), qr_png(&doc.code)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let html = html(lang, &body, &docs)?;
        let pdf = ticket_pdf(&docs, Paper::A4)
            .map_err(|e| anyhow::anyhow!("rendering the tickets' PDF: {e}"))?;
        anyhow::Ok((html, images, pdf))
    })
    .await??;
    let mut related = MultiPart::related().singlepart(SinglePart::html(html));
    for (cid, png) in images {
        related =
            related.singlepart(Attachment::new_inline(cid).body(png, content_type("image/png")?));
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(mail.body.clone()))
        .multipart(related);
    let filename = format!("tickets-{}.pdf", HumanNumber::from_serial(number).digits());
    let mixed = MultiPart::mixed()
        .multipart(alternative)
        .singlepart(Attachment::new(filename).body(pdf, content_type("application/pdf")?));
    Ok(header(from, mail)?.multipart(mixed)?)
}

fn header(from: &Mailbox, mail: &Mail) -> anyhow::Result<lettre::message::MessageBuilder> {
    Ok(Message::builder()
        .from(from.clone())
        .to(mail.to.parse()?)
        .subject(mail.subject.clone()))
}

fn content_type(raw: &str) -> anyhow::Result<ContentType> {
    ContentType::parse(raw).map_err(|e| anyhow::anyhow!("content type {raw}: {e}"))
}

/// The `Content-ID` of a ticket's QR image (without the angle brackets).
fn content_id(doc: &TicketDoc) -> String {
    let digits: String = doc.number.chars().filter(char::is_ascii_digit).collect();
    format!("qr-{digits}@aspk")
}

/// The ticket code's QR symbol as a black-on-white PNG with its quiet zone.
pub(crate) fn qr_png(code: &str) -> anyhow::Result<Vec<u8>> {
    let matrix = qr_matrix(code, QrLevel::M).map_err(|e| anyhow::anyhow!("QR code: {e}"))?;
    let side = matrix.width_with_quiet_zone() * QR_SCALE;
    let side32 = u32::try_from(side)?;
    let image = image::GrayImage::from_fn(side32, side32, |x, y| {
        let module = |p: u32| (p as usize / QR_SCALE).checked_sub(QUIET_ZONE);
        let dark = match (module(x), module(y)) {
            (Some(mx), Some(my)) => matrix.is_dark(mx, my),
            _ => false,
        };
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    image.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)?;
    Ok(png)
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsHtml {
    lang: &'static str,
    title: String,
    paragraphs: Vec<Vec<String>>,
    tickets: Vec<TicketImage>,
}

struct TicketImage {
    cid: String,
    alt: String,
    label: String,
}

/// The HTML part: the text's paragraphs, then each ticket's QR code with its number.
fn html(lang: Lang, body: &str, docs: &[TicketDoc]) -> anyhow::Result<String> {
    let paragraphs = body
        .split("\n\n")
        .map(|p| p.lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect();
    let tickets = docs
        .iter()
        .map(|doc| TicketImage {
            cid: content_id(doc),
            alt: t_args(
                lang,
                "ticket-mail-qr-alt",
                &[("number", doc.number.as_str().into())],
            ),
            label: t_args(
                lang,
                "ticket-mail-ticket",
                &[("number", doc.number.as_str().into())],
            ),
        })
        .collect();
    let view = TicketsHtml {
        lang: lang.code(),
        title: t(lang, "ticket-mail-title"),
        paragraphs,
        tickets,
    };
    Ok(view.render()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_escapes_text_and_references_each_qr() {
        let doc = TicketDoc {
            code: "123456".into(),
            number: "1234-5678".into(),
            title: String::new(),
            venue: String::new(),
            lines: vec![],
            notice: None,
            footer: None,
            void_mark: None,
        };
        let html = html(Lang::En, "Hi <b>you</b>\nline two\n\nbye", &[doc]).expect("html");
        assert!(
            html.contains("Hi &#60;b&#62;you&#60;/b&#62;") || html.contains("Hi &lt;b&gt;"),
            "{html}"
        );
        assert!(html.contains("cid:qr-12345678@aspk"), "{html}");
        assert!(html.contains("Ticket 1234-5678"), "{html}");
        assert!(qr_png("123456").expect("png").starts_with(b"\x89PNG"));
    }
}
