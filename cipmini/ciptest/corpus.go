package ciptest

import (
	"os"
	"path/filepath"
	"testing"
)

// CorpusDir returns the directory of the shared calendar corpus, read in
// place: $CIPMINI_CORPUS, else ../shared/testdata/corpus beside the module
// root (the nearest directory up from the working one holding go.mod), or
// "" when neither can be named. It does not check that the directory
// exists; fuzz seeds from it are a bonus.
func CorpusDir() string {
	if d := os.Getenv("CIPMINI_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "testdata", "corpus")
		}
	}
	return ""
}

// Corpus returns CorpusDir when it is a directory. Without it the test is
// skipped, or fails when CI=true.
func Corpus(t testing.TB) string {
	t.Helper()
	if dir := CorpusDir(); dir != "" {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("calendar corpus not found (set CIPMINI_CORPUS)")
	}
	t.Skip("calendar corpus not found (set CIPMINI_CORPUS)")
	return ""
}
