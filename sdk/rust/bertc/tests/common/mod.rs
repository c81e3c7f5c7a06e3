//! Shared test helpers: fixture paths, temporary directories, a deterministic corpus.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod json;

/// The repository's tests/fixtures (or BERTC_FIXTURES_DIR).
pub fn fixtures() -> PathBuf {
    match std::env::var_os("BERTC_FIXTURES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures"),
    }
}

/// The tiny Hugging Face BertForMaskedLM (vocab 1000, max_position_embeddings 64).
pub fn tiny_mlm() -> PathBuf {
    fixtures().join("model/tiny_mlm")
}

/// The tiny Hugging Face BertForSequenceClassification (labels fiction, nonfiction, press) with its
/// tokenizer (tiny_mlm's vocabulary).
pub fn tiny_seqcls() -> PathBuf {
    fixtures().join("model/tiny_seqcls")
}

/// The tiny Hugging Face BertForTokenClassification (labels O, B-NP, I-NP, VB, DT).
pub fn tiny_tokcls() -> PathBuf {
    fixtures().join("model/tiny_tokcls")
}

/// The 8000-token WordPiece tokenizer trained on Brown.
pub fn brown_8000() -> PathBuf {
    fixtures().join("tokenizer/hf_brown_8000")
}

/// A directory removed (with its contents) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bertc_rust_{tag}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const WORDS: [&str; 20] = [
    "the", "man", "said", "that", "people", "of", "house", "were", "good", "he", "was", "in",
    "world", "a", "new", "city", "and", "old", "time", "day",
];

/// `n` deterministic lines of 4..15 common words (the C trainer tests' corpus).
pub fn corpus_lines(n: usize) -> Vec<String> {
    let mut x: u32 = 12345;
    let mut next = || {
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        (x >> 16) as usize
    };
    (0..n)
        .map(|_| {
            let len = 4 + next() % 12;
            let words: Vec<&str> = (0..len).map(|_| WORDS[next() % 20]).collect();
            format!("{}.", words.join(" "))
        })
        .collect()
}

/// Writes `lines` to `path`, one per line.
pub fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").expect("write corpus");
}

/// A few sentences for tokenizer training (the C tokenizer tests' corpus).
pub const SMALL_CORPUS: [&str; 5] = [
    "The quick brown fox jumps over the lazy dog.",
    "A stitch in time saves nine; the early bird catches the worm.",
    "Trending hashtags on [MASK] today: cats, dogs and foxes!",
    "She sells sea shells by the sea shore, doesn't she?",
    "Caf\u{e9} na\u{ef}ve r\u{e9}sum\u{e9} and \u{4e2d}\u{6587} text.",
];

/// Whether the library runs under a sanitizer (RSS and timing checks are meaningless then).
pub fn sanitized() -> bool {
    std::env::var_os("BERTC_RUST_SANITIZED").is_some()
        || std::env::var("LD_PRELOAD").is_ok_and(|p| p.contains("asan"))
}
