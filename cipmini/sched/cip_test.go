package sched

import (
	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
)

// The tests of this package that speak CIP reach the Scheduler through the
// real CIP door, package backend's Backend and Auth. Package backend
// imports this one, so only the external test package may import it:
// cip_ext_test.go sets these at init, before any test runs.
var (
	// CIPBackend returns the CIP Backend over a Scheduler.
	CIPBackend func(*Scheduler) cipmini.Backend
	// CIPAuth returns the CIP Authenticator over a Directory.
	CIPAuth func(*directory.Directory) cipmini.Authenticator
)

// cip returns the CIP Backend over s.
func cip(s *Scheduler) cipmini.Backend { return CIPBackend(s) }
