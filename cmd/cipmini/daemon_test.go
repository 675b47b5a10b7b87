package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
)

// binary is the cipmini command built once for the tests that run it as a
// real process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cipmini-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cipmini")
	// Static, as scripts/build.sh and CI build it: with cgo the daemon
	// would also map the C library and measure 1.8 MiB more resident.
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building cipmini:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemonProc is a running `cipmini serve`.
type daemonProc struct {
	cmd  *exec.Cmd
	addr string
	log  *syncLog
	done chan struct{}
}

// syncLog collects a process's standard error.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

var listenRE = regexp.MustCompile(`msg="cipmini: serving".* listen=(\S+)`)

// startDaemon runs `cipmini serve` with a configuration file (empty: the
// demo) and a data directory on a free loopback port, and waits until it
// serves. The process is stopped when the test ends.
func startDaemon(t *testing.T, config, dataDir string, extra ...string) *daemonProc {
	t.Helper()
	d, err := launchDaemon(config, dataDir, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	return d
}

func launchDaemon(config, dataDir string, extra ...string) (*daemonProc, error) {
	return launchDaemonEnv(nil, config, dataDir, extra...)
}

// launchDaemonEnv is launchDaemon with variables (KEY=value) added to the
// process's environment.
func launchDaemonEnv(env []string, config, dataDir string, extra ...string) (*daemonProc, error) {
	// DNS questions go to a closed port of 127.0.0.1, so that messages for
	// other servers never leave the machine; tests that need DNS pass their
	// own --dns-resolver after this one.
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data", dataDir, "--dns-resolver", "127.0.0.1:1", "--http-listen", "127.0.0.1:0"}
	if config != "" {
		args = append(args, "--config", config)
	}
	args = append(args, extra...)
	cmd := exec.Command(binary, args...)
	dieWithTest(cmd)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	pr, pw := io.Pipe()
	d := &daemonProc{cmd: cmd, log: &syncLog{}, done: make(chan struct{})}
	cmd.Stderr = pw
	cmd.Stdout = d.log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			d.log.Write([]byte(line + "\n"))
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr) // never leave the process blocked on its stderr
	}()
	// done is closed once the process has ended and all it wrote is in log.
	go func() {
		cmd.Wait()
		pw.Close()
		<-scanned
		close(d.done)
	}()
	select {
	case d.addr = <-found:
		return d, nil
	case <-d.done:
		return nil, fmt.Errorf("cipmini serve exited before serving:\n%s", d.log)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-d.done
		return nil, fmt.Errorf("cipmini serve did not start within 60 s:\n%s", d.log)
	}
}

// stop sends SIGTERM and waits for a clean exit. A daemon that ended
// before it was asked to, other than by a test's SIGKILL or with success,
// fails the test with its log: a crash is never taken for a stop.
func (d *daemonProc) stop(t testing.TB) {
	select {
	case <-d.done:
		st := d.cmd.ProcessState
		if ws, ok := st.Sys().(syscall.WaitStatus); !st.Success() && !(ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL) {
			t.Errorf("cipmini serve had ended on its own before the test stopped it (%v):\n%s", st, d.log)
		}
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		if !d.cmd.ProcessState.Success() {
			t.Errorf("cipmini serve exited with %v after SIGTERM:\n%s", d.cmd.ProcessState, d.log)
		}
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		t.Errorf("cipmini serve did not stop within 30 s of SIGTERM")
	}
}

// kill sends SIGKILL and waits for the process to end.
func (d *daemonProc) kill() {
	d.cmd.Process.Kill()
	<-d.done
}

// client dials the daemon.
func (d *daemonProc) client(t *testing.T) *cipmini.Client {
	t.Helper()
	c, err := dialBench(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialBench dials the daemon with a 30 s command timeout.
func dialBench(d *daemonProc) (*cipmini.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cipmini.Dial(ctx, d.addr)
	if err != nil {
		return nil, err
	}
	c.Timeout = 30 * time.Second
	return c, nil
}

// runCmd runs the binary with arguments and returns its output and error.
func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	dieWithTest(cmd)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("cipmini %s did not end within 60 s", strings.Join(args, " "))
	}
	return "", nil
}

// dialer returns a dial function for transcripts, mapping each connection
// label's first word to a daemon.
func dialer(daemons map[string]*daemonProc) func(label string) (net.Conn, error) {
	return func(label string) (net.Conn, error) {
		name, _, _ := strings.Cut(label, " ")
		d := daemons[name]
		if d == nil {
			return nil, fmt.Errorf("no server %q", name)
		}
		return net.DialTimeout("tcp", d.addr, 10*time.Second)
	}
}
