package store

import (
	"bytes"
	"sort"
	"time"
	"unsafe"
)

// Damage is one damaged record, or one damaged region of a data file, as the
// checksummed file checker found it.
type Damage struct {
	// Offset and End delimit the damaged bytes in the file.
	Offset, End int64
	// Key is the record's key as far as it could be read: proven by the
	// checksum when Recovered is set, else as read, possibly damaged
	// itself, or "" when unreadable.
	Key string
	// Reason says what is wrong.
	Reason string
	// Recovered says that the record's key and value were proven intact
	// by their checksum (only framing bytes or the key's bytes were
	// changed, and the original was found): nothing was lost.
	Recovered bool
	// Lost names the key (as read) whose value this damage lost; an
	// older value of it is no longer served either. "" when nothing was
	// lost (recovered, or a later record of the key is intact) or the key
	// is unreadable.
	Lost string
	// Spans are busy periods (Unix seconds) still readable in the damaged
	// bytes or in the version of Lost that the damage replaced: they are
	// kept as busy time of unknown origin.
	Spans [][2]int64
	// Tail says that the damage lay in the file's last commit, which was
	// cut off like an interrupted append instead of being quarantined.
	Tail bool

	raw     []byte
	holders []string
}

// scanResult is what the checksummed checker found in a data file.
type scanResult struct {
	size int64
	// valid is where the file is cut: size unless a last commit is torn or
	// damaged.
	valid int64
	// state maps every live key to its stored (enveloped) value; reserved
	// keys are left out.
	state   map[string]string
	damage  []Damage // not counting the cut tail
	tail    []Damage // damage found in the cut tail
	records int
	commits int
	// dropped counts the complete records of the cut tail.
	dropped int
	// expiring counts the records applied to the state that expire.
	expiring int
	// stopped says that the scan stopped at its limit of damage, or when
	// looking for intact records after damage cost more than its budget.
	stopped bool
}

// scanEntry is one record or damaged region within a commit.
type scanEntry struct {
	off    int64
	rec    aofRecord
	value  string // the stored value of a set
	marker bool
	count  int
	dels   uint32
	bad    *Damage
}

// scanner replays a checksummed data file held in memory.
type scanner struct {
	b     []byte
	rp    *recordParser
	res   *scanResult
	group []scanEntry
	start int64
	want  int // the count of the open commit's marker; 0 until seen
	// work counts the bytes examined while looking for intact records
	// after damage; past budget the scan stops.
	work, budget int64
	// synced says that records are grouped into commits. After damage
	// that hides a commit's extent, the records that follow are held in
	// pending and grouped at the end of the file (resolve), so that a torn
	// last commit is still cut whole and deletes are still checked.
	synced  bool
	pending []scanEntry
	// lostWant is the record count the damaged marker states, when it
	// reads as one (0 when not), and lostHave how many records of its
	// commit came before the damage.
	lostWant, lostHave int
}

// scanChecked checks and replays a data file in the checksummed format.
// It stops after limit damaged records (each costs a pass over the rest of
// the file to find the next intact record), setting stopped: the state is
// then incomplete.
func scanChecked(b []byte, limit int) *scanResult {
	s := &scanner{b: b, rp: &recordParser{p: bytesPeeker(b), keepKeys: true},
		res: &scanResult{size: int64(len(b)), state: map[string]string{}}, synced: true,
		budget: 16*int64(len(b)) + 1<<20}
	off := int64(0)
	for off < int64(len(b)) {
		if len(s.res.damage) > limit || s.work > s.budget {
			s.applyPending()
			s.res.stopped = true
			s.res.valid = off
			return s.res
		}
		res, err := s.rp.parse(off)
		if err == nil && res.status == parsedOK {
			e := s.entry(off, res.rec)
			if e.bad != nil && !e.bad.Recovered {
				// A changed length field can make a record swallow the
				// start of the next: when an intact record starts inside
				// this one, only the bytes before it are damaged.
				if next := s.resync(off+1, res.rec.end); next > 0 {
					s.add(s.region(off, next, e.bad.Reason))
					off = next
					continue
				}
			}
			s.add(e)
			off = res.rec.end
			continue
		}
		reason := "the file ends inside a record"
		if res.status == parsedCorrupt {
			reason = res.reason
		}
		next := s.resync(off+1, int64(len(b)))
		if s.work > s.budget {
			s.applyPending()
			s.res.stopped = true
			s.res.valid = off
			s.res.damage = append(s.res.damage, Damage{Offset: off, End: s.res.size,
				Reason: "looking for intact records after this damage cost more than a start allows"})
			return s.res
		}
		if next < 0 {
			// Nothing intact follows: a torn or overwritten tail.
			s.resolve()
			s.cutTail(off, reason)
			s.res.superseded()
			return s.res
		}
		s.add(s.region(off, next, reason))
		off = next
	}
	s.resolve()
	if len(s.group) > 0 {
		s.cutTail(int64(len(b)), "the file ends inside a commit")
	} else {
		s.res.valid = int64(len(b))
	}
	s.res.superseded()
	return s.res
}

