package imip

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Defaults of the Poller.
const (
	DefaultPollInterval = time.Minute
	DefaultFolder       = "INBOX"
	DefaultDoneFolder   = "cipmini-done"
	DefaultPollBatch    = 50
	DefaultPollTimeout  = 5 * time.Minute
)

// DoneKeyword is the IMAP keyword the Poller sets on a message once the
// Door has applied or dropped it, before moving it to the done folder
// (docs/PROTOCOL.md section 16.6).
const DoneKeyword = imap.Flag("$CipminiDone")

// Poller is the mail door's IMAP half (docs/PROTOCOL.md section 16.6): it
// polls one mailbox folder over TLS, hands each message to the Door, then
// flags it and moves it to the done folder. Set the fields, then call Run
// once; a Poller is used from one goroutine.
type Poller struct {
	Door *Door
	// Addr is the server's host:port; the connection is TLS from the
	// start, or upgraded by STARTTLS when StartTLS is set. Plain text is
	// never spoken.
	Addr     string
	StartTLS bool
	// TLS checks the server's certificate; nil means the system's roots
	// and the host of Addr.
	TLS                *tls.Config
	Username, Password string
	// Folder is polled (default DefaultFolder); DoneFolder receives what
	// was handled (default DefaultDoneFolder), made when missing.
	Folder, DoneFolder string
	// Interval is the time between polls (default DefaultPollInterval);
	// Batch the most messages one poll handles (default
	// DefaultPollBatch); Timeout bounds one poll's session (default
	// DefaultPollTimeout).
	Interval time.Duration
	Batch    int
	Timeout  time.Duration
}

// Run polls at once and then every Interval until ctx ends. A failed poll
// is logged and tried again at the next interval.
func (p *Poller) Run(ctx context.Context) {
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.log().Warn("imip: poll failed", "imap_server", p.Addr, "handled", n, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *Poller) log() *slog.Logger {
	if p.Door.Log != nil {
		return p.Door.Log
	}
	return slog.Default()
}

// Poll runs one poll: it logs in, handles up to Batch messages of Folder
// in UID order and logs out. It returns how many messages it moved to the
// done folder. When ctx ends it stops between messages.
func (p *Poller) Poll(ctx context.Context) (int, error) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultPollTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := p.dial(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(p.Username, p.Password).Wait(); err != nil {
		return 0, fmt.Errorf("imip: imap login: %w", err)
	}
	n, err := p.poll(ctx, c)
	if err == nil {
		err = c.Logout().Wait()
	}
	return n, err
}

// dial connects over TLS, implicit or by STARTTLS.
func (p *Poller) dial(ctx context.Context) (*imapclient.Client, error) {
	host, _, err := net.SplitHostPort(p.Addr)
	if err != nil {
		return nil, fmt.Errorf("imip: imap_server %q: %w", p.Addr, err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if p.TLS != nil {
		cfg = p.TLS.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		return nil, fmt.Errorf("imip: imap: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if p.StartTLS {
		c, err := imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: cfg})
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("imip: imap STARTTLS: %w", err)
		}
		return c, nil
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("imip: imap TLS: %w", err)
	}
	c := imapclient.New(tc, nil)
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imip: imap greeting: %w", err)
	}
	return c, nil
}

// pending is a message of the folder as the first FETCH saw it.
type pending struct {
	uid  imap.UID
	size int64
	done bool // it carries DoneKeyword: handled before, not yet moved
}

