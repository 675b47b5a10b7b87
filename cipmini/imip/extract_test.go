package imip

import (
	"errors"
	"strings"
	"testing"

	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/emersion/go-message/textproto"
)

const testCal = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300102T090000Z\r\nDTEND:20300102T100000Z\r\nORGANIZER:mailto:bob@partner.example\r\nATTENDEE:mailto:room@acme.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// shapesForTest are the MIME shapes of the mail clients (Outlook, Google,
// Apple, Thunderbird) and the seeds of FuzzExtract.
var shapesForTest = []string{
	"From: bob@partner.example\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nhi\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--a\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n" + testCal + "--a--\r\n--m\r\nContent-Type: application/ics; name=invite.ics\r\nContent-Disposition: attachment; filename=invite.ics\r\n\r\n" + testCal + "--m--\r\n",
	"From: bob@partner.example\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nhi\r\n--a\r\nContent-Type: text/calendar; charset=UTF-8; method=REQUEST\r\nContent-Transfer-Encoding: base64\r\n\r\nQkVHSU46VkNBTEVOREFSDQpNRVRIT0Q6UkVRVUVTVA0KRU5EOlZDQUxFTkRBUg0K\r\n--a--\r\n",
	"From: bob@partner.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\n\r\n--x\r\nContent-Disposition: attachment; filename=iCal-1.ics\r\nContent-Type: application/octet-stream; name=iCal-1.ics\r\n\r\n" + testCal + "--x--\r\n",
	"From: bob@partner.example\r\nContent-Type: text/calendar; method=CANCEL\r\n\r\n" + strings.Replace(testCal, "REQUEST", "CANCEL", 1),
}

func TestExtractShapes(t *testing.T) {
	for i, msg := range shapesForTest {
		_, p, err := Extract(strings.NewReader(msg), nil)
		if err != nil || (p.Method != "REQUEST" && p.Method != "CANCEL") || !strings.Contains(string(p.Data), "METHOD:") {
			t.Errorf("shape %d: %v %+v", i, err, p)
		}
	}
}

func TestExtractBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: bob@partner.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := 0; i < 1000; i++ {
		b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n")
	}
	b.WriteString("--b--\r\n")
	r := &countReader{r: strings.NewReader(b.String())}
	if _, _, err := Extract(r, nil); !errors.Is(err, ErrTooManyPart) {
		t.Errorf("1,000 parts: %v", err)
	}
	if r.n >= b.Len() {
		t.Errorf("1,000 parts: read all %d octets", r.n)
	}
	deep := "From: a@b\r\nContent-Type: multipart/mixed; boundary=0\r\n\r\n"
	for i := 1; i < 8; i++ {
		deep += "--" + string(rune('0'+i-1)) + "\r\nContent-Type: multipart/mixed; boundary=" + string(rune('0'+i)) + "\r\n\r\n"
	}
	if _, _, err := Extract(strings.NewReader(deep), nil); !errors.Is(err, ErrTooDeep) {
		t.Errorf("nesting: %v", err)
	}
	big := "From: a@b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n" + strings.Repeat("x", 2000)
	if _, _, err := Extract(strings.NewReader(big), &Limits{MaxBytes: 1000}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size: %v", err)
	}
}

type countReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += k
	return k, err
}

func TestScreen(t *testing.T) {
	h := func(kv ...string) textproto.Header {
		var x textproto.Header
		for i := 0; i < len(kv); i += 2 {
			x.Add(kv[i], kv[i+1])
		}
		return x
	}
	for _, c := range []struct {
		rp   string
		h    textproto.Header
		want string
	}{
		{"<>", h("From", "bob@x"), "bounce"},
		{"bob@x", h("From", "MAILER-DAEMON@x"), "bounce"},
		{"bob@x", h("From", "bob@x", "Content-Type", "multipart/report; report-type=delivery-status"), "bounce"},
		{"bob@x", h("From", "bob@x", "Auto-Submitted", "auto-replied"), "automatic"},
		{"bob@x", h("From", "bob@x", "Precedence", "bulk"), "automatic"},
		{"bob@x", h("From", "bob@x", "X-Auto-Response-Suppress", "All"), "automatic"},
		{"bob@x", h("From", "bob@x", LoopHeader, "rooms.test"), "loop"},
		{"bob@x", h("From", "bob@x", "Message-Id", "<1.imip@rooms.test>"), "loop"},
		{"bob@x", h("From", "bob@x", "Auto-Submitted", "no"), ""},
	} {
		got := Screen(c.rp, c.h, "rooms.test")
		if (c.want == "") != (got == "") || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s %v: %q, want %q", c.rp, c.h, got, c.want)
		}
	}
}

func TestAuthenticated(t *testing.T) {
	var h textproto.Header
	h.Add("Authentication-Results", "other.example; dkim=pass header.d=acme.example")
	if Authenticated(h, "mx.acme.example", "bob@acme.example") {
		t.Error("another authserv-id was trusted")
	}
	h.Add("Authentication-Results", "mx.acme.example (postfix); spf=fail smtp.mailfrom=bob@acme.example; dkim=pass (2048-bit key) header.d=evil.example")
	if Authenticated(h, "mx.acme.example", "bob@acme.example") {
		t.Error("an unaligned dkim=pass was trusted")
	}
	h.Add("Authentication-Results", "mx.acme.example; dkim=pass header.d=mail.acme.example header.s=s1")
	if !Authenticated(h, "mx.acme.example", "bob@acme.example") {
		t.Error("an aligned dkim=pass was not trusted")
	}
}

// FuzzExtract: no message makes Extract panic or exceed its bounds, and
// whatever calendar data it finds goes through vcal's bounded parser.
func FuzzExtract(f *testing.F) {
	for _, s := range shapesForTest {
		f.Add([]byte(s))
	}
	f.Add([]byte("From: a@b\r\nContent-Type: multipart/report; boundary=z\r\n\r\n--z\r\n\r\n--z--\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		lim := &Limits{MaxBytes: 64 << 10, MaxParts: 16, MaxDepth: 3, MaxCalendarBytes: 16 << 10}
		_, p, err := Extract(strings.NewReader(string(msg)), lim)
		if err != nil {
			return
		}
		if len(p.Data) > 16<<10 || !methods[p.Method] {
			t.Fatalf("part %q of %d octets", p.Method, len(p.Data))
		}
		vcal.ParseEvents(p.Data, nil)
		vcal.ParseReply(p.Data, nil)
	})
}
