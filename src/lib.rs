//! convgen: synthetic, structured conversations with full lineage.
//!
//! The data flows one way, and the modules follow it:
//! [`prompt`] (markdown + front matter + catalog) and [`script`] (the Lua
//! hooks behind the [`hooks`] seam) → [`check`] (every problem refused before
//! a run) → [`plan`] (scenario mode, batches, seed, start) → [`generate`]
//! (each conversation from [`rng`] seeds) → [`llm`] (the generator: offline
//! [`llm::mock`], or an LLM chosen by [`llm::choose`]) → [`validate`]
//! (built-in checks) → [`artefact`] (files on disk, [`conversation`] is their
//! schema) → [`registry`] (redb lineage) → [`audit`]. [`resume`] finishes a
//! run where it went; [`settings`] is `convgen.toml`; [`cli`] and [`menu`]
//! wire it all for people, with [`interrupt`] for Ctrl-C. Nothing read back
//! from the registry becomes a path before [`data_path`] checks it, and files
//! are opened through [`regular_file`]; [`script_file`] finds a prompt's script.

pub mod artefact;
pub mod audit;
pub mod check;
pub mod cli;
pub mod conversation;
pub mod data_path;
pub mod error;
pub mod escape;
pub mod export;
pub mod generate;
pub mod hooks;
pub mod ingest;
pub mod interrupt;
pub mod llm;
pub mod menu;
pub mod plan;
pub mod prompt;
pub mod registry;
pub mod regular_file;
pub mod resume;
pub mod rng;
pub mod runlog;
pub mod schema;
pub mod script;
pub mod script_file;
pub mod settings;
pub mod suggest;
pub mod validate;
pub mod vartype;
