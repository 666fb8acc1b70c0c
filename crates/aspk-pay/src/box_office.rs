//! "Pay at the box office": nothing is taken online. The visitor goes back to the order
//! page, which tells them to pay at the till; the cashier settles the order there.

use crate::{Checkout, Confirmed, PayError, Provider, Start};

pub const NAME: &str = "box_office";

#[derive(Debug, Clone, Copy, Default)]
pub struct BoxOffice;

#[async_trait::async_trait]
impl Provider for BoxOffice {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start(&self, checkout: &Checkout) -> Result<Start, PayError> {
        Ok(Start::Redirect(checkout.result_url.clone()))
    }

    fn verify_callback(
        &self,
        _headers: &http::HeaderMap,
        _body: &[u8],
    ) -> Result<Confirmed, PayError> {
        Err(PayError::Malformed("box_office takes no callbacks".into()))
    }

    async fn status(
        &self,
        _number: u64,
        _reference: Option<&str>,
    ) -> Result<Option<Confirmed>, PayError> {
        Ok(None)
    }

    async fn refund(&self, _paid: &Confirmed) -> Result<(), PayError> {
        // Nothing was taken online; money paid at the till goes back at the till.
        Ok(())
    }
}
