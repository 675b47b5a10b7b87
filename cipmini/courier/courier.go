package courier

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

// Backoff says when an undelivered message is tried again (docs/PROTOCOL.md
// section 11.3): First after the first failure, doubling, at most Max apart,
// given up GiveUp after it was queued.
type Backoff struct {
	First, Max, GiveUp time.Duration
}

// DefaultBackoff is 30 s, doubling, at most 1 h apart, given up after 72 h.
var DefaultBackoff = Backoff{First: 30 * time.Second, Max: time.Hour, GiveUp: 72 * time.Hour}

// delay returns the wait after the given number of failed tries.
func (b Backoff) delay(tries int) time.Duration {
	d := b.First
	for i := 1; i < tries && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Dialer connects to the CIP server of a server id; *locate.Locator is one.
type Dialer interface {
	Dial(ctx context.Context, serverID string) (*cipmini.Client, error)
}

// MaxRedirects bounds the REDIRECTs followed for one message.
const MaxRedirects = 3

// Courier delivers the outgoing queue: one message at a time, each as soon as
// it is due, logging in to the peer with its login_password when the
// Directory has one. A peer that does not answer a message is not tried
// for its other messages until that one is due again (docs/PROTOCOL.md
// section 11.3). A message is deleted after an OK, kept as failed after
// a final NO or when given up, and otherwise tried again with Backoff. It is
// safe for concurrent use; Run must be called once.
type Courier struct {
	db     *store.DB
	dir    *directory.Directory
	dialer Dialer
	log    *slog.Logger
	// Backoff defaults to DefaultBackoff; set it before Run.
	Backoff Backoff
	// Timeout bounds one delivery. Default 60 s.
	Timeout time.Duration
	// Now returns the current time; tests may replace it before Run.
	Now func() time.Time
	// TLS, when set, gives the TLS configuration for a peer (this server's
	// certificate, the peer's checked against the server id), or nil: the
	// courier then says AUTHENTICATE TLS, which authenticates it by its
	// certificate, instead of logging in with login_password.
	TLS func(serverID string) *tls.Config
	// QueueLimits bound the queue of each peer when a redirect queues a
	// message anew (sched.Enqueue); set it before Run, as the Scheduler's.
	QueueLimits sched.QueueLimits
	// Mail sends the iMIP REPLYs of the queue (mail.go); nil fails them
	// for good. Set it before Run.
	Mail Mailer
	wake chan struct{}
	// down holds the peers that did not answer, by server id; Run's
	// goroutine changes it under downMu, WakeFor reads it.
	downMu sync.Mutex
	down   map[string]peerDown
}

// New returns a Courier for the queue in db.
func New(db *store.DB, dir *directory.Directory, dialer Dialer, log *slog.Logger) *Courier {
	if log == nil {
		log = slog.Default()
	}
	return &Courier{db: db, dir: dir, dialer: dialer, log: log, Backoff: DefaultBackoff,
		Timeout: time.Minute, Now: time.Now, wake: make(chan struct{}, 1), down: map[string]peerDown{}}
}

// Wake makes Run look at the queue now (after messages were queued).
func (c *Courier) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// WakeFor is Wake after messages for the given peers were queued, except
// when every one of them is a peer that did not answer and is not due to
// be tried again yet: the new messages wait for that try with the peer's
// others, and a pass over the queue now would find nothing to send. It
// does not block.
func (c *Courier) WakeFor(to []string) {
	now := c.Now()
	c.downMu.Lock()
	waiting := len(to) > 0
	for _, id := range to {
		if u, ok := c.down[id]; !ok || !u.until.After(now) {
			waiting = false
			break
		}
	}
	c.downMu.Unlock()
	if !waiting {
		c.Wake()
	}
}

// Run delivers due messages until ctx ends.
func (c *Courier) Run(ctx context.Context) {
	for {
		next := c.runDue(ctx)
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(c.Now()), 0)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-c.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// runDue delivers every message that is due and returns when the next one
// is, or the zero time when none waits.
func (c *Courier) runDue(ctx context.Context) time.Time {
	msgs, err := sched.Queue(c.db)
	if err != nil {
		c.log.Error("store: reading the outgoing queue", "err", err)
		return c.Now().Add(time.Minute)
	}
	// A message leaves only once the commit that queued it is on the
	// storage device: a crash must not lose the change a sent message
	// tells of.
	if err := c.db.WaitDurable(); err != nil {
		c.log.Error("store: syncing the outgoing queue before sending it", "err", err)
		return c.Now().Add(time.Minute)
	}
	var next time.Time
	c.downMu.Lock()
	for id, u := range c.down {
		if !u.until.After(c.Now()) {
			delete(c.down, id) // its failed message is due: try again
		}
	}
	c.downMu.Unlock()
	for _, m := range msgs {
		if ctx.Err() != nil {
			return time.Time{}
		}
		if m.State != sched.OutQueued {
			continue
		}
		due := time.Unix(m.NextTry, 0)
		c.downMu.Lock()
		u, ok := c.down[m.To]
		c.downMu.Unlock()
		if ok && m.Verb != sched.VerbMailReply && !due.After(c.Now()) {
			c.passOver(m, u.why)
			due = u.until
		}
		if m.State != sched.OutQueued {
			continue
		}
		if due.After(c.Now()) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		unanswered := c.deliver(ctx, m)
		c.downMu.Lock()
		switch {
		case unanswered:
			u := peerDown{until: time.Unix(m.NextTry, 0), why: m.LastError}
			if m.State != sched.OutQueued {
				u.until = c.Now().Add(c.Backoff.First)
			}
			c.down[m.To] = u
		case m.Verb != sched.VerbMailReply:
			delete(c.down, m.To)
		}
		c.downMu.Unlock()
		if m.State == sched.OutQueued && (next.IsZero() || time.Unix(m.NextTry, 0).Before(next)) {
			next = time.Unix(m.NextTry, 0)
		}
	}
	// A message queued later for a peer that is down does not wake Run
	// (WakeFor): look again when the peer is due.
	c.downMu.Lock()
	for _, u := range c.down {
		if next.IsZero() || u.until.Before(next) {
			next = u.until
		}
	}
	c.downMu.Unlock()
	return next
}

// peerDown is a peer that did not answer a message: why, and when that
// message is tried again. Until then its other messages wait untried, so
// that a peer that is down costs one connection attempt (and at most one
// Timeout) each time, not one for each of its messages, and the messages
// for other peers behind them still go out.
type peerDown struct {
	until time.Time
	why   string
}

// passOver leaves a due message for a later pass, untried, because its
// peer did not answer another message of this one; a message past
// Backoff.GiveUp is given up then, as retry would.
func (c *Courier) passOver(m *sched.OutMessage, why string) {
	if !c.pastGiveUp(m) {
		return
	}
	m.State, m.LastError = sched.OutFailed, "peer did not answer: "+why
	c.log.Error("store: gave up delivering", "message", m.ID, "to", m.To, "command", m.Verb, "uid", m.UID,
		"tries", m.Tries, "last_error", m.LastError)
	c.finish(m, nil, true)
}

// deliver tries one message once and records the outcome. It reports
// whether the peer did not answer: no connection, no login, or no reply
// to the command (a mail relay's refusal is never counted).
func (c *Courier) deliver(ctx context.Context, m *sched.OutMessage) (unanswered bool) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	log := c.log.With("message", m.ID, "to", m.To, "command", m.Verb, "uid", m.UID)
	if m.Verb == sched.VerbMailReply {
		c.deliverMail(ctx, m, log)
		return false
	}
	reply, err := c.exchange(ctx, m)
	if err != nil {
		c.retry(m, err.Error(), log)
		return true
	}
	follow := c.redirects(m, reply, log)
	switch {
	case reply.Completion.OK:
		log.Info("store: delivered", "answer", reply.Completion.String(), "tries", m.Tries+1)
		c.finish(m, follow, false)
	case len(follow) > 0:
		log.Info("store: redirected", "answer", reply.Completion.String())
		c.finish(m, follow, false)
	case !reply.Completion.Code.Final(): // docs/PROTOCOL.md section 4.3
		c.retry(m, reply.Completion.String(), log)
	default:
		log.Warn("store: refused by the peer; not retried", "answer", reply.Completion.String())
		m.Tries++
		m.State, m.LastError = sched.OutFailed, reply.Completion.String()
		c.finish(m, nil, true)
	}
	return false
}

// exchange connects, logs in when configured to, and sends the message.
func (c *Courier) exchange(ctx context.Context, m *sched.OutMessage) (*cipmini.Reply, error) {
	cl, err := c.dialer.Dial(ctx, m.To)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	overTLS := false
	if c.TLS != nil {
		if cfg := c.TLS(m.To); cfg != nil {
			if err := cl.StartTLS(ctx, cfg); err != nil {
				return nil, err
			}
			overTLS = true
		}
	}
	if p := c.dir.Peer(m.To); p != nil && p.LoginPassword != "" && !overTLS {
		r, err := cl.Authenticate(ctx, c.dir.ServerID, p.LoginPassword)
		if err != nil {
			return nil, err
		}
		if r.Err() != nil {
			return nil, errors.New("login refused: " + r.Completion.String())
		}
	}
	var r *cipmini.Reply
	if m.Verb == sched.VerbRSVP {
		r, err = cl.RSVP(ctx, []byte(m.Data))
	} else {
		r, err = cl.SendEvent(ctx, []byte(m.Data))
	}
	if err != nil {
		return nil, err
	}
	cl.Quit(ctx)
	return r, nil
}

// pastGiveUp reports whether m was queued Backoff.GiveUp ago or more.
func (c *Courier) pastGiveUp(m *sched.OutMessage) bool {
	return c.Now().Sub(time.Unix(m.Created, 0)) >= c.Backoff.GiveUp
}

// retry schedules the next try, or gives the message up.
func (c *Courier) retry(m *sched.OutMessage, why string, log *slog.Logger) {
	m.Tries++
	m.LastError = why
	now := c.Now()
	if c.pastGiveUp(m) {
		m.State = sched.OutFailed
		log.Error("store: gave up delivering", "tries", m.Tries, "last_error", why)
	} else {
		m.NextTry = now.Add(c.Backoff.delay(m.Tries)).Unix()
		log.Warn("store: delivery failed; will retry", "tries", m.Tries, "next_try", time.Unix(m.NextTry, 0).UTC(), "err", why)
	}
	c.finish(m, nil, true)
}

// finish records the outcome of a try (sched.RecordTry) and queues the
// messages that follow it (through sched.Enqueue, so the per-peer limits
// and coalescing apply), in one commit. With keep it updates only the
// try's fields (Tries, NextTry, State, LastError) of the message as stored
// now, which Enqueue may have narrowed meanwhile; without, it deletes the
// message. A message superseded while it was being tried is gone from the
// store and stays gone, and its follow-ups are not queued.
func (c *Courier) finish(m *sched.OutMessage, follow []*sched.OutMessage, keep bool) {
	err := c.db.Update(func(tx *store.Tx) error {
		if stored, err := sched.RecordTry(tx, m, keep); err != nil || !stored {
			return err
		}
		return sched.Enqueue(tx, follow, c.Now(), c.QueueLimits, c.log)
	})
	if err != nil {
		c.log.Error("store: recording a delivery", "message", m.ID, "err", err)
	}
}

// redirects turns the REDIRECT lines of an answer into new messages:
// REDIRECT USER for a SENDEVENT (the event goes to the new id's server with
// the attendee rewritten), REDIRECT EVENT for an RSVP (the answer goes again
// with the new UID). Only redirects about the message are followed: at most
// one REDIRECT USER for each address the message is for, and one REDIRECT
// EVENT for its UID; any further line is logged and ignored, so one answer
// makes at most len(For) messages, never more than the message itself
// went to. A loop, or more than MaxRedirects hops, ends with a logged
// error.
func (c *Courier) redirects(m *sched.OutMessage, r *cipmini.Reply, log *slog.Logger) []*sched.OutMessage {
	var out []*sched.OutMessage
	done := map[string]bool{}
	ignored := 0
	for _, in := range r.Info {
		if in.Code != cipmini.InfoRedirect {
			continue
		}
		f := strings.Fields(in.Args) // USER old IS NOW new
		if len(f) != 5 || !strings.EqualFold(f[2], "IS") || !strings.EqualFold(f[3], "NOW") {
			ignored++
			continue
		}
		kind, from, to := strings.ToUpper(f[0]), f[1], f[4]
		var key string
		switch {
		case kind == "USER" && m.Verb == sched.VerbSendEvent:
			key = "user " + vcal.NormalizeAddress(from)
			if !slices.Contains(m.For, vcal.NormalizeAddress(from)) {
				ignored++
				continue
			}
		case kind == "EVENT" && m.Verb == sched.VerbRSVP:
			key = "event"
			if from != m.UID {
				ignored++
				continue
			}
		default:
			continue
		}
		if done[key] {
			ignored++
			continue
		}
		done[key] = true
		seen := append(append([]string(nil), m.Seen...), strings.ToLower(from))
		if m.Hops >= MaxRedirects || slices.Contains(seen, strings.ToLower(to)) {
			log.Error("store: redirect loop or too many redirects; not followed", "from", from, "to", to, "hops", m.Hops)
			continue
		}
		n := *m
		n.ID, n.Hops, n.Seen, n.Tries, n.LastError = m.ID+"r"+strconv.Itoa(m.Hops+1)+"-"+strconv.Itoa(len(out)), m.Hops+1, seen, 0, ""
		n.State, n.NextTry = sched.OutQueued, c.Now().Unix()
		var err error
		if kind == "USER" {
			n.To = directory.Domain(vcal.NormalizeAddress(to))
			n.For = []string{vcal.NormalizeAddress(to)}
			n.Data, err = sched.RewriteAttendee(m.Data, vcal.NormalizeAddress(from), vcal.NormalizeAddress(to))
		} else {
			n.UID = to
			n.Data, err = sched.RewriteUID(m.Data, to)
		}
		if err != nil {
			log.Error("store: cannot follow a redirect", "line", in.String(), "err", err)
			continue
		}
		log.Info("store: following a redirect", "line", in.String())
		out = append(out, &n)
	}
	if ignored > 0 {
		log.Warn("store: REDIRECT lines not about this message, repeated or malformed; ignored", "lines", ignored)
	}
	return out
}
