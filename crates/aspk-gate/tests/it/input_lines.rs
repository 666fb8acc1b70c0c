use std::time::Duration;

use aspk_gate::{lines_from, MAX_CODE_LEN};
use tokio::io::AsyncWriteExt;

use crate::{closed, next};

#[tokio::test]
async fn in_memory_reader_yields_trimmed_codes_and_closes_at_eof() {
    let data: &'static [u8] = b"  1234567890 \r\n\r\n\nABC-1\n\t\n 42";
    let mut rx = lines_from(data);
    assert_eq!(next(&mut rx).await, "1234567890");
    assert_eq!(next(&mut rx).await, "ABC-1");
    assert_eq!(
        next(&mut rx).await,
        "42",
        "a last line without a line end counts"
    );
    closed(&mut rx).await;
}

#[tokio::test]
async fn line_ends_split_across_reads_and_cr_only_scanners() {
    let (mut w, r) = tokio::io::duplex(64);
    let mut rx = lines_from(r);
    w.write_all(b"111\r").await.unwrap();
    // CR alone already ends the code: a CR-terminated scanner is not kept waiting.
    assert_eq!(next(&mut rx).await, "111");
    w.write_all(b"\n22").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    w.write_all(b"2\r\n333\r").await.unwrap();
    assert_eq!(next(&mut rx).await, "222");
    assert_eq!(next(&mut rx).await, "333");
    drop(w);
    closed(&mut rx).await;
}

#[tokio::test]
async fn over_long_garbage_is_dropped_and_reading_goes_on() {
    let (mut w, r) = tokio::io::duplex(4096);
    let mut rx = lines_from(r);
    let garbage = vec![b'7'; MAX_CODE_LEN * 3];
    let exact = "9".repeat(MAX_CODE_LEN);
    let writer = tokio::spawn(async move {
        w.write_all(b"before\n").await.unwrap();
        w.write_all(&garbage).await.unwrap();
        w.write_all(b"\nafter\n").await.unwrap();
        w.write_all(exact.as_bytes()).await.unwrap();
        w.write_all(b"\n").await.unwrap();
    });
    assert_eq!(next(&mut rx).await, "before");
    assert_eq!(next(&mut rx).await, "after");
    assert_eq!(
        next(&mut rx).await.len(),
        MAX_CODE_LEN,
        "exactly the cap is kept"
    );
    writer.await.unwrap();
    closed(&mut rx).await;
}
