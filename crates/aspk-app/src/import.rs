//! Admissions recorded by hand during an outage: the numbers staff wrote down or typed (a
//! list, or a CSV with the time and door), and the codes in the photos they took. Each
//! recognised ticket is marked used at the recorded time, even for a slot that has ended;
//! one used already, cancelled, unknown or for another day becomes a finding. The same
//! import again changes nothing.

use aspk_domain::{TicketStatus, Venue};
use aspk_oplog::{EntriesImported, OpBody, State};
use aspk_ticket::HumanNumber;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::access::Action;
use crate::{AppError, Node, NodeRole, Principal};

/// Most lines one import may hold.
pub const MAX_IMPORT_LINES: usize = 20_000;

/// One hand-recorded admission: a ticket number, an order number or a code.
#[derive(Debug, Clone)]
pub struct RecordedEntry {
    /// What the line said, for the report.
    pub text: String,
    pub at: Option<DateTime<Utc>>,
    pub gate: Option<String>,
    /// For an order number: how many of its tickets were let in (all: `None`).
    pub count: Option<u32>,
}

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportSummary {
    pub id: String,
    pub imported: u32,
    pub already_used: u32,
    pub unknown: u32,
    pub unreadable: u32,
    /// Findings this import opened.
    pub findings: u32,
    /// Entries skipped because an earlier import recorded them already.
    pub skipped: u32,
    /// This very import was made before: nothing changed.
    pub repeated: bool,
    pub unknown_items: Vec<String>,
    pub unreadable_items: Vec<String>,
}

/// Where the lines came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportSource {
    List,
    Csv,
    Photos,
}

impl ImportSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Csv => "csv",
            Self::Photos => "photos",
        }
    }

    fn default_gate(self) -> &'static str {
        match self {
            Self::Photos => "photo",
            _ => "paper list",
        }
    }
}

/// Parses "number or code[,time[,gate[,count]]]" lines (a header line naming the columns
/// is skipped; `;` works as the separator too). Times: RFC 3339, "YYYY-MM-DD HH:MM" or
/// "HH:MM" (that day or today, in the venue's zone).
pub fn parse_lines(
    text: &str,
    venue: &Venue,
    today: NaiveDate,
) -> Result<Vec<RecordedEntry>, AppError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let sep = if line.contains(';') && !line.contains(',') {
            ';'
        } else {
            ','
        };
        let cols: Vec<&str> = line.split(sep).map(str::trim).collect();
        let first = cols[0].trim_matches('"');
        if i == 0 && !first.chars().any(|c| c.is_ascii_digit()) {
            // A spreadsheet's header row: it must name the columns this import knows.
            check_header(&cols)?;
            continue;
        }
        if cols.len() > 4 {
            return Err(AppError::invalid(
                "lines",
                format!(
                    "line {}: at most 4 columns (number, time, gate, count)",
                    i + 1
                ),
            ));
        }
        let at = match cols
            .get(1)
            .map(|c| c.trim_matches('"'))
            .filter(|c| !c.is_empty())
        {
            Some(t) => Some(parse_time(t, venue, today).ok_or_else(|| {
                AppError::invalid("lines", format!("line {}: '{t}' is not a time", i + 1))
            })?),
            None => None,
        };
        let gate = cols
            .get(2)
            .map(|g| g.trim_matches('"').to_owned())
            .filter(|g| !g.is_empty());
        if gate.as_ref().is_some_and(|g| g.chars().count() > 64) {
            return Err(AppError::invalid(
                "lines",
                format!("line {}: gate name too long", i + 1),
            ));
        }
        let count = match cols
            .get(3)
            .map(|c| c.trim_matches('"'))
            .filter(|c| !c.is_empty())
        {
            Some(c) => Some(c.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                AppError::invalid("lines", format!("line {}: '{c}' is not a count", i + 1))
            })?),
            None => None,
        };
        check_number_or_code(first, i + 1)?;
        out.push(RecordedEntry {
            text: first.to_owned(),
            at,
            gate,
            count,
        });
        if out.len() > MAX_IMPORT_LINES {
            return Err(AppError::invalid(
                "lines",
                format!("at most {MAX_IMPORT_LINES} lines at once"),
            ));
        }
    }
    if out.is_empty() {
        return Err(AppError::invalid("lines", "there is nothing to import"));
    }
    Ok(out)
}

