package bertc_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	bertc "github.com/bertc/bertc-go"
)

func TestErrorSentinels(t *testing.T) {
	sentinels := map[bertc.Status]error{
		bertc.StatusInvalidArgument: bertc.ErrInvalidArgument, bertc.StatusIO: bertc.ErrIO,
		bertc.StatusFormat: bertc.ErrFormat, bertc.StatusInvalidUTF8: bertc.ErrInvalidUTF8,
		bertc.StatusOutOfMemory: bertc.ErrOutOfMemory, bertc.StatusCancelled: bertc.ErrCancelled,
		bertc.StatusUnsupported: bertc.ErrUnsupported, bertc.StatusInternal: bertc.ErrInternal,
	}
	for st, sentinel := range sentinels {
		err := fmt.Errorf("context: %w", &bertc.Error{Status: st, Message: "f: what went wrong"})
		for other, s := range sentinels {
			if errors.Is(err, s) != (other == st) {
				t.Errorf("status %v: errors.Is(%v) = %v", st, s, !(other == st))
			}
		}
		if !errors.Is(err, sentinel) || errors.Is(err, bertc.ErrClosed) {
			t.Errorf("status %v", st)
		}
		if st.String() == "" || st.String() == "unknown status" || !strings.Contains(err.Error(), st.String()) {
			t.Errorf("status %d name %q in %q", st, st.String(), err)
		}
	}
	if bertc.Status(99).String() != "unknown status" {
		t.Error(bertc.Status(99).String())
	}
	if bertc.ErrIO.Error() != "bertc: "+bertc.StatusIO.String() {
		t.Error(bertc.ErrIO.Error())
	}
}

func TestMissingFileErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing-tokenizer-dir")
	_, err := bertc.LoadTokenizer(missing)
	var e *bertc.Error
	if !errors.Is(err, bertc.ErrIO) || !errors.As(err, &e) || !strings.Contains(e.Message, "missing-tokenizer-dir") {
		t.Fatalf("missing tokenizer: %#v", err)
	}
	_, err = bertc.TrainTokenizer(context.Background(), []string{filepath.Join(t.TempDir(), "missing.txt")}, nil)
	if !errors.Is(err, bertc.ErrIO) || !strings.Contains(err.Error(), "missing.txt") {
		t.Fatalf("missing corpus: %v", err)
	}
	tok, m := tiny(t)
	blocked := filepath.Join(tinyDir(t), "config.json", "sub") // a file in the way
	if err := m.Save(blocked); !errors.Is(err, bertc.ErrIO) {
		t.Fatalf("save below a file: %v", err)
	}
	if err := tok.Save(blocked); !errors.Is(err, bertc.ErrIO) {
		t.Fatalf("tokenizer save below a file: %v", err)
	}
	// A NUL byte would cut a path short in C: refused.
	if _, err := bertc.LoadModel(tinyDir(t) + "\x00/elsewhere"); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("NUL in path: %v", err)
	}
}

