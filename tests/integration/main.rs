//! Integration tests: the real `convgen` binary, real files in a temp dir, a
//! real redb registry. One module per feature.

mod common;
mod measure;

mod audit;
mod export;
mod export_memory;
mod fidelity;
mod generate;
mod hostile;
mod hostile_fs;
mod hostile_lua;
mod hostile_text;
mod ingest;
mod ingest_refused;
mod limiter;
mod lineage;
mod listing;
mod llm_server;
mod luals_stub;
mod menu;
mod menu_ingest;
mod mock_dates;
mod mock_daytime;
mod mock_golden;
mod mock_languages;
mod mock_scenario;
mod output;
mod pasted;
mod prompts;
mod providers;
mod quotas;
mod readme;
mod registry;
mod resume;
mod resume_target;
mod robustness;
mod schema;
mod scripts;
mod settings;
mod shipped_rules;
mod url_credentials;
mod variables;
