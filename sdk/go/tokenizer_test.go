package bertc_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bertc "github.com/bertc/bertc-go"
)

func TestVersion(t *testing.T) {
	if err := bertc.CheckVersion(); err != nil {
		t.Fatal(err)
	}
	header, err := os.ReadFile(filepath.Join(fixtures(t), "..", "..", "include", "bertc.h"))
	if err != nil {
		t.Skip("no bertc.h next to the fixtures")
	}
	for _, part := range []string{"MAJOR", "MINOR", "PATCH"} {
		if !bytes.Contains(header, []byte("#define BERTC_VERSION_"+part+" ")) {
			t.Fatalf("no BERTC_VERSION_%s in bertc.h", part)
		}
	}
	if bertc.Version() == "" || !strings.HasPrefix(bertc.Version(), strings.SplitN(bertc.HeaderVersion, ".", 2)[0]+".") {
		t.Fatalf("library %q, header %q", bertc.Version(), bertc.HeaderVersion)
	}
	info, err := bertc.GetBuildInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != bertc.Version() || info.ABI != 1 || info.BLAS.Kernel == "" || info.CPU.ISA == "" ||
		info.DefaultThreads == "" || !strings.Contains(info.JSON, `"blas"`) {
		t.Fatalf("build info %+v", info)
	}
}

func trainSmall(t *testing.T, lines []string, opts *bertc.TokenizerOptions) *bertc.Tokenizer {
	t.Helper()
	tok, err := bertc.TrainTokenizerFromLines(context.Background(), lines, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.Close() })
	return tok
}

func TestTrainTokenizerFromLinesAndFiles(t *testing.T) {
	lines := corpus(300)
	events := map[bertc.EventKind]int{}
	opts := &bertc.TokenizerOptions{VocabSize: 150, MinFrequency: 1, Threads: 2,
		Progress: func(e bertc.Event) error {
			events[e.Kind]++
			if e.Total != 0 && e.Current > e.Total {
				t.Errorf("event %v: current %d > total %d", e.Kind, e.Current, e.Total)
			}
			return nil
		}}
	fromLines := trainSmall(t, lines, opts)
	if events[bertc.EventTokenizerCount] == 0 || events[bertc.EventTokenizerMerge] == 0 {
		t.Fatalf("progress events: %v", events)
	}
	if n := fromLines.VocabSize(); n < 20 || n > 150 {
		t.Fatalf("vocab size %d", n)
	}
	file := writeLines(t, filepath.Join(t.TempDir(), "corpus.txt"), lines)
	opts.Progress = nil
	fromFile, err := bertc.TrainTokenizer(context.Background(), []string{file}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer fromFile.Close()
	a, _ := fromLines.SaveToMemory(bertc.FileTokenizerJSON)
	b, _ := fromFile.SaveToMemory(bertc.FileTokenizerJSON)
	if !bytes.Equal(a, b) || len(a) == 0 || a[0] != '{' {
		t.Fatal("training on lines and on the same file gave different tokenizers")
	}
	// Default special tokens get ids 0..4.
	for role, want := range map[bertc.SpecialToken]int32{bertc.SpecialPad: 0, bertc.SpecialUnk: 1, bertc.SpecialCLS: 2,
		bertc.SpecialSep: 3, bertc.SpecialMask: 4} {
		if id, err := fromLines.SpecialTokenID(role); err != nil || id != want {
			t.Errorf("role %d: id %d, %v", role, id, err)
		}
	}
}

func TestTrainTokenizerOnBrown(t *testing.T) {
	lines := brownLines(t, 300)
	tok := trainSmall(t, lines, &bertc.TokenizerOptions{VocabSize: 2000})
	if n := tok.VocabSize(); n < 500 || n > 2000 {
		t.Fatalf("vocab size %d", n)
	}
	enc, err := tok.Encode(lines[0], nil)
	if err != nil || len(enc.IDs) < 3 {
		t.Fatal(enc, err)
	}
}

func TestTrainTokenizerOptions(t *testing.T) {
	lines := corpus(200)
	tok := trainSmall(t, lines, &bertc.TokenizerOptions{
		VocabSize: 120, MinFrequency: 1, NoLowercase: true, LimitAlphabet: bertc.Ptr(0),
		SpecialTokens: []string{"<pad>", "<unk>", "<cls>", "<sep>", "<mask>", "<extra>"},
		UnkToken:      "<unk>", ClsToken: "<cls>", SepToken: "<sep>", PadToken: "<pad>", MaskToken: "<mask>",
	})
	if id, _ := tok.TokenToID("<extra>"); id != 5 {
		t.Fatalf("<extra> has id %d", id)
	}
	if id, _ := tok.SpecialTokenID(bertc.SpecialMask); id != 4 {
		t.Fatalf("mask id %d", id)
	}
	enc, err := tok.Encode("The man", nil)
	if err != nil {
		t.Fatal(err)
	}
	if first, _ := tok.IDToToken(enc.IDs[0]); first != "<cls>" {
		t.Fatalf("first token %q", first)
	}
	// Case is kept: "The" is not "the".
	lower, _ := tok.Encode("the man", nil)
	if reflect.DeepEqual(enc.IDs, lower.IDs) {
		t.Fatal("NoLowercase had no effect")
	}
	// An unknown enum value is the library's to refuse.
	_, err = bertc.TrainTokenizerFromLines(context.Background(), lines, &bertc.TokenizerOptions{Algorithm: 7})
	if !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("bad algorithm: %v", err)
	}
	// A NUL inside a NUL-terminated option is refused, not truncated.
	_, err = bertc.TrainTokenizerFromLines(context.Background(), lines, &bertc.TokenizerOptions{UnkToken: "[UNK]\x00x"})
	if !errors.Is(err, bertc.ErrInvalidArgument) || !strings.Contains(err.Error(), "NUL") {
		t.Fatalf("NUL in option: %v", err)
	}
}

