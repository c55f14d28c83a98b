//! Integration tests: the real `convgen` binary, real files in a temp dir, a
//! real redb registry. One module per feature.

mod common;

mod audit;
mod generate;
mod limiter;
mod lineage;
mod llm_server;
mod menu;
mod prompts;
mod providers;
mod quotas;
mod registry;
mod resume;
mod resume_target;
mod scripts;
mod settings;
