package main

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/caltime"
	"github.com/cipmini/cipmini/cipmini/courier"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/store"
)

// demoConfig is the configuration `cipmini serve` runs with when no file is
// given: the server cipmini.local with a room, a projector and alice.
//
//go:embed demo.toml
var demoConfig string

// Config is the configuration file, TOML. Its key names are part of
// cipmini's interface: keys are added, never renamed.
type Config struct {
	ServerID           string   `toml:"server_id"`
	Aliases            []string `toml:"aliases"`
	Listen             string   `toml:"listen"`
	DataDir            string   `toml:"data_dir"`
	Sync               string   `toml:"sync"` // always (default), second, never
	AllowAnonymousRSVP bool     `toml:"allow_anonymous_rsvp"`
	DNSResolver        string   `toml:"dns_resolver"`
	// MaxConns is the number of CIP sessions served at once: default 64,
	// or the --board profile's.
	MaxConns int `toml:"max_conns"`
	// The outgoing queue's retries (docs/PROTOCOL.md section 11.3), as Go
	// durations: the first after 30s, doubling, at most 1h apart, given up
	// after 72h.
	QueueRetryFirst string `toml:"queue_retry_first"`
	QueueRetryMax   string `toml:"queue_retry_max"`
	QueueGiveUp     string `toml:"queue_give_up"`
	// Security (README, Security; tlsconfig.go): PEM files for this
	// server's certificate and key and for the peers' CA or pinned
	// certificates; the implicit-TLS listener (":5230" when TLS is
	// configured, "" for none); and the wearing-down limits, where an
	// unset key means the default and 0 means no limit.
	TLSCert                   string  `toml:"tls_cert"`
	TLSKey                    string  `toml:"tls_key"`
	PeerCA                    string  `toml:"peer_ca"`
	TLSListen                 *string `toml:"tls_listen"`
	AllowPlaintextLogin       bool    `toml:"allow_plaintext_login"`
	MaxConnsPerAddr           *int    `toml:"max_conns_per_addr"`            // default half of max_conns
	MaxLoginFailuresPerMinute *int    `toml:"max_login_failures_per_minute"` // default 10
	MaxEventsPerHour          *int    `toml:"max_events_per_hour"`           // default 600, per client, RSVPs included
	// Resource bounds (README, Security; quotas.go): octets of SENDEVENT
	// and RSVP data per client an hour (default 4 MiB), the data file's
	// cap for new invitations and changes that grow a stored event
	// (default 64 MiB, or the board's), HTTP connections
	// (default 64, or the board's), the wait before a failed login is
	// answered ("1s"), and how long a session may sit idle while the
	// server is more than three quarters full ("30s").
	MaxBytesPerHour  *int64 `toml:"max_bytes_per_hour"`
	MaxStoreBytes    *int64 `toml:"max_store_bytes"`
	MaxHTTPConns     *int   `toml:"max_http_conns"`
	AuthFailureDelay string `toml:"auth_failure_delay"`
	BusyIdleTimeout  string `toml:"busy_idle_timeout"`

	// The Go runtime's memory (README, Deploy on a Raspberry Pi;
	// memory.go): the soft memory limit in GOMEMLIMIT's syntax ("128MiB")
	// and the collector's target percentage, GOGC. Unset means the
	// --board profile's, else the runtime's default (no limit, 100); a
	// GOMEMLIMIT or GOGC variable in the environment wins.
	GoMemLimit string `toml:"gomemlimit"`
	GOGC       *int   `toml:"gogc"`

	// AnonymousStoreShare is the part of max_store_bytes anonymous
	// sessions may fill (default 0.75; above 0, at most 1).
	AnonymousStoreShare *float64 `toml:"anonymous_store_share"`
	// HTTP (README, Room panel and HTTP; httpconfig.go): the listen
	// address of free/busy, ICS, room panel, /healthz and /metrics ("" for
	// none, the default); the PIN or token panel actions need ("": the
	// panel is read-only); how long after its start a booking nobody
	// checked in to is released (a Go duration; "" or "0": never).
	HTTPListen   string `toml:"http_listen"`
	PanelPIN     string `toml:"panel_pin"`
	CheckInGrace string `toml:"checkin_grace"`
	// Bounds on state (README, Retention; retention.go): days an event
	// stays after its last occurrence ended (default 400, 0 keeps all);
	// the local time of the nightly step (default "03:30"); messages and
	// bytes queued per peer (default 1000 and the board's, else "8MiB";
	// 0 means no limit).
	KeepHistoryDays      *int   `toml:"keep_history_days"`
	MaintenanceAt        string `toml:"maintenance_at"`
	QueueMaxPerPeer      *int   `toml:"queue_max_per_peer"`
	QueueMaxBytesPerPeer string `toml:"queue_max_bytes_per_peer"`
	// Durability (README, Data on the SD card; durability.go): the local
	// time of the daily snapshot ("HH:MM", default "03:00"; "off": none),
	// how many are kept (default 7), a second directory for them (e.g. a
	// USB stick; "": none), and how many damaged records the start takes
	// out of the data file before it refuses instead (default 10).
	BackupAt          string `toml:"backup_at"`
	BackupKeep        *int   `toml:"backup_keep"`
	BackupDir         string `toml:"backup_dir"`
	MaxDamagedRecords *int   `toml:"max_damaged_records"`

	MailConfig
	IMAPConfig

	Users     []UserConfig     `toml:"user"`
	Peers     []PeerConfig     `toml:"peer"`
	Redirects []RedirectConfig `toml:"redirect"`
	Groups    []GroupConfig    `toml:"group"`

	// meta tells which keys the file sets, so that a --board profile
	// fills in only the others.
	meta toml.MetaData
	// guard is the login guard CIP and HTTP share, made by loginGuard.
	guard *cipmini.LoginGuard
}

