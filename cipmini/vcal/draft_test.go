package vcal

import (
	"errors"
	"strings"
	"testing"
)

// The draft's examples (testdata/draft-*.txt), cleaned of page breaks. The
// section 3.0 Project X example writes placeholders for UID and times; the
// file fills in concrete ones.
func TestDraftEvents(t *testing.T) {
	tests := []struct {
		file string
		want wantEvent
		cns  []string // CN of each attendee
	}{
		{"draft-newyear-2.2.txt", wantEvent{
			uid: "23454321abcdabcd@clearblue.com", seq: 1,
			start: utc("1997-01-01T01:00"), end: utc("1997-01-01T11:00"),
			organizer: "poleary@clearblue.com", orgCN: "Pete O'Leary",
			attendees: []string{"president@whitehouse.gov NEEDS-ACTION", "jen@yip.com NEEDS-ACTION"},
		}, []string{"Bill Clinton", "Jen Yip"}},
		{"draft-bill-mary-3.0.txt", wantEvent{
			uid: "0289AF8G7DD@abc.com", seq: 1,
			start: utc("1996-11-26T20:30"), end: utc("1996-11-26T21:30"),
			organizer: "bill@abc.com",
			attendees: []string{"bill@abc.com ACCEPTED", "mary@xyz.com TENTATIVE"},
			summary:   "Important Meeting",
		}, []string{"", ""}},
		{"draft-projectx-3.0.txt", wantEvent{
			uid: "projectx-review-19961210@a.com", seq: 1,
			start: utc("1996-12-10T22:00"), end: utc("1996-12-10T23:00"),
			organizer: "poleary@a.com", orgCN: "Pete O'Leary",
			attendees: []string{"alex@a.com NEEDS-ACTION", "bob@b.com NEEDS-ACTION"},
		}, []string{"Alex SystemA", "Bob SystemB"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			events, err := ParseEvents(readTestdata(t, tt.file), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 {
				t.Fatalf("%d events", len(events))
			}
			e := events[0]
			checkEvent(t, e, tt.want)
			for i, cn := range tt.cns {
				if e.Attendees[i].CN != cn {
					t.Errorf("attendee %d CN %q, want %q", i, e.Attendees[i].CN, cn)
				}
			}
			if !e.DTStamp.Equal(utc("1970-01-01T00:00")) {
				t.Errorf("DTStamp %v", e.DTStamp)
			}
			out := encodeEvent(t, e)
			again, err := ParseEvents(out, nil)
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, out)
			}
			if d := modelDiff(e, again[0]); d != "" {
				t.Fatalf("round trip: %s\n%s", d, out)
			}
			if !strings.Contains(string(out), "ORGANIZER") || !strings.Contains(string(out), "VERSION:2.0") {
				t.Fatalf("encoded:\n%s", out)
			}
		})
	}
}

func TestDraftNewYearEncoding(t *testing.T) {
	events, err := ParseEvents(readTestdata(t, "draft-newyear-2.2.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := string(encodeEvent(t, events[0]))
	for _, want := range []string{
		"DTSTART:19970101T010000Z\r\n",
		"DTEND:19970101T110000Z\r\n",
		"ORGANIZER;CN=Pete O'Leary:mailto:poleary@clearblue.com\r\n",
		"ATTENDEE;CN=Bill Clinton;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:mailto:\r\n president@whitehouse.gov\r\n",
		"DESCRIPTION:New year's eve party in New York. The Big 2000!\r\n",
		"SEQUENCE:1\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("encoded output lacks %q:\n%s", want, out)
		}
	}
}

func TestDraftReplies(t *testing.T) {
	r, err := ParseReply(readTestdata(t, "draft-rsvp-bob-3.0.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.UID != "projectx-review-19961210@a.com" || r.Sequence != 1 || len(r.Attendees) != 1 ||
		r.Attendees[0].Address != "bob@b.com" || r.Attendees[0].PartStat != "ACCEPTED" || r.Attendees[0].CN != "Bob SystemB" {
		t.Fatalf("bob's reply %+v", r)
	}
	r, err = ParseReply(readTestdata(t, "draft-rsvp-mary-3.0.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.UID != "0289AF8G7DD@abc.com" || r.Sequence != 1 || len(r.Attendees) != 1 ||
		r.Attendees[0].Address != "mary@xyz.com" || r.Attendees[0].PartStat != "ACCEPTED" {
		t.Fatalf("mary's reply %+v", r)
	}
	// Section 2.3's RSVP has no UID (docs/PROTOCOL.md section 5.5: NO 001 UID
	// required).
	_, err = ParseReply(readTestdata(t, "draft-rsvp-jen-2.3.txt"), nil)
	var me *MissingError
	if !errors.As(err, &me) || me.Prop != "UID" {
		t.Fatalf("section 2.3 RSVP: %v", err)
	}
}

func TestFreeBusyRequestExample(t *testing.T) {
	req, err := ParseFreeBusyRequest(readTestdata(t, "freebusy-request-6.4.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(req.Users, ",") != "room-4@acme.example" ||
		!req.Start.Equal(utc("2026-11-30T08:00")) || !req.End.Equal(utc("2026-12-04T18:00")) {
		t.Fatalf("request %+v", req)
	}
}
