//! What a node signs with: shared by the node (which swaps it when a delegated key is
//! renewed) and the writer (which signs this node's ops with it).

use aspk_ticket::IssuerKey;

/// The key a node signs tickets and its own ops with, and the serials it issues in. A site
/// node's is replaced when its delegated key is renewed (see `Node::switch_issuer`).
#[derive(Clone)]
pub struct Issuer {
    pub key: IssuerKey,
    pub serials: (u64, u64),
}
