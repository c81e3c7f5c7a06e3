package bertc

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// A library that cannot serve the header is refused with the library's message naming both versions,
// and every constructor then returns that error.
func TestIncompatibleLibraryIsRefused(t *testing.T) {
	for _, header := range []uint{20000, 10000 + 99*100} { // another major; a newer minor
		err := checkVersion(header)
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("header %d: %v", header, err)
		}
		for _, v := range []string{Version(), strconv.Itoa(int(header))} {
			if !strings.Contains(err.Error(), v) {
				t.Errorf("header %d: %q does not name %s", header, err, v)
			}
		}
	}
	if err := checkVersion(10000); err != nil { // 1.0.0 is always served by a 1.x library
		t.Fatal(err)
	}

	saved := versionErr
	defer func() { versionErr = saved }()
	versionErr = checkVersion(20000)
	if CheckVersion() != versionErr {
		t.Fatal("CheckVersion")
	}
	constructors := map[string]func() error{
		"LoadTokenizer":           func() error { _, err := LoadTokenizer("x"); return err },
		"LoadTokenizerFromMemory": func() error { _, err := LoadTokenizerFromMemory([]byte("x"), nil); return err },
		"TrainTokenizer":          func() error { _, err := TrainTokenizer(context.Background(), []string{"x"}, nil); return err },
		"TrainTokenizerFromLines": func() error { _, err := TrainTokenizerFromLines(context.Background(), []string{"x"}, nil); return err },
		"NewModel":                func() error { _, err := NewModel(nil); return err },
		"LoadModel":               func() error { _, err := LoadModel("x"); return err },
		"LoadModelFromMemory":     func() error { _, err := LoadModelFromMemory(nil, nil, nil); return err },
		"NewTrainer":              func() error { _, err := NewTrainer(nil, nil, nil, nil, nil); return err },
	}
	for name, f := range constructors {
		if err := f(); err != versionErr {
			t.Errorf("%s: %v", name, err)
		}
	}
}
