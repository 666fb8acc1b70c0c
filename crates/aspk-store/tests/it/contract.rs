use aspk_domain::{Currency, Localized, Slug, Venue};
use aspk_oplog::{Hlc, Op, OpBody};
use aspk_store::StoreError;

use crate::backends;

fn venue_op(origin: &str, seq: u64, name: &str) -> Op {
    Op {
        origin: origin.to_owned(),
        seq,
        hlc: Hlc::from_parts(1_700_000_000_000 + seq, 0),
        actor: "user:test".to_owned(),
        body: OpBody::VenueSaved(Venue {
            id: Slug::parse("id", "v").unwrap(),
            no: 1,
            name: Localized::new(name, ""),
            time_zone: "Europe/Kyiv".to_owned(),
            currency: Currency::UAH,
            early_entry_minutes: 0,
            shop: Default::default(),
        }),
        sig: None,
    }
}

#[tokio::test]
async fn append_then_read_back_in_commit_order() {
    for b in backends().await {
        let ops: Vec<Op> = (1..=450)
            .map(|s| venue_op("a", s, &format!("Музей {s}")))
            .collect();
        let report = b.store.append(&ops).await.unwrap();
        assert_eq!(report.inserted, 450, "{}", b.name);
        let first = b.store.read_after(0, 300).await.unwrap();
        assert_eq!(first.len(), 300, "{}", b.name);
        let rest = b
            .store
            .read_after(first.last().unwrap().cursor, 300)
            .await
            .unwrap();
        assert_eq!(rest.len(), 150, "{}", b.name);
        let all: Vec<Op> = first.into_iter().chain(rest).map(|s| s.op).collect();
        assert_eq!(all, ops, "{}: ops come back unchanged, in order", b.name);
    }
}

#[tokio::test]
async fn the_same_op_twice_is_a_harmless_duplicate() {
    for b in backends().await {
        let op = venue_op("a", 1, "Музей");
        b.store.append(std::slice::from_ref(&op)).await.unwrap();
        let again = b.store.append(&[op.clone(), op.clone()]).await.unwrap();
        assert_eq!((again.inserted, again.duplicates), (0, 2), "{}", b.name);
        assert!(again.equivocations.is_empty());
        assert_eq!(
            b.store.read_after(0, 10).await.unwrap().len(),
            1,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn different_content_under_a_used_sequence_number_is_equivocation() {
    for b in backends().await {
        b.store.append(&[venue_op("a", 1, "Перший")]).await.unwrap();
        let report = b
            .store
            .append(&[venue_op("a", 1, "Другий"), venue_op("a", 2, "Ок")])
            .await
            .unwrap();
        assert_eq!(
            report.equivocations,
            vec![("a".to_owned(), 1)],
            "{}",
            b.name
        );
        assert_eq!(report.inserted, 1, "{}", b.name);
        let stored = b.store.read_after(0, 10).await.unwrap();
        assert_eq!(
            stored[0].op,
            venue_op("a", 1, "Перший"),
            "{}: the first version stands",
            b.name
        );
    }
}

#[tokio::test]
async fn version_vector_tracks_each_origin() {
    for b in backends().await {
        b.store
            .append(&[
                venue_op("a", 1, "x"),
                venue_op("a", 2, "x"),
                venue_op("b", 7, "x"),
            ])
            .await
            .unwrap();
        let vv = b.store.version_vector().await.unwrap();
        assert_eq!(vv.get("a"), Some(&2), "{}", b.name);
        assert_eq!(vv.get("b"), Some(&7), "{}", b.name);
        assert_eq!(vv.len(), 2, "{}", b.name);
    }
}

#[tokio::test]
async fn appended_ops_survive_reopening() {
    let durable = backends().await.into_iter().filter(|b| b.url.is_some());
    for b in durable {
        b.store
            .append(&[venue_op("a", 1, "Стійкий")])
            .await
            .unwrap();
        drop(b.store);
        let url = b.url.as_deref().expect("a durable backend");
        let reopened = aspk_store::open(url).await.unwrap();
        let ops = reopened.read_after(0, 10).await.unwrap();
        assert_eq!(ops.len(), 1, "{}", b.name);
        assert_eq!(ops[0].op, venue_op("a", 1, "Стійкий"));
    }
}

#[tokio::test]
async fn search_finds_ops_mentioning_a_value() {
    for b in backends().await {
        b.store
            .append(&[venue_op("a", 1, "Львів 4821"), venue_op("a", 2, "Київ")])
            .await
            .unwrap();
        let hits = b.store.ops_mentioning("4821", 10).await.unwrap();
        assert_eq!(hits.len(), 1, "{}", b.name);
        assert_eq!(hits[0].op.seq, 1);
    }
}

#[tokio::test]
async fn unreachable_or_unknown_databases_are_clear_errors() {
    let err = aspk_store::open("mysql://x").await.err().expect("rejected");
    assert!(matches!(err, StoreError::Config(_)), "{err}");
    let err = aspk_store::open("postgres://127.0.0.1:1/none")
        .await
        .err()
        .expect("unreachable");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    let err = aspk_store::open("sqlite:/proc/forbidden/x.db")
        .await
        .err()
        .expect("unwritable");
    assert!(err.to_string().contains("/proc/forbidden"), "{err}");
}

#[tokio::test]
async fn head_is_the_newest_cursor() {
    for b in backends().await {
        assert_eq!(b.store.head().await.unwrap(), 0, "{}", b.name);
        b.store
            .append(&[venue_op("a", 1, "x"), venue_op("a", 2, "x")])
            .await
            .unwrap();
        let last = b
            .store
            .read_after(0, 10)
            .await
            .unwrap()
            .last()
            .unwrap()
            .cursor;
        assert_eq!(b.store.head().await.unwrap(), last, "{}", b.name);
    }
}

#[tokio::test]
async fn raw_ops_read_back_as_the_ops_stored() {
    for b in backends().await {
        let mut ops: Vec<Op> = (1..=5)
            .map(|s| venue_op("a", s, &format!("Музей \"{s}\"\n\\ ✓")))
            .collect();
        ops[1].actor = "user:\u{1}odd\"name".into();
        ops[2].sig = aspk_oplog::OpSig::parse(&format!("7.{}", "ab".repeat(64)));
        b.store.append(&ops).await.unwrap();
        let raw = b.store.read_raw_after(0, 10).await.unwrap();
        let stored = b.store.read_after(0, 10).await.unwrap();
        assert_eq!(raw.len(), 5, "{}", b.name);
        for (raw, stored) in raw.iter().zip(&stored) {
            let op: Op = serde_json::from_str(&raw.json).unwrap();
            assert_eq!(op, stored.op, "{}: {}", b.name, raw.json);
            assert_eq!(
                (raw.cursor, &raw.origin, raw.seq),
                (stored.cursor, &op.origin, op.seq)
            );
        }
    }
}
