package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/cipmini/cipmini/boards"
	"github.com/cipmini/cipmini/cipmini"
)

// boardFlag adds --board to a command's flags.
func boardFlag(fs *flag.FlagSet) *string {
	return fs.String("board", "", "board `profile` whose defaults apply where the configuration is silent: "+
		strings.Join(boards.Names(), ", "))
}

// applyBoard fills in the configuration's data_dir, max_conns and
// queue_max_bytes_per_peer from the board profile called name, where the
// configuration file does not set them. An empty name changes nothing and returns nil.
func applyBoard(name string, cfg *Config) (*boards.Board, error) {
	if name == "" {
		return nil, nil
	}
	b, err := boards.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("cipmini: --board: %w", err)
	}
	if !cfg.meta.IsDefined("data_dir") {
		cfg.DataDir = b.DataDir
	}
	if !cfg.meta.IsDefined("max_conns") {
		cfg.MaxConns = b.MaxConns
	}
	applyBoardQuotas(&b, cfg)
	if !cfg.meta.IsDefined("queue_max_bytes_per_peer") {
		cfg.QueueMaxBytesPerPeer = b.QueueMaxBytesPerPeer
	}
	return &b, nil
}

// builtTarget returns this binary's target in the form of boards.Board's
// Target: "linux/arm/v6", "linux/arm64".
func builtTarget() string {
	t := runtime.GOOS + "/" + runtime.GOARCH
	if runtime.GOARCH != "arm" {
		return t
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" {
				// GOARM may carry ",softfloat" or ",hardfloat".
				v, _, _ := strings.Cut(s.Value, ",")
				return t + "/v" + v
			}
		}
	}
	return t
}

// targetMismatch describes how the board's build target differs from this
// binary's, or returns "" when they agree. An ARMv6 binary runs on an ARMv7
// board, so that pair agrees.
func targetMismatch(b *boards.Board) string {
	built := builtTarget()
	if b == nil || built == b.Target() || (built == "linux/arm/v6" && b.Target() == "linux/arm/v7") {
		return ""
	}
	return fmt.Sprintf("this binary is built for %s, board %s is %s", built, b.Name, b.Target())
}

// startBoard puts the Go runtime's memory limit and GOGC in force (see
// memoryFor: the environment, then the configuration file, then the
// board) and logs the board's values in force; without a board it logs
// the memory settings only when the configuration file sets them. It
// returns the settings in force.
func startBoard(logger *slog.Logger, b *boards.Board, cfg *Config) memorySettings {
	mem := applyMemory(b, cfg)
	if b == nil {
		logMemory(logger, mem)
		return mem
	}
	conns := cfg.MaxConns
	if conns == 0 {
		conns = cipmini.DefaultMaxConns
	}
	attrs := append([]any{"board", b.Name, "target", b.Target(), "max_conns", conns}, mem.attrs()...)
	logger.Info("cipmini: board", append(attrs, "data_dir", cfg.DataDir)...)
	if m := targetMismatch(b); m != "" {
		logger.Warn("cipmini: " + m)
	}
	return mem
}

// describeBoard prints, for `cipmini check --board`, what the board sets,
// and the Go runtime's memory settings a start would put in force when a
// board or the configuration file sets them.
func describeBoard(w io.Writer, b *boards.Board, cfg *Config) {
	mem := memoryFor(b, cfg)
	if b == nil {
		if mem.fromFile() {
			mem.describe(w)
		}
		return
	}
	limit := b.GoMemLimit
	if limit == "" {
		limit = "none"
	}
	fmt.Fprintf(w, "board %s (%s): max_conns %d, memory limit %s, data %s\n",
		b.Name, b.Target(), cfg.MaxConns, limit, cfg.DataDir)
	mem.describe(w)
	if m := targetMismatch(b); m != "" {
		fmt.Fprintln(w, "warning:", m)
	}
}

// memLimitString writes a memory limit in bytes the way GOMEMLIMIT does.
func memLimitString(n int64) string {
	switch {
	case n == 1<<63-1:
		return "none"
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
