//! Visitors' requests: the inbox with status filter, a thread with the reply form,
//! assignment and status. Replies go to the durable outbox and are sent when mail works.

use aspk_domain::RequestStatus;
use axum::extract::{Form, Path, Query};
use axum::response::Response;
use serde::Deserialize;

use super::frame::redirect;
use super::{escape, Page};

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    status: String,
}

pub async fn list(page: Page, Query(q): Query<InboxQuery>) -> Response {
    if let Err(refused) = page.require_section("/requests") {
        return *refused;
    }
    let status = RequestStatus::parse(&q.status);
    let requests = match page.state.node.requests(&page.who, status) {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    let tabs: String = ["", "new", "answered", "closed"]
        .iter()
        .map(|s| {
            let key = if s.is_empty() {
                "filter-any".to_owned()
            } else {
                format!("request-status-{s}")
            };
            let current = if *s == q.status {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!(
                "<a href=\"/requests?status={s}\"{current}>{}</a>",
                page.e(&key)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let rows: String = requests
        .iter()
        .map(|r| {
            format!(
                "<tr><td><a href=\"/requests/{id}\">{subject}</a></td><td>{name} &lt;{email}&gt;</td><td>{at}</td><td>{assignee}</td><td class=\"request-{st}\">{status}</td></tr>",
                id = escape(&r.id),
                subject = escape(&r.subject),
                name = escape(&r.name),
                email = escape(&r.email),
                at = page.time(r.received_at, None),
                assignee = escape(r.assignee.as_deref().unwrap_or("—")),
                st = r.status.as_str(),
                status = page.e(&format!("request-status-{}", r.status.as_str())),
            )
        })
        .collect();
    let empty = if requests.is_empty() {
        format!("<p>{}</p>", page.e("requests-none"))
    } else {
        String::new()
    };
    let body = format!(
        "<p class=\"tabs\">{tabs}</p><table id=\"requests\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>{empty}",
        page.e("request-subject"),
        page.e("request-from"),
        page.e("orders-time"),
        page.e("request-assignee"),
        page.e("orders-status"),
    );
    page.html(&page.t("nav-requests"), &body)
}

pub async fn thread(page: Page, Path(id): Path<String>) -> Response {
    if let Err(refused) = page.require_section("/requests") {
        return *refused;
    }
    let found = page.state.node.read(|s| {
        let r = s.requests.get(&id).cloned()?;
        let staff: Vec<String> = s.users.keys().map(|u| u.as_str().to_owned()).collect();
        let outbox: Vec<_> = s
            .outbox
            .values()
            .filter(|m| m.to == r.email)
            .cloned()
            .collect();
        Some((r, staff, outbox))
    });
    let Some((r, staff, outbox)) = found else {
        return page.error(aspk_app::AppError::NotFound {
            what: "request",
            id,
        });
    };
    let messages: String = r
        .messages
        .iter()
        .map(|m| {
            let from = if m.from == "visitor" {
                r.name.clone()
            } else {
                m.from.trim_start_matches("user:").to_owned()
            };
            format!(
                "<article class=\"message\"><header>{} · {}</header><p>{}</p></article>",
                escape(&from),
                page.time(m.at, None),
                escape(&m.body).replace('\n', "<br>")
            )
        })
        .collect();
    let assignees: String = std::iter::once(String::new())
        .chain(staff)
        .map(|u| {
            let selected = if r.assignee.as_deref().unwrap_or("") == u {
                " selected"
            } else {
                ""
            };
            let label = if u.is_empty() {
                "—".to_owned()
            } else {
                u.clone()
            };
            format!(
                "<option value=\"{}\"{selected}>{}</option>",
                escape(&u),
                escape(&label)
            )
        })
        .collect();
    let statuses: String = ["new", "answered", "closed"]
        .iter()
        .map(|s| {
            let selected = if r.status.as_str() == *s {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{s}\"{selected}>{}</option>",
                page.e(&format!("request-status-{s}"))
            )
        })
        .collect();
    let mail: String = outbox
        .iter()
        .map(|m| {
            let state = match (&m.sent_at, &m.last_error) {
                (Some(at), _) => page.t_args("mail-sent", &[("time", page.time(*at, None).into())]),
                (None, Some(e)) => page.t_args("mail-failed", &[("error", e.as_str().into())]),
                (None, None) => page.t("mail-queued"),
            };
            format!("<li>{} · {}</li>", escape(&m.subject), escape(&state))
        })
        .collect();
    let body = format!(
        "<p>{from_l}: {name} &lt;{email}&gt;</p>{messages}\
         <form method=\"post\" action=\"/requests/{id}/reply\">{csrf}<label for=\"reply\">{reply_l}</label>\
         <textarea id=\"reply\" name=\"body\" rows=\"5\" required></textarea><div><button class=\"primary\" type=\"submit\">{send_l}</button></div></form>\
         <form method=\"post\" action=\"/requests/{id}/update\" class=\"inline\">{csrf}<label for=\"assignee\">{assignee_l}</label>\
         <select id=\"assignee\" name=\"assignee\">{assignees}</select><label for=\"status\">{status_l}</label><select id=\"status\" name=\"status\">{statuses}</select>\
         <button type=\"submit\">{save_l}</button></form><h2>{outbox_l}</h2><ul id=\"outbox\">{mail}</ul>",
        from_l = page.e("request-from"),
        name = escape(&r.name),
        email = escape(&r.email),
        id = escape(&r.id),
        csrf = page.csrf_field(),
        reply_l = page.e("request-reply"),
        send_l = page.e("request-send"),
        assignee_l = page.e("request-assignee"),
        status_l = page.e("orders-status"),
        save_l = page.e("action-save"),
        outbox_l = page.e("request-outbox"),
    );
    page.html(&r.subject, &body)
}

#[derive(Deserialize)]
pub struct ReplyForm {
    csrf: String,
    body: String,
}

pub async fn reply(page: Page, Path(id): Path<String>, Form(f): Form<ReplyForm>) -> Response {
    if let Err(refused) = page.check_csrf(&f.csrf) {
        return *refused;
    }
    match page.state.node.reply_request(&page.who, &id, &f.body).await {
        Ok(_) => redirect(&format!("/requests/{id}")),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct UpdateForm {
    csrf: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    status: String,
}

pub async fn update(page: Page, Path(id): Path<String>, Form(f): Form<UpdateForm>) -> Response {
    if let Err(refused) = page.check_csrf(&f.csrf) {
        return *refused;
    }
    let status = Some(f.status.as_str()).filter(|s| !s.is_empty());
    match page
        .state
        .node
        .update_request(&page.who, &id, Some(f.assignee), status)
        .await
    {
        Ok(()) => redirect(&format!("/requests/{id}")),
        Err(e) => page.error(e),
    }
}
