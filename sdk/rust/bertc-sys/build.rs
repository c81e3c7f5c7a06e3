//! Finds libbertc: `BERTC_LIB_DIR` (a directory with libbertc.so / libbertc.a) or pkg-config's
//! `bertc` (1.1 or a later 1.x: the bindings are of header 1.1). `BERTC_STATIC=1` links
//! statically; `BERTC_NO_RPATH=1` skips the rpath.
use std::env;
use std::path::{Path, PathBuf};

fn flag(name: &str) -> bool {
    println!("cargo:rerun-if-env-changed={name}");
    matches!(env::var(name).as_deref(), Ok(v) if !v.is_empty() && v != "0")
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BERTC_LIB_DIR");
    let statik = flag("BERTC_STATIC");
    let no_rpath = flag("BERTC_NO_RPATH");

    let (lib_dirs, include_dirs): (Vec<PathBuf>, Vec<PathBuf>) = match env::var_os("BERTC_LIB_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            println!("cargo:rustc-link-search=native={}", dir.display());
            if statik {
                // The archive's own dependencies (LibTorch, the C++ runtime) are the caller's to add
                // (e.g. RUSTFLAGS="-l ..."), or use pkg-config, whose Libs.private lists them.
                println!("cargo:rustc-link-lib=static=bertc");
                println!("cargo:rustc-link-lib=dylib=stdc++");
            } else {
                println!("cargo:rustc-link-lib=dylib=bertc");
            }
            let include = dir.join("../include");
            (vec![dir], include.is_dir().then_some(include).into_iter().collect())
        }
        None => match pkg_config::Config::new()
            .range_version("1.3".."2")
            .statik(statik)
            .probe("bertc")
        {
            Ok(lib) => (lib.link_paths, lib.include_paths),
            Err(e) => panic!(
                "\n\nbertc-sys: libbertc 1.x (>= 1.1) not found.\n\
                 Install it (the libbertc1 package, or `cmake --install BUILD --prefix PREFIX`) and set\n\
                 PKG_CONFIG_PATH=PREFIX/lib/pkgconfig, or set BERTC_LIB_DIR to the directory holding\n\
                 libbertc.so.\n\npkg-config said: {e}\n"
            ),
        },
    };

    // pkg-config leaves the system directories out of link_paths, so an rpath is only added for a
    // library in a private prefix. It applies to this crate's own tests; dependents get the
    // directory as DEP_BERTC_LIBDIR and may add it to theirs (the `bertc` crate does).
    let unix = env::var("CARGO_CFG_TARGET_FAMILY").is_ok_and(|f| f.split(',').any(|f| f == "unix"));
    let rpath = !statik && !no_rpath && unix;
    if let Some(dir) = lib_dirs.first() {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        println!("cargo:libdir={}", dir.display());
        if rpath && !is_system_dir(&dir) {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
            println!("cargo:rpath={}", dir.display());
        }
    }
    if let Some(dir) = include_dirs.first() {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        println!("cargo:include={}", dir.display());
    }
    println!("cargo:static={}", u8::from(statik));
}

/// Directories the dynamic loader searches anyway (no rpath needed).
fn is_system_dir(dir: &Path) -> bool {
    let top = ["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"];
    top.iter().any(|s| dir == Path::new(s))
        || dir
            .parent()
            .is_some_and(|p| p == Path::new("/lib") || p == Path::new("/usr/lib"))
            && dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("-linux-"))
}
