package store

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// peeker gives bounded random access to the bytes of a file.
type peeker interface {
	// size is the number of bytes in the file.
	size() int64
	// peek returns the bytes at [off, off+n), fewer only when the file
	// ends first. n is at most maxPeek.
	peek(off int64, n int) ([]byte, error)
}

// maxPeek is the most a parser asks a peeker for at once: a key of
// MaxKeySize plus its CRLF.
const maxPeek = MaxKeySize + 2

// filePeeker reads a file through a fixed window, so that checking a file
// reads its headers and keys but skips over values without reading them.
type filePeeker struct {
	r      io.ReaderAt
	n      int64
	buf    []byte
	bufOff int64
	bufLen int
}

// windowSize is the filePeeker's buffer: twice maxPeek, so that a key and
// the headers around it fit.
const windowSize = 2 * maxPeek

// newFilePeeker reads the size bytes of r; its window is no larger than
// the file.
func newFilePeeker(r io.ReaderAt, size int64) *filePeeker {
	w := int64(windowSize)
	if size < w {
		w = size
	}
	return &filePeeker{r: r, n: size, buf: make([]byte, w)}
}

func (p *filePeeker) size() int64 { return p.n }

func (p *filePeeker) peek(off int64, n int) ([]byte, error) {
	if off >= p.n {
		return nil, nil
	}
	if rest := p.n - off; int64(n) > rest {
		n = int(rest)
	}
	if off >= p.bufOff && off+int64(n) <= p.bufOff+int64(p.bufLen) {
		s := off - p.bufOff
		return p.buf[s : s+int64(n)], nil
	}
	m := len(p.buf)
	if rest := p.n - off; int64(m) > rest {
		m = int(rest)
	}
	got, err := p.r.ReadAt(p.buf[:m], off)
	if got < m {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read at offset %d: %w", off, err)
	}
	p.bufOff, p.bufLen = off, m
	return p.buf[:n], nil
}

// bytesPeeker gives access to bytes already in memory.
type bytesPeeker []byte

func (b bytesPeeker) size() int64 { return int64(len(b)) }

func (b bytesPeeker) peek(off int64, n int) ([]byte, error) {
	if off >= int64(len(b)) {
		return nil, nil
	}
	end := off + int64(n)
	if end > int64(len(b)) {
		end = int64(len(b))
	}
	return b[off:end], nil
}

// recordKind is the command of a record.
type recordKind uint8

const (
	kindSet recordKind = iota + 1
	kindDel
	kindFlush
)

// aofRecord is a parsed record. Values are not kept, except the value of a
// commit marker.
type aofRecord struct {
	kind recordKind
	key  string
	// expiring is set for a five-element set; relative says "ex" (seconds
	// from the file's modification time) rather than "ae" (Unix time).
	expiring bool
	relative bool
	expire   int64
	// commitValue is the value of a set of commitKey, when short.
	commitValue string
	// valueOff and valueLen locate the value of a set.
	valueOff int64
	valueLen int
	end      int64
}

// parseStatus says how far a record parsed.
type parseStatus uint8

const (
	parsedOK      parseStatus = iota
	parsedTorn                // the file ends inside the record; all present bytes are well formed
	parsedCorrupt             // a present byte is wrong
)

// parseResult is the outcome of parsing one record.
type parseResult struct {
	status parseStatus
	rec    aofRecord
	reason string // for parsedCorrupt
	// payloadOff is set for parsedTorn when an element's length runs past
	// the end of the file: the offset where that element's bytes start.
	payloadOff int64
}

// recordParser parses records from a peeker.
type recordParser struct {
	p peeker
	// keepKeys says whether keys are copied out of the peeker.
	keepKeys bool
}

// corruptResult is the result for a corrupt record.
func corruptResult(format string, args ...any) parseResult {
	return parseResult{status: parsedCorrupt, reason: fmt.Sprintf(format, args...)}
}

// tornResult is the result for a record the file cuts short.
var tornResult = parseResult{status: parsedTorn}

