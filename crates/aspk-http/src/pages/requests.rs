//! Visitors' requests: the inbox with status filter, a thread with the reply form,
//! assignment and status. Replies go to the durable outbox and are sent when mail works.

use askama::Template;
use aspk_domain::RequestStatus;
use axum::extract::{Form, Path, Query};
use axum::response::Response;
use serde::Deserialize;

use super::frame::redirect;
use super::Page;

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "requests.html")]
struct InboxView<'a> {
    page: &'a Page,
    title: String,
    tabs: Vec<Tab>,
    requests: Vec<InboxRow>,
}

/// A status filter above the inbox.
struct Tab {
    /// The status, empty for any.
    status: &'static str,
    label: String,
    current: bool,
}

struct InboxRow {
    id: String,
    subject: String,
    name: String,
    email: String,
    received: String,
    /// The assignee, or "—".
    assignee: String,
    status: &'static str,
    status_label: String,
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
    let tabs = ["", "new", "answered", "closed"]
        .into_iter()
        .map(|s| Tab {
            status: s,
            label: if s.is_empty() {
                page.t("filter-any")
            } else {
                page.t(&format!("request-status-{s}"))
            },
            current: s == q.status,
        })
        .collect();
    let requests = requests
        .iter()
        .map(|r| InboxRow {
            id: r.id.clone(),
            subject: r.subject.clone(),
            name: r.name.clone(),
            email: r.email.clone(),
            received: page.time(r.received_at, None),
            assignee: r.assignee.clone().unwrap_or_else(|| "—".into()),
            status: r.status.as_str(),
            status_label: page.t(&format!("request-status-{}", r.status.as_str())),
        })
        .collect();
    page.render(&InboxView {
        page: &page,
        title: page.t("nav-requests"),
        tabs,
        requests,
    })
}

#[derive(Template)]
#[template(path = "requests_thread.html")]
struct ThreadView<'a> {
    page: &'a Page,
    /// The request's subject.
    title: String,
    id: String,
    name: String,
    email: String,
    messages: Vec<MessageView>,
    assignees: Vec<Choice>,
    statuses: Vec<Choice>,
    /// The replies in the outbox: (subject, sent, failed or queued).
    outbox: Vec<(String, String)>,
}

struct MessageView {
    from: String,
    at: String,
    /// The body's lines (shown with line breaks).
    lines: Vec<String>,
}

/// An option of a select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

pub async fn thread(page: Page, Path(id): Path<String>) -> Response {
    if let Err(refused) = page.require_section("/requests") {
        return *refused;
    }
    let (r, staff, outbox) = match page.state.node.request_thread(&page.who, &id) {
        Ok(thread) => (thread.request, thread.staff, thread.mails),
        Err(e) => return page.error(e),
    };
    let messages = r
        .messages
        .iter()
        .map(|m| MessageView {
            from: if m.from == "visitor" {
                r.name.clone()
            } else {
                page.actor_label(&m.from)
            },
            at: page.time(m.at, None),
            lines: m.body.split('\n').map(str::to_owned).collect(),
        })
        .collect();
    let assignee = r.assignee.as_deref().unwrap_or("");
    let assignees = std::iter::once(String::new())
        .chain(staff)
        .map(|u| Choice {
            selected: assignee == u,
            label: if u.is_empty() {
                "—".to_owned()
            } else {
                u.clone()
            },
            value: u,
        })
        .collect();
    let statuses = ["new", "answered", "closed"]
        .iter()
        .map(|s| Choice {
            value: (*s).to_owned(),
            label: page.t(&format!("request-status-{s}")),
            selected: r.status.as_str() == *s,
        })
        .collect();
    let outbox = outbox
        .iter()
        .map(|m| (m.subject.clone(), page.mail_state(m)))
        .collect();
    page.render(&ThreadView {
        page: &page,
        title: r.subject,
        id: r.id,
        name: r.name,
        email: r.email,
        messages,
        assignees,
        statuses,
        outbox,
    })
}

#[derive(Deserialize)]
pub struct ReplyForm {
    csrf: String,
    body: String,
}

pub async fn reply(page: Page, Path(id): Path<String>, Form(f): Form<ReplyForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/requests") {
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
    if let Err(refused) = page.check_post(&f.csrf, "/requests") {
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
