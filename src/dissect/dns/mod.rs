//! dns dissector (in progress: parser first).

pub mod parser;
