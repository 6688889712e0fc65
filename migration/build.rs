//! `MIGRATIONS_DIGEST`: a digest of every migration's source, so a database made from a cached
//! template (the tests' `cinema_testkit`) is made anew when a migration's text changes, not only
//! when one is added.

use std::{
    collections::hash_map::DefaultHasher,
    fs,
    hash::{Hash, Hasher},
};

fn main() {
    println!("cargo:rerun-if-changed=src");
    let mut files: Vec<_> = fs::read_dir("src")
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.file_name().hash(&mut hasher);
        fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    println!("cargo:rustc-env=MIGRATIONS_DIGEST={:016x}", hasher.finish());
}
