package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Child processes are the test binary itself, run with -test.run naming
// TestHelperProcess and the role in helperEnv.
const (
	helperEnv      = "STORE_TEST_HELPER"
	helperDirEnv   = "STORE_TEST_HELPER_DIR"
	helperStartEnv = "STORE_TEST_HELPER_START"
)

// lineTimeout bounds every wait for a child's line; generous, because the
// tests also run under an ARM emulator.
const lineTimeout = 2 * time.Minute

// TestHelperProcess is the entry point of child processes; run directly,
// it skips.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(helperEnv)
	if role == "" {
		t.Skip("entry point of child processes")
	}
	// A child whose parent is gone sees its stdin close, and exits.
	if role != "lock" {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			os.Exit(3)
		}()
	}
	os.Exit(runHelper(role, os.Getenv(helperDirEnv)))
}

func runHelper(role, dir string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	switch role {
	case "lock":
		db, err := Open(dir, &Options{Logger: quietLog})
		if err != nil {
			return fail(err)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		if err := db.Close(); err != nil {
			return fail(err)
		}
		return 0
	case "writer":
		start, _ := strconv.Atoi(os.Getenv(helperStartEnv))
		db, err := Open(dir, &Options{Logger: quietLog, CompactMinSize: 32 << 10})
		if err != nil {
			return fail(err)
		}
		for i := start; i < start+100000; i++ {
			err := db.Update(func(tx *Tx) error {
				if err := tx.Set(crashKey(i), writerValue(i)); err != nil {
					return err
				}
				if err := tx.Set(crashPair(i), writerValue(i)); err != nil {
					return err
				}
				return tx.Set("hot", strconv.Itoa(i)+strings.Repeat("h", 1500))
			})
			if err != nil {
				return fail(err)
			}
			fmt.Printf("ok %d\n", i)
		}
		return 0
	case "compactor":
		db, err := Open(dir, &Options{Logger: quietLog, DisableAutoCompact: true})
		if err != nil {
			return fail(err)
		}
		if db.Stats().LiveKeys == 0 {
			for b := 0; b < compactKeys/100; b++ {
				err := db.Update(func(tx *Tx) error {
					for i := b * 100; i < (b+1)*100; i++ {
						if err := tx.Set(crashKey(i), crashValue(i)); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return fail(err)
				}
			}
		}
		fmt.Println("ready")
		for {
			fmt.Println("compact")
			t0 := time.Now()
			if err := db.Compact(); err != nil {
				return fail(err)
			}
			fmt.Printf("compacted %d\n", time.Since(t0).Microseconds())
		}
	case "opener":
		// Opens a data file with garbage, which compacts it first.
		fmt.Println("open")
		t0 := time.Now()
		db, err := Open(dir, &Options{Logger: quietLog, CompactMinSize: 32 << 10})
		if err != nil {
			return fail(err)
		}
		fmt.Printf("opened %d %d\n", time.Since(t0).Microseconds(), db.Stats().Compactions)
		io.Copy(io.Discard, os.Stdin)
		if err := db.Close(); err != nil {
			return fail(err)
		}
		return 0
	}
	return fail(fmt.Errorf("unknown role %q", role))
}

// compactKeys is the size of the compactor's dataset: 3000 values of
// about 1 KiB.
const compactKeys = 3000

func crashKey(i int) string    { return fmt.Sprintf("k%07d", i) }
func crashPair(i int) string   { return fmt.Sprintf("p%07d", i) }
func writerValue(i int) string { return fmt.Sprintf("value %d of the writer", i) }
func crashValue(i int) string {
	return fmt.Sprintf("value %d ", i) + strings.Repeat(string(rune('a'+i%26)), 1000)
}

// helperChild is a running helper process.
type helperChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *bytes.Buffer

	mu     sync.Mutex
	lines  []string      // every line the child printed so far
	read   int           // lines returned by next
	notify chan struct{} // signalled when a line arrives
	eof    chan struct{} // closed when the child's stdout ends

	once sync.Once
}

// startHelper runs the helper role on dir.
func startHelper(t *testing.T, role, dir string, env ...string) *helperChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+role, helperDirEnv+"="+dir)
	cmd.Env = append(cmd.Env, env...)
	c := &helperChild{cmd: cmd, stderr: &bytes.Buffer{}, notify: make(chan struct{}, 1), eof: make(chan struct{})}
	cmd.Stderr = c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
			select {
			case c.notify <- struct{}{}:
			default:
			}
		}
		close(c.eof)
	}()
	t.Cleanup(func() { c.kill() })
	return c
}

// next returns the child's next line, failing the test after lineTimeout
// or when the child's output ends.
func (c *helperChild) next(t *testing.T) string {
	t.Helper()
	timeout := time.After(lineTimeout)
	for {
		c.mu.Lock()
		if c.read < len(c.lines) {
			line := c.lines[c.read]
			c.read++
			c.mu.Unlock()
			return line
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-c.eof:
			c.mu.Lock()
			more := c.read < len(c.lines)
			c.mu.Unlock()
			if !more {
				c.wait()
				t.Fatalf("child exited (%v); stderr: %s", c.cmd.ProcessState, c.stderr.String())
			}
		case <-timeout:
			t.Fatalf("no line from the child within %v; stderr: %s", lineTimeout, c.stderr.String())
		}
	}
}

// expect reads lines until one starts with prefix.
func (c *helperChild) expect(t *testing.T, prefix string) string {
	t.Helper()
	for {
		if line := c.next(t); strings.HasPrefix(line, prefix) {
			return line
		}
	}
}

// kill sends SIGKILL, waits for the child to exit, and returns every line
// it printed.
func (c *helperChild) kill() []string {
	c.cmd.Process.Kill()
	return c.wait()
}

// wait waits for the child to exit and returns every line it printed.
func (c *helperChild) wait() []string {
	c.once.Do(func() {
		c.stdin.Close()
		select {
		case <-c.eof:
		case <-time.After(lineTimeout):
			c.cmd.Process.Kill()
			<-c.eof
		}
		c.cmd.Wait()
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines
}