// superseded clears what a damaged record lost when a later intact record
// set its key again: nothing of it is lost.
func (r *scanResult) superseded() {
	for i := range r.damage {
		d := &r.damage[i]
		if d.Recovered || d.Key == "" {
			continue
		}
		if _, ok := r.state[d.Key]; ok {
			d.Lost, d.Spans, d.holders = "", nil, nil
			d.Reason += "; a later record of the key is intact"
		}
	}
}

// entry classifies a well-formed record.
func (s *scanner) entry(off int64, rec aofRecord) scanEntry {
	e := scanEntry{off: off, rec: rec}
	bad := func(reason string) scanEntry {
		e.bad = &Damage{Offset: off, End: rec.end, Key: rec.key, Reason: reason, raw: s.b[off:rec.end]}
		return e
	}
	switch {
	case rec.kind == kindFlush:
		return bad("a flushdb record, which this package never writes")
	case rec.kind == kindDel:
		return e
	case rec.expiring && rec.relative:
		return bad("a record that expires relative to the file's time, which this package never writes")
	}
	// The value is read in place, not copied (a copy cost as many bytes
	// again as the file: 90 MB at a campus's start): the file's bytes are
	// never written once read, and the state that holds the value keeps
	// them alive.
	v := s.b[rec.valueOff : rec.valueOff+int64(rec.valueLen)]
	e.value = unsafe.String(unsafe.SliceData(v), len(v))
	if rec.key == commitKey {
		n, dels, ok := parseMarker(e.value)
		if !ok {
			v, n, dels, ok := recoverMarker(e.value)
			if !ok {
				return bad("the commit marker fails its checksum")
			}
			// One changed byte of its count or digest: the original
			// is proven by the checksum, and the commit is whole.
			e = bad("the commit marker fails its checksum; the byte changed was found by the checksum")
			e.bad.Recovered = true
			e.value, e.marker, e.count, e.dels = v, true, n, dels
			return e
		}
		e.marker, e.count, e.dels = true, n, dels
		return e
	}
	if _, ok := unseal(rec.key, e.value); !ok {
		e = bad("the record fails its checksum")
		if key, ok := recoverKey(rec.key, e.value); ok {
			e.bad.Key, e.bad.Recovered = key, true
			e.recoveredMarker()
		}
	}
	return e
}

// region is the damaged bytes b[off:next], read leniently as one set
// record (recoverRegion).
func (s *scanner) region(off, next int64, reason string) scanEntry {
	e := scanEntry{off: off, bad: &Damage{Offset: off, End: next, Reason: reason, raw: s.b[off:next]}}
	if key, value, ok := recoverRegion(e.bad.raw); ok {
		e.bad.Key, e.bad.Recovered = key, true
		e.rec.kind, e.value = kindSet, value
		e.recoveredMarker()
	} else {
		e.bad.Key = key
	}
	return e
}

// recoveredMarker makes a recovered record of the commit key a marker.
func (e *scanEntry) recoveredMarker() {
	if e.bad.Key != commitKey {
		return
	}
	if n, dels, ok := parseMarker(e.value); ok {
		e.marker, e.count, e.dels = true, n, dels
	}
}

// add puts an entry into the open commit, or applies it at once when the
// commits' extents are lost.
func (s *scanner) add(e scanEntry) {
	if !s.synced {
		s.pending = append(s.pending, e)
		return
	}
	if len(s.group) == 0 {
		s.start = e.off
	}
	s.group = append(s.group, e)
	switch {
	case e.bad != nil && e.bad.Key == commitKey && !e.marker:
		s.lose(statedCount(e.value))
		return
	case e.marker && (s.want != 0 || e.count < len(s.group)):
		s.lose(0)
		return
	case e.marker:
		s.want = e.count
	}
	if s.want > 0 && len(s.group) == s.want {
		s.commit()
	}
}

// lose applies the open commit's entries one by one and stops grouping;
// want is the count its damaged marker states (0 when unknown).
func (s *scanner) lose(want int) {
	for _, e := range s.group {
		s.applyOne(e)
	}
	s.lostWant, s.lostHave = want, len(s.group)
	s.group, s.want, s.synced = s.group[:0], 0, false
}

// commit applies a complete commit.
func (s *scanner) commit() {
	var dels uint32
	var want uint32
	for _, e := range s.group {
		switch {
		case e.marker:
			want = e.dels
		case e.bad == nil && e.rec.kind == kindDel:
			dels ^= delDigest(e.rec.key)
		}
	}
	if dels != want {
		s.badDelete(want ^ dels)
	}
	for _, e := range s.group {
		s.applyOne(e)
	}
	s.res.commits++
	s.group, s.want = s.group[:0], 0
}

