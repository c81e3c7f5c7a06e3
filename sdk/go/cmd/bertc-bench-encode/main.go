// Command bertc-bench-encode measures the Go SDK's per-call cost of Tokenizer.Encode: it loads the
// tokenizer at TOKENIZER (a directory, tokenizer.json or vocab.txt), encodes a 12-word sentence N
// times after a warm-up, and prints one JSON line {"sdk":"go","us_per_call":X,"calls":N}.
//
//	bertc-bench-encode TOKENIZER [N]   (N defaults to 200000)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	bertc "github.com/bertc/bertc-go"
)

const sentence = "The quick brown fox jumps over the lazy dog near the river bank."

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: bertc-bench-encode TOKENIZER [N]")
		os.Exit(2)
	}
	n := 200000
	if len(os.Args) == 3 {
		v, err := strconv.Atoi(os.Args[2])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "bertc-bench-encode: bad N %q\n", os.Args[2])
			os.Exit(2)
		}
		n = v
	}
	tok, err := bertc.LoadTokenizer(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bertc-bench-encode:", err)
		os.Exit(1)
	}
	defer tok.Close()
	for i := 0; i < min(n, 10000); i++ { // warm-up
		if _, err := tok.Encode(sentence, nil); err != nil {
			fmt.Fprintln(os.Stderr, "bertc-bench-encode:", err)
			os.Exit(1)
		}
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := tok.Encode(sentence, nil); err != nil {
			fmt.Fprintln(os.Stderr, "bertc-bench-encode:", err)
			os.Exit(1)
		}
	}
	elapsed := time.Since(start)
	out, _ := json.Marshal(struct {
		SDK       string  `json:"sdk"`
		USPerCall float64 `json:"us_per_call"`
		Calls     int     `json:"calls"`
	}{"go", float64(elapsed.Nanoseconds()) / 1e3 / float64(n), n})
	fmt.Println(string(out))
}
