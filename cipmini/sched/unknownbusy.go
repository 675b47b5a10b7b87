package sched

import (
	"fmt"
	"time"
)

// QuarantineUIDPrefix starts the UID under which the free/busy index keeps
// the busy time of a quarantined event: "quarantined-<offset>-<n>@damaged".
// Its summary and owner are unknown.
const QuarantineUIDPrefix = "quarantined-"

// keepQuarantinedBusy puts the busy spans still readable in the quarantined
// records into the free/busy index, as busy time of unknown origin, so that
// damage never silently frees a room: for the holders read from the damaged
// record, or for every local user when they could not all be read.
func (s *Scheduler) keepQuarantinedBusy() int {
	n := 0
	for i, q := range s.db.Quarantined() {
		if q.Recovered || len(q.Spans) == 0 {
			continue
		}
		// A holder's name that is no local user may be the damage:
		// then every local user is kept busy.
		var users []string
		for _, h := range q.Holders {
			if s.dir.User(h) == nil {
				users = nil
				break
			}
			users = append(users, h)
		}
		if len(users) == 0 {
			for _, u := range s.dir.Users() {
				users = append(users, u.ID)
			}
		}
		entries := make([]indexEntry, 0, len(users))
		for _, u := range users {
			entries = append(entries, indexEntry{user: s.dir.Canonical(u)})
		}
		for j, sp := range q.Spans {
			uid := fmt.Sprintf("%s%d-%d-%d@damaged", QuarantineUIDPrefix, q.Offset, i, j)
			s.index.put(uid, entries, []period{{UID: uid, Start: time.Unix(sp[0], 0).UTC(), End: time.Unix(sp[1], 0).UTC()}}, nil)
			n++
		}
	}
	if n > 0 {
		s.log.Warn("store: busy time of damaged records kept as busy of unknown origin", "spans", n)
	}
	return n
}
