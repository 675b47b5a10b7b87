// Package web is cipmini's HTTP face: free/busy (.ifb) and ICS feeds of the
// local users, a room panel for a screen beside the door, /healthz and
// Prometheus /metrics. It reads and changes the calendar through the typed
// API of the same sched.Scheduler that CIP reaches through package
// backend, so both always agree.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/store"
)

// Options configure a Server.
type Options struct {
	// ServerID is the server's domain, used in the UIDs of panel bookings.
	ServerID string
	// PanelPIN is the PIN or token that panel actions (book, end, extend,
	// check in) must carry; empty disables the actions, leaving the panel
	// read-only.
	PanelPIN string
	// ShowTitles lists the user ids whose event titles and organizers the
	// ICS feed and the panel show; others show "Busy".
	ShowTitles map[string]bool
	// CheckInGrace, when positive, releases a booking of a room that
	// nobody checked in to at the panel this long after it started. Zero
	// (the default) never releases.
	CheckInGrace time.Duration
	// Logger receives errors; nil means slog.Default().
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Guard is the per-address count of failed checks that HTTP Basic and
	// the panel PIN share with CIP LOGIN; nil means one of the Server's
	// own with the defaults.
	Guard *cipmini.LoginGuard
	// RefKey keys the opaque references by which the feed and the panel
	// name bookings of users without show_titles (bookingref.go); nil means
	// a random key drawn by New, so references change when the process
	// does. At least RefKeySize bytes are best.
	RefKey []byte
	// MaxConns bounds the HTTP connections open at once, and half of it
	// those of one address; more are closed at once. Default
	// DefaultMaxConns (64); negative means no limit.
	MaxConns int
}

// Server serves the HTTP endpoints. Create it with New; it is safe for
// concurrent use.
type Server struct {
	sched   *sched.Scheduler
	dir     *directory.Directory
	db      *store.DB
	opts    Options
	log     *slog.Logger
	metrics *metrics
	panel   *panelState
	// changed is when the calendar last changed (Unix seconds), for
	// Last-Modified; it starts at New and moves when the scheduler says
	// that stored events changed (sched.Scheduler.OnChange).
	changed atomic.Int64
	started time.Time

	ownGuard *cipmini.LoginGuard // when Options.Guard is nil

	mu       sync.Mutex
	httpSrv  *http.Server
	stopLoop chan struct{}
	loopDone chan struct{}
}

// New returns a Server over the scheduler, directory and DB the CIP server
// uses. It subscribes to the scheduler's changes for the Last-Modified of
// its answers, whatever changed the calendar.
func New(sched *sched.Scheduler, dir *directory.Directory, db *store.DB, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if len(opts.RefKey) == 0 {
		opts.RefKey = NewRefKey()
	}
	s := &Server{sched: sched, dir: dir, db: db, opts: opts, log: opts.Logger, metrics: newMetrics(),
		panel: newPanelState(), ownGuard: &cipmini.LoginGuard{}}
	s.started = opts.Now().Truncate(time.Second)
	s.changed.Store(s.started.Unix())
	sched.OnChange(s.markChanged)
	return s
}

// Handler returns the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("GET /freebusy/{file}", s.freeBusy)
	mux.HandleFunc("GET /calendar/{file}", s.calendar)
	mux.HandleFunc("GET /room/{user}", s.panelPage)
	mux.HandleFunc("GET /room/{user}/state", s.panelStateJSON)
	mux.HandleFunc("POST /room/{user}/{action}", s.panelAction)
	return securityHeaders(mux)
}

// securityHeaders sets headers every answer carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// Serve serves HTTP on l until Shutdown, and runs the check-in release
// loop when CheckInGrace is set. It returns nil after Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.httpSrv != nil {
		s.mu.Unlock()
		return errors.New("web: Serve called twice")
	}
	s.httpSrv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 16 << 10}
	if s.opts.CheckInGrace > 0 {
		s.stopLoop, s.loopDone = make(chan struct{}), make(chan struct{})
		go s.releaseLoop(s.stopLoop, s.loopDone)
	}
	srv := s.httpSrv
	s.mu.Unlock()
	err := srv.Serve(newLimitListener(l, s.opts.MaxConns))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests, waits for those in flight until ctx
// ends, and stops the release loop.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, stop, done := s.httpSrv, s.stopLoop, s.loopDone
	s.stopLoop = nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// healthz answers 200 "ok" while the store can be read, and 200 "degraded"
// with the count while damaged records are in quarantine: the server
// serves the rest, but someone should look.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := sched.Queue(s.db); err != nil {
		http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if n := len(s.db.Quarantined()); n > 0 {
		fmt.Fprintf(w, "degraded: %d damaged records in quarantine\n", n)
		return
	}
	w.Write([]byte("ok\n"))
}

// lookup finds the local user named in a path ("room-1" or a full id) and
// checks that the client may read its free/busy time (docs/PROTOCOL.md section
// 7.4), with HTTP Basic credentials checked as AUTHENTICATE LOGIN would. It
// writes the error answer and returns nil when the request cannot go on.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, name string) *directory.User {
	if name == "" || len(name) > 256 || strings.ContainsAny(name, "/ \t") {
		http.Error(w, "web: no such user", http.StatusNotFound)
		return nil
	}
	u := s.dir.User(s.dir.UserID(name))
	if u == nil || s.dir.Redirect(u.ID) != "" {
		http.Error(w, "web: no such user", http.StatusNotFound)
		return nil
	}
	id := sched.Identity{}
	if login, pw, ok := r.BasicAuth(); ok {
		got, ok := s.basicLogin(w, r, login, pw)
		if !ok {
			return nil
		}
		id = got
	}
	if !sched.MayReadFreeBusy(id, u) {
		if id.Kind == sched.Anonymous {
			w.Header().Set("WWW-Authenticate", `Basic realm="cipmini", charset="UTF-8"`)
			http.Error(w, "web: log in to see this calendar", http.StatusUnauthorized)
			return nil
		}
		http.Error(w, "web: not allowed", http.StatusForbidden)
		return nil
	}
	return u
}

// remoteAddr returns the client's address as a net.Addr.
func remoteAddr(r *http.Request) net.Addr {
	if ap, err := net.ResolveTCPAddr("tcp", r.RemoteAddr); err == nil {
		return ap
	}
	return nil
}

// markChanged records that the calendar changed now.
func (s *Server) markChanged() {
	now := s.opts.Now().Unix()
	for {
		old := s.changed.Load()
		if now <= old || s.changed.CompareAndSwap(old, now) {
			return
		}
	}
}
