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
func rssKiB(b *testing.B, pid int) float64 { return statusKiB(b, pid, "VmRSS:") }

// statusKiB reads one size in kB, such as "VmRSS:" or "VmHWM:" (the peak
// resident set size), from a process's /proc status.
func statusKiB(b *testing.B, pid int, key string) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skip("no /proc:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(n)
		}
	}
	b.Fatal("no", key)
	return 0
}

// BenchmarkDaemonRSS reports the resident memory of `cipmini serve` (the
// demo configuration) idle, its peak while one client books 10,000 times,
// and after a restart with the 10,000 bookings stored. The daemon runs
// with this process's environment, so GOGC and GOMEMLIMIT set for the
// benchmark apply to it.
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
	peak := statusKiB(b, d.cmd.Process.Pid, "VmHWM:")
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
	b.ReportMetric(peak, "booking-10k-peak-RSS-KiB")
	b.ReportMetric(loaded, "10k-RSS-KiB")
}
