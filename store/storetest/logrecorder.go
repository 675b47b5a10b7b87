package storetest

import (
	"context"
	"log/slog"
	"sync"
)

// LogRecorder is a slog.Handler that keeps the records it receives, for
// tests that check what the store said. It is safe for concurrent use.
type LogRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

// Enabled reports true for every level.
func (h *LogRecorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps r.
func (h *LogRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

// WithAttrs returns h: attributes given ahead are not kept.
func (h *LogRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup returns h.
func (h *LogRecorder) WithGroup(string) slog.Handler { return h }

// Find returns the attributes of the first record at level whose message
// is msg.
func (h *LogRecorder) Find(level slog.Level, msg string) (map[string]slog.Value, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		if r.Level == level && r.Message == msg {
			attrs := map[string]slog.Value{}
			r.Attrs(func(a slog.Attr) bool {
				attrs[a.Key] = a.Value
				return true
			})
			return attrs, true
		}
	}
	return nil, false
}
