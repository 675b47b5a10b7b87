package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/sched"
)

// metrics are the counters /metrics reports beyond the store's own.
type metrics struct {
	sessionsOpen  atomic.Int64
	sessionsTotal atomic.Int64

	mu       sync.Mutex
	commands map[commandKey]uint64
}

type commandKey struct{ verb, result string }

func newMetrics() *metrics { return &metrics{commands: map[commandKey]uint64{}} }

func (m *metrics) countCommand(verb string, c cipmini.Completion) {
	result := "no"
	if c.OK {
		result = "ok"
	}
	k := commandKey{verb, fmt.Sprintf("%s_%03d", result, int(c.Code))}
	m.mu.Lock()
	m.commands[k]++
	m.mu.Unlock()
}

// Metrics returns the Middleware that counts every SENDEVENT, RSVP and
// FREEBUSY by verb and result for /metrics. The Backend it makes is safe
// for concurrent use if the one it wraps is. (Changes reach the web face
// through the scheduler's change notification, not through this.)
func (s *Server) Metrics() cipmini.Middleware {
	return cipmini.Observe(func(_ context.Context, verb cipmini.Verb, _ *cipmini.Request, r *cipmini.Reply) {
		s.metrics.countCommand(verb.String(), r.Completion)
	})
}

// CountSessions wraps a CIP listener so that /metrics reports the sessions
// open and accepted. The result is safe for concurrent use.
func (s *Server) CountSessions(l net.Listener) net.Listener {
	return &countingListener{Listener: l, m: s.metrics}
}

type countingListener struct {
	net.Listener
	m *metrics
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.m.sessionsTotal.Add(1)
	l.m.sessionsOpen.Add(1)
	return &countingConn{Conn: c, m: l.m}, nil
}

type countingConn struct {
	net.Conn
	m    *metrics
	once sync.Once
}

func (c *countingConn) Close() error {
	c.once.Do(func() { c.m.sessionsOpen.Add(-1) })
	return c.Conn.Close()
}

// serveMetrics writes the Prometheus text format (version 0.0.4).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	gauge := func(name, help string, v int64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	counter := func(name, help string, v int64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	gauge("cipmini_sessions_open", "CIP sessions open now.", s.metrics.sessionsOpen.Load())
	counter("cipmini_sessions_total", "CIP sessions accepted since start.", s.metrics.sessionsTotal.Load())

	s.metrics.mu.Lock()
	keys := make([]commandKey, 0, len(s.metrics.commands))
	for k := range s.metrics.commands {
		keys = append(keys, k)
	}
	counts := make(map[commandKey]uint64, len(keys))
	for k, v := range s.metrics.commands {
		counts[k] = v
	}
	s.metrics.mu.Unlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].verb != keys[j].verb {
			return keys[i].verb < keys[j].verb
		}
		return keys[i].result < keys[j].result
	})
	b.WriteString("# HELP cipmini_commands_total CIP data commands carried out, by verb and result.\n# TYPE cipmini_commands_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "cipmini_commands_total{verb=%q,result=%q} %d\n", k.verb, k.result, counts[k])
	}

	queue := int64(-1)
	if q, err := sched.Queue(s.db); err == nil {
		queue = int64(len(q))
	}
	gauge("cipmini_queue_length", "Messages waiting for other servers (-1: the store cannot be read).", queue)
	if qs, err := sched.ReadQueueStats(s.db); err == nil {
		counter("cipmini_queue_coalesced_total", "Queued messages replaced by a newer one before they were sent.", int64(qs.Coalesced))
		counter("cipmini_queue_dropped_total", "Queued messages dropped at the per-peer cap.", int64(qs.Dropped))
	}
	gauge("cipmini_events_live", "Events in the live store, tombstones included (older ones are archived nightly).", int64(s.sched.LiveEvents()))
	st := s.db.Stats()
	gauge("cipmini_store_file_bytes", "Size of the data file.", st.FileSize)
	gauge("cipmini_store_live_bytes", "Size of the data file after a compaction.", st.LiveBytes)
	gauge("cipmini_store_keys", "Keys stored.", int64(st.LiveKeys))
	counter("cipmini_store_written_bytes_total", "Bytes written to flash since start.", st.BytesWritten)
	counter("cipmini_store_syncs_total", "fsyncs since start.", st.Syncs)
	counter("cipmini_store_compactions_total", "Compactions since start.", st.Compactions)
	counter("cipmini_bcrypt_checks_total", "bcrypt comparisons of logins (CIP and HTTP Basic) since start, unknown names included.", s.dir.BcryptChecks())
	counter("cipmini_archive_files_set_aside_total", "Damaged yearly archive files moved aside (YEAR.ics.gz.damaged-UNIX) since start.", sched.ArchivesSetAside())
	gauge("cipmini_store_quarantined_records", "Damaged records in quarantine (the server serves the rest).", int64(len(s.db.Quarantined())))
	snap := s.db.SnapshotStats()
	counter("cipmini_backup_snapshots_total", "Daily snapshots written since start.", snap.Count)
	counter("cipmini_backup_written_bytes_total", "Bytes of daily snapshots written since start.", snap.Bytes)
	counter("cipmini_backup_failures_total", "Daily snapshots that failed since start.", snap.Failures)
	counter("cipmini_backup_current_total", "Daily snapshots not written since start: the newest already held the same data.", snap.Current)
	if !snap.Last.IsZero() {
		gauge("cipmini_backup_last_snapshot_time_seconds", "Time of the last daily snapshot, written or found current, Unix seconds.", snap.Last.Unix())
	}
	gauge("cipmini_start_time_seconds", "Start time, Unix seconds.", s.started.Unix())

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(b.String()))
}