// header parses "<prefix><digits>\r\n" at off. limit bounds the number, and
// what names the element for messages. It returns the number and the
// offset after the header.
func (rp *recordParser) header(off int64, prefix byte, limit uint64, what string) (uint64, int64, parseResult, error) {
	const maxDigits = 20
	b, err := rp.p.peek(off, 1+maxDigits+3)
	if err != nil {
		return 0, 0, parseResult{}, err
	}
	if len(b) == 0 {
		return 0, 0, tornResult, nil
	}
	if b[0] != prefix {
		if b[0] == 0 && prefix == '*' {
			return 0, 0, corruptResult("zero byte where a record should start%s", zeroRun(rp.p, off)), nil
		}
		return 0, 0, corruptResult("%s: expected %s at byte %d, found %s", what, quoteByte(prefix), off, quoteByte(b[0])), nil
	}
	i := 1
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	digits := b[1:i]
	if len(digits) > maxDigits {
		return 0, 0, corruptResult("%s: length field at byte %d has more than %d digits", what, off, maxDigits), nil
	}
	if len(digits) > 1 && digits[0] == '0' {
		return 0, 0, corruptResult("%s: length field %q at byte %d has a leading zero", what, digits, off), nil
	}
	var v uint64
	overflow := false
	for _, d := range digits {
		if v > (1<<64-1-uint64(d-'0'))/10 {
			overflow = true
			break
		}
		v = v*10 + uint64(d-'0')
	}
	if overflow || v > limit {
		word := "length"
		if prefix == '*' {
			word = "element count"
		}
		return 0, 0, corruptResult("%s: %s %s at byte %d exceeds the limit of %d", what, word, digits, off, limit), nil
	}
	if i == len(b) {
		// The file ends within the digits: a torn header.
		return 0, 0, tornResult, nil
	}
	if len(digits) == 0 {
		return 0, 0, corruptResult("%s: expected a digit at byte %d, found %s", what, off+int64(i), quoteByte(b[i])), nil
	}
	if b[i] != '\r' {
		return 0, 0, corruptResult("%s: expected CR at byte %d, found %s", what, off+int64(i), quoteByte(b[i])), nil
	}
	if i+1 == len(b) {
		return 0, 0, tornResult, nil
	}
	if b[i+1] != '\n' {
		return 0, 0, corruptResult("%s: expected LF at byte %d, found %s", what, off+int64(i)+1, quoteByte(b[i+1])), nil
	}
	return v, off + int64(i) + 2, parseResult{}, nil
}

// recordElements gives the largest length and the name of each element of a
// record: command, key, value, expire argument, expire time.
var recordElements = [5]struct {
	limit uint64
	name  string
}{
	{maxCommandSize, "element 1 (command)"},
	{MaxKeySize, "element 2 (key)"},
	{MaxValueSize + envelopeLen, "element 3 (value)"},
	{maxExpireArgSize, "element 4 (expire argument)"},
	{maxExpireValueSize, "element 5 (expire time)"},
}

// commandArity is the element count each command takes.
func commandArity(cmd string) (recordKind, []int) {
	switch strings.ToLower(cmd) {
	case "set":
		return kindSet, []int{3, 5}
	case "del":
		return kindDel, []int{2}
	case "flushdb":
		return kindFlush, []int{1}
	}
	return 0, nil
}

// validPrefix says whether b can still become one of the allowed strings,
// compared without case.
func validPrefix(b []byte, allowed ...string) bool {
	for _, a := range allowed {
		if len(b) <= len(a) && strings.EqualFold(string(b), a[:len(b)]) {
			return true
		}
	}
	return false
}

// commandsFor lists the commands whose arity allows n elements.
func commandsFor(n int) []string {
	switch n {
	case 1:
		return []string{"flushdb"}
	case 2:
		return []string{"del"}
	case 3, 5:
		return []string{"set"}
	}
	return nil
}

