package cipmini

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The golden transcripts in ../testdata/transcripts are replayed over real
// TCP connections against a Server with the echo backend. Their format is
// described in ../testdata/README.md.

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "transcripts", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d transcripts, want the whole set", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			t.Parallel()
			runTranscript(t, f)
		})
	}
}

var repeatMacro = regexp.MustCompile(`\{(.)\*([0-9]+)\}`)

// expandLine replaces {c*N} by N copies of c.
func expandLine(s string) string {
	return repeatMacro.ReplaceAllStringFunc(s, func(m string) string {
		sub := repeatMacro.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[2])
		return strings.Repeat(sub[1], n)
	})
}

func runTranscript(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	srv := &Server{}
	var addr string
	conns := map[int]*rawConn{}
	closeWait := 5 * time.Second
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "# set ") {
			if addr != "" {
				t.Fatalf("%s:%d: # set after the first exchange", path, n)
			}
			setOption(t, srv, strings.Fields(line[len("# set "):]), &closeWait)
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		if addr == "" {
			addr = startServer(t, srv)
		}
		id := 1
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			id, err = strconv.Atoi(line[1:end])
			if err != nil {
				t.Fatalf("%s:%d: bad connection label", path, n)
			}
			line = strings.TrimPrefix(line[end+1:], " ")
		}
		c := conns[id]
		if c == nil {
			c = dialRaw(t, addr)
			conns[id] = c
		}
		if len(line) < 2 || (len(line) > 2 && line[2] != ' ') {
			t.Fatalf("%s:%d: malformed line %q", path, n, line)
		}
		kind, text := line[:2], ""
		if len(line) > 3 {
			text = expandLine(line[3:])
		}
		switch kind {
		case "C:":
			c.send(text + "\r\n")
		case "L:":
			c.send(text + "\n")
		case "S:":
			if text == "<closed>" {
				c.expectClosed(closeWait)
			} else {
				c.expect(text)
			}
		default:
			t.Fatalf("%s:%d: unknown directive %q", path, n, kind)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func setOption(t *testing.T, srv *Server, f []string, closeWait *time.Duration) {
	if len(f) != 2 {
		t.Fatalf("bad # set line %q", f)
	}
	num := func() int {
		v, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	dur := func() time.Duration {
		v, err := time.ParseDuration(f[1])
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	switch f[0] {
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
		*closeWait = srv.ReadTimeout + 5*time.Second
	case "AuthFailureDelay":
		srv.AuthFailureDelay = dur()
	case "ServerID":
		srv.ServerID = f[1]
	default:
		t.Fatalf("unknown option %q", f[0])
	}
}
