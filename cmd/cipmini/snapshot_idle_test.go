package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/ciptest"
	"github.com/cipmini/cipmini/store"
)

// metricValue returns the value of an unlabelled sample of /metrics.
func metricValue(t *testing.T, d *daemonProc, name string) int64 {
	t.Helper()
	_, body := daemonGet(t, d, "/metrics")
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("/metrics: %q", l)
			}
			return n
		}
	}
	t.Fatalf("/metrics lacks %s:\n%s", name, body)
	return 0
}

// Flash care at backup_at: a daemon with data crosses the set hour with
// its clock moved and writes one snapshot; idle, it crosses it again, and
// again after a restart, and writes nothing at all (data directory, backups,
// store counters); after a booking, the next day has a new snapshot.
func TestIdleDaemonSnapshotsOnlyChanges(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	backups := filepath.Join(data, store.BackupDir)
	cfg := filepath.Join(t.TempDir(), "cipmini.toml")
	os.WriteFile(cfg, []byte("backup_at = \"03:00\"\n"+demoConfig), 0o600)
	// setClock puts the daemon's clock 3 s before backup_at of day i.
	env, next, setClock := backupAtClock(t)
	launch := func() *daemonProc {
		d, err := launchDaemonEnv(env, cfg, data, "--log-level", "debug")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.stop(t) })
		return d
	}
	snapshots := func() []string {
		t.Helper()
		s, err := store.Snapshots(backups)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// waitMetric waits for a sample of /metrics to reach want.
	waitMetric := func(d *daemonProc, name string, want int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for metricValue(t, d, name) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not reach %d (snapshots %v):\n%s", name, want, snapshots(), d.log)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	state := func() string {
		return ciptest.DirState(t, data) + ciptest.DirState(t, backups)
	}

	setClock(0)
	d := launch()
	bookRoom(t, d, 0)
	waitMetric(d, "cipmini_backup_snapshots_total", 1)
	first := snapshots()
	if len(first) != 1 {
		t.Fatalf("snapshots %v after the first backup_at, want one", first)
	}

	// Idle across the next backup_at: nothing written.
	files := state()
	written, syncs := metricValue(t, d, "cipmini_store_written_bytes_total"), metricValue(t, d, "cipmini_store_syncs_total")
	setClock(1)
	waitMetric(d, "cipmini_backup_current_total", 1)
	if got := state(); got != files {
		t.Fatalf("an idle daemon wrote at backup_at:\nbefore\n%safter\n%s", files, got)
	}
	if w, s := metricValue(t, d, "cipmini_store_written_bytes_total"), metricValue(t, d, "cipmini_store_syncs_total"); w != written || s != syncs {
		t.Fatalf("an idle daemon at backup_at: %d bytes written, %d fsyncs, were %d and %d", w, s, written, syncs)
	}
	if got := metricValue(t, d, "cipmini_backup_snapshots_total"); got != 1 {
		t.Fatalf("%d snapshots counted, want 1", got)
	}
	if !strings.Contains(d.log.String(), "cipmini: daily snapshot skipped") {
		t.Errorf("the skipped snapshot was not logged:\n%s", d.log)
	}

	// A restart with the same data: still nothing at the next backup_at.
	d.stop(t)
	setClock(2)
	files = ciptest.DirState(t, backups)
	d = launch()
	waitMetric(d, "cipmini_backup_current_total", 1)
	if got := ciptest.DirState(t, backups); got != files {
		t.Fatalf("a restarted daemon with the same data wrote a snapshot:\nbefore\n%safter\n%s", files, got)
	}
	if got := metricValue(t, d, "cipmini_backup_snapshots_total"); got != 0 {
		t.Fatalf("the restarted daemon counted %d snapshots, want 0", got)
	}

	// A booking, then the next day: a new snapshot.
	bookRoom(t, d, 1)
	setClock(3)
	waitMetric(d, "cipmini_backup_snapshots_total", 1)
	got := snapshots()
	if len(got) != 2 || got[1] != first[0] || !strings.HasPrefix(filepath.Base(got[0]), "cipmini-"+next.AddDate(0, 0, 3).Format("20060102T03")) {
		t.Fatalf("snapshots %v after a booking, want a new one of day 3 beside %s", got, first[0])
	}
	if n := metricValue(t, d, "cipmini_backup_current_total"); n != 1 {
		t.Fatalf("%d snapshots skipped on the restarted daemon, want 1", n)
	}
}
