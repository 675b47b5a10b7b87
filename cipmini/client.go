package cipmini

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/internal/wire"
)

// DefaultClientTimeout bounds one command of a Client, from sending it to the
// end of its answer, when neither the Client nor the context sets another.
const DefaultClientTimeout = time.Minute

// Client is a CIP client connection, as used by a scheduling system or by
// another server. Its methods send one command and wait for the whole answer;
// a Client is not safe for concurrent use.
type Client struct {
	// Timeout bounds each command; a context deadline that comes sooner wins.
	// Default DefaultClientTimeout (1 minute).
	Timeout time.Duration
	// MaxDataBytes bounds a data block in an answer (FREEBUSY). Default
	// DefaultMaxDataBytes (256 KiB).
	MaxDataBytes int
	// MaxInfoLines bounds the informational ("*") lines kept from one
	// answer; MaxInfoBytes bounds their total length. Past either the
	// command fails with an error wrapping ErrTooManyInfo and the connection
	// is closed, so that a peer cannot fill this side's memory. Defaults
	// DefaultMaxInfoLines (1,000) and DefaultMaxInfoBytes (256 KiB).
	MaxInfoLines int
	MaxInfoBytes int

	conn     net.Conn
	lr       *wire.LineReader
	w        *bufio.Writer
	serverID string
	major    int
	minor    int
}

// Defaults of Client.MaxInfoLines and Client.MaxInfoBytes.
const (
	DefaultMaxInfoLines = 1000
	DefaultMaxInfoBytes = 256 << 10
)

// ErrTooManyInfo is wrapped by the error of a command whose answer held
// more informational lines, or more bytes of them, than the Client keeps.
var ErrTooManyInfo = errors.New("cipmini: too many informational lines in an answer")

// ReplyError is a NO completion, as an error: see Reply.Err.
type ReplyError struct {
	Completion Completion
}

func (e *ReplyError) Error() string { return "cipmini: server answered " + e.Completion.String() }

// Err returns nil for an OK completion and a *ReplyError for a NO.
func (r *Reply) Err() error {
	if r.Completion.OK {
		return nil
	}
	return &ReplyError{Completion: r.Completion}
}

// ProtocolError is an answer from the server that does not follow CIP.
type ProtocolError struct {
	Line string // the offending line, truncated to 200 octets
	Why  string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("cipmini: protocol error: %s: %q", e.Why, e.Line)
}

func protoErr(line []byte, why string) error {
	if len(line) > 200 {
		line = line[:200]
	}
	return &ProtocolError{Line: string(line), Why: why}
}

// ErrBadArgument is returned for a command argument that cannot be sent: an
// empty one, or one holding a space, tab, CR, LF or NUL.
var ErrBadArgument = errors.New("cipmini: argument empty or holds a space or line break")

// Dial connects to the CIP server at addr ("host:port") and reads its
// greeting. The context bounds the connection and the greeting.
func Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// NewClient reads the greeting on an established connection and returns a
// Client for it. A major version other than 1, or a NO greeting (a server
// that is full or shutting down), is an error; the caller closes conn then.
func NewClient(ctx context.Context, conn net.Conn) (*Client, error) {
	c := &Client{conn: conn, lr: wire.NewLineReader(conn, DefaultMaxLineLength), w: bufio.NewWriter(conn)}
	stop := c.deadline(ctx)
	defer stop()
	line, err := c.lr.ReadLine()
	if err != nil {
		return nil, fmt.Errorf("cipmini: reading greeting: %w", err)
	}
	if comp, ok := parseCompletion(line); ok && !comp.OK {
		return nil, &ReplyError{Completion: comp}
	}
	// "OK CIP 1.0 server-id"
	f := strings.Fields(string(line))
	if len(f) < 3 || f[0] != "OK" || !strings.EqualFold(f[1], "CIP") {
		return nil, protoErr(line, "not a CIP greeting")
	}
	maj, min, ok := strings.Cut(f[2], ".")
	c.major, err = strconv.Atoi(maj)
	if err != nil || !ok {
		return nil, protoErr(line, "bad version")
	}
	c.minor, _ = strconv.Atoi(min)
	if c.major != 1 {
		c.conn.Write([]byte("QUIT\r\n"))
		return nil, protoErr(line, "unsupported major version "+maj)
	}
	if len(f) > 3 {
		c.serverID = f[3]
	}
	return c, nil
}

// ServerID returns the server id the server named in its greeting.
func (c *Client) ServerID() string { return c.serverID }

// Version returns the protocol version of the greeting.
func (c *Client) Version() (major, minor int) { return c.major, c.minor }

// Close closes the connection without QUIT.
func (c *Client) Close() error { return c.conn.Close() }

// deadline sets the connection deadline for one command from the context and
// c.Timeout, and arranges for a cancelled context to interrupt it. The
// returned function undoes the arrangement.
func (c *Client) deadline(ctx context.Context) func() bool {
	t := c.Timeout
	if t <= 0 {
		t = DefaultClientTimeout
	}
	dl := time.Now().Add(t)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.conn.SetDeadline(dl)
	return context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Now()) })
}

