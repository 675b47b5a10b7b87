package web

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/sched"
)

// maxPINFailures is the count of recent failures (wrong PINs, and wrong
// passwords of any kind, from the same address) at which panel actions
// are refused without looking at the PIN; the count drains at the login
// limit's rate (Options.Guard).
const maxPINFailures = 5

// guard returns the per-address count of failed checks shared with CIP
// LOGIN.
func (s *Server) guard() *cipmini.LoginGuard {
	if s.opts.Guard != nil {
		return s.opts.Guard
	}
	return s.ownGuard
}

// pause waits d, or until the request is given up.
func pause(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// basicLogin checks HTTP Basic credentials as AUTHENTICATE LOGIN does,
// under the same per-address count: the check takes its slot before the
// password is looked at; past the limit it is refused unchecked (429);
// a failure is answered 401 after the shared, growing delay. It writes
// the error answer and returns false when the request cannot go on.
func (s *Server) basicLogin(w http.ResponseWriter, r *http.Request, login, pw string) (sched.Identity, bool) {
	addr := remoteAddr(r)
	attempt, ok := s.guard().Reserve(addr)
	if !ok {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "web: too many failed logins, try again later", http.StatusTooManyRequests)
		return sched.Identity{}, false
	}
	acc, err := s.dir.Login(login, pw)
	if err != nil {
		d, blocked := attempt.Failed()
		if blocked {
			s.log.Warn("web: address blocked after too many failed logins", "remote", r.RemoteAddr)
		}
		pause(r, d)
		w.Header().Set("WWW-Authenticate", `Basic realm="cipmini", charset="UTF-8"`)
		http.Error(w, "web: login failed", http.StatusUnauthorized)
		return sched.Identity{}, false
	}
	attempt.Succeeded()
	return sched.IdentityOf(acc), true
}

// checkPIN checks a panel action's PIN. A request without one is refused
// and not counted (a kiosk's stray click costs nothing); a wrong one
// counts as a failure of the client's address, shared with logins, and
// is answered after the base delay; at maxPINFailures recent failures the
// address's actions are refused unchecked until its count drains. It
// returns 0 when the PIN is right, else the status and text to answer.
func (s *Server) checkPIN(r *http.Request) (int, string) {
	pin := r.Header.Get("X-Panel-Pin")
	if pin == "" {
		return http.StatusForbidden, "PIN required"
	}
	addr := remoteAddr(r)
	g := s.guard()
	attempt, ok := g.ReserveWithin(addr, maxPINFailures)
	if !ok {
		return http.StatusForbidden, "Too many wrong PINs, try again later"
	}
	if subtle.ConstantTimeCompare([]byte(pin), []byte(s.opts.PanelPIN)) == 1 {
		attempt.Succeeded()
		return 0, ""
	}
	attempt.Failed()
	s.log.Info("web: wrong panel PIN", "remote", r.RemoteAddr, "failures", strconv.FormatFloat(g.Level(addr), 'f', 1, 64))
	pause(r, s.pinDelay())
	return http.StatusForbidden, "Wrong PIN"
}

// pinDelay is the wait before a wrong PIN is answered: the guard's base
// delay, not doubled, so that a mistyping person is not kept waiting.
func (s *Server) pinDelay() time.Duration {
	if d := s.guard().BaseDelay; d != 0 {
		return max(d, 0)
	}
	return cipmini.DefaultAuthFailureDelay
}
