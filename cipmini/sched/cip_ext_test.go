package sched_test

import (
	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/backend"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
)

// The CIP door of the tests in package sched (cip_test.go).
func init() {
	sched.CIPBackend = func(s *sched.Scheduler) cipmini.Backend { return backend.New(s, nil) }
	sched.CIPAuth = func(d *directory.Directory) cipmini.Authenticator { return backend.NewAuth(d) }
}