/// A ticket or order number (12 digits, spaces and dashes allowed) or a code (digits only,
/// longer): anything else is not something staff wrote down from a ticket.
fn check_number_or_code(text: &str, line: usize) -> Result<(), AppError> {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let only_digits = text
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    if only_digits && digits >= 12 {
        Ok(())
    } else {
        Err(AppError::invalid(
            "lines",
            format!("line {line}: '{text}' is not a ticket or order number (12 digits) or a code"),
        ))
    }
}

fn check_header(cols: &[&str]) -> Result<(), AppError> {
    const KNOWN: &[&str] = &[
        "number",
        "code",
        "ticket",
        "order",
        "time",
        "at",
        "gate",
        "door",
        "count",
        "номер",
        "код",
        "квиток",
        "замовлення",
        "час",
        "вхід",
        "двері",
        "кількість",
    ];
    for col in cols {
        let name = col.trim_matches('"').trim().to_lowercase();
        if !KNOWN.contains(&name.as_str()) {
            return Err(AppError::invalid(
                "lines",
                format!("unknown column '{name}': the columns are number, time, gate, count"),
            ));
        }
    }
    Ok(())
}

fn parse_time(text: &str, venue: &Venue, today: NaiveDate) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            ["%H:%M:%S", "%H:%M"]
                .iter()
                .find_map(|f| NaiveTime::parse_from_str(text, f).ok())
                .map(|t| today.and_time(t))
        })?;
    venue
        .tz()
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The serials a line names: a ticket, an order's tickets (the first `count` not used yet),
/// or a code (its signature checked beforehand, outside the writer: `code_serial`).
fn resolve(state: &State, entry: &RecordedEntry, code_serial: Option<u64>) -> Option<Vec<u64>> {
    let text = entry.text.trim();
    if HumanNumber::is_typed(text) {
        let serial = HumanNumber::parse(text).ok()?.serial();
        if state.tickets().contains_key(&serial) {
            return Some(vec![serial]);
        }
        let order = state.orders().get(&serial)?;
        let unused = order
            .tickets
            .iter()
            .copied()
            .filter(|s| state.tickets().status(s) == Some(TicketStatus::Valid));
        let all: Vec<u64> = match entry.count {
            Some(n) => unused.take(n as usize).collect(),
            None => unused.collect(),
        };
        return Some(all);
    }
    let serial = code_serial?;
    let known = state.tickets().contains_key(&serial) || state.stock().of_serial(serial).is_some();
    known.then(|| vec![serial])
}

