package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The collector's headroom when nothing sets GOGC.
//
// A room server's heap is mostly its store (buntdb holds every record in
// memory), and the store lives as long as the process. GOGC 100 lets
// garbage grow to as much as the live heap before a collection: a campus
// of 100,000 bookings, about 150 MiB live, peaked past 300 MiB resident
// while its bookings arrived. When neither the environment, the
// configuration file nor the board sets GOGC, `cipmini serve` keeps the
// runtime's 100 while the live heap is under autoHeadroom, and above that
// lowers GOGC after each collection so that the headroom stays
// autoHeadroom, down to 50 (half the live heap). A small server collects
// as before; a large one trades collections for resident memory, which
// costs little: the collector's work per allocated byte doubles from 100
// to 50, and bookings allocate a few KiB each.

const (
	// autoHeadroom is the garbage the heap may gather before a collection
	// once the live heap is past it.
	autoHeadroom = 32 << 20
	// autoGOGCMax and autoGOGCMin bound the GOGC the tuner sets.
	autoGOGCMax, autoGOGCMin = 100, 50
)

// autoGOGC is the GOGC for a live heap of live bytes: 100 up to
// autoHeadroom, then 100 × autoHeadroom / live, at least 50.
func autoGOGC(live uint64) int {
	if live <= autoHeadroom {
		return autoGOGCMax
	}
	return max(int(100*autoHeadroom/live), autoGOGCMin)
}

// gcTuner sets GOGC to autoGOGC of the live heap after every collection.
// It runs in the runtime's cleanup goroutine, once per cycle; mu makes a
// stop that returns final, with no afterGC still setting GOGC after it.
type gcTuner struct {
	mu      sync.Mutex
	stopped bool
	live    []metrics.Sample
	percent int
}

// gcSentinel is allocated for each cycle and dropped at once; its cleanup
// runs after the collection that finds it unreachable. It holds a pointer,
// so it is never batched with other objects by the tiny allocator.
type gcSentinel struct{ _ *byte }

// startGCTuner starts tuning GOGC after each collection and returns the
// function that stops it and puts GOGC back to 100.
func startGCTuner() (stop func()) {
	t := &gcTuner{live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, percent: autoGOGCMax}
	debug.SetGCPercent(autoGOGCMax)
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.stopped = true
		debug.SetGCPercent(autoGOGCMax)
	}
}

// arm has afterGC called after the next collection.
func (t *gcTuner) arm() {
	runtime.AddCleanup(new(gcSentinel), (*gcTuner).afterGC, t)
}

// afterGC sets GOGC for the live heap the collection found and arms the
// tuner for the next one, until stopped.
func (t *gcTuner) afterGC() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.live)
	if p := autoGOGC(t.live[0].Value.Uint64()); p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
	t.arm()
}
