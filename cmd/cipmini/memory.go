package main

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"

	"github.com/cipmini/cipmini/boards"
	"github.com/cipmini/cipmini/store"
)

// memorySettings are the Go runtime's memory settings a start puts in
// force, and where each comes from.
type memorySettings struct {
	// Limit is the soft memory limit in bytes, math.MaxInt64 for none.
	Limit int64
	// LimitFrom is "GOMEMLIMIT" (the environment), "config" (the file's
	// gomemlimit), "board" (the --board profile's) or "none".
	LimitFrom string
	// GOGC is the collector's target percentage, -1 for off.
	GOGC int
	// GOGCFrom is "GOGC" (the environment), "config" (the file's gogc),
	// "board" (the --board profile's) or "default": then `cipmini serve`
	// tunes it after each collection (startGCTuner), shown as "auto".
	GOGCFrom string
}

// checkMemory checks the configuration's gomemlimit and gogc.
func (c *Config) checkMemory() error {
	if c.GoMemLimit != "" {
		if _, err := boards.ParseMemLimit(c.GoMemLimit); err != nil {
			return fmt.Errorf("gomemlimit = %q: want a size such as \"128MiB\"", c.GoMemLimit)
		}
	}
	if c.GOGC != nil && *c.GOGC <= 0 {
		return fmt.Errorf("gogc = %d: want a positive percentage", *c.GOGC)
	}
	return nil
}

// memoryFor works out the memory settings for the board b (nil for none)
// and the configuration: the file's gomemlimit and gogc win over the
// board's, and a GOMEMLIMIT or GOGC variable in the environment wins over
// both, with the value the runtime read from it. It changes nothing.
func memoryFor(b *boards.Board, cfg *Config) memorySettings {
	m := memorySettings{Limit: debug.SetMemoryLimit(-1), LimitFrom: "none", GOGC: gcPercent(), GOGCFrom: "default"}
	switch {
	case os.Getenv("GOMEMLIMIT") != "":
		m.LimitFrom = "GOMEMLIMIT"
	case cfg.GoMemLimit != "":
		m.Limit, _ = boards.ParseMemLimit(cfg.GoMemLimit) // checked by parseConfig
		m.LimitFrom = "config"
	case b != nil && b.GoMemLimit != "":
		m.Limit, _ = b.MemoryLimit() // the profiles' tests rule out the error
		m.LimitFrom = "board"
	}
	switch {
	case os.Getenv("GOGC") != "":
		m.GOGCFrom = "GOGC"
	case cfg.GOGC != nil:
		m.GOGC, m.GOGCFrom = *cfg.GOGC, "config"
	case b != nil && b.GOGC != 0:
		m.GOGC, m.GOGCFrom = b.GOGC, "board"
	}
	return m
}

// applyMemory puts the settings memoryFor gives in force in the runtime
// and returns them. Nothing is changed where the environment or no
// setting decides.
func applyMemory(b *boards.Board, cfg *Config) memorySettings {
	m := memoryFor(b, cfg)
	if m.LimitFrom == "config" || m.LimitFrom == "board" {
		debug.SetMemoryLimit(m.Limit)
	}
	if m.GOGCFrom == "config" || m.GOGCFrom == "board" {
		debug.SetGCPercent(m.GOGC)
	}
	return m
}

// gcPercent returns the collector's target percentage in force, read from
// the runtime's metrics (-1 when off). Unlike setting and putting back, it
// does not race with the tuner, which sets GOGC from the cleanup goroutine.
func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		panic("cipmini: the Go runtime has no /gc/gogc:percent metric")
	}
	if p := s[0].Value.Uint64(); p <= math.MaxInt32 {
		return int(p)
	}
	return -1
}

// attrs are the settings as log attributes.
func (m memorySettings) attrs() []any {
	return []any{"memory_limit", memLimitString(m.Limit), "memory_limit_from", m.LimitFrom,
		"gogc", m.gogcString(), "gogc_from", m.GOGCFrom}
}

// gogcString is the GOGC in force as the start puts it: "auto" where
// nothing sets it.
func (m memorySettings) gogcString() string {
	if m.GOGCFrom == "default" {
		return "auto"
	}
	return gogcString(m.GOGC)
}

// fromFile reports whether the configuration file decides either setting.
func (m memorySettings) fromFile() bool { return m.LimitFrom == "config" || m.GOGCFrom == "config" }

// describe prints, for `cipmini check`, the settings a start would put in
// force and where they come from.
func (m memorySettings) describe(w io.Writer) {
	fmt.Fprintf(w, "go runtime: memory limit %s (%s), GOGC %s (%s)\n",
		memLimitString(m.Limit), m.LimitFrom, m.gogcString(), m.GOGCFrom)
}

// gogcString writes a GOGC percentage the way the GOGC variable does.
func gogcString(p int) string {
	if p < 0 {
		return "off"
	}
	return fmt.Sprint(p)
}

// logMemory logs the settings when the configuration file decides one of
// them without a board (startBoard logs them with the board's values).
func logMemory(logger *slog.Logger, m memorySettings) {
	if m.fromFile() {
		logger.Info("cipmini: memory", m.attrs()...)
	}
}

// freeAfterOpenMin is the data file size from which freeAfterOpen
// collects. Opening allocates about eight times the file's size (110 MB
// for the 14 MB file of 10,000 bookings); the first collection costs the
// runtime about 400 KiB resident of its own (mark bits, work buffers, the
// workers' stacks), more than the garbage of opening a smaller file.
const freeAfterOpenMin = 64 << 10

// freeAfterOpen returns to the system the garbage opening db left (its
// data file read whole to check it, then loaded record by record), rather
// than let the collector's headroom keep it resident. It does nothing for
// a data file smaller than freeAfterOpenMin, and reports whether it
// collected.
func freeAfterOpen(db *store.DB) bool { return afterOpen(db, debug.FreeOSMemory) }

// collectAfterOpen collects the garbage opening db left, as freeAfterOpen
// does, but keeps the freed memory for what the start allocates next (the
// indexes) instead of returning it to the system: returned, it would be
// faulted in again page by page a moment later, which took a tenth of a
// campus's start.
func collectAfterOpen(db *store.DB) bool { return afterOpen(db, runtime.GC) }

// afterOpen runs collect unless db's data file is smaller than
// freeAfterOpenMin, and reports whether it ran.
func afterOpen(db *store.DB, collect func()) bool {
	if file, _ := db.Size(); file < freeAfterOpenMin {
		return false
	}
	collect()
	return true
}
