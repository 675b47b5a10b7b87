package main

import (
	"os"
	"runtime"

	"github.com/cipmini/cipmini/store"
)

// One P more than the machine has cores while commits wait for fsync.
//
// A goroutine in a system call keeps its P (the runtime's right to run Go
// code) until the runtime's monitor thread takes it back, and the monitor
// looks less often the less it finds to take: under load it looks every few
// milliseconds. With sync = "always" an fsync is under way most of the time
// when bookings arrive together (group commit), so one P of the machine's
// waits on the storage device while the sessions it woke queue for the
// others. A run of the floor benchmark's 16 clients on 2 cores showed the
// runtime taking the P back from under 5% of the fsyncs, and the woken
// sessions waiting a quarter of a millisecond each for a P; with one more
// P than cores the same run booked 15 to 30% more a second. On one core
// (a Pi Zero) the spare P is what lets a session be read at all while an
// fsync runs.

// spareProc raises GOMAXPROCS by one under SyncAlways, unless the
// environment sets GOMAXPROCS, and returns the function that gives the
// runtime its default back. It changes nothing under the other policies.
func spareProc(p store.SyncPolicy) (restore func()) {
	if p != store.SyncAlways || os.Getenv("GOMAXPROCS") != "" {
		return func() {}
	}
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	return func() { runtime.SetDefaultGOMAXPROCS() }
}
