//! The phone scanner (`/scan`) as the node sees it.
//!
//! **Feed:** what a phone needs to decide alone: its venue, products and the ticket keys, and
//! the venue's tickets valid today and in the coming days (code, product, state, entries).
//! Paged and resumable with an opaque cursor: the first sync pages through a snapshot, later
//! ones send only the tickets that ops after the cursor touched (plus the tickets of a day
//! that has come into the window since).
//!
//! **Upload:** scans decided on the phone become the phone's *own* ops (its enrolled origin,
//! its sequence numbers, its clock), ingested like replicated ops. `(origin, seq)` is their
//! identity, so a retry or a duplicate is recorded once, and two phones that admitted one
//! ticket while offline become a `double_entry` finding in the fold.

use std::collections::BTreeSet;

use aspk_domain::{Entry, Product, Slug, TicketStatus, Venue};
use aspk_oplog::{Author, AuthorRole, Hlc, Op, OpBody, State, UNVERIFIED_ENTRY};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::catalog::{local_day_bounds, local_today};
use crate::{AppError, Node, NodeCredential};

/// The window covers today and this many following days (venue time).
pub const FEED_DAYS: u64 = 7;
/// Most tickets in one page of the first download.
pub const MAX_FEED_PAGE: usize = 10_000;
/// Most ops read for one page of changes.
const DELTA_OPS: u32 = 5_000;
/// Most scans in one upload.
pub const MAX_UPLOAD: usize = 1_000;
/// A ticket expired longer ago than this is of no use to a phone.
const EXPIRED_GRACE_HOURS: i64 = 1;

/// What a phone may report; `invalid` and `unknown` scans record nothing, as at the server.
pub const UPLOAD_RESULTS: [&str; 6] = [
    "admit",
    "already_used",
    "void",
    "not_valid_yet",
    "expired",
    "wrong_venue",
];

/// Where a phone's sync stands: `f.<head>.<end>.<after>` while it pages through the first
/// snapshot (taken at log cursor `head`), `d.<head>.<end>` for changes after `head`. `end`
/// is the first day (days from 0001-01-01) beyond the window the phone holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FeedCursor {
    head: i64,
    end: i32,
    /// Paging the snapshot: the last serial sent.
    after: Option<u64>,
}

impl FeedCursor {
    fn parse(text: &str) -> Result<Self, AppError> {
        let bad = || AppError::invalid("cursor", "is not a cursor this server gave out");
        let parts: Vec<&str> = text.split('.').collect();
        let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
        match parts.as_slice() {
            ["f", head, end, after] => Ok(Self {
                head: num(head)?,
                end: i32::try_from(num(end)?).map_err(|_| bad())?,
                after: Some(after.parse().map_err(|_| bad())?),
            }),
            ["d", head, end] => Ok(Self {
                head: num(head)?,
                end: i32::try_from(num(end)?).map_err(|_| bad())?,
                after: None,
            }),
            _ => Err(bad()),
        }
    }

    fn format(&self) -> String {
        match self.after {
            Some(after) => format!("f.{}.{}.{after}", self.head, self.end),
            None => format!("d.{}.{}", self.head, self.end),
        }
    }
}

/// A ticket as a phone needs it.
#[derive(Debug, Clone)]
pub struct FeedTicket {
    pub serial: u64,
    /// The QR code's text (digits).
    pub code: String,
    /// The product's number (as in the code).
    pub product: u16,
    /// `valid`, `used` or `void`.
    pub state: &'static str,
    pub entries: u32,
    pub first_entry: Option<Entry>,
}

/// A ticket-signing public key every verifier must know.
#[derive(Debug, Clone)]
pub struct FeedKey {
    pub key_id: u16,
    pub public_key: String,
    /// Serials `[from, to)` a delegated key may sign.
    pub serials: Option<(u64, u64)>,
    /// No ticket the key signs may be usable after this (a delegated key's end).
    pub valid_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Serials of it that are voided (lost or stolen paper stock), `(first, last)`.
    pub voided: Vec<(u64, u64)>,
    /// Withdrawn (a revoked box-office device's): the tickets the feed holds stay valid,
    /// any other code it signed is refused.
    pub revoked: bool,
}

/// One page of the feed.
#[derive(Debug, Clone)]
pub struct DeviceFeed {
    /// Pass back as `cursor` next time.
    pub cursor: String,
    /// Another page waits: ask again at once.
    pub more: bool,
    /// The first page of a full download: drop the tickets held before.
    pub reset: bool,
    pub venue: Venue,
    pub products: Vec<Product>,
    pub keys: Vec<FeedKey>,
    pub tickets: Vec<FeedTicket>,
    /// This device's own ops the node holds (its scans up to this sequence number are in).
    pub held: u64,
    pub server_time: DateTime<Utc>,
}