impl Node {
    /// Imports hand-recorded admissions for `venue` (when aspk serves one venue, it may be
    /// left out). `content` is what was uploaded, for recognising the same import again;
    /// `unreadable` names items (photos) that could not be read at all.
    pub async fn import_entries(
        &self,
        who: &Principal,
        venue: Option<&str>,
        source: ImportSource,
        content: &[u8],
        entries: Vec<RecordedEntry>,
        unreadable: Vec<String>,
    ) -> Result<ImportSummary, AppError> {
        who.require_to(Action::ImportEntries)?;
        if self.role() == NodeRole::Gate {
            return Err(AppError::Forbidden("import entries at a gate"));
        }
        let venue = self.import_venue(venue)?;
        let id =
            blake3::hash(&[source.as_str().as_bytes(), content].concat()).to_hex()[..24].to_owned();
        let actor = who.actor();
        let now = self.now();
        // Signatures are checked here, outside the writer (checking reads the state).
        let code_serials: Vec<Option<u64>> = entries
            .iter()
            .map(|e| match HumanNumber::is_typed(e.text.trim()) {
                true => None,
                false => self.check_code(e.text.trim()).ok().map(|v| v.claims.serial),
            })
            .collect();
        self.submit(move |batch| {
            if let Some(earlier) = batch.state().stock().import(&id) {
                return Ok(ImportSummary {
                    id: id.clone(),
                    imported: earlier.imported,
                    already_used: earlier.already_used,
                    unknown: earlier.unknown.len() as u32,
                    unreadable: earlier.unreadable.len() as u32,
                    repeated: true,
                    unknown_items: earlier.unknown.clone(),
                    unreadable_items: earlier.unreadable.clone(),
                    ..Default::default()
                });
            }
            let state = batch.state();
            let findings_before = state.open_findings_all();
            let v = crate::catalog::venue_of(state, &venue)?.clone();
            // While a drill runs, an import is the drill's: it marks only the drill's tickets.
            let drill = state.drills().running(v.id.as_str()).map(|d| d.id.clone());
            let mut plan = Plan {
                drill: drill.clone(),
                ..Plan::default()
            };
            for (entry, code_serial) in entries.iter().zip(&code_serials) {
                plan.add(state, &v, entry, *code_serial, source, now);
            }
            let import = EntriesImported {
                id: id.clone(),
                venue: v.id.clone(),
                source: source.as_str().to_owned(),
                imported: plan.ops.len() as u32,
                already_used: plan.already_used,
                unknown: plan.unknown.clone(),
                unreadable: unreadable.clone(),
                mismatched: plan.mismatched.clone(),
                drill,
            };
            let mut ops = plan.ops;
            ops.push(OpBody::EntriesImported(import));
            batch.record(&actor, ops);
            let findings_after = batch.state().open_findings_all();
            Ok(ImportSummary {
                id,
                imported: plan.imported,
                already_used: plan.already_used,
                unknown: plan.unknown.len() as u32,
                unreadable: unreadable.len() as u32,
                findings: findings_after.saturating_sub(findings_before) as u32,
                skipped: plan.skipped,
                repeated: false,
                unknown_items: plan.unknown,
                unreadable_items: unreadable,
            })
        })
        .await
    }

    fn import_venue(&self, venue: Option<&str>) -> Result<String, AppError> {
        if let Some(v) = venue.map(str::trim).filter(|v| !v.is_empty()) {
            return Ok(v.to_owned());
        }
        let venues: Vec<String> = self.read(|s| s.venues().keys().map(|k| k.to_string()).collect());
        match venues.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(AppError::invalid(
                "venue",
                "name the venue the entries were at",
            )),
        }
    }
}

/// The ops an import makes, and what it could not match.
#[derive(Default)]
struct Plan {
    ops: Vec<OpBody>,
    imported: u32,
    already_used: u32,
    skipped: u32,
    unknown: Vec<String>,
    mismatched: Vec<(u64, String)>,
    /// Serials this import marks (a number twice in one import counts once).
    seen: std::collections::HashSet<u64>,
    /// The drill it is made in.
    drill: Option<String>,
}

