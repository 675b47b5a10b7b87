package store

// After a damaged commit marker the scanner no longer knows where commits
// start: the marker of a commit may be any of its records (buntdb writes a
// commit's records in no fixed order). The records that follow are held
// until the end of the file and then grouped: x records finish the
// damaged commit, and from there each commit holds the count its intact
// marker states, the marker among them. The x that the damaged marker's
// count (when it still reads as one) gives is taken when it is consistent;
// otherwise the consistent x that cuts the least, so that no complete
// commit is lost. A last commit with too few records, or records after the
// last commit with no marker, is a torn tail and is cut whole, as when the
// commits were in step. When no x is consistent (more damage among the
// held records), they are applied one by one.

// resolve groups the held records; the torn tail, if any, is left as the
// open commit for cutTail.
func (s *scanner) resolve() {
	if s.synced {
		return
	}
	p := s.pending
	s.pending, s.synced = nil, true
	first := -1
	for i, e := range p {
		if e.marker {
			first = i
			break
		}
	}
	if first < 0 {
		// No intact marker after the damage: nothing to group by.
		for _, e := range p {
			s.applyOne(e)
		}
		return
	}
	x, cut := -1, -1
	if n := s.lostWant - s.lostHave; s.lostWant > 0 && n >= 0 && n <= first {
		if c, ok := chainCommits(p, n); ok {
			x, cut = n, c
		}
	}
	if x < 0 {
		for n := 0; n <= first; n++ {
			if c, ok := chainCommits(p, n); ok && c > cut {
				x, cut = n, c
			}
		}
	}
	if x < 0 {
		for _, e := range p {
			s.applyOne(e)
		}
		return
	}
	for _, e := range p[:x] {
		s.applyOne(e)
	}
	for pos := x; pos < cut; {
		n := 0
		for i := pos; ; i++ {
			if p[i].marker {
				n = p[i].count
				break
			}
		}
		s.group = append(s.group[:0], p[pos:pos+n]...)
		s.commit()
		pos += n
	}
	s.group = append(s.group[:0], p[cut:]...)
	if len(s.group) > 0 {
		s.start = s.group[0].off
	}
}

// chainCommits groups p into commits from x on (see resolve). It returns
// where the complete commits end (len(p) when the last one is complete),
// and false when the grouping contradicts a marker.
func chainCommits(p []scanEntry, x int) (int, bool) {
	pos := x
	for pos < len(p) {
		m := -1
		for i := pos; i < len(p); i++ {
			if p[i].marker {
				m = i
				break
			}
		}
		if m < 0 {
			return pos, true // a torn commit whose marker was not written
		}
		n := p[m].count
		if m-pos >= n {
			return 0, false
		}
		end := min(pos+n, len(p))
		for i := m + 1; i < end; i++ {
			if p[i].marker {
				return 0, false
			}
		}
		if pos+n > len(p) {
			return pos, true // a torn commit that lacks records
		}
		pos += n
	}
	return pos, true
}

// applyPending applies the held records one by one (the scan stops).
func (s *scanner) applyPending() {
	for _, e := range s.pending {
		s.applyOne(e)
	}
	s.pending = nil
}

// statedCount reads the record count of a damaged marker's stored value,
// without its checksum: 0 when it does not read as one.
func statedCount(stored string) int {
	if len(stored) < envelopeLen {
		return 0
	}
	n, _, found := cut(stored[envelopeLen:], ':')
	if !found || !canonicalUint([]byte(n)) || len(n) > 9 {
		return 0
	}
	c := 0
	for i := 0; i < len(n); i++ {
		c = c*10 + int(n[i]-'0')
	}
	return c
}