/// One scan decided on the phone.
#[derive(Debug, Clone)]
pub struct DeviceScan {
    /// The phone's own sequence number, contiguous from 1.
    pub seq: u64,
    /// When, by the phone's clock (Unix milliseconds), and a counter for scans in one ms.
    pub at_ms: i64,
    pub counter: u16,
    pub serial: u64,
    /// One of [`UPLOAD_RESULTS`].
    pub result: String,
    /// The QR code's text, when the phone read one: proves an admission of a ticket this
    /// node has not seen sold yet (sold offline elsewhere).
    pub code: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UploadReport {
    pub applied: usize,
    pub known: usize,
    /// Skipped: an earlier scan of this device is missing here; send from `held + 1`.
    pub gaps: usize,
    /// This device's scans held here, up to this sequence number.
    pub held: u64,
}

fn days_ce(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

fn from_days_ce(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days).unwrap_or_default()
}

fn require_scanner(device: &NodeCredential) -> Result<(), AppError> {
    if device.0.role == "scanner" {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "use the device API: it is for scanner devices",
        ))
    }
}

fn feed_ticket(t: &aspk_domain::Ticket, state: &State) -> FeedTicket {
    let product = state
        .products()
        .get(&(t.venue.clone(), t.product.clone()))
        .map(|p| p.no)
        .unwrap_or_default();
    FeedTicket {
        serial: t.serial,
        // Filled in from the log once the page is chosen.
        code: String::new(),
        product,
        state: match t.status {
            TicketStatus::Valid => "valid",
            TicketStatus::Used => "used",
            TicketStatus::Void => "void",
        },
        entries: u32::try_from(t.entries.len()).unwrap_or(u32::MAX),
        first_entry: t.entries.first().cloned(),
    }
}

/// Serials of `venue`'s tickets that `op` changes.
fn touched(op: &Op, venue: &Venue, state: &State, out: &mut BTreeSet<u64>) {
    match &op.body {
        OpBody::OrderPlaced(p) if p.venue == venue.id => {
            out.extend(p.tickets.iter().map(|t| t.serial));
        }
        OpBody::OrderCancelled { number, .. } => {
            if let Some(order) = state.orders().get(number) {
                out.extend(order.tickets.iter().copied());
            }
        }
        OpBody::TicketVoided { serial, .. } | OpBody::EntryRecorded { serial, .. } => {
            out.insert(*serial);
        }
        _ => {}
    }
}

impl Node {
    /// Whether a phone's admission of `serial` at `at` can count as an entry: the ticket is
    /// known here, of the phone's venue and valid then (give or take); or, not known here
    /// yet, its `code` proves a sale by a key of the organisation for the phone's venue,
    /// valid then.
    fn phone_admission(
        &self,
        author: &Author,
        serial: u64,
        at: DateTime<Utc>,
        code: Option<&str>,
    ) -> Result<(), String> {
        if let Some(verdict) = self.read(|s| s.entry_would_count(serial, at, author)) {
            return verdict;
        }
        let code = code.ok_or("the ticket was never sold here and the scan carries no code")?;
        let verified = self
            .check_code(code)
            .map_err(|e| format!("the code does not verify: {e}"))?;
        let claims = &verified.claims;
        if claims.serial != serial {
            return Err("the code is another ticket's".into());
        }
        let venue = author.venue.as_ref().map(Slug::as_str).unwrap_or_default();
        self.read(|s| {
            let meta = s.key_meta().get(&verified.key_id);
            let in_block = meta
                .and_then(|m| m.serials)
                .is_none_or(|(lo, hi)| (lo..hi).contains(&serial));
            if !in_block
                || !crate::key_allows(meta, &claims.validity)
                || s.revoked_keys().contains_key(&verified.key_id)
            {
                return Err("the code's key may not sign it".to_owned());
            }
            let Some(ticket_venue) = s
                .venue_by_no(claims.venue)
                .filter(|v| v.id.as_str() == venue)
            else {
                return Err("the ticket is another venue's".to_owned());
            };
            let margin = Duration::minutes(aspk_oplog::ENTRY_MARGIN_MINUTES);
            let early = i64::from(ticket_venue.early_entry_minutes) * 60;
            let valid_near = [at - margin, at, at + margin].iter().any(|t| {
                let day = crate::sell::epoch_day(t.with_timezone(&ticket_venue.tz()).date_naive());
                aspk_ticket::time_verdict(&claims.validity, t.timestamp(), day, early)
                    == aspk_ticket::TimeVerdict::Valid
            });
            match valid_near {
                true => Ok(()),
                false => Err("the entry lies outside the ticket's validity".to_owned()),
            }
        })
    }

