package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/boards"
)

// demoWithout is the demo configuration without its data_dir line, plus
// extra lines.
func demoWithout(t *testing.T, extra string) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(demoConfig, "\n") {
		if !strings.HasPrefix(l, "data_dir") {
			lines = append(lines, l)
		}
	}
	text := extra + "\n" + strings.Join(lines, "\n")
	path := filepath.Join(t.TempDir(), "cipmini.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A board fills in what the configuration file leaves out, and only that.
func TestApplyBoard(t *testing.T) {
	zero, err := boards.Lookup("pi-zero")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(demoWithout(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	b, err := applyBoard("pi-zero", cfg)
	if err != nil || b.Name != "pi-zero" || cfg.DataDir != zero.DataDir || cfg.MaxConns != zero.MaxConns {
		t.Fatalf("board on a silent configuration: %+v %v; data %s, max_conns %d", b, err, cfg.DataDir, cfg.MaxConns)
	}

	cfg, err = loadConfig(demoWithout(t, "max_conns = 5\ndata_dir = \"/srv/cal\""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applyBoard("pi-zero", cfg); err != nil || cfg.DataDir != "/srv/cal" || cfg.MaxConns != 5 {
		t.Fatalf("the configuration must win: %v; data %s, max_conns %d", err, cfg.DataDir, cfg.MaxConns)
	}

	cfg, _ = loadConfig("")
	if b, err := applyBoard("", cfg); b != nil || err != nil || cfg.DataDir != "cipmini-data" || cfg.MaxConns != 0 {
		t.Fatalf("no board: %v %v %+v", b, err, cfg)
	}
	if _, err := applyBoard("pi-9", cfg); !errors.Is(err, boards.ErrUnknown) || !strings.HasPrefix(err.Error(), "cipmini: --board: ") {
		t.Fatalf("unknown board: %v", err)
	}
	if _, err := parseConfig("server_id = \"x\"\nmax_conns = -1\n", "t"); err == nil || !strings.Contains(err.Error(), "max_conns") {
		t.Fatalf("negative max_conns: %v", err)
	}
}

func TestMemLimitString(t *testing.T) {
	for n, want := range map[int64]string{96 << 20: "96MiB", 2 << 30: "2GiB", 3 << 10: "3KiB", 1000: "1000B", 1<<63 - 1: "none"} {
		if got := memLimitString(n); got != want {
			t.Errorf("%d: %s, want %s", n, got, want)
		}
	}
}

// sessionsServed opens connections from distinct loopback addresses until
// one is refused with NO 007, and returns how many were greeted with OK.
func sessionsServed(t *testing.T, addr string, max int) int {
	t.Helper()
	for i := 0; i <= max; i++ {
		dialer := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i))}}
		c, err := dialer.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(30 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		switch {
		case strings.HasPrefix(line, "NO 007"):
			return i
		case !strings.HasPrefix(line, "OK CIP 1.0"):
			t.Fatalf("connection %d: greeting %q", i+1, line)
		}
	}
	return max + 1
}

// `cipmini serve --board pi-zero` serves the board's number of sessions
// and sets its memory limit; a max_conns in the configuration file and a
// GOMEMLIMIT in the environment win.
func TestServeBoard(t *testing.T) {
	t.Parallel()
	zero, _ := boards.Lookup("pi-zero")

	d := startDaemon(t, demoWithout(t, ""), t.TempDir(), "--board", "pi-zero")
	if n := sessionsServed(t, d.addr, 100); n != zero.MaxConns {
		t.Errorf("--board pi-zero served %d sessions at once, want %d", n, zero.MaxConns)
	}
	if log := d.log.String(); !strings.Contains(log, "board=pi-zero target=linux/arm/v6 max_conns=16 memory_limit=128MiB memory_limit_from=board gogc=50 gogc_from=board") {
		t.Errorf("board not logged:\n%s", log)
	}

	d = launchOrFail(t, []string{"GOMEMLIMIT=200MiB", "GOGC=40"}, demoWithout(t, "max_conns = 20\ngomemlimit = \"64MiB\"\ngogc = 90"), "--board", "pi-zero")
	if n := sessionsServed(t, d.addr, 100); n != 20 {
		t.Errorf("max_conns = 20 with --board pi-zero served %d sessions at once, want 20", n)
	}
	if log := d.log.String(); !strings.Contains(log, "max_conns=20 memory_limit=200MiB memory_limit_from=GOMEMLIMIT gogc=40 gogc_from=GOGC") {
		t.Errorf("configuration and environment not preferred:\n%s", log)
	}

	d = launchOrFail(t, nil, demoWithout(t, "gomemlimit = \"64MiB\"\ngogc = 90"), "--board", "pi-zero")
	if log := d.log.String(); !strings.Contains(log, "max_conns=16 memory_limit=64MiB memory_limit_from=config gogc=90 gogc_from=config") {
		t.Errorf("the configuration's memory settings not preferred to the board's:\n%s", log)
	}

	out, err := runCmd(t, "", "serve", "--board", "pi-9", "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	if err == nil || !strings.Contains(out, `unknown board "pi-9" (known: generic-amd64, pi-arm64, pi-armv7, pi-zero)`) {
		t.Errorf("unknown board: %v\n%s", err, out)
	}
}

func launchOrFail(t *testing.T, env []string, config string, extra ...string) *daemonProc {
	t.Helper()
	d, err := launchDaemonEnv(env, config, t.TempDir(), extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	return d
}

// `cipmini check --board` shows the values in force: the board's data
// directory where the file has none, the file's where it has one.
func TestCheckBoard(t *testing.T) {
	out, err := runCmd(t, "", "check", "--config", demoWithout(t, ""), "--board", "pi-armv7")
	want := "board pi-armv7 (linux/arm/v7): max_conns 32, memory limit 256MiB, data /var/lib/cipmini\n"
	if err != nil || !strings.Contains(out, want) || !strings.Contains(out, "listen 127.0.0.1:5229, data /var/lib/cipmini\n") ||
		!strings.Contains(out, "go runtime: memory limit 256MiB (board), GOGC 75 (board)\n") {
		t.Fatalf("check --board: %v\n%s", err, out)
	}
	out, err = runCmd(t, "", "check", "--board", "pi-arm64")
	if err != nil || !strings.Contains(out, "board pi-arm64 (linux/arm64): max_conns 64, memory limit 384MiB, data cipmini-data\n") {
		t.Fatalf("check --board with the demo: %v\n%s", err, out)
	}
	// The binary under test is not built for at least one of the boards.
	var warned bool
	for _, b := range boards.All() {
		out, err := runCmd(t, "", "check", "--board", b.Name)
		if err != nil {
			t.Fatalf("check --board %s: %v\n%s", b.Name, err, out)
		}
		warned = warned || strings.Contains(out, fmt.Sprintf("warning: this binary is built for %s, board %s is %s", builtTarget(), b.Name, b.Target()))
	}
	if !warned {
		t.Error("no board's target differs from this binary's")
	}
}
