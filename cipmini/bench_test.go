package cipmini

import (
	"context"
	"testing"
)

// draftEvent is the event of the draft's section 2.2, its page breaks removed.
const draftEvent = "DTSTART: 19961231T2000-0500\r\n" +
	"DTEND: 19970101T0600-0500\r\n" +
	"DESCRIPTION: New year's eve party in New York. The Big 2000!\r\n" +
	"ATTENDEE; ROLE=OWNER: Pete O'Leary <poleary@clearblue.com>\r\n" +
	"ATTENDEE: Bill Clinton <president@whitehouse.gov>\r\n" +
	"ATTENDEE: Jen Yip <jen@yip.com>\r\n" +
	"SEQUENCE: 1\r\n" +
	"UID: 23454321abcdabcd@clearblue.com\r\n"

// BenchmarkSendEventRoundTrip measures one SENDEVENT, from the client's
// command to the server's completion, over loopback TCP with the echo backend.
func BenchmarkSendEventRoundTrip(b *testing.B) {
	addr := startServer(b, &Server{})
	c := dialClient(b, addr)
	ctx := context.Background()
	data := []byte(draftEvent)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := c.SendEvent(ctx, data)
		if err != nil || !r.Completion.OK {
			b.Fatal(err, r)
		}
	}
}
