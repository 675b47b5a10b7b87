package vcal

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDir returns the shared corpus: $CIPMINI_CORPUS, else
// ../shared/testdata/corpus beside the module root. Without it the test is
// skipped, or fails when CI=true.
func corpusDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("CIPMINI_CORPUS"); d != "" {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("CIPMINI_CORPUS: %v", err)
		}
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			dir = ""
			break
		}
		dir = parent
	}
	if dir != "" {
		d := filepath.Join(dir, "..", "shared", "testdata", "corpus")
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("corpus not found: set CIPMINI_CORPUS or put it at ../shared/testdata/corpus beside the module")
	}
	t.Skip("corpus not found: set CIPMINI_CORPUS or put it at ../shared/testdata/corpus beside the module")
	return ""
}

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir(t), "handmade", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// utc builds a UTC instant from "2006-01-02T15:04".
func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// encodeEvent encodes e and checks the folding of every line.
func encodeEvent(t testing.TB, e *Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Encode(&buf); err != nil {
		t.Fatalf("encode %s: %v", e.UID, err)
	}
	for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n") {
		if len(line) > MaxLineOctets {
			t.Fatalf("encoded line %d has %d octets: %q", i+1, len(line), line)
		}
		if strings.Contains(line, "\n") || strings.Contains(line, "\r") {
			t.Fatalf("encoded line %d has a bare line break: %q", i+1, line)
		}
	}
	return buf.Bytes()
}
