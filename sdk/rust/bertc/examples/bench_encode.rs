//! Call overhead of the Rust SDK: the loop of bench/sdk_overhead/bench_encode.c through `bertc`
//! (one 12-word sentence encoded CALLS times after a warm-up, ids read back).
//!
//!     cargo run --release --example bench_encode -- TOKENIZER_DIR [CALLS]
//!
//! Prints `{"sdk":"rust","us_per_call":X,"calls":N,"checksum":C}`.
use std::time::Instant;

const TEXT: &str = "The quick brown fox jumps over the lazy dog near the river bank.";

fn encode_once(tok: &bertc::Tokenizer) -> Result<i64, bertc::Error> {
    Ok(tok.encode(TEXT)?.ids().iter().map(|&i| i64::from(i)).sum())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: bench_encode TOKENIZER_DIR [CALLS]")?;
    let calls: u64 = args.next().map_or(Ok(200_000), |n| n.parse())?;
    let tok = bertc::Tokenizer::load(path)?;
    let mut sink = 0i64;
    for _ in 0..calls / 10 + 1 {
        sink += encode_once(&tok)?;
    }
    let start = Instant::now();
    for _ in 0..calls {
        sink += encode_once(&tok)?;
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / calls.max(1) as f64;
    println!(
        "{{\"sdk\":\"rust\",\"us_per_call\":{us:.3},\"calls\":{calls},\"checksum\":{}}}",
        sink % 1000
    );
    Ok(())
}
