package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rssKiB reads a process's resident set size from /proc.
func rssKiB(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skip("no /proc:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(n)
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkDaemonRSS reports the resident memory of `cipmini serve` (the
// demo configuration) idle, and after a restart with 10,000 bookings stored.
func BenchmarkDaemonRSS(b *testing.B) {
	data := b.TempDir()
	cfg := filepath.Join(b.TempDir(), "c.toml")
	// 10,000 bookings from one client: past max_events_per_hour's default.
	os.WriteFile(cfg, []byte(strings.Replace(demoConfig, `sync = "always"`, "sync = \"never\"\nmax_events_per_hour = 0", 1)), 0o600)
	d, err := launchDaemon(cfg, data)
	if err != nil {
		b.Fatal(err)
	}
	idle := rssKiB(b, d.cmd.Process.Pid)
	c, err := dialBench(d)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 10000; i++ {
		r, err := c.SendEvent(context.Background(), []byte(booking(i)))
		if err != nil || !r.Completion.OK {
			b.Fatal(err, r)
		}
	}
	c.Close()
	d.kill()
	d, err = launchDaemon(cfg, data)
	if err != nil {
		b.Fatal(err)
	}
	defer d.kill()
	var loaded float64
	for b.Loop() {
		loaded = rssKiB(b, d.cmd.Process.Pid)
	}
	b.ReportMetric(idle, "idle-RSS-KiB")
	b.ReportMetric(loaded, "10k-RSS-KiB")
}
