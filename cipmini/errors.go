package cipmini

import "errors"

// ErrAuthFailed is returned by an Authenticator for wrong credentials.
var ErrAuthFailed = errors.New("cipmini: authentication failed")
