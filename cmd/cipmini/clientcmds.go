package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// clientFlags are the flags shared by the commands that talk to a server.
type clientFlags struct {
	server   *string
	login    *string
	password *string
	timeout  *time.Duration
}

func addClientFlags(fs *flag.FlagSet) *clientFlags {
	return &clientFlags{
		server:   fs.String("server", "127.0.0.1:5229", "the CIP server's `address` (host:port)"),
		login:    fs.String("login", "", "log in with this `identity` (a user or a server id) first"),
		password: fs.String("password", "", "the `password` for --login"),
		timeout:  fs.Duration("timeout", 30*time.Second, "time allowed for the whole exchange"),
	}
}

// exchange connects, logs in when asked to, runs one command with the
// --timeout for the whole exchange, and says QUIT.
func (cf *clientFlags) exchange(do func(ctx context.Context, c *cipmini.Client) (*cipmini.Reply, error)) (*cipmini.Reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), *cf.timeout)
	defer cancel()
	c, err := cf.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Quit(ctx)
	return do(ctx, c)
}

// dial connects and logs in when asked to.
func (cf *clientFlags) dial(ctx context.Context) (*cipmini.Client, error) {
	c, err := cipmini.Dial(ctx, *cf.server)
	if err != nil {
		return nil, err
	}
	if *cf.login != "" {
		r, err := c.Authenticate(ctx, *cf.login, *cf.password)
		if err == nil {
			err = r.Err()
		}
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("cipmini: login as %s: %w", *cf.login, err)
		}
	}
	return c, nil
}

// readInput reads a file, or standard input for "-", at most 1 MiB.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(b) > 1<<20 {
		return nil, errors.New("cipmini: input over 1 MiB")
	}
	return b, nil
}

// printReply prints the informational lines and the completion of an answer
// and turns a NO into an error.
func printReply(w io.Writer, r *cipmini.Reply) error {
	for _, in := range r.Info {
		fmt.Fprintln(w, in.String())
	}
	fmt.Fprintln(w, r.Completion.String())
	if !r.Completion.OK {
		return errors.New("cipmini: the server answered NO")
	}
	return nil
}

func cmdSend(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("send", stderr)
	cf := addClientFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: cipmini send [--server ADDR] [--login ID --password PW] FILE|-")
		return errUsage
	}
	data, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		return err
	}
	r, err := cf.exchange(func(ctx context.Context, c *cipmini.Client) (*cipmini.Reply, error) {
		return c.SendEvent(ctx, data)
	})
	if err != nil {
		return err
	}
	return printReply(stdout, r)
}

func cmdFreeBusy(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("freebusy", stderr)
	cf := addClientFlags(fs)
	now := time.Now().UTC()
	from := fs.String("from", now.Format("2006-01-02"), "start of the window: `date` (2006-01-02) or UTC date-time (20060102T150405Z)")
	to := fs.String("to", "", "end of the window (default: 7 days after --from)")
	ics := fs.Bool("ics", false, "print the VFREEBUSY calendar as the server sent it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: cipmini freebusy [--server ADDR] [--from T] [--to T] [--ics] USER...")
		return errUsage
	}
	start, err := parseWhen(*from)
	if err != nil {
		return err
	}
	end := start.AddDate(0, 0, 7)
	if *to != "" {
		if end, err = parseWhen(*to); err != nil {
			return err
		}
	}
	var req strings.Builder
	for _, u := range fs.Args() {
		fmt.Fprintf(&req, "ATTENDEE:%s\r\n", u)
	}
	fmt.Fprintf(&req, "DTSTART:%s\r\nDTEND:%s\r\n", start.Format(icalUTC), end.Format(icalUTC))

	r, err := cf.exchange(func(ctx context.Context, c *cipmini.Client) (*cipmini.Reply, error) {
		return c.FreeBusy(ctx, []byte(req.String()))
	})
	if err != nil {
		return err
	}
	if *ics {
		stdout.Write(r.Data)
	} else if r.Data != nil {
		if err := printBusyTable(stdout, r.Data); err != nil {
			return err
		}
	}
	for _, in := range r.Info {
		fmt.Fprintln(stderr, in.String())
	}
	if !r.Completion.OK {
		return fmt.Errorf("cipmini: the server answered %s", r.Completion)
	}
	return nil
}

const icalUTC = "20060102T150405Z"

// parseWhen reads a date (midnight UTC) or a UTC date-time.
func parseWhen(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", icalUTC, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cipmini: %q is neither 2006-01-02 nor 20060102T150405Z", s)
}

// printBusyTable prints the busy periods of a VFREEBUSY answer, one line
// each: user, start, end (UTC), type.
func printBusyTable(w io.Writer, data []byte) error {
	fbs, err := vcal.ParseFreeBusy(data, nil)
	if err != nil {
		return fmt.Errorf("cipmini: reading the free/busy answer: %w", err)
	}
	for _, fb := range fbs {
		user := strings.Join(fb.Attendees, ",")
		fmt.Fprintf(w, "%s  %s .. %s\n", user, fb.Start.Format(tableTime), fb.End.Format(tableTime))
		if len(fb.Periods) == 0 {
			fmt.Fprintln(w, "  free")
		}
		for _, p := range fb.Periods {
			fmt.Fprintf(w, "  %s  %s  %s\n", p.Start.Format(tableTime), p.End.Format(tableTime), p.Type)
		}
	}
	return nil
}

const tableTime = "2006-01-02 15:04Z"
