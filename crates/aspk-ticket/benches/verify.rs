//! Throughput of `verify` (one signature check per call), with `peek`
//! (parsing only) and `issue` for comparison.
//!
//! Run: `cargo bench -p aspk-ticket --bench verify`

use aspk_ticket::{issue, peek, verify, IssuerKey, KeyRing, TicketClaims, Validity};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let key = IssuerKey::from_bytes(1, &[7; 32]);
    let ring: KeyRing = [key.public()].into_iter().collect();
    let claims = TicketClaims {
        serial: 48_210_937_552,
        venue: 1,
        product: 12,
        validity: Validity::Window {
            from_unix: 1_779_098_400,
            until_unix: 1_779_103_800,
        },
        needs_document_check: false,
    };
    let code = match issue(&claims, &key) {
        Ok(code) => code,
        Err(e) => panic!("issue failed: {e}"),
    };
    assert!(verify(&code, &ring).is_ok());

    let mut group = c.benchmark_group("ticket_code");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify", |b| b.iter(|| verify(black_box(&code), &ring)));
    group.bench_function("peek", |b| b.iter(|| peek(black_box(&code))));
    group.bench_function("issue", |b| b.iter(|| issue(black_box(&claims), &key)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
