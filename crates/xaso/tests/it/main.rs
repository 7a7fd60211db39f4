//! Integration tests of Xã Số: the router called without a socket, the `xaso` binary run as a
//! newcomer would, on SQLite — and on PostgreSQL when XASO_TEST_POSTGRES_URL is set.

mod alerts;
mod api;
mod audit;
mod auth;
mod backup;
mod broadcast;
mod catalogue;
mod cli;
mod criteria;
mod dt;
mod dt_plan;
mod epcis;
mod evidence;
mod excel;
mod feedback;
mod headers;
mod heritage;
mod ict;
mod ict_devices;
mod ict_logs;
mod ict_transfer;
mod import;
mod pages;
mod places;
mod portal;
mod portal_channels;
mod producer_papers;
mod producers;
mod qr;
mod queue;
mod sets;
mod speaker;
mod stamps;
mod transfer;
mod units;
