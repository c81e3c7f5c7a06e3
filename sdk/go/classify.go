package bertc

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// ClassifyOptions are the options of Classify, Tag and TagWords (bert_classify_params). nil or the
// zero value: batches of 32 texts, up to the model's max_position_embeddings tokens per text (a
// longer text is an error, as in Hugging Face's pipelines), the free cores.
type ClassifyOptions struct {
	BatchSize int // texts per forward pass (sorted by length, padded to the longest); 0: 32
	MaxLength int // tokens per text incl. [CLS]/[SEP]; 0: the model's max_position_embeddings
	// Truncation cuts a text longer than MaxLength instead of failing (Tag, TagWords: the words
	// beyond are not tagged).
	Truncation bool
	Threads    int // intra-op threads for this call; 0: the free cores. With many concurrent callers 1 is usually best.
}

// params fills p for o (nil for nil o) on the locked thread of the call.
func (o *ClassifyOptions) params(p *C.bert_classify_params) (*C.bert_classify_params, error) {
	if o == nil {
		return nil, nil
	}
	if st := C.bert_classify_params_init(p, C.sizeof_bert_classify_params); st != C.BERT_OK {
		return nil, lastError(st)
	}
	if o.BatchSize != 0 {
		p.batch_size = C.size_t(o.BatchSize)
	}
	if o.MaxLength != 0 {
		p.max_length = C.size_t(o.MaxLength)
	}
	if o.Truncation {
		p.truncation = 1
	}
	if o.Threads != 0 {
		p.threads = C.size_t(o.Threads)
	}
	return p, nil
}

// Classification is one text's result of Classify (Hugging Face pipeline("text-classification",
// top_k=None): the softmax of the classifier's logits).
type Classification struct {
	Label     int       // id of the most probable label (the lowest id on ties)
	LabelName string    // its name (config.json id2label; Model.Labels()[Label])
	Score     float64   // its probability
	Scores    []float64 // the probability of every label, by id
	Logits    []float64 // the classifier's raw logits, by id
}

// String formats the classification as "LABEL (SCORE)".
func (c Classification) String() string { return fmt.Sprintf("%s (%.4f)", c.LabelName, c.Score) }

// TaggedWord is one word of a text tagged by Tag or TagWords: the label of its first token.
type TaggedWord struct {
	Start, End int // byte range of the word in the text (TagWords: in the words joined by single spaces)
	// WordIndex is the word's index among the text's words (Tag) or the index of the input word
	// (TagWords, which leaves out words that tokenize to nothing).
	WordIndex int
	Label     int     // id of its label
	LabelName string  // the label's name, with any B-/I- prefix
	Score     float64 // the label's probability at the word's first token
	Word      string  // the word's text (bytes Start..End)
}

// TagGroup is a run of adjacent words with one tag (Hugging Face's entity with
// aggregation_strategy="first"): the same tag with B-/I- prefixes stripped, a "B-" tag starting a
// new group. Groups tagged "O" are left out.
type TagGroup struct {
	Start, End int     // byte range from the first word's start to the last word's end
	FirstWord  int     // index of its first word in TaggedText.Words
	NumWords   int     // words in the group
	LabelName  string  // the tag without its B-/I- prefix (HF "entity_group")
	Score      float64 // mean of the words' scores
	Text       string  // the text of bytes Start..End (HF "word" decodes the tokens instead)
}

// TaggedText is the result of Tag or TagWords for one text: every tagged word, and the groups
// (entities) they form.
type TaggedText struct {
	Words  []TaggedWord
	Groups []TagGroup
}

// acquirePair acquires a model and a tokenizer for one call; release undoes it.
func acquirePair(m *Model, tok *Tokenizer) (mp *C.bert_model, tp *C.bert_tokenizer, release func(), err error) {
	if mp = m.acquire(); mp == nil {
		return nil, nil, nil, closedError("Model")
	}
	if tp = tok.acquire(); tp == nil {
		m.release()
		return nil, nil, nil, closedError("Tokenizer")
	}
	return mp, tp, func() { tok.release(); m.release() }, nil
}

// Classify classifies each text with a sequence-classification model (Task() ==
// TaskSequenceClassification): result i belongs to texts[i]. Another kind of model, a text that
// is not UTF-8 or, without Truncation, longer than MaxLength fails the whole call.
//
// Safe for concurrent use: one Model and Tokenizer may serve any number of goroutines.
func (m *Model) Classify(tok *Tokenizer, texts []string, opts *ClassifyOptions) ([]Classification, error) {
	mp, tp, release, err := acquirePair(m, tok)
	if err != nil {
		return nil, err
	}
	defer release()
	var c cmem
	defer c.free()
	ptrs, lens := c.strs(texts, "text", false)
	var params C.bert_classify_params
	var res *C.bert_classify_result
	runtime.LockOSThread()
	pp, err := opts.params(&params)
	if err == nil {
		err = lastError(C.bert_classify(mp, tp, ptrs, lens, C.size_t(len(texts)), pp, &res))
	}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	defer C.bert_classify_result_free(res)
	out := make([]Classification, int(C.bert_classify_result_num_texts(res)))
	for i := range out {
		var r C.bert_classification
		r.struct_size = C.sizeof_bert_classification
		if err := call(func() C.bert_status { return C.bert_classify_result_get(res, C.size_t(i), &r) }); err != nil {
			return nil, err
		}
		n := int(r.num_labels)
		out[i] = Classification{
			Label:     int(r.label),
			LabelName: C.GoString(r.label_name),
			Score:     float64(r.score),
			Scores:    append([]float64(nil), unsafe.Slice((*float64)(unsafe.Pointer(r.scores)), n)...),
			Logits:    append([]float64(nil), unsafe.Slice((*float64)(unsafe.Pointer(r.logits)), n)...),
		}
	}
	return out, nil
}

