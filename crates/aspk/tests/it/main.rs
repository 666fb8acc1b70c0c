//! Integration tests: the real server on a loopback port with a real SQLite file, and on
//! PostgreSQL too when `ASPK_TEST_PG_URL` is set (CI sets it). Process-level tests (kill -9,
//! command line) run the real `aspk` binary.

#![allow(clippy::unwrap_used)]

mod admission;
mod bad_input;
mod box_office_device;
mod cli;
mod concurrency;
mod continuity;
mod contract;
mod device_kit;
mod devices;
mod drills;
mod durability;
mod gate;
mod hardening;
mod keys;
mod kit;
mod mail;
mod netns;
mod online;
mod openapi;
mod pages;
mod paper;
mod pdf;
mod rehearsal;
mod scope;
mod security;
mod session_time;
mod staff_app;
mod webhooks;
