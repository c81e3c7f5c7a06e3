// Command pipeline runs the whole bertc pipeline from Go on a few hundred lines of the Brown corpus:
// train a WordPiece tokenizer, create a tiny BERT, pre-train it for a few steps with a progress func
// (Train then saves the model and tokenizer), reload the model, ask a fill-mask query, fine-tune it
// as a genre classifier (when the corpus directory has train.genre.jsonl), and handle an error.
//
//	go run . [BROWN_DIR]   (default: $BERTC_BROWN_DIR, else ../../../shared/data/brown)
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	bertc "github.com/bertc/bertc-go"
)

func main() {
	// The corpus directory: the first argument, else $BERTC_BROWN_DIR, else next to the checkout.
	brown := cmp.Or(append(os.Args[1:], os.Getenv("BERTC_BROWN_DIR"), "../../../shared/data/brown")...)
	text := must(os.ReadFile(filepath.Join(brown, "train.txt")))
	out := must(os.MkdirTemp("", "bertc-go-example-"))
	defer os.RemoveAll(out)
	data := filepath.Join(out, "train.txt") // the first 400 sentences
	must(0, os.WriteFile(data, []byte(strings.Join(strings.SplitN(string(text), "\n", 401)[:400], "\n")), 0o644))

	tok := must(bertc.TrainTokenizer(context.Background(), []string{data}, &bertc.TokenizerOptions{VocabSize: 2000}))
	defer tok.Close()
	model := must(bertc.NewModel(&bertc.ModelConfig{VocabSize: tok.VocabSize(), HiddenSize: 64,
		NumHiddenLayers: 2, NumAttentionHeads: 2, IntermediateSize: 128, MaxPositionEmbeddings: 128}))
	defer model.Close()
	trainer := must(bertc.NewTrainer(model, tok, &bertc.TrainData{Files: []string{data}}, nil, &bertc.TrainerOptions{
		OutputDir: filepath.Join(out, "run"), MaxSteps: 30, BatchSize: 16, LearningRate: 2e-3, LoggingSteps: bertc.Ptr[int64](10)}))
	defer trainer.Close()
	// Train with a progress func; at the end it saves the model and tokenizer into OutputDir.
	must(0, trainer.Train(context.Background(), func(e bertc.Event) error { fmt.Println(e.Kind, e.Current, e.Loss); return nil }))

	reloaded := must(bertc.LoadModel(filepath.Join(out, "run")))
	defer reloaded.Close()
	fmt.Println("the [MASK] of the state. ->", must(reloaded.FillMask(tok, "the [MASK] of the state.", nil))[0])
	// Fine-tune the pre-trained model as a genre classifier on 400 labelled sentences ({"text",
	// "label"} JSON Lines): a new head with the data's labels, 30 steps, evaluated on a held-out 10%
	// by accuracy and macro-F1, then classify.
	if genre, err := os.ReadFile(filepath.Join(brown, "train.genre.jsonl")); err == nil {
		labelled := filepath.Join(out, "genre.jsonl")
		must(0, os.WriteFile(labelled, []byte(strings.Join(strings.SplitN(string(genre), "\n", 401)[:400], "\n")), 0o644))
		data := &bertc.TrainData{Files: []string{labelled}}
		labels := must(bertc.DatasetLabels(data, bertc.TaskSequenceClassification))
		classifier := must(bertc.LoadModelForTask(filepath.Join(out, "run"), bertc.TaskOptions{
			Task: bertc.TaskSequenceClassification, Labels: labels})) // classifier.Warning(): HF's "newly initialized"
		defer classifier.Close()
		ft := must(bertc.NewTrainer(classifier, tok, data, nil, &bertc.TrainerOptions{MaxSteps: 30, BatchSize: 16,
			LearningRate: 3e-4, LoggingSteps: bertc.Ptr[int64](0), EvalSteps: 30, NoSaveFinalModel: true}))
		defer ft.Close()
		must(0, ft.Train(context.Background(), func(e bertc.Event) error {
			if e.Kind == bertc.EventEval {
				fmt.Printf("eval accuracy %.3f macro-F1 %.3f\n", e.EvalAccuracy, e.EvalF1)
			}
			return nil
		}))
		texts := []string{"The jury said the election was conducted fairly.", "She looked at him and smiled."}
		for i, c := range must(classifier.Classify(tok, texts, nil)) {
			fmt.Printf("%s  %s\n", c, texts[i])
		}
	}

	_, err := bertc.LoadModel(filepath.Join(out, "no-such-model")) // an error, handled: a missing file is ErrIO
	fmt.Println("missing model is bertc.ErrIO:", errors.Is(err, bertc.ErrIO), "--", err)
}

// must returns v, or stops the program when err is not nil (must(0, err) checks an error alone).
func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}