// Tag tags the words of each text with a token-classification model (Task() ==
// TaskTokenClassification), as Hugging Face's token-classification pipeline with
// aggregation_strategy="first": a word is a token plus the "##" tokens after it and takes the label
// of its first token. Result i belongs to texts[i].
//
// Safe for concurrent use.
func (m *Model) Tag(tok *Tokenizer, texts []string, opts *ClassifyOptions) ([]TaggedText, error) {
	mp, tp, release, err := acquirePair(m, tok)
	if err != nil {
		return nil, err
	}
	defer release()
	var c cmem
	defer c.free()
	ptrs, lens := c.strs(texts, "text", false)
	var params C.bert_classify_params
	var res *C.bert_tag_result
	runtime.LockOSThread()
	pp, err := opts.params(&params)
	if err == nil {
		err = lastError(C.bert_tag(mp, tp, ptrs, lens, C.size_t(len(texts)), pp, &res))
	}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	defer C.bert_tag_result_free(res)
	return convertTags(res)
}

// TagWords is Tag for texts given as words (Hugging Face's is_split_into_words, as in training
// data): texts[i] is the words of text i. Each word is tokenized on its own and labelled by its
// first piece; offsets refer to the words joined by single spaces. Words that tokenize to nothing
// (or, with Truncation, lie beyond MaxLength) are left out: WordIndex says which input word a
// TaggedWord is.
func (m *Model) TagWords(tok *Tokenizer, texts [][]string, opts *ClassifyOptions) ([]TaggedText, error) {
	mp, tp, release, err := acquirePair(m, tok)
	if err != nil {
		return nil, err
	}
	defer release()
	var c cmem
	defer c.free()
	var words []string
	var counts []C.size_t
	if len(texts) > 0 {
		counts = c.sizes(len(texts))
		for i, t := range texts {
			words = append(words, t...)
			counts[i] = C.size_t(len(t))
		}
	}
	ptrs, lens := c.strs(words, "word", false)
	var countsPtr *C.size_t
	if len(counts) > 0 {
		countsPtr = &counts[0]
	}
	var params C.bert_classify_params
	var res *C.bert_tag_result
	runtime.LockOSThread()
	pp, err := opts.params(&params)
	if err == nil {
		err = lastError(C.bert_tag_words(mp, tp, ptrs, lens, countsPtr, C.size_t(len(texts)), pp, &res))
	}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	defer C.bert_tag_result_free(res)
	return convertTags(res)
}

// convertTags copies a tag result into Go values.
func convertTags(res *C.bert_tag_result) ([]TaggedText, error) {
	out := make([]TaggedText, int(C.bert_tag_result_num_texts(res)))
	for t := range out {
		words := make([]TaggedWord, int(C.bert_tag_result_num_words(res, C.size_t(t))))
		for i := range words {
			var w C.bert_tagged_word
			w.struct_size = C.sizeof_bert_tagged_word
			if err := call(func() C.bert_status { return C.bert_tag_result_get_word(res, C.size_t(t), C.size_t(i), &w) }); err != nil {
				return nil, err
			}
			words[i] = TaggedWord{
				Start: int(w.start), End: int(w.end), WordIndex: int(w.word_index), Label: int(w.label),
				LabelName: C.GoString(w.label_name), Score: float64(w.score),
				Word: goString(w.word, w.end-w.start),
			}
		}
		groups := make([]TagGroup, int(C.bert_tag_result_num_groups(res, C.size_t(t))))
		for i := range groups {
			var g C.bert_tag_group
			g.struct_size = C.sizeof_bert_tag_group
			if err := call(func() C.bert_status { return C.bert_tag_result_get_group(res, C.size_t(t), C.size_t(i), &g) }); err != nil {
				return nil, err
			}
			groups[i] = TagGroup{
				Start: int(g.start), End: int(g.end), FirstWord: int(g.first_word), NumWords: int(g.num_words),
				LabelName: C.GoString(g.label_name), Score: float64(g.score),
				Text: goString(g.text, g.end-g.start),
			}
		}
		out[t] = TaggedText{Words: words, Groups: groups}
	}
	return out, nil
}
