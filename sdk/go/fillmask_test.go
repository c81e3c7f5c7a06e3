package bertc_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	bertc "github.com/bertc/bertc-go"
)

// The Hugging Face pipeline('fill-mask') numbers of tests/fixtures/model/tiny_fill_mask.json.
func TestFillMaskMatchesHFPipeline(t *testing.T) {
	tok, m := tiny(t)
	for _, q := range hfQueries(t) {
		got, err := m.FillMask(tok, q.Text, &bertc.FillMaskOptions{TopK: q.TopK, Targets: q.Targets})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(q.Results) {
			t.Fatalf("%q: %d masks, HF %d", q.Text, len(got), len(q.Results))
		}
		for k, want := range q.Results {
			if len(got[k]) != len(want) {
				t.Fatalf("%q mask %d: %d predictions, HF %d", q.Text, k, len(got[k]), len(want))
			}
			for r, w := range want {
				p := got[k][r]
				if p.TokenID != w.Token || p.Token != w.TokenStr || p.Sequence != w.Sequence || !near(p.Score, w.Score, 1e-5) {
					t.Errorf("%q mask %d rank %d: %+v, HF %+v", q.Text, k, r, p, w)
				}
				if len(p.TokenIDs) != 1 || p.TokenIDs[0] != p.TokenID {
					t.Errorf("token ids %v", p.TokenIDs)
				}
			}
		}
	}
}

// As tests/c/test_fill_mask.c: targets {people, church}, top_k capped at 2.
func TestFillMaskTargets(t *testing.T) {
	tok, m := tiny(t)
	got, err := m.FillMask(tok, "the first [MASK] in the state", &bertc.FillMaskOptions{TopK: 3, Targets: []string{"people", "church"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0]) != 2 || got[0][0].Token != "church" || got[0][1].Token != "people" {
		t.Fatalf("predictions %s", fmtPreds(got[0]))
	}
	if !near(got[0][0].Score, 0.00503313402, 1e-7) {
		t.Fatalf("church score %.11f", got[0][0].Score)
	}
	multi, err := m.FillMask(tok, "the first [MASK] in the state", &bertc.FillMaskOptions{Targets: []string{"housework"}, ExpandMultiPieceTargets: true})
	if err != nil {
		t.Fatal(err)
	}
	p := multi[0][0]
	if len(p.TokenIDs) < 2 || p.Token != "housework" || p.Sequence != "the first housework in the state" || p.Score <= 0 || p.Score >= 1 {
		t.Fatalf("expanded target %+v", p)
	}
	if _, err := m.FillMask(tok, "the [MASK]", &bertc.FillMaskOptions{TopK: 1001}); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "top_k") {
		t.Fatalf("top_k 1001: %v", err)
	}
}

func TestFillMaskBatch(t *testing.T) {
	tok, m := tiny(t)
	texts := []string{"[MASK]", "the [MASK] of the house.", "a [MASK] and a [MASK]."}
	batch, err := m.FillMaskBatch(tok, texts, &bertc.FillMaskOptions{TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 3 || len(batch[2]) != 2 || batch[0][0][0].Token != "life" || batch[1][0][0].Token != "ref" {
		t.Fatalf("batch %v", batch)
	}
	for i, text := range texts {
		single, _ := m.FillMask(tok, text, &bertc.FillMaskOptions{TopK: 3})
		for k := range single {
			for r := range single[k] {
				if single[k][r].Token != batch[i][k][r].Token || !near(single[k][r].Score, batch[i][k][r].Score, 1e-6) {
					t.Fatalf("%q: batch %s, single %s", text, fmtPreds(batch[i][k]), fmtPreds(single[k]))
				}
			}
		}
	}
	if empty, err := m.FillMaskBatch(tok, nil, nil); err != nil || len(empty) != 0 {
		t.Fatalf("empty batch: %v %v", empty, err)
	}
	_, err = m.FillMaskBatch(tok, []string{"a [MASK]", "nothing"}, nil)
	if !errors.Is(err, bertc.ErrInvalidArgument) || !strings.Contains(err.Error(), "query 1") {
		t.Fatalf("bad query: %v", err)
	}
}

func TestScoreText(t *testing.T) {
	tok, m := tiny(t)
	scores, err := m.ScoreText(tok, []string{"the man of the house.", "", "house the of man the."}, &bertc.ScoreOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if scores[0].LogLikelihood >= 0 || scores[2].LogLikelihood >= 0 || scores[1] != (bertc.TextScore{}) ||
		scores[0].NumTokens != scores[2].NumTokens || scores[0].NumTokens < 5 {
		t.Fatalf("scores %+v", scores)
	}
	enc, _ := tok.Encode("the man of the house.", nil)
	if scores[0].NumTokens != len(enc.IDs)-2 {
		t.Fatalf("%d tokens scored, %d encoded", scores[0].NumTokens, len(enc.IDs))
	}
	// The pseudo-log-likelihood is the sum of log P(token | token masked), which fill-mask (checked
	// against Hugging Face above) gives with the token as the only target.
	words := []string{"the", "man", "of", "the", "house", "."}
	sum := 0.0
	for i, w := range words {
		masked := append([]string{}, words...)
		masked[i] = "[MASK]"
		text := strings.Join(masked[:5], " ") + masked[5]
		p, err := m.FillMask(tok, text, &bertc.FillMaskOptions{Targets: []string{w}})
		if err != nil {
			t.Fatal(err)
		}
		sum += math.Log(p[0][0].Score)
	}
	if !near(sum, scores[0].LogLikelihood, 1e-4) {
		t.Fatalf("score %v, sum of fill-mask log-probabilities %v", scores[0].LogLikelihood, sum)
	}
	again, _ := m.ScoreText(tok, []string{"the man of the house."}, nil)
	if !near(again[0].LogLikelihood, scores[0].LogLikelihood, 1e-4) {
		t.Fatalf("%v vs %v", again[0], scores[0])
	}
	if _, err := m.ScoreText(tok, []string{strings.Repeat("the ", 70)}, nil); !errors.Is(err, bertc.ErrInvalidArgument) {
		t.Fatalf("too long: %v", err)
	}
}

func TestFillMaskErrors(t *testing.T) {
	tok, m := tiny(t)
	if _, err := m.FillMask(tok, "no mask token here", nil); !errors.Is(err, bertc.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "no mask token") {
		t.Fatalf("no mask: %v", err)
	}
	if _, err := m.FillMask(tok, "a [MASK] \xc3\x28", nil); !errors.Is(err, bertc.ErrInvalidUTF8) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	other := newModel(t, smallConfig(999))
	if _, err := other.FillMask(tok, "a [MASK]", nil); !errors.Is(err, bertc.ErrInvalidArgument) || !strings.Contains(err.Error(), "vocab") {
		t.Fatalf("vocab mismatch: %v", err)
	}
}
