//! papers: a self-hosted paper search service (arXiv and ML venues, BM25 over tantivy).

pub mod app;
pub mod backup;
pub mod cli;
pub mod config;
pub mod domain;
pub mod embed;
pub mod eval;
pub mod faq;
pub mod fetch;
pub mod import;
pub mod index;
pub mod ingest;
pub mod leader;
pub mod progress;
pub mod query;
pub mod services;
pub mod store;
pub mod telemetry;
pub mod venues;
pub mod web;