    /// Puts each ticket's code in; a ticket whose sale is not durable yet is left for the
    /// next delta (its op is after the cursor's head).
    async fn with_codes(&self, tickets: Vec<FeedTicket>) -> Result<Vec<FeedTicket>, AppError> {
        let serials: Vec<u64> = tickets.iter().map(|t| t.serial).collect();
        let mut codes = self.ticket_codes(&serials).await?;
        Ok(tickets
            .into_iter()
            .filter_map(|mut t| {
                t.code = codes.remove(&t.serial)?;
                Some(t)
            })
            .collect())
    }

    /// One page of the feed for a paired phone (see the module docs).
    pub async fn device_feed(
        &self,
        device: &NodeCredential,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<DeviceFeed, AppError> {
        require_scanner(device)?;
        let limit = limit.unwrap_or(MAX_FEED_PAGE).clamp(1, MAX_FEED_PAGE);
        let cursor = cursor
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(FeedCursor::parse)
            .transpose()?;
        let venue = self.venue_of_device(device)?;
        let now = self.now();
        let end_now = days_ce(local_today(&venue, now)) + i32::try_from(FEED_DAYS).unwrap_or(7) + 1;
        let until = |end: i32| local_day_bounds(&venue, from_days_ce(end)).0;
        let fresh = now - Duration::hours(EXPIRED_GRACE_HOURS);
        let store = self.store().clone();

        // The log is read before the state, so the state holds at least the ops up to `head`.
        let (cursor, reset) = match cursor {
            Some(c) => (c, false),
            None => {
                let head = store.head().await?;
                let start = FeedCursor {
                    head,
                    end: end_now,
                    after: Some(0),
                };
                (start, true)
            }
        };
        let mut next = cursor;
        let (tickets, more) = if let Some(after) = cursor.after {
            let window_end = until(cursor.end);
            let page: Vec<FeedTicket> = self.read(|s| {
                // Briefs come in serial order: the first `limit` are the page.
                s.tickets()
                    .briefs()
                    .filter(|t| {
                        t.venue == venue.id.as_str()
                            && t.serial > after
                            && t.valid_until > fresh
                            && t.valid_from < window_end
                    })
                    .take(limit)
                    .filter_map(|t| s.tickets().get(&t.serial))
                    .map(|t| feed_ticket(&t, s))
                    .collect()
            });
            let more = if page.len() == limit {
                next.after = page.last().map(|t| t.serial);
                true
            } else {
                // Snapshot done: changes since it come as a delta (at once if there are any).
                next.after = None;
                store.head().await? > cursor.head
            };
            (page, more)
        } else {
            let ops = store.read_after(cursor.head, DELTA_OPS).await?;
            next.head = ops.last().map_or(cursor.head, |o| o.cursor);
            let more = ops.len() == DELTA_OPS as usize;
            let window_end = until(cursor.end);
            let new_end = end_now.max(cursor.end);
            let new_window_end = until(new_end);
            next.end = new_end;
            let tickets = self.read(|s| {
                let mut serials = BTreeSet::new();
                for stored in &ops {
                    touched(&stored.op, &venue, s, &mut serials);
                }
                // Days that came into the window since the last sync.
                if new_end > cursor.end {
                    serials.extend(
                        s.tickets()
                            .briefs()
                            .filter(|t| {
                                t.venue == venue.id.as_str()
                                    && t.valid_from >= window_end
                                    && t.valid_from < new_window_end
                            })
                            .map(|t| t.serial),
                    );
                }
                serials
                    .iter()
                    .filter_map(|n| s.tickets().get(n))
                    .filter(|t| {
                        t.venue == venue.id
                            && t.valid_until > fresh
                            && t.valid_from < new_window_end
                    })
                    .map(|t| feed_ticket(&t, s))
                    .collect()
            });
            (tickets, more)
        };
        let tickets = self.with_codes(tickets).await?;
        let origin = device.0.origin.clone();
        let (products, keys, held) = self.read(|s| {
            let products = s.products_of(&venue.id).cloned().collect();
            let keys = s
                .keys()
                .iter()
                .map(|(id, pk)| FeedKey {
                    key_id: *id,
                    public_key: pk.clone(),
                    serials: s.key_meta().get(id).and_then(|m| m.serials),
                    valid_until: s.key_meta().get(id).and_then(|m| m.valid_until),
                    voided: match s.key_meta().get(id).and_then(|m| m.serials) {
                        Some((lo, hi)) => s
                            .stock()
                            .voided_ranges()
                            .filter(|(first, _)| (lo..hi).contains(first))
                            .collect(),
                        None => Vec::new(),
                    },
                    revoked: s.revoked_keys().contains_key(id),
                })
                .collect();
            (
                products,
                keys,
                s.applied().get(&origin).copied().unwrap_or(0),
            )
        });
        Ok(DeviceFeed {
            cursor: next.format(),
            more,
            reset,
            venue,
            products,
            keys,
            tickets,
            held,
            server_time: now,
        })
    }

    /// The venue a paired device (a phone, a box office) is enrolled for.
    pub(crate) fn venue_of_device(&self, device: &NodeCredential) -> Result<Venue, AppError> {
        let venue_id = &device.0.venue;
        self.read(|s| s.venues().get(venue_id).cloned())
            .ok_or_else(|| AppError::NotFound {
                what: "venue",
                id: venue_id.to_string(),
            })
    }

    /// Records scans made on a phone as its own ops, durably, before returning. Every scan
    /// is checked first: one bad scan refuses the whole upload and records nothing.
    pub async fn device_upload(
        &self,
        device: &NodeCredential,
        scans: Vec<DeviceScan>,
    ) -> Result<UploadReport, AppError> {
        require_scanner(device)?;
        if scans.len() > MAX_UPLOAD {
            return Err(AppError::invalid(
                "scans",
                format!("send at most {MAX_UPLOAD} scans at a time"),
            ));
        }
        let earliest = DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z")
            .map(|t| t.timestamp_millis())
            .unwrap_or(0);
        let latest = (self.now() + self.max_clock_skew()).timestamp_millis();
        let author = Author {
            role: AuthorRole::Scanner,
            venue: Some(device.0.venue.clone()),
        };
        let record = &device.0;
        let gate = if record.name.trim().is_empty() {
            record.node_id.clone()
        } else {
            record.name.clone()
        };
        let actor = format!("node:{}", record.node_id);
        let mut ops = Vec::with_capacity(scans.len());
        for (i, scan) in scans.into_iter().enumerate() {
            let bad = |what: &str| AppError::invalid("scans", format!("scan {i}: {what}"));
            if scan.seq == 0 {
                return Err(bad("seq must be 1 or more"));
            }
            if scan.serial == 0 || scan.serial >= aspk_ticket::SERIAL_LIMIT {
                return Err(bad("serial is not a ticket serial"));
            }
            if !(earliest..=latest).contains(&scan.at_ms) {
                return Err(bad(
                    "at_ms is not a plausible time (check the phone's clock: it may be ahead)",
                ));
            }
            if !UPLOAD_RESULTS.contains(&scan.result.as_str()) {
                return Err(bad(
                    "result must be admit, already_used, void, not_valid_yet, expired or wrong_venue",
                ));
            }
            let at = DateTime::from_timestamp_millis(scan.at_ms).unwrap_or_default();
            let (serial, gate) = (scan.serial, gate.clone());
            let verified = match scan.result.as_str() {
                "admit" => self.phone_admission(&author, serial, at, scan.code.as_deref()),
                _ => Ok(()),
            };
            let body = if let Err(why) = verified {
                tracing::warn!(serial, %why, node = %record.node_id, "a phone's admission could not be verified");
                OpBody::ScanDenied {
                    serial,
                    gate,
                    at,
                    reason: UNVERIFIED_ENTRY.into(),
                }
            } else if scan.result == "admit" {
                OpBody::EntryRecorded { serial, gate, at }
            } else {
                OpBody::ScanDenied {
                    serial,
                    gate,
                    at,
                    reason: scan.result,
                }
            };
            let millis = u64::try_from(scan.at_ms).unwrap_or(0);
            ops.push(Op {
                origin: record.origin.clone(),
                seq: scan.seq,
                hlc: Hlc::from_parts(millis, scan.counter),
                actor: actor.clone(),
                body,
                sig: None,
            });
        }
        ops.sort_by_key(|op| op.seq);
        if let Some(pair) = ops.windows(2).find(|w| w[0].seq == w[1].seq) {
            return Err(AppError::invalid(
                "scans",
                format!("seq {} is given twice", pair[0].seq),
            ));
        }
        // A phone has no key: this node vouches for its scans with its own signature.
        let key = self.ticket_key();
        for op in &mut ops {
            op.sign_with(key.key_id, |m| key.sign_detached(m));
        }
        let report = self
            .ingest(ops, &format!("node:{}", record.node_id))
            .await?;
        Ok(UploadReport {
            applied: report.applied,
            known: report.known,
            gaps: report.gaps,
            held: report.vv.get(&record.origin).copied().unwrap_or(0),
        })
    }
}