func TestUseAfterClose(t *testing.T) {
	tok, err := bertc.LoadTokenizer(tinyDir(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := bertc.LoadModel(tinyDir(t))
	if err != nil {
		t.Fatal(err)
	}
	shared, _ := tiny(t)
	if err := tok.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tok.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	m.Close()
	m.Close()
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, bertc.ErrClosed) || !errors.Is(err, bertc.ErrInvalidArgument) {
			t.Errorf("%s: %v", what, err)
		}
	}
	_, err = tok.Encode("x", nil)
	check("Encode", err)
	_, err = tok.EncodeBatch([]string{"x"}, nil)
	check("EncodeBatch", err)
	_, err = tok.Decode([]int32{1}, nil)
	check("Decode", err)
	_, err = tok.DecodeBatch([][]int32{{1}}, nil)
	check("DecodeBatch", err)
	_, err = tok.TokenToID("x")
	check("TokenToID", err)
	_, err = tok.IDToToken(1)
	check("IDToToken", err)
	_, err = tok.SpecialTokenID(bertc.SpecialCLS)
	check("SpecialTokenID", err)
	check("Save", tok.Save(t.TempDir()))
	_, err = tok.SaveToMemory(bertc.FileVocab)
	check("SaveToMemory", err)
	if tok.VocabSize() != 0 {
		t.Error("VocabSize of a closed tokenizer")
	}
	_, err = m.FillMask(shared, "a [MASK]", nil)
	check("FillMask", err)
	_, err = shared.Encode("a", nil) // other handles are unaffected
	if err != nil {
		t.Fatal(err)
	}
	_, tm := tiny(t)
	_, err = tm.FillMask(tok, "a [MASK]", nil) // closed tokenizer argument
	check("FillMask(closed tokenizer)", err)
	_, err = m.FillMaskBatch(shared, []string{"a [MASK]"}, nil)
	check("FillMaskBatch", err)
	_, err = m.ScoreText(shared, []string{"a"}, nil)
	check("ScoreText", err)
	check("Model.Save", m.Save(t.TempDir()))
	_, err = m.Config()
	check("Config", err)
	_, err = m.NumParameters()
	check("NumParameters", err)
	_, err = bertc.NewTrainer(tm, tok, nil, nil, nil)
	check("NewTrainer(closed tokenizer)", err)
	// nil handles behave as closed ones.
	var nilTok *bertc.Tokenizer
	var nilModel *bertc.Model
	var nilTrainer *bertc.Trainer
	_, err = nilTok.Encode("x", nil)
	check("nil Tokenizer", err)
	_, err = nilModel.FillMask(shared, "a [MASK]", nil)
	check("nil Model", err)
	_, err = nilTrainer.Info()
	check("nil Trainer", err)
	nilTok.Close()
	nilModel.Close()
	nilTrainer.Close()
}

// Each failed call's message is read on the OS thread of that call: many goroutines failing at once
// (with successful calls in between, which empty the thread's message) never see another's message.
func TestErrorMessagesDoNotMixAcrossGoroutines(t *testing.T) {
	tok, _ := tiny(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				name := fmt.Sprintf("missing-%d-%d", g, i)
				_, err := bertc.LoadTokenizer(filepath.Join("/nonexistent", name))
				if !errors.Is(err, bertc.ErrIO) || !strings.Contains(err.Error(), name) {
					errs <- fmt.Errorf("goroutine %d: want %s, got %v", g, name, err)
					return
				}
				runtime.Gosched()
				if _, err := tok.Encode("the house", nil); err != nil {
					errs <- err
					return
				}
				bad := strings.Repeat("a", g*3+i) + "\xff"
				_, err = tok.Encode(bad, nil)
				want := fmt.Sprint(len(bad) - 1) // the message names the byte offset
				if !errors.Is(err, bertc.ErrInvalidUTF8) || !strings.Contains(err.Error(), want) {
					errs <- fmt.Errorf("goroutine %d: want offset %s, got %v", g, want, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestLimits(t *testing.T) {
	before, err := bertc.CurrentLimits()
	if err != nil {
		t.Fatal(err)
	}
	if before.MaxTextBytes != 1<<30 || before.MaxVocabSize != 1<<24 {
		t.Fatalf("defaults: %+v", before)
	}
	tok, _ := tiny(t)
	tight := before
	tight.MaxTextBytes = 8
	if err := bertc.SetLimits(tight); err != nil {
		t.Fatal(err)
	}
	_, encErr := tok.Encode("more than eight bytes", nil)
	if err := bertc.SetLimits(before); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(encErr, bertc.ErrLimit) || !strings.Contains(encErr.Error(), "max_text_bytes") {
		t.Fatalf("want ErrLimit naming max_text_bytes, got %v", encErr)
	}
	if _, err := tok.Encode("more than eight bytes", nil); err != nil {
		t.Fatal(err)
	}
}
