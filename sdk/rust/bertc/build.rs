//! Gives this crate's own tests, examples and benchmarks an rpath to a libbertc outside the system
//! directories (bertc-sys found it; see its build.rs), so `cargo test` runs without
//! LD_LIBRARY_PATH.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Ok(dir) = std::env::var("DEP_BERTC_RPATH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
