package bertc_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	bertc "github.com/bertc/bertc-go"
)

// 8 goroutines sharing one Tokenizer and one Model get the single-threaded results.
func TestConcurrentTokenizerAndModel(t *testing.T) {
	tok, m := tiny(t)
	texts := []string{"the [MASK] of the house.", "He said that it was [MASK].", "[MASK] is a good man",
		"The President of the United States said [MASK] ."}
	type result struct {
		enc   *bertc.Encoding
		preds string
	}
	want := make([]result, len(texts))
	for i, text := range texts {
		enc, err := tok.Encode(text, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.FillMask(tok, text, &bertc.FillMaskOptions{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = result{enc, fmtPreds(p[0])}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 12; i++ {
				k := (g + i) % len(texts)
				enc, err := tok.Encode(texts[k], nil)
				if err != nil || !reflect.DeepEqual(enc, want[k].enc) {
					errs <- fmt.Errorf("goroutine %d: encode %q: %v %v", g, texts[k], enc, err)
					return
				}
				batch, err := tok.EncodeBatch(texts, &bertc.EncodeOptions{Threads: 1})
				if err != nil || !reflect.DeepEqual(batch[k], want[k].enc) {
					errs <- fmt.Errorf("goroutine %d: batch: %v", g, err)
					return
				}
				p, err := m.FillMask(tok, texts[k], &bertc.FillMaskOptions{Threads: 1 + g%2})
				if err != nil || fmtPreds(p[0]) != want[k].preds {
					errs <- fmt.Errorf("goroutine %d: fill-mask %q: %v %v", g, texts[k], p, err)
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

// Close while other goroutines are calling: every call either works or fails with ErrClosed, and
// the memory goes when the last running call returns.
func TestCloseDuringCalls(t *testing.T) {
	for round := 0; round < 5; round++ {
		tok, err := bertc.LoadTokenizer(tinyDir(t))
		if err != nil {
			t.Fatal(err)
		}
		m, err := bertc.LoadModel(tinyDir(t))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 8)
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < 30; i++ {
					if _, err := tok.Encode("the house of the state", nil); err != nil && !errors.Is(err, bertc.ErrClosed) {
						errs <- err
					}
					if _, err := m.FillMask(tok, "the [MASK].", &bertc.FillMaskOptions{Threads: 1}); err != nil && !errors.Is(err, bertc.ErrClosed) {
						errs <- err
					}
				}
			}()
		}
		close(start)
		tok.Close()
		m.Close()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}

// The model's inference methods work from other goroutines while a Trainer trains it.
func TestFillMaskDuringTraining(t *testing.T) {
	f := newTrainerFixture(t)
	opts := f.options("")
	opts.NoSaveFinalModel, opts.EvalSplit, opts.MaxSteps = true, bertc.Ptr(0.0), 20
	m := f.model(t)
	tr := f.trainer(t, m, opts)
	done := make(chan error, 1)
	go func() { done <- tr.Train(context.Background(), nil) }()
	calls := 0
	for training := true; training; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			training = false
		default:
		}
		if _, err := m.FillMask(f.tok, "the [MASK] said.", &bertc.FillMaskOptions{Threads: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.ScoreText(f.tok, []string{"the man said."}, &bertc.ScoreOptions{Threads: 1}); err != nil {
			t.Fatal(err)
		}
		calls++
	}
	if info, _ := tr.Info(); info.GlobalStep != 20 || calls == 0 {
		t.Fatalf("step %d, %d calls", info.GlobalStep, calls)
	}
}
