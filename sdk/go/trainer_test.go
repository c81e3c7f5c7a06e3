package bertc_test

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bertc "github.com/bertc/bertc-go"
)

// trainerFixture is the C trainer tests' setup: the 8000-word Brown tokenizer, a tiny model
// (hidden 32, 2 layers) and a 120-line synthetic corpus.
type trainerFixture struct {
	tok    *bertc.Tokenizer
	corpus string
	dir    string
}

func newTrainerFixture(t *testing.T) *trainerFixture {
	t.Helper()
	tok, err := bertc.LoadTokenizer(brownTokenizerDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.Close() })
	dir := t.TempDir()
	return &trainerFixture{tok: tok, dir: dir, corpus: writeLines(t, filepath.Join(dir, "train.txt"), corpus(120))}
}

func (f *trainerFixture) model(t *testing.T) *bertc.Model { return newModel(t, smallConfig(8000)) }

func (f *trainerFixture) options(out string) *bertc.TrainerOptions {
	return &bertc.TrainerOptions{OutputDir: out, MaxLength: 32, BatchSize: 4, LearningRate: 1e-3, MaxSteps: 6,
		LoggingSteps: bertc.Ptr[int64](1), Threads: 1, Seed: bertc.Ptr[uint64](3)}
}

func (f *trainerFixture) trainer(t *testing.T, m *bertc.Model, opts *bertc.TrainerOptions) *bertc.Trainer {
	t.Helper()
	tr, err := bertc.NewTrainer(m, f.tok, &bertc.TrainData{Files: []string{f.corpus}}, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestTrainerTrainEvaluateFinalModel(t *testing.T) {
	f := newTrainerFixture(t)
	out := filepath.Join(f.dir, "run")
	opts := f.options(out)
	opts.EvalSplit = bertc.Ptr(0.2)
	opts.EvalSteps, opts.SaveSteps, opts.SaveTotalLimit, opts.LoadBestModelAtEnd = 3, 3, 1, true
	m := f.model(t)
	tr := f.trainer(t, m, opts)
	info, err := tr.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.TotalSteps != 6 || info.TrainExamples+info.EvalExamples != 120 || info.EvalExamples != 24 ||
		info.GlobalStep != 0 || !math.IsNaN(info.BestMetric) || info.BestCheckpoint != "" {
		t.Fatalf("info %+v", info)
	}
	before, err := tr.Evaluate()
	if err != nil || before.Loss <= 0 || before.Perplexity <= 1 || before.Examples != 24 {
		t.Fatalf("evaluate %+v %v", before, err)
	}
	events := map[bertc.EventKind]int{}
	var steps []int64
	err = tr.Train(context.Background(), func(e bertc.Event) error {
		events[e.Kind]++
		switch e.Kind {
		case bertc.EventTrainStep:
			steps = append(steps, e.Current)
			if e.Loss <= 0 || e.LearningRate <= 0 || e.Total != 6 {
				t.Errorf("step event %+v", e)
			}
		case bertc.EventCheckpoint:
			if !strings.Contains(e.Path, "checkpoint-") {
				t.Errorf("checkpoint event %+v", e)
			}
		case bertc.EventEval:
			if e.EvalLoss <= 0 || e.EvalPerplexity <= 1 {
				t.Errorf("eval event %+v", e)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if events[bertc.EventTrainStep] != 6 || events[bertc.EventEval] != 2 || events[bertc.EventCheckpoint] != 2 {
		t.Fatalf("events %v", events)
	}
	if len(steps) != 6 || steps[0] != 1 || steps[5] != 6 {
		t.Fatalf("steps %v", steps)
	}
	after, _ := tr.Evaluate()
	if after.Loss >= before.Loss {
		t.Fatalf("eval loss %.4f -> %.4f", before.Loss, after.Loss)
	}
	info, _ = tr.Info()
	if info.GlobalStep != 6 || !strings.Contains(info.BestCheckpoint, "checkpoint-") || math.IsNaN(info.BestMetric) {
		t.Fatalf("info after training %+v", info)
	}
	// Train on a finished run only redoes the final save.
	if err := tr.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	// The final model and tokenizer load back.
	loaded, err := bertc.LoadModel(out)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	tok2, err := bertc.LoadTokenizer(out)
	if err != nil {
		t.Fatal(err)
	}
	defer tok2.Close()
	if _, err := os.Stat(filepath.Join(out, "checkpoint-6", "trainer_state.json")); err != nil {
		t.Fatal(err)
	}
	// A second trainer on the same file uses the encoded-dataset cache.
	tr2 := f.trainer(t, m, opts)
	if info, _ := tr2.Info(); !info.CacheHit {
		t.Fatal("no cache hit")
	}
}

// Train driven step by step gives the steps (and losses) of Step.
func TestTrainerStepsMatchTrain(t *testing.T) {
	f := newTrainerFixture(t)
	opts := f.options("")
	opts.NoSaveFinalModel, opts.EvalSplit = true, bertc.Ptr(0.0)
	var trained []float64
	tr := f.trainer(t, f.model(t), opts)
	if err := tr.Train(context.Background(), func(e bertc.Event) error {
		if e.Kind == bertc.EventTrainStep {
			trained = append(trained, e.Loss)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stepped := f.trainer(t, f.model(t), opts)
	for i := 0; i < 6; i++ {
		r, err := stepped.Step(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Step != int64(i+1) || r.TotalSteps != 6 || r.Tokens == 0 || r.MaskedTokens == 0 || r.Loss != trained[i] {
			t.Fatalf("step %d: %+v, Train's loss %v", i+1, r, trained[i])
		}
	}
}

func TestTrainerCancelByProgress(t *testing.T) {
	f := newTrainerFixture(t)
	tr := f.trainer(t, f.model(t), f.options(filepath.Join(f.dir, "cancel")))
	stop := errors.New("enough")
	err := tr.Train(context.Background(), func(e bertc.Event) error {
		if e.Kind == bertc.EventTrainStep && e.Current >= 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, bertc.ErrCancelled) || !errors.Is(err, stop) {
		t.Fatalf("train: %v", err)
	}
	if info, _ := tr.Info(); info.GlobalStep != 2 {
		t.Fatalf("cancelled at step %d", info.GlobalStep)
	}
	if err := tr.Train(context.Background(), nil); err != nil { // continues
		t.Fatal(err)
	}
	if info, _ := tr.Info(); info.GlobalStep != 6 {
		t.Fatalf("finished at step %d", info.GlobalStep)
	}
	// A panic in the progress func cancels the call and is re-raised after it.
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v", r)
			}
		}()
		tr.Step(context.Background(), func(bertc.Event) error { panic("boom") })
		t.Fatal("no panic")
	}()
	if _, err := tr.Step(context.Background(), nil); err != nil { // still usable, lock released
		t.Fatal(err)
	}
}

func TestTrainerCancelByContext(t *testing.T) {
	f := newTrainerFixture(t)
	opts := f.options("")
	opts.NoSaveFinalModel, opts.EvalSplit = true, bertc.Ptr(0.0)
	tr := f.trainer(t, f.model(t), opts)
	ctx, cancel := context.WithCancel(context.Background())
	err := tr.Train(ctx, func(e bertc.Event) error {
		if e.Kind == bertc.EventTrainStep && e.Current == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, bertc.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("train: %v", err)
	}
	if info, _ := tr.Info(); info.GlobalStep != 3 {
		t.Fatalf("stopped at %d", info.GlobalStep)
	}
	// Without events (LoggingSteps 0) a cancelled context stops Train between two steps.
	opts.LoggingSteps = bertc.Ptr[int64](0)
	opts.MaxSteps = 100000
	tr2 := f.trainer(t, f.model(t), opts)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	start := time.Now()
	err = tr2.Train(ctx2, nil)
	if !errors.Is(err, bertc.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	info, _ := tr2.Info()
	if info.GlobalStep == 0 || info.GlobalStep >= 100000 || time.Since(start) > 10*time.Second {
		t.Fatalf("stopped at %d after %v", info.GlobalStep, time.Since(start))
	}
	if _, err := tr2.Step(ctx2, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("step with a done context: %v", err)
	}
}

func TestTrainerCheckpointResume(t *testing.T) {
	f := newTrainerFixture(t)
	out := filepath.Join(f.dir, "resume")
	opts := f.options(out)
	opts.EvalSplit, opts.BatchSize, opts.MaxSteps = bertc.Ptr(0.0), 16, 12 // 12 steps cross an epoch boundary
	run := func(tr *bertc.Trainer, n int) []float64 {
		var losses []float64
		for i := 0; i < n; i++ {
			r, err := tr.Step(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, r.Loss)
		}
		return losses
	}
	straight := run(f.trainer(t, f.model(t), opts), 12)

	first := f.trainer(t, f.model(t), opts)
	resumed := run(first, 5)
	path, err := first.SaveCheckpoint()
	if err != nil || !strings.HasSuffix(path, "checkpoint-5") {
		t.Fatalf("checkpoint %q %v", path, err)
	}
	first.Close()

	second := f.trainer(t, f.model(t), opts)
	if err := second.Resume(""); err != nil {
		t.Fatal(err)
	}
	if info, _ := second.Info(); info.GlobalStep != 5 {
		t.Fatalf("resumed at %d", info.GlobalStep)
	}
	resumed = append(resumed, run(second, 7)...)
	for i := range straight {
		if straight[i] != resumed[i] {
			t.Fatalf("step %d: loss %v uninterrupted, %v resumed", i+1, straight[i], resumed[i])
		}
	}
	// Resuming into another configuration is refused with the library's reason.
	other := *opts
	other.BatchSize = 8
	err = f.trainer(t, f.model(t), &other).Resume(path)
	if !errors.Is(err, bertc.ErrInvalidArgument) || !strings.Contains(err.Error(), "batch_size") {
		t.Fatalf("resume with another batch size: %v", err)
	}
	if err := second.Resume(filepath.Join(out, "checkpoint-999")); !errors.Is(err, bertc.ErrIO) {
		t.Fatalf("missing checkpoint: %v", err)
	}
}

func TestTrainerMemoryDataAndStepBatch(t *testing.T) {
	f := newTrainerFixture(t)
	seqs := make([][]int32, 8)
	for s := range seqs {
		for i := 0; i < 5; i++ {
			seqs[s] = append(seqs[s], int32(100+((s*5+i)*37)%900))
		}
	}
	opts := f.options("")
	opts.NoSaveFinalModel, opts.EvalSplit = true, bertc.Ptr(0.0)
	m := f.model(t)
	tr, err := bertc.NewTrainer(m, f.tok, &bertc.TrainData{Sequences: seqs}, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	r, err := tr.Step(context.Background(), nil)
	if err != nil || r.Step != 1 || r.MaskedTokens == 0 || math.IsNaN(r.Loss) {
		t.Fatalf("step %+v %v", r, err)
	}
	// [CLS] w [MASK] w [SEP] [PAD] with the caller's labels (as tests/c/test_trainer.c).
	batch := &bertc.Batch{
		InputIDs: [][]int32{{2, 150, 4, 170, 3, 0}, {2, 151, 152, 4, 3, 0}},
		Labels:   [][]int32{{-100, -100, 160, -100, -100, -100}, {-100, -100, -100, 153, -100, -100}},
	}
	r, err = tr.StepBatch(batch)
	if err != nil || r.Step != 2 || r.MaskedTokens != 2 || r.Tokens != 10 {
		t.Fatalf("step batch %+v %v", r, err)
	}
	batch.Labels = nil // the collator masks
	batch.AttentionMask = [][]int32{{1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 0}}
	if _, err := tr.StepBatch(batch); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.StepBatch(&bertc.Batch{InputIDs: [][]int32{{2, 8000, 3}}}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("id out of vocabulary: %v", err)
	}
	if _, err := tr.StepBatch(&bertc.Batch{InputIDs: [][]int32{{2, 150, 3}, {2, 3}}}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("ragged batch: %v", err)
	}
	if _, err := tr.StepBatch(&bertc.Batch{}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("empty batch: %v", err)
	}
	if _, err := tr.SaveCheckpoint(); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("checkpoint without output dir: %v", err)
	}
	if _, err := tr.Evaluate(); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("evaluate without eval data: %v", err)
	}
	// Explicit eval data in memory.
	tr2, err := bertc.NewTrainer(m, f.tok, &bertc.TrainData{Sequences: seqs}, &bertc.TrainData{Sequences: seqs[:4]}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	if ev, err := tr2.Evaluate(); err != nil || ev.Examples != 4 {
		t.Fatalf("evaluate %+v %v", ev, err)
	}
	// Out-of-vocabulary ids, both kinds of data, no data: the library refuses.
	bad := [][]int32{{1, 9000}}
	for _, d := range []*bertc.TrainData{{Sequences: bad}, {Sequences: seqs, Files: []string{f.corpus}}, {}} {
		if _, err := bertc.NewTrainer(m, f.tok, d, nil, opts); !errors.Is(err, bertc.ErrInvalidArgument) {
			t.Fatalf("data %+v: %v", d, err)
		}
	}
	if _, err := bertc.NewTrainer(m, f.tok, &bertc.TrainData{Files: []string{filepath.Join(f.dir, "missing.txt")}}, nil, opts); !errors.Is(err, bertc.ErrIO) ||
		!strings.Contains(err.Error(), "missing.txt") {
		t.Fatalf("missing data file: %v", err)
	}
	if _, err := bertc.NewTrainer(m, f.tok, &bertc.TrainData{Sequences: seqs}, nil, &bertc.TrainerOptions{Grouping: 9}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("bad grouping: %v", err)
	}
	packed := *opts
	packed.Grouping, packed.BatchSize = bertc.GroupingPacked, 1
	if tr3, err := bertc.NewTrainer(m, f.tok, &bertc.TrainData{Sequences: seqs}, nil, &packed); err != nil {
		t.Fatalf("packed grouping: %v", err)
	} else {
		tr3.Close()
	}
}

// A progress func may read the model being trained and the trainer's info; other trainer calls
// from it are refused (not deadlocked).
func TestTrainerCallbackReentry(t *testing.T) {
	f := newTrainerFixture(t)
	opts := f.options("")
	opts.NoSaveFinalModel, opts.EvalSplit = true, bertc.Ptr(0.0)
	m := f.model(t)
	tr := f.trainer(t, m, opts)
	var fillErr, infoErr, stepErr, evalErr, saveErr error
	var info bertc.TrainerInfo
	calls := 0
	_, err := tr.Step(context.Background(), func(e bertc.Event) error {
		if calls++; calls > 1 {
			return nil
		}
		_, fillErr = m.FillMask(f.tok, "the [MASK] said.", nil)
		saveErr = m.Save(filepath.Join(f.dir, "from-callback"))
		info, infoErr = tr.Info()
		_, stepErr = tr.Step(context.Background(), nil)
		_, evalErr = tr.Evaluate()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || fillErr != nil || saveErr != nil || infoErr != nil || info.GlobalStep != 1 {
		t.Fatalf("calls %d: fill %v, save %v, info %+v %v", calls, fillErr, saveErr, info, infoErr)
	}
	if !errors.Is(stepErr, bertc.ErrInvalidArgument) || !errors.Is(evalErr, bertc.ErrInvalidArgument) {
		t.Fatalf("nested step %v, evaluate %v", stepErr, evalErr)
	}
	if _, err := tr.Step(context.Background(), nil); err != nil { // usable afterwards
		t.Fatal(err)
	}
}

// The Trainer keeps its Model alive; the Tokenizer may go as soon as NewTrainer returns.
func TestTrainerLifetimes(t *testing.T) {
	f := newTrainerFixture(t)
	opts := f.options("")
	opts.NoSaveFinalModel, opts.EvalSplit = true, bertc.Ptr(0.0)
	tok, err := bertc.LoadTokenizer(brownTokenizerDir(t))
	if err != nil {
		t.Fatal(err)
	}
	m := f.model(t)
	tr, err := bertc.NewTrainer(m, tok, &bertc.TrainData{Files: []string{f.corpus}}, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok.Close()
	m.Close()
	if tr.Model() != m {
		t.Fatal("Model()")
	}
	if _, err := m.FillMask(f.tok, "the [MASK].", nil); !errors.Is(err, bertc.ErrClosed) {
		t.Fatalf("closed model: %v", err)
	}
	if _, err := bertc.NewTrainer(m, f.tok, &bertc.TrainData{Files: []string{f.corpus}}, nil, opts); !errors.Is(err, bertc.ErrClosed) {
		t.Fatalf("trainer on a closed model: %v", err)
	}
	for i := 0; i < 2; i++ { // the trainer still trains the (closed) model
		if _, err := tr.Step(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	tr.Close()
	tr.Close()
	if _, err := tr.Step(context.Background(), nil); !errors.Is(err, bertc.ErrClosed) {
		t.Fatalf("closed trainer: %v", err)
	}
	if _, err := tr.Info(); !errors.Is(err, bertc.ErrClosed) {
		t.Fatalf("closed trainer info: %v", err)
	}
	// Closing a trainer from its own progress func: freed when the call returns.
	tr2 := f.trainer(t, f.model(t), opts)
	if _, err := tr2.Step(context.Background(), func(bertc.Event) error { return tr2.Close() }); err != nil {
		t.Fatal(err)
	}
	if _, err := tr2.Step(context.Background(), nil); !errors.Is(err, bertc.ErrClosed) {
		t.Fatalf("trainer closed in its callback: %v", err)
	}
}

// Two ranks of a data-parallel run (goroutines here; processes or machines in real use) make the same
// updates; a rank alone fails its rendezvous with a clear error.
func TestTrainerDataParallel(t *testing.T) {
	f := newTrainerFixture(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	master := l.Addr().String()
	l.Close()
	type result struct {
		losses []float64
		info   bertc.TrainerInfo
		err    error
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			m := f.model(t)
			opts := f.options("")
			opts.NoSaveFinalModel, opts.EvalSplit = true, bertc.Ptr(0.0)
			opts.WorldSize, opts.Rank, opts.Master, opts.DistTimeout = 2, bertc.Ptr(r), master, time.Minute
			tr, err := bertc.NewTrainer(m, f.tok, &bertc.TrainData{Files: []string{f.corpus}}, nil, opts)
			if err != nil {
				results[r].err = err
				return
			}
			defer tr.Close()
			results[r].info, results[r].err = tr.Info()
			for i := 0; i < 3 && results[r].err == nil; i++ {
				s, err := tr.Step(context.Background(), nil)
				results[r].losses, results[r].err = append(results[r].losses, s.Loss), err
			}
		}(r)
	}
	wg.Wait()
	for r, res := range results {
		if res.err != nil {
			t.Fatalf("rank %d: %v", r, res.err)
		}
		if res.info.Rank != r || res.info.WorldSize != 2 {
			t.Fatalf("rank %d info %+v", r, res.info)
		}
	}
	for i := range results[0].losses {
		if results[0].losses[i] != results[1].losses[i] {
			t.Fatalf("step %d: ranks report losses %v and %v", i+1, results[0].losses[i], results[1].losses[i])
		}
	}
	opts := f.options("")
	opts.NoSaveFinalModel = true
	opts.WorldSize, opts.Rank, opts.Master, opts.DistTimeout = 2, bertc.Ptr(1), "127.0.0.1:9", time.Second
	_, err = bertc.NewTrainer(f.model(t), f.tok, &bertc.TrainData{Files: []string{f.corpus}}, nil, opts)
	if !errors.Is(err, bertc.ErrIO) || !strings.Contains(err.Error(), "could not rendezvous") {
		t.Fatalf("lonely rank: %v", err)
	}
}
