package bertc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	bertc "github.com/bertc/bertc-go"
)

// hfClassifiers is tests/fixtures/model/tiny_classifiers.json: transformers 4.49's
// pipeline("text-classification", top_k=None) and pipeline("token-classification",
// aggregation_strategy="first") on the tiny_seqcls and tiny_tokcls models.
type hfClassifiers struct {
	Sequence struct {
		ModelDir string      `json:"model_dir"`
		Labels   []string    `json:"labels"`
		Texts    []string    `json:"texts"`
		Logits   [][]float64 `json:"logits"`
		Pipeline []struct {
			LabelScores map[string]float64 `json:"label_scores"`
		} `json:"pipeline"`
	} `json:"sequence"`
	Token struct {
		ModelDir        string     `json:"model_dir"`
		Labels          []string   `json:"labels"`
		Words           [][]string `json:"words"`
		WordPredictions [][]struct {
			Word  int     `json:"word"`
			Label int     `json:"label"`
			Score float64 `json:"score"`
		} `json:"word_predictions"`
		Texts    []string `json:"texts"`
		Pipeline [][]struct {
			EntityGroup string  `json:"entity_group"`
			Score       float64 `json:"score"`
			Word        string  `json:"word"`
			Start       int     `json:"start"`
			End         int     `json:"end"`
		} `json:"pipeline"`
	} `json:"token"`
}

