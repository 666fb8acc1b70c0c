//! The internet cut as a real network failure: the cloud and the site node run in their own
//! network namespaces joined by a veth "cable", and the drill unplugs it (the far end loses
//! its carrier, so packets vanish without a reset: connections hang, as on a dead line).
//! Needs root and `ip netns` (Debian's iproute2); skipped with a note elsewhere, unless
//! `ASPK_REQUIRE_NETNS=1`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::kit::{admin_token, binary, order_body, Process};

/// Two namespaces, `c` (cloud) and `s` (site), each with a veth to this test's namespace,
/// and one veth between them: the line that gets cut.
struct Net {
    id: u32,
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Net {
    fn ns(&self, which: &str) -> String {
        format!("aspk{which}{}", self.id)
    }

    /// The address this test reaches a node at, and the cloud's address on the line.
    fn addr(&self, which: &str) -> String {
        let octet = self.id % 200 + 20;
        match which {
            "c" => format!("10.{octet}.1.2"),
            "s" => format!("10.{octet}.2.2"),
            _ => format!("10.{octet}.3.1"),
        }
    }

    fn up() -> Option<Net> {
        let net = Net {
            id: std::process::id() % 10_000,
        };
        let octet = net.id % 200 + 20;
        let (c, s) = (net.ns("c"), net.ns("s"));
        let steps: Vec<Vec<String>> = vec![
            vec!["netns".into(), "add".into(), c.clone()],
            vec!["netns".into(), "add".into(), s.clone()],
        ];
        for step in &steps {
            let args: Vec<&str> = step.iter().map(String::as_str).collect();
            if !ip(&args) {
                return None;
            }
        }
        let id = net.id;
        let links = [
            (
                format!("rc{id}"),
                format!("cr{id}"),
                None,
                c.clone(),
                format!("10.{octet}.1"),
            ),
            (
                format!("rs{id}"),
                format!("sr{id}"),
                None,
                s.clone(),
                format!("10.{octet}.2"),
            ),
            (
                format!("cs{id}"),
                format!("sc{id}"),
                Some(c.clone()),
                s.clone(),
                format!("10.{octet}.3"),
            ),
        ];
        for (a, b, a_ns, b_ns, subnet) in links {
            let ok = ip(&["link", "add", &a, "type", "veth", "peer", "name", &b])
                && ip(&["link", "set", &b, "netns", &b_ns])
                && a_ns
                    .as_ref()
                    .is_none_or(|ns| ip(&["link", "set", &a, "netns", ns]));
            let in_ns = |ns: &Option<String>, args: &[&str]| -> bool {
                match ns {
                    Some(ns) => {
                        let mut full = vec!["-n", ns.as_str()];
                        full.extend_from_slice(args);
                        ip(&full)
                    }
                    None => ip(args),
                }
            };
            let ok =
                ok && in_ns(
                    &a_ns,
                    &["addr", "add", &format!("{subnet}.1/24"), "dev", &a],
                ) && in_ns(&a_ns, &["link", "set", &a, "up"])
                    && ip(&[
                        "-n",
                        &b_ns,
                        "addr",
                        "add",
                        &format!("{subnet}.2/24"),
                        "dev",
                        &b,
                    ])
                    && ip(&["-n", &b_ns, "link", "set", &b, "up"])
                    && ip(&["-n", &b_ns, "link", "set", "lo", "up"]);
            if !ok {
                net.down();
                return None;
            }
        }
        Some(net)
    }

    /// Unplugs (or plugs back) the cable between the cloud and the site node.
    fn line(&self, connected: bool) {
        let state = if connected { "up" } else { "down" };
        assert!(ip(&[
            "-n",
            &self.ns("c"),
            "link",
            "set",
            &format!("cs{}", self.id),
            state
        ]));
    }

    fn down(&self) {
        ip(&["netns", "del", &self.ns("c")]);
        ip(&["netns", "del", &self.ns("s")]);
        for link in ["rc", "rs"] {
            ip(&["link", "del", &format!("{link}{}", self.id)]);
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.down();
    }
}

async fn start_in(net: &Net, which: &str, args: &[&str]) -> Process {
    let mut full = vec![
        "netns".to_owned(),
        "exec".to_owned(),
        net.ns(which),
        binary().to_owned(),
    ];
    full.extend(args.iter().map(|a| a.to_string()));
    let child = Command::new("ip")
        .args(&full)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://{}:8080", net.addr(which));
    let process = Process { child, base };
    for _ in 0..400 {
        if reqwest::get(format!("{}/healthz", process.base))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return process;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("aspk {args:?} did not become healthy in namespace {which}");
}

async fn call(
    http: &reqwest::Client,
    token: &str,
    method: &str,
    url: String,
    body: Option<Value>,
) -> Value {
    let req = if method == "POST" {
        http.post(url)
    } else {
        http.get(url)
    };
    let req = req.bearer_auth(token);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    req.send().await.unwrap().json().await.unwrap()
}

async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_line_between_cloud_and_site_node() {
    let Some(net) = Net::up() else {
        assert!(
            std::env::var("ASPK_REQUIRE_NETNS").is_err(),
            "network namespaces are required (ASPK_REQUIRE_NETNS) but `ip netns` failed"
        );
        aspk_testkit::skip(
            "network-namespace drill",
            "it needs root and `ip netns` (iproute2)",
            "run the tests as root with iproute2 installed",
        );
        return;
    };
    let (cdir, sdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let _cloud = start_in(
        &net,
        "c",
        &[
            "serve",
            "--demo",
            "--data",
            cdir.path().to_str().unwrap(),
            "--listen",
            "0.0.0.0:8080",
        ],
    )
    .await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let cbase = format!("http://{}:8080", net.addr("c"));
    let ctoken = admin_token(&http, &cbase).await;
    let now = chrono::Utc::now();
    let slot = call(&http, &ctoken, "POST", format!("{cbase}/api/v1/venues/demo/slots"),
        Some(json!({"starts_at": (now - chrono::Duration::minutes(5)).to_rfc3339(), "ends_at": (now + chrono::Duration::hours(2)).to_rfc3339(), "capacity": 40}))).await;
    let slot = slot["id"].as_str().unwrap().to_owned();
    let code = call(
        &http,
        &ctoken,
        "POST",
        format!("{cbase}/api/v1/enrolments"),
        Some(json!({"role": "site_node", "venue": "demo"})),
    )
    .await;
    let upstream = format!("http://{}:8080", net.addr("line"));
    let _site = start_in(
        &net,
        "s",
        &[
            "serve",
            "--data",
            sdir.path().to_str().unwrap(),
            "--listen",
            "0.0.0.0:8080",
            "--upstream",
            &upstream,
            "--enrol",
            code["code"].as_str().unwrap(),
            "--lease-seats",
            "10",
        ],
    )
    .await;
    let sbase = format!("http://{}:8080", net.addr("s"));
    // The cloud's session holds at the site node too.
    let stoken = ctoken.clone();
    let has = |base: String, token: String, number: String| {
        let http = http.clone();
        async move {
            http.get(format!("{base}/api/v1/orders/{number}"))
                .bearer_auth(token)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        }
    };
    within(Duration::from_secs(10), "site node leases seats", || {
        let (http, sbase, stoken, slot) =
            (http.clone(), sbase.clone(), stoken.clone(), slot.clone());
        async move {
            let s = call(
                &http,
                &stoken,
                "GET",
                format!("{sbase}/api/v1/status"),
                None,
            )
            .await;
            s["leases"].as_array().is_some_and(|l| {
                l.iter()
                    .any(|x| x["slot"] == slot.as_str() && x["left"].as_u64() > Some(0))
            })
        }
    })
    .await;
    let online = call(
        &http,
        &ctoken,
        "POST",
        format!("{cbase}/api/v1/orders"),
        Some(order_body("adult", Some(&slot), 1, "online")),
    )
    .await;
    let online_no = online["number"].as_str().unwrap().to_owned();
    within(
        Duration::from_secs(2),
        "the online order reaches the site node",
        || has(sbase.clone(), stoken.clone(), online_no.clone()),
    )
    .await;

    // The cable is pulled: no resets, packets just vanish.
    net.line(false);
    let local = call(
        &http,
        &stoken,
        "POST",
        format!("{sbase}/api/v1/orders"),
        Some(order_body("adult", Some(&slot), 2, "box_office")),
    )
    .await;
    let local_no = local["number"]
        .as_str()
        .expect("the site node sells from its lease")
        .to_owned();
    let scan = call(
        &http,
        &stoken,
        "POST",
        format!("{sbase}/api/v1/scans"),
        Some(json!({"code": online["tickets"][0]["code"], "gate": "site"})),
    )
    .await;
    assert_eq!(scan["result"], "admit", "{scan}");
    let noticed = within(
        Duration::from_secs(15),
        "the site node reports the upstream unreachable",
        || {
            let (http, sbase, stoken) = (http.clone(), sbase.clone(), stoken.clone());
            async move {
                call(
                    &http,
                    &stoken,
                    "GET",
                    format!("{sbase}/api/v1/status"),
                    None,
                )
                .await["upstream"]["reachable"]
                    == false
            }
        },
    )
    .await;
    println!("a dead line noticed after {noticed:?}");
    assert!(!has(cbase.clone(), ctoken.clone(), local_no.clone()).await);

    net.line(true);
    let took = within(
        Duration::from_secs(20),
        "the cloud has the sale and the entry",
        || {
            let (http, cbase, ctoken, local_no, online_no) = (
                http.clone(),
                cbase.clone(),
                ctoken.clone(),
                local_no.clone(),
                online_no.clone(),
            );
            async move {
                let l = call(
                    &http,
                    &ctoken,
                    "GET",
                    format!("{cbase}/api/v1/orders/{local_no}"),
                    None,
                )
                .await;
                let o = call(
                    &http,
                    &ctoken,
                    "GET",
                    format!("{cbase}/api/v1/orders/{online_no}"),
                    None,
                )
                .await;
                l["number"].is_string() && o["tickets"][0]["status"] == "used"
            }
        },
    )
    .await;
    println!("caught up {took:?} after the line came back");
}
