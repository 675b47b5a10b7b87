package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cipmini/cipmini/store"
)

// TestSpareProc: under sync = "always" a daemon runs with one P more than
// the runtime's default, and gives the default back when it stops; the
// other policies and a GOMAXPROCS in the environment leave it alone.
func TestSpareProc(t *testing.T) {
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	t.Cleanup(runtime.SetDefaultGOMAXPROCS)

	restore := spareProc(store.SyncAlways)
	if got := runtime.GOMAXPROCS(0); got != def+1 {
		t.Errorf("GOMAXPROCS under SyncAlways = %d, want %d", got, def+1)
	}
	restore()
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Errorf("GOMAXPROCS after restore = %d, want the default %d", got, def)
	}

	for _, p := range []store.SyncPolicy{store.SyncEverySecond, store.SyncNever} {
		restore := spareProc(p)
		if got := runtime.GOMAXPROCS(0); got != def {
			t.Errorf("GOMAXPROCS under %v = %d, want %d", p, got, def)
		}
		restore()
	}

	t.Setenv("GOMAXPROCS", "1")
	runtime.GOMAXPROCS(1)
	restore = spareProc(store.SyncAlways)
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS set in the environment: %d, want it left at 1", got)
	}
	restore()
}

// TestServingLogsProcs runs the binary: its start says how many Ps it
// runs with, one more than the runtime's default under the demo's sync =
// "always", and the default under sync = "second".
func TestServingLogsProcs(t *testing.T) {
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	t.Cleanup(runtime.SetDefaultGOMAXPROCS)
	for _, c := range []struct {
		sync string
		want int
	}{{"always", def + 1}, {"second", def}} {
		config := filepath.Join(t.TempDir(), "cipmini.toml")
		text := strings.Replace(demoConfig, `sync = "always"`, fmt.Sprintf("sync = %q", c.sync), 1)
		if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		d := startDaemon(t, config, t.TempDir())
		if want := fmt.Sprintf(" gomaxprocs=%d ", c.want); !strings.Contains(d.log.String(), want) {
			t.Errorf("sync = %q: the start does not log%q:\n%s", c.sync, want, d.log.String())
		}
		d.stop(t)
	}
}
