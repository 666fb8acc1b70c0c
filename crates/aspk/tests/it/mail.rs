//! E-tickets by e-mail, end to end: the outbox sent to a real SMTP server (Debian's
//! aiosmtpd, scripts/smtp-test-server.py) that requires STARTTLS and a login, the message
//! parsed back, its PDF's and inline images' QR codes decoded, and the codes admitted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aspk_mail::{MailConfig, Mailer, Secret, SmtpLogin, SmtpSecurity, SmtpTls};
use aspk_ticket::HumanNumber;
use mail_parser::MimeHeaders;
use serde_json::Value;

use crate::kit::{free_port, order_body, tool, Process, TestApp};

const USER: &str = "tickets@museum.example";
const PASSWORD: &str = "correct horse battery";
const VISITOR: &str = "visitor@example.com";

/// A Python with Debian's aiosmtpd (the system one: a pyenv or venv `python3` on the PATH
/// may lack it), or `None` after reporting the skip (a failure under CI).
fn python_with_aiosmtpd() -> Option<PathBuf> {
    let found = ["/usr/bin/python3", "python3"].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        aspk_testkit::skip(
            "mail over SMTP",
            "python3-aiosmtpd is missing",
            "apt-get install python3-aiosmtpd",
        );
    }
    found.map(PathBuf::from)
}

