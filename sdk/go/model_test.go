package bertc_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bertc "github.com/bertc/bertc-go"
)

func smallConfig(vocab int) *bertc.ModelConfig {
	return &bertc.ModelConfig{VocabSize: vocab, HiddenSize: 32, NumHiddenLayers: 2, NumAttentionHeads: 2,
		IntermediateSize: 64, MaxPositionEmbeddings: 64, Seed: bertc.Ptr[uint64](1)}
}

func newModel(t *testing.T, cfg *bertc.ModelConfig) *bertc.Model {
	t.Helper()
	m, err := bertc.NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestModelCreateConfig(t *testing.T) {
	cfg := smallConfig(1000)
	cfg.HiddenDropoutProb = bertc.Ptr(0.0)
	cfg.HiddenAct = "relu"
	m := newModel(t, cfg)
	got, err := m.Config()
	if err != nil {
		t.Fatal(err)
	}
	if got.VocabSize != 1000 || got.HiddenSize != 32 || got.NumHiddenLayers != 2 || got.NumAttentionHeads != 2 ||
		got.IntermediateSize != 64 || got.MaxPositionEmbeddings != 64 || got.HiddenAct != "relu" ||
		*got.HiddenDropoutProb != 0 || *got.Seed != 1 {
		t.Fatalf("config %+v", got)
	}
	// Zero fields kept the library's defaults.
	if *got.AttentionProbsDropoutProb != 0.1 || got.TypeVocabSize != 2 || got.LayerNormEps != 1e-12 ||
		*got.InitializerRange != 0.02 || got.PositionEmbeddingType != "absolute" || got.PadTokenID != 0 {
		t.Fatalf("defaults %+v", got)
	}
	n, err := m.NumParameters()
	if err != nil || n < 50000 {
		t.Fatalf("parameters %d %v", n, err)
	}
	// Same config (seed), same weights: the config round-trips through NewModel.
	again := newModel(t, got)
	tok, _ := tiny(t)
	a, err := m.FillMask(tok, "the [MASK] of the house.", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := again.FillMask(tok, "the [MASK] of the house.", nil)
	if fmtPreds(a[0]) != fmtPreds(b[0]) {
		t.Fatalf("same seed, different models: %s / %s", fmtPreds(a[0]), fmtPreds(b[0]))
	}
	// The library validates the config.
	bad := smallConfig(1000)
	bad.HiddenSize = 33
	if _, err := bertc.NewModel(bad); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("hidden 33 / 2 heads: %v", err)
	}
	bad = smallConfig(1000)
	bad.PositionEmbeddingType = "relative_key"
	if _, err := bertc.NewModel(bad); !errors.Is(err, bertc.ErrUnsupported) {
		t.Fatalf("relative position embeddings: %v", err)
	}
}

func TestModelSaveLoad(t *testing.T) {
	tok, tm := tiny(t)
	dir := filepath.Join(t.TempDir(), "saved")
	if err := tm.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := bertc.LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if loaded.Warning() != "" {
		t.Fatalf("warning %q", loaded.Warning())
	}
	want, _ := tm.FillMask(tok, "the [MASK] of the house.", nil)
	got, _ := loaded.FillMask(tok, "the [MASK] of the house.", nil)
	if fmtPreds(got[0]) != fmtPreds(want[0]) {
		t.Fatalf("reloaded %s, original %s", fmtPreds(got[0]), fmtPreds(want[0]))
	}
	a, _ := tm.NumParameters()
	b, _ := loaded.NumParameters()
	if a != b {
		t.Fatalf("parameters %d vs %d", a, b)
	}
	if cfg, _ := loaded.Config(); *cfg.Seed != 0 {
		t.Fatalf("loaded model seed %d", *cfg.Seed)
	}
	// A BertModel-only checkpoint loads with a new MLM head and a warning.
	headless, err := bertc.LoadModel(filepath.Join(fixtures(t), "model", "tiny_bertmodel"))
	if err != nil {
		t.Fatal(err)
	}
	defer headless.Close()
	if headless.Warning() == "" {
		t.Fatal("no warning for a model without an MLM head")
	}
}

func TestModelLoadFromMemory(t *testing.T) {
	tok, tm := tiny(t)
	config, err := os.ReadFile(filepath.Join(tinyDir(t), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	weights, _ := os.ReadFile(filepath.Join(tinyDir(t), "model.safetensors"))
	want, _ := tm.FillMask(tok, "the [MASK] of the house.", nil)
	copied, err := bertc.LoadModelFromMemory(config, weights, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	borrowed, err := bertc.LoadModelFromMemory(config, weights, &bertc.ModelLoadOptions{Borrow: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*bertc.Model{copied, borrowed} {
		got, err := m.FillMask(tok, "the [MASK] of the house.", nil)
		if err != nil || fmtPreds(got[0]) != fmtPreds(want[0]) {
			t.Fatalf("from memory: %v %v", got, err)
		}
	}
	borrowed.Close()
	weights[len(weights)/2] ^= 0xff // free to change once the borrowing model is closed
	if _, err := bertc.LoadModelFromMemory([]byte("{"), weights, nil); !errors.Is(err, bertc.ErrFormat) {
		t.Fatalf("bad config: %v", err)
	}
	if _, err := bertc.LoadModelFromMemory(config, weights[:100], nil); !errors.Is(err, bertc.ErrFormat) {
		t.Fatalf("truncated weights: %v", err)
	}
}

func TestModelLoadMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-model")
	_, err := bertc.LoadModel(missing)
	if !errors.Is(err, bertc.ErrIO) {
		t.Fatalf("missing model: %v", err)
	}
	var e *bertc.Error
	if !errors.As(err, &e) || e.Status != bertc.StatusIO || !strings.Contains(e.Message, "no-such-model") ||
		!strings.HasPrefix(e.Message, "bert_model_load") {
		t.Fatalf("error %#v", err)
	}
	if errors.Is(err, bertc.ErrFormat) || errors.Is(err, bertc.ErrClosed) {
		t.Fatal("an IO error matched other sentinels")
	}
	if e.Status.String() != "io error" && e.Status.String() == "" {
		t.Fatalf("status name %q", e.Status.String())
	}
}
