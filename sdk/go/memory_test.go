package bertc_test

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	bertc "github.com/bertc/bertc-go"
)

// rss returns the resident set size of this process in bytes (Linux /proc/self/statm).
func rss(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

// settledRSS collects Go garbage, returns free Go memory to the OS and reads the RSS, less the free
// Go heap pages the runtime keeps resident for reuse (per-P page caches that FreeOSMemory does not
// return: up to 512 kB per P, which would otherwise be noise of the size of the limit). Live Go
// objects, and all C memory, still count.
func settledRSS(t *testing.T) (adjusted, raw int64) {
	runtime.GC()
	debug.FreeOSMemory()
	raw = rss(t)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return raw - int64(ms.HeapIdle-ms.HeapReleased), raw
}

// No memory is leaked per call: after a warm-up of 1,000 encodes, 1,000 fill-masks and 1,000
// classifications and taggings (LibTorch and malloc settle in during the first few hundred), 100,000
// more encodes and 1,000 more of the others grow the resident set by less than 1 MB.
func TestMemoryIsStable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/statm")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory grows with the Go heap; sdk/go/test.sh runs this test without -race")
	}
	if strings.Contains(os.Getenv("LD_PRELOAD"), "asan") {
		t.Skip("AddressSanitizer's quarantine holds freed memory: RSS says nothing about leaks")
	}
	// One OS thread makes every call, as in C: otherwise the cgo calls wander over the runtime's
	// threads and each new one warms up its own malloc arena, which looks like growth.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Collect often, so the Go heap does not swing up to GOGC's 4 MB minimum between collections
	// (the runtime keeps some metadata of a larger heap resident: growth that is not a leak).
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	tok, m := tiny(t)
	const text = "The quick brown fox jumps over the lazy dog near the river bank."
	opts := &bertc.FillMaskOptions{TopK: 5, Threads: 1}
	encode := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := tok.Encode(text, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := m.FillMask(tok, "the [MASK] of the house.", opts); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctok, seq, tagger := classifiers(t)
	copts := &bertc.ClassifyOptions{Threads: 1}
	texts := []string{"The man said that the people of the house were good.", "He was in the world today!"}
	classify := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := seq.Classify(ctok, texts, copts); err != nil {
				t.Fatal(err)
			}
			if _, err := tagger.Tag(ctok, texts, copts); err != nil {
				t.Fatal(err)
			}
		}
	}
	encode(1000)
	fill(1000)
	classify(1000)
	start := time.Now()
	before, rawBefore := settledRSS(t)
	encode(100000)
	fill(1000)
	classify(1000)
	after, rawAfter := settledRSS(t)
	t.Logf("RSS %d kB -> %d kB (%+d kB; raw RSS %+d kB) over 100000 encodes + 1000 fill-masks + 1000 classify/tag in %v",
		before>>10, after>>10, (after-before)>>10, (rawAfter-rawBefore)>>10, time.Since(start).Round(time.Millisecond))
	if after-before >= 1<<20 {
		t.Fatalf("RSS grew by %d kB", (after-before)>>10)
	}
}
