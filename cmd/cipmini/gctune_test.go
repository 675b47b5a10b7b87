package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestAutoGOGC(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100}, {10 << 20, 100}, {32 << 20, 100}, {40 << 20, 80}, {64 << 20, 50}, {150 << 20, 50}, {1 << 40, 50},
	} {
		if got := autoGOGC(c.live); got != c.want {
			t.Errorf("autoGOGC(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// TestGCTuner holds 48 MiB live: after a collection the tuner lowers GOGC
// to keep the headroom at 32 MiB; once the memory is dropped and collected
// it goes back to 100, and after stop it stays at 100.
func TestGCTuner(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 48 MiB")
	}
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	stop := startGCTuner()
	defer stop()

	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	waitFor := func(what string, ok func(p int) bool) int {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			runtime.GC()
			if p := gcPercent(); ok(p) {
				return p
			} else if time.Now().After(deadline) {
				metrics.Read(live)
				t.Fatalf("%s: GOGC %d with %d MiB live", what, p, live[0].Value.Uint64()>>20)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	held := make([][]byte, 48)
	for i := range held {
		held[i] = make([]byte, 1<<20)
	}
	// A collection may run while the memory is being allocated, and the
	// tuner then sets GOGC for what was live so far: wait for one that saw
	// all of it (48 MiB and more: at most 66).
	p := waitFor("48 MiB live", func(p int) bool { return p <= 70 })
	metrics.Read(live)
	if want := autoGOGC(live[0].Value.Uint64()); p < autoGOGCMin || p < want-5 || p > want+5 {
		t.Errorf("GOGC %d with %d MiB live, want about %d", p, live[0].Value.Uint64()>>20, want)
	}
	runtime.KeepAlive(held)
	held = nil
	// Without the 48 MiB the test's own heap is far under 32 MiB: 100.
	waitFor("the memory dropped", func(p int) bool { return p == 100 })

	stop()
	held = make([][]byte, 48)
	for i := range held {
		held[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC %d after stop, want 100", p)
	}
	runtime.KeepAlive(held)
}

// TestGCPercentOnlyReads reads GOGC while another goroutine sets it, as the
// tuner does from the cleanup goroutine: the last value set stays. (Reading
// by setting and putting back could put back a value the tuner had just
// replaced, and the tuner, thinking it set, would leave it there.)
func TestGCPercentOnlyReads(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20000 {
			debug.SetGCPercent(60 + i%20)
		}
		debug.SetGCPercent(55)
	}()
	for reads := 0; ; reads++ {
		select {
		case <-done:
			if p := gcPercent(); p != 55 {
				t.Fatalf("GOGC %d after %d reads, want the 55 set last", p, reads)
			}
			return
		default:
			if p := gcPercent(); p != 100 && (p < 55 || p > 79) {
				t.Fatalf("read GOGC %d, never set", p)
			}
		}
	}
}