/// A self-signed certificate for `localhost`, written as PEM files into `dir`.
fn tls_files(dir: &Path) -> (PathBuf, PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.join("smtp-cert.pem"), dir.join("smtp-key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    (cert, key)
}

/// scripts/smtp-test-server.py, running until dropped.
struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    fn start(python: &Path, port: u16, dir: &Path) -> SmtpServer {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-test-server.py");
        let maildir = dir.join("maildir");
        let mut child = Command::new(python)
            .arg(script)
            .args([
                "--port",
                &port.to_string(),
                "--user",
                USER,
                "--password",
                PASSWORD,
            ])
            .arg("--cert")
            .arg(dir.join("smtp-cert.pem"))
            .arg("--key")
            .arg(dir.join("smtp-key.pem"))
            .arg("--maildir")
            .arg(&maildir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the SMTP test server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        assert_eq!(
            line.trim(),
            format!("ready {port}"),
            "the SMTP server did not start"
        );
        SmtpServer { child, maildir }
    }

    /// The messages it has taken, oldest name first.
    fn messages(&self) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&self.maildir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }

    /// Waits (up to a minute) until at least `n` messages arrived.
    async fn wait_for(&self, n: usize) -> Vec<PathBuf> {
        for _ in 0..600 {
            let found = self.messages();
            if found.len() >= n {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{n} message(s) did not arrive at the SMTP server");
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn security(password: &str, ca: &Path) -> SmtpSecurity {
    SmtpSecurity {
        tls: SmtpTls::StartTls,
        login: Some(SmtpLogin {
            user: USER.into(),
            password: Secret::new(password.into()),
        }),
        extra_roots_pem: Some(std::fs::read(ca).unwrap()),
    }
}

fn config(port: u16) -> MailConfig {
    MailConfig {
        server: format!("localhost:{port}"),
        from: "Музей <tickets@museum.example>".into(),
    }
}

/// Sells `quantity` reduced tickets at the box office to a visitor who gave an e-mail.
async fn sell_with_email(app: &TestApp, admin: &str, quantity: u32) -> Value {
    let slot = app.open_slot(admin, 10).await;
    let mut body = order_body("reduced", Some(&slot), quantity, "box_office");
    body["email"] = VISITOR.into();
    let (status, order) = app.post("/api/v1/orders", Some(admin), body).await;
    assert!(status.is_success(), "{order}");
    order
}

/// The ids of the outbox's mails about order `number`, oldest first.
fn mails_about(app: &TestApp, number: u64) -> Vec<String> {
    let mut mails: Vec<_> = app.node.inspect(|s| {
        s.outbox()
            .values()
            .filter(|m| m.order == Some(number))
            .map(|m| (m.queued_at, m.id.clone()))
            .collect()
    });
    mails.sort();
    mails.into_iter().map(|(_, id)| id).collect()
}

fn serial_of(order: &Value) -> u64 {
    HumanNumber::parse(order["number"].as_str().unwrap())
        .unwrap()
        .serial()
}

/// The QR codes an image holds, decoded by rqrr.
fn decode_qr(image: image::DynamicImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(image.to_luma8());
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

/// The QR codes on every page of `pdf`, rendered by pdftoppm.
fn pdf_codes(pdf: &[u8], dir: &Path) -> Vec<String> {
    let pdftoppm = tool("pdftoppm", "poppler-utils");
    let file = dir.join("tickets.pdf");
    std::fs::write(&file, pdf).unwrap();
    let prefix = dir.join("page");
    let ok = Command::new(pdftoppm)
        .args(["-r", "150", "-png"])
        .arg(&file)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(ok.success(), "pdftoppm renders the attachment");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("page"))
        })
        .collect();
    pages.sort();
    pages
        .into_iter()
        .flat_map(|page| decode_qr(image::open(page).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paid_orders_tickets_arrive_over_starttls_with_login_and_admit() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let app = TestApp::spawn(crate::kit::Backend::Sqlite).await;
    let admin = app.admin().await;
    // The sale with an e-mail queues the visitor's confirmation (Ukrainian, the default).
    let order = sell_with_email(&app, &admin, 2).await;
    let number = serial_of(&order);
    assert_eq!(
        mails_about(&app, number).len(),
        1,
        "the sale queued its e-mail"
    );
    // The same tickets to a friend, in English.
    const FRIEND: &str = "friend@example.com";
    app.node
        .queue_tickets_mail(number, Some(FRIEND), "en", "system")
        .await
        .unwrap()
        .expect("an address was given");
    let mail_ids = mails_about(&app, number);
    assert_eq!(mail_ids.len(), 2);

    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = tls_files(dir.path());
    let port = free_port();
    let server = SmtpServer::start(&python, port, dir.path());
    let mut mailer =
        Mailer::with_security(app.node.clone(), &config(port), &security(PASSWORD, &cert)).unwrap();
    mailer.send_due().await;
    for id in &mail_ids {
        let mail = app.node.inspect(|s| s.outbox()[id].clone());
        assert_eq!(mail.last_error, None);
        assert!(mail.sent_at.is_some(), "the mail is marked sent");
    }
    let files = server.wait_for(2).await;
    assert_eq!(files.len(), 2);

    let shown = HumanNumber::from_serial(number).to_string();
    let digits = HumanNumber::from_serial(number).digits();
    let mut codes: Vec<String> = order["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    let mut recipients = Vec::new();
    for file in &files {
        let raw = std::fs::read(file).unwrap();
        let message = mail_parser::MessageParser::default()
            .parse(&raw)
            .expect("a MIME message");
        let subject = message.subject().unwrap_or_default();
        assert!(subject.contains(&shown), "{subject}");
        let to = message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap()
            .to_owned();
        let text = message.body_text(0).expect("a text part");
        let show_qr = if to == FRIEND {
            "Show the ticket's QR code"
        } else {
            "Покажіть QR-код"
        };
        assert!(text.contains(show_qr), "{to}: {text}");
        assert!(text.contains(&shown), "{text}");
        let html = message.body_html(0).expect("an HTML part");
        let mut inline = Vec::new();
        let mut pdfs = Vec::new();
        for part in &message.parts {
            let Some(kind) = part.content_type() else {
                continue;
            };
            match (kind.ctype(), kind.subtype()) {
                ("image", Some("png")) => {
                    let cid = part.content_id().expect("an inline image has a Content-ID");
                    assert!(html.contains(&format!("cid:{cid}")), "{cid} in {html}");
                    let image = image::load_from_memory(part.contents()).unwrap();
                    inline.extend(decode_qr(image));
                }
                ("application", Some("pdf")) => pdfs.push((
                    part.attachment_name().map(str::to_owned),
                    part.contents().to_vec(),
                )),
                _ => {}
            }
        }
        inline.sort();
        assert_eq!(inline, codes, "each ticket's QR code is inline in the HTML");
        assert_eq!(pdfs.len(), 1, "one PDF with all the tickets");
        let (name, pdf) = &pdfs[0];
        assert_eq!(
            name.as_deref(),
            Some(format!("tickets-{digits}.pdf").as_str())
        );
        assert!(pdf.starts_with(b"%PDF"));
        let pages = tempfile::tempdir().unwrap();
        let mut in_pdf = pdf_codes(pdf, pages.path());
        in_pdf.sort();
        assert_eq!(in_pdf, codes, "the PDF's QR codes are the tickets' codes");
        recipients.push(to);
    }
    recipients.sort();
    assert_eq!(recipients, [FRIEND, VISITOR]);
    for code in &codes {
        let scan = app.scan_code(&admin, code, "north-1").await;
        assert_eq!(scan["result"], "admit", "{scan}");
    }

    // Sent once: the outbox does not send them again.
    mailer.send_due().await;
    assert_eq!(server.messages().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_is_an_attempt_that_failed_and_the_mail_goes_once_fixed() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let app = TestApp::spawn(crate::kit::Backend::Sqlite).await;
    let admin = app.admin().await;
    let order = sell_with_email(&app, &admin, 1).await;
    let [mail_id] = <[String; 1]>::try_from(mails_about(&app, serial_of(&order))).unwrap();
    // An order cancelled after its mail was queued is never mailed.
    let cancelled = sell_with_email(&app, &admin, 1).await;
    let [void_mail] = <[String; 1]>::try_from(mails_about(&app, serial_of(&cancelled))).unwrap();
    let path = format!(
        "/api/v1/orders/{}/cancel",
        cancelled["number"].as_str().unwrap()
    );
    let (status, body) = app
        .post(
            &path,
            Some(&admin),
            serde_json::json!({"reason": "plans changed", "refund": true}),
        )
        .await;
    assert!(status.is_success(), "{body}");

    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = tls_files(dir.path());
    let port = free_port();
    let server = SmtpServer::start(&python, port, dir.path());
    let mut wrong =
        Mailer::with_security(app.node.clone(), &config(port), &security("wrong", &cert)).unwrap();
    wrong.send_due().await;
    let mail = app.node.inspect(|s| s.outbox()[&mail_id].clone());
    assert_eq!((mail.attempts, mail.sent_at), (1, None), "{mail:?}");
    let error = mail.last_error.expect("the failure is recorded");
    assert!(error.contains("535"), "the server's refusal: {error}");
    assert!(
        !error.contains(PASSWORD) && !error.contains("wrong"),
        "{error}"
    );
    assert!(server.messages().is_empty());

    let mut right =
        Mailer::with_security(app.node.clone(), &config(port), &security(PASSWORD, &cert)).unwrap();
    right.send_due().await;
    let mail = app.node.inspect(|s| s.outbox()[&mail_id].clone());
    assert!(mail.sent_at.is_some(), "{mail:?}");
    assert_eq!(mail.attempts, 2);
    assert_eq!(server.wait_for(1).await.len(), 1);

    let void = app.node.inspect(|s| s.outbox()[&void_mail].clone());
    assert_eq!(void.sent_at, None);
    assert_eq!(void.last_error.as_deref(), Some(aspk_mail::ORDER_CANCELLED));
    let attempts = void.attempts;
    right.send_due().await;
    let void = app.node.inspect(|s| s.outbox()[&void_mail].clone());
    assert_eq!(
        void.attempts, attempts,
        "a cancelled order's mail is refused once"
    );
    assert_eq!(
        server.messages().len(),
        1,
        "nothing but the paid order's mail"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_queued_while_smtp_is_down_arrives_once_after_a_restart() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (cert, _) = tls_files(dir.path());
    // The password from the data folder's `smtp-password` file (the default place).
    std::fs::write(data.join("smtp-password"), format!("{PASSWORD}\n")).unwrap();
    let port = free_port();
    let smtp = format!("localhost:{port}");
    let args = [
        "--smtp",
        smtp.as_str(),
        "--smtp-user",
        USER,
        "--smtp-ca",
        cert.to_str().unwrap(),
    ];

    // The sale, with the mail server down: the mail is queued and its attempt fails.
    let first = Process::serve(&data, &args).await;
    let http = reqwest::Client::new();
    let admin = crate::kit::admin_token(&http, &first.base).await;
    let now = chrono::Utc::now();
    let r = http
        .post(format!("{}/api/v1/venues/demo/slots", first.base))
        .bearer_auth(&admin)
        .json(&serde_json::json!({
            "starts_at": (now - chrono::Duration::minutes(10)).to_rfc3339(),
            "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
            "capacity": 10,
        }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let slot: Value = r.json().await.unwrap();
    let mut body = order_body("reduced", slot["id"].as_str(), 1, "box_office");
    body["email"] = VISITOR.into();
    let r = http
        .post(format!("{}/api/v1/orders", first.base))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let order: Value = r.json().await.unwrap();
    // Let the mailer try (nothing listens), then the process dies.
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.kill_9();

    // Restarted on the same data folder; then the mail server comes up.
    let _second = Process::serve(&data, &args).await;
    let server = SmtpServer::start(&python, port, dir.path());
    let files = server.wait_for(1).await;
    let raw = std::fs::read(&files[0]).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let shown = HumanNumber::parse(order["number"].as_str().unwrap())
        .unwrap()
        .to_string();
    assert!(message.subject().unwrap_or_default().contains(&shown));
    // Nothing more comes: the attempt that went through is recorded.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(server.messages().len(), 1, "exactly one message");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backlog_goes_out_concurrently_each_mail_once() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let app = TestApp::spawn(crate::kit::Backend::Sqlite).await;
    let admin = app.admin().await;
    let order = sell_with_email(&app, &admin, 1).await;
    let number = serial_of(&order);
    let who = app.node.authenticate(&admin).unwrap();
    const BACKLOG: usize = 200;
    let queued = futures::future::join_all((0..BACKLOG).map(|i| {
        let (node, who) = (app.node.clone(), who.clone());
        async move {
            node.queue_mail(&who, number, VISITOR, &format!("Mail {i}"), "Text")
                .await
                .unwrap()
        }
    }))
    .await;
    assert_eq!(queued.len(), BACKLOG);

    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = tls_files(dir.path());
    let port = free_port();
    let server = SmtpServer::start(&python, port, dir.path());
    let mut mailer =
        Mailer::with_security(app.node.clone(), &config(port), &security(PASSWORD, &cert)).unwrap();
    let started = std::time::Instant::now();
    mailer.send_due().await;
    let took = started.elapsed();
    // The sale's own confirmation (with its tickets) goes too.
    assert_eq!(server.wait_for(BACKLOG + 1).await.len(), BACKLOG + 1);
    // Reported, not asserted: how fast the outbox drains to a local server.
    eprintln!(
        "mail outbox: {BACKLOG} messages in {took:?} = {:.0} messages/s",
        BACKLOG as f64 / took.as_secs_f64()
    );
    let unsent = app.node.unsent_mail();
    assert!(unsent.is_empty(), "{} mails left unsent", unsent.len());
    mailer.send_due().await;
    assert_eq!(server.messages().len(), BACKLOG + 1, "each mail once");
}
