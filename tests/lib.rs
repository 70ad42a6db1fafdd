//! Cross-crate integration, HTTP and UI tests live in `main.rs`; this library is empty.
