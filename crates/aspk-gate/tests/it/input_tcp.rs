use std::net::SocketAddr;
use std::time::Duration;

use aspk_gate::input::tcp;
use aspk_gate::{spawn_input, InputError, InputSpec};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::{next, quiet};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[tokio::test]
async fn two_scanners_crlf_and_blank_lines() {
    let (addr, mut rx) = tcp::spawn(loopback()).unwrap();
    assert_ne!(addr.port(), 0);

    let mut a = TcpStream::connect(addr).await.unwrap();
    let mut b = TcpStream::connect(addr).await.unwrap();
    a.write_all(b"1001\r\n\r\n").await.unwrap();
    assert_eq!(next(&mut rx).await, "1001");
    b.write_all(b"\n  2002  \r\n").await.unwrap();
    assert_eq!(next(&mut rx).await, "2002");
    // Interleaved partial lines from both stay separate per connection.
    a.write_all(b"30").await.unwrap();
    b.write_all(b"40").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.write_all(b"03\r\n").await.unwrap();
    assert_eq!(next(&mut rx).await, "3003");
    b.write_all(b"04\n").await.unwrap();
    assert_eq!(next(&mut rx).await, "4004");
    // A scanner that disconnects mid-line still delivers its last code…
    a.write_all(b"5005").await.unwrap();
    drop(a);
    assert_eq!(next(&mut rx).await, "5005");
    // …and the listener keeps serving the others and new ones.
    b.write_all(b"6006\n").await.unwrap();
    assert_eq!(next(&mut rx).await, "6006");
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"7007\n\n\n").await.unwrap();
    assert_eq!(next(&mut rx).await, "7007");
    quiet(&mut rx).await;
}

#[tokio::test]
async fn spawn_input_listens_on_the_given_address() {
    // Find a free port, release it, and let spawn_input bind it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spec: InputSpec = format!("tcp:127.0.0.1:{port}").parse().unwrap();
    let mut rx = spawn_input(spec).unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(b"123456\r\n").await.unwrap();
    assert_eq!(next(&mut rx).await, "123456");
}

#[tokio::test]
async fn address_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = spawn_input(InputSpec::Tcp(addr)).unwrap_err();
    assert!(matches!(err, InputError::Bind { .. }), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    let err = spawn_input(InputSpec::Tcp(loopback())).unwrap_err();
    assert!(matches!(err, InputError::NoRuntime), "{err:?}");
}