// Authenticate sends AUTHENTICATE LOGIN. A NO answer is returned as a Reply
// whose Err is non-nil, not as an error.
func (c *Client) Authenticate(ctx context.Context, identity, password string) (*Reply, error) {
	if !wire.ValidArg(identity) || !wire.ValidArg(password) {
		return nil, ErrBadArgument
	}
	return c.command(ctx, "AUTHENTICATE LOGIN "+identity+" "+password, nil, false)
}

// SendEvent sends SENDEVENT with data, one event (see docs/PROTOCOL.md
// section 6).
func (c *Client) SendEvent(ctx context.Context, data []byte) (*Reply, error) {
	return c.command(ctx, "SENDEVENT +", data, false)
}

// RSVP sends RSVP with data: UID, SEQUENCE and the attendees' answers.
func (c *Client) RSVP(ctx context.Context, data []byte) (*Reply, error) {
	return c.command(ctx, "RSVP +", data, false)
}

// FreeBusy sends FREEBUSY with a request; the answer's Data holds the
// VFREEBUSY calendar when the server returned one.
func (c *Client) FreeBusy(ctx context.Context, request []byte) (*Reply, error) {
	return c.command(ctx, "FREEBUSY +", request, true)
}

// Noop sends NOOP.
func (c *Client) Noop(ctx context.Context) (*Reply, error) {
	return c.command(ctx, "NOOP", nil, false)
}

// Quit sends QUIT, reads the answer and closes the connection.
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.command(ctx, "QUIT", nil, false)
	c.conn.Close()
	return err
}

// command sends one command line, then the data block when data is non-nil,
// and reads the answer up to its completion. When wantData is set a data
// block introduced by a "+" line is read into the Reply.
func (c *Client) command(ctx context.Context, line string, data []byte, wantData bool) (*Reply, error) {
	stop := c.deadline(ctx)
	defer stop()
	c.w.WriteString(line)
	c.w.WriteString("\r\n")
	if strings.HasSuffix(line, "+") {
		wire.WriteDataBlock(c.w, data)
	}
	if err := c.w.Flush(); err != nil {
		return nil, c.ioErr(ctx, err)
	}
	r := &Reply{}
	sawPlus := false
	maxLines, maxBytes := c.MaxInfoLines, c.MaxInfoBytes
	if maxLines <= 0 {
		maxLines = DefaultMaxInfoLines
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxInfoBytes
	}
	infoBytes := 0
	for {
		l, err := c.lr.ReadLine()
		if err != nil {
			return nil, c.ioErr(ctx, err)
		}
		switch {
		case len(l) == 1 && l[0] == '+':
			// A data block follows, or a go-ahead that some peers send
			// right after the command line.
			sawPlus = true
		case len(l) >= 2 && l[0] == '*' && l[1] == ' ':
			infoBytes += len(l)
			if len(r.Info) >= maxLines || infoBytes > maxBytes {
				c.conn.Close()
				return nil, fmt.Errorf("%w (more than %d lines or %d bytes); connection closed", ErrTooManyInfo, maxLines, maxBytes)
			}
			code, args, _ := strings.Cut(strings.TrimSpace(string(l[2:])), " ")
			r.Info = append(r.Info, Info{Code: InfoCode(strings.ToUpper(code)), Args: strings.TrimSpace(args)})
		default:
			if comp, ok := parseCompletion(l); ok {
				r.Completion = comp
				return r, nil
			}
			if !wantData || !sawPlus || r.Data != nil {
				return nil, protoErr(l, "unexpected line")
			}
			// The first line of the data block is in hand: read the rest.
			if err := c.readBlock(l, r); err != nil {
				return nil, c.ioErr(ctx, err)
			}
		}
	}
}

// readBlock reads a data block whose first line, first, was already read.
// The block is reported as an empty, non-nil Data when first is the ".".
func (c *Client) readBlock(first []byte, r *Reply) error {
	max := c.MaxDataBytes
	if max <= 0 {
		max = DefaultMaxDataBytes
	}
	if len(first) == 1 && first[0] == '.' {
		r.Data = []byte{}
		return nil
	}
	if len(first) > 1 && first[0] == '.' && first[1] == '.' {
		first = first[1:]
	}
	buf := append(append(make([]byte, 0, len(first)+512), first...), '\r', '\n')
	data, err := wire.ReadDataBlock(c.lr, buf, max)
	if err != nil {
		return err
	}
	r.Data = data
	return nil
}

func (c *Client) ioErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("cipmini: %w (%v)", ctx.Err(), err)
	}
	return fmt.Errorf("cipmini: %w", err)
}

// parseCompletion parses "OK nnn text" or "NO nnn text". A completion
// without a code (some old peers) is taken as code 000.
func parseCompletion(l []byte) (Completion, bool) {
	s := string(l)
	var comp Completion
	switch {
	case len(s) >= 2 && strings.EqualFold(s[:2], "OK"):
		comp.OK = true
	case len(s) >= 2 && strings.EqualFold(s[:2], "NO"):
	default:
		return comp, false
	}
	rest := s[2:]
	if rest != "" && rest[0] != ' ' {
		return comp, false
	}
	rest = strings.TrimSpace(rest)
	code, text, _ := strings.Cut(rest, " ")
	if len(code) == 3 && code[0] >= '0' && code[0] <= '9' &&
		code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9' {
		n, _ := strconv.Atoi(code)
		comp.Code = Code(n)
		comp.Text = strings.TrimSpace(text)
	} else {
		comp.Text = rest
	}
	return comp, true
}
