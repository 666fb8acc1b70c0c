//! Opening the gate with a relay on a Linux GPIO line, through the GPIO character device
//! (`/dev/gpiochipN`, uAPI v2). The line is requested as an output on first use and kept
//! for the life of the agent, so nothing else can toggle it meanwhile.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use gpiocdev::line::Value;
use gpiocdev::Request;

use super::OutputError;

const CONSUMER: &str = "aspk-gate";

#[derive(Debug)]
pub struct GpioLine {
    chip: PathBuf,
    line: u32,
    active_low: bool,
    request: Mutex<Option<Request>>,
    /// Free passage: the line stays active and pulses leave it alone.
    held: AtomicBool,
    /// Bumped by every pulse, so an earlier pulse ending does not cut a later one short.
    generation: AtomicU64,
}

impl GpioLine {
    pub fn new(chip: PathBuf, line: u32, active_low: bool) -> Self {
        Self {
            chip,
            line,
            active_low,
            request: Mutex::new(None),
            held: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        }
    }

    fn error(&self, reason: impl Into<String>) -> OutputError {
        OutputError::Gpio {
            chip: self.chip.clone(),
            line: self.line,
            reason: reason.into(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Request>> {
        // A panic while holding this lock left at worst a stale request; keep using it.
        self.request.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the line (`true` = active, i.e. relay on, honouring `active_low`).
    pub fn set(&self, active: bool) -> Result<(), OutputError> {
        self.apply(&mut self.lock(), active)
    }

    fn apply(&self, guard: &mut Option<Request>, active: bool) -> Result<(), OutputError> {
        let value = if active {
            Value::Active
        } else {
            Value::Inactive
        };
        if guard.is_none() {
            if !self.chip.exists() {
                return Err(self.error(
                    "no such GPIO chip (is the gpio-cdev driver loaded and the path right?)",
                ));
            }
            let mut builder = Request::builder();
            builder
                .on_chip(&self.chip)
                .with_consumer(CONSUMER)
                .with_line(self.line)
                .as_output(Value::Inactive);
            if self.active_low {
                builder.as_active_low();
            }
            let request = builder
                .request()
                .map_err(|e| self.error(format!("cannot request the line as an output: {e}")))?;
            *guard = Some(request);
        }
        let Some(request) = guard.as_ref() else {
            return Err(self.error("line not requested"));
        };
        request
            .set_value(self.line, value)
            .map_err(|e| self.error(format!("cannot set the line: {e}")))
    }

    /// Active for `pulse`, then inactive (unless free passage began or a newer pulse runs).
    pub async fn pulse(&self, pulse: Duration) -> Result<(), OutputError> {
        if self.held.load(Ordering::SeqCst) {
            return Ok(());
        }
        let generation = {
            let mut guard = self.lock();
            self.apply(&mut guard, true)?;
            self.generation.fetch_add(1, Ordering::SeqCst) + 1
        };
        tokio::time::sleep(pulse).await;
        let mut guard = self.lock();
        if self.held.load(Ordering::SeqCst) || self.generation.load(Ordering::SeqCst) != generation
        {
            return Ok(());
        }
        self.apply(&mut guard, false)
    }

    /// Free passage on (line stays active) or off (line inactive).
    pub fn hold(&self, on: bool) -> Result<(), OutputError> {
        let mut guard = self.lock();
        self.held.store(on, Ordering::SeqCst);
        self.apply(&mut guard, on)
    }
}
