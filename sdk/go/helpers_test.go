package bertc_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bertc "github.com/bertc/bertc-go"
)

// fixtures is the repository's tests/fixtures (or $BERTC_FIXTURES_DIR).
func fixtures(t testing.TB) string {
	if d := os.Getenv("BERTC_FIXTURES_DIR"); d != "" {
		return d
	}
	d, err := filepath.Abs(filepath.Join("..", "..", "tests", "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func tinyDir(t testing.TB) string { return filepath.Join(fixtures(t), "model", "tiny_mlm") }

func brownTokenizerDir(t testing.TB) string {
	return filepath.Join(fixtures(t), "tokenizer", "hf_brown_8000")
}

var (
	tinyOnce  sync.Once
	tinyTok   *bertc.Tokenizer
	tinyModel *bertc.Model
	tinyErr   error
)

// tiny returns the shared tiny_mlm tokenizer and model (never closed: shared by the tests).
func tiny(t testing.TB) (*bertc.Tokenizer, *bertc.Model) {
	tinyOnce.Do(func() {
		dir := filepath.Join(fixtures(t), "model", "tiny_mlm")
		if tinyTok, tinyErr = bertc.LoadTokenizer(dir); tinyErr != nil {
			return
		}
		tinyModel, tinyErr = bertc.LoadModel(dir)
	})
	if tinyErr != nil {
		t.Fatal(tinyErr)
	}
	return tinyTok, tinyModel
}

// hfQuery is one query of tests/fixtures/model/tiny_fill_mask.json (HF pipeline('fill-mask')).
type hfQuery struct {
	Text     string   `json:"text"`
	TopK     int      `json:"top_k"`
	Targets  []string `json:"targets"`
	InputIDs []int32  `json:"input_ids"`
	Results  [][]struct {
		Score    float64 `json:"score"`
		Token    int32   `json:"token"`
		TokenStr string  `json:"token_str"`
		Sequence string  `json:"sequence"`
	} `json:"results"`
}

func hfQueries(t testing.TB) []hfQuery {
	b, err := os.ReadFile(filepath.Join(fixtures(t), "model", "tiny_fill_mask.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Queries []hfQuery `json:"queries"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Queries
}

var corpusWords = strings.Fields("the man said that people of house were good he was in world a new city and old time day")

// corpus returns n deterministic sentences of 4..15 words (the C tests' kind of corpus).
func corpus(n int) []string {
	r := rand.New(rand.NewSource(12345))
	lines := make([]string, n)
	for i := range lines {
		words := make([]string, 4+r.Intn(12))
		for j := range words {
			words[j] = corpusWords[r.Intn(len(corpusWords))]
		}
		lines[i] = strings.Join(words, " ") + "."
	}
	return lines
}

func writeLines(t testing.TB, path string, lines []string) string {
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// brownLines returns the first n lines of the Brown corpus ($BERTC_BROWN_DIR, else
// ../shared/data/brown or data/brown next to the repository root), skipping the test without it.
func brownLines(t testing.TB, n int) []string {
	var cands []string
	if d := os.Getenv("BERTC_BROWN_DIR"); d != "" {
		cands = append(cands, d)
	}
	cands = append(cands, filepath.Join("..", "..", "..", "shared", "data", "brown"), filepath.Join("..", "..", "data", "brown"))
	for _, d := range cands {
		f, err := os.Open(filepath.Join(d, "train.txt"))
		if err != nil {
			continue
		}
		defer f.Close()
		var lines []string
		s := bufio.NewScanner(f)
		for len(lines) < n && s.Scan() {
			lines = append(lines, s.Text())
		}
		return lines
	}
	t.Skip("no Brown corpus (set BERTC_BROWN_DIR)")
	return nil
}

func near(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }

func fmtPreds(p []bertc.Prediction) string {
	var b strings.Builder
	for _, x := range p {
		fmt.Fprintf(&b, "%s:%.4f ", x.Token, x.Score)
	}
	return b.String()
}
