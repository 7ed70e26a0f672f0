//! No code: see `Cargo.toml`. The binaries depend on this crate only for the features it turns
//! on in shared dependencies.
