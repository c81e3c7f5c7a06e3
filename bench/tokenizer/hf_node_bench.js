#!/usr/bin/env node
// HF tokenizers through its Node binding (npm `tokenizers`), the encode side of run.sh:
//   NODE_PATH=<dir>/node_modules node hf_node_bench.js <corpus> <tokenizer.json>
// Encodes every line with encodeBatch (no truncation, no padding), best of 3; threads from
// RAYON_NUM_THREADS. Prints "encode seconds=... mb_per_s=... tokens=... peak_rss_mb=...".
"use strict";
const fs = require("fs");
const { Tokenizer } = require("tokenizers");

async function main() {
  const [corpus, tokjson] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokjson);
  tok.disableTruncation();
  tok.disablePadding();
  const data = fs.readFileSync(corpus, "utf8");
  const lines = data.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  let best = Infinity;
  let tokens = 0;
  for (let rep = 0; rep < 3; ++rep) {
    const t0 = process.hrtime.bigint();
    const encs = await tok.encodeBatch(lines);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, dt);
    tokens = 0;
    for (const e of encs) tokens += e.getIds().length;
  }
  const bytes = Buffer.byteLength(data, "utf8");
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`encode seconds=${best.toFixed(4)} mb_per_s=${(bytes / 1e6 / best).toFixed(2)} tokens=${tokens} ` +
              `peak_rss_mb=${rss.toFixed(1)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