impl Plan {
    fn add(
        &mut self,
        state: &State,
        venue: &Venue,
        entry: &RecordedEntry,
        code_serial: Option<u64>,
        source: ImportSource,
        now: DateTime<Utc>,
    ) {
        let Some(serials) = resolve(state, entry, code_serial) else {
            self.unknown.push(entry.text.clone());
            return;
        };
        let gate = entry
            .gate
            .clone()
            .unwrap_or_else(|| source.default_gate().to_owned());
        for serial in serials {
            if !self.seen.insert(serial) {
                continue;
            }
            let ticket = state.tickets().get(&serial);
            if ticket.as_ref().is_some_and(|t| t.venue != venue.id) {
                self.mismatched
                    .push((serial, "another venue's ticket".into()));
                continue;
            }
            if state.drills().of_serial(serial) != self.drill.as_deref() {
                let why = match &self.drill {
                    Some(_) => "a real ticket: a drill marks only its own",
                    None => "a drill's ticket: not marked for real",
                };
                self.mismatched.push((serial, why.into()));
                continue;
            }
            // Recorded by an earlier import already (the same door, the same ticket).
            let entries = match &ticket {
                Some(t) => t.entries.clone(),
                None => state.pending_entries(serial).cloned().collect(),
            };
            if entries
                .iter()
                .any(|e| e.gate == gate && e.by.starts_with("user:"))
            {
                self.skipped += 1;
                continue;
            }
            let at = entry.at.unwrap_or(match &ticket {
                // Unknown time: the start of its slot once the slot is over, else now.
                Some(t) if t.valid_until <= now => t.valid_from,
                _ => now,
            });
            if let Some(t) = &ticket {
                let day = at.with_timezone(&venue.tz()).date_naive();
                let first = t.valid_from.with_timezone(&venue.tz()).date_naive();
                let last = (t.valid_until - chrono::Duration::seconds(1))
                    .with_timezone(&venue.tz())
                    .date_naive();
                if day < first || day > last {
                    self.mismatched
                        .push((serial, format!("for another day ({first}), entered {day}")));
                    continue;
                }
                if !t.entries.is_empty() {
                    self.already_used += 1;
                }
            }
            self.imported += 1;
            self.ops.push(OpBody::EntryRecorded {
                serial,
                gate: gate.clone(),
                at,
            });
        }
    }
}

/// One uploaded photo.
#[derive(Debug, Clone)]
pub struct PhotoFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What was read in one photo.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhotoRead {
    pub name: String,
    pub codes: u32,
    /// `not_an_image`, `too_large` or `no_code_found`; none when codes were read.
    pub problem: Option<&'static str>,
}

impl Node {
    /// Imports the photos staff took of visitors' e-tickets: every QR code found marks its
    /// ticket used (decoded on all cores); a photo with none is reported and becomes an
    /// `unreadable_photo` finding.
    pub async fn import_photos(
        &self,
        who: &Principal,
        venue: Option<&str>,
        files: Vec<PhotoFile>,
    ) -> Result<(ImportSummary, Vec<PhotoRead>), AppError> {
        who.require_to(Action::ImportEntries)?;
        if files.is_empty() {
            return Err(AppError::invalid("files", "upload at least one photo"));
        }
        let (files, readings) = tokio::task::spawn_blocking(move || {
            let bytes: Vec<&[u8]> = files.iter().map(|f| f.bytes.as_slice()).collect();
            let readings = aspk_photo::read_photos(&bytes);
            (files, readings)
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
        let mut content = Vec::new();
        let mut entries = Vec::new();
        let mut unreadable = Vec::new();
        let mut reads = Vec::new();
        for (file, reading) in files.iter().zip(&readings) {
            content.extend_from_slice(blake3::hash(&file.bytes).as_bytes());
            let problem = reading.problem.map(|p| match p {
                aspk_photo::PhotoProblem::NotAnImage => "not_an_image",
                aspk_photo::PhotoProblem::TooLarge => "too_large",
                aspk_photo::PhotoProblem::NoCodeFound => "no_code_found",
            });
            if problem.is_some() {
                unreadable.push(file.name.clone());
            }
            entries.extend(reading.codes.iter().map(|code| RecordedEntry {
                text: code.clone(),
                at: None,
                gate: None,
                count: None,
            }));
            reads.push(PhotoRead {
                name: file.name.clone(),
                codes: reading.codes.len() as u32,
                problem,
            });
        }
        let summary = self
            .import_entries(
                who,
                venue,
                ImportSource::Photos,
                &content,
                entries,
                unreadable,
            )
            .await?;
        Ok((summary, reads))
    }
}

impl Node {
    /// The venue an import is for: the one named, or the only one.
    pub fn import_venue_id(&self, venue: Option<&str>) -> Result<String, AppError> {
        self.import_venue(venue)
    }

    /// A venue and today's date in its zone.
    pub fn venue_and_today(&self, venue: &str) -> Result<(Venue, NaiveDate), AppError> {
        let now = self.now();
        self.read(|s| {
            let v = crate::catalog::venue_of(s, venue)?.clone();
            let today = now.with_timezone(&v.tz()).date_naive();
            Ok((v, today))
        })
    }
}