// UserConfig is one [[user]].
type UserConfig struct {
	Name         string `toml:"name"`
	Password     string `toml:"password"`
	PasswordHash string `toml:"password_hash"`
	Kind         string `toml:"kind"`     // person (default), room, equipment
	Invite       string `toml:"invite"`   // anyone, authenticated (default)
	FreeBusy     string `toml:"freebusy"` // public, authenticated, private
	Policy       string `toml:"policy"`   // resources: accept-if-free (default), accept-always, decline-always, manual
	// Resources' booking limits (docs/PROTOCOL.md section 10.2); zero values
	// mean no limit.
	TimeZone           string   `toml:"timezone"`      // IANA or Windows zone name for working_hours; default UTC
	WorkingHours       string   `toml:"working_hours"` // "Mon-Fri 08:00-18:00"
	BookingWindowDays  int      `toml:"booking_window_days"`
	MaxDurationMinutes int      `toml:"max_duration_minutes"`
	AllowRecurring     *bool    `toml:"allow_recurring"` // default true
	MaxConflicts       int      `toml:"max_conflicts"`
	AllowedOrganizers  []string `toml:"allowed_organizers"` // domains or addresses
	// ShowTitles lets the ICS feed and the room panel show event titles
	// and organizers (default false: "Busy").
	ShowTitles bool `toml:"show_titles"`
	// Email lists the mail addresses the mail door takes for this user
	// (README, The mail door); several are allowed.
	Email []string `toml:"email"`
}

// PeerConfig is one [[peer]].
type PeerConfig struct {
	ServerID      string `toml:"server_id"`
	Password      string `toml:"password"`
	LoginPassword string `toml:"login_password"`
	Address       string `toml:"address"`
	// Aliases are other domains the peer speaks for: it may change events
	// organized there (default: its server id only).
	Aliases []string `toml:"aliases"`
}

// RedirectConfig is one [[redirect]]: a moved user, or with kind = "event"
// an event whose UID changed.
type RedirectConfig struct {
	From string `toml:"from"`
	To   string `toml:"to"`
	Kind string `toml:"kind"` // user (default) or event
}

// GroupConfig is one [[group]].
type GroupConfig struct {
	Name    string   `toml:"name"`
	Members []string `toml:"members"`
}

// loadConfig reads a configuration file; an empty path means the embedded
// demo configuration.
func loadConfig(path string) (*Config, error) {
	text, name := demoConfig, "demo configuration"
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		text, name = string(b), path
	}
	return parseConfig(text, name)
}

