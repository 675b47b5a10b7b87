// Package ciptest replays golden CIP transcripts ("C:" and "S:" lines) over
// real connections, for the tests of cipmini's engine and of its daemon. The
// format is described in testdata/README.md at the module root.
package ciptest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Step is one exchange line of a transcript.
type Step struct {
	Line int    // line number in the file, from 1
	Conn string // connection label: "1" unless the line starts with "[label]"
	Kind string // "C:" (send with CRLF), "L:" (send with LF) or "S:" (expect)
	Text string // with {c*N} expanded
}

// Transcript is a parsed transcript file.
type Transcript struct {
	Name string
	// Options are the "# set Name value" lines, in order.
	Options [][2]string
	Steps   []Step
}

var repeatMacro = regexp.MustCompile(`\{(.)\*([0-9]+)\}`)

// expand replaces {c*N} by N copies of c.
func expand(s string) string {
	return repeatMacro.ReplaceAllStringFunc(s, func(m string) string {
		sub := repeatMacro.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[2])
		return strings.Repeat(sub[1], n)
	})
}

// Parse reads a transcript.
func Parse(r io.Reader, name string) (*Transcript, error) {
	tr := &Transcript{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# set "); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || len(tr.Steps) > 0 {
				return nil, fmt.Errorf("ciptest: %s:%d: bad or late # set line", name, n)
			}
			tr.Options = append(tr.Options, [2]string{f[0], f[1]})
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		st := Step{Line: n, Conn: "1"}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("ciptest: %s:%d: unclosed connection label", name, n)
			}
			st.Conn, line = line[1:end], strings.TrimPrefix(line[end+1:], " ")
		}
		if len(line) < 2 || (len(line) > 2 && line[2] != ' ') {
			return nil, fmt.Errorf("ciptest: %s:%d: malformed line %q", name, n, line)
		}
		st.Kind = line[:2]
		if st.Kind != "C:" && st.Kind != "L:" && st.Kind != "S:" {
			return nil, fmt.Errorf("ciptest: %s:%d: unknown directive %q", name, n, st.Kind)
		}
		if len(line) > 3 {
			st.Text = expand(line[3:])
		}
		tr.Steps = append(tr.Steps, st)
	}
	return tr, sc.Err()
}

// Load reads a transcript file.
func Load(path string) (*Transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, strings.TrimSuffix(filepath.Base(path), ".txt"))
}

// Replay runs the steps: each connection is opened by dial at its first
// step; "C:"/"L:" lines are sent, "S:" lines must be the next line the
// server sends, "S: <closed>" the end of the connection within closeWait.
// Every other read waits at most 10 seconds. Connections are closed at the
// end.
func (tr *Transcript) Replay(t testing.TB, dial func(label string) (net.Conn, error), closeWait time.Duration) {
	t.Helper()
	conns := map[string]*lineConn{}
	defer func() {
		for _, c := range conns {
			c.conn.Close()
		}
	}()
	for _, st := range tr.Steps {
		c := conns[st.Conn]
		if c == nil {
			conn, err := dial(st.Conn)
			if err != nil {
				t.Fatalf("%s:%d: connecting [%s]: %v", tr.Name, st.Line, st.Conn, err)
			}
			c = &lineConn{conn: conn, r: bufio.NewReaderSize(conn, 1<<16)}
			conns[st.Conn] = c
		}
		where := fmt.Sprintf("%s:%d [%s]", tr.Name, st.Line, st.Conn)
		switch {
		case st.Kind == "C:":
			c.send(t, where, st.Text+"\r\n")
		case st.Kind == "L:":
			c.send(t, where, st.Text+"\n")
		case st.Text == "<closed>":
			c.conn.SetReadDeadline(time.Now().Add(closeWait))
			line, err := c.readLine()
			if err == nil {
				t.Fatalf("%s: want the connection closed, got %q", where, line)
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("%s: connection still open after %v", where, closeWait)
			}
		default:
			c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, err := c.readLine()
			if err != nil {
				t.Fatalf("%s: want %q, got error %v", where, st.Text, err)
			}
			if line != st.Text {
				t.Fatalf("%s: want %q, got %q", where, st.Text, line)
			}
		}
	}
}

type lineConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func (c *lineConn) send(t testing.TB, where, s string) {
	t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		t.Fatalf("%s: sending: %v", where, err)
	}
}

// readLine reads a line and checks that it ends in CRLF, as the server
// must always send.
func (c *lineConn) readLine() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return line, err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return line, fmt.Errorf("line %q does not end in CRLF", line)
	}
	return line[:len(line)-2], nil
}
