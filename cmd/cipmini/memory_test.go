package main

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/cipmini/cipmini/store"
)

// inForce reads the runtime's memory limit and GOGC back.
func inForce() (int64, int) { return debug.SetMemoryLimit(-1), gcPercent() }

// The board's memory limit and GOGC are put in force, the configuration
// file's win over them, and the environment's win over both.
func TestApplyMemory(t *testing.T) {
	limit0, gogc0 := inForce()
	t.Cleanup(func() {
		debug.SetMemoryLimit(limit0)
		debug.SetGCPercent(gogc0)
	})
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(100)

	demo, _ := loadConfig("")
	if m := applyMemory(nil, demo); m.LimitFrom != "none" || m.GOGCFrom != "default" || m.fromFile() {
		t.Fatalf("no board, no setting: %+v", m)
	}
	if limit, gogc := inForce(); limit != math.MaxInt64 || gogc != 100 {
		t.Fatalf("no board changed the runtime: limit %d, gogc %d", limit, gogc)
	}

	cfg, _ := loadConfig("")
	zero, err := applyBoard("pi-zero", cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := applyMemory(zero, cfg)
	if limit, gogc := inForce(); limit != 128<<20 || gogc != 50 || m != (memorySettings{128 << 20, "board", 50, "board"}) {
		t.Fatalf("pi-zero: limit %d, gogc %d in force; %+v", limit, gogc, m)
	}

	cfg, err = loadConfig(demoWithout(t, "gomemlimit = \"96MiB\"\ngogc = 80"))
	if err != nil {
		t.Fatal(err)
	}
	m = applyMemory(zero, cfg)
	if limit, gogc := inForce(); limit != 96<<20 || gogc != 80 || m != (memorySettings{96 << 20, "config", 80, "config"}) {
		t.Fatalf("configuration over pi-zero: limit %d, gogc %d in force; %+v", limit, gogc, m)
	}
	if m := applyMemory(nil, cfg); m.LimitFrom != "config" || !m.fromFile() {
		t.Fatalf("configuration without a board: %+v", m)
	}

	// The runtime read GOMEMLIMIT and GOGC at start; the daemon leaves
	// what it read alone.
	debug.SetMemoryLimit(300 << 20)
	debug.SetGCPercent(30)
	t.Setenv("GOMEMLIMIT", "300MiB")
	t.Setenv("GOGC", "30")
	m = applyMemory(zero, cfg)
	if limit, gogc := inForce(); limit != 300<<20 || gogc != 30 || m != (memorySettings{300 << 20, "GOMEMLIMIT", 30, "GOGC"}) {
		t.Fatalf("environment over configuration and board: limit %d, gogc %d in force; %+v", limit, gogc, m)
	}
}

func TestMemoryConfigRejects(t *testing.T) {
	for setting, want := range map[string]string{
		`gomemlimit = "64MB"`: `gomemlimit = "64MB"`,
		`gogc = 0`:            "gogc = 0: want a positive percentage",
		`gogc = -5`:           "gogc = -5",
	} {
		if _, err := parseConfig("server_id = \"x\"\n"+setting+"\n", "t"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", setting, err, want)
		}
	}
}

// Opening an empty store leaves too little garbage to be worth a forced
// collection; a data file of freeAfterOpenMin or more is collected, by
// collectAfterOpen without returning the memory and by freeAfterOpen with.
func TestFreeAfterOpen(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if freeAfterOpen(db) || collectAfterOpen(db) {
		t.Error("collected after opening an empty store")
	}
	if err := db.Update(func(tx *store.Tx) error {
		return tx.Set("k", strings.Repeat("x", freeAfterOpenMin))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = store.Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !collectAfterOpen(db) || !freeAfterOpen(db) {
		t.Error("did not collect after opening a data file of", freeAfterOpenMin, "bytes")
	}
}
