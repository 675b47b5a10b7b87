package imip

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Defaults of Limits (docs/PROTOCOL.md section 16.2).
const (
	DefaultMaxBytes         = 4 << 20  // octets of one message, headers included
	DefaultMaxHeaderBytes   = 64 << 10 // octets of one header block
	DefaultMaxParts         = 64       // MIME parts looked at in one message
	DefaultMaxDepth         = 4        // nesting of multiparts
	DefaultMaxCalendarBytes = 256 << 10
)

// Limits bound the reading of one message. A zero or negative field means
// its default. A Limits is only read, so one may be shared.
type Limits struct {
	MaxBytes, MaxHeaderBytes, MaxCalendarBytes int64
	MaxParts, MaxDepth                         int
}

func (l *Limits) resolved() Limits {
	var r Limits
	if l != nil {
		r = *l
	}
	if r.MaxBytes <= 0 {
		r.MaxBytes = DefaultMaxBytes
	}
	if r.MaxHeaderBytes <= 0 {
		r.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if r.MaxCalendarBytes <= 0 {
		r.MaxCalendarBytes = DefaultMaxCalendarBytes
	}
	if r.MaxParts <= 0 {
		r.MaxParts = DefaultMaxParts
	}
	if r.MaxDepth <= 0 {
		r.MaxDepth = DefaultMaxDepth
	}
	return r
}

// Errors of Extract. A message that breaches a limit is refused as a whole;
// one without an iTIP part is not an invitation.
var (
	ErrTooLarge    = errors.New("imip: message too large")
	ErrTooManyPart = errors.New("imip: too many MIME parts")
	ErrTooDeep     = errors.New("imip: MIME parts nested too deep")
	ErrNoCalendar  = errors.New("imip: no iTIP part (text/calendar with a method, or an .ics attachment)")
)

// Methods the door reads (RFC 5546 section 1.4): a REFRESH is recognized
// and logged, not answered.
var methods = map[string]bool{"REQUEST": true, "CANCEL": true, "REPLY": true, "REFRESH": true}

// Part is the iTIP part of a message.
type Part struct {
	// Method is the iTIP method in upper case: the part's method parameter,
	// else the calendar's METHOD property.
	Method string
	// Data is the calendar text, transfer encoding and charset decoded.
	Data []byte
	// ContentType is the part's media type ("text/calendar",
	// "application/ics").
	ContentType string
}

// Extract reads the header and the MIME tree of a message, within lim (nil
// means the defaults), and returns the header and the iTIP part: the first
// text/calendar part with a method parameter (RFC 6047 section 2.4); failing
// that, the first text/calendar or application/ics part, an attachment or
// not, whose data has a METHOD. It stops at the first breached limit
// without reading further: r may be left unread.
func Extract(r io.Reader, lim *Limits) (textproto.Header, *Part, error) {
	l := lim.resolved()
	lr := &limited{r: r, n: min(l.MaxHeaderBytes, l.MaxBytes)}
	br := bufio.NewReader(lr)
	h, err := textproto.ReadHeader(br)
	if lr.over {
		return h, nil, ErrTooLarge
	}
	if err != nil {
		return h, nil, fmt.Errorf("imip: reading the header: %w", err)
	}
	lr.n = l.MaxBytes - lr.read // what the header left of the budget
	e, err := message.New(message.Header{Header: h}, br)
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return h, nil, fmt.Errorf("imip: %w", err)
	}
	w := &walker{l: l}
	err = w.walk(e, 0)
	switch {
	case lr.over:
		return h, nil, ErrTooLarge
	case err != nil:
		return h, nil, err
	case w.best != nil:
		return h, w.best, nil
	case w.fallback != nil:
		return h, w.fallback, nil
	}
	return h, nil, ErrNoCalendar
}

// walker finds the iTIP part in a MIME tree.
type walker struct {
	l        Limits
	parts    int
	best     *Part // a text/calendar part with a method parameter
	fallback *Part // another calendar part whose data has a METHOD
}

func (w *walker) walk(e *message.Entity, depth int) error {
	w.parts++
	if w.parts > w.l.MaxParts {
		return ErrTooManyPart
	}
	mt, params, _ := e.Header.ContentType()
	if mr := e.MultipartReader(); mr != nil {
		if depth >= w.l.MaxDepth {
			return ErrTooDeep
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
				return fmt.Errorf("imip: reading a MIME part: %w", err)
			}
			if err := w.walk(p, depth+1); err != nil {
				return err
			}
			if w.best != nil {
				return nil
			}
		}
	}
	if !calendarType(mt, e.Header) {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(e.Body, w.l.MaxCalendarBytes+1))
	if err != nil {
		return fmt.Errorf("imip: reading the calendar part: %w", err)
	}
	if int64(len(data)) > w.l.MaxCalendarBytes {
		return ErrTooLarge
	}
	method := strings.ToUpper(strings.TrimSpace(params["method"]))
	inData := dataMethod(data)
	switch {
	case method != "" && inData != "" && method != inData:
		return fmt.Errorf("imip: the part's method=%s and the calendar's METHOD:%s differ", method, inData)
	case mt == "text/calendar" && methods[method]:
		w.best = &Part{Method: method, Data: data, ContentType: mt}
	case w.fallback == nil && methods[inData]:
		w.fallback = &Part{Method: inData, Data: data, ContentType: mt}
	}
	return nil
}

// calendarType reports whether a leaf part may hold calendar data:
// text/calendar, application/ics, or an attachment named *.ics sent as
// application/octet-stream.
func calendarType(mt string, h message.Header) bool {
	switch mt {
	case "text/calendar", "application/ics", "text/x-vcalendar", "application/calendar":
		return true
	case "application/octet-stream":
		_, dp, _ := h.ContentDisposition()
		_, cp, _ := h.ContentType()
		name := dp["filename"]
		if name == "" {
			name = cp["name"]
		}
		return strings.HasSuffix(strings.ToLower(name), ".ics")
	}
	return false
}

// dataMethod returns the METHOD property of calendar data in upper case
// (the first one, unfolded lines only), or "".
func dataMethod(data []byte) string {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) > 7 && bytes.EqualFold(line[:7], []byte("METHOD:")) {
			return strings.ToUpper(strings.TrimSpace(string(line[7:])))
		}
		if bytes.HasPrefix(bytes.ToUpper(line), []byte("BEGIN:VEVENT")) {
			return ""
		}
	}
	return ""
}

// limited reads at most n octets and records whether more were offered.
type limited struct {
	r    io.Reader
	n    int64
	read int64 // octets read in all
	over bool
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if k, _ := l.r.Read(one[:]); k > 0 {
			l.over = true
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	l.read += int64(k)
	return k, err
}

// address returns the lower-case address of the first mailbox of a header
// such as From, or "" when there is none or it does not parse.
func address(h textproto.Header, key string) string {
	v := h.Get(key)
	if v == "" {
		return ""
	}
	p := mail.AddressParser{WordDecoder: &mime.WordDecoder{}}
	list, err := p.ParseList(v)
	if err != nil || len(list) == 0 {
		return ""
	}
	return strings.ToLower(list[0].Address)
}
