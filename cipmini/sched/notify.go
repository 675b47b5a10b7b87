package sched

// OnChange registers fn to be called after stored events changed, whatever
// door the change came through: Deliver and Answer (and so CIP's SENDEVENT
// and RSVP, and the room panel), and Maintain archiving past events.
// Readers that cache what they show (the HTTP face's Last-Modified) learn
// of changes so. fn runs on the goroutine that made the change, once the
// change is on disk and in the free/busy index and the Scheduler's lock is
// released, so it may read the Scheduler; one call may stand for several
// changes made at once. fn should return quickly. OnChange is safe for
// concurrent use.
func (s *Scheduler) OnChange(fn func()) {
	s.subMu.Lock()
	s.subs = append(s.subs, fn)
	s.subMu.Unlock()
}

// noteChange records that a change was committed; the caller holds s.mu.
func (s *Scheduler) noteChange() { s.pending.Store(true) }

// notifyChanged calls the functions registered with OnChange when a change
// was committed since the last call. The doors that change data defer it
// before taking s.mu, so that it runs after the lock is released.
func (s *Scheduler) notifyChanged() {
	if !s.pending.Swap(false) {
		return
	}
	s.subMu.Lock()
	subs := s.subs
	s.subMu.Unlock()
	for _, fn := range subs {
		fn()
	}
}
