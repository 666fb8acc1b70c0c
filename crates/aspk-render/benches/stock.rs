//! Time to render a stock batch of 1,000 paper tickets (125 A4 sheets of 8, or
//! 1,000 pages of one) as one print-ready PDF.
//!
//! Run: `cargo bench -p aspk-render --bench stock`

use aspk_render::{stock_pdf, StockLayout, StockTicketDoc};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

/// A 202-digit code (the longest aspk issues) that differs per ticket.
fn code(n: usize) -> String {
    let mut x = n as u64 ^ 0x9e37_79b9_7f4a_7c15;
    (0..202)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b'0' + ((x >> 33) % 10) as u8)
        })
        .collect()
}

fn batch(count: usize) -> Vec<StockTicketDoc> {
    (1..=count)
        .map(|n| StockTicketDoc {
            code: code(n),
            series: "А".into(),
            number: format!("{n:04}"),
            ticket_number: format!("2000 0000 {n:04}"),
            title: "Квиток / Ticket".into(),
            venue: "Демо-музей / Demo museum".into(),
            lines: vec![
                ("Категорія / Category".into(), "будь-яка / any".into()),
                ("Дійсний / Valid".into(), "до 31.12.2026".into()),
            ],
            stamp_label: "Штамп каси / Cashier's stamp".into(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tickets = batch(1000);
    let mut group = c.benchmark_group("stock_pdf_1000");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1000));
    for (name, layout) in [
        ("sheet", StockLayout::Sheet),
        ("one_per_page", StockLayout::OnePerPage),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| stock_pdf(black_box(&tickets), layout).map(|pdf| pdf.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
