package cipmini

import "log/slog"

// NewTestServer returns a Server with the echo backend and the test
// authenticator, for the external tests of this package.
func NewTestServer(log *slog.Logger) *Server {
	return &Server{ServerID: "test.example", Backend: &echoBackend{}, Auth: testAuth{},
		AuthFailureDelay: 5e6, Logger: log}
}
