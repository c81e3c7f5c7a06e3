package bertc_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bertc "github.com/bertc/bertc-go"
)

var (
	genres  = []string{"fiction", "nonfiction", "press"}
	posTags = strings.Fields("at nn vbd cs nns in nn bed jj pps bedz in nn at jj nn cc jj nn nn") // the tag of each corpusWords word
)

// lcg is tests/c/test_finetune.c's generator, so the data are the C tests' data.
type lcg uint32

func (x *lcg) next() int {
	*x = *x*1103515245 + 12345
	return int(*x >> 16)
}

// writeGenre writes n JSONL lines {"text", "genre", "label"} whose label follows the first word (so
// it is learnable); with badLabel, line 4's label is that.
func writeGenre(t *testing.T, path string, n int, badLabel string) string {
	x := lcg(777)
	var b strings.Builder
	for i := 0; i < n; i++ {
		first := x.next() % 3
		words := []string{corpusWords[first]}
		for j := 0; j < 6; j++ {
			words = append(words, corpusWords[x.next()%20])
		}
		label := genres[first]
		if badLabel != "" && i == 3 {
			label = badLabel
		}
		fmt.Fprintf(&b, "{\"text\": %q, \"genre\": \"g%d\", \"label\": %q}\n", strings.Join(words, " ")+".", first, label)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writePOS writes n JSONL lines {"words", "tags"}; with mismatch, line 3 has one tag too few.
func writePOS(t *testing.T, path string, n int, mismatch bool) string {
	x := lcg(99)
	var b strings.Builder
	for i := 0; i < n; i++ {
		var words, tags []string
		for j := 0; j < 3+i%5; j++ {
			k := x.next() % 20
			words = append(words, fmt.Sprintf("%q", corpusWords[k]))
			tags = append(tags, fmt.Sprintf("%q", posTags[k]))
		}
		if mismatch && i == 2 {
			tags = tags[1:]
		}
		fmt.Fprintf(&b, "{\"words\": [%s], \"tags\": [%s]}\n", strings.Join(words, ", "), strings.Join(tags, ", "))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// finetuneOptions are the C tests' options; without an output directory nothing is saved.
func finetuneOptions(out string) *bertc.TrainerOptions {
	return &bertc.TrainerOptions{OutputDir: out, MaxLength: 32, BatchSize: 8, LearningRate: 2e-3, MaxSteps: 12,
		LoggingSteps: bertc.Ptr[int64](4), Threads: 1, EvalSplit: bertc.Ptr(0.0), NoSaveFinalModel: out == ""}
}

// Sequence classification end to end: labels from the data, a new head on the pre-trained tiny_mlm,
// bad data refused with bertc's message, training with F1 evaluations and the best checkpoint by
// F1, exact resume, and the final model classifying.
func TestFineTuneSequenceClassifier(t *testing.T) {
	dir := t.TempDir()
	tok, _ := tiny(t)
	train := &bertc.TrainData{Files: []string{writeGenre(t, filepath.Join(dir, "genre_train.jsonl"), 96, "")}}
	eval := &bertc.TrainData{Files: []string{writeGenre(t, filepath.Join(dir, "genre_eval.jsonl"), 24, "")}}
	bad := &bertc.TrainData{Files: []string{writeGenre(t, filepath.Join(dir, "genre_bad.jsonl"), 8, "poetry")}}

	labels, err := bertc.DatasetLabels(train, bertc.TaskSequenceClassification)
	if err != nil || !reflect.DeepEqual(labels, genres) {
		t.Fatalf("labels %v %v", labels, err)
	}
	// Another label field: the "genre" field's g0/g1/g2.
	other, err := bertc.DatasetLabels(&bertc.TrainData{Files: train.Files, LabelField: "genre"}, bertc.TaskSequenceClassification)
	if err != nil || !reflect.DeepEqual(other, []string{"g0", "g1", "g2"}) {
		t.Fatalf("genre labels %v %v", other, err)
	}
	if _, err := bertc.DatasetLabels(&bertc.TrainData{Files: train.Files, LabelField: "missing"}, bertc.TaskSequenceClassification); !errors.Is(err, bertc.ErrFormat) {
		t.Fatalf("missing label field: %v", err)
	}
	if _, err := bertc.DatasetLabels(train, bertc.TaskMaskedLM); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("labels of a masked LM: %v", err)
	}

	newHead := func() *bertc.Model {
		m, err := bertc.LoadModelForTask(tinyDir(t), bertc.TaskOptions{Task: bertc.TaskSequenceClassification, Labels: labels,
			Seed: bertc.Ptr[uint64](5)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	m := newHead()
	out := filepath.Join(dir, "seq_run")
	opts := finetuneOptions(out)
	opts.EvalSteps, opts.SaveSteps, opts.MetricForBestModel = 6, 6, "f1"

	// An unknown label in the eval data: bertc names the label, the file and the line.
	_, err = bertc.NewTrainer(m, tok, train, bad, opts)
	var e *bertc.Error
	if !errors.Is(err, bertc.ErrInvalidArgument) || !errors.As(err, &e) ||
		!strings.Contains(e.Message, "unknown label 'poetry'") || !strings.Contains(e.Message, "genre_bad.jsonl:4") {
		t.Fatalf("unknown label: %v", err)
	}
	// The text in another field.
	sentences := filepath.Join(dir, "genre_sentence.jsonl")
	raw, _ := os.ReadFile(train.Files[0])
	writeLines(t, sentences, []string{strings.ReplaceAll(strings.TrimSpace(string(raw)), `"text"`, `"sentence"`)})
	if _, err := bertc.NewTrainer(m, tok, &bertc.TrainData{Files: []string{sentences}}, nil, finetuneOptions("")); !errors.Is(err, bertc.ErrFormat) {
		t.Fatalf("no text field: %v", err)
	}
	if tr, err := bertc.NewTrainer(m, tok, &bertc.TrainData{Files: []string{sentences}, JSONLField: "sentence"}, nil, finetuneOptions("")); err != nil {
		t.Fatalf("JSONLField: %v", err)
	} else {
		tr.Close()
	}
	badMetric := *opts
	badMetric.MetricForBestModel = "bleu"
	if _, err := bertc.NewTrainer(m, tok, train, eval, &badMetric); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("unknown metric: %v", err)
	}
	packed := *opts
	packed.Grouping = bertc.GroupingPacked
	if _, err := bertc.NewTrainer(m, tok, train, eval, &packed); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("packed grouping for a classifier: %v", err)
	}

	tr, err := bertc.NewTrainer(m, tok, train, eval, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	before, err := tr.Evaluate()
	if err != nil || before.Examples != 24 || before.MaskedTokens != 24 || !math.IsNaN(before.Perplexity) ||
		before.F1 < 0 || before.F1 > 1 {
		t.Fatalf("evaluate %+v %v", before, err)
	}
	for i := 0; i < 6; i++ {
		r, err := tr.Step(context.Background(), nil)
		if err != nil || r.Step != int64(i+1) || r.MaskedTokens != 8 || math.IsNaN(r.Loss) {
			t.Fatalf("step %+v %v", r, err)
		}
	}
	// A second trainer resumes from the step-6 checkpoint and ends where the first does.
	m2 := newHead()
	tr2, err := bertc.NewTrainer(m2, tok, train, eval, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	if err := tr2.Resume(""); err != nil {
		t.Fatal(err)
	}
	var evalF1 []float64
	if err := tr.Train(context.Background(), func(e bertc.Event) error {
		if e.Kind == bertc.EventEval {
			evalF1 = append(evalF1, e.EvalF1)
			if !math.IsNaN(e.EvalPerplexity) || e.EvalAccuracy < 0 || e.EvalAccuracy > 1 {
				t.Errorf("eval event %+v", e)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(evalF1) != 1 || evalF1[0] < 0 || evalF1[0] > 1 {
		t.Fatalf("eval F1 events %v", evalF1)
	}
	if err := tr2.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	a, _ := tr.Evaluate()
	b, err := tr2.Evaluate()
	if err != nil || a.Loss != b.Loss || a.F1 != b.F1 {
		t.Fatalf("resumed run %+v, straight %+v (%v)", b, a, err)
	}
	if a.Loss >= before.Loss || a.Accuracy < 0 || a.Accuracy > 1 || a.F1 < 0 || a.F1 > 1 || a.F1 != evalF1[0] {
		t.Fatalf("eval before %+v, after %+v", before, a)
	}
	info, _ := tr.Info()
	if math.IsNaN(info.BestMetric) || info.BestMetric < 0 || info.BestMetric > 1 || !strings.Contains(info.BestCheckpoint, "checkpoint-") {
		t.Fatalf("best macro-F1 %+v", info)
	}

	// The final model is a BertForSequenceClassification with the labels, and it classifies.
	saved, err := bertc.LoadModel(out)
	if err != nil {
		t.Fatal(err)
	}
	defer saved.Close()
	if saved.Task() != bertc.TaskSequenceClassification || !reflect.DeepEqual(saved.Labels(), genres) {
		t.Fatalf("saved %v %v", saved.Task(), saved.Labels())
	}
	texts := []string{"the man said that people of house were good.", "man the old city.", "said a new day."}
	got, err := saved.Classify(tok, texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	inPlace, _ := m.Classify(tok, texts, nil) // the trainer trained m in place
	for i := range got {
		if got[i].LabelName != inPlace[i].LabelName || !near(got[i].Score, inPlace[i].Score, 1e-6) {
			t.Fatalf("saved %v, in place %v", got, inPlace)
		}
	}
}

// Token classification end to end, with in-memory data and labelled batches, and the SDK's own
// shape checks of in-memory labels.
func TestFineTuneTokenClassifier(t *testing.T) {
	dir := t.TempDir()
	tok, _ := tiny(t)
	train := &bertc.TrainData{Files: []string{writePOS(t, filepath.Join(dir, "pos_train.jsonl"), 80, false)}}
	bad := &bertc.TrainData{Files: []string{writePOS(t, filepath.Join(dir, "pos_bad.jsonl"), 5, true)}}
	labels, err := bertc.DatasetLabels(train, bertc.TaskTokenClassification)
	if err != nil || strings.Join(labels, " ") != "at bed bedz cc cs in jj nn nns pps vbd" {
		t.Fatalf("tags %v %v", labels, err)
	}
	// Other field names.
	renamed := filepath.Join(dir, "pos_renamed.jsonl")
	raw, _ := os.ReadFile(train.Files[0])
	writeLines(t, renamed, []string{strings.NewReplacer(`"words"`, `"tokens"`, `"tags"`, `"pos"`).Replace(strings.TrimSpace(string(raw)))})
	other := &bertc.TrainData{Files: []string{renamed}, WordsField: "tokens", TagsField: "pos"}
	if got, err := bertc.DatasetLabels(other, bertc.TaskTokenClassification); err != nil || !reflect.DeepEqual(got, labels) {
		t.Fatalf("renamed fields: %v %v", got, err)
	}
	if _, err := bertc.DatasetLabels(&bertc.TrainData{Files: []string{renamed}}, bertc.TaskTokenClassification); !errors.Is(err, bertc.ErrFormat) ||
		!strings.Contains(err.Error(), "no field") {
		t.Fatalf("default fields missing: %v", err)
	}
	m, err := bertc.LoadModelForTask(tinyDir(t), bertc.TaskOptions{Task: bertc.TaskTokenClassification, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if tr, err := bertc.NewTrainer(m, tok, other, nil, finetuneOptions("")); err != nil {
		t.Fatalf("trainer on renamed fields: %v", err)
	} else {
		tr.Close()
	}
	opts := finetuneOptions(filepath.Join(dir, "tok_run"))
	opts.EvalSplit = bertc.Ptr(0.2)
	// Words and tags of different lengths.
	if _, err := bertc.NewTrainer(m, tok, bad, nil, opts); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "pos_bad.jsonl:3") || !strings.Contains(err.Error(), "words but") {
		t.Fatalf("words/tags mismatch: %v", err)
	}
	tr, err := bertc.NewTrainer(m, tok, train, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	before, err := tr.Evaluate()
	if err != nil || before.Examples != 16 || before.MaskedTokens <= 16 {
		t.Fatalf("evaluate %+v %v", before, err)
	}
	if err := tr.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	after, _ := tr.Evaluate()
	if after.Loss >= before.Loss || after.Accuracy <= before.Accuracy || after.F1 < 0 || after.F1 > 1 {
		t.Fatalf("eval before %+v, after %+v", before, after)
	}
	// The tagger tags; its labels are the data's tags.
	tags, err := m.TagWords(tok, [][]string{{"the", "man", "said"}}, nil)
	if err != nil || len(tags[0].Words) != 3 || indexOf(labels, tags[0].Words[1].LabelName) < 0 {
		t.Fatalf("tags %+v %v", tags, err)
	}

	// A labelled batch: rows x cols labels, -100 where none.
	r, err := tr.StepBatch(&bertc.Batch{InputIDs: [][]int32{{2, 40, 41, 3}, {2, 42, 3, 0}},
		Labels: [][]int32{{-100, 1, 2, -100}, {-100, 0, -100, -100}}})
	if err != nil || r.MaskedTokens != 3 {
		t.Fatalf("step batch %+v %v", r, err)
	}
	if _, err := tr.StepBatch(&bertc.Batch{InputIDs: [][]int32{{2, 40, 3}}}); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "labels") {
		t.Fatalf("batch without labels: %v", err)
	}
	if _, err := tr.StepBatch(&bertc.Batch{InputIDs: [][]int32{{2, 40, 3}}, Labels: [][]int32{{-100, 99, -100}}}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("label out of range: %v", err)
	}
	if _, err := tr.StepBatch(&bertc.Batch{InputIDs: [][]int32{{2, 40, 3}}, SequenceLabels: []int32{1}}); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "SequenceLabels") {
		t.Fatalf("sequence labels for a tagger: %v", err)
	}

	// In memory: token labels per token id.
	seqs := [][]int32{{40, 41}, {42}}
	memOpts := finetuneOptions("")
	memOpts.BatchSize = 2
	if _, err := bertc.NewTrainer(m, tok, &bertc.TrainData{Sequences: seqs}, nil, memOpts); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "labels") {
		t.Fatalf("in-memory data without labels: %v", err)
	}
	for _, d := range []*bertc.TrainData{
		{Sequences: seqs, TokenLabels: [][]int32{{1, -100}}},
		{Sequences: seqs, TokenLabels: [][]int32{{1}, {0}}},
		{Sequences: seqs, SequenceLabels: []int32{1, 0}},
	} {
		if _, err := bertc.NewTrainer(m, tok, d, nil, memOpts); !errors.Is(err, bertc.ErrInvalidArgument) ||
			!strings.Contains(err.Error(), "TrainData") {
			t.Fatalf("labels %+v: %v", d, err)
		}
	}
	mem, err := bertc.NewTrainer(m, tok, &bertc.TrainData{Sequences: seqs, TokenLabels: [][]int32{{1, -100}, {0}}}, nil, memOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if r, err := mem.Step(context.Background(), nil); err != nil || r.MaskedTokens != 2 {
		t.Fatalf("in-memory step %+v %v", r, err)
	}
	if _, err := bertc.NewTrainer(m, tok, &bertc.TrainData{Sequences: seqs, TokenLabels: [][]int32{{1, 50}, {0}}}, nil, memOpts); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("label outside the label map: %v", err)
	}
}

// A sequence classifier in memory: one label per sequence, per batch row.
func TestFineTuneSequenceClassifierInMemory(t *testing.T) {
	tok, _ := tiny(t)
	m := newModel(t, &bertc.ModelConfig{VocabSize: 1000, HiddenSize: 32, NumHiddenLayers: 1, NumAttentionHeads: 2,
		IntermediateSize: 64, MaxPositionEmbeddings: 64, Task: bertc.TaskSequenceClassification, Labels: []string{"neg", "pos"}})
	opts := finetuneOptions("")
	opts.BatchSize, opts.MaxSteps = 2, 4
	seqs := [][]int32{{40, 41}, {42}, {43, 44, 45}, {46}}
	tr, err := bertc.NewTrainer(m, tok, &bertc.TrainData{Sequences: seqs, SequenceLabels: []int32{0, 1, 0, 1}},
		&bertc.TrainData{Sequences: seqs[:2], SequenceLabels: []int32{0, 1}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if r, err := tr.Step(context.Background(), nil); err != nil || r.MaskedTokens != 2 {
		t.Fatalf("step %+v %v", r, err)
	}
	if ev, err := tr.Evaluate(); err != nil || ev.Examples != 2 || ev.F1 < 0 || ev.F1 > 1 || !math.IsNaN(ev.Perplexity) {
		t.Fatalf("evaluate %+v %v", ev, err)
	}
	r, err := tr.StepBatch(&bertc.Batch{InputIDs: [][]int32{{2, 40, 3}, {2, 41, 3}}, SequenceLabels: []int32{1, 0}})
	if err != nil || r.MaskedTokens != 2 {
		t.Fatalf("step batch %+v %v", r, err)
	}
	for _, b := range []*bertc.Batch{
		{InputIDs: [][]int32{{2, 40, 3}, {2, 41, 3}}, SequenceLabels: []int32{1}},
		{InputIDs: [][]int32{{2, 40, 3}}, Labels: [][]int32{{-100, 1, -100}}},
	} {
		if _, err := tr.StepBatch(b); !errors.Is(err, bertc.ErrInvalidArgument) || !strings.Contains(err.Error(), "SequenceLabels") {
			t.Fatalf("batch %+v: %v", b, err)
		}
	}
	if _, err := tr.StepBatch(&bertc.Batch{InputIDs: [][]int32{{2, 40, 3}}, SequenceLabels: []int32{2}}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("label outside the label map: %v", err)
	}
	if _, err := bertc.NewTrainer(m, tok, &bertc.TrainData{Sequences: seqs, SequenceLabels: []int32{0, 1}}, nil, opts); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "2 SequenceLabels for 4 Sequences") {
		t.Fatalf("too few labels: %v", err)
	}
	// Labels on a masked LM's data are refused, not ignored.
	_, mlm := tiny(t)
	if _, err := bertc.NewTrainer(mlm, tok, &bertc.TrainData{Sequences: seqs, SequenceLabels: []int32{0, 1, 0, 1}}, nil, opts); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "masked_lm") {
		t.Fatalf("labels for a masked LM: %v", err)
	}
}