// badDelete marks the del record of the open commit whose key was changed.
// diff is the commit's digest XOR the digest of its del records as read:
// for the damaged record it equals delDigest(read) ^ delDigest(original),
// so the original is the live key whose digest matches.
func (s *scanner) badDelete(diff uint32) {
	// A del record whose framing was damaged is missing altogether: the
	// difference is its key's digest.
	for i, e := range s.group {
		if e.bad == nil || e.bad.Recovered {
			continue
		}
		for k := range s.res.state {
			if delDigest(k) == diff {
				e.bad.Key, e.bad.Recovered = k, true
				s.group[i].rec.kind = kindDel
				return
			}
		}
	}
	first := -1
	for i, e := range s.group {
		if e.bad != nil || e.rec.kind != kindDel {
			continue
		}
		target := diff ^ delDigest(e.rec.key)
		for k := range s.res.state {
			if delDigest(k) == target {
				s.group[i].bad = &Damage{Offset: e.off, End: e.rec.end, Key: k, Recovered: true,
					Reason: "a deleted key fails its commit's digest; the key it named was found by the digest",
					raw:    s.b[e.off:e.rec.end]}
				return
			}
		}
		if _, live := s.res.state[e.rec.key]; !live && first < 0 {
			first = i
		}
	}
	if first >= 0 {
		// The key the record named is not live: deleting it changed
		// nothing, and nothing is lost.
		e := s.group[first]
		s.group[first].bad = &Damage{Offset: e.off, End: e.rec.end, Reason: "a deleted key fails its commit's digest",
			raw: s.b[e.off:e.rec.end]}
	}
}

// applyOne applies one entry to the state.
func (s *scanner) applyOne(e scanEntry) {
	if e.bad == nil {
		s.res.records++
		switch {
		case e.marker:
		case e.rec.kind == kindDel:
			delete(s.res.state, e.rec.key)
		case e.rec.expiring && !time.Unix(e.rec.expire, 0).After(time.Now()):
			// Already expired: buntdb does not load it either.
		default:
			if e.rec.expiring {
				s.res.expiring++
			}
			s.res.state[e.rec.key] = e.value
		}
		return
	}
	d := e.bad
	if d.Recovered {
		s.res.records++
		if e.marker {
		} else if e.rec.kind == kindDel {
			delete(s.res.state, d.Key)
		} else {
			s.res.state[d.Key] = e.value
		}
	} else if d.Key != "" && d.Key != commitKey {
		// The key's newest value is unknown: serve no older one.
		d.Lost = d.Key
		if old, ok := s.res.state[d.Key]; ok {
			d.Spans = append(d.Spans, lenientSpans([]byte(old))...)
			d.holders = append(d.holders, lenientHolders([]byte(old))...)
			delete(s.res.state, d.Key)
		}
	}
	if !d.Recovered {
		d.Spans = append(d.Spans, lenientSpans(d.raw)...)
		d.holders = append(d.holders, lenientHolders(d.raw)...)
	}
	s.res.damage = append(s.res.damage, *d)
}

// cutTail ends the scan with a tail cut at off, or at the start of the open
// commit when there is one.
func (s *scanner) cutTail(off int64, reason string) {
	cut := off
	if s.synced && len(s.group) > 0 {
		cut = s.start
		for _, e := range s.group {
			if e.bad != nil {
				d := *e.bad
				d.Tail = true
				s.res.tail = append(s.res.tail, d)
			} else {
				s.res.dropped++
			}
		}
	}
	if off < s.res.size {
		s.res.tail = append(s.res.tail, Damage{Offset: off, End: s.res.size, Reason: reason, Tail: true})
	}
	s.res.valid = cut
	s.group = s.group[:0]
}

// resync finds the first intact record that starts at or after from and
// before before: a set whose checksum holds, a commit marker whose
// checksum holds, or a del. It returns -1 when there is none.
func (s *scanner) resync(from, before int64) int64 {
	b := s.b
	for i := from; i < before; {
		j := bytes.IndexByte(b[i:before], '*')
		if j < 0 {
			return -1
		}
		at := i + int64(j)
		if s.work > s.budget {
			return -1
		}
		s.work += 16
		if res, err := s.rp.parse(at); err == nil && res.status == parsedOK {
			s.work += res.rec.end - at
			e := s.entry(at, res.rec)
			if e.bad == nil {
				return at
			}
		}
		i = at + 1
	}
	return -1
}

// items returns the state's items in key order.
func (r *scanResult) items() []snapshotItem {
	items := make([]snapshotItem, 0, len(r.state))
	for k, v := range r.state {
		items = append(items, snapshotItem{key: k, value: v})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	return items
}