func TestTrainTokenizerCancel(t *testing.T) {
	lines := corpus(300)
	stop := errors.New("stop here")
	_, err := bertc.TrainTokenizerFromLines(context.Background(), lines, &bertc.TokenizerOptions{VocabSize: 150,
		Progress: func(e bertc.Event) error { return stop }})
	if !errors.Is(err, bertc.ErrCancelled) || !errors.Is(err, stop) {
		t.Fatalf("cancel by progress: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = bertc.TrainTokenizerFromLines(ctx, lines, &bertc.TokenizerOptions{VocabSize: 150,
		Progress: func(e bertc.Event) error {
			cancel()
			return nil
		}})
	if !errors.Is(err, bertc.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel by context: %v", err)
	}
	_, err = bertc.TrainTokenizerFromLines(ctx, lines, nil) // already cancelled
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

func TestLoadSaveAndMemoryRoundTrip(t *testing.T) {
	tok, _ := tiny(t)
	dir := t.TempDir()
	if err := tok.Save(filepath.Join(dir, "tok")); err != nil {
		t.Fatal(err)
	}
	if err := tok.Save(filepath.Join(dir, "one.json")); err != nil {
		t.Fatal(err)
	}
	json, err := tok.SaveToMemory(bertc.FileTokenizerJSON)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, _ := os.ReadFile(filepath.Join(dir, "one.json"))
	if !bytes.Equal(json, onDisk) {
		t.Fatal("SaveToMemory differs from Save")
	}
	vocab, _ := tok.SaveToMemory(bertc.FileVocab)
	config, _ := tok.SaveToMemory(bertc.FileTokenizerConfig)
	if !bytes.Contains(config, []byte("do_lower_case")) {
		t.Fatalf("config: %s", config)
	}
	fromDir, err := bertc.LoadTokenizer(filepath.Join(dir, "tok"))
	if err != nil {
		t.Fatal(err)
	}
	defer fromDir.Close()
	fromJSON, err := bertc.LoadTokenizerFromMemory(json, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fromJSON.Close()
	fromVocab, err := bertc.LoadTokenizerFromMemory(vocab, config)
	if err != nil {
		t.Fatal(err)
	}
	defer fromVocab.Close()
	for i := range json {
		json[i] = 'x' // not retained
	}
	for _, q := range hfQueries(t) {
		want, _ := tok.Encode(q.Text, nil)
		for _, other := range []*bertc.Tokenizer{fromDir, fromJSON, fromVocab} {
			got, err := other.Encode(q.Text, nil)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: %v %v, want %v", q.Text, got, err, want)
			}
		}
	}
	if _, err := bertc.LoadTokenizerFromMemory([]byte("{not json"), nil); !errors.Is(err, bertc.ErrFormat) {
		t.Fatalf("corrupt JSON: %v", err)
	}
	if _, err := tok.SaveToMemory(9); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("bad file kind: %v", err)
	}
}

