package bertc_test

import (
	"fmt"
	"log"

	bertc "github.com/bertc/bertc-go"
)

func ExampleModel_FillMask() {
	const dir = "../../tests/fixtures/model/tiny_mlm" // a tiny BertForMaskedLM with its tokenizer
	tok, err := bertc.LoadTokenizer(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	model, err := bertc.LoadModel(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()
	preds, err := model.FillMask(tok, "the [MASK] of the house.", &bertc.FillMaskOptions{TopK: 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(preds[0])
	fmt.Println(preds[0][0].Sequence)
	// Output:
	// [ref (0.0273) pol (0.0272) quest (0.0129)]
	// the ref of the house.
}

func ExampleTokenizer_Encode() {
	tok, err := bertc.LoadTokenizer("../../tests/fixtures/model/tiny_mlm")
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	enc, err := tok.Encode("the [MASK] of the house.", nil)
	if err != nil {
		log.Fatal(err)
	}
	tokens, _ := tok.IDsToTokens(enc.IDs)
	fmt.Println(enc.IDs)
	fmt.Println(tokens)
	// Output:
	// [2 101 4 111 101 739 19 3]
	// [[CLS] the [MASK] of the house . [SEP]]
}

func ExampleModel_Classify() {
	const dir = "../../tests/fixtures/model/tiny_seqcls" // a tiny BertForSequenceClassification
	tok, err := bertc.LoadTokenizer(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	model, err := bertc.LoadModel(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()
	res, err := model.Classify(tok, []string{"The man said that the people of the house were good."}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(model.Task(), model.Labels())
	fmt.Println(res[0])
	// Output:
	// sequence_classification [fiction nonfiction press]
	// press (0.5399)
}

func ExampleModel_Tag() {
	const dir = "../../tests/fixtures/model/tiny_tokcls" // a tiny BertForTokenClassification
	tok, err := bertc.LoadTokenizer(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	model, err := bertc.LoadModel(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()
	res, err := model.Tag(tok, []string{"He was in the world today!"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, g := range res[0].Groups[:2] {
		fmt.Printf("%s %q %d..%d %.4f\n", g.LabelName, g.Text, g.Start, g.End, g.Score)
	}
	// Output:
	// NP "was" 3..6 0.6467
	// NP "in" 7..9 0.4491
}
