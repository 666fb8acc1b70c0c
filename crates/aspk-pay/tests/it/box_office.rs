//! Pay at the box office: back to the order page, no callbacks, nothing to refund online.

use aspk_pay::box_office::BoxOffice;
use aspk_pay::{PayError, PayStatus, Provider, Start};

#[tokio::test]
async fn returns_to_the_order_page_and_takes_no_callbacks() {
    let p = BoxOffice;
    let c = crate::checkout(8, 500);
    assert_eq!(p.name(), "box_office");
    assert_eq!(
        p.start(&c).await.unwrap(),
        Start::Redirect(c.result_url.clone())
    );
    let body = br#"{"number":8,"status":"paid"}"#;
    assert!(matches!(
        p.verify_callback(&http::HeaderMap::new(), body),
        Err(PayError::Malformed(_))
    ));
    assert!(p.status(8, None).await.unwrap().is_none());
    let paid = aspk_pay::Confirmed {
        number: 8,
        reference: String::new(),
        amount_minor: 500,
        currency: "UAH".into(),
        status: PayStatus::Paid,
    };
    p.refund(&paid).await.unwrap();
}
