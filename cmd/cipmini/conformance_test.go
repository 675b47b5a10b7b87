package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/ciptest"
)

// TestConformance replays the draft's example sessions (docs/PROTOCOL.md
// section 14), cleaned of page breaks, against real `cipmini serve` processes:
// one per server the transcript names, each with its configuration from
// testdata/conformance/<server-id>.toml and a data directory of its own.
func TestConformance(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "conformance")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d conformance transcripts, want 3", len(files))
	}
	for _, f := range files {
		tr, err := ciptest.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(tr.Name, func(t *testing.T) {
			daemons := map[string]*daemonProc{}
			for _, st := range tr.Steps {
				name, _, _ := strings.Cut(st.Conn, " ")
				if daemons[name] == nil {
					daemons[name] = startDaemon(t, filepath.Join(dir, name+".toml"), t.TempDir())
				}
			}
			tr.Replay(t, dialer(daemons), 10*time.Second)
		})
	}
}