// parse parses the record that starts at off, which must be before the end
// of the file.
func (rp *recordParser) parse(off int64) (parseResult, error) {
	count, pos, res, err := rp.header(off, '*', 9, "record header")
	if err != nil || res.status != parsedOK {
		return res, err
	}
	switch count {
	case 1, 2, 3, 5:
	default:
		return corruptResult("record has %d elements; records have 1, 2, 3 or 5", count), nil
	}
	n := int(count)
	var rec aofRecord
	for i := 0; i < n; i++ {
		what := recordElements[i].name
		size, p, res, err := rp.header(pos, '$', recordElements[i].limit, what)
		if err != nil || res.status != parsedOK {
			return res, err
		}
		l := int(size)
		need := int64(l) + 2
		// Only short elements and keys are read; a value is skipped.
		readLen := 0
		switch {
		case i == 1 && (rp.keepKeys || l == len(commitKey)),
			i == 2 && rec.key == commitKey && l <= 40,
			i == 0 || i >= 3:
			readLen = l
		}
		var body []byte
		if readLen > 0 {
			if body, err = rp.p.peek(p, readLen); err != nil {
				return parseResult{}, err
			}
		}
		complete := p+need <= rp.p.size()
		if !complete {
			// The file ends inside this element. What is present must
			// still be able to become a valid element.
			if res := checkPartialElement(i, n, body); res.status == parsedCorrupt {
				return res, nil
			}
			if p+int64(l) < rp.p.size() {
				if b, err := rp.p.peek(p+int64(l), 1); err != nil {
					return parseResult{}, err
				} else if b[0] != '\r' {
					return corruptResult("%s: expected CR at byte %d, found %s", what, p+int64(l), quoteByte(b[0])), nil
				}
			}
			return parseResult{status: parsedTorn, payloadOff: p}, nil
		}
		crlf, err := rp.p.peek(p+int64(l), 2)
		if err != nil {
			return parseResult{}, err
		}
		if crlf[0] != '\r' || crlf[1] != '\n' {
			return corruptResult("%s: %d bytes at byte %d are not followed by CRLF", what, l, p), nil
		}
		if i == 2 {
			rec.valueOff, rec.valueLen = p, l
		}
		if res := rp.element(&rec, i, n, body); res.status == parsedCorrupt {
			return res, nil
		}
		pos = p + need
	}
	rec.end = pos
	return parseResult{status: parsedOK, rec: rec}, nil
}

// element interprets complete element i of an n-element record.
func (rp *recordParser) element(rec *aofRecord, i, n int, body []byte) parseResult {
	switch i {
	case 0:
		kind, arities := commandArity(string(body))
		if kind == 0 {
			return corruptResult("unknown command %q", body)
		}
		for _, a := range arities {
			if a == n {
				rec.kind = kind
				return parseResult{}
			}
		}
		return corruptResult("%s record with %d elements", strings.ToLower(string(body)), n)
	case 1:
		if rp.keepKeys || string(body) == commitKey {
			rec.key = string(body)
		}
	case 2:
		if rec.key == commitKey && body != nil {
			rec.commitValue = string(body)
		}
	case 3:
		arg := strings.ToLower(string(body))
		if arg != "ex" && arg != "ae" {
			return corruptResult("expire argument %q is neither ex nor ae", body)
		}
		rec.expiring, rec.relative = true, arg == "ex"
	case 4:
		if !canonicalUint(body) {
			return corruptResult("expire time %q is not an unsigned decimal number", body)
		}
		v, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			return corruptResult("expire time %q is out of range", body)
		}
		rec.expire = v
	}
	return parseResult{}
}

// checkPartialElement checks the present bytes of element i of an
// n-element record that the file cuts short.
func checkPartialElement(i, n int, body []byte) parseResult {
	switch i {
	case 0:
		if !validPrefix(body, commandsFor(n)...) {
			return corruptResult("command %q cannot be completed to a command taking %d elements", body, n)
		}
	case 3:
		if !validPrefix(body, "ex", "ae") {
			return corruptResult("expire argument %q is neither ex nor ae", body)
		}
	case 4:
		for _, c := range body {
			if c < '0' || c > '9' {
				return corruptResult("expire time %q is not an unsigned decimal number", body)
			}
		}
		if len(body) > 1 && body[0] == '0' {
			return corruptResult("expire time %q has a leading zero", body)
		}
	}
	return parseResult{}
}

// canonicalUint says whether b is a decimal number without sign or leading
// zeros.
func canonicalUint(b []byte) bool {
	if len(b) == 0 || (len(b) > 1 && b[0] == '0') {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// quoteByte quotes one byte for a message.
func quoteByte(c byte) string {
	return strconv.Quote(string([]byte{c}))
}

// zeroRun describes the run of zero bytes at off, for messages.
func zeroRun(p peeker, off int64) string {
	var n int64
	for o := off; o < p.size(); {
		b, err := p.peek(o, 4096)
		if err != nil || len(b) == 0 {
			break
		}
		k := 0
		for k < len(b) && b[k] == 0 {
			k++
		}
		n += int64(k)
		o += int64(k)
		if k < len(b) {
			break
		}
	}
	if off+n == p.size() {
		return fmt.Sprintf(" (all %d bytes from there to the end of the file are zero)", n)
	}
	return fmt.Sprintf(" (%d zero bytes)", n)
}
