//! The security review's attacks, one test each, against the real `aspk` binary on loopback
//! (docs/security.md names each attack and its defence). Each of these worked before the
//! trust model: a device could make itself an organisation admin, publish keys, write
//! under the cloud's origin, move its clock, mint sessions with a site node's ticket key,
//! read staff password hashes, or mark tickets used that were never sold.
//!
//! (Slow-loris, CSV injection, rate limits, per-source lockout and folder permissions are in
//! `hardening.rs`; tampering with the failover handoff, in headless Chromium, in
//! `web/tests/staff-failover.test.mjs`.)

use std::time::Duration;

use aspk_oplog::{Hlc, Op, OpBody};
use aspk_ticket::IssuerKey;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::kit::{admin_token, Process};

/// A cloud (`aspk serve --demo`) and an admin session at it.
struct Cloud {
    process: Process,
    http: reqwest::Client,
    admin: String,
    _dir: tempfile::TempDir,
}

impl Cloud {
    async fn start() -> Cloud {
        let dir = tempfile::tempdir().unwrap();
        let process = Process::serve(dir.path(), &[]).await;
        let http = reqwest::Client::new();
        let admin = admin_token(&http, &process.base).await;
        Cloud {
            process,
            http,
            admin,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.process.base)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Enrols a node of `role` for venue `demo` presenting `key` (hex public key); returns
    /// the redeem answer and the origin used.
    async fn enrol(&self, role: &str, key: Option<&IssuerKey>) -> (Value, String) {
        let (status, code) = self
            .call(
                "POST",
                "/api/v1/enrolments",
                Some(&self.admin),
                Some(json!({"role": role, "venue": "demo"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{code}");
        let origin = format!("{}-{}", role.replace('_', "-"), rand::random::<u32>());
        let public = key.map(|k| aspk_app::to_hex(&k.public().to_bytes()));
        let body =
            json!({"code": code["code"], "name": role, "origin": origin, "public_key": public});
        let (status, r) = self
            .call("POST", "/api/v1/enrolments/redeem", None, Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        (r, origin)
    }

    async fn push(&self, token: &str, ops: Vec<Op>) -> (StatusCode, Value) {
        self.call(
            "POST",
            "/api/v1/sync/push",
            Some(token),
            Some(json!({"ops": ops})),
        )
        .await
    }

    async fn sync_status(&self, token: &str) -> Value {
        let (status, s) = self
            .call("GET", "/api/v1/sync/status", Some(token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{s}");
        s
    }

    async fn findings(&self) -> Vec<Value> {
        let (_, f) = self
            .call("GET", "/api/v1/findings", Some(&self.admin), None)
            .await;
        f.as_array().cloned().unwrap_or_default()
    }

    /// The order `number` as the admin sees it.
    async fn order(&self, number: &str) -> Value {
        let path = format!("/api/v1/orders/{number}");
        let (status, got) = self.call("GET", &path, Some(&self.admin), None).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        got
    }

    async fn has_finding(&self, id: &str) -> bool {
        self.findings().await.iter().any(|f| f["id"] == id)
    }

    async fn sign_in(&self, user: &str, password: &str) -> StatusCode {
        self.call(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(json!({"username": user, "password": password})),
        )
        .await
        .0
    }
}

/// A slot of venue `demo` open now.
async fn open_slot(cloud: &Cloud) -> String {
    let now = chrono::Utc::now();
    let body = json!({
        "starts_at": (now - chrono::Duration::minutes(10)).to_rfc3339(),
        "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
        "capacity": 50,
    });
    let (status, slot) = cloud
        .call(
            "POST",
            "/api/v1/venues/demo/slots",
            Some(&cloud.admin),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{slot}");
    slot["id"].as_str().unwrap().to_owned()
}

fn now() -> Hlc {
    Hlc::from_parts(
        u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap(),
        0,
    )
}

/// An op of `origin` numbered `seq`, signed with `key` under `key_id` unless `key` is none.
fn op(origin: &str, seq: u64, actor: &str, body: OpBody, key: Option<(&IssuerKey, u16)>) -> Op {
    let mut op = Op {
        origin: origin.into(),
        seq,
        hlc: now(),
        actor: actor.into(),
        body,
        sig: None,
    };
    if let Some((key, id)) = key {
        op.sign_with(id, |m| key.sign_detached(m));
    }
    op
}

fn admin_account(name: &str) -> OpBody {
    OpBody::UserSaved(aspk_domain::User {
        username: aspk_domain::Username::parse(name).unwrap(),
        role: aspk_domain::Role::Admin,
        password_hash: String::new(),
        is_active: true,
        generation: 1,
        lang: None,
        venue: None,
    })
}

/// An argon2id hash of `password`, as a password op would carry it.
fn hash_of(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_cannot_replicate_and_a_gate_cannot_make_an_admin() {
    let cloud = Cloud::start().await;
    let (phone, _) = cloud.enrol("scanner", None).await;
    let phone = phone["token"].as_str().unwrap();
    let mallory = admin_account("mallory");
    let password = OpBody::PasswordSet {
        username: aspk_domain::Username::parse("mallory").unwrap(),
        password_hash: hash_of("mallory's pass"),
    };
    // A phone gets the device API, never the log: no push, no pull.
    let unsigned = op("made-up-origin-1", 1, "system:cli", mallory.clone(), None);
    let (status, _) = cloud.push(phone, vec![unsigned.clone()]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = cloud
        .call("GET", "/api/v1/sync/pull", Some(phone), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A gate (holding its own key): unsigned, it is refused as forged; signed, it is stored
    // but not applied, as a gate may not write accounts.
    let key = IssuerKey::from_bytes(0, &[41; 32]);
    let (gate, origin) = cloud.enrol("gate", Some(&key)).await;
    let gate = gate["token"].as_str().unwrap();
    let (status, r) = cloud.push(gate, vec![unsigned]).await;
    assert_eq!(
        (status, r["refused"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{r}"
    );
    assert!(cloud.has_finding("forged_op:made-up-origin-1:1").await);
    let ops = vec![
        op(&origin, 1, "system:cli", mallory, Some((&key, 0))),
        op(&origin, 2, "system:cli", password, Some((&key, 0))),
    ];
    let (status, r) = cloud.push(gate, ops).await;
    assert_eq!(
        (status, r["applied"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{r}"
    );
    assert_eq!(
        cloud.sign_in("mallory", "mallory's pass").await,
        StatusCode::UNAUTHORIZED
    );
    for seq in [1, 2] {
        assert!(
            cloud
                .has_finding(&format!("unauthorised_op:{origin}:{seq}"))
                .await
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gate_cannot_publish_a_root_key_nor_mint_tickets_or_sessions_with_one() {
    let cloud = Cloud::start().await;
    let key = IssuerKey::from_bytes(0, &[42; 32]);
    let (gate, origin) = cloud.enrol("gate", Some(&key)).await;
    let gate = gate["token"].as_str().unwrap();
    let rogue = IssuerKey::from_bytes(77, &[77; 32]);
    let publish = OpBody::KeyPublished {
        key_id: 77,
        public_key: aspk_app::to_hex(&rogue.public().to_bytes()),
        holder: None,
        serials: Some(aspk_app::CLOUD_SERIALS),
        valid_from: None,
        valid_until: None,
    };
    // Unsigned, self-signed, and signed with the gate's own key.
    let (_, r) = cloud
        .push(
            gate,
            vec![op("evil-origin-1", 1, "system", publish.clone(), None)],
        )
        .await;
    assert_eq!(r["refused"], 1, "{r}");
    let (_, r) = cloud
        .push(
            gate,
            vec![op(
                "evil-origin-2",
                1,
                "system",
                publish.clone(),
                Some((&rogue, 77)),
            )],
        )
        .await;
    assert_eq!(r["held"], 1, "a key nobody vouched for signs nothing: {r}");
    let (_, r) = cloud
        .push(
            gate,
            vec![op(&origin, 1, "system", publish, Some((&key, 0)))],
        )
        .await;
    assert_eq!(r["applied"], 1, "{r}");
    assert!(
        cloud
            .has_finding(&format!("unauthorised_op:{origin}:1"))
            .await
    );
    // A ticket code the rogue key signed for a serial never sold is not admitted.
    let claims = aspk_ticket::TicketClaims {
        serial: aspk_app::CLOUD_SERIALS.0 + 12345,
        venue: 1,
        product: 1,
        validity: aspk_ticket::Validity::Window {
            from_unix: chrono::Utc::now().timestamp() - 60,
            until_unix: chrono::Utc::now().timestamp() + 3600,
        },
        needs_document_check: false,
    };
    let code = aspk_ticket::issue(&claims, &rogue).unwrap();
    let (status, scan) = cloud
        .call(
            "POST",
            "/api/v1/scans",
            Some(&cloud.admin),
            Some(json!({"code": code, "gate": "main"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(scan["result"], "invalid");
    // Nor a session the rogue key signed (old or new token form).
    let body = format!("v2.YWRtaW4.1.{}.77", chrono::Utc::now().timestamp() + 3600);
    let sig = rogue.sign_detached(&[b"aspk/session/v2\0".as_slice(), body.as_bytes()].concat());
    use base64::Engine;
    let token = format!(
        "{body}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig)
    );
    let (status, _) = cloud
        .call("GET", "/api/v1/findings", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A node enrolled afterwards is given the organisation's root key alone as its anchor.
    let (site, _) = cloud
        .enrol("site_node", Some(&IssuerKey::from_bytes(0, &[48; 32])))
        .await;
    let anchors = site["trust_anchors"].as_array().unwrap();
    assert_eq!(anchors.len(), 1, "{anchors:?}");
    assert_eq!(anchors[0]["key_id"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_writes_under_the_clouds_origin_and_its_next_op_is_kept() {
    let cloud = Cloud::start().await;
    let key = IssuerKey::from_bytes(0, &[43; 32]);
    let (gate, _) = cloud.enrol("gate", Some(&key)).await;
    let gate = gate["token"].as_str().unwrap();
    let status = cloud.sync_status(gate).await;
    let own = status["origin"].as_str().unwrap().to_owned();
    let next = status["vv"][&own].as_u64().unwrap() + 1;
    // Unsigned, and signed with the gate's key, under the cloud's origin and next number.
    for signed in [None, Some((&key, 0))] {
        let hijack = op(&own, next, "system:cli", admin_account("hijacker"), signed);
        let (_, r) = cloud.push(gate, vec![hijack]).await;
        assert_eq!(r["refused"], 1, "{r}");
    }
    assert!(cloud.has_finding(&format!("forged_op:{own}:{next}")).await);
    // The cloud's next genuine op (a visitor's question) is taken and kept.
    let question = json!({"venue": "demo", "name": "Olha", "email": "olha@example.org", "subject": "Hours", "body": "Open on Monday?"});
    let (status, made) = cloud
        .call("POST", "/api/v1/requests", None, Some(question))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    // In the cloud's log, its own number `next` holds its own op, and the question came after.
    let (_, pulled) = cloud
        .call("GET", "/api/v1/sync/pull?limit=5000", Some(gate), None)
        .await;
    let own_ops: Vec<&Value> = pulled["ops"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["origin"] == own.as_str())
        .collect();
    let at_next = own_ops
        .iter()
        .find(|o| o["seq"] == next)
        .expect("the number is used");
    assert_eq!(at_next["actor"], "system:replication", "{at_next}");
    // (A gate gets the question as an elision: it is none of its business.)
    assert!(own_ops.iter().any(|o| o["seq"].as_u64() > Some(next)));
    let planted = own_ops
        .iter()
        .any(|o| o["body"]["type"] == "user_saved" && o["body"]["username"] == "hijacker");
    assert!(!planted);
    let (_, list) = cloud
        .call("GET", "/api/v1/findings", Some(&cloud.admin), None)
        .await;
    assert!(!list.to_string().contains("equivocation"), "{list}");
    assert_eq!(
        cloud.sign_in("hijacker", "x").await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_op_from_the_far_future_is_held_and_moves_no_clock() {
    let cloud = Cloud::start().await;
    let key = IssuerKey::from_bytes(0, &[44; 32]);
    let (gate, origin) = cloud.enrol("gate", Some(&key)).await;
    let gate = gate["token"].as_str().unwrap();
    let scan = OpBody::ScanDenied {
        serial: 1,
        gate: "north".into(),
        at: chrono::Utc::now(),
        reason: "expired".into(),
    };
    let mut poisoned = op(&origin, 1, &format!("node:{origin}"), scan, None);
    poisoned.hlc = Hlc((1 << 63) - 3);
    poisoned.sign_with(0, |m| key.sign_detached(m));
    let (_, r) = cloud.push(gate, vec![poisoned]).await;
    assert_eq!(r["held"], 1, "{r}");
    assert!(cloud.has_finding(&format!("held_op:{origin}:1")).await);
    // The cloud's later ops carry today's time.
    let slot = open_slot(&cloud).await;
    let (status, order) = cloud
        .call(
            "POST",
            "/api/v1/orders",
            Some(&cloud.admin),
            Some(crate::kit::order_body(
                "adult",
                Some(&slot),
                1,
                "box_office",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let number = order["number"].as_str().unwrap();
    let got = cloud.order(number).await;
    let created = got["created_at"].as_str().unwrap();
    assert!(
        created.starts_with(&chrono::Utc::now().format("%Y-").to_string()),
        "{created}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_nodes_key_mints_no_session_for_the_organisations_admin() {
    let cloud = Cloud::start().await;
    // We are the site node: we hold its delegated key and its replication token.
    let delegated = IssuerKey::from_bytes(0, &[45; 32]);
    let (site, origin) = cloud.enrol("site_node", Some(&delegated)).await;
    let token = site["token"].as_str().unwrap();
    let key_id = u16::try_from(site["key_id"].as_u64().unwrap()).unwrap();
    let delegated = IssuerKey::from_bytes(key_id, &[45; 32]);
    // A v2 token signed with the site's ticket key, as sessions were before.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let body = format!(
        "v2.YWRtaW4.1.{}.{key_id}",
        chrono::Utc::now().timestamp() + 3600
    );
    let sig = delegated.sign_detached(&[b"aspk/session/v2\0".as_slice(), body.as_bytes()].concat());
    let old = format!("{body}.{}", b64.encode(sig));
    assert_eq!(
        cloud
            .call("GET", "/api/v1/findings", Some(&old), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // The site node publishes a session key of its own (it may), then mints sessions.
    let session = IssuerKey::from_bytes(0, &[46; 32]);
    let session_hex = aspk_app::to_hex(&session.public().to_bytes());
    let publish = OpBody::SessionKeyPublished {
        public_key: session_hex.clone(),
    };
    let (_, r) = cloud
        .push(
            token,
            vec![op(
                &origin,
                1,
                "system",
                publish,
                Some((&delegated, key_id)),
            )],
        )
        .await;
    assert_eq!(r["applied"], 1, "{r}");
    let kid = aspk_oplog::session_key_id(&session_hex);
    let mint = |name: &str| {
        let now = chrono::Utc::now().timestamp();
        let body = format!(
            "v3.sid{}.{}.1.{}.{now}.{kid}",
            rand::random::<u32>(),
            b64.encode(name),
            now + 600
        );
        let sig =
            session.sign_detached(&[b"aspk/session/v3\0".as_slice(), body.as_bytes()].concat());
        format!("{body}.{}", b64.encode(sig))
    };
    // Not for the organisation's admin...
    assert_eq!(
        cloud
            .call("GET", "/api/v1/findings", Some(&mint("admin")), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // ...only for its own venue's staff, and only with the role they hold now.
    let body = json!({"username": "olena", "password": "correct horse", "role": "cashier", "venue": "demo"});
    assert_eq!(
        cloud
            .call("POST", "/api/v1/users", Some(&cloud.admin), Some(body))
            .await
            .0,
        StatusCode::CREATED
    );
    let olena = mint("olena");
    assert_eq!(
        cloud
            .call("GET", "/api/v1/catalog?venue=demo", Some(&olena), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        cloud
            .call("GET", "/api/v1/findings", Some(&olena), None)
            .await
            .0,
        StatusCode::FORBIDDEN,
        "a cashier"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_gate_or_phone_receives_holds_no_secret() {
    let cloud = Cloud::start().await;
    // Things with secrets: a venue manager's password, a visitor's e-mail, an open code.
    let body = json!({"username": "olena", "password": "correct horse", "role": "manager", "venue": "demo"});
    assert_eq!(
        cloud
            .call("POST", "/api/v1/users", Some(&cloud.admin), Some(body))
            .await
            .0,
        StatusCode::CREATED
    );
    let slot = open_slot(&cloud).await;
    let mut sale = crate::kit::order_body("adult", Some(&slot), 1, "box_office");
    sale["email"] = json!("visitor@example.org");
    assert_eq!(
        cloud
            .call("POST", "/api/v1/orders", Some(&cloud.admin), Some(sale))
            .await
            .0,
        StatusCode::CREATED
    );
    let (_, code) = cloud
        .call(
            "POST",
            "/api/v1/enrolments",
            Some(&cloud.admin),
            Some(json!({"role": "scanner", "venue": "demo"})),
        )
        .await;
    assert_eq!(code["code"].as_str().unwrap().len(), 10, "a phone's code");
    let key = IssuerKey::from_bytes(0, &[47; 32]);
    let (gate, _) = cloud.enrol("gate", Some(&key)).await;
    let gate = gate["token"].as_str().unwrap();
    let (status, pulled) = cloud
        .call("GET", "/api/v1/sync/pull?limit=5000", Some(gate), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let ops = pulled["ops"].as_array().unwrap();
    let kind = |op: &Value| op["body"]["type"].as_str().unwrap_or_default().to_owned();
    for op in ops {
        let k = kind(op);
        assert!(
            !["password_set", "order_contact", "enrolment_created"].contains(&k.as_str()),
            "a gate gets {k} in full: {op}"
        );
        if k == "user_saved" {
            assert!(op["body"].get("password_hash").is_none(), "{op}");
        }
    }
    let text = pulled.to_string();
    assert!(!text.contains("visitor@example.org"));
    assert!(
        ops.iter().any(|op| kind(op) == "order_placed"),
        "it gets the sales, without contacts"
    );
    assert!(
        ops.iter().any(|op| kind(op) == "elided"),
        "and the rest as elisions"
    );
    // A phone gets its ticket feed: no hashes, no e-mails.
    let (phone, _) = cloud.enrol("scanner", None).await;
    let (status, feed) = cloud
        .call("GET", "/api/v1/device/feed", phone["token"].as_str(), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = feed.to_string();
    assert!(!text.contains("$argon2") && !text.contains("visitor@example.org"));
    // Site node codes are 16 digits, stored as salted argon2id hashes.
    let (_, long) = cloud
        .call(
            "POST",
            "/api/v1/enrolments",
            Some(&cloud.admin),
            Some(json!({"role": "site_node", "venue": "demo"})),
        )
        .await;
    assert_eq!(long["code"].as_str().unwrap().len(), 16);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phones_claimed_entry_of_an_unsold_or_not_yet_valid_ticket_marks_nothing() {
    let cloud = Cloud::start().await;
    let (phone, _) = cloud.enrol("scanner", None).await;
    let phone = phone["token"].as_str().unwrap();
    // Tomorrow's ticket, and a serial never sold.
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let (status, slot) = cloud
        .call(
            "POST",
            "/api/v1/venues/demo/slots",
            Some(&cloud.admin),
            Some(json!({"starts_at": tomorrow.to_rfc3339(), "ends_at": (tomorrow + chrono::Duration::hours(1)).to_rfc3339(), "capacity": 10})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{slot}");
    let (_, order) = cloud
        .call(
            "POST",
            "/api/v1/orders",
            Some(&cloud.admin),
            Some(crate::kit::order_body(
                "adult",
                slot["id"].as_str(),
                1,
                "box_office",
            )),
        )
        .await;
    let ticket = &order["tickets"][0];
    let serial: u64 = ticket["number"].as_str().unwrap()[..11].parse().unwrap();
    let never = aspk_app::CLOUD_SERIALS.0 + 424_242;
    let at_ms = chrono::Utc::now().timestamp_millis();
    let scans = json!({"scans": [
        {"seq": 1, "at_ms": at_ms, "serial": serial, "result": "admit"},
        {"seq": 2, "at_ms": at_ms, "serial": never, "result": "admit"},
    ]});
    let (status, r) = cloud
        .call("POST", "/api/v1/device/scans", Some(phone), Some(scans))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        r["held"], 2,
        "both recorded (as refusals), the queue moves on"
    );
    let number = order["number"].as_str().unwrap();
    let got = cloud.order(number).await;
    assert_eq!(got["tickets"][0]["status"], "valid", "{got}");
    let unverified: Vec<Value> = cloud
        .findings()
        .await
        .into_iter()
        .filter(|f| f["kind"] == "unverified_entry")
        .collect();
    assert_eq!(unverified.len(), 2, "{unverified:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_ends_the_session_at_every_node() {
    let cloud = Cloud::start().await;
    let (code_status, code) = cloud
        .call(
            "POST",
            "/api/v1/enrolments",
            Some(&cloud.admin),
            Some(json!({"role": "site_node", "venue": "demo"})),
        )
        .await;
    assert_eq!(code_status, StatusCode::CREATED);
    let sdir = tempfile::tempdir().unwrap();
    let site = crate::drills::site(
        sdir.path(),
        0,
        &cloud.process.base,
        code["code"].as_str(),
        5,
    )
    .await;
    let token = admin_token(&cloud.http, &cloud.process.base).await;
    let at_site = |t: String| {
        let (http, base) = (cloud.http.clone(), site.base.clone());
        async move {
            http.get(format!("{base}/api/v1/findings"))
                .bearer_auth(t)
                .send()
                .await
                .map(|r| r.status())
                .unwrap_or(StatusCode::BAD_GATEWAY)
        }
    };
    crate::drills::within(
        Duration::from_secs(10),
        "the cloud's session holds at the site node",
        || async { at_site(token.clone()).await == StatusCode::OK },
    )
    .await;
    let (status, _) = cloud
        .call("POST", "/api/v1/auth/sign-out", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        cloud
            .call("GET", "/api/v1/findings", Some(&token), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    crate::drills::within(
        Duration::from_secs(10),
        "the sign-out reaches the site node",
        || async { at_site(token.clone()).await == StatusCode::UNAUTHORIZED },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_token_is_never_in_a_page() {
    let cloud = Cloud::start().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = crate::kit::sign_in_form(&http, &cloud.url("/"), "admin", "demo").await;
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("aspk_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = cookie.trim_start_matches("aspk_session=").to_owned();
    let session_id = token.split('.').nth(1).unwrap().to_owned();
    for path in ["/box-office", "/orders", "/status", "/settings", "/reports"] {
        let page = http
            .get(cloud.url(path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("<main"), "{path}");
        assert!(
            !page.contains(&token) && !page.contains(&session_id),
            "{path} shows the session"
        );
    }
}