func TestEncodeMatchesHF(t *testing.T) {
	tok, _ := tiny(t)
	for _, q := range hfQueries(t) {
		enc, err := tok.Encode(q.Text, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(enc.IDs, q.InputIDs) {
			t.Errorf("%q: ids %v, HF %v", q.Text, enc.IDs, q.InputIDs)
		}
		n := len(enc.IDs)
		if len(enc.TypeIDs) != n || len(enc.AttentionMask) != n || len(enc.SpecialTokensMask) != n ||
			len(enc.Offsets) != n || len(enc.SequenceIDs) != n {
			t.Fatalf("%q: ragged encoding %+v", q.Text, enc)
		}
		if enc.SpecialTokensMask[0] != 1 || enc.SequenceIDs[0] != -1 || enc.SequenceIDs[1] != 0 {
			t.Errorf("%q: special tokens %v / sequence ids %v", q.Text, enc.SpecialTokensMask, enc.SequenceIDs)
		}
	}
}

func TestEncodeOptions(t *testing.T) {
	tok, _ := tiny(t)
	text := "the house of the [MASK]."
	enc, err := tok.Encode(text, nil)
	if err != nil {
		t.Fatal(err)
	}
	mask, _ := tok.SpecialTokenID(bertc.SpecialMask)
	found := false
	for i, id := range enc.IDs {
		if id == mask {
			found = true
			if o := enc.Offsets[i]; text[o.Start:o.End] != "[MASK]" {
				t.Fatalf("mask offsets %v", o)
			}
		}
	}
	if !found {
		t.Fatal("no [MASK] id")
	}
	split, _ := tok.Encode(text, &bertc.EncodeOptions{SplitSpecialTokens: true})
	for _, id := range split.IDs {
		if id == mask {
			t.Fatal("SplitSpecialTokens kept [MASK]")
		}
	}
	bare, _ := tok.Encode(text, &bertc.EncodeOptions{NoSpecialTokens: true})
	if !reflect.DeepEqual(bare.IDs, enc.IDs[1:len(enc.IDs)-1]) {
		t.Fatalf("NoSpecialTokens: %v vs %v", bare.IDs, enc.IDs)
	}
	// Pair + truncation + padding + overflow windows (as tests/c/test_tokenizer.c).
	opts := &bertc.EncodeOptions{Truncation: bertc.TruncationOnlyFirst, MaxLength: 8, Stride: 1,
		ReturnOverflowing: true, Padding: bertc.PaddingMaxLength, PadLength: 10}
	pair, err := tok.EncodePair("the quick brown fox jumps over the lazy dog in the house", "a man", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Overflowing) == 0 {
		t.Fatal("no overflow windows")
	}
	for _, row := range append([]*bertc.Encoding{pair}, pair.Overflowing...) {
		if len(row.IDs) != 10 || row.AttentionMask[9] != 0 || row.IDs[9] != 0 || row.TypeIDs[0] != 0 {
			t.Fatalf("row %+v", row)
		}
		if !containsInt32(row.TypeIDs, 1) {
			t.Fatalf("no second-text tokens in %v", row.TypeIDs)
		}
	}
	// An empty pair is a pair: [CLS] A [SEP] [SEP].
	emptyPair, _ := tok.EncodePair("house", "", nil)
	single, _ := tok.Encode("house", nil)
	if len(emptyPair.IDs) != len(single.IDs)+1 {
		t.Fatalf("empty pair %v vs single %v", emptyPair.IDs, single.IDs)
	}
	// The library judges options: only_second without a pair.
	if _, err := tok.Encode("the house", &bertc.EncodeOptions{Truncation: bertc.TruncationOnlySecond, MaxLength: 3}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("only_second without pair: %v", err)
	}
	// Text may contain NUL bytes (pointer + length).
	nul, err := tok.Encode("house\x00house", nil)
	if err != nil || len(nul.IDs) < 4 {
		t.Fatalf("NUL text: %v %v", nul, err)
	}
	if _, err := tok.Encode("", nil); err != nil {
		t.Fatalf("empty text: %v", err)
	}
}

func containsInt32(v []int32, x int32) bool {
	for _, y := range v {
		if y == x {
			return true
		}
	}
	return false
}

func TestEncodeBatch(t *testing.T) {
	tok, _ := tiny(t)
	texts := []string{"the [MASK] of the house.", "He said that it was good.", "", "a man"}
	batch, err := tok.EncodeBatch(texts, &bertc.EncodeOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != len(texts) {
		t.Fatalf("%d results", len(batch))
	}
	for i, text := range texts {
		single, _ := tok.Encode(text, nil)
		if !reflect.DeepEqual(batch[i], single) {
			t.Fatalf("%q: batch %+v, single %+v", text, batch[i], single)
		}
	}
	padded, _ := tok.EncodeBatch(texts, &bertc.EncodeOptions{Padding: bertc.PaddingLongest})
	for _, e := range padded {
		if len(e.IDs) != len(padded[1].IDs) {
			t.Fatal("PaddingLongest did not pad to the longest row")
		}
	}
	pairs, err := tok.EncodePairBatch(texts[:2], []string{"x", "y"}, nil)
	if err != nil || len(pairs) != 2 || !containsInt32(pairs[1].TypeIDs, 1) {
		t.Fatalf("pair batch: %v %v", pairs, err)
	}
	if _, err := tok.EncodePairBatch(texts, []string{"x"}, nil); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("mismatched pairs: %v", err)
	}
	if empty, err := tok.EncodeBatch(nil, nil); err != nil || len(empty) != 0 {
		t.Fatalf("empty batch: %v %v", empty, err)
	}
	_, err = tok.EncodeBatch([]string{"fine", "bad \xff utf-8"}, nil)
	if !errors.Is(err, bertc.ErrInvalidUTF8) || !strings.Contains(err.Error(), "1") {
		t.Fatalf("invalid UTF-8 in batch: %v", err)
	}
}

func TestDecode(t *testing.T) {
	tok, _ := tiny(t)
	enc, _ := tok.Encode("the [MASK] of the house.", nil)
	full, err := tok.Decode(enc.IDs, nil)
	if err != nil || full != "[CLS] the [MASK] of the house. [SEP]" {
		t.Fatalf("decode: %q %v", full, err)
	}
	skip, _ := tok.Decode(enc.IDs, &bertc.DecodeOptions{SkipSpecialTokens: true})
	if skip != "the of the house." {
		t.Fatalf("skip special: %q", skip)
	}
	raw, _ := tok.Decode(enc.IDs, &bertc.DecodeOptions{SkipSpecialTokens: true, NoCleanup: true})
	if raw != "the of the house ." {
		t.Fatalf("no cleanup: %q", raw)
	}
	if empty, err := tok.Decode(nil, nil); err != nil || empty != "" {
		t.Fatalf("empty decode: %q %v", empty, err)
	}
	seqs := [][]int32{enc.IDs, nil, {101, 739}}
	batch, err := tok.DecodeBatch(seqs, &bertc.DecodeOptions{SkipSpecialTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range seqs {
		one, _ := tok.Decode(s, &bertc.DecodeOptions{SkipSpecialTokens: true})
		if batch[i] != one {
			t.Fatalf("batch[%d] %q, single %q", i, batch[i], one)
		}
	}
}

func TestTokenLookups(t *testing.T) {
	tok, _ := tiny(t)
	if n := tok.VocabSize(); n != 1000 {
		t.Fatalf("vocab %d", n)
	}
	if id, err := tok.TokenToID("[MASK]"); err != nil || id != 4 {
		t.Fatalf("[MASK] -> %d %v", id, err)
	}
	if id, err := tok.TokenToID("no-such-token"); err != nil || id != -1 {
		t.Fatalf("unknown -> %d %v", id, err)
	}
	if s, err := tok.IDToToken(966); err != nil || s != "ref" {
		t.Fatalf("966 -> %q %v", s, err)
	}
	if _, err := tok.IDToToken(1000); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("out of range: %v", err)
	}
	toks, err := tok.IDsToTokens([]int32{2, 101, 3})
	if err != nil || !reflect.DeepEqual(toks, []string{"[CLS]", "the", "[SEP]"}) {
		t.Fatalf("tokens %v %v", toks, err)
	}
	if _, err := tok.SpecialTokenID(99); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("bad role: %v", err)
	}
}
