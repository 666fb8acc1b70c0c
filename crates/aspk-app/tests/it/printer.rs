//! The printer sender against real loopback sockets: bytes arrive unchanged, a closed port
//! or a printer that stops reading fails fast and clearly, a bad address is a
//! configuration error.

use std::time::{Duration, Instant};

use aspk_app::{send_to_printer, PrintError, PRINTER_OFFLINE};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

#[tokio::test]
async fn send_delivers_the_bytes_exactly() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let mut got = Vec::new();
        sock.read_to_end(&mut got).await.expect("read");
        got
    });
    // A job of a few hundred KB: every byte value, many times over.
    let job: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    send_to_printer(&addr, &job, Duration::from_secs(10))
        .await
        .expect("send");
    let got = server.await.expect("server task");
    assert_eq!(got.len(), job.len());
    assert!(got == job, "bytes arrive unchanged");
}

#[tokio::test]
async fn send_to_a_closed_port_fails_fast_and_clearly() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr").port()
    };
    let started = Instant::now();
    let err = send_to_printer(
        &format!("127.0.0.1:{port}"),
        b"\x1b@",
        Duration::from_secs(5),
    )
    .await
    .expect_err("nobody listens");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, PrintError::Refused { .. }), "{err:?}");
    assert!(err.is_offline());
    assert!(err.to_string().starts_with(PRINTER_OFFLINE), "{err}");
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}

#[tokio::test]
async fn send_times_out_when_the_printer_stops_reading() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    // Accepts, then never reads (a printer out of paper): the socket buffers fill up.
    let server = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.expect("accept");
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(sock);
    });
    let big = vec![0u8; 64 << 20];
    let started = Instant::now();
    let err = send_to_printer(&addr, &big, Duration::from_millis(300))
        .await
        .expect_err("stalls");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(
        matches!(
            err,
            PrintError::Timeout {
                stage: "sending",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with(PRINTER_OFFLINE), "{err}");
    server.abort();
}

#[tokio::test]
async fn bad_addresses_are_configuration_errors() {
    for addr in ["", "   ", "printer:port", "1.2.3.4:99999"] {
        let err = send_to_printer(addr, b"x", Duration::from_secs(2))
            .await
            .expect_err(addr);
        assert!(
            matches!(err, PrintError::BadAddress { .. }),
            "{addr:?}: {err:?}"
        );
        assert!(!err.is_offline());
    }
}
