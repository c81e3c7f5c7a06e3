// Package bertc is the Go binding of bertc, a C library for BERT WordPiece tokenization,
// masked-language-model pre-training, fill-mask, and fine-tuning for sequence and token
// classification (Hugging Face compatible), behind a stable C ABI (libbertc.so.1, header bertc.h).
//
// The package uses cgo and finds the library with pkg-config (#cgo pkg-config: bertc): set
// PKG_CONFIG_PATH to PREFIX/lib/pkgconfig when building, and LD_LIBRARY_PATH to PREFIX/lib when
// running (or link with CGO_LDFLAGS="-Wl,-rpath,PREFIX/lib").
//
// # Overview
//
//   - Tokenizer: train (TrainTokenizer, TrainTokenizerFromLines), load (LoadTokenizer,
//     LoadTokenizerFromMemory), save (Save, SaveToMemory), encode (Encode, EncodePair, EncodeBatch,
//     EncodePairBatch) into Encodings, decode (Decode, DecodeBatch), token/id lookups.
//   - Model: a masked LM, a sequence classifier or a token classifier (Task, Labels). Create
//     (NewModel from a ModelConfig), load (LoadModel, LoadModelFromMemory, optionally borrowing the
//     weights buffer), put a new head on a checkpoint (LoadModelForTask), save; fill-mask (FillMask,
//     FillMaskBatch) and sentence scoring (ScoreText) with a masked LM; text classification
//     (Classify) and tagging (Tag, TagWords) with a fine-tuned classifier.
//   - Trainer: MLM pre-training or classifier fine-tuning of a Model (NewTrainer, Step, StepBatch,
//     Train, Evaluate, SaveCheckpoint, Resume, Info) on files or in-memory data (TrainData;
//     DatasetLabels lists the labels of labelled files).
//
// Fine-tuning, in short:
//
//	data := &bertc.TrainData{Files: []string{"train.jsonl"}} // {"text": ..., "label": ...} lines
//	labels, err := bertc.DatasetLabels(data, bertc.TaskSequenceClassification)
//	model, err := bertc.LoadModelForTask("pretrained", bertc.TaskOptions{
//		Task: bertc.TaskSequenceClassification, Labels: labels})
//	trainer, err := bertc.NewTrainer(model, tok, data, nil, &bertc.TrainerOptions{OutputDir: "run",
//		EvalSteps: 100, SaveSteps: 100, MetricForBestModel: "f1", LoadBestModelAtEnd: true})
//	err = trainer.Train(ctx, nil)
//	results, err := model.Classify(tok, []string{"Some text."}, nil) // results[0].LabelName, .Score
//
// Options are structs whose zero values keep the library's defaults (a nil options pointer too);
// the few fields whose zero is a meaningful other setting are pointers (set them with Ptr). Nothing
// the library does is re-implemented here: defaults come from the library's params_init functions
// and every option is validated by the library.
//
// # Errors
//
// Failed calls return an *Error holding the library's status and message (read on the OS thread
// of the failed call, so concurrent goroutines never see each other's messages). Match a status
// with errors.Is and the sentinels:
//
//	if _, err := bertc.LoadModel(dir); errors.Is(err, bertc.ErrIO) { ... }
//
// A cancelled call matches ErrCancelled and wraps its reason (ctx.Err() or the error a ProgressFunc
// returned). Calls on a closed or nil handle fail with an error that matches ErrClosed and
// ErrInvalidArgument.
//
// At initialisation the package checks that the loaded library can serve the header it was built
// against (bert_check_version); if not, CheckVersion returns the error (naming both versions) and
// every constructor returns it.
//
// # Goroutines
//
// Tokenizer methods and the Model's inference methods (FillMask, FillMaskBatch, ScoreText, Classify,
// Tag, TagWords, Save, Config, NumParameters) are safe for concurrent use. Trainer methods may be called from several
// goroutines but run one at a time. Per-call thread counts (Threads fields) apply to that call only.
//
// # Lifetimes
//
// Every handle has an idempotent Close, which never frees memory under a running call: the object
// is released when the last running call on it returns, and later calls fail with ErrClosed.
// Handles that become unreachable without Close are released by the garbage collector
// (runtime.AddCleanup), but closing them explicitly returns the (C) memory promptly. A Trainer
// keeps its Model alive until the Trainer is closed; Encodings and predictions are plain Go values.
//
// # Cancellation
//
// Long calls take a context.Context and/or a ProgressFunc: Trainer.Train and Trainer.Step check
// the context before every optimizer step and at every progress event, TrainTokenizer at every
// progress event. A ProgressFunc returning an error cancels the call.
package bertc