// parseConfig decodes and checks a configuration. Unknown keys are errors, so
// that a misspelt setting is not silently ignored.
func parseConfig(text, name string) (*Config, error) {
	var c Config
	md, err := toml.Decode(text, &c)
	if err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("cipmini: %s: unknown setting %s", name, strings.Join(keys, ", "))
	}
	c.meta = md
	if c.ServerID == "" {
		return nil, fmt.Errorf("cipmini: %s: server_id is required", name)
	}
	if c.MaxConns < 0 {
		return nil, fmt.Errorf("cipmini: %s: max_conns = %d: want a positive number", name, c.MaxConns)
	}
	if c.Listen == "" {
		c.Listen = ":5229"
	}
	if c.DataDir == "" {
		c.DataDir = "cipmini-data"
	}
	if _, err := c.syncPolicy(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if _, err := c.backoff(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if err := c.checkSecurity(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if _, err := c.checkInGrace(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if err := c.checkQuotas(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if err := c.checkMemory(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if err := c.checkRetention(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if err := c.checkDurability(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if _, err := c.Directory(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if err := c.checkMail(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	if err := c.checkIMAP(); err != nil {
		return nil, fmt.Errorf("cipmini: %s: %w", name, err)
	}
	return &c, nil
}

// syncPolicy maps the sync setting to the store's policy.
func (c *Config) syncPolicy() (store.SyncPolicy, error) {
	switch c.Sync {
	case "", "always":
		return store.SyncAlways, nil
	case "second":
		return store.SyncEverySecond, nil
	case "never":
		return store.SyncNever, nil
	}
	return 0, fmt.Errorf("sync = %q: want always, second or never", c.Sync)
}

// Directory builds the store's directory of users, peers, redirects and
// groups from the configuration.
func (c *Config) Directory() (*directory.Directory, error) {
	d := directory.NewDirectory(c.ServerID, c.Aliases...)
	d.AllowAnonymousRSVP = c.AllowAnonymousRSVP
	for _, uc := range c.Users {
		u, err := uc.user(d)
		if err != nil {
			return nil, err
		}
		if err := d.AddUser(u); err != nil {
			return nil, err
		}
	}
	for _, pc := range c.Peers {
		if pc.ServerID == "" {
			return nil, errors.New("[[peer]] without server_id")
		}
		p := &directory.Peer{ServerID: pc.ServerID, LoginPassword: pc.LoginPassword, Address: pc.Address, Aliases: pc.Aliases}
		if pc.Password != "" {
			p.Password = secret(pc.Password)
		}
		if err := d.AddPeer(p); err != nil {
			return nil, err
		}
	}
	for _, r := range c.Redirects {
		if r.From == "" || r.To == "" {
			return nil, errors.New("[[redirect]] needs from and to")
		}
		switch r.Kind {
		case "", "user":
			if err := d.AddRedirect(d.UserID(r.From), d.UserID(r.To)); err != nil {
				return nil, err
			}
		case "event":
			d.AddEventRedirect(r.From, r.To)
		default:
			return nil, fmt.Errorf("[[redirect]] kind = %q: want user or event", r.Kind)
		}
	}
	for _, g := range c.Groups {
		if err := d.AddGroup(d.UserID(g.Name), g.Members); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// secret takes a password setting: a bcrypt hash is kept as one, anything
// else is a plain password.
func secret(s string) *directory.Secret {
	if strings.HasPrefix(s, "$2") {
		if sec, err := directory.BcryptSecret(s); err == nil {
			return sec
		}
	}
	return directory.PlainSecret(s)
}

func (uc *UserConfig) user(d *directory.Directory) (*directory.User, error) {
	if uc.Name == "" {
		return nil, errors.New("[[user]] without name")
	}
	u := &directory.User{ID: d.UserID(uc.Name)}
	switch uc.Kind {
	case "", "person":
		u.Kind = directory.Person
	case "room":
		u.Kind = directory.Room
	case "equipment":
		u.Kind = directory.Equipment
	default:
		return nil, fmt.Errorf("user %s: kind = %q: want person, room or equipment", uc.Name, uc.Kind)
	}
	switch {
	case uc.PasswordHash != "" && uc.Password != "":
		return nil, fmt.Errorf("user %s: give password or password_hash, not both", uc.Name)
	case uc.PasswordHash != "":
		sec, err := directory.BcryptSecret(uc.PasswordHash)
		if err != nil {
			return nil, fmt.Errorf("user %s: password_hash: %w", uc.Name, err)
		}
		u.Password = sec
	case uc.Password != "":
		u.Password = directory.PlainSecret(uc.Password)
	}
	switch uc.Invite {
	case "", "authenticated":
		u.Invite = directory.InviteAuthenticated
	case "anyone":
		u.Invite = directory.InviteAnyone
	default:
		return nil, fmt.Errorf("user %s: invite = %q: want anyone or authenticated", uc.Name, uc.Invite)
	}
	switch uc.FreeBusy {
	case "":
		// Rooms and equipment are public by default, people authenticated.
		u.FreeBusy = directory.FreeBusyAuthenticated
		if u.Kind.Resource() {
			u.FreeBusy = directory.FreeBusyPublic
		}
	case "public":
		u.FreeBusy = directory.FreeBusyPublic
	case "authenticated":
		u.FreeBusy = directory.FreeBusyAuthenticated
	case "private":
		u.FreeBusy = directory.FreeBusyPrivate
	default:
		return nil, fmt.Errorf("user %s: freebusy = %q: want public, authenticated or private", uc.Name, uc.FreeBusy)
	}
	if err := uc.limits(u); err != nil {
		return nil, err
	}
	if uc.Policy != "" {
		if !u.Kind.Resource() {
			return nil, fmt.Errorf("user %s: policy applies to rooms and equipment only", uc.Name)
		}
		p, err := directory.ParsePolicy(uc.Policy)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", uc.Name, err)
		}
		u.Policy = p
	}
	return u, nil
}

// backoff reads the queue_* settings over courier.DefaultBackoff.
func (c *Config) backoff() (courier.Backoff, error) {
	b := courier.DefaultBackoff
	for _, s := range []struct {
		key, val string
		to       *time.Duration
	}{{"queue_retry_first", c.QueueRetryFirst, &b.First}, {"queue_retry_max", c.QueueRetryMax, &b.Max}, {"queue_give_up", c.QueueGiveUp, &b.GiveUp}} {
		if s.val == "" {
			continue
		}
		d, err := time.ParseDuration(s.val)
		if err != nil || d <= 0 {
			return b, fmt.Errorf("%s = %q: want a duration such as 30s, 1h or 72h", s.key, s.val)
		}
		*s.to = d
	}
	return b, nil
}

// limits reads a resource's booking limits into u.Limits.
func (uc *UserConfig) limits(u *directory.User) error {
	set := uc.TimeZone != "" || uc.WorkingHours != "" || uc.BookingWindowDays != 0 || uc.MaxDurationMinutes != 0 ||
		uc.AllowRecurring != nil || uc.MaxConflicts != 0 || len(uc.AllowedOrganizers) > 0
	if !set {
		return nil
	}
	if !u.Kind.Resource() {
		return fmt.Errorf("user %s: booking limits apply to rooms and equipment only", uc.Name)
	}
	if uc.BookingWindowDays < 0 || uc.MaxDurationMinutes < 0 || uc.MaxConflicts < 0 {
		return fmt.Errorf("user %s: booking_window_days, max_duration_minutes and max_conflicts cannot be negative", uc.Name)
	}
	l := &u.Limits
	l.BookingWindowDays, l.MaxDurationMinutes, l.MaxConflicts = uc.BookingWindowDays, uc.MaxDurationMinutes, uc.MaxConflicts
	l.NoRecurring = uc.AllowRecurring != nil && !*uc.AllowRecurring
	l.AllowedOrganizers = uc.AllowedOrganizers
	if uc.TimeZone != "" {
		loc, err := caltime.LoadZone(uc.TimeZone)
		if err != nil {
			return fmt.Errorf("user %s: timezone: %w", uc.Name, err)
		}
		l.Location = loc
	}
	if uc.WorkingHours != "" {
		w, err := directory.ParseWorkingHours(uc.WorkingHours)
		if err != nil {
			return fmt.Errorf("user %s: %w", uc.Name, err)
		}
		l.WorkingHours = w
	}
	return nil
}
