package sched

import "github.com/cipmini/cipmini/cipmini/vcal"

// eachRecipient calls f once for each address the participants of ev stand
// for, in the order of participants(ev): a group's members in its place, an
// address that is no group as written in ev; each canonical address (key)
// only once. A group whose definition loops is cut there; onLoop, when not
// nil, is first called with its address.
func (s *Scheduler) eachRecipient(ev *vcal.Event, onLoop func(group string), f func(addr, key string, p vcal.Participant)) {
	seen := map[string]bool{}
	for _, p := range participants(ev) {
		members, loops := s.dir.Expand(p.Address)
		if loops && onLoop != nil {
			onLoop(p.Address)
		}
		if len(members) == 1 && members[0] == s.dir.Canonical(p.Address) {
			members[0] = p.Address // not a group: answer with the id as sent
		}
		for _, addr := range members {
			key := s.dir.Canonical(addr)
			if seen[key] {
				continue
			}
			seen[key] = true
			f(addr, key, p)
		}
	}
}
