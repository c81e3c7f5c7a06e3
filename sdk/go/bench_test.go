package bertc_test

import (
	"testing"

	bertc "github.com/bertc/bertc-go"
)

const benchSentence = "The quick brown fox jumps over the lazy dog near the river bank."

func BenchmarkEncode(b *testing.B) {
	tok, _ := tiny(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tok.Encode(benchSentence, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeParallel(b *testing.B) {
	tok, _ := tiny(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tok.Encode(benchSentence, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFillMask(b *testing.B) {
	tok, m := tiny(b)
	opts := &bertc.FillMaskOptions{Threads: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.FillMask(tok, "the [MASK] of the house.", opts); err != nil {
			b.Fatal(err)
		}
	}
}
