package cipmini_test

import (
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/ciptest"
)

// The golden transcripts in ../testdata/transcripts are replayed over real
// TCP connections against a Server with the echo backend of
// testserver_test.go. Their format is described in ../testdata/README.md.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "transcripts", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d transcripts, want the whole set", len(files))
	}
	for _, f := range files {
		tr, err := ciptest.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(tr.Name, func(t *testing.T) {
			t.Parallel()
			srv, closeWait := transcriptServer(t, tr.Options)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(l)
			t.Cleanup(func() { srv.Close() })
			tr.Replay(t, func(string) (net.Conn, error) {
				return net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
			}, closeWait)
		})
	}
}

// transcriptServer builds the Server a transcript's "# set" lines ask for.
func transcriptServer(t *testing.T, opts [][2]string) (*cipmini.Server, time.Duration) {
	srv := cipmini.NewTestServer(slog.New(slog.NewTextHandler(io.Discard, nil)))
	closeWait := 5 * time.Second
	for _, o := range opts {
		name, val := o[0], o[1]
		num := func() int {
			v, err := strconv.Atoi(val)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		dur := func() time.Duration {
			v, err := time.ParseDuration(val)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		switch name {
		case "MaxConns":
			srv.MaxConns = num()
		case "MaxLineLength":
			srv.MaxLineLength = num()
		case "MaxDataBytes":
			srv.MaxDataBytes = num()
		case "MaxAuthFailures":
			srv.MaxAuthFailures = num()
		case "ReadTimeout":
			srv.ReadTimeout = dur()
			closeWait = srv.ReadTimeout + 5*time.Second
		case "AuthFailureDelay":
			srv.AuthFailureDelay = dur()
		case "ServerID":
			srv.ServerID = val
		default:
			t.Fatalf("unknown option %q", name)
		}
	}
	return srv, closeWait
}