// poll handles one batch of the selected folder.
func (p *Poller) poll(ctx context.Context, c *imapclient.Client) (int, error) {
	folder, done := p.Folder, p.DoneFolder
	if folder == "" {
		folder = DefaultFolder
	}
	if done == "" {
		done = DefaultDoneFolder
	}
	sel, err := c.Select(folder, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("imip: imap select %s: %w", folder, err)
	}
	if sel.NumMessages == 0 {
		return 0, nil
	}
	keyword := false
	for _, f := range sel.PermanentFlags {
		keyword = keyword || f == imap.FlagWildcard || f == DoneKeyword
	}
	msgs, err := p.list(c)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	if err := ensureFolder(c, done); err != nil {
		return 0, err
	}
	limit := p.Door.Limits.resolved().MaxBytes
	n := 0
	for _, m := range msgs {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		log := p.log().With("imap_uid", uint32(m.uid), "imap_uidvalidity", sel.UIDValidity)
		if !m.done {
			handled, err := p.handle(ctx, c, m, limit, log)
			if err != nil {
				return n, err
			}
			if !handled {
				continue
			}
			flags := []imap.Flag{imap.FlagSeen}
			if keyword {
				flags = append(flags, DoneKeyword)
			}
			st := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}
			if err := c.Store(imap.UIDSetNum(m.uid), st, nil).Close(); err != nil {
				return n, fmt.Errorf("imip: imap store: %w", err)
			}
		}
		if _, err := c.Move(imap.UIDSetNum(m.uid), done).Wait(); err != nil {
			return n, fmt.Errorf("imip: imap move to %s: %w", done, err)
		}
		n++
	}
	return n, nil
}

// list returns the first Batch messages of the selected folder, in UID
// order, with their size and whether they carry DoneKeyword.
func (p *Poller) list(c *imapclient.Client) ([]pending, error) {
	batch := p.Batch
	if batch <= 0 {
		batch = DefaultPollBatch
	}
	sd, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("imip: imap search: %w", err)
	}
	uids := sd.AllUIDs()
	if len(uids) > batch {
		uids = uids[:batch]
	}
	if len(uids) == 0 {
		return nil, nil
	}
	bufs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("imip: imap fetch: %w", err)
	}
	byUID := map[imap.UID]pending{}
	for _, b := range bufs {
		m := pending{uid: b.UID, size: b.RFC822Size}
		for _, f := range b.Flags {
			m.done = m.done || f == DoneKeyword
		}
		byUID[b.UID] = m
	}
	var out []pending
	for _, u := range uids {
		if m, ok := byUID[u]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// ensureFolder makes the folder name unless it is listed already.
func ensureFolder(c *imapclient.Client, name string) error {
	l, err := c.List("", name, nil).Collect()
	if err != nil {
		return fmt.Errorf("imip: imap list %s: %w", name, err)
	}
	if len(l) > 0 {
		return nil
	}
	if err := c.Create(name, nil).Wait(); err != nil {
		return fmt.Errorf("imip: imap create %s: %w", name, err)
	}
	return nil
}

// handle reads one message and gives it to the Door. It reports whether
// the message is done with (applied or dropped, its change durable): a
// temporary failure of the scheduler leaves it for the next poll.
func (p *Poller) handle(ctx context.Context, c *imapclient.Client, m pending, limit int64, log *slog.Logger) (bool, error) {
	if m.size > limit {
		log.Warn("imip: message dropped", "reason", fmt.Sprintf("message larger than %d octets", limit), "size", m.size)
		return true, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.UIDSetNum(m.uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return false, fmt.Errorf("imip: imap fetch: %w", err)
	}
	if len(bufs) == 0 {
		return false, nil // expunged meanwhile by another client
	}
	body := bufs[0].FindBodySection(section)
	// The change is carried out to its durable commit even when ctx ends.
	out, err := p.Door.Handle(context.WithoutCancel(ctx), returnPath(body), bytes.NewReader(body))
	if errors.Is(err, ErrUnreadable) {
		return true, nil // logged by the Door; kept in the done folder
	}
	if r := out.Reply; r != nil && !r.Completion.OK && r.Completion.Code == cipmini.CodeTempFailure {
		log.Warn("imip: message left for the next poll", "answer", r.Completion.String())
		return false, nil
	}
	return true, nil
}

// returnPath is the envelope sender the delivering server wrote into the
// Return-Path header, or "-" when there is none: then only the header
// checks of Screen tell a bounce.
func returnPath(msg []byte) string {
	end := len(msg)
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(msg, []byte(sep)); i >= 0 && i < end {
			end = i
		}
	}
	for _, line := range strings.Split(string(msg[:end]), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Return-Path") {
			return strings.TrimSpace(value)
		}
	}
	return "-"
}
