//! Raw FFI bindings to bertc — `libbertc.so.1`, a BERT WordPiece tokenizer, masked-language-model
//! pre-training, fill-mask and fine-tuning for sequence and token classification behind one C ABI
//! (header version 1.1).
//!
//! This crate is the C header `bertc.h` translated by bindgen, nothing more: every item has the C
//! name, and every rule of the header applies (params structs initialised with
//! `bert_*_params_init(&mut p, size_of_val(&p))`, result structs with `struct_size` set by the
//! caller, pointer + length text, per-OS-thread [`bert_last_error`]). Use the `bertc` crate for a
//! safe API.
//!
//! The bindings are generated ahead of time and committed (`src/bindings.rs`), so building needs
//! no libclang; `cargo test --features check-bindings` regenerates them and fails when they differ
//! from the header.
//!
//! # Linking
//!
//! `build.rs` finds the library with `pkg-config` (`bertc.pc`, version 1.1 or a later 1.x) unless `BERTC_LIB_DIR`
//! names the directory holding `libbertc.so`. `BERTC_STATIC=1` links the static archive instead
//! (with pkg-config its private dependencies come from `Libs.private`). When the library lies
//! outside the system directories, the crate's own tests get an rpath to it, and the directory is
//! passed on to dependents as `DEP_BERTC_LIBDIR` (`links = "bertc"`); `BERTC_NO_RPATH=1` turns the
//! rpath off.
#![cfg_attr(not(test), no_std)]
#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]
// The header's Doxygen comments mention tokens like [MASK] and C expressions like `a < b`.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

include!("bindings.rs");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constants_agree() {
        assert_eq!(
            BERTC_VERSION_NUMBER,
            BERTC_VERSION_MAJOR * 10000 + BERTC_VERSION_MINOR * 100 + BERTC_VERSION_PATCH
        );
        assert_eq!(
            format!("{BERTC_VERSION_MAJOR}.{BERTC_VERSION_MINOR}.{BERTC_VERSION_PATCH}"),
            BERTC_VERSION_STRING
        );
    }

    #[test]
    fn links_and_checks_version() {
        // SAFETY: plain calls without pointers.
        unsafe {
            assert_eq!(bert_check_version(BERTC_VERSION_NUMBER), BERT_OK);
            assert_eq!(bert_version_number() / 10000, BERTC_VERSION_MAJOR);
            let mut p = bert_encode_params::default();
            assert_eq!(
                bert_encode_params_init(&mut p, core::mem::size_of_val(&p)),
                BERT_OK
            );
            assert_eq!(p.add_special_tokens, 1);
        }
    }
}