func hfClassifierFixture(t testing.TB) *hfClassifiers {
	b, err := os.ReadFile(filepath.Join(fixtures(t), "model", "tiny_classifiers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f hfClassifiers
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

const seqClsDir, tokClsDir = "tiny_seqcls", "tiny_tokcls"

var (
	clsOnce           sync.Once
	clsTok            *bertc.Tokenizer
	clsSeq, clsTagger *bertc.Model
	clsErr            error
)

// classifiers returns the shared tokenizer (tiny_seqcls's, the tiny_mlm vocabulary) and the tiny HF
// sequence and token classifiers (never closed: shared by the tests).
func classifiers(t testing.TB) (*bertc.Tokenizer, *bertc.Model, *bertc.Model) {
	clsOnce.Do(func() {
		dir := filepath.Join(fixtures(t), "model")
		if clsTok, clsErr = bertc.LoadTokenizer(filepath.Join(dir, seqClsDir)); clsErr != nil {
			return
		}
		if clsSeq, clsErr = bertc.LoadModel(filepath.Join(dir, seqClsDir)); clsErr != nil {
			return
		}
		clsTagger, clsErr = bertc.LoadModel(filepath.Join(dir, tokClsDir))
	})
	if clsErr != nil {
		t.Fatal(clsErr)
	}
	return clsTok, clsSeq, clsTagger
}

// Classify gives the Hugging Face pipeline's probabilities (tests/fixtures/model/tiny_classifiers.json).
func TestClassifyMatchesHFPipeline(t *testing.T) {
	hf := hfClassifierFixture(t)
	tok, seq, _ := classifiers(t)
	if seq.Task() != bertc.TaskSequenceClassification || !reflect.DeepEqual(seq.Labels(), hf.Sequence.Labels) ||
		seq.Warning() != "" {
		t.Fatalf("task %v labels %v warning %q", seq.Task(), seq.Labels(), seq.Warning())
	}
	got, err := seq.Classify(tok, hf.Sequence.Texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(hf.Sequence.Texts) {
		t.Fatalf("%d results for %d texts", len(got), len(hf.Sequence.Texts))
	}
	labels := seq.Labels()
	for i, c := range got {
		if len(c.Scores) != 3 || len(c.Logits) != 3 || labels[c.Label] != c.LabelName || c.Scores[c.Label] != c.Score {
			t.Fatalf("text %d: %+v", i, c)
		}
		best := ""
		for label, want := range hf.Sequence.Pipeline[i].LabelScores {
			id := indexOf(labels, label)
			if !near(c.Scores[id], want, 1e-6) {
				t.Errorf("text %d %s: %.9f, HF %.9f", i, label, c.Scores[id], want)
			}
			if best == "" || want > hf.Sequence.Pipeline[i].LabelScores[best] {
				best = label
			}
		}
		if c.LabelName != best {
			t.Errorf("text %d: %v, HF %s", i, c, best)
		}
		for k, want := range hf.Sequence.Logits[i] {
			if !near(c.Logits[k], want, 1e-5) {
				t.Errorf("text %d logit %d: %.9f, HF %.9f", i, k, c.Logits[k], want)
			}
		}
	}
	// The brief's reference value, and String().
	if got[0].LabelName != "press" || got[0].Label != 2 || !near(got[0].Score, 0.539891064, 1e-6) || got[0].String() != "press (0.5399)" {
		t.Fatalf("first text: %v", got[0])
	}
	// One text at a time and other batch sizes give the same numbers.
	for i, text := range hf.Sequence.Texts {
		one, err := seq.Classify(tok, []string{text}, &bertc.ClassifyOptions{BatchSize: 1, Threads: 1})
		if err != nil || len(one) != 1 || one[0].Label != got[i].Label || !near(one[0].Score, got[i].Score, 1e-6) {
			t.Fatalf("text %d alone: %v %v", i, one, err)
		}
	}
	if none, err := seq.Classify(tok, nil, nil); err != nil || len(none) != 0 {
		t.Fatalf("no texts: %v %v", none, err)
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// Tag groups words as the HF token-classification pipeline (aggregation "first"); TagWords labels
// pre-split words by their first piece, as HF's word_ids() alignment.
func TestTagMatchesHFPipeline(t *testing.T) {
	hf := hfClassifierFixture(t)
	tok, _, tagger := classifiers(t)
	if tagger.Task() != bertc.TaskTokenClassification || !reflect.DeepEqual(tagger.Labels(), hf.Token.Labels) {
		t.Fatalf("task %v labels %v", tagger.Task(), tagger.Labels())
	}
	got, err := tagger.Tag(tok, hf.Token.Texts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(hf.Token.Texts) {
		t.Fatalf("%d results", len(got))
	}
	for i, text := range hf.Token.Texts {
		want := hf.Token.Pipeline[i]
		if len(got[i].Groups) != len(want) {
			t.Fatalf("text %d: %d groups %+v, HF %d", i, len(got[i].Groups), got[i].Groups, len(want))
		}
		for k, w := range want {
			g := got[i].Groups[k]
			// HF's "word" decodes the tokens (lower-cased); Text is the original text.
			if g.LabelName != w.EntityGroup || g.Start != w.Start || g.End != w.End || !strings.EqualFold(g.Text, w.Word) ||
				g.Text != text[g.Start:g.End] || !near(g.Score, w.Score, 1e-6) {
				t.Errorf("text %d group %d: %+v, HF %+v", i, k, g, w)
			}
			sum := 0.0
			for _, word := range got[i].Words[g.FirstWord : g.FirstWord+g.NumWords] {
				sum += word.Score
			}
			if !near(sum/float64(g.NumWords), g.Score, 1e-9) {
				t.Errorf("group score %v, mean of its words %v", g.Score, sum/float64(g.NumWords))
			}
		}
		for k, w := range got[i].Words {
			if w.Word != text[w.Start:w.End] || w.WordIndex != k || tagger.Labels()[w.Label] != w.LabelName {
				t.Errorf("text %d word %d: %+v", i, k, w)
			}
		}
	}
	// "He was in the world today!": 7 words, "He" is O (in no group), the 6 others form NP groups.
	if w := got[1].Words; len(w) != 7 || w[0].Word != "He" || w[0].LabelName != "O" || got[1].Groups[0].Text != "was" {
		t.Fatalf("words %+v", w)
	}

	words, err := tagger.TagWords(tok, hf.Token.Words, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range hf.Token.WordPredictions {
		if len(words[i].Words) != len(want) {
			t.Fatalf("text %d: %d words, HF %d", i, len(words[i].Words), len(want))
		}
		offset := 0
		for k, w := range want {
			g := words[i].Words[k]
			input := hf.Token.Words[i][w.Word]
			if g.WordIndex != w.Word || g.Label != w.Label || !near(g.Score, w.Score, 1e-6) || g.Word != input ||
				g.Start != offset || g.End != offset+len(input) {
				t.Errorf("text %d word %d: %+v, HF %+v", i, k, g, w)
			}
			offset += len(input) + 1
		}
	}
	// "man" of "The unbelievable man ...": B-NP, at byte 17 of the words joined by spaces.
	if w := words[0].Words[2]; w.LabelName != "B-NP" || w.Start != 17 || !near(w.Score, 0.833422482, 1e-6) {
		t.Fatalf("man: %+v", w)
	}
	if none, err := tagger.TagWords(tok, [][]string{{}, {"Yes"}}, nil); err != nil || len(none) != 2 ||
		len(none[0].Words) != 0 || len(none[1].Words) != 1 {
		t.Fatalf("empty word list: %+v %v", none, err)
	}
}

// Each head serves only its own pipeline; the errors carry bertc's messages.
func TestClassifyErrors(t *testing.T) {
	tok, seq, tagger := classifiers(t)
	text := "He was in the world today!"
	_, err := seq.Tag(tok, []string{text}, nil)
	var e *bertc.Error
	if !errors.Is(err, bertc.ErrInvalidArgument) || !errors.As(err, &e) ||
		!strings.Contains(e.Message, "needs a BertForTokenClassification") || !strings.Contains(e.Message, "BertForSequenceClassification") {
		t.Fatalf("sequence classifier used for tagging: %v", err)
	}
	if _, err := seq.TagWords(tok, [][]string{{"He", "was"}}, nil); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("sequence classifier used for tagging words: %v", err)
	}
	if _, err := tagger.Classify(tok, []string{text}, nil); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "BertForTokenClassification") {
		t.Fatalf("token classifier used for classification: %v", err)
	}
	mlmTok, mlm := tiny(t)
	if _, err := mlm.Classify(mlmTok, []string{text}, nil); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "BertForMaskedLM") {
		t.Fatalf("masked LM used for classification: %v", err)
	}
	if _, err := seq.FillMask(tok, "a [MASK]", nil); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "no MLM head") {
		t.Fatalf("fill-mask with a classifier: %v", err)
	}
	long := strings.Repeat("the man ", 100)
	if _, err := seq.Classify(tok, []string{"short", long}, nil); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "truncation") {
		t.Fatalf("too long: %v", err)
	}
	if c, err := seq.Classify(tok, []string{long}, &bertc.ClassifyOptions{Truncation: true, MaxLength: 16}); err != nil || len(c) != 1 {
		t.Fatalf("truncated: %v %v", c, err)
	}
	if tags, err := tagger.Tag(tok, []string{long}, &bertc.ClassifyOptions{Truncation: true, MaxLength: 8}); err != nil ||
		len(tags[0].Words) != 6 {
		t.Fatalf("tagging truncated to 8 tokens: %+v %v", tags, err)
	}
	if _, err := seq.Classify(tok, []string{"ok", "\xc3\x28"}, nil); !errors.Is(err, bertc.ErrInvalidUTF8) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if _, err := seq.Classify(tok, []string{"ok"}, &bertc.ClassifyOptions{MaxLength: 1000}); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "max_length") {
		t.Fatalf("max_length above the model's: %v", err)
	}
	closed, err := bertc.LoadModel(filepath.Join(fixtures(t), "model", seqClsDir))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if _, err := closed.Classify(tok, []string{"x"}, nil); !errors.Is(err, bertc.ErrClosed) {
		t.Fatalf("closed model: %v", err)
	}
	if closed.Task() != bertc.TaskSequenceClassification || len(closed.Labels()) != 3 {
		t.Fatalf("a closed model still knows its head: %v %v", closed.Task(), closed.Labels())
	}
}

// Goroutines classifying and failing at once each get their own results and messages.
func TestConcurrentClassifyAndTag(t *testing.T) {
	tok, seq, tagger := classifiers(t)
	texts := []string{"The man said that the people of the house were good.", "He was in the world today!", "Yes!"}
	want, err := seq.Classify(tok, texts, &bertc.ClassifyOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantTags, err := tagger.Tag(tok, texts, &bertc.ClassifyOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				switch (g + i) % 3 {
				case 0:
					got, err := seq.Classify(tok, texts, &bertc.ClassifyOptions{Threads: 1, BatchSize: 1 + g%3})
					if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
						errs <- fmt.Errorf("goroutine %d: classify %v %v", g, got, err)
						return
					}
				case 1:
					got, err := tagger.Tag(tok, texts, &bertc.ClassifyOptions{Threads: 1})
					if err != nil || !reflect.DeepEqual(got, wantTags) {
						errs <- fmt.Errorf("goroutine %d: tag %v", g, err)
						return
					}
				case 2:
					_, err := seq.Tag(tok, texts, nil)
					if !errors.Is(err, bertc.ErrInvalidArgument) || !strings.Contains(err.Error(), "needs a BertForTokenClassification") {
						errs <- fmt.Errorf("goroutine %d: tag with a sequence classifier: %v", g, err)
						return
					}
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

// NewModel with a head: labels validated by the library, config round trip, save and reload.
func TestModelWithHead(t *testing.T) {
	cfg := &bertc.ModelConfig{VocabSize: 1000, HiddenSize: 32, NumHiddenLayers: 1, NumAttentionHeads: 2,
		IntermediateSize: 64, MaxPositionEmbeddings: 64, Task: bertc.TaskTokenClassification}
	if _, err := bertc.NewModel(cfg); !errors.Is(err, bertc.ErrInvalidArgument) || !strings.Contains(err.Error(), "label") {
		t.Fatalf("classifier without labels: %v", err)
	}
	cfg.Labels = []string{"x", "y", "x"}
	if _, err := bertc.NewModel(cfg); !errors.Is(err, bertc.ErrInvalidArgument) || !strings.Contains(err.Error(), "appears twice") {
		t.Fatalf("duplicate label: %v", err)
	}
	cfg.Labels = []string{"ok", "o\xff"}
	if _, err := bertc.NewModel(cfg); !errors.Is(err, bertc.ErrInvalidUTF8) {
		t.Fatalf("label not UTF-8: %v", err)
	}
	cfg.Labels = []string{"O", "B-NP", "I-NP"}
	cfg.Task = 7
	if _, err := bertc.NewModel(cfg); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("unknown task: %v", err)
	}
	cfg.Task = bertc.TaskTokenClassification
	cfg.ClassifierDropout = bertc.Ptr(0.25)
	m := newModel(t, cfg)
	if m.Task() != bertc.TaskTokenClassification || !reflect.DeepEqual(m.Labels(), cfg.Labels) {
		t.Fatalf("task %v labels %v", m.Task(), m.Labels())
	}
	m.Labels()[0] = "changed" // a copy
	got, err := m.Config()
	if err != nil {
		t.Fatal(err)
	}
	if got.Task != bertc.TaskTokenClassification || !reflect.DeepEqual(got.Labels, cfg.Labels) ||
		got.ClassifierDropout == nil || *got.ClassifierDropout != 0.25 {
		t.Fatalf("config %+v", got)
	}
	if mlm, _ := newModel(t, &bertc.ModelConfig{VocabSize: 1000, HiddenSize: 32, NumHiddenLayers: 1, NumAttentionHeads: 2,
		IntermediateSize: 64}).Config(); mlm.Task != bertc.TaskMaskedLM || mlm.Labels != nil || mlm.ClassifierDropout != nil {
		t.Fatalf("masked LM config %+v", mlm)
	}
	if _, err := bertc.NewModel(&bertc.ModelConfig{VocabSize: 1000, HiddenSize: 32, NumHiddenLayers: 1, NumAttentionHeads: 2,
		IntermediateSize: 64, Labels: []string{"a"}}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("labels on a masked LM: %v", err)
	}
	// The config round-trips through NewModel: same seed, same weights, same tags.
	again := newModel(t, got)
	tok, _, _ := classifiers(t)
	a, err := m.Tag(tok, []string{"the man said hello."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := again.Tag(tok, []string{"the man said hello."}, nil)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same config, different tags: %+v / %+v", a, b)
	}
	dir := filepath.Join(t.TempDir(), "tagger")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := bertc.LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if back.Task() != bertc.TaskTokenClassification || back.Labels()[1] != "B-NP" {
		t.Fatalf("reloaded %v %v", back.Task(), back.Labels())
	}
	c, _ := back.Tag(tok, []string{"the man said hello."}, nil)
	if !reflect.DeepEqual(a, c) {
		t.Fatalf("reloaded tagger: %+v / %+v", a, c)
	}
}

// LoadModelForTask puts a new head on a pre-trained checkpoint (with HF's warning) and keeps a
// fine-tuned one's, whose label map must then agree.
func TestLoadModelForTask(t *testing.T) {
	models := filepath.Join(fixtures(t), "model")
	m, err := bertc.LoadModelForTask(tinyDir(t), bertc.TaskOptions{Task: bertc.TaskSequenceClassification,
		Labels: []string{"fiction", "nonfiction", "press"}, Seed: bertc.Ptr[uint64](5), ClassifierDropout: bertc.Ptr(0.0)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Task() != bertc.TaskSequenceClassification || m.Labels()[2] != "press" ||
		!strings.Contains(m.Warning(), "newly initialized") || !strings.Contains(m.Warning(), "classifier.weight") {
		t.Fatalf("new head: %v %v %q", m.Task(), m.Labels(), m.Warning())
	}
	if cfg, _ := m.Config(); cfg.ClassifierDropout == nil || *cfg.ClassifierDropout != 0 {
		t.Fatalf("classifier dropout %+v", cfg.ClassifierDropout)
	}
	// Same seed, same head.
	m2, _ := bertc.LoadModelForTask(tinyDir(t), bertc.TaskOptions{Task: bertc.TaskSequenceClassification,
		Labels: []string{"fiction", "nonfiction", "press"}, Seed: bertc.Ptr[uint64](5), ClassifierDropout: bertc.Ptr(0.0)})
	defer m2.Close()
	tok, _, _ := classifiers(t)
	a, _ := m.Classify(tok, []string{"the man said."}, nil)
	b, _ := m2.Classify(tok, []string{"the man said."}, nil)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same seed: %v / %v", a, b)
	}
	// A fine-tuned classifier keeps its head; a different label map is refused with both lists.
	_, err = bertc.LoadModelForTask(filepath.Join(models, seqClsDir), bertc.TaskOptions{Task: bertc.TaskSequenceClassification,
		Labels: []string{"press", "fiction", "nonfiction"}})
	if !errors.Is(err, bertc.ErrInvalidArgument) || !strings.Contains(err.Error(), "disagrees with the checkpoint's") {
		t.Fatalf("label map disagrees: %v", err)
	}
	own, err := bertc.LoadModelForTask(filepath.Join(models, seqClsDir), bertc.TaskOptions{Task: bertc.TaskSequenceClassification})
	if err != nil || own.Warning() != "" || own.Labels()[0] != "fiction" {
		t.Fatalf("own label map: %v %v", own, err)
	}
	own.Close()
	// A new head needs labels.
	if _, err := bertc.LoadModelForTask(tinyDir(t), bertc.TaskOptions{Task: bertc.TaskTokenClassification}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("new head without labels: %v", err)
	}
	if _, err := bertc.LoadModelForTask(tinyDir(t), bertc.TaskOptions{Task: 9, Labels: []string{"a"}}); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("unknown task: %v", err)
	}
	if _, err := bertc.LoadModelForTask(filepath.Join(t.TempDir(), "missing"), bertc.TaskOptions{Task: bertc.TaskTokenClassification,
		Labels: []string{"a"}}); !errors.Is(err, bertc.ErrIO) {
		t.Fatalf("missing checkpoint: %v", err)
	}
	// The sequence classifier's encoder under a token head.
	tagger, err := bertc.LoadModelForTask(filepath.Join(models, seqClsDir), bertc.TaskOptions{Task: bertc.TaskTokenClassification,
		Labels: []string{"O", "X"}})
	if err != nil || tagger.Task() != bertc.TaskTokenClassification || !strings.Contains(tagger.Warning(), "BertForTokenClassification") {
		t.Fatalf("other head: %v %v", tagger, err)
	}
	tagger.Close()
	// The encoder's dropout, as from_pretrained's keyword arguments (the checkpoint says 0.1 / 0.1).
	d, err := bertc.LoadModelForTask(tinyDir(t), bertc.TaskOptions{Task: bertc.TaskSequenceClassification,
		Labels: []string{"a", "b"}, HiddenDropoutProb: bertc.Ptr(0.3), AttentionProbsDropoutProb: bertc.Ptr(0.0)})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := d.Config(); *cfg.HiddenDropoutProb != 0.3 || *cfg.AttentionProbsDropoutProb != 0 {
		t.Fatalf("dropout override: %v %v", *cfg.HiddenDropoutProb, *cfg.AttentionProbsDropoutProb)
	}
	d.Close()
	if _, err := bertc.LoadModelForTask(tinyDir(t), bertc.TaskOptions{Task: bertc.TaskSequenceClassification,
		Labels: []string{"a", "b"}, AttentionProbsDropoutProb: bertc.Ptr(1.0)}); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "attention_probs_dropout_prob must be in [0, 1)") {
		t.Fatalf("dropout 1: %v", err)
	}
	if bertc.TaskTokenClassification.String() != "token_classification" || bertc.Task(9).String() != "task(9)" ||
		!bertc.TaskSequenceClassification.IsClassifier() || bertc.TaskMaskedLM.IsClassifier() {
		t.Fatal("Task methods")
	}
}
